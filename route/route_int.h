/*
 * route_int.h - internals shared by the files of route/ (prefix route__).
 *
 * Not installed, not part of the contract: plugins see route.h and
 * route_strategy.h only.
 * Holds the candidate filter every strategy applies (usable and not
 * saturated), the rate-limit filter of the LiteLLM-style strategies, and
 * the extern ops tables the registry lists.
 */
#ifndef LBSIM_ROUTE_INT_H
#define LBSIM_ROUTE_INT_H

#include <string.h>

#include "route_strategy.h"

/* Rolling 60 s usage window, one-second buckets (sliding, the way
 * providers meter, not LiteLLM's fixed wall-clock minute).  The router
 * keeps one per backend (window.c) and publishes its sums as rpm_used /
 * tpm_used; strategies never see the ring. */
#define ROUTE__WINDOW_SLOTS   60u
#define ROUTE__WINDOW_SLOT_NS 1000000000LL

struct route__window {
    int64_t slot_start_ns;            /* start time of newest slot */
    uint32_t head;                    /* index of newest slot */
    int64_t req[ROUTE__WINDOW_SLOTS]; /* requests per slot */
    int64_t tok[ROUTE__WINDOW_SLOTS]; /* tokens per slot */
    int64_t req_sum, tok_sum;         /* sums over the window */
};

void route__window_init(struct route__window *w, int64_t now_ns);
/* Roll forward to now (time going backwards is ignored). */
void route__window_advance(struct route__window *w, int64_t now_ns);
/* Count `requests` and `tokens` at now.  Inline: almost every call lands in
 * the newest slot (many requests per second per backend), where it is four
 * additions; only a call in a later second rolls the ring. */
static inline void route__window_add(struct route__window *w, int64_t now_ns, int64_t requests,
                                     int64_t tokens);
/* When the sums of w next change by themselves (INT64_MAX: empty). */
int64_t route__window_next_change(const struct route__window *w);

/* Write a message into a caller buffer (NULL or 0 length: dropped). */
void route__errf(char *err, size_t errlen, const char *fmt, ...);

/* Unbiased integer in [0, n) for n that may exceed 32 bits (sums of
 * weights).  n must be > 0. */
uint64_t route__rand_below64(const struct route_env *env, uint64_t n);

/* Tokens a request charges at admission: input + max_tokens, each clamped
 * at 0, saturating at INT64_MAX (what the router adds to the TPM window and
 * to inflight_tokens). */
static inline int64_t route__req_tokens(const struct route_req *req)
{
    int64_t in = req->input_tokens > 0 ? req->input_tokens : 0;
    int64_t out = req->max_tokens > 0 ? req->max_tokens : 0;
    return in > INT64_MAX - out ? INT64_MAX : in + out;
}

/* Router-side concurrency cap reached (cfg.max_inflight 0 = no cap). */
static inline bool route__saturated(const struct route_backend *b)
{
    return b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight;
}

/* A strategy may choose backend i: healthy, not excluded, not saturated. */
static inline bool route__eligible(const struct route_view *v, const uint64_t *ex, uint32_t i)
{
    return route_usable(v, ex, i) && !route__saturated(&v->b[i]);
}

/*
 * The LiteLLM rate-limit filter (lowest_tpm_rpm_v2.py, lowest_latency.py,
 * lowest_cost.py): one more request must fit rpm_limit and the request's
 * input + max_tokens must fit tpm_limit in the current 60 s window.  A limit
 * of 0 is unlimited.  Written so no sum can overflow.
 */
static inline bool route__within_limits(const struct route_backend *b, const struct route_req *req)
{
    const struct route_backend_cfg *c = &b->cfg;
    if (c->rpm_limit > 0 && b->rpm_used >= c->rpm_limit)
        return false;
    if (c->tpm_limit > 0) {
        if (b->tpm_used > c->tpm_limit)
            return false;
        if (route__req_tokens(req) > c->tpm_limit - b->tpm_used)
            return false;
    }
    return true;
}

/* Counts of one filter pass over the view. */
struct route__count {
    uint32_t usable;   /* healthy and not excluded */
    uint32_t eligible; /* usable and not saturated */
};

/* One pass: how many backends are usable and how many eligible. */
struct route__count route__count_eligible(const struct route_view *v, const uint64_t *ex);

/* The answer when no eligible backend exists: ROUTE_FULL if some backend is
 * usable (all saturated: queue), ROUTE_NONE if none is. */
