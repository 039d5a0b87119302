/*
 * test_heap.c - base/heap.c against an independent binary heap
 * (test_heap_ref.h), operation by operation: the harness for any
 * candidate pending-event set behind base/heap.h
 * (docs/notes/performance.md §8).
 *
 * Both structures see the same calls; after every call the minimum each
 * reports (time, seq and payload) and the size must agree, and every pop
 * must return the same record.  Since both implement the one (t_ns, seq)
 * order with seq assigned at push and replace_top, agreeing on every
 * minimum is agreeing on the whole event order the engine sees.  Shapes:
 * pending sizes from 1 to 10^6, delays exponential, uniform, bimodal,
 * Pareto (heavy tail), far future (24 h) and bursts of equal times,
 * negative times, and the engine's pop-then-push (replace_top) pattern.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "heap.h"
#include "sm64.h"
#include "test_heap_ref.h"

/* 24 hours in ns: the horizon of the longest scenarios. */
#define DAY_NS INT64_C(86400000000000)

enum shape { SH_EXP, SH_UNIFORM, SH_BIMODAL, SH_PARETO, SH_FAR, SH_BURST, SH_NEG, SH_N };

static double unit01(struct sm64 *g)
{
    return ((double)(sm64_next(g) >> 11) + 0.5) * 0x1p-53;
}

/* A delay in ns of the given shape, mean about 1 ms where one exists. */
static int64_t delay(struct sm64 *g, enum shape sh)
{
    switch (sh) {
    case SH_EXP:
        return (int64_t)(-1e6 * log(unit01(g)));
    case SH_UNIFORM:
        return (int64_t)(2e6 * unit01(g));
    case SH_BIMODAL: /* 90% short, 10% a thousand times longer */
        return sm64_below(g, 10) ? (int64_t)(1e5 * unit01(g)) : (int64_t)(1e8 * unit01(g));
    case SH_PARETO: { /* alpha 1.1: infinite variance */
        double d = 1e5 * pow(unit01(g), -1.0 / 1.1);
        return d > 1e15 ? INT64_C(1000000000000000) : (int64_t)d;
    }
    case SH_FAR: /* mostly near, some a day away */
        return sm64_below(g, 100) ? (int64_t)sm64_below(g, 1000000) : DAY_NS;
    case SH_BURST: /* a handful of distinct delays: long runs of equal times */
        return (int64_t)sm64_below(g, 4) * 1000;
    case SH_NEG:
    default: /* any int64 order, negative times included */
        return (int64_t)sm64_below(g, 2000000) - 1000000;
    }
}

static int same_ev(const struct heap_ev *a, const struct heap_ev *b)
{
    return a->t_ns == b->t_ns && a->seq == b->seq && a->kind == b->kind && a->idx == b->idx &&
           a->gen == b->gen && a->aux == b->aux;
}

static int agree(const struct heap *h, const struct refh *r)
{
    const struct heap_ev *a = heap_top(h), *b = refh_top(r);
    if (h->n != r->n || heap_empty(h) != (r->n == 0) || (a == NULL) != (b == NULL))
        return 0;
    return a == NULL || same_ev(a, b);
}

/* One run: grow to `target` pending, hold there for `ops` operations of the
 * engine's mix, then drain.  Returns the number of disagreements. */
