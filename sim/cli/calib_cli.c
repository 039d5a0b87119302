/*
 * calib_cli.c - replay scenarios of `lbsim calibrate` (calib_cli.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib_cli.h"
#include "err.h"

/* A scenario and its trace for point i. */
static int write_point(const char *dir, uint32_t i, const char *profile, const char *engine,
                       const struct sim_calib_point *pt, uint64_t seed, char *yaml, size_t ylen,
                       char *err, size_t errlen)
{
    char csv[SCN_PATH_MAX];
    snprintf(csv, sizeof csv, "%s/point%u.csv", dir, i);
    snprintf(yaml, ylen, "%s/point%u.yaml", dir, i);
    struct sim_calib_req *r = NULL;
    uint32_t n = 0;
    int rc = sim_calib_arrivals(pt, seed, &r, &n, err, errlen);
    if (rc)
        return rc;
    FILE *f = fopen(csv, "w");
    if (f == NULL) {
        free(r);
        base_errf(err, errlen, "%s: cannot write: %s", csv, strerror(errno));
        return BASE_EINVAL;
    }
    fprintf(f, "arrival_s,input_tokens,output_tokens\n");
    for (uint32_t k = 0; k < n; k++)
        fprintf(f, "%.9f,%lld,%lld\n", (double)r[k].arrival_ns / 1e9, (long long)r[k].in,
                (long long)r[k].out);
    free(r);
    bool bad = fclose(f) != 0;
    f = bad ? NULL : fopen(yaml, "w");
    if (f == NULL) {
        base_errf(err, errlen, "%s: cannot write", yaml);
        return BASE_EINVAL;
    }
    /* One replica, as a benchmark_serving run measures one server; no
     * attempt timeout (the benchmark waits for every request). */
    fprintf(f,
            "name: calibrate-point%u\n"
            "seed: %llu\n"
            "traffic:\n"
            "  trace: point%u.csv\n"
            "  format: native\n"
            "backends:\n"
            "  - name: pool\n"
            "    kind: pool\n"
            "    profile: %s\n"
            "    engine: %s\n"
            "    replicas: 1\n"
            "router:\n"
            "  timeout: 0\n",
            i, (unsigned long long)seed, i, profile, engine);
    if (fclose(f) != 0) {
        base_errf(err, errlen, "%s: cannot write", yaml);
        return BASE_EINVAL;
    }
    return 0;
}

int cli_calib_scenarios(const char *dir, const char *profile, const char *engine,
                        const struct sim_calib_point *pts, uint32_t n, uint64_t seed,
                        struct scenario *scn, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < n; i++) {
        char yaml[SCN_PATH_MAX];
        int rc =
            write_point(dir, i, profile, engine, &pts[i], seed, yaml, sizeof yaml, err, errlen);
        if (rc == 0 && scn_load(yaml, &scn[i], err, errlen) != 0)
            rc = base_err_oom_or(err, BASE_EINVAL);
        if (rc) {
            for (uint32_t k = 0; k < i; k++)
                scn_free(&scn[k]);
            return rc;
        }
    }
    return 0;
}

void cli_calib_cleanup(const char *dir, uint32_t n)
{
    char p[SCN_PATH_MAX];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/point%u.csv", dir, i);
        unlink(p);
        snprintf(p, sizeof p, "%s/point%u.yaml", dir, i);
        unlink(p);
    }
}
