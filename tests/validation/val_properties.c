/*
 * val_properties: properties of the engine on random valid scenarios
 * (issue 15, "property tests of the engine").
 *
 * A seeded generator (splitmix64, tests/support/sm64.h) writes N_SCENARIOS
 * scenario files: API backends with limits, latencies, prices and faults
 * (error rates, outages, brownouts, hangs under a timeout), GPU pools
 * (spot, autoscaling), accounts, traffic.stream, model groups with
 * fallbacks, retries, hedging, gateway replicas, strategies from the
 * built-in registry side by side in `compare:`, and the LiteLLM and
 * Portkey loops.  Each is loaded (a scenario the loader refuses is a
 * generator bug: the test fails) and run with sim_compare at 1 and at 2
 * threads, and checked for:
 *
 *   - termination: every run returns 0 (the drain horizon, docs/limits.md
 *     "Every run ends"; ctest's timeout catches a hang);
 *   - conservation: requests = completed + failed + in_flight_at_end;
 *     attempts = the sum of per-backend attempts >= completed - cache hits
 *     (a request answered by a backend had an attempt); the sum of
 *     per-backend successes >= completed - cache hits; cost_usd = the sum
 *     of per-backend costs; rates in [0, 1]; no NaN where a number is due;
 *   - determinism: the summary JSON (report_json) is byte-identical at 1
 *     and 2 threads.
 *
 * Metamorphic checks (on their own generated families, deterministic
 * faults only so the statement is exact, not statistical):
 *   - doubling every rate limit of a single-backend scenario without
 *     retries never increases client 429s;
 *   - adding a healthy, unlimited backend to round_robin never lowers
 *     `completed`.
 *
 * A failure prints the generating seed and the scenario text.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "route.h"
#include "sim.h"
#include "check.h"
#include "sm64.h"
#include "tmp.h"

#define N_SCENARIOS  300
#define N_METAMORPH  60
#define SEED0        0x15150000ull
#define SCN_TEXT_MAX 16384
#define MAX_RUNS     4

/* The generated scenario's text. */
struct text {
    char buf[SCN_TEXT_MAX];
    size_t n;
};

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
    va_end(ap);
    if (w > 0 && (size_t)w < sizeof t->buf - t->n)
        t->n += (size_t)w;
    else
        t->n = sizeof t->buf - 1; /* truncated: the load fails and says so */
}

static uint32_t below(struct sm64 *g, uint32_t n)
{
    return sm64_below(g, n);
}

static int coin(struct sm64 *g, uint32_t percent)
{
    return below(g, 100) < percent;
}

/* Strategies of the built-in registry that stand alone (no children, no
 * required parameter): the ones `router: {strategy: NAME}` loads on a
 * plain scenario.  Found by loading, so a new strategy joins by itself. */
static const char *usable[64];
static uint32_t n_usable;

static char dir[TMP_DIR_MAX];
static uint32_t n_hang0; /* scenarios ended by the drain horizon, requests in flight */

static int load_text(const struct text *t, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_path(path, sizeof path, dir, "scenario.yaml") != 0 || tmp_write_str(path, t->buf) != 0)
        return -1;
    return scn_load(path, s, err, errlen);
}

static void find_usable(void)
{
    for (uint32_t i = 0; i < route_registry_count() && n_usable < 64; i++) {
        const char *name = route_registry_at(i)->name;
        struct text t = {.n = 0};
        put(&t,
            "seed: 1\ntraffic:\n  synthetic: {rate: 5/s, count: 10, input_tokens: 100, "
            "output_tokens: 10}\nbackends:\n  - {name: a, latency: {ttft: 100ms}}\n"
            "  - {name: b, latency: {ttft: 200ms}}\nrouter: {strategy: %s}\n",
            name);
        struct scenario s;
        char err[1024];
        if (load_text(&t, &s, err, sizeof err) == 0) {
            usable[n_usable++] = name;
            scn_free(&s);
        }
    }
}

static const char *pick_strategy(struct sm64 *g)
{
    return usable[below(g, n_usable)];
}

