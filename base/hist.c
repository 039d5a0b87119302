/*
 * hist.c - log-linear histogram (see hist.h for the bucket layout).
 */
#include "hist.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Ulps of q * count forgiven when rounding a rank up (see hist_quantile). */
#define HIST_RANK_ULPS 4.0

/* An empty histogram's min/max are the identities of min()/max(), so the
 * first hist_add sets both. */
static void hist_clear_stats(struct hist *h)
{
    h->count = 0;
    h->sum = 0.0;
    h->min = INT64_MAX;
    h->max = INT64_MIN;
}

int hist_init(struct hist *h)
{
    hist_clear_stats(h);
    h->buckets = calloc(HIST_BUCKETS, sizeof *h->buckets);
    return h->buckets ? 0 : -1;
}

void hist_fini(struct hist *h)
{
    free(h->buckets);
    h->buckets = NULL;
    hist_clear_stats(h);
}

void hist_reset(struct hist *h)
{
    if (h->buckets)
        memset(h->buckets, 0, (size_t)HIST_BUCKETS * sizeof *h->buckets);
    hist_clear_stats(h);
}

void hist_bucket_range(uint32_t i, int64_t *lo, int64_t *width)
{
    if (i < HIST_SUB) {
        *lo = (int64_t)i;
        *width = 1;
        return;
    }
    if (i >= HIST_BUCKETS)
        i = HIST_BUCKETS - 1; /* out of range: the last bucket */
    /* The inverse of hist_index: octave o >= 1 covers [2^(o-1+SUB_BITS),
     * 2^(o+SUB_BITS)) in HIST_SUB buckets of width 2^(o-1). */
    uint32_t shift = i / HIST_SUB - 1;
    uint64_t sub = i % HIST_SUB;
    *lo = (int64_t)((HIST_SUB + sub) << shift);
    *width = (int64_t)(1ull << shift);
}

int64_t hist_bucket_value(const struct hist *h, uint32_t i)
{
    int64_t lo, width;
    hist_bucket_range(i, &lo, &width);
    int64_t v = lo + (width - 1) / 2;
    if (v < h->min)
        v = h->min;
    if (v > h->max)
        v = h->max;
    return v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->count == 0)
        return;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

int64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0)) /* also NaN */
        return h->min;
    if (q >= 1)
        return h->max;
    /* Nearest rank: the ceil(q n)-th smallest value, 1-based.  q n is
     * pulled down by a few ulps first so that products such as
     * 0.07 * 100 = 7.000000000000001 round to the rank a person expects. */
    double x = q * (double)h->count;
    x = ceil(x - x * HIST_RANK_ULPS * DBL_EPSILON);
    uint64_t rank = x < 1 ? 1 : (uint64_t)x;
    if (rank > h->count)
        rank = h->count;
    /* Only buckets between min and max can be non-empty. */
    uint32_t i = hist_index(h->min), last = hist_index(h->max);
    uint64_t cum = 0;
    for (; i < last; i++) {
        cum += h->buckets[i];
        if (cum >= rank)
            break;
    }
    return hist_bucket_value(h, i);
}

double hist_mean(const struct hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
