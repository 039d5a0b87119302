/*
 * sim.h - the lbsim engine: one run of a scenario under one strategy, and
 * the OpenMP trial runner (prefix sim_).
 *
 * A run owns everything it touches in one struct (no globals): virtual
 * clock, 4-ary event heap, RNG streams, the route/ router, the backend
 * models, the in-flight request pool and the metrics.  It reads the
 * scenario (const, shared between trials) and the trace (opened per run,
 * streamed).  Memory is O(in-flight requests + backends + time-series
 * intervals), independent of the number of requests.
 *
 * Request life (docs/DESIGN.md): arrival -> route (pick) -> attempt dispatched
 * -> backend admission (429 / queue / accept) -> first token -> completion
 * or failure -> retry after backoff (rerouted, tried backends excluded) or
 * give up.  An attempt whose first token does not come within the attempt
 * timeout is cancelled and counts as a timeout (408).
 *
 * Determinism: the output is a function of (scenario, strategy, seed) only.
 */
#ifndef LBSIM_SIM_H
#define LBSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"
#include "hist.h"

/* Latency summary in seconds. */
struct sim_lat {
    double mean, p50, p90, p95, p99, p999, max;
};

struct sim_backend_result {
    char name[SCN_NAME_MAX];
    uint64_t attempts, successes, upstream_429, errors, timeouts;
    double cost_usd; /* API: tokens billed; pool slot: replica-hours x price */
    /* pool slots only (is_pool) */
    bool is_pool;
    double replica_hours;   /* billed (warming + serving + draining + notice), measured window */
    double busy_share;      /* step time / time up (serving, draining or in notice), whole run */
    uint64_t prompt_tokens; /* prompt tokens admitted (computed + from the prefix cache) */
    uint64_t cached_tokens; /* ... served from the prefix cache */
    double prefix_hit_rate; /* cached / prompt tokens, NaN when none */
    /* docs/notes/pool-metrics.md §2; whole run, NaN without busy time */
    double avg_batch_size;                  /* time-weighted running batch over busy time */
    double tokens_per_s_per_replica;        /* prompt tokens computed + output tokens, per busy s */
    double decode_tokens_per_s_per_replica; /* output tokens per busy s */
    double goodput_accel_share;             /* good_accel_s / busy s (NaN without SLO limits) */
    double good_accel_s;                    /* busy time attributed to good requests */
};

/* A GPU pool over the run. */
struct sim_pool_result {
    char name[SCN_NAME_MAX];
    char profile[SCN_NAME_MAX];
    bool spot;
    double usd_per_hour;  /* per replica */
    double replica_hours; /* billed, measured window */
    double cost_usd;      /* replica_hours x usd_per_hour */
    double warmup_s;      /* replica-seconds spent loading the model (billed, not serving) */
    double mean_serving;  /* time-average of serving replicas */
    uint32_t min_serving, max_serving;
    uint64_t preemptions;            /* replicas reclaimed (spot) */
    uint64_t killed;                 /* requests still on a reclaimed replica at its deadline */
    uint64_t migrated;               /* ... of those, re-routed without using a retry */
    uint64_t replacements;           /* replacement replicas obtained */
    uint64_t stockouts;              /* replacement attempts that found no capacity */
    uint64_t scale_ups, scale_downs; /* autoscaler decisions (replicas added / drained) */
    uint64_t prompt_tokens, cached_tokens;
    double prefix_hit_rate; /* NaN when no prompt tokens */
    double busy_share;      /* step time / replica time up */
    /* as in sim_backend_result, over the pool's replicas */
    double avg_batch_size, tokens_per_s_per_replica, decode_tokens_per_s_per_replica;
    double goodput_accel_share;
    uint32_t *serving_ts; /* serving replicas at the end of each interval (n_ts) */
};

