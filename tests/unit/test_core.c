/*
 * test_core.c - unit tests of base/'s core primitives: rng, dist, hist,
 * heap.  Statistical checks use fixed seeds, so they are deterministic;
 * their tolerances are several standard errors wide.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "dist.h"
#include "heap.h"
#include "hist.h"
#include "rng.h"

/* Chi-square critical value at p = 0.001 for 9 degrees of freedom (10
 * bins); a correct generator fails one run in a thousand seeds, and these
 * seeds are fixed. */
#define CHI2_9DF_P001 27.877
/* ... for 2 degrees of freedom (3 non-empty bins of the empirical test). */
#define CHI2_2DF_P001 13.816

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank quantile of a sorted array, the definition hist_quantile
 * approximates. */
static double sorted_quantile(const double *v, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n - q * (double)n * 4 * 2.220446049250313e-16);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* ---- rng ---------------------------------------------------------------- */

static void test_rng_determinism(void)
{
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    int same = 1;
    for (int i = 0; i < 1000; i++)
        same &= rng_next(&a) == rng_next(&b);
    CHECK(same);

    /* Streams of distinct purposes, seeds and keys differ; equal keys agree. */
    struct rng s1, s2, s3, k1, k2, k3;
    rng_stream(&s1, 7, RNG_ARRIVALS);
    rng_stream(&s2, 7, RNG_SIZES);
    rng_stream(&s3, 8, RNG_ARRIVALS);
    CHECK(rng_next(&s1) != rng_next(&s2));
    rng_stream(&s1, 7, RNG_ARRIVALS);
    CHECK(rng_next(&s1) != rng_next(&s3));
    rng_keyed(&k1, 7, RNG_LATENCY, 100, 2, 0);
    rng_keyed(&k2, 7, RNG_LATENCY, 100, 2, 0);
    rng_keyed(&k3, 7, RNG_LATENCY, 100, 2, 1);
    uint64_t x1 = rng_next(&k1);
    CHECK(x1 == rng_next(&k2));
    CHECK(x1 != rng_next(&k3));

    /* Independence of two purposes of one seed: the sample correlation of
     * 1e5 uniform pairs is within ~6 standard errors (1/sqrt(n)) of 0. */
    rng_stream(&s1, 7, RNG_ARRIVALS);
    rng_stream(&s2, 7, RNG_SIZES);
    const int n = 100000;
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_unit(&s1), y = rng_unit(&s2);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    double cov = sxy / n - (sx / n) * (sy / n);
    double corr = cov / sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
    CHECK_NEAR(corr, 0.0, 0.02);

    /* Unit ranges. */
    struct rng r;
    rng_seed(&r, 1);
    int in_range = 1;
    for (int i = 0; i < 100000; i++) {
        double u = rng_unit(&r), p = rng_unit_pos(&r);
        in_range &= u >= 0 && u < 1 && p > 0 && p <= 1;
    }
    CHECK(in_range);
}

/* Chi-square of rng_below(n) folded into 10 equal bins. */
static double below_chi2(struct rng *r, uint32_t n, int draws, int *in_range)
{
    uint64_t bins[10] = {0};
    for (int i = 0; i < draws; i++) {
        uint32_t v = rng_below(r, n);
        *in_range &= v < n;
        bins[(uint64_t)v * 10 / n]++;
    }
    double chi2 = 0;
    for (int b = 0; b < 10; b++) {
        /* exact expected count: the bin holds ceil/floor share of n values */
        uint64_t lo = ((uint64_t)n * (uint64_t)b + 9) / 10;
        uint64_t hi = ((uint64_t)n * (uint64_t)(b + 1) + 9) / 10;
        double e = (double)draws * (double)(hi - lo) / (double)n;
        chi2 += ((double)bins[b] - e) * ((double)bins[b] - e) / e;
    }
    return chi2;
}

