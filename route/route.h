/*
 * route.h - lbsim's production routing library (prefix route_).
 *
 * This is the code a gateway runs to decide which backend (provider
 * account, GPU pool) serves a request.  The simulator links it with a
 * virtual clock; a production gateway links it with the wall clock.  It
 * depends on libc only: no clock reads, no global random state, no
 * printing, nothing from sim/ (DESIGN.md, "The routing contract").
 *
 * Objects and lifecycles
 *   struct route_ops       one static const table per strategy (pick and
 *                          optional hooks), registered in route_registry.c
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

/* ABI version of struct route_ops and the types it passes.  Append-only
 * (SQLite sqlite3_vfs iVersion style): a plugin built against a different
 * version is refused by route_ops_check(). */
#define ROUTE_ABI_VERSION 1u

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
};

/* Health as seen by the router.  Only HEALTHY backends are offered to a
 * strategy; route_router_set_health() is how a gateway marks a backend down
 * (failed health check, operator drain). */
enum route_health {
    ROUTE_HEALTHY = 0,
    ROUTE_DOWN = 1,
};

/* Rolling 60 s usage window, one-second buckets (sliding, the way
 * providers meter, not LiteLLM's fixed wall-clock minute). */
#define ROUTE_WINDOW_SLOTS   60u
#define ROUTE_WINDOW_SLOT_NS 1000000000LL

struct route_window {
    int64_t slot_start_ns;           /* start time of newest slot */
    uint32_t head;                   /* index of newest slot */
    int64_t req[ROUTE_WINDOW_SLOTS]; /* requests per slot */
    int64_t tok[ROUTE_WINDOW_SLOTS]; /* tokens per slot */
    int64_t req_sum, tok_sum;        /* sums over the window */
};

/* One backend in the read-only view a strategy gets: configuration plus the
 * live counters the router maintains from the lifecycle calls. */
struct route_backend {
    struct route_backend_cfg cfg;
    enum route_health health;
    int32_t inflight;        /* attempts dispatched, not completed */
    int64_t inflight_tokens; /* input + max_tokens of those attempts */
    int64_t rpm_used;        /* requests dispatched in the last 60 s */
    int64_t tpm_used;        /* input + max_tokens dispatched, last 60 s */
    int64_t ttft_ewma_ns;    /* EWMA of observed TTFT, 0 = no sample */
    uint64_t ttft_samples;   /* number of TTFT observations */
    uint64_t dispatched;     /* lifetime attempts */
    struct route_window win; /* backing store of rpm_used / tpm_used */
};

