/*
 * route_loop.h - a gateway's per-request retry and fallback loop, as the
 * real routers run it (prefix route_loop_, route_llm_, route_pk_).
 *
 * lbsim's own loop (retry.c: route_retry_*, route_fallback_target) is the
 * default.  A scenario that replays a LiteLLM or Portkey configuration runs
 * that router's loop instead, reproduced from its source (docs/notes/
 * litellm-replay.md cites file and line for every rule):
 *
 *   LiteLLM Router   route_llm_*  (loop_litellm.c): retries that re-run the
 *                    selection with no exclusion, the zero-sleep rule, the
 *                    retry count fixed by the first error's type, the sleep
 *                    after the last attempt, recursive fallbacks with one
 *                    shared depth budget and sibling continuation.
 *   Portkey gateway  route_pk_*   (loop_portkey.c): a tree of single /
 *                    loadbalance / fallback / conditional nodes, retries on
 *                    the same target, settings inherited down the tree.
 *
 * Both are value-typed state machines: a per-request state (fixed size, no
 * heap pointers, so a gateway keeps it in its request slot) and pure
 * functions that, given what happened to the last attempt, say what to do
 * next as a struct route_loop_act.  The gateway executes the act: it waits,
 * picks (through its route_router, in the group the act names, or sends to
 * the backend the act names), dispatches, and reports the next failure.  No
 * clock, no global state; randomness comes in as arguments.
 */
#ifndef LBSIM_ROUTE_LOOP_H
#define LBSIM_ROUTE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "route.h"

/* Which loop a gateway runs. */
enum route_loop_kind {
    ROUTE_LOOP_LBSIM = 0,   /* retry.c: route_retry_* + route_fallback_target */
    ROUTE_LOOP_LITELLM = 1, /* route_llm_* */
    ROUTE_LOOP_PORTKEY = 2, /* route_pk_* */
};

/* What the gateway does next. */
enum route_loop_act_kind {
    ROUTE_LOOP_ROUTE = 0, /* route another attempt (after delay_ns) */
    ROUTE_LOOP_FAIL = 1,  /* give up: the client gets http_status */
};

struct route_loop_act {
    enum route_loop_act_kind kind;
    int64_t delay_ns;   /* ROUTE: wait this long before routing */
    uint32_t group;     /* ROUTE: the model group to pick in */
    int32_t backend;    /* ROUTE: >= 0 send to this backend, no pick; -1 pick in group */
    bool exclude_tried; /* ROUTE: keep backends this group already tried out of the pick */
    bool retry;         /* ROUTE: a retry within the same group/target (counted) */
    bool fallback;      /* ROUTE: the first attempt of a fallback hop (counted) */
    int64_t timeout_ns; /* ROUTE: the loop's own attempt timeout (Portkey request_timeout),
                           0 = the backend's or the router's */
    int http_status;    /* FAIL: what the client gets */
};

/* What the gateway reports about a failed attempt, or about a pick that
 * found nothing usable (backend = -1: LiteLLM's "No deployments
 * available", a RouterRateLimitError 429). */
struct route_loop_failure {
    int http_status;                    /* 429, 500, 503, 408, 400, 401, ... */
    enum route_status status;           /* its class */
    enum route_error_class error_class; /* context window / content policy / generic */
    int64_t retry_after_ns;             /* the response's Retry-After, -1 = none */
    int32_t backend;                    /* the backend that answered, -1 = none picked */
    uint32_t group_size;                /* deployments in the current group */
    uint32_t group_healthy;             /* ... of them not cooling, open or down now */
};

/* How many backends serve `group` and how many of them a pick may offer now
 * (not cooling, open, ejected or down): LiteLLM's len(all) and
 * len(healthy) of the retry loop. */
void route_router_group_counts(const struct route_router *r, uint32_t group, uint32_t *size,
                               uint32_t *healthy);

/* ---------------------------------------------------------------------
 * LiteLLM Router (loop_litellm.c; docs/notes/litellm-replay.md §2.4, §2.5)
 * ------------------------------------------------------------------- */

/* The LiteLLM behaviour reproduced: the release failoverbench measured
 * (run of 2026-09-06, results/full/litellm-router.json) with the 2026 rules
 * of the notes' ▲ rows. */
#define ROUTE_LLM_EMULATED "LiteLLM Router 2026-09 (as failoverbench measured it on 2026-09-06)"

