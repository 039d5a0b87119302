/*
 * test_route_strategies.c - property and behaviour tests of the route/
 * strategies added with ABI 2: the leaves least_inflight_tokens,
 * expected_latency, price_weighted and sort_by, the wrappers filter,
 * ordered_priority, sticky and model_tier, and the groups fallback and
 * loadbalance.  Trees are built with route_router_create_spec over simple
 * leaf children (random, round_robin).
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
#define MAXN      16u

/* ---------------------------------------------------------------------
 * Scaffolding
 * ------------------------------------------------------------------- */

static struct route_env make_env(struct sm64 *g, int64_t now_ns)
{
    struct route_env e = {.now_ns = now_ns, .rand = sm64_next, .rand_ctx = g};
    return e;
}

static uint32_t trand(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

static struct route_req make_req(uint64_t id, int64_t in, int64_t max)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.id = id;
    q.input_tokens = in;
    q.max_tokens = max;
    q.output_tokens = max;
    return q;
}

static struct route_outcome make_out(enum route_status st, int64_t ttft_ns, int64_t latency_ns,
                                     int64_t out_tokens)
{
    struct route_outcome o;
    memset(&o, 0, sizeof o);
    o.status = st;
    o.error_class = ROUTE_EC_GENERIC;
    o.http_status = st == ROUTE_OK ? 200 : st == ROUTE_RATE_LIMITED ? 429 : 503;
    o.ttft_ns = ttft_ns;
    o.latency_ns = latency_ns;
    o.input_tokens = 100;
    o.output_tokens = out_tokens;
    o.retry_after_ns = -1;
    return o;
}

/* |count - N p| <= z sqrt(N p (1 - p)), compared squared (no libm). */
static bool within_binom(uint64_t count, uint64_t n, double p, double z)
{
    double d = (double)count - (double)n * p;
    return d * d <= z * z * (double)n * p * (1.0 - p) + 1e-9;
}

static void cfgs_default(struct route_backend_cfg *c, uint32_t n)
{
    static const char *const names[MAXN] = {"b0", "b1", "b2",  "b3",  "b4",  "b5",  "b6",  "b7",
                                            "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15"};
    memset(c, 0, (size_t)n * sizeof *c);
    for (uint32_t i = 0; i < n; i++) {
        c[i].name = names[i];
        c[i].weight = 1;
        c[i].price_input = 1e-6 * (double)(i + 1);
        c[i].price_output = 1e-6 * (double)(i + 1);
        c[i].kind = ROUTE_KIND_API;
    }
}

/* A spec node with the strategy's defaults filled. */
static struct route_spec spec_of(const char *name)
{
    struct route_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.ops = route_registry_find(name);
    CHECK(sp.ops != NULL);
    if (sp.ops != NULL) {
        for (uint32_t i = 0; i < sp.ops->n_params; i++)
            sp.params[i] = sp.ops->params[i].def;
    }
    sp.weight = 1.0;
    return sp;
}

static void spec_set(struct route_spec *sp, const char *param, double v)
{
    int k = sp->ops != NULL ? route_param_index(sp->ops, param) : -1;
    CHECK(k >= 0);
    if (k >= 0)
        sp->params[k] = v;
}

static struct route_router *build(const struct route_spec *root,
                                  const struct route_backend_cfg *cfgs, uint32_t n)
{
    char err[256] = "";
    struct route_router *r = route_router_create_spec(root, cfgs, n, NULL, 0, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "route_router_create_spec(%s): %s\n",
                root->ops != NULL ? root->ops->name : "?", err);
    CHECK(r != NULL);
    return r;
}

/* A wrapper over one leaf child. */
static struct route_router *build_wrap(struct route_spec *w, const char *leaf,
                                       const struct route_backend_cfg *cfgs, uint32_t n,
                                       struct route_spec *child_store)
{
    *child_store = spec_of(leaf);
    w->children = child_store;
    w->n_children = 1;
    return build(w, cfgs, n);
}

/* Pick, dispatch and complete at once (OK, 100 ms TTFT, 1 s). */
static int32_t pick_run(struct route_router *r, const struct route_req *q, struct route_env *e,
                        const uint64_t *ex)
{
    int32_t k = route_router_pick(r, q, e, ex);
    if (k >= 0) {
        struct route_outcome o = make_out(ROUTE_OK, 100 * NS_PER_MS, NS_PER_S, 10);
        route_router_dispatch(r, (uint32_t)k, q, e);
        route_router_complete(r, (uint32_t)k, q, &o, e);
    }
    return k;
}

static void bits_of(uint64_t *bits, const uint32_t *idx, uint32_t m)
{
    memset(bits, 0, ROUTE_EXCLUDE_WORDS(MAXN) * sizeof *bits);
    for (uint32_t j = 0; j < m; j++)
        route_exclude_set(bits, idx[j]);
}

/* ---------------------------------------------------------------------
 * Properties common to every strategy
 * ------------------------------------------------------------------- */

#define PROP_N     8u
#define PROP_STEPS 3000u
#define PROP_HELD  32u

/* Build strategy `name` over PROP_N backends: wrappers get a random child,
 * groups a random and a round_robin child. */
