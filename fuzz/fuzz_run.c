/*
 * fuzz_run.c - libFuzzer target: a whole short run of a fuzzed scenario
 * (scn_load, then sim_run), the only way extreme but accepted values
 * (token counts of a trace row, latencies, rates, limits) reach the
 * engine's int64 arithmetic under UBSan.
 *
 * Input: a scenario, optionally followed by a line "%%trace" and a trace
 * file written beside it as trace.csv (`traffic: {trace: trace.csv}`
 * reads it).  The work is bounded before the run: every source stops
 * after FUZZ_RUN_MAX_REQUESTS requests and does not repeat.  The run must
 * end, and its result must conserve requests (requests = completed +
 * failed + in flight) and sum: per-backend attempts and costs to the
 * totals.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RUN_MAX_REQUESTS 200u
#define FUZZ_RUN_SEPARATOR    "\n%%trace\n"

static void bound(struct trace_cfg *t)
{
    if (t->limit == 0 || t->limit > FUZZ_RUN_MAX_REQUESTS)
        t->limit = FUZZ_RUN_MAX_REQUESTS;
    if (t->synth.count == 0 || t->synth.count > FUZZ_RUN_MAX_REQUESTS)
        t->synth.count = FUZZ_RUN_MAX_REQUESTS;
    t->repeat_to_ns = 0;
}

static void check(const struct sim_result *r)
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
    if (isfinite(r->cost_usd) && fabs(cost - r->cost_usd) > 1e-6 * (1.0 + fabs(r->cost_usd)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], tpath[128], err[1024];
    size_t n = size;
    const uint8_t *sep = NULL;
    size_t sl = sizeof FUZZ_RUN_SEPARATOR - 1;
    for (size_t i = 0; i + sl <= size; i++)
        if (memcmp(data + i, FUZZ_RUN_SEPARATOR, sl) == 0) {
            sep = data + i;
            break;
        }
    if (sep) {
        n = (size_t)(sep - data);
        if (fuzz_write("trace.csv", sep + sl, size - n - sl, tpath, sizeof tpath) != 0)
            return 0;
    }
    if (fuzz_write("run.yaml", data, n, path, sizeof path) != 0)
        return 0;
    struct scenario s;
    memset(&s, 0, sizeof s);
    if (scn_load(path, &s, err, sizeof err) != 0)
        return 0;
    bound(&s.traffic);
    for (uint32_t i = 0; i < s.n_sources; i++)
        bound(&s.sources[i]);
    const struct scn_strategy *st = s.n_compare ? &s.compare[0] : &s.router.strategy;
    struct sim_result r;
    memset(&r, 0, sizeof r);
    if (sim_run(&s, st, s.seed, NULL, &r, err, sizeof err) == 0)
        check(&r);
    sim_result_free(&r);
    scn_free(&s);
    return 0;
}
