/*
 * val_pool_prefix.c - the prefix cache in the free KV blocks and the pool
 * metrics (docs/notes/pool-metrics.md), against counts worked out by hand:
 *  (a) every request shares one long prefix: each after the first hits all
 *      its blocks, and the KV in use at the peak counts the prefix once;
 *  (b) a running request that takes the free blocks evicts the cached
 *      ones, a chain from its tail: the next request of that prefix misses;
 *  (c) the time-weighted batch (avg_batch_size's integral) equals Little's
 *      law from per-request records: sum of (DONE - admission) / busy time;
 *  (d) the accelerator time attributed to each request: by hand on a
 *      three-step workload; and goodput_accel_share through the engine is 1
 *      when every request meets the SLO limits, 0 when none does.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "sim.h"
#include "check.h"
#include "tmp.h"

#define BT  512 /* prefix block tokens (Mooncake) */
#define KVB 16  /* KV block tokens (vLLM) */

/* A pool of one replica with exact step times: t = 1000 ns + 1 ns per
 * prompt token computed (no decode or KV-read terms). */
static struct pool *mkpool(int64_t kv_tokens, uint32_t max_batch)
{
    struct pool_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.perf.t_fixed_ns = 1000.0;
    cfg.perf.t_prefill_ns_per_token = 1.0;
    cfg.perf.kv_capacity_tokens = kv_tokens;
    cfg.perf.max_batch = max_batch;
    cfg.replicas = 1;
    cfg.chunked_prefill_tokens = 0; /* whole prompts */
    cfg.block_tokens = BT;
    cfg.prefix_cache = true; /* capacity 0: in the free KV */
    cfg.kv_block_tokens = KVB;
    struct pool *p = NULL;
    char err[256];
    CHECK(pool_create(&cfg, &p, err, sizeof err) == POOL_OK);
    return p;
}

static int64_t kv_in_use(const struct pool *p)
{
    return llround((1.0 - pool_kv_free(p, 0)) * (double)pool_get_cfg(p)->perf.kv_capacity_tokens);
}

/* Per request: admission, first token, done (ns), cached tokens, share. */
struct rec {
    int64_t admit, first, done, cached;
    double accel;
};

/* Run replica 0 until idle, starting the queued work at t; records per
 * request idx; returns the peak KV in use seen after each step. */
static int64_t drain(struct pool *p, struct rec *rec, uint32_t n_rec)
{
    struct pool_event ev[512];
    int64_t peak = kv_in_use(p);
    while (pool_next_event(p, 0) >= 0) {
        uint32_t n = 0;
        CHECK(pool_step(p, 0, pool_next_event(p, 0), ev, 512, &n) == POOL_OK);
        int64_t now = pool_next_event(p, 0);
        (void)now;
        for (uint32_t k = 0; k < n; k++) {
            CHECK(ev[k].idx < n_rec);
            struct rec *r = &rec[ev[k].idx];
            r->admit = ev[k].admit_ns;
            r->cached = ev[k].cached_tokens;
            if (ev[k].kind == POOL_EV_DONE)
                r->accel = ev[k].accel_ns;
        }
        int64_t u = kv_in_use(p);
        if (u > peak)
            peak = u;
    }
    return peak;
}

static int64_t kv_round(int64_t t)
{
    return (t + KVB - 1) / KVB * KVB;
}

/* (a) one long shared prefix */
static void test_shared_prefix(void)
{
    enum { K = 8, N = 20 };
    const int64_t in = K * BT + 100, out = 10;
    struct pool *p = mkpool(1 << 20, 64);
    if (p == NULL)
        return;
    uint64_t blocks[K + 1];
    for (uint32_t i = 0; i <= K; i++)
        blocks[i] = 0x9e3779b97f4a7c15ull * (i + 1); /* the tail block is partial: not cached */
    struct rec rec[N];
    memset(rec, 0, sizeof rec);
    struct pool_req q = {.idx = 0,
                         .input_tokens = in,
                         .output_tokens = out,
                         .blocks = blocks,
                         .n_blocks = K + 1,
                         .enq_ns = 0};
    CHECK(pool_enqueue(p, 0, &q) == POOL_OK);
    int64_t peak0 = drain(p, rec, N);
    CHECK_INT_EQ(peak0, kv_round(in + out - 1));
    CHECK_INT_EQ(kv_in_use(p), 0); /* its blocks are free, cached */
    CHECK_INT_EQ(pool_prefix_match(p, 0, blocks, K + 1, in), K);
    /* the others arrive together: one step admits them all */
    int64_t t = 1000000;
    for (uint32_t i = 1; i < N; i++) {
        q.idx = i;
        q.enq_ns = t;
        CHECK(pool_enqueue(p, 0, &q) == POOL_OK);
    }
    int64_t peak = drain(p, rec, N);
    const struct pool_stats *st = pool_stats(p, 0);
    CHECK_INT_EQ(st->prefix_hit_blocks, (N - 1) * K);
    CHECK_INT_EQ(st->prefix_miss_blocks, K);
    for (uint32_t i = 1; i < N; i++)
        CHECK_INT_EQ(rec[i].cached, K * BT);
    /* by hand: the prefix once, then each request's own blocks at its
     * largest context, input + output - 1 tokens (all run in lockstep) */
    int64_t want = K * BT + (N - 1) * (kv_round(in + out - 1) - K * BT);
    CHECK_INT_EQ(peak, want);
    printf("(a) shared prefix: hits %" PRIu64 "/%d blocks after the first; peak KV %" PRId64
           " tokens (prefix once; %" PRId64 " if each held its own)\n",
           st->prefix_hit_blocks, (N - 1) * K, peak, (N - 1) * kv_round(in + out - 1));
    CHECK_INT_EQ(kv_in_use(p), 0);
    pool_destroy(p);
}

