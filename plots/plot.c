/*
 * plot.c - gnuplot data files and scripts (see plot.h).
 *
 * Files are written for Debian's gnuplot-nox 5.4 (pngcairo and svg
 * terminals).  Data files are tab-separated with one gnuplot "index" block
 * per series (blocks separated by two blank lines, each headed by a
 * "# label" comment), so users can re-plot any series by index.  Numbers
 * use one fixed format, so the same inputs give byte-identical files.
 *
 * gnuplot merges consecutive empty blocks, which would shift every later
 * index; series with no plottable point are therefore left out of both
 * the data file and the plot command.  A plot with nothing to draw still
 * renders, as an empty frame saying "no data", so a script never fails.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Longest "<dir>/<name>.<ext>" accepted (Linux PATH_MAX). */
#define PLOT_PATH_MAX 4096
/* Image size in pixels (width,height), both terminals: wide enough for a
 * key of several strategies beside the curves. */
#define PLOT_SIZE "1000,600"
/* Number format of data files: 9 significant digits round-trip a float
 * and are ample for plotting, and never depend on the platform. */
#define PLOT_NUM_FMT "%.9g"
/* Line colours 1-10: matplotlib's tab10 (Vega category10), readable on
 * white and distinct for the usual handful of strategies. */
#define PLOT_PALETTE                                                                               \
    "set linetype 1 lc rgb '#1f77b4'\nset linetype 2 lc rgb '#ff7f0e'\n"                           \
    "set linetype 3 lc rgb '#2ca02c'\nset linetype 4 lc rgb '#d62728'\n"                           \
    "set linetype 5 lc rgb '#9467bd'\nset linetype 6 lc rgb '#8c564b'\n"                           \
    "set linetype 7 lc rgb '#e377c2'\nset linetype 8 lc rgb '#7f7f7f'\n"                           \
    "set linetype 9 lc rgb '#bcbd22'\nset linetype 10 lc rgb '#17becf'\n"                          \
    "set linetype cycle 10\n"

/* The two images every script writes: terminal line and file extension. */
struct plot_term {
    const char *set_terminal;
    const char *ext;
};

static const struct plot_term plot_terms[] = {
    /* noenhanced: labels are literal, so "_" in a strategy name is not
     * a subscript. */
    {"set terminal pngcairo size " PLOT_SIZE " noenhanced", "png"},
    {"set terminal svg size " PLOT_SIZE " noenhanced dynamic", "svg"},
};

/* "<path>: <strerror(e)>" without the static buffer of strerror(). */
static void plot_syserr(char *err, size_t errlen, const char *what, const char *path, int e)
{
    char msg[256];
    if (strerror_r(e, msg, sizeof msg) != 0)
        snprintf(msg, sizeof msg, "error %d", e);
    base_errf(err, errlen, "%s %s: %s", what, path, msg);
}

/* An output file being written, with its path for error messages. */
struct plot_file {
    FILE *f;
    char path[PLOT_PATH_MAX];
};

static int plot_open(struct plot_file *pf, const char *dir, const char *name, const char *ext,
                     char *err, size_t errlen)
{
    pf->f = NULL;
    if (!dir || !*dir)
        dir = ".";
    if (!name || !*name) {
        base_errf(err, errlen, "plot: empty plot name");
        return -1;
    }
    int len = snprintf(pf->path, sizeof pf->path, "%s/%s.%s", dir, name, ext);
    if (len < 0 || (size_t)len >= sizeof pf->path) {
        base_errf(err, errlen, "plot: path too long: %s/%s.%s", dir, name, ext);
        return -1;
    }
    pf->f = fopen(pf->path, "w");
    if (!pf->f) {
        plot_syserr(err, errlen, "cannot create", pf->path, errno);
        return -1;
    }
    return 0;
}

/* Close and report any write error (a full disk shows up here). */
static int plot_close(struct plot_file *pf, int rc, char *err, size_t errlen)
{
    if (!pf->f)
        return rc;
    /* ferror() does not say why; EIO stands for "some earlier write". */
    int failed = ferror(pf->f);
    int e = EIO;
    if (fclose(pf->f) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    pf->f = NULL;
    if (failed && rc == 0) {
        plot_syserr(err, errlen, "cannot write", pf->path, e);
        return -1;
    }
    return rc;
}

/* A gnuplot single-quoted string: inside one, only '' needs escaping
 * (backslashes are literal).  Control characters, which would end the
 * command, become spaces. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'')
            fputs("''", f);
        else if (c < 0x20 || c == 0x7f)
            fputc(' ', f);
        else
            fputc(c, f);
    }
    fputc('\'', f);
}

/* Text on a data-file comment line or in a label column: tabs and line
 * breaks would split fields or lines, so every control character becomes
 * a space. */
static void dat_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
    }
}

static bool point_ok(double x, double y, bool log_x)
{
    return isfinite(x) && isfinite(y) && (!log_x || x > 0);
}

static uint32_t series_points(const struct plot_series *s, bool log_x)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n; i++)
        k += s->x && s->y && point_ok(s->x[i], s->y[i], log_x);
    return k;
}

/* Data file of curves; returns the number of blocks written. */
static uint32_t write_series_dat(FILE *f, const char *name, const struct plot_series *s,
                                 uint32_t n_series, bool log_x)
{
    fprintf(f, "# %s.dat - written by lbsim; one index block per series: x<TAB>y\n", name);
    uint32_t blocks = 0;
    for (uint32_t k = 0; k < n_series; k++) {
        if (series_points(&s[k], log_x) == 0)
            continue;
        if (blocks > 0)
            fputs("\n\n", f);
        fputs("# ", f);
        dat_text(f, s[k].label);
        fputc('\n', f);
        for (uint32_t i = 0; i < s[k].n; i++) {
            if (!point_ok(s[k].x[i], s[k].y[i], log_x))
                continue;
            fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\n", s[k].x[i], s[k].y[i]);
        }
        blocks++;
    }
    return blocks;
}

