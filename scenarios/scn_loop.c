/*
 * scn_loop.c - the scenario keys of a gateway's per-request loop (issue 13):
 * `router.loop`, `router.litellm`, `router.health.cooldown.
 * allowed_fails_policy`, and the backends' `num_retries` and
 * `cooldown_time` (LiteLLM's per-deployment settings).
 *
 * The values become a struct route_llm_cfg (route_loop.h) and the health
 * configuration's LiteLLM fields (route.h); their meaning is LiteLLM's
 * (docs/notes/litellm-replay.md §2.3-2.5, §3.3).  scn_router.c and
 * scn_backends.c call in with one line each.
 */
#include <string.h>

#include "scn_int.h"

/* Retry counts a policy or num_retries may give: the per-request state
 * counts attempts in 16 bits (route_llm_req). */
#define LOOP_MAX_RETRIES 65535u

/* A RetryPolicy mapping into pol[] (-1 for the keys not given). */
static int parse_retry_policy(struct scn__ctx *c, const yaml_node_t *n, const char *what,
                              int32_t *pol)
{
    const yaml_node_t *v[RPOL_N];
    uint64_t u = 0;
    if (scn__check_map(c, n, what, scn__retry_policy_keys, RPOL_N, v))
        return -1;
    for (int p = 0; p < ROUTE_LLM_POL_COUNT_; p++) {
        pol[p] = -1;
        if (v[p] == NULL)
            continue;
        if (scn__v_uint(c, v[p], LOOP_MAX_RETRIES, &u))
            return -1;
        pol[p] = (int32_t)u;
    }
    return 0;
}

/* A model group that some backend serves (a typo would silently never
 * match). */
static int served_group(struct scn__ctx *c, const yaml_node_t *n, uint32_t *id)
{
    char q[64];
    if (scn__v_group(c, n, id))
        return -1;
    for (uint32_t b = 0; b < c->s->n_backends; b++)
        if (c->s->backends[b].route.model_group == *id)
            return 0;
    return scn__fail(c, n,
                     "found model group %s that no backend serves, expected a backend's 'group'",
                     scn__quote(c->s->groups[*id - 1], q, sizeof q));
}

/* model_group_retry_policy: {group: {RateLimitErrorRetries: 3, ...}}. */
static int parse_group_policies(struct scn__ctx *c, const yaml_node_t *n, struct route_llm_cfg *l)
{
    char d[64];
    size_t count;
    struct route_llm_group_policy *gp;
    if (n->type != YAML_MAPPING_NODE)
        return scn__fail(c, n,
                         "found %s, expected 'model_group_retry_policy': a mapping of model "
                         "groups to retry policies",
                         scn__describe(n, d, sizeof d));
    count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (count == 0)
        return 0;
    gp = scn__own_alloc(c, n, count * sizeof *gp);
    if (gp == NULL)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
        const yaml_node_t *k = scn__node_of(c, pr->key), *v = scn__node_of(c, pr->value);
        if (k == NULL || v == NULL)
            return scn__oom(c, n);
        if (served_group(c, k, &gp[i].group))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (gp[j].group == gp[i].group)
                return scn__fail(c, k, "found model group '%s' twice, expected each group once",
                                 c->s->groups[gp[i].group - 1]);
        if (parse_retry_policy(c, v, "a model group's retry policy", gp[i].retries))
            return -1;
    }
    l->group_policy = gp;
    l->n_group_policy = (uint32_t)count;
    return 0;
}

