/*
 * fuzz_set.c - libFuzzer target: `--set PATH=VALUE` (scn_set_parse, then
 * scn_load_set on a fixed scenario).  The input is up to four arguments,
 * one a line; each is parsed and the ones that parse are applied in order
 * to the scenario below, held in memory (scn_load_mem): tests/data/
 * set_base.yaml's shape (items by name, by index, dotted names, an anchor
 * and alias, a pool, compare entries).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SET_MAX 4

static const char fuzz__base[] = "seed: 7\n"
                                 "duration: 10m\n"
                                 "traffic:\n"
                                 "  synthetic:\n"
                                 "    rate: 5/s\n"
                                 "    count: 2000\n"
                                 "    input_tokens: {dist: constant, value: 100}\n"
                                 "    output_tokens: {dist: constant, value: 50}\n"
                                 "backends:\n"
                                 "  - name: openai-a\n"
                                 "    weight: 2\n"
                                 "    limits: &shared {rpm: 600, tpm: 90k}\n"
                                 "    latency:\n"
                                 "      ttft: {dist: lognormal, median: 500ms, p99: 2s}\n"
                                 "    faults:\n"
                                 "      error_rate: 1%\n"
                                 "      outages:\n"
                                 "        - {start: 1m, duration: 2m, status: 503}\n"
                                 "  - name: gpt.4o\n"
                                 "    weight: 3\n"
                                 "    limits: *shared\n"
                                 "    latency: {ttft: 1s}\n"
                                 "  - name: gpu\n"
                                 "    kind: pool\n"
                                 "    profile: h100-llama3.1-8b\n"
                                 "    replicas: 2\n"
                                 "router:\n"
                                 "  strategy: round_robin\n"
                                 "  timeout: 30s\n"
                                 "compare:\n"
                                 "  - round_robin\n"
                                 "  - {strategy: weighted_random, label: wr}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[128]; /* the same name every time: set once */
    char err[1024];
    if (!path[0])
        fuzz_path("base.yaml", path, sizeof path);
    /* The arguments as NUL-terminated strings, as argv gives them. */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    struct scn_set sets[FUZZ_SET_MAX];
    uint32_t n = 0;
    char *p = buf;
    while (n < FUZZ_SET_MAX && p) {
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        if (nl)
            *nl = '\0';
        if (scn_set_parse(p, &sets[n], err, sizeof err) == 0)
            n++;
        p = nl ? nl + 1 : NULL;
    }
    struct scenario s;
    memset(&s, 0, sizeof s);
    if (n > 0 && scn_load_mem(path, (const unsigned char *)fuzz__base, sizeof fuzz__base - 1, NULL,
                              sets, n, &s, err, sizeof err) == 0)
        scn_free(&s);
    free(buf);
    return 0;
}
