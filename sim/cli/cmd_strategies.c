/*
 * cmd_strategies.c - `lbsim strategies`: every routing strategy of route/
 * with its source and parameters, then those of the --plugin objects.
 */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static const char *const usage_strategies =
    "usage: lbsim strategies [--plugin PATH.so]...\n"
    "\n"
    "Lists every routing strategy of route/ with its source and parameters\n"
    "(name, default, accepted range), then those of the plugins given with\n"
    "--plugin, marked (plugin PATH).  Set parameters in a scenario under\n"
    "router.params or in a compare: entry.\n";

enum { OPT_PLUGIN };

static const struct args_opt strategies_options[] = {
    {"--plugin", NULL, ARGS_VALUE, OPT_PLUGIN},
};

static const struct args_spec strategies_spec = {
    .who = "lbsim",
    .usage = usage_strategies,
    .opts = strategies_options,
    .n_opts = ARGS_COUNT(strategies_options),
};

/* Plugin strings are not ours: print "" for a NULL one. */
static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static void print_strategy(const struct route_ops *o, const char *plugin)
{
    if (plugin != NULL)
        printf("%s (plugin %s)\n", o->name, plugin);
    else
        printf("%s\n", o->name);
    printf("    %s\n    source: %s\n", str_or_empty(o->summary), str_or_empty(o->source));
    if (o->n_params == 0)
        printf("    parameters: none\n");
    for (uint32_t p = 0; p < o->n_params; p++) {
        const struct route_param *rp = &o->params[p];
        const char *unit = str_or_empty(rp->unit);
        printf("    %-18s default %-8g [%g, %g] %s%s%s\n", rp->name, rp->def, rp->min, rp->max,
               unit, unit[0] ? "  " : "", str_or_empty(rp->doc));
    }
    printf("\n");
}

int cmd_strategies(int argc, char **argv)
{
    const char *plugin_paths[CLI_PLUGIN_MAX];
    uint32_t n_plugins = 0;
    struct args a;
    args_init(&a, &strategies_spec, argc, argv, 2);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_HELP || t == ARGS_NO_VALUE)
            return args_stop(&a, t);
        if (t != ARGS_OPTION) /* operands and other options alike */
            return args_usage_error(&strategies_spec, "unknown argument '%s'", a.arg);
        if (n_plugins == CLI_PLUGIN_MAX)
            return args_usage_error(&strategies_spec, "too many --plugin options (at most %s)",
                                    "32");
        plugin_paths[n_plugins++] = a.value;
    }
    struct cli_plugins pl;
    int rc = cli_load_plugins(&pl, plugin_paths, n_plugins);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < route_registry_count(); i++)
        print_strategy(route_registry_at(i), NULL);
    for (uint32_t i = 0; i < pl.n_ops; i++)
        print_strategy(pl.ops[i], cli_plugins_path_of(&pl, pl.ops[i]));
    cli_plugins_free(&pl);
    return 0;
}
