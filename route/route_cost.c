/*
 * route_cost.c - strategy `lowest_cost`: cheapest expected request.
 *
 * Reproduces LiteLLM `cost-based-routing` (litellm/router_strategy/
 * lowest_cost.py, 2024-2026; reference/routers.md §2.1.2 and §4 row 10):
 * drop deployments over their RPM/TPM for the window, then take the
 * minimum cost, deterministically (LiteLLM sorts by cost and takes the
 * first, so ties go to list order: the lowest index here).  If the filter
 * leaves nothing, LiteLLM raises "No deployments available": ROUTE_NONE.
 *
 * Cost models (param `model`):
 *  - 0 (default): the expected cost of this request,
 *    price_input x input_tokens + price_output x E[output], E[output] =
 *    req->output_tokens when > 0, else max_tokens.  Cached-input pricing is
 *    not used (no cached-token count in route_req).
 *  - 1: LiteLLM's ranking: the request-independent per-token price sum
 *    input_cost_per_token + output_cost_per_token, where an unknown price
 *    (0 here) counts 5.0 USD per token (lowest_cost.py's default for models
 *    missing from the cost map), so free / unpriced backends sort last.
 *
 * Differences and quirks:
 *  - Rate-limit filter over the router's sliding 60 s window, charged at
 *    dispatch with input + max_tokens (LiteLLM: UTC-minute buckets).
 *  - When no eligible backend passes the filter but a saturated one would,
 *    the answer is ROUTE_FULL (waiting can succeed), else ROUTE_NONE.
 * One pass; state: the model switch.
 */
#include <stdlib.h>

#include "route_int.h"

/* LiteLLM lowest_cost.py: a price missing from the cost map counts 5.0. */
static const double LITELLM_UNKNOWN_PRICE = 5.0;

static const struct route_param cost_params[] = {
    {.name = "model",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "",
     .doc = "0 = expected request cost; 1 = LiteLLM per-token price sum (unknown = 5.0 each)"},
};

enum { PARAM_MODEL, N_PARAMS };
_Static_assert(sizeof cost_params / sizeof cost_params[0] == N_PARAMS,
               "cost_params and its index enum disagree");

struct cost_state {
    bool litellm; /* model 1 */
};

static int create_cost(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct cost_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'lowest_cost': out of memory");
        return -1;
    }
    s->litellm = args->params[PARAM_MODEL] >= 0.5;
    *state = s;
    return 0;
}

static void destroy_cost(void *state)
{
    free(state);
}

static double litellm_cost(const struct route_backend_cfg *c)
{
    double in = c->price_input > 0.0 ? c->price_input : LITELLM_UNKNOWN_PRICE;
    double out = c->price_output > 0.0 ? c->price_output : LITELLM_UNKNOWN_PRICE;
    return in + out;
}

static double expected_cost(const struct route_backend_cfg *c, const struct route_req *req)
{
    int64_t in = req->input_tokens > 0 ? req->input_tokens : 0;
    int64_t out = req->output_tokens > 0 ? req->output_tokens : req->max_tokens;
    if (out < 0)
        out = 0;
    return c->price_input * (double)in + c->price_output * (double)out;
}

static int32_t pick_cost(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE;
    double best_cost = 0.0;
    const struct cost_state *s = state;
    (void)env;
    for (uint32_t i = 0; i < view->n; i++) {
        double cost;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        if (!route__within_limits(&view->b[i], req))
            continue;
        cost = s->litellm ? litellm_cost(&view->b[i].cfg) : expected_cost(&view->b[i].cfg, req);
        if (best < 0 || cost < best_cost) { /* strict: ties keep the lowest index */
            best = (int32_t)i;
            best_cost = cost;
        }
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    if (best < 0)
        return route__limited_no_pick(view, exclude, req);
    return best;
}

const struct route_ops route__ops_lowest_cost = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "lowest_cost",
    .summary = "cheapest expected request cost within RPM/TPM limits",
    .source = "LiteLLM cost-based-routing (lowest_cost.py): expected request cost or LiteLLM "
              "price sum",
    .needs = ROUTE_NEED_PRICES | ROUTE_NEED_LIMITS | ROUTE_NEED_TOKENS,
    .params = cost_params,
    .n_params = N_PARAMS,
    .min_children = 0,
    .max_children = 0,
    .create = create_cost,
    .destroy = destroy_cost,
    .pick = pick_cost,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
