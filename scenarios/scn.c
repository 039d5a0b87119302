/*
 * scn.c - the scenario loader: YAML (libyaml's document API) to a
 * validated struct scenario (see scn.h and README.md "Scenario reference").
 *
 * The walk is driven by the schema: every mapping is checked against a
 * static key table (unknown keys are errors with a "did you mean"
 * suggestion, duplicate keys are errors), then each known key is converted
 * with the value parsers of scn_units.c.  Aliases are accepted as libyaml
 * resolves them (a node may be reached twice, never recursively, because
 * the walk only descends where the schema does).
 *
 * Errors: "file:line:col: found <what>, expected <what>", the position
 * being the start of the offending node (1-based).  Everything allocated
 * hangs off the scenario being built, so a failure is cleaned up by
 * scn_free().
 */
#include "scn_int.h"

#include "catalog.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Scenario files are small; a larger file is a mistake (a trace given as
 * the scenario, say), refused before it is parsed. */
#define SCN_FILE_MAX ((size_t)64 << 20)

/* Output rate when a backend gives none: 60 tokens/s.  The
 * llm-speed-benchmark measurements of 2024 put the median output speed of
 * gpt-4o and gpt-4o-mini at 57-64 tokens/s. */
#define SCN_DEFAULT_OUTPUT_TPS 60.0

#define SCN_DEFAULT_INTERVAL_NS   (60LL * 1000000000LL)
#define SCN_DEFAULT_TIMEOUT_NS    (600LL * 1000000000LL)
#define SCN_DEFAULT_ERROR_STATUS  500
#define SCN_DEFAULT_OUTAGE_STATUS 503
/* A brownout's extra errors: 503, as an overloaded upstream answers. */
#define SCN_DEFAULT_BROWNOUT_STATUS 503
/* Largest brownout latency multiplier: slower than this is an outage by
 * another name. */
#define SCN_MAX_LATENCY_X    1000.0
#define SCN_DEFAULT_STRATEGY "round_robin"

/* ---- GPU pools (kind: pool) ------------------------------------------ */

/* Context window of a pool backend that gives none: 131,072 tokens, the
 * max_position_embeddings of meta-llama/Llama-3.1-8B and -70B config.json
 * (every built-in profile serves Llama 3.1). */
#define SCN_POOL_CONTEXT_WINDOW 131072
/* Largest max_batch accepted: a guard against typos (vLLM's max_num_seqs
 * default is 256; the pool sizes its batch arrays by it). */
#define SCN_POOL_MAX_BATCH 65536u
/* Spot: 30 s from the preemption notice to the hard stop.  GCP Spot VM
 * docs: 30 s from soft-off to hard-off (reference/data.md §5; AWS gives
 * 2 min). */
#define SCN_SPOT_NOTICE_NS (30LL * 1000000000LL)
/* Spot: 120 s from a hard stop until a replacement VM starts its warm-up.
 * An assumption (no measured figure in reference/data.md): the time to
 * re-request and boot a VM. */
#define SCN_SPOT_REPLACEMENT_NS (120LL * 1000000000LL)
/* Autoscaling defaults, after Kubernetes' HorizontalPodAutoscaler:
 * evaluation every 15 s (kube-controller-manager
 * --horizontal-pod-autoscaler-sync-period default), scale-down
 * stabilization window 300 s (--horizontal-pod-autoscaler-downscale-
 * stabilization default), tolerance 10% (--horizontal-pod-autoscaler-
 * tolerance default).  Target utilization 70%: an assumption (a common
 * HPA setting, not a default: HPA has none). */
#define SCN_AS_INTERVAL_NS         (15LL * 1000000000LL)
#define SCN_AS_SCALE_DOWN_DELAY_NS (300LL * 1000000000LL)
#define SCN_AS_TOLERANCE           0.1
#define SCN_AS_TARGET_UTILIZATION  0.7
/* Autoscaling: 60 s from a scale-up decision until the new replica
 * serves (billed meanwhile).  An assumption: loading an 8B model's 16 GB
 * of weights and starting the server; issue 4 puts it at 30-90 s. */
#define SCN_AS_WARMUP_NS (60LL * 1000000000LL)

/* ---- regions and the gateway cache ----------------------------------- */

/* Most regions an RTT matrix covers: (1024 + 1)^2 x 8 bytes = 8.4 MB. */
#define SCN_MAX_REGIONS 1024u
/* Gateway cache latencies, both assumptions (no measured figure): an
 * in-process L1 lookup, like Portkey's simple cache, answers in 1 ms; an
 * L2 lookup costs a Redis round trip within a region, 5 ms. */
#define SCN_CACHE_L1_LATENCY_NS (1LL * 1000000LL)
#define SCN_CACHE_L2_LATENCY_NS (5LL * 1000000LL)
/* Largest cache tier: 100M entries, a guard against typos (memory is
 * O(capacity), allocated when the run starts). */
#define SCN_CACHE_MAX_ENTRIES 100000000LL

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------
 * Key tables (one per mapping of the schema) and their indices
 * ------------------------------------------------------------------- */

static const char *const top_keys[] = {"name",     "seed",    "duration", "warmup",
                                       "interval", "traffic", "backends", "router",
                                       "compare",  "slo",     "regions",  "cache"};
enum {
    K_NAME,
    K_SEED,
    K_DURATION,
    K_WARMUP,
    K_INTERVAL,
    K_TRAFFIC,
    K_BACKENDS,
    K_ROUTER,
    K_COMPARE,
    K_SLO,
    K_REGIONS,
    K_CACHE,
    K_TOP_N
};
_Static_assert(NKEYS(top_keys) == K_TOP_N, "top_keys");

static const char *const traffic_keys[] = {"trace",         "format",   "rate_scale", "limit",
                                           "synthetic",     "window",   "sample",     "repeat_to",
                                           "skip_bad_rows", "priority", "labels",     "sources"};
enum {
    TR_TRACE,
    TR_FORMAT,
    TR_RATE_SCALE,
    TR_LIMIT,
    TR_SYNTHETIC,
    TR_WINDOW,
    TR_SAMPLE,
    TR_REPEAT_TO,
    TR_SKIP_BAD,
    TR_PRIORITY,
    TR_LABELS,
    TR_SOURCES,
    TR_N
};
_Static_assert(NKEYS(traffic_keys) == TR_N, "traffic_keys");

static const char *const synth_keys[] = {"arrivals",     "rate",          "count",       "duration",
                                         "input_tokens", "output_tokens", "cv",          "states",
                                         "amplitude",    "period",        "phase",       "table",
                                         "sessions",     "labels",        "lengths_from"};
enum {
    SY_ARRIVALS,
    SY_RATE,
    SY_COUNT,
    SY_DURATION,
    SY_INPUT,
    SY_OUTPUT,
    SY_CV,
    SY_STATES,
    SY_AMPLITUDE,
    SY_PERIOD,
    SY_PHASE,
    SY_TABLE,
    SY_SESSIONS,
    SY_LABELS,
    SY_LENGTHS_FROM,
    SY_N
};

static const char *const window_keys[] = {"start", "end"};
static const char *const state_keys[] = {"rate", "dwell"};
static const char *const step_keys[] = {"at", "rate"};
static const char *const session_keys[] = {"turns", "think"};
static const char *const share_keys[] = {"kind", "value", "share"};
/* The order of enum trace_label_kind. */
static const char *const label_kind_names[] = {"model_group", "task", "tenant", "region"};
_Static_assert(NKEYS(label_kind_names) == TRACE_LABEL_KINDS_, "label kinds");
_Static_assert(NKEYS(synth_keys) == SY_N, "synth_keys");

static const char *const backend_keys[] = {
    "name",         "kind",         "model",          "weight",
    "tier",         "max_inflight", "context_window", "prices",
    "limits",       "concurrency",  "queue_max",      "cached_fraction",
    "bill_failed",  "latency",      "faults",         "group",
    "size_class",   "budget",       "region",         "tags",
    "profile",      "replicas",     "max_batch",      "chunked_prefill",
    "block_tokens", "prefix_cache", "price_per_hour", "spot",
    "autoscale"};
enum {
    B_NAME,
    B_KIND,
    B_MODEL,
    B_WEIGHT,
    B_TIER,
    B_MAX_INFLIGHT,
    B_CONTEXT_WINDOW,
    B_PRICES,
    B_LIMITS,
    B_CONCURRENCY,
    B_QUEUE_MAX,
    B_CACHED_FRACTION,
    B_BILL_FAILED,
    B_LATENCY,
    B_FAULTS,
    B_GROUP,
    B_SIZE_CLASS,
    B_BUDGET,
    B_REGION,
    B_TAGS,
    B_PROFILE, /* the pool-only keys: B_PROFILE..B_AUTOSCALE */
    B_REPLICAS,
    B_MAX_BATCH,
    B_CHUNKED_PREFILL,
    B_BLOCK_TOKENS,
    B_PREFIX_CACHE,
    B_PRICE_PER_HOUR,
    B_SPOT,
    B_AUTOSCALE,
    B_N
};
_Static_assert(NKEYS(backend_keys) == B_N, "backend_keys");

/* Keys of an api or tool backend that a pool refuses, and why. */
static const struct {
    int key;
    const char *why;
} pool_refused[] = {
    {B_LATENCY, "a pool's latency emerges from its profile"},
    {B_PRICES, "a pool bills price_per_hour per replica, not per token"},
    {B_LIMITS, "a pool has no provider rate limits (max_inflight caps it at the router)"},
    {B_CONCURRENCY, "a pool runs up to max_batch requests per replica"},
    {B_QUEUE_MAX, "a pool queues per replica, unbounded"},
    {B_CACHED_FRACTION, "a pool's prefix cache decides what is cached"},
    {B_BILL_FAILED, "a pool bills by the hour, not per attempt"},
};

static const char *const spot_keys[] = {
    "preemptions_per_day", "schedule",   "notice",        "on_kill",
    "replacement_delay",   "stockout_p", "price_per_hour"};
enum { SP_RATE, SP_SCHEDULE, SP_NOTICE, SP_ON_KILL, SP_REPLACEMENT, SP_STOCKOUT, SP_PRICE, SP_N };
_Static_assert(NKEYS(spot_keys) == SP_N, "spot_keys");
static const char *const preempt_keys[] = {"at", "replica"};
/* The order of enum scn_on_kill. */
static const char *const on_kill_names[] = {"retry", "migrate"};

static const char *const autoscale_keys[] = {
    "metric", "target", "min", "max", "interval", "warmup", "scale_down_delay", "tolerance"};
enum { AS_METRIC, AS_TARGET, AS_MIN, AS_MAX, AS_INTERVAL, AS_WARMUP, AS_DOWN_DELAY, AS_TOL, AS_N };
_Static_assert(NKEYS(autoscale_keys) == AS_N, "autoscale_keys");
/* The order of enum scn_as_metric. */
static const char *const as_metric_names[] = {"utilization", "queue_depth", "concurrency"};

static const char *const regions_keys[] = {"default_rtt", "rtt"};
static const char *const rtt_pair_keys[] = {"from", "to", "rtt"};

static const char *const cache_keys[] = {"l1", "l2", "semantic_hit_rate", "repeat_rate"};
enum { CA_L1, CA_L2, CA_SEMANTIC, CA_REPEAT, CA_N };
_Static_assert(NKEYS(cache_keys) == CA_N, "cache_keys");
static const char *const cache_tier_keys[] = {"capacity", "ttl", "latency"};

static const char *const price_keys[] = {"input", "cached_input", "output"};
enum { P_INPUT, P_CACHED, P_OUTPUT, P_N };
_Static_assert(NKEYS(price_keys) == P_N, "price_keys");

static const char *const limit_keys[] = {"style", "preset", "rpm", "tpm",
                                         "itpm",  "otpm",   "rpd", "rpd_reset"};
enum { L_STYLE, L_PRESET, L_RPM, L_TPM, L_ITPM, L_OTPM, L_RPD, L_RPD_RESET, L_N };
_Static_assert(NKEYS(limit_keys) == L_N, "limit_keys");
/* The order of enum api_limit_style. */
static const char *const limit_style_names[] = {"openai", "anthropic", "gemini"};

static const char *const latency_keys[] = {"ttft", "prefill_per_token", "output_rate"};
enum { LA_TTFT, LA_PREFILL, LA_OUTPUT_RATE, LA_N };
_Static_assert(NKEYS(latency_keys) == LA_N, "latency_keys");

static const char *const fault_keys[] = {
    "error_rate",     "error_status", "outages", "content_policy_rate",
    "random_outages", "brownouts",    "storms",  "hang_rate"};
enum {
    F_ERROR_RATE,
    F_ERROR_STATUS,
    F_OUTAGES,
    F_CONTENT_POLICY,
    F_RANDOM_OUTAGES,
    F_BROWNOUTS,
    F_STORMS,
    F_HANG_RATE,
    F_N
};
_Static_assert(NKEYS(fault_keys) == F_N, "fault_keys");

static const char *const random_outage_keys[] = {"mtbf", "mttr", "status"};
enum { RO_MTBF, RO_MTTR, RO_STATUS, RO_N };
_Static_assert(NKEYS(random_outage_keys) == RO_N, "random_outage_keys");

static const char *const brownout_keys[] = {"start",     "duration",   "end",
                                            "latency_x", "error_rate", "status"};
enum { BO_START, BO_DURATION, BO_END, BO_LATENCY_X, BO_ERROR_RATE, BO_STATUS, BO_N };
_Static_assert(NKEYS(brownout_keys) == BO_N, "brownout_keys");

static const char *const storm_keys[] = {"start", "duration", "end", "share", "retry_after"};
enum { SM_START, SM_DURATION, SM_END, SM_SHARE, SM_RETRY_AFTER, SM_N };
_Static_assert(NKEYS(storm_keys) == SM_N, "storm_keys");

static const char *const outage_keys[] = {"start", "duration", "end", "status"};
enum { O_START, O_DURATION, O_END, O_STATUS, O_N };
_Static_assert(NKEYS(outage_keys) == O_N, "outage_keys");

static const char *const router_keys[] = {"strategy", "params",       "timeout",   "queue_timeout",
                                          "retries",  "health",       "fallbacks", "hedge",
                                          "replicas", "shared_state", "staleness", "default_group"};
enum {
    R_STRATEGY,
    R_PARAMS,
    R_TIMEOUT,
    R_QUEUE_TIMEOUT,
    R_RETRIES,
    R_HEALTH,
    R_FALLBACKS,
    R_HEDGE,
    R_REPLICAS,
    R_SHARED,
    R_STALENESS,
    R_DEFAULT_GROUP,
    R_N
};
_Static_assert(NKEYS(router_keys) == R_N, "router_keys");

static const char *const retry_keys[] = {
    "max_attempts",      "backoff_base",      "backoff_max",         "multiplier", "jitter",
    "honor_retry_after", "retry_after_cap",   "reroute_immediately", "retry_on",   "preset",
    "per_status",        "retry_after_budget"};
enum {
    RT_MAX_ATTEMPTS,
    RT_BACKOFF_BASE,
    RT_BACKOFF_MAX,
    RT_MULTIPLIER,
    RT_JITTER,
    RT_HONOR,
    RT_RA_CAP,
    RT_REROUTE,
    RT_RETRY_ON,
    RT_PRESET,
    RT_PER_STATUS,
    RT_RA_BUDGET,
    RT_N
};
_Static_assert(NKEYS(retry_keys) == RT_N, "retry_keys");

/* A strategy node: in `compare:`, in router.strategy, and as a child. */
static const char *const compare_keys[] = {"strategy", "label",    "params", "child",
                                           "children", "backends", "weight", "without"};
enum { C_STRATEGY, C_LABEL, C_PARAMS, C_CHILD, C_CHILDREN, C_BACKENDS, C_WEIGHT, C_WITHOUT, C_N };

static const char *const health_keys[] = {"cooldown", "breaker", "outlier"};
static const char *const cooldown_keys[] = {"time",       "allowed_fails", "on_429",
                                            "fail_ratio", "min_requests",  "use_retry_after"};
static const char *const breaker_keys[] = {"consecutive", "fail_rate",      "min_requests",
                                           "window",      "open",           "probes",
                                           "exploration", "bypass_all_open"};
static const char *const outlier_keys[] = {"consecutive_5xx", "base_ejection", "max_ejection"};
static const char *const fallbacks_keys[] = {"max_depth", "rules"};
static const char *const fb_rule_keys[] = {"from", "on", "to"};
static const char *const fb_class_names[] = {"generic", "context_window", "content_policy"};
static const char *const hedge_keys[] = {"after", "percentile", "max", "bill_loser"};
static const char *const budget_keys[] = {"usd", "window"};
static const char *const preset_names[] = {"litellm", "portkey", "sglang", "custom"};
static const char *const per_status_keys[] = {"429", "5xx", "timeout"};
/* Backend kinds in enum route_backend_kind order. */
_Static_assert(NKEYS(compare_keys) == C_N, "compare_keys");

/* In enum scn_slo_metric order (scn_slo_name). */
static const char *const slo_keys[] = {"ttft_p50",          "ttft_p90",   "ttft_p95",
                                       "ttft_p99",          "e2e_p99",    "client_429_rate",
                                       "upstream_429_rate", "error_rate", "cost_per_1k_requests"};
_Static_assert(NKEYS(slo_keys) == SCN_SLO_COUNT_, "slo_keys");

/* Same order as enum trace_format's file formats. */
/* Trace formats as written in a scenario, and the enum each one means
 * (azure2024 is the same file format as azure2023). */
static const char *const format_names[] = {"auto",     "native",   "azure2023", "azure2024",
                                           "burstgpt", "mooncake", "servegen"};
static const enum trace_format format_values[] = {TRACE_AUTO,      TRACE_NATIVE,   TRACE_AZURE2023,
                                                  TRACE_AZURE2023, TRACE_BURSTGPT, TRACE_MOONCAKE,
                                                  TRACE_SERVEGEN};
_Static_assert(NKEYS(format_names) == NKEYS(format_values), "formats");
/* Same order as enum api_bill. */
static const char *const bill_names[] = {"nothing", "input", "partial"};
static const char *const kind_names[] = {"api", "pool", "tool"};
/* The order of enum trace_arrivals. */
static const char *const arrival_names[] = {"poisson", "gamma", "weibull", "mmpp", "diurnal"};

/* Distributions: kinds in enum dist_kind order; per kind its keys, with
 * `dist` first, then the parameters, then the clamps `min` and `max`. */
static const char *const dist_kind_names[] = {"constant", "exponential", "lognormal",
                                              "normal",   "uniform",     "empirical"};
