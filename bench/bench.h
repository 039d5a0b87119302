/*
 * bench.h - what every benchmark measures with (prefix bench_): the
 * monotonic wall clock, this thread's CPU time, the best of N timed
 * repetitions, and the peak resident set.  Single-threaded figures are
 * timed in thread CPU time (CLOCK_THREAD_CPUTIME_ID): on a shared machine
 * wall-clock time also counts the time other processes held the core.  Wall-clock reads belong in
 * bench/ and sim/cli/ only, never in the libraries or the tests (machines are noisy: the benchmarks
 * print their figures and targets, they do not fail on them).
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

/* Seconds of CPU time consumed by the calling thread (an arbitrary
 * origin: take differences).  Does not advance while the thread waits for
 * the core, so it is the figure to compare against the in-process
 * reference core (bench/refcore.h). */
static inline double bench_cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of N: the shortest of the timed repetitions, the one least
 * disturbed by the rest of the machine.  bench_start() before each
 * repetition, bench_stop() after it. */
struct bench_timer {
    double t0;     /* start of the current repetition */
    double best_s; /* shortest so far (INFINITY before the first) */
    int runs;      /* repetitions timed */
    int cpu;       /* nonzero: thread CPU time, else the monotonic clock */
};

static inline void bench_timer_init(struct bench_timer *t)
{
    t->t0 = 0.0;
    t->best_s = INFINITY;
    t->runs = 0;
    t->cpu = 0;
}

/* The same, timing this thread's CPU time instead of the wall clock. */
static inline void bench_timer_init_cpu(struct bench_timer *t)
{
    bench_timer_init(t);
    t->cpu = 1;
}

static inline void bench_start(struct bench_timer *t)
{
    t->t0 = t->cpu ? bench_cpu_now_s() : bench_now_s();
}

/* Ends a repetition; returns its duration in seconds. */
static inline double bench_stop(struct bench_timer *t)
{
    double dt = (t->cpu ? bench_cpu_now_s() : bench_now_s()) - t->t0;
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
