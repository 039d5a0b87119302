/*
 * scnopts.c - the options shared by run, sweep, plan and gate (scnopts.h).
 */
#include "outdir.h"
#include "scnopts.h"

#include <stdio.h>
#include <string.h>

#include "replicate.h"

void scnopts_init(struct scnopts *c, uint32_t reps)
{
    memset(c, 0, sizeof *c);
    c->reps = reps;
}

int scnopts_option(struct scnopts *c, const struct args_spec *spec, const struct args *a)
{
    const char *v = a->value;
    switch (a->opt->id) {
    case SCNOPTS_SET: {
        char err[CLI_ERRLEN];
        if (c->n_sets == CLI_SET_MAX)
            return args_usage_error(spec, "too many --set options (at most %s)", CLI_SET_MAX_STR);
        if (scn_set_parse(v, &c->sets[c->n_sets], err, sizeof err) != 0)
            return args_usage_error(spec, "%s", err);
        c->n_sets++;
        return 0;
    }
    case SCNOPTS_STRATEGY:
        if (c->n_names == SCNOPTS_MAX_STRATEGIES)
            return args_usage_error(spec, "too many --strategy options (at most %s)", "64");
        c->names[c->n_names++] = v;
        return 0;
    case SCNOPTS_SEED:
        if (args_u64(v, &c->seed) != 0)
            return args_usage_error(spec, "--seed: found '%s', expected a non-negative integer", v);
        c->seed_set = true;
        return 0;
    case SCNOPTS_THREADS:
        if (args_u64(v, &c->threads) != 0 || c->threads == 0 || c->threads > SCNOPTS_MAX_THREADS)
            return args_usage_error(spec, "--threads: found '%s', expected an integer in 1..1024",
                                    v);
        return 0;
    case SCNOPTS_REPS:
        if (rep_parse_count(v, &c->reps) != 0)
            return args_usage_error(
                spec, "--replications: found '%s', expected an integer in 1..10000", v);
        return 0;
    case SCNOPTS_VS:
        c->vs = v;
        return 0;
    case SCNOPTS_JSON:
        c->json = true;
        return 0;
    case SCNOPTS_OUT:
        /* checked now, before any simulation (docs/outputs.md) */
        c->out_dir = v;
        return outdir_check(v);
    case SCNOPTS_STRICT:
        c->strict = true;
        return 0;
    case SCNOPTS_PLUGIN:
        /* With a first pass (scnopts_load_plugins) this limit was checked
         * there already, on the same tokens. */
        if (c->n_plugins == CLI_PLUGIN_MAX)
            return args_usage_error(spec, "too many --plugin options (at most %s)", "32");
        c->plugins[c->n_plugins++] = v;
        return 0;
    default:
        return SCNOPTS_NOT_MINE;
    }
}

int scnopts_next(struct scnopts *c, struct args *a, enum args_tok *t)
{
    for (;;) {
        *t = args_next(a);
        if (*t == ARGS_END || *t == ARGS_OPERAND)
            return SCNOPTS_MORE;
        if (*t != ARGS_OPTION)
            return args_stop(a, *t);
        int rc = scnopts_option(c, a->spec, a);
        if (rc == SCNOPTS_NOT_MINE)
            return SCNOPTS_MORE;
        if (rc != 0)
            return rc;
    }
}

int scnopts_load_plugins(struct cli_plugins *pl, const struct args_spec *spec, int argc,
                         char **argv)
{
    const char *paths[CLI_PLUGIN_MAX];
    uint32_t n = 0;
    struct args a;
    args_init(&a, spec, argc, argv, 2);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END && t != ARGS_HELP) {
        if (a.opt == NULL || a.opt->id != SCNOPTS_PLUGIN)
            continue;
        if (t == ARGS_NO_VALUE)
            return args_stop(&a, t);
        if (n == CLI_PLUGIN_MAX)
            return args_usage_error(spec, "too many --plugin options (at most %s)", "32");
        paths[n++] = a.value;
    }
    return cli_load_plugins(pl, paths, n);
}

void scnopts_scenario_strategies(const struct scenario *s, const struct scn_strategy **list,
                                 uint32_t *n)
{
    if (s->n_compare > 0) {
        *list = s->compare;
        *n = s->n_compare;
    } else {
        *list = &s->router.strategy;
        *n = 1;
    }
}

uint32_t scnopts_strategy_count(const struct scnopts *c, const struct scenario *s)
{
    return c->n_names ? c->n_names : s->n_compare ? s->n_compare : 1;
}

int scnopts_strategies(const struct scnopts *c, const struct route_registry *reg,
                       const struct scenario *s, struct scn_strategy *out, uint32_t max,
                       uint32_t *n)
{
    if (c->n_names > 0) {
        char err[CLI_ERRLEN];
        uint32_t k = c->n_names < max ? c->n_names : max;
        for (uint32_t i = 0; i < k; i++)
            if (scn_strategy_by_name_ex(reg, c->names[i], &out[i], err, sizeof err) != 0) {
                fprintf(stderr, "lbsim: --strategy: %s\n", err);
                return CLI_EXIT_USAGE;
            }
        *n = k;
        return 0;
    }
    const struct scn_strategy *list;
    uint32_t k;
    scnopts_scenario_strategies(s, &list, &k);
    k = k < max ? k : max;
    memcpy(out, list, k * sizeof *out);
    *n = k;
    return 0;
}
