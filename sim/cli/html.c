/*
 * html.c - report.html and report.md (see html.h).
 */
#include "html.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Largest SVG or scenario file inlined; a bigger one is linked instead. */
#define HTML_INLINE_MAX (8u << 20)

static const char html_css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;"
    "margin:0;background:#f5f6f8}"
    "main{max-width:1080px;margin:0 auto;padding:28px 32px 60px;background:#fff}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;border-bottom:1px "
    "solid #e3e6eb;padding-bottom:4px}"
    ".meta{color:#5b6473;font-size:13px}"
    "table{border-collapse:collapse;margin:8px 0;font-size:13.5px}"
    "th,td{padding:5px 10px;border-bottom:1px solid #e3e6eb;text-align:right}"
    "th{background:#f0f2f5;font-weight:600}td:first-child,th:first-child,.l{text-align:left}"
    ".v{display:inline-block;min-width:64px;text-align:center;border-radius:4px;padding:2px 8px;"
    "font-weight:700;font-size:13px}"
    ".pass{background:#dff3e4;color:#17632a}.FAIL{background:#fbe0e0;color:#a11a1a}"
    ".unsure{background:#fff1d6;color:#8a5a00}.nodata{background:#ececec;color:#444}"
    ".none{background:#eef1f6;color:#55607a}"
    "figure{margin:18px 0 26px}figure svg{width:100%;height:auto;display:block}"
    "figcaption{color:#5b6473;font-size:13px;margin-top:4px}"
    "pre{background:#f6f8fa;border:1px solid #e3e6eb;padding:12px;overflow:auto;font-size:12.5px}";

/* A whole file in memory (NUL-terminated), NULL when absent or too big. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && (unsigned long)n <= HTML_INLINE_MAX && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)n + 1);
            if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
                buf[n] = '\0';
                *len = (size_t)n;
            } else {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    return buf;
}

static bool has_slo(const struct scenario *scn)
{
    for (int m = 0; m < SCN_SLO_COUNT_; m++)
        if (scn->slo.set[m])
            return true;
    return false;
}

/* The verdict word and its CSS class. */
static const char *verdict(const struct scenario *scn, const struct sim_result *r, const char **cls)
{
    if (r->no_data) {
        *cls = "nodata";
        return "no data";
    }
    if (!has_slo(scn)) {
        *cls = "none";
        return "-";
    }
    if (r->rep.replications > 1 && r->rep.verdict == SIM_VERDICT_UNSURE) {
        *cls = "unsure";
        return "unsure";
    }
    *cls = r->slo_pass ? "pass" : "FAIL";
    return *cls;
}

#define SLO_VALUE(e, expr)                                                                         \
    case e:                                                                                        \
        return expr;
static double slo_value(const struct sim_result *r, enum scn_slo_metric m)
{
    switch (m) {
        SIM_SLO_METRICS(SLO_VALUE)
    default:
        return NAN;
    }
}

/* An SLO figure as the scenario writes it: rates in %, times in s. */
static void slo_fmt(char *buf, size_t len, enum scn_slo_metric m, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (m == SCN_SLO_CLIENT_429_RATE || m == SCN_SLO_UPSTREAM_429_RATE ||
             m == SCN_SLO_ERROR_RATE || m == SCN_SLO_COMPLETION_RATE)
        snprintf(buf, len, "%.3f%%", 100.0 * v);
    else if (m == SCN_SLO_COST_PER_1K)
        snprintf(buf, len, "$%.4f", v);
    else
        snprintf(buf, len, "%.3f s", v);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : NAN;
}

#define COUNT                        NULL
#define NOCI                         0
#define T_HEAD(h, w, fmt, value, ci) h,
#define T_FMT(h, w, fmt, value, ci)  fmt,
#define T_VAL(h, w, fmt, value, ci)  value,
static const char *const t_head[] = {SIM_TABLE_COLUMNS(T_HEAD)};
static const char *const t_fmt[] = {SIM_TABLE_COLUMNS(T_FMT)};
enum { T_NCOL = sizeof t_head / sizeof t_head[0] };

static void t_row(const struct sim_result *r, char cells[T_NCOL][32])
{
    const double v[T_NCOL] = {SIM_TABLE_COLUMNS(T_VAL)};
    for (int c = 0; c < T_NCOL; c++) {
        if (!isfinite(v[c]))
            snprintf(cells[c], 32, "-");
        else if (t_fmt[c] == NULL)
            snprintf(cells[c], 32, "%.0f", v[c]);
        else
            snprintf(cells[c], 32, t_fmt[c], v[c]);
    }
}

