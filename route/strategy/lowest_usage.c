/*
 * lowest_usage.c - strategy `lowest_usage`: least TPM used in the window
 * among backends with room for this request.
 *
 * Reproduces LiteLLM `usage-based-routing-v2` (litellm/router_strategy/
 * lowest_tpm_rpm_v2.py, 2024-2026; docs/notes/routers.md §2.1.2 and §4
 * row 7): D' = backends with rpm_used + 1 <= rpm_limit and
 * tpm_used + tokens <= tpm_limit (0 = unlimited); argmin tpm_used over D',
 * ties at random; empty D' -> "No deployments available" (429): ROUTE_NONE.
 *
 * Options:
 *  - window = 0 (default): the router's sliding 60 s window of one-second
 *    slots, charged at dispatch with input + max_tokens (what providers
 *    reserve at admission); the TPM filter is tpm_used + input + max_tokens
 *    <= tpm_limit.
 *  - window = 1: LiteLLM's own accounting (lowest_tpm_rpm_v2.py;
 *    docs/notes/routers.md §5 "Capacity per deployment"): fixed minute
 *    buckets floor(now / 60 s) (LiteLLM keys them by the UTC minute %H-%M),
 *    RPM charged at dispatch (pre_call_check INCR), TPM charged after a
 *    success with the total tokens (usage.total_tokens: the outcome's input
 *    + output tokens), the TPM filter tpm_used + input_tokens <= tpm_limit.
 *    Counts reset at each whole minute, so a burst straddling HH:MM:59 gets
 *    two budgets and in-flight requests are not counted against TPM.
 *    Counters live in this strategy's state, one set per backend.
 *  - compat_rpm_never_matches = 1: LiteLLM issue #7395: the selection-time
 *    RPM filter compares the bare id against keys "id:rpm:HH-MM", so it never
 *    excludes anything; RPM is then only enforced by the provider (or
 *    LiteLLM's post-selection pre_call_check 429, not modelled here).  The
 *    default applies the intended filter, rpm_used + 1 <= rpm_limit (not the
 *    off-by-one ">=" of the fix, issue #33032).
 *
 * Differences and quirks:
 *  - When no eligible backend passes the filter but a saturated one would,
 *    the answer is ROUTE_FULL (waiting can succeed), else ROUTE_NONE.
 *  - LiteLLM's spurious "No deployments available" (issue #16060) is not
 *    reproduced.
 *
 * Pick.  Outside a router, with fewer than ROUTE__INDEX_MIN_N (32)
 * backends, and with window = 1 (its counters reset every minute and change
 * on completions): one pass, reservoir sampling among the ties (O(n)).  In
 * a router with window = 0: the eligible backends that pass the
 * request-independent part of the filter (RPM not exhausted unless
 * compat_rpm_never_matches, TPM not over the limit) sit in a route__minidx
 * keyed by tpm_used, kept from the router's journal of view changes (a
 * dispatch, a window slot expiring, a health change: O(log n) each; with a
 * staleness > 0 it follows the published counters).  The pick walks keys
 * upward skipping excluded backends and those this request's tokens do not
 * fit, and draws uniformly among the ties at the first key that has one:
 * the same rule in O(1) / O(log n) while the least used backends have
 * room.  Nothing found: the plain pass answers (FULL / NONE).
 */
#include <stdlib.h>

#include "route_int.h"

static const int64_t MINUTE_NS = 60000000000LL;

static const struct route_param usage_params[] = {
    {.name = "window",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "",
     .doc = "0 = sliding 60 s window charged at dispatch with input + max_tokens; 1 = LiteLLM "
            "fixed minute buckets (RPM at dispatch, TPM = total tokens after success)"},
    {.name = "compat_rpm_never_matches",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "",
     .doc = "1 = LiteLLM issue #7395: the RPM filter never excludes at selection time"},
};

enum { PARAM_WINDOW, PARAM_COMPAT_RPM, N_PARAMS };
_Static_assert(sizeof usage_params / sizeof usage_params[0] == N_PARAMS,
               "usage_params and its index enum disagree");

