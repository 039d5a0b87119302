/*
 * fuzz_util.c - scratch directory and fixtures of the libFuzzer targets
 * (fuzz_util.h).
 */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A harness is one process; the directory name is its only state, set once
 * and read-only afterwards. */
static char fuzz__dir[64];

const char fuzz_fixture_trace[] =
    "arrival_s,input_tokens,output_tokens\n0,10,5\n0.5,20,5\n1,30,5\n";

/* tests/data/gen_sg_ok-dataset.json's shape: two 6-hour windows of PMFs. */
static const char fuzz__sg_dataset[] =
    "{\"0\": {\"input_tokens\": \"{100: 1.0}\", \"output_tokens\": \"{10: 1.0}\"},\n"
    " \"21600\": {\"input_tokens\": \"{200: 0.5, 300: 0.5}\", "
    "\"output_tokens\": \"{20: 0.25, 40: 0.75}\"}}\n";

static void fuzz__cleanup(void)
{
    char cmd[96];
    if (!fuzz__dir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz__dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz__dir);
}

static void fuzz__fixture(const char *name, const char *text)
{
    char p[128];
    if (fuzz_write(name, (const uint8_t *)text, strlen(text), p, sizeof p) != 0) {
        perror("fuzz: writing a fixture");
        abort();
    }
}

const char *fuzz_dir(void)
{
    if (!fuzz__dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz__dir, sizeof fuzz__dir, "%s/lbsim_fuzz_XXXXXX",
                 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(fuzz__dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz__cleanup);
        fuzz__fixture("trace.csv", fuzz_fixture_trace);
        fuzz__fixture("sg-dataset.json", fuzz__sg_dataset);
    }
    return fuzz__dir;
}

char *fuzz_path(const char *name, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "%s/%s", fuzz_dir(), name);
    if (n < 0 || (size_t)n >= buflen)
        abort();
    return buf;
}

int fuzz_write(const char *name, const uint8_t *data, size_t len, char *buf, size_t buflen)
{
    fuzz_path(name, buf, buflen);
    FILE *f = fopen(buf, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : -1;
}
