/*
 * replicate.c - replications: R runs of each strategy on R seeds, their
 * means, 95% t-intervals, SLO verdicts and paired differences (see sim.h).
 *
 * One run is one sample of the scenario's randomness: a p99 TTFT that
 * passes its SLO on one seed may fail on the next.  R independent
 * replications give the mean of every metric and, by the t-interval of
 * stats.h, how sure it is; giving every strategy the same R seeds (common
 * random numbers) pairs the runs, so the interval of the differences is
 * narrower than the two intervals side by side (Law, "Simulation Modeling
 * and Analysis", 5th ed., section 11.2).
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sim_int.h"
#include "stats.h"

/* Keeps replication seeds apart from the rng_stream purposes, which mix
 * small integers the same way (an arbitrary odd 64-bit constant). */
#define REP_SEED_DOMAIN 0xD1B54A32D192ED03ull
/* The Weyl increment of splitmix64: spreads consecutive r over 64 bits. */
#define REP_SEED_GAMMA 0x9E3779B97F4A7C15ull

uint64_t sim_rep_seed(uint64_t seed, uint32_t r)
{
    if (r == 0)
        return seed; /* R = 1 is the plain run, byte for byte */
    return rng_mix64(seed ^ rng_mix64((uint64_t)r * REP_SEED_GAMMA + REP_SEED_DOMAIN));
}

/* Mean of x[0..n-1]; NaN as soon as one is (no defined mean). */
static double mean_of(const double *x, uint32_t n)
{
    double s = 0.0;
    for (uint32_t i = 0; i < n; i++)
        s += x[i];
    return n ? s / (double)n : NAN;
}

/* A mean count, to the nearest integer (JSON counts stay integers). */
static uint64_t round_u64(double v)
{
    return v > 0.0 ? (uint64_t)llround(v) : 0;
}

/* x[r] = (double)(base(r).expr) for every replication. */
#define GATHER(base, expr)                                                                         \
    for (uint32_t r_ = 0; r_ < R; r_++)                                                            \
        x[r_] = (double)((base).expr);

/* One SIM_RUN_METRICS field of *m from reps[0..R-1] (metrics.def). */
#define AGG_U64(field)                                                                             \
    GATHER(reps[r_], field)                                                                        \
    m->field = round_u64(mean_of(x, R));
#define AGG_U32(field)                                                                             \
    GATHER(reps[r_], field)                                                                        \
    m->field = (uint32_t)round_u64(mean_of(x, R));
#define AGG_I64(field)                                                                             \
    GATHER(reps[r_], field)                                                                        \
    m->field = (int64_t)llround(mean_of(x, R));
#define AGG_REAL(field)                                                                            \
    GATHER(reps[r_], field)                                                                        \
    m->field = mean_of(x, R);
#define AGG_LAT(field)                                                                             \
    AGG_REAL(field.mean)                                                                           \
    AGG_REAL(field.p50)                                                                            \
    AGG_REAL(field.p90)                                                                            \
    AGG_REAL(field.p95)                                                                            \
    AGG_REAL(field.p99)                                                                            \
    AGG_REAL(field.p999)                                                                           \
    AGG_REAL(field.max)
#define AGG_VAL(type, field)   AGG_##type(field)
#define AGG_LVAL(type, field)  AGG_##type(field)
#define AGG_FIELD(type, field) AGG_##type(field)
#define AGG_OPEN(type, field)
#define AGG_CLOSE(type, field)
#define AGG_HOOK(type, field)
#define AGG_RUN(kind, type, field, key, unit, doc) AGG_##kind(type, field)

/* Numeric fields of a backend and of a pool, averaged the same way.
 * (clang-format 14 is not idempotent on these lists: it reflows them
 * differently on each pass, so they are laid out by hand.) */
/* clang-format off */
#define BACKEND_U64(X) \
    X(attempts) X(successes) X(upstream_429) X(errors) X(prompt_tokens) X(cached_tokens)
