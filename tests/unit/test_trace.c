/*
 * test_trace.c - traces/: the Azure 2023 trace (Patel et al., Splitwise,
 * ISCA 2024) bundled in traces/data, the native CSV format, error messages
 * with file:line, and the synthetic Poisson source.
 * Runs with the repository root as the working directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trace.h"
#include "check.h"

#define CONV "traces/data/AzureLLMInferenceTrace_conv.csv"
#define CODE "traces/data/AzureLLMInferenceTrace_code.csv"
#define DATA "tests/data/"

struct summary {
    int rc;     /* last trace_next result */
    uint64_t n; /* records */
    int64_t first, last;
    int64_t sum_in, sum_out;
    int monotone;
    uint64_t last_line;
};

static struct summary read_all(const struct trace_cfg *cfg, char *err, size_t errlen)
{
    struct summary s = {0};
    s.monotone = 1;
    s.rc = -99;
    struct trace_src *src = trace_open(cfg, 1, err, errlen);
    if (!src)
        return s;
    struct trace_rec r;
    int64_t prev = INT64_MIN;
    while ((s.rc = trace_next(src, &r, err, errlen)) == 1) {
        if (s.n == 0)
            s.first = r.arrival_ns;
        if (r.arrival_ns < prev)
            s.monotone = 0;
        prev = r.arrival_ns;
        s.last = r.arrival_ns;
        s.sum_in += r.input_tokens;
        s.sum_out += r.output_tokens;
        s.last_line = r.line;
        s.n++;
    }
    trace_close(src);
    return s;
}

static struct trace_cfg file_cfg(const char *path)
{
    struct trace_cfg c;
    memset(&c, 0, sizeof c);
    c.format = TRACE_AUTO;
    c.path = path;
    c.rate_scale = 1.0;
    return c;
}

static void test_azure_conv(void)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(CONV);
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT_EQ(trace_format_of(src), TRACE_AZURE2023);
    CHECK(strcmp(trace_format_name(trace_format_of(src)), "azure2023") == 0);
    struct trace_rec r;
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
    CHECK_INT_EQ(r.arrival_ns, 0);
    CHECK_INT_EQ(r.input_tokens, 374);
    CHECK_INT_EQ(r.output_tokens, 44);
    CHECK_INT_EQ(r.line, 2);
    CHECK_INT_EQ(r.session, 0);
    CHECK_INT_EQ(r.label[TRACE_LABEL_MODEL_GROUP], 0);
    /* second row: 18:15:50.9951690 - 18:15:46.6805900 */
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
    CHECK_INT_EQ(r.arrival_ns, 4314579000LL);
    trace_close(src);

    struct summary s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, 19366);
    CHECK_INT_EQ(s.first, 0);
    /* 2023-11-16 19:14:08.4025270 - 2023-11-16 18:15:46.6805900 */
    CHECK_INT_EQ(s.last, 3501721937000LL);
    CHECK_NEAR(s.last / 1e9, 3502, 1);
    CHECK(s.monotone);
    CHECK_INT_EQ(s.sum_in, 22361870);
    CHECK_INT_EQ(s.sum_out, 4088665);
    CHECK_INT_EQ((s.sum_in + 19366 / 2) / 19366, 1155);
    CHECK_INT_EQ((s.sum_out + 19366 / 2) / 19366, 211);
    /* the last row has no final newline (CRLF file) and is still read */
    CHECK_INT_EQ(s.last_line, 19367);

    c.format = TRACE_AZURE2023;
    s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.n, 19366);

    c.format = TRACE_AUTO;
    c.rate_scale = 4.0;
    s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.n, 19366);
    CHECK_INT_EQ(s.last, 3501721937000LL / 4);

    c.rate_scale = 1.0;
    c.limit = 100;
    s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, 100);
    CHECK_INT_EQ(s.last_line, 101);

    /* native reader on the Azure file: TIMESTAMP is an unknown column */
    c.limit = 0;
    c.format = TRACE_NATIVE;
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, CONV ":1:");
    CHECK_STR_CONTAINS(err, "'TIMESTAMP'");
    CHECK_STR_CONTAINS(err, "arrival_s");
}

static void test_azure_code(void)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(CODE);
    struct summary s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, 8819);
    CHECK_INT_EQ(s.first, 0);
    CHECK_INT_EQ(s.last, 3435948056000LL);
    CHECK_INT_EQ(s.sum_in, 18059974);
    CHECK_INT_EQ(s.sum_out, 245896);
}

