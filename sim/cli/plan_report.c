/*
 * plan_report.c - the text report, JSON and output directory of
 * `lbsim plan` (see plan_report.h).
 */
#include "plan_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "outdir.h"
#include "plot.h"
#include "report.h"

/* The plot shows candidates up to this multiple of the SLO limit. */
#define PLAN_PLOT_Y_CAP 3.0

double plan_upper(const struct sim_result *r, uint32_t reps, enum scn_slo_metric m)
{
    return reps > 1 ? r->rep.ci[m].hi : sim_slo_value(r, m);
}

double plan_excess(double ub, double limit)
{
    if (!isfinite(ub))
        return INFINITY;
    return limit > 0.0 ? (ub - limit) / limit : ub - limit;
}

static bool is_fraction(enum scn_slo_metric m)
{
    return m >= SCN_SLO_CLIENT_429_RATE && m <= SCN_SLO_ERROR_RATE;
}

/* A metric's value with its unit: "1.234 s", "0.52%", "$0.1234". */
static const char *fmt_metric(enum scn_slo_metric m, double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (m == SCN_SLO_COST_PER_1K)
        snprintf(buf, len, "$%.4f", v);
    else if (is_fraction(m))
        snprintf(buf, len, "%.3f%%", 100.0 * v);
    else
        snprintf(buf, len, "%.3f s", v);
    return buf;
}

static const struct sim_exp_result *point_of(const struct plan_outcome *o,
                                             const struct plan_cand *c)
{
    return o->res[c->point];
}

static const struct sim_result *run_of(const struct plan_outcome *o, const struct plan_cand *c)
{
    return &o->res[c->point]->runs[c->strategy];
}

static const char *value_at(const struct plan_outcome *o, uint32_t point, uint32_t a)
{
    return o->axes[a].values[(point / o->stride[a]) % o->axes[a].n];
}

/* "path=value path=value" */
static void print_sets(FILE *f, const struct plan_outcome *o, uint32_t point)
{
    for (uint32_t a = 0; a < o->n_axes; a++)
        fprintf(f, "%s%s=%s", a ? " " : "", o->axes[a].path, value_at(o, point, a));
}

/* Cost per day at the simulated arrival rate: lambda (measured requests /
 * measured window, 1/s) x 86,400 s x cost per request
 * (cost_per_1k_requests / 1000). */
static double per_day(const struct sim_result *r, double per_1k)
{
    return r->little_lambda * PLAN_S_PER_DAY * per_1k / 1000.0;
}

static void print_cand_line(FILE *f, const struct plan_outcome *o, const struct plan_cand *c)
{
    char b1[32];
    print_sets(f, o, c->point);
    fprintf(f, ", strategy %s: %s %s", run_of(o, c)->strategy, scn_slo_name(o->minimize),
            fmt_metric(o->minimize, c->cost, b1, sizeof b1));
}

/* Every SLO of the candidate: upper bound, limit, slack or excess. */
static void print_slos(FILE *f, const struct plan_outcome *o, const struct sim_result *r)
{
    for (int m = 0; m < SCN_SLO_COUNT_; m++) {
        if (!o->slo.set[m])
            continue;
        char b1[32], b2[32];
        double ub = plan_upper(r, o->reps, (enum scn_slo_metric)m);
        double e = plan_excess(ub, o->slo.limit[m]);
        fprintf(f, "  %-22s %s %s, limit %s: ", scn_slo_name((enum scn_slo_metric)m),
                o->reps > 1 ? "upper bound" : "value", fmt_metric(m, ub, b1, sizeof b1),
                fmt_metric(m, o->slo.limit[m], b2, sizeof b2));
        if (!isfinite(e))
            fputs("undefined (fails)\n", f);
        else if (e <= 0.0)
            fprintf(f, "%.1f%% slack%s\n", -100.0 * e,
                    (enum scn_slo_metric)m == o->y_metric ? "  <- binding" : "");
        else
            fprintf(f, "fails by %.1f%%\n", 100.0 * e);
    }
}

