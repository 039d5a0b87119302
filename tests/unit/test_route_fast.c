/*
 * test_route_fast.c - the indexed fast paths of the route/ strategies
 * (bench/ item of issue "route/ complete": O(1) / O(log n) picks) against
 * the plain scans they replace.
 *
 * A strategy created inside a router gets the router's fleet (unusable and
 * saturated bitsets, journal of view changes) and picks from its indexes;
 * the same strategy created by hand (no router) runs its O(n) scan.  Each
 * test drives a router through a random life cycle (dispatches,
 * completions with failures feeding cooldowns and the breaker, set_health,
 * retries with exclude sets, saturation, RPM/TPM windows rolling, with and
 * without signal staleness) and, at every pick, compares with the scan:
 *  - deterministic strategies (round_robin, lowest_cost, sort_by): the same
 *    answer, the hand-made state kept in lockstep;
 *  - randomised ones: an eligible answer with the right key (the minimum
 *    load / usage, in S for price_weighted), the same FULL / NONE answer, and
 *    the same deterministic answer where the rule is deterministic;
 *  - distributions, in a fixed state: shares within binomial bounds of the
 *    rule's probabilities (random, weighted_random, power_of_two,
 *    least_inflight, least_inflight_tokens, lowest_usage, price_weighted);
 *  - wrappers (filter, ordered_priority, model_tier) over a lowest_cost
 *    child: the answer recomputed from first principles.
 *
 * Links route/ alone (no libm: binomial bounds are compared squared).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route.h"
#include "sm64.h"

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL
#define MAXN      300u
#define MAXOUT    4096u

static uint32_t trand(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

/* A random source that counts its draws. */
struct counted {
    struct sm64 g;
    uint64_t draws;
};

static uint64_t counted_next(void *ctx)
{
    struct counted *c = ctx;
    c->draws++;
    return sm64_next(&c->g);
}

static bool usable(const struct route_backend *b, const uint64_t *ex, uint32_t i)
{
    return (b[i].health == ROUTE_HEALTHY || b[i].health == ROUTE_HALF_OPEN) &&
           !route_excluded(ex, i);
}

static bool saturated(const struct route_backend *b)
{
    return b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight;
}

static bool eligible(const struct route_backend *b, const uint64_t *ex, uint32_t i)
{
    return usable(b, ex, i) && !saturated(&b[i]);
}

static int64_t req_tokens(const struct route_req *q)
{
    return (q->input_tokens > 0 ? q->input_tokens : 0) + (q->max_tokens > 0 ? q->max_tokens : 0);
}

static bool within(const struct route_backend *b, const struct route_req *q)
{
    if (b->cfg.rpm_limit > 0 && b->rpm_used >= b->cfg.rpm_limit)
        return false;
    if (b->cfg.tpm_limit > 0 && b->tpm_used + req_tokens(q) > b->cfg.tpm_limit)
        return false;
    return true;
}

static void default_params(const struct route_ops *ops, double *p)
{
    for (uint32_t k = 0; k < ROUTE_MAX_PARAMS; k++)
        p[k] = k < ops->n_params ? ops->params[k].def : 0.0;
}

/* A strategy state made by hand: no router, so the scan. */
static void *hand_state(const struct route_ops *ops, const double *params,
                        const struct route_backend_cfg *cfgs, uint32_t n)
{
    struct route_create_args a;
    void *st = NULL;
    char err[128];
    memset(&a, 0, sizeof a);
    a.params = params;
    a.n_backends = n;
    a.cfgs = cfgs;
    if (ops->create(&st, &a, err, sizeof err) != 0) {
        fprintf(stderr, "create %s: %s\n", ops->name, err);
        CHECK(0);
    }
    return st;
}

static struct route_router *router_of(const char *name, const double *params,
                                      const struct route_backend_cfg *cfgs, uint32_t n,
                                      const struct route_health_cfg *h, int64_t staleness)
{
    struct route_spec spec;
    const struct route_ops *ops = route_registry_find(name);
    char err[256];
    struct route_router *r;
    memset(&spec, 0, sizeof spec);
    spec.ops = ops;
    spec.weight = 1.0;
    for (uint32_t k = 0; k < ROUTE_MAX_PARAMS; k++)
        spec.params[k] = params[k];
    r = route_router_create_spec(&spec, cfgs, n, h, staleness, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "router %s: %s\n", name, err);
    CHECK(r != NULL);
    return r;
}

/* Random backends: weights 0..4, a few price points (ties), caps, limits. */
static void make_cfgs(struct sm64 *g, struct route_backend_cfg *c, uint32_t n, bool limits)
{
    memset(c, 0, (size_t)n * sizeof c[0]);
    for (uint32_t i = 0; i < n; i++) {
        c[i].weight = trand(g, 5);
        c[i].tier = (int32_t)trand(g, 3);
        c[i].price_input = (double)(1 + trand(g, 4)) * 1e-6;
        c[i].price_output = (double)(1 + trand(g, 4)) * 2e-6;
        c[i].max_inflight = trand(g, 3) == 0 ? (int32_t)(1 + trand(g, 4)) : 0;
        c[i].size_class = trand(g, 2);
        if (limits) {
            c[i].rpm_limit = trand(g, 2) ? 0 : 5 + trand(g, 20);
            c[i].tpm_limit = trand(g, 2) ? 0 : 2000 + trand(g, 20000);
        }
    }
}

struct attempt {
    uint32_t backend;
    struct route_req req;
};

/* The random life cycle.  check(ctx, r, view, req, ex, k) runs after each
 * pick with the router's answer k. */
typedef void (*check_fn)(void *ctx, int64_t now, const struct route_view *v,
                         const struct route_req *q, const uint64_t *ex, int32_t k);
typedef void (*complete_fn)(void *ctx, uint32_t backend, const struct route_req *q,
                            const struct route_outcome *out, const struct route_env *env);
typedef void (*dispatch_fn)(void *ctx, uint32_t backend, const struct route_req *q,
                            const struct route_env *env);

/* Prefix blocks of requests (drive.blocks): DOCS documents of DOC_BLOCKS
 * distinct block hashes; a request sends the first 1..DOC_BLOCKS blocks of
 * one of them. */
#define DOCS       16u
#define DOC_BLOCKS 8u
static uint64_t g_docs[DOCS][DOC_BLOCKS];

static void init_docs(void)
{
    for (uint32_t d = 0; d < DOCS; d++)
        for (uint32_t j = 0; j < DOC_BLOCKS; j++)
            g_docs[d][j] = 0x9e3779b97f4a7c15ull * (d * 64u + j + 1u);
}

/* The document a request's blocks come from. */
static uint32_t doc_of(const struct route_req *q)
{
    return (uint32_t)((q->blocks - &g_docs[0][0]) / DOC_BLOCKS);
}

struct drive {
    const char *name;
    const double *params;
    uint32_t n;
    bool limits;
    int64_t staleness;
    bool health;
    uint32_t steps;
    uint64_t seed;
    check_fn check;
    complete_fn complete; /* also told of each completion (reference states), may be NULL */
    dispatch_fn dispatch; /* ... and of each dispatch, may be NULL */
    bool blocks;          /* requests carry prefix blocks (g_docs) */
    bool heavy;           /* fewer completions: loads build up to MAXOUT in flight */
    bool signals;         /* backends report queue depths */
    void *ctx;
};

/* Dispatches of the last minute, to check the router's windows. */
struct charge {
    uint32_t backend;
    int64_t slot, tokens; /* slot = start of the dispatch's one-second slot */
};

/* The view's RPM / TPM use equals the dispatches whose slot is less than
 * 60 s old, and its in-flight counts the attempts outstanding. */
