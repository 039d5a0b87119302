/*
 * engine.c - one run of a scenario under one strategy.
 *
 * The gateway here plays the part a production LLM gateway (LiteLLM,
 * Portkey) plays around route/: for each client request it asks the
 * router for a backend, sends an attempt, and on a 429, 5xx or timeout
 * retries after a backoff, rerouting away from the backends already tried,
 * until route_retry_should() says to give up.  The backends are the models
 * of models/ (hosted API accounts in this version).
 *
 * Events and their order.  Every event is a (time, seq) record in a 4-ary
 * heap (heap.h); seq makes the order total, so a run is a deterministic
 * function of (scenario, strategy, seed).  An attempt's pending events
 * carry the request's generation `gen`; ending or cancelling an attempt
 * bumps gen, so stale events are dropped when popped (lazy cancellation,
 * as Redis ae.c does with deleted timers).
 *
 * Common random numbers.  Arrivals and sizes come from the trace (or the
 * synthetic streams); an attempt's latency and fault draws come from
 * rng_keyed(seed, purpose, request id, backend, attempt): the same request
 * meets the same latency on the same backend whichever strategy sent it.
 *
 * Memory: O(in-flight requests + backends + intervals): requests live in a
 * slot pool recycled through a free list, metrics are histograms.
 */
#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcache.h"
#include "pool.h"
#include "heap.h"
#include "rng.h"

#define NS_PER_S         1e9
#define REQ_POOL_INITIAL 1024u
#define TS_INITIAL       64u

enum ev_kind {
    EV_ARRIVAL = 0,       /* the pending trace record arrives */
    EV_ROUTE = 1,         /* (re)route a request: after a backoff */
    EV_FIRST_TOKEN = 2,   /* the attempt's first token */
    EV_DONE = 3,          /* the attempt's last token: success */
    EV_FAIL = 4,          /* the attempt's error response */
    EV_TIMEOUT = 5,       /* the attempt timeout fires */
    EV_QUEUE_TIMEOUT = 6, /* the gateway queue wait cap fires */
    EV_HEDGE = 7,         /* start a hedged attempt if the first has no token yet */
    EV_CACHE_HIT = 8,     /* the gateway cache answers (idx = request) */
    /* Pool events: idx is a backend (a replica slot) or a pool, not a request. */
    EV_POOL_STEP = 9, /* a replica's step ends (gen = the slot's step_gen) */
    EV_REPLICA = 10,  /* a slot's lifecycle timer (gen = life_gen): warm-up done,
                         notice deadline, replacement due */
    EV_PREEMPT = 11,  /* a spot reclaim of a slot (aux 1: scheduled, else the rate's) */
    EV_AUTOSCALE = 12 /* a pool's autoscaler evaluates (idx = pool) */
};

enum req_state {
    RS_FREE = 0,
    RS_BACKOFF = 1,       /* waiting for an EV_ROUTE */
    RS_GATEWAY_QUEUE = 2, /* the router answered FULL */
    RS_BACKEND_QUEUE = 3, /* in a backend's FIFO */
    RS_SERVICE = 4,       /* admitted, before the first token */
    RS_STREAMING = 5,     /* first token seen, before the last */
};

struct req {
    struct route_req rr;
    int64_t arrival_ns;
    int64_t attempt_ns;     /* when the current attempt was dispatched */
    int64_t wait_start_ns;  /* entered the current queue */
    int64_t queue_wait_ns;  /* total queueing (gateway + backend FIFOs) */
    int64_t first_token_ns; /* client-visible first token, -1 none */
    struct api_draw draw;   /* the current attempt's draws */
    uint32_t gen;
    uint32_t next_free;
    int32_t backend; /* current/last backend, -1 none */
    uint8_t state;
    bool measured;
    bool is_hedge; /* a hedged copy: not a client request of its own */
    uint8_t hedges_done;
    uint64_t *blocks;      /* owned copy of the prefix blocks, NULL when none */
    uint32_t origin_group; /* the model group asked for (0 = none) */
    uint32_t group;        /* the group being tried (a fallback's, after one) */
    uint32_t fallbacks_done;
    uint32_t replica;                       /* the gateway instance that routes it */
    uint32_t partner;                       /* the linked hedge / primary slot, NO_SLOT when none */
    uint8_t at_pool;                        /* AT_POOL_*: where the attempt is on a pool replica */
    uint64_t cache_key;                     /* gateway cache key, 0 = no cache */
    uint16_t fails_of[ROUTE_STATUS_COUNT_]; /* failed attempts by status, this group */
    int64_t waited_ns; /* backoff slept so far (Portkey's Retry-After budget) */
};

#define NO_SLOT UINT32_MAX
/* Recompute the hedge delay from observed TTFTs every this many samples
 * (a histogram quantile costs ~3.6 us; bench figures in README). */
#define HEDGE_REFRESH_SAMPLES 256u

struct gwq_ent {
    uint32_t idx, gen;
};

/* Where a pool attempt is: the replica holds it (queued or running), or it
 * hung there (no events: only its timeout or a kill ends it). */
enum { AT_POOL_NONE = 0, AT_POOL_IN = 1, AT_POOL_HUNG = 2 };

/* Replica slot states.  Billed: WARMING, ACTIVE, DRAINING, NOTICE.  Offered
 * to the router: ACTIVE only. */
enum rep_state {
    REP_OFF = 0,      /* no machine */
    REP_PENDING = 1,  /* waiting for a replacement machine (not billed) */
    REP_WARMING = 2,  /* loading the model: billed, not serving */
    REP_ACTIVE = 3,   /* serving */
    REP_DRAINING = 4, /* scale-down: no new work, finishing what it holds */
    REP_NOTICE = 5,   /* reclaimed: no new work until the deadline, then killed */
};

struct replica_rt {
    uint8_t state;
    int64_t state_t; /* entered the state */
    int64_t bill_t;  /* billed up to here */
    int64_t step_t;  /* the pending EV_POOL_STEP time, -1 none */
    uint32_t step_gen, life_gen;
    uint32_t preempt_k; /* rate preemptions drawn so far (keys the stream) */
    int64_t up_ns;      /* time serving, draining or in notice */
};

struct pool_rt {
    const struct scn_pool *cfg;
    struct pool *pool;
    struct sim_pool_result *res;
    uint32_t serving;          /* slots ACTIVE */
    int64_t serving_t;         /* serving area integrated up to here */
    double serving_area;       /* replica-ns */
    int64_t below_since_ns;    /* autoscaler: desired < current since, -1 = not below */
    uint32_t below_max;        /* ... the largest desired since then */
    uint64_t arrivals_at_tick; /* arrivals seen at the last tick (scale from zero) */
    uint32_t n_ts, ts_cap;     /* res->serving_ts */
};

struct backend_rt {
    struct api_state api;
    struct sim_backend_result *res;
    struct pool_rt *pr; /* pool slots: their pool, NULL for API backends */
    uint32_t r;         /* pool slot index */
    bool absent;        /* `without:` this run: never routed to, never started */
    struct replica_rt rep;
};

struct sim {
    const struct scenario *scn;
    uint64_t seed;
    int64_t now_ns;
    struct heap heap;
    struct rng router_rng;
    struct route_env env;
    struct route_router **routers; /* one per gateway replica (1 when shared) */
    uint32_t n_routers;
    uint32_t nb, ex_words;
    uint64_t *nonmember; /* per model group g (0..n_groups): backends not serving g */
    uint32_t *label_map[TRACE_LABEL_KINDS_]; /* trace label id -> scenario id, +1; 0 unset */
    uint32_t label_cap[TRACE_LABEL_KINDS_];
    struct hist att_ttft; /* attempt TTFTs, for percentile hedging */
    uint32_t att_since;
    int64_t hedge_delay_ns;
    struct backend_rt *be;
    struct pool_rt *pools;
    uint32_t n_pools;
    struct pool_event *pev; /* pool_step's event buffer */
    uint32_t pev_cap;
    uint32_t *kill_buf; /* slots of requests on a replica being killed */
    uint32_t kill_cap;
    struct gcache *cache;
    uint64_t arrivals; /* all arrivals, measured or not */

    struct trace_src *trace;
    struct trace_rec pending; /* next arrival, valid when has_pending */
    bool has_pending;
    uint64_t next_id;

    struct req *reqs;
    uint64_t *exclude; /* ex_words per request slot */
    uint32_t cap, free_head, live;

    struct gwq_ent *gwq; /* gateway FIFO (power-of-two ring) */
    uint32_t gwq_head, gwq_len, gwq_cap;

    const struct sim_hooks *hooks;
    struct sim_result *res;
    struct hist e2e, qwait;

    /* time series */
    uint32_t ts_cap;
    int64_t ts_end_ns; /* end of the open interval */

    /* Little's law integral over measured requests in the system */
    int64_t live_measured;
    int64_t area_t_ns;
    double area;
    double sojourn_sum_ns;

    char *err;
    size_t errlen;
    int rc;
};

#define SIM_NO_BACKEND UINT32_MAX

static uint64_t env_rand(void *ctx)
{
    return rng_next((struct rng *)ctx);
}

/* ------------------------------------------------------------------ */
/* time series                                                        */

static struct sim_ts_row *ts_row(struct sim *s, int64_t t_ns)
{
    struct sim_result *res = s->res;
    int64_t k = t_ns / s->scn->interval_ns;
    if (k < 0)
        k = 0;
    while ((int64_t)res->n_ts <= k) {
        if (res->n_ts == s->ts_cap) {
            uint32_t ncap = s->ts_cap * 2;
            struct sim_ts_row *n = realloc(res->ts, (size_t)ncap * sizeof *n);
            if (n == NULL)
                return NULL;
            res->ts = n;
            s->ts_cap = ncap;
        }
        struct sim_ts_row *r = &res->ts[res->n_ts];
        memset(r, 0, sizeof *r);
        r->t_ns = (int64_t)res->n_ts * s->scn->interval_ns;
        r->inflight = -1;
        res->n_ts++;
    }
    return &res->ts[k];
}

static uint32_t healthy_backends(struct sim *s, int64_t t_ns)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < s->nb; b++) {
        int st;
        if (s->be[b].absent || (s->be[b].pr != NULL && s->be[b].rep.state != REP_ACTIVE))
            continue;
        if (!api_in_outage(&s->scn->backends[b].api, &s->be[b].api, t_ns, &st))
            n++;
    }
    return n;
}

static int pools_snapshot(struct sim *s, int64_t t_ns, uint32_t *serving);

/* Close every interval that ends at or before t: bill pool replicas up to
 * its end, snapshot in-flight requests, healthy backends and serving
 * replicas at its end. */
