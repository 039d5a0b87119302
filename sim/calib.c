/*
 * calib.c - fitting a GPU pool's knobs and an API backend's latency block
 * to measurements (calib.h; the user's description is docs/calibrate.md).
 *
 * Pool fit.  Each measured point (one request rate) is replayed through
 * the engine (sim_run) on a one-replica scenario built by the caller; the
 * knobs move the profile's roofline coefficients
 * (pool_profile_perf_calib, models/pool_profiles.c) and the pool's
 * server_overhead.  The loss is the mean squared log ratio simulated /
 * measured over the figures a point has (median TTFT, median TPOT,
 * request throughput).  Search: a coarse grid over (mfu, mem_eff,
 * step_overhead) in which the server overhead is solved per triple as the
 * median TTFT shortfall (it adds to TTFT and takes no GPU time, pool.h),
 * then a compass search over the four knobs with halving steps.  Both are
 * bounded (SIM_CALIB_GRID_EVALS, SIM_CALIB_REFINE_EVALS) and deterministic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "calib.h"
#include "calib_int.h"
#include "err.h"
#include "rng.h"
#include "sim.h"

#define NS_PER_S 1e9

/* A loss term for a figure the simulation could not produce (no request
 * completed): far worse than any real mismatch (a 100x error is 21). */
#define CALIB_MISSING_LOSS 100.0

/* Knob ranges the search stays in: the profile's (0, 1] shares and
 * durations up to what any engine shows (a 20 ms step overhead is 3x the
 * whole H100 / 8B decode step; 10 s of server overhead is a broken
 * server). */
#define CALIB_MFU_MIN       0.05
#define CALIB_MEM_EFF_MIN   0.2
#define CALIB_STEP_MAX_NS   20e6
#define CALIB_SERVER_MAX_NS 10e9

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sim__calib_quantile(const double *v, uint32_t n, double q)
{
    if (n == 0)
        return NAN;
    double *s = malloc((size_t)n * sizeof *s);
    if (s == NULL)
        return NAN;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double h = q * (n - 1);
    uint32_t lo = (uint32_t)floor(h);
    uint32_t hi = lo + 1 < n ? lo + 1 : lo;
    double r = s[lo] + (h - lo) * (s[hi] - s[lo]);
    free(s);
    return r;
}

int sim__calib_csv_figures(struct sim_calib_point *pt)
{
    double *tp = malloc(((size_t)pt->n + 1) * sizeof *tp);
    if (tp == NULL)
        return BASE_ENOMEM;
    uint32_t k = 0;
    /* TPOT as vLLM defines it: (latency - ttft) / (output - 1), requests
     * with more than one output token. */
    for (uint32_t i = 0; i < pt->n; i++)
        if (pt->out[i] > 1)
            tp[k++] = (pt->e2e_s[i] - pt->ttft_s[i]) / (double)(pt->out[i] - 1);
    pt->tpot_p50_s = k ? sim__calib_quantile(tp, k, 0.5) : NAN;
    free(tp);
    pt->ttft_p50_s = sim__calib_quantile(pt->ttft_s, pt->n, 0.5);
    pt->ttft_p99_s = sim__calib_quantile(pt->ttft_s, pt->n, 0.99);
    return 0;
}

double sim_calib_rel(double sim, double measured)
{
    if (!isfinite(sim) || !isfinite(measured) || measured == 0)
        return NAN;
    return (sim - measured) / measured;
}

/* ---- replay ---------------------------------------------------------- */

/* Stream purpose of the replay arrivals. */
#define CALIB_STREAM_ARRIVALS 0xCA11B8A7Eull

int sim_calib_arrivals(const struct sim_calib_point *pt, uint64_t seed, struct sim_calib_req **out,
                       uint32_t *n, char *err, size_t errlen)
{
    if (!(pt->rate_per_s > 0)) {
        base_errf(err, errlen, "found a request rate of %g, expected a rate above 0",
                  pt->rate_per_s);
        return BASE_EINVAL;
    }
    uint32_t m = pt->n ? pt->n : pt->completed;
    if (m > SIM_CALIB_REPLAY_MAX)
        m = SIM_CALIB_REPLAY_MAX;
    if (m == 0) {
        base_errf(err, errlen, "found no request to replay, expected at least one");
        return BASE_EINVAL;
    }
    struct sim_calib_req *r = malloc((size_t)m * sizeof *r);
    if (r == NULL) {
        base_errf(err, errlen, "out of memory");
        return BASE_ENOMEM;
    }
    struct rng g;
    rng_stream(&g, seed, CALIB_STREAM_ARRIVALS);
    double t = 0;
    for (uint32_t i = 0; i < m; i++) {
        if (i > 0 && isfinite(pt->rate_per_s))
            t += -log(rng_unit_pos(&g)) / pt->rate_per_s;
        r[i].arrival_ns = (int64_t)llround(t * NS_PER_S);
        r[i].in = pt->n ? pt->in[i] : (int64_t)llround(pt->mean_in);
        r[i].out = pt->n ? pt->out[i] : (int64_t)llround(pt->mean_out);
        if (r[i].out < 1)
            r[i].out = 1;
    }
    *out = r;
    *n = m;
    return 0;
}

