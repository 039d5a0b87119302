/*
 * scn_litellm.c - a LiteLLM proxy config.yaml as native scenario keys
 * (scn_import.h, scn__import_litellm in scn_int.h).
 *
 * The rules are LiteLLM's as of the pinned version (SCN_LITELLM_EMULATED),
 * key by key from docs/notes/litellm-replay.md section "2. importer spec"
 * (3.1 model_list entries, 3.2 model_info, 3.3 router_settings, 3.4
 * litellm_settings, 3.5 general_settings and environment) and 2.3-2.6
 * (cooldowns, retries, fallbacks, timeouts, order).  The proxy passes
 * router_settings keys to Router() only when they are constructor
 * arguments and drops the others silently
 * (L:litellm/proxy/proxy_server.py:2618-2643, litellm-replay.md "2.
 * importer spec"); litellm_settings keys are module globals the Router
 * reads only as fallbacks (3.4).  Every key of the file gets one report
 * line; the table of every known key is docs/litellm-import.md.
 *
 * The output is one mapping {accounts, backends, router} of native keys
 * added to the destination document; its nodes carry SCN__IMPORT_MARK
 * marks with the line and column of the LiteLLM key they come from, so
 * the loader's messages about them point into the LiteLLM file.
 */
#include "scn_import.h"
#include "scn_int.h"
#include "scn_litellm_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* ---------------------------------------------------------------------
 * LiteLLM's constants (litellm-replay.md 3.3-3.5; L:litellm/constants.py)
 * ------------------------------------------------------------------- */

/* The semaphore from tpm: int(tpm / 1000 * 6), at least 1
 * (L:litellm/utils.py calculate_max_parallel_requests). */
#define LLM_TPM_TO_PARALLEL(tpm) ((tpm) / 1000.0 * 6.0)

#define LLM_DEFAULT_TTFT     SCN__IMPORT_DEFAULT_TTFT
#define LLM_DEFAULT_OUT_RATE SCN__IMPORT_DEFAULT_OUT_RATE

/* Scale of fractional simple-shuffle weights (native weights are whole). */
#define LLM_WEIGHT_SCALE 1000.0

/* ---------------------------------------------------------------------
 * The import's context
 * ------------------------------------------------------------------- */

int scn__llm_fail(struct lt *t, const yaml_node_t *n, const char *fmt, ...) SCN__PRINTF(3, 4);
int scn__llm_fail(struct lt *t, const yaml_node_t *n, const char *fmt, ...)
{
    int k = snprintf(t->im->err, t->im->errlen, "%s:%zu:%zu: ", t->im->path,
                     n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < t->im->errlen)
        vsnprintf(t->im->err + k, t->im->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

int scn__llm_oom(struct lt *t)
{
    return scn__llm_fail(t, NULL, "found no memory left, expected to import the file");
}

/* A report line at node n (NULL: the file). */
void scn__llm_note(struct lt *t, enum scn_import_class cls, const yaml_node_t *n, const char *key,
                   const char *fmt, ...) SCN__PRINTF(5, 6);

int scn__import_note_add(struct scn_import_report *r, const char *file, enum scn_import_class cls,
                         uint32_t line, uint32_t col, const char *key, const char *text);

void scn__llm_note(struct lt *t, enum scn_import_class cls, const yaml_node_t *n, const char *key,
                   const char *fmt, ...)
{
    char text[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    scn__import_note_add(t->im->rep, t->im->path, cls, n ? (uint32_t)n->start_mark.line + 1 : 0,
                         n ? (uint32_t)n->start_mark.column + 1 : 0, key, text);
}

/* ---- the source document ------------------------------------------------ */

const yaml_node_t *scn__llm_node(struct lt *t, int id)
{
    return yaml_document_get_node(&t->src, id);
}

const char *scn__llm_str(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The key node of `key` in mapping m (for positions), and its value. */
static const yaml_node_t *get2(struct lt *t, const yaml_node_t *m, const char *key,
                               const yaml_node_t **kn)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = scn__llm_node(t, p->key);
        if (k && scn__llm_str(k) && strcmp(scn__llm_str(k), key) == 0) {
            if (kn)
                *kn = k;
            return scn__llm_node(t, p->value);
        }
    }
    return NULL;
}

const yaml_node_t *scn__llm_get(struct lt *t, const yaml_node_t *m, const char *key)
{
    return get2(t, m, key, NULL);
}

bool scn__llm_is_null(const yaml_node_t *n)
{
    const char *s = scn__llm_str(n);
    return n == NULL || (s && (s[0] == '\0' || strcmp(s, "null") == 0 || strcmp(s, "~") == 0 ||
                               strcmp(s, "None") == 0));
}

const char *scn__llm_describe(const yaml_node_t *n)
{
    if (n == NULL)
        return "nothing";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    return "a scalar";
}

/* "os.environ/NAME" values: LiteLLM reads them from the process
 * environment (L:litellm/proxy/proxy_server.py get_secret); the import
 * looks them up in the file's environment_variables: only. */
static const char *env_ref(const char *s)
{
    return s && strncmp(s, "os.environ/", 11) == 0 ? s + 11 : NULL;
}

static const char *env_value(struct lt *t, const char *name)
{
    return scn__llm_str(scn__llm_get(t, t->env, name));
}

/* A number, resolving os.environ/ references through environment_variables.
 * 1 = *v set, 0 = absent or null, -1 = error (bad type). */
int scn__llm_num(struct lt *t, const yaml_node_t *n, const char *key, double *v)
{
    if (scn__llm_is_null(n))
        return 0;
    const char *s = scn__llm_str(n);
    if (s == NULL)
        return scn__llm_fail(t, n, "found %s for '%s', expected a number", scn__llm_describe(n),
                             key);
    const char *ev = env_ref(s);
    if (ev) {
        const char *val = env_value(t, ev);
        if (val == NULL) {
            scn__llm_note(t, SCN_IMP_UNSUPPORTED, n, key,
                          "its value comes from the environment variable %s, which "
                          "environment_variables: does not give",
                          ev);
            return 0;
        }
        s = val;
    }
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(d) || d < 0)
        return scn__llm_fail(t, n, "found '%.60s' for '%s', expected a non-negative number", s,
                             key);
    *v = d;
    return 1;
}

/* A boolean as YAML or Python writes it.  1/0 = value, -1 = error. */
int scn__llm_boolean(struct lt *t, const yaml_node_t *n, const char *key, bool *v)
{
    const char *s = scn__llm_str(n);
    if (s == NULL)
        return scn__llm_fail(t, n, "found %s for '%s', expected true or false",
                             scn__llm_describe(n), key);
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off", "0"};
    for (size_t i = 0; i < SCN__NELEM(yes); i++)
        if (strcmp(s, yes[i]) == 0)
            return *v = true, 1;
    for (size_t i = 0; i < SCN__NELEM(no); i++)
        if (strcmp(s, no[i]) == 0)
            return *v = false, 1;
    return scn__llm_fail(t, n, "found '%.60s' for '%s', expected true or false", s, key);
}

int scn__llm_want_map(struct lt *t, const yaml_node_t *n, const char *what)
{
    if (n != NULL && n->type != YAML_MAPPING_NODE && !scn__llm_is_null(n))
        return scn__llm_fail(t, n, "found %s for '%s', expected a mapping", scn__llm_describe(n),
                             what);
    return 0;
}

/* ---- the destination document -------------------------------------------- */

static yaml_mark_t mark_of(const yaml_node_t *n)
{
    yaml_mark_t m = {SCN__IMPORT_MARK, 0, 0};
    if (n) {
        m.line = n->start_mark.line;
        m.column = n->start_mark.column;
    }
    return m;
}

static void set_mark(struct lt *t, int id, const yaml_node_t *at)
{
    yaml_node_t *d = yaml_document_get_node(t->im->dst, id);
    if (d) {
        d->start_mark = mark_of(at);
        d->end_mark = d->start_mark;
    }
}

static int scal(struct lt *t, const yaml_node_t *at, const char *fmt, ...) SCN__PRINTF(3, 4);
static int scal(struct lt *t, const yaml_node_t *at, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    int id = yaml_document_add_scalar(t->im->dst, NULL, (const yaml_char_t *)b, (int)strlen(b),
                                      YAML_PLAIN_SCALAR_STYLE);
    if (id)
        set_mark(t, id, at);
    return id;
}

static int new_map(struct lt *t, const yaml_node_t *at, bool flow)
{
    int id = yaml_document_add_mapping(t->im->dst, NULL,
                                       flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    if (id)
        set_mark(t, id, at);
    return id;
}

static int new_seq(struct lt *t, const yaml_node_t *at, bool flow)
{
    int id = yaml_document_add_sequence(
        t->im->dst, NULL, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (id)
        set_mark(t, id, at);
    return id;
}

/* map[key] = value (ids); 0 on failure. */
static int put(struct lt *t, int map, const yaml_node_t *at, const char *key, int value)
{
    if (map == 0 || value == 0)
        return 0;
    int k = scal(t, at, "%s", key);
    return k && yaml_document_append_mapping_pair(t->im->dst, map, k, value) ? 1 : 0;
}

static int putf(struct lt *t, int map, const yaml_node_t *at, const char *key, const char *fmt, ...)
    SCN__PRINTF(5, 6);
static int putf(struct lt *t, int map, const yaml_node_t *at, const char *key, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    return put(t, map, at, key, scal(t, at, "%s", b));
}

static int push(struct lt *t, int seq, int item)
{
    return seq && item && yaml_document_append_sequence_item(t->im->dst, seq, item) ? 1 : 0;
}

/* A copy of source node n (a scalar, list or mapping of scalars) into dst. */
static int copy(struct lt *t, const yaml_node_t *n, unsigned depth)
{
    if (n == NULL || depth > 16)
        return 0;
    if (n->type == YAML_SCALAR_NODE)
        return scal(t, n, "%s", scn__llm_str(n));
    if (n->type == YAML_SEQUENCE_NODE) {
        int s = new_seq(t, n, true);
        for (yaml_node_item_t *i = n->data.sequence.items.start;
             s && i < n->data.sequence.items.top; i++)
            if (!push(t, s, copy(t, scn__llm_node(t, *i), depth + 1)))
                return 0;
        return s;
    }
    int m = new_map(t, n, true);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; m && p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = scn__llm_node(t, p->key);
        if (!scn__llm_str(k) ||
            !put(t, m, k, scn__llm_str(k), copy(t, scn__llm_node(t, p->value), depth + 1)))
            return 0;
    }
    return m;
}

/* ---------------------------------------------------------------------
 * Deployments
 * ------------------------------------------------------------------- */

/* The provider of a deployment: custom_llm_provider, else the prefix of
 * litellm_params.model, else openai (L:litellm get_llm_provider). */
static void provider_of(struct lt *t, const struct dep *d, char *out, size_t cap)
{
    const char *p = scn__llm_str(scn__llm_get(t, d->lp, "custom_llm_provider"));
    if (p) {
        snprintf(out, cap, "%s", p);
        return;
    }
    const char *slash = strchr(d->model, '/');
    size_t len = slash ? (size_t)(slash - d->model) : 6;
    if (len >= cap)
        len = cap - 1;
    memcpy(out, slash ? d->model : "openai", len);
    out[len] = '\0';
}

/* A printable account name: [A-Za-z0-9_.-]. */
static void clean_name(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == '-'))
            *s = '-';
}

