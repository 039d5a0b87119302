/*
 * test_scn_set.c - `--set PATH=VALUE` overrides (scn_set_parse,
 * scn_load_set): each path form and value form gives the scenario that an
 * edited copy of the file gives, and each bad override is refused with
 * its own message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "check.h"
#include "tmp.h"

#define BASE   "tests/data/set_base.yaml"
#define ERRLEN 2048

static char base_text[8192];
static char tmpdir[TMP_DIR_MAX];

/* The full message must be `want`. */
static void check_msg(const char *got, const char *want, int line)
{
    check_count_++;
    if (strcmp(got, want) != 0) {
        check_failures_++;
        fprintf(stderr, "test_scn_set.c:%d: message\n  got:  %s\n  want: %s\n", line, got, want);
    }
}
#define CHECK_MSG(got, want) check_msg((got), (want), __LINE__)

/* The fields the overrides of this file touch, and a few they must not. */
static void check_same(const struct scenario *a, const struct scenario *b, int line)
{
    int f0 = check_failures_;
    CHECK(strcmp(a->name, b->name) == 0);
    CHECK_INT_EQ(a->seed, b->seed);
    CHECK_INT_EQ(a->duration_ns, b->duration_ns);
    CHECK_NEAR(a->traffic.rate_scale, b->traffic.rate_scale, 0);
    CHECK_NEAR(a->traffic.synth.rate_per_s, b->traffic.synth.rate_per_s, 0);
    CHECK_INT_EQ(a->n_backends, b->n_backends);
    for (uint32_t i = 0; i < a->n_backends && i < b->n_backends; i++) {
        const struct scn_backend *x = &a->backends[i], *y = &b->backends[i];
        CHECK(strcmp(x->name, y->name) == 0);
        CHECK_INT_EQ(x->route.weight, y->route.weight);
        CHECK_INT_EQ(x->route.max_inflight, y->route.max_inflight);
        CHECK_INT_EQ(x->route.rpm_limit, y->route.rpm_limit);
        CHECK_INT_EQ(x->route.tpm_limit, y->route.tpm_limit);
        CHECK_INT_EQ(x->api.rpm, y->api.rpm);
        CHECK_INT_EQ(x->api.tpm, y->api.tpm);
        CHECK_NEAR(x->api.faults.error_rate, y->api.faults.error_rate, 0);
        CHECK_INT_EQ(x->api.faults.n_outages, y->api.faults.n_outages);
    }
    CHECK_INT_EQ(a->n_pools, b->n_pools);
    for (uint32_t i = 0; i < a->n_pools && i < b->n_pools; i++)
        CHECK_INT_EQ(a->pools[i].replicas, b->pools[i].replicas);
    CHECK(strcmp(a->router.strategy.label, b->router.strategy.label) == 0);
    CHECK_INT_EQ(a->router.attempt_timeout_ns, b->router.attempt_timeout_ns);
    CHECK_INT_EQ(a->router.retry.max_attempts, b->router.retry.max_attempts);
    CHECK_INT_EQ(a->n_compare, b->n_compare);
    for (uint32_t i = 0; i < a->n_compare && i < b->n_compare; i++) {
        CHECK(strcmp(a->compare[i].label, b->compare[i].label) == 0);
        CHECK(a->compare[i].ops == b->compare[i].ops);
    }
    if (check_failures_ != f0)
        fprintf(stderr, "  (compared at test_scn_set.c:%d)\n", line);
}

/* Load the base file with the overrides args[0..n) ("PATH=VALUE"). */
static int load_set(const char *const *args, uint32_t n, struct scenario *s, char *err)
{
    struct scn_set sets[8];
    for (uint32_t i = 0; i < n; i++)
        if (scn_set_parse(args[i], &sets[i], err, ERRLEN) != 0)
            return -2;
    return scn_load_set(BASE, NULL, sets, n, s, err, ERRLEN);
}

/* The base text with edits[2k] replaced by edits[2k+1] (first occurrence
 * each, in order), loaded from a file next to nothing (no relative paths
 * in the base). */
