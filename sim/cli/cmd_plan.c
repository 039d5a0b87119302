/*
 * cmd_plan.c - `lbsim plan SCENARIO --vary PATH=LIST ...`: the cheapest
 * configuration (grid point x strategy) whose every SLO holds at the upper
 * bound of its 95% interval, searched by bisection along a capacity axis
 * (plan_search.h) and evaluated through sim_exp_run.
 *
 * Options are parsed and checked (metric names, SLO limits and their units,
 * the axes) before anything runs; the scenario is loaded once with every
 * override so that a bad path or value is reported before the first
 * simulation.  docs/experiments-plan.md describes the method.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "experiment.h"
#include "plan_report.h"
#include "plan_search.h"
#include "replicate.h"
#include "scnopts.h"
#include "vary.h"

/* Default replications: the 95% half-width is t(0.975, R-1) x sd / sqrt(R)
 * = 1.24 sd at R = 5, 0.72 sd at R = 10, 0.47 sd at R = 20.  Ten is the
 * knee: half the R = 5 width for twice the runs, where R = 20 would double
 * the runs again for a third less. */
#define PLAN_DEFAULT_REPS 10

/* The last path components that name a capacity: more of it costs more
 * and never hurts a service level (the bisection's assumption). */
static const char *const capacity_keys[] = {
    "replicas", "max_inflight", "concurrency", "rpm",      "tpm",          "itpm",
    "otpm",     "rpd",          "slots",       "accounts", "max_num_seqs",
};

static const char *const usage_plan =
    "usage: lbsim plan SCENARIO --vary PATH=LIST... [--minimize METRIC]\n"
    "                  [--slo METRIC=LIMIT]... [--set PATH=VALUE]... [--strategy NAME]...\n"
    "                  [--replications R] [--seed N] [--threads N] [--exhaustive]\n"
    "                  [--json] [--out DIR] [--plugin PATH.so]...\n"
    "\n"
    "Finds the cheapest configuration (a point of the --vary grid and a\n"
    "strategy) whose every SLO holds at the upper bound of its 95% interval.\n"
    "An axis whose last path component is a capacity (replicas, max_inflight,\n"
    "concurrency, rpm, tpm, itpm, otpm, rpd, slots, accounts, max_num_seqs)\n"
    "with ascending numbers is bisected, assuming more capacity never breaks\n"
    "an SLO and never costs less; the other axes are enumerated.\n"
    "\n"
    "  --vary PATH=LIST  an axis: v1,v2,... or a..b[:step] (repeatable, at most 8)\n"
    "  --minimize METRIC the metric to minimise, by its mean (default\n"
    "                    cost_per_1k_requests; bisection only for this one)\n"
    "  --slo METRIC=LIMIT add or override an SLO of the scenario's slo: (repeatable),\n"
    "                    e.g. ttft_p99=1.5s, error_rate=1%; latencies need a unit\n"
    "  --set PATH=VALUE  override a value of every configuration (repeatable)\n"
    "  --strategy NAME   candidate strategy (repeatable; default: compare:, else router)\n"
    "  --replications R  replications per candidate (default 10; 1 has no interval)\n"
    "  --seed N          override the scenario's seed\n"
    "  --threads N       OpenMP threads (default: all cores)\n"
    "  --exhaustive      evaluate the whole grid (to check the bisection)\n"
    "  --json            print the plan JSON on stdout instead of the report\n"
    "  --out DIR         write plan.json and the Pareto plot to DIR\n"
    "  --plugin PATH     load strategies from a shared object (repeatable)\n"
    "\n"
    "exit status: 0 a configuration meets every SLO, 1 none does,\n"
    "2 bad usage or bad input, 3 internal error.\n";

enum { OPT_VARY = SCNOPTS_ID_END_, OPT_MINIMIZE, OPT_SLO, OPT_EXHAUSTIVE };

