/*
 * cli.c - what the verbs share (see cli.h): loading the --plugin objects
 * of `lbsim run` and `lbsim strategies`.
 */
#include <stdio.h>

#include "cli.h"
#include "err.h"

void cli_put_xml(FILE *f, const char *s)
{
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

void cli_put_md_cell(FILE *f, const char *s)
{
    for (; s != NULL && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
}

int cli_exit_of(const char *msg)
{
    return base_err_oom_or(msg, -1) == BASE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
}

int cli_load_plugins(struct cli_plugins *pl, const char *const *paths, uint32_t n)
{
    char err[CLI_ERRLEN];
    cli_plugins_init(pl);
    for (uint32_t i = 0; i < n; i++) {
        if (cli_plugins_load(pl, paths[i], err, sizeof err) != 0) {
            fprintf(stderr, "lbsim: %s\n", err);
            cli_plugins_free(pl);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}
