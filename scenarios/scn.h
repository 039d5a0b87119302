/*
 * scn.h - the scenario file (YAML via libyaml): loader and validated,
 * immutable description of a run (prefix scn_).
 *
 * A struct scenario is built once and then only read, by any number of
 * trials in parallel.  Errors name "file:line:column: found X, expected Y";
 * unknown keys suggest the nearest valid key.  Units: durations `500ms`,
 * `2s`, `5m`, `1h` (a bare number is seconds); rates `20/s`, `300/m`,
 * `1000/h`; percentages `0.1%` (or a bare fraction); money `$1.50` or
 * `1.50` (USD).  See docs/scenario-reference.md for every key.
 */
#ifndef LBSIM_SCN_H
#define LBSIM_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "gcache.h"
#include "pool.h"
#include "route.h"
#include "route_loop.h"
#include "trace.h"

#define SCN_NAME_MAX 64
#define SCN_PATH_MAX 4096

/* Work caps (docs/limits.md): what a small input may make the loader or
 * a run do, refused up front with the cap in the message (exit 2).  Each
 * is an assumption sized well above every bundled example and test: a
 * run within them ends in minutes and a few GB at most. */
/* Time-series rows of one run (duration / interval), 1 s intervals over
 * 11.6 days; 104 bytes each (struct sim_ts_row), about 100 MB. */
#define SCN_TS_MAX_INTERVALS 1000000LL
/* `compare:` entries. */
#define SCN_COMPARE_MAX 1024u
/* Nesting of YAML collections (mappings, sequences), checked on the
 * parser's events before the document is built: libyaml's scanner is
 * quadratic in the depth of flow collections. */
#define SCN_YAML_MAX_DEPTH 64
/* YAML nodes after alias expansion (an alias counts its anchor's nodes
 * every time it is used): the loader walks aliased nodes once per use. */
#define SCN_YAML_MAX_NODES 1000000LL
/* Arrival rate of any synthetic rate (rate, mmpp states, schedule
 * windows, diurnal table), requests per simulated second. */
#define SCN_RATE_MAX_PER_S 1e6
/* traffic.rate_scale. */
#define SCN_RATE_SCALE_MAX 1e3
/* Requests a synthetic source may generate: its `count`, or its rate x
 * rate_scale x duration when it has no count. */
#define SCN_ARRIVALS_MAX 1000000000LL
/* spot.preemptions_per_day: one a second per replica. */
#define SCN_PREEMPT_MAX_PER_DAY 86400.0

/* Value ranges (docs/limits.md): every number the loader accepts stays
 * where the int64 nanosecond and token arithmetic it feeds cannot
 * overflow (UBSan), with room for sums and products of a few of them.
 * Distributions are clamped to the same ranges when they draw.  Each is
 * an assumption far beyond any real model or account. */
/* Tokens of a request (distribution values, empirical samples after
 * `scale`): 10^8, 10 times the largest context window sold (10M). */
#define SCN_TOKENS_MAX 1e8
/* Decode rates (output_rate), tokens/s: 0.1 to 10^7.  The slowest decode
 * of the largest output, 10^8 / 0.1 s = 10^18 ns, stays below INT64_MAX
 * (9.2 x 10^18 ns). */
#define SCN_TPS_MIN 0.1
#define SCN_TPS_MAX 1e7
/* Latencies and other distribution durations, seconds: at most 10^6 s
 * (11.6 days); positive values below 1 ns are refused (they would read
 * as 0). */
#define SCN_SECONDS_MAX          1e6
#define SCN_SECONDS_MIN_POSITIVE 1e-9
/* Counts (`count`, rpm, tpm, itpm, otpm, rpd, context_window, capacity):
 * 10^12. */
#define SCN_COUNT_MAX 1000000000000LL
/* Durations outside distributions (`duration`, `interval`, `timeout`,
 * outage starts and lengths, mtbf, backoffs, windows, ...): at most 10^8 s
 * (3.2 years, 10^17 ns), so that a sum of 90 of them stays below
 * INT64_MAX ns; the parser alone allowed 292 years, and two such values
 * added (start + duration) overflowed. */