static const struct args_opt plan_options[] = {
    {"--vary", NULL, ARGS_VALUE, OPT_VARY},
    {"--minimize", NULL, ARGS_VALUE, OPT_MINIMIZE},
    {"--slo", NULL, ARGS_VALUE, OPT_SLO},
    {"--set", NULL, ARGS_VALUE, SCNOPTS_SET},
    {"--strategy", NULL, ARGS_VALUE, SCNOPTS_STRATEGY},
    {"--replications", NULL, ARGS_VALUE, SCNOPTS_REPS},
    {"--seed", NULL, ARGS_VALUE, SCNOPTS_SEED},
    {"--threads", NULL, ARGS_VALUE, SCNOPTS_THREADS},
    {"--exhaustive", NULL, ARGS_FLAG, OPT_EXHAUSTIVE},
    {"--json", NULL, ARGS_FLAG, SCNOPTS_JSON},
    {"--out", NULL, ARGS_VALUE, SCNOPTS_OUT},
    {"--plugin", NULL, ARGS_VALUE, SCNOPTS_PLUGIN},
};

static const struct args_spec plan_spec = {
    .who = "lbsim plan",
    .usage = usage_plan,
    .opts = plan_options,
    .n_opts = ARGS_COUNT(plan_options),
};

/* Room for "slo.<metric name>". */
#define SLO_PATH_MAX 64

struct plan_opts {
    const char *scn_path;
    struct vary axes[PLAN_MAX_AXES];
    uint32_t n_axes;
    enum scn_slo_metric minimize;
    /* com.sets: the --set overrides, then the --slo ones (as
     * slo.METRIC=LIMIT); --plugin is loaded by cmd_plan */
    struct scnopts com;
    char slo_paths[SCN_SLO_COUNT_][SLO_PATH_MAX];
    struct scn_set slo_sets[SCN_SLO_COUNT_];
    uint32_t n_slo;
    int exhaustive;
};

static void free_opts(struct plan_opts *o)
{
    for (uint32_t a = 0; a < o->n_axes; a++)
        vary_free(&o->axes[a]);
    o->n_axes = 0;
}

/* A metric of slo: by name ("cost_per_1k" is accepted for
 * cost_per_1k_requests).  0, or CLI_EXIT_USAGE after a did-you-mean. */
static int metric_by_name(const char *opt, const char *name, size_t len, enum scn_slo_metric *m)
{
    char buf[SLO_PATH_MAX];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (strcmp(buf, "cost_per_1k") == 0) {
        *m = SCN_SLO_COST_PER_1K;
        return 0;
    }
    int best = -1;
    unsigned best_d = 0;
    for (int k = 0; k < SCN_SLO_COUNT_; k++) {
        const char *nm = scn_slo_name((enum scn_slo_metric)k);
        if (strcmp(buf, nm) == 0) {
            *m = (enum scn_slo_metric)k;
            return 0;
        }
        unsigned d = scn_edit_distance(buf, nm);
        if (best < 0 || d < best_d) {
            best = k;
            best_d = d;
        }
    }
    fprintf(stderr, "lbsim plan: %s: found unknown metric '%s', expected one of", opt, buf);
    for (int k = 0; k < SCN_SLO_COUNT_; k++)
        fprintf(stderr, "%s %s", k ? "," : "", scn_slo_name((enum scn_slo_metric)k));
    if (best >= 0 && best_d <= 3)
        fprintf(stderr, "; did you mean '%s'?", scn_slo_name((enum scn_slo_metric)best));
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

static bool is_latency(enum scn_slo_metric m)
{
    return m <= SCN_SLO_E2E_P99;
}

/* --slo METRIC=LIMIT: the metric checked here, the limit by the scenario
 * loader (as slo.METRIC=LIMIT, so it is read exactly as in the file).  A
 * latency limit must carry its unit: the file reads a bare number as
 * seconds, and on a command line "1500" more likely means milliseconds. */
static int parse_slo(struct plan_opts *o, const char *v)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v || eq[1] == '\0')
        return args_usage_error(&plan_spec,
                                "--slo %s: found no METRIC=LIMIT, expected e.g. ttft_p99=1.5s", v);
    enum scn_slo_metric m;
    if (metric_by_name("--slo", v, (size_t)(eq - v), &m) != 0)
        return CLI_EXIT_USAGE;
    const char *lim = eq + 1;
    size_t ll = strlen(lim);
    if (is_latency(m) && !(lim[ll - 1] == 's' || lim[ll - 1] == 'm' || lim[ll - 1] == 'h')) {
        fprintf(stderr,
                "lbsim plan: --slo %s: found the limit '%s' without a unit, expected a duration "
                "such as 1.5s or 800ms\n",
                v, lim);
        return CLI_EXIT_USAGE;
    }
    uint32_t k = 0;
    while (k < o->n_slo && strcmp(o->slo_paths[k] + 4, scn_slo_name(m)) != 0)
        k++; /* a later --slo on the same metric overrides */
    snprintf(o->slo_paths[k], SLO_PATH_MAX, "slo.%s", scn_slo_name(m));
    o->slo_sets[k] = (struct scn_set){o->slo_paths[k], lim, "--slo"};
    if (k == o->n_slo)
        o->n_slo++;
    return 0;
}

