/*
 * rng.c - bounded integers and the gsl_rng_type of xoshiro256** (see rng.h).
 *
 * The generator itself is inline in rng.h (it is on the hot path of every
 * event); this file holds what is not: Lemire's bounded draw and the
 * adapter that lets gsl_ran_* draw from a struct rng.
 */
#include "rng.h"

#include <stddef.h>
#include <stdint.h>

uint32_t rng_below(struct rng *r, uint32_t n)
{
    /* Lemire 2019, Algorithm 5: multiply a 32-bit draw by n and keep the
     * high word; reject the (rare) low words below 2^32 mod n, which are
     * the only source of bias.  The modulo is computed only when the cheap
     * test l < n says a rejection is possible. */
    if (n == 0)
        return 0; /* contract says n > 0; avoid the division by zero below */
    uint64_t m = (rng_next(r) >> 32) * (uint64_t)n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n; /* 2^32 mod n */
        while (l < t) {
            m = (rng_next(r) >> 32) * (uint64_t)n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* GSL's type hooks take the state as void *; it is always a struct rng. */

static void xoshiro_gsl_set(void *state, unsigned long int seed)
{
    rng_seed(state, (uint64_t)seed);
}

/* The high 32 bits: xoshiro256**'s output is good in every bit, and a
 * 32-bit range keeps gsl_rng_uniform_int exact for every n it accepts and
 * lets gsl_ran_gaussian_ziggurat take its one-draw path (range >= 2^32-1). */
static unsigned long int xoshiro_gsl_get(void *state)
{
    return (unsigned long int)(rng_next(state) >> 32);
}

/* 53-bit doubles in [0, 1), exactly rng_unit(): GSL distributions call
 * this through gsl_rng_uniform, so they see the full double precision
 * rather than a 32-bit value. */
static double xoshiro_gsl_get_double(void *state)
{
    return rng_unit(state);
}

/* Largest value returned by xoshiro_gsl_get (the high 32 bits). */
#define XOSHIRO_GSL_MAX 0xFFFFFFFFul

static const gsl_rng_type xoshiro_gsl_type = {
    .name = "xoshiro256ss",
    .max = XOSHIRO_GSL_MAX,
    .min = 0,
    .size = sizeof(struct rng),
    .set = xoshiro_gsl_set,
    .get = xoshiro_gsl_get,
    .get_double = xoshiro_gsl_get_double,
};

const gsl_rng_type *const rng_gsl_type = &xoshiro_gsl_type;
