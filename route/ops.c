/*
 * ops.c - validation of strategy tables (built-in or plugin: ABI major,
 * minor and table size, names, callbacks, parameters), parameter lookup and
 * the error-message helper every constructor uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "route_int.h"

void route__errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool valid_ident(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

int route_ops_check(const struct route_ops *ops, char *err, size_t errlen)
{
    const char *name;
    if (ops == NULL) {
        route__errf(err, errlen, "strategy table is NULL");
        return -1;
    }
    name = ops->name != NULL ? ops->name : "(null)";
    if (ops->abi_version != ROUTE_ABI_VERSION) {
        route__errf(err, errlen,
                    "strategy '%s': found route ABI %u, expected ABI %u: rebuild it against "
                    "this route_strategy.h",
                    name, (unsigned)ops->abi_version, (unsigned)ROUTE_ABI_VERSION);
        return -1;
    }
    if (ops->abi_minor > ROUTE_ABI_MINOR) {
        route__errf(err, errlen,
                    "strategy '%s': found route ABI %u.%u, expected at most %u.%u: it may read "
                    "fields this host does not fill",
                    name, (unsigned)ops->abi_version, (unsigned)ops->abi_minor,
                    (unsigned)ROUTE_ABI_VERSION, (unsigned)ROUTE_ABI_MINOR);
        return -1;
    }
    if (ops->ops_size < ROUTE_OPS_SIZE_3_0) {
        route__errf(err, errlen,
                    "strategy '%s': found a %u-byte table, expected at least %u bytes (ABI %u.0): "
                    "initialise it with ROUTE_OPS_INIT",
                    name, (unsigned)ops->ops_size, (unsigned)ROUTE_OPS_SIZE_3_0,
                    (unsigned)ROUTE_ABI_VERSION);
        return -1;
    }
    if (!valid_ident(ops->name)) {
        route__errf(err, errlen, "strategy '%s': name must be non-empty [a-z0-9_]", name);
        return -1;
    }
    if (ops->pick == NULL || ops->create == NULL) {
        route__errf(err, errlen, "strategy '%s': %s callback is NULL", name,
                    ops->pick == NULL ? "pick" : "create");
        return -1;
    }
    if (ops->min_children > ops->max_children) {
        route__errf(err, errlen, "strategy '%s': min_children %u > max_children %u", name,
                    (unsigned)ops->min_children, (unsigned)ops->max_children);
        return -1;
    }
    if (ops->n_params > ROUTE_MAX_PARAMS) {
        route__errf(err, errlen, "strategy '%s': %u parameters, at most %u", name,
                    (unsigned)ops->n_params, (unsigned)ROUTE_MAX_PARAMS);
        return -1;
    }
    if (ops->n_params > 0 && ops->params == NULL) {
        route__errf(err, errlen, "strategy '%s': %u parameters but params is NULL", name,
                    (unsigned)ops->n_params);
        return -1;
    }
    for (uint32_t i = 0; i < ops->n_params; i++) {
        const struct route_param *p = &ops->params[i];
        if (!valid_ident(p->name)) {
            route__errf(err, errlen, "strategy '%s': parameter %u name must be non-empty [a-z0-9_]",
                        name, (unsigned)i);
            return -1;
        }
        /* Written so NaN fails too. */
        if (!(p->min <= p->max) || !(p->def >= p->min && p->def <= p->max)) {
            route__errf(err, errlen,
                        "strategy '%s': parameter '%s' default %g outside its range [%g, %g]", name,
                        p->name, p->def, p->min, p->max);
            return -1;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(ops->params[j].name, p->name) == 0) {
                route__errf(err, errlen, "strategy '%s': parameter '%s' defined twice", name,
                            p->name);
                return -1;
            }
        }
    }
    return 0;
}

int route_param_index(const struct route_ops *ops, const char *name)
{
    if (ops == NULL || name == NULL || ops->params == NULL)
        return -1;
    for (uint32_t i = 0; i < ops->n_params && i < ROUTE_MAX_PARAMS; i++) {
        if (ops->params[i].name != NULL && strcmp(ops->params[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}