static struct route_router *build_any(const char *name, const struct route_backend_cfg *cfgs,
                                      struct route_spec *root, struct route_spec *kids)
{
    *root = spec_of(name);
    if (root->ops == NULL)
        return NULL;
    if (root->ops->max_children >= 2) {
        kids[0] = spec_of("random");
        kids[1] = spec_of("round_robin");
        root->children = kids;
        root->n_children = 2;
    } else if (root->ops->max_children == 1) {
        kids[0] = spec_of("random");
        root->children = kids;
        root->n_children = 1;
    }
    if (strcmp(name, "model_tier") == 0)
        root->params[route_param_index(root->ops, "escalate_p")] = 0.3;
    return build(root, cfgs, PROP_N);
}

/*
 * Random lifecycle: health flips, random exclude sets, attempts held in
 * flight against max_inflight = 2, mixed outcomes, sessions.  Checks every
 * answer against the view and writes the sequence of answers to `trace`.
 */
static void run_props(const char *name, uint64_t seed, int32_t *trace)
{
    struct route_backend_cfg cfgs[PROP_N];
    struct route_spec root, kids[2];
    struct route_router *r;
    struct sm64 g = {seed}, world = {seed ^ 0xabcdefu};
    struct {
        uint32_t backend;
        struct route_req q;
    } held[PROP_HELD];
    uint32_t n_held = 0;
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
    int bad = 0;

    cfgs_default(cfgs, PROP_N);
    for (uint32_t i = 0; i < PROP_N; i++) {
        cfgs[i].max_inflight = 2;
        cfgs[i].tier = (int32_t)(i / 3);
        cfgs[i].size_class = i % 3;
    }
    r = build_any(name, cfgs, &root, kids);
    if (r == NULL)
        return;
    for (uint32_t step = 0; step < PROP_STEPS; step++) {
        int64_t now = (int64_t)step * 50 * NS_PER_MS;
        struct route_env e = make_env(&g, now);
        const struct route_view *v = route_router_view(r);
        struct route_req q = make_req(step + 1, 100 + trand(&world, 1000), 1 + trand(&world, 500));
        uint32_t usable = 0, eligible = 0;
        int32_t k;

        q.session = trand(&world, 4) == 0 ? 0 : 1 + trand(&world, 20);
        q.attempt = trand(&world, 4) == 0 ? trand(&world, 3) : 0;
        if (trand(&world, 10) == 0)
            route_router_set_health(r, trand(&world, PROP_N),
                                    trand(&world, 2) ? ROUTE_HEALTHY : ROUTE_DOWN);
        for (uint32_t c2 = 0; c2 < 2; c2++) {
            if (n_held == 0 || (n_held < PROP_HELD && trand(&world, 2) == 0))
                continue;
            uint32_t j = trand(&world, n_held);
            static const enum route_status st[4] = {ROUTE_OK, ROUTE_OK, ROUTE_SERVER_ERROR,
                                                    ROUTE_RATE_LIMITED};
            struct route_outcome o = make_out(
                st[trand(&world, 4)], 50 * NS_PER_MS + (int64_t)trand(&world, 400) * NS_PER_MS,
                2 * NS_PER_S, 1 + trand(&world, 300));
            route_router_complete(r, held[j].backend, &held[j].q, &o, &e);
            held[j] = held[--n_held];
        }
        memset(ex, 0, sizeof ex);
        if (trand(&world, 3) == 0) {
            for (uint32_t i = 0; i < PROP_N; i++) {
                if (trand(&world, 3) == 0)
                    route_exclude_set(ex, i);
            }
        }
        for (uint32_t i = 0; i < PROP_N; i++) {
            bool u = (v->b[i].health == ROUTE_HEALTHY || v->b[i].health == ROUTE_HALF_OPEN) &&
                     !route_excluded(ex, i);
            usable += u;
            eligible += u && v->b[i].inflight < v->b[i].cfg.max_inflight;
        }
        k = route_router_pick(r, &q, &e, ex);
        trace[step] = k;
        if (k >= 0) {
            bool ok = (uint32_t)k < PROP_N && !route_excluded(ex, (uint32_t)k) &&
                      (v->b[k].health == ROUTE_HEALTHY || v->b[k].health == ROUTE_HALF_OPEN) &&
                      v->b[k].inflight < v->b[k].cfg.max_inflight;
            if (!ok && bad++ < 3)
                fprintf(stderr, "%s: step %u picked unusable backend %d\n", name, step, k);
            CHECK(ok);
            route_router_dispatch(r, (uint32_t)k, &q, &e);
            if (n_held < PROP_HELD) {
                held[n_held].backend = (uint32_t)k;
                held[n_held].q = q;
                n_held++;
            } else {
                struct route_outcome o = make_out(ROUTE_OK, 80 * NS_PER_MS, NS_PER_S, 20);
                route_router_complete(r, (uint32_t)k, &q, &o, &e);
            }
        } else {
            CHECK(k == ROUTE_NONE || k == ROUTE_FULL);
            /* NONE only when nothing usable; FULL only when something is */
            if (k == ROUTE_NONE && usable != 0 && bad++ < 3)
                fprintf(stderr, "%s: step %u NONE with %u usable\n", name, step, usable);
            CHECK(k == ROUTE_FULL || usable == 0);
            CHECK(k == ROUTE_NONE || usable > 0);
        }
        (void)eligible;
    }
    /* nothing usable: NONE */
    {
        struct route_env e = make_env(&g, (int64_t)PROP_STEPS * 50 * NS_PER_MS);
        struct route_req q = make_req(999999, 10, 10);
        memset(ex, 0xff, sizeof ex);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, ex), ROUTE_NONE);
        for (uint32_t i = 0; i < PROP_N; i++)
            route_router_set_health(r, i, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), ROUTE_NONE);
    }
    route_router_destroy(r);
}

