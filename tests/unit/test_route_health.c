/*
 * test_route_health.c - unit tests of route/'s health rules (LiteLLM
 * cooldowns, circuit breaker, outlier ejection), signal staleness, budgets,
 * strategy trees (node subsets, hooks, child counts), retry presets,
 * fallback targets and registry lookup with plugin tables.
 *
 * Links route/ alone (no libm either).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route.h"
#include "sm64.h"

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL

/* ---------------------------------------------------------------------
 * Scaffolding
 * ------------------------------------------------------------------- */

static struct route_env make_env(struct sm64 *g, int64_t now_ns)
{
    struct route_env e = {.now_ns = now_ns, .rand = sm64_next, .rand_ctx = g};
    return e;
}

static struct route_req make_req(int64_t in, int64_t max)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.id = 1;
    q.input_tokens = in;
    q.max_tokens = max;
    return q;
}

static struct route_outcome outcome(enum route_status st, int http, int64_t retry_after_ns)
{
    struct route_outcome o;
    memset(&o, 0, sizeof o);
    o.status = st;
    o.http_status = http;
    o.ttft_ns = -1;
    o.retry_after_ns = retry_after_ns;
    return o;
}

/* A test leaf: the lowest eligible index (deterministic, so a backend's
 * visibility shows directly in the answer). */
static int create_plain(void **state, const struct route_create_args *args, char *err,
                        size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_first(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    uint32_t usable = 0;
    (void)state;
    (void)req;
    (void)env;
    for (uint32_t i = 0; i < view->n; i++) {
        if (!route_usable(view, exclude, i))
            continue;
        usable++;
        if (view->b[i].cfg.max_inflight == 0 || view->b[i].inflight < view->b[i].cfg.max_inflight)
            return (int32_t)i;
    }
    return usable > 0 ? ROUTE_FULL : ROUTE_NONE;
}

static const struct route_ops first_ops = {
    ROUTE_OPS_INIT,   .name = "t_first",      .summary = "test: lowest eligible index",
    .source = "test", .create = create_plain, .pick = pick_first,
};

static struct route_router *mk(const struct route_ops *ops, const struct route_backend_cfg *cfg,
                               uint32_t n, const struct route_health_cfg *h, int64_t stale)
{
    struct route_spec spec;
    char err[256] = "";
    struct route_router *r;
    memset(&spec, 0, sizeof spec);
    spec.ops = ops;
    for (uint32_t i = 0; i < ops->n_params; i++)
        spec.params[i] = ops->params[i].def;
    r = route_router_create_spec(&spec, cfg, n, h, stale, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "route_router_create_spec(%s): %s\n", ops->name, err);
    CHECK(r != NULL);
    return r;
}

static enum route_health health_at(struct route_router *r, uint32_t i, int64_t now)
{
    struct sm64 g = {1};
    struct route_env env = make_env(&g, now);
    struct route_req q = make_req(1, 1);
    route_router_pick(r, &q, &env, NULL); /* evaluates health at now */
    return route_router_view(r)->b[i].health;
}

static void fail_at(struct route_router *r, uint32_t i, int64_t now, enum route_status st, int http,
                    int64_t retry_after_ns)
{
    struct sm64 g = {2};
    struct route_env env = make_env(&g, now);
    struct route_req q = make_req(1, 1);
    struct route_outcome o = outcome(st, http, retry_after_ns);
    route_router_dispatch(r, i, &q, &env);
    route_router_complete(r, i, &q, &o, &env);
}

static void ok_at(struct route_router *r, uint32_t i, int64_t now)
{
    fail_at(r, i, now, ROUTE_OK, 200, -1);
}

/* ---------------------------------------------------------------------
 * Defaults and validation
 * ------------------------------------------------------------------- */

static void test_health_defaults(void)
{
    struct route_health_cfg h;
    struct route_backend_cfg cfg[2];
    char err[128];
    route_health_default(&h);
    CHECK(!h.cooldown && !h.breaker && !h.outlier);
    CHECK_INT_EQ(h.cooldown_ns, 5 * NS_PER_S);
    CHECK_INT_EQ(h.allowed_fails, 0);
    CHECK(h.cooldown_429_multi);
    CHECK_NEAR(h.fail_ratio, 0.5, 0);
    CHECK_INT_EQ(h.fail_min_requests, 5);
    CHECK_INT_EQ(h.breaker_consecutive, 10);
    CHECK_INT_EQ(h.breaker_open_ns, 60 * NS_PER_S);
    CHECK_INT_EQ(h.breaker_probes, 3);
    CHECK_INT_EQ(h.outlier_consecutive_5xx, 5);
    CHECK_INT_EQ(h.outlier_base_ejection_ns, 30 * NS_PER_S);
    CHECK_NEAR(h.outlier_max_ejection, 0.1, 0);
    route_health_default(NULL);

    memset(cfg, 0, sizeof cfg);
    h.fail_ratio = 2.0;
    {
        struct route_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.ops = &first_ops;
        CHECK(route_router_create_spec(&spec, cfg, 2, &h, 0, err, sizeof err) == NULL);
        CHECK_STR_CONTAINS(err, "fail_ratio");
        h.fail_ratio = 0.5;
        CHECK(route_router_create_spec(&spec, cfg, 2, &h, -1, err, sizeof err) == NULL);
        CHECK_STR_CONTAINS(err, "staleness");
        CHECK(route_router_create_spec(NULL, cfg, 2, &h, 0, err, sizeof err) == NULL);
    }
}

/* ---------------------------------------------------------------------
 * LiteLLM cooldowns
 * ------------------------------------------------------------------- */

static struct route_health_cfg cooldown_cfg(void)
{
    struct route_health_cfg h;
    route_health_default(&h);
    h.cooldown = true;
    return h;
}

/* Backends 0, 1 serve group 1; 2 alone serves group 2. */
static void groups3(struct route_backend_cfg *cfg)
{
    memset(cfg, 0, 3 * sizeof *cfg);
    cfg[0].model_group = 1;
    cfg[1].model_group = 1;
    cfg[2].model_group = 2;
}

static void test_cooldown_429(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cooldown_cfg();
    struct route_router *r;
    const struct route_stats *st;
    groups3(cfg);
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    st = route_router_stats(r);
    fail_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_COOLDOWN);
    CHECK_INT_EQ(route_router_view(r)->b[0].cooldown_until_ns, 5 * NS_PER_S);
    CHECK_INT_EQ(st->cooldowns, 1);
    CHECK_INT_EQ(st->cooldown_ns, 5 * NS_PER_S);
    /* A cooled backend is never picked; it returns at the deadline. */
    {
        struct sm64 g = {3};
        struct route_env env = make_env(&g, 4 * NS_PER_S);
        struct route_req q = make_req(1, 1);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
        env.now_ns = 5 * NS_PER_S;
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    }
    /* Single-deployment group: a 429 does not cool (PR #5673). */
    fail_at(r, 2, 6 * NS_PER_S, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(health_at(r, 2, 6 * NS_PER_S), ROUTE_HEALTHY);
    CHECK_INT_EQ(st->cooldowns, 1);
    route_router_destroy(r);

    /* cooldown_429_multi off: a single 429 no longer cools. */
    h.cooldown_429_multi = false;
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    fail_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    route_router_destroy(r);
}

static void test_cooldown_ratio(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cooldown_cfg();
    struct route_router *r;
    groups3(cfg);
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    ok_at(r, 0, 1 * NS_PER_S);
    ok_at(r, 0, 2 * NS_PER_S);
    fail_at(r, 0, 3 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1); /* 1/3 */
    CHECK_INT_EQ(health_at(r, 0, 3 * NS_PER_S), ROUTE_HEALTHY);
    fail_at(r, 0, 4 * NS_PER_S, ROUTE_SERVER_ERROR, 503, -1); /* 2/4: not > 0.5, < 5 */
    CHECK_INT_EQ(health_at(r, 0, 4 * NS_PER_S), ROUTE_HEALTHY);
    fail_at(r, 0, 5 * NS_PER_S, ROUTE_SERVER_ERROR, 502, -1); /* 3/5 > 0.5 with 5 */
    CHECK_INT_EQ(health_at(r, 0, 5 * NS_PER_S), ROUTE_COOLDOWN);
    /* Single-deployment group: never by ratio. */
    for (int k = 0; k < 20; k++)
        fail_at(r, 2, 6 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 6 * NS_PER_S), ROUTE_HEALTHY);
    route_router_destroy(r);

    /* The minimum number of requests. */
    h.fail_min_requests = 10;
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    for (int k = 0; k < 9; k++)
        fail_at(r, 0, 1 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, 1 * NS_PER_S), ROUTE_HEALTHY);
    fail_at(r, 0, 1 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, 1 * NS_PER_S), ROUTE_COOLDOWN);
    /* Counts are per minute: 9 failures in minute 0 and 1 in minute 1
     * never reach 10. */
    for (int k = 0; k < 9; k++)
        fail_at(r, 1, 59 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    fail_at(r, 1, 60 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 1, 60 * NS_PER_S), ROUTE_HEALTHY);
    route_router_destroy(r);

    /* 100 % failures with >= 1000 requests this minute: even a single
     * deployment (PR #7823). */
    h.fail_min_requests = 5;
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    for (int k = 0; k < 999; k++)
        fail_at(r, 2, 1 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 1 * NS_PER_S), ROUTE_HEALTHY);
    fail_at(r, 2, 1 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 1 * NS_PER_S), ROUTE_COOLDOWN);
    route_router_destroy(r);
}

