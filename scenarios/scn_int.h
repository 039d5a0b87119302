/*
 * scn_int.h - internals shared by the files of scenarios/ (prefix scn__).
 *
 * Not part of the contract (scn.h).  Two layers:
 *  - value parsers on a NUL-terminated string (scn_units.c) that, like the
 *    public unit parsers, write "found '<s>', expected <what>" without a
 *    location;
 *  - the loader (scn_load.c and the section files scn_traffic.c,
 *    scn_backends.c, scn_pools.c, scn_router.c, scn_regions.c): one context
 *    per load, errors with "file:line:col: ", check_map() against the key
 *    tables of scn_keys.def, and the node converters of scn_values.c.
 *
 * A section parser takes the context and the YAML node of its mapping,
 * returns 0 or -1 with the message in c->err, and leaves what it allocated
 * hanging off the scenario (freed by scn_free() on failure too).
 */
#ifndef LBSIM_SCN_INT_H
#define LBSIM_SCN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yaml.h>

#include "err.h"
#include "scn.h"
#include "scn_import.h"

#if defined(__GNUC__)
#define SCN__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SCN__PRINTF(a, b)
#endif

/* Number of elements of an array. */
#define SCN__NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- value parsers (scn_units.c) -------------------------------------- */

/* `s` quoted for a message: 'text', at most ~40 characters (then "..."),
 * control characters shown as '?'.  Returns buf. */
const char *scn__quote(const char *s, char *buf, size_t len);

/* A decimal number at the start of `s`: [+-]digits[.digits][e[+-]digits]
 * (no hex, inf or nan).  0 with *v finite and *end after it, or -1. */
int scn__number_prefix(const char *s, double *v, const char **end);

/* A whole string that is a finite decimal number. */
int scn__parse_number(const char *s, double *out, char *err, size_t errlen);

/* Duration in seconds (double), same syntax as scn_parse_duration_ns. */
int scn__parse_duration_s(const char *s, double *out, char *err, size_t errlen);

/* Unsigned integer (digits only) in [0, max]. */
int scn__parse_uint(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);

/* Signed integer ([-]digits) in [min, max]. */
int scn__parse_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);

/* A count: digits with an optional k (1e3) or M (1e6) suffix, e.g. 200k,
 * 2M, 1.5M (the result must be a whole number). */
int scn__parse_count(const char *s, int64_t *out, char *err, size_t errlen);

/* true/false/yes/no/on/off, any case. */
int scn__parse_bool(const char *s, bool *out, char *err, size_t errlen);

/* The candidate of `cands` nearest to `word` when its edit distance is at
 * most max(2, strlen(word) / 3), else NULL. */
const char *scn__suggest(const char *word, const char *const *cands, size_t n);

/* Like scn__suggest, one candidate at a time: keeps the best in *best and
 * its distance in *best_d (start with NULL and UINT_MAX). */
void scn__suggest_step(const char *word, const char *cand, const char **best, unsigned *best_d);

/* Final check of scn__suggest_step's result. */
const char *scn__suggest_done(const char *word, const char *best, unsigned best_d);

/* ---- key tables (scn_keys.def, instantiated in scn_keys.c) ------------- */

/* Per mapping: an enum of key ids, their count, and scn__<t>[count], the
 * key names.  Per list: its count and scn__<t>[count]. */
/* clang-format off */
#define SCN_MAP(t) enum {
#define SCN_KEY(t, id, name) id,
#define SCN_MAP_END(t, count) count }; extern const char *const scn__##t[count];
#define SCN_LIST(t, count) enum { count = 0
#define SCN_ITEM(t, name) + 1
#define SCN_LIST_END(t, count) }; extern const char *const scn__##t[count];
/* clang-format on */
#include "scn_keys.def"
#undef SCN_MAP
#undef SCN_KEY
#undef SCN_MAP_END
#undef SCN_LIST
#undef SCN_ITEM
#undef SCN_LIST_END

/* ---- the loader's context and errors (scn_load.c) ---------------------- */

/* The strategy of a router that names none. */
#define SCN_DEFAULT_STRATEGY "round_robin"

