/*
 * scn_portkey_import.c - the Portkey config importer (scn_portkey.h).
 *
 * Key by key as docs/notes/litellm-replay.md section 3.6 lists them: the
 * tree keys map to the native `router.portkey` tree (request_timeout from
 * milliseconds to a duration), provider targets become backends (Portkey
 * declares no limits or prices: the price catalog and provider tier
 * presets supply them, and the report says so), `cache` becomes the
 * gateway cache, hooks and guardrails are ignored, the hosted-only
 * cb_config and sticky_session are approximated or reported lost.
 */
#include "scn_portkey.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "catalog.h"
#include "route_loop.h"
#include "scn.h"
#include "scn_import.h"
#include "scn_int.h"

/* The gateway cache an imported `cache` becomes: Portkey's simple cache is
 * a key-value store with no entry limit, approximated by one large LRU. */
#define PK_CACHE_CAPACITY "1M"

const char *scn_pk_class_name(enum scn_pk_class c)
{
    switch (c) {
    case SCN_PK_MAPPED:
        return "mapped";
    case SCN_PK_APPROXIMATED:
        return "approximated";
    case SCN_PK_IGNORED:
        return "ignored (no routing effect)";
    case SCN_PK_UNSUPPORTED:
        return "unsupported (routing effect lost)";
    }
    return "?";
}

void scn_pk_report_free(struct scn_pk_report *rep)
{
    free(rep->items);
    rep->items = NULL;
    rep->n = rep->cap = 0;
}

struct imp {
    yaml_document_t *src;
    yaml_document_t out;
    const char *path;
    struct scn_pk_report *rep;
    char *err;
    size_t errlen;
    int backends;      /* the output sequence of backends */
    uint32_t n_leaves; /* provider targets so far (DFS order) */
    char (*names)[SCN_NAME_MAX];
    uint32_t n_names;
    const yaml_node_t *cache; /* the first `cache` met */
    const yaml_node_t *cb;    /* the first strategy.cb_config met */
    int64_t timeout_ms_root;
};

static const yaml_node_t *src_node(struct imp *im, int id)
{
    return yaml_document_get_node(im->src, id);
}

static int fail(struct imp *im, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct imp *im, const yaml_node_t *n, const char *fmt, ...)
{
    int k = snprintf(im->err, im->errlen, "%s:%zu:%zu: ", im->path, n->start_mark.line + 1,
                     n->start_mark.column + 1);
    if (k < 0 || (size_t)k >= im->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->err + k, im->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(struct imp *im, const yaml_node_t *n)
{
    return fail(im, n, "out of memory");
}

static int note(struct imp *im, const yaml_node_t *n, enum scn_pk_class cls, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int note(struct imp *im, const yaml_node_t *n, enum scn_pk_class cls, const char *key,
                const char *fmt, ...)
{
    struct scn_pk_report *r = im->rep;
    if (r->n == r->cap) {
        size_t nc = r->cap * 2 + 16;
        struct scn_pk_item *p = realloc(r->items, nc * sizeof *p);
        if (p == NULL)
            return oom(im, n);
        r->items = p;
        r->cap = nc;
    }
    struct scn_pk_item *it = &r->items[r->n++];
    memset(it, 0, sizeof *it);
    it->cls = cls;
    snprintf(it->key, sizeof it->key, "%s", key);
    it->line = n->start_mark.line + 1;
    it->column = n->start_mark.column + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->how, sizeof it->how, fmt, ap);
    va_end(ap);
    return 0;
}

/* ---- output nodes ------------------------------------------------------ */

static void set_mark(struct imp *im, int id, const yaml_node_t *from)
{
    if (id > 0 && from != NULL) {
        im->out.nodes.start[id - 1].start_mark = from->start_mark;
        im->out.nodes.start[id - 1].end_mark = from->end_mark;
    }
}

static int o_scalar_style(struct imp *im, const char *s, yaml_scalar_style_t st,
                          const yaml_node_t *from)
{
    int id = yaml_document_add_scalar(&im->out, NULL, (yaml_char_t *)s, (int)strlen(s), st);
    if (id == 0)
        return oom(im, from);
    set_mark(im, id, from);
    return id;
}

static int o_scalar(struct imp *im, const char *s, const yaml_node_t *from)
{
    return o_scalar_style(im, s, YAML_PLAIN_SCALAR_STYLE, from);
}

static int o_map(struct imp *im, const yaml_node_t *from)
{
    int id = yaml_document_add_mapping(&im->out, NULL, YAML_BLOCK_MAPPING_STYLE);
    if (id == 0)
        return oom(im, from);
    set_mark(im, id, from);
    return id;
}

static int o_seq(struct imp *im, const yaml_node_t *from, bool flow)
{
    int id = yaml_document_add_sequence(
        &im->out, NULL, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (id == 0)
        return oom(im, from);
    set_mark(im, id, from);
    return id;
}

static int o_put(struct imp *im, int map, const char *key, int value, const yaml_node_t *from)
{
    int k = o_scalar(im, key, from);
    if (k < 0 || value <= 0)
        return -1;
    if (!yaml_document_append_mapping_pair(&im->out, map, k, value))
        return oom(im, from);
    return 0;
}

static int o_append(struct imp *im, int seq, int item, const yaml_node_t *from)
{
    if (item <= 0)
        return -1;
    if (!yaml_document_append_sequence_item(&im->out, seq, item))
        return oom(im, from);
    return 0;
}

/* A copy of a source subtree (scalar styles kept: a quoted "1" stays a
 * string for the loader's checks). */
static int copy_tree(struct imp *im, const yaml_node_t *n, uint32_t depth)
{
    if (depth > 64)
        return fail(im, n, "found nesting deeper than 64, expected a shallower value");
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return o_scalar_style(im, (const char *)n->data.scalar.value, n->data.scalar.style, n);
    case YAML_SEQUENCE_NODE: {
        int s = o_seq(im, n, true);
        if (s < 0)
            return -1;
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
            const yaml_node_t *c = src_node(im, *i);
            if (c == NULL || o_append(im, s, copy_tree(im, c, depth + 1), n))
                return -1;
        }
        return s;
    }
    case YAML_MAPPING_NODE: {
        int m = yaml_document_add_mapping(&im->out, NULL, YAML_FLOW_MAPPING_STYLE);
        if (m == 0)
            return oom(im, n);
        set_mark(im, m, n);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const yaml_node_t *k = src_node(im, p->key), *v = src_node(im, p->value);
            if (k == NULL || v == NULL)
                return oom(im, n);
            int kk = copy_tree(im, k, depth + 1), vv = kk < 0 ? -1 : copy_tree(im, v, depth + 1);
            if (vv < 0)
                return -1;
            if (!yaml_document_append_mapping_pair(&im->out, m, kk, vv))
                return oom(im, n);
        }
        return m;
    }
    default:
        return fail(im, n, "found an empty node, expected a value");
    }
}

