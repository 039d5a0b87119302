/*
 * plugin.h - strategy plugins for the command line (`--plugin PATH.so`).
 *
 * A plugin is a shared object exporting ROUTE_PLUGIN_SYMBOL (route_strategy.h), a
 * route_plugin_fn that returns its ops tables and the route ABI it was built
 * against.  Loading checks, in order: the file exists and dlopen()s (all
 * symbols resolved now, RTLD_NOW), the symbol is there, the plugin's major
 * ABI is ROUTE_ABI_VERSION (nothing else of it is trusted otherwise), it
 * exports at least one table, every table passes route_ops_check() (major,
 * a minor no newer than ROUTE_ABI_MINOR, ops_size at least an ABI 3.0
 * table: older minors are accepted), and no name clashes with a built-in strategy or a
 * strategy of a plugin loaded before.  Any failure leaves the set as it was
 * (the object is closed) and writes "PATH: found X, expected Y" into err.
 *
 * The ops tables live inside the shared objects: keep the set alive (do
 * not call cli_plugins_free) while any router, scenario or strategy that
 * refers to them exists.  See examples/plugin/README.md.
 */
#ifndef LBSIM_CLI_PLUGIN_H
#define LBSIM_CLI_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "route_strategy.h"

/* Plugins given with --plugin on one command line. */
#define CLI_PLUGIN_MAX 32u

struct cli_plugins {
    void *handles[CLI_PLUGIN_MAX];     /* dlopen handles */
    const char *paths[CLI_PLUGIN_MAX]; /* as given (not copied) */
    uint32_t n;
    const struct route_ops **ops; /* every loaded strategy, in load order */
    uint32_t *ops_plugin;         /* index into handles/paths, per ops */
    uint32_t n_ops;
    struct route_registry reg; /* built-ins + ops, for route_registry_lookup */
};

/* An empty set (its registry holds the built-ins only). */
void cli_plugins_init(struct cli_plugins *p);

/* Load the plugin at `path` (kept, not copied: it must outlive the set).
 * 0, or -1 with a message naming the file in err. */
int cli_plugins_load(struct cli_plugins *p, const char *path, char *err, size_t errlen);

/* The plugin path a strategy came from, or NULL for a built-in. */
const char *cli_plugins_path_of(const struct cli_plugins *p, const struct route_ops *ops);

/* dlclose every plugin and free the set (then empty again). */
void cli_plugins_free(struct cli_plugins *p);

#endif /* LBSIM_CLI_PLUGIN_H */
