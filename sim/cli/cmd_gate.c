/*
 * cmd_gate.c - `lbsim gate BASELINE CANDIDATE` and `lbsim gate SCENARIO
 * --against REV`: fail a CI job when a routing-config change makes p99
 * TTFT, 429s, errors or cost worse than its budget allows.
 *
 * Both scenarios run every gated strategy on the same R replication seeds
 * (sim_rep_seed: common random numbers), all trials in one pool
 * (sim_trials), in chunks of whole strategy pairs so memory stays bounded;
 * gate.c turns the paired differences into verdicts and gate_out.c into
 * the table, Markdown, JUnit XML and JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "experiment.h"
#include "gate.h"
#include "gate_git.h"
#include "outdir.h"
#include "report.h"
#include "replicate.h"
#include "scnopts.h"
#include "sim.h"

static const char *const usage_gate =
    "usage: lbsim gate BASELINE CANDIDATE [options]\n"
    "       lbsim gate SCENARIO --against REV [options]\n"
    "\n"
    "Runs both scenarios on the same traffic and the same R seeds (common random\n"
    "numbers), pairs each candidate strategy with the baseline strategy of the\n"
    "same label (or the single router of each), and fails when a metric got worse\n"
    "than its budget: regression when the whole 95% interval of the paired\n"
    "difference (candidate - baseline) lies beyond the budget, unsure when the\n"
    "interval contains it.\n"
    "\n"
    "  --against REV       the baseline is SCENARIO as committed at git revision\n"
    "                      REV (e.g. origin/main); traces come from the work tree\n"
    "  --budget M=DELTA    allowed worsening of metric M (repeatable): +5% of the\n"
    "                      baseline, +0.1pp for rates, +200ms, +$0.05.  Defaults:\n"
    "                      ttft_p99=+5% client_429_rate=+0.1pp error_rate=+0.1pp\n"
    "                      cost_per_1k_requests=+2%; others: ttft_p50, ttft_p90,\n"
    "                      ttft_p95, e2e_p99, upstream_429_rate, completion_rate\n"
    "  --replications R    paired replications, 2..10000 (default 10)\n"
    "  --unsure pass|fail  what an unsure verdict does to the exit status (fail)\n"
    "  --set PATH=VALUE    override a value of both scenarios (repeatable)\n"
    "  --seed N            base seed (default: the baseline scenario's seed:)\n"
    "  --threads N         OpenMP threads (default: all cores)\n"
    "  --junit FILE        JUnit XML: one testcase per strategy x metric\n"
    "  --markdown FILE     Markdown: verdict, table, how to reproduce\n"
    "  --json              print the JSON report instead of the table\n"
    "  --out DIR           write gate.json, gate.md and junit.xml into DIR\n"
    "  --plugin PATH       load strategies from a shared object (repeatable)\n"
    "\n"
    "exit status: 0 pass, 1 a regression (or unsure), 2 bad usage or bad input,\n"
    "3 internal error.  See docs/gate.md.\n";

#define MAX_BUDGETS SCN_SLO_COUNT_
#define REPRO_MAX   8192

/* --replications is gate's own: at least two pairs for an interval. */
enum {
    OPT_AGAINST = SCNOPTS_ID_END_,
    OPT_BUDGET,
    OPT_REPS,
    OPT_UNSURE,
    OPT_JUNIT,
    OPT_MARKDOWN,
};

static const struct args_opt gate_options[] = {
    {"--against", NULL, ARGS_VALUE, OPT_AGAINST},
    {"--budget", NULL, ARGS_VALUE, OPT_BUDGET},
    {"--replications", NULL, ARGS_VALUE, OPT_REPS},
    {"--unsure", NULL, ARGS_VALUE, OPT_UNSURE},
    {"--set", NULL, ARGS_VALUE, SCNOPTS_SET},
    {"--seed", NULL, ARGS_VALUE, SCNOPTS_SEED},
    {"--threads", NULL, ARGS_VALUE, SCNOPTS_THREADS},
    {"--junit", NULL, ARGS_VALUE, OPT_JUNIT},
    {"--markdown", NULL, ARGS_VALUE, OPT_MARKDOWN},
    {"--json", NULL, ARGS_FLAG, SCNOPTS_JSON},
    {"--out", NULL, ARGS_VALUE, SCNOPTS_OUT},
    {"--plugin", NULL, ARGS_VALUE, SCNOPTS_PLUGIN},
};

