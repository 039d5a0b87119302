/*
 * route_round_robin.c - strategy `round_robin`: nginx smooth weighted
 * round-robin.
 *
 * Reproduces ngx_http_upstream_get_peer() in
 * src/http/ngx_http_upstream_round_robin.c (nginx commit 2c969143, 2012,
 * "Upstream: smooth weighted round-robin balancing", nginx >= 1.3.1): on
 * each pick every eligible backend's current weight grows by its weight, the
 * largest current weight wins (first, i.e. lowest index, on ties) and loses
 * the total of the weights added.  Weights {5, 1, 1} give a a b a c a a;
 * equal weights give plain cyclic order, which is what vLLM production-stack,
 * SGLang, Dynamo and Envoy call round-robin (reference/routers.md §4 row 3).
 *
 * Quirks / choices:
 *  - Ineligible backends (down, excluded, saturated) neither accumulate nor
 *    pay, as nginx skips down/failed/max_conns peers; they keep their
 *    current weight until eligible again.
 *  - nginx's effective_weight (lowered after failures, recovering by 1 per
 *    pick) is not modelled: failures are the health layer's job here.
 *  - Weight 0 backends are skipped while any eligible weight is positive;
 *    if all eligible weights are 0 every eligible backend counts as weight 1
 *    (cyclic order) rather than answering 429.
 *  - One counter set per router instance (vLLM-PS keys its counter by the
 *    endpoint set: a later option).
 * State: one int64 current weight per backend.  |current| stays below
 * n * sum(weights) < 2^52, far from overflow.
 */
#include <stdlib.h>

#include "route_int.h"

struct rr_state {
    uint32_t n;
    int64_t current[]; /* nginx current_weight, per backend */
};

static int create_rr(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t n_backends = args->n_backends;
    struct rr_state *s = calloc(1, sizeof *s + (size_t)n_backends * sizeof s->current[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'round_robin': out of memory");
        return -1;
    }
    s->n = n_backends;
    *state = s;
    return 0;
}

static void destroy_rr(void *state)
{
    free(state);
}

static int32_t pick_rr(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    struct rr_state *s = state;
    struct route__count c = {0, 0};
    uint32_t n = view->n < s->n ? view->n : s->n;
    int64_t total = 0, unit;
    int32_t best = -1;
    (void)req;
    (void)env;
    /* Pass 1: is any eligible weight positive?  Decides the weight rule. */
    for (uint32_t i = 0; i < n; i++) {
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        total += view->b[i].cfg.weight;
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    unit = total == 0; /* all weights 0: count each as 1 */
    total = 0;
    /* Pass 2: ngx_http_upstream_get_peer. */
    for (uint32_t i = 0; i < n; i++) {
        int64_t w;
        if (!route__eligible(view, exclude, i))
            continue;
        w = unit ? 1 : (int64_t)view->b[i].cfg.weight;
        if (w == 0)
            continue;
        s->current[i] += w;
        total += w;
        if (best < 0 || s->current[i] > s->current[best])
            best = (int32_t)i;
    }
    s->current[best] -= total;
    return best;
}

const struct route_ops route__ops_round_robin = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "round_robin",
    .summary = "smooth weighted round-robin (nginx); cyclic with equal weights",
    .source = "nginx ngx_http_upstream_get_peer smooth WRR (commit 2c969143, nginx 1.3.1+)",
    .needs = ROUTE_NEED_WEIGHTS,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_rr,
    .destroy = destroy_rr,
    .pick = pick_rr,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
