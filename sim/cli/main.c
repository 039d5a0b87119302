/*
 * main.c - the lbsim program: dispatch to the verb named by argv[1].
 *
 * Each verb lives in its own cmd_<verb>.c (see cli.h); this file only holds
 * the verb table, the top-level --help built from it, and --version.  Exit
 * codes: 0 success, 1 an SLO missed, 2 bad usage or bad input, 3 an
 * internal failure (out of memory, a failed write); SIGINT and SIGTERM end
 * the process by the signal (130, 143) after removing an unfinished --out
 * (docs/outputs.md).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h" /* and ROUTE_ABI_VERSION, through plugin.h */

struct verb {
    const char *name;
    const char *synopsis; /* after the name in --help ("" when none) */
    int (*fn)(int argc, char **argv);
    const char *summary;
};

/* Every verb, in the order --help lists them.  A new verb is its file
 * cmd_<verb>.c, its prototype in cli.h and one row here. */
static const struct verb verbs[] = {
    {"run", "SCENARIO", cmd_run, "replay a scenario under one or more routing strategies"},
    {"strategies", "", cmd_strategies, "list the routing strategies with their parameters"},
    {"models", "[FILTER]", cmd_models, "list the price catalog (prices, context windows)"},
    {"trace", "...", cmd_trace, "inspect (info), convert or synthesise (synth) traffic traces"},
    {"sweep", "SCENARIO", cmd_sweep, "run a scenario over a grid of --vary values (shardable)"},
    {"merge", "DIR...", cmd_merge, "combine the shard directories of a sweep"},
    {"plan", "SCENARIO", cmd_plan, "the cheapest configuration meeting the SLOs"},
    {"gate", "BASE CAND", cmd_gate, "fail CI when a config change regresses p99 TTFT, 429s, cost"},
    {"import", "litellm|portkey FILE", cmd_import, "a LiteLLM/Portkey config as a native scenario"},
    {"calibrate", "FILE", cmd_calibrate, "fit pool knobs or an API latency block to data"},
    {"check", "FILE", cmd_check, "lint a LiteLLM config (or a scenario) without simulating"},
};

static void print_usage(FILE *f)
{
    fputs("usage: lbsim <command> [options]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", verbs[i].name, verbs[i].synopsis[0] ? " " : "",
                 verbs[i].synopsis);
        fprintf(f, "  %-16s %s\n", left, verbs[i].summary);
    }
    fputs("\nlbsim <command> --help for the options of a command.  lbsim --version.\n", f);
}

/* Whether fd is a pipe or socket whose reader has gone (`| head -1`):
 * Linux reports POLLERR on a pipe's write end without readers. */
static int reader_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

/* The verb's status after checking that all of stdout was written.  A
 * reader that went away (EPIPE) is not lbsim's failure: the files it was
 * asked to write are complete by now, so the verb's own status stands
 * (docs/outputs.md).  Any other failed write (a full disk, /dev/full) is
 * CLI_EXIT_INTERNAL with the reason on stderr. */
static int finish_stdout(int rc)
{
    int failed = ferror(stdout) != 0, e = EIO; /* ferror keeps no errno */
    errno = 0;
    if (fflush(stdout) != 0) {
        failed = 1;
        e = errno;
    }
    if (!failed)
        return rc;
    if (e == EPIPE || reader_gone(1))
        return rc;
    fprintf(stderr, "lbsim: cannot write standard output: %s\n", strerror(e));
    return CLI_EXIT_INTERNAL;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("lbsim " LBSIM_VERSION " (route ABI %u)\n", ROUTE_ABI_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(cmd, verbs[i].name) == 0)
            return verbs[i].fn(argc, argv);
    fprintf(stderr, "lbsim: unknown command '%s'\n\n", cmd);
    print_usage(stderr);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* A reader that stops early (`| head -1`) must not kill the run before
     * its --out is written: writes to stdout fail with EPIPE instead, and
     * finish_stdout lets them pass. */
    signal(SIGPIPE, SIG_IGN);
    return finish_stdout(dispatch(argc, argv));
}