#define SCN_DURATION_MAX_S 1e8
/* latency.prefill_per_token: at most 10 ms a token, so that the largest
 * prompt (SCN_TOKENS_MAX) adds at most 10^6 s (SCN_SECONDS_MAX) to a TTFT;
 * measured prefill is about 0.02 ms a token (docs/scenario-reference.md). */
#define SCN_PER_TOKEN_S_MAX 1e-2
/* Amounts in USD (prices per 1M tokens or per replica-hour, budgets, the
 * cost SLO): at most 10^9, so that a request's cost (10^8 tokens at the
 * largest price) stays a finite double far from overflow. */
#define SCN_USD_MAX 1e9

enum scn_backend_kind {
    SCN_BACKEND_API = 0,  /* a hosted API account (also kind: tool) */
    SCN_BACKEND_POOL = 1, /* one replica slot of a GPU pool (struct scn_pool) */
};

/* What happens to a request a preempted replica still holds at the
 * deadline. */
enum scn_on_kill {
    SCN_KILL_RETRY = 0,   /* the attempt fails with 503 and the gateway's retry
                             policy decides; one already streaming fails visibly */
    SCN_KILL_MIGRATE = 1, /* re-routed at once without using a retry (recomputed
                             elsewhere); the client's first token is kept */
};

/* A scheduled preemption of one replica slot. */
struct scn_preempt {
    int64_t at_ns;
    uint32_t replica; /* slot index within the pool */
};

/* Spot capacity (docs/notes/data.md §5). */
struct scn_spot {
    bool enabled;                 /* billed at the spot price */
    double preemptions_per_day;   /* per replica, Poisson; 0 = none from a rate */
    struct scn_preempt *schedule; /* owned, sorted by at_ns */
    uint32_t n_schedule;
    int64_t notice_ns;            /* no new work, in-flight runs on (GCP 30 s, AWS 2 min) */
    enum scn_on_kill on_kill;     /* requests still on the replica at the deadline */
    int64_t replacement_delay_ns; /* until a new VM starts its warm-up; -1 = no replacement */
    double stockout_p;            /* a replacement attempt finds no capacity (then retried
                                     after another replacement_delay) */
};

/* Autoscaling metric. */
enum scn_as_metric {
    SCN_AS_UTILIZATION = 0, /* KV-cache usage of the serving replicas (vLLM
                               gpu_cache_usage_perc), sampled at each tick */
    SCN_AS_QUEUE_DEPTH = 1, /* waiting requests per serving replica (vLLM
                               num_requests_waiting) */
    SCN_AS_CONCURRENCY = 2, /* running + waiting requests per serving replica
                               (Knative / KServe concurrency target) */
};

/* A pool's autoscaler: Kubernetes HPA's rule
 * desired = ceil(current x metric / target), with a tolerance and a
 * scale-down stabilization window. */
struct scn_autoscale {
    bool enabled;
    enum scn_as_metric metric;
    double target;               /* utilization in (0, 1], or requests per replica > 0 */
    uint32_t min, max;           /* replicas (max = the pool's slots) */
    int64_t interval_ns;         /* evaluation period (HPA sync period 15 s) */
    int64_t warmup_ns;           /* model load: billed, not serving (30-90 s) */
    int64_t scale_down_delay_ns; /* HPA stabilization window (300 s) */
    double tolerance;            /* no change while |metric/target - 1| <= tolerance (0.1) */
};

/* A GPU pool: `slots` replica slots, each a backend of its own
 * (backends[first_backend + i], named "<name>/<i>"), serving one model
 * on one hardware profile. */
struct scn_pool {
    char name[SCN_NAME_MAX];
    const struct pool_profile *profile;
    struct pool_cfg cfg;    /* perf (profile + overrides), chunking, prefix cache;
                               cfg.replicas == slots */
    uint32_t slots;         /* replica slots: autoscale.max, else replicas */
    uint32_t replicas;      /* serving at t = 0 */
    uint32_t first_backend; /* index of slot 0 in scenario.backends */
    double usd_per_hour;    /* per replica, at the price in use (spot or on-demand) */
    struct scn_spot spot;
    struct scn_autoscale autoscale;
};

