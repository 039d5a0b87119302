/*
 * route_prefix.c - prefix-cache-aware strategies over the router-side
 * block index of route_prefix_index.c (per-backend LRU of block hashes,
 * updated on dispatch from routing decisions, as GIE's approximate
 * prefix-cache scorer does).
 *
 * `prefix_affinity` (GIE prefix-cache-scorer used alone;
 * gateway-api-inference-extension@1748e829,
 * pkg/epp/framework/plugins/scheduling/scorer/prefix; vLLM production-stack
 * `prefixaware`, routing_logic.py; reference/routers.md §2.3, §4 row 19):
 *   m_i = leading blocks of the request that backend i holds in the index.
 *   Among the eligible backends take those with the longest match M; if
 *   M = 0 or M / blocks < min_match, take all eligible instead.  Among the
 *   kept set, the fewest in flight wins, ties uniformly at random.
 *   So ties on the match (vLLM-PS: "random among matched") and requests
 *   without blocks go to the least loaded, like vLLM-PS's below-threshold
 *   fallback (which uses lowest QPS).  lru_blocks defaults to GIE's
 *   lruCapacityPerServer (31250).  With a match the pick costs
 *   O(blocks x n / 64) word operations plus the best holders' check;
 *   without one it scans the n backends.
 *
 * `cache_aware_guarded` (SGLang model gateway cache_aware,
 * sgl-model-gateway/src/policies/cache_aware.rs; AIBrix prefix-cache,
 * pkg/plugins/gateway/algorithms/prefix_cache.go; reference/routers.md
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
 *   reference/routers.md §2.6): set the three parameters to replay them.
 *   AIBrix's variant (abs imbalance 16 only, match among running <=
 *   mean + 2 sigma) is not reproduced.  SGLang matches characters of raw
 *   text in a radix tree with periodic LRU trimming; here whole blocks in an
 *   LRU per backend.
 *   Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 *   pass over the view for the load range and the least loaded (O(n)).  In
 *   a router: load buckets as least_inflight keeps them (the usable
 *   backends in an array sorted by in-flight count, one bucket per count,
 *   one swap per dispatch or completion, kept from the router's journal of
 *   view changes), with per bucket the number of saturated members and a
 *   two-level bitset of the buckets holding an unsaturated one: the lowest
 *   and highest such bucket, min and max load, in O(1).  An exclude set is
 *   counted into its members' buckets for the pick (O(n / 64 +
 *   excluded)); a bucket it empties is skipped, O(1) each.  The least
 *   loaded is drawn uniformly in the min bucket (rejection, then an exact
 *   count-and-locate).  The match path walks the holders of the deepest
 *   matched level as before (O(blocks x n / 64 + holders)); compat = 1
 *   keeps the eligible backends in an idle set + heap by index size,
 *   updated on dispatch (O(log n)).  Loads of LI_KMAX (1024) or more, or
 *   an exclude set of more than a quarter of the backends: the pass.  Same
 *   rule and distribution; random draws differ.
 */
#include <stdlib.h>

#include "route_prefix_int.h"

/* Least in flight among eligible backends of the whole view, random ties;
 * NONE/FULL when none is eligible. */
static int32_t least_inflight_all(const struct route_view *view, const uint64_t *exclude,
                                  const struct route_env *env)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE, min = 0;
    uint32_t ties = 0;
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
        } else if (load == min && route_rand_below(env, ++ties) == 0) {
            best = (int32_t)i;
        }
    }
    return best < 0 ? route__no_pick(c) : best;
}

/* The best-matching eligible backends of the last match: the deepest
 * level (holders of blocks 0..j) with an eligible backend; among those, the
 * fewest in flight, random ties.  Sets *len to the match (0 and returns
 * ROUTE_NONE when no eligible backend matches a block).  Walks set bits:
 * O(levels x words + holders visited). */