/* One API backend; `faults` 0: none, 1: deterministic (outages), 2: any. */
static void gen_api(struct text *t, struct sm64 *g, const char *name, const char *group,
                    const char *account, int faults, int hang_ok)
{
    put(t, "  - name: %s\n", name);
    if (group)
        put(t, "    group: %s\n", group);
    put(t, "    weight: %u\n", 1 + below(g, 4));
    if (coin(g, 70))
        put(t, "    prices: {input: %.2f, output: %.2f}\n", 0.1 + below(g, 50) / 10.0,
            0.5 + below(g, 100) / 10.0);
    if (account)
        put(t, "    account: %s\n", account);
    else if (coin(g, 60))
        put(t, "    limits: {rpm: %u, tpm: %u}\n", 60 + below(g, 1200), 20000 + below(g, 400000));
    if (coin(g, 25))
        put(t, "    concurrency: %u\n", 1 + below(g, 16));
    put(t, "    latency:\n      ttft: {dist: lognormal, median: %ums, p99: %ums}\n",
        100 + below(g, 600), 1000 + below(g, 3000));
    put(t, "      output_rate: %u\n", 20 + below(g, 100));
    if (faults == 0)
        return;
    put(t, "    faults:\n");
    put(t, "      outages: [{start: %us, duration: %us, status: %u}]\n", below(g, 30),
        1 + below(g, 20), coin(g, 50) ? 503u : 429u);
    if (faults < 2)
        return;
    if (coin(g, 50))
        put(t, "      error_rate: %u%%\n", below(g, 20));
    if (coin(g, 30))
        put(t,
            "      brownouts: [{start: %us, duration: %us, latency_x: 3, error_rate: 20%%, "
            "status: 503}]\n",
            below(g, 30), 1 + below(g, 20));
    if (hang_ok && coin(g, 30))
        put(t, "      hang_rate: %u%%\n", 1 + below(g, 5));
}

static void gen_pool(struct text *t, struct sm64 *g, const char *name, const char *group)
{
    put(t, "  - name: %s\n    kind: pool\n    profile: h100-llama3.1-8b\n", name);
    if (group)
        put(t, "    group: %s\n", group);
    if (coin(g, 40))
        put(t, "    autoscale: {metric: utilization, target: 70%%, min: 1, max: %u}\n",
            2 + below(g, 3));
    else
        put(t, "    replicas: %u\n", 1 + below(g, 2));
    if (coin(g, 40))
        put(t, "    spot: {preemptions_per_day: %u, notice: 30s, on_kill: %s}\n",
            100 + below(g, 2000), coin(g, 50) ? "retry" : "migrate");
}

static void gen_traffic(struct text *t, struct sm64 *g, int stream)
{
    put(t, "traffic:\n  synthetic:\n    rate: %u/s\n    count: %u\n", 5 + below(g, 40),
        100 + below(g, 300));
    put(t, "    input_tokens: {dist: lognormal, median: %u, p99: %u}\n", 100 + below(g, 900),
        2000 + below(g, 4000));
    put(t, "    output_tokens: {dist: exponential, mean: %u}\n", 20 + below(g, 200));
    if (stream)
        put(t, "  stream: %u%%\n", below(g, 101));
}

/* A random valid scenario of every feature; 1 if it has hung attempts
 * without a timeout. */