/* -1 = go on, else the exit status (0 after --help). */
static int parse_plan(int argc, char **argv, struct plan_opts *o)
{
    char err[CLI_ERRLEN];
    struct args a;
    args_init(&a, &plan_spec, argc, argv, 2);
    enum args_tok t;
    int rc;
    while ((rc = scnopts_next(&o->com, &a, &t)) == SCNOPTS_MORE && t != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (o->scn_path != NULL)
                return args_usage_error(&plan_spec,
                                        "unexpected argument '%s' (one scenario per plan)", a.arg);
            o->scn_path = a.value;
            continue;
        }
        const char *v = a.value;
        switch (a.opt->id) {
        case OPT_VARY:
            if (o->n_axes == PLAN_MAX_AXES)
                return args_usage_error(&plan_spec, "too many --vary options (at most %s)", "8");
            if (vary_parse(v, &o->axes[o->n_axes], err, sizeof err) != 0)
                return args_usage_error(&plan_spec, "%s", err);
            for (uint32_t k = 0; k < o->n_axes; k++)
                if (strcmp(o->axes[k].path, o->axes[o->n_axes].path) == 0) {
                    vary_free(&o->axes[o->n_axes]);
                    return args_usage_error(&plan_spec, "--vary %s: found the path twice", v);
                }
            o->n_axes++;
            break;
        case OPT_MINIMIZE:
            if ((rc = metric_by_name("--minimize", v, strlen(v), &o->minimize)) != 0)
                return rc;
            break;
        case OPT_SLO:
            if ((rc = parse_slo(o, v)) != 0)
                return rc;
            break;
        case OPT_EXHAUSTIVE:
            o->exhaustive = 1;
            break;
        default:
            break;
        }
    }
    if (rc != SCNOPTS_MORE)
        return rc;
    if (o->scn_path == NULL)
        return args_usage_error(&plan_spec, "%s", "missing SCENARIO");
    if (o->n_axes == 0)
        return args_usage_error(&plan_spec, "%s",
                                "found no --vary, expected at least one axis to plan over, "
                                "e.g. --vary backends.gpu.replicas=1..8");
    if (o->com.n_sets + o->n_slo > CLI_SET_MAX)
        return args_usage_error(&plan_spec, "too many --set and --slo options (at most %s)",
                                CLI_SET_MAX_STR);
    memcpy(o->com.sets + o->com.n_sets, o->slo_sets, o->n_slo * sizeof *o->com.sets);
    return -1;
}

/* A number as the scenario writes counts ("8", "10k", "1.5M"), for the
 * ascending check of a capacity axis. */
