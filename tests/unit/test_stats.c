/*
 * test_stats: t quantiles against printed tables, t-intervals and the
 * aggregation of replications on hand-made results, replication seeds.
 *
 * Tabulated quantiles: NIST/SEMATECH e-Handbook of Statistical Methods,
 * section 1.3.6.7.2, "Critical values of the Student's t distribution"
 * (upper-tail 0.025 and 0.05 columns), to the 3 decimals printed there,
 * and t_{0.975,9} = 2.262157 to 6 decimals (the usual 10-replication
 * factor).  Hand computations of the intervals are in the comments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "stats.h"
#include "check.h"

static void test_t_quantile(void)
{
    CHECK_NEAR(stats_t_quantile(0.975, 9), 2.262157, 5e-7);
    CHECK_NEAR(stats_t_quantile(0.975, 1), 12.706, 5e-4);
    CHECK_NEAR(stats_t_quantile(0.975, 2), 4.303, 5e-4);
    CHECK_NEAR(stats_t_quantile(0.975, 4), 2.776, 5e-4);
    CHECK_NEAR(stats_t_quantile(0.975, 19), 2.093, 5e-4);
    CHECK_NEAR(stats_t_quantile(0.975, 29), 2.045, 5e-4);
    CHECK_NEAR(stats_t_quantile(0.95, 4), 2.132, 5e-4);
    CHECK_NEAR(stats_t_quantile(0.95, 9), 1.833, 5e-4);
    /* symmetric, and the normal's 1.959964 in the limit */
    CHECK_NEAR(stats_t_quantile(0.025, 9), -2.262157, 5e-7);
    CHECK_NEAR(stats_t_quantile(0.975, 1e7), 1.959964, 1e-6);
    CHECK(isnan(stats_t_quantile(0.975, 0)));
    CHECK(isnan(stats_t_quantile(1.0, 5)));
}

static void test_mean_ci(void)
{
    /* {1..5}: mean 3, s^2 = 10/4, hw = 2.776445 x sqrt(2.5 / 5) = 1.963243 */
    const double x[] = {1, 2, 3, 4, 5};
    double m, hw;
    stats_mean_ci(x, 5, 0.95, &m, &hw);
    CHECK_NEAR(m, 3.0, 1e-15);
    CHECK_NEAR(hw, 1.963243, 1e-6);
    stats_mean_ci(x, 1, 0.95, &m, &hw);
    CHECK_NEAR(m, 1.0, 0);
    CHECK(isnan(hw));
    const double y[] = {1, NAN, 3};
    stats_mean_ci(y, 3, 0.95, &m, &hw);
    CHECK(isnan(m) && isnan(hw));
    /* constant: zero width */
    const double z[] = {0.25, 0.25, 0.25};
    stats_mean_ci(z, 3, 0.95, &m, &hw);
    CHECK(m == 0.25 && hw == 0.0);
}

static void test_rep_seed(void)
{
    CHECK(sim_rep_seed(42, 0) == 42);
    CHECK(sim_rep_seed(0, 0) == 0);
    /* distinct across r and across nearby base seeds */
    enum { N = 64 };
    uint64_t s[2 * N];
    for (uint32_t r = 0; r < N; r++) {
        s[r] = sim_rep_seed(42, r + 1);
        s[N + r] = sim_rep_seed(43, r + 1);
    }
    int dup = 0;
    for (int i = 0; i < 2 * N; i++)
        for (int j = i + 1; j < 2 * N; j++)
            dup += s[i] == s[j];
    CHECK_INT_EQ(dup, 0);
    CHECK(sim_rep_seed(42, 1) != 43 && sim_rep_seed(42, 1) != 42);
}

/* Three hand-made replications. */
static void make(struct sim_result *r, int i)
{
    static const double p99[3] = {1.0, 2.0, 4.0};
    static const uint64_t req[3] = {10, 11, 13};
    static const double cost[3] = {0.5, 0.5, 0.8};
    memset(r, 0, sizeof *r);
    snprintf(r->strategy, sizeof r->strategy, "hand");
    r->requests = req[i];
    r->ttft.p99 = p99[i];
    r->ttft.mean = 0.5 * p99[i];
    r->cost_per_1k_requests_usd = cost[i];
    r->escalation_rate = i == 1 ? NAN : 0.1;
    r->end_ns = 1000 + i;
    r->n_backends = 1;
    r->backends = calloc(1, sizeof *r->backends);
    r->backends[0].attempts = req[i];
    r->backends[0].cost_usd = cost[i];
    r->n_ts = 2;
    r->ts = calloc(2, sizeof *r->ts);
    r->ts[1].arrivals = 7 + (uint64_t)i;
}