static void gp_header(FILE *f, const char *name, const char *what)
{
    fprintf(f, "# %s.gp - written by lbsim: %s.\n", name, what);
    fprintf(f, "# Run `gnuplot %s.gp` in this directory to draw %s.png and %s.svg\n", name, name,
            name);
    fprintf(f, "# from %s.dat (tab-separated, one index block per curve or panel).\n", name);
    fputs("set datafile separator \"\\t\"\n", f);
    fputs("set encoding utf8\n", f);
}

/* The title and axis labels of a one-panel plot (ylabel NULL: none);
 * the next command starts on the same line, after a "\n". */
static void gp_labels(FILE *f, const char *title, const char *xlabel, const char *ylabel)
{
    fputs("set title ", f);
    gp_str(f, title);
    fputs("\nset xlabel ", f);
    gp_str(f, xlabel);
    if (ylabel != NULL) {
        fputs("\nset ylabel ", f);
        gp_str(f, ylabel);
    }
}

static void gp_no_data(FILE *f)
{
    fputs("set label 1 'no data' at graph 0.5, 0.5 center\n", f);
}

/* The plot command of a curve file: one `index k` per written block. */
static void gp_plot_series(FILE *f, const char *name, const struct plot_series *s,
                           uint32_t n_series, bool log_x)
{
    uint32_t block = 0;
    for (uint32_t k = 0; k < n_series; k++) {
        if (series_points(&s[k], log_x) == 0)
            continue;
        fputs(block == 0 ? "plot " : ", \\\n     ", f);
        char file[PLOT_PATH_MAX];
        snprintf(file, sizeof file, "%s.dat", name);
        gp_str(f, file);
        fprintf(f, " index %u using 1:2 with lines lw 2 title ", block);
        gp_str(f, s[k].label);
        block++;
    }
    if (block == 0)
        fputs("plot NaN notitle", f);
    fputc('\n', f);
}

/* The terminals' loop of a script whose plot command is written by fn. */
static void gp_outputs(FILE *f, const char *name, void (*fn)(FILE *, const void *), const void *ctx)
{
    for (size_t t = 0; t < sizeof plot_terms / sizeof plot_terms[0]; t++) {
        char out[PLOT_PATH_MAX];
        snprintf(out, sizeof out, "%s.%s", name, plot_terms[t].ext);
        fprintf(f, "%s\nset output ", plot_terms[t].set_terminal);
        gp_str(f, out);
        fputc('\n', f);
        fn(f, ctx);
    }
    fputs("unset output\n", f);
}

struct series_ctx {
    const char *name;
    const struct plot_series *s;
    uint32_t n;
    bool log_x;
};

static void gp_plot_series_ctx(FILE *f, const void *vctx)
{
    const struct series_ctx *c = vctx;
    gp_plot_series(f, c->name, c->s, c->n, c->log_x);
}

/* The per-terminal tail shared by the curve plots. */
static void gp_outputs_series(FILE *f, const char *name, const struct plot_series *s,
                              uint32_t n_series, bool log_x)
{
    struct series_ctx c = {name, s, n_series, log_x};
    gp_outputs(f, name, gp_plot_series_ctx, &c);
}

/* A flat series (every y equal, e.g. no 429s at all, or a fixed replica
 * count) would make gnuplot warn "empty y range" and pick its own; give it
 * a range around the value instead. */
static void gp_flat_yrange(FILE *f, const struct plot_series *s, uint32_t n_series)
{
    double lo = INFINITY, hi = -INFINITY;
    for (uint32_t i = 0; i < n_series; i++)
        for (uint32_t k = 0; k < s[i].n; k++)
            if (isfinite(s[i].y[k])) {
                lo = s[i].y[k] < lo ? s[i].y[k] : lo;
                hi = s[i].y[k] > hi ? s[i].y[k] : hi;
            }
    if (lo == hi) /* lo <= hi: finite, at least one point */
        fprintf(f, "set yrange [%.17g:%.17g]\n", lo >= 0 && lo < 1 ? 0.0 : lo - 1, hi + 1);
}

static int plot_curves(const char *dir, const char *name, const char *title, const char *xlabel,
                       const char *ylabel, const struct plot_series *s, uint32_t n_series, bool cdf,
                       char *err, size_t errlen)
{
    struct plot_file dat, gp;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    uint32_t blocks = write_series_dat(dat.f, name, s, n_series, cdf);
    if (plot_close(&dat, 0, err, errlen) != 0)
        return -1;

    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0)
        return -1;
    FILE *f = gp.f;
    gp_header(f, name, cdf ? "cumulative distribution" : "time series");
    gp_labels(f, title, xlabel, ylabel);
    fputs("\nset grid\n", f);
    if (cdf) {
        /* Latencies span decades: a log x axis keeps the body and the tail
         * readable at once. */
        fputs("set logscale x 10\nset format x '%g'\nset yrange [0:1]\n"
              "set key bottom right\n",
              f);
        if (blocks == 0)
            fputs("set xrange [0.001:1]\n", f);
    } else {
        fputs("set key top right\n", f);
        if (blocks == 0)
            fputs("set xrange [0:1]\nset yrange [0:1]\n", f);
        else
            gp_flat_yrange(f, s, n_series);
    }
    if (blocks == 0)
        gp_no_data(f);
    gp_outputs_series(f, name, s, n_series, cdf);
    return plot_close(&gp, 0, err, errlen);
}

int plot_cdf(const char *dir, const char *name, const char *title, const char *xlabel,
             const struct plot_series *s, uint32_t n_series, char *err, size_t errlen)
{
    return plot_curves(dir, name, title, xlabel, "cumulative fraction", s, n_series, true, err,
                       errlen);
}

