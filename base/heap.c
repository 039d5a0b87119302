/*
 * heap.c - 4-ary min-heap ordered by (t_ns, seq), keys and payloads apart.
 *
 * Layout (LaMarca and Ladner, "The influence of caches on the performance
 * of heaps", JEA 1996): the children of node i are 4i+1 .. 4i+4.  Two
 * parallel arrays: the 16-byte keys, which every comparison reads, and the
 * 16-byte payloads, which only move.  Each array starts HEAP_PAD entries
 * after a HEAP_ALIGN-byte boundary, so the four keys of a sibling quad sit
 * in one 64-byte cache line.  h->key and h->pay point at element 0; their
 * allocations start HEAP_PAD entries earlier.
 *
 * A key stores t_ns with its sign bit flipped in the high half and seq in
 * the low half, so the (t_ns, seq) order is the unsigned order of the key
 * and a comparison is one 128-bit compare with no arithmetic
 * (docs/notes/performance.md §2).  The minimum of four children is a
 * tournament of two independent pairs with a branch-free compare
 * (docs/notes/performance.md §5).
 *
 * Removals sift bottom-up (R. W. Floyd, "Algorithm 245: Treesort 3", CACM
 * 7(12) 1964; I. Wegener, "Bottom-up heapsort", TCS 118 1993): the hole at
 * the root follows the smaller child down to a leaf, three comparisons per
 * level, and the element to place then climbs back from there.  The element
 * placed by a removal is the last leaf and the one placed by replace_top is
 * a new event, later than the current time: both usually belong near the
 * bottom, so the climb is short and the fourth comparison per level of a
 * top-down sift (the child against the element) is saved
 * (docs/notes/performance.md §8).
 */
#include "heap.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a sibling quad of keys (4 x 16 B): one cache line. */
#define HEAP_ALIGN 64u
/* Entries before element 0, so that element 1 (the first quad) is aligned. */
#define HEAP_PAD 3u
/* Keys after the last element that hold HEAP_KEY_MAX, so that every node
 * with a child has a full quad of children: the sift needs no partial-quad
 * case, and tiny heaps (the M/M/c engine has about c pending) take the same
 * branch-free path. */
#define HEAP_TAIL 3u
/* Capacity when the caller has no hint (events; 2 KiB). */
#define HEAP_DEFAULT_CAP 64u
/* Largest capacity (16 GiB of events): keeps the child index 4i + 4 of
 * every node within uint32_t. */
#define HEAP_MAX_CAP (UINT32_C(1) << 29)
/* The sign bit of t_ns, flipped so that the int64 order of times is the
 * unsigned order of the key's high half. */
#define HEAP_SIGN (UINT64_C(1) << 63)

#ifdef __SIZEOF_INT128__
/* (t_ns, seq) as one unsigned 128-bit key: a single cmp/sbb, no branch. */
__extension__ typedef unsigned __int128 heap_key;

static inline heap_key heap_mkkey(int64_t t_ns, uint64_t seq)
{
    return (heap_key)((uint64_t)t_ns ^ HEAP_SIGN) << 64 | seq;
}

static inline int heap_kless(heap_key a, heap_key b)
{
    return a < b;
}

static inline int64_t heap_key_t(heap_key k)
{
    return (int64_t)((uint64_t)(k >> 64) ^ HEAP_SIGN);
}

static inline uint64_t heap_key_seq(heap_key k)
{
    return (uint64_t)k;
}

/* Above every event's key: seq never reaches 2^64 - 1. */
#define HEAP_KEY_MAX (~(heap_key)0)
#else
/* Portable fallback: both comparisons computed and combined bitwise, which
 * compilers turn into setcc rather than unpredictable jumps. */
typedef struct {
    uint64_t hi, lo;
} heap_key;

static inline heap_key heap_mkkey(int64_t t_ns, uint64_t seq)
{
    return (heap_key){(uint64_t)t_ns ^ HEAP_SIGN, seq};
}

static inline int heap_kless(heap_key a, heap_key b)
{
    return (a.hi < b.hi) | ((a.hi == b.hi) & (a.lo < b.lo));
}

