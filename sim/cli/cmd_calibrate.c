/*
 * cmd_calibrate.c - `lbsim calibrate FILE...`: fit a GPU pool's knobs to
 * vLLM benchmark_serving results (or a per-request CSV), or an API
 * backend's latency block to request logs, and print the backend entry
 * as YAML (docs/calibrate.md).  The fitting is sim/calib.c; this file
 * reads the options, builds the replay scenarios in a temporary directory
 * (calib_cli.c), prints and times.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "calib.h"
#include "calib_cli.h"
#include "cli.h"
#include "err.h"
#include "pool.h"

static const char *const usage_calibrate =
    "usage: lbsim calibrate FILE... [--profile NAME] [--engine vllm|sglang|none]\n"
    "                       [--name NAME] [--seed N]\n"
    "\n"
    "Fits a backend to measurements and prints its `backends:` entry (YAML) on\n"
    "stdout; the measured and simulated figures go to stderr.\n"
    "\n"
    "  With --profile: a GPU pool.  FILEs are vLLM benchmark_serving.py\n"
    "  --save-result JSONs (one per request rate) or per-request CSVs; mfu,\n"
    "  mem_eff, step_overhead and server_overhead are fitted by replaying each\n"
    "  rate through the simulator (--engine: the pool's batch preset, vllm by\n"
    "  default).\n"
    "  Without --profile: an API backend from ONE per-request CSV (columns\n"
    "  arrival_s|start_s (or _ms), input_tokens, output_tokens, ttft_s|ttft_ms,\n"
    "  e2e_s|latency_s (or _ms)): the TTFT lognormal, prefill_per_token and\n"
    "  the output_rate distribution.\n"
    "\n"
    "exit status: 0 fitted, 1 fitted but the residual (RMS relative error of\n"
    "the figures) is above 15%, 2 bad usage or bad input.\n";

enum { OPT_PROFILE, OPT_ENGINE, OPT_NAME, OPT_SEED };

static const struct args_opt calibrate_options[] = {
    {"--profile", NULL, ARGS_VALUE, OPT_PROFILE},
    {"--engine", NULL, ARGS_VALUE, OPT_ENGINE},
    {"--name", NULL, ARGS_VALUE, OPT_NAME},
    {"--seed", NULL, ARGS_VALUE, OPT_SEED},
};

static const struct args_spec calibrate_spec = {
    .who = "lbsim calibrate",
    .usage = usage_calibrate,
    .opts = calibrate_options,
    .n_opts = ARGS_COUNT(calibrate_options),
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fig_row(uint32_t i, const char *file, double rate, const char *what, double scale,
                    double meas, double sim)
{
    double e = sim_calib_rel(sim, meas);
    char m[32] = "-", s[32] = "-", r[32] = "-";
    if (isfinite(meas))
        snprintf(m, sizeof m, "%.3f", meas * scale);
    if (isfinite(sim))
        snprintf(s, sizeof s, "%.3f", sim * scale);
    if (isfinite(e))
        snprintf(r, sizeof r, "%+.1f%%", 100 * e);
    fprintf(stderr, "%-3u %-28.28s %8.2f  %-14s %10s %10s %8s\n", i + 1, file, rate, what, m, s, r);
}

/* Durations in the YAML: integer microseconds, which every duration key
 * reads exactly. */
static long long us_of(double ns)
{
    return llround(ns / 1e3);
}