static const char *const dk_constant[] = {"dist", "value", "min", "max"};
static const char *const dk_exponential[] = {"dist", "mean", "min", "max"};
static const char *const dk_lognormal[] = {"dist", "median", "p99", "min", "max"};
static const char *const dk_normal[] = {"dist", "mean", "sd", "min", "max"};
static const char *const dk_uniform[] = {"dist", "low", "high", "min", "max"};
static const char *const dk_empirical[] = {"dist", "values", "weights", "min", "max"};
struct dist_keys {
    const char *const *keys;
    size_t n;
};
static const struct dist_keys dist_tables[] = {
    {dk_constant, NKEYS(dk_constant)},   {dk_exponential, NKEYS(dk_exponential)},
    {dk_lognormal, NKEYS(dk_lognormal)}, {dk_normal, NKEYS(dk_normal)},
    {dk_uniform, NKEYS(dk_uniform)},     {dk_empirical, NKEYS(dk_empirical)},
};
_Static_assert(NKEYS(dist_tables) == NKEYS(dist_kind_names), "dist_tables");
#define DIST_KEYS_MAX 5

/* What the values of a distribution measure. */
enum dunit {
    DU_SECONDS, /* durations: `500ms`, `2s`; stored as seconds */
    DU_TOKENS,  /* plain non-negative numbers; clamped at 0 by default */
    DU_TPS,     /* tokens per second: positive plain numbers */
};

/* ---------------------------------------------------------------------
 * Context, errors, node helpers
 * ------------------------------------------------------------------- */

struct ctx {
    const char *path; /* the scenario file as given, for messages */
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    const struct route_registry *reg; /* strategies beyond the built-ins (plugins) */
    struct scenario *s;               /* the scenario being built */
};

static int fail_at(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail_at(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
{
    int k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->path, m.line + 1, m.column + 1);
    if (k >= 0 && (size_t)k < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#if defined(__GNUC__)
#define SCN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SCN_PRINTF(a, b)
#endif

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) SCN_PRINTF(3, 4);

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    yaml_mark_t m = n->start_mark;
    int k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->path, m.line + 1, m.column + 1);
    if (k >= 0 && (size_t)k < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int oom(struct ctx *c, const yaml_node_t *n)
{
    return fail(c, n, "found no memory left, expected to allocate the scenario");
}

static const yaml_node_t *node_of(struct ctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static const char *scalar_str(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A scalar without embedded NUL bytes (a "\0" escape). */
static bool scalar_clean(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && strlen(scalar_str(n)) == n->data.scalar.length;
}

/* How a node reads in a message: a mapping, a sequence, an empty value or
 * the quoted text. */
static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a sequence";
    if (n->type != YAML_SCALAR_NODE)
        return "an unknown node";
    if (n->data.scalar.length == 0)
        return "an empty value";
    return scn__quote(scalar_str(n), buf, len);
}

static void join_names(const char *const *names, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

static size_t find_name(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return n;
}

/* The value of key `key` in mapping n, NULL if absent (no checks). */
static const yaml_node_t *map_get(struct ctx *c, const yaml_node_t *n, const char *key)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return NULL;
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node_of(c, p->key);
        if (k != NULL && scalar_clean(k) && strcmp(scalar_str(k), key) == 0)
            return node_of(c, p->value);
    }
    return NULL;
}

/*
 * Check that n is a mapping whose keys are all in `keys` and appear once;
 * vals[i] gets the value of keys[i] or NULL.  `what` names the mapping in
 * messages ("a backend", "'router'").
 */
static int check_map(struct ctx *c, const yaml_node_t *n, const char *what, const char *const *keys,
                     size_t nkeys, const yaml_node_t **vals)
{
    char list[640], q[64], d[64];
    join_names(keys, nkeys, list, sizeof list);
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, "found %s, expected %s: a mapping with keys %s", describe(n, d, sizeof d),
                    what, list);
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node_of(c, p->key);
        const yaml_node_t *v = node_of(c, p->value);
        if (k == NULL || v == NULL)
            return fail(c, n, "found a broken YAML node in %s, expected a mapping", what);
        if (k->type != YAML_SCALAR_NODE)
            return fail(c, k, "found %s as a key in %s, expected one of %s",
                        describe(k, d, sizeof d), what, list);
        const char *ks = scalar_str(k);
        size_t i = scalar_clean(k) ? find_name(ks, keys, nkeys) : nkeys;
        if (i == nkeys) {
            const char *s = scn__suggest(ks, keys, nkeys);
            return fail(c, k, "found unknown key %s in %s, expected one of %s%s%s%s",
                        scn__quote(ks, q, sizeof q), what, list, s ? "; did you mean '" : "",
                        s ? s : "", s ? "'?" : "");
        }
        if (vals[i] != NULL)
            return fail(c, k,
                        "found duplicate key '%s' in %s (first given at line %zu), expected "
                        "each key once",
                        keys[i], what, vals[i]->start_mark.line + 1);
        vals[i] = v;
    }
    return 0;
}

static int missing(struct ctx *c, const yaml_node_t *map, const char *what, const char *key,
                   const char *expected)
{
    return fail(c, map, "found %s without '%s', expected '%s': %s", what, key, key, expected);
}

/* ---------------------------------------------------------------------
 * Scalar values
 * ------------------------------------------------------------------- */

static int get_str(struct ctx *c, const yaml_node_t *n, const char *expected, const char **out)
{
    char d[64];
    if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "found %s, expected %s", describe(n, d, sizeof d), expected);
    if (!scalar_clean(n))
        return fail(c, n, "found a string with a NUL character, expected %s", expected);
    *out = scalar_str(n);
    return 0;
}

typedef int (*parse_fn)(const char *s, double *out, char *err, size_t errlen);

static int v_parsed(struct ctx *c, const yaml_node_t *n, const char *expected, parse_fn fn,
                    double *out)
{
    const char *s = NULL;
    char m[256];
    if (get_str(c, n, expected, &s))
        return -1;
    if (fn(s, out, m, sizeof m))
        return fail(c, n, "%s", m);
    return 0;
}

static int v_duration_ns(struct ctx *c, const yaml_node_t *n, int64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (get_str(c, n, "a duration such as 500ms, 2s, 5m or 1h", &s))
        return -1;
    if (scn_parse_duration_ns(s, out, m, sizeof m))
        return fail(c, n, "%s", m);
    return 0;
}

static int v_duration_s(struct ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "a duration such as 500ms, 2s, 5m or 1h", scn__parse_duration_s, out);
}

static int v_rate(struct ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "a rate such as 20/s, 300/m or 1000/h", scn_parse_rate_per_s, out);
}

static int v_fraction(struct ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "a fraction in [0, 1] such as 0.1% or 0.001", scn_parse_fraction, out);
}

static int v_usd(struct ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "an amount in USD such as $1.50", scn_parse_usd, out);
}

static int v_number(struct ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "a number", scn__parse_number, out);
}

static int v_count(struct ctx *c, const yaml_node_t *n, int64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (get_str(c, n, "a count such as 500, 200k or 2M", &s))
        return -1;
    if (scn__parse_count(s, out, m, sizeof m))
        return fail(c, n, "%s", m);
    return 0;
}

static int v_uint(struct ctx *c, const yaml_node_t *n, uint64_t max, uint64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (get_str(c, n, "a non-negative integer", &s))
        return -1;
    if (scn__parse_uint(s, max, out, m, sizeof m))
        return fail(c, n, "%s", m);
    return 0;
}

/* A non-negative integer that fits 32 bits. */
static int v_u32(struct ctx *c, const yaml_node_t *n, uint32_t *out)
{
    uint64_t u = 0;
    if (v_uint(c, n, UINT32_MAX, &u))
        return -1;
    *out = (uint32_t)u;
    return 0;
}

static int v_int(struct ctx *c, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (get_str(c, n, "an integer", &s))
        return -1;
    if (scn__parse_int(s, min, max, out, m, sizeof m))
        return fail(c, n, "%s", m);
    return 0;
}

static int v_bool(struct ctx *c, const yaml_node_t *n, bool *out)
{
    const char *s = NULL;
    char m[256];
    if (get_str(c, n, "true or false", &s))
        return -1;
    if (scn__parse_bool(s, out, m, sizeof m))
        return fail(c, n, "%s", m);
    return 0;
}

/* One of `names`; *idx its index.  `what` names the value. */
static int v_enum(struct ctx *c, const yaml_node_t *n, const char *what, const char *const *names,
                  size_t count, size_t *idx)
{
    char list[256], q[64], expected[320];
    const char *s = NULL;
    join_names(names, count, list, sizeof list);
    snprintf(expected, sizeof expected, "%s: one of %s", what, list);
    if (get_str(c, n, expected, &s))
        return -1;
    size_t i = find_name(s, names, count);
    if (i == count) {
        const char *sg = scn__suggest(s, names, count);
        return fail(c, n, "found %s, expected %s%s%s%s", scn__quote(s, q, sizeof q), expected,
                    sg ? "; did you mean '" : "", sg ? sg : "", sg ? "'?" : "");
    }
    *idx = i;
    return 0;
}

/* A name of 1..cap-1 characters: [A-Za-z0-9_.-] when `ident`, otherwise
 * anything but control characters. */
static int v_name(struct ctx *c, const yaml_node_t *n, const char *what, bool ident, size_t min_len,
                  char *dst, size_t cap)
{
    char q[64], expected[256];
    const char *s = NULL;
    snprintf(expected, sizeof expected, "%s of %zu to %zu characters%s", what, min_len, cap - 1,
             ident ? " from A-Z a-z 0-9 _ . -" : "");
    if (get_str(c, n, expected, &s))
        return -1;
    size_t len = strlen(s);
    bool ok = len >= min_len && len < cap;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ident)
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '.' || ch == '-';
        else
            ok = ch >= 0x20 && ch != 0x7f;
    }
    if (!ok) {
        char d[64];
        return fail(c, n, "found %s, expected %s",
                    len ? scn__quote(s, q, sizeof q) : describe(n, d, sizeof d), expected);
    }
    memcpy(dst, s, len + 1);
    return 0;
}

static int v_status(struct ctx *c, const yaml_node_t *n, int *out)
{
    int64_t v;
    if (v_int(c, n, 400, 599, &v))
        return -1;
    *out = (int)v;
    return 0;
}

/* ---------------------------------------------------------------------
 * Distributions
 * ------------------------------------------------------------------- */

/* One value of a distribution in unit u.  `spread` (a standard
 * deviation) may be 0 where other rate values must be positive. */
static int v_dist_value(struct ctx *c, const yaml_node_t *n, enum dunit u, bool spread, double *out)
{
    char q[64];
    double x = 0;
    switch (u) {
    case DU_SECONDS:
        return v_duration_s(c, n, out);
    case DU_TOKENS:
        if (v_number(c, n, &x))
            return -1;
        if (!(x >= 0))
            return fail(c, n, "found %s, expected a non-negative number of tokens",
                        scn__quote(scalar_str(n), q, sizeof q));
        *out = x;
        return 0;
    case DU_TPS:
        if (v_number(c, n, &x))
            return -1;
        if (spread ? !(x >= 0) : !(x > 0))
            return fail(c, n, "found %s, expected a %s rate in tokens/s",
                        scn__quote(scalar_str(n), q, sizeof q),
                        spread ? "non-negative spread of the" : "positive");
        *out = x;
        return 0;
    }
    return -1;
}

/* An empirical distribution: `values` (and optional `weights`, default
 * all 1) of the same length >= 1. */
static int parse_empirical(struct ctx *c, const yaml_node_t *map, const yaml_node_t *vn,
                           const yaml_node_t *wn, enum dunit u, const char *what, struct dist *d)
{
    char dd[64];
    if (vn == NULL)
        return missing(c, map, "an empirical distribution", "values", "a list of values");
    if (vn->type != YAML_SEQUENCE_NODE || seq_len(vn) == 0)
        return fail(c, vn, "found %s, expected 'values' of %s: a non-empty list",
                    vn->type == YAML_SEQUENCE_NODE ? "an empty list" : describe(vn, dd, sizeof dd),
                    what);
    size_t n = seq_len(vn);
    if (n > UINT32_MAX)
        return fail(c, vn, "found %zu values, expected at most %u", n, (unsigned)UINT32_MAX);
    if (wn != NULL && (wn->type != YAML_SEQUENCE_NODE || seq_len(wn) != n))
        return fail(c, wn, "found %s, expected 'weights': a list of %zu numbers, one per value",
                    wn->type == YAML_SEQUENCE_NODE ? "a list of another length"
                                                   : describe(wn, dd, sizeof dd),
                    n);
    double *vals = malloc(n * sizeof *vals);
    double *w = malloc(n * sizeof *w);
    if (vals == NULL || w == NULL) {
        free(vals);
        free(w);
        return oom(c, vn);
    }
    int rc = 0;
    double sum = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const yaml_node_t *item = node_of(c, vn->data.sequence.items.start[i]);
        rc = item ? v_dist_value(c, item, u, false, &vals[i]) : oom(c, vn);
        w[i] = 1.0;
        if (rc == 0 && wn != NULL) {
            const yaml_node_t *wi = node_of(c, wn->data.sequence.items.start[i]);
            rc = wi ? v_number(c, wi, &w[i]) : oom(c, wn);
            if (rc == 0 && !(w[i] >= 0))
                rc = fail(c, wi, "found %s, expected a weight >= 0",
                          scn__quote(scalar_str(wi), dd, sizeof dd));
        }
        if (rc == 0)
            sum += w[i];
    }
    if (rc == 0 && !(sum > 0 && isfinite(sum)))
        rc = fail(c, wn ? wn : vn, "found weights summing to %g, expected a positive finite sum",
                  sum);
    if (rc == 0) {
        char m[160];
        if (dist_empirical(d, vals, w, (uint32_t)n, m, sizeof m) != 0) {
            dist_fini(d);
            rc = fail(c, vn, "found an unusable distribution (%s), expected values and weights", m);
        }
    }
    free(vals);
    free(w);
    return rc;
}

/*
 * A distribution: a scalar (a constant) or a mapping with `dist:`.  On
 * success *out owns what the dist owns (empirical tables).
 */
static int parse_dist(struct ctx *c, const yaml_node_t *n, enum dunit u, const char *what,
                      struct dist *out)
{
    char d[64], q[64];
    struct dist dist;
    memset(&dist, 0, sizeof dist);
    if (n->type == YAML_SCALAR_NODE) {
        double v = 0;
        if (v_dist_value(c, n, u, false, &v))
            return -1;
        dist_constant(&dist, v);
        if (u != DU_TPS)
            dist.min = 0.0;
        *out = dist;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n,
                    "found %s, expected %s: a value or a mapping with 'dist' (constant, "
                    "exponential, lognormal, normal, uniform or empirical)",
                    describe(n, d, sizeof d), what);
    const yaml_node_t *kn = map_get(c, n, "dist");
    if (kn == NULL)
        return missing(c, n, what, "dist",
                       "one of constant, exponential, lognormal, normal, uniform, empirical");
    size_t kind = 0;
    if (v_enum(c, kn, "a distribution", dist_kind_names, NKEYS(dist_kind_names), &kind))
        return -1;
    const struct dist_keys *tab = &dist_tables[kind];
    const yaml_node_t *v[DIST_KEYS_MAX];
    char mwhat[96];
    snprintf(mwhat, sizeof mwhat, "the %s distribution of %s", dist_kind_names[kind], what);
    if (check_map(c, n, mwhat, tab->keys, tab->n, v))
        return -1;
    size_t imin = tab->n - 2, imax = tab->n - 1;

    /* Clamps first, so that nothing needs freeing on their errors. */
    double lo = 0, hi = 0;
    if (v[imin] && v_dist_value(c, v[imin], u, false, &lo))
        return -1;
    if (v[imax] && v_dist_value(c, v[imax], u, false, &hi))
        return -1;
    if (v[imin] && v[imax] && hi < lo)
        return fail(c, v[imax], "found max %s below min, expected min <= max",
                    scn__quote(scalar_str(v[imax]), q, sizeof q));

    double p[2] = {0, 0};
    if (kind != DIST_EMPIRICAL) {
        for (size_t i = 1; i < imin; i++) {
            if (v[i] == NULL) {
                char w[128];
                snprintf(w, sizeof w, "a %s distribution", dist_kind_names[kind]);
                return missing(c, n, w, tab->keys[i], "a value (required)");
            }
            bool spread = kind == DIST_NORMAL && i == 2;
            if (v_dist_value(c, v[i], u, spread, &p[i - 1]))
                return -1;
        }
    }
    switch ((enum dist_kind)kind) {
    case DIST_CONSTANT:
        dist_constant(&dist, p[0]);
        break;
    case DIST_EXPONENTIAL:
        if (!(p[0] > 0))
            return fail(c, v[1], "found mean %s, expected a mean > 0",
                        scn__quote(scalar_str(v[1]), q, sizeof q));
        dist_exponential(&dist, p[0]);
        break;
    case DIST_LOGNORMAL:
        if (!(p[0] > 0))
            return fail(c, v[1], "found median %s, expected a median > 0",
                        scn__quote(scalar_str(v[1]), q, sizeof q));
        if (p[1] < p[0])
            return fail(c, v[2], "found p99 %s below the median %s, expected p99 >= median",
                        scn__quote(scalar_str(v[2]), q, sizeof q),
                        scn__quote(scalar_str(v[1]), d, sizeof d));
        dist_lognormal_median_p99(&dist, p[0], p[1]);
        break;
    case DIST_NORMAL:
        if (u == DU_TPS && !(v[imin] && lo > 0))
            return missing(c, n, "a normal rate distribution", "min",
                           "a positive lower clamp, since a normal can draw rates <= 0");
        dist_normal(&dist, p[0], p[1]);
        break;
    case DIST_UNIFORM:
        if (p[1] < p[0])
            return fail(c, v[2], "found high %s below low %s, expected low <= high",
                        scn__quote(scalar_str(v[2]), q, sizeof q),
                        scn__quote(scalar_str(v[1]), d, sizeof d));
        dist_uniform(&dist, p[0], p[1]);
        break;
    case DIST_EMPIRICAL:
        if (parse_empirical(c, n, v[1], v[2], u, what, &dist))
            return -1;
        break;
    }
    if (v[imin])
        dist.min = lo;
    else if (u != DU_TPS)
        dist.min = 0.0;
    if (v[imax])
        dist.max = hi;
    *out = dist;
    return 0;
}

/* ---------------------------------------------------------------------
 * Strategies
 * ------------------------------------------------------------------- */

/* Message for an unknown strategy name, listing the registry. */
static void unknown_strategy(const char *name, char *msg, size_t len)
{
    char list[1024], q[64];
    size_t o = 0;
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    list[0] = '\0';
    uint32_t n = route_registry_count();
    for (uint32_t i = 0; i < n; i++) {
        const struct route_ops *ops = route_registry_at(i);
        if (ops == NULL || ops->name == NULL)
            continue;
        if (o < sizeof list) {
            int k = snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", ops->name);
            if (k > 0)
                o += (size_t)k;
        }
        scn__suggest_step(name, ops->name, &best, &best_d);
    }
    const char *s = scn__suggest_done(name, best, best_d);
    snprintf(msg, len, "found unknown strategy %s, expected one of %s%s%s%s",
             scn__quote(name, q, sizeof q), list, s ? "; did you mean '" : "", s ? s : "",
             s ? "'?" : "");
}

