/*
 * trace.c - request sources: dispatch, open/close, limits, time scaling and
 * the per-source label tables (see trace.h).
 *
 * The readers themselves live in trace_csv.c (lbsim's native CSV and the
 * Azure LLM inference trace 2023 of Patel et al., "Splitwise: Efficient
 * generative LLM inference using phase splitting", ISCA 2024) and
 * trace_synth.c (Poisson arrivals).
 *
 * Labels are interned per source and per kind: ids 1.. in order of first
 * appearance, looked up through an open-addressing table (linear probing,
 * FNV-1a hash, load <= 3/4), so memory grows with the number of distinct
 * labels only.  Sessions are not stored, only hashed (FNV-1a 64).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "trace_int.h"
#include "trace_io.h"

static const uint64_t fnv_offset = 0xcbf29ce484222325ull;
static const uint64_t fnv_prime = 0x100000001b3ull;

static uint64_t fnv1a64(const char *s, size_t len)
{
    uint64_t h = fnv_offset;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= fnv_prime;
    }
    return h;
}

uint64_t trace__session_key(const char *s, size_t len)
{
    uint64_t h = fnv1a64(s, len);
    return h ? h : 1;
}

void trace__fail(struct trace_src *src, const char *fmt, ...)
{
    if (src->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    base_verrf(src->errmsg, sizeof src->errmsg, fmt, ap);
    va_end(ap);
    src->failed = 1;
}

int trace__scale_ns(const struct trace_src *src, int64_t raw_ns, int64_t *out)
{
    if (src->rate_scale == 1.0) {
        *out = raw_ns;
        return 0;
    }
    double v = (double)raw_ns / src->rate_scale;
    if (!(v < 9.2e18) || !(v > -9.2e18))
        return -1;
    *out = dist_llround(v);
    return 0;
}

/* ---- labels ------------------------------------------------------------ */

static int intern_grow(struct trace_intern *t)
{
    uint32_t nslot = t->nslot ? t->nslot * 2 : 16;
    if (nslot < t->nslot)
        return -1;
    uint32_t *slot = calloc(nslot, sizeof *slot);
    if (!slot)
        return -1;
    for (uint32_t id = 1; id <= t->n; id++) {
        const char *s = t->str[id - 1];
        uint32_t i = (uint32_t)fnv1a64(s, strlen(s)) & (nslot - 1);
        while (slot[i])
            i = (i + 1) & (nslot - 1);
        slot[i] = id;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
    return 0;
}

int trace__intern_label(struct trace_src *src, enum trace_label_kind kind, const char *s,
                        size_t len, uint32_t *id)
{
    struct trace_intern *t = &src->labels[kind];
    if ((uint64_t)(t->n + 1) * 4 > (uint64_t)t->nslot * 3 && intern_grow(t) != 0)
        return -1;
    uint32_t mask = t->nslot - 1;
    uint32_t i = (uint32_t)fnv1a64(s, len) & mask;
    while (t->slot[i]) {
        const char *have = t->str[t->slot[i] - 1];
        if (strncmp(have, s, len) == 0 && have[len] == '\0') {
            *id = t->slot[i];
            return 0;
        }
        i = (i + 1) & mask;
    }
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 8;
        char **str = realloc(t->str, (size_t)cap * sizeof *str);
        if (!str)
            return -1;
        t->str = str;
        t->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->str[t->n++] = copy;
    t->slot[i] = t->n;
    *id = t->n;
    return 0;
}

const char *trace_label(const struct trace_src *src, enum trace_label_kind kind, uint32_t id)
{
    if (!src || (int)kind < 0 || kind >= TRACE_LABEL_KINDS_)
        return NULL;
    const struct trace_intern *t = &src->labels[kind];
    if (id == 0 || id > t->n)
        return NULL;
    return t->str[id - 1];
}

/* ---- open / next / close ----------------------------------------------- */

struct trace_src *trace_open(const struct trace_cfg *cfg, uint64_t seed, char *err, size_t errlen)
{
    if (!cfg) {
        base_errf(err, errlen, "trace: no configuration given");
        return NULL;
    }
    if (!(cfg->rate_scale > 0) || !isfinite(cfg->rate_scale)) {
        char msg[128];
        snprintf(msg, sizeof msg, "trace: found rate_scale %g, expected a number > 0",
                 cfg->rate_scale);
        base_errf(err, errlen, "%s", msg);
        return NULL;
    }
    switch (cfg->format) {
    case TRACE_AUTO:
    case TRACE_NATIVE:
    case TRACE_AZURE2023:
    case TRACE_BURSTGPT:
    case TRACE_MOONCAKE:
    case TRACE_SERVEGEN:
        if (!cfg->path || !cfg->path[0]) {
            base_errf(err, errlen, "trace: no file path given");
            return NULL;
        }
        break;
    case TRACE_SYNTHETIC:
        break;
    default: {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "trace: found format %d, expected auto, native, azure2023, burstgpt, mooncake, "
                 "servegen or synthetic",
                 (int)cfg->format);
        base_errf(err, errlen, "%s", msg);
        return NULL;
    }
    }

    struct trace_src *src = calloc(1, sizeof *src);
    if (!src) {
        base_errf(err, errlen, "trace: out of memory");
        return NULL;
    }
    src->rate_scale = cfg->rate_scale;
    src->limit = cfg->limit;
    src->format = cfg->format;
    src->cfg = *cfg;
    src->seed = seed;
    int rc = trace__raw_open(src);
    if (rc == 0)
        rc = trace__xform_open(src);
    if (rc != 0) {
        base_errf(err, errlen, "%s", src->errmsg);
        trace_close(src);
        return NULL;
    }
    return src;
}

