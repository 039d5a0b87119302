/*
 * compare.c - the trial runner: strategies side by side on the same
 * traffic, as independent OpenMP trials.
 *
 * Each trial builds its own struct sim from the const scenario and writes
 * only res[i], rc[i] and its own slice of the error buffer, so the results
 * do not depend on the thread count or the schedule (docs/notes/aesthetics.md
 * §3.2: "a sweep is an array of trials").  All trials use the
 * same seed: common random numbers, so differences between strategies are
 * paired rather than drowned in sampling noise.
 */
#include "sim.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int sim_compare(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                uint64_t seed, int threads, struct sim_result *res, int *rc, char *err,
                size_t errlen)
{
    int failed = 0;
#ifdef _OPENMP
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (nt > (int)n)
        nt = (int)n;
    if (nt < 1)
        nt = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(+ : failed)
#else
    (void)threads;
#endif
    for (int i = 0; i < (int)n; i++) {
        char *e = err + (size_t)i * errlen;
        e[0] = '\0';
        rc[i] = sim_run(scn, &strategies[i], seed, NULL, &res[i], e, errlen);
        if (rc[i] != 0)
            failed++;
    }
    return failed ? -1 : 0;
}