static int gen_scenario(struct text *t, struct sm64 *g)
{
    uint32_t loop = below(g, 10); /* 0-6 lbsim, 7-8 litellm, 9 portkey */
    int groups = loop == 7 || loop == 8 || coin(g, 25);
    int timeout = 1 + (int)below(g, 30);
    put(t, "seed: %u\n", below(g, 1000));
    gen_traffic(t, g, 1);
    int accounts = loop < 9 && coin(g, 25);
    if (accounts)
        put(t, "accounts:\n  - {name: org, limits: {rpm: %u, tpm: %u}}\n", 120 + below(g, 600),
            50000 + below(g, 200000));
    put(t, "backends:\n");
    uint32_t n_api = 1 + below(g, 3);
    char name[16];
    for (uint32_t i = 0; i < n_api; i++) {
        snprintf(name, sizeof name, "api%u", i);
        gen_api(t, g, name, groups ? (i == 0 ? "main" : "spare") : NULL,
                accounts && i < 2 ? "org" : NULL, (int)below(g, 3), 1);
    }
    /* The never-ending case of issue 15: hung attempts without a timeout
       beside a pool whose periodic events keep the clock going; the run
       must still end (the drain horizon) with the hung requests in flight. */
    int hang0 = loop < 9 && coin(g, 8);
    if (hang0) {
        put(t, "  - {name: hung,%s latency: {ttft: 100ms}, faults: {hang_rate: 50%%}}\n",
            groups ? " group: main," : "");
        put(t, "  - name: gpu\n    kind: pool\n    profile: h100-llama3.1-8b\n");
        if (groups)
            put(t, "    group: spare\n");
        put(t, "    autoscale: {metric: utilization, target: 70%%, min: 1, max: 2}\n");
    }
    int pool = !hang0 && loop < 9 && coin(g, 35);
    if (pool)
        gen_pool(t, g, "gpu", groups ? "spare" : NULL);
    put(t, "router:\n  strategy: %s\n  timeout: %ds\n", pick_strategy(g), hang0 ? 0 : timeout);
    if (groups)
        put(t, "  default_group: main\n");
    if (loop == 7 || loop == 8) {
        put(t, "  loop: litellm\n  litellm: {num_retries: %u}\n", below(g, 3));
    } else if (loop == 9) {
        put(t, "  loop: portkey\n  portkey:\n    strategy: {mode: %s}\n    targets:\n",
            coin(g, 50) ? "fallback" : "loadbalance");
        for (uint32_t i = 0; i < n_api; i++) {
            put(t, "      - backend: api%u\n", i);
            if (coin(g, 50))
                put(t, "        retry: {attempts: %u, on_status_codes: [429, 500, 503]}\n",
                    below(g, 3));
        }
    } else {
        if (coin(g, 60))
            put(t, "  retries: {max_attempts: %u, backoff_base: %ums}\n", 1 + below(g, 3),
                10 + below(g, 500));
        if (coin(g, 20))
            put(t, "  hedge: {after: %ums}\n", 200 + below(g, 2000));
        if (coin(g, 25))
            put(t, "  replicas: %u\n", 2 + below(g, 3));
    }
    if (groups && n_api + (uint32_t)(pool || hang0) > 1)
        put(t, "  fallbacks:\n    rules:\n      - {from: main, on: generic, to: [spare]}\n");
    if (loop < 7 && coin(g, 60)) {
        put(t, "compare:\n");
        uint32_t n = 1 + below(g, 3);
        for (uint32_t i = 0; i < n; i++)
            put(t, "  - {strategy: %s, label: s%u}\n", pick_strategy(g), i);
    }
    return hang0;
}

/* The summary JSON of n results, malloc'd. */
static char *json_of(const struct scenario *s, uint64_t seed, const struct sim_result *res,
                     uint32_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    report_json(f, s, seed, res, n);
    fclose(f);
    return buf;
}

static int run_all(const struct scenario *s, int threads, struct sim_result *res, uint32_t *n,
                   char *err, size_t errlen)
{
    const struct scn_strategy *st = s->n_compare ? s->compare : &s->router.strategy;
    *n = s->n_compare ? s->n_compare : 1;
    if (*n > MAX_RUNS)
        return -1;
    int rc[MAX_RUNS];
    static char errs[MAX_RUNS * 1024];
    int r = sim_compare(s, st, *n, s->seed, threads, res, rc, errs, 1024);
    if (r != 0) {
        size_t k = strnlen(errs, errlen - 1);
        memcpy(err, errs, k);
        err[k] = '\0';
    }
    return r;
}

static int rate_ok(double x)
{
    return isnan(x) || (x >= 0.0 && x <= 1.0);
}

