/*
 * test_route_loop_litellm.c - unit tests of LiteLLM's retry and fallback
 * loop (route_llm_*, route/loop_litellm.c), the LiteLLM cooldown details of
 * route/health.c (per-backend cooldown_time, allowed_fails_policy, the
 * fixed v1 window, Retry-After 0) and route_router_group_counts.
 *
 * The act sequences are LiteLLM 2026's (docs/notes/litellm-replay.md §2.4,
 * §2.5): sleeps 0.5, 1, 2 s + U[0, 0.75 s) and one after the last attempt
 * (failoverbench S02: attempts at 0.01 / 0.63 / 2.08 s, fallback at 4.30 s).
 *
 * Links route/ alone.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route.h"
#include "route_loop.h"
#include "sm64.h"

#define S  1000000000LL
#define MS 1000000LL

/* Groups of the tests. */
enum { GA = 1, GB = 2, GC = 3, GD = 4, GX = 9 };

static struct route_loop_failure fail(int http, enum route_status st, int32_t backend,
                                      uint32_t size, uint32_t healthy)
{
    struct route_loop_failure f;
    memset(&f, 0, sizeof f);
    f.http_status = http;
    f.status = st;
    f.error_class = ROUTE_EC_GENERIC;
    f.retry_after_ns = -1;
    f.backend = backend;
    f.group_size = size;
    f.group_healthy = healthy;
    return f;
}

static struct route_loop_failure f429(uint32_t size, uint32_t healthy)
{
    return fail(429, ROUTE_RATE_LIMITED, 0, size, healthy);
}

static struct route_loop_failure f500(uint32_t size, uint32_t healthy)
{
    return fail(500, ROUTE_SERVER_ERROR, 0, size, healthy);
}

static struct route_loop_failure fcls(enum route_error_class cls)
{
    struct route_loop_failure f = fail(400, ROUTE_CLIENT_ERROR, 0, 1, 1);
    f.error_class = cls;
    return f;
}

static struct route_fallback_rule rule(uint32_t from, enum route_error_class cls, uint32_t a,
                                       uint32_t b)
{
    struct route_fallback_rule r;
    memset(&r, 0, sizeof r);
    r.from_group = from;
    r.cls = cls;
    r.to[0] = a;
    r.to[1] = b;
    r.n_to = b != 0 ? 2 : 1;
    return r;
}

static struct route_llm_cfg cfg_with(const struct route_fallback_rule *rules, uint32_t n)
{
    struct route_llm_cfg c;
    route_llm_cfg_default(&c);
    c.fallbacks.rules = rules;
    c.fallbacks.n_rules = n;
    return c;
}

#define CHECK_ROUTE(a, g, d, re, fb)                                                               \
    do {                                                                                           \
        CHECK_INT_EQ((a).kind, ROUTE_LOOP_ROUTE);                                                  \
        CHECK_INT_EQ((a).group, (g));                                                              \
        CHECK_INT_EQ((a).delay_ns, (d));                                                           \
        CHECK_INT_EQ((a).retry, (re));                                                             \
        CHECK_INT_EQ((a).fallback, (fb));                                                          \
        CHECK_INT_EQ((a).backend, -1);                                                             \
        CHECK_INT_EQ((a).exclude_tried, false);                                                    \
    } while (0)

#define CHECK_FAIL(a, http, d)                                                                     \
    do {                                                                                           \
        CHECK_INT_EQ((a).kind, ROUTE_LOOP_FAIL);                                                   \
        CHECK_INT_EQ((a).http_status, (http));                                                     \
        CHECK_INT_EQ((a).delay_ns, (d));                                                           \
    } while (0)

/* ---------------------------------------------------------------------
 * Retries
 * ------------------------------------------------------------------- */

static void test_state_size(void)
{
    CHECK(sizeof(struct route_llm_req) < 256);
}

/* S02: persistent 429, one deployment, num_retries 2, fallback A -> B:
 * 3 attempts, sleeps 0.5, 1, 2 s + jitter (the last before the fallback),
 * then B with its own retries; the client gets the primary's 429. */