#define BACKEND_REAL(X) \
    X(cost_usd) X(replica_hours) X(busy_share) X(prefix_hit_rate) X(avg_batch_size) \
    X(tokens_per_s_per_replica) X(decode_tokens_per_s_per_replica) X(goodput_accel_share)
#define POOL_U64(X) \
    X(preemptions) X(killed) X(migrated) X(replacements) X(stockouts) X(scale_ups) \
    X(scale_downs) X(prompt_tokens) X(cached_tokens)
#define POOL_U32(X) X(min_serving) X(max_serving)
#define POOL_REAL(X) \
    X(replica_hours) X(cost_usd) X(warmup_s) X(mean_serving) X(prefix_hit_rate) X(busy_share) \
    X(avg_batch_size) X(tokens_per_s_per_replica) X(decode_tokens_per_s_per_replica) \
    X(goodput_accel_share)
/* clang-format on */

/* One label entry's LVAL field, over the replications that met the
 * label (n of them, their entries in lr[]). */
#define LAGG_GATHER(field)                                                                         \
    for (uint32_t r_ = 0; r_ < n; r_++)                                                            \
        x[r_] = (double)(lr[r_]->m.field);
#define LAGG_U64(field)                                                                            \
    LAGG_GATHER(field)                                                                             \
    e->m.field = round_u64(mean_of(x, n));
#define LAGG_REAL(field)                                                                           \
    LAGG_GATHER(field)                                                                             \
    e->m.field = mean_of(x, n);
#define LAGG_LAT(field)                                                                            \
    LAGG_REAL(field.mean)                                                                          \
    LAGG_REAL(field.p50)                                                                           \
    LAGG_REAL(field.p90)                                                                           \
    LAGG_REAL(field.p95)                                                                           \
    LAGG_REAL(field.p99)                                                                           \
    LAGG_REAL(field.p999)                                                                          \
    LAGG_REAL(field.max)
#define LAGG_VAL(type, field)
#define LAGG_LVAL(type, field) LAGG_##type(field)
#define LAGG_FIELD(type, field)
#define LAGG_OPEN(type, field)
#define LAGG_CLOSE(type, field)
#define LAGG_HOOK(type, field)
#define LAGG_RUN(kind, type, field, key, unit, doc) LAGG_##kind(type, field)

/* by_label over replications: replication 0's entries, each LVAL metric
 * the mean over the replications whose traffic carried that label value
 * (matched by kind and value; with a trace, all of them). */
static int aggregate_labels(const struct sim_result *reps, uint32_t R, struct sim_result *m,
                            double *x)
{
    const struct sim_label_result **lr = malloc(R * sizeof *lr);
    if (lr == NULL)
        return -1;
    for (uint32_t j = 0; j < m->n_labels; j++) {
        struct sim_label_result *e = &m->labels[j];
        uint32_t n = 0;
        for (uint32_t r = 0; r < R; r++) {
            const struct sim_label_result *f =
                r == 0 ? e : sim_label_find(&reps[r], e->kind, e->value);
            if (f != NULL)
                lr[n++] = f;
        }
        struct sim_label_result *in = e; /* gathered before written, as above */
        (void)in;
        SIM_RUN_METRICS(LAGG_RUN)
    }
    free(lr);
    return 0;
}

/* Backends and pools hold the same entries in every replication (the
 * scenario fixes them); average them entry by entry. */
