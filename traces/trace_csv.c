/*
 * trace_csv.c - streaming CSV trace readers: lbsim's native format, the
 * Azure LLM inference traces (2023 and 2024) and BurstGPT.
 *
 * Azure 2023: the trace released with Patel et al., "Splitwise: Efficient
 * generative LLM inference using phase splitting", ISCA 2024
 * (github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2023.md):
 * header TIMESTAMP,ContextTokens,GeneratedTokens; TIMESTAMP is an absolute
 * wall-clock time "YYYY-MM-DD HH:MM:SS.fffffff" (100 ns resolution, no time
 * zone); CRLF line ends, no final newline.  Timestamps are converted to
 * integer nanoseconds exactly (days_from_civil of H. Hinnant, "chrono-
 * compatible low-level date algorithms") and made relative to the first row.
 * The format azure2023 also reads the 2024 week-long trace (Stojkovic et
 * al., "DynamoLLM", HPCA 2025; AzureLLMInferenceDataset2024.md), which has
 * the same columns and timestamp text.
 *
 * BurstGPT (Wang et al., "BurstGPT: A Real-world Workload Dataset to
 * Optimize LLM Serving Systems", KDD 2025; github.com/HPMLL/BurstGPT):
 * header Timestamp,Model,Request tokens,Response tokens,Total tokens,Log
 * Type (any order; BurstGPT_3's Session ID and Elapsed time are accepted
 * too).  Timestamp is decimal seconds from midnight of the first day;
 * arrivals are made relative to the first row.  Model becomes the
 * model_group label, Log Type ("Conversation log", "API log") the task
 * label, Session ID the session.  Total tokens must equal Request tokens +
 * Response tokens.  A row with 0 response tokens is a failed request: it
 * is kept, with TRACE_REC_FAILED set.
 *
 * Native: a header naming the columns (any order) arrival_s, input_tokens,
 * output_tokens (required), model_group, session, priority, task, tenant,
 * region, max_tokens, prefix_hashes, cache_key (optional).  arrival_s is
 * decimal seconds, parsed as integer seconds plus fraction digits so that
 * 0.1 is exactly 100000000 ns.  max_tokens is a non-negative integer (empty
 * = unset); prefix_hashes is up to MAX_BLOCKS non-negative integers
 * separated by spaces or ';' (the request's prefix block hashes, in order);
 * cache_key is any text, hashed with FNV-1a 64 (empty = none).
 *
 * Streaming: bytes come from trace_io (plain, gzip or zstd) in chunks and
 * are fed to libcsv in slices no longer than the free room of a fixed ring
 * of records; each completed row is converted in the row callback and
 * queued (a row ends on one byte, so a slice of n bytes yields at most n
 * rows).  Prefix hashes of queued rows sit in one arena, reset whenever
 * the ring is empty; filling stops early when it holds BLOCKS_SOFT hashes.
 * Memory is the chunk, the ring, the arena, libcsv's field buffer (capped
 * at FIELD_MAX) and the label tables: independent of the trace length.
 *
 * A bad row (a field that does not parse, a wrong number of fields, time
 * going backwards, a wrong BurstGPT total) fails the source with
 * "file:line: found ..., expected ...", or, with cfg.skip_bad_rows, is
 * dropped and counted in src->skipped.  Malformed CSV (a stray quote) and
 * header errors always fail.
 *
 * Line numbers are physical lines: libcsv runs with CSV_REPALL_NL so every
 * line end is reported, the LF of a CRLF is folded into its CR, blank lines
 * are counted (they hold no row), and newlines inside quoted fields are
 * counted too.  A row's number is the line it starts on; the header is
 * normally line 1.
 */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "trace_io.h"

#define RING        1024 /* records; a slice fed to libcsv is < RING bytes */
#define FIELD_MAX   65536
#define SHOW        48   /* characters of a bad field quoted in a message */
#define MAX_BLOCKS  4096 /* prefix hashes per row */
#define BLOCKS_SOFT 8192 /* stop filling the ring when the arena holds this many */
#define MAX_COLS    16

