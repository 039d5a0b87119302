/*
 * experiment.h - many configurations of one scenario in one pool of trials
 * (prefix sim_exp_): the engine of `lbsim sweep` and `lbsim plan`.
 *
 * A point is a configuration: the scenario file with some `--set`
 * overrides.  sim_exp_run loads every point's scenario (scn_load_set), then
 * runs points x strategies x replications as one array of independent
 * trials (sim_trials: OpenMP work over one pool), in chunks of whole points
 * so memory stays bounded on large grids, and folds each point's trials
 * into one aggregated result per strategy (means, 95% intervals, SLO
 * verdicts, paired differences against a reference strategy), exactly as
 * `lbsim run --replications` does for one scenario.  Every point and
 * strategy uses the same R seeds: comparisons across points and
 * strategies are paired (common random numbers).  The results are
 * identical for any thread count.  Library code: no printing.
 */
#ifndef LBSIM_EXPERIMENT_H
#define LBSIM_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"
#include "sim.h"

/* Trials run per sim_trials call at most (whole points at a time): enough
 * for any thread count here to stay busy, few enough that the results of a
 * chunk (about 0.5 MB each with its TTFT histogram) stay small. */
#define SIM_EXP_CHUNK_TRIALS 512u

/* One configuration: the overrides applied after the experiment's base. */
struct sim_exp_point {
    const struct scn_set *sets;
    uint32_t n_sets;
};

struct sim_exp {
    const char *scenario;             /* the scenario file */
    const struct route_registry *reg; /* plugins' registry, or NULL */
    const struct scn_set *base;       /* --set overrides of every point, first */
    uint32_t n_base;
    const char *const *names; /* --strategy names, or none: the scenario's */
    uint32_t n_names;
    bool seed_set; /* seed overrides the scenario's seed */
    uint64_t seed;
    uint32_t reps; /* replications, >= 1 */
    int ref;       /* reference strategy for paired differences, -1 none */
    int threads;   /* 0 = OpenMP's default */
    /* Called after each chunk with the points done so far (may be NULL):
     * progress for a terminal.  Runs on the calling thread. */
    void (*progress)(void *ctx, uint32_t points_done, uint32_t points, uint64_t trials_done);
    void *progress_ctx;
};

/* One point's results. */
struct sim_exp_result {
    struct scenario scn;             /* loaded with the point's overrides */
    struct scn_strategy *strategies; /* n: --strategy, else compare:, else router */
    uint32_t n;
    uint64_t seed;
    struct sim_result *runs; /* n aggregated results, one per strategy */
};

/*
 * Run the n_pts points.  out[0..n_pts) must be zeroed by the caller and is
 * filled (free each with sim_exp_result_free, also on failure).  Returns 0,
 * or -1 with a message naming the point (its overrides) and what failed:
 * a scenario that does not load with the overrides, a strategy name, a
 * trace row, out of memory.
 */
int sim_exp_run(const struct sim_exp *e, const struct sim_exp_point *pts, uint32_t n_pts,
                struct sim_exp_result *out, char *err, size_t errlen);

void sim_exp_result_free(struct sim_exp_result *r);

#endif /* LBSIM_EXPERIMENT_H */
