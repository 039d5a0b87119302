/*
 * test_route_scorers_fast.c - weighted_scorers' fast path (bucketed queues,
 * route/strategy/weighted_scorers.c) against its plain O(n) scan, pick by
 * pick: the same backend and the very same random draws.
 *
 * A router of n = 1 .. 700 backends (the fast path runs from
 * ROUTE__INDEX_MIN_N = 32) is driven through a random life cycle:
 * dispatches, completions with failures feeding cooldowns, backends marked
 * down and up, engine signals (queue depths, some unknown, some beyond the
 * filed range; KV shares, mostly unreported), concurrency caps reached,
 * retries with a few or many backends excluded, requests with and without
 * prefix blocks.  At every pick the strategy's state made by hand (no
 * router, so the scan) picks on a copy of the router's view with a copy of
 * the random source as it was before the router's pick: both must return
 * the same answer and leave the source in the same state (so they drew
 * the same numbers: max_score's one tie draw route_rand_below(c), c the
 * backends at the best total, none when c = 1).  The circuit breaker is off: an open backend
 * offered for one pick would not be in the view the scan sees afterwards. Weights: the GIE default,
 * without the prefix scorer, with latency, tokens and headroom scorers, the other pickers (scan in
 * both).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route.h"
#include "sm64.h"

#define NS_PER_MS 1000000LL
#define MAXN      700u
#define MAXOUT    3000u
#define DOCS      8u
#define DOC_BLKS  6u

static uint64_t g_docs[DOCS][DOC_BLKS];

static uint32_t trand(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

struct attempt {
    uint32_t backend;
    struct route_req req;
};

struct cfg {
    const char *what;
    double w[7]; /* queue, kv, prefix, tokens, latency, cost, headroom */
    double picker;
};

static const struct cfg cfgs_run[] = {
    {"GIE default", {2, 2, 3, 0, 0, 0, 0}, 0}, {"no prefix", {2, 2, 0, 0, 0, 0, 0}, 0},
    {"queue only", {1, 0, 0, 0, 0, 0, 0}, 0},  {"kv only", {0, 2, 0, 0, 0, 0, 0}, 0},
    {"latency", {2, 2, 0, 0, 1, 0, 0}, 0},     {"tokens, headroom", {2, 0, 3, 1, 0, 0, 1}, 0},
    {"cost", {2, 2, 0, 0, 0, 1, 0}, 0},        {"weighted_random", {2, 2, 3, 0, 0, 0, 0}, 1},
    {"softmax", {2, 2, 0, 0, 1, 0, 0}, 2},
};

static uint64_t g_picks, g_nonneg;