static int fit_pool(char **files, const struct sim_calib_point *pts, uint32_t n,
                    const char *profile, const char *engine, const char *name, uint64_t seed)
{
    char err[CLI_ERRLEN] = "";
    const char *root = getenv("TMPDIR");
    char dir[SCN_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/lbsim_calibrate_XXXXXX", root && root[0] ? root : "/tmp");
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "lbsim calibrate: cannot create a temporary directory under %s\n",
                root && root[0] ? root : "/tmp");
        return CLI_EXIT_INTERNAL;
    }
    struct scenario scn[SIM_CALIB_MAX_POINTS];
    struct scenario *sp[SIM_CALIB_MAX_POINTS];
    int rc = cli_calib_scenarios(dir, profile, engine, pts, n, seed, scn, err, sizeof err);
    if (rc) {
        cli_calib_cleanup(dir, n);
        rmdir(dir);
        fprintf(stderr, "lbsim calibrate: %s\n", err);
        return rc == BASE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
    }
    for (uint32_t i = 0; i < n; i++)
        sp[i] = &scn[i];
    struct sim_calib_fit fit;
    double t0 = now_s();
    rc = sim_calib_pool_fit(sp, pts, n, seed, &fit, err, sizeof err);
    double took = now_s() - t0;
    for (uint32_t i = 0; i < n; i++)
        scn_free(&scn[i]);
    cli_calib_cleanup(dir, n);
    rmdir(dir);
    if (rc) {
        fprintf(stderr, "lbsim calibrate: %s\n", err);
        return rc == BASE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
    }
    fprintf(stderr, "%-3s %-28s %8s  %-14s %10s %10s %8s\n", "#", "file", "rate/s", "figure",
            "measured", "simulated", "error");
    for (uint32_t i = 0; i < n; i++) {
        const struct sim_calib_point *p = &pts[i];
        const struct sim_calib_sim *s = &fit.sim[i];
        const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
        fig_row(i, base, p->rate_per_s, "TTFT p50 ms", 1e3, p->ttft_p50_s, s->ttft_p50_s);
        fig_row(i, base, p->rate_per_s, "TPOT p50 ms", 1e3, p->tpot_p50_s, s->tpot_p50_s);
        fig_row(i, base, p->rate_per_s, "req/s", 1, p->req_per_s, s->req_per_s);
        fig_row(i, base, p->rate_per_s, "TTFT p99 ms*", 1e3, p->ttft_p99_s, s->ttft_p99_s);
        uint32_t replayed = p->n ? p->n : p->completed;
        if (replayed > SIM_CALIB_REPLAY_MAX)
            replayed = SIM_CALIB_REPLAY_MAX;
        if (s->completed < replayed)
            fprintf(stderr,
                    "    warning: %u of the %u replayed requests did not complete (larger than "
                    "the profile's KV capacity): the simulated figures leave them out\n",
                    replayed - s->completed, replayed);
    }
    fprintf(stderr,
            "(* not fitted, shown for reference)\n"
            "residual %.1f%% (RMS relative error of %u fitted figures; above %.0f%% exits 1)\n"
            "%u simulations (sim_run, up to %u requests per point) in %.1f s\n",
            100 * fit.residual, fit.figures, 100 * SIM_CALIB_MAX_RESIDUAL, fit.sims,
            SIM_CALIB_REPLAY_MAX, took);
    if (fit.figures < 4)
        fprintf(stderr,
                "note: %u measured figure%s for 4 knobs: the knobs they do not constrain stay "
                "near the profile defaults (docs/calibrate.md \"What is fitted\")\n",
                fit.figures, fit.figures == 1 ? "" : "s");
    printf("# lbsim calibrate: %s from %u point%s, residual %.1f%%\n", profile, n,
           n == 1 ? "" : "s", 100 * fit.residual);
    printf("backends:\n"
           "  - name: %s\n"
           "    kind: pool\n"
           "    profile: %s\n"
           "    engine: %s\n"
           "    replicas: 1\n"
           "    mfu: %.3f\n"
           "    mem_eff: %.3f\n"
           "    step_overhead: %lldus\n"
           "    server_overhead: %lldus\n",
           name, profile, engine, fit.k.mfu, fit.k.mem_eff, us_of(fit.k.step_overhead_ns),
           us_of(fit.k.server_overhead_ns));
    return fit.residual <= SIM_CALIB_MAX_RESIDUAL ? CLI_EXIT_OK : CLI_EXIT_SLO;
}

