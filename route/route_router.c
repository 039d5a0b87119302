/*
 * route_router.c - the router object (backend view + strategy instance +
 * lifecycle calls), ops validation, random helpers and the 60 s usage
 * windows.
 *
 * The router owns the live counters a strategy reads (in flight, windowed
 * RPM/TPM, TTFT EWMA) and keeps them exact from the lifecycle calls the
 * gateway makes; strategies only read them.  Nothing here allocates after
 * route_router_create().
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

struct route_router {
    const struct route_ops *ops;
    void *state;             /* strategy state from ops->create */
    struct route_backend *b; /* n backends, owned, mutable alias */
    struct route_view view;  /* read-only view handed to pick: view.b == b */
    uint32_t n;
    bool clock_started;              /* windows are initialised at the first now seen */
    int64_t rolled_until_ns;         /* every window's newest slot covers now < this */
    double params[ROUTE_MAX_PARAMS]; /* strategy parameters, defaults filled */
};

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

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
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
    w->req[w->head] = sat_add(w->req[w->head], requests);
    w->tok[w->head] = sat_add(w->tok[w->head], tokens);
    w->req_sum = sat_add(w->req_sum, requests);
    w->tok_sum = sat_add(w->tok_sum, tokens);
}

/* ---------------------------------------------------------------------
 * Router
 * ------------------------------------------------------------------- */

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
    if (what == NULL)
        return 0;
    route__errf(err, errlen, "strategy '%s': backend %u '%s': %s", ops->name, (unsigned)i, bn,
                what);
    return -1;
}

struct route_router *route_router_create(const struct route_ops *ops, const double *params,
                                         const struct route_backend_cfg *cfgs, uint32_t n,
                                         char *err, size_t errlen)
{
    struct route_router *r;
    void *state = NULL;
    int rc;

    if (route_ops_check(ops, err, errlen) < 0)
        return NULL;
    if (n == 0 || n > ROUTE_MAX_BACKENDS) {
        route__errf(err, errlen, "strategy '%s': %u backends, expected 1..%u", ops->name,
                    (unsigned)n, (unsigned)ROUTE_MAX_BACKENDS);
        return NULL;
    }
    if (cfgs == NULL) {
        route__errf(err, errlen, "strategy '%s': backend configuration is NULL", ops->name);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (check_cfg(ops, &cfgs[i], i, err, errlen) < 0)
            return NULL;
    }
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        route__errf(err, errlen, "strategy '%s': out of memory", ops->name);
        return NULL;
    }
    for (uint32_t i = 0; i < ops->n_params; i++) {
        const struct route_param *p = &ops->params[i];
        double v = params != NULL ? params[i] : p->def;
        if (!(v >= p->min && v <= p->max)) {
            route__errf(err, errlen, "strategy '%s': parameter '%s' = %g outside [%g, %g]",
                        ops->name, p->name, v, p->min, p->max);
            free(r);
            return NULL;
        }
        r->params[i] = v;
    }
    r->b = calloc(n, sizeof *r->b);
    if (r->b == NULL) {
        route__errf(err, errlen, "strategy '%s': out of memory", ops->name);
        free(r);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        r->b[i].cfg = cfgs[i];
        r->b[i].health = ROUTE_HEALTHY;
        route_window_init(&r->b[i].win, 0);
    }
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = ops->create(&state, r->params, n, err, errlen);
    if (rc < 0) {
        if (err != NULL && errlen > 0 && err[0] == '\0')
            route__errf(err, errlen, "strategy '%s': create failed (%d)", ops->name, rc);
        free(r->b);
        free(r);
        return NULL;
    }
    r->ops = ops;
    r->state = state;
    r->n = n;
    r->view.b = r->b;
    r->view.n = n;
    r->clock_started = false;
    r->rolled_until_ns = INT64_MIN;
    return r;
}

void route_router_destroy(struct route_router *r)
{
    if (r == NULL)
        return;
    if (r->ops->destroy != NULL)
        r->ops->destroy(r->state);
    free(r->b);
    free(r);
}

const struct route_view *route_router_view(const struct route_router *r)
{
    return r != NULL ? &r->view : NULL;
}

