/*
 * test_base.c - unit tests of base/'s small containers and error helpers:
 * u64map (against a brute-force list), lru (against an array kept in
 * recency order), err (codes, messages, BASE_CHECK).  Random operation
 * sequences use fixed seeds, so every run checks the same cases.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "lru.h"
#include "rng.h"
#include "u64map.h"

/* Distinct keys of the random u64map runs: few enough that inserts and
 * deletes of the same keys alternate, many enough to grow the table from
 * 16 slots to 512. */
#define MAP_UNIVERSE 200u
#define MAP_OPS      200000u
#define LRU_ELEMS    64u
#define LRU_OPS      100000u

/* ---- u64map ----------------------------------------------------------- */

static void test_u64map_basic(void)
{
    struct u64map m;
    CHECK_INT_EQ(u64map_init(&m, 0), BASE_OK);
    CHECK_INT_EQ(m.mask + 1u, 16u);
    CHECK_INT_EQ(m.n, 0);
    CHECK_INT_EQ(u64map_get(&m, 0), U64MAP_NONE);
    /* Key 0 and keys differing only in the high or low half are ordinary. */
    uint64_t keys[] = {0, 1, (uint64_t)1 << 32, UINT64_MAX, 0x9E3779B97F4A7C15ull};
    for (uint32_t i = 0; i < 5; i++) {
        CHECK_INT_EQ(u64map_reserve1(&m), BASE_OK);
        u64map_put(&m, keys[i], i * 10u);
    }
    CHECK_INT_EQ(m.n, 5);
    for (uint32_t i = 0; i < 5; i++)
        CHECK_INT_EQ(u64map_get(&m, keys[i]), i * 10u);
    u64map_del(&m, keys[2]);
    u64map_del(&m, 12345); /* absent: no change */
    CHECK_INT_EQ(m.n, 4);
    CHECK_INT_EQ(u64map_get(&m, keys[2]), U64MAP_NONE);
    CHECK_INT_EQ(u64map_get(&m, keys[3]), 30u);
    u64map_fini(&m);
    u64map_fini(&m); /* twice is harmless */

    /* Sizing: load at most 1/2 for the entries asked for. */
    CHECK_INT_EQ(u64map_init(&m, 100), BASE_OK);
    CHECK(m.mask + 1u >= 202u);
    CHECK_INT_EQ(m.mask + 1u, 256u);
    u64map_fini(&m);
    CHECK_INT_EQ(u64map_init(&m, UINT32_MAX), BASE_ENOMEM);
    CHECK(m.keys == NULL && m.vals == NULL);
    u64map_fini(&m);
}

/* A run of random puts, deletes and lookups, checked after every step
 * against a plain array: value or U64MAP_NONE for each key of the
 * universe.  Keys are structured (index << 32 | small), as the pool's. */
static void test_u64map_random(uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    uint64_t key[MAP_UNIVERSE];
    uint32_t ref[MAP_UNIVERSE];
    for (uint32_t i = 0; i < MAP_UNIVERSE; i++) {
        key[i] = ((uint64_t)(i / 4u) << 32) | (i % 4u);
        ref[i] = U64MAP_NONE;
    }
    struct u64map m;
    CHECK_INT_EQ(u64map_init(&m, 0), BASE_OK);
    uint32_t n = 0, bad = 0, max_n = 0;
    for (uint32_t op = 0; op < MAP_OPS; op++) {
        uint32_t i = rng_below(&r, MAP_UNIVERSE);
        /* Insert-heavy at first, delete-heavy later, so the table fills
         * and empties (deletes then run through long probe runs). */
        uint32_t insert_pct = op < MAP_OPS / 2u ? 70u : 30u;
        if (rng_below(&r, 100) < insert_pct) {
            if (ref[i] == U64MAP_NONE) {
                if (u64map_reserve1(&m) != BASE_OK) {
                    bad++;
                    break;
                }
                ref[i] = op;
                u64map_put(&m, key[i], op);
                n++;
            }
        } else if (ref[i] != U64MAP_NONE) {
            u64map_del(&m, key[i]);
            ref[i] = U64MAP_NONE;
            n--;
        }
        if (n > max_n)
            max_n = n;
        if (m.n != n || 2u * m.n > m.mask + 1u)
            bad++;
        /* Every key agrees every few steps (all of them is quadratic). */
        if (op % 97u == 0 || op + 1 == MAP_OPS)
            for (uint32_t k = 0; k < MAP_UNIVERSE; k++)
                bad += u64map_get(&m, key[k]) != ref[k];
        else
            bad += u64map_get(&m, key[i]) != ref[i];
    }
    CHECK_INT_EQ(bad, 0);
    CHECK(max_n > MAP_UNIVERSE / 2u); /* the table did fill and grow */
    CHECK(m.mask + 1u >= 2u * max_n);
    u64map_fini(&m);
}

/* ---- lru -------------------------------------------------------------- */

/* The list read head to tail and tail to head must both equal want[0..n). */
static int lru_matches(const struct lru_list *l, const struct lru_link *link, const uint32_t *want,
                       uint32_t n)
{
    uint32_t i = l->head, k = 0;
    for (; i != LRU_NIL; i = link[i].next, k++)
        if (k >= n || i != want[k])
            return 0;
    if (k != n)
        return 0;
    for (i = l->tail; i != LRU_NIL; i = link[i].prev)
        if (k == 0 || i != want[--k])
            return 0;
    return k == 0;
}