static void test_azure_small(void)
{
    /* CRLF, no final newline, leap day, fewer fraction digits */
    char err[512] = "";
    struct trace_cfg c = file_cfg(DATA "trace_azure_small.csv");
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src)
        return;
    static const int64_t want[4] = {0, 100, 43200500000100LL, 86400000000200LL};
    struct trace_rec r;
    for (int i = 0; i < 4; i++) {
        CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 1);
        CHECK_INT_EQ(r.arrival_ns, want[i]);
        CHECK_INT_EQ(r.input_tokens, 10 * (i + 1));
        CHECK_INT_EQ(r.output_tokens, i + 1);
        CHECK_INT_EQ(r.line, i + 2);
    }
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 0);
    CHECK_INT_EQ(trace_next(src, &r, err, sizeof err), 0);
    trace_close(src);
}

static void test_native(void)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(DATA "trace_native_all.csv");
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT_EQ(trace_format_of(src), TRACE_NATIVE);
    struct trace_rec r[6];
    for (int i = 0; i < 6; i++)
        CHECK_INT_EQ(trace_next(src, &r[i], err, sizeof err), 1);
    struct trace_rec extra;
    CHECK_INT_EQ(trace_next(src, &extra, err, sizeof err), 0);

    static const int64_t arr[6] = {0,          100000000,    250000000,
                                   1000000001, 2500000000LL, 10000000000LL};
    static const int64_t in[6] = {100, 200, 0, 5, 1, 12};
    static const int64_t out[6] = {20, 30, 0, 7, 2, 13};
    static const uint32_t prio[6] = {2, 0, 0, 1, 3, 0};
    static const uint64_t line[6] = {2, 3, 4, 5, 6, 9}; /* row 6 spans 2 lines; 8 is blank */
    static const uint32_t mg[6] = {1, 1, 2, 0, 2, 1};
    static const uint32_t task[6] = {1, 2, 0, 1, 3, 1};
    static const uint32_t tenant[6] = {1, 1, 2, 0, 1, 3};
    static const uint32_t region[6] = {1, 2, 1, 0, 2, 1};
    for (int i = 0; i < 6; i++) {
        CHECK_INT_EQ(r[i].arrival_ns, arr[i]);
        CHECK_INT_EQ(r[i].input_tokens, in[i]);
        CHECK_INT_EQ(r[i].output_tokens, out[i]);
        CHECK_INT_EQ(r[i].priority, prio[i]);
        CHECK_INT_EQ(r[i].line, line[i]);
        CHECK_INT_EQ(r[i].label[TRACE_LABEL_MODEL_GROUP], mg[i]);
        CHECK_INT_EQ(r[i].label[TRACE_LABEL_TASK], task[i]);
        CHECK_INT_EQ(r[i].label[TRACE_LABEL_TENANT], tenant[i]);
        CHECK_INT_EQ(r[i].label[TRACE_LABEL_REGION], region[i]);
    }
    /* sessions: s1 rows 0 and 3, s2 rows 2 and 5, s3 row 4, none row 1 */
    CHECK(r[0].session != 0);
    CHECK(r[0].session == r[3].session);
    CHECK(r[2].session == r[5].session);
    CHECK(r[0].session != r[2].session);
    CHECK(r[4].session != 0 && r[4].session != r[0].session && r[4].session != r[2].session);
    CHECK_INT_EQ(r[1].session, 0);

    CHECK(strcmp(trace_label(src, TRACE_LABEL_MODEL_GROUP, 1), "gpt-4o") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_MODEL_GROUP, 2), "claude") == 0);
    CHECK(trace_label(src, TRACE_LABEL_MODEL_GROUP, 3) == NULL);
    CHECK(trace_label(src, TRACE_LABEL_MODEL_GROUP, 0) == NULL);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_TASK, 3), "multi\nline") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_TENANT, 2), "beta, inc") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_TENANT, 3), "beta") == 0);
    CHECK(strcmp(trace_label(src, TRACE_LABEL_REGION, 2), "eu-west") == 0);
    CHECK(trace_label(src, TRACE_LABEL_KINDS_, 1) == NULL);
    trace_close(src);

    /* the bundled sample reads */
    c = file_cfg("traces/data/sample_native.csv");
    struct summary s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, 12);
    CHECK(s.monotone);

    /* header only: no rows */
    c = file_cfg(DATA "trace_header_only.csv");
    s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, 0);

    /* azure reader on a native file: wrong header */
    c = file_cfg(DATA "trace_native_all.csv");
    c.format = TRACE_AZURE2023;
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "trace_native_all.csv:1:");
    CHECK_STR_CONTAINS(err, "TIMESTAMP,ContextTokens,GeneratedTokens");
}