static const char *const MINE[] = {
    "least_inflight_tokens", "expected_latency", "price_weighted", "sort_by",  "filter",
    "ordered_priority",      "sticky",           "model_tier",     "fallback", "loadbalance",
};
#define N_MINE (sizeof MINE / sizeof MINE[0])

static void test_properties(void)
{
    static int32_t t1[PROP_STEPS], t2[PROP_STEPS], t3[PROP_STEPS];
    for (size_t s = 0; s < N_MINE; s++) {
        const struct route_ops *ops = route_registry_find(MINE[s]);
        char err[256] = "";
        bool same = true, differs = false;
        CHECK(ops != NULL);
        if (ops == NULL)
            continue;
        CHECK_INT_EQ(route_ops_check(ops, err, sizeof err), 0);
        CHECK(ops->summary != NULL && ops->source != NULL);
        run_props(MINE[s], 42, t1);
        run_props(MINE[s], 42, t2);
        run_props(MINE[s], 43, t3);
        for (uint32_t i = 0; i < PROP_STEPS; i++) {
            same = same && t1[i] == t2[i];
            differs = differs || t1[i] != t3[i];
        }
        if (!same)
            fprintf(stderr, "%s: not deterministic for a seed\n", MINE[s]);
        CHECK(same);
        CHECK(differs); /* the seed matters (world and router streams) */
    }
}

/* ---------------------------------------------------------------------
 * filter
 * ------------------------------------------------------------------- */

/* Picks `reps` times and returns the bitmask of backends answered (bit 31:
 * a NONE, bit 30: a FULL). */
static uint32_t seen_mask(struct route_router *r, const struct route_req *q, struct sm64 *g,
                          uint32_t reps)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < reps; i++) {
        struct route_env e = make_env(g, (int64_t)i * NS_PER_MS);
        int32_t k = pick_run(r, q, &e, NULL);
        if (k >= 0)
            m |= 1u << k;
        else
            m |= k == ROUTE_NONE ? 1u << 31 : 1u << 30;
    }
    return m;
}

static void test_filter(void)
{
    struct route_backend_cfg c[4];
    struct route_spec f, kid;
    struct route_router *r;
    struct sm64 g = {7};
    struct route_req q = make_req(1, 100, 100);

    /* task_tool: tool task only to tool backends, others never */
    cfgs_default(c, 3);
    c[2].kind = ROUTE_KIND_TOOL;
    f = spec_of("filter");
    spec_set(&f, "tool_task", 7);
    r = build_wrap(&f, "random", c, 3, &kid);
    q.task = 7;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 1u << 2);
    q.task = 3;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 3u);
    route_router_destroy(r);
    f = spec_of("filter"); /* default tool_task 1, request task 0: tool backends unused */
    r = build_wrap(&f, "random", c, 3, &kid);
    q.task = 0;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 3u);
    route_router_destroy(r);
    f = spec_of("filter");
    spec_set(&f, "task_tool", 0);
    r = build_wrap(&f, "random", c, 3, &kid);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 7u);
    route_router_destroy(r);

    /* region: same region or region 0 */
    q = make_req(1, 100, 100);
    cfgs_default(c, 3);
    c[0].region = 1;
    c[1].region = 2;
    f = spec_of("filter");
    r = build_wrap(&f, "random", c, 3, &kid);
    q.region = 1;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 5u);
    q.region = 2;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 6u);
    q.region = 0;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 7u);
    route_router_destroy(r);

    /* context window: input + max_tokens must fit */
    q = make_req(1, 900, 200);
    cfgs_default(c, 3);
    c[0].context_window = 1000;
    c[1].context_window = 1100;
    f = spec_of("filter");
    r = build_wrap(&f, "random", c, 3, &kid);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 6u);
    q.max_tokens = 201;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 4u);
    route_router_destroy(r);

    /* budget: spent >= budget skips the backend */
    q = make_req(1, 100, 100);
    cfgs_default(c, 3);
    c[0].budget_usd = 1.0;
    c[0].budget_window_ns = 3600 * NS_PER_S;
    f = spec_of("filter");
    r = build_wrap(&f, "random", c, 3, &kid);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 7u);
    route_router_add_cost(r, 0, 0.5, 0);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 7u);
    route_router_add_cost(r, 0, 0.5, 0);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 6u);
    route_router_destroy(r);

    /* tags: every required bit */
    cfgs_default(c, 3);
    c[0].tags = 5;
    c[1].tags = 7;
    c[2].tags = 1;
    f = spec_of("filter");
    spec_set(&f, "tags_required", 5);
    r = build_wrap(&f, "random", c, 3, &kid);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 3u);
    route_router_destroy(r);

    /* model group, and fail_open */
    cfgs_default(c, 3);
    c[0].model_group = 1;
    c[1].model_group = 2;
    c[2].model_group = 2;
    f = spec_of("filter");
    r = build_wrap(&f, "random", c, 3, &kid);
    q.model_group = 2;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 6u);
    q.model_group = 1;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 1u);
    q.model_group = 0; /* 0 matches 0 only */
    CHECK_INT_EQ(seen_mask(r, &q, &g, 50), 1u << 31);
    route_router_set_health(r, 0, ROUTE_DOWN);
    q.model_group = 1;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 50), 1u << 31);
    route_router_destroy(r);
    f = spec_of("filter");
    spec_set(&f, "fail_open", 1);
    r = build_wrap(&f, "random", c, 3, &kid);
    route_router_set_health(r, 0, ROUTE_DOWN);
    q.model_group = 1; /* its only backend is down: fail open to the rest */
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 6u);
    q.model_group = 2;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 6u);
    route_router_destroy(r);
    f = spec_of("filter");
    spec_set(&f, "model_group", 0);
    r = build_wrap(&f, "random", c, 3, &kid);
    q.model_group = 1;
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 7u);
    route_router_destroy(r);

    /* saturated survivors: FULL, not a fail-open */
    cfgs_default(c, 3);
    c[0].model_group = 1;
    c[0].max_inflight = 1;
    f = spec_of("filter");
    spec_set(&f, "fail_open", 1);
    r = build_wrap(&f, "random", c, 3, &kid);
    {
        struct route_env e = make_env(&g, 0);
        q.model_group = 1;
        route_router_dispatch(r, 0, &q, &e);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), ROUTE_FULL);
    }
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * ordered_priority
 * ------------------------------------------------------------------- */

