/*
 * bench_route.c - nanoseconds per routing decision, for every strategy of
 * the registry, with 8, 64 and 512 backends (issue "route/ complete",
 * item 10: picks must stay O(1) or O(log n) amortised where the algorithm
 * allows).
 *
 * Each strategy runs in a router built with route_router_create_spec;
 * wrappers and groups get round_robin children (as many as they require).
 * Live counters are realistic: about 4 attempts in flight per backend
 * (a FIFO of 4n outstanding attempts, the oldest completed with a TTFT
 * sample as each new one is dispatched), 1 backend in 16 down, scraped
 * queue depths and KV shares refreshed as the run goes, a virtual clock
 * at 1 ms per request (usage windows roll), and requests with 8 prefix
 * blocks (the first from 32 shared system prompts, the second from 512
 * conversations) and a session key from 1000.
 *
 *   cycle  route_router_pick + dispatch + first_token + complete of the
 *          oldest attempt, per request (>= 10^5 requests)
 *   pick   route_router_pick alone on the warmed router (>= 10^5 picks)
 *
 * The last column classifies the growth of pick time from 8 to 512
 * backends (64x more): "O(n)" when it grows more than 12x, "O(1)/log" when
 * under 4x, "sub-linear" between.  The note says how the pick gets there.
 * The router gives its built-in strategies a "fleet" (route_int.h): bitsets
 * of the unusable and saturated backends and a journal of view changes, and
 * keeps its own per-pick work lazy (usage windows on a timing wheel of slot
 * expiries, health on a deadline heap, publication of changed backends
 * only), so:
 *  - random, power_of_two: rejection sampling over the index range, exact
 *    fallback over the eligible bitset: O(1) expected;
 *  - weighted_random, price_weighted: rejection from an alias table over
 *    the static weights: O(1) expected;
 *  - round_robin (nginx smooth WRR): one max-heap per distinct weight with a
 *    per-group offset, eligibility by bitset diff: O(n/64 + D + log n), the
 *    same sequence;
 *  - least_inflight: load buckets (a sorted array, one swap per +-1):
 *    O(1) amortised; least_inflight_tokens, lowest_usage: idle set + heap
 *    from the journal: O(log n) (below 32 backends they keep the scan);
 *  - lowest_cost: price tree with a fits-the-request bound, branch and
 *    bound: O(log n); sort_by: heaps by key: O(log n);
 *  - lowest_latency: idle set + heap by score, re-keyed per sample, one
 *    index within the request-independent limits and one without:
 *    O(log n), plus O(log n) per candidate within a buffer > 0;
 *  - cache_aware_guarded: load buckets with saturated counts and a bitset
 *    of live buckets, min and max load in O(1); the block-index match:
 *    O(blocks x n/64 + holders);
 *  - bounded_load_hash: the bound's total load and usable count kept from
 *    the journal, O(1) (exclude sets O(n/64 + excluded)); ring lookup
 *    O(log n) + a short walk;
 *  - filter, ordered_priority, model_tier: static bitsets per predicate /
 *    tier / class, word operations: O(n/64) + the child.
 * Not indexed (their files' authors' call): expected_latency (signals
 * change on every sample: a heap keyed by them would do), weighted_scorers
 * (every endpoint scored, as GIE), prefix_affinity (O(n) least-loaded
 * fallback without a match).
 *
 * usage: bench_route [PICKS [STRATEGY...]]   (default 100000, every strategy)
 * Prints the table; never fails on the figures (machines are noisy).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"
#include "sm64.h"

#define N_SIZES   3
#define POOL      4096u
#define N_BLOCKS  8u
#define MAX_NODES 8u

static uint32_t brand(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct note {
    const char *name;
    const char *text;
};

static const struct note NOTES[] = {
    {"random", "rejection sampling; bitset fallback"},
    {"weighted_random", "alias table + rejection"},
    {"round_robin", "heap per weight, same nginx sequence"},
    {"least_inflight", "load buckets, O(1) amortised"},
    {"least_inflight_tokens", "idle set + heap, O(log n)"},
    {"power_of_two", "two rejection draws"},
    {"lowest_latency", "idle set + heap by score, O(log n)"},
    {"expected_latency", "scan; heap on scrape"},
    {"lowest_cost", "price tree, branch and bound"},
    {"lowest_usage", "idle set + heap, O(log n)"},
    {"price_weighted", "alias table + rejection"},
    {"sort_by", "heaps by key, O(log n)"},
    {"weighted_scorers", "O(n) inherent: every backend scored"},
    {"prefix_affinity", "O(blocks x n/64) bitset match; O(n) fallback"},
    {"cache_aware_guarded", "load buckets O(1); O(blocks x n/64) match"},
    {"bounded_load_hash", "O(1) bound from journal; O(log n) ring"},
    {"filter", "static masks, O(n/64) + child"},
    {"ordered_priority", "tier masks, O(n/64) + child"},
    {"sticky", "O(1) map + child on miss"},
    {"model_tier", "class masks, O(n/64) + child"},
    {"fallback", "children in order"},
    {"loadbalance", "child choice + child"},
};

static const char *note_of(const char *name)
{
    for (size_t i = 0; i < sizeof NOTES / sizeof NOTES[0]; i++)
        if (strcmp(NOTES[i].name, name) == 0)
            return NOTES[i].text;
    return "";
}

struct workload {
    struct route_req req[POOL];
    uint64_t blocks[POOL][N_BLOCKS];
};

static void make_workload(struct workload *w, struct sm64 *g)
{
    for (uint32_t k = 0; k < POOL; k++) {
        struct route_req *q = &w->req[k];
        uint32_t conv = brand(g, 512);
        memset(q, 0, sizeof *q);
        w->blocks[k][0] = 0x1000 + brand(g, 32); /* system prompt */
        w->blocks[k][1] = 0x20000 + conv;        /* conversation */
        for (uint32_t j = 2; j < N_BLOCKS; j++)  /* turn-specific */
            w->blocks[k][j] = sm64_next(g);
        q->id = k + 1;
        q->input_tokens = 500 + brand(g, 3500);
        q->max_tokens = 256 + brand(g, 768);
        q->output_tokens = q->max_tokens / 2;
        q->session = 1 + conv % 1000;
        q->blocks = w->blocks[k];
        q->n_blocks = N_BLOCKS;
    }
}

