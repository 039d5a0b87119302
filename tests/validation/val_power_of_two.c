/*
 * val_power_of_two.c - route/'s load-aware strategies against Mitzenmacher,
 * "The Power of Two Choices in Randomized Load Balancing", IEEE TPDS
 * 12(10):1094-1104, 2001 (the supermarket model).
 *
 * n = 100 servers of one slot each, a FIFO queue at each, exponential
 * service of mean 1 s, Poisson arrivals at rate lambda n, lambda = 0.9 and
 * 0.7 (tests/data/val_p2c_*.yaml; 10^6 and 4 x 10^5 requests, random at
 * 0.9 on 2 x 10^6; the first 10% of the time not measured).  The router's
 * in-flight count of a backend counts the attempts dispatched and not
 * completed, i.e. exactly the customers at that one-slot FIFO server, so
 * power_of_two is the paper's model with d = 2.  Mean time in system T =
 * the TTFT mean (output tokens are 0).
 *
 *  - random: each server is an independent M/M/1 at load lambda (Poisson
 *    splitting): T = 1 / (1 - lambda).  Accepted within 3 standard errors,
 *    estimated from the 100 per-server means (independent under random
 *    routing; a time-batch estimate would be biased low by the M/M/1's
 *    long relaxation time, ~1 / (1 - sqrt(lambda))^2 = 380 s at 0.9).
 *  - power_of_two: the paper's limit (n -> infinity) of the expected time
 *    in system with d choices, T_d(lambda) = sum_{i >= 1}
 *    lambda^((d^i - d) / (d - 1)); d = 2: sum_i lambda^(2^i - 2) = 2.6141
 *    at 0.9 and 1.6145 at 0.7 (computed below).  At finite n the
 *    expectation is above the limit by an O(1/n) term (the paper's
 *    simulations of 100 queues lie slightly above its estimates); route/
 *    draws two distinct servers, which the limit does not distinguish
 *    from two independent draws but which helps slightly at finite n.
 *    Accepted: T in [limit - 3 SE, limit x 1.04].  The upper margin holds
 *    the finite-n excess at these loads and is a tenth of the gap to the
 *    nearest other policy (join-the-shortest-queue is ~60% lower, one
 *    choice ~4x higher at 0.9), so a wrong load signal fails it.
 *  - least_inflight (join the shortest queue): strictly better than
 *    power_of_two (3-SE intervals disjoint) and no better than the pooled
 *    M/M/100 queue (Erlang C), which no dispatching policy beats.
 *
 * The standard errors of power_of_two and least_inflight come from 20
 * batch means in arrival order (batches of 45,000 and 18,000 customers,
 * far longer than the relaxation times of these fast-mixing systems).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "check.h"

#define BATCHES 20
#define SERVERS 100
#define Z3      3.0 /* three standard errors: a false alarm < 0.3% per check */

struct acc {
    uint64_t expected; /* measured requests expected in the run */
    uint64_t n;
    double total;
    double bsum[BATCHES];
    uint64_t bcnt[BATCHES];
    double ssum[SERVERS];
    uint64_t scnt[SERVERS];
    uint64_t bad; /* not a success, or no backend */
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct acc *a = ctx;
    if (!r->measured)
        return;
    if (r->final_status != 200 || r->backend < 0 || r->backend >= SERVERS ||
        r->first_token_ns < r->arrival_ns) {
        a->bad++;
        return;
    }
    double t = (double)(r->first_token_ns - r->arrival_ns) / 1e9;
    uint64_t k = a->n * BATCHES / a->expected;
    if (k >= BATCHES)
        k = BATCHES - 1;
    a->bsum[k] += t;
    a->bcnt[k]++;
    a->ssum[r->backend] += t;
    a->scnt[r->backend]++;
    a->total += t;
    a->n++;
}

struct est {
    double mean;    /* mean time in system, s */
    double se_time; /* standard error from batch means */
    double se_srv;  /* standard error from per-server means (ratio estimator) */
    double summary; /* the summary's TTFT mean */
};

