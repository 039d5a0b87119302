/*
 * scn_load.c - the scenario loader: the file, libyaml's document, the
 * top-level mapping and cleanup (see scn.h and README.md "Scenario
 * reference"); the sections are parsed by scn_traffic.c, scn_backends.c,
 * scn_pools.c, scn_router.c and scn_regions.c.
 *
 * The walk is driven by the schema: every mapping is checked against a
 * key table of scn_keys.def (unknown keys are errors with a "did you mean"
 * suggestion, duplicate keys are errors), then each known key is converted
 * with the converters of scn_values.c.  Aliases are accepted as libyaml
 * resolves them (a node may be reached twice, never recursively, because
 * the walk only descends where the schema does).
 *
 * Errors: "file:line:col: found <what>, expected <what>", the position
 * being the start of the offending node (1-based).  Everything allocated
 * hangs off the scenario being built, so a failure is cleaned up by
 * scn_free().
 */
#include "scn_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Scenario files are small; a larger file is a mistake (a trace given as
 * the scenario, say), refused before it is parsed. */
#define SCN_FILE_MAX ((size_t)64 << 20)

#define SCN_DEFAULT_INTERVAL_NS (60LL * 1000000000LL)
#define SCN_DEFAULT_TIMEOUT_NS  (600LL * 1000000000LL)

/* ---------------------------------------------------------------------
 * Context, errors, node helpers
 * ------------------------------------------------------------------- */

static int vfail_at(struct scn__ctx *c, yaml_mark_t m, const char *fmt, va_list ap)
{
    int k;
    if (m.index >= SCN__SET_MARK && m.index - SCN__SET_MARK < c->n_sets)
        k = scn__set_prefix(&c->sets[m.index - SCN__SET_MARK], c->err, c->errlen);
    else if (m.index == SCN__IMPORT_MARK && c->import_path != NULL) /* scn_import.c */
        k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->import_path, m.line + 1, m.column + 1);
    else
        k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->path, m.line + 1, m.column + 1);
    if (k >= 0 && (size_t)k < c->errlen)
        vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    return -1;
}

int scn__fail_at(struct scn__ctx *c, yaml_mark_t m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(c, m, fmt, ap);
    va_end(ap);
    return -1;
}

int scn__fail(struct scn__ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(c, n->start_mark, fmt, ap);
    va_end(ap);
    return -1;
}

int scn__oom(struct scn__ctx *c, const yaml_node_t *n)
{
    return scn__fail(c, n, "out of memory (allocating the scenario)");
}

const char *scn__describe(const yaml_node_t *n, char *buf, size_t len)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a sequence";
    if (n->type != YAML_SCALAR_NODE)
        return "an unknown node";
    if (n->data.scalar.length == 0)
        return "an empty value";
    return scn__quote(scn__scalar_str(n), buf, len);
}

void scn__join_names(const char *const *names, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

size_t scn__find_name(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return n;
}

const yaml_node_t *scn__map_get(struct scn__ctx *c, const yaml_node_t *n, const char *key)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return NULL;
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = scn__node_of(c, p->key);
        if (k != NULL && scn__scalar_clean(k) && strcmp(scn__scalar_str(k), key) == 0)
            return scn__node_of(c, p->value);
    }
    return NULL;
}

