/*
 * trace_mem.c - records kept in memory, column by column: the shared
 * read-only replay of a whole source (trace_mem_*, trace_open_mem) and the
 * first-pass buffer that `repeat_to` replays instead of re-reading the file
 * (trace_xform.c).  See trace.h for the contract.
 *
 * Why: every trial of a run, compare, sweep or plan used to open and parse
 * the same trace (issue 16, "Traces and outputs": CSV parsing was 37% of the
 * quickstart, 4 strategies parsing the Azure trace 4 times), and `repeat_to`
 * re-read the file once per copy.
 *
 * Columns: arrival, input and output tokens and the source line are always
 * stored; session, priority, labels, max_tokens, cache_key, flags and block
 * hashes get a column only from their first non-zero value (earlier rows
 * read 0), so an Azure trace costs 32 bytes a row.  Memory is bounded by a
 * byte cap (TRACE_MEM_CAP_BYTES for the callers of this project): past it
 * the buffer is dropped and the caller streams as before.
 *
 * Bit-identical replay: a replay returns the same records in the same order
 * as the source it was built from, the same labels with the same ids
 * (interned in order), the same sticky error at the same call (a bad row
 * the stream would have reported) and the same trace_skipped() after every
 * call (its changes are recorded by call number).
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "trace_int.h"

enum { COL_I64_ARRIVAL, COL_I64_INPUT, COL_I64_OUTPUT, COL_I64_MAXTOK, COL_I64_N };
enum { COL_U64_LINE, COL_U64_SESSION, COL_U64_CACHE, COL_U64_BLKOFF, COL_U64_N };
enum {
    COL_U32_PRIO,
    COL_U32_FLAGS,
    COL_U32_LABEL0,
    COL_U32_N = COL_U32_LABEL0 + TRACE_LABEL_KINDS_
};

struct trace__recbuf {
    uint64_t n, cap;  /* rows stored, rows allocated */
    size_t cap_bytes; /* the bound on bytes() */
    int64_t *i64[COL_I64_N];
    uint64_t *u64[COL_U64_N]; /* BLKOFF: n + 1 offsets into blocks */
    uint32_t *u32[COL_U32_N];
    uint64_t *blocks;
    uint64_t nblocks, blocks_cap;
};

static size_t rb_bytes(const struct trace__recbuf *b)
{
    size_t w = 0;
    for (int c = 0; c < COL_I64_N; c++)
        w += b->i64[c] ? 8 : 0;
    for (int c = 0; c < COL_U64_N; c++)
        w += b->u64[c] ? 8 : 0;
    for (int c = 0; c < COL_U32_N; c++)
        w += b->u32[c] ? 4 : 0;
    return w * (size_t)(b->cap + 1) + (size_t)b->blocks_cap * 8;
}

static int rb_realloc(void **p, size_t elem, uint64_t cap)
{
    void *q = realloc(*p, elem * (size_t)(cap + 1));
    if (!q)
        return -1;
    *p = q;
    return 0;
}

/* A zeroed column for rows 0..cap (an optional column's first use). */
static int rb_add(void **p, size_t elem, uint64_t cap)
{
    *p = calloc((size_t)(cap + 1), elem);
    return *p ? 0 : -1;
}

void trace__recbuf_free(struct trace__recbuf *b)
{
    if (!b)
        return;
    for (int c = 0; c < COL_I64_N; c++)
        free(b->i64[c]);
    for (int c = 0; c < COL_U64_N; c++)
        free(b->u64[c]);
    for (int c = 0; c < COL_U32_N; c++)
        free(b->u32[c]);
    free(b->blocks);
    free(b);
}

struct trace__recbuf *trace__recbuf_new(size_t cap_bytes)
{
    struct trace__recbuf *b = calloc(1, sizeof *b);
    if (b)
        b->cap_bytes = cap_bytes;
    return b;
}

