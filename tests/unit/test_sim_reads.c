/*
 * test_sim_reads.c - route_ops.reads is complete: the engine publishes
 * the backend-reported signals (queue depth, free KV; backend_pool.c) only
 * to routers some node of which declares reading them
 * (route_router_reads), so a strategy that reads one without declaring it
 * would route on stale values.  Every built-in strategy, and wrappers and
 * groups over signal readers, runs small pool, API and mixed scenarios
 * twice: as the engine runs it, and with sim_hooks.publish_all_signals
 * (every signal published, as if every strategy read them all).  The two
 * runs must agree on every request (a hash of the per-request and
 * per-attempt records), every run metric but the event count, and every
 * backend's counters.
 */
#include <stdlib.h>

#include "check.h"
#include "route.h"
#include "scn.h"
#include "sim.h"
#include "tmp.h"

static int load_str(const char *yaml, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_file(path, sizeof path, "sim_reads", yaml) != 0)
        return -2;
    int rc = scn_load(path, s, err, errlen);
    remove(path);
    return rc;
}

/* FNV-1a over the records a run reports. */
struct digest {
    uint64_t h;
    uint64_t n_req, n_att;
};

static void mix(struct digest *d, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        d->h ^= c[i];
        d->h *= 0x100000001b3ull;
    }
}

#define MIX(d, x)                                                                                  \
    do {                                                                                           \
        __typeof__(x) v_ = (x);                                                                    \
        mix((d), &v_, sizeof v_);                                                                  \
    } while (0)

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct digest *d = ctx;
    d->n_req++;
    MIX(d, r->id);
    MIX(d, r->arrival_ns);
    MIX(d, r->first_token_ns);
    MIX(d, r->done_ns);
    MIX(d, r->queue_wait_ns);
    MIX(d, r->output_tokens);
    MIX(d, r->attempts);
    MIX(d, r->final_status);
    MIX(d, r->backend);
    MIX(d, r->cost_usd);
    MIX(d, r->attempts_total);
}

static void on_att(void *ctx, const struct sim_attempt_record *a)
{
    struct digest *d = ctx;
    d->n_att++;
    MIX(d, a->req_id);
    MIX(d, a->attempt);
    MIX(d, a->backend);
    MIX(d, a->start_ns);
    MIX(d, a->end_ns);
    MIX(d, a->http_status);
}

/* One run; 0 or -1 (reported). */
static int run(const struct scenario *s, const struct scn_strategy *st, bool all, struct digest *d,
               struct sim_result *res)
{
    char err[1024] = "";
    *d = (struct digest){.h = 0xcbf29ce484222325ull};
    struct sim_hooks h = {.on_request = on_req,
                          .on_attempt = on_att,
                          .ctx = d,
                          .report_unfinished = true,
                          .publish_all_signals = all};
    if (sim_run(s, st, s->seed, &h, res, err, sizeof err) != 0) {
        fprintf(stderr, "sim_run %s: %s\n", st->label, err);
        CHECK(0);
        return -1;
    }
    return 0;
}

/* The bytes of the run metrics (SIM_RUN_METRICS: from `requests` to the
 * backends pointer), the event count set aside. */
static bool same_metrics(struct sim_result *a, struct sim_result *b)
{
    size_t from = offsetof(struct sim_result, requests);
    size_t to = offsetof(struct sim_result, backends);
    uint64_t ea = a->events, eb = b->events;
    a->events = b->events = 0;
    bool same = memcmp((const char *)a + from, (const char *)b + from, to - from) == 0;
    a->events = ea;
    b->events = eb;
    return same;
}

static bool same_backends(const struct sim_result *a, const struct sim_result *b)
{
    if (a->n_backends != b->n_backends)
        return false;
    for (uint32_t i = 0; i < a->n_backends; i++) {
        const struct sim_backend_result *x = &a->backends[i], *y = &b->backends[i];
        if (x->attempts != y->attempts || x->successes != y->successes || x->errors != y->errors ||
            x->timeouts != y->timeouts || x->upstream_429 != y->upstream_429 ||
            x->prompt_tokens != y->prompt_tokens || x->cached_tokens != y->cached_tokens ||
            memcmp(&x->cost_usd, &y->cost_usd, sizeof x->cost_usd) != 0)
            return false;
    }
    return true;
}

