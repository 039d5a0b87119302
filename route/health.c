/*
 * health.c - backend health: LiteLLM cooldowns, a circuit breaker with
 * half-open probes, and Envoy-style passive outlier ejection.
 *
 * Driven by route_router_complete() (outcomes) and route_router_dispatch()
 * (half-open probes); evaluated lazily by route_router_pick() at
 * env->now_ns.  Every transition is timed from the outcome's `now`, so the
 * same calls give the same states (no clock reads, no global state).
 *
 * 1. Cooldowns: LiteLLM router_utils/cooldown_handlers.py (v1.x, 2024-2026;
 *    docs/notes/routers.md §2.1.4).
 *    - Eligible outcomes (_is_cooldown_required): 429, 401, 404, 408
 *      (timeouts) and 5xx / unknown errors; other 4xx never cool and are
 *      not counted.  The HTTP status comes from route_outcome.http_status,
 *      else from the status class (429, 408, 500, 400).
 *    - Per-minute counts: successes and eligible failures of the current
 *      minute floor(now / 60 s) (LiteLLM: deployment stats keyed by the UTC
 *      minute), the current failure counted before the rules run.
 *    - v2 (allowed_fails == 0), any rule cools: a 429 in a model group
 *      (cfg.model_group) of more than one backend (cooldown_429_multi); 100 %
 *      failures this minute with >= 1000 requests
 *      (SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD, any group, PR #7823); a
 *      failure share > fail_ratio this minute with >= fail_min_requests in a
 *      multi-backend group (DEFAULT_FAILURE_THRESHOLD_PERCENT 0.5, minimum 5
 *      in newer versions); a status litellm._should_retry() rejects (it
 *      accepts 408, 409, 429, >= 500: so 401 and 404 cool at once).
 *      Single-backend groups are never cooled for a 429 or by the ratio
 *      (PR #5673).
 *    - v1 (allowed_fails > 0): a failure counter with a TTL of cooldown_ns,
 *      refreshed by each failure (failed_calls.set_cache(ttl=cooldown_time));
 *      the failure that takes it above allowed_fails cools.
 *    - Duration: the provider's Retry-After when retry_after_duration and
 *      given (> 0), else cooldown_ns (5 s); 0 disables.  Expiry is passive
 *      (no probe); a failure while cooling does not extend it (issue #40130).
 *    - Per backend (route_router_set_backend_health): LiteLLM's deployment
 *      cooldown_time beats Retry-After and cooldown_ns; 0 never cools (the
 *      failure still counts in the minute, but not in the v1 counter:
 *      _should_run_cooldown_logic stops before it).
 *    - litellm_cooldown (LiteLLM 2026, docs/notes/litellm-replay.md §2.3):
 *      the v1 window is fixed from its first failure (in_memory_cache sets
 *      the TTL only at the first write) and a Retry-After of 0 disables the
 *      cooldown like a cooldown_time of 0.
 *    - allowed_fails_policy (router_utils/cooldown_handlers.py
 *      should_cooldown_based_on_allowed_fails_policy): v1 with the allowed
 *      count of the first entry, in the router's order Authentication,
 *      Timeout, RateLimit, ContentPolicyViolation, BadRequest,
 *      InternalServer, ServiceUnavailable, BadGateway, NotFound (the 2026
 *      order; Dec-2025 checked BadRequest before ContentPolicy), whose class
 *      the failure is an instance of; none: allowed_fails, else LiteLLM's
 *      litellm.allowed_fails 3.
 *    Not modelled: deployment-level allowed_fails_policy;
 *    APIConnectionError's exemption.
 *
 * 2. Circuit breaker: SGLang model gateway src/core/circuit_breaker.rs
 *    (2025-2026; docs/notes/routers.md §2.6) and Portkey cb_config (§2.2).
 *    Failures are ROUTE_SERVER_ERROR, ROUTE_TIMEOUT and ROUTE_RATE_LIMITED
 *    (SGLang counts every failed request; Portkey's failure_status_codes
 *    default ">500" would exclude 429: configure the rate, not the codes);
 *    successes are ROUTE_OK; other outcomes are neutral.
 *    - CLOSED -> OPEN after breaker_consecutive failures in a row, or when
 *      failures / attempts > breaker_fail_rate with attempts >=
 *      breaker_min_requests over the last breaker_window_ns (a ring of 16
 *      buckets of window / 16: the window slides by whole buckets).
 *    - OPEN for breaker_open_ns, then HALF_OPEN: offered as usable while no
 *      probe is in flight (shown as ROUTE_OPEN while one is), one probe at a
 *      time; breaker_probes successes in a row close it, a failure reopens
 *      it (counted as another open).  Outcomes of attempts dispatched
 *      before the half-open period (now - latency_ns < its start) and
 *      outcomes while OPEN are ignored.
 *    - Exploration floor: each pick, every OPEN backend is offered anyway
 *      with probability breaker_exploration (one env->rand draw each); such
 *      attempts do not change the breaker.
 *    - bypass_all_open (Portkey: "if all targets are OPEN, the breaker is
 *      bypassed"): when every backend not down, cooling or ejected is OPEN,
 *      they are all offered.
 *    Portkey's breaker has no half-open probe: breaker_probes = 1 and a
 *    failure rate reproduce it closely.
 *
 * 3. Outlier ejection: Envoy outlier_detection consecutive_5xx
 *    (envoy/source/extensions/outlier_detection; docs/notes/routers.md §5).
 *    outlier_consecutive_5xx 5xx in a row (ROUTE_SERVER_ERROR and
 *    ROUTE_TIMEOUT: locally originated errors count as 5xx when
 *    split_external_local_origin_errors is false, Envoy's default) eject a
 *    backend for outlier_base_ejection_ns x (its ejections so far + 1),
 *    unless max(1, floor(outlier_max_ejection x n)) backends are ejected
 *    already (Envoy ejects at least one host whatever the percentage).
 *    Any other outcome but a cancellation resets the count.  Not modelled:
 *    max_ejection_time, the decay of the multiplier while healthy, and
 *    the 10 s interval timer (unejection happens at the exact time).
 *
 * Reported health, first match: the gateway's mark (set_health) unless
 * HEALTHY, EJECTED, COOLDOWN, OPEN (breaker open, or half-open with its
 * probe in flight), HALF_OPEN, HEALTHY.  cooldown_until_ns is the end of
 * the reported state (0 when untimed).
 */