static void test_rng_below(void)
{
    struct rng r;
    rng_seed(&r, 2024);
    int in_range = 1;
    /* 10 bins of n = 10; and n = 3 * 2^30, where a plain (x * n) >> 32
     * without rejection would be visibly biased in its low third. */
    double c10 = below_chi2(&r, 10, 1000000, &in_range);
    double cbig = below_chi2(&r, 3u << 30, 1000000, &in_range);
    double codd = below_chi2(&r, 1000003, 1000000, &in_range);
    CHECK(c10 < CHI2_9DF_P001);
    CHECK(cbig < CHI2_9DF_P001);
    CHECK(codd < CHI2_9DF_P001);
    CHECK(in_range);
    /* Multiply-shift without rejection maps 4 inputs to 3 outputs for
     * n = 3 * 2^30, so every third value would be twice as likely: the
     * residues mod 3 expose it where the 10 coarse bins cannot. */
    uint64_t res3[3] = {0};
    for (int i = 0; i < 300000; i++)
        res3[rng_below(&r, 3u << 30) % 3]++;
    double c3 = 0;
    for (int k = 0; k < 3; k++)
        c3 += ((double)res3[k] - 1e5) * ((double)res3[k] - 1e5) / 1e5;
    CHECK(c3 < CHI2_2DF_P001);
    CHECK_INT_EQ(rng_below(&r, 1), 0);
    uint32_t mx = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t v = rng_below(&r, UINT32_MAX);
        mx = v > mx ? v : mx;
        in_range &= v < UINT32_MAX;
    }
    CHECK(in_range);
    CHECK(mx > UINT32_MAX / 2);
    CHECK_INT_EQ(rng_below(&r, 0), 0); /* outside the contract, but safe */
}

static void test_rng_gsl(void)
{
    struct rng r;
    rng_seed(&r, 99);
    gsl_rng g = rng_as_gsl(&r);
    CHECK(strcmp(gsl_rng_name(&g), "xoshiro256ss") == 0);
    CHECK(gsl_rng_max(&g) == 0xFFFFFFFFul);
    CHECK(gsl_rng_min(&g) == 0);

    const int n = 1000000;
    double s = 0, sg = 0, sgg = 0;
    for (int i = 0; i < n; i++)
        s += gsl_ran_exponential(&g, 1.0);
    for (int i = 0; i < n; i++) {
        double z = gsl_ran_gaussian(&g, 1.0);
        sg += z;
        sgg += z * z;
    }
    /* Standard error of the mean is 1e-3 for both. */
    CHECK_NEAR(s / n, 1.0, 0.005);
    CHECK_NEAR(sg / n, 0.0, 0.005);
    CHECK_NEAR(sgg / n, 1.0, 0.01);

    int ok = 1;
    uint64_t bins[10] = {0};
    for (int i = 0; i < 100000; i++) {
        unsigned long k = gsl_rng_uniform_int(&g, 10);
        ok &= k < 10;
        bins[k < 10 ? k : 0]++;
    }
    CHECK(ok);
    double chi2 = 0;
    for (int b = 0; b < 10; b++)
        chi2 += ((double)bins[b] - 1e4) * ((double)bins[b] - 1e4) / 1e4;
    CHECK(chi2 < CHI2_9DF_P001);

    /* get_double is rng_unit; a gsl_rng_alloc'ed generator seeded with
     * gsl_rng_set follows rng_seed. */
    struct rng a, b;
    rng_seed(&a, 5);
    rng_seed(&b, 5);
    gsl_rng ga = rng_as_gsl(&a);
    CHECK(gsl_rng_uniform(&ga) == rng_unit(&b));
    CHECK(gsl_rng_get(&ga) == (unsigned long)(rng_next(&b) >> 32));

    gsl_rng *heap_g = gsl_rng_alloc(rng_gsl_type);
    CHECK(heap_g != NULL);
    if (heap_g) {
        gsl_rng_set(heap_g, 5);
        rng_seed(&b, 5);
        CHECK(gsl_rng_uniform(heap_g) == rng_unit(&b));
        gsl_rng *clone = gsl_rng_clone(heap_g);
        CHECK(clone && gsl_rng_get(clone) == gsl_rng_get(heap_g));
        gsl_rng_free(clone);
        gsl_rng_free(heap_g);
    }
}

/* ---- dist --------------------------------------------------------------- */

static double sample_mean(const struct dist *d, struct rng *r, int n, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) {
        double v = dist_sample(d, r);
        s += v;
        ss += v * v;
    }
    double m = s / n;
    if (sd)
        *sd = sqrt(ss / n - m * m);
    return m;
}