static void test_ordered_priority(void)
{
    struct route_backend_cfg c[5];
    struct route_spec p, kid;
    struct route_router *r;
    struct sm64 g = {11};
    struct route_req q = make_req(1, 100, 100);
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
    static const uint32_t tier0[2] = {0, 1};

    cfgs_default(c, 5);
    c[0].tier = 0;
    c[1].tier = 0;
    c[2].tier = 1;
    c[3].tier = 1;
    c[4].tier = 5;
    p = spec_of("ordered_priority");
    r = build_wrap(&p, "random", c, 5, &kid);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 300), 3u);
    CHECK_INT_EQ(route_router_stats(r)->spillovers, 0);
    route_router_set_health(r, 0, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 300), 2u);
    CHECK_INT_EQ(route_router_stats(r)->spillovers, 0);
    route_router_set_health(r, 1, ROUTE_COOLDOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 300), 12u); /* tier 0 empty: spill to tier 1 */
    CHECK_INT_EQ(route_router_stats(r)->spillovers, 300);
    route_router_set_health(r, 2, ROUTE_DOWN);
    route_router_set_health(r, 3, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 100), 16u); /* then tier 5 */
    CHECK_INT_EQ(route_router_stats(r)->spillovers, 400);
    route_router_set_health(r, 4, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 10), 1u << 31);
    for (uint32_t i = 0; i < 5; i++)
        route_router_set_health(r, i, ROUTE_HEALTHY);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 300), 3u); /* back to tier 0 */
    /* a retry that excluded all of tier 0 is not a spill-over */
    bits_of(ex, tier0, 2);
    {
        struct route_env e = make_env(&g, 0);
        int32_t k = route_router_pick(r, &q, &e, ex);
        CHECK(k == 2 || k == 3);
        CHECK_INT_EQ(route_router_stats(r)->spillovers, 400);
    }
    route_router_destroy(r);

    /* saturated tier 0: FULL by default, spill with spill_on_full */
    for (int spill = 0; spill <= 1; spill++) {
        struct route_env e = make_env(&g, 0);
        c[0].max_inflight = 1;
        c[1].max_inflight = 1;
        p = spec_of("ordered_priority");
        spec_set(&p, "spill_on_full", spill);
        r = build_wrap(&p, "random", c, 5, &kid);
        route_router_dispatch(r, 0, &q, &e);
        route_router_dispatch(r, 1, &q, &e);
        if (spill == 0) {
            CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), ROUTE_FULL);
        } else {
            int32_t k = route_router_pick(r, &q, &e, NULL);
            CHECK(k == 2 || k == 3);
            CHECK_INT_EQ(route_router_stats(r)->spillovers, 1);
        }
        route_router_destroy(r);
    }

    /* the child answering NONE for a tier (its subset) spills too */
    {
        uint64_t subset[ROUTE_EXCLUDE_WORDS(MAXN)];
        static const uint32_t s24[2] = {2, 4};
        cfgs_default(c, 5);
        c[2].tier = 1;
        c[3].tier = 1;
        c[4].tier = 2;
        bits_of(subset, s24, 2);
        p = spec_of("ordered_priority");
        kid = spec_of("random");
        kid.backends = subset;
        p.children = &kid;
        p.n_children = 1;
        r = build(&p, c, 5);
        CHECK_INT_EQ(seen_mask(r, &q, &g, 100), 4u);
        route_router_set_health(r, 2, ROUTE_DOWN);
        CHECK_INT_EQ(seen_mask(r, &q, &g, 100), 16u);
        route_router_destroy(r);
    }
}

/* ---------------------------------------------------------------------
 * sticky
 * ------------------------------------------------------------------- */