struct collect {
    double *ttft, *tpot;
    uint32_t n_ttft, n_tpot, cap;
    int64_t first_arrival, last_done;
    bool oom;
};

static void on_request(void *ctx, const struct sim_req_record *rec)
{
    struct collect *c = ctx;
    if (rec->final_status != 200 || rec->first_token_ns < 0 || rec->done_ns < 0)
        return;
    if (c->n_ttft == c->cap) {
        uint32_t nc = c->cap ? c->cap * 2 : 256;
        double *a = realloc(c->ttft, (size_t)nc * sizeof *a);
        if (a)
            c->ttft = a;
        double *b = realloc(c->tpot, (size_t)nc * sizeof *b);
        if (b)
            c->tpot = b;
        if (!a || !b) {
            c->oom = true;
            return;
        }
        c->cap = nc;
    }
    c->ttft[c->n_ttft++] = (double)(rec->first_token_ns - rec->arrival_ns) / NS_PER_S;
    if (rec->output_tokens > 1)
        c->tpot[c->n_tpot++] = (double)(rec->done_ns - rec->first_token_ns) / NS_PER_S /
                               (double)(rec->output_tokens - 1);
    if (c->first_arrival < 0 || rec->arrival_ns < c->first_arrival)
        c->first_arrival = rec->arrival_ns;
    if (rec->done_ns > c->last_done)
        c->last_done = rec->done_ns;
}

int sim_calib_simulate(struct scenario *scn, const struct sim_calib_knobs *k, uint64_t seed,
                       struct sim_calib_sim *out, char *err, size_t errlen)
{
    if (scn->n_pools < 1) {
        base_errf(err, errlen, "found a scenario without a pool, expected one");
        return BASE_EINVAL;
    }
    struct scn_pool *p = &scn->pools[0];
    struct pool_calib c = {k->mfu, k->mem_eff, k->step_overhead_ns};
    struct pool_perf perf;
    if (!(k->server_overhead_ns >= 0 && k->server_overhead_ns <= CALIB_SERVER_MAX_NS) ||
        pool_profile_perf_calib(p->profile, &c, &perf) != POOL_OK) {
        base_errf(err, errlen,
                  "found knobs mfu %g, mem_eff %g, step_overhead %g ns, server_overhead %g ns, "
                  "expected shares in (0, 1] and durations >= 0",
                  k->mfu, k->mem_eff, k->step_overhead_ns, k->server_overhead_ns);
        return BASE_EINVAL;
    }
    perf.max_batch = p->cfg.perf.max_batch; /* the engine preset's, not the profile's */
    p->cfg.perf = perf;
    p->cfg.server_overhead_ns = (int64_t)llround(k->server_overhead_ns);
    struct collect col = {.first_arrival = -1, .last_done = -1};
    struct sim_hooks hooks = {.on_request = on_request, .ctx = &col};
    struct sim_result res;
    int rc = sim_run(scn, &scn->router.strategy, seed, &hooks, &res, err, errlen);
    if (rc == 0)
        sim_result_free(&res);
    if (rc == 0 && col.oom) {
        base_errf(err, errlen, "out of memory");
        rc = BASE_ENOMEM;
    }
    if (rc == 0) {
        out->completed = col.n_ttft;
        out->ttft_p50_s = sim__calib_quantile(col.ttft, col.n_ttft, 0.5);
        out->ttft_p99_s = sim__calib_quantile(col.ttft, col.n_ttft, 0.99);
        out->tpot_p50_s = sim__calib_quantile(col.tpot, col.n_tpot, 0.5);
        out->req_per_s = col.last_done > col.first_arrival
                             ? col.n_ttft / ((double)(col.last_done - col.first_arrival) / NS_PER_S)
                             : NAN;
    }
    free(col.ttft);
    free(col.tpot);
    return rc;
}

/* ---- pool fit -------------------------------------------------------- */

