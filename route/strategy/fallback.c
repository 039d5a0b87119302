/*
 * fallback.c - the group strategy `fallback` (see loadbalance.c for its sibling):
 * Portkey's recursive target modes (Portkey-AI/gateway
 * src/handlers/handlerUtils.ts tryTargetsRecursively, 2024-2026;
 * docs/notes/routers.md §2.2).  Each child is a node (a leaf strategy or a
 * wrapper, possibly limited to a subset of the backends); the group answers
 * for the whole tree at pick time.
 *
 * `fallback`: try the children in order and return the first answer that is
 * a backend; ROUTE_FULL if some child answered FULL and none gave a
 * backend; ROUTE_NONE if all answered NONE.  Portkey moves on after a
 * *response* (non-2xx, or a status in on_status_codes); lbsim moves on at
 * pick time when a child has nothing usable (down, cooling, all tried), and
 * the retry loop (excluding failed backends) supplies the after-response
 * move: a retry re-picks and lands on the next child once the first
 * child's backends are excluded.  on_status_codes is the retry policy's
 * retry_on.
 *
 * Both: O(children) node picks at worst, no allocation in pick.
 */
#include <stdlib.h>

#include "route_int.h"

/* ---------------------------------------------------------------------
 * fallback
 * ------------------------------------------------------------------- */

struct fb_state {
    uint32_t n_children;
    struct route_node *children[];
};

static int create_fallback(void **state, const struct route_create_args *args, char *err,
                           size_t errlen)
{
    struct fb_state *s;
    if (args->n_children < 1) {
        route__errf(err, errlen, "strategy 'fallback': needs at least one child");
        return -1;
    }
    s = calloc(1, sizeof *s + (size_t)args->n_children * sizeof s->children[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'fallback': out of memory");
        return -1;
    }
    s->n_children = args->n_children;
    for (uint32_t c = 0; c < args->n_children; c++)
        s->children[c] = args->children[c];
    *state = s;
    return 0;
}

static void destroy_group(void *state)
{
    free(state);
}

static int32_t pick_fallback(void *state, const struct route_req *req,
                             const struct route_view *view, const struct route_env *env,
                             const uint64_t *exclude)
{
    const struct fb_state *s = state;
    bool full = false;
    for (uint32_t c = 0; c < s->n_children; c++) {
        int32_t k = route_node_pick(s->children[c], req, view, env, exclude);
        if (k >= 0)
            return k;
        if (k == ROUTE_FULL)
            full = true;
    }
    return full ? ROUTE_FULL : ROUTE_NONE;
}

const struct route_ops route__ops_fallback = {
    ROUTE_OPS_INIT,
    .name = "fallback",
    .summary = "children in order: the first that has a backend answers",
    .source = "Portkey strategy mode fallback (gateway src/handlers/handlerUtils.ts "
              "tryTargetsRecursively)",
    .params = NULL,
    .n_params = 0,
    .min_children = 1,
    .max_children = UINT32_MAX,
    .create = create_fallback,
    .destroy = destroy_group,
    .pick = pick_fallback,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* none of its own; the router ORs in its children's */
};