static void test_sticky(void)
{
    enum { N = 4, SESS = 200 };
    struct route_backend_cfg c[N];
    struct route_spec s, kid;
    struct route_router *r;
    struct sm64 g = {13};
    int32_t first[SESS];
    uint32_t same = 0, moved = 0, spread = 0;

    cfgs_default(c, N);
    s = spec_of("sticky");
    spec_set(&s, "ttl_s", 100);
    r = build_wrap(&s, "random", c, N, &kid);
    for (uint32_t i = 0; i < SESS; i++) {
        struct route_env e = make_env(&g, 0);
        struct route_req q = make_req(i + 1, 10, 10);
        q.session = 1000 + i;
        first[i] = pick_run(r, &q, &e, NULL);
        CHECK(first[i] >= 0);
    }
    /* within the TTL (refreshed by each use): the same backend */
    for (int64_t t = 50; t <= 250; t += 50) {
        for (uint32_t i = 0; i < SESS; i++) {
            struct route_env e = make_env(&g, t * NS_PER_S);
            struct route_req q = make_req(10000 + i, 10, 10);
            q.session = 1000 + i;
            same += pick_run(r, &q, &e, NULL) == first[i];
        }
    }
    CHECK_INT_EQ(same, 5 * SESS);
    /* after the TTL: re-picked by the child (random: about 3/4 move) */
    for (uint32_t i = 0; i < SESS; i++) {
        struct route_env e = make_env(&g, 351 * NS_PER_S);
        struct route_req q = make_req(20000 + i, 10, 10);
        q.session = 1000 + i;
        int32_t k = pick_run(r, &q, &e, NULL);
        moved += k != first[i];
        first[i] = k;
    }
    CHECK(moved > SESS / 2 && moved < SESS);
    /* an unhealthy mapped backend: re-picked, and the session stays moved */
    {
        struct route_env e = make_env(&g, 352 * NS_PER_S);
        struct route_req q = make_req(30000, 10, 10);
        int32_t k;
        q.session = 1000;
        route_router_set_health(r, (uint32_t)first[0], ROUTE_DOWN);
        k = pick_run(r, &q, &e, NULL);
        CHECK(k >= 0 && k != first[0]);
        route_router_set_health(r, (uint32_t)first[0], ROUTE_HEALTHY);
        for (int j = 0; j < 20; j++)
            CHECK_INT_EQ(pick_run(r, &q, &e, NULL), k);
        /* excluded by a retry: another backend */
        {
            uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
            uint32_t kk = (uint32_t)k;
            bits_of(ex, &kk, 1);
            k = route_router_pick(r, &q, &e, ex);
            CHECK(k >= 0 && (uint32_t)k != kk);
        }
    }
    /* no session key: the child spreads */
    spread =
        seen_mask(r, &(struct route_req){.id = 5, .input_tokens = 1, .max_tokens = 1}, &g, 200);
    CHECK_INT_EQ(spread, 15u);
    route_router_destroy(r);

    /* a tiny table under many sessions: evictions, valid answers */
    s = spec_of("sticky");
    spec_set(&s, "capacity", 16);
    r = build_wrap(&s, "random", c, N, &kid);
    for (uint32_t i = 0; i < 5000; i++) {
        struct route_env e = make_env(&g, (int64_t)i * NS_PER_MS);
        struct route_req q = make_req(i + 1, 10, 10);
        int32_t k;
        q.session = 1 + trand(&g, 100);
        k = pick_run(r, &q, &e, NULL);
        CHECK(k >= 0 && k < N);
    }
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * model_tier
 * ------------------------------------------------------------------- */

static void test_model_tier(void)
{
    enum { N = 5, REQS = 20000 };
    struct route_backend_cfg c[N];
    struct route_spec m, kid;
    struct route_router *r;
    struct sm64 g = {17};
    uint32_t up = 0;
    const struct route_stats *st;

    cfgs_default(c, N);
    c[0].size_class = 0;
    c[1].size_class = 0;
    c[2].size_class = 3;
    c[3].size_class = 3;
    c[4].size_class = 8;
    m = spec_of("model_tier");
    r = build_wrap(&m, "random", c, N, &kid);
    for (uint32_t i = 0; i < 300; i++) {
        struct route_env e = make_env(&g, 0);
        struct route_req q = make_req(i + 1, 10, 10);
        int32_t k0, k1, k2, k5;
        k0 = route_router_pick(r, &q, &e, NULL);
        q.attempt = 1;
        k1 = route_router_pick(r, &q, &e, NULL);
        q.attempt = 2;
        k2 = route_router_pick(r, &q, &e, NULL);
        q.attempt = 5;
        k5 = route_router_pick(r, &q, &e, NULL);
        CHECK(k0 == 0 || k0 == 1); /* small first */
        CHECK(k1 == 2 || k1 == 3); /* escalate on retry */
        CHECK_INT_EQ(k2, 4);
        CHECK_INT_EQ(k5, 4);
    }
    st = route_router_stats(r);
    CHECK_INT_EQ(st->tiered_requests, 300);
    CHECK_INT_EQ(st->escalations, 300);
    /* the small class down: served by the next, not an escalation */
    route_router_set_health(r, 0, ROUTE_DOWN);
    route_router_set_health(r, 1, ROUTE_DOWN);
    {
        struct route_env e = make_env(&g, 0);
        struct route_req q = make_req(777, 10, 10);
        int32_t k = route_router_pick(r, &q, &e, NULL);
        CHECK(k == 2 || k == 3);
        CHECK_INT_EQ(st->escalations, 300);
    }
    route_router_destroy(r);

    /* no escalation on failure */
    m = spec_of("model_tier");
    spec_set(&m, "escalate_on_failure", 0);
    r = build_wrap(&m, "random", c, N, &kid);
    {
        struct route_env e = make_env(&g, 0);
        struct route_req q = make_req(1, 10, 10);
        q.attempt = 3;
        CHECK_INT_EQ(seen_mask(r, &q, &g, 100), 3u);
        (void)e;
    }
    route_router_destroy(r);

    /* escalate_p: binomial share of requests, stable across attempts */
    m = spec_of("model_tier");
    spec_set(&m, "escalate_p", 0.3);
    r = build_wrap(&m, "random", c, N, &kid);
    for (uint32_t i = 0; i < REQS; i++) {
        struct route_env e = make_env(&g, 0);
        struct route_req q = make_req(0x1234567ull + i * 7919ull, 10, 10);
        int32_t k = route_router_pick(r, &q, &e, NULL), k2;
        bool hard = k >= 2;
        CHECK(k >= 0 && k != 4);
        up += hard;
        if (i < 500) { /* same request again: the same decision */
            k2 = route_router_pick(r, &q, &e, NULL);
            CHECK((k2 >= 2) == hard);
        }
    }
    st = route_router_stats(r);
    CHECK(within_binom(up, REQS, 0.3, 5.0));
    CHECK_INT_EQ(st->tiered_requests, REQS + 500);
    CHECK(st->escalations >= up && st->escalations <= up + 500);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * fallback and loadbalance
 * ------------------------------------------------------------------- */

static void test_fallback(void)
{
    enum { N = 4 };
    struct route_backend_cfg c[N];
    struct route_spec f, kids[2];
    struct route_router *r;
    struct sm64 g = {19};
    struct route_req q = make_req(1, 10, 10);
    uint64_t sa[ROUTE_EXCLUDE_WORDS(MAXN)], sb[ROUTE_EXCLUDE_WORDS(MAXN)];
    static const uint32_t a[2] = {0, 1}, b[2] = {2, 3};

    cfgs_default(c, N);
    c[0].max_inflight = 1;
    c[1].max_inflight = 1;
    bits_of(sa, a, 2);
    bits_of(sb, b, 2);
    f = spec_of("fallback");
    kids[0] = spec_of("random");
    kids[0].backends = sa;
    kids[1] = spec_of("round_robin");
    kids[1].backends = sb;
    f.children = kids;
    f.n_children = 2;
    r = build(&f, c, N);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 3u); /* the first child while it can */
    route_router_set_health(r, 0, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 2u);
    route_router_set_health(r, 1, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 12u); /* then the second */
    route_router_set_health(r, 2, ROUTE_DOWN);
    route_router_set_health(r, 3, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 10), 1u << 31);
    route_router_set_health(r, 0, ROUTE_HEALTHY);
    route_router_set_health(r, 1, ROUTE_HEALTHY);
    {
        /* first child full, second has nothing: FULL; second back: it */
        struct route_env e = make_env(&g, 0);
        route_router_dispatch(r, 0, &q, &e);
        route_router_dispatch(r, 1, &q, &e);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), ROUTE_FULL);
        route_router_set_health(r, 3, ROUTE_HEALTHY);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 3);
    }
    route_router_destroy(r);
}

