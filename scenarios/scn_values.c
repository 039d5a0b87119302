/*
 * scn_values.c - converters of YAML nodes to values: scalars through the
 * parsers of scn_units.c (with the node's position added to messages),
 * names, and distributions.
 */
#include "scn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Scalar values
 * ------------------------------------------------------------------- */

int scn__get_str(struct scn__ctx *c, const yaml_node_t *n, const char *expected, const char **out)
{
    char d[64];
    if (n->type != YAML_SCALAR_NODE)
        return scn__fail(c, n, "found %s, expected %s", scn__describe(n, d, sizeof d), expected);
    if (!scn__scalar_clean(n))
        return scn__fail(c, n, "found a string with a NUL character, expected %s", expected);
    *out = scn__scalar_str(n);
    return 0;
}

typedef int (*parse_fn)(const char *s, double *out, char *err, size_t errlen);

static int v_parsed(struct scn__ctx *c, const yaml_node_t *n, const char *expected, parse_fn fn,
                    double *out)
{
    const char *s = NULL;
    char m[256];
    if (scn__get_str(c, n, expected, &s))
        return -1;
    if (fn(s, out, m, sizeof m))
        return scn__fail(c, n, "%s", m);
    return 0;
}

/* A duration outside a distribution: at most SCN_DURATION_MAX_S. */
static int duration_range(struct scn__ctx *c, const yaml_node_t *n, double sec)
{
    if (sec <= SCN_DURATION_MAX_S)
        return 0;
    char q[64];
    return scn__fail(c, n,
                     "found %s, expected a duration of at most %.0f s (3.2 years, docs/limits.md)",
                     scn__quote(scn__scalar_str(n), q, sizeof q), SCN_DURATION_MAX_S);
}

int scn__v_duration_ns(struct scn__ctx *c, const yaml_node_t *n, int64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (scn__get_str(c, n, "a duration such as 500ms, 2s, 5m or 1h", &s))
        return -1;
    if (scn_parse_duration_ns(s, out, m, sizeof m))
        return scn__fail(c, n, "%s", m);
    return duration_range(c, n, (double)*out / 1e9);
}

int scn__v_duration_s(struct scn__ctx *c, const yaml_node_t *n, double *out)
{
    if (v_parsed(c, n, "a duration such as 500ms, 2s, 5m or 1h", scn__parse_duration_s, out))
        return -1;
    return duration_range(c, n, *out);
}

int scn__v_per_token_s(struct scn__ctx *c, const yaml_node_t *n, double *out)
{
    if (v_parsed(c, n, "a duration per token such as 0.02ms", scn__parse_duration_s, out))
        return -1;
    if (!(*out <= SCN_PER_TOKEN_S_MAX)) {
        char q[64];
        return scn__fail(c, n, "found %s, expected at most %gms per token (docs/limits.md)",
                         scn__quote(scn__scalar_str(n), q, sizeof q), SCN_PER_TOKEN_S_MAX * 1e3);
    }
    return 0;
}

int scn__v_rate(struct scn__ctx *c, const yaml_node_t *n, double *out)
{
    if (v_parsed(c, n, "a rate such as 20/s, 300/m or 1000/h", scn_parse_rate_per_s, out))
        return -1;
    /* every arrival costs events: an absurd rate is unbounded work */
    if (*out > SCN_RATE_MAX_PER_S) {
        char q[64];
        return scn__fail(c, n,
                         "found a rate of %s (%.6g/s), expected at most %.0f/s (the cap on "
                         "arrivals per simulated second, docs/limits.md)",
                         scn__quote(scn__scalar_str(n), q, sizeof q), *out, SCN_RATE_MAX_PER_S);
    }
    return 0;
}

int scn__v_fraction(struct scn__ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "a fraction in [0, 1] such as 0.1% or 0.001", scn_parse_fraction, out);
}

int scn__v_usd(struct scn__ctx *c, const yaml_node_t *n, double *out)
{
    if (v_parsed(c, n, "an amount in USD such as $1.50", scn_parse_usd, out))
        return -1;
    if (!(*out <= SCN_USD_MAX)) {
        char q[64];
        return scn__fail(c, n, "found %s, expected an amount of at most $%.0f (docs/limits.md)",
                         scn__quote(scn__scalar_str(n), q, sizeof q), SCN_USD_MAX);
    }
    return 0;
}