static inline int32_t route__no_pick(struct route__count c)
{
    return c.usable > 0 ? ROUTE_FULL : ROUTE_NONE;
}

/* Index of the k-th (0-based) eligible backend, or ROUTE_NONE. */
int32_t route__nth_eligible(const struct route_view *v, const uint64_t *ex, uint32_t k);

/*
 * The answer of a rate-limit-filtering strategy when no eligible backend is
 * within its limits: ROUTE_FULL if some usable but saturated backend is
 * within limits (waiting for it can succeed), otherwise ROUTE_NONE (LiteLLM:
 * "No deployments available", a 429).  Off the hot path.
 */
int32_t route__limited_no_pick(const struct route_view *v, const uint64_t *ex,
                               const struct route_req *req);

/* Saturating int64 addition (times, token sums). */
static inline int64_t route__sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static inline void route__window_add(struct route__window *w, int64_t now_ns, int64_t requests,
                                     int64_t tokens)
{
    /* Unsigned: exact even when the signed difference would overflow. */
    if (now_ns < w->slot_start_ns ||
        (uint64_t)now_ns - (uint64_t)w->slot_start_ns >= (uint64_t)ROUTE__WINDOW_SLOT_NS)
        route__window_advance(w, now_ns);
    w->req[w->head] = route__sat_add(w->req[w->head], requests);
    w->tok[w->head] = route__sat_add(w->tok[w->head], tokens);
    w->req_sum = route__sat_add(w->req_sum, requests);
    w->tok_sum = route__sat_add(w->tok_sum, tokens);
}

/* floor(t / d) for d > 0, correct for negative t. */
static inline int64_t route__floor_div(int64_t t, int64_t d)
{
    int64_t q = t / d;
    return (t % d != 0 && t < 0) ? q - 1 : q;
}

/* Bit i of a backend bitset (NULL = every bit set: "all backends"). */
static inline bool route__bit_or_all(const uint64_t *bits, uint32_t i)
{
    return bits == NULL || ((bits[i >> 6] >> (i & 63u)) & 1u) != 0;
}

/*
 * Health of a router's backends (health.c): LiteLLM cooldowns, the
 * circuit breaker and Envoy outlier ejection, plus the gateway's own
 * route_router_set_health() marks.  The router owns one and calls:
 *  - route__health_pick_begin before every pick: writes the health and
 *    cooldown_until_ns of the backends whose timed state ended by
 *    env->now_ns into `view` (a deadline heap: O(log n) per transition, O(1)
 *    otherwise), then offers open backends per exploration /
 *    bypass_all_open for this pick only (O(n / 64 + open));
 *  - route__health_pick_end after it: undoes those per-pick offers;
 *  - route__health_dispatch / route__health_complete from the lifecycle
 *    calls (half-open probes; the outcome rules), which update `view` at
 *    once for that backend.
 * Each only when route__health_gate_of() says it has work (pick_end after
 * every pick_begin).
 * `view` is the strategy-visible backend array.
 */
struct route__health;
struct route__fleet;

/* Which health calls have work to do, kept by the health layer so that the
 * router skips the others inline (no health mechanism configured, nothing
 * timed, nothing open: the common case costs no call at all). */
struct route__health_gate {
    bool pick;     /* pick_begin: a timed state is pending or a backend is open */
    bool dispatch; /* dispatch: the breaker is on (half-open probes) */
    bool complete; /* complete: some mechanism (cooldown, breaker, outlier) is on */
};
struct route__health *route__health_create(const struct route_health_cfg *cfg,
                                           const struct route_backend_cfg *cfgs, uint32_t n,
                                           char *err, size_t errlen);
void route__health_destroy(struct route__health *h);
/* The health layer's gate, valid for its lifetime. */
const struct route__health_gate *route__health_gate_of(const struct route__health *h);
/* Keep the fleet's unusable bits and journal up to date (NULL: none). */
void route__health_set_fleet(struct route__health *h, struct route__fleet *f);
void route__health_set_admin(struct route__health *h, uint32_t i, enum route_health st,
                             struct route_backend *view);
void route__health_pick_begin(struct route__health *h, const struct route_env *env,
                              struct route_backend *view);
void route__health_pick_end(struct route__health *h, struct route_backend *view);
void route__health_dispatch(struct route__health *h, uint32_t i, int64_t now_ns,
                            struct route_backend *view);