static void test_persistent_429(void)
{
    struct route_fallback_rule r[1] = {rule(GA, ROUTE_EC_GENERIC, GB, 0)};
    struct route_llm_cfg c = cfg_with(r, 1);
    struct route_llm_req q;
    struct route_loop_failure f = f429(1, 1);
    struct route_loop_act a = route_llm_start(&c, &q, GA);
    CHECK_ROUTE(a, GA, 0, false, false);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_ROUTE(a, GA, 500 * MS + 375 * MS, true, false);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GA, 1 * S, true, false);
    a = route_llm_failed(&c, &q, &f, 0.999999);
    CHECK(a.delay_ns >= 2 * S && a.delay_ns < 2 * S + 750 * MS);
    CHECK_ROUTE(a, GB, a.delay_ns, false, true);
    /* B: its own three attempts, then no fallback: fail after the sleep. */
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GB, 500 * MS, true, false);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GB, 1 * S, true, false);
    f = f500(1, 1);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 429, 2 * S);
    /* The exponent is capped at 8 s, the floor at retry_after. */
    c.num_retries = 6;
    c.retry_after_floor_ns = 3 * S;
    f = f429(1, 1);
    route_llm_start(&c, &q, GX);
    static const int64_t want[] = {3 * S, 3 * S, 3 * S, 4 * S, 8 * S, 8 * S};
    for (int k = 0; k < 6; k++) {
        a = route_llm_failed(&c, &q, &f, 0.0);
        CHECK_ROUTE(a, GX, want[k], true, false);
    }
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 429, 8 * S); /* 2^6 x 0.5 s capped */
}

/* S01: Retry-After 2 s is slept (+ jitter); above 60 s it is ignored. */
static void test_retry_after(void)
{
    struct route_llm_cfg c = cfg_with(NULL, 0);
    struct route_llm_req q;
    struct route_loop_failure f = f429(1, 1);
    struct route_loop_act a;
    f.retry_after_ns = 2 * S;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_ROUTE(a, GA, 2 * S + 375 * MS, true, false);
    f.retry_after_ns = 61 * S;
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GA, 1 * S, true, false);
    f.retry_after_ns = 60 * S;
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 429, 60 * S);
}

/* S03: a 500 once is retried after 0.5 s + jitter in a one-deployment
 * group; at once in a group of two with one healthy, whatever the
 * Retry-After (the zero-sleep rule), including after the last attempt. */
static void test_500_and_zero_sleep(void)
{
    struct route_fallback_rule r[1] = {rule(GA, ROUTE_EC_GENERIC, GB, 0)};
    struct route_llm_cfg c = cfg_with(r, 1);
    struct route_llm_req q;
    struct route_loop_failure f = f500(1, 1);
    struct route_loop_act a;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.25);
    CHECK_ROUTE(a, GA, 500 * MS + 187500 * 1000LL, true, false);
    f = f500(2, 1);
    f.retry_after_ns = 5 * S;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.9);
    CHECK_ROUTE(a, GA, 0, true, false);
    a = route_llm_failed(&c, &q, &f, 0.9);
    CHECK_ROUTE(a, GA, 0, true, false);
    a = route_llm_failed(&c, &q, &f, 0.9);
    CHECK_ROUTE(a, GB, 0, false, true);
    /* Nothing healthy: no retry, straight to the fallback. */
    f = f500(2, 0);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.9);
    CHECK_ROUTE(a, GB, 0, false, true);
}

/* The retry count is fixed by the group's first error; later errors of
 * another type do not change it. */
static void test_retry_policy_first_error(void)
{
    struct route_llm_cfg c = cfg_with(NULL, 0);
    struct route_llm_req q;
    struct route_loop_failure a429 = f429(2, 2), a500 = f500(2, 2);
    struct route_loop_act a;
    c.retry_policy[ROUTE_LLM_POL_RATE_LIMIT] = 1;
    c.retry_policy[ROUTE_LLM_POL_INTERNAL_SERVER] = 3;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &a429, 0.0);
    CHECK_ROUTE(a, GA, 0, true, false);
    a = route_llm_failed(&c, &q, &a500, 0.0);
    CHECK_FAIL(a, 500, 0); /* 1 retry (RateLimit), though 500 allows 3 */
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &a500, 0.0);
    for (int k = 0; k < 3; k++) {
        CHECK_ROUTE(a, GA, 0, true, false);
        a = route_llm_failed(&c, &q, &a429, 0.0);
    }
    CHECK_FAIL(a, 429, 0);
    /* model_group_retry_policy replaces the router's for its group. */
    struct route_llm_group_policy gp;
    gp.group = GB;
    for (int p = 0; p < ROUTE_LLM_POL_COUNT_; p++)
        gp.retries[p] = -1;
    gp.retries[ROUTE_LLM_POL_DEFAULT] = 0;
    c.group_policy = &gp;
    c.n_group_policy = 1;
    route_llm_start(&c, &q, GB);
    a = route_llm_failed(&c, &q, &a500, 0.0);
    CHECK_FAIL(a, 500, 0);
    /* A policy bypasses the gate: BadRequestErrorRetries retries a 400. */
    c.retry_policy[ROUTE_LLM_POL_BAD_REQUEST] = 1;
    struct route_loop_failure b = fail(400, ROUTE_CLIENT_ERROR, 0, 1, 1);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &b, 0.0);
    CHECK_ROUTE(a, GA, 500 * MS, true, false);
    a = route_llm_failed(&c, &q, &b, 0.0);
    CHECK_FAIL(a, 400, 1 * S);
    /* Without a policy a 400 is never retried. */
    c = cfg_with(NULL, 0);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &b, 0.0);
    CHECK_FAIL(a, 400, 0);
}

