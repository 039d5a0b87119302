/*
 * route_random.c - strategy `random`: uniform over the eligible backends.
 *
 * Reproduces AIBrix `random` (pkg/plugins/gateway/algorithms/random.go,
 * vllm-project/aibrix e3e10f9e), SGLang model gateway `random`
 * (sgl-model-gateway, 2025-2026) and LiteLLM `simple-shuffle` when no
 * deployment has a weight/rpm/tpm (litellm/router_strategy/simple_shuffle.py;
 * reference/routers.md §4 row 1).
 *
 * Eligible = healthy, not excluded, below its router-side max_inflight.
 * Two passes (count, then locate the k-th), one random draw, no state.
 */
#include "route_int.h"

static int create_random(void **state, const struct route_create_args *args, char *err,
                         size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_random(void *state, const struct route_req *req, const struct route_view *view,
                           const struct route_env *env, const uint64_t *exclude)
{
    struct route__count c = route__count_eligible(view, exclude);
    (void)state;
    (void)req;
    if (c.eligible == 0)
        return route__no_pick(c);
    return route__nth_eligible(view, exclude, route_rand_below(env, c.eligible));
}

const struct route_ops route__ops_random = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "random",
    .summary = "uniform random over eligible backends",
    .source = "AIBrix random (e3e10f9e); SGLang gateway random; LiteLLM simple-shuffle "
              "without weights",
    .needs = 0,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_random,
    .destroy = NULL,
    .pick = pick_random,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
