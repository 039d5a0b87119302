/*
 * expected_latency.c - strategy `expected_latency`: lowest predicted
 * latency for this request, ties broken uniformly at random.
 *
 * Adapts AIBrix `least-latency` (vllm-project/aibrix
 * pkg/plugins/gateway/algorithms/least_latency.go, e3e10f9e; docs/notes/
 * routers.md §2.4, §4 row 9): argmin over pods of
 *   queue_time + mean_prefill_time x guess_prompt / avg_prompt
 *              + mean_decode_time x guess_gen / avg_gen
 * with engine metrics.  lbsim's signals and the request's own token counts
 * (§4 row 9 option use_request_tokens) give, per backend i, in seconds:
 *   queue_i   = q_i x mean_service_s, q_i = queue_depth if the backend
 *               reports it (>= 0), else the router's in-flight count
 *               (queue_depth -1 = unknown, e.g. a hosted API);
 *   prefill_i = ttft_ewma_i (the router's observed TTFT EWMA) once the
 *               backend has a TTFT sample, else
 *               input_tokens x prefill_s_per_token;
 *   decode    = max_tokens / decode_tps;
 *   E_i = queue_i + prefill_i + decode.
 * Differences: AIBrix uses cluster-average token guesses (10 / 100) rather
 * than the request's tokens, and per-pod mean prefill/decode times from
 * vLLM metrics; lbsim has no per-backend decode rate, so the decode term is
 * common to all backends (kept so E_i reads as a latency in seconds).  The
 * TTFT EWMA already contains provider-side queueing, so a hosted API's
 * queue is counted partly twice (in flight and in TTFT): acceptable for an
 * argmin.  Backends never sampled are estimated from the token rate, not
 * explored first.
 * Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one pass,
 * reservoir sampling among exact ties; no state.
 *
 * In a router: E_i = fl(fl(p_i + prefill_i) + decode) with p_i =
 * fl(q_i x mean_service_s) depends on the request only through terms
 * common to a class of backends, and floating-point addition of a common
 * term is monotone (non-decreasing), so E_i is a monotone function of a
 * per-backend key that changes only when the backend's view entry does:
 *  - backends with a TTFT sample: key fl(p_i + ttft_ewma_i / 1e9);
 *  - backends without: key p_i (the request's input x prefill_s_per_token
 *    is common to all of them).
 * Two indexed heaps of the eligible backends (usable, not saturated), one
 * per class, kept from the router's journal of view changes (inflight,
 * queue_depth, TTFT EWMA, health, saturation): O(log n) per change.  The
 * pick walks each heap in key order, skipping excluded members, computes
 * E of the first accepted one of each (the class minima), and then walks
 * both again while E equals the overall minimum, drawing uniformly among
 * those ties (reservoir): the same argmin set and the same uniform choice
 * as the pass, O((r + k) log n) for r rejected and k tied members; the
 * random draws differ from the pass's.  A walk meeting more than
 * EL_WALK_MAX members (many exact ties: e.g. idle backends without a
 * sample, all at key 0) hands the pick to the pass.  Nothing eligible:
 * FULL / NONE from the fleet's bitsets.
 */
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

static const double NS_PER_S = 1e9;

static const struct route_param el_params[] = {
    {.name = "mean_service_s",
     .def = 1.0,
     .min = 0.0,
     .max = 3600.0,
     .unit = "s",
     .doc = "time each queued (or in-flight, when the queue is unknown) request adds"},
    {.name = "prefill_s_per_token",
     .def = 0.0002,
     .min = 0.0,
     .max = 1.0,
     .unit = "s/token",
     .doc = "prefill time per input token, used until a backend has a TTFT sample"},
    {.name = "decode_tps",
     .def = 50.0,
     .min = 0.001,
     .max = 1e6,
     .unit = "tokens/s",
     .doc = "decode rate for the max_tokens term"},
};

enum { P_MEAN_SERVICE_S, P_PREFILL_S_PER_TOKEN, P_DECODE_TPS, N_PARAMS };
_Static_assert(sizeof el_params / sizeof el_params[0] == N_PARAMS,
               "el_params and its index enum disagree");

