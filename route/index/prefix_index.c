/*
 * prefix_index.c - the router-side prefix block index (LRU per
 * backend + hash -> holder bitsets) shared by weighted_scorers,
 * prefix_affinity and cache_aware_guarded.  Layout, costs and the GIE
 * source it reproduces: route_prefix_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "route_prefix_int.h"

#define MAX_BUCKET_BITS 24u
/* The bucket tables start this small and double with the entries held. */
#define MIN_BUCKET_BITS 4u
/* Entries and keys are allocated at least this many at a time. */
#define MIN_GROW 64u

/* splitmix64 finalizer (Steele, Lea, Flood 2014): spreads block hashes that
 * may be small integers over the bucket bits. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t kbucket_of(const struct route__pidx *x, uint64_t hash)
{
    return (uint32_t)(mix64(hash) >> x->shift);
}

static uint32_t ebucket_of(const struct route__pidx *x, uint64_t hash, uint32_t b)
{
    return (uint32_t)(mix64(hash ^ ((uint64_t)(b + 1) * 0x9e3779b97f4a7c15ull)) >> x->shift);
}

static uint64_t *bits_of(const struct route__pidx *x, uint32_t k)
{
    return x->bits + (size_t)k * x->words;
}

int route__pidx_init(struct route__pidx *x, uint32_t n, double capacity, const char *who, char *err,
                     size_t errlen)
{
    uint64_t total;
    memset(x, 0, sizeof *x);
    if (n == 0 || !(capacity >= 1.0) || capacity > (double)UINT32_MAX) {
        route__errf(err, errlen, "strategy '%s': lru_blocks %g must be >= 1", who, capacity);
        return -1;
    }
    x->n = n;
    x->cap = (uint32_t)capacity;
    x->words = ROUTE_EXCLUDE_WORDS(n);
    total = (uint64_t)n * x->cap;
    if (total >= UINT32_MAX) {
        route__errf(err, errlen,
                    "strategy '%s': %u backends x lru_blocks %u = %llu index entries, at most %u",
                    who, (unsigned)n, (unsigned)x->cap, (unsigned long long)total,
                    (unsigned)(UINT32_MAX - 1));
        return -1;
    }
    x->max_ent = (uint32_t)total;
    x->shift = 64u - MIN_BUCKET_BITS;
    x->n_buckets = (uint32_t)1 << MIN_BUCKET_BITS;
    x->kbucket = calloc(x->n_buckets, sizeof x->kbucket[0]);
    x->ebucket = calloc(x->n_buckets, sizeof x->ebucket[0]);
    x->lru_head = calloc(n, sizeof x->lru_head[0]);
    x->lru_tail = calloc(n, sizeof x->lru_tail[0]);
    x->used = calloc(n, sizeof x->used[0]);
    x->level = calloc((size_t)ROUTE__PIDX_MAX_BLOCKS * x->words, sizeof x->level[0]);
    if (x->kbucket == NULL || x->ebucket == NULL || x->lru_head == NULL || x->lru_tail == NULL ||
        x->used == NULL || x->level == NULL) {
        route__pidx_free(x);
        route__errf(err, errlen, "strategy '%s': out of memory for a prefix index", who);
        return -1;
    }
    return 0;
}

void route__pidx_free(struct route__pidx *x)
{
    free(x->ent);
    free(x->key);
    free(x->bits);
    free(x->kbucket);
    free(x->ebucket);
    free(x->lru_head);
    free(x->lru_tail);
    free(x->used);
    free(x->level);
    memset(x, 0, sizeof *x);
}

/* Key index + 1 of `hash`, or 0. */
static uint32_t key_find(const struct route__pidx *x, uint64_t hash)
{
    uint32_t l = x->kbucket[kbucket_of(x, hash)];
    while (l != 0 && x->key[l - 1].hash != hash)
        l = x->key[l - 1].chain_next;
    return l;
}

/* Entry index + 1 of (key k + 1, backend b), or 0. */
static uint32_t ent_find(const struct route__pidx *x, uint32_t k1, uint32_t b)
{
    uint32_t l = x->ebucket[ebucket_of(x, x->key[k1 - 1].hash, b)];
    while (l != 0 && !(x->ent[l - 1].backend == b && x->ent[l - 1].key == k1))
        l = x->ent[l - 1].chain_next;
    return l;
}

static void lru_unlink(struct route__pidx *x, uint32_t b, uint32_t e)
{
    struct route__pidx_ent *p = &x->ent[e];
    if (p->lru_prev != 0)
        x->ent[p->lru_prev - 1].lru_next = p->lru_next;
    else
        x->lru_head[b] = p->lru_next;
    if (p->lru_next != 0)
        x->ent[p->lru_next - 1].lru_prev = p->lru_prev;
    else
        x->lru_tail[b] = p->lru_prev;
    p->lru_prev = p->lru_next = 0;
}