static void make_cfgs(struct route_backend_cfg *c, char (*names)[16], uint32_t n, struct sm64 *g)
{
    memset(c, 0, (size_t)n * sizeof c[0]);
    for (uint32_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "b%u", (unsigned)i);
        c[i].name = names[i];
        c[i].weight = 1 + brand(g, 4);
        c[i].tier = (int32_t)(i % 3);
        c[i].price_input = (double)(1 + brand(g, 10)) * 1e-6;
        c[i].price_cached = c[i].price_input / 4;
        c[i].price_output = (double)(2 + brand(g, 20)) * 1e-6;
        c[i].rpm_limit = brand(g, 2) ? 0 : 100000;
        c[i].tpm_limit = brand(g, 2) ? 0 : 100000000;
        c[i].max_inflight = brand(g, 4) == 0 ? 64 : 0;
        c[i].context_window = 128000;
        c[i].kind = i % 2 ? ROUTE_KIND_POOL : ROUTE_KIND_API;
        c[i].size_class = i % 2;
    }
}

struct result {
    double cycle_ns, pick_ns;
    double none_share;
    int ok;
};

static void fill_defaults(struct route_spec *s, const struct route_ops *ops)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->weight = 1.0;
    for (uint32_t k = 0; k < ops->n_params && k < ROUTE_MAX_PARAMS; k++)
        s->params[k] = ops->params[k].def;
}

struct pending {
    uint32_t backend;
    uint32_t req;
};

