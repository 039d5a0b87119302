/*
 * route_strategy.h - the strategy-author interface of route/ (prefix route_).
 *
 * What a routing strategy, built in or loaded from a plugin, is written
 * against: the ops table (struct route_ops), its parameters, what create()
 * gets, the read-only backend view pick() reads, the node helpers of
 * wrapper and group strategies, and the plugin symbol.  The gateway side
 * (router lifecycle, health, retries, fallbacks) is route.h, which this
 * header includes.  examples/plugin/README.md is the guide.
 *
 * Versioning (route ABI 3; SQLite sqlite3_vfs iVersion style):
 *  - ROUTE_ABI_VERSION is the major version.  It changes only when a field
 *    is removed, moved or changes type; the host refuses any other major.
 *  - ROUTE_ABI_MINOR counts the appends within a major.  From ABI 3 on,
 *    fields are ONLY EVER APPENDED, at the end of a struct, to the structs
 *    that cross the boundary: route_ops, route_req, route_outcome,
 *    route_env, route_create_args, route_backend, route_param.
 *    route_backend_cfg is the exception: route_backend embeds it first, so
 *    it is frozen within a major (a new per-backend setting is appended to
 *    route_backend, or waits for the next major).  Each append bumps
 *    ROUTE_ABI_MINOR and notes "ABI 3.k" beside the field.  Nothing is
 *    ever inserted before an existing field.
 *  - A table records the minor it was built against (abi_minor) and its own
 *    size (ops_size = sizeof(struct route_ops) as the plugin saw it).  The
 *    host accepts a table of its major with abi_minor <= ROUTE_ABI_MINOR and
 *    ops_size >= ROUTE_OPS_SIZE_3_0.  When a later minor appends a hook, the
 *    host must read it only when ops_size covers it (treating it as NULL
 *    otherwise), so older plugins keep working (3.1's `reads`: a 3.0 table
 *    is read as ROUTE_READS_ALL, route_ops_reads()).
 *    A newer minor is refused: the plugin may read fields this host does
 *    not fill.
 *  - Arrays are walked with their entry size: view entries with
 *    route_view_at() (view->stride), never view->b[i] in a plugin, because
 *    struct route_backend grows when fields are appended.
 */
#ifndef LBSIM_ROUTE_STRATEGY_H
#define LBSIM_ROUTE_STRATEGY_H

#include "route.h"

/* Major and minor route ABI (see the rule above). */
#define ROUTE_ABI_VERSION 3u
#define ROUTE_ABI_MINOR   1u

/* ---------------------------------------------------------------------
 * The read-only backend view
 * ------------------------------------------------------------------- */

/* One backend as a strategy sees it: its configuration and the live
 * counters the router maintains from the lifecycle calls.  The router's own
 * bookkeeping (usage-window rings, timing wheel, dirty sets) is not here. */
struct route_backend {
    struct route_backend_cfg cfg; /* frozen within a major (see above) */
    enum route_health health;
    int32_t inflight;             /* attempts dispatched, not completed */
    int64_t inflight_tokens;      /* input + max_tokens of those attempts */
    int64_t rpm_used;             /* requests dispatched in the last 60 s */
    int64_t tpm_used;             /* input + max_tokens dispatched, last 60 s */
    int64_t ttft_ewma_ns;         /* EWMA of observed TTFT, 0 = no sample */
    uint64_t ttft_samples;        /* number of TTFT observations */
    uint64_t dispatched;          /* lifetime attempts */
    int64_t queue_depth;          /* backend-reported waiting requests, -1 unknown */
    double kv_free;               /* backend-reported free KV share [0,1], -1 unknown */
    int64_t signal_t_ns;          /* when the backend-reported signals were sampled */
    double spent_usd;             /* cost billed in the current budget window */
    int64_t budget_start_ns;      /* start of the current budget window */
    int64_t cooldown_until_ns;    /* end of ROUTE_COOLDOWN / ROUTE_OPEN / ROUTE_EJECTED */
    uint64_t successes, failures; /* lifetime outcomes seen by the router */
};

/* The view pick() gets: n entries of `stride` bytes each (0 means
 * sizeof(struct route_backend), for views a caller builds by hand). */
struct route_view {
    const struct route_backend *b;
    uint32_t n;
    uint32_t stride;
};

