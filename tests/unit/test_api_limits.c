/*
 * test_api_limits.c - provider limits as providers enforce them (OpenAI,
 * Anthropic ITPM/OTPM with the completion refund, Gemini RPD), tier
 * presets, and the fault schedules of models/faults.h (random outages,
 * brownouts, 429 storms, hangs through the engine's attempt timeout), and
 * the enforcement window (`burst_window`, `start`, `retry_after`) against a
 * reference limiter written here (GCRA, not the model's bucket), and the
 * deterministic fault scripts (`faults.script`) at admission, at the draws,
 * through the backend queue and through the engine.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
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

#define TRAFFIC "traffic: {synthetic: {rate: 1/s, count: 1, input_tokens: 1, output_tokens: 1}}\n"

/*
 * The reference: the generic cell rate algorithm (virtual scheduling) over
 * integer nanoseconds, which admits exactly what a bucket of `cap` units
 * refilled at `limit` per minute and starting full admits.  With charge c
 * and emission interval T = 1 min / limit, the bucket level at t is
 * cap - (tat - t) / T, so "level >= need" is "tat - t <= (cap - need) T".
 * A charge above cap but within the limit needs a full bucket (api.c);
 * one above the limit is never admitted.
 */
struct gcra {
    double t_unit_ns; /* emission interval per unit */
    double cap;
    double limit;
    double tat_ns; /* theoretical arrival time of the bucket being full again */
};

static void gcra_init(struct gcra *g, int64_t limit_per_min, int64_t window_ns, bool empty)
{
    g->t_unit_ns = (double)MIN_NS / (double)limit_per_min;
    g->limit = (double)limit_per_min;
    g->cap = (double)limit_per_min * (double)window_ns / (double)MIN_NS;
    g->tat_ns = empty ? g->cap * g->t_unit_ns : 0.0; /* empty: full again after cap x T */
}

static bool gcra_admit(struct gcra *g, int64_t t_ns, double charge)
{
    if (charge > g->limit)
        return false;
    double need = charge < g->cap ? charge : g->cap;
    double tat = g->tat_ns > (double)t_ns ? g->tat_ns : (double)t_ns;
    if (tat - (double)t_ns > (g->cap - need) * g->t_unit_ns + 1e-3)
        return false;
    g->tat_ns = tat + charge * g->t_unit_ns;
    return true;
}

