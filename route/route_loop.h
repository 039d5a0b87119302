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

#endif /* LBSIM_ROUTE_LOOP_H */