/* Fallback frames per request: nested fallback levels.  A level is entered
 * only at a depth below max_fallbacks, so max_fallbacks <= this. */
#define ROUTE_LLM_MAX_STACK 16u
/* Fallback targets remembered per request (2026 attempted_targets):
 * beyond this many, further targets are not deduplicated. */
#define ROUTE_LLM_MAX_SEEN 16u

/* model_group_retry_policy: a group's own RetryPolicy (it replaces the
 * router's retry_policy for that group, it is not merged with it). */
struct route_llm_group_policy {
    uint32_t group;
    int32_t retries[ROUTE_LLM_POL_COUNT_]; /* -1 = unset */
};

/* LiteLLM Router settings the loop reads (static configuration). */
struct route_llm_cfg {
    uint32_t num_retries; /* router num_retries (openai DEFAULT_MAX_RETRIES 2) */
    int32_t retry_policy[ROUTE_LLM_POL_COUNT_];        /* RetryPolicy, -1 = unset */
    const struct route_llm_group_policy *group_policy; /* model_group_retry_policy */
    uint32_t n_group_policy;
    int64_t retry_after_floor_ns; /* router retry_after (0), capped by max_delay_ns */
    int64_t initial_delay_ns;     /* INITIAL_RETRY_DELAY 0.5 s */
    int64_t max_delay_ns;         /* MAX_RETRY_DELAY 8 s */
    int64_t jitter_ns;            /* JITTER 0.75 s: + U[0, jitter) */
    int64_t retry_after_cap_ns;   /* a Retry-After above 60 s is ignored for the sleep */
    uint32_t max_fallbacks;       /* ROUTER_MAX_FALLBACKS 5; <= ROUTE_LLM_MAX_STACK */
    /* fallbacks, context_window_fallbacks, content_policy_fallbacks and
     * default_fallbacks (from = ROUTE_FALLBACK_ANY); max_depth is not read */
    struct route_fallbacks fallbacks;
    const int32_t *backend_num_retries; /* deployment num_retries per backend, -1 unset;
                                           NULL = none */
    uint32_t n_backends;
};

/* LiteLLM's defaults (litellm/constants.py, router.py; §2.4). */
void route_llm_cfg_default(struct route_llm_cfg *c);

/* One level of fallbacks being walked (run_async_fallback). */
struct route_llm_frame {
    uint32_t group; /* the group whose chain failed */
    uint16_t rule;  /* its rule in cfg->fallbacks.rules */
    uint8_t next;   /* next target of the rule */
    uint8_t depth;  /* fallback_depth at this level (+1 per target tried) */
};

/* Per-request state: fixed size, no pointers (a request slot holds it). */
struct route_llm_req {
    uint32_t group;        /* the group being tried */
    uint16_t attempts;     /* failed attempts in this group */
    uint16_t retries;      /* retries allowed in this group (set by its first error) */
    uint16_t primary_http; /* the primary group's latest error: the final status */
    uint8_t first_exc;     /* enum route_llm_exc of this group's first error */
    bool policy;           /* a retry policy set `retries`: no retry gate */
    uint8_t depth;         /* fallback_depth this group was entered at */
    uint8_t n_frames;      /* fallback levels open */
    uint8_t n_seen;        /* targets in seen[] */
    bool in_primary;       /* still on the request's own group */
    struct route_llm_frame frames[ROUTE_LLM_MAX_STACK];
    uint32_t seen[ROUTE_LLM_MAX_SEEN]; /* groups attempted (2026 attempted_targets) */
};

/* The exception LiteLLM raises for a failure (its exception mapping). */
enum route_llm_exc route_llm_exc_of(const struct route_loop_failure *f);
/* Whether exception e is an instance of policy type p's class
 * (ContextWindowExceeded and ContentPolicyViolation are BadRequestErrors). */
bool route_llm_exc_isa(enum route_llm_exc e, enum route_llm_pol p);

/* A request arrives for `group`: the first attempt (no delay). */
struct route_loop_act route_llm_start(const struct route_llm_cfg *c, struct route_llm_req *q,
                                      uint32_t group);

/* The last attempt failed (or the pick found nothing: f->backend = -1);
 * `u01` is a uniform draw in [0, 1) for the jitter.  A ROUTE act picks in
 * act.group with no exclusion after act.delay_ns; a FAIL act answers
 * act.http_status after act.delay_ns (LiteLLM sleeps after the last
 * attempt even when no fallback follows). */