static int load_edited(const char *const *edits, size_t n_edits, struct scenario *s, char *err)
{
    char text[sizeof base_text + 1024], path[TMP_PATH_MAX];
    snprintf(text, sizeof text, "%s", base_text);
    for (size_t k = 0; k + 1 < n_edits; k += 2) {
        char *at = strstr(text, edits[k]);
        if (at == NULL) {
            fprintf(stderr, "edit '%s' not found\n", edits[k]);
            return -2;
        }
        char rest[sizeof text];
        snprintf(rest, sizeof rest, "%s", at + strlen(edits[k]));
        snprintf(at, sizeof text - (size_t)(at - text), "%s%s", edits[k + 1], rest);
    }
    if (tmp_path(path, sizeof path, tmpdir, "set_base.yaml") != 0 || tmp_write_str(path, text))
        return -2;
    return scn_load(path, s, err, ERRLEN);
}

/* --set args must give what the edits give. */
static void same_as_edit(const char *const *args, uint32_t n, const char *const *edits,
                         size_t n_edits, int line)
{
    char err[ERRLEN] = "";
    struct scenario a, b;
    int ra = load_set(args, n, &a, err);
    if (ra != 0)
        fprintf(stderr, "test_scn_set.c:%d: %s\n", line, err);
    int rb = load_edited(edits, n_edits, &b, err);
    if (rb != 0)
        fprintf(stderr, "test_scn_set.c:%d: edited: %s\n", line, err);
    CHECK_INT_EQ(ra, 0);
    CHECK_INT_EQ(rb, 0);
    if (ra == 0 && rb == 0)
        check_same(&a, &b, line);
    if (ra == 0)
        scn_free(&a);
    if (rb == 0)
        scn_free(&b);
}
#define SAME(args, edits)                                                                          \
    same_as_edit(args, (uint32_t)(sizeof(args) / sizeof(args)[0]), edits,                          \
                 sizeof(edits) / sizeof(edits)[0], __LINE__)

/* The override args must fail with exactly `want`. */
static void fails(const char *const *args, uint32_t n, const char *want, int line)
{
    char err[ERRLEN] = "";
    struct scenario s;
    int rc = load_set(args, n, &s, err);
    if (rc == 0)
        scn_free(&s);
    CHECK(rc != 0);
    check_msg(err, want, line);
}
#define FAILS(args, want) fails(args, (uint32_t)(sizeof(args) / sizeof(args)[0]), want, __LINE__)

static void test_parse(void)
{
    char err[ERRLEN] = "";
    struct scn_set s;
    CHECK_INT_EQ(scn_set_parse("traffic.rate_scale=2", &s, err, sizeof err), 0);
    CHECK_INT_EQ(strcspn(s.path, "="), strlen("traffic.rate_scale"));
    CHECK(strcmp(s.value, "2") == 0);
    CHECK(strcmp(s.origin, "--set") == 0);
    /* the first '=' splits; VALUE may hold more */
    CHECK_INT_EQ(scn_set_parse("name=a=b", &s, err, sizeof err), 0);
    CHECK(strcmp(s.value, "a=b") == 0);
    CHECK_INT_EQ(scn_set_parse("seed=", &s, err, sizeof err), 0);
    CHECK(strcmp(s.value, "") == 0);

    CHECK_INT_EQ(scn_set_parse("traffic.rate_scale", &s, err, sizeof err), -1);
    CHECK_MSG(err, "--set: found 'traffic.rate_scale' without '=', expected PATH=VALUE (e.g. "
                   "traffic.rate_scale=2)");
    CHECK_INT_EQ(scn_set_parse("=2", &s, err, sizeof err), -1);
    CHECK_MSG(err, "--set: found '=2' with an empty PATH, expected PATH=VALUE (e.g. "
                   "traffic.rate_scale=2)");
    CHECK_INT_EQ(scn_set_parse("a..b=2", &s, err, sizeof err), -1);
    CHECK_MSG(err, "--set: found 'a..b=2' with an empty component in PATH, expected keys, names "
                   "or indices separated by single dots");
    CHECK_INT_EQ(scn_set_parse(".a=2", &s, err, sizeof err), -1);
    CHECK_INT_EQ(scn_set_parse("a.=2", &s, err, sizeof err), -1);
}

