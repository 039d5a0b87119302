/*
 * trace_servegen.c - ServeGen per-window statistics turned into arrivals.
 *
 * ServeGen (Xiang et al., "ServeGen: Workload Characterization and
 * Generation of Large Language Model Serving in Production",
 * arXiv:2505.09999; data: github.com/alibaba/ServeGen, Apache-2.0) publishes
 * per-client statistics, not request logs.  One client is two files:
 *
 *   chunk-N-trace.csv     no header; one line per 600 s window:
 *                         window_start_s, rate (req/s), cv (of the
 *                         inter-arrival times), pattern (Gamma, Weibull, or
 *                         empty: idle), p1, p2 (the fitted distribution's
 *                         parameters).
 *   chunk-N-dataset.json  an object keyed by window start (seconds, every
 *                         21,600 s); each value maps field names to strings
 *                         holding Python dict literals "{value: probability,
 *                         ...}": empirical PMFs of input_tokens and
 *                         output_tokens (an empty "{}" where the client sent
 *                         nothing in those 6 hours).
 *
 * `path` names the trace CSV; the dataset is the file beside it whose name
 * has "dataset.json" in place of the last "trace.csv" (any suffix after it,
 * e.g. ".gz", is kept).  Both are read through trace_io (plain, gzip or
 * zstd) and held in memory: the CSV as one record per window, the JSON as
 * its text (about 1 MB per client), from which one 6-hour set of PMFs at a
 * time is built into empirical distributions (dist_empirical).  Memory is
 * bounded by the size of the two files, not by the number of requests.
 *
 * Parameterisation (checked on the bundled sample, language/m-large client
 * 0, and the other chunk-0 clients of the ServeGen snapshot): p1 and p2 are
 * shape and scale.  For Gamma, p1 = 1/cv^2 exactly (the shape of a Gamma
 * with the window's CV), but p1 * p2, the fitted mean gap, is 0.03 to 1.0
 * times 1/rate (median 0.78 on m-large): the fitted scale does not
 * reproduce the window's rate.  For Weibull (p1 = shape k, p2 = scale), the
 * fitted mean p2 G(1 + 1/k) is 0.09 to 3.4 times 1/rate (median 2.3) and
 * the fitted CV is about a third of the window's cv.  So p1/p2 are not used:
 * each window is a renewal process with the window's rate and cv and the
 * named family, exactly as the synthetic GAMMA and WEIBULL processes
 * (trace_synth.c): Gamma shape 1/cv^2, scale 1/(rate shape) (the same
 * shape as p1, the scale rescaled to the rate); Weibull shape solving
 * cv^2 = G(1+2/k)/G(1+1/k)^2 - 1, scale 1/(rate G(1+1/k)).  Each window
 * starts its process stationary (first gap = the forward recurrence time),
 * so the expected number of arrivals in a window is exactly rate x 600 s.
 * Empty pattern (or rate 0) = an idle window.
 *
 * Lengths: a request at trace time t draws input and output tokens from
 * the set whose key is the latest <= t (the earliest set if t is before
 * it); sets whose PMFs are empty are skipped in favour of the latest
 * earlier non-empty set (or, before any, the earliest later one).  Where
 * a set has no input_tokens field (ServeGen's multimodal clients), the
 * input is the sum of independent draws of text_tokens, image_tokens,
 * audio_tokens and video_tokens, those present.
 *
 * Streams: arrivals from rng_stream(seed, RNG_ARRIVALS), sizes from
 * rng_stream(seed, RNG_SIZES).  rec.line is the CSV line of the window.
 * Errors: "path:line: found X, expected Y" (CSV), "path:line:col: found X,
 * expected Y" (JSON), in the source's sticky error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "trace_int.h"
#include "trace_io.h"

/* ServeGen's window length (its README and every trace CSV: 600 s). */
#define SG_WINDOW_S 600.0
/* Largest file read into memory: the biggest ServeGen dataset JSON of one
 * client is a few MB (the whole data/ folder is ~250 MB for 422 clients). */
#define SG_MAX_FILE_BYTES ((size_t)1 << 28)
/* Token counts are clamped to this. */
#define MAX_TOKENS 1e18
/* Largest arrival in seconds before int64 ns overflow. */
#define S_HORIZON 9.2e9
/* Input parts of a multimodal set (ServeGen's mm-image fields). */
#define SG_PARTS 4

