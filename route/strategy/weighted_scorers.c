/*
 * weighted_scorers.c - strategy `weighted_scorers`: a weighted sum of
 * per-backend scores in [0, 1], then a picker.
 *
 * Reproduces the GIE / llm-d Endpoint Picker scheduling profile
 * (kubernetes-sigs/gateway-api-inference-extension@1748e829,
 * pkg/epp/scheduling/scheduler_profile.go, weighted_scorer.go; default
 * profile pkg/epp/config/loader/defaults.go: queue-scorer x2,
 * kv-cache-utilization-scorer x2, prefix-cache-scorer x3, max-score-picker)
 * and, in spirit, AIBrix's multi-strategy soft scoring
 * (multi_router_readme.md); docs/notes/routers.md §2.3, §2.4, §4 rows 13-19.
 *
 *   total_i = sum_k w_k x clamp(s_k(i), 0, 1)      over the eligible backends
 *
 * Scorers (a weight of 0 turns one off; the scorer is then not computed):
 *  w_queue    GIE queue-scorer: (max - x_i) / (max - min) of the waiting
 *             queue (route_backend.queue_depth; the router-local in-flight
 *             count where the backend reports none), 1 if all are equal.
 *  w_kv       GIE kv-cache-utilization-scorer: 1 - utilisation = kv_free.
 *             A backend that reports no KV share (kv_free < 0, e.g. a
 *             hosted API) scores 0.5: neutral, neither preferred nor
 *             avoided (GIE has no such backends; AIBrix scores missing
 *             metrics 0, which would push all traffic to pools).
 *  w_prefix   GIE approximate prefix-cache-scorer: matched leading blocks /
 *             blocks of the request, against a router-side index of what
 *             was sent where (route_prefix_int.h: per-backend LRU of
 *             lru_blocks blocks, updated on dispatch).  0 without blocks.
 *  w_tokens   GIE token-load-scorer: 1 - min(1, inflight_tokens / theta),
 *             theta = token_theta (GIE queueThresholdTokens 4194304).
 *  w_latency  1 - ttft_ewma_i / max ttft_ewma (unseen backends score 1, as
 *             LiteLLM gives unseen deployments latency 0).
 *  w_cost     1 - cost_i / max cost, cost = the expected cost of this
 *             request (price_input x input + price_output x E[output], as
 *             lowest_cost).
 *  w_headroom rate-limit headroom: min over RPM and TPM of 1 - used/limit;
 *             1 when both are unlimited.
 * The min-max and max normalisations run over the eligible backends.
 *
 * Pickers (param picker):
 *  0 max_score       the maximum total; ties uniformly at random (GIE
 *                    shuffles, then sorts descending and takes the first;
 *                    docs/notes/routers.md §2.3 "Pickers").  Drawn once:
 *                    with c backends at the best total, route_rand_below
 *                    (c) = r picks the r-th of them in index order (no
 *                    draw when c = 1), the same distribution as GIE's
 *                    shuffle with one draw instead of one per tie.
 *  1 weighted_random GIE A-Res (Efraimidis-Spirakis: key = U^(1/s), top-k).
 *                    With k = 1 that selects i with probability
 *                    total_i / sum total exactly; this draws that
 *                    distribution directly (one uniform, one pass) instead
 *                    of n powers.  All totals 0: uniform (as GIE).
 *  2 softmax         Dynamo KV router selection
 *                    (lib/kv-router/src/scheduling/selector.rs): totals
 *                    min-max normalised to z in [0, 1], P(i) ~ exp(z_i / T),
 *                    T = temperature (T -> 0 tends to max_score; all
 *                    equal: uniform).  exp() is computed here (route/ does
 *                    not link libm).
 *
 * Quirks / choices: GIE's pickers can return several endpoints
 * (maxNumOfEndpoints); one is returned here.  GIE's scorers read scraped
 * metrics; the router's signal staleness models their age.
 * Cost of the scan: O(n) per pick: one pass over the view, then passes
 * over compact per-backend scratch (the picker; softmax one more), plus the
 * prefix match (O(blocks x n / 64) word operations) when w_prefix > 0.  No
 * allocation in pick.
 *
 * Fast path (in a router of >= ROUTE__INDEX_MIN_N backends, picker
 * max_score, w_cost 0): the very answer and the very random draw of the
 * scan, without scoring every backend.  A backend is "plain" when its
 * pass-1 sum (KV, tokens, headroom) equals that of a neutral backend (KV
 * not reported, no tokens in flight, unlimited; e.g. every hosted API
 * under the default weights) and its latency term is the unseen 1: its
 * total is then a non-increasing function tot(q) of its queue q alone
 * (floating-point addition and multiplication by a positive constant are
 * monotone).  Eligible plain backends sit in bitsets by q (q < WS_QCAP),
 * kept from the router's journal of view changes.  When every eligible
 * backend is plain, nothing is excluded and the prefix scorer adds nothing
 * to this request: the maximum is M = tot(qmin), reached exactly by the c
 * backends of bucket qmin when tot(next q) < M (checked; equal floats hand
 * the pick to the scan); the scan's one draw r = route_rand_below(c) (when
 * c > 1) is made and the r-th member located by a select over the bucket's
 * bitset.  O(n / 64) per pick, O(1) per view change.
 * Anything else (another picker, w_cost, exclusions, a prefix match,
 * reported KV, seen latencies, token or headroom weights that vary, q >=
 * WS_QCAP) runs the scan.
 */
