/*
 * lowest_latency.c - strategy `lowest_latency`: lowest smoothed TTFT, random
 * among those within a buffer of the best.
 *
 * Reproduces LiteLLM `latency-based-routing`
 * (litellm/router_strategy/lowest_latency.py, 2024-2026;
 * docs/notes/routers.md §2.1.2 and §4 row 8): filter out deployments over
 * their RPM/TPM for the window, take those whose latency is
 * <= (1 + lowest_latency_buffer) x the minimum, pick one at random;
 * deployments never sampled score 0 so they are explored first; a
 * litellm.Timeout appends a 1000 s sample.
 *
 * Modes (param `mode`):
 *  - 0 (default): an EWMA of observed TTFT per backend (ns), weight `alpha`
 *    per sample, the first sample initialising it.  LiteLLM averages the
 *    last 10 samples; alpha = 0.2 is close to the 2 / (N + 1) = 0.18 that
 *    gives an EWMA the centre of mass of an N = 10 mean.  ROUTE_TIMEOUT and
 *    ROUTE_SERVER_ERROR outcomes add a sample of `penalty_s` seconds
 *    (LiteLLM: timeouts only); 0 disables it.
 *  - 1: LiteLLM's list: per backend up to `list_size` (max_latency_list_size,
 *    10) samples of latency per output token, scored by their mean.  A
 *    sample is taken at completion: TTFT / max(1, output tokens) (LiteLLM's
 *    streaming signal; latency_ns when no first token was seen); a timeout
 *    appends `penalty_s` seconds (log_failure_event), server errors do not.
 *    When the list is full the oldest sample is replaced; with
 *    compat_overwrite_last = 1, LiteLLM's quirk: the first list_size - 1
 *    samples stay forever and only the last slot is overwritten
 *    (latency[:max_size - 1] + [new]).  LiteLLM's streaming average divides
 *    the TTFT sum by the length of the other (latency) list; with one list
 *    here that quirk cannot arise.
 *
 * Differences and quirks (both modes):
 *  - Rate-limit filter: rpm_used + 1 <= rpm_limit and tpm_used + input +
 *    max_tokens <= tpm_limit (0 = unlimited) over the router's sliding 60 s
 *    window.  If it leaves no eligible backend the filter is ignored and the
 *    choice is made among all eligible ones: latency routing then still
 *    spreads load and lets the provider answer (LiteLLM would raise "No
 *    deployments available"); lowest_usage is the strategy that enforces
 *    limits.
 *  - The EWMA is this strategy's own (route_backend.ttft_ewma_ns is the
 *    router's fixed 1/8 one).  LiteLLM's cache TTL (3600 s) is not modelled.
 * State: per backend an EWMA and sample count, or a list of list_size
 * samples.
 *
 * Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: two
 * passes over the view (O(n)).  In a router, both modes: two indexes by
 * score (route__minidx: the score-0 backends, never sampled, in a dense
 * set; the others in a heap), one of the eligible backends (usable, not
 * saturated) and one of those also within the request-independent part of
 * the rate-limit filter (RPM not exhausted, TPM not over), kept from the
 * router's journal of view changes (health, saturation, window use) and
 * re-keyed when a sample arrives (on_first_token, on_complete): O(log n)
 * per change.  The pick asks the limited index first, skipping excluded
 * backends and those this request's tokens do not fit; when none passes,
 * the other (the filter ignored).  buffer = 0: uniform among the accepted
 * backends of least score, O(1) expected from the score-0 set, else
 * O(log n) per member walked.  buffer > 0: that least score s, then the
 * heap enumerated in score order up to (1 + buffer) x s, uniform among
 * the accepted ones met: O((r + k) log n), r rejected and k candidates.
 * Same rule and distribution as the passes; the random draws differ.
 * Nothing eligible: FULL / NONE from the fleet's bitsets, O(n / 64).
 */
#include <stdlib.h>

#include "route_int.h"

static const double NS_PER_S = 1e9;

/* LiteLLM: routing_strategy_args.lowest_latency_buffer defaults to 0; a
 * timeout appends 1000 s (lowest_latency.py log_failure_event). */
