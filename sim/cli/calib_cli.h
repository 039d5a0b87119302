/*
 * calib_cli.h - the file side of `lbsim calibrate` (prefix cli_calib_):
 * one replay scenario per measured point, written to a directory the
 * caller owns and loaded back, for sim_calib_pool_fit (sim/calib.h).
 * Shared with tests/validation/val_calibrate.c.
 */
#ifndef LBSIM_CALIB_CLI_H
#define LBSIM_CALIB_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "calib.h"
#include "scn.h"

/*
 * For each point i: write dir/point<i>.csv (a native trace of
 * sim_calib_arrivals(pts[i], seed)) and dir/point<i>.yaml (one replica of
 * `profile` with `engine` (vllm, sglang or none), router timeout none),
 * and load it into scn[i].  On failure the scenarios loaded so far are
 * freed.  Returns 0, or a BASE_E* code with a message.
 */
int cli_calib_scenarios(const char *dir, const char *profile, const char *engine,
                        const struct sim_calib_point *pts, uint32_t n, uint64_t seed,
                        struct scenario *scn, char *err, size_t errlen);

/* Remove what cli_calib_scenarios wrote into dir (not dir itself). */
void cli_calib_cleanup(const char *dir, uint32_t n);

#endif /* LBSIM_CALIB_CLI_H */