uint64_t trace__recbuf_rows(const struct trace__recbuf *b)
{
    return b->n;
}

static int rb_grow(struct trace__recbuf *b)
{
    uint64_t cap = b->cap ? b->cap * 2 : 1024;
    for (int c = 0; c < COL_I64_N; c++)
        if (b->i64[c] && rb_realloc((void **)&b->i64[c], 8, cap) != 0)
            return -1;
    for (int c = 0; c < COL_U64_N; c++)
        if (b->u64[c] && rb_realloc((void **)&b->u64[c], 8, cap) != 0)
            return -1;
    for (int c = 0; c < COL_U32_N; c++)
        if (b->u32[c] && rb_realloc((void **)&b->u32[c], 4, cap) != 0)
            return -1;
    for (int c = 0; c < COL_I64_N; c++)
        if (b->i64[c])
            memset(b->i64[c] + b->cap + 1, 0, 8 * (size_t)(cap - b->cap));
    for (int c = 0; c < COL_U64_N; c++)
        if (b->u64[c])
            memset(b->u64[c] + b->cap + 1, 0, 8 * (size_t)(cap - b->cap));
    for (int c = 0; c < COL_U32_N; c++)
        if (b->u32[c])
            memset(b->u32[c] + b->cap + 1, 0, 4 * (size_t)(cap - b->cap));
    b->cap = cap;
    return 0;
}

/* Append a record: 0, 1 when it would pass the byte cap (nothing stored),
 * -1 out of memory. */
int trace__recbuf_push(struct trace__recbuf *b, const struct trace_rec *r)
{
    if (b->n == 0 && b->cap == 0) {
        if (rb_add((void **)&b->i64[COL_I64_ARRIVAL], 8, 0) ||
            rb_add((void **)&b->i64[COL_I64_INPUT], 8, 0) ||
            rb_add((void **)&b->i64[COL_I64_OUTPUT], 8, 0) ||
            rb_add((void **)&b->u64[COL_U64_LINE], 8, 0))
            return -1;
    }
    if (b->n == b->cap && rb_grow(b) != 0)
        return -1;
    uint64_t i = b->n;
    const int64_t i64v[COL_I64_N] = {r->arrival_ns, r->input_tokens, r->output_tokens,
                                     r->max_tokens};
    const uint64_t u64v[COL_U64_N] = {r->line, r->session, r->cache_key, 0};
    uint32_t u32v[COL_U32_N] = {r->priority, r->flags};
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        u32v[COL_U32_LABEL0 + k] = r->label[k];
    for (int c = 0; c < COL_I64_N; c++)
        if (i64v[c] && !b->i64[c] && rb_add((void **)&b->i64[c], 8, b->cap) != 0)
            return -1;
    for (int c = 0; c < COL_U64_N; c++)
        if (u64v[c] && !b->u64[c] && rb_add((void **)&b->u64[c], 8, b->cap) != 0)
            return -1;
    for (int c = 0; c < COL_U32_N; c++)
        if (u32v[c] && !b->u32[c] && rb_add((void **)&b->u32[c], 4, b->cap) != 0)
            return -1;
    if (r->n_blocks) {
        if (!b->u64[COL_U64_BLKOFF] && rb_add((void **)&b->u64[COL_U64_BLKOFF], 8, b->cap) != 0)
            return -1;
        if (b->nblocks + r->n_blocks > b->blocks_cap) {
            uint64_t bc = b->blocks_cap ? b->blocks_cap : 4096;
            while (bc < b->nblocks + r->n_blocks)
                bc *= 2;
            uint64_t *q = realloc(b->blocks, (size_t)bc * 8);
            if (!q)
                return -1;
            b->blocks = q;
            b->blocks_cap = bc;
        }
    }
    if (rb_bytes(b) > b->cap_bytes)
        return 1;
    for (int c = 0; c < COL_I64_N; c++)
        if (b->i64[c])
            b->i64[c][i] = i64v[c];
    for (int c = 0; c < COL_U64_N; c++)
        if (b->u64[c] && c != COL_U64_BLKOFF)
            b->u64[c][i] = u64v[c];
    for (int c = 0; c < COL_U32_N; c++)
        if (b->u32[c])
            b->u32[c][i] = u32v[c];
    if (b->u64[COL_U64_BLKOFF]) {
        /* offsets of rows before the column existed are 0 = nblocks then */
        b->u64[COL_U64_BLKOFF][i] = b->nblocks;
        if (r->n_blocks)
            memcpy(b->blocks + b->nblocks, r->blocks, (size_t)r->n_blocks * 8);
        b->nblocks += r->n_blocks;
        b->u64[COL_U64_BLKOFF][i + 1] = b->nblocks;
    }
    b->n++;
    return 0;
}

