/*
 * dist.c - the distributions of the scenario language (see dist.h).
 *
 * Sampling is on the hot path (one latency and one or two sizes per
 * request), so the exponential is drawn inline from -log(u) on xoshiro
 * (docs/notes/performance.md §2: ~7 ns, most of it log()) and the normal
 * kinds use GSL's ziggurat (Marsaglia and Tsang 2000), the fastest normal
 * sampler GSL has, through the stack gsl_rng of rng_as_gsl().
 */
#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* Every constructor starts from an unclamped, table-less value. */
static void dist_base(struct dist *d, enum dist_kind kind, double a, double b)
{
    d->kind = kind;
    d->a = a;
    d->b = b;
    d->min = -HUGE_VAL;
    d->max = HUGE_VAL;
    d->n = 0;
    d->values = NULL;
    d->prob = NULL;
    d->alias = NULL;
}

void dist_constant(struct dist *d, double v)
{
    dist_base(d, DIST_CONSTANT, v, 0.0);
}

void dist_exponential(struct dist *d, double mean)
{
    dist_base(d, DIST_EXPONENTIAL, mean, 0.0);
}

void dist_lognormal_median_p99(struct dist *d, double median, double p99)
{
    /* The median of a lognormal is e^mu and its p99 is e^(mu + z99 sigma),
     * so sigma = ln(p99 / median) / z99.  A p99 below the median (outside
     * the contract) or a non-positive median degrades to sigma = 0 rather
     * than producing NaN draws. */
    double mu = median > 0 ? log(median) : -HUGE_VAL;
    double sigma = 0.0;
    if (median > 0 && p99 > median)
        sigma = log(p99 / median) / DIST_Z99;
    dist_base(d, DIST_LOGNORMAL, mu, sigma);
}

void dist_normal(struct dist *d, double mean, double sd)
{
    dist_base(d, DIST_NORMAL, mean, sd);
}

void dist_uniform(struct dist *d, double lo, double hi)
{
    dist_base(d, DIST_UNIFORM, lo, hi);
}

/*
 * Vose's variant of Walker's alias method (M. D. Vose, "A linear algorithm
 * for generating random numbers with a given distribution", IEEE TSE 1991):
 * O(n) set-up, numerically stable, O(1) per draw.  Column i keeps value i
 * with probability prob[i] and otherwise gives alias[i].
 */
int dist_empirical(struct dist *d, const double *values, const double *weights, uint32_t n,
                   char *err, size_t errlen)
{
    dist_base(d, DIST_EMPIRICAL, 0.0, 0.0);
    if (n == 0 || values == NULL || weights == NULL) {
        snprintf(err, errlen, "empirical distribution: no values");
        return -1;
    }
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(values[i])) {
            snprintf(err, errlen, "empirical distribution: value %u is not finite", i);
            return -1;
        }
        if (!(weights[i] >= 0) || !isfinite(weights[i])) {
            snprintf(err, errlen, "empirical distribution: weight %u is %g, expected >= 0", i,
                     weights[i]);
            return -1;
        }
        sum += weights[i];
    }
    if (!(sum > 0) || !isfinite(sum)) {
        snprintf(err, errlen, "empirical distribution: weights sum to %g, expected > 0", sum);
        return -1;
    }

    double *val = malloc((size_t)n * sizeof *val);
    double *prob = malloc((size_t)n * sizeof *prob);
    uint32_t *alias = malloc((size_t)n * sizeof *alias);
    /* Work lists of the columns below and above the average height. */
    uint32_t *work = malloc((size_t)n * sizeof *work);
    if (!val || !prob || !alias || !work) {
        free(val);
        free(prob);
        free(alias);
        free(work);
        snprintf(err, errlen, "empirical distribution: out of memory (%u values)", n);
        return -1;
    }
    memcpy(val, values, (size_t)n * sizeof *val);

    /* Scaled heights p_i = n w_i / sum (average 1).  Small columns fill
     * the work array from the front, large ones from the back. */
    uint32_t n_small = 0, n_large = 0;
    for (uint32_t i = 0; i < n; i++) {
        prob[i] = weights[i] * (double)n / sum;
        alias[i] = i;
        if (prob[i] < 1.0)
            work[n_small++] = i;
        else
            work[n - 1 - n_large++] = i;
    }
    while (n_small > 0 && n_large > 0) {
        uint32_t s = work[--n_small];
        uint32_t l = work[n - n_large]; /* the most recently added large */
        alias[s] = l;
        prob[l] = (prob[l] + prob[s]) - 1.0;
        if (prob[l] < 1.0) {
            n_large--;
            work[n_small++] = l;
        }
    }
    /* What remains is 1 up to rounding: keep those columns whole. */
    while (n_large > 0)
        prob[work[n - n_large--]] = 1.0;
    while (n_small > 0)
        prob[work[--n_small]] = 1.0;
    free(work);

    d->n = n;
    d->values = val;
    d->prob = prob;
    d->alias = alias;
    return 0;
}

