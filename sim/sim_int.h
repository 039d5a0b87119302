/*
 * sim_int.h - the engine's internals, shared by the files of sim/ (prefix
 * sim__; not part of the public API of sim.h).
 *
 * One run is one struct sim.  Its fields are grouped by the file that owns
 * them; a file may read the others' groups, and writes them only through
 * the sim__ functions declared here.  Who owns what:
 *
 *   engine.c       set-up, teardown, the event loop and its one switch
 *   gateway.c      a request's life: arrival, gateway cache, route,
 *                  dispatch, the gateway FIFO, retries, fallbacks, finish
 *   hedge.c        hedged attempts: schedule, start, resolve, cancel
 *   reqslots.c     the request-slot pool and the per-request exclude sets
 *   backend.h      the backend ops table; backend_api.c and
 *                  backend_pool.c are its two adapters
 *   replicas.c     pool replica lifecycle: warm-up, spot notice / reclaim /
 *                  replacement, the HPA autoscaler
 *   metrics.c      time series, Little's law, replica billing, the summary,
 *                  SLO evaluation
 *
 * Events and their order.  Every event is a (time, seq) record in a 4-ary
 * heap (heap.h); seq makes the order total, so a run is a deterministic
 * function of (scenario, strategy, seed) as long as every file pushes its
 * events in the same order.  An attempt's pending events carry the
 * request's generation `gen`; ending or cancelling an attempt bumps gen, so
 * stale events are dropped when popped (lazy cancellation, as Redis ae.c
 * does with deleted timers).
 */
#ifndef LBSIM_SIM_INT_H
#define LBSIM_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "heap.h"
#include "hist.h"
#include "rng.h"
#include "scn.h"
#include "sim.h"
#include "u64map.h"

#define NS_PER_S    1e9
#define NS_PER_HOUR 3.6e12
#define NS_PER_DAY  8.64e13

#define REQ_POOL_INITIAL 1024u /* request slots at the start (doubles) */
#define TS_INITIAL       64u   /* time-series rows at the start (doubles) */

/* Recompute the hedge delay from observed TTFTs every this many samples
 * (a histogram quantile costs ~3.6 us; bench figures in README). */
#define HEDGE_REFRESH_SAMPLES 256u

#define NO_SLOT UINT32_MAX

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
    EV_POOL_STEP = 9,  /* a replica's step ends (gen = the slot's step_gen) */
    EV_REPLICA = 10,   /* a slot's lifecycle timer (gen = life_gen): warm-up done,
                          notice deadline, replacement due */
    EV_PREEMPT = 11,   /* a spot reclaim of a slot (aux 1: scheduled, else the rate's) */
    EV_AUTOSCALE = 12, /* a pool's autoscaler evaluates (idx = pool) */
    EV_DEADLINE = 13   /* the earliest pending pool attempt timeout (backend_pool.c) */
};

enum req_state {
    RS_FREE = 0,
    RS_BACKOFF = 1,       /* waiting for an EV_ROUTE */
    RS_GATEWAY_QUEUE = 2, /* the router answered FULL */
    RS_BACKEND_QUEUE = 3, /* in a backend's FIFO */
    RS_SERVICE = 4,       /* admitted, before the first token */
    RS_STREAMING = 5,     /* first token seen, before the last */
};

/* Where a pool attempt is: the replica holds it (queued or running), or it
 * hung there (no events: only its timeout or a kill ends it). */
enum { AT_POOL_NONE = 0, AT_POOL_IN = 1, AT_POOL_HUNG = 2 };