int plot_lines(const char *dir, const char *name, const char *title, const char *xlabel,
               const char *ylabel, const struct plot_series *s, uint32_t n_series, char *err,
               size_t errlen)
{
    return plot_curves(dir, name, title, xlabel, ylabel, s, n_series, false, err, errlen);
}

/* ---- bars --------------------------------------------------------------- */

/* Number of finite values of metric m, and whether any is negative. */
static uint32_t bar_count(const double *values, uint32_t n_groups, uint32_t m, bool *negative)
{
    uint32_t k = 0;
    *negative = false;
    for (uint32_t g = 0; g < n_groups; g++) {
        double v = values[(size_t)m * n_groups + g];
        if (isfinite(v)) {
            k++;
            *negative |= v < 0;
        }
    }
    return k;
}

/* One panel: a horizontal bar per group (group 0 on top), one colour per
 * group across panels, the value printed at the bar's end.  Horizontal
 * bars keep every group name level and apart, however many there are,
 * and a zero reads as "0" beside the axis, not as a rotated glyph. */
static void gp_bar_panel(FILE *f, const char *name, const char *const *groups, uint32_t n_groups,
                         const char *metric, const char *ylabel, uint32_t count, bool negative,
                         bool flat, uint32_t block, uint32_t color)
{
    (void)color;
    fputs("set title ", f);
    gp_str(f, metric);
    fputs("\nset xlabel ", f);
    gp_str(f, ylabel);
    fprintf(f, "\nset yrange [-0.6:%u.6]\n", n_groups ? n_groups - 1 : 0);
    if (n_groups == 0) {
        fputs("unset ytics\n", f);
    } else {
        /* Tic labels come from the script, not the data file, so any
         * group name survives (data-file fields cannot hold tabs). */
        fputs("set ytics nomirror (", f);
        for (uint32_t g = 0; g < n_groups; g++) {
            if (g)
                fputs(", ", f);
            gp_str(f, groups ? groups[g] : "");
            fprintf(f, " %u", n_groups - 1 - g);
        }
        fputs(")\n", f);
    }
    char file[PLOT_PATH_MAX];
    snprintf(file, sizeof file, "%s.dat", name);
    if (count == 0) {
        fputs("set xrange [0:1]\n", f);
        gp_no_data(f);
        fputs("plot NaN notitle\nunset label 1\n", f);
        return;
    }
    /* Bars grow from 0: keep 0 in view unless a value is negative; all
     * zero: gnuplot would warn about an empty range. */
    fputs(flat ? "set xrange [0:1]\n" : negative ? "set xrange [*:*]\n" : "set xrange [0:*]\n", f);
    fputs("plot ", f);
    gp_str(f, file);
    fprintf(f,
            " index %u using ($2/2):(%u-$1):($2/2):(0.35):(($1)+1) with boxxyerror "
            "fs solid 0.85 noborder lc variable notitle, \\\n     ",
            block, n_groups - 1);
    gp_str(f, file);
    fprintf(f,
            " index %u using 2:(%u-$1):(sprintf(' %%.3g', $2)) with labels left "
            "font ',9' notitle\n",
            block, n_groups - 1);
}

int plot_bars(const char *dir, const char *name, const char *title, const char *const *groups,
              uint32_t n_groups, const char *const *metrics, const char *const *ylabels,
              const double *values, uint32_t n_metrics, char *err, size_t errlen)
{
    if (n_metrics > 0 && n_groups > 0 && !values) {
        base_errf(err, errlen, "plot %s: no values", name ? name : "");
        return -1;
    }
    struct plot_file dat, gp;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    FILE *f = dat.f;
    fprintf(f,
            "# %s.dat - written by lbsim; one index block per metric: "
            "group index<TAB>value<TAB>group\n",
            name);
    uint32_t blocks = 0;
    for (uint32_t m = 0; m < n_metrics; m++) {
        bool negative;
        if (bar_count(values, n_groups, m, &negative) == 0)
            continue;
        if (blocks > 0)
            fputs("\n\n", f);
        fputs("# ", f);
        dat_text(f, metrics ? metrics[m] : "");
        fputc('\n', f);
        for (uint32_t g = 0; g < n_groups; g++) {
            double v = values[(size_t)m * n_groups + g];
            if (!isfinite(v))
                continue;
            fprintf(f, "%u\t" PLOT_NUM_FMT "\t", g, v);
            dat_text(f, groups ? groups[g] : "");
            fputc('\n', f);
        }
        blocks++;
    }
    if (plot_close(&dat, 0, err, errlen) != 0)
        return -1;

    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0)
        return -1;
    f = gp.f;
    gp_header(f, name, "grouped bars, one panel per metric");
    /* The top offset leaves room for the value printed above the
     * tallest bar, below the panel title. */
    /* The right offset leaves room for the value printed at the end of
     * the longest bar. */
    fputs("set grid xtics\nunset key\nset border 3\nset xtics nomirror\n"
          "set offsets 0, graph 0.18, 0, 0\n",
          f);
    fputs(PLOT_PALETTE, f);
    uint32_t panels = n_metrics ? n_metrics : 1;
    for (size_t t = 0; t < sizeof plot_terms / sizeof plot_terms[0]; t++) {
        char out[PLOT_PATH_MAX];
        snprintf(out, sizeof out, "%s.%s", name, plot_terms[t].ext);
        /* panels stacked, each as tall as its bars need */
        fprintf(f, "set terminal %s size 1000,%u noenhanced%s\nset output ",
                t == 0 ? "pngcairo" : "svg", 60 + panels * (90 + 26 * (n_groups ? n_groups : 1)),
                t == 0 ? "" : " dynamic");
        gp_str(f, out);
        fprintf(f, "\nset multiplot layout %u,1 title ", panels);
        gp_str(f, title);
        fputc('\n', f);
        uint32_t block = 0;
        for (uint32_t m = 0; m < n_metrics; m++) {
            bool negative;
            uint32_t count = bar_count(values, n_groups, m, &negative);
            bool flat = true;
            for (uint32_t g = 0; g < n_groups; g++) {
                double v = values[(size_t)m * n_groups + g];
                flat &= !isfinite(v) || v == 0.0;
            }
            gp_bar_panel(f, name, groups, n_groups, metrics ? metrics[m] : "",
                         ylabels ? ylabels[m] : "", count, negative, flat, block, m + 1);
            block += count > 0;
        }
        if (n_metrics == 0)
            gp_bar_panel(f, name, groups, n_groups, "", "", 0, false, false, 0, 1);
        fputs("unset multiplot\n", f);
    }
    fputs("unset output\n", f);
    return plot_close(&gp, 0, err, errlen);
}