void route__health_complete(struct route__health *h, uint32_t i, const struct route_outcome *out,
                            int64_t now_ns, struct route_backend *view, struct route_stats *st);
/* Whether a pick at now_ns (the router passes the latest time it has seen:
 * a pick, a dispatch or an outcome) may offer backend i: its timed states
 * evaluated at that time, without changing them (route_router_group_counts). */
bool route__health_offered(const struct route__health *h, uint32_t i, int64_t now_ns);

/* ---------------------------------------------------------------------
 * Bitset helpers (word-parallel: O(n / 64) per pass)
 * ------------------------------------------------------------------- */

static inline uint32_t route__popcount64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
#endif
}

/* Index of the lowest set bit of x != 0. */
static inline uint32_t route__ctz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_ctzll(x);
#else
    uint32_t k = 0;
    while ((x & 1u) == 0) {
        x >>= 1;
        k++;
    }
    return k;
#endif
}

/* Index of the highest set bit of x != 0. */
static inline uint32_t route__msb64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return 63u - (uint32_t)__builtin_clzll(x);
#else
    uint32_t k = 0;
    while (x >>= 1)
        k++;
    return k;
#endif
}

/* Valid bits of word w of an n-bit set. */
static inline uint64_t route__word_mask(uint32_t n, uint32_t w)
{
    uint32_t last = (n - 1u) >> 6;
    if (w < last)
        return ~(uint64_t)0;
    return (n & 63u) == 0 ? ~(uint64_t)0 : (((uint64_t)1 << (n & 63u)) - 1u);
}

/* Index of the k-th (0-based) set bit of bits (words words), or -1. */
int32_t route__bits_select(const uint64_t *bits, uint32_t words, uint32_t k);

/* ---------------------------------------------------------------------
 * Fleet: what a router maintains for its built-in strategies so that a
 * pick need not look at every backend.
 *
 * A router keeps, for the view it hands to strategies:
 *  - `unusable`: bit i set when view->b[i].health is neither HEALTHY nor
 *    HALF_OPEN (kept by the health layer, per-pick offers included);
 *  - `saturated`: bit i set when the view's inflight >= max_inflight > 0;
 *  - a journal: the index of every backend whose view entry changed
 *    (health, counters, windows, signals, spend), in order, in a ring of
 *    mask + 1 entries.  A strategy keeps a cursor; when it has fallen more
 *    than a ring behind it rebuilds its index from the view.
 * A strategy gets the fleet at create() from its own node,
 * route__node_fleet(args->node) (NULL outside a router: strategies created
 * by hand, as the unit tests do, keep their plain scans) and must check at
 * pick time that it is called with that router's view (route__fleet_of).
 * ------------------------------------------------------------------- */
struct route__fleet {
    const struct route_view *view;
    uint32_t n, words;
    uint64_t *unusable;
    uint64_t *saturated;
    uint32_t *ring;
    uint32_t mask;
    uint64_t seq;
    /* Some strategy of the router reads the journal (it took the fleet
     * with route__node_fleet).  Without one, nothing is written to the ring:
     * a router of round_robin or random over a few backends pays no journal
     * upkeep on its lifecycle calls. */
    bool journal;
};

/* The fleet of the router owning `node`; NULL for a NULL node.  The caller
 * may read the journal: from then on the router keeps it. */
const struct route__fleet *route__node_fleet(const struct route_node *node);

/* The fleet of the router owning `node` for a strategy that reads only its
 * unusable and saturated bits, never the journal (so the router need not
 * keep one for it); NULL for a NULL node. */
const struct route__fleet *route__node_fleet_bits(const struct route_node *node);

static inline const struct route__fleet *route__fleet_of(const struct route__fleet *f,
                                                         const struct route_view *view)
{
    return f != NULL && f->view == view ? f : NULL;
}

/* Record that backend i's view entry changed. */
static inline void route__fleet_note(struct route__fleet *f, uint32_t i)
{
    if (f == NULL || !f->journal)
        return;
    f->ring[f->seq & f->mask] = i;
    f->seq++;
}

static inline void route__bit_put(uint64_t *bits, uint32_t i, bool on)
{
    uint64_t m = (uint64_t)1 << (i & 63u);
    if (on)
        bits[i >> 6] |= m;
    else
        bits[i >> 6] &= ~m;
}

static inline bool route__bit(const uint64_t *bits, uint32_t i)
{
    return ((bits[i >> 6] >> (i & 63u)) & 1u) != 0;
}

