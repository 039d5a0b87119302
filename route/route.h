/*
 * route.h - lbsim's production routing library (prefix route_): the
 * gateway API.  The strategy-author interface (ops table, backend view,
 * node helpers, plugin symbol, ABI versioning) is route_strategy.h.
 *
 * This is the code a gateway runs to decide which backend (provider
 * account, GPU pool) serves a request.  The simulator links it with a
 * virtual clock; a production gateway links it with the wall clock.  It
 * depends on libc only: no clock reads, no global random state, no
 * printing, nothing from sim/ (docs/DESIGN.md, "The routing contract").
 *
 * Objects and lifecycles
 *   struct route_ops       one static const table per strategy (pick and
 *                          optional hooks; route_strategy.h), listed in
 *                          registry.c
 *   struct route_router    one per gateway instance: the backend view
 *                          (configuration + live counters), the strategy
 *                          state, and the lifecycle calls the gateway makes
 *                          for every attempt (pick, dispatch, first token,
 *                          complete).
 *   struct route_retry     the retry/backoff policy: a value type.
 *
 * Environment is injected through struct route_env: `now_ns` (monotonic
 * nanoseconds) and a caller-owned random source.  Given the same calls with
 * the same env values a router makes the same decisions.
 *
 * Errors: constructors return NULL and write a message into a caller buffer
 * (err, errlen).  Nothing here allocates on the per-request path.
 *
 * Thread-safety: a router is not shared between threads; distinct routers
 * are independent.  The registry is immutable.
 */
#ifndef LBSIM_ROUTE_H
#define LBSIM_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pick() results besides a backend index. */
#define ROUTE_NONE (-1) /* nothing usable: the gateway answers 429 */
#define ROUTE_FULL (-2) /* all usable backends saturated: queue the request */

/* Upper bound on backends per router; sizes the exclude bitset.  512 is the
 * largest fleet in bench/ (issue "route/ complete", 8/64/512 backends). */
#define ROUTE_MAX_BACKENDS     1024u
#define ROUTE_EXCLUDE_WORDS(n) (((n) + 63u) / 64u)

/* ---------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------- */

/* A random source: returns 64 uniformly distributed bits. */
typedef uint64_t (*route_rand_fn)(void *ctx);

struct route_env {
    int64_t now_ns;     /* current time, monotonic nanoseconds */
    route_rand_fn rand; /* caller's random source (never NULL) */
    void *rand_ctx;     /* passed to rand */
};

/* Unbiased integer in [0, n) from env->rand (Lemire's multiply-shift with
 * rejection; never `%`).  n must be > 0. */
uint32_t route_rand_below(const struct route_env *env, uint32_t n);

/* Uniform double in [0, 1) with 53 random bits. */
double route_rand_unit(const struct route_env *env);

/* ---------------------------------------------------------------------
 * Requests, backends, outcomes
 * ------------------------------------------------------------------- */

/* What a strategy may read of a request.  Strings are interned to small
 * integers by the caller (0 = unset). */
struct route_req {
    uint64_t id;           /* unique per client request */
    int64_t input_tokens;  /* prompt tokens */
    int64_t max_tokens;    /* output budget charged at admission */
    int64_t output_tokens; /* expected output (trace value; may equal max) */
    uint64_t session;      /* session key, 0 = none */
    uint32_t model_group;  /* interned model group, 0 = default */
    uint32_t priority;     /* 0 = default; lower is more urgent */
    uint32_t task;         /* interned task label */
    uint32_t tenant;       /* interned tenant */
    uint32_t region;       /* interned region */
    uint32_t attempt;      /* 0 for the first attempt */
    /* ABI 2 */
    const uint64_t *blocks; /* prefix block hashes (e.g. 512-token blocks), may be NULL */
    uint32_t n_blocks;
    uint32_t fallback_depth; /* 0 on the request's own model group */
};