#include <stdlib.h>
#include <string.h>

#include "route_prefix_int.h"

enum {
    P_W_QUEUE,
    P_W_KV,
    P_W_PREFIX,
    P_W_TOKENS,
    P_W_LATENCY,
    P_W_COST,
    P_W_HEADROOM,
    P_TOKEN_THETA,
    P_PICKER,
    P_TEMPERATURE,
    P_LRU_BLOCKS,
    P_COUNT_
};

enum { PICK_MAX_SCORE = 0, PICK_WEIGHTED_RANDOM = 1, PICK_SOFTMAX = 2 };

/* Queue values the fast path files (0 .. WS_QCAP - 1): one bitset of n
 * bits each (16 bytes per backend); a backend with a longer queue sends
 * the picks to the scan while it is eligible. */
#define WS_QCAP       128u
#define WS_QCAP_WORDS (WS_QCAP / 64u)
/* Fast-path filing of a backend: not eligible, or eligible but not plain
 * (otherwise its queue bucket 0 .. WS_QCAP - 1). */
#define WS_NONE (-1)
#define WS_ODD  (-2)
/* Eligible backends an exclude set (a retry's tried backends) may take out
 * of the filing for one pick; more: the scan. */
#define WS_EXCL_MAX 16u

static const struct route_param scorer_params[P_COUNT_] = {
    [P_W_QUEUE] = {"w_queue", 2.0, 0.0, 1000.0, "",
                   "weight of the queue scorer: (max - q_i)/(max - min) of queue_depth "
                   "(in-flight when not reported); GIE queue-scorer default 2"},
    [P_W_KV] = {"w_kv", 2.0, 0.0, 1000.0, "",
                "weight of the free-KV scorer (kv_free; 0.5 when not reported); GIE "
                "kv-cache-utilization-scorer default 2"},
    [P_W_PREFIX] = {"w_prefix", 3.0, 0.0, 1000.0, "",
                    "weight of the prefix scorer: matched leading blocks / blocks in the "
                    "router-side index; GIE prefix-cache-scorer default 3"},
    [P_W_TOKENS] = {"w_tokens", 0.0, 0.0, 1000.0, "",
                    "weight of the token-load scorer 1 - min(1, inflight_tokens/token_theta)"},
    [P_W_LATENCY] = {"w_latency", 0.0, 0.0, 1000.0, "",
                     "weight of the latency scorer 1 - ttft_ewma/max (unseen = 1)"},
    [P_W_COST] = {"w_cost", 0.0, 0.0, 1000.0, "",
                  "weight of the cost scorer 1 - cost/max cost (expected request cost)"},
    [P_W_HEADROOM] = {"w_headroom", 0.0, 0.0, 1000.0, "",
                      "weight of the rate-limit headroom scorer: min over RPM/TPM of 1 - "
                      "used/limit (1 when unlimited)"},
    [P_TOKEN_THETA] = {"token_theta", 4194304.0, 1.0, 1e15, "tokens",
                       "in-flight tokens at which the token-load score reaches 0 (GIE "
                       "queueThresholdTokens)"},
    [P_PICKER] = {"picker", 0.0, 0.0, 2.0, "enum",
                  "0 max_score (random among ties), 1 weighted_random (A-Res, P ~ total), 2 "
                  "softmax over min-max-normalised totals (Dynamo)"},
    [P_TEMPERATURE] = {"temperature", 0.1, 1e-6, 1000.0, "",
                       "softmax temperature over totals normalised to [0, 1]"},
    [P_LRU_BLOCKS] = {"lru_blocks", ROUTE__PIDX_DEFAULT_CAPACITY, 1.0, 1e6, "blocks",
                      "prefix index capacity per backend (GIE lruCapacityPerServer); "
                      "allocated only when w_prefix > 0"},
};

