/*
 * test_report.c - the CLI outputs: summary JSON (every contract key, in
 * order; escaping; null for non-finite numbers), time-series CSV, the
 * table (FAIL on a violated SLO) and the plot inputs.  Results are built
 * by hand, so no engine is needed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmp.h"
#include "report.h"

/* Everything report_* writes to a stream, as one string. */
struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static void cap_open(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
}

static char *cap_close(struct capture *c)
{
    if (c->f)
        fclose(c->f);
    return c->buf;
}

/* Each needle occurs after the previous one; reports the first missing. */
static void check_in_order(const char *text, const char *const *needles, size_t n)
{
    const char *p = text;
    for (size_t i = 0; p && i < n; i++) {
        const char *q = strstr(p, needles[i]);
        CHECK(q != NULL);
        if (!q) {
            fprintf(stderr, "  missing (in order): %s\n", needles[i]);
            return;
        }
        p = q + strlen(needles[i]);
    }
}

static void fill_lat(struct sim_lat *l, double base)
{
    l->mean = base;
    l->p50 = base * 0.9;
    l->p90 = base * 1.5;
    l->p95 = base * 1.8;
    l->p99 = base * 2.5;
    l->p999 = base * 4.0;
    l->max = base * 6.0;
}

static struct sim_backend_result backends[2] = {
    {.name = "openai-1",
     .attempts = 700,
     .successes = 650,
     .upstream_429 = 40,
     .errors = 10,
     .timeouts = 2,
     .cost_usd = 1.5},
    {.name = "anthropic",
     .attempts = 400,
     .successes = 340,
     .upstream_429 = 50,
     .errors = 10,
     .timeouts = 0,
     .cost_usd = 2.25},
};

static struct sim_ts_row ts_rows[3] = {
    {.t_ns = 0,
     .arrivals = 300,
     .completed = 290,
     .failed = 5,
     .client_429 = 3,
     .upstream_429 = 20,
     .errors = 2,
     .attempts = 330,
     .cost_usd = 1.0,
     .ttft_sum_s = 145.0,
     .inflight = 5,
     .healthy = 2},
    {.t_ns = 60000000000,
     .arrivals = 400,
     .completed = 0,
     .failed = 10,
     .client_429 = 10,
     .upstream_429 = 60,
     .errors = 5,
     .attempts = 500,
     .cost_usd = 1.5,
     .ttft_sum_s = 0,
     .inflight = 12,
     .healthy = 1},
    {.t_ns = 120000000000,
     .arrivals = 300,
     .completed = 310,
     .failed = 0,
     .client_429 = 0,
     .upstream_429 = 10,
     .errors = 0,
     .attempts = 270,
     .cost_usd = 1.25,
     .ttft_sum_s = 155.0,
     .inflight = 0,
     .healthy = 2},
};

/* Two runs: a good one and one with a quote in its name, NaN metrics and
 * two SLO violations. */
static void build(struct sim_result res[2])
{
    memset(res, 0, 2 * sizeof *res);
    for (int i = 0; i < 2; i++) {
        struct sim_result *r = &res[i];
        r->requests = 1000;
        r->completed = 990 - 10 * i;
        r->failed = 8 + 10 * i;
        r->in_flight_at_end = 2;
        r->unmeasured = 17;
        fill_lat(&r->ttft, 0.4 + i);
        fill_lat(&r->e2e, 3.0 + i);
        r->queue_wait_mean_s = 0.01;
        r->queue_wait_p99_s = 0.2;
        r->client_429_gateway = 3;
        r->client_429_provider = 2;
        r->attempts = 1100;
        r->upstream_429 = 90;
        r->final_errors = 8;
        r->retries = 100;
        r->timeouts = 2;
        r->client_429_rate = 0.005;
        r->client_429_gateway_rate = 0.003;
        r->client_429_provider_rate = 0.002;
        r->upstream_429_rate = 90.0 / 1100.0;
        r->error_rate = 0.008;
        r->attempts_per_request = 1.1;
        r->cost_usd = 3.75;
        r->cost_per_1k_requests_usd = 3.75;
        r->cost_per_success_usd = 3.75 / 990.0;
        r->backends = backends;
        r->n_backends = 2;
        r->ts = ts_rows;
        r->n_ts = 3;
        r->interval_ns = 60000000000;
        r->little_lambda = 5.5;
        r->little_w_s = 3.1;
        r->little_l = 17.05;
        r->end_ns = 180000000000;
        r->events = 123456789;
        r->slo_pass = true;
        if (hist_init(&r->ttft_hist) == 0) {
            /* TTFTs of 50 ms .. 2.05 s */
            for (int k = 0; k < 2000; k++)
                hist_add(&r->ttft_hist, 50000000 + (int64_t)k * 1000000 * (i + 1));
        }
    }
    strcpy(res[0].strategy, "least_busy");
    strcpy(res[1].strategy, "say \"hi\"\\\n");
    res[1].ttft.p50 = NAN;
    res[1].cost_per_success_usd = INFINITY;
    res[1].slo_pass = false;
    res[1].n_violations = 2;
    res[1].violations[0] =
        (struct sim_slo_violation){.metric = SCN_SLO_TTFT_P99, .limit = 2.0, .value = 3.5};
    res[1].violations[1] = (struct sim_slo_violation){
        .metric = SCN_SLO_CLIENT_429_RATE, .limit = 0.001, .value = 0.005};
}

