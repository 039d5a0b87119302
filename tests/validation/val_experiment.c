/*
 * val_experiment.c - sim_exp_run (the engine of sweep and plan) against
 * the path `lbsim run` takes: each point's results equal a plain
 * scn_load_set + sim_replicate of that configuration, whatever the thread
 * count and however the points are chunked, and a point that does not load
 * is an error naming it.
 */
#include <string.h>

#include "experiment.h"
#include "report.h"
#include "check.h"

#define SCN  "tests/data/cli_small.yaml"
#define REPS 3

static char *json_of(const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                     uint32_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_json(f, scn, seed, res, n);
    fclose(f);
    return buf;
}

/* The same configuration through scn_load_set + sim_replicate. */
static char *direct(const struct scn_set *sets, uint32_t n_sets)
{
    char err[1024];
    struct scenario scn;
    if (scn_load_set(SCN, NULL, sets, n_sets, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    uint32_t n = scn.n_compare;
    struct sim_result res[8];
    int rc[8];
    char errs[8 * 256];
    char *json = NULL;
    if (sim_replicate(&scn, scn.compare, n, scn.seed, REPS, 0, 1, res, rc, errs, 256) == 0) {
        json = json_of(&scn, scn.seed, res, n);
        for (uint32_t i = 0; i < n; i++)
            sim_result_free(&res[i]);
    }
    scn_free(&scn);
    return json;
}

int main(void)
{
    static const struct scn_set rate[3] = {
        {"traffic.rate_scale", "1", "--vary"},
        {"traffic.rate_scale", "2", "--vary"},
        {"traffic.rate_scale", "3", "--vary"},
    };
    static const struct scn_set slow_rpm = {"backends.slow.limits.rpm", "100", "--set"};
    struct sim_exp_point pts[3] = {{&rate[0], 1}, {&rate[1], 1}, {&rate[2], 1}};
    char *want[3];
    for (int p = 0; p < 3; p++) {
        struct scn_set both[2] = {slow_rpm, rate[p]};
        want[p] = direct(both, 2);
        CHECK(want[p] != NULL);
    }
    for (int threads = 1; threads <= 2; threads++) {
        struct sim_exp e = {.scenario = SCN,
                            .base = &slow_rpm,
                            .n_base = 1,
                            .reps = REPS,
                            .ref = 0,
                            .threads = threads};
        struct sim_exp_result out[3];
        memset(out, 0, sizeof out);
        char err[1024];
        int rc = sim_exp_run(&e, pts, 3, out, err, sizeof err);
        CHECK(rc == 0);
        if (rc != 0)
            fprintf(stderr, "%s\n", err);
        for (int p = 0; rc == 0 && p < 3; p++) {
            char *got = json_of(&out[p].scn, out[p].seed, out[p].runs, out[p].n);
            CHECK(want[p] && got && strcmp(want[p], got) == 0);
            free(got);
        }
        /* higher load, more requests: the points really differ */
        if (rc == 0)
            CHECK(out[2].runs[0].requests > out[0].runs[0].requests);
        for (int p = 0; p < 3; p++)
            sim_exp_result_free(&out[p]);
    }
    /* a point whose override does not load: an error that names it */
    static const struct scn_set bad = {"traffic.rate_scal", "2", "--vary"};
    struct sim_exp_point badp[2] = {{&rate[0], 1}, {&bad, 1}};
    struct sim_exp e = {.scenario = SCN, .reps = 1, .ref = -1, .threads = 1};
    struct sim_exp_result out[2];
    memset(out, 0, sizeof out);
    char err[1024] = "";
    CHECK(sim_exp_run(&e, badp, 2, out, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "traffic.rate_scal");
    sim_exp_result_free(&out[0]);
    sim_exp_result_free(&out[1]);
    for (int p = 0; p < 3; p++)
        free(want[p]);
    return check_report("val_experiment");
}