/* (b) free-block eviction: B takes `b_in` tokens of a 4,096-token KV
 * while A's two cached blocks (1,024 tokens) sit in the free blocks. */
static void evict_case(int64_t b_in, uint32_t want_match, int64_t want_cached)
{
    struct pool *p = mkpool(4096, 8);
    if (p == NULL)
        return;
    uint64_t blocks[2] = {11, 22};
    struct rec rec[3];
    memset(rec, 0, sizeof rec);
    struct pool_req a = {.idx = 0,
                         .input_tokens = 2 * BT + 16,
                         .output_tokens = 1,
                         .blocks = blocks,
                         .n_blocks = 2,
                         .enq_ns = 0};
    CHECK(pool_enqueue(p, 0, &a) == POOL_OK);
    drain(p, rec, 3);
    CHECK_INT_EQ(pool_prefix_match(p, 0, blocks, 2, a.input_tokens), 2);
    struct pool_req b = {.idx = 1, .input_tokens = b_in, .output_tokens = 1, .enq_ns = 100000};
    CHECK(pool_enqueue(p, 0, &b) == POOL_OK);
    struct pool_event ev[16];
    uint32_t n = 0;
    CHECK(pool_step(p, 0, pool_next_event(p, 0), ev, 16, &n) == POOL_OK); /* admits B */
    CHECK_INT_EQ(kv_in_use(p), kv_round(b_in));
    CHECK_INT_EQ(pool_prefix_match(p, 0, blocks, 2, a.input_tokens), want_match);
    /* C, of A's prefix, waits for B's blocks; admitted after B is done */
    struct pool_req c = a;
    c.idx = 2;
    c.enq_ns = pool_next_event(p, 0);
    CHECK(pool_enqueue(p, 0, &c) == POOL_OK);
    drain(p, rec, 3);
    CHECK_INT_EQ(rec[2].cached, want_cached);
    CHECK_INT_EQ(pool_stats(p, 0)->prefix_evictions, 2 - want_match);
    pool_destroy(p);
}

static void test_eviction(void)
{
    evict_case(3072, 2, 2 * BT); /* 1,024 free: both blocks stay */
    evict_case(3088, 1, BT);     /* 1,008 free: the tail block goes */
    evict_case(4000, 0, 0);      /* 96 free: both go; C misses */
    printf("(b) free-block eviction: a prefix survives in free blocks only; chain evicted "
           "from its tail\n");
}

/* (c) Little's law on the pool, from per-request records */
static void test_little(void)
{
    enum { N = 4000 };
    struct pool *p = mkpool(1 << 22, 32);
    if (p == NULL)
        return;
    static struct rec rec[N];
    memset(rec, 0, sizeof rec);
    uint64_t x = 12345;
    int64_t t = 0;
    uint32_t next = 0;
    struct pool_event ev[128];
    while (next < N || pool_next_event(p, 0) >= 0) {
        int64_t te = pool_next_event(p, 0);
        if (next < N && (te < 0 || t <= te)) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            struct pool_req q = {.idx = next,
                                 .input_tokens = 50 + (int64_t)((x >> 33) % 2000),
                                 .output_tokens = 1 + (int64_t)((x >> 17) % 300),
                                 .enq_ns = t};
            CHECK(pool_enqueue(p, 0, &q) == POOL_OK);
            next++;
            t += (int64_t)((x >> 40) % 40000);
            continue;
        }
        uint32_t n = 0;
        CHECK(pool_step(p, 0, te, ev, 128, &n) == POOL_OK);
        for (uint32_t k = 0; k < n; k++) {
            struct rec *r = &rec[ev[k].idx];
            r->admit = ev[k].admit_ns;
            if (ev[k].kind == POOL_EV_DONE)
                r->done = te;
        }
    }
    const struct pool_stats *st = pool_stats(p, 0);
    CHECK_INT_EQ(st->completed, N);
    CHECK_INT_EQ(st->preemptions, 0);
    double resid = 0.0;
    for (uint32_t i = 0; i < N; i++)
        resid += (double)(rec[i].done - rec[i].admit);
    double busy = (double)st->busy_ns;
    double avg = st->batch_ns / busy;
    double little = ((double)N / busy) * (resid / N); /* throughput x mean residence */
    printf("(c) Little on the pool: avg_batch_size %.4f, lambda W %.4f (%+.4f%%)\n", avg, little,
           100.0 * (avg / little - 1.0));
    CHECK(avg > 2.0); /* the workload batches */
    CHECK_NEAR(avg / little, 1.0, 0.01);
    pool_destroy(p);
}

