/*
 * cmd_sweep.c - `lbsim sweep SCENARIO --vary PATH=LIST ...`: the scenario
 * under every point of a grid (or one input at a time), each point x
 * strategy x replication one trial of one pool (sim_exp_run), written as
 * JSON, CSV and plots (sweep.h), or as one shard of N for `lbsim merge`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "replicate.h"
#include "scnopts.h"
#include "sweep.h"

static const char *const usage_sweep =
    "usage: lbsim sweep SCENARIO --vary PATH=LIST... [--one-at-a-time]\n"
    "                   [--set PATH=VALUE]... [--strategy NAME]... [--plugin PATH.so]...\n"
    "                   [--replications R [--vs NAME]] [--seed N] [--threads N]\n"
    "                   [--json] [--out DIR] [--shard K/N|auto]\n"
    "\n"
    "Runs the scenario at every point of a grid of values: several --vary make\n"
    "a cartesian grid, the first --vary varying slowest.  Every point runs each\n"
    "strategy (the --strategy flags, else the scenario's compare: list, else its\n"
    "router.strategy) on the same R seeds, all trials in one pool of threads.\n"
    "\n"
    "  --vary PATH=LIST  a value list: v1,v2,... or a range a..b or a..b:step,\n"
    "                    units allowed (traffic.rate_scale=1..3:0.5,\n"
    "                    backends.gpu.replicas=2,4,8, router.timeout=10s..60s:10s)\n"
    "  --one-at-a-time   move each --vary alone around the scenario's own values\n"
    "                    (the scenario as written, then each value of each axis)\n"
    "                    and draw a tornado chart per headline metric\n"
    "  --set PATH=VALUE  override a value of every point (repeatable)\n"
    "  --strategy NAME   run this strategy (repeatable; default parameters)\n"
    "  --plugin PATH     load strategies from a shared object (repeatable)\n"
    "  --replications R  R seeds per point and strategy: means, 95% intervals\n"
    "  --vs NAME         paired differences against NAME (default: the first)\n"
    "  --seed N          override the scenario's seed\n"
    "  --threads N       OpenMP threads (default: all cores); the output does not\n"
    "                    depend on it\n"
    "  --json            print {\"points\": [{\"set\": {...}, \"runs\": [...]}]} on stdout\n"
    "  --out DIR         write sweep.json, sweep.csv and plots to DIR\n"
    "  --shard K/N       run only points p with p % N == K - 1 and write a shard\n"
    "                    directory to --out DIR for `lbsim merge`; auto reads\n"
    "                    SLURM_ARRAY_TASK_ID/_COUNT, or JOB_COMPLETION_INDEX with\n"
    "                    LBSIM_SHARD_COUNT (docs/experiments.md)\n"
    "\n"
    "exit status: 0 ok (missed SLOs are reported, not an error), 2 bad usage or\n"
    "bad input, 3 internal error.\n";

enum { OPT_VARY = SCNOPTS_ID_END_, OPT_OAT, OPT_SHARD };

static const struct args_opt sweep_options[] = {
    {"--vary", NULL, ARGS_VALUE, OPT_VARY},
    {"--one-at-a-time", NULL, ARGS_FLAG, OPT_OAT},
    {"--set", NULL, ARGS_VALUE, SCNOPTS_SET},
    {"--strategy", NULL, ARGS_VALUE, SCNOPTS_STRATEGY},
    {"--plugin", NULL, ARGS_VALUE, SCNOPTS_PLUGIN},
    {"--replications", NULL, ARGS_VALUE, SCNOPTS_REPS},
    {"--vs", NULL, ARGS_VALUE, SCNOPTS_VS},
    {"--seed", NULL, ARGS_VALUE, SCNOPTS_SEED},
    {"--threads", NULL, ARGS_VALUE, SCNOPTS_THREADS},
    {"--json", NULL, ARGS_FLAG, SCNOPTS_JSON},
    {"--out", NULL, ARGS_VALUE, SCNOPTS_OUT},
    {"--shard", NULL, ARGS_VALUE, OPT_SHARD},
};

static const struct args_spec sweep_spec = {
    .who = "lbsim sweep",
    .usage = usage_sweep,
    .opts = sweep_options,
    .n_opts = ARGS_COUNT(sweep_options),
};

struct sweep_opts {
    const char *scn_path, *shard;
    struct vary axes[SWEEP_MAX_AXES];
    uint32_t n_axes;
    bool oat;
    struct scnopts com; /* with the --plugin paths, loaded by cmd_sweep */
};

