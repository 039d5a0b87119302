/*
 * lru.h - an intrusive doubly-linked recency list over array indexes
 * (prefix lru_).
 *
 * The caller owns an array of elements and a parallel array of struct
 * lru_link; the list threads uint32_t indexes through those links and
 * allocates nothing.  head is the most recently used element, tail the
 * least (the next victim).  Lookup by key is the caller's business (the
 * pool's prefix cache and the gateway cache pair it with a u64map).
 *
 * All operations are O(1) and inline.
 */
#ifndef LBSIM_LRU_H
#define LBSIM_LRU_H

#include <stdint.h>

#define LRU_NIL UINT32_MAX /* no element */

struct lru_link {
    uint32_t prev, next; /* LRU_NIL at the ends */
};

struct lru_list {
    uint32_t head, tail; /* most and least recently used, LRU_NIL when empty */
};

static inline void lru_list_init(struct lru_list *l)
{
    l->head = l->tail = LRU_NIL;
}

/* Take element i (on the list) out of it; its link is left stale. */
static inline void lru_unlink(struct lru_list *l, struct lru_link *link, uint32_t i)
{
    if (link[i].prev != LRU_NIL)
        link[link[i].prev].next = link[i].next;
    else
        l->head = link[i].next;
    if (link[i].next != LRU_NIL)
        link[link[i].next].prev = link[i].prev;
    else
        l->tail = link[i].prev;
}

/* Put element i (not on the list) at the head: most recently used. */
static inline void lru_push_front(struct lru_list *l, struct lru_link *link, uint32_t i)
{
    link[i].prev = LRU_NIL;
    link[i].next = l->head;
    if (l->head != LRU_NIL)
        link[l->head].prev = i;
    l->head = i;
    if (l->tail == LRU_NIL)
        l->tail = i;
}

/* Mark element i (on the list) most recently used. */
static inline void lru_touch(struct lru_list *l, struct lru_link *link, uint32_t i)
{
    if (l->head != i) {
        lru_unlink(l, link, i);
        lru_push_front(l, link, i);
    }
}

#endif /* LBSIM_LRU_H */
