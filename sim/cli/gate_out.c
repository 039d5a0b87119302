/*
 * gate_out.c - the reports of `lbsim gate` (see gate.h): a table for the
 * terminal, Markdown for a CI job summary or a pull-request comment, JUnit
 * XML for test-result publishers and JSON for machines.  Numbers use
 * fixed formats, so the same results give byte-identical reports.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "gate.h"
#include "report.h"

/* ---- numbers ----------------------------------------------------------------- */

/* A metric value in its unit: "1.234 s", "0.250%", "$3.1416"; "-" when
 * undefined. */
static const char *fmt_value(char *buf, size_t len, enum gate_unit u, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (u == GATE_UNIT_SECONDS)
        snprintf(buf, len, "%.3f s", v);
    else if (u == GATE_UNIT_FRACTION)
        snprintf(buf, len, "%.3f%%", 100.0 * v);
    else
        snprintf(buf, len, "$%.4f", v);
    return buf;
}

/* A difference: "+0.120 s", "+0.050pp", "-$0.0100". */
static const char *fmt_diff(char *buf, size_t len, enum gate_unit u, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (u == GATE_UNIT_SECONDS)
        snprintf(buf, len, "%+.3f s", v);
    else if (u == GATE_UNIT_FRACTION)
        snprintf(buf, len, "%+.3fpp", 100.0 * v);
    else
        snprintf(buf, len, "%s$%.4f", v < 0 ? "-" : "+", fabs(v));
    return buf;
}

/* "+0.120 s [+0.100 s, +0.140 s]" */
static const char *fmt_diff_ci(char *buf, size_t len, enum gate_unit u, const struct gate_stat *s)
{
    char m[40], lo[40], hi[40];
    snprintf(buf, len, "%s [%s, %s]", fmt_diff(m, sizeof m, u, s->mean),
             fmt_diff(lo, sizeof lo, u, s->lo), fmt_diff(hi, sizeof hi, u, s->hi));
    return buf;
}

/* "+5% (+0.061 s)": the budget as written and as a bound on the difference. */
static const char *fmt_budget(char *buf, size_t len, const struct gate_cmp *c)
{
    char t[40];
    enum gate_unit u = gate_metric_unit(c->budget.metric);
    if (c->budget.kind == GATE_DELTA_REL)
        snprintf(buf, len, "%s (%s)", c->budget.text, fmt_diff(t, sizeof t, u, c->threshold));
    else
        snprintf(buf, len, "%s", c->budget.text);
    return buf;
}

static const char *overall(const struct gate_report *g)
{
    if (g->verdict == GATE_REGRESS)
        return "REGRESSION";
    if (g->verdict == GATE_UNSURE)
        return g->unsure_pass ? "PASS (unsure, allowed by --unsure pass)" : "UNSURE";
    return "PASS";
}

static void count(const struct gate_report *g, uint32_t *checks, uint32_t *regress,
                  uint32_t *unsure)
{
    *checks = *regress = *unsure = 0;
    for (uint32_t p = 0; p < g->n_pairs; p++)
        for (uint32_t i = 0; i < g->pairs[p].n_cmp; i++) {
            (*checks)++;
            *regress += g->pairs[p].cmp[i].verdict == GATE_REGRESS;
            *unsure += g->pairs[p].cmp[i].verdict == GATE_UNSURE;
        }
}

static const char *pair_name(const struct gate_pair *p, char *buf, size_t len)
{
    if (strcmp(p->strategy, p->base_strategy) == 0)
        snprintf(buf, len, "%s", p->strategy);
    else
        snprintf(buf, len, "%s vs %s", p->strategy, p->base_strategy);
    return buf;
}

/* ---- table ------------------------------------------------------------------- */

