/*
 * retry.c - retry policy (whether to retry, how long to back off) and
 * fallback targets.
 *
 * Backoff presets (docs/notes/routers.md §2.1.5, §2.2, §2.6 and §5):
 *  - LiteLLM (the default; litellm/router.py _time_to_sleep_before_retry,
 *    litellm._calculate_retry_after = the OpenAI SDK algorithm): no sleep
 *    when another healthy deployment can take the retry, otherwise
 *    min(0.5 s x 2^n, 8 s) x U[0.75, 1].  Difference: Retry-After (0 to
 *    60 s) is a floor on the backoff here (LiteLLM sleeps exactly the
 *    Retry-After when 0 < value <= 60 s), and 0 s is an accepted value.
 *  - Portkey (src/handlers/retryHandler.ts, async-retry factor 2,
 *    minTimeout 1000 ms, randomize false): `retry.attempts` retries, at
 *    most 5, so 6 attempts; delays 1, 2, 4, 8, 16 s, no jitter.  async-retry
 *    has no maxTimeout: the 1 h cap is only a bound.  With
 *    use_retry_after_header (honor_retry_after) a 429's Retry-After replaces
 *    the backoff; one value >= 60 s (MAX_RETRY_LIMIT_MS, retry_after_cap_ns)
 *    or one beyond the remaining cumulative 60 s budget
 *    (retry_after_budget_ns) aborts the retries: route_retry_delay*()
 *    returns -1.  Other statuses' Retry-After is ignored.  Portkey retries
 *    the same target (reroute_immediately false).  Codes 429, 5xx and
 *    timeouts (Portkey's request_timeout 408 only when listed).
 *  - SGLang (sgl-model-gateway src/core/retry.rs): 5 attempts in total,
 *    50 ms x 1.5^n capped at 30 s, then x (1 + U[-0.2, 0.2]) (the cap
 *    applies before the jitter, as in the Rust code); Retry-After not read;
 *    statuses 408, 429, 500, 502, 503, 504.
 *  - Custom: the fields as given (route_retry_preset fills the LiteLLM
 *    values as a starting point and tags it CUSTOM).
 *
 * Fallbacks: LiteLLM router_utils/fallback_event_handlers.py
 * (docs/notes/routers.md §2.1.6): fallbacks / context_window_fallbacks /
 * content_policy_fallbacks, "*" generic key, max_fallbacks (5).
 */
#include <string.h>

#include "route_int.h"

/* OpenAI SDK defaults (openai._constants: DEFAULT_MAX_RETRIES = 2, i.e. 3
 * attempts; INITIAL_RETRY_DELAY = 0.5 s; MAX_RETRY_DELAY = 8 s). */
static const uint32_t RETRY_DEFAULT_ATTEMPTS = 3;
static const int64_t RETRY_DEFAULT_BASE_NS = 500000000LL; /* 0.5 s */
static const int64_t RETRY_DEFAULT_MAX_NS = 8000000000LL; /* 8 s */
static const double RETRY_DEFAULT_MULTIPLIER = 2.0;       /* doubling per retry */
static const double RETRY_DEFAULT_JITTER = 0.25;          /* scale by U[0.75, 1] */
/* LiteLLM honours a provider Retry-After only up to 60 s. */
static const int64_t RETRY_DEFAULT_AFTER_CAP_NS = 60000000000LL; /* 60 s */

/* Portkey: attempts <= 5 retries; async-retry minTimeout 1000 ms, factor 2;
 * MAX_RETRY_LIMIT_MS = 60 s. */
static const uint32_t PORTKEY_ATTEMPTS = 6;
static const int64_t PORTKEY_BASE_NS = 1000000000LL;
static const int64_t PORTKEY_MAX_NS = 3600000000000LL; /* no maxTimeout: 1 h bound */
static const int64_t PORTKEY_AFTER_LIMIT_NS = 60000000000LL;

/* SGLang RetryConfig defaults. */
static const uint32_t SGLANG_ATTEMPTS = 5;
static const int64_t SGLANG_BASE_NS = 50000000LL;   /* 50 ms */
static const int64_t SGLANG_MAX_NS = 30000000000LL; /* 30 s */
static const double SGLANG_MULTIPLIER = 1.5;
static const double SGLANG_JITTER = 0.2;

/* Largest double below 2^63: delays at or above it saturate to INT64_MAX. */
static const double RETRY_NS_LIMIT = 9223372036854774784.0;

static const uint32_t RETRY_ON_DEFAULT =
    (1u << ROUTE_RATE_LIMITED) | (1u << ROUTE_SERVER_ERROR) | (1u << ROUTE_TIMEOUT);