static void run(const struct cfg *c, uint32_t n, uint32_t steps, uint64_t seed)
{
    static struct attempt out[MAXOUT];
    static struct route_backend_cfg bc[MAXN];
    static struct route_backend vcopy[MAXN];
    const struct route_ops *ops = route_registry_find("weighted_scorers");
    struct sm64 g = {seed}, rg = {seed ^ 0x5eed};
    struct route_env env = {.now_ns = 1000 * NS_PER_MS, .rand = sm64_next, .rand_ctx = &rg};
    struct route_health_cfg h;
    struct route_spec spec;
    struct route_create_args a;
    struct route_router *r;
    void *ref = NULL;
    char err[256];
    uint32_t n_out = 0, bad = 0;
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
    double p[ROUTE_MAX_PARAMS];
    bool signals = trand(&g, 4) != 0, blocks = trand(&g, 2) != 0, kv_rep = trand(&g, 3) == 0;

    for (uint32_t k = 0; k < ROUTE_MAX_PARAMS; k++)
        p[k] = k < ops->n_params ? ops->params[k].def : 0.0;
    for (uint32_t k = 0; k < 7; k++)
        p[k] = c->w[k];
    p[7] = 20000.0; /* token_theta: in-flight tokens move the token score */
    p[8] = c->picker;
    memset(bc, 0, (size_t)n * sizeof bc[0]);
    for (uint32_t i = 0; i < n; i++) {
        bc[i].weight = 1;
        bc[i].price_input = (double)(1 + trand(&g, 3)) * 1e-6;
        bc[i].price_output = (double)(1 + trand(&g, 3)) * 2e-6;
        bc[i].max_inflight = trand(&g, 3) == 0 ? (int32_t)(1 + trand(&g, 4)) : 0;
        bc[i].rpm_limit = trand(&g, 4) == 0 ? 5 + trand(&g, 20) : 0;
        bc[i].model_group = i % 2;
    }
    route_health_default(&h);
    h.cooldown = true;
    h.breaker = false;
    h.cooldown_ns = 1000 * NS_PER_MS;
    memset(&spec, 0, sizeof spec);
    spec.ops = ops;
    spec.weight = 1.0;
    for (uint32_t k = 0; k < ROUTE_MAX_PARAMS; k++)
        spec.params[k] = p[k];
    r = route_router_create_spec(&spec, bc, n, &h, 0, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "router: %s\n", err);
    CHECK(r != NULL);
    memset(&a, 0, sizeof a);
    a.params = p;
    a.n_backends = n;
    a.cfgs = bc;
    CHECK(ops->create(&ref, &a, err, sizeof err) == 0);

    for (uint32_t t = 0; t < steps; t++) {
        struct route_req q;
        const uint64_t *exp = NULL;
        uint32_t act = trand(&g, 100);
        struct sm64 before;
        struct route_view v;
        struct route_env renv;
        int32_t k, want;
        env.now_ns += (int64_t)trand(&g, 300) * NS_PER_MS;
        if (act < 3)
            route_router_set_health(r, trand(&g, n), trand(&g, 3) ? ROUTE_HEALTHY : ROUTE_DOWN);
        if (signals && act >= 3 && act < 25) {
            uint32_t u = trand(&g, 20);
            int64_t qd = u == 0 ? 120 + (int64_t)trand(&g, 20) : (int64_t)trand(&g, 5) - 1;
            double kv = kv_rep && trand(&g, 6) == 0 ? (double)trand(&g, 5) / 4.0 : -1.0;
            route_router_set_signals(r, trand(&g, n), qd, kv, env.now_ns);
        }
        for (uint32_t m = trand(&g, 4); m > 0 && n_out > 0; m--) {
            uint32_t j = trand(&g, n_out);
            struct attempt at = out[j];
            struct route_outcome o;
            uint32_t st = trand(&g, 40);
            memset(&o, 0, sizeof o);
            o.status = st < 37 ? ROUTE_OK : st < 38 ? ROUTE_RATE_LIMITED : ROUTE_SERVER_ERROR;
            o.http_status = st < 37 ? 200 : st < 38 ? 429 : 503;
            o.ttft_ns = 100 * NS_PER_MS + (int64_t)trand(&g, 900) * NS_PER_MS;
            o.latency_ns = o.ttft_ns + (int64_t)(1 + trand(&g, 2000)) * NS_PER_MS;
            o.input_tokens = at.req.input_tokens;
            o.output_tokens = 1 + trand(&g, 300);
            o.retry_after_ns = -1;
            route_router_first_token(r, at.backend, &at.req, o.ttft_ns, &env);
            route_router_complete(r, at.backend, &at.req, &o, &env);
            out[j] = out[--n_out];
        }
        memset(&q, 0, sizeof q);
        q.id = t + 1;
        q.input_tokens = 100 + trand(&g, 3000);
        q.max_tokens = 50 + trand(&g, 1000);
        if (blocks && trand(&g, 3) == 0) {
            q.blocks = g_docs[trand(&g, DOCS)];
            q.n_blocks = 1 + trand(&g, DOC_BLKS);
        }
        if (trand(&g, 5) == 0) { /* a retry: a few backends excluded */
            memset(ex, 0, sizeof ex);
            for (uint32_t m = 1 + trand(&g, 3); m > 0; m--)
                route_exclude_set(ex, trand(&g, n));
            exp = ex;
            q.attempt = 1;
        } else if (trand(&g, 25) == 0) { /* many excluded */
            for (uint32_t w = 0; w < ROUTE_EXCLUDE_WORDS(MAXN); w++)
                ex[w] = sm64_next(&g) & sm64_next(&g);
            exp = ex;
        }
        before = rg;
        k = route_router_pick(r, &q, &env, exp);
        v = *route_router_view(r);
        memcpy(vcopy, v.b, (size_t)n * sizeof vcopy[0]);
        v.b = vcopy;
        renv = env;
        renv.rand_ctx = &before;
        want = ops->pick(ref, &q, &v, &renv, exp);
        g_picks++;
        g_nonneg += k >= 0;
        if (k != want || before.s != rg.s) {
            if (bad < 5)
                fprintf(stderr, "%s n=%u seed=%llu pick %u: router %d, scan %d, draws %s\n",
                        c->what, n, (unsigned long long)seed, t, (int)k, (int)want,
                        before.s == rg.s ? "same" : "differ");
            bad++;
        }
        if (k >= 0 && n_out < MAXOUT && trand(&g, 10) < 9) {
            route_router_dispatch(r, (uint32_t)k, &q, &env);
            ops->on_dispatch(ref, (uint32_t)k, &q, &env);
            out[n_out].backend = (uint32_t)k;
            out[n_out].req = q;
            n_out++;
        }
    }
    CHECK_INT_EQ(bad, 0);
    ops->destroy(ref);
    route_router_destroy(r);
}

