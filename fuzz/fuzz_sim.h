/*
 * fuzz_sim.h - shared by the targets that run the engine (fuzz_run,
 * fuzz_replay): the bound on a run's work and the checks on its result.
 */
#ifndef LBSIM_FUZZ_SIM_H
#define LBSIM_FUZZ_SIM_H

#include "sim.h"

/* Requests a fuzzed run may start: every source stops after this many and
 * does not repeat. */
#define FUZZ_SIM_MAX_REQUESTS 200u

/* Bound a source to FUZZ_SIM_MAX_REQUESTS requests, no repeat. */
void fuzz_sim_bound(struct trace_cfg *t);

/* abort() unless the result conserves requests (requests = completed +
 * failed + in flight at the end) and its per-backend attempts and costs
 * sum to the totals. */
void fuzz_sim_check(const struct sim_result *r);

#endif /* LBSIM_FUZZ_SIM_H */