#include <stdlib.h>
#include <string.h>

#include "route_loop.h"
#include "router_int.h"

static const int64_t NS_PER_S = 1000000000LL;
static const int64_t MINUTE_NS = 60000000000LL;
/* LiteLLM SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD (litellm/constants.py). */
static const uint32_t LITELLM_ALL_FAIL_MIN = 1000;
/* litellm.allowed_fails (litellm/__init__.py): the v1 count of a type with
 * no allowed_fails_policy entry when the router sets none. */
static const uint32_t LITELLM_ALLOWED_FAILS = 3;

#define BR_BUCKETS 16u

enum br_state { BR_CLOSED = 0, BR_OPEN = 1, BR_HALF = 2 };

/* Failure-rate window of the breaker: BR_BUCKETS buckets in a ring. */
struct br_ring {
    int64_t start; /* start of the newest bucket */
    uint32_t head;
    uint32_t req[BR_BUCKETS], fail[BR_BUCKETS];
    uint64_t req_sum, fail_sum;
};

struct hb {
    /* cooldown */
    bool cooling;
    int64_t cool_until;
    int64_t minute;
    uint32_t min_ok, min_fail;
    uint32_t v1_fails;
    int64_t v1_expire;
    /* breaker */
    enum br_state br;
    int64_t br_until;   /* end of OPEN */
    int64_t half_since; /* start of HALF_OPEN */
    uint32_t consec;
    uint32_t probes_inflight, probe_ok;
    struct br_ring ring;
    /* outlier */
    uint32_t consec_5xx;
    uint32_t n_ejections;
    bool ejected;
    int64_t eject_until;
};

