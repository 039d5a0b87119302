/*
 * lowest_cost.c - strategy `lowest_cost`: cheapest expected request.
 *
 * Reproduces LiteLLM `cost-based-routing` (litellm/router_strategy/
 * lowest_cost.py, 2024-2026; docs/notes/routers.md §2.1.2 and §4 row 10):
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
 *
 * Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 * pass (O(n)).  In a router: a tree over the backends sorted by price
 * (model 0: (price_input, price_output); model 1: the LiteLLM price sum),
 * each node holding the smallest prices below it (static) and the largest
 * token budget a request may have to fit one of its backends, -1 when none
 * can take any (dynamic: health, saturation, RPM and TPM use, kept from the
 * router's journal of view changes in O(log n) each).  A depth-first branch
 * and bound finds the lexicographic minimum (cost, index) among the
 * backends that are eligible, not excluded and within limits for this
 * request: a subtree is skipped when no backend in it fits the request's
 * tokens, or when its price lower bound (rounded the same way as a cost, so
 * never above one) exceeds the best cost found, or equals it with only
 * higher indices below.  Same answer as the pass, O(log n) when the cheap
 * backends are usable, whatever the number of over-limit or down ones.
 * Nothing found: the pass answers (FULL / NONE / limited).
 */
#include <float.h>
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
    /* the index (in a router) */
    const struct route__fleet *fleet;
    uint32_t n, leaves; /* leaves: a power of two >= n */
    uint64_t cursor;
    const struct route_view *view;
    uint32_t *leaf;    /* leaves: backend at each leaf in price order, UINT32_MAX = padding */
    uint32_t *leaf_of; /* n: leaf of each backend */
    double *ka, *kb;   /* 2 leaves: smallest price components below each node */
    uint32_t *min_idx; /* 2 leaves: smallest backend index below each node */
    int64_t *cap;      /* 2 leaves: largest fitting request tokens below, -1 none */
    uint32_t *stack;   /* depth-first stack */
};

struct cost_key {
    double a, b;
    uint32_t i;
};