static void aggregate_arrays(const struct sim_result *reps, uint32_t R, struct sim_result *m,
                             double *x)
{
    bool same = true;
    for (uint32_t r = 1; r < R; r++)
        same &= reps[r].n_backends == m->n_backends && reps[r].n_pools == m->n_pools &&
                (m->n_backends == 0 || reps[r].backends != NULL) &&
                (m->n_pools == 0 || reps[r].pools != NULL);
    if (!same)
        return; /* cannot happen for one scenario; keep replication 0's */
    for (uint32_t k = 0; m->backends && k < m->n_backends; k++) {
#define B_U64(f)                                                                                   \
    GATHER(reps[r_].backends[k], f)                                                                \
    m->backends[k].f = round_u64(mean_of(x, R));
#define B_REAL(f)                                                                                  \
    GATHER(reps[r_].backends[k], f)                                                                \
    m->backends[k].f = mean_of(x, R);
        BACKEND_U64(B_U64)
        BACKEND_REAL(B_REAL)
    }
    for (uint32_t k = 0; m->pools && k < m->n_pools; k++) {
#define P_U64(f)                                                                                   \
    GATHER(reps[r_].pools[k], f)                                                                   \
    m->pools[k].f = round_u64(mean_of(x, R));
#define P_U32(f)                                                                                   \
    GATHER(reps[r_].pools[k], f)                                                                   \
    m->pools[k].f = (uint32_t)round_u64(mean_of(x, R));
#define P_REAL(f)                                                                                  \
    GATHER(reps[r_].pools[k], f)                                                                   \
    m->pools[k].f = mean_of(x, R);
        POOL_U64(P_U64)
        POOL_U32(P_U32)
        POOL_REAL(P_REAL)
    }
}

int sim_aggregate(struct sim_result *reps, uint32_t R, struct sim_result *mean)
{
    if (R == 0)
        return -1;
    double *x = malloc(R * sizeof *x);
    if (x == NULL)
        return -1;
    /* replication 0's arrays and names; every number is replaced below */
    *mean = reps[0];
    struct sim_result *m = mean;
    if (R > 1) {
        SIM_RUN_METRICS(AGG_RUN)
        /* in place: mean->backends is reps[0].backends until the end,
           and each field is gathered before it is written */
        aggregate_arrays(reps, R, m, x);
        if (aggregate_labels(reps, R, m, x) != 0) {
            free(x);
            return -1;
        }
        m->rep.replications = R;
        for (uint32_t r = 0; r < R; r++)
            m->no_data |= reps[r].no_data;
        for (int k = 0; k < SCN_SLO_COUNT_; k++) {
            for (uint32_t r = 0; r < R; r++)
                x[r] = sim_slo_value(&reps[r], (enum scn_slo_metric)k);
            double mu, hw;
            stats_mean_ci(x, R, STATS_CI_LEVEL, &mu, &hw);
            m->rep.ci[k] = (struct sim_ci){mu - hw, mu + hw};
        }
    }
    free(x);
    reps[0].backends = NULL;
    reps[0].n_backends = 0;
    reps[0].pools = NULL;
    reps[0].n_pools = 0;
    reps[0].ts = NULL;
    reps[0].n_ts = 0;
    reps[0].ts_backends = NULL;
    reps[0].labels = NULL;
    reps[0].n_labels = 0;
    reps[0].label_slo = NULL;
    reps[0].n_label_slo = 0;
    memset(&reps[0].ttft_hist, 0, sizeof reps[0].ttft_hist);
    return 0;
}

void sim_slo_eval_ci(const struct scn_slo *slo, struct sim_result *mean)
{
    mean->n_violations = 0;
    mean->rep.verdict = SIM_VERDICT_PASS;
    for (int k = 0; k < SCN_SLO_COUNT_; k++) {
        if (!slo->set[k])
            continue;
        struct sim_ci ci = mean->rep.ci[k];
        double limit = slo->limit[k];
        enum sim_verdict v;
        /* a lower-bound metric passes when its whole interval is at or
           above the limit */
        bool at_least = scn_slo_at_least((enum scn_slo_metric)k);
        if (at_least ? ci.lo >= limit : ci.hi <= limit)
            v = SIM_VERDICT_PASS;
        else if (at_least ? ci.hi < limit : ci.lo > limit)
            v = SIM_VERDICT_FAIL;
        else
            v = SIM_VERDICT_UNSURE; /* straddles, or undefined (NaN) */
        if (v == SIM_VERDICT_PASS)
            continue;
        mean->violations[mean->n_violations++] = (struct sim_slo_violation){
            .metric = (enum scn_slo_metric)k,
            .limit = limit,
            .value = sim_slo_value(mean, (enum scn_slo_metric)k),
            .verdict = v,
            .ci = ci,
        };
        if (v > mean->rep.verdict)
            mean->rep.verdict = v;
    }
    if (mean->no_data)
        mean->rep.verdict = SIM_VERDICT_FAIL; /* nothing measured: no verdict can pass */
    mean->slo_pass = mean->rep.verdict == SIM_VERDICT_PASS;
}

