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
 * PW_TRIES rejections (S empty or a small share of the weight) the rule
 * is applied from indexes in a router, O(log n) (else the two passes
 * below): a Fenwick tree of the weights of S, as integers (weight x 2^40,
 * rounded), kept from the router's journal of view changes (health,
 * saturation), from on_complete (a failure leaves S) and from an indexed
 * heap of the failed backends by the end of their outage window (expired
 * at each pick: they rejoin S); a draw over S minus the exclude set skips
 * the excluded members' weights (one Fenwick descent per excluded member
 * met).  S minus the excluded empty: the cheapest eligible backend from a
 * heap by (price, index), excluded members skipped: the pass's answer.
 * All branches have the same distribution (up to the rounding of the
 * weights in either form; a weight below 2^-40 of the cheapest is never
 * drawn by the tree, and when every weight of S rounds to 0 the passes
 * decide).  The random stream differs from the walk's single draw.
 * The cheapest backends draw most traffic and hit their rate limits
 * first, so S is often empty or light under load: that case is why the
 * passes were the cost at 512 backends (issue 16).
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
    /* the indexes, in a router (fleet != NULL) */
    uint64_t cursor;           /* journal position, UINT64_MAX: never built */
    struct route__heap cheap;  /* eligible backends by (price, index) */
    struct route__heap outage; /* failed in the window, by its end */
    uint32_t *frontier;
    uint64_t *fw;          /* Fenwick tree (1-based) of wq over S */
    uint64_t *wq;          /* integer weights */
    bool *in_s;            /* filed in S */
    uint32_t s_count, top; /* members of S; highest power of 2 <= n */
    uint32_t *ex_s;        /* scratch: excluded members of S, by index */
    struct pw_backend b[];
};

#define PW_TRIES 8u
/* Integer weights: weight (<= 1) x 2^40, so n x 2^40 fits 64 bits up to
 * 2^23 backends. */
static const double PW_WEIGHT_SCALE = 1099511627776.0;
/* Excluded members of S a tree draw handles; more: the passes. */
#define PW_EX_MAX 64u

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
    route__heap_free(&s->cheap);
    route__heap_free(&s->outage);
    free(s->frontier);
    free(s->fw);
    free(s->wq);
    free(s->in_s);
    free(s->ex_s);
    free(s);
}

static void fw_add(struct pw_state *s, uint32_t i, uint64_t w, bool add)
{
    for (uint32_t j = i + 1; j <= s->n; j += j & (0u - j))
        s->fw[j] = add ? s->fw[j] + w : s->fw[j] - w;
}

/* Sum of wq over S, members 0 .. i - 1. */
static uint64_t fw_prefix(const struct pw_state *s, uint32_t i)
{
    uint64_t sum = 0;
    for (uint32_t j = i; j > 0; j -= j & (0u - j))
        sum += s->fw[j];
    return sum;
}

/* The member of S where the running sum of wq passes r (r < total). */
static uint32_t fw_find(const struct pw_state *s, uint64_t r)
{
    uint32_t pos = 0;
    for (uint32_t step = s->top; step > 0; step >>= 1)
        if (pos + step <= s->n && s->fw[pos + step] <= r) {
            pos += step;
            r -= s->fw[pos];
        }
    return pos;
}

