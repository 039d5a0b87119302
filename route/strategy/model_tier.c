/*
 * model_tier.c - wrapper `model_tier`: a model cascade.  Send a
 * request to the smallest model class first, escalate to a larger class
 * when the request is deemed too hard or its previous attempt failed.
 *
 * Modelled after RouteLLM (lm-sys/RouteLLM routellm/routers/routers.py:
 * strong model iff the per-request win rate >= threshold, the threshold
 * calibrated so a share strong_pct of requests goes to the strong model) and
 * the LiteLLM complexity / auto routers (litellm/router_strategy/, which
 * pick a model group by request difficulty); docs/notes/routers.md §2.9, §4
 * row 30.  lbsim has no per-request quality score, so the calibrated share
 * is the parameter: escalate_p is RouteLLM's strong_pct.
 *
 * Backends carry cfg.size_class (0 = the small model, higher = larger).
 * The classes are the distinct size_class values, sorted once in create.
 * For each pick:
 *  - present classes: those with a usable backend (healthy or half-open, not
 *    excluded);
 *  - level = hard + (escalate_on_failure ? req->attempt : 0), where hard is
 *    1 when u(req->id) < escalate_p and
 *    u(id) = (splitmix64(id) >> 11) x 2^-53, a uniform in [0, 1) that is a
 *    pure function of the request id: stable across attempts, common to
 *    every strategy and replica, and not drawn from the router's random
 *    stream (so the tier decision does not perturb other draws);
 *  - the target is the level-th present class (the largest present one if
 *    level is beyond): a retry moves one class up from the previous one;
 *  - the child picks inside the target class (others excluded).  A class
 *    whose usable backends are all saturated answers ROUTE_FULL (the request
 *    waits for the model it was meant for).  A child NONE moves on: to the
 *    larger present classes first, then to the smaller ones (a request is
 *    served by some model rather than refused).
 * Quirk: req->attempt > 0 is taken to mean the previous attempt failed; a
 * hedged second attempt (not a failure) escalates as well.
 *
 * Stats: stats->tiered_requests counts requests routed (a backend returned
 * at attempt 0); stats->escalations counts requests escalated, at most once
 * each: attempt 0 of a hard request, or attempt 1 of a not-hard request with
 * escalate_on_failure, when the pick lands above the smallest configured
 * class.  escalation_rate = escalations / tiered_requests.
 *
 * Pick: word operations only, O(n / 64) per class (a bitset of each
 * class's backends, built in create, against the router's unusable and
 * saturated bitsets; outside a router those are computed by one O(n)
 * pass); with more classes than backends / 64, one per-backend pass sorts
 * them instead.  No allocation, no randomness of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

static const double UNIT_SCALE = 0x1.0p-53;

static const struct route_param tier_params[] = {
    {.name = "escalate_on_failure",
     .def = 1.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "a retry (attempt > 0) goes one size class up per attempt"},
    {.name = "escalate_p",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "ratio",
     .doc = "share of requests deemed too hard for the small model (RouteLLM strong_pct), "
            "decided by a hash of the request id"},
};

enum { P_ESCALATE_ON_FAILURE, P_ESCALATE_P, N_PARAMS };
_Static_assert(sizeof tier_params / sizeof tier_params[0] == N_PARAMS,
               "tier_params and its index enum disagree");

struct tier_state {
    struct route_node *child;
    bool on_failure;
    double p;
    uint32_t n;
    uint32_t words;
    uint32_t n_classes;
    uint32_t *class_of; /* n: index into the sorted distinct size classes */
    uint64_t *ex;       /* narrowed exclude set */
    uint8_t *stat;      /* n_classes: per-pick flags */
    uint32_t *present;  /* n_classes: per-pick list of present class indices */
    uint64_t *mask;     /* n_classes x words: backends of each class */
    uint64_t *u, *sat;  /* words: scratch for the state bitsets outside a router */
    const struct route__fleet *fleet;
};

enum { C_USABLE = 1u, C_ELIGIBLE = 2u };

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void destroy_tier(void *state)
{
    struct tier_state *s = state;
    if (s == NULL)
        return;
    free(s->class_of);
    free(s->ex);
    free(s->stat);
    free(s->present);
    free(s->mask);
    free(s->u);
    free(s->sat);
    free(s);
}

