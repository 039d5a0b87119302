/*
 * reqlog.c - the per-request CSV of `lbsim run --requests FILE` (see
 * reqlog.h; columns: docs/requests-csv.md).
 *
 * Each part compresses its rows while its run streams them (one zstd frame
 * or one gzip member per part; part 0 starts with the header), and
 * reqlog_finish concatenates the parts' bytes in strategy order: zstd and
 * gzip both define a file of concatenated frames/members as one stream
 * (RFC 8878 section 3.1, RFC 1952 section 2.2), so all three files
 * decompress to the same bytes.  Rows are built by hand in a large buffer:
 * integers by a digit loop, seconds from integer nanoseconds, dollars as
 * "%.9g" (fmt_g9), never through the locale or stdio per field.
 */
#include "reqlog.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "outdir.h"
#include "scn.h"

/* Row buffer of a part: rows are appended here and handed to the writer
   (compressor or file) when fewer than REQLOG_ROW_ROOM bytes are left
   (an assumption: 256 KiB holds ~2,000 rows of ~120 bytes, so the
   compressor sees large blocks and is called rarely). */
#define REQLOG_BUF_BYTES (1u << 18)
/* Room kept for one row before it is built; a longer row (long names)
   flushes the buffer field by field in put(). */
#define REQLOG_ROW_ROOM 4096u
/* Copy chunk when concatenating parts. */
#define REQLOG_COPY_BYTES (1u << 20)
/* gzip (deflate) level 1: on a 10^6-row file (116 MB) gzip -1 took 1.3 s
   CPU for 36.8 MB, gzip -6 (zlib's default) 4.0 s for 31.3 MB (measured,
   docs/requests-csv.md): 3x faster for 17% more bytes. */
#define REQLOG_GZ_LEVEL 1
/* zlib windowBits for a gzip wrapper: 15 (32 KiB window) + 16 (zlib.h
   deflateInit2). */
#define REQLOG_GZ_WBITS (15 + 16)
/* zstd level 1, libzstd's fastest regular level: measured on the same
   file (docs/requests-csv.md "Cost"), level 1 keeps the writer under
   1 microsecond of CPU per row where level 3 (zstd's default) does not. */
#define REQLOG_ZSTD_LEVEL 1
/* First size of a part's in-flight table (slots, a power of two). */
#define REQLOG_MAP_MIN 1024u

enum reqlog_fmt { REQLOG_CSV, REQLOG_GZ, REQLOG_ZST };

static const struct {
    const char *ext;
    enum reqlog_fmt fmt;
} exts[] = {{".csv.gz", REQLOG_GZ}, {".csv.zst", REQLOG_ZST}, {".csv", REQLOG_CSV}};

/* The backends tried by one request in flight (on_attempt, attempt order). */
struct tried {
    uint64_t id;
    bool used;
    uint32_t n, cap;
    int32_t *b;
};

/* A name as a CSV field (quoted when it must be), built once. */
struct field {
    char *s;
    size_t n;
};

struct part {
    struct reqlog *log;
    struct field strategy;
    char *path;
    FILE *f;
    char *buf; /* the rows not yet handed to the writer: buf[0..n) */
    size_t n;
    char *out; /* compressed bytes (GZ, ZST) */
    size_t out_cap;
    ZSTD_CCtx *zctx; /* ZST */
    z_stream zs;     /* GZ */
    bool zs_open;
    struct tried *map; /* open addressing, linear probing, cap a power of two */
    uint32_t map_cap, map_n;
    uint64_t rows;
    bool failed; /* a write or an allocation failed: reqlog_finish reports it */
};

struct reqlog {
    const struct scenario *scn;
    enum reqlog_fmt fmt;
    char *path; /* FILE */
    char *tmp;  /* FILE's hidden temporary name */
    struct part *parts;
    uint32_t n;
    struct field *backend; /* scn->backends[i].name as fields */
    const char **guarded;  /* the temporary names a signal removes (outdir_guard) */
    uint32_t n_guarded;
};