/* Per-deployment num_retries, then the router's. */
static void test_backend_num_retries(void)
{
    int32_t per[2] = {0, -1};
    struct route_llm_cfg c = cfg_with(NULL, 0);
    struct route_llm_req q;
    struct route_loop_failure f = f500(1, 1);
    struct route_loop_act a;
    c.backend_num_retries = per;
    c.n_backends = 2;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 500, 0);
    f.backend = 1;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GA, 500 * MS, true, false);
}

/* 401: retried in a group of two, not alone; 404 never. */
static void test_auth_not_found(void)
{
    struct route_llm_cfg c = cfg_with(NULL, 0);
    struct route_llm_req q;
    struct route_loop_failure f = fail(401, ROUTE_CLIENT_ERROR, 0, 2, 2);
    struct route_loop_act a;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GA, 0, true, false);
    f.group_size = 1;
    f.group_healthy = 1;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 401, 0);
    f = fail(404, ROUTE_CLIENT_ERROR, 0, 2, 2);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 404, 0);
}

/* "No deployments available": a ValueError with nothing healthy: no
 * retry, the fallback at once, 429 when none; a DefaultRetries entry
 * (the only one that matches it) retries it with backoff. */
static void test_no_deployments(void)
{
    struct route_fallback_rule r[1] = {rule(GA, ROUTE_EC_GENERIC, GB, 0)};
    struct route_llm_cfg c = cfg_with(r, 1);
    struct route_llm_req q;
    struct route_loop_failure f = fail(429, ROUTE_RATE_LIMITED, -1, 3, 3);
    struct route_loop_act a;
    CHECK_INT_EQ(route_llm_exc_of(&f), ROUTE_LLM_EXC_NO_DEPLOYMENTS);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_ROUTE(a, GB, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_FAIL(a, 429, 0);
    c.retry_policy[ROUTE_LLM_POL_RATE_LIMIT] = 4; /* not a RateLimitError */
    c.retry_policy[ROUTE_LLM_POL_DEFAULT] = 1;
    route_llm_start(&c, &q, GX);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GX, 500 * MS, true, false);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 429, 1 * S);
}

/* ---------------------------------------------------------------------
 * Fallbacks
 * ------------------------------------------------------------------- */

/* A context-window error with context-window rules: no retry, the group's
 * CW rule only; none for the group: fail with the original error, not the
 * generic rule.  With no CW rules at all: the generic rule. */
static void test_context_window(void)
{
    struct route_fallback_rule r[2] = {rule(GA, ROUTE_EC_GENERIC, GB, 0),
                                       rule(GA, ROUTE_EC_CONTEXT_WINDOW, GC, 0)};
    struct route_llm_cfg c = cfg_with(r, 2);
    struct route_llm_req q;
    struct route_loop_failure f = fcls(ROUTE_EC_CONTEXT_WINDOW);
    struct route_loop_act a;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_ROUTE(a, GC, 0, false, true);
    r[1].from_group = GX;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_FAIL(a, 400, 0);
    c.fallbacks.n_rules = 1; /* no CW rules: 400 not retried, generic */
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_ROUTE(a, GB, 0, false, true);
    /* Content policy, the same precedence. */
    struct route_fallback_rule p[2] = {rule(GA, ROUTE_EC_GENERIC, GB, 0),
                                       rule(GA, ROUTE_EC_CONTENT_POLICY, GD, 0)};
    c = cfg_with(p, 2);
    f = fcls(ROUTE_EC_CONTENT_POLICY);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.5);
    CHECK_ROUTE(a, GD, 0, false, true);
}