void trace__recbuf_get(const struct trace__recbuf *b, uint64_t i, struct trace_rec *out)
{
    memset(out, 0, sizeof *out);
    out->arrival_ns = b->i64[COL_I64_ARRIVAL][i];
    out->input_tokens = b->i64[COL_I64_INPUT][i];
    out->output_tokens = b->i64[COL_I64_OUTPUT][i];
    if (b->i64[COL_I64_MAXTOK])
        out->max_tokens = b->i64[COL_I64_MAXTOK][i];
    out->line = b->u64[COL_U64_LINE][i];
    if (b->u64[COL_U64_SESSION])
        out->session = b->u64[COL_U64_SESSION][i];
    if (b->u64[COL_U64_CACHE])
        out->cache_key = b->u64[COL_U64_CACHE][i];
    if (b->u32[COL_U32_PRIO])
        out->priority = b->u32[COL_U32_PRIO][i];
    if (b->u32[COL_U32_FLAGS])
        out->flags = b->u32[COL_U32_FLAGS][i];
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        if (b->u32[COL_U32_LABEL0 + k])
            out->label[k] = b->u32[COL_U32_LABEL0 + k][i];
    const uint64_t *off = b->u64[COL_U64_BLKOFF];
    if (off && off[i + 1] > off[i]) {
        out->n_blocks = (uint32_t)(off[i + 1] - off[i]);
        out->blocks = b->blocks + off[i];
    }
}

/* ---- the shared replay of a whole source ---------------------------------- */

struct skip_change {
    uint64_t call;    /* after this trace_next call (1-based) */
    uint64_t skipped; /* trace_skipped() is this */
};

struct trace_mem {
    struct trace__recbuf *rows;
    enum trace_format format;
    char **labels[TRACE_LABEL_KINDS_];
    uint32_t n_labels[TRACE_LABEL_KINDS_];
    struct skip_change *chg;
    uint64_t n_chg;
    int failed; /* the call after the last row returns this error */
    char errmsg[TRACE_ERR_MAX];
};

int trace_replay_shareable(const struct trace_cfg *cfg)
{
    switch (cfg->format) {
    case TRACE_AUTO:
    case TRACE_NATIVE:
    case TRACE_AZURE2023:
    case TRACE_BURSTGPT:
    case TRACE_MOONCAKE:
        break;
    default:
        return 0; /* synthetic and ServeGen draw from the seed */
    }
    /* sampling draws from rng_stream(seed, RNG_SAMPLE); 0 and 1 draw nothing */
    return cfg->sample == 0 || cfg->sample == 1;
}

void trace_mem_free(struct trace_mem *m)
{
    if (!m)
        return;
    trace__recbuf_free(m->rows);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++) {
        for (uint32_t i = 0; i < m->n_labels[k]; i++)
            free(m->labels[k][i]);
        free(m->labels[k]);
    }
    free(m->chg);
    free(m);
}

size_t trace_mem_bytes(const struct trace_mem *m)
{
    return m ? rb_bytes(m->rows) : 0;
}

