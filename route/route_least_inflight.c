/*
 * route_least_inflight.c - strategy `least_inflight`: fewest attempts in
 * flight, ties broken uniformly at random.
 *
 * Reproduces LiteLLM `least-busy` (litellm/router_strategy/least_busy.py,
 * 2024-2026: counters raised on pre-call, lowered on success/failure, unseen
 * deployments count 0) and AIBrix `least-request`
 * (pkg/plugins/gateway/algorithms/least_request.go, e3e10f9e: minimum
 * active requests of this gateway instance, random among ties);
 * reference/routers.md §4 row 5.  Envoy's LEAST_REQUEST is the same idea
 * but by default samples only 2 hosts (choice_count = 2): see power_of_two.
 *
 * Quirks / choices:
 *  - The signal is the router-local in-flight count (route_backend.inflight,
 *    raised by dispatch, lowered by complete), not the engine's queue.
 *  - LiteLLM keeps one counter dict per model group and can pick a stale
 *    id; one router here serves one group, so that quirk does not arise.
 *
 * Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 * pass, reservoir sampling over the current minimum set (O(n)).  In a
 * router, O(1) amortised: the usable backends (healthy or half-open) are
 * kept in an array sorted by load, one bucket per in-flight count (a move
 * between adjacent buckets is one swap; a load changes by 1 per dispatch or
 * completion; a backend turning unusable or usable again moves to or from
 * bucket 0 in O(load) swaps; loads >= LI_KMAX share an overflow bucket,
 * which hands the pick to the plain pass), updated from the router's
 * journal of view changes
 * (so with a staleness > 0 the index follows the published counters, as the
 * scan would).  The pick walks the buckets up from the lowest non-empty one
 * and draws uniformly inside the first bucket holding an eligible backend
 * (rejection on saturated / excluded members, then an exact
 * count-and-locate over that bucket): the same rule, uniform among the
 * eligible backends of minimum load.  When no bucket has an eligible
 * backend the plain pass answers (FULL / NONE).
 */
#include <stdlib.h>

#include "route_int.h"

#define LI_KMAX  1024u         /* loads 0 .. LI_KMAX - 1 have a bucket each */
#define LI_NB    (LI_KMAX + 2) /* bucket 0: not usable; b >= 1: load b - 1; last: overflow */
#define LI_TRIES 8u

struct li_state {
    uint32_t n;
    const struct route__fleet *fleet;
    uint64_t cursor; /* journal position, UINT64_MAX: never built */
    const struct route_view *view;
    uint32_t lo;     /* no usable backend in a bucket below lo (>= 1) */
    uint32_t *ord;   /* backends by bucket */
    uint32_t *pos;   /* position of each backend in ord */
    uint32_t *bkt;   /* bucket of each backend */
    uint32_t *start; /* LI_NB + 1: first position of each bucket; start[LI_NB] = n */
};

static void destroy_least(void *state)
{
    struct li_state *s = state;
    if (s == NULL)
        return;
    free(s->ord);
    free(s->pos);
    free(s->bkt);
    free(s->start);
    free(s);
}

static int create_least(void **state, const struct route_create_args *args, char *err,
                        size_t errlen)
{
    const struct route__fleet *f = route__fleet_for(args->n_backends);
    uint32_t n = args->n_backends, m = n > 0 ? n : 1;
    struct li_state *s;
    *state = NULL;
    if (f == NULL)
        return 0; /* outside a router or a few backends: the plain pass, no state */
    s = calloc(1, sizeof *s);
    if (s != NULL) {
        s->ord = calloc(m, sizeof *s->ord);
        s->pos = calloc(m, sizeof *s->pos);
        s->bkt = calloc(m, sizeof *s->bkt);
        s->start = calloc(LI_NB + 1u, sizeof *s->start);
    }
    if (s == NULL || s->ord == NULL || s->pos == NULL || s->bkt == NULL || s->start == NULL) {
        destroy_least(s);
        route__errf(err, errlen, "strategy 'least_inflight': out of memory");
        return -1;
    }
    s->n = n;
    s->fleet = f;
    s->cursor = UINT64_MAX;
    s->lo = 1;
    *state = s;
    return 0;
}

static uint32_t bucket_of(const struct route_view *v, uint32_t i)
{
    const struct route_backend *b = &v->b[i];
    int32_t load = b->inflight > 0 ? b->inflight : 0;
    if (!(b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN))
        return 0;
    return 1u + ((uint32_t)load < LI_KMAX ? (uint32_t)load : LI_KMAX);
}

