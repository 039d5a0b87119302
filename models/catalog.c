/*
 * catalog.c - lookups in the generated price catalog (catalog.h).
 *
 * A linear scan: a few hundred entries, looked up only while a scenario
 * is loaded.
 */
#include "catalog.h"

#include <stdbool.h>
#include <stdio.h>
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

/* Whether s[0..n) matches pat, where '9' stands for any digit. */
static bool shape(const char *s, const char *pat, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pat[i] == '9' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
            return false;
    return true;
}

/* Copy of s without a trailing date: "-YYYYMMDD", "-YYYY-MM-DD",
 * "@YYYYMMDD" (Vertex) or "-latest"; false when there is none. */
static bool strip_date(const char *s, char *out, size_t outlen)
{
    static const char *const suffix[] = {"-latest", "-99999999", "-9999-99-99", "@99999999"};
    size_t n = strlen(s);
    if (n >= outlen)
        return false;
    memcpy(out, s, n + 1);
    for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++) {
        size_t l = strlen(suffix[k]);
        if (n > l && shape(s + n - l, suffix[k], l)) {
            out[n - l] = '\0';
            return true;
        }
    }
    return false;
}

/* catalog_find on model, then on its undated form, then with "-latest". */
static const struct catalog_entry *find_dated(const char *model, const char **how)
{
    const struct catalog_entry *e = catalog_find(model);
    if (e != NULL)
        return e;
    char base[256], latest[272];
    if (strip_date(model, base, sizeof base)) {
        /* "-latest" first: Anthropic lists claude-3-5-haiku-latest, and
           the bare claude-3-5-haiku is another provider's (Vertex) row */
        snprintf(latest, sizeof latest, "%s-latest", base);
        if (strcmp(latest, model) != 0 && (e = catalog_find(latest)) != NULL) {
            *how = "undated id, -latest";
            return e;
        }
        if ((e = catalog_find(base)) != NULL) {
            *how = "undated id";
            return e;
        }
    }
    return NULL;
}

const struct catalog_entry *catalog_resolve(const char *model, const char **how)
{
    const char *dummy;
    if (how == NULL)
        how = &dummy;
    *how = "";
    if (model == NULL || *model == '\0')
        return NULL;
    const struct catalog_entry *e = find_dated(model, how);
    if (e != NULL)
        return e;
    char buf[256];
    const char *slash = strchr(model, '/');
    if (slash == NULL || strlen(model) >= sizeof buf)
        return NULL;
    size_t plen = (size_t)(slash - model);
    const char *rest = slash + 1;
    if ((plen == 5 && strncmp(model, "azure", 5) == 0) ||
        (plen == 8 && strncmp(model, "azure_ai", 8) == 0)) {
        snprintf(buf, sizeof buf, "openai/%s", rest);
        if ((e = find_dated(buf, how)) != NULL)
            *how = "azure/ as openai/";
        return e;
    }
    if ((plen == 7 && strncmp(model, "bedrock", 7) == 0) ||
        (plen == 3 && strncmp(model, "aws", 3) == 0)) {
        /* [region.]vendor.model[-vN:M] */
        static const char *const regions[] = {"us.", "eu.", "apac.", "global.", "jp.", "au."};
        for (size_t k = 0; k < sizeof regions / sizeof regions[0]; k++)
            if (strncmp(rest, regions[k], strlen(regions[k])) == 0) {
                rest += strlen(regions[k]);
                break;
            }
        const char *dot = strchr(rest, '.');
        if (dot == NULL)
            return NULL;
        snprintf(buf, sizeof buf, "%.*s/%s", (int)(dot - rest), rest, dot + 1);
        char *ver = strstr(buf, "-v");
        if (ver != NULL && strchr(ver, ':') != NULL)
            *ver = '\0';
        if ((e = find_dated(buf, how)) != NULL)
            *how = "bedrock/ as the model vendor's";
        return e;
    }
    if ((plen == 9 && strncmp(model, "vertex_ai", 9) == 0) ||
        (plen == 6 && strncmp(model, "vertex", 6) == 0)) {
        snprintf(buf, sizeof buf, "google/%s", rest);
        if ((e = find_dated(buf, how)) != NULL || (e = find_dated(rest, how)) != NULL)
            *how = "vertex_ai/ as google/";
        return e;
    }
    return NULL;
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