static const struct route_param latency_params[] = {
    {.name = "alpha",
     .def = 0.2,
     .min = 0.001,
     .max = 1.0,
     .unit = "ratio",
     .doc = "EWMA weight of a new TTFT sample (0.2 ~ a 10-sample mean)"},
    {.name = "buffer",
     .def = 0.0,
     .min = 0.0,
     .max = 10.0,
     .unit = "ratio",
     .doc = "pick at random among backends within (1 + buffer) x the lowest latency"},
    {.name = "penalty_s",
     .def = 1000.0,
     .min = 0.0,
     .max = 1e6,
     .unit = "s",
     .doc = "latency sample added on a timeout or server error (LiteLLM: 1000 s); 0 = off"},
    {.name = "mode",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "",
     .doc = "0 = TTFT EWMA; 1 = LiteLLM list of TTFT per output token samples, mean"},
    {.name = "list_size",
     .def = 10.0,
     .min = 1.0,
     .max = 1000.0,
     .unit = "",
     .doc = "mode 1: samples kept per backend (LiteLLM max_latency_list_size)"},
    {.name = "compat_overwrite_last",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "",
     .doc = "mode 1: 1 = LiteLLM quirk, a full list only overwrites its last slot"},
};

enum {
    PARAM_ALPHA,
    PARAM_BUFFER,
    PARAM_PENALTY_S,
    PARAM_MODE,
    PARAM_LIST_SIZE,
    PARAM_OVERWRITE_LAST,
    N_PARAMS
};
_Static_assert(sizeof latency_params / sizeof latency_params[0] == N_PARAMS,
               "latency_params and its index enum disagree");

struct lat_backend {
    double score_ns;  /* EWMA of TTFT, or the list mean; 0 until sampled */
    uint64_t samples; /* samples seen */
    uint32_t len;     /* list: samples held */
    uint32_t next;    /* list: ring position of the oldest (replaced next) */
};

struct lat_state {
    double alpha;
    double buffer;
    double penalty_ns;
    bool list;           /* mode 1 */
    bool overwrite_last; /* LiteLLM quirk */
    uint32_t list_size;
    uint32_t n;
    double *samples; /* n x list_size, list mode */
    /* the indexes, in a router (fleet != NULL) */
    const struct route__fleet *fleet;
    uint64_t cursor;          /* journal position, UINT64_MAX: never built */
    struct route__minidx lim; /* eligible, request-independent limits met */
    struct route__minidx all; /* eligible */
    /* the pick being made (for the callbacks) */
    const struct route_req *req;
    const uint64_t *exclude;
    struct lat_backend b[];
};

