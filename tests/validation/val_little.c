/*
 * val_little.c - Little's law and billing against an independent
 * per-request measurement, on runs without `duration:`.
 *
 * The engine integrates the number of measured requests in the system
 * event by event (sim__little_step) and divides by its window.  Here the
 * same quantities come from the per-request records alone (the on_request
 * hook: arrival and done times): the window is [warm-up, the last request's
 * end], and the time-average number in the system over it is the sum of
 * the sojourns inside the window divided by its length (every measured
 * request arrives after the warm-up and ends by the last end, so each
 * sojourn lies wholly inside).  Nothing after the last request may count:
 * not the window, not a replica-hour, not a time-series interval, whatever
 * reclaim, replacement or timeout events remain queued.
 *
 * Also: `queue_max: 0` is no waiting room.  c = 4 provider slots with no
 * queue, Poisson arrivals and no retries is the M/M/c/c loss system, whose
 * blocked share is Erlang B; `queue_max: unbounded` blocks nothing.
 *
 * Scenarios: tests/data/val_little_pool.yaml (an on-demand pool with a
 * 120 s attempt timeout) and tests/data/val_little_spot.yaml (a spot pool
 * reclaimed often, retry vs migrate).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"
#include "check.h"
#include "tmp.h"

#define NS_PER_S    1e9
#define NS_PER_HOUR 3.6e12

struct rec_sum {
    uint64_t n;        /* measured requests */
    double sojourn_ns; /* their summed time in system */
    int64_t last_ns;   /* the last request's end (measured or not) */
    uint64_t finished; /* all requests */
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct rec_sum *s = ctx;
    s->finished++;
    if (r->done_ns > s->last_ns)
        s->last_ns = r->done_ns;
    if (!r->measured)
        return;
    s->n++;
    s->sojourn_ns += (double)(r->done_ns - r->arrival_ns);
}

