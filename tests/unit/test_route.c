/*
 * test_route.c - unit and property tests of route/: registry, ops
 * validation, every built-in strategy, the router's lifecycle counters and
 * usage windows, contract sanitising, and the retry policy.
 *
 * Links route/ alone (no libm either): proof that it needs nothing else.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route_int.h" /* route__window: the router's internal usage window */
#include "sm64.h"

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL

/* ---------------------------------------------------------------------
 * Test scaffolding: a seeded random source and random views
 * ------------------------------------------------------------------- */

static struct route_env make_env(struct sm64 *g, int64_t now_ns)
{
    struct route_env e = {.now_ns = now_ns, .rand = sm64_next, .rand_ctx = g};
    return e;
}

/* Test-side random integer in [0, n): independent of the code under test. */
static uint32_t trand(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

static struct route_req make_req(int64_t in, int64_t max, int64_t out)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.id = 1;
    q.input_tokens = in;
    q.max_tokens = max;
    q.output_tokens = out;
    return q;
}

static bool t_usable(const struct route_backend *b, const uint64_t *ex, uint32_t i)
{
    return b[i].health == ROUTE_HEALTHY && !route_excluded(ex, i);
}

static bool t_saturated(const struct route_backend *b)
{
    return b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight;
}

/* Independent restatement of the RPM/TPM filter. */
static bool t_within(const struct route_backend *b, const struct route_req *q)
{
    int64_t tok = q->input_tokens + q->max_tokens;
    if (b->cfg.rpm_limit > 0 && b->rpm_used + 1 > b->cfg.rpm_limit)
        return false;
    if (b->cfg.tpm_limit > 0 && b->tpm_used + tok > b->cfg.tpm_limit)
        return false;
    return true;
}

#define MAX_TEST_N 130u

/* Fill n backends with random health/inflight/caps/weights; limits unset
 * unless `limits`.  Also a random exclude set. */
static void random_view(struct sm64 *g, struct route_backend *b, uint32_t n, uint64_t *ex,
                        bool limits)
{
    uint32_t p_down = trand(g, 4), p_ex = trand(g, 4), p_cap = trand(g, 3);
    memset(ex, 0, ROUTE_EXCLUDE_WORDS(MAX_TEST_N) * sizeof ex[0]);
    for (uint32_t i = 0; i < n; i++) {
        memset(&b[i], 0, sizeof b[i]);
        b[i].cfg.weight = trand(g, 5);
        b[i].cfg.price_input = (double)(1 + trand(g, 10)) * 1e-6;
        b[i].cfg.price_output = (double)(1 + trand(g, 10)) * 1e-6;
        b[i].health = trand(g, 5) < p_down ? ROUTE_DOWN : ROUTE_HEALTHY;
        if (trand(g, 5) < p_ex)
            route_exclude_set(ex, i);
        if (trand(g, 3) < p_cap)
            b[i].cfg.max_inflight = (int32_t)(1 + trand(g, 3));
        b[i].inflight = (int32_t)trand(g, 5);
        b[i].tpm_used = trand(g, 4) * 1000;
        b[i].rpm_used = trand(g, 4);
        if (limits) {
            b[i].cfg.rpm_limit = trand(g, 5);
            b[i].cfg.tpm_limit = trand(g, 5) * 1000;
        }
    }
}

/* ---------------------------------------------------------------------
 * Registry, ops validation, parameters
 * ------------------------------------------------------------------- */

static void test_registry(void)
{
    static const char *const names[] = {"random",         "weighted_random", "round_robin",
                                        "least_inflight", "power_of_two",    "lowest_latency",
                                        "lowest_cost",    "lowest_usage"};
    char err[256];
    uint32_t n = route_registry_count(), leaves = 0;
    CHECK_INT_EQ(n, 22);
    for (uint32_t i = 0; i < n; i++) {
        const struct route_ops *ops = route_registry_at(i);
        CHECK(ops != NULL);
        if (ops == NULL)
            continue;
        err[0] = '\0';
        CHECK_INT_EQ(route_ops_check(ops, err, sizeof err), 0);
        CHECK(route_registry_find(ops->name) == ops);
        CHECK(ops->summary != NULL && ops->source != NULL);
        CHECK(ops->min_children <= ops->max_children);
        /* Documentation order: the leaves first, then wrappers and groups. */
        if (ops->max_children == 0)
            CHECK_INT_EQ(leaves++, i);
        for (uint32_t j = 0; j < i; j++)
            CHECK(strcmp(route_registry_at(j)->name, ops->name) != 0);
    }
    for (uint32_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const struct route_ops *ops = route_registry_find(names[k]);
        CHECK(ops != NULL);
        if (ops != NULL) {
            CHECK_INT_EQ(ops->min_children, 0);
            CHECK_INT_EQ(ops->max_children, 0);
        }
    }
    CHECK(route_registry_at(n) == NULL);
    CHECK(route_registry_find("nope") == NULL);
    CHECK(route_registry_find(NULL) == NULL);
}

/* Default parameters of a strategy. */
static void default_params(const struct route_ops *ops, double *params)
{
    for (uint32_t p = 0; p < ROUTE_MAX_PARAMS; p++)
        params[p] = p < ops->n_params ? ops->params[p].def : 0.0;
}

/* Create a leaf strategy's state directly (no router), over the
 * configuration of backends b (copied into cfgs, which must outlive the
 * state). */
static int create_leaf(const struct route_ops *ops, void **state, const double *params,
                       const struct route_backend *b, struct route_backend_cfg *cfgs, uint32_t n)
{
    struct route_create_args a;
    char err[128];
    for (uint32_t i = 0; i < n; i++)
        cfgs[i] = b[i].cfg;
    memset(&a, 0, sizeof a);
    a.params = params;
    a.n_backends = n;
    a.cfgs = cfgs;
    *state = NULL;
    return ops->create(state, &a, err, sizeof err);
}

static int32_t pick_zero(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    (void)state;
    (void)req;
    (void)view;
    (void)env;
    (void)exclude;
    return 0;
}

static int create_null(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static void test_ops_check(void)
{
    static const struct route_param bad_def[] = {
        {.name = "k", .def = 5.0, .min = 0.0, .max = 1.0, .unit = "", .doc = ""},
    };
    static const struct route_param dup[] = {
        {.name = "k", .def = 0.5, .min = 0.0, .max = 1.0, .unit = "", .doc = ""},
        {.name = "k", .def = 0.5, .min = 0.0, .max = 1.0, .unit = "", .doc = ""},
    };
    const struct route_ops good = {ROUTE_OPS_INIT, .name = "my_strat2", .create = create_null,
                                   .pick = pick_zero};
    struct route_ops o;
    char err[256];

    CHECK_INT_EQ(route_ops_check(&good, err, sizeof err), 0);
    o = good;
    o.abi_version = ROUTE_ABI_VERSION + 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "my_strat2");
    CHECK_STR_CONTAINS(err, "ABI");
    CHECK_STR_CONTAINS(err, "found route ABI 4, expected ABI 3");
    o.abi_version = ROUTE_ABI_VERSION - 1; /* ABI 2 tables had another layout */
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "found route ABI 2");
    /* ABI 3 rule: a newer minor is refused, an older or equal one is not;
     * a table smaller than an ABI 3.0 one is refused. */
    o = good;
    o.abi_minor = ROUTE_ABI_MINOR + 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "expected at most 3.0");
    o = good;
    o.ops_size = ROUTE_OPS_SIZE_3_0 - 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "ROUTE_OPS_INIT");
    o = good;
    o.ops_size = 0; /* a table without ROUTE_OPS_INIT */
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    o = good;
    o.ops_size = (uint32_t)sizeof o + 64u; /* built against a larger minor's table... */
    CHECK_INT_EQ(route_ops_check(&o, err, sizeof err), 0); /* ...but claiming 3.0: fields read */
    CHECK(ROUTE_OPS_SIZE_3_0 <= sizeof(struct route_ops));
    o = good;
    o.name = "Bad-Name";
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "Bad-Name");
    o.name = "";
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    o.name = NULL;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    o = good;
    o.pick = NULL;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "my_strat2");
    CHECK_STR_CONTAINS(err, "pick");
    o = good;
    o.create = NULL;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "create");
    o = good;
    o.params = bad_def;
    o.n_params = 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "my_strat2");
    CHECK_STR_CONTAINS(err, "'k'");
    o.n_params = ROUTE_MAX_PARAMS + 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    o.params = NULL;
    o.n_params = 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    o.params = dup;
    o.n_params = 2;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    o = good;
    o.min_children = 2;
    o.max_children = 1;
    CHECK(route_ops_check(&o, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "min_children");
    o.max_children = 3;
    CHECK_INT_EQ(route_ops_check(&o, err, sizeof err), 0);
    CHECK(route_ops_check(NULL, err, sizeof err) < 0);
    CHECK(route_ops_check(NULL, NULL, 0) < 0); /* no buffer: no crash */

    const struct route_ops *lat = route_registry_find("lowest_latency");
    CHECK_INT_EQ(route_param_index(lat, "alpha"), 0);
    CHECK_INT_EQ(route_param_index(lat, "buffer"), 1);
    CHECK_INT_EQ(route_param_index(lat, "penalty_s"), 2);
    CHECK_INT_EQ(route_param_index(lat, "mode"), 3);
    CHECK_INT_EQ(route_param_index(lat, "list_size"), 4);
    CHECK_INT_EQ(route_param_index(lat, "compat_overwrite_last"), 5);
    CHECK_INT_EQ(route_param_index(route_registry_find("lowest_usage"), "window"), 0);
    CHECK_INT_EQ(route_param_index(route_registry_find("lowest_usage"), "compat_rpm_never_matches"),
                 1);
    CHECK_INT_EQ(route_param_index(route_registry_find("lowest_cost"), "model"), 0);
    CHECK_INT_EQ(route_param_index(lat, "nope"), -1);
    CHECK_INT_EQ(route_param_index(route_registry_find("random"), "alpha"), -1);
    CHECK_INT_EQ(route_param_index(NULL, "alpha"), -1);
}

