/*
 * labels.c - what a run measures per label value (runs[i].by_label), per
 * time-series interval (TTFT quantiles, rates) and per backend and
 * interval (timeseries_backends.csv).
 *
 * Memory: one entry per label value met (its struct sim_label_result and
 * two small histograms, about 17 KiB), one small histogram for the open
 * interval, and n_ts x n_backends struct sim_ts_backend; independent of
 * the number of requests.  A request's label values are resolved once, at
 * arrival (q->lab), so the hooks of the hot path are array increments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "sim_int.h"

/* ---- the small histogram -------------------------------------------- */

static int lh_init(struct sim__lh *h)
{
    memset(h, 0, sizeof *h);
    h->b = calloc(SIM__LH_BUCKETS, sizeof *h->b);
    h->min = INT64_MAX;
    h->max = INT64_MIN;
    h->lo = SIM__LH_BUCKETS;
    return h->b ? 0 : -1;
}

static void lh_fini(struct sim__lh *h)
{
    free(h->b);
    h->b = NULL;
}

static void lh_reset(struct sim__lh *h)
{
    if (h->lo <= h->hi && h->lo < SIM__LH_BUCKETS)
        memset(h->b + h->lo, 0, (size_t)(h->hi - h->lo + 1) * sizeof *h->b);
    h->count = 0;
    h->sum = 0.0;
    h->min = INT64_MAX;
    h->max = INT64_MIN;
    h->lo = SIM__LH_BUCKETS;
    h->hi = 0;
}

/* Bucket of v >= 0: exact below SIM__LH_SUB, then SIM__LH_SUB per octave
 * (the layout of base/hist.h with fewer sub-buckets). */
static inline uint32_t lh_index(uint64_t u)
{
    return sim__lh_index(u);
}

static inline void lh_add_at(struct sim__lh *h, int64_t v, uint32_t i)
{
    sim__lh_add_at(h, v, i);
}

static int64_t lh_value(const struct sim__lh *h, uint32_t i)
{
    int64_t v;
    if (i < SIM__LH_SUB) {
        v = (int64_t)i;
    } else {
        uint32_t oct = i / SIM__LH_SUB - 1, sub = i % SIM__LH_SUB;
        int64_t lo = (int64_t)(SIM__LH_SUB + sub) << oct, w = (int64_t)1 << oct;
        v = lo + (w - 1) / 2;
    }
    return v < h->min ? h->min : v > h->max ? h->max : v;
}

/* Nearest-rank quantile, as hist_quantile: the ceil(q n)-th value's
 * bucket (q n pulled down by a few ulps first). */
static int64_t lh_quantile(const struct sim__lh *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0))
        return h->min;
    if (q >= 1)
        return h->max;
    double x = q * (double)h->count;
    x = ceil(x - x * 4.0 * 2.220446049250313e-16);
    uint64_t rank = x < 1 ? 1 : (uint64_t)x, seen = 0;
    for (uint32_t i = h->lo; i <= h->hi; i++) {
        seen += h->b[i];
        if (seen >= rank)
            return lh_value(h, i);
    }
    return h->max;
}

static void lh_summary(const struct sim__lh *h, struct sim_lat *l)
{
    l->mean = h->count ? h->sum / (double)h->count / NS_PER_S : 0.0;
    l->p50 = (double)lh_quantile(h, 0.50) / NS_PER_S;
    l->p90 = (double)lh_quantile(h, 0.90) / NS_PER_S;
    l->p95 = (double)lh_quantile(h, 0.95) / NS_PER_S;
    l->p99 = (double)lh_quantile(h, 0.99) / NS_PER_S;
    l->p999 = (double)lh_quantile(h, 0.999) / NS_PER_S;
    l->max = h->count ? (double)h->max / NS_PER_S : 0.0;
}

/* ---- the label table ------------------------------------------------ */

/* The smallest latency limit of slo: in ns (INT64_MAX when none). */
static int64_t limit_ns(const struct scn_slo *slo, int lo, int hi, bool *any)
{
    double best = INFINITY;
    for (int m = lo; m <= hi; m++)
        if (slo->set[m] && slo->limit[m] < best)
            best = slo->limit[m];
    if (!isfinite(best))
        return INT64_MAX;
    *any = true;
    return best * NS_PER_S >= 9.2e18 ? INT64_MAX : (int64_t)llround(best * NS_PER_S);
}