static int run(const struct scenario *scn, const char *name, uint64_t expected, struct est *e)
{
    char err[1024];
    struct scn_strategy st;
    if (scn_strategy_by_name(name, &st, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return -1;
    }
    struct acc *a = calloc(1, sizeof *a);
    if (a == NULL) {
        CHECK(0);
        return -1;
    }
    a->expected = expected;
    struct sim_hooks hooks = {.on_request = on_req, .ctx = a};
    struct sim_result res;
    if (sim_run(scn, &st, scn->seed, &hooks, &res, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        CHECK(0);
        free(a);
        return -1;
    }
    CHECK_INT_EQ(a->bad, 0);
    CHECK_INT_EQ(res.failed, 0);
    CHECK_INT_EQ(res.in_flight_at_end, 0);
    /* about the expected number measured (the warmup cut is by time) */
    CHECK(fabs((double)a->n - (double)expected) < 0.01 * (double)expected);

    e->mean = a->total / (double)a->n;
    double m = 0, s2 = 0, bm[BATCHES];
    for (int k = 0; k < BATCHES; k++) {
        bm[k] = a->bsum[k] / (double)a->bcnt[k];
        m += bm[k] / BATCHES;
    }
    for (int k = 0; k < BATCHES; k++)
        s2 += (bm[k] - m) * (bm[k] - m) / (BATCHES - 1);
    e->se_time = sqrt(s2 / BATCHES);
    double v = 0;
    for (int j = 0; j < SERVERS; j++) {
        double d = a->ssum[j] - e->mean * (double)a->scnt[j];
        v += d * d;
    }
    e->se_srv = sqrt(v * SERVERS / (SERVERS - 1.0)) / (double)a->n;
    e->summary = res.ttft.mean;
    /* TTFT mean of the summary = time in system (zero output tokens); the
     * summary's histogram mean is exact (a running sum), not binned */
    CHECK_NEAR(e->summary, e->mean, 1e-6 * e->mean);
    sim_result_free(&res);
    free(a);
    return 0;
}

/* The supermarket model's limit: sum_{i >= 1} lambda^((d^i - d)/(d - 1)). */
static double supermarket_limit(double lambda, int d)
{
    double t = 0, di = d; /* d^i */
    for (int i = 1; i < 64; i++) {
        double term = pow(lambda, (di - d) / (d - 1));
        t += term;
        if (term < 1e-15)
            break;
        di *= d;
    }
    return t;
}

/* Mean time in system of M/M/c at offered load a (Erlang C), mu = 1. */
static double mmc_time(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    double pc = b / (1.0 - (a / c) * (1.0 - b));
    return 1.0 + pc / (c - a);
}

/* Run `strategy` on the scenario at `path` (count requests, rate lambda n). */
static int run_file(const char *path, double lambda, uint64_t count, const char *strategy,
                    uint64_t *measured, struct est *e)
{
    char err[1024];
    struct scenario scn;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0); /* a missing scenario is a failure, never a silent pass */
        return -1;
    }
    CHECK_INT_EQ(scn.n_backends, SERVERS);
    *measured = count - (uint64_t)llround((double)scn.warmup_ns / 1e9 * lambda * SERVERS);
    int rc = run(&scn, strategy, *measured, e);
    scn_free(&scn);
    return rc;
}

/* `path`: power_of_two and least_inflight; `path_mm1`: random (M/M/1
 * needs more requests at high load; may be the same file). */
static void validate(const char *path, uint64_t count, const char *path_mm1, uint64_t count_mm1,
                     double lambda)
{
    struct est r, p, j;
    uint64_t n_r, expected;
    if (run_file(path_mm1, lambda, count_mm1, "random", &n_r, &r) != 0 ||
        run_file(path, lambda, count, "power_of_two", &expected, &p) != 0 ||
        run_file(path, lambda, count, "least_inflight", &expected, &j) != 0)
        return;
    double mm1 = 1.0 / (1.0 - lambda);
    double lim = supermarket_limit(lambda, 2);
    double mmc = mmc_time(SERVERS, lambda * SERVERS);
    printf("lambda %.2f, n = %d servers, %llu measured requests (random: %llu):\n", lambda, SERVERS,
           (unsigned long long)expected, (unsigned long long)n_r);
    printf("  random          T sim %.4f s +- %.4f (SE), M/M/1 1/(1-lambda) %.4f s (%+.2f%%)\n",
           r.mean, r.se_srv, mm1, 100.0 * (r.mean - mm1) / mm1);
    printf("  power_of_two    T sim %.4f s +- %.4f (SE), limit T_2 %.4f s (%+.2f%%)\n", p.mean,
           p.se_time, lim, 100.0 * (p.mean - lim) / lim);
    printf("  least_inflight  T sim %.4f s +- %.4f (SE), M/M/%d lower bound %.4f s\n", j.mean,
           j.se_time, SERVERS, mmc);

    /* random = M/M/1 per server */
    CHECK(fabs(r.mean - mm1) <= Z3 * r.se_srv);
    CHECK(r.se_srv < 0.03 * mm1); /* tight enough to mean something */
    /* power_of_two = the supermarket model */
    CHECK(p.mean >= lim - Z3 * p.se_time);
    CHECK(p.mean <= lim * 1.04);
    CHECK(p.se_time < 0.015 * lim);
    /* join the shortest queue: strictly better, never better than pooling */
    CHECK(j.mean + Z3 * j.se_time < p.mean - Z3 * p.se_time);
    CHECK(j.mean >= mmc - Z3 * j.se_time);
}

int main(void)
{
    validate("tests/data/val_p2c_09.yaml", 1000000, "tests/data/val_p2c_09_mm1.yaml", 2000000, 0.9);
    validate("tests/data/val_p2c_07.yaml", 400000, "tests/data/val_p2c_07.yaml", 400000, 0.7);
    return check_report("val_power_of_two");
}