static const struct args_spec gate_spec = {
    .who = "lbsim gate",
    .usage = usage_gate,
    .opts = gate_options,
    .n_opts = ARGS_COUNT(gate_options),
};

struct gate_opts {
    const char *paths[2];
    uint32_t n_paths;
    const char *against, *junit, *markdown;
    struct gate_budget budgets[MAX_BUDGETS];
    uint32_t n_budgets;
    bool unsure_pass;
    struct scnopts com; /* --plugin is loaded by cmd_gate */
};

/* -1 = go on, else the exit status (0 after --help). */
static int parse_gate(int argc, char **argv, struct gate_opts *o)
{
    char err[CLI_ERRLEN];
    memset(o, 0, sizeof *o);
    scnopts_init(&o->com, GATE_DEFAULT_REPS);
    o->n_budgets = gate_default_budgets(o->budgets);
    struct args a;
    args_init(&a, &gate_spec, argc, argv, 2);
    enum args_tok t;
    int rc;
    while ((rc = scnopts_next(&o->com, &a, &t)) == SCNOPTS_MORE && t != ARGS_END) {
        if (t == ARGS_OPERAND) {
            if (o->n_paths == 2)
                return args_usage_error(
                    &gate_spec, "unexpected argument '%s' (BASELINE and CANDIDATE only)", a.arg);
            o->paths[o->n_paths++] = a.value;
            continue;
        }
        const char *v = a.value;
        switch (a.opt->id) {
        case OPT_AGAINST:
            o->against = v;
            break;
        case OPT_BUDGET: {
            struct gate_budget b;
            if (gate_budget_parse(v, &b, err, sizeof err) != 0)
                return args_usage_error(&gate_spec, "%s", err);
            gate_budget_put(o->budgets, &o->n_budgets, &b);
            break;
        }
        case OPT_REPS:
            if (rep_parse_count(v, &o->com.reps) != 0 || o->com.reps < 2)
                return args_usage_error(&gate_spec,
                                        "--replications: found '%s', expected an integer in "
                                        "2..10000 (an interval needs two pairs)",
                                        v);
            break;
        case OPT_UNSURE:
            if (strcmp(v, "pass") != 0 && strcmp(v, "fail") != 0)
                return args_usage_error(&gate_spec, "--unsure: found '%s', expected pass or fail",
                                        v);
            o->unsure_pass = strcmp(v, "pass") == 0;
            break;
        case OPT_JUNIT:
            o->junit = v;
            break;
        case OPT_MARKDOWN:
            o->markdown = v;
            break;
        default:
            break;
        }
    }
    if (rc != SCNOPTS_MORE)
        return rc;
    if (o->against != NULL && o->n_paths != 1)
        return args_usage_error(&gate_spec, "%s",
                                o->n_paths == 0 ? "missing SCENARIO"
                                                : "--against takes one SCENARIO (the candidate)");
    if (o->against == NULL && o->n_paths != 2)
        return args_usage_error(&gate_spec, "%s",
                                "expected BASELINE CANDIDATE, or SCENARIO --against REV");
    return -1;
}

/* The command line, shell-quoted, for "reproduce locally". */
static void repro_line(int argc, char **argv, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && k + 4 < len; i++) {
        const char *s = argv[i];
        bool plain = *s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-_./=+:,%@^") == strlen(s);
        if (i > 0)
            buf[k++] = ' ';
        if (plain) {
            k += (size_t)snprintf(buf + k, len - k, "%s", s);
        } else {
            buf[k++] = '\'';
            for (; *s && k + 6 < len; s++) {
                if (*s == '\'') {
                    memcpy(buf + k, "'\\''", 4);
                    k += 4;
                } else {
                    buf[k++] = *s;
                }
            }
            buf[k++] = '\'';
        }
        if (k >= len)
            k = len - 1;
        buf[k] = '\0';
    }
}