static void test_dist_kinds(void)
{
    struct rng r;
    rng_seed(&r, 11);
    struct dist d;
    const int n = 1000000;

    dist_constant(&d, 3.25);
    CHECK(dist_sample(&d, &r) == 3.25);
    CHECK(dist_mean(&d) == 3.25);

    dist_exponential(&d, 2.5);
    CHECK(dist_mean(&d) == 2.5);
    double sd;
    CHECK_NEAR(sample_mean(&d, &r, n, &sd), 2.5, 2.5 * 0.01);
    CHECK_NEAR(sd, 2.5, 2.5 * 0.01);

    dist_normal(&d, 10.0, 2.0);
    CHECK(dist_mean(&d) == 10.0);
    CHECK_NEAR(sample_mean(&d, &r, n, &sd), 10.0, 0.01);
    CHECK_NEAR(sd, 2.0, 0.01);

    dist_uniform(&d, 3.0, 5.0);
    CHECK(dist_mean(&d) == 4.0);
    CHECK_NEAR(sample_mean(&d, &r, n, NULL), 4.0, 0.005);
    int in = 1;
    for (int i = 0; i < 100000; i++) {
        double v = dist_sample(&d, &r);
        in &= v >= 3.0 && v < 5.0;
    }
    CHECK(in);

    /* Lognormal by median and p99: both recovered within 2% from 1e6
     * draws; the mean matches exp(mu + sigma^2 / 2). */
    dist_lognormal_median_p99(&d, 0.5, 2.0);
    CHECK_NEAR(d.a, log(0.5), 1e-12);
    CHECK_NEAR(d.b, log(4.0) / DIST_Z99, 1e-12);
    double *v = malloc((size_t)n * sizeof *v);
    CHECK(v != NULL);
    if (v) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            v[i] = dist_sample(&d, &r);
            s += v[i];
        }
        qsort(v, (size_t)n, sizeof *v, cmp_double);
        CHECK_NEAR(sorted_quantile(v, (size_t)n, 0.5), 0.5, 0.5 * 0.02);
        CHECK_NEAR(sorted_quantile(v, (size_t)n, 0.99), 2.0, 2.0 * 0.02);
        CHECK_NEAR(s / n, dist_mean(&d), dist_mean(&d) * 0.02);
        free(v);
    }

    /* p99 == median: a point mass. */
    dist_lognormal_median_p99(&d, 0.25, 0.25);
    CHECK(d.b == 0.0);
    CHECK_NEAR(dist_sample(&d, &r), 0.25, 1e-15);
}

static void test_dist_clamp(void)
{
    struct rng r;
    rng_seed(&r, 12);
    struct dist d;
    dist_exponential(&d, 1.0);
    CHECK(d.min == -HUGE_VAL && d.max == HUGE_VAL);
    d.max = 1.0;
    int ok = 1, hit = 0;
    for (int i = 0; i < 100000; i++) {
        double v = dist_sample(&d, &r);
        ok &= v >= 0 && v <= 1.0;
        hit += v == 1.0;
    }
    CHECK(ok);
    /* P(Exp(1) > 1) = e^-1: about 36.8% of draws land on the cap. */
    CHECK_NEAR(hit / 1e5, exp(-1.0), 0.01);

    dist_normal(&d, 0.0, 1.0);
    d.min = 0.0;
    ok = 1;
    int zero = 0;
    for (int i = 0; i < 100000; i++) {
        double v = dist_sample(&d, &r);
        ok &= v >= 0;
        zero += v == 0.0;
    }
    CHECK(ok);
    CHECK_NEAR(zero / 1e5, 0.5, 0.01);

    dist_constant(&d, 7.0);
    d.min = 1.0;
    d.max = 2.0;
    CHECK(dist_sample(&d, &r) == 2.0);
}

