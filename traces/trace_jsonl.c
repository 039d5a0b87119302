/*
 * trace_jsonl.c - streaming reader of the Mooncake JSONL traces.
 *
 * Mooncake: the traces released with Qin et al., "Mooncake: Trading More
 * Storage for Less Computation - A KVCache-centric Architecture for Serving
 * LLM Chatbot", USENIX FAST 2025 (github.com/kvcache-ai/Mooncake,
 * FAST25-release/traces/).  One JSON object per line:
 *   {"timestamp": 0, "input_length": 6758, "output_length": 500,
 *    "hash_ids": [0, 1, 2, ...]}
 * timestamp: integer milliseconds from the start of the trace (sorted);
 * input_length / output_length: tokens; hash_ids: the prompt's prefix
 * blocks, 512 tokens each (equal leading ids = a shared, cacheable prefix).
 *
 * Keys may come in any order, with any JSON white space; timestamp,
 * input_length and output_length are required, hash_ids is optional (no
 * blocks).  Numbers are parsed strictly by the JSON grammar and must be
 * non-negative integers (no sign, fraction, exponent or leading zero); an
 * unknown or repeated key is an error.  Arrivals are the timestamps made
 * relative to the first row, in ns, then scaled by 1/rate_scale.  hash_ids
 * become trace_rec.blocks (owned by the reader, valid until the next call).
 *
 * Streaming: bytes come from trace_io (plain, gzip or zstd); a line lying
 * whole in the current chunk is parsed in place, one that straddles chunks
 * is gathered in a line buffer that grows up to LINE_MAX (a longer line is
 * a bad row).  Memory: the chunk, the line buffer and the hash_ids array
 * (both bounded by LINE_MAX), not the trace length.
 *
 * Errors: "path:line: found X, expected Y".  With cfg.skip_bad_rows a bad
 * line is skipped and counted in src->skipped instead; read and
 * decompression errors always fail.  Blank lines are ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "trace_io.h"

#define LINE_MAX_BYTES (16u << 20) /* 16 MiB */
#define SHOW           40          /* characters of a bad token quoted in a message */
#define KEY_MAX        64

static const int64_t ns_per_ms = 1000000;

enum key { K_TIMESTAMP = 0, K_INPUT, K_OUTPUT, K_HASH_IDS, K_N_ };
static const char *const key_names[K_N_] = {"timestamp", "input_length", "output_length",
                                            "hash_ids"};
static const char key_list[] = "timestamp, input_length, output_length or hash_ids";

struct trace_jsonl {
    struct trace_io *io;
    char *path;
    const unsigned char *chunk;
    size_t chunk_len, chunk_pos;
    int eof;
    char *line; /* a line that straddles chunks */
    size_t line_len, line_cap;
    int too_long;     /* the line being gathered passed LINE_MAX: drop it */
    uint64_t line_no; /* the line last read (1-based) */
    uint64_t *blocks;
    size_t blocks_cap;
    int skip_bad;
    int have_first;
    int64_t first_ms, prev_raw;
    char err[TRACE_ERR_MAX]; /* a bad row's message */
};

/* ---- lines -------------------------------------------------------------- */

/* The next line (without its '\n'): 1 with *p, *n; 0 at the end; -1 on a
 * read error (src failed); -2 for a line longer than LINE_MAX_BYTES. */