int trace_mem_build(struct trace_src *src, int64_t stop_at_ns, size_t cap_bytes,
                    struct trace_mem **out, char *err, size_t errlen)
{
    *out = NULL;
    struct trace_mem *m = calloc(1, sizeof *m);
    if (!m || !(m->rows = trace__recbuf_new(cap_bytes)))
        goto oom;
    uint64_t calls = 0, last_skipped = 0, chg_cap = 0;
    for (;;) {
        struct trace_rec r;
        char e[TRACE_ERR_MAX];
        int rc = trace_next(src, &r, e, sizeof e);
        calls++;
        uint64_t sk = trace_skipped(src);
        if (sk != last_skipped) {
            if (m->n_chg == chg_cap) {
                chg_cap = chg_cap ? chg_cap * 2 : 16;
                struct skip_change *q = realloc(m->chg, (size_t)chg_cap * sizeof *q);
                if (!q)
                    goto oom;
                m->chg = q;
            }
            m->chg[m->n_chg++] = (struct skip_change){calls, sk};
            last_skipped = sk;
        }
        if (rc < 0) {
            m->failed = 1;
            memcpy(m->errmsg, e, sizeof e);
            break;
        }
        if (rc == 0)
            break;
        int p = trace__recbuf_push(m->rows, &r);
        if (p < 0)
            goto oom;
        if (p > 0) {
            trace_mem_free(m);
            return 0; /* past the cap: the callers stream */
        }
        if (stop_at_ns > 0 && r.arrival_ns >= stop_at_ns)
            break; /* the reader of this replay stops at this row */
    }
    m->format = trace_format_of(src);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++) {
        uint32_t n = 0;
        while (trace_label(src, (enum trace_label_kind)k, n + 1))
            n++;
        if (n == 0)
            continue;
        m->labels[k] = calloc(n, sizeof *m->labels[k]);
        if (!m->labels[k])
            goto oom;
        for (uint32_t i = 0; i < n; i++) {
            const char *s = trace_label(src, (enum trace_label_kind)k, i + 1);
            size_t len = strlen(s) + 1;
            m->labels[k][i] = malloc(len);
            if (!m->labels[k][i])
                goto oom;
            memcpy(m->labels[k][i], s, len);
            m->n_labels[k] = i + 1;
        }
    }
    *out = m;
    return 1;
oom:
    trace_mem_free(m);
    base_errf(err, errlen, "trace: out of memory keeping the trace in memory");
    return -1;
}

struct trace_src *trace_open_mem(const struct trace_mem *m, char *err, size_t errlen)
{
    struct trace_src *src = calloc(1, sizeof *src);
    if (!src)
        goto oom;
    src->mem = m;
    src->format = m->format;
    src->cfg.format = m->format;
    src->rate_scale = 1.0;
    src->cfg.rate_scale = 1.0;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        for (uint32_t i = 0; i < m->n_labels[k]; i++) {
            uint32_t id;
            const char *s = m->labels[k][i];
            if (trace__intern_label(src, (enum trace_label_kind)k, s, strlen(s), &id) != 0)
                goto oom;
        }
    return src;
oom:
    trace_close(src);
    base_errf(err, errlen, "trace: out of memory");
    return NULL;
}

int trace__mem_next(struct trace_src *src, struct trace_rec *out)
{
    const struct trace_mem *m = src->mem;
    if (src->failed)
        return -1; /* sticky, like the readers */
    uint64_t call = ++src->mem_calls;
    while (src->mem_chg < m->n_chg && m->chg[src->mem_chg].call <= call)
        src->skipped = m->chg[src->mem_chg++].skipped;
    uint64_t i = call - 1;
    if (i < m->rows->n) {
        trace__recbuf_get(m->rows, i, out);
        return 1;
    }
    if (i == m->rows->n && m->failed) {
        trace__fail(src, "%s", m->errmsg);
        return -1;
    }
    src->mem_calls--; /* at the end: every later call is this one */
    return 0;
}
