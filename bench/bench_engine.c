/*
 * bench_engine.c - simulated requests per wall second for the API model.
 *
 * Replays bench_api.yaml (10^6 synthetic requests, 4 API backends with
 * RPM/TPM buckets, faults and retries) under round_robin and
 * power_of_two, one run at a time on one core, best of REPEATS.
 * Target (issue "lbsim run end to end"): >= 2,000,000 simulated requests
 * per second per core.  Prints the figures; it does not fail on them
 * (wall-clock limits do not belong in tests: machines are noisy).
 *
 * usage: bench_engine [SCENARIO] [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "sim.h"

#define TARGET_REQ_PER_S 2000000.0

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bench/bench_api.yaml";
    int repeats = bench_repeats(argc > 2 ? argv[2] : NULL, 3);
    char err[1024];
    struct scenario scn;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    const char *names[] = {"round_robin", "power_of_two"};
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        struct scn_strategy st;
        if (scn_strategy_by_name(names[k], &st, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
        struct bench_timer tm;
        bench_timer_init(&tm);
        struct sim_result res;
        uint64_t reqs = 0, events = 0;
        for (int r = 0; r < repeats; r++) {
            bench_start(&tm);
            if (sim_run(&scn, &st, scn.seed, NULL, &res, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                return 2;
            }
            bench_stop(&tm);
            reqs = res.requests;
            events = res.events;
            if (r + 1 < repeats)
                sim_result_free(&res);
        }
        double best = tm.best_s;
        double rps = (double)reqs / best;
        printf("bench_engine %-13s %llu requests, %llu events, %.3f s: %.0f requests/s, "
               "%.1f ns/event, %.2f events/request, p99 TTFT %.3f s, attempts/req %.4f  "
               "[target >= %.0f requests/s: %s]\n",
               names[k], (unsigned long long)reqs, (unsigned long long)events, best, rps,
               best * 1e9 / (double)events, (double)events / (double)reqs, res.ttft.p99,
               res.attempts_per_request, TARGET_REQ_PER_S,
               rps >= TARGET_REQ_PER_S ? "met" : "MISSED");
        sim_result_free(&res);
    }
    scn_free(&scn);
    return rc;
}
