/*
 * test_scn.c - the scenario loader (scenarios/): unit parsers, a full
 * scenario with every key, the minimal example, one fixture per error
 * class (file:line:col and key words), and a robustness sweep (every
 * fixture, every truncation and some byte flips of a valid file: scn_load
 * must return 0 or -1 with a message, never crash or leak under ASan).
 * Runs with the repository root as the working directory.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "scn.h"
#include "tmp.h"

#define DATA "tests/data/"

/* ---------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------- */

/* This test's private directory (main() creates and removes it). */
static char tmpdir[TMP_DIR_MAX];

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (buf != NULL)
        n = fread(buf, 1, cap, f);
    fclose(f);
    *len = n;
    return buf;
}

/* Load a file expected to fail; the message must name file:line:col and
 * contain every one of the NULL-terminated key words. */
static void expect_error(const char *file, const char *linecol, const char *const *words)
{
    struct scenario s;
    char err[1024] = "";
    char want[512];
    int rc = scn_load(file, &s, err, sizeof err);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0) {
        fprintf(stderr, "  %s loaded unexpectedly\n", file);
        scn_free(&s);
        return;
    }
    snprintf(want, sizeof want, "%s:%s: found ", file, linecol);
    CHECK_STR_CONTAINS(err, want);
    CHECK_STR_CONTAINS(err, "expected");
    for (size_t i = 0; words[i] != NULL; i++)
        CHECK_STR_CONTAINS(err, words[i]);
}

#define EXPECT_ERROR(file, linecol, ...)                                                           \
    do {                                                                                           \
        static const char *const w_[] = {__VA_ARGS__, NULL};                                       \
        expect_error(DATA file, linecol, w_);                                                      \
    } while (0)

/* ---------------------------------------------------------------------
 * unit parsers
 * ------------------------------------------------------------------- */

