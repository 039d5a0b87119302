/*
 * reqlog.c - the per-request CSV of `lbsim run --requests FILE` (see
 * reqlog.h; columns: docs/requests-csv.md).
 *
 * Parts are plain CSV; the compression happens once, while the parts are
 * concatenated in strategy order, so a .csv.gz is one gzip member and a
 * .csv.zst one zstd frame, and all three files decompress to the same
 * bytes.  Seconds are printed from integer nanoseconds ("%lld.%09lld"),
 * dollars with "%.9g": no locale, no rounding that depends on the thread.
 */
#include "reqlog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "scn.h"

/* stdio buffer of a part: large writes, few syscalls (an assumption: 1 MiB
   holds ~7,000 rows of ~150 bytes). */
#define REQLOG_PART_BUF_BYTES (1u << 20)
/* Copy chunk when concatenating parts. */
#define REQLOG_COPY_BYTES (1u << 20)
/* gzip level 1: on a 10^6-row file (116 MB) gzip -1 took 1.3 s CPU for
   36.8 MB, gzip -6 (zlib's default) 4.0 s for 31.3 MB (measured,
   docs/requests-csv.md): 3x faster for 17% more bytes, so the output does
   not dominate a run. */
#define REQLOG_GZ_LEVEL "wb1"
/* zstd's own default level (zstd.h ZSTD_CLEVEL_DEFAULT). */
#define REQLOG_ZSTD_LEVEL 3
/* First size of a part's in-flight table (slots, a power of two). */
#define REQLOG_MAP_MIN 1024u

enum reqlog_fmt { REQLOG_CSV, REQLOG_GZ, REQLOG_ZST };

static const struct {
    const char *ext;
    enum reqlog_fmt fmt;
} exts[] = {{".csv.gz", REQLOG_GZ}, {".csv.zst", REQLOG_ZST}, {".csv", REQLOG_CSV}};

/* A row is built in a line buffer by hand (integers and nanoseconds as
 * digits, no locale) and written with one fwrite: a few libc calls per
 * row instead of a fprintf per field.  A field longer than the buffer's
 * room flushes it first. */
#define REQLOG_LINE_BYTES 4096u

struct line {
    FILE *f;
    size_t n;
    char b[REQLOG_LINE_BYTES];
};

/* The backends tried by one request in flight (on_attempt, attempt order). */
struct tried {
    uint64_t id;
    bool used;
    uint32_t n, cap;
    int32_t *b;
};

struct part {
    struct reqlog *log;
    const char *strategy;
    char *path;
    FILE *f;
    char *buf;
    struct tried *map; /* open addressing, linear probing, cap a power of two */
    uint32_t map_cap, map_n;
    uint64_t rows;
    bool failed; /* a write or an allocation failed: reqlog_finish reports it */
    struct line line;
};

struct reqlog {
    const struct scenario *scn;
    enum reqlog_fmt fmt;
    char *path; /* FILE */
    char *tmp;  /* FILE's hidden temporary name */
    struct part *parts;
    uint32_t n;
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
    free(l->parts);
    free(l->path);
    free(l->tmp);
    free(l);
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
    l->n = n_parts;
    char sfx[64];
    snprintf(sfx, sizeof sfx, ".tmp.%ld", (long)getpid());
    l->path = strdup(path);
    l->tmp = hidden_name(path, sfx);
    l->parts = calloc(n_parts ? n_parts : 1, sizeof *l->parts);
    if (l->path == NULL || l->tmp == NULL || l->parts == NULL)
        goto oom;
    for (uint32_t i = 0; i < n_parts; i++) {
        struct part *p = &l->parts[i];
        p->log = l;
        snprintf(sfx, sizeof sfx, ".part%u.%ld", i, (long)getpid());
        p->path = hidden_name(path, sfx);
        p->buf = malloc(REQLOG_PART_BUF_BYTES);
        p->map_cap = REQLOG_MAP_MIN;
        p->map = calloc(p->map_cap, sizeof *p->map);
        if (p->path == NULL || p->buf == NULL || p->map == NULL)
            goto oom;
        p->f = fopen(p->path, "wb");
        if (p->f == NULL) {
            snprintf(err, errlen, "--requests %s: cannot create '%s': %s", path, p->path,
                     strerror(errno));
            free_log(l);
            return NULL;
        }
        setvbuf(p->f, p->buf, _IOFBF, REQLOG_PART_BUF_BYTES);
        p->line.f = p->f;
    }
    return l;
oom:
    snprintf(err, errlen, "out of memory (--requests)");
    if (l != NULL)
        free_log(l);
    return NULL;
}

