/*
 * trace_synth.c - the synthetic request source: an arrival process, token
 * sizes, optional multi-turn sessions and labels by share.
 *
 * Arrival processes (cfg->arrivals), all drawn from the stream
 * rng_stream(seed, RNG_ARRIVALS), on a running clock in double seconds of
 * trace time: one running sum, so no rounding builds up in the int64 ns
 * values. Each arrival is converted to ns, then divided by rate_scale like
 * a file trace:
 *
 *   POISSON  exponential gaps, -log(U) / rate.
 *   GAMMA    renewal process with Gamma gaps of mean 1/r and CV c: shape
 *            k = 1/c^2, scale 1/(r k) (gsl_ran_gamma, Marsaglia and Tsang
 *            2000).
 *   WEIBULL  renewal process with Weibull gaps of mean 1/r and CV c: the
 *            shape k solves c^2 = G(1+2/k) / G(1+1/k)^2 - 1 (G the Gamma
 *            function; bisection on log k with gsl_sf_lngamma, the CV is
 *            strictly decreasing in k), scale 1/(r G(1+1/k))
 *            (gsl_ran_weibull).
 *            Both renewal processes start stationary (Cox, "Renewal
 *            theory", 1962, §5.2): the first gap is the forward recurrence
 *            time U * L, with L the length-biased gap (Gamma(k+1, scale) for
 *            Gamma; scale * Gamma(1 + 1/k, 1)^(1/k) for Weibull), so the
 *            expected count in any interval [0, T) is exactly r T, not
 *            r T + (c^2 - 1) / 2 as for a process started at an arrival.
 *   MMPP     a cyclic Markov-modulated Poisson process: state i has the
 *            Poisson rate lambda_i (0 allowed: an on-off source is the
 *            2-state case with one rate 0) and an exponential dwell time of
 *            mean d_i; states are visited in the order 0, 1, .., n-1, 0, ..
 *            The first state is drawn from the stationary distribution
 *            (probability d_i / sum d) with an exponential residual dwell
 *            (memoryless), so the process is stationary from t = 0 with
 *            mean rate sum(lambda_i d_i) / sum(d_i).  Arrivals within a
 *            state are Poisson; at a state switch the pending gap is
 *            discarded and redrawn (exact, by memorylessness), so the
 *            switch times are carried exactly.
 *   DIURNAL  a non-homogeneous Poisson process by thinning (Lewis and
 *            Shedler, "Simulation of nonhomogeneous Poisson processes by
 *            thinning", Naval Res. Logistics Quarterly 26(3), 1979):
 *            candidates at the maximum rate, each kept with probability
 *            lambda(t) / max.  lambda(t) = rate (1 + a sin(2 pi (t - phase)
 *            / period)), a in [0, 1], period 24 h by default; or, with
 *            n_table > 0, a piecewise-constant table of rates (repeating
 *            every diurnal_period_ns when that is > 0, else the last step
 *            lasts for ever).
 *   SCHEDULE deterministic on windows at fixed times (a batch job at 02:00,
 *            a load test from 10m to 20m): inside window [start, end) at
 *            rate r, arrivals are Poisson (exponential gaps from start,
 *            the first gap past end discarded: exact by memorylessness)
 *            or evenly spaced at start + k / r, k = 0, 1, .. (computed
 *            from start, not summed, so no rounding builds up); nothing
 *            arrives between windows, and the source ends after the last
 *            one.  Unlike MMPP, whose dwell times are exponential with a
 *            random initial state, the windows open and close when asked.
 *
 * Token sizes are dist_sample() draws on rng_stream(seed, RNG_SIZES) (input
 * then output, per request, in emission order), rounded to the nearest
 * integer and clamped to >= 0.  Separate streams keep sizes independent of
 * the arrival process: changing the rate does not change the sizes.
 *
 * Sessions (cfg->sessions != 0): every arrival of the process starts a
 * session of `turns` requests (rounded, >= 1; stream RNG_SESSIONS, which
 * also gives the think times).  Turn 1's input is a draw of input_tokens;
 * turn k + 1 arrives think_s seconds (a draw, >= 0) after turn k and its
 * input is turn k's input + turn k's output + a new draw of input_tokens:
 * the conversation grows.  All turns share rec.session, a hash of the
 * session counter (non-zero).  Every request of a session carries prefix
 * blocks of 512 tokens (the block size of the Mooncake trace, Qin et al.,
 * FAST 2025): ceil(input / 512) ids, turn k + 1's being turn k's ids
 * followed by new unique ids, so consecutive turns share a growing prefix
 * (as a router with a prefix cache sees it: the previous turn's blocks are
 * cached and hit).  Ids are a bijective hash of a per-source counter, so
 * they are unique within a source.  Pending turns of open sessions wait in
 * a min-heap ordered by arrival (base/heap.h; exactly one per open session) and
 * are merged with the process's next arrival, so records come out in
 * non-decreasing arrival order; a session's blocks are freed when it ends.
 * Memory is O(open sessions x their blocks), independent of the trace
 * length.
 *
 * Labels by share (cfg->labels): per kind, one uniform draw picks the value
 * whose cumulative share interval holds it (shares per kind sum to <= 1; the
 * rest stays unset).  The draw comes from rng_keyed(seed, RNG_LABELS, key):
 * key is the request index, or the session index with sessions (a
 * conversation keeps its tenant, task, ...), so labels disturb no other
 * stream.
 *
 * The source stops after `count` requests or at the first arrival at or
 * after `duration_ns` (simulated time, after rate_scale), whichever comes
 * first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "heap.h"
#include "trace_int.h"

/* The default diurnal period: one day, in ns. */
#define DAY_NS INT64_C(86400000000000)
/* Tokens per prefix block: Mooncake's hash_ids (Qin et al., FAST 2025). */
#define BLOCK_TOKENS 512
/* Blocks kept per request: 2^16 x 512 = 33.5M tokens, past any context
 * window; the ids of a longer prompt cover its first 33.5M tokens. */