struct route_view {
    const struct route_backend *b;
    uint32_t n;
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

struct route_outcome {
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

/* What a strategy reads, so the caller computes expensive inputs only when
 * some strategy needs them (HAProxy BE_LB_NEED_* style). */
enum route_need {
    ROUTE_NEED_TOKENS = 1u << 0,
    ROUTE_NEED_PRICES = 1u << 1,
    ROUTE_NEED_LIMITS = 1u << 2,
    ROUTE_NEED_LATENCY = 1u << 3,
    ROUTE_NEED_WEIGHTS = 1u << 4,
    ROUTE_NEED_INFLIGHT = 1u << 5,
};

/* A numeric strategy parameter, documented by `lbsim strategies`. */
struct route_param {
    const char *name;
    double def;       /* default value */
    double min, max;  /* accepted range, inclusive */
    const char *unit; /* "", "s", "ratio", ... for documentation */
    const char *doc;
};

#define ROUTE_MAX_PARAMS 8u

/*
 * A strategy.  One static const instance per strategy, designated
 * initializers.  Contract:
 *  - create: allocate private state for n backends with the given params
 *    (params[i] matches ops->params[i]; all present, defaults filled).
 *    Returns 0 and sets *state (may be NULL for stateless strategies), or
 *    a negative value and a message in err.
 *  - pick: return an index < view->n that is HEALTHY and not set in
 *    `exclude` (a bitset of ROUTE_EXCLUDE_WORDS(n) words), or ROUTE_NONE /
 *    ROUTE_FULL.  Must not keep pointers into view.  O(n) at worst.
 *  - hooks (may be NULL): observe the attempt life cycle to maintain
 *    private signals.  The router has already updated the live counters of
 *    the view when a hook runs.
 */
struct route_ops {
    uint32_t abi_version; /* ROUTE_ABI_VERSION */
    const char *name;     /* unique, [a-z0-9_]+ */
    const char *summary;  /* one line */
    const char *source;   /* paper or router + version reproduced */
    uint32_t needs;       /* enum route_need bits */
    const struct route_param *params;
    uint32_t n_params;
    int (*create)(void **state, const double *params, uint32_t n_backends, char *err,
                  size_t errlen);
    void (*destroy)(void *state);
    int32_t (*pick)(void *state, const struct route_req *req, const struct route_view *view,
                    const struct route_env *env, const uint64_t *exclude);
    void (*on_dispatch)(void *state, uint32_t backend, const struct route_req *req,
                        const struct route_env *env);
    void (*on_first_token)(void *state, uint32_t backend, const struct route_req *req,
                           int64_t ttft_ns, const struct route_env *env);
    void (*on_complete)(void *state, uint32_t backend, const struct route_req *req,
                        const struct route_outcome *out, const struct route_env *env);
};

/* The built-in strategies, in documentation order. */
uint32_t route_registry_count(void);
const struct route_ops *route_registry_at(uint32_t i);
/* Look a strategy up by name; NULL if unknown. */
const struct route_ops *route_registry_find(const char *name);

/* Validate an ops table (from the registry or a plugin): ABI version, name,
 * mandatory callbacks, params.  0 or negative with a message. */
int route_ops_check(const struct route_ops *ops, char *err, size_t errlen);

/* Index of parameter `name` in ops->params, or -1. */
int route_param_index(const struct route_ops *ops, const char *name);

/* Exclude-set helpers. */
static inline bool route_excluded(const uint64_t *ex, uint32_t i)
{
    return ex != NULL && ((ex[i >> 6] >> (i & 63u)) & 1u) != 0;
}
static inline void route_exclude_set(uint64_t *ex, uint32_t i)
{
    ex[i >> 6] |= (uint64_t)1 << (i & 63u);
}

/* True when backend i of the view may be offered: healthy, not excluded. */
static inline bool route_usable(const struct route_view *v, const uint64_t *ex, uint32_t i)
{
    return v->b[i].health == ROUTE_HEALTHY && !route_excluded(ex, i);
}

/* ---------------------------------------------------------------------
 * Router: the view + a strategy instance + lifecycle calls
 * ------------------------------------------------------------------- */

struct route_router;

/* EWMA weight of a new TTFT sample in route_backend.ttft_ewma_ns.
 * 1/8 as in TCP's SRTT estimator (RFC 6298 alpha), a common default for
 * smoothing latency signals in gateways (Envoy's peak-EWMA uses a time
 * constant instead; see route_latency.c for the strategy's own EWMA). */
#define ROUTE_TTFT_EWMA_SHIFT 3

/*
 * Create a router over n backends (1..ROUTE_MAX_BACKENDS).  `cfgs` is
 * copied (names are not).  `params` has ops->n_params values (NULL: the
 * defaults).  Returns NULL and a message on failure.
 */
struct route_router *route_router_create(const struct route_ops *ops, const double *params,
                                         const struct route_backend_cfg *cfgs, uint32_t n,
                                         char *err, size_t errlen);
void route_router_destroy(struct route_router *r);

const struct route_view *route_router_view(const struct route_router *r);
const struct route_ops *route_router_ops(const struct route_router *r);

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

/* Usage-window helpers (exposed for tests and for strategies that keep
 * their own windows). */
void route_window_init(struct route_window *w, int64_t now_ns);
void route_window_advance(struct route_window *w, int64_t now_ns);
void route_window_add(struct route_window *w, int64_t now_ns, int64_t requests, int64_t tokens);

/* ---------------------------------------------------------------------
 * Retry policy
 * ------------------------------------------------------------------- */

/*
 * When and how long to wait before another attempt.  The default matches
 * the OpenAI SDK / LiteLLM `_calculate_retry_after` algorithm:
 * min(base * multiplier^n, max) scaled by U[1 - jitter, 1], floored at the
 * provider's Retry-After when it is honoured (capped at retry_after_cap).
 * Source: reference/routers.md §2.1.5 (LiteLLM router.py,
 * _time_to_sleep_before_retry), §5 (retry knobs of Portkey, SGLang, Envoy).
 */
struct route_retry {
    uint32_t max_attempts;      /* total attempts per request, >= 1 */
    int64_t backoff_base_ns;    /* first backoff */
    int64_t backoff_max_ns;     /* cap on the exponential term */
    double multiplier;          /* growth per retry, >= 1 */
    double jitter;              /* fraction in [0, 1]: scale by U[1-j, 1] */
    bool honor_retry_after;     /* wait at least the provider's Retry-After */
    int64_t retry_after_cap_ns; /* ignore Retry-After values above this */
    bool reroute_immediately;   /* no backoff if another backend is untried */
    uint32_t retry_on;          /* bitset of 1u << enum route_status */
};

/* OpenAI SDK defaults as LiteLLM uses them: 3 attempts, 0.5 s base, 8 s
 * cap, x2, jitter 0.25 (U[0.75, 1]), Retry-After honoured up to 60 s,
 * retry on 429, 5xx and timeouts. */
void route_retry_default(struct route_retry *p);

/* Whether attempt number `attempts_done` (1 = the first one just failed)
 * with `status` may be followed by another. */
bool route_retry_should(const struct route_retry *p, uint32_t attempts_done,
                        enum route_status status);

/*
 * Backoff before the next attempt, in ns.  `attempts_done` >= 1;
 * `retry_after_ns` < 0 when absent; `u01` a uniform draw in [0, 1) for the
 * jitter; `untried_left` whether some healthy backend has not been tried
 * (then reroute_immediately makes the delay 0, as LiteLLM does with more
 * than one healthy deployment).
 */
int64_t route_retry_delay(const struct route_retry *p, uint32_t attempts_done,
                          int64_t retry_after_ns, double u01, bool untried_left);

#endif /* LBSIM_ROUTE_H */