void gate_write_table(FILE *f, const struct gate_report *g)
{
    uint32_t checks, regress, unsure;
    count(g, &checks, &regress, &unsure);
    fprintf(f, "lbsim gate: %s (%u checks: %u regressed, %u unsure)\n", overall(g), checks, regress,
            unsure);
    fprintf(f, "baseline   %s  %s\n", g->base.label, g->base.fingerprint);
    fprintf(f, "candidate  %s  %s\n", g->cand.label, g->cand.fingerprint);
    fprintf(f,
            "%u replications on the same seeds (seed %llu), differences candidate - baseline\n\n",
            g->reps, (unsigned long long)g->seed);
    /* The strategy column is as wide as its longest pair name ("a vs b"
     * when the labels differ), at least the header's 24. */
    int nw = 24;
    for (uint32_t p = 0; p < g->n_pairs; p++) {
        char name[2 * SCN_NAME_MAX + 8];
        int l = (int)strlen(pair_name(&g->pairs[p], name, sizeof name));
        nw = l > nw ? l : nw;
    }
    fprintf(f, "%-*s %-22s %-20s %12s %12s  %-40s %s\n", nw, "strategy", "metric", "budget",
            "baseline", "candidate", "difference [95% CI]", "verdict");
    for (uint32_t p = 0; p < g->n_pairs; p++) {
        const struct gate_pair *gp = &g->pairs[p];
        char name[2 * SCN_NAME_MAX + 8];
        pair_name(gp, name, sizeof name);
        for (uint32_t i = 0; i < gp->n_cmp; i++) {
            const struct gate_cmp *c = &gp->cmp[i];
            enum gate_unit u = gate_metric_unit(c->budget.metric);
            char b[80], vb[40], vc[40], d[128];
            fprintf(f, "%-*s %-22s %-20s %12s %12s  %-40s %s\n", nw, i == 0 ? name : "",
                    scn_slo_name(c->budget.metric), fmt_budget(b, sizeof b, c),
                    fmt_value(vb, sizeof vb, u, c->base.mean),
                    fmt_value(vc, sizeof vc, u, c->cand.mean),
                    fmt_diff_ci(d, sizeof d, u, &c->diff), gate_verdict_name(c->verdict));
        }
    }
    for (uint32_t i = 0; i < g->n_skipped; i++)
        fprintf(f, "%-24s not gated: no strategy of that label in the baseline\n", g->skipped[i]);
}

/* ---- Markdown ----------------------------------------------------------------- */

/* Text in a table cell: '|' escaped, newlines as spaces. */
void gate_write_markdown(FILE *f, const struct gate_report *g)
{
    uint32_t checks, regress, unsure;
    count(g, &checks, &regress, &unsure);
    fprintf(f, "## lbsim gate: %s\n\n", overall(g));
    fprintf(f, "**%u** of %u checks regressed, **%u** unsure", regress, checks, unsure);
    fprintf(f,
            " (%u replications on common seeds; a check regresses when the whole 95%% "
            "interval of the paired difference lies beyond its budget).\n\n",
            g->reps);
    fputs("| strategy | metric | budget | baseline | candidate | difference [95% CI] | verdict |\n"
          "|---|---|---|---:|---:|---|---|\n",
          f);
    for (uint32_t p = 0; p < g->n_pairs; p++) {
        const struct gate_pair *gp = &g->pairs[p];
        char name[2 * SCN_NAME_MAX + 8];
        pair_name(gp, name, sizeof name);
        for (uint32_t i = 0; i < gp->n_cmp; i++) {
            const struct gate_cmp *c = &gp->cmp[i];
            enum gate_unit u = gate_metric_unit(c->budget.metric);
            char b[80], vb[40], vc[40], d[128];
            fputs("| ", f);
            cli_put_md_cell(f, name);
            fprintf(f, " | %s | ", scn_slo_name(c->budget.metric));
            cli_put_md_cell(f, fmt_budget(b, sizeof b, c));
            fprintf(f, " | %s | %s | %s | %s |\n", fmt_value(vb, sizeof vb, u, c->base.mean),
                    fmt_value(vc, sizeof vc, u, c->cand.mean),
                    fmt_diff_ci(d, sizeof d, u, &c->diff),
                    c->verdict == GATE_REGRESS  ? "**REGRESSION**"
                    : c->verdict == GATE_UNSURE ? "_unsure_"
                                                : gate_verdict_name(c->verdict));
        }
    }
    for (uint32_t i = 0; i < g->n_skipped; i++) {
        fputs("\nNot gated (no baseline strategy of that label): ", f);
        cli_put_md_cell(f, g->skipped[i]);
        fputc('\n', f);
    }
    fputs("\n| | scenario | fingerprint |\n|---|---|---|\n| baseline | `", f);
    cli_put_md_cell(f, g->base.label);
    fprintf(f, "` | `%s` |\n| candidate | `", g->base.fingerprint);
    cli_put_md_cell(f, g->cand.label);
    fprintf(f, "` | `%s` |\n\n", g->cand.fingerprint);
    fprintf(f, "lbsim %s, seed %llu.  Reproduce locally:\n\n```sh\n%s\n```\n", g->version,
            (unsigned long long)g->seed, g->repro);
}