#define MAX_BLOCKS 65536u
/* Token counts are clamped to this (a sum of three stays within int64). */
#define MAX_TOKENS 1e18
/* Bracket of the Weibull shape search: k = 0.02 gives a CV of ~1e16,
 * k = 1000 a CV of ~0.0013. */
#define WEIBULL_K_LO 0.02
#define WEIBULL_K_HI 1000.0
/* Bisection steps on log k: 200 halvings of a bracket of width ~11. */
#define WEIBULL_ITERS 200
/* Slack on "shares per kind sum to <= 1" for rounding in decimal input. */
#define SHARE_SLACK 1e-9
/* Largest arrival in ns before int64 overflow (~292 years). */
#define NS_HORIZON 9.2e18
/* Salts that separate the session keys and block ids of one seed. */
#define SESSION_SALT UINT64_C(0x5E55A0F1D2C3B4A5)
#define BLOCK_SALT   UINT64_C(0xB10C5A17E3D2C1B0)
/* 2 pi (M_PI is not in strict C11/POSIX). */
#define TWO_PI 6.283185307179586476925286766559

struct session {
    uint64_t key;
    double next_s;       /* the next turn's arrival, trace seconds */
    uint64_t turns_left; /* turns still to come after the one emitted */
    int64_t prev_in, prev_out;
    uint32_t label[TRACE_LABEL_KINDS_];
    uint64_t *blocks;
    uint32_t n_blocks, cap_blocks;
    uint32_t next_free; /* free-list link (index + 1, 0 = end) */
};

struct label_pick {
    uint32_t n;
    uint32_t id[TRACE_MAX_LABEL_SHARES];
    double cum[TRACE_MAX_LABEL_SHARES]; /* cumulative shares */
};

struct trace_synth_state {
    struct rng arrivals, sizes, sess;
    uint64_t seed;
    struct dist input, output, turns, think;
    int have_input, have_output, have_turns, have_think;
    enum trace_arrivals kind;
    double rate;
    double shape, scale; /* Gamma: shape, scale; Weibull: shape k, scale */
    int started;         /* the first (stationary) gap has been drawn */
    /* MMPP */
    uint32_t n_states, state;
    double mrate[TRACE_MMPP_MAX_STATES], mdwell[TRACE_MMPP_MAX_STATES];
    double state_end_s;
    /* diurnal */
    double amp, period_s, phase_s, lmax;
    uint32_t n_table;
    double *tab_t_s, *tab_rate;
    /* schedule: its windows (copied), the current one and its arrival count */
    uint32_t n_win, win;
    struct trace_window *wins;
    uint64_t win_k;
    /* limits */
    uint64_t count;
    int64_t duration_ns;
    /* the process */
    double t_s;      /* its clock, trace seconds */
    int proc_done;   /* past the int64 ns horizon */
    int have_next;   /* next_s / next_ns hold its next arrival */
    double next_s;   /* trace seconds */
    int64_t next_ns; /* trace ns (before rate_scale) */
    uint64_t n;      /* records emitted */
    int done;
    /* sessions */
    int sessions;
    struct session *ses;
    uint32_t n_ses, cap_ses, free_head; /* slots used, allocated; free list (index + 1) */
    struct heap pending;                /* t_ns = next turn (trace ns), idx = slot */
    uint64_t n_sessions, n_block_ids;
    uint32_t release; /* slot + 1 to free at the next call, 0 = none */
    /* labels */
    struct label_pick pick[TRACE_LABEL_KINDS_];
    int any_labels;
};

