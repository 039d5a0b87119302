/*
 * scn_set.c - `--set PATH=VALUE` overrides (see scn.h, scn_load_set).
 *
 * An override edits libyaml's document of the scenario file after it is
 * parsed and before the loader walks it, so that VALUE means exactly what
 * it would mean written in the file at PATH (units, `k`/`M`, `%`, flow
 * mappings and lists) and every check of the loader applies to it.  VALUE
 * is parsed as a YAML document of its own and its nodes are copied into
 * the scenario's document; the node at PATH is then replaced (or added, a
 * key missing from an existing mapping).
 *
 * The nodes an override adds carry a mark whose index is SCN__SET_MARK +
 * the override's index (scn_int.h): the loader's messages about them name
 * the override instead of a position in the file, which does not hold
 * that text.
 *
 * A node reached through several YAML aliases is copied before it is
 * edited (copy on write), so an override changes the one place PATH names,
 * as editing the text there would; the copies keep the file's marks.
 */
#include "scn_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Components of a PATH, and the nesting of a VALUE: far beyond any
 * scenario (the schema is at most ~8 deep), small enough to bound the
 * recursion that copies a VALUE. */
#define SET_DEPTH_MAX 64

/* ---------------------------------------------------------------------
 * The shape of a scenario, as far as the path walk needs it: which key
 * table a mapping is checked against (so that a missing intermediate
 * mapping is created only where the loader accepts its key), and which
 * keys hold lists.  It mirrors the section parsers (scn_load.c,
 * scn_traffic.c, scn_backends.c, scn_pools.c, scn_router.c,
 * scn_regions.c); a mapping it does not describe (strategy params,
 * distributions) is SHP_FREE: anything may be added there and the loader
 * judges it.
 * ------------------------------------------------------------------- */

enum shape {
    SHP_FREE = 0,
    SHP_TOP,
    SHP_TRAFFIC,
    SHP_WINDOW,
    SHP_LABELS,
    SHP_SYNTH,
    SHP_STATE,
    SHP_STEP,
    SHP_SESSION,
    SHP_SHARE,
    SHP_BACKEND,
    SHP_BUDGET,
    SHP_PRICES,
    SHP_LIMITS,
    SHP_LATENCY,
    SHP_FAULTS,
    SHP_OUTAGE,
    SHP_RANDOM_OUTAGE,
    SHP_BROWNOUT,
    SHP_STORM,
    SHP_SPOT,
    SHP_PREEMPT,
    SHP_AUTOSCALE,
    SHP_ROUTER,
    SHP_STRATEGY, /* a strategy node: a name, or a mapping with `strategy:` */
    SHP_RETRY,
    SHP_PER_STATUS,
    SHP_HEALTH,
    SHP_COOLDOWN,
    SHP_BREAKER,
    SHP_OUTLIER,
    SHP_FALLBACKS,
    SHP_FB_RULE,
    SHP_HEDGE,
    SHP_SLO,
    SHP_REGIONS,
    SHP_RTT_PAIR,
    SHP_CACHE,
    SHP_CACHE_TIER,
    SHP_N_
};

