/*
 * val_accounting.c - every arrival is accounted for, Little's law holds,
 * results do not depend on the thread count, and the traffic does not
 * depend on the strategy (common random numbers).
 *
 * The scenario (tests/data/val_chaos.yaml) has rate limits, random errors,
 * an outage, timeouts, retries, a warm-up and a run cut at a duration with
 * requests still in flight, under all eight strategies.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sim.h"
#include "check.h"

#define MAX_RUNS 16
#define EARLY_NS (600LL * 1000000000LL)

struct seen {
    uint64_t n, measured;
    uint64_t ok, failed;
    double arrival_hash; /* order-independent digest of (id, arrival, sizes) */
    uint64_t attempts;
    uint64_t early;
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct seen *s = ctx;
    s->n++;
    if (!r->measured)
        return;
    s->measured++;
    if (r->final_status == 200)
        s->ok++;
    else
        s->failed++;
    s->attempts += r->attempts;
    if (r->arrival_ns >= EARLY_NS)
        return;
    s->early++;
    s->arrival_hash += (double)(r->id % 1000003) * 1e-9 * (double)(r->arrival_ns % 1000033) +
                       (double)r->input_tokens * 1e-3 + (double)r->output_tokens;
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

int main(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("tests/data/val_chaos.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uint32_t n = scn.n_compare;
    CHECK(n >= 8 && n <= MAX_RUNS);

    /* Conservation and Little's law, per strategy, with the hook as an
     * independent count of finished requests. */
    struct seen first = {0};
    uint64_t upstream_429_all = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct seen s = {0};
        struct sim_hooks hooks = {.on_request = on_req, .ctx = &s};
        struct sim_result r;
        if (sim_run(&scn, &scn.compare[i], scn.seed, &hooks, &r, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            continue;
        }
        printf("%-16s requests %llu completed %llu failed %llu in flight %llu retries %llu "
               "429 %.4f err %.4f L %.3f lambda*W %.3f\n",
               r.strategy, (unsigned long long)r.requests, (unsigned long long)r.completed,
               (unsigned long long)r.failed, (unsigned long long)r.in_flight_at_end,
               (unsigned long long)r.retries, r.client_429_rate, r.error_rate, r.little_l,
               r.little_lambda * r.little_w_s);
        CHECK_INT_EQ(r.requests, r.completed + r.failed + r.in_flight_at_end);
        CHECK_INT_EQ(s.ok, r.completed);
        CHECK_INT_EQ(s.failed, r.failed);
        CHECK(r.in_flight_at_end > 0); /* the run is cut at 20 min with traffic to 30 min */
        CHECK(r.unmeasured > 0);       /* the warm-up minute */
        CHECK(r.retries > 0);
        CHECK(r.requests > 8000);
        upstream_429_all += r.upstream_429;
        /* Little: L = lambda W, an identity of the accounting (1e-9 relative) */
        CHECK_NEAR(r.little_l, r.little_lambda * r.little_w_s, 1e-9 * r.little_l);
        /* time series sums match the totals */
        uint64_t arr = 0, comp = 0, fail = 0, att = 0, u429 = 0;
        double cost = 0;
        for (uint32_t k = 0; k < r.n_ts; k++) {
            arr += r.ts[k].arrivals;
            comp += r.ts[k].completed;
            fail += r.ts[k].failed;
            att += r.ts[k].attempts;
            u429 += r.ts[k].upstream_429;
            cost += r.ts[k].cost_usd;
        }
        CHECK_INT_EQ(arr, r.requests);
        CHECK_INT_EQ(comp, r.completed);
        CHECK_INT_EQ(fail, r.failed);
        CHECK_INT_EQ(att, r.attempts);
        CHECK_INT_EQ(u429, r.upstream_429);
        CHECK_NEAR(cost, r.cost_usd, 1e-6 * r.cost_usd);
        /* per-backend sums match */
        uint64_t batt = 0;
        double bcost = 0;
        for (uint32_t b = 0; b < r.n_backends; b++) {
            batt += r.backends[b].attempts;
            bcost += r.backends[b].cost_usd;
        }
        CHECK_INT_EQ(batt, r.attempts);
        CHECK_NEAR(bcost, r.cost_usd, 1e-6 * r.cost_usd);
        /* 19 min at 8/s after the first minute of warm-up (Poisson: sd ~96) */
        CHECK_NEAR((double)r.requests, 19 * 60 * 8.0, 5 * 96.0);
        /* the outage window shows in the healthy-backend series */
        CHECK_INT_EQ(r.ts[12].healthy, 1); /* 6:00-6:30, inside 5m..8m */
        CHECK_INT_EQ(r.ts[2].healthy, 2);
        /* common random numbers: the requests that arrived in the first
         * 10 minutes (all finished by the 20-minute cut) are the same, with
         * the same sizes, under every strategy */
        if (i == 0) {
            first = s;
        } else {
            CHECK_INT_EQ(s.early, first.early);
            CHECK_NEAR(s.arrival_hash, first.arrival_hash, 1e-9 * first.arrival_hash);
        }
        sim_result_free(&r);
    }

    /* the limit-blind strategies meet provider 429s */
    CHECK(upstream_429_all > 0);

    /* Determinism: 1 thread and 2 threads give byte-identical JSON. */
    struct sim_result r1[MAX_RUNS], r2[MAX_RUNS];
    int rc1[MAX_RUNS], rc2[MAX_RUNS];
    char *e1 = calloc(MAX_RUNS, sizeof err), *e2 = calloc(MAX_RUNS, sizeof err);
    CHECK(sim_compare(&scn, scn.compare, n, scn.seed, 1, r1, rc1, e1, sizeof err) == 0);
    CHECK(sim_compare(&scn, scn.compare, n, scn.seed, 2, r2, rc2, e2, sizeof err) == 0);
    char *j1 = json_of(&scn, r1, n), *j2 = json_of(&scn, r2, n);
    CHECK(j1 != NULL && j2 != NULL && strlen(j1) > 1000);
    CHECK(j1 && j2 && strcmp(j1, j2) == 0);
    /* A different seed changes the results. */
    struct sim_result r3;
    CHECK(sim_run(&scn, &scn.compare[0], scn.seed + 1, NULL, &r3, err, sizeof err) == 0);
    CHECK(r3.completed != r1[0].completed || r3.ttft.p99 != r1[0].ttft.p99);
    sim_result_free(&r3);
    /* Common random numbers: every strategy saw exactly the same arrivals. */
    for (uint32_t i = 1; i < n; i++)
        CHECK_INT_EQ(r1[i].requests + r1[i].unmeasured, r1[0].requests + r1[0].unmeasured);
    free(j1);
    free(j2);
    for (uint32_t i = 0; i < n; i++) {
        sim_result_free(&r1[i]);
        sim_result_free(&r2[i]);
    }
    free(e1);
    free(e2);
    scn_free(&scn);
    return check_report("val_accounting");
}