struct route_loop_act route_llm_failed(const struct route_llm_cfg *c, struct route_llm_req *q,
                                       const struct route_loop_failure *f, double u01);

/* ---------------------------------------------------------------------
 * Portkey gateway (loop_portkey.c, prefix route_pk_)
 *
 * The OSS gateway's tryTargetsRecursively walk over a config tree
 * (docs/notes/litellm-replay.md section 2.7, importer keys section 3.6;
 * docs/notes/routers.md section 2.2): every leaf is one backend; a request
 * descends to one leaf, retries there (same target, 1, 2, 4... s), and
 * when the leaf gives up its last response climbs the tree, where only a
 * `fallback` node may send it down another child.
 * ------------------------------------------------------------------- */

/* The behaviour reproduced: Portkey-AI/gateway OSS at 669825cb
 * (2026-05-25), the mirror docs/notes/routers.md section 2.2 cites. */
#define ROUTE_PK_EMULATED "Portkey gateway OSS 669825cb (2026-05-25)"

#define ROUTE_PK_MAX_DEPTH 16 /* levels of a tree (root = 1) */
#define ROUTE_PK_MAX_CODES 16 /* statuses of one on_status_codes list */
#define ROUTE_PK_MAX_NODES 65535
/* `retry.attempts` at most 5 (Portkey docs; MAX_RETRIES = 5 in
 * P:src/globals.ts:39, litellm-replay.md section 2.7). */
#define ROUTE_PK_MAX_ATTEMPTS 5
/* async-retry as retryRequest calls it: minTimeout 1 s, factor 2,
 * randomize false (P:src/handlers/retryHandler.ts, section 2.7). */
#define ROUTE_PK_BACKOFF_MIN_NS 1000000000LL
/* MAX_RETRY_LIMIT_MS = 60 000: one Retry-After at or above it, or above
 * what is left of it for this leaf, ends the leaf's retries
 * (P:src/globals.ts:5, section 2.7). */
#define ROUTE_PK_RETRY_AFTER_BUDGET_NS 60000000000LL
/* What the client gets when a conditional node matches no condition and
 * has no default: ConditionalRouter throws a RouterError, which no
 * fallback catches (P:src/services/conditionalRouter.ts:17-58); lbsim
 * answers it as a client error. */
#define ROUTE_PK_ROUTER_ERROR_STATUS 400

enum route_pk_mode {
    ROUTE_PK_LEAF = 0,        /* a provider target: backend */
    ROUTE_PK_SINGLE = 1,      /* targets[0] */
    ROUTE_PK_LOADBALANCE = 2, /* one child by weight; no failover to siblings */
    ROUTE_PK_FALLBACK = 3,    /* children in order while the status allows */
    ROUTE_PK_CONDITIONAL = 4, /* the first condition that matches, else default */
};

/* A list of HTTP statuses; set = false: the key is absent. */
struct route_pk_codes {
    bool set;
    uint16_t n;
    uint16_t code[ROUTE_PK_MAX_CODES];
};

/* `retry:` of a node.  A node that sets it replaces the inherited one as a
 * whole (the child wins). */
struct route_pk_retry {
    bool set;
    uint32_t attempts;                     /* retries after the first attempt, <= 5 */
    struct route_pk_codes on_status_codes; /* unset: 429, 500, 502, 503, 504 */
    bool use_retry_after_header;           /* honour a 429's Retry-After */
};

/* The request labels a condition reads (metadata.tenant, metadata.task,
 * metadata.region, metadata.priority, params.model). */
enum route_pk_field {
    ROUTE_PK_F_TENANT = 0,
    ROUTE_PK_F_TASK = 1,
    ROUTE_PK_F_REGION = 2,
    ROUTE_PK_F_PRIORITY = 3,
    ROUTE_PK_F_MODEL_GROUP = 4,
};

enum route_pk_op {
    ROUTE_PK_Q_ALL = 0, /* a query object: every entry in order; an entry with
                           `answers` set decides the whole query */
    ROUTE_PK_Q_AND = 1, /* $and: every child */
    ROUTE_PK_Q_OR = 2,  /* $or: any child */
    ROUTE_PK_Q_EQ = 3,  /* $eq, or a plain value */
    ROUTE_PK_Q_NE = 4,
    ROUTE_PK_Q_GT = 5, /* numeric (parseFloat): priority only */
    ROUTE_PK_Q_GTE = 6,
    ROUTE_PK_Q_LT = 7,
    ROUTE_PK_Q_LTE = 8,
    ROUTE_PK_Q_IN = 9, /* value among vals[first..first+count) */
    ROUTE_PK_Q_NIN = 10,
};

