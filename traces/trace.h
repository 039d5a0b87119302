/*
 * trace.h - streaming request sources (prefix trace_).
 *
 * A source yields requests in non-decreasing arrival order, one at a time,
 * in memory independent of the trace length (DESIGN.md: "traces stream").
 * Formats:
 *   native     lbsim's CSV: header row naming the columns, any order:
 *              arrival_s, input_tokens, output_tokens (required);
 *              model_group, session, priority, task, tenant, region
 *              (optional).  Unknown columns are an error.
 *   azure2023  Azure LLM inference trace 2023 (Patel et al., Splitwise,
 *              ISCA 2024): TIMESTAMP,ContextTokens,GeneratedTokens with
 *              absolute timestamps "YYYY-MM-DD HH:MM:SS.fffffff", CRLF
 *              line ends, no final newline.  Arrivals are made relative to
 *              the first row.
 *   synthetic  Poisson arrivals with token sizes from struct dist.
 * CSV is parsed with libcsv, fed in fixed-size chunks.
 *
 * Errors name "file:line: what was found, what was expected".  A bad row is
 * never skipped silently.
 *
 * Labels (model group, task, tenant, region) are interned per source: id 0
 * is "unset", ids 1.. in order of first appearance; trace_label() maps back.
 * Sessions are hashed (FNV-1a 64) to a non-zero key.
 */
#ifndef LBSIM_TRACE_H
#define LBSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "../sim/dist.h"

enum trace_format {
    TRACE_AUTO = 0, /* by header row: Azure's TIMESTAMP,... or native */
    TRACE_NATIVE = 1,
    TRACE_AZURE2023 = 2,
    TRACE_SYNTHETIC = 3,
};

enum trace_label_kind {
    TRACE_LABEL_MODEL_GROUP = 0,
    TRACE_LABEL_TASK = 1,
    TRACE_LABEL_TENANT = 2,
    TRACE_LABEL_REGION = 3,
    TRACE_LABEL_KINDS_ = 4
};

struct trace_rec {
    int64_t arrival_ns;    /* since the start of the trace, after scaling */
    int64_t input_tokens;  /* >= 0 */
    int64_t output_tokens; /* >= 0 */
    uint64_t session;      /* 0 = none */
    uint32_t priority;     /* 0 = default */
    uint32_t label[TRACE_LABEL_KINDS_];
    uint64_t line; /* 1-based source line (0 for synthetic) */
};

struct trace_synth {
    double rate_per_s;        /* Poisson arrival rate, > 0 */
    uint64_t count;           /* stop after this many requests (0 = no cap) */
    int64_t duration_ns;      /* stop at this time (0 = no cap) */
    struct dist input_tokens; /* rounded to the nearest integer, >= 0 */
    struct dist output_tokens;
};

struct trace_cfg {
    enum trace_format format;
    const char *path;         /* file path (native/azure); NULL for synthetic */
    double rate_scale;        /* > 0; arrivals are divided by it (4 = 4x) */
    uint64_t limit;           /* stop after this many rows (0 = all) */
    struct trace_synth synth; /* for TRACE_SYNTHETIC */
};

struct trace_src;

/* Open a source.  `seed` seeds the synthetic streams (RNG_ARRIVALS,
 * RNG_SIZES); files ignore it.  NULL + message on failure (missing file,
 * unreadable or unrecognised header). */
struct trace_src *trace_open(const struct trace_cfg *cfg, uint64_t seed, char *err, size_t errlen);

/* Next request: 1 and *out filled, 0 at the end, negative on a bad row
 * (message names file:line). */
int trace_next(struct trace_src *src, struct trace_rec *out, char *err, size_t errlen);

/* The string of an interned label, NULL if id is 0 or unknown. */
const char *trace_label(const struct trace_src *src, enum trace_label_kind kind, uint32_t id);

/* Detected/used format. */
enum trace_format trace_format_of(const struct trace_src *src);
const char *trace_format_name(enum trace_format f);

void trace_close(struct trace_src *src);

#endif /* LBSIM_TRACE_H */
