/*
 * test_pool.c - models/pool: continuous batching, KV bound, prefix cache,
 * cancellation, and an M/D/1 validation, driven by a small event loop.
 */
#include "check.h"

#include <math.h>
#include <stdlib.h>

#include "pool.h"
#include "heap.h"
#include "rng.h"

#define MS 1000000LL /* ns per millisecond */

/* ---- a tiny engine: arrivals and per-replica step events ------------- */

enum { EV_ARRIVAL = 1, EV_STEP = 2 };

struct spec {
    int64_t t_ns, in, out;
    const uint64_t *blocks;
    uint32_t nb, r;
};

struct rec {
    int64_t first_ns, done_ns, admit_ns, cached;
    int n_first, n_done, cancelled, rejected;
};

struct drv;
typedef void (*arrival_hook)(struct drv *d, uint32_t i);

struct drv {
    struct pool *p;
    struct heap h;
    int64_t sched[8];
    uint32_t sgen[8];
    struct pool_event *ev;
    const struct spec *sp;
    struct rec *rec;
    uint32_t n;
    arrival_hook hook;
    struct rng rng; /* for hooks */
    int errors;
};

static void resched(struct drv *d, uint32_t r)
{
    int64_t t = pool_next_event(d->p, r);
    if (t == d->sched[r])
        return;
    d->sched[r] = t;
    d->sgen[r]++;
    if (t >= 0) {
        struct heap_ev e = {.t_ns = t, .kind = EV_STEP, .idx = r, .gen = d->sgen[r]};
        if (heap_push(&d->h, e) != 0)
            d->errors++;
    }
}

static void on_events(struct drv *d, int64_t t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct rec *q = &d->rec[d->ev[i].idx];
        if (d->ev[i].kind == POOL_EV_FIRST_TOKEN) {
            q->n_first++;
            q->first_ns = t;
            q->admit_ns = d->ev[i].admit_ns;
            q->cached = d->ev[i].cached_tokens;
        } else {
            q->n_done++;
            q->done_ns = t;
        }
    }
}

/* Run specs sp[0..n) (sorted by time) to completion. */
static void drive(struct drv *d, struct pool *p, const struct spec *sp, struct rec *rec, uint32_t n,
                  arrival_hook hook)
{
    d->p = p;
    d->sp = sp;
    d->rec = rec;
    d->n = n;
    d->hook = hook;
    d->errors = 0;
    for (uint32_t r = 0; r < 8; r++) {
        d->sched[r] = -1;
        d->sgen[r] = 0;
    }
    d->ev = malloc(pool_max_events(p) * sizeof *d->ev);
    memset(rec, 0, n * sizeof *rec);
    heap_init(&d->h, 64);
    if (n > 0)
        heap_push(&d->h, (struct heap_ev){.t_ns = sp[0].t_ns, .kind = EV_ARRIVAL, .idx = 0});
    struct heap_ev e;
    while (heap_pop(&d->h, &e)) {
        if (e.kind == EV_ARRIVAL) {
            uint32_t i = e.idx;
            const struct spec *s = &sp[i];
            struct pool_req rq = {.idx = i,
                                  .gen = 1,
                                  .input_tokens = s->in,
                                  .output_tokens = s->out,
                                  .blocks = s->blocks,
                                  .n_blocks = s->nb,
                                  .enq_ns = e.t_ns};
            int rc = pool_enqueue(p, s->r, &rq);
            if (rc == POOL_ETOOBIG)
                rec[i].rejected = 1;
            else if (rc != POOL_OK)
                d->errors++;
            resched(d, s->r);
            if (hook)
                hook(d, i);
            if (i + 1 < n)
                heap_push(&d->h, (struct heap_ev){
                                     .t_ns = sp[i + 1].t_ns, .kind = EV_ARRIVAL, .idx = i + 1});
        } else if (e.gen == d->sgen[e.idx]) {
            uint32_t m = 0;
            d->sched[e.idx] = -2; /* consumed */
            if (pool_step(p, e.idx, e.t_ns, d->ev, pool_max_events(p), &m) != POOL_OK)
                d->errors++;
            on_events(d, e.t_ns, m);
            resched(d, e.idx);
        }
    }
    heap_fini(&d->h);
    free(d->ev);
}

static struct pool *mkpool(const struct pool_cfg *cfg)
{
    struct pool *p = NULL;
    char err[128];
    int rc = pool_create(cfg, &p, err, sizeof err);
    CHECK_INT_EQ(rc, POOL_OK);
    if (rc != POOL_OK)
        fprintf(stderr, "pool_create: %s\n", err);
    return p;
}

static struct pool_cfg custom_cfg(double fixed, double prefill, double decode, double kv,
                                  int64_t kv_cap, uint32_t max_batch)
{
    struct pool_cfg c;
    memset(&c, 0, sizeof c);
    c.perf.t_fixed_ns = fixed;
    c.perf.t_prefill_ns_per_token = prefill;
    c.perf.t_decode_ns_per_seq = decode;
    c.perf.t_kv_ns_per_token = kv;
    c.perf.kv_capacity_tokens = kv_cap;
    c.perf.max_batch = max_batch;
    c.replicas = 1;
    c.chunked_prefill_tokens = 0;
    c.block_tokens = 512;
    c.prefix_cache = false;
    return c;
}

static int64_t exp_ns(struct rng *r, double mean_ns)
{
    return (int64_t)llround(-log(rng_unit_pos(r)) * mean_ns);
}

/* ---- (1) M/D/1 ------------------------------------------------------- */

