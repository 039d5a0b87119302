/*
 * calib_input.c - the measured inputs of `lbsim calibrate` (calib.h):
 * vLLM's benchmark_serving --save-result JSON and per-request CSVs.
 *
 * The JSON reader is a small scanner over the whole file that keeps only
 * the top-level keys calibrate uses and skips every other value (vLLM's
 * --save-detailed adds per-token arrays and generated texts that can be
 * large; they are walked, not stored).  Field meanings: vLLM
 * benchmarks/benchmark_serving.py, the result dict it saves
 * (docs/calibrate.md "Formats" lists them): request_rate (req/s, the
 * string "inf" for a burst), completed, duration (s), total_input_tokens,
 * total_output_tokens, request_throughput (req/s), median_ttft_ms,
 * p99_ttft_ms, median_tpot_ms, and with --save-detailed input_lens,
 * output_lens (one per request, 0 output for a failed one) and ttfts (s).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "err.h"
#include "calib_int.h"

/* Input files larger than this are refused (a 10^7-request CSV is about
 * 0.5 GB; a --save-detailed JSON of 10^5 requests with its texts ~1 GB). */
#define CALIB_FILE_MAX (2048.0 * 1048576.0)
/* Tokens of a request and a finite request rate at most: the scenario
 * loader's ranges (scenarios/scn.h SCN_TOKENS_MAX, SCN_RATE_MAX_PER_S). */
#define CALIB_TOKENS_MAX 1e8
#define CALIB_RATE_MAX   1e6

/* ---- whole file ------------------------------------------------------ */

