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

#endif /* LBSIM_ROUTE_LOOP_H */