int scn__check_map(struct scn__ctx *c, const yaml_node_t *n, const char *what,
                   const char *const *keys, size_t nkeys, const yaml_node_t **vals)
{
    /* The "expected one of ..." list is built on the error paths only: a
     * valid file never pays for it (issue 16: 12% of a 100-request run). */
    char list[640], q[64], d[64];
    if (n->type != YAML_MAPPING_NODE) {
        scn__join_names(keys, nkeys, list, sizeof list);
        return scn__fail(c, n, "found %s, expected %s: a mapping with keys %s",
                         scn__describe(n, d, sizeof d), what, list);
    }
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = scn__node_of(c, p->key);
        const yaml_node_t *v = scn__node_of(c, p->value);
        if (k == NULL || v == NULL)
            return scn__fail(c, n, "found a broken YAML node in %s, expected a mapping", what);
        if (k->type != YAML_SCALAR_NODE) {
            scn__join_names(keys, nkeys, list, sizeof list);
            return scn__fail(c, k, "found %s as a key in %s, expected one of %s",
                             scn__describe(k, d, sizeof d), what, list);
        }
        const char *ks = scn__scalar_str(k);
        size_t i = scn__scalar_clean(k) ? scn__find_name(ks, keys, nkeys) : nkeys;
        if (i == nkeys) {
            scn__join_names(keys, nkeys, list, sizeof list);
            const char *s = scn__suggest(ks, keys, nkeys);
            return scn__fail(c, k, "found unknown key %s in %s, expected one of %s%s%s%s",
                             scn__quote(ks, q, sizeof q), what, list, s ? "; did you mean '" : "",
                             s ? s : "", s ? "'?" : "");
        }
        if (vals[i] != NULL)
            return scn__fail(c, k,
                             "found duplicate key '%s' in %s (first given at line %zu), expected "
                             "each key once",
                             keys[i], what, vals[i]->start_mark.line + 1);
        vals[i] = v;
    }
    return 0;
}

int scn__missing(struct scn__ctx *c, const yaml_node_t *map, const char *what, const char *key,
                 const char *expected)
{
    return scn__fail(c, map, "found %s without '%s', expected '%s': %s", what, key, key, expected);
}

int scn__want_seq(struct scn__ctx *c, const yaml_node_t *n, const char *expected)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return scn__fail(c, n, "found %s, expected %s", scn__describe(n, d, sizeof d), expected);
    return 0;
}

/* ---------------------------------------------------------------------
 * Memory the strategy trees and fallback rules point at: one list of
 * blocks owned by the scenario (scn->owned), freed by scn_free.
 * ------------------------------------------------------------------- */

struct owned_block {
    struct owned_block *next;
    max_align_t align[]; /* the caller's bytes */
};

void *scn__own_alloc(struct scn__ctx *c, const yaml_node_t *n, size_t size)
{
    struct owned_block *b = calloc(1, sizeof *b + size);
    if (b == NULL) {
        scn__oom(c, n);
        return NULL;
    }
    b->next = c->s->owned;
    c->s->owned = b;
    return b->align;
}

static void own_free(void *owned)
{
    struct owned_block *b = owned;
    while (b != NULL) {
        struct owned_block *next = b->next;
        free(b);
        b = next;
    }
}

/* ---------------------------------------------------------------------
 * The top-level mapping
 * ------------------------------------------------------------------- */

static void default_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        n = (size_t)(dot - base);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