static uint32_t check_counters(const struct route_view *v, struct charge *ch, uint32_t *n_ch,
                               const struct attempt *out, uint32_t n_out, int64_t now)
{
    static int64_t rpm[MAXN], tpm[MAXN], infl[MAXN];
    uint32_t bad_n = 0, k = 0;
    memset(rpm, 0, sizeof rpm);
    memset(tpm, 0, sizeof tpm);
    memset(infl, 0, sizeof infl);
    for (uint32_t j = 0; j < *n_ch; j++) {
        if (ch[j].slot + 60 * NS_PER_S <= now)
            continue; /* expired */
        rpm[ch[j].backend]++;
        tpm[ch[j].backend] += ch[j].tokens;
        ch[k++] = ch[j];
    }
    *n_ch = k;
    for (uint32_t j = 0; j < n_out; j++)
        infl[out[j].backend]++;
    for (uint32_t i = 0; i < v->n; i++)
        bad_n +=
            v->b[i].rpm_used != rpm[i] || v->b[i].tpm_used != tpm[i] || v->b[i].inflight != infl[i];
    return bad_n;
}

static void drive(const struct drive *d)
{
    static struct attempt out[MAXOUT];
    static struct charge ch[8 * MAXOUT];
    uint32_t n_ch = 0, bad_counters = 0;
    struct route_backend_cfg cfgs[MAXN];
    struct sm64 g = {d->seed}, rg = {d->seed ^ 0xabcdef};
    struct route_env env = {.now_ns = 5 * NS_PER_S, .rand = sm64_next, .rand_ctx = &rg};
    struct route_health_cfg h;
    struct route_router *r;
    uint32_t n_out = 0;
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
    make_cfgs(&g, cfgs, d->n, d->limits);
    for (uint32_t i = 0; i < d->n; i++)
        cfgs[i].model_group = i % 2; /* groups of > 1: 429s cool at once */
    route_health_default(&h);
    h.cooldown = d->health;
    h.breaker = d->health;
    h.breaker_consecutive = 3;
    h.breaker_open_ns = 2 * NS_PER_S;
    h.breaker_probes = 1;
    h.cooldown_ns = NS_PER_S;
    r = router_of(d->name, d->params, cfgs, d->n, &h, d->staleness);
    if (r == NULL)
        return;
    for (uint32_t t = 0; t < d->steps; t++) {
        struct route_req q;
        uint32_t act = trand(&g, 100);
        const uint64_t *exp = NULL;
        int32_t k;
        env.now_ns += (int64_t)trand(&g, 400) * NS_PER_MS;
        if (act < 3) {
            route_router_set_health(r, trand(&g, d->n), trand(&g, 3) ? ROUTE_HEALTHY : ROUTE_DOWN);
        }
        if (d->signals && act >= 3 && act < 20) /* engine-reported queue depths, some unknown */
            route_router_set_signals(r, trand(&g, d->n), (int64_t)trand(&g, 6) - 1, 0.5,
                                     env.now_ns);
        for (uint32_t c = trand(&g, d->heavy ? 2 : 4); c > 0 && n_out > 0; c--) {
            uint32_t j = trand(&g, n_out);
            struct attempt a = out[j];
            struct route_outcome o;
            uint32_t st = trand(&g, 40);
            memset(&o, 0, sizeof o);
            o.status = st < 37 ? ROUTE_OK : st < 38 ? ROUTE_RATE_LIMITED : ROUTE_SERVER_ERROR;
            o.http_status = st < 37 ? 200 : st < 38 ? 429 : 503;
            o.ttft_ns = 100 * NS_PER_MS + (int64_t)trand(&g, 900) * NS_PER_MS;
            o.latency_ns = o.ttft_ns + (int64_t)(1 + trand(&g, 3000)) * NS_PER_MS;
            o.input_tokens = a.req.input_tokens;
            o.output_tokens = 1 + trand(&g, 500);
            o.retry_after_ns = -1;
            route_router_first_token(r, a.backend, &a.req, o.ttft_ns, &env);
            route_router_complete(r, a.backend, &a.req, &o, &env);
            if (d->complete != NULL)
                d->complete(d->ctx, a.backend, &a.req, &o, &env);
            out[j] = out[--n_out];
        }
        memset(&q, 0, sizeof q);
        q.id = t + 1;
        q.input_tokens = trand(&g, 6) == 0 ? 0 : 100 + trand(&g, 3000);
        q.max_tokens = 50 + trand(&g, 1000);
        q.output_tokens = trand(&g, 2) ? q.max_tokens / 2 : 0;
        q.attempt = 0;
        if (d->blocks && trand(&g, 8) != 0) {
            q.blocks = g_docs[trand(&g, DOCS)];
            q.n_blocks = 1 + trand(&g, DOC_BLOCKS);
        }
        if (trand(&g, 4) == 0) { /* a retry: a few backends excluded */
            memset(ex, 0, sizeof ex);
            for (uint32_t c = 1 + trand(&g, 3); c > 0; c--)
                route_exclude_set(ex, trand(&g, d->n));
            exp = ex;
            q.attempt = 1;
        } else if (trand(&g, 20) == 0) { /* many excluded */
            for (uint32_t w = 0; w < ROUTE_EXCLUDE_WORDS(MAXN); w++)
                ex[w] = sm64_next(&g) | sm64_next(&g);
            exp = ex;
        }
        k = route_router_pick(r, &q, &env, exp);
        d->check(d->ctx, env.now_ns, route_router_view(r), &q, exp, k);
        if (d->staleness == 0)
            bad_counters += check_counters(route_router_view(r), ch, &n_ch, out, n_out, env.now_ns);
        if (k >= 0 && n_out < MAXOUT && n_ch < 8 * MAXOUT && trand(&g, 10) < 9) {
            route_router_dispatch(r, (uint32_t)k, &q, &env);
            if (d->dispatch != NULL)
                d->dispatch(d->ctx, (uint32_t)k, &q, &env);
            out[n_out].backend = (uint32_t)k;
            out[n_out].req = q;
            n_out++;
            ch[n_ch].backend = (uint32_t)k;
            ch[n_ch].slot = env.now_ns - env.now_ns % NS_PER_S;
            ch[n_ch].tokens = req_tokens(&q);
            n_ch++;
        }
    }
    CHECK_INT_EQ(bad_counters, 0);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Deterministic strategies: the same answers as the scan in lockstep
 * ------------------------------------------------------------------- */

struct lockstep {
    const struct route_ops *ops;
    void *ref; /* hand-made state */
    uint32_t n;
    uint64_t picks, diffs, nonneg;
};

static uint64_t zero_rand(void *ctx)
{
    (void)ctx;
    return 0;
}

static void check_lockstep(void *ctx, int64_t now, const struct route_view *v,
                           const struct route_req *q, const uint64_t *ex, int32_t k)
{
    struct lockstep *L = ctx;
    struct route_view copy = *v; /* another view struct: the hand state's scan */
    struct route_env env = {.now_ns = now, .rand = zero_rand, .rand_ctx = NULL};
    int32_t want = L->ops->pick(L->ref, q, &copy, &env, ex);
    L->picks++;
    L->nonneg += k >= 0;
    if (want != k) {
        if (L->diffs < 5)
            fprintf(stderr, "%s: pick %llu: router %d, scan %d\n", L->ops->name,
                    (unsigned long long)L->picks, (int)k, (int)want);
        L->diffs++;
    }
}

static void complete_lockstep(void *ctx, uint32_t backend, const struct route_req *q,
                              const struct route_outcome *out, const struct route_env *env)
{
    struct lockstep *L = ctx;
    if (L->ops->on_complete != NULL)
        L->ops->on_complete(L->ref, backend, q, out, env);
}

static void run_lockstep(const char *name, const double *params, uint32_t n, bool limits,
                         int64_t staleness, uint64_t seed)
{
    struct route_backend_cfg cfgs[MAXN];
    struct sm64 g = {seed};
    struct lockstep L;
    struct drive d;
    memset(&L, 0, sizeof L);
    L.ops = route_registry_find(name);
    L.n = n;
    make_cfgs(&g, cfgs, n, limits); /* the same draws as drive() makes */
    for (uint32_t i = 0; i < n; i++)
        cfgs[i].model_group = i % 2;
    L.ref = hand_state(L.ops, params, cfgs, n);
    memset(&d, 0, sizeof d);
    d.name = name;
    d.params = params;
    d.n = n;
    d.limits = limits;
    d.staleness = staleness;
    d.health = true;
    d.steps = 4000;
    d.seed = seed;
    d.check = check_lockstep;
    d.complete = complete_lockstep;
    d.ctx = &L;
    drive(&d);
    if (L.diffs != 0)
        fprintf(stderr, "%s n=%u staleness=%lld: %llu of %llu picks differ\n", name, n,
                (long long)staleness, (unsigned long long)L.diffs, (unsigned long long)L.picks);
    CHECK_INT_EQ(L.diffs, 0);
    if (n >= 32 && !(L.nonneg > L.picks / 4))
        fprintf(stderr, "%s n=%u: %llu of %llu picks routed\n", name, n,
                (unsigned long long)L.nonneg, (unsigned long long)L.picks);
    CHECK(n < 32 || L.nonneg > L.picks / 4); /* the run did route */
    if (L.ops->destroy != NULL)
        L.ops->destroy(L.ref);
}

static void test_deterministic(void)
{
    static const uint32_t sizes[] = {1, 7, 64, 65, 200, 300};
    double p[ROUTE_MAX_PARAMS];
    for (uint32_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int64_t stale = 0; stale <= 50 * NS_PER_MS; stale += 50 * NS_PER_MS) {
            uint64_t seed = 1000 + s * 7 + (uint64_t)stale;
            default_params(route_registry_find("round_robin"), p);
            run_lockstep("round_robin", p, sizes[s], false, stale, seed);
            default_params(route_registry_find("lowest_cost"), p);
            run_lockstep("lowest_cost", p, sizes[s], true, stale, seed + 1);
            p[0] = 1.0; /* LiteLLM price sum */
            run_lockstep("lowest_cost", p, sizes[s], true, stale, seed + 2);
            default_params(route_registry_find("sort_by"), p);
            for (int by = 0; by <= 2; by++) {
                p[0] = by;
                p[1] = 0.0;
                p[2] = 0.0;
                run_lockstep("sort_by", p, sizes[s], false, stale, seed + 3 + (uint64_t)by);
                p[1] = 0.5;   /* max_latency_s */
                p[2] = 400.0; /* min_throughput_tps */
                run_lockstep("sort_by", p, sizes[s], false, stale, seed + 6 + (uint64_t)by);
            }
        }
    }
}

