/*
 * test_heap_ref.h - an independent reference for the pending-event set:
 * a textbook binary min-heap (prefix refh_) with swap-based sifts, none of
 * base/heap.c's layout (arity 2, no alignment, no hole moves, no 128-bit
 * keys), written to the same contract: events ordered by (t_ns, seq), seq
 * assigned from a counter at push and at replace_top, so equal times are
 * FIFO.  tests/unit/test_heap.c runs base/heap.c against it operation by
 * operation; bench/bench_heap.c times the two side by side (the 4-ary
 * heap against a binary one: docs/notes/performance.md §2, §8).
 */
#ifndef LBSIM_TEST_HEAP_REF_H
#define LBSIM_TEST_HEAP_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "heap.h" /* struct heap_ev */

struct refh {
    struct heap_ev *ev;
    uint32_t n, cap;
    uint64_t next_seq;
};

static inline bool refh_less(const struct heap_ev *a, const struct heap_ev *b)
{
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns;
    return a->seq < b->seq;
}

static inline void refh_swap(struct heap_ev *a, struct heap_ev *b)
{
    struct heap_ev t = *a;
    *a = *b;
    *b = t;
}

static inline int refh_init(struct refh *h, uint32_t cap)
{
    h->n = 0;
    h->next_seq = 0;
    h->cap = cap > 16 ? cap : 16;
    h->ev = malloc((size_t)h->cap * sizeof *h->ev);
    return h->ev ? 0 : -1;
}

static inline void refh_fini(struct refh *h)
{
    free(h->ev);
    h->ev = NULL;
    h->n = h->cap = 0;
}

static inline const struct heap_ev *refh_top(const struct refh *h)
{
    return h->n ? &h->ev[0] : NULL;
}

static inline void refh_down(struct refh *h, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && refh_less(&h->ev[l], &h->ev[m]))
            m = l;
        if (r < h->n && refh_less(&h->ev[r], &h->ev[m]))
            m = r;
        if (m == i)
            return;
        refh_swap(&h->ev[i], &h->ev[m]);
        i = m;
    }
}

static inline int refh_push(struct refh *h, struct heap_ev e)
{
    if (h->n == h->cap) {
        struct heap_ev *p = realloc(h->ev, (size_t)h->cap * 2 * sizeof *p);
        if (p == NULL)
            return -1;
        h->ev = p;
        h->cap *= 2;
    }
    e.seq = h->next_seq++;
    uint32_t i = h->n++;
    h->ev[i] = e;
    while (i > 0 && refh_less(&h->ev[i], &h->ev[(i - 1) / 2])) {
        refh_swap(&h->ev[i], &h->ev[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return 0;
}

static inline void refh_drop_top(struct refh *h)
{
    h->ev[0] = h->ev[--h->n];
    refh_down(h, 0);
}

static inline bool refh_pop(struct refh *h, struct heap_ev *out)
{
    if (h->n == 0)
        return false;
    *out = h->ev[0];
    refh_drop_top(h);
    return true;
}

/* Replace the minimum by e: the same as a drop then a push. */
static inline void refh_replace_top(struct refh *h, struct heap_ev e)
{
    e.seq = h->next_seq++;
    h->ev[0] = e;
    refh_down(h, 0);
}

#endif /* LBSIM_TEST_HEAP_REF_H */