int sim__labels_init(struct sim *s)
{
    struct sim__labels *L = &s->lab;
    const struct scn_slo *slo = &s->scn->slo;
    L->good_ttft_ns = limit_ns(slo, SCN_SLO_TTFT_P50, SCN_SLO_TTFT_P99, &L->good_set);
    L->good_e2e_ns = limit_ns(slo, SCN_SLO_E2E_P99, SCN_SLO_E2E_P99, &L->good_set);
    L->ts_k = -1;
    L->ts_lo = L->ts_hi = 0; /* empty: the first finish computes its interval */
    for (int k = 0; k < SCN_LABEL_KINDS_; k++)
        L->unset[k] = SIM__LAB_NONE;
    if (u64map_init(&L->prio, 8) != 0 || u64map_init(&L->sessions, 8) != 0)
        return -1;
    return lh_init(&L->ts_ttft);
}

void sim__labels_fini(struct sim *s)
{
    struct sim__labels *L = &s->lab;
    for (uint32_t i = 0; L->acc && i < L->n; i++)
        free(L->acc[i].b);
    free(L->acc);
    free(L->ent);
    for (int k = 0; k < SCN_LABEL_KINDS_; k++)
        free(L->of[k]);
    u64map_fini(&L->prio);
    u64map_fini(&L->sessions);
    lh_fini(&L->ts_ttft);
    memset(L, 0, sizeof *L);
}

/* A new entry (kind, value): its index, or UINT32_MAX when out of memory. */
static uint32_t new_entry(struct sim *s, enum scn_label_kind kind, const char *value)
{
    struct sim__labels *L = &s->lab;
    if (L->n == L->cap) {
        uint32_t ncap = L->cap ? L->cap * 2 : 16u;
        struct sim_label_result *e = realloc(L->ent, (size_t)ncap * sizeof *e);
        if (e == NULL)
            return UINT32_MAX;
        L->ent = e;
        struct sim__label_acc *a = realloc(L->acc, (size_t)ncap * sizeof *a);
        if (a == NULL)
            return UINT32_MAX;
        L->acc = a;
        L->cap = ncap;
    }
    uint32_t i = L->n;
    memset(&L->ent[i], 0, sizeof L->ent[i]);
    memset(&L->acc[i], 0, sizeof L->acc[i]);
    struct sim__label_acc *a = &L->acc[i];
    a->b = calloc(2 * (size_t)SIM__LH_BUCKETS, sizeof *a->b);
    if (a->b == NULL)
        return UINT32_MAX;
    a->min[0] = a->min[1] = INT64_MAX;
    a->max[0] = a->max[1] = INT64_MIN;
    L->ent[i].kind = kind;
    snprintf(L->ent[i].value, sizeof L->ent[i].value, "%s", value);
    L->n++;
    return i;
}

/* Traffic labels by enum scn_label_kind (priority is not one). */
static const int trace_kind_of[SCN_LABEL_KINDS_] = {
    [SCN_LABEL_TENANT] = TRACE_LABEL_TENANT, [SCN_LABEL_MODEL_GROUP] = TRACE_LABEL_MODEL_GROUP,
    [SCN_LABEL_TASK] = TRACE_LABEL_TASK,     [SCN_LABEL_PRIORITY] = -1,
    [SCN_LABEL_REGION] = TRACE_LABEL_REGION,
};

/* The value of a request without the label. */
#define UNSET_VALUE "(unset)"

/* of[k][id] of a trace label id whose string is empty: the unset value. */
#define OF_UNSET UINT32_MAX

/*
 * Active kinds.  Until a kind's first value, each of its requests is
 * unset, so its unset entry would hold exactly what every measured request
 * did: the `all` counters (kept here, in the same order of additions) and
 * the run's TTFT and e2e histograms (res->ttft_hist, s->m.e2e: the same
 * values, clamped the same way, added at the same point of sim__finish).
 * Activation copies them into the unset entry, in the log-linear layout
 * of the label histograms (each base/hist.h bucket lies inside one).
 */