static int init_index(struct pw_state *s)
{
    uint32_t n = s->n, m = n > 0 ? n : 1;
    s->cursor = UINT64_MAX;
    if (route__heap_init(&s->cheap, n) < 0 || route__heap_init(&s->outage, n) < 0)
        return -1;
    s->frontier = calloc((size_t)m + 2u, sizeof *s->frontier);
    s->fw = calloc((size_t)n + 1u, sizeof *s->fw);
    s->wq = calloc(m, sizeof *s->wq);
    s->in_s = calloc(m, sizeof *s->in_s);
    s->ex_s = calloc(PW_EX_MAX, sizeof *s->ex_s);
    if (s->frontier == NULL || s->fw == NULL || s->wq == NULL || s->in_s == NULL || s->ex_s == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        s->wq[i] = (uint64_t)(s->b[i].weight * PW_WEIGHT_SCALE + 0.5);
    for (s->top = 1; s->top <= n / 2; s->top <<= 1)
        ;
    return 0;
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
    if (build_alias(s) < 0 || (s->fleet != NULL && init_index(s) < 0)) {
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

/* File backend i from the view and its outage state: in the cheap heap
 * when eligible, in S (the tree) when also out of the outage heap. */
static void refile(struct pw_state *s, uint32_t i)
{
    const struct route_backend *b;
    bool elig, in;
    if (i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    elig = (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) && !route__saturated(b);
    if (elig)
        route__heap_set(&s->cheap, i, route__double_key(s->b[i].price));
    else
        route__heap_remove(&s->cheap, i);
    in = elig && s->outage.pos[i] == ROUTE__ABSENT;
    if (in != s->in_s[i]) {
        s->in_s[i] = in;
        fw_add(s, i, s->wq[i], in);
        s->s_count = in ? s->s_count + 1 : s->s_count - 1;
    }
}

static void on_change(void *ctx, uint32_t i)
{
    refile(ctx, i);
}

/* Bring the indexes to the view and to time now. */
static void sync_index(struct pw_state *s, const struct route__fleet *f, int64_t now)
{
    if (!route__fleet_drain(f, &s->cursor, on_change, s))
        for (uint32_t i = 0; i < s->n; i++)
            refile(s, i);
    while (s->outage.n > 0 && s->outage.key[s->outage.item[0]] <= now) {
        uint32_t i = s->outage.item[0];
        route__heap_remove(&s->outage, i);
        refile(s, i);
    }
}

/* The rule from the indexes: a draw over S minus the exclude set, else the
 * cheapest eligible; -2 when the passes must answer. */
static int32_t pick_indexed(struct pw_state *s, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    uint64_t total = s->n > 0 ? fw_prefix(s, s->n) : 0, r, skip;
    uint32_t n_ex = 0, count = s->s_count;
    if (exclude != NULL)
        for (uint32_t w = 0; w < ROUTE_EXCLUDE_WORDS(s->n); w++)
            for (uint64_t bits = exclude[w]; bits != 0; bits &= bits - 1) {
                uint32_t i = w * 64u + (uint32_t)__builtin_ctzll(bits);
                if (i >= s->n || !s->in_s[i])
                    continue;
                if (n_ex == PW_EX_MAX)
                    return -2;
                s->ex_s[n_ex++] = i; /* in index order */
                total -= s->wq[i];
                count--;
            }
    if (count > 0) {
        uint32_t j;
        if (total == 0)
            return -2; /* every weight of S rounds to 0 */
        r = route__rand_below64(env, total);
        /* skip the excluded weights below the answer: r + skip is the
         * position in the whole tree, skip the excluded weight up to it */
        skip = 0;
        for (;;) {
            uint64_t more = 0;
            j = fw_find(s, r + skip);
            for (uint32_t e = 0; e < n_ex && s->ex_s[e] <= j; e++)
                more += s->wq[s->ex_s[e]];
            if (more == skip)
                break;
            skip = more;
        }
        return (int32_t)j;
    }
    {
        struct route__heap_walk w;
        int32_t i;
        route__heap_walk_start(&w, &s->cheap, s->frontier);
        while ((i = route__heap_walk_next(&w, INT64_MAX)) >= 0)
            if (exclude == NULL || !route_excluded(exclude, (uint32_t)i))
                return i;
    }
    return route__any_candidate(s->fleet, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
}

static int32_t pick_pw(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    struct pw_state *s = state;
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
    if (f != NULL && view->n == s->n) {
        int32_t k;
        sync_index(s, f, env->now_ns);
        k = pick_indexed(s, view, env, exclude);
        if (k != -2)
            return k;
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
        out->status == ROUTE_TIMEOUT) {
        s->b[backend].last_fail_ns = env->now_ns;
        if (s->fleet != NULL && s->window_ns > 0) {
            /* out of S until the window ends (stable(): now - t >= window) */
            route__heap_set(&s->outage, backend,
                            env->now_ns > INT64_MAX - s->window_ns ? INT64_MAX
                                                                   : env->now_ns + s->window_ns);
            refile(s, backend);
        }
    }
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
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