/* ---- bands -------------------------------------------------------------- */

struct bands_ctx {
    const char *name;
    const struct plot_band *s;
    uint32_t n;
};

static uint32_t band_points(const struct plot_band *b)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->n; i++)
        k += b->x && b->y && isfinite(b->x[i]) && isfinite(b->y[i]);
    return k;
}

static void gp_plot_bands(FILE *f, const void *vctx)
{
    const struct bands_ctx *c = vctx;
    char file[PLOT_PATH_MAX];
    snprintf(file, sizeof file, "%s.dat", c->name);
    uint32_t block = 0;
    for (uint32_t k = 0; k < c->n; k++) {
        if (band_points(&c->s[k]) == 0)
            continue;
        /* The band first (under the line), in the series' own colour;
         * points without a band (NaN ends) leave a gap. */
        fputs(block == 0 ? "plot " : ", \\\n     ", f);
        gp_str(f, file);
        fprintf(f,
                " index %u using 1:3:4 with filledcurves fs transparent solid 0.18 noborder "
                "lc %u notitle, \\\n     ",
                block, k + 1);
        gp_str(f, file);
        fprintf(f, " index %u using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc %u title ", block,
                k + 1);
        gp_str(f, c->s[k].label);
        block++;
    }
    if (block == 0)
        fputs("plot NaN notitle", f);
    fputc('\n', f);
}

int plot_bands(const char *dir, const char *name, const char *title, const char *xlabel,
               const char *ylabel, const struct plot_band *s, uint32_t n_series, char *err,
               size_t errlen)
{
    struct plot_file dat, gp;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    FILE *f = dat.f;
    fprintf(f, "# %s.dat - written by lbsim; one index block per series: x<TAB>y<TAB>lo<TAB>hi\n",
            name);
    uint32_t blocks = 0;
    double lo_all = INFINITY, hi_all = -INFINITY;
    for (uint32_t k = 0; k < n_series; k++) {
        const struct plot_band *b = &s[k];
        if (band_points(b) == 0)
            continue;
        if (blocks > 0)
            fputs("\n\n", f);
        fputs("# ", f);
        dat_text(f, b->label);
        fputc('\n', f);
        for (uint32_t i = 0; i < b->n; i++) {
            if (!isfinite(b->x[i]) || !isfinite(b->y[i]))
                continue;
            double lo = b->lo && isfinite(b->lo[i]) ? b->lo[i] : b->y[i];
            double hi = b->hi && isfinite(b->hi[i]) ? b->hi[i] : b->y[i];
            fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\n",
                    b->x[i], b->y[i], lo, hi);
            lo_all = lo < lo_all ? lo : lo_all;
            hi_all = hi > hi_all ? hi : hi_all;
        }
        blocks++;
    }
    if (plot_close(&dat, 0, err, errlen) != 0)
        return -1;
    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0)
        return -1;
    f = gp.f;
    gp_header(f, name, "curves with 95% confidence bands");
    gp_labels(f, title, xlabel, ylabel);
    fputs("\nset grid\nset key outside right top\n", f);
    if (blocks == 0) {
        fputs("set xrange [0:1]\nset yrange [0:1]\n", f);
        gp_no_data(f);
    } else if (lo_all == hi_all) {
        fprintf(f, "set yrange [%.17g:%.17g]\n", lo_all >= 0 && lo_all < 1 ? 0.0 : lo_all - 1,
                hi_all + 1);
    }
    struct bands_ctx c = {name, s, n_series};
    gp_outputs(f, name, gp_plot_bands, &c);
    return plot_close(&gp, 0, err, errlen);
}

/* ---- tornado ------------------------------------------------------------ */

struct tornado_ctx {
    const char *name;
    uint32_t count;
};

static void gp_plot_tornado(FILE *f, const void *vctx)
{
    const struct tornado_ctx *c = vctx;
    char file[PLOT_PATH_MAX];
    snprintf(file, sizeof file, "%s.dat", c->name);
    if (c->count == 0) {
        fputs("plot NaN notitle\n", f);
        return;
    }
    /* x = middle, y = row, xlow, xhigh, ylow, yhigh */
    fputs("plot ", f);
    gp_str(f, file);
    fputs(" using (($2+$3)/2):1:2:3:($1-0.35):($1+0.35) with boxxyerror fs solid 0.7 lc 1 "
          "notitle\n",
          f);
}

