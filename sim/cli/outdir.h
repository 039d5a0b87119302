/*
 * outdir.h - the output directory of `lbsim run --out DIR` (prefix
 * outdir_): created like mkdir -p, filled with summary.json,
 * timeseries.csv and the plot data and scripts, and the plots rendered by
 * gnuplot when it is on the PATH.  CLI layer: prints its errors and runs a
 * child process.
 */
#ifndef LBSIM_OUTDIR_H
#define LBSIM_OUTDIR_H

#include <stdint.h>

#include "sim.h"

/* Create dir (and its parents) and write every output of the n results
 * into it.  Returns the exit status: 0, or CLI_EXIT_USAGE after printing
 * the error.  A missing gnuplot or a failed plot is a warning, not an
 * error. */
int outdir_write(const char *dir, const struct scenario *scn, uint64_t seed,
                 const struct sim_result *res, uint32_t n);

/* Render the plots names[0..n) of dir (NAME.gp -> NAME.png, NAME.svg)
 * with gnuplot when it is on the PATH; a missing gnuplot or a failed plot
 * is a warning on stderr. */
void outdir_render(const char *dir, const char *const *names, int n);

/* outdir_write with the origin (version, fingerprint) in summary.json. */
struct report_origin;
int outdir_write_origin(const char *dir, const struct report_origin *origin,
                        const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                        uint32_t n);

/* mkdir -p: 0 when path is a directory afterwards, else -1 (errno set by
 * the failing call). */
int outdir_mkdirs(const char *path);

#endif /* LBSIM_OUTDIR_H */