static void swap_pos(struct li_state *s, uint32_t p, uint32_t q)
{
    uint32_t x = s->ord[p], y = s->ord[q];
    s->ord[p] = y;
    s->ord[q] = x;
    s->pos[y] = p;
    s->pos[x] = q;
}

/* Move backend i to bucket `to`, one bucket boundary at a time. */
static void move_to(struct li_state *s, uint32_t i, uint32_t to)
{
    uint32_t b = s->bkt[i];
    for (; b < to; b++) { /* become the first of bucket b + 1 */
        swap_pos(s, s->pos[i], s->start[b + 1] - 1u);
        s->start[b + 1]--;
    }
    for (; b > to; b--) { /* become the last of bucket b - 1 */
        swap_pos(s, s->pos[i], s->start[b]);
        s->start[b]++;
    }
    s->bkt[i] = to;
    if (to >= 1 && to < s->lo)
        s->lo = to;
}

static void rebuild(struct li_state *s, const struct route_view *v)
{
    uint32_t *cnt = s->start; /* counts first, then prefix sums */
    for (uint32_t b = 0; b <= LI_NB; b++)
        cnt[b] = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        s->bkt[i] = bucket_of(v, i);
        cnt[s->bkt[i] + 1]++;
    }
    for (uint32_t b = 1; b <= LI_NB; b++)
        cnt[b] += cnt[b - 1];
    /* start[b] = number of backends in buckets < b; place, advancing a copy */
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t p = s->start[s->bkt[i]]++;
        s->ord[p] = i;
        s->pos[i] = p;
    }
    for (uint32_t b = LI_NB; b > 0; b--)
        s->start[b] = s->start[b - 1];
    s->start[0] = 0;
    s->lo = 1;
}

static void on_change(void *ctx, uint32_t i)
{
    struct li_state *s = ctx;
    if (i < s->n)
        move_to(s, i, bucket_of(s->view, i));
}

/* The plain pass (reservoir over the minimum set); also the answer when
 * the index finds nothing eligible. */
static int32_t scan_least(const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE, min = 0;
    uint32_t ties = 0; /* backends seen at the current minimum */
    for (uint32_t i = 0; i < view->n; i++) {
        int32_t load;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        load = view->b[i].inflight;
        if (best < 0 || load < min) {
            best = (int32_t)i;
            min = load;
            ties = 1;
        } else if (load == min) {
            ties++;
            if (route_rand_below(env, ties) == 0)
                best = (int32_t)i; /* each tie ends up kept with probability 1/ties */
        }
    }
    if (best < 0)
        return route__no_pick(c);
    return best;
}

static int32_t pick_least(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    struct li_state *s = state;
    const struct route__fleet *f = s != NULL ? route__fleet_of(s->fleet, view) : NULL;
    (void)req;
    if (f == NULL || view->n != s->n)
        return scan_least(view, env, exclude);
    s->view = view;
    if (!route__fleet_drain(f, &s->cursor, on_change, s))
        rebuild(s, view);
    for (uint32_t b = s->lo; b < LI_NB; b++) {
        uint32_t p0 = s->start[b], sz = s->start[b + 1] - p0, k = 0;
        if (sz == 0) {
            if (b == s->lo)
                s->lo = b + 1;
            continue;
        }
        if (b == LI_NB - 1)
            break; /* overflow bucket: the plain pass */
        if (sz == 1) {
            if (route__fleet_eligible(f, exclude, s->ord[p0]))
                return (int32_t)s->ord[p0];
            continue;
        }
        for (uint32_t t = 0; t < LI_TRIES; t++) {
            uint32_t i = s->ord[p0 + route_rand_below(env, sz)];
            if (route__fleet_eligible(f, exclude, i))
                return (int32_t)i;
        }
        for (uint32_t p = p0; p < p0 + sz; p++)
            k += route__fleet_eligible(f, exclude, s->ord[p]);
        if (k == 0)
            continue;
        k = route_rand_below(env, k);
        for (uint32_t p = p0; p < p0 + sz; p++) {
            if (route__fleet_eligible(f, exclude, s->ord[p]) && k-- == 0)
                return (int32_t)s->ord[p];
        }
    }
    return scan_least(view, env, exclude);
}

const struct route_ops route__ops_least_inflight = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "least_inflight",
    .summary = "fewest attempts in flight, random among ties",
    .source = "LiteLLM least-busy (least_busy.py); AIBrix least-request (e3e10f9e); Envoy "
              "least-request",
    .needs = ROUTE_NEED_INFLIGHT,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_least,
    .destroy = destroy_least,
    .pick = pick_least,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