int scn__v_number(struct scn__ctx *c, const yaml_node_t *n, double *out)
{
    return v_parsed(c, n, "a number", scn__parse_number, out);
}

int scn__v_count(struct scn__ctx *c, const yaml_node_t *n, int64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (scn__get_str(c, n, "a count such as 500, 200k or 2M", &s))
        return -1;
    if (scn__parse_count(s, out, m, sizeof m))
        return scn__fail(c, n, "%s", m);
    /* counts feed token-bucket and time arithmetic (x ns, x tokens) */
    if (*out > SCN_COUNT_MAX) {
        char q[64];
        return scn__fail(c, n, "found %s, expected a count of at most %lld (docs/limits.md)",
                         scn__quote(scn__scalar_str(n), q, sizeof q), (long long)SCN_COUNT_MAX);
    }
    return 0;
}

int scn__v_uint(struct scn__ctx *c, const yaml_node_t *n, uint64_t max, uint64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (scn__get_str(c, n, "a non-negative integer", &s))
        return -1;
    if (scn__parse_uint(s, max, out, m, sizeof m))
        return scn__fail(c, n, "%s", m);
    return 0;
}

/* A non-negative integer that fits 32 bits. */
int scn__v_u32(struct scn__ctx *c, const yaml_node_t *n, uint32_t *out)
{
    uint64_t u = 0;
    if (scn__v_uint(c, n, UINT32_MAX, &u))
        return -1;
    *out = (uint32_t)u;
    return 0;
}

int scn__v_int(struct scn__ctx *c, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out)
{
    const char *s = NULL;
    char m[256];
    if (scn__get_str(c, n, "an integer", &s))
        return -1;
    if (scn__parse_int(s, min, max, out, m, sizeof m))
        return scn__fail(c, n, "%s", m);
    return 0;
}

int scn__v_bool(struct scn__ctx *c, const yaml_node_t *n, bool *out)
{
    const char *s = NULL;
    char m[256];
    if (scn__get_str(c, n, "true or false", &s))
        return -1;
    if (scn__parse_bool(s, out, m, sizeof m))
        return scn__fail(c, n, "%s", m);
    return 0;
}

/* One of `names`; *idx its index.  `what` names the value. */
int scn__v_enum(struct scn__ctx *c, const yaml_node_t *n, const char *what,
                const char *const *names, size_t count, size_t *idx)
{
    char list[256], q[64], expected[320];
    const char *s = NULL;
    scn__join_names(names, count, list, sizeof list);
    snprintf(expected, sizeof expected, "%s: one of %s", what, list);
    if (scn__get_str(c, n, expected, &s))
        return -1;
    size_t i = scn__find_name(s, names, count);
    if (i == count) {
        const char *sg = scn__suggest(s, names, count);
        return scn__fail(c, n, "found %s, expected %s%s%s%s", scn__quote(s, q, sizeof q), expected,
                         sg ? "; did you mean '" : "", sg ? sg : "", sg ? "'?" : "");
    }
    *idx = i;
    return 0;
}

/* A name of 1..cap-1 characters: [A-Za-z0-9_.-] when `ident`, otherwise
 * anything but control characters. */
int scn__v_name(struct scn__ctx *c, const yaml_node_t *n, const char *what, bool ident,
                size_t min_len, char *dst, size_t cap)
{
    char q[64], expected[256];
    const char *s = NULL;
    snprintf(expected, sizeof expected, "%s of %zu to %zu characters%s", what, min_len, cap - 1,
             ident ? " from A-Z a-z 0-9 _ . -" : "");
    if (scn__get_str(c, n, expected, &s))
        return -1;
    size_t len = strlen(s);
    bool ok = len >= min_len && len < cap;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ident)
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '.' || ch == '-';
        else
            ok = ch >= 0x20 && ch != 0x7f;
    }
    if (!ok) {
        char d[64];
        return scn__fail(c, n, "found %s, expected %s",
                         len ? scn__quote(s, q, sizeof q) : scn__describe(n, d, sizeof d),
                         expected);
    }
    memcpy(dst, s, len + 1);
    return 0;
}