static int create_latency(void **state, const struct route_create_args *args, char *err,
                          size_t errlen)
{
    const double *params = args->params;
    uint32_t n = args->n_backends;
    struct lat_state *s = calloc(1, sizeof *s + (size_t)n * sizeof s->b[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'lowest_latency': out of memory");
        return -1;
    }
    s->alpha = params[PARAM_ALPHA];
    s->buffer = params[PARAM_BUFFER];
    s->penalty_ns = params[PARAM_PENALTY_S] * NS_PER_S;
    s->list = params[PARAM_MODE] >= 0.5;
    s->overwrite_last = params[PARAM_OVERWRITE_LAST] >= 0.5;
    s->list_size = (uint32_t)(params[PARAM_LIST_SIZE] + 0.5);
    if (s->list_size < 1)
        s->list_size = 1;
    s->n = n;
    s->cursor = UINT64_MAX;
    if (s->list) {
        s->samples = calloc((size_t)n * s->list_size, sizeof *s->samples);
        if (s->samples == NULL) {
            free(s);
            route__errf(err, errlen, "strategy 'lowest_latency': out of memory");
            return -1;
        }
    }
    s->fleet = route__fleet_for(args);
    if (s->fleet != NULL) {
        if (route__minidx_init(&s->lim, n) < 0) {
            s->fleet = NULL;
        } else if (route__minidx_init(&s->all, n) < 0) {
            route__minidx_free(&s->lim);
            s->fleet = NULL;
        }
        if (s->fleet == NULL) {
            free(s->samples);
            free(s);
            route__errf(err, errlen, "strategy 'lowest_latency': out of memory");
            return -1;
        }
    }
    *state = s;
    return 0;
}

static void destroy_latency(void *state)
{
    struct lat_state *s = state;
    if (s == NULL)
        return;
    if (s->fleet != NULL) {
        route__minidx_free(&s->lim);
        route__minidx_free(&s->all);
    }
    free(s->samples);
    free(s);
}

/* File backend i in the indexes from the router's view and its score. */
static void refile(struct lat_state *s, uint32_t i)
{
    const struct route_backend *b;
    const struct route_backend_cfg *c;
    bool in, lim;
    int64_t k;
    if (s->fleet == NULL || i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    c = &b->cfg;
    in = (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) && !route__saturated(b);
    lim = in && (c->rpm_limit <= 0 || b->rpm_used < c->rpm_limit) &&
          (c->tpm_limit <= 0 || b->tpm_used <= c->tpm_limit);
    k = route__double_key(s->b[i].score_ns);
    route__minidx_set(&s->all, i, in, k);
    route__minidx_set(&s->lim, i, lim, k);
}

static void on_change(void *ctx, uint32_t i)
{
    refile(ctx, i);
}

static void add_ewma(struct lat_state *s, uint32_t i, double x_ns)
{
    struct lat_backend *b = &s->b[i];
    if (b->samples == 0)
        b->score_ns = x_ns;
    else
        b->score_ns += s->alpha * (x_ns - b->score_ns);
    b->samples++;
}

/* LiteLLM list: append while not full; then replace the oldest, or (quirk)
 * the last slot.  The mean is recomputed from the list (no drift). */
static void add_list(struct lat_state *s, uint32_t i, double x)
{
    struct lat_backend *b = &s->b[i];
    double *l = &s->samples[(size_t)i * s->list_size];
    double sum = 0.0;
    if (b->len < s->list_size) {
        l[b->len++] = x;
    } else if (s->overwrite_last) {
        l[s->list_size - 1] = x;
    } else {
        l[b->next] = x;
        b->next = b->next + 1 == s->list_size ? 0 : b->next + 1;
    }
    for (uint32_t k = 0; k < b->len; k++)
        sum += l[k];
    b->score_ns = sum / (double)b->len;
    b->samples++;
}

static bool ok_all(void *ctx, uint32_t i)
{
    const struct lat_state *s = ctx;
    return route__fleet_eligible(s->fleet, s->exclude, i);
}

static bool ok_lim(void *ctx, uint32_t i)
{
    const struct lat_state *s = ctx;
    return route__fleet_eligible(s->fleet, s->exclude, i) &&
           route__within_limits(&s->fleet->view->b[i], s->req);
}

/* Uniform among the members of x accepted by ok whose score is within
 * (1 + buffer) x the least accepted score, or -1 when none is accepted. */
static int32_t pick_in(struct lat_state *s, struct route__minidx *x, bool (*ok)(void *, uint32_t),
                       const struct route_env *env)
{
    struct route__heap_walk w;
    int32_t best = -1, i;
    uint32_t ties = 0;
    int64_t bound;
    double min;
    int32_t first = route__minidx_pick(x, env, ok, s);
    if (first < 0 || s->buffer <= 0.0)
        return first;
    min = s->b[first].score_ns;
    if (min == 0.0)
        return first; /* the bound is 0: the score-0 set, drawn uniformly */
    bound = route__double_key(min * (1.0 + s->buffer));
    route__heap_walk_start(&w, &x->heap, x->frontier);
    while ((i = route__heap_walk_next(&w, bound)) >= 0) {
        if (x->heap.key[i] > bound)
            break;
        if (!ok(s, (uint32_t)i))
            continue;
        ties++;
        if (ties == 1 || route_rand_below(env, ties) == 0)
            best = i;
    }
    return best;
}

static int32_t scan_latency(const struct lat_state *s, const struct route_req *req,
                            const struct route_view *view, const struct route_env *env,
                            const uint64_t *exclude);

static int32_t pick_latency(void *state, const struct route_req *req, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    struct lat_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    int32_t k;
    if (f == NULL || view->n != s->n)
        return scan_latency(s, req, view, env, exclude);
    if (!route__fleet_drain(f, &s->cursor, on_change, s)) {
        route__minidx_clear(&s->lim);
        route__minidx_clear(&s->all);
        for (uint32_t i = 0; i < s->n; i++)
            refile(s, i);
    }
    s->req = req;
    s->exclude = exclude;
    k = pick_in(s, &s->lim, ok_lim, env);
    if (k < 0)
        k = pick_in(s, &s->all, ok_all, env); /* none within limits: ignore them */
    if (k >= 0)
        return k;
    return route__any_candidate(f, view, exclude, NULL, 1) ? ROUTE_FULL : ROUTE_NONE;
}

/* The two passes. */
static int32_t scan_latency(const struct lat_state *s, const struct route_req *req,
                            const struct route_view *view, const struct route_env *env,
                            const uint64_t *exclude)
{
    struct route__count c = {0, 0};
    uint32_t n = view->n < s->n ? view->n : s->n;
    uint32_t in_limits = 0, ties = 0;
    double min_all = 0.0, min_lim = 0.0, threshold;
    bool use_limits;
    int32_t best = ROUTE_NONE;

    for (uint32_t i = 0; i < n; i++) {
        double lat;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(&view->b[i]))
            continue;
        lat = s->b[i].score_ns;
        if (c.eligible++ == 0 || lat < min_all)
            min_all = lat;
        if (route__within_limits(&view->b[i], req) && (in_limits++ == 0 || lat < min_lim))
            min_lim = lat;
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    use_limits = in_limits > 0;
    threshold = (use_limits ? min_lim : min_all) * (1.0 + s->buffer);
    for (uint32_t i = 0; i < n; i++) {
        if (!route__eligible(view, exclude, i) || s->b[i].score_ns > threshold)
            continue;
        if (use_limits && !route__within_limits(&view->b[i], req))
            continue;
        ties++;
        if (ties == 1 || route_rand_below(env, ties) == 0)
            best = (int32_t)i;
    }
    return best;
}

static void first_token_latency(void *state, uint32_t backend, const struct route_req *req,
                                int64_t ttft_ns, const struct route_env *env)
{
    struct lat_state *s = state;
    (void)req;
    (void)env;
    if (backend >= s->n || s->list)
        return;
    add_ewma(s, backend, ttft_ns > 0 ? (double)ttft_ns : 0.0);
    refile(s, backend);
}

static void complete_latency(void *state, uint32_t backend, const struct route_req *req,
                             const struct route_outcome *out, const struct route_env *env)
{
    struct lat_state *s = state;
    (void)req;
    (void)env;
    if (backend >= s->n)
        return;
    if (s->list) {
        if (out->status == ROUTE_OK) {
            int64_t t = out->ttft_ns >= 0 ? out->ttft_ns : out->latency_ns;
            int64_t tok = out->output_tokens > 1 ? out->output_tokens : 1;
            add_list(s, backend, (t > 0 ? (double)t : 0.0) / (double)tok);
        } else if (out->status == ROUTE_TIMEOUT && s->penalty_ns > 0.0) {
            add_list(s, backend, s->penalty_ns);
        }
        refile(s, backend);
        return;
    }
    if (s->penalty_ns <= 0.0)
        return;
    if (out->status == ROUTE_TIMEOUT || out->status == ROUTE_SERVER_ERROR) {
        add_ewma(s, backend, s->penalty_ns);
        refile(s, backend);
    }
}

const struct route_ops route__ops_lowest_latency = {
    ROUTE_OPS_INIT,
    .name = "lowest_latency",
    .summary = "lowest TTFT EWMA (or LiteLLM sample list), random within a buffer; unseen first",
    .source = "LiteLLM latency-based-routing (lowest_latency.py), EWMA or list mode",
    .params = latency_params,
    .n_params = N_PARAMS,
    .min_children = 0,
    .max_children = 0,
    .create = create_latency,
    .destroy = destroy_latency,
    .pick = pick_latency,
    .on_dispatch = NULL,
    .on_first_token = first_token_latency,
    .on_complete = complete_latency,
    .reads = ROUTE_READS_TTFT, /* its own EWMA / list, fed by on_first_token */
};