/* round_robin with equal weights in a router: plain cyclic order over the
 * eligible backends, also with a backend down and back. */
static void test_round_robin_cyclic(void)
{
    struct route_backend_cfg cfgs[100];
    struct sm64 g = {3};
    struct route_env env = {.now_ns = 0, .rand = sm64_next, .rand_ctx = &g};
    struct route_req q;
    double p[ROUTE_MAX_PARAMS];
    struct route_router *r;
    memset(cfgs, 0, sizeof cfgs);
    memset(&q, 0, sizeof q);
    for (uint32_t i = 0; i < 100; i++)
        cfgs[i].weight = 3;
    default_params(route_registry_find("round_robin"), p);
    r = router_of("round_robin", p, cfgs, 100, NULL, 0);
    if (r == NULL)
        return;
    for (uint32_t t = 0; t < 250; t++)
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), t % 100);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Randomised strategies: properties at every pick
 * ------------------------------------------------------------------- */

struct props {
    const struct route_ops *ops;
    void *ref;
    bool rpm_never;
    uint32_t n;
    uint64_t picks, bad, nonneg;
    /* price_weighted: the outage window and each backend's last failure */
    int64_t window_ns;
    int64_t last_fail[MAXN];
};

/* price_weighted: no failure (429, 5xx, timeout) within the window. */
static bool pw_stable(const struct props *P, uint32_t i, int64_t now)
{
    return P->window_ns <= 0 || P->last_fail[i] == INT64_MIN ||
           now - P->last_fail[i] >= P->window_ns;
}

static void bad(struct props *P, const char *what, int32_t k, int32_t want)
{
    if (P->bad < 5)
        fprintf(stderr, "%s: pick %llu: %s (router %d, scan %d)\n", P->ops->name,
                (unsigned long long)P->picks, what, (int)k, (int)want);
    P->bad++;
}

static void check_props(void *ctx, int64_t now, const struct route_view *v,
                        const struct route_req *q, const uint64_t *ex, int32_t k)
{
    struct props *P = ctx;
    const struct route_backend *b = v->b;
    const char *name = P->ops->name;
    struct route_view copy = *v;
    struct counted c = {{P->picks * 31 + 7}, 0};
    struct route_env env = {.now_ns = now, .rand = counted_next, .rand_ctx = &c};
    int32_t want = P->ops->pick(P->ref, q, &copy, &env, ex);
    P->picks++;
    P->nonneg += k >= 0;
    if ((k < 0 || want < 0) && k != want) {
        bad(P, "FULL/NONE differs", k, want);
        return;
    }
    if (k < 0)
        return;
    if ((uint32_t)k >= P->n || !eligible(b, ex, (uint32_t)k)) {
        bad(P, "not eligible", k, want);
        return;
    }
    if (strcmp(name, "least_inflight") == 0 && b[k].inflight != b[want].inflight)
        bad(P, "not the least in flight", k, want);
    if (strcmp(name, "least_inflight_tokens") == 0 &&
        b[k].inflight_tokens != b[want].inflight_tokens)
        bad(P, "not the fewest tokens", k, want);
    if (strcmp(name, "lowest_usage") == 0) {
        struct route_backend bk = b[k];
        if (P->rpm_never)
            bk.cfg.rpm_limit = 0;
        if (b[k].tpm_used != b[want].tpm_used || !within(&bk, q))
            bad(P, "not the lowest usage within limits", k, want);
    }
    if (strcmp(name, "weighted_random") == 0 && b[k].cfg.weight == 0 && b[want].cfg.weight > 0)
        bad(P, "weight 0 chosen", k, want);
    /* price_weighted with S empty draws nothing: the cheapest, as the scan */
    if (strcmp(name, "price_weighted") == 0 && c.draws == 0 && k != want)
        bad(P, "not the cheapest with S empty", k, want);
    /* ... and in S (eligible, stable) whenever S is not empty */
    if (strcmp(name, "price_weighted") == 0 && c.draws > 0 && !pw_stable(P, (uint32_t)k, now))
        bad(P, "not in S", k, want);
}

static void complete_props(void *ctx, uint32_t backend, const struct route_req *q,
                           const struct route_outcome *out, const struct route_env *env)
{
    struct props *P = ctx;
    if (P->ops->on_complete != NULL)
        P->ops->on_complete(P->ref, backend, q, out, env);
    if (out->status == ROUTE_RATE_LIMITED || out->status == ROUTE_SERVER_ERROR ||
        out->status == ROUTE_TIMEOUT)
        P->last_fail[backend] = env->now_ns;
}

static void run_props(const char *name, const double *params, uint32_t n, bool limits,
                      int64_t staleness, uint64_t seed)
{
    struct route_backend_cfg cfgs[MAXN];
    struct sm64 g = {seed};
    struct props P;
    struct drive d;
    memset(&P, 0, sizeof P);
    P.ops = route_registry_find(name);
    P.n = n;
    P.rpm_never = strcmp(name, "lowest_usage") == 0 && params[1] >= 0.5;
    P.window_ns = strcmp(name, "price_weighted") == 0 ? (int64_t)(params[1] * 1e9) : 0;
    for (uint32_t i = 0; i < MAXN; i++)
        P.last_fail[i] = INT64_MIN;
    make_cfgs(&g, cfgs, n, limits);
    for (uint32_t i = 0; i < n; i++)
        cfgs[i].model_group = i % 2;
    P.ref = hand_state(P.ops, params, cfgs, n);
    memset(&d, 0, sizeof d);
    d.name = name;
    d.params = params;
    d.n = n;
    d.limits = limits;
    d.staleness = staleness;
    d.health = true;
    d.steps = 4000;
    d.seed = seed;
    d.check = check_props;
    d.complete = complete_props;
    d.ctx = &P;
    drive(&d);
    if (P.bad != 0)
        fprintf(stderr, "%s n=%u staleness=%lld: %llu of %llu picks wrong\n", name, n,
                (long long)staleness, (unsigned long long)P.bad, (unsigned long long)P.picks);
    CHECK_INT_EQ(P.bad, 0);
    if (n >= 32 && !(P.nonneg > P.picks / 4))
        fprintf(stderr, "%s n=%u: %llu of %llu picks routed\n", name, n,
                (unsigned long long)P.nonneg, (unsigned long long)P.picks);
    CHECK(n < 32 || P.nonneg > P.picks / 4);
    if (P.ops->destroy != NULL)
        P.ops->destroy(P.ref);
}