int scn__v_status(struct scn__ctx *c, const yaml_node_t *n, int *out)
{
    int64_t v;
    if (scn__v_int(c, n, 400, 599, &v))
        return -1;
    *out = (int)v;
    return 0;
}

/* ---------------------------------------------------------------------
 * Distributions
 * ------------------------------------------------------------------- */

/* The keys of each distribution kind, in enum dist_kind order. */
struct dist_keys {
    const char *const *keys;
    size_t n;
};
static const struct dist_keys dist_tables[] = {
    {scn__dk_constant, N_DK_CONSTANT},   {scn__dk_exponential, N_DK_EXPONENTIAL},
    {scn__dk_lognormal, N_DK_LOGNORMAL}, {scn__dk_normal, N_DK_NORMAL},
    {scn__dk_uniform, N_DK_UNIFORM},     {scn__dk_empirical, N_DK_EMPIRICAL},
};
_Static_assert(SCN__NELEM(dist_tables) == N_DIST_KIND, "dist_tables");
#define DIST_KEYS_MAX 9

/* One value of a distribution in unit u.  `spread` (a standard
 * deviation) may be 0 where other rate values must be positive. */
/* The largest value of unit u (scn.h ranges). */
static double dist_unit_max(enum scn__dunit u)
{
    return u == DU_SECONDS ? SCN_SECONDS_MAX : u == DU_TOKENS ? SCN_TOKENS_MAX : SCN_TPS_MAX;
}

static int v_dist_value(struct scn__ctx *c, const yaml_node_t *n, enum scn__dunit u, bool spread,
                        double *out)
{
    char q[64];
    double x = 0;
    switch (u) {
    case DU_SECONDS:
        if (scn__v_duration_s(c, n, &x))
            return -1;
        if (x > SCN_SECONDS_MAX || (x > 0 && x < SCN_SECONDS_MIN_POSITIVE))
            return scn__fail(
                c, n, "found %s, expected 0 or a duration from 1ns to %.0fs (docs/limits.md)",
                scn__quote(scn__scalar_str(n), q, sizeof q), SCN_SECONDS_MAX);
        *out = x;
        return 0;
    case DU_TOKENS:
        if (scn__v_number(c, n, &x))
            return -1;
        if (!(x >= 0 && x <= SCN_TOKENS_MAX))
            return scn__fail(c, n,
                             "found %s, expected a number of tokens from 0 to %.0f "
                             "(docs/limits.md)",
                             scn__quote(scn__scalar_str(n), q, sizeof q), SCN_TOKENS_MAX);
        *out = x;
        return 0;
    case DU_TPS:
        if (scn__v_number(c, n, &x))
            return -1;
        if (spread ? !(x >= 0 && x <= SCN_TPS_MAX) : !(x >= SCN_TPS_MIN && x <= SCN_TPS_MAX))
            return scn__fail(c, n,
                             "found %s, expected a %s rate in tokens/s, %s to %.0f "
                             "(docs/limits.md)",
                             scn__quote(scn__scalar_str(n), q, sizeof q),
                             spread ? "spread of the" : "", spread ? "0" : "0.1", SCN_TPS_MAX);
        *out = x;
        return 0;
    }
    return -1;
}

/* The keys of an empirical distribution, in scn__dk_empirical order. */
enum { EK_DIST, EK_VALUES, EK_WEIGHTS, EK_FILE, EK_COLUMN, EK_WHERE, EK_SCALE };

/* A sample read from a file must be a value of unit u: seconds and tokens
 * >= 0, rates > 0. */
static bool file_value_ok(enum scn__dunit u, double x)
{
    return u == DU_TPS ? x > 0 : x >= 0;
}