static void test_rand(void)
{
    struct sm64 g = {42};
    struct route_env env = make_env(&g, 0);
    uint32_t counts[7] = {0};
    const uint32_t draws = 70000;
    for (uint32_t i = 0; i < draws; i++) {
        uint32_t x = route_rand_below(&env, 7);
        CHECK(x < 7);
        if (x < 7)
            counts[x]++;
    }
    for (uint32_t k = 0; k < 7; k++) {
        /* 4 binomial sd: n p (1 - p) = 70000 / 7 * 6 / 7 ~ 8571, sd ~ 93. */
        CHECK_NEAR(counts[k], draws / 7.0, 4 * 93.0);
    }
    for (uint32_t i = 0; i < 1000; i++) {
        double u = route_rand_unit(&env);
        CHECK(u >= 0.0 && u < 1.0);
        CHECK_INT_EQ(route_rand_below(&env, 1), 0);
        CHECK(route_rand_below(&env, UINT32_MAX) < UINT32_MAX);
    }
}

/* ---------------------------------------------------------------------
 * Property tests over random views, every strategy
 * ------------------------------------------------------------------- */

static void feed_hooks(const struct route_ops *ops, void *state, struct sm64 *g, uint32_t n,
                       const struct route_env *env)
{
    struct route_req q = make_req(100, 50, 50);
    for (uint32_t k = 0; k < 3; k++) {
        uint32_t i = trand(g, n);
        if (ops->on_dispatch != NULL)
            ops->on_dispatch(state, i, &q, env);
        if (ops->on_first_token != NULL)
            ops->on_first_token(state, i, &q, (int64_t)trand(g, 1000) * NS_PER_MS, env);
        if (ops->on_complete != NULL) {
            struct route_outcome out = {.status = (enum route_status)trand(g, 6),
                                        .http_status = 200,
                                        .latency_ns = NS_PER_S,
                                        .ttft_ns = -1,
                                        .retry_after_ns = -1};
            ops->on_complete(state, i, &q, &out, env);
        }
    }
}

/* With limits unset: an eligible index whenever one exists, FULL exactly
 * when usable backends exist but all are saturated, NONE exactly when no
 * backend is usable. */
static void test_property_unlimited(void)
{
    struct route_backend_cfg cfgs[MAX_TEST_N];
    struct route_backend *b = calloc(MAX_TEST_N, sizeof *b);
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAX_TEST_N)];
    struct sm64 g = {7};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(100, 50, 0);
    if (b == NULL) {
        CHECK(b != NULL);
        return;
    }
    for (uint32_t s = 0; s < route_registry_count(); s++) {
        const struct route_ops *ops = route_registry_at(s);
        double params[ROUTE_MAX_PARAMS];
        int bad = 0;
        if (ops->max_children > 0)
            continue; /* wrappers and groups: tested with their children elsewhere */
        default_params(ops, params);
        for (uint32_t trial = 0; trial < 3000; trial++) {
            uint32_t n = 1 + trand(&g, trial % 10 == 0 ? MAX_TEST_N : 12);
            struct route_view v = {.b = b, .n = n};
            void *state = NULL;
            random_view(&g, b, n, ex, false);
            if (create_leaf(ops, &state, params, b, cfgs, n) != 0) {
                CHECK(0);
                continue;
            }
            feed_hooks(ops, state, &g, n, &env);
            for (uint32_t rep = 0; rep < 4; rep++) {
                uint32_t usable = 0, eligible = 0;
                int32_t k;
                for (uint32_t i = 0; i < n; i++) {
                    if (t_usable(b, ex, i)) {
                        usable++;
                        eligible += !t_saturated(&b[i]);
                    }
                }
                k = ops->pick(state, &q, &v, &env, ex);
                if (eligible > 0)
                    bad += !(k >= 0 && (uint32_t)k < n && t_usable(b, ex, (uint32_t)k) &&
                             !t_saturated(&b[k]));
                else if (usable > 0)
                    bad += k != ROUTE_FULL;
                else
                    bad += k != ROUTE_NONE;
                if (k >= 0 && (uint32_t)k < n)
                    b[k].inflight++; /* as a dispatch would: may saturate it */
            }
            if (ops->destroy != NULL)
                ops->destroy(state);
        }
        if (bad != 0)
            fprintf(stderr, "strategy %s: %d contract violations\n", ops->name, bad);
        CHECK_INT_EQ(bad, 0);
    }
    free(b);
}

/* With random RPM/TPM limits: never an ineligible index; the filtering
 * strategies respect the limits and answer FULL/NONE as documented. */
static void test_property_limits(void)
{
    struct route_backend_cfg cfgs[MAX_TEST_N];
    struct route_backend *b = calloc(MAX_TEST_N, sizeof *b);
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAX_TEST_N)];
    struct sm64 g = {99};
    struct route_env env = make_env(&g, 0);
    if (b == NULL) {
        CHECK(b != NULL);
        return;
    }
    for (uint32_t s = 0; s < route_registry_count(); s++) {
        const struct route_ops *ops = route_registry_at(s);
        bool filters_hard =
            strcmp(ops->name, "lowest_cost") == 0 || strcmp(ops->name, "lowest_usage") == 0;
        bool filters_soft = strcmp(ops->name, "lowest_latency") == 0;
        double params[ROUTE_MAX_PARAMS];
        int bad = 0;
        if (ops->max_children > 0)
            continue; /* wrappers and groups: tested with their children elsewhere */
        default_params(ops, params);
        for (uint32_t trial = 0; trial < 3000; trial++) {
            uint32_t n = 1 + trand(&g, trial % 10 == 0 ? MAX_TEST_N : 12);
            struct route_view v = {.b = b, .n = n};
            struct route_req q = make_req(trand(&g, 1500), trand(&g, 500), 0);
            uint32_t usable = 0, eligible = 0, in_lim = 0, sat_in_lim = 0;
            void *state = NULL;
            int32_t k;
            random_view(&g, b, n, ex, true);
            if (create_leaf(ops, &state, params, b, cfgs, n) != 0) {
                CHECK(0);
                continue;
            }
            feed_hooks(ops, state, &g, n, &env);
            for (uint32_t i = 0; i < n; i++) {
                if (!t_usable(b, ex, i))
                    continue;
                usable++;
                if (t_saturated(&b[i])) {
                    sat_in_lim += t_within(&b[i], &q);
                    continue;
                }
                eligible++;
                in_lim += t_within(&b[i], &q);
            }
            k = ops->pick(state, &q, &v, &env, ex);
            if (k >= 0)
                bad += !((uint32_t)k < n && t_usable(b, ex, (uint32_t)k) && !t_saturated(&b[k]));
            if (eligible == 0)
                bad += k != (usable > 0 ? ROUTE_FULL : ROUTE_NONE);
            else if (filters_hard && in_lim > 0)
                bad += !(k >= 0 && t_within(&b[k], &q));
            else if (filters_hard)
                bad += k != (sat_in_lim > 0 ? ROUTE_FULL : ROUTE_NONE);
            else if (filters_soft && in_lim > 0)
                bad += !(k >= 0 && t_within(&b[k], &q));
            else
                bad += k < 0;
            if (ops->destroy != NULL)
                ops->destroy(state);
        }
        if (bad != 0)
            fprintf(stderr, "strategy %s: %d limit-contract violations\n", ops->name, bad);
        CHECK_INT_EQ(bad, 0);
    }
    free(b);
}

