/*
 * calib_int.h - internals shared by sim/calib.c and sim/calib_input.c.
 */
#ifndef LBSIM_CALIB_INT_H
#define LBSIM_CALIB_INT_H

#include <stdint.h>

#include "calib.h"

/* The q-quantile of v[0..n) by linear interpolation between order
 * statistics (numpy's default, which vLLM's np.median / np.percentile
 * use).  v is left unchanged; NaN when n is 0 or out of memory. */
double sim__calib_quantile(const double *v, uint32_t n, double q);

/* A CSV point's median and p99 TTFT and median TPOT from its rows.
 * BASE_ENOMEM or 0. */
int sim__calib_csv_figures(struct sim_calib_point *pt);

#endif /* LBSIM_CALIB_INT_H */
