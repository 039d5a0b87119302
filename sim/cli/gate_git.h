/*
 * gate_git.h - the baseline of `lbsim gate SCENARIO --against REV`, read
 * from git (prefix gate_git_).  CLI layer: runs git and prints its errors.
 */
#ifndef LBSIM_GATE_GIT_H
#define LBSIM_GATE_GIT_H

#include <stddef.h>

/*
 * Write the scenario file `scenario` as it is at git revision `rev` to a
 * new hidden file beside it (so the relative trace paths in it resolve in
 * the working tree, as the candidate's do) and put that file's path in
 * tmp.  The caller unlinks tmp once the scenario is loaded.  0, or
 * CLI_EXIT_USAGE after printing why (git missing, not a work tree, an
 * unknown revision, the file absent at that revision, the directory not
 * writable); tmp is then "" and nothing is left behind.
 */
int gate_git_baseline(const char *scenario, const char *rev, char *tmp, size_t tmplen);

#endif /* LBSIM_GATE_GIT_H */
