/*
 * report.h - the CLI's outputs (prefix report_): the summary table, the
 * summary JSON (stable keys, see README "Summary JSON"), the time-series
 * CSV and the plot inputs.  CLI layer: these write to the streams and
 * directories they are given and nothing else.
 *
 * Results aggregated over replications (rep.replications > 1, sim.h) add
 * their intervals, verdicts and paired differences to the table and the
 * JSON (docs/metrics.md, "Replications"); single runs print as before.
 *
 * Numbers are printed with fixed formats ("%.17g" is never used for
 * metrics) so that the same results give byte-identical files.
 */
#ifndef LBSIM_REPORT_H
#define LBSIM_REPORT_H

#include <stdio.h>

#include "sim.h"

/* Human summary: one row per run. */
void report_table(FILE *f, const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                  uint32_t n);

/* The table per value of one label kind (`lbsim run --by KIND`): rows
 * strategy x value, the columns of report_table (metrics.def) over the
 * value's requests, and its label SLOs' verdict. */
void report_table_by(FILE *f, const struct scenario *scn, const struct sim_result *res, uint32_t n,
                     enum scn_label_kind kind);

/* Why run r measured no request (sim_result.no_data), the end of a line
 * the caller began ("lbsim: "):
 * every request in the warm-up, every trace row skipped, or no traffic at
 * all; and that the verdict is "no data", a failure (exit 1). */
void report_no_data(FILE *f, const struct scenario *scn, const struct sim_result *r);

/* Summary JSON: {"scenario", "seed", "runs": [...]} */
void report_json(FILE *f, const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                 uint32_t n);

/* What produced a summary, so a stored one says what it can be compared
 * with: the lbsim version and the scenario fingerprint (scn_fingerprint:
 * the scenario file, its --set overrides, its trace files). */
struct report_origin {
    const char *version;
    const char *fingerprint;
    const struct scn_set *sets; /* the --set overrides, for report.html (NULL: none) */
    uint32_t n_sets;
    uint32_t tpar_windows; /* --time-parallel W (0: not; no "time_parallel" key) */
    double tpar_overlap_s;
};

/* report_json with {"lbsim": {"version"}, "fingerprint"} first (origin
 * NULL: exactly report_json). */
void report_json_origin(FILE *f, const struct report_origin *origin, const struct scenario *scn,
                        uint64_t seed, const struct sim_result *res, uint32_t n);

/* The run objects of res[0..n) as a JSON array, exactly as inside
 * report_json's "runs", indented for an array that opens at nesting depth
 * `depth` (2 spaces a level): for documents that embed runs (sweep points,
 * plans).  The caller writes the key before it; no newline after. */
void report_json_runs(FILE *f, int depth, const struct sim_result *res, uint32_t n);

/* s as a JSON string (escaped, invalid UTF-8 replaced). */
void report_json_string(FILE *f, const char *s);

/* Time series of every run, long format: one row per (strategy, interval). */
void report_timeseries_csv(FILE *f, const struct sim_result *res, uint32_t n);

/* timeseries_backends.csv: one row per run x interval x backend:
 * strategy,t_s,backend,attempts,successes,upstream_429,errors,cost_usd,
 * healthy (struct sim_ts_backend; healthy 1/0 at the interval's end). */
void report_timeseries_backends_csv(FILE *f, const struct sim_result *res, uint32_t n);

/* Write plot data and scripts into dir (ttft_cdf, bars, timeseries).
 * Fills names[] with the plot base names written (at most max_names) and
 * returns their count, or -1 with a message. */
int report_plots(const char *dir, const struct sim_result *res, uint32_t n, const char **names,
                 int max_names, char *err, size_t errlen);

#endif /* LBSIM_REPORT_H */
