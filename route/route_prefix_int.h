/*
 * route_prefix_int.h - the router-side prefix block index shared by
 * `weighted_scorers` (prefix scorer), `prefix_affinity` and
 * `cache_aware_guarded` (index/prefix_index.c).  Internal to route/.
 *
 * Model: GIE's approximate prefix-cache scorer
 * (gateway-api-inference-extension@1748e829,
 * pkg/epp/framework/plugins/scheduling/scorer/prefix/indexer.go): a
 * per-backend LRU set of block hashes, updated from routing decisions
 * (after dispatch), not from the engines' cache events, plus a reverse map
 * block hash -> the backends holding it.  A request matches backend i for
 * the number of its leading blocks that i holds.
 *
 * Layout:
 *  - entries, one per (block, backend) held: backend b holds at most
 *    `capacity` of them, then recycles its LRU tail; each is on b's LRU list (doubly
 *    linked) and on a bucket chain of a table keyed by (hash, backend);
 *  - keys, one per distinct block hash held by anyone: the hash, the
 *    number of holders and a bitset of the holders (ceil(n / 64) words),
 *    on a bucket chain of a table keyed by hash; recycled through a free
 *    list when the last holder evicts the block.
 *  Links are index + 1 (0 = none).  The entry, key and bitset arrays and
 *  the bucket tables start small and grow geometrically with the blocks
 *  held (reserve() in prefix_index.c), so memory follows use, not n x capacity:
 *  a router built per test case or per trial costs no more than it holds.
 *  Worst case: n x capacity x (32 + 8 ceil(n / 64)) bytes plus two bucket
 *  tables of <= 2^24 words.  When growth fails for lack of memory the
 *  block is simply not indexed (a later cache miss), never an error.
 *
 * Costs: insert O(1) per block (expected); match O(blocks x ceil(n / 64))
 * word operations: the holders of blocks 0..j are the AND of the bitsets,
 * kept per level.  Allocation only when the index grows (amortised O(1)).
 */
#ifndef LBSIM_ROUTE_PREFIX_INT_H
#define LBSIM_ROUTE_PREFIX_INT_H

#include "route_int.h"

/* Leading blocks considered per request (GIE maxPrefixBlocksToMatch). */
#define ROUTE__PIDX_MAX_BLOCKS 256u

/* Default per-backend capacity in blocks (GIE lruCapacityPerServer). */
#define ROUTE__PIDX_DEFAULT_CAPACITY 31250.0

struct route__pidx_ent {
    uint32_t key;                /* its key (index + 1) */
    uint32_t backend;            /* the backend holding it */
    uint32_t lru_prev, lru_next; /* neighbours in the backend's LRU list */
    uint32_t chain_next;         /* next in its (hash, backend) bucket */
};

struct route__pidx_key {
    uint64_t hash;
    uint32_t chain_next; /* next in its hash bucket, or in the free list */
    uint32_t holders;    /* backends holding the block (bits set) */
};

struct route__pidx {
    uint32_t n;                    /* backends */
    uint32_t cap;                  /* entries per backend */
    uint32_t words;                /* bitset words per key: ROUTE_EXCLUDE_WORDS(n) */
    uint32_t shift;                /* 64 - log2(buckets) of both tables */
    uint32_t max_ent;              /* n x cap: entries (and keys) never exceed it */
    uint32_t n_buckets;            /* 2^(64 - shift), each table */
    struct route__pidx_ent *ent;   /* ent_fresh used of ent_cap */
    struct route__pidx_key *key;   /* key_fresh used of ent_cap */
    uint64_t *bits;                /* words per key, ent_cap keys */
    uint32_t ent_fresh, ent_cap;   /* entries ever made (all live: recycled in place) */
    uint32_t key_fresh, key_free;  /* never used keys start here; free list (+1) */
    uint32_t *kbucket, *ebucket;   /* chain heads (+1) */
    uint32_t *lru_head, *lru_tail; /* per backend: most / least recently used (+1) */
    uint32_t *used;                /* per backend: entries in the index */
    /* The last match (one request at a time): level j (j < depth) is the
     * set of backends holding blocks 0..j, a bitset of `words` words. */
    uint64_t *level;
    uint32_t depth;
};

/* Allocate an empty index for n backends of `capacity` blocks each.
 * 0, or negative with a message naming `who` (the strategy). */
int route__pidx_init(struct route__pidx *x, uint32_t n, double capacity, const char *who, char *err,
                     size_t errlen);
void route__pidx_free(struct route__pidx *x);

/* Record that backend b now holds the leading blocks of a request (called
 * from on_dispatch).  The leading block ends most recently used, so a
 * partial eviction trims the tail of a prefix first. */
void route__pidx_insert(struct route__pidx *x, uint32_t b, const uint64_t *blocks,
                        uint32_t n_blocks);

/* Match a request against every backend: fills the levels and x->depth
 * (the longest match of any backend).  Returns the number of blocks
 * considered, min(n_blocks, ROUTE__PIDX_MAX_BLOCKS); 0 when it has none. */
uint32_t route__pidx_match(struct route__pidx *x, const uint64_t *blocks, uint32_t n_blocks);

/* Level j of the last match (j < x->depth). */
static inline const uint64_t *route__pidx_level(const struct route__pidx *x, uint32_t j)
{
    return x->level + (size_t)j * x->words;
}

static inline bool route__pidx_has(const uint64_t *set, uint32_t b)
{
    return ((set[b >> 6] >> (b & 63u)) & 1u) != 0;
}

/* Leading blocks backend b matched in the last match: levels are nested,
 * so a binary search for the deepest level holding b. */
static inline uint32_t route__pidx_matched(const struct route__pidx *x, uint32_t b)
{
    uint32_t lo = 0, hi = x->depth; /* answer in [lo, hi] */
    if (hi == 0 || !route__pidx_has(route__pidx_level(x, 0), b))
        return 0;
    lo = 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2; /* is the match >= mid? */
        if (route__pidx_has(route__pidx_level(x, mid - 1), b))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Blocks backend b holds in the index (SGLang's "tree size"). */
static inline uint32_t route__pidx_size(const struct route__pidx *x, uint32_t b)
{
    return x->used[b];
}

/* The best-matching eligible backends of the last match: the deepest
 * level with an eligible backend; among those the fewest in flight, random
 * ties.  Sets *len to the match (0 and ROUTE_NONE when no eligible backend
 * matches a block).  O(levels x words + holders visited). */
int32_t route__pidx_best_matched(const struct route__pidx *x, const struct route_view *view,
                                 const uint64_t *exclude, const struct route_env *env,
                                 uint32_t *len);

/* The on_dispatch hook of prefix_affinity and cache_aware_guarded, whose
 * states begin with their struct route__pidx: index the request's blocks
 * for the chosen backend. */
void route__pidx_on_dispatch(void *state, uint32_t backend, const struct route_req *req,
                             const struct route_env *env);

#endif /* LBSIM_ROUTE_PREFIX_INT_H */