static int next_line(struct trace_src *src, const char **p, size_t *n)
{
    struct trace_jsonl *j = src->jsonl;
    j->line_len = 0;
    j->too_long = 0;
    for (;;) {
        if (j->chunk_pos == j->chunk_len) {
            if (j->eof) {
                if (j->line_len == 0 && !j->too_long)
                    return 0;
                j->line_no++; /* a last line with no final newline */
                break;
            }
            char msg[TRACE_ERR_MAX];
            int rc = trace__io_chunk(j->io, &j->chunk, &j->chunk_len, msg, sizeof msg);
            j->chunk_pos = 0;
            if (rc < 0) {
                j->chunk_len = 0;
                trace__fail(src, "%s (reading line %llu)", msg, (unsigned long long)j->line_no + 1);
                return -1;
            }
            if (rc == 0) {
                j->chunk_len = 0;
                j->eof = 1;
            }
            continue;
        }
        const unsigned char *s = j->chunk + j->chunk_pos;
        size_t avail = j->chunk_len - j->chunk_pos;
        const unsigned char *nl = memchr(s, '\n', avail);
        size_t take = nl ? (size_t)(nl - s) : avail;
        j->chunk_pos += take + (nl ? 1 : 0);
        if (nl && j->line_len == 0 && !j->too_long && take <= LINE_MAX_BYTES) {
            j->line_no++;
            *p = (const char *)s; /* whole in the chunk: parse in place */
            *n = take;
            return 1;
        }
        if (!j->too_long) {
            if (take > LINE_MAX_BYTES - j->line_len) {
                j->too_long = 1;
            } else {
                if (j->line_len + take > j->line_cap) {
                    size_t cap = j->line_cap ? j->line_cap : 4096;
                    while (cap < j->line_len + take)
                        cap *= 2;
                    if (cap > LINE_MAX_BYTES)
                        cap = LINE_MAX_BYTES;
                    char *line = realloc(j->line, cap);
                    if (!line) {
                        trace__fail(src, "%s:%llu: out of memory reading a line", j->path,
                                    (unsigned long long)j->line_no + 1);
                        return -1;
                    }
                    j->line = line;
                    j->line_cap = cap;
                }
                memcpy(j->line + j->line_len, s, take);
                j->line_len += take;
            }
        }
        if (nl) {
            j->line_no++;
            break;
        }
    }
    if (j->too_long)
        return -2;
    *p = j->line;
    *n = j->line_len;
    return 1;
}

/* ---- JSON --------------------------------------------------------------- */

struct cursor {
    const char *s;
    size_t n, i;
};