void route_retry_default(struct route_retry *p)
{
    if (p == NULL)
        return;
    memset(p, 0, sizeof *p);
    p->preset = ROUTE_BACKOFF_LITELLM;
    p->retry_after_budget_ns = 0;
    p->max_attempts = RETRY_DEFAULT_ATTEMPTS;
    p->backoff_base_ns = RETRY_DEFAULT_BASE_NS;
    p->backoff_max_ns = RETRY_DEFAULT_MAX_NS;
    p->multiplier = RETRY_DEFAULT_MULTIPLIER;
    p->jitter = RETRY_DEFAULT_JITTER;
    p->honor_retry_after = true;
    p->retry_after_cap_ns = RETRY_DEFAULT_AFTER_CAP_NS;
    p->reroute_immediately = true;
    p->retry_on = RETRY_ON_DEFAULT;
}

void route_retry_preset(struct route_retry *p, enum route_backoff preset)
{
    if (p == NULL)
        return;
    route_retry_default(p);
    switch (preset) {
    case ROUTE_BACKOFF_PORTKEY:
        p->preset = ROUTE_BACKOFF_PORTKEY;
        p->max_attempts = PORTKEY_ATTEMPTS;
        p->backoff_base_ns = PORTKEY_BASE_NS;
        p->backoff_max_ns = PORTKEY_MAX_NS;
        p->multiplier = 2.0;
        p->jitter = 0.0;
        p->honor_retry_after = true;
        p->retry_after_cap_ns = PORTKEY_AFTER_LIMIT_NS;
        p->retry_after_budget_ns = PORTKEY_AFTER_LIMIT_NS;
        p->reroute_immediately = false;
        break;
    case ROUTE_BACKOFF_SGLANG:
        p->preset = ROUTE_BACKOFF_SGLANG;
        p->max_attempts = SGLANG_ATTEMPTS;
        p->backoff_base_ns = SGLANG_BASE_NS;
        p->backoff_max_ns = SGLANG_MAX_NS;
        p->multiplier = SGLANG_MULTIPLIER;
        p->jitter = SGLANG_JITTER;
        p->honor_retry_after = false;
        p->reroute_immediately = false;
        break;
    case ROUTE_BACKOFF_CUSTOM:
        p->preset = ROUTE_BACKOFF_CUSTOM;
        break;
    case ROUTE_BACKOFF_LITELLM:
    default:
        break;
    }
}

/* Statuses that are never retried whatever retry_on says. */
static bool final_status(enum route_status status)
{
    return status == ROUTE_OK || status == ROUTE_CLIENT_ERROR || status == ROUTE_CANCELLED ||
           (unsigned)status >= (unsigned)ROUTE_STATUS_COUNT_;
}

bool route_retry_should(const struct route_retry *p, uint32_t attempts_done,
                        enum route_status status)
{
    if (p == NULL || final_status(status))
        return false;
    return attempts_done < p->max_attempts && ((p->retry_on >> (unsigned)status) & 1u) != 0;
}

/*
 * Per-status caps (LiteLLM retry_policy: RateLimitErrorRetries,
 * TimeoutErrorRetries, ... replace num_retries for that error): with
 * max_attempts_class[status] = c > 0 another attempt may follow while fewer
 * than c attempts failed with that status, whatever max_attempts says;
 * with 0 the total cap applies.  retry_on must still list the status.
 */
bool route_retry_should_class(const struct route_retry *p, uint32_t attempts_done,
                              uint32_t attempts_of_status, enum route_status status)
{
    uint32_t cap;
    if (p == NULL || final_status(status))
        return false;
    if (((p->retry_on >> (unsigned)status) & 1u) == 0)
        return false;
    cap = p->max_attempts_class[status];
    if (cap == 0)
        return attempts_done < p->max_attempts;
    return attempts_of_status < cap;
}

/* m^e by squaring: O(log e) for any attempt count; overflows to +inf,
 * which the cap then absorbs.  No libm. */
static double pow_uint(double m, uint32_t e)
{
    double r = 1.0;
    while (e != 0) {
        if (e & 1u)
            r *= m;
        m *= m;
        e >>= 1;
    }
    return r;
}

static int64_t to_ns(double d)
{
    if (!(d > 0.0))
        return 0;
    if (d >= RETRY_NS_LIMIT)
        return INT64_MAX;
    return (int64_t)d;
}

/* Retry-After over the remaining cumulative budget (0 = none). */
static bool over_budget(const struct route_retry *p, int64_t waited_ns, int64_t ra)
{
    if (p->retry_after_budget_ns <= 0)
        return false;
    if (waited_ns < 0)
        waited_ns = 0;
    return waited_ns >= p->retry_after_budget_ns || ra > p->retry_after_budget_ns - waited_ns;
}

