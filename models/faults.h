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
 *    caller's attempt timeout ends them);
 *  - a script: a deterministic list of what the k-th attempt the backend
 *    receives meets (a 429 with or without Retry-After, a 5xx, a 400 of
 *    an error class, a hang, normal service), for drills that replay a
 *    published failure sequence (tests/conformance/).  After the list,
 *    normal behaviour, or the list again when it repeats.
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

/* What a script entry does to its attempt. */
enum fault_script_kind {
    FAULT_SCRIPT_OK = 0,         /* normal service (the other faults still apply) */
    FAULT_SCRIPT_STATUS,         /* answers http_status: 429 and 5xx at admission, other
                                    4xx after the drawn first-token time */
    FAULT_SCRIPT_CONTEXT_WINDOW, /* 400 context_length_exceeded at admission */
    FAULT_SCRIPT_CONTENT_POLICY, /* 400 content-policy refusal after the drawn first-token time */
    FAULT_SCRIPT_HANG,           /* no first token, ever (the attempt timeout ends it) */
};

struct fault_script_entry {
    enum fault_script_kind kind;
    int http_status;        /* FAULT_SCRIPT_STATUS: 400..599 */
    int64_t retry_after_ns; /* a 429's Retry-After, -1 = none (the default) */
};

/* Longest script: drills replay a handful of attempts; the list is kept
 * inline so a scenario's backends copy it with the rest of the config. */
#define FAULT_SCRIPT_MAX 32

/* A draw-time effect armed by the script at admission (fault_script_admit),
 * applied by the next fault_draw_attempt. */
enum fault_armed {
    FAULT_ARMED_NONE = 0,
    FAULT_ARMED_STATUS,
    FAULT_ARMED_CONTENT_POLICY,
    FAULT_ARMED_HANG,
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
    struct fault_script_entry script[FAULT_SCRIPT_MAX]; /* attempt k gets script[k] */
    uint32_t n_script;                                  /* 0 = no script */
    bool script_repeat;                                 /* loop the script */
};

struct fault_state {
    uint32_t outage_cursor;   /* first scheduled outage not yet over */
    uint32_t brownout_cursor; /* first brownout not yet over */
    uint32_t storm_cursor;    /* first storm not yet over */
    struct rng outage_rng;    /* random outages, keyed by (seed, key) */
    int64_t down_start_ns;    /* the current or next random outage, */
    int64_t down_end_ns;      /* [start, end); INT64_MAX when none */
    uint64_t script_seen;     /* attempts this backend received (script position) */
    uint8_t armed;            /* enum fault_armed: for the next fault_draw_attempt */
    int armed_status;         /* its status (FAULT_ARMED_STATUS) */
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

/* Script at admission: the entry of the attempt now received (advances
 * the position; NULL when there is no script or it is over).  A 429, a
 * 5xx or a context-window entry is the admission's answer (the caller
 * returns it); a hang, a content-policy refusal or another 4xx is armed
 * for the next fault_draw_attempt (fault_armed_take / fault_arm move it
 * with an attempt that waits in a queue).  Any earlier armed effect is
 * dropped: its attempt never started service. */
const struct fault_script_entry *fault_script_admit(const struct fault_cfg *cfg,
                                                    struct fault_state *st);

/* Take the armed effect off the state (it follows a queued attempt)... */
uint8_t fault_armed_take(struct fault_state *st, int *http_status);
/* ... and arm it again when that attempt starts service. */
void fault_arm(struct fault_state *st, uint8_t armed, int http_status);

/* Per-attempt fault draws at service start. */
struct fault_draw {
    bool hang;           /* never produces a first token */
    bool fail;           /* a brownout or scripted error (http_status) */
    bool content_policy; /* ... a scripted content-policy refusal (400) */
    bool scripted;       /* the script decided (it overrides the base error rate) */
    int http_status;     /* the failure's status when fail */
    double latency_x;    /* latency multiplier (1 outside brownouts) */
};

/* Draws two uniforms from r (hang, then brownout error) whenever the
 * config has a hang rate above 0 or any brownout, whatever the time, so
 * draws after them would not depend on the schedule; without either the
 * two could decide nothing and are not drawn, leaving r as it was (both
 * callers, api_draw and the pool adapter, read r no more after this).  An
 * armed script effect overrides both draws and is consumed. */
void fault_draw_attempt(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                        struct rng *r, struct fault_draw *out);

#endif /* LBSIM_FAULTS_H */