static void bad(struct trace_jsonl *j, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void bad(struct trace_jsonl *j, const char *fmt, ...)
{
    int n = snprintf(j->err, sizeof j->err, "%s:%llu: ", j->path, (unsigned long long)j->line_no);
    if (n < 0 || (size_t)n >= sizeof j->err)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err + n, sizeof j->err - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_ws(struct cursor *c)
{
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r' || c->s[c->i] == '\n'))
        c->i++;
}

/* What is at the cursor, for "found ...": 'text' up to a delimiter, or
 * "the end of the line". */
static const char *found(const struct cursor *c, char *buf, size_t len)
{
    if (c->i >= c->n) {
        snprintf(buf, len, "the end of the line");
        return buf;
    }
    size_t k = c->i, m = 0;
    char txt[SHOW + 1];
    do {
        unsigned char ch = (unsigned char)c->s[k];
        txt[m++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        k++;
    } while (k < c->n && m < SHOW && !strchr(",:[]{} \t\r", c->s[k]) &&
             !strchr(",:[]{}", c->s[k - 1]));
    txt[m] = '\0';
    snprintf(buf, len, "'%s'", txt);
    return buf;
}

static int expect_char(struct trace_jsonl *j, struct cursor *c, char ch, const char *what)
{
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 0;
    }
    char f[SHOW + 32];
    bad(j, "found %s, expected %s", found(c, f, sizeof f), what);
    return -1;
}

/* A JSON string at the cursor (after skip_ws), decoded into buf (at most
 * cap-1 bytes kept; the rest is dropped, *trunc set). */
static int parse_string(struct trace_jsonl *j, struct cursor *c, char *buf, size_t cap)
{
    char f[SHOW + 32];
    if (c->i >= c->n || c->s[c->i] != '"') {
        bad(j, "found %s, expected a key in double quotes", found(c, f, sizeof f));
        return -1;
    }
    c->i++;
    size_t m = 0;
    for (;;) {
        if (c->i >= c->n) {
            bad(j, "found the end of the line inside a string, expected a closing '\"'");
            return -1;
        }
        unsigned char ch = (unsigned char)c->s[c->i++];
        if (ch == '"')
            break;
        if (ch < 0x20) {
            bad(j, "found a control character (0x%02x) in a string, expected it escaped", ch);
            return -1;
        }
        if (ch == '\\') {
            if (c->i >= c->n) {
                bad(j, "found the end of the line after '\\', expected an escape");
                return -1;
            }
            char e = c->s[c->i++];
            switch (e) {
            case '"':
            case '\\':
            case '/':
                ch = (unsigned char)e;
                break;
            case 'b':
                ch = '\b';
                break;
            case 'f':
                ch = '\f';
                break;
            case 'n':
                ch = '\n';
                break;
            case 'r':
                ch = '\r';
                break;
            case 't':
                ch = '\t';
                break;
            case 'u': {
                unsigned v = 0;
                for (int k = 0; k < 4; k++) {
                    char h = c->i < c->n ? c->s[c->i] : '\0';
                    unsigned d = h >= '0' && h <= '9'   ? (unsigned)(h - '0')
                                 : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                                 : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                                        : 16u;
                    if (d == 16) {
                        bad(j, "found a bad \\u escape in a string, expected 4 hex digits");
                        return -1;
                    }
                    v = v * 16 + d;
                    c->i++;
                }
                ch = v < 0x80 ? (unsigned char)v : (unsigned char)'?';
                break;
            }
            default:
                bad(j,
                    "found escape '\\%c' in a string, expected one of \\\" \\\\ \\/ \\b "
                    "\\f \\n \\r \\t \\uXXXX",
                    (e < 0x20 || e == 0x7f) ? '?' : e);
                return -1;
            }
        }
        if (m + 1 < cap)
            buf[m++] = (char)ch;
    }
    buf[m] = '\0';
    return 0;
}

/* A non-negative JSON integer at the cursor: digits, no leading zero, no
 * sign, fraction or exponent, at most max. */
static int parse_uint(struct trace_jsonl *j, struct cursor *c, const char *what, uint64_t max,
                      uint64_t *out)
{
    char f[SHOW + 32];
    skip_ws(c);
    struct cursor start = *c;
    size_t i = c->i;
    uint64_t v = 0;
    int ok = i < c->n && c->s[i] >= '0' && c->s[i] <= '9';
    if (ok && c->s[i] == '0' && i + 1 < c->n && c->s[i + 1] >= '0' && c->s[i + 1] <= '9')
        ok = 0; /* leading zero */
    while (ok && i < c->n && c->s[i] >= '0' && c->s[i] <= '9') {
        unsigned d = (unsigned)(c->s[i] - '0');
        if (v > (max - d) / 10) {
            bad(j, "found %s %s, expected an integer <= %llu", what, found(&start, f, sizeof f),
                (unsigned long long)max);
            return -1;
        }
        v = v * 10 + d;
        i++;
    }
    if (ok && i < c->n && (c->s[i] == '.' || c->s[i] == 'e' || c->s[i] == 'E'))
        ok = 0;
    if (!ok && start.i >= start.n) {
        bad(j, "found the end of the line, expected %s (a non-negative integer)", what);
        return -1;
    }
    if (!ok) {
        bad(j, "found %s %s, expected a non-negative integer", what, found(&start, f, sizeof f));
        return -1;
    }
    c->i = i;
    *out = v;
    return 0;
}

static int parse_hash_ids(struct trace_jsonl *j, struct cursor *c, uint32_t *count)
{
    char f[SHOW + 32];
    if (expect_char(j, c, '[', "'[' (hash_ids is an array of integers)") != 0)
        return -1;
    size_t n = 0;
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == ']') {
        c->i++;
        *count = 0;
        return 0;
    }
    for (;;) {
        if (n == j->blocks_cap) {
            size_t cap = j->blocks_cap ? 2 * j->blocks_cap : 256;
            uint64_t *b = realloc(j->blocks, cap * sizeof *b);
            if (!b) {
                bad(j, "out of memory reading hash_ids");
                return -1;
            }
            j->blocks = b;
            j->blocks_cap = cap;
        }
        if (parse_uint(j, c, "hash_ids entry", UINT64_MAX, &j->blocks[n]) != 0)
            return -1;
        n++;
        skip_ws(c);
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i < c->n && c->s[c->i] == ']') {
            c->i++;
            break;
        }
        bad(j, "found %s in hash_ids, expected ',' or ']'", found(c, f, sizeof f));
        return -1;
    }
    if (n > UINT32_MAX) {
        bad(j, "found %zu hash_ids, expected at most %u", n, UINT32_MAX);
        return -1;
    }
    *count = (uint32_t)n;
    return 0;
}

