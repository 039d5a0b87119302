/*
 * fuzz_sim.c - run bounds and result checks of the engine targets
 * (fuzz_sim.h).
 */
#include "fuzz_sim.h"

#include <math.h>
#include <stdlib.h>

void fuzz_sim_bound(struct trace_cfg *t)
{
    if (t->limit == 0 || t->limit > FUZZ_SIM_MAX_REQUESTS)
        t->limit = FUZZ_SIM_MAX_REQUESTS;
    if (t->synth.count == 0 || t->synth.count > FUZZ_SIM_MAX_REQUESTS)
        t->synth.count = FUZZ_SIM_MAX_REQUESTS;
    t->repeat_to_ns = 0;
}

void fuzz_sim_check(const struct sim_result *r)
{
    if (r->requests != r->completed + r->failed + r->in_flight_at_end)
        abort();
    uint64_t att = 0;
    double cost = 0;
    for (uint32_t b = 0; b < r->n_backends; b++) {
        att += r->backends[b].attempts;
        cost += r->backends[b].cost_usd;
    }
    if (att != r->attempts)
        abort();
    /* a sum in another order: equal to a relative 1e-6 */
    if (isfinite(r->cost_usd) && fabs(cost - r->cost_usd) > 1e-6 * (1.0 + fabs(r->cost_usd)))
        abort();
}