static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        base_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return BASE_EINVAL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b != NULL) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n < cap)
            break;
        if ((double)cap * 2 > CALIB_FILE_MAX) {
            free(b);
            fclose(f);
            base_errf(err, errlen, "%s: found a file larger than %.0f MB, expected a smaller one",
                      path, CALIB_FILE_MAX / 1048576.0);
            return BASE_EINVAL;
        }
        char *nb = realloc(b, cap * 2 + 1);
        if (nb == NULL)
            break;
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (b == NULL) {
        base_errf(err, errlen, "%s: out of memory", path);
        return BASE_ENOMEM;
    }
    if (bad) {
        free(b);
        base_errf(err, errlen, "%s: read error", path);
        return BASE_EINVAL;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

void sim_calib_point_free(struct sim_calib_point *pt)
{
    if (pt == NULL)
        return;
    free(pt->in);
    free(pt->out);
    free(pt->ttft_s);
    free(pt->e2e_s);
    memset(pt, 0, sizeof *pt);
}

/* ---- JSON ------------------------------------------------------------ */

struct jcur {
    const char *path;
    const char *s, *end;
    const char *p;
    char *err;
    size_t errlen;
    int depth;
};

#define JSON_MAX_DEPTH 64 /* nesting the skipper follows (vLLM's results: 3) */

static void jpos(const struct jcur *c, const char *at, long *line, long *col)
{
    long l = 1, k = 1;
    for (const char *q = c->s; q < at && q < c->end; q++) {
        if (*q == '\n') {
            l++;
            k = 1;
        } else {
            k++;
        }
    }
    *line = l;
    *col = k;
}

static int jfail(const struct jcur *c, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int jfail(const struct jcur *c, const char *at, const char *fmt, ...)
{
    long line, col;
    jpos(c, at, &line, &col);
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    base_errf(c->err, c->errlen, "%s:%ld:%ld: %s", c->path, line, col, msg);
    return BASE_EINVAL;
}

/* What is at p, for "found ..." messages. */
static const char *jfound(const struct jcur *c, const char *p, char *buf, size_t len)
{
    if (p >= c->end)
        return "the end of the file";
    size_t k = 0;
    while (p + k < c->end && k < 16 && p[k] != '\n' && p[k] != '\r')
        k++;
    snprintf(buf, len, "'%.*s'", (int)k, p);
    return buf;
}

static void jws(struct jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* A string at c->p (after ws); its raw body (escapes kept) in [*b, *e). */
static int jstring(struct jcur *c, const char **b, const char **e)
{
    char fb[48];
    if (c->p >= c->end || *c->p != '"')
        return jfail(c, c->p, "found %s, expected a string", jfound(c, c->p, fb, sizeof fb));
    const char *start = c->p++;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\')
            c->p++;
        c->p++;
    }
    if (c->p >= c->end)
        return jfail(c, start, "found a string without its closing quote, expected '\"'");
    *b = start + 1;
    *e = c->p;
    c->p++;
    return 0;
}

/* A number token (JSON number, or Python's NaN / Infinity / -Infinity
 * that json.dump writes) at c->p. */
static int jnumber(struct jcur *c, double *out, const char *what)
{
    char fb[48];
    jws(c);
    const char *at = c->p;
    static const struct {
        const char *w;
        double v;
    } words[] = {{"NaN", NAN}, {"Infinity", INFINITY}, {"-Infinity", -INFINITY}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t k = strlen(words[i].w);
        if ((size_t)(c->end - at) >= k && strncmp(at, words[i].w, k) == 0) {
            c->p += k;
            *out = words[i].v;
            return 0;
        }
    }
    char *e = NULL;
    errno = 0;
    double v = strtod(at, &e);
    if (e == at || at >= c->end || !(isdigit((unsigned char)*at) || *at == '-'))
        return jfail(c, at, "found %s, expected %s (a number)", jfound(c, at, fb, sizeof fb), what);
    c->p = e;
    *out = v;
    return 0;
}

/* Skip one value of any kind. */
static int jskip(struct jcur *c)
{
    char fb[48];
    jws(c);
    if (c->p >= c->end)
        return jfail(c, c->p, "found the end of the file, expected a value");
    char ch = *c->p;
    if (ch == '"') {
        const char *b, *e;
        return jstring(c, &b, &e);
    }
    if (ch == '{' || ch == '[') {
        if (++c->depth > JSON_MAX_DEPTH)
            return jfail(c, c->p, "found nesting deeper than %d, expected at most that",
                         JSON_MAX_DEPTH);
        char close = ch == '{' ? '}' : ']';
        c->p++;
        jws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            c->depth--;
            return 0;
        }
        for (;;) {
            if (ch == '{') {
                const char *b, *e;
                jws(c);
                if (jstring(c, &b, &e))
                    return BASE_EINVAL;
                jws(c);
                if (c->p >= c->end || *c->p != ':')
                    return jfail(c, c->p, "found %s, expected ':'", jfound(c, c->p, fb, sizeof fb));
                c->p++;
            }
            if (jskip(c))
                return BASE_EINVAL;
            jws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == close) {
                c->p++;
                c->depth--;
                return 0;
            }
            return jfail(c, c->p, "found %s, expected ',' or '%c'", jfound(c, c->p, fb, sizeof fb),
                         close);
        }
    }
    if (isalpha((unsigned char)ch)) {
        const char *at = c->p;
        while (c->p < c->end && isalpha((unsigned char)*c->p))
            c->p++;
        size_t k = (size_t)(c->p - at);
        if ((k == 4 && strncmp(at, "true", 4) == 0) || (k == 5 && strncmp(at, "false", 5) == 0) ||
            (k == 4 && strncmp(at, "null", 4) == 0) || (k == 3 && strncmp(at, "NaN", 3) == 0) ||
            (k == 8 && strncmp(at, "Infinity", 8) == 0))
            return 0;
        return jfail(c, at, "found %s, expected a JSON value", jfound(c, at, fb, sizeof fb));
    }
    double v;
    return jnumber(c, &v, "a value");
}

/* An array of numbers into a growing double array. */
static int jarray(struct jcur *c, double **out, uint32_t *n, const char *what)
{
    char fb[48];
    jws(c);
    if (c->p >= c->end || *c->p != '[')
        return jfail(c, c->p, "found %s, expected %s (an array of numbers)",
                     jfound(c, c->p, fb, sizeof fb), what);
    c->p++;
    uint32_t cap = 0, k = 0;
    double *a = NULL;
    jws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        *out = NULL;
        *n = 0;
        return 0;
    }
    for (;;) {
        if (k == cap) {
            if (cap >= SIM_CALIB_MAX_ROWS) {
                free(a);
                return jfail(c, c->p, "found more than %u entries in %s, expected at most that",
                             SIM_CALIB_MAX_ROWS, what);
            }
            uint32_t nc = cap ? cap * 2 : 1024;
            double *na = realloc(a, (size_t)nc * sizeof *na);
            if (na == NULL) {
                free(a);
                base_errf(c->err, c->errlen, "%s: out of memory", c->path);
                return BASE_ENOMEM;
            }
            a = na;
            cap = nc;
        }
        if (jnumber(c, &a[k], what)) {
            free(a);
            return BASE_EINVAL;
        }
        k++;
        jws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            break;
        }
        free(a);
        return jfail(c, c->p, "found %s, expected ',' or ']' in %s", jfound(c, c->p, fb, sizeof fb),
                     what);
    }
    *out = a;
    *n = k;
    return 0;
}

