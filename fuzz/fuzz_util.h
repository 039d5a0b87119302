/*
 * fuzz_util.h - shared by the libFuzzer targets (fuzz/README.md).
 *
 * Inputs flow through memory (scn_load_mem, trace_cfg.data): the loaders
 * read the fuzzed bytes through the same parser and checks as a file's.
 * What an input may name by a relative path (a trace, a ServeGen dataset,
 * a LiteLLM config) exists once, as fixtures in a scratch directory
 * private to the fuzzing process, written on first use.
 */
#ifndef LBSIM_FUZZ_UTIL_H
#define LBSIM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The process's scratch directory, with the fixtures below written in it
 * (created on first use, removed at exit):
 *   trace.csv          three native rows (fuzz_fixture_trace)
 *   sg-dataset.json    a ServeGen dataset for a fuzzed sg-trace.csv */
const char *fuzz_dir(void);

/* fuzz_dir()/name into buf (the name an in-memory input is given, so that
 * its relative paths resolve to the fixtures).  buf, or abort(). */
char *fuzz_path(const char *name, char *buf, size_t buflen);

/* Write data[0..len) to fuzz_dir()/name; the path into buf.  0, or -1.
 * (Only fuzz_import still writes an input per execution: the importers
 * read a path.) */
int fuzz_write(const char *name, const uint8_t *data, size_t len, char *buf, size_t buflen);

/* The fixture trace.csv's bytes. */
extern const char fuzz_fixture_trace[];

#endif /* LBSIM_FUZZ_UTIL_H */
