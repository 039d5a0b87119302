/*
 * val_tparallel: time-parallel replay (sim/tparallel.c) against the
 * sequential run (docs/time-parallel.md, "Measured error").
 *
 * Two traffics: (a) the quickstart scenario (an hour of the Azure 2023
 * conversation trace at 4x, a 10-minute outage of one account), (b) a
 * synthetic day with a diurnal rate (bench/week.yaml cut to 24 h at 2/s
 * mean, 172,800 requests).  For W = 2, 4, 8 windows:
 *  - the request count is exactly the sequential run's (each arrival is
 *    measured by exactly one window);
 *  - TTFT p50 and p99, the client 429 rate, the error rate and the cost
 *    per 1k requests, averaged over the same R = 10 seeds (sim_rep_seed),
 *    differ from the sequential runs' mean by less than the two-sample
 *    95% interval of the difference (t with 18 degrees of freedom, held
 *    family-wise over the 30 comparisons): no bias the replications can
 *    detect.  The table marks with * the
 *    errors beyond the sequential run's own 95% half-width (brief's
 *    target), which a fresh sample of the same distribution exceeds one
 *    time in ten.  One seed is not compared
 *    alone: a window restarts the strategy's state (round_robin's pointer),
 *    so its requests can go to other backends and draw other latencies, a
 *    fresh sample whose spread is a run's, not its mean's;
 *  - the merged result is the same at 1 and 2 threads.
 * The table of errors is printed (copied into docs/time-parallel.md).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "check.h"

#define R 10
/* Student t quantiles: 0.975 with 9 degrees of freedom (R - 1, the
 * sequential interval); with 18 (the two-sample difference, R + R - 2) at
 * 1 - 0.05 / 60: 30 comparisons (2 traffics x 3 W x 5 metrics) held to a
 * family-wise 95% (Bonferroni), else one in twenty fails by chance. */
#define T_975_9     2.262
#define T_FAMILY_18 3.380

struct metric {
    const char *name;
    enum scn_slo_metric slo;
};

static const struct metric metrics[] = {
    {"ttft_p50", SCN_SLO_TTFT_P50},
    {"ttft_p99", SCN_SLO_TTFT_P99},
    {"client_429_rate", SCN_SLO_CLIENT_429_RATE},
    {"error_rate", SCN_SLO_ERROR_RATE},
    {"cost_per_1k", SCN_SLO_COST_PER_1K},
};
#define N_METRICS (sizeof metrics / sizeof metrics[0])

