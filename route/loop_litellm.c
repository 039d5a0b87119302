/*
 * loop_litellm.c - LiteLLM Router's per-request retry and fallback loop
 * (route_llm_*), as a state machine a gateway runs.
 *
 * Reproduced rules, LiteLLM 2026 (ROUTE_LLM_EMULATED;
 * docs/notes/litellm-replay.md §2.4 retries, §2.5 fallbacks; LiteLLM
 * litellm/router.py async_function_with_fallbacks,
 * async_function_with_retries, should_retry_this_error,
 * _time_to_sleep_before_retry; router_utils/get_retry_from_policy.py;
 * router_utils/fallback_event_handlers.py run_async_fallback;
 * litellm/utils.py _calculate_retry_after, _should_retry):
 *
 *  - Every attempt re-runs the selection in its group with nothing
 *    excluded: only cooldowns keep a failed deployment out.
 *  - A group's retry count is fixed by its FIRST error: the retry policy
 *    (the group's model_group_retry_policy, else retry_policy) entry for
 *    its exception type, else the failing deployment's num_retries, else
 *    the router's num_retries.  A policy that applies bypasses the retry
 *    gate entirely (so a BadRequestErrorRetries retries 400s).
 *  - The gate (should_retry_this_error), checked after every failed
 *    attempt: a context-window error with context-window fallbacks, a
 *    content-policy error with content-policy fallbacks, a status
 *    _should_retry rejects (not 408/409/429/5xx) other than 401/403, a
 *    NotFound, a RateLimit with nothing healthy and fallbacks, an
 *    Authentication/PermissionDenied error in a group of <= 1, and nothing
 *    healthy: no retry, straight to the fallbacks.
 *  - Sleep before a retry: 0 when the group has more than one deployment and
 *    one is healthy; else Retry-After ra + U[0, 0.75 s) when 0 < ra <= 60 s;
 *    else min(max(0.5 s x 2^n, retry_after), 8 s) + U[0, 0.75 s) with n =
 *    0, 1, 2, ... for the 1st, 2nd, 3rd sleep (0.5, 1, 2 s).  The loop
 *    sleeps once more after its last failed attempt, before the fallback
 *    (failoverbench S02, LiteLLM Router: attempts at 0.01 / 0.63 / 2.08 s,
 *    fallback at 4.30 s).  num_retries 0 means no sleep at all.
 *  - Fallbacks, once a group's retries fail, with that group's latest
 *    error: a context-window error uses the context-window rules when any
 *    exist (the group's rule, else a "*" rule; none: the request fails,
 *    no generic fall-through), else the generic rules; the same for content
 *    policy; generic: the group's rule, else "*" (default_fallbacks).
 *    run_async_fallback: at a fallback_depth >= max_fallbacks the level
 *    fails; else each target but the failed group and targets already
 *    attempted by this request (2026 attempted_targets) is tried in order,
 *    depth + 1 per target (cumulative across siblings), each with its own
 *    retries and its own fallbacks; a failed nested chain continues with
 *    the next sibling.  A:[B,C], B:[D] with max_fallbacks 2 tries B, D, C.
 *  - The final error is the primary group's (2026).
 *
 * Not reproduced: the 2026 order-based fallback chain (a group with more
 * than one `order` value), and the primary group being among the lookup
 * groups of a hop with no rule of its own (FEH lookup_groups).
 *
 * A "no deployments" failure (backend -1) is LiteLLM's RouterRateLimitError:
 * a ValueError with no status code (litellm/types/router.py), so only a
 * DefaultRetries policy entry matches it and, with nothing healthy, the
 * gate sends it to the fallbacks; the client sees 429.
 */
#include <string.h>

#include "route_int.h"
#include "route_loop.h"

static const int64_t MS_NS = 1000000LL;
static const int64_t S_NS = 1000000000LL;