/* (d) accelerator time per request, by hand: R0 1,000 in / 3 out, R1 500
 * in / 2 out, both at 0.  Step 1: both prompts, 1000 + 1500 ns, batch 2;
 * step 2: both decode, 1000 ns, batch 2 (R1 done); step 3: R0, 1000 ns. */
static void test_accel_by_hand(void)
{
    struct pool *p = mkpool(1 << 20, 8);
    if (p == NULL)
        return;
    struct rec rec[2];
    memset(rec, 0, sizeof rec);
    struct pool_req a = {.idx = 0, .input_tokens = 1000, .output_tokens = 3, .enq_ns = 0};
    struct pool_req b = {.idx = 1, .input_tokens = 500, .output_tokens = 2, .enq_ns = 0};
    CHECK(pool_enqueue(p, 0, &a) == POOL_OK);
    CHECK(pool_enqueue(p, 0, &b) == POOL_OK);
    drain(p, rec, 2);
    CHECK_NEAR(rec[0].accel, 2500.0 / 2 + 1000.0 / 2 + 1000.0, 1e-9);
    CHECK_NEAR(rec[1].accel, 2500.0 / 2 + 1000.0 / 2, 1e-9);
    const struct pool_stats *st = pool_stats(p, 0);
    CHECK_INT_EQ(st->busy_ns, 4500);
    CHECK_NEAR(st->batch_ns, 2500.0 * 2 + 1000.0 * 2 + 1000.0, 1e-9);
    /* R1's 1,750 ns of 4,500 would be the share if only R1 met the SLO */
    printf("(d) accelerator time by hand: R0 %.0f ns, R1 %.0f ns of %" PRId64 " busy\n",
           rec[0].accel, rec[1].accel, st->busy_ns);
    pool_destroy(p);
}

/* (d) through the engine: goodput_accel_share is 1 when every request
 * meets the latency limit, 0 when none can. */
static double engine_share(const char *ttft_limit, double *avg_batch, double *tok_s)
{
    char dir[TMP_DIR_MAX];
    CHECK(tmp_dir(dir, sizeof dir, "val_pool_prefix") == 0);
    char path[TMP_PATH_MAX];
    tmp_path(path, sizeof path, dir, "g.yaml");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL) {
        tmp_rmdir(dir);
        return NAN;
    }
    fprintf(f,
            "name: g\nseed: 5\ntraffic:\n  synthetic:\n    rate: 20/s\n    count: 2000\n"
            "    input_tokens: {dist: constant, value: 800}\n"
            "    output_tokens: {dist: constant, value: 100}\n"
            "backends:\n  - {name: gpu, kind: pool, profile: h100-llama3.1-8b, replicas: 1}\n"
            "router: {strategy: round_robin, timeout: 0s}\n"
            "slo:\n  ttft_p99: %s\n",
            ttft_limit);
    fclose(f);
    struct scenario scn;
    char err[1024];
    double share = NAN;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        tmp_rmdir(dir);
        return NAN;
    }
    struct sim_result r;
    if (sim_run(&scn, &scn.router.strategy, scn.seed, NULL, &r, err, sizeof err) == 0) {
        CHECK_INT_EQ(r.completed, 2000);
        share = r.pool_goodput_accel_share;
        CHECK_NEAR(r.pools[0].goodput_accel_share, share, 1e-12);
        CHECK_NEAR(r.backends[0].goodput_accel_share, share, 1e-12);
        *avg_batch = r.pool_avg_batch_size;
        *tok_s = r.pool_tokens_per_s_per_replica;
        /* tokens per busy second: (800 + 100) x 2000 over the busy time */
        double busy_s = r.pools[0].busy_share * r.measured_s;
        CHECK_NEAR(r.pool_tokens_per_s_per_replica * busy_s / (900.0 * 2000), 1.0, 0.02);
        CHECK_NEAR(r.pool_decode_tokens_per_s_per_replica / r.pool_tokens_per_s_per_replica,
                   100.0 / 900.0, 1e-9);
        sim_result_free(&r);
    } else {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
    }
    scn_free(&scn);
    tmp_rmdir(dir);
    return share;
}

static void test_goodput_engine(void)
{
    double b1 = 0, t1 = 0, b0 = 0, t0 = 0;
    double all = engine_share("1000s", &b1, &t1);
    double none = engine_share("1us", &b0, &t0);
    printf("(d) goodput_accel_share: %.6f with every request good, %.6f with none; "
           "avg_batch_size %.2f, %.0f tokens/s per replica\n",
           all, none, b1, t1);
    CHECK_NEAR(all, 1.0, 1e-9);
    CHECK_NEAR(none, 0.0, 1e-12);
    CHECK_NEAR(b1, b0, 1e-12); /* the SLO changes no simulated figure */
}

int main(void)
{
    test_shared_prefix();
    test_eviction();
    test_little();
    test_accel_by_hand();
    test_goodput_engine();
    return check_report("val_pool_prefix");
}
