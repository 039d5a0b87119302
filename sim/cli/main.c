/*
 * main.c - the lbsim command line: parse, run, write.
 *
 * The only place that prints, exits, reads the wall clock, creates
 * directories or runs gnuplot.  Exit codes: 0 success, 1 an SLO missed,
 * 2 bad usage or bad input, 3 an internal failure (out of memory).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "plugin.h"
#include "cmd_trace.h"
#include "report.h"
#include "sim.h"

#define EXIT_SLO       1
#define EXIT_USAGE     2
#define EXIT_INTERNAL  3
#define ERRLEN         1024
#define MAX_STRATEGIES 64
#define MAX_PLOTS      16

static const char *const usage_main =
    "usage: lbsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO     replay a scenario under one or more routing strategies\n"
    "  strategies       list the routing strategies with their parameters\n"
    "  models [FILTER]  list the price catalog (prices, context windows)\n"
    "  trace ...        inspect (info), convert or synthesise (synth) traffic traces\n"
    "\n"
    "lbsim <command> --help for the options of a command.  lbsim --version.\n";

static const char *const usage_run =
    "usage: lbsim run SCENARIO [--strategy NAME]... [--plugin PATH.so]...\n"
    "                 [--seed N] [--threads N] [--out DIR] [--json]\n"
    "\n"
    "Replays the scenario's traffic against its backends under each strategy\n"
    "(the --strategy flags, else the scenario's compare: list, else its\n"
    "router.strategy), all on the same traffic and random draws.\n"
    "\n"
    "  --strategy NAME  run this strategy (repeatable; default parameters)\n"
    "  --plugin PATH    load strategies from a shared object before the scenario\n"
    "                   (repeatable; see examples/plugin/README.md)\n"
    "  --seed N         override the scenario's seed\n"
    "  --threads N      OpenMP threads for the runs (default: all cores)\n"
    "  --out DIR        write summary.json, timeseries.csv and plots to DIR\n"
    "  --json           print the summary JSON on stdout instead of the table\n"
    "\n"
    "exit status: 0 ok, 1 an SLO in the scenario's slo: was missed by a run,\n"
    "2 bad usage or bad input, 3 internal error.\n";

static const char *const usage_strategies =
    "usage: lbsim strategies [--plugin PATH.so]...\n"
    "\n"
    "Lists every routing strategy of route/ with its source and parameters\n"
    "(name, default, accepted range), then those of the plugins given with\n"
    "--plugin, marked (plugin PATH).  Set parameters in a scenario under\n"
    "router.params or in a compare: entry.\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "lbsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Load the --plugin paths into *pl (initialised here).  0, or exit status 2
 * after printing the error (pl is then empty). */
static int load_plugins(struct cli_plugins *pl, const char *const *paths, uint32_t n)
{
    char err[ERRLEN];
    cli_plugins_init(pl);
    for (uint32_t i = 0; i < n; i++) {
        if (cli_plugins_load(pl, paths[i], err, sizeof err) != 0) {
            fprintf(stderr, "lbsim: %s\n", err);
            cli_plugins_free(pl);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* Plugin strings are not ours: print "" for a NULL one. */
static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static void print_strategy(const struct route_ops *o, const char *plugin)
{
    if (plugin != NULL)
        printf("%s (plugin %s)\n", o->name, plugin);
    else
        printf("%s\n", o->name);
    printf("    %s\n    source: %s\n", str_or_empty(o->summary), str_or_empty(o->source));
    if (o->n_params == 0)
        printf("    parameters: none\n");
    for (uint32_t p = 0; p < o->n_params; p++) {
        const struct route_param *rp = &o->params[p];
        const char *unit = str_or_empty(rp->unit);
        printf("    %-18s default %-8g [%g, %g] %s%s%s\n", rp->name, rp->def, rp->min, rp->max,
               unit, unit[0] ? "  " : "", str_or_empty(rp->doc));
    }
    printf("\n");
}

static int cmd_strategies(int argc, char **argv)
{
    const char *plugin_paths[CLI_PLUGIN_MAX];
    uint32_t n_plugins = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_strategies, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--plugin") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_strategies, "option '%s' needs a value", argv[i]);
            if (n_plugins == CLI_PLUGIN_MAX)
                return usage_error(usage_strategies, "too many --plugin options (at most %s)",
                                   "32");
            plugin_paths[n_plugins++] = argv[++i];
            continue;
        }
        return usage_error(usage_strategies, "unknown argument '%s'", argv[i]);
    }
    struct cli_plugins pl;
    int rc = load_plugins(&pl, plugin_paths, n_plugins);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < route_registry_count(); i++)
        print_strategy(route_registry_at(i), NULL);
    for (uint32_t i = 0; i < pl.n_ops; i++)
        print_strategy(pl.ops[i], cli_plugins_path_of(&pl, pl.ops[i]));
    cli_plugins_free(&pl);
    return 0;
}