typedef void (*gate_writer)(FILE *, const struct gate_report *);

/* One report file: 0, or CLI_EXIT_INTERNAL after printing the failed
 * write (outdir_close checks ferror and fclose). */
static int write_file(const char *path, gate_writer w, const struct gate_report *g)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "lbsim: cannot write %s: %s\n", path, strerror(errno));
        return CLI_EXIT_INTERNAL;
    }
    w(f, g);
    return outdir_close(f, path);
}

/* --junit FILE, --markdown FILE: written to FILE.tmp-PID and renamed over
 * FILE, so a reader never sees half a report (docs/outputs.md). */
static int write_file_atomic(const char *path, gate_writer w, const struct gate_report *g)
{
    char tmp[SCN_PATH_MAX + 32];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "lbsim: %s: path too long\n", path);
        return CLI_EXIT_USAGE;
    }
    int rc = write_file(tmp, w, g);
    if (rc == 0 && rename(tmp, path) != 0) {
        fprintf(stderr, "lbsim: cannot write %s: %s\n", path, strerror(errno));
        rc = CLI_EXIT_INTERNAL;
    }
    if (rc != 0)
        unlink(tmp);
    return rc;
}

static const struct {
    const char *name;
    gate_writer w;
} dir_files[] = {{"gate.json", gate_write_json},
                 {"gate.md", gate_write_markdown},
                 {"junit.xml", gate_write_junit}};

/* --out DIR: its files into a transaction's temporary directory, renamed
 * over DIR at the end (docs/outputs.md). */
static int write_dir(const char *dir, const struct gate_report *g)
{
    struct outdir_tx tx;
    int rc = outdir_begin(&tx, dir);
    if (rc != 0)
        return rc;
    char path[sizeof tx.tmp + 32];
    for (size_t i = 0; rc == 0 && i < sizeof dir_files / sizeof dir_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tx.tmp, dir_files[i].name);
        rc = write_file(path, dir_files[i].w, g);
    }
    return outdir_commit(&tx, rc);
}

static int write_reports(const struct gate_opts *o, const struct gate_report *g)
{
    int rc = 0;
    if (o->com.json)
        gate_write_json(stdout, g);
    else
        gate_write_table(stdout, g);
    if (o->junit != NULL && (rc = write_file_atomic(o->junit, gate_write_junit, g)) != 0)
        return rc;
    if (o->markdown != NULL && (rc = write_file_atomic(o->markdown, gate_write_markdown, g)) != 0)
        return rc;
    if (o->com.out_dir != NULL)
        return write_dir(o->com.out_dir, g);
    return 0;
}