static void test_aggregate(void)
{
    struct sim_result reps[3], mean;
    for (int i = 0; i < 3; i++)
        make(&reps[i], i);
    struct sim_ts_row *ts0 = reps[0].ts;
    CHECK(sim_aggregate(reps, 3, &mean) == 0);
    CHECK_INT_EQ(mean.rep.replications, 3);
    CHECK(strcmp(mean.strategy, "hand") == 0);
    /* counts: mean 34/3 = 11.33, rounded */
    CHECK_INT_EQ(mean.requests, 11);
    CHECK_INT_EQ(mean.end_ns, 1001);
    CHECK_NEAR(mean.ttft.p99, 7.0 / 3.0, 1e-15);
    CHECK_NEAR(mean.ttft.mean, 7.0 / 6.0, 1e-15);
    CHECK(isnan(mean.escalation_rate)); /* undefined in one replication */
    CHECK_INT_EQ(mean.backends[0].attempts, 11);
    CHECK_NEAR(mean.backends[0].cost_usd, 0.6, 1e-15);
    /* replication 0's time series moved over */
    CHECK(mean.ts == ts0 && reps[0].ts == NULL && mean.ts[1].arrivals == 7);
    /* p99 {1, 2, 4}: mean 7/3, s^2 = 7/3, hw = 4.302653 x sqrt(7/9) */
    double hw = 4.302653 * sqrt(7.0 / 9.0);
    CHECK_NEAR(mean.rep.ci[SCN_SLO_TTFT_P99].lo, 7.0 / 3.0 - hw, 1e-5);
    CHECK_NEAR(mean.rep.ci[SCN_SLO_TTFT_P99].hi, 7.0 / 3.0 + hw, 1e-5);

    /* verdicts: hi <= limit pass, lo > limit FAIL, else unsure */
    struct scn_slo slo;
    memset(&slo, 0, sizeof slo);
    slo.set[SCN_SLO_TTFT_P99] = true;
    slo.limit[SCN_SLO_TTFT_P99] = 7.0 / 3.0 + hw + 0.01;
    sim_slo_eval_ci(&slo, &mean);
    CHECK(mean.slo_pass && mean.rep.verdict == SIM_VERDICT_PASS && mean.n_violations == 0);
    slo.limit[SCN_SLO_TTFT_P99] = 3.0;
    sim_slo_eval_ci(&slo, &mean);
    CHECK(!mean.slo_pass && mean.rep.verdict == SIM_VERDICT_UNSURE);
    CHECK_INT_EQ(mean.n_violations, 1);
    CHECK_NEAR(mean.violations[0].value, 7.0 / 3.0, 1e-15);
    slo.set[SCN_SLO_COST_PER_1K] = true;
    slo.limit[SCN_SLO_COST_PER_1K] = 0.1; /* {0.5, 0.5, 0.8}: lo = 0.6 - 0.43 > 0.1 */
    sim_slo_eval_ci(&slo, &mean);
    CHECK(mean.rep.verdict == SIM_VERDICT_FAIL);
    CHECK_INT_EQ(mean.n_violations, 2);
    CHECK(mean.violations[1].verdict == SIM_VERDICT_FAIL);

    /* paired differences: p99 {1, 2, 4} - {0.5, 1.5, 3} = {0.5, 0.5, 1}:
       mean 2/3, s = 0.288675, hw = 4.302653 x 0.288675 / sqrt(3) */
    struct sim_result ref[3];
    for (int i = 0; i < 3; i++) {
        make(&ref[i], i);
        ref[i].ttft.p99 = (double[]){0.5, 1.5, 3.0}[i];
        snprintf(ref[i].strategy, sizeof ref[i].strategy, "base");
    }
    struct sim_rep out;
    memset(&out, 0, sizeof out);
    sim_paired_diff(reps, ref, 3, &out);
    CHECK(out.has_ref && strcmp(out.ref, "base") == 0);
    CHECK_NEAR(out.diff_mean[SCN_SLO_TTFT_P99], 2.0 / 3.0, 1e-15);
    double dhw = 4.302653 * sqrt(1.0 / 12.0) / sqrt(3.0);
    CHECK_NEAR(out.diff_ci[SCN_SLO_TTFT_P99].hi - 2.0 / 3.0, dhw, 1e-6);
    CHECK(out.diff_mean[SCN_SLO_COST_PER_1K] == 0.0);

    /* R = 1: the result itself, no intervals */
    struct sim_result one[1], m1;
    make(&one[0], 2);
    CHECK(sim_aggregate(one, 1, &m1) == 0);
    CHECK(m1.rep.replications == 0 && m1.requests == 13 && m1.ttft.p99 == 4.0);
    CHECK(sim_aggregate(one, 0, &m1) == -1);

    for (int i = 0; i < 3; i++) {
        sim_result_free(&reps[i]);
        sim_result_free(&ref[i]);
    }
    sim_result_free(&mean);
    sim_result_free(&one[0]);
    sim_result_free(&m1);
}

int main(void)
{
    test_t_quantile();
    test_mean_ci();
    test_rep_seed();
    test_aggregate();
    return check_report("test_stats");
}
