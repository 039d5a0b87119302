/*
 * val_labels.c - per-label results (runs[i].by_label) recounted from the
 * per-request records, label SLO verdicts, and the per-interval TTFT
 * quantiles and per-backend series of the time series (issue 14).
 *
 * The scenario (tests/data/val_labels.yaml): two tenants, one in sessions,
 * a priority and a task on one of them, two rate-limited APIs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "check.h"

#define MAX_VALUES 16
#define MAX_REQS   20000
#define MAX_TS     64
/* labels.c's histogram: 16 linear sub-buckets per octave, reported at the
 * midpoint: at most half a bucket, 1/32 of the octave's lower end. */
#define LH_REL_ERR (1.0 / 32.0 + 1e-9)

struct val {
    char value[SCN_NAME_MAX];
    uint64_t requests, completed, failed, attempts;
    double cost;
    int64_t *ttft; /* ns, of the completed ones */
    uint32_t n_ttft;
};

struct recount {
    struct val v[SCN_LABEL_KINDS_][MAX_VALUES];
    uint32_t n[SCN_LABEL_KINDS_];
    int64_t interval_ns;
    int64_t *ts_ttft[MAX_TS]; /* completed requests' TTFT by the interval they finished in */
    uint32_t ts_n[MAX_TS];
    int64_t buf[8][MAX_REQS]; /* storage for the TTFT lists */
    uint32_t used;
};

static int64_t *take(struct recount *c)
{
    return c->used < 8 ? c->buf[c->used++] : NULL;
}