static const struct {
    const char *const *keys;
    size_t n;
} shape_keys[SHP_N_] = {
    [SHP_TOP] = {scn__top_keys, K_TOP_N},
    [SHP_TRAFFIC] = {scn__traffic_keys, TR_N},
    [SHP_WINDOW] = {scn__window_keys, WIN_N},
    [SHP_LABELS] = {scn__label_kind_names, N_LABEL_KIND},
    [SHP_SYNTH] = {scn__synth_keys, SY_N},
    [SHP_STATE] = {scn__state_keys, MS_N},
    [SHP_STEP] = {scn__step_keys, ST_N},
    [SHP_SESSION] = {scn__session_keys, SE_N},
    [SHP_SHARE] = {scn__share_keys, SH_N},
    [SHP_BACKEND] = {scn__backend_keys, B_N},
    [SHP_BUDGET] = {scn__budget_keys, BU_N},
    [SHP_PRICES] = {scn__price_keys, P_N},
    [SHP_LIMITS] = {scn__limit_keys, L_N},
    [SHP_LATENCY] = {scn__latency_keys, LA_N},
    [SHP_FAULTS] = {scn__fault_keys, F_N},
    [SHP_OUTAGE] = {scn__outage_keys, O_N},
    [SHP_RANDOM_OUTAGE] = {scn__random_outage_keys, RO_N},
    [SHP_BROWNOUT] = {scn__brownout_keys, BO_N},
    [SHP_STORM] = {scn__storm_keys, SM_N},
    [SHP_SPOT] = {scn__spot_keys, SP_N},
    [SHP_PREEMPT] = {scn__preempt_keys, PE_N},
    [SHP_AUTOSCALE] = {scn__autoscale_keys, AS_N},
    [SHP_ROUTER] = {scn__router_keys, R_N},
    [SHP_STRATEGY] = {scn__compare_keys, C_N},
    [SHP_RETRY] = {scn__retry_keys, RT_N},
    [SHP_PER_STATUS] = {scn__per_status_keys, PS_N},
    [SHP_HEALTH] = {scn__health_keys, H_N},
    [SHP_COOLDOWN] = {scn__cooldown_keys, CD_N},
    [SHP_BREAKER] = {scn__breaker_keys, BR_N},
    [SHP_OUTLIER] = {scn__outlier_keys, OL_N},
    [SHP_FALLBACKS] = {scn__fallbacks_keys, FB_N},
    [SHP_FB_RULE] = {scn__fb_rule_keys, FR_N},
    [SHP_HEDGE] = {scn__hedge_keys, HE_N},
    [SHP_SLO] = {scn__slo_keys, N_SLO},
    [SHP_REGIONS] = {scn__regions_keys, RG_N},
    [SHP_RTT_PAIR] = {scn__rtt_pair_keys, RP_N},
    [SHP_CACHE] = {scn__cache_keys, CA_N},
    [SHP_CACHE_TIER] = {scn__cache_tier_keys, CT_N},
};

/* parent's `key` holds a child mapping of shape `child`, or (list) a list
 * of them.  Keys of a known shape not listed here hold scalars, lists of
 * scalars, or mappings the walk does not know (SHP_FREE). */
static const struct {
    enum shape parent;
    const char *key;
    enum shape child;
    bool list;
} shape_edges[] = {
    {SHP_TOP, "traffic", SHP_TRAFFIC, false},
    {SHP_TOP, "backends", SHP_BACKEND, true},
    {SHP_TOP, "router", SHP_ROUTER, false},
    {SHP_TOP, "compare", SHP_STRATEGY, true},
    {SHP_TOP, "slo", SHP_SLO, false},
    {SHP_TOP, "regions", SHP_REGIONS, false},
    {SHP_TOP, "cache", SHP_CACHE, false},
    {SHP_TRAFFIC, "window", SHP_WINDOW, false},
    {SHP_TRAFFIC, "labels", SHP_LABELS, false},
    {SHP_TRAFFIC, "synthetic", SHP_SYNTH, false},
    {SHP_TRAFFIC, "sources", SHP_TRAFFIC, true},
    {SHP_SYNTH, "states", SHP_STATE, true},
    {SHP_SYNTH, "table", SHP_STEP, true},
    {SHP_SYNTH, "sessions", SHP_SESSION, false},
    {SHP_SYNTH, "labels", SHP_SHARE, true},
    {SHP_BACKEND, "prices", SHP_PRICES, false},
    {SHP_BACKEND, "limits", SHP_LIMITS, false},
    {SHP_BACKEND, "latency", SHP_LATENCY, false},
    {SHP_BACKEND, "faults", SHP_FAULTS, false},
    {SHP_BACKEND, "budget", SHP_BUDGET, false},
    {SHP_BACKEND, "spot", SHP_SPOT, false},
    {SHP_BACKEND, "autoscale", SHP_AUTOSCALE, false},
    {SHP_FAULTS, "outages", SHP_OUTAGE, true},
    {SHP_FAULTS, "random_outages", SHP_RANDOM_OUTAGE, false},
    {SHP_FAULTS, "brownouts", SHP_BROWNOUT, true},
    {SHP_FAULTS, "storms", SHP_STORM, true},
    {SHP_SPOT, "schedule", SHP_PREEMPT, true},
    {SHP_ROUTER, "strategy", SHP_STRATEGY, false},
    {SHP_ROUTER, "retries", SHP_RETRY, false},
    {SHP_ROUTER, "health", SHP_HEALTH, false},
    {SHP_ROUTER, "fallbacks", SHP_FALLBACKS, false},
    {SHP_ROUTER, "hedge", SHP_HEDGE, false},
    {SHP_STRATEGY, "child", SHP_STRATEGY, false},
    {SHP_STRATEGY, "children", SHP_STRATEGY, true},
    {SHP_RETRY, "per_status", SHP_PER_STATUS, false},
    {SHP_HEALTH, "cooldown", SHP_COOLDOWN, false},
    {SHP_HEALTH, "breaker", SHP_BREAKER, false},
    {SHP_HEALTH, "outlier", SHP_OUTLIER, false},
    {SHP_FALLBACKS, "rules", SHP_FB_RULE, true},
    {SHP_REGIONS, "rtt", SHP_RTT_PAIR, true},
    {SHP_CACHE, "l1", SHP_CACHE_TIER, false},
    {SHP_CACHE, "l2", SHP_CACHE_TIER, false},
};

