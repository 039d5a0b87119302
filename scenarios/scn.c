/*
 * scn.c - what a loaded scenario answers without YAML: group and region
 * ids, its traffic source, SLO metric names, and strategies by name (also
 * for --strategy).
 */
#include "scn_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Strategies
 * ------------------------------------------------------------------- */

/* Message for an unknown strategy name, listing the registry. */
static void unknown_strategy(const char *name, char *msg, size_t len)
{
    char list[1024], q[64];
    size_t o = 0;
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    list[0] = '\0';
    uint32_t n = route_registry_count();
    for (uint32_t i = 0; i < n; i++) {
        const struct route_ops *ops = route_registry_at(i);
        if (ops == NULL || ops->name == NULL)
            continue;
        if (o < sizeof list) {
            int k = snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", ops->name);
            if (k > 0)
                o += (size_t)k;
        }
        scn__suggest_step(name, ops->name, &best, &best_d);
    }
    const char *s = scn__suggest_done(name, best, best_d);
    snprintf(msg, len, "found unknown strategy %s, expected one of %s%s%s%s",
             scn__quote(name, q, sizeof q), list, s ? "; did you mean '" : "", s ? s : "",
             s ? "'?" : "");
}

int scn__strategy_init(const struct route_registry *reg, struct scn_strategy *st, const char *name,
                       const char *label, char *msg, size_t len)
{
    const struct route_ops *ops =
        reg ? route_registry_lookup(reg, name) : route_registry_find(name);
    if (ops == NULL) {
        unknown_strategy(name, msg, len);
        return -1;
    }
    if (ops->n_params > ROUTE_MAX_PARAMS || (ops->n_params > 0 && ops->params == NULL)) {
        snprintf(msg, len, "found strategy '%s' with %u parameters, expected at most %u", name,
                 ops->n_params, ROUTE_MAX_PARAMS);
        return -1;
    }
    memset(st, 0, sizeof *st);
    size_t l = strlen(label);
    if (l >= sizeof st->label)
        l = sizeof st->label - 1;
    memcpy(st->label, label, l);
    st->label[l] = '\0';
    st->ops = ops;
    for (uint32_t i = 0; i < ops->n_params; i++)
        st->params[i] = ops->params[i].def;
    st->root.ops = ops;
    memcpy(st->root.params, st->params, sizeof st->params);
    st->root.weight = 1.0;
    return 0;
}

/* ---------------------------------------------------------------------
 * Names: model groups, regions and tags, ids 1..n
 * ------------------------------------------------------------------- */

int64_t scn__names_intern(char (**tab)[SCN_NAME_MAX], uint32_t *n, const char *name)
{
    for (uint32_t i = 0; i < *n; i++)
        if (strcmp((*tab)[i], name) == 0)
            return (int64_t)i + 1;
    char(*nt)[SCN_NAME_MAX] = realloc(*tab, ((size_t)*n + 1) * sizeof **tab);
    if (nt == NULL)
        return -1;
    *tab = nt;
    snprintf(nt[*n], SCN_NAME_MAX, "%s", name);
    (*n)++;
    return (int64_t)*n;
}

uint32_t scn__names_find(char (*tab)[SCN_NAME_MAX], uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(tab[i], name) == 0)
            return i + 1;
    return 0;
}

uint32_t scn_group_id(const struct scenario *s, const char *name)
{
    return scn__names_find(s->groups, s->n_groups, name);
}

uint32_t scn_region_id(const struct scenario *s, const char *name)
{
    return scn__names_find(s->regions, s->n_regions, name);
}

/* ---------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------- */

int scn_strategy_by_name(const char *name, struct scn_strategy *out, char *err, size_t errlen)
{
    return scn_strategy_by_name_ex(NULL, name, out, err, errlen);
}

int scn_strategy_by_name_ex(const struct route_registry *reg, const char *name,
                            struct scn_strategy *out, char *err, size_t errlen)
{
    char m[1400];
    if (name == NULL || out == NULL) {
        base_errf(err, errlen, "found no strategy name, expected one");
        return -1;
    }
    if (scn__strategy_init(reg, out, name, name, m, sizeof m) != 0) {
        memset(out, 0, sizeof *out);
        base_errf(err, errlen, "%s", m);
        return -1;
    }
    return 0;
}

/* The keys of `slo:` (scn_keys.def), in enum scn_slo_metric order. */
const char *scn_slo_name(enum scn_slo_metric m)
{
    if ((unsigned)m >= (unsigned)SCN_SLO_COUNT_)
        return NULL;
    return scn__slo_keys[m];
}

struct trace_src *scn_open_traffic(const struct scenario *s, uint64_t seed, char *err,
                                   size_t errlen)
{
    if (s->n_sources > 0)
        return trace_open_merge(s->sources, s->n_sources, seed, err, errlen);
    return trace_open(&s->traffic, seed, err, errlen);
}

static const char *const label_kind_names[SCN_LABEL_KINDS_] = {"tenant", "model_group", "task",
                                                               "priority", "region"};

const char *scn_label_kind_name(enum scn_label_kind k)
{
    if ((unsigned)k >= (unsigned)SCN_LABEL_KINDS_)
        return NULL;
    return label_kind_names[k];
}

enum scn_label_kind scn_label_kind_parse(const char *s)
{
    for (int k = 0; k < SCN_LABEL_KINDS_; k++)
        if (strcmp(s, label_kind_names[k]) == 0)
            return (enum scn_label_kind)k;
    return SCN_LABEL_KINDS_;
}
