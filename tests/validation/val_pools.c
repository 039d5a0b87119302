/*
 * val_pools.c - GPU pool backends through the whole engine, checked against
 * theory and against figures worked out by hand:
 *  - M/D/1: a one-slot pool (max_batch 1, unchunked prefill, one output
 *    token) serves every request in one step of the same length D, so its
 *    queue is M/D/1 and the mean wait must match Pollaczek-Khinchine,
 *    Wq = rho D / (2 (1 - rho));
 *  - prefix-aware routing on the Mooncake conversation trace (the bundled
 *    example) beats round-robin on both prefix hit rate and p50 TTFT;
 *  - with spot reclaims (kill + retry, kill + migrate), stock-outs,
 *    autoscaling, an API outage, errors, hangs, hedges and a cut, every
 *    arrival is accounted for, costs add up, and the JSON is the same with
 *    1 and 2 threads;
 *  - spot cost = replica-hours x spot price, with a reclaim and its notice;
 *  - gateway cache hits skip the provider and its cost; RTTs add to TTFT;
 *    the region filter sends no request out of its region.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "report.h"
#include "sim.h"
#include "check.h"
#include "tmp.h"

#define NS_PER_S 1e9
#define MAX_RUNS 8

static int load(const char *path, struct scenario *scn)
{
    char err[1024];
    if (scn_load(path, scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return -1;
    }
    return 0;
}

static int run(const struct scenario *scn, uint32_t i, const struct sim_hooks *h,
               struct sim_result *r)
{
    char err[1024];
    if (sim_run(scn, &scn->compare[i], scn->seed, h, r, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", scn->compare[i].label, err);
        CHECK(0);
        return -1;
    }
    return 0;
}

static int label_of(const struct scenario *scn, const char *label)
{
    for (uint32_t i = 0; i < scn->n_compare; i++)
        if (strcmp(scn->compare[i].label, label) == 0)
            return (int)i;
    CHECK(0);
    return -1;
}

/* ---- M/D/1 ------------------------------------------------------------ */

static void test_md1(void)
{
    const struct pool_profile *pr = pool_profile_find("h100-llama3.1-8b");
    struct pool_perf perf;
    CHECK(pr != NULL && pool_profile_perf(pr, &perf) == POOL_OK);
    const int64_t in = 1000;
    /* one step: the whole prompt, nothing decoding, no KV read before it */
    double d_ns = (double)llround(pool_step_ns(&perf, in, 0, 0));
    const double rho = 0.7;
    double rate = rho / (d_ns / NS_PER_S);
    char dir[TMP_DIR_MAX];
    CHECK(tmp_dir(dir, sizeof dir, "val_pools") == 0);
    char path[TMP_PATH_MAX];
    tmp_path(path, sizeof path, dir, "md1.yaml");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL) {
        tmp_rmdir(dir);
        return;
    }
    fprintf(f,
            "name: md1\nseed: 3\ntraffic:\n  synthetic:\n    rate: %.9f/s\n    count: 300000\n"
            "    input_tokens: {dist: constant, value: %lld}\n"
            "    output_tokens: {dist: constant, value: 1}\n"
            "backends:\n  - {name: gpu, kind: pool, profile: h100-llama3.1-8b, replicas: 1,\n"
            "     max_batch: 1, chunked_prefill: 0, prefix_cache: false}\n"
            "router: {strategy: round_robin, timeout: 0s}\n",
            rate, (long long)in);
    fclose(f);
    struct scenario scn;
    if (load(path, &scn) != 0) {
        tmp_rmdir(dir);
        return;
    }
    struct sim_result r;
    char err[512];
    if (sim_run(&scn, &scn.router.strategy, scn.seed, NULL, &r, err, sizeof err) == 0) {
        double d = d_ns / NS_PER_S;
        double wq = rho * d / (2.0 * (1.0 - rho));
        printf("M/D/1 through a pool, rho=%.2f D=%.3f ms n=%" PRIu64
               ": Wq %.4f ms, P-K %.4f ms (%+.2f%%); TTFT mean %.4f ms vs Wq+D %.4f ms\n",
               rho, d * 1e3, r.requests, r.queue_wait_mean_s * 1e3, wq * 1e3,
               100.0 * (r.queue_wait_mean_s / wq - 1.0), r.ttft.mean * 1e3, (wq + d) * 1e3);
        CHECK_INT_EQ(r.completed, 300000);
        CHECK_NEAR(r.queue_wait_mean_s / wq, 1.0, 0.04);
        CHECK_NEAR(r.ttft.mean / (wq + d), 1.0, 0.03);
        CHECK(r.ttft.p50 >= d * 0.999); /* nobody is served faster than D */
        CHECK_NEAR(r.little_l / (r.little_lambda * r.little_w_s), 1.0, 1e-6);
        CHECK_NEAR(r.pools[0].busy_share, rho, 0.02);
        sim_result_free(&r);
    } else {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
    }
    scn_free(&scn);
    tmp_rmdir(dir);
}

