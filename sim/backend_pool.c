/*
 * backend_pool.c - the GPU pool replica backend kind (models/pool.h).
 *
 * Each replica slot of a pool is a backend.  An admitted attempt gets the
 * backend's fault draws, then joins the replica's queue; its first token
 * and last come out of the replica's continuous-batching steps
 * (EV_POOL_STEP).  The replica's lifecycle (warm-up, spot reclaims, the
 * autoscaler) is replicas.c's; a reclaim kills what a replica holds here.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "sim_int.h"

/* After any change on slot b's replica: publish its queue and KV signals
 * and (re)schedule its step event if the time moved (lazy cancellation).
 * Inline in the step handler, which runs it once per engine step. */
static inline int pool_resched(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    const struct pool *p = be->pr->pool;
    int64_t t;
    /* Only to routers that read them (sim.pool_signals): round_robin,
     * least_inflight and most strategies look at router-kept counters
     * only, and this runs at every step of every replica. */
    if (s->pool_signals) {
        uint32_t qd;
        double kv;
        t = pool_signals(p, be->r, &qd, &kv);
        for (uint32_t r = 0; r < s->n_routers; r++)
            route_router_set_signals(s->routers[r], b, (int64_t)qd, kv, s->now_ns);
    } else {
        t = pool_next_event(p, be->r);
    }
    if (t == rp->step_t)
        return 0;
    rp->step_t = t;
    rp->step_gen++;
    if (t < 0)
        return 0;
    return sim__push(s, t, EV_POOL_STEP, b, rp->step_gen);
}

int sim__pool_resched(struct sim *s, uint32_t b)
{
    return pool_resched(s, b);
}

/* The attempt of request idx leaves its pool replica (timeout, lost hedge,
 * kill).  Call before its gen changes. */
static int pool_leave(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint8_t at = q->at_pool;
    q->at_pool = AT_POOL_NONE;
    if (at != AT_POOL_IN)
        return 0;
    uint32_t b = (uint32_t)q->backend;
    struct backend_rt *be = &s->be[b];
    if (pool_cancel(be->pr->pool, be->r, idx, q->gen) != POOL_OK) {
        snprintf(s->err, s->errlen, "internal error: pool %s lost request %" PRIu64,
                 be->pr->cfg->name, q->rr.id);
        return -1;
    }
    return sim__pool_resched(s, b);
}

/* True while attempt (idx, gen) can still time out: it is the request's
 * current attempt and has no first token yet. */
static bool deadline_live(const struct sim *s, const struct sim__deadline *d)
{
    const struct req *q = &s->reqs[d->idx];
    return q->gen == d->gen && q->state != RS_FREE && q->state != RS_STREAMING;
}

/* Arm request idx's attempt timeout (sim__deadlines in sim_int.h). */
static int deadline_add(struct sim *s, uint32_t idx)
{
    struct sim__deadlines *dl = &s->pools.dl;
    while (dl->len > 0 && !deadline_live(s, &dl->ring[dl->head])) {
        dl->head = (dl->head + 1) & (dl->cap - 1);
        dl->len--;
    }
    if (dl->len == dl->cap) {
        uint32_t ncap = dl->cap ? dl->cap * 2 : 256u;
        struct sim__deadline *n = malloc((size_t)ncap * sizeof *n);
        if (n == NULL) {
            snprintf(s->err, s->errlen, "out of memory (attempt timeouts)");
            return -1;
        }
        for (uint32_t i = 0; i < dl->len; i++)
            n[i] = dl->ring[(dl->head + i) & (dl->cap - 1)];
        free(dl->ring);
        dl->ring = n;
        dl->cap = ncap;
        dl->head = 0;
    }
    int64_t t = s->now_ns + s->scn->router.attempt_timeout_ns;
    dl->ring[(dl->head + dl->len) & (dl->cap - 1)] =
        (struct sim__deadline){.idx = idx, .gen = s->reqs[idx].gen, .t_ns = t};
    dl->len++;
    if (dl->armed_ns >= 0)
        return 0; /* an earlier deadline is armed; this one waits behind it */
    dl->armed_ns = t;
    return sim__push(s, t, EV_DEADLINE, 0, 0);
}

