/*
 * trace_xform.c - transforms of a request source (window, sample, repeat,
 * overrides), the k-way merge of sources, and whole-source statistics
 * (`lbsim trace info`).  See trace.h for the contract.
 *
 * Transforms (struct trace_cfg, applied in this order to the records of the
 * format reader, which arrive already divided by rate_scale):
 *
 *   window   keep the rows whose arrival lies in [window_start_ns,
 *            window_end_ns) of the trace's own time.  The bounds are scaled
 *            like the arrivals (trace__scale_ns: divided by rate_scale,
 *            rounded to the nearest ns) and compared with the scaled
 *            arrivals; kept arrivals are re-based so the window starts at 0.
 *            Reading stops at the first row at or after the end (arrivals
 *            are non-decreasing), so a window near the start of a long trace
 *            costs only the rows before its end.
 *   sample   keep each row of the window with probability `sample`, drawn
 *            from rng_stream(seed, RNG_SAMPLE): the same seed keeps the same
 *            rows.  0 (and 1) keep all.
 *   repeat   when a pass ends (the reader's end, or the window's end), play
 *            the first pass's windowed rows again from memory (kept column
 *            by column up to TRACE_MEM_CAP_BYTES, trace_mem.c; beyond it,
 *            close and reopen the reader), shifted by the length
 *            of the pass, until an arrival reaches repeat_to_ns (output
 *            time).  The length of a pass is the window's length (scaled) when
 *            window_end_ns is given; otherwise it is the last re-based
 *            arrival of the pass plus the pass's mean gap, last / rows (the
 *            mean of the gaps from 0 to the first arrival and between
 *            arrivals), counted over the windowed rows before sampling so
 *            that it does not depend on the sample.  Every arrival of a pass
 *            is below its length, so arrivals stay non-decreasing across
 *            passes.  A pass with no row in its window, or of length 0
 *            (every row at 0), cannot be repeated: an error, not a silent
 *            single pass (nor endless passes of nothing).  repeat_to_ns
 *            also ends the first pass: no arrival at or after it is
 *            returned.
 *   override set_priority (non-zero) and set_label[k] (non-empty) replace
 *            the row's priority and labels; the labels are interned once, at
 *            open.
 * Memory is fixed (the state below, whatever the trace length), except the
 * first pass kept for repeat, bounded by TRACE_MEM_CAP_BYTES.
 *
 * Merge: one source per input (trace_open, with its own transforms,
 * overrides and limit; a limit on the merged result does not exist), seed
 * rng_mix64(seed + i) for input i.  Each input holds one pending record;
 * the earliest is returned (ties: the lower index).  A returned input is
 * refilled at the next call only, so a record's block hashes stay valid
 * until the next trace_next on the merged source, as the contract says.
 * Labels are re-interned into the merged source's tables through a per-
 * input id map (memory grows with the number of distinct labels only).
 * Picking the earliest is a linear scan: the inputs are a handful.
 *
 * Statistics (trace_stats_compute), one pass, fixed memory:
 *   mean rate    rows / (last - first arrival), in requests/s (the README of
 *                the shared traces: 19,366 rows over 3,502 s = 5.53/s); 0
 *                when the span is 0.
 *   peak rate    most rows in one minute [k min, k+1 min) of trace time.
 *   tokens       exact mean and max; p50/p90/p99 nearest-rank from base/hist.h
 *                (exact below 2048 tokens, within 0.05% above).
 *   CV           of the inter-arrival gaps (rows - 1 of them), Welford, sample
 *                standard deviation (n - 1) over the mean; 0 with < 2 gaps.
 *   IDC          sample variance / mean of the counts of arrivals in the
 *                windows [k w, (k+1) w) from the one holding the first arrival
 *                to the one holding the last, empty windows included (runs of
 *                empty windows are folded in at once, Chan et al.'s pairwise
 *                update); 0 with < 2 windows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hist.h"
#include "trace_int.h"

struct trace_xform {
    int has_window, has_end;
    int64_t ws, we; /* window bounds, scaled like the arrivals */
    double sample;  /* in (0, 1): sampling on; else keep all */
    struct rng rng;
    int64_t repeat_to; /* 0 = play once */
    uint32_t set_priority;
    uint32_t set_label[TRACE_LABEL_KINDS_]; /* interned ids, 0 = keep the row's */
    int64_t offset;                         /* added to this pass's re-based arrivals */
    int64_t pass_last;                      /* last re-based arrival of this pass */
    uint64_t pass_rows;                     /* windowed rows of this pass, before sampling */
    int done;
    /* repeat from memory: the windowed rows of the first pass (NULL when
       not repeating or past TRACE_MEM_CAP_BYTES: then the reader reopens) */
    struct trace__recbuf *buf;
    int replay;          /* passes after the first read buf */
    uint64_t pos;        /* next row of buf */
    uint64_t skip_base;  /* src->skipped when the current pass started */
    uint64_t skip_pass;  /* bad rows the first pass skipped */
    uint64_t skip_last;  /* skipped so far in the first pass */
    struct xf_skip *chg; /* the first pass's skip count before buffered rows */
    uint64_t n_chg, chg_cap, chg_next;
};

