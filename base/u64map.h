/*
 * u64map.h - an open-addressing map from uint64_t keys to uint32_t values
 * (prefix u64map_).
 *
 * Linear probing over a power-of-two table kept at most half full, with
 * backward-shift deletion, so there are no tombstones and a lookup stops at
 * the first empty slot (Knuth, TAOCP vol. 3, 6.4, Algorithm R).  Keys are
 * spread by rng_mix64 (the murmur3 finaliser) of the key xor a salt, so
 * structured keys such as (index << 32 | generation) or block hashes probe
 * as well as random ones.
 *
 * Values are small indexes into the caller's arrays; U64MAP_NONE marks an
 * empty slot and cannot be stored.  Nothing iterates over the table, so
 * its layout never shows in any result.
 *
 * The hot operations (get, put, reserve1) are inline: the pool's prefix
 * cache calls them per block and per request.  Deletion and allocation
 * live in u64map.c.  Memory: 12 bytes per slot, 2 to 4 slots per entry.
 */
#ifndef LBSIM_U64MAP_H
#define LBSIM_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"

#define U64MAP_NONE UINT32_MAX /* "no value": the empty-slot marker */
/* Xored into every key before mixing: rng_mix64(0) = 0, and the golden
 * ratio constant (Knuth's multiplicative hashing) moves key 0 off slot 0. */
#define U64MAP_SALT 0x9E3779B97F4A7C15ull

struct u64map {
    uint64_t *keys;
    uint32_t *vals; /* U64MAP_NONE = empty */
    uint32_t mask;  /* slots - 1 */
    uint32_t n;     /* entries */
};

/* A table with room for `entries` at load <= 1/2 (at least 16 slots).
 * BASE_OK, or BASE_ENOMEM with m left empty (u64map_fini is still safe). */
int u64map_init(struct u64map *m, uint32_t entries);
void u64map_fini(struct u64map *m);
/* Double the table (u64map_reserve1's slow path).  BASE_OK or BASE_ENOMEM,
 * with m unchanged on failure. */
int u64map__grow(struct u64map *m);

static inline uint32_t u64map__home(const struct u64map *m, uint64_t key)
{
    return (uint32_t)(rng_mix64(key ^ U64MAP_SALT) & m->mask);
}

/* The value of key, or U64MAP_NONE. */
static inline uint32_t u64map_get(const struct u64map *m, uint64_t key)
{
    for (uint32_t i = u64map__home(m, key);; i = (i + 1) & m->mask) {
        if (m->vals[i] == U64MAP_NONE)
            return U64MAP_NONE;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

/* Insert a key known to be absent; the caller made room (u64map_init's
 * `entries`, or u64map_reserve1). */
static inline void u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
    uint32_t i = u64map__home(m, key);
    while (m->vals[i] != U64MAP_NONE)
        i = (i + 1) & m->mask;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

/* Remove key if present (u64map.c).  Out of line: it runs once per entry's
 * life, and inlining its loop into a caller's hot loop costs registers. */
void u64map_del(struct u64map *m, uint64_t key);

/* Make room for one more entry (load <= 1/2), growing if needed.
 * BASE_OK or BASE_ENOMEM (m unchanged). */
static inline int u64map_reserve1(struct u64map *m)
{
    if (2u * (m->n + 1u) <= m->mask + 1u)
        return BASE_OK;
    return u64map__grow(m);
}

#endif /* LBSIM_U64MAP_H */