/* ---- source helpers ---------------------------------------------------- */

static const char *sstr(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *describe(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a mapping"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a value";
}

static int want_str(struct imp *im, const yaml_node_t *n, const char *what, const char **out)
{
    *out = sstr(n);
    if (*out == NULL || strlen(*out) != n->data.scalar.length)
        return fail(im, n, "found %s, expected %s", describe(n), what);
    return 0;
}

static int want_number(struct imp *im, const yaml_node_t *n, const char *what, double *out)
{
    const char *s = sstr(n);
    char *end = NULL;
    if (s == NULL || *s == '\0')
        return fail(im, n, "found %s, expected %s", describe(n), what);
    *out = strtod(s, &end);
    if (*end != '\0' || !isfinite(*out))
        return fail(im, n, "found '%s', expected %s", s, what);
    return 0;
}

static const yaml_node_t *map_get(struct imp *im, const yaml_node_t *m, const char *key)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = src_node(im, p->key);
        if (k && sstr(k) && strcmp(sstr(k), key) == 0)
            return src_node(im, p->value);
    }
    return NULL;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* ---- queries: refuse what the Portkey loop cannot evaluate ------------- */

static const char *const pk_fields[] = {"metadata.tenant", "metadata.task", "metadata.region",
                                        "metadata.priority", "params.model"};
static const char *const pk_ops[] = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"};

static int check_query(struct imp *im, const yaml_node_t *q, uint32_t depth)
{
    if (depth > 32)
        return fail(im, q, "found a query nested deeper than 32, expected a shallower one");
    if (q->type != YAML_MAPPING_NODE)
        return fail(im, q, "found %s, expected a query mapping", describe(q));
    for (yaml_node_pair_t *p = q->data.mapping.pairs.start; p < q->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = src_node(im, p->key), *v = src_node(im, p->value);
        const char *key = NULL;
        if (k == NULL || v == NULL)
            return oom(im, q);
        if (want_str(im, k, "a query key", &key))
            return -1;
        if (strcmp(key, "$and") == 0 || strcmp(key, "$or") == 0) {
            if (v->type != YAML_SEQUENCE_NODE)
                return fail(im, v, "found %s, expected '%s': a list of queries", describe(v), key);
            for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
                 i++)
                if (check_query(im, src_node(im, *i), depth + 1))
                    return -1;
            continue;
        }
        if (!in_list(key, pk_fields, sizeof pk_fields / sizeof *pk_fields))
            return fail(im, k,
                        "found condition key '%s', expected metadata.tenant, metadata.task, "
                        "metadata.region, metadata.priority or params.model (unsupported: an "
                        "lbsim request carries only these labels)",
                        key);
        if (v->type != YAML_MAPPING_NODE)
            continue;
        for (yaml_node_pair_t *o = v->data.mapping.pairs.start; o < v->data.mapping.pairs.top;
             o++) {
            const yaml_node_t *ok = src_node(im, o->key);
            const char *op = ok ? sstr(ok) : NULL;
            if (op == NULL || !in_list(op, pk_ops, sizeof pk_ops / sizeof *pk_ops))
                return fail(im, ok ? ok : v,
                            "found operator '%s', expected $eq, $ne, $gt, $gte, $lt, $lte, $in "
                            "or $nin (unsupported: $regex and $length match text and lists "
                            "lbsim labels do not have)",
                            op ? op : "?");
        }
    }
    return 0;
}

/* ---- one target -------------------------------------------------------- */

static const char *const pk_ignored[] = {"before_request_hooks",
                                         "after_request_hooks",
                                         "input_guardrails",
                                         "output_guardrails",
                                         "forward_headers",
                                         "strict_open_ai_compliance",
                                         "api_key",
                                         "id",
                                         "deployment_id",
                                         "api_version",
                                         "resource_name",
                                         "aws_access_key_id",
                                         "aws_secret_access_key",
                                         "aws_region",
                                         "vertex_project_id",
                                         "vertex_region",
                                         "azure_deployment_name",
                                         "openai_organization",
                                         "openai_project",
                                         "azure_auth_mode",
                                         "azure_managed_client_id"};

static int target(struct imp *im, const yaml_node_t *p, const char *kp, const char *inh_model,
                  int *out_id);

