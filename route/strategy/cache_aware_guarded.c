/*
 * cache_aware_guarded.c - a prefix-cache-aware strategy over the
 * router-side block index of index/prefix_index.c, guarded by load balance.
 *
 * `cache_aware_guarded` (SGLang model gateway cache_aware,
 * sgl-model-gateway/src/policies/cache_aware.rs; AIBrix prefix-cache,
 * pkg/plugins/gateway/algorithms/prefix_cache.go; docs/notes/routers.md
 * §2.4, §2.6, §4 row 21), loads = router-local in-flight counts over the
 * eligible backends:
 *   1. imbalanced iff max_load - min_load > balance_abs_threshold and
 *      max_load > balance_rel_threshold x min_load: the least loaded.
 *   2. else if the best match rate (matched blocks / blocks) exceeds
 *      cache_threshold: the best-matching backend (ties: least loaded).
 *   3. else the least loaded (compat = 1: the backend with the smallest
 *      index, "smallest tree", as SGLang did before PRs #14305/#14532,
 *      which changed it because a cold worker attracted every unmatched
 *      request: the "death spiral").
 *   Least-loaded ties are broken uniformly at random (SGLang takes the
 *   first; AIBrix least-request randomises).  The request's blocks are
 *   inserted for the chosen backend in every branch (SGLang inserts the
 *   text even when it balances).
 *   Defaults are SGLang's library defaults (32 / 1.1 / 0.5); the
 *   sglang-router CLI defaults are 64 / 1.5 / 0.3 (per a third-party audit,
 *   docs/notes/routers.md §2.6): set the three parameters to replay them.
 *   AIBrix's variant (abs imbalance 16 only, match among running <=
 *   mean + 2 sigma) is not reproduced.  SGLang matches characters of raw
 *   text in a radix tree with periodic LRU trimming; here whole blocks in an
 *   LRU per backend.
 *   Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 *   pass over the view for the load range and the least loaded (O(n)).  In
 *   a router: the load buckets of index/buckets.c, shared with
 *   least_inflight (the usable backends in an array sorted by in-flight
 *   count, one bucket per count, one swap per dispatch or completion, kept
 *   from the router's journal of view changes), with per bucket the number
 *   of saturated members and a two-level bitset of the buckets holding an
 *   unsaturated one: the lowest and highest such bucket, min and max load,
 *   in O(1).  An exclude set is counted into its members' buckets for the
 *   pick (O(n / 64 + excluded)); a bucket it empties is skipped, O(1)
 *   each.  The least loaded is drawn uniformly in the min bucket
 *   (rejection, then an exact count-and-locate).  The match path walks the
 *   holders of the deepest matched level as before (O(blocks x n / 64 +
 *   holders)); compat = 1 keeps the eligible backends in an idle set + heap
 *   by index size, updated on dispatch (O(log n)).  Loads of 1024 or more,
 *   or an exclude set of more than a quarter of the backends: the pass.
 *   Same rule and distribution; random draws differ.
 */
#include <stdlib.h>

#include "route_prefix_int.h"

/* ---------------------------------------------------------------------
 * cache_aware_guarded
 * ------------------------------------------------------------------- */

enum { CA_BAL_ABS, CA_BAL_REL, CA_CACHE_THRESHOLD, CA_COMPAT, CA_LRU_BLOCKS, CA_COUNT_ };

static const struct route_param guarded_params[CA_COUNT_] = {
    [CA_BAL_ABS] = {"balance_abs_threshold", 32.0, 0.0, 1e9, "requests",
                    "imbalanced when max - min in flight exceeds this (SGLang library 32, CLI 64)"},
    [CA_BAL_REL] = {"balance_rel_threshold", 1.1, 1.0, 1e9, "ratio",
                    "... and max exceeds this x min (SGLang library 1.1, CLI 1.5)"},
    [CA_CACHE_THRESHOLD] = {"cache_threshold", 0.5, 0.0, 1.0, "ratio",
                            "route to the best match when its match share exceeds this (SGLang "
                            "library 0.5, CLI 0.3)"},
    [CA_COMPAT] = {"compat", 0.0, 0.0, 1.0, "enum",
                   "low match: 0 least in flight (SGLang after #14305), 1 smallest index "
                   "(older SGLang, smallest tree)"},
    [CA_LRU_BLOCKS] = {"lru_blocks", ROUTE__PIDX_DEFAULT_CAPACITY, 1.0, 1e6, "blocks",
                       "block hashes remembered per backend, LRU (SGLang max_tree_size analogue)"},
};