enum sg_pattern { SG_IDLE = 0, SG_GAMMA = 1, SG_WEIBULL = 2 };

struct sg_window {
    double start_s, end_s;
    double shape, scale; /* of the renewal gaps, when active */
    enum sg_pattern pattern;
    uint64_t line;
};

struct sg_span {
    size_t off, len; /* the PMF text inside the JSON string, len 0 = absent */
};

struct sg_set {
    double key_s;
    size_t key_off;                /* for error messages */
    struct sg_span in, out;        /* input_tokens, output_tokens */
    struct sg_span part[SG_PARTS]; /* text/image/audio/video tokens */
    int usable;                    /* every PMF it needs is non-empty */
};

struct trace_servegen {
    char *ds_path;
    struct sg_window *w;
    uint32_t nw, wi;
    char *text; /* the dataset JSON */
    size_t text_len;
    struct sg_set *sets;
    uint32_t nsets;
    uint32_t cur;   /* index + 1 of the set whose dists are built, 0 = none */
    uint32_t probe; /* the latest set with key <= the last arrival */
    struct dist in, out, part[SG_PARTS];
    int n_in_parts; /* 0: `in` is input_tokens; else parts 0.. */
    int have_dists;
    struct rng arrivals, sizes;
    double t_s;
    int in_window, started;
    int done;
};

static const char *const sg_part_names[SG_PARTS] = {"text_tokens", "image_tokens", "audio_tokens",
                                                    "video_tokens"};

/* ---- files --------------------------------------------------------------- */