static void test_cooldown_statuses(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cooldown_cfg();
    struct route_router *r;
    groups3(cfg);
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    /* 401 and 404: not retryable, cool at once, even alone in a group. */
    fail_at(r, 2, 0, ROUTE_CLIENT_ERROR, 401, -1);
    CHECK_INT_EQ(health_at(r, 2, 0), ROUTE_COOLDOWN);
    fail_at(r, 1, 0, ROUTE_CLIENT_ERROR, 404, -1);
    CHECK_INT_EQ(health_at(r, 1, 0), ROUTE_COOLDOWN);
    /* Other 4xx neither cool nor count. */
    for (int k = 0; k < 10; k++) {
        fail_at(r, 0, 10 * NS_PER_S, ROUTE_CLIENT_ERROR, 400, -1);
        fail_at(r, 0, 10 * NS_PER_S, ROUTE_CLIENT_ERROR, 403, -1);
        fail_at(r, 0, 10 * NS_PER_S, ROUTE_CLIENT_ERROR, 422, -1);
    }
    CHECK_INT_EQ(health_at(r, 0, 10 * NS_PER_S), ROUTE_HEALTHY);
    /* Timeouts count: 2 ok + 2 timeouts (the 400s not counted: 2/4). */
    ok_at(r, 0, 11 * NS_PER_S);
    ok_at(r, 0, 11 * NS_PER_S);
    fail_at(r, 0, 11 * NS_PER_S, ROUTE_TIMEOUT, 0, -1);
    fail_at(r, 0, 11 * NS_PER_S, ROUTE_TIMEOUT, 408, -1);
    CHECK_INT_EQ(health_at(r, 0, 11 * NS_PER_S), ROUTE_HEALTHY);
    fail_at(r, 0, 11 * NS_PER_S, ROUTE_TIMEOUT, 0, -1); /* 3/5 */
    CHECK_INT_EQ(health_at(r, 0, 11 * NS_PER_S), ROUTE_COOLDOWN);
    /* Cancellations are ignored. */
    for (int k = 0; k < 10; k++)
        fail_at(r, 1, 30 * NS_PER_S, ROUTE_CANCELLED, 0, -1);
    CHECK_INT_EQ(health_at(r, 1, 30 * NS_PER_S), ROUTE_HEALTHY);
    CHECK_INT_EQ(route_router_stats(r)->cooldowns, 3);
    route_router_destroy(r);
}