void plan_print_text(FILE *f, const struct plan_outcome *o)
{
    fprintf(f, "plan: %s, seed %llu, %u replication(s) per candidate\n", o->scn_name,
            (unsigned long long)o->seed, o->reps);
    if (o->reps > 1)
        fputs("feasible: every SLO holds at the upper bound of its 95% interval\n", f);
    else
        fputs("feasible: every SLO holds at its value (R = 1: no interval; plan with "
              "--replications 10, the default, to plan on intervals)\n",
              f);
    for (uint32_t a = 0; a < o->n_axes; a++)
        fprintf(f, "axis %s: %u value(s) %s..%s, %s\n", o->axes[a].path, o->axes[a].n,
                o->axes[a].values[0], o->axes[a].values[o->axes[a].n - 1],
                (int)a == o->bisect ? "bisected (capacity)"
                : o->monotone[a]    ? "enumerated (capacity)"
                                    : "enumerated");
    fprintf(f, "evaluated %u of %u candidates (points x %u strategies), %u round(s)",
            o->st.points * o->n_strategies, o->grid_points * o->n_strategies, o->n_strategies,
            o->st.rounds);
    if (o->bisect >= 0)
        fprintf(f, "; at most %u probes asked per line and strategy (bound %u)", o->st.max_asked,
                plan_probe_bound(o->axes[o->bisect].n));
    fputc('\n', f);
    if (o->bisect >= 0 && (o->st.feasibility_drops > 0 || o->st.cost_drops > 0))
        fprintf(f,
                "note: along %s, more capacity broke an SLO in %u and cost less in %u evaluated "
                "step(s): the bisection assumes neither; check with --exhaustive\n",
                o->axes[o->bisect].path, o->st.feasibility_drops, o->st.cost_drops);
    fputc('\n', f);
    if (o->chosen < 0) {
        fputs("no configuration meets every SLO.\n", f);
        if (o->closest >= 0) {
            const struct plan_cand *c = &o->cands[o->closest];
            fputs("closest: ", f);
            print_cand_line(f, o, c);
            fputc('\n', f);
            print_slos(f, o, run_of(o, c));
        }
        return;
    }
    const struct plan_cand *c = &o->cands[o->chosen];
    const struct sim_result *r = run_of(o, c);
    fputs("chosen: ", f);
    print_cand_line(f, o, c);
    fputs("\n  --set:", f);
    for (uint32_t a = 0; a < o->n_axes; a++)
        fprintf(f, " --set %s=%s", o->axes[a].path, value_at(o, c->point, a));
    fprintf(f, "\n\n");
    report_table(f, &point_of(o, c)->scn, point_of(o, c)->seed, r, 1);
    fprintf(f, "\nSLOs (binding: %s)\n", scn_slo_name(o->y_metric));
    print_slos(f, o, r);
    double cost1k = r->cost_per_1k_requests_usd;
    fprintf(f,
            "\ncost: $%.4f per 1k requests x %.3f requests/s (measured) = $%.2f/day, "
            "$%.0f/month",
            cost1k, r->little_lambda, per_day(r, cost1k),
            per_day(r, cost1k) * PLAN_H_PER_MONTH / 24.0);
    if (o->reps > 1)
        fprintf(f, " (95%%: $%.2f..$%.2f/day)", per_day(r, r->rep.ci[SCN_SLO_COST_PER_1K].lo),
                per_day(r, r->rep.ci[SCN_SLO_COST_PER_1K].hi));
    fputs(
        "\n      ($/day = lambda x 86,400 s x cost_per_1k / 1000; $/month = $/day x 730 h / 24)\n",
        f);
    if (o->runner_up >= 0) {
        fputs("runner-up: ", f);
        print_cand_line(f, o, &o->cands[o->runner_up]);
        fputc('\n', f);
    }
    fprintf(f, "\nPareto front (%s against %s %s, %u candidate(s)):\n", scn_slo_name(o->minimize),
            scn_slo_name(o->y_metric), o->reps > 1 ? "upper bound" : "value", o->n_front);
    for (uint32_t i = 0; i < o->n_front; i++) {
        char b1[32], b2[32];
        const struct plan_cand *x = &o->front[i];
        fprintf(f, "  %12s %12s  %-4s ", fmt_metric(o->minimize, x->cost, b1, sizeof b1),
                fmt_metric(o->y_metric, x->y, b2, sizeof b2), x->feasible ? "ok" : "FAIL");
        print_sets(f, o, x->point);
        fprintf(f, " %s\n", run_of(o, x)->strategy);
    }
}

