/*
 * scn_portkey.c - Portkey: the native tree `router.portkey:` (loaded into
 * a struct route_pk_tree for route/loop_portkey.c), and the importer of a
 * Portkey config file (scn_import_portkey, scn_portkey.h).
 *
 * The native tree has the shape of a Portkey config
 * (docs/notes/litellm-replay.md section 3.6): a node is a leaf
 * `{backend: NAME, weight, retry, request_timeout, name}` or
 * `{strategy: {mode, on_status_codes, conditions, default}, targets: [...],
 * retry, request_timeout, weight, name}`; `request_timeout` is a duration
 * with a unit (Portkey's is a bare number of milliseconds: the importer
 * converts it).
 */
#include "scn_int.h"
#include "scn_portkey.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Label tables (scn.h)
 * ------------------------------------------------------------------- */

const char *scn_loop_emulates(const struct scenario *s)
{
    switch (s->router.loop) {
    case ROUTE_LOOP_LITELLM:
        return ROUTE_LLM_EMULATED;
    case ROUTE_LOOP_PORTKEY:
        return ROUTE_PK_EMULATED;
    case ROUTE_LOOP_LBSIM:
    default:
        return "";
    }
}

uint32_t scn_tenant_id(const struct scenario *s, const char *name)
{
    return scn__names_find(s->tenants, s->n_tenants, name);
}

uint32_t scn_task_id(const struct scenario *s, const char *name)
{
    if (strcmp(name, SCN_TOOL_TASK) == 0)
        return 1;
    uint32_t id = scn__names_find(s->tasks, s->n_tasks, name);
    return id ? id - 1 + SCN_TASK_FIRST_NAMED : SCN_TASK_OTHER;
}

/* ---------------------------------------------------------------------
 * The native tree
 * ------------------------------------------------------------------- */

/* What a load builds before it copies the arrays into scenario memory. */
struct pk_build {
    struct scn__ctx *c;
    struct route_pk_node *nodes; /* exactly n_nodes, counted first */
    uint32_t n_nodes, used_nodes;
    struct route_pk_cond *conds;
    uint32_t n_conds, cap_conds;
    struct route_pk_expr *exprs;
    uint32_t n_exprs, cap_exprs;
    double *vals;
    uint32_t n_vals, cap_vals;
};

static void build_free(struct pk_build *b)
{
    free(b->nodes);
    free(b->conds);
    free(b->exprs);
    free(b->vals);
}

/* Grow one of the build's arrays by `k` entries; the index of the first. */
static int64_t grow(struct pk_build *b, const yaml_node_t *at, void **arr, uint32_t *n,
                    uint32_t *cap, size_t size, uint32_t k)
{
    if ((uint64_t)*n + k > UINT32_MAX / 2)
        return scn__fail(b->c, at, "found a Portkey tree too large, expected a smaller one");
    if (*n + k > *cap) {
        uint32_t nc = (*n + k) * 2 + 8;
        void *p = realloc(*arr, (size_t)nc * size);
        if (p == NULL)
            return scn__oom(b->c, at);
        memset((char *)p + (size_t)*cap * size, 0, (size_t)(nc - *cap) * size);
        *arr = p;
        *cap = nc;
    }
    int64_t first = *n;
    *n += k;
    return first;
}

static int64_t new_exprs(struct pk_build *b, const yaml_node_t *at, uint32_t k)
{
    return grow(b, at, (void **)&b->exprs, &b->n_exprs, &b->cap_exprs, sizeof *b->exprs, k);
}

/* Nodes in the subtree at n (a malformed one counts 1: its parse fails). */
static uint64_t count_nodes(struct scn__ctx *c, const yaml_node_t *n, uint32_t depth)
{
    uint64_t k = 1;
    if (n == NULL || n->type != YAML_MAPPING_NODE || depth > ROUTE_PK_MAX_DEPTH)
        return k;
    const yaml_node_t *t = scn__map_get(c, n, "targets");
    if (t == NULL || t->type != YAML_SEQUENCE_NODE)
        return k;
    for (size_t i = 0; i < scn__seq_len(t); i++)
        k += count_nodes(c, scn__seq_item(c, t, i), depth + 1);
    return k;
}