/* Load one side: the scenario with the --set overrides, fingerprinted. */
static int load_side(const char *path, const char *label, const struct gate_opts *o,
                     const struct route_registry *reg, struct scenario *s, struct gate_side *side)
{
    char err[CLI_ERRLEN];
    if (scn_load_set(path, reg, o->com.sets, o->com.n_sets, s, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        if (strcmp(path, label) != 0)
            fprintf(stderr, "lbsim: (that is %s, read from git into %s)\n", label, path);
        return cli_exit_of(err);
    }
    if (scn_fingerprint(s, o->com.sets, o->com.n_sets, side->fingerprint, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        scn_free(s);
        return cli_exit_of(err);
    }
    side->label = label;
    side->name = s->name;
    return 0;
}

/* Run the pairs' trials, chunk by chunk, and compare them.  *no_data is
 * set when a trial measured no request: a comparison of empty runs says
 * nothing, so the gate fails (after its reports are written). */
static int run_pairs(const struct gate_opts *o, const struct scenario *sb,
                     const struct scenario *sc, const struct scn_strategy *const (*pairs)[2],
                     uint32_t n_pairs, const uint64_t *seeds, struct gate_pair *out, bool *no_data)
{
    uint32_t R = o->com.reps, per_pair = 2 * R;
    uint32_t chunk = SIM_EXP_CHUNK_TRIALS / per_pair;
    if (chunk == 0)
        chunk = 1;
    uint32_t cap = chunk * per_pair;
    struct sim_trial *t = calloc(cap, sizeof *t);
    struct sim_result *res = calloc(cap, sizeof *res);
    int *rcs = calloc(cap, sizeof *rcs);
    char *errs = calloc(cap, CLI_ERRLEN);
    int rc = 0;
    if (t == NULL || res == NULL || rcs == NULL || errs == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    for (uint32_t p0 = 0; p0 < n_pairs && rc == 0; p0 += chunk) {
        uint32_t np = n_pairs - p0 < chunk ? n_pairs - p0 : chunk, n = np * per_pair;
        for (uint32_t p = 0; p < np; p++)
            for (uint32_t r = 0; r < R; r++) {
                t[p * per_pair + r] = (struct sim_trial){sb, pairs[p0 + p][0], seeds[r]};
                t[p * per_pair + R + r] = (struct sim_trial){sc, pairs[p0 + p][1], seeds[r]};
            }
        memset(res, 0, n * sizeof *res);
        if (sim_trials(t, n, (int)o->com.threads, res, rcs, errs, CLI_ERRLEN) != 0) {
            for (uint32_t i = 0; i < n; i++)
                if (rcs[i] != 0) {
                    fprintf(stderr, "lbsim: %s (%s): %s\n", t[i].strategy->label,
                            i % per_pair < R ? "baseline" : "candidate",
                            errs + (size_t)i * CLI_ERRLEN);
                    rc = cli_exit_of(errs + (size_t)i * CLI_ERRLEN);
                    break;
                }
        }
        for (uint32_t i = 0; i < n && rc == 0; i++)
            if (res[i].no_data && !*no_data) {
                *no_data = true;
                fprintf(stderr, "lbsim: gate: %s (%s): ", t[i].strategy->label,
                        i % per_pair < R ? "baseline" : "candidate");
                report_no_data(stderr, t[i].scn, &res[i]);
            }
        for (uint32_t p = 0; p < np && rc == 0; p++) {
            struct gate_pair *gp = &out[p0 + p];
            const struct sim_result *rb = &res[p * per_pair], *rc_ = &res[p * per_pair + R];
            gp->verdict = GATE_PASS;
            gp->n_cmp = o->n_budgets;
            for (uint32_t k = 0; k < o->n_budgets; k++) {
                gate_compare(rb, rc_, R, &o->budgets[k], &gp->cmp[k]);
                if (gp->cmp[k].verdict > gp->verdict)
                    gp->verdict = gp->cmp[k].verdict;
            }
        }
        for (uint32_t i = 0; i < n; i++)
            if (rcs[i] == 0)
                sim_result_free(&res[i]);
    }
done:
    free(t);
    free(res);
    free(rcs);
    free(errs);
    return rc;
}

static int run_gate(int argc, char **argv, const struct gate_opts *o,
                    const struct route_registry *reg)
{
    struct scenario sb, sc;
    struct gate_report g;
    memset(&g, 0, sizeof g);
    char tmp[SCN_PATH_MAX + 64] = "", base_label[SCN_PATH_MAX + 300];
    const char *cand_path = o->against ? o->paths[0] : o->paths[1];
    const char *base_path = o->paths[0];
    int rc;
    if (o->against != NULL) {
        if ((rc = gate_git_baseline(cand_path, o->against, tmp, sizeof tmp)) != 0)
            return rc;
        base_path = tmp;
        snprintf(base_label, sizeof base_label, "%s:%s", o->against, cand_path);
    } else {
        snprintf(base_label, sizeof base_label, "%s", base_path);
    }
    rc = load_side(base_path, base_label, o, reg, &sb, &g.base);
    if (tmp[0] != '\0')
        unlink(tmp); /* loaded and fingerprinted: the trials never reopen it */
    if (rc != 0)
        return rc;
    if ((rc = load_side(cand_path, cand_path, o, reg, &sc, &g.cand)) != 0) {
        scn_free(&sb);
        return rc;
    }

    const struct scn_strategy *lb, *lc;
    uint32_t nb, nc, n_pairs = 0;
    scnopts_scenario_strategies(&sb, &lb, &nb);
    scnopts_scenario_strategies(&sc, &lc, &nc);
    const struct scn_strategy *(*pairs)[2] = calloc(nc, sizeof *pairs);
    const char **skipped = calloc(nc, sizeof *skipped);
    struct gate_pair *gp = calloc(nc, sizeof *gp);
    uint64_t *seeds = calloc(o->com.reps, sizeof *seeds);
    char *repro = malloc(REPRO_MAX);
    if (pairs == NULL || skipped == NULL || gp == NULL || seeds == NULL || repro == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    if (nb == 1 && nc == 1) { /* the single router of each, whatever their labels */
        pairs[0][0] = &lb[0];
        pairs[0][1] = &lc[0];
        n_pairs = 1;
    } else {
        for (uint32_t i = 0; i < nc; i++) {
            uint32_t j = 0;
            while (j < nb && strncmp(lb[j].label, lc[i].label, SCN_NAME_MAX) != 0)
                j++;
            if (j == nb) {
                skipped[g.n_skipped++] = lc[i].label;
                continue;
            }
            pairs[n_pairs][0] = &lb[j];
            pairs[n_pairs][1] = &lc[i];
            n_pairs++;
        }
    }
    if (n_pairs == 0) {
        fprintf(stderr,
                "lbsim: gate: no strategy of the candidate (%s) has a baseline strategy "
                "of the same label (%s): nothing to compare\n",
                g.cand.label, g.base.label);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    for (uint32_t i = 0; i < g.n_skipped; i++)
        fprintf(stderr,
                "lbsim: gate: candidate strategy '%s' has no baseline strategy of that "
                "label: not gated\n",
                skipped[i]);
    g.seed = o->com.seed_set ? o->com.seed : sb.seed;
    if (!o->com.seed_set && sc.seed != sb.seed)
        fprintf(stderr,
                "lbsim: gate: the candidate's seed %llu differs from the baseline's; "
                "both run on the baseline's seeds (%llu) so the comparison is paired\n",
                (unsigned long long)sc.seed, (unsigned long long)sb.seed);
    for (uint32_t r = 0; r < o->com.reps; r++)
        seeds[r] = sim_rep_seed(g.seed, r);
    bool no_data = false;
    if ((rc = run_pairs(o, &sb, &sc, (const struct scn_strategy *const(*)[2])pairs, n_pairs, seeds,
                        gp, &no_data)) != 0)
        goto done;
    for (uint32_t p = 0; p < n_pairs; p++) {
        snprintf(gp[p].strategy, sizeof gp[p].strategy, "%s", pairs[p][1]->label);
        snprintf(gp[p].base_strategy, sizeof gp[p].base_strategy, "%s", pairs[p][0]->label);
        if (gp[p].verdict > g.verdict)
            g.verdict = gp[p].verdict;
    }
    repro_line(argc, argv, repro, REPRO_MAX);
    g.version = LBSIM_VERSION;
    g.reps = o->com.reps;
    g.seeds = seeds;
    g.unsure_pass = o->unsure_pass;
    g.pairs = gp;
    g.n_pairs = n_pairs;
    g.skipped = skipped;
    g.repro = repro;
    if ((rc = write_reports(o, &g)) == 0)
        rc = gate_failed(&g) || no_data ? CLI_EXIT_SLO : CLI_EXIT_OK;
done:
    free(pairs);
    free(skipped);
    free(gp);
    free(seeds);
    free(repro);
    scn_free(&sc);
    scn_free(&sb);
    return rc;
}

int cmd_gate(int argc, char **argv)
{
    struct cli_plugins pl;
    int rc = scnopts_load_plugins(&pl, &gate_spec, argc, argv);
    if (rc != 0)
        return rc;
    struct gate_opts *o = malloc(sizeof *o);
    if (o == NULL) {
        cli_plugins_free(&pl);
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    rc = parse_gate(argc, argv, o);
    if (rc < 0)
        rc = run_gate(argc, argv, o, &pl.reg);
    free(o);
    cli_plugins_free(&pl);
    return rc;
}
