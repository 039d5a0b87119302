/*
 * trace.h - streaming request sources (prefix trace_).
 *
 * A source yields requests in non-decreasing arrival order, one at a time,
 * in memory independent of the trace length (docs/DESIGN.md: "traces stream").
 * Formats (files may be gzip or zstd compressed; detected by magic bytes):
 *   native     lbsim's CSV: header row naming the columns, any order:
 *              arrival_s, input_tokens, output_tokens (required);
 *              model_group, session, priority, task, tenant, region,
 *              max_tokens, prefix_hashes, cache_key (optional).  Unknown
 *              columns are an error.
 *   azure2023  Azure LLM inference traces 2023 and 2024 (Patel et al.,
 *              Splitwise, ISCA 2024; Stojkovic et al., DynamoLLM):
 *              TIMESTAMP,ContextTokens,GeneratedTokens with absolute
 *              timestamps, CRLF, no final newline; made relative.
 *   burstgpt   BurstGPT CSV (Wang et al., 2024); rows with 0 response tokens
 *              are failed requests, kept and flagged TRACE_REC_FAILED.
 *   mooncake   Mooncake JSONL (Qin et al., FAST 2025) with hash_ids.
 *   servegen   ServeGen per-window statistics turned into arrivals.
 *   synthetic  Poisson, Gamma, Weibull, MMPP or diurnal arrivals, sessions,
 *              labels by share, token sizes from struct dist.
 * CSV is parsed with libcsv, fed in fixed-size chunks.  Transforms (window,
 * sample, repeat, overrides) and merges sit on top of any format.
 *
 * Errors name "file:line: what was found, what was expected".  A bad row is
 * an error unless cfg->skip_bad_rows asks to skip it, and then it is
 * counted (trace_skipped), never dropped silently.
 *
 * Labels (model group, task, tenant, region) are interned per source: id 0
 * is "unset", ids 1.. in order of first appearance; trace_label() maps back.
 * Sessions are hashed (FNV-1a 64) to a non-zero key.
 */
#ifndef LBSIM_TRACE_H
#define LBSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "dist.h"

enum trace_format {
    TRACE_AUTO = 0, /* by header row: Azure's TIMESTAMP,... or native */
    TRACE_NATIVE = 1,
    TRACE_AZURE2023 = 2,
    TRACE_SYNTHETIC = 3,
    TRACE_BURSTGPT = 4, /* BurstGPT CSV (Wang et al., 2024) */
    TRACE_MOONCAKE = 5, /* Mooncake JSONL (Qin et al., FAST 2025) */
    TRACE_SERVEGEN = 6, /* ServeGen per-window statistics (Xiang et al., 2025) */
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
    /* Fields below were added with the traffic issue; 0 means unset. */
    int64_t max_tokens;     /* output budget the client asked for */
    uint64_t cache_key;     /* exact-match response-cache key */
    uint32_t flags;         /* enum trace_rec_flag bits */
    uint32_t n_blocks;      /* prefix block hashes (Mooncake: 512 tokens each) */
    const uint64_t *blocks; /* owned by the source, valid until the next trace_next */
};

enum trace_rec_flag {
    TRACE_REC_FAILED = 1u << 0, /* the trace marks the request failed (BurstGPT: 0 response
                                   tokens); kept, flagged, never dropped */
};

/* Inter-arrival processes of the synthetic source. */
enum trace_arrivals {
    TRACE_ARR_POISSON = 0,  /* exponential inter-arrivals */
    TRACE_ARR_GAMMA = 1,    /* Gamma renewal with the given rate and CV */
    TRACE_ARR_WEIBULL = 2,  /* Weibull renewal with the given rate and CV */
    TRACE_ARR_MMPP = 3,     /* Markov-modulated Poisson (on-off bursts: a state with rate 0) */
    TRACE_ARR_DIURNAL = 4,  /* non-homogeneous Poisson: sinusoid or piecewise rate table */
    TRACE_ARR_SCHEDULE = 5, /* deterministic on windows at fixed times (struct trace_window) */
};

