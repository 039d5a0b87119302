/*
 * fuzz_util.h - shared by the libFuzzer targets (fuzz/README.md): the
 * loaders take file paths, so each input is written to a scratch file in
 * a directory private to the fuzzing process, then read back by the code
 * under test exactly as the program reads it.
 */
#ifndef LBSIM_FUZZ_UTIL_H
#define LBSIM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The process's scratch directory (created on first use, removed at exit). */
const char *fuzz_dir(void);

/* Write data[0..len) to fuzz_dir()/name; the path into buf.  0, or -1. */
int fuzz_write(const char *name, const uint8_t *data, size_t len, char *buf, size_t buflen);

#endif /* LBSIM_FUZZ_UTIL_H */