/* Field types of the metric lists in metrics.def. */
#define SIM__CTYPE_U64                uint64_t
#define SIM__CTYPE_I64                int64_t
#define SIM__CTYPE_U32                uint32_t
#define SIM__CTYPE_REAL               double
#define SIM__CTYPE_LAT                struct sim_lat
#define SIM__FIELD_VAL(type, field)   SIM__CTYPE_##type field;
#define SIM__FIELD_LVAL(type, field)  SIM__CTYPE_##type field;
#define SIM__FIELD_FIELD(type, field) SIM__CTYPE_##type field;
#define SIM__FIELD_OPEN(type, field)
#define SIM__FIELD_CLOSE(type, field)
#define SIM__FIELD_HOOK(type, field)
#define SIM__RUN_FIELD(kind, type, field, key, unit, doc)   SIM__FIELD_##kind(type, field)
#define SIM__TS_FIELD(kind, type, field, column, unit, doc) SIM__CTYPE_##type field;

#include "metrics.def"

/* One time-series interval [t, t + interval): the columns of
 * SIM_TS_COLUMNS (metrics.def). */
struct sim_ts_row {
    SIM_TS_COLUMNS(SIM__TS_FIELD)
};

/* One backend in one time-series interval (timeseries_backends.csv). */
struct sim_ts_backend {
    uint64_t attempts, successes, upstream_429, errors; /* measured attempts ending here */
    double cost_usd;                                    /* billed here */
    /* at the interval's end: present, up, not in a provider outage or
     * brownout, and healthy or half-open in gateway replica 0's router
     * (not DOWN, COOLDOWN, OPEN or EJECTED) */
    bool healthy;
};

struct sim_label_result;

/* A two-sided 95% confidence interval [lo, hi]. */
struct sim_ci {
    double lo, hi;
};

/* An SLO verdict over replications: pass when the upper bound of the
 * metric's 95% interval is within the limit, fail when the lower bound is
 * beyond it, unsure when the interval straddles the limit. */
enum sim_verdict { SIM_VERDICT_PASS, SIM_VERDICT_UNSURE, SIM_VERDICT_FAIL };

struct sim_slo_violation {
    enum scn_slo_metric metric;
    double limit, value;      /* value: the mean over replications when R > 1 */
    enum sim_verdict verdict; /* R > 1 only (a single run's violation fails) */
    struct sim_ci ci;         /* R > 1 only */
};

/* What a mean over R > 1 replications adds to its result (sim_aggregate):
 * for each SLO metric (SIM_SLO_METRICS) the 95% t-interval of its mean,
 * and, against a reference strategy run on the same R seeds, the mean
 * paired difference (this - reference) with its 95% t-interval. */
struct sim_rep {
    uint32_t replications; /* 0: a single run, the rest is unset */
    struct sim_ci ci[SCN_SLO_COUNT_];
    enum sim_verdict verdict; /* the worst over the scenario's slo: */
    bool has_ref;             /* diff_* set; false for the reference itself */
    char ref[SCN_NAME_MAX];
    double diff_mean[SCN_SLO_COUNT_];
    struct sim_ci diff_ci[SCN_SLO_COUNT_];
};

struct sim_result {
    char strategy[SCN_NAME_MAX];
    /* Every metric of SIM_RUN_METRICS (metrics.def), in its order.
       Conservation: requests = completed + failed + in_flight_at_end. */
    SIM_RUN_METRICS(SIM__RUN_FIELD)
    struct sim_backend_result *backends;
    uint32_t n_backends;
    struct sim_pool_result *pools;
    uint32_t n_pools;
    struct sim_ts_row *ts;
    uint32_t n_ts;
    int64_t interval_ns;
    struct hist ttft_hist; /* ns, for CDF plots */
    bool slo_pass;         /* R > 1: the verdict is pass */
    /* No measured request (an empty or header-only trace, every row
     * skipped, a window past the end of the traffic, a warm-up longer than
     * it): nothing can be judged, so the verdict is "no data", which fails
     * (slo_pass false, with or without slo:).  A CI gate must not read an
     * empty run as a pass.  R > 1: any replication without data. */
    bool no_data;
    struct sim_slo_violation violations[SCN_SLO_COUNT_];
    uint32_t n_violations;
    struct sim_rep rep; /* replications; zero for a single run */
    /* n_ts x n_backends, row-major (ts_backends[k * n_backends + b]) */
    struct sim_ts_backend *ts_backends;
    /* by_label: every label kind the traffic carries (scn_label_kind
     * order), its values in order of first appearance */
    struct sim_label_result *labels;
    uint32_t n_labels;
    /* label SLOs (scn_slo.labels), in their order */
    struct sim_label_verdict *label_slo;
    uint32_t n_label_slo;
};