static int ts_advance(struct sim *s, int64_t t_ns)
{
    while (t_ns >= s->ts_end_ns) {
        uint32_t serving = 0;
        if (s->n_pools > 0 && pools_snapshot(s, s->ts_end_ns, &serving) != 0)
            return -1;
        struct sim_ts_row *r = ts_row(s, s->ts_end_ns - 1);
        if (r == NULL)
            return -1;
        r->inflight = s->live;
        r->healthy = healthy_backends(s, s->ts_end_ns - 1);
        r->serving = serving;
        s->ts_end_ns += s->scn->interval_ns;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* request pool                                                        */

static int pool_grow(struct sim *s)
{
    uint32_t ncap = s->cap ? s->cap * 2 : REQ_POOL_INITIAL;
    if (ncap <= s->cap)
        return -1;
    struct req *nr = realloc(s->reqs, (size_t)ncap * sizeof *nr);
    if (nr == NULL)
        return -1;
    s->reqs = nr;
    uint64_t *ne = realloc(s->exclude, (size_t)ncap * s->ex_words * sizeof *ne);
    if (ne == NULL)
        return -1;
    s->exclude = ne;
    for (uint32_t i = s->cap; i < ncap; i++) {
        s->reqs[i].state = RS_FREE;
        s->reqs[i].gen = 0;
        s->reqs[i].blocks = NULL;
        s->reqs[i].partner = NO_SLOT;
        s->reqs[i].next_free = i + 1 < ncap ? i + 1 : UINT32_MAX;
    }
    s->free_head = s->cap;
    s->cap = ncap;
    return 0;
}

static uint64_t *req_exclude(struct sim *s, uint32_t idx)
{
    return &s->exclude[(size_t)idx * s->ex_words];
}

static struct route_router *rt(const struct sim *s, const struct req *q)
{
    return s->routers[q->replica];
}

/* The exclude set a request starts with in its current group: every
 * backend that does not serve the group (the gateway resolves the model
 * group before routing, as LiteLLM does). */
static void exclude_init(struct sim *s, uint32_t idx)
{
    uint64_t *ex = req_exclude(s, idx);
    uint32_t g = s->reqs[idx].group;
    if (s->nonmember != NULL && g <= s->scn->n_groups)
        memcpy(ex, &s->nonmember[(size_t)g * s->ex_words], s->ex_words * sizeof *ex);
    else
        memset(ex, 0, s->ex_words * sizeof *ex);
}

/* Map a trace label id to the scenario's id space (cached per id). */
static uint32_t map_label(struct sim *s, enum trace_label_kind k, uint32_t id)
{
    if (id == 0)
        return 0;
    if (id >= s->label_cap[k]) {
        uint32_t ncap = id * 2 + 16;
        uint32_t *n = realloc(s->label_map[k], (size_t)ncap * sizeof *n);
        if (n == NULL)
            return 0; /* out of memory: treated as unlabelled */
        memset(n + s->label_cap[k], 0, (size_t)(ncap - s->label_cap[k]) * sizeof *n);
        s->label_map[k] = n;
        s->label_cap[k] = ncap;
    }
    if (s->label_map[k][id] == 0) {
        const char *str = trace_label(s->trace, k, id);
        uint32_t v = 0;
        if (str != NULL) {
            switch (k) {
            case TRACE_LABEL_MODEL_GROUP:
                v = scn_group_id(s->scn, str); /* unknown groups: the default */
                break;
            case TRACE_LABEL_TASK:
                v = strcmp(str, SCN_TOOL_TASK) == 0 ? 1u : 2u;
                break;
            case TRACE_LABEL_REGION:
                /* a region no backend names matches only backends of any region */
                v = scn_region_id(s->scn, str);
                if (v == 0)
                    v = UINT32_MAX - 1;
                break;
            case TRACE_LABEL_TENANT:
            case TRACE_LABEL_KINDS_:
                v = id;
                break;
            }
        }
        s->label_map[k][id] = v + 1;
    }
    return s->label_map[k][id] - 1;
}

static void signal_queue(struct sim *s, uint32_t b)
{
    for (uint32_t r = 0; r < s->n_routers; r++)
        route_router_set_signals(s->routers[r], b, (int64_t)s->be[b].api.q_live, -1.0, s->now_ns);
}

static bool req_live(void *ctx, uint32_t idx, uint32_t gen)
{
    const struct sim *s = ctx;
    return s->reqs[idx].gen == gen && s->reqs[idx].state != RS_FREE;
}

static int push_ex(struct sim *s, int64_t t_ns, enum ev_kind kind, uint32_t idx, uint32_t gen,
                   uint32_t aux)
{
    struct heap_ev e = {.t_ns = t_ns, .kind = kind, .idx = idx, .gen = gen, .aux = aux};
    if (heap_push(&s->heap, e) != 0) {
        snprintf(s->err, s->errlen, "out of memory (event heap)");
        return -1;
    }
    return 0;
}

static int push(struct sim *s, int64_t t_ns, enum ev_kind kind, uint32_t idx, uint32_t gen)
{
    return push_ex(s, t_ns, kind, idx, gen, 0);
}

/* Little's law: integrate the number of measured requests in the system. */
static void little_step(struct sim *s, int64_t t_ns)
{
    s->area += (double)s->live_measured * (double)(t_ns - s->area_t_ns);
    s->area_t_ns = t_ns;
}

/* ------------------------------------------------------------------ */
/* regions and pool replicas: helpers                                  */

#define NS_PER_HOUR 3.6e12
#define NS_PER_DAY  8.64e13

/* RTT between the request's region and backend b's (`regions: rtt`),
 * added to what the client waits for the first token and the last. */
static int64_t rtt_ns(const struct sim *s, const struct req *q, uint32_t b)
{
    const struct scn_rtt *m = &s->scn->rtt;
    if (m->ns == NULL)
        return 0;
    uint32_t n = s->scn->n_regions + 1;
    uint32_t from = q->rr.region < n ? q->rr.region : 0;
    uint32_t to = s->scn->backends[b].route.region;
    return m->ns[(size_t)from * n + (to < n ? to : 0)];
}

static bool rep_billed(uint8_t st)
{
    return st >= REP_WARMING;
}

static bool rep_up(uint8_t st)
{
    return st >= REP_ACTIVE;
}

/* Periodic and lifecycle events keep being scheduled while they can still
 * matter: until the window's end, or while requests remain. */
static bool work_remains(const struct sim *s)
{
    return s->scn->duration_ns > 0 || s->has_pending || s->live > 0;
}

/* Bill slot b's replica up to t: replica-hours at the pool's hourly price,
 * over the measured window only (like request costs). */
static int accrue(struct sim *s, uint32_t b, int64_t t)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    int64_t from = rp->bill_t > s->scn->warmup_ns ? rp->bill_t : s->scn->warmup_ns;
    bool billed = rep_billed(rp->state);
    rp->bill_t = t;
    if (!billed || t <= from)
        return 0;
    double h = (double)(t - from) / NS_PER_HOUR;
    double c = h * be->pr->cfg->usd_per_hour;
    struct sim_ts_row *row = ts_row(s, t - 1);
    if (row == NULL)
        return -1;
    be->res->replica_hours += h;
    be->res->cost_usd += c;
    be->pr->res->replica_hours += h;
    be->pr->res->cost_usd += c;
    s->res->replica_hours += h;
    s->res->cost_usd += c;
    row->cost_usd += c;
    return 0;
}

static int accrue_all(struct sim *s, int64_t t)
{
    for (uint32_t k = 0; k < s->n_pools; k++) {
        const struct scn_pool *sp = s->pools[k].cfg;
        for (uint32_t i = 0; i < sp->slots; i++)
            if (accrue(s, sp->first_backend + i, t) != 0)
                return -1;
    }
    return 0;
}

static void serving_step(struct sim *s, struct pool_rt *pr)
{
    pr->serving_area += (double)pr->serving * (double)(s->now_ns - pr->serving_t);
    pr->serving_t = s->now_ns;
}

/* Move slot b to state st now: billing, warm-up and serving time, and
 * whether the routers may offer it. */
static int rep_set(struct sim *s, uint32_t b, enum rep_state st)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    struct pool_rt *pr = be->pr;
    if (accrue(s, b, s->now_ns) != 0)
        return -1;
    int64_t in_state = s->now_ns - rp->state_t;
    if (rp->state == REP_WARMING)
        pr->res->warmup_s += (double)in_state / NS_PER_S;
    if (rep_up(rp->state))
        rp->up_ns += in_state;
    bool was = rp->state == REP_ACTIVE, is = st == REP_ACTIVE;
    if (was != is) {
        serving_step(s, pr);
        pr->serving = is ? pr->serving + 1 : pr->serving - 1;
        if (pr->serving < pr->res->min_serving)
            pr->res->min_serving = pr->serving;
        if (pr->serving > pr->res->max_serving)
            pr->res->max_serving = pr->serving;
        for (uint32_t r = 0; r < s->n_routers; r++)
            route_router_set_health(s->routers[r], b, is ? ROUTE_HEALTHY : ROUTE_DOWN);
    }
    rp->state = (uint8_t)st;
    rp->state_t = s->now_ns;
    return 0;
}

/* After any change on slot b's replica: publish its queue and KV signals
 * and (re)schedule its step event if the time moved (lazy cancellation). */
/* At an interval's end t: bill every replica up to t and append each pool's
 * serving count to its series; *serving = the sum. */
static int pools_snapshot(struct sim *s, int64_t t_ns, uint32_t *serving)
{
    if (accrue_all(s, t_ns) != 0)
        return -1;
    *serving = 0;
    for (uint32_t k = 0; k < s->n_pools; k++) {
        struct pool_rt *pr = &s->pools[k];
        if (pr->n_ts == pr->ts_cap) {
            uint32_t ncap = pr->ts_cap ? pr->ts_cap * 2 : TS_INITIAL;
            uint32_t *n = realloc(pr->res->serving_ts, (size_t)ncap * sizeof *n);
            if (n == NULL)
                return -1;
            pr->res->serving_ts = n;
            pr->ts_cap = ncap;
        }
        pr->res->serving_ts[pr->n_ts++] = pr->serving;
        *serving += pr->serving;
    }
    return 0;
}

static int pool_resched(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    const struct pool *p = be->pr->pool;
    int64_t t = pool_next_event(p, be->r);
    int64_t qd = (int64_t)pool_queue_depth(p, be->r);
    double kv = pool_kv_free(p, be->r);
    for (uint32_t r = 0; r < s->n_routers; r++)
        route_router_set_signals(s->routers[r], b, qd, kv, s->now_ns);
    if (t == rp->step_t)
        return 0;
    rp->step_t = t;
    rp->step_gen++;
    if (t < 0)
        return 0;
    return push(s, t, EV_POOL_STEP, b, rp->step_gen);
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
    return pool_resched(s, b);
}