static int cmp_key(const void *x, const void *y)
{
    const struct cost_key *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

static void destroy_cost(void *state)
{
    struct cost_state *s = state;
    if (s == NULL)
        return;
    free(s->leaf);
    free(s->leaf_of);
    free(s->ka);
    free(s->kb);
    free(s->min_idx);
    free(s->cap);
    free(s->stack);
    free(s);
}

static double litellm_cost(const struct route_backend_cfg *c);

static int build_index(struct cost_state *s, const struct route_create_args *args)
{
    uint32_t n = args->n_backends, L = 1;
    struct cost_key *k;
    while (L < n)
        L *= 2;
    s->n = n;
    s->leaves = L;
    s->leaf = calloc(L, sizeof *s->leaf);
    s->leaf_of = calloc(n, sizeof *s->leaf_of);
    s->ka = calloc(2u * L, sizeof *s->ka);
    s->kb = calloc(2u * L, sizeof *s->kb);
    s->min_idx = calloc(2u * L, sizeof *s->min_idx);
    s->cap = calloc(2u * L, sizeof *s->cap);
    s->stack = calloc(2u * L, sizeof *s->stack);
    k = calloc(n, sizeof *k);
    if (s->leaf == NULL || s->leaf_of == NULL || s->ka == NULL || s->kb == NULL ||
        s->min_idx == NULL || s->cap == NULL || s->stack == NULL || k == NULL) {
        free(k);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct route_backend_cfg *c = &args->cfgs[i];
        k[i].a = s->litellm ? litellm_cost(c) : c->price_input;
        k[i].b = s->litellm ? 0.0 : c->price_output;
        k[i].i = i;
    }
    qsort(k, n, sizeof *k, cmp_key);
    for (uint32_t p = 0; p < L; p++) {
        uint32_t node = L + p;
        s->leaf[p] = p < n ? k[p].i : UINT32_MAX;
        s->ka[node] = p < n ? k[p].a : DBL_MAX; /* padding: never a minimum, never fits */
        s->kb[node] = p < n ? k[p].b : DBL_MAX;
        s->min_idx[node] = p < n ? k[p].i : UINT32_MAX;
        s->cap[node] = -1;
        if (p < n)
            s->leaf_of[k[p].i] = p;
    }
    for (uint32_t node = L - 1; node >= 1; node--) {
        uint32_t l = 2 * node, r = l + 1;
        s->ka[node] = s->ka[l] < s->ka[r] ? s->ka[l] : s->ka[r];
        s->kb[node] = s->kb[l] < s->kb[r] ? s->kb[l] : s->kb[r];
        s->min_idx[node] = s->min_idx[l] < s->min_idx[r] ? s->min_idx[l] : s->min_idx[r];
        s->cap[node] = -1;
    }
    free(k);
    s->cursor = UINT64_MAX;
    return 0;
}

static int create_cost(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    struct cost_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'lowest_cost': out of memory");
        return -1;
    }
    s->litellm = args->params[PARAM_MODEL] >= 0.5;
    s->fleet = route__fleet_for(args);
    if (s->fleet != NULL && (args->cfgs == NULL || build_index(s, args) < 0)) {
        destroy_cost(s);
        route__errf(err, errlen, "strategy 'lowest_cost': out of memory");
        return -1;
    }
    *state = s;
    return 0;
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

/* Largest request tokens backend i takes now (-1: none): eligible but for
 * the exclude set, RPM not exhausted, TPM room. */
static int64_t leaf_cap(const struct route_backend *b)
{
    const struct route_backend_cfg *c = &b->cfg;
    if (!(b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) || route__saturated(b))
        return -1;
    if (c->rpm_limit > 0 && b->rpm_used >= c->rpm_limit)
        return -1;
    if (c->tpm_limit <= 0)
        return INT64_MAX;
    return b->tpm_used > c->tpm_limit ? -1 : c->tpm_limit - b->tpm_used;
}

static void on_change(void *ctx, uint32_t i)
{
    struct cost_state *s = ctx;
    uint32_t node;
    int64_t v;
    if (i >= s->n)
        return;
    node = s->leaves + s->leaf_of[i];
    v = leaf_cap(&s->view->b[i]);
    if (s->cap[node] == v)
        return;
    s->cap[node] = v;
    for (node /= 2; node >= 1; node /= 2) {
        int64_t l = s->cap[2 * node], r = s->cap[2 * node + 1], m = l > r ? l : r;
        if (s->cap[node] == m)
            break;
        s->cap[node] = m;
    }
}

static void rebuild(struct cost_state *s)
{
    for (uint32_t p = 0; p < s->leaves; p++) {
        uint32_t i = s->leaf[p];
        s->cap[s->leaves + p] = i == UINT32_MAX ? -1 : leaf_cap(&s->view->b[i]);
    }
    for (uint32_t node = s->leaves - 1; node >= 1; node--) {
        int64_t l = s->cap[2 * node], r = s->cap[2 * node + 1];
        s->cap[node] = l > r ? l : r;
    }
}

static int32_t scan_cost(const struct cost_state *s, const struct route_req *req,
                         const struct route_view *view, const uint64_t *exclude);

/* Branch and bound over the price tree. */
static int32_t pick_indexed(struct cost_state *s, const struct route__fleet *f,
                            const struct route_req *req, const struct route_view *view,
                            const uint64_t *exclude)
{
    int64_t tok = route__req_tokens(req), in, out;
    double a, b, best_cost = 0.0;
    int32_t best = -1;
    uint32_t top = 0;
    if (s->litellm) {
        a = 1.0;
        b = 0.0;
    } else {
        in = req->input_tokens > 0 ? req->input_tokens : 0;
        out = req->output_tokens > 0 ? req->output_tokens : req->max_tokens;
        if (out < 0)
            out = 0;
        a = (double)in;
        b = (double)out;
    }
    s->stack[top++] = 1;
    while (top > 0) {
        uint32_t node = s->stack[--top];
        double lb;
        if (s->cap[node] < tok)
            continue;
        lb = s->ka[node] * a + s->kb[node] * b;
        if (best >= 0 && (lb > best_cost || (lb == best_cost && s->min_idx[node] > (uint32_t)best)))
            continue;
        if (node >= s->leaves) {
            uint32_t i = s->leaf[node - s->leaves];
            double cost;
            if (!route__fleet_eligible(f, exclude, i) || !route__within_limits(&view->b[i], req))
                continue;
            cost = s->litellm ? litellm_cost(&view->b[i].cfg) : expected_cost(&view->b[i].cfg, req);
            if (best < 0 || cost < best_cost || (cost == best_cost && i < (uint32_t)best)) {
                best = (int32_t)i;
                best_cost = cost;
            }
            continue;
        }
        /* the child with the smaller bound is explored first */
        if (s->ka[2 * node] * a + s->kb[2 * node] * b <=
            s->ka[2 * node + 1] * a + s->kb[2 * node + 1] * b) {
            s->stack[top++] = 2 * node + 1;
            s->stack[top++] = 2 * node;
        } else {
            s->stack[top++] = 2 * node;
            s->stack[top++] = 2 * node + 1;
        }
    }
    return best;
}

static int32_t pick_cost(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    struct cost_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    int32_t k;
    (void)env;
    if (f == NULL || view->n != s->n)
        return scan_cost(s, req, view, exclude);
    s->view = view;
    if (!route__fleet_drain(f, &s->cursor, on_change, s))
        rebuild(s);
    k = pick_indexed(s, f, req, view, exclude);
    return k >= 0 ? k : scan_cost(s, req, view, exclude);
}

/* The pass. */
static int32_t scan_cost(const struct cost_state *s, const struct route_req *req,
                         const struct route_view *view, const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    int32_t best = ROUTE_NONE;
    double best_cost = 0.0;
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
    ROUTE_OPS_INIT,
    .name = "lowest_cost",
    .summary = "cheapest expected request cost within RPM/TPM limits",
    .source = "LiteLLM cost-based-routing (lowest_cost.py): expected request cost or LiteLLM "
              "price sum",
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
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
