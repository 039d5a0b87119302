/*
 * tparallel.c - time-parallel replay: the traffic span cut into windows,
 * each run as an independent trial with a warm-up overlap, the results
 * merged per strategy (docs/time-parallel.md).
 *
 * Window k of W measures the requests arriving in [t_k, t_k+1), t_k = kT/W:
 * it replays the same arrival stream from its start, drops the arrivals
 * before t_k - overlap (sim_hooks span_from_ns), simulates the overlap
 * unmeasured (warmup_ns = max(scenario warmup, t_k)) so that rate-limit
 * buckets, queues and router signals are warm when measuring starts, stops
 * reading at t_k+1 (span_until_ns) and drains its requests to the end.
 * The W x strategies windows run as one OpenMP pool, each writing only its
 * own slot, so the merged result is the same for any thread count.
 *
 * Merge rules (docs/time-parallel.md, "Merge rules"): counts, costs and
 * per-backend sums add up exactly (each measured request belongs to one
 * window); quantiles come from the windows' merged histograms, read as the
 * engine reads them; rates are recomputed from summed numerators and
 * denominators; the time series sums each window's events at their times,
 * gauges come from the window owning the interval.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "sim_int.h"
#include "trace.h"

/* The default warm-up overlap: 10 minutes, and at least 10 x the router's
 * attempt timeout.  Ten minutes is ten one-minute RPM/TPM refill windows of
 * the API accounts (models/api.c token buckets) and far beyond the retry
 * backoff cap (litellm-replay.md: 8 s default backoff_max), so an account's
 * bucket and the requests it queues have reached their steady state by t_k;
 * 10 x the timeout lets attempts that started before t_k - overlap (absent
 * from the window) no longer matter. */
#define TPAR_OVERLAP_MIN_NS (600LL * 1000000000LL)

int64_t sim_tpar_default_overlap_ns(const struct scenario *scn)
{
    int64_t to = scn->router.attempt_timeout_ns;
    return to > 0 && to < INT64_MAX / 10 && 10 * to > TPAR_OVERLAP_MIN_NS ? 10 * to
                                                                          : TPAR_OVERLAP_MIN_NS;
}

/* The span [0, T): duration:, else the in-memory trace's last arrival + 1 ns. */
static int tpar_span(const struct scenario *scn, const struct trace_mem *mem, int64_t *T, char *err,
                     size_t errlen)
{
    if (scn->duration_ns > 0) {
        *T = scn->duration_ns;
        return 0;
    }
    if (mem == NULL) {
        snprintf(err, errlen,
                 "--time-parallel: the traffic's end is not known up front (no duration:, and the "
                 "traffic is synthetic or too large to hold in memory); expected a duration:");
        return BASE_EINVAL;
    }
    struct trace_src *src = trace_open_mem(mem, err, errlen);
    if (src == NULL)
        return base_err_oom_or(err, BASE_EINVAL);
    struct trace_rec r;
    int64_t last = -1;
    int rc;
    while ((rc = trace_next(src, &r, err, errlen)) > 0)
        last = r.arrival_ns;
    trace_close(src);
    if (rc < 0)
        return BASE_EINVAL;
    if (last < 0) {
        snprintf(err, errlen, "--time-parallel: the traffic has no arrival");
        return BASE_EINVAL;
    }
    *T = last + 1;
    return 0;
}

static int64_t t_of(int64_t T, uint32_t W, uint32_t k)
{
    return T / W * k + (T % W) * k / W; /* kT/W without overflow */
}

/* The window owning time t: t_k <= t < t_k+1 (the last one past T). */
static uint32_t owner_of(int64_t t, int64_t T, uint32_t W)
{
    for (uint32_t k = W; k-- > 1;)
        if (t >= t_of(T, W, k))
            return k;
    return 0;
}