/* `strategy:` of the target at kp into a new output mapping. */
static int strategy(struct imp *im, const yaml_node_t *s, const char *kp, int *out_id)
{
    static const char *const modes[] = {"single", "loadbalance", "fallback", "conditional"};
    char key[160];
    if (s->type != YAML_MAPPING_NODE)
        return fail(im, s, "found %s, expected 'strategy': a mapping with 'mode'", describe(s));
    int m = o_map(im, s);
    if (m < 0)
        return -1;
    const yaml_node_t *mode = map_get(im, s, "mode");
    const char *ms = NULL;
    if (mode == NULL)
        return fail(im, s,
                    "found a strategy without 'mode', expected 'mode': single, "
                    "loadbalance, fallback or conditional");
    if (want_str(im, mode, "a strategy mode", &ms))
        return -1;
    if (!in_list(ms, modes, 4))
        return fail(im, mode,
                    "found mode '%s', expected single, loadbalance, fallback or conditional", ms);
    for (yaml_node_pair_t *p = s->data.mapping.pairs.start; p < s->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = src_node(im, p->key), *v = src_node(im, p->value);
        const char *name = NULL;
        if (k == NULL || v == NULL)
            return oom(im, s);
        if (want_str(im, k, "a key", &name))
            return -1;
        snprintf(key, sizeof key, "%s%sstrategy.%s", kp, *kp ? "." : "", name);
        int rc = 0;
        if (strcmp(name, "mode") == 0) {
            rc = o_put(im, m, "mode", o_scalar(im, ms, v), k) ||
                 note(im, k, SCN_PK_MAPPED, key, "router.portkey %s node", ms);
        } else if (strcmp(name, "on_status_codes") == 0) {
            rc = o_put(im, m, "on_status_codes", copy_tree(im, v, 0), k) ||
                 note(im, k, SCN_PK_MAPPED, key, "per-node fallback statuses");
        } else if (strcmp(name, "conditions") == 0) {
            if (v->type != YAML_SEQUENCE_NODE)
                return fail(im, v, "found %s, expected 'conditions': a list of {query, then}",
                            describe(v));
            for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
                 i++) {
                const yaml_node_t *q = map_get(im, src_node(im, *i), "query");
                if (q && check_query(im, q, 0))
                    return -1;
            }
            rc = o_put(im, m, "conditions", copy_tree(im, v, 0), k) ||
                 note(im, k, SCN_PK_MAPPED, key,
                      "queries over request labels (metadata.tenant/task/region/priority, "
                      "params.model = model group)");
        } else if (strcmp(name, "default") == 0) {
            rc = o_put(im, m, "default", copy_tree(im, v, 0), k) ||
                 note(im, k, SCN_PK_MAPPED, key, "conditional default target");
        } else if (strcmp(name, "cb_config") == 0) {
            if (im->cb == NULL)
                im->cb = v;
            rc = note(im, k, SCN_PK_APPROXIMATED, key,
                      "hosted-only breaker per strategy path -> router.health.breaker per "
                      "backend (failure_threshold -> consecutive, minimum_requests -> "
                      "min_requests, failure_threshold_percentage -> fail_rate, "
                      "cooldown_interval -> open; failure_status_codes not modelled)");
        } else if (strcmp(name, "sticky_session") == 0) {
            rc = note(im, k, SCN_PK_UNSUPPORTED, key,
                      "hosted-only sticky sessions: the Portkey loop picks by weight every time");
        } else {
            rc = note(im, k, SCN_PK_UNSUPPORTED, key, "unknown strategy key");
        }
        if (rc)
            return -1;
    }
    *out_id = m;
    return 0;
}

static int retry(struct imp *im, const yaml_node_t *r, const char *kp, int *out_id)
{
    char key[160];
    if (r->type != YAML_MAPPING_NODE)
        return fail(im, r, "found %s, expected 'retry': a mapping with 'attempts'", describe(r));
    int m = o_map(im, r);
    if (m < 0)
        return -1;
    if (map_get(im, r, "attempts") == NULL)
        return fail(im, r, "found 'retry' without 'attempts', expected 'attempts': 0 to %d",
                    ROUTE_PK_MAX_ATTEMPTS);
    for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = src_node(im, p->key), *v = src_node(im, p->value);
        const char *name = NULL;
        if (k == NULL || v == NULL)
            return oom(im, r);
        if (want_str(im, k, "a key", &name))
            return -1;
        snprintf(key, sizeof key, "%s%sretry.%s", kp, *kp ? "." : "", name);
        int rc;
        if (strcmp(name, "attempts") == 0) {
            double a = 0;
            if (want_number(im, v, "a number of retries", &a))
                return -1;
            if (!(a >= 0 && a <= ROUTE_PK_MAX_ATTEMPTS) || a != floor(a))
                return fail(im, v, "found %g retry attempts, expected a whole number 0 to %d", a,
                            ROUTE_PK_MAX_ATTEMPTS);
            rc = o_put(im, m, "attempts", copy_tree(im, v, 0), k) ||
                 note(im, k, SCN_PK_MAPPED, key,
                      "same-target retries at 1, 2, 4... s (async-retry, no jitter)");
        } else if (strcmp(name, "on_status_codes") == 0) {
            rc = o_put(im, m, "on_status_codes", copy_tree(im, v, 0), k) ||
                 note(im, k, SCN_PK_MAPPED, key, "retried statuses");
        } else if (strcmp(name, "use_retry_after_header") == 0) {
            rc = o_put(im, m, "use_retry_after_header", copy_tree(im, v, 0), k) ||
                 note(im, k, SCN_PK_MAPPED, key, "429 Retry-After honoured within the 60 s budget");
        } else {
            rc = note(im, k, SCN_PK_UNSUPPORTED, key, "unknown retry key");
        }
        if (rc)
            return -1;
    }
    *out_id = m;
    return 0;
}