/* ---- prefix-aware routing on Mooncake ---------------------------------- */

static void test_prefix_routing(void)
{
    struct scenario scn;
    if (load("scenarios/examples/prefix_routing.yaml", &scn) != 0)
        return;
    int rr = label_of(&scn, "round_robin"), sc = label_of(&scn, "llm-d-scorers");
    int ca = label_of(&scn, "cache_aware_guarded");
    struct sim_result a, b, c;
    if (rr >= 0 && sc >= 0 && ca >= 0 && run(&scn, (uint32_t)rr, NULL, &a) == 0) {
        if (run(&scn, (uint32_t)sc, NULL, &b) == 0) {
            if (run(&scn, (uint32_t)ca, NULL, &c) == 0) {
                printf("Mooncake prefix hit rate / TTFT p50: round_robin %.2f%% / %.3f s, "
                       "llm-d scorers %.2f%% / %.3f s, cache_aware_guarded %.2f%% / %.3f s\n",
                       100 * a.prefix_hit_rate, a.ttft.p50, 100 * b.prefix_hit_rate, b.ttft.p50,
                       100 * c.prefix_hit_rate, c.ttft.p50);
                CHECK(b.prefix_hit_rate > 1.5 * a.prefix_hit_rate);
                CHECK(c.prefix_hit_rate > 1.5 * a.prefix_hit_rate);
                CHECK(b.ttft.p50 < a.ttft.p50);
                CHECK_INT_EQ(a.completed, 2000);
                CHECK_INT_EQ(b.completed, 2000);
                sim_result_free(&c);
            }
            sim_result_free(&b);
        }
        sim_result_free(&a);
    }
    scn_free(&scn);
}

/* ---- conservation under chaos ----------------------------------------- */

struct seen {
    uint64_t finished, measured;
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct seen *s = ctx;
    s->finished++;
    s->measured += r->measured;
}

static char *json_of(const struct scenario *scn, const struct sim_result *res, uint32_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_json(f, scn, scn->seed, res, n);
    fclose(f);
    return buf;
}

