/*
 * cmd_run.c - `lbsim run SCENARIO`: replay a scenario's traffic under one
 * or more routing strategies, print the table or the JSON, and write the
 * output directory.
 *
 * The --plugin objects are loaded first, in a pass of their own, since
 * the scenario may name their strategies; they are unloaded after every
 * router and scenario is gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "outdir.h"
#include "progress.h"
#include "replicate.h"
#include "report.h"
#include "reqlog.h"
#include "scn_import.h"
#include "scnopts.h"
#include "sim.h"

static const char *const usage_run =
    "usage: lbsim run SCENARIO [--set PATH=VALUE]... [--strategy NAME]...\n"
    "                 [--plugin PATH.so]... [--seed N] [--threads N] [--out DIR]\n"
    "                 [--json] [--replications R [--vs NAME]] [--by KIND]\n"
    "                 [--requests FILE.csv[.gz|.zst]] [--quiet]\n"
    "                 [--time-parallel W [--overlap DUR]]\n"
    "\n"
    "Replays the scenario's traffic against its backends under each strategy\n"
    "(the --strategy flags, else the scenario's compare: list, else its\n"
    "router.strategy), all on the same traffic and random draws.\n"
    "\n"
    "  --set PATH=VALUE override a value of the scenario file (repeatable), e.g.\n"
    "                   traffic.rate_scale=2, backends.openai-a.limits.rpm=10k,\n"
    "                   router.strategy=least_inflight (docs/scenario-reference.md)\n"
    "  --strategy NAME  run this strategy (repeatable; default parameters)\n"
    "  --plugin PATH    load strategies from a shared object before the scenario\n"
    "                   (repeatable; see examples/plugin/README.md)\n"
    "  --seed N         override the scenario's seed\n"
    "  --threads N      OpenMP threads for the runs (default: all cores)\n"
    "  --out DIR        write summary.json, timeseries.csv and plots to DIR\n"
    "  --json           print the summary JSON on stdout instead of the table\n"
    "  --replications R run each strategy on R seeds (replication 0 = the seed):\n"
    "                   means, 95% intervals, SLO pass/FAIL/unsure (default 1)\n"
    "  --vs NAME        paired differences against NAME (default: the first)\n"
    "  --by KIND        also print the table per value of a label: tenant,\n"
    "                   model_group, task, priority or region (rows: strategy x value)\n"
    "  --time-parallel W  cut the traffic span into W >= 2 windows run in parallel\n"
    "                   and merged (docs/time-parallel.md; not with pools or labels)\n"
    "  --overlap DUR    unmeasured warm-up before each window (default 10m, at least\n"
    "                   10 x router.timeout)\n"
    "  --strict         refuse a `router: {litellm: FILE}` import with unsupported keys\n"
    "  --requests FILE  one CSV row per request (docs/requests-csv.md); .csv, .csv.gz\n"
    "                   or .csv.zst; single runs only (not with --replications)\n"
    "  --quiet          no progress line and no run statistics on stderr (the progress\n"
    "                   line is only drawn when stderr is a terminal)\n"
    "\n"
    "exit status: 0 ok, 1 an SLO in the scenario's slo: was missed by a run\n"
    "(with replications: FAIL or unsure) or a run measured no request (no data),\n"
    "2 bad usage or bad input, 3 internal error.\n";

static const struct args_opt run_options[] = {
    {"--strategy", NULL, ARGS_VALUE, SCNOPTS_STRATEGY},
    {"--plugin", NULL, ARGS_VALUE, SCNOPTS_PLUGIN},
    {"--seed", NULL, ARGS_VALUE, SCNOPTS_SEED},
    {"--threads", NULL, ARGS_VALUE, SCNOPTS_THREADS},
    {"--out", NULL, ARGS_VALUE, SCNOPTS_OUT},
    {"--json", NULL, ARGS_FLAG, SCNOPTS_JSON},
    {"--replications", NULL, ARGS_VALUE, SCNOPTS_REPS},
    {"--vs", NULL, ARGS_VALUE, SCNOPTS_VS},
    {"--set", NULL, ARGS_VALUE, SCNOPTS_SET},
    {"--strict", NULL, ARGS_FLAG, SCNOPTS_STRICT},
    {"--by", NULL, ARGS_VALUE, SCNOPTS_ID_END_},
    {"--requests", NULL, ARGS_VALUE, SCNOPTS_ID_END_ + 1},
    {"--quiet", NULL, ARGS_FLAG, SCNOPTS_ID_END_ + 2},
    {"--time-parallel", NULL, ARGS_VALUE, SCNOPTS_ID_END_ + 3}, /* tparallel.c */
    {"--overlap", NULL, ARGS_VALUE, SCNOPTS_ID_END_ + 4},
};