static int fit_api(const char *file, const struct sim_calib_point *pt, const char *name)
{
    char err[CLI_ERRLEN] = "";
    struct sim_calib_api a;
    if (sim_calib_api_fit(pt, &a, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim calibrate: %s: %s\n", file, err);
        return CLI_EXIT_USAGE;
    }
    fprintf(stderr, "%u rows; input tokens mean %.0f\n", a.rows, pt->mean_in);
    if (!a.inputs_vary)
        fprintf(stderr,
                "prefill_per_token: the input lengths do not vary enough to regress TTFT on them "
                "(coefficient of variation below %.2f): left 0\n",
                SIM_CALIB_MIN_INPUT_CV);
    else
        fprintf(stderr,
                "prefill_per_token: slope %.3g s/token, standard error %.3g (t = %.1f): %s\n",
                a.slope_s_per_token, a.slope_se, a.slope_s_per_token / a.slope_se,
                a.slope_used ? "used" : "not significant or not positive, left 0");
    fprintf(stderr, "%-16s %10s %10s %8s\n", "figure", "measured", "model", "error");
    double m[3] = {a.ttft_p50_meas_s * 1e3, a.ttft_p99_meas_s * 1e3, a.rate_median_tps};
    double s[3] = {a.ttft_p50_sim_s * 1e3, a.ttft_p99_sim_s * 1e3, a.rate_p50_sim_tps};
    const char *w[3] = {"TTFT p50 ms", "TTFT p99 ms", "output tok/s p50"};
    for (int i = 0; i < 3; i++)
        fprintf(stderr, "%-16s %10.3f %10.3f %+7.1f%%\n", w[i], m[i], s[i],
                100 * sim_calib_rel(s[i], m[i]));
    fprintf(stderr, "residual %.1f%% (RMS relative error; above %.0f%% exits 1)\n",
            100 * a.residual, 100 * SIM_CALIB_MAX_RESIDUAL);
    /* A lognormal needs p99 above its median; equal samples give a
     * constant, written as such. */
    printf("# lbsim calibrate: %s, %u requests, residual %.1f%%\n", file, a.rows, 100 * a.residual);
    printf("backends:\n  - name: %s\n    kind: api\n    latency:\n", name);
    if (a.ttft_p99_s > a.ttft_median_s)
        printf("      ttft: {dist: lognormal, median: %lldus, p99: %lldus}\n",
               us_of(a.ttft_median_s * 1e9), us_of(a.ttft_p99_s * 1e9));
    else
        printf("      ttft: %lldus\n", us_of(a.ttft_median_s * 1e9));
    printf("      prefill_per_token: %lldns\n", llround(a.prefill_s_per_token * 1e9));
    if (a.rate_p99_tps > a.rate_median_tps)
        printf("      output_rate: {dist: lognormal, median: %.2f, p99: %.2f}\n", a.rate_median_tps,
               a.rate_p99_tps);
    else
        printf("      output_rate: %.2f\n", a.rate_median_tps);
    return a.residual <= SIM_CALIB_MAX_RESIDUAL ? CLI_EXIT_OK : CLI_EXIT_SLO;
}

int cmd_calibrate(int argc, char **argv)
{
    char *files[SIM_CALIB_MAX_POINTS];
    uint32_t n = 0;
    const char *profile = NULL, *engine = "vllm", *name = "calibrated";
    uint64_t seed = 1;
    struct args a;
    args_init(&a, &calibrate_spec, argc, argv, 2);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (n == SIM_CALIB_MAX_POINTS)
                return args_usage_error(&calibrate_spec,
                                        "more than "
                                        "16"
                                        " FILEs at '%s'",
                                        a.value);
            files[n++] = (char *)a.value;
            continue;
        }
        if (t != ARGS_OPTION)
            return args_stop(&a, t);
        switch (a.opt->id) {
        case OPT_PROFILE:
            profile = a.value;
            break;
        case OPT_ENGINE:
            engine = a.value;
            break;
        case OPT_NAME:
            name = a.value;
            break;
        case OPT_SEED: {
            char *e = NULL;
            unsigned long long v = strtoull(a.value, &e, 10);
            if (e == a.value || *e != '\0' || a.value[0] == '-')
                return args_usage_error(&calibrate_spec,
                                        "--seed: '%s' is not a non-negative "
                                        "integer",
                                        a.value);
            seed = v;
            break;
        }
        }
    }
    if (n == 0)
        return args_usage_error(&calibrate_spec, "%s", "missing FILE");
    if (strcmp(engine, "vllm") != 0 && strcmp(engine, "sglang") != 0 && strcmp(engine, "none") != 0)
        return args_usage_error(&calibrate_spec, "--engine: '%s' is not one of vllm, sglang, none",
                                engine);
    if (profile != NULL && pool_profile_find(profile) == NULL) {
        fprintf(stderr, "lbsim calibrate: --profile: found '%s', expected one of:", profile);
        for (uint32_t i = 0; i < pool_profile_count(); i++)
            fprintf(stderr, "%s %s", i ? "," : "", pool_profile_at(i)->name);
        fprintf(stderr, "\n");
        return CLI_EXIT_USAGE;
    }
    struct sim_calib_point pts[SIM_CALIB_MAX_POINTS];
    char err[CLI_ERRLEN] = "";
    int rc = CLI_EXIT_OK;
    uint32_t got = 0;
    for (; got < n; got++)
        if ((rc = sim_calib_read(files[got], &pts[got], err, sizeof err)) != 0) {
            fprintf(stderr, "lbsim calibrate: %s\n", err);
            rc = rc == BASE_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
            goto out;
        }
    if (profile != NULL) {
        rc = fit_pool(files, pts, n, profile, engine, name, seed);
    } else if (pts[0].format != SIM_CALIB_CSV || n != 1) {
        fprintf(stderr,
                "lbsim calibrate: %s: found %s without --profile, expected --profile NAME for a "
                "GPU pool (or one per-request CSV for an API backend)\n",
                files[0], pts[0].format == SIM_CALIB_CSV ? "several CSVs" : "a vLLM benchmark");
        rc = CLI_EXIT_USAGE;
    } else {
        rc = fit_api(files[0], &pts[0], name);
    }
out:
    for (uint32_t i = 0; i < got; i++)
        sim_calib_point_free(&pts[i]);
    return rc;
}