/* Entry i of the view, whatever the size of the host's entries. */
static inline const struct route_backend *route_view_at(const struct route_view *v, uint32_t i)
{
    if (v->stride == 0)
        return &v->b[i];
    return (const struct route_backend *)(const void *)((const char *)(const void *)v->b +
                                                        (size_t)i * v->stride);
}

/* True when backend i of the view may be offered: healthy (or half-open,
 * admitting probes) and not excluded. */
static inline bool route_usable(const struct route_view *v, const uint64_t *ex, uint32_t i)
{
    enum route_health h = route_view_at(v, i)->health;
    return (h == ROUTE_HEALTHY || h == ROUTE_HALF_OPEN) && !route_excluded(ex, i);
}

/* EWMA weight of a new TTFT sample in route_backend.ttft_ewma_ns.
 * 1/8 as in TCP's SRTT estimator (RFC 6298 alpha), a common default for
 * smoothing latency signals in gateways (Envoy's peak-EWMA uses a time
 * constant instead; see strategy/lowest_latency.c for the strategy's own
 * EWMA). */
#define ROUTE_TTFT_EWMA_SHIFT 3

/* ---------------------------------------------------------------------
 * The strategy table
 * ------------------------------------------------------------------- */

/* A numeric strategy parameter, documented by `lbsim strategies`. */
struct route_param {
    const char *name;
    double def;       /* default value */
    double min, max;  /* accepted range, inclusive */
    const char *unit; /* "", "s", "ratio", ... for documentation */
    const char *doc;
};

/* What create() gets.  Pointers are valid for the router's lifetime. */
struct route_create_args {
    const double *params; /* ops->n_params values, defaults filled */
    uint32_t n_backends;
    const struct route_backend_cfg *cfgs; /* the n backends' configuration */
    struct route_node *const *children;   /* child nodes (wrappers, groups) */
    const double *child_weights;          /* one per child (groups) */
    uint32_t n_children;
    /* The node being created (route_node_stats, route_node_scratch), or
     * NULL when a caller creates the strategy outside a router (tests).
     * Built-in strategies reach their router's indexes through it. */
    struct route_node *node;
};

/*
 * A strategy.  One static const instance per strategy, designated
 * initializers.  Contract:
 *  - create: allocate private state for n backends with the given params
 *    (params[i] matches ops->params[i]; all present, defaults filled) and
 *    children (n_children within [min_children, max_children]).
 *    Returns 0 and sets *state (may be NULL for stateless strategies), or
 *    a negative value and a message in err.
 *  - pick: return an index < view->n that is usable (route_usable) and not
 *    set in `exclude` (a bitset of ROUTE_EXCLUDE_WORDS(n) words), or
 *    ROUTE_NONE / ROUTE_FULL.  Must not keep pointers into view.  O(n) at
 *    worst.
 *  - hooks (may be NULL): observe the attempt life cycle to maintain
 *    private signals.  The router has already updated the live counters of
 *    the view when a hook runs.
 *  - reads (ABI 3.1): which engine-fed signals of the view the strategy
 *    reads, in pick, its hooks and the helpers they call (ROUTE_READS_*
 *    below).  The host may stop producing a signal no node of a router
 *    reads (route_router_reads), so a missing flag silently changes
 *    results: declare every one read.  0 = none of them (a strategy of
 *    inflight, windows, configuration, health only).  A wrapper or group
 *    declares its own reads only: the router ORs its children's in.
 * Every field below on_complete is ABI 3.1 or later: append only.
 */
struct route_ops {
    uint32_t abi_version; /* ROUTE_ABI_VERSION (major) */
    uint32_t abi_minor;   /* ROUTE_ABI_MINOR the table was built against */
    uint32_t ops_size;    /* sizeof(struct route_ops) as built: ROUTE_OPS_INIT */
    const char *name;     /* unique, [a-z0-9_]+ */
    const char *summary;  /* one line */
    const char *source;   /* paper or router + version reproduced */
    const struct route_param *params;
    uint32_t n_params;
    uint32_t min_children, max_children; /* 0, 0 for a leaf strategy */
    int (*create)(void **state, const struct route_create_args *args, char *err, size_t errlen);
    void (*destroy)(void *state);
    int32_t (*pick)(void *state, const struct route_req *req, const struct route_view *view,
                    const struct route_env *env, const uint64_t *exclude);
    void (*on_dispatch)(void *state, uint32_t backend, const struct route_req *req,
                        const struct route_env *env);
    void (*on_first_token)(void *state, uint32_t backend, const struct route_req *req,
                           int64_t ttft_ns, const struct route_env *env);
    void (*on_complete)(void *state, uint32_t backend, const struct route_req *req,
                        const struct route_outcome *out, const struct route_env *env);
    uint32_t reads; /* ABI 3.1: ROUTE_READS_* the strategy reads (see above) */
};

