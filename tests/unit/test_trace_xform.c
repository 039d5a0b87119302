/*
 * test_trace_xform.c - traces/trace_xform.c: window, rate scale, sample,
 * repeat and overrides on the bundled Azure 2023 traces (Patel et al.,
 * Splitwise, ISCA 2024), the k-way merge, and trace_stats_compute against
 * the statistics table of the shared traces README.
 * Runs with the repository root as the working directory.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"
#include "check.h"

#define CONV "traces/data/AzureLLMInferenceTrace_conv.csv"
#define CODE "traces/data/AzureLLMInferenceTrace_code.csv"
#define DATA "tests/data/"

static const int64_t S = 1000000000LL;

struct summary {
    int rc;
    uint64_t n;
    int64_t first, last;
    int64_t sum_in, sum_out;
    int monotone;
    uint64_t hash; /* of (arrival, tokens) of every row, order-sensitive */
};

static void fold(struct summary *s, const struct trace_rec *r, int64_t *prev)
{
    if (s->n == 0)
        s->first = r->arrival_ns;
    if (r->arrival_ns < *prev)
        s->monotone = 0;
    *prev = r->arrival_ns;
    s->last = r->arrival_ns;
    s->sum_in += r->input_tokens;
    s->sum_out += r->output_tokens;
    s->hash = (s->hash ^ (uint64_t)r->arrival_ns) * 0x100000001b3ull;
    s->hash = (s->hash ^ (uint64_t)r->input_tokens) * 0x100000001b3ull;
    s->n++;
}

static struct summary drain(struct trace_src *src, char *err, size_t errlen)
{
    struct summary s = {0};
    s.monotone = 1;
    s.hash = 0xcbf29ce484222325ull;
    struct trace_rec r;
    int64_t prev = INT64_MIN;
    while ((s.rc = trace_next(src, &r, err, errlen)) == 1)
        fold(&s, &r, &prev);
    return s;
}

static struct summary read_all(const struct trace_cfg *cfg, uint64_t seed)
{
    char err[512] = "";
    struct trace_src *src = trace_open(cfg, seed, err, sizeof err);
    if (!src) {
        fprintf(stderr, "open failed: %s\n", err);
        struct summary s = {0};
        s.rc = -99;
        return s;
    }
    struct summary s = drain(src, err, sizeof err);
    if (s.rc < 0)
        fprintf(stderr, "read failed: %s\n", err);
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

/* Rows of the raw trace with arrival in [lo, hi), the first of them, and
 * their token sums. */
static uint64_t count_raw(const char *path, int64_t lo, int64_t hi, int64_t *first, int64_t *sum_in)
{
    struct trace_cfg c = file_cfg(path);
    char err[512];
    struct trace_src *src = trace_open(&c, 1, err, sizeof err);
    if (!src)
        return 0;
    struct trace_rec r;
    uint64_t n = 0;
    *sum_in = 0;
    while (trace_next(src, &r, err, sizeof err) == 1)
        if (r.arrival_ns >= lo && r.arrival_ns < hi) {
            if (n == 0)
                *first = r.arrival_ns;
            *sum_in += r.input_tokens;
            n++;
        }
    trace_close(src);
    return n;
}

static void test_window(void)
{
    int64_t first = 0, sum_in = 0;
    uint64_t want = count_raw(CONV, 600 * S, 1200 * S, &first, &sum_in);
    CHECK(want > 1000);

    struct trace_cfg c = file_cfg(CONV);
    c.window_start_ns = 600 * S;
    c.window_end_ns = 1200 * S;
    struct summary s = read_all(&c, 1);
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, want);
    CHECK_INT_EQ(s.sum_in, sum_in);
    CHECK_INT_EQ(s.first, first - 600 * S); /* re-based */
    CHECK(s.last < 600 * S);
    CHECK(s.first >= 0);
    CHECK(s.monotone);

    /* open-ended window */
    int64_t f2, si2;
    uint64_t want2 = count_raw(CONV, 3000 * S, INT64_MAX, &f2, &si2);
    c.window_start_ns = 3000 * S;
    c.window_end_ns = 0;
    s = read_all(&c, 1);
    CHECK_INT_EQ(s.n, want2);
    CHECK_INT_EQ(s.first, f2 - 3000 * S);

    /* rate scale 2: the window is on the trace's own time */
    c = file_cfg(CONV);
    c.rate_scale = 2.0;
    c.window_start_ns = 600 * S;
    c.window_end_ns = 1200 * S;
    s = read_all(&c, 1);
    CHECK_INT_EQ(s.n, want);
    CHECK_INT_EQ(s.sum_in, sum_in);
    CHECK_INT_EQ(s.first, (first - 600 * S) / 2);
    CHECK(s.last < 300 * S);
    CHECK(s.monotone);