static inline int64_t round_tokens(double x)
{
    if (!(x > 0)) /* negative or NaN */
        return 0;
    if (x > MAX_TOKENS)
        return (int64_t)MAX_TOKENS;
    /* llround for 0 < x <= 1e18 < 2^63: dist_llround's positive case (its
     * range test and the round-down test for negatives cannot apply) */
    long long i = (long long)x;
    return i + (x - (double)i >= 0.5);
}

/* ln(1 + CV^2) of a Weibull of shape k: ln G(1+2/k) - 2 ln G(1+1/k). */
static double weibull_log1p_cv2(double k)
{
    return gsl_sf_lngamma(1.0 + 2.0 / k) - 2.0 * gsl_sf_lngamma(1.0 + 1.0 / k);
}

double trace__weibull_shape_for_cv(double cv)
{
    double target = log1p(cv * cv);
    double lo = log(WEIBULL_K_LO), hi = log(WEIBULL_K_HI);
    if (!(target <= weibull_log1p_cv2(WEIBULL_K_LO)) ||
        !(target >= weibull_log1p_cv2(WEIBULL_K_HI)))
        return 0.0;
    for (int i = 0; i < WEIBULL_ITERS && hi - lo > 1e-15; i++) {
        double mid = 0.5 * (lo + hi);
        if (weibull_log1p_cv2(exp(mid)) > target)
            lo = mid; /* CV too high: a larger shape */
        else
            hi = mid;
    }
    return exp(0.5 * (lo + hi));
}

/* ---- the arrival processes ---------------------------------------------- */

static inline double draw_exp(struct rng *r, double rate)
{
    return -log(rng_unit_pos(r)) / rate;
}

void trace__weibull_cv_range(double *lo, double *hi)
{
    *lo = sqrt(expm1(weibull_log1p_cv2(WEIBULL_K_HI)));
    *hi = sqrt(expm1(weibull_log1p_cv2(WEIBULL_K_LO)));
}

double trace__renewal_gap(struct rng *r, int gamma, double shape, double scale, int *started)
{
    gsl_rng g = rng_as_gsl(r);
    if (!*started) {
        /* The stationary forward recurrence time: U x length-biased gap. */
        *started = 1;
        double u = rng_unit(r);
        if (gamma)
            return u * gsl_ran_gamma(&g, shape + 1.0, scale);
        return u * scale * pow(gsl_ran_gamma(&g, 1.0 + 1.0 / shape, 1.0), 1.0 / shape);
    }
    if (gamma)
        return gsl_ran_gamma(&g, shape, scale);
    return gsl_ran_weibull(&g, scale, shape);
}

static double renewal_gap(struct trace_synth_state *s)
{
    return trace__renewal_gap(&s->arrivals, s->kind == TRACE_ARR_GAMMA, s->shape, s->scale,
                              &s->started);
}

static double diurnal_rate(const struct trace_synth_state *s, double t)
{
    if (s->n_table == 0)
        return s->rate * (1.0 + s->amp * sin(TWO_PI * (t - s->phase_s) / s->period_s));
    double tt = t;
    if (s->period_s > 0)
        tt = fmod(t, s->period_s);
    /* The last step that starts at or before tt (the first starts at 0). */
    uint32_t lo = 0, hi = s->n_table;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->tab_t_s[mid] <= tt)
            lo = mid;
        else
            hi = mid;
    }
    return s->tab_rate[lo];
}

/* The next arrival of a schedule into s->t_s; +infinity after the last
 * window (the caller then ends the source). */
static void schedule_next(struct trace_synth_state *s)
{
    while (s->win < s->n_win) {
        const struct trace_window *w = &s->wins[s->win];
        double start = (double)w->start_ns / 1e9, end = (double)w->end_ns / 1e9, t;
        if (w->constant)
            t = start + (double)s->win_k / w->rate_per_s;
        else
            t = (s->win_k == 0 ? start : s->t_s) + draw_exp(&s->arrivals, w->rate_per_s);
        if (t < end) {
            s->win_k++;
            s->t_s = t;
            return;
        }
        s->win++;
        s->win_k = 0;
    }
    s->t_s = INFINITY;
}