/* The health layer wrote view[i].health = h. */
static inline void route__fleet_health(struct route__fleet *f, uint32_t i, enum route_health h)
{
    if (f == NULL)
        return;
    route__bit_put(f->unusable, i, !(h == ROUTE_HEALTHY || h == ROUTE_HALF_OPEN));
    route__fleet_note(f, i);
}

/* Eligible (usable, not saturated, not excluded) from the fleet's bits,
 * O(1). */
static inline bool route__fleet_eligible(const struct route__fleet *f, const uint64_t *ex,
                                         uint32_t i)
{
    uint32_t w = i >> 6;
    uint64_t bad = f->unusable[w] | f->saturated[w] | (ex != NULL ? ex[w] : 0);
    return ((bad >> (i & 63u)) & 1u) == 0;
}

/* Eligible (mode 2: usable, not saturated) or usable (mode 1) backends not
 * in ex, as a bitset written to out (words words); returns their count.
 * From the fleet in O(n / 64) when f is given, else by a scan of the view. */
uint32_t route__candidate_bits(const struct route__fleet *f, const struct route_view *v,
                               const uint64_t *ex, int mode, uint64_t *out);

/* The fleet's unusable / saturated bitsets, or (f NULL) the same computed
 * from the view into the caller's scratch (O(n)); *u and *sat point to the
 * result. */
void route__state_bits(const struct route__fleet *f, const struct route_view *v,
                       uint64_t *u_scratch, uint64_t *sat_scratch, const uint64_t **u,
                       const uint64_t **sat);

/* True when some backend of `among` (NULL: all) is usable (mode 1) or
 * eligible (mode 2) and not in ex; O(n / 64) with a fleet. */
bool route__any_candidate(const struct route__fleet *f, const struct route_view *v,
                          const uint64_t *ex, const uint64_t *among, int mode);

/* Drain the journal into an index: calls fn(ctx, i) for each backend that
 * changed since *cursor and returns true, or returns false (cursor moved to
 * the present) when the caller must rebuild from the view instead. */
static inline bool route__fleet_drain(const struct route__fleet *f, uint64_t *cursor,
                                      void (*fn)(void *ctx, uint32_t i), void *ctx)
{
    uint64_t c = *cursor;
    if (c == UINT64_MAX || f->seq - c > (uint64_t)f->mask + 1u) {
        *cursor = f->seq;
        return false;
    }
    for (; c < f->seq; c++)
        fn(ctx, f->ring[c & f->mask]);
    *cursor = c;
    return true;
}

/* ---------------------------------------------------------------------
 * Indexed binary min-heap over backend indices, ordered by (key, index).
 * pos[] and key[] are indexed by backend and may be shared by several
 * heaps whose members are disjoint.  No allocation after init.
 * ------------------------------------------------------------------- */
#define ROUTE__ABSENT UINT32_MAX

struct route__heap {
    uint32_t *item; /* heap array of backend indices */
    uint32_t n, cap;
    uint32_t *pos; /* pos[i]: slot of backend i, ROUTE__ABSENT when not here */
    int64_t *key;  /* key[i] */
};

static inline bool route__heap_less(const struct route__heap *h, uint32_t a, uint32_t b)
{
    return h->key[a] < h->key[b] || (h->key[a] == h->key[b] && a < b);
}

/* Allocate an empty heap for backends 0 .. n - 1 (0, or -1 out of memory:
 * free with route__heap_free, which also takes a zeroed heap). */
int route__heap_init(struct route__heap *h, uint32_t n);
void route__heap_free(struct route__heap *h);
/* Insert i with key k, or move it to key k if present. */
void route__heap_set(struct route__heap *h, uint32_t i, int64_t k);
/* Remove i if present. */
void route__heap_remove(struct route__heap *h, uint32_t i);

/* Enumerate a heap's members in (key, index) order without changing it:
 * frontier storage of h->cap slots; O(log) per step. */
struct route__heap_walk {
    const struct route__heap *h;
    uint32_t *fr; /* heap slots, a min-heap by the members at those slots */
    uint32_t nf;
};
void route__heap_walk_start(struct route__heap_walk *w, const struct route__heap *h,
                            uint32_t *frontier);
/* The next member, or -1 when done.  Members whose key exceeds `bound`
 * (INT64_MAX: no bound) may be left out. */
int32_t route__heap_walk_next(struct route__heap_walk *w, int64_t bound);