static int parse_root(struct scn__ctx *c, const yaml_node_t *root, struct scenario *s)
{
    const yaml_node_t *v[K_TOP_N];
    char q[64];
    if (scn__check_map(c, root, "the scenario", scn__top_keys, K_TOP_N, v))
        return -1;

    /* Defaults. */
    default_name(c->path, s->name, sizeof s->name);
    s->seed = 1;
    s->interval_ns = SCN_DEFAULT_INTERVAL_NS;
    route_retry_default(&s->router.retry);
    s->router.attempt_timeout_ns = SCN_DEFAULT_TIMEOUT_NS;
    s->router.queue_timeout_ns = 0;
    s->router.replicas = 1;
    s->stream_share = 1.0;
    route_health_default(&s->router.health);
    route_llm_cfg_default(&s->router.litellm); /* used with router.loop: litellm */

    if (v[K_NAME] &&
        scn__v_name(c, v[K_NAME], "a scenario name", false, 1, s->name, sizeof s->name))
        return -1;
    if (v[K_SEED] && scn__v_uint(c, v[K_SEED], UINT64_MAX, &s->seed))
        return -1;
    if (v[K_DURATION] && scn__v_duration_ns(c, v[K_DURATION], &s->duration_ns))
        return -1;
    if (v[K_WARMUP] && scn__v_duration_ns(c, v[K_WARMUP], &s->warmup_ns))
        return -1;
    if (v[K_WARMUP] && s->duration_ns > 0 && s->warmup_ns >= s->duration_ns)
        return scn__fail(c, v[K_WARMUP],
                         "found a warmup of %.9gs, expected less than the duration %.9gs",
                         (double)s->warmup_ns / 1e9, (double)s->duration_ns / 1e9);
    if (v[K_INTERVAL]) {
        if (scn__v_duration_ns(c, v[K_INTERVAL], &s->interval_ns))
            return -1;
        if (s->interval_ns <= 0)
            return scn__fail(c, v[K_INTERVAL], "found %s, expected an interval > 0",
                             scn__quote(scn__scalar_str(v[K_INTERVAL]), q, sizeof q));
    }
    /* One time-series row per interval: a tiny interval over a long run
       is unbounded memory (the run checks it again when the traffic, not
       `duration:`, sets the length). */
    if (s->duration_ns > 0 && s->duration_ns / s->interval_ns >= SCN_TS_MAX_INTERVALS)
        return scn__fail(c, v[K_INTERVAL] ? v[K_INTERVAL] : v[K_DURATION],
                         "found an interval of %.9gs over a duration of %.9gs (%lld intervals), "
                         "expected fewer than %lld time-series intervals (docs/limits.md)",
                         (double)s->interval_ns / 1e9, (double)s->duration_ns / 1e9,
                         (long long)(s->duration_ns / s->interval_ns),
                         (long long)SCN_TS_MAX_INTERVALS);
    if (v[K_TRAFFIC] == NULL)
        return scn__missing(c, root, "the scenario", "traffic",
                            "a mapping with 'trace' or 'synthetic' (required)");
    if (scn__parse_traffic(c, v[K_TRAFFIC], s))
        return -1;
    if (v[K_ACCOUNTS] && scn__parse_accounts(c, v[K_ACCOUNTS], s))
        return -1;
    if (v[K_BACKENDS] == NULL)
        return scn__missing(c, root, "the scenario", "backends", "a non-empty list (required)");
    if (scn__parse_backends(c, v[K_BACKENDS], s))
        return -1;
    /* Requests that name no model group go to the first backend's group. */
    s->router.default_group = s->backends[0].route.model_group;
    if (v[K_ROUTER]) {
        if (scn__parse_router(c, v[K_ROUTER], &s->router))
            return -1;
    } else {
        char m[1400];
        if (scn__strategy_init(c->reg, &s->router.strategy, SCN_DEFAULT_STRATEGY,
                               SCN_DEFAULT_STRATEGY, m, sizeof m))
            return scn__fail(c, root, "%s", m);
    }
    if (v[K_COMPARE] && scn__parse_compare(c, v[K_COMPARE], s))
        return -1;
    if (v[K_SLO] && scn__parse_slo(c, v[K_SLO], &s->slo))
        return -1;
    if (v[K_CACHE] && scn__parse_cache(c, v[K_CACHE], &s->cache))
        return -1;
    /* Last: the RTT matrix spans every region named anywhere. */
    if (v[K_REGIONS] && scn__parse_regions(c, v[K_REGIONS], s))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------
 * Reading and parsing the file
 * ------------------------------------------------------------------- */

static int read_all(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    char eb[128];
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        if (strerror_r(e, eb, sizeof eb) != 0)
            snprintf(eb, sizeof eb, "error %d", e);
        base_errf(err, errlen, "%s: found no readable file (%s), expected a scenario file", path,
                  eb);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap);
    int rc = 0;
    while (b != NULL) {
        if (n == cap) {
            if (cap >= SCN_FILE_MAX) {
                base_errf(err, errlen, "%s: found a file larger than %zu MiB, expected a scenario",
                          path, SCN_FILE_MAX >> 20);
                rc = -1;
                break;
            }
            unsigned char *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f)) {
                int e = errno;
                if (strerror_r(e, eb, sizeof eb) != 0)
                    snprintf(eb, sizeof eb, "error %d", e);
                base_errf(err, errlen, "%s: found an unreadable file (%s), expected a scenario",
                          path, eb);
                rc = -1;
            }
            break;
        }
    }
    fclose(f);
    if (b == NULL) {
        base_errf(err, errlen, "%s: out of memory (reading the file)", path);
        return -1;
    }
    if (rc != 0) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

