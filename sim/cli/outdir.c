/*
 * outdir.c - writing `lbsim run --out DIR` (see outdir.h): mkdir -p, the
 * output files, the gnuplot lookup on PATH and its fork/exec (the plots of
 * one directory rendered concurrently, up to one gnuplot per core).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "outdir.h"
#include "html.h"
#include "report.h"
#include "timeplots.h"

/* Plot names report_plots may return. */
#define MAX_PLOTS 32

int outdir_mkdirs(const char *path)
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

/* Whether an executable prog is in one of the PATH directories. */
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

/* Start `gnuplot NAME.gp` inside dir: its pid, or -1. */
static pid_t start_gnuplot(const char *dir, const char *name)
{
    char script[SCN_PATH_MAX];
    snprintf(script, sizeof script, "%s.gp", name);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Wait for a gnuplot start_gnuplot started: 0 if it succeeded. */
static int wait_gnuplot(pid_t pid)
{
    int status;
    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Open dir/name for writing; NULL after printing the error. */
static FILE *open_out(const char *dir, const char *name, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "lbsim: cannot write '%s': %s\n", path, strerror(errno));
    return f;
}

/* Close a file open_out opened: 0, or CLI_EXIT_USAGE after printing the
 * error. */
static int close_out(FILE *f, const char *path)
{
    if (fclose(f) != 0) {
        fprintf(stderr, "lbsim: cannot write '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int outdir_write(const char *dir, const struct scenario *scn, uint64_t seed,
                 const struct sim_result *res, uint32_t n)
{
    return outdir_write_origin(dir, NULL, scn, seed, res, n);
}

int outdir_write_origin(const char *dir, const struct report_origin *origin,
                        const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                        uint32_t n)
{
    char path[SCN_PATH_MAX + 32];
    if (outdir_mkdirs(dir) != 0) {
        fprintf(stderr, "lbsim: cannot create output directory '%s': %s\n", dir, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    FILE *f = open_out(dir, "summary.json", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_USAGE;
    report_json_origin(f, origin, scn, seed, res, n);
    if (close_out(f, path) != 0)
        return CLI_EXIT_USAGE;
    f = open_out(dir, "timeseries.csv", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_USAGE;
    report_timeseries_csv(f, res, n);
    if (close_out(f, path) != 0)
        return CLI_EXIT_USAGE;
    f = open_out(dir, "timeseries_backends.csv", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_USAGE;
    report_timeseries_backends_csv(f, res, n);
    if (close_out(f, path) != 0)
        return CLI_EXIT_USAGE;
    const char *names[MAX_PLOTS];
    char err[CLI_ERRLEN] = "";
    int np = report_plots(dir, res, n, names, MAX_PLOTS, err, sizeof err);
    if (np < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    struct timeplots_plot tp[MAX_PLOTS];
    int nt = timeplots_write(dir, scn, res, n, tp, MAX_PLOTS, err, sizeof err);
    if (nt < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    int np0 = np;
    for (int i = 0; i < nt && np < MAX_PLOTS; i++)
        names[np++] = tp[i].name;
    outdir_render(dir, names, np);
    /* the report: the incident view (time plots) first, then the summary */
    struct html_plot hp[MAX_PLOTS];
    uint32_t nh = 0;
    for (int i = 0; i < nt; i++)
        if (strncmp(tp[i].name, "pareto", 6) != 0)
            hp[nh++] = (struct html_plot){tp[i].name, tp[i].caption};
    for (int i = 0; i < np0; i++) {
        if (strcmp(names[i], "summary_bars") == 0)
            hp[nh++] =
                (struct html_plot){names[i], "p99 TTFT, client 429 rate and cost by strategy"};
        else if (strcmp(names[i], "ttft_cdf") == 0)
            hp[nh++] = (struct html_plot){names[i], "Distribution of TTFT (successful requests)"};
        else if (strcmp(names[i], "timeseries_replicas") == 0)
            hp[nh++] = (struct html_plot){names[i], "GPU replicas serving over time"};
    }
    for (int i = 0; i < nt; i++)
        if (strncmp(tp[i].name, "pareto", 6) == 0)
            hp[nh++] = (struct html_plot){tp[i].name, tp[i].caption};
    struct html_input in = {.scn = scn, .origin = origin, .plots = hp, .n_plots = nh};
    if (origin) {
        in.sets = origin->sets;
        in.n_sets = origin->n_sets;
    }
    if (html_write(dir, &in, res, n, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

void outdir_render(const char *dir, const char *const *names, int n)
{
    if (!on_path("gnuplot")) {
        fprintf(stderr,
                "lbsim: gnuplot not found: wrote the plot data and scripts (.dat, .gp) "
                "to %s; install gnuplot-nox to render them\n",
                dir);
        return;
    }
    /* Each plot is its own gnuplot process writing its own files, so they
     * run side by side, at most one per online core (gnuplot was ~75% of
     * the CPU of a run with --out, issue 16).  The oldest is waited for
     * first, never any child (waitpid(-1) could reap a process this one
     * did not start), and failures are reported in the names' order, as
     * the serial loop did. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int width = cores < 1 ? 1 : cores > MAX_PLOTS ? MAX_PLOTS : (int)cores;
    pid_t pid[MAX_PLOTS];
    int bad[MAX_PLOTS];
    for (int i0 = 0; i0 < n; i0 += MAX_PLOTS) {
        int m = n - i0 < MAX_PLOTS ? n - i0 : MAX_PLOTS;
        int started = 0, waited = 0;
        while (waited < m) {
            while (started < m && started - waited < width) {
                pid[started] = start_gnuplot(dir, names[i0 + started]);
                started++;
            }
            bad[waited] = wait_gnuplot(pid[waited]) != 0;
            waited++;
        }
        for (int i = 0; i < m; i++)
            if (bad[i])
                fprintf(stderr, "lbsim: gnuplot failed on %s/%s.gp\n", dir, names[i0 + i]);
    }
}