/* The requests of a run carrying one label value: the LVAL metrics of
 * SIM_RUN_METRICS (metrics.def) in m, computed as the run's are (TTFT and
 * e2e from a 16-buckets-per-octave histogram: within 3.2% of the exact
 * quantile).  cost_usd is the API cost of its requests' attempts (hedges
 * included); pool replica-hours are not attributed to labels. */
struct sim_label_result {
    enum scn_label_kind kind;
    char value[SCN_NAME_MAX]; /* "" for requests without the label */
    struct sim_result m;      /* the LVAL fields only; no arrays */
};

/* A label SLO's verdict (scn_slo.labels[i]). */
struct sim_label_verdict {
    enum scn_label_kind kind;
    char value[SCN_NAME_MAX];
    bool no_data; /* no measured request carried the label */
    bool pass;
    struct sim_slo_violation violations[SCN_SLO_COUNT_];
    uint32_t n_violations;
};

/* A finished request, for per-request output and validation tests. */
struct sim_req_record {
    uint64_t id;
    int64_t arrival_ns, first_token_ns, done_ns; /* -1 when absent */
    int64_t queue_wait_ns;
    int64_t input_tokens, output_tokens;
    uint32_t attempts;
    int final_status; /* HTTP status of the client answer */
    int32_t backend;  /* last backend tried, -1 none */
    bool measured;    /* arrived after warmup */
    /* appended with issue 14: the request's label values by enum
     * scn_label_kind ("" when unset; a priority in decimal; valid during
     * the call only) and its API cost (its attempts' and its hedges') */
    const char *label[SCN_LABEL_KINDS_];
    double cost_usd;
    /* appended with issue 14 item 5 (--requests): final_status 0 means the
     * request was still in flight when the run ended (only with
     * sim_hooks.report_unfinished) */
    uint32_t attempts_total; /* attempts over every model group (attempts restarts per group) */
    int8_t cache_hit;        /* 1 answered from the gateway cache, 0 not, -1 no cache model */
    bool fallback;           /* moved to a fallback model group at least once */
    bool hedged;             /* at least one hedged copy was sent */
};

/* One attempt of a request, when it ends (success or failure), for
 * per-attempt timelines (the conformance suite) and validation. */
struct sim_attempt_record {
    uint64_t req_id;
    uint32_t attempt; /* 1-based count of the request's attempts so far */
    int32_t backend;  /* index into the scenario's backends */
    uint32_t group;   /* model group the attempt was routed in */
    int64_t start_ns, end_ns;
    int http_status; /* 200, or the failure's status */
    bool hedge;      /* a hedged copy */
};

struct sim_hooks {
    /* Called once per finished request, in completion order. */
    void (*on_request)(void *ctx, const struct sim_req_record *rec);
    void *ctx;
    /* Called when an attempt ends, in event order (NULL: not called). */
    void (*on_attempt)(void *ctx, const struct sim_attempt_record *rec);
    /* The scenario's traffic already in memory (trace_mem_build on
       scn_open_traffic), replayed instead of opening the trace; NULL: open
       it.  sim_trials sets it to parse a trace once for all its trials. */
    const struct trace_mem *traffic;
    /* Progress of the run (issue 14 item 6; NULL: not called): every
       SIM_PROGRESS_EVENTS events and once at the end, the requests arrived
       so far and the virtual clock.  Never changes the run's results. */
    void (*on_progress)(void *ctx, uint64_t requests_done, int64_t sim_now_ns);
    /* Also call on_request, once at the end of the run, for every request
       still in flight (final_status 0, after the finished ones, in slot
       order); false: finished requests only. */
    bool report_unfinished;
    /* Time-parallel replay (tparallel.c, docs/time-parallel.md); all zero:
     * off.  Arrivals before span_from_ns are read and dropped without an
     * event (their request ids still advance, so every draw keyed by a
     * request is the sequential run's); none at or after span_until_ns
     * (0: no bound).  e2e_out, qwait_out: the run's e2e and queue-wait
     * histograms are moved there (the caller hist_fini's them). */
    int64_t span_from_ns, span_until_ns;
    struct hist *e2e_out, *qwait_out;
    /* Test-only: publish every engine signal to the routers as if their
     * strategies read them all (route_router_reads = ROUTE_READS_ALL),
     * instead of only those some strategy reads, and give every API
     * attempt's first token an event of its own (backend_api.c folds it
     * into the last token's when nothing reads it).  Never changes results
     * but the event count: tests/unit/test_sim_reads.c checks that. */
    bool publish_all_signals;
};

