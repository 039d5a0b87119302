/*
 * rand.c - random helpers over the caller's source (route_env.rand): an
 * unbiased integer below n (32 and 64 bits) and a uniform double.  route/
 * never owns a generator or picks a seed.
 */
#include "route_int.h"

/* 2^-53: scales 53 random bits into [0, 1) (every double in [0, 1) that is a
 * multiple of 2^-53, equally likely). */
static const double RAND_UNIT_SCALE = 0x1.0p-53;

static uint64_t draw64(const struct route_env *env)
{
    return (*env->rand)(env->rand_ctx);
}

/*
 * Lemire, "Fast Random Integer Generation in an Interval" (ACM TOMACS 2019):
 * multiply 32 random bits by n and keep the high half; reject the few low
 * halves below 2^32 mod n so every result is equally likely.  The high 32
 * bits of each draw are used (the better bits of weak generators).
 */
uint32_t route_rand_below(const struct route_env *env, uint32_t n)
{
    uint64_t m;
    uint32_t low;
    if (n == 0)
        return 0; /* contract violation: no valid answer, do not loop */
    m = (draw64(env) >> 32) * (uint64_t)n;
    low = (uint32_t)m;
    if (low < n) {
        /* 2^32 mod n, Lemire's rejection threshold (not a bounding step). */
        uint32_t threshold = (0u - n) % n;
        while (low < threshold) {
            m = (draw64(env) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double route_rand_unit(const struct route_env *env)
{
    return (double)(draw64(env) >> 11) * RAND_UNIT_SCALE;
}

/* For bounds above 32 bits: mask to the next power of two and reject,
 * fewer than 2 draws on average. */
uint64_t route__rand_below64(const struct route_env *env, uint64_t n)
{
    uint64_t mask, x;
    if (n <= UINT32_MAX)
        return n == 0 ? 0 : route_rand_below(env, (uint32_t)n);
    mask = n - 1;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    do {
        x = draw64(env) & mask;
    } while (x >= n);
    return x;
}