static void test_units(void)
{
    char err[256];
    int64_t ns = -1;
    double x = -1;

    static const struct {
        const char *s;
        int64_t ns;
    } durs[] = {
        {"500ms", 500000000LL},
        {"2s", 2000000000LL},
        {"5m", 300000000000LL},
        {"1h", 3600000000000LL},
        {"1.5h", 5400000000000LL},
        {"0", 0}, /* a bare 0 is the same in every unit */
        {"250us", 250000},
        {"10ns", 10},
        {"0.1s", 100000000LL},
        {" 2 s ", 2000000000LL},
        {"9223372036s", 9223372036000000000LL},
    };
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        ns = -1;
        CHECK_INT_EQ(scn_parse_duration_ns(durs[i].s, &ns, err, sizeof err), 0);
        CHECK_INT_EQ(ns, durs[i].ns);
    }
    static const char *const bad_durs[] = {"",     "abc",    "-1s",   "1x",   "inf",
                                           "nan",  "1e400s", "1 s s", "0x10", "9223372037s",
                                           "3e9h", "s",      "--1"};
    for (size_t i = 0; i < sizeof bad_durs / sizeof bad_durs[0]; i++) {
        err[0] = '\0';
        CHECK_INT_EQ(scn_parse_duration_ns(bad_durs[i], &ns, err, sizeof err), -1);
        CHECK_STR_CONTAINS(err, "found '");
        CHECK_STR_CONTAINS(err, "expected");
    }
    CHECK_INT_EQ(scn_parse_duration_ns("5 parsecs", &ns, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "found '5 parsecs', expected a duration such as 500ms, 2s, 5m or 1h");

    CHECK_INT_EQ(scn_parse_rate_per_s("3.4/s", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 3.4, 1e-12);
    CHECK_INT_EQ(scn_parse_rate_per_s("300/m", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 5.0, 1e-12);
    CHECK_INT_EQ(scn_parse_rate_per_s("1800/h", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 0.5, 1e-12);
    /* No silent traps: a bare number is not a duration or a rate. */
    CHECK_INT_EQ(scn_parse_duration_ns("570", &ns, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err,
                       "found '570' without a unit, expected a duration such as 570ms or 570s");
    CHECK_INT_EQ(scn_parse_duration_ns("30000", &ns, err, sizeof err), -1);
    CHECK_INT_EQ(scn_parse_rate_per_s("7", &x, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "found '7' without a unit, expected a rate such as 7/s or 7/m");
    CHECK_INT_EQ(scn_parse_rate_per_s("0", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 0.0, 0);
    static const char *const bad_rates[] = {"", "x/s", "3/d", "-1/s", "3/", "inf/s", "1e400"};
    for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
        err[0] = '\0';
        CHECK_INT_EQ(scn_parse_rate_per_s(bad_rates[i], &x, err, sizeof err), -1);
        CHECK_STR_CONTAINS(err, "expected");
    }

    CHECK_INT_EQ(scn_parse_fraction("0.1%", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 0.001, 1e-15);
    CHECK_INT_EQ(scn_parse_fraction("0.25", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 0.25, 1e-15);
    CHECK_INT_EQ(scn_parse_fraction("100%", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 1.0, 1e-15);
    static const char *const bad_fracs[] = {"150%", "1.5", "-0.1", "abc", "", "nan", "5%%"};
    for (size_t i = 0; i < sizeof bad_fracs / sizeof bad_fracs[0]; i++) {
        err[0] = '\0';
        CHECK_INT_EQ(scn_parse_fraction(bad_fracs[i], &x, err, sizeof err), -1);
        CHECK_STR_CONTAINS(err, "expected a fraction in [0, 1]");
    }

    CHECK_INT_EQ(scn_parse_usd("$1.50", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 1.5, 1e-15);
    CHECK_INT_EQ(scn_parse_usd("1.50 USD", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 1.5, 1e-15);
    CHECK_INT_EQ(scn_parse_usd("1.50", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 1.5, 1e-15);
    CHECK_INT_EQ(scn_parse_usd("0", &x, err, sizeof err), 0);
    CHECK_NEAR(x, 0.0, 0);
    static const char *const bad_usd[] = {"-1", "$", "1.50 EUR", "", "$-2", "USD"};
    for (size_t i = 0; i < sizeof bad_usd / sizeof bad_usd[0]; i++) {
        err[0] = '\0';
        CHECK_INT_EQ(scn_parse_usd(bad_usd[i], &x, err, sizeof err), -1);
        CHECK_STR_CONTAINS(err, "USD");
    }

    /* NULL or zero-length message buffers are fine. */
    CHECK_INT_EQ(scn_parse_duration_ns("zz", &ns, NULL, 0), -1);
    CHECK_INT_EQ(scn_parse_usd("zz", &x, err, 0), -1);

    CHECK_INT_EQ(scn_edit_distance("kitten", "sitting"), 3);
    CHECK_INT_EQ(scn_edit_distance("", "abc"), 3);
    CHECK_INT_EQ(scn_edit_distance("same", "same"), 0);
    CHECK_INT_EQ(scn_edit_distance("concurency", "concurrency"), 1);
    CHECK_INT_EQ(scn_edit_distance("round_robbin", "round_robin"), 1);

    static const char *const slo[] = {"ttft_p50",          "ttft_p90",   "ttft_p95",
                                      "ttft_p99",          "e2e_p99",    "client_429_rate",
                                      "upstream_429_rate", "error_rate", "cost_per_1k_requests",
                                      "completion_rate"};
    for (int i = 0; i < SCN_SLO_COUNT_; i++)
        CHECK_STR_CONTAINS(scn_slo_name((enum scn_slo_metric)i), slo[i]);
    CHECK(scn_slo_name(SCN_SLO_COUNT_) == NULL);
}

/* ---------------------------------------------------------------------
 * valid scenarios
 * ------------------------------------------------------------------- */

static double param_of(const struct scn_strategy *st, const char *name)
{
    int i = route_param_index(st->ops, name);
    CHECK(i >= 0);
    return i >= 0 ? st->params[i] : NAN;
}

static void test_full(void)
{
    struct scenario s;
    char err[1024] = "";
    int rc = scn_load(DATA "scn_full.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_STR_CONTAINS(s.path, DATA "scn_full.yaml");
    CHECK(strcmp(s.name, "full-example") == 0);
    CHECK(s.seed == UINT64_MAX);
    CHECK_INT_EQ(s.duration_ns, 5400000000000LL);
    CHECK_INT_EQ(s.warmup_ns, 300000000000LL);
    CHECK_INT_EQ(s.interval_ns, 30000000000LL);

    /* traffic */
    CHECK_INT_EQ(s.traffic.format, TRACE_SYNTHETIC);
    CHECK(s.traffic.path == NULL);
    CHECK_NEAR(s.traffic.rate_scale, 2.0, 0);
    CHECK_INT_EQ(s.traffic.limit, 5000);
    const struct trace_synth *sy = &s.traffic.synth;
    CHECK_NEAR(sy->rate_per_s, 5.0, 1e-12);
    CHECK_INT_EQ(sy->count, 2000000);
    CHECK_INT_EQ(sy->duration_ns, 3600000000000LL);
    CHECK_INT_EQ(sy->input_tokens.kind, DIST_LOGNORMAL);
    CHECK_NEAR(sy->input_tokens.a, log(800.0), 1e-12);
    CHECK_NEAR(sy->input_tokens.b, log(6000.0 / 800.0) / DIST_Z99, 1e-12);
    CHECK_NEAR(sy->input_tokens.min, 0.0, 0);
    CHECK_NEAR(sy->input_tokens.max, 32000.0, 0);
    CHECK_INT_EQ(sy->output_tokens.kind, DIST_EMPIRICAL);
    CHECK_INT_EQ(sy->output_tokens.n, 3);
    CHECK(sy->output_tokens.values != NULL);
    if (sy->output_tokens.values != NULL)
        CHECK_NEAR(sy->output_tokens.values[2], 1000.0, 0);
    CHECK_NEAR(sy->output_tokens.min, 0.0, 0);

    /* backends */
    CHECK_INT_EQ(s.n_backends, 2);
    const struct scn_backend *b = &s.backends[0];
    CHECK(strcmp(b->name, "openai-east") == 0);
    CHECK(strcmp(b->model, "gpt-4o-mini") == 0);
    CHECK_INT_EQ(b->kind, SCN_BACKEND_API);
    CHECK(b->route.name == b->name);
    CHECK_INT_EQ(b->route.weight, 3);
    CHECK_INT_EQ(b->route.tier, -1);
    CHECK_INT_EQ(b->route.max_inflight, 64);
    CHECK_INT_EQ(b->route.context_window, 128000);
    CHECK_NEAR(b->route.price_input, 0.15e-6, 1e-18);
    CHECK_NEAR(b->route.price_cached, 0.075e-6, 1e-18);
    CHECK_NEAR(b->route.price_output, 0.60e-6, 1e-18);
    CHECK_NEAR(b->api.price_input, 0.15e-6, 1e-18);
    CHECK_NEAR(b->api.price_cached, 0.075e-6, 1e-18);
    CHECK_NEAR(b->api.price_output, 0.60e-6, 1e-18);
    CHECK_INT_EQ(b->route.rpm_limit, 10000);
    CHECK_INT_EQ(b->route.tpm_limit, 2000000);
    CHECK_INT_EQ(b->api.rpm, 10000);
    CHECK_INT_EQ(b->api.tpm, 2000000);
    CHECK_INT_EQ(b->api.concurrency, 32);
    CHECK_INT_EQ(b->api.queue_max, 100);
    CHECK_NEAR(b->api.cached_fraction, 0.25, 1e-15);
    CHECK_INT_EQ(b->api.bill_failed, API_BILL_PARTIAL);
    CHECK_INT_EQ(b->api.ttft_s.kind, DIST_LOGNORMAL);
    CHECK_NEAR(b->api.ttft_s.a, log(0.4), 1e-12);
    CHECK_NEAR(b->api.ttft_s.b, log(5.0) / DIST_Z99, 1e-12);
    CHECK_NEAR(b->api.ttft_s.min, 0.0, 0);
    CHECK_NEAR(b->api.prefill_s_per_token, 5e-5, 1e-15);
    CHECK_INT_EQ(b->api.output_tps.kind, DIST_NORMAL);
    CHECK_NEAR(b->api.output_tps.a, 60.0, 0);
    CHECK_NEAR(b->api.output_tps.b, 10.0, 0);
    CHECK_NEAR(b->api.output_tps.min, 5.0, 0);
    CHECK_NEAR(b->api.output_tps.max, 200.0, 0);
    CHECK_NEAR(b->api.faults.error_rate, 0.001, 1e-15);
    CHECK_INT_EQ(b->api.faults.error_status, 502);
    CHECK_INT_EQ(b->api.faults.n_outages, 2);
    CHECK(b->api.faults.outages == b->outages);
    if (b->api.faults.n_outages == 2) { /* sorted by start */
        CHECK_INT_EQ(b->outages[0].start_ns, 600000000000LL);
        CHECK_INT_EQ(b->outages[0].end_ns, 690000000000LL);
        CHECK_INT_EQ(b->outages[0].http_status, 503);
        CHECK_INT_EQ(b->outages[1].start_ns, 1800000000000LL);
        CHECK_INT_EQ(b->outages[1].end_ns, 2400000000000LL);
        CHECK_INT_EQ(b->outages[1].http_status, 500);
    }

    b = &s.backends[1]; /* defaults */
    CHECK(strcmp(b->name, "azure_west.2") == 0);
    CHECK(b->model[0] == '\0');
    CHECK(b->route.name == b->name);
    CHECK_INT_EQ(b->route.weight, 1);
    CHECK_INT_EQ(b->route.tier, 0);
    CHECK_INT_EQ(b->route.max_inflight, 0);
    CHECK_INT_EQ(b->route.context_window, 0);
    CHECK_NEAR(b->route.price_input, 2.5e-6, 1e-18);
    CHECK_NEAR(b->route.price_cached, 2.5e-6, 1e-18);
    CHECK_NEAR(b->api.price_cached, 2.5e-6, 1e-18);
    CHECK_NEAR(b->route.price_output, 0.0, 0);
    CHECK_INT_EQ(b->api.rpm, 0);
    CHECK_INT_EQ(b->api.tpm, 0);
    CHECK_INT_EQ(b->api.concurrency, 0);
    CHECK_INT_EQ(b->api.queue_max, API_QUEUE_UNBOUNDED);
    CHECK_INT_EQ(b->api.bill_failed, API_BILL_NOTHING);
    CHECK_INT_EQ(b->api.ttft_s.kind, DIST_CONSTANT);
    CHECK_NEAR(b->api.ttft_s.a, 0.8, 1e-15);
    CHECK_NEAR(b->api.prefill_s_per_token, 0.0, 0);
    CHECK_INT_EQ(b->api.output_tps.kind, DIST_CONSTANT);
    CHECK_NEAR(b->api.output_tps.a, 60.0, 0);
    CHECK_NEAR(b->api.faults.error_rate, 0.0, 0);
    CHECK_INT_EQ(b->api.faults.error_status, 500);
    CHECK_INT_EQ(b->api.faults.n_outages, 0);
    CHECK(b->outages == NULL);

    /* router */
    const struct scn_router *r = &s.router;
    CHECK(r->strategy.ops == route_registry_find("lowest_latency"));
    CHECK(strcmp(r->strategy.label, "lowest_latency") == 0);
    if (r->strategy.ops != NULL) {
        CHECK_NEAR(param_of(&r->strategy, "alpha"), 0.5, 0);
        CHECK_NEAR(param_of(&r->strategy, "penalty_s"), 120.0, 0);
        int i = route_param_index(r->strategy.ops, "buffer");
        if (i >= 0) /* not given: the default */
            CHECK_NEAR(r->strategy.params[i], r->strategy.ops->params[i].def, 0);
    }
    CHECK_INT_EQ(r->attempt_timeout_ns, 30000000000LL);
    CHECK_INT_EQ(r->queue_timeout_ns, 2000000000LL);
    CHECK_INT_EQ(r->retry.max_attempts, 5);
    CHECK_INT_EQ(r->retry.backoff_base_ns, 250000000LL);
    CHECK_INT_EQ(r->retry.backoff_max_ns, 10000000000LL);
    CHECK_NEAR(r->retry.multiplier, 1.5, 0);
    CHECK_NEAR(r->retry.jitter, 0.1, 1e-15);
    CHECK(!r->retry.honor_retry_after);
    CHECK_INT_EQ(r->retry.retry_after_cap_ns, 60000000000LL);
    CHECK(r->retry.reroute_immediately);
    CHECK_INT_EQ(r->retry.retry_on,
                 (1u << ROUTE_RATE_LIMITED) | (1u << ROUTE_SERVER_ERROR) | (1u << ROUTE_TIMEOUT));

    /* compare */
    CHECK_INT_EQ(s.n_compare, 3);
    if (s.n_compare == 3) {
        CHECK(strcmp(s.compare[0].label, "round_robin") == 0);
        CHECK(s.compare[0].ops == route_registry_find("round_robin"));
        CHECK(strcmp(s.compare[1].label, "latency-fast") == 0);
        CHECK(s.compare[1].ops == route_registry_find("lowest_latency"));
        CHECK_NEAR(param_of(&s.compare[1], "alpha"), 0.9, 0);
        CHECK(strcmp(s.compare[2].label, "lowest_latency") == 0);
        int i = route_param_index(s.compare[2].ops, "alpha");
        if (i >= 0)
            CHECK_NEAR(s.compare[2].params[i], s.compare[2].ops->params[i].def, 0);
    }

    /* slo */
    static const double slo[SCN_SLO_COUNT_] = {0.5,   1.0,  1.5,  3.0, 60.0,
                                               0.005, 0.05, 0.01, 2.5, 0.995};
    for (int i = 0; i < SCN_SLO_COUNT_; i++) {
        CHECK(s.slo.set[i]);
        CHECK_NEAR(s.slo.limit[i], slo[i], 1e-12);
    }

    scn_free(&s);
    CHECK(s.backends == NULL && s.n_backends == 0 && s.compare == NULL);
    scn_free(&s); /* twice is harmless */
}

static void test_minimal(void)
{
    struct scenario s;
    char err[1024] = "";
    int rc = scn_load(DATA "scn_minimal.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(strcmp(s.name, "scn_minimal") == 0); /* the file's base name */
    CHECK_INT_EQ(s.seed, 7);
    CHECK_INT_EQ(s.duration_ns, 0);
    CHECK_INT_EQ(s.warmup_ns, 0);
    CHECK_INT_EQ(s.interval_ns, 60000000000LL);
    CHECK_INT_EQ(s.traffic.format, TRACE_SYNTHETIC);
    CHECK_NEAR(s.traffic.rate_scale, 1.0, 0);
    CHECK_INT_EQ(s.traffic.limit, 0);
    CHECK_NEAR(s.traffic.synth.rate_per_s, 3.4, 1e-12);
    CHECK_INT_EQ(s.traffic.synth.count, 1000000);
    CHECK_INT_EQ(s.traffic.synth.duration_ns, 0);
    CHECK_INT_EQ(s.traffic.synth.input_tokens.kind, DIST_CONSTANT);
    CHECK_NEAR(s.traffic.synth.input_tokens.a, 100.0, 0);
    CHECK_NEAR(s.traffic.synth.output_tokens.a, 0.0, 0);
    CHECK_NEAR(s.traffic.synth.output_tokens.min, 0.0, 0);
    CHECK_INT_EQ(s.n_backends, 1);
    CHECK(strcmp(s.backends[0].name, "server") == 0);
    CHECK_INT_EQ(s.backends[0].api.concurrency, 4);
    CHECK_INT_EQ(s.backends[0].api.ttft_s.kind, DIST_EXPONENTIAL);
    CHECK_NEAR(s.backends[0].api.ttft_s.a, 1.0, 0);
    CHECK(s.router.strategy.ops == route_registry_find("round_robin"));
    CHECK(strcmp(s.router.strategy.label, "round_robin") == 0);
    CHECK_INT_EQ(s.router.attempt_timeout_ns, 600000000000LL);
    CHECK_INT_EQ(s.router.queue_timeout_ns, 0);
    struct route_retry def;
    route_retry_default(&def);
    CHECK_INT_EQ(s.router.retry.max_attempts, def.max_attempts);
    CHECK_INT_EQ(s.router.retry.backoff_base_ns, def.backoff_base_ns);
    CHECK_INT_EQ(s.router.retry.retry_on, def.retry_on);
    CHECK_INT_EQ(s.n_compare, 0);
    CHECK(s.compare == NULL);
    for (int i = 0; i < SCN_SLO_COUNT_; i++)
        CHECK(!s.slo.set[i]);
    scn_free(&s);
}

/* A trace source, relative to the scenario's directory; no router (the
 * default strategy); aliases. */
static void test_trace_and_defaults(void)
{
    char dir[128], scen[192], trace[192], err[1024] = "";
    tmp_path(dir, sizeof dir, tmpdir, "sub");
    CHECK_INT_EQ(mkdir(dir, 0700), 0);
    snprintf(scen, sizeof scen, "%s/my.scenario.yaml", dir);
    snprintf(trace, sizeof trace, "%s/t.csv", dir);
    CHECK_INT_EQ(tmp_write_str(trace, "arrival_s,input_tokens,output_tokens\n0,1,1\n"), 0);
    CHECK_INT_EQ(tmp_write_str(scen, "traffic:\n"
                                     "  trace: t.csv\n"
                                     "  format: azure2023\n"
                                     "  rate_scale: 4\n"
                                     "  limit: 100\n"
                                     "backends:\n"
                                     "  - name: a\n"
                                     "    latency: &lat\n"
                                     "      ttft: {dist: uniform, low: 100ms, high: 300ms}\n"
                                     "      output_rate: {dist: empirical, values: [50, 70]}\n"
                                     "  - name: b\n"
                                     "    latency: *lat\n"),
                 0);
    struct scenario s;
    int rc = scn_load(scen, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc == 0) {
        CHECK(strcmp(s.name, "my.scenario") == 0);
        CHECK(strcmp(s.trace_path, trace) == 0);
        CHECK(s.traffic.path == s.trace_path);
        CHECK_INT_EQ(s.traffic.format, TRACE_AZURE2023);
        CHECK_NEAR(s.traffic.rate_scale, 4.0, 0);
        CHECK_INT_EQ(s.traffic.limit, 100);
        CHECK(s.router.strategy.ops == route_registry_find("round_robin"));
        CHECK_INT_EQ(s.n_backends, 2);
        CHECK_INT_EQ(s.backends[1].api.ttft_s.kind, DIST_UNIFORM);
        CHECK_NEAR(s.backends[1].api.ttft_s.a, 0.1, 1e-15);
        CHECK_NEAR(s.backends[1].api.ttft_s.b, 0.3, 1e-15);
        CHECK_INT_EQ(s.backends[1].api.output_tps.kind, DIST_EMPIRICAL);
        CHECK_INT_EQ(s.backends[1].api.output_tps.n, 2);
        /* each backend owns its own tables */
        CHECK(s.backends[0].api.output_tps.values != s.backends[1].api.output_tps.values);
        scn_free(&s);
    } else {
        fprintf(stderr, "  %s\n", err);
    }
    remove(scen);
    remove(trace);
    rmdir(dir);
}

static void test_strategy_by_name(void)
{
    struct scn_strategy st;
    char err[1024] = "";
    CHECK_INT_EQ(scn_strategy_by_name("lowest_latency", &st, err, sizeof err), 0);
    CHECK(st.ops == route_registry_find("lowest_latency"));
    CHECK(strcmp(st.label, "lowest_latency") == 0);
    if (st.ops != NULL)
        for (uint32_t i = 0; i < st.ops->n_params; i++)
            CHECK_NEAR(st.params[i], st.ops->params[i].def, 0);
    CHECK_INT_EQ(scn_strategy_by_name("round_robn", &st, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "unknown strategy 'round_robn'");
    CHECK_STR_CONTAINS(err, "lowest_latency"); /* lists the registry */
    CHECK_STR_CONTAINS(err, "did you mean 'round_robin'?");
    CHECK_INT_EQ(scn_strategy_by_name("zzzzzzzzzzzzzzzzzzzzzzz", &st, err, sizeof err), -1);
    CHECK(strstr(err, "did you mean") == NULL);
}

/* ---------------------------------------------------------------------
 * errors
 * ------------------------------------------------------------------- */

static void test_errors(void)
{
    EXPECT_ERROR("scn_err_syntax.yaml", "6:1", "invalid YAML", "']'", "line 4, column 11");
    EXPECT_ERROR("scn_err_unknown_key.yaml", "5:5", "unknown key 'concurency'",
                 "did you mean 'concurrency'?", "queue_max");
    EXPECT_ERROR("scn_err_strategy.yaml", "6:13", "unknown strategy 'round_robbin'",
                 "did you mean 'round_robin'?", "lowest_latency");
    EXPECT_ERROR("scn_err_duration.yaml", "6:12",
                 "found '5 parsecs', expected a duration such as 500ms, 2s, 5m or 1h");
    EXPECT_ERROR("scn_err_rate.yaml", "3:11", "'3/week'", "rate such as 20/s");
    EXPECT_ERROR("scn_err_percent.yaml", "5:22", "'150%'", "fraction in [0, 1]");
    EXPECT_ERROR("scn_err_price.yaml", "7:15", "'-1'", "non-negative amount in USD");
    EXPECT_ERROR("scn_err_no_traffic.yaml", "1:1", "without 'traffic'", "required");
    EXPECT_ERROR("scn_err_both_traffic.yaml", "2:3", "both 'trace' and 'synthetic'", "exactly one");
    EXPECT_ERROR("scn_err_trace_missing.yaml", "3:10", "'no_such_trace.csv'",
                 "'tests/data/no_such_trace.csv'", "readable trace file");
    EXPECT_ERROR("scn_err_dup_backend.yaml", "6:12", "duplicate backend name 'a'", "line 4",
                 "unique");
    EXPECT_ERROR("scn_err_dup_key.yaml", "4:1", "duplicate key 'seed'", "line 1");
    EXPECT_ERROR("scn_err_dist_kind.yaml", "6:20", "'exponentail'", "lognormal",
                 "did you mean 'exponential'?");
    EXPECT_ERROR("scn_err_lognormal.yaml", "6:48", "p99 '500ms' below the median '2s'",
                 "p99 >= median");
    EXPECT_ERROR("scn_err_outages.yaml", "10:11", "overlapping", "[600s, 900s)", "line 8",
                 "non-overlapping");
    EXPECT_ERROR("scn_err_empty_backends.yaml", "3:11", "empty list", "at least one backend");
    EXPECT_ERROR("scn_err_scalar_map.yaml", "5:9", "found 'fast'", "'router': a mapping",
                 "strategy");
    EXPECT_ERROR("scn_err_seq_scalar.yaml", "1:7", "found a sequence", "integer");
    EXPECT_ERROR("scn_err_param.yaml", "7:12", "unknown key 'alpah'", "lowest_latency",
                 "did you mean 'alpha'?");
    EXPECT_ERROR("scn_err_param_range.yaml", "8:12", "found '2'", "[0.001, 1]", "'alpha'");
    EXPECT_ERROR("scn_err_compare_dup.yaml", "8:5", "duplicate compare label 'round_robin'",
                 "line 6", "label:");

    /* A missing scenario file. */
    struct scenario s;
    char err[512] = "";
    CHECK_INT_EQ(scn_load(DATA "scn_no_such_file.yaml", &s, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, DATA "scn_no_such_file.yaml");
    CHECK(s.backends == NULL && s.compare == NULL);
}

/* Small inline documents: each must fail with a located message (or load),
 * never crash. */
static void test_inline(void)
{
    static const char *const bad[] = {
        "",
        "---\n",
        "- 1\n- 2\n",
        "just a string\n",
        "seed: 1\n---\nseed: 2\n",
        "traffic: &t {synthetic: *t}\nbackends: []\n",
        "backends: &b [*b]\ntraffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, "
        "output_tokens: 1}}\n",
        "name: \"a\\0b\"\n",
        "seed: \"\\0\"\n",
        "\xff\xfe\x00s\n",
        "seed: \x01\n",
        "? [a, b]\n: 1\n",
        "{[1]: 2}\n",
        "seed: 18446744073709551616\n",
        "seed: -1\n",
        "traffic: {synthetic: {rate: 0/s, count: 1, input_tokens: 1, output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, input_tokens: 1, output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: {dist: normal, mean: 1}, "
        "output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: {value: 1}, output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: {dist: empirical, values: [1, "
        "2], "
        "weights: [0, 0]}, output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: {dist: empirical, values: [1, "
        "2], "
        "weights: [1]}, output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: {dist: uniform, low: 5, high: "
        "1}, "
        "output_tokens: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s, output_rate: 0}}]\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s, output_rate: {dist: normal, mean: 50, sd: "
        "5}}}]\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: 'a b', latency: {ttft: 1s}}]\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}, faults: {outages: [{start: 1s}]}}]\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\nrouter: {retries: {retry_on: [404]}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\nrouter: {retries: {max_attempts: 0}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\nrouter: {params: {x: 1}}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\ncompare: [{label: x}]\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\nslo: {ttft_p999: 1s}\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\nduration: 1m\nwarmup: 2m\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"
        "backends: [{name: a, latency: {ttft: 1s}}]\ninterval: 0s\n",
        "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}, format: "
        "native}\nbackends: [{name: a, latency: {ttft: 1s}}]\n",
        "traffic: {trace: /nonexistent/dir/x.csv}\nbackends: [{name: a, latency: {ttft: 1s}}]\n",
        "traffic: {trace: /tmp}\nbackends: [{name: a, latency: {ttft: 1s}}]\n",
        "traffic: {trace: ''}\nbackends: [{name: a, latency: {ttft: 1s}}]\n",
        "name: ''\n",
        "name: \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n",
    };
    char path[192];
    tmp_path(path, sizeof path, tmpdir, "inline.yaml");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i]);
        if (i == 9)
            len = 5; /* the one with an embedded NUL byte */
        CHECK_INT_EQ(tmp_write(path, bad[i], len), 0);
        struct scenario s;
        char err[1024] = "";
        int rc = scn_load(path, &s, err, sizeof err);
        CHECK_INT_EQ(rc, -1);
        if (rc == 0) {
            fprintf(stderr, "  inline %zu loaded unexpectedly\n", i);
            scn_free(&s);
            continue;
        }
        CHECK_STR_CONTAINS(err, path);
        CHECK_STR_CONTAINS(err, "found");
        CHECK_STR_CONTAINS(err, "expected");
    }
    /* A backoff_base above the default cap raises the cap. */
    CHECK_INT_EQ(tmp_write_str(path, "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, "
                                     "output_tokens: 1}}\n"
                                     "backends: [{name: a, latency: {ttft: 1s}}]\n"
                                     "router: {retries: {backoff_base: 20s}}\n"),
                 0);
    struct scenario ok;
    char okerr[512] = "";
    CHECK_INT_EQ(scn_load(path, &ok, okerr, sizeof okerr), 0);
    if (okerr[0] == '\0') {
        CHECK_INT_EQ(ok.router.retry.backoff_base_ns, 20000000000LL);
        CHECK_INT_EQ(ok.router.retry.backoff_max_ns, 20000000000LL);
        scn_free(&ok);
    }

    /* An error message that does not fit is truncated, not overflowed. */
    CHECK_INT_EQ(tmp_write_str(path, "seed: x\n"), 0);
    struct scenario s;
    char small[8];
    CHECK_INT_EQ(scn_load(path, &s, small, sizeof small), -1);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK_INT_EQ(scn_load(path, &s, NULL, 0), -1);
    remove(path);
}

/* ---------------------------------------------------------------------
 * robustness
 * ------------------------------------------------------------------- */

static int load_any(const char *path)
{
    struct scenario s;
    char err[1024];
    err[0] = '\0';
    int rc = scn_load(path, &s, err, sizeof err);
    if (rc == 0) {
        scn_free(&s);
        return 0;
    }
    if (rc != -1 || err[0] == '\0') {
        fprintf(stderr, "  %s: rc %d, message '%s'\n", path, rc, err);
        return 1;
    }
    return 0;
}

static void test_robustness(void)
{
    /* Every fixture: loads or fails with a message. */
    DIR *d = opendir(DATA);
    CHECK(d != NULL);
    int n_fixtures = 0, bad = 0;
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            if (strncmp(e->d_name, "scn_", 4) != 0 || l < 5 ||
                strcmp(e->d_name + l - 5, ".yaml") != 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, DATA "%s", e->d_name);
            bad += load_any(p);
            n_fixtures++;
        }
        closedir(d);
    }
    CHECK(n_fixtures >= 20);
    CHECK_INT_EQ(bad, 0);

    /* Every truncation of a valid file, and byte flips at every offset. */
    size_t len = 0;
    char *text = read_file(DATA "scn_full.yaml", &len);
    CHECK(text != NULL && len > 1000);
    if (text == NULL)
        return;
    char path[192];
    tmp_path(path, sizeof path, tmpdir, "fuzz.yaml");
    int loaded = 0, failed = 0;
    bad = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        if (tmp_write(path, text, cut) != 0) {
            bad++;
            break;
        }
        struct scenario s;
        char err[1024] = "";
        int rc = scn_load(path, &s, err, sizeof err);
        if (rc == 0) {
            loaded++;
            scn_free(&s);
        } else if (rc == -1 && strstr(err, path) != NULL) {
            failed++;
        } else {
            fprintf(stderr, "  truncated at %zu: rc %d '%s'\n", cut, rc, err);
            bad++;
        }
    }
    CHECK_INT_EQ(bad, 0);
    CHECK(loaded >= 1); /* at least the whole file */
    CHECK(failed > 100);

    static const char flips[] = {':', '[', '\0', '\xff'};
    char *mut = malloc(len);
    CHECK(mut != NULL);
    for (size_t f = 0; mut != NULL && f < sizeof flips; f++) {
        for (size_t i = 0; i < len; i++) {
            memcpy(mut, text, len);
            mut[i] = flips[f];
            if (tmp_write(path, mut, len) != 0) {
                bad++;
                break;
            }
            bad += load_any(path);
        }
    }
    CHECK_INT_EQ(bad, 0);
    free(mut);
    free(text);
    remove(path);
}

int main(void)
{
    if (tmp_dir(tmpdir, sizeof tmpdir, "test_scn") != 0)
        return 1;
    test_units();
    test_full();
    test_minimal();
    test_trace_and_defaults();
    test_strategy_by_name();
    test_errors();
    test_inline();
    test_robustness();
    tmp_rmdir(tmpdir);
    return check_report("test_scn");
}
