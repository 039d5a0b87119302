/*
 * trace_csv.c - streaming CSV trace readers: lbsim's native format and the
 * Azure LLM inference trace 2023.
 *
 * Azure 2023: the trace released with Patel et al., "Splitwise: Efficient
 * generative LLM inference using phase splitting", ISCA 2024
 * (github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2023.md):
 * header TIMESTAMP,ContextTokens,GeneratedTokens; TIMESTAMP is an absolute
 * wall-clock time "YYYY-MM-DD HH:MM:SS.fffffff" (100 ns resolution, no time
 * zone); CRLF line ends, no final newline.  Timestamps are converted to
 * integer nanoseconds exactly (days_from_civil of H. Hinnant, "chrono-
 * compatible low-level date algorithms") and made relative to the first row.
 *
 * Native: a header naming the columns (any order) arrival_s, input_tokens,
 * output_tokens (required), model_group, session, priority, task, tenant,
 * region (optional).  arrival_s is decimal seconds, parsed as integer
 * seconds plus fraction digits so that 0.1 is exactly 100000000 ns.
 *
 * Streaming: the file is read in CHUNK-byte pieces and fed to libcsv in
 * slices no longer than the free room of a fixed ring of records; each
 * completed row is converted in the row callback and queued (a row ends on
 * one byte, so a slice of n bytes yields at most n rows).  Memory is the
 * chunk, the ring, libcsv's field buffer (capped at FIELD_MAX) and the
 * label tables: independent of the trace length.
 *
 * Line numbers are physical lines: libcsv runs with CSV_REPALL_NL so every
 * line end is reported, the LF of a CRLF is folded into its CR, blank lines
 * are counted (they hold no row), and newlines inside quoted fields are
 * counted too.  A row's number is the line it starts on; the header is
 * normally line 1.
 */
#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define CHUNK     65536
#define RING      1024 /* records; a slice fed to libcsv is < RING bytes */
#define FIELD_MAX 65536
#define SHOW      48 /* characters of a bad field quoted in a message */

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
    COL_NATIVE_N_,
    COL_TIMESTAMP = COL_NATIVE_N_, /* Azure */
    COL_N_
};

static const char *const native_names[COL_NATIVE_N_] = {
    "arrival_s", "input_tokens", "output_tokens", "model_group", "session",
    "priority",  "task",         "tenant",        "region",
};

static const char native_list[] = "arrival_s, input_tokens, output_tokens (required), "
                                  "model_group, session, priority, task, tenant, region";

static const char *const azure_names[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
static const char azure_header[] = "TIMESTAMP,ContextTokens,GeneratedTokens";

static const int64_t ns_per_s = 1000000000;

struct trace_csv {
    FILE *fp;
    char *path;
    struct csv_parser p;
    int parser_live;
    enum trace_format want; /* what trace_open asked for */
    unsigned char *buf;
    size_t buf_len, buf_pos;
    int eof, done;
    struct trace_rec *ring;
    size_t q_head, q_count;

    /* line tracking */
    uint64_t line;     /* physical line on which the current row starts */
    uint64_t embedded; /* line ends inside quoted fields of the current row */
    int prev_term;     /* terminator of the previous row callback */

    /* the row being assembled */
    size_t nfield;
    int row_bad;
    char row_err[TRACE_ERR_MAX];
    struct trace_rec cur;
    int64_t cur_sec; /* Azure: absolute seconds; native: raw ns */
    int32_t cur_frac;
    char cur_time[SHOW + 1]; /* the time field's text, for messages */

    /* header */
    int header_done;
    int header_ok;
    size_t hdr_n;
    unsigned az_match;          /* bit i: field i is azure_names[i] */
    int hdr_seen[COL_N_];       /* column present (1-based field index) */
    char hdr_text[128];         /* the header as found, for messages */
    char hdr_unknown[SHOW + 1]; /* first unknown native column */
    char hdr_dup[SHOW + 1];     /* first duplicate native column */
    int ncols;
    unsigned char col[COL_NATIVE_N_]; /* field index -> enum col */

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

/* A non-negative decimal integer (optional '+'), the whole field. */
static int parse_count(const char *s, size_t len, int64_t max, int64_t *out)
{
    if (len == 0 || !(is_digit(s[0]) || (s[0] == '+' && len > 1 && is_digit(s[1]))))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end != s + len || v < 0 || v > max)
        return -1;
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
        trace_fail(src, "%s:%llu: internal error: row queue overflow", c->path,
                   (unsigned long long)r->line);
        return;
    }
    c->ring[(c->q_head + c->q_count) % RING] = *r;
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
    int n =
        snprintf(c->row_err, sizeof c->row_err, "%s:%llu: ", c->path, (unsigned long long)c->line);
    if (n < 0 || (size_t)n >= sizeof c->row_err)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->row_err + n, sizeof c->row_err - (size_t)n, fmt, ap);
    va_end(ap);
    c->row_bad = 1;
}