void route_llm_cfg_default(struct route_llm_cfg *c)
{
    if (c == NULL)
        return;
    memset(c, 0, sizeof *c);
    c->num_retries = 2; /* openai.DEFAULT_MAX_RETRIES (router.py: the last fallback) */
    for (int p = 0; p < ROUTE_LLM_POL_COUNT_; p++)
        c->retry_policy[p] = -1;
    c->retry_after_floor_ns = 0;       /* Router(retry_after=0) */
    c->initial_delay_ns = 500 * MS_NS; /* INITIAL_RETRY_DELAY, litellm/constants.py */
    c->max_delay_ns = 8 * S_NS;        /* MAX_RETRY_DELAY */
    c->jitter_ns = 750 * MS_NS;        /* JITTER */
    c->retry_after_cap_ns = 60 * S_NS; /* _calculate_retry_after: 0 < ra <= 60 */
    c->max_fallbacks = 5;              /* ROUTER_MAX_FALLBACKS */
}

/* ---------------------------------------------------------------------
 * Exception mapping
 * ------------------------------------------------------------------- */

/* The status a failure stands for (the class's when none is given). */
static int http_of(const struct route_loop_failure *f)
{
    if (f->http_status > 0)
        return f->http_status;
    switch (f->status) {
    case ROUTE_RATE_LIMITED:
        return 429;
    case ROUTE_SERVER_ERROR:
        return 500;
    case ROUTE_TIMEOUT:
        return 408;
    default:
        return 400;
    }
}

/* Status -> exception type, as litellm_core_utils/exception_mapping_utils.py
 * maps provider errors (504 is a litellm.Timeout there). */
static const struct {
    int http;
    enum route_llm_exc exc;
} EXC_BY_STATUS[] = {
    {400, ROUTE_LLM_EXC_BAD_REQUEST},       {401, ROUTE_LLM_EXC_AUTHENTICATION},
    {403, ROUTE_LLM_EXC_PERMISSION_DENIED}, {404, ROUTE_LLM_EXC_NOT_FOUND},
    {408, ROUTE_LLM_EXC_TIMEOUT},           {422, ROUTE_LLM_EXC_UNPROCESSABLE},
    {429, ROUTE_LLM_EXC_RATE_LIMIT},        {500, ROUTE_LLM_EXC_INTERNAL_SERVER},
    {502, ROUTE_LLM_EXC_BAD_GATEWAY},       {503, ROUTE_LLM_EXC_SERVICE_UNAVAILABLE},
    {504, ROUTE_LLM_EXC_TIMEOUT},
};

enum route_llm_exc route_llm_exc_of(const struct route_loop_failure *f)
{
    int http;
    if (f->backend < 0)
        return ROUTE_LLM_EXC_NO_DEPLOYMENTS;
    if (f->status == ROUTE_TIMEOUT)
        return ROUTE_LLM_EXC_TIMEOUT;
    if (f->error_class == ROUTE_EC_CONTEXT_WINDOW)
        return ROUTE_LLM_EXC_CONTEXT_WINDOW;
    if (f->error_class == ROUTE_EC_CONTENT_POLICY)
        return ROUTE_LLM_EXC_CONTENT_POLICY;
    http = http_of(f);
    for (size_t i = 0; i < sizeof EXC_BY_STATUS / sizeof EXC_BY_STATUS[0]; i++)
        if (EXC_BY_STATUS[i].http == http)
            return EXC_BY_STATUS[i].exc;
    return ROUTE_LLM_EXC_API_ERROR;
}