static void opts_free(struct sweep_opts *o)
{
    for (uint32_t a = 0; a < o->n_axes; a++)
        vary_free(&o->axes[a]);
    o->n_axes = 0;
}

/* -1 = go on, else the exit status (0 after --help). */
static int parse_sweep(int argc, char **argv, struct sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    scnopts_init(&o->com, 1);
    struct args a;
    args_init(&a, &sweep_spec, argc, argv, 2);
    enum args_tok t;
    char err[CLI_ERRLEN];
    int rc;
    while ((rc = scnopts_next(&o->com, &a, &t)) == SCNOPTS_MORE && t != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (o->scn_path != NULL)
                return args_usage_error(&sweep_spec,
                                        "unexpected argument '%s' (one scenario per sweep)", a.arg);
            o->scn_path = a.value;
            continue;
        }
        const char *v = a.value;
        switch (a.opt->id) {
        case OPT_VARY:
            if (o->n_axes == SWEEP_MAX_AXES)
                return args_usage_error(&sweep_spec, "too many --vary options (at most %s)", "16");
            if (vary_parse(v, &o->axes[o->n_axes], err, sizeof err) != 0)
                return args_usage_error(&sweep_spec, "%s", err);
            o->n_axes++;
            break;
        case OPT_OAT:
            o->oat = true;
            break;
        case OPT_SHARD:
            o->shard = v;
            break;
        default:
            break;
        }
    }
    if (rc != SCNOPTS_MORE)
        return rc;
    if (o->scn_path == NULL)
        return args_usage_error(&sweep_spec, "%s", "missing SCENARIO");
    if (o->n_axes == 0)
        return args_usage_error(&sweep_spec, "%s",
                                "missing --vary PATH=LIST (e.g. --vary traffic.rate_scale=1..4)");
    if (o->shard != NULL && o->com.out_dir == NULL)
        return args_usage_error(&sweep_spec, "--shard %s needs --out DIR (the shard directory)",
                                o->shard);
    if (o->shard != NULL && o->com.json)
        return args_usage_error(&sweep_spec,
                                "--shard %s writes a shard directory: drop --json "
                                "and print the merged JSON with `lbsim merge --json`",
                                o->shard);
    return -1;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Progress on a terminal: points done, trials/s, ETA, over the batches
 * (sim_exp_run counts within the current batch). */
struct progress {
    double t0;
    bool shown;
    uint32_t points_before, points; /* done before this batch, in all */
    uint64_t trials_before;
};

static void on_progress(void *ctx, uint32_t done, uint32_t batch, uint64_t trials)
{
    struct progress *p = ctx;
    (void)batch;
    done += p->points_before;
    trials += p->trials_before;
    uint32_t points = p->points;
    double dt = wall_seconds() - p->t0;
    double eta = done > 0 ? dt * (double)(points - done) / (double)done : 0.0;
    fprintf(stderr, "\rlbsim sweep: %u/%u points, %.1f trials/s, ETA %02u:%02u:%02u  ", done,
            points, dt > 0 ? (double)trials / dt : 0.0, (unsigned)(eta / 3600),
            (unsigned)(eta / 60) % 60, (unsigned)eta % 60);
    fflush(stderr);
    p->shown = true;
}

/* The arguments that change a result, one "key=value" a line, with the
 * hashes of the files they name: the fingerprint's input. */
