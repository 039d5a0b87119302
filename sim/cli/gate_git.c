/*
 * gate_git.c - `lbsim gate SCENARIO --against REV`: the baseline scenario
 * file as it was at a git revision (see gate_git.h).
 *
 * The loader resolves a relative trace path against the directory of the
 * scenario file it reads (scenarios/scn_traffic.c), and the data files
 * (traces) are meant to come from the working tree.  So the file from
 * `git cat-file blob REV:./NAME` is written to a hidden temporary file in
 * the working-tree scenario's own directory: every relative path in it
 * then resolves exactly as it does for the candidate, with no rewriting of
 * the YAML.  The caller deletes it as soon as the scenario is loaded and
 * fingerprinted (the trials never reopen the scenario file).  A scenario
 * references no other configuration file (strategies come from the
 * built-ins or --plugin objects), so this one file is all git provides.
 */
#include "gate_git.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "scn.h"

extern char **environ;

/* The exit status of git (-C dir, then args), its stdout on out_fd (-1:
 * /dev/null) and its stderr on /dev/null; 127 when git cannot be run. */
static int run_git(const char *dir, const char *const *args, int n_args, int out_fd)
{
    char *argv[16];
    int k = 0;
    argv[k++] = (char *)"git";
    argv[k++] = (char *)"-C";
    argv[k++] = (char *)dir;
    for (int i = 0; i < n_args && k < 15; i++)
        argv[k++] = (char *)args[i];
    argv[k] = NULL;
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return 127;
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    else
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return 127;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}

int gate_git_baseline(const char *scenario, const char *rev, char *tmp, size_t tmplen)
{
    char dir[SCN_PATH_MAX], obj[SCN_PATH_MAX + 512];
    const char *slash = strrchr(scenario, '/');
    const char *base = slash ? slash + 1 : scenario;
    size_t dl = slash ? (size_t)(slash - scenario) : 0;
    if (*base == '\0' || dl + 2 > sizeof dir || strlen(rev) > 256) {
        fprintf(stderr, "lbsim: --against: found scenario '%s', expected a file path\n", scenario);
        return CLI_EXIT_USAGE;
    }
    if (slash == scenario)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)dl, scenario);
    else
        snprintf(dir, sizeof dir, ".");
    if (rev[0] == '-' || rev[0] == '\0') { /* never an option of git's */
        fprintf(stderr, "lbsim: --against: found '%s', expected a git revision\n", rev);
        return CLI_EXIT_USAGE;
    }

    const char *inside[] = {"rev-parse", "--is-inside-work-tree"};
    int rc = run_git(dir, inside, 2, -1);
    if (rc == 127) {
        fprintf(stderr, "lbsim: --against %s: cannot run git (is it installed and on PATH?)\n",
                rev);
        return CLI_EXIT_USAGE;
    }
    if (rc != 0) {
        fprintf(stderr, "lbsim: --against %s: '%s' is not in a git work tree\n", rev, dir);
        return CLI_EXIT_USAGE;
    }
    snprintf(obj, sizeof obj, "%s^{commit}", rev);
    const char *verify[] = {"rev-parse", "--verify", "--quiet", obj};
    if (run_git(dir, verify, 4, -1) != 0) {
        fprintf(stderr,
                "lbsim: --against: found revision '%s', expected a commit of the "
                "repository (try `git fetch` or a branch, tag or commit id)\n",
                rev);
        return CLI_EXIT_USAGE;
    }
    /* REV:./NAME is NAME relative to git's working directory (-C dir). */
    snprintf(obj, sizeof obj, "%s:./%s", rev, base);
    const char *exists[] = {"cat-file", "-e", obj};
    if (run_git(dir, exists, 3, -1) != 0) {
        fprintf(stderr,
                "lbsim: --against %s: '%s' does not exist at %s (a new scenario has no "
                "baseline: gate it against two files instead)\n",
                rev, scenario, rev);
        return CLI_EXIT_USAGE;
    }
    int w = snprintf(tmp, tmplen, "%s/.%s.gate-XXXXXX", dir, base);
    if (w < 0 || (size_t)w >= tmplen) {
        fprintf(stderr, "lbsim: --against: the path '%s' is too long\n", scenario);
        return CLI_EXIT_USAGE;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr,
                "lbsim: --against %s: cannot create a temporary file in '%s' (%s): the "
                "baseline is read beside the scenario so its relative trace paths resolve "
                "there\n",
                rev, dir, strerror(errno));
        tmp[0] = '\0';
        return CLI_EXIT_USAGE;
    }
    const char *show[] = {"cat-file", "blob", obj};
    rc = run_git(dir, show, 3, fd);
    if (close(fd) != 0 || rc != 0) {
        fprintf(stderr, "lbsim: --against %s: git could not read '%s' at %s\n", rev, scenario, rev);
        unlink(tmp);
        tmp[0] = '\0';
        return CLI_EXIT_USAGE;
    }
    return 0;
}
