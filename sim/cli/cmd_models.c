/*
 * cmd_models.c - `lbsim models [FILTER]`: the price catalog of models/
 * (prices, context windows), optionally filtered.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "catalog.h"
#include "cli.h"

static const char *const usage_models =
    "usage: lbsim models [FILTER]\n"
    "\n"
    "Lists the price catalog (models/catalog/README.md): provider, model id,\n"
    "USD per 1M input, cached input and output tokens, context window.  A\n"
    "scenario backend's model: naming one (id, alias or provider/model) gets\n"
    "these prices and context window unless it sets its own.  FILTER keeps\n"
    "the models whose provider/id or an alias contains it (case-sensitive).\n";

static const struct args_spec models_spec = {
    .who = "lbsim",
    .usage = usage_models,
    .opts = NULL,
    .n_opts = 0,
};

static bool catalog_matches(const struct catalog_entry *e, const char *filter)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", e->provider, e->id);
    if (filter == NULL || strstr(full, filter) != NULL)
        return true;
    for (uint32_t k = 0; k < e->n_aliases; k++)
        if (strstr(e->aliases[k], filter) != NULL)
            return true;
    return false;
}

int cmd_models(int argc, char **argv)
{
    const char *filter = NULL;
    struct args a;
    args_init(&a, &models_spec, argc, argv, 2);
    enum args_tok t;
    while ((t = args_next(&a)) != ARGS_END) {
        if (t == ARGS_HELP)
            return args_stop(&a, t);
        /* One FILTER; "-" and anything else starting with '-' is refused. */
        if (t != ARGS_OPERAND || a.arg[0] == '-' || filter != NULL)
            return args_usage_error(&models_spec, "unexpected argument '%s'", a.arg);
        filter = a.value;
    }
    size_t shown = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        if (!catalog_matches(e, filter))
            continue;
        if (shown++ == 0)
            printf("%-10s %-46s %9s %9s %9s %9s\n", "provider", "model", "input", "cached",
                   "output", "context");
        char ctx[32] = "-";
        if (e->context_window > 0)
            snprintf(ctx, sizeof ctx, "%lld", (long long)e->context_window);
        printf("%-10s %-46s %9.4g %9.4g %9.4g %9s%s%s\n", e->provider, e->id, e->input_usd_per_mtok,
               e->cached_input_usd_per_mtok, e->output_usd_per_mtok, ctx,
               (e->flags & CATALOG_TIERED) ? "  tiered: base price" : "",
               (e->flags & CATALOG_TIME_OF_DAY) ? "  standard hours" : "");
    }
    if (shown == 0) {
        fprintf(stderr, "lbsim: no catalog model matches '%s'\n", filter ? filter : "");
        return CLI_EXIT_USAGE;
    }
    printf("USD per 1M tokens; source %s (MIT)\n", catalog_source());
    return 0;
}
