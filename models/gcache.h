/*
 * gcache.h - the gateway's response cache (prefix gcache_).
 *
 * What Portkey (`cache: {mode: simple | semantic, max_age}`) and LiteLLM
 * (`cache`, `caching_groups`) put in front of the providers: a hit answers
 * from the gateway, skipping the provider, its rate limits and its cost.
 *
 *  - L1: exact match on a prompt key, an LRU of `l1_capacity` entries that
 *    expire `l1_ttl_ns` after insertion (in-process, e.g. Portkey simple);
 *  - L2: a second, larger exact tier (e.g. Redis) with its own TTL and
 *    latency; an L2 hit is copied into L1;
 *  - semantic: after an exact miss, a hit with probability
 *    `semantic_hit_rate` (a model of an embedding-similarity cache, whose
 *    hit rate users measure rather than derive), answered at L2 latency.
 *
 * Keys come from the trace (`cache_key`), or, for requests without one,
 * from a synthetic repeat rate: with probability `repeat_rate` a request
 * repeats the prompt of one of the last `GCACHE_RECENT` requests (chosen
 * uniformly); otherwise its prompt is new.  All draws come from the
 * caller's stream, so every strategy sees the same cache behaviour.
 *
 * Memory: O(l1_capacity + l2_capacity + GCACHE_RECENT), fixed at create.
 */
#ifndef LBSIM_GCACHE_H
#define LBSIM_GCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Prompts a synthetic repeat may repeat: the last 4,096 (a repeat of an
 * older prompt is as unlikely to hit a TTL-bounded cache anyway). */
#define GCACHE_RECENT 4096u

struct gcache_cfg {
    uint32_t l1_capacity; /* entries; 0 = no L1 */
    int64_t l1_ttl_ns;    /* 0 = never expires */
    int64_t l1_latency_ns;
    uint32_t l2_capacity; /* entries; 0 = no L2 */
    int64_t l2_ttl_ns;
    int64_t l2_latency_ns;
    double semantic_hit_rate; /* [0, 1] */
    double repeat_rate;       /* [0, 1]: synthetic exact repeats for keyless requests */
};

enum gcache_result {
    GCACHE_MISS = 0,
    GCACHE_L1 = 1,
    GCACHE_L2 = 2,
    GCACHE_SEMANTIC = 3,
};

struct gcache_stats {
    uint64_t lookups, l1_hits, l2_hits, semantic_hits, inserts, evictions, expirations;
};

struct gcache;

/* NULL on allocation failure or an invalid cfg (message in err). */
struct gcache *gcache_create(const struct gcache_cfg *cfg, char *err, size_t errlen);
void gcache_destroy(struct gcache *c);

/*
 * The prompt key of a request: `key` when the trace has one (non-zero),
 * else a synthetic one: a repeat of a recent prompt with probability
 * repeat_rate, or a fresh key.  Draws from r.  Records the key as recent.
 */
uint64_t gcache_key(struct gcache *c, uint64_t key, struct rng *r);

/* Look `key` up at now_ns; *latency_ns is set for hits.  Draws the semantic
 * hit from r on an exact miss.  O(1) expected. */
enum gcache_result gcache_lookup(struct gcache *c, uint64_t key, int64_t now_ns, struct rng *r,
                                 int64_t *latency_ns);

/* Store the response to `key` (in L1 and L2) at now_ns. */
void gcache_insert(struct gcache *c, uint64_t key, int64_t now_ns);

const struct gcache_stats *gcache_stats(const struct gcache *c);

#endif /* LBSIM_GCACHE_H */