struct route__health {
    struct route__health_gate gate;
    struct route_health_cfg cfg;
    bool any; /* some mechanism on */
    uint32_t n;
    int64_t bucket_ns;
    uint32_t *group_size;
    int64_t *cool_ns; /* per backend cooldown_time, < 0 unset */
    enum route_health *admin;
    enum route_health *base; /* last reported health (before per-pick offers) */
    struct hb *b;
    /* Timed transitions: a min-heap of the backends by the end of their
     * reported state (absent when untimed), so a pick evaluates only the
     * backends whose state is due to change. */
    struct route__heap due;
    uint64_t *open;   /* bitset: base == ROUTE_OPEN */
    uint32_t n_open;  /* base == ROUTE_OPEN */
    uint32_t n_avail; /* base HEALTHY, HALF_OPEN or OPEN: usable but for the breaker */
    uint32_t *over;   /* backends offered for the current pick only */
    uint32_t n_over;
    struct route__fleet *fleet; /* told of every health written to the view */
};

const struct route__health_gate *route__health_gate_of(const struct route__health *h)
{
    return &h->gate;
}

/* pick_begin has work while a timed state is pending (the due heap) or a
 * backend is open (exploration, bypass_all_open); kept by refresh(), the
 * only writer of both. */
static void gate_pick(struct route__health *h)
{
    h->gate.pick = h->due.n > 0 || h->n_open > 0;
}

void route_health_default(struct route_health_cfg *h)
{
    if (h == NULL)
        return;
    memset(h, 0, sizeof *h);
    h->cooldown = false;
    h->cooldown_ns = 5 * NS_PER_S; /* LiteLLM DEFAULT_COOLDOWN_TIME_SECONDS */
    h->allowed_fails = 0;          /* v2 rules */
    h->cooldown_429_multi = true;
    h->fail_ratio = 0.5;      /* DEFAULT_FAILURE_THRESHOLD_PERCENT */
    h->fail_min_requests = 5; /* DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS */
    h->retry_after_duration = true;
    h->breaker = false;
    h->breaker_consecutive = 10; /* SGLang router default */
    h->breaker_fail_rate = 0.0;  /* off */
    h->breaker_min_requests = 10;
    h->breaker_window_ns = 120 * NS_PER_S; /* SGLang window_duration */
    h->breaker_open_ns = 60 * NS_PER_S;    /* SGLang timeout_duration */
    h->breaker_probes = 3;                 /* SGLang success_threshold */
    h->breaker_exploration = 0.0;
    h->breaker_bypass_all_open = false;
    h->outlier = false;
    h->outlier_consecutive_5xx = 5;              /* Envoy default */
    h->outlier_base_ejection_ns = 30 * NS_PER_S; /* Envoy base_ejection_time */
    h->outlier_max_ejection = 0.1;               /* Envoy max_ejection_percent 10 */
}

static bool bad_share(double x)
{
    return !(x >= 0.0 && x <= 1.0);
}

static int check_cfg(const struct route_health_cfg *c, char *err, size_t errlen)
{
    const char *what = NULL;
    if (c->cooldown_ns < 0)
        what = "cooldown_ns is negative";
    else if (bad_share(c->fail_ratio))
        what = "fail_ratio outside [0, 1]";
    else if (bad_share(c->breaker_fail_rate))
        what = "breaker_fail_rate outside [0, 1]";
    else if (bad_share(c->breaker_exploration))
        what = "breaker_exploration outside [0, 1]";
    else if (bad_share(c->outlier_max_ejection))
        what = "outlier_max_ejection outside [0, 1]";
    else if (c->breaker_open_ns < 0)
        what = "breaker_open_ns is negative";
    else if (c->breaker && c->breaker_fail_rate > 0.0 && c->breaker_window_ns <= 0)
        what = "breaker_window_ns must be > 0 with a failure rate";
    else if (c->outlier_base_ejection_ns < 0)
        what = "outlier_base_ejection_ns is negative";
    if (what == NULL)
        return 0;
    route__errf(err, errlen, "health: %s", what);
    return -1;
}

