/*
 * loadbalance.c - the group strategy `loadbalance` (see fallback.c for its
 * sibling): Portkey's recursive target modes (Portkey-AI/gateway
 * src/handlers/handlerUtils.ts tryTargetsRecursively, 2024-2026;
 * docs/notes/routers.md §2.2).
 *
 * `loadbalance`: weighted random among the children with a usable,
 * non-saturated backend (route_node_any_usable), weights from the spec
 * (child_weights; Portkey default 1, weight 0 never chosen): r = U[0, sum),
 * walk the children subtracting weights, take the first with r < w_i
 * (Portkey's rule, one route_rand_unit draw).  Portkey itself has no health
 * awareness (it picks among all targets); lbsim skips children with nothing
 * usable so an outage does not turn into refusals, which is what a Portkey
 * fallback under a loadbalance achieves.  If the chosen child answers NONE
 * or FULL, the other positive-weight children are tried by decreasing
 * weight (ties: lower index first); the answer is then the first backend,
 * else FULL if some child was FULL, else NONE.
 *
 * Both: O(children) node picks at worst, no allocation in pick.
 */
#include <stdlib.h>

#include "route_int.h"

/* ---------------------------------------------------------------------
 * loadbalance
 * ------------------------------------------------------------------- */

struct lb_child {
    struct route_node *node;
    double weight;
};

struct lb_state {
    uint32_t n_children;
    uint32_t *order; /* children by decreasing weight, ties by index */
    bool *candidate; /* per-pick scratch */
    struct lb_child c[];
};

static void destroy_lb(void *state)
{
    struct lb_state *s = state;
    if (s == NULL)
        return;
    free(s->order);
    free(s->candidate);
    free(s);
}

static int create_lb(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t m = args->n_children;
    struct lb_state *s;
    if (m < 1) {
        route__errf(err, errlen, "strategy 'loadbalance': needs at least one child");
        return -1;
    }
    s = calloc(1, sizeof *s + (size_t)m * sizeof s->c[0]);
    if (s != NULL) {
        s->order = calloc(m, sizeof *s->order);
        s->candidate = calloc(m, sizeof *s->candidate);
    }
    if (s == NULL || s->order == NULL || s->candidate == NULL) {
        destroy_lb(s);
        route__errf(err, errlen, "strategy 'loadbalance': out of memory");
        return -1;
    }
    s->n_children = m;
    for (uint32_t i = 0; i < m; i++) {
        double w = args->child_weights != NULL ? args->child_weights[i] : 1.0;
        if (!(w >= 0.0) || w > 1e300) {
            route__errf(err, errlen,
                        "strategy 'loadbalance': child %u: weight must be finite and >= 0", i);
            destroy_lb(s);
            return -1;
        }
        s->c[i].node = args->children[i];
        s->c[i].weight = w;
        s->order[i] = i;
    }
    /* insertion sort: decreasing weight, stable (children are few) */
    for (uint32_t i = 1; i < m; i++) {
        uint32_t x = s->order[i], j = i;
        while (j > 0 && s->c[s->order[j - 1]].weight < s->c[x].weight) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = x;
    }
    *state = s;
    return 0;
}

static int32_t pick_lb(void *state, const struct route_req *req, const struct route_view *view,
                       const struct route_env *env, const uint64_t *exclude)
{
    struct lb_state *s = state;
    double sum = 0.0, r;
    uint32_t chosen = UINT32_MAX, last = UINT32_MAX;
    bool full = false;
    int32_t k;

    for (uint32_t i = 0; i < s->n_children; i++) {
        s->candidate[i] =
            s->c[i].weight > 0.0 && route_node_any_usable(s->c[i].node, view, exclude);
        if (s->candidate[i]) {
            sum += s->c[i].weight;
            last = i;
        }
    }
    if (sum > 0.0) {
        r = route_rand_unit(env) * sum;
        for (uint32_t i = 0; i < s->n_children; i++) {
            if (!s->candidate[i])
                continue;
            if (r < s->c[i].weight) {
                chosen = i;
                break;
            }
            r -= s->c[i].weight;
        }
        if (chosen == UINT32_MAX)
            chosen = last; /* rounding left r >= the last weight */
        k = route_node_pick(s->c[chosen].node, req, view, env, exclude);
        if (k >= 0)
            return k;
        full = k == ROUTE_FULL;
    }
    for (uint32_t j = 0; j < s->n_children; j++) {
        uint32_t i = s->order[j];
        if (i == chosen || !(s->c[i].weight > 0.0))
            continue;
        k = route_node_pick(s->c[i].node, req, view, env, exclude);
        if (k >= 0)
            return k;
        if (k == ROUTE_FULL)
            full = true;
    }
    return full ? ROUTE_FULL : ROUTE_NONE;
}

const struct route_ops route__ops_loadbalance = {
    ROUTE_OPS_INIT,
    .name = "loadbalance",
    .summary = "weighted random among children with a usable backend; the others by weight if "
               "it has none",
    .source = "Portkey strategy mode loadbalance (gateway src/handlers/handlerUtils.ts: r = "
              "U[0, sum w), walk the targets)",
    .params = NULL,
    .n_params = 0,
    .min_children = 1,
    .max_children = UINT32_MAX,
    .create = create_lb,
    .destroy = destroy_lb,
    .pick = pick_lb,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* none of its own; the router ORs in its children's */
};