static const char *const usage_models =
    "usage: lbsim models [FILTER]\n"
    "\n"
    "Lists the price catalog (models/catalog/README.md): provider, model id,\n"
    "USD per 1M input, cached input and output tokens, context window.  A\n"
    "scenario backend's model: naming one (id, alias or provider/model) gets\n"
    "these prices and context window unless it sets its own.  FILTER keeps\n"
    "the models whose provider/id or an alias contains it (case-sensitive).\n";

static bool catalog_matches(const struct catalog_entry *e, const char *filter)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", e->provider, e->id);
    if (filter == NULL || strstr(full, filter) != NULL)
        return true;
    for (uint32_t k = 0; k < e->n_aliases; k++)
        if (strstr(e->aliases[k], filter) != NULL)
            return true;
    return false;
}

static int cmd_models(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_models, stdout);
            return 0;
        }
        if (argv[i][0] == '-' || filter != NULL)
            return usage_error(usage_models, "unexpected argument '%s'", argv[i]);
        filter = argv[i];
    }
    size_t shown = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        if (!catalog_matches(e, filter))
            continue;
        if (shown++ == 0)
            printf("%-10s %-46s %9s %9s %9s %9s\n", "provider", "model", "input", "cached",
                   "output", "context");
        char ctx[32] = "-";
        if (e->context_window > 0)
            snprintf(ctx, sizeof ctx, "%lld", (long long)e->context_window);
        printf("%-10s %-46s %9.4g %9.4g %9.4g %9s%s%s\n", e->provider, e->id, e->input_usd_per_mtok,
               e->cached_input_usd_per_mtok, e->output_usd_per_mtok, ctx,
               (e->flags & CATALOG_TIERED) ? "  tiered: base price" : "",
               (e->flags & CATALOG_TIME_OF_DAY) ? "  standard hours" : "");
    }
    if (shown == 0) {
        fprintf(stderr, "lbsim: no catalog model matches '%s'\n", filter ? filter : "");
        return EXIT_USAGE;
    }
    printf("USD per 1M tokens; source %s (MIT)\n", catalog_source());
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[SCN_PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -1;
            buf[i] = c;
        }
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return 0;
    char buf[SCN_PATH_MAX];
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len > 0 && len + strlen(prog) + 2 < sizeof buf) {
            memcpy(buf, path, len);
            buf[len] = '/';
            strcpy(buf + len + 1, prog);
            if (access(buf, X_OK) == 0)
                return 1;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return 0;
}