static void test_randomised_properties(void)
{
    static const char *const names[] = {"random",         "weighted_random",       "power_of_two",
                                        "least_inflight", "least_inflight_tokens", "lowest_usage",
                                        "price_weighted"};
    static const uint32_t sizes[] = {1, 7, 64, 65, 300};
    double p[ROUTE_MAX_PARAMS];
    for (uint32_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        for (uint32_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int64_t stale = 0; stale <= 50 * NS_PER_MS; stale += 50 * NS_PER_MS) {
                uint64_t seed = 77 + k * 1000 + s * 10 + (uint64_t)stale;
                default_params(route_registry_find(names[k]), p);
                run_props(names[k], p, sizes[s], true, stale, seed);
                if (strcmp(names[k], "lowest_usage") == 0) {
                    p[1] = 1.0; /* compat_rpm_never_matches */
                    run_props(names[k], p, sizes[s], true, stale, seed + 1);
                }
                if (strcmp(names[k], "price_weighted") == 0) {
                    p[1] = 3.0; /* outage_window_s: backends leave and rejoin S often */
                    run_props(names[k], p, sizes[s], true, stale, seed + 1);
                    p[0] = 4.0; /* exponent: light expensive backends */
                    p[1] = 0.0; /* failures ignored */
                    run_props(names[k], p, sizes[s], true, stale, seed + 2);
                }
            }
        }
    }
}

/* ---------------------------------------------------------------------
 * lowest_latency, cache_aware_guarded, bounded_load_hash: every pick
 * checked against the rule recomputed from first principles (the
 * strategy's own statistics modelled alongside), FULL / NONE against the
 * scan
 * ------------------------------------------------------------------- */

#define LIST_MAX 16u

struct three {
    const struct route_ops *ops;
    const char *name;
    void *ref; /* hand-made state: the scan */
    uint32_t n;
    uint64_t picks, bad, nonneg;
    /* lowest_latency: params and the modelled scores */
    double alpha, buffer, penalty_ns;
    bool list;
    uint32_t list_size;
    double score[MAXN];
    uint64_t samples[MAXN];
    double lst[MAXN][LIST_MAX];
    uint32_t len[MAXN], next[MAXN];
    /* cache_aware_guarded: params and the modelled block index */
    double bal_abs, bal_rel, cache_threshold;
    bool smallest_tree;
    uint32_t maxlen[MAXN][DOCS]; /* longest prefix of each document dispatched */
    /* bounded_load_hash: ring membership */
    bool on_ring[MAXN];
    double balance;
    /* expected_latency: params; prefix_affinity: min_match */
    double el_service_s, el_prefill, el_decode_tps;
    double min_match;
};

static void bad3(struct three *T, const char *what, int32_t k, int32_t want)
{
    if (T->bad < 5)
        fprintf(stderr, "%s: pick %llu: %s (router %d, scan %d)\n", T->name,
                (unsigned long long)T->picks, what, (int)k, (int)want);
    T->bad++;
}

static void lat_add(struct three *T, uint32_t i, double x)
{
    if (T->list) {
        double sum = 0.0;
        if (T->len[i] < T->list_size) {
            T->lst[i][T->len[i]++] = x;
        } else {
            T->lst[i][T->next[i]] = x;
            T->next[i] = T->next[i] + 1 == T->list_size ? 0 : T->next[i] + 1;
        }
        for (uint32_t k = 0; k < T->len[i]; k++)
            sum += T->lst[i][k];
        T->score[i] = sum / (double)T->len[i];
    } else if (T->samples[i] == 0) {
        T->score[i] = x;
    } else {
        T->score[i] += T->alpha * (x - T->score[i]);
    }
    T->samples[i]++;
}

static void complete_three(void *ctx, uint32_t backend, const struct route_req *q,
                           const struct route_outcome *out, const struct route_env *env)
{
    struct three *T = ctx;
    if (T->ops->on_first_token != NULL)
        T->ops->on_first_token(T->ref, backend, q, out->ttft_ns, env);
    if (T->ops->on_complete != NULL)
        T->ops->on_complete(T->ref, backend, q, out, env);
    if (strcmp(T->name, "lowest_latency") != 0)
        return;
    if (T->list) {
        if (out->status == ROUTE_OK) {
            int64_t t = out->ttft_ns >= 0 ? out->ttft_ns : out->latency_ns;
            int64_t tok = out->output_tokens > 1 ? out->output_tokens : 1;
            lat_add(T, backend, (t > 0 ? (double)t : 0.0) / (double)tok);
        } else if (out->status == ROUTE_TIMEOUT && T->penalty_ns > 0.0) {
            lat_add(T, backend, T->penalty_ns);
        }
        return;
    }
    lat_add(T, backend, out->ttft_ns > 0 ? (double)out->ttft_ns : 0.0);
    if (T->penalty_ns > 0.0 && (out->status == ROUTE_TIMEOUT || out->status == ROUTE_SERVER_ERROR))
        lat_add(T, backend, T->penalty_ns);
}

static void dispatch_three(void *ctx, uint32_t backend, const struct route_req *q,
                           const struct route_env *env)
{
    struct three *T = ctx;
    if (T->ops->on_dispatch != NULL)
        T->ops->on_dispatch(T->ref, backend, q, env);
    if (q->blocks != NULL && q->n_blocks > T->maxlen[backend][doc_of(q)])
        T->maxlen[backend][doc_of(q)] = q->n_blocks;
}

/* lowest_latency: k is among the eligible backends (within limits if any
 * is) whose score is within (1 + buffer) x the least of them. */
static bool latency_ok(const struct three *T, const struct route_backend *b, const uint64_t *ex,
                       const struct route_req *q, int32_t k)
{
    bool any_lim = false, first = true;
    double min = 0.0, thr;
    for (uint32_t i = 0; i < T->n; i++)
        any_lim = any_lim || (eligible(b, ex, i) && within(&b[i], q));
    for (uint32_t i = 0; i < T->n; i++) {
        if (!eligible(b, ex, i) || (any_lim && !within(&b[i], q)))
            continue;
        if (first || T->score[i] < min)
            min = T->score[i];
        first = false;
    }
    thr = min * (1.0 + T->buffer);
    return eligible(b, ex, (uint32_t)k) && (!any_lim || within(&b[k], q)) && T->score[k] <= thr;
}

static uint32_t matched(const struct three *T, uint32_t i, const struct route_req *q)
{
    uint32_t m;
    if (q->blocks == NULL || q->n_blocks == 0)
        return 0;
    m = T->maxlen[i][doc_of(q)];
    return m < q->n_blocks ? m : q->n_blocks;
}

static uint32_t index_size(const struct three *T, uint32_t i)
{
    uint32_t size = 0;
    for (uint32_t d = 0; d < DOCS; d++)
        size += T->maxlen[i][d];
    return size;
}

/* cache_aware_guarded: the least loaded when imbalanced; else the least
 * loaded of the best matching when the match share beats the threshold;
 * else the least loaded (compat: the smallest index). */
