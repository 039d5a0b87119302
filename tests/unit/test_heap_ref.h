/*
 * test_heap_ref.h - a frozen copy of the 4-ary heap base/heap.c (lbsim
 * commit 70eee19), renamed (prefix ref4_): the reference of
 * tests/unit/test_heap.c and the "old" side of bench/bench_heap.c, so that
 * a candidate pending-event set put behind base/heap.h is checked and
 * timed against it (docs/notes/performance.md §8).  Same (t_ns, seq)
 * order, same seq assignment.
 */
#ifndef LBSIM_TEST_HEAP_REF_H
#define LBSIM_TEST_HEAP_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h" /* struct heap_ev */

struct ref4 {
    struct heap_ev *ev;
    uint32_t n, cap;
    uint64_t next_seq;
};

static inline const struct heap_ev *ref4_top(const struct ref4 *h)
{
    return h->n ? &h->ev[0] : (const struct heap_ev *)0;
}

static void ref4_drop_top(struct ref4 *h);

/* Bytes of a sibling quad: 4 records of 32 B. */
#define REF4_ALIGN 128u
/* Records before element 0, so that element 1 (the first quad) is aligned. */
#define REF4_PAD 3u
/* Capacity when the caller has no hint (events; 2 KiB). */
#define REF4_DEFAULT_CAP 64u
/* Largest capacity (16 GiB of events): keeps the child index 4i + 4 of
 * every node within uint32_t. */
#define REF4_MAX_CAP (UINT32_C(1) << 29)

#ifdef __SIZEOF_INT128__
/* (t_ns, seq) as one unsigned 128-bit key: a single cmp/sbb, no branch
 * (docs/notes/performance.md §2).  Flipping the sign bit of t_ns maps the
 * int64 order onto the unsigned order.  Measured here: 107 ns per hold at
 * 10^5 pending against 133 ns for the bitwise form below. */
__extension__ typedef unsigned __int128 ref4_key;

static inline int ref4_less(const struct heap_ev *a, const struct heap_ev *b)
{
    ref4_key ka = (ref4_key)((uint64_t)a->t_ns ^ (UINT64_C(1) << 63)) << 64 | a->seq;
    ref4_key kb = (ref4_key)((uint64_t)b->t_ns ^ (UINT64_C(1) << 63)) << 64 | b->seq;
    return ka < kb;
}
#else
/* Portable fallback: both comparisons computed and combined bitwise, which
 * compilers turn into setcc rather than unpredictable jumps. */
static inline int ref4_less(const struct heap_ev *a, const struct heap_ev *b)
{
    return (a->t_ns < b->t_ns) | ((a->t_ns == b->t_ns) & (a->seq < b->seq));
}
#endif

static inline struct heap_ev *ref4_base(const struct ref4 *h)
{
    return h->ev - REF4_PAD;
}

/* An aligned block for cap events (plus the pad), rounded up to a whole
 * number of REF4_ALIGN blocks as aligned_alloc requires.  NULL on failure
 * or overflow. */
static struct heap_ev *ref4_alloc(uint32_t cap)
{
    size_t recs = (size_t)cap + REF4_PAD;
    if (recs > SIZE_MAX / sizeof(struct heap_ev) - REF4_ALIGN)
        return NULL;
    size_t bytes = recs * sizeof(struct heap_ev);
    bytes = (bytes + REF4_ALIGN - 1) / REF4_ALIGN * REF4_ALIGN;
    struct heap_ev *base = aligned_alloc(REF4_ALIGN, bytes);
    return base ? base + REF4_PAD : NULL;
}

static int ref4_init(struct ref4 *h, uint32_t cap_hint)
{
    uint32_t cap = REF4_DEFAULT_CAP;
    if (cap_hint > REF4_MAX_CAP)
        cap_hint = REF4_MAX_CAP;
    while (cap < cap_hint)
        cap *= 2;
    h->n = 0;
    h->next_seq = 0;
    h->ev = ref4_alloc(cap);
    h->cap = h->ev ? cap : 0;
    return h->ev ? 0 : -1;
}

static void ref4_fini(struct ref4 *h)
{
    if (h->ev)
        free(ref4_base(h));
    h->ev = NULL;
    h->n = h->cap = 0;
}

static int ref4_grow(struct ref4 *h)
{
    if (h->cap >= REF4_MAX_CAP)
        return -1;
    uint32_t cap = h->cap ? h->cap * 2 : REF4_DEFAULT_CAP;
    struct heap_ev *ev = ref4_alloc(cap);
    if (!ev)
        return -1;
    /* No aligned realloc exists: copy, then release the old block. */
    if (h->ev) {
        memcpy(ev, h->ev, (size_t)h->n * sizeof *ev);
        free(ref4_base(h));
    }
    h->ev = ev;
    h->cap = cap;
    return 0;
}

static int ref4_push(struct ref4 *h, struct heap_ev e)
{
    if (h->n == h->cap && ref4_grow(h) != 0)
        return -1;
    e.seq = h->next_seq++;
    struct heap_ev *ev = h->ev;
    uint32_t i = h->n++;
    /* e has the largest seq so far: it stops below any parent with an
     * equal time, which is what makes equal times FIFO. */
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!ref4_less(&e, &ev[p]))
            break;
        ev[i] = ev[p];
        i = p;
    }
    ev[i] = e;
    return 0;
}

/* Index of the smallest of the four children starting at c. */
static inline uint32_t ref4_min4(const struct heap_ev *ev, uint32_t c)
{
    uint32_t a = c + (uint32_t)ref4_less(&ev[c + 1], &ev[c]);
    uint32_t b = c + 2 + (uint32_t)ref4_less(&ev[c + 3], &ev[c + 2]);
    return ref4_less(&ev[b], &ev[a]) ? b : a;
}

/* Sift x down from the root of the n-element heap ev through a hole. */
static inline void ref4_sift_down(struct heap_ev *ev, uint32_t n, const struct heap_ev x)
{
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 4 * i + 1;
        uint32_t m;
        if (c + 3 < n) {
            m = ref4_min4(ev, c);
        } else if (c < n) {
            /* The one node with fewer than four children. */
            m = c;
            for (uint32_t k = c + 1; k < n; k++)
                if (ref4_less(&ev[k], &ev[m]))
                    m = k;
        } else {
            break;
        }
        if (!ref4_less(&ev[m], &x))
            break;
        ev[i] = ev[m];
        i = m;
    }
    ev[i] = x;
}

static bool ref4_pop(struct ref4 *h, struct heap_ev *out)
{
    if (h->n == 0)
        return false;
    *out = h->ev[0];
    ref4_drop_top(h);
    return true;
}

static void ref4_drop_top(struct ref4 *h)
{
    uint32_t n = --h->n;
    if (n > 0) /* the last element sifts down from the root */
        ref4_sift_down(h->ev, n, h->ev[n]);
}

static void ref4_replace_top(struct ref4 *h, struct heap_ev e)
{
    e.seq = h->next_seq++;
    ref4_sift_down(h->ev, h->n, e);
}

#endif /* LBSIM_TEST_HEAP_REF_H */
