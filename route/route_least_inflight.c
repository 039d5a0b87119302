/*
 * route_least_inflight.c - strategy `least_inflight`: fewest attempts in
 * flight, ties broken uniformly at random.
 *
 * Reproduces LiteLLM `least-busy` (litellm/router_strategy/least_busy.py,
 * 2024-2026: counters raised on pre-call, lowered on success/failure, unseen
 * deployments count 0) and AIBrix `least-request`
 * (pkg/plugins/gateway/algorithms/least_request.go, e3e10f9e: minimum
 * active requests of this gateway instance, random among ties);
 * reference/routers.md §4 row 5.  Envoy's LEAST_REQUEST is the same idea
 * but by default samples only 2 hosts (choice_count = 2): see power_of_two.
 *
 * Quirks / choices:
 *  - The signal is the router-local in-flight count (route_backend.inflight,
 *    raised by dispatch, lowered by complete), not the engine's queue.
 *  - LiteLLM keeps one counter dict per model group and can pick a stale
 *    id; one router here serves one group, so that quirk does not arise.
 * One pass: reservoir sampling over the current minimum set.
 */
#include "route_int.h"

static int create_least(void **state, const struct route_create_args *args, char *err,
                        size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_least(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE, min = 0;
    uint32_t ties = 0; /* backends seen at the current minimum */
    (void)state;
    (void)req;
    for (uint32_t i = 0; i < view->n; i++) {
        int32_t load;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        load = view->b[i].inflight;
        if (best < 0 || load < min) {
            best = (int32_t)i;
            min = load;
            ties = 1;
        } else if (load == min) {
            ties++;
            if (route_rand_below(env, ties) == 0)
                best = (int32_t)i; /* each tie ends up kept with probability 1/ties */
        }
    }
    if (best < 0)
        return route__no_pick(c);
    return best;
}

const struct route_ops route__ops_least_inflight = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "least_inflight",
    .summary = "fewest attempts in flight, random among ties",
    .source = "LiteLLM least-busy (least_busy.py); AIBrix least-request (e3e10f9e); Envoy "
              "least-request",
    .needs = ROUTE_NEED_INFLIGHT,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_least,
    .destroy = NULL,
    .pick = pick_least,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