static struct val *val_of(struct recount *c, int k, const char *value)
{
    const char *v = value[0] ? value : "(unset)";
    for (uint32_t i = 0; i < c->n[k]; i++)
        if (strcmp(c->v[k][i].value, v) == 0)
            return &c->v[k][i];
    if (c->n[k] == MAX_VALUES)
        return NULL;
    struct val *x = &c->v[k][c->n[k]++];
    memset(x, 0, sizeof *x);
    snprintf(x->value, sizeof x->value, "%s", v);
    return x;
}

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct recount *c = ctx;
    if (!r->measured)
        return;
    for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
        const char *v = r->label[k];
        if (k == SCN_LABEL_PRIORITY && v[0] == '\0')
            v = "0";
        struct val *x = val_of(c, k, v);
        CHECK(x != NULL);
        if (x == NULL)
            continue;
        x->requests++;
        x->attempts += r->attempts;
        x->cost += r->cost_usd;
        if (r->final_status == 200) {
            x->completed++;
            if (k == SCN_LABEL_TENANT) {
                if (x->ttft == NULL)
                    x->ttft = take(c);
                if (x->ttft && x->n_ttft < MAX_REQS)
                    x->ttft[x->n_ttft++] = r->first_token_ns - r->arrival_ns;
            }
        } else {
            x->failed++;
        }
    }
    if (r->final_status == 200) {
        int64_t k = r->done_ns / c->interval_ns;
        if (k >= 0 && k < MAX_TS) {
            if (c->ts_ttft[k] == NULL) {
                c->ts_ttft[k] = malloc(MAX_REQS * sizeof(int64_t));
                CHECK(c->ts_ttft[k] != NULL);
            }
            if (c->ts_ttft[k] && c->ts_n[k] < MAX_REQS)
                c->ts_ttft[k][c->ts_n[k]++] = r->first_token_ns - r->arrival_ns;
        }
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The exact nearest-rank quantile of x[0..n) (sorted here), seconds. */
static double exact_q(int64_t *x, uint32_t n, double q)
{
    qsort(x, n, sizeof *x, cmp_i64);
    uint64_t rank = (uint64_t)ceil(q * (double)n - 1e-9);
    if (rank < 1)
        rank = 1;
    return (double)x[rank - 1] / 1e9;
}

static void check_close(double got, double want, double rel, const char *what)
{
    bool ok = fabs(got - want) <= rel * fabs(want) + 1e-12;
    if (!ok)
        fprintf(stderr, "%s: got %.9g, want %.9g (rel %.3g)\n", what, got, want, rel);
    CHECK(ok);
}

int main(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("tests/data/val_labels.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    CHECK_INT_EQ(scn.slo.n_labels, 3);
    CHECK(scn.slo.labels[0].kind == SCN_LABEL_TENANT);
    CHECK(strcmp(scn.slo.labels[0].value, "chat") == 0);
    CHECK(scn.slo.labels[2].kind == SCN_LABEL_PRIORITY);
    CHECK(strcmp(scn.slo.labels[2].value, "5") == 0);
    CHECK(scn.slo.set[SCN_SLO_CLIENT_429_RATE] && scn.slo.set[SCN_SLO_TTFT_P99]);

    for (uint32_t i = 0; i < scn.n_compare; i++) {
        struct recount *c = calloc(1, sizeof *c);
        CHECK(c != NULL);
        if (c == NULL)
            break;
        c->interval_ns = scn.interval_ns;
        struct sim_hooks hooks = {.on_request = on_req, .ctx = c};
        struct sim_result r;
        if (sim_run(&scn, &scn.compare[i], scn.seed, &hooks, &r, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            free(c);
            continue;
        }
        /* the kinds the traffic carries: tenant, task, priority */
        bool seen[SCN_LABEL_KINDS_] = {false};
        for (uint32_t j = 0; j < r.n_labels; j++)
            seen[r.labels[j].kind] = true;
        CHECK(seen[SCN_LABEL_TENANT] && seen[SCN_LABEL_TASK] && seen[SCN_LABEL_PRIORITY]);
        CHECK(!seen[SCN_LABEL_MODEL_GROUP] && !seen[SCN_LABEL_REGION]);
        CHECK(r.requests > 5000);
        /* per kind, the values add up to the run */
        for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
            if (!seen[k])
                continue;
            uint64_t req = 0, done = 0, att = 0;
            double cost = 0.0;
            for (uint32_t j = 0; j < r.n_labels; j++) {
                const struct sim_label_result *e = &r.labels[j];
                if ((int)e->kind != k)
                    continue;
                req += e->m.requests;
                done += e->m.completed;
                att += e->m.attempts;
                cost += e->m.cost_usd;
                /* the same numbers from the per-request records */
                struct val *x = val_of(c, k, e->value);
                CHECK(x != NULL);
                if (x == NULL)
                    continue;
                CHECK_INT_EQ(e->m.requests, x->requests);
                CHECK_INT_EQ(e->m.completed, x->completed);
                CHECK_INT_EQ(e->m.failed, x->failed);
                CHECK_INT_EQ(e->m.attempts, x->attempts);
                check_close(e->m.cost_usd, x->cost, 1e-9, "label cost");
                CHECK_INT_EQ(e->m.in_flight_at_end, e->m.requests - e->m.completed - e->m.failed);
                check_close(e->m.error_rate, (double)x->failed / (double)x->requests, 1e-12,
                            "label error_rate");
                if (k == SCN_LABEL_TENANT && x->n_ttft > 0) {
                    check_close(e->m.ttft.p50, exact_q(x->ttft, x->n_ttft, 0.50), LH_REL_ERR,
                                "label ttft p50");
                    check_close(e->m.ttft.p99, exact_q(x->ttft, x->n_ttft, 0.99), LH_REL_ERR,
                                "label ttft p99");
                }
            }
            CHECK_INT_EQ(req, r.requests);
            CHECK_INT_EQ(done, r.completed);
            CHECK_INT_EQ(att, r.attempts);
            check_close(cost, r.cost_usd, 1e-9, "sum of label costs"); /* APIs only */
        }
        /* label SLOs: chat misses ttft_p99, nobody has no data, priority 5
           passes; the run fails on them */
        CHECK_INT_EQ(r.n_label_slo, 3);
        if (r.n_label_slo == 3) {
            const struct sim_label_result *chat = sim_label_find(&r, SCN_LABEL_TENANT, "chat");
            CHECK(chat != NULL);
            CHECK(!r.label_slo[0].pass && !r.label_slo[0].no_data);
            CHECK_INT_EQ(r.label_slo[0].n_violations, 1);
            CHECK(r.label_slo[0].violations[0].metric == SCN_SLO_TTFT_P99);
            if (chat)
                CHECK(r.label_slo[0].violations[0].value == chat->m.ttft.p99);
            CHECK(!r.label_slo[1].pass && r.label_slo[1].no_data);
            CHECK(r.label_slo[2].pass);
        }
        CHECK(!r.slo_pass);
        /* sessions: chat's requests come three to a conversation */
        const struct sim_label_result *chat = sim_label_find(&r, SCN_LABEL_TENANT, "chat");
        CHECK(r.conversations > 0);
        if (chat)
            CHECK(3 * r.conversations >= chat->m.requests && r.conversations <= chat->m.requests);
        CHECK(isfinite(r.cost_per_conversation_usd) && r.cost_per_conversation_usd > 0);
        CHECK(r.goodput > 0 && r.goodput <= (double)r.completed / (double)r.requests);
        /* time series: per-backend rows add up to the interval's, TTFT
           quantiles match the records' */
        CHECK(r.ts_backends != NULL);
        uint64_t succ = 0;
        for (uint32_t k = 0; r.ts_backends && k < r.n_ts; k++) {
            const struct sim_ts_row *t = &r.ts[k];
            uint64_t a = 0, u = 0, e = 0;
            double cost = 0.0;
            for (uint32_t b = 0; b < r.n_backends; b++) {
                const struct sim_ts_backend *tb = &r.ts_backends[k * r.n_backends + b];
                a += tb->attempts;
                u += tb->upstream_429;
                e += tb->errors;
                cost += tb->cost_usd;
                succ += tb->successes;
            }
            CHECK_INT_EQ(a, t->attempts);
            CHECK_INT_EQ(u, t->upstream_429);
            CHECK_INT_EQ(e, t->errors);
            check_close(cost, t->cost_usd, 1e-9, "interval cost");
            if (k + 1 < r.n_ts) /* the last one is divided by its own, shorter length */
                check_close(t->cost_usd_per_h * (double)r.interval_ns / 3.6e12, t->cost_usd, 1e-9,
                            "cost rate");
            if (k < MAX_TS && c->ts_n[k] > 0) {
                CHECK_INT_EQ(c->ts_n[k], t->completed);
                check_close(t->ttft_p99_s, exact_q(c->ts_ttft[k], c->ts_n[k], 0.99), LH_REL_ERR,
                            "interval ttft p99");
                check_close(t->ttft_p50_s, exact_q(c->ts_ttft[k], c->ts_n[k], 0.50), LH_REL_ERR,
                            "interval ttft p50");
            } else {
                CHECK(isnan(t->ttft_p99_s));
            }
            if (t->completed + t->failed > 0)
                check_close(t->error_rate, (double)t->failed / (double)(t->completed + t->failed),
                            1e-12, "interval error_rate");
        }
        uint64_t bsucc = 0;
        for (uint32_t b = 0; b < r.n_backends; b++)
            bsucc += r.backends[b].successes;
        CHECK_INT_EQ(succ, bsucc);
        for (int k = 0; k < MAX_TS; k++)
            free(c->ts_ttft[k]);
        free(c);
        sim_result_free(&r);
    }
    scn_free(&scn);
    return check_report("val_labels");
}
