/*
 * calib.h - `lbsim calibrate`'s library: read measured serving figures
 * (a vLLM benchmark_serving --save-result JSON, or a per-request CSV), fit
 * a GPU pool's knobs by simulating the measured rates with sim_run, and
 * fit an API backend's latency block (prefix sim_calib_).  docs/calibrate.md
 * is the user's description; this header states the contracts.
 *
 * Library code: no printing, no clock, no seed of its own (the caller
 * passes it), no file writes.  The caller (sim/cli/cmd_calibrate.c) turns
 * each measured point into a scenario (sim_calib_arrivals gives the
 * requests it replays) and hands the loaded scenarios to
 * sim_calib_pool_fit, which changes only their pools[0].cfg knobs.
 */
#ifndef LBSIM_CALIB_H
#define LBSIM_CALIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"

/* Measured points (files, or rates) of one fit at most. */
#define SIM_CALIB_MAX_POINTS 16u
/* Rows (requests) one input may hold: a bound on memory, 10^7 requests. */
#define SIM_CALIB_MAX_ROWS 10000000u
/* Requests replayed per point at most (the first ones of its lengths):
 * bounds the fit's time (docs/calibrate.md "Cost"). */
#define SIM_CALIB_REPLAY_MAX 2000u

enum sim_calib_format {
    SIM_CALIB_VLLM_JSON = 1, /* benchmark_serving.py --save-result */
    SIM_CALIB_CSV = 2,       /* per-request rows */
};

/* One measured point: one benchmark file, or one CSV. */
struct sim_calib_point {
    enum sim_calib_format format;
    double rate_per_s;  /* req/s: request_rate (INFINITY for "inf": all at once), or CSV rows /
                           arrival span */
    uint32_t completed; /* successful requests */
    double duration_s;  /* first arrival to last completion */
    double ttft_p50_s;  /* median TTFT (NaN when absent) */
    double ttft_p99_s;  /* NaN when absent */
    double tpot_p50_s;  /* median time per output token after the first (NaN when absent) */
    double req_per_s;   /* completed / duration (NaN when absent) */
    double mean_in;     /* input tokens per request */
    double mean_out;    /* output tokens per request */
    uint32_t n;         /* per-request rows below (0: only the summary figures) */
    int64_t *in, *out;  /* tokens, n each (owned) */
    double *ttft_s;     /* n, CSV only (NULL for JSON) */
    double *e2e_s;      /* n, CSV only */
};

/*
 * Read one file into *pt (free with sim_calib_point_free).  The format is
 * told by its content: a first non-blank character '{' is a vLLM JSON,
 * anything else a CSV with a header.  Returns 0, BASE_ENOMEM, or
 * BASE_EINVAL with "path:line:col: found ..., expected ..." in err.
 */
int sim_calib_read(const char *path, struct sim_calib_point *pt, char *err, size_t errlen);
void sim_calib_point_free(struct sim_calib_point *pt);

/* The pool knobs a fit sets (scenario keys mfu, mem_eff, step_overhead,
 * server_overhead). */
struct sim_calib_knobs {
    double mfu, mem_eff;
    double step_overhead_ns, server_overhead_ns;
};

/* One request of a replay: arrival and lengths. */
struct sim_calib_req {
    int64_t arrival_ns;
    int64_t in, out;
};

/* The requests that replay point pt: min(completed or rows,
 * SIM_CALIB_REPLAY_MAX) Poisson arrivals at pt->rate_per_s from t = 0
 * (the first at 0, as benchmark_serving sends its first request at once;
 * every one at 0 when the rate is infinite, its "inf"), keyed by seed;
 * lengths are the point's rows in order (the means when it has none).
 * *out is malloc'ed (free it).  BASE_EINVAL when the rate is not above 0. */
int sim_calib_arrivals(const struct sim_calib_point *pt, uint64_t seed, struct sim_calib_req **out,
                       uint32_t *n, char *err, size_t errlen);

/* Simulated figures of one point. */
struct sim_calib_sim {
    double ttft_p50_s, ttft_p99_s, tpot_p50_s, req_per_s;
    uint32_t completed;
};

/* Set scn->pools[0]'s knobs to k (step-time coefficients derived again
 * from its profile, batch limits kept) and run it once under its router
 * strategy with `seed`.  BASE_EINVAL when the knobs are out of range. */
int sim_calib_simulate(struct scenario *scn, const struct sim_calib_knobs *k, uint64_t seed,
                       struct sim_calib_sim *out, char *err, size_t errlen);

/* Relative error of a simulated figure against the measured one. */
double sim_calib_rel(double sim, double measured);

struct sim_calib_fit {
    struct sim_calib_knobs k;
    struct sim_calib_sim sim[SIM_CALIB_MAX_POINTS];
    double residual; /* RMS of the relative errors of every figure used */
    uint32_t figures;
    uint32_t sims; /* sim_run calls made */
};

/* Simulation budget of one fit: the coarse grid (5 x 5 x 4 knob triples,
 * server overhead solved per triple) plus at most this many refinement
 * evaluations, each a run per point. */
#define SIM_CALIB_GRID_EVALS   100u
#define SIM_CALIB_REFINE_EVALS 60u

/*
 * Fit the knobs of scn[i]->pools[0] (one replica) so that the simulated
 * median TTFT, median TPOT and request throughput match pts[i] (figures
 * the point lacks are left out), minimising the mean squared log ratio.
 * Deterministic for a seed.  Leaves every scenario at the fitted knobs.
 */
int sim_calib_pool_fit(struct scenario *const *scn, const struct sim_calib_point *pts, uint32_t n,
                       uint64_t seed, struct sim_calib_fit *out, char *err, size_t errlen);

/* An API backend's latency fit from per-request rows (CSV). */
struct sim_calib_api {
    uint32_t rows;                           /* rows used */
    double ttft_median_s;                    /* of TTFT minus the prefill term */
    double ttft_p99_s;                       /* idem */
    double prefill_s_per_token;              /* the regression slope, or 0 when not used */
    double slope_s_per_token;                /* regression slope of TTFT on input tokens */
    double slope_se;                         /* its standard error (NaN when not computed) */
    bool inputs_vary;                        /* input lengths vary enough to regress on */
    bool slope_used;                         /* slope significant (t >= 2) and positive */
    uint32_t rate_rows;                      /* rows with output > 0 and e2e > ttft */
    double rate_median_tps;                  /* output tokens / (e2e - ttft) */
    double rate_p99_tps;                     /* the 99th percentile of that */
    double ttft_p50_meas_s, ttft_p99_meas_s; /* raw TTFT percentiles */
    double rate_p50_sim_tps, ttft_p50_sim_s, ttft_p99_sim_s; /* the fitted model's */
    double residual; /* RMS relative error of the four figures */
};

/* Smallest coefficient of variation of the input lengths that a
 * regression of TTFT on them may use (below it the slope is noise). */
#define SIM_CALIB_MIN_INPUT_CV 0.1

/* Fit from pt (a CSV point with ttft_s and e2e_s).  BASE_EINVAL when fewer
 * than 10 usable rows. */
int sim_calib_api_fit(const struct sim_calib_point *pt, struct sim_calib_api *out, char *err,
                      size_t errlen);

/* The residual above which `lbsim calibrate` exits 1: the fit does not
 * describe the measurements (docs/calibrate.md "Exit status"). */
#define SIM_CALIB_MAX_RESIDUAL 0.15

#endif /* LBSIM_CALIB_H */