struct scorers {
    double w[P_W_HEADROOM + 1];
    double theta, temperature;
    int picker;
    bool has_index;
    struct route__pidx idx;
    /* Scratch of one pick, per backend: the total (< 0 = not eligible) and
     * the raw values of the normalised scorers, so the view (about 1 KB
     * per backend) is read once. */
    double *total, *raw_q, *raw_lat, *raw_cost;
    /* The fast path (see the top): fleet != NULL when it is on. */
    const struct route__fleet *fleet;
    uint32_t n, words;
    uint64_t cursor;              /* journal position, UINT64_MAX: never built */
    double t0;                    /* pass-1 sum of a plain backend */
    int32_t *filed;               /* per backend: bucket, WS_NONE or WS_ODD */
    uint64_t *qbits;              /* WS_QCAP x words: eligible plain backends by queue */
    uint32_t *qcount;             /* WS_QCAP: members per bucket */
    uint64_t qnon[WS_QCAP_WORDS]; /* bit q: bucket q not empty */
    uint32_t n_elig, n_odd;
    uint32_t excl[WS_EXCL_MAX]; /* this pick's excluded backends, filings */
    int32_t excl_was[WS_EXCL_MAX];
    uint32_t n_excl;
};

static void destroy_scorers(void *state)
{
    struct scorers *s = state;
    if (s == NULL)
        return;
    if (s->has_index)
        route__pidx_free(&s->idx);
    free(s->total);
    free(s->filed);
    free(s->qbits);
    free(s->qcount);
    free(s);
}

static int fast_init(struct scorers *s, const struct route_create_args *args);

