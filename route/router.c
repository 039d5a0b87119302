/*
 * router.c - the router object: spec-tree validation and build, lifecycle
 * calls, node helpers.
 *
 * The router owns the live counters a strategy reads (in flight, windowed
 * RPM/TPM, TTFT EWMA, backend-reported signals, budget spend) and keeps them
 * exact from the lifecycle calls the gateway makes; strategies only read
 * them.  With a staleness > 0 the counters a strategy sees are a copy
 * republished at most that often (publish.c; llm-d 50 ms, vLLM
 * production-stack 30 s, SGLang load_check_interval_secs;
 * docs/notes/routers.md §5 "Signal freshness"); health is always current.
 *
 * Strategies form a tree (route_spec -> route_node): children are created
 * first, so a parent's create() gets live child nodes, and every create()
 * gets its own node (route_create_args.node).  Every node sees every
 * lifecycle hook (children before parents), so wrappers and the strategies
 * they wrap all keep their signals.  Nothing here allocates after
 * route_router_create_spec().
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "route_loop.h"
#include "router_int.h"

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static bool bad_price(double p)
{
    return !(p >= 0.0 && p <= DBL_MAX); /* negative, NaN or infinite */
}

static int check_cfg(const struct route_ops *ops, const struct route_backend_cfg *c, uint32_t i,
                     char *err, size_t errlen)
{
    const char *bn = c->name != NULL ? c->name : "";
    const char *what = NULL;
    if (c->rpm_limit < 0)
        what = "rpm_limit is negative (0 = unlimited)";
    else if (c->tpm_limit < 0)
        what = "tpm_limit is negative (0 = unlimited)";
    else if (c->max_inflight < 0)
        what = "max_inflight is negative (0 = no cap)";
    else if (bad_price(c->price_input) || bad_price(c->price_cached) || bad_price(c->price_output))
        what = "a price is negative or not finite";
    else if (bad_price(c->budget_usd))
        what = "budget_usd is negative or not finite";
    else if (c->budget_window_ns < 0)
        what = "budget_window_ns is negative (0 = never resets)";
    if (what == NULL)
        return 0;
    route__errf(err, errlen, "strategy '%s': backend %u '%s': %s", ops->name, (unsigned)i, bn,
                what);
    return -1;
}