struct req {
    struct route_req rr;
    int64_t arrival_ns;
    int64_t attempt_ns;     /* when the current attempt was dispatched */
    int64_t wait_start_ns;  /* entered the current queue */
    int64_t queue_wait_ns;  /* total queueing (gateway + backend FIFOs) */
    int64_t first_token_ns; /* client-visible first token, -1 none */
    /* An API attempt whose first-token event was folded into its done
     * event (backend_api.c, start_service): when its first token comes,
     * -1 otherwise.  Until then nothing differs; from then on the attempt
     * is streaming (sim__streaming). */
    int64_t ft_due_ns;
    struct api_draw draw; /* the current attempt's draws */
    uint32_t gen;
    uint32_t next_free;
    int32_t backend; /* current/last backend, -1 none */
    uint8_t state;
    bool max_tokens_unset; /* its trace row had no max_tokens (scn_max_tokens) */
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
    int64_t waited_ns;       /* backoff slept so far (Portkey's Retry-After budget) */
    uint32_t attempts_total; /* attempts over every group (rr.attempt restarts per group) */
    bool no_stream;          /* a non-streamed request: its client sees the whole answer at once */
    int64_t ttft_to_ns;      /* this attempt's first-token timeout, 0 = none */
    int64_t e2e_to_ns;       /* this attempt's whole-response timeout, 0 = none */
    int64_t loop_timeout_ns; /* the router loop's own attempt timeout (Portkey), 0 = none */
    /* router.loop litellm / portkey (loop.c): the loop's state and its last act */
    union {
        struct route_llm_req llm;
        struct route_pk_req pk;
    } loop;
    int32_t loop_backend;           /* send the next attempt here (Portkey leaf), -1 = pick */
    bool loop_exclude;              /* keep tried backends out of the next pick */
    bool loop_fail_gateway;         /* the pending failure is the gateway's own */
    int loop_fail_http;             /* != 0: answer the client this at the next EV_ROUTE */
    uint32_t lab[SCN_LABEL_KINDS_]; /* its label values: indexes into s->lab.ent (labels.c) */
    double cost_usd;                /* API cost billed to this slot's attempts */
    double pool_accel_ns;           /* its pool attempt's accelerator share, set at DONE */
};

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
    uint32_t preempt_k;  /* rate reclaims drawn so far (keys the reclaim stream) */
    uint32_t stockout_k; /* replacement stock-out draws so far (keys their stream) */
    int64_t up_ns;       /* time serving, draining or in notice */
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
    uint32_t spot_key;         /* rank among this run's spot pools: keys the reclaim streams */
};

struct sim__backend_ops;

struct backend_rt {
    const struct sim__backend_ops *ops; /* the backend's kind (backend.h) */
    struct api_state api; /* the provider-side front every kind has: limits, outages, faults */
    struct sim_backend_result *res;
    struct pool_rt *pr; /* pool slots: their pool, NULL for API backends */
    uint32_t r;         /* pool slot index */
    bool absent;        /* `without:` this run: never routed to, never started */
    struct replica_rt rep;
};

struct gwq_ent {
    uint32_t idx, gen;
};

/* The gateway FIFO: requests the router answered FULL for (a power-of-two
 * ring of (slot, gen); stale entries are skipped when they reach the head). */
struct sim__gwq {
    struct gwq_ent *ring;
    uint32_t head, len, cap;
};

/* Percentile hedging: observed attempt TTFTs and the current delay. */
struct sim__hedge_est {
    struct hist ttft;
    uint32_t since; /* samples since the delay was last recomputed */
    int64_t delay_ns;
};

/* The traffic: the open trace, its next record and the label maps. */
struct sim__traffic {
    struct trace_src *trace;
    struct trace_rec pending; /* next arrival, valid when has_pending */
    bool has_pending;
    uint64_t next_id;
    uint64_t arrivals;                       /* all arrivals, measured or not */
    uint32_t *label_map[TRACE_LABEL_KINDS_]; /* trace label id -> scenario id, +1; 0 unset */
    uint32_t label_cap[TRACE_LABEL_KINDS_];
};

/* Pool attempts' first-token deadlines, in dispatch order.  A pool
 * attempt's first token is not known when it starts, so its timeout cannot
 * be skipped the way an API attempt's is (backend_api.c); but one timeout
 * holds for every attempt, so deadlines come in sorted order and one
 * EV_DEADLINE event for the earliest live one stands for all of them,
 * instead of one event per attempt that almost never fires.  A ring of
 * (slot, gen, deadline); entries whose attempt got its first token or
 * ended are dropped when they reach the head. */
struct sim__deadline {
    uint32_t idx, gen;
    int64_t t_ns;
};
struct sim__deadlines {
    struct sim__deadline *ring;
    uint32_t head, len, cap;
    int64_t armed_ns; /* the pending EV_DEADLINE's time, -1 none */
};

