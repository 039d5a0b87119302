/*
 * cli_trace.h - the `lbsim trace` command (prefix cli_trace): info,
 * convert and synth.  CLI layer: prints to stdout/stderr and writes the
 * files it is given.
 */
#ifndef LBSIM_CLI_TRACE_H
#define LBSIM_CLI_TRACE_H

/* `lbsim trace ...`: argv[1] is "trace", argv[2] the sub-command.  Returns
 * the exit status: 0 success, 2 bad usage or bad input, 3 internal error. */
int cli_trace(int argc, char **argv);

#endif /* LBSIM_CLI_TRACE_H */