/* EV_DEADLINE: time out every live attempt whose deadline has come, drop
 * the entries that no longer apply, and arm the next live one. */
int sim__on_pool_deadline(struct sim *s)
{
    struct sim__deadlines *dl = &s->pools.dl;
    dl->armed_ns = -1;
    while (dl->len > 0) {
        struct sim__deadline d = dl->ring[dl->head];
        bool live = deadline_live(s, &d);
        if (live && d.t_ns > s->now_ns) {
            dl->armed_ns = d.t_ns;
            return sim__push(s, d.t_ns, EV_DEADLINE, 0, 0);
        }
        dl->head = (dl->head + 1) & (dl->cap - 1);
        dl->len--;
        if (live && sim__on_timeout(s, d.idx) != 0) /* may arm new deadlines: later ones */
            return -1;
    }
    return 0;
}

/* Service starts on a pool replica: the backend's fault draws (error rate,
 * brownout errors, hangs; keyed like an API attempt's), then the replica's
 * queue.  *how is SIM__START_ENDED when the attempt ended at once: a request larger
 * than the replica's KV cache can never run and answers 400
 * context_length_exceeded, which context-window fallbacks route. */
static int pool_start(struct sim *s, uint32_t idx, enum sim__start *how)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct backend_rt *be = &s->be[b];
    const struct fault_cfg *fc = &s->scn->backends[b].api.faults;
    bool base_fail = false;
    struct fault_draw fd = {.latency_x = 1.0};
    /* The draws come from a stream keyed to this attempt alone, so when
     * no fault can fire (no error or hang rate, no brownout, nothing armed
     * by a script) skipping them changes no other draw and no result. */
    if (!(fc->error_rate <= 0.0 && fc->hang_rate <= 0.0 && fc->n_brownouts == 0 &&
          be->api.faults.armed == FAULT_ARMED_NONE)) {
        struct rng r;
        rng_keyed(&r, s->seed, RNG_LATENCY, q->rr.id, b, q->rr.attempt);
        base_fail = rng_unit(&r) < fc->error_rate;
        fault_draw_attempt(fc, &be->api.faults, s->now_ns, &r, &fd);
    }
    /* The gateway arms no timeout event: a failure drawn now answers
     * before it (as backend_api.c decides), and the others get a deadline
     * of their own (deadline_add). */
    *how = SIM__START_UNTIMED;
    bool timed = q->ttft_to_ns > 0;
    if (timed && q->ttft_to_ns != s->scn->router.attempt_timeout_ns) {
        /* A timeout other than the router's (a router config's
         * stream_timeout): the deadline FIFO holds one duration only, so
         * the gateway arms this one as an event of its own. */
        *how = SIM__START_TIMED;
        timed = false;
    }
    q->state = RS_SERVICE;
    memset(&q->draw, 0, sizeof q->draw);
    if (base_fail || fd.fail) {
        q->draw.fail = true;
        q->draw.http_status = base_fail ? fc->error_status : fd.http_status;
        int64_t rtt = sim__rtt_ns(s, q, b);
        if (timed && rtt > q->ttft_to_ns)
            *how = SIM__START_TIMED;
        return sim__push(s, s->now_ns + rtt, EV_FAIL, idx, q->gen);
    }
    if (fd.hang) {
        q->draw.hang = true;
        q->at_pool = AT_POOL_HUNG;
        return timed ? deadline_add(s, idx) : 0;
    }
    struct pool_req pq = {
        .idx = idx,
        .gen = q->gen,
        .input_tokens = q->rr.input_tokens,
        .output_tokens = q->rr.output_tokens,
        .blocks = q->blocks,
        .n_blocks = q->blocks != NULL ? q->rr.n_blocks : 0,
        .enq_ns = s->now_ns,
    };
    int rc = pool_enqueue(be->pr->pool, be->r, &pq);
    if (rc == POOL_ETOOBIG) {
        *how = SIM__START_ENDED;
        return sim__attempt_failed(s, idx, ROUTE_CLIENT_ERROR, 400, -1, -1,
                                   ROUTE_EC_CONTEXT_WINDOW);
    }
    if (rc != POOL_OK) {
        snprintf(s->err, s->errlen, "%s: %s", be->pr->cfg->name,
                 rc == POOL_ENOMEM ? "out of memory (pool)" : "internal error: pool_enqueue");
        return -1;
    }
    q->at_pool = AT_POOL_IN;
    if (timed && deadline_add(s, idx) != 0)
        return -1;
    return sim__pool_resched(s, b);
}

