/*
 * prefix_affinity.c - a prefix-cache-aware strategy over the router-side
 * block index of index/prefix_index.c (per-backend LRU of block hashes,
 * updated on dispatch from routing decisions, as GIE's approximate
 * prefix-cache scorer does).
 *
 * `prefix_affinity` (GIE prefix-cache-scorer used alone;
 * gateway-api-inference-extension@1748e829,
 * pkg/epp/framework/plugins/scheduling/scorer/prefix; vLLM production-stack
 * `prefixaware`, routing_logic.py; docs/notes/routers.md §2.5, §4 row 19):
 *   m_i = leading blocks of the request that backend i holds in the index.
 *   Among the eligible backends take those with the longest match M; if
 *   M = 0 or M / blocks < min_match, take all eligible instead.  Among the
 *   kept set, the fewest in flight wins, ties uniformly at random.
 *   So ties on the match (vLLM-PS: "random among matched") and requests
 *   without blocks go to the least loaded, like vLLM-PS's below-threshold
 *   fallback (which uses lowest QPS).  lru_blocks defaults to GIE's
 *   lruCapacityPerServer (31250).  With a match the pick costs
 *   O(blocks x n / 64) word operations plus the best holders' check.
 *   Without one, outside a router or below ROUTE__INDEX_MIN_N = 32
 *   backends, least_inflight's pass over the n backends; in a router,
 *   least_inflight's load buckets (index/buckets.c, kept from the router's
 *   journal: O(1) amortised; same rule, uniform among the least loaded,
 *   different random draws).
 */
#include <stdlib.h>

#include "route_prefix_int.h"

/* ---------------------------------------------------------------------
 * prefix_affinity
 * ------------------------------------------------------------------- */

enum { PA_LRU_BLOCKS, PA_MIN_MATCH, PA_COUNT_ };

static const struct route_param affinity_params[PA_COUNT_] = {
    [PA_LRU_BLOCKS] = {"lru_blocks", ROUTE__PIDX_DEFAULT_CAPACITY, 1.0, 1e6, "blocks",
                       "block hashes remembered per backend, LRU (GIE lruCapacityPerServer)"},
    [PA_MIN_MATCH] = {"min_match", 0.0, 0.0, 1.0, "ratio",
                      "below this best match share (matched / request blocks) route by least "
                      "in flight instead"},
};

struct affinity {
    struct route__pidx idx; /* first: route__pidx_on_dispatch relies on it */
    double min_match;
    bool indexed;               /* load buckets in use (in a router) */
    struct route__buckets load; /* least in flight, for the fallback */
};

static void destroy_affinity(void *state)
{
    struct affinity *s = state;
    if (s == NULL)
        return;
    route__pidx_free(&s->idx);
    route__buckets_free(&s->load);
    free(s);
}

static int create_affinity(void **state, const struct route_create_args *args, char *err,
                           size_t errlen)
{
    struct affinity *s = calloc(1, sizeof *s);
    *state = NULL;
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'prefix_affinity': out of memory");
        return -1;
    }
    if (route__pidx_init(&s->idx, args->n_backends, args->params[PA_LRU_BLOCKS], "prefix_affinity",
                         err, errlen) != 0) {
        free(s);
        return -1;
    }
    s->min_match = args->params[PA_MIN_MATCH];
    if (route__fleet_for(args) != NULL) {
        if (route__buckets_init(&s->load, route__fleet_for(args), args->n_backends) < 0) {
            destroy_affinity(s);
            route__errf(err, errlen, "strategy 'prefix_affinity': out of memory");
            return -1;
        }
        s->indexed = true;
    }
    *state = s;
    return 0;
}

static int32_t pick_affinity(void *state, const struct route_req *req,
                             const struct route_view *view, const struct route_env *env,
                             const uint64_t *exclude)
{
    struct affinity *s = state;
    uint32_t m = route__pidx_match(&s->idx, req->blocks, req->n_blocks), len;
    if (m > 0) {
        int32_t i = route__pidx_best_matched(&s->idx, view, exclude, env, &len);
        if (i >= 0 && (double)len >= s->min_match * (double)m)
            return i;
    }
    if (s->indexed)
        return route__least_indexed(&s->load, view, env, exclude);
    return route__least_scan(view, env, exclude);
}

const struct route_ops route__ops_prefix_affinity = {
    ROUTE_OPS_INIT,
    .name = "prefix_affinity",
    .summary = "longest prefix match in a router-side per-backend LRU block index, else least "
               "in flight",
    .source = "GIE prefix-cache-scorer, approximate (gateway-api-inference-extension@1748e829 "
              "scorer/prefix); vLLM production-stack prefixaware",
    .params = affinity_params,
    .n_params = PA_COUNT_,
    .min_children = 0,
    .max_children = 0,
    .create = create_affinity,
    .destroy = destroy_affinity,
    .pick = pick_affinity,
    .on_dispatch = route__pidx_on_dispatch,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