struct route__health *route__health_create(const struct route_health_cfg *cfg,
                                           const struct route_backend_cfg *cfgs, uint32_t n,
                                           char *err, size_t errlen)
{
    struct route__health *h;
    struct route_health_cfg off;
    if (cfg == NULL) {
        route_health_default(&off);
        cfg = &off;
    }
    if (check_cfg(cfg, err, errlen) < 0)
        return NULL;
    h = calloc(1, sizeof *h);
    if (h == NULL) {
        route__errf(err, errlen, "health: out of memory");
        return NULL;
    }
    h->group_size = calloc(n, sizeof *h->group_size);
    h->cool_ns = calloc(n, sizeof *h->cool_ns);
    h->admin = calloc(n, sizeof *h->admin);
    h->base = calloc(n, sizeof *h->base);
    h->b = calloc(n, sizeof *h->b);
    h->over = calloc(n, sizeof *h->over);
    h->open = calloc(ROUTE_EXCLUDE_WORDS(n), sizeof *h->open);
    if (h->group_size == NULL || h->cool_ns == NULL || h->admin == NULL || h->base == NULL ||
        h->b == NULL || h->over == NULL || h->open == NULL || route__heap_init(&h->due, n) < 0) {
        route__health_destroy(h);
        route__errf(err, errlen, "health: out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    h->any = cfg->cooldown || cfg->breaker || cfg->outlier;
    h->gate.dispatch = cfg->breaker;
    h->gate.complete = h->any;
    h->n = n;
    h->bucket_ns = cfg->breaker_window_ns / (int64_t)BR_BUCKETS;
    if (h->bucket_ns < 1)
        h->bucket_ns = 1;
    /* Group sizes: O(n^2) once at creation (n <= ROUTE_MAX_BACKENDS). */
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < n; j++)
            h->group_size[i] += cfgs[j].model_group == cfgs[i].model_group;
        h->cool_ns[i] = -1;
        h->admin[i] = ROUTE_HEALTHY;
        h->base[i] = ROUTE_HEALTHY;
        h->b[i].minute = INT64_MIN;
        h->b[i].ring.start = INT64_MIN;
    }
    h->n_avail = n;
    return h;
}

void route__health_destroy(struct route__health *h)
{
    if (h == NULL)
        return;
    free(h->group_size);
    free(h->cool_ns);
    free(h->admin);
    free(h->base);
    free(h->b);
    free(h->over);
    route__heap_free(&h->due);
    free(h->open);
    free(h);
}

void route__health_set_fleet(struct route__health *h, struct route__fleet *f)
{
    if (h != NULL)
        h->fleet = f;
}

/* Write backend i's health into the view (and tell the fleet). */
static void put_health(struct route__health *h, uint32_t i, struct route_backend *view,
                       enum route_health st)
{
    if (view[i].health == st)
        return;
    view[i].health = st;
    route__fleet_health(h->fleet, i, st);
}

/* ---------------------------------------------------------------------
 * State and reporting
 * ------------------------------------------------------------------- */

static void ring_clear(struct br_ring *r)
{
    memset(r, 0, sizeof *r);
    r->start = INT64_MIN;
}

/* Roll the ring so its newest bucket contains now. */
static void ring_advance(struct br_ring *r, int64_t now, int64_t width)
{
    uint64_t steps;
    if (r->start == INT64_MIN) {
        r->start = route__floor_div(now, width) * width;
        return;
    }
    if (now < r->start)
        return;
    steps = ((uint64_t)now - (uint64_t)r->start) / (uint64_t)width;
    if (steps == 0)
        return;
    if (steps >= BR_BUCKETS) {
        int64_t s = r->start;
        ring_clear(r);
        r->start = route__sat_add(s, (int64_t)(steps * (uint64_t)width));
        return;
    }
    for (uint64_t k = 0; k < steps; k++) {
        r->head = (r->head + 1) % BR_BUCKETS;
        r->req_sum -= r->req[r->head];
        r->fail_sum -= r->fail[r->head];
        r->req[r->head] = 0;
        r->fail[r->head] = 0;
    }
    r->start = route__sat_add(r->start, (int64_t)(steps * (uint64_t)width));
}