/* Round-trip times between regions (request region -> backend region). */
struct scn_rtt {
    int64_t *ns;        /* (n_regions + 1)^2, row = request region id, col = backend's;
                           id 0 = unknown: default_ns (0 on the diagonal) */
    int64_t default_ns; /* pairs not listed (0) */
};

/* The gateway's response cache (models/gcache.h). */
struct scn_cache {
    bool enabled;
    struct gcache_cfg cfg;
};

struct scn_backend {
    char name[SCN_NAME_MAX];
    char group[SCN_NAME_MAX]; /* model group it serves ("" = default); route.model_group */
    char model[SCN_NAME_MAX]; /* label, e.g. "gpt-4o-mini" */
    enum scn_backend_kind kind;
    uint32_t pool;                    /* kind POOL: index in scenario.pools */
    uint32_t replica;                 /* kind POOL: slot index within the pool */
    struct route_backend_cfg route;   /* weight, tier, prices, limits, ...;
                                         route.name points at name above */
    struct api_cfg api;               /* the provider model */
    struct fault_outage *outages;     /* owned; api.faults.outages points here */
    struct fault_brownout *brownouts; /* owned; api.faults.brownouts points here */
    struct fault_storm *storms;       /* owned; api.faults.storms points here */
    /* Per-deployment timeouts of a router config (LiteLLM litellm_params
       timeout / stream_timeout), 0 = the router's. */
    int64_t timeout_ns;        /* a non-streamed attempt's whole response */
    int64_t stream_timeout_ns; /* a streamed attempt's first token */
    int32_t account;           /* index in scenario.accounts, -1 = its own limits */
    /* scn_loop.c: LiteLLM's per-deployment settings */
    int32_t num_retries; /* `num_retries`: LiteLLM deployment num_retries, -1 = unset */
    int64_t cooldown_ns; /* `cooldown_time`: < 0 unset, 0 never cools (the gateway passes
                            it with route_router_set_backend_health) */
};

/* A provider quota several backends share (deployments of one API key or
 * organisation: OpenAI and Azure meter limits per organisation/resource,
 * not per deployment entry of a router config). */
struct scn_account {
    char name[SCN_NAME_MAX];
    struct api_cfg api; /* the limit fields only (style, rpm, tpm, ...) */
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
    /* `without:` on a compare entry: backends (pools: their slots) that do
       not exist in this run: never routed to, never billed.  A bitset over
       the scenario's backends, NULL = none. */
    const uint64_t *without;
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
    bool default_group_set;     /* router.default_group given: trace groups that no backend
                                   serves go there too (else they are refused) */
    int64_t attempt_timeout_ns; /* first token must arrive within; 0 = none */
    int64_t queue_timeout_ns;   /* gateway queue (FULL) wait cap; 0 = none */
    /* A router config's timeouts (LiteLLM router timeout / stream_timeout,
       litellm-replay.md 2.6): the whole response of a non-streamed attempt,
       the first token of a streamed one; 0 = none. */
    int64_t request_timeout_ns;
    int64_t stream_timeout_ns;
    /* `router.portkey:`, the Portkey tree the portkey loop walks
       (scn_portkey.c); portkey.n_nodes == 0: none.  Arrays owned by the
       scenario. */
    struct route_pk_tree portkey;
    /* scn_loop.c: the per-request loop */
    enum route_loop_kind loop; /* `router.loop` (ROUTE_LOOP_LBSIM) */
    /* `router.litellm`, LiteLLM's defaults otherwise; its fallbacks are the
     * rules above, backend_num_retries the backends' num_retries (arrays the
     * scenario owns) */
    struct route_llm_cfg litellm;
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
    SCN_SLO_COMPLETION_RATE, /* a lower bound: completed / requests at least */
    SCN_SLO_COUNT_
};

/* The label kinds a run's results break down by (the summary's
 * by_label, `lbsim run --by`, `slo: [{label: {KIND: VALUE}, ...}]`), in
 * the order of the summary JSON. */
enum scn_label_kind {
    SCN_LABEL_TENANT = 0,
    SCN_LABEL_MODEL_GROUP,
    SCN_LABEL_TASK,
    SCN_LABEL_PRIORITY,
    SCN_LABEL_REGION,
    SCN_LABEL_KINDS_
};