/* ------------------------------------------------------------------ */
/* request end                                                         */

/* Return a slot to the pool without any client-visible effect (a hedge
 * that lost, or a primary whose hedge carries the request on). */
static void release_slot(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    free(q->blocks);
    q->blocks = NULL;
    q->state = RS_FREE;
    q->gen++;
    q->partner = NO_SLOT;
    q->next_free = s->free_head;
    s->free_head = idx;
}

/* The client gets its answer: 200, or the final error. */
static int finish(struct sim *s, uint32_t idx, int http_status, bool gateway_429)
{
    struct req *q = &s->reqs[idx];
    if (q->partner != NO_SLOT) {
        struct req *h = &s->reqs[q->partner];
        if (http_status != 200 && h->state != RS_FREE) {
            /* This attempt chain gave up, but its hedge is still running:
             * the hedge carries the client request from here on. */
            h->is_hedge = false;
            h->partner = NO_SLOT;
            h->queue_wait_ns += q->queue_wait_ns;
            release_slot(s, idx);
            return 0;
        }
        h->partner = NO_SLOT;
    }
    if (q->is_hedge) { /* a hedge that failed on its own: nothing for the client */
        release_slot(s, idx);
        return 0;
    }
    struct sim_result *res = s->res;
    bool ok = http_status == 200;
    if (q->measured) {
        struct sim_ts_row *row = ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        little_step(s, s->now_ns);
        s->live_measured--;
        s->sojourn_sum_ns += (double)(s->now_ns - q->arrival_ns);
        hist_add(&s->qwait, q->queue_wait_ns);
        if (ok) {
            res->completed++;
            row->completed++;
            hist_add(&res->ttft_hist, q->first_token_ns - q->arrival_ns);
            hist_add(&s->e2e, s->now_ns - q->arrival_ns);
            row->ttft_sum_s += (double)(q->first_token_ns - q->arrival_ns) / NS_PER_S;
        } else {
            res->failed++;
            row->failed++;
            if (http_status == 429) {
                row->client_429++;
                if (gateway_429)
                    res->client_429_gateway++;
                else
                    res->client_429_provider++;
            }
        }
    }
    if (s->hooks && s->hooks->on_request) {
        struct sim_req_record rec = {
            .id = q->rr.id,
            .arrival_ns = q->arrival_ns,
            .first_token_ns = ok ? q->first_token_ns : -1,
            .done_ns = s->now_ns,
            .queue_wait_ns = q->queue_wait_ns,
            .input_tokens = q->rr.input_tokens,
            .output_tokens = q->rr.output_tokens,
            .attempts = q->rr.attempt,
            .final_status = http_status,
            .backend = q->backend,
            .measured = q->measured,
        };
        s->hooks->on_request(s->hooks->ctx, &rec);
    }
    release_slot(s, idx);
    s->live--;
    return 0;
}

/* ------------------------------------------------------------------ */
/* attempts                                                            */

static int route_req(struct sim *s, uint32_t idx);
static int gateway_wake(struct sim *s);

static bool untried_left(struct sim *s, uint32_t idx)
{
    const struct route_view *v = route_router_view(rt(s, &s->reqs[idx]));
    const uint64_t *ex = req_exclude(s, idx);
    for (uint32_t b = 0; b < v->n; b++)
        if (route_usable(v, ex, b))
            return true;
    return false;
}

/* Bill an attempt to its backend (and the run, if measured). */
static int bill(struct sim *s, struct req *q, uint32_t b, bool ok, int64_t produced)
{
    double c =
        api_cost(&s->scn->backends[b].api, q->rr.input_tokens, q->rr.output_tokens, produced, ok);
    if (c != 0.0) /* budgets count every dollar billed */
        for (uint32_t r = 0; r < s->n_routers; r++)
            route_router_add_cost(s->routers[r], b, c, s->now_ns);
    if (q->measured && c != 0.0) {
        struct sim_ts_row *row = ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        s->be[b].res->cost_usd += c;
        s->res->cost_usd += c;
        row->cost_usd += c;
    }
    return 0;
}

/* The current attempt of request idx failed with `cls`. */
/* Switch request idx to its next fallback group for a failure of class
 * ec; true if there was one (the request is routed again now). */
static int try_fallback(struct sim *s, uint32_t idx, enum route_error_class ec, bool *done)
{
    struct req *q = &s->reqs[idx];
    const struct route_fallbacks *f = &s->scn->router.fallbacks;
    *done = false;
    if (f->n_rules == 0 || q->is_hedge)
        return 0;
    int64_t g = route_fallback_target(f, q->origin_group, ec, q->fallbacks_done);
    if (g < 0)
        return 0;
    q->fallbacks_done++;
    q->group = (uint32_t)g;
    q->rr.model_group = (uint32_t)g;
    q->rr.fallback_depth = q->fallbacks_done;
    q->rr.attempt = 0; /* each fallback group gets its own retries (LiteLLM) */
    memset(q->fails_of, 0, sizeof q->fails_of);
    exclude_init(s, idx);
    if (q->measured)
        s->res->fallbacks++;
    q->state = RS_BACKOFF;
    *done = true;
    return push(s, s->now_ns, EV_ROUTE, idx, q->gen);
}

static int attempt_failed(struct sim *s, uint32_t idx, enum route_status cls, int http,
                          int64_t retry_after_ns, int64_t ttft_ns, enum route_error_class ec)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct sim_backend_result *br = s->be[b].res;
    if (q->measured) {
        struct sim_ts_row *row = ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        if (cls == ROUTE_RATE_LIMITED) {
            br->upstream_429++;
            s->res->upstream_429++;
            row->upstream_429++;
        } else {
            br->errors++;
            row->errors++;
            if (cls == ROUTE_TIMEOUT) {
                br->timeouts++;
                s->res->timeouts++;
            }
        }
    }
    struct route_outcome out = {
        .error_class = ec,
        .status = cls,
        .http_status = http,
        .latency_ns = s->now_ns - q->attempt_ns,
        .ttft_ns = ttft_ns,
        .input_tokens = q->rr.input_tokens,
        .output_tokens = 0,
        .retry_after_ns = retry_after_ns,
    };
    route_router_complete(rt(s, q), b, &q->rr, &out, &s->env);
    q->gen++; /* drop the attempt's pending events */
    if (q->fails_of[cls] < UINT16_MAX)
        q->fails_of[cls]++;
    if (q->is_hedge) /* a hedge gets no retries: its primary goes on */
        return finish(s, idx, http, false);

    bool done = false;
    /* Context-window and content-policy failures skip retries when a
     * fallback of their class exists (LiteLLM should_retry_this_error). */
    if (ec != ROUTE_EC_GENERIC) {
        if (try_fallback(s, idx, ec, &done) != 0)
            return -1;
        if (done)
            return 0;
    }
    const struct route_retry *pol = &s->scn->router.retry;
    int64_t delay = -1;
    if (route_retry_should_class(pol, q->rr.attempt, q->fails_of[cls], cls)) {
        struct rng jr;
        rng_keyed(&jr, s->seed, RNG_BACKOFF, q->rr.id, q->rr.attempt, q->fallbacks_done);
        delay = route_retry_delay_ex(pol, q->rr.attempt, cls, retry_after_ns, q->waited_ns,
                                     rng_unit(&jr), untried_left(s, idx));
    }
    if (delay < 0) { /* no retry (or the Retry-After budget is spent): fall back or give up */
        if (try_fallback(s, idx, ec, &done) != 0)
            return -1;
        return done ? 0 : finish(s, idx, http, false);
    }
    if (q->measured)
        s->res->retries++;
    q->waited_ns += delay;
    q->state = RS_BACKOFF;
    return push(s, s->now_ns + delay, EV_ROUTE, idx, q->gen);
}

/* Service starts for the current attempt (admitted now or dequeued). */
static int start_service(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct rng r;
    rng_keyed(&r, s->seed, RNG_LATENCY, q->rr.id, b, q->rr.attempt);
    api_draw(&s->scn->backends[b].api, &s->be[b].api, &r, s->now_ns, q->rr.input_tokens,
             q->rr.output_tokens, &q->draw);
    q->state = RS_SERVICE;
    if (q->draw.hang) /* no first token ever: only the attempt timeout ends it */
        return 0;
    q->draw.ttft_ns += rtt_ns(s, q, b);
    return push(s, s->now_ns + q->draw.ttft_ns, q->draw.fail ? EV_FAIL : EV_FIRST_TOKEN, idx,
                q->gen);
}

/* A backend slot was freed: hand it to the next live queued attempt. */
static int backend_release(struct sim *s, uint32_t b)
{
    uint32_t idx, gen;
    int64_t enq;
    if (s->be[b].pr != NULL)
        return 0; /* a pool replica admits from its own queue */
    if (!api_release(&s->be[b].api, req_live, s, &idx, &gen, &enq))
        return 0;
    struct req *q = &s->reqs[idx];
    q->queue_wait_ns += s->now_ns - enq;
    signal_queue(s, b);
    return start_service(s, idx);
}

/* Service starts on a pool replica: the backend's fault draws (error rate,
 * brownout errors, hangs; keyed like an API attempt's), then the replica's
 * queue.  *ended is set when the attempt ended at once: a request larger
 * than the replica's KV cache can never run and answers 400
 * context_length_exceeded, which context-window fallbacks route. */
static int pool_start(struct sim *s, uint32_t idx, bool *ended)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct backend_rt *be = &s->be[b];
    const struct fault_cfg *fc = &s->scn->backends[b].api.faults;
    struct rng r;
    rng_keyed(&r, s->seed, RNG_LATENCY, q->rr.id, b, q->rr.attempt);
    bool base_fail = rng_unit(&r) < fc->error_rate;
    struct fault_draw fd;
    fault_draw_attempt(fc, &be->api.faults, s->now_ns, &r, &fd);
    *ended = false;
    q->state = RS_SERVICE;
    memset(&q->draw, 0, sizeof q->draw);
    if (base_fail || fd.fail) {
        q->draw.fail = true;
        q->draw.http_status = base_fail ? fc->error_status : fd.http_status;
        return push(s, s->now_ns + rtt_ns(s, q, b), EV_FAIL, idx, q->gen);
    }
    if (fd.hang) {
        q->draw.hang = true;
        q->at_pool = AT_POOL_HUNG;
        return 0;
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
        *ended = true;
        return attempt_failed(s, idx, ROUTE_CLIENT_ERROR, 400, -1, -1, ROUTE_EC_CONTEXT_WINDOW);
    }
    if (rc != POOL_OK) {
        snprintf(s->err, s->errlen, "%s: %s", be->pr->cfg->name,
                 rc == POOL_ENOMEM ? "out of memory (pool)" : "internal error: pool_enqueue");
        return -1;
    }
    q->at_pool = AT_POOL_IN;
    return pool_resched(s, b);
}