/* Timed transitions that are due at now. */
static void advance(struct hb *s, int64_t now)
{
    if (s->cooling && now >= s->cool_until)
        s->cooling = false;
    if (s->br == BR_OPEN && now >= s->br_until) {
        s->br = BR_HALF;
        s->half_since = s->br_until;
        s->probes_inflight = 0;
        s->probe_ok = 0;
    }
    if (s->ejected && now >= s->eject_until)
        s->ejected = false;
}

static bool avail_class(enum route_health st)
{
    return st == ROUTE_HEALTHY || st == ROUTE_HALF_OPEN || st == ROUTE_OPEN;
}

/* Report backend i: the state, and when it ends (0: untimed). */
static enum route_health report(const struct route__health *h, uint32_t i, int64_t *until)
{
    const struct hb *s = &h->b[i];
    *until = 0;
    if (h->admin[i] != ROUTE_HEALTHY)
        return h->admin[i];
    if (s->ejected) {
        *until = s->eject_until;
        return ROUTE_EJECTED;
    }
    if (s->cooling) {
        *until = s->cool_until;
        return ROUTE_COOLDOWN;
    }
    if (s->br == BR_OPEN) {
        *until = s->br_until;
        return ROUTE_OPEN;
    }
    if (s->br == BR_HALF)
        return s->probes_inflight > 0 ? ROUTE_OPEN : ROUTE_HALF_OPEN;
    return ROUTE_HEALTHY;
}

/* Recompute backend i, keep the counters, write the view. */
static void refresh(struct route__health *h, uint32_t i, struct route_backend *view)
{
    int64_t until;
    enum route_health old = h->base[i], st = report(h, i, &until);
    h->n_open -= old == ROUTE_OPEN;
    h->n_avail -= avail_class(old);
    h->n_open += st == ROUTE_OPEN;
    h->n_avail += avail_class(st);
    h->base[i] = st;
    route__bit_put(h->open, i, st == ROUTE_OPEN);
    if (view[i].cooldown_until_ns != until) {
        view[i].cooldown_until_ns = until;
        route__fleet_note(h->fleet, i);
    }
    put_health(h, i, view, st);
    if (until != 0)
        route__heap_set(&h->due, i, until);
    else
        route__heap_remove(&h->due, i);
    gate_pick(h);
}

void route__health_set_admin(struct route__health *h, uint32_t i, enum route_health st,
                             struct route_backend *view)
{
    if (h == NULL || i >= h->n)
        return;
    h->admin[i] = st;
    refresh(h, i, view);
}

static void offer(struct route__health *h, uint32_t i, struct route_backend *view)
{
    put_health(h, i, view, ROUTE_HEALTHY);
    h->over[h->n_over++] = i;
}

/* Timed transitions due by now (only those backends are evaluated), then
 * this pick's offers of open backends, visited in index order over the
 * open bitset (O(n / 64 + open)). */
void route__health_pick_begin(struct route__health *h, const struct route_env *env,
                              struct route_backend *view)
{
    bool bypass;
    h->n_over = 0;
    while (h->due.n > 0) {
        uint32_t i = h->due.item[0];
        if (h->due.key[i] > env->now_ns)
            break;
        advance(&h->b[i], env->now_ns);
        refresh(h, i, view); /* reschedules i (its new end is later) or unschedules it */
    }
    if (h->n_open == 0)
        return;
    bypass = h->cfg.breaker_bypass_all_open && h->n_open == h->n_avail;
    if (!bypass && !(h->cfg.breaker_exploration > 0.0))
        return;
    for (uint32_t w = 0; w < ROUTE_EXCLUDE_WORDS(h->n); w++) {
        for (uint64_t x = h->open[w]; x != 0; x &= x - 1u) {
            uint32_t i = w * 64u + route__ctz64(x);
            if (bypass || route_rand_unit(env) < h->cfg.breaker_exploration)
                offer(h, i, view);
        }
    }
}

void route__health_pick_end(struct route__health *h, struct route_backend *view)
{
    for (uint32_t k = 0; k < h->n_over; k++)
        put_health(h, h->over[k], view, h->base[h->over[k]]);
    h->n_over = 0;
}

