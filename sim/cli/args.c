/*
 * args.c - the option-table parser of every verb (see args.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

void args_init(struct args *a, const struct args_spec *spec, int argc, char **argv, int first)
{
    memset(a, 0, sizeof *a);
    a->spec = spec;
    a->argc = argc;
    a->argv = argv;
    a->i = first;
}

static const struct args_opt *find_opt(const struct args_spec *spec, const char *arg)
{
    for (uint32_t k = 0; k < spec->n_opts; k++) {
        const struct args_opt *o = &spec->opts[k];
        if (strcmp(arg, o->name) == 0 || (o->alias != NULL && strcmp(arg, o->alias) == 0))
            return o;
    }
    return NULL;
}

enum args_tok args_next(struct args *a)
{
    a->opt = NULL;
    a->value = NULL;
    if (a->i >= a->argc) {
        a->arg = NULL;
        return ARGS_END;
    }
    const char *arg = a->argv[a->i++];
    a->arg = arg;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        return ARGS_HELP;
    const struct args_opt *o = find_opt(a->spec, arg);
    if (o != NULL) {
        a->opt = o;
        if (o->kind == ARGS_FLAG)
            return ARGS_OPTION;
        if (a->i >= a->argc)
            return ARGS_NO_VALUE;
        a->value = a->argv[a->i++];
        return ARGS_OPTION;
    }
    if (arg[0] == '-' && arg[1] != '\0')
        return ARGS_UNKNOWN;
    a->value = arg;
    return ARGS_OPERAND;
}

int args_usage_error(const struct args_spec *spec, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", spec->who);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", spec->usage);
    return CLI_EXIT_USAGE;
}

int args_stop(const struct args *a, enum args_tok t)
{
    switch (t) {
    case ARGS_HELP:
        fputs(a->spec->usage, stdout);
        return CLI_EXIT_OK;
    case ARGS_NO_VALUE:
        return args_usage_error(a->spec, "option '%s' needs a value", a->arg);
    case ARGS_UNKNOWN:
        return args_usage_error(a->spec, "unknown option '%s'", a->arg);
    default:
        return args_usage_error(a->spec, "unexpected argument '%s'", a->arg ? a->arg : "");
    }
}

int args_u64(const char *s, uint64_t *out)
{
    /* A digit first: strtoull would skip blanks and accept a sign, so
       " -1" read as 2^64 - 1 and " 4" as 4 while "4 " was refused. */
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}