/* Same seed, same calls -> same decisions (through the router). */
static void test_determinism(void)
{
    struct route_backend_cfg cfg[16];
    memset(cfg, 0, sizeof cfg);
    for (uint32_t i = 0; i < 16; i++) {
        cfg[i].weight = 1 + i % 3;
        cfg[i].price_input = 1e-6 * (double)(1 + i % 4);
        cfg[i].price_output = 2e-6;
        cfg[i].max_inflight = 4;
        cfg[i].tpm_limit = 20000;
    }
    for (uint32_t s = 0; s < route_registry_count(); s++) {
        const struct route_ops *ops = route_registry_at(s);
        int32_t seq[2][300];
        if (ops->max_children > 0)
            continue;
        for (int run = 0; run < 2; run++) {
            char err[128];
            struct sm64 g = {12345}, w = {777};
            struct route_router *r = route_router_create(ops, NULL, cfg, 16, err, sizeof err);
            CHECK(r != NULL);
            if (r == NULL)
                return;
            for (int t = 0; t < 300; t++) {
                struct route_env env = make_env(&g, (int64_t)t * 100 * NS_PER_MS);
                struct route_req q = make_req(100 + trand(&w, 900), 200, 0);
                int32_t k = route_router_pick(r, &q, &env, NULL);
                seq[run][t] = k;
                if (k >= 0) {
                    route_router_dispatch(r, (uint32_t)k, &q, &env);
                    route_router_first_token(r, (uint32_t)k, &q,
                                             (int64_t)(1 + trand(&w, 500)) * NS_PER_MS, &env);
                    if (trand(&w, 3) != 0) {
                        struct route_outcome out = {
                            .status = ROUTE_OK, .ttft_ns = 1, .retry_after_ns = -1};
                        route_router_complete(r, (uint32_t)k, &q, &out, &env);
                    }
                }
            }
            route_router_destroy(r);
        }
        CHECK(memcmp(seq[0], seq[1], sizeof seq[0]) == 0);
    }
}

/* ---------------------------------------------------------------------
 * Strategy-specific behaviour
 * ------------------------------------------------------------------- */

static struct route_router *mk_router(const char *name, const double *params,
                                      const struct route_backend_cfg *cfg, uint32_t n)
{
    char err[256] = "";
    struct route_router *r =
        route_router_create(route_registry_find(name), params, cfg, n, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "route_router_create(%s): %s\n", name, err);
    CHECK(r != NULL);
    return r;
}

/* A scripted source: always the same 64 bits. */
static uint64_t const_half(void *ctx)
{
    (void)ctx;
    return 0x8000000000000000ull; /* rand_below(n) = n / 2 without rejection */
}

static void test_random(void)
{
    struct route_backend_cfg cfg[5];
    struct sm64 g = {77};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10, 10, 0);
    uint32_t c[5] = {0};
    const double picks = 50000.0;
    uint64_t ex[1] = {0};
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    r = mk_router("random", NULL, cfg, 5);
    if (r == NULL)
        return;
    route_exclude_set(ex, 2);
    for (int t = 0; t < (int)picks; t++) {
        int32_t k = route_router_pick(r, &q, &env, ex);
        CHECK(k >= 0 && k < 5 && k != 2);
        if (k >= 0 && k < 5)
            c[k]++;
    }
    for (uint32_t i = 0; i < 5; i++) {
        double p = i == 2 ? 0.0 : 0.25, d = c[i] - picks * p;
        CHECK(d * d <= 16.0 * picks * p * (1.0 - p));
    }
    route_router_destroy(r);
}

static void test_weighted_random(void)
{
    static const uint32_t w[5] = {1, 2, 3, 4, 0};
    struct route_backend_cfg cfg[5];
    struct sm64 g = {2024};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10, 10, 0);
    uint32_t counts[5] = {0};
    const double picks = 100000.0;
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    for (uint32_t i = 0; i < 5; i++)
        cfg[i].weight = w[i];
    r = mk_router("weighted_random", NULL, cfg, 5);
    if (r == NULL)
        return;
    for (int t = 0; t < (int)picks; t++) {
        int32_t k = route_router_pick(r, &q, &env, NULL);
        CHECK(k >= 0 && k < 5);
        if (k >= 0 && k < 5)
            counts[k]++;
    }
    for (uint32_t i = 0; i < 5; i++) {
        double p = w[i] / 10.0, d = counts[i] - picks * p;
        /* |count - N p| <= 4 sd, squared to avoid sqrt (no libm). */
        CHECK(d * d <= 16.0 * picks * p * (1.0 - p));
    }
    CHECK_INT_EQ(counts[4], 0);
    route_router_destroy(r);

    /* All eligible weights 0: uniform among them (documented choice). */
    memset(cfg, 0, sizeof cfg);
    cfg[0].weight = 5; /* only positive weight, but excluded below */
    r = mk_router("weighted_random", NULL, cfg, 3);
    if (r == NULL)
        return;
    {
        uint64_t ex[1] = {0};
        uint32_t c[3] = {0};
        route_exclude_set(ex, 0);
        for (int t = 0; t < 1000; t++) {
            int32_t k = route_router_pick(r, &q, &env, ex);
            CHECK(k == 1 || k == 2);
            if (k == 1 || k == 2)
                c[k]++;
        }
        CHECK(c[1] > 400 && c[2] > 400);
    }
    route_router_destroy(r);
}

static void test_round_robin(void)
{
    static const int32_t expect[14] = {0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0};
    struct route_backend_cfg cfg[4];
    struct sm64 g = {1};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10, 10, 0);
    struct route_router *r;

    /* nginx's documented sequence for weights {5, 1, 1}: a a b a c a a. */
    memset(cfg, 0, sizeof cfg);
    cfg[0].weight = 5;
    cfg[1].weight = 1;
    cfg[2].weight = 1;
    r = mk_router("round_robin", NULL, cfg, 3);
    if (r == NULL)
        return;
    for (int t = 0; t < 14; t++)
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), expect[t]);
    route_router_destroy(r);

    /* Equal weights: plain cyclic order and exactly equal shares. */
    for (uint32_t i = 0; i < 4; i++)
        cfg[i].weight = 2;
    r = mk_router("round_robin", NULL, cfg, 4);
    if (r == NULL)
        return;
    {
        uint32_t c[4] = {0};
        for (int t = 0; t < 8; t++)
            CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), t % 4);
        for (int t = 0; t < 1000; t++) {
            int32_t k = route_router_pick(r, &q, &env, NULL);
            if (k >= 0 && k < 4)
                c[k]++;
        }
        for (uint32_t i = 0; i < 4; i++)
            CHECK_INT_EQ(c[i], 250);
        /* A down backend is skipped and does not accumulate. */
        route_router_set_health(r, 1, ROUTE_DOWN);
        for (int t = 0; t < 9; t++) {
            int32_t k = route_router_pick(r, &q, &env, NULL);
            CHECK(k == 0 || k == 2 || k == 3);
        }
    }
    route_router_destroy(r);

    /* Weights {3, 0, 2}: exact 3:2 shares, weight 0 never. */
    cfg[0].weight = 3;
    cfg[1].weight = 0;
    cfg[2].weight = 2;
    r = mk_router("round_robin", NULL, cfg, 3);
    if (r == NULL)
        return;
    {
        uint32_t c[3] = {0};
        for (int t = 0; t < 1000; t++) {
            int32_t k = route_router_pick(r, &q, &env, NULL);
            if (k >= 0 && k < 3)
                c[k]++;
        }
        CHECK_INT_EQ(c[0], 600);
        CHECK_INT_EQ(c[1], 0);
        CHECK_INT_EQ(c[2], 400);
    }
    route_router_destroy(r);
}