int plot_tornado(const char *dir, const char *name, const char *title, const char *xlabel,
                 const char *const *labels, const double *lo, const double *hi, uint32_t n,
                 double baseline, char *err, size_t errlen)
{
    struct plot_file dat, gp;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    FILE *f = dat.f;
    fprintf(f, "# %s.dat - written by lbsim; one row per input: row<TAB>low<TAB>high<TAB>input\n",
            name);
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(lo[i]) || !isfinite(hi[i]))
            continue;
        /* The first input is drawn on top. */
        fprintf(f, "%u\t" PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\t", n - 1 - i, lo[i], hi[i]);
        dat_text(f, labels ? labels[i] : "");
        fputc('\n', f);
        count++;
    }
    if (plot_close(&dat, 0, err, errlen) != 0)
        return -1;
    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0)
        return -1;
    f = gp.f;
    gp_header(f, name, "tornado chart: the output's range as each input moves alone");
    gp_labels(f, title, xlabel, NULL);
    /* Bars never touch the frame: 5% of the range on each side. */
    fprintf(f,
            "\nset grid xtics\nunset key\nset offsets graph 0.05, graph 0.05, 0, 0\n"
            "set yrange [-0.6:%u.6]\n",
            n ? n - 1 : 0);
    /* A quantity that cannot be negative (a rate, a cost) keeps 0 as the
     * left edge rather than a margin below it. */
    double min_lo = INFINITY;
    for (uint32_t i = 0; i < n; i++)
        if (isfinite(lo[i]) && isfinite(hi[i]) && lo[i] < min_lo)
            min_lo = lo[i];
    if (min_lo >= 0 && isfinite(min_lo) && !(baseline < 0))
        fputs("set xrange [0:*]\n", f);
    if (n > 0) {
        fputs("set ytics nomirror (", f);
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            gp_str(f, labels ? labels[i] : "");
            fprintf(f, " %u", n - 1 - i);
        }
        fputs(")\n", f);
    }
    if (isfinite(baseline))
        fprintf(f,
                "set arrow 1 from %.17g, graph 0 to %.17g, graph 1 nohead lw 2 dt 2 lc rgb "
                "'black'\n",
                baseline, baseline);
    if (count == 0) {
        fputs("set xrange [0:1]\n", f);
        gp_no_data(f);
    }
    struct tornado_ctx c = {name, count};
    gp_outputs(f, name, gp_plot_tornado, &c);
    return plot_close(&gp, 0, err, errlen);
}

/* ---- Pareto front ------------------------------------------------------- */

struct pareto_ctx {
    const char *name;
    uint32_t n, n_front;
    bool chosen;
    double limit; /* NaN: none */
};

static void gp_plot_pareto(FILE *f, const void *vctx)
{
    const struct pareto_ctx *c = vctx;
    char file[PLOT_PATH_MAX];
    snprintf(file, sizeof file, "%s.dat", c->name);
    if (c->n == 0) {
        fputs("plot NaN notitle\n", f);
        return;
    }
    fputs("plot ", f);
    gp_str(f, file);
    fputs(" index 0 using 1:2 with points pt 7 ps 0.7 lc rgb '#999999' title 'evaluated'", f);
    if (c->n_front > 0) {
        fputs(", \\\n     ", f);
        gp_str(f, file);
        fputs(" index 1 using 1:2 with linespoints lw 2 pt 7 lc 1 title 'Pareto front'", f);
    }
    if (c->chosen) {
        fputs(", \\\n     ", f);
        gp_str(f, file);
        fputs(" index 2 using 1:2 with points pt 6 ps 2.5 lw 2 lc 7 title 'chosen'", f);
    }
    /* the SLO as a constant curve, not an arrow: it then counts in the y
     * autoscale, so it stays in view when every point is below it */
    if (isfinite(c->limit))
        fprintf(f, ", \\\n     %.17g with lines lw 2 dt 2 lc rgb 'red' title 'SLO'", c->limit);
    fputc('\n', f);
}

int plot_pareto(const char *dir, const char *name, const char *title, const char *xlabel,
                const char *ylabel, const double *x, const double *y, uint32_t n, const double *fx,
                const double *fy, uint32_t n_front, double cx, double cy, double limit, char *err,
                size_t errlen)
{
    struct plot_file dat, gp;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    FILE *f = dat.f;
    fprintf(f, "# %s.dat - written by lbsim; blocks: evaluated points, the front, the chosen\n",
            name);
    uint32_t k = 0, kf = 0;
    fputs("# evaluated\n", f);
    for (uint32_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\n", x[i], y[i]);
            k++;
        }
    fputs("\n\n# front\n", f);
    for (uint32_t i = 0; i < n_front; i++)
        if (isfinite(fx[i]) && isfinite(fy[i])) {
            fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\n", fx[i], fy[i]);
            kf++;
        }
    bool chosen = isfinite(cx) && isfinite(cy);
    fputs("\n\n# chosen\n", f);
    if (chosen)
        fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\n", cx, cy);
    if (plot_close(&dat, 0, err, errlen) != 0)
        return -1;
    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0)
        return -1;
    f = gp.f;
    gp_header(f, name, "cost against a service level: evaluated points and their Pareto front");
    gp_labels(f, title, xlabel, ylabel);
    /* a margin inside the axes: the cheapest point (often the chosen one)
     * would sit on the left border, half drawn */
    fputs("\nset grid\nset key outside right top\nset offsets graph 0.04, graph 0.04, graph "
          "0.06, graph 0.04\n",
          f);
    if (k == 0) {
        fputs("set xrange [0:1]\nset yrange [0:1]\n", f);
        gp_no_data(f);
    }
    struct pareto_ctx c = {name, k, kf, chosen, limit};
    gp_outputs(f, name, gp_plot_pareto, &c);
    return plot_close(&gp, 0, err, errlen);
}

/* ---- time plots --------------------------------------------------------- */

/* Axis units: a run written in minutes reads in minutes (issue 14). */
#define PLOT_MINUTES_ABOVE_S 120.0
#define PLOT_HOURS_ABOVE_S   7200.0
/* Window label rows at the top of the frame (graph units), staggered so
 * overlapping windows keep their labels apart. */
#define PLOT_WINDOW_LABEL_TOP  0.965
#define PLOT_WINDOW_LABEL_STEP 0.055
#define PLOT_WINDOW_LABEL_ROWS 4