struct scn__ctx {
    const char *path; /* the scenario file as given, for messages */
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    const struct route_registry *reg; /* strategies beyond the built-ins (plugins) */
    struct scenario *s;               /* the scenario being built */
    const struct scn_set *sets;       /* the overrides applied to doc (scn_set.c) */
    uint32_t n_sets;
    const char *import_path; /* the router config spliced in (scn_litellm.c), or NULL */
};

/* The nodes override k adds to the document carry marks with index
 * SCN__SET_MARK + k (a scenario file is at most 64 MiB, so no position in
 * it comes near): messages at such a mark start "<origin> PATH=VALUE: "
 * instead of "file:line:col: ". */
#define SCN__SET_MARK ((size_t)1 << (sizeof(size_t) * 8 - 2))

/* "file:line:col: " of mark m (1-based) and the message: always -1. */
int scn__fail_at(struct scn__ctx *c, yaml_mark_t m, const char *fmt, ...) SCN__PRINTF(3, 4);

/* The YAML work caps of a scenario file's text (nesting depth, nodes after
 * alias expansion; scn.h SCN_YAML_MAX_*), on the parser's events before
 * the document is built (scn_limits.c).  0, or -1 with the message in c
 * (a syntax error is left to yaml_parser_load: 0). */
int scn__yaml_limits(struct scn__ctx *c, const unsigned char *buf, size_t len);
/* The same at the start of node n. */
int scn__fail(struct scn__ctx *c, const yaml_node_t *n, const char *fmt, ...) SCN__PRINTF(3, 4);
/* Out of memory while at node n. */
int scn__oom(struct scn__ctx *c, const yaml_node_t *n);
/* "found <what> without '<key>', expected '<key>': <expected>" at map. */
int scn__missing(struct scn__ctx *c, const yaml_node_t *map, const char *what, const char *key,
                 const char *expected);