/* Before buffered row `row`, the first pass had skipped `skipped` bad rows. */
struct xf_skip {
    uint64_t row, skipped;
};

static const char *cfg_name(const struct trace_src *src)
{
    if (src->cfg.path && src->cfg.path[0])
        return src->cfg.path;
    return trace_format_name(src->cfg.format);
}

int trace__xform_open(struct trace_src *src)
{
    const struct trace_cfg *c = &src->cfg;
    int any_label = 0;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        if (c->set_label[k][0])
            any_label = 1;
    if (c->window_start_ns == 0 && c->window_end_ns == 0 && c->sample == 0 &&
        c->repeat_to_ns == 0 && c->set_priority == 0 && !any_label)
        return 0;

    const char *name = cfg_name(src);
    if (c->window_start_ns < 0 || c->window_end_ns < 0 ||
        (c->window_end_ns != 0 && c->window_end_ns <= c->window_start_ns)) {
        trace__fail(src,
                    "trace %s: found window [%lld ns, %lld ns), expected 0 <= start < end (end 0 "
                    "= no end)",
                    name, (long long)c->window_start_ns, (long long)c->window_end_ns);
        return -1;
    }
    if (!(c->sample >= 0 && c->sample <= 1)) {
        trace__fail(src,
                    "trace %s: found sample %g, expected a probability in [0, 1] (0 = keep all)",
                    name, c->sample);
        return -1;
    }
    if (c->repeat_to_ns < 0) {
        trace__fail(src, "trace %s: found repeat_to %lld ns, expected >= 0 (0 = play once)", name,
                    (long long)c->repeat_to_ns);
        return -1;
    }

    struct trace_xform *xf = calloc(1, sizeof *xf);
    if (!xf) {
        trace__fail(src, "trace %s: out of memory", name);
        return -1;
    }
    src->xf = xf;
    xf->has_window = c->window_start_ns != 0 || c->window_end_ns != 0;
    xf->has_end = c->window_end_ns != 0;
    if (trace__scale_ns(src, c->window_start_ns, &xf->ws) != 0 ||
        (xf->has_end && trace__scale_ns(src, c->window_end_ns, &xf->we) != 0)) {
        trace__fail(src, "trace %s: window beyond the int64 nanosecond range after rate_scale",
                    name);
        return -1;
    }
    if (xf->has_end && xf->we <= xf->ws)
        xf->we = xf->ws + 1; /* a window shorter than 1 ns after scaling */
    xf->sample = c->sample;
    rng_stream(&xf->rng, src->seed, RNG_SAMPLE);
    xf->repeat_to = c->repeat_to_ns;
    if (xf->repeat_to)
        xf->buf = trace__recbuf_new(TRACE_MEM_CAP_BYTES); /* NULL: reopen per pass */
    xf->skip_base = src->skipped;
    xf->set_priority = c->set_priority;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++) {
        size_t len = strnlen(c->set_label[k], sizeof c->set_label[k]);
        if (len && trace__intern_label(src, (enum trace_label_kind)k, c->set_label[k], len,
                                       &xf->set_label[k]) != 0) {
            trace__fail(src, "trace %s: out of memory", name);
            return -1;
        }
    }
    return 0;
}

/* The current pass is over: start the next one, or end.  1 = go on, 0 =
 * the end, -1 = the reader failed to reopen or the pass cannot repeat. */