static void test_cooldown_duration(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cooldown_cfg();
    struct route_router *r;
    const struct route_view *v;
    groups3(cfg);
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    v = route_router_view(r);
    /* Retry-After wins when given. */
    fail_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, 20 * NS_PER_S);
    CHECK_INT_EQ(v->b[0].cooldown_until_ns, 20 * NS_PER_S);
    CHECK_INT_EQ(health_at(r, 0, 19 * NS_PER_S), ROUTE_COOLDOWN);
    CHECK_INT_EQ(health_at(r, 0, 20 * NS_PER_S), ROUTE_HEALTHY);
    /* Absent: the default. */
    fail_at(r, 1, 0, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(v->b[1].cooldown_until_ns, 5 * NS_PER_S);
    CHECK_INT_EQ(route_router_stats(r)->cooldown_ns, 25 * NS_PER_S);
    route_router_destroy(r);

    /* retry_after_duration off: the default even with a Retry-After. */
    h.retry_after_duration = false;
    h.cooldown_ns = 7 * NS_PER_S;
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    v = route_router_view(r);
    fail_at(r, 0, NS_PER_S, ROUTE_RATE_LIMITED, 429, 20 * NS_PER_S);
    CHECK_INT_EQ(v->b[0].cooldown_until_ns, 8 * NS_PER_S);
    /* No extension while cooling (issue #40130). */
    fail_at(r, 0, 6 * NS_PER_S, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(v->b[0].cooldown_until_ns, 8 * NS_PER_S);
    CHECK_INT_EQ(health_at(r, 0, 8 * NS_PER_S), ROUTE_HEALTHY);
    CHECK_INT_EQ(route_router_stats(r)->cooldowns, 1);
    /* After it ended, the next one starts afresh. */
    fail_at(r, 0, 9 * NS_PER_S, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(v->b[0].cooldown_until_ns, 16 * NS_PER_S);
    CHECK_INT_EQ(route_router_stats(r)->cooldowns, 2);
    route_router_destroy(r);

    /* cooldown_ns 0 disables (LiteLLM cooldown_time: 0). */
    h.cooldown_ns = 0;
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    fail_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    route_router_destroy(r);
}

/* v1: allowed_fails with a TTL of cooldown_ns refreshed per failure. */
static void test_cooldown_v1(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cooldown_cfg();
    struct route_router *r;
    groups3(cfg);
    h.allowed_fails = 2;
    r = mk(&first_ops, cfg, 3, &h, 0);
    if (r == NULL)
        return;
    /* 0 s, 4 s, 8 s: the TTL (5 s) is refreshed each time, the third
     * failure exceeds 2 allowed. */
    fail_at(r, 2, 0, ROUTE_RATE_LIMITED, 429, -1);
    fail_at(r, 2, 4 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 4 * NS_PER_S), ROUTE_HEALTHY);
    fail_at(r, 2, 8 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 8 * NS_PER_S), ROUTE_COOLDOWN);
    /* Spaced beyond the TTL: never more than one counted. */
    for (int k = 0; k < 10; k++)
        fail_at(r, 0, (int64_t)k * 6 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, 60 * NS_PER_S), ROUTE_HEALTHY);
    /* A 429 counts as one failure, not an immediate cooldown. */
    fail_at(r, 1, 0, ROUTE_RATE_LIMITED, 429, -1);
    CHECK_INT_EQ(health_at(r, 1, 0), ROUTE_HEALTHY);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Circuit breaker
 * ------------------------------------------------------------------- */

static struct route_health_cfg breaker_cfg(void)
{
    struct route_health_cfg h;
    route_health_default(&h);
    h.breaker = true;
    h.breaker_consecutive = 3;
    h.breaker_open_ns = 10 * NS_PER_S;
    h.breaker_probes = 2;
    return h;
}

static void test_breaker_consecutive(void)
{
    struct route_backend_cfg cfg[2];
    struct route_health_cfg h = breaker_cfg();
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    r = mk(&first_ops, cfg, 2, &h, 0);
    if (r == NULL)
        return;
    ok_at(r, 0, 0);
    fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
    fail_at(r, 0, 0, ROUTE_TIMEOUT, 0, -1);
    ok_at(r, 0, 0); /* the run restarts */
    fail_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, -1);
    fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
    fail_at(r, 0, 0, ROUTE_CLIENT_ERROR, 400, -1); /* neutral */
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    fail_at(r, 0, NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, NS_PER_S), ROUTE_OPEN);
    CHECK_INT_EQ(route_router_view(r)->b[0].cooldown_until_ns, 11 * NS_PER_S);
    CHECK_INT_EQ(route_router_stats(r)->breaker_opens, 1);
    CHECK_INT_EQ(health_at(r, 0, 11 * NS_PER_S - 1), ROUTE_OPEN);
    CHECK_INT_EQ(health_at(r, 0, 11 * NS_PER_S), ROUTE_HALF_OPEN);
    route_router_destroy(r);
}

static void test_breaker_rate(void)
{
    struct route_backend_cfg cfg[2];
    struct route_health_cfg h = breaker_cfg();
    struct route_router *r;
    memset(cfg, 0, sizeof cfg);
    h.breaker_consecutive = 0;
    h.breaker_fail_rate = 0.5;
    h.breaker_min_requests = 10;
    h.breaker_window_ns = 16 * NS_PER_S;
    r = mk(&first_ops, cfg, 2, &h, 0);
    if (r == NULL)
        return;
    /* 9 attempts, 6 failed: below the minimum. */
    for (int k = 0; k < 3; k++) {
        fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
        fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
        ok_at(r, 0, 0);
    }
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    ok_at(r, 0, 0); /* 10 attempts, 6 failed: 0.6 > 0.5, but this is a success */
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_OPEN);
    route_router_destroy(r);

    /* Exactly the rate does not open; old failures leave the window. */
    r = mk(&first_ops, cfg, 2, &h, 0);
    if (r == NULL)
        return;
    for (int k = 0; k < 5; k++) {
        fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
        ok_at(r, 0, 0);
    }
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY); /* 5/10 */
    for (int k = 0; k < 9; k++)
        ok_at(r, 0, 20 * NS_PER_S); /* the t = 0 attempts have left the window */
    fail_at(r, 0, 20 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, 20 * NS_PER_S), ROUTE_HEALTHY); /* 1/10 */
    for (int k = 0; k < 10; k++)
        fail_at(r, 0, 21 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, 21 * NS_PER_S), ROUTE_OPEN); /* 11/20 */
    route_router_destroy(r);
}

static void test_breaker_half_open(void)
{
    struct route_backend_cfg cfg[2];
    struct route_health_cfg h = breaker_cfg();
    struct route_router *r;
    struct sm64 g = {5};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1);
    struct route_outcome ok = outcome(ROUTE_OK, 200, -1),
                         bad = outcome(ROUTE_SERVER_ERROR, 500, -1);
    memset(cfg, 0, sizeof cfg);
    r = mk(&first_ops, cfg, 2, &h, 0);
    if (r == NULL)
        return;
    for (int k = 0; k < 3; k++)
        fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
    env.now_ns = 5 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1); /* open: not offered */
    /* Half-open: offered while no probe is in flight; one probe at a time. */
    env.now_ns = 10 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_dispatch(r, 0, &q, &env);
    CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_OPEN);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
    env.now_ns += NS_PER_S;
    route_router_complete(r, 0, &q, &ok, &env); /* probe 1 of 2 */
    CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_HALF_OPEN);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_dispatch(r, 0, &q, &env);
    route_router_complete(r, 0, &q, &ok, &env); /* probe 2: closed */
    CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_HEALTHY);
    CHECK_INT_EQ(route_router_stats(r)->breaker_opens, 1);
    /* Open again; a failed probe reopens for another full period. */
    for (int k = 0; k < 3; k++)
        fail_at(r, 0, 20 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(route_router_stats(r)->breaker_opens, 2);
    env.now_ns = 30 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_dispatch(r, 0, &q, &env);
    env.now_ns = 31 * NS_PER_S;
    route_router_complete(r, 0, &q, &bad, &env);
    CHECK_INT_EQ(route_router_stats(r)->breaker_opens, 3);
    CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_OPEN);
    CHECK_INT_EQ(route_router_view(r)->b[0].cooldown_until_ns, 41 * NS_PER_S);
    /* An attempt dispatched before the half-open period is not a probe. */
    env.now_ns = 41 * NS_PER_S;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_dispatch(r, 0, &q, &env);
    bad.latency_ns = 5 * NS_PER_S; /* sent at 36 s, while open */
    env.now_ns = 41 * NS_PER_S;
    route_router_complete(r, 0, &q, &bad, &env);
    CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_OPEN); /* the probe is still out */
    CHECK_INT_EQ(route_router_stats(r)->breaker_opens, 3);
    route_router_destroy(r);
}