const char *plot_time_unit(double span_s, double *unit_s)
{
    if (span_s > PLOT_HOURS_ABOVE_S) {
        *unit_s = 3600.0;
        return "h";
    }
    if (span_s > PLOT_MINUTES_ABOVE_S) {
        *unit_s = 60.0;
        return "min";
    }
    *unit_s = 1.0;
    return "s";
}

struct time_ctx {
    const char *name;
    const struct plot_time_spec *spec;
    const struct plot_series *s;
    uint32_t n;
    double unit_s;
};

static void gp_plot_time(FILE *f, const void *vctx)
{
    const struct time_ctx *c = vctx;
    char file[PLOT_PATH_MAX];
    snprintf(file, sizeof file, "%s.dat", c->name);
    const char *yscale = c->spec->y_percent ? "*100" : "";
    uint32_t block = 0;
    /* stacked: drawn top band first, so the key lists them as stacked */
    for (uint32_t j = 0; j < c->n; j++) {
        uint32_t k = c->spec->style == PLOT_TIME_STACKED ? c->n - 1 - j : j;
        uint32_t cyc = c->spec->color_cycle;
        uint32_t color = cyc ? k % cyc + 1 : k + 1;
        bool dashed = (cyc && k >= cyc) || (c->spec->y2 && c->spec->y2[k]);
        if (series_points(&c->s[k], false) == 0)
            continue;
        uint32_t idx = 0; /* the block index of series k */
        for (uint32_t i = 0; i < k; i++)
            idx += series_points(&c->s[i], false) > 0;
        fputs(block == 0 ? "plot " : ", \\\n     ", f);
        gp_str(f, file);
        if (c->spec->style == PLOT_TIME_STACKED)
            fprintf(f,
                    " index %u using ($1/%.17g):($3%s):($4%s) with filledcurves "
                    "fs solid 0.8 noborder lc %u title ",
                    idx, c->unit_s, yscale, yscale, k + 1);
        else
            fprintf(f, " index %u using ($1/%.17g):($2%s) with lines lw 2 lc %u%s%s title ", idx,
                    c->unit_s, yscale, color, dashed ? " dt 2" : "",
                    c->spec->y2 && c->spec->y2[k] ? " axes x1y2" : "");
        gp_str(f, c->s[k].label);
        block++;
    }
    if (block == 0)
        fputs("plot NaN notitle", f);
    fputc('\n', f);
}

int plot_time(const char *dir, const char *name, const struct plot_time_spec *spec,
              const struct plot_series *s, uint32_t n_series, char *err, size_t errlen)
{
    bool stacked = spec->style == PLOT_TIME_STACKED;
    struct plot_file dat, gp;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    FILE *f = dat.f;
    fprintf(f,
            stacked ? "# %s.dat - written by lbsim; one index block per series: "
                      "t_s<TAB>y<TAB>stack bottom<TAB>stack top\n"
                    : "# %s.dat - written by lbsim; one index block per series: t_s<TAB>y\n",
            name);
    double t_min = INFINITY, t_max = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    uint32_t blocks = 0;
    for (uint32_t k = 0; k < n_series; k++) {
        if (series_points(&s[k], false) == 0)
            continue;
        if (blocks > 0)
            fputs("\n\n", f);
        fputs("# ", f);
        dat_text(f, s[k].label);
        fputc('\n', f);
        for (uint32_t i = 0; i < s[k].n; i++) {
            if (!point_ok(s[k].x[i], s[k].y[i], false))
                continue;
            double x = s[k].x[i], y = s[k].y[i];
            t_min = x < t_min ? x : t_min;
            t_max = x > t_max ? x : t_max;
            if (!(spec->y2 && spec->y2[k])) {
                y_lo = y < y_lo ? y : y_lo;
                y_hi = y > y_hi ? y : y_hi;
            }
            fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT, x, y);
            if (stacked) {
                /* the bottom: the series below at the same point (stacked
                 * series share their x grid) */
                double bottom = 0;
                for (uint32_t j = 0; j < k; j++)
                    if (i < s[j].n && isfinite(s[j].y[i]))
                        bottom += s[j].y[i];
                fprintf(f, "\t" PLOT_NUM_FMT "\t" PLOT_NUM_FMT, bottom, bottom + y);
            }
            fputc('\n', f);
        }
        blocks++;
    }
    if (plot_close(&dat, 0, err, errlen) != 0)
        return -1;

    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0)
        return -1;
    f = gp.f;
    gp_header(f, name, stacked ? "stacked areas over time" : "time series with fault windows");
    for (uint32_t w = 0; w < spec->n_windows; w++) {
        double a = spec->windows[w].start_s, b = spec->windows[w].end_s;
        t_min = a < t_min ? a : t_min;
        t_max = b > t_max ? b : t_max;
    }
    double unit_s;
    const char *unit = plot_time_unit(blocks ? t_max - (t_min < 0 ? t_min : 0) : 0, &unit_s);
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "time (%s)", unit);
    gp_labels(f, spec->title, xlabel, spec->ylabel);
    fputs("\nset grid\nset key outside right top\nset border 3\nset tics nomirror\n", f);
    fputs(PLOT_PALETTE, f);
    if (spec->y2label) {
        fputs("set y2label ", f);
        gp_str(f, spec->y2label);
        fputs("\nset y2tics\nset border 11\nset y2range [0:*]\n", f);
    }
    if (blocks == 0) {
        fputs("set xrange [0:1]\nset yrange [0:1]\n", f);
        gp_no_data(f);
    } else {
        fprintf(f, "set xrange [%.17g:%.17g]\n", (t_min < 0 ? t_min : 0) / unit_s, t_max / unit_s);
        /* rates, shares, counts: 0 at the bottom; a flat 0 gets a unit range */
        double top = stacked ? 1.0 : y_hi;
        if (spec->y_percent)
            top *= 100;
        if (stacked)
            fprintf(f, "set yrange [0:%.17g]\n", top);
        else if (y_lo >= 0 && !(top > 0))
            fputs("set yrange [0:1]\n", f);
        else if (y_lo >= 0)
            fputs("set yrange [0:*]\n", f);
    }
    /* headroom for the window labels above the highest curve */
    if (spec->n_windows > 0 && blocks > 0 && !stacked)
        fputs("set offsets 0, 0, graph 0.18, 0\n", f);
    if (spec->y_percent)
        fputs("set format y '%g%%'\n", f);
    for (uint32_t w = 0; w < spec->n_windows; w++) {
        const struct plot_window *pw = &spec->windows[w];
        if (!(pw->end_s > pw->start_s))
            continue;
        const char *rgb = pw->rgb ? pw->rgb : "#888888";
        /* a label row below every earlier window this one overlaps */
        uint32_t row = 0;
        for (uint32_t v = 0; v < w; v++)
            row += spec->windows[v].start_s < pw->end_s && pw->start_s < spec->windows[v].end_s;
        fprintf(f,
                "set object %u rect from %.17g, graph 0 to %.17g, graph 1 behind "
                "fc rgb '%s' fs transparent solid 0.16 noborder\n",
                w + 1, pw->start_s / unit_s, pw->end_s / unit_s, rgb);
        fprintf(f, "set label %u ", w + 10);
        gp_str(f, pw->label);
        fprintf(f, " at %.17g, graph %.3f left offset 0.4,0 front font ',9' tc rgb '%s'\n",
                pw->start_s / unit_s,
                PLOT_WINDOW_LABEL_TOP - PLOT_WINDOW_LABEL_STEP * (row % PLOT_WINDOW_LABEL_ROWS),
                rgb);
    }
    struct time_ctx c = {name, spec, s, n_series, unit_s};
    gp_outputs(f, name, gp_plot_time, &c);
    return plot_close(&gp, 0, err, errlen);
}

