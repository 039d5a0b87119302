/*
 * route_weighted.c - strategy `weighted_random`: P(i) = w_i / sum of w over
 * the eligible backends.
 *
 * Reproduces LiteLLM `simple-shuffle` with `weight` set
 * (litellm/router_strategy/simple_shuffle.py, 2024-2026: random.choices
 * with weights, missing weights count 0) and Portkey `loadbalance`
 * (Portkey-AI/gateway 669825cb: r = U[0, sum w), walk subtracting weights);
 * reference/routers.md §4 row 2.  The walk here is the same as Portkey's:
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
 */
#include "route_int.h"

static int create_weighted(void **state, const struct route_create_args *args, char *err,
                           size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_weighted(void *state, const struct route_req *req,
                             const struct route_view *view, const struct route_env *env,
                             const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    uint64_t total = 0, r;
    (void)state;
    (void)req;
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

const struct route_ops route__ops_weighted_random = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "weighted_random",
    .summary = "random, probability proportional to weight",
    .source = "LiteLLM simple-shuffle with weight (simple_shuffle.py); Portkey loadbalance "
              "(669825cb)",
    .needs = ROUTE_NEED_WEIGHTS,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_weighted,
    .destroy = NULL,
    .pick = pick_weighted,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