/* GPU pools: one runtime per scenario pool, and scratch buffers. */
struct sim__pools {
    struct pool_rt *rt;
    uint32_t n;
    struct pool_event *ev; /* pool_step's event buffer */
    uint32_t ev_cap;
    uint32_t *kill; /* (slot, gen) pairs of requests on a replica being killed */
    uint32_t kill_cap;
    struct sim__deadlines dl;
};

/* A small log-bucketed latency histogram (labels.c): SIM__LH_SUB buckets
 * per octave, 960 in all, so a quantile (the bucket's midpoint, clamped to
 * [min, max]) is within 3.2% of the exact one.  Fixed memory (7.5 KiB)
 * where base/hist.h's 432 KiB per histogram is too much: one per label
 * value, one for the open time-series interval. */
#define SIM__LH_SUB_BITS 4
#define SIM__LH_SUB      (1u << SIM__LH_SUB_BITS)
#define SIM__LH_BUCKETS  ((uint32_t)(64 - SIM__LH_SUB_BITS) * SIM__LH_SUB)
struct sim__lh {
    uint64_t *b; /* SIM__LH_BUCKETS */
    uint64_t count;
    double sum;
    int64_t min, max;
    uint32_t lo, hi; /* buckets touched: [lo, hi] (reset clears only those) */
};

/* One label value's accumulators (labels.c): the buckets of its TTFT and
 * e2e histograms (the count is m.completed; min, max and sum here), kept
 * flat so that a request's five label values cost a few increments each. */
struct sim__label_acc {
    uint64_t *b; /* 2 x SIM__LH_BUCKETS: TTFT, then e2e */
    double sum[2];
    int64_t min[2], max[2];
    uint64_t good; /* goodput numerator */
};

/* q->lab[k] of a kind not active when q arrived: its unset entry. */
#define SIM__LAB_NONE UINT32_MAX

/* The label table of a run: every (kind, value) met so far.  A kind is
 * active from the first request carrying a value of it (a priority other
 * than 0); until then its requests are all unset and only `all` counts
 * them: the per-request work is zero for traffic without labels and one
 * entry per active kind otherwise (labels.c, "active kinds"). */
struct sim__labels {
    struct sim_label_result *ent; /* m holds the counts while the run goes */
    struct sim__label_acc *acc;
    uint32_t n, cap;
    uint32_t *of[SCN_LABEL_KINDS_]; /* trace label id -> entry + 1 (0: not yet) */
    uint32_t of_cap[SCN_LABEL_KINDS_];
    uint32_t n_act;                   /* active kinds ... */
    uint8_t act[SCN_LABEL_KINDS_];    /* ... in order of activation */
    bool active[SCN_LABEL_KINDS_];    /* by kind */
    uint32_t unset[SCN_LABEL_KINDS_]; /* the unset entry of an active kind (or NONE) */
    uint64_t arrivals;                /* requests met, measured or not */
    struct sim_result all;            /* the label counters of every measured request */
    uint64_t all_good;                /* ... and its goodput numerator */
    struct u64map prio;               /* priority + 1 -> entry */
    uint64_t prio_key;                /* the last priority looked up (+ 1; 0 none) ... */
    uint32_t prio_e;                  /* ... and its entry */
    struct u64map sessions;           /* sessions seen (cost per conversation) */
    double session_cost_usd;
    /* goodput: a request is good when answered 200 within these */
    bool good_set;
    int64_t good_ttft_ns, good_e2e_ns;
    /* the open time-series interval's TTFTs, and its row (-1 none) */
    struct sim__lh ts_ttft;
    int64_t ts_k;
    int64_t ts_lo, ts_hi; /* interval ts_k is [ts_lo, ts_hi) (empty before the first) */
    uint32_t tsb_cap;     /* rows of res->ts_backends allocated */
};

/* Metrics kept while the run goes (the rest is in *res directly). */
struct sim__metrics {
    struct hist e2e, qwait;
    uint32_t ts_cap;
    int64_t ts_end_ns; /* end of the open time-series interval */
    /* Little's law integral over measured requests in the system */
    int64_t live_measured;
    int64_t area_t_ns;
    double area;
    double sojourn_sum_ns;
    /* The row sim__ts_row found last: times in [row_lo, row_hi) are row
     * row_k (empty until the first lookup; rows are never removed). */
    int64_t row_lo, row_hi;
    uint32_t row_k;
};

