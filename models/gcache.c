/*
 * gcache.c - the gateway response cache: two LRU levels with TTLs, a
 * semantic hit probability, synthetic repeats.  See gcache.h.
 *
 * Each level is a fixed array of entries on an intrusive LRU list plus an
 * open-addressing index (linear probing, backward-shift deletion: Knuth,
 * TAOCP vol. 3, 6.4 Algorithm R), sized to a power of two at least twice
 * the capacity so probes stay short.  Expired entries are dropped lazily
 * when looked up or when they reach the LRU tail.
 */
#include "gcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIL   UINT32_MAX
#define EMPTY UINT32_MAX

struct entry {
    uint64_t key;
    int64_t expires_ns; /* INT64_MAX = never */
    uint32_t prev, next;
};

struct level {
    uint32_t cap, n;
    int64_t ttl_ns, latency_ns;
    struct entry *e;
    uint32_t head, tail, free_head; /* LRU: head = most recent */
    uint32_t *index;                /* slot -> entry, EMPTY */
    uint32_t mask;
};

struct gcache {
    struct gcache_cfg cfg;
    struct level l1, l2;
    uint64_t recent[GCACHE_RECENT];
    uint32_t n_recent, recent_pos;
    uint64_t next_fresh; /* synthetic keys: a counter mixed into a hash */
    struct gcache_stats st;
};

static uint32_t slot_of(const struct level *l, uint64_t key)
{
    return (uint32_t)rng_mix64(key) & l->mask;
}

static int level_init(struct level *l, uint32_t cap, int64_t ttl_ns, int64_t latency_ns)
{
    memset(l, 0, sizeof *l);
    l->cap = cap;
    l->ttl_ns = ttl_ns;
    l->latency_ns = latency_ns;
    l->head = l->tail = NIL;
    if (cap == 0)
        return 0;
    uint32_t size = 1;
    while (size < 2 * cap) {
        if (size > UINT32_MAX / 4)
            return -1;
        size *= 2;
    }
    l->mask = size - 1;
    l->e = malloc((size_t)cap * sizeof *l->e);
    l->index = malloc((size_t)size * sizeof *l->index);
    if (l->e == NULL || l->index == NULL)
        return -1;
    for (uint32_t i = 0; i < size; i++)
        l->index[i] = EMPTY;
    for (uint32_t i = 0; i < cap; i++)
        l->e[i].next = i + 1 < cap ? i + 1 : NIL;
    l->free_head = 0;
    return 0;
}

static void level_fini(struct level *l)
{
    free(l->e);
    free(l->index);
}

static uint32_t find_slot(const struct level *l, uint64_t key)
{
    for (uint32_t s = slot_of(l, key);; s = (s + 1) & l->mask) {
        uint32_t i = l->index[s];
        if (i == EMPTY || l->e[i].key == key)
            return s;
    }
}

static void lru_unlink(struct level *l, uint32_t i)
{
    struct entry *x = &l->e[i];
    if (x->prev != NIL)
        l->e[x->prev].next = x->next;
    else
        l->head = x->next;
    if (x->next != NIL)
        l->e[x->next].prev = x->prev;
    else
        l->tail = x->prev;
}

static void lru_push_front(struct level *l, uint32_t i)
{
    l->e[i].prev = NIL;
    l->e[i].next = l->head;
    if (l->head != NIL)
        l->e[l->head].prev = i;
    l->head = i;
    if (l->tail == NIL)
        l->tail = i;
}

/* Remove the index slot s (backward-shift deletion keeps probing valid). */
static void index_delete(struct level *l, uint32_t s)
{
    uint32_t hole = s;
    for (uint32_t j = (s + 1) & l->mask; l->index[j] != EMPTY; j = (j + 1) & l->mask) {
        uint32_t home = slot_of(l, l->e[l->index[j]].key);
        /* move j into the hole if its home is not in (hole, j] cyclically */
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            l->index[hole] = l->index[j];
            hole = j;
        }
    }
    l->index[hole] = EMPTY;
}

static void level_remove(struct level *l, uint32_t s)
{
    uint32_t i = l->index[s];
    lru_unlink(l, i);
    index_delete(l, s);
    l->e[i].next = l->free_head;
    l->free_head = i;
    l->n--;
}

/* 1 and the entry refreshed as most recent on a live hit; 0 on a miss
 * (an expired entry is removed and counted). */
static int level_get(struct level *l, uint64_t key, int64_t now_ns, uint64_t *expired)
{
    if (l->cap == 0)
        return 0;
    uint32_t s = find_slot(l, key);
    uint32_t i = l->index[s];
    if (i == EMPTY)
        return 0;
    if (l->e[i].expires_ns <= now_ns) {
        level_remove(l, s);
        (*expired)++;
        return 0;
    }
    lru_unlink(l, i);
    lru_push_front(l, i);
    return 1;
}

static void level_put(struct level *l, uint64_t key, int64_t now_ns, struct gcache_stats *st)
{
    if (l->cap == 0)
        return;
    int64_t exp = l->ttl_ns > 0 && now_ns <= INT64_MAX - l->ttl_ns ? now_ns + l->ttl_ns : INT64_MAX;
    uint32_t s = find_slot(l, key);
    uint32_t i = l->index[s];
    if (i != EMPTY) { /* refresh */
        l->e[i].expires_ns = exp;
        lru_unlink(l, i);
        lru_push_front(l, i);
        return;
    }
    if (l->n == l->cap) { /* evict the least recently used */
        uint32_t victim = l->tail;
        if (l->e[victim].expires_ns <= now_ns)
            st->expirations++;
        else
            st->evictions++;
        level_remove(l, find_slot(l, l->e[victim].key));
        s = find_slot(l, key);
    }
    i = l->free_head;
    l->free_head = l->e[i].next;
    l->e[i].key = key;
    l->e[i].expires_ns = exp;
    lru_push_front(l, i);
    l->index[s] = i;
    l->n++;
}

struct gcache *gcache_create(const struct gcache_cfg *cfg, char *err, size_t errlen)
{
    if (!(cfg->semantic_hit_rate >= 0 && cfg->semantic_hit_rate <= 1) ||
        !(cfg->repeat_rate >= 0 && cfg->repeat_rate <= 1) || cfg->l1_ttl_ns < 0 ||
        cfg->l2_ttl_ns < 0 || cfg->l1_latency_ns < 0 || cfg->l2_latency_ns < 0) {
        snprintf(err, errlen, "gateway cache: found rates outside [0, 1] or negative times");
        return NULL;
    }
    struct gcache *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "gateway cache: out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    if (level_init(&c->l1, cfg->l1_capacity, cfg->l1_ttl_ns, cfg->l1_latency_ns) != 0 ||
        level_init(&c->l2, cfg->l2_capacity, cfg->l2_ttl_ns, cfg->l2_latency_ns) != 0) {
        snprintf(err, errlen, "gateway cache: out of memory for %u + %u entries", cfg->l1_capacity,
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