    /* bad windows */
    char err[512] = "";
    c = file_cfg(CONV);
    c.window_start_ns = 20 * S;
    c.window_end_ns = 10 * S;
    CHECK(trace_open(&c, 1, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "window");
    c = file_cfg(CONV);
    c.sample = 1.5;
    CHECK(trace_open(&c, 1, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "sample 1.5");
}

static void test_sample(void)
{
    struct trace_cfg c = file_cfg(CONV);
    c.sample = 0.3;
    struct summary a = read_all(&c, 7), b = read_all(&c, 7), d = read_all(&c, 8);
    double n = 19366, p = 0.3, sd = sqrt(n * p * (1 - p));
    CHECK_INT_EQ(a.rc, 0);
    CHECK_NEAR((double)a.n, n * p, 5 * sd);
    CHECK_NEAR((double)d.n, n * p, 5 * sd);
    CHECK(a.monotone);
    /* deterministic in the seed */
    CHECK_INT_EQ(a.n, b.n);
    CHECK(a.hash == b.hash);
    CHECK(a.hash != d.hash);
    /* 0 and 1 keep everything */
    c.sample = 1.0;
    CHECK_INT_EQ(read_all(&c, 7).n, 19366);
    c.sample = 0.0;
    CHECK_INT_EQ(read_all(&c, 7).n, 19366);
}

static void test_repeat(void)
{
    struct trace_cfg c = file_cfg(CONV);
    struct summary one = read_all(&c, 1);
    CHECK_INT_EQ(one.n, 19366);
    /* pass length without a window: last arrival + mean gap (last / rows) */
    int64_t pass = one.last + one.last / (int64_t)one.n;
    c.repeat_to_ns = 2 * pass;
    struct summary two = read_all(&c, 1);
    CHECK_INT_EQ(two.rc, 0);
    CHECK_INT_EQ(two.n, 2 * one.n);
    CHECK_INT_EQ(two.sum_in, 2 * one.sum_in);
    CHECK_INT_EQ(two.sum_out, 2 * one.sum_out);
    CHECK(two.monotone);
    CHECK_INT_EQ(two.last, pass + one.last);

    /* repeat_to also cuts: half of the first pass */
    c.repeat_to_ns = 1750 * S;
    int64_t f, si;
    uint64_t want = count_raw(CONV, 0, 1750 * S, &f, &si);
    CHECK_INT_EQ(read_all(&c, 1).n, want);

    /* with a window: passes of the window's length */
    c = file_cfg(CONV);
    c.window_start_ns = 600 * S;
    c.window_end_ns = 1200 * S;
    struct summary w1 = read_all(&c, 1);
    c.repeat_to_ns = 1800 * S; /* three windows of 10 min */
    struct summary w3 = read_all(&c, 1);
    CHECK_INT_EQ(w3.n, 3 * w1.n);
    CHECK_INT_EQ(w3.sum_in, 3 * w1.sum_in);
    CHECK_INT_EQ(w3.sum_out, 3 * w1.sum_out);
    CHECK(w3.monotone);
    CHECK_INT_EQ(w3.last, 1200 * S + w1.last);

    /* repeat + limit: the limit counts output rows */
    c.limit = 5000;
    CHECK_INT_EQ(read_all(&c, 1).n, 5000);

    /* a synthetic source reopens with its seed: every pass is the same */
    struct trace_cfg p;
    memset(&p, 0, sizeof p);
    p.format = TRACE_SYNTHETIC;
    p.rate_scale = 1.0;
    p.synth.rate_per_s = 10;
    p.synth.duration_ns = 10 * S;
    dist_constant(&p.synth.input_tokens, 100);
    dist_constant(&p.synth.output_tokens, 10);
    struct summary p1 = read_all(&p, 5);
    p.repeat_to_ns = 3 * (p1.last + p1.last / (int64_t)p1.n);
    struct summary p3 = read_all(&p, 5);
    CHECK(p1.n > 50);
    CHECK_INT_EQ(p3.n, 3 * p1.n);
    CHECK_INT_EQ(p3.sum_in, 3 * p1.sum_in);
    CHECK(p3.monotone);
}

/* Open and read cfg to its end: the reader's last return (or -99 when the
 * open failed), the rows read in *n, the message in err. */
static int read_err(const struct trace_cfg *cfg, uint64_t *n, char *err, size_t errlen)
{
    err[0] = '\0';
    *n = 0;
    struct trace_src *src = trace_open(cfg, 1, err, errlen);
    if (!src)
        return -99;
    struct summary s = drain(src, err, errlen);
    trace_close(src);
    *n = s.n;
    return s.rc;
}

/* repeat_to on a pass that cannot repeat (no row in the window, or every
 * arrival at 0) is an error that says so, not one silent pass nor endless
 * empty passes. */
static void test_repeat_empty(void)
{
    char err[512], p[128];
    uint64_t n;
    struct trace_cfg c = file_cfg(DATA "trace_header_only.csv");
    c.repeat_to_ns = 60 * S;
    CHECK(read_err(&c, &n, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err,
                       "trace_header_only.csv: found repeat_to 60.000 s on a pass with no row");
    /* a window past the end of the trace */
    c = file_cfg(CONV);
    c.window_start_ns = 1000000 * S;
    c.window_end_ns = 1000010 * S;
    c.repeat_to_ns = 1000000000 * S;
    CHECK(read_err(&c, &n, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "on a pass with no row in it");
    /* every arrival at 0 */
    snprintf(p, sizeof p, "/tmp/lbsim_test_xf_%ld_zero.csv", (long)getpid());
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("arrival_s,input_tokens,output_tokens\n0,10,1\n0,20,2\n", f);
        fclose(f);
    }
    c = file_cfg(p);
    c.repeat_to_ns = 60 * S;
    CHECK(read_err(&c, &n, err, sizeof err) < 0);
    CHECK_INT_EQ(n, 2); /* the first pass is read, the second refused */
    CHECK_STR_CONTAINS(err, "on a pass spanning 0 s (every arrival at 0)");
    /* the same rows with a window: passes of the window's length */
    c.window_end_ns = 10 * S;
    CHECK_INT_EQ(read_err(&c, &n, err, sizeof err), 0);
    CHECK_INT_EQ(n, 12);
    remove(p);
}

static void test_overrides(void)
{
    struct trace_cfg c = file_cfg(DATA "trace_native_all.csv");
    c.set_priority = 7;
    snprintf(c.set_label[TRACE_LABEL_TENANT], sizeof c.set_label[0], "%s", "nightly-batch");
    char err[512];
    struct trace_src *src = trace_open(&c, 1, err, sizeof err);
    CHECK(src != NULL);
    if (!src)
        return;
    struct trace_rec r;
    int n = 0, ok_prio = 1, ok_tenant = 1, kept_task = 0;
    while (trace_next(src, &r, err, sizeof err) == 1) {
        n++;
        ok_prio &= r.priority == 7;
        const char *t = trace_label(src, TRACE_LABEL_TENANT, r.label[TRACE_LABEL_TENANT]);
        ok_tenant &= t != NULL && strcmp(t, "nightly-batch") == 0;
        kept_task += trace_label(src, TRACE_LABEL_TASK, r.label[TRACE_LABEL_TASK]) != NULL;
    }
    CHECK(n > 0);
    CHECK(ok_prio);
    CHECK(ok_tenant);
    CHECK(kept_task > 0); /* labels not overridden are kept */
    trace_close(src);
}

static void test_merge(void)
{
    struct trace_cfg cfgs[2] = {file_cfg(CONV), file_cfg(CODE)};
    struct summary a = read_all(&cfgs[0], 1), b = read_all(&cfgs[1], 1);
    snprintf(cfgs[0].set_label[TRACE_LABEL_TENANT], 48, "%s", "chat");
    snprintf(cfgs[1].set_label[TRACE_LABEL_TENANT], 48, "%s", "coder");
    snprintf(cfgs[1].set_label[TRACE_LABEL_TASK], 48, "%s", "code");
    cfgs[1].set_priority = 2;
    char err[512] = "";
    struct trace_src *m = trace_open_merge(cfgs, 2, 42, err, sizeof err);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    struct trace_rec r;
    struct summary s = {0};
    s.monotone = 1;
    int64_t prev = INT64_MIN;
    uint64_t n_chat = 0, n_coder = 0, bad_label = 0;
    while ((s.rc = trace_next(m, &r, err, sizeof err)) == 1) {
        fold(&s, &r, &prev);
        const char *t = trace_label(m, TRACE_LABEL_TENANT, r.label[TRACE_LABEL_TENANT]);
        const char *k = trace_label(m, TRACE_LABEL_TASK, r.label[TRACE_LABEL_TASK]);
        if (t && strcmp(t, "chat") == 0 && k == NULL && r.priority == 0)
            n_chat++;
        else if (t && strcmp(t, "coder") == 0 && k && strcmp(k, "code") == 0 && r.priority == 2)
            n_coder++;
        else
            bad_label++;
    }
    CHECK_INT_EQ(s.rc, 0);
    CHECK_INT_EQ(s.n, a.n + b.n);
    CHECK_INT_EQ(s.sum_in, a.sum_in + b.sum_in);
    CHECK_INT_EQ(s.sum_out, a.sum_out + b.sum_out);
    CHECK(s.monotone);
    CHECK_INT_EQ(n_chat, a.n);
    CHECK_INT_EQ(n_coder, b.n);
    CHECK_INT_EQ(bad_label, 0);
    /* re-interned in order of first appearance in the merged stream */
    CHECK(trace_label(m, TRACE_LABEL_TENANT, 1) != NULL);
    CHECK(trace_label(m, TRACE_LABEL_TENANT, 3) == NULL);
    trace_close(m);

    /* scaled merge keeps the token totals; each input keeps its own limit */
    cfgs[0].rate_scale = 4.0;
    cfgs[1].limit = 100;
    m = trace_open_merge(cfgs, 2, 42, err, sizeof err);
    CHECK(m != NULL);
    if (m) {
        s = drain(m, err, sizeof err);
        CHECK_INT_EQ(s.n, a.n + 100);
        CHECK(s.monotone);
        CHECK(s.last < a.last / 4 + 1);
        trace_close(m);
    }

    /* labels of the inputs' own columns are re-interned too */
    struct trace_cfg nat[2] = {file_cfg(DATA "trace_native_all.csv"), file_cfg(CONV)};
    nat[1].limit = 10;
    m = trace_open_merge(nat, 2, 1, err, sizeof err);
    CHECK(m != NULL);
    if (m) {
        int have_region = 0;
        while (trace_next(m, &r, err, sizeof err) == 1) {
            const char *g = trace_label(m, TRACE_LABEL_REGION, r.label[TRACE_LABEL_REGION]);
            if (g && (strcmp(g, "us-east") == 0 || strcmp(g, "eu-west") == 0))
                have_region++;
        }
        CHECK(have_region > 0);
        trace_close(m);
    }

    /* errors: an input that cannot be opened, a bad row in an input */
    struct trace_cfg bad[2] = {file_cfg(CONV), file_cfg(DATA "no-such-trace.csv")};
    CHECK(trace_open_merge(bad, 2, 1, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "no-such-trace.csv");
    CHECK(trace_open_merge(bad, 0, 1, err, sizeof err) == NULL);
    bad[1] = file_cfg(DATA "cli_bad_row.csv");
    m = trace_open_merge(bad, 2, 1, err, sizeof err);
    CHECK(m != NULL);
    if (m) {
        s = drain(m, err, sizeof err);
        CHECK(s.rc < 0);
        CHECK_STR_CONTAINS(err, "cli_bad_row.csv:4");
        CHECK(trace_next(m, &r, err, sizeof err) < 0); /* sticky */
        trace_close(m);
    }
}

static void test_stats(void)
{
    struct trace_cfg c = file_cfg(CONV);
    char err[512];
    struct trace_src *src = trace_open(&c, 1, err, sizeof err);
    CHECK(src != NULL);
    if (!src)
        return;
    struct trace_stats st;
    CHECK_INT_EQ(trace_stats_compute(src, S, &st, err, sizeof err), 0);
    trace_close(src);
    /* README: 19,366 rows, 3,502 s, 5.53 req/s, input 1,155 / 1,020 / 14,050,
       output 211 / 129 / 1,000 */
    CHECK_INT_EQ(st.rows, 19366);
    CHECK_INT_EQ(st.failed_rows, 0);
    CHECK_NEAR((double)(st.last_ns - st.first_ns) * 1e-9, 3502, 1);
    CHECK_NEAR(st.mean_rate_per_s, 5.53, 0.005);
    CHECK_NEAR(st.in_mean, 1155, 0.5);
    CHECK_NEAR(st.in_p50, 1020, 1);
    CHECK_NEAR(st.in_max, 14050, 0);
    CHECK_NEAR(st.out_mean, 211, 0.5);
    CHECK_NEAR(st.out_p50, 129, 1);
    CHECK_NEAR(st.out_max, 1000, 0);
    CHECK(st.in_p50 <= st.in_p90 && st.in_p90 <= st.in_p99 && st.in_p99 <= st.in_max);
    CHECK(st.peak_rate_per_min >= st.mean_rate_per_s * 60);
    CHECK(st.interarrival_cv > 0.5 && st.interarrival_cv < 5);
    CHECK(st.idc > 0.5);
    CHECK_INT_EQ(st.idc_window_ns, S);

    c = file_cfg(CODE);
    src = trace_open(&c, 1, err, sizeof err);
    CHECK(src != NULL);
    if (!src)
        return;
    CHECK_INT_EQ(trace_stats_compute(src, S, &st, err, sizeof err), 0);
    trace_close(src);
    /* README: 8,819 rows, 3,436 s, 2.57 req/s, input 2,048 / 1,469 / 7,437,
       output 28 / 13 / 1,899 */
    CHECK_INT_EQ(st.rows, 8819);
    CHECK_NEAR((double)(st.last_ns - st.first_ns) * 1e-9, 3436, 1);
    CHECK_NEAR(st.mean_rate_per_s, 2.57, 0.005);
    CHECK_NEAR(st.in_mean, 2048, 0.5);
    CHECK_NEAR(st.in_p50, 1469, 1);
    CHECK_NEAR(st.in_max, 7437, 0);
    CHECK_NEAR(st.out_mean, 28, 0.5);
    CHECK_NEAR(st.out_p50, 13, 1);
    CHECK_NEAR(st.out_max, 1899, 0);

    /* a Poisson source: CV and IDC near 1; rate near the configured one */
    struct trace_cfg p;
    memset(&p, 0, sizeof p);
    p.format = TRACE_SYNTHETIC;
    p.rate_scale = 1.0;
    p.synth.rate_per_s = 50;
    p.synth.count = 200000;
    dist_constant(&p.synth.input_tokens, 100);
    dist_constant(&p.synth.output_tokens, 10);
    src = trace_open(&p, 3, err, sizeof err);
    CHECK(src != NULL);
    if (!src) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT_EQ(trace_stats_compute(src, S, &st, err, sizeof err), 0);
    trace_close(src);
    CHECK_INT_EQ(st.rows, 200000);
    CHECK_NEAR(st.mean_rate_per_s, 50, 0.5);
    CHECK_NEAR(st.interarrival_cv, 1, 0.02);
    CHECK_NEAR(st.idc, 1, 0.05);
    CHECK_NEAR(st.in_p99, 100, 0);

    /* a bad row is an error with its line; a bad IDC window too */
    c = file_cfg(DATA "cli_bad_row.csv");
    src = trace_open(&c, 1, err, sizeof err);
    CHECK(src != NULL);
    if (src) {
        CHECK(trace_stats_compute(src, S, &st, err, sizeof err) < 0);
        CHECK_STR_CONTAINS(err, "cli_bad_row.csv:4");
        trace_close(src);
    }
    c = file_cfg(CONV);
    src = trace_open(&c, 1, err, sizeof err);
    if (src) {
        CHECK(trace_stats_compute(src, 0, &st, err, sizeof err) < 0);
        trace_close(src);
    }
}

/* IDC counts empty windows: arrivals at 0 s and 10 s, 1 s windows -> counts
 * 1,0,...,0,1 (11 windows): mean 2/11, sample var (2 - 11 (2/11)^2) / 10. */
static void test_idc_empty_windows(void)
{
    const char *path = "/tmp/lbsim_test_xform_idc.csv";
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("arrival_s,input_tokens,output_tokens\n0,1,1\n10,1,1\n", f);
    fclose(f);
    struct trace_cfg c = file_cfg(path);
    char err[512];
    struct trace_src *src = trace_open(&c, 1, err, sizeof err);
    CHECK(src != NULL);
    if (!src)
        return;
    struct trace_stats st;
    CHECK_INT_EQ(trace_stats_compute(src, S, &st, err, sizeof err), 0);
    trace_close(src);
    remove(path);
    double mean = 2.0 / 11, var = (2 - 11 * mean * mean) / 10;
    CHECK_NEAR(st.idc, var / mean, 1e-12);
    CHECK_NEAR(st.mean_rate_per_s, 0.2, 1e-12);
    CHECK_NEAR(st.peak_rate_per_min, 2, 0);
    CHECK_NEAR(st.interarrival_cv, 0, 0); /* one gap */
}

int main(void)
{
    test_window();
    test_sample();
    test_repeat();
    test_repeat_empty();
    test_overrides();
    test_merge();
    test_stats();
    test_idc_empty_windows();
    return check_report("test_trace_xform");
}