/* Read a whole file (decompressed) into a NUL-terminated buffer. */
static int slurp(struct trace_src *src, const char *path, char **out, size_t *out_len)
{
    char err[TRACE_ERR_MAX];
    /* trace_cfg.data holds the trace CSV only; the dataset beside it is
       always read from its file */
    int own = src->cfg.data && src->cfg.path && strcmp(path, src->cfg.path) == 0;
    struct trace_io *io = trace__io_open(path, own ? src->cfg.data : NULL,
                                         own ? src->cfg.data_len : 0, err, sizeof err);
    if (!io) {
        trace__fail(src, "%s", err);
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    const unsigned char *data;
    size_t n;
    int rc;
    while ((rc = trace__io_chunk(io, &data, &n, err, sizeof err)) > 0) {
        if (len + n + 1 > SG_MAX_FILE_BYTES) {
            trace__fail(src, "%s: found a file over %zu bytes, expected a ServeGen client file",
                        path, (size_t)SG_MAX_FILE_BYTES);
            rc = -2;
            break;
        }
        if (len + n + 1 > cap) {
            size_t c = cap ? cap : 1 << 16;
            while (c < len + n + 1)
                c *= 2;
            char *b = realloc(buf, c);
            if (!b) {
                trace__fail(src, "%s: out of memory", path);
                rc = -2;
                break;
            }
            buf = b;
            cap = c;
        }
        memcpy(buf + len, data, n);
        len += n;
    }
    trace__io_close(io);
    if (rc < 0) {
        if (rc == -1)
            trace__fail(src, "%s", err);
        free(buf);
        return -1;
    }
    if (!buf && !(buf = malloc(1))) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* The dataset path beside a "...trace.csv[suffix]" path; NULL if the name
 * has no "trace.csv" or on ENOMEM. */
static char *dataset_path(const char *path)
{
    static const char from[] = "trace.csv", to[] = "dataset.json";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *hit = NULL;
    for (const char *p = strstr(base, from); p; p = strstr(p + 1, from))
        hit = p;
    if (!hit)
        return NULL;
    size_t pre = (size_t)(hit - path), post = strlen(hit + sizeof from - 1);
    char *d = malloc(pre + sizeof to - 1 + post + 1);
    if (!d)
        return NULL;
    memcpy(d, path, pre);
    memcpy(d + pre, to, sizeof to - 1);
    memcpy(d + pre + sizeof to - 1, hit + sizeof from - 1, post + 1);
    return d;
}

/* ---- the renewal processes (shared with trace_synth.c) ------------------ */

static double renewal_gap(struct trace_servegen *sg, const struct sg_window *w)
{
    return trace__renewal_gap(&sg->arrivals, w->pattern == SG_GAMMA, w->shape, w->scale,
                              &sg->started);
}

/* ---- the trace CSV ------------------------------------------------------- */

/* A whole field as a finite number. */
static int field_num(const char *s, size_t len, double *v)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    *v = strtod(tmp, &end);
    return (*end == '\0' && isfinite(*v)) ? 0 : -1;
}

static int parse_trace(struct trace_src *src, struct trace_servegen *sg, const char *path,
                       const char *text, size_t len)
{
    static const char *const names[6] = {"window_start_s", "rate", "cv", "pattern", "p1", "p2"};
    uint32_t cap = 0;
    uint64_t line = 0;
    size_t pos = 0;
    while (pos < len) {
        line++;
        const char *ln = text + pos;
        const char *nl = memchr(ln, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - ln) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (ll && ln[ll - 1] == '\r')
            ll--;
        if (ll == 0) {
            if (pos >= len)
                break; /* the final newline */
            trace__fail(src, "%s:%llu: found an empty line, expected %s", path,
                        (unsigned long long)line, "window_start_s,rate,cv,pattern,p1,p2");
            return -1;
        }
        const char *f[6];
        size_t fl[6];
        uint32_t nf = 0;
        const char *p = ln, *end = ln + ll;
        for (;;) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            const char *fe = c ? c : end;
            if (nf < 6) {
                f[nf] = p;
                fl[nf] = (size_t)(fe - p);
            }
            nf++;
            if (!c)
                break;
            p = c + 1;
        }
        if (nf != 6) {
            trace__fail(src, "%s:%llu: found %u fields, expected 6 (%s,%s,%s,%s,%s,%s)", path,
                        (unsigned long long)line, nf, names[0], names[1], names[2], names[3],
                        names[4], names[5]);
            return -1;
        }
        double v[6] = {0};
        for (int i = 0; i < 6; i++) {
            if (i == 3)
                continue;
            if (field_num(f[i], fl[i], &v[i]) != 0) {
                trace__fail(src, "%s:%llu: found %s \"%.*s\", expected a number", path,
                            (unsigned long long)line, names[i], (int)(fl[i] > 40 ? 40 : fl[i]),
                            f[i]);
                return -1;
            }
        }
        struct sg_window w = {.start_s = v[0], .line = line};
        double rate = v[1], cv = v[2];
        if (fl[3] == 0)
            w.pattern = SG_IDLE;
        else if (fl[3] == 5 && memcmp(f[3], "Gamma", 5) == 0)
            w.pattern = SG_GAMMA;
        else if (fl[3] == 7 && memcmp(f[3], "Weibull", 7) == 0)
            w.pattern = SG_WEIBULL;
        else {
            trace__fail(src, "%s:%llu: found pattern \"%.*s\", expected Gamma, Weibull or empty",
                        path, (unsigned long long)line, (int)(fl[3] > 40 ? 40 : fl[3]), f[3]);
            return -1;
        }
        if (!(w.start_s >= 0) || (sg->nw && !(w.start_s > sg->w[sg->nw - 1].start_s))) {
            trace__fail(src, "%s:%llu: found window_start_s %g, expected %s", path,
                        (unsigned long long)line, w.start_s,
                        sg->nw ? "a start after the previous window's" : "a time >= 0");
            return -1;
        }
        if (!(rate >= 0)) {
            trace__fail(src, "%s:%llu: found rate %g, expected a rate >= 0", path,
                        (unsigned long long)line, rate);
            return -1;
        }
        if (w.pattern == SG_IDLE && rate > 0) {
            trace__fail(src, "%s:%llu: found rate %g with no pattern, expected rate 0 (idle)", path,
                        (unsigned long long)line, rate);
            return -1;
        }
        if (w.pattern != SG_IDLE && rate > 0) {
            if (!(cv > 0)) {
                trace__fail(src, "%s:%llu: found cv %g, expected a CV > 0 for rate %g", path,
                            (unsigned long long)line, cv, rate);
                return -1;
            }
            if (w.pattern == SG_GAMMA) {
                w.shape = 1.0 / (cv * cv);
                w.scale = 1.0 / (rate * w.shape);
            } else {
                w.shape = trace__weibull_shape_for_cv(cv);
                if (!(w.shape > 0)) {
                    double cv_lo, cv_hi;
                    trace__weibull_cv_range(&cv_lo, &cv_hi);
                    trace__fail(src,
                                "%s:%llu: found cv %g, expected a CV in [%.4g, %.4g] for Weibull",
                                path, (unsigned long long)line, cv, cv_lo, cv_hi);
                    return -1;
                }
                w.scale = 1.0 / (rate * exp(gsl_sf_lngamma(1.0 + 1.0 / w.shape)));
            }
        } else {
            w.pattern = SG_IDLE;
        }
        if (sg->nw == cap) {
            uint32_t c = cap ? cap * 2 : 256;
            struct sg_window *nwp = realloc(sg->w, (size_t)c * sizeof *nwp);
            if (!nwp) {
                trace__fail(src, "%s: out of memory", path);
                return -1;
            }
            sg->w = nwp;
            cap = c;
        }
        if (sg->nw)
            sg->w[sg->nw - 1].end_s = w.start_s;
        w.end_s = w.start_s + SG_WINDOW_S;
        sg->w[sg->nw++] = w;
    }
    if (sg->nw == 0) {
        trace__fail(src, "%s:1: found no windows, expected lines of %s", path,
                    "window_start_s,rate,cv,pattern,p1,p2");
        return -1;
    }
    return 0;
}