static uint32_t new_unset_entry(struct sim *s, enum scn_label_kind k, bool copy_all)
{
    struct sim__labels *L = &s->lab;
    uint32_t e = new_entry(s, k, k == SCN_LABEL_PRIORITY ? "0" : UNSET_VALUE);
    if (e == UINT32_MAX)
        return e;
    L->unset[k] = e;
    if (!copy_all) /* a kind active before its first unset request */
        return e;
    struct sim_result *m = &L->ent[e].m;
    m->requests = L->all.requests;
    m->completed = L->all.completed;
    m->failed = L->all.failed;
    m->client_429_gateway = L->all.client_429_gateway;
    m->client_429_provider = L->all.client_429_provider;
    m->cost_usd = L->all.cost_usd;
    m->upstream_429 = L->all.upstream_429;
    m->retries = L->all.retries;
    m->attempts = L->all.attempts;
    struct sim__label_acc *a = &L->acc[e];
    a->good = L->all_good;
    const struct hist *h[2] = {&s->res->ttft_hist, &s->m.e2e};
    for (int j = 0; j < 2; j++) {
        if (h[j]->count == 0)
            continue;
        a->sum[j] = h[j]->sum;
        a->min[j] = h[j]->min;
        a->max[j] = h[j]->max;
        for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
            if (h[j]->buckets[i] == 0)
                continue;
            int64_t lo, w;
            hist_bucket_range(i, &lo, &w);
            a->b[(size_t)j * SIM__LH_BUCKETS + lh_index((uint64_t)lo)] += h[j]->buckets[i];
        }
    }
    return e;
}

/* Kind k gets its first value: its requests so far are its unset entry
 * (created first, as the first of them made it before). */
static int activate(struct sim *s, enum scn_label_kind k)
{
    struct sim__labels *L = &s->lab;
    L->active[k] = true;
    L->act[L->n_act++] = (uint8_t)k;
    L->unset[k] = SIM__LAB_NONE;
    if (L->arrivals > 0) {
        uint32_t e = new_unset_entry(s, k, true);
        if (e == UINT32_MAX)
            return -1;
        if (k == SCN_LABEL_PRIORITY) {
            if (u64map_reserve1(&L->prio) != 0)
                return -1;
            u64map_put(&L->prio, 1, e);
        }
    }
    return 0;
}

/* The entry of priority p (kind active). */
static uint32_t prio_entry(struct sim *s, uint32_t p)
{
    struct sim__labels *L = &s->lab;
    uint64_t key = (uint64_t)p + 1;
    if (key == L->prio_key)
        return L->prio_e;
    uint32_t e = u64map_get(&L->prio, key);
    if (e == U64MAP_NONE) {
        char v[16];
        snprintf(v, sizeof v, "%u", p);
        e = p == 0 ? new_unset_entry(s, SCN_LABEL_PRIORITY, false)
                   : new_entry(s, SCN_LABEL_PRIORITY, v);
        if (e == UINT32_MAX || u64map_reserve1(&L->prio) != 0)
            return UINT32_MAX;
        u64map_put(&L->prio, key, e);
    }
    L->prio_key = key;
    L->prio_e = e;
    return e;
}

/* of[k][id] for trace label id != 0 of kind k: entry + 1, OF_UNSET for an
 * empty string, 0 when not met yet (the slot exists afterwards). */
static int of_slot(struct sim *s, enum scn_label_kind k, uint32_t id, uint32_t **slot)
{
    struct sim__labels *L = &s->lab;
    if (id >= L->of_cap[k]) {
        uint32_t ncap = id * 2 + 16;
        uint32_t *n = realloc(L->of[k], (size_t)ncap * sizeof *n);
        if (n == NULL)
            return -1;
        memset(n + L->of_cap[k], 0, (size_t)(ncap - L->of_cap[k]) * sizeof *n);
        L->of[k] = n;
        L->of_cap[k] = ncap;
    }
    *slot = &L->of[k][id];
    if (**slot == 0) {
        const char *str = trace_label(s->in.trace, trace_kind_of[k], id);
        if (str == NULL || str[0] == '\0')
            **slot = OF_UNSET;
    }
    return 0;
}

/* *e: the entry (or SIM__LAB_NONE) of t's value of kind k; -1 when out
 * of memory.  Activates k at its first value. */
