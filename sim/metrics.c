/*
 * metrics.c - what a run measures: the time series, Little's law, replica
 * billing, the summary of the result, SLO evaluation.
 *
 * Memory is O(intervals): latencies go into histograms, not lists.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "sim_int.h"

/* Per-backend time-series rows allocated at the start (doubling after):
 * n_backends of them per row, so a large fleet's short run does not
 * reserve TS_INITIAL (64) rows x 48 bytes = 3 KiB per backend it never
 * fills (bench/bench_fleet.c). */
#define TSB_INITIAL 4u

/* The slow path of sim__ts_row: append rows up to interval k. */
struct sim_ts_row *sim__ts_row_find(struct sim *s, int64_t t_ns)
{
    int64_t iv = s->scn->interval_ns;
    int64_t k = t_ns / iv;
    if (k < 0)
        k = 0;
    struct sim_ts_row *row = k < (int64_t)s->res->n_ts ? &s->res->ts[k] : sim__ts_extend(s, k);
    if (row != NULL && t_ns >= 0) { /* [k iv, (k + 1) iv) is row k (t < 0: row 0, uncached) */
        s->m.row_lo = k * iv;
        s->m.row_hi = s->m.row_lo + iv;
        s->m.row_k = (uint32_t)k;
    }
    return row;
}

struct sim_ts_row *sim__ts_extend(struct sim *s, int64_t k)
{
    struct sim_result *res = s->res;
    if (k >= SCN_TS_MAX_INTERVALS) {
        /* the traffic, not `duration:`, made the run this long: the load
           could not check it (scn_load.c) */
        snprintf(s->err, s->errlen,
                 "the run reached %.9gs: more than %lld time-series intervals of %.9gs "
                 "(docs/limits.md); expected a longer 'interval:' or a 'duration:'",
                 (double)k * (double)s->scn->interval_ns / 1e9, (long long)SCN_TS_MAX_INTERVALS,
                 (double)s->scn->interval_ns / 1e9);
        return NULL;
    }
    while ((int64_t)res->n_ts <= k) {
        if (res->n_ts == s->lab.tsb_cap) {
            /* the per-backend rows grow with the time series */
            uint32_t ncap = s->lab.tsb_cap ? s->lab.tsb_cap * 2 : TSB_INITIAL;
            size_t nb = s->nb ? s->nb : 1;
            struct sim_ts_backend *n = realloc(res->ts_backends, (size_t)ncap * nb * sizeof *n);
            if (n == NULL)
                return NULL;
            res->ts_backends = n;
            s->lab.tsb_cap = ncap;
        }
        if (res->n_ts == s->m.ts_cap) {
            uint32_t ncap = s->m.ts_cap * 2;
            struct sim_ts_row *n = realloc(res->ts, (size_t)ncap * sizeof *n);
            if (n == NULL)
                return NULL;
            res->ts = n;
            s->m.ts_cap = ncap;
        }
        struct sim_ts_row *r = &res->ts[res->n_ts];
        memset(r, 0, sizeof *r);
        r->t_ns = (int64_t)res->n_ts * s->scn->interval_ns;
        r->inflight = -1;
        r->ttft_p50_s = r->ttft_p90_s = r->ttft_p99_s = NAN;
        if (s->nb > 0)
            memset(&res->ts_backends[(size_t)res->n_ts * s->nb], 0,
                   (size_t)s->nb * sizeof *res->ts_backends);
        res->n_ts++;
    }
    return &res->ts[k];
}

/* Backends serving at t: present, up (backend.h) and not in an outage. */
uint32_t sim__healthy_backends(struct sim *s, int64_t t_ns)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < s->nb; b++) {
        int st;
        if (s->be[b].absent || !s->be[b].ops->up(s, b))
            continue;
        if (!api_in_outage(&s->scn->backends[b].api, &s->be[b].api, t_ns, &st))
            n++;
    }
    return n;
}

/* Close every interval that ends at or before t: bill pool replicas up to
 * its end, snapshot in-flight requests, healthy backends and serving
 * replicas at its end. */