static int read_deployments(struct lt *t)
{
    char key[256];
    if (t->ml == NULL)
        return scn__llm_fail(
            t, t->root,
            "found a LiteLLM config without 'model_list', expected a list of deployments");
    if (t->ml->type != YAML_SEQUENCE_NODE)
        return scn__llm_fail(t, t->ml, "found %s for 'model_list', expected a list of deployments",
                             scn__llm_describe(t->ml));
    t->n = (size_t)(t->ml->data.sequence.items.top - t->ml->data.sequence.items.start);
    if (t->n == 0)
        return scn__llm_fail(t, t->ml,
                             "found an empty 'model_list', expected at least one deployment");
    if (t->n > ROUTE_MAX_BACKENDS)
        return scn__llm_fail(t, t->ml, "found %zu deployments, expected at most %u", t->n,
                             ROUTE_MAX_BACKENDS);
    t->deps = calloc(t->n, sizeof *t->deps);
    if (t->deps == NULL)
        return scn__llm_oom(t);
    for (size_t i = 0; i < t->n; i++) {
        struct dep *d = &t->deps[i];
        d->index = i;
        d->entry = scn__llm_node(t, t->ml->data.sequence.items.start[i]);
        if (d->entry == NULL || d->entry->type != YAML_MAPPING_NODE)
            return scn__llm_fail(t, d->entry,
                                 "found %s in 'model_list', expected a deployment mapping "
                                 "with model_name and litellm_params",
                                 scn__llm_describe(d->entry));
        const yaml_node_t *mn = scn__llm_get(t, d->entry, "model_name");
        d->group = scn__llm_str(mn);
        if (mn == NULL)
            return scn__llm_fail(
                t, d->entry,
                "found a deployment without 'model_name', expected "
                "'model_name': the model group clients call (LiteLLM rejects it too)");
        if (d->group == NULL || d->group[0] == '\0' || strlen(d->group) >= SCN_NAME_MAX)
            return scn__llm_fail(t, mn,
                                 "found %s for 'model_name', expected a name of 1 to %d "
                                 "characters",
                                 scn__llm_describe(mn), SCN_NAME_MAX - 1);
        d->lp = scn__llm_get(t, d->entry, "litellm_params");
        if (d->lp == NULL)
            return scn__llm_fail(t, d->entry,
                                 "found a deployment without 'litellm_params', expected "
                                 "'litellm_params' with at least 'model' (LiteLLM rejects it too)");
        if (d->lp->type != YAML_MAPPING_NODE)
            return scn__llm_fail(t, d->lp, "found %s for 'litellm_params', expected a mapping",
                                 scn__llm_describe(d->lp));
        const yaml_node_t *mo = scn__llm_get(t, d->lp, "model");
        d->model = scn__llm_str(mo);
        if (mo == NULL)
            return scn__llm_fail(t, d->lp,
                                 "found 'litellm_params' without 'model', expected "
                                 "'model': provider/model (LiteLLM rejects it too)");
        if (d->model == NULL || d->model[0] == '\0' || strlen(d->model) >= SCN_NAME_MAX)
            return scn__llm_fail(t, mo,
                                 "found %s for 'litellm_params.model', expected provider/model "
                                 "of 1 to %d characters",
                                 scn__llm_describe(mo), SCN_NAME_MAX - 1);
        d->mi = scn__llm_get(t, d->entry, "model_info");
        if (scn__llm_want_map(t, d->mi, "model_info"))
            return -1;
        /* the name: model_info.id, else <model_name>/<index in its group> */
        const yaml_node_t *idn = scn__llm_get(t, d->mi, "id");
        if (idn && !scn__llm_is_null(idn)) {
            if (scn__llm_str(idn) == NULL || strlen(scn__llm_str(idn)) >= SCN_NAME_MAX)
                return scn__llm_fail(t, idn,
                                     "found %s for 'model_info.id', expected a deployment id of "
                                     "1 to %d characters",
                                     scn__llm_describe(idn), SCN_NAME_MAX - 1);
            snprintf(d->name, sizeof d->name, "%s", scn__llm_str(idn));
        } else {
            size_t k = 0;
            for (size_t j = 0; j < i; j++)
                k += strcmp(t->deps[j].group, d->group) == 0;
            snprintf(d->name, sizeof d->name, "%s/%zu", d->group, k);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->deps[j].name, d->name) == 0)
                return scn__llm_fail(
                    t, idn ? idn : mn,
                    "found deployment id '%s' twice (first in model_list[%zu]), "
                    "expected unique model_info.id values (LiteLLM rejects duplicates)",
                    d->name, j);
        /* numbers; rpm/tpm in LiteLLM's order: top level, litellm_params,
         * model_info (L:litellm/router_strategy/ lowest_*.py: deployment.get("rpm") or
         * litellm_params or model_info; 3.1) */
        d->rpm_lp = d->tpm_lp = d->weight = d->rpm = d->tpm = d->order = -1;
        double v;
        int r;
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.rpm", i);
        if ((r = scn__llm_num(t, scn__llm_get(t, d->lp, "rpm"), key, &v)) < 0)
            return -1;
        if (r)
            d->rpm_lp = v;
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.tpm", i);
        if ((r = scn__llm_num(t, scn__llm_get(t, d->lp, "tpm"), key, &v)) < 0)
            return -1;
        if (r)
            d->tpm_lp = v;
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.weight", i);
        if ((r = scn__llm_num(t, scn__llm_get(t, d->lp, "weight"), key, &v)) < 0)
            return -1;
        if (r)
            d->weight = v;
        const char *srcs[3] = {"", "litellm_params.", "model_info."};
        const yaml_node_t *maps[3] = {d->entry, d->lp, d->mi};
        for (int s = 2; s >= 0; s--) {
            snprintf(key, sizeof key, "model_list[%zu].%srpm", i, srcs[s]);
            if ((r = scn__llm_num(t, scn__llm_get(t, maps[s], "rpm"), key, &v)) < 0)
                return -1;
            if (r)
                d->rpm = v;
            snprintf(key, sizeof key, "model_list[%zu].%stpm", i, srcs[s]);
            if ((r = scn__llm_num(t, scn__llm_get(t, maps[s], "tpm"), key, &v)) < 0)
                return -1;
            if (r)
                d->tpm = v;
        }
        /* order: litellm_params first, then model_info (2026,
         * L:litellm/utils.py _get_deployment_order) */
        snprintf(key, sizeof key, "model_list[%zu].model_info.order", i);
        if ((r = scn__llm_num(t, scn__llm_get(t, d->mi, "order"), key, &v)) < 0)
            return -1;
        if (r)
            d->order = v;
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.order", i);
        if ((r = scn__llm_num(t, scn__llm_get(t, d->lp, "order"), key, &v)) < 0)
            return -1;
        if (r)
            d->order = v;
        /* the account: (provider, key or credential, api_base, organization);
         * os.environ/ references compare by name */
        char prov[48];
        provider_of(t, d, prov, sizeof prov);
        snprintf(d->account, sizeof d->account, "%s", prov);
        clean_name(d->account);
    }
    return 0;
}