/* A strategy with its default parameters.  0, or -1 with a message. */
static int strategy_init(const struct route_registry *reg, struct scn_strategy *st,
                         const char *name, const char *label, char *msg, size_t len)
{
    const struct route_ops *ops =
        reg ? route_registry_lookup(reg, name) : route_registry_find(name);
    if (ops == NULL) {
        unknown_strategy(name, msg, len);
        return -1;
    }
    if (ops->n_params > ROUTE_MAX_PARAMS || (ops->n_params > 0 && ops->params == NULL)) {
        snprintf(msg, len, "found strategy '%s' with %u parameters, expected at most %u", name,
                 ops->n_params, ROUTE_MAX_PARAMS);
        return -1;
    }
    memset(st, 0, sizeof *st);
    size_t l = strlen(label);
    if (l >= sizeof st->label)
        l = sizeof st->label - 1;
    memcpy(st->label, label, l);
    st->label[l] = '\0';
    st->ops = ops;
    for (uint32_t i = 0; i < ops->n_params; i++)
        st->params[i] = ops->params[i].def;
    st->root.ops = ops;
    memcpy(st->root.params, st->params, sizeof st->params);
    st->root.weight = 1.0;
    return 0;
}

static uint32_t names_find(char (*tab)[SCN_NAME_MAX], uint32_t n, const char *name);

/* `params:` of a strategy: overrides of its defaults, range-checked. */
static int parse_params(struct ctx *c, const yaml_node_t *n, struct scn_strategy *st)
{
    const struct route_ops *ops = st->ops;
    const char *names[ROUTE_MAX_PARAMS];
    const yaml_node_t *v[ROUTE_MAX_PARAMS];
    char what[128], q[64];
    snprintf(what, sizeof what, "the params of strategy '%s'", ops->name);
    uint32_t np = ops->n_params;
    if (np == 0) {
        char d[64];
        if (n->type != YAML_MAPPING_NODE)
            return fail(c, n, "found %s, expected %s: a mapping", describe(n, d, sizeof d), what);
        if (n->data.mapping.pairs.top > n->data.mapping.pairs.start) {
            const yaml_node_t *k = node_of(c, n->data.mapping.pairs.start->key);
            return fail(c, k ? k : n,
                        "found unknown key %s in %s, expected no parameters (%s takes none)",
                        k ? describe(k, d, sizeof d) : "?", what, ops->name);
        }
        return 0;
    }
    for (uint32_t i = 0; i < np; i++)
        names[i] = ops->params[i].name ? ops->params[i].name : "";
    if (check_map(c, n, what, names, np, v))
        return -1;
    for (uint32_t i = 0; i < np; i++) {
        if (v[i] == NULL)
            continue;
        const struct route_param *pm = &ops->params[i];
        const char *s = NULL;
        double x = 0;
        char m[256];
        if (v[i]->type == YAML_SEQUENCE_NODE && strcmp(names[i], "tags_required") == 0) {
            /* tag names, as the backends spell them, for the bitmask */
            uint64_t mask = 0;
            for (size_t k = 0; k < seq_len(v[i]); k++) {
                const yaml_node_t *t = node_of(c, v[i]->data.sequence.items.start[k]);
                if (t == NULL)
                    return oom(c, v[i]);
                if (get_str(c, t, "a tag name", &s))
                    return -1;
                uint32_t id = names_find(c->s->tags, c->s->n_tags, s);
                if (id == 0)
                    return fail(c, t, "found tag %s, expected a tag some backend carries",
                                scn__quote(s, q, sizeof q));
                mask |= (uint64_t)1 << (id - 1);
            }
            if (mask > (uint64_t)pm->max)
                return fail(c, v[i], "found a tag beyond the %g the filter can take", pm->max);
            st->params[i] = st->root.params[i] = (double)mask;
            continue;
        }
        if (get_str(c, v[i], "a number", &s))
            return -1;
        /* Parameters in seconds also read as durations (`2s`, `500ms`). */
        if (scn__parse_number(s, &x, m, sizeof m) != 0 &&
            !(pm->unit != NULL && strcmp(pm->unit, "s") == 0 &&
              scn__parse_duration_s(s, &x, m, sizeof m) == 0))
            return fail(c, v[i], "%s", m);
        if (!(x >= pm->min && x <= pm->max))
            return fail(c, v[i],
                        "found %s, expected a value in [%g, %g] for parameter '%s' of '%s'",
                        scn__quote(s, q, sizeof q), pm->min, pm->max, names[i], ops->name);
        st->params[i] = x;
        st->root.params[i] = x;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Memory the strategy trees and fallback rules point at: one list of
 * blocks owned by the scenario (scn->owned), freed by scn_free.
 * ------------------------------------------------------------------- */

struct owned_block {
    struct owned_block *next;
    max_align_t align[]; /* the caller's bytes */
};

static void *own_alloc(struct ctx *c, const yaml_node_t *n, size_t size)
{
    struct owned_block *b = calloc(1, sizeof *b + size);
    if (b == NULL) {
        oom(c, n);
        return NULL;
    }
    b->next = c->s->owned;
    c->s->owned = b;
    return b->align;
}

static void own_free(void *owned)
{
    struct owned_block *b = owned;
    while (b != NULL) {
        struct owned_block *next = b->next;
        free(b);
        b = next;
    }
}

/* Intern `name` in a table of names (ids 1..n); -1 on allocation failure. */
static int64_t names_intern(char (**tab)[SCN_NAME_MAX], uint32_t *n, const char *name)
{
    for (uint32_t i = 0; i < *n; i++)
        if (strcmp((*tab)[i], name) == 0)
            return (int64_t)i + 1;
    char(*nt)[SCN_NAME_MAX] = realloc(*tab, ((size_t)*n + 1) * sizeof **tab);
    if (nt == NULL)
        return -1;
    *tab = nt;
    snprintf(nt[*n], SCN_NAME_MAX, "%s", name);
    (*n)++;
    return (int64_t)*n;
}

static uint32_t names_find(char (*tab)[SCN_NAME_MAX], uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(tab[i], name) == 0)
            return i + 1;
    return 0;
}

uint32_t scn_group_id(const struct scenario *s, const char *name)
{
    return names_find(s->groups, s->n_groups, name);
}

uint32_t scn_region_id(const struct scenario *s, const char *name)
{
    return names_find(s->regions, s->n_regions, name);
}

/* A model group named in the scenario (backends' `group:`, fallbacks). */
static int v_group(struct ctx *c, const yaml_node_t *n, uint32_t *id)
{
    char name[SCN_NAME_MAX];
    if (v_name(c, n, "a model group", false, 1, name, sizeof name))
        return -1;
    int64_t g = names_intern(&c->s->groups, &c->s->n_groups, name);
    if (g < 0)
        return oom(c, n);
    *id = (uint32_t)g;
    return 0;
}

/* ---------------------------------------------------------------------
 * Strategy nodes: a name, or {strategy, label, params, child | children,
 * backends, weight}, recursively.
 * ------------------------------------------------------------------- */

static int parse_node(struct ctx *c, const yaml_node_t *n, struct scn_strategy *st, bool top,
                      uint32_t depth);

/* Fill st->root's ops and params from st (children and subset are set
 * while parsing). */
static void node_sync(struct scn_strategy *st, double weight)
{
    st->root.ops = st->ops;
    memcpy(st->root.params, st->params, sizeof st->params);
    st->root.weight = weight;
}

/* The backends a name means: a pool's name all its replica slots,
 * "<pool>/<i>" or an api/tool backend's name one backend.  [*lo, *hi),
 * or -1 when nothing has that name. */
static int backends_named(const struct scenario *s, const char *name, uint32_t *lo, uint32_t *hi)
{
    for (uint32_t p = 0; p < s->n_pools; p++) {
        if (strcmp(s->pools[p].name, name) == 0) {
            *lo = s->pools[p].first_backend;
            *hi = *lo + s->pools[p].slots;
            return 0;
        }
    }
    for (uint32_t b = 0; b < s->n_backends; b++) {
        if (strcmp(s->backends[b].name, name) == 0) {
            *lo = b;
            *hi = b + 1;
            return 0;
        }
    }
    return -1;
}

/* "found 'x', expected the name of a backend or pool; did you mean 'y'?" */
static int unknown_backend(struct ctx *c, const yaml_node_t *n, const char *name)
{
    const struct scenario *s = c->s;
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    char q[64];
    for (uint32_t p = 0; p < s->n_pools; p++)
        scn__suggest_step(name, s->pools[p].name, &best, &best_d);
    for (uint32_t b = 0; b < s->n_backends; b++)
        scn__suggest_step(name, s->backends[b].name, &best, &best_d);
    const char *sg = scn__suggest_done(name, best, best_d);
    return fail(c, n,
                "found %s, expected the name of a backend (a pool's name means all its "
                "replicas, '<pool>/<i>' one)%s%s%s",
                scn__quote(name, q, sizeof q), sg ? "; did you mean '" : "", sg ? sg : "",
                sg ? "'?" : "");
}

static int parse_subset(struct ctx *c, const yaml_node_t *n, struct route_spec *spec)
{
    char d[64], name[SCN_NAME_MAX];
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) == 0)
        return fail(c, n, "found %s, expected 'backends': a non-empty list of backend names",
                    describe(n, d, sizeof d));
    uint32_t nb = c->s->n_backends;
    uint64_t *set = own_alloc(c, n, ROUTE_EXCLUDE_WORDS(nb) * sizeof *set);
    if (set == NULL)
        return -1;
    for (size_t i = 0; i < seq_len(n); i++) {
        const yaml_node_t *it = node_of(c, n->data.sequence.items.start[i]);
        uint32_t lo = 0, hi = 0;
        if (it == NULL)
            return oom(c, n);
        /* not an identifier: pool slots are named "<pool>/<i>" */
        if (v_name(c, it, "a backend name", false, 1, name, sizeof name))
            return -1;
        if (backends_named(c->s, name, &lo, &hi) != 0)
            return unknown_backend(c, it, name);
        for (uint32_t b = lo; b < hi; b++)
            set[b >> 6] |= (uint64_t)1 << (b & 63u);
    }
    spec->backends = set;
    return 0;
}

static int parse_node(struct ctx *c, const yaml_node_t *n, struct scn_strategy *st, bool top,
                      uint32_t depth)
{
    char d[64], m[1400];
    double weight = 1.0; /* for a parent that weighs its children; 0 = never */
    if (depth > 16)
        return fail(c, n, "found strategies nested %u deep, expected at most 16", depth);
    if (n->type == YAML_SCALAR_NODE) {
        const char *name = NULL;
        if (get_str(c, n, "a strategy name", &name))
            return -1;
        if (strategy_init(c->reg, st, name, name, m, sizeof m))
            return fail(c, n, "%s", m);
    } else if (n->type == YAML_MAPPING_NODE) {
        const yaml_node_t *v[C_N];
        char label[SCN_NAME_MAX];
        if (check_map(c, n, "a strategy", compare_keys, C_N, v))
            return -1;
        if (v[C_STRATEGY] == NULL)
            return missing(c, n, "a strategy", "strategy", "a strategy name");
        if (v[C_LABEL] && !top)
            return fail(c, v[C_LABEL],
                        "found 'label' on a nested strategy, expected 'label' "
                        "only on a compare entry");
        if (v[C_LABEL] && v_name(c, v[C_LABEL], "a label", false, 1, label, sizeof label))
            return -1;
        const char *name = NULL;
        if (get_str(c, v[C_STRATEGY], "a strategy name", &name))
            return -1;
        if (strategy_init(c->reg, st, name, v[C_LABEL] ? label : name, m, sizeof m))
            return fail(c, v[C_STRATEGY], "%s", m);
        if (v[C_PARAMS] && parse_params(c, v[C_PARAMS], st))
            return -1;
        if (v[C_WEIGHT] && v_number(c, v[C_WEIGHT], &weight))
            return -1;
        if (!(weight >= 0) || !isfinite(weight))
            return fail(c, v[C_WEIGHT], "found weight %g, expected a weight >= 0", weight);
        if (v[C_BACKENDS] && parse_subset(c, v[C_BACKENDS], &st->root))
            return -1;
        if (v[C_WITHOUT] && !top)
            return fail(c, v[C_WITHOUT],
                        "found 'without' on a nested strategy, expected 'without' only on a "
                        "compare entry (it removes backends from the whole run)");
        if (v[C_WITHOUT]) {
            struct route_spec gone = {0};
            if (parse_subset(c, v[C_WITHOUT], &gone))
                return -1;
            st->without = gone.backends;
        }
        if (v[C_CHILD] && v[C_CHILDREN])
            return fail(c, v[C_CHILDREN], "found both 'child' and 'children', expected one");
        const yaml_node_t *list = v[C_CHILDREN];
        size_t nc = v[C_CHILD] ? 1 : 0;
        if (list) {
            if (list->type != YAML_SEQUENCE_NODE)
                return fail(c, list, "found %s, expected 'children': a list of strategies",
                            describe(list, d, sizeof d));
            nc = seq_len(list);
        }
        if (nc > 0) {
            struct route_spec *kids = own_alloc(c, n, nc * sizeof *kids);
            if (kids == NULL)
                return -1;
            for (size_t i = 0; i < nc; i++) {
                const yaml_node_t *kn =
                    v[C_CHILD] ? v[C_CHILD] : node_of(c, list->data.sequence.items.start[i]);
                struct scn_strategy sub;
                if (kn == NULL)
                    return oom(c, n);
                if (parse_node(c, kn, &sub, false, depth + 1))
                    return -1;
                kids[i] = sub.root;
            }
            st->root.children = kids;
            st->root.n_children = (uint32_t)nc;
        }
    } else {
        return fail(c, n,
                    "found %s, expected a strategy name or a mapping with strategy, params, "
                    "child or children",
                    describe(n, d, sizeof d));
    }
    uint32_t nc = st->root.n_children;
    if (nc < st->ops->min_children || nc > st->ops->max_children) {
        if (st->ops->max_children == 0)
            return fail(c, n,
                        "found %u child strategies for '%s', expected none (it picks "
                        "backends itself)",
                        nc, st->ops->name);
        return fail(c, n,
                    "found %u child strategies for '%s', expected %u to %u ('child:' or "
                    "'children:')",
                    nc, st->ops->name, st->ops->min_children, st->ops->max_children);
    }
    node_sync(st, weight);
    return 0;
}

/* ---------------------------------------------------------------------
 * Health, fallbacks, hedging
 * ------------------------------------------------------------------- */

static int parse_health(struct ctx *c, const yaml_node_t *n, struct route_health_cfg *h)
{
    const yaml_node_t *v[3], *w[8];
    if (check_map(c, n, "'health'", health_keys, 3, v))
        return -1;
    if (v[0]) { /* cooldown */
        h->cooldown = true;
        if (check_map(c, v[0], "'cooldown'", cooldown_keys, 6, w))
            return -1;
        if (w[0] && v_duration_ns(c, w[0], &h->cooldown_ns))
            return -1;
        if (w[1] && v_u32(c, w[1], &h->allowed_fails))
            return -1;
        if (w[2] && v_bool(c, w[2], &h->cooldown_429_multi))
            return -1;
        if (w[3] && v_fraction(c, w[3], &h->fail_ratio))
            return -1;
        if (w[4] && v_u32(c, w[4], &h->fail_min_requests))
            return -1;
        if (w[5] && v_bool(c, w[5], &h->retry_after_duration))
            return -1;
    }
    if (v[1]) { /* breaker */
        h->breaker = true;
        if (check_map(c, v[1], "'breaker'", breaker_keys, 8, w))
            return -1;
        if (w[0] && v_u32(c, w[0], &h->breaker_consecutive))
            return -1;
        if (w[1] && v_fraction(c, w[1], &h->breaker_fail_rate))
            return -1;
        if (w[2] && v_u32(c, w[2], &h->breaker_min_requests))
            return -1;
        if (w[3] && v_duration_ns(c, w[3], &h->breaker_window_ns))
            return -1;
        if (w[4] && v_duration_ns(c, w[4], &h->breaker_open_ns))
            return -1;
        if (w[5] && v_u32(c, w[5], &h->breaker_probes))
            return -1;
        if (w[6] && v_fraction(c, w[6], &h->breaker_exploration))
            return -1;
        if (w[7] && v_bool(c, w[7], &h->breaker_bypass_all_open))
            return -1;
    }
    if (v[2]) { /* outlier */
        h->outlier = true;
        if (check_map(c, v[2], "'outlier'", outlier_keys, 3, w))
            return -1;
        if (w[0] && v_u32(c, w[0], &h->outlier_consecutive_5xx))
            return -1;
        if (w[1] && v_duration_ns(c, w[1], &h->outlier_base_ejection_ns))
            return -1;
        if (w[2] && v_fraction(c, w[2], &h->outlier_max_ejection))
            return -1;
    }
    return 0;
}

static int parse_fallbacks(struct ctx *c, const yaml_node_t *n, struct route_fallbacks *f)
{
    const yaml_node_t *v[2];
    char d[64];
    uint64_t u = 0;
    if (check_map(c, n, "'fallbacks'", fallbacks_keys, 2, v))
        return -1;
    f->max_depth = 5; /* LiteLLM ROUTER_MAX_FALLBACKS */
    if (v[0]) {
        if (v_uint(c, v[0], 64, &u))
            return -1;
        f->max_depth = (uint32_t)u;
    }
    if (v[1] == NULL)
        return missing(c, n, "'fallbacks'", "rules", "a list of {from, on, to}");
    if (v[1]->type != YAML_SEQUENCE_NODE)
        return fail(c, v[1], "found %s, expected 'rules': a list of {from, on, to}",
                    describe(v[1], d, sizeof d));
    size_t nr = seq_len(v[1]);
    struct route_fallback_rule *rules = nr ? own_alloc(c, n, nr * sizeof *rules) : NULL;
    if (nr && rules == NULL)
        return -1;
    for (size_t i = 0; i < nr; i++) {
        const yaml_node_t *it = node_of(c, v[1]->data.sequence.items.start[i]), *w[3];
        struct route_fallback_rule *r = &rules[i];
        size_t cls = 0;
        if (it == NULL)
            return oom(c, n);
        if (check_map(c, it, "a fallback rule", fb_rule_keys, 3, w))
            return -1;
        if (w[0] == NULL)
            return missing(c, it, "a fallback rule", "from", "a model group, or '*' for any");
        if (w[2] == NULL)
            return missing(c, it, "a fallback rule", "to", "a list of model groups to try");
        if (w[0]->type == YAML_SCALAR_NODE && strcmp(scalar_str(w[0]), "*") == 0)
            r->from_group = ROUTE_FALLBACK_ANY;
        else if (v_group(c, w[0], &r->from_group))
            return -1;
        if (w[1] && v_enum(c, w[1], "an error class", fb_class_names, NKEYS(fb_class_names), &cls))
            return -1;
        r->cls = (enum route_error_class)cls;
        if (w[2]->type != YAML_SEQUENCE_NODE || seq_len(w[2]) == 0 ||
            seq_len(w[2]) > ROUTE_FALLBACK_MAX_TARGETS)
            return fail(c, w[2], "found %s, expected 'to': a list of 1 to %u model groups",
                        describe(w[2], d, sizeof d), ROUTE_FALLBACK_MAX_TARGETS);
        for (size_t k = 0; k < seq_len(w[2]); k++) {
            const yaml_node_t *g = node_of(c, w[2]->data.sequence.items.start[k]);
            if (g == NULL)
                return oom(c, n);
            if (v_group(c, g, &r->to[k]))
                return -1;
        }
        r->n_to = (uint32_t)seq_len(w[2]);
    }
    f->rules = rules;
    f->n_rules = (uint32_t)nr;
    return 0;
}