int sim__ts_advance(struct sim *s, int64_t t_ns)
{
    while (t_ns >= s->m.ts_end_ns) {
        uint32_t serving = 0;
        if (s->pools.n > 0 && sim__pools_snapshot(s, s->m.ts_end_ns, &serving) != 0)
            return -1;
        struct sim_ts_row *r = sim__ts_row(s, s->m.ts_end_ns - 1);
        if (r == NULL)
            return -1;
        r->inflight = s->live;
        r->healthy = sim__healthy_backends(s, s->m.ts_end_ns - 1);
        r->serving = serving;
        sim__tsb_health(s, (int64_t)(r - s->res->ts), s->m.ts_end_ns - 1);
        s->m.ts_end_ns += s->scn->interval_ns;
    }
    return 0;
}

/* Bill slot b's replica up to t: replica-hours at the pool's hourly price,
 * over the measured window only (like request costs). */
int sim__accrue(struct sim *s, uint32_t b, int64_t t)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    int64_t from = rp->bill_t > s->scn->warmup_ns ? rp->bill_t : s->scn->warmup_ns;
    bool billed = sim__rep_billed(rp->state);
    rp->bill_t = t;
    if (!billed || t <= from)
        return 0;
    double h = (double)(t - from) / NS_PER_HOUR;
    double c = h * be->pr->cfg->usd_per_hour;
    struct sim_ts_row *row = sim__ts_row(s, t - 1);
    if (row == NULL)
        return -1;
    be->res->replica_hours += h;
    be->res->cost_usd += c;
    be->pr->res->replica_hours += h;
    be->pr->res->cost_usd += c;
    s->res->replica_hours += h;
    s->res->cost_usd += c;
    row->cost_usd += c;
    if (s->res->ts_backends != NULL) /* the slot's own series */
        s->res->ts_backends[(size_t)(row - s->res->ts) * s->nb + b].cost_usd += c;
    return 0;
}

int sim__accrue_all(struct sim *s, int64_t t)
{
    for (uint32_t k = 0; k < s->pools.n; k++) {
        const struct scn_pool *sp = s->pools.rt[k].cfg;
        for (uint32_t i = 0; i < sp->slots; i++)
            if (sim__accrue(s, sp->first_backend + i, t) != 0)
                return -1;
    }
    return 0;
}

/* At an interval's end t: bill every replica up to t and append each pool's
 * serving count to its series; *serving = the sum. */
int sim__pools_snapshot(struct sim *s, int64_t t_ns, uint32_t *serving)
{
    if (sim__accrue_all(s, t_ns) != 0)
        return -1;
    *serving = 0;
    for (uint32_t k = 0; k < s->pools.n; k++) {
        struct pool_rt *pr = &s->pools.rt[k];
        if (pr->n_ts == pr->ts_cap) {
            uint32_t ncap = pr->ts_cap ? pr->ts_cap * 2 : TS_INITIAL;
            uint32_t *n = realloc(pr->res->serving_ts, (size_t)ncap * sizeof *n);
            if (n == NULL)
                return -1;
            pr->res->serving_ts = n;
            pr->ts_cap = ncap;
        }
        pr->res->serving_ts[pr->n_ts++] = pr->serving;
        *serving += pr->serving;
    }
    return 0;
}