static void test_same_as_scan(void)
{
    struct sm64 g = {20261205};
    uint32_t trials = 0;
    for (uint32_t d = 0; d < DOCS; d++)
        for (uint32_t j = 0; j < DOC_BLKS; j++)
            g_docs[d][j] = 0x9e3779b97f4a7c15ull * (d * 64u + j + 1u);
    while (g_picks < 120000) {
        const struct cfg *c = &cfgs_run[trials % (sizeof cfgs_run / sizeof cfgs_run[0])];
        uint32_t n = trand(&g, 4) == 0 ? 1 + trand(&g, 40) : 32 + trand(&g, MAXN - 31);
        run(c, n, 1500, 1000 + trials);
        trials++;
    }
    /* enough answers were backends, not FULL / NONE */
    CHECK(g_nonneg > g_picks / 2);
}

/* The fast path's tie rule, exactly, in a router of 512 backends (GIE
 * default weights, no prefix blocks, no engine signals: every backend is
 * plain, its queue its in-flight count): the backends with nothing in
 * flight tie at the best total; ONE draw route_rand_below(c) = r on the
 * router's source picks the r-th of them in index order (no draw when
 * c = 1).  Checked against that draw made on a copy of the source, then
 * uniformity over the c ties (chi-square). */
static void test_fast_ties(void)
{
    enum { N = 512 };
    static struct route_backend_cfg bc[N];
    static uint32_t tied[N], cnt[N];
    const struct route_ops *ops = route_registry_find("weighted_scorers");
    struct sm64 rg = {99}, copy;
    struct route_env env = {.now_ns = 1000 * NS_PER_MS, .rand = sm64_next, .rand_ctx = &rg};
    struct route_env cenv = env;
    struct route_health_cfg h;
    struct route_spec spec;
    struct route_router *r;
    struct route_req q;
    char err[256];
    uint32_t c = 0, bad = 0, draws = 40000;
    double chi2 = 0.0;

    memset(bc, 0, sizeof bc);
    for (uint32_t i = 0; i < N; i++)
        bc[i].weight = 1;
    route_health_default(&h);
    memset(&spec, 0, sizeof spec);
    spec.ops = ops;
    spec.weight = 1.0;
    for (uint32_t k = 0; k < ops->n_params; k++)
        spec.params[k] = ops->params[k].def;
    r = route_router_create_spec(&spec, bc, N, &h, 0, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL)
        return;
    memset(&q, 0, sizeof q);
    q.input_tokens = 100;
    q.max_tokens = 100;
    /* Load all but every 37th backend (from 5): 14 ties at queue 0. */
    for (uint32_t i = 0; i < N; i++) {
        if (i % 37 == 5) {
            tied[c++] = i;
            continue;
        }
        q.id = i + 1;
        route_router_dispatch(r, i, &q, &env);
    }
    CHECK_INT_EQ(c, 14);
    for (uint32_t t = 0; t < draws; t++) {
        int32_t k;
        uint32_t want;
        copy = rg;
        cenv.rand_ctx = &copy;
        want = tied[route_rand_below(&cenv, c)];
        q.id = 100000 + t;
        k = route_router_pick(r, &q, &env, NULL);
        bad += k != (int32_t)want || rg.s != copy.s;
        if (k >= 0)
            cnt[k]++;
    }
    CHECK_INT_EQ(bad, 0);
    for (uint32_t j = 0; j < c; j++) {
        double e = (double)draws / c, d = (double)cnt[tied[j]] - e;
        chi2 += d * d / e;
    }
    /* 13 degrees of freedom: P(chi2 > 34.53) = 0.001 */
    CHECK(chi2 < 34.53);
    /* One left at queue 0: that one, and no draw. */
    for (uint32_t j = 0; j + 1 < c; j++) {
        q.id = 200000 + j;
        route_router_dispatch(r, tied[j], &q, &env);
    }
    copy = rg;
    for (uint32_t t = 0; t < 100; t++) {
        q.id = 300000 + t;
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), (int)tied[c - 1]);
    }
    CHECK(rg.s == copy.s);
    route_router_destroy(r);
}

int main(void)
{
    test_same_as_scan();
    test_fast_ties();
    return check_report("test_route_scorers_fast");
}