static int parse_hedge(struct ctx *c, const yaml_node_t *n, struct scn_hedge *h)
{
    const yaml_node_t *v[4];
    uint64_t u = 0;
    size_t e = 0;
    if (check_map(c, n, "'hedge'", hedge_keys, 4, v))
        return -1;
    if ((v[0] == NULL) == (v[1] == NULL))
        return fail(c, n,
                    "found %s, expected exactly one of 'after' (a delay) or 'percentile' "
                    "(of observed TTFT)",
                    v[0] ? "both 'after' and 'percentile'" : "neither 'after' nor 'percentile'");
    if (v[0] && v_duration_ns(c, v[0], &h->after_ns))
        return -1;
    if (v[0] && h->after_ns <= 0)
        return fail(c, v[0], "found a delay of 0, expected a delay > 0");
    if (v[1] && v_fraction(c, v[1], &h->percentile))
        return -1;
    if (v[1] && !(h->percentile > 0 && h->percentile < 1))
        return fail(c, v[1], "found %s, expected a percentile strictly between 0%% and 100%%",
                    scalar_str(v[1]));
    h->max_hedges = 1;
    if (v[2]) {
        if (v_uint(c, v[2], 8, &u))
            return -1;
        h->max_hedges = (uint32_t)u;
    }
    if (v[3]) {
        if (v_enum(c, v[3], "what the losing attempt bills", bill_names, NKEYS(bill_names), &e))
            return -1;
        h->bill_loser = (enum api_bill)e;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Sections
 * ------------------------------------------------------------------- */

static int parse_retries(struct ctx *c, const yaml_node_t *n, struct route_retry *r)
{
    const yaml_node_t *v[RT_N];
    char q[64], d[64];
    if (check_map(c, n, "'retries'", retry_keys, RT_N, v))
        return -1;
    uint64_t u = 0;
    double x = 0;
    if (v[RT_PRESET]) { /* first: the other keys override the preset */
        size_t pi = 0;
        if (v_enum(c, v[RT_PRESET], "a retry preset", preset_names, NKEYS(preset_names), &pi))
            return -1;
        route_retry_preset(r, (enum route_backoff)pi);
    } else if (v[RT_MAX_ATTEMPTS] || v[RT_BACKOFF_BASE] || v[RT_BACKOFF_MAX] || v[RT_MULTIPLIER] ||
               v[RT_JITTER]) {
        r->preset = ROUTE_BACKOFF_CUSTOM; /* the LiteLLM defaults, changed */
    }
    if (v[RT_PER_STATUS]) {
        const yaml_node_t *w[3];
        static const enum route_status st[3] = {ROUTE_RATE_LIMITED, ROUTE_SERVER_ERROR,
                                                ROUTE_TIMEOUT};
        if (check_map(c, v[RT_PER_STATUS], "'per_status' (attempts per failure kind)",
                      per_status_keys, 3, w))
            return -1;
        for (int k = 0; k < 3; k++) {
            if (w[k] == NULL)
                continue;
            if (v_uint(c, w[k], UINT32_MAX, &u))
                return -1;
            r->max_attempts_class[st[k]] = (uint32_t)u;
        }
    }
    if (v[RT_RA_BUDGET] && v_duration_ns(c, v[RT_RA_BUDGET], &r->retry_after_budget_ns))
        return -1;
    if (v[RT_MAX_ATTEMPTS]) {
        if (v_uint(c, v[RT_MAX_ATTEMPTS], UINT32_MAX, &u))
            return -1;
        if (u < 1)
            return fail(c, v[RT_MAX_ATTEMPTS],
                        "found 0, expected max_attempts >= 1 (1 = no retry)");
        r->max_attempts = (uint32_t)u;
    }
    if (v[RT_BACKOFF_BASE] && v_duration_ns(c, v[RT_BACKOFF_BASE], &r->backoff_base_ns))
        return -1;
    if (v[RT_BACKOFF_MAX] && v_duration_ns(c, v[RT_BACKOFF_MAX], &r->backoff_max_ns))
        return -1;
    /* A base above the default cap raises the cap (the delay is
     * min(base * multiplier^n, max)); only two explicit values can
     * contradict each other. */
    if (r->backoff_max_ns < r->backoff_base_ns) {
        if (v[RT_BACKOFF_MAX] == NULL)
            r->backoff_max_ns = r->backoff_base_ns;
        else
            return fail(c, v[RT_BACKOFF_MAX],
                        "found backoff_max %.9gs below backoff_base %.9gs, expected backoff_max "
                        ">= backoff_base",
                        (double)r->backoff_max_ns / 1e9, (double)r->backoff_base_ns / 1e9);
    }
    if (v[RT_MULTIPLIER]) {
        if (v_number(c, v[RT_MULTIPLIER], &x))
            return -1;
        if (!(x >= 1))
            return fail(c, v[RT_MULTIPLIER], "found %s, expected a multiplier >= 1",
                        scn__quote(scalar_str(v[RT_MULTIPLIER]), q, sizeof q));
        r->multiplier = x;
    }
    if (v[RT_JITTER] && v_fraction(c, v[RT_JITTER], &r->jitter))
        return -1;
    if (v[RT_HONOR] && v_bool(c, v[RT_HONOR], &r->honor_retry_after))
        return -1;
    if (v[RT_RA_CAP] && v_duration_ns(c, v[RT_RA_CAP], &r->retry_after_cap_ns))
        return -1;
    if (v[RT_REROUTE] && v_bool(c, v[RT_REROUTE], &r->reroute_immediately))
        return -1;
    const yaml_node_t *ro = v[RT_RETRY_ON];
    if (ro) {
        static const char expected[] = "429, 5xx (or a status 500-599) or timeout";
        if (ro->type != YAML_SEQUENCE_NODE)
            return fail(c, ro, "found %s, expected 'retry_on': a list of %s",
                        describe(ro, d, sizeof d), expected);
        uint32_t set = 0;
        for (size_t i = 0; i < seq_len(ro); i++) {
            const yaml_node_t *it = node_of(c, ro->data.sequence.items.start[i]);
            const char *s = NULL;
            if (it == NULL)
                return oom(c, ro);
            if (get_str(c, it, expected, &s))
                return -1;
            int64_t status = 0;
            char m[128];
            if (strcmp(s, "429") == 0)
                set |= 1u << ROUTE_RATE_LIMITED;
            else if (strcmp(s, "5xx") == 0 || strcmp(s, "5XX") == 0)
                set |= 1u << ROUTE_SERVER_ERROR;
            else if (strcmp(s, "timeout") == 0)
                set |= 1u << ROUTE_TIMEOUT;
            else if (scn__parse_int(s, 500, 599, &status, m, sizeof m) == 0)
                set |= 1u << ROUTE_SERVER_ERROR;
            else
                return fail(c, it, "found %s, expected %s", scn__quote(s, q, sizeof q), expected);
        }
        r->retry_on = set;
    }
    return 0;
}

static int parse_router(struct ctx *c, const yaml_node_t *n, struct scn_router *r)
{
    const yaml_node_t *v[R_N];
    if (check_map(c, n, "'router'", router_keys, R_N, v))
        return -1;
    if (v[R_STRATEGY]) {
        if (parse_node(c, v[R_STRATEGY], &r->strategy, true, 0))
            return -1;
    } else {
        char m[1400];
        if (strategy_init(c->reg, &r->strategy, SCN_DEFAULT_STRATEGY, SCN_DEFAULT_STRATEGY, m,
                          sizeof m))
            return fail(c, n, "%s", m);
    }
    if (v[R_PARAMS] && parse_params(c, v[R_PARAMS], &r->strategy))
        return -1;
    if (v[R_TIMEOUT] && v_duration_ns(c, v[R_TIMEOUT], &r->attempt_timeout_ns))
        return -1;
    if (v[R_QUEUE_TIMEOUT] && v_duration_ns(c, v[R_QUEUE_TIMEOUT], &r->queue_timeout_ns))
        return -1;
    if (v[R_RETRIES] && parse_retries(c, v[R_RETRIES], &r->retry))
        return -1;
    if (v[R_HEALTH] && parse_health(c, v[R_HEALTH], &r->health))
        return -1;
    if (v[R_FALLBACKS] && parse_fallbacks(c, v[R_FALLBACKS], &r->fallbacks))
        return -1;
    if (v[R_HEDGE] && parse_hedge(c, v[R_HEDGE], &r->hedge))
        return -1;
    if (v[R_REPLICAS]) {
        uint64_t u = 0;
        if (v_uint(c, v[R_REPLICAS], 4096, &u))
            return -1;
        if (u < 1)
            return fail(c, v[R_REPLICAS], "found 0, expected at least 1 gateway replica");
        r->replicas = (uint32_t)u;
    }
    if (v[R_SHARED] && v_bool(c, v[R_SHARED], &r->shared_state))
        return -1;
    if (v[R_STALENESS] && v_duration_ns(c, v[R_STALENESS], &r->staleness_ns))
        return -1;
    if (v[R_DEFAULT_GROUP]) {
        char name[SCN_NAME_MAX], q[64];
        if (v_name(c, v[R_DEFAULT_GROUP], "a model group", false, 1, name, sizeof name))
            return -1;
        r->default_group = scn_group_id(c->s, name);
        if (r->default_group == 0)
            return fail(c, v[R_DEFAULT_GROUP], "found %s, expected a group some backend serves",
                        scn__quote(name, q, sizeof q));
    }
    return 0;
}

static int parse_compare(struct ctx *c, const yaml_node_t *n, struct scenario *s)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n,
                    "found %s, expected 'compare': a list of strategy names or {strategy, "
                    "label, params} mappings",
                    describe(n, d, sizeof d));
    size_t count = seq_len(n);
    if (count == 0)
        return 0;
    if (count > UINT32_MAX)
        return fail(c, n, "found %zu strategies, expected fewer", count);
    s->compare = calloc(count, sizeof *s->compare);
    if (s->compare == NULL)
        return oom(c, n);
    s->n_compare = (uint32_t)count;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = node_of(c, n->data.sequence.items.start[i]);
        struct scn_strategy *st = &s->compare[i];
        const yaml_node_t *at = it;
        if (it == NULL)
            return oom(c, n);
        if (parse_node(c, it, st, true, 0))
            return -1;
        if (it->type == YAML_MAPPING_NODE) {
            const yaml_node_t *lab = map_get(c, it, "label");
            if (lab)
                at = lab;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->compare[j].label, st->label) != 0)
                continue;
            const yaml_node_t *prev = node_of(c, n->data.sequence.items.start[j]);
            return fail(c, at,
                        "found duplicate compare label '%s' (first at line %zu), expected unique "
                        "labels (add 'label:' to tell apart runs of the same strategy)",
                        st->label, prev ? prev->start_mark.line + 1 : 0);
        }
    }
    return 0;
}

static int parse_slo(struct ctx *c, const yaml_node_t *n, struct scn_slo *slo)
{
    const yaml_node_t *v[SCN_SLO_COUNT_];
    if (check_map(c, n, "'slo'", slo_keys, SCN_SLO_COUNT_, v))
        return -1;
    for (int i = 0; i < SCN_SLO_COUNT_; i++) {
        if (v[i] == NULL)
            continue;
        int rc;
        if (i <= SCN_SLO_E2E_P99)
            rc = v_duration_s(c, v[i], &slo->limit[i]);
        else if (i <= SCN_SLO_ERROR_RATE)
            rc = v_fraction(c, v[i], &slo->limit[i]);
        else
            rc = v_usd(c, v[i], &slo->limit[i]);
        if (rc)
            return -1;
        slo->set[i] = true;
    }
    return 0;
}

/* The trace path, relative to the scenario file's directory, must name a
 * readable file. */
static int trace_file(struct ctx *c, const yaml_node_t *n, struct trace_cfg *t,
                      struct scn_source *st)
{
    char q[64], eb[128];
    const char *rel = NULL;
    if (get_str(c, n, "a trace file path", &rel))
        return -1;
    if (rel[0] == '\0')
        return fail(c, n, "found an empty value, expected a trace file path");
    size_t dirlen = 0;
    if (rel[0] != '/') {
        const char *slash = strrchr(c->path, '/');
        dirlen = slash ? (size_t)(slash - c->path) + 1 : 0;
    }
    size_t rl = strlen(rel);
    if (dirlen + rl + 1 > sizeof st->path)
        return fail(c, n, "found a trace path of %zu bytes, expected at most %zu", dirlen + rl,
                    sizeof st->path - 1);
    memcpy(st->path, c->path, dirlen);
    memcpy(st->path + dirlen, rel, rl + 1);
    t->path = st->path;
    errno = 0;
    FILE *f = fopen(st->path, "r");
    int e = errno;
    if (f != NULL) {
        errno = 0;
        (void)fgetc(f);
        e = ferror(f) ? errno : 0;
        fclose(f);
    }
    if (f == NULL || e != 0) {
        if (strerror_r(e, eb, sizeof eb) != 0)
            snprintf(eb, sizeof eb, "error %d", e);
        return fail(c, n, "found %s, expected a readable trace file ('%s': %s)",
                    scn__quote(rel, q, sizeof q), st->path, eb);
    }
    return 0;
}

/* A sequence node or an error naming what was expected. */
static int want_seq(struct ctx *c, const yaml_node_t *n, const char *expected)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "found %s, expected %s", describe(n, d, sizeof d), expected);
    return 0;
}

static const yaml_node_t *seq_item(struct ctx *c, const yaml_node_t *n, size_t i)
{
    return node_of(c, n->data.sequence.items.start[i]);
}

/* MMPP states: [{rate, dwell}, ...] (Fischer and Meier-Hellstern, "The
 * Markov-modulated Poisson process (MMPP) cookbook", 1993; cycled in order). */
static int parse_states(struct ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    if (want_seq(c, n, "'states': a list of {rate, dwell}"))
        return -1;
    size_t count = seq_len(n);
    if (count < 1 || count > TRACE_MMPP_MAX_STATES)
        return fail(c, n, "found %zu states, expected 1 to %u", count, TRACE_MMPP_MAX_STATES);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = seq_item(c, n, i), *v[2];
        int64_t dwell = 0;
        if (it == NULL)
            return oom(c, n);
        if (check_map(c, it, "an MMPP state", state_keys, 2, v))
            return -1;
        if (v[0] == NULL)
            return missing(c, it, "an MMPP state", "rate", "its arrival rate, e.g. 20/s or 0/s");
        if (v[1] == NULL)
            return missing(c, it, "an MMPP state", "dwell", "its mean duration, e.g. 30s");
        if (v_rate(c, v[0], &sy->mmpp_rate_per_s[i]) || v_duration_ns(c, v[1], &dwell))
            return -1;
        if (dwell <= 0)
            return fail(c, v[1], "found a dwell of 0, expected a duration > 0");
        sy->mmpp_dwell_s[i] = (double)dwell / 1e9;
    }
    sy->mmpp_states = (uint32_t)count;
    return 0;
}

/* A piecewise-constant rate table: [{at, rate}, ...], first at 0. */
static int parse_table(struct ctx *c, const yaml_node_t *n, struct trace_synth *sy,
                       struct scn_source *st)
{
    if (want_seq(c, n, "'table': a list of {at, rate}"))
        return -1;
    size_t count = seq_len(n);
    if (count < 1 || count > UINT32_MAX / 2)
        return fail(c, n, "found %zu table steps, expected at least 1", count);
    st->table_t_ns = calloc(count, sizeof *st->table_t_ns);
    st->table_rate = calloc(count, sizeof *st->table_rate);
    if (st->table_t_ns == NULL || st->table_rate == NULL)
        return oom(c, n);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = seq_item(c, n, i), *v[2];
        if (it == NULL)
            return oom(c, n);
        if (check_map(c, it, "a rate-table step", step_keys, 2, v))
            return -1;
        if (v[0] == NULL || v[1] == NULL)
            return missing(c, it, "a rate-table step", v[0] ? "rate" : "at",
                           v[0] ? "the rate from then on, e.g. 20/s" : "its start, e.g. 8h");
        if (v_duration_ns(c, v[0], &st->table_t_ns[i]) || v_rate(c, v[1], &st->table_rate[i]))
            return -1;
        if (i == 0 && st->table_t_ns[0] != 0)
            return fail(c, v[0], "found a first step at %.9gs, expected the first step at 0s",
                        (double)st->table_t_ns[0] / 1e9);
        if (i > 0 && st->table_t_ns[i] <= st->table_t_ns[i - 1])
            return fail(c, v[0], "found a step at %.9gs, expected steps in increasing time",
                        (double)st->table_t_ns[i] / 1e9);
    }
    sy->n_table = (uint32_t)count;
    sy->table_t_ns = st->table_t_ns;
    sy->table_rate = st->table_rate;
    return 0;
}

static int parse_sessions(struct ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    const yaml_node_t *v[2];
    if (check_map(c, n, "'sessions'", session_keys, 2, v))
        return -1;
    if (v[0] == NULL)
        return missing(c, n, "'sessions'", "turns", "a distribution of turns per session");
    if (v[1] == NULL)
        return missing(c, n, "'sessions'", "think", "a distribution of think times");
    if (parse_dist(c, v[0], DU_TOKENS, "'turns'", &sy->turns) ||
        parse_dist(c, v[1], DU_SECONDS, "'think'", &sy->think_s))
        return -1;
    if (sy->turns.min < 1)
        sy->turns.min = 1;
    sy->sessions = 1;
    return 0;
}

/* Labels by share: [{kind, value, share}, ...]; per kind the shares sum to
 * at most 1 (the rest stays unlabelled). */
static int parse_shares(struct ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    double sum[TRACE_LABEL_KINDS_] = {0};
    if (want_seq(c, n, "'labels': a list of {kind, value, share}"))
        return -1;
    size_t count = seq_len(n);
    if (count > TRACE_MAX_LABEL_SHARES)
        return fail(c, n, "found %zu labels, expected at most %u", count, TRACE_MAX_LABEL_SHARES);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = seq_item(c, n, i), *v[3];
        struct trace_label_share *ls = &sy->labels[i];
        size_t kind = 0;
        if (it == NULL)
            return oom(c, n);
        if (check_map(c, it, "a label share", share_keys, 3, v))
            return -1;
        for (int k = 0; k < 3; k++)
            if (v[k] == NULL)
                return missing(c, it, "a label share", share_keys[k],
                               k == 0   ? "model_group, task, tenant or region"
                               : k == 1 ? "the label value"
                                        : "the share of requests, e.g. 30%");
        if (v_enum(c, v[0], "a label kind", label_kind_names, TRACE_LABEL_KINDS_, &kind) ||
            v_name(c, v[1], "a label value", false, 1, ls->value, sizeof ls->value) ||
            v_fraction(c, v[2], &ls->share))
            return -1;
        ls->kind = (enum trace_label_kind)kind;
        sum[kind] += ls->share;
        if (sum[kind] > 1.0 + 1e-9)
            return fail(c, v[2], "found shares of %s adding up to %.6g, expected at most 100%%",
                        label_kind_names[kind], sum[kind]);
    }
    sy->n_labels = (uint32_t)count;
    return 0;
}