/* splitmix64: the test's own uniform stream. */
static double test_unit(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * On/off bursts that respect the per-minute average: every minute, `on_s`
 * seconds of Poisson arrivals at limit x 60 / on_s per minute, then
 * silence; `minutes` minutes.  Returns the admitted fraction of the model
 * (api_admit) and of the reference, for the RPM (charge 1) or TPM
 * (charges uniform in [200, 2000) tokens, the rate scaled to the mean
 * charge) limit.
 */
static void run_bursts(bool tokens, int64_t window_ns, bool empty, double on_s, int minutes,
                       double *model_frac, double *ref_frac)
{
    const int64_t limit = tokens ? 600000 : 600; /* 600 RPM or 600K TPM */
    const double mean_charge = tokens ? 1100.0 : 1.0;
    struct api_cfg c;
    struct api_state st;
    struct gcra g;
    cfg_init(&c);
    c.limit_style = API_LIMITS_OPENAI;
    if (tokens)
        c.tpm = limit;
    else
        c.rpm = limit;
    c.burst_window_ns = window_ns;
    c.start_empty = empty;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    gcra_init(&g, limit, window_ns, empty);
    uint64_t x = 12345;
    double rate_per_s = (double)limit / mean_charge / on_s; /* the minute's average in on_s */
    long n = 0, ok_model = 0, ok_ref = 0;
    for (int m = 0; m < minutes; m++) {
        double t = 0;
        for (;;) {
            t += -log(1.0 - test_unit(&x)) / rate_per_s;
            if (t >= on_s)
                break;
            int64_t now = (int64_t)m * MIN_NS + (int64_t)(t * 1e9);
            int64_t charge = tokens ? 200 + (int64_t)(test_unit(&x) * 1800.0) : 1;
            int64_t ra;
            /* TPM charges input + max_tokens: all of it as input here. */
            if (admit(&c, &st, now, tokens ? charge : 0, 0, &ra) == API_ACCEPT)
                ok_model++;
            if (gcra_admit(&g, now, (double)charge))
                ok_ref++;
            n++;
        }
    }
    api_state_fini(&st);
    *model_frac = (double)ok_model / (double)n;
    *ref_frac = (double)ok_ref / (double)n;
    CHECK(labs(ok_model - ok_ref) <= 2); /* float vs exact boundary ties */
}

static void test_burst_window(void)
{
    /* 20 s on, 40 s off each minute, 30 minutes: the minute's whole limit
     * arrives in a third of it.  Theory (RPM 600): a 1 min bucket holds the
     * whole burst and refills in the gap (admits ~100%); a 1 s bucket
     * admits its 10 plus the refill of 10/s over 20 s: ~210 of 600 (35%);
     * a 10 s bucket 100 + 200 of 600 (50%).  TPM at 1 s admits more
     * requests (~48%) than tokens: a full 500-token bucket passes a charge
     * of up to 2,000 (the debt rule), whatever its size. */
    static const struct {
        bool tokens;
        int64_t window_ns;
        bool empty;
        double lo, hi;
    } cases[] = {
        {false, MIN_NS, false, 0.97, 1.0}, {false, S_NS, false, 0.30, 0.40},
        {false, MIN_NS, true, 0.90, 1.0},  {false, 10 * S_NS, false, 0.40, 0.55},
        {true, MIN_NS, false, 0.95, 1.0},  {true, S_NS, false, 0.42, 0.55},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double fm = 0, fr = 0;
        run_bursts(cases[i].tokens, cases[i].window_ns, cases[i].empty, 20.0, 30, &fm, &fr);
        printf("burst_window %2llds start %-5s %s: admitted model %.4f reference %.4f\n",
               (long long)(cases[i].window_ns / S_NS), cases[i].empty ? "empty" : "full",
               cases[i].tokens ? "TPM" : "RPM", fm, fr);
        CHECK(fm >= cases[i].lo && fm <= cases[i].hi);
    }

    /* The window sets the capacity, not the rate: 600 RPM at 1 s holds 10;
     * the 11th request at t=0 waits 100 ms (Retry-After), or gets none. */
    struct api_cfg c;
    struct api_state st;
    int64_t ra;
    cfg_init(&c);
    c.rpm = 600;
    c.burst_window_ns = S_NS;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    for (int i = 0; i < 10; i++)
        CHECK_INT_EQ(admit(&c, &st, 0, 0, 0, &ra), API_ACCEPT);
    CHECK_INT_EQ(admit(&c, &st, 0, 0, 0, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(ra, S_NS / 10);
    api_state_fini(&st);
    c.no_retry_after = true;
    c.start_empty = true;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(admit(&c, &st, 0, 0, 0, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(ra, -1);
    CHECK_INT_EQ(admit(&c, &st, S_NS / 10, 0, 0, &ra), API_ACCEPT);
    api_state_fini(&st);

    /* A charge above the 1 s bucket but within the minute's TPM passes a
     * full bucket and leaves it in debt; one above the TPM never passes. */
    cfg_init(&c);
    c.tpm = 30000; /* 500 tokens a second */
    c.burst_window_ns = S_NS;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(admit(&c, &st, 0, 1500, 500, &ra), API_ACCEPT); /* 2,000 tokens */
    CHECK_INT_EQ(admit(&c, &st, 0, 100, 0, &ra), API_RATE_LIMITED);
    CHECK_NEAR((double)ra / S_NS, 3.2, 1e-6); /* -1,500 to +100 at 500/s */
    CHECK_INT_EQ(admit(&c, &st, 4 * S_NS, 30001, 0, &ra), API_RATE_LIMITED);
    CHECK_INT_EQ(admit(&c, &st, 100 * S_NS, 30001, 0, &ra), API_RATE_LIMITED);
    api_state_fini(&st);
}

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
                              "  - {name: e, latency: {ttft: 1s}, limits: {rpm: 10, tpm: 1k}}\n"
                              "  - {name: f, latency: {ttft: 1s}, limits: {preset: "
                              "openai-gpt-4o-tier1, burst_window: 10s, start: empty, "
                              "retry_after: false}}\n",
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
    /* Enforcement windows: the style's default (api.c), the preset's, or
     * the account's own. */
    CHECK_INT_EQ(a->burst_window_ns, S_NS);
    CHECK(!a->start_empty && !a->no_retry_after);
    CHECK_INT_EQ(s.backends[0].api.burst_window_ns, S_NS);
    CHECK_INT_EQ(s.backends[1].api.burst_window_ns, S_NS);
    CHECK_INT_EQ(s.backends[2].api.burst_window_ns, MIN_NS);
    CHECK_INT_EQ(s.backends[3].api.burst_window_ns, MIN_NS);
    a = &s.backends[5].api;
    CHECK_INT_EQ(a->burst_window_ns, 10 * S_NS);
    CHECK(a->start_empty && a->no_retry_after);
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
        {"{rpm: 1, burst_window: 2m}", "at most 1m", ":3:67:"},
        {"{rpm: 1, burst_window: 0}", "above 0", ":3:67:"},
        {"{rpm: 1, start: ful}", "did you mean 'full'", ":3:60:"},
        {"{rpm: 1, retry_after: maybe}", "true or false", ":3:66:"},
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

/* traffic.max_tokens: the TPM reservation of rows without max_tokens.
 * 240 requests at 2/s of 100 in / 50 out, TPM 60K at a 1 min window
 * starting full, no retries: over the 2 minutes the bucket passes 60K +
 * 2 x 60K = 180K tokens.  Reserving the output (150 each, 36K) admits
 * all; 1,000 (1,100 each) about 180K / 1,100 = 163 (0.68); model_max on
 * an 8K window (8,000 each) about 22 (0.09). */
static double run_max_tokens(const char *policy)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "seed: 5\n"
             "traffic: {max_tokens: %s, synthetic: {rate: 2/s, count: 240, input_tokens: 100, "
             "output_tokens: 50}}\n"
             "backends:\n"
             "  - {name: a, context_window: 8k, latency: {ttft: 100ms, output_rate: 100}, "
             "limits: {tpm: 60k, burst_window: 1m}}\n"
             "router: {strategy: round_robin, retries: {max_attempts: 1}}\n",
             policy);
    struct scenario s;
    char err[1024] = "";
    int rc = load_str(yaml, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    struct sim_result r;
    rc = sim_run(&s, &s.router.strategy, s.seed, NULL, &r, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    double f = rc == 0 ? (double)r.completed / (double)r.requests : -1;
    if (rc == 0)
        sim_result_free(&r);
    scn_free(&s);
    printf("max_tokens %-9s: completed %.4f\n", policy, f);
    return f;
}

static void test_max_tokens(void)
{
    CHECK_NEAR(run_max_tokens("trace"), 1.0, 1e-9);
    CHECK_NEAR(run_max_tokens("1000"), 163.0 / 240.0, 0.02);
    CHECK_NEAR(run_max_tokens("model_max"), 22.5 / 240.0, 0.01);

    struct scenario s;
    char err[1024] = "";
    CHECK_INT_EQ(load_str("traffic: {max_tokens: modelmax, synthetic: {rate: 1/s, count: 1, "
                          "input_tokens: 1, output_tokens: 1}}\n"
                          "backends: [{name: a, latency: {ttft: 1s}}]\n",
                          &s, err, sizeof err),
                 -1);
    CHECK_STR_CONTAINS(err, ":1:23:");
    CHECK_STR_CONTAINS(err, "did you mean 'model_max'");
    CHECK_INT_EQ(load_str("traffic: {sources: [{max_tokens: 10, synthetic: {rate: 1/s, count: 1, "
                          "input_tokens: 1, output_tokens: 1}}]}\n"
                          "backends: [{name: a, latency: {ttft: 1s}}]\n",
                          &s, err, sizeof err),
                 -1);
    CHECK_STR_CONTAINS(err, "beside 'sources'");
}

/* ---- fault scripts ----------------------------------------------------- */

static struct fault_script_entry step(enum fault_script_kind k, int status, int64_t ra)
{
    return (struct fault_script_entry){.kind = k, .http_status = status, .retry_after_ns = ra};
}

/* Attempt k meets entry k, in admission order; then normal service. */
static void test_script_admit(void)
{
    struct api_cfg c;
    struct api_state st;
    cfg_init(&c);
    c.faults.script[0] = step(FAULT_SCRIPT_STATUS, 429, 2 * S_NS);
    c.faults.script[1] = step(FAULT_SCRIPT_STATUS, 429, -1);
    c.faults.script[2] = step(FAULT_SCRIPT_STATUS, 500, -1);
    c.faults.script[3] = step(FAULT_SCRIPT_CONTEXT_WINDOW, 400, -1);
    c.faults.script[4] = step(FAULT_SCRIPT_HANG, 0, -1);
    c.faults.script[5] = step(FAULT_SCRIPT_CONTENT_POLICY, 400, -1);
    c.faults.script[6] = step(FAULT_SCRIPT_STATUS, 401, -1);
    c.faults.script[7] = step(FAULT_SCRIPT_OK, 200, -1);
    c.faults.n_script = 8;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    int64_t ra = 0;
    int http = 0;
    struct rng r;
    struct api_draw d;
    rng_keyed(&r, 1, RNG_LATENCY, 0, 0, 0);

    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_RATE_LIMITED);
    CHECK_INT_EQ(http, 429);
    CHECK_INT_EQ(ra, 2 * S_NS);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_RATE_LIMITED);
    CHECK_INT_EQ(ra, -1); /* an injected 429 carries no Retry-After unless it says so */
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_UNAVAILABLE);
    CHECK_INT_EQ(http, 500);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_CONTEXT_WINDOW);
    CHECK_INT_EQ(http, 400);
    CHECK_INT_EQ(st.busy, 0); /* none of them took a slot */

    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK(d.hang);
    CHECK(!d.fail);
    CHECK_INT_EQ(d.ttft_ns, INT64_MAX);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK(d.fail && d.content_policy && !d.hang);
    CHECK_INT_EQ(d.http_status, 400);
    CHECK_INT_EQ(d.ttft_ns, S_NS); /* the refusal comes after the drawn TTFT */
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK(d.fail && !d.content_policy);
    CHECK_INT_EQ(d.http_status, 401);
    for (int i = 0; i < 3; i++) { /* the 200 step, then past the end: normal service */
        CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
        api_draw(&c, &st, &r, 0, 1, 1, &d);
        CHECK(!d.fail && !d.hang);
        CHECK_INT_EQ(d.http_status, 200);
    }
    CHECK_INT_EQ(st.faults.script_seen, 10);
    api_state_fini(&st);

    /* repeat: the list loops. */
    cfg_init(&c);
    c.faults.script[0] = step(FAULT_SCRIPT_STATUS, 503, -1);
    c.faults.script[1] = step(FAULT_SCRIPT_OK, 200, -1);
    c.faults.n_script = 2;
    c.faults.script_repeat = true;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    for (int i = 0; i < 10; i++) {
        enum api_admit a = api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http);
        CHECK_INT_EQ(a, i % 2 == 0 ? API_UNAVAILABLE : API_ACCEPT);
        if (a == API_ACCEPT)
            st.busy--;
    }
    api_state_fini(&st);

    /* An armed step whose admission is refused does not leak into the
     * next attempt's draws. */
    cfg_init(&c);
    c.rpm = 1;
    c.faults.script[0] = step(FAULT_SCRIPT_OK, 200, -1);
    c.faults.script[1] = step(FAULT_SCRIPT_HANG, 0, -1);
    c.faults.n_script = 2;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_ACCEPT);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK(!d.hang);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 0, 0, &ra, &http), API_RATE_LIMITED);
    api_draw(&c, &st, &r, 0, 1, 1, &d); /* some other attempt's start: not the hang */
    CHECK(!d.hang);
    api_state_fini(&st);
}