static void test_least_inflight(void)
{
    struct route_backend *b = calloc(MAX_TEST_N, sizeof *b);
    uint64_t ex[ROUTE_EXCLUDE_WORDS(MAX_TEST_N)];
    const struct route_ops *ops = route_registry_find("least_inflight");
    struct sm64 g = {5};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1, 0);
    uint32_t tie_a = 0, tie_b = 0;
    if (b == NULL)
        return;
    for (int trial = 0; trial < 3000; trial++) {
        uint32_t n = 1 + trand(&g, 20);
        struct route_view v = {.b = b, .n = n};
        int32_t min = INT32_MAX, k;
        random_view(&g, b, n, ex, false);
        for (uint32_t i = 0; i < n; i++) {
            if (t_usable(b, ex, i) && !t_saturated(&b[i]) && b[i].inflight < min)
                min = b[i].inflight;
        }
        k = ops->pick(NULL, &q, &v, &env, ex);
        if (min != INT32_MAX)
            CHECK(k >= 0 && b[k].inflight == min);
    }
    /* Ties are random: both of two equal minima get picked. */
    memset(b, 0, 3 * sizeof *b);
    b[0].inflight = 2;
    b[1].inflight = 1;
    b[2].inflight = 1;
    for (int t = 0; t < 1000; t++) {
        struct route_view v = {.b = b, .n = 3};
        int32_t k = ops->pick(NULL, &q, &v, &env, NULL);
        CHECK(k == 1 || k == 2);
        tie_a += k == 1;
        tie_b += k == 2;
    }
    CHECK(tie_a > 400 && tie_b > 400);
    free(b);
}

static void test_power_of_two(void)
{
    static const int32_t load5[5] = {3, 1, 4, 1, 5};
    struct route_backend b[5];
    const struct route_ops *ops = route_registry_find("power_of_two");
    struct sm64 g = {8};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1, 0);
    uint32_t c[5] = {0};
    memset(b, 0, sizeof b);
    for (uint32_t i = 0; i < 5; i++)
        b[i].inflight = load5[i];
    for (int t = 0; t < 20000; t++) {
        struct route_view v = {.b = b, .n = 5};
        int32_t k = ops->pick(NULL, &q, &v, &env, NULL);
        CHECK(k >= 0 && k < 5);
        if (k >= 0 && k < 5)
            c[k]++;
    }
    CHECK_INT_EQ(c[4], 0); /* the strict maximum always loses */
    /* Backend 0 (load 3) wins only against 2 and 4: 4 of the 20 ordered
     * pairs, P = 0.2, sd = sqrt(20000 x 0.2 x 0.8) ~ 57. */
    CHECK(c[0] > 4000 - 4 * 57 && c[0] < 4000 + 4 * 57);
    CHECK(c[1] > 0 && c[3] > 0 && c[2] > 0);
    /* Two backends: the less loaded always; equal loads: either. */
    {
        struct route_view v = {.b = b, .n = 2};
        uint32_t first = 0;
        for (int t = 0; t < 200; t++)
            CHECK_INT_EQ(ops->pick(NULL, &q, &v, &env, NULL), 1);
        b[0].inflight = 1;
        for (int t = 0; t < 2000; t++)
            first += ops->pick(NULL, &q, &v, &env, NULL) == 0;
        CHECK(first > 800 && first < 1200);
    }
    /* Equal loads: the first drawn wins.  With the scripted source the
     * draws are rank 1 then rank 0, so backend 1. */
    {
        struct route_env half = {.now_ns = 0, .rand = const_half, .rand_ctx = NULL};
        struct route_view v = {.b = b, .n = 2};
        CHECK_INT_EQ(ops->pick(NULL, &q, &v, &half, NULL), 1);
    }
    /* One eligible: it. */
    {
        struct route_view v = {.b = b, .n = 5};
        uint64_t ex[1] = {0};
        route_exclude_set(ex, 0);
        route_exclude_set(ex, 1);
        route_exclude_set(ex, 3);
        route_exclude_set(ex, 4);
        CHECK_INT_EQ(ops->pick(NULL, &q, &v, &env, ex), 2);
    }
}

static void ttft(struct route_router *r, uint32_t i, int64_t ms, struct route_env *env)
{
    struct route_req q = make_req(10, 10, 0);
    route_router_first_token(r, i, &q, ms * NS_PER_MS, env);
}

static void test_lowest_latency(void)
{
    struct route_backend_cfg cfg[3];
    struct sm64 g = {11};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10, 10, 0);
    struct route_outcome timeout = {.status = ROUTE_TIMEOUT,
                                    .http_status = 408,
                                    .latency_ns = 30 * NS_PER_S,
                                    .ttft_ns = -1,
                                    .retry_after_ns = -1};
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);

    r = mk_router("lowest_latency", NULL, cfg, 3);
    if (r == NULL)
        return;
    ttft(r, 0, 100, &env);
    ttft(r, 1, 50, &env);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 2); /* unseen first */
    ttft(r, 2, 200, &env);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1); /* then the fastest */
    route_router_complete(r, 1, &q, &timeout, &env);       /* +1000 s sample */
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_destroy(r);

    /* penalty_s = 0 disables the penalty. */
    {
        double p[6] = {0.2, 0.0, 0.0, 0.0, 10.0, 0.0};
        r = mk_router("lowest_latency", p, cfg, 3);
        if (r == NULL)
            return;
        ttft(r, 0, 100, &env);
        ttft(r, 1, 50, &env);
        ttft(r, 2, 200, &env);
        route_router_complete(r, 1, &q, &timeout, &env);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
        route_router_destroy(r);
    }
    /* alpha: 100 then 200 ms -> 120 ms, between 119 and 121. */
    r = mk_router("lowest_latency", NULL, cfg, 3);
    if (r == NULL)
        return;
    ttft(r, 0, 100, &env);
    ttft(r, 0, 200, &env);
    ttft(r, 1, 119, &env);
    ttft(r, 2, 121, &env);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
    route_router_set_health(r, 1, ROUTE_DOWN);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_destroy(r);

    /* buffer = 1: random among latencies <= 2 x min. */
    {
        double p[6] = {0.2, 1.0, 1000.0, 0.0, 10.0, 0.0};
        uint32_t c[3] = {0};
        r = mk_router("lowest_latency", p, cfg, 3);
        if (r == NULL)
            return;
        ttft(r, 0, 100, &env);
        ttft(r, 1, 150, &env);
        ttft(r, 2, 300, &env);
        for (int t = 0; t < 1000; t++) {
            int32_t k = route_router_pick(r, &q, &env, NULL);
            if (k >= 0 && k < 3)
                c[k]++;
        }
        CHECK(c[0] > 400 && c[1] > 400);
        CHECK_INT_EQ(c[2], 0);
        route_router_destroy(r);
    }
    /* RPM filter: the fastest is at its limit -> the next; all at their
     * limit -> the filter is ignored. */
    cfg[1].rpm_limit = 1;
    r = mk_router("lowest_latency", NULL, cfg, 3);
    if (r == NULL)
        return;
    ttft(r, 0, 100, &env);
    ttft(r, 1, 50, &env);
    ttft(r, 2, 200, &env);
    route_router_dispatch(r, 1, &q, &env);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    {
        uint64_t ex[1] = {0};
        route_exclude_set(ex, 0);
        route_exclude_set(ex, 2);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), 1);
    }
    route_router_destroy(r);
}

