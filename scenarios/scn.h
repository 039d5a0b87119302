/*
 * scn.h - the scenario file (YAML via libyaml): loader and validated,
 * immutable description of a run (prefix scn_).
 *
 * A struct scenario is built once and then only read, by any number of
 * trials in parallel.  Errors name "file:line:column: found X, expected Y";
 * unknown keys suggest the nearest valid key.  Units: durations `500ms`,
 * `2s`, `5m`, `1h` (a bare number is seconds); rates `20/s`, `300/m`,
 * `1000/h`; percentages `0.1%` (or a bare fraction); money `$1.50` or
 * `1.50` (USD).  See README.md "Scenario reference" for every key.
 */
#ifndef LBSIM_SCN_H
#define LBSIM_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../models/api.h"
#include "../route/route.h"
#include "../traces/trace.h"

#define SCN_NAME_MAX 64
#define SCN_PATH_MAX 4096

enum scn_backend_kind {
    SCN_BACKEND_API = 0,
};

struct scn_backend {
    char name[SCN_NAME_MAX];
    char group[SCN_NAME_MAX]; /* model group it serves ("" = default); route.model_group */
    char model[SCN_NAME_MAX]; /* label, e.g. "gpt-4o-mini" */
    enum scn_backend_kind kind;
    struct route_backend_cfg route;   /* weight, tier, prices, limits, ...;
                                         route.name points at name above */
    struct api_cfg api;               /* the provider model */
    struct fault_outage *outages;     /* owned; api.faults.outages points here */
    struct fault_brownout *brownouts; /* owned; api.faults.brownouts points here */
    struct fault_storm *storms;       /* owned; api.faults.storms points here */
};

/* A strategy with its parameters (all filled, defaults included), and for
 * composed strategies the tree under it: `root` is the node to build (its
 * ops and params equal the fields above); its children and backend subsets
 * live in memory the scenario owns, so copies of this struct share them. */
struct scn_strategy {
    char label[SCN_NAME_MAX]; /* shown in tables; defaults to the name */
    const struct route_ops *ops;
    double params[ROUTE_MAX_PARAMS];
    struct route_spec root;
};

/* Hedged requests: a second attempt when the first has no first token
 * after a delay (fixed, or a percentile of observed TTFTs). */
struct scn_hedge {
    int64_t after_ns;         /* 0 = use the percentile */
    double percentile;        /* e.g. 0.95; 0 with after_ns 0 = hedging off */
    uint32_t max_hedges;      /* extra attempts per request (1) */
    enum api_bill bill_loser; /* what the cancelled attempt bills */
};

struct scn_router {
    struct scn_strategy strategy; /* router.strategy (+ params) */
    struct route_retry retry;
    struct route_health_cfg health;
    struct route_fallbacks fallbacks; /* rules owned by the scenario */
    struct scn_hedge hedge;
    uint32_t replicas;          /* gateway instances, each with its own route/ state (1) */
    bool shared_state;          /* replicas share one route/ state (Redis-style) */
    int64_t staleness_ns;       /* signals reach the strategies this late (0 = live) */
    uint32_t default_group;     /* group of requests that name none (1-based id, 0 = none) */
    int64_t attempt_timeout_ns; /* first token must arrive within; 0 = none */
    int64_t queue_timeout_ns;   /* gateway queue (FULL) wait cap; 0 = none */
};

/* SLO metrics, in the order of the summary JSON. */
enum scn_slo_metric {
    SCN_SLO_TTFT_P50 = 0,
    SCN_SLO_TTFT_P90,
    SCN_SLO_TTFT_P95,
    SCN_SLO_TTFT_P99,
    SCN_SLO_E2E_P99,
    SCN_SLO_CLIENT_429_RATE,
    SCN_SLO_UPSTREAM_429_RATE,
    SCN_SLO_ERROR_RATE,
    SCN_SLO_COST_PER_1K,
    SCN_SLO_COUNT_
};

struct scn_slo {
    bool set[SCN_SLO_COUNT_];
    double limit[SCN_SLO_COUNT_]; /* seconds, fractions or USD: upper bounds */
};

