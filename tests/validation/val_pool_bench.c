/*
 * val_pool_bench.c - the GPU pool model against published vLLM benchmark
 * runs (docs/notes/gpu-benchmarks.md records each source and its numbers).
 *
 * Each case is replayed through the pool model alone (models/pool.h: one
 * replica, every request enqueued at t = 0, as the offline benchmarks do)
 * and the published and simulated figures are PRINTED with the relative
 * error.  The checks are loose bounds that document today's accuracy; they
 * are not a fit (no knob is tuned here: the profiles' defaults are used).
 *
 *  - latency: vLLM benchmark_latency, 8 prompts of 32 tokens, 128 output
 *    tokens each, end-to-end time of the batch;
 *  - throughput: vLLM benchmark_throughput, 200 ShareGPT prompts at once,
 *    requests per second.  The 200 (input, output) lengths are drawn with a
 *    fixed seed from a lognormal fitted to the published ShareGPT means
 *    under vLLM's filter (the per-prompt lengths are not published; see
 *    sharegpt_lengths and the note), so the makespan is set by the longest
 *    outputs decoded in a shrinking batch, as in the real run;
 *  - serving: vLLM benchmark_serving, the same 200 prompts at 1 QPS
 *    (Poisson), median TTFT and median inter-token time, on H200 (the only
 *    GPU whose serving table was retrieved; a validation-only H200 profile,
 *    checked first against the H200 latency test);
 *  - KV concurrency of 500-in / 2,000-out requests on H100 / 8B: how many run
 *    at once (no published run; the vLLM figure is worked out in the note).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "check.h"

#define NS_PER_MS 1e6

/* ---- ShareGPT lengths (docs/notes/gpu-benchmarks.md, section 2) -------
 *
 * No public per-request length file of the benchmark's 200-prompt sample
 * was found, so the lengths are DRAWN from a fitted distribution (an
 * assumption, stated in the note): input and output each lognormal with
 * shape sigma, truncated by vLLM's ShareGPT filter (input 4..1024, output
 * >= 4, input + output <= 2048; vllm benchmarks/benchmark_dataset.py
 * ShareGPTDataset / is_valid_sequence), with mu fitted so that the
 * truncated means are the published 197 in / 202 out (Llama-3 tokenizer,
 * the note's lambdalabs run).  The sigma is not published: SHAREGPT_SIGMA
 * is the assumption and the table also prints 0.75 and 1.25. */
#define SHAREGPT_MEAN_IN   197.0
#define SHAREGPT_MEAN_OUT  202.0
#define SHAREGPT_MAX_IN    1024
#define SHAREGPT_MAX_TOTAL 2048
#define SHAREGPT_MIN       4
#define SHAREGPT_SIGMA     1.0
#define SHAREGPT_SEED      0x5eedULL /* fixed: the table is reproducible */
#define FIT_DRAWS          20000

struct rng {
    uint64_t s;
};