static void test_loadbalance(void)
{
    enum { N = 5, PICKS = 20000 };
    struct route_backend_cfg c[N];
    struct route_spec lb, kids[3];
    struct route_router *r;
    struct sm64 g = {23};
    struct route_req q = make_req(1, 10, 10);
    uint64_t sa[ROUTE_EXCLUDE_WORDS(MAXN)], sb[ROUTE_EXCLUDE_WORDS(MAXN)],
        sc[ROUTE_EXCLUDE_WORDS(MAXN)];
    static const uint32_t a[2] = {0, 1}, b[2] = {2, 3}, cc[1] = {4};
    uint64_t na = 0, nb = 0, nc = 0;

    cfgs_default(c, N);
    bits_of(sa, a, 2);
    bits_of(sb, b, 2);
    bits_of(sc, cc, 1);
    lb = spec_of("loadbalance");
    kids[0] = spec_of("random");
    kids[0].backends = sa;
    kids[0].weight = 3;
    kids[1] = spec_of("round_robin");
    kids[1].backends = sb;
    kids[1].weight = 1;
    kids[2] = spec_of("random");
    kids[2].backends = sc;
    kids[2].weight = 0;
    lb.children = kids;
    lb.n_children = 3;
    r = build(&lb, c, N);
    for (uint32_t i = 0; i < PICKS; i++) {
        struct route_env e = make_env(&g, 0);
        int32_t k = pick_run(r, &q, &e, NULL);
        na += k == 0 || k == 1;
        nb += k == 2 || k == 3;
        nc += k == 4;
    }
    CHECK_INT_EQ(na + nb, PICKS);
    CHECK_INT_EQ(nc, 0);
    CHECK(within_binom(na, PICKS, 0.75, 5.0));
    route_router_set_health(r, 0, ROUTE_DOWN);
    route_router_set_health(r, 1, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 200), 12u); /* A has nothing: B */
    route_router_set_health(r, 2, ROUTE_DOWN);
    route_router_set_health(r, 3, ROUTE_DOWN);
    CHECK_INT_EQ(seen_mask(r, &q, &g, 50), 1u << 31); /* never the weight-0 child */
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Leaves
 * ------------------------------------------------------------------- */