/* Hedged requests: after the first attempt of a client request is sent,
 * schedule a hedge check at the configured delay (fixed, or the current
 * percentile of observed attempt TTFTs). */
static int hedge_schedule(struct sim *s, uint32_t idx)
{
    const struct scn_hedge *h = &s->scn->router.hedge;
    struct req *q = &s->reqs[idx];
    if (q->is_hedge || q->rr.attempt != 1 || q->fallbacks_done > 0 ||
        q->hedges_done >= h->max_hedges || (h->after_ns == 0 && h->percentile == 0))
        return 0;
    int64_t delay = h->after_ns > 0 ? h->after_ns : s->hedge_delay_ns;
    if (delay <= 0)
        return 0; /* percentile mode before any TTFT was observed */
    return push(s, s->now_ns + delay, EV_HEDGE, idx, q->gen);
}

static int dispatch(struct sim *s, uint32_t idx, uint32_t b)
{
    struct req *q = &s->reqs[idx];
    const struct scn_backend *sb = &s->scn->backends[b];
    q->rr.attempt++;
    q->backend = (int32_t)b;
    q->attempt_ns = s->now_ns;
    route_exclude_set(req_exclude(s, idx), b);
    if (q->measured) {
        struct sim_ts_row *row = ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        s->res->attempts++;
        s->be[b].res->attempts++;
        row->attempts++;
        uint32_t rr = q->rr.region, br = sb->route.region;
        if (rr != 0 && br != 0 && rr != br)
            s->res->cross_region_attempts++;
    }
    route_router_dispatch(rt(s, q), b, &q->rr, &s->env);

    int64_t retry_after = -1;
    int http = 0;
    struct rng fr, *frp = NULL; /* admission faults (429 storms), keyed per attempt */
    if (sb->api.faults.n_storms > 0) {
        rng_keyed(&fr, s->seed, RNG_FAULTS, q->rr.id, b, q->rr.attempt);
        frp = &fr;
    }
    enum api_admit a = api_admit(&sb->api, &s->be[b].api, frp, s->now_ns, q->rr.input_tokens,
                                 q->rr.max_tokens, idx, q->gen, &retry_after, &http);
    switch (a) {
    case API_RATE_LIMITED:
        return attempt_failed(s, idx, ROUTE_RATE_LIMITED, http, retry_after, -1, ROUTE_EC_GENERIC);
    case API_UNAVAILABLE:
        return attempt_failed(s, idx, ROUTE_SERVER_ERROR, http, -1, -1, ROUTE_EC_GENERIC);
    case API_CONTEXT_WINDOW:
        return attempt_failed(s, idx, ROUTE_CLIENT_ERROR, http, -1, -1, ROUTE_EC_CONTEXT_WINDOW);
    case API_QUEUED:
        q->state = RS_BACKEND_QUEUE;
        q->wait_start_ns = s->now_ns;
        signal_queue(s, b);
        break;
    case API_ACCEPT:
        if (s->be[b].pr != NULL) { /* a pool: the first token's time emerges later */
            bool ended = false;
            if (pool_start(s, idx, &ended) != 0)
                return -1;
            if (ended)
                return 0;
            break;
        }
        if (start_service(s, idx) != 0)
            return -1;
        /* Admitted now: the first token (or error) comes at ttft_ns after
         * dispatch, already drawn.  A timeout that cannot fire first is not
         * scheduled; one event fewer per request (the first-token event
         * was pushed earlier, so on a tie it fires first either way). */
        if (q->draw.ttft_ns <= s->scn->router.attempt_timeout_ns)
            return hedge_schedule(s, idx);
        break;
    }
    if (hedge_schedule(s, idx) != 0)
        return -1;
    if (s->scn->router.attempt_timeout_ns > 0)
        return push(s, s->now_ns + s->scn->router.attempt_timeout_ns, EV_TIMEOUT, idx, q->gen);
    return 0;
}

static int gwq_push(struct sim *s, uint32_t idx)
{
    if (s->gwq_len == s->gwq_cap) {
        uint32_t ncap = s->gwq_cap ? s->gwq_cap * 2 : 64u;
        struct gwq_ent *n = malloc((size_t)ncap * sizeof *n);
        if (n == NULL)
            return -1;
        for (uint32_t i = 0; i < s->gwq_len; i++)
            n[i] = s->gwq[(s->gwq_head + i) & (s->gwq_cap - 1)];
        free(s->gwq);
        s->gwq = n;
        s->gwq_cap = ncap;
        s->gwq_head = 0;
    }
    s->gwq[(s->gwq_head + s->gwq_len) & (s->gwq_cap - 1)] =
        (struct gwq_ent){.idx = idx, .gen = s->reqs[idx].gen};
    s->gwq_len++;
    return 0;
}

/* Route request idx now. */
static int route_req(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint64_t *ex = req_exclude(s, idx);
    int32_t pick = route_router_pick(rt(s, q), &q->rr, &s->env, ex);
    if (pick == ROUTE_NONE && q->rr.attempt > 0) {
        /* Every usable backend has been tried: a retry may go back to one
         * (LiteLLM retries within the same group the same way). */
        exclude_init(s, idx);
        pick = route_router_pick(rt(s, q), &q->rr, &s->env, ex);
    }
    if (pick == ROUTE_NONE) {
        /* "No deployments available": a fallback group may still serve. */
        bool done = false;
        if (try_fallback(s, idx, ROUTE_EC_GENERIC, &done) != 0)
            return -1;
        return done ? 0 : finish(s, idx, 429, true);
    }
    if (pick == ROUTE_FULL) {
        q->state = RS_GATEWAY_QUEUE;
        q->wait_start_ns = s->now_ns;
        if (gwq_push(s, idx) != 0) {
            snprintf(s->err, s->errlen, "out of memory (gateway queue)");
            return -1;
        }
        if (s->scn->router.queue_timeout_ns > 0)
            return push(s, s->now_ns + s->scn->router.queue_timeout_ns, EV_QUEUE_TIMEOUT, idx,
                        q->gen);
        return 0;
    }
    return dispatch(s, idx, (uint32_t)pick);
}

/* Capacity was freed: route waiting requests in FIFO order while the
 * router has room (head-of-line: the head blocks the rest). */