/* "tenant", "model_group", "task", "priority", "region". */
const char *scn_label_kind_name(enum scn_label_kind k);
/* The kind named s, or SCN_LABEL_KINDS_. */
enum scn_label_kind scn_label_kind_parse(const char *s);

/* Label SLOs one scenario may declare (docs/limits.md). */
#define SCN_SLO_LABELS_MAX 16

/* An SLO on the requests carrying one label value. */
struct scn_slo_label {
    enum scn_label_kind kind;
    char value[SCN_NAME_MAX]; /* as in the trace; a priority in decimal */
    bool set[SCN_SLO_COUNT_];
    double limit[SCN_SLO_COUNT_];
};

struct scn_slo {
    bool set[SCN_SLO_COUNT_];
    double limit[SCN_SLO_COUNT_]; /* seconds, fractions or USD: upper bounds, but
                                     see scn_slo_at_least() */
    /* `slo:` as a list: its entries with `label:`, in order */
    uint32_t n_labels;
    struct scn_slo_label labels[SCN_SLO_LABELS_MAX];
};

/* Storage behind one traffic source's trace_cfg (its pointers point here). */
struct scn_source {
    char path[SCN_PATH_MAX];
    int64_t *table_t_ns; /* owned: synth.table_t_ns */
    double *table_rate;  /* owned: synth.table_rate */
};

/* `traffic: {max_tokens: ...}`: what a request whose trace row has no
 * max_tokens reserves against TPM/OTPM at admission (a row's own
 * max_tokens is always what it reserves). */
enum scn_max_tokens {
    SCN_MAX_TOKENS_TRACE = 0, /* the output it will produce (clairvoyant; the default) */
    SCN_MAX_TOKENS_MODEL_MAX, /* the backend's context window - input (Azure's inference) */
    SCN_MAX_TOKENS_VALUE,     /* a fixed budget: a client that always sends max_tokens: N */
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
    enum scn_max_tokens max_tokens_from; /* `traffic.max_tokens` */
    int64_t max_tokens_value;            /* SCN_MAX_TOKENS_VALUE: the budget */
    struct scn_backend *backends;        /* pool slots expanded: one backend each */
    uint32_t n_backends;
    struct scn_pool *pools;
    uint32_t n_pools;
    struct scn_account *accounts; /* `accounts:`; backends[].account indexes it */
    uint32_t n_accounts;
    double stream_share;    /* `traffic.stream`: share of requests that stream (1) */
    struct scn_rtt rtt;     /* `regions: {rtt: ...}`; ns NULL = no RTTs */
    struct scn_cache cache; /* `cache:` */
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
    /* labels that router.portkey conditions name (scn_portkey.c). */
    char (*tenants)[SCN_NAME_MAX]; /* tenant names: id = index + 1 */
    uint32_t n_tenants;
    char (*tasks)[SCN_NAME_MAX]; /* task names other than "tool": id = index + 3 */
    uint32_t n_tasks;
    /* `router: {litellm: FILE}` (scn_import.h): the import report, one line
     * each ("key: approximated (how)", defaulted facts, traps), for the CLI
     * to print; n_unsupported of them lost a routing effect (--strict
     * refuses the scenario then).  NULL/0 without an import. */
    char router_config[SCN_PATH_MAX]; /* the imported router config file, "" = none */
    char **warnings;
    uint32_t n_warnings;
    uint32_t n_unsupported;
};

/* What a scenario's router loop emulates (router.loop): "" for lbsim's own
 * loop, else the router and version reproduced (ROUTE_LLM_EMULATED,
 * ROUTE_PK_EMULATED). */
const char *scn_loop_emulates(const struct scenario *s);

/* Whether an SLO metric is a lower bound (the figure must be at least the
 * limit: completion_rate) rather than an upper bound (every other). */
static inline bool scn_slo_at_least(enum scn_slo_metric m)
{
    return m == SCN_SLO_COMPLETION_RATE;
}

/* Metric names as they appear in `slo:` and the summary JSON. */
const char *scn_slo_name(enum scn_slo_metric m);

/* Load and validate `path`.  0, or -1 with "file:line:col: ..." in err.
 * On failure *out holds nothing to free. */
int scn_load(const char *path, struct scenario *out, char *err, size_t errlen);

