/*
 * test_plot.c - the gnuplot writer: files, labels, escaping, byte
 * reproducibility, errors; and, when gnuplot is installed, that every
 * script really renders its PNG and SVG.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmp.h"
#include "plot.h"

#define GNUPLOT "/usr/bin/gnuplot"

/* The whole file as a string (NULL if missing). */
static char *slurp(const char *dir, const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static long file_size(const char *dir, const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void remove_outputs(const char *dir, const char *name)
{
    static const char *const exts[] = {"dat", "gp", "png", "svg", "log"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, exts[i]);
        unlink(path);
    }
}

/* Run gnuplot on <name>.gp inside dir; check both images appear and
 * gnuplot reported nothing. */
static void render(const char *dir, const char *name)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && " GNUPLOT " '%s.gp' 2> '%s.log'", dir, name, name);
    int rc = system(cmd);
    CHECK_INT_EQ(rc, 0);
    CHECK(file_size(dir, name, "png") > 0);
    CHECK(file_size(dir, name, "svg") > 0);
    char *png = slurp(dir, name, "png");
    CHECK(png && memcmp(png, "\x89PNG", 4) == 0);
    free(png);
    char *svg = slurp(dir, name, "svg");
    CHECK_STR_CONTAINS(svg, "<svg");
    free(svg);
    long log_size = file_size(dir, name, "log");
    CHECK_INT_EQ(log_size, 0); /* no warnings either */
    if (log_size > 0) {
        char *log = slurp(dir, name, "log");
        fprintf(stderr, "gnuplot on %s.gp said:\n%s\n", name, log ? log : "");
        free(log);
    }
}

static const double cx1[] = {0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 3.0};
static const double cy1[] = {0.0, 0.01, 0.2, 0.5, 0.9, 0.99, 1.0};
static const double cx2[] = {0.02, 0.04, 0.08, 0.3, 0.6};
static const double cy2[] = {0.0, 0.25, 0.5, 0.75, 1.0};

static int write_cdf(const char *dir, char *err, size_t errlen)
{
    const struct plot_series s[] = {
        {.label = "least_busy", .x = cx1, .y = cy1, .n = 7},
        {.label = "empty", .x = cx1, .y = cy1, .n = 0},
        {.label = "it's \"quoted\"\\back\ttab", .x = cx2, .y = cy2, .n = 5},
    };
    return plot_cdf(dir, "cdf", "TTFT CDF", "TTFT (s)", s, 3, err, errlen);
}