/* Where the walk stands: the shape of the node, and whether the node is a
 * list of items of that shape. */
struct place {
    enum shape shape;
    bool list;
};

static struct place shape_child(struct place p, const char *key, size_t len)
{
    struct place out = {SHP_FREE, false};
    if (p.list)
        return out;
    for (size_t i = 0; i < SCN__NELEM(shape_edges); i++)
        if (shape_edges[i].parent == p.shape && strlen(shape_edges[i].key) == len &&
            memcmp(shape_edges[i].key, key, len) == 0) {
            out.shape = shape_edges[i].child;
            out.list = shape_edges[i].list;
        }
    return out;
}

/* ---------------------------------------------------------------------
 * PATH=VALUE
 * ------------------------------------------------------------------- */

/* PATH ends at its first '=' (scn_set_parse points into the argument). */
static size_t path_len(const char *path)
{
    return strcspn(path, "=");
}

int scn__set_prefix(const struct scn_set *s, char *buf, size_t len)
{
    const char *p = s->path ? s->path : "";
    return snprintf(buf, len, "%s %.*s=%s: ", s->origin ? s->origin : "--set", (int)path_len(p), p,
                    s->value ? s->value : "");
}

/* 0 when every component of path[0..len) is non-empty. */
static int path_check(const char *path, size_t len)
{
    if (len == 0 || path[0] == '.' || path[len - 1] == '.')
        return -1;
    for (size_t i = 1; i < len; i++)
        if (path[i] == '.' && path[i - 1] == '.')
            return -1;
    return 0;
}

int scn_set_parse(const char *arg, struct scn_set *out, char *err, size_t errlen)
{
    char q[64];
    if (out == NULL || arg == NULL) {
        base_errf(err, errlen, "--set: found no argument, expected PATH=VALUE");
        return -1;
    }
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (eq == NULL) {
        base_errf(err, errlen,
                  "--set: found %s without '=', expected PATH=VALUE (e.g. traffic.rate_scale=2)",
                  scn__quote(arg, q, sizeof q));
        return -1;
    }
    if (eq == arg) {
        base_errf(err, errlen,
                  "--set: found %s with an empty PATH, expected PATH=VALUE (e.g. "
                  "traffic.rate_scale=2)",
                  scn__quote(arg, q, sizeof q));
        return -1;
    }
    if (path_check(arg, (size_t)(eq - arg)) != 0) {
        base_errf(err, errlen,
                  "--set: found %s with an empty component in PATH, expected keys, names or "
                  "indices separated by single dots",
                  scn__quote(arg, q, sizeof q));
        return -1;
    }
    out->path = arg;
    out->value = eq + 1;
    out->origin = "--set";
    return 0;
}

/* ---------------------------------------------------------------------
 * The walk of one override
 * ------------------------------------------------------------------- */

