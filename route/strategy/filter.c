/*
 * filter.c - wrapper `filter`: pre-call predicates over (request,
 * backend) that narrow the candidate set, then delegate to the one child.
 *
 * Reproduces the LiteLLM pre-call checks (litellm/router.py
 * `_pre_call_checks`, `enable_pre_call_checks` / `optional_pre_call_checks`,
 * v1.x 2024-2026; docs/notes/routers.md §2.1.1 step 3, §2.1.9, §4 row 26):
 * the context-window check (model_info.max_input_tokens), `region_name`,
 * tag filtering (`enable_tag_filtering`, `&tag` = required), deployment
 * budgets (`max_budget` + `budget_duration`, budget_limiter.py), and
 * `model_info.allow_fail_open`.  The tool-offload predicate is lbsim's own
 * (issue "route/ complete": task label -> `tool` backend kind).
 *
 * Predicates (each a 0/1 switch; all enabled ones must hold):
 *  - task_tool: a request whose task label equals `tool_task` goes only to
 *    ROUTE_KIND_TOOL backends; any other request never goes to one. *    `tool_task` is the
 * gateway's id of the tool task: lbsim maps the task label "tool" to id 1 (the default); 0 means
 * "no tool task", and then every tool backend is skipped.
 *  - region (data sovereignty): a request with region != 0 goes only to
 *    backends of that region or of region 0; a backend of region 0 is
 *    unrestricted and serves any request; a request of region 0 goes
 *    anywhere.
 *  - context_window: skip a backend whose context_window > 0 is smaller than
 *    input_tokens + max_tokens (LiteLLM checks the prompt against
 *    max_input_tokens; lbsim charges the whole budget as providers reject a
 *    prompt + max_tokens overflow).
 *  - budget: skip a backend with budget_usd > 0 and spent_usd >= budget_usd
 *    (the router resets spent_usd every budget window).  LiteLLM: "No
 *    deployments available - crossed budget" when none remains.
 *  - tags: requests carry no tags yet; every backend must carry all the bits
 *    of `tags_required` (a bitmask passed as a double, 0 = off).  LiteLLM's
 *    `default` tag fallback is not reproduced.
 *  - model_group: only backends whose model_group equals the request's
 *    (0 matches 0 only).
 * fail_open = 1: when the filter leaves no usable backend, ignore it and
 * delegate with the caller's exclude set (LiteLLM allow_fail_open).  Quirk
 * kept from LiteLLM: "usable" means healthy and not excluded; a filtered set
 * whose backends are all saturated is not empty (the child answers FULL).
 *
 * Cost: no randomness of its own, no per-backend work for the static
 * predicates: create precomputes bitsets (tool backends; backends of each
 * region; context windows as cumulative masks by size; backends of each
 * model group; backends lacking the required tags), so a pick ORs a few
 * masks chosen by binary search into the narrowed set (O(n / 64)).  The
 * budget predicate is a bitset kept from the router's journal of view
 * changes.  "Nothing usable left" is a word test against the router's
 * unusable bitset.  Outside a router (a state created by hand): the O(n)
 * pass over the predicates.
 */
#include <stdlib.h>
#include <string.h>

#include "route_int.h"

/* 2^52: the largest tag mask a double carries exactly with room to spare. */
#define TAGS_MAX 4503599627370496.0

static const struct route_param filter_params[] = {
    {.name = "task_tool",
     .def = 1.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "requests of task tool_task only to tool backends, others never to them"},
    {.name = "tool_task",
     .def = 1.0,
     .min = 0.0,
     .max = 4294967295.0,
     .unit = "id",
     .doc = "task id served by tool backends (lbsim maps the task label \"tool\" to 1); "
            "0 = none, tool backends unused"},
    {.name = "region",
     .def = 1.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "a request with a region only to backends of that region or of region 0 (any)"},
    {.name = "context_window",
     .def = 1.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "skip backends whose context window < input + max_tokens (LiteLLM pre-call check)"},
    {.name = "budget",
     .def = 1.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "skip backends that spent their budget_usd in the current budget window"},
    {.name = "tags_required",
     .def = 0.0,
     .min = 0.0,
     .max = TAGS_MAX,
     .unit = "bitmask",
     .doc = "tag bits every backend must carry (0 = no tag filter)"},
    {.name = "model_group",
     .def = 1.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "only backends serving the request's model group (0 matches 0 only)"},
    {.name = "fail_open",
     .def = 0.0,
     .min = 0.0,
     .max = 1.0,
     .unit = "bool",
     .doc = "when nothing usable passes, ignore the filter (LiteLLM allow_fail_open)"},
};

