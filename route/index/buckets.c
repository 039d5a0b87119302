/*
 * buckets.c - load buckets (route_int.h): the backends grouped by
 * in-flight count, kept from a router's journal, for least_inflight and
 * cache_aware_guarded.  The minimum / maximum load of the eligible
 * backends in O(1), a uniformly random eligible backend of a bucket in
 * O(1) expected (rejection, then an exact count-and-locate).
 */
#include <stdlib.h>

#include "route_int.h"

#define NB    ROUTE__BUCKETS_NB
#define KMAX  ROUTE__BUCKETS_KMAX
#define TRIES 8u
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif
_Static_assert(ROUTE__BUCKETS_WORDS <= 64, "the bucket summary is one word");

int route__buckets_init(struct route__buckets *b, const struct route__fleet *f, uint32_t n)
{
    uint32_t m = n > 0 ? n : 1;
    memset(b, 0, sizeof *b);
    b->fleet = f;
    b->n = n;
    b->cursor = UINT64_MAX;
    b->ord = calloc(m, sizeof *b->ord);
    b->pos = calloc(m, sizeof *b->pos);
    b->bkt = calloc(m, sizeof *b->bkt);
    b->sat = calloc(m, sizeof *b->sat);
    b->start = calloc(NB + 1u, sizeof *b->start);
    b->nsat = calloc(NB, sizeof *b->nsat);
    b->nex = calloc(NB, sizeof *b->nex);
    if (b->ord == NULL || b->pos == NULL || b->bkt == NULL || b->sat == NULL || b->start == NULL ||
        b->nsat == NULL || b->nex == NULL) {
        route__buckets_free(b);
        return -1;
    }
    return 0;
}

void route__buckets_free(struct route__buckets *b)
{
    free(b->ord);
    free(b->pos);
    free(b->bkt);
    free(b->sat);
    free(b->start);
    free(b->nsat);
    free(b->nex);
    memset(b, 0, sizeof *b);
}

static inline uint32_t bucket_of(const struct route_backend *v)
{
    int32_t load = v->inflight > 0 ? v->inflight : 0;
    if (!(v->health == ROUTE_HEALTHY || v->health == ROUTE_HALF_OPEN))
        return 0;
    return 1u + ((uint32_t)load < KMAX ? (uint32_t)load : KMAX);
}

static inline void swap_pos(struct route__buckets *b, uint32_t p, uint32_t q)
{
    uint32_t x = b->ord[p], y = b->ord[q];
    b->ord[p] = y;
    b->ord[q] = x;
    b->pos[y] = p;
    b->pos[x] = q;
}

/* Bucket k >= 1 gained an unsaturated member: its bit in live is set.
 * Bits are cleared lazily, by route__buckets_extreme, when it meets a
 * bucket whose last unsaturated member left (one clear per set: O(1)
 * amortised, and nothing to do on the far more frequent moves). */
static inline void live_on(struct route__buckets *b, uint32_t k)
{
    b->live[k >> 6] |= (uint64_t)1 << (k & 63u);
    b->live_sum |= (uint64_t)1 << (k >> 6);
}

/* Clear bucket k's bit if it has no unsaturated member. */
static inline void live_check_off(struct route__buckets *b, uint32_t k)
{
    uint32_t w = k >> 6;
    if (b->start[k + 1] - b->start[k] > b->nsat[k])
        return;
    b->live[w] &= ~((uint64_t)1 << (k & 63u));
    if (b->live[w] == 0)
        b->live_sum &= ~((uint64_t)1 << w);
}

/* Move backend i to bucket `to`, one bucket boundary per step (the
 * buckets in between keep their sizes). */
static inline void move_to(struct route__buckets *b, uint32_t i, uint32_t to)
{
    uint32_t k = b->bkt[i];
    for (; k < to; k++) { /* become the first of bucket k + 1 */
        swap_pos(b, b->pos[i], b->start[k + 1] - 1u);
        b->start[k + 1]--;
    }
    for (; k > to; k--) { /* become the last of bucket k - 1 */
        swap_pos(b, b->pos[i], b->start[k]);
        b->start[k]++;
    }
    b->bkt[i] = to;
}