static double log_term(double sim, double meas)
{
    if (!isfinite(meas) || !(meas > 0))
        return NAN; /* not measured: not a term */
    if (!isfinite(sim) || !(sim > 0))
        return CALIB_MISSING_LOSS;
    double d = log(sim / meas);
    return d * d;
}

/* The loss of simulated figures s[] against pts[], with `shift` seconds
 * added to every simulated TTFT; *figures = the terms counted. */
static double loss(const struct sim_calib_point *pts, const struct sim_calib_sim *s, uint32_t n,
                   double shift, uint32_t *figures)
{
    double sum = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        double t[3] = {log_term(s[i].ttft_p50_s + shift, pts[i].ttft_p50_s),
                       log_term(s[i].tpot_p50_s, pts[i].tpot_p50_s),
                       log_term(s[i].req_per_s, pts[i].req_per_s)};
        for (int j = 0; j < 3; j++)
            if (!isnan(t[j])) {
                sum += t[j];
                k++;
            }
    }
    if (figures)
        *figures = k;
    return k ? sum / k : NAN;
}

struct search {
    struct scenario *const *scn;
    const struct sim_calib_point *pts;
    uint32_t n;
    uint64_t seed;
    uint32_t sims;
    char *err;
    size_t errlen;
};

/* Run every point at knobs k into s[]; 0 or a sim_run error. */
static int eval(struct search *x, const struct sim_calib_knobs *k, struct sim_calib_sim *s)
{
    for (uint32_t i = 0; i < x->n; i++) {
        int rc = sim_calib_simulate(x->scn[i], k, x->seed, &s[i], x->err, x->errlen);
        x->sims++;
        if (rc)
            return rc;
    }
    return 0;
}

/* The server overhead that best closes the TTFT gap of s[]: the median
 * over points of measured - simulated median TTFT, at least 0. */
static double solve_server(const struct sim_calib_point *pts, const struct sim_calib_sim *s,
                           uint32_t n)
{
    double gap[SIM_CALIB_MAX_POINTS];
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (isfinite(pts[i].ttft_p50_s) && isfinite(s[i].ttft_p50_s))
            gap[k++] = pts[i].ttft_p50_s - s[i].ttft_p50_s;
    if (k == 0)
        return 0;
    double g = sim__calib_quantile(gap, k, 0.5);
    return g > 0 ? g : 0;
}

/* A weak pull towards the profile defaults (pool_calib_default; server
 * overhead 0): it breaks the ties of knobs the figures do not constrain
 * (one figure for four knobs; mem_eff against step_overhead, which the
 * medians see only as their sum) and is too weak to move a constrained
 * one: a knob twice its default costs what a 0.3% figure error does. */
#define CALIB_PRIOR_WEIGHT   1e-5
#define CALIB_PRIOR_SCALE_NS 1e6 /* durations: off by 1 ms costs one unit */