static void test_files(const char *dir, const char *dir2)
{
    char err[512] = "";
    CHECK_INT_EQ(write_cdf(dir, err, sizeof err), 0);
    char *dat = slurp(dir, "cdf", "dat");
    char *gp = slurp(dir, "cdf", "gp");
    CHECK_STR_CONTAINS(dat, "# least_busy\n0.05\t0.01\n");
    /* x = 0 cannot be drawn on a log axis and is left out */
    CHECK(dat && strstr(dat, "\n0\t0\n") == NULL);
    /* the empty series is left out: two blocks, one separator */
    CHECK(dat && strstr(dat, "# empty") == NULL);
    CHECK_STR_CONTAINS(dat, "1\n\n\n# it's \"quoted\"\\back tab\n0.02\t0\n");
    CHECK_STR_CONTAINS(gp, "set datafile separator \"\\t\"");
    CHECK_STR_CONTAINS(gp, "set terminal pngcairo size 1000,600 noenhanced");
    CHECK_STR_CONTAINS(gp, "set output 'cdf.png'");
    CHECK_STR_CONTAINS(gp, "set terminal svg size 1000,600 noenhanced dynamic");
    CHECK_STR_CONTAINS(gp, "set output 'cdf.svg'");
    CHECK_STR_CONTAINS(gp, "set logscale x");
    CHECK_STR_CONTAINS(gp, "set key bottom right");
    CHECK_STR_CONTAINS(gp, "index 0 using 1:2 with lines lw 2 title 'least_busy'");
    CHECK_STR_CONTAINS(gp, "index 1 using 1:2 with lines lw 2 title "
                           "'it''s \"quoted\"\\back tab'");
    CHECK(gp && strstr(gp, "index 2") == NULL);

    /* Byte-reproducible: the same inputs elsewhere give the same bytes. */
    CHECK_INT_EQ(write_cdf(dir2, err, sizeof err), 0);
    char *dat2 = slurp(dir2, "cdf", "dat");
    CHECK(dat && dat2 && strcmp(dat, dat2) == 0);
    free(dat2);
    free(dat);
    free(gp);

    /* Bars: 3 groups x 3 metrics, one missing value, one empty metric. */
    const char *groups[] = {"round_robin", "least-busy", "cost's"};
    const char *metrics[] = {"p99 TTFT", "client 429 rate", "nothing"};
    const char *ylabels[] = {"p99 TTFT (s)", "client 429 rate (%)", "none"};
    const double values[] = {1.25, 0.75, NAN, 0.1, 0.0, 2.5, NAN, NAN, NAN};
    CHECK_INT_EQ(
        plot_bars(dir, "bars", "Summary", groups, 3, metrics, ylabels, values, 3, err, sizeof err),
        0);
    dat = slurp(dir, "bars", "dat");
    gp = slurp(dir, "bars", "gp");
    CHECK_STR_CONTAINS(dat, "# p99 TTFT\n0\t1.25\tround_robin\n1\t0.75\tleast-busy\n\n\n");
    CHECK_STR_CONTAINS(dat, "# client 429 rate\n0\t0.1\tround_robin\n");
    CHECK(dat && strstr(dat, "# nothing") == NULL);
    /* horizontal bars, panels stacked: names level, group 0 on top */
    CHECK_STR_CONTAINS(gp, "set multiplot layout 3,1 title 'Summary'");
    CHECK_STR_CONTAINS(gp, "set terminal pngcairo size 1000,564 noenhanced");
    CHECK_STR_CONTAINS(gp, "('round_robin' 2, 'least-busy' 1, 'cost''s' 0)");
    CHECK_STR_CONTAINS(gp, "set xlabel 'client 429 rate (%)'");
    CHECK_STR_CONTAINS(gp, "set xlabel 'none'");
    CHECK_STR_CONTAINS(gp, "with boxxyerror");
    CHECK(gp && strstr(gp, "rotate") == NULL);
    CHECK_STR_CONTAINS(gp, "'no data'");
    CHECK_STR_CONTAINS(gp, "unset multiplot");
    free(dat);
    free(gp);

    /* Lines. */
    const double t[] = {0, 60, 120, 180};
    const double a[] = {0, 3, 10, 2};
    const double b[] = {1, 1, NAN, 0};
    const struct plot_series ls[] = {
        {.label = "weighted", .x = t, .y = a, .n = 4},
        {.label = "fallback", .x = t, .y = b, .n = 4},
    };
    CHECK_INT_EQ(
        plot_lines(dir, "lines", "429s", "time (s)", "429s per interval", ls, 2, err, sizeof err),
        0);
    dat = slurp(dir, "lines", "dat");
    gp = slurp(dir, "lines", "gp");
    CHECK_STR_CONTAINS(dat, "# weighted\n0\t0\n60\t3\n120\t10\n180\t2\n\n\n# fallback\n0\t1\n"
                            "60\t1\n180\t0\n");
    CHECK_STR_CONTAINS(gp, "set ylabel '429s per interval'");
    CHECK_STR_CONTAINS(gp, "title 'fallback'");
    CHECK(gp && strstr(gp, "logscale") == NULL);
    free(dat);
    free(gp);

    /* Time plots: a 3-minute run reads in minutes, the .dat keeps
     * seconds, a window is shaded and labelled; stacked shares carry
     * their band edges. */
    const struct plot_window win[] = {{60, 120, "outage: a, b", "#d62728"}};
    struct plot_time_spec ts = {
        .title = "T", .ylabel = "share", .y_percent = true, .windows = win, .n_windows = 1};
    CHECK_INT_EQ(plot_time(dir, "time", &ts, ls, 2, err, sizeof err), 0);
    gp = slurp(dir, "time", "gp");
    dat = slurp(dir, "time", "dat");
    CHECK_STR_CONTAINS(gp, "set xlabel 'time (min)'");
    CHECK_STR_CONTAINS(gp, "set object 1 rect from 1, graph 0 to 2, graph 1 behind");
    CHECK_STR_CONTAINS(gp, "set label 10 'outage: a, b' at 1, graph");
    CHECK_STR_CONTAINS(gp, "using ($1/60):($2*100) with lines");
    CHECK_STR_CONTAINS(dat, "# weighted\n0\t0\n60\t3\n");
    free(gp);
    free(dat);
    ts.style = PLOT_TIME_STACKED;
    CHECK_INT_EQ(plot_time(dir, "stack", &ts, ls, 2, err, sizeof err), 0);
    dat = slurp(dir, "stack", "dat");
    CHECK_STR_CONTAINS(dat, "# fallback\n0\t1\t0\t1\n60\t1\t3\t4\n");
    free(dat);
    double unit;
    CHECK(strcmp(plot_time_unit(100, &unit), "s") == 0 && unit == 1);
    CHECK(strcmp(plot_time_unit(7201, &unit), "h") == 0 && unit == 3600);

    /* Nothing to draw still gives a script that renders. */
    CHECK_INT_EQ(plot_cdf(dir, "empty_cdf", "none", "TTFT (s)", NULL, 0, err, sizeof err), 0);
    CHECK_INT_EQ(plot_lines(dir, "empty_lines", "none", "t", "y", NULL, 0, err, sizeof err), 0);
    CHECK_INT_EQ(
        plot_bars(dir, "empty_bars", "none", NULL, 0, NULL, NULL, NULL, 0, err, sizeof err), 0);
    gp = slurp(dir, "empty_cdf", "gp");
    CHECK_STR_CONTAINS(gp, "plot NaN notitle");
    free(gp);

    /* Errors name the path and the reason. */
    err[0] = '\0';
    CHECK_INT_EQ(write_cdf("/nonexistent/lbsim-dir", err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "/nonexistent/lbsim-dir/cdf.dat");
    CHECK_STR_CONTAINS(err, strerror(ENOENT));
    err[0] = '\0';
    CHECK_INT_EQ(plot_lines(dir, "", "x", "t", "y", ls, 2, err, sizeof err), -1);
    CHECK(err[0] != '\0');

    if (access(GNUPLOT, X_OK) == 0) {
        static const char *const names[] = {"cdf",       "bars",        "lines",
                                            "empty_cdf", "empty_lines", "empty_bars"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            render(dir, names[i]);
    } else {
        printf("test_plot: %s not found, scripts not rendered\n", GNUPLOT);
    }

    static const char *const all[] = {"cdf",       "bars",        "lines",
                                      "empty_cdf", "empty_lines", "empty_bars"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        remove_outputs(dir, all[i]);
    remove_outputs(dir2, "cdf");
}

/* Bands, tornado and Pareto plots: data files hold what was given, and
 * gnuplot renders each without a word. */
static void test_experiment_plots(const char *dir)
{
    char err[256] = "";
    static const double x[] = {1, 2, 3, 4};
    static const double y1[] = {2.0, 1.5, 1.2, 1.1}, lo1[] = {1.8, 1.4, 1.1, 1.05},
                        hi1[] = {2.2, 1.6, 1.3, 1.15};
    static const double y2[] = {2.5, 1.9, NAN, 1.3}, lo2[] = {NAN, 1.7, 1.0, 1.2},
                        hi2[] = {NAN, 2.1, 1.4, 1.4};
    const struct plot_band b[] = {
        {.label = "round_robin", .x = x, .y = y1, .lo = lo1, .hi = hi1, .n = 4},
        {.label = "least_inflight", .x = x, .y = y2, .lo = lo2, .hi = hi2, .n = 4},
    };
    CHECK(plot_bands(dir, "bands", "p99 TTFT", "replicas", "p99 TTFT (s)", b, 2, err, sizeof err) ==
          0);
    char *dat = slurp(dir, "bands", "dat");
    CHECK_STR_CONTAINS(dat, "1\t2\t1.8\t2.2\n");
    CHECK_STR_CONTAINS(dat, "# least_inflight\n1\t2.5\t2.5\t2.5\n2\t1.9\t1.7\t2.1\n4\t");
    free(dat);

    static const char *const labels[] = {"rate_scale", "ttft", "replicas"};
    static const double lo[] = {0.8, 1.1, NAN}, hi[] = {3.0, 1.6, 2.0};
    CHECK(plot_tornado(dir, "tornado", "What moves p99 TTFT", "p99 TTFT (s)", labels, lo, hi, 3,
                       1.3, err, sizeof err) == 0);
    dat = slurp(dir, "tornado", "dat");
    CHECK_STR_CONTAINS(dat, "2\t0.8\t3\trate_scale\n1\t1.1\t1.6\tttft\n");
    CHECK(strstr(dat, "replicas") == NULL);
    free(dat);

    static const double px[] = {1.0, 2.0, 3.0, 1.5}, py[] = {3.0, 1.2, 0.9, 2.0};
    static const double fx[] = {1.0, 1.5, 2.0, 3.0}, fy[] = {3.0, 2.0, 1.2, 0.9};
    CHECK(plot_pareto(dir, "pareto", "cost vs p99", "USD per 1k requests", "p99 TTFT (s)", px, py,
                      4, fx, fy, 4, 2.0, 1.2, 1.5, err, sizeof err) == 0);
    dat = slurp(dir, "pareto", "dat");
    CHECK_STR_CONTAINS(dat, "# chosen\n2\t1.2\n");
    free(dat);
    CHECK(plot_pareto(dir, "pareto_empty", "none", "x", "y", px, py, 0, fx, fy, 0, NAN, NAN, NAN,
                      err, sizeof err) == 0);

    static const char *const names[] = {"bands", "tornado", "pareto", "pareto_empty"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (access(GNUPLOT, X_OK) == 0)
            render(dir, names[i]);
        remove_outputs(dir, names[i]);
    }
}

int main(void)
{
    char dir[TMP_DIR_MAX], dir2[TMP_DIR_MAX];
    if (tmp_dir(dir, sizeof dir, "test_plot") != 0 || tmp_dir(dir2, sizeof dir2, "test_plot") != 0)
        return 1;
    test_files(dir, dir2);
    test_experiment_plots(dir);
    tmp_rmdir(dir);
    tmp_rmdir(dir2);
    return check_report("test_plot");
}