static void test_paths(void)
{
    /* a key */
    static const char *const a1[] = {"traffic.rate_scale=2"};
    static const char *const e1[] = {"rate_scale: 1", "rate_scale: 2"};
    SAME(a1, e1);
    /* an item by name, by index, by a name with dots (the longest match) */
    static const char *const a2[] = {"backends.openai-a.weight=5"};
    static const char *const e2[] = {"weight: 2", "weight: 5"};
    SAME(a2, e2);
    static const char *const a3[] = {"backends.1.weight=7"};
    static const char *const e3[] = {"weight: 3", "weight: 7"};
    SAME(a3, e3);
    static const char *const a4[] = {"backends.gpt.4o.weight=7"};
    SAME(a4, e3);
    /* a pool's replicas */
    static const char *const a5[] = {"backends.gpu.replicas=4"};
    static const char *const e5[] = {"replicas: 2", "replicas: 4"};
    SAME(a5, e5);
    /* the strategy */
    /* 'faults' is missing but known: created; a list in it cannot be */
    /* the strategy */
    static const char *const a6[] = {"router.strategy=least_inflight"};
    static const char *const e6[] = {"strategy: round_robin\n  timeout",
                                     "strategy: least_inflight\n  timeout"};
    SAME(a6, e6);
    /* a compare entry given by index and by label */
    static const char *const a7[] = {"compare.1.label=li", "compare.wr.strategy=power_of_two"};
    static const char *const e7[] = {
        "  - least_inflight", "  - {strategy: least_inflight, label: li}",
        "{strategy: weighted_random, label: wr}", "{strategy: power_of_two, label: wr}"};
    SAME(a7, e7);
    static const char *const a8[] = {"compare.least_inflight.label=li"};
    static const char *const e8[] = {"  - least_inflight",
                                     "  - {strategy: least_inflight, label: li}"};
    SAME(a8, e8); /* by its strategy's name */
}