/* ---- labelled scatter --------------------------------------------------- */

/* Label placement (a share of the plot area): the axes span the points
 * plus the offsets set below (0.08 + 0.30 of x, 0.12 + 0.12 of y); a
 * character of the 10-point label font is about 0.0092 of the width and a
 * line 0.028 of the height at PLOT_SIZE.  A label that would overlap an
 * earlier one moves a line lower, as often as needed. */
#define SCATTER_SPAN_X   1.38
#define SCATTER_SPAN_Y   1.24
#define SCATTER_CHAR_W   0.0092
#define SCATTER_LINE_H   0.028
#define SCATTER_OFFSET_X 1.4 /* characters right of the point */
/* A point's label with its error rate, "name (err 1.2%)". */
#define SCATTER_TEXT_MAX 192
/* Error-rate colours: green at 0, amber, red at the top of the scale
 * (ColorBrewer RdYlGn ends and middle). */
#define SCATTER_PALETTE "set palette defined (0 '#1a9850', 1 '#fdae61', 2 '#d73027')\n"

struct scatter_ctx {
    const char *name;
    uint32_t n, n_front;
    bool marks, slo_legend;
};

static void gp_plot_scatter(FILE *f, const void *vctx)
{
    const struct scatter_ctx *c = vctx;
    char file[PLOT_PATH_MAX];
    snprintf(file, sizeof file, "%s.dat", c->name);
    if (c->n == 0) {
        fputs("plot NaN notitle\n", f);
        return;
    }
    fputs("plot ", f);
    if (c->n_front > 1) {
        gp_str(f, file);
        fputs(" index 1 using 1:2 with lines lw 2 dt 2 lc rgb '#1f77b4' title 'Pareto front', "
              "\\\n     ",
              f);
    }
    if (!c->marks) {
        gp_str(f, file);
        fputs(" index 0 using 1:2 with points pt 7 ps 1.6 lc rgb '#1f77b4' notitle, \\\n     ", f);
        gp_str(f, file);
        fputs(" index 0 using 1:2:3 with labels left offset 1.2,0.6 font ',10' notitle\n", f);
        return;
    }
    /* column 5: 1 SLO met (filled), 0 missed (hollow); colour: column 4 */
    gp_str(f, file);
    fputs(" index 0 using 1:($5 > 0 ? $2 : 1/0):4 with points pt 7 ps 2.2 lc palette notitle, "
          "\\\n     ",
          f);
    gp_str(f, file);
    fputs(" index 0 using 1:($5 > 0 ? 1/0 : $2):4 with points pt 6 ps 2.2 lw 3 lc palette notitle",
          f);
    if (c->slo_legend)
        fputs(", \\\n     NaN with points pt 7 ps 1.6 lc rgb '#555555' title 'SLO met', \\\n"
              "     NaN with points pt 6 ps 1.6 lw 2 lc rgb '#555555' title 'SLO missed'",
              f);
    fputc('\n', f);
}

/* "name (err 1.2%)": one decimal, two significant digits below 0.1%. */
static void scatter_text(char *buf, size_t len, const char *label, double rate)
{
    double pct = rate * 100.0;
    if (!isfinite(pct))
        snprintf(buf, len, "%s (err n/a)", label ? label : "");
    else if (pct > 0 && pct < 0.1)
        snprintf(buf, len, "%s (err %.2g%%)", label ? label : "", pct);
    else
        snprintf(buf, len, "%s (err %.1f%%)", label ? label : "", pct);
}