/* The samples of `file:`/`column:`/`where:` into *vals (malloc'd). */
static int empirical_file(struct scn__ctx *c, const yaml_node_t *map, const yaml_node_t *const *v,
                          enum scn__dunit u, double **vals, size_t *n)
{
    char dd[64];
    const char *column = NULL;
    if (v[EK_COLUMN] == NULL)
        return scn__missing(c, map, "an empirical distribution from a file", "column",
                            "the name of the column holding the samples");
    if (scn__get_str(c, v[EK_COLUMN], "a column name", &column))
        return -1;
    const char *wk[8], *wv[8];
    size_t nw = 0;
    const yaml_node_t *wn = v[EK_WHERE];
    if (wn != NULL) {
        if (wn->type != YAML_MAPPING_NODE)
            return scn__fail(c, wn, "found %s, expected 'where': a mapping of column: value",
                             scn__describe(wn, dd, sizeof dd));
        for (yaml_node_pair_t *p = wn->data.mapping.pairs.start; p < wn->data.mapping.pairs.top;
             p++) {
            const yaml_node_t *k = scn__node_of(c, p->key), *val = scn__node_of(c, p->value);
            if (k == NULL || val == NULL)
                return scn__oom(c, wn);
            if (nw == SCN__NELEM(wk))
                return scn__fail(c, k, "found over %zu 'where' columns, expected fewer",
                                 SCN__NELEM(wk));
            if (scn__get_str(c, k, "a column name", &wk[nw]) ||
                scn__get_str(c, val, "the value the column must equal", &wv[nw]))
                return -1;
            nw++;
        }
    }
    if (scn__csv_samples(c, v[EK_FILE], v[EK_COLUMN], column, wk, wv, nw, vals, n))
        return -1;
    for (size_t i = 0; i < *n; i++)
        if (!file_value_ok(u, (*vals)[i])) {
            double bad = (*vals)[i];
            free(*vals);
            return scn__fail(c, v[EK_FILE], "found sample %zu of column %s = %g, expected %s",
                             i + 1, scn__quote(column, dd, sizeof dd), bad,
                             u == DU_TPS ? "a rate > 0" : "a value >= 0");
        }
    return 0;
}

/* The inline samples of `values:` into *vals (malloc'd). */
static int empirical_values(struct scn__ctx *c, const yaml_node_t *vn, enum scn__dunit u,
                            const char *what, double **vals, size_t *n)
{
    char dd[64];
    if (vn->type != YAML_SEQUENCE_NODE || scn__seq_len(vn) == 0)
        return scn__fail(c, vn, "found %s, expected 'values' of %s: a non-empty list",
                         vn->type == YAML_SEQUENCE_NODE ? "an empty list"
                                                        : scn__describe(vn, dd, sizeof dd),
                         what);
    *n = scn__seq_len(vn);
    *vals = malloc(*n * sizeof **vals);
    if (*vals == NULL)
        return scn__oom(c, vn);
    for (size_t i = 0; i < *n; i++) {
        const yaml_node_t *item = scn__node_of(c, vn->data.sequence.items.start[i]);
        if (item ? v_dist_value(c, item, u, false, &(*vals)[i]) : scn__oom(c, vn)) {
            free(*vals);
            return -1;
        }
    }
    return 0;
}

/* An empirical distribution: `values` (and optional `weights`, default
 * all 1) of the same length >= 1, or the samples of a CSV `file`'s
 * `column` (rows filtered by `where`); `scale` multiplies every value. */
