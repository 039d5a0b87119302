/*
 * weighted_random.c - strategy `weighted_random`: P(i) = w_i / sum of w over
 * the eligible backends.
 *
 * Reproduces LiteLLM `simple-shuffle` with `weight` set
 * (litellm/router_strategy/simple_shuffle.py, 2024-2026: random.choices
 * with weights, missing weights count 0) and Portkey `loadbalance`
 * (Portkey-AI/gateway 669825cb: r = U[0, sum w), walk subtracting weights);
 * docs/notes/routers.md §4 row 2.  The walk here is the same as Portkey's:
 * the first backend whose cumulative weight exceeds r.
 *
 * Quirks / choices:
 *  - weight 0 is never chosen while some eligible backend has a positive
 *    weight (Portkey: "0 stops traffic").
 *  - If every eligible backend has weight 0 the pick is uniform among them
 *    (a drained-by-weight pool still serves rather than answering 429;
 *    LiteLLM would fall back to rpm/tpm weights or uniform shuffle).
 *  - Only cfg.weight is a weight source; LiteLLM's rpm/tpm fallback chosen
 *    by the first deployment is a later option.
 * Weights are summed in 64 bits (1024 x 2^32 cannot overflow).
 *
 * Pick, O(1) expected (from ROUTE__INDEX_MIN_N = 32 backends; below, the
 * walk: the same answers and draws as before): an alias table (Walker 1977,
 * Vose 1991) over the configured weights, built in create with integer
 * thresholds so it draws backend i with probability exactly w_i / W; a draw
 * is kept when eligible (rejection: conditioned on acceptance, P(i) = w_i /
 * sum of w over the eligible backends, the rule above).  After
 * WEIGHTED_TRIES rejections (or when every configured weight is 0) the
 * exact walk below decides, which also covers "all eligible weights 0"
 * (alias draws never accept a weight-0 backend).  Both branches have the
 * same distribution.  Configuration is static in a router; a view whose
 * weight differs from the table's makes the pick use the walk.
 */
#include <stdlib.h>

#include "route_int.h"

#define WEIGHTED_TRIES 8u

struct weighted_state {
    uint32_t n;
    uint64_t total;  /* sum of weights, 0 = no table */
    uint32_t *w;     /* weight of each backend at create */
    uint64_t *prob;  /* alias threshold of each column, in [0, total] */
    uint32_t *alias; /* the other backend of each column */
    const struct route__fleet *fleet;
};

static void destroy_weighted(void *state)
{
    struct weighted_state *s = state;
    if (s == NULL)
        return;
    free(s->w);
    free(s->prob);
    free(s->alias);
    free(s);
}

/* Vose's alias method in integers: column c holds n w_c out of a capacity of
 * W = sum w; P(i) = (prob[i] + sum over alias[c] = i of (W - prob[c])) / (n W)
 * = w_i / W exactly. */
static void build_alias(struct weighted_state *s, uint32_t *small, uint32_t *large)
{
    uint32_t n = s->n, ns = 0, nl = 0;
    uint64_t *p = s->prob;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (uint64_t)s->w[i] * n;
        s->alias[i] = i;
        if (p[i] < s->total)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        uint32_t a = small[--ns], g = large[nl - 1];
        s->alias[a] = g;
        p[g] -= s->total - p[a];
        if (p[g] < s->total) {
            nl--;
            small[ns++] = g;
        }
    }
    while (nl > 0)
        p[large[--nl]] = s->total;
    while (ns > 0)
        p[small[--ns]] = s->total; /* only by rounding; cannot happen in integers */
}

static int create_weighted(void **state, const struct route_create_args *args, char *err,
                           size_t errlen)
{
    uint32_t n = args->n_backends;
    struct weighted_state *s = calloc(1, sizeof *s);
    uint32_t *small = NULL, *large = NULL;
    if (s != NULL) {
        s->w = calloc(n > 0 ? n : 1, sizeof *s->w);
        s->prob = calloc(n > 0 ? n : 1, sizeof *s->prob);
        s->alias = calloc(n > 0 ? n : 1, sizeof *s->alias);
        small = calloc(n > 0 ? n : 1, sizeof *small);
        large = calloc(n > 0 ? n : 1, sizeof *large);
    }
    if (s == NULL || s->w == NULL || s->prob == NULL || s->alias == NULL || small == NULL ||
        large == NULL) {
        free(small);
        free(large);
        destroy_weighted(s);
        route__errf(err, errlen, "strategy 'weighted_random': out of memory");
        return -1;
    }
    s->n = n;
    for (uint32_t i = 0; i < n; i++) {
        s->w[i] = args->cfgs != NULL ? args->cfgs[i].weight : 0;
        s->total += s->w[i];
    }
    if (s->total > 0)
        build_alias(s, small, large);
    free(small);
    free(large);
    s->fleet = route__fleet_for(args);
    *state = s;
    return 0;
}

/* The scan: Portkey's walk over the eligible backends. */
static int32_t scan_weighted(const struct route_view *view, const struct route_env *env,
                             const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    uint64_t total = 0, r;
    for (uint32_t i = 0; i < view->n; i++) {
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        total += view->b[i].cfg.weight;
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    if (total == 0)
        return route__nth_eligible(view, exclude, route_rand_below(env, c.eligible));
    r = route__rand_below64(env, total);
    for (uint32_t i = 0; i < view->n; i++) {
        uint32_t w;
        if (!route__eligible(view, exclude, i))
            continue;
        w = view->b[i].cfg.weight;
        if (r < w)
            return (int32_t)i;
        r -= w;
    }
    return ROUTE_NONE; /* unreachable: r < total */
}

static int32_t pick_weighted(void *state, const struct route_req *req,
                             const struct route_view *view, const struct route_env *env,
                             const uint64_t *exclude)
{
    const struct weighted_state *s = state;
    (void)req;
    if (s != NULL && s->total > 0 && s->n == view->n && s->n >= ROUTE__INDEX_MIN_N) {
        const struct route__fleet *f = route__fleet_of(s->fleet, view);
        uint64_t cols = (uint64_t)s->n * s->total; /* <= 2^10 x 2^42 */
        for (uint32_t t = 0; t < WEIGHTED_TRIES; t++) {
            uint64_t u = route__rand_below64(env, cols);
            uint32_t c = (uint32_t)(u / s->total), i;
            i = u % s->total < s->prob[c] ? c : s->alias[c];
            if (f != NULL ? route__fleet_eligible(f, exclude, i)
                          : route__eligible(view, exclude, i)) {
                if (view->b[i].cfg.weight != s->w[i])
                    break; /* not the configuration of the table: scan */
                return (int32_t)i;
            }
        }
    }
    return scan_weighted(view, env, exclude);
}

const struct route_ops route__ops_weighted_random = {
    ROUTE_OPS_INIT,
    .name = "weighted_random",
    .summary = "random, probability proportional to weight",
    .source = "LiteLLM simple-shuffle with weight (simple_shuffle.py); Portkey loadbalance "
              "(669825cb)",
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_weighted,
    .destroy = destroy_weighted,
    .pick = pick_weighted,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
