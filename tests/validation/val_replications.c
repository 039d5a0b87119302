/*
 * val_replications: the 95% t-intervals of `--replications` cover the
 * truth 95% of the time.
 *
 * tests/data/val_reps.yaml bills every request 100 input tokens at $1/M
 * plus a uniform {1..200} output length at $2/M, so the expectation of
 * one run's cost_per_1k_requests_usd is 1000 x (100e-6 + 100.5 x 2e-6) =
 * 0.301 USD exactly (the YAML says why), known without the simulator.
 * SETS independent sets of R = 10 replications (base seeds SEED0 + s, the
 * replication seeds from sim_rep_seed) each give one interval; the count
 * that covers 0.301 is Binomial(SETS, 0.95) when the intervals are right
 * and the replication seeds independent: mean 190, sd 3.1.  The test
 * accepts [COVER_LO, COVER_HI] = [180, 198] of 200, beyond 3 sd below
 * and at the 0.3% tail above (Poisson(10) misses <= 2); correlated
 * replication seeds would shrink the intervals and fall below.
 *
 * Also: the grand mean of every run agrees with 0.301 within 4 standard
 * errors; a strategy paired with itself differs by exactly 0 (common
 * random numbers); the results do not depend on the thread count.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "check.h"

#define SETS     200
#define R        10
#define SEED0    1000
#define COVER_LO 180
#define COVER_HI 198
/* 1000 x (100 x $1/M + 100.5 x $2/M): the expectation, in USD. */
#define TRUE_COST_PER_1K (1000.0 * (100.0 * 1e-6 + 100.5 * 2e-6))

int main(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("tests/data/val_reps.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const int k = SCN_SLO_COST_PER_1K;
    int covered = 0;
    double sum = 0.0, sumsq = 0.0, hw_sum = 0.0;
    for (int s = 0; s < SETS; s++) {
        struct sim_result res;
        int rc;
        if (sim_replicate(&scn, &scn.router.strategy, 1, SEED0 + (uint64_t)s, R, -1, 0, &res, &rc,
                          err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            break;
        }
        CHECK_INT_EQ(res.rep.replications, R);
        CHECK_INT_EQ(res.requests, 1000);
        struct sim_ci ci = res.rep.ci[k];
        covered += ci.lo <= TRUE_COST_PER_1K && TRUE_COST_PER_1K <= ci.hi;
        hw_sum += (ci.hi - ci.lo) / 2.0;
        sum += res.cost_per_1k_requests_usd;
        sumsq += res.cost_per_1k_requests_usd * res.cost_per_1k_requests_usd;
        sim_result_free(&res);
    }
    printf("coverage of the 95%% t-interval (R = %d): %d/%d = %.3f (accepted %d..%d); "
           "mean half-width %.5f USD\n",
           R, covered, SETS, (double)covered / SETS, COVER_LO, COVER_HI, hw_sum / SETS);
    CHECK(covered >= COVER_LO && covered <= COVER_HI);
    /* the set means are iid with the run's expectation */
    double mean = sum / SETS, sd = sqrt((sumsq - SETS * mean * mean) / (SETS - 1));
    printf("grand mean %.6f USD vs %.6f (standard error %.6f)\n", mean, TRUE_COST_PER_1K,
           sd / sqrt(SETS));
    CHECK_NEAR(mean, TRUE_COST_PER_1K, 4.0 * sd / sqrt(SETS));

    /* Common random numbers: the same strategy twice, paired, differs by
     * exactly zero on every SLO metric; the reference has no diff. */
    struct scn_strategy two[2] = {scn.router.strategy, scn.router.strategy};
    snprintf(two[1].label, sizeof two[1].label, "again");
    struct sim_result p[2], q[2];
    int prc[2], qrc[2];
    char perr[2][256], qerr[2][256];
    CHECK(sim_replicate(&scn, two, 2, 7, 5, 0, 1, p, prc, perr[0], sizeof perr[0]) == 0);
    CHECK(sim_replicate(&scn, two, 2, 7, 5, 0, 2, q, qrc, qerr[0], sizeof qerr[0]) == 0);
    CHECK(!p[0].rep.has_ref && p[1].rep.has_ref);
    CHECK(strcmp(p[1].rep.ref, p[0].strategy) == 0);
    for (int m = 0; m < SCN_SLO_COUNT_; m++) {
        double d = p[1].rep.diff_mean[m];
        CHECK(d == 0.0 || isnan(d)); /* NaN: the metric is undefined (no 429s...) */
    }
    CHECK(p[1].rep.diff_ci[k].lo == 0.0 && p[1].rep.diff_ci[k].hi == 0.0);
    /* thread count: identical means and intervals */
    CHECK(memcmp(p[0].rep.ci, q[0].rep.ci, sizeof p[0].rep.ci) == 0);
    CHECK(p[0].cost_usd == q[0].cost_usd && p[0].ttft.p99 == q[0].ttft.p99);
    CHECK(p[0].events == q[0].events);
    for (int i = 0; i < 2; i++) {
        sim_result_free(&p[i]);
        sim_result_free(&q[i]);
    }
    scn_free(&scn);
    return check_report("val_replications");
}
