/*
 * route_test.h - scaffolding shared by the route/ tests: an environment on
 * the test random source, and a router built from a registry name.  Links
 * route/ alone, like the tests that use it.
 */
#ifndef LBSIM_TEST_ROUTE_TEST_H
#define LBSIM_TEST_ROUTE_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "route.h"
#include "sm64.h"

/* A route_env at now_ns drawing from g. */
static inline struct route_env rt_env(struct sm64 *g, int64_t now_ns)
{
    struct route_env e = {.now_ns = now_ns, .rand = sm64_next, .rand_ctx = g};
    return e;
}

/* A request of id 1 with these sizes, everything else zero. */
static inline struct route_req rt_req(int64_t in, int64_t max, int64_t out)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.id = 1;
    q.input_tokens = in;
    q.max_tokens = max;
    q.output_tokens = out;
    return q;
}

/* A router for one registry strategy over n backends; a failure is a
 * failed check (and NULL). */
static inline struct route_router *rt_router(const char *name, const double *params,
                                             const struct route_backend_cfg *cfg, uint32_t n)
{
    char err[256] = "";
    struct route_router *r =
        route_router_create(route_registry_find(name), params, cfg, n, err, sizeof err);
    if (r == NULL)
        fprintf(stderr, "route_router_create(%s): %s\n", name, err);
    CHECK(r != NULL);
    return r;
}

#endif /* LBSIM_TEST_ROUTE_TEST_H */
