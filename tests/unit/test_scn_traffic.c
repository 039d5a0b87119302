/*
 * test_scn_traffic.c - the traffic keys of the scenario file: formats,
 * transforms, overrides, generators and merged sources, and their errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "check.h"
#include "tmp.h"

#define NS_PER_S 1000000000LL

static int load_text(const char *text, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_file(path, sizeof path, "scn_traffic", text) != 0)
        return -2;
    int rc = scn_load(path, s, err, errlen);
    remove(path);
    return rc;
}

static const char *const backends = "backends:\n  - name: a\n    latency: {ttft: 1s}\n";

/* Expect the traffic block `traffic` to fail with a message containing all
 * of `needles` ("|"-separated). */
static void expect_error(const char *traffic, const char *needles)
{
    char text[2048], err[1024] = "";
    struct scenario s;
    snprintf(text, sizeof text, "traffic:\n%s%s", traffic, backends);
    int rc = load_text(text, &s, err, sizeof err);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0)
        scn_free(&s);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", needles);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        CHECK_STR_CONTAINS(err, tok);
}

int main(void)
{
    char err[1024];
    struct scenario s;

    int rc = scn_load("tests/data/scn_traffic_full.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    if (rc == 0) {
        CHECK_INT_EQ(s.n_sources, 2);
        const struct trace_cfg *a = &s.sources[0], *b = &s.sources[1];
        CHECK_INT_EQ(a->format, TRACE_AZURE2023);
        CHECK_STR_CONTAINS(a->path, "traces/data/AzureLLMInferenceTrace_conv.csv");
        CHECK_NEAR(a->rate_scale, 2.0, 0);
        CHECK_INT_EQ(a->window_start_ns, 600 * NS_PER_S);
        CHECK_INT_EQ(a->window_end_ns, 2400 * NS_PER_S);
        CHECK_NEAR(a->sample, 0.5, 1e-12);
        CHECK_INT_EQ(a->repeat_to_ns, 7200 * NS_PER_S);
        CHECK_INT_EQ(a->skip_bad_rows, 1);
        CHECK(strcmp(a->set_label[TRACE_LABEL_TASK], "chat") == 0);
        CHECK(strcmp(a->set_label[TRACE_LABEL_TENANT], "web") == 0);
        CHECK(a->set_label[TRACE_LABEL_REGION][0] == '\0');
        CHECK_INT_EQ(b->format, TRACE_SYNTHETIC);
        CHECK_INT_EQ(b->synth.arrivals, TRACE_ARR_MMPP);
        CHECK_INT_EQ(b->synth.mmpp_states, 2);
        CHECK_NEAR(b->synth.mmpp_rate_per_s[0], 20.0, 0);
        CHECK_NEAR(b->synth.mmpp_rate_per_s[1], 0.0, 0);
        CHECK_NEAR(b->synth.mmpp_dwell_s[1], 120.0, 1e-9);
        CHECK_INT_EQ(b->synth.sessions, 1);
        CHECK_NEAR(b->synth.think_s.a, 20.0, 1e-9);
        CHECK_INT_EQ(b->synth.n_labels, 2);
        CHECK_INT_EQ(b->synth.labels[1].kind, TRACE_LABEL_REGION);
        CHECK(strcmp(b->synth.labels[1].value, "us") == 0);
        CHECK_NEAR(b->synth.labels[1].share, 0.6, 1e-12);
        CHECK_INT_EQ(b->set_priority, 5);
        scn_free(&s);
    }

    rc = scn_load("tests/data/scn_traffic_diurnal.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc == 0) {
        CHECK_INT_EQ(s.n_sources, 0);
        CHECK_INT_EQ(s.traffic.synth.arrivals, TRACE_ARR_DIURNAL);
        CHECK_INT_EQ(s.traffic.synth.n_table, 3);
        CHECK_INT_EQ(s.traffic.synth.table_t_ns[1], 8 * 3600 * NS_PER_S);
        CHECK_NEAR(s.traffic.synth.table_rate[2], 8.0, 0);
        CHECK_INT_EQ(s.traffic.synth.diurnal_period_ns, 24 * 3600 * NS_PER_S);
        scn_free(&s);
    }

    /* lengths fitted from a trace: means of the Azure conv trace (1,155 / 211) */
    rc = scn_load("tests/data/scn_traffic_fit.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc == 0) {
        CHECK_INT_EQ(s.traffic.synth.input_tokens.kind, DIST_EMPIRICAL);
        CHECK_NEAR(dist_mean(&s.traffic.synth.input_tokens), 1154.7, 0.01 * 1154.7);
        CHECK_NEAR(dist_mean(&s.traffic.synth.output_tokens), 211.1, 0.01 * 211.1);
        CHECK_INT_EQ(s.traffic.synth.arrivals, TRACE_ARR_GAMMA);
        CHECK_NEAR(s.traffic.synth.cv, 2.0, 0);
        scn_free(&s);
    }
    expect_error("  synthetic: {rate: 1/s, count: 5, lengths_from: no-such.csv}\n",
                 "no-such.csv|readable trace file");
    expect_error("  synthetic: {rate: 1/s, count: 5, input_tokens: 3, lengths_from: x.csv}\n",
                 "one or the other");

    expect_error("  synthetic: {rate: 1/s, cv: 2, count: 5, input_tokens: 1, output_tokens: 1}\n",
                 "'cv'|gamma or weibull");
    expect_error("  synthetic: {arrivals: gamma, rate: 1/s, count: 5, input_tokens: 1, "
                 "output_tokens: 1}\n",
                 "without 'cv'");
    expect_error("  synthetic: {arrivals: mmpp, count: 5, input_tokens: 1, output_tokens: 1}\n",
                 "without 'states'");
    expect_error("  synthetic: {arrivals: mmpp, states: [{rate: 1/s}], count: 5, input_tokens: 1, "
                 "output_tokens: 1}\n",
                 "without 'dwell'");
    expect_error("  synthetic: {arrivals: diurnal, table: [{at: 1h, rate: 2/s}], count: 5, "
                 "input_tokens: 1, output_tokens: 1}\n",
                 "first step at 0s");
    expect_error("  synthetic: {arrivals: diurnal, table: [{at: 0h, rate: 2/s}, {at: 0h, rate: "
                 "1/s}], count: 5, input_tokens: 1, output_tokens: 1}\n",
                 "increasing time");
    expect_error("  synthetic: {arrivals: poisson, rate: 1/s, count: 5, input_tokens: 1, "
                 "output_tokens: 1, labels: [{kind: task, value: a, share: 70%}, {kind: task, "
                 "value: b, share: 40%}]}\n",
                 "adding up to|at most 100%");
    expect_error("  synthetic: {arrivals: poisson, rate: 1/s, count: 5, input_tokens: 1, "
                 "output_tokens: 1, labels: [{kind: tenat, value: a, share: 10%}]}\n",
                 "tenat|did you mean 'tenant'");
    expect_error("  synthetic: {arrivals: bursty, rate: 1/s, count: 5, input_tokens: 1, "
                 "output_tokens: 1}\n",
                 "bursty|mmpp");
    expect_error("  trace: ../../traces/data/AzureLLMInferenceTrace_conv.csv\n  format: mooncak\n",
                 "mooncak|did you mean 'mooncake'");
    expect_error("  trace: ../../traces/data/AzureLLMInferenceTrace_conv.csv\n"
                 "  window: {start: 20m, end: 10m}\n",
                 "end > start");
    expect_error("  trace: ../../traces/data/AzureLLMInferenceTrace_conv.csv\n  sample: 0%\n",
                 "sample of 0");
    expect_error("  rate_scale: 2\n  sources:\n    - synthetic: {rate: 1/s, count: 5, "
                 "input_tokens: 1, output_tokens: 1}\n",
                 "'rate_scale' beside 'sources'");
    expect_error("  sources: []\n", "found 0 sources");
    expect_error("  sources:\n    - sources: []\n", "sources one level deep");
    expect_error("  trace: ../../traces/data/AzureLLMInferenceTrace_conv.csv\n"
                 "  labels: {colour: red}\n",
                 "colour|model_group");
    return check_report("test_scn_traffic");
}