/* EV_POOL_STEP: slot b's step ends.  A brownout slows the next step down
 * by its latency_x; first tokens and completions reach the client one RTT
 * later when the regions are apart. */
int sim__on_pool_step(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct pool *p = be->pr->pool;
    const struct fault_cfg *fc = &s->scn->backends[b].api.faults;
    be->rep.step_t = -1;
    if (fc->n_brownouts > 0) {
        const struct fault_brownout *bo = fault_brownout_at(fc, &be->api.faults, s->now_ns);
        (void)pool_set_speed(p, be->r, bo != NULL && bo->latency_x > 1.0 ? bo->latency_x : 1.0);
    }
    uint32_t n = 0;
    if (pool_step(p, be->r, s->now_ns, s->pools.ev, s->pools.ev_cap, &n) != POOL_OK) {
        snprintf(s->err, s->errlen, "internal error: pool %s step", be->pr->cfg->name);
        return -1;
    }
    if (pool_resched(s, b) != 0)
        return -1;
    for (uint32_t k = 0; k < n; k++) {
        const struct pool_event *ev = &s->pools.ev[k];
        struct req *q = &s->reqs[ev->idx];
        if (q->gen != ev->gen || q->at_pool != AT_POOL_IN || q->backend != (int32_t)b)
            continue; /* cannot happen: every attempt that leaves is cancelled */
        int64_t d = sim__rtt_ns(s, q, b);
        int rc;
        if (ev->kind == POOL_EV_FIRST_TOKEN) {
            q->queue_wait_ns += ev->admit_ns - q->attempt_ns;
            rc = d > 0 ? sim__push(s, s->now_ns + d, EV_FIRST_TOKEN, ev->idx, q->gen)
                       : sim__on_first_token(s, ev->idx);
        } else {
            q->at_pool = AT_POOL_NONE;
            q->pool_accel_ns = ev->accel_ns;
            rc = d > 0 ? sim__push(s, s->now_ns + d, EV_DONE, ev->idx, q->gen)
                       : sim__on_done(s, ev->idx);
        }
        if (rc != 0)
            return -1;
    }
    if (be->rep.state == REP_DRAINING && pool_running(p, be->r) == 0 &&
        pool_queue_depth(p, be->r) == 0)
        return sim__retire(s, b);
    return 0;
}

/* A request on a reclaimed replica at its deadline.  Migrate: re-routed
 * now, the attempt not counted against the retry budget (llm-d / SGLang
 * style requeue; the work is recomputed elsewhere).  Retry: the attempt
 * fails with 503 and the gateway's retry policy decides; a request already
 * streaming cannot be retried by a gateway (the client holds a partial
 * answer), so it fails visibly. */