static void test_dist_empirical(void)
{
    struct rng r;
    rng_seed(&r, 13);
    struct dist d;
    char err[128];
    const double values[] = {1.0, 2.0, 3.0, 10.0};
    const double weights[] = {1.0, 0.0, 3.0, 6.0};
    CHECK_INT_EQ(dist_empirical(&d, values, weights, 4, err, sizeof err), 0);
    CHECK_NEAR(dist_mean(&d), (1.0 + 9.0 + 60.0) / 10.0, 1e-12);

    const int n = 1000000;
    uint64_t counts[4] = {0};
    for (int i = 0; i < n; i++) {
        double v = dist_sample(&d, &r);
        for (int k = 0; k < 4; k++)
            counts[k] += v == values[k];
    }
    CHECK_INT_EQ(counts[0] + counts[1] + counts[2] + counts[3], n);
    CHECK_INT_EQ(counts[1], 0); /* zero weight is never drawn */
    double chi2 = 0;
    for (int k = 0; k < 4; k++) {
        if (weights[k] == 0)
            continue;
        double e = n * weights[k] / 10.0;
        chi2 += ((double)counts[k] - e) * ((double)counts[k] - e) / e;
    }
    CHECK(chi2 < CHI2_2DF_P001);

    /* Many uneven weights (1..200): every column's share matches. */
    enum { NW = 200 };
    double vv[NW], ww[NW], wsum = 0;
    for (int i = 0; i < NW; i++) {
        vv[i] = i;
        ww[i] = (i % 7) + 0.5 * (i % 3);
        wsum += ww[i];
    }
    struct dist big;
    CHECK_INT_EQ(dist_empirical(&big, vv, ww, NW, err, sizeof err), 0);
    double exact_mean = 0;
    for (int i = 0; i < NW; i++)
        exact_mean += vv[i] * ww[i] / wsum;
    CHECK_NEAR(dist_mean(&big), exact_mean, 1e-9);
    uint64_t hits[NW] = {0};
    for (int i = 0; i < n; i++)
        hits[(int)dist_sample(&big, &r)]++;
    double worst = 0; /* largest deviation in standard errors */
    for (int i = 0; i < NW; i++) {
        double p = ww[i] / wsum, e = n * p;
        if (p == 0) {
            CHECK_INT_EQ(hits[i], 0);
            continue;
        }
        double z = fabs((double)hits[i] - e) / sqrt(e * (1 - p));
        worst = z > worst ? z : worst;
    }
    CHECK(worst < 4.5);

    /* dist_copy is deep: the copy survives the original and draws the same
     * values from the same stream. */
    struct dist c;
    CHECK_INT_EQ(dist_copy(&c, &big), 0);
    CHECK(c.values != big.values && c.prob != big.prob && c.alias != big.alias);
    struct rng r1, r2;
    rng_seed(&r1, 77);
    rng_seed(&r2, 77);
    double before[16];
    for (int i = 0; i < 16; i++)
        before[i] = dist_sample(&big, &r1);
    big.values[0] = -1.0; /* mutate the original's table ... */
    dist_fini(&big);      /* ... and free it */
    CHECK(big.values == NULL && big.n == 0);
    int same = 1;
    for (int i = 0; i < 16; i++)
        same &= dist_sample(&c, &r2) == before[i];
    CHECK(same);
    dist_fini(&c);
    dist_fini(&d);

    /* Copies of non-empirical kinds; fini of them is a no-op. */
    struct dist e1, e2;
    dist_exponential(&e1, 4.0);
    CHECK_INT_EQ(dist_copy(&e2, &e1), 0);
    CHECK(dist_mean(&e2) == 4.0);
    dist_fini(&e2);

    /* Errors. */
    const double neg[] = {1.0, -1.0};
    const double zero[] = {0.0, 0.0};
    const double nan_v[] = {NAN, 1.0};
    err[0] = 0;
    CHECK_INT_EQ(dist_empirical(&d, values, neg, 2, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "weight 1");
    CHECK_INT_EQ(dist_empirical(&d, values, zero, 2, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "sum");
    CHECK_INT_EQ(dist_empirical(&d, nan_v, weights, 2, err, sizeof err), -1);
    CHECK_INT_EQ(dist_empirical(&d, values, weights, 0, err, sizeof err), -1);
    dist_fini(&d);

    /* A single value. */
    const double one_v[] = {42.0}, one_w[] = {0.5};
    CHECK_INT_EQ(dist_empirical(&d, one_v, one_w, 1, err, sizeof err), 0);
    CHECK(dist_sample(&d, &r) == 42.0);
    CHECK(dist_mean(&d) == 42.0);
    dist_fini(&d);
}

/* ---- hist --------------------------------------------------------------- */

static void test_hist_layout(void)
{
    int ok = 1;
    for (int64_t v = 0; v < HIST_SUB; v++) {
        int64_t lo, w;
        hist_bucket_range(hist_index(v), &lo, &w);
        ok &= hist_index(v) == (uint32_t)v && lo == v && w == 1;
    }
    CHECK(ok);

    /* Buckets tile [0, 2^63) without gaps; both ends of each map back to
     * it; widths stay within 2^-SUB of the lower bound. */
    ok = 1;
    int64_t next = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        int64_t lo, w;
        hist_bucket_range(i, &lo, &w);
        int64_t hi = lo + (w - 1);
        ok &= lo == next && w >= 1;
        ok &= hist_index(lo) == i && hist_index(hi) == i;
        if (lo >= HIST_SUB)
            ok &= (double)w / (double)lo <= 1.0 / HIST_SUB;
        next = hi == INT64_MAX ? INT64_MAX : hi + 1;
        if (i == HIST_BUCKETS - 1)
            ok &= hi == INT64_MAX;
    }
    CHECK(ok);
    CHECK_INT_EQ(hist_index(-5), 0);
    CHECK_INT_EQ(hist_index(INT64_MAX), HIST_BUCKETS - 1);
}

/* The worst relative error of hist_quantile against the sorted samples. */
static double hist_worst_error(const double *sorted, size_t n, const struct hist *h)
{
    static const double qs[] = {0.0, 0.001, 0.01, 0.05,  0.1,   0.25,   0.5, 0.75,
                                0.9, 0.95,  0.99, 0.995, 0.999, 0.9999, 1.0};
    double worst = 0;
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double truth = sorted_quantile(sorted, n, qs[k]);
        double got = (double)hist_quantile(h, qs[k]);
        double e = truth == 0 ? fabs(got) : fabs(got - truth) / truth;
        worst = e > worst ? e : worst;
    }
    return worst;
}