static void lru_push_front(struct route__pidx *x, uint32_t b, uint32_t e)
{
    struct route__pidx_ent *p = &x->ent[e];
    p->lru_prev = 0;
    p->lru_next = x->lru_head[b];
    if (x->lru_head[b] != 0)
        x->ent[x->lru_head[b] - 1].lru_prev = e + 1;
    else
        x->lru_tail[b] = e + 1;
    x->lru_head[b] = e + 1;
}

/* Unlink entry e (index) of backend b from its bucket (singly linked: the
 * chains are short, load factor <= 1 on distinct (hash, backend) pairs). */
static void ent_chain_unlink(struct route__pidx *x, uint32_t e, uint32_t b, uint64_t hash)
{
    uint32_t *link = &x->ebucket[ebucket_of(x, hash, b)];
    while (*link != 0 && *link != e + 1)
        link = &x->ent[*link - 1].chain_next;
    if (*link != 0)
        *link = x->ent[e].chain_next;
    x->ent[e].chain_next = 0;
}

static void key_release(struct route__pidx *x, uint32_t k)
{
    uint32_t *link = &x->kbucket[kbucket_of(x, x->key[k].hash)];
    while (*link != 0 && *link != k + 1)
        link = &x->key[*link - 1].chain_next;
    if (*link != 0)
        *link = x->key[k].chain_next;
    x->key[k].chain_next = x->key_free;
    x->key_free = k + 1;
}

/* Drop backend b's least recently used entry; returns its index. */
static uint32_t evict_lru(struct route__pidx *x, uint32_t b)
{
    uint32_t e = x->lru_tail[b] - 1, k = x->ent[e].key - 1;
    lru_unlink(x, b, e);
    ent_chain_unlink(x, e, b, x->key[k].hash);
    bits_of(x, k)[b >> 6] &= ~((uint64_t)1 << (b & 63u));
    if (--x->key[k].holders == 0)
        key_release(x, k); /* its bitset is all zero again */
    return e;
}

static uint32_t key_alloc(struct route__pidx *x, uint64_t hash)
{
    uint32_t k, *head;
    if (x->key_free != 0) {
        k = x->key_free - 1;
        x->key_free = x->key[k].chain_next;
    } else {
        k = x->key_fresh++; /* keys in use <= live entries <= n x cap */
        memset(bits_of(x, k), 0, (size_t)x->words * sizeof x->bits[0]);
    }
    head = &x->kbucket[kbucket_of(x, hash)];
    x->key[k].hash = hash;
    x->key[k].holders = 0;
    x->key[k].chain_next = *head;
    *head = k + 1;
    return k + 1;
}

/* Double both bucket tables (keeping the load factor <= 1) and relink every
 * live key and entry.  Chain order never changes an answer: lookups find
 * the one key of a hash and the one entry of a (key, backend).  On failure
 * the old tables stay (longer chains, same answers). */
static void grow_buckets(struct route__pidx *x)
{
    uint32_t nb = x->n_buckets * 2u;
    uint32_t *kb = calloc(nb, sizeof *kb), *eb = calloc(nb, sizeof *eb);
    if (kb == NULL || eb == NULL) {
        free(kb);
        free(eb);
        return;
    }
    free(x->kbucket);
    free(x->ebucket);
    x->kbucket = kb;
    x->ebucket = eb;
    x->n_buckets = nb;
    x->shift--;
    for (uint32_t k = 0; k < x->key_fresh; k++) {
        uint32_t *head;
        if (x->key[k].holders == 0)
            continue; /* on the free list */
        head = &x->kbucket[kbucket_of(x, x->key[k].hash)];
        x->key[k].chain_next = *head;
        *head = k + 1;
    }
    for (uint32_t e = 0; e < x->ent_fresh; e++) { /* entries are recycled, never freed */
        uint32_t *head =
            &x->ebucket[ebucket_of(x, x->key[x->ent[e].key - 1].hash, x->ent[e].backend)];
        x->ent[e].chain_next = *head;
        *head = e + 1;
    }
}

/* Room for one more entry and one more key: the arrays grow geometrically
 * with the blocks actually held (amortised O(1) per insert), so an index
 * costs memory in proportion to its use, not to n x capacity.  0, or -1
 * out of memory. */
static int reserve(struct route__pidx *x)
{
    if (x->ent_fresh == x->ent_cap) {
        uint32_t cap = x->ent_cap < MIN_GROW ? MIN_GROW : x->ent_cap;
        cap = cap > x->max_ent / 2u ? x->max_ent : cap * 2u;
        struct route__pidx_ent *ent = realloc(x->ent, (size_t)cap * sizeof *ent);
        struct route__pidx_key *key;
        uint64_t *bits;
        if (ent == NULL)
            return -1;
        x->ent = ent;
        key = realloc(x->key, (size_t)cap * sizeof *key);
        if (key == NULL)
            return -1;
        x->key = key;
        bits = realloc(x->bits, (size_t)cap * x->words * sizeof *bits);
        if (bits == NULL)
            return -1;
        x->bits = bits;
        x->ent_cap = cap;
    }
    if (x->ent_fresh >= x->n_buckets && x->shift > 64u - MAX_BUCKET_BITS)
        grow_buckets(x);
    return 0;
}