/* Validate a spec tree and count its nodes. */
static int check_spec(const struct route_spec *s, uint32_t depth, uint32_t *nodes, char *err,
                      size_t errlen)
{
    const struct route_ops *ops = s->ops;
    if (route_ops_check(ops, err, errlen) < 0)
        return -1;
    if (depth >= ROUTE__MAX_DEPTH) {
        route__errf(err, errlen, "strategy '%s': nested deeper than %u levels", ops->name,
                    (unsigned)ROUTE__MAX_DEPTH);
        return -1;
    }
    if (++*nodes > ROUTE__MAX_NODES) {
        route__errf(err, errlen, "strategy '%s': more than %u strategy nodes", ops->name,
                    (unsigned)ROUTE__MAX_NODES);
        return -1;
    }
    if (s->n_children < ops->min_children || s->n_children > ops->max_children) {
        if (ops->max_children == 0)
            route__errf(err, errlen, "strategy '%s': %u children, but it takes none", ops->name,
                        (unsigned)s->n_children);
        else if (ops->max_children == UINT32_MAX)
            route__errf(err, errlen, "strategy '%s': %u children, expects at least %u", ops->name,
                        (unsigned)s->n_children, (unsigned)ops->min_children);
        else
            route__errf(err, errlen, "strategy '%s': %u children, expects %u to %u", ops->name,
                        (unsigned)s->n_children, (unsigned)ops->min_children,
                        (unsigned)ops->max_children);
        return -1;
    }
    if (s->n_children > 0 && s->children == NULL) {
        route__errf(err, errlen, "strategy '%s': %u children but children is NULL", ops->name,
                    (unsigned)s->n_children);
        return -1;
    }
    for (uint32_t i = 0; i < ops->n_params; i++) {
        const struct route_param *p = &ops->params[i];
        double v = s->params[i];
        if (!(v >= p->min && v <= p->max)) {
            route__errf(err, errlen, "strategy '%s': parameter '%s' = %g outside [%g, %g]",
                        ops->name, p->name, v, p->min, p->max);
            return -1;
        }
    }
    for (uint32_t j = 0; j < s->n_children; j++) {
        double w = s->children[j].weight;
        if (!(w >= 0.0 && w <= DBL_MAX)) {
            route__errf(err, errlen, "strategy '%s': child %u weight %g is negative or not finite",
                        ops->name, (unsigned)j, w);
            return -1;
        }
        if (check_spec(&s->children[j], depth + 1, nodes, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Instantiate a spec subtree: children first, then the node. */
static struct route_node *build(struct route_router *r, const struct route_spec *s,
                                uint32_t *next_node, uint32_t *next_child, char *err, size_t errlen)
{
    uint32_t c0 = *next_child, k;
    struct route_node *node;
    struct route_create_args args;
    int rc;
    *next_child += s->n_children;
    for (uint32_t j = 0; j < s->n_children; j++) {
        struct route_node *child = build(r, &s->children[j], next_node, next_child, err, errlen);
        if (child == NULL)
            return NULL;
        r->child_ptrs[c0 + j] = child;
        r->child_w[c0 + j] = s->children[j].weight;
    }
    k = (*next_node)++;
    node = &r->nodes[k];
    node->ops = s->ops;
    node->router = r;
    node->narrow = r->bits + ((size_t)k * 3u + 1u) * r->words;
    node->scratch = r->bits + ((size_t)k * 3u + 2u) * r->words;
    if (s->backends != NULL) {
        uint64_t *sub = r->bits + (size_t)k * 3u * r->words;
        memcpy(sub, s->backends, r->words * sizeof *sub);
        sub[r->words - 1] &= r->last_mask;
        node->subset = sub;
    }
    node->children = s->n_children > 0 ? &r->child_ptrs[c0] : NULL;
    node->child_weights = s->n_children > 0 ? &r->child_w[c0] : NULL;
    node->n_children = s->n_children;
    memcpy(node->params, s->params, sizeof node->params);
    args.params = node->params;
    args.n_backends = r->n;
    args.cfgs = r->cfgs;
    args.children = node->children;
    args.child_weights = node->child_weights;
    args.n_children = node->n_children;
    args.node = node;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = s->ops->create(&node->state, &args, err, errlen);
    if (rc < 0) {
        if (err != NULL && errlen > 0 && err[0] == '\0')
            route__errf(err, errlen, "strategy '%s': create failed (%d)", s->ops->name, rc);
        return NULL;
    }
    node->created = true;
    return node;
}

void route_router_destroy(struct route_router *r)
{
    if (r == NULL)
        return;
    /* Parents before their children (reverse creation order). */
    for (uint32_t k = r->n_nodes; k-- > 0;) {
        struct route_node *node = &r->nodes[k];
        if (node->created && node->ops->destroy != NULL)
            node->ops->destroy(node->state);
    }
    route__health_destroy(r->health);
    free(r->nodes);
    free(r->child_ptrs);
    free(r->child_w);
    free(r->bits);
    free(r->cfgs);
    if (r->pub != r->live)
        free(r->pub);
    free(r->live);
    free(r->win);
    free(r->win_key);
    free(r->win_next);
    free(r->win_prev);
    free(r->dirty);
    free(r->dirty_bits);
    free(r->fleet.unusable);
    free(r->fleet.saturated);
    free(r->fleet.ring);
    free(r);
}

/* Journal size: a power of two >= 4n and >= 2048, so that a strategy
 * that rebuilds after falling a ring behind pays O(1) per change. */
static uint32_t journal_size(uint32_t n)
{
    uint32_t s = 2048;
    while (s < 4u * n)
        s *= 2u;
    return s;
}

const struct route__fleet *route__node_fleet(const struct route_node *node)
{
    if (node == NULL)
        return NULL;
    node->router->fleet.journal = true; /* a reader of the journal exists from now on */
    return &node->router->fleet;
}

const struct route__fleet *route__node_fleet_bits(const struct route_node *node)
{
    return node != NULL ? &node->router->fleet : NULL;
}

/* Backend i's live counters changed: publish at once (no staleness) or at
 * the next publication. */
static void init_backend(struct route_backend *b, const struct route_backend_cfg *cfg)
{
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->health = ROUTE_HEALTHY;
    b->queue_depth = -1;
    b->kv_free = -1.0;
}

/* What one node reads (route_router_reads in route.h): a hook fed by the
 * first-token calls reads TTFT whatever its table says, so a table with
 * one that does not declare it is taken as reading everything. */
static uint32_t node_reads(const struct route_ops *ops)
{
    uint32_t reads = route_ops_reads(ops);
    if (ops->on_first_token != NULL && (reads & ROUTE_READS_TTFT) == 0)
        return ROUTE_READS_ALL;
    return reads;
}

uint32_t route_router_reads(const struct route_router *r)
{
    return r != NULL ? r->reads : 0;
}

struct route_router *route_router_create_spec(const struct route_spec *root,
                                              const struct route_backend_cfg *cfgs, uint32_t n,
                                              const struct route_health_cfg *health,
                                              int64_t staleness_ns, char *err, size_t errlen)
{
    struct route_router *r;
    const char *name;
    uint32_t n_nodes = 0, next_node = 0, next_child = 0;
    if (root == NULL) {
        route__errf(err, errlen, "strategy tree is NULL");
        return NULL;
    }
    if (route_ops_check(root->ops, err, errlen) < 0)
        return NULL;
    name = root->ops->name;
    if (n == 0 || n > ROUTE_MAX_BACKENDS) {
        route__errf(err, errlen, "strategy '%s': %u backends, expected 1..%u", name, (unsigned)n,
                    (unsigned)ROUTE_MAX_BACKENDS);
        return NULL;
    }
    if (cfgs == NULL) {
        route__errf(err, errlen, "strategy '%s': backend configuration is NULL", name);
        return NULL;
    }
    if (staleness_ns < 0) {
        route__errf(err, errlen, "strategy '%s': staleness is negative", name);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (check_cfg(root->ops, &cfgs[i], i, err, errlen) < 0)
            return NULL;
    }
    if (check_spec(root, 0, &n_nodes, err, errlen) < 0)
        return NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        route__errf(err, errlen, "strategy '%s': out of memory", name);
        return NULL;
    }
    r->n = n;
    r->words = ROUTE_EXCLUDE_WORDS(n);
    r->last_mask = (n & 63u) == 0 ? ~(uint64_t)0 : (((uint64_t)1 << (n & 63u)) - 1u);
    r->staleness_ns = staleness_ns;
    r->budget_next_ns = INT64_MAX;
    r->nodes = calloc(n_nodes, sizeof *r->nodes);
    r->child_ptrs = calloc(n_nodes, sizeof *r->child_ptrs); /* n_nodes - 1 suffice */
    r->child_w = calloc(n_nodes, sizeof *r->child_w);
    r->bits = calloc((size_t)n_nodes * 3u * r->words, sizeof *r->bits);
    r->cfgs = calloc(n, sizeof *r->cfgs);
    r->live = calloc(n, sizeof *r->live);
    r->win = calloc(n, sizeof *r->win);
    r->pub = staleness_ns > 0 ? calloc(n, sizeof *r->pub) : r->live;
    r->win_key = calloc(n, sizeof *r->win_key);
    r->win_next = calloc(n, sizeof *r->win_next);
    r->win_prev = calloc(n, sizeof *r->win_prev);
    for (uint32_t b = 0; b < ROUTE__WHEEL; b++)
        r->wheel[b] = ROUTE__ABSENT;
    r->dirty = calloc(n, sizeof *r->dirty);
    r->dirty_bits = calloc(r->words, sizeof *r->dirty_bits);
    r->fleet.unusable = calloc(r->words, sizeof *r->fleet.unusable);
    r->fleet.saturated = calloc(r->words, sizeof *r->fleet.saturated);
    r->fleet.mask = journal_size(n) - 1u;
    r->fleet.ring = calloc((size_t)r->fleet.mask + 1u, sizeof *r->fleet.ring);
    r->fleet.n = n;
    r->fleet.words = r->words;
    r->fleet.view = &r->view;
    r->health = route__health_create(health, cfgs, n, err, errlen);
    if (r->health == NULL) {
        route_router_destroy(r);
        return NULL;
    }
    if (r->nodes == NULL || r->child_ptrs == NULL || r->child_w == NULL || r->bits == NULL ||
        r->cfgs == NULL || r->live == NULL || r->win == NULL || r->pub == NULL ||
        r->win_key == NULL || r->win_next == NULL || r->win_prev == NULL || r->dirty == NULL ||
        r->dirty_bits == NULL || r->fleet.unusable == NULL || r->fleet.saturated == NULL ||
        r->fleet.ring == NULL) {
        route__errf(err, errlen, "strategy '%s': out of memory", name);
        route_router_destroy(r);
        return NULL;
    }
    r->n_nodes = n_nodes;
    memcpy(r->cfgs, cfgs, n * sizeof *cfgs);
    for (uint32_t i = 0; i < n; i++) {
        init_backend(&r->live[i], &cfgs[i]);
        if (r->pub != r->live)
            init_backend(&r->pub[i], &cfgs[i]);
        r->win_key[i] = INT64_MAX;
        route__window_init(&r->win[i], 0);
        route__mark_dirty(r, i); /* the first publication copies everything */
    }
    r->view.b = r->pub;
    r->view.n = n;
    r->view.stride = (uint32_t)sizeof(struct route_backend);
    route__health_set_fleet(r->health, &r->fleet);
    r->hgate = route__health_gate_of(r->health);
    r->root = build(r, root, &next_node, &next_child, err, errlen);
    if (r->root == NULL) {
        route_router_destroy(r);
        return NULL;
    }
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        const struct route_ops *ops = r->nodes[k].ops;
        r->hook_dispatch = r->hook_dispatch || ops->on_dispatch != NULL;
        r->hook_first_token = r->hook_first_token || ops->on_first_token != NULL;
        r->hook_complete = r->hook_complete || ops->on_complete != NULL;
        r->reads |= node_reads(ops);
    }
    /* A strategy that keeps an index from the journal (route__node_fleet)
     * sees every change the host reports, signals included, as a journal
     * entry; when it falls a ring behind it rebuilds its index, whose
     * order then differs from the one the entries would have left (random
     * ties draw from it).  Leaving a signal out would move those rebuilds:
     * such a router reads everything. */
    if (r->fleet.journal)
        r->reads = ROUTE_READS_ALL;
    return r;
}

struct route_router *route_router_create(const struct route_ops *ops, const double *params,
                                         const struct route_backend_cfg *cfgs, uint32_t n,
                                         char *err, size_t errlen)
{
    struct route_spec spec;
    if (route_ops_check(ops, err, errlen) < 0)
        return NULL;
    memset(&spec, 0, sizeof spec);
    spec.ops = ops;
    spec.weight = 1.0;
    for (uint32_t i = 0; i < ops->n_params; i++)
        spec.params[i] = params != NULL ? params[i] : ops->params[i].def;
    return route_router_create_spec(&spec, cfgs, n, NULL, 0, err, errlen);
}

const struct route_view *route_router_view(const struct route_router *r)
{
    return r != NULL ? &r->view : NULL;
}

const struct route_ops *route_router_ops(const struct route_router *r)
{
    return r != NULL ? r->root->ops : NULL;
}

const struct route_stats *route_router_stats(const struct route_router *r)
{
    return r != NULL ? &r->stats : NULL;
}

void route_router_set_health(struct route_router *r, uint32_t backend, enum route_health h)
{
    if (r == NULL || backend >= r->n)
        return;
    route__health_set_admin(r->health, backend, h, r->pub);
}

/* ---------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------- */

/* route_node_pick without the argument checks. */
static inline int32_t node_pick(struct route_node *node, const struct route_req *req,
                                const struct route_view *view, const struct route_env *env,
                                const uint64_t *exclude)
{
    const uint64_t *ex = exclude;
    int32_t k;
    if (node->subset != NULL) {
        const struct route_router *r = node->router;
        for (uint32_t w = 0; w < r->words; w++) {
            uint64_t valid = w + 1 == r->words ? r->last_mask : ~(uint64_t)0;
            node->narrow[w] = (exclude != NULL ? exclude[w] : 0) | (~node->subset[w] & valid);
        }
        ex = node->narrow;
    }
    k = node->ops->pick(node->state, req, view, env, ex);
    /* A child's answer outside its contract stops here. */
    if (k >= 0 && ((uint32_t)k >= view->n || !route_usable(view, ex, (uint32_t)k)))
        return ROUTE_NONE;
    return k;
}

int32_t route_node_pick(struct route_node *node, const struct route_req *req,
                        const struct route_view *view, const struct route_env *env,
                        const uint64_t *exclude)
{
    if (node == NULL || req == NULL || view == NULL || env == NULL)
        return ROUTE_NONE;
    return node_pick(node, req, view, env, exclude);
}

uint64_t *route_node_scratch(struct route_node *node)
{
    return node != NULL ? node->scratch : NULL;
}

bool route_node_any_usable(const struct route_node *node, const struct route_view *view,
                           const uint64_t *exclude)
{
    if (node == NULL || view == NULL)
        return false;
    return route__any_candidate(route__fleet_of(&node->router->fleet, view), view, exclude,
                                node->subset, 2);
}

struct route_stats *route_node_stats(struct route_node *node)
{
    return node != NULL ? &node->router->stats : NULL;
}

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

/* Enforce the pick contract on the root's answer k, which node_pick has
 * already checked against the view's size, the health, `exclude` and the
 * root's subset (its exclude set is exclude | ~subset). */
static int32_t sanitize(const struct route_router *r, const uint64_t *exclude, int32_t k)
{
    if (k >= 0) {
        /* The concurrency cap is the router's: a saturated answer waits. */
        if (route__saturated(&r->pub[k]))
            return ROUTE_FULL;
        return k;
    }
    if (k == ROUTE_FULL && route__any_candidate(&r->fleet, &r->view, exclude, r->root->subset, 1))
        return ROUTE_FULL;
    return ROUTE_NONE;
}

int32_t route_router_pick(struct route_router *r, const struct route_req *req,
                          const struct route_env *env, const uint64_t *exclude)
{
    int32_t k;
    bool health;
    if (r == NULL || req == NULL || env == NULL || env->rand == NULL)
        return ROUTE_NONE;
    if (env->now_ns > r->last_now)
        r->last_now = env->now_ns;
    route__roll_windows(r, env->now_ns);
    route__roll_budgets(r, env->now_ns);
    route__maybe_publish(r, env->now_ns);
    health = r->hgate->pick; /* else nothing is due and nothing is open */
    if (health)
        route__health_pick_begin(r->health, env, r->pub);
    k = sanitize(r, exclude, node_pick(r->root, req, &r->view, env, exclude));
    if (health)
        route__health_pick_end(r->health, r->pub);
    return k;
}

/* The nodes' hooks, children before parents.  Out of line: most trees
 * have none (the lifecycle calls test a flag), and the loop's registers
 * would otherwise be saved on every call. */
static NOINLINE void hooks_dispatch(struct route_router *r, uint32_t backend,
                                    const struct route_req *req, const struct route_env *env)
{
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        struct route_node *node = &r->nodes[k];
        if (node->ops->on_dispatch != NULL)
            node->ops->on_dispatch(node->state, backend, req, env);
    }
}

static NOINLINE void hooks_first_token(struct route_router *r, uint32_t backend,
                                       const struct route_req *req, int64_t ttft_ns,
                                       const struct route_env *env)
{
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        struct route_node *node = &r->nodes[k];
        if (node->ops->on_first_token != NULL)
            node->ops->on_first_token(node->state, backend, req, ttft_ns, env);
    }
}