/* Relative error bound of the metrics contract. */
#define HIST_MAX_REL_ERR 0.001

static void test_hist_quantiles(void)
{
    struct rng r;
    rng_seed(&r, 21);
    struct hist h;
    CHECK_INT_EQ(hist_init(&h), 0);
    CHECK_INT_EQ(hist_quantile(&h, 0.5), 0);
    CHECK(hist_mean(&h) == 0.0);

    enum { N = 100000 };
    double *v = malloc(N * sizeof *v);
    CHECK(v != NULL);
    if (!v)
        return;
    struct dist kinds[5];
    /* log-uniform over 1 ns .. 1e12 ns: every octave of the range */
    dist_uniform(&kinds[0], 0.0, log(1e12));
    dist_lognormal_median_p99(&kinds[1], 2e8, 3e9); /* TTFT-like, ns */
    dist_exponential(&kinds[2], 5e6);
    dist_uniform(&kinds[3], 0.0, 3000.0); /* mostly exact small values */
    dist_lognormal_median_p99(&kinds[4], 1e11, 1e12);
    for (int k = 0; k < 5; k++) {
        hist_reset(&h);
        double sum = 0;
        for (int i = 0; i < N; i++) {
            double x = dist_sample(&kinds[k], &r);
            if (k == 0)
                x = exp(x);
            int64_t iv = (int64_t)llround(x);
            v[i] = (double)iv;
            sum += (double)iv;
            hist_add(&h, iv);
        }
        qsort(v, N, sizeof *v, cmp_double);
        double worst = hist_worst_error(v, N, &h);
        CHECK(worst <= HIST_MAX_REL_ERR);
        if (worst > HIST_MAX_REL_ERR)
            fprintf(stderr, "  distribution %d: worst relative error %.3g\n", k, worst);
        CHECK_INT_EQ(h.count, N);
        CHECK(hist_quantile(&h, 0.0) == (int64_t)v[0]);
        CHECK(hist_quantile(&h, 1.0) == (int64_t)v[N - 1]);
        CHECK_NEAR(hist_mean(&h), sum / N, fabs(sum / N) * 1e-12);
    }
    free(v);

    /* Exact nearest rank on small values: 1..100, p50 = 50, p99 = 99. */
    hist_reset(&h);
    for (int i = 100; i >= 1; i--)
        hist_add(&h, i);
    CHECK_INT_EQ(hist_quantile(&h, 0.5), 50);
    CHECK_INT_EQ(hist_quantile(&h, 0.99), 99);
    CHECK_INT_EQ(hist_quantile(&h, 0.07), 7);
    CHECK_INT_EQ(hist_quantile(&h, 0.001), 1);
    CHECK_INT_EQ(hist_quantile(&h, -1.0), 1);
    CHECK_INT_EQ(hist_quantile(&h, 2.0), 100);
    CHECK_INT_EQ(hist_quantile(&h, NAN), 1);

    /* Negative values count as 0; a single large value is returned as is
     * (the midpoint is clamped to [min, max]). */
    hist_reset(&h);
    hist_add(&h, 123456789012);
    CHECK_INT_EQ(hist_quantile(&h, 0.5), 123456789012);
    hist_add(&h, -7);
    CHECK_INT_EQ(h.min, 0);
    CHECK_INT_EQ(hist_quantile(&h, 0.5), 0);
    hist_fini(&h);
    CHECK(h.buckets == NULL);
}

/* hist_bucket_value: the midpoint hist_quantile reports, clamped to the
 * values seen. */