/* Empirical length distributions of a trace, binned at this many quantiles:
 * 64 bins keep the fitted means within 0.1% on the Azure traces
 * (tests/validation/val_traffic.c). */
#define SCN_FIT_BINS 64u

static int trace_file(struct ctx *c, const yaml_node_t *n, struct trace_cfg *t,
                      struct scn_source *st);

/* `lengths_from: <trace>`: input/output token distributions fitted from a
 * trace (any format, read once at load). */
static int fit_lengths(struct ctx *c, const yaml_node_t *n, struct trace_synth *sy)
{
    struct scn_source *tmp = calloc(1, sizeof *tmp);
    struct trace_cfg cfg = {.format = TRACE_AUTO, .rate_scale = 1.0};
    char err[512];
    if (tmp == NULL)
        return oom(c, n);
    int rc = trace_file(c, n, &cfg, tmp);
    if (rc == 0) {
        struct trace_src *src = trace_open(&cfg, 0, err, sizeof err);
        if (src == NULL) {
            rc = fail(c, n,
                      "found a trace that cannot be read (%s), expected a trace to fit "
                      "token lengths from",
                      err);
        } else {
            if (trace_fit_lengths(src, SCN_FIT_BINS, &sy->input_tokens, &sy->output_tokens, err,
                                  sizeof err) != 0)
                rc = fail(c, n,
                          "found a trace that cannot be fitted (%s), expected a trace with "
                          "rows",
                          err);
            trace_close(src);
        }
    }
    free(tmp);
    return rc;
}

static int parse_synthetic(struct ctx *c, const yaml_node_t *n, struct trace_synth *sy,
                           struct scn_source *st)
{
    const yaml_node_t *v[SY_N];
    char q[64];
    size_t idx = 0;
    if (check_map(c, n, "'synthetic'", synth_keys, SY_N, v))
        return -1;
    if (v[SY_ARRIVALS] &&
        v_enum(c, v[SY_ARRIVALS], "an arrival process", arrival_names, NKEYS(arrival_names), &idx))
        return -1;
    sy->arrivals = (enum trace_arrivals)idx;
    bool mmpp = sy->arrivals == TRACE_ARR_MMPP;
    bool diurnal = sy->arrivals == TRACE_ARR_DIURNAL;
    bool renewal = sy->arrivals == TRACE_ARR_GAMMA || sy->arrivals == TRACE_ARR_WEIBULL;
    /* keys that belong to one process only */
    const struct {
        int key;
        bool ok;
        const char *with;
    } only[] = {{SY_CV, renewal, "gamma or weibull"}, {SY_STATES, mmpp, "mmpp"},
                {SY_AMPLITUDE, diurnal, "diurnal"},   {SY_PERIOD, diurnal, "diurnal"},
                {SY_PHASE, diurnal, "diurnal"},       {SY_TABLE, diurnal, "diurnal"}};
    for (size_t i = 0; i < NKEYS(only); i++)
        if (v[only[i].key] && !only[i].ok)
            return fail(c, v[only[i].key],
                        "found '%s' with arrivals '%s', expected it only with %s",
                        synth_keys[only[i].key], arrival_names[idx], only[i].with);
    if (mmpp) {
        if (v[SY_STATES] == NULL)
            return missing(c, n, "an mmpp 'synthetic'", "states", "a list of {rate, dwell}");
        if (v[SY_RATE])
            return fail(c, v[SY_RATE],
                        "found 'rate' with arrivals 'mmpp', expected the rates in "
                        "'states'");
        if (parse_states(c, v[SY_STATES], sy))
            return -1;
    } else if (diurnal && v[SY_TABLE]) {
        if (v[SY_RATE] || v[SY_AMPLITUDE] || v[SY_PHASE])
            return fail(c, v[SY_TABLE],
                        "found 'table' with 'rate', 'amplitude' or 'phase', "
                        "expected either a rate table or a sinusoid");
        if (parse_table(c, v[SY_TABLE], sy, st))
            return -1;
    } else {
        if (v[SY_RATE] == NULL)
            return missing(c, n, "'synthetic'", "rate", "an arrival rate such as 20/s");
        if (v_rate(c, v[SY_RATE], &sy->rate_per_s))
            return -1;
        if (!(sy->rate_per_s > 0))
            return fail(c, v[SY_RATE], "found %s, expected a rate > 0",
                        scn__quote(scalar_str(v[SY_RATE]), q, sizeof q));
    }
    if (renewal) {
        if (v[SY_CV] == NULL)
            return missing(c, n, "a gamma or weibull 'synthetic'", "cv",
                           "the coefficient of variation of inter-arrival times, e.g. 2");
        if (v_number(c, v[SY_CV], &sy->cv))
            return -1;
        if (!(sy->cv > 0))
            return fail(c, v[SY_CV], "found cv %g, expected a number > 0", sy->cv);
    }
    if (diurnal) {
        sy->diurnal_period_ns = 24LL * 3600 * 1000000000LL; /* a day */
        if (v[SY_AMPLITUDE] && v_fraction(c, v[SY_AMPLITUDE], &sy->diurnal_amplitude))
            return -1;
        if (v[SY_PERIOD] && v_duration_ns(c, v[SY_PERIOD], &sy->diurnal_period_ns))
            return -1;
        if (v[SY_PHASE] && v_duration_ns(c, v[SY_PHASE], &sy->diurnal_phase_ns))
            return -1;
        if (sy->diurnal_period_ns <= 0)
            return fail(c, v[SY_PERIOD], "found a period of 0, expected a duration > 0");
    }
    if (v[SY_COUNT] == NULL && v[SY_DURATION] == NULL)
        return missing(c, n, "'synthetic'", "count",
                       "a number of requests (or 'duration', or both)");
    if (v[SY_COUNT]) {
        int64_t cnt = 0;
        if (v_count(c, v[SY_COUNT], &cnt))
            return -1;
        sy->count = (uint64_t)cnt;
    }
    if (v[SY_DURATION] && v_duration_ns(c, v[SY_DURATION], &sy->duration_ns))
        return -1;
    if (v[SY_LENGTHS_FROM]) {
        if (v[SY_INPUT] || v[SY_OUTPUT])
            return fail(c, v[SY_LENGTHS_FROM],
                        "found 'lengths_from' with 'input_tokens' or "
                        "'output_tokens', expected one or the other");
        if (fit_lengths(c, v[SY_LENGTHS_FROM], sy))
            return -1;
    } else {
        if (v[SY_INPUT] == NULL)
            return missing(c, n, "'synthetic'", "input_tokens",
                           "a distribution of prompt sizes (or 'lengths_from': a trace)");
        if (v[SY_OUTPUT] == NULL)
            return missing(c, n, "'synthetic'", "output_tokens",
                           "a distribution of output sizes (or 'lengths_from': a trace)");
        if (parse_dist(c, v[SY_INPUT], DU_TOKENS, "'input_tokens'", &sy->input_tokens))
            return -1;
        if (parse_dist(c, v[SY_OUTPUT], DU_TOKENS, "'output_tokens'", &sy->output_tokens))
            return -1;
    }
    if (v[SY_SESSIONS] && parse_sessions(c, v[SY_SESSIONS], sy))
        return -1;
    if (v[SY_LABELS] && parse_shares(c, v[SY_LABELS], sy))
        return -1;
    return 0;
}

/* `labels: {task: batch, tenant: nightly}`: every row of this source. */
static int parse_overrides(struct ctx *c, const yaml_node_t *n, struct trace_cfg *t)
{
    const yaml_node_t *v[TRACE_LABEL_KINDS_];
    if (check_map(c, n, "'labels'", label_kind_names, TRACE_LABEL_KINDS_, v))
        return -1;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        if (v[k] &&
            v_name(c, v[k], "a label value", false, 1, t->set_label[k], sizeof t->set_label[k]))
            return -1;
    return 0;
}

/* One source: a trace or a generator, with its transforms and overrides. */
static int parse_source(struct ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                        struct trace_cfg *t, struct scn_source *st)
{
    char q[64];
    if (v[TR_TRACE] && v[TR_SYNTHETIC])
        return fail(c, n, "found both 'trace' and 'synthetic' in 'traffic', expected exactly one");
    if (!v[TR_TRACE] && !v[TR_SYNTHETIC])
        return missing(c, n, "'traffic'", "trace",
                       "a trace file (or 'synthetic': a generated workload, or 'sources': a "
                       "list of them to merge)");
    t->rate_scale = 1.0;
    if (v[TR_RATE_SCALE]) {
        if (v_number(c, v[TR_RATE_SCALE], &t->rate_scale))
            return -1;
        if (!(t->rate_scale > 0))
            return fail(c, v[TR_RATE_SCALE], "found %s, expected a rate_scale > 0",
                        scn__quote(scalar_str(v[TR_RATE_SCALE]), q, sizeof q));
    }
    if (v[TR_LIMIT] && v_uint(c, v[TR_LIMIT], UINT64_MAX, &t->limit))
        return -1;
    if (v[TR_WINDOW]) {
        const yaml_node_t *w[2];
        if (check_map(c, v[TR_WINDOW], "'window'", window_keys, 2, w))
            return -1;
        if (w[0] && v_duration_ns(c, w[0], &t->window_start_ns))
            return -1;
        if (w[1] && v_duration_ns(c, w[1], &t->window_end_ns))
            return -1;
        if (w[1] && t->window_end_ns <= t->window_start_ns)
            return fail(c, w[1], "found a window end at or before its start, expected end > start");
    }
    if (v[TR_SAMPLE]) {
        if (v_fraction(c, v[TR_SAMPLE], &t->sample))
            return -1;
        if (!(t->sample > 0))
            return fail(c, v[TR_SAMPLE], "found a sample of 0, expected a share > 0");
    }
    if (v[TR_REPEAT_TO] && v_duration_ns(c, v[TR_REPEAT_TO], &t->repeat_to_ns))
        return -1;
    if (v[TR_SKIP_BAD]) {
        bool b = false;
        if (v_bool(c, v[TR_SKIP_BAD], &b))
            return -1;
        t->skip_bad_rows = b;
    }
    if (v[TR_PRIORITY]) {
        uint64_t pr = 0;
        if (v_uint(c, v[TR_PRIORITY], UINT32_MAX, &pr))
            return -1;
        t->set_priority = (uint32_t)pr;
    }
    if (v[TR_LABELS] && parse_overrides(c, v[TR_LABELS], t))
        return -1;
    if (v[TR_SYNTHETIC]) {
        if (v[TR_FORMAT])
            return fail(c, v[TR_FORMAT],
                        "found 'format' with a synthetic source, expected 'format' only with "
                        "'trace'");
        t->format = TRACE_SYNTHETIC;
        t->path = NULL;
        return parse_synthetic(c, v[TR_SYNTHETIC], &t->synth, st);
    }
    t->format = TRACE_AUTO;
    if (v[TR_FORMAT]) {
        size_t f = 0;
        if (v_enum(c, v[TR_FORMAT], "a trace format", format_names, NKEYS(format_names), &f))
            return -1;
        t->format = format_values[f];
    }
    return trace_file(c, v[TR_TRACE], t, st);
}

static int parse_traffic(struct ctx *c, const yaml_node_t *n, struct scenario *s)
{
    const yaml_node_t *v[TR_N];
    if (check_map(c, n, "'traffic'", traffic_keys, TR_N, v))
        return -1;
    if (v[TR_SOURCES] == NULL) {
        if (parse_source(c, n, v, &s->traffic, &s->traffic_store))
            return -1;
        if (s->traffic.path != NULL) { /* the single source's path lives in trace_path */
            memcpy(s->trace_path, s->traffic_store.path, sizeof s->trace_path);
            s->traffic.path = s->trace_path;
        }
        return 0;
    }
    for (int k = 0; k < TR_N; k++)
        if (k != TR_SOURCES && v[k] != NULL)
            return fail(c, v[k],
                        "found '%s' beside 'sources', expected the sources' settings "
                        "inside each source",
                        traffic_keys[k]);
    const yaml_node_t *list = v[TR_SOURCES];
    if (want_seq(c, list, "'sources': a list of traffic sources to merge"))
        return -1;
    size_t count = seq_len(list);
    if (count < 1 || count > 256)
        return fail(c, list, "found %zu sources, expected 1 to 256", count);
    s->sources = calloc(count, sizeof *s->sources);
    s->source_store = calloc(count, sizeof *s->source_store);
    if (s->sources == NULL || s->source_store == NULL)
        return oom(c, list);
    s->n_sources = (uint32_t)count;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = seq_item(c, list, i), *w[TR_N];
        if (it == NULL)
            return oom(c, list);
        if (check_map(c, it, "a traffic source", traffic_keys, TR_N, w))
            return -1;
        if (w[TR_SOURCES])
            return fail(c, w[TR_SOURCES],
                        "found 'sources' inside a source, expected sources "
                        "one level deep");
        if (parse_source(c, it, w, &s->sources[i], &s->source_store[i]))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Faults (models/faults.h) and rate limits
 * ------------------------------------------------------------------- */

/* One window of a fault list (an outage, a brownout, a storm) while the
 * list is checked: its span, node and position in the file. */
struct span_item {
    int64_t start_ns, end_ns;
    const yaml_node_t *node;
    size_t idx;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span_item *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return x->end_ns < y->end_ns ? -1 : (x->end_ns > y->end_ns);
}

/* [start, end) of window n from `start` and exactly one of `duration` and
 * `end`.  `what` is the window with its article ("an outage"), `noun`
 * without ("outage"). */
static int parse_span(struct ctx *c, const yaml_node_t *n, const char *what, const char *noun,
                      const yaml_node_t *vs, const yaml_node_t *vd, const yaml_node_t *ve,
                      struct span_item *it)
{
    char when[96];
    it->node = n;
    snprintf(when, sizeof when, "when the %s starts, e.g. 10m", noun);
    if (vs == NULL)
        return missing(c, n, what, "start", when);
    if (v_duration_ns(c, vs, &it->start_ns))
        return -1;
    if ((vd != NULL) == (ve != NULL))
        return fail(c, n, "found %s with %s, expected exactly one of 'duration' and 'end'", what,
                    ve ? "both 'duration' and 'end'" : "neither 'duration' nor 'end'");
    if (vd) {
        int64_t d = 0;
        if (v_duration_ns(c, vd, &d))
            return -1;
        if (d <= 0)
            return fail(c, vd, "found a zero duration, expected %s > 0", what);
        if (it->start_ns > INT64_MAX - d)
            return fail(c, vd, "found %s ending after 292 years, expected less", what);
        it->end_ns = it->start_ns + d;
    } else {
        if (v_duration_ns(c, ve, &it->end_ns))
            return -1;
        if (it->end_ns <= it->start_ns)
            return fail(c, ve, "found an end at %.9gs, expected an end after start %.9gs",
                        (double)it->end_ns / 1e9, (double)it->start_ns / 1e9);
    }
    return 0;
}

/* Parses one window into *elem (its span into *it). */
typedef int (*window_fn)(struct ctx *c, const yaml_node_t *n, struct span_item *it, void *elem);

/*
 * A list of windows (`key`: a sequence of `shape`), each parsed by fn into
 * an element of elem_size bytes; sorted by start, overlaps refused.  *out
 * gets a malloc'd array (NULL when the list is empty), *count its length.
 */
static int parse_windows(struct ctx *c, const yaml_node_t *n, const char *key, const char *shape,
                         const char *what, const char *noun, size_t elem_size, window_fn fn,
                         void **out, uint32_t *count_out)
{
    char d[64];
    *out = NULL;
    *count_out = 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "found %s, expected '%s': a list of %s", describe(n, d, sizeof d), key,
                    shape);
    size_t count = seq_len(n);
    if (count == 0)
        return 0;
    if (count > UINT32_MAX / 2)
        return fail(c, n, "found %zu %ss, expected fewer", count, noun);
    struct span_item *items = calloc(count, sizeof *items);
    unsigned char *raw = calloc(count, elem_size);
    unsigned char *sorted = NULL;
    int rc = items && raw ? 0 : oom(c, n);
    for (size_t i = 0; i < count && rc == 0; i++) {
        const yaml_node_t *it = node_of(c, n->data.sequence.items.start[i]);
        items[i].idx = i;
        rc = it ? fn(c, it, &items[i], raw + i * elem_size) : oom(c, n);
    }
    if (rc == 0) {
        qsort(items, count, sizeof *items, span_cmp);
        for (size_t i = 1; i < count && rc == 0; i++)
            if (items[i].start_ns < items[i - 1].end_ns)
                rc =
                    fail(c, items[i].node,
                         "found %s [%.9gs, %.9gs) overlapping the %s [%.9gs, %.9gs) at line "
                         "%zu, expected non-overlapping %s windows",
                         what, (double)items[i].start_ns / 1e9, (double)items[i].end_ns / 1e9, noun,
                         (double)items[i - 1].start_ns / 1e9, (double)items[i - 1].end_ns / 1e9,
                         items[i - 1].node->start_mark.line + 1, noun);
    }
    if (rc == 0) {
        sorted = malloc(count * elem_size);
        if (sorted == NULL)
            rc = oom(c, n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < count; i++)
            memcpy(sorted + i * elem_size, raw + items[i].idx * elem_size, elem_size);
        *out = sorted;
        *count_out = (uint32_t)count;
    }
    free(items);
    free(raw);
    return rc;
}

static int parse_outage(struct ctx *c, const yaml_node_t *n, struct span_item *it, void *elem)
{
    struct fault_outage *o = elem;
    const yaml_node_t *v[O_N];
    if (check_map(c, n, "an outage", outage_keys, O_N, v))
        return -1;
    if (parse_span(c, n, "an outage", "outage", v[O_START], v[O_DURATION], v[O_END], it))
        return -1;
    o->start_ns = it->start_ns;
    o->end_ns = it->end_ns;
    o->http_status = SCN_DEFAULT_OUTAGE_STATUS;
    if (v[O_STATUS] && v_status(c, v[O_STATUS], &o->http_status))
        return -1;
    return 0;
}