bool route_llm_exc_isa(enum route_llm_exc e, enum route_llm_pol p)
{
    switch (p) {
    case ROUTE_LLM_POL_BAD_REQUEST:
        return e == ROUTE_LLM_EXC_BAD_REQUEST || e == ROUTE_LLM_EXC_CONTEXT_WINDOW ||
               e == ROUTE_LLM_EXC_CONTENT_POLICY;
    case ROUTE_LLM_POL_AUTHENTICATION:
        return e == ROUTE_LLM_EXC_AUTHENTICATION;
    case ROUTE_LLM_POL_TIMEOUT:
        return e == ROUTE_LLM_EXC_TIMEOUT;
    case ROUTE_LLM_POL_RATE_LIMIT:
        return e == ROUTE_LLM_EXC_RATE_LIMIT;
    case ROUTE_LLM_POL_CONTENT_POLICY:
        return e == ROUTE_LLM_EXC_CONTENT_POLICY;
    case ROUTE_LLM_POL_INTERNAL_SERVER:
        return e == ROUTE_LLM_EXC_INTERNAL_SERVER;
    case ROUTE_LLM_POL_SERVICE_UNAVAILABLE:
        return e == ROUTE_LLM_EXC_SERVICE_UNAVAILABLE;
    case ROUTE_LLM_POL_BAD_GATEWAY:
        return e == ROUTE_LLM_EXC_BAD_GATEWAY;
    case ROUTE_LLM_POL_NOT_FOUND:
        return e == ROUTE_LLM_EXC_NOT_FOUND;
    default:
        return false;
    }
}

/* ---------------------------------------------------------------------
 * Retry count and gate
 * ------------------------------------------------------------------- */

/* get_num_retries_from_retry_policy (2026, §2.4 "retry_policy"): the
 * group's policy if it has one, else the router's; NotFound first, then
 * the exception's classes most specific first, then DefaultRetries; -1
 * when no entry applies.  BadGatewayErrorRetries is read for a 502 before
 * DefaultRetries. */
static int32_t policy_retries(const struct route_llm_cfg *c, uint32_t group, enum route_llm_exc e)
{
    static const enum route_llm_pol walk[] = {
        ROUTE_LLM_POL_NOT_FOUND,   ROUTE_LLM_POL_AUTHENTICATION,      ROUTE_LLM_POL_TIMEOUT,
        ROUTE_LLM_POL_RATE_LIMIT,  ROUTE_LLM_POL_CONTENT_POLICY,      ROUTE_LLM_POL_BAD_GATEWAY,
        ROUTE_LLM_POL_BAD_REQUEST, ROUTE_LLM_POL_SERVICE_UNAVAILABLE, ROUTE_LLM_POL_INTERNAL_SERVER,
    };
    const int32_t *pol = c->retry_policy;
    for (uint32_t i = 0; i < c->n_group_policy; i++)
        if (c->group_policy[i].group == group)
            pol = c->group_policy[i].retries;
    for (size_t k = 0; k < sizeof walk / sizeof walk[0]; k++)
        if (pol[walk[k]] >= 0 && route_llm_exc_isa(e, walk[k]))
            return pol[walk[k]];
    return pol[ROUTE_LLM_POL_DEFAULT];
}

static bool any_rule(const struct route_llm_cfg *c, enum route_error_class cls)
{
    for (uint32_t i = 0; i < c->fallbacks.n_rules; i++)
        if (c->fallbacks.rules[i].cls == cls)
            return true;
    return false;
}

/* litellm._should_retry: 408, 409, 429 and >= 500. */
static bool status_retryable(int http)
{
    return http == 408 || http == 409 || http == 429 || http >= 500;
}

/* should_retry_this_error, in LiteLLM's order. */
static bool gate(const struct route_llm_cfg *c, enum route_llm_exc e, int http, uint32_t size,
                 uint32_t healthy)
{
    if (e == ROUTE_LLM_EXC_CONTEXT_WINDOW && any_rule(c, ROUTE_EC_CONTEXT_WINDOW))
        return false;
    if (e == ROUTE_LLM_EXC_CONTENT_POLICY && any_rule(c, ROUTE_EC_CONTENT_POLICY))
        return false;
    if (e != ROUTE_LLM_EXC_NO_DEPLOYMENTS && !status_retryable(http) && http != 401 && http != 403)
        return false;
    if (e == ROUTE_LLM_EXC_NOT_FOUND)
        return false;
    if (e == ROUTE_LLM_EXC_RATE_LIMIT && healthy == 0 && any_rule(c, ROUTE_EC_GENERIC))
        return false;
    if ((e == ROUTE_LLM_EXC_AUTHENTICATION || e == ROUTE_LLM_EXC_PERMISSION_DENIED) && size <= 1)
        return false;
    return healthy > 0;
}