/* A window of a schedule: arrivals at `rate_per_s` in [start, end) of
 * trace time, Poisson or evenly spaced from `start`; none outside. */
struct trace_window {
    int64_t start_ns, end_ns; /* 0 <= start < end; windows sorted, not overlapping */
    double rate_per_s;        /* > 0 */
    int constant;             /* 1: at start + k / rate (k = 0, 1, ..); 0: Poisson */
};

#define TRACE_MMPP_MAX_STATES  8u
#define TRACE_MAX_LABEL_SHARES 16u

/* A label value given to a share of the requests, e.g. 30% task=tool. */
struct trace_label_share {
    enum trace_label_kind kind;
    char value[48];
    double share; /* in (0, 1]; per kind the shares sum to <= 1 (rest unset) */
};

struct trace_synth {
    double rate_per_s;        /* mean arrival rate, > 0 (unused by MMPP and rate tables) */
    uint64_t count;           /* stop after this many requests (0 = no cap) */
    int64_t duration_ns;      /* stop at this time (0 = no cap) */
    struct dist input_tokens; /* rounded to the nearest integer, >= 0 */
    struct dist output_tokens;
    /* Added with the traffic issue; zero values keep the Poisson source. */
    enum trace_arrivals arrivals;
    double cv;            /* Gamma/Weibull: coefficient of variation, > 0 */
    uint32_t mmpp_states; /* MMPP: states with their rate and mean dwell time, cycled */
    double mmpp_rate_per_s[TRACE_MMPP_MAX_STATES];
    double mmpp_dwell_s[TRACE_MMPP_MAX_STATES];
    double diurnal_amplitude;  /* sinusoid: rate * (1 + a sin(2 pi (t - phase) / period)) */
    int64_t diurnal_period_ns; /* default 24 h */
    int64_t diurnal_phase_ns;
    uint32_t n_table;          /* piecewise-constant rate table instead of the sinusoid: */
    const int64_t *table_t_ns; /* step starts (first 0, increasing), repeating every */
    const double *table_rate;  /* diurnal_period_ns when that is > 0 */
    uint32_t n_windows;        /* schedule: its windows (the source ends after the last) */
    const struct trace_window *windows;
    /* Multi-turn sessions: each arrival starts a session of `turns` requests
       separated by think times; turn k's prompt is the previous prompt + its
       answer + new input tokens, so consecutive turns share a growing prefix
       (block hashes follow it). */
    int sessions;        /* 0 = off */
    struct dist turns;   /* >= 1 */
    struct dist think_s; /* seconds between a turn's arrival and the next */
    uint32_t n_labels;
    struct trace_label_share labels[TRACE_MAX_LABEL_SHARES];
};