/* ---- the dataset JSON ---------------------------------------------------- */

struct jp {
    struct trace_src *src;
    const char *path;
    const char *s;
    size_t len, pos;
};

static void jp_where(const struct jp *j, size_t at, unsigned long long *line,
                     unsigned long long *col)
{
    *line = 1;
    size_t start = 0;
    for (size_t i = 0; i < at && i < j->len; i++) {
        if (j->s[i] == '\n') {
            (*line)++;
            start = i + 1;
        }
    }
    *col = (unsigned long long)(at - start) + 1;
}

/* "path:line:col: found <what at `at`>, expected <expected>". */
static int jp_fail(const struct jp *j, size_t at, const char *expected)
{
    unsigned long long line, col;
    jp_where(j, at, &line, &col);
    if (at >= j->len)
        trace__fail(j->src, "%s:%llu:%llu: found the end of the file, expected %s", j->path, line,
                    col, expected);
    else
        trace__fail(j->src, "%s:%llu:%llu: found '%c' (byte %zu), expected %s", j->path, line, col,
                    (unsigned char)j->s[at] >= 0x20 && (unsigned char)j->s[at] < 0x7f ? j->s[at]
                                                                                      : '?',
                    at, expected);
    return -1;
}

static void jp_ws(struct jp *j)
{
    while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
                               j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
        j->pos++;
}

static int jp_char(struct jp *j, char c, const char *expected)
{
    jp_ws(j);
    if (j->pos >= j->len || j->s[j->pos] != c)
        return jp_fail(j, j->pos, expected);
    j->pos++;
    return 0;
}

/* A JSON string without escapes: its content span. */
static int jp_string(struct jp *j, size_t *off, size_t *len, const char *expected)
{
    jp_ws(j);
    if (j->pos >= j->len || j->s[j->pos] != '"')
        return jp_fail(j, j->pos, expected);
    size_t start = ++j->pos;
    while (j->pos < j->len && j->s[j->pos] != '"') {
        unsigned char c = (unsigned char)j->s[j->pos];
        if (c == '\\')
            return jp_fail(j, j->pos, "plain text (no escape sequences in a ServeGen string)");
        if (c < 0x20)
            return jp_fail(j, j->pos, "the end of the string");
        j->pos++;
    }
    if (j->pos >= j->len)
        return jp_fail(j, j->pos, "the end of the string ('\"')");
    *off = start;
    *len = j->pos - start;
    j->pos++;
    return 0;
}

/*
 * A Python dict literal of numbers "{v: p, v: p, ...}" at text[off, off+len).
 * With values/weights NULL it only validates and counts; otherwise fills them
 * (n entries).  *n = number of entries, *sum = sum of the probabilities.
 */