/* Advance the process clock to its next arrival (trace seconds). */
static void process_next(struct trace_synth_state *s)
{
    switch (s->kind) {
    case TRACE_ARR_POISSON:
        s->t_s += draw_exp(&s->arrivals, s->rate);
        return;
    case TRACE_ARR_GAMMA:
    case TRACE_ARR_WEIBULL:
        s->t_s += renewal_gap(s);
        return;
    case TRACE_ARR_MMPP:
        for (;;) {
            double lam = s->mrate[s->state];
            if (lam > 0) {
                double t = s->t_s + draw_exp(&s->arrivals, lam);
                if (t < s->state_end_s) {
                    s->t_s = t;
                    return;
                }
            }
            s->t_s = s->state_end_s;
            s->state = (s->state + 1) % s->n_states;
            s->state_end_s += draw_exp(&s->arrivals, 1.0 / s->mdwell[s->state]);
            if (!(s->t_s < NS_HORIZON / 1e9))
                return;
        }
    case TRACE_ARR_DIURNAL:
        for (;;) {
            s->t_s += draw_exp(&s->arrivals, s->lmax);
            if (rng_unit(&s->arrivals) * s->lmax < diurnal_rate(s, s->t_s))
                return;
            if (!(s->t_s < NS_HORIZON / 1e9))
                return;
        }
    case TRACE_ARR_SCHEDULE:
        schedule_next(s);
        return;
    }
}

/* ---- open ---------------------------------------------------------------- */

static int check_windows(struct trace_src *src, struct trace_synth_state *s,
                         const struct trace_synth *cfg)
{
    if (cfg->n_windows < 1 || !cfg->windows) {
        trace__fail(src, "synthetic trace: found a schedule without windows, expected at least "
                         "one window");
        return -1;
    }
    for (uint32_t i = 0; i < cfg->n_windows; i++) {
        const struct trace_window *w = &cfg->windows[i];
        if (w->start_ns < 0 || w->end_ns <= w->start_ns) {
            trace__fail(src,
                        "synthetic trace: found schedule window %u from %lld ns to %lld ns, "
                        "expected 0 <= start < end",
                        i, (long long)w->start_ns, (long long)w->end_ns);
            return -1;
        }
        if (i > 0 && w->start_ns < cfg->windows[i - 1].end_ns) {
            trace__fail(src,
                        "synthetic trace: found schedule window %u starting at %lld ns, expected "
                        "a start at or after the end of window %u (%lld ns)",
                        i, (long long)w->start_ns, i - 1, (long long)cfg->windows[i - 1].end_ns);
            return -1;
        }
        if (!(w->rate_per_s > 0) || !isfinite(w->rate_per_s)) {
            trace__fail(src, "synthetic trace: found schedule window %u rate %g/s, expected > 0", i,
                        w->rate_per_s);
            return -1;
        }
    }
    s->wins = malloc((size_t)cfg->n_windows * sizeof *s->wins);
    if (!s->wins) {
        trace__fail(src, "synthetic trace: out of memory");
        return -1;
    }
    memcpy(s->wins, cfg->windows, (size_t)cfg->n_windows * sizeof *s->wins);
    s->n_win = cfg->n_windows;
    return 0;
}