/* Static configuration of one backend as the router sees it. */
struct route_backend_cfg {
    const char *name;       /* not copied: must outlive the router */
    uint32_t weight;        /* relative weight; 0 = never by weight */
    int32_t tier;           /* order/priority tier, lower first */
    double price_input;     /* USD per input token */
    double price_cached;    /* USD per cached input token */
    double price_output;    /* USD per output token */
    int64_t rpm_limit;      /* requests per minute, 0 = unlimited */
    int64_t tpm_limit;      /* tokens per minute, 0 = unlimited */
    int32_t max_inflight;   /* router-side concurrency cap, 0 = none */
    uint32_t region;        /* interned region, 0 = any */
    uint64_t tags;          /* tag bitset */
    int64_t context_window; /* tokens, 0 = unknown */
    /* ABI 2 */
    uint32_t model_group; /* interned group it serves, 0 = default */
    uint32_t kind;        /* enum route_backend_kind */
    uint32_t size_class;  /* model_tier: 0 = the small model, higher = larger */
    double budget_usd;    /* spend cap per budget window, 0 = none */
    int64_t budget_window_ns;
};

enum route_backend_kind {
    ROUTE_KIND_API = 0,  /* a hosted provider account */
    ROUTE_KIND_POOL = 1, /* a self-hosted GPU pool */
    ROUTE_KIND_TOOL = 2, /* a deterministic tool that answers some tasks */
};

/* Health as seen by the router.  Only HEALTHY backends are offered to a
 * strategy; route_router_set_health() is how a gateway marks a backend down
 * (failed health check, operator drain). */
enum route_health {
    ROUTE_HEALTHY = 0,
    ROUTE_DOWN = 1,      /* marked down by the gateway (health check, drain) */
    ROUTE_COOLDOWN = 2,  /* LiteLLM-style cooldown until cooldown_until_ns */
    ROUTE_OPEN = 3,      /* circuit breaker open */
    ROUTE_HALF_OPEN = 4, /* breaker half-open: probes allowed (usable) */
    ROUTE_EJECTED = 5,   /* passive outlier ejection (Envoy) */
};

/* Outcome classes passed to on_complete and to the retry policy. */
enum route_status {
    ROUTE_OK = 0,
    ROUTE_RATE_LIMITED = 1, /* HTTP 429 */
    ROUTE_SERVER_ERROR = 2, /* HTTP 5xx */
    ROUTE_TIMEOUT = 3,      /* no first token within the attempt timeout */
    ROUTE_CLIENT_ERROR = 4, /* HTTP 4xx other than 429 (not retried) */
    ROUTE_CANCELLED = 5,    /* abandoned by the gateway */
    ROUTE_STATUS_COUNT_ = 6
};

/* What a failure means for fallbacks (LiteLLM: context_window_fallbacks,
 * content_policy_fallbacks, fallbacks for everything else). */
enum route_error_class {
    ROUTE_EC_GENERIC = 0,
    ROUTE_EC_CONTEXT_WINDOW = 1,
    ROUTE_EC_CONTENT_POLICY = 2,
    ROUTE_EC_COUNT_ = 3
};

/* LiteLLM's exception types (litellm/exceptions.py), as its exception
 * mapping makes them from an HTTP status and an error class (route_loop.h,
 * route_llm_exc_of).  The retry loop (route_loop.h) and the cooldown
 * policy below select their counts by them (docs/notes/litellm-replay.md
 * §2.3, §2.4). */
