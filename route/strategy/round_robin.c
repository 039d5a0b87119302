/*
 * round_robin.c - strategy `round_robin`: nginx smooth weighted
 * round-robin.
 *
 * Reproduces ngx_http_upstream_get_peer() in
 * src/http/ngx_http_upstream_round_robin.c (nginx commit 2c969143, 2012,
 * "Upstream: smooth weighted round-robin balancing", nginx >= 1.3.1): on
 * each pick every eligible backend's current weight grows by its weight, the
 * largest current weight wins (first, i.e. lowest index, on ties) and loses
 * the total of the weights added.  Weights {5, 1, 1} give a a b a c a a;
 * equal weights give plain cyclic order, which is what vLLM production-stack,
 * SGLang, Dynamo and Envoy call round-robin (docs/notes/routers.md §4 row 3).
 *
 * Quirks / choices:
 *  - Ineligible backends (down, excluded, saturated) neither accumulate nor
 *    pay, as nginx skips down/failed/max_conns peers; they keep their
 *    current weight until eligible again.
 *  - nginx's effective_weight (lowered after failures, recovering by 1 per
 *    pick) is not modelled: failures are the health layer's job here.
 *  - Weight 0 backends are skipped while any eligible weight is positive;
 *    if all eligible weights are 0 every eligible backend counts as weight 1
 *    (cyclic order) rather than answering 429.
 *  - One counter set per router instance (vLLM-PS keys its counter by the
 *    endpoint set: a later option).
 * State: one int64 current weight per backend.  |current| stays below
 * n * sum(weights) < 2^52, far from overflow.
 *
 * Pick.  nginx's pass is O(n).  In a router with ROUTE__INDEX_MIN_N (32)
 * backends or more (the fleet gives the eligible set as a bitset,
 * O(n / 64)) the same sequence is produced in O(n / 64 + D + log n), D the
 * number of distinct weights: backends are grouped by weight; within a
 * group every eligible backend gains the same weight on each pick, so the
 * group keeps its eligible members in a max-heap of (current - offset,
 * lowest index first) with one offset per group that grows by the weight
 * each pick; the winner is the best of the D group tops (ties to the lowest
 * index, as nginx) and loses the total at once.  Backends that become
 * ineligible (down, saturated, excluded) leave their group's heap with
 * their current weight frozen, and re-enter when eligible again: O(log n)
 * per change of eligibility between picks.  With equal weights (D = 1) this
 * is plain cyclic order from a heap.  With fewer backends (up to 64, one
 * bitset word) in a router, the same nginx pass runs over the set bits of
 * the fleet's eligible word with the weights copied at creation: no view
 * entry is read, and a backend of weight 0 costs nothing.  Outside a router
 * (tests creating the state by hand) the O(n) pass runs on the view.
 */
#include <stdlib.h>

#include "route_int.h"

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* Fold a group's offset into its members before it gets near overflow. */
#define RR_FOLD ((int64_t)1 << 60)

struct rr_state {
    uint32_t n, words;
    int64_t *current; /* nginx current_weight; minus off[cls] for heap members */
    uint32_t *cls;    /* group of each backend */
    uint32_t n_cls;
    uint32_t *cls_w; /* weight of each group */
    int64_t *off;    /* per group */
    uint32_t *cnt;   /* heap members per group */
    struct route__heap *heap;
    uint32_t *items;  /* heap arrays, carved per group */
    uint32_t *pos;    /* shared by the group heaps */
    int64_t *key;     /* -current of members */
    uint64_t *member; /* bitset of heap members */
    bool fast;        /* the heaps hold the eligible backends */
    const struct route__fleet *fleet;
    /* Small fleets (n < ROUTE__INDEX_MIN_N, one bitset word) in a router:
     * its unusable / saturated bits, the weights, and the backends of
     * positive weight as a word. */
    const struct route__fleet *small;
    uint32_t *w;
    uint64_t w_pos;
};