struct set_walk {
    struct scn__ctx *c;
    yaml_document_t *doc;
    const struct scn_set *set;
    yaml_mark_t mark; /* of every node this override adds */
    size_t n;         /* components */
    const char *comp[SET_DEPTH_MAX];
    size_t clen[SET_DEPTH_MAX];
};

/* "<origin> PATH=VALUE: " + message: always -1.  scn_int.h documents the
 * same prefix for the loader's messages about overridden nodes. */
SCN__PRINTF(2, 3) static int walk_fail(struct set_walk *w, const char *fmt, ...)
{
    struct scn__ctx *c = w->c;
    int k = scn__set_prefix(w->set, c->err, c->errlen);
    if (k >= 0 && (size_t)k < c->errlen) {
        int f = snprintf(c->err + k, c->errlen - (size_t)k, "%s: ", c->path);
        k = f < 0 ? f : k + f;
    }
    if (k >= 0 && (size_t)k < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int walk_oom(struct set_walk *w)
{
    return walk_fail(w, "out of memory (applying the override)");
}

/* The path up to (not including) component i, quoted, or "the top level". */
static const char *where(const struct set_walk *w, size_t i, char *buf, size_t len)
{
    if (i == 0)
        return "the top level";
    size_t plen = (size_t)(w->comp[i - 1] + w->clen[i - 1] - w->comp[0]);
    snprintf(buf, len, "'%.*s'", (int)plen, w->comp[0]);
    return buf;
}

/* Components i..j-1 as they stand in the path (with their dots). */
static size_t span_len(const struct set_walk *w, size_t i, size_t j)
{
    return (size_t)(w->comp[j - 1] + w->clen[j - 1] - w->comp[i]);
}

static bool scalar_is(const yaml_node_t *n, const char *s, size_t len)
{
    return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

static void set_marks(yaml_document_t *d, int id, yaml_mark_t m)
{
    yaml_node_t *n = yaml_document_get_node(d, id);
    n->start_mark = m;
    n->end_mark = m;
}

/* How many references to node id the document holds. */
static size_t refs(const yaml_document_t *d, int id)
{
    size_t r = 0;
    for (const yaml_node_t *n = d->nodes.start; n < d->nodes.top; n++) {
        if (n->type == YAML_MAPPING_NODE) {
            for (const yaml_node_pair_t *p = n->data.mapping.pairs.start;
                 p < n->data.mapping.pairs.top; p++)
                r += (size_t)(p->key == id) + (size_t)(p->value == id);
        } else if (n->type == YAML_SEQUENCE_NODE) {
            for (const yaml_node_item_t *it = n->data.sequence.items.start;
                 it < n->data.sequence.items.top; it++)
                r += (size_t)(*it == id);
        }
    }
    return r;
}

/* The slot of the child: value of pair `idx` of a mapping, item `idx` of a
 * sequence. */
static int *slot(yaml_document_t *d, int parent, size_t idx)
{
    yaml_node_t *p = yaml_document_get_node(d, parent);
    if (p->type == YAML_MAPPING_NODE)
        return &p->data.mapping.pairs.start[idx].value;
    return &p->data.sequence.items.start[idx];
}

/* A node reached through several aliases is replaced, in this slot only,
 * by a shallow copy (with the file's marks), before it is edited.  The
 * id of the node to edit, or 0 when out of memory. */
static int unshare(yaml_document_t *d, int parent, size_t idx)
{
    int id = *slot(d, parent, idx);
    if (refs(d, id) <= 1)
        return id;
    yaml_node_t *o = yaml_document_get_node(d, id);
    if (o->type != YAML_MAPPING_NODE && o->type != YAML_SEQUENCE_NODE)
        return id; /* a scalar is replaced, never edited */
    yaml_mark_t start = o->start_mark, end = o->end_mark;
    int cp;
    if (o->type == YAML_MAPPING_NODE) {
        cp = yaml_document_add_mapping(d, o->tag, o->data.mapping.style);
        for (size_t k = 0; cp != 0; k++) {
            o = yaml_document_get_node(d, id);
            if (o->data.mapping.pairs.start + k >= o->data.mapping.pairs.top)
                break;
            yaml_node_pair_t pr = o->data.mapping.pairs.start[k];
            if (!yaml_document_append_mapping_pair(d, cp, pr.key, pr.value))
                cp = 0;
        }
    } else {
        cp = yaml_document_add_sequence(d, o->tag, o->data.sequence.style);
        for (size_t k = 0; cp != 0; k++) {
            o = yaml_document_get_node(d, id);
            if (o->data.sequence.items.start + k >= o->data.sequence.items.top)
                break;
            if (!yaml_document_append_sequence_item(d, cp, o->data.sequence.items.start[k]))
                cp = 0;
        }
    }
    if (cp == 0)
        return 0;
    yaml_node_t *n = yaml_document_get_node(d, cp);
    n->start_mark = start;
    n->end_mark = end;
    *slot(d, parent, idx) = cp;
    return cp;
}

/* ---- VALUE: parsed as YAML, copied into the scenario's document ------- */

struct vcopy {
    yaml_document_t *src;
    int *memo; /* src id -> new id (0 = not yet copied): keeps aliases and
                  ends cycles */
};

/* Copy node id of the VALUE's document; the new id, 0 when out of memory,
 * -1 when nested deeper than SET_DEPTH_MAX. */
static int copy_node(struct set_walk *w, struct vcopy *v, int id, unsigned depth)
{
    if (v->memo[id - 1] != 0)
        return v->memo[id - 1];
    if (depth > SET_DEPTH_MAX)
        return -1;
    yaml_node_t *s = yaml_document_get_node(v->src, id);
    int nid = 0;
    switch (s->type) {
    case YAML_SCALAR_NODE:
        nid = yaml_document_add_scalar(w->doc, s->tag, s->data.scalar.value,
                                       (int)s->data.scalar.length, s->data.scalar.style);
        break;
    case YAML_SEQUENCE_NODE:
        nid = yaml_document_add_sequence(w->doc, s->tag, s->data.sequence.style);
        break;
    case YAML_MAPPING_NODE:
        nid = yaml_document_add_mapping(w->doc, s->tag, s->data.mapping.style);
        break;
    default:
        break;
    }
    if (nid == 0)
        return 0;
    set_marks(w->doc, nid, w->mark);
    v->memo[id - 1] = nid;
    if (s->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top;
             it++) {
            int c = copy_node(w, v, *it, depth + 1);
            if (c <= 0)
                return c;
            if (!yaml_document_append_sequence_item(w->doc, nid, c))
                return 0;
        }
    } else if (s->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = s->data.mapping.pairs.start; p < s->data.mapping.pairs.top;
             p++) {
            int k = copy_node(w, v, p->key, depth + 1);
            if (k <= 0)
                return k;
            int c = copy_node(w, v, p->value, depth + 1);
            if (c <= 0)
                return c;
            if (!yaml_document_append_mapping_pair(w->doc, nid, k, c))
                return 0;
        }
    }
    return nid;
}

/* The node of VALUE in the scenario's document: its id, or 0 after an
 * error.  VALUE is read as YAML when it is one valid YAML document with
 * a node (`30s`, `{rpm: 100}`, `[a, b]`, `'a: b'`); otherwise (empty,
 * only a comment, not valid YAML: `a: b: c`, `{x`) it is the plain
 * string VALUE, as if quoted. */
static int value_node(struct set_walk *w)
{
    const char *val = w->set->value ? w->set->value : "";
    size_t len = strlen(val);
    yaml_parser_t p;
    yaml_document_t vdoc, next;
    int id = 0, parsed = 0, reader_error = 0;
    if (!yaml_parser_initialize(&p)) {
        walk_oom(w);
        return 0;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)val, len);
    if (yaml_parser_load(&p, &vdoc)) {
        if (yaml_document_get_root_node(&vdoc) != NULL) {
            if (yaml_parser_load(&p, &next)) {
                parsed = yaml_document_get_root_node(&next) == NULL;
                yaml_document_delete(&next);
            }
        }
        if (parsed) {
            size_t nn = (size_t)(vdoc.nodes.top - vdoc.nodes.start);
            struct vcopy v = {&vdoc, calloc(nn, sizeof(int))};
            id = v.memo ? copy_node(w, &v, 1, 0) : 0;
            free(v.memo);
        }
        yaml_document_delete(&vdoc);
    } else {
        reader_error = p.error == YAML_READER_ERROR;
    }
    yaml_parser_delete(&p);
    if (id < 0) {
        walk_fail(w, "found a VALUE nested more than %d deep, expected less", SET_DEPTH_MAX);
        return 0;
    }
    if (parsed) {
        if (id == 0)
            walk_oom(w);
        return id;
    }
    if (reader_error) {
        walk_fail(w, "found a VALUE that is not UTF-8 text, expected UTF-8 text");
        return 0;
    }
    id = yaml_document_add_scalar(w->doc, NULL, (const yaml_char_t *)val, (int)len,
                                  YAML_PLAIN_SCALAR_STYLE);
    if (id == 0) {
        walk_oom(w);
        return 0;
    }
    set_marks(w->doc, id, w->mark);
    return id;
}