static int parse_brownout(struct ctx *c, const yaml_node_t *n, struct span_item *it, void *elem)
{
    struct fault_brownout *w = elem;
    const yaml_node_t *v[BO_N];
    if (check_map(c, n, "a brownout", brownout_keys, BO_N, v))
        return -1;
    if (parse_span(c, n, "a brownout", "brownout", v[BO_START], v[BO_DURATION], v[BO_END], it))
        return -1;
    w->start_ns = it->start_ns;
    w->end_ns = it->end_ns;
    w->latency_x = 1.0;
    w->error_rate = 0.0;
    w->http_status = SCN_DEFAULT_BROWNOUT_STATUS;
    if (v[BO_LATENCY_X] == NULL && v[BO_ERROR_RATE] == NULL)
        return fail(c, n,
                    "found a brownout without 'latency_x' or 'error_rate', expected at least one "
                    "of them");
    if (v[BO_LATENCY_X]) {
        char q[64];
        if (v_number(c, v[BO_LATENCY_X], &w->latency_x))
            return -1;
        if (!(w->latency_x >= 1.0 && w->latency_x <= SCN_MAX_LATENCY_X))
            return fail(c, v[BO_LATENCY_X],
                        "found %s, expected a latency multiplier from 1 (unchanged) to %g",
                        scn__quote(scalar_str(v[BO_LATENCY_X]), q, sizeof q), SCN_MAX_LATENCY_X);
    }
    if (v[BO_ERROR_RATE] && v_fraction(c, v[BO_ERROR_RATE], &w->error_rate))
        return -1;
    if (v[BO_STATUS] && v_status(c, v[BO_STATUS], &w->http_status))
        return -1;
    return 0;
}

static int parse_storm(struct ctx *c, const yaml_node_t *n, struct span_item *it, void *elem)
{
    struct fault_storm *w = elem;
    const yaml_node_t *v[SM_N];
    if (check_map(c, n, "a storm", storm_keys, SM_N, v))
        return -1;
    if (parse_span(c, n, "a storm", "storm", v[SM_START], v[SM_DURATION], v[SM_END], it))
        return -1;
    w->start_ns = it->start_ns;
    w->end_ns = it->end_ns;
    w->share = 1.0;
    w->retry_after_ns = -1;
    if (v[SM_SHARE]) {
        if (v_fraction(c, v[SM_SHARE], &w->share))
            return -1;
        if (w->share <= 0)
            return fail(c, v[SM_SHARE], "found a share of 0, expected a share above 0");
    }
    if (v[SM_RETRY_AFTER] && v_duration_ns(c, v[SM_RETRY_AFTER], &w->retry_after_ns))
        return -1;
    return 0;
}

static int parse_random_outages(struct ctx *c, const yaml_node_t *n, struct fault_cfg *f)
{
    const yaml_node_t *v[RO_N];
    if (check_map(c, n, "'random_outages'", random_outage_keys, RO_N, v))
        return -1;
    if (v[RO_MTBF] == NULL)
        return missing(c, n, "'random_outages'", "mtbf", "the mean time between failures, e.g. 6h");
    if (v[RO_MTTR] == NULL)
        return missing(c, n, "'random_outages'", "mttr", "the mean time to repair, e.g. 10m");
    if (v_duration_ns(c, v[RO_MTBF], &f->mtbf_ns) || v_duration_ns(c, v[RO_MTTR], &f->mttr_ns))
        return -1;
    if (f->mtbf_ns <= 0)
        return fail(c, v[RO_MTBF], "found a zero mtbf, expected a mean time between failures > 0");
    if (f->mttr_ns <= 0)
        return fail(c, v[RO_MTTR], "found a zero mttr, expected a mean time to repair > 0");
    f->random_status = SCN_DEFAULT_OUTAGE_STATUS;
    if (v[RO_STATUS] && v_status(c, v[RO_STATUS], &f->random_status))
        return -1;
    return 0;
}

static int parse_faults(struct ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *v[F_N];
    struct fault_cfg *f = &b->api.faults;
    void *arr = NULL;
    uint32_t count = 0;
    if (check_map(c, n, "'faults'", fault_keys, F_N, v))
        return -1;
    if (v[F_ERROR_RATE] && v_fraction(c, v[F_ERROR_RATE], &f->error_rate))
        return -1;
    if (v[F_ERROR_STATUS] && v_status(c, v[F_ERROR_STATUS], &f->error_status))
        return -1;
    if (v[F_OUTAGES]) {
        if (parse_windows(c, v[F_OUTAGES], "outages", "{start, duration | end, status}",
                          "an outage", "outage", sizeof(struct fault_outage), parse_outage, &arr,
                          &count))
            return -1;
        b->outages = arr;
        f->outages = b->outages;
        f->n_outages = count;
    }
    if (v[F_CONTENT_POLICY] && v_fraction(c, v[F_CONTENT_POLICY], &b->api.content_policy_rate))
        return -1;
    if (f->error_rate + b->api.content_policy_rate > 1.0 + 1e-12)
        return fail(c, n,
                    "found error_rate + content_policy_rate above 100%%, expected at most "
                    "100%%");
    if (v[F_RANDOM_OUTAGES] && parse_random_outages(c, v[F_RANDOM_OUTAGES], f))
        return -1;
    if (v[F_BROWNOUTS]) {
        if (parse_windows(c, v[F_BROWNOUTS], "brownouts",
                          "{start, duration | end, latency_x, error_rate, status}", "a brownout",
                          "brownout", sizeof(struct fault_brownout), parse_brownout, &arr, &count))
            return -1;
        b->brownouts = arr;
        f->brownouts = b->brownouts;
        f->n_brownouts = count;
    }
    if (v[F_STORMS]) {
        if (parse_windows(c, v[F_STORMS], "storms", "{start, duration | end, share, retry_after}",
                          "a storm", "storm", sizeof(struct fault_storm), parse_storm, &arr,
                          &count))
            return -1;
        b->storms = arr;
        f->storms = b->storms;
        f->n_storms = count;
    }
    if (v[F_HANG_RATE] && v_fraction(c, v[F_HANG_RATE], &f->hang_rate))
        return -1;
    return 0;
}

/* A limit key that the style does not meter. */
static int limit_not_in_style(struct ctx *c, const yaml_node_t *k, const char *key,
                              enum api_limit_style style, const char *instead)
{
    return fail(c, k, "found '%s' with style %s, expected %s", key, limit_style_names[style],
                instead);
}

static int parse_limits(struct ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *l[L_N];
    struct api_cfg *a = &b->api;
    const struct api_limit_preset *p = NULL;
    char q[64];
    if (check_map(c, n, "'limits'", limit_keys, L_N, l))
        return -1;
    if (l[L_PRESET]) {
        const char *name = NULL;
        if (get_str(c, l[L_PRESET], "a rate-limit preset such as openai-gpt-4o-tier3", &name))
            return -1;
        p = api_limit_preset_find(name);
        if (p == NULL) {
            char list[2048];
            size_t o = 0;
            const char *best = NULL;
            unsigned best_d = UINT_MAX;
            list[0] = '\0';
            for (size_t i = 0; api_limit_preset_at(i) != NULL; i++) {
                const char *pn = api_limit_preset_at(i)->name;
                scn__suggest_step(name, pn, &best, &best_d);
                int k = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", pn);
                if (k > 0 && (size_t)k < sizeof list - o)
                    o += (size_t)k;
            }
            const char *sg = scn__suggest_done(name, best, best_d);
            return fail(c, l[L_PRESET], "found %s, expected a rate-limit preset: one of %s%s%s%s",
                        scn__quote(name, q, sizeof q), list, sg ? "; did you mean '" : "",
                        sg ? sg : "", sg ? "'?" : "");
        }
        a->limit_style = p->style;
        a->rpm = p->rpm;
        a->tpm = p->tpm;
        a->itpm = p->itpm;
        a->otpm = p->otpm;
        a->rpd = p->rpd;
        a->limits_preset = p;
    }
    if (l[L_STYLE]) {
        size_t e = 0;
        if (v_enum(c, l[L_STYLE], "a rate-limit style", limit_style_names, NKEYS(limit_style_names),
                   &e))
            return -1;
        if (p != NULL && (enum api_limit_style)e != p->style)
            return fail(c, l[L_STYLE],
                        "found style '%s' with preset '%s', expected its style '%s' (or none)",
                        limit_style_names[e], p->name, limit_style_names[p->style]);
        a->limit_style = (enum api_limit_style)e;
    }
    enum api_limit_style st = a->limit_style;
    if (st == API_LIMITS_ANTHROPIC && l[L_TPM])
        return limit_not_in_style(c, l[L_TPM], "tpm", st,
                                  "'itpm' and 'otpm' (Anthropic meters input and output tokens "
                                  "separately)");
    for (int k = L_ITPM; k <= L_OTPM && st != API_LIMITS_ANTHROPIC; k++)
        if (l[k])
            return limit_not_in_style(c, l[k], limit_keys[k], st, "it only with style anthropic");
    for (int k = L_RPD; k <= L_RPD_RESET && st != API_LIMITS_GEMINI; k++)
        if (l[k])
            return limit_not_in_style(c, l[k], limit_keys[k], st, "it only with style gemini");
    if (l[L_RPM] && v_count(c, l[L_RPM], &a->rpm))
        return -1;
    if (l[L_TPM] && v_count(c, l[L_TPM], &a->tpm))
        return -1;
    if (l[L_ITPM] && v_count(c, l[L_ITPM], &a->itpm))
        return -1;
    if (l[L_OTPM] && v_count(c, l[L_OTPM], &a->otpm))
        return -1;
    if (l[L_RPD] && v_count(c, l[L_RPD], &a->rpd))
        return -1;
    a->rpd_reset_ns = API_RPD_RESET_PST_NS;
    if (l[L_RPD_RESET]) {
        if (v_duration_ns(c, l[L_RPD_RESET], &a->rpd_reset_ns))
            return -1;
        if (a->rpd_reset_ns < 0 || a->rpd_reset_ns >= API_DAY_NS)
            return fail(c, l[L_RPD_RESET],
                        "found %s, expected a time of day from 0h to below 24h (UTC)",
                        scn__quote(scalar_str(l[L_RPD_RESET]), q, sizeof q));
    }
    /* The router meters one window of input + max_tokens: for Anthropic
     * it gets ITPM + OTPM when both are limited. */
    b->route.rpm_limit = a->rpm;
    b->route.tpm_limit = st != API_LIMITS_ANTHROPIC   ? a->tpm
                         : a->itpm > 0 && a->otpm > 0 ? a->itpm + a->otpm
                                                      : 0;
    return 0;
}

static int parse_latency(struct ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *v[LA_N];
    if (check_map(c, n, "'latency'", latency_keys, LA_N, v))
        return -1;
    if (v[LA_TTFT] == NULL)
        return missing(c, n, "'latency'", "ttft", "a distribution of times to first token");
    if (parse_dist(c, v[LA_TTFT], DU_SECONDS, "'ttft'", &b->api.ttft_s))
        return -1;
    if (v[LA_PREFILL] && v_duration_s(c, v[LA_PREFILL], &b->api.prefill_s_per_token))
        return -1;
    if (v[LA_OUTPUT_RATE] &&
        parse_dist(c, v[LA_OUTPUT_RATE], DU_TPS, "'output_rate'", &b->api.output_tps))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------
 * GPU pools (kind: pool): one entry of `backends:` becomes one backend
 * per replica slot
 * ------------------------------------------------------------------- */

/* The key node of `key` in mapping n (for messages), else n. */
static const yaml_node_t *key_node(struct ctx *c, const yaml_node_t *n, const char *key)
{
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node_of(c, p->key);
        if (k != NULL && scalar_clean(k) && strcmp(scalar_str(k), key) == 0)
            return k;
    }
    return n;
}

/* *dst = a copy of n elements of `size` bytes (NULL for none); -1 when out
 * of memory. */
static int dup_array(void **dst, const void *src, size_t n, size_t size)
{
    *dst = NULL;
    if (src == NULL || n == 0)
        return 0;
    *dst = malloc(n * size);
    if (*dst == NULL)
        return -1;
    memcpy(*dst, src, n * size);
    return 0;
}

/* Grow scenario.backends to `count` entries, the new ones zeroed.  realloc
 * may move the array: route.name of every entry is pointed back at its own
 * name (the fault arrays are separate blocks and keep their addresses). */
static int backends_resize(struct ctx *c, const yaml_node_t *n, struct scenario *s, uint32_t count)
{
    struct scn_backend *nb = realloc(s->backends, (size_t)count * sizeof *nb);
    if (nb == NULL)
        return oom(c, n);
    if (count > s->n_backends)
        memset(nb + s->n_backends, 0, (size_t)(count - s->n_backends) * sizeof *nb);
    s->backends = nb;
    s->n_backends = count;
    for (uint32_t i = 0; i < count; i++)
        nb[i].route.name = nb[i].name;
    return 0;
}

static int parse_autoscale(struct ctx *c, const yaml_node_t *n, struct scn_autoscale *a)
{
    const yaml_node_t *v[AS_N];
    char q[64];
    size_t e = 0;
    if (check_map(c, n, "'autoscale'", autoscale_keys, AS_N, v))
        return -1;
    a->enabled = true;
    a->metric = SCN_AS_UTILIZATION;
    a->target = SCN_AS_TARGET_UTILIZATION;
    a->min = 1;
    a->interval_ns = SCN_AS_INTERVAL_NS;
    a->warmup_ns = SCN_AS_WARMUP_NS;
    a->scale_down_delay_ns = SCN_AS_SCALE_DOWN_DELAY_NS;
    a->tolerance = SCN_AS_TOLERANCE;
    if (v[AS_METRIC]) {
        if (v_enum(c, v[AS_METRIC], "an autoscaling metric", as_metric_names,
                   NKEYS(as_metric_names), &e))
            return -1;
        a->metric = (enum scn_as_metric)e;
    }
    if (a->metric == SCN_AS_UTILIZATION) {
        if (v[AS_TARGET] && v_fraction(c, v[AS_TARGET], &a->target))
            return -1;
        if (!(a->target > 0))
            return fail(c, v[AS_TARGET],
                        "found a target utilization of 0, expected a utilization above 0%% and "
                        "at most 100%%");
    } else {
        if (v[AS_TARGET] == NULL)
            return missing(c, n,
                           a->metric == SCN_AS_QUEUE_DEPTH ? "'autoscale' with metric queue_depth"
                                                           : "'autoscale' with metric concurrency",
                           "target", "the requests per serving replica to aim at, e.g. 4");
        if (v_number(c, v[AS_TARGET], &a->target))
            return -1;
        if (!(a->target > 0))
            return fail(c, v[AS_TARGET], "found %s, expected a target number of requests > 0",
                        scn__quote(scalar_str(v[AS_TARGET]), q, sizeof q));
    }
    if (v[AS_MIN] && v_u32(c, v[AS_MIN], &a->min))
        return -1;
    if (v[AS_MAX] == NULL)
        return missing(c, n, "'autoscale'", "max", "the most replicas it may run, e.g. 8");
    if (v_u32(c, v[AS_MAX], &a->max))
        return -1;
    uint32_t lo = a->min > 1 ? a->min : 1;
    if (a->max < lo)
        return fail(c, v[AS_MAX], "found max %u, expected max >= %u (at least min, and at least 1)",
                    a->max, lo);
    if (a->max > ROUTE_MAX_BACKENDS)
        return fail(c, v[AS_MAX], "found max %u, expected at most %u replicas (a backend each)",
                    a->max, ROUTE_MAX_BACKENDS);
    if (v[AS_INTERVAL]) {
        if (v_duration_ns(c, v[AS_INTERVAL], &a->interval_ns))
            return -1;
        if (a->interval_ns <= 0)
            return fail(c, v[AS_INTERVAL], "found an interval of 0, expected an interval > 0");
    }
    if (v[AS_WARMUP] && v_duration_ns(c, v[AS_WARMUP], &a->warmup_ns))
        return -1;
    if (v[AS_DOWN_DELAY] && v_duration_ns(c, v[AS_DOWN_DELAY], &a->scale_down_delay_ns))
        return -1;
    if (v[AS_TOL]) {
        if (v_fraction(c, v[AS_TOL], &a->tolerance))
            return -1;
        if (a->tolerance >= 1)
            return fail(c, v[AS_TOL],
                        "found a tolerance of 100%%, expected less than 100%% (the autoscaler "
                        "would never act)");
    }
    return 0;
}

/* A scheduled preemption while the list is checked. */
struct preempt_item {
    struct scn_preempt p;
    const yaml_node_t *node;
};

static int preempt_cmp(const void *a, const void *b)
{
    const struct scn_preempt *x = &((const struct preempt_item *)a)->p;
    const struct scn_preempt *y = &((const struct preempt_item *)b)->p;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->replica < y->replica ? -1 : (x->replica > y->replica);
}

/* `schedule: [{at, replica}, ...]`: slots of this pool, sorted by time. */
static int parse_schedule(struct ctx *c, const yaml_node_t *n, struct scn_pool *p)
{
    struct scn_spot *sp = &p->spot;
    char what[96];
    if (want_seq(c, n, "'schedule': a list of {at, replica}"))
        return -1;
    size_t count = seq_len(n);
    if (count == 0)
        return 0;
    if (count > UINT32_MAX / 2)
        return fail(c, n, "found %zu preemptions, expected fewer", count);
    struct preempt_item *items = calloc(count, sizeof *items);
    if (items == NULL)
        return oom(c, n);
    snprintf(what, sizeof what, "the slot it hits, 0 to %u", p->slots - 1);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const yaml_node_t *it = seq_item(c, n, i), *w[2];
        struct scn_preempt *e = &items[i].p;
        items[i].node = it;
        if (it == NULL)
            rc = oom(c, n);
        else if (check_map(c, it, "a scheduled preemption", preempt_keys, 2, w))
            rc = -1;
        else if (w[0] == NULL)
            rc = missing(c, it, "a scheduled preemption", "at",
                         "when the preemption notice comes, e.g. 10m");
        else if (w[1] == NULL)
            rc = missing(c, it, "a scheduled preemption", "replica", what);
        else if (v_duration_ns(c, w[0], &e->at_ns) || v_u32(c, w[1], &e->replica))
            rc = -1;
        else if (e->replica >= p->slots)
            rc = fail(c, w[1],
                      "found replica %u, expected a slot index from 0 to %u (the pool has %u)",
                      e->replica, p->slots - 1, p->slots);
    }
    if (rc == 0) {
        qsort(items, count, sizeof *items, preempt_cmp);
        for (size_t i = 1; i < count && rc == 0; i++)
            if (preempt_cmp(&items[i], &items[i - 1]) == 0)
                rc = fail(c, items[i].node,
                          "found a second preemption of replica %u at %.9gs (first at line %zu), "
                          "expected each (at, replica) once",
                          items[i].p.replica, (double)items[i].p.at_ns / 1e9,
                          items[i - 1].node->start_mark.line + 1);
    }
    if (rc == 0) {
        sp->schedule = malloc(count * sizeof *sp->schedule);
        if (sp->schedule == NULL)
            rc = oom(c, n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < count; i++)
            sp->schedule[i] = items[i].p;
        sp->n_schedule = (uint32_t)count;
    }
    free(items);
    return rc;
}

/* `spot:` true, false or a mapping.  *price gets spot.price_per_hour, or
 * stays as it was when not given. */
