/*
 * least_loaded_plugin.c - an example strategy plugin for lbsim (and any
 * gateway linking route/): `plugin_least_loaded`, the backend with the
 * least in-flight load per unit of weight, random among ties.
 *
 * Rule: minimise (inflight + 1)^bias / weight over the usable backends
 * (healthy, not excluded, under their max_inflight cap, weight > 0).  The
 * score is the inverse of the effective weight of Envoy's weighted
 * least-request load balancer (LeastRequestLoadBalancer, docs "Weighted
 * least request": weight / (active_requests + 1)^active_request_bias,
 * bias default 1.0).  Envoy schedules hosts by that weight (EDF); this
 * example takes the best one greedily, over all backends.  bias = 0
 * ignores the load (highest weight wins); equal weights give the built-in
 * `least_inflight`.
 *
 * Build (see README.md here):
 *   cc -std=c11 -O2 -shared -fPIC -o least_loaded.so least_loaded_plugin.c -lm
 *   lbsim run scenario.yaml --plugin ./least_loaded.so --strategy plugin_least_loaded
 *
 * A plugin may use the types and static inline helpers of
 * route_strategy.h and route.h (route_view_at, route_usable,
 * route_excluded) but no function of the route library:
 * the host does not export them.  Randomness comes from env->rand only.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route_strategy.h"

/* Exported: the one symbol the host looks for (ROUTE_PLUGIN_SYMBOL). */
const struct route_ops *const *lbsim_route_plugin(uint32_t *n, uint32_t *abi);

struct ll_state {
    double bias;
};

static int ll_create(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct ll_state *s = malloc(sizeof *s);
    if (s == NULL) {
        if (err != NULL && errlen > 0) {
            strncpy(err, "plugin_least_loaded: out of memory", errlen - 1);
            err[errlen - 1] = '\0';
        }
        return -1;
    }
    s->bias = args->params[0]; /* defaults filled, range-checked by the host */
    *state = s;
    return 0;
}

static void ll_destroy(void *state)
{
    free(state);
}

/* Unbiased integer in [0, n), n > 0 (Lemire's multiply-shift with
 * rejection), from the caller's random source. */
static uint32_t rand_below(const struct route_env *env, uint32_t n)
{
    uint64_t m = (uint64_t)(uint32_t)env->rand(env->rand_ctx) * n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (lo < t) {
            m = (uint64_t)(uint32_t)env->rand(env->rand_ctx) * n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

static int32_t ll_pick(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    const struct ll_state *s = state;
    int32_t best = ROUTE_NONE;
    double best_score = 0;
    uint32_t ties = 0, usable = 0;
    (void)req;
    for (uint32_t i = 0; i < view->n; i++) {
        const struct route_backend *b = route_view_at(view, i); /* not view->b[i] */
        if (!route_usable(view, exclude, i) || b->cfg.weight == 0)
            continue;
        usable++;
        if (b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight)
            continue; /* saturated: the gateway queues if all are */
        double score = pow((double)b->inflight + 1.0, s->bias) / (double)b->cfg.weight;
        if (best < 0 || score < best_score) {
            best = (int32_t)i;
            best_score = score;
            ties = 1;
        } else if (score == best_score) {
            ties++;
            if (rand_below(env, ties) == 0)
                best = (int32_t)i; /* reservoir: each tie kept with probability 1/ties */
        }
    }
    if (best >= 0)
        return best;
    return usable > 0 ? ROUTE_FULL : ROUTE_NONE;
}

static const struct route_param ll_params[] = {
    {.name = "bias",
     .def = 1.0,
     .min = 0.0,
     .max = 4.0,
     .unit = "",
     .doc = "exponent of (inflight + 1); 1 = Envoy's default active_request_bias"},
};

static const struct route_ops ll_ops = {
    ROUTE_OPS_INIT, /* abi_version, abi_minor, ops_size */
    .name = "plugin_least_loaded",
    .summary = "(inflight + 1)^bias / weight is least, random among ties (example plugin)",
    .source = "Envoy weighted least-request (active_request_bias), all hosts compared",
    .params = ll_params,
    .n_params = sizeof ll_params / sizeof ll_params[0],
    .min_children = 0,
    .max_children = 0,
    .create = ll_create,
    .destroy = ll_destroy,
    .pick = ll_pick,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* ABI 3.1: inflight and weights only, no engine-fed signal */
};

static const struct route_ops *const ll_tables[] = {&ll_ops};

const struct route_ops *const *lbsim_route_plugin(uint32_t *n, uint32_t *abi)
{
    *n = (uint32_t)(sizeof ll_tables / sizeof ll_tables[0]);
    *abi = ROUTE_ABI_VERSION;
    return ll_tables;
}