static bool guarded_ok(const struct three *T, const struct route_backend *b, const uint64_t *ex,
                       const struct route_req *q, int32_t k)
{
    int32_t min = INT32_MAX, max = -1, min_m = INT32_MAX;
    uint32_t best = 0, small = UINT32_MAX;
    for (uint32_t i = 0; i < T->n; i++) {
        if (!eligible(b, ex, i))
            continue;
        min = b[i].inflight < min ? b[i].inflight : min;
        max = b[i].inflight > max ? b[i].inflight : max;
        best = matched(T, i, q) > best ? matched(T, i, q) : best;
        small = index_size(T, i) < small ? index_size(T, i) : small;
    }
    if (!eligible(b, ex, (uint32_t)k))
        return false;
    if ((double)max - (double)min > T->bal_abs && (double)max > T->bal_rel * (double)min)
        return b[k].inflight == min;
    if (best > 0 && (double)best > T->cache_threshold * (double)q->n_blocks) {
        for (uint32_t i = 0; i < T->n; i++)
            if (eligible(b, ex, i) && matched(T, i, q) == best && b[i].inflight < min_m)
                min_m = b[i].inflight;
        return matched(T, (uint32_t)k, q) == best && b[k].inflight == min_m;
    }
    if (T->smallest_tree)
        return index_size(T, (uint32_t)k) == small;
    return b[k].inflight == min;
}

/* bounded_load_hash: the same answer as the scan, unless the walk found no
 * backend within the bound: then both are least loaded. */
static bool chash_ok(const struct three *T, const struct route_backend *b, const uint64_t *ex,
                     int32_t k, int32_t want)
{
    int64_t total = 0, cap;
    uint32_t usable_n = 0;
    int32_t min = INT32_MAX;
    double bound;
    if (k == want)
        return true;
    for (uint32_t i = 0; i < T->n; i++) {
        if (!usable(b, ex, i))
            continue;
        usable_n++;
        total += b[i].inflight;
        if (!saturated(&b[i]) && b[i].inflight < min)
            min = b[i].inflight;
    }
    bound = T->balance * (double)(total + 1) / (double)usable_n;
    cap = (int64_t)bound;
    cap += (double)cap < bound;
    for (uint32_t i = 0; i < T->n; i++)
        if (T->on_ring[i] && eligible(b, ex, i) && b[i].inflight + 1 <= cap)
            return false; /* the walk had a fit: the answers must agree */
    return eligible(b, ex, (uint32_t)k) && b[k].inflight == min && b[want].inflight == min;
}

/* expected_latency: E_i = queue x mean_service_s + prefill + decode
 * (routers.md §4 row 9), recomputed here; k's E is the least over the
 * eligible backends. */
static double el_expect(const struct three *T, const struct route_backend *b,
                        const struct route_req *q)
{
    double in = q->input_tokens > 0 ? (double)q->input_tokens : 0.0;
    double out = q->max_tokens > 0 ? (double)q->max_tokens : 0.0;
    double queue =
        b->queue_depth >= 0 ? (double)b->queue_depth : (double)(b->inflight > 0 ? b->inflight : 0);
    double prefill = b->ttft_samples > 0 && b->ttft_ewma_ns > 0 ? (double)b->ttft_ewma_ns / 1e9
                                                                : in * T->el_prefill;
    return queue * T->el_service_s + prefill + out / T->el_decode_tps;
}

static bool expected_ok(const struct three *T, const struct route_backend *b, const uint64_t *ex,
                        const struct route_req *q, int32_t k)
{
    bool first = true;
    double min = 0.0;
    for (uint32_t i = 0; i < T->n; i++) {
        double e;
        if (!eligible(b, ex, i))
            continue;
        e = el_expect(T, &b[i], q);
        if (first || e < min)
            min = e;
        first = false;
    }
    return eligible(b, ex, (uint32_t)k) && el_expect(T, &b[k], q) == min;
}

/* prefix_affinity: among the eligible backends of longest match M (when
 * M > 0 and M >= min_match x the request's blocks), else among all
 * eligible ones, k has the fewest in flight. */
static bool affinity_ok(const struct three *T, const struct route_backend *b, const uint64_t *ex,
                        const struct route_req *q, int32_t k)
{
    uint32_t best = 0, blocks = q->blocks != NULL ? q->n_blocks : 0;
    int32_t min = INT32_MAX;
    bool by_match;
    for (uint32_t i = 0; i < T->n; i++)
        if (eligible(b, ex, i) && matched(T, i, q) > best)
            best = matched(T, i, q);
    by_match = best > 0 && (double)best >= T->min_match * (double)blocks;
    for (uint32_t i = 0; i < T->n; i++)
        if (eligible(b, ex, i) && (!by_match || matched(T, i, q) == best) && b[i].inflight < min)
            min = b[i].inflight;
    return eligible(b, ex, (uint32_t)k) && (!by_match || matched(T, (uint32_t)k, q) == best) &&
           b[k].inflight == min;
}

static void check_three(void *ctx, int64_t now, const struct route_view *v,
                        const struct route_req *q, const uint64_t *ex, int32_t k)
{
    struct three *T = ctx;
    struct route_view copy = *v;
    struct counted c = {{T->picks * 31 + 7}, 0};
    struct route_env env = {.now_ns = now, .rand = counted_next, .rand_ctx = &c};
    int32_t want = T->ops->pick(T->ref, q, &copy, &env, ex);
    bool ok;
    T->picks++;
    T->nonneg += k >= 0;
    if ((k < 0 || want < 0) && k != want) {
        bad3(T, "FULL/NONE differs", k, want);
        return;
    }
    if (k < 0)
        return;
    if ((uint32_t)k >= T->n) {
        bad3(T, "out of range", k, want);
        return;
    }
    if (strcmp(T->name, "lowest_latency") == 0)
        ok = latency_ok(T, v->b, ex, q, k) && latency_ok(T, v->b, ex, q, want);
    else if (strcmp(T->name, "expected_latency") == 0)
        ok = expected_ok(T, v->b, ex, q, k) && expected_ok(T, v->b, ex, q, want);
    else if (strcmp(T->name, "prefix_affinity") == 0)
        ok = affinity_ok(T, v->b, ex, q, k) && affinity_ok(T, v->b, ex, q, want);
    else if (strcmp(T->name, "cache_aware_guarded") == 0)
        ok = guarded_ok(T, v->b, ex, q, k) && guarded_ok(T, v->b, ex, q, want);
    else
        ok = chash_ok(T, v->b, ex, k, want);
    if (!ok)
        bad3(T, "breaks the rule", k, want);
}

static void run_three(const char *name, const double *params, uint32_t n, bool limits, bool heavy,
                      int64_t staleness, uint64_t seed)
{
    static struct three T;
    struct route_backend_cfg cfgs[MAXN];
    struct sm64 g = {seed};
    struct drive d;
    bool any_w = false;
    memset(&T, 0, sizeof T);
    T.ops = route_registry_find(name);
    T.name = name;
    T.n = n;
    T.alpha = params[0];
    T.buffer = params[1];
    T.penalty_ns = params[2] * 1e9;
    T.list = params[3] >= 0.5;
    T.list_size = (uint32_t)(params[4] + 0.5);
    T.bal_abs = params[0];
    T.bal_rel = params[1];
    T.cache_threshold = params[2];
    T.smallest_tree = params[3] == 1.0;
    T.balance = params[2];
    T.el_service_s = params[0];
    T.el_prefill = params[1];
    T.el_decode_tps = params[2];
    T.min_match = params[1];
    make_cfgs(&g, cfgs, n, limits);
    for (uint32_t i = 0; i < n; i++) {
        cfgs[i].model_group = i % 2;
        any_w = any_w || cfgs[i].weight > 0;
    }
    for (uint32_t i = 0; i < n; i++)
        T.on_ring[i] = !any_w || cfgs[i].weight > 0;
    T.ref = hand_state(T.ops, params, cfgs, n);
    memset(&d, 0, sizeof d);
    d.name = name;
    d.params = params;
    d.n = n;
    d.limits = limits;
    d.staleness = staleness;
    d.health = true;
    d.steps = 4000;
    d.seed = seed;
    d.check = check_three;
    d.complete = complete_three;
    d.dispatch = dispatch_three;
    d.blocks = true;
    d.heavy = heavy;
    d.signals = strcmp(name, "expected_latency") == 0 && (seed & 1u) == 0;
    d.ctx = &T;
    drive(&d);
    if (T.bad != 0)
        fprintf(stderr, "%s n=%u staleness=%lld: %llu of %llu picks wrong\n", name, n,
                (long long)staleness, (unsigned long long)T.bad, (unsigned long long)T.picks);
    CHECK_INT_EQ(T.bad, 0);
    CHECK(n < 32 || T.nonneg > T.picks / 4);
    if (T.ops->destroy != NULL)
        T.ops->destroy(T.ref);
}