static int entry_of(struct sim *s, enum scn_label_kind k, const struct trace_rec *t, uint32_t *e)
{
    struct sim__labels *L = &s->lab;
    *e = SIM__LAB_NONE;
    if (k == SCN_LABEL_PRIORITY) {
        if (!L->active[k]) {
            if (t->priority == 0)
                return 0;
            if (activate(s, k) != 0)
                return -1;
        }
        *e = prio_entry(s, t->priority);
        return *e == UINT32_MAX ? -1 : 0;
    }
    uint32_t id = t->label[trace_kind_of[k]], *slot = NULL;
    if (id != 0 && of_slot(s, k, id, &slot) != 0)
        return -1;
    if (slot == NULL || *slot == OF_UNSET) { /* unset */
        if (!L->active[k])
            return 0;
        *e = L->unset[k] != SIM__LAB_NONE ? L->unset[k] : new_unset_entry(s, k, false);
        return *e == UINT32_MAX ? -1 : 0;
    }
    if (!L->active[k] && activate(s, k) != 0)
        return -1;
    if (*slot == 0) {
        uint32_t n = new_entry(s, k, trace_label(s->in.trace, trace_kind_of[k], id));
        if (n == UINT32_MAX)
            return -1;
        *slot = n + 1;
    }
    *e = *slot - 1;
    return 0;
}

int sim__label_arrival_any(struct sim *s, struct req *q, const struct trace_rec *t)
{
    struct sim__labels *L = &s->lab;
    /* one test for the common case: no kind active, no value, priority 0 */
    uint32_t any = L->n_act | t->priority;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        any |= t->label[k];
    if (any == 0) { /* the common case of traffic without labels */
        for (int k = 0; k < SCN_LABEL_KINDS_; k++)
            q->lab[k] = SIM__LAB_NONE;
    } else {
        for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
            if (!L->active[k]) {
                /* an inactive kind stays so without a value: one store */
                bool has =
                    k == SCN_LABEL_PRIORITY ? t->priority != 0 : t->label[trace_kind_of[k]] != 0;
                if (!has) {
                    q->lab[k] = SIM__LAB_NONE;
                    continue;
                }
            } else if (k != SCN_LABEL_PRIORITY) { /* a value met before: one load */
                uint32_t id = t->label[trace_kind_of[k]];
                if (id == 0 && L->unset[k] != SIM__LAB_NONE) { /* unset, entry made */
                    q->lab[k] = L->unset[k];
                    continue;
                }
                uint32_t v = id < L->of_cap[k] ? L->of[k][id] : 0;
                if (v != 0 && v != OF_UNSET) {
                    q->lab[k] = v - 1;
                    continue;
                }
            }
            if (entry_of(s, (enum scn_label_kind)k, t, &q->lab[k]) != 0) {
                snprintf(s->err, s->errlen, "out of memory (label table)");
                return -1;
            }
        }
    }
    L->arrivals++;
    if (q->measured) {
        SIM__LABEL_ADD(s, q, requests, 1);
        if (t->session != 0) {
            struct u64map *m = &s->lab.sessions;
            if (u64map_get(m, t->session) == U64MAP_NONE) {
                if (u64map_reserve1(m) != 0) {
                    snprintf(s->err, s->errlen, "out of memory (sessions)");
                    return -1;
                }
                u64map_put(m, t->session, 0);
                s->res->conversations++;
            }
        }
    }
    return 0;
}

