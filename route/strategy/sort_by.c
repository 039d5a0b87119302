/*
 * sort_by.c - strategy `sort_by`: a deterministic order by price,
 * latency or throughput; the first eligible backend in that order wins.
 *
 * Reproduces OpenRouter provider routing `provider.sort` ("price",
 * "latency", "throughput") and the `:floor` (price) / `:nitro` (throughput)
 * model suffixes, with the `preferred_max_latency` /
 * `preferred_min_throughput` cutoffs (openrouter.ai/docs/features/
 * provider-routing, 2025-2026; docs/notes/routers.md §2.10, §4 row 12):
 * sorting disables load balancing and providers are tried in order (a retry
 * excludes the first and the next one follows).
 *
 * Orders (ties: lower backend index first):
 *  by = 0 price:      price_input + price_output ascending (list prices);
 *  by = 1 latency:    the router's TTFT EWMA ascending; a backend never
 *                     sampled counts 0, so it is explored first (as
 *                     LiteLLM's latency routing);
 *  by = 2 throughput: output tokens/s descending, an EWMA (weight
 *                     tput_alpha) of output_tokens / (latency - ttft) over
 *                     successful completions seen in on_complete; a backend
 *                     never sampled counts +infinity, explored first.
 * Cutoffs (0 = none): a backend with a sample whose TTFT EWMA exceeds
 * max_latency_s, or whose throughput EWMA is below min_throughput_tps, is
 * skipped unless no eligible backend passes them (OpenRouter: "preferred",
 * they deprioritise, never refuse).  Unsampled backends pass.
 * Differences: OpenRouter sorts on recent percentiles over all its users'
 * traffic (p50..p99 selectable); lbsim uses EWMAs of what this router saw.
 * State: the throughput EWMA per backend.  No randomness.
 *
 * Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 * pass (O(n)).  In a router: two heaps ordered by (key, index), one of the
 * eligible backends (usable, not saturated) and one of those also within
 * the cutoffs, kept from the router's journal of view changes and from
 * on_complete (throughput): O(log n) per change.  The pick is the first
 * non-excluded backend of the cutoff heap, else of the other, walked in
 * order: O(1) at the heap top, O(log n) per excluded backend walked past.
 * Same answer as the pass; nothing eligible: the pass answers (FULL /
 * NONE).
 */
#include <stdlib.h>

#include "route_int.h"

static const double NS_PER_S = 1e9;

static const struct route_param sort_params[] = {
    {.name = "by",
     .def = 0.0,
     .min = 0.0,
     .max = 2.0,
     .unit = "enum",
     .doc = "0 price (:floor), 1 latency (TTFT EWMA), 2 throughput (:nitro, output tokens/s)"},
    {.name = "max_latency_s",
     .def = 0.0,
     .min = 0.0,
     .max = 3600.0,
     .unit = "s",
     .doc = "skip backends whose TTFT EWMA is above this unless none remains (0 = none)"},
    {.name = "min_throughput_tps",
     .def = 0.0,
     .min = 0.0,
     .max = 1e6,
     .unit = "tokens/s",
     .doc = "skip backends whose throughput EWMA is below this unless none remains (0 = none)"},
    {.name = "tput_alpha",
     .def = 0.2,
     .min = 0.001,
     .max = 1.0,
     .unit = "ratio",
     .doc = "EWMA weight of a new throughput sample"},
};

enum { P_BY, P_MAX_LATENCY_S, P_MIN_THROUGHPUT_TPS, P_TPUT_ALPHA, N_PARAMS };
_Static_assert(sizeof sort_params / sizeof sort_params[0] == N_PARAMS,
               "sort_params and its index enum disagree");

enum { BY_PRICE = 0, BY_LATENCY = 1, BY_THROUGHPUT = 2 };

struct sort_backend {
    double tput;      /* output tokens/s EWMA */
    uint64_t samples; /* throughput samples */
};

struct sort_state {
    int by;
    double max_latency_ns; /* 0 = none */
    double min_tput;       /* 0 = none */
    double alpha;
    uint32_t n;
    /* the index (in a router) */
    const struct route__fleet *fleet;
    uint64_t cursor;
    struct route__heap in, all; /* eligible within the cutoffs; eligible */
    uint32_t *frontier;
    struct sort_backend b[];
};

static void destroy_sort(void *state);

static int create_sort(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    uint32_t n = args->n_backends;
    struct sort_state *s = calloc(1, sizeof *s + (size_t)n * sizeof s->b[0]);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'sort_by': out of memory");
        return -1;
    }
    s->fleet = route__fleet_for(args);
    s->cursor = UINT64_MAX;
    if (s->fleet != NULL && (route__heap_init(&s->in, n) < 0 || route__heap_init(&s->all, n) < 0 ||
                             (s->frontier = calloc(n > 0 ? n : 1, sizeof *s->frontier)) == NULL)) {
        destroy_sort(s);
        route__errf(err, errlen, "strategy 'sort_by': out of memory");
        return -1;
    }
    s->by = (int)(args->params[P_BY] + 0.5);
    s->max_latency_ns = args->params[P_MAX_LATENCY_S] * NS_PER_S;
    s->min_tput = args->params[P_MIN_THROUGHPUT_TPS];
    s->alpha = args->params[P_TPUT_ALPHA];
    s->n = n;
    *state = s;
    return 0;
}

static void destroy_sort(void *state)
{
    struct sort_state *s = state;
    if (s == NULL)
        return;
    route__heap_free(&s->in);
    route__heap_free(&s->all);
    free(s->frontier);
    free(s);
}