static void test_chaos(void)
{
    struct scenario scn;
    if (load("tests/data/pools/chaos.yaml", &scn) != 0)
        return;
    uint32_t n = scn.n_compare;
    CHECK(n >= 4 && n <= MAX_RUNS);
    uint64_t killed = 0, migrated = 0, stockouts = 0, scale_ups = 0, preempt = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct seen s = {0};
        struct sim_hooks h = {.on_request = on_req, .ctx = &s};
        struct sim_result r;
        if (run(&scn, i, &h, &r) != 0)
            continue;
        /* every measured arrival: done, failed visibly, or still in flight */
        CHECK_INT_EQ(r.requests, r.completed + r.failed + r.in_flight_at_end);
        CHECK_INT_EQ(s.measured, r.completed + r.failed);
        CHECK(r.in_flight_at_end > 0); /* the cut leaves work behind */
        CHECK_NEAR(r.little_l / (r.little_lambda * r.little_w_s), 1.0, 1e-6);
        double cost = 0, pool_cost = 0, ts_cost = 0, hours = 0;
        uint64_t att = 0;
        for (uint32_t b = 0; b < r.n_backends; b++) {
            cost += r.backends[b].cost_usd;
            att += r.backends[b].attempts;
            if (r.backends[b].is_pool)
                hours += r.backends[b].replica_hours;
        }
        for (uint32_t k = 0; k < r.n_pools; k++) {
            pool_cost += r.pools[k].cost_usd;
            CHECK_NEAR(r.pools[k].cost_usd, r.pools[k].replica_hours * r.pools[k].usd_per_hour,
                       1e-9 * (1 + r.pools[k].cost_usd));
            CHECK(r.pools[k].serving_ts != NULL);
            for (uint32_t t = 0; r.pools[k].serving_ts && t < r.n_ts; t++)
                CHECK(r.pools[k].serving_ts[t] <= r.pools[k].max_serving);
            killed += r.pools[k].killed;
            migrated += r.pools[k].migrated;
            stockouts += r.pools[k].stockouts;
            scale_ups += r.pools[k].scale_ups;
            preempt += r.pools[k].preemptions;
        }
        for (uint32_t t = 0; t < r.n_ts; t++)
            ts_cost += r.ts[t].cost_usd;
        CHECK_NEAR(cost, r.cost_usd, 1e-9 * (1 + r.cost_usd));
        CHECK_NEAR(ts_cost, r.cost_usd, 1e-9 * (1 + r.cost_usd));
        CHECK_NEAR(hours, r.replica_hours, 1e-12 * (1 + hours));
        CHECK(pool_cost > 0 && pool_cost < r.cost_usd); /* the API bills tokens too */
        CHECK_INT_EQ(att, r.attempts);
        CHECK(r.prefix_hit_rate > 0 && r.prefix_hit_rate < 1);
        CHECK_INT_EQ(r.preempt_killed, r.pools[0].killed + r.pools[1].killed + r.pools[2].killed);
        sim_result_free(&r);
    }
    printf("chaos: %" PRIu64 " preemptions, %" PRIu64 " requests killed (%" PRIu64
           " migrated), %" PRIu64 " stock-outs, %" PRIu64 " scale-ups over %u runs\n",
           preempt, killed, migrated, stockouts, scale_ups, n);
    CHECK(preempt > 0 && killed > migrated && migrated > 0 && stockouts > 0 && scale_ups > 0);

    /* Same bytes with 1 and 2 threads. */
    struct sim_result r1[MAX_RUNS], r2[MAX_RUNS];
    int rc1[MAX_RUNS], rc2[MAX_RUNS];
    static char e1[MAX_RUNS * 256], e2[MAX_RUNS * 256];
    int a = sim_compare(&scn, scn.compare, n, scn.seed, 1, r1, rc1, e1, 256);
    int b = sim_compare(&scn, scn.compare, n, scn.seed, 2, r2, rc2, e2, 256);
    CHECK(a == 0 && b == 0);
    if (a == 0 && b == 0) {
        char *j1 = json_of(&scn, r1, n), *j2 = json_of(&scn, r2, n);
        CHECK(j1 != NULL && j2 != NULL && strcmp(j1, j2) == 0);
        free(j1);
        free(j2);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (rc1[i] == 0)
            sim_result_free(&r1[i]);
        if (rc2[i] == 0)
            sim_result_free(&r2[i]);
    }
    scn_free(&scn);
}

/* ---- spot cost by hand -------------------------------------------------- */