static void test_breaker_exploration(void)
{
    struct route_backend_cfg cfg[2];
    struct route_health_cfg h = breaker_cfg();
    struct route_router *r;
    struct sm64 g = {99};
    struct route_env env = make_env(&g, NS_PER_S);
    struct route_req q = make_req(1, 1);
    const double N = 20000.0, p = 0.1;
    double hits = 0.0, d;
    memset(cfg, 0, sizeof cfg);
    h.breaker_exploration = p;
    r = mk(&first_ops, cfg, 2, &h, 0);
    if (r == NULL)
        return;
    for (int k = 0; k < 3; k++)
        fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
    for (int t = 0; t < (int)N; t++) {
        int32_t k = route_router_pick(r, &q, &env, NULL);
        CHECK(k == 0 || k == 1);
        hits += k == 0;
        /* The offer is for that pick only. */
        if (t < 10)
            CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_OPEN);
    }
    /* Binomial(N, 0.1): |hits - N p| <= 4 sd, squared (no libm). */
    d = hits - N * p;
    CHECK(d * d <= 16.0 * N * p * (1.0 - p));
    CHECK(hits > 0);
    route_router_destroy(r);
}

static void test_breaker_bypass(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = breaker_cfg();
    struct route_router *r;
    struct sm64 g = {7};
    struct route_env env = make_env(&g, NS_PER_S);
    struct route_req q = make_req(1, 1);
    memset(cfg, 0, sizeof cfg);
    for (int bypass = 0; bypass < 2; bypass++) {
        h.breaker_bypass_all_open = bypass != 0;
        r = mk(&first_ops, cfg, 3, &h, 0);
        if (r == NULL)
            return;
        for (uint32_t i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
                fail_at(r, i, 0, ROUTE_SERVER_ERROR, 500, -1);
        /* One backend still closed: the open ones stay out either way. */
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 2);
        /* All open but one drained: bypass offers the open ones. */
        route_router_set_health(r, 2, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), bypass ? 0 : ROUTE_NONE);
        CHECK_INT_EQ(route_router_view(r)->b[0].health, ROUTE_OPEN);
        route_router_destroy(r);
    }
}

/* ---------------------------------------------------------------------
 * Outlier ejection
 * ------------------------------------------------------------------- */

static void test_outlier(void)
{
    struct route_backend_cfg cfg[4];
    struct route_health_cfg h;
    struct route_router *r;
    const struct route_view *v;
    memset(cfg, 0, sizeof cfg);
    route_health_default(&h);
    h.outlier = true;
    h.outlier_consecutive_5xx = 3;
    h.outlier_base_ejection_ns = 10 * NS_PER_S;
    h.outlier_max_ejection = 0.5; /* 2 of 4 */
    r = mk(&first_ops, cfg, 4, &h, 0);
    if (r == NULL)
        return;
    v = route_router_view(r);
    fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
    fail_at(r, 0, 0, ROUTE_TIMEOUT, 0, -1);
    fail_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, -1); /* not 5xx: resets */
    fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 500, -1);
    fail_at(r, 0, 0, ROUTE_SERVER_ERROR, 503, -1);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    fail_at(r, 0, NS_PER_S, ROUTE_TIMEOUT, 0, -1); /* timeouts count as 5xx */
    CHECK_INT_EQ(health_at(r, 0, NS_PER_S), ROUTE_EJECTED);
    CHECK_INT_EQ(v->b[0].cooldown_until_ns, 11 * NS_PER_S);
    CHECK_INT_EQ(health_at(r, 0, 11 * NS_PER_S), ROUTE_HEALTHY);
    /* The second ejection lasts twice as long. */
    for (int k = 0; k < 3; k++)
        fail_at(r, 0, 20 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(v->b[0].cooldown_until_ns, 40 * NS_PER_S);
    CHECK_INT_EQ(route_router_stats(r)->ejections, 2);
    /* At most 2 of 4 at once. */
    for (uint32_t i = 1; i < 3; i++)
        for (int k = 0; k < 3; k++)
            fail_at(r, i, 21 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 1, 21 * NS_PER_S), ROUTE_EJECTED);
    CHECK_INT_EQ(health_at(r, 2, 21 * NS_PER_S), ROUTE_HEALTHY);
    CHECK_INT_EQ(route_router_stats(r)->ejections, 3);
    /* Once 0 returns, 2's next 5xx ejects it. */
    fail_at(r, 2, 40 * NS_PER_S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 40 * NS_PER_S), ROUTE_EJECTED);
    route_router_destroy(r);

    /* A small share still ejects one. */
    h.outlier_max_ejection = 0.1;
    r = mk(&first_ops, cfg, 4, &h, 0);
    if (r == NULL)
        return;
    for (uint32_t i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++)
            fail_at(r, i, 0, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_EJECTED);
    CHECK_INT_EQ(health_at(r, 1, 0), ROUTE_HEALTHY);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Staleness and budgets
 * ------------------------------------------------------------------- */

