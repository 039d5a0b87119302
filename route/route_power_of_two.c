/*
 * route_power_of_two.c - strategy `power_of_two`: power of two choices.
 *
 * Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * IEEE TPDS 12(10), 2001: sample two backends uniformly at random and send
 * to the less loaded; the maximum load falls from log n / log log n to
 * log log n / log 2 over one choice.  Reproduces AIBrix `power-of-two`
 * (pkg/plugins/gateway/algorithms/power_of_two.go, e3e10f9e: two distinct
 * candidates, fewer running requests wins, `count1 <= count2` so ties go to
 * the first drawn) and SGLang gateway `power_of_two` (2025-2026);
 * reference/routers.md §4 row 6.
 *
 * Quirks / choices:
 *  - Load = router-local in-flight count (AIBrix keeps it in Redis, SGLang
 *    polls workers' /get_load every load_check_interval_secs; polled
 *    staleness is a later option).
 *  - The two draws are distinct eligible backends (AIBrix redraws the
 *    second until it differs); with one eligible backend it is chosen.
 *  - Consequently a strictly most loaded backend is never chosen while
 *    another eligible backend exists: it always loses its comparison.
 * Two passes (count, locate both), two random draws, no state.
 */
#include "route_int.h"

static int create_p2c(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_p2c(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    struct route__count c = route__count_eligible(view, exclude);
    uint32_t ka, kb, k = 0;
    int32_t a = ROUTE_NONE, b = ROUTE_NONE;
    (void)state;
    (void)req;
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

const struct route_ops route__ops_power_of_two = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "power_of_two",
    .summary = "two random backends, the one with fewer in flight wins",
    .source = "Mitzenmacher 2001 (IEEE TPDS 12(10)); AIBrix power-of-two (e3e10f9e); SGLang "
              "gateway power_of_two",
    .needs = ROUTE_NEED_INFLIGHT,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_p2c,
    .destroy = NULL,
    .pick = pick_p2c,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