/* ---------------------------------------------------------------------
 * Outcome rules
 * ------------------------------------------------------------------- */

/* The HTTP status an outcome stands for. */
static int http_code(const struct route_outcome *out)
{
    int c = out->http_status;
    switch (out->status) {
    case ROUTE_RATE_LIMITED:
        return 429;
    case ROUTE_TIMEOUT:
        return c >= 400 ? c : 408;
    case ROUTE_SERVER_ERROR:
        return c >= 500 ? c : 500;
    case ROUTE_CLIENT_ERROR:
        return c >= 400 && c < 500 ? c : 400;
    default:
        return c;
    }
}

/* LiteLLM _is_cooldown_required: 429, 401, 404, 408 and >= 500 (and
 * unknown errors); other 4xx not. */
static bool cooldown_eligible(int code)
{
    if (code >= 400 && code < 500)
        return code == 429 || code == 401 || code == 404 || code == 408;
    return true;
}

/* litellm._should_retry: 408, 409, 429 and >= 500 are retryable. */
static bool litellm_retryable(int code)
{
    return code == 408 || code == 409 || code == 429 || code >= 500;
}

static void roll_minute(struct hb *s, int64_t now)
{
    int64_t m = route__floor_div(now, MINUTE_NS);
    if (m != s->minute) {
        s->minute = m;
        s->min_ok = 0;
        s->min_fail = 0;
    }
}

/* The failure's LiteLLM exception type (route_llm_exc_of's table). */
static enum route_llm_exc outcome_exc(const struct route_outcome *out, int code)
{
    struct route_loop_failure f;
    memset(&f, 0, sizeof f);
    f.http_status = code;
    f.status = out->status;
    f.error_class = out->error_class;
    f.retry_after_ns = out->retry_after_ns;
    f.backend = 0;
    return route_llm_exc_of(&f);
}

/* v1's allowed fails for this failure: the policy entry (router order),
 * else allowed_fails, else litellm.allowed_fails. */
static uint32_t v1_allowed(const struct route_health_cfg *c, const struct route_outcome *out,
                           int code)
{
    static const enum route_llm_pol order[] = {
        ROUTE_LLM_POL_AUTHENTICATION,      ROUTE_LLM_POL_TIMEOUT,     ROUTE_LLM_POL_RATE_LIMIT,
        ROUTE_LLM_POL_CONTENT_POLICY,      ROUTE_LLM_POL_BAD_REQUEST, ROUTE_LLM_POL_INTERNAL_SERVER,
        ROUTE_LLM_POL_SERVICE_UNAVAILABLE, ROUTE_LLM_POL_BAD_GATEWAY, ROUTE_LLM_POL_NOT_FOUND,
    };
    if (c->allowed_fails_set != 0) {
        enum route_llm_exc e = outcome_exc(out, code);
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
            if (((c->allowed_fails_set >> order[k]) & 1u) != 0 && route_llm_exc_isa(e, order[k]))
                return c->allowed_fails_policy[order[k]];
    }
    return c->allowed_fails > 0 ? c->allowed_fails : LITELLM_ALLOWED_FAILS;
}

/* How long a cooldown of backend i lasts (0: none): its own cooldown_time,
 * else the Retry-After (0 disables with litellm_cooldown), else the
 * router's time. */
static int64_t cool_duration(const struct route__health *h, uint32_t i,
                             const struct route_outcome *out)
{
    const struct route_health_cfg *c = &h->cfg;
    if (h->cool_ns[i] >= 0)
        return h->cool_ns[i];
    if (c->retry_after_duration && out->retry_after_ns > 0)
        return out->retry_after_ns;
    if (c->litellm_cooldown && out->retry_after_ns == 0)
        return 0;
    return c->cooldown_ns;
}

