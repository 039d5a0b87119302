/*
 * cmd_import.c - `lbsim import litellm|portkey FILE`: the native scenario
 * equivalent to a router's own config on stdout, and the report (one line
 * per key: mapped, approximated, ignored, unsupported; the defaulted facts
 * and the traps) on stderr (scenarios/scn_import.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "scn_import.h"

static const char *const usage_import =
    "usage: lbsim import litellm|portkey FILE [--trace FILE] [--scenario BASE.yaml]\n"
    "                    [--replicas N]\n"
    "\n"
    "Prints the native scenario equivalent to a LiteLLM proxy config.yaml (or a\n"
    "Portkey config) on stdout, with LiteLLM's semantics as of the emulated\n"
    "version, and on stderr one line per key of the file: mapped, approximated\n"
    "(how), ignored (no routing effect) or unsupported (routing effect lost),\n"
    "plus the facts it defaulted and the config traps it found.\n"
    "\n"
    "  --trace FILE        traffic.trace of the output (default: a placeholder)\n"
    "  --scenario BASE     merge into this scenario: its backends of the same\n"
    "                      name supply the provider side, its router keys win\n"
    "  --replicas N        proxy processes (pods x workers; default 1)\n"
    "\n"
    "exit status: 0 ok, 2 bad usage or bad input, 3 internal error.\n";

enum { OPT_TRACE, OPT_SCENARIO, OPT_REPLICAS };

static const struct args_opt import_options[] = {
    {"--trace", NULL, ARGS_VALUE, OPT_TRACE},
    {"--scenario", NULL, ARGS_VALUE, OPT_SCENARIO},
    {"--replicas", NULL, ARGS_VALUE, OPT_REPLICAS},
};

static const struct args_spec import_spec = {
    .who = "lbsim import",
    .usage = usage_import,
    .opts = import_options,
    .n_opts = ARGS_COUNT(import_options),
};

int cmd_import(int argc, char **argv)
{
    struct scn_import_opts o = {0};
    const char *kind_s = NULL, *file = NULL;
    struct args a;
    args_init(&a, &import_spec, argc, argv, 2);
    enum args_tok t;
    uint64_t u;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (kind_s == NULL)
                kind_s = a.value;
            else if (file == NULL)
                file = a.value;
            else
                return args_usage_error(&import_spec, "unexpected argument '%s'", a.value);
            continue;
        }
        if (t != ARGS_OPTION)
            return args_stop(&a, t);
        switch (a.opt->id) {
        case OPT_TRACE:
            o.trace = a.value;
            break;
        case OPT_SCENARIO:
            o.scenario = a.value;
            break;
        case OPT_REPLICAS:
            if (args_u64(a.value, &u) != 0 || u == 0 || u > 4096)
                return args_usage_error(&import_spec,
                                        "--replicas: found '%s', expected an integer in 1..4096",
                                        a.value);
            o.replicas = (uint32_t)u;
            break;
        }
    }
    if (kind_s == NULL || file == NULL)
        return args_usage_error(&import_spec, "%s", "missing litellm|portkey FILE");
    enum scn_import_kind kind;
    if (strcmp(kind_s, "litellm") == 0)
        kind = SCN_IMPORT_LITELLM;
    else if (strcmp(kind_s, "portkey") == 0)
        kind = SCN_IMPORT_PORTKEY;
    else
        return args_usage_error(&import_spec, "found '%s', expected litellm or portkey", kind_s);

    char err[CLI_ERRLEN] = "";
    char *text = NULL;
    size_t len = 0;
    struct scn_import_report rep = {0};
    int rc = scn_import_text(kind, file, &o, &text, &len, &rep, err, sizeof err);
    for (size_t i = 0; i < rep.n; i++) {
        char line[1024];
        scn_import_note_format(&rep.notes[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    if (rc != 0) {
        fprintf(stderr, "lbsim import: %s\n", err);
        scn_import_report_free(&rep);
        return CLI_EXIT_USAGE;
    }
    fwrite(text, 1, len, stdout);
    fprintf(stderr,
            "lbsim import: %zu mapped, %zu approximated, %zu ignored, %zu unsupported, %zu "
            "defaulted, %zu warnings (emulating %s)\n",
            scn_import_report_count(&rep, SCN_IMP_MAPPED),
            scn_import_report_count(&rep, SCN_IMP_APPROX),
            scn_import_report_count(&rep, SCN_IMP_IGNORED),
            scn_import_report_count(&rep, SCN_IMP_UNSUPPORTED),
            scn_import_report_count(&rep, SCN_IMP_DEFAULTED),
            scn_import_report_count(&rep, SCN_IMP_WARNING), SCN_LITELLM_EMULATED);
    free(text);
    scn_import_report_free(&rep);
    return CLI_EXIT_OK;
}