enum col {
    COL_ARRIVAL = 0,
    COL_INPUT,
    COL_OUTPUT,
    COL_MODEL_GROUP,
    COL_SESSION,
    COL_PRIORITY,
    COL_TASK,
    COL_TENANT,
    COL_REGION,
    COL_MAX_TOKENS,
    COL_PREFIX_HASHES,
    COL_CACHE_KEY,
    COL_NATIVE_N_,
    COL_TIMESTAMP = COL_NATIVE_N_, /* Azure */
    COL_BG_TIME,                   /* BurstGPT Timestamp */
    COL_BG_TOTAL,                  /* BurstGPT Total tokens */
    COL_IGNORE,                    /* BurstGPT Elapsed time */
    COL_N_
};

static const char *const native_names[COL_NATIVE_N_] = {
    "arrival_s", "input_tokens", "output_tokens", "model_group", "session",       "priority",
    "task",      "tenant",       "region",        "max_tokens",  "prefix_hashes", "cache_key",
};

static const char native_list[] = "arrival_s, input_tokens, output_tokens (required), "
                                  "model_group, session, priority, task, tenant, region, "
                                  "max_tokens, prefix_hashes, cache_key";

static const char *const azure_names[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
static const char azure_header[] = "TIMESTAMP,ContextTokens,GeneratedTokens";

#define BG_N     8
#define BG_REQ_N 6 /* the first BG_REQ_N are required */
static const char *const bg_names[BG_N] = {
    "Timestamp",    "Model",    "Request tokens", "Response tokens",
    "Total tokens", "Log Type", "Session ID",     "Elapsed time",
};
static const unsigned char bg_cols[BG_N] = {
    COL_BG_TIME,  COL_MODEL_GROUP, COL_INPUT,   COL_OUTPUT,
    COL_BG_TOTAL, COL_TASK,        COL_SESSION, COL_IGNORE,
};
static const char bg_header[] =
    "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type";

static const int64_t ns_per_s = 1000000000;

struct trace_csv {
    struct trace_io *io;
    char *path;
    struct csv_parser p;
    int parser_live;
    enum trace_format want;   /* what trace_open asked for */
    const unsigned char *buf; /* the current chunk from trace_io */
    size_t buf_len, buf_pos;
    int eof, done;
    struct trace_rec *ring;
    size_t *ring_blk; /* arena offset of each queued record's blocks */
    size_t q_head, q_count;
    int skip_bad; /* cfg.skip_bad_rows */

    /* prefix hashes of queued rows and of the row being assembled */
    uint64_t *blk;
    size_t blk_used, blk_cap;
    size_t cur_blk; /* arena offset of cur's blocks */

    /* line tracking */
    uint64_t line;     /* physical line on which the current row starts */
    uint64_t embedded; /* line ends inside quoted fields of the current row */
    int prev_term;     /* terminator of the previous row callback */

    /* the row being assembled */
    size_t nfield;
    int row_bad;
    char row_err[TRACE_ERR_MAX];
    struct trace_rec cur;
    int64_t cur_sec; /* Azure: absolute seconds; native, BurstGPT: raw ns */
    int32_t cur_frac;
    int64_t cur_total;       /* BurstGPT Total tokens */
    char cur_time[SHOW + 1]; /* the time field's text, for messages */

    /* header */
    int header_done;
    int header_ok;
    size_t hdr_n;
    unsigned az_match;           /* bit i: field i is azure_names[i] */
    int hdr_seen[COL_NATIVE_N_]; /* native column present (1-based field index) */
    char hdr_text[128];          /* the header as found, for messages */
    char hdr_unknown[SHOW + 1];  /* first unknown native column */
    char hdr_dup[SHOW + 1];      /* first duplicate native column */
    int bg_seen[BG_N];           /* BurstGPT column present (1-based field index) */
    int bg_other;                /* a field that is no BurstGPT column, or a duplicate */
    int ncols;
    unsigned char col[MAX_COLS];    /* field index -> enum col */
    const char *col_name[MAX_COLS]; /* field index -> its name, for messages */

    /* time */
    int have_first;
    int64_t first_sec;
    int32_t first_frac;
    int64_t prev_raw;
};

/* ---- small parsers ------------------------------------------------------ */

/* Copy at most SHOW characters of a field for a message. */
static void show(char *dst, const char *s, size_t len)
{
    size_t n = len < SHOW ? len : SHOW;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[n] = '\0';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A non-negative decimal integer (optional '+'), the whole field, <= max. */
static int parse_count(const char *s, size_t len, int64_t max, int64_t *out)
{
    size_t i = 0;
    if (len && s[0] == '+')
        i = 1;
    if (i == len)
        return -1;
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > (uint64_t)max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* A decimal uint64 (digits only). */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Non-negative decimal seconds "S", "S.F", ".F" (optional '+') to ns:
 * integer seconds and fraction digits, rounded to the nearest ns beyond 9
 * fraction digits.  No exponent. */
static int parse_seconds_ns(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int digits = 0;
    int64_t sec = 0, frac = 0;
    if (i < len && s[i] == '+')
        i++;
    while (i < len && is_digit(s[i])) {
        if (sec > (INT64_MAX / ns_per_s - 9) / 10)
            return -1;
        sec = sec * 10 + (s[i] - '0');
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        int nf = 0;
        int round_up = 0;
        while (i < len && is_digit(s[i])) {
            if (nf < 9)
                frac = frac * 10 + (s[i] - '0');
            else if (nf == 9)
                round_up = s[i] >= '5';
            nf++;
            i++;
            digits++;
        }
        for (int k = nf; k < 9; k++)
            frac *= 10;
        frac += round_up;
    }
    if (digits == 0 || i != len)
        return -1;
    *out = sec * ns_per_s + frac;
    return 0;
}

/* n decimal digits at s[*i], exactly. */
static int fixed_digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || !is_digit(s[*i]))
            return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* "YYYY-MM-DD HH:MM:SS[.f{1,9}]" (or 'T' between date and time) to
 * seconds since 1970-01-01 plus nanoseconds. */
static int parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *frac)
{
    size_t i = 0;
    int y, mo, d, h, mi, se;
    if (fixed_digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' ||
        fixed_digits(s, len, &i, 2, &mo) || i >= len || s[i++] != '-' ||
        fixed_digits(s, len, &i, 2, &d) || i >= len || (s[i] != ' ' && s[i] != 'T'))
        return -1;
    i++;
    if (fixed_digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
        fixed_digits(s, len, &i, 2, &mi) || i >= len || s[i++] != ':' ||
        fixed_digits(s, len, &i, 2, &se))
        return -1;
    int32_t f = 0;
    if (i < len && s[i] == '.') {
        i++;
        int nf = 0;
        while (i < len && is_digit(s[i]) && nf < 9) {
            f = f * 10 + (s[i] - '0');
            nf++;
            i++;
        }
        if (nf == 0)
            return -1;
        for (; nf < 9; nf++)
            f *= 10;
    }
    if (i != len)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
        return -1;
    *sec = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + se;
    *frac = f;
    return 0;
}

/* ---- the row queue ------------------------------------------------------ */

static void push(struct trace_src *src, const struct trace_rec *r)
{
    struct trace_csv *c = src->csv;
    if (c->q_count == RING) { /* cannot happen: slices are shorter than RING */
        trace__fail(src, "%s:%llu: internal error: row queue overflow", c->path,
                    (unsigned long long)r->line);
        return;
    }
    size_t at = (c->q_head + c->q_count) % RING;
    c->ring[at] = *r;
    c->ring_blk[at] = c->cur_blk;
    c->blk_used = c->cur_blk + r->n_blocks;
    c->q_count++;
}

/* ---- libcsv callbacks --------------------------------------------------- */

static void row_error(struct trace_csv *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void row_error(struct trace_csv *c, const char *fmt, ...)
{
    if (c->row_bad)
        return;
    c->row_bad = 1;
    if (c->skip_bad) /* the message is never shown */
        return;
    int n =
        snprintf(c->row_err, sizeof c->row_err, "%s:%llu: ", c->path, (unsigned long long)c->line);
    if (n < 0 || (size_t)n >= sizeof c->row_err)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->row_err + n, sizeof c->row_err - (size_t)n, fmt, ap);
    va_end(ap);
}

static size_t count_line_ends(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
            n++;
    return n;
}

static int name_is(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

static void header_field(struct trace_csv *c, const char *s, size_t len)
{
    size_t idx = c->hdr_n++;
    if (idx == 0 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        s += 3;
        len -= 3;
    }
    size_t at = strlen(c->hdr_text);
    if (at + 1 < sizeof c->hdr_text)
        snprintf(c->hdr_text + at, sizeof c->hdr_text - at, "%s%.*s", idx ? "," : "",
                 (int)(len < SHOW ? len : SHOW), s);

    if (idx < 3 && name_is(azure_names[idx], s, len))
        c->az_match |= 1u << idx;

    int b;
    for (b = 0; b < BG_N; b++)
        if (name_is(bg_names[b], s, len))
            break;
    if (b == BG_N || c->bg_seen[b])
        c->bg_other = 1;
    else
        c->bg_seen[b] = (int)idx + 1;

    int k;
    for (k = 0; k < COL_NATIVE_N_; k++)
        if (name_is(native_names[k], s, len))
            break;
    if (k == COL_NATIVE_N_) {
        if (!c->hdr_unknown[0])
            show(c->hdr_unknown, len ? s : "(empty)", len ? len : 7);
        return;
    }
    if (c->hdr_seen[k]) {
        if (!c->hdr_dup[0])
            show(c->hdr_dup, s, len);
        return;
    }
    c->hdr_seen[k] = (int)idx + 1;
}

/* The header row is complete: choose and check the format. */
static void header_done(struct trace_src *src)
{
    struct trace_csv *c = src->csv;
    int az = c->hdr_n == 3 && c->az_match == 7u;
    int bg = !c->bg_other;
    for (int b = 0; b < BG_REQ_N; b++)
        if (!c->bg_seen[b])
            bg = 0;
    enum trace_format f = c->want;
    unsigned long long ln = (unsigned long long)c->line;
    if (f == TRACE_AUTO) {
        if (az)
            f = TRACE_AZURE2023;
        else if (bg)
            f = TRACE_BURSTGPT;
        else if (c->hdr_seen[COL_ARRIVAL])
            f = TRACE_NATIVE;
        else {
            trace__fail(src,
                        "%s:%llu: found header '%s', expected '%s' (azure2023), '%s' (burstgpt) "
                        "or a native header with the columns %s",
                        c->path, ln, c->hdr_text, azure_header, bg_header, native_list);
            return;
        }
    }
    src->format = f;
    if (f == TRACE_AZURE2023) {
        if (!az) {
            trace__fail(src, "%s:%llu: found header '%s', expected '%s'", c->path, ln, c->hdr_text,
                        azure_header);
            return;
        }
        c->ncols = 3;
        c->col[0] = COL_TIMESTAMP;
        c->col[1] = COL_INPUT;
        c->col[2] = COL_OUTPUT;
        for (int i = 0; i < 3; i++)
            c->col_name[i] = azure_names[i];
        c->header_ok = 1;
        return;
    }
    if (f == TRACE_BURSTGPT) {
        if (!bg) {
            trace__fail(src,
                        "%s:%llu: found header '%s', expected the BurstGPT columns '%s' (any "
                        "order; Session ID and Elapsed time optional), each once",
                        c->path, ln, c->hdr_text, bg_header);
            return;
        }
        for (int b = 0; b < BG_N; b++)
            if (c->bg_seen[b]) {
                c->col[c->bg_seen[b] - 1] = bg_cols[b];
                c->col_name[c->bg_seen[b] - 1] = bg_names[b];
            }
        c->ncols = (int)c->hdr_n;
        c->header_ok = 1;
        return;
    }
    /* native */
    if (c->hdr_unknown[0]) {
        trace__fail(src, "%s:%llu: found unknown column '%s', expected one of %s", c->path, ln,
                    c->hdr_unknown, native_list);
        return;
    }
    if (c->hdr_dup[0]) {
        trace__fail(src, "%s:%llu: found column '%s' twice, expected each of %s at most once",
                    c->path, ln, c->hdr_dup, native_list);
        return;
    }
    for (int k = COL_ARRIVAL; k <= COL_OUTPUT; k++)
        if (!c->hdr_seen[k]) {
            trace__fail(src,
                        "%s:%llu: found header '%s' without column '%s', expected the columns "
                        "%s",
                        c->path, ln, c->hdr_text, native_names[k], native_list);
            return;
        }
    /* no unknown and no duplicate: hdr_n <= COL_NATIVE_N_ < MAX_COLS */
    for (int k = 0; k < COL_NATIVE_N_; k++)
        if (c->hdr_seen[k]) {
            c->col[c->hdr_seen[k] - 1] = (unsigned char)k;
            c->col_name[c->hdr_seen[k] - 1] = native_names[k];
        }
    c->ncols = (int)c->hdr_n;
    c->header_ok = 1;
}

static void label_field(struct trace_src *src, enum trace_label_kind kind, const char *name,
                        const char *s, size_t len)
{
    struct trace_csv *c = src->csv;
    if (len == 0)
        return;
    if (memchr(s, '\0', len)) {
        row_error(c, "found a NUL byte in %s, expected text", name);
        return;
    }
    if (trace__intern_label(src, kind, s, len, &c->cur.label[kind]) != 0)
        row_error(c, "out of memory interning %s", name);
}

static int is_hash_sep(char ch)
{
    return ch == ' ' || ch == ';';
}

/* prefix_hashes: integers separated by runs of ' ' or ';', into the arena
 * after the blocks of the queued rows. */
static void hashes_field(struct trace_src *src, const char *s, size_t len)
{
    struct trace_csv *c = src->csv;
    if (c->blk_cap - c->blk_used < MAX_BLOCKS) {
        size_t cap = c->blk_used + MAX_BLOCKS + (c->blk_cap ? c->blk_cap / 2 : 0);
        uint64_t *blk = realloc(c->blk, cap * sizeof *blk);
        if (!blk) {
            row_error(c, "out of memory reading prefix_hashes");
            return;
        }
        c->blk = blk;
        c->blk_cap = cap;
    }
    uint64_t *dst = c->blk + c->blk_used;
    uint32_t n = 0;
    size_t i = 0;
    for (;;) {
        while (i < len && is_hash_sep(s[i]))
            i++;
        if (i == len)
            break;
        size_t j = i;
        while (j < len && !is_hash_sep(s[j]))
            j++;
        char txt[SHOW + 1];
        if (n == MAX_BLOCKS) {
            row_error(c, "found more than %d prefix_hashes, expected at most %d", MAX_BLOCKS,
                      MAX_BLOCKS);
            return;
        }
        if (parse_u64(s + i, j - i, &dst[n]) != 0) {
            show(txt, s + i, j - i);
            row_error(c,
                      "found prefix_hashes entry '%s', expected non-negative integers "
                      "separated by spaces or ';'",
                      txt);
            return;
        }
        n++;
        i = j;
    }
    c->cur.n_blocks = n;
    c->cur_blk = c->blk_used;
}

static void on_field(void *field, size_t len, void *data)
{
    struct trace_src *src = data;
    struct trace_csv *c = src->csv;
    const char *s = field ? field : "";
    if (!field)
        len = 0;
    c->embedded += count_line_ends(s, len);
    size_t idx = c->nfield++;
    if (src->failed)
        return;
    if (!c->header_done) {
        header_field(c, s, len);
        return;
    }
    if (c->row_bad || idx >= (size_t)c->ncols)
        return;

    char txt[SHOW + 1];
    int64_t v;
    switch ((enum col)c->col[idx]) {
    case COL_ARRIVAL:
    case COL_BG_TIME:
        show(c->cur_time, s, len);
        if (parse_seconds_ns(s, len, &v) != 0) {
            row_error(c,
                      "found %s '%s', expected non-negative decimal seconds (e.g. "
                      "12.25)",
                      c->col_name[idx], c->cur_time);
            return;
        }
        c->cur_sec = v;
        return;
    case COL_TIMESTAMP:
        show(c->cur_time, s, len);
        if (parse_timestamp(s, len, &c->cur_sec, &c->cur_frac) != 0)
            row_error(c,
                      "found TIMESTAMP '%s', expected a date and time 'YYYY-MM-DD "
                      "HH:MM:SS.fffffff'",
                      c->cur_time);
        return;
    case COL_INPUT:
    case COL_OUTPUT:
    case COL_BG_TOTAL:
        if (parse_count(s, len, INT64_MAX, &v) != 0) {
            show(txt, s, len);
            row_error(c, "found %s '%s', expected a non-negative integer", c->col_name[idx], txt);
            return;
        }
        if (c->col[idx] == COL_INPUT)
            c->cur.input_tokens = v;
        else if (c->col[idx] == COL_OUTPUT)
            c->cur.output_tokens = v;
        else
            c->cur_total = v;
        return;
    case COL_MAX_TOKENS:
        if (len == 0)
            return;
        if (parse_count(s, len, INT64_MAX, &v) != 0) {
            show(txt, s, len);
            row_error(c, "found max_tokens '%s', expected a non-negative integer (or empty)", txt);
            return;
        }
        c->cur.max_tokens = v;
        return;
    case COL_PRIORITY:
        if (len == 0)
            return;
        if (parse_count(s, len, UINT32_MAX, &v) != 0) {
            show(txt, s, len);
            row_error(c, "found priority '%s', expected a non-negative integer (or empty)", txt);
            return;
        }
        c->cur.priority = (uint32_t)v;
        return;
    case COL_SESSION:
        if (len)
            c->cur.session = trace__session_key(s, len);
        return;
    case COL_CACHE_KEY:
        if (len)
            c->cur.cache_key = trace__session_key(s, len);
        return;
    case COL_PREFIX_HASHES:
        hashes_field(src, s, len);
        return;
    case COL_MODEL_GROUP:
        label_field(src, TRACE_LABEL_MODEL_GROUP, c->col_name[idx], s, len);
        return;
    case COL_TASK:
        label_field(src, TRACE_LABEL_TASK, c->col_name[idx], s, len);
        return;
    case COL_TENANT:
        label_field(src, TRACE_LABEL_TENANT, "tenant", s, len);
        return;
    case COL_REGION:
        label_field(src, TRACE_LABEL_REGION, "region", s, len);
        return;
    case COL_IGNORE:
    case COL_N_:
        return;
    }
}

/* A data row is complete and its fields are valid: time and queue. */
static void finish_row(struct trace_src *src)
{
    struct trace_csv *c = src->csv;
    int64_t raw;
    if (src->format == TRACE_AZURE2023) {
        if (!c->have_first) {
            c->have_first = 1;
            c->first_sec = c->cur_sec;
            c->first_frac = c->cur_frac;
        }
        int64_t ds = c->cur_sec - c->first_sec;
        if (ds < -(INT64_MAX / ns_per_s - 1) || ds > INT64_MAX / ns_per_s - 1) {
            row_error(c,
                      "found TIMESTAMP '%s' more than 292 years from the first row's, "
                      "expected times within the int64 nanosecond range",
                      c->cur_time);
            return;
        }
        raw = ds * ns_per_s + (c->cur_frac - c->first_frac);
    } else if (src->format == TRACE_BURSTGPT) {
        if (c->cur_total - c->cur.input_tokens != c->cur.output_tokens ||
            c->cur_total < c->cur.input_tokens) {
            row_error(c,
                      "found Total tokens %lld, expected Request tokens + Response tokens = "
                      "%lld + %lld",
                      (long long)c->cur_total, (long long)c->cur.input_tokens,
                      (long long)c->cur.output_tokens);
            return;
        }
        if (c->cur.output_tokens == 0)
            c->cur.flags |= TRACE_REC_FAILED;
        if (!c->have_first) {
            c->have_first = 1;
            c->first_sec = c->cur_sec;
        }
        raw = c->cur_sec - c->first_sec;
    } else {
        raw = c->cur_sec;
    }
    if (raw < c->prev_raw) {
        row_error(c,
                  "found %s '%s' earlier than the previous row's, expected non-decreasing "
                  "arrival times",
                  src->format == TRACE_AZURE2023  ? "TIMESTAMP"
                  : src->format == TRACE_BURSTGPT ? "Timestamp"
                                                  : "arrival_s",
                  c->cur_time);
        return;
    }
    if (trace__scale_ns(src, raw, &c->cur.arrival_ns) != 0) {
        row_error(c, "found arrival '%s' beyond the int64 nanosecond range after rate_scale",
                  c->cur_time);
        return;
    }
    c->prev_raw = raw;
    push(src, &c->cur);
}

static void on_row(int term, void *data)
{
    struct trace_src *src = data;
    struct trace_csv *c = src->csv;
    size_t nfield = c->nfield;
    int prev = c->prev_term;
    c->prev_term = term;

    if (nfield == 0) { /* a line end with no row: LF of CRLF, or a blank line */
        if (!(term == '\n' && prev == '\r'))
            c->line++;
        return;
    }
    /* c->line is the row's first line until the end of this function */
    uint64_t next_line = c->line + c->embedded + (term == -1 ? 0 : 1);
    c->embedded = 0;
    c->nfield = 0;
    if (!src->failed) {
        if (!c->header_done) {
            c->header_done = 1;
            header_done(src);
        } else {
            if (!c->row_bad && nfield != (size_t)c->ncols)
                row_error(c, "found %zu field%s, expected %d (the header's columns)", nfield,
                          nfield == 1 ? "" : "s", c->ncols);
            if (!c->row_bad) {
                c->cur.line = c->line;
                finish_row(src);
            }
            if (c->row_bad) {
                if (c->skip_bad)
                    src->skipped++;
                else
                    trace__fail(src, "%s", c->row_err);
            }
        }
    }
    c->row_bad = 0;
    memset(&c->cur, 0, sizeof c->cur);
    c->cur_total = 0;
    c->cur_blk = c->blk_used;
    c->line = next_line;
}

/* ---- reading ------------------------------------------------------------ */

/* libcsv's field buffer grows through this: refusing past FIELD_MAX makes
 * an absurdly long field a CSV_ENOMEM error instead of unbounded memory. */
static void *capped_realloc(void *p, size_t n)
{
    if (n > FIELD_MAX)
        return NULL;
    return realloc(p, n);
}

static void parse_failed(struct trace_src *src)
{
    struct trace_csv *c = src->csv;
    int e = csv_error(&c->p);
    unsigned long long ln = (unsigned long long)(c->line + c->embedded);
    if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
        trace__fail(src, "%s:%llu: found a field longer than %d bytes, expected shorter fields",
                    c->path, ln, FIELD_MAX - 1);
    else
        trace__fail(src,
                    "%s:%llu: found malformed CSV (%s), expected quotes only around whole "
                    "fields, closed before the end of the file",
                    c->path, ln, csv_strerror(e));
}

/* Parse until the ring is at least half full (or the arena holds
 * BLOCKS_SOFT hashes), the file ends or a row fails. */
static void fill(struct trace_src *src)
{
    struct trace_csv *c = src->csv;
    while (c->q_count < RING / 2 && c->blk_used < BLOCKS_SOFT && !c->done && !src->failed) {
        if (c->buf_pos == c->buf_len) {
            if (c->eof) {
                if (csv_fini(&c->p, on_field, on_row, src) != 0)
                    parse_failed(src);
                c->done = 1;
                break;
            }
            char msg[TRACE_ERR_MAX];
            int rc = trace__io_chunk(c->io, &c->buf, &c->buf_len, msg, sizeof msg);
            c->buf_pos = 0;
            if (rc < 0) {
                c->buf_len = 0;
                trace__fail(src, "%s (reading line %llu)", msg,
                            (unsigned long long)(c->line + c->embedded));
                break;
            }
            if (rc == 0) {
                c->buf_len = 0;
                c->eof = 1;
            }
            continue;
        }
        size_t room = RING - 1 - c->q_count;
        size_t n = c->buf_len - c->buf_pos;
        if (n > room)
            n = room;
        size_t used = csv_parse(&c->p, c->buf + c->buf_pos, n, on_field, on_row, src);
        c->buf_pos += n;
        if (used != n) {
            parse_failed(src);
            break;
        }
    }
}

int trace__csv_open(struct trace_src *src, const char *path, enum trace_format format)
{
    struct trace_csv *c = calloc(1, sizeof *c);
    if (!c) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    src->csv = c;
    c->want = format;
    c->line = 1;
    c->prev_term = -1;
    c->skip_bad = src->cfg.skip_bad_rows != 0;
    size_t plen = strlen(path);
    c->path = malloc(plen + 1);
    c->ring = malloc(RING * sizeof *c->ring);
    c->ring_blk = malloc(RING * sizeof *c->ring_blk);
    if (!c->path || !c->ring || !c->ring_blk) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    memcpy(c->path, path, plen + 1);
    if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    c->parser_live = 1;
    csv_set_realloc_func(&c->p, capped_realloc);
    char msg[TRACE_ERR_MAX];
    c->io = trace__io_open(path, src->cfg.data, src->cfg.data_len, msg, sizeof msg);
    if (!c->io) {
        trace__fail(src, "%s", msg);
        return -1;
    }
    while (!c->header_done && !c->done && !src->failed)
        fill(src);
    if (!c->header_done && !src->failed)
        trace__fail(src,
                    "%s:%llu: found end of file, expected a header row ('%s', '%s' or native "
                    "columns %s)",
                    path, (unsigned long long)c->line, azure_header, bg_header, native_list);
    return c->header_ok ? 0 : -1;
}

int trace__csv_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_csv *c = src->csv;
    if (c->q_count == 0) {
        /* the blocks of every returned row may go: rewind the arena, keeping
           those of a row whose fields are partly parsed */
        if (c->cur.n_blocks && c->cur_blk)
            memmove(c->blk, c->blk + c->cur_blk, c->cur.n_blocks * sizeof *c->blk);
        c->blk_used = 0;
        c->cur_blk = 0;
        fill(src);
    }
    if (c->q_count) {
        *out = c->ring[c->q_head];
        if (out->n_blocks)
            out->blocks = c->blk + c->ring_blk[c->q_head];
        c->q_head = (c->q_head + 1) % RING;
        c->q_count--;
        return 1;
    }
    return src->failed ? -1 : 0;
}

void trace__csv_close(struct trace_csv *c)
{
    trace__io_close(c->io);
    if (c->parser_live)
        csv_free(&c->p);
    free(c->path);
    free(c->ring);
    free(c->ring_blk);
    free(c->blk);
    free(c);
}