/* Attempt timeouts in FIFO lanes, outside the heap.  A timeout is armed
 * `delay` after the moment it is pushed, and the clock never goes back, so
 * the timeouts of one delay value arrive in (time, seq) order: a FIFO per
 * value is already sorted.  Nearly every attempt arms one (the router's
 * timeout, 600 s by default, for a request that waits in a backend queue)
 * and almost none fires (the attempt ends first: lazy cancellation by
 * generation), so in the heap they were most of its entries: on the M/M/4
 * of bench/mmc.yaml 1,850 entries of which ~5 live, and sift costs grow
 * with log4 of that.  A lane is an append-only ring; the loop compares its
 * head with the heap's top and the next arrival, in the one (time, seq)
 * order (each entry takes its seq from the heap's counter when pushed), so
 * every event fires at the same place as before: results, and the event
 * count (a dead timeout still fires, and does nothing), are unchanged.  A
 * delay value with no lane (more than SIM_TLANES in use at once) goes to
 * the heap. */
#define SIM_TLANES 4u

struct sim__tlane {
    struct heap_ev *ring; /* cap entries, a power of two */
    uint32_t head, n, cap;
    int64_t delay_ns; /* the delay of every entry while n > 0 */
};

struct sim__tlanes {
    struct sim__tlane l[SIM_TLANES];
    uint32_t busy; /* lanes with n > 0 */
    uint32_t hi;   /* lanes ever used: l[0 .. hi) (usually one or two) */
};

struct sim {
    const struct scenario *scn;
    uint64_t seed;
    int64_t now_ns;
    struct heap heap;
    /* The next arrival is kept outside the heap (always pending, one at a
     * time): arr, with the seq heap_take_seq() gave it when it would have
     * been pushed, so it keeps its place in the (time, seq) order; the loop
     * compares it with the heap's top.  top_taken: the event being handled
     * is still the heap's top; the handler's first push replaces it
     * (heap_replace_top), else the loop drops it after the handler. */
    struct heap_ev arr;
    bool arr_armed;
    bool top_taken;
    /* API attempts need no first-token event of their own: nothing reads
     * it at that moment (no router strategy reads TTFTs, no hedging; see
     * backend_api.c, start_service) */
    bool fold_first_token;
    /* Attempt timeouts kept outside the heap (engine.c, sim__timeout_push) */
    struct sim__tlanes tl;
    const struct sim_hooks *hooks;
    struct sim_result *res;
    char *err;
    size_t errlen;

    /* the gateway: its routers, model-group exclusions, cache, FIFO */
    struct rng router_rng;
    struct route_env env;
    struct api_state *acct;        /* one quota state per scenario account (n_accounts) */
    struct route_router **routers; /* one per gateway replica (1 when shared) */
    uint32_t n_routers;
    /* Some router reads the backend-reported signals (ROUTE_READS_KV,
     * _QUEUE, _SIGNAL_TIME), or sim_hooks.publish_all_signals: pool
     * replicas publish them after each change only then (backend_pool.c). */
    bool pool_signals;
    uint32_t nb, ex_words;
    uint64_t *nonmember; /* per model group g (0..n_groups): backends not serving g */
    struct gcache *cache;
    struct sim__gwq gwq;
    struct sim__hedge_est hedge;

    struct sim__traffic in;

    /* request slots (reqslots.c): recycled through a free list */
    struct req *reqs;
    uint64_t *exclude; /* ex_words per request slot */
    uint32_t cap, free_head, live;

    struct backend_rt *be; /* nb backends */
    struct sim__pools pools;
    struct sim__metrics m;
    struct sim__labels lab;
};

/* ------------------------------------------------------------------ */
/* small helpers of the hot path                                       */

/* Push a timeout into its delay's lane (engine.c).  1 when it took it, 0
 * when it belongs in the heap, -1 out of memory. */
int sim__timeout_push(struct sim *s, const struct heap_ev *e);