static void destroy_rr(void *state)
{
    struct rr_state *s = state;
    if (s == NULL)
        return;
    free(s->current);
    free(s->cls);
    free(s->cls_w);
    free(s->off);
    free(s->cnt);
    free(s->heap);
    free(s->items);
    free(s->pos);
    free(s->key);
    free(s->member);
    free(s->w);
    free(s);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int create_rr(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t n = args->n_backends, m = n > 0 ? n : 1, k = 0, at = 0;
    struct rr_state *s = calloc(1, sizeof *s);
    uint32_t *ws = NULL, *per = NULL;
    if (s != NULL) {
        s->current = calloc(m, sizeof *s->current);
        s->cls = calloc(m, sizeof *s->cls);
        s->cls_w = calloc(m, sizeof *s->cls_w);
        s->off = calloc(m, sizeof *s->off);
        s->cnt = calloc(m, sizeof *s->cnt);
        s->heap = calloc(m, sizeof *s->heap);
        s->items = calloc(m, sizeof *s->items);
        s->pos = calloc(m, sizeof *s->pos);
        s->key = calloc(m, sizeof *s->key);
        s->member = calloc(ROUTE_EXCLUDE_WORDS(m), sizeof *s->member);
        s->w = calloc(m, sizeof *s->w);
        ws = calloc(m, sizeof *ws);
        per = calloc(m, sizeof *per);
    }
    if (s == NULL || s->current == NULL || s->cls == NULL || s->cls_w == NULL || s->off == NULL ||
        s->cnt == NULL || s->heap == NULL || s->items == NULL || s->pos == NULL || s->key == NULL ||
        s->member == NULL || s->w == NULL || ws == NULL || per == NULL) {
        free(ws);
        free(per);
        destroy_rr(s);
        route__errf(err, errlen, "strategy 'round_robin': out of memory");
        return -1;
    }
    s->n = n;
    s->words = ROUTE_EXCLUDE_WORDS(m);
    for (uint32_t i = 0; i < n; i++)
        ws[i] = args->cfgs != NULL ? args->cfgs[i].weight : 0;
    qsort(ws, n, sizeof *ws, cmp_u32);
    for (uint32_t i = 0; i < n; i++) {
        if (k == 0 || ws[k - 1] != ws[i])
            ws[k++] = ws[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = args->cfgs != NULL ? args->cfgs[i].weight : 0, lo = 0, hi = k;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ws[mid] <= w)
                lo = mid;
            else
                hi = mid;
        }
        s->cls[i] = lo;
        per[lo]++;
        s->pos[i] = ROUTE__ABSENT;
    }
    s->n_cls = k;
    for (uint32_t c = 0; c < k; c++) {
        s->cls_w[c] = ws[c];
        s->heap[c].item = s->items + at;
        s->heap[c].cap = per[c];
        s->heap[c].pos = s->pos;
        s->heap[c].key = s->key;
        at += per[c];
    }
    free(ws);
    free(per);
    s->fleet = route__fleet_for(args);
    for (uint32_t i = 0; i < n; i++) {
        s->w[i] = args->cfgs != NULL ? args->cfgs[i].weight : 0;
        if (s->w[i] > 0 && i < 64u)
            s->w_pos |= (uint64_t)1 << i;
    }
    if (s->fleet == NULL && n <= 64u)
        s->small = route__node_fleet_bits(args->node);
    *state = s;
    return 0;
}

/* Leave the heap representation: every member's current weight made true. */
static void materialize(struct rr_state *s)
{
    for (uint32_t c = 0; c < s->n_cls; c++) {
        struct route__heap *h = &s->heap[c];
        for (uint32_t p = 0; p < h->n; p++) {
            s->current[h->item[p]] += s->off[c];
            s->pos[h->item[p]] = ROUTE__ABSENT;
        }
        h->n = 0;
        s->off[c] = 0;
        s->cnt[c] = 0;
    }
    for (uint32_t w = 0; w < s->words; w++)
        s->member[w] = 0;
    s->fast = false;
}

static void join(struct rr_state *s, uint32_t i)
{
    uint32_t c = s->cls[i];
    s->current[i] -= s->off[c];
    route__heap_set(&s->heap[c], i, -s->current[i]);
    s->cnt[c]++;
}

static void leave(struct rr_state *s, uint32_t i)
{
    uint32_t c = s->cls[i];
    route__heap_remove(&s->heap[c], i);
    s->current[i] += s->off[c];
    s->cnt[c]--;
}

/* The pick on the group heaps (fleet present, s->fast). */
static int32_t pick_fast(struct rr_state *s, const struct route__fleet *f,
                         const struct route_view *view, const uint64_t *exclude)
{
    uint64_t total = 0;
    int64_t best_val = 0;
    int32_t best = -1;
    bool any = false, unit;
    for (uint32_t w = 0; w < s->words; w++) {
        uint64_t now = ~(f->unusable[w] | f->saturated[w] | (exclude != NULL ? exclude[w] : 0)) &
                       route__word_mask(s->n, w);
        for (uint64_t d = now ^ s->member[w]; d != 0; d &= d - 1u) {
            uint32_t i = w * 64u + route__ctz64(d);
            if ((now >> (i & 63u)) & 1u)
                join(s, i);
            else
                leave(s, i);
        }
        s->member[w] = now;
        any = any || now != 0;
    }
    if (!any)
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    for (uint32_t c = 0; c < s->n_cls; c++)
        total += (uint64_t)s->cls_w[c] * s->cnt[c];
    unit = total == 0; /* all eligible weights 0: count each as 1 */
    for (uint32_t c = 0; c < s->n_cls; c++) {
        int64_t wc = unit ? s->cls_w[c] == 0 : (int64_t)s->cls_w[c], val;
        uint32_t top;
        if (wc == 0 || s->cnt[c] == 0)
            continue;
        if (unit)
            total += s->cnt[c];
        s->off[c] += wc;
        top = s->heap[c].item[0];
        val = s->current[top] + s->off[c];
        if (best < 0 || val > best_val || (val == best_val && top < (uint32_t)best)) {
            best = (int32_t)top;
            best_val = val;
        }
    }
    s->current[best] -= (int64_t)total;
    route__heap_set(&s->heap[s->cls[best]], (uint32_t)best, -s->current[best]);
    for (uint32_t c = 0; c < s->n_cls; c++) {
        struct route__heap *h = &s->heap[c];
        if (s->off[c] < RR_FOLD)
            continue;
        for (uint32_t p = 0; p < h->n; p++) { /* the same shift for all: order kept */
            s->current[h->item[p]] += s->off[c];
            s->key[h->item[p]] = -s->current[h->item[p]];
        }
        s->off[c] = 0;
    }
    return best;
}

