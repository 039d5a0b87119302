/*
 * trace_int.h - internals shared by the files of traces/ (prefix trace__).
 * Not part of the public contract (trace.h, prefix trace_): the engine,
 * the scenario loader and the CLI never include it.
 *
 * A source is one struct trace_src with a format-specific state: a CSV
 * stream (native or Azure 2023), a Mooncake JSONL or ServeGen reader, a
 * synthetic generator, or a merge of sources.  The common part
 * holds the limits, the time scale, the label tables and a sticky error:
 * once a row is bad, every later trace_next() returns the same error.
 */
#ifndef LBSIM_TRACE_INT_H
#define LBSIM_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "trace.h"

#define TRACE_ERR_MAX 512

/* One label table: strings in order of first appearance (id = index + 1)
 * and an open-addressing index of them (slot holds id, 0 = empty). */
struct trace_intern {
    char **str;
    uint32_t n, cap;
    uint32_t *slot;
    uint32_t nslot; /* a power of two, or 0 before the first label */
};

struct trace_csv;
struct trace_synth_state;
struct trace_jsonl;
struct trace_servegen;
struct trace_xform;
struct trace_merge;
struct trace__recbuf;

struct trace_src {
    enum trace_format format; /* the format in use (never TRACE_AUTO once open) */
    double rate_scale;
    uint64_t limit;     /* 0 = all */
    uint64_t delivered; /* records returned so far */
    int failed;         /* sticky: errmsg holds the message */
    char errmsg[TRACE_ERR_MAX];
    struct trace_intern labels[TRACE_LABEL_KINDS_];
    struct trace_csv *csv;         /* native / azure2023 */
    struct trace_synth_state *syn; /* synthetic */
    struct trace_jsonl *jsonl;     /* mooncake (trace_jsonl.c) */
    struct trace_servegen *sg;     /* servegen (trace_servegen.c) */
    struct trace_xform *xf;        /* transforms, NULL when none (trace_xform.c) */
    struct trace_merge *merge;     /* set on a merged source (trace_xform.c) */
    struct trace_cfg cfg;          /* copy of the configuration (for repeat) */
    uint64_t seed;
    uint64_t skipped;            /* bad rows skipped (cfg.skip_bad_rows) */
    const struct trace_mem *mem; /* set on a replay from memory (trace_mem.c), shared */
    uint64_t mem_calls;          /* trace__mem_next calls so far */
    uint64_t mem_chg;            /* next skip-count change of mem to apply */
};

/* Record the sticky error (printf-style, base_verrf) unless one is
 * already set. */
void trace__fail(struct trace_src *src, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Scale a raw relative time (ns) by 1/rate_scale, rounding to nearest.
 * 0, or -1 if the result does not fit in int64. */
int trace__scale_ns(const struct trace_src *src, int64_t raw_ns, int64_t *out);

/* Intern a label (len bytes, no NUL inside): *id = 1.. . 0 or -1 (ENOMEM). */
int trace__intern_label(struct trace_src *src, enum trace_label_kind kind, const char *s,
                        size_t len, uint32_t *id);

/* FNV-1a 64 of a session string, 0 mapped to 1. */
uint64_t trace__session_key(const char *s, size_t len);

/* CSV readers (trace_csv.c).  open: reads the header row; the format may be
 * TRACE_AUTO, TRACE_NATIVE or TRACE_AZURE2023 and is resolved into
 * src->format.  0, or -1 with src->errmsg set. */
int trace__csv_open(struct trace_src *src, const char *path, enum trace_format format);
int trace__csv_next(struct trace_src *src, struct trace_rec *out);
void trace__csv_close(struct trace_csv *csv);

/* Synthetic generator (trace_synth.c). */
int trace__synth_open(struct trace_src *src, const struct trace_synth *cfg, uint64_t seed);
int trace__synth_next(struct trace_src *src, struct trace_rec *out);
void trace__synth_close(struct trace_synth_state *syn);

/* Renewal processes (trace_synth.c, shared with trace_servegen.c).
 * The Weibull shape whose inter-arrival CV is `cv` (0 if out of range), and
 * that range.  A gap of a Gamma (gamma != 0) or Weibull renewal process;
 * the first draw (*started == 0) is the stationary forward recurrence time
 * (Cox, "Renewal Theory", 1962), so the process is stationary from t = 0. */
double trace__weibull_shape_for_cv(double cv);
void trace__weibull_cv_range(double *lo, double *hi);
double trace__renewal_gap(struct rng *r, int gamma, double shape, double scale, int *started);

/* Mooncake JSONL reader (trace_jsonl.c). */
int trace__jsonl_open(struct trace_src *src, const char *path);
int trace__jsonl_next(struct trace_src *src, struct trace_rec *out);
void trace__jsonl_close(struct trace_jsonl *j);

/* ServeGen per-window statistics turned into arrivals (trace_servegen.c).
 * `path` is a chunk-N-trace.csv; its chunk-N-dataset.json beside it gives
 * the length distributions. */
int trace__servegen_open(struct trace_src *src, const char *path, uint64_t seed);
int trace__servegen_next(struct trace_src *src, struct trace_rec *out);
void trace__servegen_close(struct trace_servegen *sg);

/* The format reader alone, before transforms (trace.c): open, next, close. */
int trace__raw_open(struct trace_src *src);
int trace__raw_next(struct trace_src *src, struct trace_rec *out);
void trace__raw_close(struct trace_src *src);

/* Transforms (trace_xform.c): window, sample, repeat, overrides.  open
 * leaves src->xf NULL when cfg has none; next pulls from trace__raw_next
 * (and may close/reopen the raw reader to repeat). */
int trace__xform_open(struct trace_src *src);
int trace__xform_next(struct trace_src *src, struct trace_rec *out);
void trace__xform_close(struct trace_xform *xf);
/* Merged sources (trace_xform.c). */
int trace__merge_next(struct trace_src *src, struct trace_rec *out);
void trace__merge_close(struct trace_merge *m);
/* Bad rows skipped by all inputs of a merge. */
uint64_t trace__merge_skipped(const struct trace_merge *m);

/* Records in memory, column by column (trace_mem.c): the shared replay and
 * the first-pass buffer of `repeat_to`.  push: 0, 1 when the record would
 * pass the byte cap given to new (nothing stored), -1 out of memory.  A
 * record from get points into the buffer (its block hashes) until free. */
struct trace__recbuf *trace__recbuf_new(size_t cap_bytes);
int trace__recbuf_push(struct trace__recbuf *b, const struct trace_rec *r);
void trace__recbuf_get(const struct trace__recbuf *b, uint64_t i, struct trace_rec *out);
uint64_t trace__recbuf_rows(const struct trace__recbuf *b);
void trace__recbuf_free(struct trace__recbuf *b);
/* The next record of a replay from memory (src->mem set). */
int trace__mem_next(struct trace_src *src, struct trace_rec *out);

#endif /* LBSIM_TRACE_INT_H */
