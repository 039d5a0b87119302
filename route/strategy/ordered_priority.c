/*
 * ordered_priority.c - wrapper `ordered_priority`: priority tiers with
 * spill-over.  Restrict the candidates to the lowest cfg.tier that has a
 * usable backend, delegate to the one child; spill to the next tier when a
 * tier is empty.
 *
 * Reproduces LiteLLM `order` (litellm/utils.py
 * `_get_order_filtered_deployments`, v1.x: keep the minimum `order` among
 * the healthy deployments, "PTU first, pay-as-you-go on spill"), Envoy /
 * Envoy AI Gateway backendRefs `priority` (lower first, higher ones as
 * fallback) and OpenRouter `order`; docs/notes/routers.md §2.1.9, §2.8, §4
 * row 4 (spill_mode empty_only).
 *
 * Rule, tiers in ascending cfg.tier order, considering only backends that
 * are usable (healthy or half-open, not excluded):
 *  - a tier with no usable backend is skipped (empty: cooldown, down, open
 *    breaker, already tried);
 *  - a tier whose usable backends are all saturated answers ROUTE_FULL
 *    (queue for it) unless spill_on_full = 1, which moves on to the next
 *    tier instead (LiteLLM has no queue here: with max_parallel_requests it
 *    waits on the semaphore, i.e. FULL);
 *  - otherwise the child picks inside the tier; a child answer of NONE (its
 *    own subset or filters reject the tier) spills to the next tier, FULL is
 *    treated as a saturated tier.
 * The answer is the first backend found, else FULL if some tier was full,
 * else NONE.
 *
 * Known differences: Envoy's overprovisioning factor (1.4, partial spill
 * while a tier is degraded) is not reproduced; LiteLLM's rate-limit-based
 * emptiness comes from the child (e.g. lowest_usage answering NONE).
 *
 * Stats: stats->spillovers counts picks served outside the first tier
 * present, i.e. the lowest tier among backends not excluded by the caller
 * (whatever their health): a pick that left tier 0 because tier 0 was down,
 * cooling or full is a spill-over; a retry after every tier-0 backend was
 * tried is not (the caller excluded them).
 *
 * State: the distinct tiers sorted once in create, the tier index of each
 * backend, a bitset of each tier's backends and a narrowed exclude bitset.
 * Pick: word operations only (O(n / 64) per tier looked at: present,
 * usable, eligible, and the narrowed set), on the router's unusable and
 * saturated bitsets (outside a router: computed by one O(n) pass); with
 * more tiers than backends / 64, one per-backend pass sorts the tiers
 * instead.  No allocation, no randomness of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

static const struct route_param prio_params[] = {
    {.name = "spill_on_full",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "0: a tier whose usable backends are all saturated answers FULL (queue); 1: spill to "
            "the next tier"},
};

enum { P_SPILL_ON_FULL, N_PARAMS };
_Static_assert(sizeof prio_params / sizeof prio_params[0] == N_PARAMS,
               "prio_params and its index enum disagree");

struct prio_state {
    struct route_node *child;
    bool spill_on_full;
    uint32_t n;
    uint32_t words;
    uint32_t n_tiers;
    uint32_t *tier_of; /* n: index into the sorted distinct tiers */
    uint64_t *ex;      /* words: narrowed exclude set */
    uint32_t *stat;    /* n_tiers: per-pick scratch, 1 = usable, 2 = eligible present */
    uint64_t *mask;    /* n_tiers x words: backends of each tier */
    uint64_t *u, *sat; /* words: scratch for the state bitsets outside a router */
    const struct route__fleet *fleet;
};

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void destroy_prio(void *state)
{
    struct prio_state *s = state;
    if (s == NULL)
        return;
    free(s->tier_of);
    free(s->ex);
    free(s->stat);
    free(s->mask);
    free(s->u);
    free(s->sat);
    free(s);
}

