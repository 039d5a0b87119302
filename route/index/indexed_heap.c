/*
 * indexed_heap.c - the indexed binary min-heap over backend indices, its
 * ordered walk, and the argmin index with random ties (route__minidx) the
 * built-in strategies keep their candidates in (route_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

static void heap_swap(struct route__heap *h, uint32_t a, uint32_t b)
{
    uint32_t x = h->item[a], y = h->item[b];
    h->item[a] = y;
    h->item[b] = x;
    h->pos[y] = a;
    h->pos[x] = b;
}

static void heap_up(struct route__heap *h, uint32_t p)
{
    while (p > 0) {
        uint32_t q = (p - 1) / 2;
        if (!route__heap_less(h, h->item[p], h->item[q]))
            break;
        heap_swap(h, p, q);
        p = q;
    }
}

static void heap_down(struct route__heap *h, uint32_t p)
{
    for (;;) {
        uint32_t l = 2 * p + 1, m = p;
        if (l < h->n && route__heap_less(h, h->item[l], h->item[m]))
            m = l;
        if (l + 1 < h->n && route__heap_less(h, h->item[l + 1], h->item[m]))
            m = l + 1;
        if (m == p)
            return;
        heap_swap(h, p, m);
        p = m;
    }
}

int route__heap_init(struct route__heap *h, uint32_t n)
{
    uint32_t m = n > 0 ? n : 1;
    memset(h, 0, sizeof *h);
    h->item = calloc(m, sizeof *h->item);
    h->pos = calloc(m, sizeof *h->pos);
    h->key = calloc(m, sizeof *h->key);
    h->cap = n;
    if (h->item == NULL || h->pos == NULL || h->key == NULL) {
        route__heap_free(h);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        h->pos[i] = ROUTE__ABSENT;
    return 0;
}

void route__heap_free(struct route__heap *h)
{
    free(h->item);
    free(h->pos);
    free(h->key);
    memset(h, 0, sizeof *h);
}

void route__heap_set(struct route__heap *h, uint32_t i, int64_t k)
{
    uint32_t p = h->pos[i];
    if (p == ROUTE__ABSENT) {
        if (h->n >= h->cap)
            return; /* cannot happen: capacity is the number of backends */
        p = h->n++;
        h->item[p] = i;
        h->pos[i] = p;
        h->key[i] = k;
        heap_up(h, p);
        return;
    }
    if (k == h->key[i])
        return;
    if (k < h->key[i]) {
        h->key[i] = k;
        heap_up(h, p);
    } else {
        h->key[i] = k;
        heap_down(h, p);
    }
}

void route__heap_remove(struct route__heap *h, uint32_t i)
{
    uint32_t p = h->pos[i], last, moved;
    if (p == ROUTE__ABSENT)
        return;
    last = --h->n;
    h->pos[i] = ROUTE__ABSENT;
    if (p == last)
        return;
    moved = h->item[last];
    h->item[p] = moved;
    h->pos[moved] = p;
    heap_up(h, p);
    heap_down(h, h->pos[moved]);
}

/* The frontier is a min-heap of slots of h, by the members at them. */
static bool walk_less(const struct route__heap_walk *w, uint32_t a, uint32_t b)
{
    return route__heap_less(w->h, w->h->item[a], w->h->item[b]);
}

static void walk_push(struct route__heap_walk *w, uint32_t slot)
{
    uint32_t p = w->nf++;
    w->fr[p] = slot;
    while (p > 0) {
        uint32_t q = (p - 1) / 2, t;
        if (!walk_less(w, w->fr[p], w->fr[q]))
            break;
        t = w->fr[p];
        w->fr[p] = w->fr[q];
        w->fr[q] = t;
        p = q;
    }
}

void route__heap_walk_start(struct route__heap_walk *w, const struct route__heap *h,
                            uint32_t *frontier)
{
    w->h = h;
    w->fr = frontier;
    w->nf = 0;
    if (h->n > 0)
        walk_push(w, 0);
}

