/*
 * cmd_merge.c - `lbsim merge DIR...`: the shard directories of one
 * `lbsim sweep --shard K/N` combined into exactly the output of the
 * unsharded sweep (sweep.h): the same sweep.json and sweep.csv, byte for
 * byte, and the same plots.
 */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "cli.h"
#include "sweep.h"

static const char *const usage_merge =
    "usage: lbsim merge DIR... [--json] [--out DIR]\n"
    "\n"
    "Combines the shard directories written by `lbsim sweep ... --shard K/N\n"
    "--out DIR` (every K from 1 to N, once each, all of the same sweep) into\n"
    "the output of the sweep run in one piece: the table, or the JSON, and\n"
    "with --out sweep.json, sweep.csv and the plots.\n"
    "\n"
    "  --json     print the sweep JSON on stdout instead of the table\n"
    "  --out DIR  write sweep.json, sweep.csv and plots to DIR\n"
    "\n"
    "exit status: 0 ok, 2 bad usage or shards that do not make one sweep\n"
    "(different sweeps, a shard missing or given twice), 3 internal error.\n";

enum { OPT_JSON, OPT_OUT };

static const struct args_opt merge_options[] = {
    {"--json", NULL, ARGS_FLAG, OPT_JSON},
    {"--out", NULL, ARGS_VALUE, OPT_OUT},
};

static const struct args_spec merge_spec = {
    .who = "lbsim merge",
    .usage = usage_merge,
    .opts = merge_options,
    .n_opts = ARGS_COUNT(merge_options),
};

int cmd_merge(int argc, char **argv)
{
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    if (dirs == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    uint32_t n = 0;
    const char *out_dir = NULL;
    bool json = false;
    struct args a;
    args_init(&a, &merge_spec, argc, argv, 2);
    enum args_tok t;
    int rc = -1;
    while (rc < 0 && (t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_OPERAND)
            dirs[n++] = a.value;
        else if (t != ARGS_OPTION)
            rc = args_stop(&a, t);
        else if (a.opt->id == OPT_JSON)
            json = true;
        else
            out_dir = a.value;
    }
    if (rc < 0 && n == 0)
        rc = args_usage_error(&merge_spec, "%s", "missing DIR (the shard directories)");
    if (rc < 0) {
        struct sweep_texts texts;
        rc = sweep_shard_merge(dirs, n, &texts);
        if (rc == 0) {
            rc = sweep_finish(&texts, json, out_dir);
            sweep_texts_free(&texts);
        }
    }
    free(dirs);
    return rc;
}