/* Parse one line into *r (times raw).  1 record, 0 blank line, -1 bad
 * (j->err set). */
static int parse_line(struct trace_jsonl *j, const char *s, size_t n, struct trace_rec *r,
                      int64_t *ts_ms)
{
    struct cursor c = {s, n, 0};
    char f[SHOW + 32];
    skip_ws(&c);
    if (c.i == c.n)
        return 0;
    if (expect_char(j, &c, '{', "'{' (one JSON object per line)") != 0)
        return -1;
    int seen[K_N_] = {0};
    skip_ws(&c);
    if (c.i < c.n && c.s[c.i] == '}') {
        c.i++;
    } else {
        for (;;) {
            skip_ws(&c);
            char key[KEY_MAX + 1];
            if (parse_string(j, &c, key, sizeof key) != 0)
                return -1;
            int k;
            for (k = 0; k < K_N_; k++)
                if (strcmp(key, key_names[k]) == 0)
                    break;
            if (k == K_N_) {
                char shown[SHOW + 1];
                size_t m = 0;
                for (; key[m] && m < SHOW; m++)
                    shown[m] = ((unsigned char)key[m] < 0x20) ? '?' : key[m];
                shown[m] = '\0';
                bad(j, "found unknown key '%s', expected %s", shown, key_list);
                return -1;
            }
            if (seen[k]) {
                bad(j, "found key '%s' twice, expected each key once", key_names[k]);
                return -1;
            }
            seen[k] = 1;
            if (expect_char(j, &c, ':', "':' after a key") != 0)
                return -1;
            uint64_t v;
            switch ((enum key)k) {
            case K_TIMESTAMP:
                if (parse_uint(j, &c, "timestamp", INT64_MAX, &v) != 0)
                    return -1;
                *ts_ms = (int64_t)v;
                break;
            case K_INPUT:
                if (parse_uint(j, &c, "input_length", INT64_MAX, &v) != 0)
                    return -1;
                r->input_tokens = (int64_t)v;
                break;
            case K_OUTPUT:
                if (parse_uint(j, &c, "output_length", INT64_MAX, &v) != 0)
                    return -1;
                r->output_tokens = (int64_t)v;
                break;
            case K_HASH_IDS:
                if (parse_hash_ids(j, &c, &r->n_blocks) != 0)
                    return -1;
                break;
            case K_N_:
                break;
            }
            skip_ws(&c);
            if (c.i < c.n && c.s[c.i] == ',') {
                c.i++;
                continue;
            }
            if (c.i < c.n && c.s[c.i] == '}') {
                c.i++;
                break;
            }
            bad(j, "found %s after the value of '%s', expected ',' or '}'", found(&c, f, sizeof f),
                key_names[k]);
            return -1;
        }
    }
    skip_ws(&c);
    if (c.i < c.n) {
        bad(j, "found %s after the object, expected the end of the line (one object per line)",
            found(&c, f, sizeof f));
        return -1;
    }
    for (int k = 0; k < K_HASH_IDS; k++)
        if (!seen[k]) {
            bad(j, "found no key '%s', expected timestamp, input_length and output_length",
                key_names[k]);
            return -1;
        }
    return 1;
}