static inline int64_t heap_key_t(heap_key k)
{
    return (int64_t)(k.hi ^ HEAP_SIGN);
}

static inline uint64_t heap_key_seq(heap_key k)
{
    return k.lo;
}

/* Above every event's key: seq never reaches 2^64 - 1. */
#define HEAP_KEY_MAX ((heap_key){UINT64_MAX, UINT64_MAX})
#endif

_Static_assert(sizeof(heap_key) == 16 && sizeof(struct heap__pay) == 16,
               "a sibling quad of keys or payloads is 64 bytes");

/* An aligned block for cap entries of 16 B (plus the pad and the tail),
 * rounded up to a whole number of HEAP_ALIGN blocks as aligned_alloc
 * requires; points at element 0.  NULL on failure or overflow. */
static void *heap_alloc(uint32_t cap)
{
    size_t recs = (size_t)cap + HEAP_PAD + HEAP_TAIL;
    if (recs > (SIZE_MAX - HEAP_ALIGN) / 16)
        return NULL;
    size_t bytes = (recs * 16 + HEAP_ALIGN - 1) / HEAP_ALIGN * HEAP_ALIGN;
    unsigned char *base = aligned_alloc(HEAP_ALIGN, bytes);
    return base ? base + HEAP_PAD * 16 : NULL;
}

static void heap_free(void *p)
{
    if (p)
        free((unsigned char *)p - HEAP_PAD * 16);
}

static void heap_fill_max(heap_key *key, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        key[i] = HEAP_KEY_MAX;
}

int heap_init(struct heap *h, uint32_t cap_hint)
{
    uint32_t cap = HEAP_DEFAULT_CAP;
    if (cap_hint > HEAP_MAX_CAP)
        cap_hint = HEAP_MAX_CAP;
    while (cap < cap_hint)
        cap *= 2;
    memset(h, 0, sizeof *h);
    h->key = heap_alloc(cap);
    h->pay = heap_alloc(cap);
    if (!h->key || !h->pay) {
        heap_fini(h);
        return -1;
    }
    heap_fill_max(h->key, 0, cap + HEAP_TAIL);
    h->cap = cap;
    return 0;
}

void heap_fini(struct heap *h)
{
    heap_free(h->key);
    heap_free(h->pay);
    h->key = NULL;
    h->pay = NULL;
    h->n = h->cap = 0;
}

static int heap_grow(struct heap *h)
{
    if (h->cap >= HEAP_MAX_CAP)
        return -1;
    uint32_t cap = h->cap ? h->cap * 2 : HEAP_DEFAULT_CAP;
    heap_key *key = heap_alloc(cap);
    struct heap__pay *pay = heap_alloc(cap);
    if (!key || !pay) {
        heap_free(key);
        heap_free(pay);
        return -1;
    }
    /* No aligned realloc exists: copy, then release the old blocks. */
    if (h->n) {
        memcpy(key, h->key, (size_t)h->n * sizeof *key);
        memcpy(pay, h->pay, (size_t)h->n * sizeof *pay);
    }
    heap_fill_max(key, h->n, (size_t)cap + HEAP_TAIL);
    heap_free(h->key);
    heap_free(h->pay);
    h->key = key;
    h->pay = pay;
    h->cap = cap;
    return 0;
}

/* Refresh h->top from element 0 of a non-empty heap. */
static inline void heap_set_top(struct heap *h, heap_key k, struct heap__pay p)
{
    h->top.t_ns = heap_key_t(k);
    h->top.seq = heap_key_seq(k);
    h->top.kind = p.kind;
    h->top.idx = p.idx;
    h->top.gen = p.gen;
    h->top.aux = p.aux;
}

static inline struct heap__pay heap_pay_of(const struct heap_ev *e)
{
    return (struct heap__pay){e->kind, e->idx, e->gen, e->aux};
}