static void test_staleness(void)
{
    struct route_backend_cfg cfg[2];
    struct route_health_cfg h = cooldown_cfg();
    struct route_router *r;
    const struct route_view *v;
    struct sm64 g = {11};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(10, 10);
    uint32_t c[2] = {0};
    memset(cfg, 0, sizeof cfg);
    r = mk(route_registry_find("least_inflight"), cfg, 2, &h, NS_PER_S);
    if (r == NULL)
        return;
    v = route_router_view(r);
    route_router_pick(r, &q, &env, NULL); /* publishes at 0 */
    env.now_ns = 100 * NS_PER_MS;
    for (int k = 0; k < 3; k++)
        route_router_dispatch(r, 0, &q, &env);
    route_router_set_signals(r, 1, 7, 0.25, env.now_ns);
    /* Until 1 s the strategy sees the counters of t = 0: a tie. */
    for (int t = 0; t < 400; t++) {
        int32_t k;
        env.now_ns = 100 * NS_PER_MS + (int64_t)t * NS_PER_MS;
        k = route_router_pick(r, &q, &env, NULL);
        if (k == 0 || k == 1)
            c[k]++;
    }
    CHECK(c[0] > 100 && c[1] > 100);
    CHECK_INT_EQ(v->b[0].inflight, 0);
    CHECK_INT_EQ(v->b[1].queue_depth, -1);
    CHECK_NEAR(v->b[1].kv_free, -1.0, 0);
    /* Health is current: a cooldown shows at once. */
    fail_at(r, 1, 600 * NS_PER_MS, ROUTE_CLIENT_ERROR, 401, -1);
    env.now_ns = 700 * NS_PER_MS;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    CHECK_INT_EQ(v->b[1].health, ROUTE_COOLDOWN);
    /* At 1 s the counters are republished. */
    env.now_ns = NS_PER_S;
    route_router_pick(r, &q, &env, NULL);
    CHECK_INT_EQ(v->b[0].inflight, 3);
    CHECK_INT_EQ(v->b[0].dispatched, 3);
    CHECK_INT_EQ(v->b[1].queue_depth, 7);
    CHECK_NEAR(v->b[1].kv_free, 0.25, 0);
    CHECK_INT_EQ(v->b[1].signal_t_ns, 100 * NS_PER_MS);
    CHECK_INT_EQ(v->b[1].failures, 1);
    env.now_ns = 6 * NS_PER_S; /* cooldown over */
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
    route_router_destroy(r);

    /* Without staleness the signals show at once. */
    r = mk(&first_ops, cfg, 2, NULL, 0);
    if (r == NULL)
        return;
    route_router_set_signals(r, 0, 3, 0.5, 42);
    CHECK_INT_EQ(route_router_view(r)->b[0].queue_depth, 3);
    CHECK_INT_EQ(route_router_view(r)->b[0].signal_t_ns, 42);
    route_router_destroy(r);
}

static void test_budgets(void)
{
    struct route_backend_cfg cfg[2];
    struct route_router *r;
    const struct route_view *v;
    struct sm64 g = {13};
    struct route_env env = make_env(&g, 100 * NS_PER_S);
    struct route_req q = make_req(1, 1);
    memset(cfg, 0, sizeof cfg);
    cfg[0].budget_usd = 1.0;
    cfg[0].budget_window_ns = 10 * NS_PER_S;
    cfg[1].budget_usd = 1.0; /* window 0: never resets */
    r = mk(&first_ops, cfg, 2, NULL, 0);
    if (r == NULL)
        return;
    v = route_router_view(r);
    route_router_pick(r, &q, &env, NULL); /* periods start at 100 s */
    route_router_add_cost(r, 0, 0.6, 100 * NS_PER_S);
    route_router_add_cost(r, 0, 0.3, 105 * NS_PER_S);
    route_router_add_cost(r, 1, 0.5, 105 * NS_PER_S);
    route_router_add_cost(r, 0, -1.0, 105 * NS_PER_S); /* ignored */
    CHECK_NEAR(v->b[0].spent_usd, 0.9, 1e-12);
    CHECK_INT_EQ(v->b[0].budget_start_ns, 100 * NS_PER_S);
    /* A pick after the window resets it. */
    env.now_ns = 110 * NS_PER_S - 1;
    route_router_pick(r, &q, &env, NULL);
    CHECK_NEAR(v->b[0].spent_usd, 0.9, 1e-12);
    env.now_ns = 110 * NS_PER_S;
    route_router_pick(r, &q, &env, NULL);
    CHECK_NEAR(v->b[0].spent_usd, 0.0, 0);
    CHECK_INT_EQ(v->b[0].budget_start_ns, 110 * NS_PER_S);
    /* add_cost rolls too, aligned to whole windows. */
    route_router_add_cost(r, 0, 0.2, 137 * NS_PER_S);
    CHECK_NEAR(v->b[0].spent_usd, 0.2, 1e-12);
    CHECK_INT_EQ(v->b[0].budget_start_ns, 130 * NS_PER_S);
    route_router_add_cost(r, 1, 0.5, 1000 * NS_PER_S);
    CHECK_NEAR(v->b[1].spent_usd, 1.0, 1e-12);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Strategy trees
 * ------------------------------------------------------------------- */

/* A test wrapper: delegates to its only child; counts its hooks (so the
 * router delivers them to wrappers too). */
struct wrap_state {
    struct route_node *child;
    uint64_t dispatches, completes, first_tokens;
};

static int create_wrap(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct wrap_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "oom");
        return -1;
    }
    s->child = args->n_children > 0 ? args->children[0] : NULL;
    *state = s;
    return 0;
}

static int32_t pick_wrap(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    struct wrap_state *s = state;
    return s->child != NULL ? route_node_pick(s->child, req, view, env, exclude) : ROUTE_NONE;
}

static void wrap_dispatch(void *state, uint32_t b, const struct route_req *req,
                          const struct route_env *env)
{
    (void)b;
    (void)req;
    (void)env;
    ((struct wrap_state *)state)->dispatches++;
}

static void wrap_first(void *state, uint32_t b, const struct route_req *req, int64_t ttft,
                       const struct route_env *env)
{
    (void)b;
    (void)req;
    (void)ttft;
    (void)env;
    ((struct wrap_state *)state)->first_tokens++;
}

static void wrap_complete(void *state, uint32_t b, const struct route_req *req,
                          const struct route_outcome *out, const struct route_env *env)
{
    (void)b;
    (void)req;
    (void)out;
    (void)env;
    ((struct wrap_state *)state)->completes++;
}

static const struct route_ops wrap_ops = {
    ROUTE_OPS_INIT,
    .name = "t_wrap",
    .summary = "test: delegate to the only child",
    .source = "test",
    .min_children = 1,
    .max_children = 1,
    .create = create_wrap,
    .destroy = free,
    .pick = pick_wrap,
    .on_dispatch = wrap_dispatch,
    .on_first_token = wrap_first,
    .on_complete = wrap_complete,
};

