/*
 * compare.c - the trial runner: independent runs as OpenMP work over one
 * pool, and strategies side by side on the same traffic.
 *
 * Each trial builds its own struct sim from the const scenario and writes
 * only res[i], rc[i] and its own slice of the error buffer, so the results
 * do not depend on the thread count or the schedule (docs/notes/aesthetics.md
 * §3.2: "a sweep is an array of trials").  sim_compare gives every
 * strategy the same seed: common random numbers, so differences between
 * strategies are paired rather than drowned in sampling noise.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int sim_trials(const struct sim_trial *t, uint32_t n, int threads, struct sim_result *res, int *rc,
               char *err, size_t errlen)
{
    int failed = 0;
#ifdef _OPENMP
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (nt > (int)n)
        nt = (int)n;
    if (nt < 1)
        nt = 1;
        /* dynamic, one trial at a time: trials differ in length by orders of
           magnitude (strategies, loads), so a static split would idle threads */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(+ : failed)
#else
    (void)threads;
#endif
    for (int i = 0; i < (int)n; i++) {
        char *e = err + (size_t)i * errlen;
        e[0] = '\0';
        rc[i] = sim_run(t[i].scn, t[i].strategy, t[i].seed, NULL, &res[i], e, errlen);
        if (rc[i] != 0)
            failed++;
    }
    return failed ? -1 : 0;
}

int sim_compare(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                uint64_t seed, int threads, struct sim_result *res, int *rc, char *err,
                size_t errlen)
{
    struct sim_trial *t = malloc((n ? n : 1) * sizeof *t);
    if (t == NULL) {
        for (uint32_t i = 0; i < n; i++) {
            rc[i] = -1;
            snprintf(err + (size_t)i * errlen, errlen, "out of memory");
        }
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        t[i] = (struct sim_trial){.scn = scn, .strategy = &strategies[i], .seed = seed};
    int r = sim_trials(t, n, threads, res, rc, err, errlen);
    free(t);
    return r;
}