static int parse_litellm(struct scn__ctx *c, const yaml_node_t *n, struct route_llm_cfg *l)
{
    const yaml_node_t *v[LL_N];
    char d[64];
    uint64_t u = 0;
    if (n->type == YAML_SCALAR_NODE)
        return scn__fail(c, n,
                         "found %s, expected 'litellm': a mapping of LiteLLM Router settings "
                         "(num_retries, retry_policy, model_group_retry_policy, retry_after, "
                         "max_fallbacks)",
                         scn__describe(n, d, sizeof d));
    if (scn__check_map(c, n, "'litellm'", scn__litellm_keys, LL_N, v))
        return -1;
    if (v[LL_NUM_RETRIES]) {
        if (scn__v_uint(c, v[LL_NUM_RETRIES], LOOP_MAX_RETRIES, &u))
            return -1;
        l->num_retries = (uint32_t)u;
    }
    if (v[LL_RETRY_POLICY] &&
        parse_retry_policy(c, v[LL_RETRY_POLICY], "'retry_policy'", l->retry_policy))
        return -1;
    if (v[LL_GROUP_RETRY_POLICY] && parse_group_policies(c, v[LL_GROUP_RETRY_POLICY], l))
        return -1;
    if (v[LL_RETRY_AFTER] && scn__v_duration_ns(c, v[LL_RETRY_AFTER], &l->retry_after_floor_ns))
        return -1;
    if (v[LL_MAX_FALLBACKS]) {
        if (scn__v_uint(c, v[LL_MAX_FALLBACKS], UINT32_MAX, &u))
            return -1;
        /* A fallback level is entered only below max_fallbacks, so the
         * per-request stack bounds it. */
        if (u > ROUTE_LLM_MAX_STACK)
            return scn__fail(c, v[LL_MAX_FALLBACKS],
                             "found max_fallbacks %llu, expected at most %u (nested fallback "
                             "levels lbsim keeps per request)",
                             (unsigned long long)u, ROUTE_LLM_MAX_STACK);
        l->max_fallbacks = (uint32_t)u;
    }
    return 0;
}

static int parse_allowed_fails_policy(struct scn__ctx *c, const yaml_node_t *n,
                                      struct route_health_cfg *h)
{
    const yaml_node_t *v[AFP_N];
    uint64_t u = 0;
    if (scn__check_map(c, n, "'allowed_fails_policy'", scn__allowed_fails_keys, AFP_N, v))
        return -1;
    for (int p = 0; p < AFP_N; p++) {
        if (v[p] == NULL)
            continue;
        if (scn__v_uint(c, v[p], UINT32_MAX, &u))
            return -1;
        h->allowed_fails_policy[p] = (uint32_t)u;
        h->allowed_fails_set |= 1u << p;
    }
    return 0;
}

int scn__parse_router_loop(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                           struct scn_router *r)
{
    const struct scenario *s = c->s;
    route_llm_cfg_default(&r->litellm);
    if (v[R_LOOP]) {
        size_t k = 0;
        if (scn__v_enum(c, v[R_LOOP], "a router loop", scn__loop_names, N_LOOP, &k))
            return -1;
        r->loop = (enum route_loop_kind)k;
    }
    if (v[R_LITELLM] && parse_litellm(c, v[R_LITELLM], &r->litellm))
        return -1;
    if (v[R_HEALTH] && v[R_HEALTH]->type == YAML_MAPPING_NODE) {
        const yaml_node_t *cd = scn__map_get(c, v[R_HEALTH], "cooldown");
        const yaml_node_t *afp = cd && cd->type == YAML_MAPPING_NODE
                                     ? scn__map_get(c, cd, "allowed_fails_policy")
                                     : NULL;
        if (afp && parse_allowed_fails_policy(c, afp, &r->health))
            return -1;
    }
    /* LiteLLM's cooldown details (the fixed v1 window, Retry-After 0) go
     * with its loop; lbsim's own rules stay as they were otherwise. */
    r->health.litellm_cooldown = r->loop == ROUTE_LOOP_LITELLM;
    r->litellm.fallbacks = r->fallbacks;
    if (s->n_backends > 0) {
        int32_t *per = scn__own_alloc(c, n, s->n_backends * sizeof *per);
        if (per == NULL)
            return -1;
        for (uint32_t b = 0; b < s->n_backends; b++)
            per[b] = s->backends[b].num_retries;
        r->litellm.backend_num_retries = per;
        r->litellm.n_backends = s->n_backends;
    }
    return 0;
}

int scn__parse_backend_loop(struct scn__ctx *c, const yaml_node_t *const *v, struct scn_backend *b)
{
    uint64_t u = 0;
    b->num_retries = -1;
    b->cooldown_ns = -1;
    if (v[B_NUM_RETRIES]) {
        if (scn__v_uint(c, v[B_NUM_RETRIES], LOOP_MAX_RETRIES, &u))
            return -1;
        b->num_retries = (int32_t)u;
    }
    if (v[B_COOLDOWN_TIME] && scn__v_duration_ns(c, v[B_COOLDOWN_TIME], &b->cooldown_ns))
        return -1;
    return 0;
}
