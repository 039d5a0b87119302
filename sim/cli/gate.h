/*
 * gate.h - `lbsim gate`: budgets, paired comparisons and verdicts (prefix
 * gate_), and the reports CI systems read (gate_out.c).
 *
 * The gate runs a baseline and a candidate scenario on the same R
 * replication seeds (common random numbers: sim_rep_seed), pairs each
 * candidate strategy with the same-labelled baseline one, and for each
 * gated metric takes the R paired differences d_r = candidate_r -
 * baseline_r with their 95% t-interval (stats_mean_ci; Law, "Simulation
 * Modeling and Analysis", 5th ed., section 10.2.1).  A budget is a
 * threshold on that difference: the metric regresses when the whole
 * interval lies beyond the threshold, is unsure when the interval contains
 * it, and passes when the whole interval is within it.  Identical
 * scenarios give d_r = 0 exactly (the engine is deterministic), so the
 * interval is [0, 0] and every budget >= 0 passes.
 */
#ifndef LBSIM_GATE_H
#define LBSIM_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"

/* Default replications: with R = 10 the t quantile is t(0.975, 9) = 2.262,
 * 15% wider than the normal 1.960 a large R would give, while R = 5 would
 * be 2.776 (42% wider).  Paired differences under common random numbers
 * are far less noisy than the metrics themselves, so 10 pairs usually
 * resolve a change of a few percent; 2 x 10 runs per strategy keeps a CI
 * job to seconds on the bundled examples. */
#define GATE_DEFAULT_REPS 10u

/* Default budgets (the allowed worsening of the mean paired difference):
 *  - ttft_p99 +5%: the tail users notice; smaller moves are within the
 *    run-to-run noise of a p99 over a few thousand requests;
 *  - client_429_rate +0.1pp and error_rate +0.1pp: one request in a
 *    thousand more failing is already a visible incident rate;
 *  - cost_per_1k_requests +2%: a routing change that quietly costs 2%
 *    more is the kind of drift a review should see. */
#define GATE_DEFAULT_TTFT_P99_REL 0.05
#define GATE_DEFAULT_429_PP       0.001
#define GATE_DEFAULT_ERROR_PP     0.001
#define GATE_DEFAULT_COST_1K_REL  0.02

enum gate_verdict {
    GATE_PASS = 0,
    GATE_NA,     /* undefined (NaN) in every replication of both sides: not gated */
    GATE_UNSURE, /* the interval contains the threshold */
    GATE_REGRESS,
};

/* How a budget's DELTA is written. */
enum gate_delta {
    GATE_DELTA_REL, /* +5%: of the baseline mean */
    GATE_DELTA_PP,  /* +0.1pp: percentage points of a rate */
    GATE_DELTA_ABS, /* +200ms, +$0.05: in the metric's unit */
};

/* The unit of a metric's values. */
enum gate_unit { GATE_UNIT_SECONDS, GATE_UNIT_FRACTION, GATE_UNIT_USD };

struct gate_budget {
    enum scn_slo_metric metric;
    enum gate_delta kind;
    double delta;  /* signed: a fraction of the mean (REL), a fraction (PP),
                      seconds or USD (ABS) */
    char text[40]; /* DELTA as written, or the default's spelling */
};

/* Mean and 95% interval over the replications. */
struct gate_stat {
    double mean, lo, hi;
};

/* One strategy x metric. */
struct gate_cmp {
    struct gate_budget budget;
    struct gate_stat base, cand, diff; /* diff: paired, candidate - baseline */
    double threshold;                  /* the budget as a bound on diff */
    enum gate_verdict verdict;
};

/* Every metric a budget may name: the slo: metrics (scn_slo_name) and
 * "cost_per_1k" for cost_per_1k_requests. */
enum gate_unit gate_metric_unit(enum scn_slo_metric m);

/* The default budgets, one per default metric, into b[] (at least
 * SCN_SLO_COUNT_ entries); returns their count. */
uint32_t gate_default_budgets(struct gate_budget *b);

/* "METRIC=DELTA" -> *out.  DELTA: [+|-]N% (relative), [+|-]Npp (rates),
 * [+|-]N<duration unit> (latencies: 200ms, 1s), [+|-]$N (cost).  No sign
 * is the metric's worsening direction (+, or - for completion_rate).
 * 0, or -1 with "found ..., expected ..." in err. */
int gate_budget_parse(const char *arg, struct gate_budget *out, char *err, size_t errlen);

/* Set budget b over the list b[0..*n) (replacing the same metric's, else
 * appended), keeping the list in metric order. */
void gate_budget_put(struct gate_budget *list, uint32_t *n, const struct gate_budget *b);

/* Compare R replications of one strategy (base[r], cand[r] on the same
 * seeds) on the budget's metric into *out. */
void gate_compare(const struct sim_result *base, const struct sim_result *cand, uint32_t R,
                  const struct gate_budget *b, struct gate_cmp *out);

/* "pass", "n/a", "unsure", "REGRESSION". */
const char *gate_verdict_name(enum gate_verdict v);

/* ---- reports (gate_out.c) ------------------------------------------------- */

/* One side of the comparison. */
struct gate_side {
    const char *label; /* the path, or "REV:path" with --against */
    const char *name;  /* the scenario's name: */
    char fingerprint[SCN_FINGERPRINT_LEN];
};

/* A candidate strategy against its baseline counterpart. */
struct gate_pair {
    char strategy[SCN_NAME_MAX];      /* the candidate's label */
    char base_strategy[SCN_NAME_MAX]; /* the baseline's */
    struct gate_cmp cmp[SCN_SLO_COUNT_];
    uint32_t n_cmp;
    enum gate_verdict verdict; /* the worst of cmp[] */
};

struct gate_report {
    const char *version; /* lbsim's */
    struct gate_side base, cand;
    uint64_t seed;
    uint32_t reps;
    const uint64_t *seeds; /* reps replication seeds */
    bool unsure_pass;      /* --unsure pass */
    struct gate_pair *pairs;
    uint32_t n_pairs;
    const char *const *skipped; /* candidate strategies with no baseline */
    uint32_t n_skipped;
    const char *repro;         /* the command that reproduces this */
    enum gate_verdict verdict; /* the worst of the pairs */
};

/* Whether the report fails the gate (a regression; unsure unless
 * --unsure pass). */
bool gate_failed(const struct gate_report *g);

void gate_write_table(FILE *f, const struct gate_report *g);
void gate_write_markdown(FILE *f, const struct gate_report *g);
void gate_write_junit(FILE *f, const struct gate_report *g);
void gate_write_json(FILE *f, const struct gate_report *g);

#endif /* LBSIM_GATE_H */