static size_t count_line_ends(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
            n++;
    return n;
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

    if (idx < 3 && strlen(azure_names[idx]) == len && memcmp(azure_names[idx], s, len) == 0)
        c->az_match |= 1u << idx;

    int k;
    for (k = 0; k < COL_NATIVE_N_; k++)
        if (strlen(native_names[k]) == len && memcmp(native_names[k], s, len) == 0)
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
    if (idx < COL_NATIVE_N_)
        c->col[idx] = (unsigned char)k;
}

/* The header row is complete: choose and check the format. */
static void header_done(struct trace_src *src)
{
    struct trace_csv *c = src->csv;
    int az = c->hdr_n == 3 && c->az_match == 7u;
    enum trace_format f = c->want;
    unsigned long long ln = (unsigned long long)c->line;
    if (f == TRACE_AUTO) {
        if (az)
            f = TRACE_AZURE2023;
        else if (c->hdr_seen[COL_ARRIVAL])
            f = TRACE_NATIVE;
        else {
            trace_fail(src,
                       "%s:%llu: found header '%s', expected '%s' (azure2023) or a native "
                       "header with the columns %s",
                       c->path, ln, c->hdr_text, azure_header, native_list);
            return;
        }
    }
    src->format = f;
    if (f == TRACE_AZURE2023) {
        if (!az) {
            trace_fail(src, "%s:%llu: found header '%s', expected '%s'", c->path, ln, c->hdr_text,
                       azure_header);
            return;
        }
        c->ncols = 3;
        c->col[0] = COL_TIMESTAMP;
        c->col[1] = COL_INPUT;
        c->col[2] = COL_OUTPUT;
        c->header_ok = 1;
        return;
    }
    /* native */
    if (c->hdr_unknown[0]) {
        trace_fail(src, "%s:%llu: found unknown column '%s', expected one of %s", c->path, ln,
                   c->hdr_unknown, native_list);
        return;
    }
    if (c->hdr_dup[0]) {
        trace_fail(src, "%s:%llu: found column '%s' twice, expected each of %s at most once",
                   c->path, ln, c->hdr_dup, native_list);
        return;
    }
    for (int k = COL_ARRIVAL; k <= COL_OUTPUT; k++)
        if (!c->hdr_seen[k]) {
            trace_fail(src,
                       "%s:%llu: found header '%s' without column '%s', expected the columns "
                       "%s",
                       c->path, ln, c->hdr_text, native_names[k], native_list);
            return;
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
    if (trace_intern_label(src, kind, s, len, &c->cur.label[kind]) != 0)
        row_error(c, "out of memory interning %s", name);
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
        show(c->cur_time, s, len);
        if (parse_seconds_ns(s, len, &v) != 0) {
            show(txt, s, len);
            row_error(c,
                      "found arrival_s '%s', expected non-negative decimal seconds (e.g. "
                      "12.25)",
                      txt);
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
    case COL_OUTPUT: {
        const char *name =
            src->format == TRACE_AZURE2023 ? azure_names[idx] : native_names[c->col[idx]];
        if (parse_count(s, len, INT64_MAX, &v) != 0) {
            show(txt, s, len);
            row_error(c, "found %s '%s', expected a non-negative integer", name, txt);
            return;
        }
        if (c->col[idx] == COL_INPUT)
            c->cur.input_tokens = v;
        else
            c->cur.output_tokens = v;
        return;
    }
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
            c->cur.session = trace_session_key(s, len);
        return;
    case COL_MODEL_GROUP:
        label_field(src, TRACE_LABEL_MODEL_GROUP, "model_group", s, len);
        return;
    case COL_TASK:
        label_field(src, TRACE_LABEL_TASK, "task", s, len);
        return;
    case COL_TENANT:
        label_field(src, TRACE_LABEL_TENANT, "tenant", s, len);
        return;
    case COL_REGION:
        label_field(src, TRACE_LABEL_REGION, "region", s, len);
        return;
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
    } else {
        raw = c->cur_sec;
    }
    if (raw < c->prev_raw) {
        row_error(c,
                  "found %s '%s' earlier than the previous row's, expected non-decreasing "
                  "arrival times",
                  src->format == TRACE_AZURE2023 ? "TIMESTAMP" : "arrival_s", c->cur_time);
        return;
    }
    c->prev_raw = raw;
    if (trace_scale_ns(src, raw, &c->cur.arrival_ns) != 0) {
        row_error(c, "found arrival '%s' beyond the int64 nanosecond range after rate_scale",
                  c->cur_time);
        return;
    }
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
            if (c->row_bad)
                trace_fail(src, "%s", c->row_err);
        }
    }
    c->row_bad = 0;
    memset(&c->cur, 0, sizeof c->cur);
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
        trace_fail(src, "%s:%llu: found a field longer than %d bytes, expected shorter fields",
                   c->path, ln, FIELD_MAX - 1);
    else
        trace_fail(src,
                   "%s:%llu: found malformed CSV (%s), expected quotes only around whole "
                   "fields, closed before the end of the file",
                   c->path, ln, csv_strerror(e));
}