static NOINLINE void hooks_complete(struct route_router *r, uint32_t backend,
                                    const struct route_req *req, const struct route_outcome *out,
                                    const struct route_env *env)
{
    for (uint32_t k = 0; k < r->n_nodes; k++) {
        struct route_node *node = &r->nodes[k];
        if (node->ops->on_complete != NULL)
            node->ops->on_complete(node->state, backend, req, out, env);
    }
}

void route_router_dispatch(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_env *env)
{
    struct route_backend *b;
    int64_t tok;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    route__start_clock(r, env->now_ns);
    b = &r->live[backend];
    tok = route__req_tokens(req);
    if (b->inflight < INT32_MAX)
        b->inflight++;
    b->inflight_tokens = route__sat_add(b->inflight_tokens, tok);
    route__window_add(&r->win[backend], env->now_ns, 1, tok);
    route__sync_usage(r, backend);
    if (r->win_key[backend] == INT64_MAX || r->win_key[backend] <= env->now_ns)
        route__schedule_window(r, backend); /* else its oldest non-empty slot is unchanged */
    b->dispatched++;
    route__live_load_changed(r, backend);
    if (env->now_ns > r->last_now)
        r->last_now = env->now_ns;
    if (r->hgate->dispatch)
        route__health_dispatch(r->health, backend, env->now_ns, r->pub);
    if (r->hook_dispatch)
        hooks_dispatch(r, backend, req, env);
}