static int gateway_wake(struct sim *s)
{
    while (s->gwq_len > 0) {
        struct gwq_ent e = s->gwq[s->gwq_head];
        struct req *q = &s->reqs[e.idx];
        if (q->gen != e.gen || q->state != RS_GATEWAY_QUEUE) {
            s->gwq_head = (s->gwq_head + 1) & (s->gwq_cap - 1);
            s->gwq_len--;
            continue;
        }
        int32_t pick = route_router_pick(rt(s, q), &q->rr, &s->env, req_exclude(s, e.idx));
        if (pick == ROUTE_FULL)
            return 0;
        s->gwq_head = (s->gwq_head + 1) & (s->gwq_cap - 1);
        s->gwq_len--;
        q->queue_wait_ns += s->now_ns - q->wait_start_ns;
        int rc =
            pick == ROUTE_NONE ? finish(s, e.idx, 429, true) : dispatch(s, e.idx, (uint32_t)pick);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* event handlers                                                      */

static int read_next(struct sim *s)
{
    int rc = trace_next(s->trace, &s->pending, s->err, s->errlen);
    if (rc < 0)
        return -1;
    s->has_pending = rc > 0;
    if (s->has_pending && s->scn->duration_ns > 0 && s->pending.arrival_ns >= s->scn->duration_ns)
        s->has_pending = false;
    if (s->has_pending)
        return push(s, s->pending.arrival_ns, EV_ARRIVAL, 0, 0);
    return 0;
}

static int on_arrival(struct sim *s)
{
    if (s->free_head == UINT32_MAX && pool_grow(s) != 0) {
        snprintf(s->err, s->errlen, "out of memory (request pool)");
        return -1;
    }
    uint32_t idx = s->free_head;
    struct req *q = &s->reqs[idx];
    s->free_head = q->next_free;
    s->live++;
    const struct trace_rec *t = &s->pending;
    uint32_t gen = q->gen;
    memset(q, 0, sizeof *q);
    q->gen = gen;
    q->rr.id = s->next_id++;
    q->rr.input_tokens = t->input_tokens;
    q->rr.output_tokens = t->output_tokens;
    /* TPM is charged with max_tokens at admission: the trace's value when it
     * has one, else the tokens the request will actually produce. */
    q->rr.max_tokens = t->max_tokens > 0 ? t->max_tokens : t->output_tokens;
    q->rr.session = t->session;
    q->rr.priority = t->priority;
    q->rr.model_group = t->label[TRACE_LABEL_MODEL_GROUP];
    q->rr.task = t->label[TRACE_LABEL_TASK];
    q->rr.tenant = t->label[TRACE_LABEL_TENANT];
    q->rr.region = t->label[TRACE_LABEL_REGION];
    q->arrival_ns = s->now_ns;
    q->first_token_ns = -1;
    q->backend = -1;
    q->partner = NO_SLOT;
    q->replica = (uint32_t)(q->rr.id % s->n_routers);
    q->rr.model_group = map_label(s, TRACE_LABEL_MODEL_GROUP, t->label[TRACE_LABEL_MODEL_GROUP]);
    if (q->rr.model_group == 0)
        q->rr.model_group = s->scn->router.default_group;
    q->origin_group = q->group = q->rr.model_group;
    q->rr.task = map_label(s, TRACE_LABEL_TASK, t->label[TRACE_LABEL_TASK]);
    q->rr.region = map_label(s, TRACE_LABEL_REGION, t->label[TRACE_LABEL_REGION]);
    if (t->n_blocks > 0) {
        q->blocks = malloc((size_t)t->n_blocks * sizeof *q->blocks);
        if (q->blocks == NULL) {
            snprintf(s->err, s->errlen, "out of memory (prefix blocks)");
            return -1;
        }
        memcpy(q->blocks, t->blocks, (size_t)t->n_blocks * sizeof *q->blocks);
        q->rr.blocks = q->blocks;
        q->rr.n_blocks = t->n_blocks;
    }
    q->measured = s->now_ns >= s->scn->warmup_ns;
    exclude_init(s, idx);
    if (q->measured) {
        struct sim_ts_row *row = ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        little_step(s, s->now_ns);
        s->live_measured++;
        s->res->requests++;
        row->arrivals++;
    } else {
        s->res->unmeasured++;
    }
    s->arrivals++;
    uint64_t trace_key = t->cache_key;
    if (read_next(s) != 0)
        return -1;
    if (s->cache != NULL) {
        /* The gateway's response cache answers before any routing: same
         * draws for every strategy (keyed by the request). */
        struct rng cr;
        int64_t lat = 0;
        rng_keyed(&cr, s->seed, RNG_CACHE, q->rr.id, 0, 0);
        q->cache_key = gcache_key(s->cache, trace_key, &cr);
        enum gcache_result hit = gcache_lookup(s->cache, q->cache_key, s->now_ns, &cr, &lat);
        if (q->measured) {
            s->res->cache_lookups++;
            s->res->cache_l1_hits += hit == GCACHE_L1;
            s->res->cache_l2_hits += hit == GCACHE_L2;
            s->res->cache_semantic_hits += hit == GCACHE_SEMANTIC;
        }
        if (hit != GCACHE_MISS) {
            q->state = RS_SERVICE;
            return push(s, s->now_ns + lat, EV_CACHE_HIT, idx, q->gen);
        }
    }
    return route_req(s, idx);
}

/* An attempt TTFT for the hedge delay estimate.  A cancelled attempt is
 * right-censored (its TTFT is at least the time it ran); counting that time
 * keeps the estimate from drifting low, since losers are the slow ones. */
static void hedge_observe(struct sim *s, int64_t ttft_ns)
{
    if (s->scn->router.hedge.percentile <= 0)
        return;
    hist_add(&s->att_ttft, ttft_ns);
    if (++s->att_since >= HEDGE_REFRESH_SAMPLES) {
        s->att_since = 0;
        s->hedge_delay_ns = hist_quantile(&s->att_ttft, s->scn->router.hedge.percentile);
    }
}

/* Cancel the attempt of slot idx wherever it is (a hedge race was lost). */
static int cancel_attempt(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = q->backend >= 0 ? (uint32_t)q->backend : 0;
    bool in_service = q->state == RS_SERVICE;
    if (in_service || q->state == RS_BACKEND_QUEUE)
        hedge_observe(s, s->now_ns - q->attempt_ns);
    if (q->state == RS_BACKEND_QUEUE) {
        api_queue_cancelled(&s->be[b].api);
        signal_queue(s, b);
    }
    if (in_service || q->state == RS_BACKEND_QUEUE) {
        const struct scn_backend *sb = &s->scn->backends[b];
        api_complete(&sb->api, &s->be[b].api, s->now_ns, q->rr.max_tokens, 0);
        double c = sb->api.price_input * (double)q->rr.input_tokens;
        if (in_service && s->scn->router.hedge.bill_loser != API_BILL_NOTHING && c > 0) {
            for (uint32_t r = 0; r < s->n_routers; r++)
                route_router_add_cost(s->routers[r], b, c, s->now_ns);
            if (q->measured) {
                struct sim_ts_row *row = ts_row(s, s->now_ns);
                if (row == NULL)
                    return -1;
                s->be[b].res->cost_usd += c;
                s->res->cost_usd += c;
                row->cost_usd += c;
            }
        }
        struct route_outcome out = {
            .error_class = ROUTE_EC_GENERIC,
            .status = ROUTE_CANCELLED,
            .http_status = 499, /* client closed the request (nginx) */
            .latency_ns = s->now_ns - q->attempt_ns,
            .ttft_ns = -1,
            .input_tokens = q->rr.input_tokens,
            .output_tokens = 0,
            .retry_after_ns = -1,
        };
        route_router_complete(rt(s, q), b, &q->rr, &out, &s->env);
    }
    if (q->at_pool != AT_POOL_NONE && pool_leave(s, idx) != 0)
        return -1;
    release_slot(s, idx);
    if (in_service && backend_release(s, b) != 0)
        return -1;
    return 0;
}

/* Slot idx got its first token while linked to a hedge partner: it wins
 * the race, the partner is cancelled, and a winning hedge becomes the
 * client request. */
static int hedge_resolve(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t other = q->partner;
    q->partner = NO_SLOT;
    s->reqs[other].partner = NO_SLOT;
    if (q->is_hedge) {
        q->is_hedge = false;
        q->queue_wait_ns += s->reqs[other].queue_wait_ns;
        if (q->measured)
            s->res->hedge_wins++;
    }
    return cancel_attempt(s, other);
}

/* EV_HEDGE: the first attempt of idx still has no first token: send a
 * copy to another backend. */
static int on_hedge(struct sim *s, uint32_t idx)
{
    struct req *p = &s->reqs[idx];
    if ((p->state != RS_SERVICE && p->state != RS_BACKEND_QUEUE) || p->partner != NO_SLOT)
        return 0;
    if (s->free_head == UINT32_MAX && pool_grow(s) != 0) {
        snprintf(s->err, s->errlen, "out of memory (request pool)");
        return -1;
    }
    p = &s->reqs[idx]; /* the pool may have moved */
    uint32_t h = s->free_head;
    struct req *q = &s->reqs[h];
    s->free_head = q->next_free;
    uint32_t gen = q->gen;
    *q = *p;
    q->gen = gen;
    q->is_hedge = true;
    q->partner = idx;
    q->at_pool = AT_POOL_NONE; /* the copy is not on the primary's replica */
    q->blocks = NULL;
    if (p->blocks != NULL) {
        q->blocks = malloc((size_t)p->rr.n_blocks * sizeof *q->blocks);
        if (q->blocks == NULL) {
            snprintf(s->err, s->errlen, "out of memory (prefix blocks)");
            return -1;
        }
        memcpy(q->blocks, p->blocks, (size_t)p->rr.n_blocks * sizeof *q->blocks);
        q->rr.blocks = q->blocks;
    }
    memcpy(req_exclude(s, h), req_exclude(s, idx), s->ex_words * sizeof(uint64_t));
    p->hedges_done++;
    q->hedges_done = p->hedges_done;
    int32_t pick = route_router_pick(rt(s, q), &q->rr, &s->env, req_exclude(s, h));
    if (pick < 0) { /* nowhere else to send it */
        release_slot(s, h);
        return 0;
    }
    p->partner = h;
    if (q->measured)
        s->res->hedges++;
    return dispatch(s, h, (uint32_t)pick);
}

static int on_first_token(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    q->state = RS_STREAMING;
    if (q->first_token_ns < 0) /* a migrated stream keeps its client's first token */
        q->first_token_ns = s->now_ns;
    route_router_first_token(rt(s, q), b, &q->rr, s->now_ns - q->attempt_ns, &s->env);
    hedge_observe(s, s->now_ns - q->attempt_ns);
    if (q->partner != NO_SLOT && hedge_resolve(s, idx) != 0)
        return -1;
    if (s->be[b].pr != NULL)
        return 0; /* the replica's step emits the last token */
    return push(s, s->now_ns + q->draw.decode_ns, EV_DONE, idx, q->gen);
}

static int on_done(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    if (q->measured)
        s->be[b].res->successes++;
    api_complete(&s->scn->backends[b].api, &s->be[b].api, s->now_ns, q->rr.max_tokens,
                 q->rr.output_tokens);
    if (bill(s, q, b, true, q->rr.output_tokens) != 0)
        return -1;
    struct route_outcome out = {
        .status = ROUTE_OK,
        .http_status = 200,
        .latency_ns = s->now_ns - q->attempt_ns,
        .ttft_ns = q->first_token_ns - q->attempt_ns,
        .input_tokens = q->rr.input_tokens,
        .output_tokens = q->rr.output_tokens,
        .retry_after_ns = -1,
    };
    route_router_complete(rt(s, q), b, &q->rr, &out, &s->env);
    if (s->cache != NULL && q->cache_key != 0)
        gcache_insert(s->cache, q->cache_key, s->now_ns);
    if (finish(s, idx, 200, false) != 0)
        return -1;
    if (backend_release(s, b) != 0)
        return -1;
    return gateway_wake(s);
}

static int on_fail(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    api_complete(&s->scn->backends[b].api, &s->be[b].api, s->now_ns, q->rr.max_tokens, 0);
    if (bill(s, q, b, false, 0) != 0)
        return -1;
    enum route_status cls = q->draw.http_status == 429   ? ROUTE_RATE_LIMITED
                            : q->draw.http_status >= 500 ? ROUTE_SERVER_ERROR
                                                         : ROUTE_CLIENT_ERROR;
    enum route_error_class ec = q->draw.content_policy ? ROUTE_EC_CONTENT_POLICY : ROUTE_EC_GENERIC;
    if (attempt_failed(s, idx, cls, q->draw.http_status, -1, -1, ec) != 0)
        return -1;
    if (backend_release(s, b) != 0)
        return -1;
    return gateway_wake(s);
}

static int on_timeout(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    bool in_service = q->state == RS_SERVICE;
    if (q->state == RS_BACKEND_QUEUE) {
        api_queue_cancelled(&s->be[b].api);
        q->queue_wait_ns += s->now_ns - q->wait_start_ns;
    } else if (in_service) {
        if (bill(s, q, b, false, 0) != 0)
            return -1;
    } else {
        return 0; /* streaming already: the timeout is to the first token */
    }
    if (q->at_pool != AT_POOL_NONE && pool_leave(s, idx) != 0)
        return -1;
    api_complete(&s->scn->backends[b].api, &s->be[b].api, s->now_ns, q->rr.max_tokens, 0);
    if (attempt_failed(s, idx, ROUTE_TIMEOUT, 408, -1, -1, ROUTE_EC_GENERIC) != 0)
        return -1;
    if (in_service && backend_release(s, b) != 0)
        return -1;
    return gateway_wake(s);
}

static int on_queue_timeout(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    if (q->state != RS_GATEWAY_QUEUE)
        return 0;
    q->queue_wait_ns += s->now_ns - q->wait_start_ns;
    return finish(s, idx, 429, true);
}

/* ------------------------------------------------------------------ */
/* pool replicas: steps, reclaims, autoscaling                         */

static int retire(struct sim *s, uint32_t b);

/* EV_POOL_STEP: slot b's step ends.  A brownout slows the next step down
 * by its latency_x; first tokens and completions reach the client one RTT
 * later when the regions are apart. */
static int on_pool_step(struct sim *s, uint32_t b)
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
    if (pool_step(p, be->r, s->now_ns, s->pev, s->pev_cap, &n) != POOL_OK) {
        snprintf(s->err, s->errlen, "internal error: pool %s step", be->pr->cfg->name);
        return -1;
    }
    if (pool_resched(s, b) != 0)
        return -1;
    for (uint32_t k = 0; k < n; k++) {
        const struct pool_event *ev = &s->pev[k];
        struct req *q = &s->reqs[ev->idx];
        if (q->gen != ev->gen || q->at_pool != AT_POOL_IN || q->backend != (int32_t)b)
            continue; /* cannot happen: every attempt that leaves is cancelled */
        int64_t d = rtt_ns(s, q, b);
        int rc;
        if (ev->kind == POOL_EV_FIRST_TOKEN) {
            q->queue_wait_ns += ev->admit_ns - q->attempt_ns;
            rc = d > 0 ? push(s, s->now_ns + d, EV_FIRST_TOKEN, ev->idx, q->gen)
                       : on_first_token(s, ev->idx);
        } else {
            q->at_pool = AT_POOL_NONE;
            rc = d > 0 ? push(s, s->now_ns + d, EV_DONE, ev->idx, q->gen) : on_done(s, ev->idx);
        }
        if (rc != 0)
            return -1;
    }
    if (be->rep.state == REP_DRAINING && pool_running(p, be->r) == 0 &&
        pool_queue_depth(p, be->r) == 0)
        return retire(s, b);
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
        route_router_complete(rt(s, q), b, &q->rr, &out, &s->env);
        q->gen++; /* drop the attempt's pending events */
        q->rr.attempt--;
        q->state = RS_BACKOFF;
        return push(s, s->now_ns, EV_ROUTE, idx, q->gen);
    }
    if (q->state == RS_STREAMING) {
        if (q->measured) {
            struct sim_ts_row *row = ts_row(s, s->now_ns);
            if (row == NULL)
                return -1;
            s->be[b].res->errors++;
            row->errors++;
        }
        out.status = ROUTE_SERVER_ERROR;
        route_router_complete(rt(s, q), b, &q->rr, &out, &s->env);
        q->gen++;
        return finish(s, idx, 503, false);
    }
    return attempt_failed(s, idx, ROUTE_SERVER_ERROR, 503, -1, -1, ROUTE_EC_GENERIC);
}

