/*
 * trace_fit.c - empirical token-length distributions fitted from a trace
 * (trace_fit_lengths, see trace.h).
 *
 * The source is read to its end once; input and output token counts go
 * into two log-linear histograms (base/hist.h: exact below 1,024, else
 * buckets within 0.05% of their values), so memory is fixed (~0.9 MiB)
 * whatever the trace length.
 *
 * Binning.  If the histogram has at most max_bins non-empty buckets, each
 * becomes one value (its representative, hist.h's bucket midpoint; exact
 * below 1,024) with its count as weight.  Otherwise the rows are cut into
 * max_bins quantile bins of equal mass (bin b holds the ranks
 * [b N / B, (b + 1) N / B); a bucket straddling a cut is split), and each
 * bin becomes one value, the mean of the values in it, weighted by its
 * mass.  Using the conditional mean (not, say, the bin's median) keeps the
 * fitted distribution's mean equal to the trace's mean up to the
 * histogram's resolution, and the bins still follow the quantiles: the
 * fitted CDF meets the trace's at every cut.  Adjacent bins with equal
 * values (a heavy single value) are merged.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "trace.h"

static int fit_one(const struct hist *h, uint32_t max_bins, struct dist *d, const char *what,
                   char *err, size_t errlen)
{
    uint32_t nonempty = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        nonempty += h->buckets[i] != 0;
    uint32_t nb = nonempty <= max_bins ? nonempty : max_bins;
    double *val = calloc(nb, sizeof *val);
    double *mass = calloc(nb, sizeof *mass);
    if (!val || !mass) {
        free(val);
        free(mass);
        snprintf(err, errlen, "trace fit: out of memory (%u bins)", nb);
        return -1;
    }
    uint32_t n = 0;
    if (nonempty <= max_bins) {
        for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
            if (!h->buckets[i])
                continue;
            val[n] = (double)hist_bucket_value(h, i);
            mass[n] = (double)h->buckets[i];
            n++;
        }
    } else {
        /* Quantile bins: val[] accumulates value x count, then / mass. */
        double total = (double)h->count;
        uint32_t b = 0;
        double filled = 0; /* rows placed so far */
        for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
            double left = (double)h->buckets[i];
            if (left == 0)
                continue;
            double v = (double)hist_bucket_value(h, i);
            while (left > 0) {
                /* The last bin ends at the total, so it always has room. */
                double end = b + 1 == nb ? total : floor(total * (b + 1) / nb);
                double room = end - filled;
                if (room <= 0) {
                    b++;
                    continue;
                }
                double take = room < left ? room : left;
                val[b] += take * v;
                mass[b] += take;
                filled += take;
                left -= take;
            }
        }
        for (uint32_t k = 0; k < nb; k++) {
            if (!(mass[k] > 0))
                continue;
            double v = val[k] / mass[k];
            if (n > 0 && val[n - 1] == v) {
                mass[n - 1] += mass[k];
                continue;
            }
            val[n] = v;
            mass[n] = mass[k];
            n++;
        }
    }
    char derr[160];
    int rc = dist_empirical(d, val, mass, n, derr, sizeof derr);
    if (rc != 0)
        snprintf(err, errlen, "trace fit: %s tokens: %s", what, derr);
    free(val);
    free(mass);
    return rc;
}

int trace_fit_lengths(struct trace_src *src, uint32_t max_bins, struct dist *input,
                      struct dist *output, char *err, size_t errlen)
{
    if (!src || !input || !output) {
        snprintf(err, errlen,
                 "trace fit: found no source or no output distribution, expected "
                 "both");
        return -1;
    }
    if (max_bins < 1) {
        snprintf(err, errlen, "trace fit: found max_bins 0, expected at least 1");
        return -1;
    }
    struct hist hin, hout;
    if (hist_init(&hin) != 0) {
        snprintf(err, errlen, "trace fit: out of memory");
        return -1;
    }
    if (hist_init(&hout) != 0) {
        hist_fini(&hin);
        snprintf(err, errlen, "trace fit: out of memory");
        return -1;
    }
    struct trace_rec r;
    int rc;
    while ((rc = trace_next(src, &r, err, errlen)) > 0) {
        hist_add(&hin, r.input_tokens);
        hist_add(&hout, r.output_tokens);
    }
    if (rc == 0 && hin.count == 0) {
        snprintf(err, errlen, "trace fit: found no rows, expected at least one to fit");
        rc = -1;
    }
    if (rc == 0) {
        rc = fit_one(&hin, max_bins, input, "input", err, errlen);
        if (rc == 0) {
            rc = fit_one(&hout, max_bins, output, "output", err, errlen);
            if (rc != 0)
                dist_fini(input);
        }
    }
    hist_fini(&hin);
    hist_fini(&hout);
    return rc < 0 ? -1 : 0;
}