/* ---- the reader --------------------------------------------------------- */

int trace__jsonl_open(struct trace_src *src, const char *path)
{
    struct trace_jsonl *j = calloc(1, sizeof *j);
    if (!j) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    src->jsonl = j;
    src->format = TRACE_MOONCAKE;
    j->skip_bad = src->cfg.skip_bad_rows != 0;
    size_t plen = strlen(path);
    j->path = malloc(plen + 1);
    if (!j->path) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    memcpy(j->path, path, plen + 1);
    char msg[TRACE_ERR_MAX];
    j->io = trace__io_open(path, src->cfg.data, src->cfg.data_len, msg, sizeof msg);
    if (!j->io) {
        trace__fail(src, "%s", msg);
        return -1;
    }
    return 0;
}

/* Time of a parsed row: relative to the first row, checked, scaled.  0 or
 * -1 (j->err set). */
static int row_time(struct trace_src *src, int64_t ts_ms, struct trace_rec *r)
{
    struct trace_jsonl *j = src->jsonl;
    int64_t first = j->have_first ? j->first_ms : ts_ms;
    int64_t d = ts_ms - first; /* both >= 0: no overflow */
    if (d < 0) {
        bad(j,
            "found timestamp %lld earlier than the first row's (%lld), expected non-decreasing "
            "timestamps",
            (long long)ts_ms, (long long)first);
        return -1;
    }
    if (d > INT64_MAX / ns_per_ms) {
        bad(j, "found timestamp %lld, expected at most %lld ms after the first row",
            (long long)ts_ms, (long long)(INT64_MAX / ns_per_ms));
        return -1;
    }
    int64_t raw = d * ns_per_ms;
    if (raw < j->prev_raw) {
        bad(j,
            "found timestamp %lld earlier than the previous row's, expected non-decreasing "
            "timestamps",
            (long long)ts_ms);
        return -1;
    }
    if (trace__scale_ns(src, raw, &r->arrival_ns) != 0) {
        bad(j, "found timestamp %lld beyond the int64 nanosecond range after rate_scale",
            (long long)ts_ms);
        return -1;
    }
    if (!j->have_first) {
        j->have_first = 1;
        j->first_ms = ts_ms;
    }
    j->prev_raw = raw;
    return 0;
}

int trace__jsonl_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_jsonl *j = src->jsonl;
    if (src->failed)
        return -1;
    for (;;) {
        const char *p;
        size_t n;
        int rc = next_line(src, &p, &n);
        if (rc == 0)
            return 0;
        if (rc == -1)
            return -1;
        if (rc == -2) {
            if (j->skip_bad) {
                src->skipped++;
                continue;
            }
            trace__fail(src,
                        "%s:%llu: found a line longer than %u bytes, expected one JSON "
                        "object per line",
                        j->path, (unsigned long long)j->line_no, LINE_MAX_BYTES);
            return -1;
        }
        struct trace_rec r;
        memset(&r, 0, sizeof r);
        int64_t ts_ms = 0;
        rc = parse_line(j, p, n, &r, &ts_ms);
        if (rc == 0)
            continue; /* blank line */
        if (rc > 0)
            rc = row_time(src, ts_ms, &r) == 0 ? 1 : -1;
        if (rc < 0) {
            if (j->skip_bad) {
                src->skipped++;
                continue;
            }
            trace__fail(src, "%s", j->err);
            return -1;
        }
        r.line = j->line_no;
        r.blocks = r.n_blocks ? j->blocks : NULL;
        *out = r;
        return 1;
    }
}

void trace__jsonl_close(struct trace_jsonl *j)
{
    if (!j)
        return;
    trace__io_close(j->io);
    free(j->path);
    free(j->line);
    free(j->blocks);
    free(j);
}