/* A list of HTTP statuses (100-599), at most ROUTE_PK_MAX_CODES. */
static int parse_codes(struct scn__ctx *c, const yaml_node_t *n, struct route_pk_codes *out)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE || scn__seq_len(n) > ROUTE_PK_MAX_CODES)
        return scn__fail(c, n, "found %s, expected a list of at most %d HTTP statuses",
                         scn__describe(n, d, sizeof d), ROUTE_PK_MAX_CODES);
    out->set = true;
    out->n = 0;
    for (size_t i = 0; i < scn__seq_len(n); i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i);
        int64_t v = 0;
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__v_int(c, it, 100, 599, &v))
            return -1;
        out->code[out->n++] = (uint16_t)v;
    }
    return 0;
}

static int parse_retry(struct scn__ctx *c, const yaml_node_t *n, struct route_pk_retry *r)
{
    const yaml_node_t *v[PKR_N];
    uint64_t u = 0;
    if (scn__check_map(c, n, "a Portkey 'retry'", scn__pk_retry_keys, PKR_N, v))
        return -1;
    if (v[PKR_ATTEMPTS] == NULL)
        return scn__missing(c, n, "a Portkey 'retry'", "attempts", "a number of retries, 0 to 5");
    if (scn__v_uint(c, v[PKR_ATTEMPTS], UINT32_MAX, &u))
        return -1;
    if (u > ROUTE_PK_MAX_ATTEMPTS)
        return scn__fail(c, v[PKR_ATTEMPTS],
                         "found %llu retry attempts, expected at most %d (Portkey's limit)",
                         (unsigned long long)u, ROUTE_PK_MAX_ATTEMPTS);
    r->set = true;
    r->attempts = (uint32_t)u;
    if (v[PKR_ON_STATUS_CODES] && parse_codes(c, v[PKR_ON_STATUS_CODES], &r->on_status_codes))
        return -1;
    if (v[PKR_USE_RETRY_AFTER] &&
        scn__v_bool(c, v[PKR_USE_RETRY_AFTER], &r->use_retry_after_header))
        return -1;
    return 0;
}

/* ---- conditions (P:src/services/conditionalRouter.ts) ------------------ */

static const char *const pk_field_names[] = {"metadata.tenant", "metadata.task", "metadata.region",
                                             "metadata.priority", "params.model"};

static int parse_field(struct scn__ctx *c, const yaml_node_t *k, const char *key, uint8_t *field)
{
    char q[64];
    size_t i = scn__find_name(key, pk_field_names, SCN__NELEM(pk_field_names));
    if (i < SCN__NELEM(pk_field_names)) {
        *field = (uint8_t)i;
        return 0;
    }
    return scn__fail(c, k,
                     "found condition key %s, expected metadata.tenant, metadata.task, "
                     "metadata.region, metadata.priority or params.model (unsupported: an lbsim "
                     "request carries only these labels)",
                     scn__quote(key, q, sizeof q));
}

/* A plain (unquoted) scalar that YAML/JSON reads as a number, bool or
 * null: Portkey's metadata values are strings, and its $eq is strict. */
static bool non_string_scalar(const yaml_node_t *n)
{
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = scn__scalar_str(n);
    double x;
    const char *end;
    if (scn__number_prefix(s, &x, &end) == 0 && *end == '\0')
        return true;
    return strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0;
}

/* The id a label value compiles to; interns names the scenario lacks so
 * the gateway's label mapping finds them. */