/* The identity tuple of deployment d, for account grouping. */
static void identity(struct lt *t, const struct dep *d, char *out, size_t cap)
{
    const char *k = scn__llm_str(scn__llm_get(t, d->lp, "api_key"));
    const char *cred = scn__llm_str(scn__llm_get(t, d->lp, "litellm_credential_name"));
    const char *base = scn__llm_str(scn__llm_get(t, d->lp, "api_base"));
    const char *org = scn__llm_str(scn__llm_get(t, d->lp, "organization"));
    snprintf(out, cap, "%s\x1f%s\x1f%s\x1f%s", d->account,
             cred ? cred
             : k  ? k
                  : "",
             base ? base : "", org ? org : "");
}

/* ---------------------------------------------------------------------
 * The output: accounts, backends, router
 * ------------------------------------------------------------------- */

bool scn__llm_simple_shuffle(const struct settings *s)
{
    return strcmp(s->strategy, "simple-shuffle") == 0;
}

/* The simple-shuffle weight source of each group: weight if any of its
 * deployments has one, else rpm, else tpm, from litellm_params only;
 * missing values count 0 (L:litellm/router_strategy/simple_shuffle.py:
 * 43-58; 2026 scans the candidates, 2.2).  -1 = no weights (uniform). */
double scn__llm_shuffle_weight(struct lt *t, const struct dep *d)
{
    bool w = false, r = false, k = false;
    for (size_t j = 0; j < t->n; j++) {
        const struct dep *e = &t->deps[j];
        if (strcmp(e->group, d->group) != 0)
            continue;
        w |= e->weight >= 0;
        r |= e->rpm_lp >= 0;
        k |= e->tpm_lp >= 0;
    }
    double v = w ? d->weight : r ? d->rpm_lp : k ? d->tpm_lp : -2;
    if (v == -2)
        return -1;
    return v < 0 ? 0 : v;
}

static bool any_weights(struct lt *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (scn__llm_shuffle_weight(t, &t->deps[i]) > 0)
            return true;
    return false;
}

static bool fractional_weights(struct lt *t)
{
    for (size_t i = 0; i < t->n; i++) {
        double w = scn__llm_shuffle_weight(t, &t->deps[i]);
        if (w > 0 && w != floor(w))
            return true;
    }
    return false;
}

static bool any_order(struct lt *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->deps[i].order >= 0)
            return true;
    return false;
}

/* A duration node of litellm_params/model_info key `k` into backend map b
 * as `out`, with its report line.  -1 on error. */
static int dep_duration(struct lt *t, const struct dep *d, const yaml_node_t *m, const char *mname,
                        const char *k, int b, const char *out)
{
    char key[256];
    double v;
    const yaml_node_t *n = scn__llm_get(t, m, k);
    snprintf(key, sizeof key, "model_list[%zu].%s.%s", d->index, mname, k);
    int r = scn__llm_num(t, n, key, &v);
    if (r < 0)
        return -1;
    if (r) {
        if (!putf(t, b, n, out, "%gs", v))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_MAPPED, n, key, "backends[%s].%s: %gs", d->name, out, v);
    }
    return r;
}