static int pmf_parse(const struct jp *j, size_t off, size_t len, double *values, double *weights,
                     uint32_t *n, double *sum)
{
    double total = 0;
    const char *s = j->s;
    size_t p = off, end = off + len;
    uint32_t k = 0;
#define PMF_WS()                                                                                   \
    while (p < end && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))               \
    p++
    PMF_WS();
    if (p >= end || s[p] != '{')
        return jp_fail(j, p, "'{' opening a Python dict literal {value: probability, ...}");
    p++;
    PMF_WS();
    if (p < end && s[p] == '}') {
        p++;
    } else {
        for (;;) {
            double kv[2];
            for (int part = 0; part < 2; part++) {
                PMF_WS();
                char tmp[64];
                size_t q = p;
                while (q < end && q - p < sizeof tmp - 1 &&
                       (s[q] == '-' || s[q] == '+' || s[q] == '.' || s[q] == 'e' || s[q] == 'E' ||
                        (s[q] >= '0' && s[q] <= '9')))
                    q++;
                memcpy(tmp, s + p, q - p);
                tmp[q - p] = '\0';
                char *e;
                kv[part] = strtod(tmp, &e);
                if (q == p || *e != '\0' || !isfinite(kv[part]))
                    return jp_fail(j, p, part ? "a probability" : "a value (a number)");
                if (part == 1 && !(kv[1] >= 0))
                    return jp_fail(j, p, "a probability >= 0");
                p = q;
                PMF_WS();
                if (part == 0) {
                    if (p >= end || s[p] != ':')
                        return jp_fail(j, p, "':' after the value");
                    p++;
                }
            }
            if (values) {
                values[k] = kv[0];
                weights[k] = kv[1];
            }
            total += kv[1];
            if (k == UINT32_MAX)
                return jp_fail(j, p, "fewer entries");
            k++;
            if (p < end && s[p] == ',') {
                p++;
                PMF_WS();
                if (p < end && s[p] == '}') { /* a trailing comma */
                    p++;
                    break;
                }
                continue;
            }
            if (p < end && s[p] == '}') {
                p++;
                break;
            }
            return jp_fail(j, p, "',' or '}' in the Python dict literal");
        }
    }
    PMF_WS();
    if (p != end)
        return jp_fail(j, p, "the end of the string after '}'");
#undef PMF_WS
    *n = k;
    *sum = total;
    return 0;
}

static int parse_dataset(struct trace_src *src, struct trace_servegen *sg)
{
    struct jp j = {.src = src, .path = sg->ds_path, .s = sg->text, .len = sg->text_len};
    uint32_t cap = 0;
    if (jp_char(&j, '{', "'{' opening the dataset object") != 0)
        return -1;
    jp_ws(&j);
    int empty_obj = j.pos < j.len && j.s[j.pos] == '}';
    if (empty_obj)
        j.pos++;
    while (!empty_obj) {
        struct sg_set set;
        memset(&set, 0, sizeof set);
        size_t koff, klen;
        if (jp_string(&j, &koff, &klen, "a window start (a string of seconds)") != 0)
            return -1;
        double key;
        if (field_num(j.s + koff, klen, &key) != 0 || !(key >= 0))
            return jp_fail(&j, koff, "a window start in seconds >= 0");
        set.key_s = key;
        set.key_off = koff;
        for (uint32_t i = 0; i < sg->nsets; i++)
            if (sg->sets[i].key_s == key)
                return jp_fail(&j, koff, "a window start not seen before");
        if (jp_char(&j, ':', "':' after the window start") != 0 ||
            jp_char(&j, '{', "'{' opening the window's fields") != 0)
            return -1;
        jp_ws(&j);
        int empty_fields = j.pos < j.len && j.s[j.pos] == '}';
        if (empty_fields)
            j.pos++;
        while (!empty_fields) {
            size_t foff, flen, voff, vlen;
            if (jp_string(&j, &foff, &flen, "a field name") != 0 ||
                jp_char(&j, ':', "':' after the field name") != 0 ||
                jp_string(&j, &voff, &vlen, "a string holding a Python dict literal") != 0)
                return -1;
            struct sg_span *dst = NULL;
            if (flen == 12 && memcmp(j.s + foff, "input_tokens", 12) == 0)
                dst = &set.in;
            else if (flen == 13 && memcmp(j.s + foff, "output_tokens", 13) == 0)
                dst = &set.out;
            for (int p = 0; p < SG_PARTS && !dst; p++)
                if (flen == strlen(sg_part_names[p]) &&
                    memcmp(j.s + foff, sg_part_names[p], flen) == 0)
                    dst = &set.part[p];
            if (dst) {
                uint32_t n;
                double sum;
                if (pmf_parse(&j, voff, vlen, NULL, NULL, &n, &sum) != 0)
                    return -1;
                dst->off = voff;
                /* "{}", or all probabilities 0: as good as absent. */
                dst->len = n && sum > 0 ? vlen : 0;
            }
            jp_ws(&j);
            if (j.pos < j.len && j.s[j.pos] == ',') {
                j.pos++;
                continue;
            }
            if (jp_char(&j, '}', "',' or '}' after a field") != 0)
                return -1;
            break;
        }
        int parts = 0;
        for (int p = 0; p < SG_PARTS; p++)
            parts += set.part[p].len > 0;
        set.usable = set.out.len > 0 && (set.in.len > 0 || parts > 0);
        if (sg->nsets == cap) {
            uint32_t c = cap ? cap * 2 : 64;
            struct sg_set *ns = realloc(sg->sets, (size_t)c * sizeof *ns);
            if (!ns) {
                trace__fail(src, "%s: out of memory", sg->ds_path);
                return -1;
            }
            sg->sets = ns;
            cap = c;
        }
        sg->sets[sg->nsets++] = set;
        jp_ws(&j);
        if (j.pos < j.len && j.s[j.pos] == ',') {
            j.pos++;
            continue;
        }
        if (jp_char(&j, '}', "',' or '}' after a window") != 0)
            return -1;
        break;
    }
    jp_ws(&j);
    if (j.pos != j.len)
        return jp_fail(&j, j.pos, "the end of the file after the dataset object");
    /* Sets in order of their window start (insertion sort: a few dozen). */
    for (uint32_t i = 1; i < sg->nsets; i++) {
        struct sg_set x = sg->sets[i];
        uint32_t k = i;
        while (k > 0 && sg->sets[k - 1].key_s > x.key_s) {
            sg->sets[k] = sg->sets[k - 1];
            k--;
        }
        sg->sets[k] = x;
    }
    int any = 0;
    for (uint32_t i = 0; i < sg->nsets; i++)
        any |= sg->sets[i].usable;
    int active = 0;
    for (uint32_t i = 0; i < sg->nw; i++)
        active |= sg->w[i].pattern != SG_IDLE;
    if (active && !any) {
        trace__fail(src,
                    "%s:1: found no window with non-empty input_tokens and output_tokens, "
                    "expected at least one for the trace's active windows",
                    sg->ds_path);
        return -1;
    }
    return 0;
}