static int next_pass(struct trace_src *src, struct trace_xform *xf)
{
    if (xf->repeat_to == 0)
        return 0;
    int64_t len;
    if (xf->has_end)
        len = xf->we - xf->ws;
    else if (xf->pass_rows == 0)
        len = 0;
    else
        len = xf->pass_last + (int64_t)((uint64_t)xf->pass_last / xf->pass_rows);
    if (xf->pass_rows == 0 || len <= 0) {
        trace__fail(src,
                    "trace %s: found repeat_to %.3f s on a pass %s, expected a trace (window) "
                    "with arrivals spanning more than 0 s",
                    cfg_name(src), (double)xf->repeat_to * 1e-9,
                    xf->pass_rows == 0 ? "with no row in it" : "spanning 0 s (every arrival at 0)");
        return -1;
    }
    if (xf->offset > INT64_MAX - len)
        return 0;
    xf->offset += len;
    if (xf->offset >= xf->repeat_to)
        return 0;
    xf->pass_rows = 0;
    xf->pass_last = 0;
    if (xf->buf) {
        /* replay the first pass from memory: the same rows, and the same
           skip counts a re-read would add, without parsing the file again */
        if (!xf->replay) {
            xf->skip_pass = src->skipped - xf->skip_base;
            trace__raw_close(src);
            xf->replay = 1;
        }
        xf->pos = 0;
        xf->chg_next = 0;
        xf->skip_base = src->skipped;
        return 1;
    }
    trace__raw_close(src);
    return trace__raw_open(src) == 0 ? 1 : -1;
}

static void drop_buf(struct trace_xform *xf)
{
    trace__recbuf_free(xf->buf);
    xf->buf = NULL;
    free(xf->chg);
    xf->chg = NULL;
}

/* Keep a windowed row of the first pass (and the skip count before it);
 * past the cap or out of memory, stop buffering: later passes re-read. */
static void buffer_row(struct trace_src *src, struct trace_xform *xf, const struct trace_rec *r)
{
    uint64_t row = trace__recbuf_rows(xf->buf);
    uint64_t cur = src->skipped - xf->skip_base;
    if (cur != xf->skip_last) {
        if (xf->n_chg == xf->chg_cap) {
            uint64_t cap = xf->chg_cap ? xf->chg_cap * 2 : 16;
            struct xf_skip *q = realloc(xf->chg, (size_t)cap * sizeof *q);
            if (!q) {
                drop_buf(xf);
                return;
            }
            xf->chg = q;
            xf->chg_cap = cap;
        }
        xf->chg[xf->n_chg++] = (struct xf_skip){row, cur};
        xf->skip_last = cur;
    }
    if (trace__recbuf_push(xf->buf, r) != 0)
        drop_buf(xf);
}

/* The next row of a replayed pass, 1, or 0 at its end. */
static int buf_next(struct trace_src *src, struct trace_xform *xf, struct trace_rec *r)
{
    while (xf->chg_next < xf->n_chg && xf->chg[xf->chg_next].row <= xf->pos)
        src->skipped = xf->skip_base + xf->chg[xf->chg_next++].skipped;
    if (xf->pos < trace__recbuf_rows(xf->buf)) {
        trace__recbuf_get(xf->buf, xf->pos++, r);
        return 1;
    }
    src->skipped = xf->skip_base + xf->skip_pass;
    return 0;
}

int trace__xform_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_xform *xf = src->xf;
    for (;;) {
        if (xf->done)
            return 0;
        struct trace_rec r;
        int rc;
        if (xf->replay) {
            rc = buf_next(src, xf, &r);
        } else {
            rc = trace__raw_next(src, &r);
            if (rc < 0)
                return rc;
            if (rc > 0 && r.arrival_ns < xf->ws)
                continue; /* before the window */
            if (rc > 0 && xf->has_end && r.arrival_ns >= xf->we)
                rc = 0; /* the window's end ends the pass */
            if (rc > 0 && xf->buf)
                buffer_row(src, xf, &r);
        }
        if (rc == 0) {
            int go = next_pass(src, xf);
            if (go < 0)
                return -1;
            if (go == 0)
                xf->done = 1;
            continue;
        }
        int64_t t = r.arrival_ns - xf->ws;
        xf->pass_rows++;
        xf->pass_last = t;
        if (xf->sample > 0 && xf->sample < 1 && !(rng_unit(&xf->rng) < xf->sample))
            continue;
        if (xf->offset > INT64_MAX - t) {
            xf->done = 1;
            continue;
        }
        t += xf->offset;
        if (xf->repeat_to && t >= xf->repeat_to) {
            xf->done = 1;
            continue;
        }
        r.arrival_ns = t;
        if (xf->set_priority)
            r.priority = xf->set_priority;
        for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
            if (xf->set_label[k])
                r.label[k] = xf->set_label[k];
        *out = r;
        return 1;
    }
}

