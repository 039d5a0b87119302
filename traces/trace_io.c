/*
 * trace_io.c - buffered, decompressing byte reader for trace files (see
 * trace_io.h).
 *
 * gzip: RFC 1952, through zlib's inflate() with windowBits 15 + 32 (zlib
 * or gzip header detected automatically).  After a member ends, any
 * further bytes must be another member (gzip -d reads concatenated
 * members the same way).  zstd: RFC 8878, through ZSTD_decompressStream(),
 * which moves across concatenated (and skippable) frames by itself; its
 * return value is 0 exactly at a frame boundary, so end of input elsewhere
 * is a truncated file.
 *
 * Both decoders may hold output back when the output buffer fills; they
 * are called again with no new input until they produce less than a full
 * buffer, before more input is read or the end is declared -- unless they
 * said the member / frame ended (Z_STREAM_END, or zstd's 0), which also
 * says nothing is held back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "err.h"
#include "trace_io.h"

#define IN_SIZE  (1u << 17) /* compressed (or plain) bytes per read */
#define OUT_SIZE (1u << 18) /* decompressed bytes per chunk */

enum codec { PLAIN = 0, GZIP, ZSTD };

struct trace_io {
    FILE *fp;
    char *path;
    const unsigned char *mem; /* the file's bytes when given in memory (fp NULL) */
    size_t mem_len, mem_pos;
    enum codec codec;
    unsigned char *in; /* bytes read from the file */
    size_t in_len, in_pos;
    int in_eof;
    unsigned char *out; /* decompressed bytes (gzip, zstd) */
    int pending;        /* the last call filled `out`: call the decoder again */
    int done;
    /* gzip */
    z_stream zs;
    int zs_live;
    int member_open;  /* inside a gzip member (its end not seen yet) */
    int member_ended; /* a member just ended: more input starts a new one */
    /* zstd */
    ZSTD_DCtx *zd;
    size_t zret; /* last ZSTD_decompressStream result: 0 = at a frame boundary */
};

/* Read the next piece of the file into io->in.  0, or -1 on a read error. */
static int refill(struct trace_io *io, char *err, size_t errlen)
{
    io->in_pos = 0;
    io->in_len = 0;
    if (io->in_eof)
        return 0;
    size_t n;
    if (io->mem) {
        /* the same pieces fread would give, so every later step is the
           file's */
        n = io->mem_len - io->mem_pos < IN_SIZE ? io->mem_len - io->mem_pos : IN_SIZE;
        memcpy(io->in, io->mem + io->mem_pos, n);
        io->mem_pos += n;
    } else {
        n = fread(io->in, 1, IN_SIZE, io->fp);
    }
    if (n < IN_SIZE) {
        if (io->fp && ferror(io->fp)) {
            base_errf(err, errlen, "%s: read error: %s", io->path, strerror(errno));
            return -1;
        }
        io->in_eof = 1;
    }
    io->in_len = n;
    return 0;
}