static char *canonical(const struct sweep_opts *o, uint32_t n_shards)
{
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    uint64_t h;
    if (sweep_hash_file(o->scn_path, SWEEP_FNV_INIT, &h) != 0)
        h = 0;
    fprintf(f, "scenario-fnv1a=%016llx\n", (unsigned long long)h);
    for (uint32_t i = 0; i < o->com.n_plugins; i++) {
        if (sweep_hash_file(o->com.plugins[i], SWEEP_FNV_INIT, &h) != 0)
            h = 0;
        fprintf(f, "plugin-fnv1a=%016llx\n", (unsigned long long)h);
    }
    for (uint32_t i = 0; i < o->com.n_sets; i++)
        fprintf(f, "set=%s=%s\n", o->com.sets[i].path, o->com.sets[i].value);
    for (uint32_t a = 0; a < o->n_axes; a++) {
        fprintf(f, "vary=%s=", o->axes[a].path);
        for (uint32_t i = 0; i < o->axes[a].n; i++)
            fprintf(f, "%s%s", i ? "," : "", o->axes[a].values[i]);
        fputc('\n', f);
    }
    fprintf(f, "mode=%s\n", o->oat ? "one-at-a-time" : "grid");
    for (uint32_t i = 0; i < o->com.n_names; i++)
        fprintf(f, "strategy=%s\n", o->com.names[i]);
    fprintf(f, "replications=%u\nvs=%s\n", o->com.reps, o->com.vs ? o->com.vs : "-");
    if (o->com.seed_set)
        fprintf(f, "seed=%llu\n", (unsigned long long)o->com.seed);
    else
        fputs("seed=-\n", f);
    fprintf(f, "version=" LBSIM_VERSION "\nshards=%u\n", n_shards);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Every value of every axis alone on the base, so that a bad value fails
 * before any simulation, and every shard the same way.  Exit status. */
static int check_values(const struct sweep_opts *o, const struct route_registry *reg)
{
    struct scn_set sets[CLI_SET_MAX + 1];
    memcpy(sets, o->com.sets, o->com.n_sets * sizeof *sets);
    char err[CLI_ERRLEN];
    for (uint32_t a = 0; a < o->n_axes; a++)
        for (uint32_t i = 0; i < o->axes[a].n; i++) {
            sets[o->com.n_sets] = (struct scn_set){o->axes[a].path, o->axes[a].values[i], "--vary"};
            struct scenario scn;
            if (scn_load_set(o->scn_path, reg, sets, o->com.n_sets + 1, &scn, err, sizeof err) !=
                0) {
                fprintf(stderr, "lbsim: %s\n", err);
                return cli_exit_of(err);
            }
            scn_free(&scn);
        }
    return 0;
}

/* The base scenario's strategies (for --vs and the batch size) and head
 * facts. */
static int load_base(const struct sweep_opts *o, const struct route_registry *reg,
                     struct scenario *scn, int *ref, uint32_t *n_strats)
{
    char err[CLI_ERRLEN];
    if (scn_load_set(o->scn_path, reg, o->com.sets, o->com.n_sets, scn, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return cli_exit_of(err);
    }
    struct scn_strategy strats[SCNOPTS_MAX_STRATEGIES];
    uint32_t n;
    if (scnopts_strategies(&o->com, reg, scn, strats, SCNOPTS_MAX_STRATEGIES, &n) != 0)
        return CLI_EXIT_USAGE;
    *n_strats = n;
    return rep_reference(o->com.vs, o->com.reps, strats, n, ref);
}

static int run_sweep(const struct sweep_opts *o, const struct route_registry *reg)
{
    char err[CLI_ERRLEN];
    struct sweep_grid g;
    if (sweep_grid_build(&g, o->axes, o->n_axes, o->oat ? SWEEP_ONE_AT_A_TIME : SWEEP_GRID, err,
                         sizeof err) != 0)
        return args_usage_error(&sweep_spec, "%s", err);
    struct sweep_shard sh = {.k = 1, .n = 1};
    uint32_t n_sel = 0;
    char *canon = NULL;
    struct sim_exp_point *sel = NULL;
    struct sim_exp_result *out = NULL;
    struct sweep_texts texts = {0};
    struct scenario base;
    memset(&base, 0, sizeof base);
    uint32_t n_strats = 1; /* set by load_base */
    int ref, rc = load_base(o, reg, &base, &ref, &n_strats);
    if (rc != 0)
        goto done;
    if (o->shard != NULL) {
        if (sweep_shard_parse(o->shard, &sh.k, &sh.n, err, sizeof err) != 0) {
            fprintf(stderr, "lbsim: %s\n", err);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (sh.n > g.n) {
            fprintf(stderr,
                    "lbsim: --shard %s: %u shards for %u points, expected at most one shard per "
                    "point\n",
                    o->shard, sh.n, g.n);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if ((canon = canonical(o, sh.n)) == NULL) {
            rc = CLI_EXIT_INTERNAL;
            goto done;
        }
        sh.fp = sweep_fnv1a(SWEEP_FNV_INIT, canon, strlen(canon));
        sh.canon = canon;
    }
    if ((rc = check_values(o, reg)) != 0)
        goto done;
    n_sel = (g.n - (sh.k - 1) + sh.n - 1) / sh.n;
    sel = calloc(n_sel, sizeof *sel);
    out = calloc(n_sel < SIM_EXP_CHUNK_TRIALS ? n_sel : SIM_EXP_CHUNK_TRIALS, sizeof *out);
    char fingerprint[SCN_FINGERPRINT_LEN];
    if (scn_fingerprint(&base, o->com.sets, o->com.n_sets, fingerprint, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    struct sweep_info info = {base.name,   o->com.seed_set ? o->com.seed : base.seed,
                              o->com.reps, g.mode,
                              o->axes,     o->n_axes,
                              fingerprint};
    if (sel == NULL || out == NULL || sweep_texts_init(&texts, &info, g.n) != 0) {
        fprintf(stderr, "lbsim: out of memory\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    for (uint32_t i = 0; i < n_sel; i++)
        sel[i] = g.pts[sh.k - 1 + i * sh.n];
    struct progress prog = {wall_seconds(), false, 0, n_sel, 0};
    struct sim_exp e = {.scenario = o->scn_path,
                        .reg = reg,
                        .base = o->com.sets,
                        .n_base = o->com.n_sets,
                        .names = o->com.names,
                        .n_names = o->com.n_names,
                        .seed_set = o->com.seed_set,
                        .seed = o->com.seed,
                        .reps = o->com.reps,
                        .ref = ref,
                        .threads = (int)o->com.threads,
                        .progress = isatty(STDERR_FILENO) ? on_progress : NULL,
                        .progress_ctx = &prog};
    /* Batches of about one chunk of trials: each batch's results become
     * text and are freed before the next, so memory does not grow with the
     * grid (a result holds its TTFT histogram and time series). */
    uint32_t batch = SIM_EXP_CHUNK_TRIALS / (n_strats * o->com.reps);
    batch = batch ? batch : 1;
    uint64_t trials = 0;
    for (uint32_t b0 = 0; b0 < n_sel; b0 += batch) {
        uint32_t nb = n_sel - b0 < batch ? n_sel - b0 : batch;
        prog.points_before = b0;
        prog.trials_before = trials;
        if (sim_exp_run(&e, sel + b0, nb, out, err, sizeof err) != 0) {
            for (uint32_t i = 0; i < nb; i++)
                sim_exp_result_free(&out[i]);
            if (prog.shown)
                fputc('\n', stderr);
            fprintf(stderr, "lbsim: %s\n", err);
            /* bad values, bad trace rows, bad strategies: input errors (2);
               a run that ran out of memory: internal (3, docs/limits.md) */
            rc = cli_exit_of(err);
            goto done;
        }
        for (uint32_t i = 0; i < nb; i++) {
            trials += (uint64_t)out[i].n * o->com.reps;
            int trc =
                sweep_texts_point(&texts, &g, sh.k - 1 + (b0 + i) * sh.n, &out[i], o->com.reps);
            sim_exp_result_free(&out[i]);
            if (trc != 0) {
                for (uint32_t j = i + 1; j < nb; j++)
                    sim_exp_result_free(&out[j]);
                fprintf(stderr, "lbsim: out of memory\n");
                rc = CLI_EXIT_INTERNAL;
                goto done;
            }
        }
    }
    double wall = wall_seconds() - prog.t0;
    if (prog.shown)
        fputc('\n', stderr);
    fprintf(stderr, "lbsim sweep: %u point(s), %llu trial(s) in %.3f s wall (%.1f trials/s)\n",
            n_sel, (unsigned long long)trials, wall, wall > 0 ? (double)trials / wall : 0.0);
    if (o->shard != NULL) {
        rc = sweep_shard_write(o->com.out_dir, &sh, &texts);
        if (rc == 0)
            printf("wrote shard %u/%u (%u of %u points) to %s\n", sh.k, sh.n, n_sel, g.n,
                   o->com.out_dir);
    } else {
        rc = sweep_finish(&texts, o->com.json, o->com.out_dir);
    }
done:
    free(out);
    free(sel);
    free(canon);
    sweep_texts_free(&texts);
    scn_free(&base);
    sweep_grid_free(&g);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    struct sweep_opts *o = malloc(sizeof *o);
    if (o == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    int rc = parse_sweep(argc, argv, o);
    if (rc >= 0) {
        opts_free(o);
        free(o);
        return rc;
    }
    struct cli_plugins pl;
    rc = cli_load_plugins(&pl, o->com.plugins, o->com.n_plugins);
    if (rc == 0) {
        rc = run_sweep(o, &pl.reg);
        cli_plugins_free(&pl); /* after every router and scenario is gone */
    }
    opts_free(o);
    free(o);
    return rc;
}
