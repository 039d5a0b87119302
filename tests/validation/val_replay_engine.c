/*
 * val_replay_engine.c - the engine features a router-config replay needs,
 * each against a figure computed by hand from the scenario:
 *
 *  - accounts: two deployments of one API key share one provider quota.
 *    A bucket of 120 requests per minute that starts full admits 120 plus
 *    what refills while the traffic lasts (2/s), whichever deployment the
 *    router picks; two separate quotas admit twice that.
 *  - router_limits: the router's view meters the declared limits, the
 *    provider keeps its real ones.
 *  - Portkey conditional routing on request labels: a trace of tenants
 *    gold and basic, a condition sending gold to one backend and the rest
 *    to another: each backend's attempts equal its tenant's rows.
 *  - timeouts of a router config: a non-streamed request must get its
 *    whole answer within request_timeout (a 10 s answer with a 5 s timeout
 *    always times out; a deployment's own timeout wins over the router's);
 *    a streamed one its first token within stream_timeout; a non-streamed
 *    client sees its first token with the whole answer.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hist.h"
#include "sim.h"
#include "tmp.h"

/* 1,000 requests at 100/s; every answer: TTFT 200 ms, 100 tokens at
 * 10 tokens/s (10 s of decode). */
#define TRAFFIC                                                                                    \
    "traffic:\n"                                                                                   \
    "  synthetic:\n"                                                                               \
    "    rate: 100/s\n"                                                                            \
    "    duration: 10s\n"                                                                          \
    "    input_tokens: 100\n"                                                                      \
    "    output_tokens: 100\n"

#define LATENCY "    latency: {ttft: 200ms, output_rate: 10}\n"

struct run {
    struct sim_result r;
    int rc;
};

static int run_text(const char *tag, const char *text, struct run *out)
{
    char path[TMP_PATH_MAX], err[1024];
    struct scenario scn;
    memset(out, 0, sizeof *out);
    if (tmp_file(path, sizeof path, tag, text) != 0)
        return -1;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", tag, err);
        remove(path);
        return -1;
    }
    remove(path);
    out->rc = sim_run(&scn, &scn.router.strategy, 1, NULL, &out->r, err, sizeof err);
    if (out->rc != 0)
        fprintf(stderr, "%s: %s\n", tag, err);
    scn_free(&scn);
    return out->rc;
}

static void test_accounts(void)
{
    struct run a, b;
    const char *shared = TRAFFIC "accounts:\n"
                                 "  - {name: org, limits: {rpm: 120, burst_window: 1m}}\n"
                                 "backends:\n"
                                 "  - name: east\n"
                                 "    account: org\n" LATENCY "  - name: west\n"
                                 "    account: org\n" LATENCY
                                 "router: {strategy: round_robin, retries: {max_attempts: 1}}\n";
    const char *separate =
        TRAFFIC "backends:\n"
                "  - name: east\n"
                "    limits: {rpm: 120, burst_window: 1m}\n" LATENCY "  - name: west\n"
                "    limits: {rpm: 120, burst_window: 1m}\n" LATENCY
                "router: {strategy: round_robin, retries: {max_attempts: 1}}\n";
    CHECK(run_text("acct_shared", shared, &a) == 0);
    CHECK(run_text("acct_separate", separate, &b) == 0);
    /* 120 at the start + 2/s over the ~10 s of arrivals. */
    CHECK(a.r.completed >= 136 && a.r.completed <= 141);
    CHECK(b.r.completed >= 272 && b.r.completed <= 282);
    CHECK_INT_EQ(a.r.completed + a.r.failed + a.r.in_flight_at_end, a.r.requests);
    sim_result_free(&a.r);
    sim_result_free(&b.r);
}

static void test_router_limits(void)
{
    char path[TMP_PATH_MAX], err[1024];
    struct scenario scn;
    const char *text = TRAFFIC "backends:\n"
                               "  - name: east\n"
                               "    limits: {rpm: 1000, tpm: 2M}\n"
                               "    router_limits: {rpm: 480}\n" LATENCY;
    CHECK(tmp_file(path, sizeof path, "rlim", text) == 0);
    CHECK(scn_load(path, &scn, err, sizeof err) == 0);
    remove(path);
    CHECK_INT_EQ(scn.backends[0].route.rpm_limit, 480);
    CHECK_INT_EQ(scn.backends[0].route.tpm_limit, 0);
    CHECK_INT_EQ(scn.backends[0].api.rpm, 1000);
    CHECK_INT_EQ(scn.backends[0].api.tpm, 2000000);
    scn_free(&scn);
}