static int parse_empirical(struct scn__ctx *c, const yaml_node_t *map, const yaml_node_t *const *v,
                           enum scn__dunit u, const char *what, struct dist *d)
{
    char dd[64];
    const yaml_node_t *vn = v[EK_VALUES], *wn = v[EK_WEIGHTS];
    if (vn == NULL && v[EK_FILE] == NULL)
        return scn__missing(c, map, "an empirical distribution", "values",
                            "a list of values (or 'file' and 'column': a CSV file's samples)");
    if (vn != NULL && v[EK_FILE] != NULL)
        return scn__fail(c, v[EK_FILE], "found 'file' with 'values', expected one or the other");
    if (v[EK_FILE] == NULL && (v[EK_COLUMN] || v[EK_WHERE]))
        return scn__fail(c, v[EK_COLUMN] ? v[EK_COLUMN] : v[EK_WHERE],
                         "found '%s' without 'file', expected it only with 'file'",
                         v[EK_COLUMN] ? "column" : "where");
    if (v[EK_FILE] != NULL && wn != NULL)
        return scn__fail(c, wn,
                         "found 'weights' with 'file', expected them only with 'values' "
                         "(a file's rows weigh 1 each)");
    double scale = 1.0;
    if (v[EK_SCALE] != NULL) {
        if (scn__v_number(c, v[EK_SCALE], &scale))
            return -1;
        if (!(scale > 0) || !isfinite(scale))
            return scn__fail(c, v[EK_SCALE], "found scale %s, expected a number > 0",
                             scn__quote(scn__scalar_str(v[EK_SCALE]), dd, sizeof dd));
    }
    double *vals = NULL;
    size_t n = 0;
    if (vn ? empirical_values(c, vn, u, what, &vals, &n) : empirical_file(c, map, v, u, &vals, &n))
        return -1;
    if (n > UINT32_MAX) {
        free(vals);
        return scn__fail(c, vn ? vn : v[EK_FILE], "found %zu values, expected at most %u", n,
                         (unsigned)UINT32_MAX);
    }
    if (wn != NULL && (wn->type != YAML_SEQUENCE_NODE || scn__seq_len(wn) != n)) {
        free(vals);
        return scn__fail(c, wn,
                         "found %s, expected 'weights': a list of %zu numbers, one per value",
                         wn->type == YAML_SEQUENCE_NODE ? "a list of another length"
                                                        : scn__describe(wn, dd, sizeof dd),
                         n);
    }
    double *w = malloc(n * sizeof *w);
    if (w == NULL) {
        free(vals);
        return scn__oom(c, map);
    }
    int rc = 0;
    double sum = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        vals[i] *= scale;
        if (!(vals[i] <= dist_unit_max(u)) || (u == DU_TPS && !(vals[i] >= SCN_TPS_MIN)))
            rc = scn__fail(c, vn ? vn : v[EK_FILE],
                           "found value %g (x scale %g), expected at most %g and, for rates, at "
                           "least %g (docs/limits.md)",
                           vals[i], scale, dist_unit_max(u), SCN_TPS_MIN);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        w[i] = 1.0;
        if (wn != NULL) {
            const yaml_node_t *wi = scn__node_of(c, wn->data.sequence.items.start[i]);
            rc = wi ? scn__v_number(c, wi, &w[i]) : scn__oom(c, wn);
            if (rc == 0 && !(w[i] >= 0))
                rc = scn__fail(c, wi, "found %s, expected a weight >= 0",
                               scn__quote(scn__scalar_str(wi), dd, sizeof dd));
        }
        if (rc == 0)
            sum += w[i];
    }
    if (rc == 0 && !(sum > 0 && isfinite(sum)))
        rc = scn__fail(c, wn ? wn : vn,
                       "found weights summing to %g, expected a positive finite sum", sum);
    if (rc == 0) {
        char m[160];
        if (dist_empirical(d, vals, w, (uint32_t)n, m, sizeof m) != 0) {
            dist_fini(d);
            rc = scn__fail(c, vn ? vn : v[EK_FILE],
                           "found an unusable distribution (%s), expected values and weights", m);
        }
    }
    free(vals);
    free(w);
    return rc;
}

/*
 * A distribution: a scalar (a constant) or a mapping with `dist:`.  On
 * success *out owns what the dist owns (empirical tables).
 */