static void test_least_inflight_tokens(void)
{
    enum { N = 4 };
    struct route_backend_cfg c[N];
    struct route_spec s = spec_of("least_inflight_tokens");
    struct route_router *r;
    struct sm64 g = {29};
    struct route_env e = make_env(&g, 0);
    struct route_req big = make_req(1, 1000, 1000), small = make_req(2, 100, 100);

    cfgs_default(c, N);
    r = build(&s, c, N);
    route_router_dispatch(r, 0, &big, &e);   /* 2000 */
    route_router_dispatch(r, 1, &small, &e); /* 200 */
    route_router_dispatch(r, 1, &small, &e); /* 400 */
    route_router_dispatch(r, 2, &small, &e); /* 200 */
    route_router_dispatch(r, 3, &big, &e);   /* 2000 */
    CHECK_INT_EQ(route_router_pick(r, &small, &e, NULL), 2);
    route_router_dispatch(r, 2, &small, &e); /* 400: ties 1 and 2 */
    {
        uint32_t m = 0;
        for (int i = 0; i < 100; i++)
            m |= 1u << route_router_pick(r, &small, &e, NULL);
        CHECK_INT_EQ(m, 6u);
    }
    route_router_destroy(r);
}

static void test_expected_latency(void)
{
    enum { N = 3 };
    struct route_backend_cfg c[N];
    struct route_spec s = spec_of("expected_latency");
    struct route_router *r;
    struct sm64 g = {31};
    struct route_env e = make_env(&g, 0);
    struct route_req q = make_req(1, 1000, 100);

    cfgs_default(c, N);
    r = build(&s, c, N);
    route_router_set_signals(r, 0, 10, -1.0, 0);
    route_router_set_signals(r, 1, 2, -1.0, 0);
    route_router_set_signals(r, 2, 5, -1.0, 0);
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1); /* the short queue */
    /* a slow observed TTFT outweighs a short queue */
    route_router_dispatch(r, 1, &q, &e);
    route_router_first_token(r, 1, &q, 30 * NS_PER_S, &e);
    {
        struct route_outcome o = make_out(ROUTE_OK, 30 * NS_PER_S, 40 * NS_PER_S, 100);
        route_router_complete(r, 1, &q, &o, &e);
    }
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 2);
    route_router_destroy(r);

    /* queue unknown: the in-flight count stands in */
    r = build(&s, c, N);
    route_router_dispatch(r, 0, &q, &e);
    route_router_dispatch(r, 0, &q, &e);
    route_router_dispatch(r, 2, &q, &e);
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1);
    route_router_destroy(r);
}

static void test_price_weighted(void)
{
    enum { N = 3, PICKS = 42000 };
    struct route_backend_cfg c[N];
    struct route_spec s = spec_of("price_weighted");
    struct route_router *r;
    struct sm64 g = {37};
    struct route_req q = make_req(1, 10, 10);
    uint64_t cnt[N] = {0, 0, 0};

    cfgs_default(c, N);
    c[0].price_input = c[0].price_output = 1e-6;
    c[1].price_input = c[1].price_output = 2e-6;
    c[2].price_input = 3e-6; /* average 4e-6 */
    c[2].price_output = 5e-6;
    r = build(&s, c, N);
    for (uint32_t i = 0; i < PICKS; i++) {
        struct route_env e = make_env(&g, 0);
        int32_t k = route_router_pick(r, &q, &e, NULL);
        CHECK(k >= 0 && k < N);
        if (k >= 0 && k < N)
            cnt[k]++;
    }
    /* price^-2: 1, 1/4, 1/16 -> 16/21, 4/21, 1/21 */
    CHECK(within_binom(cnt[0], PICKS, 16.0 / 21.0, 5.0));
    CHECK(within_binom(cnt[1], PICKS, 4.0 / 21.0, 5.0));
    CHECK(within_binom(cnt[2], PICKS, 1.0 / 21.0, 5.0));
    /* a recent failure: avoided for outage_window_s (30 s) */
    {
        struct route_env e = make_env(&g, 100 * NS_PER_S);
        struct route_outcome o = make_out(ROUTE_SERVER_ERROR, -1, NS_PER_S, 0);
        uint32_t m = 0;
        route_router_dispatch(r, 0, &q, &e);
        route_router_complete(r, 0, &q, &o, &e);
        for (int i = 0; i < 2000; i++) {
            e = make_env(&g, 100 * NS_PER_S + (int64_t)i * 14 * NS_PER_MS); /* < 30 s */
            m |= 1u << route_router_pick(r, &q, &e, NULL);
        }
        CHECK_INT_EQ(m, 6u);
        e = make_env(&g, 131 * NS_PER_S);
        m = 0;
        for (int i = 0; i < 200; i++)
            m |= 1u << route_router_pick(r, &q, &e, NULL);
        CHECK(m & 1u);
        /* every backend failed recently: the cheapest, deterministically */
        for (uint32_t i = 0; i < N; i++) {
            route_router_dispatch(r, i, &q, &e);
            route_router_complete(r, i, &q, &o, &e);
        }
        for (int i = 0; i < 50; i++)
            CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 0);
        route_router_set_health(r, 0, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1);
        /* a cancellation is not a failure */
        {
            struct route_outcome cancel = make_out(ROUTE_CANCELLED, -1, NS_PER_S, 0);
            e = make_env(&g, 200 * NS_PER_S);
            route_router_dispatch(r, 2, &q, &e);
            route_router_complete(r, 2, &q, &cancel, &e);
            m = 0;
            for (int i = 0; i < 300; i++)
                m |= 1u << route_router_pick(r, &q, &e, NULL);
            CHECK_INT_EQ(m, 6u);
        }
    }
    route_router_destroy(r);

    /* exponent 0: uniform */
    s = spec_of("price_weighted");
    spec_set(&s, "exponent", 0);
    r = build(&s, c, N);
    cnt[0] = cnt[1] = cnt[2] = 0;
    for (uint32_t i = 0; i < 9000; i++) {
        struct route_env e = make_env(&g, 0);
        cnt[route_router_pick(r, &q, &e, NULL)]++;
    }
    CHECK(within_binom(cnt[2], 9000, 1.0 / 3.0, 5.0));
    route_router_destroy(r);
}

