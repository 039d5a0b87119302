/*
 * route_latency.c - strategy `lowest_latency`: lowest smoothed TTFT, random
 * among those within a buffer of the best.
 *
 * Reproduces LiteLLM `latency-based-routing`
 * (litellm/router_strategy/lowest_latency.py, 2024-2026;
 * reference/routers.md §2.1.2 and §4 row 8): filter out deployments over
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
 * Two passes over the view; state: per backend an EWMA and sample count,
 * or a list of list_size samples.
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
    if (s->list) {
        s->samples = calloc((size_t)n * s->list_size, sizeof *s->samples);
        if (s->samples == NULL) {
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
    if (s != NULL)
        free(s->samples);
    free(s);
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

static int32_t pick_latency(void *state, const struct route_req *req, const struct route_view *view,
                            const struct route_env *env, const uint64_t *exclude)
{
    const struct lat_state *s = state;
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
        return;
    }
    if (s->penalty_ns <= 0.0)
        return;
    if (out->status == ROUTE_TIMEOUT || out->status == ROUTE_SERVER_ERROR)
        add_ewma(s, backend, s->penalty_ns);
}

const struct route_ops route__ops_lowest_latency = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "lowest_latency",
    .summary = "lowest TTFT EWMA (or LiteLLM sample list), random within a buffer; unseen first",
    .source = "LiteLLM latency-based-routing (lowest_latency.py), EWMA or list mode",
    .needs = ROUTE_NEED_LATENCY | ROUTE_NEED_LIMITS | ROUTE_NEED_TOKENS,
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
};