static double prior(const struct sim_calib_knobs *k)
{
    struct pool_calib d;
    pool_calib_default(&d);
    double a = (k->mfu - d.mfu) / d.mfu, b = (k->mem_eff - d.mem_eff) / d.mem_eff;
    double c = (k->step_overhead_ns - d.step_overhead_ns) / CALIB_PRIOR_SCALE_NS;
    double e = k->server_overhead_ns / CALIB_PRIOR_SCALE_NS;
    return CALIB_PRIOR_WEIGHT * (a * a + b * b + c * c + e * e);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int sim_calib_pool_fit(struct scenario *const *scn, const struct sim_calib_point *pts, uint32_t n,
                       uint64_t seed, struct sim_calib_fit *out, char *err, size_t errlen)
{
    if (n == 0 || n > SIM_CALIB_MAX_POINTS) {
        base_errf(err, errlen, "found %u measured points, expected 1 to %u", n,
                  SIM_CALIB_MAX_POINTS);
        return BASE_EINVAL;
    }
    memset(out, 0, sizeof *out);
    struct search x = {scn, pts, n, seed, 0, err, errlen};
    static const double g_mfu[] = {0.2, 0.35, 0.5, 0.65, 0.8};
    static const double g_mem[] = {0.5, 0.6, 0.7, 0.8, 0.9};
    static const double g_step_ms[] = {0, 0.5, 1.5, 3};
    struct sim_calib_sim s[SIM_CALIB_MAX_POINTS], best_s[SIM_CALIB_MAX_POINTS];
    struct sim_calib_knobs best = {0};
    double best_loss = INFINITY;
    for (size_t a = 0; a < sizeof g_mfu / sizeof g_mfu[0]; a++)
        for (size_t b = 0; b < sizeof g_mem / sizeof g_mem[0]; b++)
            for (size_t c = 0; c < sizeof g_step_ms / sizeof g_step_ms[0]; c++) {
                struct sim_calib_knobs k = {g_mfu[a], g_mem[b], g_step_ms[c] * 1e6, 0};
                int rc = eval(&x, &k, s);
                if (rc) {
                    out->sims = x.sims;
                    return rc;
                }
                double sv = solve_server(pts, s, n);
                k.server_overhead_ns = sv * NS_PER_S;
                double l = loss(pts, s, n, sv, NULL) + prior(&k);
                if (l < best_loss) {
                    best_loss = l;
                    best = k;
                }
            }
    /* The grid's best, simulated with its server overhead. */
    int rc = eval(&x, &best, best_s);
    if (rc) {
        out->sims = x.sims;
        return rc;
    }
    best_loss = loss(pts, best_s, n, 0, NULL) + prior(&best);
    /* Compass search: try +-step on each knob, move on the first
     * improvement, halve every step when none improves. */
    double step[4] = {0.075, 0.05, 0.25e6,
                      best.server_overhead_ns > 2e6 ? best.server_overhead_ns / 4 : 1e6};
    uint32_t evals = 0, halvings = 0;
    while (evals < SIM_CALIB_REFINE_EVALS && halvings < 5) {
        bool moved = false;
        for (int d = 0; d < 4 && !moved && evals < SIM_CALIB_REFINE_EVALS; d++)
            for (int sg = -1; sg <= 1 && !moved && evals < SIM_CALIB_REFINE_EVALS; sg += 2) {
                struct sim_calib_knobs k = best;
                double *v = d == 0   ? &k.mfu
                            : d == 1 ? &k.mem_eff
                            : d == 2 ? &k.step_overhead_ns
                                     : &k.server_overhead_ns;
                double lo = d == 0 ? CALIB_MFU_MIN : d == 1 ? CALIB_MEM_EFF_MIN : 0;
                double hi = d <= 1 ? 1.0 : d == 2 ? CALIB_STEP_MAX_NS : CALIB_SERVER_MAX_NS;
                double nv = clampd(*v + sg * step[d], lo, hi);
                if (nv == *v)
                    continue;
                *v = nv;
                rc = eval(&x, &k, s);
                evals++;
                if (rc) {
                    out->sims = x.sims;
                    return rc;
                }
                double l = loss(pts, s, n, 0, NULL) + prior(&k);
                if (l < best_loss) {
                    best_loss = l;
                    best = k;
                    memcpy(best_s, s, sizeof s[0] * n);
                    moved = true;
                }
            }
        if (!moved) {
            for (int d = 0; d < 4; d++)
                step[d] /= 2;
            halvings++;
        }
    }
    /* Leave the scenarios at the fitted knobs (their last run was the
     * last candidate, maybe not the best). */
    for (uint32_t i = 0; i < n; i++) {
        rc = sim_calib_simulate(scn[i], &best, seed, &best_s[i], err, errlen);
        x.sims++;
        if (rc) {
            out->sims = x.sims;
            return rc;
        }
    }
    out->k = best;
    memcpy(out->sim, best_s, sizeof best_s[0] * n);
    double sq = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        double r[3] = {sim_calib_rel(best_s[i].ttft_p50_s, pts[i].ttft_p50_s),
                       sim_calib_rel(best_s[i].tpot_p50_s, pts[i].tpot_p50_s),
                       sim_calib_rel(best_s[i].req_per_s, pts[i].req_per_s)};
        double m[3] = {pts[i].ttft_p50_s, pts[i].tpot_p50_s, pts[i].req_per_s};
        for (int j = 0; j < 3; j++) {
            /* A measured figure the replay could not produce (no request
             * completed: too big for the KV) counts as a 100% error. */
            if (!isfinite(r[j]) && isfinite(m[j]) && m[j] > 0)
                r[j] = 1.0;
            if (isfinite(r[j])) {
                sq += r[j] * r[j];
                k++;
            }
        }
    }
    out->figures = k;
    out->residual = k ? sqrt(sq / k) : NAN;
    out->sims = x.sims;
    return 0;
}

/* ---- API fit --------------------------------------------------------- */

/* z of the lognormal's p99: Phi^-1(0.99). */
#define CALIB_Z99 2.3263478740408408

/* Rows an API fit needs at least. */
#define CALIB_API_MIN_ROWS 10u