/* A:[B,C], B:[D], max_fallbacks 2: B, D, C (agentgateway PR #3038's case);
 * max_fallbacks 1: B, C; a cycle is cut by attempted_targets. */
static void test_recursive_fallbacks(void)
{
    struct route_fallback_rule r[2] = {rule(GA, ROUTE_EC_GENERIC, GB, GC),
                                       rule(GB, ROUTE_EC_GENERIC, GD, 0)};
    struct route_llm_cfg c = cfg_with(r, 2);
    struct route_llm_req q;
    struct route_loop_failure f = f500(1, 1);
    struct route_loop_act a;
    c.num_retries = 0;
    c.max_fallbacks = 2;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GB, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GD, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GC, 0, false, true);
    f = f429(1, 1);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 500, 0); /* the primary's error */
    c.max_fallbacks = 1;
    f = f500(1, 1);
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GB, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GC, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 500, 0);
    c.max_fallbacks = 0;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 500, 0);
    /* A:[B], B:[A, C]: A is not tried again. */
    struct route_fallback_rule cy[2] = {rule(GA, ROUTE_EC_GENERIC, GB, 0),
                                        rule(GB, ROUTE_EC_GENERIC, GA, GC)};
    c = cfg_with(cy, 2);
    c.num_retries = 0;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GB, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GC, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 500, 0);
    /* default_fallbacks ("*") for a group with no rule of its own. */
    struct route_fallback_rule df[1] = {rule(ROUTE_FALLBACK_ANY, ROUTE_EC_GENERIC, GD, 0)};
    c = cfg_with(df, 1);
    c.num_retries = 0;
    route_llm_start(&c, &q, GA);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_ROUTE(a, GD, 0, false, true);
    a = route_llm_failed(&c, &q, &f, 0.0);
    CHECK_FAIL(a, 500, 0);
}

static void test_exc_table(void)
{
    static const struct {
        int http;
        enum route_status st;
        enum route_llm_exc e;
    } t[] = {
        {400, ROUTE_CLIENT_ERROR, ROUTE_LLM_EXC_BAD_REQUEST},
        {401, ROUTE_CLIENT_ERROR, ROUTE_LLM_EXC_AUTHENTICATION},
        {403, ROUTE_CLIENT_ERROR, ROUTE_LLM_EXC_PERMISSION_DENIED},
        {404, ROUTE_CLIENT_ERROR, ROUTE_LLM_EXC_NOT_FOUND},
        {408, ROUTE_TIMEOUT, ROUTE_LLM_EXC_TIMEOUT},
        {0, ROUTE_TIMEOUT, ROUTE_LLM_EXC_TIMEOUT},
        {409, ROUTE_CLIENT_ERROR, ROUTE_LLM_EXC_API_ERROR},
        {422, ROUTE_CLIENT_ERROR, ROUTE_LLM_EXC_UNPROCESSABLE},
        {429, ROUTE_RATE_LIMITED, ROUTE_LLM_EXC_RATE_LIMIT},
        {0, ROUTE_RATE_LIMITED, ROUTE_LLM_EXC_RATE_LIMIT},
        {500, ROUTE_SERVER_ERROR, ROUTE_LLM_EXC_INTERNAL_SERVER},
        {502, ROUTE_SERVER_ERROR, ROUTE_LLM_EXC_BAD_GATEWAY},
        {503, ROUTE_SERVER_ERROR, ROUTE_LLM_EXC_SERVICE_UNAVAILABLE},
        {504, ROUTE_SERVER_ERROR, ROUTE_LLM_EXC_TIMEOUT},
        {529, ROUTE_SERVER_ERROR, ROUTE_LLM_EXC_API_ERROR},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct route_loop_failure f = fail(t[i].http, t[i].st, 0, 1, 1);
        CHECK_INT_EQ(route_llm_exc_of(&f), t[i].e);
    }
    struct route_loop_failure f = fcls(ROUTE_EC_CONTENT_POLICY);
    CHECK_INT_EQ(route_llm_exc_of(&f), ROUTE_LLM_EXC_CONTENT_POLICY);
    CHECK(route_llm_exc_isa(ROUTE_LLM_EXC_CONTEXT_WINDOW, ROUTE_LLM_POL_BAD_REQUEST));
    CHECK(route_llm_exc_isa(ROUTE_LLM_EXC_CONTENT_POLICY, ROUTE_LLM_POL_BAD_REQUEST));
    CHECK(!route_llm_exc_isa(ROUTE_LLM_EXC_BAD_REQUEST, ROUTE_LLM_POL_CONTENT_POLICY));
    CHECK(!route_llm_exc_isa(ROUTE_LLM_EXC_NO_DEPLOYMENTS, ROUTE_LLM_POL_RATE_LIMIT));
}