/* _time_to_sleep_before_retry / _calculate_retry_after; n is the sleep's
 * exponent (0 for the first). */
static int64_t sleep_ns(const struct route_llm_cfg *c, const struct route_loop_failure *f,
                        uint32_t n, uint32_t size, uint32_t healthy, double u01)
{
    int64_t d, ra = f->retry_after_ns;
    int64_t jit;
    if (size != 1 && healthy > 0)
        return 0;
    if (!(u01 >= 0.0 && u01 < 1.0))
        u01 = 0.0;
    jit = (int64_t)(u01 * (double)c->jitter_ns);
    if (f->backend >= 0 && ra > 0 && ra <= c->retry_after_cap_ns)
        return route__sat_add(ra, jit);
    d = c->initial_delay_ns;
    for (uint32_t k = 0; k < n && d < c->max_delay_ns; k++)
        d = route__sat_add(d, d);
    if (d < c->retry_after_floor_ns)
        d = c->retry_after_floor_ns;
    if (d > c->max_delay_ns)
        d = c->max_delay_ns;
    return route__sat_add(d, jit);
}

/* ---------------------------------------------------------------------
 * Acts
 * ------------------------------------------------------------------- */

static struct route_loop_act act_route(uint32_t group, int64_t delay, bool retry, bool fallback)
{
    struct route_loop_act a;
    memset(&a, 0, sizeof a);
    a.kind = ROUTE_LOOP_ROUTE;
    a.delay_ns = delay;
    a.group = group;
    a.backend = -1;
    a.exclude_tried = false; /* LiteLLM re-runs the selection with no exclusion */
    a.retry = retry;
    a.fallback = fallback;
    return a;
}

static struct route_loop_act act_fail(const struct route_llm_req *q, int64_t delay)
{
    struct route_loop_act a;
    memset(&a, 0, sizeof a);
    a.kind = ROUTE_LOOP_FAIL;
    a.delay_ns = delay;
    a.backend = -1;
    a.group = q->group;
    a.http_status = q->primary_http;
    return a;
}

static void enter_group(struct route_llm_req *q, uint32_t group, uint8_t depth)
{
    q->group = group;
    q->attempts = 0;
    q->retries = 0;
    q->policy = false;
    q->depth = depth;
}

struct route_loop_act route_llm_start(const struct route_llm_cfg *c, struct route_llm_req *q,
                                      uint32_t group)
{
    (void)c;
    memset(q, 0, sizeof *q);
    enter_group(q, group, 0);
    q->in_primary = true;
    return act_route(group, 0, false, false);
}

/* The rule a failed group falls back by (§2.5 "Class lists", "Generic
 * lookup"), or -1: the group's rule of the class, else a "*" rule. */
static int32_t find_rule(const struct route_llm_cfg *c, uint32_t group, enum route_error_class cls)
{
    int32_t any = -1;
    for (uint32_t i = 0; i < c->fallbacks.n_rules; i++) {
        const struct route_fallback_rule *r = &c->fallbacks.rules[i];
        if (r->cls != cls)
            continue;
        if (r->from_group == group)
            return (int32_t)i;
        if (r->from_group == ROUTE_FALLBACK_ANY && any < 0)
            any = (int32_t)i;
    }
    return any;
}

static int32_t lookup(const struct route_llm_cfg *c, uint32_t group, enum route_llm_exc e)
{
    if (e == ROUTE_LLM_EXC_CONTEXT_WINDOW && any_rule(c, ROUTE_EC_CONTEXT_WINDOW))
        return find_rule(c, group, ROUTE_EC_CONTEXT_WINDOW);
    if (e == ROUTE_LLM_EXC_CONTENT_POLICY && any_rule(c, ROUTE_EC_CONTENT_POLICY))
        return find_rule(c, group, ROUTE_EC_CONTENT_POLICY);
    return find_rule(c, group, ROUTE_EC_GENERIC);
}

static bool seen(const struct route_llm_req *q, uint32_t g)
{
    for (uint32_t i = 0; i < q->n_seen; i++)
        if (q->seen[i] == g)
            return true;
    return false;
}