static long run(uint64_t seed, uint32_t target, long ops, enum shape sh)
{
    struct sm64 g = {seed};
    struct heap h;
    struct refh r;
    long bad = 0;
    if (heap_init(&h, (uint32_t)(seed % 3 ? 0 : target)) != 0 || refh_init(&r, 0) != 0)
        return 1;
    int64_t now = 0;
    uint32_t tag = 0;
    for (long k = 0; k < ops + target; k++) {
        struct heap_ev e = {.kind = tag % 7, .idx = tag, .gen = tag * 2654435761u, .aux = ~tag};
        tag++;
        uint32_t op = sm64_below(&g, 16);
        if (k < target || r.n == 0)
            op = 0; /* filling */
        else if (r.n >= 2 * target && op < 6)
            op = 6;   /* keep it near target */
        if (op < 6) { /* push */
            e.t_ns = now + delay(&g, sh);
            if (sh == SH_NEG)
                e.t_ns = delay(&g, sh);
            bad += heap_push(&h, e) != 0;
            bad += refh_push(&r, e) != 0;
        } else if (op < 12) { /* the engine's fused pop and push */
            now = refh_top(&r)->t_ns;
            e.t_ns = now + delay(&g, sh);
            if (sh == SH_NEG)
                e.t_ns = delay(&g, sh);
            heap_replace_top(&h, e);
            refh_replace_top(&r, e);
        } else if (op < 14) { /* pop */
            struct heap_ev a, b;
            bad += !heap_pop(&h, &a);
            bad += !refh_pop(&r, &b);
            bad += !same_ev(&a, &b);
            now = b.t_ns;
        } else if (op < 15) { /* drop */
            now = refh_top(&r)->t_ns;
            heap_drop_top(&h);
            refh_drop_top(&r);
        } else { /* an outside event takes a seq from both */
            bad += heap_take_seq(&h) != r.next_seq++;
        }
        bad += !agree(&h, &r);
    }
    /* Drain: the order, record by record, and an empty end. */
    struct heap_ev a, b;
    while (refh_pop(&r, &b)) {
        bad += !heap_pop(&h, &a) || !same_ev(&a, &b);
        bad += !agree(&h, &r);
    }
    bad += heap_pop(&h, &a);
    bad += heap_top(&h) != NULL;
    heap_fini(&h);
    refh_fini(&r);
    return bad;
}

/* Mixed shapes at sizes 1 .. 10^4: over 10^6 operations in all. */
static void test_heap_diff(void)
{
    static const uint32_t sizes[] = {1, 2, 3, 4, 5, 6, 17, 64, 65, 870, 10000};
    long total_ops = 0, bad = 0;
    uint64_t seed = 1;
    for (int sh = 0; sh < SH_N; sh++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            long ops = 20000;
            bad += run(seed++, sizes[s], ops, (enum shape)sh);
            total_ops += ops + 2 * (long)sizes[s];
        }
    CHECK(total_ops >= 1000000);
    CHECK_INT_EQ(bad, 0);
}

/* 10^6 pending, two shapes: growth across many doublings and deep sifts. */
static void test_heap_diff_large(void)
{
    CHECK_INT_EQ(run(901, 1000000, 200000, SH_EXP), 0);
    CHECK_INT_EQ(run(902, 1000000, 200000, SH_FAR), 0);
}

/* Equal times are FIFO across every operation that assigns a seq. */
static void test_heap_fifo(void)
{
    struct heap h;
    CHECK(heap_init(&h, 0) == 0);
    for (uint32_t i = 0; i < 100; i++)
        heap_push(&h, (struct heap_ev){.t_ns = 7, .idx = i});
    heap_replace_top(&h, (struct heap_ev){.t_ns = 7, .idx = 100}); /* drops idx 0 */
    struct heap_ev out;
    int ok = 1;
    for (uint32_t i = 1; i <= 100; i++)
        ok &= heap_pop(&h, &out) && out.idx == i && out.seq == i;
    CHECK(ok);
    CHECK(heap_top(&h) == NULL);
    /* Extremes of the time range keep their order. */
    heap_push(&h, (struct heap_ev){.t_ns = INT64_MAX, .idx = 1});
    heap_push(&h, (struct heap_ev){.t_ns = INT64_MIN, .idx = 2});
    heap_push(&h, (struct heap_ev){.t_ns = 0, .idx = 3});
    heap_push(&h, (struct heap_ev){.t_ns = -1, .idx = 4});
    static const uint32_t want[] = {2, 4, 3, 1};
    ok = 1;
    for (int i = 0; i < 4; i++)
        ok &= heap_pop(&h, &out) && out.idx == want[i];
    CHECK(ok);
    heap_fini(&h);
}

int main(void)
{
    test_heap_fifo();
    test_heap_diff();
    test_heap_diff_large();
    return check_report("test_heap");
}