/* ---------------------------------------------------------------------
 * Health: LiteLLM cooldown details, group counts
 * ------------------------------------------------------------------- */

static struct route_router *mk(struct route_backend_cfg *cfg, uint32_t n,
                               const struct route_health_cfg *h)
{
    struct route_spec spec;
    char err[256] = "";
    struct route_router *r;
    memset(&spec, 0, sizeof spec);
    spec.ops = route_registry_find("round_robin");
    for (uint32_t i = 0; i < spec.ops->n_params; i++)
        spec.params[i] = spec.ops->params[i].def;
    r = route_router_create_spec(&spec, cfg, n, h, 0, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "route_router_create_spec: %s\n", err);
    CHECK(r != NULL);
    return r;
}

/* Three backends: 0 and 1 in group GA, 2 in GB. */
static void groups(struct route_backend_cfg *cfg)
{
    memset(cfg, 0, 3 * sizeof *cfg);
    cfg[0].model_group = GA;
    cfg[1].model_group = GA;
    cfg[2].model_group = GB;
}

static void outcome_at(struct route_router *r, uint32_t i, int64_t now, enum route_status st,
                       int http, int64_t ra)
{
    struct sm64 g = {3};
    struct route_env env = {.now_ns = now, .rand = sm64_next, .rand_ctx = &g};
    struct route_req q;
    struct route_outcome o;
    memset(&q, 0, sizeof q);
    memset(&o, 0, sizeof o);
    q.id = 1;
    o.status = st;
    o.http_status = http;
    o.ttft_ns = -1;
    o.retry_after_ns = ra;
    route_router_dispatch(r, i, &q, &env);
    route_router_complete(r, i, &q, &o, &env);
}

static enum route_health health_at(struct route_router *r, uint32_t i, int64_t now)
{
    struct sm64 g = {1};
    struct route_env env = {.now_ns = now, .rand = sm64_next, .rand_ctx = &g};
    struct route_req q;
    memset(&q, 0, sizeof q);
    route_router_pick(r, &q, &env, NULL);
    return route_router_view(r)->b[i].health;
}

static struct route_health_cfg cool_cfg(void)
{
    struct route_health_cfg h;
    route_health_default(&h);
    h.cooldown = true;
    return h;
}

/* Per-backend cooldown_time: beats Retry-After; 0 never cools. */
static void test_backend_cooldown_time(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cool_cfg();
    struct route_backend_health bh = {.cooldown_ns = 30 * S};
    struct route_router *r;
    uint32_t size = 0, healthy = 0;
    groups(cfg);
    r = mk(cfg, 3, &h);
    if (r == NULL)
        return;
    CHECK_INT_EQ(route_router_set_backend_health(r, 0, &bh), 0);
    bh.cooldown_ns = 0;
    CHECK_INT_EQ(route_router_set_backend_health(r, 1, &bh), 0);
    CHECK_INT_EQ(route_router_set_backend_health(r, 3, &bh), -1);
    outcome_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, 2 * S); /* 429 in a group of 2 */
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_COOLDOWN);
    CHECK_INT_EQ(route_router_view(r)->b[0].cooldown_until_ns, 30 * S);
    outcome_at(r, 1, 0, ROUTE_RATE_LIMITED, 429, 2 * S);
    CHECK_INT_EQ(health_at(r, 1, 0), ROUTE_HEALTHY);
    route_router_group_counts(r, GA, &size, &healthy);
    CHECK_INT_EQ(size, 2);
    CHECK_INT_EQ(healthy, 1);
    route_router_group_counts(r, GB, &size, &healthy);
    CHECK_INT_EQ(size, 1);
    CHECK_INT_EQ(healthy, 1);
    route_router_group_counts(r, GX, &size, &healthy);
    CHECK_INT_EQ(size, 0);
    CHECK_INT_EQ(healthy, 0);
    /* An outcome at 30 s (no pick since): the cooldown has ended. */
    outcome_at(r, 2, 30 * S, ROUTE_OK, 200, -1);
    route_router_group_counts(r, GA, &size, &healthy);
    CHECK_INT_EQ(healthy, 2);
    CHECK_INT_EQ(health_at(r, 0, 30 * S), ROUTE_HEALTHY);
    route_router_group_counts(r, GA, &size, &healthy);
    CHECK_INT_EQ(healthy, 2);
    route_router_destroy(r);
}