/* A provider target: a backend, and the leaf {backend: NAME}. */
static int leaf_backend(struct imp *im, const yaml_node_t *p, const char *kp, const char *model,
                        const yaml_node_t *model_at, char *name_out)
{
    const yaml_node_t *pv = map_get(im, p, "provider"), *vk = map_get(im, p, "virtual_key"),
                      *nm = map_get(im, p, "name"), *ch = map_get(im, p, "custom_host");
    const char *provider = NULL, *tname = NULL;
    char key[160], name[SCN_NAME_MAX];
    if (pv == NULL && vk == NULL)
        return fail(im, p,
                    "found a target without 'targets', 'provider' or 'virtual_key', expected a "
                    "provider target or a strategy with targets");
    if (pv && want_str(im, pv, "a provider name", &provider))
        return -1;
    if (nm && want_str(im, nm, "a target name", &tname))
        return -1;
    uint32_t leaf = im->n_leaves++;
    /* lbsim backend names are [A-Za-z0-9_.-]: "<provider>-<leaf index>"
       stands for Portkey's "<provider>/<index>" */
    if (tname != NULL && strlen(tname) > 0)
        snprintf(name, sizeof name, "%s", tname);
    else
        snprintf(name, sizeof name, "%.40s-%" PRIu32, provider ? provider : "virtual_key", leaf);
    bool changed = tname != NULL && strlen(tname) >= SCN_NAME_MAX;
    for (char *q = name; *q; q++) {
        if (!isalnum((unsigned char)*q) && *q != '_' && *q != '.' && *q != '-') {
            *q = '-';
            changed = changed || tname != NULL;
        }
    }
    if (changed && note(im, nm, SCN_PK_APPROXIMATED, kp,
                        "target name '%s' is backend '%s' (lbsim names are [A-Za-z0-9_.-], at "
                        "most %d characters)",
                        tname, name, SCN_NAME_MAX - 1))
        return -1;
    for (uint32_t i = 0; i < im->n_names; i++) {
        if (strcmp(im->names[i], name) == 0) {
            char dup[SCN_NAME_MAX];
            snprintf(dup, sizeof dup, "%.40s-%" PRIu32, name, leaf);
            if (note(im, nm ? nm : p, SCN_PK_APPROXIMATED, kp,
                     "target name '%s' used twice: this backend is '%s'", name, dup))
                return -1;
            memcpy(name, dup, sizeof name);
            break;
        }
    }
    char(*nn)[SCN_NAME_MAX] = realloc(im->names, ((size_t)im->n_names + 1) * sizeof *nn);
    if (nn == NULL)
        return oom(im, p);
    im->names = nn;
    memcpy(im->names[im->n_names++], name, SCN_NAME_MAX);
    memcpy(name_out, name, SCN_NAME_MAX);

    int b = o_map(im, p);
    if (b < 0 ||
        o_put(im, b, "name", o_scalar_style(im, name, YAML_DOUBLE_QUOTED_SCALAR_STYLE, p), p))
        return -1;
    snprintf(key, sizeof key, "%s.provider", kp);
    if (pv && note(im, pv, SCN_PK_MAPPED, key, "backend '%s'", name))
        return -1;
    if (vk) {
        snprintf(key, sizeof key, "%s.virtual_key", kp);
        if (note(im, vk, pv ? SCN_PK_IGNORED : SCN_PK_APPROXIMATED, key,
                 pv ? "credential" : "backend '%s': the provider hides in the virtual key", name))
            return -1;
    }
    if (ch) {
        snprintf(key, sizeof key, "%s.custom_host", kp);
        if (note(im, ch, SCN_PK_APPROXIMATED, key,
                 "a backend like any other: its latency and limits come from the scenario"))
            return -1;
    }
    /* the model: catalog prices, provider tier-1 limits */
    const struct catalog_entry *ce = NULL;
    char full[2 * SCN_NAME_MAX], preset[3 * SCN_NAME_MAX];
    const yaml_node_t *at = model_at ? model_at : p;
    snprintf(key, sizeof key, "%s.override_params.model", kp);
    if (model != NULL) {
        ce = catalog_resolve(model, NULL);
        if (ce == NULL && provider != NULL) {
            snprintf(full, sizeof full, "%s/%s", provider, model);
            ce = catalog_resolve(full, NULL);
        }
    }
    if (ce != NULL && strlen(model) < SCN_NAME_MAX) {
        if (o_put(im, b, "model", o_scalar(im, model, at), at) ||
            note(im, at, SCN_PK_APPROXIMATED, key,
                 "backend model '%s': prices and context window from the catalog (Portkey "
                 "declares none)",
                 model))
            return -1;
    } else if (note(im, at, SCN_PK_UNSUPPORTED, key,
                    model ? "model '%s' unknown to the price catalog: backend '%s' has no "
                            "prices (give a backends: entry of that name with prices)"
                          : "%sno model (the client's): backend '%s' has no prices (give a "
                            "backends: entry of that name with a model)",
                    model ? model : "", name)) {
        return -1;
    }
    const struct api_limit_preset *lp = NULL;
    if (provider != NULL && model != NULL) {
        snprintf(preset, sizeof preset, "%s-%s-tier1", provider, model);
        lp = api_limit_preset_find(preset);
    }
    snprintf(key, sizeof key, "%s (limits)", kp);
    if (lp != NULL) {
        int l = o_map(im, at);
        if (l < 0 || o_put(im, l, "preset", o_scalar(im, preset, at), at) ||
            o_put(im, b, "limits", l, at) ||
            note(im, at, SCN_PK_APPROXIMATED, key,
                 "Portkey declares no limits: provider preset %s assumed", preset))
            return -1;
    } else if (note(im, p, SCN_PK_APPROXIMATED, key,
                    "Portkey declares no limits and no provider preset matches: backend '%s' "
                    "is unlimited (give a backends: entry of that name with limits)",
                    name)) {
        return -1;
    }
    snprintf(key, sizeof key, "%s (latency)", kp);
    if (note(im, p, SCN_PK_APPROXIMATED, key,
             "Portkey declares no latency: a backends: entry named '%s' (or lbsim's measured "
             "defaults) supplies it",
             name))
        return -1;
    return o_append(im, im->backends, b, p);
}