enum {
    P_TASK_TOOL,
    P_TOOL_TASK,
    P_REGION,
    P_CONTEXT_WINDOW,
    P_BUDGET,
    P_TAGS_REQUIRED,
    P_MODEL_GROUP,
    P_FAIL_OPEN,
    N_PARAMS
};
_Static_assert(sizeof filter_params / sizeof filter_params[0] == N_PARAMS,
               "filter_params and its index enum disagree");

/* Backends grouped by a value (region, model group): value -> bitset. */
struct value_masks {
    uint32_t k;     /* distinct values */
    uint32_t *val;  /* sorted */
    uint64_t *mask; /* k x words */
};

struct filter_state {
    struct route_node *child;
    bool task_tool, region, context_window, budget, model_group, fail_open;
    uint32_t tool_task;
    uint64_t tags_required;
    uint32_t n;
    uint32_t words;
    uint64_t *ex;       /* narrowed exclude set */
    uint64_t *tool;     /* kind == TOOL */
    uint64_t *nz_reg;   /* region != 0 */
    uint64_t *untagged; /* lacking a required tag */
    struct value_masks regions, groups;
    uint32_t n_cw;     /* distinct positive context windows */
    int64_t *cw;       /* sorted */
    uint64_t *cw_mask; /* n_cw x words: backends with 0 < window <= cw[k] */
    uint32_t n_budgeted;
    uint32_t *budgeted; /* backends with a budget */
    uint64_t *over;     /* bitset: spent >= budget (kept from the journal) */
    const struct route__fleet *fleet;
    uint64_t cursor;
};

