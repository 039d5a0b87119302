/*
 * catalog.c - lookups in the generated price catalog (catalog.h).
 *
 * A linear scan: a few hundred entries, looked up only while a scenario
 * is loaded.
 */
#include "catalog.h"

#include <stdbool.h>
#include <string.h>

static bool entry_names(const struct catalog_entry *e, const char *model)
{
    if (strcmp(e->id, model) == 0)
        return true;
    for (uint32_t k = 0; k < e->n_aliases; k++)
        if (strcmp(e->aliases[k], model) == 0)
            return true;
    return false;
}

/* First entry of `provider` (NULL = any; plen bytes) naming `model`: ids
   before aliases, so an id never loses to another provider's alias. */
static const struct catalog_entry *find_in(const char *provider, size_t plen, const char *model)
{
    size_t n;
    const struct catalog_entry *t = catalog_data_table(&n);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (provider &&
                (strncmp(t[i].provider, provider, plen) != 0 || t[i].provider[plen] != '\0'))
                continue;
            if (pass == 0 ? strcmp(t[i].id, model) == 0 : entry_names(&t[i], model))
                return &t[i];
        }
    }
    return NULL;
}

const struct catalog_entry *catalog_find(const char *model)
{
    if (model == NULL || *model == '\0')
        return NULL;
    /* "provider/model" first, then the whole name: some ids hold a '/'
       (groq's "openai/gpt-oss-120b" is reached as "groq/openai/gpt-oss-120b";
       "openai/gpt-oss-120b" is openai's own gpt-oss-120b). */
    const char *slash = strchr(model, '/');
    if (slash != NULL && slash != model && slash[1] != '\0') {
        const struct catalog_entry *e = find_in(model, (size_t)(slash - model), slash + 1);
        if (e != NULL)
            return e;
    }
    return find_in(NULL, 0, model);
}

size_t catalog_count(void)
{
    size_t n;
    catalog_data_table(&n);
    return n;
}

const struct catalog_entry *catalog_at(size_t i)
{
    size_t n;
    const struct catalog_entry *t = catalog_data_table(&n);
    return i < n ? &t[i] : NULL;
}

const char *catalog_source(void)
{
    return catalog_data_source();
}