/* Members a pick's heap walks may meet before the pass answers instead. */
#define EL_WALK_MAX 64u

struct el_state {
    double mean_service_s;
    double prefill_s_per_token;
    double decode_tps;
    /* the indexes, in a router (fleet != NULL) */
    const struct route__fleet *fleet;
    uint32_t n;
    uint64_t cursor;            /* journal position, UINT64_MAX: never built */
    struct route__heap sampled; /* eligible, with a TTFT sample */
    struct route__heap fresh;   /* eligible, without */
    uint32_t *frontier;
};

static int create_el(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct el_state *s = malloc(sizeof *s);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'expected_latency': out of memory");
        return -1;
    }
    s->mean_service_s = args->params[P_MEAN_SERVICE_S];
    s->prefill_s_per_token = args->params[P_PREFILL_S_PER_TOKEN];
    s->decode_tps = args->params[P_DECODE_TPS];
    s->fleet = route__fleet_for(args);
    s->n = args->n_backends;
    s->cursor = UINT64_MAX;
    s->frontier = NULL;
    memset(&s->sampled, 0, sizeof s->sampled);
    memset(&s->fresh, 0, sizeof s->fresh);
    if (s->fleet != NULL &&
        (route__heap_init(&s->sampled, s->n) < 0 || route__heap_init(&s->fresh, s->n) < 0 ||
         (s->frontier = calloc((size_t)s->n + 2u, sizeof *s->frontier)) == NULL)) {
        route__heap_free(&s->sampled);
        route__heap_free(&s->fresh);
        free(s);
        route__errf(err, errlen, "strategy 'expected_latency': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

static void destroy_el(void *state)
{
    struct el_state *s = state;
    if (s == NULL)
        return;
    route__heap_free(&s->sampled);
    route__heap_free(&s->fresh);
    free(s->frontier);
    free(s);
}

static double queue_s(const struct el_state *s, const struct route_backend *b)
{
    double q =
        b->queue_depth >= 0 ? (double)b->queue_depth : (double)(b->inflight > 0 ? b->inflight : 0);
    return q * s->mean_service_s;
}

static bool has_ttft(const struct route_backend *b)
{
    return b->ttft_samples > 0 && b->ttft_ewma_ns > 0;
}

/* File backend i in the heap of its class, keyed as described above, or
 * in neither when it is not eligible. */
static void refile(struct el_state *s, uint32_t i)
{
    const struct route_backend *b;
    if (i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    route__heap_remove(&s->sampled, i);
    route__heap_remove(&s->fresh, i);
    if (!(b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) || route__saturated(b))
        return;
    if (has_ttft(b))
        route__heap_set(&s->sampled, i,
                        route__double_key(queue_s(s, b) + (double)b->ttft_ewma_ns / NS_PER_S));
    else
        route__heap_set(&s->fresh, i, route__double_key(queue_s(s, b)));
}

static void on_change(void *ctx, uint32_t i)
{
    refile(ctx, i);
}

/* E of backend b for this request: the very expression of the pass. */
static double el_expect(const struct el_state *s, const struct route_backend *b, double in,
                        double decode)
{
    double prefill = has_ttft(b) ? (double)b->ttft_ewma_ns / NS_PER_S : in * s->prefill_s_per_token;
    return queue_s(s, b) + prefill + decode;
}

static int32_t scan_el(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    const struct el_state *s = state;
    struct route__count c = {0, 0};
    double in = req->input_tokens > 0 ? (double)req->input_tokens : 0.0;
    double out = req->max_tokens > 0 ? (double)req->max_tokens : 0.0;
    double decode = out / s->decode_tps, min = 0.0;
    int32_t best = ROUTE_NONE;
    uint32_t ties = 0;
    for (uint32_t i = 0; i < view->n; i++) {
        const struct route_backend *b = &view->b[i];
        double q, prefill, e;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(b))
            continue;
        c.eligible++;
        q = b->queue_depth >= 0 ? (double)b->queue_depth
                                : (double)(b->inflight > 0 ? b->inflight : 0);
        prefill = b->ttft_samples > 0 && b->ttft_ewma_ns > 0 ? (double)b->ttft_ewma_ns / NS_PER_S
                                                             : in * s->prefill_s_per_token;
        e = q * s->mean_service_s + prefill + decode; /* el_expect, spelt out */
        if (best < 0 || e < min) {
            best = (int32_t)i;
            min = e;
            ties = 1;
        } else if (e == min) {
            ties++;
            if (route_rand_below(env, ties) == 0)
                best = (int32_t)i;
        }
    }
    if (best < 0)
        return route__no_pick(c);
    return best;
}

/* One heap walk in key order: with *min unset (have false), stop at the
 * first accepted member and set *min to its E; else reservoir-sample the
 * accepted members whose E equals *min, stopping at the first above.
 * False when the walk met more than *budget members in all. */
static bool walk_class(struct el_state *s, const struct route__heap *h, const uint64_t *exclude,
                       double in, double decode, const struct route_env *env, bool *have,
                       double *min, int32_t *best, uint32_t *ties, uint32_t *budget)
{
    struct route__heap_walk w;
    int32_t i;
    route__heap_walk_start(&w, h, s->frontier);
    while ((i = route__heap_walk_next(&w, INT64_MAX)) >= 0) {
        double e;
        if (*budget == 0)
            return false;
        (*budget)--;
        if (!route__fleet_eligible(s->fleet, exclude, (uint32_t)i))
            continue;
        e = el_expect(s, &s->fleet->view->b[i], in, decode);
        if (!*have) {
            *have = true;
            *min = e;
            *best = i;
            return true;
        }
        if (e > *min)
            return true;
        if (e == *min && (++*ties == 1 || route_rand_below(env, *ties) == 0))
            *best = i;
    }
    return true;
}

static int32_t pick_el(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    struct el_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    double in = req->input_tokens > 0 ? (double)req->input_tokens : 0.0;
    double out = req->max_tokens > 0 ? (double)req->max_tokens : 0.0;
    double decode = out / s->decode_tps, m1 = 0.0, m2 = 0.0, min;
    bool h1 = false, h2 = false, have = true;
    int32_t best = ROUTE_NONE, unused;
    uint32_t ties = 0, budget = EL_WALK_MAX;
    if (f == NULL || view->n != s->n)
        return scan_el(state, req, view, env, exclude);
    if (!route__fleet_drain(f, &s->cursor, on_change, s))
        for (uint32_t i = 0; i < s->n; i++)
            refile(s, i);
    /* the class minima, then the ties at the overall one */
    if (!walk_class(s, &s->sampled, exclude, in, decode, env, &h1, &m1, &unused, &ties, &budget) ||
        !walk_class(s, &s->fresh, exclude, in, decode, env, &h2, &m2, &unused, &ties, &budget))
        return scan_el(state, req, view, env, exclude);
    if (!h1 && !h2)
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    min = !h2 || (h1 && m1 < m2) ? m1 : m2;
    ties = 0;
    if ((h1 && m1 == min &&
         !walk_class(s, &s->sampled, exclude, in, decode, env, &have, &min, &best, &ties,
                     &budget)) ||
        (h2 && m2 == min &&
         !walk_class(s, &s->fresh, exclude, in, decode, env, &have, &min, &best, &ties, &budget)))
        return scan_el(state, req, view, env, exclude);
    return best;
}

const struct route_ops route__ops_expected_latency = {
    ROUTE_OPS_INIT,
    .name = "expected_latency",
    .summary = "lowest predicted queue + prefill + decode time for this request",
    .source = "AIBrix least-latency (pkg/plugins/gateway/algorithms/least_latency.go, e3e10f9e), "
              "with the request's own tokens",
    .params = el_params,
    .n_params = N_PARAMS,
    .min_children = 0,
    .max_children = 0,
    .create = create_el,
    .destroy = destroy_el,
    .pick = pick_el,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = ROUTE_READS_TTFT | ROUTE_READS_QUEUE, /* queue_depth (queue_s), ttft_ewma_ns /
                                                      ttft_samples (has_ttft, prefill) */
};