/* Events between two on_progress calls: rare enough to cost nothing
   measurable (a compare per event), often enough for a 10 Hz display
   (an assumption: ~10^6 events/s per thread, so ~15 calls/s). */
#define SIM_PROGRESS_EVENTS (1ull << 16)

/*
 * Run `scn` under `strategy` with `seed`.  Fills *res (free with
 * sim_result_free).  Returns 0, or a negative BASE_E* code with a message:
 * BASE_ENOMEM for out of memory, BASE_EINVAL for the rest (a bad trace
 * row, a trace model group no backend serves, a strategy that failed to
 * create, a work cap exceeded).
 * Thread-safe across distinct calls.
 */
int sim_run(const struct scenario *scn, const struct scn_strategy *strategy, uint64_t seed,
            const struct sim_hooks *hooks, struct sim_result *res, char *err, size_t errlen);

void sim_result_free(struct sim_result *res);

/* Evaluate the scenario's SLOs on a result (fills slo_pass, violations). */
void sim_slo_eval(const struct scn_slo *slo, struct sim_result *res);

/* The label SLOs of slo (slo->labels) on res->labels: fills
 * res->label_slo and clears slo_pass when one is missed or has no data
 * (sim_slo_eval calls it). */
void sim_slo_eval_labels(const struct scn_slo *slo, struct sim_result *res);

/* The by_label entry (kind, value) of a result, NULL when none. */
const struct sim_label_result *sim_label_find(const struct sim_result *res,
                                              enum scn_label_kind kind, const char *value);

/* The metric a SLO constrains, read from a result. */
double sim_slo_value(const struct sim_result *res, enum scn_slo_metric m);

/*
 * Run n strategies on the same traffic (same seed: common random numbers)
 * with up to `threads` OpenMP threads (0 = OpenMP's default).  res[i] and
 * err[i * errlen] belong to strategy i; rc[i] its return code.  Results are
 * identical whatever the thread count.  Returns 0 if every run succeeded.
 */
int sim_compare(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                uint64_t seed, int threads, struct sim_result *res, int *rc, char *err,
                size_t errlen);

/* ---- trials and replications (trials.c, replicate.c) ------------------- */

/* One independent run: a scenario (const, shared), a strategy, a seed. */
struct sim_trial {
    const struct scenario *scn;
    const struct scn_strategy *strategy;
    uint64_t seed;
};

/*
 * Run n trials as OpenMP work over one pool of up to `threads` threads
 * (0 = OpenMP's default; never more threads than trials).  Trial i writes
 * only res[i], rc[i] (sim_run's return code) and err[i * errlen ..], so
 * the results are identical whatever the thread count and schedule.
 * Returns 0 if every trial succeeded, else -1.
 */
int sim_trials(const struct sim_trial *t, uint32_t n, int threads, struct sim_result *res, int *rc,
               char *err, size_t errlen);

/*
 * The seed of replication r of a run seeded `seed`.  r = 0 is `seed`
 * itself (so one replication is the plain run); r > 0 goes through two
 * 64-bit finalizers, so replication seeds are unrelated to each other and
 * to nearby base seeds.  Every strategy of one invocation uses the same
 * replication seeds: common random numbers, paired comparisons.
 */
uint64_t sim_rep_seed(uint64_t seed, uint32_t r);