int sim__label_finish_any(struct sim *s, const struct req *q, int http_status, bool gateway_429)
{
    struct sim__labels *L = &s->lab;
    bool ok = http_status == 200;
    int64_t ttft = q->first_token_ns - q->arrival_ns, e2e = s->now_ns - q->arrival_ns;
    bool good = ok && ttft <= L->good_ttft_ns && e2e <= L->good_e2e_ns;
    if (good)
        s->res->goodput += 1.0; /* a count until sim__labels_summarise */
    if (s->pools.n > 0)         /* only a pool attempt has an accelerator share */
        sim__pool_note_finish(s, q, good);
    if (q->rr.session != 0)
        L->session_cost_usd += q->cost_usd;
    if (ttft < 0)
        ttft = 0;
    if (e2e < 0)
        e2e = 0;
    if (ok) {
        L->all.completed++;
        L->all_good += good;
    } else {
        L->all.failed++;
        if (http_status == 429) {
            if (gateway_429)
                L->all.client_429_gateway++;
            else
                L->all.client_429_provider++;
        }
    }
    /* one bucket computation each for the TTFT and e2e of every active
       label value and the open interval's TTFT */
    uint32_t it = ok || L->n_act > 0 ? lh_index((uint64_t)ttft) : 0;
    if (L->n_act > 0) {
        uint32_t ie = SIM__LH_BUCKETS + lh_index((uint64_t)e2e);
        for (uint32_t j = 0; j < L->n_act; j++) {
            uint32_t e = sim__lab_entry(L, q, L->act[j]);
            struct sim_result *m = &L->ent[e].m;
            struct sim__label_acc *a = &L->acc[e];
            if (ok) {
                m->completed++;
                a->b[it]++;
                a->b[ie]++;
                a->sum[0] += (double)ttft;
                a->sum[1] += (double)e2e;
                if (ttft < a->min[0])
                    a->min[0] = ttft;
                if (ttft > a->max[0])
                    a->max[0] = ttft;
                if (e2e < a->min[1])
                    a->min[1] = e2e;
                if (e2e > a->max[1])
                    a->max[1] = e2e;
                a->good += good;
            } else {
                m->failed++;
                if (http_status == 429) {
                    if (gateway_429)
                        m->client_429_gateway++;
                    else
                        m->client_429_provider++;
                }
            }
        }
    }
    if (ok) {
        /* the interval's bounds are kept: no division per request */
        if (s->now_ns < L->ts_lo || s->now_ns >= L->ts_hi) {
            int64_t k = s->now_ns / s->scn->interval_ns;
            L->ts_lo = k * s->scn->interval_ns;
            L->ts_hi = L->ts_lo + s->scn->interval_ns;
            if (L->ts_k >= 0 && L->ts_k < (int64_t)s->res->n_ts) {
                struct sim_ts_row *r = &s->res->ts[L->ts_k];
                r->ttft_p50_s = (double)lh_quantile(&L->ts_ttft, 0.50) / NS_PER_S;
                r->ttft_p90_s = (double)lh_quantile(&L->ts_ttft, 0.90) / NS_PER_S;
                r->ttft_p99_s = (double)lh_quantile(&L->ts_ttft, 0.99) / NS_PER_S;
            }
            lh_reset(&L->ts_ttft);
            L->ts_k = k;
        }
        lh_add_at(&L->ts_ttft, ttft, it);
    }
    return 0;
}

void sim__label_names(const struct sim *s, const struct req *q, const char **out)
{
    const struct sim__labels *L = &s->lab;
    for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
        uint32_t e = q->lab[k];
        if (k == SCN_LABEL_PRIORITY)
            out[k] = e == SIM__LAB_NONE ? "0" : L->ent[e].value;
        else
            out[k] = e == SIM__LAB_NONE || e == L->unset[k] ? "" : L->ent[e].value;
    }
}

/* ---- per-backend series --------------------------------------------- */

void sim__tsb_health(struct sim *s, int64_t k, int64_t t_ns)
{
    if (s->res->ts_backends == NULL || k < 0 || k >= (int64_t)s->res->n_ts)
        return;
    const struct route_view *v = s->n_routers ? route_router_view(s->routers[0]) : NULL;
    for (uint32_t b = 0; b < s->nb; b++) {
        struct backend_rt *be = &s->be[b];
        const struct scn_backend *sb = &s->scn->backends[b];
        int st;
        bool ok = !be->absent && be->ops->up(s, b) &&
                  !api_in_outage(&sb->api, &be->api, t_ns, &st) &&
                  fault_brownout_at(&sb->api.faults, &be->api.faults, t_ns) == NULL;
        if (ok && v != NULL && b < v->n) {
            enum route_health h = route_view_at(v, b)->health;
            ok = h == ROUTE_HEALTHY || h == ROUTE_HALF_OPEN;
        }
        s->res->ts_backends[(size_t)k * s->nb + b].healthy = ok;
    }
}

