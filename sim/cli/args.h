/*
 * args.h - the one command-line option parser of every verb (prefix args_).
 *
 * A verb describes its options in a static const table (long name, optional
 * short alias, flag or value) and walks its argv with args_next(), which
 * hands back one token at a time: an option of the table with its value, an
 * operand, or what went wrong (--help, a missing value, an option not in the
 * table).  The verb decides what each token means, so that the messages and
 * the order in which they are reported are its own; args_stop() gives the
 * usual answer to the three exceptional tokens.
 *
 * Rules, the same for every verb: an option's value is always the next
 * argument, even one that starts with '-' ("--out --help" is an output
 * directory named --help); "--help" and "-h" anywhere an option may stand
 * ask for help; "-" alone is an operand; there is no "--name=value" form and
 * no "--" end of options.
 *
 * CLI layer: args_usage_error() and args_stop() print to stderr/stdout.
 */
#ifndef LBSIM_ARGS_H
#define LBSIM_ARGS_H

#include <stdint.h>

enum args_kind {
    ARGS_FLAG,  /* stands alone */
    ARGS_VALUE, /* takes the next argument as its value */
};

struct args_opt {
    const char *name;  /* "--seed" */
    const char *alias; /* "-o", or NULL */
    enum args_kind kind;
    int id; /* the verb's own option id, for its switch */
};

/* The number of entries of an option table, for args_spec.n_opts. */
#define ARGS_COUNT(table) ((uint32_t)(sizeof(table) / sizeof((table)[0])))

struct args_spec {
    const char *who;   /* message prefix: "lbsim" or "lbsim trace" */
    const char *usage; /* printed by --help and after a usage error */
    const struct args_opt *opts;
    uint32_t n_opts;
};

enum args_tok {
    ARGS_END,      /* no argument left */
    ARGS_OPTION,   /* an option of the table: opt, and value for ARGS_VALUE */
    ARGS_OPERAND,  /* anything else not starting with '-' (or "-"): value */
    ARGS_HELP,     /* --help or -h */
    ARGS_NO_VALUE, /* opt takes a value but is the last argument */
    ARGS_UNKNOWN,  /* starts with '-' and is not in the table: arg */
};

/* The walk over argv[first..argc). */
struct args {
    const struct args_spec *spec;
    int argc;
    char **argv;
    int i;                      /* next argument */
    const char *arg;            /* the argument of the last token, as written */
    const struct args_opt *opt; /* ARGS_OPTION, ARGS_NO_VALUE */
    const char *value;          /* the option's value, or the operand */
};

void args_init(struct args *a, const struct args_spec *spec, int argc, char **argv, int first);

/* The next token; fills a->arg, a->opt, a->value. */
enum args_tok args_next(struct args *a);

/* Print "WHO: <fmt with arg>", a blank line and the usage to stderr; returns
 * CLI_EXIT_USAGE (cli.h).  fmt takes exactly one %s. */
int args_usage_error(const struct args_spec *spec, const char *fmt, const char *arg);

/* The usual answer to the token t, as an exit status: ARGS_HELP prints the
 * usage to stdout (0); ARGS_NO_VALUE is "option '%s' needs a value" and
 * ARGS_UNKNOWN "unknown option '%s'" (CLI_EXIT_USAGE). */
int args_stop(const struct args *a, enum args_tok t);

/* A decimal unsigned 64-bit integer, as strtoull reads it (leading blanks
 * and '+' accepted) but with no leading '-', and nothing after it.  0, or
 * -1. */
int args_u64(const char *s, uint64_t *out);

#endif /* LBSIM_ARGS_H */