enum route_llm_exc {
    ROUTE_LLM_EXC_BAD_REQUEST = 0,     /* 400 BadRequestError */
    ROUTE_LLM_EXC_CONTEXT_WINDOW,      /* 400 + context window: a BadRequestError subclass */
    ROUTE_LLM_EXC_CONTENT_POLICY,      /* 400 + content policy: a BadRequestError subclass */
    ROUTE_LLM_EXC_AUTHENTICATION,      /* 401 */
    ROUTE_LLM_EXC_PERMISSION_DENIED,   /* 403 */
    ROUTE_LLM_EXC_NOT_FOUND,           /* 404 */
    ROUTE_LLM_EXC_TIMEOUT,             /* 408, 504 and attempt timeouts: litellm.Timeout */
    ROUTE_LLM_EXC_UNPROCESSABLE,       /* 422 UnprocessableEntityError */
    ROUTE_LLM_EXC_RATE_LIMIT,          /* 429 */
    ROUTE_LLM_EXC_INTERNAL_SERVER,     /* 500 */
    ROUTE_LLM_EXC_BAD_GATEWAY,         /* 502 */
    ROUTE_LLM_EXC_SERVICE_UNAVAILABLE, /* 503 */
    ROUTE_LLM_EXC_API_ERROR,           /* any other status (409, 413, 529, ...): APIError */
    ROUTE_LLM_EXC_NO_DEPLOYMENTS,      /* "No deployments available": RouterRateLimitError,
                                          a ValueError with no status code */
    ROUTE_LLM_EXC_COUNT_
};

/* The keys of LiteLLM's RetryPolicy and AllowedFailsPolicy, without their
 * suffix ("RateLimitError" + "Retries" / "AllowedFails"); DEFAULT is
 * RetryPolicy's DefaultRetries only. */
enum route_llm_pol {
    ROUTE_LLM_POL_BAD_REQUEST = 0,
    ROUTE_LLM_POL_AUTHENTICATION,
    ROUTE_LLM_POL_TIMEOUT,
    ROUTE_LLM_POL_RATE_LIMIT,
    ROUTE_LLM_POL_CONTENT_POLICY,
    ROUTE_LLM_POL_INTERNAL_SERVER,
    ROUTE_LLM_POL_SERVICE_UNAVAILABLE,
    ROUTE_LLM_POL_BAD_GATEWAY,
    ROUTE_LLM_POL_NOT_FOUND,
    ROUTE_LLM_POL_DEFAULT,
    ROUTE_LLM_POL_COUNT_
};

struct route_outcome {
    enum route_error_class error_class; /* ABI 2; GENERIC for successes */
    enum route_status status;
    int http_status;    /* e.g. 200, 429, 503, 408 */
    int64_t latency_ns; /* dispatch to completion/failure */
    int64_t ttft_ns;    /* dispatch to first token, -1 = none */
    int64_t input_tokens;
    int64_t output_tokens;  /* tokens actually produced */
    int64_t retry_after_ns; /* provider Retry-After, -1 = absent */
};

/* ---------------------------------------------------------------------
 * Strategies
 * ------------------------------------------------------------------- */

/* A strategy is a struct route_ops table (route_strategy.h, the
 * strategy-author interface); an instantiated one is a struct route_node.
 * The gateway names, lists and configures them through the calls below. */
struct route_ops;
struct route_node;

/* Parameters per strategy (route_spec.params, route_ops.n_params). */
#define ROUTE_MAX_PARAMS 16u

/* The built-in strategies, in documentation order. */
uint32_t route_registry_count(void);
const struct route_ops *route_registry_at(uint32_t i);
/* Look a strategy up by name; NULL if unknown. */
const struct route_ops *route_registry_find(const char *name);

/* Validate an ops table (from the registry or a plugin): ABI major, minor
 * and table size (route_strategy.h, "Versioning"), name, mandatory
 * callbacks, params.  0 or negative with a message. */
int route_ops_check(const struct route_ops *ops, char *err, size_t errlen);

/* Index of parameter `name` in ops->params, or -1. */
int route_param_index(const struct route_ops *ops, const char *name);

/* Plugins and other strategies outside the built-in registry: a registry
 * is the built-ins plus `extra` (looked up first), e.g. the tables a
 * plugin exported.  Third-party strategies go through route_ops_check. */
struct route_registry {
    const struct route_ops *const *extra;
    uint32_t n_extra;
};
const struct route_ops *route_registry_lookup(const struct route_registry *reg, const char *name);

/* ---------------------------------------------------------------------
 * Composition: a tree of strategy nodes
 * ------------------------------------------------------------------- */