static int emit_backend(struct lt *t, const struct settings *s, struct dep *d, int seq,
                        bool weights, double wscale, bool order)
{
    char key[256];
    double v;
    int r;
    const yaml_node_t *n;
    int b = new_map(t, d->entry, false);
    if (!push(t, seq, b) ||
        !putf(t, b, scn__llm_get(t, d->mi, "id") ? scn__llm_get(t, d->mi, "id") : d->entry, "name",
              "%s", d->name) ||
        !putf(t, b, scn__llm_get(t, d->entry, "model_name"), "group", "%s", d->group) ||
        !putf(t, b, scn__llm_get(t, d->lp, "model"), "model", "%s", d->model) ||
        !putf(t, b, d->lp, "account", "%s", d->account))
        return scn__llm_oom(t);
    snprintf(key, sizeof key, "model_list[%zu].model_name", d->index);
    scn__llm_note(t, SCN_IMP_MAPPED, scn__llm_get(t, d->entry, "model_name"), key,
                  "backends[%s].group: %s", d->name, d->group);
    snprintf(key, sizeof key, "model_list[%zu].litellm_params.model", d->index);
    const char *how = NULL;
    const struct catalog_entry *ce = catalog_resolve(d->model, &how);
    bool lp_price = scn__llm_get(t, d->lp, "input_cost_per_token") ||
                    scn__llm_get(t, d->lp, "output_cost_per_token") ||
                    scn__llm_get(t, d->mi, "input_cost_per_token") ||
                    scn__llm_get(t, d->mi, "output_cost_per_token");
    if (ce)
        scn__llm_note(t, SCN_IMP_APPROX, scn__llm_get(t, d->lp, "model"), key,
                      "backends[%s].model: %s (lbsim's genai-prices catalog entry %s/%s%s%s, not "
                      "LiteLLM's cost map)",
                      d->name, d->model, ce->provider, ce->id, how && how[0] ? ", " : "",
                      how ? how : "");
    else
        scn__llm_note(t, lp_price ? SCN_IMP_MAPPED : SCN_IMP_UNSUPPORTED,
                      scn__llm_get(t, d->lp, "model"), key,
                      lp_price ? "backends[%s].model: %s (priced from the config)"
                               : "backends[%s].model: %s is not in lbsim's price catalog: give "
                                 "input_cost_per_token/output_cost_per_token or backends[].prices "
                                 "(the loader refuses an unpriced model)",
                      d->name, d->model);
    if (ce && !lp_price)
        scn__llm_note(t, SCN_IMP_DEFAULTED, scn__llm_get(t, d->lp, "model"), key,
                      "prices of %s from the catalog: $%g/$%g per Mtok in/out, context window %lld",
                      d->name, ce->input_usd_per_mtok, ce->output_usd_per_mtok,
                      (long long)ce->context_window);
    if (scn__llm_get(t, d->mi, "id")) {
        snprintf(key, sizeof key, "model_list[%zu].model_info.id", d->index);
        scn__llm_note(t, SCN_IMP_MAPPED, scn__llm_get(t, d->mi, "id"), key, "backends[].name: %s",
                      d->name);
    }

    /* weight (simple-shuffle only) */
    if (weights) {
        double w = scn__llm_shuffle_weight(t, d);
        if (w < 0)
            w = 1; /* a group with no weights at all: uniform */
        if (!putf(t, b, d->lp, "weight", "%.0f", floor(w * wscale + 0.5)))
            return scn__llm_oom(t);
    }
    /* order -> tier (always on in 2026: L:litellm/utils.py
     * _get_order_filtered_deployments; 2.6 "order") */
    if (order) {
        if (!putf(t, b, d->lp, "tier", "%.0f", d->order >= 0 ? d->order : 0))
            return scn__llm_oom(t);
    }
    /* the concurrency semaphore: max_parallel_requests, else rpm, else
     * int(tpm/1000*6) (at least 1), else default_max_parallel_requests;
     * litellm_params only (L:litellm/utils.py calculate_max_parallel_requests) */
    double mp = -1;
    n = scn__llm_get(t, d->lp, "max_parallel_requests");
    snprintf(key, sizeof key, "model_list[%zu].litellm_params.max_parallel_requests", d->index);
    if ((r = scn__llm_num(t, n, key, &v)) < 0)
        return -1;
    if (r) {
        mp = v;
        scn__llm_note(
            t, SCN_IMP_APPROX, n, key,
            "backends[%s].max_inflight: %g (the pick skips a saturated deployment; a group with "
            "all saturated answers 429 into the retry loop, as LiteLLM 2026 rejects at the limit)",
            d->name, v);
    } else if (d->rpm_lp >= 0) {
        mp = d->rpm_lp;
    } else if (d->tpm_lp >= 0) {
        mp = floor(LLM_TPM_TO_PARALLEL(d->tpm_lp));
        if (mp < 1)
            mp = 1;
    } else if (s->default_max_parallel >= 0) {
        mp = s->default_max_parallel;
    }
    if (mp > 0 && !putf(t, b, d->lp, "max_inflight", "%.0f", mp))
        return scn__llm_oom(t);
    /* declared rpm/tpm: what the strategies and filters see */
    if (d->rpm >= 0 || d->tpm >= 0) {
        int rl = new_map(t, d->lp, true);
        if (!put(t, b, d->lp, "router_limits", rl) ||
            (d->rpm >= 0 && !putf(t, rl, d->lp, "rpm", "%.0f", d->rpm)) ||
            (d->tpm >= 0 && !putf(t, rl, d->lp, "tpm", "%.0f", d->tpm)))
            return scn__llm_oom(t);
    }
    const char *srcs[3] = {"", "litellm_params.", "model_info."};
    const yaml_node_t *maps[3] = {d->entry, d->lp, d->mi};
    for (int k = 0; k < 3; k++)
        for (int q = 0; q < 2; q++) {
            const char *kk = q ? "tpm" : "rpm";
            n = scn__llm_get(t, maps[k], kk);
            if (n == NULL)
                continue;
            snprintf(key, sizeof key, "model_list[%zu].%s%s", d->index, srcs[k], kk);
            char extra[160] = "";
            if (k == 1)
                snprintf(extra, sizeof extra, "; %s%s",
                         weights ? "the simple-shuffle weight "
                                   "source; "
                                 : "",
                         q && mp > 0 ? "max_inflight from tpm/1000*6"
                                     : "the concurrency semaphore max_inflight");
            scn__llm_note(t, SCN_IMP_MAPPED, n, key,
                          "backends[%s].router_limits.%s (declared, what "
                          "the router sees; provider limits stay separate)%s",
                          d->name, kk, extra);
        }
    if (d->weight >= 0) {
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.weight", d->index);
        scn__llm_note(t,
                      weights ? (wscale != 1 ? SCN_IMP_APPROX : SCN_IMP_MAPPED) : SCN_IMP_IGNORED,
                      scn__llm_get(t, d->lp, "weight"), key,
                      weights ? (wscale != 1 ? "backends[].weight x1000 (native weights are whole)"
                                             : "backends[].weight")
                              : "weights are read by simple-shuffle only");
    }
    if (scn__llm_get(t, d->lp, "order") || scn__llm_get(t, d->mi, "order")) {
        snprintf(key, sizeof key, "model_list[%zu].%s.order", d->index,
                 scn__llm_get(t, d->lp, "order") ? "litellm_params" : "model_info");
        scn__llm_note(
            t, SCN_IMP_APPROX,
            scn__llm_get(t, d->lp, "order") ? scn__llm_get(t, d->lp, "order")
                                            : scn__llm_get(t, d->mi, "order"),
            key,
            "backends[%s].tier under an ordered_priority wrapper (the 2026 order-fallback "
            "chain with its own retries is not modelled: a tier spills when empty)",
            d->name);
    }
    /* timeouts, retries, cooldown per deployment */
    if (dep_duration(t, d, d->lp, "litellm_params", "timeout", b, "timeout") < 0)
        return -1;
    if (scn__llm_get(t, d->lp, "timeout") == NULL &&
        dep_duration(t, d, d->lp, "litellm_params", "request_timeout", b, "timeout") < 0)
        return -1;
    if (dep_duration(t, d, d->lp, "litellm_params", "stream_timeout", b, "stream_timeout") < 0)
        return -1;
    n = scn__llm_get(t, d->lp, "num_retries");
    snprintf(key, sizeof key, "model_list[%zu].litellm_params.num_retries", d->index);
    if ((r = scn__llm_num(t, n, key, &v)) < 0)
        return -1;
    if (r) {
        if (!putf(t, b, n, "num_retries", "%.0f", v))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_MAPPED, n, key, "backends[%s].num_retries: %g", d->name, v);
    }
    /* cooldown_time: model_info first (2026), then litellm_params */
    const yaml_node_t *cm = scn__llm_get(t, d->mi, "cooldown_time") ? d->mi : d->lp;
    if (dep_duration(t, d, cm, cm == d->mi ? "model_info" : "litellm_params", "cooldown_time", b,
                     "cooldown_time") < 0)
        return -1;
    /* prices: USD per token x 1e6 = USD per Mtok (scn_backends.c prices:) */
    const yaml_node_t *pin = scn__llm_get(t, d->lp, "input_cost_per_token");
    const yaml_node_t *pout = scn__llm_get(t, d->lp, "output_cost_per_token");
    if (!pin)
        pin = scn__llm_get(t, d->mi, "input_cost_per_token");
    if (!pout)
        pout = scn__llm_get(t, d->mi, "output_cost_per_token");
    if (pin || pout) {
        int pm = new_map(t, pin ? pin : pout, true);
        if (!put(t, b, pin ? pin : pout, "prices", pm))
            return scn__llm_oom(t);
        const yaml_node_t *pp[2] = {pin, pout};
        const char *pk[2] = {"input", "output"};
        for (int k = 0; k < 2; k++) {
            if (pp[k] == NULL)
                continue;
            snprintf(key, sizeof key, "model_list[%zu].%s.%s_cost_per_token", d->index,
                     pp[k] == scn__llm_get(t, d->lp,
                                           k ? "output_cost_per_token" : "input_cost_per_token")
                         ? "litellm_params"
                         : "model_info",
                     pk[k]);
            if ((r = scn__llm_num(t, pp[k], key, &v)) < 0)
                return -1;
            if (r && !putf(t, pm, pp[k], pk[k], "$%.10g", v * 1e6))
                return scn__llm_oom(t);
            if (r)
                scn__llm_note(t, SCN_IMP_MAPPED, pp[k], key,
                              "backends[%s].prices.%s: $%.10g per Mtok", d->name, pk[k], v * 1e6);
        }
    }
    n = scn__llm_get(t, d->mi, "max_input_tokens");
    snprintf(key, sizeof key, "model_list[%zu].model_info.max_input_tokens", d->index);
    if ((r = scn__llm_num(t, n, key, &v)) < 0)
        return -1;
    if (r) {
        if (!putf(t, b, n, "context_window", "%.0f", v))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_APPROX, n, key,
                      "backends[%s].context_window: %g (checked with "
                      "input + max_tokens)",
                      d->name, v);
    }
    n = scn__llm_get(t, d->lp, "region_name");
    if (n && scn__llm_str(n)) {
        if (!putf(t, b, n, "region", "%s", scn__llm_str(n)))
            return scn__llm_oom(t);
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.region_name", d->index);
        scn__llm_note(t, SCN_IMP_APPROX, n, key,
                      "backends[%s].region (allowed_model_region checks "
                      "only with pre-call checks)",
                      d->name);
    }
    n = scn__llm_get(t, d->lp, "tags");
    if (n && n->type == YAML_SEQUENCE_NODE) {
        if (!put(t, b, n, "tags", copy(t, n, 0)))
            return scn__llm_oom(t);
        snprintf(key, sizeof key, "model_list[%zu].litellm_params.tags", d->index);
        scn__llm_note(t, SCN_IMP_APPROX, n, key,
                      "backends[%s].tags (static; request tags are not "
                      "modelled)",
                      d->name);
    }
    n = scn__llm_get(t, d->lp, "max_budget");
    snprintf(key, sizeof key, "model_list[%zu].litellm_params.max_budget", d->index);
    if ((r = scn__llm_num(t, n, key, &v)) < 0)
        return -1;
    if (r) {
        int bm = new_map(t, n, true);
        const char *win = scn__llm_str(scn__llm_get(t, d->lp, "budget_duration"));
        if (!put(t, b, n, "budget", bm) || !putf(t, bm, n, "usd", "$%g", v) ||
            (win && !putf(t, bm, scn__llm_get(t, d->lp, "budget_duration"), "window", "%s", win)))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_APPROX, n, key,
                      "backends[%s].budget (lbsim counts every billed "
                      "dollar; LiteLLM adds spend on success)",
                      d->name);
    }
    /* identity keys: the account */
    static const char *const idk[] = {"api_key", "api_base", "organization",
                                      "litellm_credential_name", "custom_llm_provider"};
    for (size_t k = 0; k < SCN__NELEM(idk); k++)
        if ((n = scn__llm_get(t, d->lp, idk[k])) != NULL) {
            snprintf(key, sizeof key, "model_list[%zu].litellm_params.%s", d->index, idk[k]);
            scn__llm_note(t, SCN_IMP_MAPPED, n, key,
                          "backends[%s].account: %s (deployments sharing "
                          "provider, key or credential, api_base and organization share one quota)",
                          d->name, d->account);
        }
    /* the provider side the config does not describe */
    int lat = new_map(t, d->entry, true);
    if (!put(t, b, d->entry, "latency", lat) || !putf(t, lat, d->entry, "ttft", LLM_DEFAULT_TTFT) ||
        !putf(t, lat, d->entry, "output_rate", LLM_DEFAULT_OUT_RATE))
        return scn__llm_oom(t);
    snprintf(key, sizeof key, "backends[%s].latency", d->name);
    scn__llm_note(
        t, SCN_IMP_DEFAULTED, d->entry, key,
        "ttft %s, output_rate %s tok/s (gpt-4o medians, llm-speed-benchmark 2024); give a "
        "scenario backend of this name to supply the real one",
        LLM_DEFAULT_TTFT, LLM_DEFAULT_OUT_RATE);
    snprintf(key, sizeof key, "backends[%s].limits", d->name);
    scn__llm_note(t, SCN_IMP_DEFAULTED, d->entry, key,
                  "none: the provider's real rate limits are not in a LiteLLM config (give them on "
                  "accounts[%s] or the backend)",
                  d->account);
    /* the keys with no code of their own */
    snprintf(key, sizeof key, "model_list[%zu].litellm_params", d->index);
    scn__llm_note_table(t, d->lp, key, scn__llm_lp_keys, scn__llm_n_lp_keys, SCN_IMP_IGNORED,
                        "passed to the provider call; no routing effect");
    snprintf(key, sizeof key, "model_list[%zu].model_info", d->index);
    scn__llm_note_table(t, d->mi, key, scn__llm_mi_keys, scn__llm_n_mi_keys, SCN_IMP_IGNORED,
                        "deployment metadata; no routing effect");
    if (d->entry->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = d->entry->data.mapping.pairs.start;
             p < d->entry->data.mapping.pairs.top; p++) {
            const char *k = scn__llm_str(scn__llm_node(t, p->key));
            if (k && strcmp(k, "model_name") && strcmp(k, "litellm_params") &&
                strcmp(k, "model_info") && strcmp(k, "rpm") && strcmp(k, "tpm")) {
                snprintf(key, sizeof key, "model_list[%zu].%s", d->index, k);
                scn__llm_note(t, SCN_IMP_IGNORED, scn__llm_node(t, p->key), key,
                              "not a deployment key LiteLLM "
                              "reads for routing");
            }
        }
    return 0;
}

