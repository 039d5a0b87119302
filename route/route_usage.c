/*
 * route_usage.c - strategy `lowest_usage`: least TPM used in the window
 * among backends with room for this request.
 *
 * Reproduces LiteLLM `usage-based-routing-v2` (litellm/router_strategy/
 * lowest_tpm_rpm_v2.py, 2024-2026; reference/routers.md §2.1.2 and §4
 * row 7): D' = backends with rpm_used + 1 <= rpm_limit and
 * tpm_used + tokens <= tpm_limit (0 = unlimited); argmin tpm_used over D',
 * ties at random; empty D' -> "No deployments available" (429): ROUTE_NONE.
 *
 * Differences and quirks:
 *  - Window: the router's sliding 60 s window of one-second slots, charged
 *    at dispatch with input + max_tokens (what providers reserve at
 *    admission).  LiteLLM uses fixed UTC-minute buckets (%H-%M) and charges
 *    usage.total_tokens after success, so a burst straddling HH:MM:59 gets
 *    two budgets; that fixed-minute mode is a later option.
 *  - The RPM filter is the intended one: LiteLLM's never matches when
 *    selecting (issue #7395) and its fix excludes one request early
 *    (>=, issue #33032); bug-compatible modes are later options.
 *  - When no eligible backend passes the filter but a saturated one would,
 *    the answer is ROUTE_FULL (waiting can succeed), else ROUTE_NONE.
 * One pass, reservoir sampling among the ties; no state.
 */
#include "route_int.h"

static int create_usage(void **state, const double *params, uint32_t n_backends, char *err,
                        size_t errlen)
{
    (void)params;
    (void)n_backends;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_usage(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE;
    int64_t min = 0;
    uint32_t ties = 0;
    (void)state;
    for (uint32_t i = 0; i < view->n; i++) {
        int64_t used;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        if (!route__within_limits(&view->b[i], req))
            continue;
        used = view->b[i].tpm_used;
        if (best < 0 || used < min) {
            best = (int32_t)i;
            min = used;
            ties = 1;
        } else if (used == min) {
            ties++;
            if (route_rand_below(env, ties) == 0)
                best = (int32_t)i;
        }
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    if (best < 0)
        return route__limited_no_pick(view, exclude, req);
    return best;
}

const struct route_ops route__ops_lowest_usage = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "lowest_usage",
    .summary = "least TPM used in the 60 s window among backends with room",
    .source = "LiteLLM usage-based-routing-v2 (lowest_tpm_rpm_v2.py), sliding window",
    .needs = ROUTE_NEED_LIMITS | ROUTE_NEED_TOKENS,
    .params = NULL,
    .n_params = 0,
    .create = create_usage,
    .destroy = NULL,
    .pick = pick_usage,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