static const struct args_spec run_spec = {
    .who = "lbsim",
    .usage = usage_run,
    .opts = run_options,
    .n_opts = ARGS_COUNT(run_options),
};

struct run_opts {
    const char *scn_path;
    struct scnopts com;   /* every option; --plugin is loaded by cmd_run */
    int by;               /* --by: an enum scn_label_kind, -1 none */
    const char *requests; /* --requests FILE, NULL none */
    bool quiet;           /* --quiet */
    uint32_t tpar;        /* --time-parallel W, 0 none */
    int64_t overlap_ns;   /* --overlap, -1 the default */
};

/* The second pass: everything but the plugins.  -1 = go on, else the exit
 * status (0 after --help). */
static int parse_run(int argc, char **argv, struct run_opts *o)
{
    o->scn_path = NULL;
    o->by = -1;
    o->requests = NULL;
    o->quiet = false;
    o->tpar = 0;
    o->overlap_ns = -1;
    scnopts_init(&o->com, 1);
    struct args a;
    args_init(&a, &run_spec, argc, argv, 2);
    enum args_tok t;
    int rc;
    while ((rc = scnopts_next(&o->com, &a, &t)) == SCNOPTS_MORE && t != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (o->scn_path != NULL)
                return args_usage_error(&run_spec,
                                        "unexpected argument '%s' (one scenario per run)", a.arg);
            o->scn_path = a.value;
            continue;
        }
        if (t == ARGS_OPTION && a.opt->id == SCNOPTS_ID_END_ + 1) {
            o->requests = a.value;
            continue;
        }
        if (t == ARGS_OPTION && a.opt->id == SCNOPTS_ID_END_ + 2) {
            o->quiet = true;
            continue;
        }
        if (t == ARGS_OPTION && a.opt->id == SCNOPTS_ID_END_ + 3) {
            uint64_t w = 0;
            if (args_u64(a.value, &w) != 0 || w < 2 || w > SIM_TPAR_WINDOWS_MAX)
                return args_usage_error(
                    &run_spec,
                    "--time-parallel: found '%s', expected a number of windows from 2 to 4096",
                    a.value);
            o->tpar = (uint32_t)w;
            continue;
        }
        if (t == ARGS_OPTION && a.opt->id == SCNOPTS_ID_END_ + 4) {
            char derr[256];
            if (scn_parse_duration_ns(a.value, &o->overlap_ns, derr, sizeof derr) != 0 ||
                o->overlap_ns < 0)
                return args_usage_error(&run_spec, "--overlap: found '%s', expected a duration",
                                        a.value);
            continue;
        }
        if (t == ARGS_OPTION && a.opt->id == SCNOPTS_ID_END_) {
            enum scn_label_kind k = scn_label_kind_parse(a.value);
            if (k == SCN_LABEL_KINDS_)
                return args_usage_error(&run_spec,
                                        "--by: found '%s', expected tenant, model_group, task, "
                                        "priority or region",
                                        a.value);
            o->by = (int)k;
        }
    }
    if (rc != SCNOPTS_MORE)
        return rc;
    if (o->scn_path == NULL)
        return args_usage_error(&run_spec, "%s", "missing SCENARIO");
    if (o->overlap_ns >= 0 && o->tpar == 0)
        return args_usage_error(&run_spec, "%s", "--overlap needs --time-parallel W");
    if (o->tpar > 0 && o->com.reps > 1)
        return args_usage_error(&run_spec, "%s",
                                "--time-parallel: not with --replications (each replication "
                                "would be its own windows; run them one seed at a time)");
    if (o->tpar > 0 && o->requests != NULL)
        return args_usage_error(&run_spec, "%s",
                                "--time-parallel: not with --requests (the windows overlap, so "
                                "rows would repeat; write per-request rows from a plain run)");
    return -1;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The hooks of one run: its part of --requests and its progress slot. */