static inline const yaml_node_t *scn__node_of(struct scn__ctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static inline size_t scn__seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* Item i of sequence n (NULL for a broken document). */
static inline const yaml_node_t *scn__seq_item(struct scn__ctx *c, const yaml_node_t *n, size_t i)
{
    return scn__node_of(c, n->data.sequence.items.start[i]);
}

static inline const char *scn__scalar_str(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A scalar without embedded NUL bytes (a "\0" escape). */
static inline bool scn__scalar_clean(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && strlen(scn__scalar_str(n)) == n->data.scalar.length;
}

/* How a node reads in a message: a mapping, a sequence, an empty value or
 * the quoted text (in buf). */
const char *scn__describe(const yaml_node_t *n, char *buf, size_t len);
/* "a, b, c" into buf (truncated to len). */
void scn__join_names(const char *const *names, size_t n, char *buf, size_t len);
/* Index of s in names, n if absent. */
size_t scn__find_name(const char *s, const char *const *names, size_t n);
/* The value of key `key` in mapping n, NULL if absent (no checks). */
const yaml_node_t *scn__map_get(struct scn__ctx *c, const yaml_node_t *n, const char *key);
/* Check that n is a mapping whose keys are all in `keys` and appear once;
 * vals[i] gets the value of keys[i] or NULL.  `what` names the mapping in
 * messages ("a backend", "'router'"). */
int scn__check_map(struct scn__ctx *c, const yaml_node_t *n, const char *what,
                   const char *const *keys, size_t nkeys, const yaml_node_t **vals);
/* A sequence node, or an error naming what was expected. */
int scn__want_seq(struct scn__ctx *c, const yaml_node_t *n, const char *expected);

/* `size` zeroed bytes owned by the scenario (freed by scn_free); NULL
 * after an error at n. */
void *scn__own_alloc(struct scn__ctx *c, const yaml_node_t *n, size_t size);

/* ---- converters of scalar nodes (scn_values.c) ------------------------- */

/* A scalar without NUL characters, else "found <n>, expected <expected>". */
int scn__get_str(struct scn__ctx *c, const yaml_node_t *n, const char *expected, const char **out);
int scn__v_duration_ns(struct scn__ctx *c, const yaml_node_t *n, int64_t *out);
int scn__v_duration_s(struct scn__ctx *c, const yaml_node_t *n, double *out);
/* latency.prefill_per_token: a duration per token, at most SCN_PER_TOKEN_S_MAX. */
int scn__v_per_token_s(struct scn__ctx *c, const yaml_node_t *n, double *out);
int scn__v_rate(struct scn__ctx *c, const yaml_node_t *n, double *out);
int scn__v_fraction(struct scn__ctx *c, const yaml_node_t *n, double *out);
int scn__v_usd(struct scn__ctx *c, const yaml_node_t *n, double *out);
int scn__v_number(struct scn__ctx *c, const yaml_node_t *n, double *out);
int scn__v_count(struct scn__ctx *c, const yaml_node_t *n, int64_t *out);
int scn__v_uint(struct scn__ctx *c, const yaml_node_t *n, uint64_t max, uint64_t *out);
/* A non-negative integer that fits 32 bits. */
int scn__v_u32(struct scn__ctx *c, const yaml_node_t *n, uint32_t *out);
int scn__v_int(struct scn__ctx *c, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out);
int scn__v_bool(struct scn__ctx *c, const yaml_node_t *n, bool *out);
/* One of `names`; *idx its index.  `what` names the value. */
int scn__v_enum(struct scn__ctx *c, const yaml_node_t *n, const char *what,
                const char *const *names, size_t count, size_t *idx);
/* A name of min_len..cap-1 characters: [A-Za-z0-9_.-] when `ident`,
 * otherwise anything but control characters. */
int scn__v_name(struct scn__ctx *c, const yaml_node_t *n, const char *what, bool ident,
                size_t min_len, char *dst, size_t cap);
/* An HTTP error status, 400..599. */
int scn__v_status(struct scn__ctx *c, const yaml_node_t *n, int *out);
/* A model group named in the scenario (backends' `group:`, fallbacks),
 * interned: *id = 1.. */
int scn__v_group(struct scn__ctx *c, const yaml_node_t *n, uint32_t *id);

/* What the values of a distribution measure. */
enum scn__dunit {
    DU_SECONDS, /* durations: `500ms`, `2s`; stored as seconds */
    DU_TOKENS,  /* plain non-negative numbers; clamped at 0 by default */
    DU_TPS,     /* tokens per second: positive plain numbers */
};

/* A distribution: a scalar (a constant) or a mapping with `dist:`.  On
 * success *out owns what the dist owns (empirical tables). */
int scn__parse_dist(struct scn__ctx *c, const yaml_node_t *n, enum scn__dunit u, const char *what,
                    struct dist *out);
/* The numbers of column `column` of the CSV file named by scalar fn
 * (relative to the scenario's directory), over the rows whose columns
 * wk[i] equal wv[i] (scn_samples.c).  *vals is malloc'd (n >= 1); errors
 * at fn or cn (the column node). */
int scn__csv_samples(struct scn__ctx *c, const yaml_node_t *fn, const yaml_node_t *cn,
                     const char *column, const char *const *wk, const char *const *wv, size_t nw,
                     double **vals, size_t *n);

/* ---- names and strategies without YAML (scn.c) ------------------------- */

/* Intern `name` in a table of names (ids 1..n); -1 on allocation failure. */
int64_t scn__names_intern(char (**tab)[SCN_NAME_MAX], uint32_t *n, const char *name);
/* Id (1..n) of `name`, 0 if absent. */
uint32_t scn__names_find(char (*tab)[SCN_NAME_MAX], uint32_t n, const char *name);

/* A strategy with its default parameters.  0, or -1 with a message. */
int scn__strategy_init(const struct route_registry *reg, struct scn_strategy *st, const char *name,
                       const char *label, char *msg, size_t len);

/* ---- overrides (scn_set.c) -------------------------------------------- */

/* Apply the overrides, in order, to c->doc (c->sets, c->n_sets already
 * set).  0, or -1 with the message in c->err. */
int scn__set_apply(struct scn__ctx *c, const struct scn_set *sets, uint32_t n_sets);
/* "<origin> PATH=VALUE: " into buf; snprintf's result. */
int scn__set_prefix(const struct scn_set *s, char *buf, size_t len);

/* ---- the sections of a scenario file --------------------------------- */

/* scn_traffic.c: `traffic:`. */
int scn__parse_traffic(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s);

/* scn_backends.c: `backends:`. */
int scn__parse_backends(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s);
int scn__parse_accounts(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s);
/* Grow s->backends to `count` entries, the new ones zeroed (route.name of
 * every entry pointed back at its own name). */
int scn__backends_resize(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s,
                         uint32_t count);

/* scn_pools.c: the pool keys of backend entry n (its values v[B_*]),
 * whose common keys are parsed into s->backends[first] already. */
int scn__parse_pool(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                    struct scenario *s, uint32_t first);

/* scn_router.c: `router:`, `compare:` and `slo:`. */
int scn__parse_router(struct scn__ctx *c, const yaml_node_t *n, struct scn_router *r);
int scn__parse_compare(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s);
int scn__parse_slo(struct scn__ctx *c, const yaml_node_t *n, struct scn_slo *slo);

/* scn_regions.c: `regions:` (parsed last: the RTT matrix spans every
 * region named anywhere) and `cache:`. */
int scn__parse_regions(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s);
int scn__parse_cache(struct scn__ctx *c, const yaml_node_t *n, struct scn_cache *ca);

/* scn_portkey.c: `router.portkey:`, the Portkey tree (backends and
 * groups loaded before). */
int scn__parse_portkey(struct scn__ctx *c, const yaml_node_t *n, struct scn_router *r);
/* scn_loop.c: `router.loop`, `router.litellm` and
 * `router.health.cooldown.allowed_fails_policy`, from the values
 * scn__parse_router found (v[R_N]) in the mapping n; run last by it. */
int scn__parse_router_loop(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                           struct scn_router *r);
/* A backend's `num_retries` and `cooldown_time` (v[B_N]); sets their
 * defaults first. */
int scn__parse_backend_loop(struct scn__ctx *c, const yaml_node_t *const *v, struct scn_backend *b);
/* ---- importers of router configs (scn_import.h) ----------------------- */

/* The nodes an importer adds carry marks with index SCN__IMPORT_MARK and
 * the line and column of the key they come from in the imported file:
 * messages about them name that file (c->import_path). */
#define SCN__IMPORT_MARK ((size_t)1 << (sizeof(size_t) * 8 - 3))

/* Latency of an imported deployment the scenario says nothing about (a
 * router config has none): the medians of the 63 gpt-4o requests of
 * coder543/llm-speed-benchmark (July 2024; models/data/latency,
 * scenarios/examples/quickstart.yaml): TTFT 0.57 s, 64.3 output tokens/s.
 * A defaulted fact, reported. */
#define SCN__IMPORT_DEFAULT_TTFT     "570ms"
#define SCN__IMPORT_DEFAULT_OUT_RATE "64.3"

struct scn_import_report;

/* One import: the router config `path` becomes, in document `dst`, one
 * mapping {accounts: [...], backends: [...], router: {...}} (*out, its
 * node id) built from native keys, with one report line per source key. */
struct scn__import {
    yaml_document_t *dst;
    const char *path;
    struct scn_import_report *rep;
    uint32_t replicas; /* router.replicas to emit; 0 = leave it out */
    int out;
    char *err;
    size_t errlen;
};

/* Append a note to a report (scn_import.c): 0, or -1 when full or out of
 * memory. */
int scn__import_note_add(struct scn_import_report *r, const char *file, enum scn_import_class cls,
                         uint32_t line, uint32_t col, const char *key, const char *text);

/* scn_litellm.c (LiteLLM) and scn_portkey_import.c (Portkey): 0 or -1. */
int scn__import_litellm(struct scn__import *im);
int scn__import_portkey(struct scn__import *im);

/* Merge fragment `frag` (an importer's mapping) into the scenario mapping
 * `root` of d: a scenario backend or account with an imported name
 * supplies or overrides its keys, the others are appended; router keys
 * beside `litellm:` override the imported ones.  0 or -1 (no memory). */
int scn__import_merge(yaml_document_t *d, int root, int frag);

/* `router: {litellm: FILE}` in c->doc: import FILE (relative to the
 * scenario) and merge it; the report's lines become the scenario's
 * warnings.  0 or -1 with the message in c->err. */
int scn__import_splice(struct scn__ctx *c);

#endif /* LBSIM_SCN_INT_H */