static void test_timeouts(void)
{
    struct run r;
    const char *one = "backends:\n  - name: east\n" LATENCY;
    char text[2048];

    /* Non-streamed, 5 s for a 10.2 s answer: every attempt times out. */
    snprintf(text, sizeof text,
             TRAFFIC
             "  stream: false\n%srouter: {request_timeout: 5s, retries: {max_attempts: 1}}\n",
             one);
    CHECK(run_text("to_e2e", text, &r) == 0);
    CHECK_INT_EQ(r.r.completed, 0);
    CHECK_INT_EQ(r.r.timeouts, r.r.requests);
    sim_result_free(&r.r);

    /* The deployment's own 20 s timeout wins over the router's 5 s. */
    snprintf(text, sizeof text,
             TRAFFIC "  stream: false\nbackends:\n  - name: east\n    timeout: 20s\n" LATENCY
                     "router: {request_timeout: 5s, retries: {max_attempts: 1}}\n");
    CHECK(run_text("to_backend", text, &r) == 0);
    CHECK_INT_EQ(r.r.completed, r.r.requests);
    /* ... and the non-streamed client's first token is the whole answer. */
    CHECK_NEAR((double)hist_quantile(&r.r.ttft_hist, 0.5) / 1e9, 10.2, 0.05);
    sim_result_free(&r.r);

    /* Streamed: request_timeout bounds the first token only (200 ms). */
    snprintf(text, sizeof text,
             TRAFFIC "%srouter: {request_timeout: 5s, retries: {max_attempts: 1}}\n", one);
    CHECK(run_text("to_stream", text, &r) == 0);
    CHECK_INT_EQ(r.r.completed, r.r.requests);
    CHECK_NEAR((double)hist_quantile(&r.r.ttft_hist, 0.5) / 1e9, 0.2, 0.01);
    sim_result_free(&r.r);

    /* Streamed with stream_timeout 100 ms: no first token in time. */
    snprintf(text, sizeof text,
             TRAFFIC "%srouter: {stream_timeout: 100ms, retries: {max_attempts: 1}}\n", one);
    CHECK(run_text("to_first", text, &r) == 0);
    CHECK_INT_EQ(r.r.completed, 0);
    CHECK_INT_EQ(r.r.timeouts, r.r.requests);
    sim_result_free(&r.r);

    /* Half the clients stream: the 5 s whole-answer timeout ends the
     * others' attempts only. */
    snprintf(text, sizeof text,
             TRAFFIC
             "  stream: 50%%\n%srouter: {request_timeout: 5s, retries: {max_attempts: 1}}\n",
             one);
    CHECK(run_text("to_mixed", text, &r) == 0);
    CHECK_INT_EQ(r.r.completed + r.r.timeouts, r.r.requests);
    CHECK_NEAR((double)r.r.completed / (double)r.r.requests, 0.5, 0.05);
    sim_result_free(&r.r);
}

static void test_portkey_conditional(void)
{
    char dir[TMP_DIR_MAX], trace[TMP_PATH_MAX], scn_path[TMP_PATH_MAX], err[1024], text[4096];
    CHECK(tmp_dir(dir, sizeof dir, "pk_cond") == 0);
    CHECK(tmp_path(trace, sizeof trace, dir, "t.csv") == 0);
    CHECK(tmp_path(scn_path, sizeof scn_path, dir, "s.yaml") == 0);
    /* 30 rows: every third tenant gold (10), the rest basic (20); the
     * first row is basic, so the trace numbers tenants differently from
     * the scenario (gold is the only one a condition names) */
    char rows[4096];
    size_t o =
        (size_t)snprintf(rows, sizeof rows, "arrival_s,input_tokens,output_tokens,tenant,task\n");
    for (int i = 0; i < 30; i++)
        o += (size_t)snprintf(rows + o, sizeof rows - o, "%d,100,10,%s,%s\n", i,
                              i % 3 == 1 ? "gold" : "basic", i % 5 == 0 ? "tool" : "chat");
    CHECK(tmp_write_str(trace, rows) == 0);
    snprintf(text, sizeof text,
             "traffic: {trace: t.csv}\n"
             "backends:\n"
             "  - {name: fast, latency: {ttft: 100ms, output_rate: 100}}\n"
             "  - {name: slow, latency: {ttft: 900ms, output_rate: 20}}\n"
             "  - {name: tools, latency: {ttft: 10ms, output_rate: 1000}}\n"
             "router:\n"
             "  loop: portkey\n"
             "  portkey:\n"
             "    strategy:\n"
             "      mode: conditional\n"
             "      conditions:\n"
             "        - {query: {metadata.task: {$eq: tool}}, then: t}\n"
             "        - {query: {metadata.tenant: {$eq: gold}}, then: f}\n"
             "      default: s\n"
             "    targets: [{name: f, backend: fast}, {name: s, backend: slow}, "
             "{name: t, backend: tools}]\n");
    CHECK(tmp_write_str(scn_path, text) == 0);
    struct scenario scn;
    int rc = scn_load(scn_path, &scn, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "pk_cond: %s\n", err);
    CHECK(rc == 0);
    if (rc == 0) {
        struct sim_result r;
        CHECK(sim_run(&scn, &scn.router.strategy, 1, NULL, &r, err, sizeof err) == 0);
        /* tool rows: i % 5 == 0 (6 of 30); gold non-tool: i % 3 == 1 and
         * i % 5 != 0 (10 - 2 = 8); the rest basic non-tool (16) */
        CHECK_INT_EQ(r.backends[2].attempts, 6);
        CHECK_INT_EQ(r.backends[0].attempts, 8);
        CHECK_INT_EQ(r.backends[1].attempts, 16);
        CHECK_INT_EQ(r.completed, 30);
        sim_result_free(&r);
        scn_free(&scn);
    }
    tmp_rmdir(dir);
}

int main(void)
{
    test_portkey_conditional();
    test_accounts();
    test_router_limits();
    test_timeouts();
    return check_report("val_replay_engine");
}
