/*
 * gcache.c - the gateway response cache: two LRU levels with TTLs, a
 * semantic hit probability, synthetic repeats.  See gcache.h.
 *
 * Each level is a fixed array of entries on an intrusive LRU list
 * (base/lru.h) plus an open-addressing index from key to entry
 * (base/u64map.h: linear probing, backward-shift deletion, at most half
 * full).  Expired entries are dropped lazily when looked up or when they
 * reach the LRU tail.
 */
#include "gcache.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lru.h"
#include "u64map.h"

struct entry {
    uint64_t key;
    int64_t expires_ns; /* INT64_MAX = never */
};

struct level {
    uint32_t cap, n;
    int64_t ttl_ns, latency_ns;
    struct entry *e;
    struct lru_link *link; /* recency links of e[], and the free list (next) */
    struct lru_list lru;   /* head = most recent */
    uint32_t free_head;    /* free entries, linked through link[].next */
    struct u64map index;   /* key -> entry */
};

struct gcache {
    struct gcache_cfg cfg;
    struct level l1, l2;
    uint64_t recent[GCACHE_RECENT];
    uint32_t n_recent, recent_pos;
    uint64_t next_fresh; /* synthetic keys: a counter mixed into a hash */
    struct gcache_stats st;
};

static int level_init(struct level *l, uint32_t cap, int64_t ttl_ns, int64_t latency_ns)
{
    memset(l, 0, sizeof *l);
    l->cap = cap;
    l->ttl_ns = ttl_ns;
    l->latency_ns = latency_ns;
    lru_list_init(&l->lru);
    if (cap == 0)
        return 0;
    l->e = malloc((size_t)cap * sizeof *l->e);
    l->link = malloc((size_t)cap * sizeof *l->link);
    if (l->e == NULL || l->link == NULL || u64map_init(&l->index, cap) != BASE_OK)
        return -1;
    for (uint32_t i = 0; i < cap; i++)
        l->link[i].next = i + 1 < cap ? i + 1 : LRU_NIL;
    l->free_head = 0;
    return 0;
}

static void level_fini(struct level *l)
{
    free(l->e);
    free(l->link);
    u64map_fini(&l->index);
}

/* Drop entry i (on the LRU list and in the index) onto the free list. */
static void level_remove(struct level *l, uint32_t i)
{
    lru_unlink(&l->lru, l->link, i);
    u64map_del(&l->index, l->e[i].key);
    l->link[i].next = l->free_head;
    l->free_head = i;
    l->n--;
}

/* 1 and the entry refreshed as most recent on a live hit; 0 on a miss
 * (an expired entry is removed and counted). */
static int level_get(struct level *l, uint64_t key, int64_t now_ns, uint64_t *expired)
{
    if (l->cap == 0)
        return 0;
    uint32_t i = u64map_get(&l->index, key);
    if (i == U64MAP_NONE)
        return 0;
    if (l->e[i].expires_ns <= now_ns) {
        level_remove(l, i);
        (*expired)++;
        return 0;
    }
    lru_touch(&l->lru, l->link, i);
    return 1;
}

static void level_put(struct level *l, uint64_t key, int64_t now_ns, struct gcache_stats *st)
{
    if (l->cap == 0)
        return;
    int64_t exp = l->ttl_ns > 0 && now_ns <= INT64_MAX - l->ttl_ns ? now_ns + l->ttl_ns : INT64_MAX;
    uint32_t i = u64map_get(&l->index, key);
    if (i != U64MAP_NONE) { /* refresh */
        l->e[i].expires_ns = exp;
        lru_touch(&l->lru, l->link, i);
        return;
    }
    if (l->n == l->cap) { /* evict the least recently used */
        uint32_t victim = l->lru.tail;
        if (l->e[victim].expires_ns <= now_ns)
            st->expirations++;
        else
            st->evictions++;
        level_remove(l, victim);
    }
    i = l->free_head;
    l->free_head = l->link[i].next;
    l->e[i].key = key;
    l->e[i].expires_ns = exp;
    lru_push_front(&l->lru, l->link, i);
    u64map_put(&l->index, key, i);
    l->n++;
}

struct gcache *gcache_create(const struct gcache_cfg *cfg, char *err, size_t errlen)
{
    if (!(cfg->semantic_hit_rate >= 0 && cfg->semantic_hit_rate <= 1) ||
        !(cfg->repeat_rate >= 0 && cfg->repeat_rate <= 1) || cfg->l1_ttl_ns < 0 ||
        cfg->l2_ttl_ns < 0 || cfg->l1_latency_ns < 0 || cfg->l2_latency_ns < 0) {
        base_errf(err, errlen, "gateway cache: found rates outside [0, 1] or negative times");
        return NULL;
    }
    struct gcache *c = calloc(1, sizeof *c);
    if (c == NULL) {
        base_errf(err, errlen, "gateway cache: out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    if (level_init(&c->l1, cfg->l1_capacity, cfg->l1_ttl_ns, cfg->l1_latency_ns) != 0 ||
        level_init(&c->l2, cfg->l2_capacity, cfg->l2_ttl_ns, cfg->l2_latency_ns) != 0) {
        base_errf(err, errlen, "gateway cache: out of memory for %u + %u entries", cfg->l1_capacity,
                  cfg->l2_capacity);
        gcache_destroy(c);
        return NULL;
    }
    return c;
}

void gcache_destroy(struct gcache *c)
{
    if (c == NULL)
        return;
    level_fini(&c->l1);
    level_fini(&c->l2);
    free(c);
}

uint64_t gcache_key(struct gcache *c, uint64_t key, struct rng *r)
{
    double u = rng_unit(r); /* drawn always: a fixed draw count per request */
    if (key == 0) {
        if (c->n_recent > 0 && u < c->cfg.repeat_rate)
            key = c->recent[rng_below(r, c->n_recent)];
        else
            key = rng_mix64(++c->next_fresh ^ 0xC0FFEE0DDF00DULL) | 1u; /* fresh, non-zero */
    }
    c->recent[c->recent_pos] = key;
    c->recent_pos = (c->recent_pos + 1) % GCACHE_RECENT;
    if (c->n_recent < GCACHE_RECENT)
        c->n_recent++;
    return key;
}

enum gcache_result gcache_lookup(struct gcache *c, uint64_t key, int64_t now_ns, struct rng *r,
                                 int64_t *latency_ns)
{
    c->st.lookups++;
    double u = rng_unit(r); /* the semantic draw, taken on every lookup */
    if (level_get(&c->l1, key, now_ns, &c->st.expirations)) {
        c->st.l1_hits++;
        *latency_ns = c->l1.latency_ns;
        return GCACHE_L1;
    }
    if (level_get(&c->l2, key, now_ns, &c->st.expirations)) {
        c->st.l2_hits++;
        level_put(&c->l1, key, now_ns, &c->st); /* promote */
        *latency_ns = c->l2.latency_ns;
        return GCACHE_L2;
    }
    if (u < c->cfg.semantic_hit_rate) {
        c->st.semantic_hits++;
        *latency_ns = c->l2.latency_ns;
        return GCACHE_SEMANTIC;
    }
    return GCACHE_MISS;
}

void gcache_insert(struct gcache *c, uint64_t key, int64_t now_ns)
{
    c->st.inserts++;
    level_put(&c->l1, key, now_ns, &c->st);
    level_put(&c->l2, key, now_ns, &c->st);
}

const struct gcache_stats *gcache_stats(const struct gcache *c)
{
    return &c->st;
}