static int label_value(struct pk_build *b, const yaml_node_t *n, uint8_t field, double *out)
{
    struct scn__ctx *c = b->c;
    struct scenario *s = c->s;
    char q[64], m[128];
    const char *str = NULL;
    if (scn__get_str(c, n, "a label value", &str))
        return -1;
    if (non_string_scalar(n))
        return scn__fail(c, n,
                         "found %s unquoted, expected a quoted string: Portkey compares %s as "
                         "a string and a number never equals it",
                         scn__quote(str, q, sizeof q), pk_field_names[field]);
    if (strlen(str) == 0 || strlen(str) >= SCN_NAME_MAX)
        return scn__fail(c, n, "found %s, expected a label of 1 to %d characters",
                         scn__quote(str, q, sizeof q), SCN_NAME_MAX - 1);
    int64_t id = 0;
    switch ((enum route_pk_field)field) {
    case ROUTE_PK_F_TENANT:
        id = scn__names_intern(&s->tenants, &s->n_tenants, str);
        break;
    case ROUTE_PK_F_TASK:
        if (strcmp(str, SCN_TOOL_TASK) == 0) {
            id = 1;
            break;
        }
        id = scn__names_intern(&s->tasks, &s->n_tasks, str);
        if (id > 0)
            id = id - 1 + SCN_TASK_FIRST_NAMED;
        break;
    case ROUTE_PK_F_REGION:
        id = scn__names_intern(&s->regions, &s->n_regions, str);
        break;
    case ROUTE_PK_F_MODEL_GROUP:
        id = scn__names_intern(&s->groups, &s->n_groups, str);
        break;
    case ROUTE_PK_F_PRIORITY: {
        uint64_t u = 0;
        if (scn__parse_uint(str, UINT32_MAX, &u, m, sizeof m))
            return scn__fail(c, n, "%s (metadata.priority is an lbsim request priority)", m);
        *out = (double)u;
        return 0;
    }
    }
    if (id < 0)
        return scn__oom(c, n);
    *out = (double)id;
    return 0;
}

static int compile_query(struct pk_build *b, const yaml_node_t *n, uint32_t slot, uint32_t depth);

/* One operator of a field: {$eq: v}, {$in: [...]}, ... into exprs[slot]. */
static int compile_op(struct pk_build *b, const yaml_node_t *k, const char *op,
                      const yaml_node_t *v, uint8_t field, uint32_t slot)
{
    struct scn__ctx *c = b->c;
    static const char *const ops[] = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"};
    static const uint8_t codes[] = {ROUTE_PK_Q_EQ, ROUTE_PK_Q_NE,  ROUTE_PK_Q_GT, ROUTE_PK_Q_GTE,
                                    ROUTE_PK_Q_LT, ROUTE_PK_Q_LTE, ROUTE_PK_Q_IN, ROUTE_PK_Q_NIN};
    char q[64], d[64], m[128];
    size_t i = scn__find_name(op, ops, SCN__NELEM(ops));
    if (strcmp(op, "$regex") == 0 || strcmp(op, "$length") == 0)
        return scn__fail(c, k,
                         "found operator '%s', expected $eq, $ne, $gt, $gte, $lt, $lte, $in or "
                         "$nin (unsupported: lbsim labels are interned names, with no text or "
                         "list to match)",
                         op);
    if (i == SCN__NELEM(ops))
        return scn__fail(c, k,
                         "found operator %s, expected $eq, $ne, $gt, $gte, $lt, $lte, $in or "
                         "$nin (Portkey rejects other operators)",
                         scn__quote(op, q, sizeof q));
    struct route_pk_expr x = {.op = codes[i], .field = field};
    if (x.op >= ROUTE_PK_Q_GT && x.op <= ROUTE_PK_Q_LTE) {
        const char *s = NULL;
        if (field != ROUTE_PK_F_PRIORITY)
            return scn__fail(c, k,
                             "found %s on %s, expected numeric comparisons on metadata.priority "
                             "only (unsupported: other labels have no numeric value in lbsim)",
                             op, pk_field_names[field]);
        if (scn__get_str(c, v, "a number", &s))
            return -1;
        if (scn__parse_number(s, &x.value, m, sizeof m))
            return scn__fail(c, v, "%s", m);
    } else if (x.op == ROUTE_PK_Q_IN || x.op == ROUTE_PK_Q_NIN) {
        if (v->type != YAML_SEQUENCE_NODE)
            return scn__fail(c, v, "found %s, expected a list of values for %s",
                             scn__describe(v, d, sizeof d), op);
        uint32_t nv = (uint32_t)scn__seq_len(v);
        int64_t first =
            grow(b, v, (void **)&b->vals, &b->n_vals, &b->cap_vals, sizeof *b->vals, nv);
        if (first < 0)
            return -1;
        x.first = (uint32_t)first;
        x.count = nv;
        for (uint32_t j = 0; j < nv; j++) {
            const yaml_node_t *it = scn__seq_item(c, v, j);
            if (it == NULL)
                return scn__oom(c, v);
            if (label_value(b, it, field, &b->vals[first + j]))
                return -1;
        }
    } else if (label_value(b, v, field, &x.value)) {
        return -1;
    }
    b->exprs[slot] = x;
    return 0;
}

