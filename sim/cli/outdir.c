/*
 * outdir.c - writing `lbsim run --out DIR` (see outdir.h): mkdir -p, the
 * output files, the gnuplot lookup on PATH and its fork/exec (the plots of
 * one directory rendered concurrently, up to one gnuplot per core), and
 * the transaction every --out directory is written in (docs/outputs.md):
 * a hidden temporary sibling renamed over the target at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
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

/* The marker file of an lbsim output directory: a directory holding it is
 * replaced whole by the next write to the same --out; a non-empty one
 * without it is refused (it may hold the user's files). */
#define MARKER ".lbsim-output"
#define MARKER_TEXT                                                                                \
    "This directory was written by lbsim; the next lbsim run with the same\n"                      \
    "--out replaces it whole (docs/outputs.md).\n"

/* The signal that arrived while a transaction was open (0: none).  The one
 * mutable global of the program, and only because a signal handler can
 * reach nothing else: the handler sets it (async-signal-safe), the CLI
 * reads it between files and at outdir_commit.  The libraries never see
 * it, and no handler of this flag is installed while they simulate (a
 * signal there ends the process by its default action, or by
 * outdir_guard's handler, which removes `--requests`' part files first). */
static volatile sig_atomic_t outdir_signal;

static void on_signal(int sig)
{
    outdir_signal = sig;
}

/* The files outdir_guard's handler removes.  Mutable globals for the
 * same reason as outdir_signal: a signal handler reaches nothing else.
 * Set and cleared on the main thread while no handler of ours runs;
 * read only by guard_signal. */
static const char *const *volatile guard_paths;
static volatile sig_atomic_t guard_n;
static struct sigaction guard_old_int, guard_old_term;

/* unlink and raise are async-signal-safe (POSIX.1-2017 2.4.3);
 * SA_RESETHAND has put back the default action, which the raised signal
 * takes once this handler returns. */
static void guard_signal(int sig)
{
    const char *const *paths = guard_paths;
    for (sig_atomic_t i = 0; paths != NULL && i < guard_n; i++)
        if (paths[i] != NULL)
            unlink(paths[i]);
    raise(sig);
}

void outdir_guard(const char *const *paths, uint32_t n)
{
    guard_paths = paths;
    guard_n = (sig_atomic_t)n;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, &guard_old_int);
    sigaction(SIGTERM, &sa, &guard_old_term);
    /* a signal the caller ignores (nohup, a background job) stays ignored */
    if (guard_old_int.sa_handler == SIG_IGN)
        sigaction(SIGINT, &guard_old_int, NULL);
    if (guard_old_term.sa_handler == SIG_IGN)
        sigaction(SIGTERM, &guard_old_term, NULL);
}

void outdir_unguard(void)
{
    sigaction(SIGINT, &guard_old_int, NULL);
    sigaction(SIGTERM, &guard_old_term, NULL);
    guard_n = 0;
    guard_paths = NULL;
}

int outdir_interrupted(void)
{
    return outdir_signal != 0;
}

/* Remove path and everything under it (not following symlinks): 0 or -1. */
static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int rc = 0;
    struct dirent *e;
    char sub[SCN_PATH_MAX + 300];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (remove_tree(sub) != 0)
            rc = -1;
    }
    closedir(d);
    return rmdir(path) != 0 ? -1 : rc;
}

/* Split target into its parent (with a trailing '/', or "" for the
 * current directory) and base name, trailing slashes dropped.  -1 when the
 * target has no usable name (empty, ".", "..", "/", too long). */
static int split_target(const char *target, char *parent, char *base, size_t len)
{
    size_t n = strlen(target);
    while (n > 1 && target[n - 1] == '/')
        n--;
    if (n == 0 || n >= len)
        return -1;
    size_t b = n;
    while (b > 0 && target[b - 1] != '/')
        b--;
    if (b == n)
        return -1; /* "/" */
    memcpy(parent, target, b);
    parent[b] = '\0';
    memcpy(base, target + b, n - b);
    base[n - b] = '\0';
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -1;
    return 0;
}

/* What is at the target: 0 nothing, 1 an empty directory, 2 an lbsim
 * output, 3 something else (a file, or a directory of other files). */