void dist_fini(struct dist *d)
{
    /* Only empirical dists own tables; a hand-filled non-empirical dist
     * may hold garbage pointers, so they are not touched. */
    if (d->kind != DIST_EMPIRICAL)
        return;
    free(d->values);
    free(d->prob);
    free(d->alias);
    d->values = NULL;
    d->prob = NULL;
    d->alias = NULL;
    d->n = 0;
}

int dist_copy(struct dist *dst, const struct dist *src)
{
    if (dst == src)
        return 0;
    *dst = *src;
    if (src->kind != DIST_EMPIRICAL || src->n == 0)
        return 0;
    size_t n = src->n;
    dst->values = malloc(n * sizeof *dst->values);
    dst->prob = malloc(n * sizeof *dst->prob);
    dst->alias = malloc(n * sizeof *dst->alias);
    if (!dst->values || !dst->prob || !dst->alias) {
        dist_fini(dst);
        return -1;
    }
    memcpy(dst->values, src->values, n * sizeof *dst->values);
    memcpy(dst->prob, src->prob, n * sizeof *dst->prob);
    memcpy(dst->alias, src->alias, n * sizeof *dst->alias);
    return 0;
}

static double dist_clamp(const struct dist *d, double v)
{
    if (v < d->min)
        return d->min;
    if (v > d->max)
        return d->max;
    return v;
}

double dist__sample_other(const struct dist *d, struct rng *r)
{
    double v;
    switch (d->kind) {
    case DIST_CONSTANT:
        v = d->a;
        break;
    case DIST_EXPONENTIAL:
        /* u in (0, 1], so log(u) is finite. */
        v = -d->a * log(rng_unit_pos(r));
        break;
    case DIST_LOGNORMAL: {
        gsl_rng g = rng_as_gsl(r);
        v = exp(d->a + d->b * gsl_ran_gaussian_ziggurat(&g, 1.0));
        break;
    }
    case DIST_NORMAL: {
        gsl_rng g = rng_as_gsl(r);
        v = d->a + d->b * gsl_ran_gaussian_ziggurat(&g, 1.0);
        break;
    }
    case DIST_UNIFORM:
        v = d->a + (d->b - d->a) * rng_unit(r);
        break;
    case DIST_EMPIRICAL: {
        if (d->n == 0)
            return dist_clamp(d, 0.0);
        uint32_t i = rng_below(r, d->n);
        v = rng_unit(r) < d->prob[i] ? d->values[i] : d->values[d->alias[i]];
        break;
    }
    default:
        v = 0.0;
        break;
    }
    return dist_clamp(d, v);
}

double dist_mean(const struct dist *d)
{
    switch (d->kind) {
    case DIST_CONSTANT:
    case DIST_EXPONENTIAL:
    case DIST_NORMAL:
        return d->a;
    case DIST_LOGNORMAL:
        return exp(d->a + 0.5 * d->b * d->b);
    case DIST_UNIFORM:
        return 0.5 * (d->a + d->b);
    case DIST_EMPIRICAL: {
        /* The weights are not kept; the alias table encodes them exactly:
         * column i contributes prob[i] of value i and the rest of its
         * alias, each column with probability 1/n. */
        if (d->n == 0)
            return 0.0;
        double s = 0.0;
        for (uint32_t i = 0; i < d->n; i++)
            s += d->prob[i] * d->values[i] + (1.0 - d->prob[i]) * d->values[d->alias[i]];
        return s / d->n;
    }
    default:
        return 0.0;
    }
}