/* Kill every request slot b's replica holds, then empty the replica (a
 * new machine starts with a cold prefix cache).  O(request slots): runs
 * once per reclaim or retirement. */
static int kill_replica(struct sim *s, uint32_t b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->cap; i++) {
        const struct req *q = &s->reqs[i];
        if (q->state == RS_FREE || q->at_pool == AT_POOL_NONE || q->backend != (int32_t)b)
            continue;
        if (n + 2 > s->kill_cap) {
            uint32_t ncap = s->kill_cap ? s->kill_cap * 2 : 64u;
            uint32_t *nb = realloc(s->kill_buf, (size_t)ncap * sizeof *nb);
            if (nb == NULL) {
                snprintf(s->err, s->errlen, "out of memory (preemption)");
                return -1;
            }
            s->kill_buf = nb;
            s->kill_cap = ncap;
        }
        s->kill_buf[n++] = i;
        s->kill_buf[n++] = q->gen;
    }
    for (uint32_t k = 0; k < n; k += 2) {
        uint32_t idx = s->kill_buf[k];
        const struct req *q = &s->reqs[idx];
        if (q->gen != s->kill_buf[k + 1] || q->at_pool == AT_POOL_NONE || q->backend != (int32_t)b)
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
    return pool_resched(s, b);
}

/* A draining replica is empty: release the machine. */
static int retire(struct sim *s, uint32_t b)
{
    if (kill_replica(s, b) != 0) /* hung attempts, if any */
        return -1;
    return rep_set(s, b, REP_OFF);
}

/* Slot b was reclaimed: kill what it holds, and ask for a replacement
 * machine unless the pool has none (replacement_delay: none). */
static int reclaim(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    if (kill_replica(s, b) != 0)
        return -1;
    int64_t delay = be->pr->cfg->spot.replacement_delay_ns;
    if (delay < 0)
        return rep_set(s, b, REP_OFF);
    if (rep_set(s, b, REP_PENDING) != 0)
        return -1;
    be->rep.life_gen++;
    return push(s, s->now_ns + delay, EV_REPLICA, b, be->rep.life_gen);
}

/* A spot reclaim of slot b: a billed replica gets its notice (no new
 * work; what it holds runs on until the deadline).  A warming replica
 * holds nothing and goes at once. */
static int preempt(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    if (!rep_billed(rp->state) || rp->state == REP_NOTICE)
        return 0;
    be->pr->res->preemptions++;
    s->res->preemptions++;
    rp->life_gen++; /* a pending warm-up end no longer applies */
    int64_t notice = be->pr->cfg->spot.notice_ns;
    if (notice <= 0 || rp->state == REP_WARMING)
        return reclaim(s, b);
    if (rep_set(s, b, REP_NOTICE) != 0)
        return -1;
    return push(s, s->now_ns + notice, EV_REPLICA, b, rp->life_gen);
}

/* EV_PREEMPT: a reclaim from the schedule (aux 1) or from the slot's
 * Poisson process of preemptions_per_day (aux 0: draws the next one). */
static int preempt_next(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct rng r;
    rng_keyed(&r, s->seed, RNG_PREEMPT, b, 0, be->rep.preempt_k++);
    double mean_ns = NS_PER_DAY / be->pr->cfg->spot.preemptions_per_day;
    double gap = -log1p(-rng_unit(&r)) * mean_ns;
    if (gap < 1.0)
        gap = 1.0;
    if (gap >= (double)(INT64_MAX - s->now_ns))
        return 0; /* never, in practice */
    return push_ex(s, s->now_ns + (int64_t)gap, EV_PREEMPT, b, 0, 0);
}

static int on_preempt(struct sim *s, uint32_t b, uint32_t aux)
{
    if (aux == 0 && work_remains(s) && preempt_next(s, b) != 0)
        return -1;
    return preempt(s, b);
}

/* Start slot b's replica: a model load (billed, not serving), then it
 * serves. */
static int rep_start(struct sim *s, uint32_t b)
{
    struct replica_rt *rp = &s->be[b].rep;
    if (rp->state == REP_DRAINING) /* still loaded: serves again at once */
        return rep_set(s, b, REP_ACTIVE);
    if (rep_set(s, b, REP_WARMING) != 0)
        return -1;
    rp->life_gen++;
    return push(
        s, s->now_ns + s->be[b].pr->cfg->autoscale.warmup_ns /* filled even without autoscale */,
        EV_REPLICA, b, rp->life_gen);
}

/* EV_REPLICA: slot b's lifecycle timer. */
static int on_replica(struct sim *s, uint32_t b, uint32_t gen)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    if (gen != rp->life_gen)
        return 0;
    switch ((enum rep_state)rp->state) {
    case REP_NOTICE:
        return reclaim(s, b);
    case REP_PENDING: {
        const struct scn_spot *sp = &be->pr->cfg->spot;
        struct rng r;
        rng_keyed(&r, s->seed, RNG_PREEMPT, b, 1, rp->preempt_k++);
        if (rng_unit(&r) < sp->stockout_p) { /* no capacity: ask again later */
            be->pr->res->stockouts++;
            if (!work_remains(s))
                return 0;
            rp->life_gen++;
            return push(s, s->now_ns + sp->replacement_delay_ns, EV_REPLICA, b, rp->life_gen);
        }
        be->pr->res->replacements++;
        return rep_start(s, b);
    }
    case REP_WARMING:
        if (rep_set(s, b, REP_ACTIVE) != 0)
            return -1;
        return pool_resched(s, b); /* publish its signals */
    case REP_OFF:
    case REP_ACTIVE:
    case REP_DRAINING:
        break;
    }
    return 0;
}

/* Scale-down: stop slot b taking work; it is released once empty. */
static int rep_stop(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    rp->life_gen++;
    if (rp->state == REP_PENDING || rp->state == REP_WARMING)
        return rep_set(s, b, REP_OFF);
    if (rep_set(s, b, REP_DRAINING) != 0)
        return -1;
    if (pool_running(be->pr->pool, be->r) == 0 && pool_queue_depth(be->pr->pool, be->r) == 0 &&
        be->rep.step_t < 0)
        return retire(s, b);
    return 0;
}

/* EV_AUTOSCALE: the Kubernetes HPA rule on pool k, on a gauge sampled at
 * the tick like a Prometheus scrape (KV-cache usage, waiting requests, or
 * running + waiting per serving replica).  desired =
 * ceil(serving x metric / target), unchanged within the tolerance, clamped
 * to [min, max]; warming and pending replicas count as current (HPA counts
 * unready pods).  Scale-up starts replicas at once (draining ones first);
 * scale-down waits until every recommendation over scale_down_delay was
 * lower (HPA's stabilization window) and then drains the newest replicas.
 * With no replica serving, any arrival since the last tick asks for one
 * (scale from zero, as KEDA's activation does). */
static int on_autoscale(struct sim *s, uint32_t k)
{
    struct pool_rt *pr = &s->pools[k];
    const struct scn_pool *sp = pr->cfg;
    const struct scn_autoscale *as = &sp->autoscale;
    uint32_t serving = 0, current = 0;
    double kv_used = 0;
    int64_t queued = 0, running = 0;
    for (uint32_t i = 0; i < sp->slots; i++) {
        uint32_t b = sp->first_backend + i;
        struct replica_rt *rp = &s->be[b].rep;
        if (rp->state == REP_ACTIVE) {
            serving++;
            kv_used += 1.0 - pool_kv_free(pr->pool, i);
            queued += pool_queue_depth(pr->pool, i);
            running += pool_running(pr->pool, i);
        }
        if (rp->state == REP_ACTIVE || rp->state == REP_WARMING || rp->state == REP_PENDING)
            current++;
    }
    uint32_t desired = current;
    if (serving > 0) {
        double metric = as->metric == SCN_AS_UTILIZATION   ? kv_used / serving
                        : as->metric == SCN_AS_QUEUE_DEPTH ? (double)queued / serving
                                                           : (double)(queued + running) / serving;
        double ratio = metric / as->target;
        if (fabs(ratio - 1.0) > as->tolerance) {
            double d = ceil((double)serving * ratio - 1e-9);
            desired = d > (double)sp->slots ? sp->slots : (uint32_t)d;
        }
    } else if (current == 0) {
        desired = s->arrivals > pr->arrivals_at_tick ? 1 : 0;
    }
    pr->arrivals_at_tick = s->arrivals;
    if (desired < as->min)
        desired = as->min;
    if (desired > as->max)
        desired = as->max;
    if (desired > current) {
        pr->below_since_ns = -1;
        uint32_t need = desired - current;
        for (int pass = 0; pass < 2 && need > 0; pass++) /* draining first, then off */
            for (uint32_t i = 0; i < sp->slots && need > 0; i++) {
                uint32_t b = sp->first_backend + i;
                uint8_t st = s->be[b].rep.state;
                if (st == (pass == 0 ? REP_DRAINING : REP_OFF) && !s->be[b].absent) {
                    if (rep_start(s, b) != 0)
                        return -1;
                    pr->res->scale_ups++;
                    need--;
                }
            }
    } else if (desired < current) {
        if (pr->below_since_ns < 0 || desired > pr->below_max)
            pr->below_max = desired;
        if (pr->below_since_ns < 0)
            pr->below_since_ns = s->now_ns;
        if (s->now_ns - pr->below_since_ns >= as->scale_down_delay_ns) {
            uint32_t drop = current - pr->below_max;
            /* pending first, then warming, then the highest serving slots */
            static const uint8_t order[] = {REP_PENDING, REP_WARMING, REP_ACTIVE};
            for (uint32_t o = 0; o < 3 && drop > 0; o++)
                for (uint32_t i = sp->slots; i-- > 0 && drop > 0;) {
                    uint32_t b = sp->first_backend + i;
                    if (s->be[b].rep.state == order[o]) {
                        if (rep_stop(s, b) != 0)
                            return -1;
                        pr->res->scale_downs++;
                        drop--;
                    }
                }
            pr->below_since_ns = -1;
        }
    } else {
        pr->below_since_ns = -1;
    }
    if (!work_remains(s))
        return 0;
    return push(s, s->now_ns + as->interval_ns, EV_AUTOSCALE, k, 0);
}

