/*
 * stats.c - t quantiles (GSL) and t intervals of a mean (see stats.h).
 */
#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

double stats_t_quantile(double p, double dof)
{
    if (!(dof >= 1.0) || !(p > 0.0 && p < 1.0))
        return NAN;
    return gsl_cdf_tdist_Pinv(p, dof);
}

void stats_mean_ci(const double *x, size_t n, double level, double *mean, double *hw)
{
    *mean = NAN;
    *hw = NAN;
    if (n == 0)
        return;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return;
        sum += x[i];
    }
    double m = sum / (double)n;
    *mean = m;
    if (n < 2)
        return;
    /* two-pass variance: the deviations are small next to the mean
       (e.g. seconds of TTFT), where the one-pass formula cancels */
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    double sd = sqrt(ss / (double)(n - 1));
    *hw = stats_t_quantile(0.5 + level / 2.0, (double)(n - 1)) * sd / sqrt((double)n);
}