/* One compiled query node.  ALL/AND/OR: children are exprs[first ..
 * first + count).  IN/NIN: values are vals[first .. first + count).
 * Comparisons read `field` and compare with `value` (an interned label id,
 * or the priority). */
struct route_pk_expr {
    uint8_t op;    /* enum route_pk_op */
    uint8_t field; /* enum route_pk_field */
    bool answers;  /* in an ALL: $and/$or return at once (conditionalRouter.ts
                      evaluateQuery returns at the first $and/$or key) */
    uint32_t first;
    uint32_t count;
    double value;
};

/* conditions[i] of a conditional node: query root and the child it picks. */
struct route_pk_cond {
    uint32_t expr; /* index in exprs */
    uint32_t then; /* child position (0-based) among the node's children */
};

struct route_pk_node {
    enum route_pk_mode mode;
    int32_t backend;      /* LEAF: the backend index */
    double weight;        /* in a loadbalance parent (1; 0 = never) */
    uint32_t first_child; /* children are nodes[first_child .. + n_children) */
    uint32_t n_children;
    struct route_pk_codes on_status_codes; /* FALLBACK: statuses that move on;
                                              unset: any non-ok status */
    struct route_pk_retry retry;
    int64_t request_timeout_ns; /* 0 = inherited (none at the root) */
    uint32_t first_cond;        /* CONDITIONAL: conds[first_cond .. + n_conds) */
    uint32_t n_conds;
    int32_t default_child; /* CONDITIONAL: child position, -1 = none */
};

/* A whole tree; nodes[0] is the root.  Arrays owned by whoever built it. */
struct route_pk_tree {
    const struct route_pk_node *nodes;
    uint32_t n_nodes;
    const struct route_pk_cond *conds;
    uint32_t n_conds;
    const struct route_pk_expr *exprs;
    uint32_t n_exprs;
    const double *vals;
    uint32_t n_vals;
};

/* 0, or -1 with a message: indices in range, children contiguous after
 * their parent, depth <= ROUTE_PK_MAX_DEPTH, leaves naming a backend in
 * [0, n_backends), a loadbalance node with a positive total weight,
 * attempts <= ROUTE_PK_MAX_ATTEMPTS, conditions naming children. */
int route_pk_check(const struct route_pk_tree *t, uint32_t n_backends, char *err, size_t errlen);

/* One request's place in the tree.  Fixed size, no pointers. */
struct route_pk_req {
    uint16_t path[ROUTE_PK_MAX_DEPTH]; /* node index per level, path[0] = root */
    uint8_t depth;                     /* levels on the path (the leaf is path[depth-1]) */
    uint8_t attempts;                  /* attempts sent to the current leaf */
    bool zero_backoff;                 /* a Retry-After was honoured: later backoffs are 0 */
    int64_t retry_after_waited_ns;     /* of ROUTE_PK_RETRY_AFTER_BUDGET_NS, this leaf */
};

/* The request arrives: descend to its first leaf.  u01 in [0, 1) drives
 * the loadbalance picks on the way (one draw, rescaled at each level).
 * The act names the leaf's backend (backend >= 0, group = the request's),
 * timeout_ns = the inherited request_timeout (a Portkey timeout is a 408
 * at headers time), or FAIL (a conditional node that matches nothing). */
struct route_loop_act route_pk_start(const struct route_pk_tree *t, struct route_pk_req *st,
                                     const struct route_req *req, double u01);

/* The last attempt failed: retry on the same leaf, climb to a fallback
 * sibling (descending again with u01), or FAIL with the status of the last
 * response.  A FAIL may carry delay_ns > 0: the Retry-After Portkey waits
 * inside the last attempt before it gives up (the client gets the answer
 * that much later). */
struct route_loop_act route_pk_failed(const struct route_pk_tree *t, struct route_pk_req *st,
                                      const struct route_loop_failure *f,
                                      const struct route_req *req, double u01);

#endif /* LBSIM_ROUTE_LOOP_H */