/* EV_CACHE_HIT: the gateway answers from its cache. */
static int on_cache_hit(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    q->first_token_ns = s->now_ns;
    if (q->measured) {
        struct sim_ts_row *row = ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        row->cache_hits++;
    }
    return finish(s, idx, 200, false);
}

static int handle(struct sim *s, const struct heap_ev *e)
{
    switch ((enum ev_kind)e->kind) {
    case EV_ARRIVAL:
        return on_arrival(s);
    case EV_POOL_STEP:
        return e->gen == s->be[e->idx].rep.step_gen ? on_pool_step(s, e->idx) : 0;
    case EV_REPLICA:
        return on_replica(s, e->idx, e->gen);
    case EV_PREEMPT:
        return on_preempt(s, e->idx, e->aux);
    case EV_AUTOSCALE:
        return on_autoscale(s, e->idx);
    default:
        break;
    }
    struct req *q = &s->reqs[e->idx];
    if (q->gen != e->gen || q->state == RS_FREE)
        return 0; /* stale: the attempt ended or was cancelled */
    switch ((enum ev_kind)e->kind) {
    case EV_ROUTE:
        return route_req(s, e->idx);
    case EV_FIRST_TOKEN:
        return on_first_token(s, e->idx);
    case EV_DONE:
        return on_done(s, e->idx);
    case EV_FAIL:
        return on_fail(s, e->idx);
    case EV_TIMEOUT:
        return on_timeout(s, e->idx);
    case EV_QUEUE_TIMEOUT:
        return on_queue_timeout(s, e->idx);
    case EV_HEDGE:
        return on_hedge(s, e->idx);
    case EV_CACHE_HIT:
        return on_cache_hit(s, e->idx);
    case EV_ARRIVAL:
    case EV_POOL_STEP:
    case EV_REPLICA:
    case EV_PREEMPT:
    case EV_AUTOSCALE:
        break;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* results                                                             */

static void lat_summary(const struct hist *h, struct sim_lat *l)
{
    l->mean = hist_mean(h) / NS_PER_S;
    l->p50 = (double)hist_quantile(h, 0.50) / NS_PER_S;
    l->p90 = (double)hist_quantile(h, 0.90) / NS_PER_S;
    l->p95 = (double)hist_quantile(h, 0.95) / NS_PER_S;
    l->p99 = (double)hist_quantile(h, 0.99) / NS_PER_S;
    l->p999 = (double)hist_quantile(h, 0.999) / NS_PER_S;
    l->max = h->count ? (double)h->max / NS_PER_S : 0.0;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

static void summarise(struct sim *s)
{
    struct sim_result *res = s->res;
    res->in_flight_at_end = (uint64_t)s->live_measured;
    lat_summary(&res->ttft_hist, &res->ttft);
    lat_summary(&s->e2e, &res->e2e);
    res->queue_wait_mean_s = hist_mean(&s->qwait) / NS_PER_S;
    res->queue_wait_p99_s = (double)hist_quantile(&s->qwait, 0.99) / NS_PER_S;
    double n = (double)res->requests;
    uint64_t c429 = res->client_429_gateway + res->client_429_provider;
    res->client_429_rate = ratio((double)c429, n);
    res->client_429_gateway_rate = ratio((double)res->client_429_gateway, n);
    res->client_429_provider_rate = ratio((double)res->client_429_provider, n);
    res->upstream_429_rate = ratio((double)res->upstream_429, (double)res->attempts);
    res->final_errors = res->failed;
    res->error_rate = ratio((double)res->failed, n);
    res->attempts_per_request = ratio((double)res->attempts, n);
    res->cost_per_1k_requests_usd = ratio(res->cost_usd * 1000.0, n);
    res->cost_per_success_usd = ratio(res->cost_usd, (double)res->completed);
    res->end_ns = s->now_ns;
    for (uint32_t r = 0; r < s->n_routers; r++) {
        const struct route_stats *st = route_router_stats(s->routers[r]);
        res->cooldowns += st->cooldowns;
        res->cooldown_s += (double)st->cooldown_ns / NS_PER_S;
        res->breaker_opens += st->breaker_opens;
        res->ejections += st->ejections;
        res->escalations += st->escalations;
        res->tiered_requests += st->tiered_requests;
        res->spillovers += st->spillovers;
    }
    res->escalation_rate =
        res->tiered_requests > 0 ? (double)res->escalations / (double)res->tiered_requests : NAN;
    uint64_t hits = res->cache_l1_hits + res->cache_l2_hits + res->cache_semantic_hits;
    res->cache_hit_rate = s->cache == NULL ? NAN : ratio((double)hits, (double)res->cache_lookups);
    uint64_t all_prompt = 0, all_cached = 0;
    for (uint32_t k = 0; k < s->n_pools; k++) {
        struct pool_rt *pr = &s->pools[k];
        struct sim_pool_result *pres = pr->res;
        const struct scn_pool *sp = pr->cfg;
        serving_step(s, pr);
        pres->mean_serving = s->now_ns > 0 ? pr->serving_area / (double)s->now_ns : pr->serving;
        int64_t busy = 0, up = 0;
        for (uint32_t i = 0; i < sp->slots; i++) {
            uint32_t b = sp->first_backend + i;
            const struct replica_rt *rp = &s->be[b].rep;
            const struct pool_stats *st = pool_stats(pr->pool, i);
            struct sim_backend_result *br = &res->backends[b];
            int64_t slot_up = rp->up_ns + (rep_up(rp->state) ? s->now_ns - rp->state_t : 0);
            br->prompt_tokens = st->prefill_tokens + st->cached_tokens;
            br->cached_tokens = st->cached_tokens;
            br->prefix_hit_rate =
                br->prompt_tokens ? (double)br->cached_tokens / (double)br->prompt_tokens : NAN;
            br->busy_share = ratio((double)st->busy_ns, (double)slot_up);
            busy += st->busy_ns;
            up += slot_up;
            pres->prompt_tokens += br->prompt_tokens;
            pres->cached_tokens += br->cached_tokens;
        }
        pres->busy_share = ratio((double)busy, (double)up);
        pres->prefix_hit_rate =
            pres->prompt_tokens ? (double)pres->cached_tokens / (double)pres->prompt_tokens : NAN;
        all_prompt += pres->prompt_tokens;
        all_cached += pres->cached_tokens;
    }
    res->prefix_hit_rate = all_prompt ? (double)all_cached / (double)all_prompt : NAN;
    /* Little: requests still in flight contribute their time so far. */
    little_step(s, s->now_ns);
    double span = (double)(s->now_ns - s->scn->warmup_ns);
    double sojourn = s->sojourn_sum_ns;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->reqs[i].state != RS_FREE && s->reqs[i].measured && !s->reqs[i].is_hedge)
            sojourn += (double)(s->now_ns - s->reqs[i].arrival_ns);
    if (span > 0 && n > 0) {
        res->little_lambda = n / (span / NS_PER_S);
        res->little_w_s = sojourn / n / NS_PER_S;
        res->little_l = s->area / span;
    }
}

/* ------------------------------------------------------------------ */
/* set-up and run                                                      */

/* Pools: one struct pool per scenario pool, its first `replicas` slots
 * serving (warm) at t = 0, the others off; preemption and autoscaler
 * events.  After the routers exist. */
static int setup_pools(struct sim *s)
{
    const struct scenario *scn = s->scn;
    uint32_t n = scn->n_pools;
    s->pools = calloc(n, sizeof *s->pools);
    s->res->pools = calloc(n, sizeof *s->res->pools);
    if (s->pools == NULL || s->res->pools == NULL) {
        snprintf(s->err, s->errlen, "out of memory (pools)");
        return -1;
    }
    s->n_pools = s->res->n_pools = n;
    for (uint32_t k = 0; k < n; k++) {
        const struct scn_pool *sp = &scn->pools[k];
        struct pool_rt *pr = &s->pools[k];
        pr->cfg = sp;
        pr->res = &s->res->pools[k];
        pr->below_since_ns = -1;
        snprintf(pr->res->name, sizeof pr->res->name, "%s", sp->name);
        snprintf(pr->res->profile, sizeof pr->res->profile, "%s", sp->profile->name);
        pr->res->spot = sp->spot.enabled;
        pr->res->usd_per_hour = sp->usd_per_hour;
        uint32_t present = 0;
        for (uint32_t i = 0; i < sp->slots; i++)
            present += !s->be[sp->first_backend + i].absent;
        char perr[160];
        if (pool_create(&sp->cfg, &pr->pool, perr, sizeof perr) != POOL_OK) {
            snprintf(s->err, s->errlen, "%s: %s", sp->name, perr);
            return -1;
        }
        uint32_t me = pool_max_events(pr->pool);
        if (me > s->pev_cap) {
            struct pool_event *ne = realloc(s->pev, (size_t)me * sizeof *ne);
            if (ne == NULL) {
                snprintf(s->err, s->errlen, "out of memory (pools)");
                return -1;
            }
            s->pev = ne;
            s->pev_cap = me;
        }
        for (uint32_t i = 0; i < sp->slots; i++) {
            uint32_t b = sp->first_backend + i;
            struct backend_rt *be = &s->be[b];
            be->pr = pr;
            be->r = i;
            be->rep.step_t = -1;
            be->res->is_pool = true;
            if (i < sp->replicas && !be->absent) {
                be->rep.state = REP_ACTIVE;
                pr->serving++;
            }
            for (uint32_t r = 0; r < s->n_routers; r++) {
                route_router_set_signals(s->routers[r], b, 0, 1.0, 0);
                if (be->rep.state != REP_ACTIVE)
                    route_router_set_health(s->routers[r], b, ROUTE_DOWN);
            }
            if (!be->absent && sp->spot.enabled && sp->spot.preemptions_per_day > 0 &&
                preempt_next(s, b) != 0)
                return -1;
        }
        if (present == 0)
            continue; /* the pool is not in this run */
        pr->res->min_serving = pr->res->max_serving = pr->serving;
        for (uint32_t j = 0; j < sp->spot.n_schedule; j++) {
            const struct scn_preempt *e = &sp->spot.schedule[j];
            if (s->be[sp->first_backend + e->replica].absent)
                continue;
            if (push_ex(s, e->at_ns, EV_PREEMPT, sp->first_backend + e->replica, 0, 1) != 0)
                return -1;
        }
        if (sp->autoscale.enabled && push(s, sp->autoscale.interval_ns, EV_AUTOSCALE, k, 0) != 0)
            return -1;
    }
    return 0;
}

static int setup(struct sim *s, const struct scenario *scn, const struct scn_strategy *strat,
                 uint64_t seed, struct sim_result *res)
{
    s->scn = scn;
    s->seed = seed;
    s->res = res;
    s->nb = scn->n_backends;
    s->ex_words = ROUTE_EXCLUDE_WORDS(s->nb);
    s->free_head = UINT32_MAX;
    rng_stream(&s->router_rng, seed, RNG_ROUTER);
    s->env = (struct route_env){.now_ns = 0, .rand = env_rand, .rand_ctx = &s->router_rng};
    snprintf(res->strategy, sizeof res->strategy, "%s", strat->label);
    res->interval_ns = scn->interval_ns;
    if (hist_init(&res->ttft_hist) != 0 || hist_init(&s->e2e) != 0 || hist_init(&s->qwait) != 0)
        goto oom;
    if (heap_init(&s->heap, 1024) != 0)
        goto oom;
    s->ts_cap = TS_INITIAL;
    res->ts = malloc(s->ts_cap * sizeof *res->ts);
    res->backends = calloc(s->nb, sizeof *res->backends);
    s->be = calloc(s->nb, sizeof *s->be);
    if (res->ts == NULL || res->backends == NULL || s->be == NULL)
        goto oom;
    res->n_backends = s->nb;
    s->ts_end_ns = scn->interval_ns;

    struct route_backend_cfg *cfgs = calloc(s->nb, sizeof *cfgs);
    if (cfgs == NULL)
        goto oom;
    for (uint32_t b = 0; b < s->nb; b++) {
        cfgs[b] = scn->backends[b].route;
        snprintf(res->backends[b].name, sizeof res->backends[b].name, "%s", scn->backends[b].name);
        s->be[b].res = &res->backends[b];
        if (api_state_init(&s->be[b].api, &scn->backends[b].api, 0, seed, b) != 0) {
            free(cfgs);
            goto oom;
        }
    }
    const struct scn_router *sr = &scn->router;
    s->n_routers = sr->shared_state ? 1 : (sr->replicas ? sr->replicas : 1);
    s->routers = calloc(s->n_routers, sizeof *s->routers);
    if (s->routers == NULL) {
        free(cfgs);
        goto oom;
    }
    const struct route_health_cfg *hc =
        sr->health.cooldown || sr->health.breaker || sr->health.outlier ? &sr->health : NULL;
    for (uint32_t r = 0; r < s->n_routers; r++) {
        s->routers[r] = route_router_create_spec(&strat->root, cfgs, s->nb, hc, sr->staleness_ns,
                                                 s->err, s->errlen);
        if (s->routers[r] == NULL) {
            free(cfgs);
            return -1;
        }
    }
    free(cfgs);
    if (scn->n_groups > 0) {
        /* per group, the backends that do not serve it (group 0: none) */
        s->nonmember = calloc((size_t)(scn->n_groups + 1) * s->ex_words, sizeof(uint64_t));
        if (s->nonmember == NULL)
            goto oom;
        for (uint32_t g = 1; g <= scn->n_groups; g++)
            for (uint32_t b = 0; b < s->nb; b++)
                if (scn->backends[b].route.model_group != g)
                    s->nonmember[(size_t)g * s->ex_words + (b >> 6)] |= (uint64_t)1 << (b & 63u);
    }
    if (sr->hedge.percentile > 0 && hist_init(&s->att_ttft) != 0)
        goto oom;
    if (strat->without != NULL) {
        for (uint32_t b = 0; b < s->nb; b++) {
            if ((strat->without[b >> 6] >> (b & 63u) & 1u) == 0)
                continue;
            s->be[b].absent = true;
            for (uint32_t r = 0; r < s->n_routers; r++)
                route_router_set_health(s->routers[r], b, ROUTE_DOWN);
        }
    }
    if (scn->n_pools > 0 && setup_pools(s) != 0)
        return -1;
    if (scn->cache.enabled) {
        s->cache = gcache_create(&scn->cache.cfg, s->err, s->errlen);
        if (s->cache == NULL)
            return -1;
    }
    if (pool_grow(s) != 0)
        goto oom;
    s->trace = scn_open_traffic(scn, seed, s->err, s->errlen);
    if (s->trace == NULL)
        return -1;
    return read_next(s);
oom:
    snprintf(s->err, s->errlen, "out of memory setting up the run");
    return -1;
}

static void teardown(struct sim *s)
{
    if (s->trace)
        trace_close(s->trace);
    if (s->routers)
        for (uint32_t r = 0; r < s->n_routers; r++)
            if (s->routers[r])
                route_router_destroy(s->routers[r]);
    free(s->routers);
    free(s->nonmember);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        free(s->label_map[k]);
    if (s->reqs)
        for (uint32_t i = 0; i < s->cap; i++)
            free(s->reqs[i].blocks);
    hist_fini(&s->att_ttft);
    if (s->pools)
        for (uint32_t k = 0; k < s->n_pools; k++)
            pool_destroy(s->pools[k].pool);
    free(s->pools);
    free(s->pev);
    free(s->kill_buf);
    gcache_destroy(s->cache);
    if (s->be)
        for (uint32_t b = 0; b < s->nb; b++)
            api_state_fini(&s->be[b].api);
    free(s->be);
    free(s->reqs);
    free(s->exclude);
    free(s->gwq);
    heap_fini(&s->heap);
    hist_fini(&s->e2e);
    hist_fini(&s->qwait);
}

int sim_run(const struct scenario *scn, const struct scn_strategy *strategy, uint64_t seed,
            const struct sim_hooks *hooks, struct sim_result *res, char *err, size_t errlen)
{
    struct sim s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.err = err;
    s.errlen = errlen;
    s.hooks = hooks;
    int rc = setup(&s, scn, strategy, seed, res);
    int64_t stop = scn->duration_ns > 0 ? scn->duration_ns : INT64_MAX;
    struct heap_ev e;
    while (rc == 0 && !heap_empty(&s.heap) && heap_top(&s.heap)->t_ns < stop) {
        heap_pop(&s.heap, &e);
        s.now_ns = e.t_ns;
        s.env.now_ns = e.t_ns;
        res->events++;
        if (e.t_ns >= s.ts_end_ns)
            rc = ts_advance(&s, e.t_ns);
        if (rc == 0)
            rc = handle(&s, &e);
    }
    if (rc == 0) {
        if (stop != INT64_MAX && s.now_ns < stop)
            s.now_ns = stop; /* the clock runs to the end of the window */
        if (s.now_ns > 0 && ts_advance(&s, s.now_ns) != 0)
            rc = -1;
        if (rc == 0 && ts_row(&s, s.now_ns > 0 ? s.now_ns - 1 : 0) == NULL)
            rc = -1;
    }
    if (rc == 0) {
        /* the last, partial interval: snapshot at the end */
        struct sim_ts_row *last = &res->ts[res->n_ts - 1];
        if (last->inflight < 0) {
            uint32_t serving = 0;
            if (s.n_pools > 0 && pools_snapshot(&s, s.now_ns, &serving) != 0)
                rc = -1;
            last = &res->ts[res->n_ts - 1];
            last->inflight = s.live;
            last->healthy = healthy_backends(&s, s.now_ns);
            last->serving = serving;
        } else if (s.n_pools > 0 && accrue_all(&s, s.now_ns) != 0) {
            rc = -1;
        }
    }
    if (rc == 0) {
        res->trace_rows_skipped = trace_skipped(s.trace);
        summarise(&s);
        sim_slo_eval(&scn->slo, res);
    } else if (err[0] == '\0') {
        snprintf(err, errlen, "out of memory");
    }
    teardown(&s);
    if (rc != 0) {
        sim_result_free(res);
        return -1;
    }
    return 0;
}

void sim_result_free(struct sim_result *res)
{
    if (res->pools)
        for (uint32_t k = 0; k < res->n_pools; k++)
            free(res->pools[k].serving_ts);
    free(res->pools);
    res->pools = NULL;
    res->n_pools = 0;
    free(res->backends);
    free(res->ts);
    hist_fini(&res->ttft_hist);
    res->backends = NULL;
    res->ts = NULL;
    res->n_backends = res->n_ts = 0;
}

double sim_slo_value(const struct sim_result *res, enum scn_slo_metric m)
{
    const struct sim_result *r = res;
    switch (m) {
#define SLO_CASE(metric, value)                                                                    \
    case metric:                                                                                   \
        return value;
        SIM_SLO_METRICS(SLO_CASE)
#undef SLO_CASE
    case SCN_SLO_COUNT_:
        break;
    }
    return 0.0;
}

void sim_slo_eval(const struct scn_slo *slo, struct sim_result *res)
{
    res->n_violations = 0;
    for (int m = 0; m < SCN_SLO_COUNT_; m++) {
        if (!slo->set[m])
            continue;
        double v = sim_slo_value(res, (enum scn_slo_metric)m);
        if (v > slo->limit[m]) {
            struct sim_slo_violation *x = &res->violations[res->n_violations++];
            x->metric = (enum scn_slo_metric)m;
            x->limit = slo->limit[m];
            x->value = v;
        }
    }
    res->slo_pass = res->n_violations == 0;
}