static int kill_one(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct pool_rt *pr = s->be[b].pr;
    if (pool_leave(s, idx) != 0)
        return -1;
    if (q->measured) {
        pr->res->killed++;
        s->res->preempt_killed++;
    }
    struct route_outcome out = {
        .error_class = ROUTE_EC_GENERIC,
        .status = ROUTE_CANCELLED,
        .http_status = 503,
        .latency_ns = s->now_ns - q->attempt_ns,
        .ttft_ns = -1,
        .input_tokens = q->rr.input_tokens,
        .retry_after_ns = -1,
    };
    if (pr->cfg->spot.on_kill == SCN_KILL_MIGRATE) {
        if (q->measured) {
            pr->res->migrated++;
            s->res->preempt_migrated++;
        }
        route_router_complete(sim__router(s, q), b, &q->rr, &out, &s->env);
        q->gen++; /* drop the attempt's pending events */
        q->rr.attempt--;
        q->state = RS_BACKOFF;
        return sim__push(s, s->now_ns, EV_ROUTE, idx, q->gen);
    }
    if (q->state == RS_STREAMING) {
        if (q->measured) {
            struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
            if (row == NULL)
                return -1;
            s->be[b].res->errors++;
            row->errors++;
        }
        out.status = ROUTE_SERVER_ERROR;
        route_router_complete(sim__router(s, q), b, &q->rr, &out, &s->env);
        q->gen++;
        return sim__finish(s, idx, 503, false);
    }
    return sim__attempt_failed(s, idx, ROUTE_SERVER_ERROR, 503, -1, -1, ROUTE_EC_GENERIC);
}

/* Kill every request slot b's replica holds, then empty the replica (a
 * new machine starts with a cold prefix cache).  O(request slots): runs
 * once per reclaim or retirement. */
int sim__kill_replica(struct sim *s, uint32_t b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->cap; i++) {
        const struct req *q = &s->reqs[i];
        if (q->state == RS_FREE || q->at_pool == AT_POOL_NONE || q->backend != (int32_t)b)
            continue;
        if (n + 2 > s->pools.kill_cap) {
            uint32_t ncap = s->pools.kill_cap ? s->pools.kill_cap * 2 : 64u;
            uint32_t *nb = realloc(s->pools.kill, (size_t)ncap * sizeof *nb);
            if (nb == NULL) {
                snprintf(s->err, s->errlen, "out of memory (preemption)");
                return -1;
            }
            s->pools.kill = nb;
            s->pools.kill_cap = ncap;
        }
        s->pools.kill[n++] = i;
        s->pools.kill[n++] = q->gen;
    }
    for (uint32_t k = 0; k < n; k += 2) {
        uint32_t idx = s->pools.kill[k];
        const struct req *q = &s->reqs[idx];
        if (q->gen != s->pools.kill[k + 1] || q->at_pool == AT_POOL_NONE ||
            q->backend != (int32_t)b)
            continue; /* ended meanwhile (a hedge partner of an earlier kill) */
        if (kill_one(s, idx) != 0)
            return -1;
    }
    struct backend_rt *be = &s->be[b];
    if (pool_replica_reset(be->pr->pool, be->r) != POOL_OK) {
        snprintf(s->err, s->errlen, "internal error: pool %s replica %u not empty",
                 be->pr->cfg->name, be->r);
        return -1;
    }
    return sim__pool_resched(s, b);
}

/* The accelerator time of a request that met the goodput criteria is
 * useful (goodput_accel_share, docs/notes/pool-metrics.md §2).  A request
 * answered 200 ended with its attempt's DONE on its last backend, which
 * set pool_accel_ns; time of its other attempts (failed, timed out, lost
 * hedges) and of requests not good stays unattributed: not useful. */
void sim__pool_note_finish(struct sim *s, const struct req *q, bool good)
{
    if (!good || q->backend < 0 || s->be[q->backend].pr == NULL)
        return;
    s->be[q->backend].res->good_accel_s += q->pool_accel_ns / NS_PER_S;
}

/* The replica's step emits the last token. */
static int pool_first_token(struct sim *s, uint32_t idx)
{
    (void)s;
    (void)idx;
    return 0;
}

/* A replica admits from its own queue, not from the front's FIFO. */
static int pool_release_slot(struct sim *s, uint32_t b)
{
    (void)s;
    (void)b;
    return 0;
}

/* Offered to the routers only while serving (replicas.c). */
static bool pool_up(const struct sim *s, uint32_t b)
{
    return s->be[b].rep.state == REP_ACTIVE;
}

const struct sim__backend_ops sim__backend_pool = {
    .kind = "pool",
    .start = pool_start,
    .first_token = pool_first_token,
    .leave = pool_leave,
    .release = pool_release_slot,
    .up = pool_up,
};