/* Accounts: one per distinct identity, named <provider>-<k>. */
static int emit_accounts(struct lt *t, int seq)
{
    char(*ids)[512] = calloc(t->n, sizeof *ids);
    size_t *acc = calloc(t->n, sizeof *acc);
    if (ids == NULL || acc == NULL) {
        free(ids);
        free(acc);
        return scn__llm_oom(t);
    }
    int rc = 0;
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        identity(t, &t->deps[i], ids[i], sizeof ids[i]);
        size_t j = 0;
        while (j < i && strcmp(ids[j], ids[i]) != 0)
            j++;
        if (j < i) {
            memcpy(t->deps[i].account, t->deps[j].account, sizeof t->deps[i].account);
            continue;
        }
        /* a new account: provider-1, provider-2, ... */
        size_t k = 1;
        for (size_t q = 0; q < i; q++)
            if (strcmp(ids[q], ids[i]) != 0 && ids[q][0] != '\0') {
                /* count earlier distinct identities of the same provider */
                bool first = true;
                for (size_t z = 0; z < q; z++)
                    if (strcmp(ids[z], ids[q]) == 0)
                        first = false;
                size_t pl = strcspn(ids[q], "\x1f");
                if (first && pl == strcspn(ids[i], "\x1f") && strncmp(ids[q], ids[i], pl) == 0)
                    k++;
            }
        char nm[SCN_NAME_MAX];
        snprintf(nm, sizeof nm, "%.40s-%zu", t->deps[i].account, k);
        memcpy(t->deps[i].account, nm, sizeof nm);
        int a = new_map(t, t->deps[i].lp, true);
        if (!push(t, seq, a) || !putf(t, a, t->deps[i].lp, "name", "%s", nm))
            rc = scn__llm_oom(t);
    }
    free(ids);
    free(acc);
    return rc;
}