static void test_lowest_cost(void)
{
    struct route_backend_cfg cfg[3];
    struct sm64 g = {13};
    struct route_env env = make_env(&g, 0);
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    cfg[0].price_input = 3e-6;
    cfg[0].price_output = 15e-6;
    cfg[1].price_input = 1e-6;
    cfg[1].price_output = 2e-6;
    cfg[2].price_input = 0.5e-6;
    cfg[2].price_output = 10e-6;
    cfg[1].tpm_limit = 2000;
    r = mk_router("lowest_cost", NULL, cfg, 3);
    if (r == NULL)
        return;
    {
        struct route_req small = make_req(1000, 100, 0);     /* E[out] = max = 100 */
        struct route_req prompt = make_req(10000, 4000, 10); /* E[out] = 10 */
        struct route_req tiny = make_req(100, 100, 0);
        CHECK_INT_EQ(route_router_pick(r, &small, &env, NULL), 1);
        /* Long prompt, short answer: input price dominates.  Also over
         * backend 1's TPM limit anyway. */
        CHECK_INT_EQ(route_router_pick(r, &prompt, &env, NULL), 2);
        route_router_dispatch(r, 1, &small, &env); /* tpm_used 1100 of 2000 */
        CHECK_INT_EQ(route_router_pick(r, &tiny, &env, NULL), 1);
        CHECK_INT_EQ(route_router_pick(r, &small, &env, NULL), 2); /* 1100 > 900 left */
        {
            uint64_t ex[1] = {0};
            route_exclude_set(ex, 0);
            route_exclude_set(ex, 2);
            CHECK_INT_EQ(route_router_pick(r, &small, &env, ex), ROUTE_NONE);
        }
    }
    route_router_destroy(r);
    /* Ties to the lowest index. */
    cfg[0] = cfg[2];
    cfg[1] = cfg[2];
    r = mk_router("lowest_cost", NULL, cfg, 3);
    if (r == NULL)
        return;
    for (int t = 0; t < 50; t++) {
        struct route_req q = make_req(100, 100, 0);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    }
    route_router_destroy(r);
}

static void test_lowest_usage(void)
{
    struct route_backend_cfg cfg[3];
    struct sm64 g = {17};
    struct route_env env = make_env(&g, 5 * NS_PER_S);
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    cfg[0].tpm_limit = 1000;
    cfg[1].tpm_limit = 10000;
    cfg[2].rpm_limit = 1;
    r = mk_router("lowest_usage", NULL, cfg, 3);
    if (r == NULL)
        return;
    {
        struct route_req r900 = make_req(800, 100, 0), r2000 = make_req(1500, 500, 0);
        struct route_req r1 = make_req(1, 0, 0), r200 = make_req(150, 50, 0);
        route_router_dispatch(r, 0, &r900, &env);  /* 900 of 1000 */
        route_router_dispatch(r, 1, &r2000, &env); /* 2000 of 10000 */
        route_router_dispatch(r, 2, &r1, &env);    /* rpm 1 of 1 */
        /* 0 would overflow, 2 is out of RPM: 1 despite more TPM used. */
        CHECK_INT_EQ(route_router_pick(r, &r200, &env, NULL), 1);
        /* Fits everywhere by TPM except 2 (RPM): least used is 0. */
        CHECK_INT_EQ(route_router_pick(r, &r1, &env, NULL), 0);
        {
            uint64_t ex[1] = {0};
            route_exclude_set(ex, 1);
            CHECK_INT_EQ(route_router_pick(r, &r200, &env, ex), ROUTE_NONE);
        }
        /* 61 s later the window has forgotten: 0 fits again. */
        env.now_ns += 61 * NS_PER_S;
        {
            uint64_t ex[1] = {0};
            route_exclude_set(ex, 1);
            route_exclude_set(ex, 2);
            CHECK_INT_EQ(route_router_pick(r, &r200, &env, ex), 0);
            CHECK_INT_EQ(route_router_view(r)->b[0].tpm_used, 0);
        }
    }
    route_router_destroy(r);

    /* Ties at random; a saturated backend within limits -> FULL. */
    memset(cfg, 0, sizeof cfg);
    cfg[0].max_inflight = 1;
    cfg[1].tpm_limit = 100;
    r = mk_router("lowest_usage", NULL, cfg, 3);
    if (r == NULL)
        return;
    {
        struct route_req q = make_req(10, 10, 0), big = make_req(100, 100, 0);
        uint32_t c[3] = {0};
        for (int t = 0; t < 1000; t++) {
            int32_t k = route_router_pick(r, &q, &env, NULL);
            if (k >= 0 && k < 3)
                c[k]++;
        }
        CHECK(c[0] > 200 && c[1] > 200 && c[2] > 200);
        route_router_dispatch(r, 0, &q, &env); /* saturates 0 */
        {
            uint64_t ex[1] = {0};
            route_exclude_set(ex, 2);
            /* 1 cannot take 200 tokens; 0 could but is saturated. */
            CHECK_INT_EQ(route_router_pick(r, &big, &env, ex), ROUTE_FULL);
        }
    }
    route_router_destroy(r);
}

/* LiteLLM fixed-minute accounting (window = 1): RPM at dispatch, TPM =
 * total tokens after success, both reset at each whole minute. */
static void test_lowest_usage_fixed_minute(void)
{
    const double p[2] = {1.0, 0.0};
    struct route_backend_cfg cfg[2];
    struct sm64 g = {23};
    struct route_env env = make_env(&g, 10 * NS_PER_S);
    struct route_outcome ok = {.status = ROUTE_OK,
                               .http_status = 200,
                               .ttft_ns = 1,
                               .input_tokens = 500,
                               .output_tokens = 300,
                               .retry_after_ns = -1};
    struct route_req d = make_req(500, 100, 300), in100 = make_req(100, 4000, 0),
                     in300 = make_req(300, 0, 0);
    uint64_t ex1[1] = {0};
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    cfg[0].tpm_limit = 1000;
    cfg[0].rpm_limit = 3;
    cfg[1].tpm_limit = 100000;
    route_exclude_set(ex1, 1);
    r = mk_router("lowest_usage", p, cfg, 2);
    if (r == NULL)
        return;
    /* In flight, not yet charged: TPM 0 whatever max_tokens says (the
     * sliding mode would count 600 and refuse this 4100-token request). */
    route_router_dispatch(r, 0, &d, &env);
    CHECK_INT_EQ(route_router_view(r)->b[0].tpm_used, 600);
    CHECK_INT_EQ(route_router_pick(r, &in100, &env, ex1), 0);
    /* Success at 20 s: 500 + 300 = 800 tokens this minute. */
    env.now_ns = 20 * NS_PER_S;
    route_router_complete(r, 0, &d, &ok, &env);
    ok.input_tokens = 4000;
    ok.output_tokens = 1000;
    route_router_dispatch(r, 1, &d, &env);
    route_router_complete(r, 1, &d, &ok, &env);                /* backend 1: 5000 */
    CHECK_INT_EQ(route_router_pick(r, &in100, &env, NULL), 0); /* 900 <= 1000, 800 < 5000 */
    CHECK_INT_EQ(route_router_pick(r, &in300, &env, NULL), 1); /* 1100 > 1000 */
    CHECK_INT_EQ(route_router_pick(r, &in300, &env, ex1), ROUTE_NONE);
    env.now_ns = 60 * NS_PER_S - 1;
    CHECK_INT_EQ(route_router_pick(r, &in300, &env, ex1), ROUTE_NONE);
    /* The minute turns at 60 s: everything forgotten at once. */
    env.now_ns = 60 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &in300, &env, ex1), 0);
    /* RPM counted at dispatch within the minute: the 3rd fills it. */
    for (int k = 0; k < 3; k++) {
        CHECK_INT_EQ(route_router_pick(r, &in100, &env, ex1), 0);
        route_router_dispatch(r, 0, &in100, &env);
    }
    CHECK_INT_EQ(route_router_pick(r, &in100, &env, ex1), ROUTE_NONE);
    env.now_ns = 119 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &in100, &env, ex1), ROUTE_NONE);
    env.now_ns = 120 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &in100, &env, ex1), 0);
    /* A failure is not charged to TPM. */
    {
        struct route_outcome fail = ok;
        fail.status = ROUTE_SERVER_ERROR;
        fail.input_tokens = 100000;
        route_router_complete(r, 0, &in100, &fail, &env);
        CHECK_INT_EQ(route_router_pick(r, &in300, &env, ex1), 0);
    }
    route_router_destroy(r);
}

