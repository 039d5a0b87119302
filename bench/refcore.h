/*
 * refcore.h - a minimal reference discrete-event core (prefix refcore_):
 * M/M/c with a FIFO queue, the yardstick the benchmarks time lbsim
 * against in the same process (docs/notes/performance.md §2: "a bare
 * event costs about 50 ns" on this class of machine).
 *
 * What it is: 32-byte event records ordered by (time, seq) in a 4-ary
 * min-heap compared as one 128-bit key, xoshiro256** seeded through
 * splitmix64, exponential draws as -mean * log(u) with u in (0, 1], one
 * draw per event (an arrival draws the next inter-arrival time, a service
 * start draws its service time).  Two events per customer: arrival and
 * departure.  No metrics beyond the count of events and the sum of queue
 * waits (kept so the compiler cannot drop the work, and as an Erlang C
 * sanity check).
 *
 * Bench-only code: it lives in bench/ and is built into bench_engine and
 * bench_pool; nothing in the libraries uses it.
 */
#ifndef LBSIM_BENCH_REFCORE_H
#define LBSIM_BENCH_REFCORE_H

#include <stdint.h>

/* The reference model of docs/notes/performance.md §2: M/M/8 at
 * rho = 0.9 (lambda 7.2/s, mu 1/s); 10^6 customers a round (2x10^6
 * events, ~0.05-0.1 s). */
#define REFCORE_SERVERS      8u
#define REFCORE_LAMBDA_PER_S 7.2
#define REFCORE_MU_PER_S     1.0
#define REFCORE_CUSTOMERS    1000000u
#define REFCORE_SEED         1u

struct refcore_result {
    uint64_t customers; /* customers that arrived */
    uint64_t events;    /* events popped (arrivals + departures) */
    double wait_mean_s; /* mean wait in queue */
};

/* Runs M/M/c: Poisson arrivals at lambda per second, c servers with
 * exponential service of mean 1/mu seconds, until `customers` have arrived
 * and every one of them has departed.  0, or -1 on allocation failure. */
int refcore_mmc(uint32_t c, double lambda, double mu, uint64_t customers, uint64_t seed,
                struct refcore_result *out);

#endif /* LBSIM_BENCH_REFCORE_H */