void sim__lat_summary(const struct hist *h, struct sim_lat *l)
{
    l->mean = hist_mean(h) / NS_PER_S;
    l->p50 = (double)hist_quantile(h, 0.50) / NS_PER_S;
    l->p90 = (double)hist_quantile(h, 0.90) / NS_PER_S;
    l->p95 = (double)hist_quantile(h, 0.95) / NS_PER_S;
    l->p99 = (double)hist_quantile(h, 0.99) / NS_PER_S;
    l->p999 = (double)hist_quantile(h, 0.999) / NS_PER_S;
    l->max = h->count ? (double)h->max / NS_PER_S : 0.0;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

/* A pool's (or replica's) batch and throughput figures over its busy time
 * (docs/notes/pool-metrics.md §2): NaN without busy time; the goodput
 * share NaN too without SLO latency limits (good_set). */
static void pool_rates(int64_t busy_ns, double batch_ns, uint64_t prefill, uint64_t out,
                       double good_accel_s, bool good_set, double *batch, double *tok_s,
                       double *dec_s, double *good)
{
    double b = (double)busy_ns, bs = b / NS_PER_S;
    *batch = busy_ns > 0 ? batch_ns / b : NAN;
    *tok_s = busy_ns > 0 ? (double)(prefill + out) / bs : NAN;
    *dec_s = busy_ns > 0 ? (double)out / bs : NAN;
    *good = busy_ns > 0 && good_set ? good_accel_s / bs : NAN;
}

void sim__summarise(struct sim *s)
{
    struct sim_result *res = s->res;
    res->in_flight_at_end = (uint64_t)s->m.live_measured;
    sim__lat_summary(&res->ttft_hist, &res->ttft);
    sim__lat_summary(&s->m.e2e, &res->e2e);
    res->queue_wait_mean_s = hist_mean(&s->m.qwait) / NS_PER_S;
    res->queue_wait_p99_s = (double)hist_quantile(&s->m.qwait, 0.99) / NS_PER_S;
    double n = (double)res->requests;
    sim__derive(res);
    res->end_ns = s->now_ns;
    for (uint32_t r = 0; r < s->n_routers; r++) {
        const struct route_stats *st = route_router_stats(s->routers[r]);
        res->cooldowns += st->cooldowns;
        res->cooldown_s += (double)st->cooldown_ns / NS_PER_S;
        res->breaker_opens += st->breaker_opens;
        res->ejections += st->ejections;
        res->escalations += st->escalations;
        res->tiered_requests += st->tiered_requests;
        res->spillovers += st->spillovers;
    }
    res->escalation_rate =
        res->tiered_requests > 0 ? (double)res->escalations / (double)res->tiered_requests : NAN;
    uint64_t hits = res->cache_l1_hits + res->cache_l2_hits + res->cache_semantic_hits;
    res->cache_hit_rate = s->cache == NULL ? NAN : ratio((double)hits, (double)res->cache_lookups);
    uint64_t all_prompt = 0, all_cached = 0;
    int64_t a_busy = 0;
    double a_batch = 0.0, a_good = 0.0;
    uint64_t a_prefill = 0, a_out = 0;
    for (uint32_t k = 0; k < s->pools.n; k++) {
        struct pool_rt *pr = &s->pools.rt[k];
        struct sim_pool_result *pres = pr->res;
        const struct scn_pool *sp = pr->cfg;
        sim__serving_step(s, pr);
        pres->mean_serving = s->now_ns > 0 ? pr->serving_area / (double)s->now_ns : pr->serving;
        int64_t busy = 0, up = 0;
        double p_batch = 0.0, p_good = 0.0;
        uint64_t p_prefill = 0, p_out = 0;
        for (uint32_t i = 0; i < sp->slots; i++) {
            uint32_t b = sp->first_backend + i;
            const struct replica_rt *rp = &s->be[b].rep;
            const struct pool_stats *st = pool_stats(pr->pool, i);
            struct sim_backend_result *br = &res->backends[b];
            int64_t slot_up = rp->up_ns + (sim__rep_up(rp->state) ? s->now_ns - rp->state_t : 0);
            br->prompt_tokens = st->prefill_tokens + st->cached_tokens;
            br->cached_tokens = st->cached_tokens;
            br->prefix_hit_rate =
                br->prompt_tokens ? (double)br->cached_tokens / (double)br->prompt_tokens : NAN;
            br->busy_share = ratio((double)st->busy_ns, (double)slot_up);
            pool_rates(st->busy_ns, st->batch_ns, st->prefill_tokens,
                       st->first_tokens + st->decode_tokens, br->good_accel_s, s->lab.good_set,
                       &br->avg_batch_size, &br->tokens_per_s_per_replica,
                       &br->decode_tokens_per_s_per_replica, &br->goodput_accel_share);
            p_batch += st->batch_ns;
            p_prefill += st->prefill_tokens;
            p_out += st->first_tokens + st->decode_tokens;
            p_good += br->good_accel_s;
            busy += st->busy_ns;
            up += slot_up;
            pres->prompt_tokens += br->prompt_tokens;
            pres->cached_tokens += br->cached_tokens;
        }
        pres->busy_share = ratio((double)busy, (double)up);
        pool_rates(busy, p_batch, p_prefill, p_out, p_good, s->lab.good_set, &pres->avg_batch_size,
                   &pres->tokens_per_s_per_replica, &pres->decode_tokens_per_s_per_replica,
                   &pres->goodput_accel_share);
        a_busy += busy;
        a_batch += p_batch;
        a_prefill += p_prefill;
        a_out += p_out;
        a_good += p_good;
        pres->prefix_hit_rate =
            pres->prompt_tokens ? (double)pres->cached_tokens / (double)pres->prompt_tokens : NAN;
        all_prompt += pres->prompt_tokens;
        all_cached += pres->cached_tokens;
    }
    res->prefix_hit_rate = all_prompt ? (double)all_cached / (double)all_prompt : NAN;
    pool_rates(a_busy, a_batch, a_prefill, a_out, a_good, s->lab.good_set,
               &res->pool_avg_batch_size, &res->pool_tokens_per_s_per_replica,
               &res->pool_decode_tokens_per_s_per_replica, &res->pool_goodput_accel_share);
    /* Little: requests still in flight contribute their time so far. */
    sim__little_step(s, s->now_ns);
    double span = (double)(s->now_ns - s->scn->warmup_ns);
    res->measured_s = span > 0 ? span / NS_PER_S : 0.0;
    double sojourn = s->m.sojourn_sum_ns;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->reqs[i].state != RS_FREE && s->reqs[i].measured && !s->reqs[i].is_hedge)
            sojourn += (double)(s->now_ns - s->reqs[i].arrival_ns);
    if (span > 0 && n > 0) {
        res->little_lambda = n / (span / NS_PER_S);
        res->little_w_s = sojourn / n / NS_PER_S;
        res->little_l = s->m.area / span;
    }
}

