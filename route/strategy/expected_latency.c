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
 * One pass, reservoir sampling among exact ties; no state.
 */
#include <stdlib.h>

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

struct el_state {
    double mean_service_s;
    double prefill_s_per_token;
    double decode_tps;
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
    *state = s;
    return 0;
}

static void destroy_el(void *state)
{
    free(state);
}

static int32_t pick_el(void *state, const struct route_req *req, const struct route_view *view,
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
        e = q * s->mean_service_s + prefill + decode;
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
};