/* ---- the path ---------------------------------------------------------- */

/* The name an item of a list goes by: a mapping's `name:`, else its
 * `label:`, else its `strategy:` (a compare entry's label); a scalar item
 * is its own name.  NULL when it has none. */
static const yaml_node_t *item_name(struct set_walk *w, const yaml_node_t *it)
{
    static const char *const keys[] = {"name", "label", "strategy"};
    if (it == NULL)
        return NULL;
    if (it->type == YAML_SCALAR_NODE)
        return scn__scalar_clean(it) ? it : NULL;
    for (size_t k = 0; k < SCN__NELEM(keys); k++) {
        const yaml_node_t *v = scn__map_get(w->c, it, keys[k]);
        if (v != NULL && scn__scalar_clean(v))
            return v;
    }
    return NULL;
}

/* Component i as a NUL-terminated string (cut at len). */
static const char *comp_str(const struct set_walk *w, size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", (int)w->clen[i], w->comp[i]);
    return buf;
}

/* " (did you mean 'x'?)" parts: prefix, word, suffix. */
#define DYM(s) (s) ? "; did you mean '" : "", (s) ? (s) : "", (s) ? "'?" : ""

/* Item *idx of list `seq` that components i..*j-1 address: the longest run
 * of components (dots included, names may have dots) that is an item's
 * name, else component i as an index. */