static int32_t best_matched(const struct route__pidx *x, const struct route_view *view,
                            const uint64_t *exclude, const struct route_env *env, uint32_t *len)
{
    for (uint32_t j = x->depth; j-- > 0;) {
        const uint64_t *set = route__pidx_level(x, j);
        int32_t best = ROUTE_NONE, min = 0;
        uint32_t ties = 0;
        for (uint32_t wi = 0; wi < x->words; wi++) {
            for (uint64_t word = set[wi]; word != 0; word &= word - 1) {
                uint32_t i = wi * 64u + (uint32_t)__builtin_ctzll(word);
                int32_t load;
                if (i >= view->n || !route__eligible(view, exclude, i))
                    continue;
                load = view->b[i].inflight;
                if (best < 0 || load < min) {
                    best = (int32_t)i;
                    min = load;
                    ties = 1;
                } else if (load == min && route_rand_below(env, ++ties) == 0) {
                    best = (int32_t)i;
                }
            }
        }
        if (best >= 0) {
            *len = j + 1;
            return best;
        }
    }
    *len = 0;
    return ROUTE_NONE;
}

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
    struct route__pidx idx; /* first: dispatch_prefix relies on it */
    double min_match;
};

static void destroy_affinity(void *state)
{
    struct affinity *s = state;
    if (s == NULL)
        return;
    route__pidx_free(&s->idx);
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
        int32_t i = best_matched(&s->idx, view, exclude, env, &len);
        if (i >= 0 && (double)len >= s->min_match * (double)m)
            return i;
    }
    return least_inflight_all(view, exclude, env);
}

static void dispatch_prefix(void *state, uint32_t backend, const struct route_req *req,
                            const struct route_env *env)
{
    /* Both strategies' states begin with their index. */
    struct route__pidx *x = state;
    (void)env;
    if (req->n_blocks > 0)
        route__pidx_insert(x, backend, req->blocks, req->n_blocks);
}

const struct route_ops route__ops_prefix_affinity = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "prefix_affinity",
    .summary = "longest prefix match in a router-side per-backend LRU block index, else least "
               "in flight",
    .source = "GIE prefix-cache-scorer, approximate (gateway-api-inference-extension@1748e829 "
              "scorer/prefix); vLLM production-stack prefixaware",
    .needs = ROUTE_NEED_INFLIGHT,
    .params = affinity_params,
    .n_params = PA_COUNT_,
    .min_children = 0,
    .max_children = 0,
    .create = create_affinity,
    .destroy = destroy_affinity,
    .pick = pick_affinity,
    .on_dispatch = dispatch_prefix,
    .on_first_token = NULL,
    .on_complete = NULL,
};

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

/* Load buckets (in a router): bucket 0 holds the backends that are not
 * usable, bucket b in 1 .. CA_KMAX those with b - 1 in flight, the last
 * one loads >= CA_KMAX (the pass answers then). */
#define CA_KMAX  1024u
#define CA_NB    (CA_KMAX + 2)
#define CA_WORDS ((CA_NB + 63u) / 64u)
#define CA_TRIES 8u
_Static_assert(CA_WORDS <= 64, "the bucket summary is one word");

struct guarded {
    struct route__pidx idx; /* first: dispatch_prefix relies on it */
    double bal_abs, bal_rel, cache_threshold;
    bool smallest_tree;
    /* the index, in a router (fleet != NULL) */
    const struct route__fleet *fleet;
    uint32_t n;
    uint64_t cursor;            /* journal position, UINT64_MAX: never built */
    uint32_t *ord;              /* backends by bucket */
    uint32_t *pos;              /* position of each backend in ord */
    uint32_t *bkt;              /* bucket of each backend */
    bool *sat;                  /* saturated, as filed */
    uint32_t *start;            /* CA_NB + 1: first position of each bucket */
    uint32_t *nsat;             /* CA_NB: saturated members per bucket */
    uint32_t *nex;              /* CA_NB: excluded unsaturated members, this pick (else 0) */
    uint64_t live[CA_WORDS];    /* buckets >= 1 with an unsaturated member */
    uint64_t live_sum;          /* bit w: live[w] != 0 */
    struct route__minidx small; /* compat = 1: eligible backends by index size */
};