static int target(struct imp *im, const yaml_node_t *p, const char *kp, const char *inh_model,
                  int *out_id)
{
    static const char *const leaf_keys[] = {"provider", "virtual_key", "custom_host"};
    char key[160], ckp[160];
    if (p->type != YAML_MAPPING_NODE)
        return fail(im, p, "found %s, expected a Portkey target (a mapping)", describe(p));
    const yaml_node_t *targets = map_get(im, p, "targets"), *st = map_get(im, p, "strategy");
    const yaml_node_t *op = map_get(im, p, "override_params");
    const yaml_node_t *model_at = NULL;
    const char *model = inh_model;
    if (op != NULL) {
        const yaml_node_t *mm = map_get(im, op, "model");
        if (op->type != YAML_MAPPING_NODE)
            return fail(im, op, "found %s, expected 'override_params': a mapping", describe(op));
        if (mm && want_str(im, mm, "a model name", &model))
            return -1;
        model_at = mm;
    }
    int o = o_map(im, p);
    int v_name = 0, v_weight = 0, v_strategy = 0, v_targets = 0, v_retry = 0, v_timeout = 0;
    for (yaml_node_pair_t *pp = p->data.mapping.pairs.start; pp < p->data.mapping.pairs.top; pp++) {
        const yaml_node_t *k = src_node(im, pp->key), *v = src_node(im, pp->value);
        const char *name = NULL;
        if (o < 0 || k == NULL || v == NULL)
            return -1;
        if (want_str(im, k, "a key", &name))
            return -1;
        snprintf(key, sizeof key, "%s%s%s", kp, *kp ? "." : "", name);
        int rc = 0;
        if (strcmp(name, "name") == 0) {
            const char *s = NULL;
            if (want_str(im, v, "a target name", &s))
                return -1;
            v_name = o_scalar_style(im, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE, v);
            rc = v_name < 0 || note(im, k, SCN_PK_MAPPED, key, "target name");
        } else if (strcmp(name, "weight") == 0) {
            double w = 0;
            if (want_number(im, v, "a weight >= 0", &w))
                return -1;
            if (!(w >= 0))
                return fail(im, v, "found weight %g, expected a weight >= 0", w);
            v_weight = copy_tree(im, v, 0);
            rc = v_weight < 0 || note(im, k, SCN_PK_MAPPED, key, "loadbalance weight");
        } else if (strcmp(name, "strategy") == 0) {
            rc = strategy(im, v, kp, &v_strategy);
        } else if (strcmp(name, "targets") == 0) {
            if (v->type != YAML_SEQUENCE_NODE ||
                v->data.sequence.items.top == v->data.sequence.items.start)
                return fail(im, v, "found %s, expected 'targets': a non-empty list", describe(v));
            v_targets = o_seq(im, v, false);
            if (v_targets < 0)
                return -1;
            size_t i = 0;
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++, i++) {
                int child = 0;
                const yaml_node_t *cn = src_node(im, *it);
                snprintf(ckp, sizeof ckp, "%s%stargets[%zu]", kp, *kp ? "." : "", i);
                if (cn == NULL || target(im, cn, ckp, model, &child) ||
                    o_append(im, v_targets, child, cn))
                    return -1;
            }
        } else if (strcmp(name, "retry") == 0) {
            rc = retry(im, v, kp, &v_retry);
        } else if (strcmp(name, "request_timeout") == 0) {
            double ms = 0;
            char dur[64];
            if (want_number(im, v, "a timeout in milliseconds", &ms))
                return -1;
            if (!(ms > 0) || ms != floor(ms) || ms > 1e12)
                return fail(im, v, "found '%s', expected a whole number of milliseconds > 0",
                            sstr(v));
            snprintf(dur, sizeof dur, "%.0fms", ms);
            v_timeout = o_scalar(im, dur, v);
            rc =
                v_timeout < 0 ||
                note(im, k, SCN_PK_MAPPED, key,
                     "%s: a 408 when the headers are late (the engine's first-token timeout)", dur);
        } else if (strcmp(name, "cache") == 0) {
            if (im->cache == NULL)
                im->cache = v;
            const yaml_node_t *cm = map_get(im, v, "mode");
            const char *mode = cm ? sstr(cm) : NULL;
            rc = note(im, k, SCN_PK_APPROXIMATED, key,
                      "one gateway cache (cache.l1) for every target%s",
                      mode && strcmp(mode, "semantic") == 0
                          ? "; semantic matches are not modelled (set cache.semantic_hit_rate)"
                          : "");
        } else if (strcmp(name, "override_params") == 0) {
            /* model: reported with the backends it names; the rest are
               request parameters with no routing effect */
            for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
                 rc == 0 && q < v->data.mapping.pairs.top; q++) {
                const yaml_node_t *qk = src_node(im, q->key);
                const char *qn = qk ? sstr(qk) : NULL;
                char sub[200];
                if (qn == NULL || strcmp(qn, "model") == 0)
                    continue;
                snprintf(sub, sizeof sub, "%s.%s", key, qn);
                rc = note(im, qk, SCN_PK_IGNORED, sub, "a request parameter");
            }
        } else if (in_list(name, leaf_keys, 3)) {
            if (targets != NULL)
                rc = note(im, k, SCN_PK_IGNORED, key, "a provider key on a strategy node");
            /* leaves: reported by leaf_backend */
        } else if (in_list(name, pk_ignored, sizeof pk_ignored / sizeof *pk_ignored)) {
            rc = note(im, k, SCN_PK_IGNORED, key,
                      strstr(name, "hooks") || strstr(name, "guardrails")
                          ? "guardrails and hooks are not simulated (warn: a failing guardrail "
                            "can end a request in Portkey)"
                          : "credentials and headers");
        } else {
            rc = note(im, k, SCN_PK_UNSUPPORTED, key, "unknown Portkey key");
        }
        if (rc)
            return -1;
    }
    if (targets != NULL && st == NULL)
        return fail(im, targets,
                    "found 'targets' without 'strategy', expected 'strategy': "
                    "{mode: ...} beside them");
    if (st != NULL && targets == NULL)
        return fail(im, st, "found 'strategy' without 'targets', expected a list of targets");
    if (v_name && o_put(im, o, "name", v_name, p))
        return -1;
    if (targets == NULL) {
        char bname[SCN_NAME_MAX];
        if (leaf_backend(im, p, kp[0] ? kp : "(root)", model, model_at, bname) ||
            o_put(im, o, "backend", o_scalar_style(im, bname, YAML_DOUBLE_QUOTED_SCALAR_STYLE, p),
                  p))
            return -1;
    }
    if ((v_weight && o_put(im, o, "weight", v_weight, p)) ||
        (v_strategy && o_put(im, o, "strategy", v_strategy, p)) ||
        (v_targets && o_put(im, o, "targets", v_targets, p)) ||
        (v_retry && o_put(im, o, "retry", v_retry, p)) ||
        (v_timeout && o_put(im, o, "request_timeout", v_timeout, p)))
        return -1;
    *out_id = o;
    return 0;
}