const struct route_ops *route_router_ops(const struct route_router *r)
{
    return r != NULL ? r->ops : NULL;
}

void route_router_set_health(struct route_router *r, uint32_t backend, enum route_health h)
{
    if (r == NULL || backend >= r->n)
        return;
    r->b[backend].health = h;
}

static void sync_usage(struct route_backend *b)
{
    b->rpm_used = b->win.req_sum;
    b->tpm_used = b->win.tok_sum;
}

/* The windows start at the first time the router sees (a production
 * gateway's monotonic clock does not start at 0). */
static void start_clock(struct route_router *r, int64_t now_ns)
{
    if (r->clock_started)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        route_window_init(&r->b[i].win, now_ns);
        sync_usage(&r->b[i]);
    }
    r->clock_started = true;
    r->rolled_until_ns = sat_add(r->b[0].win.slot_start_ns, ROUTE_WINDOW_SLOT_NS);
}

/* Roll every window to now, but only when now has left the newest slot of
 * some window: within one second, pick costs nothing here. */
static void roll_windows(struct route_router *r, int64_t now_ns)
{
    int64_t until = INT64_MAX;
    if (!r->clock_started) {
        start_clock(r, now_ns);
        return;
    }
    if (now_ns < r->rolled_until_ns)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        struct route_backend *b = &r->b[i];
        int64_t end;
        route_window_advance(&b->win, now_ns);
        sync_usage(b);
        end = sat_add(b->win.slot_start_ns, ROUTE_WINDOW_SLOT_NS);
        if (end < until)
            until = end;
    }
    r->rolled_until_ns = until;
}

/* Enforce the pick contract on the strategy's answer. */
static int32_t sanitize(const struct route_router *r, const uint64_t *exclude, int32_t k)
{
    if (k >= 0) {
        if ((uint32_t)k >= r->n || !route_usable(&r->view, exclude, (uint32_t)k))
            return ROUTE_NONE;
        /* The concurrency cap is the router's: a saturated answer waits. */
        if (route__saturated(&r->b[k]))
            return ROUTE_FULL;
        return k;
    }
    if (k == ROUTE_FULL)
        return route__count_eligible(&r->view, exclude).usable > 0 ? ROUTE_FULL : ROUTE_NONE;
    return ROUTE_NONE;
}

int32_t route_router_pick(struct route_router *r, const struct route_req *req,
                          const struct route_env *env, const uint64_t *exclude)
{
    if (r == NULL || req == NULL || env == NULL || env->rand == NULL)
        return ROUTE_NONE;
    roll_windows(r, env->now_ns);
    return sanitize(r, exclude, r->ops->pick(r->state, req, &r->view, env, exclude));
}

void route_router_dispatch(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_env *env)
{
    struct route_backend *b;
    int64_t tok;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    start_clock(r, env->now_ns);
    b = &r->b[backend];
    tok = route__req_tokens(req);
    if (b->inflight < INT32_MAX)
        b->inflight++;
    b->inflight_tokens = sat_add(b->inflight_tokens, tok);
    route_window_add(&b->win, env->now_ns, 1, tok);
    sync_usage(b);
    b->dispatched++;
    if (r->ops->on_dispatch != NULL)
        r->ops->on_dispatch(r->state, backend, req, env);
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
    b = &r->b[backend];
    if (ttft_ns < 0)
        ttft_ns = 0;
    b->ttft_ewma_ns = b->ttft_samples == 0 ? ttft_ns : ewma_step(b->ttft_ewma_ns, ttft_ns);
    b->ttft_samples++;
    if (r->ops->on_first_token != NULL)
        r->ops->on_first_token(r->state, backend, req, ttft_ns, env);
}

void route_router_complete(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_outcome *out, const struct route_env *env)
{
    struct route_backend *b;
    int64_t tok;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    b = &r->b[backend];
    tok = route__req_tokens(req);
    if (b->inflight > 0)
        b->inflight--;
    b->inflight_tokens = b->inflight_tokens > tok ? b->inflight_tokens - tok : 0;
    if (out != NULL && r->ops->on_complete != NULL)
        r->ops->on_complete(r->state, backend, req, out, env);
}
