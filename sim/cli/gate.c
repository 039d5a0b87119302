/*
 * gate.c - budgets and verdicts of `lbsim gate` (see gate.h).
 */
#include "gate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stats.h"

/* The most replications whose values one comparison keeps on the stack
 * (REP_MAX in replicate.h). */
#define GATE_MAX_REPS 10000u

enum gate_unit gate_metric_unit(enum scn_slo_metric m)
{
    switch (m) {
    case SCN_SLO_CLIENT_429_RATE:
    case SCN_SLO_UPSTREAM_429_RATE:
    case SCN_SLO_ERROR_RATE:
    case SCN_SLO_COMPLETION_RATE:
        return GATE_UNIT_FRACTION;
    case SCN_SLO_COST_PER_1K:
        return GATE_UNIT_USD;
    default:
        return GATE_UNIT_SECONDS;
    }
}

uint32_t gate_default_budgets(struct gate_budget *b)
{
    static const struct gate_budget defaults[] = {
        {SCN_SLO_TTFT_P99, GATE_DELTA_REL, GATE_DEFAULT_TTFT_P99_REL, "+5%"},
        {SCN_SLO_CLIENT_429_RATE, GATE_DELTA_PP, GATE_DEFAULT_429_PP, "+0.1pp"},
        {SCN_SLO_ERROR_RATE, GATE_DELTA_PP, GATE_DEFAULT_ERROR_PP, "+0.1pp"},
        {SCN_SLO_COST_PER_1K, GATE_DELTA_REL, GATE_DEFAULT_COST_1K_REL, "+2%"},
    };
    uint32_t n = (uint32_t)(sizeof defaults / sizeof defaults[0]);
    memcpy(b, defaults, sizeof defaults);
    return n;
}

static int metric_by_name(const char *name, size_t len, enum scn_slo_metric *m)
{
    if (len == strlen("cost_per_1k") && memcmp(name, "cost_per_1k", len) == 0) {
        *m = SCN_SLO_COST_PER_1K;
        return 0;
    }
    for (int k = 0; k < SCN_SLO_COUNT_; k++) {
        const char *s = scn_slo_name((enum scn_slo_metric)k);
        if (strlen(s) == len && memcmp(s, name, len) == 0) {
            *m = (enum scn_slo_metric)k;
            return 0;
        }
    }
    return -1;
}

static void metric_list(char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int m = 0; m < SCN_SLO_COUNT_ && k < len; m++) {
        int w =
            snprintf(buf + k, len - k, "%s%s", m ? ", " : "", scn_slo_name((enum scn_slo_metric)m));
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/* A plain non-negative decimal number spanning [s, s + len). */
static int number(const char *s, size_t len, double *out)
{
    char buf[32], *end;
    if (len == 0 || len >= sizeof buf || !isdigit((unsigned char)s[0]))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, &end);
    return *end == '\0' && isfinite(*out) ? 0 : -1;
}

int gate_budget_parse(const char *arg, struct gate_budget *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    char names[400];
    metric_list(names, sizeof names);
    if (eq == NULL)
        return base_errf(err, errlen,
                         "--budget: found '%s', expected METRIC=DELTA (e.g. "
                         "ttft_p99=+5%%)",
                         arg),
               -1;
    if (metric_by_name(arg, (size_t)(eq - arg), &out->metric) != 0)
        return base_errf(err, errlen, "--budget %s: found metric '%.*s', expected one of %s", arg,
                         (int)(eq - arg), arg, names),
               -1;
    const char *d = eq + 1;
    if (strlen(d) >= sizeof out->text)
        return base_errf(err, errlen,
                         "--budget %s: found a DELTA of %zu characters, expected at "
                         "most %zu",
                         arg, strlen(d), sizeof out->text - 1),
               -1;
    snprintf(out->text, sizeof out->text, "%s", d);
    enum gate_unit unit = gate_metric_unit(out->metric);
    double sign = scn_slo_at_least(out->metric) ? -1.0 : 1.0; /* the worsening direction */
    if (*d == '+' || *d == '-') {
        sign = *d == '-' ? -1.0 : 1.0;
        d++;
    }
    size_t len = strlen(d);
    double v;
    const char *expect;
    switch (unit) {
    case GATE_UNIT_FRACTION:
        expect = "a relative change (+5%) or percentage points (+0.1pp)";
        break;
    case GATE_UNIT_USD:
        expect = "a relative change (+5%) or an amount in USD (+$0.05)";
        break;
    default:
        expect = "a relative change (+5%) or a duration with its unit (+200ms, +1s)";
        break;
    }
    if (len > 1 && d[len - 1] == '%' && number(d, len - 1, &v) == 0) {
        out->kind = GATE_DELTA_REL;
        out->delta = sign * v / 100.0;
        return 0;
    }
    if (unit == GATE_UNIT_FRACTION && len > 2 && strcmp(d + len - 2, "pp") == 0 &&
        number(d, len - 2, &v) == 0) {
        out->kind = GATE_DELTA_PP;
        out->delta = sign * v / 100.0;
        return 0;
    }
    if (unit == GATE_UNIT_USD && d[0] == '$' && number(d + 1, len - 1, &v) == 0) {
        out->kind = GATE_DELTA_ABS;
        out->delta = sign * v;
        return 0;
    }
    if (unit == GATE_UNIT_SECONDS && len > 1 && isalpha((unsigned char)d[len - 1])) {
        int64_t ns;
        char e2[200];
        if (scn_parse_duration_ns(d, &ns, e2, sizeof e2) == 0) {
            out->kind = GATE_DELTA_ABS;
            out->delta = sign * (double)ns * 1e-9;
            return 0;
        }
    }
    return base_errf(err, errlen, "--budget %s: found DELTA '%s', expected %s for %s", arg,
                     out->text, expect, scn_slo_name(out->metric)),
           -1;
}