static void test_json(const struct scenario *scn, const struct sim_result *res)
{
    struct capture c;
    cap_open(&c);
    report_json(c.f, scn, 42, res, 2);
    char *js = cap_close(&c);
    CHECK(js != NULL);
    if (!js)
        return;
    static const char *const keys[] = {
        "{\n  \"scenario\": \"demo \\\"q\\\"\",\n  \"seed\": 42,\n  \"runs\": [\n    {\n",
        "      \"strategy\": \"least_busy\",\n",
        "\"requests\": 1000,",
        "\"completed\": 990,",
        "\"failed\": 8,",
        "\"in_flight_at_end\": 2,",
        "\"ttft_s\": {",
        "\"mean\": 0.4,",
        "\"p50\": 0.36,",
        "\"p90\"",
        "\"p95\"",
        "\"p99\": 1,",
        "\"p999\"",
        "\"max\"",
        "\"e2e_s\": {",
        "\"mean\": 3,",
        "\"p50\"",
        "\"p90\"",
        "\"p95\"",
        "\"p99\"",
        "\"p999\"",
        "\"max\"",
        "\"queue_wait_s\": {\n        \"mean\": 0.01,\n        \"p99\": 0.2\n      },",
        "\"client_429_rate\": 0.005,",
        "\"client_429_gateway_rate\": 0.003,",
        "\"client_429_provider_rate\": 0.002,",
        "\"upstream_429_rate\": 0.0818181818,",
        "\"error_rate\": 0.008,",
        "\"attempts_per_request\": 1.1,",
        "\"cost_usd\": 3.75,",
        "\"cost_per_1k_requests_usd\": 3.75,",
        "\"cost_per_success_usd\": 0.00378787879,",
        "\"backends\": [\n        {\n          \"name\": \"openai-1\",",
        "\"attempts\": 700,",
        "\"successes\": 650,",
        "\"upstream_429\": 40,",
        "\"errors\": 10,",
        "\"cost_usd\": 1.5\n        },",
        "\"name\": \"anthropic\"",
        "\"cost_usd\": 2.25\n        }\n      ],",
        "\"slo\": {\n        \"pass\": true,\n        \"violations\": []\n      },",
        "\"retries\": 100,",
        "\"timeouts\": 2,",
        "\"attempts\": 1100,",
        "\"unmeasured\": 17,",
        "\"little\": {\n        \"lambda_per_s\": 5.5,\n",
        "        \"mean_time_in_system_s\": 3.1,\n        \"mean_in_system\": 17.05\n      },",
        "\"events\": 123456789,\n      \"trace_rows_skipped\": 0,\n      \"goodput\": 0,\n      "
        "\"conversations\": 0,\n      \"cost_per_conversation_usd\": 0,\n      \"by_label\": {},\n"
        "      \"pool_avg_batch_size\": 0,\n      \"pool_tokens_per_s_per_replica\": 0,\n"
        "      \"pool_decode_tokens_per_s_per_replica\": 0,\n"
        "      \"pool_goodput_accel_share\": 0\n  "
        "  },\n    {\n",
        /* second run: escaped name, null for NaN and Inf, violations */
        "\"strategy\": \"say \\\"hi\\\"\\\\\\n\",",
        "\"p50\": null,",
        "\"cost_per_success_usd\": null,",
        "\"slo\": {\n        \"pass\": false,\n        \"violations\": [\n          {\n",
        "\"metric\": \"ttft_p99\",\n            \"limit\": 2,\n            \"value\": 3.5\n",
        "\"metric\": \"client_429_rate\",",
        "\"limit\": 0.001,",
        "\"value\": 0.005\n          }\n        ]\n      },",
        "\"events\": 123456789,\n      \"trace_rows_skipped\": 0,\n      \"goodput\": 0,\n      "
        "\"conversations\": 0,\n      \"cost_per_conversation_usd\": 0,\n      \"by_label\": {},\n"
        "      \"pool_avg_batch_size\": 0,\n      \"pool_tokens_per_s_per_replica\": 0,\n"
        "      \"pool_decode_tokens_per_s_per_replica\": 0,\n"
        "      \"pool_goodput_accel_share\": 0\n  "
        "  }\n  ]\n}\n",
    };
    check_in_order(js, keys, sizeof keys / sizeof keys[0]);
    size_t len = strlen(js);
    CHECK(len > 0 && js[len - 1] == '\n' && (len < 2 || js[len - 2] == '}'));
    CHECK(strstr(js, " \n") == NULL); /* no trailing spaces */
    CHECK(strstr(js, "\t") == NULL);  /* spaces only */
    CHECK(strstr(js, "nan") == NULL && strstr(js, "inf") == NULL);
    free(js);

    /* No runs, no scenario; invalid UTF-8 and control characters. */
    cap_open(&c);
    report_json(c.f, NULL, 0, NULL, 0);
    js = cap_close(&c);
    CHECK(js && strcmp(js, "{\n  \"scenario\": null,\n  \"seed\": 0,\n  \"runs\": []\n}\n") == 0);
    free(js);

    struct sim_result odd;
    memset(&odd, 0, sizeof odd);
    strcpy(odd.strategy, "caf\xc3\xa9 \x01 \xff");
    odd.slo_pass = true;
    cap_open(&c);
    report_json(c.f, NULL, 1, &odd, 1);
    js = cap_close(&c);
    CHECK_STR_CONTAINS(js, "\"strategy\": \"caf\xc3\xa9 \\u0001 \\ufffd\",");
    CHECK_STR_CONTAINS(js, "\"backends\": [],");
    free(js);
}