struct trace_cfg {
    enum trace_format format;
    const char *path; /* file path (native/azure); NULL for synthetic */
    /* Non-NULL: the file's data_len bytes, read from memory instead of
     * opening path, through the same decoders and readers (the fuzz
     * targets, fuzz/README.md); path still names them in messages and its
     * extension still counts for TRACE_AUTO.  The caller keeps them alive
     * until trace_close.  NULL (the loader's default): read path. */
    const unsigned char *data;
    size_t data_len;
    double rate_scale;        /* > 0; arrivals are divided by it (4 = 4x) */
    uint64_t limit;           /* stop after this many rows (0 = all) */
    struct trace_synth synth; /* for TRACE_SYNTHETIC */
    /* Transforms, added with the traffic issue; zero = off.  Applied in
       this order: window (on the trace's own time, before rate_scale),
       sample, repeat, overrides. */
    int64_t window_start_ns;                /* keep rows in [start, end) and re-base them to 0 */
    int64_t window_end_ns;                  /* 0 = no end */
    double sample;                          /* keep each row with this probability; 0 = keep all */
    int64_t repeat_to_ns;                   /* replay again until this time; 0 = once */
    int skip_bad_rows;                      /* count and skip bad rows instead of failing */
    uint32_t set_priority;                  /* non-zero: every row gets this priority */
    char set_label[TRACE_LABEL_KINDS_][48]; /* non-empty: every row gets this label */
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

/*
 * A k-way merge by arrival time of n sources (e.g. live chat plus a nightly
 * batch job with its own priority and tenant).  Each input keeps its own
 * transforms and overrides; labels are re-interned into the merged source.
 * Ties go to the lower input index.  Memory: one pending record per input.
 */
struct trace_src *trace_open_merge(const struct trace_cfg *cfgs, uint32_t n, uint64_t seed,
                                   char *err, size_t errlen);

/* Statistics of a whole source (`lbsim trace info`), streaming, fixed memory. */
struct trace_stats {
    uint64_t rows, failed_rows;
    int64_t first_ns, last_ns;                      /* arrival span */
    double mean_rate_per_s;                         /* rows / span */
    double peak_rate_per_min;                       /* most rows in one minute [k min, k+1 min) */
    double in_mean, in_p50, in_p90, in_p99, in_max; /* input tokens */
    double out_mean, out_p50, out_p90, out_p99, out_max;
    double interarrival_cv; /* sd / mean of the gaps between arrivals */
    double idc;             /* index of dispersion of counts: var / mean of
                               arrivals per idc_window (1 for Poisson) */
    int64_t idc_window_ns;
};

/* Read src to its end and fill *st.  idc_window_ns > 0 (e.g. 1 s).  0 or
 * negative with a message (a bad row). */
int trace_stats_compute(struct trace_src *src, int64_t idc_window_ns, struct trace_stats *st,
                        char *err, size_t errlen);

/* Fit empirical input/output length distributions from a source (all rows;
 * values binned to at most max_bins distinct values by quantiles).  The
 * dists are owned by the caller (dist_fini).  0 or negative with a message. */
int trace_fit_lengths(struct trace_src *src, uint32_t max_bins, struct dist *input,
                      struct dist *output, char *err, size_t errlen);

/*
 * A source kept in memory and replayed read-only by many readers (the
 * trials of one run, compare, sweep or plan), so a trace is parsed once per
 * invocation instead of once per trial.  Columns (arrival, tokens, line;
 * session, priority, labels, max_tokens, cache_key, flags, block hashes
 * from their first non-zero value) cost 32-100 bytes a row.
 *
 * trace_replay_shareable: 1 if what cfg yields does not depend on the seed
 * (files, no sampling), so one copy serves every seed.
 * trace_mem_build: reads `src` to its end, or up to and including its first
 * record at or after stop_at_ns (> 0; a reader that stops there, like the
 * engine at the scenario's duration, sees the same thing), or up to a bad
 * row, which a replay then reports at the same call.  1 and *out built; 0
 * when the copy would pass cap_bytes (then stream from the file as
 * before); -1 out of memory.  `src` is read (close it afterwards).
 * trace_open_mem: a reader over the copy: the same records, label ids,
 * errors and trace_skipped() as `src` gave.  Thread-safe across readers;
 * the copy must outlive them.
 */
#define TRACE_MEM_CAP_BYTES ((size_t)256 << 20) /* 256 MiB; beyond it trials stream */
struct trace_mem;
int trace_replay_shareable(const struct trace_cfg *cfg);
int trace_mem_build(struct trace_src *src, int64_t stop_at_ns, size_t cap_bytes,
                    struct trace_mem **out, char *err, size_t errlen);
struct trace_src *trace_open_mem(const struct trace_mem *m, char *err, size_t errlen);
size_t trace_mem_bytes(const struct trace_mem *m);
void trace_mem_free(struct trace_mem *m);

/* Rows skipped as bad (with cfg->skip_bad_rows) so far. */
uint64_t trace_skipped(const struct trace_src *src);
const char *trace_format_name(enum trace_format f);

void trace_close(struct trace_src *src);

#endif /* LBSIM_TRACE_H */