static void touch_or_add(struct route__pidx *x, uint32_t b, uint64_t hash)
{
    uint32_t k1 = key_find(x, hash), e, *head;
    if (k1 != 0) {
        uint32_t e1 = ent_find(x, k1, b);
        if (e1 != 0) {
            lru_unlink(x, b, e1 - 1);
            lru_push_front(x, b, e1 - 1);
            return;
        }
    }
    if (x->used[b] < x->cap) {
        if (reserve(x) < 0)
            return; /* out of memory: the block stays unindexed (a miss later) */
        e = x->ent_fresh++;
        x->used[b]++;
        x->ent[e].backend = b;
    } else {
        e = evict_lru(x, b); /* never k1's entry: b does not hold hash */
    }
    if (k1 == 0)
        k1 = key_alloc(x, hash);
    x->ent[e].key = k1;
    bits_of(x, k1 - 1)[b >> 6] |= (uint64_t)1 << (b & 63u);
    x->key[k1 - 1].holders++;
    head = &x->ebucket[ebucket_of(x, hash, b)];
    x->ent[e].chain_next = *head;
    *head = e + 1;
    lru_push_front(x, b, e);
}

void route__pidx_insert(struct route__pidx *x, uint32_t b, const uint64_t *blocks,
                        uint32_t n_blocks)
{
    uint32_t m = n_blocks < ROUTE__PIDX_MAX_BLOCKS ? n_blocks : ROUTE__PIDX_MAX_BLOCKS;
    if (blocks == NULL || b >= x->n)
        return;
    for (uint32_t j = m; j-- > 0;)
        touch_or_add(x, b, blocks[j]);
}

uint32_t route__pidx_match(struct route__pidx *x, const uint64_t *blocks, uint32_t n_blocks)
{
    uint32_t m = n_blocks < ROUTE__PIDX_MAX_BLOCKS ? n_blocks : ROUTE__PIDX_MAX_BLOCKS;
    uint32_t w = x->words;
    x->depth = 0;
    if (blocks == NULL)
        return 0;
    for (uint32_t j = 0; j < m; j++) {
        uint32_t k1 = key_find(x, blocks[j]);
        const uint64_t *kb, *prev;
        uint64_t *lv, any = 0;
        if (k1 == 0)
            break;
        kb = bits_of(x, k1 - 1);
        lv = x->level + (size_t)j * w;
        if (j == 0) {
            for (uint32_t i = 0; i < w; i++)
                any |= lv[i] = kb[i];
        } else {
            prev = lv - w;
            for (uint32_t i = 0; i < w; i++)
                any |= lv[i] = prev[i] & kb[i];
        }
        if (any == 0)
            break; /* nobody holds blocks 0..j */
        x->depth = j + 1;
    }
    return m;
}

/* The best-matching eligible backends of the last match: the deepest
 * level (holders of blocks 0..j) with an eligible backend; among those, the
 * fewest in flight, random ties.  Sets *len to the match (0 and returns
 * ROUTE_NONE when no eligible backend matches a block).  Walks set bits:
 * O(levels x words + holders visited). */
int32_t route__pidx_best_matched(const struct route__pidx *x, const struct route_view *view,
                                 const uint64_t *exclude, const struct route_env *env,
                                 uint32_t *len)
{
    for (uint32_t j = x->depth; j-- > 0;) {
        const uint64_t *set = route__pidx_level(x, j);
        int32_t best = ROUTE_NONE, min = 0;
        uint32_t ties = 0;
        for (uint32_t wi = 0; wi < x->words; wi++) {
            for (uint64_t word = set[wi]; word != 0; word &= word - 1) {
                uint32_t i = wi * 64u + (uint32_t)__builtin_ctzll(word);
                int32_t load;
                if (i >= view->n || !route__eligible(view, exclude, i))
                    continue;
                load = view->b[i].inflight;
                if (best < 0 || load < min) {
                    best = (int32_t)i;
                    min = load;
                    ties = 1;
                } else if (load == min && route_rand_below(env, ++ties) == 0) {
                    best = (int32_t)i;
                }
            }
        }
        if (best >= 0) {
            *len = j + 1;
            return best;
        }
    }
    *len = 0;
    return ROUTE_NONE;
}

void route__pidx_on_dispatch(void *state, uint32_t backend, const struct route_req *req,
                             const struct route_env *env)
{
    /* Both strategies' states begin with their index. */
    struct route__pidx *x = state;
    (void)env;
    if (req->n_blocks > 0)
        route__pidx_insert(x, backend, req->blocks, req->n_blocks);
}