static void test_csv(const struct sim_result *res)
{
    struct capture c;
    cap_open(&c);
    report_timeseries_csv(c.f, res, 2);
    char *csv = cap_close(&c);
    CHECK(csv != NULL);
    if (!csv)
        return;
    const char *header = "strategy,t_s,arrivals,completed,failed,client_429,upstream_429,errors,"
                         "attempts,cost_usd,ttft_mean_s,inflight,healthy_backends,serving_replicas,"
                         "cache_hits,ttft_p50_s,ttft_p90_s,ttft_p99_s,error_rate,client_429_rate,"
                         "cost_usd_per_h\n";
    CHECK(strncmp(csv, header, strlen(header)) == 0);
    CHECK_STR_CONTAINS(csv, "\nleast_busy,0,300,290,5,3,20,2,330,1,0.5,5,2,0,0,0,0,0,0,0,0\n");
    /* no completions: the mean TTFT field is empty */
    CHECK_STR_CONTAINS(csv, "\nleast_busy,60,400,0,10,10,60,5,500,1.5,,12,1,0,0,0,0,0,0,0,0\n");
    CHECK_STR_CONTAINS(csv, "\n\"say \"\"hi\"\"\\\n\",120,300,310,");
    int lines = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    CHECK_INT_EQ(lines, 1 + 2 * 3 + 3); /* each quoted name holds a newline */
    free(csv);
}