/* Open `file`; expect rows to read fine up to a failure at `line`. */
static void expect_row_error(const char *file, int line, const char *what, uint64_t good_rows)
{
    char err[512] = "";
    char where[256];
    snprintf(where, sizeof where, "%s:%d:", file, line);
    struct trace_cfg c = file_cfg(file);
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "  (%s)\n", err);
        return;
    }
    struct trace_rec r;
    uint64_t n = 0;
    int rc;
    while ((rc = trace_next(src, &r, err, sizeof err)) == 1)
        n++;
    CHECK(rc < 0);
    CHECK_INT_EQ(n, good_rows);
    CHECK_STR_CONTAINS(err, where);
    CHECK_STR_CONTAINS(err, what);
    /* sticky */
    err[0] = '\0';
    CHECK(trace_next(src, &r, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, where);
    trace_close(src);
}

static void expect_open_error(const char *file, const char *where, const char *what)
{
    char err[512] = "";
    struct trace_cfg c = file_cfg(file);
    struct trace_src *src = trace_open(&c, 0, err, sizeof err);
    CHECK(src == NULL);
    trace_close(src);
    CHECK_STR_CONTAINS(err, where);
    CHECK_STR_CONTAINS(err, what);
}

static void test_bad_inputs(void)
{
    expect_row_error(DATA "trace_bad_nonnumeric.csv", 3, "'abc'", 1);
    expect_row_error(DATA "trace_bad_nonnumeric.csv", 3, "input_tokens", 1);
    expect_row_error(DATA "trace_bad_negative.csv", 4, "'-5'", 2);
    expect_row_error(DATA "trace_bad_negative.csv", 4, "non-negative integer", 2);
    expect_row_error(DATA "trace_bad_negative_arrival.csv", 3, "'-1.5'", 1);
    expect_row_error(DATA "trace_bad_backwards.csv", 4, "'2.4'", 2);
    expect_row_error(DATA "trace_bad_backwards.csv", 4, "non-decreasing", 2);
    expect_row_error(DATA "trace_bad_few_fields.csv", 3, "found 2 fields, expected 3", 1);
    expect_row_error(DATA "trace_bad_many_fields.csv", 3, "found 4 fields, expected 3", 1);
    expect_row_error(DATA "trace_bad_azure_month.csv", 4, "'2023-13-16 18:15:51.2224670'", 2);
    expect_row_error(DATA "trace_bad_azure_month.csv", 4, "YYYY-MM-DD HH:MM:SS.fffffff", 2);
    expect_row_error(DATA "trace_bad_azure_feb29.csv", 3, "'2023-02-29 10:00:00.2'", 1);
    expect_row_error(DATA "trace_bad_azure_backwards.csv", 3, "non-decreasing", 1);
    /* a quoted field spanning two lines, then a blank line (CRLF file) */
    expect_row_error(DATA "trace_bad_after_quoted.csv", 6, "'x'", 2);
    expect_row_error(DATA "trace_bad_quote.csv", 3, "malformed CSV", 1);

    expect_open_error(DATA "trace_bad_missing_col.csv",
                      "trace_bad_missing_col.csv:1:", "'output_tokens'");
    expect_open_error(DATA "trace_bad_unknown_col.csv",
                      "trace_bad_unknown_col.csv:1:", "unknown column 'colour'");
    expect_open_error(DATA "trace_bad_unknown_col.csv", "trace_bad_unknown_col.csv:1:",
                      "model_group, session, priority, task, tenant, region");
    expect_open_error(DATA "trace_bad_duplicate_col.csv",
                      "trace_bad_duplicate_col.csv:1:", "'tenant' twice");
    expect_open_error(DATA "trace_bad_header.csv", "trace_bad_header.csv:1:",
                      "'TIMESTAMP,ContextTokens,GeneratedTokens' (azure2023)");
    expect_open_error(DATA "trace_bad_header.csv", "found header 'time,in,out'", "arrival_s");
    expect_open_error(DATA "trace_empty.csv", "trace_empty.csv:1:", "expected a header row");
    expect_open_error(DATA "trace_no_such_file.csv", DATA "trace_no_such_file.csv", "cannot open");

    /* configuration errors */
    char err[256] = "";
    struct trace_cfg c = file_cfg(CONV);
    c.rate_scale = 0;
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "rate_scale");
    c = file_cfg(NULL);
    CHECK(trace_open(&c, 0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "path");
}