int64_t route_retry_delay_ex(const struct route_retry *p, uint32_t attempts_done,
                             enum route_status status, int64_t retry_after_ns, int64_t waited_ns,
                             double u01, bool untried_left)
{
    double d, mult, jitter, cap;
    int64_t ns;
    if (p == NULL)
        return 0;
    if (p->reroute_immediately && untried_left)
        return 0;
    if (attempts_done < 1)
        attempts_done = 1;
    /* Portkey: a 429's Retry-After replaces the backoff, or aborts. */
    if (p->preset == ROUTE_BACKOFF_PORTKEY && p->honor_retry_after &&
        status == ROUTE_RATE_LIMITED && retry_after_ns > 0) {
        if (retry_after_ns >= p->retry_after_cap_ns || over_budget(p, waited_ns, retry_after_ns))
            return -1;
        return retry_after_ns;
    }
    /* Out-of-contract knobs are clamped, not trusted: multiplier >= 1,
     * jitter and the uniform draw in [0, 1]. */
    mult = p->multiplier >= 1.0 ? p->multiplier : 1.0;
    jitter = p->jitter >= 0.0 ? (p->jitter <= 1.0 ? p->jitter : 1.0) : 0.0;
    if (!(u01 >= 0.0))
        u01 = 0.0;
    if (u01 > 1.0)
        u01 = 1.0;
    cap = p->backoff_max_ns > 0 ? (double)p->backoff_max_ns : 0.0;
    if (p->backoff_base_ns <= 0) {
        d = 0.0;
    } else {
        d = (double)p->backoff_base_ns * pow_uint(mult, attempts_done - 1);
        if (!(d <= cap)) /* also catches +inf */
            d = cap;
    }
    if (p->preset == ROUTE_BACKOFF_SGLANG)
        d *= 1.0 - jitter + 2.0 * jitter * u01; /* x (1 + U[-j, j]) */
    else
        d *= 1.0 - jitter * u01; /* x U[1 - j, 1] */
    ns = to_ns(d);
    if (p->preset == ROUTE_BACKOFF_PORTKEY)
        return ns; /* Retry-After of other statuses is not read */
    /* The provider's Retry-After is a floor, compared exactly in ns. */
    if (p->honor_retry_after && retry_after_ns >= 0 && retry_after_ns <= p->retry_after_cap_ns &&
        retry_after_ns > ns) {
        if (over_budget(p, waited_ns, retry_after_ns))
            return -1;
        ns = retry_after_ns;
    }
    return ns;
}

int64_t route_retry_delay(const struct route_retry *p, uint32_t attempts_done,
                          int64_t retry_after_ns, double u01, bool untried_left)
{
    return route_retry_delay_ex(p, attempts_done, ROUTE_RATE_LIMITED, retry_after_ns, 0, u01,
                                untried_left);
}

/* ---------------------------------------------------------------------
 * Fallbacks
 * ------------------------------------------------------------------- */

static const struct route_fallback_rule *find_rule(const struct route_fallbacks *f, uint32_t group,
                                                   enum route_error_class cls)
{
    for (uint32_t i = 0; i < f->n_rules; i++) {
        if (f->rules[i].from_group == group && f->rules[i].cls == cls)
            return &f->rules[i];
    }
    return NULL;
}

/*
 * Rule precedence: the origin's own rule of the failure's class, a "*"
 * rule of that class, then (context-window and content-policy failures)
 * the origin's generic rule, a "*" generic rule.  The first rule of the
 * list wins among equals.
 */
int64_t route_fallback_target(const struct route_fallbacks *f, uint32_t origin,
                              enum route_error_class cls, uint32_t k)
{
    const struct route_fallback_rule *r;
    uint32_t n_to;
    if (f == NULL || f->rules == NULL || k >= f->max_depth)
        return -1;
    if ((unsigned)cls >= (unsigned)ROUTE_EC_COUNT_)
        cls = ROUTE_EC_GENERIC;
    r = find_rule(f, origin, cls);
    if (r == NULL && origin != ROUTE_FALLBACK_ANY)
        r = find_rule(f, ROUTE_FALLBACK_ANY, cls);
    if (r == NULL && cls != ROUTE_EC_GENERIC) {
        r = find_rule(f, origin, ROUTE_EC_GENERIC);
        if (r == NULL && origin != ROUTE_FALLBACK_ANY)
            r = find_rule(f, ROUTE_FALLBACK_ANY, ROUTE_EC_GENERIC);
    }
    if (r == NULL)
        return -1;
    n_to = r->n_to < ROUTE_FALLBACK_MAX_TARGETS ? r->n_to : ROUTE_FALLBACK_MAX_TARGETS;
    return k < n_to ? (int64_t)r->to[k] : -1;
}