static inline int sim__push_ex(struct sim *s, int64_t t_ns, enum ev_kind kind, uint32_t idx,
                               uint32_t gen, uint32_t aux)
{
    struct heap_ev e = {.t_ns = t_ns, .kind = kind, .idx = idx, .gen = gen, .aux = aux};
    if (kind == EV_TIMEOUT) {
        int took = sim__timeout_push(s, &e);
        if (took != 0)
            return took > 0 ? 0 : -1;
    }
    if (s->top_taken) { /* a pop and a push fused: one sift */
        s->top_taken = false;
        heap_replace_top(&s->heap, e);
        return 0;
    }
    if (heap_push(&s->heap, e) != 0) {
        snprintf(s->err, s->errlen, "out of memory (event heap)");
        return -1;
    }
    return 0;
}

static inline int sim__push(struct sim *s, int64_t t_ns, enum ev_kind kind, uint32_t idx,
                            uint32_t gen)
{
    return sim__push_ex(s, t_ns, kind, idx, gen, 0);
}

static inline uint64_t *sim__exclude(struct sim *s, uint32_t idx)
{
    return &s->exclude[(size_t)idx * s->ex_words];
}

/* The router of the gateway instance that handles q. */
static inline struct route_router *sim__router(const struct sim *s, const struct req *q)
{
    return s->routers[q->replica];
}

/* RTT between the request's region and backend b's (`regions: rtt`),
 * added to what the client waits for the first token and the last. */
static inline int64_t sim__rtt_ns(const struct sim *s, const struct req *q, uint32_t b)
{
    const struct scn_rtt *m = &s->scn->rtt;
    if (m->ns == NULL)
        return 0;
    uint32_t n = s->scn->n_regions + 1;
    uint32_t from = q->rr.region < n ? q->rr.region : 0;
    uint32_t to = s->scn->backends[b].route.region;
    return m->ns[(size_t)from * n + (to < n ? to : 0)];
}

/* Periodic and lifecycle events keep being scheduled while they can still
 * matter: until the window's end, or while requests remain. */
/* Whether q's attempt has had its first token: the state says so, or a
 * folded first token (ft_due_ns) is past.  At the very moment of a folded
 * first token the attempt is not yet streaming: the event it replaces was
 * pushed when service started, after every event already pending, so on
 * a tie those (a timeout armed at dispatch) came first. */
static inline bool sim__streaming(const struct sim *s, const struct req *q)
{
    return q->state == RS_STREAMING || (q->ft_due_ns >= 0 && s->now_ns > q->ft_due_ns);
}

/* Whether the router hedges at all (router.hedge: a fixed delay or a
 * percentile, and at least one hedge per request). */
static inline bool sim__hedging(const struct sim *s)
{
    const struct scn_hedge *h = &s->scn->router.hedge;
    return h->max_hedges > 0 && (h->after_ns != 0 || h->percentile != 0);
}

static inline bool sim__work_remains(const struct sim *s)
{
    return s->scn->duration_ns > 0 || s->in.has_pending || s->live > 0;
}

static inline bool sim__rep_billed(uint8_t st)
{
    return st >= REP_WARMING;
}

static inline bool sim__rep_up(uint8_t st)
{
    return st >= REP_ACTIVE;
}

/* ------------------------------------------------------------------ */
/* reqslots.c                                                          */

int sim__slots_grow(struct sim *s);
/* sim__slot_take when the free list is empty: grow, then take. */
int sim__slot_take_grow(struct sim *s, uint32_t *idx);
/* Take a free slot for a new request (growing the pool, which may move
 * it): 0 and *idx, or -1 with the error set.  The slot keeps its gen; the
 * caller fills the rest.  Inline: one per request. */
static inline int sim__slot_take(struct sim *s, uint32_t *idx)
{
    if (s->free_head == UINT32_MAX)
        return sim__slot_take_grow(s, idx);
    *idx = s->free_head;
    s->free_head = s->reqs[*idx].next_free;
    return 0;
}
/* Return a slot to the pool without any client-visible effect (a hedge
 * that lost, or a primary whose hedge carries the request on).  Inline:
 * once per request. */
