/*
 * dist.h - the distributions of the scenario language (prefix dist_).
 *
 * Used for token sizes (traces), latencies and output rates (models).  A
 * struct dist is a small value type; sampling takes the caller's stream.
 * Kinds: constant, exponential (mean), lognormal (by median and p99, the
 * way latency is usually published, or by mu/sigma), normal (mean, sd,
 * truncated at `min`), uniform (lo, hi), empirical (a table of values
 * and weights, sampled by Walker's alias method).
 *
 * Values are in the caller's unit (seconds for latencies, tokens for
 * sizes, tokens/s for rates); the scenario loader converts units.
 */
#ifndef LBSIM_DIST_H
#define LBSIM_DIST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>

#include "rng.h"

enum dist_kind {
    DIST_CONSTANT = 0,
    DIST_EXPONENTIAL = 1,
    DIST_LOGNORMAL = 2,
    DIST_NORMAL = 3,
    DIST_UNIFORM = 4,
    DIST_EMPIRICAL = 5,
};

struct dist {
    enum dist_kind kind;
    double a, b;     /* constant: a; exponential: a = mean; lognormal: a = mu,
                        b = sigma (of the log); normal: a = mean, b = sd;
                        uniform: [a, b) */
    double min, max; /* results are clamped to [min, max] */
    /* empirical: n values with alias tables (owned, see dist_fini) */
    uint32_t n;
    double *values;
    double *prob;
    uint32_t *alias;
};

/* z-score of the 99th percentile of the standard normal. */
#define DIST_Z99 2.3263478740408408

void dist_constant(struct dist *d, double v);
void dist_exponential(struct dist *d, double mean);
/* Lognormal with the given median and 99th percentile (p99 >= median). */
void dist_lognormal_median_p99(struct dist *d, double median, double p99);
void dist_normal(struct dist *d, double mean, double sd);
void dist_uniform(struct dist *d, double lo, double hi);
/* Empirical: copies values/weights; weights >= 0 with a positive sum.
 * Returns 0, or -1 with a message. */
int dist_empirical(struct dist *d, const double *values, const double *weights, uint32_t n,
                   char *err, size_t errlen);
/* Release the tables of an empirical distribution (no-op otherwise). */
void dist_fini(struct dist *d);
/* Deep copy (for empirical tables). 0 or -1 on allocation failure. */
int dist_copy(struct dist *dst, const struct dist *src);

/* dist_sample's out-of-line part (dist.c): every kind, clamped; the
 * inline dist_sample takes the constant, exponential, lognormal and
 * normal ones first. */
double dist__sample_other(const struct dist *d, struct rng *r);

/* One draw, clamped to [min, max].  Uses gsl_ran_* through the rng's
 * gsl_rng_type for the normal and lognormal kinds.  Inline: a request
 * takes two to four draws (sizes, TTFT, output rate), and for the common
 * kinds the call and the switch cost as much as the constant and
 * exponential draws themselves; the expressions are those of the switch
 * in dist.c (same values), the clamp the same comparisons. */
static inline double dist_sample(const struct dist *d, struct rng *r)
{
    double v;
    if (d->kind == DIST_CONSTANT)
        v = d->a;
    else if (d->kind == DIST_EXPONENTIAL)
        v = -d->a * log(rng_unit_pos(r)); /* u in (0, 1], so log(u) is finite */
    else if (d->kind == DIST_LOGNORMAL) {
        gsl_rng g = rng_as_gsl(r);
        v = exp(d->a + d->b * gsl_ran_gaussian_ziggurat(&g, 1.0));
    } else if (d->kind == DIST_NORMAL) {
        gsl_rng g = rng_as_gsl(r);
        v = d->a + d->b * gsl_ran_gaussian_ziggurat(&g, 1.0);
    } else
        return dist__sample_other(d, r);
    if (v < d->min)
        return d->min;
    if (v > d->max)
        return d->max;
    return v;
}

/* llround(x) without the libm call, the same result for every double.
 * For |x| < 2^63 the conversion truncates exactly: i = trunc(x).  If
 * |x| < 2^53, (double)i is exact; if |x| >= 2^52, x is already an integer,
 * so i = x and (double)i = x.  Either way f = x - (double)i is the
 * fractional part of x, exactly representable (its bits are those of x
 * below the binary point), so the comparisons with 0.5 round half away
 * from zero exactly as llround does, and i +- 1 cannot overflow (|f| >= 0.5
 * only when |x| < 2^52).  NaN, infinities and |x| >= 2^63 go to llround
 * itself. */
static inline long long dist_llround(double x)
{
    if (x > -0x1p63 && x < 0x1p63) {
        long long i = (long long)x;
        double f = x - (double)i;
        return i + (f >= 0.5) - (f <= -0.5);
    }
    return llround(x);
}

/* Mean of the distribution (before clamping), for documentation/tests. */
double dist_mean(const struct dist *d);

#endif /* LBSIM_DIST_H */