/* Storage behind one traffic source's trace_cfg (its pointers point here). */
struct scn_source {
    char path[SCN_PATH_MAX];
    int64_t *table_t_ns; /* owned: synth.table_t_ns */
    double *table_rate;  /* owned: synth.table_rate */
};

struct scenario {
    char path[SCN_PATH_MAX];         /* the file as given */
    char name[SCN_NAME_MAX];         /* `name:` or the file's base name */
    uint64_t seed;                   /* `seed:` (default 1) */
    int64_t duration_ns;             /* arrivals after this are not read; 0 = all */
    int64_t warmup_ns;               /* requests arriving earlier are not measured */
    int64_t interval_ns;             /* time-series interval (default 60 s) */
    struct trace_cfg traffic;        /* traffic.path is absolute or relative to cwd */
    char trace_path[SCN_PATH_MAX];   /* storage for traffic.path */
    struct scn_source traffic_store; /* tables of the single source */
    struct trace_cfg *sources;       /* `traffic: {sources: [...]}`: merged inputs (then
                                        `traffic` is unused), NULL for a single source */
    struct scn_source *source_store;
    uint32_t n_sources;
    struct scn_backend *backends;
    uint32_t n_backends;
    struct scn_router router;
    struct scn_strategy *compare; /* `compare:` list; NULL/0 if absent */
    uint32_t n_compare;
    struct scn_slo slo;
    /* model groups named by backends and fallbacks: id = index + 1 */ char (*groups)[SCN_NAME_MAX];
    uint32_t n_groups;
    char (*regions)[SCN_NAME_MAX]; /* regions named by backends: id = index + 1 */
    uint32_t n_regions;
    char (*tags)[SCN_NAME_MAX]; /* tags named by backends: bit = index */
    uint32_t n_tags;
    void *owned; /* arena of everything the strategy trees and fallbacks point at */
};

/* Metric names as they appear in `slo:` and the summary JSON. */
const char *scn_slo_name(enum scn_slo_metric m);

/* Load and validate `path`.  0, or -1 with "file:line:col: ..." in err.
 * On failure *out holds nothing to free. */
int scn_load(const char *path, struct scenario *out, char *err, size_t errlen);

/* The same with strategies also looked up in `reg` (plugins); reg NULL = the
 * built-in registry only. */
int scn_load_ex(const char *path, const struct route_registry *reg, struct scenario *out, char *err,
                size_t errlen);

/* Group id (1-based) of a model group name, 0 if the scenario has none. */
uint32_t scn_group_id(const struct scenario *s, const char *name);
/* Region id (1-based) of a region name, 0 if no backend names it. */
uint32_t scn_region_id(const struct scenario *s, const char *name);

/* The task label the `filter` strategy's tool offload matches (task id 1:
 * requests whose task label is "tool"). */
#define SCN_TOOL_TASK "tool"

/* Parse a strategy spec like "name" for --strategy (defaults filled). */
int scn_strategy_by_name(const char *name, struct scn_strategy *out, char *err, size_t errlen);
int scn_strategy_by_name_ex(const struct route_registry *reg, const char *name,
                            struct scn_strategy *out, char *err, size_t errlen);

void scn_free(struct scenario *s);

/* Open the scenario's traffic: the single source, or the merge of
 * `sources`.  Close with trace_close.  NULL + message on failure. */
struct trace_src *scn_open_traffic(const struct scenario *s, uint64_t seed, char *err,
                                   size_t errlen);

/* Unit parsers, exposed for tests.  Each returns 0 or -1 with a message
 * (without location) in err. */
int scn_parse_duration_ns(const char *s, int64_t *out, char *err, size_t errlen);
int scn_parse_rate_per_s(const char *s, double *out, char *err, size_t errlen);
int scn_parse_fraction(const char *s, double *out, char *err, size_t errlen);
int scn_parse_usd(const char *s, double *out, char *err, size_t errlen);

/* Levenshtein distance, for "did you mean" suggestions. */
unsigned scn_edit_distance(const char *a, const char *b);

#endif /* LBSIM_SCN_H */
