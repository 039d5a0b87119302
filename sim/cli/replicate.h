/*
 * replicate.h - `lbsim run --replications R [--vs NAME]` (prefix rep_):
 * the option checks, and the runs through sim_replicate (sim.h).
 */
#ifndef LBSIM_REPLICATE_H
#define LBSIM_REPLICATE_H

#include <stdint.h>

#include "sim.h"

/* Largest --replications accepted (a sanity bound: 10,000 replications of
 * 64 strategies is already 640,000 runs). */
#define REP_MAX 10000

/* The --replications value: 0, or -1 (not an integer in 1..REP_MAX). */
int rep_parse_count(const char *v, uint32_t *R);

/*
 * The index of the reference strategy of the paired differences: the run
 * labelled `vs`, or the first when vs is NULL; -1 when R = 1 (no
 * differences).  0, or CLI_EXIT_USAGE after printing the error (an
 * unknown label, with a did-you-mean; --vs without replications).
 */
int rep_reference(const char *vs, uint32_t R, const struct scn_strategy *strats, uint32_t n,
                  int *ref);

#endif /* LBSIM_REPLICATE_H */