static int find_item(struct set_walk *w, int seq, size_t i, size_t *idx, size_t *j)
{
    const yaml_node_t *n = yaml_document_get_node(w->doc, seq);
    size_t count = scn__seq_len(n);
    for (size_t e = w->n; e > i; e--) {
        const char *s = w->comp[i];
        size_t len = span_len(w, i, e);
        for (size_t k = 0; k < count; k++) {
            if (scalar_is(item_name(w, scn__seq_item(w->c, n, k)), s, len)) {
                *idx = k;
                *j = e;
                return 0;
            }
        }
    }
    size_t v = 0, digits = 0;
    for (; digits < w->clen[i] && w->comp[i][digits] >= '0' && w->comp[i][digits] <= '9'; digits++)
        v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + (size_t)(w->comp[i][digits] - '0');
    if (digits == w->clen[i] && v < count) {
        *idx = v;
        *j = i + 1;
        return 0;
    }
    /* Nothing: the names there are, and the nearest one. */
    char names[480], word[128], at[256], range[48];
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    size_t o = 0;
    names[0] = '\0';
    comp_str(w, i, word, sizeof word);
    for (size_t k = 0; k < count; k++) {
        const yaml_node_t *nm = item_name(w, scn__seq_item(w->c, n, k));
        if (nm == NULL)
            continue;
        scn__suggest_step(word, scn__scalar_str(nm), &best, &best_d);
        if (o < sizeof names) {
            int r =
                snprintf(names + o, sizeof names - o, "%s%s", o ? ", " : "", scn__scalar_str(nm));
            o += r > 0 ? (size_t)r : 0;
        }
    }
    const char *sg = digits == w->clen[i] ? NULL : scn__suggest_done(word, best, best_d);
    if (count == 0)
        return walk_fail(w, "found no item '%s' in the empty list %s, expected an item to address",
                         word, where(w, i, at, sizeof at));
    snprintf(range, sizeof range, "an index 0..%zu", count - 1);
    if (names[0] == '\0')
        return walk_fail(w, "found no item '%s' in %s (%zu items), expected %s", word,
                         where(w, i, at, sizeof at), count, range);
    return walk_fail(w, "found no item '%s' in %s (%zu items), expected %s or a name: %s%s%s%s",
                     word, where(w, i, at, sizeof at), count, range, names, DYM(sg));
}