/* Backend i moves to bucket `to` or changes saturation.  Out of line:
 * the journal loop stays small for the entries that change neither. */
NOINLINE static void refile_slow(struct route__buckets *b, uint32_t i, uint32_t to, bool sat)
{
    uint32_t from = b->bkt[i];
    if (b->sat[i])
        b->nsat[from]--;
    move_to(b, i, to);
    if (sat)
        b->nsat[to]++;
    if (!sat && to != 0)
        live_on(b, to);
    b->sat[i] = sat;
}

/* File backend i in bucket `to`, saturated or not. */
static inline void refile(struct route__buckets *b, uint32_t i, uint32_t to, bool sat)
{
    if (b->bkt[i] != to || b->sat[i] != sat)
        refile_slow(b, i, to, sat);
}

static void rebuild(struct route__buckets *b)
{
    const struct route_backend *v = b->fleet->view->b;
    uint32_t *cnt = b->start; /* counts first, then prefix sums */
    for (uint32_t k = 0; k <= NB; k++)
        cnt[k] = 0;
    for (uint32_t k = 0; k < NB; k++)
        b->nsat[k] = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        b->bkt[i] = bucket_of(&v[i]);
        b->sat[i] = b->bkt[i] != 0 && route__saturated(&v[i]);
        b->nsat[b->bkt[i]] += b->sat[i];
        cnt[b->bkt[i] + 1]++;
    }
    for (uint32_t k = 1; k <= NB; k++)
        cnt[k] += cnt[k - 1];
    /* start[k] = number of backends in buckets < k; place, advancing it */
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t p = b->start[b->bkt[i]]++;
        b->ord[p] = i;
        b->pos[i] = p;
    }
    for (uint32_t k = NB; k > 0; k--)
        b->start[k] = b->start[k - 1];
    b->start[0] = 0;
    memset(b->live, 0, sizeof b->live);
    b->live_sum = 0;
    for (uint32_t k = 1; k < NB; k++) {
        if (b->start[k + 1] - b->start[k] > b->nsat[k])
            live_on(b, k);
    }
}

/* Count (add) or uncount the excluded unsaturated usable backends into
 * their buckets. */
static void count_excluded(struct route__buckets *b, bool add)
{
    const struct route__fleet *f = b->fleet;
    for (uint32_t w = 0; w < f->words; w++) {
        uint64_t x = b->ex[w] & ~f->unusable[w] & ~f->saturated[w] & route__word_mask(b->n, w);
        for (; x != 0; x &= x - 1u) {
            uint32_t i = w * 64u + route__ctz64(x);
            if (add)
                b->nex[b->bkt[i]]++;
            else
                b->nex[b->bkt[i]]--;
        }
    }
}

struct sync_ctx {
    struct route__buckets *b;
    const struct route_backend *v; /* the view's backends */
};

static void sync_one(void *ctx, uint32_t i)
{
    const struct sync_ctx *c = ctx;
    uint32_t to;
    if (i >= c->b->n)
        return;
    to = bucket_of(&c->v[i]);
    refile(c->b, i, to, to != 0 && route__saturated(&c->v[i]));
}

void route__buckets_catch_up(struct route__buckets *b)
{
    struct sync_ctx c = {b, b->fleet->view->b};
    if (!route__fleet_drain(b->fleet, &b->cursor, sync_one, &c))
        rebuild(b);
}

bool route__buckets_exclude(struct route__buckets *b, const uint64_t *ex)
{
    uint32_t n_ex = 0;
    for (uint32_t w = 0; w < b->fleet->words; w++)
        n_ex += route__popcount64(ex[w] & route__word_mask(b->n, w));
    if (n_ex > b->n / 4)
        return false;
    b->ex = ex;
    b->n_ex = n_ex;
    if (n_ex > 0)
        count_excluded(b, true);
    return true;
}