/* The conservation laws of one run; 0 if they hold. */
static int check_run(const struct sim_result *r)
{
    int bad = 0;
#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        check_count_++;                                                                            \
        if (!(c)) {                                                                                \
            check_failures_++;                                                                     \
            bad = 1;                                                                               \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, r->strategy, #c);               \
        }                                                                                          \
    } while (0)
    EXPECT(r->requests == r->completed + r->failed + r->in_flight_at_end);
    uint64_t hits = r->cache_l1_hits + r->cache_l2_hits + r->cache_semantic_hits;
    uint64_t att = 0, succ = 0;
    double cost = 0.0;
    for (uint32_t b = 0; b < r->n_backends; b++) {
        att += r->backends[b].attempts;
        succ += r->backends[b].successes;
        cost += r->backends[b].cost_usd;
        EXPECT(r->backends[b].successes <= r->backends[b].attempts);
    }
    EXPECT(att == r->attempts);
    EXPECT(r->attempts + hits >= r->completed);
    EXPECT(succ + hits >= r->completed);
    EXPECT(isfinite(r->cost_usd) && r->cost_usd >= 0.0);
    EXPECT(fabs(cost - r->cost_usd) <= 1e-9 * (1.0 + r->cost_usd));
    EXPECT(rate_ok(r->client_429_rate) && rate_ok(r->error_rate) && rate_ok(r->upstream_429_rate));
    EXPECT(r->requests > 0);
    EXPECT(!isnan(r->attempts_per_request));
#undef EXPECT
    return bad;
}

static void report_failure(uint64_t seed, const struct text *t, const char *why)
{
    fprintf(stderr, "val_properties: generator seed %#llx: %s\n--- scenario ---\n%s---\n",
            (unsigned long long)seed, why, t->buf);
}

static void property_run(uint64_t seed)
{
    struct sm64 g = {seed};
    struct text t = {.n = 0};
    int hang0 = gen_scenario(&t, &g);
    struct scenario s;
    char err[1024];
    if (getenv("VAL_PROPERTIES_DUMP"))
        fprintf(stderr, "--- seed %#llx\n%s", (unsigned long long)seed, t.buf);
    if (load_text(&t, &s, err, sizeof err) != 0) {
        CHECK(0);
        report_failure(seed, &t, err);
        return;
    }
    struct sim_result r1[MAX_RUNS], r2[MAX_RUNS];
    uint32_t n1 = 0, n2 = 0;
    memset(r1, 0, sizeof r1);
    memset(r2, 0, sizeof r2);
    int rc1 = run_all(&s, 1, r1, &n1, err, sizeof err);
    CHECK(rc1 == 0);
    if (rc1 != 0) {
        report_failure(seed, &t, err);
        scn_free(&s);
        return;
    }
    int rc2 = run_all(&s, 2, r2, &n2, err, sizeof err);
    CHECK(rc2 == 0);
    int bad = rc2 != 0;
    uint64_t stuck = 0;
    for (uint32_t i = 0; i < n1; i++) {
        bad |= check_run(&r1[i]);
        stuck += r1[i].in_flight_at_end;
    }
    /* Hung attempts may be rescued (a hedge, the LiteLLM loop's own
       request timeout, a strategy that never picks the hung backend); the
       ones that are not end the run by the drain horizon, in flight. */
    n_hang0 += hang0 && stuck > 0;
    if (rc2 == 0) {
        char *j1 = json_of(&s, s.seed, r1, n1), *j2 = json_of(&s, s.seed, r2, n2);
        int same = j1 && j2 && strcmp(j1, j2) == 0;
        CHECK(same);
        bad |= !same;
        free(j1);
        free(j2);
        for (uint32_t i = 0; i < n2; i++)
            sim_result_free(&r2[i]);
    }
    if (bad)
        report_failure(seed, &t, "a property failed (above)");
    for (uint32_t i = 0; i < n1; i++)
        sim_result_free(&r1[i]);
    scn_free(&s);
}

