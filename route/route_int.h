/*
 * route_int.h - internals shared by the files of route/ (prefix route__).
 *
 * Not installed, not part of the contract: plugins see route.h only.
 * Holds the candidate filter every strategy applies (usable and not
 * saturated), the rate-limit filter of the LiteLLM-style strategies, and
 * the extern ops tables the registry lists.
 */
#ifndef LBSIM_ROUTE_INT_H
#define LBSIM_ROUTE_INT_H

#include "route.h"

/* Write a message into a caller buffer (NULL or 0 length: dropped). */
void route__errf(char *err, size_t errlen, const char *fmt, ...);

/* Unbiased integer in [0, n) for n that may exceed 32 bits (sums of
 * weights).  n must be > 0. */
uint64_t route__rand_below64(const struct route_env *env, uint64_t n);

/* Tokens a request charges at admission: input + max_tokens, each clamped
 * at 0, saturating at INT64_MAX (what the router adds to the TPM window and
 * to inflight_tokens). */
static inline int64_t route__req_tokens(const struct route_req *req)
{
    int64_t in = req->input_tokens > 0 ? req->input_tokens : 0;
    int64_t out = req->max_tokens > 0 ? req->max_tokens : 0;
    return in > INT64_MAX - out ? INT64_MAX : in + out;
}

/* Router-side concurrency cap reached (cfg.max_inflight 0 = no cap). */
static inline bool route__saturated(const struct route_backend *b)
{
    return b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight;
}

/* A strategy may choose backend i: healthy, not excluded, not saturated. */
static inline bool route__eligible(const struct route_view *v, const uint64_t *ex, uint32_t i)
{
    return route_usable(v, ex, i) && !route__saturated(&v->b[i]);
}

/*
 * The LiteLLM rate-limit filter (lowest_tpm_rpm_v2.py, lowest_latency.py,
 * lowest_cost.py): one more request must fit rpm_limit and the request's
 * input + max_tokens must fit tpm_limit in the current 60 s window.  A limit
 * of 0 is unlimited.  Written so no sum can overflow.
 */
static inline bool route__within_limits(const struct route_backend *b, const struct route_req *req)
{
    const struct route_backend_cfg *c = &b->cfg;
    if (c->rpm_limit > 0 && b->rpm_used >= c->rpm_limit)
        return false;
    if (c->tpm_limit > 0) {
        if (b->tpm_used > c->tpm_limit)
            return false;
        if (route__req_tokens(req) > c->tpm_limit - b->tpm_used)
            return false;
    }
    return true;
}

/* Counts of one filter pass over the view. */
struct route__count {
    uint32_t usable;   /* healthy and not excluded */
    uint32_t eligible; /* usable and not saturated */
};

/* One pass: how many backends are usable and how many eligible. */
struct route__count route__count_eligible(const struct route_view *v, const uint64_t *ex);

/* The answer when no eligible backend exists: ROUTE_FULL if some backend is
 * usable (all saturated: queue), ROUTE_NONE if none is. */
static inline int32_t route__no_pick(struct route__count c)
{
    return c.usable > 0 ? ROUTE_FULL : ROUTE_NONE;
}

/* Index of the k-th (0-based) eligible backend, or ROUTE_NONE. */
int32_t route__nth_eligible(const struct route_view *v, const uint64_t *ex, uint32_t k);

/*
 * The answer of a rate-limit-filtering strategy when no eligible backend is
 * within its limits: ROUTE_FULL if some usable but saturated backend is
 * within limits (waiting for it can succeed), otherwise ROUTE_NONE (LiteLLM:
 * "No deployments available", a 429).  Off the hot path.
 */
int32_t route__limited_no_pick(const struct route_view *v, const uint64_t *ex,
                               const struct route_req *req);

/* Saturating int64 addition (times, token sums). */
static inline int64_t route__sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* floor(t / d) for d > 0, correct for negative t. */
static inline int64_t route__floor_div(int64_t t, int64_t d)
{
    int64_t q = t / d;
    return (t % d != 0 && t < 0) ? q - 1 : q;
}

/* Bit i of a backend bitset (NULL = every bit set: "all backends"). */
static inline bool route__bit_or_all(const uint64_t *bits, uint32_t i)
{
    return bits == NULL || ((bits[i >> 6] >> (i & 63u)) & 1u) != 0;
}

/*
 * Health of a router's backends (route_health.c): LiteLLM cooldowns, the
 * circuit breaker and Envoy outlier ejection, plus the gateway's own
 * route_router_set_health() marks.  The router owns one and calls:
 *  - route__health_pick_begin before every pick: writes every backend's
 *    health and cooldown_until_ns into `view` as of env->now_ns (O(1)
 *    unless a timed transition is due or a breaker is open), then offers
 *    open backends per exploration / bypass_all_open for this pick only;
 *  - route__health_pick_end after it: undoes those per-pick offers;
 *  - route__health_dispatch / route__health_complete from the lifecycle
 *    calls (half-open probes; the outcome rules), which update `view` at
 *    once for that backend.
 * `view` is the strategy-visible backend array.
 */
struct route__health;
struct route__health *route__health_create(const struct route_health_cfg *cfg,
                                           const struct route_backend_cfg *cfgs, uint32_t n,
                                           char *err, size_t errlen);
void route__health_destroy(struct route__health *h);
void route__health_set_admin(struct route__health *h, uint32_t i, enum route_health st,
                             struct route_backend *view);
void route__health_pick_begin(struct route__health *h, const struct route_env *env,
                              struct route_backend *view);
void route__health_pick_end(struct route__health *h, struct route_backend *view);
void route__health_dispatch(struct route__health *h, uint32_t i, int64_t now_ns,
                            struct route_backend *view);
void route__health_complete(struct route__health *h, uint32_t i, const struct route_outcome *out,
                            int64_t now_ns, struct route_backend *view, struct route_stats *st);

/* Built-in strategies, listed by route_registry.c.  One table per strategy,
 * defined in the strategy's file (const, so immutable). */
extern const struct route_ops route__ops_random;
extern const struct route_ops route__ops_weighted_random;
extern const struct route_ops route__ops_round_robin;
extern const struct route_ops route__ops_least_inflight;
extern const struct route_ops route__ops_power_of_two;
extern const struct route_ops route__ops_lowest_latency;
extern const struct route_ops route__ops_lowest_cost;
extern const struct route_ops route__ops_lowest_usage;
extern const struct route_ops route__ops_least_inflight_tokens;
extern const struct route_ops route__ops_expected_latency;
extern const struct route_ops route__ops_price_weighted;
extern const struct route_ops route__ops_sort_by;
extern const struct route_ops route__ops_weighted_scorers;
extern const struct route_ops route__ops_prefix_affinity;
extern const struct route_ops route__ops_cache_aware_guarded;
extern const struct route_ops route__ops_bounded_load_hash;
extern const struct route_ops route__ops_filter;
extern const struct route_ops route__ops_ordered_priority;
extern const struct route_ops route__ops_sticky;
extern const struct route_ops route__ops_model_tier;
extern const struct route_ops route__ops_fallback;
extern const struct route_ops route__ops_loadbalance;

#endif /* LBSIM_ROUTE_INT_H */