static void test_table(const struct scenario *scn, const struct sim_result *res)
{
    struct capture c;
    cap_open(&c);
    report_table(c.f, scn, 42, res, 2);
    char *t = cap_close(&c);
    CHECK_STR_CONTAINS(t, "demo \"q\"");
    CHECK_STR_CONTAINS(t, "seed: 42");
    CHECK_STR_CONTAINS(t, "strategy");
    CHECK_STR_CONTAINS(t, "TTFT p99");
    CHECK_STR_CONTAINS(t, "least_busy");
    CHECK_STR_CONTAINS(t, "  -\n"); /* the scenario has no slo: nothing checked */
    CHECK_STR_CONTAINS(t, "FAIL: ttft_p99,client_429_rate\n");
    CHECK_STR_CONTAINS(t, " 99.00 "); /* ok% of the first run */
    CHECK_STR_CONTAINS(t, " 3.7500 ");
    CHECK(t && strstr(t, "nan") == NULL);
    /* header + column line + one line per run (the name's newline is
     * printed as '?') + the USD/mo footer */
    int lines = 0;
    for (const char *p = t; p && *p; p++)
        lines += *p == '\n';
    CHECK_INT_EQ(lines, 2 + 1 + 2 + 1);
    if (check_failures_)
        fputs(t ? t : "", stderr);
    free(t);
}

static long fsize(const char *dir, const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_plots(struct sim_result *res)
{
    char dir[TMP_DIR_MAX];
    CHECK(tmp_dir(dir, sizeof dir, "test_report") == 0);
    char err[256] = "";
    const char *names[8];
    int n = report_plots(dir, res, 2, names, 8, err, sizeof err);
    CHECK_INT_EQ(n, 4);
    static const char *const want[] = {"ttft_cdf", "summary_bars", "timeseries_429",
                                       "timeseries_inflight"};
    for (int i = 0; i < 4 && i < n; i++) {
        CHECK(strcmp(names[i], want[i]) == 0);
        CHECK(fsize(dir, want[i], "dat") > 0);
        CHECK(fsize(dir, want[i], "gp") > 0);
    }
    /* The CDF spans min..max in seconds: 0.05 .. 2.049 for the first run. */
    char path[4096];
    snprintf(path, sizeof path, "%s/ttft_cdf.dat", dir);
    FILE *f = fopen(path, "r");
    char line[256];
    int points = 0, saw_first = 0, saw_last = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] != '#' && line[0] != '\n')
            points++;
        saw_first |= strcmp(line, "0.05\t0\n") == 0;
        saw_last |= strcmp(line, "2.049\t1\n") == 0;
    }
    if (f)
        fclose(f);
    CHECK_INT_EQ(points, 2 * 401);
    CHECK(saw_first && saw_last);

    /* Fewer slots: only that many plots are written. */
    int n2 = report_plots(dir, res, 2, names, 2, err, sizeof err);
    CHECK_INT_EQ(n2, 2);
    CHECK_INT_EQ(report_plots(dir, res, 0, names, 8, err, sizeof err), 0);

    /* A run without TTFT samples is left out of the CDF. */
    hist_reset(&res[0].ttft_hist);
    CHECK_INT_EQ(report_plots(dir, res, 2, names, 8, err, sizeof err), 4);

    /* Errors come back as -1 with the path. */
    err[0] = '\0';
    CHECK_INT_EQ(report_plots("/nonexistent/lbsim", res, 2, names, 8, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "/nonexistent/lbsim/");

    if (access("/usr/bin/gnuplot", X_OK) == 0) {
        for (int i = 0; i < 4; i++) {
            char cmd[8192];
            snprintf(cmd, sizeof cmd, "cd '%s' && /usr/bin/gnuplot %s.gp", dir, want[i]);
            CHECK_INT_EQ(system(cmd), 0);
            CHECK(fsize(dir, want[i], "png") > 0);
            CHECK(fsize(dir, want[i], "svg") > 0);
        }
    }
    tmp_rmdir(dir);
}

int main(void)
{
    static struct scenario scn; /* large: static, zeroed */
    strcpy(scn.name, "demo \"q\"");
    scn.seed = 42;
    struct sim_result res[2];
    build(res);
    test_json(&scn, res);
    test_csv(res);
    test_table(&scn, res);
    test_plots(res);
    hist_fini(&res[0].ttft_hist);
    hist_fini(&res[1].ttft_hist);
    return check_report("test_report");
}
