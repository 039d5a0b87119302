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

#include <stdbool.h>
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

/* ---- time plots --------------------------------------------------------- */

/* A shaded span of the time axis [start_s, end_s) with its label (a fault
 * window, a traffic window); rgb like "#d62728". */
struct plot_window {
    double start_s, end_s;
    const char *label;
    const char *rgb;
};

/* How a time plot draws its series (plot_time). */
enum plot_time_style {
    PLOT_TIME_LINES = 0, /* one line per series */
    PLOT_TIME_STACKED,   /* stacked areas, series in order from the bottom (e.g. shares) */
};

/* A time plot: the series' x are seconds from the start of the run; the
 * axis is drawn in s, min or h by the span (> 2 h: hours, > 2 min:
 * minutes), while the .dat keeps seconds.  Every window is shaded behind
 * the curves and labelled at the top; y2[k] (NULL: none) puts series k on
 * a right-hand axis labelled y2label.  y_percent: y is a fraction drawn as
 * a percentage. */
struct plot_time_spec {
    const char *title, *ylabel, *y2label;
    enum plot_time_style style;
    bool y_percent;
    const bool *y2;
    uint32_t color_cycle; /* > 0: series k has colour k % color_cycle, dashed from the
                             second cycle on (e.g. errors, then 429s, per strategy) */
    const struct plot_window *windows;
    uint32_t n_windows;
};

/* The time unit plot_time uses for a span of span_s seconds: its name
 * ("s", "min", "h") and its length in seconds. */
const char *plot_time_unit(double span_s, double *unit_s);

int plot_time(const char *dir, const char *name, const struct plot_time_spec *spec,
              const struct plot_series *s, uint32_t n_series, char *err, size_t errlen);

/* What a scatter's points also show (any pointer may be NULL). */
struct plot_scatter_marks {
    const double *err_rate; /* a share in [0, 1]: the point's colour and "(err 1.2%)" */
    const bool *slo_missed; /* true: a hollow point */
    bool slo_legend;        /* a key for filled (SLO met) and hollow (missed) */
};

/* Labelled points: one dot per (x[i], y[i]) named labels[i], the points
 * on the lower-left Pareto front (on_front[i]) joined by a line, e.g.
 * cost against p99 TTFT, one point per strategy; marks (NULL: none) colour
 * the points by error rate and hollow those missing their SLO. */
int plot_scatter(const char *dir, const char *name, const char *title, const char *xlabel,
                 const char *ylabel, const char *const *labels, const double *x, const double *y,
                 const bool *on_front, const struct plot_scatter_marks *marks, uint32_t n,
                 char *err, size_t errlen);

#endif /* LBSIM_PLOT_H */