struct guarded {
    struct route__pidx idx; /* first: route__pidx_on_dispatch relies on it */
    double bal_abs, bal_rel, cache_threshold;
    bool smallest_tree;
    /* the index, in a router (fleet != NULL) */
    const struct route__fleet *fleet;
    uint32_t n;
    uint64_t cursor;            /* of small: journal position, UINT64_MAX: never built */
    struct route__buckets load; /* load buckets */
    struct route__minidx small; /* compat = 1: eligible backends by index size */
};

static void destroy_guarded(void *state)
{
    struct guarded *s = state;
    if (s == NULL)
        return;
    route__pidx_free(&s->idx);
    route__buckets_free(&s->load);
    if (s->smallest_tree && s->fleet != NULL)
        route__minidx_free(&s->small);
    free(s);
}

static int alloc_buckets(struct guarded *s)
{
    if (route__buckets_init(&s->load, s->fleet, s->n) < 0)
        return -1;
    if (s->smallest_tree && route__minidx_init(&s->small, s->n) < 0) {
        s->smallest_tree = false; /* nothing to free */
        return -1;
    }
    return 0;
}

static int create_guarded(void **state, const struct route_create_args *args, char *err,
                          size_t errlen)
{
    const double *p = args->params;
    struct guarded *s;
    *state = NULL;
    if (p[CA_COMPAT] != 0.0 && p[CA_COMPAT] != 1.0) {
        route__errf(err, errlen, "strategy 'cache_aware_guarded': compat %g must be 0 or 1",
                    p[CA_COMPAT]);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'cache_aware_guarded': out of memory");
        return -1;
    }
    if (route__pidx_init(&s->idx, args->n_backends, p[CA_LRU_BLOCKS], "cache_aware_guarded", err,
                         errlen) != 0) {
        free(s);
        return -1;
    }
    s->bal_abs = p[CA_BAL_ABS];
    s->bal_rel = p[CA_BAL_REL];
    s->cache_threshold = p[CA_CACHE_THRESHOLD];
    s->smallest_tree = p[CA_COMPAT] == 1.0;
    s->fleet = route__fleet_for(args);
    s->n = args->n_backends;
    s->cursor = UINT64_MAX;
    if (s->fleet != NULL && alloc_buckets(s) < 0) {
        destroy_guarded(s);
        route__errf(err, errlen, "strategy 'cache_aware_guarded': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

/* The compat = 1 index: eligible backends keyed by index size. */
static void ca_refile_small(struct guarded *s, uint32_t i)
{
    const struct route_backend *b = &s->fleet->view->b[i];
    bool in = (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) && !route__saturated(b);
    route__minidx_set(&s->small, i, in, (int64_t)route__pidx_size(&s->idx, i));
}

static void ca_change(void *ctx, uint32_t i)
{
    struct guarded *s = ctx;
    if (i < s->n)
        ca_refile_small(s, i);
}

/* Catch up with the journal: the load buckets, and the compat = 1 index
 * (its own cursor). */
static void ca_sync(struct guarded *s)
{
    route__buckets_sync(&s->load);
    if (s->smallest_tree && !route__fleet_drain(s->fleet, &s->cursor, ca_change, s)) {
        route__minidx_clear(&s->small);
        for (uint32_t i = 0; i < s->n; i++)
            ca_refile_small(s, i);
    }
}

struct ca_small_ctx {
    const struct route__fleet *f;
    const uint64_t *ex;
};

static bool ca_small_ok(void *ctx, uint32_t i)
{
    const struct ca_small_ctx *c = ctx;
    return route__fleet_eligible(c->f, c->ex, i);
}

static int32_t scan_guarded(struct guarded *s, const struct route_req *req,
                            const struct route_view *view, const struct route_env *env,
                            const uint64_t *exclude);

/* The indexed pick (fleet f, journal drained); -3 when the pass must
 * answer. */
static int32_t fast_guarded(struct guarded *s, const struct route__fleet *f,
                            const struct route_req *req, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    uint32_t lo = route__buckets_extreme(&s->load, true), hi, m;
    int32_t min, max;
    if (lo == 0)
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    hi = route__buckets_extreme(&s->load, false);
    if (hi == ROUTE__BUCKETS_OVERFLOW || lo == ROUTE__BUCKETS_OVERFLOW)
        return -3; /* overflow bucket: loads unknown */
    min = (int32_t)lo - 1;
    max = (int32_t)hi - 1;
    if ((double)max - (double)min > s->bal_abs && (double)max > s->bal_rel * (double)min)
        return route__buckets_draw(&s->load, lo, env); /* imbalanced */
    m = route__pidx_match(&s->idx, req->blocks, req->n_blocks);
    if (m > 0) {
        uint32_t len;
        int32_t i = route__pidx_best_matched(&s->idx, view, exclude, env, &len);
        if (i >= 0 && (double)len > s->cache_threshold * (double)m)
            return i;
    }
    if (s->smallest_tree) {
        struct ca_small_ctx ctx = {f, exclude};
        int32_t i = route__minidx_pick(&s->small, env, ca_small_ok, &ctx);
        return i >= 0 ? i : -3;
    }
    return route__buckets_draw(&s->load, lo, env);
}

static int32_t pick_guarded(void *state, const struct route_req *req, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    struct guarded *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    int32_t k;
    if (f == NULL || view->n != s->n)
        return scan_guarded(s, req, view, env, exclude);
    ca_sync(s);
    if (!route__buckets_pick_begin(&s->load, exclude))
        return scan_guarded(s, req, view, env, exclude);
    k = fast_guarded(s, f, req, view, env, exclude);
    route__buckets_pick_end(&s->load);
    return k != -3 ? k : scan_guarded(s, req, view, env, exclude);
}

/* The pass. */
static int32_t scan_guarded(struct guarded *s, const struct route_req *req,
                            const struct route_view *view, const struct route_env *env,
                            const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t least = ROUTE_NONE, smallest = ROUTE_NONE, min = 0, max = 0;
    uint32_t ties = 0, small_ties = 0, small_size = 0;
    uint32_t m;

    for (uint32_t i = 0; i < view->n; i++) {
        int32_t load;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        load = view->b[i].inflight;
        if (least < 0 || load > max)
            max = load;
        if (least < 0 || load < min) {
            least = (int32_t)i;
            min = load;
            ties = 1;
        } else if (load == min && route_rand_below(env, ++ties) == 0) {
            least = (int32_t)i;
        }
        if (s->smallest_tree) {
            uint32_t size = route__pidx_size(&s->idx, i);
            if (smallest < 0 || size < small_size) {
                smallest = (int32_t)i;
                small_size = size;
                small_ties = 1;
            } else if (size == small_size && route_rand_below(env, ++small_ties) == 0) {
                smallest = (int32_t)i;
            }
        }
    }
    if (least < 0)
        return route__no_pick(c);
    if ((double)max - (double)min > s->bal_abs && (double)max > s->bal_rel * (double)min)
        return least; /* imbalanced */
    m = route__pidx_match(&s->idx, req->blocks, req->n_blocks);
    if (m > 0) {
        uint32_t len;
        int32_t i = route__pidx_best_matched(&s->idx, view, exclude, env, &len);
        if (i >= 0 && (double)len > s->cache_threshold * (double)m)
            return i;
    }
    return s->smallest_tree ? smallest : least;
}

static void dispatch_guarded(void *state, uint32_t backend, const struct route_req *req,
                             const struct route_env *env)
{
    struct guarded *s = state;
    route__pidx_on_dispatch(state, backend, req, env);
    if (s->smallest_tree && s->fleet != NULL && backend < s->n)
        ca_refile_small(s, backend); /* its index size changed */
}

const struct route_ops route__ops_cache_aware_guarded = {
    ROUTE_OPS_INIT,
    .name = "cache_aware_guarded",
    .summary = "best prefix match above a threshold unless load is imbalanced, else least in "
               "flight",
    .source = "SGLang model gateway cache_aware (sgl-model-gateway src/policies/cache_aware.rs, "
              "library defaults); AIBrix prefix-cache (prefix_cache.go)",
    .params = guarded_params,
    .n_params = CA_COUNT_,
    .min_children = 0,
    .max_children = 0,
    .create = create_guarded,
    .destroy = destroy_guarded,
    .pick = pick_guarded,
    .on_dispatch = dispatch_guarded,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