/*
 * Fold R >= 1 replications of one strategy into *mean: every numeric
 * metric of SIM_RUN_METRICS is the mean over the replications (LAT
 * components one by one; integer counts rounded to the nearest integer,
 * so the JSON keeps its types; a metric that is NaN in any replication
 * is NaN), backends[] and pools[] scalars likewise.  The time series,
 * the TTFT histogram and pools' serving series are replication 0's: *mean
 * takes over reps[0]'s arrays, reps[0] is left without them (free every
 * reps[i] and *mean with sim_result_free).  With R > 1 fills mean->rep.ci;
 * with R = 1 *mean is reps[0] unchanged.  Returns 0, or -1 when R = 0.
 */
int sim_aggregate(struct sim_result *reps, uint32_t R, struct sim_result *mean);

/* The SLO verdicts of an aggregated result from its intervals (R > 1):
 * fills slo_pass, violations (the metrics not passing) and rep.verdict. */
void sim_slo_eval_ci(const struct scn_slo *slo, struct sim_result *mean);

/* Paired differences reps[r] - ref[r] (r < R, same seeds) of every SLO
 * metric into out->diff_mean / diff_ci; out->ref = ref[0].strategy. */
void sim_paired_diff(const struct sim_result *reps, const struct sim_result *ref, uint32_t R,
                     struct sim_rep *out);

/*
 * sim_compare with R replications per strategy: n x R trials in one pool
 * (replication r of every strategy uses sim_rep_seed(seed, r)), then
 * res[i] = the aggregate of strategy i (sim_aggregate, sim_slo_eval_ci)
 * and, when 0 <= ref < n, its paired differences against strategy ref.
 * R = 1 is exactly sim_compare.  rc[i] and err[i * errlen] report the
 * first failed replication of strategy i.  Returns 0 if every run
 * succeeded (then free each res[i]); on failure no res[i] needs freeing
 * beyond those with rc[i] == 0.
 */
int sim_replicate(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                  uint64_t seed, uint32_t R, int ref, int threads, struct sim_result *res, int *rc,
                  char *err, size_t errlen);

/*
 * sim_replicate with hooks: hooks[i * R + r] (NULL: none) for replication r
 * of strategy i, strategy-major, the trial order of sim_replicate.  Each
 * trial's callbacks run on the thread running it, so ctx must be per trial
 * or thread-safe.  hooks == NULL is sim_replicate.
 */
int sim_replicate_hooks(const struct scenario *scn, const struct scn_strategy *strategies,
                        uint32_t n, uint64_t seed, uint32_t R, int ref, int threads,
                        const struct sim_hooks *hooks, struct sim_result *res, int *rc, char *err,
                        size_t errlen);
/* ---- time-parallel replay (tparallel.c, docs/time-parallel.md) -------- */

#define SIM_TPAR_WINDOWS_MAX 4096u

struct sim_tpar {
    uint32_t windows;   /* W >= 2 */
    int64_t overlap_ns; /* unmeasured warm-up replayed before each window */
};

/* The default overlap: 10 minutes, at least 10 x router.attempt_timeout. */
int64_t sim_tpar_default_overlap_ns(const struct scenario *scn);

/*
 * sim_compare with the traffic span [0, T) (T = duration:, else the
 * in-memory trace's last arrival) cut into tp->windows equal windows, each
 * run as an independent trial with tp->overlap_ns of unmeasured warm-up,
 * n x W trials in one OpenMP pool; res[i] = the merge of strategy i's
 * windows (counts exact, quantiles from merged histograms, rates
 * recomputed; docs/time-parallel.md).  Refuses (rc[i] = BASE_EINVAL, a
 * message in every err slot) GPU pools, label SLOs, traffic carrying
 * labels, an unknown T and a warmup past the first window.  Results are
 * identical whatever the thread count.  Returns 0 if every run succeeded.
 */
int sim_tpar_run(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                 uint64_t seed, const struct sim_tpar *tp, int threads, struct sim_result *res,
                 int *rc, char *err, size_t errlen);

#endif /* LBSIM_SIM_H */