static int emit_strategy(struct lt *t, const struct settings *s, int router, bool weights,
                         bool order)
{
    const yaml_node_t *at = s->strategy_node ? s->strategy_node : t->rs;
    const yaml_node_t *args = scn__llm_get(t, t->rs, "routing_strategy_args");
    int leaf = new_map(t, at, false), params = 0;
    const char *name = NULL;
    const char *st = s->strategy;
    if (strcmp(st, "simple-shuffle") == 0) {
        name = weights ? "weighted_random" : "random";
        scn__llm_note(
            t, s->strategy_node ? SCN_IMP_APPROX : SCN_IMP_DEFAULTED, s->strategy_node,
            "router_settings.routing_strategy", "simple-shuffle -> %s%s", name,
            weights ? " (per-group weight source fixed at import; LiteLLM re-reads it from the "
                      "healthy candidates)"
                    : "");
    } else if (strcmp(st, "least-busy") == 0) {
        name = "least_inflight";
        scn__llm_note(
            t, SCN_IMP_APPROX, s->strategy_node, "router_settings.routing_strategy",
            "least-busy -> least_inflight (ties at random; LiteLLM's first-in-dict tie rule and "
            "counter drift are not reproduced)");
    } else if (strcmp(st, "usage-based-routing-v2") == 0 ||
               strcmp(st, "usage-based-routing") == 0) {
        name = "lowest_usage";
        params = new_map(t, at, true);
        if (!putf(t, params, at, "window", "1"))
            return scn__llm_oom(t);
        scn__llm_note(
            t, SCN_IMP_APPROX, s->strategy_node, "router_settings.routing_strategy",
            "%s -> lowest_usage {window: 1} (fixed minutes; LiteLLM's rpm-1 off-by-one and "
            "Redis batching lag are not reproduced)%s",
            st, st[strlen(st) - 1] == '2' ? "" : "; v1 is deprecated, imported as v2");
    } else if (strcmp(st, "latency-based-routing") == 0) {
        name = "lowest_latency";
        params = new_map(t, at, true);
        if (!putf(t, params, at, "mode", "1"))
            return scn__llm_oom(t);
        double v;
        int r;
        const yaml_node_t *n = scn__llm_get(t, args, "lowest_latency_buffer");
        if ((r = scn__llm_num(t, n, "router_settings.routing_strategy_args.lowest_latency_buffer",
                              &v)) < 0)
            return -1;
        if (r && !putf(t, params, n, "buffer", "%g", v))
            return scn__llm_oom(t);
        if (r)
            scn__llm_note(t, SCN_IMP_MAPPED, n,
                          "router_settings.routing_strategy_args."
                          "lowest_latency_buffer",
                          "lowest_latency.buffer: %g", v);
        n = scn__llm_get(t, args, "max_latency_list_size");
        if ((r = scn__llm_num(t, n, "router_settings.routing_strategy_args.max_latency_list_size",
                              &v)) < 0)
            return -1;
        if (r && !putf(t, params, n, "list_size", "%.0f", v))
            return scn__llm_oom(t);
        if (r)
            scn__llm_note(t, SCN_IMP_MAPPED, n,
                          "router_settings.routing_strategy_args."
                          "max_latency_list_size",
                          "lowest_latency.list_size: %g", v);
        scn__llm_note(
            t, SCN_IMP_APPROX, s->strategy_node, "router_settings.routing_strategy",
            "latency-based-routing -> lowest_latency {mode: 1} (TTFT/out samples for every "
            "request; the hourly map reset is not modelled)");
    } else if (strcmp(st, "cost-based-routing") == 0) {
        name = "lowest_cost";
        params = new_map(t, at, true);
        if (!putf(t, params, at, "model", "1"))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_APPROX, s->strategy_node, "router_settings.routing_strategy",
                      "cost-based-routing -> lowest_cost {model: 1} (catalog prices differ from "
                      "LiteLLM's cost map where the config gives none)");
    } else {
        return scn__llm_fail(t, s->strategy_node,
                             "found routing_strategy '%.60s', expected one of simple-shuffle, "
                             "least-busy, usage-based-routing, usage-based-routing-v2, "
                             "latency-based-routing, cost-based-routing (LiteLLM rejects others)",
                             st);
    }
    if (args && args->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = args->data.mapping.pairs.start; p < args->data.mapping.pairs.top;
             p++) {
            const char *k = scn__llm_str(scn__llm_node(t, p->key));
            if (k && strcmp(k, "lowest_latency_buffer") && strcmp(k, "max_latency_list_size")) {
                char key[160];
                snprintf(key, sizeof key, "router_settings.routing_strategy_args.%s", k);
                scn__llm_note(t, SCN_IMP_UNSUPPORTED, scn__llm_node(t, p->key), key, "%s",
                              strcmp(k, "ttl") == 0 ? "the counters' and latency map's TTL is not "
                                                      "modelled"
                                                    : "not read by the imported strategy");
            }
        }
    if (!putf(t, leaf, at, "strategy", "%s", name) ||
        (params && !put(t, leaf, at, "params", params)))
        return scn__llm_oom(t);
    int top = leaf;
    if (s->pre_call_checks) {
        int f = new_map(t, at, false);
        if (!putf(t, f, at, "strategy", "filter") || !put(t, f, at, "child", top))
            return scn__llm_oom(t);
        top = f;
    }
    if (order) {
        int o = new_map(t, at, false);
        if (!putf(t, o, at, "strategy", "ordered_priority") || !put(t, o, at, "child", top))
            return scn__llm_oom(t);
        top = o;
    }
    return put(t, router, at, "strategy", top) ? 0 : scn__llm_oom(t);
}

/* The group a fallback key names: exact, else provider-stripped
 * (openai/gpt-4o matches gpt-4o), else NULL
 * (L:litellm/router_utils/fallback_event_handlers.py:45-82; 2.5). */
const char *scn__llm_match_group(struct lt *t, const char *k)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->deps[i].group, k) == 0)
            return t->deps[i].group;
    const char *slash = strchr(k, '/');
    if (slash)
        for (size_t i = 0; i < t->n; i++)
            if (strcmp(t->deps[i].group, slash + 1) == 0)
                return t->deps[i].group;
    return NULL;
}