static int target_kind(const char *target)
{
    struct stat st;
    if (stat(target, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return 3;
    char m[SCN_PATH_MAX + 32];
    snprintf(m, sizeof m, "%s/" MARKER, target);
    if (access(m, F_OK) == 0)
        return 2;
    DIR *d = opendir(target);
    if (d == NULL)
        return 3;
    int kind = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            kind = 3;
            break;
        }
    closedir(d);
    return kind;
}

int outdir_check(const char *target)
{
    char parent[SCN_PATH_MAX], base[SCN_PATH_MAX];
    if (split_target(target, parent, base, sizeof parent) != 0) {
        fprintf(stderr, "lbsim: --out '%s': expected a directory name (not '.', '..' or '/')\n",
                target);
        return CLI_EXIT_USAGE;
    }
    switch (target_kind(target)) {
    case 3: {
        struct stat st;
        if (stat(target, &st) == 0 && !S_ISDIR(st.st_mode))
            fprintf(stderr, "lbsim: --out '%s': found a file, expected a directory\n", target);
        else
            fprintf(stderr,
                    "lbsim: --out '%s': found a non-empty directory that lbsim did not write "
                    "(no " MARKER " file), expected a new, empty or earlier lbsim output "
                    "directory; it is left untouched\n",
                    target);
        return CLI_EXIT_USAGE;
    }
    default:
        break;
    }
    /* The nearest existing ancestor must be a directory lbsim can create
     * entries in (the missing ones are created like mkdir -p).  When the
     * parent exists, a real mkdir/rmdir of the temporary name proves it
     * (access() says yes to root on a read-only mount point such as /proc). */
    char anc[SCN_PATH_MAX];
    snprintf(anc, sizeof anc, "%s", parent[0] ? parent : ".");
    for (;;) {
        struct stat st;
        if (stat(anc, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                fprintf(stderr, "lbsim: --out '%s': '%s' is not a directory\n", target, anc);
                return CLI_EXIT_USAGE;
            }
            break;
        }
        if (errno != ENOENT) {
            fprintf(stderr, "lbsim: --out '%s': '%s': %s\n", target, anc, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        char p[SCN_PATH_MAX], b[SCN_PATH_MAX];
        if (split_target(anc, p, b, sizeof p) != 0 || p[0] == '\0') {
            snprintf(anc, sizeof anc, ".");
            continue;
        }
        snprintf(anc, sizeof anc, "%s", p);
    }
    char probe[SCN_PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/.lbsim-probe-%ld", anc, (long)getpid());
    if (mkdir(probe, 0700) != 0) {
        fprintf(stderr, "lbsim: --out '%s': cannot create entries in '%s': %s\n", target, anc,
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    rmdir(probe);
    return 0;
}

int outdir_begin(struct outdir_tx *tx, const char *target)
{
    memset(tx, 0, sizeof *tx);
    int rc = outdir_check(target);
    if (rc != 0)
        return rc;
    char parent[SCN_PATH_MAX], base[SCN_PATH_MAX];
    split_target(target, parent, base, sizeof parent);
    if (snprintf(tx->target, sizeof tx->target, "%s%s", parent, base) >= (int)sizeof tx->target ||
        snprintf(tx->tmp, sizeof tx->tmp, "%s.%s.tmp-%ld", parent, base, (long)getpid()) >=
            (int)sizeof tx->tmp ||
        snprintf(tx->old, sizeof tx->old, "%s.%s.old-%ld", parent, base, (long)getpid()) >=
            (int)sizeof tx->old) {
        fprintf(stderr, "lbsim: --out '%s': path too long\n", target);
        return CLI_EXIT_USAGE;
    }
    if (parent[0] && outdir_mkdirs(parent) != 0) {
        fprintf(stderr, "lbsim: cannot create output directory '%s': %s\n", parent,
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    /* From here on a SIGINT or SIGTERM only sets the flag; outdir_commit
     * removes the temporary directory and ends the process by the signal. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &tx->old_int);
    sigaction(SIGTERM, &sa, &tx->old_term);
    /* a signal the caller ignores (nohup, a background job) stays ignored */
    if (tx->old_int.sa_handler == SIG_IGN)
        sigaction(SIGINT, &tx->old_int, NULL);
    if (tx->old_term.sa_handler == SIG_IGN)
        sigaction(SIGTERM, &tx->old_term, NULL);
    tx->open = 1;
    remove_tree(tx->tmp); /* left by a killed process with our pid */
    if (mkdir(tx->tmp, 0777) != 0) {
        fprintf(stderr, "lbsim: cannot create '%s': %s\n", tx->tmp, strerror(errno));
        outdir_commit(tx, CLI_EXIT_INTERNAL);
        return CLI_EXIT_INTERNAL;
    }
    char path[sizeof tx->tmp + 32];
    snprintf(path, sizeof path, "%s/" MARKER, tx->tmp);
    FILE *f = fopen(path, "w");
    if (f != NULL)
        fputs(MARKER_TEXT, f);
    if (f == NULL || outdir_close(f, path) != 0) {
        if (f == NULL)
            fprintf(stderr, "lbsim: cannot write %s: %s\n", path, strerror(errno));
        outdir_commit(tx, CLI_EXIT_INTERNAL);
        return CLI_EXIT_INTERNAL;
    }
    return 0;
}

FILE *outdir_open(const char *dir, const char *name, char *path, size_t pathlen)
{
    int len = snprintf(path, pathlen, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= pathlen) {
        fprintf(stderr, "lbsim: output path too long: %s/%s\n", dir, name);
        errno = ENAMETOOLONG;
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "lbsim: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

int outdir_close(FILE *f, const char *path)
{
    /* ferror() keeps no errno: EIO stands for "an earlier write failed" */
    int failed = ferror(f) != 0, e = EIO;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        fprintf(stderr, "lbsim: cannot write %s: %s\n", path, strerror(e));
        return CLI_EXIT_INTERNAL;
    }
    return 0;
}

/* Restore the signal dispositions outdir_begin replaced; when a signal
 * came meanwhile, end the process by it (default action), so the parent
 * sees a death by SIGINT (the shell's 130) or SIGTERM (143). */
static void end_tx(struct outdir_tx *tx)
{
    tx->open = 0;
    sigaction(SIGINT, &tx->old_int, NULL);
    sigaction(SIGTERM, &tx->old_term, NULL);
    int sig = outdir_signal;
    if (sig != 0) {
        fflush(stdout);
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

int outdir_commit(struct outdir_tx *tx, int rc)
{
    if (!tx->open)
        return rc;
    if (rc != 0 || outdir_signal != 0) {
        remove_tree(tx->tmp);
        end_tx(tx);
        return rc;
    }
    int kind = target_kind(tx->target);
    if (kind == 3) { /* appeared while simulating */
        fprintf(stderr,
                "lbsim: --out '%s' is now a file or a directory lbsim did not write; "
                "left untouched (nothing written)\n",
                tx->target);
        remove_tree(tx->tmp);
        end_tx(tx);
        return CLI_EXIT_USAGE;
    }
    if (kind == 2 && rename(tx->target, tx->old) != 0) {
        fprintf(stderr, "lbsim: cannot move the previous '%s' aside: %s\n", tx->target,
                strerror(errno));
        remove_tree(tx->tmp);
        end_tx(tx);
        return CLI_EXIT_INTERNAL;
    }
    /* rename() replaces an empty directory (kind 1) in one step */
    if (rename(tx->tmp, tx->target) != 0) {
        fprintf(stderr, "lbsim: cannot rename '%s' to '%s': %s\n", tx->tmp, tx->target,
                strerror(errno));
        if (kind == 2)
            rename(tx->old, tx->target);
        remove_tree(tx->tmp);
        end_tx(tx);
        return CLI_EXIT_INTERNAL;
    }
    if (kind == 2 && remove_tree(tx->old) != 0)
        fprintf(stderr, "lbsim: warning: cannot remove the previous output '%s': %s\n", tx->old,
                strerror(errno));
    end_tx(tx);
    return 0;
}

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
        signal(SIGPIPE, SIG_DFL); /* main() ignores it; gnuplot expects the default */
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

int outdir_write(const char *dir, const struct scenario *scn, uint64_t seed,
                 const struct sim_result *res, uint32_t n)
{
    return outdir_write_origin(dir, NULL, scn, seed, res, n);
}

/* Every output of a run into dir (the transaction's temporary directory):
 * 0, or CLI_EXIT_INTERNAL after printing the failed write. */
static int write_run(const char *dir, const struct report_origin *origin,
                     const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                     uint32_t n)
{
    char path[SCN_PATH_MAX + 32];
    FILE *f = outdir_open(dir, "summary.json", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_INTERNAL;
    report_json_origin(f, origin, scn, seed, res, n);
    if (outdir_close(f, path) != 0)
        return CLI_EXIT_INTERNAL;
    f = outdir_open(dir, "timeseries.csv", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_INTERNAL;
    report_timeseries_csv(f, res, n);
    if (outdir_close(f, path) != 0)
        return CLI_EXIT_INTERNAL;
    f = outdir_open(dir, "timeseries_backends.csv", path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_INTERNAL;
    report_timeseries_backends_csv(f, res, n);
    if (outdir_close(f, path) != 0)
        return CLI_EXIT_INTERNAL;
    const char *names[MAX_PLOTS];
    char err[CLI_ERRLEN] = "";
    int np = report_plots(dir, res, n, names, MAX_PLOTS, err, sizeof err);
    if (np < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_INTERNAL;
    }
    struct timeplots_plot tp[MAX_PLOTS];
    int nt = timeplots_write(dir, scn, res, n, tp, MAX_PLOTS, err, sizeof err);
    if (nt < 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        return CLI_EXIT_INTERNAL;
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
        return CLI_EXIT_INTERNAL;
    }
    return 0;
}

int outdir_write_origin(const char *dir, const struct report_origin *origin,
                        const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                        uint32_t n)
{
    struct outdir_tx tx;
    int rc = outdir_begin(&tx, dir);
    if (rc != 0)
        return rc;
    return outdir_commit(&tx, write_run(tx.tmp, origin, scn, seed, res, n));
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
            while (started < m && started - waited < width && !outdir_interrupted()) {
                pid[started] = start_gnuplot(dir, names[i0 + started]);
                started++;
            }
            if (waited == started) { /* interrupted: start no more */
                for (int i = waited; i < m; i++)
                    bad[i] = 0;
                break;
            }
            bad[waited] = wait_gnuplot(pid[waited]) != 0;
            waited++;
        }
        for (int i = 0; i < m; i++)
            if (bad[i])
                fprintf(stderr, "lbsim: gnuplot failed on %s/%s.gp\n", dir, names[i0 + i]);
    }
}