static double rng_unit(struct rng *g) /* splitmix64 -> (0, 1) */
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(struct rng *g)
{
    double u = rng_unit(g), v = rng_unit(g);
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

/* One (in, out) pair: lognormal draws kept only if the filter accepts. */
static void draw_pair(struct rng *g, double mu_in, double mu_out, double sigma, int64_t *in,
                      int64_t *out)
{
    for (;;) {
        int64_t i = llround(exp(mu_in + sigma * rng_normal(g)));
        int64_t o = llround(exp(mu_out + sigma * rng_normal(g)));
        if (i >= SHAREGPT_MIN && i <= SHAREGPT_MAX_IN && o >= SHAREGPT_MIN &&
            i + o <= SHAREGPT_MAX_TOTAL) {
            *in = i;
            *out = o;
            return;
        }
    }
}

/* Mean input (which = 0) or output (1) of FIT_DRAWS accepted pairs. */
static double fit_mean(double mu_in, double mu_out, double sigma, int which)
{
    struct rng g = {SHAREGPT_SEED ^ 0xf17ULL};
    double sum = 0;
    for (int k = 0; k < FIT_DRAWS; k++) {
        int64_t i, o;
        draw_pair(&g, mu_in, mu_out, sigma, &i, &o);
        sum += (double)(which == 0 ? i : o);
    }
    return sum / FIT_DRAWS;
}

/* mu of one side by bisection (the mean rises with mu; same draws each
 * time), the other side held. */
static double fit_mu(double sigma, double mu_other, int which, double target)
{
    double lo = 0.0, hi = 8.0;
    for (int it = 0; it < 40; it++) {
        double mid = 0.5 * (lo + hi);
        double m =
            which == 0 ? fit_mean(mid, mu_other, sigma, 0) : fit_mean(mu_other, mid, sigma, 1);
        if (m < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* n ShareGPT-like (in, out) pairs for shape sigma. */
static void sharegpt_lengths(double sigma, uint32_t n, int64_t *in, int64_t *out)
{
    double mi = log(SHAREGPT_MEAN_IN) - sigma * sigma / 2,
           mo = log(SHAREGPT_MEAN_OUT) - sigma * sigma / 2;
    for (int pass = 0; pass < 3; pass++) { /* the filter couples the sides */
        mi = fit_mu(sigma, mo, 0, SHAREGPT_MEAN_IN);
        mo = fit_mu(sigma, mi, 1, SHAREGPT_MEAN_OUT);
    }
    struct rng g = {SHAREGPT_SEED};
    for (uint32_t k = 0; k < n; k++)
        draw_pair(&g, mi, mo, sigma, &in[k], &out[k]);
}

enum bench_kind { BENCH_LATENCY, BENCH_THROUGHPUT };

struct bench {
    const char *name;
    const char *profile;
    enum bench_kind kind;
    uint32_t n;       /* requests, all at t = 0 */
    int64_t in, out;  /* latency: tokens per request (throughput: ShareGPT draws) */
    double published; /* latency: ms of the batch; throughput: req/s */
    double tol;       /* |relative error| accepted: latency 15%; throughput 40%, today's
                         -26..-36% plus the +-10 points the assumed length spread
                         moves it (the note, section 2) */
    const char *source;
};

/* docs/notes/gpu-benchmarks.md, rows B1-B6. */
static const struct bench cases[] = {
    {"B1 latency 8B TP1", "h100-llama3.1-8b", BENCH_LATENCY, 8, 32, 128, 997.542, 0.15,
     "vLLM perf benchmark, latency_llama8B_tp1, 8xH100"},
    {"B2 latency 70B TP4", "h100x4-llama3.1-70b", BENCH_LATENCY, 8, 32, 128, 2444.47, 0.15,
     "vLLM perf benchmark, latency_llama70B_tp4, 8xH100"},
    {"B3 latency 8B TP1", "a100-llama3.1-8b", BENCH_LATENCY, 8, 32, 128, 1585.43, 0.15,
     "vLLM perf benchmark, latency_llama8B_tp1, A100-SXM4-80GB"},
    {"B4 thruput 8B TP1", "h100-llama3.1-8b", BENCH_THROUGHPUT, 200, 0, 0, 19.5005, 0.40,
     "vLLM perf benchmark, throughput_llama8B_tp1, 8xH100"},
    {"B5 thruput 70B TP4", "h100x4-llama3.1-70b", BENCH_THROUGHPUT, 200, 0, 0, 8.86239, 0.40,
     "vLLM perf benchmark, throughput_llama70B_tp4, 8xH100"},
    {"B6 thruput 8B TP1", "a100-llama3.1-8b", BENCH_THROUGHPUT, 200, 0, 0, 11.0511, 0.40,
     "vLLM perf benchmark, throughput_llama8B_tp1, A100-SXM4-80GB"},
};
#define N_CASES  (sizeof cases / sizeof cases[0])
#define MAX_REQS 200

/* What one replay measured. */
struct replay_out {
    int64_t end_ns;           /* the last DONE */
    double ttft_ns[MAX_REQS]; /* first token - arrival */
    double itl_ns[MAX_REQS];  /* (done - first token) / (out - 1), out > 1 */
    uint32_t n_itl;
};

/* Run n requests (lengths in[], out[]) on one replica to the end; arr_ns
 * NULL = all enqueued at t = 0 (the offline benchmarks), else arrival times
 * (ascending). */
static int replay(const struct pool_cfg *cfg, uint32_t n, const int64_t *in, const int64_t *out,
                  const int64_t *arr_ns, struct replay_out *ro)
{
    struct pool *p = NULL;
    char err[128];
    if (n > MAX_REQS || pool_create(cfg, &p, err, sizeof err) != POOL_OK) {
        fprintf(stderr, "pool_create: %s\n", err);
        return -1;
    }
    uint32_t cap = pool_max_events(p), k = 0, done = 0, next = 0;
    struct pool_event *ev = malloc(cap * sizeof *ev);
    int64_t first[MAX_REQS];
    int rc = ev == NULL ? -1 : 0;
    ro->n_itl = 0;
    while (rc == 0 && done < n) {
        int64_t t = pool_next_event(p, 0);
        int64_t a = next < n ? (arr_ns ? arr_ns[next] : 0) : -1;
        if (a >= 0 && (t < 0 || a <= t)) {
            struct pool_req rq = {.idx = next,
                                  .gen = 1,
                                  .input_tokens = in[next],
                                  .output_tokens = out[next],
                                  .enq_ns = a};
            if (pool_enqueue(p, 0, &rq) != POOL_OK)
                rc = -1;
            next++;
            continue;
        }
        if (t < 0 || pool_step(p, 0, t, ev, cap, &k) != POOL_OK) {
            rc = -1;
            break;
        }
        for (uint32_t j = 0; j < k; j++) {
            uint32_t i = ev[j].idx;
            int64_t arr = arr_ns ? arr_ns[i] : 0;
            if (ev[j].kind == POOL_EV_FIRST_TOKEN) {
                first[i] = t;
                ro->ttft_ns[i] = (double)(t - arr);
            } else if (ev[j].kind == POOL_EV_DONE) {
                done++;
                ro->end_ns = t;
                if (out[i] > 1)
                    ro->itl_ns[ro->n_itl++] = (double)(t - first[i]) / (double)(out[i] - 1);
            }
        }
    }
    free(ev);
    pool_destroy(p);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, uint32_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The simulated figure of case c under cfg (throughput: lengths in/out). */
static double simulate(const struct bench *c, const struct pool_cfg *cfg, const int64_t *in,
                       const int64_t *out)
{
    static struct replay_out ro;
    int64_t fin[MAX_REQS], fout[MAX_REQS];
    if (c->kind == BENCH_LATENCY) {
        for (uint32_t i = 0; i < c->n; i++) {
            fin[i] = c->in;
            fout[i] = c->out;
        }
        in = fin;
        out = fout;
    }
    if (replay(cfg, c->n, in, out, NULL, &ro) != 0) {
        CHECK(0);
        return NAN;
    }
    if (c->kind == BENCH_LATENCY)
        return (double)ro.end_ns / NS_PER_MS;
    return (double)c->n / ((double)ro.end_ns / 1e9);
}

/* cfg with vLLM's engine defaults (models/pool_profiles.c). */
static void vllm_cfg(const struct pool_profile *pr, struct pool_cfg *cfg)
{
    uint32_t mb = 0, ch = 0;
    CHECK_INT_EQ(pool_engine_defaults(pr, POOL_ENGINE_VLLM, cfg->perf.kv_capacity_tokens, &mb, &ch),
                 POOL_OK);
    cfg->perf.max_batch = mb;
    cfg->chunked_prefill_tokens = ch;
    cfg->budget_counts_decode = true;
}

static void test_table(void)
{
    static int64_t in[MAX_REQS], out[MAX_REQS];
    sharegpt_lengths(SHAREGPT_SIGMA, MAX_REQS, in, out);
    int64_t si = 0, so = 0, mo = 0;
    for (int k = 0; k < MAX_REQS; k++) {
        CHECK(in[k] >= SHAREGPT_MIN && in[k] <= SHAREGPT_MAX_IN && out[k] >= SHAREGPT_MIN &&
              in[k] + out[k] <= SHAREGPT_MAX_TOTAL);
        si += in[k];
        so += out[k];
        mo = out[k] > mo ? out[k] : mo;
    }
    printf("ShareGPT draws (sigma %.2f, seed %#llx): 200 requests, mean in %.1f, mean out %.1f, "
           "longest out %lld\n",
           SHAREGPT_SIGMA, (unsigned long long)SHAREGPT_SEED, si / 200.0, so / 200.0,
           (long long)mo);
    printf("%-20s %-20s %10s %10s %7s %10s %7s %10s %7s %10s %7s\n", "case", "profile", "published",
           "add", "err", "roof", "err", "add+vllm", "err", "roof+vllm", "err");
    for (size_t i = 0; i < N_CASES; i++) {
        const struct bench *c = &cases[i];
        const struct pool_profile *pr = pool_profile_find(c->profile);
        CHECK(pr != NULL);
        if (pr == NULL)
            continue;
        /* [engine none, vllm] x [additive, roofline] */
        struct pool_cfg cfg[2][2];
        double sim[2][2], err[2][2];
        for (int e = 0; e < 2; e++)
            for (int m = 0; m < 2; m++) {
                CHECK_INT_EQ(pool_cfg_init(&cfg[e][m], pr), POOL_OK);
                if (e == 1)
                    vllm_cfg(pr, &cfg[e][m]);
                cfg[e][m].step_model = m == 0 ? POOL_STEP_ADDITIVE : POOL_STEP_ROOFLINE;
                sim[e][m] = simulate(c, &cfg[e][m], in, out);
                err[e][m] = (sim[e][m] - c->published) / c->published;
            }
        printf(
            "%-20s %-20s %10.2f %10.2f %+6.1f%% %10.2f %+6.1f%% %10.2f %+6.1f%% %10.2f %+6.1f%%   "
            "%s\n",
            c->name, c->profile, c->published, sim[0][0], 100 * err[0][0], sim[0][1],
            100 * err[0][1], sim[1][0], 100 * err[1][0], sim[1][1], 100 * err[1][1],
            c->kind == BENCH_LATENCY ? "ms" : "req/s");
        for (int e = 0; e < 2; e++)
            for (int m = 0; m < 2; m++)
                CHECK(fabs(err[e][m]) < c->tol);
        if (c->kind != BENCH_THROUGHPUT)
            continue;
        /* How much the unpublished length spread moves the figure. */
        for (int sg = 0; sg < 2; sg++) {
            static int64_t in2[MAX_REQS], out2[MAX_REQS];
            double sigma = sg == 0 ? 0.75 : 1.25;
            sharegpt_lengths(sigma, MAX_REQS, in2, out2);
            double a = simulate(c, &cfg[1][0], in2, out2), r = simulate(c, &cfg[1][1], in2, out2);
            printf("    sigma %.2f: vllm additive %.2f req/s (%+.1f%%), roofline %.2f (%+.1f%%)\n",
                   sigma, a, 100 * (a - c->published) / c->published, r,
                   100 * (r - c->published) / c->published);
        }
    }
}

/* Step times of H100 / 8B under both step models (the note, section 6):
 * decode-only steps at batch b, each request at the latency test's mean
 * context (32 prompt + 64 generated tokens), and a vLLM mixed step (8,192
 * scheduled tokens: b decode + 8,192 - b prompt tokens, chunk context 0). */
#define STEP_CTX 96

static void test_step_times(void)
{
    const struct pool_profile *pr = pool_profile_find("h100-llama3.1-8b");
    struct pool_perf f;
    CHECK_INT_EQ(pool_profile_perf(pr, &f), POOL_OK);
    printf("H100 8B step times (ms): compute %.4f ms/token, weight read %.3f ms, overhead %.3f "
           "ms, KV %.3f us/token\n",
           f.t_prefill_ns_per_token / NS_PER_MS, f.t_weights_ns / NS_PER_MS,
           (f.t_fixed_ns - f.t_weights_ns) / NS_PER_MS, f.t_kv_ns_per_token / 1e3);
    static const uint32_t batches[] = {1, 8, 64, 256};
    for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
        uint32_t b = batches[i];
        int64_t kv = (int64_t)b * STEP_CTX, pf = 8192 - (int64_t)b;
        double a = pool_step_ns_model(&f, POOL_STEP_ADDITIVE, 0, b, kv) / NS_PER_MS;
        double r = pool_step_ns_model(&f, POOL_STEP_ROOFLINE, 0, b, kv) / NS_PER_MS;
        double am = pool_step_ns_model(&f, POOL_STEP_ADDITIVE, pf, b, kv) / NS_PER_MS;
        double rm = pool_step_ns_model(&f, POOL_STEP_ROOFLINE, pf, b, kv) / NS_PER_MS;
        printf("  batch %3u: decode additive %.3f, roofline %.3f; mixed 8192-token step "
               "additive %.3f, roofline %.3f\n",
               b, a, r, am, rm);
        CHECK(r <= a && rm <= am);
    }
    /* B1: 128 steps of batch 8 (the first also prefills 256 tokens). */
    printf("  published B1 latency implies %.3f ms per step at batch 8\n", 997.542 / 128);
}

/* H200 SXM, for the serving row only (lbsim has no H200 profile): NVIDIA
 * H200 datasheet, SXM: BF16 1,979 TFLOPS with sparsity (989 dense), FP8
 * 3,958 with sparsity (1,979 dense), HBM3e 4.8 TB/s, 141 GB. */
static const struct pool_gpu gpu_h200 = {
    .name = "H200-SXM-141GB",
    .bf16_flops = 989.0e12,
    .fp8_flops = 1979.0e12,
    .mem_bytes_per_s = 4.8e12,
    .mem_bytes = 141.0e9,
    .source = "NVIDIA H200 datasheet (SXM)",
};

/* Published, vLLM perf benchmark on H200 (the note, section 5). */
#define H200_LATENCY_8B_MS                                                                         \
    833.421 /* latency_llama8B_tp1, buildkite vllm/performance-benchmark 9515 */
#define H200_QPS1_MEDIAN_TTFT_MS 29.0162 /* serving_llama8B_tp1_sharegpt_qps_1 */
#define H200_QPS1_MEDIAN_ITL_MS  8.30276
#define SERVING_QPS              1.0

static void test_serving(void)
{
    const struct pool_profile *h100 = pool_profile_find("h100-llama3.1-8b");
    CHECK(h100 != NULL);
    if (h100 == NULL)
        return;
    struct pool_profile h200 = *h100;
    h200.name = "h200-llama3.1-8b (validation only)";
    h200.gpu = &gpu_h200;
    struct pool_cfg cfg;
    CHECK_INT_EQ(pool_cfg_init(&cfg, &h200), POOL_OK);
    vllm_cfg(&h200, &cfg);
    static struct replay_out ro;

    /* The profile first: the H200 latency test. */
    int64_t lin[8], lout[8];
    for (int i = 0; i < 8; i++) {
        lin[i] = 32;
        lout[i] = 128;
    }
    CHECK_INT_EQ(replay(&cfg, 8, lin, lout, NULL, &ro), 0);
    double lat = (double)ro.end_ns / NS_PER_MS;
    printf("H200 latency 8B: published %.2f ms, simulated %.2f ms (%+.1f%%)\n", H200_LATENCY_8B_MS,
           lat, 100 * (lat - H200_LATENCY_8B_MS) / H200_LATENCY_8B_MS);
    CHECK(fabs(lat - H200_LATENCY_8B_MS) / H200_LATENCY_8B_MS < 0.15);
    {
        struct pool_cfg rc = cfg;
        rc.step_model =
            rc.step_model == POOL_STEP_ROOFLINE ? POOL_STEP_ADDITIVE : POOL_STEP_ROOFLINE;
        CHECK_INT_EQ(replay(&rc, 8, lin, lout, NULL, &ro), 0);
        double l2 = (double)ro.end_ns / NS_PER_MS;
        printf("  the other step model (%s): %.2f ms (%+.1f%%)\n",
               rc.step_model == POOL_STEP_ROOFLINE ? "roofline" : "additive", l2,
               100 * (l2 - H200_LATENCY_8B_MS) / H200_LATENCY_8B_MS);
    }

    /* Serving at 1 QPS: Poisson arrivals, fixed seed, ShareGPT draws. */
    static int64_t in[MAX_REQS], out[MAX_REQS], arr[MAX_REQS];
    sharegpt_lengths(SHAREGPT_SIGMA, MAX_REQS, in, out);
    struct rng g = {SHAREGPT_SEED ^ 0xa77ULL};
    double t = 0;
    for (int i = 0; i < MAX_REQS; i++) {
        t += -log(rng_unit(&g)) / SERVING_QPS;
        arr[i] = llround(t * 1e9);
    }
    for (int so = 0; so < 2; so++) {
        CHECK_INT_EQ(replay(&cfg, MAX_REQS, in, out, arr, &ro), 0);
        double ttft = median(ro.ttft_ns, MAX_REQS) / NS_PER_MS;
        double itl = median(ro.itl_ns, ro.n_itl) / NS_PER_MS;
        printf("H200 serving 8B qps 1, server_overhead %.1f ms: median TTFT published %.2f ms, "
               "simulated %.2f (%+.1f%%); median ITL published %.2f ms, simulated %.2f (%+.1f%%)\n",
               (double)cfg.server_overhead_ns / NS_PER_MS, H200_QPS1_MEDIAN_TTFT_MS, ttft,
               100 * (ttft - H200_QPS1_MEDIAN_TTFT_MS) / H200_QPS1_MEDIAN_TTFT_MS,
               H200_QPS1_MEDIAN_ITL_MS, itl,
               100 * (itl - H200_QPS1_MEDIAN_ITL_MS) / H200_QPS1_MEDIAN_ITL_MS);
        /* Decode at batch ~4 on H200 reads 35% fast (the note: the H200
         * profile's step, like its latency row, is below the published). */
        CHECK(fabs(itl - H200_QPS1_MEDIAN_ITL_MS) / H200_QPS1_MEDIAN_ITL_MS < 0.40);
        if (so == 1)
            CHECK(fabs(ttft - H200_QPS1_MEDIAN_TTFT_MS) / H200_QPS1_MEDIAN_TTFT_MS < 0.05);
        if (so == 0) {
            /* The overhead the published median implies. */
            double implied = H200_QPS1_MEDIAN_TTFT_MS - ttft;
            printf("  implied server_overhead: %.2f ms\n", implied);
            /* Today (no overhead) TTFT reads about half the published one;
             * the gap is 10-20 ms, the order of an HTTP + tokenize hop. */
            CHECK(implied > 10.0 && implied < 20.0);
            cfg.server_overhead_ns = llround(implied * NS_PER_MS);
        }
    }
}

/* Closed loop: `users` requests of in / out tokens always in the system (a
 * new one arrives when one completes) until `total` complete; returns the
 * time-weighted mean running batch over the second half, and *preempted. */
static double closed_loop(const struct pool_cfg *cfg, uint32_t users, uint32_t total, int64_t in,
                          int64_t out, uint64_t *preempted)
{
    struct pool *p = NULL;
    char err[128];
    if (pool_create(cfg, &p, err, sizeof err) != POOL_OK)
        return NAN;
    uint32_t next = 0, done = 0, cap = pool_max_events(p), k = 0;
    struct pool_event *ev = malloc(cap * sizeof *ev);
    double area = 0, span = 0;
    int ok = ev != NULL;
    for (; ok && next < users; next++) {
        struct pool_req rq = {.idx = next, .gen = 1, .input_tokens = in, .output_tokens = out};
        ok = pool_enqueue(p, 0, &rq) == POOL_OK;
    }
    int64_t t = 0, prev = 0;
    while (ok && done < total && (t = pool_next_event(p, 0)) >= 0) {
        if (done >= total / 2) {
            area += (double)pool_running(p, 0) * (double)(t - prev);
            span += (double)(t - prev);
        }
        prev = t;
        ok = pool_step(p, 0, t, ev, cap, &k) == POOL_OK;
        for (uint32_t j = 0; ok && j < k; j++) {
            if (ev[j].kind != POOL_EV_DONE)
                continue;
            done++;
            struct pool_req rq = {
                .idx = next++, .gen = 1, .input_tokens = in, .output_tokens = out, .enq_ns = t};
            ok = pool_enqueue(p, 0, &rq) == POOL_OK;
        }
    }
    *preempted = pool_stats(p, 0)->preemptions;
    free(ev);
    pool_destroy(p);
    return ok && span > 0 ? area / span : NAN;
}

/* How many 500-in / 2,000-out requests run at once on H100 / 8B. */
static void test_kv_concurrency(void)
{
    const struct pool_profile *pr = pool_profile_find("h100-llama3.1-8b");
    struct pool_cfg cfg;
    CHECK_INT_EQ(pool_cfg_init(&cfg, pr), POOL_OK);
    cfg.perf.max_batch = 1024; /* vLLM V1 on H100: the batch limit is not the bound */
    cfg.chunked_prefill_tokens = 8192;
    cfg.budget_counts_decode = true;
    /* vLLM allocates on demand: a request holds input + generated tokens,
     * 500 + 1,000 on average over its life with outputs of 2,000, so the
     * same KV holds about kv / 1,500 requests (see the note). */
    double vllm = (double)cfg.perf.kv_capacity_tokens / 1500.0;
    for (int mode = 0; mode < 2; mode++) {
        cfg.kv_block_tokens = mode == 0 ? 0 : 16;
        uint64_t pre = 0;
        double running = closed_loop(&cfg, 600, 3000, 500, 2000, &pre);
        printf("KV concurrency, 500 in / 2000 out, H100 8B, 600 users: KV %lld tokens %s, mean "
               "running %.1f, on-demand estimate %.0f (%+.1f%%), %llu preemptions\n",
               (long long)cfg.perf.kv_capacity_tokens,
               mode == 0 ? "reserved at admission" : "on demand, 16-token blocks", running, vllm,
               100.0 * (running - vllm) / vllm, (unsigned long long)pre);
        if (mode == 0)
            CHECK(running > 163 && running < 165); /* 411,529 / 2,500 = 164.6 */
        else
            CHECK(fabs(running - vllm) / vllm < 0.1);
    }
    /* The same on demand under the roofline step (the note, section 6). */
    cfg.step_model = POOL_STEP_ROOFLINE;
    uint64_t pre = 0;
    double running = closed_loop(&cfg, 600, 3000, 500, 2000, &pre);
    printf("  roofline step: mean running %.1f (%+.1f%%), %llu preemptions\n", running,
           100.0 * (running - vllm) / vllm, (unsigned long long)pre);
    CHECK(fabs(running - vllm) / vllm < 0.1);
}

int main(void)
{
    test_table();
    test_step_times();
    test_serving();
    test_kv_concurrency();
    return check_report("val_pool_bench");
}