/* Fold the W windows w[0..W) of one strategy into *m. */
static int tpar_merge(const struct scenario *scn, struct sim_result *w, struct hist *e2e,
                      struct hist *qw, uint32_t W, int64_t T, struct sim_result *m, char *err,
                      size_t errlen)
{
    memset(m, 0, sizeof *m);
    snprintf(m->strategy, sizeof m->strategy, "%s", w[0].strategy);
    m->interval_ns = w[0].interval_ns;
    if (hist_init(&m->ttft_hist) != 0)
        goto oom;
    double area = 0, sojourn = 0, good = 0, conv_cost = 0;
    bool good_nan = false;
    for (uint32_t k = 0; k < W; k++) {
        const struct sim_result *r = &w[k];
        if (r->n_labels > 0) {
            snprintf(err, errlen,
                     "--time-parallel: the traffic carries labels (by_label); per-label "
                     "quantiles are not merged across windows (docs/time-parallel.md): run "
                     "without --time-parallel");
            return BASE_EINVAL;
        }
#define ADD(f) m->f += r->f
        ADD(requests);
        ADD(completed);
        ADD(failed);
        ADD(in_flight_at_end);
        ADD(retries);
        ADD(timeouts);
        ADD(attempts);
        ADD(cross_region_attempts);
        ADD(cache_lookups);
        ADD(cache_l1_hits);
        ADD(cache_l2_hits);
        ADD(cache_semantic_hits);
        ADD(fallbacks);
        ADD(hedges);
        ADD(hedge_wins);
        ADD(cooldowns);
        ADD(cooldown_s);
        ADD(breaker_opens);
        ADD(ejections);
        ADD(spillovers);
        ADD(events);
        ADD(client_429_gateway);
        ADD(client_429_provider);
        ADD(upstream_429);
        ADD(escalations);
        ADD(tiered_requests);
        ADD(conversations);
        ADD(cost_usd);
#undef ADD
        if (r->end_ns > m->end_ns)
            m->end_ns = r->end_ns;
        if (r->trace_rows_skipped > m->trace_rows_skipped)
            m->trace_rows_skipped = r->trace_rows_skipped;
        /* Little: window k's area and sojourn sum from its own figures */
        double span_k = (double)r->end_ns -
                        (double)(t_of(T, W, k) > scn->warmup_ns ? t_of(T, W, k) : scn->warmup_ns);
        area += r->little_l * (span_k > 0 ? span_k : 0);
        sojourn += r->little_w_s * NS_PER_S * (double)r->requests;
        if (isnan(r->goodput) && r->requests > 0)
            good_nan = true;
        else if (r->requests > 0)
            good += r->goodput * (double)r->requests;
        if (r->conversations > 0)
            conv_cost += r->cost_per_conversation_usd * (double)r->conversations;
        hist_merge(&m->ttft_hist, &r->ttft_hist);
        if (k > 0) {
            hist_merge(&e2e[0], &e2e[k]);
            hist_merge(&qw[0], &qw[k]);
        }
    }
    /* arrivals before the scenario's warm-up: window 0's (the caller made
       sure the warm-up ends within window 0) */
    m->unmeasured = w[0].unmeasured;
    sim__lat_summary(&m->ttft_hist, &m->ttft);
    sim__lat_summary(&e2e[0], &m->e2e);
    m->queue_wait_mean_s = hist_mean(&qw[0]) / NS_PER_S;
    m->queue_wait_p99_s = (double)hist_quantile(&qw[0], 0.99) / NS_PER_S;
    sim__derive(m);
    m->goodput = good_nan ? NAN : (m->requests > 0 ? good / (double)m->requests : NAN);
    m->cost_per_conversation_usd =
        m->conversations > 0 ? conv_cost / (double)m->conversations : NAN;
    m->escalation_rate =
        m->tiered_requests > 0 ? (double)m->escalations / (double)m->tiered_requests : NAN;
    uint64_t hits = m->cache_l1_hits + m->cache_l2_hits + m->cache_semantic_hits;
    m->cache_hit_rate = isnan(w[0].cache_hit_rate) ? NAN
                        : m->cache_lookups > 0     ? (double)hits / (double)m->cache_lookups
                                                   : 0.0;
    m->prefix_hit_rate = NAN; /* no pools (refused) */
    double span = (double)(m->end_ns - scn->warmup_ns);
    m->measured_s = span > 0 ? span / NS_PER_S : 0.0;
    if (span > 0 && m->requests > 0) {
        m->little_lambda = (double)m->requests / (span / NS_PER_S);
        m->little_w_s = sojourn / (double)m->requests / NS_PER_S;
        m->little_l = area / span;
    }

    /* backends: exact sums */
    m->n_backends = w[0].n_backends;
    m->backends = calloc(m->n_backends ? m->n_backends : 1, sizeof *m->backends);
    if (m->backends == NULL)
        goto oom;
    for (uint32_t b = 0; b < m->n_backends; b++) {
        struct sim_backend_result *o = &m->backends[b];
        snprintf(o->name, sizeof o->name, "%s", w[0].backends[b].name);
        o->prefix_hit_rate = w[0].backends[b].prefix_hit_rate;
        for (uint32_t k = 0; k < W; k++) {
            const struct sim_backend_result *x = &w[k].backends[b];
            o->attempts += x->attempts;
            o->successes += x->successes;
            o->upstream_429 += x->upstream_429;
            o->errors += x->errors;
            o->timeouts += x->timeouts;
            o->cost_usd += x->cost_usd;
        }
    }

    /* time series: events summed at their times; gauges and the interval's
       TTFT quantiles from one window (see the file comment) */
    uint32_t n_ts = 0;
    for (uint32_t k = 0; k < W; k++)
        if (w[k].n_ts > n_ts)
            n_ts = w[k].n_ts;
    m->n_ts = n_ts;
    m->ts = calloc(n_ts ? n_ts : 1, sizeof *m->ts);
    size_t nb = m->n_backends;
    m->ts_backends = calloc(n_ts && nb ? (size_t)n_ts * nb : 1, sizeof *m->ts_backends);
    if (m->ts == NULL || m->ts_backends == NULL)
        goto oom;
    for (uint32_t j = 0; j < n_ts; j++) {
        struct sim_ts_row *o = &m->ts[j];
        int64_t t0 = (int64_t)j * m->interval_ns;
        uint32_t own = owner_of(t0, T, W);
        while (own > 0 && w[own].n_ts <= j)
            own--;
        uint32_t most = own;
        uint64_t most_n = 0;
        o->t_ns = t0;
        for (uint32_t k = 0; k < W; k++) {
            if (j >= w[k].n_ts)
                continue;
            const struct sim_ts_row *x = &w[k].ts[j];
            o->arrivals += x->arrivals;
            o->completed += x->completed;
            o->failed += x->failed;
            o->client_429 += x->client_429;
            o->upstream_429 += x->upstream_429;
            o->errors += x->errors;
            o->attempts += x->attempts;
            o->cost_usd += x->cost_usd;
            o->ttft_sum_s += x->ttft_sum_s;
            o->cache_hits += x->cache_hits;
            if (x->completed > most_n) {
                most_n = x->completed;
                most = k;
            }
            for (size_t b = 0; b < nb; b++) {
                struct sim_ts_backend *ob = &m->ts_backends[(size_t)j * nb + b];
                const struct sim_ts_backend *xb = &w[k].ts_backends[(size_t)j * nb + b];
                ob->attempts += xb->attempts;
                ob->successes += xb->successes;
                ob->upstream_429 += xb->upstream_429;
                ob->errors += xb->errors;
                ob->cost_usd += xb->cost_usd;
            }
        }
        const struct sim_ts_row *g = &w[own].ts[j];
        o->inflight = g->inflight;
        o->healthy = g->healthy;
        o->serving = g->serving;
        for (size_t b = 0; b < nb; b++)
            m->ts_backends[(size_t)j * nb + b].healthy =
                w[own].ts_backends[(size_t)j * nb + b].healthy;
        const struct sim_ts_row *q = &w[most].ts[j];
        o->ttft_p50_s = q->ttft_p50_s;
        o->ttft_p90_s = q->ttft_p90_s;
        o->ttft_p99_s = q->ttft_p99_s;
        double done = (double)(o->completed + o->failed);
        o->error_rate = done > 0 ? (double)o->failed / done : NAN;
        o->client_429_rate = done > 0 ? (double)o->client_429 / done : NAN;
        int64_t len = m->interval_ns;
        if (t0 + len > m->end_ns && m->end_ns > t0)
            len = m->end_ns - t0;
        o->cost_usd_per_h = len > 0 ? o->cost_usd / ((double)len / NS_PER_HOUR) : NAN;
    }
    sim_slo_eval(&scn->slo, m);
    return 0;
oom:
    snprintf(err, errlen, "out of memory (time-parallel merge)");
    return BASE_ENOMEM;
}

