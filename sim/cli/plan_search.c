/*
 * plan_search.c - bisection along a capacity axis, grid over the others
 * (see plan_search.h).
 */
#include "plan_search.h"

#include <stdlib.h>
#include <string.h>

/* State of one (line, strategy) search. */
enum { OPEN, DONE, NONE, PRUNED };

uint32_t plan_points(const struct plan_space *sp)
{
    uint64_t p = 1;
    for (uint32_t a = 0; a < sp->n_axes; a++) {
        p *= sp->n[a];
        if (p > PLAN_MAX_POINTS)
            return PLAN_MAX_POINTS + 1;
    }
    return (uint32_t)p;
}

uint32_t plan_probe_bound(uint32_t n)
{
    uint32_t k = 0;
    while ((1ull << k) < n)
        k++;
    return k + 2;
}

static int eval_all(const struct plan_space *sp, plan_eval_fn eval, void *ctx,
                    struct plan_cell *cells, struct plan_stats *st, bool *oom)
{
    uint32_t np = plan_points(sp);
    uint32_t *pts = malloc(np * sizeof *pts);
    if (pts == NULL) {
        *oom = true;
        return -1;
    }
    for (uint32_t p = 0; p < np; p++)
        pts[p] = p;
    int rc = eval(ctx, pts, np, cells);
    free(pts);
    st->rounds = 1;
    st->points = np;
    return rc;
}

/* The evaluated extent of (line base p0, strategy s) along the axis:
 * hi = smallest feasible index (n when none), lo = one past the largest
 * infeasible index below hi (0 when none). */
static void extent(const struct plan_cell *cells, uint32_t S, uint32_t p0, uint32_t stride,
                   uint32_t n, uint32_t s, uint32_t *lo, uint32_t *hi)
{
    *hi = n;
    for (uint32_t i = 0; i < n; i++) {
        const struct plan_cell *c = &cells[(size_t)(p0 + i * stride) * S + s];
        if (c->evaluated && c->feasible) {
            *hi = i;
            break;
        }
    }
    *lo = 0;
    for (uint32_t i = *hi; i-- > 0;) {
        const struct plan_cell *c = &cells[(size_t)(p0 + i * stride) * S + s];
        if (c->evaluated) {
            *lo = i + 1;
            break;
        }
    }
}

static void count_drops(const struct plan_space *sp, const struct plan_cell *cells,
                        const uint32_t *bases, uint32_t n_lines, uint32_t stride,
                        struct plan_stats *st)
{
    uint32_t S = sp->n_strategies, n = sp->n[sp->bisect];
    for (uint32_t l = 0; l < n_lines; l++)
        for (uint32_t s = 0; s < S; s++) {
            const struct plan_cell *prev = NULL;
            for (uint32_t i = 0; i < n; i++) {
                const struct plan_cell *c = &cells[(size_t)(bases[l] + i * stride) * S + s];
                if (!c->evaluated)
                    continue;
                if (prev != NULL) {
                    if (prev->feasible && !c->feasible)
                        st->feasibility_drops++;
                    if (c->cost < prev->cost * (1.0 - PLAN_COST_DROP_TOL))
                        st->cost_drops++;
                }
                prev = c;
            }
        }
}

int plan_search(const struct plan_space *sp, plan_eval_fn eval, void *ctx, struct plan_cell *cells,
                struct plan_stats *st, bool *oom)
{
    memset(st, 0, sizeof *st);
    *oom = false;
    if (sp->bisect < 0 || (uint32_t)sp->bisect >= sp->n_axes)
        return eval_all(sp, eval, ctx, cells, st, oom);
    uint32_t S = sp->n_strategies, b = (uint32_t)sp->bisect, n = sp->n[b];
    uint32_t np = plan_points(sp), n_lines = np / n;
    uint32_t stride = 1;
    for (uint32_t a = b + 1; a < sp->n_axes; a++)
        stride *= sp->n[a];
    uint32_t *bases = malloc(n_lines * sizeof *bases);
    uint8_t *state = calloc((size_t)n_lines * S, 1);
    uint32_t *asked = calloc((size_t)n_lines * S, sizeof *asked);
    uint32_t *pts = malloc(((size_t)n_lines * (S > 2 ? S : 2) + 1) * sizeof *pts);
    int rc = -1;
    if (bases == NULL || state == NULL || asked == NULL || pts == NULL) {
        *oom = true;
        goto done;
    }
    /* line bases: the points whose index on the bisected axis is 0 */
    uint32_t k = 0;
    for (uint32_t p = 0; p < np; p++)
        if ((p / stride) % n == 0)
            bases[k++] = p;
    /* round 0: both ends of every line.  The top (the most capacity)
     * tells whether anything on the line is feasible; the bottom settles
     * every line that is feasible from its cheapest value on, and what is
     * left of the others is halved from there. */
    uint32_t n_pts = 0;
    for (uint32_t l = 0; l < n_lines; l++) {
        pts[n_pts++] = bases[l] + (n - 1) * stride;
        if (n > 1)
            pts[n_pts++] = bases[l];
    }
    for (size_t j = 0; j < (size_t)n_lines * S; j++)
        asked[j] = n > 1 ? 2 : 1;
    for (;;) {
        if (n_pts > 0) {
            if (eval(ctx, pts, n_pts, cells) != 0)
                goto done;
            st->rounds++;
            st->points += n_pts;
        }
        /* the best feasible cost so far, for pruning */
        double best = 0.0;
        bool have_best = false;
        for (size_t j = 0; j < (size_t)np * S; j++)
            if (cells[j].evaluated && cells[j].feasible && (!have_best || cells[j].cost < best)) {
                best = cells[j].cost;
                have_best = true;
            }
        n_pts = 0;
        for (uint32_t l = 0; l < n_lines; l++) {
            uint32_t want = n; /* this line's probe in this round, n = none yet */
            for (uint32_t s = 0; s < S; s++) {
                uint8_t *stt = &state[(size_t)l * S + s];
                if (*stt != OPEN)
                    continue;
                uint32_t lo, hi;
                extent(cells, S, bases[l], stride, n, s, &lo, &hi);
                if (hi == n) {
                    *stt = NONE; /* infeasible even at the top */
                    continue;
                }
                if (lo == hi) {
                    *stt = DONE;
                    continue;
                }
                const struct plan_cell *below =
                    lo > 0 ? &cells[(size_t)(bases[l] + (lo - 1) * stride) * S + s] : NULL;
                if (have_best && below != NULL && below->cost > best) {
                    *stt = PRUNED; /* its cheapest feasible costs at least `below` */
                    st->pruned++;
                    continue;
                }
                uint32_t mid = lo + (hi - lo) / 2;
                asked[(size_t)l * S + s]++;
                /* one probe per line and round: the strategies of a line
                 * that want another index wait for the next round (the
                 * probe may settle them anyway) */
                if (want == n) {
                    want = mid;
                    pts[n_pts++] = bases[l] + mid * stride;
                } else if (mid != want) {
                    asked[(size_t)l * S + s]--;
                }
            }
        }
        if (n_pts == 0)
            break;
    }
    for (size_t j = 0; j < (size_t)n_lines * S; j++)
        if (asked[j] > st->max_asked)
            st->max_asked = asked[j];
    count_drops(sp, cells, bases, n_lines, stride, st);
    rc = 0;
done:
    free(bases);
    free(state);
    free(asked);
    free(pts);
    return rc;
}