/* ---- JUnit XML ------------------------------------------------------------------- */

/* One check's numbers, one line, for a failure message. */
static void check_line(char *buf, size_t len, const struct gate_cmp *c)
{
    enum gate_unit u = gate_metric_unit(c->budget.metric);
    char b[80], vb[40], vc[40], d[128];
    snprintf(buf, len, "%s %s: baseline %s, candidate %s, difference %s, budget %s",
             scn_slo_name(c->budget.metric), gate_verdict_name(c->verdict),
             fmt_value(vb, sizeof vb, u, c->base.mean), fmt_value(vc, sizeof vc, u, c->cand.mean),
             fmt_diff_ci(d, sizeof d, u, &c->diff), fmt_budget(b, sizeof b, c));
}

void gate_write_junit(FILE *f, const struct gate_report *g)
{
    uint32_t checks, regress, unsure, failures, skipped = 0;
    count(g, &checks, &regress, &unsure);
    failures = regress + (g->unsure_pass ? 0 : unsure);
    for (uint32_t p = 0; p < g->n_pairs; p++)
        for (uint32_t i = 0; i < g->pairs[p].n_cmp; i++)
            skipped += g->pairs[p].cmp[i].verdict == GATE_NA;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"lbsim gate\" tests=\"%u\" failures=\"%u\" errors=\"0\">\n",
            checks, failures);
    fputs("  <testsuite name=\"", f);
    cli_put_xml(f, g->cand.label);
    fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"0\">\n", checks,
            failures, skipped);
    fputs("    <properties>\n", f);
    fprintf(f, "      <property name=\"lbsim.version\" value=\"%s\"/>\n", g->version);
    fputs("      <property name=\"baseline\" value=\"", f);
    cli_put_xml(f, g->base.label);
    fprintf(f, "\"/>\n      <property name=\"baseline.fingerprint\" value=\"%s\"/>\n",
            g->base.fingerprint);
    fprintf(f, "      <property name=\"candidate.fingerprint\" value=\"%s\"/>\n",
            g->cand.fingerprint);
    fprintf(f, "      <property name=\"replications\" value=\"%u\"/>\n", g->reps);
    fprintf(f, "      <property name=\"seed\" value=\"%llu\"/>\n", (unsigned long long)g->seed);
    fputs("    </properties>\n", f);
    for (uint32_t p = 0; p < g->n_pairs; p++) {
        const struct gate_pair *gp = &g->pairs[p];
        char name[2 * SCN_NAME_MAX + 8];
        pair_name(gp, name, sizeof name);
        for (uint32_t i = 0; i < gp->n_cmp; i++) {
            const struct gate_cmp *c = &gp->cmp[i];
            char line[512];
            check_line(line, sizeof line, c);
            fputs("    <testcase classname=\"lbsim.gate.", f);
            cli_put_xml(f, name);
            fprintf(f, "\" name=\"%s\" time=\"0\"", scn_slo_name(c->budget.metric));
            bool fails =
                c->verdict == GATE_REGRESS || (c->verdict == GATE_UNSURE && !g->unsure_pass);
            if (fails) {
                fprintf(f, ">\n      <failure type=\"%s\" message=\"",
                        c->verdict == GATE_REGRESS ? "regression" : "unsure");
                cli_put_xml(f, line);
                fputs("\">", f);
                cli_put_xml(f, line);
                fprintf(f, " (%u paired replications, 95%% interval)</failure>\n    </testcase>\n",
                        g->reps);
            } else if (c->verdict == GATE_NA) {
                fputs(">\n      <skipped message=\"undefined in every replication of both "
                      "scenarios\"/>\n    </testcase>\n",
                      f);
            } else if (c->verdict == GATE_UNSURE) {
                fputs(">\n      <system-out>", f);
                cli_put_xml(f, line);
                fputs(" (allowed by --unsure pass)</system-out>\n    </testcase>\n", f);
            } else {
                fputs("/>\n", f);
            }
        }
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
}