static void test_md1(void)
{
    const uint32_t n = 300000;
    const double rho = 0.7;
    const int64_t out_tokens = 10;
    const double step_ns = 100000.0; /* 0.1 ms per output token */
    const double d_ns = step_ns * (double)out_tokens;
    struct pool_cfg c = custom_cfg(step_ns, 0.0, 0.0, 0.0, 1000000000LL, 1);
    struct pool *p = mkpool(&c);
    struct spec *sp = calloc(n, sizeof *sp);
    struct rec *rec = calloc(n, sizeof *rec);
    struct rng rng;
    rng_stream(&rng, 42, RNG_ARRIVALS);
    int64_t t = 0;
    for (uint32_t i = 0; i < n; i++) {
        t += exp_ns(&rng, d_ns / rho);
        sp[i] = (struct spec){.t_ns = t, .in = 100, .out = out_tokens};
    }
    struct drv d;
    drive(&d, p, sp, rec, n, NULL);
    CHECK_INT_EQ(d.errors, 0);
    double sum_w = 0.0;
    uint32_t bad_service = 0, bad_count = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (rec[i].n_first != 1 || rec[i].n_done != 1)
            bad_count++;
        if (rec[i].done_ns - rec[i].admit_ns != (int64_t)d_ns)
            bad_service++;
        sum_w += (double)(rec[i].admit_ns - sp[i].t_ns);
    }
    CHECK_INT_EQ(bad_count, 0);
    CHECK_INT_EQ(bad_service, 0);
    double wq = sum_w / n;
    double mu = 1.0 / d_ns;
    double pk = rho / (2.0 * mu * (1.0 - rho)); /* Pollaczek-Khinchine, M/D/1 */
    printf("M/D/1 rho=%.2f n=%u: mean wait %.4f ms, P-K %.4f ms (%.2f%%)\n", rho, n, wq / 1e6,
           pk / 1e6, 100.0 * (wq - pk) / pk);
    CHECK_NEAR(wq / pk, 1.0, 0.03);
    const struct pool_stats *st = pool_stats(p, 0);
    CHECK_INT_EQ(st->completed, n);
    CHECK_INT_EQ(st->max_running, 1);
    CHECK_NEAR((double)st->busy_ns / (double)rec[n - 1].done_ns, rho, 0.01);
    pool_destroy(p);
    free(sp);
    free(rec);
}

/* ---- (2) batching ---------------------------------------------------- */

static double makespan_s(const struct pool_perf *perf, uint32_t max_batch, uint32_t n)
{
    struct pool_cfg c = custom_cfg(0, 0, 0, 0, 1, 1);
    c.perf = *perf;
    c.perf.max_batch = max_batch;
    c.chunked_prefill_tokens = 2048;
    struct pool *p = mkpool(&c);
    struct spec *sp = calloc(n, sizeof *sp);
    struct rec *rec = calloc(n, sizeof *rec);
    for (uint32_t i = 0; i < n; i++)
        sp[i] = (struct spec){.t_ns = 0, .in = 512, .out = 128};
    struct drv d;
    drive(&d, p, sp, rec, n, NULL);
    CHECK_INT_EQ(d.errors, 0);
    int64_t end = 0;
    uint32_t done = 0;
    for (uint32_t i = 0; i < n; i++) {
        done += rec[i].n_done == 1;
        if (rec[i].done_ns > end)
            end = rec[i].done_ns;
    }
    CHECK_INT_EQ(done, n);
    CHECK_INT_EQ(pool_stats(p, 0)->max_running, max_batch < n ? max_batch : n);
    pool_destroy(p);
    free(sp);
    free(rec);
    return (double)end / 1e9;
}

static int64_t ttft_ns(const struct pool_perf *perf, uint32_t chunk, int64_t in)
{
    struct pool_cfg c = custom_cfg(0, 0, 0, 0, 1, 1);
    c.perf = *perf;
    c.chunked_prefill_tokens = chunk;
    struct pool *p = mkpool(&c);
    struct spec sp = {.t_ns = 5 * MS, .in = in, .out = 4};
    struct rec rec;
    struct drv d;
    drive(&d, p, &sp, &rec, 1, NULL);
    CHECK_INT_EQ(d.errors, 0);
    CHECK_INT_EQ(rec.n_first, 1);
    CHECK_INT_EQ(rec.n_done, 1);
    pool_destroy(p);
    return rec.first_ns - sp.t_ns;
}

static void test_batching(void)
{
    struct pool_perf perf;
    CHECK_INT_EQ(pool_profile_perf(pool_profile_find("h100-llama3.1-8b"), &perf), POOL_OK);
    double t1 = makespan_s(&perf, 1, 256);
    double t8 = makespan_s(&perf, 8, 256);
    double t64 = makespan_s(&perf, 64, 256);
    printf("batching: 256 req (512 in, 128 out) on H100-8B: %.1f / %.1f / %.1f req/s at max "
           "batch 1 / 8 / 64\n",
           256 / t1, 256 / t8, 256 / t64);
    CHECK(256 / t8 > 4.0 * (256 / t1));
    CHECK(256 / t64 > 2.0 * (256 / t8));

    int64_t a = ttft_ns(&perf, 2048, 128), b = ttft_ns(&perf, 2048, 1024);
    int64_t c = ttft_ns(&perf, 2048, 4096), e = ttft_ns(&perf, 2048, 16384);
    CHECK(a < b && b < c && c < e);
    /* Exact: unchunked 1000 tokens is one step; chunked 4096 is two. */
    CHECK_INT_EQ(ttft_ns(&perf, 0, 1000), llround(pool_step_ns(&perf, 1000, 0, 0)));
    CHECK_INT_EQ(c, llround(pool_step_ns(&perf, 2048, 0, 0)) +
                        llround(pool_step_ns(&perf, 2048, 0, 2048)));
    /* A decode step's time grows with the batch: TPOT at batch 64 > batch 1. */
    CHECK(pool_step_ns(&perf, 0, 64, 64 * 1000) > pool_step_ns(&perf, 0, 1, 1000));
}