static int check_arrivals(struct trace_src *src, struct trace_synth_state *s,
                          const struct trace_synth *cfg)
{
    s->kind = cfg->arrivals;
    int needs_rate = 1;
    switch (cfg->arrivals) {
    case TRACE_ARR_POISSON:
        break;
    case TRACE_ARR_GAMMA:
        if (!(cfg->cv > 0) || !isfinite(cfg->cv)) {
            trace__fail(src, "synthetic trace: found gamma cv %g, expected a CV > 0", cfg->cv);
            return -1;
        }
        s->shape = 1.0 / (cfg->cv * cfg->cv);
        s->scale = 1.0 / (cfg->rate_per_s * s->shape);
        break;
    case TRACE_ARR_WEIBULL:
        if (!(cfg->cv > 0) || !isfinite(cfg->cv) ||
            !(s->shape = trace__weibull_shape_for_cv(cfg->cv))) {
            trace__fail(src,
                        "synthetic trace: found weibull cv %g, expected a CV in [%.4g, %.4g] "
                        "(Weibull shapes %g to %g)",
                        cfg->cv, sqrt(expm1(weibull_log1p_cv2(WEIBULL_K_HI))),
                        sqrt(expm1(weibull_log1p_cv2(WEIBULL_K_LO))), WEIBULL_K_HI, WEIBULL_K_LO);
            return -1;
        }
        s->scale = 1.0 / (cfg->rate_per_s * exp(gsl_sf_lngamma(1.0 + 1.0 / s->shape)));
        break;
    case TRACE_ARR_MMPP: {
        needs_rate = 0;
        if (cfg->mmpp_states < 1 || cfg->mmpp_states > TRACE_MMPP_MAX_STATES) {
            trace__fail(src, "synthetic trace: found %u MMPP states, expected 1 to %u",
                        cfg->mmpp_states, TRACE_MMPP_MAX_STATES);
            return -1;
        }
        double any = 0;
        for (uint32_t i = 0; i < cfg->mmpp_states; i++) {
            double r = cfg->mmpp_rate_per_s[i], d = cfg->mmpp_dwell_s[i];
            if (!(r >= 0) || !isfinite(r)) {
                trace__fail(src, "synthetic trace: found MMPP state %u rate %g/s, expected >= 0", i,
                            r);
                return -1;
            }
            if (!(d > 0) || !isfinite(d)) {
                trace__fail(src,
                            "synthetic trace: found MMPP state %u mean dwell %g s, expected > 0", i,
                            d);
                return -1;
            }
            s->mrate[i] = r;
            s->mdwell[i] = d;
            any += r;
        }
        if (!(any > 0)) {
            trace__fail(src, "synthetic trace: found every MMPP state at rate 0, expected at "
                             "least one state with a rate > 0");
            return -1;
        }
        s->n_states = cfg->mmpp_states;
        break;
    }
    case TRACE_ARR_DIURNAL: {
        int64_t period = cfg->diurnal_period_ns;
        if (period < 0) {
            trace__fail(src, "synthetic trace: found diurnal period %lld ns, expected >= 0",
                        (long long)period);
            return -1;
        }
        if (cfg->n_table > 0) {
            needs_rate = 0;
            if (!cfg->table_t_ns || !cfg->table_rate) {
                trace__fail(src,
                            "synthetic trace: found a rate table of %u steps without "
                            "its times or rates, expected both",
                            cfg->n_table);
                return -1;
            }
            s->tab_t_s = malloc((size_t)cfg->n_table * sizeof *s->tab_t_s);
            s->tab_rate = malloc((size_t)cfg->n_table * sizeof *s->tab_rate);
            if (!s->tab_t_s || !s->tab_rate) {
                trace__fail(src, "synthetic trace: out of memory");
                return -1;
            }
            s->n_table = cfg->n_table;
            s->lmax = 0;
            for (uint32_t i = 0; i < cfg->n_table; i++) {
                int64_t t = cfg->table_t_ns[i];
                double r = cfg->table_rate[i];
                if (i == 0 && t != 0) {
                    trace__fail(src,
                                "synthetic trace: found the rate table starting at %lld ns, "
                                "expected its first step at 0",
                                (long long)t);
                    return -1;
                }
                if (i > 0 && t <= cfg->table_t_ns[i - 1]) {
                    trace__fail(src,
                                "synthetic trace: found rate table step %u at %lld ns, expected "
                                "a time after step %u (%lld ns)",
                                i, (long long)t, i - 1, (long long)cfg->table_t_ns[i - 1]);
                    return -1;
                }
                if (period > 0 && t >= period) {
                    trace__fail(src,
                                "synthetic trace: found rate table step %u at %lld ns, expected "
                                "a time within the period (%lld ns)",
                                i, (long long)t, (long long)period);
                    return -1;
                }
                if (!(r >= 0) || !isfinite(r)) {
                    trace__fail(src,
                                "synthetic trace: found rate table step %u rate %g/s, expected "
                                ">= 0",
                                i, r);
                    return -1;
                }
                s->tab_t_s[i] = (double)t / 1e9;
                s->tab_rate[i] = r;
                if (r > s->lmax)
                    s->lmax = r;
            }
            if (!(s->lmax > 0)) {
                trace__fail(src, "synthetic trace: found every rate table step at rate 0, "
                                 "expected at least one rate > 0");
                return -1;
            }
            s->period_s = (double)period / 1e9;
            break;
        }
        double a = cfg->diurnal_amplitude;
        if (!(a >= 0 && a <= 1)) {
            trace__fail(src, "synthetic trace: found diurnal amplitude %g, expected 0 to 1", a);
            return -1;
        }
        s->amp = a;
        s->period_s = (double)(period ? period : DAY_NS) / 1e9;
        s->phase_s = (double)cfg->diurnal_phase_ns / 1e9;
        s->lmax = cfg->rate_per_s * (1.0 + a);
        break;
    }
    case TRACE_ARR_SCHEDULE:
        needs_rate = 0;
        if (check_windows(src, s, cfg) != 0)
            return -1;
        break;
    default:
        trace__fail(src,
                    "synthetic trace: found arrival process %d, expected poisson, gamma, "
                    "weibull, mmpp, diurnal or schedule",
                    (int)cfg->arrivals);
        return -1;
    }
    if (needs_rate && (!(cfg->rate_per_s > 0) || !isfinite(cfg->rate_per_s))) {
        trace__fail(src, "synthetic trace: found rate %g/s, expected a rate > 0", cfg->rate_per_s);
        return -1;
    }
    return 0;
}