/* Below this many backends every strategy keeps its plain scan (the very
 * same answers and random draws as without indexes): index upkeep on every
 * dispatch / completion, or a rejection draw, costs more than scanning a
 * handful of backends. */
#define ROUTE__INDEX_MIN_N 32u

/* The fleet a strategy being created indexes from: NULL outside a router
 * or below ROUTE__INDEX_MIN_N backends. */
static inline const struct route__fleet *route__fleet_for(const struct route_create_args *args)
{
    return args->n_backends >= ROUTE__INDEX_MIN_N ? route__node_fleet(args->node) : NULL;
}

/*
 * Argmin index with random ties: members keyed by an int64 >= 0; the
 * members with key 0 (idle backends: often many) sit in a dense set drawn
 * from in O(1), the others in a heap walked in key order.  pick returns a
 * uniformly random member among those accepted by ok() at the smallest key
 * where some member is accepted, or -1.  Cost: O(1) expected when the
 * smallest members are accepted, plus O(log n) per rejected or tied member
 * walked.
 */
struct route__minidx {
    uint32_t *zero, *zpos; /* dense set of key-0 members, positions */
    uint32_t nz;
    struct route__heap heap; /* key > 0 members */
    uint32_t *frontier;
};
int route__minidx_init(struct route__minidx *x, uint32_t n);
void route__minidx_free(struct route__minidx *x);
/* Make i a member with key k (clamped at 0), or not a member. */
void route__minidx_set(struct route__minidx *x, uint32_t i, bool member, int64_t k);
void route__minidx_clear(struct route__minidx *x);
int32_t route__minidx_pick(struct route__minidx *x, const struct route_env *env,
                           bool (*ok)(void *ctx, uint32_t i), void *ctx);

/* The plain passes of least_inflight (key: inflight) and
 * least_inflight_tokens (key: inflight_tokens), strategy/least_inflight.c: the
 * eligible backend of smallest key, ties uniformly at random (reservoir
 * sampling, one draw per tie met); FULL / NONE when none is eligible.
 * O(n). */
int32_t route__least_scan(const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude);
int32_t route__least_tokens_scan(const struct route_view *view, const struct route_env *env,
                                 const uint64_t *exclude);

/*
 * Load buckets (least_inflight, cache_aware_guarded; index/buckets.c), in a
 * router only.  The backends sit in an array sorted by bucket: bucket 0
 * holds the unusable ones (neither HEALTHY nor HALF_OPEN), bucket k in
 * 1 .. ROUTE__BUCKETS_KMAX those with k - 1 in flight, the last one
 * (ROUTE__BUCKETS_OVERFLOW) loads >= ROUTE__BUCKETS_KMAX, for which the
 * caller's plain pass answers.  A load changes by 1 per dispatch or
 * completion: one swap across a bucket boundary; a backend turning
 * unusable or usable again moves to or from bucket 0 in O(load) swaps.
 * Per bucket the number of saturated members, and a two-level bitset of
 * the buckets that may hold an unsaturated member (a bit is set when one
 * joins, cleared when a search meets the bucket without one), give the
 * lowest / highest bucket holding an eligible backend in O(1) amortised.  An exclude set is counted
 * into its members' buckets for one pick (pick_begin / pick_end).
 */
#define ROUTE__BUCKETS_KMAX     1024u
#define ROUTE__BUCKETS_NB       (ROUTE__BUCKETS_KMAX + 2u)
#define ROUTE__BUCKETS_OVERFLOW (ROUTE__BUCKETS_NB - 1u)
#define ROUTE__BUCKETS_WORDS    ((ROUTE__BUCKETS_NB + 63u) / 64u)
/* route__buckets_least: the lowest eligible bucket is the overflow one. */
#define ROUTE__BUCKETS_PASS (-3)

struct route__buckets {
    const struct route__fleet *fleet;
    uint32_t n;
    uint64_t cursor;                     /* journal position, UINT64_MAX: never built */
    uint32_t *ord;                       /* backends by bucket */
    uint32_t *pos;                       /* position of each backend in ord */
    uint32_t *bkt;                       /* bucket of each backend */
    bool *sat;                           /* saturated, as filed */
    uint32_t *start;                     /* NB + 1: first position of each bucket */
    uint32_t *nsat;                      /* NB: saturated members per bucket */
    uint32_t *nex;                       /* NB: excluded unsaturated members, this pick */
    const uint64_t *ex;                  /* this pick's exclude set (NULL: none) */
    uint32_t n_ex;                       /* its members counted into nex */
    uint64_t live[ROUTE__BUCKETS_WORDS]; /* clear: bucket has no unsaturated member */
    uint64_t live_sum;                   /* bit w: live[w] != 0 */
};