static bool all_live(void *ctx, uint32_t idx, uint32_t gen)
{
    (void)ctx;
    (void)idx;
    (void)gen;
    return true;
}

/* A queued attempt keeps its step until it starts service. */
static void test_script_queue(void)
{
    struct api_cfg c;
    struct api_state st;
    cfg_init(&c);
    c.concurrency = 1;
    c.queue_max = API_QUEUE_UNBOUNDED;
    c.faults.script[0] = step(FAULT_SCRIPT_OK, 200, -1);
    c.faults.script[1] = step(FAULT_SCRIPT_HANG, 0, -1);
    c.faults.script[2] = step(FAULT_SCRIPT_CONTENT_POLICY, 400, -1);
    c.faults.n_script = 3;
    CHECK_INT_EQ(api_state_init(&st, &c, 0, 1, 0), 0);
    int64_t ra = 0;
    int http = 0;
    struct rng r;
    struct api_draw d;
    rng_keyed(&r, 1, RNG_LATENCY, 0, 0, 0);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 10, 0, &ra, &http), API_ACCEPT);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 11, 0, &ra, &http), API_QUEUED);
    CHECK_INT_EQ(api_admit(&c, &st, NULL, 0, 1, 1, 12, 0, &ra, &http), API_QUEUED);
    CHECK(!d.hang && !d.fail);
    uint32_t idx = 0, gen = 0;
    int64_t enq = 0;
    CHECK(api_release(&st, all_live, NULL, &idx, &gen, &enq));
    CHECK_INT_EQ(idx, 11);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK(d.hang);
    CHECK(api_release(&st, all_live, NULL, &idx, &gen, &enq));
    CHECK_INT_EQ(idx, 12);
    api_draw(&c, &st, &r, 0, 1, 1, &d);
    CHECK(d.fail && d.content_policy);
    api_state_fini(&st);
}

