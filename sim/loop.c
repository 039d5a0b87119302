/*
 * loop.c - a router config's own per-request loop (route/route_loop.h).
 *
 * With `router.loop: litellm` or `portkey` the gateway does not run
 * lbsim's retry and fallback rules (gateway.c, sim__attempt_failed):
 * after every failed attempt it asks the loop's state machine what to do,
 * and does it.  The state lives in the request slot (q->loop); the loop
 * decides the delay, the model group to pick in (LiteLLM: retries re-run
 * the selection in the group with no exclusion; fallbacks change the
 * group), or the backend to send to (Portkey: a tree leaf, no pick), its
 * own attempt timeout (Portkey request_timeout), and when to give up with
 * which status.  A pick that finds nothing is reported as LiteLLM's
 * "No deployments available" (a 429 with no backend).
 *
 * Draws for the loops' jitter and weighted picks come from the request's
 * keyed stream (RNG_BACKOFF, request id, attempt, hop): the same request
 * meets the same draws under every strategy.
 */
#include <string.h>

#include "sim_int.h"

static double loop_u01(const struct sim *s, const struct req *q, uint32_t salt)
{
    struct rng r;
    rng_keyed(&r, s->seed, RNG_BACKOFF, q->rr.id, q->attempts_total, salt);
    return rng_unit(&r);
}

/* Carry out `a` for request idx; `gateway` says whether the failure that
 * led here was the gateway's own (nothing usable to pick). */
static int apply(struct sim *s, uint32_t idx, struct route_loop_act a, bool gateway, bool now)
{
    struct req *q = &s->reqs[idx];
    if (a.kind == ROUTE_LOOP_FAIL) {
        if (a.delay_ns <= 0)
            return sim__finish(s, idx, a.http_status, gateway);
        /* LiteLLM sleeps after its last attempt, Portkey inside it: the
         * client hears of the failure that much later. */
        q->loop_fail_http = a.http_status;
        q->loop_fail_gateway = gateway;
        q->state = RS_BACKOFF;
        return sim__push(s, s->now_ns + a.delay_ns, EV_ROUTE, idx, q->gen);
    }
    if (a.group != 0 && a.group != q->group) {
        q->group = a.group;
        q->rr.model_group = a.group;
    }
    if (a.fallback) {
        q->fallbacks_done++;
        q->rr.fallback_depth = q->fallbacks_done;
        q->rr.attempt = 0;
        memset(q->fails_of, 0, sizeof q->fails_of);
        if (q->measured)
            s->res->fallbacks++;
    }
    if (a.retry && q->measured) {
        s->res->retries++;
        SIM__LABEL_ADD(s, q, retries, 1);
    }
    q->loop_backend = a.backend;
    q->loop_exclude = a.exclude_tried;
    q->loop_timeout_ns = a.timeout_ns;
    if (a.fallback || !a.exclude_tried)
        sim__exclude_init(s, idx);
    q->waited_ns += a.delay_ns;
    q->state = RS_BACKOFF;
    if (now && a.delay_ns <= 0)
        return sim__loop_route(s, idx);
    return sim__push(s, s->now_ns + a.delay_ns, EV_ROUTE, idx, q->gen);
}

static struct route_loop_failure failure(struct sim *s, const struct req *q, int http,
                                         enum route_status cls, enum route_error_class ec,
                                         int64_t retry_after_ns, int32_t backend)
{
    struct route_loop_failure f = {
        .http_status = http,
        .status = cls,
        .error_class = ec,
        .retry_after_ns = retry_after_ns,
        .backend = backend,
    };
    route_router_group_counts(sim__router(s, q), q->group, &f.group_size, &f.group_healthy);
    return f;
}

static struct route_loop_act decide(struct sim *s, struct req *q,
                                    const struct route_loop_failure *f)
{
    const struct scn_router *r = &s->scn->router;
    double u = loop_u01(s, q, q->fallbacks_done);
    if (r->loop == ROUTE_LOOP_LITELLM)
        return route_llm_failed(&r->litellm, &q->loop.llm, f, u);
    return route_pk_failed(&r->portkey, &q->loop.pk, f, &q->rr, u);
}

int sim__loop_start(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    const struct scn_router *r = &s->scn->router;
    struct route_loop_act a;
    if (r->loop == ROUTE_LOOP_LITELLM)
        a = route_llm_start(&r->litellm, &q->loop.llm, q->group);
    else
        a = route_pk_start(&r->portkey, &q->loop.pk, &q->rr, loop_u01(s, q, UINT32_MAX));
    return apply(s, idx, a, false, true);
}

int sim__loop_failed(struct sim *s, uint32_t idx, enum route_status cls, int http,
                     int64_t retry_after_ns, enum route_error_class ec)
{
    struct req *q = &s->reqs[idx];
    struct route_loop_failure f = failure(s, q, http, cls, ec, retry_after_ns, q->backend);
    return apply(s, idx, decide(s, q, &f), false, false);
}

/* Nothing usable in the group: LiteLLM's RouterRateLimitError ("No
 * deployments available", a 429 with no deployment); with the 2026
 * semaphore a saturated deployment also answers 429 at once instead of
 * queueing (docs/notes/litellm-replay.md 2.4, "Queue on the concurrency
 * limit"). */
static int nothing_usable(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    struct route_loop_failure f = failure(s, q, 429, ROUTE_RATE_LIMITED, ROUTE_EC_GENERIC, -1, -1);
    return apply(s, idx, decide(s, q, &f), true, false);
}

int sim__loop_route(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    if (q->loop_fail_http != 0)
        return sim__finish(s, idx, q->loop_fail_http, q->loop_fail_gateway);
    if (q->loop_backend >= 0) {
        uint32_t b = (uint32_t)q->loop_backend;
        if (b >= s->nb || s->be[b].absent)
            return nothing_usable(s, idx);
        return sim__dispatch(s, idx, b);
    }
    int32_t pick = route_router_pick(sim__router(s, q), &q->rr, &s->env, sim__exclude(s, idx));
    if (pick < 0)
        return nothing_usable(s, idx);
    return sim__dispatch(s, idx, (uint32_t)pick);
}