int sim_tpar_run(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                 uint64_t seed, const struct sim_tpar *tp, int threads, struct sim_result *res,
                 int *rc, char *err, size_t errlen)
{
    uint32_t W = tp->windows;
    for (uint32_t i = 0; i < n; i++) {
        rc[i] = BASE_EINVAL;
        err[(size_t)i * errlen] = '\0';
    }
    if (W < 2 || W > SIM_TPAR_WINDOWS_MAX || tp->overlap_ns < 0) {
        snprintf(err, errlen, "--time-parallel: found %u windows, expected 2 to %u", W,
                 SIM_TPAR_WINDOWS_MAX);
        goto refuse;
    }
    if (scn->n_pools > 0) {
        /* the autoscaler, spot reclaims and replica billing carry state over
           hours that one window cannot rebuild from its overlap */
        snprintf(err, errlen,
                 "--time-parallel: the scenario has GPU pools; their autoscaler, spot and billing "
                 "state is not merged across windows (docs/time-parallel.md): run without "
                 "--time-parallel");
        goto refuse;
    }
    if (scn->slo.n_labels > 0) {
        snprintf(err, errlen,
                 "--time-parallel: the scenario has label SLOs; per-label quantiles are not "
                 "merged across windows (docs/time-parallel.md)");
        goto refuse;
    }
    /* one in-memory copy of a trace for every window, when it fits */
    struct trace_mem *mem = NULL;
    uint32_t nsrc = scn->n_sources > 0 ? scn->n_sources : 1;
    const struct trace_cfg *cfg = scn->n_sources > 0 ? scn->sources : &scn->traffic;
    bool shareable = true;
    for (uint32_t i = 0; i < nsrc; i++)
        shareable = shareable && trace_replay_shareable(&cfg[i]);
    if (shareable) {
        struct trace_src *src = scn_open_traffic(scn, seed, err, errlen);
        if (src == NULL)
            goto refuse;
        int mrc = trace_mem_build(src, scn->duration_ns, TRACE_MEM_CAP_BYTES, &mem, err, errlen);
        trace_close(src);
        if (mrc < 0)
            goto refuse;
        if (mrc == 0)
            mem = NULL; /* too big: every window streams it */
        err[0] = '\0';
    }
    int64_t T = 0;
    int frc = tpar_span(scn, mem, &T, err, errlen);
    if (frc == 0 && scn->warmup_ns >= t_of(T, W, 1)) {
        snprintf(err, errlen,
                 "--time-parallel %u: the scenario's warmup (%.9gs) reaches past the first "
                 "window (%.9gs); expected fewer windows or a shorter warmup",
                 W, (double)scn->warmup_ns / NS_PER_S, (double)t_of(T, W, 1) / NS_PER_S);
        frc = BASE_EINVAL;
    }
    if (frc != 0) {
        trace_mem_free(mem);
        goto refuse;
    }
    uint32_t nt_all = n * W;
    struct scenario *wscn = malloc(W * sizeof *wscn);
    struct sim_hooks *hk = calloc(nt_all, sizeof *hk);
    struct sim_result *wr = calloc(nt_all, sizeof *wr);
    struct hist *e2e = calloc(nt_all, sizeof *e2e);
    struct hist *qw = calloc(nt_all, sizeof *qw);
    int *wrc = calloc(nt_all, sizeof *wrc);
    char *werr = calloc(nt_all, errlen);
    int failed = 0;
    if (wscn == NULL || hk == NULL || wr == NULL || e2e == NULL || qw == NULL || wrc == NULL ||
        werr == NULL) {
        snprintf(err, errlen, "out of memory (time-parallel windows)");
        failed = 1;
        goto out;
    }
    for (uint32_t k = 0; k < W; k++) {
        int64_t tk = t_of(T, W, k);
        wscn[k] = *scn; /* shallow: shares the scenario's arrays, read-only */
        wscn[k].warmup_ns = scn->warmup_ns > tk ? scn->warmup_ns : tk;
    }
    for (uint32_t i = 0; i < nt_all; i++) {
        uint32_t k = i % W;
        int64_t tk = t_of(T, W, k);
        hk[i] = (struct sim_hooks){
            .traffic = mem,
            .span_from_ns = tk > tp->overlap_ns ? tk - tp->overlap_ns : 0,
            .span_until_ns = k + 1 < W ? t_of(T, W, k + 1) : 0,
            .e2e_out = &e2e[i],
            .qwait_out = &qw[i],
        };
    }
#ifdef _OPENMP
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (nt > (int)nt_all)
        nt = (int)nt_all;
    if (nt < 1)
        nt = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(+ : failed)
#else
    (void)threads;
#endif
    for (int i = 0; i < (int)nt_all; i++) {
        char *e = werr + (size_t)i * errlen;
        e[0] = '\0';
        wrc[i] = sim_run(&wscn[(uint32_t)i % W], &strategies[(uint32_t)i / W], seed, &hk[i], &wr[i],
                         e, errlen);
        if (wrc[i] != 0)
            failed++;
    }
    for (uint32_t s = 0; s < n; s++) {
        uint32_t base = s * W;
        bool ok = true;
        for (uint32_t k = 0; k < W && ok; k++)
            if (wrc[base + k] != 0) {
                rc[s] = wrc[base + k];
                snprintf(err + (size_t)s * errlen, errlen, "%s",
                         werr + (size_t)(base + k) * errlen);
                ok = false;
            }
        if (!ok)
            continue;
        rc[s] = tpar_merge(scn, &wr[base], &e2e[base], &qw[base], W, T, &res[s],
                           err + (size_t)s * errlen, errlen);
        if (rc[s] != 0) {
            sim_result_free(&res[s]);
            failed++;
        }
    }
out:
    for (uint32_t i = 0; wr != NULL && i < nt_all; i++)
        if (wrc != NULL && wrc[i] == 0)
            sim_result_free(&wr[i]);
    for (uint32_t i = 0; e2e != NULL && i < nt_all; i++)
        hist_fini(&e2e[i]);
    for (uint32_t i = 0; qw != NULL && i < nt_all; i++)
        hist_fini(&qw[i]);
    free(wscn);
    free(hk);
    free(wr);
    free(e2e);
    free(qw);
    free(wrc);
    free(werr);
    trace_mem_free(mem);
    return failed ? -1 : 0;
refuse: /* every strategy reports the message of slot 0 */
    for (uint32_t i = 1; i < n; i++)
        snprintf(err + (size_t)i * errlen, errlen, "%s", err);
    return -1;
}