static inline void sim__slot_release(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    if (q->blocks != NULL) { /* most requests carry no prefix blocks: no call */
        free(q->blocks);
        q->blocks = NULL;
    }
    q->state = RS_FREE;
    q->gen++;
    q->partner = NO_SLOT;
    q->next_free = s->free_head;
    s->free_head = idx;
}
void sim__exclude_init_words(struct sim *s, uint64_t *ex, const uint64_t *from);

/* The exclude set a request starts with in its current group: every
 * backend that does not serve the group (the gateway resolves the model
 * group before routing, as LiteLLM does).  Inline, and up to 64 backends
 * one word without a libc call: once per request. */
static inline void sim__exclude_init(struct sim *s, uint32_t idx)
{
    uint64_t *ex = sim__exclude(s, idx);
    uint32_t g = s->reqs[idx].group;
    const uint64_t *from = s->nonmember != NULL && g <= s->scn->n_groups
                               ? &s->nonmember[(size_t)g * s->ex_words]
                               : NULL;
    if (s->ex_words == 1)
        ex[0] = from != NULL ? from[0] : 0;
    else
        sim__exclude_init_words(s, ex, from);
}

/* ------------------------------------------------------------------ */
/* gateway.c                                                           */

int sim__read_next(struct sim *s);
void sim__signal_queue(struct sim *s, uint32_t b);
int sim__finish(struct sim *s, uint32_t idx, int http_status, bool gateway_429);
/* on_request for every request still in flight (final_status 0), in slot
 * order; a no-op without the hook or without hooks->report_unfinished. */
void sim__report_unfinished(struct sim *s, int64_t end_ns);
int sim__bill(struct sim *s, struct req *q, uint32_t b, bool ok, int64_t produced);
/* loop.c: a router config's own loop (router.loop litellm / portkey). */
int sim__loop_start(struct sim *s, uint32_t idx);
int sim__loop_route(struct sim *s, uint32_t idx);
int sim__loop_failed(struct sim *s, uint32_t idx, enum route_status cls, int http,
                     int64_t retry_after_ns, enum route_error_class ec);
/* An admitted attempt of q at backend b ended having produced `produced`
 * tokens: api_complete on the backend and on its account. */
void sim__api_complete(struct sim *s, const struct req *q, uint32_t b, int64_t produced);
int sim__attempt_failed(struct sim *s, uint32_t idx, enum route_status cls, int http,
                        int64_t retry_after_ns, int64_t ttft_ns, enum route_error_class ec);
int sim__dispatch(struct sim *s, uint32_t idx, uint32_t b);
int sim__route_req(struct sim *s, uint32_t idx);
int sim__gateway_wake(struct sim *s);
int sim__on_arrival(struct sim *s);
int sim__on_first_token(struct sim *s, uint32_t idx);
int sim__on_done(struct sim *s, uint32_t idx);
int sim__on_fail(struct sim *s, uint32_t idx);
int sim__on_timeout(struct sim *s, uint32_t idx);
int sim__on_queue_timeout(struct sim *s, uint32_t idx);
int sim__on_cache_hit(struct sim *s, uint32_t idx);

/* ------------------------------------------------------------------ */
/* hedge.c                                                             */

int sim__hedge_schedule(struct sim *s, uint32_t idx);
void sim__hedge_observe(struct sim *s, int64_t ttft_ns);
int sim__hedge_resolve(struct sim *s, uint32_t idx);
int sim__on_hedge(struct sim *s, uint32_t idx);

/* ------------------------------------------------------------------ */
/* backend_pool.c                                                      */

int sim__pool_resched(struct sim *s, uint32_t b);
/* A measured request finished; good: it met the goodput criteria (labels.c).
 * Credits its pool attempt's accelerator share (backend_pool.c). */
void sim__pool_note_finish(struct sim *s, const struct req *q, bool good);
int sim__kill_replica(struct sim *s, uint32_t b);
int sim__on_pool_step(struct sim *s, uint32_t b);
int sim__on_pool_deadline(struct sim *s);

/* ------------------------------------------------------------------ */
/* replicas.c                                                          */

int sim__pools_setup(struct sim *s);
void sim__serving_step(struct sim *s, struct pool_rt *pr);
int sim__rep_set(struct sim *s, uint32_t b, enum rep_state st);
int sim__retire(struct sim *s, uint32_t b);
int sim__on_preempt(struct sim *s, uint32_t b, uint32_t aux);
int sim__on_replica(struct sim *s, uint32_t b, uint32_t gen);
int sim__on_autoscale(struct sim *s, uint32_t k);