static yaml_mark_t mark_at_offset(const unsigned char *buf, size_t len, size_t off)
{
    yaml_mark_t m = {0, 0, 0};
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    m.index = off;
    return m;
}

static int yaml_fail(struct scn__ctx *c, const yaml_parser_t *p, const unsigned char *buf,
                     size_t len)
{
    const char *problem = p->problem ? p->problem : "an error";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        base_errf(c->err, c->errlen, "%s: out of memory (parsing the YAML)", c->path);
        return -1;
    case YAML_READER_ERROR: {
        yaml_mark_t m = mark_at_offset(buf, len, p->problem_offset);
        if (p->problem_value >= 0)
            return scn__fail_at(c, m, "found %s (character 0x%X), expected UTF-8 text", problem,
                                (unsigned)p->problem_value);
        return scn__fail_at(c, m, "found %s, expected UTF-8 text", problem);
    }
    default:
        if (p->context)
            return scn__fail_at(
                c, p->problem_mark,
                "found invalid YAML: %s (%s at line %zu, column %zu), expected valid "
                "YAML syntax",
                problem, p->context, p->context_mark.line + 1, p->context_mark.column + 1);
        return scn__fail_at(c, p->problem_mark,
                            "found invalid YAML: %s, expected valid YAML syntax", problem);
    }
}

int scn_load(const char *path, struct scenario *out, char *err, size_t errlen)
{
    return scn_load_ex(path, NULL, out, err, errlen);
}

int scn_load_ex(const char *path, const struct route_registry *reg, struct scenario *out, char *err,
                size_t errlen)
{
    return scn_load_set(path, reg, NULL, 0, out, err, errlen);
}

/* The checks of scn_load_set and scn_load_mem before the bytes: 0, or -1
 * with *out zeroed. */
