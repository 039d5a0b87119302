/*
 * route_router.c - the router object (backend view + a tree of strategy
 * nodes + lifecycle calls), ops validation, random helpers and the 60 s
 * usage windows.
 *
 * The router owns the live counters a strategy reads (in flight, windowed
 * RPM/TPM, TTFT EWMA, backend-reported signals, budget spend) and keeps them
 * exact from the lifecycle calls the gateway makes; strategies only read
 * them.  With a staleness > 0 the counters a strategy sees are a copy
 * republished at most that often (metrics scraped at an interval: llm-d
 * 50 ms, vLLM production-stack 30 s, SGLang load_check_interval_secs;
 * reference/routers.md §5 "Signal freshness"); health is always current.
 *
 * Strategies form a tree (route_spec -> route_node): children are created
 * first, so a parent's create() gets live child nodes.  Every node sees
 * every lifecycle hook (children before parents), so wrappers and the
 * strategies they wrap all keep their signals.  Nothing here allocates
 * after route_router_create_spec().
 */
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

/* 2^-53: scales 53 random bits into [0, 1) (every double in [0, 1) that is a
 * multiple of 2^-53, equally likely). */
static const double RAND_UNIT_SCALE = 0x1.0p-53;

/* ---------------------------------------------------------------------
 * Messages and random numbers
 * ------------------------------------------------------------------- */

void route__errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint64_t draw64(const struct route_env *env)
{
    return (*env->rand)(env->rand_ctx);
}

/*
 * Lemire, "Fast Random Integer Generation in an Interval" (ACM TOMACS 2019):
 * multiply 32 random bits by n and keep the high half; reject the few low
 * halves below 2^32 mod n so every result is equally likely.  The high 32
 * bits of each draw are used (the better bits of weak generators).
 */