/* ------------------------------------------------------------------ */
/* metrics.c                                                           */

struct sim_ts_row *sim__ts_extend(struct sim *s, int64_t k);
/* sim__ts_row outside the last row's interval (metrics.c). */
struct sim_ts_row *sim__ts_row_find(struct sim *s, int64_t t_ns);

/* The time-series row of the interval holding t (appending rows up to it);
 * NULL when out of memory.  A request looks its row up four or five times
 * (arrival, dispatch, bill, done, finish), nearly always in the interval
 * of the last lookup: two comparisons instead of a division. */
static inline struct sim_ts_row *sim__ts_row(struct sim *s, int64_t t_ns)
{
    if (t_ns >= s->m.row_lo && t_ns < s->m.row_hi)
        return &s->res->ts[s->m.row_k];
    return sim__ts_row_find(s, t_ns);
}

/* Little's law: integrate the number of measured requests in the system. */
static inline void sim__little_step(struct sim *s, int64_t t_ns)
{
    s->m.area += (double)s->m.live_measured * (double)(t_ns - s->m.area_t_ns);
    s->m.area_t_ns = t_ns;
}

uint32_t sim__healthy_backends(struct sim *s, int64_t t_ns);
int sim__ts_advance(struct sim *s, int64_t t_ns);
int sim__accrue(struct sim *s, uint32_t b, int64_t t);
int sim__accrue_all(struct sim *s, int64_t t);
int sim__pools_snapshot(struct sim *s, int64_t t_ns, uint32_t *serving);
void sim__summarise(struct sim *s);
/* A latency histogram's mean, quantiles and max in seconds (the run's
   TTFT and e2e; time-parallel replay reads merged histograms the same way). */
void sim__lat_summary(const struct hist *h, struct sim_lat *l);

/* ------------------------------------------------------------------ */
/* labels.c: per-label results, per-interval TTFT quantiles, per-backend
 * series.  The hooks below run for measured requests only. */

int sim__labels_init(struct sim *s);
void sim__labels_fini(struct sim *s);
/* sim__label_arrival for a request with a label, a priority or a
 * session, or once a kind is active. */
int sim__label_arrival_any(struct sim *s, struct req *q, const struct trace_rec *t);
/* At arrival: resolve q's label values (q->lab), count the request.
 * Inline for traffic without labels, priorities or sessions while no kind
 * is active: every value unset, and only `all` counts it (what
 * sim__label_arrival_any does then, without the call). */
static inline int sim__label_arrival(struct sim *s, struct req *q, const struct trace_rec *t)
{
    struct sim__labels *L = &s->lab;
    uint32_t any = L->n_act | t->priority | (uint32_t)(t->session != 0);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        any |= t->label[k];
    if (any != 0)
        return sim__label_arrival_any(s, q, t);
    for (int k = 0; k < SCN_LABEL_KINDS_; k++)
        q->lab[k] = SIM__LAB_NONE;
    L->arrivals++;
    if (q->measured)
        L->all.requests++; /* SIM__LABEL_ADD with no active kind */
    return 0;
}
/* The bucket of v >= 0 in a struct sim__lh: exact below SIM__LH_SUB,
 * then SIM__LH_SUB per octave (the layout of base/hist.h with fewer
 * sub-buckets). */
static inline uint32_t sim__lh_index(uint64_t u)
{
    return hist_index_sub(u, SIM__LH_SUB_BITS);
}

/* Add v >= 0 whose bucket i = sim__lh_index(v) the caller has (it shares
 * one bucket computation between histograms of the same layout).  The one
 * histogram filled this way, the open interval's TTFTs, reports quantiles
 * only: its sum (the mean of the label histograms, built at the end) is
 * not kept. */
static inline void sim__lh_add_at(struct sim__lh *h, int64_t v, uint32_t i)
{
    h->b[i]++;
    h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    if (i < h->lo)
        h->lo = i;
    if (i > h->hi)
        h->hi = i;
}