static int check_labels(struct trace_src *src, struct trace_synth_state *s,
                        const struct trace_synth *cfg)
{
    if (cfg->n_labels > TRACE_MAX_LABEL_SHARES) {
        trace__fail(src, "synthetic trace: found %u label shares, expected at most %u",
                    cfg->n_labels, TRACE_MAX_LABEL_SHARES);
        return -1;
    }
    for (uint32_t i = 0; i < cfg->n_labels; i++) {
        const struct trace_label_share *l = &cfg->labels[i];
        if ((int)l->kind < 0 || l->kind >= TRACE_LABEL_KINDS_) {
            trace__fail(src, "synthetic trace: found label kind %d in share %u, expected 0 to %d",
                        (int)l->kind, i, TRACE_LABEL_KINDS_ - 1);
            return -1;
        }
        size_t len = strnlen(l->value, sizeof l->value);
        if (len == 0 || len == sizeof l->value) {
            trace__fail(src,
                        "synthetic trace: found label share %u with %s value, expected 1 to %zu "
                        "characters",
                        i, len ? "an unterminated" : "an empty", sizeof l->value - 1);
            return -1;
        }
        if (!(l->share > 0 && l->share <= 1)) {
            trace__fail(src, "synthetic trace: found share %g for label %s, expected (0, 1]",
                        l->share, l->value);
            return -1;
        }
        struct label_pick *p = &s->pick[l->kind];
        double prev = p->n ? p->cum[p->n - 1] : 0.0;
        if (prev + l->share > 1.0 + SHARE_SLACK) {
            trace__fail(src,
                        "synthetic trace: found label shares of one kind summing to %g with %s, "
                        "expected a sum <= 1",
                        prev + l->share, l->value);
            return -1;
        }
        uint32_t id;
        if (trace__intern_label(src, l->kind, l->value, len, &id) != 0) {
            trace__fail(src, "synthetic trace: out of memory");
            return -1;
        }
        p->id[p->n] = id;
        p->cum[p->n] = prev + l->share;
        p->n++;
        s->any_labels = 1;
    }
    return 0;
}

static int copy_dist(struct trace_src *src, struct dist *dst, const struct dist *from, int *have)
{
    if (dist_copy(dst, from) != 0) {
        trace__fail(src, "synthetic trace: out of memory");
        return -1;
    }
    *have = 1;
    return 0;
}

int trace__synth_open(struct trace_src *src, const struct trace_synth *cfg, uint64_t seed)
{
    if (cfg->duration_ns < 0) {
        trace__fail(src, "synthetic trace: found duration %lld ns, expected >= 0",
                    (long long)cfg->duration_ns);
        return -1;
    }
    if (cfg->count == 0 && cfg->duration_ns == 0 && cfg->arrivals != TRACE_ARR_SCHEDULE) {
        trace__fail(src, "synthetic trace: found neither count nor duration, expected at "
                         "least one of them to end the trace");
        return -1;
    }
    struct trace_synth_state *s = calloc(1, sizeof *s);
    if (!s) {
        trace__fail(src, "synthetic trace: out of memory");
        return -1;
    }
    src->syn = s;
    s->rate = cfg->rate_per_s;
    if (check_arrivals(src, s, cfg) != 0 || check_labels(src, s, cfg) != 0)
        return -1;
    if (copy_dist(src, &s->input, &cfg->input_tokens, &s->have_input) != 0 ||
        copy_dist(src, &s->output, &cfg->output_tokens, &s->have_output) != 0)
        return -1;
    if (cfg->sessions) {
        s->sessions = 1;
        if (copy_dist(src, &s->turns, &cfg->turns, &s->have_turns) != 0 ||
            copy_dist(src, &s->think, &cfg->think_s, &s->have_think) != 0)
            return -1;
        if (heap_init(&s->pending, 0) != 0) {
            trace__fail(src, "synthetic trace: out of memory");
            return -1;
        }
    }
    s->seed = seed;
    rng_stream(&s->arrivals, seed, RNG_ARRIVALS);
    rng_stream(&s->sizes, seed, RNG_SIZES);
    rng_stream(&s->sess, seed, RNG_SESSIONS);
    if (s->kind == TRACE_ARR_MMPP) {
        /* The stationary state: probability d_i / sum d. */
        double dsum = 0;
        for (uint32_t i = 0; i < s->n_states; i++)
            dsum += s->mdwell[i];
        double u = rng_unit(&s->arrivals) * dsum, acc = 0;
        s->state = s->n_states - 1;
        for (uint32_t i = 0; i < s->n_states; i++) {
            acc += s->mdwell[i];
            if (u < acc) {
                s->state = i;
                break;
            }
        }
        s->state_end_s = draw_exp(&s->arrivals, 1.0 / s->mdwell[s->state]);
    }
    s->count = cfg->count;
    s->duration_ns = cfg->duration_ns;
    src->format = TRACE_SYNTHETIC;
    return 0;
}

