/*
 * plan_report.h - the outputs of `lbsim plan` (prefix plan_): the text
 * report, the JSON document, and the output directory (plan.json and the
 * cost/SLO Pareto plot).  CLI layer: writes to the streams and directory
 * it is given.
 */
#ifndef LBSIM_PLAN_REPORT_H
#define LBSIM_PLAN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "experiment.h"
#include "plan_search.h"
#include "vary.h"

/* Seconds in a day, and hours in the month cloud price lists bill
 * (730 h = 8,760 h / 12: AWS and GCP monthly estimates). */
#define PLAN_S_PER_DAY   86400.0
#define PLAN_H_PER_MONTH 730.0

/* One evaluated candidate: (point, strategy). */
struct plan_cand {
    uint32_t point, strategy;
    double cost;   /* the metric minimised, mean */
    double y;      /* the front's y metric at the upper bound of its interval */
    double excess; /* worst relative SLO excess at the upper bounds (<= 0 feasible) */
    bool feasible;
};

struct plan_outcome {
    const char *scn_name;
    char fingerprint[SCN_FINGERPRINT_LEN]; /* the scenario with --set and --slo */
    uint64_t seed;
    uint32_t reps;
    const struct vary *axes;
    uint32_t n_axes;
    uint32_t stride[PLAN_MAX_AXES];
    bool monotone[PLAN_MAX_AXES];
    int bisect; /* -1: the whole grid */
    enum scn_slo_metric minimize;
    struct scn_slo slo;
    uint32_t n_strategies, grid_points;
    struct plan_stats st;
    struct sim_exp_result *const *res; /* per point, NULL when not evaluated */
    /* every evaluated candidate, cheapest first (feasible before
       infeasible at equal cost, then point, then strategy) */
    const struct plan_cand *cands;
    uint32_t n_cands;
    int chosen, runner_up;         /* index in cands, -1 none */
    int closest;                   /* none feasible: the candidate with the least excess */
    enum scn_slo_metric y_metric;  /* binding (or, none feasible, the worst at closest) */
    const struct plan_cand *front; /* the Pareto front, by cost */
    uint32_t n_front;
    double wall_s;
};

/* The upper bound of metric m's 95% interval (R > 1), else its value. */
double plan_upper(const struct sim_result *r, uint32_t reps, enum scn_slo_metric m);

/* Relative excess of an upper bound over its limit: (ub - limit) / limit
 * (ub - limit when the limit is 0); +inf when ub is not finite. */
double plan_excess(double ub, double limit);

void plan_print_text(FILE *f, const struct plan_outcome *o);
void plan_print_json(FILE *f, const struct plan_outcome *o);

/* Write DIR/plan.json and the Pareto plot (pareto.dat/.gp, rendered to
 * .png/.svg when gnuplot is on the PATH).  0, or CLI_EXIT_USAGE after
 * printing the error. */
int plan_write_outdir(const char *dir, const struct plan_outcome *o);

#endif /* LBSIM_PLAN_REPORT_H */