/* Build one PMF span into an empirical distribution. */
static int build_dist(struct trace_src *src, struct trace_servegen *sg, const struct sg_span *sp,
                      struct dist *d)
{
    struct jp j = {.src = src, .path = sg->ds_path, .s = sg->text, .len = sg->text_len};
    uint32_t n;
    double sum;
    if (pmf_parse(&j, sp->off, sp->len, NULL, NULL, &n, &sum) != 0)
        return -1;
    double *vals = malloc((size_t)n * sizeof *vals);
    double *wts = malloc((size_t)n * sizeof *wts);
    int rc = -1;
    if (vals && wts && pmf_parse(&j, sp->off, sp->len, vals, wts, &n, &sum) == 0) {
        char err[200];
        rc = dist_empirical(d, vals, wts, n, err, sizeof err);
        if (rc != 0) {
            unsigned long long line, col;
            jp_where(&j, sp->off, &line, &col);
            trace__fail(src, "%s:%llu:%llu: %s", sg->ds_path, line, col, err);
        }
    } else if (!vals || !wts) {
        trace__fail(src, "%s: out of memory", sg->ds_path);
    }
    free(vals);
    free(wts);
    return rc;
}

static void free_dists(struct trace_servegen *sg)
{
    if (!sg->have_dists)
        return;
    dist_fini(&sg->in);
    dist_fini(&sg->out);
    for (int p = 0; p < sg->n_in_parts; p++)
        dist_fini(&sg->part[p]);
    sg->have_dists = 0;
    sg->n_in_parts = 0;
    sg->cur = 0;
}

