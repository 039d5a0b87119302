/*
 * timeplots.h - the time plots of `lbsim run --out DIR` (prefix
 * timeplots_): p99 TTFT, error and 429 rates, per-backend traffic share,
 * in-flight requests against healthy backends and the cost rate over
 * time, with every scheduled fault window and traffic window of the
 * scenario shaded; and the cost-vs-p99 scatter of a compare.
 *
 * The series are read back from the files the --out writer has just
 * written (timeseries.csv, and timeseries_backends.csv when it exists), by
 * column name: a column that is absent (an older lbsim) leaves its plot
 * out or falls back to what the older columns give (mean TTFT for p99,
 * failed / answered for the error rate), never an error.  CLI layer.
 */
#ifndef LBSIM_TIMEPLOTS_H
#define LBSIM_TIMEPLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"

/* Longest plot base name written. */
#define TIMEPLOTS_NAME_MAX 64

/* One plot written: its base name and the caption the HTML report shows. */
struct timeplots_plot {
    char name[TIMEPLOTS_NAME_MAX];
    char caption[160];
};

/* Write the plots' .dat and .gp into dir; fills out[0..max) and returns
 * how many, or -1 with a message (an unreadable file, out of memory). */
int timeplots_write(const char *dir, const struct scenario *scn, const struct sim_result *res,
                    uint32_t n, struct timeplots_plot *out, int max, char *err, size_t errlen);

#endif /* LBSIM_TIMEPLOTS_H */
