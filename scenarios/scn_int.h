/*
 * scn_int.h - internals shared by the files of scenarios/ (prefix scn__).
 *
 * Not part of the contract (scn.h).  The value parsers below work on a
 * NUL-terminated string and, like the public unit parsers, write a message
 * of the form "found '<s>', expected <what>" (no location: the loader adds
 * "file:line:col: ").
 */
#ifndef LBSIM_SCN_INT_H
#define LBSIM_SCN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"

/* Write a message into a caller buffer (NULL or 0 length: dropped). */
void scn__errf(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* `s` quoted for a message: 'text', at most ~40 characters (then "..."),
 * control characters shown as '?'.  Returns buf. */
const char *scn__quote(const char *s, char *buf, size_t len);

/* A decimal number at the start of `s`: [+-]digits[.digits][e[+-]digits]
 * (no hex, inf or nan).  0 with *v finite and *end after it, or -1. */
int scn__number_prefix(const char *s, double *v, const char **end);

/* A whole string that is a finite decimal number. */
int scn__parse_number(const char *s, double *out, char *err, size_t errlen);

/* Duration in seconds (double), same syntax as scn_parse_duration_ns. */
int scn__parse_duration_s(const char *s, double *out, char *err, size_t errlen);

/* Unsigned integer (digits only) in [0, max]. */
int scn__parse_uint(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);

/* Signed integer ([-]digits) in [min, max]. */
int scn__parse_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);

/* A count: digits with an optional k (1e3) or M (1e6) suffix, e.g. 200k,
 * 2M, 1.5M (the result must be a whole number). */
int scn__parse_count(const char *s, int64_t *out, char *err, size_t errlen);

/* true/false/yes/no/on/off, any case. */
int scn__parse_bool(const char *s, bool *out, char *err, size_t errlen);

/* The candidate of `cands` nearest to `word` when its edit distance is at
 * most max(2, strlen(word) / 3), else NULL. */
const char *scn__suggest(const char *word, const char *const *cands, size_t n);

/* Like scn__suggest, one candidate at a time: keeps the best in *best and
 * its distance in *best_d (start with NULL and UINT_MAX). */
void scn__suggest_step(const char *word, const char *cand, const char **best, unsigned *best_d);

/* Final check of scn__suggest_step's result. */
const char *scn__suggest_done(const char *word, const char *best, unsigned best_d);

#endif /* LBSIM_SCN_INT_H */