/* Move want[pos] to the front of the reference order. */
static void ref_to_front(uint32_t *want, uint32_t pos)
{
    uint32_t x = want[pos];
    memmove(&want[1], &want[0], pos * sizeof *want);
    want[0] = x;
}

static void test_lru_basic(void)
{
    struct lru_link link[4];
    struct lru_list l;
    lru_list_init(&l);
    CHECK(l.head == LRU_NIL && l.tail == LRU_NIL);
    for (uint32_t i = 0; i < 4; i++)
        lru_push_front(&l, link, i); /* 3 2 1 0 */
    uint32_t w1[] = {3, 2, 1, 0};
    CHECK(lru_matches(&l, link, w1, 4));
    lru_touch(&l, link, 0); /* the tail to the front */
    lru_touch(&l, link, 0); /* already the head: no change */
    lru_touch(&l, link, 1);
    uint32_t w2[] = {1, 0, 3, 2};
    CHECK(lru_matches(&l, link, w2, 4));
    lru_unlink(&l, link, 3); /* middle */
    lru_unlink(&l, link, 2); /* tail */
    lru_unlink(&l, link, 1); /* head */
    uint32_t w3[] = {0};
    CHECK(lru_matches(&l, link, w3, 1));
    lru_unlink(&l, link, 0);
    CHECK(l.head == LRU_NIL && l.tail == LRU_NIL);
}

/* Random touches, evictions (unlink the tail, push it back as new) and
 * removals from anywhere, against an array in recency order: the eviction
 * order of both caches follows from this. */
static void test_lru_random(uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    struct lru_link link[LRU_ELEMS];
    uint32_t want[LRU_ELEMS];
    uint8_t on[LRU_ELEMS] = {0};
    struct lru_list l;
    lru_list_init(&l);
    uint32_t n = 0, bad = 0;
    for (uint32_t op = 0; op < LRU_OPS; op++) {
        uint32_t i = rng_below(&r, LRU_ELEMS);
        uint32_t what = rng_below(&r, 4);
        if (!on[i]) { /* insert */
            lru_push_front(&l, link, i);
            memmove(&want[1], &want[0], n * sizeof *want);
            want[0] = i;
            on[i] = 1;
            n++;
        } else if (what == 0) { /* remove from anywhere */
            uint32_t pos = 0;
            while (want[pos] != i)
                pos++;
            lru_unlink(&l, link, i);
            memmove(&want[pos], &want[pos + 1], (n - pos - 1) * sizeof *want);
            on[i] = 0;
            n--;
        } else if (what == 1) { /* evict the tail and reuse it at once */
            uint32_t v = l.tail;
            bad += v != want[n - 1];
            lru_unlink(&l, link, v);
            lru_push_front(&l, link, v);
            ref_to_front(want, n - 1);
        } else { /* touch */
            uint32_t pos = 0;
            while (want[pos] != i)
                pos++;
            lru_touch(&l, link, i);
            ref_to_front(want, pos);
        }
        bad += !lru_matches(&l, link, want, n);
    }
    CHECK_INT_EQ(bad, 0);
}

/* ---- err -------------------------------------------------------------- */

static int check_positive(int x)
{
    BASE_CHECK(x > 0, BASE_EINVAL);
    BASE_ASSERT(x > 0); /* holds here; compiled out under NDEBUG */
    return BASE_OK;
}

static void test_err(void)
{
    CHECK_INT_EQ(BASE_OK, 0);
    CHECK(BASE_EINVAL < 0 && BASE_ENOMEM < 0 && BASE_EPARSE < 0);
    CHECK_STR_CONTAINS(base_strerror(BASE_OK), "success");
    CHECK_STR_CONTAINS(base_strerror(BASE_ENOMEM), "out of memory");
    CHECK_STR_CONTAINS(base_strerror(BASE_ENOENT), "no such");
    CHECK_STR_CONTAINS(base_strerror(12345), "unknown error");
    /* Every code has its own message. */
#define T_CODE(name, value, msg) BASE_##name,
    int codes[] = {BASE_ERRNO_MAP(T_CODE)};
#undef T_CODE
    uint32_t nc = (uint32_t)(sizeof codes / sizeof codes[0]);
    for (uint32_t i = 0; i < nc; i++) {
        CHECK_INT_EQ(codes[i], -(int)i);
        for (uint32_t j = 0; j < i; j++)
            CHECK(strcmp(base_strerror(codes[i]), base_strerror(codes[j])) != 0);
    }

    char buf[16];
    memset(buf, 'x', sizeof buf);
    base_errf(buf, sizeof buf, "pool: %d of %s", 3, "four");
    CHECK(strcmp(buf, "pool: 3 of four") == 0);
    base_errf(buf, 8, "%s", "truncated message");
    CHECK(strcmp(buf, "truncat") == 0);
    memset(buf, 'x', sizeof buf);
    base_errf(buf, 0, "ignored");
    CHECK(buf[0] == 'x');
    base_errf(NULL, 64, "ignored"); /* no buffer: nothing written, no crash */

    CHECK_INT_EQ(check_positive(1), BASE_OK);
    CHECK_INT_EQ(check_positive(0), BASE_EINVAL);
}

int main(void)
{
    test_u64map_basic();
    test_u64map_random(1);
    test_u64map_random(0xC0FFEE);
    test_lru_basic();
    test_lru_random(7);
    test_lru_random(0xBEEF);
    test_err();
    return check_report("test_base");
}