/* The same with strategies also looked up in `reg` (plugins); reg NULL = the
 * built-in registry only. */
int scn_load_ex(const char *path, const struct route_registry *reg, struct scenario *out, char *err,
                size_t errlen);

/* An override of one value of the scenario file, as `--set PATH=VALUE`
 * gives it (docs/scenario-reference.md, "What-ifs: --set").
 *
 * PATH is the YAML path with dots: mapping keys, and list items by index
 * (`backends.0`) or by name (`backends.openai-a`: a backend's name, a
 * compare entry's label or strategy).  It ends at its first '=' or NUL,
 * so it may point into the "PATH=VALUE" argument itself.  VALUE is read as
 * it would be written in the file at PATH (`30s`, `800k`, `5%`,
 * `{rpm: 100}`, `[a, b]`); text that is not one valid YAML value (empty,
 * only a comment, `a: b: c`) is taken as the plain string.  origin names
 * the override in messages ("--set", "--vary"; NULL = "--set"). */
struct scn_set {
    const char *path;
    const char *value;
    const char *origin;
};

/* Split "PATH=VALUE" at its first '=' into *out (pointers into arg, which
 * must outlive it; origin "--set").  0, or -1 with a message when there is
 * no '=', PATH is empty or has an empty component ("a..b"). */
int scn_set_parse(const char *arg, struct scn_set *out, char *err, size_t errlen);

/* scn_load_ex with the overrides sets[0..n_sets) applied in order, each to
 * the file as the ones before left it.  A path that does not lead to a
 * value (through a scalar, an index out of range, an item name or a key
 * that is not there) is an error naming the override, the file, the part
 * of the path found and what was expected there; a key missing from an
 * existing mapping is added (and checked by the loader like any other).
 * The loader's errors on a value an override gave start
 * "<origin> PATH=VALUE: " instead of "file:line:col: ".  Reentrant:
 * scn_load_set(path, reg, NULL, 0, ...) is scn_load_ex(path, reg, ...). */
int scn_load_set(const char *path, const struct route_registry *reg, const struct scn_set *sets,
                 uint32_t n_sets, struct scenario *out, char *err, size_t errlen);

/* scn_load_set on a file whose bytes are data[0..len) instead of what path
 * holds: the same parser and checks; path names the file in messages and
 * relative paths inside it (traffic.trace, router.litellm) resolve against
 * its directory, as for a file of that name.  For the fuzz targets
 * (fuzz/README.md), which would otherwise write every input to a file. */
int scn_load_mem(const char *path, const unsigned char *data, size_t len,
                 const struct route_registry *reg, const struct scn_set *sets, uint32_t n_sets,
                 struct scenario *out, char *err, size_t errlen);

/* Group id (1-based) of a model group name, 0 if the scenario has none. */
uint32_t scn_group_id(const struct scenario *s, const char *name);
/* Region id (1-based) of a region name, 0 if no backend names it. */
uint32_t scn_region_id(const struct scenario *s, const char *name);

/* the id a router.portkey condition gives a tenant name (1-based, 0 if
 * no condition names it), and a task name: 1 for "tool" (SCN_TOOL_TASK),
 * 3.. for a task a condition names, 2 for any other task (the gateway's
 * mapping today: tool 1, other 2). */
uint32_t scn_tenant_id(const struct scenario *s, const char *name);
uint32_t scn_task_id(const struct scenario *s, const char *name);
#define SCN_TASK_OTHER       2u
#define SCN_TASK_FIRST_NAMED 3u

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

/* What a result was produced from (scn_fingerprint.c): "sha256:" and the
 * hex SHA-256 of a manifest of the scenario file's bytes, the overrides
 * sets[0..n_sets) in order and every trace file's bytes (file names left
 * out).  Reads s->path again, so the file must still be there.  0, or -1
 * with a message (a file no longer readable). */
#define SCN_FINGERPRINT_LEN 72 /* "sha256:" + 64 hex digits + NUL */
int scn_fingerprint(const struct scenario *s, const struct scn_set *sets, uint32_t n_sets,
                    char out[SCN_FINGERPRINT_LEN], char *err, size_t errlen);

#endif /* LBSIM_SCN_H */