static void cooldown_outcome(struct route__health *h, uint32_t i, const struct route_outcome *out,
                             int64_t now, struct route_stats *st)
{
    const struct route_health_cfg *c = &h->cfg;
    struct hb *s = &h->b[i];
    bool cool = false;
    int code;
    int64_t dur;
    if (out->status == ROUTE_OK) {
        roll_minute(s, now);
        if (s->min_ok < UINT32_MAX)
            s->min_ok++;
        return;
    }
    if (out->status == ROUTE_CANCELLED)
        return;
    code = http_code(out);
    if (!cooldown_eligible(code))
        return;
    roll_minute(s, now);
    if (s->min_fail < UINT32_MAX)
        s->min_fail++;
    if (s->cooling)
        return; /* no extension while cooling (LiteLLM issue #40130) */
    dur = cool_duration(h, i, out);
    if (dur <= 0 && (h->cool_ns[i] == 0 || c->litellm_cooldown))
        return; /* time_to_cooldown ~ 0: no cooldown logic at all */
    if (c->allowed_fails > 0 || c->allowed_fails_set != 0) {
        /* v1: failed_calls with TTL cooldown_time: refreshed per failure
         * (lbsim's rule), or fixed from the first (litellm_cooldown). */
        uint32_t allowed = v1_allowed(c, out, code);
        if (now >= s->v1_expire) {
            s->v1_fails = 0;
            if (c->litellm_cooldown)
                s->v1_expire = route__sat_add(now, c->cooldown_ns);
        }
        if (s->v1_fails + 1u > allowed) {
            cool = true;
        } else {
            s->v1_fails++;
            if (!c->litellm_cooldown)
                s->v1_expire = route__sat_add(now, c->cooldown_ns);
        }
    } else {
        bool multi = h->group_size[i] > 1;
        uint64_t total = (uint64_t)s->min_ok + s->min_fail;
        if (code == 429 && multi && c->cooldown_429_multi)
            cool = true;
        else if (s->min_ok == 0 && total >= LITELLM_ALL_FAIL_MIN)
            cool = true;
        else if (multi && total >= c->fail_min_requests &&
                 (double)s->min_fail > c->fail_ratio * (double)total)
            cool = true;
        else if (!litellm_retryable(code))
            cool = true;
    }
    if (!cool || dur <= 0)
        return;
    s->cooling = true;
    s->cool_until = route__sat_add(now, dur);
    st->cooldowns++;
    st->cooldown_ns = route__sat_add(st->cooldown_ns, dur);
}

static void breaker_open(struct route__health *h, struct hb *s, int64_t now, struct route_stats *st)
{
    s->br = BR_OPEN;
    s->br_until = route__sat_add(now, h->cfg.breaker_open_ns);
    s->consec = 0;
    s->probes_inflight = 0;
    s->probe_ok = 0;
    ring_clear(&s->ring);
    st->breaker_opens++;
}

static void breaker_outcome(struct route__health *h, uint32_t i, const struct route_outcome *out,
                            int64_t now, struct route_stats *st)
{
    const struct route_health_cfg *c = &h->cfg;
    struct hb *s = &h->b[i];
    bool fail = out->status == ROUTE_SERVER_ERROR || out->status == ROUTE_TIMEOUT ||
                out->status == ROUTE_RATE_LIMITED;
    bool ok = out->status == ROUTE_OK;
    switch (s->br) {
    case BR_OPEN:
        return;
    case BR_HALF:
        /* Dispatched before the half-open period: not a probe. */
        if (out->latency_ns > 0 && route__sat_add(now, -out->latency_ns) < s->half_since)
            return;
        if (s->probes_inflight == 0)
            return;
        s->probes_inflight--;
        if (fail) {
            breaker_open(h, s, now, st);
        } else if (ok) {
            s->probe_ok++;
            if (s->probe_ok >= (c->breaker_probes > 0 ? c->breaker_probes : 1u)) {
                s->br = BR_CLOSED;
                s->consec = 0;
                s->probe_ok = 0;
                ring_clear(&s->ring);
            }
        }
        return;
    case BR_CLOSED:
        break;
    }
    if (!fail && !ok)
        return;
    s->consec = fail ? s->consec + 1 : 0;
    if (c->breaker_consecutive > 0 && s->consec >= c->breaker_consecutive) {
        breaker_open(h, s, now, st);
        return;
    }
    if (c->breaker_fail_rate > 0.0) {
        uint32_t min = c->breaker_min_requests > 0 ? c->breaker_min_requests : 1u;
        ring_advance(&s->ring, now, h->bucket_ns);
        s->ring.req[s->ring.head]++;
        s->ring.req_sum++;
        if (fail) {
            s->ring.fail[s->ring.head]++;
            s->ring.fail_sum++;
        }
        if (s->ring.req_sum >= min &&
            (double)s->ring.fail_sum > c->breaker_fail_rate * (double)s->ring.req_sum)
            breaker_open(h, s, now, st);
    }
}