/* Sort key of backend i, lower first. */
static double key_of(const struct sort_state *s, const struct route_backend *b, uint32_t i)
{
    switch (s->by) {
    case BY_LATENCY:
        return b->ttft_samples > 0 ? (double)b->ttft_ewma_ns : 0.0;
    case BY_THROUGHPUT:
        return s->b[i].samples > 0 ? -s->b[i].tput : -1e308;
    default:
        return b->cfg.price_input + b->cfg.price_output;
    }
}

static bool within_cutoffs(const struct sort_state *s, const struct route_backend *b, uint32_t i)
{
    if (s->max_latency_ns > 0.0 && b->ttft_samples > 0 &&
        (double)b->ttft_ewma_ns > s->max_latency_ns)
        return false;
    if (s->min_tput > 0.0 && s->b[i].samples > 0 && s->b[i].tput < s->min_tput)
        return false;
    return true;
}

/* Re-file backend i in the heaps from the router's view. */
static void refile(struct sort_state *s, uint32_t i)
{
    const struct route_backend *b;
    int64_t k;
    if (i >= s->n || s->fleet == NULL)
        return;
    b = &s->fleet->view->b[i];
    if (!(b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) || route__saturated(b)) {
        route__heap_remove(&s->all, i);
        route__heap_remove(&s->in, i);
        return;
    }
    k = route__double_key(key_of(s, b, i));
    route__heap_set(&s->all, i, k);
    if (within_cutoffs(s, b, i))
        route__heap_set(&s->in, i, k);
    else
        route__heap_remove(&s->in, i);
}

static void on_change(void *ctx, uint32_t i)
{
    refile(ctx, i);
}

/* The first non-excluded member of h in (key, index) order, or -1. */
static int32_t first_of(struct sort_state *s, const struct route__heap *h, const uint64_t *exclude)
{
    struct route__heap_walk w;
    int32_t i;
    if (h->n > 0 && !route_excluded(exclude, h->item[0]))
        return (int32_t)h->item[0];
    route__heap_walk_start(&w, h, s->frontier);
    while ((i = route__heap_walk_next(&w, INT64_MAX)) >= 0) {
        if (!route_excluded(exclude, (uint32_t)i))
            return i;
    }
    return -1;
}

static int32_t scan_sort(const struct sort_state *s, const struct route_view *view,
                         const uint64_t *exclude);

static int32_t pick_sort(void *state, const struct route_req *req, const struct route_view *view,
                         const struct route_env *env, const uint64_t *exclude)
{
    struct sort_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    int32_t k;
    (void)req;
    (void)env;
    if (f == NULL || view->n != s->n)
        return scan_sort(s, view, exclude);
    if (!route__fleet_drain(f, &s->cursor, on_change, s)) {
        for (uint32_t i = 0; i < s->n; i++)
            refile(s, i);
    }
    k = first_of(s, &s->in, exclude);
    if (k < 0)
        k = first_of(s, &s->all, exclude);
    return k >= 0 ? k : scan_sort(s, view, exclude);
}

/* The pass. */
static int32_t scan_sort(const struct sort_state *s, const struct route_view *view,
                         const uint64_t *exclude)
{
    uint32_t n = view->n < s->n ? view->n : s->n;
    struct route__count c = {0, 0};
    int32_t best_in = ROUTE_NONE, best_any = ROUTE_NONE;
    double key_in = 0.0, key_any = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        const struct route_backend *b = &view->b[i];
        double k;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        if (route__saturated(b))
            continue;
        c.eligible++;
        k = key_of(s, b, i);
        if (best_any < 0 || k < key_any) {
            best_any = (int32_t)i;
            key_any = k;
        }
        if (within_cutoffs(s, b, i) && (best_in < 0 || k < key_in)) {
            best_in = (int32_t)i;
            key_in = k;
        }
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    return best_in >= 0 ? best_in : best_any;
}

static void complete_sort(void *state, uint32_t backend, const struct route_req *req,
                          const struct route_outcome *out, const struct route_env *env)
{
    struct sort_state *s = state;
    struct sort_backend *b;
    double x;
    (void)req;
    (void)env;
    if (backend >= s->n || out->status != ROUTE_OK || out->output_tokens <= 0 || out->ttft_ns < 0 ||
        out->latency_ns <= out->ttft_ns)
        return;
    x = (double)out->output_tokens * NS_PER_S / (double)(out->latency_ns - out->ttft_ns);
    b = &s->b[backend];
    if (b->samples == 0)
        b->tput = x;
    else
        b->tput += s->alpha * (x - b->tput);
    b->samples++;
    if (s->by == BY_THROUGHPUT || s->min_tput > 0.0)
        refile(s, backend); /* a key / cutoff the journal does not carry */
}

const struct route_ops route__ops_sort_by = {
    ROUTE_OPS_INIT,
    .name = "sort_by",
    .summary = "first eligible backend by price, TTFT or throughput, with preferred cutoffs",
    .source = "OpenRouter provider routing sort (price / latency / throughput), :floor, :nitro, "
              "preferred_max_latency / preferred_min_throughput",
    .params = sort_params,
    .n_params = N_PARAMS,
    .min_children = 0,
    .max_children = 0,
    .create = create_sort,
    .destroy = destroy_sort,
    .pick = pick_sort,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = complete_sort,
    .reads =
        ROUTE_READS_TTFT, /* ttft_ewma_ns / ttft_samples: the latency key and max_latency cutoff */
};