/* Parse until the ring is at least half full, the file ends or a row fails. */
static void fill(struct trace_src *src)
{
    struct trace_csv *c = src->csv;
    while (c->q_count < RING / 2 && !c->done && !src->failed) {
        if (c->buf_pos == c->buf_len) {
            if (c->eof) {
                if (csv_fini(&c->p, on_field, on_row, src) != 0)
                    parse_failed(src);
                c->done = 1;
                break;
            }
            size_t n = fread(c->buf, 1, CHUNK, c->fp);
            if (n < CHUNK) {
                if (ferror(c->fp)) {
                    trace_fail(src, "%s:%llu: read error", c->path, (unsigned long long)c->line);
                    break;
                }
                c->eof = 1;
            }
            c->buf_len = n;
            c->buf_pos = 0;
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

int trace_csv_open(struct trace_src *src, const char *path, enum trace_format format)
{
    struct trace_csv *c = calloc(1, sizeof *c);
    if (!c) {
        trace_fail(src, "%s: out of memory", path);
        return -1;
    }
    src->csv = c;
    c->want = format;
    c->line = 1;
    c->prev_term = -1;
    size_t plen = strlen(path);
    c->path = malloc(plen + 1);
    c->buf = malloc(CHUNK);
    c->ring = malloc(RING * sizeof *c->ring);
    if (!c->path || !c->buf || !c->ring) {
        trace_fail(src, "%s: out of memory", path);
        return -1;
    }
    memcpy(c->path, path, plen + 1);
    if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0) {
        trace_fail(src, "%s: out of memory", path);
        return -1;
    }
    c->parser_live = 1;
    csv_set_realloc_func(&c->p, capped_realloc);
    c->fp = fopen(path, "rb");
    if (!c->fp) {
        trace_fail(src, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while (!c->header_done && !c->done && !src->failed)
        fill(src);
    if (!c->header_done && !src->failed)
        trace_fail(src, "%s:%llu: found end of file, expected a header row ('%s' or %s)", path,
                   (unsigned long long)c->line, azure_header, native_list);
    return c->header_ok ? 0 : -1;
}

int trace_csv_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_csv *c = src->csv;
    if (c->q_count == 0)
        fill(src);
    if (c->q_count) {
        *out = c->ring[c->q_head];
        c->q_head = (c->q_head + 1) % RING;
        c->q_count--;
        return 1;
    }
    return src->failed ? -1 : 0;
}

void trace_csv_close(struct trace_csv *c)
{
    if (c->fp)
        fclose(c->fp);
    if (c->parser_live)
        csv_free(&c->p);
    free(c->path);
    free(c->buf);
    free(c->ring);
    free(c);
}