static void test_hist_bucket_value(void)
{
    struct hist h;
    CHECK_INT_EQ(hist_init(&h), 0);
    int64_t v[] = {5, 1000, 5000, 123456789};
    for (uint32_t i = 0; i < 4; i++)
        hist_add(&h, v[i]);
    CHECK_INT_EQ(hist_bucket_value(&h, hist_index(5)), 5); /* exact range */
    CHECK_INT_EQ(hist_bucket_value(&h, hist_index(1000)), 1000);
    /* 5000 is above the exact range (width 4 there): the bucket midpoint */
    int64_t lo, width;
    hist_bucket_range(hist_index(5000), &lo, &width);
    CHECK_INT_EQ(hist_bucket_value(&h, hist_index(5000)), lo + (width - 1) / 2);
    CHECK_INT_EQ(hist_quantile(&h, 0.75), hist_bucket_value(&h, hist_index(5000)));
    /* The top bucket's midpoint lies below its value's bucket end but may
     * exceed the maximum: clamped to it. */
    CHECK(hist_bucket_value(&h, hist_index(123456789)) <= 123456789);
    CHECK_INT_EQ(hist_quantile(&h, 1.0), 123456789);
    /* Buckets outside [min, max] clamp to the ends. */
    CHECK_INT_EQ(hist_bucket_value(&h, 0), 5);
    CHECK_INT_EQ(hist_bucket_value(&h, HIST_BUCKETS - 1), 123456789);
    hist_fini(&h);
}

static void test_hist_merge(void)
{
    struct rng r;
    rng_seed(&r, 31);
    struct hist a, b, all;
    CHECK_INT_EQ(hist_init(&a), 0);
    CHECK_INT_EQ(hist_init(&b), 0);
    CHECK_INT_EQ(hist_init(&all), 0);
    struct dist d;
    dist_lognormal_median_p99(&d, 1e6, 1e8);
    for (int i = 0; i < 50000; i++) {
        int64_t v = (int64_t)dist_sample(&d, &r);
        hist_add(i % 3 ? &a : &b, v);
        hist_add(&all, v);
    }
    struct hist empty;
    CHECK_INT_EQ(hist_init(&empty), 0);
    hist_merge(&a, &empty); /* merging nothing changes nothing */
    hist_merge(&a, &b);
    CHECK_INT_EQ(a.count, all.count);
    CHECK(a.min == all.min && a.max == all.max);
    CHECK_NEAR(a.sum, all.sum, all.sum * 1e-12);
    CHECK(memcmp(a.buckets, all.buckets, (size_t)HIST_BUCKETS * sizeof *a.buckets) == 0);
    CHECK(hist_quantile(&a, 0.99) == hist_quantile(&all, 0.99));
    /* into an empty histogram */
    hist_merge(&empty, &all);
    CHECK(hist_quantile(&empty, 0.5) == hist_quantile(&all, 0.5));
    CHECK(empty.min == all.min && empty.max == all.max);
    hist_fini(&a);
    hist_fini(&b);
    hist_fini(&all);
    hist_fini(&empty);
}

/* ---- heap --------------------------------------------------------------- */

/* The reference: events kept sorted by (t, seq) in a plain array. */
struct ref_ev {
    int64_t t;
    uint64_t seq;
    uint32_t idx;
};