/* `cache: {mode, max_age}` (seconds) -> cache: {l1: {capacity, ttl}}. */
static int emit_cache(struct imp *im, int root)
{
    const yaml_node_t *c = im->cache, *ma = map_get(im, c, "max_age");
    if (c->type != YAML_MAPPING_NODE)
        return fail(im, c, "found %s, expected 'cache': {mode, max_age}", describe(c));
    int l1 = o_map(im, c), cm = o_map(im, c);
    if (l1 < 0 || cm < 0 || o_put(im, l1, "capacity", o_scalar(im, PK_CACHE_CAPACITY, c), c))
        return -1;
    if (ma != NULL) {
        double s = 0;
        char ttl[64];
        if (want_number(im, ma, "a max_age in seconds", &s))
            return -1;
        if (!(s > 0))
            return fail(im, ma, "found max_age %g, expected seconds > 0", s);
        snprintf(ttl, sizeof ttl, "%.9gs", s);
        if (o_put(im, l1, "ttl", o_scalar(im, ttl, ma), ma))
            return -1;
    }
    return o_put(im, cm, "l1", l1, c) || o_put(im, root, "cache", cm, c);
}

/* strategy.cb_config -> router.health.breaker, key by key. */
static int emit_breaker(struct imp *im, int router)
{
    const yaml_node_t *cb = im->cb;
    if (cb->type != YAML_MAPPING_NODE)
        return fail(im, cb, "found %s, expected 'cb_config': a mapping", describe(cb));
    int br = o_map(im, cb), h = o_map(im, cb);
    if (br < 0 || h < 0)
        return -1;
    static const struct {
        const char *from, *to, *unit;
    } keys[] = {{"failure_threshold", "consecutive", ""},
                {"minimum_requests", "min_requests", ""},
                {"failure_threshold_percentage", "fail_rate", "%"},
                {"cooldown_interval", "open", "ms"}};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const yaml_node_t *v = map_get(im, cb, keys[i].from);
        double x = 0;
        char s[64];
        if (v == NULL)
            continue;
        if (want_number(im, v, "a number", &x))
            return -1;
        snprintf(s, sizeof s, "%.9g%s", x, keys[i].unit);
        if (o_put(im, br, keys[i].to, o_scalar(im, s, v), v))
            return -1;
    }
    /* "if every target is open, the breaker is bypassed" (routers.md 2.2) */
    return o_put(im, br, "bypass_all_open", o_scalar(im, "true", cb), cb) ||
           o_put(im, h, "breaker", br, cb) || o_put(im, router, "health", h, cb);
}

int scn_pk_import(yaml_document_t *doc, const char *path, struct scn_pk_report *rep, char *err,
                  size_t errlen)
{
    struct imp im = {.src = doc, .path = path, .rep = rep, .err = err, .errlen = errlen};
    const yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root == NULL) {
        snprintf(err, errlen, "%s:1:1: found an empty file, expected a Portkey config", path);
        return -1;
    }
    if (!yaml_document_initialize(&im.out, NULL, NULL, NULL, 1, 1)) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int top = o_map(&im, root);
    int tree = 0, router = 0;
    int rc = top < 0 ? -1 : 0;
    if (rc == 0) {
        im.backends = o_seq(&im, root, false);
        rc = im.backends < 0 || o_put(&im, top, "backends", im.backends, root);
    }
    if (rc == 0)
        rc = target(&im, root, "", NULL, &tree);
    if (rc == 0) {
        router = o_map(&im, root);
        rc = router < 0 || o_put(&im, router, "loop", o_scalar(&im, "portkey", root), root) ||
             o_put(&im, router, "portkey", tree, root);
    }
    if (rc == 0 && im.cb != NULL)
        rc = emit_breaker(&im, router);
    if (rc == 0)
        rc = o_put(&im, top, "router", router, root);
    if (rc == 0 && im.cache != NULL)
        rc = emit_cache(&im, top);
    free(im.names);
    if (rc != 0) {
        yaml_document_delete(&im.out);
        return -1;
    }
    yaml_document_delete(doc);
    *doc = im.out;
    return 0;
}

/* ---------------------------------------------------------------------
 * The importer as `router: {portkey: FILE}` and `lbsim import portkey` run
 * it (scn_import.h): the same fragment, copied into the destination
 * document with import marks (messages then name the Portkey file), and
 * the report converted to scn_import notes.
 * ------------------------------------------------------------------- */

/* Deep copy of node `id` of `from` into `to`; the new node's id, 0 on no
 * memory. */