int scn__parse_dist(struct scn__ctx *c, const yaml_node_t *n, enum scn__dunit u, const char *what,
                    struct dist *out)
{
    char d[64], q[64];
    struct dist dist;
    memset(&dist, 0, sizeof dist);
    if (n->type == YAML_SCALAR_NODE) {
        double v = 0;
        if (v_dist_value(c, n, u, false, &v))
            return -1;
        dist_constant(&dist, v);
        if (u != DU_TPS)
            dist.min = 0.0;
        dist.max = dist_unit_max(u);
        *out = dist;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return scn__fail(c, n,
                         "found %s, expected %s: a value or a mapping with 'dist' (constant, "
                         "exponential, lognormal, normal, uniform or empirical)",
                         scn__describe(n, d, sizeof d), what);
    const yaml_node_t *kn = scn__map_get(c, n, "dist");
    if (kn == NULL)
        return scn__missing(c, n, what, "dist",
                            "one of constant, exponential, lognormal, normal, uniform, empirical");
    size_t kind = 0;
    if (scn__v_enum(c, kn, "a distribution", scn__dist_kind_names, N_DIST_KIND, &kind))
        return -1;
    const struct dist_keys *tab = &dist_tables[kind];
    const yaml_node_t *v[DIST_KEYS_MAX];
    char mwhat[96];
    snprintf(mwhat, sizeof mwhat, "the %s distribution of %s", scn__dist_kind_names[kind], what);
    if (scn__check_map(c, n, mwhat, tab->keys, tab->n, v))
        return -1;
    size_t imin = tab->n - 2, imax = tab->n - 1;

    /* Clamps first, so that nothing needs freeing on their errors. */
    double lo = 0, hi = 0;
    if (v[imin] && v_dist_value(c, v[imin], u, false, &lo))
        return -1;
    if (v[imax] && v_dist_value(c, v[imax], u, false, &hi))
        return -1;
    if (v[imin] && v[imax] && hi < lo)
        return scn__fail(c, v[imax], "found max %s below min, expected min <= max",
                         scn__quote(scn__scalar_str(v[imax]), q, sizeof q));

    double p[2] = {0, 0};
    if (kind != DIST_EMPIRICAL) {
        for (size_t i = 1; i < imin; i++) {
            if (v[i] == NULL) {
                char w[128];
                snprintf(w, sizeof w, "a %s distribution", scn__dist_kind_names[kind]);
                return scn__missing(c, n, w, tab->keys[i], "a value (required)");
            }
            bool spread = kind == DIST_NORMAL && i == 2;
            if (v_dist_value(c, v[i], u, spread, &p[i - 1]))
                return -1;
        }
    }
    switch ((enum dist_kind)kind) {
    case DIST_CONSTANT:
        dist_constant(&dist, p[0]);
        break;
    case DIST_EXPONENTIAL:
        if (!(p[0] > 0))
            return scn__fail(c, v[1], "found mean %s, expected a mean > 0",
                             scn__quote(scn__scalar_str(v[1]), q, sizeof q));
        dist_exponential(&dist, p[0]);
        break;
    case DIST_LOGNORMAL:
        if (!(p[0] > 0))
            return scn__fail(c, v[1], "found median %s, expected a median > 0",
                             scn__quote(scn__scalar_str(v[1]), q, sizeof q));
        if (p[1] < p[0])
            return scn__fail(c, v[2], "found p99 %s below the median %s, expected p99 >= median",
                             scn__quote(scn__scalar_str(v[2]), q, sizeof q),
                             scn__quote(scn__scalar_str(v[1]), d, sizeof d));
        dist_lognormal_median_p99(&dist, p[0], p[1]);
        break;
    case DIST_NORMAL:
        if (u == DU_TPS && !(v[imin] && lo > 0))
            return scn__missing(c, n, "a normal rate distribution", "min",
                                "a positive lower clamp, since a normal can draw rates <= 0");
        dist_normal(&dist, p[0], p[1]);
        break;
    case DIST_UNIFORM:
        if (p[1] < p[0])
            return scn__fail(c, v[2], "found high %s below low %s, expected low <= high",
                             scn__quote(scn__scalar_str(v[2]), q, sizeof q),
                             scn__quote(scn__scalar_str(v[1]), d, sizeof d));
        dist_uniform(&dist, p[0], p[1]);
        break;
    case DIST_EMPIRICAL:
        if (parse_empirical(c, n, v, u, what, &dist))
            return -1;
        break;
    }
    if (v[imin])
        dist.min = lo;
    else
        dist.min = u == DU_TPS ? SCN_TPS_MIN : 0.0;
    /* draws saturate at the unit's range (a lognormal's tail is
       unbounded): far beyond any draw of a realistic distribution */
    dist.max = v[imax] ? hi : dist_unit_max(u);
    *out = dist;
    return 0;
}

/* ---------------------------------------------------------------------
 * Model groups
 * ------------------------------------------------------------------- */

int scn__v_group(struct scn__ctx *c, const yaml_node_t *n, uint32_t *id)
{
    char name[SCN_NAME_MAX];
    if (scn__v_name(c, n, "a model group", false, 1, name, sizeof name))
        return -1;
    int64_t g = scn__names_intern(&c->s->groups, &c->s->n_groups, name);
    if (g < 0)
        return scn__oom(c, n);
    *id = (uint32_t)g;
    return 0;
}