/*
 * A node is an instantiated strategy.  Wrappers (filters, ordered_priority,
 * sticky, model_tier) and groups (fallback, loadbalance) have children and
 * delegate to them with a narrowed exclude set; a child may be limited to a
 * subset of the backends.  Portkey's recursive targets, LiteLLM's order and
 * filters, and GIE's filter -> scorer -> picker chains all map onto it.
 */
struct route_spec {
    const struct route_ops *ops;
    double params[ROUTE_MAX_PARAMS]; /* all filled (defaults included) */
    const struct route_spec *children;
    uint32_t n_children;
    const uint64_t *backends; /* bitset of the backends this node may pick, NULL = all */
    double weight;            /* for a parent that weighs its children (loadbalance) */
};

/* ---------------------------------------------------------------------
 * Health: cooldowns, circuit breaker, outlier ejection
 * ------------------------------------------------------------------- */

struct route_health_cfg {
    /* LiteLLM cooldowns (router_utils/cooldown_handlers.py, v1.x): eligible
     * statuses 429, 408 (timeouts), 5xx, 401/404; not other 4xx. */
    bool cooldown;
    int64_t cooldown_ns;        /* 5 s (DEFAULT_COOLDOWN_TIME_SECONDS) */
    uint32_t allowed_fails;     /* > 0: v1, cool after more fails than this within
                                   cooldown_ns; 0: the v2 rules below */
    bool cooldown_429_multi;    /* v2: a 429 in a group of > 1 deployments cools at once */
    double fail_ratio;          /* v2: more than this share failed this minute (0.5) */
    uint32_t fail_min_requests; /* v2: ... with at least this many requests (5) */
    bool retry_after_duration;  /* cool for the provider's Retry-After when given */
    /* Circuit breaker (SGLang gateway: 10 consecutive, 60 s, 3 probes;
     * Portkey: count or percentage with minimum_requests, >= 30 s). */
    bool breaker;
    uint32_t breaker_consecutive;  /* open after this many failures in a row, 0 off */
    double breaker_fail_rate;      /* open above this failure share, 0 off */
    uint32_t breaker_min_requests; /* ... over at least this many in the window */
    int64_t breaker_window_ns;     /* window of the failure rate */
    int64_t breaker_open_ns;       /* open this long, then half-open */
    uint32_t breaker_probes;       /* half-open: successes needed to close */
    double breaker_exploration;    /* chance an open backend is offered anyway */
    bool breaker_bypass_all_open;  /* Portkey: all open -> ignore the breaker */
    /* Passive outlier ejection (Envoy outlier_detection). */
    bool outlier;
    uint32_t outlier_consecutive_5xx; /* 5 */
    int64_t outlier_base_ejection_ns; /* 30 s, times the number of ejections so far */
    double outlier_max_ejection;      /* at most this share ejected at once (0.1) */
    /* LiteLLM 2026 cooldown details (issue 13; all off when zeroed, so the
     * rules above are unchanged; docs/notes/litellm-replay.md §2.3):
     *  - litellm_cooldown: the v1 counter's window is fixed from its first
     *    failure (LiteLLM's TTL is set only at the first write), not
     *    refreshed by each failure; a Retry-After of 0 disables the
     *    cooldown (time_to_cooldown ~ 0 in _should_run_cooldown_logic);
     *  - allowed_fails_policy: v1 allowed fails per exception type (bit p
     *    of allowed_fails_set: entry p given; DEFAULT is not a key of it).
     *    Any entry selects the v1 rules; a type with no entry allows
     *    allowed_fails, else LiteLLM's litellm.allowed_fails = 3. */
    bool litellm_cooldown;
    uint32_t allowed_fails_set;
    uint32_t allowed_fails_policy[ROUTE_LLM_POL_COUNT_];
};

/* Per-backend health settings a backend configuration cannot carry
 * (struct route_backend_cfg is frozen within an ABI major).  LiteLLM's
 * deployment cooldown_time (litellm_params or model_info): it beats the
 * provider's Retry-After and the router's time (docs/notes/litellm-replay.md
 * §2.3 "Duration"). */
