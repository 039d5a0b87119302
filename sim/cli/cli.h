/*
 * cli.h - what the verbs of the lbsim program share (prefix cli_): exit
 * statuses, the verb entry points that main.c dispatches to, and loading
 * the --plugin objects.
 *
 * sim/cli/ is the only code that prints, exits, forks, reads the wall clock
 * or the environment.  A verb is one file, cmd_<verb>.c, defining
 * cmd_<verb>(); adding one is that file, its prototype below and a row in
 * the verb table of main.c.
 */
#ifndef LBSIM_CLI_H
#define LBSIM_CLI_H

#include <stdio.h>
#include <stdint.h>

#include "plugin.h"

/* The version --version prints, every report records and a sweep shard's
 * fingerprint includes. */
#define LBSIM_VERSION "0.1.0"

/* Exit statuses of every verb. */
#define CLI_EXIT_OK       0
#define CLI_EXIT_SLO      1 /* a run missed an SLO of the scenario's slo: */
#define CLI_EXIT_USAGE    2 /* bad usage or bad input */
#define CLI_EXIT_INTERNAL 3 /* out of memory */

/* The exit status of a library failure from its message: CLI_EXIT_INTERNAL
 * when it ran out of memory (base_err_oom_or), else CLI_EXIT_USAGE (bad
 * input).  The libraries return -1 for both across most layers; their
 * messages tell them apart. */
int cli_exit_of(const char *msg);

/* s as XML/HTML text or attribute value: < > & " escaped, control
 * characters other than tab and newlines (not allowed in XML 1.0) as '?'.
 * NULL writes nothing. */
void cli_put_xml(FILE *f, const char *s);

/* s as one Markdown table cell: pipes escaped, line breaks as spaces. */
void cli_put_md_cell(FILE *f, const char *s);

/* Size of the error buffers handed to library calls. */
#define CLI_ERRLEN 1024

/* --set options per command line (each names one value of the scenario). */
#define CLI_SET_MAX     256
#define CLI_SET_MAX_STR "256"

/* The verbs: argv[0] is the program, argv[1] the verb, its own arguments
 * start at argv[2].  Each returns the exit status. */
int cmd_run(int argc, char **argv);
int cmd_strategies(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_check(int argc, char **argv);

int cmd_calibrate(int argc, char **argv);

/* Load the --plugin paths into *pl (initialised here).  0, or
 * CLI_EXIT_USAGE after printing the error (pl is then empty). */
int cli_load_plugins(struct cli_plugins *pl, const char *const *paths, uint32_t n);

#endif /* LBSIM_CLI_H */