int trace_next(struct trace_src *src, struct trace_rec *out, char *err, size_t errlen)
{
    if (src->limit && src->delivered >= src->limit)
        return 0;
    int rc = src->mem     ? trace__mem_next(src, out)
             : src->merge ? trace__merge_next(src, out)
             : src->xf    ? trace__xform_next(src, out)
             : src->syn   ? trace__synth_next(src, out) /* trace__raw_next's first case, direct */
                          : trace__raw_next(src, out);
    if (rc > 0) {
        src->delivered++;
        return 1;
    }
    if (rc < 0) {
        base_errf(err, errlen, "%s", src->errmsg);
        return -1;
    }
    return 0;
}

enum trace_format trace_format_of(const struct trace_src *src)
{
    return src->format;
}

const char *trace_format_name(enum trace_format f)
{
    switch (f) {
    case TRACE_AUTO:
        return "auto";
    case TRACE_NATIVE:
        return "native";
    case TRACE_AZURE2023:
        return "azure2023";
    case TRACE_SYNTHETIC:
        return "synthetic";
    case TRACE_BURSTGPT:
        return "burstgpt";
    case TRACE_MOONCAKE:
        return "mooncake";
    case TRACE_SERVEGEN:
        return "servegen";
    }
    return "unknown";
}

uint64_t trace_skipped(const struct trace_src *src)
{
    if (src->merge)
        return src->skipped + trace__merge_skipped(src->merge);
    return src->skipped;
}

/* ---- the format readers ------------------------------------------------- */

int trace__raw_open(struct trace_src *src)
{
    const struct trace_cfg *cfg = &src->cfg;
    switch (cfg->format) {
    case TRACE_SYNTHETIC:
        return trace__synth_open(src, &cfg->synth, src->seed);
    case TRACE_MOONCAKE:
        return trace__jsonl_open(src, cfg->path);
    case TRACE_SERVEGEN:
        return trace__servegen_open(src, cfg->path, src->seed);
    case TRACE_AUTO:
        /* by extension (.jsonl[.gz|.zst]) or a first byte '{' after
           decompression: Mooncake JSONL; else a CSV, told apart by its
           header (trace_csv.c: Azure, BurstGPT or native) */
        if (trace__io_guess_format(cfg->path, cfg->data, cfg->data_len) == TRACE_MOONCAKE)
            return trace__jsonl_open(src, cfg->path);
        return trace__csv_open(src, cfg->path, TRACE_AUTO);
    case TRACE_NATIVE:
    case TRACE_AZURE2023:
    case TRACE_BURSTGPT:
        return trace__csv_open(src, cfg->path, cfg->format);
    }
    trace__fail(src, "trace: unknown format %d", (int)cfg->format);
    return -1;
}

int trace__raw_next(struct trace_src *src, struct trace_rec *out)
{
    if (src->syn)
        return trace__synth_next(src, out);
    if (src->jsonl)
        return trace__jsonl_next(src, out);
    if (src->sg)
        return trace__servegen_next(src, out);
    return trace__csv_next(src, out);
}

void trace__raw_close(struct trace_src *src)
{
    if (src->csv)
        trace__csv_close(src->csv);
    if (src->syn)
        trace__synth_close(src->syn);
    if (src->jsonl)
        trace__jsonl_close(src->jsonl);
    if (src->sg)
        trace__servegen_close(src->sg);
    src->csv = NULL;
    src->syn = NULL;
    src->jsonl = NULL;
    src->sg = NULL;
}

void trace_close(struct trace_src *src)
{
    if (!src)
        return;
    trace__raw_close(src);
    if (src->xf)
        trace__xform_close(src->xf);
    if (src->merge)
        trace__merge_close(src->merge);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++) {
        struct trace_intern *t = &src->labels[k];
        for (uint32_t i = 0; i < t->n; i++)
            free(t->str[i]);
        free(t->str);
        free(t->slot);
    }
    free(src);
}
