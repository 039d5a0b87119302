/*
 * fuzz_run.c - libFuzzer target: a whole short run of a fuzzed scenario
 * (scn_load_mem, then sim_run), the way extreme but accepted values of a
 * scenario (latencies, rates, limits, faults) reach the engine's int64
 * arithmetic under UBSan.
 *
 * Input: a scenario, optionally followed by a line "%%trace" and the bytes
 * of the trace file trace.csv beside it (`traffic: {trace: trace.csv}`
 * reads them, from memory: trace_cfg.data; without the line it reads the
 * fixture of fuzz_util.h).  The work is bounded before the run
 * (fuzz_sim_bound); the run must end, and its result must conserve
 * requests and sum (fuzz_sim_check).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_sim.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RUN_SEPARATOR "\n%%trace\n"

/* A source reading the fixture trace.csv reads the fuzzed bytes instead. */
static void feed(struct trace_cfg *t, const char *trace_path, const uint8_t *tr, size_t tn)
{
    if (tr && t->path && strcmp(t->path, trace_path) == 0) {
        t->data = tr;
        t->data_len = tn;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[128], tpath[128]; /* the same names every time: set once */
    char err[1024];
    if (!path[0]) {
        fuzz_path("run.yaml", path, sizeof path);
        fuzz_path("trace.csv", tpath, sizeof tpath);
    }
    size_t n = size;
    const uint8_t *tr = NULL;
    size_t tn = 0;
    size_t sl = sizeof FUZZ_RUN_SEPARATOR - 1;
    for (size_t i = 0; i + sl <= size; i++)
        if (memcmp(data + i, FUZZ_RUN_SEPARATOR, sl) == 0) {
            n = i;
            tr = data + i + sl;
            tn = size - i - sl;
            break;
        }
    struct scenario s;
    memset(&s, 0, sizeof s);
    if (scn_load_mem(path, data, n, NULL, NULL, 0, &s, err, sizeof err) != 0)
        return 0;
    fuzz_sim_bound(&s.traffic);
    feed(&s.traffic, tpath, tr, tn);
    for (uint32_t i = 0; i < s.n_sources; i++) {
        fuzz_sim_bound(&s.sources[i]);
        feed(&s.sources[i], tpath, tr, tn);
    }
    const struct scn_strategy *st = s.n_compare ? &s.compare[0] : &s.router.strategy;
    struct sim_result r;
    memset(&r, 0, sizeof r);
    if (sim_run(&s, st, s.seed, NULL, &r, err, sizeof err) == 0)
        fuzz_sim_check(&r);
    sim_result_free(&r);
    scn_free(&s);
    return 0;
}
