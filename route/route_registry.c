/*
 * route_registry.c - the built-in strategies, in documentation order
 * (reference/routers.md §4: stateless spreaders, load-aware, then the
 * LiteLLM signal-driven strategies).  Immutable: safe from any thread.
 */
#include <string.h>

#include "route_int.h"

static const struct route_ops *const registry[] = {
    &route__ops_random,         &route__ops_weighted_random, &route__ops_round_robin,
    &route__ops_least_inflight, &route__ops_power_of_two,    &route__ops_lowest_latency,
    &route__ops_lowest_cost,    &route__ops_lowest_usage,
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
