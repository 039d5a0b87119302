/*
 * price_weighted.c - strategy `price_weighted`: OpenRouter's default
 * provider routing.  Among the backends without a recent failure, pick at
 * random with probability proportional to price^-exponent; when every
 * backend failed recently, take the cheapest.
 *
 * Reproduces OpenRouter provider routing, default strategy as documented
 * until 2025 (openrouter.ai/docs/features/provider-routing, "Load
 * balancing (default strategy)"; docs/notes/routers.md §2.10, §4 row 11):
 * prioritise providers without a significant outage in the last 30 s
 * (older docs: 10 s); among them, weight by the inverse square of the price
 * (the blog's "inverse-square price weighting"; the older doc example of 3x
 * for $1 vs $3 is exponent 1); the rest are ordered fallbacks by price.
 *
 * Definitions:
 *  - price_i = (price_input + price_output) / 2, USD per token.  A price of
 *    0 (a free or self-hosted backend) is taken as 1e-12 USD/token so its
 *    weight is finite and dominant (a free backend takes nearly all
 *    traffic, as the formula implies).
 *  - weight_i = (price_min / price_i)^exponent, the same ratios as
 *    price_i^-exponent scaled into (0, 1], computed once in create (own
 *    ln/exp: route/ does not link libm); exponent 0 is uniform.
 *  - S = eligible backends (usable, not saturated) with no failure seen in
 *    the last outage_window_s (0 = failures ignored).  A failure is an
 *    on_complete status of 429, 5xx or timeout; client errors (4xx) and
 *    cancellations (hedge losers) say nothing about the provider and are not
 *    counted.  Time from env->now_ns.
 *  - S non-empty: r = U[0, sum of weights over S), walk S in index order
 *    (one route_rand_unit draw).  S empty: the cheapest eligible backend,
 *    ties to the lowest index (OpenRouter's ordered fallbacks: a retry
 *    excludes it and the next cheapest follows).
 * The 2026 docs' default (effective price, throughput, TTFT and rate-limit
 * frequency from recent traffic) is not reproduced.
 * State: the weights and the last failure time per backend.
 *
 * Pick, O(1) expected (from ROUTE__INDEX_MIN_N = 32 backends; below, the
 * two passes: the same answers and draws as before): an alias table
 * (Walker / Vose) over the weights, built in create; a drawn backend is kept
 * when it is in S (eligible and stable): rejection sampling, so conditioned
 * on acceptance P(i) = w_i / sum of w over S, the rule above.  After
 * PW_TRIES rejections (S empty or a small share of the weight) the two
 * passes below decide; both branches have the same distribution (up to the
 * rounding of the weights in either form).  The random stream differs from
 * the walk's single draw.
 */
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

static const double NS_PER_S = 1e9;
static const double PRICE_EPSILON = 1e-12; /* USD per token for a zero price */

static const struct route_param pw_params[] = {
    {.name = "exponent",
     .def = 2.0,
     .min = 0.0,
     .max = 4.0,
     .unit = "",
     .doc = "P(i) proportional to price^-exponent (OpenRouter: 2, inverse square; older docs 1)"},
    {.name = "outage_window_s",
     .def = 30.0,
     .min = 0.0,
     .max = 86400.0,
     .unit = "s",
     .doc = "backends with a failure (429, 5xx, timeout) this recently are only fallbacks; 0 = "
            "off"},
};

enum { P_EXPONENT, P_OUTAGE_WINDOW_S, N_PARAMS };
_Static_assert(sizeof pw_params / sizeof pw_params[0] == N_PARAMS,
               "pw_params and its index enum disagree");

struct pw_backend {
    double price;         /* (input + output) / 2, epsilon for 0 */
    double weight;        /* price^-exponent */
    int64_t last_fail_ns; /* INT64_MIN = never failed */
};

struct pw_state {
    int64_t window_ns;
    uint32_t n;
    double *prob;    /* alias: chance of keeping the column's own backend */
    uint32_t *alias; /* alias: the other backend of each column */
    bool has_alias;  /* some weight is positive */
    const struct route__fleet *fleet;
    struct pw_backend b[];
};

#define PW_TRIES 8u

static const double LN2 = 0.6931471805599453094;

/* ln x for finite x > 0 (normal): x = m 2^e, m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh((m - 1) / (m + 1)) by its series (|t| < 0.172, 14 terms:
 * error < 1e-21). */
static double ln_pos(double x)
{
    uint64_t bits;
    double m, t, t2, term, sum = 0.0;
    int e;
    memcpy(&bits, &x, sizeof bits);
    e = (int)((bits >> 52) & 0x7ffu) - 1023;
    bits = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52);
    memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) {
        m /= 2.0;
        e++;
    }
    t = (m - 1.0) / (m + 1.0);
    t2 = t * t;
    term = t;
    for (int k = 1; k <= 27; k += 2) {
        sum += term / (double)k;
        term *= t2;
    }
    return (double)e * LN2 + 2.0 * sum;
}

/* e^x for x <= 0: x = k ln2 + r, |r| < ln2, Taylor to r^18 / 18!, times 2^k
 * built from its bits; 0 below the normal range. */
static double exp_nonpos(double x)
{
    double r, sum = 1.0, term = 1.0, scale;
    uint64_t bits;
    int k;
    if (!(x > -708.0))
        return 0.0;
    if (x > 0.0)
        x = 0.0;
    k = (int)(x / LN2);
    r = x - (double)k * LN2;
    for (int i = 1; i <= 18; i++) {
        term *= r / (double)i;
        sum += term;
    }
    bits = (uint64_t)(1023 + k) << 52;
    memcpy(&scale, &bits, sizeof scale);
    return sum * scale;
}

