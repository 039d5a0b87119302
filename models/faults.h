/*
 * faults.h - what goes wrong at a backend, for every backend kind
 * (prefix fault_).
 *
 * A fault schedule is a value (struct fault_cfg, immutable during a run)
 * plus a state (struct fault_state, one per backend per run).  It covers:
 *  - outages: scheduled windows, and random ones from MTBF/MTTR
 *    (exponential up and down times).  Every admission in an outage fails
 *    with the outage's status;
 *  - a base error rate (the caller draws it, see api_draw);
 *  - brownouts: windows in which latency is multiplied by latency_x
 *    and/or an extra share error_rate of attempts fails with a status;
 *  - 429 storms: windows in which a share of admissions answers 429 with
 *    a Retry-After;
 *  - hangs: a share of attempts that never produce a first token (the
 *    caller's attempt timeout ends them).
 *
 * Time only moves forward: queries must come with non-decreasing times
 * (cursors skip finished windows; the random outage schedule is generated
 * lazily, one window at a time, in O(1) memory).
 *
 * Random outages come from a stream keyed by (seed, key), key being the
 * backend's index: every strategy run with the same seed meets the same
 * schedule, whatever it sends where (common random numbers).  Per-attempt
 * draws come from the caller's keyed stream, in a fixed order.
 */
#ifndef LBSIM_FAULTS_H
#define LBSIM_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

/* A scheduled outage: every admission in [start, end) fails. */
struct fault_outage {
    int64_t start_ns, end_ns; /* [start, end) */
    int http_status;          /* e.g. 503 */
};

/* A brownout: degraded service in [start, end). */
struct fault_brownout {
    int64_t start_ns, end_ns;
    double latency_x;  /* TTFT and decode time multiplier, >= 1 (1 = unchanged) */
    double error_rate; /* extra probability an attempt fails, on top of the base rate */
    int http_status;   /* status of those extra failures */
};

/* A 429 storm: a share of admissions in [start, end) answers 429. */
struct fault_storm {
    int64_t start_ns, end_ns;
    double share;           /* (0, 1] */
    int64_t retry_after_ns; /* the Retry-After sent, -1 = none */
};

struct fault_cfg {
    double error_rate; /* probability an admitted attempt fails (drawn by the caller) */
    int error_status;  /* its HTTP status */
    const struct fault_outage *outages; /* sorted by start, not overlapping */
    uint32_t n_outages;
    int64_t mtbf_ns;                        /* random outages: mean up time, 0 = none */
    int64_t mttr_ns;                        /* ... mean down time (> 0 when mtbf_ns > 0) */
    int random_status;                      /* status of a random outage */
    const struct fault_brownout *brownouts; /* sorted, not overlapping */
    uint32_t n_brownouts;
    const struct fault_storm *storms; /* sorted, not overlapping */
    uint32_t n_storms;
    double hang_rate; /* probability an attempt never produces a first token */
};

struct fault_state {
    uint32_t outage_cursor;   /* first scheduled outage not yet over */
    uint32_t brownout_cursor; /* first brownout not yet over */
    uint32_t storm_cursor;    /* first storm not yet over */
    struct rng outage_rng;    /* random outages, keyed by (seed, key) */
    int64_t down_start_ns;    /* the current or next random outage, */
    int64_t down_end_ns;      /* [start, end); INT64_MAX when none */
};

/* Start a schedule at time 0 (up).  `seed` and `key` (the backend index)
 * key the random outage stream. */
void fault_state_init(struct fault_state *st, const struct fault_cfg *cfg, uint64_t seed,
                      uint64_t key);

/* True if now_ns lies in a scheduled or random outage; sets *http_status
 * (a scheduled outage's status wins when both apply). */
bool fault_in_outage(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                     int *http_status);

/* The random outage that is current at, or next after, the last query:
 * [*start_ns, *end_ns), INT64_MAX when there is none.  For tests and
 * reports. */
void fault_random_window(const struct fault_state *st, int64_t *start_ns, int64_t *end_ns);

/* The brownout covering now_ns, NULL if none. */
const struct fault_brownout *fault_brownout_at(const struct fault_cfg *cfg, struct fault_state *st,
                                               int64_t now_ns);

/* The storm covering now_ns, NULL if none. */
const struct fault_storm *fault_storm_at(const struct fault_cfg *cfg, struct fault_state *st,
                                         int64_t now_ns);

/* Admission in a storm: true if this admission answers 429 (*retry_after_ns
 * set).  Draws one uniform from r, only inside a storm whose share is
 * below 1 (r NULL: the admission is refused whenever a storm is on). */
bool fault_storm_hits(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                      struct rng *r, int64_t *retry_after_ns);

/* Per-attempt fault draws at service start. */
struct fault_draw {
    bool hang;        /* never produces a first token */
    bool fail;        /* a brownout error (http_status) */
    int http_status;  /* the brownout's status when fail */
    double latency_x; /* latency multiplier (1 outside brownouts) */
};

/* Always draws two uniforms from r (hang, then brownout error), so the
 * caller's later draws do not depend on the schedule. */
void fault_draw_attempt(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                        struct rng *r, struct fault_draw *out);

#endif /* LBSIM_FAULTS_H */
