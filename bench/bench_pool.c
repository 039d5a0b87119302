/*
 * bench_pool.c - simulated requests and events per wall second for GPU
 * pool backends.
 *
 * Replays bench_pool.yaml (10^6 synthetic Poisson requests, one pool of 8
 * H100 replicas of Llama-3.1-8B with continuous batching and the prefix
 * cache, ~70% of capacity) under round_robin, least_inflight and
 * power_of_two, one run at a time on one core, best of REPEATS.  A pool
 * costs more per request than an API backend: each replica's engine step
 * is an event (~2.9 per request here; the decoding requests of a step are
 * advanced in aggregate, models/pool.h "Costs"), so events/request is ~3.8
 * (bench_api: ~3).
 * Timed in thread CPU time; each round runs the in-process reference core
 * (bench/refcore.h: a bare M/M/8 in C) and then lbsim, the best of ROUNDS
 * of each is kept.  Targets (issue 16): ratio = lbsim ns per request /
 * reference ns per event <= 10x, and >= 2,000,000 simulated requests per
 * CPU second.  Also prints events/s, ns/event, the peak resident set of the
 * process (memory is O(in-flight requests), not O(requests)) and, as a
 * check that the pool is stable rather than diverging, p99 TTFT and the
 * peak requests in flight at an interval end.  Prints the figures; it does
 * not fail on them (wall-clock limits do not belong in tests: machines are
 * noisy).
 *
 * usage: bench_pool [SCENARIO] [ROUNDS] [STRATEGY]
 * (STRATEGY: run that one only, e.g. for one run under callgrind; ROUNDS
 * 0: lbsim once, no reference core)
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "refcore.h"
#include "sim.h"

#define TARGET_REQ_PER_S 2000000.0
#define TARGET_RATIO     10.0

static int64_t peak_inflight(const struct sim_result *res)
{
    int64_t peak = 0;
    for (uint32_t i = 0; i < res->n_ts; i++)
        if (res->ts[i].inflight > peak)
            peak = res->ts[i].inflight;
    return peak;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bench/bench_pool.yaml";
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    int with_ref = repeats > 0;
    if (repeats < 1)
        repeats = 1;
    char err[1024];
    struct scenario scn;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    const char *names[] = {"round_robin", "least_inflight", "power_of_two"};
    int n_names = 3;
    if (argc > 3) {
        names[0] = argv[3];
        n_names = 1;
    }
    if (with_ref)
        printf("bench_pool: ratio = lbsim ns/request / reference ns/event (reference: "
               "M/M/%u, rho %.2f, %u customers; bench/refcore.h); thread CPU time, best of %d "
               "interleaved rounds\n",
               REFCORE_SERVERS, REFCORE_LAMBDA_PER_S / (REFCORE_SERVERS * REFCORE_MU_PER_S),
               REFCORE_CUSTOMERS, repeats);
    int rc = 0;
    for (int k = 0; k < n_names; k++) {
        struct scn_strategy st;
        if (scn_strategy_by_name(names[k], &st, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            scn_free(&scn);
            return 2;
        }
        struct bench_timer tm, tr;
        bench_timer_init_cpu(&tm);
        bench_timer_init_cpu(&tr);
        struct refcore_result ref = {0};
        struct sim_result res;
        uint64_t reqs = 0, events = 0;
        for (int r = 0; r < repeats; r++) {
            if (with_ref) {
                bench_start(&tr);
                if (refcore_mmc(REFCORE_SERVERS, REFCORE_LAMBDA_PER_S, REFCORE_MU_PER_S,
                                REFCORE_CUSTOMERS, REFCORE_SEED, &ref) != 0) {
                    fprintf(stderr, "bench_pool: out of memory (reference core)\n");
                    scn_free(&scn);
                    return 2;
                }
                bench_stop(&tr);
            }
            bench_start(&tm);
            if (sim_run(&scn, &st, scn.seed, NULL, &res, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                scn_free(&scn);
                return 2;
            }
            bench_stop(&tm);
            if (r > 0 && (res.requests != reqs || res.events != events)) {
                fprintf(stderr, "bench_pool %s: repetition %d differs (%llu events, was %llu)\n",
                        names[k], r, (unsigned long long)res.events, (unsigned long long)events);
                rc = 1;
            }
            reqs = res.requests;
            events = res.events;
            if (r + 1 < repeats)
                sim_result_free(&res);
        }
        double best = tm.best_s;
        double rps = (double)reqs / best;
        printf("bench_pool %-14s %llu requests (%llu completed), %llu events, %.3f s CPU: "
               "%.0f requests/s, %.0f events/s, %.1f ns/event, %.2f events/request, "
               "p99 TTFT %.3f s, peak in flight %lld, peak RSS %.1f MiB  "
               "[target >= %.0f requests/s: %s]\n",
               names[k], (unsigned long long)reqs, (unsigned long long)res.completed,
               (unsigned long long)events, best, rps, (double)events / best,
               best * 1e9 / (double)events, (double)events / (double)reqs, res.ttft.p99,
               (long long)peak_inflight(&res), bench_peak_rss_mib(), TARGET_REQ_PER_S,
               rps >= TARGET_REQ_PER_S ? "met" : "MISSED");
        if (with_ref) {
            double ns_req = best * 1e9 / (double)reqs;
            double ref_ev = tr.best_s * 1e9 / (double)ref.events;
            double ratio = ns_req / ref_ev;
            printf("bench_pool %-14s %.1f ns/request; reference %.1f ns/event; lbsim/reference "
                   "%.2fx  [target <= %.0fx: %s]\n",
                   names[k], ns_req, ref_ev, ratio, TARGET_RATIO,
                   ratio <= TARGET_RATIO ? "met" : "MISSED");
        }
        sim_result_free(&res);
    }
    scn_free(&scn);
    return rc;
}
