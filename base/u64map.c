/*
 * u64map.c - allocation of the open-addressing map (see u64map.h).
 */
#include "u64map.h"

#include <stdlib.h>

#include "err.h"

/* Smallest table: 16 slots (two cache lines of values). */
#define U64MAP_MIN_SLOTS 16u

static int u64map_alloc(struct u64map *m, uint32_t slots)
{
    m->keys = malloc((size_t)slots * sizeof *m->keys);
    m->vals = malloc((size_t)slots * sizeof *m->vals);
    if (m->keys == NULL || m->vals == NULL) {
        free(m->keys);
        free(m->vals);
        m->keys = NULL;
        m->vals = NULL;
        m->mask = 0;
        m->n = 0;
        return BASE_ENOMEM;
    }
    for (uint32_t i = 0; i < slots; i++)
        m->vals[i] = U64MAP_NONE;
    m->mask = slots - 1;
    m->n = 0;
    return BASE_OK;
}

int u64map_init(struct u64map *m, uint32_t entries)
{
    uint32_t slots = U64MAP_MIN_SLOTS;
    if (entries > UINT32_MAX / 4u) { /* 2 entries + 2 slots would not fit */
        m->keys = NULL;
        m->vals = NULL;
        m->mask = m->n = 0;
        return BASE_ENOMEM;
    }
    while (slots < 2u * entries + 2u)
        slots *= 2u;
    return u64map_alloc(m, slots);
}

void u64map_fini(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

/* Backward shift: later entries of the probe run move into the hole unless
 * their home lies cyclically in (hole, j]. */
void u64map_del(struct u64map *m, uint64_t key)
{
    uint32_t i = u64map__home(m, key);
    while (m->vals[i] != U64MAP_NONE && m->keys[i] != key)
        i = (i + 1) & m->mask;
    if (m->vals[i] == U64MAP_NONE)
        return;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (m->vals[j] == U64MAP_NONE)
            break;
        uint32_t k = u64map__home(m, m->keys[j]);
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->vals[i] = U64MAP_NONE;
    m->n--;
}

int u64map__grow(struct u64map *m)
{
    uint32_t slots = m->mask + 1u;
    struct u64map bigger;
    if (slots > UINT32_MAX / 2u || u64map_alloc(&bigger, slots * 2u) != BASE_OK)
        return BASE_ENOMEM;
    for (uint32_t i = 0; i < slots; i++)
        if (m->vals[i] != U64MAP_NONE)
            u64map_put(&bigger, m->keys[i], m->vals[i]);
    u64map_fini(m);
    *m = bigger;
    return BASE_OK;
}