/* ---- (3) KV bound and conservation ----------------------------------- */

static void test_kv_bound(void)
{
    struct pool_cfg c = custom_cfg(1.0 * MS, 0, 0, 0, 1000, 8);
    struct pool *p = mkpool(&c);
    struct pool_event ev[16];
    uint32_t n = 0;
    for (uint32_t i = 0; i < 5; i++) {
        struct pool_req rq = {.idx = i, .gen = 7, .input_tokens = 300, .output_tokens = 200};
        CHECK_INT_EQ(pool_enqueue(p, 0, &rq), POOL_OK);
    }
    struct pool_req big = {.idx = 99, .gen = 1, .input_tokens = 900, .output_tokens = 101};
    CHECK_INT_EQ(pool_enqueue(p, 0, &big), POOL_ETOOBIG);
    struct pool_req dup = {.idx = 0, .gen = 7, .input_tokens = 1, .output_tokens = 1};
    CHECK_INT_EQ(pool_enqueue(p, 0, &dup), POOL_EINVAL);
    CHECK_INT_EQ(pool_next_event(p, 0), 0);
    CHECK_INT_EQ(pool_queue_depth(p, 0), 5);
    CHECK_INT_EQ(pool_step(p, 0, 1, ev, 16, &n), POOL_EINVAL); /* not its time */
    CHECK_INT_EQ(pool_step(p, 0, 0, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(n, 0);
    CHECK_INT_EQ(pool_running(p, 0), 2);
    CHECK_INT_EQ(pool_queue_depth(p, 0), 3);
    CHECK_NEAR(pool_kv_free(p, 0), 0.0, 1e-12);
    CHECK_INT_EQ(pool_next_event(p, 0), 1 * MS);
    CHECK_INT_EQ(pool_step(p, 0, 1 * MS, ev, 3, &n), POOL_ENOSPC);
    /* Run on: the first two finish after 200 steps, then the next two. */
    int64_t done_at[5] = {0};
    uint32_t n_done = 0, n_first = 0;
    while (pool_next_event(p, 0) >= 0) {
        int64_t t = pool_next_event(p, 0);
        CHECK_INT_EQ(pool_step(p, 0, t, ev, 16, &n), POOL_OK);
        for (uint32_t k = 0; k < n; k++) {
            if (ev[k].kind == POOL_EV_DONE) {
                done_at[ev[k].idx] = t;
                n_done++;
            } else {
                n_first++;
            }
        }
        CHECK(pool_running(p, 0) <= 2);
    }
    CHECK_INT_EQ(n_done, 5);
    CHECK_INT_EQ(n_first, 5);
    CHECK_INT_EQ(done_at[0], 200 * MS);
    CHECK_INT_EQ(done_at[1], 200 * MS);
    CHECK_INT_EQ(done_at[2], 400 * MS);
    CHECK_INT_EQ(done_at[4], 600 * MS);
    CHECK_INT_EQ(pool_stats(p, 0)->max_running, 2);
    CHECK_NEAR(pool_kv_free(p, 0), 1.0, 1e-12);
    pool_destroy(p);
}

/* Stress: two replicas, random sizes and shared prefixes, 10% cancels. */

static void stress_hook(struct drv *d, uint32_t i)
{
    if (rng_unit(&d->rng) < 0.1) {
        uint32_t j = rng_below(&d->rng, i + 1);
        int rc = pool_cancel(d->p, d->sp[j].r, j, 1);
        if (rc == POOL_OK) {
            d->rec[j].cancelled++;
            resched(d, d->sp[j].r);
        } else if (rc != POOL_ENOENT) {
            d->errors++;
        }
    }
}

static uint64_t stress_run(uint64_t seed, int *ok)
{
    const uint32_t n = 20000;
    struct pool_cfg c = custom_cfg(20000, 50, 1000, 2, 3000, 4);
    c.replicas = 2;
    c.chunked_prefill_tokens = 256;
    c.block_tokens = 64;
    c.prefix_cache = true;
    c.prefix_cache = true;
    c.prefix_cache_blocks = 16;
    struct pool *p = mkpool(&c);
    struct spec *sp = calloc(n, sizeof *sp);
    struct rec *rec = calloc(n, sizeof *rec);
    struct rng rng;
    rng_stream(&rng, seed, RNG_ARRIVALS);
    uint64_t stress_blocks[64];
    for (uint32_t k = 0; k < 64; k++)
        stress_blocks[k] = 1000 + k;
    int64_t t = 0;
    for (uint32_t i = 0; i < n; i++) {
        t += exp_ns(&rng, 2.0 * MS);
        int64_t in = 1 + rng_below(&rng, 2500);
        sp[i] = (struct spec){.t_ns = t,
                              .in = in,
                              .out = rng_below(&rng, 900),
                              .blocks = &stress_blocks[rng_below(&rng, 4)],
                              .nb = 1 + rng_below(&rng, 32),
                              .r = rng_below(&rng, 2)};
    }
    struct drv d;
    rng_stream(&d.rng, seed, RNG_FAULTS);
    drive(&d, p, sp, rec, n, stress_hook);
    CHECK_INT_EQ(d.errors, 0);
    uint32_t bad = 0, rejected = 0, cancelled = 0;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct rec *q = &rec[i];
        bool good = q->rejected         ? (q->n_first == 0 && q->n_done == 0 && !q->cancelled)
                    : q->cancelled == 1 ? q->n_done == 0
                                        : (q->n_first == 1 && q->n_done == 1);
        bad += !good;
        rejected += q->rejected != 0;
        cancelled += q->cancelled != 0;
        sum = sum * 1000003u + (uint64_t)q->done_ns + (uint64_t)q->first_ns;
    }
    CHECK_INT_EQ(bad, 0);
    CHECK(rejected > 0 && cancelled > 0);
    uint64_t enq = 0, fin = 0;
    for (uint32_t r = 0; r < 2; r++) {
        const struct pool_stats *st = pool_stats(p, r);
        enq += st->enqueued;
        fin += st->completed + st->cancelled;
        CHECK_INT_EQ(pool_running(p, r), 0);
        CHECK_INT_EQ(pool_queue_depth(p, r), 0);
        CHECK_INT_EQ(pool_next_event(p, r), -1);
        CHECK_NEAR(pool_kv_free(p, r), 1.0, 1e-12);
        CHECK(st->max_running <= 4);
        CHECK(st->prefix_hit_blocks > 0 && st->prefix_evictions > 0);
    }
    CHECK_INT_EQ(enq, n - rejected);
    CHECK_INT_EQ(fin, enq);
    *ok = bad == 0;
    pool_destroy(p);
    free(sp);
    free(rec);
    return sum;
}

static void test_conservation(void)
{
    int ok1 = 0, ok2 = 0;
    uint64_t a = stress_run(7, &ok1), b = stress_run(7, &ok2);
    CHECK(ok1 && ok2);
    CHECK(a == b); /* deterministic */
}

/* ---- (4) prefix cache ------------------------------------------------ */

static int64_t step_until_first(struct pool *p, uint32_t idx, int64_t *cached)
{
    struct pool_event ev[8];
    uint32_t n;
    while (pool_next_event(p, 0) >= 0) {
        int64_t t = pool_next_event(p, 0);
        CHECK_INT_EQ(pool_step(p, 0, t, ev, 8, &n), POOL_OK);
        for (uint32_t k = 0; k < n; k++)
            if (ev[k].kind == POOL_EV_FIRST_TOKEN && ev[k].idx == idx) {
                *cached = ev[k].cached_tokens;
                /* drain the rest */
                while (pool_next_event(p, 0) >= 0) {
                    int64_t u = pool_next_event(p, 0);
                    CHECK_INT_EQ(pool_step(p, 0, u, ev, 8, &n), POOL_OK);
                }
                return t;
            }
    }
    return -1;
}

static int64_t prefix_pair(bool cache, int64_t *cached_b)
{
    static const uint64_t a_blocks[] = {1, 2, 3, 4}, b_blocks[] = {1, 2, 3, 9};
    struct pool_cfg c = custom_cfg(0.1 * MS, 10000.0, 0, 0, 100000, 4);
    c.prefix_cache = cache;
    c.prefix_cache_blocks = 4;
    struct pool *p = mkpool(&c);
    int64_t cached = -1;
    struct pool_req a = {.idx = 1,
                         .gen = 1,
                         .input_tokens = 2048,
                         .output_tokens = 1,
                         .blocks = a_blocks,
                         .n_blocks = 4,
                         .enq_ns = 0};
    CHECK_INT_EQ(pool_enqueue(p, 0, &a), POOL_OK);
    step_until_first(p, 1, &cached);
    CHECK_INT_EQ(cached, 0);
    int64_t t0 = 1000 * MS;
    struct pool_req b = {.idx = 2,
                         .gen = 1,
                         .input_tokens = 2048,
                         .output_tokens = 1,
                         .blocks = b_blocks,
                         .n_blocks = 4,
                         .enq_ns = t0};
    CHECK_INT_EQ(pool_enqueue(p, 0, &b), POOL_OK);
    int64_t ttft = step_until_first(p, 2, cached_b) - t0;
    const struct pool_stats *st = pool_stats(p, 0);
    if (cache) {
        CHECK_INT_EQ(st->prefix_hit_blocks, 3);
        CHECK_INT_EQ(st->prefix_miss_blocks, 5);
        CHECK_INT_EQ(st->cached_tokens, 1536);
        CHECK_INT_EQ(st->prefill_tokens, 2048 + 512);
        /* LRU: capacity 4; inserting 9 evicted 4 (the tail of A's chain). */
        CHECK_INT_EQ(st->prefix_evictions, 1);
        CHECK_INT_EQ(pool_prefix_match(p, 0, a_blocks, 4, 2048), 3);
        CHECK_INT_EQ(pool_prefix_match(p, 0, b_blocks, 4, 2048), 4);
        CHECK_INT_EQ(pool_prefix_match(p, 0, b_blocks, 4, 1000), 2); /* 2 blocks considered */
        /* C's two blocks evict the two least recently used: 9, then 3. */
        static const uint64_t c_blocks[] = {5, 6};
        struct pool_req cr = {.idx = 3,
                              .gen = 1,
                              .input_tokens = 1024,
                              .output_tokens = 1,
                              .blocks = c_blocks,
                              .n_blocks = 2,
                              .enq_ns = 2000 * MS};
        CHECK_INT_EQ(pool_enqueue(p, 0, &cr), POOL_OK);
        int64_t dummy;
        step_until_first(p, 3, &dummy);
        CHECK_INT_EQ(st->prefix_evictions, 3);
        CHECK_INT_EQ(pool_prefix_match(p, 0, b_blocks, 4, 2048), 2);
        CHECK_INT_EQ(pool_prefix_match(p, 0, c_blocks, 2, 1024), 2);
        CHECK_NEAR((double)st->prefix_hit_blocks /
                       (double)(st->prefix_hit_blocks + st->prefix_miss_blocks),
                   0.3, 1e-12);
    } else {
        CHECK_INT_EQ(st->prefix_hit_blocks + st->prefix_miss_blocks, 0);
        CHECK_INT_EQ(pool_prefix_match(p, 0, a_blocks, 4, 2048), 0);
    }
    pool_destroy(p);
    return ttft;
}

static void test_prefix(void)
{
    int64_t cached_on = -1, cached_off = -1;
    int64_t on = prefix_pair(true, &cached_on), off = prefix_pair(false, &cached_off);
    CHECK_INT_EQ(cached_on, 1536);
    CHECK_INT_EQ(cached_off, 0);
    CHECK_INT_EQ(on, llround(0.1 * MS + 512 * 10000.0));
    CHECK_INT_EQ(off, llround(0.1 * MS + 2048 * 10000.0));
    CHECK(on < off);

    /* A fully cached prompt still computes its last token. */
    static const uint64_t blk[] = {11, 12};
    struct pool_cfg c = custom_cfg(0.1 * MS, 10000.0, 0, 0, 100000, 4);
    c.prefix_cache = true;
    struct pool *p = mkpool(&c);
    CHECK_INT_EQ(pool_get_cfg(p)->prefix_cache_blocks, 100000 / 512);
    int64_t cached = -1;
    struct pool_req a = {.idx = 1,
                         .gen = 1,
                         .input_tokens = 1024,
                         .output_tokens = 1,
                         .blocks = blk,
                         .n_blocks = 2,
                         .enq_ns = 0};
    CHECK_INT_EQ(pool_enqueue(p, 0, &a), POOL_OK);
    step_until_first(p, 1, &cached);
    a.idx = 2;
    a.enq_ns = 1000 * MS;
    CHECK_INT_EQ(pool_enqueue(p, 0, &a), POOL_OK);
    int64_t t = step_until_first(p, 2, &cached);
    CHECK_INT_EQ(cached, 1023);
    CHECK_INT_EQ(t - 1000 * MS, llround(0.1 * MS + 10000.0));
    pool_destroy(p);
}

/* ---- (5) cancel ------------------------------------------------------ */

static void test_cancel(void)
{
    struct pool_cfg c = custom_cfg(1.0 * MS, 0, 0, 0, 1000, 8);
    struct pool *p = mkpool(&c);
    struct pool_event ev[16];
    uint32_t n = 0;
    struct pool_req a = {.idx = 1, .gen = 1, .input_tokens = 500, .output_tokens = 100};
    CHECK_INT_EQ(pool_enqueue(p, 0, &a), POOL_OK);
    CHECK_INT_EQ(pool_step(p, 0, 0, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(pool_running(p, 0), 1);
    CHECK_NEAR(pool_kv_free(p, 0), 0.4, 1e-12);
    struct pool_req b = a, q = a;
    b.idx = 2;
    b.enq_ns = MS / 2;
    q.idx = 3;
    q.enq_ns = MS / 2;
    CHECK_INT_EQ(pool_enqueue(p, 0, &b), POOL_OK);
    CHECK_INT_EQ(pool_enqueue(p, 0, &q), POOL_OK);
    CHECK_INT_EQ(pool_queue_depth(p, 0), 2);
    /* Cancel the running request: KV is free at once. */
    CHECK_INT_EQ(pool_cancel(p, 0, 1, 1), POOL_OK);
    CHECK_INT_EQ(pool_cancel(p, 0, 1, 1), POOL_ENOENT);
    CHECK_INT_EQ(pool_cancel(p, 0, 2, 9), POOL_ENOENT);
    CHECK_INT_EQ(pool_running(p, 0), 0);
    CHECK_NEAR(pool_kv_free(p, 0), 1.0, 1e-12);
    /* Cancel a queued one: it leaves the queue depth at once. */
    CHECK_INT_EQ(pool_cancel(p, 0, 3, 1), POOL_OK);
    CHECK_INT_EQ(pool_queue_depth(p, 0), 1);
    /* The step in progress still ends at 1 ms; then B is admitted. */
    CHECK_INT_EQ(pool_next_event(p, 0), MS);
    CHECK_INT_EQ(pool_step(p, 0, MS, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(n, 0);
    CHECK_INT_EQ(pool_running(p, 0), 1);
    CHECK_INT_EQ(pool_queue_depth(p, 0), 0);
    uint32_t events_b = 0, events_other = 0;
    while (pool_next_event(p, 0) >= 0) {
        CHECK_INT_EQ(pool_step(p, 0, pool_next_event(p, 0), ev, 16, &n), POOL_OK);
        for (uint32_t k = 0; k < n; k++) {
            if (ev[k].idx == 2)
                events_b++;
            else
                events_other++;
        }
    }
    CHECK_INT_EQ(events_b, 2);
    CHECK_INT_EQ(events_other, 0);
    const struct pool_stats *st = pool_stats(p, 0);
    CHECK_INT_EQ(st->cancelled, 2);
    CHECK_INT_EQ(st->completed, 1);
    CHECK_INT_EQ(st->busy_ns, 101 * MS); /* A's cancelled step + B's 100 */
    pool_destroy(p);
}

/* Brownout slow-down and replica replacement. */
static void test_speed_reset(void)
{
    struct pool_cfg c = custom_cfg(1.0 * MS, 0, 0, 0, 1000, 8);
    c.block_tokens = 100;
    c.prefix_cache = true;
    c.prefix_cache_blocks = 16;
    struct pool *p = mkpool(&c);
    struct pool_event ev[16];
    uint32_t n = 0;
    const uint64_t blocks[] = {11, 12, 13};
    struct pool_req a = {.idx = 1,
                         .gen = 1,
                         .input_tokens = 300,
                         .output_tokens = 1,
                         .blocks = blocks,
                         .n_blocks = 3};
    CHECK_INT_EQ(pool_set_speed(p, 0, 0.5), POOL_EINVAL);
    CHECK_INT_EQ(pool_set_speed(p, 0, NAN), POOL_EINVAL);
    CHECK_INT_EQ(pool_set_speed(p, 0, 3.0), POOL_OK);
    CHECK_INT_EQ(pool_enqueue(p, 0, &a), POOL_OK);
    CHECK_INT_EQ(pool_step(p, 0, 0, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(pool_next_event(p, 0), 3 * MS); /* 3 x the 1 ms step */
    /* Busy: no reset. */
    CHECK_INT_EQ(pool_replica_reset(p, 0), POOL_EINVAL);
    CHECK_INT_EQ(pool_set_speed(p, 0, 1.0), POOL_OK);
    CHECK_INT_EQ(pool_step(p, 0, 3 * MS, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(n, 2); /* first token and done */
    CHECK_INT_EQ(pool_prefix_match(p, 0, blocks, 3, 300), 3);
    /* A queued request cancelled, then the replica replaced: cache empty. */
    struct pool_req b = a;
    b.idx = 2;
    b.enq_ns = 3 * MS;
    CHECK_INT_EQ(pool_enqueue(p, 0, &b), POOL_OK);
    CHECK_INT_EQ(pool_cancel(p, 0, 2, 1), POOL_OK);
    CHECK_INT_EQ(pool_replica_reset(p, 0), POOL_OK);
    CHECK_INT_EQ(pool_prefix_match(p, 0, blocks, 3, 300), 0);
    CHECK_INT_EQ(pool_next_event(p, 0), -1);
    CHECK_INT_EQ(pool_stats(p, 0)->completed, 1); /* counters kept */
    /* It serves again, with a cold cache. */
    struct pool_req d = a;
    d.idx = 3;
    d.enq_ns = 5 * MS;
    CHECK_INT_EQ(pool_enqueue(p, 0, &d), POOL_OK);
    CHECK_INT_EQ(pool_step(p, 0, 5 * MS, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(pool_step(p, 0, 6 * MS, ev, 16, &n), POOL_OK);
    CHECK_INT_EQ(n, 2);
    CHECK_INT_EQ(ev[0].cached_tokens, 0);
    pool_destroy(p);
}

/* ---- profiles -------------------------------------------------------- */

static void test_profiles(void)
{
    CHECK(pool_profile_count() >= 5);
    CHECK(pool_profile_find("nope") == NULL);
    CHECK_NEAR(pool_kv_bytes_per_token(pool_profile_find("h100-llama3.1-8b")->model), 131072, 0);
    CHECK_NEAR(pool_kv_bytes_per_token(pool_profile_find("h100x4-llama3.1-70b")->model), 327680, 0);
    /* FP8: 1 byte per weight and KV element.  H100 / 8B: (0.9 x 80 GB -
     * 8.03 GB - 2 GB) / 65,536 B = 945,587 tokens; prefill at FP8 peak is
     * twice as fast per token as BF16. */
    {
        const struct pool_profile *f8 = pool_profile_find("h100-llama3.1-8b-fp8");
        const struct pool_profile *b16 = pool_profile_find("h100-llama3.1-8b");
        struct pool_perf pf, pb;
        CHECK(f8 != NULL && b16 != NULL);
        if (f8 != NULL && b16 != NULL) {
            CHECK_NEAR(pool_kv_bytes_per_token(f8->model), 65536, 0);
            CHECK_INT_EQ(pool_profile_perf(f8, &pf), POOL_OK);
            CHECK_INT_EQ(pool_profile_perf(b16, &pb), POOL_OK);
            CHECK_INT_EQ(pf.kv_capacity_tokens, 945587);
            CHECK_NEAR(pf.t_prefill_ns_per_token, pb.t_prefill_ns_per_token * 989.0 / 1979.0, 1e-9);
            CHECK_NEAR(pf.t_fixed_ns - 0.5 * MS, (pb.t_fixed_ns - 0.5 * MS) / 2, 1e-6);
        }
    }
    printf("%-22s %-15s %3s %9s %10s %10s %10s %9s %9s\n", "profile", "machine", "gpu", "KV tok",
           "TTFT1k ms", "tok/s b=1", "tok/s b32", "$/h", "$/h spot");
    for (uint32_t i = 0; i < pool_profile_count(); i++) {
        const struct pool_profile *pr = pool_profile_at(i);
        struct pool_perf f;
        CHECK_INT_EQ(pool_profile_perf(pr, &f), POOL_OK);
        struct pool_cfg c;
        CHECK_INT_EQ(pool_cfg_init(&c, pr), POOL_OK);
        /* TTFT of a 1000-token prompt on an idle replica (one step). */
        double ttft_ms = ttft_ns(&f, 2048, 1000) / 1e6;
        /* Decode at batch b, each sequence with ~1100 tokens of context. */
        double tps1 = 1e9 / pool_step_ns(&f, 0, 1, 1100);
        double tps32 = 1e9 / pool_step_ns(&f, 0, 32, 32 * 1100);
        printf("%-22s %-15s %3u %9lld %10.1f %10.1f %10.1f %9.4f %9.4f\n", pr->name,
               pr->machine_type, pr->gpus, (long long)f.kv_capacity_tokens, ttft_ms, tps1, tps32,
               pr->usd_per_hour, pr->usd_per_hour_spot);
        CHECK(ttft_ms > 10.0 && ttft_ms < 1000.0);
        CHECK(tps1 > 5.0 && tps1 < 300.0);
        CHECK(tps32 < tps1);
        CHECK(f.kv_capacity_tokens > 8192);
        CHECK(pr->usd_per_hour_spot > 0.0 && pr->usd_per_hour_spot < pr->usd_per_hour);
    }
    /* Bad configurations. */
    struct pool *p = NULL;
    char err[128] = "";
    struct pool_cfg c = custom_cfg(1, 0, 0, 0, 100, 0);
    CHECK_INT_EQ(pool_create(&c, &p, err, sizeof err), POOL_EINVAL);
    CHECK_STR_CONTAINS(err, "max_batch");
    c = custom_cfg(-1, 0, 0, 0, 100, 1);
    CHECK_INT_EQ(pool_create(&c, &p, err, sizeof err), POOL_EINVAL);
    c = custom_cfg(1, 0, 0, 0, 100, 1);
    c.replicas = 0;
    CHECK_INT_EQ(pool_create(&c, &p, err, sizeof err), POOL_EINVAL);
    CHECK(p == NULL);
}

/* Calibration knobs: the roofline terms scale as 1/mfu and 1/mem_eff; the
 * step overhead adds to t_fixed; server_overhead delays admission. */
static void test_calib(void)
{
    const struct pool_profile *pr = pool_profile_find("h100-llama3.1-8b");
    struct pool_perf d, k;
    struct pool_calib c;
    pool_calib_default(&c);
    CHECK_NEAR(c.mfu, 0.5, 0);
    CHECK_NEAR(c.mem_eff, 0.7, 0);
    CHECK_NEAR(c.step_overhead_ns, 0.5 * MS, 0);
    CHECK_INT_EQ(pool_profile_perf(pr, &d), POOL_OK);
    CHECK_INT_EQ(pool_profile_perf_calib(pr, &c, &k), POOL_OK);
    CHECK_NEAR(k.t_fixed_ns, d.t_fixed_ns, 0);
    CHECK_NEAR(k.t_prefill_ns_per_token, d.t_prefill_ns_per_token, 0);
    c.mfu = 0.25;
    c.mem_eff = 0.35;
    c.step_overhead_ns = 2.0 * MS;
    CHECK_INT_EQ(pool_profile_perf_calib(pr, &c, &k), POOL_OK);
    CHECK_NEAR(k.t_prefill_ns_per_token, 2.0 * d.t_prefill_ns_per_token, 1e-9);
    CHECK_NEAR(k.t_decode_ns_per_seq, 2.0 * d.t_decode_ns_per_seq, 1e-9);
    CHECK_NEAR(k.t_kv_ns_per_token, 2.0 * d.t_kv_ns_per_token, 1e-9);
    /* t_fixed = overhead + weights / B_eff: the weight read doubles. */
    CHECK_NEAR(k.t_fixed_ns - 2.0 * MS, 2.0 * (d.t_fixed_ns - 0.5 * MS), 1e-6);
    CHECK_INT_EQ(k.kv_capacity_tokens, d.kv_capacity_tokens);
    c.mfu = 0;
    CHECK_INT_EQ(pool_profile_perf_calib(pr, &c, &k), POOL_EINVAL);
    c.mfu = 1.5;
    CHECK_INT_EQ(pool_profile_perf_calib(pr, &c, &k), POOL_EINVAL);
    c.mfu = 0.5;
    c.step_overhead_ns = -1;
    CHECK_INT_EQ(pool_profile_perf_calib(pr, &c, &k), POOL_EINVAL);

    /* server_overhead: 1 ms steps, 10 ms overhead.  A arrives at 0: first
     * token at 10 + 1 ms.  B arrives at 10.5 ms while A runs (100 outputs):
     * admitted at the first step boundary from 20.5 ms = 21 ms. */
    struct pool_cfg cf = custom_cfg(1.0 * MS, 0, 0, 0, 10000, 8);
    cf.server_overhead_ns = 10 * MS;
    struct pool *p = mkpool(&cf);
    struct spec sp[] = {{.t_ns = 0, .in = 10, .out = 100},
                        {.t_ns = 10 * MS + MS / 2, .in = 10, .out = 2}};
    struct rec rec[2];
    struct drv dr;
    drive(&dr, p, sp, rec, 2, NULL);
    CHECK_INT_EQ(dr.errors, 0);
    CHECK_INT_EQ(rec[0].admit_ns, 10 * MS);
    CHECK_INT_EQ(rec[0].first_ns, 11 * MS);
    CHECK_INT_EQ(rec[0].done_ns, 110 * MS);
    CHECK_INT_EQ(rec[1].admit_ns, 21 * MS);
    CHECK_INT_EQ(rec[1].first_ns, 22 * MS);
    CHECK_INT_EQ(rec[1].done_ns, 23 * MS);
    pool_destroy(p);
    cf.server_overhead_ns = -1;
    struct pool *q = NULL;
    char err[128];
    CHECK_INT_EQ(pool_create(&cf, &q, err, sizeof err), POOL_EINVAL);
}

/* Engine presets: the defaults cited in pool_profiles.c, computed by hand. */
static void test_engines(void)
{
    uint32_t mb = 0, ch = 0;
    const struct pool_profile *h = pool_profile_find("h100-llama3.1-8b");
    const struct pool_profile *a = pool_profile_find("a100-llama3.1-8b");
    const struct pool_profile *l = pool_profile_find("l4-llama3.1-8b");
    const struct pool_profile *h4 = pool_profile_find("h100x4-llama3.1-70b");
    CHECK_INT_EQ(pool_engine_defaults(h, POOL_ENGINE_NONE, 1000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 256);
    CHECK_INT_EQ(ch, 2048);
    /* vLLM: H100 80 GB (74.5 GiB >= 70 GiB) 1024 / 8192; A100 excluded by
     * name; L4 below 70 GiB. */
    CHECK_INT_EQ(pool_engine_defaults(h, POOL_ENGINE_VLLM, 1000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 1024);
    CHECK_INT_EQ(ch, 8192);
    CHECK_INT_EQ(pool_engine_defaults(h4, POOL_ENGINE_VLLM, 1000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 1024);
    CHECK_INT_EQ(pool_engine_defaults(a, POOL_ENGINE_VLLM, 1000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 256);
    CHECK_INT_EQ(ch, 2048);
    CHECK_INT_EQ(pool_engine_defaults(l, POOL_ENGINE_VLLM, 1000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 256);
    CHECK_INT_EQ(ch, 2048);
    /* SGLang: 8192 on 80 GB, 2048 on 24 GB; requests min(kv/2,
     * clamp(kv / 131072 x 512, 2048, 4096)). */
    CHECK_INT_EQ(pool_engine_defaults(h, POOL_ENGINE_SGLANG, 400000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(ch, 8192);
    CHECK_INT_EQ(mb, 2048); /* 400000 / 256 = 1562 -> 2048 */
    CHECK_INT_EQ(pool_engine_defaults(h, POOL_ENGINE_SGLANG, 1310720, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 4096); /* 5120 -> 4096 */
    CHECK_INT_EQ(pool_engine_defaults(h, POOL_ENGINE_SGLANG, 768000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(mb, 3000);
    CHECK_INT_EQ(pool_engine_defaults(l, POOL_ENGINE_SGLANG, 3000, &mb, &ch), POOL_OK);
    CHECK_INT_EQ(ch, 2048);
    CHECK_INT_EQ(mb, 1500); /* kv / 2 */
    CHECK_INT_EQ(pool_engine_defaults(h, (enum pool_engine)7, 1000, &mb, &ch), POOL_EINVAL);
    CHECK_INT_EQ(pool_engine_defaults(h, POOL_ENGINE_VLLM, 0, &mb, &ch), POOL_EINVAL);

    /* A shared budget: chunk 8 with 3 decoding requests leaves 5 prompt
     * tokens per step.  Steps take 1 ms + 1 ms per prompt token. */
    struct pool_cfg c = custom_cfg(1.0 * MS, 1.0 * MS, 0, 0, 100000, 8);
    c.chunked_prefill_tokens = 8;
    c.budget_counts_decode = true;
    struct spec sp[] = {{.t_ns = 0, .in = 1, .out = 100},
                        {.t_ns = 0, .in = 1, .out = 100},
                        {.t_ns = 0, .in = 1, .out = 100},
                        {.t_ns = 10 * MS, .in = 7, .out = 1}};
    struct rec rec[4];
    struct drv dr;
    struct pool *p = mkpool(&c);
    drive(&dr, p, sp, rec, 4, NULL);
    CHECK_INT_EQ(dr.errors, 0);
    /* A-C decode in 1 ms steps; D is admitted at 10 ms: chunks of 5 (6 ms)
     * and 2 (3 ms). */
    CHECK_INT_EQ(rec[3].admit_ns, 10 * MS);
    CHECK_INT_EQ(rec[3].first_ns, 19 * MS);
    pool_destroy(p);
    c.budget_counts_decode = false;
    p = mkpool(&c);
    drive(&dr, p, sp, rec, 4, NULL);
    /* Prompt-only budget: the 7 tokens in one 8 ms step. */
    CHECK_INT_EQ(rec[3].first_ns, 18 * MS);
    pool_destroy(p);
}

/* KV on demand: 16-token blocks, 64 tokens of KV (4 blocks), 1 ms steps.
 * A (16 in, 40 out) and B (16 in, 40 out) both fit at first (1 block
 * each); when their growth needs a fifth block, B (the newest) is
 * preempted, A finishes, then B recomputes its prompt and output so far. */
static void test_on_demand(void)
{
    struct pool_cfg c = custom_cfg(1.0 * MS, 0, 0, 0, 64, 8);
    c.kv_block_tokens = 16;
    struct pool *p = mkpool(&c);
    struct spec sp[] = {{.t_ns = 0, .in = 16, .out = 40}, {.t_ns = 0, .in = 16, .out = 40}};
    struct rec rec[2];
    struct drv dr;
    drive(&dr, p, sp, rec, 2, NULL);
    CHECK_INT_EQ(dr.errors, 0);
    const struct pool_stats *st = pool_stats(p, 0);
    CHECK_INT_EQ(st->completed, 2);
    CHECK(st->preemptions >= 1);
    CHECK_INT_EQ(rec[0].n_first, 1);
    CHECK_INT_EQ(rec[1].n_first, 1); /* one FIRST_TOKEN despite the recompute */
    CHECK_INT_EQ(rec[1].n_done, 1);
    /* A alone: prefill at 1 ms, then 39 decode steps: done at 40 ms. */
    CHECK_INT_EQ(rec[0].done_ns, 40 * MS);
    CHECK(rec[1].done_ns > rec[0].done_ns);
    CHECK_NEAR(pool_kv_free(p, 0), 1.0, 1e-12);
    pool_destroy(p);
    /* The same with reservation: B waits for A (16 + 40 = 56 of 64). */
    c.kv_block_tokens = 0;
    p = mkpool(&c);
    drive(&dr, p, sp, rec, 2, NULL);
    CHECK_INT_EQ(pool_stats(p, 0)->preemptions, 0);
    CHECK_INT_EQ(rec[1].admit_ns, 40 * MS);
    pool_destroy(p);
}

int main(void)
{
    test_profiles();
    test_on_demand();
    test_calib();
    test_engines();
    test_batching();
    test_kv_bound();
    test_prefix();
    test_cancel();
    test_speed_reset();
    test_conservation();
    test_md1();
    return check_report("test_pool");
}