struct route_backend_health {
    int64_t cooldown_ns; /* < 0: unset (Retry-After, else cooldown_ns); 0: never cools;
                            > 0: cools this long */
};

/* The defaults above, with all three mechanisms off. */
void route_health_default(struct route_health_cfg *h);

/* Counters a router keeps (for the summary JSON). */
struct route_stats {
    uint64_t cooldowns;  /* times a backend entered cooldown */
    int64_t cooldown_ns; /* total cooldown time started */
    uint64_t breaker_opens;
    uint64_t ejections;
    uint64_t escalations;     /* model_tier: requests sent past the first tier */
    uint64_t tiered_requests; /* model_tier: requests it routed */
    uint64_t spillovers;      /* ordered_priority: picks outside the first tier */
};

/* Exclude-set helpers. */
static inline bool route_excluded(const uint64_t *ex, uint32_t i)
{
    return ex != NULL && ((ex[i >> 6] >> (i & 63u)) & 1u) != 0;
}
static inline void route_exclude_set(uint64_t *ex, uint32_t i)
{
    ex[i >> 6] |= (uint64_t)1 << (i & 63u);
}

/* ---------------------------------------------------------------------
 * Router: the view + a strategy instance + lifecycle calls
 * ------------------------------------------------------------------- */

struct route_router;

/*
 * Create a router over n backends (1..ROUTE_MAX_BACKENDS).  `cfgs` is
 * copied (names are not).  `params` has ops->n_params values (NULL: the
 * defaults).  Returns NULL and a message on failure.
 */
struct route_router *route_router_create(const struct route_ops *ops, const double *params,
                                         const struct route_backend_cfg *cfgs, uint32_t n,
                                         char *err, size_t errlen);

/*
 * The general form: a tree of nodes, health rules (NULL: none) and a signal
 * staleness (0: strategies see live counters; > 0: the view's live counters
 * and backend-reported signals are republished at most this often,
 * modelling metrics scraped at an interval).
 */
struct route_router *route_router_create_spec(const struct route_spec *root,
                                              const struct route_backend_cfg *cfgs, uint32_t n,
                                              const struct route_health_cfg *health,
                                              int64_t staleness_ns, char *err, size_t errlen);

/* Backend-reported signals (queue depth, free KV share), e.g. scraped from
 * an engine's metrics endpoint. */
void route_router_set_signals(struct route_router *r, uint32_t backend, int64_t queue_depth,
                              double kv_free, int64_t now_ns);

/* The engine-fed signals (ROUTE_READS_* of route_strategy.h) some node of
 * the router reads: the OR of its nodes' route_ops.reads (a wrapper's or
 * group's own and its children's).  ROUTE_READS_ALL when a node's table
 * predates the field (ABI 3.0), or has an on_first_token hook without
 * declaring ROUTE_READS_TTFT (its hook observes the host's first-token
 * calls: a table that says otherwise is not trusted), and when a node
 * keeps an index fed by the router's journal of view changes (built-in
 * strategies over >= 32 backends: the journal records signal updates
 * too, and when to rebuild such an index, which orders random ties,
 * depends on how many it met).  A host may skip
 * producing a signal this lacks: route_router_set_signals without
 * ROUTE_READS_KV | ROUTE_READS_QUEUE | ROUTE_READS_SIGNAL_TIME, the
 * first-token call without ROUTE_READS_TTFT; no pick changes.  Fixed at
 * creation; 0 for a NULL router. */
uint32_t route_router_reads(const struct route_router *r);

/* Cost billed to a backend (budget filters). */
void route_router_add_cost(struct route_router *r, uint32_t backend, double usd, int64_t now_ns);

const struct route_stats *route_router_stats(const struct route_router *r);

void route_router_destroy(struct route_router *r);

const struct route_view *route_router_view(const struct route_router *r);
const struct route_ops *route_router_ops(const struct route_router *r);