static void test_three(void)
{
    static const uint32_t sizes[] = {1, 7, 64, 65, 300};
    double p[ROUTE_MAX_PARAMS];
    for (uint32_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int64_t stale = 0; stale <= 50 * NS_PER_MS; stale += 50 * NS_PER_MS) {
            for (int heavy = 0; heavy <= 1; heavy++) {
                uint64_t seed = 9000 + s * 10 + (uint64_t)stale + (uint64_t)heavy * 100;
                default_params(route_registry_find("lowest_latency"), p);
                run_three("lowest_latency", p, sizes[s], true, heavy, stale, seed);
                p[1] = 0.3; /* buffer */
                run_three("lowest_latency", p, sizes[s], true, heavy, stale, seed + 1);
                p[1] = 0.2;
                p[3] = 1.0; /* list mode */
                p[4] = 4.0;
                run_three("lowest_latency", p, sizes[s], true, heavy, stale, seed + 2);
                default_params(route_registry_find("cache_aware_guarded"), p);
                run_three("cache_aware_guarded", p, sizes[s], false, heavy, stale, seed + 3);
                p[0] = 2.0; /* balance_abs_threshold: imbalance happens */
                p[2] = 0.3;
                run_three("cache_aware_guarded", p, sizes[s], false, heavy, stale, seed + 4);
                p[3] = 1.0; /* compat: smallest index */
                run_three("cache_aware_guarded", p, sizes[s], false, heavy, stale, seed + 5);
                default_params(route_registry_find("bounded_load_hash"), p);
                run_three("bounded_load_hash", p, sizes[s], false, heavy, stale, seed + 6);
                p[2] = 1.05; /* a tight bound: long walks, fallbacks */
                if (!heavy)  /* (heavy: full turns of the ring, slow) */
                    run_three("bounded_load_hash", p, sizes[s], false, heavy, stale, seed + 7);
                default_params(route_registry_find("expected_latency"), p);
                run_three("expected_latency", p, sizes[s], false, heavy, stale, seed + 8);
                p[0] = 0.0; /* no queue term: ties between fresh backends */
                run_three("expected_latency", p, sizes[s], false, heavy, stale, seed + 9);
                default_params(route_registry_find("prefix_affinity"), p);
                run_three("prefix_affinity", p, sizes[s], false, heavy, stale, seed + 10);
                p[1] = 0.5; /* min_match: short matches go by load */
                run_three("prefix_affinity", p, sizes[s], false, heavy, stale, seed + 11);
            }
        }
    }
}

/* cache_aware_guarded in a router, fixed states where an excluded or
 * saturated backend holds the minimum or maximum load: b0 idle, b1 at 40
 * holding document 0, b2 .. b63 at 10, b2 holding document 1. */
static void test_guarded_extremes(void)
{
    enum { N = 64 };
    static struct route_backend_cfg cfgs[N];
    struct sm64 g = {5};
    struct route_env env = {.now_ns = NS_PER_S, .rand = sm64_next, .rand_ctx = &g};
    double p[ROUTE_MAX_PARAMS];
    uint64_t ex[ROUTE_EXCLUDE_WORDS(N)];
    struct route_req q0, q1, plain;
    for (int capped = 0; capped <= 1; capped++) {
        struct route_router *r;
        memset(cfgs, 0, sizeof cfgs);
        for (uint32_t i = 0; i < N; i++)
            cfgs[i].weight = 1;
        if (capped)
            cfgs[1].max_inflight = 40; /* b1 saturated: not in the load range */
        default_params(route_registry_find("cache_aware_guarded"), p);
        r = router_of("cache_aware_guarded", p, cfgs, N, NULL, 0);
        if (r == NULL)
            return;
        memset(&plain, 0, sizeof plain);
        q0 = plain;
        q0.blocks = g_docs[0];
        q0.n_blocks = DOC_BLOCKS;
        q1 = plain;
        q1.blocks = g_docs[1];
        q1.n_blocks = DOC_BLOCKS;
        for (uint32_t j = 0; j < 40; j++)
            route_router_dispatch(r, 1, &q0, &env);
        for (uint32_t i = 2; i < N; i++)
            for (uint32_t j = 0; j < 10; j++)
                route_router_dispatch(r, i, i == 2 ? &q1 : &plain, &env);
        for (uint32_t t = 0; t < 20; t++) {
            /* no exclude: 40 - 0 > 32 imbalanced -> b0 (capped: 10 - 0,
             * balanced; document 1 -> b2) */
            CHECK_INT_EQ(route_router_pick(r, &q1, &env, NULL), capped ? 2 : 0);
            /* b0 out: 40 - 10 balanced, document 0 -> b1 (capped: FULL on b1,
             * the router's answer for a saturated pick, never made: b1 is
             * not eligible, so the match falls to the least loaded) */
            memset(ex, 0, sizeof ex);
            route_exclude_set(ex, 0);
            if (!capped) {
                CHECK_INT_EQ(route_router_pick(r, &q0, &env, ex), 1);
            } else {
                int32_t k = route_router_pick(r, &q0, &env, ex);
                CHECK(k >= 2 && k < N);
            }
            /* b1 out: 10 - 0 balanced, document 1 -> b2 */
            memset(ex, 0, sizeof ex);
            route_exclude_set(ex, 1);
            CHECK_INT_EQ(route_router_pick(r, &q1, &env, ex), 2);
            /* b0 and b1 out: all at 10, document 1 -> b2 */
            route_exclude_set(ex, 0);
            CHECK_INT_EQ(route_router_pick(r, &q1, &env, ex), 2);
            /* everything but b1 out: b1 (capped: FULL) */
            for (uint32_t w = 0; w < ROUTE_EXCLUDE_WORDS(N); w++)
                ex[w] = ~(uint64_t)0;
            ex[0] &= ~(uint64_t)2;
            CHECK_INT_EQ(route_router_pick(r, &q0, &env, ex), capped ? ROUTE_FULL : 1);
        }
        route_router_destroy(r);
    }
}

/* ---------------------------------------------------------------------
 * Distributions in a fixed state
 * ------------------------------------------------------------------- */

/* |c - N p| <= 5 sd + 1, squared. */
static bool binomial_ok(double c, double N, double p)
{
    double d = c - N * p, var = N * p * (1.0 - p);
    if (d < 0)
        d = -d;
    d -= 1.0;
    return d <= 0.0 || d * d <= 25.0 * var;
}

/* TTFT samples check_shares feeds each backend (> 0), NULL: none. */
static const int64_t *g_shares_ttft;

/* A router over n backends in a fixed state: some down, loads from
 * dispatches, TTFT samples (g_shares_ttft); then `picks` picks with
 * exclude ex (no dispatch) and the shares compared with want[]. */
static void check_shares(const char *name, const double *params, struct route_backend_cfg *cfgs,
                         uint32_t n, const uint32_t *load, const int64_t *tokens, const bool *down,
                         const uint64_t *ex, const double *want, uint32_t picks)
{
    static uint32_t count[MAXN];
    struct sm64 g = {99};
    struct route_env env = {.now_ns = NS_PER_S, .rand = sm64_next, .rand_ctx = &g};
    struct route_router *r = router_of(name, params, cfgs, n, NULL, 0);
    uint32_t badc = 0;
    if (r == NULL)
        return;
    memset(count, 0, sizeof count);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < load[i]; j++) {
            struct route_req q;
            memset(&q, 0, sizeof q);
            q.input_tokens = tokens != NULL ? tokens[i] / (int64_t)load[i] : 1;
            route_router_dispatch(r, i, &q, &env);
        }
        if (down[i])
            route_router_set_health(r, i, ROUTE_DOWN);
        if (g_shares_ttft != NULL && g_shares_ttft[i] > 0) {
            struct route_req q;
            memset(&q, 0, sizeof q);
            route_router_first_token(r, i, &q, g_shares_ttft[i], &env);
        }
    }
    for (uint32_t t = 0; t < picks; t++) {
        struct route_req q;
        int32_t k;
        memset(&q, 0, sizeof q);
        q.input_tokens = 10;
        q.max_tokens = 10;
        k = route_router_pick(r, &q, &env, ex);
        CHECK(k >= 0 && (uint32_t)k < n);
        if (k >= 0 && (uint32_t)k < n)
            count[k]++;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!binomial_ok(count[i], picks, want[i])) {
            if (badc++ < 5)
                fprintf(stderr, "%s: backend %u: %u picks of %u, want p = %.5f\n", name, i,
                        count[i], picks, want[i]);
        }
    }
    CHECK_INT_EQ(badc, 0);
    route_router_destroy(r);
}