/* compat_rpm_never_matches: LiteLLM #7395, RPM overflows at selection. */
static void test_lowest_usage_rpm_quirk(void)
{
    struct route_backend_cfg cfg[2];
    struct sm64 g = {29};
    struct route_env env = make_env(&g, 5 * NS_PER_S);
    struct route_req q = make_req(10, 10, 0);
    uint64_t ex1[1] = {0};
    route_exclude_set(ex1, 1);
    memset(cfg, 0, sizeof cfg);
    cfg[0].rpm_limit = 2;
    for (int fixed = 0; fixed < 2; fixed++) {
        for (int compat = 0; compat < 2; compat++) {
            const double p[2] = {fixed, compat};
            struct route_router *r = mk_router("lowest_usage", p, cfg, 2);
            int served = 0;
            if (r == NULL)
                return;
            for (int t = 0; t < 10; t++) {
                int32_t k = route_router_pick(r, &q, &env, ex1);
                if (k == 0) {
                    served++;
                    route_router_dispatch(r, 0, &q, &env);
                }
            }
            /* Intended: 2 per minute; the quirk lets all 10 through. */
            CHECK_INT_EQ(served, compat ? 10 : 2);
            route_router_destroy(r);
        }
    }
}

static void list_sample(struct route_router *r, uint32_t i, int64_t ttft_ms, int64_t out_tok,
                        struct route_env *env)
{
    struct route_req q = make_req(10, 10, 0);
    struct route_outcome o = {.status = ROUTE_OK,
                              .http_status = 200,
                              .latency_ns = 2 * ttft_ms * NS_PER_MS,
                              .ttft_ns = ttft_ms * NS_PER_MS,
                              .output_tokens = out_tok,
                              .retry_after_ns = -1};
    route_router_complete(r, i, &q, &o, env);
}

/* LiteLLM list mode: mean of up to list_size samples of TTFT per output
 * token; the overwrite-last quirk keeps the oldest samples. */
static void test_lowest_latency_list(void)
{
    struct route_backend_cfg cfg[2];
    struct sm64 g = {37};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10, 10, 0);
    memset(cfg, 0, sizeof cfg);
    for (int compat = 0; compat < 2; compat++) {
        const double p[6] = {0.2, 0.0, 1000.0, 1.0, 3.0, compat};
        struct route_router *r = mk_router("lowest_latency", p, cfg, 2);
        if (r == NULL)
            return;
        /* Unseen backends first; TTFT hooks do not feed the list. */
        list_sample(r, 1, 50, 10, &env); /* 5 ms per token */
        ttft(r, 0, 1, &env);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
        for (int k = 0; k < 3; k++)
            list_sample(r, 0, 10, 10, &env); /* 1 ms per token: [1, 1, 1] */
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
        for (int k = 0; k < 5; k++)
            list_sample(r, 0, 100, 10, &env); /* 10 ms per token */
        /* Ring: [10, 10, 10] -> 10 > 5.  Quirk: [1, 1, 10] -> 4 < 5. */
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), compat ? 0 : 1);
        route_router_destroy(r);
    }
    /* Zero output tokens divide by 1; a timeout appends 1000 s. */
    {
        const double p[6] = {0.2, 0.0, 1000.0, 1.0, 10.0, 0.0};
        struct route_outcome to = {.status = ROUTE_TIMEOUT, .ttft_ns = -1, .retry_after_ns = -1};
        struct route_router *r = mk_router("lowest_latency", p, cfg, 2);
        if (r == NULL)
            return;
        list_sample(r, 0, 30, 0, &env);   /* 30 ms per token */
        list_sample(r, 1, 200, 10, &env); /* 20 ms per token */
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
        route_router_complete(r, 1, &q, &to, &env); /* mean (20 ms + 1000 s) / 2 */
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
        route_router_destroy(r);
    }
}

/* LiteLLM cost model: input + output price per token, unknown = 5.0. */
static void test_lowest_cost_litellm(void)
{
    const double p0[1] = {0.0}, p1[1] = {1.0};
    struct route_backend_cfg cfg[4];
    struct sm64 g = {41};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10000, 1, 1);
    uint64_t ex[1] = {0};
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    cfg[0].price_input = 1e-6;
    cfg[0].price_output = 100e-6; /* sum 101e-6 */
    cfg[1].price_input = 10e-6;
    cfg[1].price_output = 10e-6; /* sum 20e-6 */
    cfg[2].price_input = 0.0;    /* unknown: 5.0 */
    cfg[2].price_output = 1e-9;
    /* cfg[3]: both unknown, 10.0 */
    r = mk_router("lowest_cost", p0, cfg, 4);
    if (r != NULL) {
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 3); /* 0 expected cost first */
        route_router_destroy(r);
    }
    r = mk_router("lowest_cost", p1, cfg, 4);
    if (r == NULL)
        return;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
    route_exclude_set(ex, 1);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), 0);
    route_exclude_set(ex, 0);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), 2); /* 5.0 + 1e-9 < 10.0 */
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Router: windows, lifecycle counters, sanitising, creation errors
 * ------------------------------------------------------------------- */

static void test_window(void)
{
    struct route__window w;
    struct sm64 g = {3};
    int64_t adds_t[400], adds_n[400];
    int nadds = 0;
    int64_t now;

    route__window_init(&w, 0);
    route__window_add(&w, NS_PER_S / 2, 1, 100);
    route__window_add(&w, 3 * NS_PER_S, 2, 50);
    CHECK_INT_EQ(w.req_sum, 3);
    CHECK_INT_EQ(w.tok_sum, 150);
    route__window_advance(&w, 59 * NS_PER_S + 999 * NS_PER_MS);
    CHECK_INT_EQ(w.req_sum, 3);
    route__window_advance(&w, 60 * NS_PER_S); /* slot [0, 1 s) expires */
    CHECK_INT_EQ(w.req_sum, 2);
    CHECK_INT_EQ(w.tok_sum, 50);
    route__window_advance(&w, 63 * NS_PER_S);
    CHECK_INT_EQ(w.req_sum, 0);
    CHECK_INT_EQ(w.tok_sum, 0);
    /* A gap longer than the window. */
    route__window_add(&w, 70 * NS_PER_S, 5, 500);
    route__window_advance(&w, 500 * NS_PER_S);
    CHECK_INT_EQ(w.req_sum, 0);
    route__window_add(&w, 500 * NS_PER_S + 1, 1, 10);
    route__window_advance(&w, 510 * NS_PER_S);
    CHECK_INT_EQ(w.req_sum, 1);
    CHECK_INT_EQ(w.tok_sum, 10);
    for (int64_t k = 0; k < 60; k++)
        CHECK(w.req[k] >= 0);
    /* Time going backwards is ignored; adds land in the newest slot. */
    route__window_add(&w, 505 * NS_PER_S, 1, 1);
    CHECK_INT_EQ(w.req_sum, 2);
    /* Steady state: one add per second keeps 60 in the window. */
    route__window_init(&w, 0);
    for (int64_t s = 0; s < 200; s++) {
        route__window_add(&w, s * NS_PER_S + 123, 1, 1);
        CHECK_INT_EQ(w.req_sum, s < 60 ? s + 1 : 60);
    }
    /* Random times and gaps against a brute-force model: an add at time t
     * counts while floor(now) - floor(t) < 60 s. */
    route__window_init(&w, 0);
    now = 0;
    for (int step = 0; step < 400; step++) {
        int64_t expect = 0, q;
        uint32_t kind = trand(&g, 10);
        now +=
            kind == 0 ? (int64_t)trand(&g, 200) * NS_PER_S : (int64_t)trand(&g, 3000) * NS_PER_MS;
        adds_t[nadds] = now;
        adds_n[nadds] = 1 + trand(&g, 5);
        route__window_add(&w, now, adds_n[nadds], 10 * adds_n[nadds]);
        nadds++;
        q = now / NS_PER_S;
        for (int a = 0; a < nadds; a++) {
            if (q - adds_t[a] / NS_PER_S < 60)
                expect += adds_n[a];
        }
        CHECK_INT_EQ(w.req_sum, expect);
        CHECK_INT_EQ(w.tok_sum, 10 * expect);
    }
    /* Negative times and extreme gaps. */
    route__window_init(&w, -5 * NS_PER_S - 1);
    CHECK_INT_EQ(w.slot_start_ns, -6 * NS_PER_S);
    route__window_add(&w, -NS_PER_S, 1, 1);
    route__window_advance(&w, INT64_MAX);
    CHECK_INT_EQ(w.req_sum, 0);
    route__window_init(&w, INT64_MIN);
    route__window_add(&w, INT64_MIN, 1, 1);
    route__window_advance(&w, INT64_MAX);
    CHECK_INT_EQ(w.req_sum, 0);
    CHECK(w.slot_start_ns <= INT64_MAX && w.slot_start_ns > INT64_MAX - NS_PER_S);
}