/* One run of the text's router.strategy; 0 and *out filled, or -1. */
static int run_one(const struct text *t, struct sim_result *out)
{
    struct scenario s;
    char err[1024];
    if (load_text(t, &s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int rc = sim_run(&s, &s.router.strategy, s.seed, NULL, out, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    scn_free(&s);
    return rc;
}

/* Doubling every rate limit of one backend without retries never
 * increases the client 429s. */
static void metamorphic_limits(uint64_t seed)
{
    struct text t[2];
    uint32_t rpm = 0, tpm = 0;
    for (int k = 0; k < 2; k++) {
        struct sm64 g = {seed};
        t[k].n = 0;
        put(&t[k], "seed: %u\n", below(&g, 1000));
        gen_traffic(&t[k], &g, 0);
        if (k == 0) {
            rpm = 30 + below(&g, 600);
            tpm = 10000 + below(&g, 200000);
        }
        put(&t[k], "backends:\n  - name: only\n    limits: {rpm: %u, tpm: %u}\n", rpm << k,
            tpm << k);
        put(&t[k], "    latency: {ttft: {dist: lognormal, median: 300ms, p99: 2s}, output_rate: "
                   "50}\nrouter: {strategy: round_robin, retries: {max_attempts: 1}}\n");
    }
    struct sim_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (run_one(&t[0], &a) != 0 || run_one(&t[1], &b) != 0) {
        CHECK(0);
        report_failure(seed, &t[0], "metamorphic limits: a run failed");
    } else {
        double fa = a.client_429_rate * (double)a.requests;
        double fb = b.client_429_rate * (double)b.requests;
        CHECK_INT_EQ(a.requests, b.requests);
        CHECK(fb <= fa + 1e-9);
        if (fb > fa + 1e-9)
            report_failure(seed, &t[1], "doubling the limits increased client 429s");
    }
    sim_result_free(&a);
    sim_result_free(&b);
}

/* Adding a healthy, unlimited backend to round_robin never lowers
 * `completed` (deterministic faults only: limits and outages). */
static void metamorphic_add_backend(uint64_t seed)
{
    struct text t[2];
    for (int k = 0; k < 2; k++) {
        struct sm64 g = {seed};
        t[k].n = 0;
        put(&t[k], "seed: %u\n", below(&g, 1000));
        gen_traffic(&t[k], &g, 0);
        put(&t[k], "backends:\n");
        uint32_t n = 1 + below(&g, 3);
        char name[16];
        for (uint32_t i = 0; i < n; i++) {
            snprintf(name, sizeof name, "api%u", i);
            gen_api(&t[k], &g, name, NULL, NULL, 1, 0);
        }
        if (k == 1)
            put(&t[k], "  - {name: healthy, latency: {ttft: 200ms, output_rate: 80}}\n");
        put(&t[k], "router: {strategy: round_robin, timeout: 600s, retries: {max_attempts: %u}}\n",
            1 + below(&g, 3));
    }
    struct sim_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (run_one(&t[0], &a) != 0 || run_one(&t[1], &b) != 0) {
        CHECK(0);
        report_failure(seed, &t[1], "metamorphic add-backend: a run failed");
    } else {
        CHECK_INT_EQ(a.requests, b.requests);
        CHECK(b.completed >= a.completed);
        if (b.completed < a.completed)
            report_failure(seed, &t[1], "adding a healthy backend lowered completed");
    }
    sim_result_free(&a);
    sim_result_free(&b);
}

int main(void)
{
    if (tmp_dir(dir, sizeof dir, "val_properties") != 0)
        return 1;
    find_usable();
    CHECK(n_usable >= 5);
    fprintf(stderr, "val_properties: %u stand-alone strategies\n", n_usable);
    for (uint64_t i = 0; i < N_SCENARIOS; i++)
        property_run(SEED0 + i);
    fprintf(stderr, "val_properties: %d scenarios (%u ended by the drain horizon)\n", N_SCENARIOS,
            n_hang0);
    CHECK(n_hang0 > 0);
    for (uint64_t i = 0; i < N_METAMORPH; i++) {
        metamorphic_limits(SEED0 + 0x1000 + i);
        metamorphic_add_backend(SEED0 + 0x2000 + i);
    }
    tmp_rmdir(dir);
    return check_report("val_properties");
}