void sim_paired_diff(const struct sim_result *reps, const struct sim_result *ref, uint32_t R,
                     struct sim_rep *out)
{
    out->has_ref = true;
    memcpy(out->ref, ref[0].strategy, sizeof out->ref);
    out->ref[sizeof out->ref - 1] = '\0';
    double *x = malloc((R ? R : 1) * sizeof *x);
    for (int k = 0; k < SCN_SLO_COUNT_; k++) {
        double mu = NAN, hw = NAN;
        if (x != NULL) {
            for (uint32_t r = 0; r < R; r++)
                x[r] = sim_slo_value(&reps[r], (enum scn_slo_metric)k) -
                       sim_slo_value(&ref[r], (enum scn_slo_metric)k);
            stats_mean_ci(x, R, STATS_CI_LEVEL, &mu, &hw);
        }
        out->diff_mean[k] = mu;
        out->diff_ci[k] = (struct sim_ci){mu - hw, mu + hw};
    }
    free(x);
}

/* Fold the n x R trial results of one scenario (strategy-major: trial
 * i * R + r is replication r of strategy i) into res[0..n): the aggregate of
 * each strategy, its SLO verdicts and, for R > 1 and 0 <= ref < n, its
 * paired differences against strategy ref.  Frees every trial result.
 * rc[i] / err[i * errlen] report the first failed replication of strategy
 * i.  Returns 0 when every strategy folded. */
int sim__fold(const struct scenario *scn, const struct sim_trial *t, uint32_t n, uint32_t R,
              int ref, struct sim_result *tr, int *trc, const char *terr, struct sim_result *res,
              int *rc, char *err, size_t errlen)
{
    size_t nt = (size_t)n * R;
    int failed = 0;
    for (uint32_t i = 0; i < n; i++) {
        rc[i] = 0;
        err[(size_t)i * errlen] = '\0';
        for (uint32_t r = 0; r < R && rc[i] == 0; r++) {
            size_t j = (size_t)i * R + r;
            if (trc[j] != 0) {
                rc[i] = trc[j];
                if (R > 1)
                    snprintf(err + (size_t)i * errlen, errlen, "replication %u (seed %llu): %s", r,
                             (unsigned long long)t[j].seed, terr + j * errlen);
                else
                    snprintf(err + (size_t)i * errlen, errlen, "%s", terr + j * errlen);
                failed = 1;
            }
        }
    }
    /* Paired differences read the replications, so they come before the
     * aggregates take over replication 0's arrays. */
    struct sim_rep *diffs = NULL;
    if (!failed && R > 1 && ref >= 0 && (uint32_t)ref < n) {
        diffs = calloc(n, sizeof *diffs);
        if (diffs == NULL)
            failed = 1;
        for (uint32_t i = 0; diffs && i < n; i++)
            if (i != (uint32_t)ref)
                sim_paired_diff(&tr[(size_t)i * R], &tr[(size_t)ref * R], R, &diffs[i]);
    }
    for (uint32_t i = 0; i < n && !failed; i++) {
        if (sim_aggregate(&tr[(size_t)i * R], R, &res[i]) != 0) {
            for (uint32_t k = 0; k < i; k++)
                sim_result_free(&res[k]);
            failed = 1;
            break;
        }
        if (R > 1)
            sim_slo_eval_ci(&scn->slo, &res[i]);
        if (diffs && i != (uint32_t)ref) {
            struct sim_rep *d = &diffs[i];
            res[i].rep.has_ref = d->has_ref;
            memcpy(res[i].rep.ref, d->ref, sizeof d->ref);
            memcpy(res[i].rep.diff_mean, d->diff_mean, sizeof d->diff_mean);
            memcpy(res[i].rep.diff_ci, d->diff_ci, sizeof d->diff_ci);
        }
    }
    if (failed)
        for (uint32_t i = 0; i < n; i++)
            if (rc[i] == 0) {
                rc[i] = -1;
                snprintf(err + (size_t)i * errlen, errlen, "out of memory");
            }
    free(diffs);
    for (size_t j = 0; j < nt; j++)
        if (trc[j] == 0)
            sim_result_free(&tr[j]);
    return failed ? -1 : 0;
}