uint32_t route_rand_below(const struct route_env *env, uint32_t n)
{
    uint64_t m;
    uint32_t low;
    if (n == 0)
        return 0; /* contract violation: no valid answer, do not loop */
    m = (draw64(env) >> 32) * (uint64_t)n;
    low = (uint32_t)m;
    if (low < n) {
        /* 2^32 mod n, Lemire's rejection threshold (not a bounding step). */
        uint32_t threshold = (0u - n) % n;
        while (low < threshold) {
            m = (draw64(env) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double route_rand_unit(const struct route_env *env)
{
    return (double)(draw64(env) >> 11) * RAND_UNIT_SCALE;
}

/* For bounds above 32 bits: mask to the next power of two and reject,
 * fewer than 2 draws on average. */
uint64_t route__rand_below64(const struct route_env *env, uint64_t n)
{
    uint64_t mask, x;
    if (n <= UINT32_MAX)
        return n == 0 ? 0 : route_rand_below(env, (uint32_t)n);
    mask = n - 1;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    do {
        x = draw64(env) & mask;
    } while (x >= n);
    return x;
}

/* ---------------------------------------------------------------------
 * Shared candidate filters (route_int.h)
 * ------------------------------------------------------------------- */

struct route__count route__count_eligible(const struct route_view *v, const uint64_t *ex)
{
    struct route__count c = {0, 0};
    for (uint32_t i = 0; i < v->n; i++) {
        if (!route_usable(v, ex, i))
            continue;
        c.usable++;
        if (!route__saturated(&v->b[i]))
            c.eligible++;
    }
    return c;
}

int32_t route__nth_eligible(const struct route_view *v, const uint64_t *ex, uint32_t k)
{
    for (uint32_t i = 0; i < v->n; i++) {
        if (!route__eligible(v, ex, i))
            continue;
        if (k == 0)
            return (int32_t)i;
        k--;
    }
    return ROUTE_NONE;
}

int32_t route__limited_no_pick(const struct route_view *v, const uint64_t *ex,
                               const struct route_req *req)
{
    for (uint32_t i = 0; i < v->n; i++) {
        if (route_usable(v, ex, i) && route__saturated(&v->b[i]) &&
            route__within_limits(&v->b[i], req))
            return ROUTE_FULL;
    }
    return ROUTE_NONE;
}

/* ---------------------------------------------------------------------
 * Bitsets, the fleet, heaps (route_int.h)
 * ------------------------------------------------------------------- */

int32_t route__bits_select(const uint64_t *bits, uint32_t words, uint32_t k)
{
    for (uint32_t w = 0; w < words; w++) {
        uint64_t x = bits[w];
        uint32_t c = route__popcount64(x);
        if (k >= c) {
            k -= c;
            continue;
        }
        while (k-- > 0)
            x &= x - 1u;
        return (int32_t)(w * 64u + route__ctz64(x));
    }
    return -1;
}

uint32_t route__candidate_bits(const struct route__fleet *f, const struct route_view *v,
                               const uint64_t *ex, int mode, uint64_t *out)
{
    uint32_t words = ROUTE_EXCLUDE_WORDS(v->n), count = 0;
    if (f != NULL) {
        for (uint32_t w = 0; w < words; w++) {
            uint64_t bad = f->unusable[w] | (ex != NULL ? ex[w] : 0);
            if (mode == 2)
                bad |= f->saturated[w];
            out[w] = ~bad & route__word_mask(v->n, w);
            count += route__popcount64(out[w]);
        }
        return count;
    }
    memset(out, 0, words * sizeof out[0]);
    for (uint32_t i = 0; i < v->n; i++) {
        if (mode == 2 ? route__eligible(v, ex, i) : route_usable(v, ex, i)) {
            route_exclude_set(out, i);
            count++;
        }
    }
    return count;
}

void route__state_bits(const struct route__fleet *f, const struct route_view *v,
                       uint64_t *u_scratch, uint64_t *sat_scratch, const uint64_t **u,
                       const uint64_t **sat)
{
    uint32_t words = ROUTE_EXCLUDE_WORDS(v->n);
    if (f != NULL) {
        *u = f->unusable;
        *sat = f->saturated;
        return;
    }
    memset(u_scratch, 0, words * sizeof u_scratch[0]);
    memset(sat_scratch, 0, words * sizeof sat_scratch[0]);
    for (uint32_t i = 0; i < v->n; i++) {
        enum route_health h = v->b[i].health;
        if (!(h == ROUTE_HEALTHY || h == ROUTE_HALF_OPEN))
            route_exclude_set(u_scratch, i);
        if (route__saturated(&v->b[i]))
            route_exclude_set(sat_scratch, i);
    }
    *u = u_scratch;
    *sat = sat_scratch;
}

bool route__any_candidate(const struct route__fleet *f, const struct route_view *v,
                          const uint64_t *ex, const uint64_t *among, int mode)
{
    if (f != NULL) {
        uint32_t words = ROUTE_EXCLUDE_WORDS(v->n);
        for (uint32_t w = 0; w < words; w++) {
            uint64_t bad = f->unusable[w] | (ex != NULL ? ex[w] : 0);
            if (mode == 2)
                bad |= f->saturated[w];
            if ((~bad & route__word_mask(v->n, w) & (among != NULL ? among[w] : ~(uint64_t)0)) != 0)
                return true;
        }
        return false;
    }
    for (uint32_t i = 0; i < v->n; i++) {
        if (route__bit_or_all(among, i) &&
            (mode == 2 ? route__eligible(v, ex, i) : route_usable(v, ex, i)))
            return true;
    }
    return false;
}

static void heap_swap(struct route__heap *h, uint32_t a, uint32_t b)
{
    uint32_t x = h->item[a], y = h->item[b];
    h->item[a] = y;
    h->item[b] = x;
    h->pos[y] = a;
    h->pos[x] = b;
}

static void heap_up(struct route__heap *h, uint32_t p)
{
    while (p > 0) {
        uint32_t q = (p - 1) / 2;
        if (!route__heap_less(h, h->item[p], h->item[q]))
            break;
        heap_swap(h, p, q);
        p = q;
    }
}

static void heap_down(struct route__heap *h, uint32_t p)
{
    for (;;) {
        uint32_t l = 2 * p + 1, m = p;
        if (l < h->n && route__heap_less(h, h->item[l], h->item[m]))
            m = l;
        if (l + 1 < h->n && route__heap_less(h, h->item[l + 1], h->item[m]))
            m = l + 1;
        if (m == p)
            return;
        heap_swap(h, p, m);
        p = m;
    }
}

int route__heap_init(struct route__heap *h, uint32_t n)
{
    uint32_t m = n > 0 ? n : 1;
    memset(h, 0, sizeof *h);
    h->item = calloc(m, sizeof *h->item);
    h->pos = calloc(m, sizeof *h->pos);
    h->key = calloc(m, sizeof *h->key);
    h->cap = n;
    if (h->item == NULL || h->pos == NULL || h->key == NULL) {
        route__heap_free(h);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        h->pos[i] = ROUTE__ABSENT;
    return 0;
}

void route__heap_free(struct route__heap *h)
{
    free(h->item);
    free(h->pos);
    free(h->key);
    memset(h, 0, sizeof *h);
}

void route__heap_set(struct route__heap *h, uint32_t i, int64_t k)
{
    uint32_t p = h->pos[i];
    if (p == ROUTE__ABSENT) {
        if (h->n >= h->cap)
            return; /* cannot happen: capacity is the number of backends */
        p = h->n++;
        h->item[p] = i;
        h->pos[i] = p;
        h->key[i] = k;
        heap_up(h, p);
        return;
    }
    if (k == h->key[i])
        return;
    if (k < h->key[i]) {
        h->key[i] = k;
        heap_up(h, p);
    } else {
        h->key[i] = k;
        heap_down(h, p);
    }
}

void route__heap_remove(struct route__heap *h, uint32_t i)
{
    uint32_t p = h->pos[i], last, moved;
    if (p == ROUTE__ABSENT)
        return;
    last = --h->n;
    h->pos[i] = ROUTE__ABSENT;
    if (p == last)
        return;
    moved = h->item[last];
    h->item[p] = moved;
    h->pos[moved] = p;
    heap_up(h, p);
    heap_down(h, h->pos[moved]);
}

/* The frontier is a min-heap of slots of h, by the members at them. */
static bool walk_less(const struct route__heap_walk *w, uint32_t a, uint32_t b)
{
    return route__heap_less(w->h, w->h->item[a], w->h->item[b]);
}

static void walk_push(struct route__heap_walk *w, uint32_t slot)
{
    uint32_t p = w->nf++;
    w->fr[p] = slot;
    while (p > 0) {
        uint32_t q = (p - 1) / 2, t;
        if (!walk_less(w, w->fr[p], w->fr[q]))
            break;
        t = w->fr[p];
        w->fr[p] = w->fr[q];
        w->fr[q] = t;
        p = q;
    }
}

void route__heap_walk_start(struct route__heap_walk *w, const struct route__heap *h,
                            uint32_t *frontier)
{
    w->h = h;
    w->fr = frontier;
    w->nf = 0;
    if (h->n > 0)
        walk_push(w, 0);
}

int32_t route__heap_walk_next(struct route__heap_walk *w, int64_t bound)
{
    uint32_t slot, p = 0;
    if (w->nf == 0)
        return -1;
    slot = w->fr[0];
    w->fr[0] = w->fr[--w->nf];
    for (;;) {
        uint32_t l = 2 * p + 1, m = p, t;
        if (l < w->nf && walk_less(w, w->fr[l], w->fr[m]))
            m = l;
        if (l + 1 < w->nf && walk_less(w, w->fr[l + 1], w->fr[m]))
            m = l + 1;
        if (m == p)
            break;
        t = w->fr[p];
        w->fr[p] = w->fr[m];
        w->fr[m] = t;
        p = m;
    }
    /* A frontier never holds more than (members + 1) / 2 + 1 slots. */
    if (2 * slot + 1 < w->h->n && w->h->key[w->h->item[2 * slot + 1]] <= bound)
        walk_push(w, 2 * slot + 1);
    if (2 * slot + 2 < w->h->n && w->h->key[w->h->item[2 * slot + 2]] <= bound)
        walk_push(w, 2 * slot + 2);
    return (int32_t)w->h->item[slot];
}

#define MINIDX_TRIES 8u

int route__minidx_init(struct route__minidx *x, uint32_t n)
{
    uint32_t m = n > 0 ? n : 1;
    memset(x, 0, sizeof *x);
    x->zero = calloc(m, sizeof *x->zero);
    x->zpos = calloc(m, sizeof *x->zpos);
    x->frontier = calloc(m, sizeof *x->frontier);
    if (x->zero == NULL || x->zpos == NULL || x->frontier == NULL ||
        route__heap_init(&x->heap, n) < 0) {
        route__minidx_free(x);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        x->zpos[i] = ROUTE__ABSENT;
    return 0;
}

void route__minidx_free(struct route__minidx *x)
{
    free(x->zero);
    free(x->zpos);
    route__heap_free(&x->heap);
    free(x->frontier);
    memset(x, 0, sizeof *x);
}

static void zero_remove(struct route__minidx *x, uint32_t i)
{
    uint32_t p = x->zpos[i], last;
    if (p == ROUTE__ABSENT)
        return;
    last = x->zero[--x->nz];
    x->zero[p] = last;
    x->zpos[last] = p;
    x->zpos[i] = ROUTE__ABSENT;
}

void route__minidx_set(struct route__minidx *x, uint32_t i, bool member, int64_t k)
{
    if (!member || k > 0)
        zero_remove(x, i);
    if (!member || k <= 0)
        route__heap_remove(&x->heap, i);
    if (!member)
        return;
    if (k > 0) {
        route__heap_set(&x->heap, i, k);
    } else if (x->zpos[i] == ROUTE__ABSENT) {
        x->zpos[i] = x->nz;
        x->zero[x->nz++] = i;
    }
}

void route__minidx_clear(struct route__minidx *x)
{
    for (uint32_t p = 0; p < x->nz; p++)
        x->zpos[x->zero[p]] = ROUTE__ABSENT;
    x->nz = 0;
    for (uint32_t p = 0; p < x->heap.n; p++)
        x->heap.pos[x->heap.item[p]] = ROUTE__ABSENT;
    x->heap.n = 0;
}

int32_t route__minidx_pick(struct route__minidx *x, const struct route_env *env,
                           bool (*ok)(void *ctx, uint32_t i), void *ctx)
{
    struct route__heap_walk w;
    int32_t best = -1, i;
    int64_t min = 0;
    uint32_t ties = 0;
    if (x->nz == 1 && ok(ctx, x->zero[0]))
        return (int32_t)x->zero[0];
    if (x->nz > 1) {
        uint32_t k = 0;
        for (uint32_t t = 0; t < MINIDX_TRIES; t++) {
            uint32_t c = x->zero[route_rand_below(env, x->nz)];
            if (ok(ctx, c))
                return (int32_t)c;
        }
        for (uint32_t p = 0; p < x->nz; p++)
            k += ok(ctx, x->zero[p]);
        if (k > 0) {
            k = route_rand_below(env, k);
            for (uint32_t p = 0; p < x->nz; p++) {
                if (ok(ctx, x->zero[p]) && k-- == 0)
                    return (int32_t)x->zero[p];
            }
        }
    }
    route__heap_walk_start(&w, &x->heap, x->frontier);
    while ((i = route__heap_walk_next(&w, best >= 0 ? min : INT64_MAX)) >= 0) {
        int64_t key = x->heap.key[i];
        if (best >= 0 && key > min)
            break;
        if (!ok(ctx, (uint32_t)i))
            continue;
        if (best < 0) {
            best = i;
            min = key;
            ties = 1;
        } else if (route_rand_below(env, ++ties) == 0) {
            best = i; /* each tie kept with probability 1/ties */
        }
    }
    return best;
}

/* ---------------------------------------------------------------------
 * Ops validation
 * ------------------------------------------------------------------- */

static bool valid_ident(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

int route_ops_check(const struct route_ops *ops, char *err, size_t errlen)
{
    const char *name;
    if (ops == NULL) {
        route__errf(err, errlen, "strategy table is NULL");
        return -1;
    }
    name = ops->name != NULL ? ops->name : "(null)";
    if (ops->abi_version != ROUTE_ABI_VERSION) {
        route__errf(err, errlen, "strategy '%s': ABI version %u, this router speaks %u", name,
                    (unsigned)ops->abi_version, (unsigned)ROUTE_ABI_VERSION);
        return -1;
    }
    if (!valid_ident(ops->name)) {
        route__errf(err, errlen, "strategy '%s': name must be non-empty [a-z0-9_]", name);
        return -1;
    }
    if (ops->pick == NULL || ops->create == NULL) {
        route__errf(err, errlen, "strategy '%s': %s callback is NULL", name,
                    ops->pick == NULL ? "pick" : "create");
        return -1;
    }
    if (ops->min_children > ops->max_children) {
        route__errf(err, errlen, "strategy '%s': min_children %u > max_children %u", name,
                    (unsigned)ops->min_children, (unsigned)ops->max_children);
        return -1;
    }
    if (ops->n_params > ROUTE_MAX_PARAMS) {
        route__errf(err, errlen, "strategy '%s': %u parameters, at most %u", name,
                    (unsigned)ops->n_params, (unsigned)ROUTE_MAX_PARAMS);
        return -1;
    }
    if (ops->n_params > 0 && ops->params == NULL) {
        route__errf(err, errlen, "strategy '%s': %u parameters but params is NULL", name,
                    (unsigned)ops->n_params);
        return -1;
    }
    for (uint32_t i = 0; i < ops->n_params; i++) {
        const struct route_param *p = &ops->params[i];
        if (!valid_ident(p->name)) {
            route__errf(err, errlen, "strategy '%s': parameter %u name must be non-empty [a-z0-9_]",
                        name, (unsigned)i);
            return -1;
        }
        /* Written so NaN fails too. */
        if (!(p->min <= p->max) || !(p->def >= p->min && p->def <= p->max)) {
            route__errf(err, errlen,
                        "strategy '%s': parameter '%s' default %g outside its range [%g, %g]", name,
                        p->name, p->def, p->min, p->max);
            return -1;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(ops->params[j].name, p->name) == 0) {
                route__errf(err, errlen, "strategy '%s': parameter '%s' defined twice", name,
                            p->name);
                return -1;
            }
        }
    }
    return 0;
}

int route_param_index(const struct route_ops *ops, const char *name)
{
    if (ops == NULL || name == NULL || ops->params == NULL)
        return -1;
    for (uint32_t i = 0; i < ops->n_params && i < ROUTE_MAX_PARAMS; i++) {
        if (ops->params[i].name != NULL && strcmp(ops->params[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* ---------------------------------------------------------------------
 * Usage windows: ROUTE_WINDOW_SLOTS one-second slots in a ring
 * ------------------------------------------------------------------- */

/*
 * Slots are aligned to multiples of ROUTE_WINDOW_SLOT_NS from time 0, so
 * every window of every router rolls at the same instants.  A slot
 * [s, s + 1 s) is forgotten once now reaches s + 60 s: a request counts for
 * between 59 and 60 s (the 1 s granularity of the sliding window).
 */
static int64_t slot_floor(int64_t t)
{
    int64_t r = t % ROUTE_WINDOW_SLOT_NS;
    if (r < 0)
        r += ROUTE_WINDOW_SLOT_NS;
    if (t < INT64_MIN + r)
        return INT64_MIN; /* the first, partial slot of time itself */
    return t - r;
}

void route_window_init(struct route_window *w, int64_t now_ns)
{
    memset(w, 0, sizeof *w);
    w->slot_start_ns = slot_floor(now_ns);
    w->head = 0;
}

/* Roll forward to now: each expired slot is subtracted from the sums and
 * zeroed once, so the cost is O(1) amortised and at most
 * ROUTE_WINDOW_SLOTS per call, whatever the gap.  Time going backwards is
 * ignored (the newest slot stays current). */
void route_window_advance(struct route_window *w, int64_t now_ns)
{
    uint64_t diff, steps;
    if (now_ns < w->slot_start_ns)
        return;
    /* Exact even when the signed difference would overflow. */
    diff = (uint64_t)now_ns - (uint64_t)w->slot_start_ns;
    steps = diff / (uint64_t)ROUTE_WINDOW_SLOT_NS;
    if (steps == 0)
        return;
    if (steps >= ROUTE_WINDOW_SLOTS) {
        memset(w->req, 0, sizeof w->req);
        memset(w->tok, 0, sizeof w->tok);
        w->req_sum = 0;
        w->tok_sum = 0;
        w->head = 0;
    } else {
        for (uint64_t k = 0; k < steps; k++) {
            w->head = w->head + 1 == ROUTE_WINDOW_SLOTS ? 0 : w->head + 1;
            w->req_sum -= w->req[w->head];
            w->tok_sum -= w->tok[w->head];
            w->req[w->head] = 0;
            w->tok[w->head] = 0;
        }
    }
    /* The new newest slot is the one containing now. */
    w->slot_start_ns = now_ns - (int64_t)(diff - steps * (uint64_t)ROUTE_WINDOW_SLOT_NS);
}

void route_window_add(struct route_window *w, int64_t now_ns, int64_t requests, int64_t tokens)
{
    route_window_advance(w, now_ns);
    w->req[w->head] = route__sat_add(w->req[w->head], requests);
    w->tok[w->head] = route__sat_add(w->tok[w->head], tokens);
    w->req_sum = route__sat_add(w->req_sum, requests);
    w->tok_sum = route__sat_add(w->tok_sum, tokens);
}

/* ---------------------------------------------------------------------
 * Router and nodes
 * ------------------------------------------------------------------- */

/* Buckets of the window timing wheel: > ROUTE_WINDOW_SLOTS seconds. */
#define ROUTE__WHEEL 64u

/* Deepest spec tree and most nodes accepted (bounds the recursion). */
#define ROUTE__MAX_DEPTH 32u
#define ROUTE__MAX_NODES 4096u

struct route_node {
    const struct route_ops *ops;
    void *state;
    bool created;
    struct route_router *router;
    const uint64_t *subset;       /* NULL = every backend */
    uint64_t *narrow;             /* exclude | ~subset, built by route_node_pick */
    uint64_t *scratch;            /* route_node_scratch() */
    struct route_node **children; /* n_children pointers */
    double *child_weights;        /* n_children weights */
    uint32_t n_children;
    double params[ROUTE_MAX_PARAMS];
};

struct route_router {
    struct route_node *nodes; /* post-order: children before parents, root last */
    uint32_t n_nodes;
    struct route_node *root;
    struct route_node **child_ptrs;
    double *child_w;
    uint64_t *bits;                 /* 3 bitsets per node: subset, narrow, scratch */
    struct route_backend_cfg *cfgs; /* copy handed to create() */
    struct route_backend *live;     /* the exact counters */
    struct route_backend *pub;      /* what strategies see (== live if no staleness) */
    struct route_view view;         /* view.b == pub */
    uint32_t n, words;
    uint64_t last_mask; /* valid bits of the last bitset word */
    bool clock_started;
    /* Lazy windows: a timing wheel of one-second buckets holding each
     * backend at the time its window's oldest non-empty slot expires (the
     * only times rpm/tpm_used change by themselves; always whole seconds). */
    int64_t *win_key;   /* n: that time, INT64_MAX = none */
    uint32_t *win_next; /* n: intrusive bucket lists */
    uint32_t *win_prev;
    uint32_t wheel[ROUTE__WHEEL];
    int64_t wheel_done; /* every expiry at or before this time is applied */
    bool wheel_overdue; /* one was scheduled at or before wheel_done */
    int64_t staleness_ns;
    bool published;
    int64_t next_publish_ns;
    /* Publication (staleness > 0): the backends whose live counters changed
     * since the last publication. */
    uint32_t *dirty;
    uint32_t n_dirty;
    uint64_t *dirty_bits;
    /* What built-in strategies use to skip whole-fleet scans. */
    struct route__fleet fleet;
    int64_t budget_next_ns; /* earliest budget window end */
    struct route__health *health;
    struct route_stats stats;
};

static bool bad_price(double p)
{
    return !(p >= 0.0 && p <= DBL_MAX); /* negative, NaN or infinite */
}

static int check_cfg(const struct route_ops *ops, const struct route_backend_cfg *c, uint32_t i,
                     char *err, size_t errlen)
{
    const char *bn = c->name != NULL ? c->name : "";
    const char *what = NULL;
    if (c->rpm_limit < 0)
        what = "rpm_limit is negative (0 = unlimited)";
    else if (c->tpm_limit < 0)
        what = "tpm_limit is negative (0 = unlimited)";
    else if (c->max_inflight < 0)
        what = "max_inflight is negative (0 = no cap)";
    else if (bad_price(c->price_input) || bad_price(c->price_cached) || bad_price(c->price_output))
        what = "a price is negative or not finite";
    else if (bad_price(c->budget_usd))
        what = "budget_usd is negative or not finite";
    else if (c->budget_window_ns < 0)
        what = "budget_window_ns is negative (0 = never resets)";
    if (what == NULL)
        return 0;
    route__errf(err, errlen, "strategy '%s': backend %u '%s': %s", ops->name, (unsigned)i, bn,
                what);
    return -1;
}

/* Validate a spec tree and count its nodes. */
static int check_spec(const struct route_spec *s, uint32_t depth, uint32_t *nodes, char *err,
                      size_t errlen)
{
    const struct route_ops *ops = s->ops;
    if (route_ops_check(ops, err, errlen) < 0)
        return -1;
    if (depth >= ROUTE__MAX_DEPTH) {
        route__errf(err, errlen, "strategy '%s': nested deeper than %u levels", ops->name,
                    (unsigned)ROUTE__MAX_DEPTH);
        return -1;
    }
    if (++*nodes > ROUTE__MAX_NODES) {
        route__errf(err, errlen, "strategy '%s': more than %u strategy nodes", ops->name,
                    (unsigned)ROUTE__MAX_NODES);
        return -1;
    }
    if (s->n_children < ops->min_children || s->n_children > ops->max_children) {
        if (ops->max_children == 0)
            route__errf(err, errlen, "strategy '%s': %u children, but it takes none", ops->name,
                        (unsigned)s->n_children);
        else if (ops->max_children == UINT32_MAX)
            route__errf(err, errlen, "strategy '%s': %u children, expects at least %u", ops->name,
                        (unsigned)s->n_children, (unsigned)ops->min_children);
        else
            route__errf(err, errlen, "strategy '%s': %u children, expects %u to %u", ops->name,
                        (unsigned)s->n_children, (unsigned)ops->min_children,
                        (unsigned)ops->max_children);
        return -1;
    }
    if (s->n_children > 0 && s->children == NULL) {
        route__errf(err, errlen, "strategy '%s': %u children but children is NULL", ops->name,
                    (unsigned)s->n_children);
        return -1;
    }
    for (uint32_t i = 0; i < ops->n_params; i++) {
        const struct route_param *p = &ops->params[i];
        double v = s->params[i];
        if (!(v >= p->min && v <= p->max)) {
            route__errf(err, errlen, "strategy '%s': parameter '%s' = %g outside [%g, %g]",
                        ops->name, p->name, v, p->min, p->max);
            return -1;
        }
    }
    for (uint32_t j = 0; j < s->n_children; j++) {
        double w = s->children[j].weight;
        if (!(w >= 0.0 && w <= DBL_MAX)) {
            route__errf(err, errlen, "strategy '%s': child %u weight %g is negative or not finite",
                        ops->name, (unsigned)j, w);
            return -1;
        }
        if (check_spec(&s->children[j], depth + 1, nodes, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Instantiate a spec subtree: children first, then the node. */
static struct route_node *build(struct route_router *r, const struct route_spec *s,
                                uint32_t *next_node, uint32_t *next_child, char *err, size_t errlen)
{
    uint32_t c0 = *next_child, k;
    struct route_node *node;
    struct route_create_args args;
    int rc;
    *next_child += s->n_children;
    for (uint32_t j = 0; j < s->n_children; j++) {
        struct route_node *child = build(r, &s->children[j], next_node, next_child, err, errlen);
        if (child == NULL)
            return NULL;
        r->child_ptrs[c0 + j] = child;
        r->child_w[c0 + j] = s->children[j].weight;
    }
    k = (*next_node)++;
    node = &r->nodes[k];
    node->ops = s->ops;
    node->router = r;
    node->narrow = r->bits + ((size_t)k * 3u + 1u) * r->words;
    node->scratch = r->bits + ((size_t)k * 3u + 2u) * r->words;
    if (s->backends != NULL) {
        uint64_t *sub = r->bits + (size_t)k * 3u * r->words;
        memcpy(sub, s->backends, r->words * sizeof *sub);
        sub[r->words - 1] &= r->last_mask;
        node->subset = sub;
    }
    node->children = s->n_children > 0 ? &r->child_ptrs[c0] : NULL;
    node->child_weights = s->n_children > 0 ? &r->child_w[c0] : NULL;
    node->n_children = s->n_children;
    memcpy(node->params, s->params, sizeof node->params);
    args.params = node->params;
    args.n_backends = r->n;
    args.cfgs = r->cfgs;
    args.children = node->children;
    args.child_weights = node->child_weights;
    args.n_children = node->n_children;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = s->ops->create(&node->state, &args, err, errlen);
    if (rc < 0) {
        if (err != NULL && errlen > 0 && err[0] == '\0')
            route__errf(err, errlen, "strategy '%s': create failed (%d)", s->ops->name, rc);
        return NULL;
    }
    node->created = true;
    return node;
}

void route_router_destroy(struct route_router *r)
{
    if (r == NULL)
        return;
    /* Parents before their children (reverse creation order). */
    for (uint32_t k = r->n_nodes; k-- > 0;) {
        struct route_node *node = &r->nodes[k];
        if (node->created && node->ops->destroy != NULL)
            node->ops->destroy(node->state);
    }
    route__health_destroy(r->health);
    free(r->nodes);
    free(r->child_ptrs);
    free(r->child_w);
    free(r->bits);
    free(r->cfgs);
    if (r->pub != r->live)
        free(r->pub);
    free(r->live);
    free(r->win_key);
    free(r->win_next);
    free(r->win_prev);
    free(r->dirty);
    free(r->dirty_bits);
    free(r->fleet.unusable);
    free(r->fleet.saturated);
    free(r->fleet.ring);
    free(r);
}

/* Journal size: a power of two >= 4n and >= 2048, so that a strategy
 * that rebuilds after falling a ring behind pays O(1) per change. */
static uint32_t journal_size(uint32_t n)
{
    uint32_t s = 2048;
    while (s < 4u * n)
        s *= 2u;
    return s;
}

static _Thread_local const struct route__fleet *creating_fleet;

const struct route__fleet *route__fleet_creating(void)
{
    return creating_fleet;
}

/* Backend i's live counters changed: publish at once (no staleness) or at
 * the next publication. */
static void mark_dirty(struct route_router *r, uint32_t i)
{
    if (route__bit(r->dirty_bits, i))
        return;
    route__bit_put(r->dirty_bits, i, true);
    r->dirty[r->n_dirty++] = i;
}

/* The view entry of backend i changed: its saturation bit and the journal. */
static void view_changed(struct route_router *r, uint32_t i)
{
    route__bit_put(r->fleet.saturated, i, route__saturated(&r->pub[i]));
    route__fleet_note(&r->fleet, i);
}

static void live_changed(struct route_router *r, uint32_t i)
{
    if (r->pub == r->live)
        view_changed(r, i);
    else
        mark_dirty(r, i);
}

static void init_backend(struct route_backend *b, const struct route_backend_cfg *cfg)
{
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->health = ROUTE_HEALTHY;
    b->queue_depth = -1;
    b->kv_free = -1.0;
    route_window_init(&b->win, 0);
}

struct route_router *route_router_create_spec(const struct route_spec *root,
                                              const struct route_backend_cfg *cfgs, uint32_t n,
                                              const struct route_health_cfg *health,
                                              int64_t staleness_ns, char *err, size_t errlen)
{
    struct route_router *r;
    const char *name;
    uint32_t n_nodes = 0, next_node = 0, next_child = 0;
    if (root == NULL) {
        route__errf(err, errlen, "strategy tree is NULL");
        return NULL;
    }
    if (route_ops_check(root->ops, err, errlen) < 0)
        return NULL;
    name = root->ops->name;
    if (n == 0 || n > ROUTE_MAX_BACKENDS) {
        route__errf(err, errlen, "strategy '%s': %u backends, expected 1..%u", name, (unsigned)n,
                    (unsigned)ROUTE_MAX_BACKENDS);
        return NULL;
    }
    if (cfgs == NULL) {
        route__errf(err, errlen, "strategy '%s': backend configuration is NULL", name);
        return NULL;
    }
    if (staleness_ns < 0) {
        route__errf(err, errlen, "strategy '%s': staleness is negative", name);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (check_cfg(root->ops, &cfgs[i], i, err, errlen) < 0)
            return NULL;
    }
    if (check_spec(root, 0, &n_nodes, err, errlen) < 0)
        return NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        route__errf(err, errlen, "strategy '%s': out of memory", name);
        return NULL;
    }
    r->n = n;
    r->words = ROUTE_EXCLUDE_WORDS(n);
    r->last_mask = (n & 63u) == 0 ? ~(uint64_t)0 : (((uint64_t)1 << (n & 63u)) - 1u);
    r->staleness_ns = staleness_ns;
    r->budget_next_ns = INT64_MAX;
    r->nodes = calloc(n_nodes, sizeof *r->nodes);
    r->child_ptrs = calloc(n_nodes, sizeof *r->child_ptrs); /* n_nodes - 1 suffice */
    r->child_w = calloc(n_nodes, sizeof *r->child_w);
    r->bits = calloc((size_t)n_nodes * 3u * r->words, sizeof *r->bits);
    r->cfgs = calloc(n, sizeof *r->cfgs);
    r->live = calloc(n, sizeof *r->live);
    r->pub = staleness_ns > 0 ? calloc(n, sizeof *r->pub) : r->live;
    r->win_key = calloc(n, sizeof *r->win_key);
    r->win_next = calloc(n, sizeof *r->win_next);
    r->win_prev = calloc(n, sizeof *r->win_prev);
    for (uint32_t b = 0; b < ROUTE__WHEEL; b++)
        r->wheel[b] = ROUTE__ABSENT;
    r->dirty = calloc(n, sizeof *r->dirty);
    r->dirty_bits = calloc(r->words, sizeof *r->dirty_bits);
    r->fleet.unusable = calloc(r->words, sizeof *r->fleet.unusable);
    r->fleet.saturated = calloc(r->words, sizeof *r->fleet.saturated);
    r->fleet.mask = journal_size(n) - 1u;
    r->fleet.ring = calloc((size_t)r->fleet.mask + 1u, sizeof *r->fleet.ring);
    r->fleet.n = n;
    r->fleet.words = r->words;
    r->fleet.view = &r->view;
    r->health = route__health_create(health, cfgs, n, err, errlen);
    if (r->health == NULL) {
        route_router_destroy(r);
        return NULL;
    }
    if (r->nodes == NULL || r->child_ptrs == NULL || r->child_w == NULL || r->bits == NULL ||
        r->cfgs == NULL || r->live == NULL || r->pub == NULL || r->win_key == NULL ||
        r->win_next == NULL || r->win_prev == NULL || r->dirty == NULL || r->dirty_bits == NULL ||
        r->fleet.unusable == NULL || r->fleet.saturated == NULL || r->fleet.ring == NULL) {
        route__errf(err, errlen, "strategy '%s': out of memory", name);
        route_router_destroy(r);
        return NULL;
    }
    r->n_nodes = n_nodes;
    memcpy(r->cfgs, cfgs, n * sizeof *cfgs);
    for (uint32_t i = 0; i < n; i++) {
        init_backend(&r->live[i], &cfgs[i]);
        if (r->pub != r->live)
            init_backend(&r->pub[i], &cfgs[i]);
        r->win_key[i] = INT64_MAX;
        mark_dirty(r, i); /* the first publication copies everything */
    }
    r->view.b = r->pub;
    r->view.n = n;
    route__health_set_fleet(r->health, &r->fleet);
    creating_fleet = &r->fleet;
    r->root = build(r, root, &next_node, &next_child, err, errlen);
    creating_fleet = NULL;
    if (r->root == NULL) {
        route_router_destroy(r);
        return NULL;
    }
    return r;
}

struct route_router *route_router_create(const struct route_ops *ops, const double *params,
                                         const struct route_backend_cfg *cfgs, uint32_t n,
                                         char *err, size_t errlen)
{
    struct route_spec spec;
    if (route_ops_check(ops, err, errlen) < 0)
        return NULL;
    memset(&spec, 0, sizeof spec);
    spec.ops = ops;
    spec.weight = 1.0;
    for (uint32_t i = 0; i < ops->n_params; i++)
        spec.params[i] = params != NULL ? params[i] : ops->params[i].def;
    return route_router_create_spec(&spec, cfgs, n, NULL, 0, err, errlen);
}

const struct route_view *route_router_view(const struct route_router *r)
{
    return r != NULL ? &r->view : NULL;
}

const struct route_ops *route_router_ops(const struct route_router *r)
{
    return r != NULL ? r->root->ops : NULL;
}

const struct route_stats *route_router_stats(const struct route_router *r)
{
    return r != NULL ? &r->stats : NULL;
}

void route_router_set_health(struct route_router *r, uint32_t backend, enum route_health h)
{
    if (r == NULL || backend >= r->n)
        return;
    route__health_set_admin(r->health, backend, h, r->pub);
}

/* ---------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------- */

int32_t route_node_pick(struct route_node *node, const struct route_req *req,
                        const struct route_view *view, const struct route_env *env,
                        const uint64_t *exclude)
{
    const uint64_t *ex = exclude;
    int32_t k;
    if (node == NULL || req == NULL || view == NULL || env == NULL)
        return ROUTE_NONE;
    if (node->subset != NULL) {
        const struct route_router *r = node->router;
        for (uint32_t w = 0; w < r->words; w++) {
            uint64_t valid = w + 1 == r->words ? r->last_mask : ~(uint64_t)0;
            node->narrow[w] = (exclude != NULL ? exclude[w] : 0) | (~node->subset[w] & valid);
        }
        ex = node->narrow;
    }
    k = node->ops->pick(node->state, req, view, env, ex);
    /* A child's answer outside its contract stops here. */
    if (k >= 0 && ((uint32_t)k >= view->n || !route_usable(view, ex, (uint32_t)k)))
        return ROUTE_NONE;
    return k;
}

uint64_t *route_node_scratch(struct route_node *node)
{
    return node != NULL ? node->scratch : NULL;
}

bool route_node_any_usable(const struct route_node *node, const struct route_view *view,
                           const uint64_t *exclude)
{
    if (node == NULL || view == NULL)
        return false;
    return route__any_candidate(route__fleet_of(&node->router->fleet, view), view, exclude,
                                node->subset, 2);
}

struct route_stats *route_node_stats(struct route_node *node)
{
    return node != NULL ? &node->router->stats : NULL;
}

/* ---------------------------------------------------------------------
 * Live counters, publication, budgets
 * ------------------------------------------------------------------- */

static void sync_usage(struct route_backend *b)
{
    b->rpm_used = b->win.req_sum;
    b->tpm_used = b->win.tok_sum;
}

static void note_budget_end(struct route_router *r, const struct route_backend *b)
{
    int64_t end;
    if (b->cfg.budget_window_ns <= 0)
        return;
    end = route__sat_add(b->budget_start_ns, b->cfg.budget_window_ns);
    if (end < r->budget_next_ns)
        r->budget_next_ns = end;
}

/* The windows and budget periods start at the first time the router sees
 * (a production gateway's monotonic clock does not start at 0). */
static void start_clock(struct route_router *r, int64_t now_ns)
{
    if (r->clock_started)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        struct route_backend *b = &r->live[i];
        route_window_init(&b->win, now_ns);
        sync_usage(b);
        b->budget_start_ns = now_ns;
        note_budget_end(r, b);
        live_changed(r, i);
    }
    r->clock_started = true;
    r->wheel_done = now_ns;
}

/* When the sums of window w next change by themselves: the end of its oldest
 * non-empty slot (a slot starting at s leaves the window at s + 60 s);
 * INT64_MAX when empty. */
static int64_t window_next_change(const struct route_window *w)
{
    if (w->req_sum == 0 && w->tok_sum == 0) {
        bool any = false;
        for (uint32_t k = 0; k < ROUTE_WINDOW_SLOTS && !any; k++)
            any = w->req[k] != 0 || w->tok[k] != 0;
        if (!any)
            return INT64_MAX;
    }
    for (uint32_t k = 0; k < ROUTE_WINDOW_SLOTS; k++) {
        uint32_t idx = (w->head + 1u + k) % ROUTE_WINDOW_SLOTS; /* oldest first */
        if (w->req[idx] != 0 || w->tok[idx] != 0)
            return route__sat_add(w->slot_start_ns, (int64_t)(k + 1u) * ROUTE_WINDOW_SLOT_NS);
    }
    return INT64_MAX;
}

static uint32_t wheel_bucket(int64_t t)
{
    return (uint32_t)((uint64_t)route__floor_div(t, ROUTE_WINDOW_SLOT_NS) % ROUTE__WHEEL);
}

static void schedule_window(struct route_router *r, uint32_t i)
{
    int64_t t = window_next_change(&r->live[i].win);
    uint32_t b;
    if (t == r->win_key[i])
        return;
    if (r->win_key[i] != INT64_MAX) { /* unlink */
        uint32_t nx = r->win_next[i], pv = r->win_prev[i];
        if (pv != ROUTE__ABSENT)
            r->win_next[pv] = nx;
        else
            r->wheel[wheel_bucket(r->win_key[i])] = nx;
        if (nx != ROUTE__ABSENT)
            r->win_prev[nx] = pv;
    }
    r->win_key[i] = t;
    if (t == INT64_MAX)
        return;
    b = wheel_bucket(t);
    r->win_prev[i] = ROUTE__ABSENT;
    r->win_next[i] = r->wheel[b];
    if (r->wheel[b] != ROUTE__ABSENT)
        r->win_prev[r->wheel[b]] = i;
    r->wheel[b] = i;
    if (t <= r->wheel_done)
        r->wheel_overdue = true;
}

/* Apply the expiries of bucket b due by now. */
static void sweep_bucket(struct route_router *r, uint32_t b, int64_t now_ns)
{
    uint32_t i = r->wheel[b];
    while (i != ROUTE__ABSENT) {
        uint32_t nx = r->win_next[i];
        if (r->win_key[i] <= now_ns) {
            struct route_backend *lb = &r->live[i];
            route_window_advance(&lb->win, now_ns);
            sync_usage(lb);
            schedule_window(r, i); /* later than now: not due again in this sweep */
            live_changed(r, i);
        }
        i = nx;
    }
}

/* Roll the windows whose sums change by now, and only those: O(1) per
 * non-empty slot that expires (plus at most ROUTE__WHEEL bucket heads when
 * time jumps), nothing for idle backends, nothing while no second boundary
 * passes (the window of a backend with no expiry may lag behind now; its
 * sums are exact). */
static void roll_windows(struct route_router *r, int64_t now_ns)
{
    int64_t from, to;
    if (!r->clock_started) {
        start_clock(r, now_ns);
        return;
    }
    if (now_ns <= r->wheel_done)
        return;
    from = route__floor_div(r->wheel_done, ROUTE_WINDOW_SLOT_NS);
    to = route__floor_div(now_ns, ROUTE_WINDOW_SLOT_NS);
    if (from == to && !r->wheel_overdue) {
        r->wheel_done = now_ns; /* no second boundary passed: no expiry */
        return;
    }
    if (r->wheel_overdue || (uint64_t)to - (uint64_t)from >= ROUTE__WHEEL) {
        for (uint32_t b = 0; b < ROUTE__WHEEL; b++)
            sweep_bucket(r, b, now_ns);
    } else {
        for (int64_t sec = from + 1; sec <= to; sec++)
            sweep_bucket(r, (uint32_t)((uint64_t)sec % ROUTE__WHEEL), now_ns);
    }
    r->wheel_done = now_ns;
    r->wheel_overdue = false;
}

/* Start a new budget period when now has passed the current one's end:
 * periods are whole multiples of the window from the first time seen. */
static void roll_budget(struct route_backend *b, int64_t now_ns)
{
    int64_t w = b->cfg.budget_window_ns;
    uint64_t periods;
    if (w <= 0 || now_ns < b->budget_start_ns)
        return;
    periods = ((uint64_t)now_ns - (uint64_t)b->budget_start_ns) / (uint64_t)w;
    if (periods == 0)
        return;
    b->budget_start_ns = route__sat_add(
        b->budget_start_ns,
        periods > (uint64_t)INT64_MAX / (uint64_t)w ? INT64_MAX : (int64_t)(periods * (uint64_t)w));
    b->spent_usd = 0.0;
}

/* O(n) once per budget period end (budget windows are long: hours, days),
 * never per pick. */
static void roll_budgets(struct route_router *r, int64_t now_ns)
{
    if (now_ns < r->budget_next_ns)
        return;
    r->budget_next_ns = INT64_MAX;
    for (uint32_t i = 0; i < r->n; i++) {
        int64_t start = r->live[i].budget_start_ns;
        roll_budget(&r->live[i], now_ns);
        note_budget_end(r, &r->live[i]);
        if (r->live[i].budget_start_ns != start)
            live_changed(r, i);
    }
}

/* Copy the live counters into what strategies see (not the window's
 * backing store, not the configuration, not the health): only the backends
 * whose counters changed since the last publication. */
static void publish(struct route_router *r)
{
    for (uint32_t k = 0; k < r->n_dirty; k++) {
        uint32_t i = r->dirty[k];
        const struct route_backend *s = &r->live[i];
        struct route_backend *d = &r->pub[i];
        d->inflight = s->inflight;
        d->inflight_tokens = s->inflight_tokens;
        d->rpm_used = s->rpm_used;
        d->tpm_used = s->tpm_used;
        d->ttft_ewma_ns = s->ttft_ewma_ns;
        d->ttft_samples = s->ttft_samples;
        d->dispatched = s->dispatched;
        d->queue_depth = s->queue_depth;
        d->kv_free = s->kv_free;
        d->signal_t_ns = s->signal_t_ns;
        d->spent_usd = s->spent_usd;
        d->budget_start_ns = s->budget_start_ns;
        d->successes = s->successes;
        d->failures = s->failures;
        route__bit_put(r->dirty_bits, i, false);
        view_changed(r, i);
    }
    r->n_dirty = 0;
}

static void maybe_publish(struct route_router *r, int64_t now_ns)
{
    if (r->pub == r->live)
        return;
    if (r->published && now_ns < r->next_publish_ns)
        return;
    publish(r);
    r->published = true;
    r->next_publish_ns = route__sat_add(now_ns, r->staleness_ns);
}

void route_router_set_signals(struct route_router *r, uint32_t backend, int64_t queue_depth,
                              double kv_free, int64_t now_ns)
{
    struct route_backend *b;
    if (r == NULL || backend >= r->n)
        return;
    b = &r->live[backend];
    b->queue_depth = queue_depth;
    b->kv_free = kv_free >= 0.0 && kv_free <= 1.0 ? kv_free : -1.0; /* NaN: unknown */
    b->signal_t_ns = now_ns;
    live_changed(r, backend);
}

void route_router_add_cost(struct route_router *r, uint32_t backend, double usd, int64_t now_ns)
{
    struct route_backend *b;
    if (r == NULL || backend >= r->n || !(usd >= 0.0 && usd <= DBL_MAX))
        return;
    start_clock(r, now_ns);
    b = &r->live[backend];
    roll_budget(b, now_ns);
    note_budget_end(r, b);
    b->spent_usd += usd;
    live_changed(r, backend);
}

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

/* Enforce the pick contract on the strategy's answer. */
static int32_t sanitize(const struct route_router *r, const uint64_t *exclude, int32_t k)
{
    if (k >= 0) {
        if ((uint32_t)k >= r->n || !route_usable(&r->view, exclude, (uint32_t)k) ||
            !route__bit_or_all(r->root->subset, (uint32_t)k))
            return ROUTE_NONE;
        /* The concurrency cap is the router's: a saturated answer waits. */
        if (route__saturated(&r->pub[k]))
            return ROUTE_FULL;
        return k;
    }
    if (k == ROUTE_FULL && route__any_candidate(&r->fleet, &r->view, exclude, r->root->subset, 1))
        return ROUTE_FULL;
    return ROUTE_NONE;
}

int32_t route_router_pick(struct route_router *r, const struct route_req *req,
                          const struct route_env *env, const uint64_t *exclude)
{
    int32_t k;
    if (r == NULL || req == NULL || env == NULL || env->rand == NULL)
        return ROUTE_NONE;
    roll_windows(r, env->now_ns);
    roll_budgets(r, env->now_ns);
    maybe_publish(r, env->now_ns);
    route__health_pick_begin(r->health, env, r->pub);
    k = sanitize(r, exclude, route_node_pick(r->root, req, &r->view, env, exclude));
    route__health_pick_end(r->health, r->pub);
    return k;
}

void route_router_dispatch(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_env *env)
{
    struct route_backend *b;
    int64_t tok;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    start_clock(r, env->now_ns);
    b = &r->live[backend];
    tok = route__req_tokens(req);
    if (b->inflight < INT32_MAX)
        b->inflight++;
    b->inflight_tokens = route__sat_add(b->inflight_tokens, tok);
    route_window_add(&b->win, env->now_ns, 1, tok);
    sync_usage(b);
    if (r->win_key[backend] == INT64_MAX || r->win_key[backend] <= env->now_ns)
        schedule_window(r, backend); /* else its oldest non-empty slot is unchanged */
    b->dispatched++;
    live_changed(r, backend);
    route__health_dispatch(r->health, backend, env->now_ns, r->pub);
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        struct route_node *node = &r->nodes[k];
        if (node->ops->on_dispatch != NULL)
            node->ops->on_dispatch(node->state, backend, req, env);
    }
}

/*
 * ewma += (x - ewma) / 2^shift, rounding toward minus infinity like an
 * arithmetic right shift, written without shifting a negative number
 * (implementation-defined in C11).
 */
static int64_t ewma_step(int64_t ewma, int64_t x)
{
    const uint64_t mask = ((uint64_t)1 << ROUTE_TTFT_EWMA_SHIFT) - 1;
    if (x >= ewma) {
        uint64_t d = (uint64_t)x - (uint64_t)ewma;
        return ewma + (int64_t)(d >> ROUTE_TTFT_EWMA_SHIFT);
    } else {
        uint64_t d = (uint64_t)ewma - (uint64_t)x;
        return ewma - (int64_t)((d >> ROUTE_TTFT_EWMA_SHIFT) + ((d & mask) != 0));
    }
}

void route_router_first_token(struct route_router *r, uint32_t backend, const struct route_req *req,
                              int64_t ttft_ns, const struct route_env *env)
{
    struct route_backend *b;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    b = &r->live[backend];
    if (ttft_ns < 0)
        ttft_ns = 0;
    b->ttft_ewma_ns = b->ttft_samples == 0 ? ttft_ns : ewma_step(b->ttft_ewma_ns, ttft_ns);
    b->ttft_samples++;
    live_changed(r, backend);
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        struct route_node *node = &r->nodes[k];
        if (node->ops->on_first_token != NULL)
            node->ops->on_first_token(node->state, backend, req, ttft_ns, env);
    }
}

void route_router_complete(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_outcome *out, const struct route_env *env)
{
    struct route_backend *b;
    int64_t tok;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    b = &r->live[backend];
    tok = route__req_tokens(req);
    if (b->inflight > 0)
        b->inflight--;
    b->inflight_tokens = b->inflight_tokens > tok ? b->inflight_tokens - tok : 0;
    if (out != NULL && out->status == ROUTE_OK)
        b->successes++;
    else if (out != NULL && out->status != ROUTE_CANCELLED)
        b->failures++;
    live_changed(r, backend);
    if (out == NULL)
        return;
    route__health_complete(r->health, backend, out, env->now_ns, r->pub, &r->stats);
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        struct route_node *node = &r->nodes[k];
        if (node->ops->on_complete != NULL)
            node->ops->on_complete(node->state, backend, req, out, env);
    }
}