static int create_scorers(void **state, const struct route_create_args *args, char *err,
                          size_t errlen)
{
    const double *p = args->params;
    struct scorers *s;
    double picker = p[P_PICKER];
    *state = NULL;
    if (picker != 0.0 && picker != 1.0 && picker != 2.0) {
        route__errf(err, errlen, "strategy 'weighted_scorers': picker %g must be 0, 1 or 2",
                    picker);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'weighted_scorers': out of memory");
        return -1;
    }
    for (int k = P_W_QUEUE; k <= P_W_HEADROOM; k++)
        s->w[k] = p[k];
    s->theta = p[P_TOKEN_THETA];
    s->temperature = p[P_TEMPERATURE];
    s->picker = (int)picker;
    {
        size_t nb = args->n_backends > 0 ? args->n_backends : 1;
        s->total = calloc(4 * nb, sizeof s->total[0]); /* one block, freed through total */
        s->raw_q = s->total + nb;
        s->raw_lat = s->raw_q + nb;
        s->raw_cost = s->raw_lat + nb;
    }
    if (s->total == NULL) {
        free(s);
        route__errf(err, errlen, "strategy 'weighted_scorers': out of memory");
        return -1;
    }
    if (s->w[P_W_PREFIX] > 0.0) {
        if (route__pidx_init(&s->idx, args->n_backends, p[P_LRU_BLOCKS], "weighted_scorers", err,
                             errlen) != 0) {
            free(s->total);
            free(s);
            return -1;
        }
        s->has_index = true;
    }
    s->cursor = UINT64_MAX;
    if (s->picker == PICK_MAX_SCORE && s->w[P_W_COST] == 0.0 && fast_init(s, args) != 0) {
        destroy_scorers(s);
        route__errf(err, errlen, "strategy 'weighted_scorers': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

static int64_t queue_of(const struct route_backend *b)
{
    return b->queue_depth >= 0 ? b->queue_depth : (int64_t)b->inflight;
}

static bool latency_seen(const struct route_backend *b)
{
    return b->ttft_samples > 0 && b->ttft_ewma_ns > 0;
}

static double expected_cost(const struct route_backend_cfg *c, const struct route_req *req)
{
    int64_t in = req->input_tokens > 0 ? req->input_tokens : 0;
    int64_t out = req->output_tokens > 0 ? req->output_tokens : req->max_tokens;
    if (out < 0)
        out = 0;
    return c->price_input * (double)in + c->price_output * (double)out;
}

static double clamp01(double x)
{
    return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

static double headroom(const struct route_backend *b)
{
    double h = 1.0;
    if (b->cfg.rpm_limit > 0) {
        double r = 1.0 - (double)b->rpm_used / (double)b->cfg.rpm_limit;
        h = r < h ? r : h;
    }
    if (b->cfg.tpm_limit > 0) {
        double t = 1.0 - (double)b->tpm_used / (double)b->cfg.tpm_limit;
        h = t < h ? t : h;
    }
    return h;
}

/* The pass-1 sum of backend b: the scorers that need no range, in the
 * scan's order (the fast path compares these doubles for equality). */
static double base_sum(const struct scorers *s, const struct route_backend *b)
{
    const double *w = s->w;
    double t = 0.0;
    if (w[P_W_KV] > 0.0)
        t += w[P_W_KV] * (b->kv_free < 0.0 ? 0.5 : clamp01(b->kv_free));
    if (w[P_W_TOKENS] > 0.0)
        t += w[P_W_TOKENS] * (1.0 - clamp01((double)b->inflight_tokens / s->theta));
    if (w[P_W_HEADROOM] > 0.0)
        t += w[P_W_HEADROOM] * clamp01(headroom(b));
    return t;
}

/* e^x for x <= 0 without libm: x = k ln2 + r, |r| < ln2, Taylor series to
 * r^18 / 18! (relative error < 1e-15), times 2^k built from its bits. */
static double exp_nonpos(double x)
{
    static const double ln2 = 0.6931471805599453094;
    double r, sum = 1.0, term = 1.0, scale;
    uint64_t bits;
    int k;
    if (!(x > -708.0))
        return 0.0;
    if (x > 0.0)
        x = 0.0;
    k = (int)(x / ln2); /* toward zero: k in [-1021, 0] */
    r = x - (double)k * ln2;
    for (int i = 1; i <= 18; i++) {
        term *= r / (double)i;
        sum += term;
    }
    bits = (uint64_t)(1023 + k) << 52;
    memcpy(&scale, &bits, sizeof scale);
    return sum * scale;
}

/* Picker over the totals of eligible backends (total[i] >= 0). */
static int32_t pick_total(struct scorers *s, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude, uint32_t eligible)
{
    double *total = s->total;
    double sum = 0.0, tmin = 0.0, tmax = 0.0;
    int32_t best = ROUTE_NONE;
    uint32_t ties = 0;
    if (s->picker == PICK_MAX_SCORE) {
        /* The best total and the number of backends that have it; then
         * one draw picks the r-th of them in index order (none when one
         * has it): uniform among the best, as GIE's max-score picker
         * (docs/notes/routers.md §2.3 "Pickers": shuffle, then take the
         * best). */
        for (uint32_t i = 0; i < view->n; i++) {
            double t = total[i];
            if (t < 0.0)
                continue;
            if (best < 0 || t > tmax) {
                best = (int32_t)i;
                tmax = t;
                ties = 1;
            } else if (t == tmax) {
                ties++;
            }
        }
        if (ties > 1) {
            uint32_t r = route_rand_below(env, ties);
            for (uint32_t i = (uint32_t)best;; i++)
                if (total[i] == tmax && r-- == 0)
                    return (int32_t)i;
        }
        return best;
    }
    for (uint32_t i = 0; i < view->n; i++) {
        double t = total[i];
        if (t < 0.0)
            continue;
        sum += t;
        if (best < 0 || t < tmin)
            tmin = t;
        if (best < 0 || t > tmax)
            tmax = t;
        best = (int32_t)i;
    }
    if (s->picker == PICK_SOFTMAX) {
        double inv_range, inv_t = 1.0 / s->temperature;
        if (tmax <= tmin)
            return route__nth_eligible(view, exclude, route_rand_below(env, eligible));
        inv_range = 1.0 / (tmax - tmin);
        sum = 0.0;
        for (uint32_t i = 0; i < view->n; i++) {
            if (total[i] < 0.0)
                continue;
            total[i] = exp_nonpos(((total[i] - tmin) * inv_range - 1.0) * inv_t);
            sum += total[i];
        }
    }
    if (!(sum > 0.0))
        return route__nth_eligible(view, exclude, route_rand_below(env, eligible));
    {
        double r = route_rand_unit(env) * sum;
        for (uint32_t i = 0; i < view->n; i++) {
            if (total[i] <= 0.0)
                continue;
            best = (int32_t)i; /* the last positive one absorbs rounding */
            r -= total[i];
            if (r < 0.0)
                break;
        }
    }
    return best;
}

/* The O(n) scan.  m_done >= 0: the fast path already ran
 * route__pidx_match for this request and it returned m_done (the index's
 * levels hold the match); -1: not yet. */
static int32_t scan_scorers(struct scorers *s, const struct route_req *req,
                            const struct route_view *view, const struct route_env *env,
                            const uint64_t *exclude, int64_t m_done)
{
    const double *w = s->w;
    struct route__count c = {0, 0};
    double qmin = 0.0, qmax = 0.0, lat_max = 0.0, cost_max = 0.0;
    double *total = s->total;

    /* Pass 1 over the view: eligibility, the scorers that need no range,
     * and the raw values of those that do. */
    for (uint32_t i = 0; i < view->n; i++) {
        const struct route_backend *b = &view->b[i];
        total[i] = -1.0;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(b))
            continue;
        if (w[P_W_QUEUE] > 0.0) {
            double q = (double)queue_of(b);
            s->raw_q[i] = q;
            if (c.eligible == 0 || q < qmin)
                qmin = q;
            if (c.eligible == 0 || q > qmax)
                qmax = q;
        }
        if (w[P_W_LATENCY] > 0.0) {
            double l = latency_seen(b) ? (double)b->ttft_ewma_ns : -1.0;
            s->raw_lat[i] = l;
            if (l > lat_max)
                lat_max = l;
        }
        if (w[P_W_COST] > 0.0) {
            double cost = expected_cost(&b->cfg, req);
            s->raw_cost[i] = cost;
            if (cost > cost_max)
                cost_max = cost;
        }
        total[i] = base_sum(s, b);
        c.eligible++;
    }
    if (c.eligible == 0)
        return route__no_pick(c);

    /* Prefix: w / m for each level a backend holds (levels are nested, so
     * a backend matching k blocks collects k x w / m). */
    if (s->has_index && req->n_blocks > 0) {
        uint32_t m =
            m_done >= 0 ? (uint32_t)m_done : route__pidx_match(&s->idx, req->blocks, req->n_blocks);
        double step = m > 0 ? w[P_W_PREFIX] / (double)m : 0.0;
        for (uint32_t j = 0; j < s->idx.depth; j++) {
            const uint64_t *set = route__pidx_level(&s->idx, j);
            for (uint32_t wi = 0; wi < s->idx.words; wi++) {
                for (uint64_t word = set[wi]; word != 0; word &= word - 1) {
                    uint32_t i = wi * 64u + (uint32_t)__builtin_ctzll(word);
                    if (i < view->n && total[i] >= 0.0)
                        total[i] += step;
                }
            }
        }
    }

    /* Pass 2 over the scratch: the range-normalised scorers. */
    if (w[P_W_QUEUE] > 0.0 || w[P_W_LATENCY] > 0.0 || w[P_W_COST] > 0.0) {
        double wq = w[P_W_QUEUE], wl = w[P_W_LATENCY], wc = w[P_W_COST];
        double q_scale = qmax > qmin ? 1.0 / (qmax - qmin) : 0.0;
        double l_scale = lat_max > 0.0 ? 1.0 / lat_max : 0.0;
        double c_scale = cost_max > 0.0 ? 1.0 / cost_max : 0.0;
        for (uint32_t i = 0; i < view->n; i++) {
            double t = total[i];
            if (t < 0.0)
                continue;
            if (wq > 0.0)
                t += wq * (qmax > qmin ? (qmax - s->raw_q[i]) * q_scale : 1.0);
            if (wl > 0.0)
                t += wl * (s->raw_lat[i] > 0.0 ? clamp01(1.0 - s->raw_lat[i] * l_scale) : 1.0);
            if (wc > 0.0)
                t += wc * (cost_max > 0.0 ? clamp01(1.0 - s->raw_cost[i] * c_scale) : 1.0);
            total[i] = t;
        }
    }
    return pick_total(s, view, env, exclude, c.eligible);
}

/* ---------------------------------------------------------------------
 * The fast path (see the top of the file)
 * ------------------------------------------------------------------- */

static int fast_init(struct scorers *s, const struct route_create_args *args)
{
    struct route_backend neutral;
    s->fleet = route__fleet_for(args);
    if (s->fleet == NULL)
        return 0;
    s->n = args->n_backends;
    s->words = (s->n + 63u) / 64u;
    memset(&neutral, 0, sizeof neutral);
    neutral.kv_free = -1.0; /* not reported; no tokens in flight, no limits */
    s->t0 = base_sum(s, &neutral);
    s->filed = malloc((size_t)s->n * sizeof s->filed[0]);
    s->qbits = calloc((size_t)WS_QCAP * s->words, sizeof s->qbits[0]);
    s->qcount = calloc(WS_QCAP, sizeof s->qcount[0]);
    if (s->filed == NULL || s->qbits == NULL || s->qcount == NULL)
        return -1;
    for (uint32_t i = 0; i < s->n; i++)
        s->filed[i] = WS_NONE;
    return 0;
}

/* Move backend i from its filing to `now` (a bucket, WS_ODD, WS_NONE). */
static void file_as(struct scorers *s, uint32_t i, int32_t now)
{
    int32_t old = s->filed[i];
    if (old >= 0) {
        route__bit_put(s->qbits + (size_t)old * s->words, i, false);
        if (--s->qcount[old] == 0)
            route__bit_put(s->qnon, (uint32_t)old, false);
    }
    s->n_odd -= old == WS_ODD;
    s->n_elig -= old != WS_NONE;
    s->filed[i] = now;
    if (now >= 0) {
        route__bit_put(s->qbits + (size_t)now * s->words, i, true);
        if (s->qcount[now]++ == 0)
            route__bit_put(s->qnon, (uint32_t)now, true);
    }
    s->n_odd += now == WS_ODD;
    s->n_elig += now != WS_NONE;
}

/* File backend i anew from the view: its queue bucket when eligible and
 * plain, else WS_ODD (eligible) or WS_NONE. */
static void refile(struct scorers *s, uint32_t i)
{
    const struct route_backend *b;
    int32_t now = WS_NONE;
    if (i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    if ((b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) && !route__saturated(b)) {
        int64_t q = s->w[P_W_QUEUE] > 0.0 ? queue_of(b) : 0; /* no queue term: one bucket */
        bool plain = base_sum(s, b) == s->t0 && (s->w[P_W_LATENCY] == 0.0 || !latency_seen(b));
        now = plain && q >= 0 && q < (int64_t)WS_QCAP ? (int32_t)q : WS_ODD;
    }
    file_as(s, i, now);
}

/* Count an exclude set out of the filing for one pick (each member's
 * filing saved in excl_was); false (nothing changed) when it holds more
 * than WS_EXCL_MAX eligible backends: the scan answers. */
static bool exclude_begin(struct scorers *s, const uint64_t *ex)
{
    s->n_excl = 0;
    for (uint32_t w = 0; ex != NULL && w < s->words; w++)
        for (uint64_t x = ex[w] & route__word_mask(s->n, w); x != 0; x &= x - 1) {
            uint32_t i = w * 64u + route__ctz64(x);
            if (s->filed[i] == WS_NONE)
                continue;
            if (s->n_excl == WS_EXCL_MAX) {
                while (s->n_excl > 0) {
                    s->n_excl--;
                    file_as(s, s->excl[s->n_excl], s->excl_was[s->n_excl]);
                }
                return false;
            }
            s->excl[s->n_excl] = i;
            s->excl_was[s->n_excl++] = s->filed[i];
            file_as(s, i, WS_NONE);
        }
    return true;
}

static void exclude_end(struct scorers *s)
{
    while (s->n_excl > 0) {
        s->n_excl--;
        file_as(s, s->excl[s->n_excl], s->excl_was[s->n_excl]);
    }
}

static void on_change(void *ctx, uint32_t i)
{
    refile(ctx, i);
}

/* The total of a plain backend with queue q: the scan's expression (pass 1
 * = t0, no prefix step, the queue term, the unseen latency term). */
static double plain_total(const struct scorers *s, double q, double qmin, double qmax,
                          double q_scale)
{
    double t = s->t0;
    if (s->w[P_W_QUEUE] > 0.0)
        t += s->w[P_W_QUEUE] * (qmax > qmin ? (qmax - q) * q_scale : 1.0);
    if (s->w[P_W_LATENCY] > 0.0)
        t += s->w[P_W_LATENCY] * 1.0;
    return t;
}

/* Lowest set bit of the WS_QCAP-bit set `non` at or above q, or WS_QCAP. */
static uint32_t next_bucket(const uint64_t *non, uint32_t q)
{
    for (uint32_t w = q / 64u; w < WS_QCAP_WORDS; w++) {
        uint64_t x = non[w] & (w == q / 64u ? ~(uint64_t)0 << (q & 63u) : ~(uint64_t)0);
        if (x != 0)
            return w * 64u + route__ctz64(x);
    }
    return WS_QCAP;
}

static uint32_t last_bucket(const uint64_t *non)
{
    for (uint32_t w = WS_QCAP_WORDS; w-- > 0;)
        if (non[w] != 0)
            return w * 64u + route__msb64(non[w]);
    return 0;
}

static int32_t fast_pick(struct scorers *s, const struct route__fleet *f,
                         const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude);

static int32_t pick_scorers(void *state, const struct route_req *req, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    struct scorers *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    int32_t best;
    if (f == NULL || view->n != s->n)
        return scan_scorers(s, req, view, env, exclude, -1);
    if (!route__fleet_drain(f, &s->cursor, on_change, s))
        for (uint32_t i = 0; i < s->n; i++)
            refile(s, i);
    if (!exclude_begin(s, exclude))
        return scan_scorers(s, req, view, env, exclude, -1);
    best = fast_pick(s, f, req, view, env, exclude);
    exclude_end(s);
    return best;
}

/* The fast pick, the exclude set counted out of the filing. */
static int32_t fast_pick(struct scorers *s, const struct route__fleet *f,
                         const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    int64_t m_done = -1;
    uint32_t q1, q2, qlast, c;
    double qmin, qmax, q_scale, top;
    const uint64_t *set;
    if (s->has_index && req->n_blocks > 0) {
        m_done = route__pidx_match(&s->idx, req->blocks, req->n_blocks);
        if (s->idx.depth > 0)
            return scan_scorers(s, req, view, env, exclude, m_done); /* prefix steps */
    }
    if (s->n_elig == 0)
        return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
    if (s->n_odd > 0)
        return scan_scorers(s, req, view, env, exclude, m_done);
    q1 = next_bucket(s->qnon, 0);
    qlast = last_bucket(s->qnon);
    qmin = (double)q1;
    qmax = (double)qlast;
    q_scale = qmax > qmin ? 1.0 / (qmax - qmin) : 0.0;
    top = plain_total(s, qmin, qmin, qmax, q_scale);
    /* Every other bucket must score strictly less (tot is non-increasing
     * in q, so the next one decides); equal floats: the scan. */
    q2 = q1 < qlast ? next_bucket(s->qnon, q1 + 1u) : WS_QCAP;
    if (q2 < WS_QCAP && !(plain_total(s, (double)q2, qmin, qmax, q_scale) < top))
        return scan_scorers(s, req, view, env, exclude, m_done);
    /* The members of bucket q1 tie at top, the rest lose: the scan's one
     * draw picks the r-th of them in index order. */
    set = s->qbits + (size_t)q1 * s->words;
    c = s->qcount[q1];
    return route__bits_select(set, s->words, c > 1 ? route_rand_below(env, c) : 0u);
}

static void dispatch_scorers(void *state, uint32_t backend, const struct route_req *req,
                             const struct route_env *env)
{
    struct scorers *s = state;
    (void)env;
    if (s->has_index && req->n_blocks > 0)
        route__pidx_insert(&s->idx, backend, req->blocks, req->n_blocks);
}

const struct route_ops route__ops_weighted_scorers = {
    ROUTE_OPS_INIT,
    .name = "weighted_scorers",
    .summary = "weighted sum of queue, KV, prefix, token, latency, cost and headroom scores, "
               "then max_score / weighted_random / softmax",
    .source = "GIE/llm-d EPP scheduler (gateway-api-inference-extension@1748e829 "
              "scheduler_profile.go, loader/defaults.go); AIBrix multi-strategy; Dynamo softmax "
              "(kv-router selector.rs)",
    .params = scorer_params,
    .n_params = P_COUNT_,
    .min_children = 0,
    .max_children = 0,
    .create = create_scorers,
    .destroy = destroy_scorers,
    .pick = pick_scorers,
    .on_dispatch = dispatch_scorers,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = ROUTE_READS_TTFT | ROUTE_READS_QUEUE |
             ROUTE_READS_KV, /* queue_depth (queue_of), kv_free (base_sum), ttft_ewma_ns /
                                ttft_samples (latency_seen) */
};