static void test_sort_by(void)
{
    enum { N = 4 };
    struct route_backend_cfg c[N];
    struct route_spec s;
    struct route_router *r;
    struct sm64 g = {41};
    struct route_env e = make_env(&g, 0);
    struct route_req q = make_req(1, 10, 10);
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
    static const int64_t ttft_ms[N] = {300, 50, 100, 0};

    cfgs_default(c, N);
    c[0].price_input = c[0].price_output = 1e-7; /* cheapest */
    c[3].price_input = c[3].price_output = 3e-6; /* 1: 1e-6, 2: 2e-6 */

    /* price ascending, the next on a retry */
    s = spec_of("sort_by");
    r = build(&s, c, N);
    for (int i = 0; i < 20; i++)
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 0);
    {
        uint32_t k0 = 0;
        bits_of(ex, &k0, 1);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, ex), 1);
    }
    route_router_set_health(r, 0, ROUTE_DOWN);
    route_router_set_health(r, 1, ROUTE_DOWN);
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 2);
    route_router_destroy(r);

    /* latency: unseen first, then the lowest TTFT EWMA */
    s = spec_of("sort_by");
    spec_set(&s, "by", 1);
    r = build(&s, c, N);
    for (uint32_t i = 0; i < 3; i++) {
        route_router_dispatch(r, i, &q, &e);
        route_router_first_token(r, i, &q, ttft_ms[i] * NS_PER_MS, &e);
    }
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 3); /* never sampled */
    route_router_dispatch(r, 3, &q, &e);
    route_router_first_token(r, 3, &q, 500 * NS_PER_MS, &e);
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1);
    route_router_destroy(r);

    /* price with a latency cutoff: the cheap slow one skipped */
    s = spec_of("sort_by");
    spec_set(&s, "max_latency_s", 0.2);
    r = build(&s, c, N);
    for (uint32_t i = 0; i < 3; i++) {
        route_router_dispatch(r, i, &q, &e);
        route_router_first_token(r, i, &q, ttft_ms[i] * NS_PER_MS, &e);
    }
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1);
    route_router_set_health(r, 1, ROUTE_DOWN);
    route_router_set_health(r, 2, ROUTE_DOWN);
    route_router_set_health(r, 3, ROUTE_DOWN);
    CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 0); /* none passes: ignored */
    route_router_destroy(r);

    /* throughput descending; unseen explored first; min_throughput cutoff */
    s = spec_of("sort_by");
    spec_set(&s, "by", 2);
    r = build(&s, c, N);
    {
        static const int64_t tokens[N] = {100, 400, 200, 50}; /* per 1 s of decode */
        for (uint32_t i = 0; i < N; i++) {
            struct route_outcome o = make_out(ROUTE_OK, NS_PER_S, 2 * NS_PER_S, tokens[i]);
            if (i == 3)
                CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 3); /* unseen first */
            route_router_dispatch(r, i, &q, &e);
            route_router_complete(r, i, &q, &o, &e);
        }
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1);
        route_router_set_health(r, 1, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 2);
    }
    route_router_destroy(r);
    s = spec_of("sort_by");
    spec_set(&s, "min_throughput_tps", 150);
    r = build(&s, c, N);
    {
        static const int64_t tokens[N] = {100, 400, 200, 50};
        for (uint32_t i = 0; i < N; i++) {
            struct route_outcome o = make_out(ROUTE_OK, NS_PER_S, 2 * NS_PER_S, tokens[i]);
            route_router_dispatch(r, i, &q, &e);
            route_router_complete(r, i, &q, &o, &e);
        }
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 1); /* 0 is cheapest but slow */
        route_router_set_health(r, 1, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 2);
        route_router_set_health(r, 2, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &e, NULL), 0); /* none passes */
    }
    route_router_destroy(r);
}

int main(void)
{
    test_properties();
    test_filter();
    test_ordered_priority();
    test_sticky();
    test_model_tier();
    test_fallback();
    test_loadbalance();
    test_least_inflight_tokens();
    test_expected_latency();
    test_price_weighted();
    test_sort_by();
    return check_report("test_route_strategies");
}
