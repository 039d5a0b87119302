/*
 * test_gcache.c - the gateway response cache: LRU order, TTL expiry, L2
 * promotion, semantic hit rate, synthetic repeats, and a randomised
 * comparison of the hash index against a plain reference list.
 */
#include <stdlib.h>
#include <string.h>

#include "gcache.h"
#include "check.h"

#define S 1000000000LL

/* A reference LRU: keys[0] most recent, with expiry times. */
struct ref {
    uint64_t key[64];
    int64_t exp[64];
    uint32_t n, cap;
};

static int ref_get(struct ref *r, uint64_t key, int64_t now)
{
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->key[i] != key)
            continue;
        uint64_t k = r->key[i];
        int64_t e = r->exp[i];
        memmove(&r->key[1], &r->key[0], i * sizeof r->key[0]);
        memmove(&r->exp[1], &r->exp[0], i * sizeof r->exp[0]);
        if (e <= now) { /* expired: drop it */
            memmove(&r->key[0], &r->key[1], (r->n - 1) * sizeof r->key[0]);
            memmove(&r->exp[0], &r->exp[1], (r->n - 1) * sizeof r->exp[0]);
            r->n--;
            return 0;
        }
        r->key[0] = k;
        r->exp[0] = e;
        return 1;
    }
    return 0;
}

static void ref_put(struct ref *r, uint64_t key, int64_t exp)
{
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->key[i] == key) {
            memmove(&r->key[1], &r->key[0], i * sizeof r->key[0]);
            memmove(&r->exp[1], &r->exp[0], i * sizeof r->exp[0]);
            r->key[0] = key;
            r->exp[0] = exp;
            return;
        }
    }
    if (r->n == r->cap)
        r->n--; /* evict the tail */
    memmove(&r->key[1], &r->key[0], r->n * sizeof r->key[0]);
    memmove(&r->exp[1], &r->exp[0], r->n * sizeof r->exp[0]);
    r->key[0] = key;
    r->exp[0] = exp;
    r->n++;
}

int main(void)
{
    char err[256];
    struct rng r;
    rng_seed(&r, 42);
    int64_t lat = 0;

    /* L1 only: LRU order and TTL */
    struct gcache_cfg cfg = {.l1_capacity = 3, .l1_ttl_ns = 10 * S, .l1_latency_ns = 1000};
    struct gcache *c = gcache_create(&cfg, err, sizeof err);
    CHECK(c != NULL);
    CHECK_INT_EQ(gcache_lookup(c, 1, 0, &r, &lat), GCACHE_MISS);
    gcache_insert(c, 1, 0);
    gcache_insert(c, 2, 0);
    gcache_insert(c, 3, 0);
    CHECK_INT_EQ(gcache_lookup(c, 1, S, &r, &lat), GCACHE_L1); /* 1 is now most recent */
    CHECK_INT_EQ(lat, 1000);
    gcache_insert(c, 4, S); /* evicts 2, the least recently used */
    CHECK_INT_EQ(gcache_lookup(c, 2, S, &r, &lat), GCACHE_MISS);
    CHECK_INT_EQ(gcache_lookup(c, 3, S, &r, &lat), GCACHE_L1);
    CHECK_INT_EQ(gcache_lookup(c, 1, 10 * S, &r, &lat), GCACHE_MISS); /* inserted at 0: expired */
    CHECK_INT_EQ(gcache_lookup(c, 4, 10 * S, &r, &lat), GCACHE_L1);   /* inserted at 1 s */
    CHECK_INT_EQ(gcache_stats(c)->evictions, 1);
    CHECK_INT_EQ(gcache_stats(c)->expirations, 1);
    gcache_destroy(c);

    /* L2 promotion and latency */
    cfg = (struct gcache_cfg){
        .l1_capacity = 1, .l1_latency_ns = 10, .l2_capacity = 100, .l2_latency_ns = 5000};
    c = gcache_create(&cfg, err, sizeof err);
    gcache_insert(c, 7, 0);
    gcache_insert(c, 8, 0); /* pushes 7 out of L1, keeps it in L2 */
    CHECK_INT_EQ(gcache_lookup(c, 7, 1, &r, &lat), GCACHE_L2);
    CHECK_INT_EQ(lat, 5000);
    CHECK_INT_EQ(gcache_lookup(c, 7, 2, &r, &lat), GCACHE_L1); /* promoted */
    gcache_destroy(c);

    /* semantic hits at their rate (4 binomial sd) */
    cfg = (struct gcache_cfg){.l2_latency_ns = 7, .semantic_hit_rate = 0.3};
    c = gcache_create(&cfg, err, sizeof err);
    int hits = 0, n = 100000;
    for (int i = 0; i < n; i++)
        hits += gcache_lookup(c, (uint64_t)i + 1, 0, &r, &lat) == GCACHE_SEMANTIC;
    CHECK_NEAR((double)hits / n, 0.3, 4 * sqrt(0.3 * 0.7 / n));
    gcache_destroy(c);

    /* synthetic repeats: keyless requests repeat a recent prompt at the rate */
    cfg = (struct gcache_cfg){.l1_capacity = 100000, .repeat_rate = 0.25};
    c = gcache_create(&cfg, err, sizeof err);
    int rep = 0;
    for (int i = 0; i < n; i++) {
        uint64_t k = gcache_key(c, 0, &r);
        CHECK(k != 0);
        if (gcache_lookup(c, k, i, &r, &lat) != GCACHE_MISS)
            rep++;
        else
            gcache_insert(c, k, i);
    }
    CHECK_NEAR((double)rep / n, 0.25, 0.01);
    CHECK_INT_EQ(gcache_key(c, 12345, &r), 12345); /* trace keys pass through */
    gcache_destroy(c);

    /* randomised: index + LRU + TTL against the reference */
    for (uint32_t cap = 1; cap <= 40; cap += 13) {
        cfg = (struct gcache_cfg){.l1_capacity = cap, .l1_ttl_ns = 50};
        c = gcache_create(&cfg, err, sizeof err);
        struct ref ref = {.cap = cap};
        int mismatches = 0;
        for (int64_t t = 0; t < 200000; t++) {
            uint64_t key = 1 + rng_below(&r, 3 * cap + 2);
            if (rng_below(&r, 2)) {
                int got = gcache_lookup(c, key, t, &r, &lat) == GCACHE_L1;
                mismatches += got != ref_get(&ref, key, t);
            } else {
                gcache_insert(c, key, t);
                ref_put(&ref, key, t + 50);
            }
        }
        CHECK_INT_EQ(mismatches, 0);
        gcache_destroy(c);
    }

    /* bad configuration */
    cfg = (struct gcache_cfg){.semantic_hit_rate = 1.5};
    CHECK(gcache_create(&cfg, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "gateway cache");
    return check_report("test_gcache");
}
