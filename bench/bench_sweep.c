/*
 * bench_sweep.c - the parallel efficiency of a sweep: the same grid run by
 * sim_exp_run (the engine of `lbsim sweep`) on 1 thread and on 2.
 *
 * Grid: tests/data/cli_small.yaml (3,600 synthetic requests per run, two
 * API backends) at traffic.rate_scale = 1, 1.5, 2, 2.5, 3, 3.5 (6 points)
 * x its 4 compare: strategies x 4 replications = 96 trials, all in one
 * pool (OpenMP dynamic schedule over the trials).  Best of REPEATS for
 * each thread count.
 * Target (issue 10): speed-up on 2 threads >= 1.9x over 1 thread.  It also
 * checks that both runs gave the same results (the output of a sweep does
 * not depend on the thread count) and prints trials/s and the peak
 * resident set.  Prints the figures; it does not fail on them (machines
 * are noisy).
 *
 * usage: bench_sweep [SCENARIO] [REPEATS]   (from the repository root)
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "experiment.h"

#define TARGET_SPEEDUP 1.9
#define N_POINTS       6u
#define REPS           4u

static const struct scn_set rates[N_POINTS] = {
    {"traffic.rate_scale", "1", "bench"}, {"traffic.rate_scale", "1.5", "bench"},
    {"traffic.rate_scale", "2", "bench"}, {"traffic.rate_scale", "2.5", "bench"},
    {"traffic.rate_scale", "3", "bench"}, {"traffic.rate_scale", "3.5", "bench"},
};

/* Run the grid on `threads`; the best wall time over `repeats`, and a
 * checksum of the results (requests and p99 TTFTs) in *sum. */
static int run(const char *path, int threads, int repeats, double *best, double *sum,
               uint64_t *trials)
{
    struct sim_exp_point pts[N_POINTS];
    for (uint32_t p = 0; p < N_POINTS; p++)
        pts[p] = (struct sim_exp_point){&rates[p], 1};
    struct sim_exp e = {.scenario = path, .reps = REPS, .ref = 0, .threads = threads};
    struct bench_timer t;
    bench_timer_init(&t);
    for (int r = 0; r < repeats; r++) {
        struct sim_exp_result out[N_POINTS];
        memset(out, 0, sizeof out);
        char err[1024];
        bench_start(&t);
        int rc = sim_exp_run(&e, pts, N_POINTS, out, err, sizeof err);
        bench_stop(&t);
        if (rc != 0) {
            fprintf(stderr, "bench_sweep: %s\n", err);
            for (uint32_t p = 0; p < N_POINTS; p++)
                sim_exp_result_free(&out[p]);
            return -1;
        }
        *sum = 0;
        *trials = 0;
        for (uint32_t p = 0; p < N_POINTS; p++) {
            for (uint32_t i = 0; i < out[p].n; i++)
                *sum += (double)out[p].runs[i].requests + out[p].runs[i].ttft.p99;
            *trials += (uint64_t)out[p].n * REPS;
            sim_exp_result_free(&out[p]);
        }
    }
    *best = t.best_s;
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/cli_small.yaml";
    int repeats = bench_repeats(argc > 2 ? argv[2] : NULL, 3);
    double t1, t2, s1, s2;
    uint64_t n1, n2;
    if (run(path, 1, repeats, &t1, &s1, &n1) != 0 || run(path, 2, repeats, &t2, &s2, &n2) != 0)
        return 2;
    double speedup = t1 / t2;
    printf("bench_sweep: %u points x strategies x %u replications = %llu trials, best of %d\n",
           N_POINTS, REPS, (unsigned long long)n1, repeats);
    printf("  1 thread : %.3f s  (%.1f trials/s)\n", t1, (double)n1 / t1);
    printf("  2 threads: %.3f s  (%.1f trials/s)\n", t2, (double)n2 / t2);
    printf("  speed-up on 2 threads: %.2fx (target >= %.1fx: %s), efficiency %.0f%%\n", speedup,
           TARGET_SPEEDUP, speedup >= TARGET_SPEEDUP ? "met" : "NOT met", 50.0 * speedup);
    printf("  same results on 1 and 2 threads: %s\n", s1 == s2 ? "yes" : "NO");
    printf("  peak resident set: %.1f MiB\n", bench_peak_rss_mib());
    return s1 == s2 ? 0 : 1;
}