struct run_hooks {
    void *reqlog, *progress;
};

static void hook_request(void *ctx, const struct sim_req_record *rec)
{
    reqlog_on_request(((struct run_hooks *)ctx)->reqlog, rec);
}

static void hook_attempt(void *ctx, const struct sim_attempt_record *rec)
{
    reqlog_on_attempt(((struct run_hooks *)ctx)->reqlog, rec);
}

static void hook_progress(void *ctx, uint64_t requests_done, int64_t sim_now_ns)
{
    progress_on_progress(((struct run_hooks *)ctx)->progress, requests_done, sim_now_ns);
}

static int run_scenario(const struct run_opts *o, const struct route_registry *reg)
{
    char err[CLI_ERRLEN];
    struct scenario scn;
    /* A router's own config given as the scenario (issue 13) */
    enum scn_import_kind kind = scn_import_sniff(o->scn_path);
    if (kind != SCN_IMPORT_NONE) {
        const char *k = kind == SCN_IMPORT_LITELLM ? "litellm" : "portkey";
        fprintf(stderr,
                "lbsim: %s: this is a %s config, not a scenario: use router: {%s: %s} in a "
                "scenario, or lbsim import %s %s\n",
                o->scn_path, kind == SCN_IMPORT_LITELLM ? "LiteLLM" : "Portkey", k, o->scn_path, k,
                o->scn_path);
        return CLI_EXIT_USAGE;
    }
    if (scn_load_set(o->scn_path, reg, o->com.sets, o->com.n_sets, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return cli_exit_of(err);
    }
    /* What an imported router config defaulted, approximated or lost */
    for (uint32_t i = 0; i < scn.n_warnings; i++)
        fprintf(stderr, "lbsim: import: %s\n", scn.warnings[i]);
    if (o->com.strict && scn.n_unsupported > 0) {
        fprintf(stderr, "lbsim: --strict: %u imported key(s) unsupported (routing effect lost)\n",
                scn.n_unsupported);
        scn_free(&scn);
        return CLI_EXIT_USAGE;
    }
    uint64_t seed = o->com.seed_set ? o->com.seed : scn.seed;
    /* What produced this output, recorded in the summary JSON. */
    char fingerprint[SCN_FINGERPRINT_LEN];
    if (scn_fingerprint(&scn, o->com.sets, o->com.n_sets, fingerprint, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        scn_free(&scn);
        return cli_exit_of(err);
    }
    struct report_origin origin = {.version = LBSIM_VERSION,
                                   .fingerprint = fingerprint,
                                   .sets = o->com.sets,
                                   .n_sets = o->com.n_sets};
    struct sim_tpar tp = {o->tpar,
                          o->overlap_ns >= 0 ? o->overlap_ns : sim_tpar_default_overlap_ns(&scn)};
    if (o->tpar > 0) { /* summary.json "time_parallel" (report.c) */
        origin.tpar_windows = tp.windows;
        origin.tpar_overlap_s = (double)tp.overlap_ns / 1e9;
    }

    int rc = 0;
    uint32_t n = scnopts_strategy_count(&o->com, &scn);
    struct scn_strategy *strats = calloc(n, sizeof *strats);
    if (strats == NULL) {
        scn_free(&scn);
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    if (scnopts_strategies(&o->com, reg, &scn, strats, n, &n) != 0) {
        free(strats);
        scn_free(&scn);
        return CLI_EXIT_USAGE;
    }

    if (o->com.reps > 1 && scn.slo.n_labels > 0) {
        /* A label's metrics over replications are means (by_label), but
         * no interval is kept per label, so its verdict could not be
         * pass/FAIL/unsure as the run's is: refused, not guessed. */
        fprintf(stderr,
                "lbsim: --replications %u: the scenario's slo: has %u label SLO(s) "
                "(label: {...}); label SLOs are judged on single runs only: run without "
                "--replications, or drop the label entries\n",
                o->com.reps, scn.slo.n_labels);
        free(strats);
        scn_free(&scn);
        return CLI_EXIT_USAGE;
    }
    int ref;
    if ((rc = rep_reference(o->com.vs, o->com.reps, strats, n, &ref)) != 0) {
        free(strats);
        scn_free(&scn);
        return rc;
    }
    if (o->requests != NULL && o->com.reps > 1) {
        /* One row per request of one run: R runs of each strategy would
         * need a replication column and R times the rows; refused rather
         * than writing replication 0 alone. */
        fprintf(stderr,
                "lbsim: --requests %s: not with --replications %u (rows are written for "
                "single runs only): run without --replications, or with --seed for another "
                "replication\n",
                o->requests, o->com.reps);
        free(strats);
        scn_free(&scn);
        return CLI_EXIT_USAGE;
    }
    struct reqlog *rlog = NULL;
    if (o->requests != NULL) { /* checked and created before any simulation */
        rlog = reqlog_open(o->requests, &scn, n, err, sizeof err);
        if (rlog == NULL) {
            fprintf(stderr, "lbsim: %s\n", err);
            free(strats);
            scn_free(&scn);
            return cli_exit_of(err);
        }
    }
    uint32_t n_runs = n * o->com.reps;
    struct progress *prog = progress_create(&scn, n_runs, o->quiet);
    struct sim_result *res = calloc(n, sizeof *res);
    int *rcs = calloc(n, sizeof *rcs);
    char *errs = calloc(n, CLI_ERRLEN);
    struct sim_hooks *hooks = NULL;
    struct run_hooks *rh = NULL;
    if (rlog != NULL || prog != NULL) {
        hooks = calloc(n_runs, sizeof *hooks);
        rh = calloc(n_runs, sizeof *rh);
    }
    if (res == NULL || rcs == NULL || errs == NULL ||
        ((rlog != NULL || prog != NULL) && (hooks == NULL || rh == NULL))) {
        fprintf(stderr, "lbsim: out of memory\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    for (uint32_t i = 0; hooks != NULL && i < n_runs; i++) {
        hooks[i].ctx = &rh[i];
        if (rlog != NULL) { /* R = 1 here: run i is strategy i */
            rh[i].reqlog = reqlog_part(rlog, i, strats[i].label);
            hooks[i].on_request = hook_request;
            hooks[i].on_attempt = hook_attempt;
            hooks[i].report_unfinished = true;
        }
        if (prog != NULL) {
            rh[i].progress = progress_slot(prog, i);
            hooks[i].on_progress = hook_progress;
        }
    }
    double t0 = wall_seconds();
    int crc = o->tpar > 0
                  ? sim_tpar_run(&scn, strats, n, seed, &tp, (int)o->com.threads, res, rcs, errs,
                                 CLI_ERRLEN)
                  : sim_replicate_hooks(&scn, strats, n, seed, o->com.reps, ref,
                                        (int)o->com.threads, hooks, res, rcs, errs, CLI_ERRLEN);
    double wall = wall_seconds() - t0;
    progress_end(prog);
    prog = NULL;
    double wall_rows = 0;
    if (crc == 0 && rlog != NULL) {
        double t1 = wall_seconds();
        struct reqlog *l = rlog;
        rlog = NULL;
        uint64_t rows = reqlog_rows(l);
        if (reqlog_finish(l, err, sizeof err) != 0) {
            fprintf(stderr, "lbsim: %s\n", err);
            rc = cli_exit_of(err) == CLI_EXIT_INTERNAL ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
            goto done;
        }
        wall_rows = wall_seconds() - t1;
        if (!o->quiet)
            fprintf(stderr, "lbsim: wrote %llu request rows to %s (%.3f s to assemble)\n",
                    (unsigned long long)rows, o->requests, wall_rows);
    }
    if (crc != 0) {
        /* bad trace rows and bad strategies are input errors (2), out of
           memory an internal one (3): the worst wins */
        rc = CLI_EXIT_USAGE;
        for (uint32_t i = 0; i < n; i++)
            if (rcs[i] != 0) {
                const char *e = errs + (size_t)i * CLI_ERRLEN;
                fprintf(stderr, "lbsim: %s: %s\n", strats[i].label, e);
                if (cli_exit_of(e) == CLI_EXIT_INTERNAL)
                    rc = CLI_EXIT_INTERNAL;
            }
        goto done;
    }
    uint64_t total = 0, events = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += (res[i].requests + res[i].unmeasured) * o->com.reps; /* means x R */
        events += res[i].events * o->com.reps;
    }
    if (res[0].trace_rows_skipped > 0) /* the same traffic for every run */
        fprintf(stderr, "lbsim: skipped %llu bad trace row(s) (skip_bad_rows: true)\n",
                (unsigned long long)res[0].trace_rows_skipped);
    /* Requests still queued or in service when `duration:` cut the run
     * count in no rate: a fleet that cannot keep up can show 0% errors.
     * Say so (completion_rate is the SLO metric that sees them). */
    for (uint32_t i = 0; i < n; i++)
        if (res[i].in_flight_at_end > 0)
            fprintf(stderr,
                    "lbsim: warning: %s: %llu of %llu requests (%.2f%%) were still waiting or in "
                    "service when the run ended; no rate counts them (see completion_rate)\n",
                    res[i].strategy, (unsigned long long)res[i].in_flight_at_end,
                    (unsigned long long)res[i].requests,
                    100.0 * (double)res[i].in_flight_at_end /
                        (double)(res[i].requests ? res[i].requests : 1));
    if (res[0].no_data) { /* the same traffic for every run */
        fputs("lbsim: ", stderr);
        report_no_data(stderr, &scn, &res[0]);
    }
    if (o->com.json)
        report_json_origin(stdout, &origin, &scn, seed, res, n);
    else
        report_table(stdout, &scn, seed, res, n);
    if (!o->com.json && o->by >= 0)
        report_table_by(stdout, &scn, res, n, (enum scn_label_kind)o->by);
    if (!o->com.json && o->tpar > 0)
        printf("time-parallel: %u windows, %.9g s overlap (merged; docs/time-parallel.md)\n",
               tp.windows, (double)tp.overlap_ns / 1e9);
    if (!o->quiet)
        fprintf(stderr,
                "lbsim: %u run(s), %llu requests, %llu events in %.3f s wall (%.0f requests/s)\n",
                n * o->com.reps, (unsigned long long)total, (unsigned long long)events, wall,
                wall > 0 ? (double)total / wall : 0.0);
    if (o->com.out_dir != NULL) {
        rc = outdir_write_origin(o->com.out_dir, &origin, &scn, seed, res, n);
        if (rc != 0)
            goto done;
        if (!o->com.json)
            printf("\nwrote %s/summary.json, %s/timeseries.csv and plots\n", o->com.out_dir,
                   o->com.out_dir);
    }
    for (uint32_t i = 0; i < n; i++)
        if (!res[i].slo_pass)
            rc = CLI_EXIT_SLO;
done:
    progress_end(prog);
    reqlog_abort(rlog); /* an error before the rows were assembled: no FILE, no parts */
    free(hooks);
    free(rh);
    if (res != NULL)
        for (uint32_t i = 0; i < n; i++)
            if (rcs != NULL && rcs[i] == 0)
                sim_result_free(&res[i]);
    free(res);
    free(rcs);
    free(errs);
    free(strats);
    scn_free(&scn);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct cli_plugins pl;
    int rc = scnopts_load_plugins(&pl, &run_spec, argc, argv);
    if (rc != 0)
        return rc;
    struct run_opts o;
    rc = parse_run(argc, argv, &o);
    if (rc < 0)
        rc = run_scenario(&o, &pl.reg);
    cli_plugins_free(&pl); /* after every router and scenario is gone */
    return rc;
}