static void test_router_lifecycle(void)
{
    struct route_backend_cfg cfg[2];
    struct sm64 g = {21};
    struct route_env env = make_env(&g, 1000 * NS_PER_S + NS_PER_S / 2);
    struct route_req q = make_req(300, 200, 50);
    struct route_outcome ok = {.status = ROUTE_OK, .ttft_ns = 1, .retry_after_ns = -1};
    const struct route_view *v;
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    cfg[0].name = "a";
    cfg[1].name = "b";
    cfg[1].max_inflight = 1;
    r = mk_router("least_inflight", NULL, cfg, 2);
    if (r == NULL)
        return;
    v = route_router_view(r);
    CHECK(route_router_ops(r) == route_registry_find("least_inflight"));
    CHECK_INT_EQ(v->n, 2);
    CHECK(strcmp(v->b[0].cfg.name, "a") == 0);

    route_router_dispatch(r, 1, &q, &env);
    CHECK_INT_EQ(v->b[1].inflight, 1);
    CHECK_INT_EQ(v->b[1].inflight_tokens, 500);
    CHECK_INT_EQ(v->b[1].rpm_used, 1);
    CHECK_INT_EQ(v->b[1].tpm_used, 500);
    CHECK_INT_EQ(v->b[1].dispatched, 1);
    /* b is saturated, a usable: a. */
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_set_health(r, 0, ROUTE_DOWN);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), ROUTE_FULL);
    route_router_set_health(r, 1, ROUTE_DOWN);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), ROUTE_NONE);
    route_router_set_health(r, 0, ROUTE_HEALTHY);
    route_router_set_health(r, 1, ROUTE_HEALTHY);
    route_router_set_health(r, 7, ROUTE_DOWN); /* out of range: ignored */

    /* TTFT EWMA, shift 3: first sample, then floor steps both ways. */
    route_router_first_token(r, 1, &q, 800, &env);
    CHECK_INT_EQ(v->b[1].ttft_ewma_ns, 800);
    route_router_first_token(r, 1, &q, 1600, &env);
    CHECK_INT_EQ(v->b[1].ttft_ewma_ns, 900);
    route_router_first_token(r, 1, &q, 0, &env); /* 900 + floor(-900 / 8) */
    CHECK_INT_EQ(v->b[1].ttft_ewma_ns, 787);
    CHECK_INT_EQ(v->b[1].ttft_samples, 3);

    route_router_complete(r, 1, &q, &ok, &env);
    CHECK_INT_EQ(v->b[1].inflight, 0);
    CHECK_INT_EQ(v->b[1].inflight_tokens, 0);
    CHECK_INT_EQ(v->b[1].tpm_used, 500); /* the window keeps the charge */
    route_router_complete(r, 1, &q, &ok, &env);
    CHECK_INT_EQ(v->b[1].inflight, 0); /* never negative */

    /* The view's windows roll at pick time: forgotten 60 s later. */
    env.now_ns += 59 * NS_PER_S;
    route_router_pick(r, &q, &env, NULL);
    CHECK_INT_EQ(v->b[1].tpm_used, 500);
    env.now_ns += 1 * NS_PER_S;
    route_router_pick(r, &q, &env, NULL);
    CHECK_INT_EQ(v->b[1].tpm_used, 0);
    CHECK_INT_EQ(v->b[1].rpm_used, 0);
    route_router_dispatch(r, 0, &q, &env);
    env.now_ns += 3600 * NS_PER_S;
    route_router_pick(r, &q, &env, NULL);
    CHECK_INT_EQ(v->b[0].tpm_used, 0);
    route_router_destroy(r);
    route_router_destroy(NULL);
}

/* A misbehaving strategy: returns the value of its one parameter. */
static const struct route_param bad_params[] = {
    {.name = "ret", .def = 0, .min = -10, .max = 10, .unit = "", .doc = "returned index"},
};

static int create_bad(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    int32_t *s = malloc(sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "oom");
        return -1;
    }
    *s = (int32_t)args->params[0];
    *state = s;
    return 0;
}

static int32_t pick_bad(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    (void)req;
    (void)view;
    (void)env;
    (void)exclude;
    return *(const int32_t *)state;
}

static const struct route_ops bad_ops = {
    ROUTE_OPS_INIT,       .name = "bad",        .summary = "test: returns a fixed answer",
    .source = "test",     .params = bad_params, .n_params = 1,
    .create = create_bad, .destroy = free,      .pick = pick_bad,
};

static int32_t bad_pick_once(double ret, const uint64_t *ex, bool down2, bool sat1)
{
    struct route_backend_cfg cfg[3];
    struct sm64 g = {1};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1, 0);
    char err[128];
    struct route_router *r;
    int32_t k;
    memset(cfg, 0, sizeof cfg);
    cfg[1].max_inflight = 1;
    r = route_router_create(&bad_ops, &ret, cfg, 3, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL)
        return -99;
    if (down2)
        route_router_set_health(r, 2, ROUTE_DOWN);
    if (sat1)
        route_router_dispatch(r, 1, &q, &env);
    k = route_router_pick(r, &q, &env, ex);
    route_router_destroy(r);
    return k;
}

static void test_sanitize(void)
{
    uint64_t ex[1] = {0};
    uint64_t all[1] = {7};
    route_exclude_set(ex, 0);
    CHECK_INT_EQ(bad_pick_once(0, NULL, false, false), 0);
    CHECK_INT_EQ(bad_pick_once(0, ex, false, false), ROUTE_NONE);    /* excluded */
    CHECK_INT_EQ(bad_pick_once(2, NULL, true, false), ROUTE_NONE);   /* unhealthy */
    CHECK_INT_EQ(bad_pick_once(3, NULL, false, false), ROUTE_NONE);  /* out of range */
    CHECK_INT_EQ(bad_pick_once(-7, NULL, false, false), ROUTE_NONE); /* bogus code */
    CHECK_INT_EQ(bad_pick_once(1, NULL, false, true), ROUTE_FULL);   /* saturated */
    CHECK_INT_EQ(bad_pick_once(-2, NULL, false, false), ROUTE_FULL); /* FULL kept */
    CHECK_INT_EQ(bad_pick_once(-2, all, false, false), ROUTE_NONE);  /* FULL, none usable */
    CHECK_INT_EQ(bad_pick_once(-1, NULL, false, false), ROUTE_NONE);
}

