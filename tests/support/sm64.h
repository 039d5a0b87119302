/*
 * sm64.h - the test and benchmark random source: splitmix64 (Steele, Lea,
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), a
 * tiny, good 64-bit generator.  sm64_next has the route_rand_fn signature,
 * so a struct sm64 is also a route_env random source.  One copy for every
 * test and bench (the draws, and so every seeded expectation, are the
 * same as the copies it replaces).
 */
#ifndef LBSIM_TEST_SM64_H
#define LBSIM_TEST_SM64_H

#include <stdint.h>

struct sm64 {
    uint64_t s;
};

static inline uint64_t sm64_next(void *ctx)
{
    struct sm64 *g = ctx;
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A test-side integer in [0, n) (Lemire's multiply-shift on the high 32
 * bits): independent of the code under test. */
static inline uint32_t sm64_below(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

#endif /* LBSIM_TEST_SM64_H */