enum jkey {
    JK_RATE,
    JK_COMPLETED,
    JK_DURATION,
    JK_TOTAL_IN,
    JK_TOTAL_OUT,
    JK_REQ_TPUT,
    JK_TTFT_MED,
    JK_TTFT_P99,
    JK_TPOT_MED,
    JK_N_SCALAR,
    JK_INPUT_LENS = JK_N_SCALAR,
    JK_OUTPUT_LENS,
    JK_TTFTS,
    JK_N,
};

static const char *const jkey_names[JK_N] = {
    "request_rate",        "completed",          "duration",       "total_input_tokens",
    "total_output_tokens", "request_throughput", "median_ttft_ms", "p99_ttft_ms",
    "median_tpot_ms",      "input_lens",         "output_lens",    "ttfts",
};

static int read_json(const char *path, const char *buf, size_t len, struct sim_calib_point *pt,
                     char *err, size_t errlen)
{
    struct jcur c = {
        .path = path, .s = buf, .end = buf + len, .p = buf, .err = err, .errlen = errlen};
    char fb[48];
    double val[JK_N_SCALAR];
    const char *at[JK_N];
    double *arr[JK_N] = {0};
    uint32_t n_arr[JK_N] = {0};
    bool have[JK_N] = {0};
    int rc = BASE_EINVAL;
    jws(&c);
    if (c.p >= c.end || *c.p != '{')
        return jfail(&c, c.p, "found %s, expected a JSON object", jfound(&c, c.p, fb, sizeof fb));
    c.p++;
    jws(&c);
    bool empty = c.p < c.end && *c.p == '}';
    if (empty)
        c.p++;
    while (!empty) {
        const char *kb, *ke;
        jws(&c);
        const char *kat = c.p;
        if (jstring(&c, &kb, &ke))
            goto out;
        jws(&c);
        if (c.p >= c.end || *c.p != ':') {
            jfail(&c, c.p, "found %s, expected ':'", jfound(&c, c.p, fb, sizeof fb));
            goto out;
        }
        c.p++;
        jws(&c);
        int k = -1;
        for (int i = 0; i < JK_N; i++)
            if ((size_t)(ke - kb) == strlen(jkey_names[i]) &&
                strncmp(kb, jkey_names[i], (size_t)(ke - kb)) == 0)
                k = i;
        if (k >= 0 && have[k]) {
            jfail(&c, kat, "found '%s' twice, expected each key once", jkey_names[k]);
            goto out;
        }
        if (k == JK_RATE && c.p < c.end && *c.p == '"') {
            /* vLLM saves an infinite rate (every request at once, its
             * default) as the string "inf". */
            const char *sb, *se;
            at[k] = c.p;
            if (jstring(&c, &sb, &se))
                goto out;
            if (se - sb != 3 || strncmp(sb, "inf", 3) != 0) {
                jfail(&c, at[k], "found request_rate \"%.*s\", expected a number or \"inf\"",
                      (int)(se - sb < 16 ? se - sb : 16), sb);
                goto out;
            }
            val[k] = INFINITY;
            have[k] = true;
        } else if (k >= 0 && k < JK_N_SCALAR) {
            at[k] = c.p;
            if (jnumber(&c, &val[k], jkey_names[k]))
                goto out;
            have[k] = true;
        } else if (k >= JK_N_SCALAR) {
            at[k] = c.p;
            int r = jarray(&c, &arr[k], &n_arr[k], jkey_names[k]);
            if (r) {
                rc = r;
                goto out;
            }
            have[k] = true;
        } else if (jskip(&c)) {
            goto out;
        }
        jws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        jfail(&c, c.p, "found %s, expected ',' or '}'", jfound(&c, c.p, fb, sizeof fb));
        goto out;
    }
    jws(&c);
    if (c.p < c.end) {
        jfail(&c, c.p, "found %s after the object, expected the end of the file",
              jfound(&c, c.p, fb, sizeof fb));
        goto out;
    }
    static const enum jkey required[] = {JK_RATE, JK_COMPLETED};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!have[required[i]]) {
            jfail(&c, buf, "found no '%s', expected a vLLM benchmark_serving --save-result JSON",
                  jkey_names[required[i]]);
            goto out;
        }
    if (!(val[JK_RATE] > 0) || (isfinite(val[JK_RATE]) && val[JK_RATE] > CALIB_RATE_MAX)) {
        jfail(&c, at[JK_RATE],
              "found request_rate %g, expected a rate above 0 and at most 10^6 req/s (or \"inf\")",
              val[JK_RATE]);
        goto out;
    }
    if (!(val[JK_COMPLETED] >= 1 && val[JK_COMPLETED] <= SIM_CALIB_MAX_ROWS &&
          val[JK_COMPLETED] == floor(val[JK_COMPLETED]))) {
        jfail(&c, at[JK_COMPLETED], "found completed %g, expected a request count of at least 1",
              val[JK_COMPLETED]);
        goto out;
    }
    for (int k = JK_DURATION; k < JK_N_SCALAR; k++)
        if (have[k] && !(isfinite(val[k]) && val[k] >= 0)) {
            jfail(&c, at[k], "found %s %g, expected a finite number >= 0", jkey_names[k], val[k]);
            goto out;
        }
    memset(pt, 0, sizeof *pt);
    pt->format = SIM_CALIB_VLLM_JSON;
    pt->rate_per_s = val[JK_RATE];
    pt->completed = (uint32_t)val[JK_COMPLETED];
    pt->duration_s = have[JK_DURATION] ? val[JK_DURATION] : NAN;
    pt->req_per_s = have[JK_REQ_TPUT]                           ? val[JK_REQ_TPUT]
                    : have[JK_DURATION] && val[JK_DURATION] > 0 ? pt->completed / val[JK_DURATION]
                                                                : NAN;
    pt->ttft_p50_s = have[JK_TTFT_MED] ? val[JK_TTFT_MED] / 1e3 : NAN;
    pt->ttft_p99_s = have[JK_TTFT_P99] ? val[JK_TTFT_P99] / 1e3 : NAN;
    pt->tpot_p50_s = have[JK_TPOT_MED] ? val[JK_TPOT_MED] / 1e3 : NAN;
    if (have[JK_INPUT_LENS] != have[JK_OUTPUT_LENS] ||
        (have[JK_INPUT_LENS] && n_arr[JK_INPUT_LENS] != n_arr[JK_OUTPUT_LENS])) {
        enum jkey k = have[JK_INPUT_LENS] ? JK_INPUT_LENS : JK_OUTPUT_LENS;
        jfail(&c, at[k],
              "found input_lens and output_lens of %u and %u entries, expected both, "
              "of equal length",
              n_arr[JK_INPUT_LENS], n_arr[JK_OUTPUT_LENS]);
        goto out;
    }
    if (have[JK_INPUT_LENS]) {
        /* Keep the requests that succeeded (output > 0; vLLM records 0
         * for a failed one). */
        uint32_t m = n_arr[JK_INPUT_LENS];
        pt->in = malloc(((size_t)m + 1) * sizeof *pt->in);
        pt->out = malloc(((size_t)m + 1) * sizeof *pt->out);
        if (pt->in == NULL || pt->out == NULL) {
            base_errf(err, errlen, "%s: out of memory", path);
            rc = BASE_ENOMEM;
            goto out;
        }
        double si = 0, so = 0;
        for (uint32_t i = 0; i < m; i++) {
            double a = arr[JK_INPUT_LENS][i], b = arr[JK_OUTPUT_LENS][i];
            if (!(a >= 0 && a <= 1e8 && b >= 0 && b <= 1e8 && a == floor(a) && b == floor(b))) {
                jfail(&c, at[a >= 0 && a == floor(a) && a <= 1e8 ? JK_OUTPUT_LENS : JK_INPUT_LENS],
                      "found lengths %g and %g at entry %u, expected token counts 0 to 10^8", a, b,
                      i + 1);
                goto out;
            }
            if (b > 0) {
                pt->in[pt->n] = (int64_t)a;
                pt->out[pt->n++] = (int64_t)b;
                si += a;
                so += b;
            }
        }
        if (pt->n > 0) {
            pt->mean_in = si / pt->n;
            pt->mean_out = so / pt->n;
        }
    }
    if (pt->n == 0) {
        if (!have[JK_TOTAL_IN] || !have[JK_TOTAL_OUT]) {
            jfail(&c, buf,
                  "found neither input_lens/output_lens nor total_input_tokens and "
                  "total_output_tokens, expected the request lengths");
            goto out;
        }
        pt->mean_in = val[JK_TOTAL_IN] / pt->completed;
        pt->mean_out = val[JK_TOTAL_OUT] / pt->completed;
        if (pt->mean_in > CALIB_TOKENS_MAX || pt->mean_out > CALIB_TOKENS_MAX) {
            enum jkey k = pt->mean_in > CALIB_TOKENS_MAX ? JK_TOTAL_IN : JK_TOTAL_OUT;
            jfail(&c, at[k], "found %s %g, %g tokens per request, expected at most 10^8",
                  jkey_names[k], val[k], val[k] / pt->completed);
            goto out;
        }
    }
    if (!have[JK_TTFT_MED] && have[JK_TTFTS] && n_arr[JK_TTFTS] > 0) {
        pt->ttft_p50_s = sim__calib_quantile(arr[JK_TTFTS], n_arr[JK_TTFTS], 0.5);
        pt->ttft_p99_s = sim__calib_quantile(arr[JK_TTFTS], n_arr[JK_TTFTS], 0.99);
    }
    if (isnan(pt->ttft_p50_s) && isnan(pt->tpot_p50_s) && isnan(pt->req_per_s)) {
        jfail(&c, buf,
              "found no median_ttft_ms, median_tpot_ms, request_throughput or duration, expected "
              "at least one measured figure");
        goto out;
    }
    rc = 0;
