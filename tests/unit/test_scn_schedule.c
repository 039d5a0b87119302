/*
 * test_scn_schedule.c - `arrivals: schedule`: on windows at fixed times,
 * Poisson or evenly spaced inside, nothing between; the keys and their
 * errors.  Counts are checked against the Poisson law (mean and variance
 * r T), positions against the windows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "check.h"
#include "tmp.h"

#define NS 1000000000LL

static int load_text(const char *text, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_file(path, sizeof path, "scn_schedule", text) != 0)
        return -2;
    int rc = scn_load(path, s, err, errlen);
    remove(path);
    return rc;
}

static const char *const backends = "backends:\n  - name: a\n    latency: {ttft: 1s}\n";

static void expect_error(const char *synth, const char *needle)
{
    char text[2048], err[1024] = "";
    struct scenario s;
    snprintf(text, sizeof text, "traffic:\n  synthetic: %s\n%s", synth, backends);
    int rc = load_text(text, &s, err, sizeof err);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0)
        scn_free(&s);
    CHECK_STR_CONTAINS(err, needle);
}

/* The keys land in the trace configuration. */
static void test_keys(void)
{
    char text[2048], err[1024] = "";
    struct scenario s;
    snprintf(text, sizeof text,
             "traffic:\n  synthetic:\n    arrivals: schedule\n"
             "    windows:\n"
             "      - {start: 0s, end: 1m, rate: 2/s}\n"
             "      - {start: 10m, end: 20m, rate: 300/m, spacing: constant}\n"
             "    input_tokens: 100\n    output_tokens: 10\n%s",
             backends);
    int rc = load_text(text, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const struct trace_synth *sy = &s.traffic.synth;
    CHECK_INT_EQ(sy->arrivals, TRACE_ARR_SCHEDULE);
    CHECK_INT_EQ(sy->n_windows, 2);
    CHECK_INT_EQ(sy->windows[1].start_ns, 600 * NS);
    CHECK_INT_EQ(sy->windows[1].end_ns, 1200 * NS);
    CHECK_NEAR(sy->windows[1].rate_per_s, 5.0, 1e-12);
    CHECK_INT_EQ(sy->windows[0].constant, 0);
    CHECK_INT_EQ(sy->windows[1].constant, 1);
    CHECK_INT_EQ(sy->count, 0);
    CHECK_INT_EQ(sy->duration_ns, 0);
    scn_free(&s);
}

static void test_errors(void)
{
    expect_error("{arrivals: schedule, input_tokens: 1, output_tokens: 1}", "'windows'");
    expect_error("{arrivals: schedule, rate: 1/s, windows: [{start: 0s, end: 1s, rate: 1/s}], "
                 "input_tokens: 1, output_tokens: 1}",
                 "found 'rate' with arrivals 'schedule'");
    expect_error("{arrivals: schedule, windows: [{start: 5s, end: 5s, rate: 1/s}], "
                 "input_tokens: 1, output_tokens: 1}",
                 "expected an end after the start");
    expect_error("{arrivals: schedule, windows: [{start: 0s, end: 10s, rate: 1/s}, {start: 5s, "
                 "end: 20s, rate: 1/s}], input_tokens: 1, output_tokens: 1}",
                 "expected windows in time order");
    expect_error("{arrivals: schedule, windows: [{start: 0s, end: 10s, rate: 0/s}], "
                 "input_tokens: 1, output_tokens: 1}",
                 "expected a rate > 0");
    expect_error("{arrivals: schedule, windows: [{start: 0s, end: 10s}], "
                 "input_tokens: 1, output_tokens: 1}",
                 "'rate'");
    expect_error("{arrivals: schedule, windows: [{start: 0s, end: 10s, rate: 1/s, spacing: "
                 "even}], input_tokens: 1, output_tokens: 1}",
                 "expected a spacing: one of poisson, constant");
    expect_error("{arrivals: schedule, windows: [{start: 10, end: 20s, rate: 1/s}], "
                 "input_tokens: 1, output_tokens: 1}",
                 "scn_schedule");
    expect_error("{arrivals: poisson, rate: 1/s, count: 1, windows: [{start: 0s, end: 10s, "
                 "rate: 1/s}], input_tokens: 1, output_tokens: 1}",
                 "expected it only with schedule");
}

/* Evenly spaced: exactly r (end - start) arrivals at start + k / r, none
 * elsewhere; rate_scale divides the times. */
static void test_constant(void)
{
    struct trace_window w[2] = {{10 * NS, 20 * NS, 5.0, 1}, {60 * NS, 61 * NS, 3.0, 1}};
    struct trace_cfg cfg = {.format = TRACE_SYNTHETIC, .rate_scale = 2.0};
    cfg.synth.arrivals = TRACE_ARR_SCHEDULE;
    cfg.synth.n_windows = 2;
    cfg.synth.windows = w;
    dist_constant(&cfg.synth.input_tokens, 10);
    dist_constant(&cfg.synth.output_tokens, 5);
    char err[256];
    struct trace_src *src = trace_open(&cfg, 7, err, sizeof err);
    CHECK(src != NULL);
    if (src == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    struct trace_rec r;
    int n = 0, bad = 0;
    while (trace_next(src, &r, err, sizeof err) == 1) {
        int64_t want = n < 50 ? (10 * NS + n * (NS / 5)) / 2 : (60 * NS + (n - 50) * NS / 3) / 2;
        if (llabs(r.arrival_ns - want) > 1)
            bad++;
        n++;
    }
    CHECK_INT_EQ(n, 53);
    CHECK_INT_EQ(bad, 0);
    trace_close(src);
}

/* Poisson windows: every arrival inside a window; the count over many
 * windows within 4 standard deviations of r T (Poisson: variance = mean). */
static void test_poisson(void)
{
    enum { NW = 100 };
    struct trace_window w[NW];
    for (int i = 0; i < NW; i++)
        w[i] = (struct trace_window){(int64_t)i * 100 * NS, ((int64_t)i * 100 + 30) * NS, 2.0, 0};
    struct trace_cfg cfg = {.format = TRACE_SYNTHETIC, .rate_scale = 1.0};
    cfg.synth.arrivals = TRACE_ARR_SCHEDULE;
    cfg.synth.n_windows = NW;
    cfg.synth.windows = w;
    dist_constant(&cfg.synth.input_tokens, 10);
    dist_constant(&cfg.synth.output_tokens, 5);
    char err[256];
    struct trace_src *src = trace_open(&cfg, 11, err, sizeof err);
    CHECK(src != NULL);
    if (src == NULL)
        return;
    struct trace_rec r;
    long n = 0, outside = 0, first = 0;
    int64_t prev = -1;
    while (trace_next(src, &r, err, sizeof err) == 1) {
        int64_t in = r.arrival_ns % (100 * NS);
        if (in >= 30 * NS)
            outside++;
        if (r.arrival_ns < prev)
            outside++;
        if (prev < 0 || r.arrival_ns / (100 * NS) != prev / (100 * NS))
            first += in < NS / 2; /* P(first gap < 0.5 s) = 1 - e^-1 = 0.63 */
        prev = r.arrival_ns;
        n++;
    }
    double mean = 2.0 * 30 * NW;
    CHECK(fabs((double)n - mean) < 4 * sqrt(mean));
    CHECK_INT_EQ(outside, 0);
    /* the first arrival of a window is an exponential gap after its start,
       not at it: about 63 of 100 within 0.5 s (binomial sd 4.8) */
    CHECK(first > 43 && first < 83);
    trace_close(src);
}

int main(void)
{
    test_keys();
    test_errors();
    test_constant();
    test_poisson();
    return check_report("test_scn_schedule");
}