/* Pair index of the key of mapping `map` that components i..*j-1 name
 * (the longest run that is a key), or -1 (then *j = i + 1). */
static long find_key(struct set_walk *w, int map, size_t i, size_t *j)
{
    const yaml_node_t *n = yaml_document_get_node(w->doc, map);
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    for (size_t e = w->n; e > i; e--) {
        size_t len = span_len(w, i, e);
        for (size_t k = 0; k < count; k++) {
            if (scalar_is(scn__node_of(w->c, n->data.mapping.pairs.start[k].key), w->comp[i],
                          len)) {
                *j = e;
                return (long)k;
            }
        }
    }
    *j = i + 1;
    return -1;
}

/* Add component i as a key of mapping `map` with value `value`; the pair's
 * index, or -1 when out of memory. */
static long add_pair(struct set_walk *w, int map, size_t i, int value)
{
    int k = yaml_document_add_scalar(w->doc, NULL, (const yaml_char_t *)w->comp[i], (int)w->clen[i],
                                     YAML_PLAIN_SCALAR_STYLE);
    if (k == 0 || !yaml_document_append_mapping_pair(w->doc, map, k, value))
        return -1;
    set_marks(w->doc, k, w->mark);
    const yaml_node_t *n = yaml_document_get_node(w->doc, map);
    return (long)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) - 1;
}

/* A missing intermediate key i of a mapping of shape `at`: a new empty
 * mapping there, when the loader accepts the key; its id, or 0 after an
 * error. */
