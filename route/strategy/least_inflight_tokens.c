/*
 * least_inflight_tokens.c - strategy `least_inflight_tokens`: fewest
 * tokens in flight (input + max_tokens of the attempts dispatched and not
 * completed), ties broken uniformly at random.
 *
 * Reproduces the "least outstanding tokens" signal of llm-d / GIE
 * `token-load-scorer` (in-flight tokens; docs/notes/routers.md §4 row 17)
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
 *
 * Pick.  Outside a router, or with fewer than ROUTE__INDEX_MIN_N (32)
 * backends: one pass, reservoir sampling over the current minimum set
 * (O(n)).  In a router: the eligible backends (usable, not saturated) in a
 * route__minidx keyed by tokens in flight (idle ones in an O(1) set, the
 * others in a heap), kept from the router's journal of view changes (O(log
 * n) per dispatch / completion; with a staleness > 0 it follows the
 * published counters).  The pick takes the smallest key with a non-excluded
 * member, uniformly among its ties: O(1) for idle backends, O(log n)
 * otherwise, plus O(log n) per excluded member walked past.  No eligible
 * backend: the plain pass answers (FULL / NONE).
 */
#include <stdlib.h>

#include "route_int.h"

struct lit_state {
    uint32_t n;
    const struct route__fleet *fleet;
    uint64_t cursor;
    const struct route_view *view;
    const uint64_t *exclude; /* of the current pick */
    struct route__minidx idx;
};

static void destroy_lit(void *state)
{
    struct lit_state *s = state;
    if (s == NULL)
        return;
    route__minidx_free(&s->idx);
    free(s);
}

static int create_lit(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    const struct route__fleet *f = route__fleet_for(args);
    struct lit_state *s;
    *state = NULL;
    if (f == NULL)
        return 0; /* outside a router, or a few backends: the plain pass, no state */
    s = calloc(1, sizeof *s);
    if (s == NULL || route__minidx_init(&s->idx, args->n_backends) < 0) {
        free(s);
        route__errf(err, errlen, "strategy 'least_inflight_tokens': out of memory");
        return -1;
    }
    s->n = args->n_backends;
    s->fleet = f;
    s->cursor = UINT64_MAX;
    *state = s;
    return 0;
}

static void on_change(void *ctx, uint32_t i)
{
    struct lit_state *s = ctx;
    const struct route_backend *b;
    if (i >= s->n)
        return;
    b = &s->view->b[i];
    route__minidx_set(&s->idx, i,
                      (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) &&
                          !route__saturated(b),
                      b->inflight_tokens);
}

static bool not_excluded(void *ctx, uint32_t i)
{
    const struct lit_state *s = ctx;
    return route__fleet_eligible(s->fleet, s->exclude, i);
}

static int32_t pick_lit(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    struct lit_state *s = state;
    const struct route__fleet *f = s != NULL ? route__fleet_of(s->fleet, view) : NULL;
    int32_t k;
    (void)req;
    if (f == NULL || view->n != s->n)
        return route__least_tokens_scan(view, env, exclude);
    s->view = view;
    if (!route__fleet_drain(f, &s->cursor, on_change, s)) {
        route__minidx_clear(&s->idx);
        for (uint32_t i = 0; i < s->n; i++)
            on_change(s, i);
    }
    s->exclude = exclude;
    k = route__minidx_pick(&s->idx, env, not_excluded, s);
    return k >= 0 ? k : route__least_tokens_scan(view, env, exclude);
}

const struct route_ops route__ops_least_inflight_tokens = {
    ROUTE_OPS_INIT,
    .name = "least_inflight_tokens",
    .summary = "fewest tokens (input + max_tokens) in flight, random among ties",
    .source = "llm-d / GIE token-load-scorer (least outstanding tokens), as an argmin",
    .params = NULL,
    .n_params = 0,
    .min_children = 0,
    .max_children = 0,
    .create = create_lit,
    .destroy = destroy_lit,
    .pick = pick_lit,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