static void test_nodes(void)
{
    struct route_backend_cfg cfg[5];
    struct route_spec child, root, leaf, two[2];
    uint64_t subset[1] = {(1u << 1) | (1u << 3)};
    struct route_router *r;
    struct sm64 g = {17};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1);
    char err[256];
    uint32_t c[5] = {0};
    memset(cfg, 0, sizeof cfg);
    memset(&child, 0, sizeof child);
    memset(&root, 0, sizeof root);
    child.ops = route_registry_find("random");
    child.backends = subset;
    child.weight = 1.0;
    root.ops = &wrap_ops;
    root.children = &child;
    root.n_children = 1;
    r = route_router_create_spec(&root, cfg, 5, NULL, 0, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK(route_router_ops(r) == &wrap_ops);
    for (int t = 0; t < 2000; t++) {
        int32_t k = route_router_pick(r, &q, &env, NULL);
        CHECK(k == 1 || k == 3);
        if (k >= 0 && k < 5)
            c[k]++;
    }
    CHECK(c[1] > 800 && c[3] > 800);
    {
        uint64_t ex[1] = {0};
        route_exclude_set(ex, 1);
        for (int t = 0; t < 50; t++)
            CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), 3);
        route_exclude_set(ex, 3);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), ROUTE_NONE);
        route_router_set_health(r, 3, ROUTE_DOWN);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
        route_router_set_health(r, 3, ROUTE_HEALTHY);
    }
    route_router_destroy(r);

    /* Child-count validation names the strategy. */
    memset(&leaf, 0, sizeof leaf);
    root.n_children = 0;
    root.children = NULL;
    CHECK(route_router_create_spec(&root, cfg, 5, NULL, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "t_wrap");
    CHECK_STR_CONTAINS(err, "children");
    CHECK(route_router_create(&wrap_ops, NULL, cfg, 5, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "t_wrap");
    memset(two, 0, sizeof two);
    two[0].ops = &first_ops;
    two[1].ops = &first_ops;
    root.children = two;
    root.n_children = 2;
    CHECK(route_router_create_spec(&root, cfg, 5, NULL, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "t_wrap");
    leaf.ops = &first_ops;
    leaf.children = two;
    leaf.n_children = 1;
    CHECK(route_router_create_spec(&leaf, cfg, 5, NULL, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "t_first");
    /* A bad parameter deep in the tree. */
    memset(&child, 0, sizeof child);
    child.ops = route_registry_find("lowest_latency");
    for (uint32_t i = 0; i < child.ops->n_params; i++)
        child.params[i] = child.ops->params[i].def;
    child.params[0] = 5.0;
    root.children = &child;
    root.n_children = 1;
    CHECK(route_router_create_spec(&root, cfg, 5, NULL, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "alpha");
}

/* Hooks reach wrappers and children: count through a spy in the tree. */
struct spy {
    uint64_t dispatches, completes;
};

static int create_spy(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct spy *s = calloc(1, sizeof *s);
    (void)args;
    if (s == NULL) {
        snprintf(err, errlen, "oom");
        return -1;
    }
    *state = s;
    return 0;
}

/* The spy answers with its hook count (as a backend index) so the test
 * can read it through route_router_pick. */
static int32_t pick_spy(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    const struct spy *s = state;
    (void)req;
    (void)env;
    (void)exclude;
    return s->dispatches + s->completes < view->n ? (int32_t)(s->dispatches + s->completes)
                                                  : ROUTE_NONE;
}

static void spy_dispatch(void *state, uint32_t b, const struct route_req *req,
                         const struct route_env *env)
{
    (void)b;
    (void)req;
    (void)env;
    ((struct spy *)state)->dispatches++;
}

static void spy_complete(void *state, uint32_t b, const struct route_req *req,
                         const struct route_outcome *out, const struct route_env *env)
{
    (void)b;
    (void)req;
    (void)out;
    (void)env;
    ((struct spy *)state)->completes++;
}

static const struct route_ops spy_ops = {
    ROUTE_OPS_INIT,
    .name = "t_spy",
    .summary = "test: answers its hook count",
    .source = "test",
    .create = create_spy,
    .destroy = free,
    .pick = pick_spy,
    .on_dispatch = spy_dispatch,
    .on_complete = spy_complete,
};

static void test_node_hooks(void)
{
    struct route_backend_cfg cfg[8];
    struct route_spec spy, mid, root;
    struct route_router *r;
    struct sm64 g = {19};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1);
    struct route_outcome ok = outcome(ROUTE_OK, 200, -1);
    char err[256];
    memset(cfg, 0, sizeof cfg);
    memset(&spy, 0, sizeof spy);
    memset(&mid, 0, sizeof mid);
    memset(&root, 0, sizeof root);
    spy.ops = &spy_ops;
    mid.ops = &wrap_ops;
    mid.children = &spy;
    mid.n_children = 1;
    root.ops = &wrap_ops;
    root.children = &mid;
    root.n_children = 1;
    r = route_router_create_spec(&root, cfg, 8, NULL, 0, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL)
        return;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 0);
    route_router_dispatch(r, 5, &q, &env); /* any backend: every node hears it */
    route_router_complete(r, 5, &q, &ok, &env);
    route_router_dispatch(r, 6, &q, &env);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 3); /* 2 dispatches + 1 completion */
    route_router_destroy(r);
}

static void test_node_helpers(void)
{
    struct route_backend_cfg cfg[70];
    struct route_spec child, root;
    uint64_t subset[2] = {0, (uint64_t)1 << 1}; /* backend 65 only */
    struct route_router *r;
    const struct route_view *v;
    struct sm64 g = {23};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1);
    char err[256];
    memset(cfg, 0, sizeof cfg);
    memset(&child, 0, sizeof child);
    memset(&root, 0, sizeof root);
    child.ops = &first_ops;
    child.backends = subset;
    root.ops = &wrap_ops;
    root.children = &child;
    root.n_children = 1;
    r = route_router_create_spec(&root, cfg, 70, NULL, 0, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL)
        return;
    v = route_router_view(r);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 65);
    {
        uint64_t ex[2] = {0, 0};
        route_exclude_set(ex, 65);
        CHECK_INT_EQ(route_router_pick(r, &q, &env, ex), ROUTE_NONE);
    }
    CHECK(route_node_scratch(NULL) == NULL);
    CHECK(!route_node_any_usable(NULL, v, NULL));
    CHECK(route_node_stats(NULL) == NULL);
    route_router_destroy(r);
}

/* A wrapper that checks the node helpers on its child from inside pick. */
struct helper_state {
    struct route_node *child;
    int ok;
};

static int create_helper(void **state, const struct route_create_args *args, char *err,
                         size_t errlen)
{
    struct helper_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "oom");
        return -1;
    }
    s->child = args->children[0];
    *state = s;
    return 0;
}

static int32_t pick_helper(void *state, const struct route_req *req, const struct route_view *view,
                           const struct route_env *env, const uint64_t *exclude)
{
    struct helper_state *s = state;
    uint64_t *scr = route_node_scratch(s->child);
    uint32_t words = ROUTE_EXCLUDE_WORDS(view->n);
    int ok = 1;
    ok &= scr != NULL;
    ok &= route_node_stats(s->child) != NULL;
    /* Child limited to {1, 3}: usable until both are excluded. */
    ok &= route_node_any_usable(s->child, view, exclude);
    if (scr != NULL) {
        for (uint32_t w = 0; w < words; w++)
            scr[w] = exclude != NULL ? exclude[w] : 0;
        route_exclude_set(scr, 1);
        route_exclude_set(scr, 3);
        ok &= !route_node_any_usable(s->child, view, scr);
        route_node_stats(s->child)->spillovers++;
    }
    s->ok = ok;
    return ok ? route_node_pick(s->child, req, view, env, exclude) : ROUTE_NONE;
}