/*
 * ewma += (x - ewma) / 2^shift, rounding toward minus infinity like an
 * arithmetic right shift, written without shifting a negative number
 * (implementation-defined in C11).
 */
static int64_t ewma_step(int64_t ewma, int64_t x)
{
    const uint64_t mask = ((uint64_t)1 << ROUTE_TTFT_EWMA_SHIFT) - 1;
    if (x >= ewma) {
        uint64_t d = (uint64_t)x - (uint64_t)ewma;
        return ewma + (int64_t)(d >> ROUTE_TTFT_EWMA_SHIFT);
    } else {
        uint64_t d = (uint64_t)ewma - (uint64_t)x;
        return ewma - (int64_t)((d >> ROUTE_TTFT_EWMA_SHIFT) + ((d & mask) != 0));
    }
}

void route_router_first_token(struct route_router *r, uint32_t backend, const struct route_req *req,
                              int64_t ttft_ns, const struct route_env *env)
{
    struct route_backend *b;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    b = &r->live[backend];
    if (ttft_ns < 0)
        ttft_ns = 0;
    b->ttft_ewma_ns = b->ttft_samples == 0 ? ttft_ns : ewma_step(b->ttft_ewma_ns, ttft_ns);
    b->ttft_samples++;
    route__live_changed(r, backend);
    if (r->hook_first_token)
        hooks_first_token(r, backend, req, ttft_ns, env);
}