void route__buckets_unexclude(struct route__buckets *b)
{
    count_excluded(b, false);
    b->n_ex = 0;
}

/* Lowest (up) or highest live bucket at or beyond k, or 0 when none. */
static inline uint32_t next_live(const struct route__buckets *b, uint32_t k, bool up)
{
    uint32_t w = k >> 6;
    uint64_t x, sum;
    if (up) {
        x = b->live[w] & (~(uint64_t)0 << (k & 63u));
        if (x != 0)
            return w * 64u + route__ctz64(x);
        sum = w + 1 < 64 ? b->live_sum & (~(uint64_t)0 << (w + 1)) : 0;
        if (sum == 0)
            return 0;
        w = route__ctz64(sum);
        return w * 64u + route__ctz64(b->live[w]);
    }
    x = b->live[w] & (~(uint64_t)0 >> (63u - (k & 63u)));
    if (x != 0)
        return w * 64u + route__msb64(x);
    sum = w > 0 ? b->live_sum & (~(uint64_t)0 >> (64u - w)) : 0;
    if (sum == 0)
        return 0;
    w = route__msb64(sum);
    return w * 64u + route__msb64(b->live[w]);
}

/* Eligible members of bucket k for this pick. */
static inline uint32_t eligible_in(const struct route__buckets *b, uint32_t k)
{
    return b->start[k + 1] - b->start[k] - b->nsat[k] - b->nex[k];
}

/* The search of route__buckets_extreme. */
static inline uint32_t extreme(struct route__buckets *b, bool up)
{
    uint32_t k = next_live(b, up ? 1u : NB - 1u, up);
    while (k != 0 && eligible_in(b, k) == 0) {
        live_check_off(b, k);
        if (up ? k + 1 >= NB : k <= 1)
            return 0;
        k = next_live(b, up ? k + 1 : k - 1, up);
    }
    return k;
}

uint32_t route__buckets_extreme(struct route__buckets *b, bool up)
{
    return extreme(b, up);
}

/* draw() when bucket k has e < its size eligible members (saturated or
 * excluded ones): rejection, then an exact count-and-locate. */
NOINLINE static int32_t draw_some(const struct route__buckets *b, uint32_t k, uint32_t e,
                                  const struct route_env *env)
{
    uint32_t p0 = b->start[k], sz = b->start[k + 1] - p0;
    for (uint32_t t = 0; t < TRIES; t++) {
        uint32_t i = b->ord[p0 + route_rand_below(env, sz)];
        if (route__fleet_eligible(b->fleet, b->ex, i))
            return (int32_t)i;
    }
    e = route_rand_below(env, e);
    for (uint32_t p = p0; p < p0 + sz; p++) {
        if (route__fleet_eligible(b->fleet, b->ex, b->ord[p]) && e-- == 0)
            return (int32_t)b->ord[p];
    }
    return ROUTE_NONE; /* cannot happen: the counts say k has one */
}

/* A uniformly random eligible member of bucket k (which has one). */
static inline int32_t draw(const struct route__buckets *b, uint32_t k, const struct route_env *env)
{
    uint32_t p0 = b->start[k], sz = b->start[k + 1] - p0, e = eligible_in(b, k);
    if (e < sz)
        return draw_some(b, k, e, env);
    return (int32_t)b->ord[sz == 1 ? p0 : p0 + route_rand_below(env, sz)];
}

int32_t route__buckets_draw(const struct route__buckets *b, uint32_t k, const struct route_env *env)
{
    return draw(b, k, env);
}

int32_t route__buckets_least(struct route__buckets *b, const struct route_env *env)
{
    uint32_t k = extreme(b, true);
    if (k == 0)
        return ROUTE_NONE;
    if (k == ROUTE__BUCKETS_OVERFLOW)
        return ROUTE__BUCKETS_PASS;
    return draw(b, k, env);
}