static void test_distributions(void)
{
    enum { N = 96 };
    static struct route_backend_cfg cfgs[N];
    static uint32_t load[N];
    static int64_t tokens[N];
    static bool down[N];
    static double want[N];
    uint64_t ex[ROUTE_EXCLUDE_WORDS(N)];
    struct sm64 g = {11};
    double p[ROUTE_MAX_PARAMS], total;
    const uint32_t picks = 200000;
    uint32_t m;

    memset(cfgs, 0, sizeof cfgs);
    memset(ex, 0, sizeof ex);
    for (uint32_t i = 0; i < N; i++) {
        cfgs[i].weight = trand(&g, 4); /* zeros included */
        cfgs[i].price_input = (double)(1 + trand(&g, 3)) * 1e-6;
        cfgs[i].price_output = cfgs[i].price_input * 2;
        load[i] = trand(&g, 3);
        tokens[i] = load[i] > 0 ? 1000 * (int64_t)(1 + trand(&g, 2)) * load[i] : 0;
        down[i] = trand(&g, 6) == 0;
        if (trand(&g, 8) == 0)
            route_exclude_set(ex, i);
    }
#define ELIG(i) (!down[i] && !route_excluded(ex, i))

    /* random: uniform over the eligible */
    m = 0;
    for (uint32_t i = 0; i < N; i++)
        m += ELIG(i);
    for (uint32_t i = 0; i < N; i++)
        want[i] = ELIG(i) ? 1.0 / m : 0.0;
    default_params(route_registry_find("random"), p);
    check_shares("random", p, cfgs, N, load, NULL, down, ex, want, picks);

    /* weighted_random: proportional to weight */
    total = 0;
    for (uint32_t i = 0; i < N; i++)
        total += ELIG(i) ? cfgs[i].weight : 0;
    for (uint32_t i = 0; i < N; i++)
        want[i] = ELIG(i) ? cfgs[i].weight / total : 0.0;
    default_params(route_registry_find("weighted_random"), p);
    check_shares("weighted_random", p, cfgs, N, load, NULL, down, ex, want, picks);

    /* least_inflight: uniform over the eligible at the minimum load (0) */
    m = 0;
    for (uint32_t i = 0; i < N; i++)
        m += ELIG(i) && load[i] == 0;
    for (uint32_t i = 0; i < N; i++)
        want[i] = ELIG(i) && load[i] == 0 ? 1.0 / m : 0.0;
    default_params(route_registry_find("least_inflight"), p);
    check_shares("least_inflight", p, cfgs, N, load, NULL, down, ex, want, picks);
    /* cache_aware_guarded, balanced, requests without blocks: the same */
    default_params(route_registry_find("cache_aware_guarded"), p);
    check_shares("cache_aware_guarded", p, cfgs, N, load, NULL, down, ex, want, picks);

    /* lowest_usage: dispatched tokens are the TPM use: the idle ones tie */
    default_params(route_registry_find("lowest_usage"), p);
    check_shares("lowest_usage", p, cfgs, N, load, NULL, down, ex, want, picks);

    /* least_inflight_tokens with no idle backend: ties at the smallest
     * positive token count */
    {
        int64_t min = INT64_MAX;
        uint32_t load1[N];
        for (uint32_t i = 0; i < N; i++) {
            load1[i] = 1;
            tokens[i] = 1000 * (int64_t)(1 + trand(&g, 3));
            if (ELIG(i) && tokens[i] < min)
                min = tokens[i];
        }
        m = 0;
        for (uint32_t i = 0; i < N; i++)
            m += ELIG(i) && tokens[i] == min;
        for (uint32_t i = 0; i < N; i++)
            want[i] = ELIG(i) && tokens[i] == min ? 1.0 / m : 0.0;
        default_params(route_registry_find("least_inflight_tokens"), p);
        check_shares("least_inflight_tokens", p, cfgs, N, load1, tokens, down, ex, want, picks);
    }

    /* power_of_two: P(i) = sum over ordered pairs (a, b) of distinct
     * eligible backends won by i (b wins only when strictly less loaded) */
    m = 0;
    for (uint32_t i = 0; i < N; i++)
        m += ELIG(i);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t wins = 0;
        if (ELIG(i)) {
            for (uint32_t j = 0; j < N; j++) {
                if (j == i || !ELIG(j))
                    continue;
                wins += load[i] <= load[j]; /* i drawn first */
                wins += load[i] < load[j];  /* i drawn second */
            }
        }
        want[i] = (double)wins / ((double)m * (m - 1));
    }
    default_params(route_registry_find("power_of_two"), p);
    check_shares("power_of_two", p, cfgs, N, load, NULL, down, ex, want, picks);

    /* price_weighted: P ~ price^-2 (no failures: every eligible is in S) */
    total = 0;
    for (uint32_t i = 0; i < N; i++) {
        double pr = (cfgs[i].price_input + cfgs[i].price_output) / 2;
        want[i] = ELIG(i) ? 1.0 / (pr * pr) : 0.0;
        total += want[i];
    }
    for (uint32_t i = 0; i < N; i++)
        want[i] /= total;
    default_params(route_registry_find("price_weighted"), p);
    check_shares("price_weighted", p, cfgs, N, load, NULL, down, ex, want, picks);

    /* lowest_latency: TTFT 100 / 120 / 150 / 200 ms; backends with load
     * whose index is a multiple of 5 have used their RPM.  Uniform among the
     * eligible within limits up to (1 + buffer) x their least TTFT (buffer
     * 0.5: 150 ms exactly is in). */
    {
        static struct route_backend_cfg lc[N];
        static int64_t ttft[N];
        static const int64_t levels[4] = {100, 120, 150, 200};
        for (uint32_t i = 0; i < N; i++) {
            lc[i] = cfgs[i];
            lc[i].rpm_limit = i % 5 == 0 && load[i] > 0 ? load[i] : 0;
            ttft[i] = levels[trand(&g, 4)] * NS_PER_MS;
        }
        for (int b = 0; b <= 1; b++) {
            int64_t min = INT64_MAX, thr;
            for (uint32_t i = 0; i < N; i++)
                if (ELIG(i) && lc[i].rpm_limit == 0 && ttft[i] < min)
                    min = ttft[i];
            thr = b ? min * 3 / 2 : min;
            m = 0;
            for (uint32_t i = 0; i < N; i++)
                m += ELIG(i) && lc[i].rpm_limit == 0 && ttft[i] <= thr;
            for (uint32_t i = 0; i < N; i++)
                want[i] = ELIG(i) && lc[i].rpm_limit == 0 && ttft[i] <= thr ? 1.0 / m : 0.0;
            default_params(route_registry_find("lowest_latency"), p);
            p[1] = b ? 0.5 : 0.0;
            g_shares_ttft = ttft;
            check_shares("lowest_latency", p, lc, N, load, NULL, down, ex, want, picks);
            g_shares_ttft = NULL;
        }
    }
#undef ELIG
}

/* ---------------------------------------------------------------------
 * Wrappers over a lowest_cost child, recomputed from first principles
 * ------------------------------------------------------------------- */

struct wrap {
    const char *name;
    const struct route_backend_cfg *cfgs;
    uint32_t n;
    double p[ROUTE_MAX_PARAMS];
    uint64_t picks, bad;
};

