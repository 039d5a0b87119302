/*
 * plot.h - gnuplot inputs: data files and scripts (prefix plot_).
 *
 * Writes `<dir>/<name>.dat` and `<dir>/<name>.gp`; the script, run as
 * `gnuplot <name>.gp` from inside <dir>, writes `<name>.png` (pngcairo)
 * and `<name>.svg`.  This module never runs gnuplot: the CLI does, when it
 * is installed, so users can always restyle from the .dat and .gp files.
 * Labels are escaped for gnuplot strings.  Returns 0 or -1 with a message.
 */
#ifndef LBSIM_PLOT_H
#define LBSIM_PLOT_H

#include <stddef.h>
#include <stdint.h>

/* One curve: n (x, y) points. */
struct plot_series {
    const char *label;
    const double *x, *y;
    uint32_t n;
};

/* A CDF: one curve per series, x on a log scale (xlabel), y in [0, 1]. */
int plot_cdf(const char *dir, const char *name, const char *title, const char *xlabel,
             const struct plot_series *s, uint32_t n_series, char *err, size_t errlen);

/* Grouped bars: n_groups groups (e.g. strategies) x n_metrics panels.
 * values[m * n_groups + g]; one panel (sub-plot) per metric, each with its
 * own y label, side by side in one image. */
int plot_bars(const char *dir, const char *name, const char *title, const char *const *groups,
              uint32_t n_groups, const char *const *metrics, const char *const *ylabels,
              const double *values, uint32_t n_metrics, char *err, size_t errlen);

/* A time series: x = time in s, one curve per series (e.g. 429s per
 * interval per strategy). */
int plot_lines(const char *dir, const char *name, const char *title, const char *xlabel,
               const char *ylabel, const struct plot_series *s, uint32_t n_series, char *err,
               size_t errlen);

/* A curve with a confidence band: n points (x, y) and the band [lo, hi]
 * at each x (NaN ends: no band there). */
struct plot_band {
    const char *label;
    const double *x, *y, *lo, *hi;
    uint32_t n;
};

/* Lines with points and a shaded band per series, e.g. a metric against a
 * swept input with its 95% interval, one series per strategy. */
int plot_bands(const char *dir, const char *name, const char *title, const char *xlabel,
               const char *ylabel, const struct plot_band *s, uint32_t n_series, char *err,
               size_t errlen);

/* A tornado chart: one horizontal bar per input, from lo[i] to hi[i] of
 * the output (xlabel), drawn in the given order (top first: sort by swing
 * before calling), with a vertical line at the baseline output. */
int plot_tornado(const char *dir, const char *name, const char *title, const char *xlabel,
                 const char *const *labels, const double *lo, const double *hi, uint32_t n,
                 double baseline, char *err, size_t errlen);

/* A cost/quality scatter with its Pareto front: every evaluated point
 * (x[i], y[i]) as a dot, the front (fx, fy; sorted by x) as a line, the
 * chosen point (cx, cy) marked, and a horizontal line at y = limit when
 * limit is finite. */
int plot_pareto(const char *dir, const char *name, const char *title, const char *xlabel,
                const char *ylabel, const double *x, const double *y, uint32_t n, const double *fx,
                const double *fy, uint32_t n_front, double cx, double cy, double limit, char *err,
                size_t errlen);

#endif /* LBSIM_PLOT_H */
