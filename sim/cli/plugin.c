/*
 * plugin.c - load strategy plugins with dlopen/dlsym (plugin.h).
 *
 * Part of the CLI layer: the library code (route/, sim/ engine) never loads
 * code.  Errors are returned as messages; main.c prints them and exits 2.
 */
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

#define PLUGIN_PATH_MAX    4096
#define CLI_PLUGIN_MAX_OPS 4096u /* strategies per plugin */

void cli_plugins_init(struct cli_plugins *p)
{
    memset(p, 0, sizeof *p);
}

const char *cli_plugins_path_of(const struct cli_plugins *p, const struct route_ops *ops)
{
    for (uint32_t i = 0; i < p->n_ops; i++)
        if (p->ops[i] == ops)
            return p->paths[p->ops_plugin[i]];
    return NULL;
}

/* Grow the ops arrays to hold `need` entries.  0 or -1. */
static int reserve(struct cli_plugins *p, uint32_t need)
{
    const struct route_ops **ops = realloc(p->ops, need * sizeof *ops);
    if (ops == NULL)
        return -1;
    p->ops = ops;
    uint32_t *idx = realloc(p->ops_plugin, need * sizeof *idx);
    if (idx == NULL)
        return -1;
    p->ops_plugin = idx;
    return 0;
}

/* Check the exported tables and append them.  0, or -1 with a message;
 * on failure p->n_ops is unchanged. */
static int add_tables(struct cli_plugins *p, const char *path, const struct route_ops *const *tab,
                      uint32_t n, char *err, size_t errlen)
{
    char msg[512];
    if (tab == NULL || n == 0) {
        base_errf(err, errlen,
                  "%s: found no strategies (%s, n = %u), expected at least one route_ops table",
                  path, tab == NULL ? "a NULL table" : "an empty table", (unsigned)n);
        return -1;
    }
    if (n > CLI_PLUGIN_MAX_OPS) {
        base_errf(err, errlen, "%s: found %u strategies, expected at most %u", path, (unsigned)n,
                  CLI_PLUGIN_MAX_OPS);
        return -1;
    }
    if (reserve(p, p->n_ops + n) != 0) {
        base_errf(err, errlen, "%s: out of memory for %u strategies", path, (unsigned)n);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct route_ops *o = tab[i];
        if (route_ops_check(o, msg, sizeof msg) != 0) {
            base_errf(err, errlen, "%s: found an invalid strategy table (#%u): %s", path,
                      (unsigned)i + 1, msg);
            return -1;
        }
        if (route_registry_find(o->name) != NULL) {
            base_errf(err, errlen,
                      "%s: found strategy '%s', which is a built-in strategy, expected a new name "
                      "(e.g. 'plugin_%s')",
                      path, o->name, o->name);
            return -1;
        }
        for (uint32_t j = 0; j < p->n_ops + i; j++) {
            if (strcmp(p->ops[j]->name, o->name) == 0) {
                const char *other = j < p->n_ops ? p->paths[p->ops_plugin[j]] : path;
                base_errf(err, errlen,
                          "%s: found strategy '%s', expected a new name: %s already defines it",
                          path, o->name, other);
                return -1;
            }
        }
        p->ops[p->n_ops + i] = o;
        p->ops_plugin[p->n_ops + i] = p->n;
    }
    return 0;
}

int cli_plugins_load(struct cli_plugins *p, const char *path, char *err, size_t errlen)
{
    char buf[PLUGIN_PATH_MAX];
    struct stat st;

    if (path == NULL || path[0] == '\0') {
        base_errf(err, errlen, "--plugin: found an empty path, expected a shared object (.so)");
        return -1;
    }
    if (p->n == CLI_PLUGIN_MAX) {
        base_errf(err, errlen, "%s: found more than %u plugins, expected at most %u", path,
                  CLI_PLUGIN_MAX, CLI_PLUGIN_MAX);
        return -1;
    }
    if (stat(path, &st) != 0) {
        base_errf(err, errlen, "%s: found no such file (%s), expected a strategy plugin (.so)",
                  path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        base_errf(err, errlen,
                  "%s: found a directory or special file, expected a shared object (.so)", path);
        return -1;
    }
    /* dlopen searches the library path for a name without a slash: make a
     * relative name mean the file in the current directory. */
    int k = snprintf(buf, sizeof buf, "%s%s", strchr(path, '/') != NULL ? "" : "./", path);
    if (k < 0 || (size_t)k >= sizeof buf) {
        base_errf(err, errlen, "%s: found a path too long, expected at most %d bytes", path,
                  PLUGIN_PATH_MAX - 3);
        return -1;
    }

    dlerror();
    void *h = dlopen(buf, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        base_errf(err, errlen,
                  "%s: found a file dlopen cannot load (%s), expected a shared object built with "
                  "-shared -fPIC whose symbols all resolve",
                  path, e != NULL ? e : "unknown error");
        return -1;
    }
    dlerror();
    void *sym = dlsym(h, ROUTE_PLUGIN_SYMBOL);
    if (sym == NULL) {
        base_errf(err, errlen,
                  "%s: found no symbol '%s', expected a strategy plugin exporting it "
                  "(see examples/plugin/README.md)",
                  path, ROUTE_PLUGIN_SYMBOL);
        dlclose(h);
        return -1;
    }
    /* POSIX guarantees a data pointer from dlsym converts to a function
     * pointer; ISO C does not, so copy the representation. */
    route_plugin_fn fn;
    _Static_assert(sizeof fn == sizeof sym, "function and data pointers differ in size");
    memcpy(&fn, &sym, sizeof fn);

    uint32_t n = 0, abi = 0;
    const struct route_ops *const *tab = fn(&n, &abi);
    if (abi != ROUTE_ABI_VERSION) {
        /* Nothing else of the plugin is trusted: its tables may have
         * another layout. */
        base_errf(
            err, errlen,
            "%s: found route ABI %u, expected ABI %u: rebuild the plugin against this lbsim's "
            "route/route_strategy.h",
            path, (unsigned)abi, (unsigned)ROUTE_ABI_VERSION);
        dlclose(h);
        return -1;
    }
    if (add_tables(p, path, tab, n, err, errlen) != 0) {
        dlclose(h);
        return -1;
    }
    p->handles[p->n] = h;
    p->paths[p->n] = path;
    p->n++;
    p->n_ops += n;
    p->reg.extra = p->ops;
    p->reg.n_extra = p->n_ops;
    return 0;
}

void cli_plugins_free(struct cli_plugins *p)
{
    if (p == NULL)
        return;
    free(p->ops);
    free(p->ops_plugin);
    for (uint32_t i = p->n; i > 0; i--)
        dlclose(p->handles[i - 1]);
    cli_plugins_init(p);
}