static void destroy_guarded(void *state)
{
    struct guarded *s = state;
    if (s == NULL)
        return;
    route__pidx_free(&s->idx);
    free(s->ord);
    free(s->pos);
    free(s->bkt);
    free(s->sat);
    free(s->start);
    free(s->nsat);
    free(s->nex);
    if (s->smallest_tree && s->fleet != NULL)
        route__minidx_free(&s->small);
    free(s);
}

static int alloc_buckets(struct guarded *s, uint32_t n)
{
    uint32_t m = n > 0 ? n : 1;
    s->ord = calloc(m, sizeof *s->ord);
    s->pos = calloc(m, sizeof *s->pos);
    s->bkt = calloc(m, sizeof *s->bkt);
    s->sat = calloc(m, sizeof *s->sat);
    s->start = calloc(CA_NB + 1u, sizeof *s->start);
    s->nsat = calloc(CA_NB, sizeof *s->nsat);
    s->nex = calloc(CA_NB, sizeof *s->nex);
    if (s->ord == NULL || s->pos == NULL || s->bkt == NULL || s->sat == NULL || s->start == NULL ||
        s->nsat == NULL || s->nex == NULL)
        return -1;
    if (s->smallest_tree && route__minidx_init(&s->small, n) < 0) {
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
    s->fleet = route__fleet_for(args->n_backends);
    s->n = args->n_backends;
    s->cursor = UINT64_MAX;
    if (s->fleet != NULL && alloc_buckets(s, s->n) < 0) {
        destroy_guarded(s);
        route__errf(err, errlen, "strategy 'cache_aware_guarded': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

static uint32_t ca_bucket(const struct route_backend *b)
{
    int32_t load = b->inflight > 0 ? b->inflight : 0;
    if (!(b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN))
        return 0;
    return 1u + ((uint32_t)load < CA_KMAX ? (uint32_t)load : CA_KMAX);
}

static void ca_swap(struct guarded *s, uint32_t p, uint32_t q)
{
    uint32_t x = s->ord[p], y = s->ord[q];
    s->ord[p] = y;
    s->ord[q] = x;
    s->pos[y] = p;
    s->pos[x] = q;
}

/* Bucket b's bit in live: it has an unsaturated member. */
static void ca_live(struct guarded *s, uint32_t b)
{
    uint32_t w = b >> 6;
    bool on = b >= 1 && s->start[b + 1] - s->start[b] > s->nsat[b];
    route__bit_put(s->live, b, on);
    if (s->live[w] != 0)
        s->live_sum |= (uint64_t)1 << w;
    else
        s->live_sum &= ~((uint64_t)1 << w);
}

/* Move backend i to bucket `to`, one bucket boundary at a time (the
 * buckets in between keep their sizes). */
static void ca_move(struct guarded *s, uint32_t i, uint32_t to)
{
    uint32_t b = s->bkt[i];
    for (; b < to; b++) { /* become the first of bucket b + 1 */
        ca_swap(s, s->pos[i], s->start[b + 1] - 1u);
        s->start[b + 1]--;
    }
    for (; b > to; b--) { /* become the last of bucket b - 1 */
        ca_swap(s, s->pos[i], s->start[b]);
        s->start[b]++;
    }
    s->bkt[i] = to;
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
    const struct route_backend *b;
    uint32_t from, to;
    bool sat;
    if (i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    from = s->bkt[i];
    to = ca_bucket(b);
    sat = to != 0 && route__saturated(b);
    if (s->smallest_tree)
        ca_refile_small(s, i);
    if (from == to && sat == s->sat[i])
        return;
    s->nsat[from] -= s->sat[i];
    ca_move(s, i, to);
    s->sat[i] = sat;
    s->nsat[to] += sat;
    ca_live(s, from);
    ca_live(s, to);
}

static void ca_rebuild(struct guarded *s)
{
    const struct route_backend *v = s->fleet->view->b;
    uint32_t *cnt = s->start; /* counts first, then prefix sums */
    for (uint32_t b = 0; b <= CA_NB; b++)
        cnt[b] = 0;
    for (uint32_t b = 0; b < CA_NB; b++)
        s->nsat[b] = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        s->bkt[i] = ca_bucket(&v[i]);
        s->sat[i] = s->bkt[i] != 0 && route__saturated(&v[i]);
        s->nsat[s->bkt[i]] += s->sat[i];
        cnt[s->bkt[i] + 1]++;
    }
    for (uint32_t b = 1; b <= CA_NB; b++)
        cnt[b] += cnt[b - 1];
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t p = s->start[s->bkt[i]]++;
        s->ord[p] = i;
        s->pos[i] = p;
    }
    for (uint32_t b = CA_NB; b > 0; b--)
        s->start[b] = s->start[b - 1];
    s->start[0] = 0;
    memset(s->live, 0, sizeof s->live);
    s->live_sum = 0;
    for (uint32_t b = 1; b < CA_NB; b++)
        ca_live(s, b);
    if (s->smallest_tree) {
        route__minidx_clear(&s->small);
        for (uint32_t i = 0; i < s->n; i++)
            ca_refile_small(s, i);
    }
}

/* Lowest (up) or highest live bucket at or beyond b, or 0 when none. */
static uint32_t ca_next_live(const struct guarded *s, uint32_t b, bool up)
{
    uint32_t w = b >> 6;
    uint64_t x, sum;
    if (up) {
        x = s->live[w] & (~(uint64_t)0 << (b & 63u));
        if (x != 0)
            return w * 64u + route__ctz64(x);
        sum = w + 1 < 64 ? s->live_sum & (~(uint64_t)0 << (w + 1)) : 0;
        if (sum == 0)
            return 0;
        w = route__ctz64(sum);
        return w * 64u + route__ctz64(s->live[w]);
    }
    x = s->live[w] & (~(uint64_t)0 >> (63u - (b & 63u)));
    if (x != 0)
        return w * 64u + route__msb64(x);
    sum = w > 0 ? s->live_sum & (~(uint64_t)0 >> (64u - w)) : 0;
    if (sum == 0)
        return 0;
    w = route__msb64(sum);
    return w * 64u + route__msb64(s->live[w]);
}

/* Eligible members of bucket b for this pick. */
static uint32_t ca_eligible_in(const struct guarded *s, uint32_t b)
{
    return s->start[b + 1] - s->start[b] - s->nsat[b] - s->nex[b];
}

/* The lowest (up) or highest bucket with an eligible member, 0 if none. */
static uint32_t ca_extreme(const struct guarded *s, bool up)
{
    uint32_t b = ca_next_live(s, up ? 1u : CA_NB - 1u, up);
    while (b != 0 && ca_eligible_in(s, b) == 0) {
        if (up ? b + 1 >= CA_NB : b <= 1)
            return 0;
        b = ca_next_live(s, up ? b + 1 : b - 1, up);
    }
    return b;
}

/* Count (add) or uncount the excluded unsaturated usable backends into
 * their buckets. */
static void ca_count_excluded(struct guarded *s, const struct route__fleet *f, const uint64_t *ex,
                              bool add)
{
    for (uint32_t w = 0; w < f->words; w++) {
        uint64_t x = ex[w] & ~f->unusable[w] & ~f->saturated[w] & route__word_mask(s->n, w);
        for (; x != 0; x &= x - 1u) {
            uint32_t i = w * 64u + route__ctz64(x);
            if (add)
                s->nex[s->bkt[i]]++;
            else
                s->nex[s->bkt[i]]--;
        }
    }
}

/* A uniformly random eligible member of bucket b (which has one). */
static int32_t ca_draw(struct guarded *s, const struct route__fleet *f, const uint64_t *ex,
                       uint32_t b, const struct route_env *env)
{
    uint32_t p0 = s->start[b], sz = s->start[b + 1] - p0, k = ca_eligible_in(s, b);
    if (k == sz)
        return (int32_t)s->ord[p0 + route_rand_below(env, sz)];
    for (uint32_t t = 0; t < CA_TRIES; t++) {
        uint32_t i = s->ord[p0 + route_rand_below(env, sz)];
        if (route__fleet_eligible(f, ex, i))
            return (int32_t)i;
    }
    k = route_rand_below(env, k);
    for (uint32_t p = p0; p < p0 + sz; p++) {
        if (route__fleet_eligible(f, ex, s->ord[p]) && k-- == 0)
            return (int32_t)s->ord[p];
    }
    return ROUTE_NONE; /* cannot happen: the counts say b has one */
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
    uint32_t lo = ca_extreme(s, true), hi, m;
    int32_t min, max;
    if (lo == 0)
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    hi = ca_extreme(s, false);
    if (hi == CA_NB - 1u || lo == CA_NB - 1u)
        return -3; /* overflow bucket: loads unknown */
    min = (int32_t)lo - 1;
    max = (int32_t)hi - 1;
    if ((double)max - (double)min > s->bal_abs && (double)max > s->bal_rel * (double)min)
        return ca_draw(s, f, exclude, lo, env); /* imbalanced */
    m = route__pidx_match(&s->idx, req->blocks, req->n_blocks);
    if (m > 0) {
        uint32_t len;
        int32_t i = best_matched(&s->idx, view, exclude, env, &len);
        if (i >= 0 && (double)len > s->cache_threshold * (double)m)
            return i;
    }
    if (s->smallest_tree) {
        struct ca_small_ctx ctx = {f, exclude};
        int32_t i = route__minidx_pick(&s->small, env, ca_small_ok, &ctx);
        return i >= 0 ? i : -3;
    }
    return ca_draw(s, f, exclude, lo, env);
}

static int32_t pick_guarded(void *state, const struct route_req *req, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    struct guarded *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    uint32_t n_ex = 0;
    int32_t k;
    if (f == NULL || view->n != s->n)
        return scan_guarded(s, req, view, env, exclude);
    if (!route__fleet_drain(f, &s->cursor, ca_change, s))
        ca_rebuild(s);
    if (exclude != NULL) {
        for (uint32_t w = 0; w < f->words; w++)
            n_ex += route__popcount64(exclude[w] & route__word_mask(s->n, w));
        if (n_ex > s->n / 4)
            return scan_guarded(s, req, view, env, exclude);
        if (n_ex > 0)
            ca_count_excluded(s, f, exclude, true);
    }
    k = fast_guarded(s, f, req, view, env, exclude);
    if (n_ex > 0)
        ca_count_excluded(s, f, exclude, false);
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
        int32_t i = best_matched(&s->idx, view, exclude, env, &len);
        if (i >= 0 && (double)len > s->cache_threshold * (double)m)
            return i;
    }
    return s->smallest_tree ? smallest : least;
}

static void dispatch_guarded(void *state, uint32_t backend, const struct route_req *req,
                             const struct route_env *env)
{
    struct guarded *s = state;
    dispatch_prefix(state, backend, req, env);
    if (s->smallest_tree && s->fleet != NULL && backend < s->n)
        ca_refile_small(s, backend); /* its index size changed */
}

const struct route_ops route__ops_cache_aware_guarded = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "cache_aware_guarded",
    .summary = "best prefix match above a threshold unless load is imbalanced, else least in "
               "flight",
    .source = "SGLang model gateway cache_aware (sgl-model-gateway src/policies/cache_aware.rs, "
              "library defaults); AIBrix prefix-cache (prefix_cache.go)",
    .needs = ROUTE_NEED_INFLIGHT,
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
};