int32_t route__heap_walk_next(struct route__heap_walk *w, int64_t bound)
{
    uint32_t slot, p = 0;
    if (w->nf == 0)
        return -1;
    slot = w->fr[0];
    w->fr[0] = w->fr[--w->nf];
    for (;;) {
        uint32_t l = 2 * p + 1, m = p, t;
        if (l < w->nf && walk_less(w, w->fr[l], w->fr[m]))
            m = l;
        if (l + 1 < w->nf && walk_less(w, w->fr[l + 1], w->fr[m]))
            m = l + 1;
        if (m == p)
            break;
        t = w->fr[p];
        w->fr[p] = w->fr[m];
        w->fr[m] = t;
        p = m;
    }
    /* A frontier never holds more than (members + 1) / 2 + 1 slots. */
    if (2 * slot + 1 < w->h->n && w->h->key[w->h->item[2 * slot + 1]] <= bound)
        walk_push(w, 2 * slot + 1);
    if (2 * slot + 2 < w->h->n && w->h->key[w->h->item[2 * slot + 2]] <= bound)
        walk_push(w, 2 * slot + 2);
    return (int32_t)w->h->item[slot];
}

#define MINIDX_TRIES 8u

int route__minidx_init(struct route__minidx *x, uint32_t n)
{
    uint32_t m = n > 0 ? n : 1;
    memset(x, 0, sizeof *x);
    x->zero = calloc(m, sizeof *x->zero);
    x->zpos = calloc(m, sizeof *x->zpos);
    x->frontier = calloc(m, sizeof *x->frontier);
    if (x->zero == NULL || x->zpos == NULL || x->frontier == NULL ||
        route__heap_init(&x->heap, n) < 0) {
        route__minidx_free(x);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        x->zpos[i] = ROUTE__ABSENT;
    return 0;
}

void route__minidx_free(struct route__minidx *x)
{
    free(x->zero);
    free(x->zpos);
    route__heap_free(&x->heap);
    free(x->frontier);
    memset(x, 0, sizeof *x);
}

static void zero_remove(struct route__minidx *x, uint32_t i)
{
    uint32_t p = x->zpos[i], last;
    if (p == ROUTE__ABSENT)
        return;
    last = x->zero[--x->nz];
    x->zero[p] = last;
    x->zpos[last] = p;
    x->zpos[i] = ROUTE__ABSENT;
}

void route__minidx_set(struct route__minidx *x, uint32_t i, bool member, int64_t k)
{
    if (!member || k > 0)
        zero_remove(x, i);
    if (!member || k <= 0)
        route__heap_remove(&x->heap, i);
    if (!member)
        return;
    if (k > 0) {
        route__heap_set(&x->heap, i, k);
    } else if (x->zpos[i] == ROUTE__ABSENT) {
        x->zpos[i] = x->nz;
        x->zero[x->nz++] = i;
    }
}

void route__minidx_clear(struct route__minidx *x)
{
    for (uint32_t p = 0; p < x->nz; p++)
        x->zpos[x->zero[p]] = ROUTE__ABSENT;
    x->nz = 0;
    for (uint32_t p = 0; p < x->heap.n; p++)
        x->heap.pos[x->heap.item[p]] = ROUTE__ABSENT;
    x->heap.n = 0;
}

int32_t route__minidx_pick(struct route__minidx *x, const struct route_env *env,
                           bool (*ok)(void *ctx, uint32_t i), void *ctx)
{
    struct route__heap_walk w;
    int32_t best = -1, i;
    int64_t min = 0;
    uint32_t ties = 0;
    if (x->nz == 1 && ok(ctx, x->zero[0]))
        return (int32_t)x->zero[0];
    if (x->nz > 1) {
        uint32_t k = 0;
        for (uint32_t t = 0; t < MINIDX_TRIES; t++) {
            uint32_t c = x->zero[route_rand_below(env, x->nz)];
            if (ok(ctx, c))
                return (int32_t)c;
        }
        for (uint32_t p = 0; p < x->nz; p++)
            k += ok(ctx, x->zero[p]);
        if (k > 0) {
            k = route_rand_below(env, k);
            for (uint32_t p = 0; p < x->nz; p++) {
                if (ok(ctx, x->zero[p]) && k-- == 0)
                    return (int32_t)x->zero[p];
            }
        }
    }
    route__heap_walk_start(&w, &x->heap, x->frontier);
    while ((i = route__heap_walk_next(&w, best >= 0 ? min : INT64_MAX)) >= 0) {
        int64_t key = x->heap.key[i];
        if (best >= 0 && key > min)
            break;
        if (!ok(ctx, (uint32_t)i))
            continue;
        if (best < 0) {
            best = i;
            min = key;
            ties = 1;
        } else if (route_rand_below(env, ++ties) == 0) {
            best = i; /* each tie kept with probability 1/ties */
        }
    }
    return best;
}