static int create_prio(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t n = args->n_backends;
    struct prio_state *s;
    int32_t *tiers;
    uint32_t k = 0;
    if (args->n_children != 1) {
        route__errf(err, errlen, "strategy 'ordered_priority': needs exactly one child, got %u",
                    args->n_children);
        return -1;
    }
    s = calloc(1, sizeof *s);
    tiers = calloc(n > 0 ? n : 1, sizeof *tiers);
    if (s != NULL) {
        s->tier_of = calloc(n > 0 ? n : 1, sizeof *s->tier_of);
        s->ex = calloc(ROUTE_EXCLUDE_WORDS(n) > 0 ? ROUTE_EXCLUDE_WORDS(n) : 1, sizeof *s->ex);
        s->stat = calloc(n > 0 ? n : 1, sizeof *s->stat);
    }
    if (s == NULL || tiers == NULL || s->tier_of == NULL || s->ex == NULL || s->stat == NULL) {
        free(tiers);
        destroy_prio(s);
        route__errf(err, errlen, "strategy 'ordered_priority': out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        tiers[i] = args->cfgs[i].tier;
    qsort(tiers, n, sizeof *tiers, cmp_i32);
    for (uint32_t i = 0; i < n; i++) {
        if (k == 0 || tiers[k - 1] != tiers[i])
            tiers[k++] = tiers[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        /* binary search of backend i's tier among the k distinct ones */
        uint32_t lo = 0, hi = k;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (tiers[mid] <= args->cfgs[i].tier)
                lo = mid;
            else
                hi = mid;
        }
        s->tier_of[i] = lo;
    }
    free(tiers);
    s->child = args->children[0];
    s->spill_on_full = args->params[P_SPILL_ON_FULL] != 0.0;
    s->n = n;
    s->words = ROUTE_EXCLUDE_WORDS(n);
    s->n_tiers = k;
    /* Its unusable / saturated bits only (route__state_bits), never the
     * journal: the router need not keep one for it. */
    s->fleet = route__node_fleet_bits(args->node);
    s->mask = calloc((size_t)(k > 0 ? k : 1) * (s->words > 0 ? s->words : 1), sizeof *s->mask);
    s->u = calloc(s->words > 0 ? s->words : 1, sizeof *s->u);
    s->sat = calloc(s->words > 0 ? s->words : 1, sizeof *s->sat);
    if (s->mask == NULL || s->u == NULL || s->sat == NULL) {
        destroy_prio(s);
        route__errf(err, errlen, "strategy 'ordered_priority': out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        route_exclude_set(s->mask + (size_t)s->tier_of[i] * s->words, i);
    *state = s;
    return 0;
}

enum { T_PRESENT = 1u, T_USABLE = 2u, T_ELIGIBLE = 4u };

/* T_PRESENT / T_USABLE / T_ELIGIBLE of tier t from its bitset. */
static uint32_t tier_stat(const struct prio_state *s, uint32_t t, const uint64_t *exclude,
                          const uint64_t *u, const uint64_t *sat)
{
    const uint64_t *m = s->mask + (size_t)t * s->words;
    uint32_t st = 0;
    for (uint32_t w = 0; w < s->words; w++) {
        uint64_t here = m[w] & ~(exclude != NULL ? exclude[w] : 0);
        if (here == 0)
            continue;
        st |= T_PRESENT;
        here &= ~u[w];
        if (here == 0)
            continue;
        st |= T_USABLE;
        if ((here & ~sat[w]) != 0)
            return T_PRESENT | T_USABLE | T_ELIGIBLE;
    }
    return st;
}

static int32_t pick_prio(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    struct prio_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    uint32_t n = view->n < s->n ? view->n : s->n;
    uint32_t first = UINT32_MAX; /* first tier present (not excluded) */
    bool full = false, by_pass = s->n_tiers * s->words > n || view->n != s->n;
    const uint64_t *u = NULL, *sat = NULL;

    if (by_pass) {
        memset(s->stat, 0, (size_t)s->n_tiers * sizeof s->stat[0]);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t t = s->tier_of[i];
            if (route_excluded(exclude, i))
                continue;
            s->stat[t] |= T_PRESENT;
            if (t < first)
                first = t;
            if (!route_usable(view, exclude, i))
                continue;
            s->stat[t] |= T_USABLE;
            if (!route__saturated(&view->b[i]))
                s->stat[t] |= T_ELIGIBLE;
        }
    } else {
        route__state_bits(f, view, s->u, s->sat, &u, &sat);
    }
    for (uint32_t t = 0; t < s->n_tiers; t++) {
        int32_t k;
        const uint64_t *m = s->mask + (size_t)t * s->words;
        uint32_t st = by_pass ? s->stat[t] : tier_stat(s, t, exclude, u, sat);
        if ((st & T_PRESENT) && t < first)
            first = t;
        if (!(st & T_USABLE))
            continue; /* empty tier: spill */
        if (!(st & T_ELIGIBLE)) {
            full = true; /* all saturated */
            if (!s->spill_on_full)
                return ROUTE_FULL;
            continue;
        }
        for (uint32_t w = 0; w < s->words; w++)
            s->ex[w] = (exclude != NULL ? exclude[w] : 0) | ~m[w];
        k = route_node_pick(s->child, req, view, env, s->ex);
        if (k >= 0) {
            if (t != first)
                route_node_stats(s->child)->spillovers++;
            return k;
        }
        if (k == ROUTE_FULL) {
            full = true;
            if (!s->spill_on_full)
                return ROUTE_FULL;
        }
    }
    return full ? ROUTE_FULL : ROUTE_NONE;
}

const struct route_ops route__ops_ordered_priority = {
    ROUTE_OPS_INIT,
    .name = "ordered_priority",
    .summary = "lowest tier with a usable backend first, spill to the next tier when empty",
    .source = "LiteLLM order (utils.py _get_order_filtered_deployments, v1.x); Envoy AI Gateway "
              "backendRefs priority; OpenRouter order",
    .params = prio_params,
    .n_params = N_PARAMS,
    .min_children = 1,
    .max_children = 1,
    .create = create_prio,
    .destroy = destroy_prio,
    .pick = pick_prio,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* none of its own; the router ORs in its children's */
};