static void one(const char *label, const struct scenario *scn, const char *strategy)
{
    char err[1024];
    struct scn_strategy strat;
    if (scn_strategy_by_name(strategy, &strat, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return;
    }
    const struct scn_strategy *st = &strat;
    struct sim_result seq, reps;
    int rc;
    if (sim_compare(scn, st, 1, scn->seed, 2, &seq, &rc, err, sizeof err) != 0 ||
        sim_replicate(scn, st, 1, scn->seed, R, -1, 2, &reps, &rc, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", label, err);
        CHECK(0);
        return;
    }
    printf("%s, %s: %llu requests; mean over R = %d seeds: W windows - sequential, and the "
           "sequential 95%% CI half-width\n",
           label, strategy, (unsigned long long)seq.requests, R);
    printf("  (* outside the sequential CI; asserted: inside the family-wise 95%% two-sample "
           "interval)\n");
    printf("  %-16s %12s %12s %12s %12s %12s\n", "metric", "seq mean", "CI half", "W=2 err",
           "W=4 err", "W=8 err");
    double errs[3][N_METRICS];
    bool within[3][N_METRICS];
    uint32_t ws[3] = {2, 4, 8};
    for (int i = 0; i < 3; i++) {
        struct sim_tpar tp = {ws[i], sim_tpar_default_overlap_ns(scn)};
        double sum[N_METRICS] = {0}, sumsq[N_METRICS] = {0};
        for (uint32_t r = 0; r < R; r++) {
            struct sim_result tr, t1;
            int trc, t1rc;
            uint64_t seed = sim_rep_seed(scn->seed, r);
            if (sim_tpar_run(scn, st, 1, seed, &tp, 2, &tr, &trc, err, sizeof err) != 0) {
                fprintf(stderr, "%s W=%u: %s\n", label, ws[i], err);
                CHECK(0);
                return;
            }
            if (r == 0)
                CHECK_INT_EQ(tr.requests, seq.requests);
            CHECK_INT_EQ(tr.completed + tr.failed + tr.in_flight_at_end, tr.requests);
            for (size_t m = 0; m < N_METRICS; m++) {
                double v = sim_slo_value(&tr, metrics[m].slo);
                sum[m] += v;
                sumsq[m] += v * v;
            }
            if (ws[i] == 4 && r == 0) { /* the same at 1 thread */
                if (sim_tpar_run(scn, st, 1, seed, &tp, 1, &t1, &t1rc, err, sizeof err) != 0) {
                    CHECK(0);
                } else {
                    CHECK_INT_EQ(t1.requests, tr.requests);
                    CHECK_INT_EQ(t1.events, tr.events);
                    CHECK(t1.cost_usd == tr.cost_usd);
                    CHECK(t1.ttft.p99 == tr.ttft.p99 && t1.e2e.p99 == tr.e2e.p99);
                    CHECK(t1.little_l == tr.little_l);
                    CHECK_INT_EQ(t1.n_ts, tr.n_ts);
                    CHECK(t1.n_ts == tr.n_ts &&
                          memcmp(t1.ts, tr.ts, (size_t)tr.n_ts * sizeof *tr.ts) == 0);
                    sim_result_free(&t1);
                }
            }
            sim_result_free(&tr);
        }
        for (size_t m = 0; m < N_METRICS; m++) {
            struct sim_ci ci = reps.rep.ci[metrics[m].slo];
            double mean = sum[m] / R;
            double d = mean - sim_slo_value(&reps, metrics[m].slo);
            double var_t = (sumsq[m] - R * mean * mean) / (R - 1);
            double se_s = (ci.hi - ci.lo) / 2.0 / T_975_9; /* the sequential mean's s.e. */
            double half = T_FAMILY_18 * sqrt(se_s * se_s + (var_t > 0 ? var_t : 0) / R);
            errs[i][m] = d;
            within[i][m] = fabs(d) <= (ci.hi - ci.lo) / 2.0 + 1e-12;
            CHECK(fabs(d) <= half + 1e-12);
        }
    }
    for (size_t m = 0; m < N_METRICS; m++) {
        struct sim_ci ci = reps.rep.ci[metrics[m].slo];
        printf("  %-16s %12.6g %12.6g %12.6g%c %12.6g%c %12.6g%c\n", metrics[m].name,
               sim_slo_value(&reps, metrics[m].slo), (ci.hi - ci.lo) / 2.0, errs[0][m],
               within[0][m] ? ' ' : '*', errs[1][m], within[1][m] ? ' ' : '*', errs[2][m],
               within[2][m] ? ' ' : '*');
    }
    sim_result_free(&seq);
    sim_result_free(&reps);
}

int main(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("scenarios/examples/quickstart.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    one("quickstart", &scn, "round_robin");
    scn_free(&scn);

    const struct scn_set day[] = {
        {"duration", "24h", "val_tparallel"},
        {"traffic.synthetic.duration", "24h", "val_tparallel"},
        {"traffic.synthetic.rate", "2/s", "val_tparallel"},
        {"interval", "30m", "val_tparallel"},
    };
    if (scn_load_set("bench/week.yaml", NULL, day, 4, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    one("diurnal day", &scn, "round_robin");

    /* refusals: a warm-up past the first window */
    struct scenario w = scn;
    w.warmup_ns = 13LL * 3600 * 1000000000LL;
    struct sim_tpar tp = {2, 0};
    struct sim_result r;
    int rc;
    CHECK(sim_tpar_run(&w, &scn.router.strategy, 1, scn.seed, &tp, 1, &r, &rc, err, sizeof err) !=
          0);
    CHECK_STR_CONTAINS(err, "warmup");
    scn_free(&scn);
    return check_report("val_tparallel");
}