static void destroy_filter(void *state)
{
    struct filter_state *s = state;
    if (s == NULL)
        return;
    free(s->ex);
    free(s->tool);
    free(s->nz_reg);
    free(s->untagged);
    free(s->regions.val);
    free(s->regions.mask);
    free(s->groups.val);
    free(s->groups.mask);
    free(s->cw);
    free(s->cw_mask);
    free(s->budgeted);
    free(s->over);
    free(s);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Index of v among the k sorted values, or -1. */
static int32_t find_u32(const uint32_t *val, uint32_t k, uint32_t v)
{
    uint32_t lo = 0, hi = k;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (val[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k && val[lo] == v ? (int32_t)lo : -1;
}

/* Group the backends by value[i] (only those with skip_zero false or
 * value != 0). */
static int build_masks(struct value_masks *m, const uint32_t *value, uint32_t n, uint32_t words,
                       bool skip_zero)
{
    uint32_t k = 0;
    m->val = calloc(n > 0 ? n : 1, sizeof *m->val);
    if (m->val == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (!(skip_zero && value[i] == 0))
            m->val[k++] = value[i];
    }
    qsort(m->val, k, sizeof *m->val, cmp_u32);
    m->k = 0;
    for (uint32_t i = 0; i < k; i++) {
        if (m->k == 0 || m->val[m->k - 1] != m->val[i])
            m->val[m->k++] = m->val[i];
    }
    m->mask = calloc((size_t)(m->k > 0 ? m->k : 1) * words, sizeof *m->mask);
    if (m->mask == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        int32_t j = skip_zero && value[i] == 0 ? -1 : find_u32(m->val, m->k, value[i]);
        if (j >= 0)
            route_exclude_set(m->mask + (size_t)j * words, i);
    }
    return 0;
}

static int build_static(struct filter_state *s, const struct route_backend_cfg *cfgs)
{
    uint32_t n = s->n, words = s->words, m = n > 0 ? n : 1;
    uint32_t *v = calloc(m, sizeof *v);
    int rc = 0;
    s->ex = calloc(words, sizeof *s->ex);
    s->tool = calloc(words, sizeof *s->tool);
    s->nz_reg = calloc(words, sizeof *s->nz_reg);
    s->untagged = calloc(words, sizeof *s->untagged);
    s->cw = calloc(m, sizeof *s->cw);
    s->budgeted = calloc(m, sizeof *s->budgeted);
    s->over = calloc(words, sizeof *s->over);
    if (v == NULL || s->ex == NULL || s->tool == NULL || s->nz_reg == NULL || s->untagged == NULL ||
        s->cw == NULL || s->budgeted == NULL || s->over == NULL) {
        free(v);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct route_backend_cfg *c = &cfgs[i];
        if (c->kind == ROUTE_KIND_TOOL)
            route_exclude_set(s->tool, i);
        if (c->region != 0)
            route_exclude_set(s->nz_reg, i);
        if ((c->tags & s->tags_required) != s->tags_required)
            route_exclude_set(s->untagged, i);
        if (c->context_window > 0)
            s->cw[s->n_cw++] = c->context_window;
        if (c->budget_usd > 0.0)
            s->budgeted[s->n_budgeted++] = i;
        v[i] = c->region;
    }
    rc |= build_masks(&s->regions, v, n, words, true);
    for (uint32_t i = 0; i < n; i++)
        v[i] = cfgs[i].model_group;
    rc |= build_masks(&s->groups, v, n, words, false);
    free(v);
    if (rc != 0)
        return -1;
    qsort(s->cw, s->n_cw, sizeof *s->cw, cmp_i64);
    {
        uint32_t k = 0;
        for (uint32_t i = 0; i < s->n_cw; i++) {
            if (k == 0 || s->cw[k - 1] != s->cw[i])
                s->cw[k++] = s->cw[i];
        }
        s->n_cw = k;
    }
    s->cw_mask = calloc((size_t)(s->n_cw > 0 ? s->n_cw : 1) * words, sizeof *s->cw_mask);
    if (s->cw_mask == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        int64_t c = cfgs[i].context_window;
        uint32_t lo = 0, hi = s->n_cw;
        if (c <= 0)
            continue;
        while (lo < hi) { /* first k with cw[k] >= c: its mask and all larger ones */
            uint32_t mid = lo + (hi - lo) / 2;
            if (s->cw[mid] < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t k = lo; k < s->n_cw; k++)
            route_exclude_set(s->cw_mask + (size_t)k * words, i);
    }
    return 0;
}

static int create_filter(void **state, const struct route_create_args *args, char *err,
                         size_t errlen)
{
    const double *p = args->params;
    uint32_t words = ROUTE_EXCLUDE_WORDS(args->n_backends > 0 ? args->n_backends : 1);
    struct filter_state *s;
    if (args->n_children != 1) {
        route__errf(err, errlen, "strategy 'filter': needs exactly one child, got %u",
                    args->n_children);
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        route__errf(err, errlen, "strategy 'filter': out of memory");
        return -1;
    }
    s->child = args->children[0];
    s->task_tool = p[P_TASK_TOOL] != 0.0;
    s->tool_task = (uint32_t)p[P_TOOL_TASK];
    s->region = p[P_REGION] != 0.0;
    s->context_window = p[P_CONTEXT_WINDOW] != 0.0;
    s->budget = p[P_BUDGET] != 0.0;
    s->tags_required = (uint64_t)p[P_TAGS_REQUIRED];
    s->model_group = p[P_MODEL_GROUP] != 0.0;
    s->fail_open = p[P_FAIL_OPEN] != 0.0;
    s->n = args->n_backends;
    s->words = words;
    s->fleet = route__node_fleet(args->node);
    s->cursor = UINT64_MAX;
    if (args->cfgs == NULL || build_static(s, args->cfgs) < 0) {
        destroy_filter(s);
        route__errf(err, errlen, "strategy 'filter': out of memory");
        return -1;
    }
    *state = s;
    return 0;
}

static void budget_changed(void *ctx, uint32_t i)
{
    struct filter_state *s = ctx;
    const struct route_backend *b;
    if (i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    route__bit_put(s->over, i, b->cfg.budget_usd > 0.0 && b->spent_usd >= b->cfg.budget_usd);
}

/* OR into s->ex the backends the predicates reject for req: O(n / 64). */
static void narrow(struct filter_state *s, const struct route_req *req,
                   const struct route__fleet *f)
{
    uint32_t w, words = s->words;
    if (s->task_tool) {
        bool tool_req = s->tool_task != 0 && req->task == s->tool_task;
        for (w = 0; w < words; w++)
            s->ex[w] |= tool_req ? ~s->tool[w] : s->tool[w];
    }
    if (s->region && req->region != 0) {
        int32_t j = find_u32(s->regions.val, s->regions.k, req->region);
        const uint64_t *m = j >= 0 ? s->regions.mask + (size_t)j * words : NULL;
        for (w = 0; w < words; w++)
            s->ex[w] |= s->nz_reg[w] & ~(m != NULL ? m[w] : 0);
    }
    if (s->context_window && s->n_cw > 0) {
        int64_t tok = route__req_tokens(req);
        uint32_t lo = 0, hi = s->n_cw;
        while (lo < hi) { /* number of windows < tok */
            uint32_t mid = lo + (hi - lo) / 2;
            if (s->cw[mid] < tok)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0) {
            const uint64_t *m = s->cw_mask + (size_t)(lo - 1) * words;
            for (w = 0; w < words; w++)
                s->ex[w] |= m[w];
        }
    }
    if (s->budget && s->n_budgeted > 0) {
        if (!route__fleet_drain(f, &s->cursor, budget_changed, s)) {
            for (uint32_t k = 0; k < s->n_budgeted; k++)
                budget_changed(s, s->budgeted[k]);
        }
        for (w = 0; w < words; w++)
            s->ex[w] |= s->over[w];
    }
    if (s->tags_required != 0) {
        for (w = 0; w < words; w++)
            s->ex[w] |= s->untagged[w];
    }
    if (s->model_group) {
        int32_t j = find_u32(s->groups.val, s->groups.k, req->model_group);
        const uint64_t *m = j >= 0 ? s->groups.mask + (size_t)j * words : NULL;
        for (w = 0; w < words; w++)
            s->ex[w] |= ~(m != NULL ? m[w] : 0);
    }
}

/* True when backend b passes every enabled predicate for req. */
static bool passes(const struct filter_state *s, const struct route_req *req,
                   const struct route_backend *b)
{
    const struct route_backend_cfg *c = &b->cfg;
    if (s->task_tool) {
        bool tool_req = s->tool_task != 0 && req->task == s->tool_task;
        if (tool_req != (c->kind == ROUTE_KIND_TOOL))
            return false;
    }
    if (s->region && req->region != 0 && c->region != 0 && c->region != req->region)
        return false;
    if (s->context_window && c->context_window > 0 && route__req_tokens(req) > c->context_window)
        return false;
    if (s->budget && c->budget_usd > 0.0 && b->spent_usd >= c->budget_usd)
        return false;
    if ((c->tags & s->tags_required) != s->tags_required)
        return false;
    if (s->model_group && c->model_group != req->model_group)
        return false;
    return true;
}

static int32_t pick_filter(void *state, const struct route_req *req, const struct route_view *view,
                           const struct route_env *env, const uint64_t *exclude)
{
    struct filter_state *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    uint32_t n = view->n < s->n ? view->n : s->n;
    bool left = false;
    if (exclude != NULL)
        memcpy(s->ex, exclude, (size_t)s->words * sizeof s->ex[0]);
    else
        memset(s->ex, 0, (size_t)s->words * sizeof s->ex[0]);
    if (f != NULL && view->n == s->n) { /* a router: static configuration */
        narrow(s, req, f);
        left = route__any_candidate(f, view, s->ex, NULL, 1);
    } else {
        for (uint32_t i = 0; i < n; i++) {
            if (route_excluded(s->ex, i))
                continue;
            if (!passes(s, req, &view->b[i]))
                route_exclude_set(s->ex, i);
            else if (route_usable(view, s->ex, i))
                left = true;
        }
    }
    if (!left) {
        if (!s->fail_open)
            return ROUTE_NONE;
        return route_node_pick(s->child, req, view, env, exclude);
    }
    return route_node_pick(s->child, req, view, env, s->ex);
}

const struct route_ops route__ops_filter = {
    ROUTE_OPS_INIT,
    .name = "filter",
    .summary = "pre-call filters (tool task, region, context window, budget, tags, model "
               "group), then the child",
    .source = "LiteLLM pre-call checks (router.py _pre_call_checks, tag_based_routing.py, "
              "budget_limiter.py, allow_fail_open; v1.x)",
    .params = filter_params,
    .n_params = N_PARAMS,
    .min_children = 1,
    .max_children = 1,
    .create = create_filter,
    .destroy = destroy_filter,
    .pick = pick_filter,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* none of its own; the router ORs in its children's */
};