static void test_cost(void)
{
    struct scenario scn;
    if (load("tests/data/pools/cost.yaml", &scn) != 0)
        return;
    const struct pool_profile *h100 = pool_profile_find("h100-llama3.1-8b");
    /* spot: 3 replicas x 600 s, less replica 0 from 2 min + 30 s notice */
    double spot_h = (3.0 * 600.0 - (600.0 - 150.0)) / 3600.0;
    double od_h = 2.0 * 600.0 / 3600.0;
    for (uint32_t i = 0; i < scn.n_compare; i++) {
        struct sim_result r;
        if (run(&scn, i, NULL, &r) != 0)
            continue;
        CHECK_NEAR(r.pools[0].replica_hours, spot_h, 1e-12);
        CHECK_NEAR(r.pools[0].cost_usd, spot_h * h100->usd_per_hour_spot, 1e-9);
        CHECK(r.pools[0].spot && r.pools[0].usd_per_hour == h100->usd_per_hour_spot);
        CHECK_NEAR(r.pools[1].replica_hours, od_h, 1e-12);
        CHECK_NEAR(r.pools[1].cost_usd, od_h * 4.0, 1e-9);
        CHECK_NEAR(r.cost_usd, spot_h * h100->usd_per_hour_spot + od_h * 4.0, 1e-9);
        CHECK_INT_EQ(r.pools[0].preemptions, 1);
        CHECK_INT_EQ(r.pools[0].replacements, 0);
        CHECK_INT_EQ(r.pools[0].min_serving, 2);
        CHECK_INT_EQ(r.pools[0].warmup_s, 0);
        CHECK_INT_EQ(r.failed, 0); /* light load: everything finishes within the notice */
        /* serving replicas over time: 3, 3, 2 (reclaimed in the third minute), ... */
        CHECK_INT_EQ(r.pools[0].serving_ts[0], 3);
        CHECK_INT_EQ(r.pools[0].serving_ts[1], 3);
        CHECK_INT_EQ(r.pools[0].serving_ts[2], 2);
        CHECK_INT_EQ(r.pools[0].serving_ts[r.n_ts - 1], 2);
        CHECK_INT_EQ(r.ts[r.n_ts - 1].serving, 4);
        /* the replica-hours of each slot */
        CHECK_NEAR(r.backends[0].replica_hours, 150.0 / 3600.0, 1e-12);
        CHECK_NEAR(r.backends[1].replica_hours, 600.0 / 3600.0, 1e-12);
        if (i == 0)
            printf("spot cost: %.6f replica-h x $%.6f/h = $%.6f (by hand $%.6f)\n",
                   r.pools[0].replica_hours, r.pools[0].usd_per_hour, r.pools[0].cost_usd,
                   spot_h * h100->usd_per_hour_spot);
        sim_result_free(&r);
    }
    scn_free(&scn);
}

/* ---- gateway cache, RTT, sovereignty ------------------------------------ */

static void test_cache_rtt(void)
{
    struct scenario scn;
    if (load("tests/data/pools/cache_rtt.yaml", &scn) != 0)
        return;
    int bl = label_of(&scn, "blind"), sv = label_of(&scn, "sovereign");
    /* every request costs the same: 1000 in x $1/M + 100 out x $2/M */
    const double per_req = 1000 * 1e-6 + 100 * 2e-6;
    struct sim_result r[2];
    for (int k = 0; k < 2; k++) {
        int i = k == 0 ? bl : sv;
        if (i < 0 || run(&scn, (uint32_t)i, NULL, &r[k]) != 0)
            return;
        uint64_t hits = r[k].cache_l1_hits + r[k].cache_l2_hits + r[k].cache_semantic_hits;
        CHECK_INT_EQ(r[k].cache_lookups, r[k].requests);
        CHECK(r[k].cache_hit_rate > 0.25 && r[k].cache_hit_rate <= 0.30 + 0.02);
        /* hits never reach a backend: one attempt per miss, no retries */
        CHECK_INT_EQ(r[k].attempts + hits, r[k].requests);
        /* attempts cut by the duration are not billed yet */
        uint64_t billed = 0;
        for (uint32_t b = 0; b < r[k].n_backends; b++)
            billed += r[k].backends[b].successes;
        CHECK_NEAR(r[k].cost_usd, (double)billed * per_req, 1e-9);
    }
    /* blind: half the attempts cross to us (TTFT 100 ms + 80 ms RTT), the
     * rest stay in the EU (+2 ms); cache hits answer in 1 ms */
    CHECK_INT_EQ(r[0].cross_region_attempts, r[0].backends[0].attempts);
    CHECK_INT_EQ(r[1].cross_region_attempts, 0);
    CHECK_INT_EQ(r[1].backends[0].attempts, 0);
    CHECK_NEAR(r[0].ttft.max, 0.180, 0.180 * 1e-3);
    CHECK_NEAR(r[1].ttft.max, 0.102, 0.102 * 1e-3);
    CHECK_NEAR(r[1].ttft.p50, 0.102, 0.102 * 1e-3);
    printf("cache: hit rate %.2f%% (repeat rate 30%%); TTFT max blind %.3f s, sovereign %.3f s\n",
           100 * r[0].cache_hit_rate, r[0].ttft.max, r[1].ttft.max);
    sim_result_free(&r[0]);
    sim_result_free(&r[1]);
    scn_free(&scn);
}

int main(void)
{
    test_md1();
    test_prefix_routing();
    test_chaos();
    test_cost();
    test_cache_rtt();
    return check_report("val_pools");
}