/* One fallback list (router_settings or litellm_settings `key`) into rules. */
static int emit_fallbacks(struct lt *t, int rules, const char *key, const char *on)
{
    const char *from = NULL;
    const yaml_node_t *n = scn__llm_rs_or_ls(t, key, &from);
    char kp[160];
    snprintf(kp, sizeof kp, "%s.%s", from ? from : "router_settings", key);
    if (n == NULL)
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return scn__llm_fail(t, n, "found %s for '%s', expected a list", scn__llm_describe(n), key);
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt == 0)
        return 0; /* [] counts as unset (L:litellm/router.py:486-507) */
    if (from && strcmp(from, "router_settings") == 0 && scn__llm_get(t, t->ls, key))
        scn__llm_note(t, SCN_IMP_IGNORED, scn__llm_get(t, t->ls, key), key, "router_settings wins");
    if (strcmp(key, "default_fallbacks") == 0) {
        /* a list of groups, appended as {"*": [...]} (L:litellm/router.py:492-497) */
        int r = new_map(t, n, true), to = new_seq(t, n, true);
        if (!push(t, rules, r) || !putf(t, r, n, "from", "*") || !putf(t, r, n, "on", "generic") ||
            !put(t, r, n, "to", to))
            return scn__llm_oom(t);
        for (size_t i = 0; i < cnt; i++) {
            const yaml_node_t *g = scn__llm_node(t, n->data.sequence.items.start[i]);
            const char *grp = scn__llm_str(g) ? scn__llm_match_group(t, scn__llm_str(g)) : NULL;
            if (grp == NULL)
                return scn__llm_fail(t, g,
                                     "found %s in default_fallbacks, expected a model_name of "
                                     "model_list",
                                     scn__llm_str(g) ? scn__llm_str(g) : scn__llm_describe(g));
            if (!push(t, to, scal(t, g, "%s", grp)))
                return scn__llm_oom(t);
        }
        scn__llm_note(t, SCN_IMP_MAPPED, n, kp, "router.fallbacks.rules: from '*', on generic");
        return 0;
    }
    for (size_t i = 0; i < cnt; i++) {
        const yaml_node_t *it = scn__llm_node(t, n->data.sequence.items.start[i]);
        if (it == NULL || it->type != YAML_MAPPING_NODE)
            return scn__llm_fail(t, it,
                                 "found %s in '%s', expected a mapping {model_name: [fallback "
                                 "model_names]}",
                                 scn__llm_describe(it), key);
        for (yaml_node_pair_t *p = it->data.mapping.pairs.start; p < it->data.mapping.pairs.top;
             p++) {
            const yaml_node_t *k = scn__llm_node(t, p->key), *v = scn__llm_node(t, p->value);
            const char *ks = scn__llm_str(k);
            if (ks == NULL)
                return scn__llm_fail(t, k, "found %s as a key in '%s', expected a model_name",
                                     scn__llm_describe(k), key);
            const char *src = strcmp(ks, "*") == 0 ? "*" : scn__llm_match_group(t, ks);
            if (src == NULL) {
                scn__llm_note(t, SCN_IMP_WARNING, k, kp,
                              "'%s' is not a model_name of model_list: the "
                              "rule can never fire",
                              ks);
                continue;
            }
            if (strcmp(src, "*") == 0 && strcmp(on, "generic") != 0)
                scn__llm_note(t, SCN_IMP_WARNING, k, kp,
                              "'*' in a %s list: LiteLLM looks these lists "
                              "up by exact group only, so it never fires there",
                              key);
            int r = new_map(t, it, true), to = new_seq(t, v, true);
            if (!putf(t, r, k, "from", "%s", src) || !putf(t, r, k, "on", "%s", on) ||
                !put(t, r, v, "to", to))
                return scn__llm_oom(t);
            size_t nt = 0;
            if (v && v->type == YAML_SCALAR_NODE) {
                /* a bare string is a single-target list (2.5) */
                const char *g = scn__llm_match_group(t, scn__llm_str(v));
                if (g && push(t, to, scal(t, v, "%s", g)))
                    nt++;
            } else if (v && v->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *q = v->data.sequence.items.start;
                     q < v->data.sequence.items.top; q++) {
                    const yaml_node_t *g = scn__llm_node(t, *q);
                    const char *gs = scn__llm_str(g);
                    if (gs == NULL)
                        return scn__llm_fail(t, g,
                                             "found %s in the targets of '%s', expected a "
                                             "model_name",
                                             scn__llm_describe(g), ks);
                    const char *grp = scn__llm_match_group(t, gs);
                    if (grp == NULL) {
                        scn__llm_note(t, SCN_IMP_WARNING, g, kp,
                                      "fallback target '%s' of '%s' is not a "
                                      "model_name of model_list: LiteLLM fails that hop; left out",
                                      gs, ks);
                        continue;
                    }
                    if (nt == ROUTE_FALLBACK_MAX_TARGETS) {
                        scn__llm_note(t, SCN_IMP_UNSUPPORTED, g, kp,
                                      "more than %u targets for '%s': "
                                      "the rest are left out",
                                      ROUTE_FALLBACK_MAX_TARGETS, ks);
                        break;
                    }
                    if (!push(t, to, scal(t, g, "%s", grp)))
                        return scn__llm_oom(t);
                    nt++;
                }
            } else {
                return scn__llm_fail(t, v,
                                     "found %s for the targets of '%s', expected a list of "
                                     "model_names",
                                     scn__llm_describe(v), ks);
            }
            if (nt > 0 && !push(t, rules, r))
                return scn__llm_oom(t);
        }
    }
    scn__llm_note(
        t, SCN_IMP_APPROX, n, kp,
        "router.fallbacks.rules on %s (under loop: litellm with LiteLLM's recursion, depth "
        "budget and %s)",
        on,
        strcmp(on, "generic") ? "exact-group precedence" : "provider-stripped keys resolved here");
    return 0;
}