/* One run: the engine's Little figures and billing against the records. */
static int check_run(const struct scenario *scn, uint32_t i, struct sim_result *r,
                     struct rec_sum *s)
{
    char err[1024];
    memset(s, 0, sizeof *s);
    struct sim_hooks hooks = {.on_request = on_req, .ctx = s};
    if (sim_run(scn, &scn->compare[i], scn->seed, &hooks, r, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", scn->compare[i].label, err);
        CHECK(0);
        return -1;
    }
    double window_ns = (double)(s->last_ns - scn->warmup_ns);
    double l_ind = s->sojourn_ns / window_ns;
    double lambda_ind = (double)s->n / (window_ns / NS_PER_S);
    double w_ind = s->sojourn_ns / (double)s->n / NS_PER_S;
    /* each replica slot is billed at most over the window */
    double slot_bound_h = window_ns / NS_PER_HOUR, hours_bound = 0;
    for (uint32_t b = 0; b < r->n_backends; b++)
        if (r->backends[b].is_pool && r->backends[b].replica_hours > 0) {
            CHECK(r->backends[b].replica_hours <= slot_bound_h * (1 + 1e-12));
            hours_bound += slot_bound_h;
        }
    printf("%-16s %-8s last end %9.3f s, run end %9.3f s | L engine %8.4f records %8.4f | "
           "lambda engine %8.4f records %8.4f /s | W engine %.4f records %.4f s | "
           "lambda*W %8.4f | replica-h %.4f (window x billed slots %.4f) | cost $%.4f | reclaims "
           "%llu\n",
           scn->name, r->strategy, (double)s->last_ns / NS_PER_S, (double)r->end_ns / NS_PER_S,
           r->little_l, l_ind, r->little_lambda, lambda_ind, r->little_w_s, w_ind,
           r->little_lambda * r->little_w_s, r->replica_hours, hours_bound, r->cost_usd,
           (unsigned long long)r->preemptions);
    CHECK_INT_EQ(r->in_flight_at_end, 0);
    CHECK_INT_EQ(s->n, r->requests);
    /* the window ends with the last request */
    CHECK_INT_EQ(r->end_ns, s->last_ns);
    CHECK_NEAR(r->little_l, l_ind, 1e-9 * l_ind);
    CHECK_NEAR(r->little_lambda, lambda_ind, 1e-9 * lambda_ind);
    CHECK_NEAR(r->little_w_s, w_ind, 1e-9 * w_ind);
    CHECK_NEAR(r->little_l, r->little_lambda * r->little_w_s, 1e-9 * r->little_l);
    /* no interval after the window */
    int64_t want_ts = (s->last_ns + r->interval_ns - 1) / r->interval_ns;
    if (want_ts < 1)
        want_ts = 1;
    CHECK_INT_EQ(r->n_ts, want_ts);
    return 0;
}

static void test_pool(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("tests/data/val_little_pool.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return;
    }
    struct sim_result r;
    struct rec_sum s;
    if (check_run(&scn, 0, &r, &s) == 0) {
        /* two replicas serving from t = 0 to the last end, nothing else */
        CHECK_NEAR(r.replica_hours, 2.0 * (double)s.last_ns / NS_PER_HOUR, 1e-9 * r.replica_hours);
        CHECK_INT_EQ(r.timeouts, 0);
        sim_result_free(&r);
    }
    scn_free(&scn);
}

static void test_spot(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("tests/data/val_little_spot.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return;
    }
    CHECK_INT_EQ(scn.n_compare, 2);
    struct sim_result r[2];
    struct rec_sum s[2];
    int ok = 0;
    for (uint32_t i = 0; i < 2; i++)
        ok += check_run(&scn, i, &r[i], &s[i]) == 0;
    if (ok == 2) {
        CHECK(r[0].preemptions > 0 && r[1].preemptions > 0);
        /* common random numbers: the two pools differ only in on_kill,
         * so their replicas' lifecycles (reclaims, notices, replacements,
         * stock-outs, warm-ups) are the same: so is the serving count at
         * every interval end both runs reached */
        const struct sim_pool_result *a = &r[0].pools[0], *m = &r[1].pools[1];
        uint32_t nts = r[0].n_ts < r[1].n_ts ? r[0].n_ts : r[1].n_ts;
        uint32_t same = 0;
        for (uint32_t k = 0; k + 1 < nts; k++)
            same += a->serving_ts[k] == m->serving_ts[k];
        printf("serving replicas equal at %u of %u interval ends; reclaims %llu / %llu, "
               "replacements %llu / %llu, stock-outs %llu / %llu\n",
               same, nts - 1, (unsigned long long)a->preemptions,
               (unsigned long long)m->preemptions, (unsigned long long)a->replacements,
               (unsigned long long)m->replacements, (unsigned long long)a->stockouts,
               (unsigned long long)m->stockouts);
        CHECK_INT_EQ(same, nts - 1);
        CHECK_INT_EQ(a->preemptions, m->preemptions);
        CHECK_INT_EQ(a->replacements, m->replacements);
        CHECK_INT_EQ(a->stockouts, m->stockouts);
        /* replacements load the model without an autoscaler too: 60 s each,
         * unless reclaimed again or the run ended while loading */
        for (uint32_t i = 0; i < 2; i++)
            for (uint32_t k = 0; k < r[i].n_pools; k++) {
                const struct sim_pool_result *p = &r[i].pools[k];
                printf("%s pool %s: %llu replacements, warm-up %.1f s\n", r[i].strategy, p->name,
                       (unsigned long long)p->replacements, p->warmup_s);
                CHECK(p->warmup_s <= 60.0 * (double)p->replacements + 1e-9);
                if (p->replacements > 0)
                    CHECK(p->warmup_s > 0);
            }
        CHECK(r[0].unmeasured > 0);
        sim_result_free(&r[0]);
        sim_result_free(&r[1]);
    }
    scn_free(&scn);
}

/* Erlang B(c, a) by the recurrence B(k) = a B(k-1) / (k + a B(k-1)). */
static double erlang_b(unsigned c, double a)
{
    double b = 1.0;
    for (unsigned k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    return b;
}

static void test_no_waiting_room(void)
{
    static const char *const kinds[] = {"0", "unbounded"};
    char dir[TMP_DIR_MAX], path[TMP_PATH_MAX], yaml[1024], err[1024];
    CHECK(tmp_dir(dir, sizeof dir, "val_little") == 0);
    tmp_path(path, sizeof path, dir, "loss.yaml");
    for (int i = 0; i < 2; i++) {
        snprintf(yaml, sizeof yaml,
                 "seed: 3\n"
                 "traffic:\n"
                 "  synthetic: {arrivals: poisson, rate: 3.4/s, count: 40000,\n"
                 "              input_tokens: {dist: constant, value: 100},\n"
                 "              output_tokens: {dist: constant, value: 0}}\n"
                 "backends:\n"
                 "  - {name: server, kind: api, concurrency: 4, queue_max: %s,\n"
                 "     latency: {ttft: {dist: exponential, mean: 1s}}}\n"
                 "router: {retries: {max_attempts: 1}}\n"
                 "compare: [{strategy: round_robin, label: loss}]\n",
                 kinds[i]);
        CHECK(tmp_write_str(path, yaml) == 0);
        struct scenario scn;
        if (scn_load(path, &scn, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            continue;
        }
        struct sim_result r;
        if (sim_run(&scn, &scn.compare[0], scn.seed, NULL, &r, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            scn_free(&scn);
            continue;
        }
        double want = i == 0 ? erlang_b(4, 3.4) : 0.0;
        printf("queue_max %-9s blocked (429) %.4f, Erlang B(4, 3.4) %.4f, queue wait mean "
               "%.4f s\n",
               kinds[i], r.client_429_rate, erlang_b(4, 3.4), r.queue_wait_mean_s);
        /* 40,000 requests: the share's sd is ~0.0022 */
        CHECK_NEAR(r.client_429_rate, want, 0.011);
        CHECK_NEAR(r.attempts_per_request, 1.0, 1e-12); /* no retries */
        if (i == 0)
            CHECK_NEAR(r.queue_wait_mean_s, 0.0, 1e-12);
        else
            CHECK(r.queue_wait_mean_s > 0);
        sim_result_free(&r);
        scn_free(&scn);
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_no_waiting_room();
    test_pool();
    test_spot();
    return check_report("val_little");
}