/* The client got its answer (measured requests): the general case. */
int sim__label_finish_any(struct sim *s, const struct req *q, int http_status, bool gateway_429);
/* The client got its answer (measured requests).  Inline for the common
 * case: a 200 without a session while no label kind is active, in a run
 * without pools, within the open interval; what sim__label_finish_any does
 * then (goodput, the all-requests counters, the interval's TTFT), without
 * the call. */
static inline int sim__label_finish(struct sim *s, const struct req *q, int http_status,
                                    bool gateway_429)
{
    struct sim__labels *L = &s->lab;
    if (http_status != 200 || L->n_act != 0 || q->rr.session != 0 || s->pools.n != 0 ||
        s->now_ns < L->ts_lo || s->now_ns >= L->ts_hi)
        return sim__label_finish_any(s, q, http_status, gateway_429);
    int64_t ttft = q->first_token_ns - q->arrival_ns, e2e = s->now_ns - q->arrival_ns;
    bool good = ttft <= L->good_ttft_ns && e2e <= L->good_e2e_ns;
    if (good)
        s->res->goodput += 1.0; /* a count until sim__labels_summarise */
    if (ttft < 0)
        ttft = 0;
    L->all.completed++;
    L->all_good += good;
    sim__lh_add_at(&L->ts_ttft, ttft, sim__lh_index((uint64_t)ttft));
    return 0;
}
/* q's label values as strings, for the per-request record. */
void sim__label_names(const struct sim *s, const struct req *q, const char **out);
/* The per-backend row of b in the interval of time-series row `row`
 * (from sim__ts_row; no division). */
static inline struct sim_ts_backend *sim__tsb_at(struct sim *s, const struct sim_ts_row *row,
                                                 uint32_t b)
{
    return &s->res->ts_backends[(size_t)(row - s->res->ts) * s->nb + b];
}
/* The per-backend row of b in the interval of the last sim__ts_row(s, t)
 * that returned a row for a t >= 0 (the simulated clock never is below 0):
 * that lookup left its row's index in s->m.row_k, so no pointer
 * difference is needed. */
static inline struct sim_ts_backend *sim__tsb_last(struct sim *s, uint32_t b)
{
    return &s->res->ts_backends[(size_t)s->m.row_k * s->nb + b];
}
/* Backend health at t into row k of res->ts_backends. */
void sim__tsb_health(struct sim *s, int64_t k, int64_t t_ns);
/* At the end: flush the open interval's quantiles, derive the per-interval
 * rates, summarise every label and move the table into s->res. */
int sim__labels_summarise(struct sim *s);
/* A result's rates from its counts (the run's and each label's). */
void sim__derive(struct sim_result *res);

/* The entry of q's value of active kind k. */
static inline uint32_t sim__lab_entry(const struct sim__labels *L, const struct req *q, int k)
{
    uint32_t e = q->lab[k];
    return e == SIM__LAB_NONE ? L->unset[k] : e;
}

/* Add to every label value of q (and to the all-requests counters):
 * m->field += v. */
#define SIM__LABEL_ADD(s, q, field, v)                                                             \
    do {                                                                                           \
        struct sim__labels *L_ = &(s)->lab;                                                        \
        L_->all.field += (v);                                                                      \
        for (uint32_t i_ = 0; i_ < L_->n_act; i_++)                                                \
            L_->ent[sim__lab_entry(L_, (q), L_->act[i_])].m.field += (v);                          \
    } while (0)

/* replicate.c: fold n strategies x R replications of one scenario (trial
 * i * R + r is replication r of strategy i) into res[0..n); frees the trial
 * results (sim_replicate and sim_exp_run share it). */
/* sim_trials with hooks[i] (a copy, .traffic set by the runner) for
 * trial i; hooks NULL: none (compare.c). */
int sim__trials_hooks(const struct sim_trial *t, const struct sim_hooks *hooks, uint32_t n,
                      int threads, struct sim_result *res, int *rc, char *err, size_t errlen);
int sim__fold(const struct scenario *scn, const struct sim_trial *t, uint32_t n, uint32_t R,
              int ref, struct sim_result *tr, int *trc, const char *terr, struct sim_result *res,
              int *rc, char *err, size_t errlen);

#endif /* LBSIM_SIM_INT_H */
