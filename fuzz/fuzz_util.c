/*
 * fuzz_util.c - scratch files of the libFuzzer targets (fuzz_util.h).
 */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A harness is one process; the directory name is its only state, set once
 * and read-only afterwards. */
static char fuzz__dir[64];

static void fuzz__cleanup(void)
{
    char cmd[96];
    if (!fuzz__dir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz__dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz__dir);
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
    }
    return fuzz__dir;
}

int fuzz_write(const char *name, const uint8_t *data, size_t len, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(buf, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : -1;
}