/* One entry `key: value` of a query object into exprs[slot]. */
static int compile_entry(struct pk_build *b, const yaml_node_t *k, const yaml_node_t *v,
                         uint32_t slot, uint32_t depth)
{
    struct scn__ctx *c = b->c;
    const char *key = NULL;
    char d[64], q[64];
    if (scn__get_str(c, k, "a condition key", &key))
        return -1;
    if (strcmp(key, "$and") == 0 || strcmp(key, "$or") == 0) {
        if (v->type != YAML_SEQUENCE_NODE || scn__seq_len(v) == 0)
            return scn__fail(c, v, "found %s, expected '%s': a non-empty list of queries",
                             scn__describe(v, d, sizeof d), key);
        uint32_t nk = (uint32_t)scn__seq_len(v);
        int64_t first = new_exprs(b, v, nk);
        if (first < 0)
            return -1;
        b->exprs[slot] = (struct route_pk_expr){
            .op = key[2] == 'a' ? ROUTE_PK_Q_AND : ROUTE_PK_Q_OR,
            .answers = true,
            .first = (uint32_t)first,
            .count = nk,
        };
        for (uint32_t i = 0; i < nk; i++) {
            const yaml_node_t *it = scn__seq_item(c, v, i);
            if (it == NULL)
                return scn__oom(c, v);
            if (compile_query(b, it, (uint32_t)first + i, depth + 1))
                return -1;
        }
        return 0;
    }
    if (key[0] == '$')
        return scn__fail(c, k, "found %s at the top of a query, expected $and, $or or a field",
                         scn__quote(key, q, sizeof q));
    uint8_t field = 0;
    if (parse_field(c, k, key, &field))
        return -1;
    if (v->type == YAML_SCALAR_NODE)
        return compile_op(b, k, "$eq", v, field, slot);
    if (v->type != YAML_MAPPING_NODE)
        return scn__fail(c, v, "found %s, expected a value or a mapping of operators",
                         scn__describe(v, d, sizeof d));
    uint32_t nops = (uint32_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (nops == 0)
        return scn__fail(c, v, "found an empty mapping, expected operators such as {$eq: ...}");
    /* several operators on one field: every one must hold */
    int64_t first = new_exprs(b, v, nops);
    if (first < 0)
        return -1;
    b->exprs[slot] =
        (struct route_pk_expr){.op = ROUTE_PK_Q_AND, .first = (uint32_t)first, .count = nops};
    for (uint32_t i = 0; i < nops; i++) {
        const yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];
        const yaml_node_t *ok = scn__node_of(c, p->key), *ov = scn__node_of(c, p->value);
        const char *op = NULL;
        if (ok == NULL || ov == NULL)
            return scn__oom(c, v);
        if (scn__get_str(c, ok, "an operator", &op))
            return -1;
        if (compile_op(b, ok, op, ov, field, (uint32_t)first + i))
            return -1;
    }
    return 0;
}

