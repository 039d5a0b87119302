/*
 * val_queueing.c - the engine against queueing theory.
 *
 *  - M/M/4 (the contract scenario, 10^6 requests): mean wait in
 *    queue and P(wait) against Erlang C (Erlang, 1917; computed through
 *    the Erlang B recursion), within the 99% batch-means confidence
 *    interval (20 batches, Student t with 19 degrees of freedom).
 *  - M/M/1 at rho = 0.7: Wq = rho / (mu - lambda).
 *  - M/D/1 at rho = 0.8: Pollaczek-Khinchine Wq = rho / (2 mu (1 - rho)).
 *  - The summary's queue_wait_s.mean equals the per-request mean, and the
 *    summary's TTFT mean equals Wq + E[S] (time in system with no output).
 */
#include <math.h>
#include <stdlib.h>

#include "sim.h"
#include "check.h"

#define BATCHES 20
/* Student t quantile, 0.995, 19 degrees of freedom (two-sided 99%). */
#define T99_DF19 2.860934606

struct batch_acc {
    uint64_t expected; /* requests in the run */
    uint64_t n;
    uint64_t waited;
    double sum[BATCHES];
    uint64_t cnt[BATCHES];
    double total;
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct batch_acc *a = ctx;
    double w = (double)r->queue_wait_ns / 1e9;
    uint64_t k = a->n * BATCHES / a->expected;
    if (k >= BATCHES)
        k = BATCHES - 1;
    a->sum[k] += w;
    a->cnt[k]++;
    a->total += w;
    a->waited += r->queue_wait_ns > 0;
    a->n++;
}

/* Erlang C probability of waiting for c servers at offered load a. */
static double erlang_c(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    double rho = a / c;
    return b / (1.0 - rho * (1.0 - b));
}

struct run_out {
    double mean, half, pwait;
    struct sim_result res;
};

static int run(const char *path, uint64_t n, struct run_out *o)
{
    char err[1024];
    struct scenario scn;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0); /* a missing scenario is a failure, never a silent pass */
        return -1;
    }
    struct batch_acc *a = calloc(1, sizeof *a);
    a->expected = n;
    struct sim_hooks hooks = {.on_request = on_req, .ctx = a};
    int rc = sim_run(&scn, &scn.router.strategy, scn.seed, &hooks, &o->res, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        scn_free(&scn);
        free(a);
        return -1;
    }
    double m = 0, s2 = 0, bm[BATCHES];
    for (int k = 0; k < BATCHES; k++) {
        bm[k] = a->sum[k] / (double)a->cnt[k];
        m += bm[k] / BATCHES;
    }
    for (int k = 0; k < BATCHES; k++)
        s2 += (bm[k] - m) * (bm[k] - m) / (BATCHES - 1);
    o->mean = a->total / (double)a->n;
    o->half = T99_DF19 * sqrt(s2 / BATCHES);
    o->pwait = (double)a->waited / (double)a->n;
    CHECK_INT_EQ(a->n, n);
    scn_free(&scn);
    free(a);
    return 0;
}

int main(void)
{
    struct run_out o;

    /* M/M/4, lambda 3.4, mu 1 */
    if (run("tests/data/val_mm4.yaml", 1000000, &o) == 0) {
        double pc = erlang_c(4, 3.4);
        double wq = pc / (4.0 * 1.0 - 3.4);
        printf("M/M/4: Wq sim %.5f s +- %.5f (99%%), Erlang C %.5f s (%.2f%%); "
               "P(wait) sim %.5f, Erlang C %.5f\n",
               o.mean, o.half, wq, 100.0 * (o.mean - wq) / wq, o.pwait, pc);
        CHECK(fabs(o.mean - wq) <= o.half);
        CHECK(o.half < 0.05 * wq); /* the interval is tight enough to mean something */
        CHECK_NEAR(o.pwait, pc, 0.01);
        CHECK_NEAR(o.res.queue_wait_mean_s, o.mean, 1e-9 * o.mean);
        /* time in system = Wq + 1 s of service (TTFT includes the wait) */
        CHECK_NEAR(o.res.ttft.mean, o.mean + 1.0, 0.02);
        CHECK_INT_EQ(o.res.completed, 1000000);
        CHECK_INT_EQ(o.res.failed, 0);
        sim_result_free(&o.res);
    }

    /* M/M/1, lambda 0.7, mu 1 */
    if (run("tests/data/val_mm1.yaml", 1000000, &o) == 0) {
        double wq = 0.7 / (1.0 - 0.7);
        printf("M/M/1: Wq sim %.5f s +- %.5f (99%%), theory %.5f s (%.2f%%)\n", o.mean, o.half, wq,
               100.0 * (o.mean - wq) / wq);
        CHECK(fabs(o.mean - wq) <= o.half);
        CHECK_NEAR(o.pwait, 0.7, 0.005);
        sim_result_free(&o.res);
    }

    /* M/D/1, lambda 0.8, D = 1 s */
    if (run("tests/data/val_md1.yaml", 1000000, &o) == 0) {
        double wq = 0.8 / (2.0 * (1.0 - 0.8));
        printf("M/D/1: Wq sim %.5f s +- %.5f (99%%), Pollaczek-Khinchine %.5f s (%.2f%%)\n", o.mean,
               o.half, wq, 100.0 * (o.mean - wq) / wq);
        CHECK(fabs(o.mean - wq) <= o.half);
        /* deterministic service: every TTFT is wait + exactly 1 s */
        CHECK_NEAR(o.res.ttft.mean, o.mean + 1.0, 1e-6);
        sim_result_free(&o.res);
    }
    return check_report("val_queueing");
}