void *reqlog_part(struct reqlog *l, uint32_t i, const char *strategy)
{
    l->parts[i].strategy = strategy;
    return &l->parts[i];
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

/* ---- rows ------------------------------------------------------------ */

static void put(struct line *l, const char *s, size_t n)
{
    if (l->n + n > sizeof l->b) {
        fwrite(l->b, 1, l->n, l->f);
        l->n = 0;
        if (n > sizeof l->b) {
            fwrite(s, 1, n, l->f);
            return;
        }
    }
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void putch(struct line *l, char c)
{
    put(l, &c, 1);
}

static void put_u64(struct line *l, uint64_t v)
{
    char d[24];
    size_t k = sizeof d;
    do
        d[--k] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    put(l, d + k, sizeof d - k);
}

static void put_i64(struct line *l, int64_t v)
{
    if (v < 0) {
        putch(l, '-');
        put_u64(l, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(l, (uint64_t)v);
    }
}

/* A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline. */
static void put_field(struct line *l, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        put(l, s, strlen(s));
        return;
    }
    putch(l, '"');
    for (; *s; s++) {
        if (*s == '"')
            putch(l, '"');
        putch(l, *s);
    }
    putch(l, '"');
}

/* ",S.NNNNNNNNN" seconds from nanoseconds, or "," when ns < 0. */
static void put_seconds(struct line *l, int64_t ns)
{
    putch(l, ',');
    if (ns < 0)
        return;
    put_u64(l, (uint64_t)ns / 1000000000u);
    char d[10] = {'.'};
    uint64_t frac = (uint64_t)ns % 1000000000u;
    for (int k = 9; k >= 1; k--, frac /= 10)
        d[k] = (char)('0' + frac % 10);
    put(l, d, sizeof d);
}

static void put_flag(struct line *l, bool v)
{
    putch(l, ',');
    putch(l, v ? '1' : '0');
}

void reqlog_on_request(void *part, const struct sim_req_record *rec)
{
    struct part *p = part;
    const struct scenario *scn = p->log->scn;
    struct line *l = &p->line;
    struct tried *e = map_find(p, rec->id);
    l->n = 0;
    put_u64(l, rec->id);
    putch(l, ',');
    put_field(l, p->strategy);
    put_seconds(l, rec->arrival_ns);
    for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
        putch(l, ',');
        put_field(l, rec->label[k] ? rec->label[k] : "");
    }
    putch(l, ',');
    if (rec->final_status == 0)
        put(l, "unfinished", strlen("unfinished"));
    else
        put_i64(l, rec->final_status);
    putch(l, ',');
    put_u64(l, rec->attempts_total);
    putch(l, ',');
    /* escalated: an attempt went to a larger model than the smallest size
       class (route_backend_cfg.size_class > 0, model_tier's escalation) */
    bool escalated = false;
    for (uint32_t j = 0; e != NULL && j < e->n; j++) {
        const struct scn_backend *b = &scn->backends[e->b[j]];
        if (j > 0)
            putch(l, '|');
        put_field(l, b->name);
        escalated |= b->route.size_class > 0;
    }
    putch(l, ',');
    if (rec->backend >= 0) {
        put_field(l, scn->backends[rec->backend].name);
        escalated |= scn->backends[rec->backend].route.size_class > 0;
    }
    put_seconds(l, rec->queue_wait_ns);
    put_seconds(l, rec->first_token_ns >= 0 ? rec->first_token_ns - rec->arrival_ns : -1);
    put_seconds(l, rec->done_ns >= 0 ? rec->done_ns - rec->arrival_ns : -1);
    putch(l, ',');
    put_i64(l, rec->input_tokens);
    putch(l, ',');
    put_i64(l, rec->output_tokens);
    char c[40];
    int cn = snprintf(c, sizeof c, ",%.9g,", rec->cost_usd);
    put(l, c, (size_t)cn);
    if (rec->cache_hit >= 0)
        putch(l, (char)('0' + rec->cache_hit));
    put_flag(l, rec->fallback);
    put_flag(l, rec->hedged);
    put_flag(l, escalated);
    put_flag(l, rec->measured);
    putch(l, '\n');
    fwrite(l->b, 1, l->n, l->f);
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

/* One writer over FILE's temporary name, by format. */
struct sink {
    enum reqlog_fmt fmt;
    FILE *f;         /* CSV, ZST */
    gzFile gz;       /* GZ */
    ZSTD_CCtx *zctx; /* ZST */
    void *zout;
    size_t zout_cap;
};

static int sink_open(struct sink *k, const struct reqlog *l)
{
    memset(k, 0, sizeof *k);
    k->fmt = l->fmt;
    if (k->fmt == REQLOG_GZ) {
        k->gz = gzopen(l->tmp, REQLOG_GZ_LEVEL);
        return k->gz ? 0 : -1;
    }
    k->f = fopen(l->tmp, "wb");
    if (k->f == NULL)
        return -1;
    if (k->fmt == REQLOG_ZST) {
        k->zctx = ZSTD_createCCtx();
        k->zout_cap = ZSTD_CStreamOutSize();
        k->zout = malloc(k->zout_cap);
        if (k->zctx == NULL || k->zout == NULL ||
            ZSTD_isError(
                ZSTD_CCtx_setParameter(k->zctx, ZSTD_c_compressionLevel, REQLOG_ZSTD_LEVEL)))
            return -1;
    }
    return 0;
}

static int zst_push(struct sink *k, const void *data, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {data, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {k->zout, k->zout_cap, 0};
        size_t left = ZSTD_compressStream2(k->zctx, &out, &in, mode);
        if (ZSTD_isError(left))
            return -1;
        if (out.pos > 0 && fwrite(k->zout, 1, out.pos, k->f) != out.pos)
            return -1;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return 0;
    }
}

static int sink_write(struct sink *k, const void *data, size_t n)
{
    switch (k->fmt) {
    case REQLOG_GZ:
        return n == 0 || gzwrite(k->gz, data, (unsigned)n) == (int)n ? 0 : -1;
    case REQLOG_ZST:
        return zst_push(k, data, n, ZSTD_e_continue);
    case REQLOG_CSV:
        break;
    }
    return fwrite(data, 1, n, k->f) == n ? 0 : -1;
}

/* Finish the stream; frees the sink.  0, or -1. */
static int sink_close(struct sink *k, bool ok)
{
    int rc = ok ? 0 : -1;
    if (k->fmt == REQLOG_GZ) {
        if (k->gz != NULL && gzclose(k->gz) != Z_OK)
            rc = -1;
        return rc;
    }
    if (k->fmt == REQLOG_ZST && rc == 0 && zst_push(k, NULL, 0, ZSTD_e_end) != 0)
        rc = -1;
    ZSTD_freeCCtx(k->zctx);
    free(k->zout);
    if (k->f != NULL) {
        if (rc == 0 && (fflush(k->f) != 0 || fsync(fileno(k->f)) != 0))
            rc = -1;
        if (fclose(k->f) != 0)
            rc = -1;
    }
    return rc;
}

int reqlog_finish(struct reqlog *l, char *err, size_t errlen)
{
    int rc = 0;
    for (uint32_t i = 0; i < l->n && rc == 0; i++) {
        struct part *p = &l->parts[i];
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
    struct sink k;
    char *chunk = rc == 0 ? malloc(REQLOG_COPY_BYTES) : NULL;
    if (rc == 0 && chunk == NULL) {
        snprintf(err, errlen, "out of memory (--requests)");
        rc = -1;
    }
    if (rc == 0) {
        bool ok = sink_open(&k, l) == 0 && sink_write(&k, header, strlen(header)) == 0;
        for (uint32_t i = 0; i < l->n && ok; i++) {
            FILE *in = fopen(l->parts[i].path, "rb");
            ok = in != NULL;
            size_t got;
            while (ok && (got = fread(chunk, 1, REQLOG_COPY_BYTES, in)) > 0)
                ok = sink_write(&k, chunk, got) == 0;
            if (in != NULL) {
                ok = ok && !ferror(in);
                fclose(in);
            }
            unlink(l->parts[i].path); /* the disk space goes back part by part */
        }
        if (sink_close(&k, ok) != 0 || rename(l->tmp, l->path) != 0) {
            snprintf(err, errlen, "--requests %s: writing failed: %s", l->path, strerror(errno));
            rc = -1;
        } else {
            free(l->tmp); /* renamed: nothing left to remove */
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