/* Retry-After 0: no cooldown with litellm_cooldown, the router's time
 * without it (lbsim's rule, unchanged). */
static void test_retry_after_zero(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cool_cfg();
    struct route_router *r;
    groups(cfg);
    r = mk(cfg, 3, &h);
    if (r == NULL)
        return;
    outcome_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, 0);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_COOLDOWN);
    CHECK_INT_EQ(route_router_view(r)->b[0].cooldown_until_ns, 5 * S);
    route_router_destroy(r);
    h.litellm_cooldown = true;
    r = mk(cfg, 3, &h);
    if (r == NULL)
        return;
    outcome_at(r, 0, 0, ROUTE_RATE_LIMITED, 429, 0);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    route_router_destroy(r);
}

/* v1 with litellm_cooldown: the 5 s window starts at the first failure and
 * is not refreshed, so failures at 0, 4, 8 s never reach 3 in a window. */
static void test_v1_fixed_window(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cool_cfg();
    struct route_router *r;
    groups(cfg);
    h.allowed_fails = 2;
    h.litellm_cooldown = true;
    r = mk(cfg, 3, &h);
    if (r == NULL)
        return;
    outcome_at(r, 2, 0, ROUTE_SERVER_ERROR, 500, -1);
    outcome_at(r, 2, 4 * S, ROUTE_SERVER_ERROR, 500, -1);
    outcome_at(r, 2, 8 * S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 8 * S), ROUTE_HEALTHY);
    outcome_at(r, 2, 9 * S, ROUTE_SERVER_ERROR, 500, -1);
    outcome_at(r, 2, 12 * S, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 2, 12 * S), ROUTE_COOLDOWN);
    route_router_destroy(r);
}

/* allowed_fails_policy: per exception type; a type without an entry
 * allows litellm.allowed_fails = 3. */
static void test_allowed_fails_policy(void)
{
    struct route_backend_cfg cfg[3];
    struct route_health_cfg h = cool_cfg();
    struct route_router *r;
    groups(cfg);
    h.allowed_fails_set = 1u << ROUTE_LLM_POL_RATE_LIMIT | 1u << ROUTE_LLM_POL_TIMEOUT;
    h.allowed_fails_policy[ROUTE_LLM_POL_RATE_LIMIT] = 0;
    h.allowed_fails_policy[ROUTE_LLM_POL_TIMEOUT] = 1;
    r = mk(cfg, 3, &h);
    if (r == NULL)
        return;
    outcome_at(r, 2, 0, ROUTE_RATE_LIMITED, 429, -1); /* single group, still cools (v1) */
    CHECK_INT_EQ(health_at(r, 2, 0), ROUTE_COOLDOWN);
    outcome_at(r, 0, 0, ROUTE_TIMEOUT, 408, -1);
    CHECK_INT_EQ(health_at(r, 0, 0), ROUTE_HEALTHY);
    outcome_at(r, 0, MS, ROUTE_TIMEOUT, 408, -1);
    CHECK_INT_EQ(health_at(r, 0, MS), ROUTE_COOLDOWN);
    for (int k = 0; k < 3; k++)
        outcome_at(r, 1, k * MS, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 1, 3 * MS), ROUTE_HEALTHY);
    outcome_at(r, 1, 3 * MS, ROUTE_SERVER_ERROR, 500, -1);
    CHECK_INT_EQ(health_at(r, 1, 3 * MS), ROUTE_COOLDOWN);
    route_router_destroy(r);
}

int main(void)
{
    test_state_size();
    test_persistent_429();
    test_retry_after();
    test_500_and_zero_sleep();
    test_retry_policy_first_error();
    test_backend_num_retries();
    test_auth_not_found();
    test_no_deployments();
    test_context_window();
    test_recursive_fallbacks();
    test_exc_table();
    test_backend_cooldown_time();
    test_retry_after_zero();
    test_v1_fixed_window();
    test_allowed_fails_policy();
    return check_report("test_route_loop_litellm");
}