static const struct route_ops helper_ops = {
    ROUTE_OPS_INIT,          .name = "t_helper", .summary = "test: exercises route_node_*",
    .source = "test",        .min_children = 1,  .max_children = 1,
    .create = create_helper, .destroy = free,    .pick = pick_helper,
};

static void test_node_api(void)
{
    struct route_backend_cfg cfg[4];
    struct route_spec child, root;
    uint64_t subset[1] = {(1u << 1) | (1u << 3)};
    struct route_router *r;
    struct sm64 g = {29};
    struct route_env env = make_env(&g, 0);
    struct route_req q = make_req(1, 1);
    char err[256];
    memset(cfg, 0, sizeof cfg);
    memset(&child, 0, sizeof child);
    memset(&root, 0, sizeof root);
    child.ops = &first_ops;
    child.backends = subset;
    root.ops = &helper_ops;
    root.children = &child;
    root.n_children = 1;
    r = route_router_create_spec(&root, cfg, 4, NULL, 0, err, sizeof err);
    CHECK(r != NULL);
    if (r == NULL)
        return;
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 1);
    CHECK_INT_EQ(route_router_stats(r)->spillovers, 1);
    route_router_set_health(r, 1, ROUTE_DOWN);
    CHECK_INT_EQ(route_router_pick(r, &q, &env, NULL), 3);
    route_router_destroy(r);
}

/* ---------------------------------------------------------------------
 * Retry presets
 * ------------------------------------------------------------------- */

static void test_retry_presets(void)
{
    struct route_retry p, d;
    /* LiteLLM = the default; CUSTOM starts from it. */
    route_retry_default(&d);
    route_retry_preset(&p, ROUTE_BACKOFF_LITELLM);
    CHECK(memcmp(&p, &d, sizeof p) == 0);
    CHECK_INT_EQ(d.preset, ROUTE_BACKOFF_LITELLM);
    CHECK_INT_EQ(d.retry_after_budget_ns, 0);
    route_retry_preset(&p, ROUTE_BACKOFF_CUSTOM);
    CHECK_INT_EQ(p.preset, ROUTE_BACKOFF_CUSTOM);
    CHECK_INT_EQ(p.max_attempts, d.max_attempts);
    CHECK_INT_EQ(route_retry_delay(&p, 2, -1, 0.0, false), 1000 * NS_PER_MS);

    /* Portkey: 1, 2, 4, 8, 16 s whatever the draw; 5 retries. */
    route_retry_preset(&p, ROUTE_BACKOFF_PORTKEY);
    CHECK_INT_EQ(p.max_attempts, 6);
    for (uint32_t a = 1; a <= 5; a++) {
        int64_t expect = ((int64_t)1 << (a - 1)) * NS_PER_S;
        CHECK_INT_EQ(route_retry_delay(&p, a, -1, 0.0, false), expect);
        CHECK_INT_EQ(route_retry_delay(&p, a, -1, 0.99, true), expect); /* same target */
    }
    CHECK(route_retry_should(&p, 5, ROUTE_SERVER_ERROR));
    CHECK(!route_retry_should(&p, 6, ROUTE_SERVER_ERROR));
    /* Retry-After on 429 only, replacing the backoff. */
    CHECK_INT_EQ(route_retry_delay_ex(&p, 4, ROUTE_RATE_LIMITED, 5 * NS_PER_S, 0, 0.0, false),
                 5 * NS_PER_S);
    CHECK_INT_EQ(route_retry_delay_ex(&p, 1, ROUTE_SERVER_ERROR, 5 * NS_PER_S, 0, 0.0, false),
                 NS_PER_S);
    CHECK_INT_EQ(route_retry_delay_ex(&p, 2, ROUTE_RATE_LIMITED, -1, 0, 0.0, false),
                 2 * NS_PER_S); /* no header: backoff */
    /* One value >= 60 s, or beyond the cumulative 60 s, aborts. */
    CHECK_INT_EQ(route_retry_delay_ex(&p, 1, ROUTE_RATE_LIMITED, 60 * NS_PER_S, 0, 0.0, false), -1);
    CHECK_INT_EQ(route_retry_delay(&p, 1, 61 * NS_PER_S, 0.0, false), -1);
    CHECK_INT_EQ(route_retry_delay_ex(&p, 1, ROUTE_RATE_LIMITED, 59 * NS_PER_S, 0, 0.0, false),
                 59 * NS_PER_S);
    CHECK_INT_EQ(
        route_retry_delay_ex(&p, 3, ROUTE_RATE_LIMITED, 10 * NS_PER_S, 50 * NS_PER_S, 0.0, false),
        10 * NS_PER_S);
    CHECK_INT_EQ(
        route_retry_delay_ex(&p, 3, ROUTE_RATE_LIMITED, 11 * NS_PER_S, 50 * NS_PER_S, 0.0, false),
        -1);
    p.honor_retry_after = false; /* use_retry_after_header off */
    CHECK_INT_EQ(route_retry_delay_ex(&p, 1, ROUTE_RATE_LIMITED, 90 * NS_PER_S, 0, 0.0, false),
                 NS_PER_S);

    /* SGLang: 50 ms x 1.5^n, capped at 30 s, then +-20 %. */
    route_retry_preset(&p, ROUTE_BACKOFF_SGLANG);
    CHECK_INT_EQ(p.max_attempts, 5);
    CHECK(route_retry_should(&p, 4, ROUTE_TIMEOUT));
    CHECK(!route_retry_should(&p, 5, ROUTE_TIMEOUT));
    {
        struct sm64 g = {31};
        struct route_env env = make_env(&g, 0);
        double base = 50.0 * NS_PER_MS;
        int saw_low = 0, saw_high = 0;
        for (uint32_t a = 1; a <= 25; a++) {
            double t = base > 30.0 * NS_PER_S ? 30.0 * NS_PER_S : base;
            CHECK_NEAR(route_retry_delay(&p, a, -1, 0.5, false), t, 1.0);
            CHECK_NEAR(route_retry_delay(&p, a, -1, 0.0, false), 0.8 * t, 1.0);
            for (int k = 0; k < 200; k++) {
                int64_t dl = route_retry_delay(&p, a, 10 * NS_PER_S, route_rand_unit(&env), true);
                CHECK(dl >= (int64_t)(0.8 * t) - 1 && dl <= (int64_t)(1.2 * t) + 1);
                saw_low += dl < (int64_t)t;
                saw_high += dl > (int64_t)t;
            }
            base *= 1.5;
        }
        CHECK(saw_low > 1000 && saw_high > 1000); /* symmetric */
        CHECK(route_retry_delay(&p, 40, -1, 0.999, false) <= 36 * NS_PER_S);
    }

    /* A Retry-After budget on the LiteLLM form. */
    route_retry_default(&p);
    p.retry_after_budget_ns = 10 * NS_PER_S;
    CHECK_INT_EQ(
        route_retry_delay_ex(&p, 1, ROUTE_RATE_LIMITED, 5 * NS_PER_S, 4 * NS_PER_S, 0.0, false),
        5 * NS_PER_S);
    CHECK_INT_EQ(
        route_retry_delay_ex(&p, 1, ROUTE_RATE_LIMITED, 5 * NS_PER_S, 6 * NS_PER_S, 0.0, false),
        -1);
}