/* A JSON number with a fixed format; null when not finite. */
static void jnum(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void json_set(FILE *f, const struct plan_outcome *o, uint32_t point)
{
    fputc('{', f);
    for (uint32_t a = 0; a < o->n_axes; a++) {
        fputs(a ? ", " : "", f);
        report_json_string(f, o->axes[a].path);
        fputs(": ", f);
        report_json_string(f, value_at(o, point, a));
    }
    fputc('}', f);
}

static void json_brief(FILE *f, const struct plan_outcome *o, const struct plan_cand *c)
{
    fputs("{\"set\": ", f);
    json_set(f, o, c->point);
    fputs(", \"strategy\": ", f);
    report_json_string(f, run_of(o, c)->strategy);
    fputs(", \"cost\": ", f);
    jnum(f, c->cost);
    fputs(", \"y\": ", f);
    jnum(f, c->y);
    fprintf(f, ", \"feasible\": %s}", c->feasible ? "true" : "false");
}

static void json_slos(FILE *f, const struct plan_outcome *o, const struct sim_result *r)
{
    fputc('[', f);
    int k = 0;
    for (int m = 0; m < SCN_SLO_COUNT_; m++) {
        if (!o->slo.set[m])
            continue;
        double ub = plan_upper(r, o->reps, (enum scn_slo_metric)m);
        fprintf(f, "%s{\"slo\": \"%s\", \"upper\": ", k++ ? ", " : "",
                scn_slo_name((enum scn_slo_metric)m));
        jnum(f, ub);
        fputs(", \"limit\": ", f);
        jnum(f, o->slo.limit[m]);
        fputs(", \"excess\": ", f);
        jnum(f, plan_excess(ub, o->slo.limit[m]));
        fputc('}', f);
    }
    fputc(']', f);
}

void plan_print_json(FILE *f, const struct plan_outcome *o)
{
    fputs("{\n  \"lbsim\": {\"version\": \"" LBSIM_VERSION "\"},\n  \"fingerprint\": ", f);
    report_json_string(f, o->fingerprint);
    fputs(",\n  \"plan\": ", f);
    if (o->chosen < 0) {
        fputs("null", f);
    } else {
        const struct plan_cand *c = &o->cands[o->chosen];
        const struct sim_result *r = run_of(o, c);
        fputs("{\n    \"set\": ", f);
        json_set(f, o, c->point);
        fputs(",\n    \"strategy\": ", f);
        report_json_string(f, r->strategy);
        fputs(",\n    \"runs\": ", f);
        report_json_runs(f, 2, r, 1);
        fprintf(f, ",\n    \"binding\": \"%s\",\n    \"minimize\": \"%s\",\n    \"slos\": ",
                scn_slo_name(o->y_metric), scn_slo_name(o->minimize));
        json_slos(f, o, r);
        double c1k = r->cost_per_1k_requests_usd;
        fputs(",\n    \"lambda_per_s\": ", f);
        jnum(f, r->little_lambda);
        fputs(",\n    \"cost_per_day_usd\": ", f);
        jnum(f, per_day(r, c1k));
        fputs(",\n    \"cost_per_month_usd\": ", f);
        jnum(f, per_day(r, c1k) * PLAN_H_PER_MONTH / 24.0);
        if (o->reps > 1) {
            fputs(",\n    \"cost_per_day_ci95\": [", f);
            jnum(f, per_day(r, r->rep.ci[SCN_SLO_COST_PER_1K].lo));
            fputs(", ", f);
            jnum(f, per_day(r, r->rep.ci[SCN_SLO_COST_PER_1K].hi));
            fputc(']', f);
        }
        fputs(",\n    \"runner_up\": ", f);
        if (o->runner_up >= 0)
            json_brief(f, o, &o->cands[o->runner_up]);
        else
            fputs("null", f);
        fputs("\n  }", f);
    }
    fprintf(f, ",\n  \"evaluated\": %u,\n  \"grid\": %u,\n  \"front\": [",
            o->st.points * o->n_strategies, o->grid_points * o->n_strategies);
    for (uint32_t i = 0; i < o->n_front; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        json_brief(f, o, &o->front[i]);
    }
    fputs(o->n_front ? "\n  ],\n" : "],\n", f);
    fputs("  \"front_axes\": {\"x\": ", f);
    report_json_string(f, scn_slo_name(o->minimize));
    fputs(", \"y\": ", f);
    if (o->y_metric < SCN_SLO_COUNT_)
        report_json_string(f, scn_slo_name(o->y_metric));
    else
        fputs("null", f);
    fprintf(f, "},\n  \"replications\": %u,\n  \"seed\": %llu,\n  \"axes\": [", o->reps,
            (unsigned long long)o->seed);
    for (uint32_t a = 0; a < o->n_axes; a++) {
        fputs(a ? ", " : "", f);
        fputs("{\"path\": ", f);
        report_json_string(f, o->axes[a].path);
        fprintf(f, ", \"values\": %u, \"search\": \"%s\"}", o->axes[a].n,
                (int)a == o->bisect ? "bisection" : "grid");
    }
    fputs("],\n  \"closest\": ", f);
    if (o->chosen < 0 && o->closest >= 0) {
        const struct plan_cand *c = &o->cands[o->closest];
        fputs("{\"set\": ", f);
        json_set(f, o, c->point);
        fputs(", \"strategy\": ", f);
        report_json_string(f, run_of(o, c)->strategy);
        fputs(", \"slos\": ", f);
        json_slos(f, o, run_of(o, c));
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs("\n}\n", f);
}

/* Run `gnuplot NAME.gp` inside dir.  0 on success, -1 (also when gnuplot
 * is not installed: exec fails in the child). */
static int render(const char *dir, const char *name)
{
    char script[64];
    snprintf(script, sizeof script, "%s.gp", name);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int write_plan_dir(const char *dir, const struct plan_outcome *o);

int plan_write_outdir(const char *dir, const struct plan_outcome *o)
{
    struct outdir_tx tx;
    int rc = outdir_begin(&tx, dir);
    if (rc != 0)
        return rc;
    return outdir_commit(&tx, write_plan_dir(tx.tmp, o));
}

/* plan.json and the Pareto plot into dir (a transaction's temporary
 * directory). */
static int write_plan_dir(const char *dir, const struct plan_outcome *o)
{
    char path[SCN_PATH_MAX + 96];
    FILE *f = outdir_open(dir, "plan.json", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_INTERNAL;
    plan_print_json(f, o);
    if (outdir_close(f, path) != 0)
        return CLI_EXIT_INTERNAL;
    if (o->y_metric >= SCN_SLO_COUNT_)
        return 0;
    /* fractions in percent on the plot, like the table */
    double scale = is_fraction(o->y_metric) ? 100.0 : 1.0;
    uint32_t n = o->n_cands, nf = o->n_front;
    double *v = malloc(((size_t)2 * n + 2 * nf + 1) * sizeof *v);
    if (v == NULL) {
        fprintf(stderr, "lbsim plan: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    double *x = v, *y = v + n, *fx = v + 2 * n, *fy = v + 2 * n + nf;
    /* Candidates far beyond the limit (a queue that never drains: minutes
     * of TTFT against a 1.5 s SLO) would flatten everything that matters
     * onto the x axis: they are left out of the plot (not of plan.json),
     * and the title says how many.  Dropping points above a y cap leaves
     * the front of the rest unchanged. */
    double limit = o->slo.limit[o->y_metric];
    double cap = limit > 0.0 ? PLAN_PLOT_Y_CAP * limit : INFINITY;
    uint32_t k = 0, kf = 0, hidden = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!(o->cands[i].y <= cap)) {
            hidden++;
            continue;
        }
        x[k] = o->cands[i].cost;
        y[k++] = o->cands[i].y * scale;
    }
    for (uint32_t i = 0; i < nf; i++)
        if (o->front[i].y <= cap) {
            fx[kf] = o->front[i].cost;
            fy[kf++] = o->front[i].y * scale;
        }
    double cx = NAN, cy = NAN;
    if (o->chosen >= 0) {
        cx = o->cands[o->chosen].cost;
        cy = o->cands[o->chosen].y * scale;
    }
    char title[256], xlabel[96], ylabel[96], err[CLI_ERRLEN], more[96] = "";
    if (hidden > 0)
        snprintf(more, sizeof more, "; %u above %gx the SLO not shown", hidden, PLAN_PLOT_Y_CAP);
    snprintf(title, sizeof title, "%s: cost against %s (%u replication%s)%s", o->scn_name,
             scn_slo_name(o->y_metric), o->reps, o->reps == 1 ? "" : "s", more);
    if (o->minimize == SCN_SLO_COST_PER_1K)
        snprintf(xlabel, sizeof xlabel, "cost per 1k requests (USD, mean)");
    else
        snprintf(xlabel, sizeof xlabel, "%s (mean)", scn_slo_name(o->minimize));
    snprintf(ylabel, sizeof ylabel, "%s, %s (%s)", scn_slo_name(o->y_metric),
             o->reps > 1 ? "upper end of the 95% interval" : "value",
             scale != 1.0                         ? "%"
             : o->y_metric == SCN_SLO_COST_PER_1K ? "USD"
                                                  : "s");
    int rc = plot_pareto(dir, "pareto", title, xlabel, ylabel, x, y, k, fx, fy, kf, cx, cy,
                         limit * scale, err, sizeof err);
    free(v);
    if (rc != 0) {
        fprintf(stderr, "lbsim plan: %s\n", err);
        return CLI_EXIT_INTERNAL;
    }
    if (render(dir, "pareto") != 0)
        fprintf(stderr,
                "lbsim plan: gnuplot did not render %s/pareto.gp (is gnuplot installed?); the "
                "data and script are there\n",
                dir);
    return 0;
}
