/*
 * test_route_router.c - route/'s router: usage windows, lifecycle counters,
 * contract sanitising, create errors, and the retry policy.
 *
 * Links route/ alone (no libm either): proof that it needs nothing else.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route_int.h" /* route__window: the router's internal usage window */
#include "route_test.h"
#include "sm64.h"

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL

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
        uint32_t kind = sm64_below(&g, 10);
        now += kind == 0 ? (int64_t)sm64_below(&g, 200) * NS_PER_S
                         : (int64_t)sm64_below(&g, 3000) * NS_PER_MS;
        adds_t[nadds] = now;
        adds_n[nadds] = 1 + sm64_below(&g, 5);
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
    struct route_env env = rt_env(&g, 1000 * NS_PER_S + NS_PER_S / 2);
    struct route_req q = rt_req(300, 200, 50);
    struct route_outcome ok = {.status = ROUTE_OK, .ttft_ns = 1, .retry_after_ns = -1};
    const struct route_view *v;
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    cfg[0].name = "a";
    cfg[1].name = "b";
    cfg[1].max_inflight = 1;
    r = rt_router("least_inflight", NULL, cfg, 2);
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
    struct route_env env = rt_env(&g, 0);
    struct route_req q = rt_req(1, 1, 0);
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
        struct route_env env = rt_env(&g, 0);
        struct route_req q = rt_req(1, 1, 0);
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
        struct route_env env = rt_env(&g, 0);
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
    test_window();
    test_router_lifecycle();
    test_sanitize();
    test_router_create_errors();
    test_retry();
    return check_report("test_route_router");
}