static struct trace_cfg synth_cfg(double rate, uint64_t count, int64_t duration_ns)
{
    struct trace_cfg c;
    memset(&c, 0, sizeof c);
    c.format = TRACE_SYNTHETIC;
    c.rate_scale = 1.0;
    c.synth.rate_per_s = rate;
    c.synth.count = count;
    c.synth.duration_ns = duration_ns;
    dist_constant(&c.synth.input_tokens, 99.6);
    dist_exponential(&c.synth.output_tokens, 50.0);
    return c;
}

static void test_synthetic(void)
{
    char err[256] = "";
    struct trace_cfg c = synth_cfg(10.0, 200000, 0);
    struct trace_src *src = trace_open(&c, 42, err, sizeof err);
    CHECK(src != NULL);
    if (!src)
        return;
    CHECK_INT_EQ(trace_format_of(src), TRACE_SYNTHETIC);
    struct trace_rec r;
    uint64_t n = 0;
    int64_t prev = 0, last = 0;
    int monotone = 1, in_ok = 1;
    double sum_out = 0;
    while (trace_next(src, &r, err, sizeof err) == 1) {
        if (r.arrival_ns < prev)
            monotone = 0;
        prev = last = r.arrival_ns;
        if (r.input_tokens != 100 || r.output_tokens < 0 || r.line != 0)
            in_ok = 0;
        sum_out += (double)r.output_tokens;
        n++;
    }
    trace_close(src);
    CHECK_INT_EQ(n, 200000);
    CHECK(monotone);
    CHECK(in_ok);
    CHECK_NEAR((last / 1e9) / (double)n, 0.1, 0.1 * 0.02);
    CHECK_NEAR(sum_out / (double)n, 50.0, 1.0);

    /* determinism: same seed same sequence; another seed differs */
    struct trace_cfg c2 = synth_cfg(10.0, 1000, 0);
    struct trace_src *a = trace_open(&c2, 7, err, sizeof err);
    struct trace_src *b = trace_open(&c2, 7, err, sizeof err);
    struct trace_src *d = trace_open(&c2, 8, err, sizeof err);
    c2.rate_scale = 2.0;
    struct trace_src *e = trace_open(&c2, 7, err, sizeof err);
    CHECK(a && b && d && e);
    if (a && b && d && e) {
        int same = 1, differ = 0, scaled = 1;
        struct trace_rec ra, rb, rd, re;
        for (int i = 0; i < 1000; i++) {
            CHECK_INT_EQ(trace_next(a, &ra, err, sizeof err), 1);
            CHECK_INT_EQ(trace_next(b, &rb, err, sizeof err), 1);
            CHECK_INT_EQ(trace_next(d, &rd, err, sizeof err), 1);
            CHECK_INT_EQ(trace_next(e, &re, err, sizeof err), 1);
            if (ra.arrival_ns != rb.arrival_ns || ra.output_tokens != rb.output_tokens)
                same = 0;
            if (ra.arrival_ns != rd.arrival_ns)
                differ = 1;
            if (re.arrival_ns != llround((double)ra.arrival_ns / 2.0))
                scaled = 0;
            if (re.output_tokens != ra.output_tokens)
                scaled = 0;
        }
        CHECK(same);
        CHECK(differ);
        CHECK(scaled);
        CHECK_INT_EQ(trace_next(a, &ra, err, sizeof err), 0);
    }
    trace_close(a);
    trace_close(b);
    trace_close(d);
    trace_close(e);

    /* duration: ~1000 arrivals in [0, 10 s) at 100/s; count 0 = no cap */
    c = synth_cfg(100.0, 0, 10000000000LL);
    struct summary s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.rc, 0);
    CHECK(s.last < 10000000000LL);
    CHECK_NEAR((double)s.n, 1000, 150);
    /* both set: count first */
    c = synth_cfg(100.0, 50, 10000000000LL);
    s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.n, 50);
    /* rate_scale 2 halves the time: ~2000 arrivals in the same 10 s */
    c = synth_cfg(100.0, 0, 10000000000LL);
    c.rate_scale = 2.0;
    s = read_all(&c, err, sizeof err);
    CHECK_NEAR((double)s.n, 2000, 200);
    /* limit applies to synthetic sources too */
    c = synth_cfg(100.0, 0, 10000000000LL);
    c.limit = 10;
    s = read_all(&c, err, sizeof err);
    CHECK_INT_EQ(s.n, 10);

    /* neither count nor duration; bad rate */
    c = synth_cfg(100.0, 0, 0);
    CHECK(trace_open(&c, 1, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "count");
    c = synth_cfg(0.0, 10, 0);
    CHECK(trace_open(&c, 1, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "rate");
}

int main(void)
{
    test_azure_conv();
    test_azure_code();
    test_azure_small();
    test_native();
    test_bad_inputs();
    test_synthetic();
    return check_report("test_trace");
}