void trace__xform_close(struct trace_xform *xf)
{
    if (xf)
        drop_buf(xf);
    free(xf);
}

/* ---- merge --------------------------------------------------------------- */

enum { IN_REFILL = 0, IN_PENDING = 1, IN_ENDED = 2 };

struct merge_in {
    struct trace_src *src;
    struct trace_rec rec; /* pending when state == IN_PENDING */
    int state;
    uint32_t *map[TRACE_LABEL_KINDS_]; /* input label id -> merged id (0 = not yet) */
    uint32_t nmap[TRACE_LABEL_KINDS_];
};

struct trace_merge {
    uint32_t n;
    struct merge_in *in;
};

uint64_t trace__merge_skipped(const struct trace_merge *m)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < m->n; i++)
        n += trace_skipped(m->in[i].src);
    return n;
}

void trace__merge_close(struct trace_merge *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n; i++) {
        trace_close(m->in[i].src);
        for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
            free(m->in[i].map[k]);
    }
    free(m->in);
    free(m);
}

struct trace_src *trace_open_merge(const struct trace_cfg *cfgs, uint32_t n, uint64_t seed,
                                   char *err, size_t errlen)
{
    if (!cfgs || n == 0) {
        base_errf(err, errlen, "trace: found a merge of 0 sources, expected at least one");
        return NULL;
    }
    struct trace_src *src = calloc(1, sizeof *src);
    struct trace_merge *m = calloc(1, sizeof *m);
    struct merge_in *in = calloc(n, sizeof *in);
    if (!src || !m || !in) {
        free(src);
        free(m);
        free(in);
        base_errf(err, errlen, "trace: out of memory");
        return NULL;
    }
    m->in = in;
    src->merge = m;
    src->rate_scale = 1.0;
    src->cfg.rate_scale = 1.0;
    src->seed = seed;
    for (uint32_t i = 0; i < n; i++) {
        in[i].src = trace_open(&cfgs[i], rng_mix64(seed + i), err, errlen);
        if (!in[i].src) {
            trace_close(src);
            return NULL;
        }
        m->n = i + 1;
    }
    src->format = trace_format_of(in[0].src);
    src->cfg.format = src->format;
    return src;
}

static int remap_label(struct trace_src *src, struct merge_in *in, int k, uint32_t id,
                       uint32_t *out)
{
    if (id == 0) {
        *out = 0;
        return 0;
    }
    if (id >= in->nmap[k]) {
        uint32_t cap = in->nmap[k] ? in->nmap[k] : 8;
        while (cap <= id)
            cap *= 2;
        uint32_t *map = realloc(in->map[k], (size_t)cap * sizeof *map);
        if (!map)
            return -1;
        memset(map + in->nmap[k], 0, (size_t)(cap - in->nmap[k]) * sizeof *map);
        in->map[k] = map;
        in->nmap[k] = cap;
    }
    if (in->map[k][id] == 0) {
        const char *s = trace_label(in->src, (enum trace_label_kind)k, id);
        if (!s) {
            *out = 0;
            return 0;
        }
        if (trace__intern_label(src, (enum trace_label_kind)k, s, strlen(s), &in->map[k][id]) != 0)
            return -1;
    }
    *out = in->map[k][id];
    return 0;
}

int trace__merge_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_merge *m = src->merge;
    if (src->failed)
        return -1;
    char err[TRACE_ERR_MAX];
    uint32_t best = m->n;
    for (uint32_t i = 0; i < m->n; i++) {
        struct merge_in *in = &m->in[i];
        if (in->state == IN_REFILL) {
            int rc = trace_next(in->src, &in->rec, err, sizeof err);
            if (rc < 0) {
                trace__fail(src, "%s", err);
                return -1;
            }
            in->state = rc > 0 ? IN_PENDING : IN_ENDED;
        }
        if (in->state == IN_PENDING &&
            (best == m->n || in->rec.arrival_ns < m->in[best].rec.arrival_ns))
            best = i;
    }
    if (best == m->n)
        return 0;
    struct merge_in *in = &m->in[best];
    struct trace_rec r = in->rec;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        if (remap_label(src, in, k, r.label[k], &r.label[k]) != 0) {
            trace__fail(src, "trace: out of memory merging labels");
            return -1;
        }
    in->state = IN_REFILL;
    *out = r;
    return 1;
}