int plot_scatter(const char *dir, const char *name, const char *title, const char *xlabel,
                 const char *ylabel, const char *const *labels, const double *x, const double *y,
                 const bool *on_front, const struct plot_scatter_marks *marks, uint32_t n,
                 char *err, size_t errlen)
{
    struct plot_file dat, gp;
    bool mk = marks != NULL;
    const double *er = mk ? marks->err_rate : NULL;
    const bool *miss = mk ? marks->slo_missed : NULL;
    if (plot_open(&dat, dir, name, "dat", err, errlen) != 0)
        return -1;
    FILE *f = dat.f;
    if (mk)
        fprintf(f,
                "# %s.dat - written by lbsim; blocks: points (x<TAB>y<TAB>label<TAB>error "
                "rate %%<TAB>SLO 1 met, 0 missed), the front\n",
                name);
    else
        fprintf(f, "# %s.dat - written by lbsim; blocks: points (x<TAB>y<TAB>label), the front\n",
                name);
    uint32_t k = 0, kf = 0;
    double err_top = 0.0, x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    char text[SCATTER_TEXT_MAX];
    fputs("# points\n", f);
    for (uint32_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\t", x[i], y[i]);
            if (mk) {
                double pct = er && isfinite(er[i]) ? er[i] * 100.0 : 0.0;
                scatter_text(text, sizeof text, labels ? labels[i] : "", er ? er[i] : 0.0);
                dat_text(f, text);
                fprintf(f, "\t" PLOT_NUM_FMT "\t%d", pct, miss && miss[i] ? 0 : 1);
                if (pct > err_top)
                    err_top = pct;
            } else {
                dat_text(f, labels ? labels[i] : "");
            }
            fputc('\n', f);
            x_lo = fmin(x_lo, x[i]);
            x_hi = fmax(x_hi, x[i]);
            y_lo = fmin(y_lo, y[i]);
            y_hi = fmax(y_hi, y[i]);
            k++;
        }
    fputs("\n\n# front\n", f);
    /* the front in x order (n is a handful of strategies) */
    bool *done = calloc(n ? n : 1, sizeof *done);
    if (!done) {
        plot_close(&dat, -1, err, errlen);
        base_errf(err, errlen, "plot %s: out of memory", name);
        return -1;
    }
    for (;;) {
        int best = -1;
        for (uint32_t i = 0; i < n; i++)
            if (!done[i] && on_front && on_front[i] && isfinite(x[i]) && isfinite(y[i]) &&
                (best < 0 || x[i] < x[best]))
                best = (int)i;
        if (best < 0)
            break;
        done[best] = true;
        fprintf(f, PLOT_NUM_FMT "\t" PLOT_NUM_FMT "\n", x[best], y[best]);
        kf++;
    }
    if (plot_close(&dat, 0, err, errlen) != 0) {
        free(done);
        return -1;
    }
    if (plot_open(&gp, dir, name, "gp", err, errlen) != 0) {
        free(done);
        return -1;
    }
    f = gp.f;
    gp_header(f, name, "one labelled point per strategy and their Pareto front");
    gp_labels(f, title, xlabel, ylabel);
    /* labels sit right of their points: room on the right */
    fputs("\nset grid\nset key top right\nset border 3\nset tics nomirror\n"
          "set offsets graph 0.08, graph 0.30, graph 0.12, graph 0.12\n",
          f);
    if (k == 0) {
        fputs("set xrange [0:1]\nset yrange [0:1]\n", f);
        gp_no_data(f);
    } else if (mk) {
        /* the colour scale: 0 to the worst error rate, at least 1% */
        fputs(SCATTER_PALETTE "set cblabel 'error rate (%)'\nset colorbox\n", f);
        fprintf(f, "set cbrange [0:%.17g]\n", err_top > 1.0 ? ceil(err_top) : 1.0);
        /* one label per point, placed greedily below any it would overlap */
        double sx = (x_hi > x_lo ? x_hi - x_lo : 1.0) * SCATTER_SPAN_X;
        double sy = (y_hi > y_lo ? y_hi - y_lo : 1.0) * SCATTER_SPAN_Y;
        double *lx = calloc(2 * (size_t)(n ? n : 1), sizeof *lx), *ly = lx ? lx + n : NULL;
        uint32_t *lw = calloc(n ? n : 1, sizeof *lw), lab = 0;
        if (lx == NULL || lw == NULL) {
            free(lx);
            free(lw);
            free(done);
            plot_close(&gp, -1, err, errlen);
            base_errf(err, errlen, "plot %s: out of memory", name);
            return -1;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (!isfinite(x[i]) || !isfinite(y[i]))
                continue;
            scatter_text(text, sizeof text, labels ? labels[i] : "", er ? er[i] : 0.0);
            uint32_t len = (uint32_t)strlen(text);
            double x0 = (x[i] - x_lo) / sx + SCATTER_OFFSET_X * SCATTER_CHAR_W;
            double x1 = x0 + (double)len * SCATTER_CHAR_W, y0 = (y[i] - y_lo) / sy;
            uint32_t row = 0;
            for (bool moved = true; moved && row < n;) {
                moved = false;
                double yr = y0 + (0.5 - (double)row) * SCATTER_LINE_H;
                for (uint32_t j = 0; j < lab && !moved; j++)
                    if (fabs(ly[j] - yr) < SCATTER_LINE_H && lx[j] < x1 &&
                        x0 < lx[j] + (double)lw[j] * SCATTER_CHAR_W)
                        moved = true;
                row += moved;
            }
            lx[lab] = x0;
            ly[lab] = y0 + (0.5 - (double)row) * SCATTER_LINE_H;
            lw[lab] = len;
            fprintf(f, "set label %u ", ++lab);
            gp_str(f, text);
            fprintf(f,
                    " at " PLOT_NUM_FMT ", " PLOT_NUM_FMT
                    " left offset %.1f,%.1f front font ',10'\n",
                    x[i], y[i], SCATTER_OFFSET_X, 0.5 - (double)row);
        }
        free(lx);
        free(lw);
        /* the key below the plot, out of the labels' way */
        fputs("set key tmargin center horizontal\n", f);
    }
    free(done);
    struct scatter_ctx c = {name, k, kf, mk, mk && marks->slo_legend};
    gp_outputs(f, name, gp_plot_scatter, &c);
    return plot_close(&gp, 0, err, errlen);
}