static void outlier_outcome(struct route__health *h, uint32_t i, const struct route_outcome *out,
                            int64_t now, struct route_stats *st)
{
    const struct route_health_cfg *c = &h->cfg;
    struct hb *s = &h->b[i];
    uint32_t cap, ejected = 0;
    int64_t dur;
    if (out->status == ROUTE_CANCELLED)
        return;
    if (out->status != ROUTE_SERVER_ERROR && out->status != ROUTE_TIMEOUT) {
        s->consec_5xx = 0;
        return;
    }
    if (s->ejected || c->outlier_consecutive_5xx == 0)
        return;
    if (++s->consec_5xx < c->outlier_consecutive_5xx)
        return;
    cap = (uint32_t)(c->outlier_max_ejection * (double)h->n);
    if (cap < 1)
        cap = 1;
    for (uint32_t j = 0; j < h->n; j++)
        ejected += h->b[j].ejected && now < h->b[j].eject_until;
    if (ejected >= cap)
        return; /* the count stays: the next 5xx tries again */
    s->n_ejections++;
    dur = c->outlier_base_ejection_ns;
    dur = dur > INT64_MAX / (int64_t)s->n_ejections ? INT64_MAX : dur * (int64_t)s->n_ejections;
    s->ejected = true;
    s->eject_until = route__sat_add(now, dur);
    s->consec_5xx = 0;
    st->ejections++;
}

void route__health_dispatch(struct route__health *h, uint32_t i, int64_t now_ns,
                            struct route_backend *view)
{
    struct hb *s;
    if (h == NULL || i >= h->n)
        return;
    if (!h->cfg.breaker)
        return;
    s = &h->b[i];
    advance(s, now_ns);
    if (s->br == BR_HALF && s->probes_inflight < UINT32_MAX)
        s->probes_inflight++;
    refresh(h, i, view);
}

void route__health_complete(struct route__health *h, uint32_t i, const struct route_outcome *out,
                            int64_t now_ns, struct route_backend *view, struct route_stats *st)
{
    if (h == NULL || i >= h->n || out == NULL)
        return;
    if (!h->any)
        return;
    advance(&h->b[i], now_ns);
    if (h->cfg.cooldown)
        cooldown_outcome(h, i, out, now_ns, st);
    if (h->cfg.breaker)
        breaker_outcome(h, i, out, now_ns, st);
    if (h->cfg.outlier)
        outlier_outcome(h, i, out, now_ns, st);
    refresh(h, i, view);
}

bool route__health_offered(const struct route__health *h, uint32_t i, int64_t now)
{
    const struct hb *s;
    if (h == NULL || i >= h->n)
        return false;
    if (h->admin[i] != ROUTE_HEALTHY)
        return false;
    s = &h->b[i];
    if (s->ejected && now < s->eject_until)
        return false;
    if (s->cooling && now < s->cool_until)
        return false;
    if (s->br == BR_OPEN && now < s->br_until)
        return false;
    if (s->br == BR_HALF && s->probes_inflight > 0)
        return false;
    return true;
}

int route_router_set_backend_health(struct route_router *r, uint32_t backend,
                                    const struct route_backend_health *bh)
{
    if (r == NULL || bh == NULL || r->health == NULL || backend >= r->health->n)
        return -1;
    r->health->cool_ns[backend] = bh->cooldown_ns < 0 ? -1 : bh->cooldown_ns;
    return 0;
}
