/*
 * least_inflight.c - strategy `least_inflight`: fewest attempts in
 * flight, ties broken uniformly at random.
 *
 * Reproduces LiteLLM `least-busy` (litellm/router_strategy/least_busy.py,
 * 2024-2026: counters raised on pre-call, lowered on success/failure, unseen
 * deployments count 0) and AIBrix `least-request`
 * (pkg/plugins/gateway/algorithms/least_request.go, e3e10f9e: minimum
 * active requests of this gateway instance, random among ties);
 * docs/notes/routers.md §4 row 5.  Envoy's LEAST_REQUEST is the same idea
 * but by default samples only 2 hosts (choice_count = 2): see power_of_two.
 *
 * Quirks / choices:
 *  - The signal is the router-local in-flight count (route_backend.inflight,
 *    raised by dispatch, lowered by complete), not the engine's queue.
 *  - LiteLLM keeps one counter dict per model group and can pick a stale
 *    id; one router here serves one group, so that quirk does not arise.
 *
 * Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 * pass, reservoir sampling over the current minimum set (O(n)).  In a
 * router, O(1) amortised: the load buckets of index/buckets.c (the usable
 * backends in an array sorted by in-flight count, one bucket per count,
 * one swap per dispatch or completion; loads >= 1024 share an overflow
 * bucket, which hands the pick to the plain pass), updated from the
 * router's journal of view changes (so with a staleness > 0 the index
 * follows the published counters, as the scan would).  The pick takes the
 * lowest bucket holding an eligible backend (O(1): saturated members are
 * counted per bucket, an exclude set is counted into its members' buckets
 * for the pick) and draws uniformly inside it (rejection on saturated /
 * excluded members, then an exact count-and-locate): the same rule,
 * uniform among the eligible backends of minimum load.  No eligible
 * backend: FULL / NONE from the fleet's bits; an exclude set of more than
 * a quarter of the backends: the plain pass.
 */
#include <stdlib.h>

#include "route_int.h"

struct li_state {
    struct route__buckets b;
};

static void destroy_least(void *state)
{
    struct li_state *s = state;
    if (s == NULL)
        return;
    route__buckets_free(&s->b);
    free(s);
}

static int create_least(void **state, const struct route_create_args *args, char *err,
                        size_t errlen)
{
    const struct route__fleet *f = route__fleet_for(args);
    struct li_state *s;
    *state = NULL;
    if (f == NULL)
        return 0; /* outside a router or a few backends: the plain pass, no state */
    s = calloc(1, sizeof *s);
    if (s == NULL || route__buckets_init(&s->b, f, args->n_backends) < 0) {
        free(s);
        route__errf(err, errlen, "strategy 'least_inflight': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

/* The plain pass: reservoir sampling over the current minimum set of the
 * key (tokens: inflight_tokens, else inflight).  Also least_inflight's
 * answer when the index cannot give one (loads in the overflow bucket, a
 * large exclude set). */
static inline int32_t least_scan(const struct route_view *view, const struct route_env *env,
                                 const uint64_t *exclude, bool tokens)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE;
    int64_t min = 0;
    uint32_t ties = 0; /* backends seen at the current minimum */
    for (uint32_t i = 0; i < view->n; i++) {
        int64_t load;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        load = tokens ? view->b[i].inflight_tokens : view->b[i].inflight;
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

int32_t route__least_scan(const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude)
{
    return least_scan(view, env, exclude, false);
}

int32_t route__least_tokens_scan(const struct route_view *view, const struct route_env *env,
                                 const uint64_t *exclude)
{
    return least_scan(view, env, exclude, true);
}

int32_t route__least_indexed(struct route__buckets *b, const struct route_view *view,
                             const struct route_env *env, const uint64_t *exclude)
{
    const struct route__fleet *f = b->fleet != NULL ? route__fleet_of(b->fleet, view) : NULL;
    int32_t k;
    if (f == NULL || view->n != b->n)
        return route__least_scan(view, env, exclude);
    route__buckets_sync(b);
    if (!route__buckets_pick_begin(b, exclude))
        return route__least_scan(view, env, exclude);
    k = route__buckets_least(b, env);
    route__buckets_pick_end(b);
    if (k == ROUTE_NONE) /* nothing eligible: FULL or NONE from the bits */
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    return k != ROUTE__BUCKETS_PASS ? k : route__least_scan(view, env, exclude);
}

static int32_t pick_least(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    struct li_state *s = state;
    (void)req;
    if (s == NULL)
        return route__least_scan(view, env, exclude);
    return route__least_indexed(&s->b, view, env, exclude);
}

const struct route_ops route__ops_least_inflight = {
    ROUTE_OPS_INIT,
    .name = "least_inflight",
    .summary = "fewest attempts in flight, random among ties",
    .source = "LiteLLM least-busy (least_busy.py); AIBrix least-request (e3e10f9e); Envoy "
              "least-request",
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_least,
    .destroy = destroy_least,
    .pick = pick_least,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