/* Cheapest (expected cost, index) eligible backend of set `in` (NULL: all);
 * FULL if some is usable, NONE if none. */
static int32_t cheapest(const struct route_backend *b, uint32_t n, const uint64_t *ex,
                        const bool *in, const struct route_req *q)
{
    int32_t best = -1;
    double bc = 0;
    bool any_usable = false;
    int64_t out = q->output_tokens > 0 ? q->output_tokens : q->max_tokens;
    for (uint32_t i = 0; i < n; i++) {
        double c;
        if ((in != NULL && !in[i]) || !usable(b, ex, i))
            continue;
        any_usable = true;
        if (saturated(&b[i]))
            continue;
        c = b[i].cfg.price_input * (double)(q->input_tokens > 0 ? q->input_tokens : 0) +
            b[i].cfg.price_output * (double)(out > 0 ? out : 0);
        if (best < 0 || c < bc) {
            best = (int32_t)i;
            bc = c;
        }
    }
    return best >= 0 ? best : any_usable ? ROUTE_FULL : ROUTE_NONE;
}

static void check_wrap(void *ctx, int64_t now, const struct route_view *v,
                       const struct route_req *q, const uint64_t *ex, int32_t k)
{
    struct wrap *W = ctx;
    const struct route_backend *b = v->b;
    bool in[MAXN];
    int32_t want = ROUTE_NONE;
    (void)now;
    W->picks++;
    if (strcmp(W->name, "ordered_priority") == 0) {
        bool full = false;
        for (int32_t t = 0; t < 3 && want == ROUTE_NONE; t++) {
            for (uint32_t i = 0; i < W->n; i++)
                in[i] = b[i].cfg.tier == t;
            want = cheapest(b, W->n, ex, in, q);
            if (want == ROUTE_FULL) {
                full = true;
                want = ROUTE_NONE; /* spill_on_full = 1 */
            }
        }
        if (want == ROUTE_NONE && full)
            want = ROUTE_FULL;
    } else if (strcmp(W->name, "model_tier") == 0) {
        /* escalate_p 0, escalate_on_failure: class = attempt among present */
        uint32_t present[2], np = 0, target;
        for (uint32_t c = 0; c < 2; c++) {
            for (uint32_t i = 0; i < W->n; i++) {
                if (b[i].cfg.size_class == c && usable(b, ex, i)) {
                    present[np++] = c;
                    break;
                }
            }
        }
        if (np > 0) {
            uint32_t order[2], no = 0;
            target = q->attempt < np ? q->attempt : np - 1;
            for (uint32_t j = target; j < np; j++) /* the target, larger, then smaller */
                order[no++] = present[j];
            for (uint32_t j = target; j-- > 0;)
                order[no++] = present[j];
            for (uint32_t j = 0; j < no && want == ROUTE_NONE; j++) {
                for (uint32_t i = 0; i < W->n; i++)
                    in[i] = b[i].cfg.size_class == order[j];
                want = cheapest(b, W->n, ex, in, q);
            }
        }
    } else { /* filter: region and tags off; model group on; context windows */
        for (uint32_t i = 0; i < W->n; i++)
            in[i] = b[i].cfg.model_group == q->model_group &&
                    (b[i].cfg.context_window <= 0 || req_tokens(q) <= b[i].cfg.context_window);
        want = cheapest(b, W->n, ex, in, q);
        if (want == ROUTE_FULL) {
            /* FULL only if some backend passing the filter is usable */
            bool any = false;
            for (uint32_t i = 0; i < W->n; i++)
                any = any || (in[i] && usable(b, ex, i));
            want = any ? ROUTE_FULL : ROUTE_NONE;
        }
    }
    if (want != k) {
        if (W->bad < 5)
            fprintf(stderr, "%s: pick %llu: router %d, expected %d\n", W->name,
                    (unsigned long long)W->picks, (int)k, (int)want);
        W->bad++;
    }
}

static void run_wrap(const char *name, uint32_t n, uint64_t seed)
{
    struct route_backend_cfg cfgs[MAXN];
    struct sm64 g = {seed}, rg = {seed + 1};
    struct route_env env = {.now_ns = NS_PER_S, .rand = sm64_next, .rand_ctx = &rg};
    struct route_spec root, child;
    struct wrap W;
    struct route_router *r;
    char err[256];
    static struct attempt out[MAXOUT];
    uint32_t n_out = 0;
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
    memset(&W, 0, sizeof W);
    W.name = name;
    W.n = n;
    make_cfgs(&g, cfgs, n, false);
    for (uint32_t i = 0; i < n; i++) {
        cfgs[i].model_group = trand(&g, 2);
        cfgs[i].context_window = trand(&g, 3) == 0 ? 1000 : 0;
    }
    memset(&root, 0, sizeof root);
    memset(&child, 0, sizeof child);
    root.ops = route_registry_find(name);
    default_params(root.ops, root.params);
    if (strcmp(name, "ordered_priority") == 0)
        root.params[0] = 1.0; /* spill_on_full */
    if (strcmp(name, "filter") == 0) {
        root.params[2] = 0.0; /* region off */
        root.params[4] = 0.0; /* budget off */
    }
    root.weight = 1.0;
    root.children = &child;
    root.n_children = 1;
    child.ops = route_registry_find("lowest_cost");
    default_params(child.ops, child.params);
    child.weight = 1.0;
    r = route_router_create_spec(&root, cfgs, n, NULL, 0, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL) {
        fprintf(stderr, "%s: %s\n", name, err);
        return;
    }
    for (uint32_t t = 0; t < 3000; t++) {
        struct route_req q;
        const uint64_t *exp = NULL;
        int32_t k;
        env.now_ns += 10 * NS_PER_MS;
        if (trand(&g, 30) == 0)
            route_router_set_health(r, trand(&g, n), trand(&g, 2) ? ROUTE_HEALTHY : ROUTE_DOWN);
        for (uint32_t c = trand(&g, 3); c > 0 && n_out > 0; c--) {
            uint32_t j = trand(&g, n_out);
            struct route_outcome o;
            memset(&o, 0, sizeof o);
            o.status = ROUTE_OK;
            o.retry_after_ns = -1;
            route_router_complete(r, out[j].backend, &out[j].req, &o, &env);
            out[j] = out[--n_out];
        }
        memset(&q, 0, sizeof q);
        q.id = t + 1;
        q.input_tokens = 100 + trand(&g, 1500);
        q.max_tokens = 10 + trand(&g, 200);
        q.model_group = trand(&g, 2);
        if (trand(&g, 4) == 0) {
            memset(ex, 0, sizeof ex);
            for (uint32_t c = 1 + trand(&g, 3); c > 0; c--)
                route_exclude_set(ex, trand(&g, n));
            exp = ex;
            q.attempt = 1;
        }
        k = route_router_pick(r, &q, &env, exp);
        check_wrap(&W, env.now_ns, route_router_view(r), &q, exp, k);
        if (k >= 0 && n_out < MAXOUT) {
            route_router_dispatch(r, (uint32_t)k, &q, &env);
            out[n_out].backend = (uint32_t)k;
            out[n_out].req = q;
            n_out++;
        }
    }
    if (W.bad != 0)
        fprintf(stderr, "%s n=%u: %llu of %llu picks differ\n", name, n, (unsigned long long)W.bad,
                (unsigned long long)W.picks);
    CHECK_INT_EQ(W.bad, 0);
    route_router_destroy(r);
}

static void test_wrappers(void)
{
    static const uint32_t sizes[] = {1, 9, 64, 130, 300};
    for (uint32_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        run_wrap("ordered_priority", sizes[s], 500 + s);
        run_wrap("model_tier", sizes[s], 600 + s);
        run_wrap("filter", sizes[s], 700 + s);
    }
}

int main(void)
{
    test_deterministic();
    test_round_robin_cyclic();
    test_randomised_properties();
    init_docs();
    test_three();
    test_guarded_extremes();
    test_distributions();
    test_wrappers();
    return check_report("test_route_fast");
}