static int ref_cmp(const struct ref_ev *a, const struct ref_ev *b)
{
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static void test_heap_sorted(void)
{
    struct heap h;
    CHECK_INT_EQ(heap_init(&h, 1), 0);
    struct heap_ev out;
    CHECK(heap_empty(&h));
    CHECK(heap_top(&h) == NULL);
    CHECK(!heap_pop(&h, &out));

    /* 1e5 events at only 1000 distinct times: many ties. */
    enum { N = 100000 };
    struct rng r;
    rng_seed(&r, 41);
    int ok = 1;
    for (uint32_t i = 0; i < N; i++) {
        struct heap_ev e = {.t_ns = (int64_t)rng_below(&r, 1000) - 10,
                            .kind = 7,
                            .idx = i,
                            .gen = i ^ 0x55u,
                            .aux = i * 3u};
        ok &= heap_push(&h, e) == 0;
    }
    CHECK(ok);
    CHECK_INT_EQ(h.n, N);
    CHECK(h.cap >= N);
    int64_t last_t = INT64_MIN;
    uint64_t last_seq = 0;
    uint32_t popped = 0;
    ok = 1;
    while (!heap_empty(&h)) {
        const struct heap_ev *top = heap_top(&h);
        int64_t tt = top->t_ns;
        uint64_t ts = top->seq;
        ok &= heap_pop(&h, &out);
        ok &= out.t_ns == tt && out.seq == ts;
        /* strictly increasing (t, seq); with seq == idx, FIFO on ties */
        ok &= out.t_ns > last_t || (out.t_ns == last_t && out.seq > last_seq);
        ok &= out.seq == out.idx && out.kind == 7 && out.gen == (out.idx ^ 0x55u) &&
              out.aux == out.idx * 3u;
        last_t = out.t_ns;
        last_seq = out.seq;
        popped++;
    }
    CHECK(ok);
    CHECK_INT_EQ(popped, N);

    /* FIFO for equal times, small and explicit. */
    for (uint32_t i = 0; i < 10; i++) {
        struct heap_ev e = {.t_ns = 5, .idx = i};
        heap_push(&h, e);
    }
    ok = 1;
    for (uint32_t i = 0; i < 10; i++)
        ok &= heap_pop(&h, &out) && out.idx == i;
    CHECK(ok);
    heap_fini(&h);
    CHECK(h.ev == NULL);
    heap_fini(&h); /* twice is harmless */
}

static void test_heap_random(void)
{
    /* Random interleaving of pushes and pops checked pop by pop against a
     * sorted array; pending size wanders between 0 and a few thousand. */
    enum { OPS = 300000, MAXREF = 1 << 16 };
    struct ref_ev *ref = malloc(MAXREF * sizeof *ref);
    CHECK(ref != NULL);
    if (!ref)
        return;
    uint32_t nref = 0;
    struct heap h;
    CHECK_INT_EQ(heap_init(&h, 0), 0);
    struct rng r;
    rng_seed(&r, 43);
    int64_t now = 0;
    int ok = 1;
    uint32_t max_pending = 0;
    for (uint32_t op = 0; op < OPS; op++) {
        /* Drift the push probability so the queue both grows and drains. */
        uint32_t push_pct = (op / 20000) % 2 ? 40 : 62;
        if (nref < MAXREF && (nref == 0 || rng_below(&r, 100) < push_pct)) {
            /* events are scheduled at or after the current time, as in a
             * simulation; small offsets make ties common */
            struct heap_ev e = {.t_ns = now + (int64_t)rng_below(&r, 50), .idx = op};
            uint64_t seq = h.next_seq;
            ok &= heap_push(&h, e) == 0;
            struct ref_ev re = {e.t_ns, seq, op};
            uint32_t lo = 0, hi = nref;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (ref_cmp(&ref[mid], &re) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            memmove(&ref[lo + 1], &ref[lo], (nref - lo) * sizeof *ref);
            ref[lo] = re;
            nref++;
            max_pending = nref > max_pending ? nref : max_pending;
        } else {
            struct heap_ev out;
            ok &= heap_pop(&h, &out);
            ok &= out.t_ns == ref[0].t && out.seq == ref[0].seq && out.idx == ref[0].idx;
            now = out.t_ns;
            memmove(&ref[0], &ref[1], (nref - 1) * sizeof *ref);
            nref--;
        }
        ok &= h.n == nref;
    }
    CHECK(ok);
    CHECK(max_pending > 1000);
    heap_fini(&h);
    free(ref);
}

static void test_heap_bulk_vs_sort(void)
{
    /* 1e5 random times including negatives and extremes, popped in the
     * order of a qsort of the same times. */
    enum { N = 100000 };
    int64_t *t = malloc(N * sizeof *t);
    CHECK(t != NULL);
    if (!t)
        return;
    struct heap h;
    CHECK_INT_EQ(heap_init(&h, N), 0);
    struct rng r;
    rng_seed(&r, 47);
    for (int i = 0; i < N; i++) {
        t[i] = (int64_t)rng_next(&r);
        if (i % 1000 == 0)
            t[i] = i % 2000 ? INT64_MAX : INT64_MIN;
        struct heap_ev e = {.t_ns = t[i]};
        heap_push(&h, e);
    }
    qsort(t, N, sizeof *t, cmp_i64);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        struct heap_ev out;
        ok &= heap_pop(&h, &out) && out.t_ns == t[i];
    }
    CHECK(ok);
    CHECK(heap_empty(&h));
    heap_fini(&h);
    free(t);
}

/* Insert re into the sorted reference ref[0..*n). */
static void ref_insert(struct ref_ev *ref, uint32_t *n, struct ref_ev re)
{
    uint32_t lo = 0, hi = *n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (ref_cmp(&ref[mid], &re) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&ref[lo + 1], &ref[lo], (*n - lo) * sizeof *ref);
    ref[lo] = re;
    (*n)++;
}

static void test_heap_replace_top(void)
{
    /* heap_replace_top and heap_drop_top against heap_pop then heap_push
     * on a twin heap: the same events with the same seq pop in the same
     * order (the engine's fused pop-push relies on it); both are checked
     * against a sorted reference at every step.  The size wanders from 0
     * to a few thousand, so every partial last quad and the bottom-up
     * sift's climb from every depth are exercised. */
    enum { MAXREF = 1 << 14 };
    struct ref_ev *ref = malloc(MAXREF * sizeof *ref);
    CHECK(ref != NULL);
    if (!ref)
        return;
    uint32_t nref = 0;
    struct heap a, b;
    CHECK_INT_EQ(heap_init(&a, 0), 0);
    CHECK_INT_EQ(heap_init(&b, 0), 0);
    struct rng r;
    rng_seed(&r, 53);
    int64_t now = 0;
    int ok = 1;
    uint32_t max_pending = 0;
    for (uint32_t op = 0; op < 200000; op++) {
        uint32_t k = rng_below(&r, 100);
        uint32_t push_pct = (op / 10000) % 2 ? 35 : 55;
        /* mostly near-future events (ties common), some far ahead */
        int64_t dt = k % 8 ? (int64_t)rng_below(&r, 50) : (int64_t)rng_below(&r, 100000);
        struct heap_ev e = {.t_ns = now + dt, .idx = op};
        if (a.n == 0 || (k < push_pct && nref < MAXREF)) {
            ref_insert(ref, &nref, (struct ref_ev){e.t_ns, a.next_seq, op});
            ok &= heap_push(&a, e) == 0 && heap_push(&b, e) == 0;
        } else {
            const struct heap_ev top = *heap_top(&a);
            struct heap_ev out;
            ok &= top.t_ns == ref[0].t && top.seq == ref[0].seq && top.idx == ref[0].idx;
            ok &= heap_pop(&b, &out) && out.t_ns == top.t_ns && out.seq == top.seq &&
                  out.idx == top.idx;
            memmove(&ref[0], &ref[1], (nref - 1) * sizeof *ref);
            nref--;
            now = top.t_ns;
            if (k < 80) {
                ref_insert(ref, &nref, (struct ref_ev){e.t_ns, a.next_seq, op});
                heap_replace_top(&a, e);
                ok &= heap_push(&b, e) == 0;
            } else {
                heap_drop_top(&a);
            }
        }
        ok &= a.n == b.n && a.n == nref && a.next_seq == b.next_seq;
        max_pending = nref > max_pending ? nref : max_pending;
    }
    struct heap_ev x, y;
    uint32_t i = 0;
    while (heap_pop(&b, &y)) {
        ok &= heap_pop(&a, &x) && x.t_ns == y.t_ns && x.seq == y.seq && x.idx == y.idx;
        ok &= i < nref && x.t_ns == ref[i].t && x.seq == ref[i].seq && x.idx == ref[i].idx;
        i++;
    }
    CHECK(ok);
    CHECK(i == nref);
    CHECK(max_pending > 1000);
    CHECK(heap_empty(&a));
    heap_fini(&a);
    heap_fini(&b);
    free(ref);
}

static void test_dist_llround(void)
{
    /* dist_llround is llround: halves, neighbours of halves, the 2^52 and
     * 2^53 boundaries, the int64 edge, and random doubles of every scale. */
    static const double edge[] = {0.0,
                                  -0.0,
                                  0.5,
                                  -0.5,
                                  1.5,
                                  -1.5,
                                  2.5,
                                  -2.5,
                                  0.49999999999999994,
                                  -0.49999999999999994,
                                  4503599627370495.5,
                                  -4503599627370495.5,
                                  4503599627370496.0,
                                  9007199254740993.0,
                                  9223372036854774784.0,
                                  -9223372036854775808.0,
                                  1e-300,
                                  123456789.5};
    int ok = 1;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        ok &= dist_llround(edge[i]) == llround(edge[i]);
    struct rng r;
    rng_seed(&r, 59);
    for (int i = 0; i < 1000000; i++) {
        double m = rng_unit(&r) * 2.0 - 1.0;
        double x = ldexp(m, (int)rng_below(&r, 126) - 60);
        if (i % 4 == 0)
            x = floor(x) + 0.5; /* a tie */
        ok &= dist_llround(x) == llround(x);
        ok &= dist_llround(nextafter(x, 0.0)) == llround(nextafter(x, 0.0));
    }
    CHECK(ok);
}

int main(void)
{
    test_rng_determinism();
    test_rng_below();
    test_rng_gsl();
    test_dist_kinds();
    test_dist_clamp();
    test_dist_empirical();
    test_hist_layout();
    test_hist_quantiles();
    test_hist_bucket_value();
    test_hist_merge();
    test_heap_sorted();
    test_heap_random();
    test_heap_bulk_vs_sort();
    test_heap_replace_top();
    test_dist_llround();
    return check_report("test_core");
}