/* Engine-fed signals a strategy may read (route_ops.reads, ABI 3.1).  The
 * router keeps every other field of the view itself (inflight, windows,
 * spend, health, outcomes), whatever the host does. */
#define ROUTE_READS_TTFT                                                                           \
    0x1u /* ttft_ewma_ns, ttft_samples, or state its on_first_token hook feeds */
#define ROUTE_READS_KV          0x2u /* kv_free (route_router_set_signals) */
#define ROUTE_READS_QUEUE       0x4u /* queue_depth: the backend-reported queue */
#define ROUTE_READS_SIGNAL_TIME 0x8u /* signal_t_ns: when those were sampled */
/* Every signal, those of later minors included: what a 3.0 table reads. */
#define ROUTE_READS_ALL 0xffffffffu

/* The first three fields of every table, for designated initializers:
 *   static const struct route_ops mine = {ROUTE_OPS_INIT, .name = ...}; */
#define ROUTE_OPS_INIT                                                                             \
    .abi_version = ROUTE_ABI_VERSION, .abi_minor = ROUTE_ABI_MINOR,                                \
    .ops_size = (uint32_t)sizeof(struct route_ops)

/* Size of an ABI 3.0 table: the smallest the host accepts. */
#define ROUTE_OPS_SIZE_3_0                                                                         \
    ((uint32_t)(offsetof(struct route_ops, on_complete) +                                          \
                sizeof(((struct route_ops *)0)->on_complete)))

/* Size of an ABI 3.1 table: the smallest that carries `reads`. */
#define ROUTE_OPS_SIZE_3_1                                                                         \
    ((uint32_t)(offsetof(struct route_ops, reads) + sizeof(((struct route_ops *)0)->reads)))

/* What a (checked) table reads: its `reads` when its ops_size covers the
 * field, else ROUTE_READS_ALL (a 3.0 table may read anything). */
static inline uint32_t route_ops_reads(const struct route_ops *ops)
{
    return ops->ops_size >= ROUTE_OPS_SIZE_3_1 ? ops->reads : ROUTE_READS_ALL;
}

/* The symbol a plugin shared object exports (examples/plugin/README.md):
 * returns its ops tables and sets *n and *abi (ROUTE_ABI_VERSION).  Its
 * signature never changes, so a host can always ask a plugin its major. */
#define ROUTE_PLUGIN_SYMBOL "lbsim_route_plugin"
typedef const struct route_ops *const *(*route_plugin_fn)(uint32_t *n, uint32_t *abi);

/* ---------------------------------------------------------------------
 * Nodes: what wrappers and groups call on their children
 * ------------------------------------------------------------------- */

/* Pick through a node (a parent calls this for its children).  Applies
 * the node's backend subset, then its strategy.  No allocation. */
int32_t route_node_pick(struct route_node *node, const struct route_req *req,
                        const struct route_view *view, const struct route_env *env,
                        const uint64_t *exclude);

/* A scratch exclude bitset owned by the node (ROUTE_EXCLUDE_WORDS(n)
 * words) for wrappers that narrow the set before delegating.  Each node has
 * its own, so nested wrappers do not clobber each other. */
uint64_t *route_node_scratch(struct route_node *node);

/* True when some backend is usable, not saturated and inside the node's
 * subset. */
bool route_node_any_usable(const struct route_node *node, const struct route_view *view,
                           const uint64_t *exclude);

/* The stats block of the router owning the node (strategies count
 * escalations and spillovers there). */
struct route_stats *route_node_stats(struct route_node *node);

#endif /* LBSIM_ROUTE_STRATEGY_H */