static const char *const header =
    "id,strategy,arrival_s,tenant,model_group,task,priority,region,status,attempts,"
    "backends_tried,final_backend,queue_wait_s,ttft_s,e2e_s,input_tokens,output_tokens,"
    "cost_usd,cache_hit,fallback,hedged,escalated,measured\n";

/* DIR/.BASE<suffix> for FILE = DIR/BASE. */
static char *hidden_name(const char *path, const char *suffix)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path + 1) : 0;
    size_t len = strlen(path) + strlen(suffix) + 2;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%.*s.%s%s", (int)dir, path, path + dir, suffix);
    return s;
}

/* s as a CSV field: quoted (RFC 4180) when it holds a comma, quote or
   newline.  0, or -1 out of memory. */
static int make_field(struct field *f, const char *s)
{
    size_t len = strlen(s), q = 0;
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    for (const char *c = s; quote && *c; c++)
        q += *c == '"';
    f->n = quote ? len + q + 2 : len;
    f->s = malloc(f->n + 1);
    if (f->s == NULL)
        return -1;
    char *o = f->s;
    if (quote)
        *o++ = '"';
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            *o++ = '"';
        *o++ = *c;
    }
    if (quote)
        *o++ = '"';
    *o = '\0';
    return 0;
}
static int check_path(const char *path, enum reqlog_fmt *fmt, char *err, size_t errlen)
{
    size_t len = strlen(path);
    bool found = false;
    for (size_t k = 0; k < sizeof exts / sizeof exts[0] && !found; k++) {
        size_t el = strlen(exts[k].ext);
        if (len > el && strcmp(path + len - el, exts[k].ext) == 0) {
            *fmt = exts[k].fmt;
            found = true;
        }
    }
    if (!found) {
        snprintf(err, errlen,
                 "--requests %s: found no accepted extension, expected .csv, .csv.gz or .csv.zst",
                 path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--requests %s: directory '%s' does not exist", path, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "--requests %s: directory '%s' is not writable", path, dir);
        return -1;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--requests %s: is a directory, expected a file name", path);
        return -1;
    }
    return 0;
}

static void free_part(struct part *p, bool remove_file)
{
    if (p->f != NULL)
        fclose(p->f);
    p->f = NULL;
    if (remove_file && p->path != NULL)
        unlink(p->path);
    free(p->path);
    p->path = NULL;
    free(p->buf);
    p->buf = NULL;
    free(p->out);
    p->out = NULL;
    ZSTD_freeCCtx(p->zctx);
    p->zctx = NULL;
    if (p->zs_open)
        deflateEnd(&p->zs);
    p->zs_open = false;
    free(p->strategy.s);
    p->strategy.s = NULL;
    if (p->map != NULL)
        for (uint32_t k = 0; k < p->map_cap; k++)
            free(p->map[k].b);
    free(p->map);
    p->map = NULL;
}

static void free_log(struct reqlog *l)
{
    if (l->parts != NULL)
        for (uint32_t i = 0; i < l->n; i++)
            free_part(&l->parts[i], true);
    if (l->tmp != NULL)
        unlink(l->tmp);
    if (l->guarded != NULL)
        outdir_unguard(); /* every name is removed: a signal has nothing left to do */
    free(l->guarded);
    if (l->backend != NULL)
        for (size_t b = 0; b < l->scn->n_backends; b++)
            free(l->backend[b].s);
    free(l->backend);
    free(l->parts);
    free(l->path);
    free(l->tmp);
    free(l);
}

/* The writer of part p: a zstd context or a deflate stream (gzip
   wrapper) and their output buffer.  0, or -1 out of memory. */
static int part_writer(struct part *p, enum reqlog_fmt fmt)
{
    if (fmt == REQLOG_ZST) {
        p->zctx = ZSTD_createCCtx();
        p->out_cap = ZSTD_CStreamOutSize();
        if (p->zctx == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(p->zctx, ZSTD_c_compressionLevel,
                                                                   REQLOG_ZSTD_LEVEL)))
            return -1;
    } else if (fmt == REQLOG_GZ) {
        if (deflateInit2(&p->zs, REQLOG_GZ_LEVEL, Z_DEFLATED, REQLOG_GZ_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        p->zs_open = true;
        p->out_cap = REQLOG_COPY_BYTES;
    } else {
        return 0;
    }
    p->out = malloc(p->out_cap);
    return p->out != NULL ? 0 : -1;
}

struct reqlog *reqlog_open(const char *path, const struct scenario *scn, uint32_t n_parts,
                           char *err, size_t errlen)
{
    enum reqlog_fmt fmt;
    if (check_path(path, &fmt, err, errlen) != 0)
        return NULL;
    struct reqlog *l = calloc(1, sizeof *l);
    if (l == NULL)
        goto oom;
    l->scn = scn;
    l->fmt = fmt;
    l->n = n_parts ? n_parts : 1; /* part 0 carries the header */
    char sfx[64];
    snprintf(sfx, sizeof sfx, ".tmp.%ld", (long)getpid());
    l->path = strdup(path);
    l->tmp = hidden_name(path, sfx);
    l->parts = calloc(l->n, sizeof *l->parts);
    l->backend = calloc(scn->n_backends ? scn->n_backends : 1, sizeof *l->backend);
    l->guarded = calloc(l->n + 1, sizeof *l->guarded);
    if (l->path == NULL || l->tmp == NULL || l->parts == NULL || l->backend == NULL ||
        l->guarded == NULL)
        goto oom;
    for (size_t b = 0; b < scn->n_backends; b++)
        if (make_field(&l->backend[b], scn->backends[b].name) != 0)
            goto oom;
    for (uint32_t i = 0; i < l->n; i++) {
        struct part *p = &l->parts[i];
        p->log = l;
        snprintf(sfx, sizeof sfx, ".part%u.%ld", i, (long)getpid());
        p->path = hidden_name(path, sfx);
        p->buf = malloc(REQLOG_BUF_BYTES);
        p->map_cap = REQLOG_MAP_MIN;
        p->map = calloc(p->map_cap, sizeof *p->map);
        if (p->path == NULL || p->buf == NULL || p->map == NULL || part_writer(p, fmt) != 0 ||
            make_field(&p->strategy, "") != 0)
            goto oom;
        l->guarded[l->n_guarded++] = p->path;
    }
    l->guarded[l->n_guarded++] = l->tmp;
    /* from here on a SIGINT or SIGTERM removes the parts and the temporary
       before it ends the process (docs/requests-csv.md) */
    outdir_guard(l->guarded, l->n_guarded);
    for (uint32_t i = 0; i < l->n; i++) {
        struct part *p = &l->parts[i];
        p->f = fopen(p->path, "wb");
        if (p->f == NULL) {
            snprintf(err, errlen, "--requests %s: cannot create '%s': %s", path, p->path,
                     strerror(errno));
            free_log(l);
            return NULL;
        }
        setvbuf(p->f, NULL, _IONBF, 0); /* writes are large blocks already */
    }
    memcpy(l->parts[0].buf, header, strlen(header));
    l->parts[0].n = strlen(header);
    return l;
oom:
    snprintf(err, errlen, "out of memory (--requests)");
    if (l != NULL)
        free_log(l);
    return NULL;
}

void *reqlog_part(struct reqlog *l, uint32_t i, const char *strategy)
{
    struct part *p = &l->parts[i];
    free(p->strategy.s);
    p->strategy.s = NULL;
    if (make_field(&p->strategy, strategy) != 0)
        p->failed = true; /* reported by reqlog_finish */
    return p;
}

/* ---- the backends tried by the requests in flight ------------------- */

static uint32_t slot_of(const struct part *p, uint64_t id)
{
    uint64_t h = id * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return (uint32_t)(h >> 32) & (p->map_cap - 1);
}

static struct tried *map_find(const struct part *p, uint64_t id)
{
    for (uint32_t k = slot_of(p, id);; k = (k + 1) & (p->map_cap - 1)) {
        if (!p->map[k].used)
            return NULL;
        if (p->map[k].id == id)
            return &p->map[k];
    }
}

static void map_put(struct tried *map, uint32_t cap, const struct tried *e)
{
    uint64_t h = e->id * 0x9E3779B97F4A7C15ull;
    uint32_t k = (uint32_t)(h >> 32) & (cap - 1);
    while (map[k].used)
        k = (k + 1) & (cap - 1);
    map[k] = *e;
}

static struct tried *map_add(struct part *p, uint64_t id)
{
    if ((p->map_n + 1) * 2 > p->map_cap) {
        uint32_t cap = p->map_cap * 2;
        struct tried *m = calloc(cap, sizeof *m);
        if (m == NULL)
            return NULL;
        uint32_t old = p->map_cap;
        for (uint32_t k = 0; k < old; k++)
            if (p->map[k].used)
                map_put(m, cap, &p->map[k]);
        free(p->map);
        p->map = m;
        p->map_cap = cap;
    }
    uint32_t k = slot_of(p, id);
    while (p->map[k].used)
        k = (k + 1) & (p->map_cap - 1);
    p->map[k] = (struct tried){.id = id, .used = true};
    p->map_n++;
    return &p->map[k];
}

/* Remove e, shifting back the entries of its probe run (no tombstones). */
static void map_del(struct part *p, struct tried *e)
{
    uint32_t mask = p->map_cap - 1;
    uint32_t i = (uint32_t)(e - p->map);
    free(e->b);
    p->map[i] = (struct tried){0};
    p->map_n--;
    for (uint32_t j = (i + 1) & mask; p->map[j].used; j = (j + 1) & mask) {
        uint32_t home = slot_of(p, p->map[j].id);
        /* j's entry may move to i if its home is not in (i, j] cyclically */
        bool stay = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stay)
            continue;
        p->map[i] = p->map[j];
        p->map[j] = (struct tried){0};
        i = j;
    }
}

void reqlog_on_attempt(void *part, const struct sim_attempt_record *rec)
{
    struct part *p = part;
    if (rec->backend < 0)
        return;
    struct tried *e = map_find(p, rec->req_id);
    if (e == NULL && (e = map_add(p, rec->req_id)) == NULL) {
        p->failed = true;
        return;
    }
    if (e->n == e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 4;
        int32_t *b = realloc(e->b, cap * sizeof *b);
        if (b == NULL) {
            p->failed = true;
            return;
        }
        e->b = b;
        e->cap = cap;
    }
    e->b[e->n++] = rec->backend;
}

/* ---- the writer of a part --------------------------------------------- */

/* Hand buf[0..n) to the part's writer; with end, close its frame/member.
   A failure marks the part (reqlog_finish reports it) and drops the rows. */
static void part_flush(struct part *p, bool end)
{
    size_t n = p->n;
    p->n = 0;
    if (p->failed)
        return;
    if (p->zctx != NULL) {
        ZSTD_inBuffer in = {p->buf, n, 0};
        ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
        for (;;) {
            ZSTD_outBuffer out = {p->out, p->out_cap, 0};
            size_t left = ZSTD_compressStream2(p->zctx, &out, &in, mode);
            if (ZSTD_isError(left) ||
                (out.pos > 0 && fwrite(p->out, 1, out.pos, p->f) != out.pos)) {
                p->failed = true;
                return;
            }
            if (end ? left == 0 : in.pos == in.size)
                return;
        }
    }
    if (p->zs_open) {
        p->zs.next_in = (Bytef *)p->buf;
        p->zs.avail_in = (uInt)n;
        for (;;) {
            p->zs.next_out = (Bytef *)p->out;
            p->zs.avail_out = (uInt)p->out_cap;
            int zrc = deflate(&p->zs, end ? Z_FINISH : Z_NO_FLUSH);
            size_t got = p->out_cap - p->zs.avail_out;
            if (zrc == Z_STREAM_ERROR || (got > 0 && fwrite(p->out, 1, got, p->f) != got)) {
                p->failed = true;
                return;
            }
            if (end ? zrc == Z_STREAM_END : p->zs.avail_in == 0 && p->zs.avail_out > 0)
                return;
        }
    }
    if (n > 0 && fwrite(p->buf, 1, n, p->f) != n)
        p->failed = true;
}

/* ---- rows ------------------------------------------------------------ */

/* Two decimal digits of 0..99, by value. */
static const char digits2[] = "00010203040506070809"
                              "10111213141516171819"
                              "20212223242526272829"
                              "30313233343536373839"
                              "40414243444546474849"
                              "50515253545556575859"
                              "60616263646566676869"
                              "70717273747576777879"
                              "80818283848586878889"
                              "90919293949596979899";

static void put(struct part *p, const char *s, size_t n)
{
    if (p->n + n > REQLOG_BUF_BYTES) {
        part_flush(p, false);
        while (n > REQLOG_BUF_BYTES) { /* a field longer than the buffer */
            memcpy(p->buf, s, REQLOG_BUF_BYTES);
            p->n = REQLOG_BUF_BYTES;
            part_flush(p, false);
            s += REQLOG_BUF_BYTES;
            n -= REQLOG_BUF_BYTES;
        }
    }
    memcpy(p->buf + p->n, s, n);
    p->n += n;
}

/* The caller keeps REQLOG_ROW_ROOM bytes free per row: one character or
   one number goes straight in. */
static inline void putch(struct part *p, char c)
{
    if (p->n == REQLOG_BUF_BYTES)
        part_flush(p, false);
    p->buf[p->n++] = c;
}

/* v in decimal into the end of d[0..24): returns the first digit. */
static inline char *fmt_u64(char *end, uint64_t v)
{
    char *d = end;
    while (v >= 100) {
        d -= 2;
        memcpy(d, digits2 + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        d -= 2;
        memcpy(d, digits2 + 2 * v, 2);
    } else {
        *--d = (char)('0' + v);
    }
    return d;
}

static void put_u64(struct part *p, uint64_t v)
{
    char d[24];
    char *s = fmt_u64(d + sizeof d, v);
    put(p, s, (size_t)(d + sizeof d - s));
}

static void put_i64(struct part *p, int64_t v)
{
    if (v < 0) {
        putch(p, '-');
        put_u64(p, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(p, (uint64_t)v);
    }
}

/* A label value as a CSV field, quoted (RFC 4180) when it holds a comma,
   quote or newline. */
static void put_value(struct part *p, const char *s)
{
    size_t n = strcspn(s, ",\"\r\n");
    if (s[n] == '\0') {
        put(p, s, n);
        return;
    }
    putch(p, '"');
    for (; *s; s++) {
        if (*s == '"')
            putch(p, '"');
        putch(p, *s);
    }
    putch(p, '"');
}

/* ",S[.F]" seconds from nanoseconds, exact: the fraction's trailing zeros
   and a bare point are dropped (1500000000 -> "1.5", 2000000000 -> "2");
   "," alone when ns < 0. */
static void put_seconds(struct part *p, int64_t ns)
{
    char d[40];
    char *end = d + 24, *s;
    if (ns < 0) {
        putch(p, ',');
        return;
    }
    uint64_t frac = (uint64_t)ns % 1000000000u;
    if (frac != 0) {
        char f[10];
        f[0] = '.';
        uint64_t v = frac;
        for (int k = 9; k >= 1; k -= 2) { /* 9 digits: four pairs and one */
            if (k == 1) {
                f[1] = (char)('0' + v);
                break;
            }
            memcpy(f + k - 1, digits2 + 2 * (v % 100), 2);
            v /= 100;
        }
        size_t len = 10;
        while (f[len - 1] == '0')
            len--;
        memcpy(end, f, len);
        s = fmt_u64(end, (uint64_t)ns / 1000000000u);
        end += len;
    } else {
        s = fmt_u64(end, (uint64_t)ns / 1000000000u);
    }
    *--s = ',';
    put(p, s, (size_t)(end - s));
}

/* Exact powers of ten a double holds (10^22 is the largest, 5^22 < 2^53). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * v as printf's "%.9g" (C11 7.21.6.1: 9 significant digits, trailing
 * zeros removed, exponent form below 1e-4 or from 1e9), the same bytes,
 * without stdio.  The 9 digits are v * 10^(8-e) rounded to an integer; with
 * 10^(8-e) exact that product is rounded once, an error below 1e-7 on
 * a value near 10^8..10^9, so its nearest integer is the exact one unless
 * the product lies within 1e-6 of a half: then, and for values outside
 * 1e-14..1e9, zero, negatives and non-finite ones, snprintf does it.
 * Returns the length written to d (at least 32 bytes).
 */
static size_t fmt_g9(char *d, double v)
{
    if (v > 0 && v < 1e9 && v >= 1e-14) {
        int e2;
        frexp(v, &e2);
        int e = (int)floor((e2 - 1) * 0.30102999566398120); /* log10(2) */
        for (int tries = 0; tries < 3; tries++) {
            int k = 8 - e;
            if (k < 0 || k > 22)
                break;
            double y = v * pow10_exact[k];
            double fl = floor(y);
            double fr = y - fl;
            if (fabs(fr - 0.5) < 1e-6)
                break;
            uint64_t m = (uint64_t)fl + (fr > 0.5);
            if (m >= 1000000000u) {
                e++;
                continue;
            }
            if (m < 100000000u) {
                e--;
                continue;
            }
            char g[9];
            for (int j = 8; j >= 0; j--, m /= 10)
                g[j] = (char)('0' + m % 10);
            int nd = 9;
            while (g[nd - 1] == '0')
                nd--;
            size_t n = 0;
            if (e < -4) { /* d[.ddd]e-XX */
                d[n++] = g[0];
                if (nd > 1) {
                    d[n++] = '.';
                    memcpy(d + n, g + 1, (size_t)nd - 1);
                    n += (size_t)nd - 1;
                }
                d[n++] = 'e';
                d[n++] = '-';
                d[n++] = (char)('0' + (-e) / 10);
                d[n++] = (char)('0' + (-e) % 10);
            } else if (e < 0) { /* 0.000ddd */
                d[n++] = '0';
                d[n++] = '.';
                for (int z = 0; z < -e - 1; z++)
                    d[n++] = '0';
                memcpy(d + n, g, (size_t)nd);
                n += (size_t)nd;
            } else { /* ddd[.ddd] */
                memcpy(d + n, g, (size_t)e + 1);
                n += (size_t)e + 1;
                if (nd > e + 1) {
                    d[n++] = '.';
                    memcpy(d + n, g + e + 1, (size_t)(nd - e - 1));
                    n += (size_t)(nd - e - 1);
                }
            }
            return n;
        }
    }
    return (size_t)snprintf(d, 32, "%.9g", v);
}

static inline void put_flag(struct part *p, bool v)
{
    char s[2] = {',', v ? '1' : '0'};
    put(p, s, 2);
}

void reqlog_on_request(void *part, const struct sim_req_record *rec)
{
    struct part *p = part;
    const struct reqlog *log = p->log;
    const struct scenario *scn = log->scn;
    struct tried *e = map_find(p, rec->id);
    if (p->n + REQLOG_ROW_ROOM > REQLOG_BUF_BYTES)
        part_flush(p, false);
    put_u64(p, rec->id);
    putch(p, ',');
    put(p, p->strategy.s, p->strategy.n);
    put_seconds(p, rec->arrival_ns);
    for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
        putch(p, ',');
        if (rec->label[k] != NULL)
            put_value(p, rec->label[k]);
    }
    putch(p, ',');
    if (rec->final_status == 0)
        put(p, "unfinished", strlen("unfinished"));
    else
        put_i64(p, rec->final_status);
    putch(p, ',');
    put_u64(p, rec->attempts_total);
    putch(p, ',');
    /* escalated: an attempt went to a larger model than the smallest size
       class (route_backend_cfg.size_class > 0, model_tier's escalation) */
    bool escalated = false;
    for (uint32_t j = 0; e != NULL && j < e->n; j++) {
        if (j > 0)
            putch(p, '|');
        put(p, log->backend[e->b[j]].s, log->backend[e->b[j]].n);
        escalated |= scn->backends[e->b[j]].route.size_class > 0;
    }
    putch(p, ',');
    if (rec->backend >= 0) {
        put(p, log->backend[rec->backend].s, log->backend[rec->backend].n);
        escalated |= scn->backends[rec->backend].route.size_class > 0;
    }
    put_seconds(p, rec->queue_wait_ns);
    put_seconds(p, rec->first_token_ns >= 0 ? rec->first_token_ns - rec->arrival_ns : -1);
    put_seconds(p, rec->done_ns >= 0 ? rec->done_ns - rec->arrival_ns : -1);
    putch(p, ',');
    put_i64(p, rec->input_tokens);
    putch(p, ',');
    put_i64(p, rec->output_tokens);
    char c[40];
    c[0] = ',';
    size_t cn = 1 + fmt_g9(c + 1, rec->cost_usd);
    c[cn++] = ',';
    put(p, c, cn);
    if (rec->cache_hit >= 0)
        putch(p, (char)('0' + rec->cache_hit));
    put_flag(p, rec->fallback);
    put_flag(p, rec->hedged);
    put_flag(p, escalated);
    put_flag(p, rec->measured);
    putch(p, '\n');
    if (e != NULL)
        map_del(p, e);
    p->rows++;
}

uint64_t reqlog_rows(const struct reqlog *l)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < l->n; i++)
        n += l->parts[i].rows;
    return n;
}

