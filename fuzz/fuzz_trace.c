/*
 * fuzz_trace.c - libFuzzer target: the trace readers on arbitrary bytes.
 *
 * The first byte chooses how the rest is read: bits 0-2 the format
 * (auto, native CSV, Azure 2023, BurstGPT, Mooncake JSONL, ServeGen: the
 * rest is the window CSV, its dataset the fixture beside it), bits 3-4 the
 * framing (plain, gzip, zstd: the rest is compressed here, so the fuzzer
 * explores the decompressed text through the real decoders, including
 * sizes that end on the reader's buffer boundary), bit 5 skip_bad_rows.
 * The bytes reach the readers from memory (trace_cfg.data: the same
 * decoders and parsers as a file's).  Every row is read, up to
 * FUZZ_TRACE_MAX_ROWS: the file readers stream, so their work is linear in
 * the (decompressed) input, but ServeGen turns a window's rate into that
 * many arrivals.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "fuzz_util.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum trace_format fuzz__formats[] = {
    TRACE_AUTO, TRACE_NATIVE, TRACE_AZURE2023, TRACE_BURSTGPT, TRACE_MOONCAKE, TRACE_SERVEGEN,
};

/* More rows than a 64 KiB file of the row formats can hold. */
#define FUZZ_TRACE_MAX_ROWS 65536u

/* The compressors' state is made once and reset per input: zlib's
 * deflate state and a zstd context are ~300 KiB each, a fresh mapping
 * under ASan on every execution otherwise. */
static z_stream fuzz__z;
static int fuzz__z_live;
static ZSTD_CCtx *fuzz__zc;

static uint8_t *fuzz__gzip(const uint8_t *in, size_t n, size_t *out_n)
{
    if (!fuzz__z_live) {
        if (deflateInit2(&fuzz__z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return NULL;
        fuzz__z_live = 1;
    } else if (deflateReset(&fuzz__z) != Z_OK) {
        return NULL;
    }
    z_stream *z = &fuzz__z;
    size_t cap = deflateBound(z, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    if (!out)
        return NULL;
    z->next_in = (Bytef *)(uintptr_t)in;
    z->avail_in = (uInt)n;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    int rc = deflate(z, Z_FINISH);
    *out_n = cap - z->avail_out;
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static uint8_t *fuzz__zstd(const uint8_t *in, size_t n, size_t *out_n)
{
    if (!fuzz__zc && !(fuzz__zc = ZSTD_createCCtx()))
        return NULL;
    size_t cap = ZSTD_compressBound(n);
    uint8_t *out = malloc(cap);
    if (!out)
        return NULL;
    size_t r = ZSTD_compressCCtx(fuzz__zc, out, cap, in, n, 1);
    if (ZSTD_isError(r)) {
        free(out);
        return NULL;
    }
    *out_n = r;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    uint8_t *packed = NULL;
    size_t packed_n = 0;
    unsigned framing = (mode >> 3) & 3u;
    if (framing == 1)
        packed = fuzz__gzip(body, n, &packed_n);
    else if (framing == 2)
        packed = fuzz__zstd(body, n, &packed_n);
    if ((framing == 1 || framing == 2) && !packed)
        return 0;
    /* Names only (nothing is written): sg-trace.csv's dataset is the
       fixture sg-dataset.json beside it. */
    static char path[128];
    char err[512];
    if (!path[0])
        fuzz_path("sg-trace.csv", path, sizeof path);

    struct trace_cfg c;
    memset(&c, 0, sizeof c);
    c.format = fuzz__formats[(mode & 7u) % (sizeof fuzz__formats / sizeof fuzz__formats[0])];
    c.path = path;
    c.data = packed ? packed : body;
    c.data_len = packed ? packed_n : n;
    c.limit = FUZZ_TRACE_MAX_ROWS;
    c.rate_scale = 1.0;
    c.skip_bad_rows = (mode >> 5) & 1;
    struct trace_src *src = trace_open(&c, 1, err, sizeof err);
    if (!src) {
        free(packed);
        return 0;
    }
    struct trace_rec r;
    int64_t last = INT64_MIN;
    int rc;
    while ((rc = trace_next(src, &r, err, sizeof err)) == 1) {
        /* The stream's contract (trace.h): arrivals never go backwards,
           token counts are never negative. */
        if (r.arrival_ns < last || r.input_tokens < 0 || r.output_tokens < 0)
            abort();
        last = r.arrival_ns;
        for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
            if (r.label[k] && !trace_label(src, (enum trace_label_kind)k, r.label[k]))
                abort();
    }
    trace_close(src);
    free(packed);
    return 0;
}
