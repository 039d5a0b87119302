/*
 * bench_heap.c - the pending-event set alone: base/heap.c ("new") against
 * a textbook binary heap (tests/unit/test_heap_ref.h, "old") on the hold
 * model (docs/notes/performance.md §2, §5, §8): the 4-ary layout's gain
 * over the binary one, and the bench a candidate behind base/heap.h is
 * timed on first.
 *
 * A hold is the engine's step: read the minimum, then replace it by an
 * event at its time plus a delay (heap_replace_top, the fused pop and
 * push); every 8th hold is instead a pop then a push, the unfused path.
 * Sizes 10, 10^3 and 10^5 pending; delays exponential, uniform and bimodal
 * (90% short, 10% a hundred times longer), drawn before the timing.
 *
 *   bench_heap                 every size, shape and side: ns per hold
 *   bench_heap SIDE N SHAPE    one case (SIDE old|new, SHAPE exp|uniform|
 *                              bimodal), for callgrind: the holds run in
 *                              hold_old() / hold_new(), so
 *                              `callgrind_annotate --inclusive=yes` gives
 *                              their instructions; divide by the holds.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_heap_ref.h"
#include "bench.h"
#include "heap.h"
#include "sm64.h"

/* Holds per timed repetition and repetitions (best of). */
#define HOLDS 2000000u
#define REPS  3
/* Mean delay in ns (1 ms); the scale cancels out of a hold's cost. */
#define MEAN_NS 1e6

enum shape { SH_EXP, SH_UNIFORM, SH_BIMODAL, SH_N };
static const char *const shape_name[SH_N] = {"exp", "uniform", "bimodal"};

static double unit01(struct sm64 *g)
{
    return ((double)(sm64_next(g) >> 11) + 0.5) * 0x1p-53;
}

static void draw(int64_t *d, uint32_t n, enum shape sh, uint64_t seed)
{
    struct sm64 g = {seed};
    for (uint32_t i = 0; i < n; i++) {
        double x;
        if (sh == SH_EXP)
            x = -MEAN_NS * log(unit01(&g));
        else if (sh == SH_UNIFORM)
            x = 2.0 * MEAN_NS * unit01(&g);
        else /* mean 0.9 * 0.1 + 0.1 * 10 = 1.09 ms */
            x = (sm64_below(&g, 10) ? 0.2 : 20.0) * MEAN_NS * unit01(&g);
        d[i] = (int64_t)x;
    }
}

__attribute__((noinline)) static int64_t hold_new(struct heap *h, const int64_t *d, uint32_t n)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct heap_ev *top = heap_top(h);
        struct heap_ev e = {.t_ns = top->t_ns + d[i], .kind = 1, .idx = i};
        sum += top->idx;
        if (i % 8 == 7) {
            struct heap_ev out;
            heap_pop(h, &out);
            heap_push(h, e);
        } else {
            heap_replace_top(h, e);
        }
    }
    return sum;
}

__attribute__((noinline)) static int64_t hold_old(struct refh *h, const int64_t *d, uint32_t n)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct heap_ev *top = refh_top(h);
        struct heap_ev e = {.t_ns = top->t_ns + d[i], .kind = 1, .idx = i};
        sum += top->idx;
        if (i % 8 == 7) {
            struct heap_ev out;
            refh_pop(h, &out);
            refh_push(h, e);
        } else {
            refh_replace_top(h, e);
        }
    }
    return sum;
}

/* ns per hold (best of REPS) of one case; *sink keeps the work alive. */
static double one(int side_new, uint32_t size, enum shape sh, const int64_t *d, uint32_t holds,
                  int reps, int64_t *sink)
{
    struct bench_timer t;
    bench_timer_init_cpu(&t);
    for (int r = 0; r < reps; r++) {
        struct heap h;
        struct refh o;
        if (heap_init(&h, 0) != 0 || refh_init(&o, 0) != 0) {
            fprintf(stderr, "bench_heap: out of memory\n");
            exit(1);
        }
        struct sm64 g = {77u + (uint64_t)sh};
        for (uint32_t i = 0; i < size; i++) {
            struct heap_ev e = {.t_ns = (int64_t)(unit01(&g) * MEAN_NS * 2.0), .idx = i};
            heap_push(&h, e);
            refh_push(&o, e);
        }
        bench_start(&t);
        *sink += side_new ? hold_new(&h, d, holds) : hold_old(&o, d, holds);
        bench_stop(&t);
        heap_fini(&h);
        refh_fini(&o);
    }
    return t.best_s * 1e9 / holds;
}

int main(int argc, char **argv)
{
    static const uint32_t sizes[] = {10, 1000, 100000};
    int64_t sink = 0;
    int64_t *d = malloc(HOLDS * sizeof *d);
    if (!d)
        return 1;
    if (argc == 4) {
        int side_new = strcmp(argv[1], "new") == 0;
        uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
        int sh = 0;
        while (sh < SH_N && strcmp(argv[3], shape_name[sh]) != 0)
            sh++;
        if ((!side_new && strcmp(argv[1], "old") != 0) || size == 0 || sh == SH_N) {
            fprintf(stderr, "usage: bench_heap [old|new N exp|uniform|bimodal]\n");
            return 2;
        }
        draw(d, HOLDS / 4, (enum shape)sh, 1);
        double ns = one(side_new, size, (enum shape)sh, d, HOLDS / 4, 1, &sink);
        printf("%s %u %s: %u holds, %.1f ns/hold (sink %lld)\n", argv[1], size, argv[3], HOLDS / 4,
               ns, (long long)sink);
        free(d);
        return 0;
    }
    printf("hold model, ns per hold (thread CPU time, best of %d x %u holds)\n", REPS, HOLDS);
    printf("| pending | delays | old 4-ary | new | old/new |\n|---|---|---|---|---|\n");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int sh = 0; sh < SH_N; sh++) {
            draw(d, HOLDS, (enum shape)sh, 1);
            double a = one(0, sizes[s], (enum shape)sh, d, HOLDS, REPS, &sink);
            double b = one(1, sizes[s], (enum shape)sh, d, HOLDS, REPS, &sink);
            printf("| %u | %s | %.1f | %.1f | %.2f |\n", sizes[s], shape_name[sh], a, b, a / b);
        }
    printf("(sink %lld)\n", (long long)sink);
    free(d);
    return 0;
}