int sim_replicate(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                  uint64_t seed, uint32_t R, int ref, int threads, struct sim_result *res, int *rc,
                  char *err, size_t errlen)
{
    return sim_replicate_hooks(scn, strategies, n, seed, R, ref, threads, NULL, res, rc, err,
                               errlen);
}

int sim_replicate_hooks(const struct scenario *scn, const struct scn_strategy *strategies,
                        uint32_t n, uint64_t seed, uint32_t R, int ref, int threads,
                        const struct sim_hooks *hooks, struct sim_result *res, int *rc, char *err,
                        size_t errlen)
{
    if (R <= 1 && hooks == NULL)
        return sim_compare(scn, strategies, n, seed, threads, res, rc, err, errlen);
    if (R <= 1) { /* sim_compare's trials, with their hooks */
        struct sim_trial *t1 = calloc(n ? n : 1, sizeof *t1);
        if (t1 == NULL) {
            for (uint32_t i = 0; i < n; i++) {
                rc[i] = -1;
                snprintf(err + (size_t)i * errlen, errlen, "out of memory");
            }
            return -1;
        }
        for (uint32_t i = 0; i < n; i++)
            t1[i] = (struct sim_trial){.scn = scn, .strategy = &strategies[i], .seed = seed};
        int r = sim__trials_hooks(t1, hooks, n, threads, res, rc, err, errlen);
        free(t1);
        return r;
    }
    size_t nt = (size_t)n * R;
    struct sim_trial *t = calloc(nt ? nt : 1, sizeof *t);
    struct sim_result *tr = calloc(nt ? nt : 1, sizeof *tr);
    int *trc = calloc(nt ? nt : 1, sizeof *trc);
    char *terr = calloc(nt ? nt : 1, errlen);
    int failed = 0;
    if (nt > UINT32_MAX || t == NULL || tr == NULL || trc == NULL || terr == NULL) {
        for (uint32_t i = 0; i < n; i++) {
            rc[i] = -1;
            snprintf(err + (size_t)i * errlen, errlen, "out of memory");
        }
        failed = 1;
        goto done;
    }
    /* strategy-major: trial i * R + r is replication r of strategy i */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t r = 0; r < R; r++)
            t[(size_t)i * R + r] = (struct sim_trial){
                .scn = scn, .strategy = &strategies[i], .seed = sim_rep_seed(seed, r)};
    sim__trials_hooks(t, hooks, (uint32_t)nt, threads, tr, trc, terr, errlen);
    failed = sim__fold(scn, t, n, R, ref, tr, trc, terr, res, rc, err, errlen) != 0;
    free(t);
    free(tr);
    free(trc);
    free(terr);
    return failed ? -1 : 0;
done:
    if (trc != NULL)
        for (size_t j = 0; j < nt; j++)
            if (trc[j] == 0 && tr != NULL)
                sim_result_free(&tr[j]);
    free(t);
    free(tr);
    free(trc);
    free(terr);
    return failed ? -1 : 0;
}
