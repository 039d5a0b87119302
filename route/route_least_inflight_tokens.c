/*
 * route_least_inflight_tokens.c - strategy `least_inflight_tokens`: fewest
 * tokens in flight (input + max_tokens of the attempts dispatched and not
 * completed), ties broken uniformly at random.
 *
 * Reproduces the "least outstanding tokens" signal of llm-d / GIE
 * `token-load-scorer` (in-flight tokens; reference/routers.md §4 row 17)
 * used as an argmin rather than a score, and AIBrix `throughput`'s idea
 * that a request's cost is its token count rather than 1 (§2.4).  The
 * scorer form (1 - min(1, tokens / 4194304)) is weighted_scorers'
 * `token_load`.
 *
 * Quirks / choices:
 *  - The signal is router-local (route_backend.inflight_tokens, raised at
 *    dispatch by input + max_tokens, lowered at completion): the output
 *    budget is charged in full, as providers charge TPM at admission, so a
 *    request with a large max_tokens weighs more than what it will produce.
 *  - No normalisation by backend capacity: a large pool and a small account
 *    with the same tokens in flight tie (use weighted_scorers for capacity).
 * One pass: reservoir sampling over the current minimum set.
 */
#include "route_int.h"

static int create_lit(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t pick_lit(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE;
    int64_t min = 0;
    uint32_t ties = 0;
    (void)state;
    (void)req;
    for (uint32_t i = 0; i < view->n; i++) {
        int64_t load;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        load = view->b[i].inflight_tokens;
        if (best < 0 || load < min) {
            best = (int32_t)i;
            min = load;
            ties = 1;
        } else if (load == min) {
            ties++;
            if (route_rand_below(env, ties) == 0)
                best = (int32_t)i; /* each tie kept with probability 1/ties */
        }
    }
    if (best < 0)
        return route__no_pick(c);
    return best;
}

const struct route_ops route__ops_least_inflight_tokens = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "least_inflight_tokens",
    .summary = "fewest tokens (input + max_tokens) in flight, random among ties",
    .source = "llm-d / GIE token-load-scorer (least outstanding tokens), as an argmin",
    .needs = ROUTE_NEED_TOKENS | ROUTE_NEED_INFLIGHT,
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_lit,
    .destroy = NULL,
    .pick = pick_lit,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
};
