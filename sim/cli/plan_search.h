/*
 * plan_search.h - the search of `lbsim plan` (prefix plan_): which
 * candidates (grid point x strategy) to evaluate to find the cheapest one
 * that meets every SLO, without evaluating the whole grid when one axis is
 * a capacity.
 *
 * The grid is the cartesian product of the --vary axes, flattened row-major
 * (the last axis moves fastest).  A candidate is a (point, strategy) pair;
 * the caller's evaluator runs whole points (every strategy of a point at
 * once, as sim_exp_run does) and reports, per candidate, whether it is
 * feasible (every SLO holds at the upper bound of its 95% interval) and its
 * cost (the metric minimised).
 *
 * Bisection (docs/experiments-plan.md): along the axis `bisect` feasibility
 * is assumed monotone (more capacity never breaks an SLO) and cost
 * non-decreasing, so for each line (a combination of the other axes) and
 * strategy the cheapest feasible candidate is the smallest feasible index,
 * found by probing both ends once and then halving what is left: at most
 * ceil(log2 n) + 2 probes asked per (line, strategy) for n values (the
 * issue's bound), ceil(log2 (n - 1)) + 2 in fact.  A probe
 * evaluates every strategy of its point, and every result narrows every
 * strategy's interval.  A (line, strategy) whose highest infeasible probe
 * already costs more than the best feasible candidate found is pruned (its
 * cheapest feasible candidate cannot win).  The probes of one round, over
 * every line, go to the evaluator in one call, so its pool stays busy.
 *
 * No printing, no clock: the CLI prints.
 */
#ifndef LBSIM_PLAN_SEARCH_H
#define LBSIM_PLAN_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

/* --vary axes of one plan at most. */
#define PLAN_MAX_AXES 8
/* Grid points at most (points x strategies are simulated with R
 * replications each: a larger grid is a mistake, not a plan). */
#define PLAN_MAX_POINTS 100000u

/* One candidate's outcome, filled by the evaluator. */
struct plan_cell {
    bool evaluated;
    bool feasible;
    double cost; /* the metric minimised (its mean) */
};

struct plan_space {
    uint32_t n_axes;
    uint32_t n[PLAN_MAX_AXES]; /* values per axis, each >= 1 */
    int bisect;                /* the axis searched by bisection, -1: the whole grid */
    uint32_t n_strategies;     /* >= 1 */
};

/* Evaluate the points pts[0..n) (flat indices, distinct, not evaluated
 * before) and fill cells[pt * n_strategies + s] for every strategy s.
 * 0, or -1 (the evaluator reports its own error; the search stops). */
typedef int (*plan_eval_fn)(void *ctx, const uint32_t *pts, uint32_t n, struct plan_cell *cells);

struct plan_stats {
    uint32_t rounds;            /* evaluator calls */
    uint32_t points;            /* points evaluated */
    uint32_t max_asked;         /* most probes one (line, strategy) asked for */
    uint32_t pruned;            /* (line, strategy) pairs pruned by cost */
    uint32_t feasibility_drops; /* evaluated pairs along the bisected axis where
                                   more capacity broke an SLO */
    uint32_t cost_drops;        /* ... where more capacity cost less (beyond
                                   PLAN_COST_DROP_TOL) */
};

/* Relative cost decrease along the bisected axis tolerated as noise before
 * it counts as a cost_drop. */
#define PLAN_COST_DROP_TOL 0.01

/* Points in the grid (product of n[]). */
uint32_t plan_points(const struct plan_space *sp);

/*
 * Run the search.  cells[plan_points(sp) * n_strategies] must be zeroed;
 * on return it holds every evaluated candidate.  0, or -1 when the
 * evaluator failed or out of memory (*oom set then).
 */
int plan_search(const struct plan_space *sp, plan_eval_fn eval, void *ctx, struct plan_cell *cells,
                struct plan_stats *st, bool *oom);

/* ceil(log2(n)) + 2: the bound on the probes per strategy along a
 * monotone axis of n values. */
uint32_t plan_probe_bound(uint32_t n);

#endif /* LBSIM_PLAN_SEARCH_H */
