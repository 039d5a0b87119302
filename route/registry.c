/*
 * registry.c - the built-in strategies, in documentation order
 * (docs/notes/routers.md §4: stateless spreaders, load-aware, then the
 * LiteLLM signal-driven strategies), then wrappers and groups.  Immutable:
 * safe from any thread.  route_registry_lookup() adds caller-supplied tables
 * (plugins) in front of the built-ins.
 */
#include <string.h>

#include "route_int.h"

static const struct route_ops *const registry[] = {
    /* leaf strategies */
    &route__ops_random,
    &route__ops_weighted_random,
    &route__ops_round_robin,
    &route__ops_least_inflight,
    &route__ops_least_inflight_tokens,
    &route__ops_power_of_two,
    &route__ops_lowest_latency,
    &route__ops_expected_latency,
    &route__ops_lowest_cost,
    &route__ops_lowest_usage,
    &route__ops_price_weighted,
    &route__ops_sort_by,
    &route__ops_weighted_scorers,
    &route__ops_prefix_affinity,
    &route__ops_cache_aware_guarded,
    &route__ops_bounded_load_hash,
    /* wrappers (one child) */
    &route__ops_filter,
    &route__ops_ordered_priority,
    &route__ops_sticky,
    &route__ops_model_tier,
    /* groups (several children) */
    &route__ops_fallback,
    &route__ops_loadbalance,
};

static const uint32_t REGISTRY_COUNT = (uint32_t)(sizeof registry / sizeof registry[0]);

uint32_t route_registry_count(void)
{
    return REGISTRY_COUNT;
}

const struct route_ops *route_registry_at(uint32_t i)
{
    return i < REGISTRY_COUNT ? registry[i] : NULL;
}

const struct route_ops *route_registry_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (uint32_t i = 0; i < REGISTRY_COUNT; i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    }
    return NULL;
}

const struct route_ops *route_registry_lookup(const struct route_registry *reg, const char *name)
{
    if (name == NULL)
        return NULL;
    if (reg != NULL && reg->extra != NULL) {
        for (uint32_t i = 0; i < reg->n_extra; i++) {
            const struct route_ops *o = reg->extra[i];
            if (o != NULL && o->name != NULL && strcmp(o->name, name) == 0)
                return o;
        }
    }
    return route_registry_find(name);
}
