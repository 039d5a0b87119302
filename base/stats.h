/*
 * stats.h - small-sample statistics for replicated runs (prefix stats_):
 * Student t quantiles and t confidence intervals of a mean.
 *
 * With R independent replications x_1..x_R of an estimator, the interval
 * mean +- t_{1-a/2, R-1} s / sqrt(R) covers the estimator's expectation
 * with probability 1 - a when the x_i are normal (Law, "Simulation
 * Modeling and Analysis", 5th ed., section 9.4.1); each x_i here is an
 * average over thousands of requests, so the central limit theorem makes
 * that close to true.  Paired differences (common random numbers) use the
 * same interval on d_i = x_i - y_i (Law, section 10.2.1).
 */
#ifndef LBSIM_STATS_H
#define LBSIM_STATS_H

#include <stddef.h>

/* Two-sided confidence level of the intervals lbsim reports. */
#define STATS_CI_LEVEL 0.95

/* The p-quantile of Student's t with dof degrees of freedom (dof >= 1,
 * 0 < p < 1); NaN otherwise. */
double stats_t_quantile(double p, double dof);

/*
 * Mean and confidence-interval half-width of x[0..n-1] at `level` (e.g.
 * 0.95): half-width t_{(1+level)/2, n-1} * s / sqrt(n).  Sets *hw to NaN
 * when n < 2.  Any non-finite x makes both NaN (a metric that is
 * undefined in one replication has no defined mean).  n = 0 gives NaN.
 */
void stats_mean_ci(const double *x, size_t n, double level, double *mean, double *hw);

#endif /* LBSIM_STATS_H */
