/*
 * reqlog.h - `lbsim run --requests FILE`: one CSV row per request, streamed
 * (prefix reqlog_).  Columns and units: docs/requests-csv.md.
 *
 * Strategies run in parallel (sim_trials), so each run streams its rows
 * into a hidden part file of its own next to FILE (".NAME.partI.PID"),
 * compressed as it goes by the writer FILE's extension picks (.csv plain,
 * .csv.gz one gzip member, .csv.zst one zstd frame; part 0 starts with the
 * header); reqlog_finish concatenates the parts in strategy order into a
 * hidden temporary name and renames it to FILE.  The output is thus the
 * same bytes for any thread count, and FILE appears whole or not at all;
 * a SIGINT or SIGTERM removes the parts (outdir_guard).  Memory: a row
 * buffer and a compressor per part plus the backends tried of the
 * requests in flight; never the rows.
 *
 * Thread safety: each part is written by the one thread running its trial;
 * open, finish and abort run on the main thread.
 */
#ifndef LBSIM_REQLOG_H
#define LBSIM_REQLOG_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct reqlog;

/*
 * Check FILE's extension (.csv, .csv.gz, .csv.zst) and its directory
 * (exists, writable), then create the n_parts part files.  Returns the
 * log, or NULL with a message in err (a bad path is the user's: the CLI
 * exits 2; out of memory says so).  scn must outlive the log.
 */
struct reqlog *reqlog_open(const char *path, const struct scenario *scn, uint32_t n_parts,
                           char *err, size_t errlen);

/* The hook context of part i, whose rows carry `strategy` (kept by
 * pointer: it must outlive the log), for reqlog_on_request and
 * reqlog_on_attempt (sim_hooks.on_request, .on_attempt). */
void *reqlog_part(struct reqlog *l, uint32_t i, const char *strategy);
void reqlog_on_request(void *part, const struct sim_req_record *rec);
void reqlog_on_attempt(void *part, const struct sim_attempt_record *rec);

/* Rows written so far (all parts; call after the runs). */
uint64_t reqlog_rows(const struct reqlog *l);

/*
 * Concatenate the parts into FILE (atomically) and free the log, removing
 * every temporary file whatever happens.  0, or -1 with a message.
 */
int reqlog_finish(struct reqlog *l, char *err, size_t errlen);

/* Free the log and remove its temporary files without writing FILE. */
void reqlog_abort(struct reqlog *l);

#endif /* LBSIM_REQLOG_H */