static void test_router_create_errors(void)
{
    struct route_backend_cfg cfg[2];
    const struct route_ops *lat = route_registry_find("lowest_latency");
    char err[256];
    double p[6] = {0.2, 0.0, 1000.0, 0.0, 10.0, 0.0};
    memset(cfg, 0, sizeof cfg);
    CHECK(route_router_create(lat, NULL, cfg, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "lowest_latency");
    CHECK(route_router_create(lat, NULL, cfg, ROUTE_MAX_BACKENDS + 1, err, sizeof err) == NULL);
    CHECK(route_router_create(lat, NULL, NULL, 2, err, sizeof err) == NULL);
    CHECK(route_router_create(NULL, NULL, cfg, 2, err, sizeof err) == NULL);
    p[0] = 2.0;
    CHECK(route_router_create(lat, p, cfg, 2, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "alpha");
    p[0] = 0.2;
    cfg[1].tpm_limit = -1;
    CHECK(route_router_create(lat, p, cfg, 2, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "tpm_limit");
    cfg[1].tpm_limit = 0;
    cfg[0].price_output = -1.0;
    CHECK(route_router_create(lat, p, cfg, 2, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "price");
    cfg[0].price_output = 0.0;
    {
        struct route_router *r = route_router_create(lat, p, cfg, 2, err, sizeof err);
        CHECK(r != NULL);
        route_router_destroy(r);
    }
    {
        /* The largest fleet: exclude words beyond the first. */
        struct route_backend_cfg *big = calloc(ROUTE_MAX_BACKENDS, sizeof *big);
        uint64_t ex[ROUTE_EXCLUDE_WORDS(ROUTE_MAX_BACKENDS)];
        struct sm64 g = {4};
        struct route_env env = make_env(&g, 0);
        struct route_req q = make_req(1, 1, 0);
        struct route_router *r;
        if (big == NULL)
            return;
        for (uint32_t i = 0; i < ROUTE_MAX_BACKENDS; i++)
            big[i].weight = 1;
        r = route_router_create(route_registry_find("round_robin"), NULL, big, ROUTE_MAX_BACKENDS,
                                err, sizeof err);
        CHECK(r != NULL);
        memset(ex, 0xff, sizeof ex);
        ex[ROUTE_EXCLUDE_WORDS(ROUTE_MAX_BACKENDS) - 1] = ~((uint64_t)1 << 63); /* all but 1023 */
        if (r != NULL) {
            for (int t = 0; t < 5; t++)
                CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), ROUTE_MAX_BACKENDS - 1);
            route_router_destroy(r);
        }
        free(big);
    }
}

/* ---------------------------------------------------------------------
 * Retry policy
 * ------------------------------------------------------------------- */

static void test_retry(void)
{
    struct route_retry p;
    static const int64_t expect_ms[6] = {500, 1000, 2000, 4000, 8000, 8000};
    route_retry_default(&p);
    CHECK_INT_EQ(p.max_attempts, 3);
    CHECK_INT_EQ(p.backoff_base_ns, 500 * NS_PER_MS);
    CHECK_INT_EQ(p.backoff_max_ns, 8 * NS_PER_S);
    CHECK_NEAR(p.multiplier, 2.0, 0);
    CHECK_NEAR(p.jitter, 0.25, 0);
    CHECK(p.honor_retry_after);
    CHECK_INT_EQ(p.retry_after_cap_ns, 60 * NS_PER_S);
    CHECK(p.reroute_immediately);

    CHECK(route_retry_should(&p, 1, ROUTE_RATE_LIMITED));
    CHECK(route_retry_should(&p, 2, ROUTE_SERVER_ERROR));
    CHECK(route_retry_should(&p, 1, ROUTE_TIMEOUT));
    CHECK(!route_retry_should(&p, 3, ROUTE_TIMEOUT)); /* 3 attempts done */
    CHECK(!route_retry_should(&p, 1, ROUTE_OK));
    CHECK(!route_retry_should(&p, 1, ROUTE_CLIENT_ERROR));
    CHECK(!route_retry_should(&p, 1, ROUTE_CANCELLED));
    p.retry_on = ~0u;
    CHECK(!route_retry_should(&p, 1, ROUTE_CLIENT_ERROR)); /* never, whatever retry_on */
    CHECK(!route_retry_should(&p, 1, ROUTE_CANCELLED));
    p.retry_on = 1u << ROUTE_RATE_LIMITED;
    CHECK(!route_retry_should(&p, 1, ROUTE_SERVER_ERROR));

    route_retry_default(&p);
    p.jitter = 0.0;
    for (uint32_t a = 1; a <= 6; a++)
        CHECK_INT_EQ(route_retry_delay(&p, a, -1, 0.7, false), expect_ms[a - 1] * NS_PER_MS);
    CHECK_INT_EQ(route_retry_delay(&p, 4000000000u, -1, 0.7, false), 8 * NS_PER_S); /* cap */
    /* Jitter 0.25: within [0.75, 1] x the exponential term. */
    route_retry_default(&p);
    CHECK_INT_EQ(route_retry_delay(&p, 2, -1, 0.0, false), 1000 * NS_PER_MS);
    CHECK_INT_EQ(route_retry_delay(&p, 2, -1, 0.5, false), 875 * NS_PER_MS);
    {
        struct sm64 g = {31};
        struct route_env env = make_env(&g, 0);
        for (int t = 0; t < 1000; t++) {
            int64_t d = route_retry_delay(&p, 3, -1, route_rand_unit(&env), false);
            CHECK(d > 1500 * NS_PER_MS && d <= 2000 * NS_PER_MS);
        }
    }
    /* Retry-After: a floor, honoured up to the 60 s cap, 0 accepted. */
    CHECK_INT_EQ(route_retry_delay(&p, 1, 5 * NS_PER_S, 0.0, false), 5 * NS_PER_S);
    CHECK_INT_EQ(route_retry_delay(&p, 1, 0, 0.0, false), 500 * NS_PER_MS);
    CHECK_INT_EQ(route_retry_delay(&p, 5, 1 * NS_PER_S, 0.0, false), 8 * NS_PER_S);
    CHECK_INT_EQ(route_retry_delay(&p, 1, 60 * NS_PER_S, 0.0, false), 60 * NS_PER_S);
    CHECK_INT_EQ(route_retry_delay(&p, 1, 61 * NS_PER_S, 0.0, false), 500 * NS_PER_MS);
    p.honor_retry_after = false;
    CHECK_INT_EQ(route_retry_delay(&p, 1, 5 * NS_PER_S, 0.0, false), 500 * NS_PER_MS);
    /* Reroute immediately when another backend is untried. */
    route_retry_default(&p);
    CHECK_INT_EQ(route_retry_delay(&p, 2, 30 * NS_PER_S, 0.3, true), 0);
    p.reroute_immediately = false;
    CHECK_INT_EQ(route_retry_delay(&p, 2, -1, 0.0, true), 1000 * NS_PER_MS);
    /* Overflow guards: absurd knobs give a large non-negative delay. */
    p.backoff_base_ns = INT64_MAX;
    p.backoff_max_ns = INT64_MAX;
    p.multiplier = 1e300;
    CHECK(route_retry_delay(&p, 100, -1, 0.0, false) == INT64_MAX);
    p.multiplier = 0.5; /* below 1: treated as 1 */
    p.backoff_base_ns = NS_PER_S;
    CHECK_INT_EQ(route_retry_delay(&p, 10, -1, 0.0, false), NS_PER_S);
    CHECK(route_retry_delay(NULL, 1, -1, 0.0, false) == 0);
}

int main(void)
{
    test_registry();
    test_ops_check();
    test_rand();
    test_property_unlimited();
    test_property_limits();
    test_determinism();
    test_random();
    test_weighted_random();
    test_round_robin();
    test_least_inflight();
    test_power_of_two();
    test_lowest_latency();
    test_lowest_cost();
    test_lowest_usage();
    test_lowest_usage_fixed_minute();
    test_lowest_usage_rpm_quirk();
    test_lowest_latency_list();
    test_lowest_cost_litellm();
    test_window();
    test_router_lifecycle();
    test_sanitize();
    test_router_create_errors();
    test_retry();
    return check_report("test_route");
}
