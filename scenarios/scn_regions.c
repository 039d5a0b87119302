/*
 * scn_regions.c - `regions:` (the RTT matrix) and `cache:` (the gateway's
 * response cache, models/gcache.h).
 */
#include "scn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCN_MAX_REGIONS 1024u
/* Gateway cache latencies, both assumptions (no measured figure): an
 * in-process L1 lookup, like Portkey's simple cache, answers in 1 ms; an
 * L2 lookup costs a Redis round trip within a region, 5 ms. */
#define SCN_CACHE_L1_LATENCY_NS (1LL * 1000000LL)
#define SCN_CACHE_L2_LATENCY_NS (5LL * 1000000LL)
/* Largest cache tier: 100M entries, a guard against typos (memory is
 * O(capacity), allocated when the run starts). */
#define SCN_CACHE_MAX_ENTRIES 100000000LL

/* ---------------------------------------------------------------------
 * Regions (RTT matrix) and the gateway cache
 * ------------------------------------------------------------------- */

/* One `rtt:` entry while the list is checked. */
struct rtt_item {
    uint32_t from, to; /* region ids */
    int64_t ns;
    const yaml_node_t *node; /* the rtt value */
};

/* A region name, interned (ids 1..n, shared with backends' `region:`). */
static int v_region(struct scn__ctx *c, const yaml_node_t *n, uint32_t *id)
{
    char name[SCN_NAME_MAX];
    if (scn__v_name(c, n, "a region", false, 1, name, sizeof name))
        return -1;
    int64_t rid = scn__names_intern(&c->s->regions, &c->s->n_regions, name);
    if (rid < 0)
        return scn__oom(c, n);
    *id = (uint32_t)rid;
    return 0;
}

/* Parse the `rtt:` list into items[0..count); regions are interned. */
static int parse_rtt_list(struct scn__ctx *c, const yaml_node_t *n, struct rtt_item *items,
                          size_t count)
{
    char q[64], q2[64];
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *w[RP_N];
        struct rtt_item *r = &items[i];
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "an RTT entry", scn__rtt_pair_keys, RP_N, w))
            return -1;
        for (int k = 0; k < RP_N; k++)
            if (w[k] == NULL)
                return scn__missing(c, it, "an RTT entry", scn__rtt_pair_keys[k],
                                    k == RP_FROM ? "the region requests come from"
                                    : k == RP_TO ? "the region of the backend"
                                                 : "the round-trip time, e.g. 80ms");
        if (v_region(c, w[RP_FROM], &r->from) || v_region(c, w[RP_TO], &r->to) ||
            scn__v_duration_ns(c, w[RP_RTT], &r->ns))
            return -1;
        r->node = w[RP_RTT];
        /* symmetric: (a, b) and (b, a) are one pair */
        for (size_t j = 0; j < i; j++) {
            const struct rtt_item *o = &items[j];
            bool same =
                (o->from == r->from && o->to == r->to) || (o->from == r->to && o->to == r->from);
            if (same && o->ns != r->ns)
                return scn__fail(
                    c, w[RP_RTT],
                    "found rtt %s for %s -> %s, expected %s as given at line %zu (RTTs are "
                    "symmetric: one value per pair)",
                    scn__quote(scn__scalar_str(w[RP_RTT]), q, sizeof q), c->s->regions[r->from - 1],
                    c->s->regions[r->to - 1], scn__quote(scn__scalar_str(o->node), q2, sizeof q2),
                    o->node->start_mark.line + 1);
        }
    }
    return 0;
}

/*
 * `regions: {default_rtt, rtt: [{from, to, rtt}]}`.  Parsed after
 * everything else that names regions, so the matrix covers every id.
 */
