/*
 * cmd_check.c - `lbsim check FILE [--trace T]`: lint a LiteLLM config (the
 * import's traps plus scn_litellm_check's findings), a Portkey config
 * (scn_portkey_check) or a scenario (it must load; an imported config's
 * traps and unsupported keys are its findings) without simulating.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "scn.h"
#include "scn_import.h"

static const char *const usage_check =
    "usage: lbsim check FILE [--trace FILE]\n"
    "\n"
    "Lints a LiteLLM proxy config.yaml (or a scenario) without simulating: the\n"
    "config traps (allowed_fails equal to the default, litellm_settings keys the\n"
    "Router never reads, router cooldown_time 0, unknown router_settings keys),\n"
    "single-deployment groups without fallback, fallbacks to missing groups or\n"
    "in a loop, deployments the strategy never picks and, with --trace, declared\n"
    "rpm/tpm below the trace's peak minute.  One finding per line, file:line:col.\n"
    "\n"
    "exit status: 0 clean, 1 findings, 2 bad usage or bad input.\n";

enum { OPT_TRACE };

static const struct args_opt check_options[] = {
    {"--trace", NULL, ARGS_VALUE, OPT_TRACE},
};

static const struct args_spec check_spec = {
    .who = "lbsim check",
    .usage = usage_check,
    .opts = check_options,
    .n_opts = ARGS_COUNT(check_options),
};

int cmd_check(int argc, char **argv)
{
    const char *file = NULL, *trace = NULL;
    struct args a;
    args_init(&a, &check_spec, argc, argv, 2);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (file != NULL)
                return args_usage_error(&check_spec, "unexpected argument '%s'", a.value);
            file = a.value;
            continue;
        }
        if (t != ARGS_OPTION)
            return args_stop(&a, t);
        trace = a.value; /* OPT_TRACE, the only option */
    }
    if (file == NULL)
        return args_usage_error(&check_spec, "%s", "missing FILE");
    char err[CLI_ERRLEN] = "";
    enum scn_import_kind kind = scn_import_sniff(file);
    if (kind == SCN_IMPORT_NONE) {
        /* a scenario: it must load; its import warnings are the findings */
        struct scenario s;
        if (scn_load(file, &s, err, sizeof err) != 0) {
            fprintf(stderr, "lbsim check: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        /* traps and lost effects are findings; defaulted facts and the
         * count of approximations are information (stderr) */
        size_t n = 0;
        for (uint32_t i = 0; i < s.n_warnings; i++) {
            bool info = strstr(s.warnings[i], ": defaulted:") != NULL ||
                        strstr(s.warnings[i], " keys approximated (") != NULL;
            fprintf(info ? stderr : stdout, "%s\n", s.warnings[i]);
            n += !info;
        }
        fprintf(stderr, "lbsim check: %zu finding(s)\n", n);
        scn_free(&s);
        return n ? 1 : CLI_EXIT_OK;
    }
    struct scn_import_report rep = {0};
    int crc = kind == SCN_IMPORT_PORTKEY ? scn_portkey_check(file, &rep, err, sizeof err)
                                         : scn_litellm_check(file, trace, &rep, err, sizeof err);
    if (crc != 0) {
        fprintf(stderr, "lbsim check: %s\n", err);
        scn_import_report_free(&rep);
        return CLI_EXIT_USAGE;
    }
    size_t n = 0;
    for (size_t i = 0; i < rep.n; i++) {
        const struct scn_import_note *no = &rep.notes[i];
        if (no->cls != SCN_IMP_FINDING)
            continue;
        if (no->line > 0)
            printf("%s:%u:%u: %s: %s\n", no->file, no->line, no->col, no->key, no->text);
        else
            printf("%s: %s: %s\n", no->file, no->key, no->text);
        n++;
    }
    fprintf(stderr, "lbsim check: %zu finding(s)\n", n);
    scn_import_report_free(&rep);
    return n ? 1 : CLI_EXIT_OK;
}