static int copy_node(yaml_document_t *to, yaml_document_t *from, int id)
{
    const yaml_node_t *n = yaml_document_get_node(from, id);
    int out = 0;
    if (n == NULL)
        return 0;
    yaml_mark_t m = {SCN__IMPORT_MARK, n->start_mark.line, n->start_mark.column};
    switch (n->type) {
    case YAML_SCALAR_NODE:
        out = yaml_document_add_scalar(to, NULL, n->data.scalar.value, (int)n->data.scalar.length,
                                       n->data.scalar.style);
        break;
    case YAML_SEQUENCE_NODE:
        out = yaml_document_add_sequence(to, NULL, n->data.sequence.style);
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             out && it < n->data.sequence.items.top; it++) {
            int c = copy_node(to, from, *it);
            if (c == 0 || !yaml_document_append_sequence_item(to, out, c))
                return 0;
        }
        break;
    case YAML_MAPPING_NODE:
        out = yaml_document_add_mapping(to, NULL, n->data.mapping.style);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             out && p < n->data.mapping.pairs.top; p++) {
            int k = copy_node(to, from, p->key), v = copy_node(to, from, p->value);
            if (k == 0 || v == 0 || !yaml_document_append_mapping_pair(to, out, k, v))
                return 0;
        }
        break;
    default:
        return 0;
    }
    if (out) {
        yaml_node_t *o = yaml_document_get_node(to, out);
        o->start_mark = o->end_mark = m;
    }
    return out;
}

/* Every imported backend without `latency` gets the import default, and a
 * defaulted note (a scenario backend of that name overrides it). */
static int default_latency(struct scn__import *im)
{
    yaml_document_t *d = im->dst;
    int bl = 0;
    yaml_node_t *o = yaml_document_get_node(d, im->out);
    for (yaml_node_pair_t *p = o->data.mapping.pairs.start; p < o->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, "backends") == 0)
            bl = p->value;
    }
    yaml_node_t *seq = bl ? yaml_document_get_node(d, bl) : NULL;
    size_t n = seq && seq->type == YAML_SEQUENCE_NODE
                   ? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        int b = yaml_document_get_node(d, bl)->data.sequence.items.start[i];
        const char *name = NULL;
        bool has = false;
        yaml_node_t *bn = yaml_document_get_node(d, b);
        for (yaml_node_pair_t *p = bn->data.mapping.pairs.start; p < bn->data.mapping.pairs.top;
             p++) {
            const yaml_node_t *k = yaml_document_get_node(d, p->key);
            const yaml_node_t *v = yaml_document_get_node(d, p->value);
            const char *ks = (const char *)k->data.scalar.value;
            has |= strcmp(ks, "latency") == 0;
            if (strcmp(ks, "name") == 0 && v->type == YAML_SCALAR_NODE)
                name = (const char *)v->data.scalar.value;
        }
        if (has)
            continue;
        yaml_mark_t m = bn->start_mark;
        int lat = yaml_document_add_mapping(d, NULL, YAML_FLOW_MAPPING_STYLE);
        int k1 = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"ttft", -1,
                                          YAML_PLAIN_SCALAR_STYLE);
        int v1 = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)SCN__IMPORT_DEFAULT_TTFT,
                                          -1, YAML_PLAIN_SCALAR_STYLE);
        int k2 = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"output_rate", -1,
                                          YAML_PLAIN_SCALAR_STYLE);
        int v2 =
            yaml_document_add_scalar(d, NULL, (const yaml_char_t *)SCN__IMPORT_DEFAULT_OUT_RATE, -1,
                                     YAML_PLAIN_SCALAR_STYLE);
        int kl = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"latency", -1,
                                          YAML_PLAIN_SCALAR_STYLE);
        if (!lat || !k1 || !v1 || !k2 || !v2 || !kl ||
            !yaml_document_append_mapping_pair(d, lat, k1, v1) ||
            !yaml_document_append_mapping_pair(d, lat, k2, v2) ||
            !yaml_document_append_mapping_pair(d, b, kl, lat))
            return -1;
        int ids[] = {lat, k1, v1, k2, v2, kl};
        for (size_t j = 0; j < sizeof ids / sizeof ids[0]; j++)
            yaml_document_get_node(d, ids[j])->start_mark =
                yaml_document_get_node(d, ids[j])->end_mark = m;
        char key[160], text[256];
        snprintf(key, sizeof key, "backends[%s].latency", name ? name : "?");
        snprintf(text, sizeof text,
                 "ttft %s, output_rate %s tok/s (gpt-4o medians, llm-speed-benchmark 2024); give "
                 "a scenario backend of this name to supply the real one",
                 SCN__IMPORT_DEFAULT_TTFT, SCN__IMPORT_DEFAULT_OUT_RATE);
        if (scn__import_note_add(im->rep, im->path, SCN_IMP_DEFAULTED,
                                 m.index == SCN__IMPORT_MARK ? (uint32_t)m.line + 1 : 0,
                                 m.index == SCN__IMPORT_MARK ? (uint32_t)m.column + 1 : 0, key,
                                 text) != 0)
            return -1;
    }
    return 0;
}

static const enum scn_import_class pk_to_import_class[] = {
    [SCN_PK_MAPPED] = SCN_IMP_MAPPED,
    [SCN_PK_APPROXIMATED] = SCN_IMP_APPROX,
    [SCN_PK_IGNORED] = SCN_IMP_IGNORED,
    [SCN_PK_UNSUPPORTED] = SCN_IMP_UNSUPPORTED,
};

