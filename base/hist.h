/*
 * hist.h - log-linear histogram of non-negative int64 values (prefix hist_).
 *
 * HdrHistogram-style buckets (Tene, HdrHistogram): values below 2^SUB are
 * exact; above, each power of two is split into 2^SUB linear sub-buckets,
 * so a bucket spans at most 2^-SUB of its lower bound.  With SUB = 10 the
 * reported value (bucket midpoint) is within 0.05% of every value in the
 * bucket: the <= 0.1% relative error the metrics contract asks for.
 * Memory is fixed (about 440 KiB for the full int64 range), independent of
 * the number of samples.
 */
#ifndef LBSIM_HIST_H
#define LBSIM_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 10
#define HIST_SUB      (1u << HIST_SUB_BITS)
/* Octaves above the exact range: values up to 2^63. */
#define HIST_OCTAVES (63 - HIST_SUB_BITS)
#define HIST_BUCKETS ((uint32_t)HIST_SUB * (HIST_OCTAVES + 1))

struct hist {
    uint64_t count;
    double sum;
    int64_t min, max;
    uint64_t *buckets; /* HIST_BUCKETS counters, owned */
};

/* 0 or -1 on allocation failure. */
int hist_init(struct hist *h);
void hist_fini(struct hist *h);
void hist_reset(struct hist *h);

/* The bucket of u in a log-linear layout with 2^sub_bits sub-buckets per
 * octave: exact below 2^sub_bits, then octave o = shift + 1 holds
 * [2^msb, 2^(msb+1)) in 2^sub_bits buckets.  Smaller histograms with this
 * layout (sim/labels.c) share it. */
static inline uint32_t hist_index_sub(uint64_t u, int sub_bits)
{
    uint64_t sub = (uint64_t)1 << sub_bits;
    if (u < sub)
        return (uint32_t)u;
    int msb = 63 - __builtin_clzll(u);
    int shift = msb - sub_bits;
    /* (shift + 1) sub + (u >> shift) - sub, the -sub and +sub folded */
    return ((uint32_t)shift << sub_bits) + (uint32_t)(u >> shift);
}

static inline uint32_t hist_index(int64_t v)
{
    return hist_index_sub(v < 0 ? 0 : (uint64_t)v, HIST_SUB_BITS);
}

static inline void hist_add(struct hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    h->buckets[hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

/* Lower bound and width of bucket i. */
void hist_bucket_range(uint32_t i, int64_t *lo, int64_t *width);

/* The value that stands for bucket i of h: its midpoint lo + (width - 1) / 2
 * (exact below 2^SUB), clamped to [h->min, h->max] so a bucket never
 * reports a value outside what was added.  hist_quantile reports it. */
int64_t hist_bucket_value(const struct hist *h, uint32_t i);

/* Merge src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* Nearest-rank quantile q in [0, 1]: the midpoint of the bucket holding
 * the ceil(q * count)-th smallest value, clamped to [min, max].  0 when
 * empty. */
int64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

#endif /* LBSIM_HIST_H */
