/*
 * route_filter.c - wrapper `filter`: pre-call predicates over (request,
 * backend) that narrow the candidate set, then delegate to the one child.
 *
 * Reproduces the LiteLLM pre-call checks (litellm/router.py
 * `_pre_call_checks`, `enable_pre_call_checks` / `optional_pre_call_checks`,
 * v1.x 2024-2026; reference/routers.md §2.1.1 step 3, §2.1.9, §4 row 26):
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
 * Cost: one O(n) pass building the narrowed set in a bitset allocated in
 * create; no randomness of its own.
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

struct filter_state {
    struct route_node *child;
    bool task_tool, region, context_window, budget, model_group, fail_open;
    uint32_t tool_task;
    uint64_t tags_required;
    uint32_t n;
    uint32_t words;
    uint64_t ex[]; /* narrowed exclude set, ROUTE_EXCLUDE_WORDS(n) words */
};

static int create_filter(void **state, const struct route_create_args *args, char *err,
                         size_t errlen)
{
    const double *p = args->params;
    uint32_t words = ROUTE_EXCLUDE_WORDS(args->n_backends);
    struct filter_state *s;
    if (args->n_children != 1) {
        route__errf(err, errlen, "strategy 'filter': needs exactly one child, got %u",
                    args->n_children);
        return -1;
    }
    s = calloc(1, sizeof *s + (size_t)words * sizeof s->ex[0]);
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
    *state = s;
    return 0;
}

static void destroy_filter(void *state)
{
    free(state);
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
    uint32_t n = view->n < s->n ? view->n : s->n;
    uint32_t left = 0;
    if (exclude != NULL)
        memcpy(s->ex, exclude, (size_t)s->words * sizeof s->ex[0]);
    else
        memset(s->ex, 0, (size_t)s->words * sizeof s->ex[0]);
    for (uint32_t i = 0; i < n; i++) {
        if (route_excluded(s->ex, i))
            continue;
        if (!passes(s, req, &view->b[i]))
            route_exclude_set(s->ex, i);
        else if (route_usable(view, s->ex, i))
            left++;
    }
    if (left == 0) {
        if (!s->fail_open)
            return ROUTE_NONE;
        return route_node_pick(s->child, req, view, env, exclude);
    }
    return route_node_pick(s->child, req, view, env, s->ex);
}

const struct route_ops route__ops_filter = {
    .abi_version = ROUTE_ABI_VERSION,
    .name = "filter",
    .summary = "pre-call filters (tool task, region, context window, budget, tags, model "
               "group), then the child",
    .source = "LiteLLM pre-call checks (router.py _pre_call_checks, tag_based_routing.py, "
              "budget_limiter.py, allow_fail_open; v1.x)",
    .needs = ROUTE_NEED_TOKENS | ROUTE_NEED_PRICES,
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
};
