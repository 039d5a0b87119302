/*
 * test_scn_samples.c - empirical distributions read from a CSV column
 * (`dist: empirical, file:, column:, where:, scale:`), their errors, and
 * the bundled latency measurements the examples use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "check.h"
#include "tmp.h"

static char dir[TMP_DIR_MAX];

/* A file in the format of coder543/llm-speed-benchmark: CRLF line ends, a
 * column name with spaces, rows of two models. */
static const char *const csv = "Model Name,Time To First Token,Response Tok/s\r\n"
                               "m1,0.5,60\r\n"
                               "m2,9.0,10\r\n"
                               "m1, 1.5 ,80\r\n"
                               "m1,1.0,70\r\n";

/* Load a scenario whose first backend's latency block is `latency`
 * (relative paths resolve against dir).  0, or -1 with err filled. */
static int load_latency(const char *latency, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX], text[2048];
    snprintf(text, sizeof text,
             "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
             "backends:\n  - name: a\n    latency: %s\n",
             latency);
    tmp_path(path, sizeof path, dir, "s.yaml");
    if (tmp_write_str(path, text) != 0)
        return -2;
    return scn_load(path, s, err, errlen);
}

static void expect_error(const char *latency, const char *needle)
{
    struct scenario s;
    char err[1024] = "";
    int rc = load_latency(latency, &s, err, sizeof err);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0)
        scn_free(&s);
    CHECK_STR_CONTAINS(err, "s.yaml:");
    CHECK_STR_CONTAINS(err, needle);
}

static void test_file(void)
{
    struct scenario s;
    char err[1024] = "";
    int rc = load_latency("{ttft: {dist: empirical, file: l.csv, column: Time To First Token, "
                          "where: {Model Name: m1}, scale: 2},"
                          " output_rate: {dist: empirical, file: l.csv, column: Response Tok/s}}",
                          &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const struct dist *t = &s.backends[0].api.ttft_s, *o = &s.backends[0].api.output_tps;
    CHECK_INT_EQ(t->kind, DIST_EMPIRICAL);
    CHECK_INT_EQ(t->n, 3); /* m2's row filtered out */
    /* (0.5 + 1.5 + 1.0) / 3 * 2 */
    CHECK_NEAR(dist_mean(t), 2.0, 1e-12);
    CHECK_INT_EQ(o->n, 4);
    CHECK_NEAR(dist_mean(o), 55.0, 1e-12);
    scn_free(&s);
}

static void test_errors(void)
{
    expect_error("{ttft: {dist: empirical, file: l.csv}}", "'column'");
    expect_error("{ttft: {dist: empirical, file: l.csv, column: TTFT}}", "found no column 'TTFT'");
    expect_error(
        "{ttft: {dist: empirical, file: l.csv, column: Response Tok/s, where: {Model: m1}}}",
        "found no column 'Model' (of 'where')");
    expect_error("{ttft: {dist: empirical, file: l.csv, column: Model Name}}", "found 'm1' at '");
    expect_error("{ttft: {dist: empirical, file: l.csv, column: Response Tok/s, where: {Model "
                 "Name: gpt-4o}}}",
                 "matching 'where'");
    expect_error("{ttft: {dist: empirical, file: nothere.csv, column: x}}",
                 "expected a readable CSV file");
    expect_error("{ttft: {dist: empirical, file: l.csv, values: [1s], column: x}}",
                 "found 'file' with 'values'");
    expect_error("{ttft: {dist: empirical, values: [1s], column: x}}",
                 "found 'column' without 'file'");
    expect_error("{ttft: {dist: empirical, file: l.csv, column: Response Tok/s, weights: [1]}}",
                 "found 'weights' with 'file'");
    expect_error("{ttft: {dist: empirical, file: l.csv, column: Response Tok/s, scale: 0}}",
                 "expected a number > 0");
    expect_error("{ttft: {dist: empirical, file: bad.csv, column: x}}", "':3 column x");
    expect_error("{ttft: {dist: empirical, file: neg.csv, column: x}}", "expected a value >= 0");
    expect_error("{ttft: 1s, output_rate: {dist: empirical, file: neg.csv, column: y}}",
                 "expected a rate > 0");
    expect_error("{ttft: {dist: empirical, file: quoted.csv, column: x}}", "quotes");
    expect_error("{ttft: {dist: empirical, file: short.csv, column: x}}", "found 1 fields at '");
    expect_error("{ttft: {dist: empirical}}", "'values'");
}

/* The measurements bundled for the examples: the 63 gpt-4o requests of
 * coder543/llm-speed-benchmark.  The means were computed from the CSV
 * independently (Python's csv module). */
static void test_bundled(void)
{
    struct scenario s;
    char err[1024] = "";
    int rc = scn_load("scenarios/examples/quickstart.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const struct dist *t = &s.backends[0].api.ttft_s, *o = &s.backends[0].api.output_tps;
    CHECK_INT_EQ(t->n, 63);
    CHECK_NEAR(dist_mean(t), 0.6587301587301588, 1e-12);
    CHECK_INT_EQ(o->n, 63);
    CHECK_NEAR(dist_mean(o), 62.648412698412706, 1e-9);
    /* anthropic: the same samples scaled to Claude 3 Sonnet's median */
    CHECK_NEAR(dist_mean(&s.backends[2].api.ttft_s), 0.6587301587301588 * 0.8561, 1e-12);
    scn_free(&s);
}

int main(void)
{
    if (tmp_dir(dir, sizeof dir, "test_scn_samples") != 0)
        return 1;
    char p[TMP_PATH_MAX];
    tmp_path(p, sizeof p, dir, "l.csv");
    CHECK_INT_EQ(tmp_write_str(p, csv), 0);
    tmp_path(p, sizeof p, dir, "bad.csv");
    CHECK_INT_EQ(tmp_write_str(p, "x\n1\nfast\n"), 0);
    tmp_path(p, sizeof p, dir, "neg.csv");
    CHECK_INT_EQ(tmp_write_str(p, "x,y\n-1,0\n"), 0);
    tmp_path(p, sizeof p, dir, "quoted.csv");
    CHECK_INT_EQ(tmp_write_str(p, "\"x\"\n1\n"), 0);
    tmp_path(p, sizeof p, dir, "short.csv");
    CHECK_INT_EQ(tmp_write_str(p, "x,y\n1,2\n3\n"), 0);
    test_file();
    test_errors();
    test_bundled();
    tmp_rmdir(dir);
    return check_report("test_scn_samples");
}