static bool count_value(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return false;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M')
        v *= 1e6, end++;
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

/* Whether axis v is monotone: a capacity key, numbers strictly ascending. */
static bool axis_monotone(const struct vary *v)
{
    const char *dot = strrchr(v->path, '.');
    const char *last = dot ? dot + 1 : v->path;
    bool cap = false;
    for (size_t k = 0; k < sizeof capacity_keys / sizeof capacity_keys[0]; k++)
        cap |= strcmp(last, capacity_keys[k]) == 0;
    /* router.replicas is gateway instances, not serving capacity */
    if (!cap || strcmp(v->path, "router.replicas") == 0 || v->n < 2)
        return false;
    double prev = 0.0;
    for (uint32_t i = 0; i < v->n; i++) {
        double x;
        if (!count_value(v->values[i], &x) || (i > 0 && !(x > prev)))
            return false;
        prev = x;
    }
    return true;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The evaluator's state (plan_eval_fn's ctx). */
struct plan_ctx {
    const struct plan_opts *o;
    struct sim_exp exp;
    uint32_t stride[PLAN_MAX_AXES];
    uint32_t S;
    struct sim_exp_result **res; /* per point */
    int rc;                      /* the exit status of a failure */
    bool tty;
    uint32_t points_done;
    double t0;
};

static void progress(void *vctx, uint32_t done, uint32_t points, uint64_t trials)
{
    struct plan_ctx *c = vctx;
    double dt = wall_seconds() - c->t0;
    fprintf(stderr, "\rlbsim plan: %u points evaluated (this round %u/%u), %.1f trials/s   ",
            c->points_done + done, done, points, dt > 0 ? (double)trials / dt : 0.0);
}

/* Feasibility and cost of one result. */
static void judge(const struct plan_ctx *c, const struct scn_slo *slo, const struct sim_result *r,
                  struct plan_cell *cell)
{
    uint32_t R = c->o->com.reps;
    bool ok = true;
    for (int m = 0; m < SCN_SLO_COUNT_; m++)
        if (slo->set[m] &&
            !(plan_excess(plan_upper(r, R, (enum scn_slo_metric)m), slo->limit[m]) <= 0.0))
            ok = false;
    cell->evaluated = true;
    cell->feasible = ok;
    cell->cost = sim_slo_value(r, c->o->minimize);
}

static int evaluate(void *vctx, const uint32_t *pts, uint32_t n, struct plan_cell *cells)
{
    struct plan_ctx *c = vctx;
    const struct plan_opts *o = c->o;
    struct sim_exp_point *ep = calloc(n, sizeof *ep);
    struct scn_set *sets = calloc((size_t)n * o->n_axes, sizeof *sets);
    struct sim_exp_result *out = calloc(n, sizeof *out);
    char err[CLI_ERRLEN];
    int rc = -1;
    if (ep == NULL || sets == NULL || out == NULL) {
        fprintf(stderr, "lbsim plan: out of memory\n");
        c->rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    for (uint32_t k = 0; k < n; k++) {
        struct scn_set *s = sets + (size_t)k * o->n_axes;
        for (uint32_t a = 0; a < o->n_axes; a++) {
            uint32_t i = (pts[k] / c->stride[a]) % o->axes[a].n;
            s[a] = (struct scn_set){o->axes[a].path, o->axes[a].values[i], "--vary"};
        }
        ep[k] = (struct sim_exp_point){s, o->n_axes};
    }
    c->t0 = wall_seconds();
    if (sim_exp_run(&c->exp, ep, n, out, err, sizeof err) != 0) {
        if (c->tty)
            fputc('\n', stderr);
        fprintf(stderr, "lbsim plan: %s\n", err);
        /* a point that does not load, a bad trace row (2); out of memory (3) */
        c->rc = cli_exit_of(err);
        for (uint32_t k = 0; k < n; k++)
            sim_exp_result_free(&out[k]);
        goto done;
    }
    c->points_done += n;
    rc = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct sim_exp_result *r = malloc(sizeof *r);
        if (r == NULL || out[k].n != c->S) {
            if (r == NULL)
                fprintf(stderr, "lbsim plan: out of memory\n");
            else
                fprintf(stderr,
                        "lbsim plan: a --vary changes the number of strategies (%u, expected "
                        "%u): vary the strategies with --strategy or compare:, not both\n",
                        out[k].n, c->S);
            c->rc = r == NULL ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
            free(r);
            for (uint32_t j = k; j < n; j++)
                sim_exp_result_free(&out[j]);
            rc = -1;
            break;
        }
        *r = out[k];
        c->res[pts[k]] = r;
        for (uint32_t s = 0; s < c->S; s++)
            judge(c, &r->scn.slo, &r->runs[s], &cells[(size_t)pts[k] * c->S + s]);
    }
done:
    free(ep);
    free(sets);
    free(out);
    return rc;
}

/* Order of the candidates: cheapest first; feasible first at equal cost;
 * then grid order and strategy order (deterministic ties). */
static int cand_cmp(const void *pa, const void *pb)
{
    const struct plan_cand *a = pa, *b = pb;
    bool an = isnan(a->cost), bn = isnan(b->cost);
    if (an != bn)
        return an ? 1 : -1;
    if (!an && a->cost != b->cost)
        return a->cost < b->cost ? -1 : 1;
    if (a->feasible != b->feasible)
        return a->feasible ? -1 : 1;
    if (a->point != b->point)
        return a->point < b->point ? -1 : 1;
    return a->strategy < b->strategy ? -1 : a->strategy > b->strategy;
}

/* Choose, bind, and find the front; then print or write.  Returns the exit
 * status. */
static int conclude(struct plan_ctx *c, struct plan_outcome *out, const struct plan_cell *cells)
{
    const struct plan_opts *o = c->o;
    uint32_t S = c->S, np = out->grid_points;
    uint32_t n = 0;
    for (size_t j = 0; j < (size_t)np * S; j++)
        n += cells[j].evaluated;
    struct plan_cand *cands = calloc(n ? n : 1, sizeof *cands);
    struct plan_cand *front = calloc(n ? n : 1, sizeof *front);
    if (cands == NULL || front == NULL) {
        free(cands);
        free(front);
        fprintf(stderr, "lbsim plan: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    uint32_t k = 0;
    for (uint32_t p = 0; p < np; p++)
        for (uint32_t s = 0; s < S; s++) {
            const struct plan_cell *cell = &cells[(size_t)p * S + s];
            if (!cell->evaluated)
                continue;
            const struct sim_result *r = &c->res[p]->runs[s];
            double worst = -INFINITY;
            for (int m = 0; m < SCN_SLO_COUNT_; m++)
                if (out->slo.set[m]) {
                    double e = plan_excess(plan_upper(r, o->com.reps, (enum scn_slo_metric)m),
                                           out->slo.limit[m]);
                    worst = e > worst ? e : worst;
                }
            cands[k++] = (struct plan_cand){p, s, cell->cost, NAN, worst, cell->feasible};
        }
    qsort(cands, n, sizeof *cands, cand_cmp);
    out->chosen = out->runner_up = out->closest = -1;
    for (uint32_t i = 0; i < n; i++)
        if (cands[i].feasible) {
            if (out->chosen < 0)
                out->chosen = (int)i;
            else if (out->runner_up < 0)
                out->runner_up = (int)i;
        }
    /* the front's y: the binding SLO of the chosen candidate (least
     * relative slack at its upper bound); none feasible: the SLO failing
     * worst at the closest candidate (least worst excess) */
    int pick = out->chosen;
    if (pick < 0) {
        for (uint32_t i = 0; i < n; i++)
            if (out->closest < 0 || cands[i].excess < cands[out->closest].excess)
                out->closest = (int)i;
        pick = out->closest;
    }
    out->y_metric = SCN_SLO_COUNT_;
    if (pick >= 0) {
        const struct sim_result *r = &c->res[cands[pick].point]->runs[cands[pick].strategy];
        double most = -INFINITY;
        for (int m = 0; m < SCN_SLO_COUNT_; m++)
            if (out->slo.set[m]) {
                double e = plan_excess(plan_upper(r, o->com.reps, (enum scn_slo_metric)m),
                                       out->slo.limit[m]);
                if (out->y_metric == SCN_SLO_COUNT_ || e > most) {
                    most = e;
                    out->y_metric = (enum scn_slo_metric)m;
                }
            }
    }
    for (uint32_t i = 0; i < n && out->y_metric != SCN_SLO_COUNT_; i++)
        cands[i].y = plan_upper(&c->res[cands[i].point]->runs[cands[i].strategy], o->com.reps,
                                out->y_metric);
    /* Pareto front over (cost, y), both lower is better: in cost order, a
     * candidate is on it when its y is below every cheaper one's */
    uint32_t nf = 0;
    double ymin = INFINITY;
    for (uint32_t i = 0; i < n; i++)
        if (isfinite(cands[i].cost) && isfinite(cands[i].y) && cands[i].y < ymin) {
            front[nf++] = cands[i];
            ymin = cands[i].y;
        }
    out->cands = cands;
    out->n_cands = n;
    out->front = front;
    out->n_front = nf;
    int rc = out->chosen >= 0 ? CLI_EXIT_OK : CLI_EXIT_SLO;
    if (o->com.json)
        plan_print_json(stdout, out);
    else
        plan_print_text(stdout, out);
    if (o->com.out_dir != NULL) {
        int orc = plan_write_outdir(o->com.out_dir, out);
        if (orc != 0)
            rc = orc;
        else if (!o->com.json)
            printf("\nwrote %s/plan.json and %s/pareto.png\n", o->com.out_dir, o->com.out_dir);
    }
    free(cands);
    free(front);
    return rc;
}

static int run_plan(struct plan_opts *o, const struct route_registry *reg)
{
    char err[CLI_ERRLEN];
    /* Load once with every override and the first value of every axis:
     * bad paths and values are reported before anything runs. */
    uint32_t nb = o->com.n_sets + o->n_slo;
    struct scn_set probe[CLI_SET_MAX + PLAN_MAX_AXES];
    memcpy(probe, o->com.sets, nb * sizeof *probe);
    for (uint32_t a = 0; a < o->n_axes; a++)
        probe[nb + a] = (struct scn_set){o->axes[a].path, o->axes[a].values[0], "--vary"};
    struct scenario scn;
    if (scn_load_set(o->scn_path, reg, probe, nb + o->n_axes, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim plan: %s\n", err);
        return cli_exit_of(err);
    }
    struct plan_outcome out;
    memset(&out, 0, sizeof out);
    if (scn_fingerprint(&scn, probe, nb, out.fingerprint, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim plan: %s\n", err);
        scn_free(&scn);
        return cli_exit_of(err);
    }
    out.slo = scn.slo;
    bool any = false;
    for (int m = 0; m < SCN_SLO_COUNT_; m++)
        any |= scn.slo.set[m];
    uint32_t S = scnopts_strategy_count(&o->com, &scn);
    char name[SCN_NAME_MAX];
    snprintf(name, sizeof name, "%s", scn.name);
    uint64_t seed = o->com.seed_set ? o->com.seed : scn.seed;
    scn_free(&scn);
    if (!any) {
        fprintf(stderr,
                "lbsim plan: %s: found no SLO, expected a slo: section in the scenario or "
                "--slo METRIC=LIMIT (e.g. --slo ttft_p99=1.5s)\n",
                o->scn_path);
        return CLI_EXIT_USAGE;
    }
    struct plan_space sp = {.n_axes = o->n_axes, .bisect = -1, .n_strategies = S};
    for (uint32_t a = 0; a < o->n_axes; a++) {
        sp.n[a] = o->axes[a].n;
        out.monotone[a] = axis_monotone(&o->axes[a]);
        /* bisect the monotone axis with the most values (ties: the first) */
        if (out.monotone[a] && !o->exhaustive && o->minimize == SCN_SLO_COST_PER_1K &&
            (sp.bisect < 0 || o->axes[a].n > sp.n[sp.bisect]))
            sp.bisect = (int)a;
    }
    uint32_t np = plan_points(&sp);
    if (np > PLAN_MAX_POINTS) {
        fprintf(stderr,
                "lbsim plan: found a grid of more than %u points, expected at most %u: "
                "fewer --vary values\n",
                PLAN_MAX_POINTS, PLAN_MAX_POINTS);
        return CLI_EXIT_USAGE;
    }
    struct plan_ctx c = {
        .o = o,
        .exp = {.scenario = o->scn_path,
                .reg = reg,
                .base = o->com.sets,
                .n_base = nb,
                .names = o->com.names,
                .n_names = o->com.n_names,
                .seed_set = o->com.seed_set,
                .seed = o->com.seed,
                .reps = o->com.reps,
                .ref = o->com.reps > 1 ? 0 : -1,
                .threads = (int)o->com.threads},
        .S = S,
        .tty = isatty(STDERR_FILENO) != 0,
    };
    if (c.tty) {
        c.exp.progress = progress;
        c.exp.progress_ctx = &c;
    }
    for (uint32_t a = o->n_axes, st = 1; a-- > 0;) {
        c.stride[a] = st;
        st *= o->axes[a].n;
    }
    c.res = calloc(np, sizeof *c.res);
    struct plan_cell *cells = calloc((size_t)np * S, sizeof *cells);
    int rc;
    if (c.res == NULL || cells == NULL) {
        fprintf(stderr, "lbsim plan: out of memory\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    double t0 = wall_seconds();
    bool oom;
    if (plan_search(&sp, evaluate, &c, cells, &out.st, &oom) != 0) {
        if (oom)
            fprintf(stderr, "lbsim plan: out of memory\n");
        rc = oom ? CLI_EXIT_INTERNAL : c.rc;
        goto done;
    }
    out.wall_s = wall_seconds() - t0;
    if (c.tty)
        fputc('\n', stderr);
    out.scn_name = name;
    out.seed = seed;
    out.reps = o->com.reps;
    out.axes = o->axes;
    out.n_axes = o->n_axes;
    memcpy(out.stride, c.stride, sizeof c.stride);
    out.bisect = sp.bisect;
    out.minimize = o->minimize;
    out.n_strategies = S;
    out.grid_points = np;
    out.res = c.res;
    fprintf(stderr,
            "lbsim plan: evaluated %u of %u candidates (points x strategies) in %u round(s), "
            "%.3f s wall\n",
            out.st.points * S, np * S, out.st.rounds, out.wall_s);
    rc = conclude(&c, &out, cells);
done:
    for (uint32_t p = 0; c.res != NULL && p < np; p++)
        if (c.res[p] != NULL) {
            sim_exp_result_free(c.res[p]);
            free(c.res[p]);
        }
    free(c.res);
    free(cells);
    return rc;
}

int cmd_plan(int argc, char **argv)
{
    struct cli_plugins pl;
    int rc = scnopts_load_plugins(&pl, &plan_spec, argc, argv);
    if (rc != 0)
        return rc;
    struct plan_opts *o = calloc(1, sizeof *o);
    if (o == NULL) {
        cli_plugins_free(&pl);
        fprintf(stderr, "lbsim plan: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    scnopts_init(&o->com, PLAN_DEFAULT_REPS);
    o->minimize = SCN_SLO_COST_PER_1K;
    rc = parse_plan(argc, argv, o);
    if (rc < 0)
        rc = run_plan(o, &pl.reg);
    free_opts(o);
    free(o);
    cli_plugins_free(&pl); /* after every router and scenario is gone */
    return rc;
}