/* A query object into exprs[slot] (an ALL of its entries, in order). */
static int compile_query(struct pk_build *b, const yaml_node_t *n, uint32_t slot, uint32_t depth)
{
    struct scn__ctx *c = b->c;
    char d[64];
    if (depth > 32)
        return scn__fail(c, n, "found a query nested deeper than 32, expected a shallower one");
    if (n->type != YAML_MAPPING_NODE)
        return scn__fail(c, n,
                         "found %s, expected a query: a mapping such as "
                         "{metadata.tenant: {$eq: \"gold\"}}",
                         scn__describe(n, d, sizeof d));
    uint32_t ne = (uint32_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    int64_t first = new_exprs(b, n, ne);
    if (first < 0)
        return -1;
    b->exprs[slot] =
        (struct route_pk_expr){.op = ROUTE_PK_Q_ALL, .first = (uint32_t)first, .count = ne};
    for (uint32_t i = 0; i < ne; i++) {
        const yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        const yaml_node_t *k = scn__node_of(c, p->key), *v = scn__node_of(c, p->value);
        if (k == NULL || v == NULL)
            return scn__oom(c, n);
        if (compile_entry(b, k, v, (uint32_t)first + i, depth))
            return -1;
    }
    return 0;
}

/* The position of the child called `name` among n's targets (the first,
 * as findTarget), or -1 with a message. */
static int child_named(struct pk_build *b, const yaml_node_t *targets, const yaml_node_t *at,
                       int32_t *pos)
{
    struct scn__ctx *c = b->c;
    const char *name = NULL;
    char q[64];
    if (scn__get_str(c, at, "a target name", &name))
        return -1;
    for (size_t i = 0; i < scn__seq_len(targets); i++) {
        const yaml_node_t *t = scn__seq_item(c, targets, i);
        const yaml_node_t *nm =
            t && t->type == YAML_MAPPING_NODE ? scn__map_get(c, t, "name") : NULL;
        if (nm && nm->type == YAML_SCALAR_NODE && strcmp(scn__scalar_str(nm), name) == 0) {
            *pos = (int32_t)i;
            return 0;
        }
    }
    return scn__fail(c, at,
                     "found target name %s, expected the 'name' of one of this node's "
                     "targets",
                     scn__quote(name, q, sizeof q));
}

static int parse_conditions(struct pk_build *b, const yaml_node_t *n, const yaml_node_t *targets,
                            struct route_pk_node *out)
{
    struct scn__ctx *c = b->c;
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE || scn__seq_len(n) == 0)
        return scn__fail(c, n, "found %s, expected 'conditions': a non-empty list of {query, then}",
                         scn__describe(n, d, sizeof d));
    uint32_t nc = (uint32_t)scn__seq_len(n);
    int64_t first =
        grow(b, n, (void **)&b->conds, &b->n_conds, &b->cap_conds, sizeof *b->conds, nc);
    if (first < 0)
        return -1;
    out->first_cond = (uint32_t)first;
    out->n_conds = nc;
    for (uint32_t i = 0; i < nc; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *v[PKC_N];
        int32_t pos = 0;
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "a Portkey condition", scn__pk_cond_keys, PKC_N, v))
            return -1;
        if (v[PKC_QUERY] == NULL)
            return scn__missing(c, it, "a Portkey condition", "query", "a query mapping");
        if (v[PKC_THEN] == NULL)
            return scn__missing(c, it, "a Portkey condition", "then", "a target name");
        if (child_named(b, targets, v[PKC_THEN], &pos))
            return -1;
        int64_t root = new_exprs(b, v[PKC_QUERY], 1);
        if (root < 0)
            return -1;
        if (compile_query(b, v[PKC_QUERY], (uint32_t)root, 0))
            return -1;
        b->conds[first + i].expr = (uint32_t)root;
        b->conds[first + i].then = (uint32_t)pos;
    }
    return 0;
}

static int find_backend(struct scn__ctx *c, const yaml_node_t *n, int32_t *out)
{
    const struct scenario *s = c->s;
    char name[SCN_NAME_MAX], q[64];
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    if (scn__v_name(c, n, "a backend name", false, 1, name, sizeof name))
        return -1;
    for (uint32_t i = 0; i < s->n_backends; i++) {
        if (strcmp(s->backends[i].name, name) == 0) {
            *out = (int32_t)i;
            return 0;
        }
        scn__suggest_step(name, s->backends[i].name, &best, &best_d);
    }
    const char *sg = scn__suggest_done(name, best, best_d);
    return scn__fail(c, n, "found %s, expected the name of a backend%s%s%s",
                     scn__quote(name, q, sizeof q), sg ? "; did you mean '" : "", sg ? sg : "",
                     sg ? "'?" : "");
}