/* Run `gnuplot NAME.gp` inside dir.  0 on success. */
static int run_gnuplot(const char *dir, const char *name)
{
    char script[SCN_PATH_MAX];
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

static int write_outputs(const char *dir, const struct scenario *scn, uint64_t seed,
                         const struct sim_result *res, uint32_t n)
{
    char path[SCN_PATH_MAX + 32];
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "lbsim: cannot create output directory '%s': %s\n", dir, strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "lbsim: cannot write '%s': %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    report_json(f, scn, seed, res, n);
    if (fclose(f) != 0) {
        fprintf(stderr, "lbsim: cannot write '%s': %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "lbsim: cannot write '%s': %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    report_timeseries_csv(f, res, n);
    if (fclose(f) != 0) {
        fprintf(stderr, "lbsim: cannot write '%s': %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    const char *names[MAX_PLOTS];
    char err[ERRLEN] = "";
    int np = report_plots(dir, res, n, names, MAX_PLOTS, err, sizeof err);
    if (np < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return EXIT_USAGE;
    }
    if (!on_path("gnuplot")) {
        fprintf(stderr,
                "lbsim: gnuplot not found: wrote the plot data and scripts (.dat, .gp) "
                "to %s; install gnuplot-nox to render them\n",
                dir);
        return 0;
    }
    for (int i = 0; i < np; i++)
        if (run_gnuplot(dir, names[i]) != 0)
            fprintf(stderr, "lbsim: gnuplot failed on %s/%s.gp\n", dir, names[i]);
    return 0;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_scenario(int argc, char **argv, const struct route_registry *reg);

/* `lbsim run`: load the --plugin objects first (the scenario may name
 * their strategies), run, then unload them. */
static int cmd_run(int argc, char **argv)
{
    const char *plugin_paths[CLI_PLUGIN_MAX];
    uint32_t n_plugins = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            break; /* run_scenario prints the usage */
        if (strcmp(argv[i], "--plugin") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_run, "option '%s' needs a value", argv[i]);
            if (n_plugins == CLI_PLUGIN_MAX)
                return usage_error(usage_run, "too many --plugin options (at most %s)", "32");
            plugin_paths[n_plugins++] = argv[++i];
        } else if (strcmp(argv[i], "--strategy") == 0 || strcmp(argv[i], "--seed") == 0 ||
                   strcmp(argv[i], "--threads") == 0 || strcmp(argv[i], "--out") == 0) {
            i++; /* skip the value (run_scenario checks it) */
        }
    }
    struct cli_plugins pl;
    int rc = load_plugins(&pl, plugin_paths, n_plugins);
    if (rc != 0)
        return rc;
    rc = run_scenario(argc, argv, &pl.reg);
    cli_plugins_free(&pl); /* after every router and scenario is gone */
    return rc;
}

static int run_scenario(int argc, char **argv, const struct route_registry *reg)
{
    const char *scn_path = NULL, *out_dir = NULL;
    const char *names[MAX_STRATEGIES];
    uint32_t n_names = 0;
    uint64_t seed = 0, threads = 0;
    int seed_set = 0, json = 0;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_run, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--plugin") == 0) {
            i++; /* loaded by cmd_run */
        } else if (strcmp(a, "--strategy") == 0 || strcmp(a, "--seed") == 0 ||
                   strcmp(a, "--threads") == 0 || strcmp(a, "--out") == 0) {
            if (i + 1 >= argc)
                return usage_error(usage_run, "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--strategy") == 0) {
                if (n_names == MAX_STRATEGIES)
                    return usage_error(usage_run, "too many --strategy options (at most %s)", "64");
                names[n_names++] = v;
            } else if (strcmp(a, "--seed") == 0) {
                if (parse_u64(v, &seed) != 0)
                    return usage_error(usage_run,
                                       "--seed: found '%s', expected a non-negative integer", v);
                seed_set = 1;
            } else if (strcmp(a, "--threads") == 0) {
                if (parse_u64(v, &threads) != 0 || threads == 0 || threads > 1024)
                    return usage_error(usage_run,
                                       "--threads: found '%s', expected an integer in 1..1024", v);
            } else {
                out_dir = v;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(usage_run, "unknown option '%s'", a);
        } else if (scn_path == NULL) {
            scn_path = a;
        } else {
            return usage_error(usage_run, "unexpected argument '%s' (one scenario per run)", a);
        }
    }
    if (scn_path == NULL)
        return usage_error(usage_run, "%s", "missing SCENARIO");

    char err[ERRLEN];
    struct scenario scn;
    if (scn_load_ex(scn_path, reg, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return EXIT_USAGE;
    }
    if (!seed_set)
        seed = scn.seed;

    struct scn_strategy *strats;
    uint32_t n;
    int rc = 0;
    if (n_names > 0) {
        n = n_names;
        strats = calloc(n, sizeof *strats);
        if (strats == NULL) {
            scn_free(&scn);
            fprintf(stderr, "lbsim: out of memory\n");
            return EXIT_INTERNAL;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (scn_strategy_by_name_ex(reg, names[i], &strats[i], err, sizeof err) != 0) {
                fprintf(stderr, "lbsim: --strategy: %s\n", err);
                free(strats);
                scn_free(&scn);
                return EXIT_USAGE;
            }
        }
    } else {
        n = scn.n_compare > 0 ? scn.n_compare : 1;
        strats = calloc(n, sizeof *strats);
        if (strats == NULL) {
            scn_free(&scn);
            fprintf(stderr, "lbsim: out of memory\n");
            return EXIT_INTERNAL;
        }
        if (scn.n_compare > 0)
            memcpy(strats, scn.compare, n * sizeof *strats);
        else
            strats[0] = scn.router.strategy;
    }

    struct sim_result *res = calloc(n, sizeof *res);
    int *rcs = calloc(n, sizeof *rcs);
    char *errs = calloc(n, ERRLEN);
    if (res == NULL || rcs == NULL || errs == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        rc = EXIT_INTERNAL;
        goto done;
    }
    double t0 = wall_seconds();
    int crc = sim_compare(&scn, strats, n, seed, (int)threads, res, rcs, errs, ERRLEN);
    double wall = wall_seconds() - t0;
    if (crc != 0) {
        for (uint32_t i = 0; i < n; i++)
            if (rcs[i] != 0)
                fprintf(stderr, "lbsim: %s: %s\n", strats[i].label, errs + (size_t)i * ERRLEN);
        rc = EXIT_USAGE; /* bad trace rows and bad strategies are input errors */
        goto done;
    }
    uint64_t total = 0, events = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += res[i].requests + res[i].unmeasured;
        events += res[i].events;
    }
    if (res[0].trace_rows_skipped > 0) /* the same traffic for every run */
        fprintf(stderr, "lbsim: skipped %llu bad trace row(s) (skip_bad_rows: true)\n",
                (unsigned long long)res[0].trace_rows_skipped);
    if (json)
        report_json(stdout, &scn, seed, res, n);
    else
        report_table(stdout, &scn, seed, res, n);
    fprintf(stderr,
            "lbsim: %u run(s), %llu requests, %llu events in %.3f s wall (%.0f requests/s)\n", n,
            (unsigned long long)total, (unsigned long long)events, wall,
            wall > 0 ? (double)total / wall : 0.0);
    if (out_dir != NULL) {
        rc = write_outputs(out_dir, &scn, seed, res, n);
        if (rc != 0)
            goto done;
        if (!json)
            printf("\nwrote %s/summary.json, %s/timeseries.csv and plots\n", out_dir, out_dir);
    }
    for (uint32_t i = 0; i < n; i++)
        if (!res[i].slo_pass)
            rc = EXIT_SLO;
done:
    if (res != NULL)
        for (uint32_t i = 0; i < n; i++)
            if (rcs != NULL && rcs[i] == 0)
                sim_result_free(&res[i]);
    free(res);
    free(rcs);
    free(errs);
    free(strats);
    scn_free(&scn);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("lbsim 0.1.0 (route ABI %u)\n", ROUTE_ABI_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc, argv);
    if (strcmp(cmd, "strategies") == 0)
        return cmd_strategies(argc, argv);
    if (strcmp(cmd, "trace") == 0)
        return cli_trace(argc, argv);
    if (strcmp(cmd, "models") == 0)
        return cmd_models(argc, argv);
    return usage_error(usage_main, "unknown command '%s'", cmd);
}