void gate_budget_put(struct gate_budget *list, uint32_t *n, const struct gate_budget *b)
{
    uint32_t i = 0;
    while (i < *n && list[i].metric < b->metric)
        i++;
    if (i < *n && list[i].metric == b->metric) {
        list[i] = *b;
        return;
    }
    memmove(&list[i + 1], &list[i], (*n - i) * sizeof *list);
    list[i] = *b;
    (*n)++;
}

static struct gate_stat stat_of(const double *x, uint32_t R)
{
    double mu, hw;
    stats_mean_ci(x, R, STATS_CI_LEVEL, &mu, &hw);
    return (struct gate_stat){mu, mu - hw, mu + hw};
}

void gate_compare(const struct sim_result *base, const struct sim_result *cand, uint32_t R,
                  const struct gate_budget *b, struct gate_cmp *out)
{
    static const double nan_value = NAN;
    double *xb = malloc(R * sizeof *xb), *xc = malloc(R * sizeof *xc), *d = malloc(R * sizeof *d);
    memset(out, 0, sizeof *out);
    out->budget = *b;
    if (xb == NULL || xc == NULL || d == NULL || R == 0 || R > GATE_MAX_REPS) {
        out->base = out->cand = out->diff = (struct gate_stat){nan_value, nan_value, nan_value};
        out->threshold = nan_value;
        out->verdict = GATE_UNSURE;
        free(xb);
        free(xc);
        free(d);
        return;
    }
    bool all_nan = true;
    for (uint32_t r = 0; r < R; r++) {
        xb[r] = sim_slo_value(&base[r], b->metric);
        xc[r] = sim_slo_value(&cand[r], b->metric);
        d[r] = xc[r] - xb[r];
        if (!isnan(xb[r]) || !isnan(xc[r]))
            all_nan = false;
    }
    out->base = stat_of(xb, R);
    out->cand = stat_of(xc, R);
    out->diff = stat_of(d, R);
    switch (b->kind) {
    case GATE_DELTA_REL:
        out->threshold = b->delta * fabs(out->base.mean);
        break;
    default: /* PP: a fraction already; ABS: in the metric's unit */
        out->threshold = b->delta;
        break;
    }
    const struct gate_stat *s = &out->diff;
    if (all_nan)
        out->verdict = GATE_NA;
    else if (!isfinite(s->lo) || !isfinite(s->hi) || !isfinite(out->threshold))
        out->verdict = GATE_UNSURE; /* undefined on one side, or R < 2 */
    else if (scn_slo_at_least(b->metric))
        out->verdict = s->hi < out->threshold    ? GATE_REGRESS
                       : s->lo >= out->threshold ? GATE_PASS
                                                 : GATE_UNSURE;
    else
        out->verdict = s->lo > out->threshold    ? GATE_REGRESS
                       : s->hi <= out->threshold ? GATE_PASS
                                                 : GATE_UNSURE;
    free(xb);
    free(xc);
    free(d);
}

const char *gate_verdict_name(enum gate_verdict v)
{
    switch (v) {
    case GATE_PASS:
        return "pass";
    case GATE_NA:
        return "n/a";
    case GATE_UNSURE:
        return "unsure";
    default:
        return "REGRESSION";
    }
}

bool gate_failed(const struct gate_report *g)
{
    return g->verdict == GATE_REGRESS || (g->verdict == GATE_UNSURE && !g->unsure_pass);
}