/* ---- sessions ------------------------------------------------------------ */

static void session_free(struct trace_synth_state *s, uint32_t i)
{
    struct session *x = &s->ses[i];
    free(x->blocks);
    memset(x, 0, sizeof *x);
    x->next_free = s->free_head;
    s->free_head = i + 1;
}

/* A fresh session slot: its index, or -1 (ENOMEM). */
static int64_t session_alloc(struct trace_synth_state *s)
{
    if (s->free_head) {
        uint32_t i = s->free_head - 1;
        s->free_head = s->ses[i].next_free;
        s->ses[i].next_free = 0;
        return i;
    }
    if (s->n_ses == s->cap_ses) {
        if (s->cap_ses > UINT32_MAX / 2)
            return -1;
        uint32_t cap = s->cap_ses ? s->cap_ses * 2 : 16;
        struct session *ses = realloc(s->ses, (size_t)cap * sizeof *ses);
        if (!ses)
            return -1;
        s->ses = ses;
        s->cap_ses = cap;
    }
    memset(&s->ses[s->n_ses], 0, sizeof s->ses[0]);
    return s->n_ses++;
}

/* Extend a session's blocks to cover `input` tokens.  0 or -1 (ENOMEM). */
static int session_blocks(struct trace_synth_state *s, struct session *x, int64_t input)
{
    uint64_t need = ((uint64_t)input + BLOCK_TOKENS - 1) / BLOCK_TOKENS;
    if (need > MAX_BLOCKS)
        need = MAX_BLOCKS;
    if (need <= x->n_blocks)
        return 0;
    if (need > x->cap_blocks) {
        uint32_t cap = x->cap_blocks ? x->cap_blocks : 8;
        while (cap < need)
            cap *= 2;
        uint64_t *b = realloc(x->blocks, (size_t)cap * sizeof *b);
        if (!b)
            return -1;
        x->blocks = b;
        x->cap_blocks = cap;
    }
    uint64_t salt = rng_mix64(s->seed ^ BLOCK_SALT);
    while (x->n_blocks < need)
        x->blocks[x->n_blocks++] = rng_mix64(salt + ++s->n_block_ids);
    return 0;
}

static void pick_labels(const struct trace_synth_state *s, uint64_t key,
                        uint32_t label[TRACE_LABEL_KINDS_])
{
    if (!s->any_labels)
        return;
    struct rng r;
    rng_keyed(&r, s->seed, RNG_LABELS, key, 0, 0);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++) {
        const struct label_pick *p = &s->pick[k];
        if (p->n == 0)
            continue;
        double u = rng_unit(&r);
        for (uint32_t i = 0; i < p->n; i++) {
            if (u < p->cum[i]) {
                label[k] = p->id[i];
                break;
            }
        }
    }
}

static uint64_t draw_turns(struct trace_synth_state *s)
{
    double t = dist_sample(&s->turns, &s->sess);
    if (!(t >= 1.5)) /* rounds to 1, or NaN */
        return 1;
    if (t > 1e18)
        return (uint64_t)1e18;
    return (uint64_t)dist_llround(t);
}