/* Set backend `backend`'s own health settings (before or between picks;
 * the default is every field unset).  0, or -1 for an index out of range
 * or a NULL argument. */
int route_router_set_backend_health(struct route_router *r, uint32_t backend,
                                    const struct route_backend_health *bh);

/* Mark a backend healthy or down (health checks, drains). */
void route_router_set_health(struct route_router *r, uint32_t backend, enum route_health h);

/* Choose a backend for `req`.  Rolls the usage windows to env->now_ns, then
 * asks the strategy.  The result is a usable index, ROUTE_NONE or
 * ROUTE_FULL; a strategy answer that violates the contract (excluded,
 * unhealthy or out-of-range index) is turned into ROUTE_NONE. */
int32_t route_router_pick(struct route_router *r, const struct route_req *req,
                          const struct route_env *env, const uint64_t *exclude);

/* The gateway sent an attempt of `req` to `backend`: counts it in flight
 * and charges input + max_tokens to the usage window (what OpenAI charges
 * at admission), then calls on_dispatch. */
void route_router_dispatch(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_env *env);

/* The first token of that attempt arrived, ttft_ns after dispatch. */
void route_router_first_token(struct route_router *r, uint32_t backend, const struct route_req *req,
                              int64_t ttft_ns, const struct route_env *env);

/* The attempt ended (success, failure or cancellation). */
void route_router_complete(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_outcome *out, const struct route_env *env);

/* ---------------------------------------------------------------------
 * Retry policy
 * ------------------------------------------------------------------- */

/*
 * When and how long to wait before another attempt.  The default matches
 * the OpenAI SDK / LiteLLM `_calculate_retry_after` algorithm:
 * min(base * multiplier^n, max) scaled by U[1 - jitter, 1], floored at the
 * provider's Retry-After when it is honoured (capped at retry_after_cap).
 * Source: docs/notes/routers.md §2.1.5 (LiteLLM router.py,
 * _time_to_sleep_before_retry), §5 (retry knobs of Portkey, SGLang, Envoy).
 */
/* Backoff formulas of real routers (docs/notes/routers.md §5). */
enum route_backoff {
    ROUTE_BACKOFF_LITELLM = 0, /* min(0.5 s 2^n, 8 s) x U[0.75, 1]; 0 if another deployment is
                                  healthy; Retry-After if 0 < x <= 60 s (router.py) */
    ROUTE_BACKOFF_PORTKEY = 1, /* 1 s x 2^n, no jitter; Retry-After on 429 only, cumulative
                                  wait capped at 60 s (retryHandler.ts) */
    ROUTE_BACKOFF_SGLANG = 2,  /* 50 ms x 1.5^n <= 30 s, +-20% (sgl-model-gateway retry) */
    ROUTE_BACKOFF_CUSTOM = 3,  /* the fields of struct route_retry as given */
};

struct route_retry {
    enum route_backoff preset; /* ABI 2: documentation of where the fields came from */
    uint32_t max_attempts_class[ROUTE_STATUS_COUNT_]; /* ABI 2: per status, 0 = max_attempts */
    int64_t retry_after_budget_ns; /* ABI 2: cap on the total Retry-After wait, 0 = none */
    uint32_t max_attempts;         /* total attempts per request, >= 1 */
    int64_t backoff_base_ns;       /* first backoff */
    int64_t backoff_max_ns;        /* cap on the exponential term */
    double multiplier;             /* growth per retry, >= 1 */
    double jitter;                 /* fraction in [0, 1]: scale by U[1-j, 1] */
    bool honor_retry_after;        /* wait at least the provider's Retry-After */
    int64_t retry_after_cap_ns;    /* ignore Retry-After values above this */
    bool reroute_immediately;      /* no backoff if another backend is untried */
    uint32_t retry_on;             /* bitset of 1u << enum route_status */
};

/* OpenAI SDK defaults as LiteLLM uses them: 3 attempts, 0.5 s base, 8 s
 * cap, x2, jitter 0.25 (U[0.75, 1]), Retry-After honoured up to 60 s,
 * retry on 429, 5xx and timeouts. */
