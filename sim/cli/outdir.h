/*
 * outdir.h - the output directory of `lbsim run --out DIR` (prefix
 * outdir_): created like mkdir -p, filled with summary.json,
 * timeseries.csv and the plot data and scripts, and the plots rendered by
 * gnuplot when it is on the PATH.  CLI layer: prints its errors and runs a
 * child process.
 */
#ifndef LBSIM_OUTDIR_H
#define LBSIM_OUTDIR_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"

/* Write every output of the n results into dir, in a transaction (see
 * outdir_begin).  Returns the exit status: 0, CLI_EXIT_USAGE for a bad
 * --out, CLI_EXIT_INTERNAL for a failed write, after printing the error.
 * A missing gnuplot or a failed plot is a warning, not an error. */
int outdir_write(const char *dir, const struct scenario *scn, uint64_t seed,
                 const struct sim_result *res, uint32_t n);

/* Render the plots names[0..n) of dir (NAME.gp -> NAME.png, NAME.svg)
 * with gnuplot when it is on the PATH; a missing gnuplot or a failed plot
 * is a warning on stderr. */
void outdir_render(const char *dir, const char *const *names, int n);

/* outdir_write with the origin (version, fingerprint) in summary.json. */
struct report_origin;
int outdir_write_origin(const char *dir, const struct report_origin *origin,
                        const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                        uint32_t n);

/* An output directory being written (docs/outputs.md): everything goes to
 * tmp, a hidden sibling of target (".NAME.tmp-PID"), which outdir_commit
 * renames over target.  target holds a marker file ".lbsim-output"
 * afterwards, by which the next run recognises a directory it may replace. */
struct outdir_tx {
    char target[SCN_PATH_MAX];
    char tmp[SCN_PATH_MAX + 64];
    char old[SCN_PATH_MAX + 64];
    struct sigaction old_int, old_term;
    int open;
};

/* Check an --out path before any simulation: target must be missing, an
 * empty directory or an earlier lbsim output (holding ".lbsim-output"),
 * and its nearest existing ancestor a directory lbsim can create entries
 * in.  0, or CLI_EXIT_USAGE after printing why. */
int outdir_check(const char *target);

/* Open the transaction: outdir_check, mkdir -p of target's parent, the
 * temporary directory with its marker, and SIGINT/SIGTERM handlers that
 * only set a flag (outdir_interrupted).  0, or the exit status after
 * printing the error (nothing is left behind). */
int outdir_begin(struct outdir_tx *tx, const char *target);

/* Close the transaction.  With rc == 0 and no signal: a target that is an
 * earlier output is renamed aside, tmp renamed in, the old one removed;
 * returns 0 or CLI_EXIT_INTERNAL/CLI_EXIT_USAGE after printing why.  With
 * rc != 0, tmp is removed and rc returned.  When SIGINT or SIGTERM came
 * during the transaction, tmp is removed and the process ends by that
 * signal (shell status 130 or 143); target is untouched. */
int outdir_commit(struct outdir_tx *tx, int rc);

/* Whether SIGINT or SIGTERM arrived during an open transaction. */
int outdir_interrupted(void);

/* Temporary files outside a transaction (`--requests`' parts): from
 * outdir_guard until outdir_unguard, a SIGINT or SIGTERM removes
 * paths[0..n) (NULL entries skipped; the array and strings must stay valid
 * until outdir_unguard) and ends the process by that signal (shell status
 * 130 or 143), even while the runs simulate.  One guard at a time. */
void outdir_guard(const char *const *paths, uint32_t n);
void outdir_unguard(void);

/* fopen(dir/name, "w") with the path in path; NULL after printing
 * "cannot write PATH: why". */
FILE *outdir_open(const char *dir, const char *name, char *path, size_t pathlen);

/* fclose with the write checks (ferror and fclose's result): 0, or
 * CLI_EXIT_INTERNAL after printing "cannot write PATH: why". */
int outdir_close(FILE *f, const char *path);

/* mkdir -p: 0 when path is a directory afterwards, else -1 (errno set by
 * the failing call). */
int outdir_mkdirs(const char *path);

#endif /* LBSIM_OUTDIR_H */
