/*
 * rng.h - random streams for lbsim (prefix rng_).
 *
 * xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021) seeded through splitmix64.  It is ~4x
 * cheaper per exponential variate than GSL's mt19937 on our machines
 * (docs/notes/performance.md §2), and it is exposed as a gsl_rng_type so
 * that every gsl_ran_* distribution draws from it.
 *
 * Streams.  A run never shares one stream between purposes: each purpose
 * (arrivals, request sizes, router, ...) gets rng_stream(seed, purpose).
 * World draws that must not depend on the strategy (a request's latency on a
 * backend, whether an attempt faults) come from rng_keyed(), a stream
 * derived from (seed, purpose, request, backend, attempt): the same request
 * gets the same latency on the same backend whichever strategy sent it
 * there (common random numbers).
 *
 * All state is in struct rng; nothing global.  Not thread-safe per object.
 */
#ifndef LBSIM_RNG_H
#define LBSIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Purposes of the per-run streams. */
enum rng_purpose {
    RNG_ARRIVALS = 1,
    RNG_SIZES = 2,
    RNG_ROUTER = 3,
    RNG_LATENCY = 4,
    RNG_FAULTS = 5, /* per-attempt admission faults (429 storms), keyed per attempt */
    RNG_BACKOFF = 6,
    RNG_OUTPUT_RATE = 7,
    RNG_SESSIONS = 8, /* synthetic sessions: turns and think times */
    RNG_LABELS = 9,   /* synthetic labels by share (keyed per request or session) */
    RNG_SAMPLE = 10,  /* trace transform: which rows `sample` keeps */
    RNG_OUTAGES = 11, /* random outage schedules (keyed per backend) */
    RNG_CACHE = 12,   /* gateway response cache: synthetic repeats, semantic hits */
    RNG_PREEMPT = 13, /* spot preemptions and replacement stock-outs (keyed per slot) */
    RNG_STREAM = 14,  /* whether a request streams (traffic.stream), keyed per request */
};

static inline uint64_t rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A 64-bit finalizer (murmur3 fmix64) used to combine keys. */
static inline uint64_t rng_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

/* splitmix64's output for state x (the finalizer of rng_splitmix64). */
static inline uint64_t rng_splitmix64_out(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Four splitmix64 steps from seed.  Written out: step i's state is
 * seed + (i + 1) x the increment (mod 2^64), so the four finalizers are
 * independent and run side by side (the loop was not unrolled at -O2 and
 * chained them through x); the words are those of rng_splitmix64. */
static inline void rng_seed(struct rng *r, uint64_t seed)
{
    r->s[0] = rng_splitmix64_out(seed + 0x9E3779B97F4A7C15ull);
    r->s[1] = rng_splitmix64_out(seed + 2 * 0x9E3779B97F4A7C15ull);
    r->s[2] = rng_splitmix64_out(seed + 3 * 0x9E3779B97F4A7C15ull);
    r->s[3] = rng_splitmix64_out(seed + 4 * 0x9E3779B97F4A7C15ull);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1), 53 bits. */
static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1], 53 bits: safe for log(). */
static inline double rng_unit_pos(struct rng *r)
{
    return ((double)(rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

/* Unbiased integer in [0, n), n > 0 (Lemire, "Fast random integer
 * generation in an interval", ACM TOMACS 2019). */
uint32_t rng_below(struct rng *r, uint32_t n);

/* The stream for one purpose of one run. */
static inline void rng_stream(struct rng *r, uint64_t seed, uint64_t purpose)
{
    rng_seed(r, rng_mix64(seed ^ rng_mix64(purpose + 0x632BE59BD9B4E019ull)));
}

/* A stream keyed by (seed, purpose, a, b, c): e.g. (request, backend,
 * attempt).  Cheap enough to build per attempt (4 splitmix64 steps). */
/* The part of rng_keyed that depends on (seed, purpose) only: a run
 * computes it once per purpose and builds each stream with rng_keyed_at. */
static inline uint64_t rng_keyed_base(uint64_t seed, uint64_t purpose)
{
    return rng_mix64(seed ^ (purpose * 0x9E3779B97F4A7C15ull));
}

/* rng_keyed(r, seed, purpose, a, b, c) from base = rng_keyed_base(seed,
 * purpose): the same stream. */
static inline void rng_keyed_at(struct rng *r, uint64_t base, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = rng_mix64(base ^ a);
    h = rng_mix64(h ^ (b + 0x2545F4914F6CDD1Dull));
    h = rng_mix64(h ^ (c + 0x7F4A7C159E3779B9ull));
    rng_seed(r, h);
}

static inline void rng_keyed(struct rng *r, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b,
                             uint64_t c)
{
    rng_keyed_at(r, rng_keyed_base(seed, purpose), a, b, c);
}

/* The gsl_rng_type of xoshiro256** ("xoshiro256ss"). */
extern const gsl_rng_type *const rng_gsl_type;

/* Wrap an rng as a gsl_rng without allocation: the gsl_rng lives on the
 * caller's stack and draws from *r.  Valid while both live. */
static inline gsl_rng rng_as_gsl(struct rng *r)
{
    gsl_rng g;
    g.type = rng_gsl_type;
    g.state = r;
    return g;
}

#endif /* LBSIM_RNG_H */