/* The nginx pass over one word of backends (the router's view, n <= 64):
 * the eligible set from the fleet's bits, each eligible backend gains its
 * weight (1 each if all eligible weights are 0), the largest current weight
 * wins (lowest index on ties: bits in increasing order, strict >) and pays
 * the total.  The same values as the pass over the view below. */
static int32_t pick_small(struct rr_state *s, const struct route__fleet *f, const uint64_t *exclude)
{
    uint64_t usable =
        ~(f->unusable[0] | (exclude != NULL ? exclude[0] : 0)) & route__word_mask(s->n, 0);
    uint64_t elig = usable & ~f->saturated[0], set = elig & s->w_pos;
    int64_t *cur = s->current, total, best_val;
    uint32_t best;
    bool unit = set == 0; /* all eligible weights 0: each counts as 1 (cyclic order) */
    if (elig == 0)
        return usable != 0 ? ROUTE_FULL : ROUTE_NONE;
    if (unit)
        set = elig;
    best = route__ctz64(set);
    total = unit ? 1 : (int64_t)s->w[best];
    cur[best] += total;
    best_val = cur[best];
    for (set &= set - 1u; set != 0; set &= set - 1u) {
        uint32_t i = route__ctz64(set);
        int64_t w = unit ? 1 : (int64_t)s->w[i], v = cur[i] + w;
        cur[i] = v;
        total += w;
        if (v > best_val) { /* strict: the lowest index wins ties */
            best_val = v;
            best = i;
        }
    }
    cur[best] -= total;
    return (int32_t)best;
}

/* The heaps, or nginx's pass over the view.  Kept out of line so that
 * pick_rr's common small-fleet case saves no registers. */
static NOINLINE int32_t pick_other(struct rr_state *s, const struct route_view *view,
                                   const uint64_t *exclude)
{
    const struct route__fleet *f;
    struct route__count c = {0, 0};
    uint32_t n;
    int64_t total = 0, unit;
    int32_t best = -1;
    f = route__fleet_of(s->fleet, view);
    if (f != NULL && view->n == s->n) {
        s->fast = true;
        return pick_fast(s, f, view, exclude);
    }
    n = view->n < s->n ? view->n : s->n;
    if (s->fast)
        materialize(s);
    /* Pass 1: is any eligible weight positive?  Decides the weight rule. */
    for (uint32_t i = 0; i < n; i++) {
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
    unit = total == 0; /* all weights 0: count each as 1 */
    total = 0;
    /* Pass 2: ngx_http_upstream_get_peer. */
    for (uint32_t i = 0; i < n; i++) {
        int64_t w;
        if (!route__eligible(view, exclude, i))
            continue;
        w = unit ? 1 : (int64_t)view->b[i].cfg.weight;
        if (w == 0)
            continue;
        s->current[i] += w;
        total += w;
        if (best < 0 || s->current[i] > s->current[best])
            best = (int32_t)i;
    }
    s->current[best] -= total;
    return best;
}

static int32_t pick_rr(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    struct rr_state *s = state;
    (void)req;
    (void)env;
    if (s->small != NULL && s->small->view == view && view->n == s->n)
        return pick_small(s, s->small, exclude);
    return pick_other(s, view, exclude);
}

const struct route_ops route__ops_round_robin = {
    ROUTE_OPS_INIT,
    .name = "round_robin",
    .summary = "smooth weighted round-robin (nginx); cyclic with equal weights",
    .source = "nginx ngx_http_upstream_get_peer smooth WRR (commit 2c969143, nginx 1.3.1+)",
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_rr,
    .destroy = destroy_rr,
    .pick = pick_rr,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