int heap_push(struct heap *h, struct heap_ev e)
{
    if (h->n == h->cap && heap_grow(h) != 0)
        return -1;
    e.seq = h->next_seq++;
    heap_key *key = h->key;
    struct heap__pay *pay = h->pay;
    heap_key k = heap_mkkey(e.t_ns, e.seq);
    uint32_t i = h->n++;
    /* e has the largest seq so far: it stops below any parent with an
     * equal time, which is what makes equal times FIFO. */
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!heap_kless(k, key[p]))
            break;
        key[i] = key[p];
        pay[i] = pay[p];
        i = p;
    }
    key[i] = k;
    pay[i] = heap_pay_of(&e);
    if (i == 0)
        h->top = e;
    return 0;
}

/* Offset (0..3) of the smallest of the four keys at q, branch-free: the
 * winners of two independent pairs, then the final.  The winners' keys are
 * selected in registers rather than loaded again by index, which keeps a
 * load off the chain each level of a sift waits on (a few more
 * instructions, fewer cycles: docs/notes/performance.md §8). */
static inline size_t heap_min4(const heap_key *q)
{
    heap_key k0 = q[0], k1 = q[1], k2 = q[2], k3 = q[3];
    size_t a = (size_t)heap_kless(k1, k0);
    size_t b = 2 + (size_t)heap_kless(k3, k2);
    heap_key ka = a ? k1 : k0;
    heap_key kb = b == 3 ? k3 : k2;
    size_t mask = (size_t)0 - (size_t)heap_kless(kb, ka);
    return a ^ ((a ^ b) & mask);
}

/* The same by reloading the winners: fewer instructions, for a heap of one
 * level (the M/M/c engine holds about c events), where no chain of levels
 * waits on it. */
static inline size_t heap_min4_short(const heap_key *q)
{
    size_t a = (size_t)heap_kless(q[1], q[0]);
    size_t b = 2 + (size_t)heap_kless(q[3], q[2]);
    size_t mask = (size_t)0 - (size_t)heap_kless(q[b], q[a]);
    return a ^ ((a ^ b) & mask);
}

/* Fill the hole at the root of the n-element heap with (xk, xp), bottom-up:
 * the hole follows the smaller child down to a leaf, then (xk, xp) climbs
 * from there to its place.  Refreshes h->top.  Indices are size_t so the
 * address arithmetic needs no widening. */
static inline void heap_sift_root(struct heap *h, size_t n, heap_key xk, struct heap__pay xp)
{
    heap_key *key = h->key;
    struct heap__pay *pay = h->pay;
    size_t i = 0;
    size_t c = 1;
    if (n <= 5) { /* one level: the root's quad, or nothing */
        if (n > 1) {
            i = 1 + heap_min4_short(key + 1);
            key[0] = key[i];
            pay[0] = pay[i];
        }
        c = n;
    }
    while (c < n) { /* a full quad, thanks to the HEAP_KEY_MAX tail */
        size_t m = c + heap_min4(key + c);
        key[i] = key[m];
        pay[i] = pay[m];
        i = m;
        c = 4 * i + 1;
    }
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!heap_kless(xk, key[p]))
            break;
        key[i] = key[p];
        pay[i] = pay[p];
        i = p;
    }
    key[i] = xk;
    pay[i] = xp;
    heap_set_top(h, key[0], pay[0]);
}

bool heap_pop(struct heap *h, struct heap_ev *out)
{
    if (h->n == 0)
        return false;
    *out = h->top;
    heap_drop_top(h);
    return true;
}

void heap_drop_top(struct heap *h)
{
    uint32_t n = --h->n;
    if (n > 0) { /* the last element fills the hole the minimum leaves */
        heap_key *key = h->key;
        struct heap__pay *pay = h->pay;
        heap_key last = key[n];
        key[n] = HEAP_KEY_MAX; /* the tail grows by the slot it leaves */
        heap_sift_root(h, n, last, pay[n]);
    } else {
        ((heap_key *)h->key)[0] = HEAP_KEY_MAX;
    }
}

void heap_replace_top(struct heap *h, struct heap_ev e)
{
    e.seq = h->next_seq++;
    heap_sift_root(h, h->n, heap_mkkey(e.t_ns, e.seq), heap_pay_of(&e));
}