struct usage_minute {
    int64_t minute; /* floor(now / 60 s) the counts belong to */
    int64_t rpm, tpm;
};

struct usage_state {
    bool fixed;     /* window = 1 */
    bool rpm_never; /* compat_rpm_never_matches */
    uint32_t n;
    /* sliding window in a router: the index */
    const struct route__fleet *fleet;
    bool indexed;
    uint32_t n_all;
    uint64_t cursor;
    const struct route_view *view;
    const uint64_t *exclude;
    const struct route_req *req;
    struct route__minidx idx;
    struct usage_minute m[]; /* fixed mode only */
};

static int create_usage(void **state, const struct route_create_args *args, char *err,
                        size_t errlen)
{
    bool fixed = args->params[PARAM_WINDOW] >= 0.5;
    uint32_t n = fixed ? args->n_backends : 0;
    struct usage_state *s = calloc(1, sizeof *s + (size_t)n * sizeof s->m[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'lowest_usage': out of memory");
        return -1;
    }
    s->fixed = fixed;
    s->rpm_never = args->params[PARAM_COMPAT_RPM] >= 0.5;
    s->n = n;
    for (uint32_t i = 0; i < n; i++)
        s->m[i].minute = INT64_MIN;
    s->fleet = fixed ? NULL : route__fleet_for(args);
    if (s->fleet != NULL) {
        if (route__minidx_init(&s->idx, args->n_backends) < 0) {
            free(s);
            route__errf(err, errlen, "strategy 'lowest_usage': out of memory");
            return -1;
        }
        s->indexed = true;
        s->n_all = args->n_backends;
        s->cursor = UINT64_MAX;
    }
    *state = s;
    return 0;
}

static void destroy_usage(void *state)
{
    struct usage_state *s = state;
    if (s != NULL && s->indexed)
        route__minidx_free(&s->idx);
    free(state);
}

/* The counts of backend i for the minute containing now. */
static struct usage_minute *roll(struct usage_state *s, uint32_t i, int64_t now)
{
    struct usage_minute *m = &s->m[i];
    int64_t cur = route__floor_div(now, MINUTE_NS);
    if (m->minute != cur) {
        m->minute = cur;
        m->rpm = 0;
        m->tpm = 0;
    }
    return m;
}

/* TPM used by backend i as this strategy counts it. */
static int64_t used_tpm(struct usage_state *s, const struct route_view *v, uint32_t i, int64_t now)
{
    return s->fixed ? roll(s, i, now)->tpm : v->b[i].tpm_used;
}

/* The selection-time filter of the configured mode. */
static bool fits(struct usage_state *s, const struct route_view *v, uint32_t i,
                 const struct route_req *req, int64_t now)
{
    const struct route_backend *b = &v->b[i];
    const struct route_backend_cfg *c = &b->cfg;
    if (!s->fixed) {
        if (!s->rpm_never)
            return route__within_limits(b, req);
        if (c->tpm_limit <= 0)
            return true;
        return b->tpm_used <= c->tpm_limit && route__req_tokens(req) <= c->tpm_limit - b->tpm_used;
    } else {
        const struct usage_minute *m = roll(s, i, now);
        int64_t in = req->input_tokens > 0 ? req->input_tokens : 0;
        if (!s->rpm_never && c->rpm_limit > 0 && m->rpm >= c->rpm_limit)
            return false;
        return c->tpm_limit <= 0 || (m->tpm <= c->tpm_limit && in <= c->tpm_limit - m->tpm);
    }
}

/* Index membership (sliding window): eligible, and not over a limit
 * whatever the request. */
static void on_change(void *ctx, uint32_t i)
{
    struct usage_state *s = ctx;
    const struct route_backend *b;
    const struct route_backend_cfg *c;
    bool in;
    if (i >= s->n_all)
        return;
    b = &s->view->b[i];
    c = &b->cfg;
    in = (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) && !route__saturated(b) &&
         (s->rpm_never || c->rpm_limit <= 0 || b->rpm_used < c->rpm_limit) &&
         (c->tpm_limit <= 0 || b->tpm_used <= c->tpm_limit);
    route__minidx_set(&s->idx, i, in, b->tpm_used);
}

static bool candidate_ok(void *ctx, uint32_t i)
{
    struct usage_state *s = ctx;
    return route__fleet_eligible(s->fleet, s->exclude, i) && fits(s, s->view, i, s->req, 0);
}

static int32_t scan_usage(struct usage_state *s, const struct route_req *req,
                          const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude);

static int32_t pick_usage(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    struct usage_state *s = state;
    const struct route__fleet *f = s->indexed ? route__fleet_of(s->fleet, view) : NULL;
    int32_t k;
    if (f == NULL || view->n != s->n_all)
        return scan_usage(s, req, view, env, exclude);
    s->view = view;
    if (!route__fleet_drain(f, &s->cursor, on_change, s)) {
        route__minidx_clear(&s->idx);
        for (uint32_t i = 0; i < s->n_all; i++)
            on_change(s, i);
    }
    s->exclude = exclude;
    s->req = req;
    k = route__minidx_pick(&s->idx, env, candidate_ok, s);
    return k >= 0 ? k : scan_usage(s, req, view, env, exclude);
}

/* The plain pass. */
static int32_t scan_usage(struct usage_state *s, const struct route_req *req,
                          const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE;
    int64_t min = 0;
    uint32_t ties = 0;
    uint32_t n = s->fixed && s->n < view->n ? s->n : view->n;
    for (uint32_t i = 0; i < n; i++) {
        int64_t used;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        if (!fits(s, view, i, req, env->now_ns))
            continue;
        used = used_tpm(s, view, i, env->now_ns);
        if (best < 0 || used < min) {
            best = (int32_t)i;
            min = used;
            ties = 1;
        } else if (used == min) {
            ties++;
            if (route_rand_below(env, ties) == 0)
                best = (int32_t)i;
        }
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    if (best >= 0)
        return best;
    /* Off the hot path: FULL if a saturated backend would pass the filter. */
    for (uint32_t i = 0; i < n; i++) {
        if (route_usable(view, exclude, i) && route__saturated(&view->b[i]) &&
            fits(s, view, i, req, env->now_ns))
            return ROUTE_FULL;
    }
    return ROUTE_NONE;
}

static void dispatch_usage(void *state, uint32_t backend, const struct route_req *req,
                           const struct route_env *env)
{
    struct usage_state *s = state;
    struct usage_minute *m;
    (void)req;
    if (!s->fixed || backend >= s->n)
        return;
    m = roll(s, backend, env->now_ns);
    m->rpm = route__sat_add(m->rpm, 1);
}

static void complete_usage(void *state, uint32_t backend, const struct route_req *req,
                           const struct route_outcome *out, const struct route_env *env)
{
    struct usage_state *s = state;
    struct usage_minute *m;
    int64_t in, o;
    if (!s->fixed || backend >= s->n || out->status != ROUTE_OK)
        return;
    in =
        out->input_tokens > 0 ? out->input_tokens : (req->input_tokens > 0 ? req->input_tokens : 0);
    o = out->output_tokens > 0 ? out->output_tokens : 0;
    m = roll(s, backend, env->now_ns);
    m->tpm = route__sat_add(m->tpm, route__sat_add(in, o));
}

const struct route_ops route__ops_lowest_usage = {
    ROUTE_OPS_INIT,
    .name = "lowest_usage",
    .summary = "least TPM used in the 60 s window (or LiteLLM's minute) among backends with room",
    .source = "LiteLLM usage-based-routing-v2 (lowest_tpm_rpm_v2.py), sliding window or fixed "
              "minute; issue #7395 compat",
    .params = usage_params,
    .n_params = N_PARAMS,
    .min_children = 0,
    .max_children = 0,
    .create = create_usage,
    .destroy = destroy_usage,
    .pick = pick_usage,
    .on_dispatch = dispatch_usage,
    .on_first_token = NULL,
    .on_complete = complete_usage,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
