/*
 * plugin_bad.c - broken strategy plugins for tests/cli/test_plugin.sh, one
 * per macro (CMake builds each as a MODULE target):
 *   PLUGIN_BAD_ABI    reports route ABI 2 (an older lbsim)
 *   PLUGIN_NEW_MINOR  a table of ABI 3.(ROUTE_ABI_MINOR + 1): a newer lbsim
 *   PLUGIN_SMALL_OPS  a table whose ops_size is below an ABI 3.0 table
 *   PLUGIN_NO_SYMBOL  exports no lbsim_route_plugin
 *   PLUGIN_BAD_OPS    a table without pick (route_ops_check refuses it)
 *   PLUGIN_CLASH      a strategy named like a built-in (least_inflight)
 *   PLUGIN_UNRESOLVED calls a route/ function the host does not export
 */
#include <stddef.h>
#include <stdint.h>

#include "route_strategy.h"

const struct route_ops *const *lbsim_route_plugin(uint32_t *n, uint32_t *abi);
const struct route_ops *const *lbsim_route_plugin_v0(uint32_t *n, uint32_t *abi);

static int bad_create(void **state, const struct route_create_args *args, char *err, size_t errlen)
{
    (void)args;
    (void)err;
    (void)errlen;
    *state = NULL;
    return 0;
}

static int32_t bad_pick(void *state, const struct route_req *req, const struct route_view *view,
                        const struct route_env *env, const uint64_t *exclude)
{
    (void)state;
    (void)req;
#ifdef PLUGIN_UNRESOLVED
    (void)exclude;
    return (int32_t)route_rand_below(env, view->n);
#else
    (void)env;
    for (uint32_t i = 0; i < view->n; i++)
        if (route_usable(view, exclude, i))
            return (int32_t)i;
    return ROUTE_NONE;
#endif
}

static const struct route_ops bad_ops = {
    .abi_version = ROUTE_ABI_VERSION,
#ifdef PLUGIN_NEW_MINOR
    .abi_minor = ROUTE_ABI_MINOR + 1u,
#else
    .abi_minor = ROUTE_ABI_MINOR,
#endif
#ifdef PLUGIN_SMALL_OPS
    .ops_size = (uint32_t)offsetof(struct route_ops, on_dispatch),
#else
    .ops_size = (uint32_t)sizeof(struct route_ops),
#endif
#ifdef PLUGIN_CLASH
    .name = "least_inflight",
#else
    .name = "plugin_bad",
#endif
    .summary = "first usable backend (test plugin)",
    .source = "tests/data/plugin_bad.c",
    .create = bad_create,
#ifndef PLUGIN_BAD_OPS
    .pick = bad_pick,
#endif
};

static const struct route_ops *const tables[] = {&bad_ops};

#ifdef PLUGIN_NO_SYMBOL
/* A near miss: the host must look for the exact name. */
const struct route_ops *const *lbsim_route_plugin_v0(uint32_t *n, uint32_t *abi)
#else
const struct route_ops *const *lbsim_route_plugin(uint32_t *n, uint32_t *abi)
#endif
{
    (void)bad_pick;
    *n = 1;
#ifdef PLUGIN_BAD_ABI
    *abi = 2;
#else
    *abi = ROUTE_ABI_VERSION;
#endif
    return tables;
}
