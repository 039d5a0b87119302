/*
 * replicate.c - the --replications and --vs options of `lbsim run` (see
 * replicate.h).  The runs, means and intervals are sim_replicate's.
 */
#include "replicate.h"

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

/* A label within this edit distance of --vs (and of at most a third of
 * its length) is offered as "did you mean". */
#define REP_SUGGEST_MAX_DIST 3

int rep_parse_count(const char *v, uint32_t *R)
{
    uint64_t x;
    if (args_u64(v, &x) != 0 || x == 0 || x > REP_MAX)
        return -1;
    *R = (uint32_t)x;
    return 0;
}

int rep_reference(const char *vs, uint32_t R, const struct scn_strategy *strats, uint32_t n,
                  int *ref)
{
    *ref = R > 1 ? 0 : -1;
    if (vs == NULL)
        return 0;
    if (R <= 1) {
        fprintf(stderr, "lbsim: --vs %s: paired differences need --replications 2 or more\n", vs);
        return CLI_EXIT_USAGE;
    }
    const char *best = NULL;
    unsigned best_d = REP_SUGGEST_MAX_DIST + 1;
    for (uint32_t i = 0; i < n; i++) {
        if (strncmp(strats[i].label, vs, sizeof strats[i].label) == 0) {
            *ref = (int)i;
            return 0;
        }
        unsigned d = scn_edit_distance(vs, strats[i].label);
        if (d < best_d && d <= (unsigned)strlen(strats[i].label) / 3 + 1) {
            best = strats[i].label;
            best_d = d;
        }
    }
    fprintf(stderr, "lbsim: --vs: found '%s', expected a strategy of this run: ", vs);
    for (uint32_t i = 0; i < n; i++)
        fprintf(stderr, "%s%.*s", i ? ", " : "", (int)sizeof strats[i].label, strats[i].label);
    if (best != NULL)
        fprintf(stderr, "; did you mean '%.*s'?", (int)SCN_NAME_MAX, best);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}