static void destroy_pw(void *state)
{
    struct pw_state *s = state;
    if (s == NULL)
        return;
    free(s->prob);
    free(s->alias);
    free(s);
}

/* Vose's alias method over the weights (doubles). */
static int build_alias(struct pw_state *s)
{
    uint32_t n = s->n, m = n > 0 ? n : 1, ns = 0, nl = 0;
    uint32_t *small = calloc(m, sizeof *small), *large = calloc(m, sizeof *large);
    double sum = 0.0;
    s->prob = calloc(m, sizeof *s->prob);
    s->alias = calloc(m, sizeof *s->alias);
    if (small == NULL || large == NULL || s->prob == NULL || s->alias == NULL) {
        free(small);
        free(large);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        sum += s->b[i].weight;
    s->has_alias = sum > 0.0;
    for (uint32_t i = 0; i < n && s->has_alias; i++) {
        s->prob[i] = s->b[i].weight * (double)n / sum;
        s->alias[i] = i;
        if (s->prob[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        uint32_t a = small[--ns], g = large[nl - 1];
        s->alias[a] = g;
        s->prob[g] -= 1.0 - s->prob[a];
        if (s->prob[g] < 1.0) {
            nl--;
            small[ns++] = g;
        }
    }
    while (nl > 0)
        s->prob[large[--nl]] = 1.0;
    while (ns > 0) /* rounding left these a hair under 1 */
        s->prob[small[--ns]] = 1.0;
    free(small);
    free(large);
    return 0;
}

static int create_pw(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t n = args->n_backends;
    double p = args->params[P_EXPONENT];
    struct pw_state *s = calloc(1, sizeof *s + (size_t)n * sizeof s->b[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'price_weighted': out of memory");
        return -1;
    }
    double min_price = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double price = (args->cfgs[i].price_input + args->cfgs[i].price_output) / 2.0;
        if (!(price > PRICE_EPSILON))
            price = PRICE_EPSILON;
        if (i == 0 || price < min_price)
            min_price = price;
        s->b[i].price = price;
        s->b[i].last_fail_ns = INT64_MIN;
    }
    for (uint32_t i = 0; i < n; i++) {
        double ratio = min_price / s->b[i].price; /* in (0, 1] */
        if (ratio >= 1.0)
            s->b[i].weight = 1.0;
        else if (ratio > 1e-300)
            s->b[i].weight = exp_nonpos(p * ln_pos(ratio));
        else
            s->b[i].weight = 0.0; /* beyond double range: never by weight */
    }
    s->window_ns = (int64_t)(args->params[P_OUTAGE_WINDOW_S] * NS_PER_S);
    s->n = n;
    s->fleet = route__fleet_for(args);
    if (build_alias(s) < 0) {
        destroy_pw(s);
        route__errf(err, errlen, "strategy 'price_weighted': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

static bool stable(const struct pw_state *s, uint32_t i, int64_t now)
{
    int64_t t = s->b[i].last_fail_ns;
    return s->window_ns <= 0 || t == INT64_MIN || now - t >= s->window_ns;
}

static int32_t pick_pw(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    const struct pw_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    uint32_t n = view->n < s->n ? view->n : s->n;
    struct route__count c = {0, 0};
    int32_t cheapest = ROUTE_NONE, last = ROUTE_NONE;
    double sum = 0.0, r;
    (void)req;
    if (s->has_alias && view->n == s->n && s->n >= ROUTE__INDEX_MIN_N) {
        for (uint32_t t = 0; t < PW_TRIES; t++) {
            uint32_t col = route_rand_below(env, s->n), i;
            i = route_rand_unit(env) < s->prob[col] ? col : s->alias[col];
            if (s->b[i].weight > 0.0 &&
                (f != NULL ? route__fleet_eligible(f, exclude, i)
                           : route__eligible(view, exclude, i)) &&
                stable(s, i, env->now_ns))
                return (int32_t)i;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        if (cheapest < 0 || s->b[i].price < s->b[cheapest].price)
            cheapest = (int32_t)i;
        if (stable(s, i, env->now_ns)) {
            sum += s->b[i].weight;
            last = (int32_t)i;
        }
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    if (!(sum > 0.0))
        return cheapest;
    r = route_rand_unit(env) * sum;
    for (uint32_t i = 0; i < n; i++) {
        if (!route__eligible(view, exclude, i) || !stable(s, i, env->now_ns))
            continue;
        if (r < s->b[i].weight)
            return (int32_t)i;
        r -= s->b[i].weight;
    }
    return last; /* rounding left r >= the last weight */
}

static void complete_pw(void *state, uint32_t backend, const struct route_req *req,
                        const struct route_outcome *out, const struct route_env *env)
{
    struct pw_state *s = state;
    (void)req;
    if (backend >= s->n)
        return;
    if (out->status == ROUTE_RATE_LIMITED || out->status == ROUTE_SERVER_ERROR ||
        out->status == ROUTE_TIMEOUT)
        s->b[backend].last_fail_ns = env->now_ns;
}

const struct route_ops route__ops_price_weighted = {
    ROUTE_OPS_INIT,
    .name = "price_weighted",
    .summary = "random with P ~ price^-exponent among backends without a recent failure; else "
               "the cheapest",
    .source = "OpenRouter provider routing, default load balancing (docs until 2025: 30 s "
              "outage window, inverse-square price weighting)",
    .params = pw_params,
    .n_params = N_PARAMS,
    .min_children = 0,
    .max_children = 0,
    .create = create_pw,
    .destroy = destroy_pw,
    .pick = pick_pw,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = complete_pw,
};