static void record(struct route_llm_req *q, uint32_t g)
{
    if (!seen(q, g) && q->n_seen < ROUTE_LLM_MAX_SEEN)
        q->seen[q->n_seen++] = g;
}

/* The next target of the open fallback levels, innermost first; a level
 * with none left has failed and its parent continues (sibling
 * continuation).  No level left: the request fails. */
static struct route_loop_act advance(const struct route_llm_cfg *c, struct route_llm_req *q,
                                     int64_t delay)
{
    while (q->n_frames > 0) {
        struct route_llm_frame *fr = &q->frames[q->n_frames - 1];
        const struct route_fallback_rule *r = &c->fallbacks.rules[fr->rule];
        while (fr->next < r->n_to && fr->next < ROUTE_FALLBACK_MAX_TARGETS) {
            uint32_t t = r->to[fr->next++];
            if (t == fr->group || seen(q, t))
                continue;
            record(q, t);
            if (fr->depth < UINT8_MAX)
                fr->depth++;
            enter_group(q, t, fr->depth);
            q->in_primary = false;
            return act_route(t, delay, false, true);
        }
        q->n_frames--;
    }
    return act_fail(q, delay);
}

/* The current group's retries failed with exception e: open its fallback
 * level (run_async_fallback), or fail the level. */
static struct route_loop_act fall_back(const struct route_llm_cfg *c, struct route_llm_req *q,
                                       enum route_llm_exc e, int64_t delay)
{
    int32_t rule = lookup(c, q->group, e);
    q->in_primary = false;
    if (rule >= 0 && rule <= UINT16_MAX && q->depth < c->max_fallbacks &&
        q->n_frames < ROUTE_LLM_MAX_STACK) {
        struct route_llm_frame *fr = &q->frames[q->n_frames++];
        fr->group = q->group;
        fr->rule = (uint16_t)rule;
        fr->next = 0;
        fr->depth = q->depth;
        record(q, q->group);
    }
    return advance(c, q, delay);
}

struct route_loop_act route_llm_failed(const struct route_llm_cfg *c, struct route_llm_req *q,
                                       const struct route_loop_failure *f, double u01)
{
    enum route_llm_exc e = route_llm_exc_of(f);
    int http = f->backend < 0 ? 429 : http_of(f);
    uint32_t size = f->group_size;
    uint32_t healthy = f->backend < 0 ? 0 : f->group_healthy;
    uint32_t remaining;
    int64_t d;
    if (q->in_primary)
        q->primary_http = (uint16_t)(http > 0 && http < 1000 ? http : 500);
    if (q->attempts < UINT16_MAX)
        q->attempts++;
    if (q->attempts == 1) {
        /* async_function_with_retries, attempt 0 failed: the count. */
        int32_t n = (int32_t)(c->num_retries > UINT16_MAX ? UINT16_MAX : c->num_retries);
        int32_t pol = policy_retries(c, q->group, e);
        if (f->backend >= 0 && c->backend_num_retries != NULL &&
            (uint32_t)f->backend < c->n_backends && c->backend_num_retries[f->backend] >= 0)
            n = c->backend_num_retries[f->backend];
        if (pol >= 0) {
            n = pol;
            q->policy = true;
        }
        q->retries = (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n);
        q->first_exc = (uint8_t)e;
    }
    if (!q->policy && !gate(c, e, http, size, healthy))
        return fall_back(c, q, e, 0); /* raised at once, no sleep */
    if (q->retries == 0)
        return fall_back(c, q, e, 0);
    /* Retries done so far = attempts - 1; the sleep's exponent is the
     * same count (0.5, 1, 2 s), the last one before the fallback too. */
    remaining = q->attempts - 1u < q->retries ? q->retries - (q->attempts - 1u) : 0;
    d = sleep_ns(c, f, q->attempts - 1u, size, healthy, u01);
    if (remaining > 0)
        return act_route(q->group, d, true, false);
    return fall_back(c, q, e, d);
}
