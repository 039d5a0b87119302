/*
 * val_calibrate.c - `lbsim calibrate` recovers knobs it did not see.
 *
 * The truth: an H100 / Llama-3.1-8B replica (engine: vllm) with mfu 0.35,
 * mem_eff 0.7, step_overhead 0.5 ms and server_overhead 5 ms serves
 * Poisson traffic at 5, 20 and 40 req/s (600 requests each, input 128 to
 * 1,024 tokens, output 32 to 256, uniform).  This test runs that through
 * sim_run with its own hook and its own medians, writes what it measured
 * as vLLM benchmark_serving --save-result JSONs (one per rate, with
 * --save-detailed's input_lens and output_lens), then fits them through
 * the library calls `lbsim calibrate` makes (sim_calib_read,
 * cli_calib_scenarios, sim_calib_pool_fit) with a different arrival seed
 * than the truth, so the fit sees other Poisson draws than the truth did.
 *
 * Tolerances (docs/calibrate.md "Validation"): mfu within 0.05, server
 * overhead within 1.5 ms, and the per-step fixed time (step_overhead +
 * weights / (bandwidth x mem_eff): mem_eff and step_overhead are not
 * separately identifiable from medians, only their sum is) within 5%;
 * residual below 5%.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib.h"
#include "calib_cli.h"
#include "check.h"
#include "rng.h"
#include "sim.h"
#include "tmp.h"

#define N_RATES 3
#define N_REQ   600u
#define PROFILE "h100-llama3.1-8b"

static const double rates[N_RATES] = {5, 20, 40};
static const struct sim_calib_knobs truth = {0.35, 0.7, 0.5e6, 5e6};

struct meas {
    double *ttft, *tpot;
    uint32_t n, n_tpot;
    int64_t last_done;
};

static void rec(void *ctx, const struct sim_req_record *r)
{
    struct meas *m = ctx;
    if (r->final_status != 200)
        return;
    m->ttft[m->n++] = (double)(r->first_token_ns - r->arrival_ns) / 1e9;
    if (r->output_tokens > 1)
        m->tpot[m->n_tpot++] =
            (double)(r->done_ns - r->first_token_ns) / 1e9 / (double)(r->output_tokens - 1);
    if (r->done_ns > m->last_done)
        m->last_done = r->done_ns;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's median: the mean of the middle two of an even count. */