/* Keys, units and errors with their location. */
static void test_script_keys(void)
{
    struct scenario s;
    char err[4096] = "";
    int rc =
        load_str(TRAFFIC "backends:\n"
                         "  - name: a\n"
                         "    latency: {ttft: 1s}\n"
                         "    faults:\n"
                         "      script: [{status: 429, retry_after: 2s}, {status: 429}, "
                         "{status: 500}, {status: 400, class: context_window}, {status: 400, "
                         "class: content_policy}, {hang: true}, {status: 200}, {status: 404}]\n"
                         "  - name: b\n"
                         "    latency: {ttft: 1s}\n"
                         "    faults: {script: {steps: [{status: 503}], repeat: true}}\n",
                 &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct fault_cfg *f = &s.backends[0].api.faults;
    CHECK_INT_EQ(f->n_script, 8);
    CHECK(!f->script_repeat);
    CHECK_INT_EQ(f->script[0].kind, FAULT_SCRIPT_STATUS);
    CHECK_INT_EQ(f->script[0].http_status, 429);
    CHECK_INT_EQ(f->script[0].retry_after_ns, 2 * S_NS);
    CHECK_INT_EQ(f->script[1].retry_after_ns, -1);
    CHECK_INT_EQ(f->script[2].http_status, 500);
    CHECK_INT_EQ(f->script[3].kind, FAULT_SCRIPT_CONTEXT_WINDOW);
    CHECK_INT_EQ(f->script[4].kind, FAULT_SCRIPT_CONTENT_POLICY);
    CHECK_INT_EQ(f->script[5].kind, FAULT_SCRIPT_HANG);
    CHECK_INT_EQ(f->script[6].kind, FAULT_SCRIPT_OK);
    CHECK_INT_EQ(f->script[7].http_status, 404);
    f = &s.backends[1].api.faults;
    CHECK_INT_EQ(f->n_script, 1);
    CHECK(f->script_repeat);
    scn_free(&s);

    static const struct {
        const char *faults, *needle;
    } bad[] = {
        {"{script: [{status: 429, retry_after: 2}]}", "2"},
        {"{script: [{status: 500, retry_after: 2s}]}", "only with status 429"},
        {"{script: [{status: 429, class: content_policy}]}", "only with status 400"},
        {"{script: [{status: 400, class: toxic}]}", "content_policy"},
        {"{script: [{status: 302}]}", "200 (normal service) or an error status"},
        {"{script: [{hang: false}]}", "'hang: true'"},
        {"{script: [{status: 500, hang: true}]}", "exactly one of 'status' and 'hang: true'"},
        {"{script: [{retry_after: 2s}]}", "exactly one of 'status'"},
        {"{script: [{hang: true, retry_after: 2s}]}", "without an error status"},
        {"{script: [{stat: 500}]}", "did you mean 'status'"},
        {"{script: []}", "at least one step"},
        {"{script: {repeat: true}}", "'steps'"},
        {"{script: 500}", "a list of script steps"},
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
    /* 33 steps: one more than FAULT_SCRIPT_MAX. */
    char yaml[2048];
    int n = snprintf(yaml, sizeof yaml,
                     TRAFFIC "backends:\n  - {name: a, latency: {ttft: 1s}, faults: {script: [");
    for (int i = 0; i <= FAULT_SCRIPT_MAX; i++)
        n += snprintf(yaml + n, sizeof yaml - (size_t)n, "%s{status: 500}", i ? ", " : "");
    snprintf(yaml + n, sizeof yaml - (size_t)n, "]}}\n");
    rc = load_str(yaml, &s, err, sizeof err);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0)
        scn_free(&s);
    CHECK_STR_CONTAINS(err, "at most 32");
}

struct attempts_seen {
    uint32_t attempts;
    int status;
    int64_t done_ns;
};

static void on_req_attempts(void *ctx, const struct sim_req_record *r)
{
    struct attempts_seen *a = ctx;
    a->attempts = r->attempts;
    a->status = r->final_status;
    a->done_ns = r->done_ns - r->arrival_ns;
}

/* Through the engine: a scripted 429 with Retry-After 2 s holds lbsim's
 * retry for 2 s (its Retry-After floor), then the 200 step answers; a hang
 * step ends at the attempt timeout (408) and the next attempt is served. */
static void run_script(const char *script, uint32_t want_attempts, int64_t min_done_ns,
                       int64_t max_done_ns)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "seed: 1\n" TRAFFIC "backends:\n"
             "  - {name: a, latency: {ttft: 100ms, output_rate: 100}, faults: {script: %s}}\n"
             "router: {strategy: round_robin, timeout: 5s, retries: {max_attempts: 3, "
             "retry_on: [429, 5xx, timeout]}}\n",
             script);
    struct scenario s;
    char err[1024] = "";
    int rc = load_str(yaml, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    struct attempts_seen seen = {0, 0, 0};
    struct sim_hooks hooks = {.on_request = on_req_attempts, .ctx = &seen};
    struct sim_result r;
    rc = sim_run(&s, &s.router.strategy, s.seed, &hooks, &r, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc == 0) {
        printf("script %s: attempts %u status %d done after %.3fs\n", script, seen.attempts,
               seen.status, (double)seen.done_ns / S_NS);
        CHECK_INT_EQ(seen.attempts, want_attempts);
        CHECK_INT_EQ(seen.status, 200);
        CHECK(seen.done_ns >= min_done_ns && seen.done_ns <= max_done_ns);
        sim_result_free(&r);
    }
    scn_free(&s);
}

static void test_script_engine(void)
{
    /* the 429's Retry-After (2 s) then TTFT 0.1 s + 1 token at 100/s */
    run_script("[{status: 429, retry_after: 2s}, {status: 200}]", 2, 2110000000LL, 2110000000LL);
    /* 5 s attempt timeout, a backoff of at most 1 s, then 0.11 s */
    run_script("[{hang: true}]", 2, 5110000000LL, 6110000000LL);
    /* two 500s answer at once; the third attempt is served */
    run_script("[{status: 500}, {status: 500}]", 3, 110000000LL, 3110000000LL);
}

int main(void)
{
    snprintf(tmp_file, sizeof tmp_file, "/tmp/lbsim_test_api_limits_%ld.yaml", (long)getpid());
    test_anthropic_itpm_ignores_cached();
    test_anthropic_otpm_refund();
    test_gemini_rpd();
    test_burst_window();
    test_presets();
    test_max_tokens();
    test_fault_keys();
    test_random_outages();
    test_brownouts();
    test_storms();
    run_hangs("2s", false);
    run_hangs("0", true);
    test_script_admit();
    test_script_queue();
    test_script_keys();
    test_script_engine();
    remove(tmp_file);
    return check_report("test_api_limits");
}