out:
    for (int k = 0; k < JK_N; k++)
        free(arr[k]);
    if (rc != 0)
        sim_calib_point_free(pt);
    return rc;
}

/* ---- CSV ------------------------------------------------------------- */

enum ccol { CC_ARRIVAL, CC_IN, CC_OUT, CC_TTFT, CC_E2E, CC_N };

/* Time columns: a base name and a unit suffix (_s or _ms). */
static const char *const time_bases[][6] = {
    [CC_ARRIVAL] = {"arrival", "start", "arrival_time", "start_time", "timestamp", NULL},
    [CC_TTFT] = {"ttft", NULL},
    [CC_E2E] = {"e2e", "latency", "e2e_latency", NULL},
};
static const char *const token_names[][3] = {
    [CC_IN] = {"input_tokens", "prompt_tokens", NULL},
    [CC_OUT] = {"output_tokens", "completion_tokens", NULL},
};

struct cfield {
    const char *b;
    size_t n;
    long col;
};

/* Split one line [p, e) at commas (a field may be double-quoted, without
 * embedded quotes); up to max fields. */
static uint32_t split(const char *p, const char *e, struct cfield *f, uint32_t max)
{
    uint32_t k = 0;
    const char *s = p;
    for (;;) {
        const char *q = s;
        while (q < e && *q != ',')
            q++;
        if (k < max) {
            const char *b = s, *t = q;
            while (b < t && (*b == ' ' || *b == '\t'))
                b++;
            while (t > b && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
                t--;
            if (t - b >= 2 && *b == '"' && t[-1] == '"') {
                b++;
                t--;
            }
            f[k] = (struct cfield){b, (size_t)(t - b), (long)(s - p) + 1};
        }
        k++;
        if (q >= e)
            break;
        s = q + 1;
    }
    return k;
}

static bool eq(const struct cfield *f, const char *w)
{
    return f->n == strlen(w) && strncmp(f->b, w, f->n) == 0;
}

#define CSV_MAX_COLS 256u

static int read_csv(const char *path, const char *buf, size_t len, struct sim_calib_point *pt,
                    char *err, size_t errlen)
{
    struct cfield f[CSV_MAX_COLS];
    int col_of[CC_N];
    double scale[CC_N];
    for (int i = 0; i < CC_N; i++) {
        col_of[i] = -1;
        scale[i] = 1.0;
    }
    const char *end = buf + len, *p = buf;
    const char *le = memchr(p, '\n', len);
    if (le == NULL)
        le = end;
    uint32_t nf = split(p, le, f, CSV_MAX_COLS);
    if (nf > CSV_MAX_COLS) {
        base_errf(err, errlen, "%s:1:1: found %u columns, expected at most %u", path, nf,
                  CSV_MAX_COLS);
        return BASE_EINVAL;
    }
    for (uint32_t j = 0; j < nf; j++) {
        for (int c = 0; c < CC_N; c++) {
            if (c == CC_IN || c == CC_OUT) {
                for (int w = 0; token_names[c][w]; w++)
                    if (eq(&f[j], token_names[c][w]))
                        goto found_tok;
                continue;
            found_tok:
                if (col_of[c] >= 0) {
                    base_errf(err, errlen, "%s:1:%ld: found a second %.*s column, expected one",
                              path, f[j].col, (int)f[j].n, f[j].b);
                    return BASE_EINVAL;
                }
                col_of[c] = (int)j;
                continue;
            }
            for (int w = 0; time_bases[c][w]; w++) {
                size_t bl = strlen(time_bases[c][w]);
                if (f[j].n < bl || strncmp(f[j].b, time_bases[c][w], bl) != 0)
                    continue;
                const char *suf = f[j].b + bl;
                size_t sl = f[j].n - bl;
                double sc = 0;
                if (sl == 0) {
                    base_errf(err, errlen,
                              "%s:1:%ld: found the time column '%.*s' without a unit, expected "
                              "'%.*s_s' or '%.*s_ms'",
                              path, f[j].col, (int)f[j].n, f[j].b, (int)f[j].n, f[j].b, (int)f[j].n,
                              f[j].b);
                    return BASE_EINVAL;
                }
                if (sl == 2 && strncmp(suf, "_s", 2) == 0)
                    sc = 1.0;
                else if (sl == 3 && strncmp(suf, "_ms", 3) == 0)
                    sc = 1e-3;
                else
                    continue;
                if (col_of[c] >= 0) {
                    base_errf(err, errlen,
                              "%s:1:%ld: found a second %s column '%.*s', expected one", path,
                              f[j].col, c == CC_ARRIVAL ? "arrival" : time_bases[c][0], (int)f[j].n,
                              f[j].b);
                    return BASE_EINVAL;
                }
                col_of[c] = (int)j;
                scale[c] = sc;
            }
        }
    }
    static const char *const need[CC_N] = {
        [CC_ARRIVAL] = "an arrival time (arrival_s, arrival_ms, start_s or start_ms)",
        [CC_IN] = "input_tokens",
        [CC_OUT] = "output_tokens",
        [CC_TTFT] = "ttft_s or ttft_ms",
        [CC_E2E] = "e2e_s, e2e_ms, latency_s or latency_ms",
    };
    for (int c = 0; c < CC_N; c++)
        if (col_of[c] < 0) {
            base_errf(err, errlen, "%s:1:1: found no column for %s, expected a header with it",
                      path, need[c]);
            return BASE_EINVAL;
        }
    memset(pt, 0, sizeof *pt);
    pt->format = SIM_CALIB_CSV;
    uint32_t cap = 0;
    long line = 1;
    double t_min = INFINITY, t_max = -INFINITY, end_max = -INFINITY, si = 0, so = 0;
    int rc = BASE_EINVAL;
    p = le < end ? le + 1 : end;
    while (p < end) {
        line++;
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (e == NULL)
            e = end;
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q == e) {
            p = e < end ? e + 1 : end;
            continue; /* a blank line */
        }
        uint32_t k = split(p, e, f, CSV_MAX_COLS);
        if (k != nf) {
            base_errf(err, errlen, "%s:%ld:1: found %u fields, expected %u (the header's)", path,
                      line, k, nf);
            goto out;
        }
        double v[CC_N];
        for (int c = 0; c < CC_N; c++) {
            const struct cfield *x = &f[col_of[c]];
            char tmp[64];
            char *ep = NULL;
            if (x->n == 0 || x->n >= sizeof tmp) {
                base_errf(err, errlen, "%s:%ld:%ld: found '%.*s', expected a number", path, line,
                          x->col, (int)(x->n < 32 ? x->n : 32), x->b);
                goto out;
            }
            memcpy(tmp, x->b, x->n);
            tmp[x->n] = '\0';
            v[c] = strtod(tmp, &ep);
            bool integer = c == CC_IN || c == CC_OUT;
            if (*ep != '\0' || !isfinite(v[c]) || v[c] < 0 ||
                (integer && (v[c] != floor(v[c]) || v[c] > 1e8))) {
                base_errf(err, errlen, "%s:%ld:%ld: found '%s', expected %s", path, line, x->col,
                          tmp,
                          integer ? "a token count 0 to 10^8"
                                  : "a finite time >= 0 in the column's unit");
                goto out;
            }
            v[c] *= scale[c];
        }
        if (v[CC_TTFT] > v[CC_E2E]) {
            base_errf(err, errlen,
                      "%s:%ld:%ld: found ttft %g s above the end-to-end latency %g s, expected "
                      "ttft <= e2e",
                      path, line, f[col_of[CC_TTFT]].col, v[CC_TTFT], v[CC_E2E]);
            goto out;
        }
        if (pt->n == cap) {
            if (cap >= SIM_CALIB_MAX_ROWS) {
                base_errf(err, errlen, "%s:%ld:1: found more than %u rows, expected at most that",
                          path, line, SIM_CALIB_MAX_ROWS);
                goto out;
            }
            uint32_t nc = cap ? cap * 2 : 1024;
            int64_t *a = realloc(pt->in, (size_t)nc * sizeof *a);
            if (a)
                pt->in = a;
            int64_t *b = realloc(pt->out, (size_t)nc * sizeof *b);
            if (b)
                pt->out = b;
            double *t = realloc(pt->ttft_s, (size_t)nc * sizeof *t);
            if (t)
                pt->ttft_s = t;
            double *u = realloc(pt->e2e_s, (size_t)nc * sizeof *u);
            if (u)
                pt->e2e_s = u;
            if (!a || !b || !t || !u) {
                base_errf(err, errlen, "%s: out of memory", path);
                rc = BASE_ENOMEM;
                goto out;
            }
            cap = nc;
        }
        pt->in[pt->n] = (int64_t)v[CC_IN];
        pt->out[pt->n] = (int64_t)v[CC_OUT];
        pt->ttft_s[pt->n] = v[CC_TTFT];
        pt->e2e_s[pt->n] = v[CC_E2E];
        pt->n++;
        si += v[CC_IN];
        so += v[CC_OUT];
        if (v[CC_ARRIVAL] < t_min)
            t_min = v[CC_ARRIVAL];
        if (v[CC_ARRIVAL] > t_max)
            t_max = v[CC_ARRIVAL];
        if (v[CC_ARRIVAL] + v[CC_E2E] > end_max)
            end_max = v[CC_ARRIVAL] + v[CC_E2E];
        p = e < end ? e + 1 : end;
    }
    if (pt->n < 2) {
        base_errf(err, errlen, "%s:%ld:1: found %u request rows, expected at least 2", path, line,
                  pt->n);
        goto out;
    }
    pt->completed = pt->n;
    pt->mean_in = si / pt->n;
    pt->mean_out = so / pt->n;
    pt->rate_per_s = t_max > t_min ? (pt->n - 1) / (t_max - t_min) : NAN;
    pt->duration_s = end_max - t_min;
    pt->req_per_s = pt->duration_s > 0 ? pt->n / pt->duration_s : NAN;
    rc = sim__calib_csv_figures(pt);
    if (rc != 0)
        base_errf(err, errlen, "%s: out of memory", path);
out:
    if (rc != 0)
        sim_calib_point_free(pt);
    return rc;
}

int sim_calib_read(const char *path, struct sim_calib_point *pt, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    memset(pt, 0, sizeof *pt);
    int rc = slurp(path, &buf, &len, err, errlen);
    if (rc)
        return rc;
    const char *p = buf;
    while (p < buf + len && isspace((unsigned char)*p))
        p++;
    if (p >= buf + len) {
        base_errf(err, errlen,
                  "%s:1:1: found an empty file, expected a vLLM benchmark JSON or a "
                  "per-request CSV",
                  path);
        rc = BASE_EINVAL;
    } else if (*p == '{') {
        rc = read_json(path, buf, len, pt, err, errlen);
    } else {
        rc = read_csv(path, buf, len, pt, err, errlen);
    }
    free(buf);
    return rc;
}
