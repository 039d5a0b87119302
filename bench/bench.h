/*
 * bench.h - what every benchmark measures with (prefix bench_): the
 * monotonic wall clock, the best of N timed repetitions, and the peak
 * resident set.  Wall-clock reads belong in bench/ and sim/cli/ only, never
 * in the libraries or the tests (machines are noisy: the benchmarks print
 * their figures and targets, they do not fail on them).
 *
 * Header-only (static inline): each benchmark is one translation unit.
 */
#ifndef LBSIM_BENCH_H
#define LBSIM_BENCH_H

#include <math.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* Seconds on the monotonic clock (an arbitrary origin: take differences). */
static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of N: the shortest of the timed repetitions, the one least
 * disturbed by the rest of the machine.  bench_start() before each
 * repetition, bench_stop() after it. */
struct bench_timer {
    double t0;     /* start of the current repetition */
    double best_s; /* shortest so far (INFINITY before the first) */
    int runs;      /* repetitions timed */
};

static inline void bench_timer_init(struct bench_timer *t)
{
    t->t0 = 0.0;
    t->best_s = INFINITY;
    t->runs = 0;
}

static inline void bench_start(struct bench_timer *t)
{
    t->t0 = bench_now_s();
}

/* Ends a repetition; returns its duration in seconds. */
static inline double bench_stop(struct bench_timer *t)
{
    double dt = bench_now_s() - t->t0;
    if (dt < t->best_s)
        t->best_s = dt;
    t->runs++;
    return dt;
}

/* A repetition count from the command line (NULL: def), at least 1. */
static inline int bench_repeats(const char *arg, int def)
{
    int n = arg != NULL ? atoi(arg) : def;
    return n < 1 ? 1 : n;
}

/* Peak resident set of this process so far, KiB (Linux reports
 * ru_maxrss in KiB), or -1. */
static inline long bench_peak_rss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss;
}

/* The same in MiB, or -1. */
static inline double bench_peak_rss_mib(void)
{
    long kib = bench_peak_rss_kib();
    return kib < 0 ? -1.0 : (double)kib / 1024.0;
}

#endif /* LBSIM_BENCH_H */