static int parse_spot(struct ctx *c, const yaml_node_t *n, struct scn_pool *p, double *price)
{
    struct scn_spot *sp = &p->spot;
    const yaml_node_t *v[SP_N];
    char q[64], list[256], m[128];
    size_t e = 0;
    if (n->type == YAML_SCALAR_NODE) {
        const char *str = NULL;
        bool on = false;
        if (get_str(c, n, "'spot': true, false or a mapping", &str))
            return -1;
        if (scn__parse_bool(str, &on, m, sizeof m) != 0) {
            join_names(spot_keys, SP_N, list, sizeof list);
            return fail(c, n, "found %s, expected 'spot': true, false or a mapping with keys %s",
                        scn__quote(str, q, sizeof q), list);
        }
        sp->enabled = on;
        return 0;
    }
    if (check_map(c, n, "'spot'", spot_keys, SP_N, v))
        return -1;
    sp->enabled = true;
    if (v[SP_RATE]) {
        if (v_number(c, v[SP_RATE], &sp->preemptions_per_day))
            return -1;
        if (!(sp->preemptions_per_day >= 0))
            return fail(c, v[SP_RATE], "found %s, expected preemptions per day >= 0",
                        scn__quote(scalar_str(v[SP_RATE]), q, sizeof q));
    }
    if (v[SP_SCHEDULE] && parse_schedule(c, v[SP_SCHEDULE], p))
        return -1;
    if (v[SP_NOTICE] && v_duration_ns(c, v[SP_NOTICE], &sp->notice_ns))
        return -1;
    if (v[SP_ON_KILL]) {
        if (v_enum(c, v[SP_ON_KILL], "what happens to requests on a preempted replica",
                   on_kill_names, NKEYS(on_kill_names), &e))
            return -1;
        sp->on_kill = (enum scn_on_kill)e;
    }
    if (v[SP_REPLACEMENT]) {
        const yaml_node_t *r = v[SP_REPLACEMENT];
        if (r->type == YAML_SCALAR_NODE && strcmp(scalar_str(r), "none") == 0)
            sp->replacement_delay_ns = -1;
        else if (v_duration_ns(c, r, &sp->replacement_delay_ns))
            return -1;
    }
    if (v[SP_STOCKOUT]) {
        if (v_fraction(c, v[SP_STOCKOUT], &sp->stockout_p))
            return -1;
        if (sp->stockout_p >= 1)
            return fail(c, v[SP_STOCKOUT],
                        "found a stockout probability of 100%%, expected less than 100%% (for "
                        "no replacement at all, replacement_delay: none)");
    }
    if (v[SP_PRICE] && v_usd(c, v[SP_PRICE], price))
        return -1;
    return 0;
}

/* "a, b, c": the built-in pool profiles. */
static void profile_names(char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < pool_profile_count() && o < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", pool_profile_at(i)->name);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

/*
 * The pool keys of backend entry n, whose common keys are parsed into
 * s->backends[first] already (its name is the pool's); then that backend
 * becomes slot 0 and slots 1.. are appended as copies of it.
 */
static int parse_pool(struct ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                      struct scenario *s, uint32_t first)
{
    char q[64], list[512];
    struct scn_pool *np = realloc(s->pools, ((size_t)s->n_pools + 1) * sizeof *np);
    if (np == NULL)
        return oom(c, n);
    s->pools = np;
    uint32_t pi = s->n_pools++;
    struct scn_pool *p = &np[pi];
    memset(p, 0, sizeof *p);
    memcpy(p->name, s->backends[first].name, sizeof p->name);
    p->first_backend = first;

    /* The profile: hardware, model and prices. */
    profile_names(list, sizeof list);
    if (v[B_PROFILE] == NULL) {
        char expected[640];
        snprintf(expected, sizeof expected, "a pool profile, one of %s", list);
        return missing(c, n, "a pool backend", "profile", expected);
    }
    const char *pn = NULL;
    if (get_str(c, v[B_PROFILE], "a pool profile", &pn))
        return -1;
    p->profile = pool_profile_find(pn);
    if (p->profile == NULL) {
        const char *best = NULL;
        unsigned best_d = UINT_MAX;
        for (uint32_t i = 0; i < pool_profile_count(); i++)
            scn__suggest_step(pn, pool_profile_at(i)->name, &best, &best_d);
        const char *sg = scn__suggest_done(pn, best, best_d);
        return fail(c, v[B_PROFILE], "found %s, expected a pool profile: one of %s%s%s%s",
                    scn__quote(pn, q, sizeof q), list, sg ? "; did you mean '" : "", sg ? sg : "",
                    sg ? "'?" : "");
    }
    if (pool_cfg_init(&p->cfg, p->profile) != POOL_OK)
        return fail(c, v[B_PROFILE],
                    "found profile %s whose weights do not fit its GPUs, expected a usable "
                    "profile",
                    scn__quote(pn, q, sizeof q));

    /* Replicas at t = 0 and replica slots. */
    struct scn_autoscale *as = &p->autoscale;
    if (v[B_AUTOSCALE] && parse_autoscale(c, v[B_AUTOSCALE], as))
        return -1;
    p->replicas = as->enabled ? as->min : 1;
    if (v[B_REPLICAS]) {
        if (v_u32(c, v[B_REPLICAS], &p->replicas))
            return -1;
        if (as->enabled && (p->replicas < as->min || p->replicas > as->max))
            return fail(c, v[B_REPLICAS],
                        "found replicas %u, expected %u to %u (autoscale's min to max)",
                        p->replicas, as->min, as->max);
        if (!as->enabled && p->replicas < 1)
            return fail(c, v[B_REPLICAS],
                        "found replicas 0, expected at least 1 (0 only with 'autoscale', whose "
                        "min may be 0)");
        if (!as->enabled && p->replicas > ROUTE_MAX_BACKENDS)
            return fail(c, v[B_REPLICAS], "found replicas %u, expected at most %u (a backend each)",
                        p->replicas, ROUTE_MAX_BACKENDS);
    }
    p->slots = as->enabled ? as->max : p->replicas;
    p->cfg.replicas = p->slots;

    /* Serving overrides of the profile. */
    if (v[B_MAX_BATCH]) {
        uint32_t mb = 0;
        if (v_u32(c, v[B_MAX_BATCH], &mb))
            return -1;
        if (mb < 1 || mb > SCN_POOL_MAX_BATCH)
            return fail(c, v[B_MAX_BATCH], "found max_batch %u, expected 1 to %u", mb,
                        SCN_POOL_MAX_BATCH);
        p->cfg.perf.max_batch = mb;
    }
    if (v[B_CHUNKED_PREFILL] && v_u32(c, v[B_CHUNKED_PREFILL], &p->cfg.chunked_prefill_tokens))
        return -1;
    if (v[B_BLOCK_TOKENS]) {
        if (v_u32(c, v[B_BLOCK_TOKENS], &p->cfg.block_tokens))
            return -1;
        if (p->cfg.block_tokens < 1)
            return fail(c, v[B_BLOCK_TOKENS], "found block_tokens 0, expected at least 1");
    }
    if (v[B_PREFIX_CACHE]) {
        const yaml_node_t *pc = v[B_PREFIX_CACHE];
        static const char expected[] = "'prefix_cache': true, false or a capacity in blocks >= 1";
        const char *str = NULL;
        char m[128];
        uint64_t blocks = 0;
        if (get_str(c, pc, expected, &str))
            return -1;
        if (scn__parse_bool(str, &p->cfg.prefix_cache, m, sizeof m) != 0) {
            if (scn__parse_uint(str, UINT32_MAX, &blocks, m, sizeof m) != 0 || blocks < 1)
                return fail(c, pc, "found %s, expected %s", scn__quote(str, q, sizeof q), expected);
            p->cfg.prefix_cache = true;
            p->cfg.prefix_cache_blocks = (uint32_t)blocks;
        }
    }

    /* Prices: price_per_hour overrides the profile's; with spot, the
     * spot's own price_per_hour wins, else the profile's spot price. */
    double price = -1, spot_price = -1;
    if (v[B_PRICE_PER_HOUR] && v_usd(c, v[B_PRICE_PER_HOUR], &price))
        return -1;
    p->spot.notice_ns = SCN_SPOT_NOTICE_NS;
    p->spot.on_kill = SCN_KILL_RETRY;
    p->spot.replacement_delay_ns = SCN_SPOT_REPLACEMENT_NS;
    if (v[B_SPOT] && parse_spot(c, v[B_SPOT], p, &spot_price))
        return -1;
    if (p->spot.enabled)
        p->usd_per_hour = spot_price >= 0 ? spot_price
                          : price >= 0    ? price
                                          : p->profile->usd_per_hour_spot;
    else
        p->usd_per_hour = price >= 0 ? price : p->profile->usd_per_hour;

    /* One backend per slot, named "<pool>/<i>". */
    char last[16];
    int dl = snprintf(last, sizeof last, "/%u", p->slots - 1);
    size_t nl = strlen(p->name);
    if (dl < 0 || nl + (size_t)dl >= SCN_NAME_MAX)
        return fail(c, v[B_NAME],
                    "found pool name '%s' of %zu characters, expected at most %zu so that its "
                    "replica names ('%s%s') fit %d characters",
                    p->name, nl, (size_t)(SCN_NAME_MAX - 1) - (size_t)(dl < 0 ? 0 : dl), p->name,
                    last, SCN_NAME_MAX - 1);
    if ((uint64_t)first + p->slots > ROUTE_MAX_BACKENDS)
        return fail(c, v[B_NAME],
                    "found pool '%s' of %u replica slots, bringing the backends to %llu, "
                    "expected at most %u in all (each replica slot is a backend)",
                    p->name, p->slots, (unsigned long long)first + p->slots, ROUTE_MAX_BACKENDS);
    if (backends_resize(c, n, s, first + p->slots))
        return -1;
    struct scn_backend *b0 = &s->backends[first];
    b0->kind = SCN_BACKEND_POOL;
    b0->pool = pi;
    b0->route.kind = ROUTE_KIND_POOL;
    if (b0->model[0] == '\0')
        snprintf(b0->model, sizeof b0->model, "%s", p->profile->model->name);
    for (uint32_t i = 1; i < p->slots; i++) {
        struct scn_backend *b = &s->backends[first + i];
        void *o = NULL, *w = NULL, *st = NULL;
        *b = *b0;
        b->outages = NULL;
        b->brownouts = NULL;
        b->storms = NULL;
        const struct fault_cfg *f = &b0->api.faults;
        if (dup_array(&o, b0->outages, f->n_outages, sizeof *b0->outages) ||
            dup_array(&w, b0->brownouts, f->n_brownouts, sizeof *b0->brownouts) ||
            dup_array(&st, b0->storms, f->n_storms, sizeof *b0->storms)) {
            free(o);
            free(w);
            memset(b, 0, sizeof *b);
            return oom(c, n);
        }
        b->outages = o;
        b->brownouts = w;
        b->storms = st;
        b->api.faults.outages = b->outages;
        b->api.faults.brownouts = b->brownouts;
        b->api.faults.storms = b->storms;
    }
    for (uint32_t i = 0; i < p->slots; i++) {
        struct scn_backend *b = &s->backends[first + i];
        char num[16];
        snprintf(num, sizeof num, "/%u", i);
        memcpy(b->name, p->name, nl);
        memcpy(b->name + nl, num, strlen(num) + 1);
        b->replica = i;
        b->route.name = b->name;
    }
    return 0;
}

/* Entry `item` of the `backends:` list `seq`, into the last backend of s
 * (a pool appends its other slots). */
static int parse_backend(struct ctx *c, const yaml_node_t *n, const yaml_node_t *seq,
                         struct scenario *s, size_t item)
{
    uint32_t idx = s->n_backends - 1;
    struct scn_backend *b = &s->backends[idx];
    const yaml_node_t *v[B_N];
    uint64_t u = 0;
    int64_t i64 = 0;
    size_t e = 0;
    bool pool = false;
    if (check_map(c, n, "a backend", backend_keys, B_N, v))
        return -1;

    /* Defaults. */
    b->kind = SCN_BACKEND_API;
    b->route.name = b->name;
    b->route.weight = 1;
    b->api.faults.error_status = SCN_DEFAULT_ERROR_STATUS;
    b->api.bill_failed = API_BILL_NOTHING;
    dist_constant(&b->api.output_tps, SCN_DEFAULT_OUTPUT_TPS);

    if (v[B_NAME] == NULL)
        return missing(c, n, "a backend", "name", "a unique name such as openai-east");
    if (v_name(c, v[B_NAME], "a backend name", true, 1, b->name, sizeof b->name))
        return -1;
    /* Unique among the entries (api/tool backends and pools alike); the
     * names of pool slots have a '/', which entry names cannot. */
    for (size_t j = 0; j < item; j++) {
        const yaml_node_t *prev = map_get(c, node_of(c, seq->data.sequence.items.start[j]), "name");
        if (prev == NULL || !scalar_clean(prev) || strcmp(scalar_str(prev), b->name) != 0)
            continue;
        return fail(c, v[B_NAME],
                    "found duplicate backend name '%s' (first at line %zu), expected unique "
                    "backend names",
                    b->name, prev->start_mark.line + 1);
    }
    if (v[B_KIND]) {
        if (v_enum(c, v[B_KIND], "a backend kind", kind_names, NKEYS(kind_names), &e))
            return -1;
        b->route.kind = (uint32_t)e;
        pool = e == ROUTE_KIND_POOL;
    }
    if (pool) {
        for (size_t k = 0; k < NKEYS(pool_refused); k++)
            if (v[pool_refused[k].key])
                return fail(c, key_node(c, n, backend_keys[pool_refused[k].key]),
                            "found '%s' on a pool backend, expected none: %s",
                            backend_keys[pool_refused[k].key], pool_refused[k].why);
        memset(&b->api.output_tps, 0, sizeof b->api.output_tps); /* no latency model */
    } else {
        for (int k = B_PROFILE; k <= B_AUTOSCALE; k++)
            if (v[k])
                return fail(c, key_node(c, n, backend_keys[k]),
                            "found '%s' on a backend of kind '%s', expected it only with kind: "
                            "pool",
                            backend_keys[k], kind_names[b->route.kind]);
    }
    if (v[B_GROUP]) {
        if (v_group(c, v[B_GROUP], &b->route.model_group))
            return -1;
        snprintf(b->group, sizeof b->group, "%s", c->s->groups[b->route.model_group - 1]);
    }
    if (v[B_SIZE_CLASS]) {
        if (v_uint(c, v[B_SIZE_CLASS], 64, &u))
            return -1;
        b->route.size_class = (uint32_t)u;
    }
    if (v[B_BUDGET]) {
        const yaml_node_t *w[2];
        if (check_map(c, v[B_BUDGET], "'budget'", budget_keys, 2, w))
            return -1;
        if (w[0] == NULL)
            return missing(c, v[B_BUDGET], "'budget'", "usd", "the spend cap, e.g. $50");
        if (v_usd(c, w[0], &b->route.budget_usd))
            return -1;
        if (w[1] && v_duration_ns(c, w[1], &b->route.budget_window_ns))
            return -1;
    }
    if (v[B_REGION]) {
        char name[SCN_NAME_MAX];
        if (v_name(c, v[B_REGION], "a region", false, 1, name, sizeof name))
            return -1;
        int64_t rid = names_intern(&c->s->regions, &c->s->n_regions, name);
        if (rid < 0)
            return oom(c, v[B_REGION]);
        b->route.region = (uint32_t)rid;
    }
    if (v[B_TAGS]) {
        char d[64], name[SCN_NAME_MAX];
        const yaml_node_t *tl = v[B_TAGS];
        if (tl->type != YAML_SEQUENCE_NODE)
            return fail(c, tl, "found %s, expected 'tags': a list of names",
                        describe(tl, d, sizeof d));
        for (size_t k = 0; k < seq_len(tl); k++) {
            const yaml_node_t *t = node_of(c, tl->data.sequence.items.start[k]);
            if (t == NULL)
                return oom(c, tl);
            if (v_name(c, t, "a tag", false, 1, name, sizeof name))
                return -1;
            int64_t tid = names_intern(&c->s->tags, &c->s->n_tags, name);
            if (tid < 0)
                return oom(c, t);
            if (tid > 64)
                return fail(c, t, "found a 65th distinct tag, expected at most 64");
            b->route.tags |= (uint64_t)1 << (tid - 1);
        }
    }
    /* A model of the price catalog (models/catalog.h) fills the prices and
       context window; `prices:` and `context_window:` below override them.
       Any other name is a plain label. */
    const struct catalog_entry *ce = NULL;
    if (v[B_MODEL]) {
        if (v_name(c, v[B_MODEL], "a model label", false, 0, b->model, sizeof b->model))
            return -1;
        ce = pool ? NULL : catalog_find(b->model); /* a pool bills by the hour */
        if (ce != NULL) {
            b->route.context_window = ce->context_window;
            b->route.price_input = b->api.price_input = ce->input_usd_per_mtok / 1e6;
            b->route.price_cached = b->api.price_cached = ce->cached_input_usd_per_mtok / 1e6;
            b->route.price_output = b->api.price_output = ce->output_usd_per_mtok / 1e6;
        }
    }
    if (v[B_WEIGHT] && v_u32(c, v[B_WEIGHT], &b->route.weight))
        return -1;
    if (v[B_TIER]) {
        if (v_int(c, v[B_TIER], INT32_MIN, INT32_MAX, &i64))
            return -1;
        b->route.tier = (int32_t)i64;
    }
    if (v[B_MAX_INFLIGHT]) {
        if (v_uint(c, v[B_MAX_INFLIGHT], INT32_MAX, &u))
            return -1;
        b->route.max_inflight = (int32_t)u;
    }
    if (pool)
        b->route.context_window = SCN_POOL_CONTEXT_WINDOW;
    if (v[B_CONTEXT_WINDOW] && v_count(c, v[B_CONTEXT_WINDOW], &b->route.context_window))
        return -1;
    b->api.context_window = b->route.context_window;

    if (v[B_PRICES]) {
        const yaml_node_t *p[P_N];
        /* Keys left out keep the catalog's price (0 without one); a given
           input is also the cached price unless cached_input is given. */
        double in = ce ? ce->input_usd_per_mtok : 0;
        double cached = ce ? ce->cached_input_usd_per_mtok : 0;
        double out = ce ? ce->output_usd_per_mtok : 0;
        if (check_map(c, v[B_PRICES], "'prices' (USD per 1M tokens)", price_keys, P_N, p))
            return -1;
        if (p[P_INPUT]) {
            if (v_usd(c, p[P_INPUT], &in))
                return -1;
            cached = in;
        }
        if (p[P_CACHED] && v_usd(c, p[P_CACHED], &cached))
            return -1;
        if (p[P_OUTPUT] && v_usd(c, p[P_OUTPUT], &out))
            return -1;
        b->route.price_input = b->api.price_input = in / 1e6;
        b->route.price_cached = b->api.price_cached = cached / 1e6;
        b->route.price_output = b->api.price_output = out / 1e6;
    }
    if (v[B_LIMITS] && parse_limits(c, v[B_LIMITS], b))
        return -1;
    if (v[B_CONCURRENCY]) {
        if (v_uint(c, v[B_CONCURRENCY], INT32_MAX, &u))
            return -1;
        b->api.concurrency = (int32_t)u;
    }
    if (v[B_QUEUE_MAX] && v_u32(c, v[B_QUEUE_MAX], &b->api.queue_max))
        return -1;
    if (v[B_CACHED_FRACTION] && v_fraction(c, v[B_CACHED_FRACTION], &b->api.cached_fraction))
        return -1;
    if (v[B_BILL_FAILED]) {
        if (v_enum(c, v[B_BILL_FAILED], "what a failed attempt bills", bill_names,
                   NKEYS(bill_names), &e))
            return -1;
        b->api.bill_failed = (enum api_bill)e;
    }
    if (!pool && v[B_LATENCY] == NULL)
        return missing(c, n, "a backend", "latency", "a mapping with at least 'ttft'");
    if (!pool && parse_latency(c, v[B_LATENCY], b))
        return -1;
    if (v[B_FAULTS] && parse_faults(c, v[B_FAULTS], b))
        return -1;
    return pool ? parse_pool(c, n, v, s, idx) : 0;
}

static int parse_backends(struct ctx *c, const yaml_node_t *n, struct scenario *s)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "found %s, expected 'backends': a list of backends",
                    describe(n, d, sizeof d));
    size_t count = seq_len(n);
    if (count == 0)
        return fail(c, n, "found an empty list, expected at least one backend in 'backends'");
    if (count > ROUTE_MAX_BACKENDS)
        return fail(c, n, "found %zu backends, expected at most %u", count, ROUTE_MAX_BACKENDS);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = node_of(c, n->data.sequence.items.start[i]);
        if (it == NULL)
            return oom(c, n);
        if (s->n_backends >= ROUTE_MAX_BACKENDS)
            return fail(c, it,
                        "found a backend past the limit of %u (the pools before it take one "
                        "per replica slot), expected at most %u backends in all",
                        ROUTE_MAX_BACKENDS, ROUTE_MAX_BACKENDS);
        if (backends_resize(c, it, s, s->n_backends + 1))
            return -1;
        if (parse_backend(c, it, n, s, i))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Regions (RTT matrix) and the gateway cache
 * ------------------------------------------------------------------- */