static int add_mapping(struct set_walk *w, int map, size_t i, struct place at)
{
    char word[128], where_buf[256], list[640];
    comp_str(w, i, word, sizeof word);
    if (at.shape != SHP_FREE && !at.list) {
        const char *const *keys = shape_keys[at.shape].keys;
        size_t nk = shape_keys[at.shape].n;
        size_t len = strlen(word);
        if (len != w->clen[i] || scn__find_name(word, keys, nk) == nk) {
            const char *sg = scn__suggest(word, keys, nk);
            scn__join_names(keys, nk, list, sizeof list);
            walk_fail(w, "found no key '%s' in %s, expected one of %s%s%s%s", word,
                      where(w, i, where_buf, sizeof where_buf), list, DYM(sg));
            return 0;
        }
        if (shape_child(at, word, len).list) {
            walk_fail(w,
                      "found no list '%s' in %s, expected the list in the file to address an "
                      "item of it (or set the whole list: %.*s=[...])",
                      word, where(w, i, where_buf, sizeof where_buf), (int)span_len(w, 0, i + 1),
                      w->comp[0]);
            return 0;
        }
    }
    int m = yaml_document_add_mapping(w->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
    if (m == 0 || add_pair(w, map, i, m) < 0) {
        walk_oom(w);
        return 0;
    }
    set_marks(w->doc, m, w->mark);
    return m;
}

/* A strategy given by name, in a slot the path goes through: the same
 * strategy as {strategy: name}, so that its label or params can be set.
 * The new mapping keeps the file's marks.  Its id, or 0. */
static int promote_strategy(struct set_walk *w, int parent, size_t idx)
{
    int sid = *slot(w->doc, parent, idx);
    yaml_mark_t m = yaml_document_get_node(w->doc, sid)->start_mark;
    int map = yaml_document_add_mapping(w->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
    int key = map ? yaml_document_add_scalar(w->doc, NULL, (const yaml_char_t *)"strategy", -1,
                                             YAML_PLAIN_SCALAR_STYLE)
                  : 0;
    if (key == 0 || !yaml_document_append_mapping_pair(w->doc, map, key, sid))
        return 0;
    set_marks(w->doc, map, m);
    set_marks(w->doc, key, m);
    *slot(w->doc, parent, idx) = map;
    return map;
}

static int apply_one(struct set_walk *w)
{
    char d[64], at[256], word[128];
    int cur = 1; /* the root: libyaml's first node */
    int parent = 0;
    size_t pidx = 0;
    struct place pl = {SHP_TOP, false};
    size_t i = 0;
    while (i < w->n) {
        yaml_node_t *n = yaml_document_get_node(w->doc, cur);
        if (n == NULL)
            return walk_fail(w, "found a broken YAML node, expected a scenario");
        size_t j = i + 1;
        if (n->type == YAML_MAPPING_NODE) {
            long k = find_key(w, cur, i, &j);
            struct place next = shape_child(pl, w->comp[i], span_len(w, i, j));
            if (k < 0 && j == w->n) {
                int v = value_node(w);
                if (v == 0)
                    return -1;
                return add_pair(w, cur, i, v) < 0 ? walk_oom(w) : 0;
            }
            if (k < 0) {
                int m = add_mapping(w, cur, i, pl);
                if (m == 0)
                    return -1;
                parent = cur;
                pidx = (size_t)(yaml_document_get_node(w->doc, cur)->data.mapping.pairs.top -
                                yaml_document_get_node(w->doc, cur)->data.mapping.pairs.start) -
                       1;
                cur = m;
            } else {
                parent = cur;
                pidx = (size_t)k;
            }
            pl = next;
        } else if (n->type == YAML_SEQUENCE_NODE) {
            size_t idx = 0;
            if (find_item(w, cur, i, &idx, &j) != 0)
                return -1;
            parent = cur;
            pidx = idx;
            if (!pl.list) /* a list the walk does not know */
                pl.shape = SHP_FREE;
            pl.list = false;
        } else if (pl.shape == SHP_STRATEGY && !pl.list && parent != 0 && scn__scalar_clean(n)) {
            cur = promote_strategy(w, parent, pidx);
            if (cur == 0)
                return walk_oom(w);
            continue;
        } else {
            return walk_fail(w, "found %s at %s, expected a mapping or a list to find '%s' in",
                             scn__describe(n, d, sizeof d), where(w, i, at, sizeof at),
                             comp_str(w, i, word, sizeof word));
        }
        if (j == w->n) {
            int v = value_node(w);
            if (v == 0)
                return -1;
            *slot(w->doc, parent, pidx) = v;
            return 0;
        }
        if (cur == parent) { /* an existing node: edit it in this place only */
            cur = unshare(w->doc, parent, pidx);
            if (cur == 0)
                return walk_oom(w);
        }
        i = j;
    }
    return 0;
}

int scn__set_apply(struct scn__ctx *c, const struct scn_set *sets, uint32_t n_sets)
{
    for (uint32_t k = 0; k < n_sets; k++) {
        struct set_walk w = {.c = c, .doc = c->doc, .set = &sets[k]};
        w.mark.index = SCN__SET_MARK + k;
        const char *p = sets[k].path ? sets[k].path : "";
        size_t len = path_len(p);
        if (path_check(p, len) != 0)
            return walk_fail(&w, "found an empty component in PATH, expected keys, names or "
                                 "indices separated by single dots");
        for (size_t s = 0; s < len;) {
            if (w.n == SET_DEPTH_MAX)
                return walk_fail(&w, "found a PATH of more than %d components, expected fewer",
                                 SET_DEPTH_MAX);
            size_t e = s;
            while (e < len && p[e] != '.')
                e++;
            w.comp[w.n] = p + s;
            w.clen[w.n++] = e - s;
            s = e + 1;
        }
        if (yaml_document_get_root_node(c->doc) == NULL)
            return walk_fail(&w, "found an empty document, expected a scenario");
        if (apply_one(&w) != 0)
            return -1;
    }
    return 0;
}
