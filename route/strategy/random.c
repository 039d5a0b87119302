/*
 * random.c - strategy `random`: uniform over the eligible backends.
 *
 * Reproduces AIBrix `random` (pkg/plugins/gateway/algorithms/random.go,
 * vllm-project/aibrix e3e10f9e), SGLang model gateway `random`
 * (sgl-model-gateway, 2025-2026) and LiteLLM `simple-shuffle` when no
 * deployment has a weight/rpm/tpm (litellm/router_strategy/simple_shuffle.py;
 * docs/notes/routers.md §4 row 1).
 *
 * Eligible = healthy, not excluded, below its router-side max_inflight.
 *
 * Pick, O(1) expected (from ROUTE__INDEX_MIN_N = 32 backends; below, the
 * count-then-locate pass: the same answers and draws as before): draw an
 * index uniformly from [0, n) and keep it if eligible (rejection sampling:
 * conditioned on acceptance it is uniform over the eligible set); after
 * RANDOM_TRIES rejections, an exact draw over the eligible set (a bitset
 * from the router's fleet: O(n / 64); without one, as when created outside
 * a router, count then locate: O(n)).  Both branches are uniform over the
 * eligible backends, so the mixture is too; only the random stream
 * consumed differs from a single count-then-locate draw.
 */
#include <stdlib.h>

#include "route_int.h"

#define RANDOM_TRIES 8u

struct random_state {
    const struct route__fleet *fleet;
    uint64_t bits[]; /* scratch eligible set */
};

static int create_random(void **state, const struct route_create_args *args, char *err,
                         size_t errlen)
{
    struct random_state *s =
        calloc(1, sizeof *s + ROUTE_EXCLUDE_WORDS(args->n_backends) * sizeof s->bits[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'random': out of memory");
        return -1;
    }
    s->fleet = route__fleet_for(args);
    *state = s;
    return 0;
}

static void destroy_random(void *state)
{
    free(state);
}

static int32_t pick_random(void *state, const struct route_req *req, const struct route_view *view,
                           const struct route_env *env, const uint64_t *exclude)
{
    struct random_state *s = state;
    const struct route__fleet *f = s != NULL ? route__fleet_of(s->fleet, view) : NULL;
    struct route__count c;
    (void)req;
    for (uint32_t t = 0; t < RANDOM_TRIES && view->n >= ROUTE__INDEX_MIN_N; t++) {
        uint32_t i = route_rand_below(env, view->n);
        if (f != NULL ? route__fleet_eligible(f, exclude, i) : route__eligible(view, exclude, i))
            return (int32_t)i;
    }
    if (f != NULL) {
        uint32_t k = route__candidate_bits(f, view, exclude, 2, s->bits);
        if (k > 0)
            return route__bits_select(s->bits, f->words, route_rand_below(env, k));
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    }
    c = route__count_eligible(view, exclude);
    if (c.eligible == 0)
        return route__no_pick(c);
    return route__nth_eligible(view, exclude, route_rand_below(env, c.eligible));
}

const struct route_ops route__ops_random = {
    ROUTE_OPS_INIT,
    .name = "random",
    .summary = "uniform random over eligible backends",
    .source = "AIBrix random (e3e10f9e); SGLang gateway random; LiteLLM simple-shuffle "
              "without weights",
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_random,
    .destroy = destroy_random,
    .pick = pick_random,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