int scn__import_portkey(struct scn__import *im)
{
    FILE *f = fopen(im->path, "rb");
    if (f == NULL) {
        snprintf(im->err, im->errlen, "%s: found no readable file, expected a Portkey config",
                 im->path);
        return -1;
    }
    yaml_parser_t p;
    yaml_document_t d;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        snprintf(im->err, im->errlen, "%s: out of memory", im->path);
        return -1;
    }
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, &d);
    if (!ok)
        snprintf(im->err, im->errlen,
                 "%s:%zu:%zu: found invalid JSON/YAML: %s, expected a Portkey "
                 "config",
                 im->path, p.problem_mark.line + 1, p.problem_mark.column + 1,
                 p.problem ? p.problem : "an error");
    yaml_parser_delete(&p);
    fclose(f);
    if (!ok)
        return -1;
    struct scn_pk_report rep;
    memset(&rep, 0, sizeof rep);
    if (scn_pk_import(&d, im->path, &rep, im->err, im->errlen) != 0) {
        yaml_document_delete(&d);
        scn_pk_report_free(&rep);
        return -1;
    }
    const yaml_node_t *root = yaml_document_get_root_node(&d);
    int rc = 0;
    im->out = root ? copy_node(im->dst, &d, (int)(root - d.nodes.start) + 1) : 0;
    if (im->out == 0) {
        snprintf(im->err, im->errlen, "%s: out of memory", im->path);
        rc = -1;
    }
    if (rc == 0 && default_latency(im) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < rep.n; i++) {
        const struct scn_pk_item *it = &rep.items[i];
        if (scn__import_note_add(im->rep, im->path, pk_to_import_class[it->cls], (uint32_t)it->line,
                                 (uint32_t)it->column, it->key, it->how) != 0)
            rc = -1;
    }
    if (rc != 0 && im->err[0] == '\0')
        snprintf(im->err, im->errlen, "%s: out of memory", im->path);
    yaml_document_delete(&d);
    scn_pk_report_free(&rep);
    return rc;
}

/* ---------------------------------------------------------------------
 * lbsim check on a Portkey config: the import's lost effects and traps,
 * and what the tree makes unreachable or fragile.
 * ------------------------------------------------------------------- */

static const yaml_node_t *pk_get(yaml_document_t *d, const yaml_node_t *m, const char *key)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static void pk_finding(struct scn_import_report *rep, const char *path, const yaml_node_t *at,
                       const char *key, const char *text)
{
    (void)scn__import_note_add(rep, path, SCN_IMP_FINDING, (uint32_t)at->start_mark.line + 1,
                               (uint32_t)at->start_mark.column + 1, key, text);
}

/* Walk node n (a target or the root) at key path `key`. */
static void pk_lint(yaml_document_t *d, const yaml_node_t *n, const char *path, const char *key,
                    struct scn_import_report *rep, int depth)
{
    const yaml_node_t *st = pk_get(d, n, "strategy"), *tg = pk_get(d, n, "targets");
    if (depth > SCN_YAML_MAX_DEPTH || tg == NULL || tg->type != YAML_SEQUENCE_NODE)
        return;
    const yaml_node_t *mode = pk_get(d, st, "mode");
    const char *m =
        mode && mode->type == YAML_SCALAR_NODE ? (const char *)mode->data.scalar.value : "single";
    size_t n_t = (size_t)(tg->data.sequence.items.top - tg->data.sequence.items.start);
    char k[200];
    if (strcmp(m, "fallback") == 0 && n_t < 2)
        pk_finding(rep, path, tg, key,
                   "a fallback with one target: nothing to fall back to when it fails");
    if (strcmp(m, "fallback") == 0 && pk_get(d, st, "on_status_codes") != NULL) {
        const yaml_node_t *oc = pk_get(d, st, "on_status_codes");
        bool has429 = false;
        for (yaml_node_item_t *it = oc->type == YAML_SEQUENCE_NODE ? oc->data.sequence.items.start
                                                                   : NULL;
             it && it < oc->data.sequence.items.top; it++) {
            const yaml_node_t *c = yaml_document_get_node(d, *it);
            has429 |= c && c->type == YAML_SCALAR_NODE &&
                      strcmp((const char *)c->data.scalar.value, "429") == 0;
        }
        if (!has429)
            pk_finding(rep, path, oc, key,
                       "on_status_codes without 429: a rate-limited target ends the request "
                       "instead of falling back");
    }
    if (strcmp(m, "conditional") == 0 && pk_get(d, st, "default") == NULL)
        pk_finding(rep, path, st, key,
                   "a conditional without default: a request no condition matches fails");
    if (strcmp(m, "single") == 0 && n_t > 1)
        pk_finding(rep, path, tg, key,
                   "mode single uses the first target only: the others are "
                   "never picked");
    for (size_t i = 0; i < n_t; i++) {
        const yaml_node_t *t = yaml_document_get_node(d, tg->data.sequence.items.start[i]);
        const yaml_node_t *w = pk_get(d, t, "weight");
        snprintf(k, sizeof k, "%s.targets[%zu]", key, i);
        if (strcmp(m, "loadbalance") == 0 && w != NULL && w->type == YAML_SCALAR_NODE &&
            strtod((const char *)w->data.scalar.value, NULL) == 0.0)
            pk_finding(rep, path, w, k, "weight 0 under loadbalance: never picked");
        if (t != NULL)
            pk_lint(d, t, path, k, rep, depth + 1);
    }
}

int scn_portkey_check(const char *path, struct scn_import_report *rep, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (scn_import_text(SCN_IMPORT_PORTKEY, path, NULL, &text, &len, rep, err, errlen) != 0)
        return -1;
    free(text);
    /* the import's lost effects and traps are findings too */
    for (size_t i = 0; i < rep->n; i++)
        if (rep->notes[i].cls == SCN_IMP_UNSUPPORTED || rep->notes[i].cls == SCN_IMP_WARNING)
            rep->notes[i].cls = SCN_IMP_FINDING;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot be read", path);
        return -1;
    }
    yaml_parser_t p;
    yaml_document_t d;
    int rc = -1;
    if (yaml_parser_initialize(&p)) {
        yaml_parser_set_input_file(&p, f);
        if (yaml_parser_load(&p, &d)) {
            const yaml_node_t *root = yaml_document_get_root_node(&d);
            if (root != NULL)
                pk_lint(&d, root, path, "config", rep, 0);
            yaml_document_delete(&d);
            rc = 0;
        } else {
            snprintf(err, errlen, "%s:%zu:%zu: found invalid JSON/YAML: %s", path,
                     p.problem_mark.line + 1, p.problem_mark.column + 1,
                     p.problem ? p.problem : "an error");
        }
        yaml_parser_delete(&p);
    }
    fclose(f);
    return rc;
}
