/*
 * scn_router.c - `router:`, `compare:` and `slo:`: strategy nodes and their
 * params, retries, health, fallbacks and hedging.
 */
#include "scn_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Strategy parameters
 * ------------------------------------------------------------------- */

/* `params:` of a strategy: overrides of its defaults, range-checked. */
static int parse_params(struct scn__ctx *c, const yaml_node_t *n, struct scn_strategy *st)
{
    const struct route_ops *ops = st->ops;
    const char *names[ROUTE_MAX_PARAMS];
    const yaml_node_t *v[ROUTE_MAX_PARAMS];
    char what[128], q[64];
    snprintf(what, sizeof what, "the params of strategy '%s'", ops->name);
    uint32_t np = ops->n_params;
    if (np == 0) {
        char d[64];
        if (n->type != YAML_MAPPING_NODE)
            return scn__fail(c, n, "found %s, expected %s: a mapping",
                             scn__describe(n, d, sizeof d), what);
        if (n->data.mapping.pairs.top > n->data.mapping.pairs.start) {
            const yaml_node_t *k = scn__node_of(c, n->data.mapping.pairs.start->key);
            return scn__fail(c, k ? k : n,
                             "found unknown key %s in %s, expected no parameters (%s takes none)",
                             k ? scn__describe(k, d, sizeof d) : "?", what, ops->name);
        }
        return 0;
    }
    for (uint32_t i = 0; i < np; i++)
        names[i] = ops->params[i].name ? ops->params[i].name : "";
    if (scn__check_map(c, n, what, names, np, v))
        return -1;
    for (uint32_t i = 0; i < np; i++) {
        if (v[i] == NULL)
            continue;
        const struct route_param *pm = &ops->params[i];
        const char *s = NULL;
        double x = 0;
        char m[256];
        if (v[i]->type == YAML_SEQUENCE_NODE && strcmp(names[i], "tags_required") == 0) {
            /* tag names, as the backends spell them, for the bitmask */
            uint64_t mask = 0;
            for (size_t k = 0; k < scn__seq_len(v[i]); k++) {
                const yaml_node_t *t = scn__node_of(c, v[i]->data.sequence.items.start[k]);
                if (t == NULL)
                    return scn__oom(c, v[i]);
                if (scn__get_str(c, t, "a tag name", &s))
                    return -1;
                uint32_t id = scn__names_find(c->s->tags, c->s->n_tags, s);
                if (id == 0)
                    return scn__fail(c, t, "found tag %s, expected a tag some backend carries",
                                     scn__quote(s, q, sizeof q));
                mask |= (uint64_t)1 << (id - 1);
            }
            if (mask > (uint64_t)pm->max)
                return scn__fail(c, v[i], "found a tag beyond the %g the filter can take", pm->max);
            st->params[i] = st->root.params[i] = (double)mask;
            continue;
        }
        if (scn__get_str(c, v[i], "a number", &s))
            return -1;
        /* Parameters in seconds are durations with a unit (`2s`, `500ms`;
         * a bare number other than 0 is an error, as everywhere). */
        bool seconds = pm->unit != NULL && strcmp(pm->unit, "s") == 0;
        if (seconds ? scn__parse_duration_s(s, &x, m, sizeof m) != 0
                    : scn__parse_number(s, &x, m, sizeof m) != 0)
            return scn__fail(c, v[i], "%s", m);
        if (!(x >= pm->min && x <= pm->max))
            return scn__fail(c, v[i],
                             "found %s, expected a value in [%g, %g] for parameter '%s' of '%s'",
                             scn__quote(s, q, sizeof q), pm->min, pm->max, names[i], ops->name);
        st->params[i] = x;
        st->root.params[i] = x;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Strategy nodes: a name, or {strategy, label, params, child | children,
 * backends, weight}, recursively.
 * ------------------------------------------------------------------- */

static int parse_node(struct scn__ctx *c, const yaml_node_t *n, struct scn_strategy *st, bool top,
                      uint32_t depth);

/* Fill st->root's ops and params from st (children and subset are set
 * while parsing). */
static void node_sync(struct scn_strategy *st, double weight)
{
    st->root.ops = st->ops;
    memcpy(st->root.params, st->params, sizeof st->params);
    st->root.weight = weight;
}

/* The backends a name means: a pool's name all its replica slots,
 * "<pool>/<i>" or an api/tool backend's name one backend.  [*lo, *hi),
 * or -1 when nothing has that name. */
static int backends_named(const struct scenario *s, const char *name, uint32_t *lo, uint32_t *hi)
{
    for (uint32_t p = 0; p < s->n_pools; p++) {
        if (strcmp(s->pools[p].name, name) == 0) {
            *lo = s->pools[p].first_backend;
            *hi = *lo + s->pools[p].slots;
            return 0;
        }
    }
    for (uint32_t b = 0; b < s->n_backends; b++) {
        if (strcmp(s->backends[b].name, name) == 0) {
            *lo = b;
            *hi = b + 1;
            return 0;
        }
    }
    return -1;
}

/* "found 'x', expected the name of a backend or pool; did you mean 'y'?" */
static int unknown_backend(struct scn__ctx *c, const yaml_node_t *n, const char *name)
{
    const struct scenario *s = c->s;
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    char q[64];
    for (uint32_t p = 0; p < s->n_pools; p++)
        scn__suggest_step(name, s->pools[p].name, &best, &best_d);
    for (uint32_t b = 0; b < s->n_backends; b++)
        scn__suggest_step(name, s->backends[b].name, &best, &best_d);
    const char *sg = scn__suggest_done(name, best, best_d);
    return scn__fail(c, n,
                     "found %s, expected the name of a backend (a pool's name means all its "
                     "replicas, '<pool>/<i>' one)%s%s%s",
                     scn__quote(name, q, sizeof q), sg ? "; did you mean '" : "", sg ? sg : "",
                     sg ? "'?" : "");
}

static int parse_subset(struct scn__ctx *c, const yaml_node_t *n, struct route_spec *spec)
{
    char d[64], name[SCN_NAME_MAX];
    if (n->type != YAML_SEQUENCE_NODE || scn__seq_len(n) == 0)
        return scn__fail(c, n, "found %s, expected 'backends': a non-empty list of backend names",
                         scn__describe(n, d, sizeof d));
    uint32_t nb = c->s->n_backends;
    uint64_t *set = scn__own_alloc(c, n, ROUTE_EXCLUDE_WORDS(nb) * sizeof *set);
    if (set == NULL)
        return -1;
    for (size_t i = 0; i < scn__seq_len(n); i++) {
        const yaml_node_t *it = scn__node_of(c, n->data.sequence.items.start[i]);
        uint32_t lo = 0, hi = 0;
        if (it == NULL)
            return scn__oom(c, n);
        /* not an identifier: pool slots are named "<pool>/<i>" */
        if (scn__v_name(c, it, "a backend name", false, 1, name, sizeof name))
            return -1;
        if (backends_named(c->s, name, &lo, &hi) != 0)
            return unknown_backend(c, it, name);
        for (uint32_t b = lo; b < hi; b++)
            set[b >> 6] |= (uint64_t)1 << (b & 63u);
    }
    spec->backends = set;
    return 0;
}

static int parse_node(struct scn__ctx *c, const yaml_node_t *n, struct scn_strategy *st, bool top,
                      uint32_t depth)
{
    char d[64], m[1400];
    double weight = 1.0; /* for a parent that weighs its children; 0 = never */
    if (depth > 16)
        return scn__fail(c, n, "found strategies nested %u deep, expected at most 16", depth);
    if (n->type == YAML_SCALAR_NODE) {
        const char *name = NULL;
        if (scn__get_str(c, n, "a strategy name", &name))
            return -1;
        if (scn__strategy_init(c->reg, st, name, name, m, sizeof m))
            return scn__fail(c, n, "%s", m);
    } else if (n->type == YAML_MAPPING_NODE) {
        const yaml_node_t *v[C_N];
        char label[SCN_NAME_MAX];
        if (scn__check_map(c, n, "a strategy", scn__compare_keys, C_N, v))
            return -1;
        if (v[C_STRATEGY] == NULL)
            return scn__missing(c, n, "a strategy", "strategy", "a strategy name");
        if (v[C_LABEL] && !top)
            return scn__fail(c, v[C_LABEL],
                             "found 'label' on a nested strategy, expected 'label' "
                             "only on a compare entry");
        if (v[C_LABEL] && scn__v_name(c, v[C_LABEL], "a label", false, 1, label, sizeof label))
            return -1;
        const char *name = NULL;
        if (scn__get_str(c, v[C_STRATEGY], "a strategy name", &name))
            return -1;
        if (scn__strategy_init(c->reg, st, name, v[C_LABEL] ? label : name, m, sizeof m))
            return scn__fail(c, v[C_STRATEGY], "%s", m);
        if (v[C_PARAMS] && parse_params(c, v[C_PARAMS], st))
            return -1;
        if (v[C_WEIGHT] && scn__v_number(c, v[C_WEIGHT], &weight))
            return -1;
        if (!(weight >= 0) || !isfinite(weight))
            return scn__fail(c, v[C_WEIGHT], "found weight %g, expected a weight >= 0", weight);
        if (v[C_BACKENDS] && parse_subset(c, v[C_BACKENDS], &st->root))
            return -1;
        if (v[C_WITHOUT] && !top)
            return scn__fail(c, v[C_WITHOUT],
                             "found 'without' on a nested strategy, expected 'without' only on a "
                             "compare entry (it removes backends from the whole run)");
        if (v[C_WITHOUT]) {
            struct route_spec gone = {0};
            if (parse_subset(c, v[C_WITHOUT], &gone))
                return -1;
            st->without = gone.backends;
        }
        if (v[C_CHILD] && v[C_CHILDREN])
            return scn__fail(c, v[C_CHILDREN], "found both 'child' and 'children', expected one");
        const yaml_node_t *list = v[C_CHILDREN];
        size_t nc = v[C_CHILD] ? 1 : 0;
        if (list) {
            if (list->type != YAML_SEQUENCE_NODE)
                return scn__fail(c, list, "found %s, expected 'children': a list of strategies",
                                 scn__describe(list, d, sizeof d));
            nc = scn__seq_len(list);
        }
        if (nc > 0) {
            struct route_spec *kids = scn__own_alloc(c, n, nc * sizeof *kids);
            if (kids == NULL)
                return -1;
            for (size_t i = 0; i < nc; i++) {
                const yaml_node_t *kn =
                    v[C_CHILD] ? v[C_CHILD] : scn__node_of(c, list->data.sequence.items.start[i]);
                struct scn_strategy sub;
                if (kn == NULL)
                    return scn__oom(c, n);
                if (parse_node(c, kn, &sub, false, depth + 1))
                    return -1;
                kids[i] = sub.root;
            }
            st->root.children = kids;
            st->root.n_children = (uint32_t)nc;
        }
    } else {
        return scn__fail(c, n,
                         "found %s, expected a strategy name or a mapping with strategy, params, "
                         "child or children",
                         scn__describe(n, d, sizeof d));
    }
    uint32_t nc = st->root.n_children;
    if (nc < st->ops->min_children || nc > st->ops->max_children) {
        if (st->ops->max_children == 0)
            return scn__fail(c, n,
                             "found %u child strategies for '%s', expected none (it picks "
                             "backends itself)",
                             nc, st->ops->name);
        return scn__fail(c, n,
                         "found %u child strategies for '%s', expected %u to %u ('child:' or "
                         "'children:')",
                         nc, st->ops->name, st->ops->min_children, st->ops->max_children);
    }
    node_sync(st, weight);
    return 0;
}

/* ---------------------------------------------------------------------
 * Health, fallbacks, hedging
 * ------------------------------------------------------------------- */

static int parse_health(struct scn__ctx *c, const yaml_node_t *n, struct route_health_cfg *h)
{
    const yaml_node_t *v[H_N];
    if (scn__check_map(c, n, "'health'", scn__health_keys, H_N, v))
        return -1;
    if (v[H_COOLDOWN]) {
        const yaml_node_t *w[CD_N];
        h->cooldown = true;
        if (scn__check_map(c, v[H_COOLDOWN], "'cooldown'", scn__cooldown_keys, CD_N, w))
            return -1;
        if (w[CD_TIME] && scn__v_duration_ns(c, w[CD_TIME], &h->cooldown_ns))
            return -1;
        if (w[CD_ALLOWED_FAILS] && scn__v_u32(c, w[CD_ALLOWED_FAILS], &h->allowed_fails))
            return -1;
        if (w[CD_ON_429] && scn__v_bool(c, w[CD_ON_429], &h->cooldown_429_multi))
            return -1;
        if (w[CD_FAIL_RATIO] && scn__v_fraction(c, w[CD_FAIL_RATIO], &h->fail_ratio))
            return -1;
        if (w[CD_MIN_REQUESTS] && scn__v_u32(c, w[CD_MIN_REQUESTS], &h->fail_min_requests))
            return -1;
        if (w[CD_USE_RETRY_AFTER] &&
            scn__v_bool(c, w[CD_USE_RETRY_AFTER], &h->retry_after_duration))
            return -1;
    }
    if (v[H_BREAKER]) {
        const yaml_node_t *w[BR_N];
        h->breaker = true;
        if (scn__check_map(c, v[H_BREAKER], "'breaker'", scn__breaker_keys, BR_N, w))
            return -1;
        if (w[BR_CONSECUTIVE] && scn__v_u32(c, w[BR_CONSECUTIVE], &h->breaker_consecutive))
            return -1;
        if (w[BR_FAIL_RATE] && scn__v_fraction(c, w[BR_FAIL_RATE], &h->breaker_fail_rate))
            return -1;
        if (w[BR_MIN_REQUESTS] && scn__v_u32(c, w[BR_MIN_REQUESTS], &h->breaker_min_requests))
            return -1;
        if (w[BR_WINDOW] && scn__v_duration_ns(c, w[BR_WINDOW], &h->breaker_window_ns))
            return -1;
        if (w[BR_OPEN] && scn__v_duration_ns(c, w[BR_OPEN], &h->breaker_open_ns))
            return -1;
        if (w[BR_PROBES] && scn__v_u32(c, w[BR_PROBES], &h->breaker_probes))
            return -1;
        if (w[BR_EXPLORATION] && scn__v_fraction(c, w[BR_EXPLORATION], &h->breaker_exploration))
            return -1;
        if (w[BR_BYPASS_ALL_OPEN] &&
            scn__v_bool(c, w[BR_BYPASS_ALL_OPEN], &h->breaker_bypass_all_open))
            return -1;
    }
    if (v[H_OUTLIER]) {
        const yaml_node_t *w[OL_N];
        h->outlier = true;
        if (scn__check_map(c, v[H_OUTLIER], "'outlier'", scn__outlier_keys, OL_N, w))
            return -1;
        if (w[OL_CONSECUTIVE_5XX] &&
            scn__v_u32(c, w[OL_CONSECUTIVE_5XX], &h->outlier_consecutive_5xx))
            return -1;
        if (w[OL_BASE_EJECTION] &&
            scn__v_duration_ns(c, w[OL_BASE_EJECTION], &h->outlier_base_ejection_ns))
            return -1;
        if (w[OL_MAX_EJECTION] && scn__v_fraction(c, w[OL_MAX_EJECTION], &h->outlier_max_ejection))
            return -1;
    }
    return 0;
}

/* A fallback target must be a group some backend serves (backends are
 * loaded before the router): a typo would otherwise fall back to nothing. */
static int fallback_group_served(struct scn__ctx *c, const yaml_node_t *g, uint32_t group)
{
    const struct scenario *s = c->s;
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    char q[64];
    for (uint32_t b = 0; b < s->n_backends; b++) {
        if (s->backends[b].route.model_group == group)
            return 0;
        if (s->backends[b].route.model_group != 0)
            scn__suggest_step(s->groups[group - 1], s->groups[s->backends[b].route.model_group - 1],
                              &best, &best_d);
    }
    const char *sg = scn__suggest_done(s->groups[group - 1], best, best_d);
    return scn__fail(c, g,
                     "found fallback group %s that no backend serves, expected a backend's "
                     "'group'%s%s%s",
                     scn__quote(s->groups[group - 1], q, sizeof q), sg ? "; did you mean '" : "",
                     sg ? sg : "", sg ? "'?" : "");
}

static int parse_fallbacks(struct scn__ctx *c, const yaml_node_t *n, struct route_fallbacks *f)
{
    const yaml_node_t *v[FB_N];
    char d[64];
    uint64_t u = 0;
    if (scn__check_map(c, n, "'fallbacks'", scn__fallbacks_keys, FB_N, v))
        return -1;
    f->max_depth = 5; /* LiteLLM ROUTER_MAX_FALLBACKS */
    if (v[FB_MAX_DEPTH]) {
        if (scn__v_uint(c, v[FB_MAX_DEPTH], 64, &u))
            return -1;
        f->max_depth = (uint32_t)u;
    }
    if (v[FB_RULES] == NULL)
        return scn__missing(c, n, "'fallbacks'", "rules", "a list of {from, on, to}");
    if (v[FB_RULES]->type != YAML_SEQUENCE_NODE)
        return scn__fail(c, v[FB_RULES], "found %s, expected 'rules': a list of {from, on, to}",
                         scn__describe(v[FB_RULES], d, sizeof d));
    size_t nr = scn__seq_len(v[FB_RULES]);
    struct route_fallback_rule *rules = nr ? scn__own_alloc(c, n, nr * sizeof *rules) : NULL;
    if (nr && rules == NULL)
        return -1;
    for (size_t i = 0; i < nr; i++) {
        const yaml_node_t *it = scn__node_of(c, v[FB_RULES]->data.sequence.items.start[i]),
                          *w[FR_N];
        struct route_fallback_rule *r = &rules[i];
        size_t cls = 0;
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "a fallback rule", scn__fb_rule_keys, FR_N, w))
            return -1;
        if (w[FR_FROM] == NULL)
            return scn__missing(c, it, "a fallback rule", "from", "a model group, or '*' for any");
        if (w[FR_TO] == NULL)
            return scn__missing(c, it, "a fallback rule", "to", "a list of model groups to try");
        if (w[FR_FROM]->type == YAML_SCALAR_NODE && strcmp(scn__scalar_str(w[FR_FROM]), "*") == 0)
            r->from_group = ROUTE_FALLBACK_ANY;
        else if (scn__v_group(c, w[FR_FROM], &r->from_group))
            return -1;
        if (w[FR_ON] &&
            scn__v_enum(c, w[FR_ON], "an error class", scn__fb_class_names, N_FB_CLASS, &cls))
            return -1;
        r->cls = (enum route_error_class)cls;
        if (w[FR_TO]->type != YAML_SEQUENCE_NODE || scn__seq_len(w[FR_TO]) == 0 ||
            scn__seq_len(w[FR_TO]) > ROUTE_FALLBACK_MAX_TARGETS)
            return scn__fail(c, w[FR_TO], "found %s, expected 'to': a list of 1 to %u model groups",
                             scn__describe(w[FR_TO], d, sizeof d), ROUTE_FALLBACK_MAX_TARGETS);
        for (size_t k = 0; k < scn__seq_len(w[FR_TO]); k++) {
            const yaml_node_t *g = scn__node_of(c, w[FR_TO]->data.sequence.items.start[k]);
            if (g == NULL)
                return scn__oom(c, n);
            if (scn__v_group(c, g, &r->to[k]))
                return -1;
            if (fallback_group_served(c, g, r->to[k]))
                return -1;
        }
        r->n_to = (uint32_t)scn__seq_len(w[FR_TO]);
    }
    f->rules = rules;
    f->n_rules = (uint32_t)nr;
    return 0;
}