int scn__parse_regions(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    const yaml_node_t *v[RG_N];
    size_t count = 0;
    if (scn__check_map(c, n, "'regions'", scn__regions_keys, RG_N, v))
        return -1;
    if (v[RG_DEFAULT_RTT] && scn__v_duration_ns(c, v[RG_DEFAULT_RTT], &s->rtt.default_ns))
        return -1;
    if (v[RG_RTT]) {
        if (scn__want_seq(c, v[RG_RTT], "'rtt': a list of {from, to, rtt}"))
            return -1;
        count = scn__seq_len(v[RG_RTT]);
    }
    struct rtt_item *items = count ? calloc(count, sizeof *items) : NULL;
    if (count && items == NULL)
        return scn__oom(c, n);
    int rc = count ? parse_rtt_list(c, v[RG_RTT], items, count) : 0;
    if (rc == 0 && s->n_regions > SCN_MAX_REGIONS)
        rc =
            scn__fail(c, n, "found %u regions, expected at most %u", s->n_regions, SCN_MAX_REGIONS);
    size_t w = (size_t)s->n_regions + 1;
    if (rc == 0) {
        s->rtt.ns = malloc(w * w * sizeof *s->rtt.ns);
        if (s->rtt.ns == NULL)
            rc = scn__oom(c, n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < w; i++)
            for (size_t j = 0; j < w; j++)
                s->rtt.ns[i * w + j] = i == j && i > 0 ? 0 : s->rtt.default_ns;
        s->rtt.ns[0] = 0;
        for (size_t k = 0; k < count; k++) {
            s->rtt.ns[items[k].from * w + items[k].to] = items[k].ns;
            s->rtt.ns[items[k].to * w + items[k].from] = items[k].ns;
        }
    }
    free(items);
    return rc;
}

/* One tier of the gateway cache: {capacity, ttl, latency}. */
static int parse_cache_tier(struct scn__ctx *c, const yaml_node_t *n, const char *what,
                            uint32_t *capacity, int64_t *ttl_ns, int64_t *latency_ns)
{
    const yaml_node_t *v[CT_N];
    int64_t cap = 0;
    if (scn__check_map(c, n, what, scn__cache_tier_keys, CT_N, v))
        return -1;
    if (v[CT_CAPACITY] == NULL)
        return scn__missing(c, n, what, "capacity", "the number of entries, e.g. 10000 or 1M");
    if (scn__v_count(c, v[CT_CAPACITY], &cap))
        return -1;
    if (cap < 1 || cap > SCN_CACHE_MAX_ENTRIES)
        return scn__fail(c, v[CT_CAPACITY], "found capacity %lld, expected 1 to %lld entries",
                         (long long)cap, (long long)SCN_CACHE_MAX_ENTRIES);
    *capacity = (uint32_t)cap;
    if (v[CT_TTL] && scn__v_duration_ns(c, v[CT_TTL], ttl_ns))
        return -1;
    if (v[CT_LATENCY] && scn__v_duration_ns(c, v[CT_LATENCY], latency_ns))
        return -1;
    return 0;
}

/* `cache: {l1, l2, semantic_hit_rate, repeat_rate}`. */
int scn__parse_cache(struct scn__ctx *c, const yaml_node_t *n, struct scn_cache *ca)
{
    const yaml_node_t *v[CA_N];
    struct gcache_cfg *g = &ca->cfg;
    if (scn__check_map(c, n, "'cache'", scn__cache_keys, CA_N, v))
        return -1;
    memset(g, 0, sizeof *g);
    g->l1_latency_ns = SCN_CACHE_L1_LATENCY_NS;
    g->l2_latency_ns = SCN_CACHE_L2_LATENCY_NS;
    if (v[CA_L1] &&
        parse_cache_tier(c, v[CA_L1], "'l1'", &g->l1_capacity, &g->l1_ttl_ns, &g->l1_latency_ns))
        return -1;
    if (v[CA_L2] &&
        parse_cache_tier(c, v[CA_L2], "'l2'", &g->l2_capacity, &g->l2_ttl_ns, &g->l2_latency_ns))
        return -1;
    if (v[CA_SEMANTIC] && scn__v_fraction(c, v[CA_SEMANTIC], &g->semantic_hit_rate))
        return -1;
    if (v[CA_REPEAT] && scn__v_fraction(c, v[CA_REPEAT], &g->repeat_rate))
        return -1;
    if (v[CA_L1] == NULL && v[CA_L2] == NULL && !(g->semantic_hit_rate > 0))
        return scn__fail(c, n,
                         "found a cache that can never hit, expected at least one of l1, l2, "
                         "semantic_hit_rate (> 0)");
    ca->enabled = true;
    return 0;
}