static int load_begin(const char *path, const struct scn_set *sets, uint32_t n_sets,
                      struct scenario *out, char *err, size_t errlen)
{
    if (out == NULL) {
        base_errf(err, errlen, "%s: no scenario to fill", path ? path : "(null)");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (path == NULL || path[0] == '\0') {
        base_errf(err, errlen, "(none): found no scenario path, expected a file name");
        return -1;
    }
    size_t pl = strlen(path);
    if (pl >= sizeof out->path) {
        base_errf(err, errlen, "found a path of %zu bytes, expected at most %zu", pl,
                  sizeof out->path - 1);
        return -1;
    }
    memcpy(out->path, path, pl + 1);
    if (sets == NULL && n_sets > 0) {
        base_errf(err, errlen, "%s: found %u overrides and no array of them", path,
                  (unsigned)n_sets);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* Parse and check the scenario whose file holds buf[0..len) (out->path
 * set by load_begin): the one loader of scn_load_set and scn_load_mem. */
static int load_bytes(const struct route_registry *reg, const struct scn_set *sets, uint32_t n_sets,
                      const unsigned char *buf, size_t len, struct scenario *out, char *err,
                      size_t errlen)
{
    const char *path = out->path;
    struct scn__ctx c = {.path = out->path,
                         .doc = NULL,
                         .err = err,
                         .errlen = errlen,
                         .reg = reg,
                         .s = out,
                         .sets = sets,
                         .n_sets = n_sets};
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = -1;
    if (!yaml_parser_initialize(&parser)) {
        base_errf(err, errlen, "%s: out of memory (parsing the YAML)", path);
        memset(out, 0, sizeof *out);
        return -1;
    }
    yaml_parser_set_input_string(&parser, buf, len);
    if (scn__yaml_limits(&c, buf, len) != 0) {
        rc = -1; /* deeper or larger than the caps: refused before the build */
    } else if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_fail(&c, &parser, buf, len);
    } else {
        c.doc = &doc;
        const yaml_node_t *root = yaml_document_get_root_node(&doc);
        yaml_document_t next;
        if (root == NULL) {
            rc = scn__fail_at(&c, doc.start_mark,
                              "found an empty document, expected a mapping with at least 'traffic' "
                              "and 'backends'");
        } else if (!yaml_parser_load(&parser, &next)) {
            rc = yaml_fail(&c, &parser, buf, len);
        } else {
            const yaml_node_t *second = yaml_document_get_root_node(&next);
            if (second != NULL)
                rc = scn__fail(&c, second,
                               "found a second YAML document, expected one scenario per "
                               "file");
            /* `router: {litellm: FILE}` first, so that --set reaches the
             * imported keys too */
            else if (scn__import_splice(&c) == 0 && scn__set_apply(&c, sets, n_sets) == 0)
                /* the root again: the overrides may have moved the nodes */
                rc = parse_root(&c, yaml_document_get_root_node(&doc), out);
            yaml_document_delete(&next);
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (rc != 0) {
        if (err[0] == '\0')
            base_errf(err, errlen, "%s: found an invalid scenario, expected a valid one", path);
        scn_free(out);
        return -1;
    }
    return 0;
}

int scn_load_set(const char *path, const struct route_registry *reg, const struct scn_set *sets,
                 uint32_t n_sets, struct scenario *out, char *err, size_t errlen)
{
    char local[256];
    if (err == NULL || errlen == 0) {
        err = local;
        errlen = sizeof local;
    }
    err[0] = '\0';
    /* the path and the overrides are checked before the file is read */
    if (load_begin(path, sets, n_sets, out, err, errlen) != 0)
        return -1;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (read_all(path, &buf, &len, err, errlen) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    int rc = scn_load_mem(path, buf, len, reg, sets, n_sets, out, err, errlen);
    free(buf);
    return rc;
}

int scn_load_mem(const char *path, const unsigned char *data, size_t len,
                 const struct route_registry *reg, const struct scn_set *sets, uint32_t n_sets,
                 struct scenario *out, char *err, size_t errlen)
{
    char local[256];
    if (err == NULL || errlen == 0) {
        err = local;
        errlen = sizeof local;
    }
    err[0] = '\0';
    if (load_begin(path, sets, n_sets, out, err, errlen) != 0)
        return -1;
    /* read_all's cap: a file of SCN_FILE_MAX bytes or more is refused */
    if (len >= SCN_FILE_MAX) {
        base_errf(err, errlen, "%s: found a file larger than %zu MiB, expected a scenario", path,
                  SCN_FILE_MAX >> 20);
        memset(out, 0, sizeof *out);
        return -1;
    }
    static const unsigned char empty[1] = {0};
    return load_bytes(reg, sets, n_sets, data ? data : empty, data ? len : 0, out, err, errlen);
}
static void free_source(struct trace_cfg *t, struct scn_source *st)
{
    dist_fini(&t->synth.input_tokens);
    dist_fini(&t->synth.output_tokens);
    dist_fini(&t->synth.turns);
    dist_fini(&t->synth.think_s);
    free(st->table_t_ns);
    free(st->table_rate);
}

void scn_free(struct scenario *s)
{
    if (s == NULL)
        return;
    if (s->backends != NULL) {
        for (uint32_t i = 0; i < s->n_backends; i++) {
            struct scn_backend *b = &s->backends[i];
            dist_fini(&b->api.ttft_s);
            dist_fini(&b->api.output_tps);
            free(b->outages);
            free(b->brownouts);
            free(b->storms);
        }
        free(s->backends);
    }
    for (uint32_t i = 0; s->pools != NULL && i < s->n_pools; i++)
        free(s->pools[i].spot.schedule);
    free(s->pools);
    free(s->accounts);
    free(s->rtt.ns);
    free(s->compare);
    free_source(&s->traffic, &s->traffic_store);
    for (uint32_t i = 0; i < s->n_sources; i++)
        free_source(&s->sources[i], &s->source_store[i]);
    free(s->sources);
    free(s->source_store);
    own_free(s->owned);
    free(s->groups);
    free(s->regions);
    free(s->tags);
    free(s->tenants);
    free(s->tasks);
    for (uint32_t i = 0; s->warnings != NULL && i < s->n_warnings; i++)
        free(s->warnings[i]);
    free(s->warnings);
    memset(s, 0, sizeof *s);
}