static void test_retry_class(void)
{
    struct route_retry p;
    route_retry_default(&p);
    /* No class caps: the total cap. */
    CHECK(route_retry_should_class(&p, 2, 2, ROUTE_RATE_LIMITED));
    CHECK(!route_retry_should_class(&p, 3, 3, ROUTE_RATE_LIMITED));
    /* RateLimitErrorRetries-style cap replaces it for 429s. */
    p.max_attempts_class[ROUTE_RATE_LIMITED] = 5;
    p.max_attempts_class[ROUTE_TIMEOUT] = 1;
    CHECK(route_retry_should_class(&p, 4, 4, ROUTE_RATE_LIMITED));
    CHECK(!route_retry_should_class(&p, 5, 5, ROUTE_RATE_LIMITED));
    CHECK(!route_retry_should_class(&p, 1, 1, ROUTE_TIMEOUT));
    CHECK(route_retry_should_class(&p, 2, 1, ROUTE_SERVER_ERROR));
    CHECK(!route_retry_should_class(&p, 3, 1, ROUTE_SERVER_ERROR));
    /* Never: final statuses, or a status not in retry_on. */
    p.max_attempts_class[ROUTE_CLIENT_ERROR] = 9;
    CHECK(!route_retry_should_class(&p, 1, 1, ROUTE_CLIENT_ERROR));
    CHECK(!route_retry_should_class(&p, 1, 1, ROUTE_OK));
    p.retry_on = 1u << ROUTE_SERVER_ERROR;
    CHECK(!route_retry_should_class(&p, 1, 1, ROUTE_RATE_LIMITED));
    CHECK(!route_retry_should_class(NULL, 1, 1, ROUTE_SERVER_ERROR));
}

/* ---------------------------------------------------------------------
 * Fallbacks and registry lookup
 * ------------------------------------------------------------------- */

static void test_fallback_target(void)
{
    static const struct route_fallback_rule rules[] = {
        {.from_group = ROUTE_FALLBACK_ANY, .cls = ROUTE_EC_GENERIC, .to = {9}, .n_to = 1},
        {.from_group = 1, .cls = ROUTE_EC_GENERIC, .to = {2, 3}, .n_to = 2},
        {.from_group = 1, .cls = ROUTE_EC_CONTEXT_WINDOW, .to = {4}, .n_to = 1},
        {.from_group = ROUTE_FALLBACK_ANY, .cls = ROUTE_EC_CONTENT_POLICY, .to = {7}, .n_to = 1},
    };
    struct route_fallbacks f = {.rules = rules, .n_rules = 4, .max_depth = 5};
    /* The group's own rule beats "*" (listed first). */
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 0), 2);
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 1), 3);
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 2), -1);
    CHECK_INT_EQ(route_fallback_target(&f, 5, ROUTE_EC_GENERIC, 0), 9);
    CHECK_INT_EQ(route_fallback_target(&f, 5, ROUTE_EC_GENERIC, 1), -1);
    /* Class-specific rules first, then the generic ones. */
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_CONTEXT_WINDOW, 0), 4);
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_CONTEXT_WINDOW, 1), -1);
    CHECK_INT_EQ(route_fallback_target(&f, 5, ROUTE_EC_CONTEXT_WINDOW, 0), 9);
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_CONTENT_POLICY, 0), 7);
    CHECK_INT_EQ(route_fallback_target(&f, 5, ROUTE_EC_CONTENT_POLICY, 0), 7);
    /* max_depth. */
    f.max_depth = 1;
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 0), 2);
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 1), -1);
    f.max_depth = 0;
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 0), -1);
    CHECK_INT_EQ(route_fallback_target(NULL, 1, ROUTE_EC_GENERIC, 0), -1);
    /* No rule at all. */
    f.max_depth = 5;
    f.n_rules = 0;
    CHECK_INT_EQ(route_fallback_target(&f, 1, ROUTE_EC_GENERIC, 0), -1);
}

static void test_registry_lookup(void)
{
    static const struct route_ops my = {
        ROUTE_OPS_INIT,   .name = "my_plugin",    .summary = "test plugin",
        .source = "test", .create = create_plain, .pick = pick_first,
    };
    static const struct route_ops shadow = {
        ROUTE_OPS_INIT,   .name = "random",       .summary = "test plugin shadowing a built-in",
        .source = "test", .create = create_plain, .pick = pick_first,
    };
    static const struct route_ops *const extra[] = {&my, &shadow};
    struct route_registry reg = {.extra = extra, .n_extra = 2};
    struct route_backend_cfg cfg[2];
    char err[128];
    CHECK(route_registry_lookup(&reg, "my_plugin") == &my);
    CHECK(route_registry_lookup(&reg, "random") == &shadow); /* extra first */
    CHECK(route_registry_lookup(&reg, "round_robin") == route_registry_find("round_robin"));
    CHECK(route_registry_lookup(&reg, "nope") == NULL);
    CHECK(route_registry_lookup(&reg, NULL) == NULL);
    CHECK(route_registry_lookup(NULL, "random") == route_registry_find("random"));
    CHECK(route_registry_lookup(NULL, "my_plugin") == NULL);
    memset(cfg, 0, sizeof cfg);
    {
        struct route_router *r = route_router_create(route_registry_lookup(&reg, "my_plugin"), NULL,
                                                     cfg, 2, err, sizeof err);
        CHECK(r != NULL);
        route_router_destroy(r);
    }
}

int main(void)
{
    test_health_defaults();
    test_cooldown_429();
    test_cooldown_ratio();
    test_cooldown_statuses();
    test_cooldown_duration();
    test_cooldown_v1();
    test_breaker_consecutive();
    test_breaker_rate();
    test_breaker_half_open();
    test_breaker_exploration();
    test_breaker_bypass();
    test_outlier();
    test_staleness();
    test_budgets();
    test_nodes();
    test_node_hooks();
    test_node_helpers();
    test_node_api();
    test_retry_presets();
    test_retry_class();
    test_fallback_target();
    test_registry_lookup();
    return check_report("test_route_health");
}
