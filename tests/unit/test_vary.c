/*
 * test_vary.c - `--vary PATH=LIST` expansion (sim/cli/vary.c): literals,
 * ranges with units, steps, and every error.
 */
#include <string.h>

#include "check.h"
#include "vary.h"

/* Expand arg and compare with the expected values joined by '|'. */
static void expect(const char *arg, const char *path, const char *joined)
{
    char err[256] = "";
    struct vary v;
    int rc = vary_parse(arg, &v, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", arg, err);
        return;
    }
    CHECK(strcmp(v.path, path) == 0);
    char got[1024] = "";
    for (uint32_t i = 0; i < v.n; i++) {
        if (i)
            strcat(got, "|");
        strcat(got, v.values[i]);
    }
    if (strcmp(got, joined) != 0)
        fprintf(stderr, "%s: got %s, expected %s\n", arg, got, joined);
    CHECK(strcmp(got, joined) == 0);
    vary_free(&v);
}

static void expect_error(const char *arg, const char *needle)
{
    char err[256] = "";
    struct vary v;
    CHECK(vary_parse(arg, &v, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, needle);
    CHECK(v.values == NULL && v.path == NULL);
}

int main(void)
{
    expect("backends.gpu.replicas=1..4", "backends.gpu.replicas", "1|2|3|4");
    expect("traffic.rate_scale=1..2:0.25", "traffic.rate_scale", "1|1.25|1.5|1.75|2");
    expect("router.timeout=10s..30s:10s", "router.timeout", "10s|20s|30s");
    expect("backends.a.limits.tpm=100k..300k:100k", "backends.a.limits.tpm", "100k|200k|300k");
    expect("x=0.1..0.3:0.1", "x", "0.1|0.2|0.3");
    expect("x=1%..2%:0.5%", "x", "1%|1.5%|2%");
    expect_error("x=1..2:1s", "expected a number in the range's unit");
    expect("router.strategy=round_robin,least_inflight", "router.strategy",
           "round_robin|least_inflight");
    expect("x=1,4..5,least", "x", "1|4|5|least");
    expect("traffic.trace=../t.csv", "traffic.trace", "../t.csv");
    expect("x=5..5", "x", "5");
    expect_error("noequals", "expected e.g.");
    expect_error("=1,2", "expected e.g.");
    expect_error("x=1,,2", "found an empty value");
    expect_error("x=", "found an empty value");
    expect_error("x=5..1", "found the empty range '5..1'");
    expect_error("x=1s..5m", "both ends of a range in one unit");
    expect_error("x=1..5:0", "expected a positive step");
    expect_error("x=1..5:-1", "expected a positive step");
    expect_error("x=1..1e9", "expected at most 10000");
    return check_report("test_vary");
}