static void test_values(void)
{
    /* units, as in the file */
    static const char *const a1[] = {"router.timeout=2m", "backends.openai-a.faults.error_rate=2%",
                                     "traffic.synthetic.rate=600/m", "duration=1h"};
    static const char *const e1[] = {"timeout: 30s",   "timeout: 2m", "error_rate: 1%",
                                     "error_rate: 2%", "rate: 5/s",   "rate: 600/m",
                                     "duration: 10m",  "duration: 1h"};
    SAME(a1, e1);
    /* a flow mapping replaces the node; the alias elsewhere keeps the old one */
    static const char *const a2[] = {"backends.openai-a.limits={rpm: 100, tpm: 1M}"};
    static const char *const e2[] = {"limits: &shared {rpm: 600, tpm: 90k}",
                                     "limits: {rpm: 100, tpm: 1M}", "limits: *shared",
                                     "limits: {rpm: 600, tpm: 90k}"};
    SAME(a2, e2);
    /* editing inside a node reached through an alias edits this place only */
    static const char *const a3[] = {"backends.gpt.4o.limits.rpm=50"};
    static const char *const e3[] = {"limits: *shared", "limits: {rpm: 50, tpm: 90k}"};
    SAME(a3, e3);
    /* a flow list */
    static const char *const a4[] = {"compare=[round_robin, least_inflight]"};
    static const char *const e4[] = {"  - {strategy: weighted_random, label: wr}\n", ""};
    SAME(a4, e4);
    /* overrides apply in order, each to what the previous left */
    static const char *const a5[] = {"backends.openai-a.limits={rpm: 1}",
                                     "backends.openai-a.limits.tpm=2k"};
    static const char *const e5[] = {"limits: &shared {rpm: 600, tpm: 90k}",
                                     "limits: {rpm: 1, tpm: 2k}", "limits: *shared",
                                     "limits: {rpm: 600, tpm: 90k}"};
    SAME(a5, e5);

    /* text that is not one YAML value is the plain string */
    char err[ERRLEN] = "";
    struct scenario s;
    static const char *const names[][2] = {
        {"name=a: b: c", "a: b: c"}, {"name='x: y'", "x: y"}, {"name=x, y", "x, y"},
        {"name=#x", "#x"},           {"name={x", "{x"},       {"name=a=b", "a=b"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *arg = names[i][0];
        int rc = load_set(&arg, 1, &s, err);
        CHECK_INT_EQ(rc, 0);
        if (rc != 0) {
            fprintf(stderr, "  %s: %s\n", arg, err);
            continue;
        }
        CHECK_MSG(s.name, names[i][1]);
        scn_free(&s);
    }
}

static void test_add(void)
{
    /* a key missing from an existing mapping */
    static const char *const a1[] = {"backends.gpt.4o.max_inflight=3"};
    static const char *const e1[] = {"    weight: 3\n", "    weight: 3\n    max_inflight: 3\n"};
    SAME(a1, e1);
    /* a missing mapping the loader accepts there */
    static const char *const a2[] = {"router.retries.max_attempts=5"};
    static const char *const e2[] = {"  timeout: 30s\n",
                                     "  timeout: 30s\n  retries: {max_attempts: 5}\n"};
    SAME(a2, e2);
    /* a strategy given by name becomes {strategy: name} to take a label */
    static const char *const a3[] = {"router.strategy.label=x"};
    static const char *const e3[] = {"strategy: round_robin\n  timeout",
                                     "strategy: {strategy: round_robin, label: x}\n  timeout"};
    SAME(a3, e3);
    char err[ERRLEN] = "";
    /* scn_load_set with no override is scn_load_ex */
    struct scenario x, y;
    int rx = scn_load_set(BASE, NULL, NULL, 0, &x, err, sizeof err);
    int ry = scn_load_ex(BASE, NULL, &y, err, sizeof err);
    CHECK_INT_EQ(rx, 0);
    CHECK_INT_EQ(ry, 0);
    if (rx == 0 && ry == 0)
        check_same(&x, &y, __LINE__);
    if (rx == 0)
        scn_free(&x);
    if (ry == 0)
        scn_free(&y);
}

static void test_errors(void)
{
    static const char *const a1[] = {"backends.openai-c.weight=1"};
    FAILS(a1, "--set backends.openai-c.weight=1: " BASE ": found no item 'openai-c' in "
              "'backends' (3 items), expected an index 0..2 or a name: openai-a, gpt.4o, gpu; "
              "did you mean 'openai-a'?");
    static const char *const a2[] = {"backends.3.weight=1"};
    FAILS(a2, "--set backends.3.weight=1: " BASE ": found no item '3' in 'backends' (3 items), "
              "expected an index 0..2 or a name: openai-a, gpt.4o, gpu");
    static const char *const a3[] = {"traffic.rate_scale.x=1"};
    FAILS(a3, "--set traffic.rate_scale.x=1: " BASE ": found '1' at 'traffic.rate_scale', "
              "expected a mapping or a list to find 'x' in");
    static const char *const a4[] = {"backends.0.limit.rpm=5"};
    FAILS(a4,
          "--set backends.0.limit.rpm=5: " BASE ": found no key 'limit' in 'backends.0', "
          "expected one of name, kind, model, weight, tier, max_inflight, context_window, "
          "prices, limits, concurrency, queue_max, cached_fraction, bill_failed, latency, "
          "faults, group, size_class, budget, region, tags, profile, replicas, max_batch, "
          "chunked_prefill, block_tokens, prefix_cache, mfu, mem_eff, step_overhead, "
          "server_overhead, engine, price_per_hour, spot, autoscale, step_model, num_retries, "
          "cooldown_time, timeout, stream_timeout, router_limits, account; did you mean 'limits'?");
    static const char *const a5[] = {"routr.timeout=1s"};
    FAILS(a5, "--set routr.timeout=1s: " BASE ": found no key 'routr' in the top level, expected "
              "one of name, seed, duration, warmup, interval, traffic, backends, router, "
              "compare, slo, regions, cache, accounts; did you mean 'router'?");
    /* 'faults' is missing but known: created; a list in it cannot be */
    static const char *const a6[] = {"backends.gpt.4o.faults.outages.0.start=1m"};
    FAILS(a6, "--set backends.gpt.4o.faults.outages.0.start=1m: " BASE ": found no list "
              "'outages' in 'backends.gpt.4o.faults', expected the list in the file to address "
              "an item of it (or set the whole list: backends.gpt.4o.faults.outages=[...])");
    static const char *const a7[] = {"backends.openai-a.faults.storms.0.share=1"};
    FAILS(a7, "--set backends.openai-a.faults.storms.0.share=1: " BASE ": found no list 'storms' "
              "in 'backends.openai-a.faults', expected the list in the file to address an item of "
              "it (or set the whole list: backends.openai-a.faults.storms=[...])");
    static const char *const a8[] = {"backends.openai-a.faults.outages.1.start=1m"};
    FAILS(a8, "--set backends.openai-a.faults.outages.1.start=1m: " BASE ": found no item '1' in "
              "'backends.openai-a.faults.outages' (1 items), expected an index 0..0");

    /* the loader's messages about an overridden value name the override */
    static const char *const b1[] = {"backends.openai-a.limits.rpm=abc"};
    FAILS(b1, "--set backends.openai-a.limits.rpm=abc: found 'abc', expected a non-negative "
              "count such as 500, 200k or 2M");
    static const char *const b2[] = {"traffic.rate_scal=2"};
    FAILS(
        b2,
        "--set traffic.rate_scal=2: found unknown key 'rate_scal' in 'traffic', expected "
        "one of trace, format, rate_scale, limit, synthetic, window, sample, repeat_to, "
        "skip_bad_rows, priority, labels, sources, max_tokens, stream; did you mean 'rate_scale'?");
    static const char *const b3[] = {"seed="};
    FAILS(b3, "--set seed=: found '', expected a non-negative integer"); /* as `seed:` */
    static const char *const b4[] = {"router.strategy=least_inflite"};
    char err[ERRLEN] = "";
    struct scenario s;
    CHECK(load_set(b4, 1, &s, err) != 0);
    CHECK_STR_CONTAINS(err, "--set router.strategy=least_inflite: ");
    CHECK_STR_CONTAINS(err, "least_inflight");
    /* ... and errors elsewhere keep their file:line:col */
    static const char *const b5[] = {"warmup=20m"};
    FAILS(b5, "--set warmup=20m: found a warmup of 1200s, expected less than the duration 600s");
    static const char *const b6[] = {"duration=1m", "warmup=30s"};
    CHECK_INT_EQ(load_set(b6, 2, &s, err), 0);
    scn_free(&s);
    struct scn_set ok = {"seed", "3", NULL};
    CHECK(scn_load_set("tests/data/scn_err_unknown_key.yaml", NULL, &ok, 1, &s, err, sizeof err) !=
          0);
    CHECK(strncmp(err, "tests/data/scn_err_unknown_key.yaml:", 36) == 0);

    /* the origin names the override; the path ends at '=' */
    struct scn_set vary = {"backends.9=x", "1", "--vary"};
    CHECK(scn_load_set(BASE, NULL, &vary, 1, &s, err, sizeof err) != 0);
    CHECK_MSG(err, "--vary backends.9=1: " BASE ": found no item '9' in 'backends' (3 items), "
                   "expected an index 0..2 or a name: openai-a, gpt.4o, gpu");
    /* bad arguments */
    CHECK(scn_load_set(BASE, NULL, NULL, 1, &s, err, sizeof err) != 0);
    CHECK_MSG(err, BASE ": found 1 overrides and no array of them");
    struct scn_set empty = {"a..b", "1", NULL};
    CHECK(scn_load_set(BASE, NULL, &empty, 1, &s, err, sizeof err) != 0);
    CHECK_MSG(err, "--set a..b=1: " BASE ": found an empty component in PATH, expected keys, "
                   "names or indices separated by single dots");
    /* a VALUE nested deeper than the limit */
    char deep[200] = "name=", *p = deep + 5;
    for (int i = 0; i < 70; i++)
        *p++ = '[';
    for (int i = 0; i < 70; i++)
        *p++ = ']';
    *p = '\0';
    const char *dp = deep;
    CHECK(load_set(&dp, 1, &s, err) != 0);
    CHECK_STR_CONTAINS(err, ": found a VALUE nested more than 64 deep, expected less");
}

int main(void)
{
    FILE *f = fopen(BASE, "rb");
    size_t n = f ? fread(base_text, 1, sizeof base_text - 1, f) : 0;
    if (f)
        fclose(f);
    base_text[n] = '\0';
    CHECK(n > 0);
    if (tmp_dir(tmpdir, sizeof tmpdir, "scn_set") != 0)
        return 1;
    test_parse();
    test_paths();
    test_values();
    test_add();
    test_errors();
    tmp_rmdir(tmpdir);
    return check_report("test_scn_set");
}