void route_retry_default(struct route_retry *p);

/* A named preset: LiteLLM (= the default), Portkey (5 retries = 6 attempts, 1 s x 2^n,
 * codes 429/5xx/timeouts, Retry-After on 429 within a 60 s total), SGLang
 * (5 attempts, 50 ms x 1.5^n <= 30 s, +-20%, 408/429/5xx). */
void route_retry_preset(struct route_retry *p, enum route_backoff preset);

/* Whether attempt number `attempts_done` (1 = the first one just failed)
 * with `status` may be followed by another. */
bool route_retry_should(const struct route_retry *p, uint32_t attempts_done,
                        enum route_status status);

/*
 * Backoff before the next attempt, in ns.  `attempts_done` >= 1;
 * `retry_after_ns` < 0 when absent; `u01` a uniform draw in [0, 1) for the
 * jitter; `untried_left` whether some healthy backend has not been tried
 * (then reroute_immediately makes the delay 0, as LiteLLM does with more
 * than one healthy deployment).  Returns -1 when the policy gives up instead
 * (Portkey: a Retry-After >= retry_after_cap_ns or beyond the remaining
 * retry_after_budget_ns); never with the LiteLLM defaults.  The jitter is
 * U[1-j, 1], except the SGLang preset's 1 + U[-j, j].  This form treats a
 * Retry-After as a 429's, with nothing waited yet: route_retry_delay_ex.
 */
int64_t route_retry_delay(const struct route_retry *p, uint32_t attempts_done,
                          int64_t retry_after_ns, double u01, bool untried_left);

/* ABI 2: the same with the failed attempt's `status` (Portkey honours
 * Retry-After on 429 only) and `waited_ns`, the Retry-After waits this
 * request has already spent (retry_after_budget_ns). */
int64_t route_retry_delay_ex(const struct route_retry *p, uint32_t attempts_done,
                             enum route_status status, int64_t retry_after_ns, int64_t waited_ns,
                             double u01, bool untried_left);

/* Whether another attempt may follow, counting the per-status caps too:
 * `attempts_of_status` attempts have failed with `status` so far. */
bool route_retry_should_class(const struct route_retry *p, uint32_t attempts_done,
                              uint32_t attempts_of_status, enum route_status status);

/* ---------------------------------------------------------------------
 * Fallbacks (LiteLLM fallbacks / context_window_fallbacks /
 * content_policy_fallbacks; Portkey fallback targets)
 * ------------------------------------------------------------------- */

#define ROUTE_FALLBACK_ANY         UINT32_MAX /* a rule for every group ("*") */
#define ROUTE_FALLBACK_MAX_TARGETS 8u

struct route_fallback_rule {
    uint32_t from_group; /* model group, or ROUTE_FALLBACK_ANY */
    enum route_error_class cls;
    uint32_t to[ROUTE_FALLBACK_MAX_TARGETS]; /* groups tried in order */
    uint32_t n_to;
};

struct route_fallbacks {
    const struct route_fallback_rule *rules;
    uint32_t n_rules;
    uint32_t max_depth; /* fallbacks per request; LiteLLM max_fallbacks = 5 */
};

/* The k-th fallback group (k = 0, 1, ...) for a request of group `origin`
 * whose attempts failed with `cls`, or -1 when there is none (or k >=
 * max_depth).  A rule naming the group wins over a ROUTE_FALLBACK_ANY rule;
 * a context-window or content-policy failure with no rule of its class uses
 * the generic rules, as LiteLLM does. */
int64_t route_fallback_target(const struct route_fallbacks *f, uint32_t origin,
                              enum route_error_class cls, uint32_t k);

/* A gateway reads strategy tables too (lists them, checks scenario
 * parameters against ops->params), so the complete struct route_ops comes
 * with this header.  Strategy authors include route_strategy.h. */
#include "route_strategy.h"

#endif /* LBSIM_ROUTE_H */