double sim_slo_value(const struct sim_result *res, enum scn_slo_metric m)
{
    const struct sim_result *r = res;
    switch (m) {
#define SLO_CASE(metric, value)                                                                    \
    case metric:                                                                                   \
        return value;
        SIM_SLO_METRICS(SLO_CASE)
#undef SLO_CASE
    case SCN_SLO_COUNT_:
        break;
    }
    return 0.0;
}

void sim_slo_eval(const struct scn_slo *slo, struct sim_result *res)
{
    res->n_violations = 0;
    for (int m = 0; m < SCN_SLO_COUNT_; m++) {
        if (!slo->set[m])
            continue;
        double v = sim_slo_value(res, (enum scn_slo_metric)m);
        bool missed =
            scn_slo_at_least((enum scn_slo_metric)m) ? v < slo->limit[m] : v > slo->limit[m];
        if (missed) {
            struct sim_slo_violation *x = &res->violations[res->n_violations++];
            x->metric = (enum scn_slo_metric)m;
            x->limit = slo->limit[m];
            x->value = v;
        }
    }
    res->no_data = res->requests == 0;
    res->slo_pass = res->n_violations == 0 && !res->no_data;
    sim_slo_eval_labels(slo, res);
}

const struct sim_label_result *sim_label_find(const struct sim_result *res,
                                              enum scn_label_kind kind, const char *value)
{
    for (uint32_t i = 0; i < res->n_labels; i++)
        if (res->labels[i].kind == kind && strcmp(res->labels[i].value, value) == 0)
            return &res->labels[i];
    return NULL;
}

/* Label SLOs: each against its label's metrics; a label no measured
 * request carried is "no data", which fails, as a run without requests
 * does.  Any label SLO missed fails the run. */
void sim_slo_eval_labels(const struct scn_slo *slo, struct sim_result *res)
{
    if (slo->n_labels == 0)
        return;
    if (res->label_slo == NULL) {
        res->label_slo = calloc(slo->n_labels, sizeof *res->label_slo);
        if (res->label_slo == NULL) { /* cannot judge: fail, never pass */
            res->slo_pass = false;
            return;
        }
    }
    res->n_label_slo = slo->n_labels;
    for (uint32_t i = 0; i < slo->n_labels; i++) {
        const struct scn_slo_label *l = &slo->labels[i];
        struct sim_label_verdict *v = &res->label_slo[i];
        const struct sim_label_result *lr = sim_label_find(res, l->kind, l->value);
        v->kind = l->kind;
        snprintf(v->value, sizeof v->value, "%s", l->value);
        v->n_violations = 0;
        v->no_data = lr == NULL || lr->m.requests == 0;
        for (int m = 0; lr != NULL && m < SCN_SLO_COUNT_; m++) {
            if (!l->set[m])
                continue;
            double x = sim_slo_value(&lr->m, (enum scn_slo_metric)m);
            bool missed = scn_slo_at_least((enum scn_slo_metric)m) ? !(x >= l->limit[m])
                                                                   : !(x <= l->limit[m]);
            if (missed)
                v->violations[v->n_violations++] = (struct sim_slo_violation){
                    .metric = (enum scn_slo_metric)m, .limit = l->limit[m], .value = x};
        }
        v->pass = v->n_violations == 0 && !v->no_data;
        if (!v->pass)
            res->slo_pass = false;
    }
}