static double median(double *v, uint32_t n)
{
    qsort(v, n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Time per step that does not depend on the batch: step_overhead plus one
 * read of the weights (pool_profiles.c). */
static double t_fixed_ms(const struct sim_calib_knobs *k)
{
    const struct pool_profile *p = pool_profile_find(PROFILE);
    struct pool_calib c = {k->mfu, k->mem_eff, k->step_overhead_ns};
    struct pool_perf perf;
    if (pool_profile_perf_calib(p, &c, &perf) != POOL_OK)
        return NAN;
    return perf.t_fixed_ns / 1e6;
}

int main(void)
{
    char dir[TMP_DIR_MAX], tdir[TMP_DIR_MAX];
    CHECK(tmp_dir(dir, sizeof dir, "val_calibrate") == 0);
    CHECK(tmp_dir(tdir, sizeof tdir, "val_calibrate_truth") == 0);
    struct sim_calib_point gen[N_RATES];
    struct rng g;
    rng_seed(&g, 7);
    for (int i = 0; i < N_RATES; i++) {
        memset(&gen[i], 0, sizeof gen[i]);
        gen[i].rate_per_s = rates[i];
        gen[i].n = gen[i].completed = N_REQ;
        gen[i].in = malloc(N_REQ * sizeof *gen[i].in);
        gen[i].out = malloc(N_REQ * sizeof *gen[i].out);
        for (uint32_t k = 0; k < N_REQ; k++) {
            gen[i].in[k] = 128 + rng_below(&g, 897);
            gen[i].out[k] = 32 + rng_below(&g, 225);
        }
    }
    /* The truth, measured, written as benchmark JSONs. */
    struct scenario ts[N_RATES];
    char err[1024] = "";
    int rc = cli_calib_scenarios(tdir, PROFILE, "vllm", gen, N_RATES, 99, ts, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    CHECK_INT_EQ(rc, 0);
    char files[N_RATES][TMP_PATH_MAX];
    for (int i = 0; rc == 0 && i < N_RATES; i++) {
        struct scn_pool *p = &ts[i].pools[0];
        struct pool_calib c = {truth.mfu, truth.mem_eff, truth.step_overhead_ns};
        uint32_t mb = p->cfg.perf.max_batch;
        CHECK_INT_EQ(pool_profile_perf_calib(p->profile, &c, &p->cfg.perf), POOL_OK);
        p->cfg.perf.max_batch = mb;
        p->cfg.server_overhead_ns = (int64_t)truth.server_overhead_ns;
        struct meas m = {malloc(N_REQ * sizeof(double)), malloc(N_REQ * sizeof(double)), 0, 0, 0};
        struct sim_hooks h = {.on_request = rec, .ctx = &m};
        struct sim_result res;
        CHECK_INT_EQ(sim_run(&ts[i], &ts[i].router.strategy, 99, &h, &res, err, sizeof err), 0);
        sim_result_free(&res);
        CHECK_INT_EQ(m.n, N_REQ);
        double dur = (double)m.last_done / 1e9;
        size_t cap = 64 + (size_t)N_REQ * 24;
        char *json = malloc(cap);
        size_t o = (size_t)snprintf(
            json, cap,
            "{\"backend\": \"vllm\", \"request_rate\": %.1f, \"burstiness\": 1.0, \"completed\": "
            "%u, \"duration\": %.6f, \"request_throughput\": %.6f, \"median_ttft_ms\": %.6f, "
            "\"median_tpot_ms\": %.6f, \"input_lens\": [",
            rates[i], m.n, dur, m.n / dur, 1e3 * median(m.ttft, m.n),
            1e3 * median(m.tpot, m.n_tpot));
        for (uint32_t k = 0; k < N_REQ; k++)
            o += (size_t)snprintf(json + o, cap - o, "%s%lld", k ? ", " : "",
                                  (long long)gen[i].in[k]);
        o += (size_t)snprintf(json + o, cap - o, "], \"output_lens\": [");
        for (uint32_t k = 0; k < N_REQ; k++)
            o += (size_t)snprintf(json + o, cap - o, "%s%lld", k ? ", " : "",
                                  (long long)gen[i].out[k]);
        snprintf(json + o, cap - o, "], \"generated_texts\": [\"a \\\"b\\\"\"]}\n");
        char name[32];
        snprintf(name, sizeof name, "rate%d.json", (int)rates[i]);
        CHECK(tmp_path(files[i], sizeof files[i], dir, name) == 0);
        CHECK(tmp_write_str(files[i], json) == 0);
        free(json);
        free(m.ttft);
        free(m.tpot);
        scn_free(&ts[i]);
    }
    cli_calib_cleanup(tdir, N_RATES);
    rmdir(tdir);
    /* The fit, from the files. */
    struct sim_calib_point pts[N_RATES];
    struct scenario scn[N_RATES];
    struct scenario *sp[N_RATES];
    for (int i = 0; i < N_RATES; i++) {
        CHECK_INT_EQ(sim_calib_read(files[i], &pts[i], err, sizeof err), 0);
        CHECK_INT_EQ(pts[i].n, N_REQ);
        sp[i] = &scn[i];
    }
    CHECK_INT_EQ(cli_calib_scenarios(dir, PROFILE, "vllm", pts, N_RATES, 1, scn, err, sizeof err),
                 0);
    struct sim_calib_fit fit;
    rc = sim_calib_pool_fit(sp, pts, N_RATES, 1, &fit, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    CHECK_INT_EQ(rc, 0);
    printf("truth: mfu %.3f mem_eff %.3f step %.3f ms server %.3f ms (t_fixed %.3f ms)\n",
           truth.mfu, truth.mem_eff, truth.step_overhead_ns / 1e6, truth.server_overhead_ns / 1e6,
           t_fixed_ms(&truth));
    printf("fit:   mfu %.3f mem_eff %.3f step %.3f ms server %.3f ms (t_fixed %.3f ms), residual "
           "%.2f%%, %u simulations\n",
           fit.k.mfu, fit.k.mem_eff, fit.k.step_overhead_ns / 1e6, fit.k.server_overhead_ns / 1e6,
           t_fixed_ms(&fit.k), 100 * fit.residual, fit.sims);
    for (int i = 0; i < N_RATES; i++)
        printf(
            "  rate %4.0f: TTFT p50 %.2f / %.2f ms, TPOT p50 %.3f / %.3f ms, %.2f / %.2f req/s\n",
            rates[i], 1e3 * pts[i].ttft_p50_s, 1e3 * fit.sim[i].ttft_p50_s, 1e3 * pts[i].tpot_p50_s,
            1e3 * fit.sim[i].tpot_p50_s, pts[i].req_per_s, fit.sim[i].req_per_s);
    CHECK(fabs(fit.k.mfu - truth.mfu) <= 0.05);
    CHECK(fabs(fit.k.server_overhead_ns - truth.server_overhead_ns) <= 1.5e6);
    CHECK(fabs(t_fixed_ms(&fit.k) / t_fixed_ms(&truth) - 1) <= 0.05);
    CHECK(fit.residual < 0.05);
    for (int i = 0; i < N_RATES; i++) {
        scn_free(&scn[i]);
        sim_calib_point_free(&pts[i]);
        free(gen[i].in);
        free(gen[i].out);
        remove(files[i]);
    }
    cli_calib_cleanup(dir, N_RATES);
    rmdir(dir);
    return check_report("val_calibrate");
}