/* Schedule a session's next turn after the one at t_s, or end it. */
static int session_schedule(struct trace_synth_state *s, uint32_t i, double t_s)
{
    struct session *x = &s->ses[i];
    if (x->turns_left == 0) {
        s->release = i + 1; /* its blocks stay valid until the next call */
        return 0;
    }
    double think = dist_sample(&s->think, &s->sess);
    if (!(think > 0))
        think = 0;
    x->next_s = t_s + think;
    double ns = x->next_s * 1e9;
    if (!(ns < NS_HORIZON)) { /* past the horizon: the session ends here */
        s->release = i + 1;
        return 0;
    }
    struct heap_ev e = {.t_ns = dist_llround(ns), .idx = i};
    return heap_push(&s->pending, e);
}

/* ---- next ---------------------------------------------------------------- */

int trace__synth_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_synth_state *s = src->syn;
    if (s->release) {
        session_free(s, s->release - 1);
        s->release = 0;
    }
    if (s->done || (s->count && s->n >= s->count)) {
        s->done = 1;
        return 0;
    }
    if (!s->have_next && !s->proc_done) {
        process_next(s);
        double ns = s->t_s * 1e9;
        if (!(ns < NS_HORIZON)) {
            s->proc_done = 1; /* past the int64 ns horizon (~292 years) */
        } else {
            s->next_s = s->t_s;
            s->next_ns = dist_llround(ns); /* ns < 2^63: llround's result */
            s->have_next = 1;
        }
    }
    const struct heap_ev *top = s->sessions ? heap_top(&s->pending) : NULL;
    int turn = top && (!s->have_next || top->t_ns <= s->next_ns);
    if (!turn && !s->have_next) {
        s->done = 1;
        return 0;
    }
    int64_t raw = turn ? top->t_ns : s->next_ns;
    int64_t arrival;
    /* trace__scale_ns's own first case inline (no rate scaling) */
    if (src->rate_scale == 1.0)
        arrival = raw;
    else if (trace__scale_ns(src, raw, &arrival) != 0) {
        s->done = 1;
        return 0;
    }
    if (s->duration_ns && arrival >= s->duration_ns) {
        s->done = 1;
        return 0;
    }

    /* Written in place: the caller's record is not read before it is
     * returned (and after an error nothing reads it). */
    struct trace_rec *r = out;
    *r = (struct trace_rec){.arrival_ns = arrival};
    int64_t in = round_tokens(dist_sample(&s->input, &s->sizes));
    r->output_tokens = round_tokens(dist_sample(&s->output, &s->sizes));
    if (!s->sessions) {
        s->have_next = 0;
        r->input_tokens = in;
        pick_labels(s, s->n, r->label);
    } else {
        struct session *x;
        uint32_t i;
        double t_s;
        if (turn) {
            struct heap_ev e;
            heap_pop(&s->pending, &e);
            i = e.idx;
            x = &s->ses[i];
            t_s = x->next_s;
            double grown = (double)x->prev_in + (double)x->prev_out + (double)in;
            in = round_tokens(grown);
        } else {
            int64_t slot = session_alloc(s);
            if (slot < 0) {
                trace__fail(src, "synthetic trace: out of memory (sessions)");
                return -1;
            }
            s->have_next = 0;
            i = (uint32_t)slot;
            x = &s->ses[i];
            t_s = s->next_s;
            s->n_sessions++;
            uint64_t key = rng_mix64((s->seed ^ SESSION_SALT) + s->n_sessions);
            x->key = key ? key : 1;
            x->turns_left = draw_turns(s);
            pick_labels(s, s->n_sessions, x->label);
        }
        x->turns_left--;
        x->prev_in = in;
        x->prev_out = r->output_tokens;
        if (session_blocks(s, x, in) != 0 || session_schedule(s, i, t_s) != 0) {
            trace__fail(src, "synthetic trace: out of memory (sessions)");
            return -1;
        }
        r->input_tokens = in;
        r->session = x->key;
        memcpy(r->label, x->label, sizeof r->label);
        r->n_blocks = x->n_blocks;
        r->blocks = x->blocks;
    }
    s->n++;
    return 1;
}

void trace__synth_close(struct trace_synth_state *s)
{
    if (s->have_input)
        dist_fini(&s->input);
    if (s->have_output)
        dist_fini(&s->output);
    if (s->have_turns)
        dist_fini(&s->turns);
    if (s->have_think)
        dist_fini(&s->think);
    free(s->tab_t_s);
    free(s->tab_rate);
    free(s->wins);
    for (uint32_t i = 0; i < s->n_ses; i++)
        free(s->ses[i].blocks); /* freed slots hold NULL */
    free(s->ses);
    heap_fini(&s->pending);
    free(s);
}
