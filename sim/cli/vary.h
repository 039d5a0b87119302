/*
 * vary.h - the value lists of `--vary PATH=LIST` (prefix vary_), for the
 * sweep and plan verbs.
 *
 * LIST is a comma-separated list of items; an item is a literal value or a
 * range `a..b` (step 1) or `a..b:step`.  The ends and the step of a range
 * are numbers with one shared suffix (a unit or a multiplier as the
 * scenario file writes them: `10s..60s:10s`, `100k..400k:100k`,
 * `1%..5%:0.5%`, `1..8`); the values are written back with that suffix, so
 * the scenario loader parses each exactly as it would parse the file.  An
 * item that is not such a range is a literal (`least_inflight`,
 * `../traces/x.csv`); literals cannot contain a comma.
 */
#ifndef LBSIM_VARY_H
#define LBSIM_VARY_H

#include <stddef.h>
#include <stdint.h>

/* At most this many values in one --vary (a typo like 1..1e9 is an error,
 * not an hour of simulation). */
#define VARY_MAX_VALUES 10000u

struct vary {
    char *path;    /* "backends.gpu.replicas" */
    char **values; /* n values, as they would be written in the file */
    uint32_t n;
};

/* Parse "PATH=LIST" into *out (free with vary_free).  0, or -1 with a
 * message naming the argument, what was found and what was expected. */
int vary_parse(const char *arg, struct vary *out, char *err, size_t errlen);

void vary_free(struct vary *v);

#endif /* LBSIM_VARY_H */