/* ---- statistics ------------------------------------------------------------ */

/* Welford's running mean and sum of squared deviations. */
struct welford {
    double n, mean, m2;
};

static void welford_add(struct welford *w, double x)
{
    w->n += 1;
    double d = x - w->mean;
    w->mean += d / w->n;
    w->m2 += d * (x - w->mean);
}

/* Add k zeros at once (Chan, Golub and LeVeque's pairwise update). */
static void welford_add_zeros(struct welford *w, double k)
{
    if (k <= 0)
        return;
    double n = w->n + k;
    double d = -w->mean;
    w->m2 += d * d * w->n * k / n;
    w->mean += d * k / n;
    w->n = n;
}

static double welford_var(const struct welford *w)
{
    return w->n >= 2 ? w->m2 / (w->n - 1) : 0.0;
}

static const int64_t minute_ns = 60000000000LL;

int trace_stats_compute(struct trace_src *src, int64_t idc_window_ns, struct trace_stats *st,
                        char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    if (idc_window_ns <= 0) {
        base_errf(err, errlen, "trace stats: found an IDC window <= 0 ns, expected > 0 (e.g. 1 s)");
        return -1;
    }
    st->idc_window_ns = idc_window_ns;
    struct hist hin, hout;
    if (hist_init(&hin) != 0) {
        base_errf(err, errlen, "trace stats: out of memory");
        return -1;
    }
    if (hist_init(&hout) != 0) {
        hist_fini(&hin);
        base_errf(err, errlen, "trace stats: out of memory");
        return -1;
    }
    struct welford gaps = {0}, counts = {0};
    int64_t prev = 0, minute = 0, window = 0;
    uint64_t in_minute = 0, in_window = 0, peak = 0;
    double sum_in = 0, sum_out = 0;
    struct trace_rec r;
    int rc;
    while ((rc = trace_next(src, &r, err, errlen)) == 1) {
        int64_t a = r.arrival_ns;
        int64_t m = a / minute_ns, w = a / idc_window_ns;
        if (st->rows == 0) {
            st->first_ns = a;
            minute = m;
            window = w;
        } else {
            welford_add(&gaps, (double)(a - prev));
            if (m != minute) {
                if (in_minute > peak)
                    peak = in_minute;
                in_minute = 0;
                minute = m;
            }
            if (w != window) {
                welford_add(&counts, (double)in_window);
                welford_add_zeros(&counts, (double)(w - window - 1));
                in_window = 0;
                window = w;
            }
        }
        in_minute++;
        in_window++;
        prev = a;
        st->rows++;
        if (r.flags & TRACE_REC_FAILED)
            st->failed_rows++;
        hist_add(&hin, r.input_tokens);
        hist_add(&hout, r.output_tokens);
        sum_in += (double)r.input_tokens;
        sum_out += (double)r.output_tokens;
    }
    if (rc < 0) {
        hist_fini(&hin);
        hist_fini(&hout);
        return -1;
    }
    if (st->rows > 0) {
        if (in_minute > peak)
            peak = in_minute;
        welford_add(&counts, (double)in_window);
        st->last_ns = prev;
        double span_s = (double)(st->last_ns - st->first_ns) * 1e-9;
        st->mean_rate_per_s = span_s > 0 ? (double)st->rows / span_s : 0.0;
        st->peak_rate_per_min = (double)peak;
        double n = (double)st->rows;
        st->in_mean = sum_in / n;
        st->out_mean = sum_out / n;
        st->in_p50 = (double)hist_quantile(&hin, 0.50);
        st->in_p90 = (double)hist_quantile(&hin, 0.90);
        st->in_p99 = (double)hist_quantile(&hin, 0.99);
        st->in_max = (double)hin.max;
        st->out_p50 = (double)hist_quantile(&hout, 0.50);
        st->out_p90 = (double)hist_quantile(&hout, 0.90);
        st->out_p99 = (double)hist_quantile(&hout, 0.99);
        st->out_max = (double)hout.max;
        if (gaps.n >= 2 && gaps.mean > 0)
            st->interarrival_cv = sqrt(welford_var(&gaps)) / gaps.mean;
        if (counts.n >= 2 && counts.mean > 0)
            st->idc = welford_var(&counts) / counts.mean;
    }
    hist_fini(&hin);
    hist_fini(&hout);
    return 0;
}