/* ---- the final file ---------------------------------------------------- */

int reqlog_finish(struct reqlog *l, char *err, size_t errlen)
{
    int rc = 0;
    for (uint32_t i = 0; i < l->n && rc == 0; i++) {
        struct part *p = &l->parts[i];
        part_flush(p, true); /* the part's last rows and the end of its frame */
        bool bad = p->failed || ferror(p->f);
        if (fclose(p->f) != 0)
            bad = true;
        p->f = NULL;
        if (bad) {
            snprintf(err, errlen,
                     "--requests %s: writing '%s' failed (disk full, or out of memory)", l->path,
                     p->path);
            rc = -1;
        }
    }
    char *chunk = rc == 0 ? malloc(REQLOG_COPY_BYTES) : NULL;
    if (rc == 0 && chunk == NULL) {
        snprintf(err, errlen, "out of memory (--requests)");
        rc = -1;
    }
    if (rc == 0) {
        /* the parts' bytes in strategy order: a CSV, or a stream of zstd
           frames / gzip members */
        FILE *out = fopen(l->tmp, "wb");
        bool ok = out != NULL;
        for (uint32_t i = 0; i < l->n && ok; i++) {
            FILE *in = fopen(l->parts[i].path, "rb");
            ok = in != NULL;
            size_t got;
            while (ok && (got = fread(chunk, 1, REQLOG_COPY_BYTES, in)) > 0)
                ok = fwrite(chunk, 1, got, out) == got;
            if (in != NULL) {
                ok = ok && !ferror(in);
                fclose(in);
            }
            unlink(l->parts[i].path); /* the disk space goes back part by part */
        }
        if (out != NULL) {
            ok = ok && fflush(out) == 0 && fsync(fileno(out)) == 0;
            ok = fclose(out) == 0 && ok;
        }
        if (!ok || rename(l->tmp, l->path) != 0) {
            snprintf(err, errlen, "--requests %s: writing failed: %s", l->path, strerror(errno));
            rc = -1;
        } else {
            l->guarded[l->n_guarded - 1] = NULL; /* renamed: nothing left to remove */
            free(l->tmp);
            l->tmp = NULL;
        }
    }
    free(chunk);
    free_log(l); /* removes what is left of the parts and the temporary */
    return rc;
}

void reqlog_abort(struct reqlog *l)
{
    if (l != NULL)
        free_log(l);
}