static int parse_hedge(struct scn__ctx *c, const yaml_node_t *n, struct scn_hedge *h)
{
    const yaml_node_t *v[HE_N];
    uint64_t u = 0;
    size_t e = 0;
    if (scn__check_map(c, n, "'hedge'", scn__hedge_keys, HE_N, v))
        return -1;
    if ((v[HE_AFTER] == NULL) == (v[HE_PERCENTILE] == NULL))
        return scn__fail(c, n,
                         "found %s, expected exactly one of 'after' (a delay) or 'percentile' "
                         "(of observed TTFT)",
                         v[HE_AFTER] ? "both 'after' and 'percentile'"
                                     : "neither 'after' nor 'percentile'");
    if (v[HE_AFTER] && scn__v_duration_ns(c, v[HE_AFTER], &h->after_ns))
        return -1;
    if (v[HE_AFTER] && h->after_ns <= 0)
        return scn__fail(c, v[HE_AFTER], "found a delay of 0, expected a delay > 0");
    if (v[HE_PERCENTILE] && scn__v_fraction(c, v[HE_PERCENTILE], &h->percentile))
        return -1;
    if (v[HE_PERCENTILE] && !(h->percentile > 0 && h->percentile < 1))
        return scn__fail(c, v[HE_PERCENTILE],
                         "found %s, expected a percentile strictly between 0%% and 100%%",
                         scn__scalar_str(v[HE_PERCENTILE]));
    h->max_hedges = 1;
    if (v[HE_MAX]) {
        if (scn__v_uint(c, v[HE_MAX], 8, &u))
            return -1;
        h->max_hedges = (uint32_t)u;
    }
    if (v[HE_BILL_LOSER]) {
        if (scn__v_enum(c, v[HE_BILL_LOSER], "what the losing attempt bills", scn__bill_names,
                        N_BILL, &e))
            return -1;
        h->bill_loser = (enum api_bill)e;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Retries, the router, compare and SLOs
 * ------------------------------------------------------------------- */

static int parse_retries(struct scn__ctx *c, const yaml_node_t *n, struct route_retry *r)
{
    const yaml_node_t *v[RT_N];
    char q[64], d[64];
    if (scn__check_map(c, n, "'retries'", scn__retry_keys, RT_N, v))
        return -1;
    uint64_t u = 0;
    double x = 0;
    if (v[RT_PRESET]) { /* first: the other keys override the preset */
        size_t pi = 0;
        if (scn__v_enum(c, v[RT_PRESET], "a retry preset", scn__preset_names, N_PRESET, &pi))
            return -1;
        route_retry_preset(r, (enum route_backoff)pi);
    } else if (v[RT_MAX_ATTEMPTS] || v[RT_BACKOFF_BASE] || v[RT_BACKOFF_MAX] || v[RT_MULTIPLIER] ||
               v[RT_JITTER]) {
        r->preset = ROUTE_BACKOFF_CUSTOM; /* the LiteLLM defaults, changed */
    }
    if (v[RT_PER_STATUS]) {
        const yaml_node_t *w[PS_N];
        static const enum route_status st[PS_N] = {ROUTE_RATE_LIMITED, ROUTE_SERVER_ERROR,
                                                   ROUTE_TIMEOUT};
        if (scn__check_map(c, v[RT_PER_STATUS], "'per_status' (attempts per failure kind)",
                           scn__per_status_keys, PS_N, w))
            return -1;
        for (int k = 0; k < PS_N; k++) {
            if (w[k] == NULL)
                continue;
            if (scn__v_uint(c, w[k], UINT32_MAX, &u))
                return -1;
            r->max_attempts_class[st[k]] = (uint32_t)u;
        }
    }
    if (v[RT_RA_BUDGET] && scn__v_duration_ns(c, v[RT_RA_BUDGET], &r->retry_after_budget_ns))
        return -1;
    if (v[RT_MAX_ATTEMPTS]) {
        if (scn__v_uint(c, v[RT_MAX_ATTEMPTS], UINT32_MAX, &u))
            return -1;
        if (u < 1)
            return scn__fail(c, v[RT_MAX_ATTEMPTS],
                             "found 0, expected max_attempts >= 1 (1 = no retry)");
        r->max_attempts = (uint32_t)u;
    }
    if (v[RT_BACKOFF_BASE] && scn__v_duration_ns(c, v[RT_BACKOFF_BASE], &r->backoff_base_ns))
        return -1;
    if (v[RT_BACKOFF_MAX] && scn__v_duration_ns(c, v[RT_BACKOFF_MAX], &r->backoff_max_ns))
        return -1;
    /* A base above the default cap raises the cap (the delay is
     * min(base * multiplier^n, max)); only two explicit values can
     * contradict each other. */
    if (r->backoff_max_ns < r->backoff_base_ns) {
        if (v[RT_BACKOFF_MAX] == NULL)
            r->backoff_max_ns = r->backoff_base_ns;
        else
            return scn__fail(
                c, v[RT_BACKOFF_MAX],
                "found backoff_max %.9gs below backoff_base %.9gs, expected backoff_max "
                ">= backoff_base",
                (double)r->backoff_max_ns / 1e9, (double)r->backoff_base_ns / 1e9);
    }
    if (v[RT_MULTIPLIER]) {
        if (scn__v_number(c, v[RT_MULTIPLIER], &x))
            return -1;
        if (!(x >= 1))
            return scn__fail(c, v[RT_MULTIPLIER], "found %s, expected a multiplier >= 1",
                             scn__quote(scn__scalar_str(v[RT_MULTIPLIER]), q, sizeof q));
        r->multiplier = x;
    }
    if (v[RT_JITTER] && scn__v_fraction(c, v[RT_JITTER], &r->jitter))
        return -1;
    if (v[RT_HONOR] && scn__v_bool(c, v[RT_HONOR], &r->honor_retry_after))
        return -1;
    if (v[RT_RA_CAP] && scn__v_duration_ns(c, v[RT_RA_CAP], &r->retry_after_cap_ns))
        return -1;
    if (v[RT_REROUTE] && scn__v_bool(c, v[RT_REROUTE], &r->reroute_immediately))
        return -1;
    const yaml_node_t *ro = v[RT_RETRY_ON];
    if (ro) {
        static const char expected[] = "429, 5xx (or a status 500-599) or timeout";
        if (ro->type != YAML_SEQUENCE_NODE)
            return scn__fail(c, ro, "found %s, expected 'retry_on': a list of %s",
                             scn__describe(ro, d, sizeof d), expected);
        uint32_t set = 0;
        for (size_t i = 0; i < scn__seq_len(ro); i++) {
            const yaml_node_t *it = scn__node_of(c, ro->data.sequence.items.start[i]);
            const char *s = NULL;
            if (it == NULL)
                return scn__oom(c, ro);
            if (scn__get_str(c, it, expected, &s))
                return -1;
            int64_t status = 0;
            char m[128];
            if (strcmp(s, "429") == 0)
                set |= 1u << ROUTE_RATE_LIMITED;
            else if (strcmp(s, "5xx") == 0 || strcmp(s, "5XX") == 0)
                set |= 1u << ROUTE_SERVER_ERROR;
            else if (strcmp(s, "timeout") == 0)
                set |= 1u << ROUTE_TIMEOUT;
            else if (scn__parse_int(s, 500, 599, &status, m, sizeof m) == 0)
                set |= 1u << ROUTE_SERVER_ERROR;
            else
                return scn__fail(c, it, "found %s, expected %s", scn__quote(s, q, sizeof q),
                                 expected);
        }
        r->retry_on = set;
    }
    return 0;
}

int scn__parse_router(struct scn__ctx *c, const yaml_node_t *n, struct scn_router *r)
{
    const yaml_node_t *v[R_N];
    if (scn__check_map(c, n, "'router'", scn__router_keys, R_N, v))
        return -1;
    if (v[R_STRATEGY]) {
        if (parse_node(c, v[R_STRATEGY], &r->strategy, true, 0))
            return -1;
    } else {
        char m[1400];
        if (scn__strategy_init(c->reg, &r->strategy, SCN_DEFAULT_STRATEGY, SCN_DEFAULT_STRATEGY, m,
                               sizeof m))
            return scn__fail(c, n, "%s", m);
    }
    if (v[R_PARAMS] && parse_params(c, v[R_PARAMS], &r->strategy))
        return -1;
    if (v[R_TIMEOUT] && scn__v_duration_ns(c, v[R_TIMEOUT], &r->attempt_timeout_ns))
        return -1;
    if (v[R_QUEUE_TIMEOUT] && scn__v_duration_ns(c, v[R_QUEUE_TIMEOUT], &r->queue_timeout_ns))
        return -1;
    if (v[R_REQUEST_TIMEOUT] && scn__v_duration_ns(c, v[R_REQUEST_TIMEOUT], &r->request_timeout_ns))
        return -1;
    if (v[R_STREAM_TIMEOUT] && scn__v_duration_ns(c, v[R_STREAM_TIMEOUT], &r->stream_timeout_ns))
        return -1;
    if (v[R_RETRIES] && parse_retries(c, v[R_RETRIES], &r->retry))
        return -1;
    if (v[R_HEALTH] && parse_health(c, v[R_HEALTH], &r->health))
        return -1;
    if (v[R_FALLBACKS] && parse_fallbacks(c, v[R_FALLBACKS], &r->fallbacks))
        return -1;
    if (v[R_HEDGE] && parse_hedge(c, v[R_HEDGE], &r->hedge))
        return -1;
    if (v[R_REPLICAS]) {
        uint64_t u = 0;
        if (scn__v_uint(c, v[R_REPLICAS], 4096, &u))
            return -1;
        if (u < 1)
            return scn__fail(c, v[R_REPLICAS], "found 0, expected at least 1 gateway replica");
        r->replicas = (uint32_t)u;
    }
    if (v[R_PORTKEY] && scn__parse_portkey(c, v[R_PORTKEY], r))
        return -1;
    if (v[R_SHARED] && scn__v_bool(c, v[R_SHARED], &r->shared_state))
        return -1;
    if (v[R_STALENESS] && scn__v_duration_ns(c, v[R_STALENESS], &r->staleness_ns))
        return -1;
    if (v[R_DEFAULT_GROUP]) {
        char name[SCN_NAME_MAX], q[64];
        if (scn__v_name(c, v[R_DEFAULT_GROUP], "a model group", false, 1, name, sizeof name))
            return -1;
        r->default_group = scn_group_id(c->s, name);
        r->default_group_set = true;
        if (r->default_group == 0)
            return scn__fail(c, v[R_DEFAULT_GROUP],
                             "found %s, expected a group some backend serves",
                             scn__quote(name, q, sizeof q));
    }
    if (scn__parse_router_loop(c, n, v, r)) /* router.loop, router.litellm */
        return -1;
    /* A Portkey tree picks its own targets: the table names the tree, not
     * the unused default strategy. */
    if (r->loop == ROUTE_LOOP_PORTKEY && v[R_STRATEGY] == NULL)
        snprintf(r->strategy.label, sizeof r->strategy.label, "portkey-tree");
    return 0;
}

/* Entry indexes ordered by (label, index), for the duplicate check. */
struct compare_ix {
    const char *label;
    size_t i;
};

static int compare_ix_cmp(const void *a, const void *b)
{
    const struct compare_ix *x = a, *y = b;
    int r = strcmp(x->label, y->label);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* Unique compare labels, in O(n log n) (a pairwise check was quadratic):
 * the duplicate reported is the first in file order, with the line of the
 * first entry of its label, as before. */
static int compare_dups(struct scn__ctx *c, const yaml_node_t *n, const struct scenario *s)
{
    size_t count = s->n_compare;
    struct compare_ix *ix = malloc(count * sizeof *ix);
    if (ix == NULL)
        return scn__oom(c, n);
    for (size_t i = 0; i < count; i++)
        ix[i] = (struct compare_ix){s->compare[i].label, i};
    qsort(ix, count, sizeof *ix, compare_ix_cmp);
    size_t dup = SIZE_MAX, first = 0;
    for (size_t k = 1; k < count; k++)
        if (strcmp(ix[k].label, ix[k - 1].label) == 0 &&
            (k < 2 || strcmp(ix[k - 1].label, ix[k - 2].label) != 0)) {
            /* ix[k-1] is the first of its label, ix[k] its second */
            if (ix[k].i < dup) {
                dup = ix[k].i;
                first = ix[k - 1].i;
            }
        }
    free(ix);
    if (dup == SIZE_MAX)
        return 0;
    const yaml_node_t *it = scn__node_of(c, n->data.sequence.items.start[dup]);
    const yaml_node_t *at = it;
    if (it != NULL && it->type == YAML_MAPPING_NODE) {
        const yaml_node_t *lab = scn__map_get(c, it, "label");
        if (lab)
            at = lab;
    }
    const yaml_node_t *prev = scn__node_of(c, n->data.sequence.items.start[first]);
    return scn__fail(c, at ? at : n,
                     "found duplicate compare label '%s' (first at line %zu), expected unique "
                     "labels (add 'label:' to tell apart runs of the same strategy)",
                     s->compare[dup].label, prev ? prev->start_mark.line + 1 : 0);
}

int scn__parse_compare(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return scn__fail(c, n,
                         "found %s, expected 'compare': a list of strategy names or {strategy, "
                         "label, params} mappings",
                         scn__describe(n, d, sizeof d));
    size_t count = scn__seq_len(n);
    if (count == 0)
        return 0;
    if (count > SCN_COMPARE_MAX)
        return scn__fail(c, n, "found %zu compare entries, expected at most %u (docs/limits.md)",
                         count, SCN_COMPARE_MAX);
    s->compare = calloc(count, sizeof *s->compare);
    if (s->compare == NULL)
        return scn__oom(c, n);
    s->n_compare = (uint32_t)count;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__node_of(c, n->data.sequence.items.start[i]);
        struct scn_strategy *st = &s->compare[i];
        if (it == NULL)
            return scn__oom(c, n);
        if (parse_node(c, it, st, true, 0))
            return -1;
    }
    return compare_dups(c, n, s);
}

/* One SLO mapping's limits into set[]/limit[]; with `labelled`, its
 * `label:` node (or NULL) into *lab. */
static int parse_slo_limits(struct scn__ctx *c, const yaml_node_t *n, bool labelled,
                            const yaml_node_t **lab, bool *set, double *limit)
{
    const char *keys[SCN_SLO_COUNT_ + 1];
    const yaml_node_t *v[SCN_SLO_COUNT_ + 1];
    for (int i = 0; i < SCN_SLO_COUNT_; i++)
        keys[i] = scn__slo_keys[i];
    keys[SCN_SLO_COUNT_] = "label";
    if (scn__check_map(c, n, labelled ? "an 'slo' entry" : "'slo'", keys,
                       SCN_SLO_COUNT_ + (labelled ? 1 : 0), v))
        return -1;
    if (labelled)
        *lab = v[SCN_SLO_COUNT_];
    for (int i = 0; i < SCN_SLO_COUNT_; i++) {
        if (v[i] == NULL)
            continue;
        int rc;
        if (i <= SCN_SLO_E2E_P99)
            rc = scn__v_duration_s(c, v[i], &limit[i]);
        else if (i <= SCN_SLO_ERROR_RATE || i == SCN_SLO_COMPLETION_RATE)
            rc = scn__v_fraction(c, v[i], &limit[i]);
        else
            rc = scn__v_usd(c, v[i], &limit[i]);
        if (rc)
            return -1;
        set[i] = true;
    }
    return 0;
}

/* `label: {KIND: VALUE}`: exactly one label kind and its value. */
static int parse_slo_label(struct scn__ctx *c, const yaml_node_t *n, struct scn_slo_label *l)
{
    char d[64];
    if (n->type != YAML_MAPPING_NODE ||
        n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
        return scn__fail(c, n,
                         "found %s, expected 'label': one label as {KIND: VALUE}, KIND one of "
                         "tenant, model_group, task, priority, region",
                         scn__describe(n, d, sizeof d));
    const yaml_node_pair_t *p = n->data.mapping.pairs.start;
    const yaml_node_t *k = scn__node_of(c, p->key), *v = scn__node_of(c, p->value);
    const char *ks = NULL;
    if (k == NULL || v == NULL)
        return scn__oom(c, n);
    if (scn__get_str(c, k, "a label kind", &ks))
        return -1;
    l->kind = scn_label_kind_parse(ks);
    if (l->kind == SCN_LABEL_KINDS_)
        return scn__fail(c, k,
                         "found label kind %s, expected one of tenant, model_group, task, "
                         "priority, region",
                         scn__quote(ks, d, sizeof d));
    if (l->kind == SCN_LABEL_PRIORITY) {
        uint32_t pr = 0;
        if (scn__v_u32(c, v, &pr))
            return -1;
        snprintf(l->value, sizeof l->value, "%u", pr);
        return 0;
    }
    return scn__v_name(c, v, "a label value", false, 1, l->value, sizeof l->value);
}

/* `slo:` is a mapping of limits over every request, or a list of such
 * mappings, each optionally scoped to one label value by `label:`
 * (entries without one add to the limits over every request). */
int scn__parse_slo(struct scn__ctx *c, const yaml_node_t *n, struct scn_slo *slo)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return parse_slo_limits(c, n, false, NULL, slo->set, slo->limit);
    for (size_t i = 0; i < scn__seq_len(n); i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *lab = NULL;
        if (it == NULL)
            return scn__oom(c, n);
        if (it->type != YAML_MAPPING_NODE)
            return scn__fail(c, it, "found %s, expected an 'slo' entry: a mapping of limits",
                             scn__describe(it, d, sizeof d));
        struct scn_slo_label l;
        memset(&l, 0, sizeof l);
        if (parse_slo_limits(c, it, true, &lab, l.set, l.limit))
            return -1;
        if (lab == NULL) {
            for (int m = 0; m < SCN_SLO_COUNT_; m++)
                if (l.set[m]) {
                    slo->set[m] = true;
                    slo->limit[m] = l.limit[m];
                }
            continue;
        }
        if (slo->n_labels == SCN_SLO_LABELS_MAX)
            return scn__fail(c, it,
                             "found more than %d 'slo' entries with a label, expected at "
                             "most %d (docs/limits.md)",
                             SCN_SLO_LABELS_MAX, SCN_SLO_LABELS_MAX);
        if (parse_slo_label(c, lab, &l))
            return -1;
        slo->labels[slo->n_labels++] = l;
    }
    return 0;
}
