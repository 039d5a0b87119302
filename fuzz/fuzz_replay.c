/*
 * fuzz_replay.c - libFuzzer target: trace -> engine.  A fixed scenario
 * (loaded once) replays the fuzzed bytes as its trace, to the end: the only
 * way extreme row values (token counts, arrival times, sessions, labels,
 * max_tokens, priorities a reader accepts) reach the engine, its backends'
 * token buckets, the pool's KV accounting and the billing.
 *
 * Input: byte 0 picks the reader (bits 0-2: auto, native, Azure 2023,
 * BurstGPT, Mooncake JSONL, as fuzz_trace) and skip_bad_rows (bit 5); the
 * rest is the trace file, read from memory (trace_cfg.data).  At most
 * FUZZ_SIM_MAX_REQUESTS rows are replayed; the result must conserve
 * requests and sum its per-backend costs to the total (fuzz_sim_check).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sim.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Two priced API accounts with rate limits, a GPU pool, retries and a
 * fallback: every backend kind and the gateway's paths a row can steer. */
static const char fuzz__scenario[] =
    "seed: 11\n"
    "traffic: {trace: trace.csv}\n"
    "backends:\n"
    "  - name: a\n"
    "    prices: {input: $2.50, cached_input: $1.25, output: $10.00}\n"
    "    limits: {rpm: 600, tpm: 100k}\n"
    "    latency: {ttft: {dist: lognormal, median: 300ms, p99: 2s}, output_rate: 50}\n"
    "    faults: {error_rate: 5%}\n"
    "  - name: b\n"
    "    prices: {input: $0.15, output: $0.60}\n"
    "    limits: {rpm: 60, tpm: 20k}\n"
    "    latency: {ttft: 1s, output_rate: 100}\n"
    "  - {name: gpu, kind: pool, profile: h100-llama3.1-8b, replicas: 1}\n"
    "router:\n"
    "  strategy: least_inflight\n"
    "  timeout: 30s\n"
    "  retries: {max_attempts: 2}\n";

static const enum trace_format fuzz__formats[] = {
    TRACE_AUTO, TRACE_NATIVE, TRACE_AZURE2023, TRACE_BURSTGPT, TRACE_MOONCAKE,
};

/* Loaded once, read-only afterwards but for the trace fields set before
 * each run. */
static struct scenario fuzz__s;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char path[128], err[1024];
    fuzz_path("replay.yaml", path, sizeof path);
    if (scn_load_mem(path, (const unsigned char *)fuzz__scenario, sizeof fuzz__scenario - 1, NULL,
                     NULL, 0, &fuzz__s, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_replay: the fixed scenario: %s\n", err);
        abort();
    }
    fuzz_sim_bound(&fuzz__s.traffic);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct trace_cfg *t = &fuzz__s.traffic;
    t->format = fuzz__formats[(data[0] & 7u) % (sizeof fuzz__formats / sizeof fuzz__formats[0])];
    t->skip_bad_rows = (data[0] >> 5) & 1;
    t->data = data + 1;
    t->data_len = size - 1;
    char err[1024];
    struct sim_result r;
    memset(&r, 0, sizeof r);
    if (sim_run(&fuzz__s, &fuzz__s.router.strategy, fuzz__s.seed, NULL, &r, err, sizeof err) == 0)
        fuzz_sim_check(&r);
    sim_result_free(&r);
    t->data = NULL;
    t->data_len = 0;
    return 0;
}
