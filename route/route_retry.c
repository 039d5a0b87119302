/*
 * route_retry.c - retry policy: whether to retry and how long to back off.
 *
 * Reproduces the OpenAI Python SDK / LiteLLM backoff
 * (litellm/router.py _time_to_sleep_before_retry, litellm._calculate_retry_after;
 * reference/routers.md §2.1.5): no sleep when another healthy deployment can
 * take the retry, otherwise min(0.5 s * 2^n, 8 s) scaled by U[0.75, 1].
 * Differences, per route.h: Retry-After is a floor on the backoff (LiteLLM
 * sleeps exactly the Retry-After when 0 < value <= 60 s), and 0 s is an
 * accepted Retry-After value.
 */
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

/* Largest double below 2^63: delays at or above it saturate to INT64_MAX. */
static const double RETRY_NS_LIMIT = 9223372036854774784.0;

void route_retry_default(struct route_retry *p)
{
    if (p == NULL)
        return;
    p->max_attempts = RETRY_DEFAULT_ATTEMPTS;
    p->backoff_base_ns = RETRY_DEFAULT_BASE_NS;
    p->backoff_max_ns = RETRY_DEFAULT_MAX_NS;
    p->multiplier = RETRY_DEFAULT_MULTIPLIER;
    p->jitter = RETRY_DEFAULT_JITTER;
    p->honor_retry_after = true;
    p->retry_after_cap_ns = RETRY_DEFAULT_AFTER_CAP_NS;
    p->reroute_immediately = true;
    p->retry_on = (1u << ROUTE_RATE_LIMITED) | (1u << ROUTE_SERVER_ERROR) | (1u << ROUTE_TIMEOUT);
}

bool route_retry_should(const struct route_retry *p, uint32_t attempts_done,
                        enum route_status status)
{
    if (p == NULL)
        return false;
    /* Success, other 4xx and cancellation are final whatever retry_on says. */
    if (status == ROUTE_OK || status == ROUTE_CLIENT_ERROR || status == ROUTE_CANCELLED)
        return false;
    if ((unsigned)status >= (unsigned)ROUTE_STATUS_COUNT_)
        return false;
    return attempts_done < p->max_attempts && ((p->retry_on >> (unsigned)status) & 1u) != 0;
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

int64_t route_retry_delay(const struct route_retry *p, uint32_t attempts_done,
                          int64_t retry_after_ns, double u01, bool untried_left)
{
    double d, mult, jitter, cap;
    int64_t ns;
    if (p == NULL)
        return 0;
    if (p->reroute_immediately && untried_left)
        return 0;
    if (attempts_done < 1)
        attempts_done = 1;
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
    d *= 1.0 - jitter * u01;
    if (!(d > 0.0))
        ns = 0;
    else if (d >= RETRY_NS_LIMIT)
        ns = INT64_MAX;
    else
        ns = (int64_t)d;
    /* The provider's Retry-After is a floor, compared exactly in ns. */
    if (p->honor_retry_after && retry_after_ns >= 0 && retry_after_ns <= p->retry_after_cap_ns &&
        retry_after_ns > ns)
        ns = retry_after_ns;
    return ns;
}