static int parse_node(struct pk_build *b, const yaml_node_t *n, uint32_t idx, uint32_t depth)
{
    struct scn__ctx *c = b->c;
    const yaml_node_t *v[PK_N];
    char d[64];
    struct route_pk_node *out = &b->nodes[idx];
    memset(out, 0, sizeof *out);
    out->weight = 1; /* handlerUtils.ts:693-723: weight defaults to 1 */
    out->default_child = -1;
    out->backend = -1;
    if (depth > ROUTE_PK_MAX_DEPTH)
        return scn__fail(c, n, "found a Portkey tree deeper than %d levels, expected fewer",
                         ROUTE_PK_MAX_DEPTH);
    if (scn__check_map(c, n, "a Portkey target", scn__pk_node_keys, PK_N, v))
        return -1;
    if (v[PK_WEIGHT]) {
        if (scn__v_number(c, v[PK_WEIGHT], &out->weight))
            return -1;
        if (!(out->weight >= 0) || !isfinite(out->weight))
            return scn__fail(c, v[PK_WEIGHT], "found weight %g, expected a weight >= 0",
                             out->weight);
    }
    if (v[PK_RETRY] && parse_retry(c, v[PK_RETRY], &out->retry))
        return -1;
    if (v[PK_REQUEST_TIMEOUT]) {
        if (scn__v_duration_ns(c, v[PK_REQUEST_TIMEOUT], &out->request_timeout_ns))
            return -1;
        if (out->request_timeout_ns <= 0)
            return scn__fail(c, v[PK_REQUEST_TIMEOUT],
                             "found a request_timeout of 0, expected a duration > 0");
    }
    if (v[PK_NAME]) {
        char name[SCN_NAME_MAX];
        if (scn__v_name(c, v[PK_NAME], "a target name", false, 1, name, sizeof name))
            return -1;
    }
    if (v[PK_BACKEND]) {
        if (v[PK_STRATEGY] || v[PK_TARGETS])
            return scn__fail(c, v[PK_STRATEGY] ? v[PK_STRATEGY] : v[PK_TARGETS],
                             "found '%s' beside 'backend', expected a leaf ({backend, weight, "
                             "retry, request_timeout, name}) or a node with strategy and targets",
                             v[PK_STRATEGY] ? "strategy" : "targets");
        out->mode = ROUTE_PK_LEAF;
        return find_backend(c, v[PK_BACKEND], &out->backend);
    }
    if (v[PK_STRATEGY] == NULL || v[PK_TARGETS] == NULL)
        return scn__missing(c, n, "a Portkey target", v[PK_STRATEGY] ? "targets" : "strategy",
                            v[PK_STRATEGY] ? "a non-empty list of targets"
                                           : "{mode: single|loadbalance|fallback|conditional} "
                                             "(or 'backend' for a leaf)");
    const yaml_node_t *w[PKS_N], *tg = v[PK_TARGETS];
    size_t mode = 0;
    if (scn__check_map(c, v[PK_STRATEGY], "a Portkey 'strategy'", scn__pk_strategy_keys, PKS_N, w))
        return -1;
    if (w[PKS_MODE] == NULL)
        return scn__missing(c, v[PK_STRATEGY], "a Portkey 'strategy'", "mode",
                            "single, loadbalance, fallback or conditional");
    if (scn__v_enum(c, w[PKS_MODE], "a strategy mode", scn__pk_mode_names, N_PK_MODE, &mode))
        return -1;
    out->mode = (enum route_pk_mode)(ROUTE_PK_SINGLE + mode);
    if (tg->type != YAML_SEQUENCE_NODE || scn__seq_len(tg) == 0)
        return scn__fail(c, tg, "found %s, expected 'targets': a non-empty list",
                         scn__describe(tg, d, sizeof d));
    if (w[PKS_ON_STATUS_CODES] && parse_codes(c, w[PKS_ON_STATUS_CODES], &out->on_status_codes))
        return -1;
    if (out->mode != ROUTE_PK_CONDITIONAL && (w[PKS_CONDITIONS] || w[PKS_DEFAULT]))
        return scn__fail(c, w[PKS_CONDITIONS] ? w[PKS_CONDITIONS] : w[PKS_DEFAULT],
                         "found '%s' on a %s node, expected it only with mode: conditional",
                         w[PKS_CONDITIONS] ? "conditions" : "default", scn__pk_mode_names[mode]);
    if (out->mode == ROUTE_PK_CONDITIONAL) {
        if (w[PKS_CONDITIONS] == NULL)
            return scn__missing(c, v[PK_STRATEGY], "a conditional strategy", "conditions",
                                "a list of {query, then}");
        if (parse_conditions(b, w[PKS_CONDITIONS], tg, out))
            return -1;
        if (w[PKS_DEFAULT] && child_named(b, tg, w[PKS_DEFAULT], &out->default_child))
            return -1;
    }
    uint32_t nk = (uint32_t)scn__seq_len(tg);
    if ((uint64_t)b->used_nodes + nk > b->n_nodes)
        return scn__oom(c, tg); /* count_nodes disagrees: cannot happen */
    out->first_child = b->used_nodes;
    out->n_children = nk;
    b->used_nodes += nk;
    uint32_t first = out->first_child;
    double wsum = 0;
    for (uint32_t i = 0; i < nk; i++) {
        const yaml_node_t *it = scn__seq_item(c, tg, i);
        if (it == NULL)
            return scn__oom(c, tg);
        if (parse_node(b, it, first + i, depth + 1))
            return -1;
        wsum += b->nodes[first + i].weight;
    }
    if (b->nodes[idx].mode == ROUTE_PK_LOADBALANCE && !(wsum > 0))
        return scn__fail(c, tg,
                         "found loadbalance targets whose weights are all 0, expected "
                         "one weight > 0");
    return 0;
}