static int create_tier(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t n = args->n_backends, m = n > 0 ? n : 1, k = 0;
    uint32_t words = ROUTE_EXCLUDE_WORDS(m);
    struct tier_state *s;
    uint32_t *cls;
    if (args->n_children != 1) {
        route__errf(err, errlen, "strategy 'model_tier': needs exactly one child, got %u",
                    args->n_children);
        return -1;
    }
    s = calloc(1, sizeof *s);
    cls = calloc(m, sizeof *cls);
    if (s != NULL) {
        s->class_of = calloc(m, sizeof *s->class_of);
        s->ex = calloc(words, sizeof *s->ex);
        s->stat = calloc(m, sizeof *s->stat);
        s->present = calloc(m, sizeof *s->present);
    }
    if (s == NULL || cls == NULL || s->class_of == NULL || s->ex == NULL || s->stat == NULL ||
        s->present == NULL) {
        free(cls);
        destroy_tier(s);
        route__errf(err, errlen, "strategy 'model_tier': out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        cls[i] = args->cfgs[i].size_class;
    qsort(cls, n, sizeof *cls, cmp_u32);
    for (uint32_t i = 0; i < n; i++) {
        if (k == 0 || cls[k - 1] != cls[i])
            cls[k++] = cls[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t lo = 0, hi = k;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (cls[mid] <= args->cfgs[i].size_class)
                lo = mid;
            else
                hi = mid;
        }
        s->class_of[i] = lo;
    }
    free(cls);
    s->child = args->children[0];
    s->on_failure = args->params[P_ESCALATE_ON_FAILURE] != 0.0;
    s->p = args->params[P_ESCALATE_P];
    s->n = n;
    s->words = ROUTE_EXCLUDE_WORDS(n);
    s->n_classes = k;
    /* Its unusable / saturated bits only (route__state_bits), never the
     * journal: the router need not keep one for it. */
    s->fleet = route__node_fleet_bits(args->node);
    s->mask = calloc((size_t)(k > 0 ? k : 1) * words, sizeof *s->mask);
    s->u = calloc(words, sizeof *s->u);
    s->sat = calloc(words, sizeof *s->sat);
    if (s->mask == NULL || s->u == NULL || s->sat == NULL) {
        destroy_tier(s);
        route__errf(err, errlen, "strategy 'model_tier': out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        route_exclude_set(s->mask + (size_t)s->class_of[i] * s->words, i);
    *state = s;
    return 0;
}

/* Delegate inside class c: FULL when the class is saturated. */
static int32_t try_class(struct tier_state *s, uint32_t c, uint32_t n, const struct route_req *req,
                         const struct route_view *view, const struct route_env *env,
                         const uint64_t *exclude)
{
    const uint64_t *m = s->mask + (size_t)c * s->words;
    (void)n;
    if (!(s->stat[c] & C_ELIGIBLE))
        return ROUTE_FULL;
    for (uint32_t w = 0; w < s->words; w++)
        s->ex[w] = (exclude != NULL ? exclude[w] : 0) | ~m[w];
    return route_node_pick(s->child, req, view, env, s->ex);
}

static int32_t pick_tier(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    struct tier_state *s = state;
    uint32_t n = view->n < s->n ? view->n : s->n;
    uint32_t np = 0, target, level;
    bool hard = s->p > 0.0 && (double)(splitmix64(req->id) >> 11) * UNIT_SCALE < s->p;
    int32_t k = ROUTE_NONE;

    memset(s->stat, 0, (size_t)s->n_classes * sizeof s->stat[0]);
    if (s->n_classes * s->words > n || view->n != s->n) {
        for (uint32_t i = 0; i < n; i++) {
            if (!route_usable(view, exclude, i))
                continue;
            s->stat[s->class_of[i]] |= C_USABLE;
            if (!route__saturated(&view->b[i]))
                s->stat[s->class_of[i]] |= C_ELIGIBLE;
        }
    } else {
        const uint64_t *u, *sat;
        route__state_bits(route__fleet_of(s->fleet, view), view, s->u, s->sat, &u, &sat);
        for (uint32_t c = 0; c < s->n_classes; c++) {
            const uint64_t *m = s->mask + (size_t)c * s->words;
            for (uint32_t w = 0; w < s->words; w++) {
                uint64_t here = m[w] & ~u[w] & ~(exclude != NULL ? exclude[w] : 0);
                if (here == 0)
                    continue;
                s->stat[c] |= C_USABLE;
                if ((here & ~sat[w]) != 0) {
                    s->stat[c] |= C_ELIGIBLE;
                    break;
                }
            }
        }
    }
    for (uint32_t c = 0; c < s->n_classes; c++) {
        if (s->stat[c] & C_USABLE)
            s->present[np++] = c;
    }
    if (np == 0)
        return ROUTE_NONE;
    level = hard ? 1u : 0u;
    if (s->on_failure)
        level = req->attempt > UINT32_MAX - level ? UINT32_MAX : level + req->attempt;
    target = level < np ? level : np - 1;
    /* the target, then larger classes, then smaller ones */
    for (uint32_t j = target; j < np && k < 0; j++) {
        k = try_class(s, s->present[j], n, req, view, env, exclude);
        if (k == ROUTE_FULL)
            return k;
    }
    for (uint32_t j = target; j-- > 0 && k < 0;) {
        k = try_class(s, s->present[j], n, req, view, env, exclude);
        if (k == ROUTE_FULL)
            return k;
    }
    if (k >= 0) {
        struct route_stats *st = route_node_stats(s->child);
        bool up = (uint32_t)k < s->n && s->class_of[k] > 0;
        if (req->attempt == 0)
            st->tiered_requests++;
        if (up && ((req->attempt == 0 && hard) || (req->attempt == 1 && !hard && s->on_failure)))
            st->escalations++;
    }
    return k;
}

const struct route_ops route__ops_model_tier = {
    ROUTE_OPS_INIT,
    .name = "model_tier",
    .summary = "model cascade: smallest size class first, escalate when too hard (escalate_p) "
               "or on retry",
    .source = "RouteLLM (lm-sys/RouteLLM routers.py, threshold by strong_pct); LiteLLM "
              "complexity/auto routers",
    .params = tier_params,
    .n_params = N_PARAMS,
    .min_children = 1,
    .max_children = 1,
    .create = create_tier,
    .destroy = destroy_tier,
    .pick = pick_tier,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* none of its own; the router ORs in its children's */
};