struct trace_io *trace__io_open(const char *path, const unsigned char *data, size_t data_len,
                                char *err, size_t errlen)
{
    struct trace_io *io = calloc(1, sizeof *io);
    if (!io) {
        base_errf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t plen = strlen(path);
    io->path = malloc(plen + 1);
    io->in = malloc(IN_SIZE);
    if (!io->path || !io->in) {
        base_errf(err, errlen, "%s: out of memory", path);
        trace__io_close(io);
        return NULL;
    }
    memcpy(io->path, path, plen + 1);
    if (data) {
        io->mem = data;
        io->mem_len = data_len;
    } else {
        io->fp = fopen(path, "rb");
    }
    if (!io->mem && !io->fp) {
        base_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        trace__io_close(io);
        return NULL;
    }
    if (refill(io, err, errlen) != 0) {
        trace__io_close(io);
        return NULL;
    }
    /* A file shorter than IN_SIZE is whole in `in` now; a longer one has
       its first IN_SIZE bytes there, enough for the magic numbers. */
    const unsigned char *m = io->in;
    if (io->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        io->codec = GZIP;
    else if (io->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        io->codec = ZSTD;
    else
        io->codec = PLAIN;

    if (io->codec != PLAIN) {
        io->out = malloc(OUT_SIZE);
        if (!io->out) {
            base_errf(err, errlen, "%s: out of memory", path);
            trace__io_close(io);
            return NULL;
        }
    }
    if (io->codec == GZIP) {
        if (inflateInit2(&io->zs, 15 + 32) != Z_OK) {
            base_errf(err, errlen, "%s: out of memory (zlib)", path);
            trace__io_close(io);
            return NULL;
        }
        io->zs_live = 1;
        io->member_open = 1;
    } else if (io->codec == ZSTD) {
        io->zd = ZSTD_createDCtx();
        if (!io->zd) {
            base_errf(err, errlen, "%s: out of memory (zstd)", path);
            trace__io_close(io);
            return NULL;
        }
        io->zret = 1;
    }
    return io;
}

static int chunk_plain(struct trace_io *io, const unsigned char **data, size_t *len, char *err,
                       size_t errlen)
{
    if (io->in_pos == io->in_len) {
        if (refill(io, err, errlen) != 0)
            return -1;
        if (io->in_len == 0)
            return 0;
    }
    *data = io->in + io->in_pos;
    *len = io->in_len - io->in_pos;
    io->in_pos = io->in_len;
    return 1;
}

static int chunk_gzip(struct trace_io *io, const unsigned char **data, size_t *len, char *err,
                      size_t errlen)
{
    for (;;) {
        if (io->in_pos == io->in_len && !io->pending) {
            if (refill(io, err, errlen) != 0)
                return -1;
            if (io->in_len == 0) {
                if (io->member_open) {
                    base_errf(err, errlen,
                              "%s: truncated gzip data (the file ends inside a compressed "
                              "member), expected a complete gzip file",
                              io->path);
                    return -1;
                }
                return 0;
            }
        }
        if (io->member_ended && io->in_pos < io->in_len) {
            /* bytes after a member: the next concatenated member */
            if (inflateReset(&io->zs) != Z_OK) {
                base_errf(err, errlen, "%s: corrupt gzip data (cannot reset the decoder)",
                          io->path);
                return -1;
            }
            io->member_ended = 0;
            io->member_open = 1;
        }
        if (!io->member_open) { /* pending output was all flushed at a member end */
            io->pending = 0;
            continue;
        }
        uInt avail_in = (uInt)(io->in_len - io->in_pos);
        io->zs.next_in = io->in + io->in_pos;
        io->zs.avail_in = avail_in;
        io->zs.next_out = io->out;
        io->zs.avail_out = OUT_SIZE;
        int ret = inflate(&io->zs, Z_NO_FLUSH);
        io->in_pos += avail_in - io->zs.avail_in;
        size_t produced = OUT_SIZE - io->zs.avail_out;
        io->pending = produced == OUT_SIZE;
        if (ret == Z_STREAM_END) {
            io->member_open = 0;
            io->member_ended = 1;
            io->pending = 0;
        } else if (ret == Z_BUF_ERROR) {
            if (io->zs.avail_in > 0 && produced == 0) {
                base_errf(err, errlen, "%s: corrupt gzip data (no progress), expected gzip",
                          io->path);
                return -1;
            }
            io->pending = 0;
        } else if (ret == Z_MEM_ERROR) {
            base_errf(err, errlen, "%s: out of memory (zlib)", io->path);
            return -1;
        } else if (ret != Z_OK) {
            base_errf(err, errlen, "%s: corrupt gzip data (%s), expected a valid gzip file",
                      io->path, io->zs.msg ? io->zs.msg : zError(ret));
            return -1;
        }
        if (produced) {
            *data = io->out;
            *len = produced;
            return 1;
        }
    }
}

static int chunk_zstd(struct trace_io *io, const unsigned char **data, size_t *len, char *err,
                      size_t errlen)
{
    for (;;) {
        if (io->in_pos == io->in_len && !io->pending) {
            if (refill(io, err, errlen) != 0)
                return -1;
            if (io->in_len == 0) {
                if (io->zret != 0) {
                    base_errf(err, errlen,
                              "%s: truncated zstd data (the file ends inside a frame), "
                              "expected a complete zstd file",
                              io->path);
                    return -1;
                }
                return 0;
            }
        }
        ZSTD_inBuffer ib = {io->in, io->in_len, io->in_pos};
        ZSTD_outBuffer ob = {io->out, OUT_SIZE, 0};
        size_t r = ZSTD_decompressStream(io->zd, &ob, &ib);
        io->in_pos = ib.pos;
        if (ZSTD_isError(r)) {
            base_errf(err, errlen, "%s: corrupt zstd data (%s), expected a valid zstd file",
                      io->path, ZSTD_getErrorName(r));
            return -1;
        }
        io->zret = r;
        /* 0 means the frame is decoded and fully flushed even when its last
           bytes filled `out` exactly: nothing is held back then, and a
           further call with no input would answer the next frame header's
           size (not 0), so the end of the file would read as a cut frame. */
        io->pending = r != 0 && ob.pos == ob.size;
        if (ob.pos) {
            *data = io->out;
            *len = ob.pos;
            return 1;
        }
    }
}

int trace__io_chunk(struct trace_io *io, const unsigned char **data, size_t *len, char *err,
                    size_t errlen)
{
    if (io->done)
        return 0;
    int rc;
    switch (io->codec) {
    case GZIP:
        rc = chunk_gzip(io, data, len, err, errlen);
        break;
    case ZSTD:
        rc = chunk_zstd(io, data, len, err, errlen);
        break;
    default:
        rc = chunk_plain(io, data, len, err, errlen);
        break;
    }
    if (rc <= 0)
        io->done = 1;
    return rc;
}

void trace__io_close(struct trace_io *io)
{
    if (!io)
        return;
    if (io->fp)
        fclose(io->fp);
    if (io->zs_live)
        inflateEnd(&io->zs);
    if (io->zd)
        ZSTD_freeDCtx(io->zd);
    free(io->path);
    free(io->in);
    free(io->out);
    free(io);
}

/* ---- format guess ------------------------------------------------------- */

static int ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n)
        return 0;
    s += n - m;
    for (size_t i = 0; i < m; i++) {
        char a = s[i], b = suffix[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

enum trace_format trace__io_guess_format(const char *path, const unsigned char *data,
                                         size_t data_len)
{
    static const char *const jsonl_ext[] = {".jsonl", ".jsonl.gz", ".jsonl.zst"};
    for (size_t i = 0; i < sizeof jsonl_ext / sizeof jsonl_ext[0]; i++)
        if (ends_with_ci(path, jsonl_ext[i]))
            return TRACE_MOONCAKE;

    char err[8];
    struct trace_io *io = trace__io_open(path, data, data_len, err, sizeof err);
    if (!io)
        return TRACE_AUTO;
    enum trace_format f = TRACE_AUTO;
    size_t seen = 0; /* bytes looked at: give up after 64 KiB of white space */
    const unsigned char *p;
    size_t n;
    while (seen < 65536 && trace__io_chunk(io, &p, &n, err, sizeof err) == 1) {
        size_t i = 0;
        if (seen == 0 && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
            i = 3; /* UTF-8 byte-order mark */
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
            i++;
        seen += n;
        if (i < n) {
            if (p[i] == '{')
                f = TRACE_MOONCAKE;
            break;
        }
    }
    trace__io_close(io);
    return f;
}