/* Copy a build array into scenario memory. */
static void *own_copy(struct scn__ctx *c, const yaml_node_t *n, const void *src, size_t size)
{
    if (size == 0)
        return NULL;
    void *p = scn__own_alloc(c, n, size);
    if (p != NULL)
        memcpy(p, src, size);
    return p;
}

int scn__parse_portkey(struct scn__ctx *c, const yaml_node_t *n, struct scn_router *r)
{
    char d[64], m[256];
    if (n->type != YAML_MAPPING_NODE)
        return scn__fail(c, n,
                         "found %s, expected 'portkey': a Portkey tree (a mapping with strategy "
                         "and targets, or a leaf {backend: NAME})",
                         scn__describe(n, d, sizeof d));
    uint64_t count = count_nodes(c, n, 1);
    if (count > ROUTE_PK_MAX_NODES)
        return scn__fail(c, n, "found %llu Portkey targets, expected at most %d",
                         (unsigned long long)count, ROUTE_PK_MAX_NODES);
    struct pk_build b = {.c = c, .n_nodes = (uint32_t)count, .used_nodes = 1};
    b.nodes = calloc(count, sizeof *b.nodes);
    if (b.nodes == NULL)
        return scn__oom(c, n);
    int rc = parse_node(&b, n, 0, 1);
    if (rc == 0 && b.used_nodes != b.n_nodes)
        rc = scn__oom(c, n); /* count_nodes disagrees: cannot happen */
    struct route_pk_tree t = {
        .n_nodes = b.n_nodes, .n_conds = b.n_conds, .n_exprs = b.n_exprs, .n_vals = b.n_vals};
    if (rc == 0) {
        t.nodes = own_copy(c, n, b.nodes, (size_t)b.n_nodes * sizeof *b.nodes);
        t.conds = own_copy(c, n, b.conds, (size_t)b.n_conds * sizeof *b.conds);
        t.exprs = own_copy(c, n, b.exprs, (size_t)b.n_exprs * sizeof *b.exprs);
        t.vals = own_copy(c, n, b.vals, (size_t)b.n_vals * sizeof *b.vals);
        if (t.nodes == NULL || (b.n_conds && t.conds == NULL) || (b.n_exprs && t.exprs == NULL) ||
            (b.n_vals && t.vals == NULL))
            rc = -1;
    }
    build_free(&b);
    if (rc != 0)
        return -1;
    if (route_pk_check(&t, c->s->n_backends, m, sizeof m) != 0)
        return scn__fail(c, n, "found an invalid Portkey tree: %s", m);
    r->portkey = t;
    return 0;
}
