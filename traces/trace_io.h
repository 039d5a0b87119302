/*
 * trace_io.h - a buffered byte reader for trace files that decompresses
 * gzip and zstd transparently (prefix trace__io_).  Private to traces/.
 *
 * The compression is recognised by the file's first bytes, not its name:
 * 1f 8b is gzip (zlib's inflate, windowBits 15+32; concatenated members are
 * read one after another, as gzip -d does), 28 b5 2f fd is zstd
 * (ZSTD_decompressStream; concatenated frames and skippable frames are
 * fine); anything else is read as it is.  Memory is fixed: one input
 * buffer, one output buffer and the decompressor's state (zstd's window is
 * at most 128 MiB, its default limit; a file that asks for more is an
 * error).
 *
 * Errors go to the caller's buffer and name the path and what failed
 * ("corrupt gzip data", "truncated zstd stream", a read error).  Nothing
 * is printed.
 */
#ifndef LBSIM_TRACE_IO_H
#define LBSIM_TRACE_IO_H

#include <stddef.h>

#include "trace.h"

struct trace_io;

/* Open `path` and recognise its compression.  NULL + message on failure
 * ("PATH: cannot open: reason", out of memory).  data non-NULL: the file's
 * data_len bytes are those (trace_cfg.data), read in the same pieces as
 * from the file; path only names them in messages. */
struct trace_io *trace__io_open(const char *path, const unsigned char *data, size_t data_len,
                                char *err, size_t errlen);

/* The next piece of (decompressed) bytes: 1 with *data and *len set (len >
 * 0; the bytes stay valid until the next call), 0 at the end of the file,
 * -1 with a message on a read or decompression error. */
int trace__io_chunk(struct trace_io *io, const unsigned char **data, size_t *len, char *err,
                    size_t errlen);

void trace__io_close(struct trace_io *io);

/*
 * The format of a trace file for TRACE_AUTO, before a reader opens it:
 * TRACE_MOONCAKE if the name ends in .jsonl, .jsonl.gz or .jsonl.zst, or if
 * the first byte that is not white space (after decompression, after a
 * UTF-8 byte-order mark) is '{'; TRACE_AUTO otherwise, meaning "a CSV:
 * let the CSV reader tell Azure, BurstGPT and native apart by the header".
 * A file that cannot be read gives TRACE_AUTO too: the reader that opens
 * it next reports the error.
 */
enum trace_format trace__io_guess_format(const char *path, const unsigned char *data,
                                         size_t data_len);

#endif /* LBSIM_TRACE_IO_H */
