/*
 * test_api_limits.c - provider limits as providers enforce them (OpenAI,
 * Anthropic ITPM/OTPM with the completion refund, Gemini RPD), tier
 * presets, and the fault schedules of models/faults.h (random outages,
 * brownouts, 429 storms, hangs through the engine's attempt timeout).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "sim.h"
#include "check.h"

#define S_NS   1000000000LL
#define MIN_NS (60LL * S_NS)
#define H_NS   (3600LL * S_NS)

/* A config with constant latencies: TTFT 1 s, 50 tokens/s. */
static void cfg_init(struct api_cfg *c)
{
    memset(c, 0, sizeof *c);
    dist_constant(&c->ttft_s, 1.0);
    dist_constant(&c->output_tps, 50.0);
    c->faults.error_status = 500;
}

static enum api_admit admit(const struct api_cfg *c, struct api_state *st, int64_t now, int64_t in,
                            int64_t max_tokens, int64_t *ra)
{
    int http = 0;
    *ra = -2;
    return api_admit(c, st, NULL, now, in, max_tokens, 0, 0, ra, &http);
}

static void test_anthropic_itpm_ignores_cached(void)
{
    struct api_cfg c;
    struct api_state st;
    int64_t ra;
    cfg_init(&c);
    c.limit_style = API_LIMITS_ANTHROPIC;
    c.itpm = 10000;
    c.cached_fraction = 0.8;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    /* 40k input of which 80% are cache reads: 8k count toward ITPM. */
    CHECK_INT_EQ(admit(&c, &st, 0, 40000, 100, &ra), API_ACCEPT);
    /* 2k left: 10k more uncached input (50k at 80% cached) must wait for
     * 8k to refill at 10k per minute: 48 s. */
    CHECK_INT_EQ(admit(&c, &st, 0, 50000, 100, &ra), API_RATE_LIMITED);
    CHECK_NEAR((double)ra / S_NS, 48.0, 1e-6);
    api_state_fini(&st);

    /* Without cache the same 40k is above the 10k capacity. */
    c.cached_fraction = 0.0;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(admit(&c, &st, 0, 40000, 100, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(admit(&c, &st, 0, 9000, 100, &ra), API_ACCEPT);
    api_state_fini(&st);

    /* OpenAI style counts everything, cache or not (input + max_tokens). */
    c.limit_style = API_LIMITS_OPENAI;
    c.itpm = 0;
    c.tpm = 10000;
    c.cached_fraction = 0.8;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(admit(&c, &st, 0, 9000, 1000, &ra), API_ACCEPT);
    CHECK_INT_EQ(admit(&c, &st, 0, 100, 100, &ra), API_RATE_LIMITED);
    api_state_fini(&st);
}

static void test_anthropic_otpm_refund(void)
{
    struct api_cfg c;
    struct api_state st;
    int64_t ra;
    cfg_init(&c);
    c.limit_style = API_LIMITS_ANTHROPIC;
    c.otpm = 1000;
    c.rpm = 100;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    /* max_tokens 800 is charged up front: 200 left. */
    CHECK_INT_EQ(admit(&c, &st, 0, 10, 800, &ra), API_ACCEPT);
    CHECK_INT_EQ(admit(&c, &st, 0, 10, 800, &ra), API_RATE_LIMITED);
    CHECK_NEAR((double)ra / S_NS, 36.0, 1e-6); /* 600 tokens at 1000/min */
    /* The first produced 100: 700 come back, the second fits at once. */
    api_complete(&c, &st, 0, 800, 100);
    CHECK_NEAR(st.otpm.level, 900.0, 1e-9);
    CHECK_INT_EQ(admit(&c, &st, 0, 10, 800, &ra), API_ACCEPT);
    /* A failure produced nothing: the whole charge comes back, capped. */
    api_complete(&c, &st, 0, 800, 0);
    CHECK_NEAR(st.otpm.level, 900.0, 1e-9);
    api_complete(&c, &st, 0, 800, 0);
    CHECK_NEAR(st.otpm.level, 1000.0, 1e-9);
    api_state_fini(&st);

    /* No refund in the OpenAI style. */
    c.limit_style = API_LIMITS_OPENAI;
    c.otpm = 0;
    c.tpm = 1000;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(admit(&c, &st, 0, 0, 800, &ra), API_ACCEPT);
    api_complete(&c, &st, 0, 800, 0);
    CHECK_NEAR(st.tpm.level, 200.0, 1e-9);
    api_state_fini(&st);
}

static void test_gemini_rpd(void)
{
    struct api_cfg c;
    struct api_state st;
    int64_t ra;
    cfg_init(&c);
    c.limit_style = API_LIMITS_GEMINI;
    c.rpd = 3;
    c.rpd_reset_ns = API_RPD_RESET_PST_NS; /* 08:00 UTC */
    c.tpm = 1000;                          /* input tokens only */
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    /* TPM counts input, not max_tokens. */
    CHECK_INT_EQ(admit(&c, &st, 0, 400, 5000, &ra), API_ACCEPT);
    CHECK_INT_EQ(admit(&c, &st, 7 * H_NS, 400, 5000, &ra), API_ACCEPT);
    CHECK_INT_EQ(admit(&c, &st, 7 * H_NS, 400, 5000, &ra), API_ACCEPT);
    /* The day's 3 are spent: Retry-After points at 08:00. */
    CHECK_INT_EQ(admit(&c, &st, 7 * H_NS, 10, 10, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(ra, 1 * H_NS);
    CHECK_INT_EQ(admit(&c, &st, 8 * H_NS - 1, 10, 10, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(ra, 1);
    /* At the boundary the counter resets. */
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(admit(&c, &st, 8 * H_NS + i, 10, 10, &ra), API_ACCEPT);
    CHECK_INT_EQ(admit(&c, &st, 9 * H_NS, 10, 10, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(ra, 23 * H_NS); /* next reset: 08:00 the day after */
    CHECK_INT_EQ(admit(&c, &st, 32 * H_NS, 10, 10, &ra), API_ACCEPT);
    api_state_fini(&st);
}

/* ---- scenario keys ---------------------------------------------------- */

static char tmp_file[256];

static int load_str(const char *yaml, struct scenario *s, char *err, size_t errlen)
{
    FILE *f = fopen(tmp_file, "w");
    if (f == NULL)
        return -2;
    fputs(yaml, f);
    fclose(f);
    return scn_load(tmp_file, s, err, errlen);
}

#define TRAFFIC "traffic: {synthetic: {rate: 1, count: 1, input_tokens: 1, output_tokens: 1}}\n"

static void test_presets(void)
{
    /* The table: unique names, a source each, fields matching the style. */
    size_t n = 0;
    for (; api_limit_preset_at(n) != NULL; n++) {
        const struct api_limit_preset *p = api_limit_preset_at(n);
        CHECK(api_limit_preset_find(p->name) == p);
        CHECK(p->source != NULL && strlen(p->source) > 10);
        CHECK(p->rpm > 0);
        if (p->style == API_LIMITS_ANTHROPIC)
            CHECK(p->tpm == 0 && p->itpm > 0 && p->otpm > 0 && p->rpd == 0);
        else
            CHECK(p->tpm > 0 && p->itpm == 0 && p->otpm == 0);
        if (p->style == API_LIMITS_OPENAI)
            CHECK(p->rpd == 0 && !p->verified); /* per-model figures are secondary */
    }
    CHECK(n >= 24);
    CHECK(api_limit_preset_find("no-such-preset") == NULL);

    struct scenario s;
    char err[4096] = "";
    int rc = load_str(TRAFFIC "backends:\n"
                              "  - {name: a, latency: {ttft: 1s}, limits: {preset: "
                              "openai-gpt-4o-tier3}}\n"
                              "  - {name: b, latency: {ttft: 1s}, limits: {preset: "
                              "anthropic-sonnet-4-tier1, otpm: 16k}}\n"
                              "  - {name: c, latency: {ttft: 1s}, limits: {preset: "
                              "gemini-2.5-pro-tier1, rpd: 2000, rpm: 100}}\n"
                              "  - {name: d, latency: {ttft: 1s}, limits: {style: gemini, rpd: 50, "
                              "rpd_reset: 7h}}\n"
                              "  - {name: e, latency: {ttft: 1s}, limits: {rpm: 10, tpm: 1k}}\n",
                      &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct api_cfg *a = &s.backends[0].api;
    CHECK_INT_EQ(a->limit_style, API_LIMITS_OPENAI);
    CHECK_INT_EQ(a->rpm, 5000);
    CHECK_INT_EQ(a->tpm, 800000);
    CHECK(a->limits_preset != NULL && !a->limits_preset->verified);
    CHECK_INT_EQ(s.backends[0].route.tpm_limit, 800000);
    a = &s.backends[1].api;
    CHECK_INT_EQ(a->limit_style, API_LIMITS_ANTHROPIC);
    CHECK_INT_EQ(a->rpm, 50);
    CHECK_INT_EQ(a->itpm, 30000);
    CHECK_INT_EQ(a->otpm, 16000); /* the explicit key overrides the preset */
    CHECK(a->limits_preset != NULL && a->limits_preset->verified);
    CHECK_INT_EQ(s.backends[1].route.rpm_limit, 50);
    CHECK_INT_EQ(s.backends[1].route.tpm_limit, 46000);
    a = &s.backends[2].api;
    CHECK_INT_EQ(a->limit_style, API_LIMITS_GEMINI);
    CHECK_INT_EQ(a->rpm, 100);
    CHECK_INT_EQ(a->tpm, 2000000);
    CHECK_INT_EQ(a->rpd, 2000);
    CHECK_INT_EQ(a->rpd_reset_ns, 8 * H_NS); /* midnight PST by default */
    a = &s.backends[3].api;
    CHECK_INT_EQ(a->rpd, 50);
    CHECK_INT_EQ(a->rpd_reset_ns, 7 * H_NS);
    CHECK(a->limits_preset == NULL);
    a = &s.backends[4].api;
    CHECK_INT_EQ(a->limit_style, API_LIMITS_OPENAI);
    CHECK_INT_EQ(a->tpm, 1000);
    scn_free(&s);

    /* Errors: position, what was found, what was expected. */
    /* The limits mapping opens at column 44 of line 3; errors point at the
     * offending value (or the unknown key). */
    static const struct {
        const char *limits, *needle, *pos;
    } bad[] = {
        {"{preset: openai-gpt-4o-tier9}", "did you mean 'openai-gpt-4o-tier", ":3:53:"},
        {"{style: anthropic, tpm: 1k}", "'itpm' and 'otpm'", ":3:68:"},
        {"{style: openai, itpm: 1k}", "only with style anthropic", ":3:66:"},
        {"{rpd: 10}", "only with style gemini", ":3:50:"},
        {"{style: gemini, rpd_reset: 25h}", "below 24h", ":3:71:"},
        {"{preset: openai-gpt-4o-tier1, style: gemini}", "its style 'openai'", ":3:81:"},
        {"{style: antropic}", "did you mean 'anthropic'", ":3:52:"},
        {"{rpms: 1}", "did you mean 'rpm'", ":3:45:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 TRAFFIC "backends:\n  - {name: a, latency: {ttft: 1s}, limits: %s}\n",
                 bad[i].limits);
        err[0] = '\0';
        rc = load_str(yaml, &s, err, sizeof err);
        CHECK_INT_EQ(rc, -1);
        if (rc == 0) {
            scn_free(&s);
            continue;
        }
        CHECK_STR_CONTAINS(err, tmp_file);
        CHECK_STR_CONTAINS(err, bad[i].needle);
        CHECK_STR_CONTAINS(err, "expected");
        CHECK_STR_CONTAINS(err, bad[i].pos);
    }
}

static void test_fault_keys(void)
{
    struct scenario s;
    char err[4096] = "";
    int rc =
        load_str(TRAFFIC "backends:\n"
                         "  - name: a\n"
                         "    latency: {ttft: 1s}\n"
                         "    faults:\n"
                         "      random_outages: {mtbf: 6h, mttr: 10m}\n"
                         "      brownouts: [{start: 20m, end: 30m, error_rate: 20%},\n"
                         "                  {start: 5m, duration: 5m, latency_x: 3, status: "
                         "529}]\n"
                         "      storms: [{start: 1m, duration: 30s, retry_after: 30s}, {start: "
                         "2m, end: 3m, share: 25%}]\n"
                         "      hang_rate: 1%\n",
                 &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct fault_cfg *f = &s.backends[0].api.faults;
    CHECK_INT_EQ(f->mtbf_ns, 6 * H_NS);
    CHECK_INT_EQ(f->mttr_ns, 10 * MIN_NS);
    CHECK_INT_EQ(f->random_status, 503);
    CHECK_INT_EQ(f->n_brownouts, 2);
    if (f->n_brownouts == 2) { /* sorted by start */
        CHECK_INT_EQ(f->brownouts[0].start_ns, 5 * MIN_NS);
        CHECK_INT_EQ(f->brownouts[0].end_ns, 10 * MIN_NS);
        CHECK_NEAR(f->brownouts[0].latency_x, 3.0, 0);
        CHECK_NEAR(f->brownouts[0].error_rate, 0.0, 0);
        CHECK_INT_EQ(f->brownouts[0].http_status, 529);
        CHECK_NEAR(f->brownouts[1].latency_x, 1.0, 0);
        CHECK_NEAR(f->brownouts[1].error_rate, 0.2, 1e-15);
        CHECK_INT_EQ(f->brownouts[1].http_status, 503);
    }
    CHECK_INT_EQ(f->n_storms, 2);
    if (f->n_storms == 2) {
        CHECK_NEAR(f->storms[0].share, 1.0, 0);
        CHECK_INT_EQ(f->storms[0].retry_after_ns, 30 * S_NS);
        CHECK_NEAR(f->storms[1].share, 0.25, 1e-15);
        CHECK_INT_EQ(f->storms[1].retry_after_ns, -1);
    }
    CHECK_NEAR(f->hang_rate, 0.01, 1e-15);
    scn_free(&s);

    static const struct {
        const char *faults, *needle;
    } bad[] = {
        {"{brownout: []}", "did you mean 'brownouts'"},
        {"{brownouts: [{start: 1m, duration: 1m}]}", "'latency_x' or 'error_rate'"},
        {"{brownouts: [{start: 1m, duration: 1m, latency_x: 0.5}]}", "from 1 (unchanged)"},
        {"{brownouts: [{start: 1m, latency_x: 2}]}", "exactly one of 'duration' and 'end'"},
        {"{storms: [{start: 1m, duration: 2m}, {start: 2m, duration: 1m}]}",
         "overlapping the storm"},
        {"{storms: [{start: 1m, duration: 1m, share: 0}]}", "share above 0"},
        {"{storms: {start: 1m}}", "a list of {start"},
        {"{random_outages: {mtbf: 6h}}", "'mttr'"},
        {"{random_outages: {mtbf: 0s, mttr: 1m}}", "mean time between failures > 0"},
        {"{hang_rate: 2}", "fraction"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 TRAFFIC "backends:\n  - {name: a, latency: {ttft: 1s}, faults: %s}\n",
                 bad[i].faults);
        err[0] = '\0';
        rc = load_str(yaml, &s, err, sizeof err);
        CHECK_INT_EQ(rc, -1);
        if (rc == 0) {
            scn_free(&s);
            continue;
        }
        CHECK_STR_CONTAINS(err, tmp_file);
        CHECK_STR_CONTAINS(err, ":3:");
        CHECK_STR_CONTAINS(err, bad[i].needle);
    }
}

/* ---- faults ------------------------------------------------------------ */

static void test_random_outages(void)
{
    struct fault_cfg f;
    memset(&f, 0, sizeof f);
    f.mtbf_ns = 6 * H_NS;
    f.mttr_ns = 10 * MIN_NS;
    f.random_status = 503;
    enum { CYCLES = 20000 };
    struct fault_state a, b, other;
    fault_state_init(&a, &f, 42, 3);
    fault_state_init(&b, &f, 42, 3);
    fault_state_init(&other, &f, 42, 4);
    double up = 0, down = 0;
    int64_t prev_end = 0;
    bool same = true, differs = false;
    int status = 0;
    for (int i = 0; i < CYCLES; i++) {
        int64_t s0, e0, s1, e1, s2, e2;
        fault_random_window(&a, &s0, &e0);
        fault_random_window(&b, &s1, &e1);
        fault_random_window(&other, &s2, &e2);
        same = same && s0 == s1 && e0 == e1;
        differs = differs || s0 != s2;
        CHECK(s0 > prev_end && e0 > s0);
        up += (double)(s0 - prev_end);
        down += (double)(e0 - s0);
        if (i < 100) { /* the schedule answers inside and outside the window */
            CHECK(!fault_in_outage(&f, &a, s0 - 1, &status));
            CHECK(fault_in_outage(&f, &a, s0, &status));
            CHECK_INT_EQ(status, 503);
            CHECK(fault_in_outage(&f, &a, e0 - 1, &status));
        }
        prev_end = e0;
        /* Query at the end of the window: the next one is drawn. */
        fault_in_outage(&f, &a, e0, &status);
        fault_in_outage(&f, &b, e0, &status);
        fault_in_outage(&f, &other, e2, &status);
    }
    CHECK(same);
    CHECK(differs);
    /* Exponential means: the standard error is mean / sqrt(20000) = 0.7%. */
    CHECK_NEAR(up / CYCLES / (double)f.mtbf_ns, 1.0, 0.03);
    CHECK_NEAR(down / CYCLES / (double)f.mttr_ns, 1.0, 0.03);

    /* Through the API model: a keyed schedule per (seed, backend). */
    struct api_cfg c;
    struct api_state st;
    cfg_init(&c);
    c.faults.mtbf_ns = f.mtbf_ns;
    c.faults.mttr_ns = f.mttr_ns;
    c.faults.random_status = 502;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 42, 3), 0);
    struct fault_state ref;
    fault_state_init(&ref, &f, 42, 3);
    int64_t s0, e0;
    fault_random_window(&ref, &s0, &e0);
    int64_t ra = 0;
    int http = 0;
    CHECK_INT_EQ(api_admit(&c, &st, NULL, s0 - 1, 10, 10, 0, 0, &ra, &http), API_ACCEPT);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, s0, 10, 10, 0, 0, &ra, &http), API_UNAVAILABLE);
    CHECK_INT_EQ(http, 502);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, e0, 10, 10, 0, 0, &ra, &http), API_ACCEPT);
    api_state_fini(&st);
}

static void test_brownouts(void)
{
    struct api_cfg c, plain;
    struct api_state st, pst;
    cfg_init(&c);
    cfg_init(&plain);
    struct fault_brownout bo = {.start_ns = 10 * S_NS,
                                .end_ns = 20 * S_NS,
                                .latency_x = 3.0,
                                .error_rate = 0.2,
                                .http_status = 503};
    c.faults.brownouts = &bo;
    c.faults.n_brownouts = 1;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(api_state_init(&pst, &plain, 0, 1, 0), 0);
    enum { N = 20000 };
    int64_t times[3] = {5 * S_NS, 15 * S_NS, 25 * S_NS};
    for (int w = 0; w < 3; w++) {
        int fails = 0, wrong_status = 0, wrong_latency = 0;
        for (int i = 0; i < N; i++) {
            struct rng r, rp;
            rng_keyed(&r, 7, RNG_LATENCY, (uint64_t)i, 0, 1);
            rng_keyed(&rp, 7, RNG_LATENCY, (uint64_t)i, 0, 1);
            struct api_draw d, dp;
            api_draw(&c, &st, &r, times[w], 100, 100, &d);
            api_draw(&plain, &pst, &rp, times[w], 100, 100, &dp);
            CHECK(!dp.fail);
            if (d.fail) {
                fails++;
                wrong_status += d.http_status != 503;
            }
            double x = w == 1 ? 3.0 : 1.0;
            if (d.ttft_ns != (int64_t)llround(1.0 * x * 1e9) ||
                d.decode_ns != (int64_t)llround(100.0 / 50.0 * x * 1e9))
                wrong_latency++;
        }
        CHECK_INT_EQ(wrong_latency, 0);
        CHECK_INT_EQ(wrong_status, 0);
        if (w == 1)
            CHECK_NEAR((double)fails / N, 0.2, 0.015);
        else
            CHECK_INT_EQ(fails, 0);
    }
    api_state_fini(&st);
    api_state_fini(&pst);
}

static void test_storms(void)
{
    struct api_cfg c;
    struct api_state st;
    cfg_init(&c);
    c.rpm = 2;
    struct fault_storm storms[2] = {
        {.start_ns = 60 * S_NS, .end_ns = 120 * S_NS, .share = 1.0, .retry_after_ns = 30 * S_NS},
        {.start_ns = 200 * S_NS, .end_ns = 300 * S_NS, .share = 0.5, .retry_after_ns = -1},
    };
    c.faults.storms = storms;
    c.faults.n_storms = 2;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    int64_t ra = 0;
    int http = 0;
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 59 * S_NS, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    for (int i = 0; i < 50; i++) { /* every admission, and no bucket is charged */
        ra = 0;
        CHECK_INT_EQ(api_admit(&c, &st, NULL, 90 * S_NS, 1, 1, 0, 0, &ra, &http), API_RATE_LIMITED);
        CHECK_INT_EQ(http, 429);
        CHECK_INT_EQ(ra, 30 * S_NS);
    }
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 120 * S_NS, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 120 * S_NS, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    api_state_fini(&st);

    /* A share: about half of the admissions, from the attempt's stream. */
    c.rpm = 0;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    enum { N = 10000 };
    int hits = 0;
    for (int i = 0; i < N; i++) {
        struct rng r;
        rng_keyed(&r, 9, RNG_FAULTS, (uint64_t)i, 0, 1);
        ra = 0;
        enum api_admit a = api_admit(&c, &st, &r, 250 * S_NS, 1, 1, 0, 0, &ra, &http);
        if (a == API_RATE_LIMITED) {
            hits++;
            CHECK_INT_EQ(ra, -1);
        } else {
            st.busy--; /* admitted: release the slot count */
        }
    }
    CHECK_NEAR((double)hits / N, 0.5, 0.03);
    api_state_fini(&st);
}

/* ---- hangs through the engine ----------------------------------------- */

struct seen {
    uint64_t n, ok, failed;
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct seen *s = ctx;
    s->n++;
    if (r->final_status == 200)
        s->ok++;
    else
        s->failed++;
}

static void run_hangs(const char *timeout, bool expect_in_flight)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "seed: 3\n"
             "traffic: {synthetic: {rate: 5/s, count: 600, input_tokens: 100, output_tokens: "
             "50}}\n"
             "backends:\n"
             "  - {name: a, latency: {ttft: 300ms, output_rate: 100}, faults: {hang_rate: 20%%}}\n"
             "  - {name: b, latency: {ttft: 300ms, output_rate: 100}, faults: {hang_rate: 20%%}}\n"
             "router: {strategy: round_robin, timeout: %s, retries: {max_attempts: 3, "
             "retry_on: [429, 5xx, timeout]}}\n",
             timeout);
    struct scenario s;
    char err[1024] = "";
    int rc = load_str(yaml, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    struct seen seen = {0};
    struct sim_hooks hooks = {.on_request = on_req, .ctx = &seen};
    struct sim_result r;
    rc = sim_run(&s, &s.router.strategy, s.seed, &hooks, &r, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        scn_free(&s);
        return;
    }
    printf("hangs (timeout %s): requests %llu completed %llu failed %llu in flight %llu "
           "timeouts %llu retries %llu attempts %llu\n",
           timeout, (unsigned long long)r.requests, (unsigned long long)r.completed,
           (unsigned long long)r.failed, (unsigned long long)r.in_flight_at_end,
           (unsigned long long)r.timeouts, (unsigned long long)r.retries,
           (unsigned long long)r.attempts);
    CHECK_INT_EQ(r.requests, 600);
    CHECK_INT_EQ(r.requests, r.completed + r.failed + r.in_flight_at_end);
    CHECK_INT_EQ(seen.ok, r.completed);
    CHECK_INT_EQ(seen.failed, r.failed);
    if (expect_in_flight) {
        /* No timeout: a request whose first attempt hangs never ends. */
        CHECK_INT_EQ(r.timeouts, 0);
        CHECK_NEAR((double)r.in_flight_at_end / 600.0, 0.2, 0.06);
        CHECK_INT_EQ(r.retries, 0);
    } else {
        /* Every hang ends in a timeout, then a retry or a failure (408). */
        CHECK_INT_EQ(r.in_flight_at_end, 0);
        CHECK_NEAR((double)r.timeouts / (double)r.attempts, 0.2, 0.05);
        CHECK_INT_EQ(r.attempts, r.requests + r.retries);
        /* a request fails only when all 3 attempts hang: ~0.8% */
        CHECK(r.failed < 20);
        CHECK_INT_EQ(r.timeouts, r.retries + r.failed);
    }
    sim_result_free(&r);
    scn_free(&s);
}

int main(void)
{
    snprintf(tmp_file, sizeof tmp_file, "/tmp/lbsim_test_api_limits_%ld.yaml", (long)getpid());
    test_anthropic_itpm_ignores_cached();
    test_anthropic_otpm_refund();
    test_gemini_rpd();
    test_presets();
    test_fault_keys();
    test_random_outages();
    test_brownouts();
    test_storms();
    run_hangs("2s", false);
    run_hangs("0", true);
    remove(tmp_file);
    return check_report("test_api_limits");
}
