/*
 * val_plan.c - the search of `lbsim plan` (plan_search.h) against the
 * exhaustive grid on synthetic instances where the bisection's assumptions
 * hold by construction: along the bisected axis each (line, strategy) is
 * infeasible below a threshold and feasible from it on, and its cost
 * grows.  Checks, for grids of 1 to 40 values and 1 to 4 strategies: the
 * same cheapest feasible candidate (or none) as evaluating everything; no
 * point evaluated twice; at most ceil(log2 n) + 2 probes asked per line and
 * strategy, and with one strategy at most ceil(log2 n) + 2 points per line
 * (the bound); and the counter of a broken assumption.
 */
#include <math.h>
#include <string.h>

#include "plan_search.h"
#include "check.h"

#define MAX_LINES 6
#define MAX_N     40
#define MAX_S     4

/* A synthetic instance: lines x n values x S strategies. */
struct inst {
    uint32_t lines, n, S;
    uint32_t thr[MAX_LINES][MAX_S]; /* first feasible index, n = none */
    double base[MAX_LINES][MAX_S], slope[MAX_LINES][MAX_S];
    uint32_t calls, points, dup;
};

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Grid: axis 0 the lines (enumerated), axis 1 the bisected one. */
static int eval(void *vctx, const uint32_t *pts, uint32_t n, struct plan_cell *cells)
{
    struct inst *in = vctx;
    in->calls++;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t l = pts[k] / in->n, i = pts[k] % in->n;
        in->points++;
        for (uint32_t s = 0; s < in->S; s++) {
            struct plan_cell *c = &cells[(size_t)pts[k] * in->S + s];
            if (c->evaluated)
                in->dup++;
            c->evaluated = true;
            c->feasible = i >= in->thr[l][s];
            c->cost = in->base[l][s] + in->slope[l][s] * i;
        }
    }
    return 0;
}

/* The cheapest feasible evaluated candidate (ties: point, then strategy),
 * as cmd_plan picks it: point * S + s, or -1. */
static long best(const struct plan_cell *cells, uint32_t np, uint32_t S)
{
    long b = -1;
    for (uint32_t j = 0; j < np * S; j++)
        if (cells[j].evaluated && cells[j].feasible && (b < 0 || cells[j].cost < cells[b].cost))
            b = (long)j;
    return b;
}

static uint32_t ceil_log2(uint32_t n)
{
    uint32_t k = 0;
    while ((1u << k) < n)
        k++;
    return k;
}

int main(void)
{
    static struct plan_cell grid[MAX_LINES * MAX_N * MAX_S], full[MAX_LINES * MAX_N * MAX_S];
    uint64_t seed = 12345;
    uint32_t cases = 0, fewer = 0;
    for (uint32_t n = 1; n <= MAX_N; n++)
        for (uint32_t S = 1; S <= MAX_S; S++)
            for (int rep = 0; rep < 12; rep++) {
                struct inst in = {.lines = 1 + (uint32_t)(lcg(&seed) % MAX_LINES), .n = n, .S = S};
                for (uint32_t l = 0; l < in.lines; l++)
                    for (uint32_t s = 0; s < S; s++) {
                        in.thr[l][s] = (uint32_t)(lcg(&seed) % (n + 1));
                        in.base[l][s] = (double)(lcg(&seed) % 100);
                        in.slope[l][s] = (double)(lcg(&seed) % 3); /* 0: equal costs, ties */
                    }
                struct plan_space sp = {
                    .n_axes = 2, .n = {in.lines, n}, .bisect = 1, .n_strategies = S};
                uint32_t np = plan_points(&sp);
                memset(grid, 0, sizeof grid);
                memset(full, 0, sizeof full);
                struct plan_stats st, st_full;
                bool oom;
                CHECK(plan_search(&sp, eval, &in, grid, &st, &oom) == 0);
                CHECK(in.dup == 0);
                CHECK(st.points == in.points);
                CHECK(st.max_asked <= plan_probe_bound(n));
                CHECK(st.points <= in.lines * (2 + S * ceil_log2(n)));
                if (S == 1)
                    CHECK(st.points <= in.lines * plan_probe_bound(n));
                CHECK(st.feasibility_drops == 0 && st.cost_drops == 0);
                struct inst ex = in;
                ex.calls = ex.points = ex.dup = 0;
                struct plan_space all = sp;
                all.bisect = -1;
                CHECK(plan_search(&all, eval, &ex, full, &st_full, &oom) == 0);
                CHECK(st_full.points == np && ex.dup == 0);
                long a = best(grid, np, S), b = best(full, np, S);
                CHECK((a < 0) == (b < 0));
                if (a >= 0 && b >= 0) {
                    CHECK(full[a].cost == full[b].cost);
                    CHECK(a == b); /* the same candidate, ties included */
                }
                fewer += st.points < np;
                cases++;
            }
    /* the example size: 16 values, one strategy, one line:
     * at most ceil(log2 16) + 2 = 6 evaluations whatever the threshold */
    for (uint32_t t = 0; t <= 16; t++) {
        struct inst in = {.lines = 1, .n = 16, .S = 1};
        in.thr[0][0] = t;
        in.slope[0][0] = 1.0;
        struct plan_space sp = {.n_axes = 2, .n = {1, 16}, .bisect = 1, .n_strategies = 1};
        struct plan_stats st;
        bool oom;
        memset(grid, 0, sizeof grid);
        CHECK(plan_search(&sp, eval, &in, grid, &st, &oom) == 0);
        CHECK(st.points <= 6);
        CHECK(best(grid, 16, 1) == (t < 16 ? (long)t : -1));
    }
    /* a broken assumption is counted: cost falling along the axis */
    {
        struct inst in = {.lines = 1, .n = 8, .S = 1};
        in.base[0][0] = 10.0;
        in.slope[0][0] = -1.0;
        struct plan_space sp = {.n_axes = 2, .n = {1, 8}, .bisect = 1, .n_strategies = 1};
        struct plan_stats st;
        bool oom;
        memset(grid, 0, sizeof grid);
        CHECK(plan_search(&sp, eval, &in, grid, &st, &oom) == 0);
        CHECK(st.cost_drops == st.points - 1 && st.points >= 2);
        CHECK(st.feasibility_drops == 0);
    }
    printf("val_plan: %u instances, bisection evaluated fewer points than the grid in %u\n", cases,
           fewer);
    CHECK(fewer > cases / 2);
    return check_report("val_plan");
}