/* ---- JSON ------------------------------------------------------------------------ */

/* Verdicts in the JSON: lowercase words. */
static const char *json_verdict(enum gate_verdict v)
{
    return v == GATE_REGRESS ? "regression" : gate_verdict_name(v);
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

static void json_stat(FILE *f, const char *key, const struct gate_stat *s)
{
    fprintf(f, "\"%s\": {\"mean\": ", key);
    json_num(f, s->mean);
    fputs(", \"ci95\": [", f);
    json_num(f, s->lo);
    fputs(", ", f);
    json_num(f, s->hi);
    fputs("]}", f);
}

static void json_side(FILE *f, const char *key, const struct gate_side *s)
{
    fprintf(f, "  \"%s\": {\"scenario\": ", key);
    report_json_string(f, s->label);
    fputs(", \"name\": ", f);
    report_json_string(f, s->name);
    fprintf(f, ", \"fingerprint\": \"%s\"},\n", s->fingerprint);
}

void gate_write_json(FILE *f, const struct gate_report *g)
{
    static const char *const delta_kind[] = {"relative", "pp", "absolute"};
    fputs("{\n  \"lbsim\": {\"version\": ", f);
    report_json_string(f, g->version);
    fputs("},\n  \"verdict\": ", f);
    report_json_string(f, json_verdict(g->verdict == GATE_NA ? GATE_PASS : g->verdict));
    fprintf(f, ",\n  \"failed\": %s,\n", gate_failed(g) ? "true" : "false");
    json_side(f, "baseline", &g->base);
    json_side(f, "candidate", &g->cand);
    fprintf(f, "  \"seed\": %llu,\n  \"replications\": %u,\n  \"seeds\": [",
            (unsigned long long)g->seed, g->reps);
    for (uint32_t r = 0; r < g->reps; r++)
        fprintf(f, "%s%llu", r ? ", " : "", (unsigned long long)g->seeds[r]);
    fputs("],\n  \"unsure\": ", f);
    report_json_string(f, g->unsure_pass ? "pass" : "fail");
    fputs(",\n  \"comparisons\": [", f);
    for (uint32_t p = 0; p < g->n_pairs; p++) {
        const struct gate_pair *gp = &g->pairs[p];
        fputs(p ? ",\n    {\"strategy\": " : "\n    {\"strategy\": ", f);
        report_json_string(f, gp->strategy);
        fputs(", \"baseline_strategy\": ", f);
        report_json_string(f, gp->base_strategy);
        fputs(", \"verdict\": ", f);
        report_json_string(f, json_verdict(gp->verdict));
        fputs(", \"metrics\": [", f);
        for (uint32_t i = 0; i < gp->n_cmp; i++) {
            const struct gate_cmp *c = &gp->cmp[i];
            static const char *const unit[] = {"s", "fraction", "usd"};
            fprintf(f, "%s\n      {\"metric\": \"%s\", \"unit\": \"%s\", \"budget\": {\"delta\": ",
                    i ? "," : "", scn_slo_name(c->budget.metric),
                    unit[gate_metric_unit(c->budget.metric)]);
            report_json_string(f, c->budget.text);
            fprintf(f, ", \"kind\": \"%s\", \"threshold\": ", delta_kind[c->budget.kind]);
            json_num(f, c->threshold);
            fputs("},\n       ", f);
            json_stat(f, "baseline", &c->base);
            fputs(", ", f);
            json_stat(f, "candidate", &c->cand);
            fputs(",\n       ", f);
            json_stat(f, "difference", &c->diff);
            fputs(", \"verdict\": ", f);
            report_json_string(f, json_verdict(c->verdict));
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("\n  ],\n  \"not_gated\": [", f);
    for (uint32_t i = 0; i < g->n_skipped; i++) {
        fputs(i ? ", " : "", f);
        report_json_string(f, g->skipped[i]);
    }
    fputs("],\n  \"reproduce\": ", f);
    report_json_string(f, g->repro);
    fputs("\n}\n", f);
}