/* ---- the end of the run --------------------------------------------- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

void sim__derive(struct sim_result *res)
{
    double n = (double)res->requests;
    uint64_t c429 = res->client_429_gateway + res->client_429_provider;
    res->client_429_rate = ratio((double)c429, n);
    res->client_429_gateway_rate = ratio((double)res->client_429_gateway, n);
    res->client_429_provider_rate = ratio((double)res->client_429_provider, n);
    res->upstream_429_rate = ratio((double)res->upstream_429, (double)res->attempts);
    res->final_errors = res->failed;
    res->error_rate = ratio((double)res->failed, n);
    res->completion_rate = n > 0 ? (double)res->completed / n : NAN; /* no requests: no verdict */
    res->attempts_per_request = ratio((double)res->attempts, n);
    res->cost_per_1k_requests_usd = ratio(res->cost_usd * 1000.0, n);
    res->cost_per_success_usd = ratio(res->cost_usd, (double)res->completed);
}

int sim__labels_summarise(struct sim *s)
{
    struct sim__labels *L = &s->lab;
    struct sim_result *res = s->res;
    /* the open interval's quantiles; every row's rates */
    if (L->ts_k >= 0 && L->ts_k < (int64_t)res->n_ts) {
        struct sim_ts_row *r = &res->ts[L->ts_k];
        r->ttft_p50_s = (double)lh_quantile(&L->ts_ttft, 0.50) / NS_PER_S;
        r->ttft_p90_s = (double)lh_quantile(&L->ts_ttft, 0.90) / NS_PER_S;
        r->ttft_p99_s = (double)lh_quantile(&L->ts_ttft, 0.99) / NS_PER_S;
    }
    for (uint32_t k = 0; k < res->n_ts; k++) {
        struct sim_ts_row *r = &res->ts[k];
        double done = (double)(r->completed + r->failed);
        r->error_rate = done > 0 ? (double)r->failed / done : NAN;
        r->client_429_rate = done > 0 ? (double)r->client_429 / done : NAN;
        int64_t len = s->scn->interval_ns;
        if (r->t_ns + len > s->now_ns && s->now_ns > r->t_ns)
            len = s->now_ns - r->t_ns;
        r->cost_usd_per_h = len > 0 ? r->cost_usd / ((double)len / NS_PER_HOUR) : NAN;
    }
    /* item 7 of issue 14 */
    double good = res->goodput;
    res->goodput = L->good_set && res->requests > 0 ? good / (double)res->requests : NAN;
    res->cost_per_conversation_usd =
        res->conversations > 0 ? L->session_cost_usd / (double)res->conversations : NAN;
    /* labels: the kinds the traffic carries (a value besides unset, or a
     * priority besides 0), values in order of first appearance */
    bool carried[SCN_LABEL_KINDS_] = {false};
    for (uint32_t i = 0; i < L->n; i++) {
        const struct sim_label_result *e = &L->ent[i];
        if (e->m.requests == 0)
            continue;
        if (e->kind == SCN_LABEL_PRIORITY ? strcmp(e->value, "0") != 0
                                          : strcmp(e->value, UNSET_VALUE) != 0)
            carried[e->kind] = true;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < L->n; i++)
        if (carried[L->ent[i].kind] && L->ent[i].m.requests > 0)
            n++;
    struct sim_label_result *out = n ? calloc(n, sizeof *out) : NULL;
    if (n && out == NULL)
        return -1;
    uint32_t j = 0;
    for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
        for (uint32_t i = 0; i < L->n; i++) {
            struct sim_label_result *e = &L->ent[i];
            if ((int)e->kind != k || !carried[k] || e->m.requests == 0)
                continue;
            struct sim_result *m = &e->m;
            m->in_flight_at_end = m->requests - m->completed - m->failed;
            for (int h = 0; h < 2; h++) {
                const struct sim__label_acc *a = &L->acc[i];
                struct sim__lh v = {.b = a->b + (size_t)h * SIM__LH_BUCKETS,
                                    .count = m->completed,
                                    .sum = a->sum[h],
                                    .min = a->min[h],
                                    .max = a->max[h],
                                    .lo = 0,
                                    .hi = SIM__LH_BUCKETS - 1};
                lh_summary(&v, h == 0 ? &m->ttft : &m->e2e);
            }
            sim__derive(m);
            m->goodput =
                L->good_set && m->requests > 0 ? (double)L->acc[i].good / (double)m->requests : NAN;
            m->no_data = m->requests == 0;
            m->measured_s = res->measured_s;
            out[j++] = *e;
        }
    }
    res->labels = out;
    res->n_labels = n;
    return 0;
}