/* One `rtt:` entry while the list is checked. */
struct rtt_item {
    uint32_t from, to; /* region ids */
    int64_t ns;
    const yaml_node_t *node; /* the rtt value */
};

/* A region name, interned (ids 1..n, shared with backends' `region:`). */
static int v_region(struct ctx *c, const yaml_node_t *n, uint32_t *id)
{
    char name[SCN_NAME_MAX];
    if (v_name(c, n, "a region", false, 1, name, sizeof name))
        return -1;
    int64_t rid = names_intern(&c->s->regions, &c->s->n_regions, name);
    if (rid < 0)
        return oom(c, n);
    *id = (uint32_t)rid;
    return 0;
}

/* Parse the `rtt:` list into items[0..count); regions are interned. */
static int parse_rtt_list(struct ctx *c, const yaml_node_t *n, struct rtt_item *items, size_t count)
{
    char q[64], q2[64];
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = seq_item(c, n, i), *w[3];
        struct rtt_item *r = &items[i];
        if (it == NULL)
            return oom(c, n);
        if (check_map(c, it, "an RTT entry", rtt_pair_keys, 3, w))
            return -1;
        for (int k = 0; k < 3; k++)
            if (w[k] == NULL)
                return missing(c, it, "an RTT entry", rtt_pair_keys[k],
                               k == 0   ? "the region requests come from"
                               : k == 1 ? "the region of the backend"
                                        : "the round-trip time, e.g. 80ms");
        if (v_region(c, w[0], &r->from) || v_region(c, w[1], &r->to) ||
            v_duration_ns(c, w[2], &r->ns))
            return -1;
        r->node = w[2];
        /* symmetric: (a, b) and (b, a) are one pair */
        for (size_t j = 0; j < i; j++) {
            const struct rtt_item *o = &items[j];
            bool same =
                (o->from == r->from && o->to == r->to) || (o->from == r->to && o->to == r->from);
            if (same && o->ns != r->ns)
                return fail(c, w[2],
                            "found rtt %s for %s -> %s, expected %s as given at line %zu (RTTs are "
                            "symmetric: one value per pair)",
                            scn__quote(scalar_str(w[2]), q, sizeof q), c->s->regions[r->from - 1],
                            c->s->regions[r->to - 1],
                            scn__quote(scalar_str(o->node), q2, sizeof q2),
                            o->node->start_mark.line + 1);
        }
    }
    return 0;
}

/*
 * `regions: {default_rtt, rtt: [{from, to, rtt}]}`.  Parsed after
 * everything else that names regions, so the matrix covers every id.
 */
static int parse_regions(struct ctx *c, const yaml_node_t *n, struct scenario *s)
{
    const yaml_node_t *v[2];
    size_t count = 0;
    if (check_map(c, n, "'regions'", regions_keys, 2, v))
        return -1;
    if (v[0] && v_duration_ns(c, v[0], &s->rtt.default_ns))
        return -1;
    if (v[1]) {
        if (want_seq(c, v[1], "'rtt': a list of {from, to, rtt}"))
            return -1;
        count = seq_len(v[1]);
    }
    struct rtt_item *items = count ? calloc(count, sizeof *items) : NULL;
    if (count && items == NULL)
        return oom(c, n);
    int rc = count ? parse_rtt_list(c, v[1], items, count) : 0;
    if (rc == 0 && s->n_regions > SCN_MAX_REGIONS)
        rc = fail(c, n, "found %u regions, expected at most %u", s->n_regions, SCN_MAX_REGIONS);
    size_t w = (size_t)s->n_regions + 1;
    if (rc == 0) {
        s->rtt.ns = malloc(w * w * sizeof *s->rtt.ns);
        if (s->rtt.ns == NULL)
            rc = oom(c, n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < w; i++)
            for (size_t j = 0; j < w; j++)
                s->rtt.ns[i * w + j] = i == j && i > 0 ? 0 : s->rtt.default_ns;
        s->rtt.ns[0] = 0;
        for (size_t k = 0; k < count; k++) {
            s->rtt.ns[items[k].from * w + items[k].to] = items[k].ns;
            s->rtt.ns[items[k].to * w + items[k].from] = items[k].ns;
        }
    }
    free(items);
    return rc;
}

/* One tier of the gateway cache: {capacity, ttl, latency}. */
static int parse_cache_tier(struct ctx *c, const yaml_node_t *n, const char *what,
                            uint32_t *capacity, int64_t *ttl_ns, int64_t *latency_ns)
{
    const yaml_node_t *v[3];
    int64_t cap = 0;
    if (check_map(c, n, what, cache_tier_keys, 3, v))
        return -1;
    if (v[0] == NULL)
        return missing(c, n, what, "capacity", "the number of entries, e.g. 10000 or 1M");
    if (v_count(c, v[0], &cap))
        return -1;
    if (cap < 1 || cap > SCN_CACHE_MAX_ENTRIES)
        return fail(c, v[0], "found capacity %lld, expected 1 to %lld entries", (long long)cap,
                    (long long)SCN_CACHE_MAX_ENTRIES);
    *capacity = (uint32_t)cap;
    if (v[1] && v_duration_ns(c, v[1], ttl_ns))
        return -1;
    if (v[2] && v_duration_ns(c, v[2], latency_ns))
        return -1;
    return 0;
}

/* `cache: {l1, l2, semantic_hit_rate, repeat_rate}`. */
static int parse_cache(struct ctx *c, const yaml_node_t *n, struct scn_cache *ca)
{
    const yaml_node_t *v[CA_N];
    struct gcache_cfg *g = &ca->cfg;
    if (check_map(c, n, "'cache'", cache_keys, CA_N, v))
        return -1;
    memset(g, 0, sizeof *g);
    g->l1_latency_ns = SCN_CACHE_L1_LATENCY_NS;
    g->l2_latency_ns = SCN_CACHE_L2_LATENCY_NS;
    if (v[CA_L1] &&
        parse_cache_tier(c, v[CA_L1], "'l1'", &g->l1_capacity, &g->l1_ttl_ns, &g->l1_latency_ns))
        return -1;
    if (v[CA_L2] &&
        parse_cache_tier(c, v[CA_L2], "'l2'", &g->l2_capacity, &g->l2_ttl_ns, &g->l2_latency_ns))
        return -1;
    if (v[CA_SEMANTIC] && v_fraction(c, v[CA_SEMANTIC], &g->semantic_hit_rate))
        return -1;
    if (v[CA_REPEAT] && v_fraction(c, v[CA_REPEAT], &g->repeat_rate))
        return -1;
    if (v[CA_L1] == NULL && v[CA_L2] == NULL && !(g->semantic_hit_rate > 0))
        return fail(c, n,
                    "found a cache that can never hit, expected at least one of l1, l2, "
                    "semantic_hit_rate (> 0)");
    ca->enabled = true;
    return 0;
}

static void default_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        n = (size_t)(dot - base);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

static int parse_root(struct ctx *c, const yaml_node_t *root, struct scenario *s)
{
    const yaml_node_t *v[K_TOP_N];
    char q[64];
    if (check_map(c, root, "the scenario", top_keys, K_TOP_N, v))
        return -1;

    /* Defaults. */
    default_name(c->path, s->name, sizeof s->name);
    s->seed = 1;
    s->interval_ns = SCN_DEFAULT_INTERVAL_NS;
    route_retry_default(&s->router.retry);
    s->router.attempt_timeout_ns = SCN_DEFAULT_TIMEOUT_NS;
    s->router.queue_timeout_ns = 0;
    s->router.replicas = 1;
    route_health_default(&s->router.health);

    if (v[K_NAME] && v_name(c, v[K_NAME], "a scenario name", false, 1, s->name, sizeof s->name))
        return -1;
    if (v[K_SEED] && v_uint(c, v[K_SEED], UINT64_MAX, &s->seed))
        return -1;
    if (v[K_DURATION] && v_duration_ns(c, v[K_DURATION], &s->duration_ns))
        return -1;
    if (v[K_WARMUP] && v_duration_ns(c, v[K_WARMUP], &s->warmup_ns))
        return -1;
    if (v[K_WARMUP] && s->duration_ns > 0 && s->warmup_ns >= s->duration_ns)
        return fail(c, v[K_WARMUP],
                    "found a warmup of %.9gs, expected less than the duration %.9gs",
                    (double)s->warmup_ns / 1e9, (double)s->duration_ns / 1e9);
    if (v[K_INTERVAL]) {
        if (v_duration_ns(c, v[K_INTERVAL], &s->interval_ns))
            return -1;
        if (s->interval_ns <= 0)
            return fail(c, v[K_INTERVAL], "found %s, expected an interval > 0",
                        scn__quote(scalar_str(v[K_INTERVAL]), q, sizeof q));
    }
    if (v[K_TRAFFIC] == NULL)
        return missing(c, root, "the scenario", "traffic",
                       "a mapping with 'trace' or 'synthetic' (required)");
    if (parse_traffic(c, v[K_TRAFFIC], s))
        return -1;
    if (v[K_BACKENDS] == NULL)
        return missing(c, root, "the scenario", "backends", "a non-empty list (required)");
    if (parse_backends(c, v[K_BACKENDS], s))
        return -1;
    /* Requests that name no model group go to the first backend's group. */
    s->router.default_group = s->backends[0].route.model_group;
    if (v[K_ROUTER]) {
        if (parse_router(c, v[K_ROUTER], &s->router))
            return -1;
    } else {
        char m[1400];
        if (strategy_init(c->reg, &s->router.strategy, SCN_DEFAULT_STRATEGY, SCN_DEFAULT_STRATEGY,
                          m, sizeof m))
            return fail(c, root, "%s", m);
    }
    if (v[K_COMPARE] && parse_compare(c, v[K_COMPARE], s))
        return -1;
    if (v[K_SLO] && parse_slo(c, v[K_SLO], &s->slo))
        return -1;
    if (v[K_CACHE] && parse_cache(c, v[K_CACHE], &s->cache))
        return -1;
    /* Last: the RTT matrix spans every region named anywhere. */
    if (v[K_REGIONS] && parse_regions(c, v[K_REGIONS], s))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------
 * Reading and parsing the file
 * ------------------------------------------------------------------- */

static int read_all(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    char eb[128];
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        if (strerror_r(e, eb, sizeof eb) != 0)
            snprintf(eb, sizeof eb, "error %d", e);
        scn__errf(err, errlen, "%s: found no readable file (%s), expected a scenario file", path,
                  eb);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap);
    int rc = 0;
    while (b != NULL) {
        if (n == cap) {
            if (cap >= SCN_FILE_MAX) {
                scn__errf(err, errlen, "%s: found a file larger than %zu MiB, expected a scenario",
                          path, SCN_FILE_MAX >> 20);
                rc = -1;
                break;
            }
            unsigned char *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f)) {
                int e = errno;
                if (strerror_r(e, eb, sizeof eb) != 0)
                    snprintf(eb, sizeof eb, "error %d", e);
                scn__errf(err, errlen, "%s: found an unreadable file (%s), expected a scenario",
                          path, eb);
                rc = -1;
            }
            break;
        }
    }
    fclose(f);
    if (b == NULL) {
        scn__errf(err, errlen, "%s: found no memory left, expected to read the file", path);
        return -1;
    }
    if (rc != 0) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

static yaml_mark_t mark_at_offset(const unsigned char *buf, size_t len, size_t off)
{
    yaml_mark_t m = {0, 0, 0};
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    m.index = off;
    return m;
}

static int yaml_fail(struct ctx *c, const yaml_parser_t *p, const unsigned char *buf, size_t len)
{
    const char *problem = p->problem ? p->problem : "an error";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        scn__errf(c->err, c->errlen, "%s: found no memory left, expected to parse the YAML",
                  c->path);
        return -1;
    case YAML_READER_ERROR: {
        yaml_mark_t m = mark_at_offset(buf, len, p->problem_offset);
        if (p->problem_value >= 0)
            return fail_at(c, m, "found %s (character 0x%X), expected UTF-8 text", problem,
                           (unsigned)p->problem_value);
        return fail_at(c, m, "found %s, expected UTF-8 text", problem);
    }
    default:
        if (p->context)
            return fail_at(c, p->problem_mark,
                           "found invalid YAML: %s (%s at line %zu, column %zu), expected valid "
                           "YAML syntax",
                           problem, p->context, p->context_mark.line + 1,
                           p->context_mark.column + 1);
        return fail_at(c, p->problem_mark, "found invalid YAML: %s, expected valid YAML syntax",
                       problem);
    }
}

int scn_load(const char *path, struct scenario *out, char *err, size_t errlen)
{
    return scn_load_ex(path, NULL, out, err, errlen);
}

int scn_load_ex(const char *path, const struct route_registry *reg, struct scenario *out, char *err,
                size_t errlen)
{
    char local[256];
    if (err == NULL || errlen == 0) {
        err = local;
        errlen = sizeof local;
    }
    err[0] = '\0';
    if (out == NULL) {
        scn__errf(err, errlen, "%s: no scenario to fill", path ? path : "(null)");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (path == NULL || path[0] == '\0') {
        scn__errf(err, errlen, "(none): found no scenario path, expected a file name");
        return -1;
    }
    size_t pl = strlen(path);
    if (pl >= sizeof out->path) {
        scn__errf(err, errlen, "found a path of %zu bytes, expected at most %zu", pl,
                  sizeof out->path - 1);
        return -1;
    }
    memcpy(out->path, path, pl + 1);

    unsigned char *buf = NULL;
    size_t len = 0;
    if (read_all(path, &buf, &len, err, errlen) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    struct ctx c = {
        .path = out->path, .doc = NULL, .err = err, .errlen = errlen, .reg = reg, .s = out};
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = -1;
    if (!yaml_parser_initialize(&parser)) {
        scn__errf(err, errlen, "%s: found no memory left, expected to parse the YAML", path);
        free(buf);
        memset(out, 0, sizeof *out);
        return -1;
    }
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_fail(&c, &parser, buf, len);
    } else {
        c.doc = &doc;
        const yaml_node_t *root = yaml_document_get_root_node(&doc);
        yaml_document_t next;
        if (root == NULL) {
            rc = fail_at(&c, doc.start_mark,
                         "found an empty document, expected a mapping with at least 'traffic' "
                         "and 'backends'");
        } else if (!yaml_parser_load(&parser, &next)) {
            rc = yaml_fail(&c, &parser, buf, len);
        } else {
            const yaml_node_t *second = yaml_document_get_root_node(&next);
            if (second != NULL)
                rc = fail(&c, second,
                          "found a second YAML document, expected one scenario per "
                          "file");
            else
                rc = parse_root(&c, root, out);
            yaml_document_delete(&next);
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    free(buf);
    if (rc != 0) {
        if (err[0] == '\0')
            scn__errf(err, errlen, "%s: found an invalid scenario, expected a valid one", path);
        scn_free(out);
        return -1;
    }
    return 0;
}

int scn_strategy_by_name(const char *name, struct scn_strategy *out, char *err, size_t errlen)
{
    return scn_strategy_by_name_ex(NULL, name, out, err, errlen);
}

int scn_strategy_by_name_ex(const struct route_registry *reg, const char *name,
                            struct scn_strategy *out, char *err, size_t errlen)
{
    char m[1400];
    if (name == NULL || out == NULL) {
        scn__errf(err, errlen, "found no strategy name, expected one");
        return -1;
    }
    if (strategy_init(reg, out, name, name, m, sizeof m) != 0) {
        memset(out, 0, sizeof *out);
        scn__errf(err, errlen, "%s", m);
        return -1;
    }
    return 0;
}

static void free_source(struct trace_cfg *t, struct scn_source *st)
{
    dist_fini(&t->synth.input_tokens);
    dist_fini(&t->synth.output_tokens);
    dist_fini(&t->synth.turns);
    dist_fini(&t->synth.think_s);
    free(st->table_t_ns);
    free(st->table_rate);
}

void scn_free(struct scenario *s)
{
    if (s == NULL)
        return;
    if (s->backends != NULL) {
        for (uint32_t i = 0; i < s->n_backends; i++) {
            struct scn_backend *b = &s->backends[i];
            dist_fini(&b->api.ttft_s);
            dist_fini(&b->api.output_tps);
            free(b->outages);
            free(b->brownouts);
            free(b->storms);
        }
        free(s->backends);
    }
    for (uint32_t i = 0; s->pools != NULL && i < s->n_pools; i++)
        free(s->pools[i].spot.schedule);
    free(s->pools);
    free(s->rtt.ns);
    free(s->compare);
    free_source(&s->traffic, &s->traffic_store);
    for (uint32_t i = 0; i < s->n_sources; i++)
        free_source(&s->sources[i], &s->source_store[i]);
    free(s->sources);
    free(s->source_store);
    own_free(s->owned);
    free(s->groups);
    free(s->regions);
    free(s->tags);
    memset(s, 0, sizeof *s);
}

struct trace_src *scn_open_traffic(const struct scenario *s, uint64_t seed, char *err,
                                   size_t errlen)
{
    if (s->n_sources > 0)
        return trace_open_merge(s->sources, s->n_sources, seed, err, errlen);
    return trace_open(&s->traffic, seed, err, errlen);
}