int sim_calib_api_fit(const struct sim_calib_point *pt, struct sim_calib_api *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    uint32_t n = pt->n;
    if (pt->ttft_s == NULL || n < CALIB_API_MIN_ROWS) {
        base_errf(err, errlen, "found %u request rows, expected at least %u with ttft and e2e", n,
                  CALIB_API_MIN_ROWS);
        return BASE_EINVAL;
    }
    double *buf = malloc((size_t)n * 2 * sizeof *buf);
    if (buf == NULL) {
        base_errf(err, errlen, "out of memory");
        return BASE_ENOMEM;
    }
    double *base = buf, *rate = buf + n;
    out->rows = n;
    out->ttft_p50_meas_s = sim__calib_quantile(pt->ttft_s, n, 0.5);
    out->ttft_p99_meas_s = sim__calib_quantile(pt->ttft_s, n, 0.99);
    /* Ordinary least squares of TTFT on input tokens. */
    double mx = 0, my = 0;
    for (uint32_t i = 0; i < n; i++) {
        mx += (double)pt->in[i];
        my += pt->ttft_s[i];
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (uint32_t i = 0; i < n; i++) {
        double dx = (double)pt->in[i] - mx;
        sxx += dx * dx;
        sxy += dx * (pt->ttft_s[i] - my);
    }
    double sdx = sqrt(sxx / (n - 1));
    out->inputs_vary = mx > 0 && sdx / mx >= SIM_CALIB_MIN_INPUT_CV;
    out->slope_s_per_token = NAN;
    out->slope_se = NAN;
    if (sxx > 0) {
        double b = sxy / sxx, a = my - b * mx, rss = 0;
        for (uint32_t i = 0; i < n; i++) {
            double r = pt->ttft_s[i] - a - b * (double)pt->in[i];
            rss += r * r;
        }
        out->slope_s_per_token = b;
        out->slope_se = sqrt(rss / (n - 2) / sxx);
    }
    out->slope_used = out->inputs_vary && out->slope_s_per_token > 0 &&
                      out->slope_s_per_token >= 2 * out->slope_se;
    out->prefill_s_per_token = out->slope_used ? out->slope_s_per_token : 0;
    /* The lognormal of TTFT less the prefill term (the model adds them,
     * models/api.h); rows the term would make <= 0 are left out. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        double v = pt->ttft_s[i] - out->prefill_s_per_token * (double)pt->in[i];
        if (v > 0)
            base[k++] = v;
    }
    out->ttft_median_s = sim__calib_quantile(base, k, 0.5);
    out->ttft_p99_s = sim__calib_quantile(base, k, 0.99);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (pt->out[i] > 0 && pt->e2e_s[i] > pt->ttft_s[i])
            rate[m++] = (double)pt->out[i] / (pt->e2e_s[i] - pt->ttft_s[i]);
    out->rate_rows = m;
    out->rate_median_tps = sim__calib_quantile(rate, m, 0.5);
    out->rate_p99_tps = sim__calib_quantile(rate, m, 0.99);
    /* The fitted model's TTFT at the measured inputs: the lognormal's
     * quantiles (stratified, (j + 0.5) / n, spread over the rows by a
     * fixed stride so they do not follow the input order) + the prefill
     * term; its median and p99 against the measured ones. */
    double mu = log(out->ttft_median_s);
    double sig = out->ttft_p99_s > out->ttft_median_s
                     ? log(out->ttft_p99_s / out->ttft_median_s) / CALIB_Z99
                     : 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t j = ((uint64_t)i * 7919u) % n;
        double z = gsl_cdf_ugaussian_Pinv(((double)j + 0.5) / n);
        base[i] = exp(mu + sig * z) + out->prefill_s_per_token * (double)pt->in[i];
    }
    out->ttft_p50_sim_s = sim__calib_quantile(base, n, 0.5);
    out->ttft_p99_sim_s = sim__calib_quantile(base, n, 0.99);
    out->rate_p50_sim_tps = out->rate_median_tps;
    free(buf);
    double r[3] = {sim_calib_rel(out->ttft_p50_sim_s, out->ttft_p50_meas_s),
                   sim_calib_rel(out->ttft_p99_sim_s, out->ttft_p99_meas_s),
                   sim_calib_rel(out->rate_p50_sim_tps, out->rate_median_tps)};
    double sq = 0;
    uint32_t c = 0;
    for (int j = 0; j < 3; j++)
        if (isfinite(r[j])) {
            sq += r[j] * r[j];
            c++;
        }
    out->residual = c ? sqrt(sq / c) : NAN;
    if (k < CALIB_API_MIN_ROWS || m == 0) {
        base_errf(err, errlen,
                  "found %u rows with a positive TTFT and %u with output tokens after the first "
                  "token, expected at least %u and 1",
                  k, m, CALIB_API_MIN_ROWS);
        return BASE_EINVAL;
    }
    return 0;
}