/* Allocate for the n backends of fleet f's view (0, or -1 out of memory:
 * free with route__buckets_free, which also takes a zeroed struct). */
int route__buckets_init(struct route__buckets *b, const struct route__fleet *f, uint32_t n);
void route__buckets_free(struct route__buckets *b);
/* Catch up with the router's journal (refile the backends that changed,
 * or all of them when it has been lost); O(1) when nothing changed. */
void route__buckets_catch_up(struct route__buckets *b);
static inline void route__buckets_sync(struct route__buckets *b)
{
    if (b->cursor != b->fleet->seq)
        route__buckets_catch_up(b);
}
bool route__buckets_exclude(struct route__buckets *b, const uint64_t *ex);
void route__buckets_unexclude(struct route__buckets *b);
/* Count an exclude set (NULL: none) in for one pick; false (nothing to
 * undo) when it holds more than a quarter of the backends: the caller's
 * pass should answer.  Each true must be followed by pick_end. */
static inline bool route__buckets_pick_begin(struct route__buckets *b, const uint64_t *ex)
{
    b->ex = NULL;
    b->n_ex = 0;
    return ex == NULL || route__buckets_exclude(b, ex);
}
static inline void route__buckets_pick_end(struct route__buckets *b)
{
    if (b->n_ex > 0)
        route__buckets_unexclude(b);
    b->ex = NULL;
}
/* The lowest (up) or highest bucket with an eligible member, 0 if none
 * (clears the stale bits it meets). */
uint32_t route__buckets_extreme(struct route__buckets *b, bool up);
/* A uniformly random eligible member of bucket k (which has one). */
int32_t route__buckets_draw(const struct route__buckets *b, uint32_t k,
                            const struct route_env *env);
/* A uniformly random eligible backend of least load; ROUTE_NONE when none
 * is eligible, ROUTE__BUCKETS_PASS when the least load is unknown. */
int32_t route__buckets_least(struct route__buckets *b, const struct route_env *env);

/* least_inflight's pick from load buckets b (initialised, fleet set):
 * the same rule as route__least_scan, which answers when b cannot (another
 * view, loads in the overflow bucket, a large exclude set). */
int32_t route__least_indexed(struct route__buckets *b, const struct route_view *view,
                             const struct route_env *env, const uint64_t *exclude);

/* int64 with the order of a (non-NaN) double: a < b iff key(a) < key(b);
 * -0.0 and +0.0 map to the same key. */
static inline int64_t route__double_key(double d)
{
    int64_t k;
    d += 0.0; /* -0.0 -> +0.0 */
    memcpy(&k, &d, sizeof k);
    return k >= 0 ? k : (int64_t)((uint64_t)k ^ (uint64_t)INT64_MAX);
}

/* Built-in strategies, listed by registry.c.  One table per strategy,
 * defined in the strategy's file (const, so immutable). */
extern const struct route_ops route__ops_random;
extern const struct route_ops route__ops_weighted_random;
extern const struct route_ops route__ops_round_robin;
extern const struct route_ops route__ops_least_inflight;
extern const struct route_ops route__ops_power_of_two;
extern const struct route_ops route__ops_lowest_latency;
extern const struct route_ops route__ops_lowest_cost;
extern const struct route_ops route__ops_lowest_usage;
extern const struct route_ops route__ops_least_inflight_tokens;
extern const struct route_ops route__ops_expected_latency;
extern const struct route_ops route__ops_price_weighted;
extern const struct route_ops route__ops_sort_by;
extern const struct route_ops route__ops_weighted_scorers;
extern const struct route_ops route__ops_prefix_affinity;
extern const struct route_ops route__ops_cache_aware_guarded;
extern const struct route_ops route__ops_bounded_load_hash;
extern const struct route_ops route__ops_filter;
extern const struct route_ops route__ops_ordered_priority;
extern const struct route_ops route__ops_sticky;
extern const struct route_ops route__ops_model_tier;
extern const struct route_ops route__ops_fallback;
extern const struct route_ops route__ops_loadbalance;

#endif /* LBSIM_ROUTE_INT_H */