void route_router_complete(struct route_router *r, uint32_t backend, const struct route_req *req,
                           const struct route_outcome *out, const struct route_env *env)
{
    struct route_backend *b;
    int64_t tok;
    if (r == NULL || req == NULL || env == NULL || backend >= r->n)
        return;
    b = &r->live[backend];
    tok = route__req_tokens(req);
    if (b->inflight > 0)
        b->inflight--;
    b->inflight_tokens = b->inflight_tokens > tok ? b->inflight_tokens - tok : 0;
    if (out != NULL && out->status == ROUTE_OK)
        b->successes++;
    else if (out != NULL && out->status != ROUTE_CANCELLED)
        b->failures++;
    route__live_load_changed(r, backend);
    if (out == NULL)
        return;
    if (env->now_ns > r->last_now)
        r->last_now = env->now_ns;
    if (r->hgate->complete)
        route__health_complete(r->health, backend, out, env->now_ns, r->pub, &r->stats);
    if (r->hook_complete)
        hooks_complete(r, backend, req, out, env);
}

/* LiteLLM's len(all) and len(healthy) of the retry loop
 * (_async_get_healthy_deployments: the group minus cooling deployments;
 * docs/notes/litellm-replay.md §2.4 "Sleep, multi-deployment"): healthy
 * counts the backends a pick may offer at the latest time the router has
 * seen (a pick or a lifecycle call, e.g. the failure just reported), with
 * the timed states that ended by then counted as ended. */
void route_router_group_counts(const struct route_router *r, uint32_t group, uint32_t *size,
                               uint32_t *healthy)
{
    uint32_t n_all = 0, n_ok = 0;
    if (r != NULL) {
        for (uint32_t i = 0; i < r->n; i++) {
            if (r->cfgs[i].model_group != group)
                continue;
            n_all++;
            n_ok += route__health_offered(r->health, i, r->last_now);
        }
    }
    if (size != NULL)
        *size = n_all;
    if (healthy != NULL)
        *healthy = n_ok;
}
