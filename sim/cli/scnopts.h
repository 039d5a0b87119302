/*
 * scnopts.h - the options that the scenario verbs (run, sweep, plan, gate)
 * share, parsed once (prefix scnopts_): --set, --strategy, --seed,
 * --threads, --replications, --vs, --json, --out and --plugin, the first
 * pass that loads the --plugin objects, and the choice of the strategies
 * to run.
 *
 * A verb's option table uses the SCNOPTS_* ids below for the shared
 * options it offers and numbers its own from SCNOPTS_ID_END_, so that its
 * parse loop hands every option to scnopts_option() first and switches on
 * what is left.  The messages and their order are the verbs' own as before:
 * each is printed with the verb's args_spec.
 *
 * CLI layer: prints to stderr.
 */
#ifndef LBSIM_SCNOPTS_H
#define LBSIM_SCNOPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "args.h"
#include "cli.h"
#include "scn.h"

/* Most --strategy options per command line. */
#define SCNOPTS_MAX_STRATEGIES 64
/* Largest --threads accepted. */
#define SCNOPTS_MAX_THREADS 1024

/* The ids of the shared options in a verb's args_opt table. */
enum scnopts_id {
    SCNOPTS_SET,
    SCNOPTS_STRATEGY,
    SCNOPTS_SEED,
    SCNOPTS_THREADS,
    SCNOPTS_REPS,
    SCNOPTS_VS,
    SCNOPTS_JSON,
    SCNOPTS_OUT,
    SCNOPTS_PLUGIN,
    SCNOPTS_STRICT, /* --strict: an imported router config's unsupported keys are errors */
    SCNOPTS_ID_END_ /* a verb's own ids start here */
};

/* scnopts_option() for an option that is not one of the above. */
#define SCNOPTS_NOT_MINE (-1)

struct scnopts {
    const char *out_dir, *vs;
    uint32_t reps;
    const char *names[SCNOPTS_MAX_STRATEGIES];
    uint32_t n_names;
    struct scn_set sets[CLI_SET_MAX];
    uint32_t n_sets;
    /* as given; run, plan and gate load them in scnopts_load_plugins */
    const char *plugins[CLI_PLUGIN_MAX];
    uint32_t n_plugins;
    uint64_t seed, threads;
    bool seed_set, json;
    bool strict; /* --strict */
};

/* Empty options, with reps replications by default. */
void scnopts_init(struct scnopts *c, uint32_t reps);

/* The ARGS_OPTION token of a: 0 when it was a shared option and is now in
 * *c, SCNOPTS_NOT_MINE when it is the verb's own, else the exit status
 * after a usage error printed with spec. */
int scnopts_option(struct scnopts *c, const struct args_spec *spec, const struct args *a);

/* The walk of a verb's second pass: the next token the verb handles
 * itself, with the shared options put in *c on the way.  SCNOPTS_MORE
 * with *t = ARGS_OPERAND, ARGS_OPTION (one of the verb's own) or ARGS_END;
 * else the exit status, after --help, a missing value, an unknown option
 * (args_stop) or a bad shared option. */
#define SCNOPTS_MORE (-1)
int scnopts_next(struct scnopts *c, struct args *a, enum args_tok *t);

/* The first pass over argv[2..): the values of the SCNOPTS_PLUGIN option
 * of spec, up to a --help, loaded into *pl, since the scenario may name
 * their strategies.  Only their own errors are reported here; everything
 * else is left to the verb's parse.  0, or the exit status (pl is then
 * empty). */
int scnopts_load_plugins(struct cli_plugins *pl, const struct args_spec *spec, int argc,
                         char **argv);

/* The strategies a scenario runs by itself: its compare: list, else its
 * router. */
void scnopts_scenario_strategies(const struct scenario *s, const struct scn_strategy **list,
                                 uint32_t *n);

/* How many strategies scnopts_strategies() picks: the --strategy names,
 * else the scenario's own. */
uint32_t scnopts_strategy_count(const struct scnopts *c, const struct scenario *s);

/* The strategies to run into out[0..max): the --strategy names looked up
 * in reg, else the scenario's compare: list, else its router.strategy.
 * *n is how many (at most max).  0, or CLI_EXIT_USAGE after printing the
 * error of a bad name. */
int scnopts_strategies(const struct scnopts *c, const struct route_registry *reg,
                       const struct scenario *s, struct scn_strategy *out, uint32_t max,
                       uint32_t *n);

#endif /* LBSIM_SCNOPTS_H */
