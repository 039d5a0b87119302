/*
 * reqslots.c - the request-slot pool and the per-request exclude sets.
 *
 * Requests in flight live in an array of slots recycled through a free
 * list, so memory is O(in-flight requests), not O(requests).  A slot's gen
 * outlives the request: events and queue entries that carry an older gen
 * are stale (lazy cancellation, sim_int.h).  Each slot has an exclude
 * bitset of ex_words words: the backends its router must not pick.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

/* Double the slots (the first call makes REQ_POOL_INITIAL); the new ones
 * go on the free list.  The array moves: pointers into it go stale. */
int sim__slots_grow(struct sim *s)
{
    uint32_t ncap = s->cap ? s->cap * 2 : REQ_POOL_INITIAL;
    if (ncap <= s->cap)
        return -1;
    struct req *nr = realloc(s->reqs, (size_t)ncap * sizeof *nr);
    if (nr == NULL)
        return -1;
    s->reqs = nr;
    uint64_t *ne = realloc(s->exclude, (size_t)ncap * s->ex_words * sizeof *ne);
    if (ne == NULL)
        return -1;
    s->exclude = ne;
    for (uint32_t i = s->cap; i < ncap; i++) {
        s->reqs[i].state = RS_FREE;
        s->reqs[i].gen = 0;
        s->reqs[i].blocks = NULL;
        s->reqs[i].partner = NO_SLOT;
        s->reqs[i].next_free = i + 1 < ncap ? i + 1 : UINT32_MAX;
    }
    s->free_head = s->cap;
    s->cap = ncap;
    return 0;
}

int sim__slot_take_grow(struct sim *s, uint32_t *idx)
{
    if (sim__slots_grow(s) != 0) {
        snprintf(s->err, s->errlen, "out of memory (request pool)");
        return -1;
    }
    *idx = s->free_head;
    s->free_head = s->reqs[*idx].next_free;
    return 0;
}

/* sim__exclude_init for more than one word (sim_int.h). */
void sim__exclude_init_words(struct sim *s, uint64_t *ex, const uint64_t *from)
{
    if (from != NULL)
        memcpy(ex, from, s->ex_words * sizeof *ex);
    else
        memset(ex, 0, s->ex_words * sizeof *ex);
}
