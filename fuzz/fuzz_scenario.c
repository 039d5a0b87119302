/*
 * fuzz_scenario.c - libFuzzer target: the scenario loader on arbitrary
 * bytes as a scenario file (scn_load_mem: scn_load's parser and checks,
 * without a file per input).  The file is named scenario.yaml in the
 * scratch directory, so relative paths in the input (traffic.trace,
 * router.litellm) resolve to the fixtures of fuzz_util.h and the loader
 * also reaches the code that opens them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[128]; /* the same name every time: set once */
    char err[1024];
    if (!path[0])
        fuzz_path("scenario.yaml", path, sizeof path);
    struct scenario s;
    memset(&s, 0, sizeof s);
    if (scn_load_mem(path, data, size, NULL, NULL, 0, &s, err, sizeof err) == 0)
        scn_free(&s);
    return 0;
}