static struct result run_one(const struct route_ops *ops, uint32_t n, uint32_t picks,
                             const struct workload *w, char *err, size_t errlen)
{
    struct result res = {0, 0, 0, 0};
    struct sm64 g = {0x5eed + n}, rg = {0xbeef + n};
    struct route_env env = {.now_ns = 1000000000LL, .rand = sm64_next, .rand_ctx = &rg};
    struct route_backend_cfg *cfgs = calloc(n, sizeof *cfgs);
    char(*names)[16] = calloc(n, sizeof *names);
    uint32_t cap = 4 * n, head = 0, count = 0, none = 0;
    struct pending *fifo = calloc(cap, sizeof *fifo);
    struct route_spec root, kids[MAX_NODES];
    struct route_router *r = NULL;
    struct route_outcome out;
    uint32_t n_kids;
    double t0;
    volatile int32_t sink = 0;

    if (cfgs == NULL || names == NULL || fifo == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    make_cfgs(cfgs, names, n, &g);
    fill_defaults(&root, ops);
    n_kids = ops->min_children;
    if (n_kids == 0 && ops->max_children > 0)
        n_kids = 1;
    if (n_kids > MAX_NODES)
        n_kids = MAX_NODES;
    for (uint32_t k = 0; k < n_kids; k++)
        fill_defaults(&kids[k], route_registry_find("round_robin"));
    root.children = n_kids > 0 ? kids : NULL;
    root.n_children = n_kids;
    r = route_router_create_spec(&root, cfgs, n, NULL, 0, err, errlen);
    if (r == NULL)
        goto done;
    for (uint32_t i = 0; i < n; i++) {
        if (brand(&g, 16) == 0)
            route_router_set_health(r, i, ROUTE_DOWN);
        route_router_set_signals(r, i, brand(&g, 20), (double)brand(&g, 101) / 100.0, env.now_ns);
    }
    memset(&out, 0, sizeof out);
    out.status = ROUTE_OK;
    out.http_status = 200;
    out.retry_after_ns = -1;

    /* Warm up (fills the FIFO, the windows, the indexes), then time the
     * cycle; the warm-up is 2 x the FIFO or 20000 requests. */
    for (uint32_t phase = 0; phase < 2; phase++) {
        uint32_t total = phase == 0 ? (2 * cap > 20000 ? 2 * cap : 20000) : picks;
        t0 = now_s();
        for (uint32_t t = 0; t < total; t++) {
            uint32_t k = brand(&g, POOL);
            const struct route_req *q = &w->req[k];
            int32_t b;
            env.now_ns += 1000000;
            if ((t & 63u) == 0)
                route_router_set_signals(r, brand(&g, n), brand(&g, 20),
                                         (double)brand(&g, 101) / 100.0, env.now_ns);
            if (count == cap) { /* complete the oldest attempt */
                struct pending *p = &fifo[head];
                const struct route_req *pq = &w->req[p->req];
                int64_t ttft = 100000000 + (int64_t)brand(&g, 400) * 1000000;
                route_router_first_token(r, p->backend, pq, ttft, &env);
                out.ttft_ns = ttft;
                out.latency_ns = ttft * 4;
                out.input_tokens = pq->input_tokens;
                out.output_tokens = pq->output_tokens;
                route_router_complete(r, p->backend, pq, &out, &env);
                head = (head + 1) % cap;
                count--;
            }
            b = route_router_pick(r, q, &env, NULL);
            if (b >= 0) {
                struct pending *p = &fifo[(head + count) % cap];
                route_router_dispatch(r, (uint32_t)b, q, &env);
                p->backend = (uint32_t)b;
                p->req = k;
                count++;
            } else if (phase == 1) {
                none++;
            }
        }
        if (phase == 1)
            res.cycle_ns = (now_s() - t0) * 1e9 / picks;
    }
    res.none_share = (double)none / picks;

    /* Pick alone on the warmed router (request indexes drawn beforehand
     * would cost the same as brand(): keep the draw, it is ~2 ns). */
    t0 = now_s();
    for (uint32_t t = 0; t < picks; t++) {
        const struct route_req *q = &w->req[t & (POOL - 1)];
        sink += route_router_pick(r, q, &env, NULL);
    }
    res.pick_ns = (now_s() - t0) * 1e9 / picks;
    (void)sink;
    res.ok = 1;
done:
    if (r != NULL)
        route_router_destroy(r);
    free(fifo);
    free(names);
    free(cfgs);
    return res;
}

int main(int argc, char **argv)
{
    static const uint32_t sizes[N_SIZES] = {8, 64, 512};
    uint32_t picks = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000u;
    struct sm64 g = {42};
    struct workload *w = malloc(sizeof *w);
    char err[512];
    int rc = 0;
    if (w == NULL)
        return 3;
    if (picks < 1000)
        picks = 1000;
    make_workload(w, &g);
    printf("bench_route: %u requests per cell; ns per cycle (pick + dispatch + first token + "
           "complete) and per pick alone\n",
           (unsigned)picks);
    printf("%-22s %9s %9s %9s | %9s %9s %9s | %6s  %-11s %s\n", "strategy", "cycle@8", "cycle@64",
           "cycle@512", "pick@8", "pick@64", "pick@512", "x512/8", "scaling", "note");
    for (uint32_t s = 0; s < route_registry_count(); s++) {
        const struct route_ops *ops = route_registry_at(s);
        struct result res[N_SIZES];
        double ratio;
        const char *cls;
        int ok = 1, wanted = argc <= 2;
        for (int a = 2; a < argc; a++)
            wanted |= strcmp(argv[a], ops->name) == 0;
        if (!wanted)
            continue;
        for (uint32_t k = 0; k < N_SIZES; k++) {
            err[0] = '\0';
            res[k] = run_one(ops, sizes[k], picks, w, err, sizeof err);
            if (!res[k].ok) {
                fprintf(stderr, "bench_route: %s with %u backends: %s\n", ops->name,
                        (unsigned)sizes[k], err);
                ok = 0;
                rc = 3;
            }
        }
        if (!ok)
            continue;
        ratio = res[2].pick_ns / (res[0].pick_ns > 0 ? res[0].pick_ns : 1);
        cls = ratio > 12.0 ? "O(n)" : ratio < 4.0 ? "O(1)/log" : "sub-linear";
        printf("%-22s %9.0f %9.0f %9.0f | %9.0f %9.0f %9.0f | %6.1f  %-11s %s\n", ops->name,
               res[0].cycle_ns, res[1].cycle_ns, res[2].cycle_ns, res[0].pick_ns, res[1].pick_ns,
               res[2].pick_ns, ratio, cls, note_of(ops->name));
        for (uint32_t k = 0; k < N_SIZES; k++) {
            if (res[k].none_share > 0.01)
                printf("  (%s at n=%u: %.1f%% of cycle picks were NONE/FULL)\n", ops->name,
                       (unsigned)sizes[k], 100.0 * res[k].none_share);
        }
    }
    free(w);
    return rc;
}
