/*
 * fuzz_scenario.c - libFuzzer target: the scenario loader (scn_load) on
 * arbitrary bytes as a scenario file.  Relative paths in the input
 * (traffic.trace, router.litellm) resolve against the scratch directory,
 * where the fixtures of fuzz_init exist, so a scenario may also reach the
 * trace and import paths that open files.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], err[1024];
    if (fuzz_write("scenario.yaml", data, size, path, sizeof path) != 0)
        return 0;
    struct scenario s;
    memset(&s, 0, sizeof s);
    if (scn_load(path, &s, err, sizeof err) == 0)
        scn_free(&s);
    return 0;
}
