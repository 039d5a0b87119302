/*
 * power_of_two.c - strategy `power_of_two`: power of two choices.
 *
 * Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * IEEE TPDS 12(10), 2001: sample two backends uniformly at random and send
 * to the less loaded; the maximum load falls from log n / log log n to
 * log log n / log 2 over one choice.  Reproduces AIBrix `power-of-two`
 * (pkg/plugins/gateway/algorithms/power_of_two.go, e3e10f9e: two distinct
 * candidates, fewer running requests wins, `count1 <= count2` so ties go to
 * the first drawn) and SGLang gateway `power_of_two` (2025-2026);
 * docs/notes/routers.md §4 row 6.
 *
 * Quirks / choices:
 *  - Load = router-local in-flight count (AIBrix keeps it in Redis, SGLang
 *    polls workers' /get_load every load_check_interval_secs; polled
 *    staleness is a later option).
 *  - The two draws are distinct eligible backends (AIBrix redraws the
 *    second until it differs); with one eligible backend it is chosen.
 *  - Consequently a strictly most loaded backend is never chosen while
 *    another eligible backend exists: it always loses its comparison.
 *
 * Pick, O(1) expected (from ROUTE__INDEX_MIN_N = 32 backends; below, the
 * two-rank pass: the same answers and draws as before): the first
 * candidate by rejection sampling (a uniform index from [0, n), kept if
 * eligible), the second likewise from the other n - 1 indices; each stage
 * falls back after P2C_TRIES rejections to an exact draw over the eligible
 * set (minus the first), from the router's fleet bitset (O(n / 64)) or by a
 * scan (O(n)) without one.  The ordered pair is uniform over distinct
 * eligible pairs in every branch, as in the two-rank draw it replaces (the
 * random stream consumed differs).
 */
#include <stdlib.h>

#include "route_int.h"

#define P2C_TRIES 8u

struct p2c_state {
    const struct route__fleet *fleet;
    uint64_t bits[]; /* scratch eligible set */
};

static int create_p2c(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct p2c_state *s =
        calloc(1, sizeof *s + ROUTE_EXCLUDE_WORDS(args->n_backends) * sizeof s->bits[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'power_of_two': out of memory");
        return -1;
    }
    s->fleet = route__fleet_for(args);
    *state = s;
    return 0;
}

static void destroy_p2c(void *state)
{
    free(state);
}

static bool eligible(const struct route__fleet *f, const struct route_view *v, const uint64_t *ex,
                     uint32_t i)
{
    return f != NULL ? route__fleet_eligible(f, ex, i) : route__eligible(v, ex, i);
}

/* The k-th eligible backend, skipping `skip` (-1: none). */
static int32_t nth_eligible_but(const struct route_view *v, const uint64_t *ex, uint32_t k,
                                int32_t skip)
{
    for (uint32_t i = 0; i < v->n; i++) {
        if ((int32_t)i == skip || !route__eligible(v, ex, i))
            continue;
        if (k == 0)
            return (int32_t)i;
        k--;
    }
    return ROUTE_NONE;
}

/* Uniform over the eligible backends other than `skip` (-1: none); NONE
 * when there is none.  s is only used with a fleet (then it is not NULL). */
static int32_t exact_draw(struct p2c_state *s, const struct route__fleet *f,
                          const struct route_view *v, const struct route_env *env,
                          const uint64_t *ex, int32_t skip)
{
    uint32_t k;
    if (f != NULL) {
        k = route__candidate_bits(f, v, ex, 2, s->bits);
        if (skip >= 0 && route__bit(s->bits, (uint32_t)skip)) {
            route__bit_put(s->bits, (uint32_t)skip, false);
            k--;
        }
        return k > 0 ? route__bits_select(s->bits, f->words, route_rand_below(env, k)) : ROUTE_NONE;
    }
    k = route__count_eligible(v, ex).eligible;
    if (skip >= 0 && route__eligible(v, ex, (uint32_t)skip))
        k--;
    return k > 0 ? nth_eligible_but(v, ex, route_rand_below(env, k), skip) : ROUTE_NONE;
}

/* The two-rank draw over a count (O(n)). */
static int32_t pick_scan(const struct route_view *view, const struct route_env *env,
                         const uint64_t *exclude)
{
    struct route__count c = route__count_eligible(view, exclude);
    uint32_t ka, kb, k = 0;
    int32_t a = ROUTE_NONE, b = ROUTE_NONE;
    if (c.eligible == 0)
        return route__no_pick(c);
    if (c.eligible == 1)
        return route__nth_eligible(view, exclude, 0);
    /* Two distinct ranks: draw the second among the other eligible - 1. */
    ka = route_rand_below(env, c.eligible);
    kb = route_rand_below(env, c.eligible - 1);
    if (kb >= ka)
        kb++;
    for (uint32_t i = 0; i < view->n && (a < 0 || b < 0); i++) {
        if (!route__eligible(view, exclude, i))
            continue;
        if (k == ka)
            a = (int32_t)i;
        if (k == kb)
            b = (int32_t)i;
        k++;
    }
    if (a < 0 || b < 0)
        return ROUTE_NONE; /* unreachable: both ranks < eligible */
    return view->b[b].inflight < view->b[a].inflight ? b : a;
}

static int32_t pick_p2c(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    struct p2c_state *s = state;
    const struct route__fleet *f = s != NULL ? route__fleet_of(s->fleet, view) : NULL;
    uint32_t n = view->n, t;
    int32_t a = ROUTE_NONE, b = ROUTE_NONE;
    (void)req;
    if (n < ROUTE__INDEX_MIN_N)
        return pick_scan(view, env, exclude);
    for (t = 0; t < P2C_TRIES && a < 0; t++) {
        uint32_t i = route_rand_below(env, n);
        if (eligible(f, view, exclude, i))
            a = (int32_t)i;
    }
    if (a < 0) {
        a = exact_draw(s, f, view, env, exclude, -1);
        if (a < 0) {
            if (f != NULL)
                return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
            return route__no_pick(route__count_eligible(view, exclude));
        }
    }
    if (n == 1)
        return a;
    for (t = 0; t < P2C_TRIES && b < 0; t++) {
        uint32_t j = route_rand_below(env, n - 1);
        if (j >= (uint32_t)a)
            j++;
        if (eligible(f, view, exclude, j))
            b = (int32_t)j;
    }
    if (b < 0) {
        b = exact_draw(s, f, view, env, exclude, a);
        if (b < 0)
            return a; /* a is the only eligible backend */
    }
    return view->b[b].inflight < view->b[a].inflight ? b : a;
}

const struct route_ops route__ops_power_of_two = {
    ROUTE_OPS_INIT,
    .name = "power_of_two",
    .summary = "two random backends, the one with fewer in flight wins",
    .source = "Mitzenmacher 2001 (IEEE TPDS 12(10)); AIBrix power-of-two (e3e10f9e); SGLang "
              "gateway power_of_two",
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_p2c,
    .destroy = destroy_p2c,
    .pick = pick_p2c,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