/* Make the dists those of set i (0-based). */
static int use_set(struct trace_src *src, struct trace_servegen *sg, uint32_t i)
{
    if (sg->cur == i + 1)
        return 0;
    free_dists(sg);
    const struct sg_set *set = &sg->sets[i];
    dist_constant(&sg->in, 0);
    if (build_dist(src, sg, &set->out, &sg->out) != 0)
        return -1;
    sg->have_dists = 1; /* `in` (constant) and `out` are valid from here */
    if (set->in.len) {
        if (build_dist(src, sg, &set->in, &sg->in) != 0)
            return -1;
    } else {
        for (int p = 0; p < SG_PARTS; p++) {
            if (!set->part[p].len)
                continue;
            if (build_dist(src, sg, &set->part[p], &sg->part[sg->n_in_parts]) != 0)
                return -1;
            sg->n_in_parts++;
        }
    }
    sg->cur = i + 1;
    return 0;
}

/* The set for trace time t: the latest usable set with key <= t, else the
 * earliest usable one. */
static uint32_t set_for(struct trace_servegen *sg, double t)
{
    while (sg->probe + 1 < sg->nsets && sg->sets[sg->probe + 1].key_s <= t)
        sg->probe++;
    for (uint32_t i = sg->probe + 1; i-- > 0;)
        if (sg->sets[i].usable && sg->sets[i].key_s <= t)
            return i;
    for (uint32_t i = 0; i < sg->nsets; i++)
        if (sg->sets[i].usable)
            return i;
    return 0; /* not reached: parse_dataset checked one exists */
}

/* ---- open / next / close ------------------------------------------------- */

int trace__servegen_open(struct trace_src *src, const char *path, uint64_t seed)
{
    struct trace_servegen *sg = calloc(1, sizeof *sg);
    if (!sg) {
        trace__fail(src, "%s: out of memory", path);
        return -1;
    }
    src->sg = sg;
    src->format = TRACE_SERVEGEN;
    sg->ds_path = dataset_path(path);
    if (!sg->ds_path) {
        trace__fail(src,
                    "%s: found a file name without \"trace.csv\", expected a ServeGen "
                    "chunk-N-trace.csv with its chunk-N-dataset.json beside it",
                    path);
        return -1;
    }
    char *csv;
    size_t csv_len;
    if (slurp(src, path, &csv, &csv_len) != 0)
        return -1;
    int rc = parse_trace(src, sg, path, csv, csv_len);
    free(csv);
    if (rc != 0)
        return -1;
    if (slurp(src, sg->ds_path, &sg->text, &sg->text_len) != 0 || parse_dataset(src, sg) != 0)
        return -1;
    rng_stream(&sg->arrivals, seed, RNG_ARRIVALS);
    rng_stream(&sg->sizes, seed, RNG_SIZES);
    return 0;
}

static int64_t round_tokens(double x)
{
    if (!(x > 0))
        return 0;
    if (x > MAX_TOKENS)
        return (int64_t)MAX_TOKENS;
    return llround(x);
}

int trace__servegen_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_servegen *sg = src->sg;
    if (sg->done)
        return 0;
    const struct sg_window *w;
    for (;;) {
        if (sg->wi >= sg->nw) {
            sg->done = 1;
            return 0;
        }
        w = &sg->w[sg->wi];
        if (!sg->in_window) {
            if (w->pattern == SG_IDLE) {
                sg->wi++;
                continue;
            }
            sg->in_window = 1;
            sg->started = 0;
            sg->t_s = w->start_s;
        }
        sg->t_s += renewal_gap(sg, w);
        if (sg->t_s < w->end_s)
            break;
        sg->in_window = 0;
        sg->wi++;
    }
    int64_t arrival;
    if (!(sg->t_s < S_HORIZON) || trace__scale_ns(src, llround(sg->t_s * 1e9), &arrival) != 0) {
        sg->done = 1;
        return 0;
    }
    if (use_set(src, sg, set_for(sg, sg->t_s)) != 0) {
        sg->done = 1;
        return -1;
    }
    struct trace_rec r = {0};
    r.arrival_ns = arrival;
    r.line = w->line;
    double in = 0;
    if (sg->n_in_parts == 0)
        in = dist_sample(&sg->in, &sg->sizes);
    for (int p = 0; p < sg->n_in_parts; p++)
        in += dist_sample(&sg->part[p], &sg->sizes);
    r.input_tokens = round_tokens(in);
    r.output_tokens = round_tokens(dist_sample(&sg->out, &sg->sizes));
    *out = r;
    return 1;
}

void trace__servegen_close(struct trace_servegen *sg)
{
    free_dists(sg);
    free(sg->w);
    free(sg->sets);
    free(sg->text);
    free(sg->ds_path);
    free(sg);
}