static void strat(char *out, size_t len, const struct sim_result *r)
{
    snprintf(out, len, "%.*s", (int)sizeof r->strategy, r->strategy);
}

static void write_html(FILE *f, const char *dir, const struct html_input *in,
                       const struct sim_result *res, uint32_t n)
{
    const struct scenario *scn = in->scn;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>lbsim: ", f);
    cli_put_xml(f, scn->name);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body><main>\n<h1>", html_css);
    cli_put_xml(f, scn->name);
    fputs("</h1>\n<p class=\"meta\">lbsim ", f);
    cli_put_xml(f, in->origin && in->origin->version ? in->origin->version : "(unknown version)");
    fputs(" &middot; scenario fingerprint <code>", f);
    cli_put_xml(f, in->origin && in->origin->fingerprint ? in->origin->fingerprint : "-");
    fputs("</code> &middot; ", f);
    cli_put_xml(f, scn->path);
    fputs("</p>\n", f);

    /* the verdict first */
    fputs("<h2>Verdict</h2>\n<table><tr><th>strategy</th><th>verdict</th><th "
          "class=\"l\">why</th></tr>\n",
          f);
    for (uint32_t i = 0; i < n; i++) {
        const char *cls, *v = verdict(scn, &res[i], &cls);
        char name[SCN_NAME_MAX + 1];
        strat(name, sizeof name, &res[i]);
        fputs("<tr><td>", f);
        cli_put_xml(f, name);
        fprintf(f, "</td><td><span class=\"v %s\">%s</span></td><td class=\"l\">", cls, v);
        if (res[i].no_data)
            fputs("no measured request", f);
        else if (!has_slo(scn))
            fputs("the scenario has no slo:", f);
        for (uint32_t k = 0; k < res[i].n_violations; k++) {
            const struct sim_slo_violation *sv = &res[i].violations[k];
            char a[48], b[48];
            slo_fmt(a, sizeof a, sv->metric, sv->value);
            slo_fmt(b, sizeof b, sv->metric, sv->limit);
            fprintf(f, "%s%s %s (limit %s)", k ? "; " : "", scn_slo_name(sv->metric), a, b);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (has_slo(scn)) {
        fputs("<h2>SLOs</h2>\n<table><tr><th>objective</th><th>limit</th>", f);
        for (uint32_t i = 0; i < n; i++) {
            char name[SCN_NAME_MAX + 1];
            strat(name, sizeof name, &res[i]);
            fputs("<th>", f);
            cli_put_xml(f, name);
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        for (int m = 0; m < SCN_SLO_COUNT_; m++) {
            if (!scn->slo.set[m])
                continue;
            char lim[48];
            slo_fmt(lim, sizeof lim, (enum scn_slo_metric)m, scn->slo.limit[m]);
            fprintf(f, "<tr><td>%s</td><td>%s%s</td>", scn_slo_name((enum scn_slo_metric)m),
                    scn_slo_at_least((enum scn_slo_metric)m) ? "&ge; " : "&le; ", lim);
            for (uint32_t i = 0; i < n; i++) {
                double v = slo_value(&res[i], (enum scn_slo_metric)m);
                bool ok = scn_slo_at_least((enum scn_slo_metric)m) ? v >= scn->slo.limit[m]
                                                                   : v <= scn->slo.limit[m];
                char a[48];
                slo_fmt(a, sizeof a, (enum scn_slo_metric)m, v);
                fprintf(f, "<td><span class=\"v %s\">%s</span></td>", ok ? "pass" : "FAIL", a);
            }
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    fputs("<h2>Summary</h2>\n<table><tr><th>strategy</th>", f);
    for (int c = 0; c < T_NCOL; c++) {
        fputs("<th>", f);
        cli_put_xml(f, t_head[c]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (uint32_t i = 0; i < n; i++) {
        char cells[T_NCOL][32], name[SCN_NAME_MAX + 1];
        t_row(&res[i], cells);
        strat(name, sizeof name, &res[i]);
        fputs("<tr><td>", f);
        cli_put_xml(f, name);
        fputs("</td>", f);
        for (int c = 0; c < T_NCOL; c++)
            fprintf(f, "<td>%s</td>", cells[c]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);

    fputs("<h2>Plots</h2>\n", f);
    for (uint32_t p = 0; p < in->n_plots; p++) {
        char path[SCN_PATH_MAX + 80];
        snprintf(path, sizeof path, "%s/%s.svg", dir, in->plots[p].name);
        size_t len = 0;
        char *svg = slurp(path, &len);
        fputs("<figure>", f);
        /* the <svg> element only: the XML prolog and DOCTYPE are not
         * allowed inside HTML */
        char *start = svg ? strstr(svg, "<svg") : NULL;
        if (start)
            fputs(start, f);
        else {
            fputs("<p>(not rendered: ", f);
            cli_put_xml(f, in->plots[p].name);
            fputs(".gp needs gnuplot)</p>", f);
        }
        free(svg);
        fputs("<figcaption>", f);
        cli_put_xml(f, in->plots[p].caption);
        fputs("</figcaption></figure>\n", f);
    }

    fputs("<h2>Scenario as run</h2>\n", f);
    if (in->n_sets > 0) {
        fputs("<p>Overrides (<code>--set</code>):</p>\n<pre>", f);
        for (uint32_t i = 0; i < in->n_sets; i++) {
            cli_put_xml(f, in->sets[i].path);
            fputc('=', f);
            cli_put_xml(f, in->sets[i].value);
            fputc('\n', f);
        }
        fputs("</pre>\n", f);
    }
    size_t len = 0;
    char *yaml = slurp(scn->path, &len);
    fputs("<pre>", f);
    cli_put_xml(f, yaml ? yaml : "(the scenario file could not be read)");
    fputs("</pre>\n", f);
    free(yaml);
    fputs("</main></body></html>\n", f);
}

static void write_md(FILE *f, const struct html_input *in, const struct sim_result *res, uint32_t n)
{
    const struct scenario *scn = in->scn;
    fputs("# lbsim: ", f);
    cli_put_md_cell(f, scn->name);
    fprintf(f, "\n\nlbsim %s, scenario fingerprint `%s`\n\n## Verdict\n\n",
            in->origin && in->origin->version ? in->origin->version : "(unknown version)",
            in->origin && in->origin->fingerprint ? in->origin->fingerprint : "-");
    fputs("| strategy | verdict |\n|---|---|\n", f);
    for (uint32_t i = 0; i < n; i++) {
        const char *cls, *v = verdict(scn, &res[i], &cls);
        char name[SCN_NAME_MAX + 1];
        strat(name, sizeof name, &res[i]);
        fputs("| ", f);
        cli_put_md_cell(f, name);
        fprintf(f, " | %s%s%s |\n", cls[0] == 'F' ? "**" : "", v, cls[0] == 'F' ? "**" : "");
    }
    fputs("\n## Summary\n\n| strategy |", f);
    for (int c = 0; c < T_NCOL; c++)
        fprintf(f, " %s |", t_head[c]);
    fputs("\n|---|", f);
    for (int c = 0; c < T_NCOL; c++)
        fputs("---:|", f);
    fputc('\n', f);
    for (uint32_t i = 0; i < n; i++) {
        char cells[T_NCOL][32], name[SCN_NAME_MAX + 1];
        t_row(&res[i], cells);
        strat(name, sizeof name, &res[i]);
        fputs("| ", f);
        cli_put_md_cell(f, name);
        fputs(" |", f);
        for (int c = 0; c < T_NCOL; c++)
            fprintf(f, " %s |", cells[c]);
        fputc('\n', f);
    }
    fputs("\n## Plots\n\n", f);
    for (uint32_t p = 0; p < in->n_plots; p++) {
        fputs("- [", f);
        cli_put_md_cell(f, in->plots[p].caption);
        fprintf(f, "](%s.png)\n", in->plots[p].name);
    }
    if (in->n_sets > 0) {
        fputs("\n## Overrides\n\n", f);
        for (uint32_t i = 0; i < in->n_sets; i++)
            fprintf(f, "- `--set %s=%s`\n", in->sets[i].path, in->sets[i].value);
    }
}

int html_write(const char *dir, const struct html_input *in, const struct sim_result *res,
               uint32_t n, char *err, size_t errlen)
{
    char path[SCN_PATH_MAX + 32];
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, k == 0 ? "report.html" : "report.md");
        FILE *f = fopen(path, "w");
        if (!f) {
            snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
            return -1;
        }
        if (k == 0)
            write_html(f, dir, in, res, n);
        else
            write_md(f, in, res, n);
        if (fclose(f) != 0) {
            snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}