static int emit_router(struct lt *t, const struct settings *s, int router, bool weights, bool order)
{
    const yaml_node_t *at = t->rs ? t->rs : t->root;
    if (!putf(t, router, at, "loop", "litellm"))
        return scn__llm_oom(t);
    if (emit_strategy(t, s, router, weights, order) < 0)
        return -1;
    if (!putf(t, router, at, "timeout", "%gs", s->timeout_s) ||
        !putf(t, router, at, "request_timeout", "%gs", s->timeout_s) ||
        (s->stream_timeout_s >= 0 &&
         !putf(t, router, at, "stream_timeout", "%gs", s->stream_timeout_s)))
        return scn__llm_oom(t);
    /* router.litellm: the retry loop's settings */
    int ll = new_map(t, at, false);
    if (!put(t, router, at, "litellm", ll) ||
        !putf(t, ll, at, "num_retries", "%.0f", s->num_retries) ||
        !putf(t, ll, at, "max_fallbacks", "%.0f", s->max_fallbacks))
        return scn__llm_oom(t);
    static const char *const copied[] = {"retry_policy", "model_group_retry_policy"};
    for (size_t i = 0; i < SCN__NELEM(copied); i++) {
        const yaml_node_t *n = scn__llm_get(t, t->rs, copied[i]);
        if (n == NULL)
            continue;
        char key[96];
        snprintf(key, sizeof key, "router_settings.%s", copied[i]);
        if (scn__llm_want_map(t, n, key))
            return -1;
        if (!put(t, ll, n, copied[i], copy(t, n, 0)))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_MAPPED, n, key, "router.litellm.%s (first-error selection)",
                      copied[i]);
    }
    const yaml_node_t *n = scn__llm_get(t, t->rs, "retry_after");
    double v;
    int r;
    if ((r = scn__llm_num(t, n, "router_settings.retry_after", &v)) < 0)
        return -1;
    if (r) {
        if (!putf(t, ll, n, "retry_after", "%gs", v))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_MAPPED, n, "router_settings.retry_after",
                      "router.litellm.retry_after: %gs (capped by 8 s)", v);
    }
    /* cooldowns */
    if (s->cooldowns) {
        int h = new_map(t, at, false), cd = new_map(t, at, false);
        if (!put(t, router, at, "health", h) || !put(t, h, at, "cooldown", cd) ||
            !putf(t, cd, at, "time", "%gs", s->cooldown_s) ||
            !putf(t, cd, at, "allowed_fails", "%.0f", s->allowed_fails) ||
            !putf(t, cd, at, "on_429", "true") ||
            !putf(t, cd, at, "fail_ratio", "%g%%", s->fail_ratio * 100) ||
            !putf(t, cd, at, "min_requests", "%.0f", s->fail_min) ||
            !putf(t, cd, at, "use_retry_after", "true"))
            return scn__llm_oom(t);
        const yaml_node_t *afp = scn__llm_get(t, t->rs, "allowed_fails_policy");
        if (afp && !put(t, cd, afp, "allowed_fails_policy", copy(t, afp, 0)))
            return scn__llm_oom(t);
        scn__llm_note(t, SCN_IMP_DEFAULTED, NULL, "router.health.cooldown",
                      "on (LiteLLM's default), %s rules", s->v2 ? "v2" : "v1");
    }
    /* fallbacks */
    int fb = new_map(t, at, false), rules = new_seq(t, at, false);
    if (!fb || !rules || !putf(t, fb, at, "max_depth", "%.0f", s->max_fallbacks) ||
        !put(t, fb, at, "rules", rules))
        return scn__llm_oom(t);
    if (emit_fallbacks(t, rules, "context_window_fallbacks", "context_window") < 0 ||
        emit_fallbacks(t, rules, "content_policy_fallbacks", "content_policy") < 0 ||
        emit_fallbacks(t, rules, "fallbacks", "generic") < 0 ||
        emit_fallbacks(t, rules, "default_fallbacks", "generic") < 0)
        return -1;
    const yaml_node_t *rn = yaml_document_get_node(t->im->dst, rules);
    if (rn->data.sequence.items.top > rn->data.sequence.items.start &&
        !put(t, router, at, "fallbacks", fb))
        return scn__llm_oom(t);
    /* several proxy processes */
    if (t->im->replicas > 0) {
        if (!putf(t, router, at, "replicas", "%u", t->im->replicas) ||
            !putf(t, router, at, "shared_state", "%s", s->redis ? "true" : "false"))
            return scn__llm_oom(t);
        scn__llm_note(
            t, SCN_IMP_DEFAULTED, NULL, "router.replicas",
            "%u proxy process(es) (pods x workers: not in the config, given to the import)%s",
            t->im->replicas,
            s->redis ? ", sharing state through Redis"
                     : "; without Redis each keeps its own counters");
    } else if (s->redis) {
        if (!putf(t, router, at, "shared_state", "true"))
            return scn__llm_oom(t);
    }
    /* model_group_alias */
    if ((n = scn__llm_get(t, t->rs, "model_group_alias")) != NULL)
        scn__llm_note(t, SCN_IMP_UNSUPPORTED, n, "router_settings.model_group_alias",
                      "requests naming an alias are not rewritten: name the group in the trace's "
                      "model_group column");
    return 0;
}

/* ---------------------------------------------------------------------
 * Entry
 * ------------------------------------------------------------------- */

static int import_doc(struct lt *t)
{
    t->root = yaml_document_get_root_node(&t->src);
    if (t->root == NULL || t->root->type != YAML_MAPPING_NODE)
        return scn__llm_fail(t, t->root,
                             "found %s, expected a LiteLLM config: a mapping with "
                             "model_list",
                             t->root ? scn__llm_describe(t->root) : "an empty document");
    t->ml = scn__llm_get(t, t->root, "model_list");
    t->rs = scn__llm_get(t, t->root, "router_settings");
    t->ls = scn__llm_get(t, t->root, "litellm_settings");
    t->env = scn__llm_get(t, t->root, "environment_variables");
    t->gs = scn__llm_get(t, t->root, "general_settings");
    if (scn__llm_want_map(t, t->rs, "router_settings") ||
        scn__llm_want_map(t, t->ls, "litellm_settings") ||
        scn__llm_want_map(t, t->env, "environment_variables") ||
        scn__llm_want_map(t, t->gs, "general_settings"))
        return -1;
    if (scn__llm_is_null(t->rs))
        t->rs = NULL;
    if (scn__llm_is_null(t->ls))
        t->ls = NULL;
    if (scn__llm_is_null(t->env))
        t->env = NULL;
    /* top-level keys */
    for (yaml_node_pair_t *p = t->root->data.mapping.pairs.start;
         p < t->root->data.mapping.pairs.top; p++) {
        const char *k = scn__llm_str(scn__llm_node(t, p->key));
        if (k && strcmp(k, "model_list") && strcmp(k, "router_settings") &&
            strcmp(k, "litellm_settings") && strcmp(k, "environment_variables") &&
            strcmp(k, "general_settings"))
            scn__llm_note(t, SCN_IMP_IGNORED, scn__llm_node(t, p->key), k,
                          "not read by the Router (proxy-only settings)");
    }
    if (read_deployments(t) < 0)
        return -1;
    struct settings s;
    memset(&s, 0, sizeof s);
    if (scn__llm_resolve(t, &s) < 0)
        return -1;
    scn__llm_note_table(t, t->rs, "router_settings", scn__llm_rs_keys, scn__llm_n_rs_keys,
                        SCN_IMP_WARNING,
                        "not a Router argument: the proxy drops it silently "
                        "(L:litellm/proxy/proxy_server.py:2618-2643)");
    scn__llm_note_table(t, t->ls, "litellm_settings", scn__llm_ls_keys, scn__llm_n_ls_keys,
                        SCN_IMP_IGNORED, "a module global the Router does not read");
    scn__llm_note_table(t, t->gs, "general_settings", scn__llm_gs_keys, scn__llm_n_gs_keys,
                        SCN_IMP_IGNORED, "proxy administration; no routing effect");

    bool weights = scn__llm_simple_shuffle(&s) && any_weights(t);
    double wscale = weights && fractional_weights(t) ? LLM_WEIGHT_SCALE : 1;
    bool order = any_order(t);

    yaml_document_t *d = t->im->dst;
    const yaml_node_t *at = t->root;
    int out = new_map(t, at, false), acc = new_seq(t, at, false), bes = new_seq(t, at, false),
        router = new_map(t, at, false);
    if (!put(t, out, at, "accounts", acc) || !put(t, out, at, "backends", bes) ||
        !put(t, out, at, "router", router))
        return scn__llm_oom(t);
    if (emit_accounts(t, acc) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        if (emit_backend(t, &s, &t->deps[i], bes, weights, wscale, order) < 0)
            return -1;
    if (emit_router(t, &s, router, weights, order) < 0)
        return -1;
    (void)d;
    t->im->out = out;
    return 0;
}

int scn__llm_import_file(struct scn__import *im, bool check, const char *trace)
{
    struct lt t;
    memset(&t, 0, sizeof t);
    t.im = im;
    FILE *f = fopen(im->path, "rb");
    if (f == NULL) {
        snprintf(im->err, im->errlen,
                 "%s: found no readable file (%s), expected a LiteLLM "
                 "config.yaml",
                 im->path, strerror(errno));
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        return scn__llm_oom(&t);
    }
    yaml_parser_set_input_file(&p, f);
    int rc;
    if (!yaml_parser_load(&p, &t.src)) {
        snprintf(im->err, im->errlen,
                 "%s:%zu:%zu: found invalid YAML: %s, expected a LiteLLM "
                 "config.yaml",
                 im->path, p.problem_mark.line + 1, p.problem_mark.column + 1,
                 p.problem ? p.problem : "an error");
        rc = -1;
    } else {
        rc = import_doc(&t);
        if (rc == 0 && check)
            rc = scn__llm_lint(&t, trace);
        yaml_document_delete(&t.src);
    }
    yaml_parser_delete(&p);
    fclose(f);
    free(t.deps);
    return rc;
}

int scn__import_litellm(struct scn__import *im)
{
    return scn__llm_import_file(im, false, NULL);
}