/* Every compare: entry of the scenario, both ways; returns how many
 * entries ran, and adds to *n_quiet those whose two runs differ in their
 * event count (the engine folded API first tokens, or stopped publishing
 * pool signals: nothing else may differ). */
static uint32_t diff_scenario(const char *what, const char *yaml, uint32_t *n_quiet)
{
    struct scenario s;
    char err[1024] = "";
    if (load_str(yaml, &s, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", what, err);
        CHECK(0);
        return 0;
    }
    uint32_t ran = 0;
    for (uint32_t k = 0; k < s.n_compare; k++) {
        const struct scn_strategy *st = &s.compare[k];
        struct digest d0, d1;
        struct sim_result r0, r1;
        if (run(&s, st, false, &d0, &r0) != 0)
            continue;
        if (run(&s, st, true, &d1, &r1) != 0) {
            sim_result_free(&r0);
            continue;
        }
        ran++;
        bool ok = d0.h == d1.h && d0.n_req == d1.n_req && d0.n_att == d1.n_att &&
                  same_metrics(&r0, &r1) && same_backends(&r0, &r1);
        printf("%-8s %-26s requests %5llu completed %5llu attempts %5llu ttft p99 %.6f  %s\n", what,
               st->label, (unsigned long long)r0.requests, (unsigned long long)r0.completed,
               (unsigned long long)r0.attempts, r0.ttft.p99, ok ? "same" : "DIFFERENT");
        if (!ok)
            fprintf(stderr,
                    "%s, %s: the run differs when every signal is published: "
                    "a strategy reads a signal its route_ops.reads does not declare\n",
                    what, st->label);
        CHECK(ok);
        CHECK(d0.n_req > 0);
        if (r0.events != r1.events)
            (*n_quiet)++; /* a run that folded first tokens (fewer events) */
        sim_result_free(&r0);
        sim_result_free(&r1);
    }
    scn_free(&s);
    return ran;
}

/* The strategies every scenario compares: each built-in leaf, and the
 * wrappers and groups over leaves that read signals. */
#define COMPARE                                                                                    \
    "compare:\n"                                                                                   \
    "  - random\n"                                                                                 \
    "  - weighted_random\n"                                                                        \
    "  - round_robin\n"                                                                            \
    "  - least_inflight\n"                                                                         \
    "  - power_of_two\n"                                                                           \
    "  - lowest_latency\n"                                                                         \
    "  - lowest_cost\n"                                                                            \
    "  - lowest_usage\n"                                                                           \
    "  - least_inflight_tokens\n"                                                                  \
    "  - expected_latency\n"                                                                       \
    "  - price_weighted\n"                                                                         \
    "  - sort_by\n"                                                                                \
    "  - {strategy: sort_by, label: sort_by-latency, params: {by: 1}}\n"                           \
    "  - weighted_scorers\n"                                                                       \
    "  - {strategy: weighted_scorers, label: scorers-latency, params: {w_latency: 2}}\n"           \
    "  - {strategy: weighted_scorers, label: scorers-kv, params: {w_kv: 3, w_queue: 0, w_prefix: " \
    "0}}\n"                                                                                        \
    "  - prefix_affinity\n"                                                                        \
    "  - cache_aware_guarded\n"                                                                    \
    "  - bounded_load_hash\n"                                                                      \
    "  - {strategy: filter, label: filter-scorers, child: weighted_scorers}\n"                     \
    "  - {strategy: ordered_priority, label: op-expected, child: expected_latency}\n"              \
    "  - {strategy: sticky, label: sticky-scorers, child: weighted_scorers}\n"                     \
    "  - {strategy: model_tier, label: tier-li, child: least_inflight}\n"                          \
    "  - {strategy: loadbalance, label: lb, children: [weighted_scorers, round_robin]}\n"          \
    "  - {strategy: fallback, label: fb, children: [expected_latency, least_inflight]}\n"

/* A pool of 4 replicas near capacity: queues and KV move at every step. */
static const char *POOL4 = "seed: 7\n"
                           "traffic:\n"
                           "  synthetic:\n"
                           "    rate: 60/s\n"
                           "    count: 900\n"
                           "    input_tokens: {dist: lognormal, median: 800, p99: 6000}\n"
                           "    output_tokens: {dist: exponential, mean: 200}\n"
                           "backends:\n"
                           "  - {name: h100, kind: pool, profile: h100-llama3.1-8b, replicas: 4}\n"
                           "router: {timeout: 30s}\n" COMPARE;

/* 40 replicas (>= 32: the strategies use their journal-fed indexes) with
 * few, long requests: many steps between two picks. */
static const char *POOL40 =
    "seed: 11\n"
    "traffic:\n"
    "  synthetic:\n"
    "    rate: 3/s\n"
    "    count: 150\n"
    "    input_tokens: {dist: lognormal, median: 500, p99: 4000}\n"
    "    output_tokens: {dist: exponential, mean: 1500}\n"
    "backends:\n"
    "  - {name: h100, kind: pool, profile: h100-llama3.1-8b, replicas: 40}\n"
    "router: {timeout: 30s}\n" COMPARE;

/* Two gateway replicas with their own state, signals 200 ms stale. */
static const char *STALE = "seed: 5\n"
                           "traffic:\n"
                           "  synthetic:\n"
                           "    rate: 60/s\n"
                           "    count: 900\n"
                           "    input_tokens: {dist: lognormal, median: 800, p99: 6000}\n"
                           "    output_tokens: {dist: exponential, mean: 200}\n"
                           "backends:\n"
                           "  - {name: h100, kind: pool, profile: h100-llama3.1-8b, replicas: 4}\n"
                           "router: {timeout: 30s, replicas: 2, staleness: 200ms}\n" COMPARE;

/* API accounts beside a pool, with faults, limits and retries. */
static const char *MIXED =
    "seed: 3\n"
    "traffic: {synthetic: {rate: 30/s, count: 900, input_tokens: {dist: lognormal, median: 600, "
    "p99: 5000}, output_tokens: {dist: exponential, mean: 150}}}\n"
    "backends:\n"
    "  - {name: a, prices: {input: $2.50, output: $10}, latency: {ttft: 400ms, output_rate: 80}, "
    "limits: {rpm: 600}, faults: {error_rate: 5%}}\n"
    "  - {name: b, prices: {input: $0.15, output: $0.60}, latency: {ttft: 250ms, output_rate: "
    "120}, max_inflight: 8}\n"
    "  - {name: h100, kind: pool, profile: h100-llama3.1-8b, replicas: 2}\n"
    "router: {timeout: 20s, retries: {max_attempts: 3, retry_on: [429, 5xx, timeout]}}\n" COMPARE;

/* API accounts only: no pool, so nothing changes by construction (the
 * front queues publish their own depth); a guard for the hook itself. */
static const char *API =
    "seed: 9\n"
    "traffic: {synthetic: {rate: 20/s, count: 600, input_tokens: 300, output_tokens: 100}}\n"
    "backends:\n"
    "  - {name: a, latency: {ttft: 300ms, output_rate: 100}, max_inflight: 4, limits: {rpm: 900}}\n"
    "  - {name: b, latency: {ttft: 500ms, output_rate: 60}, faults: {error_rate: 3%}}\n"
    "router: {timeout: 20s}\n" COMPARE;

/* API attempts whose first token is folded into their last token's event
 * (backend_api.c) when the router reads no TTFT: a run cut by `duration:`
 * with requests streaming at the cut (their first token must still be
 * reported), first-token timeouts of attempts that waited in a front
 * queue (armed at dispatch, firing while the folded attempt streams or
 * before its first token), retries after them, and heavy-tailed TTFTs. */
static const char *API_CUT =
    "seed: 13\n"
    "duration: 25s\n"
    "traffic: {synthetic: {rate: 30/s, count: 1200, input_tokens: {dist: lognormal, median: 400, "
    "p99: 3000}, output_tokens: {dist: exponential, mean: 300}}}\n"
    "backends:\n"
    "  - {name: a, latency: {ttft: {dist: lognormal, median: 600ms, p99: 5s}, output_rate: 40}, "
    "max_inflight: 6}\n"
    "  - {name: b, latency: {ttft: {dist: exponential, mean: 900ms}, output_rate: 70}, "
    "max_inflight: 10, faults: {error_rate: 2%}}\n"
    "router: {timeout: 2500ms, retries: {max_attempts: 3, retry_on: [429, 5xx, "
    "timeout]}}\n" COMPARE;

/* Whole-response timeouts and hedging: the first token keeps its event. */
static const char *API_HEDGE =
    "seed: 17\n"
    "traffic: {synthetic: {rate: 25/s, count: 800, input_tokens: 500, output_tokens: {dist: "
    "exponential, mean: 200}}}\n"
    "backends:\n"
    "  - {name: a, latency: {ttft: {dist: lognormal, median: 500ms, p99: 4s}, output_rate: 50}}\n"
    "  - {name: b, latency: {ttft: {dist: lognormal, median: 700ms, p99: 3s}, output_rate: 90}}\n"
    "router: {timeout: 6s, hedge: {after: 1s}}\n" COMPARE;

/* route_router_reads of a router of one leaf over n backends. */
static uint32_t reads_of(const char *name, uint32_t n)
{
    struct route_backend_cfg cfgs[40];
    memset(cfgs, 0, sizeof cfgs);
    for (uint32_t i = 0; i < n; i++) {
        cfgs[i].name = "b";
        cfgs[i].weight = 1;
    }
    char err[256] = "";
    struct route_router *r =
        route_router_create(route_registry_find(name), NULL, cfgs, n, err, sizeof err);
    CHECK(r != NULL);
    uint32_t reads = route_router_reads(r);
    route_router_destroy(r);
    return reads;
}

/* The declared reads as the router reports them. */
static void test_reads(void)
{
    CHECK_INT_EQ(reads_of("round_robin", 8), 0);
    CHECK_INT_EQ(reads_of("least_inflight", 8), 0);
    CHECK_INT_EQ(reads_of("lowest_latency", 8), ROUTE_READS_TTFT);
    CHECK_INT_EQ(reads_of("sort_by", 8), ROUTE_READS_TTFT);
    CHECK_INT_EQ(reads_of("expected_latency", 8), ROUTE_READS_TTFT | ROUTE_READS_QUEUE);
    CHECK_INT_EQ(reads_of("weighted_scorers", 8),
                 ROUTE_READS_TTFT | ROUTE_READS_QUEUE | ROUTE_READS_KV);
    /* 40 backends: least_inflight keeps journal-fed load buckets */
    CHECK_INT_EQ(reads_of("least_inflight", 40), ROUTE_READS_ALL);
    CHECK_INT_EQ(route_router_reads(NULL), 0);
}

int main(void)
{
    uint32_t quiet = 0;
    test_reads();
    CHECK_INT_EQ(diff_scenario("pool4", POOL4, &quiet), 25);
    CHECK_INT_EQ(diff_scenario("pool40", POOL40, &quiet), 25);
    CHECK_INT_EQ(diff_scenario("stale", STALE, &quiet), 25);
    CHECK_INT_EQ(diff_scenario("mixed", MIXED, &quiet), 25);
    quiet = 0;
    CHECK_INT_EQ(diff_scenario("api", API, &quiet), 25);
    /* round_robin and the other TTFT-blind strategies (13 of the 25) fold */
    CHECK(quiet >= 10);
    quiet = 0;
    CHECK_INT_EQ(diff_scenario("api-cut", API_CUT, &quiet), 25);
    CHECK(quiet >= 10);
    quiet = 0;
    CHECK_INT_EQ(diff_scenario("api-hedge", API_HEDGE, &quiet), 25);
    CHECK_INT_EQ(quiet, 0); /* hedging: no attempt folds */
    return check_report("test_sim_reads");
}
