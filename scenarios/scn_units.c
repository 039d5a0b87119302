/*
 * scn_units.c - the value syntax of scenario files: durations, rates,
 * fractions, money, integers, counts, booleans; edit distance for "did you
 * mean" suggestions.  See scn.h.
 *
 * Numbers are read with strtod/strtoll on a span first matched against a
 * plain decimal grammar, so "inf", "nan" and hex floats are refused and a
 * value that overflows a double ("1e400") is an error, not infinity.
 */
#include "scn_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char DURATION_EXPECTED[] = "a duration such as 500ms, 2s, 5m or 1h";
static const char RATE_EXPECTED[] = "a rate such as 20/s, 300/m or 1000/h";
static const char FRACTION_EXPECTED[] = "a fraction in [0, 1] such as 0.1% or 0.001";
static const char USD_EXPECTED[] = "a non-negative amount in USD such as $1.50, 1.50 or 1.50 USD";
static const char COUNT_EXPECTED[] = "a non-negative count such as 500, 200k or 2M";

/* 2^63 as a double: the first value that does not fit in int64_t. */
static const double TWO_POW_63 = 9223372036854775808.0;

const char *scn__quote(const char *s, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return "";
    if (s == NULL)
        s = "";
    size_t o = 0;
    size_t limit = 40;
    if (len < 8) {
        buf[0] = '\0';
        return buf;
    }
    buf[o++] = '\'';
    size_t i = 0;
    for (; s[i] != '\0' && i < limit && o + 5 < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (s[i] != '\0' && o + 5 <= len) {
        buf[o++] = '.';
        buf[o++] = '.';
        buf[o++] = '.';
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

int scn__number_prefix(const char *s, double *v, const char **end)
{
    const char *p = s;
    size_t digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return -1;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q))
                q++;
            p = q;
        }
    }
    char *e = NULL;
    errno = 0;
    double x = strtod(s, &e);
    if (e != p || !isfinite(x))
        return -1;
    *v = x;
    *end = p;
    return 0;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* True if [p, end of string) is only spaces. */
static bool only_space(const char *p)
{
    return *skip_space(p) == '\0';
}

int scn__parse_number(const char *s, double *out, char *err, size_t errlen)
{
    char q[64];
    const char *p = skip_space(s), *end;
    double v;
    if (scn__number_prefix(p, &v, &end) != 0 || !only_space(end)) {
        base_errf(err, errlen, "found %s, expected a number", scn__quote(s, q, sizeof q));
        return -1;
    }
    *out = v;
    return 0;
}

/* Length of the unit word at p (letters, '%', '$', '/'), up to spaces. */
static size_t word_len(const char *p)
{
    size_t n = 0;
    while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
        n++;
    return n;
}

static bool word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(p, w, n) == 0;
}

/* Nanoseconds per unit, 0 if `p[0..n)` is not a duration unit. */
static int64_t duration_unit_ns(const char *p, size_t n)
{
    if (word_is(p, n, "s"))
        return 1000000000LL;
    if (word_is(p, n, "ns"))
        return 1;
    if (word_is(p, n, "us"))
        return 1000LL;
    if (word_is(p, n, "ms"))
        return 1000000LL;
    if (word_is(p, n, "m"))
        return 60LL * 1000000000LL;
    if (word_is(p, n, "h"))
        return 3600LL * 1000000000LL;
    return 0;
}

/* Parse a duration into ns (rounded) and seconds (unrounded). */
static int parse_duration(const char *s, int64_t *ns_out, double *s_out, char *err, size_t errlen)
{
    char q[64];
    if (s == NULL)
        s = "";
    const char *p = skip_space(s), *end;
    double v;
    if (scn__number_prefix(p, &v, &end) != 0) {
        base_errf(err, errlen, "found %s, expected %s", scn__quote(s, q, sizeof q),
                  DURATION_EXPECTED);
        return -1;
    }
    const char *u = skip_space(end);
    size_t un = word_len(u);
    /* A bare number is an error (`ttft: 570` meant 570 ms, not 570 s), except
     * 0, which is the same in every unit. */
    if (un == 0 && only_space(u) && v != 0) {
        base_errf(err, errlen,
                  "found %s without a unit, expected a duration such as %.*sms or %.*ss",
                  scn__quote(s, q, sizeof q), (int)(end - p), p, (int)(end - p), p);
        return -1;
    }
    int64_t scale = un == 0 ? 1000000000LL : duration_unit_ns(u, un);
    if (scale == 0 || !only_space(u + un)) {
        base_errf(err, errlen, "found %s, expected %s", scn__quote(s, q, sizeof q),
                  DURATION_EXPECTED);
        return -1;
    }
    if (v < 0) {
        base_errf(err, errlen, "found %s, expected a non-negative duration such as 500ms, 2s",
                  scn__quote(s, q, sizeof q));
        return -1;
    }
    /* Whole numbers take the exact integer path. */
    bool integral = true;
    for (const char *c = p; c < end; c++)
        if (!isdigit((unsigned char)*c))
            integral = false;
    int64_t ns;
    if (integral) {
        errno = 0;
        long long iv = strtoll(p, NULL, 10);
        if (errno == ERANGE || iv > INT64_MAX / scale) {
            base_errf(err, errlen, "found %s, expected a duration below 292 years",
                      scn__quote(s, q, sizeof q));
            return -1;
        }
        ns = (int64_t)iv * scale;
    } else {
        double x = v * (double)scale;
        if (!(x < TWO_POW_63)) {
            base_errf(err, errlen, "found %s, expected a duration below 292 years",
                      scn__quote(s, q, sizeof q));
            return -1;
        }
        ns = (int64_t)llround(x);
        if (ns < 0) /* llround of a value just below 2^63 */
            ns = INT64_MAX;
    }
    if (ns_out)
        *ns_out = ns;
    if (s_out)
        *s_out = integral ? (double)ns / 1e9 : v * ((double)scale / 1e9);
    return 0;
}

int scn_parse_duration_ns(const char *s, int64_t *out, char *err, size_t errlen)
{
    return parse_duration(s, out, NULL, err, errlen);
}

int scn__parse_duration_s(const char *s, double *out, char *err, size_t errlen)
{
    return parse_duration(s, NULL, out, err, errlen);
}

int scn_parse_rate_per_s(const char *s, double *out, char *err, size_t errlen)
{
    char q[64];
    if (s == NULL)
        s = "";
    const char *p = skip_space(s), *end;
    double v, per = 1.0;
    if (scn__number_prefix(p, &v, &end) != 0)
        goto bad;
    p = skip_space(end);
    if (*p == '/') {
        p = skip_space(p + 1);
        size_t n = word_len(p);
        if (word_is(p, n, "s"))
            per = 1.0;
        else if (word_is(p, n, "m"))
            per = 60.0;
        else if (word_is(p, n, "h"))
            per = 3600.0;
        else
            goto bad;
        p += n;
    } else if (only_space(p) && v != 0) { /* `rate: 7`: per second or per minute? */
        base_errf(err, errlen, "found %s without a unit, expected a rate such as %.*s/s or %.*s/m",
                  scn__quote(s, q, sizeof q), (int)(end - s), s, (int)(end - s), s);
        return -1;
    }
    if (!only_space(p))
        goto bad;
    if (v < 0) {
        base_errf(err, errlen, "found %s, expected a non-negative rate such as 20/s",
                  scn__quote(s, q, sizeof q));
        return -1;
    }
    *out = v / per;
    return 0;
bad:
    base_errf(err, errlen, "found %s, expected %s", scn__quote(s, q, sizeof q), RATE_EXPECTED);
    return -1;
}

int scn_parse_fraction(const char *s, double *out, char *err, size_t errlen)
{
    char q[64];
    if (s == NULL)
        s = "";
    const char *p = skip_space(s), *end;
    double v;
    if (scn__number_prefix(p, &v, &end) != 0)
        goto bad;
    p = skip_space(end);
    if (*p == '%') {
        v /= 100.0;
        p++;
    }
    if (!only_space(p) || !(v >= 0.0 && v <= 1.0))
        goto bad;
    *out = v;
    return 0;
bad:
    base_errf(err, errlen, "found %s, expected %s", scn__quote(s, q, sizeof q), FRACTION_EXPECTED);
    return -1;
}

int scn_parse_usd(const char *s, double *out, char *err, size_t errlen)
{
    char q[64];
    if (s == NULL)
        s = "";
    const char *p = skip_space(s), *end;
    double v;
    if (*p == '$')
        p = skip_space(p + 1);
    if (scn__number_prefix(p, &v, &end) != 0)
        goto bad;
    p = skip_space(end);
    size_t n = word_len(p);
    if (word_is(p, n, "USD") || word_is(p, n, "usd"))
        p += n;
    if (!only_space(p) || !(v >= 0.0))
        goto bad;
    *out = v;
    return 0;
bad:
    base_errf(err, errlen, "found %s, expected %s", scn__quote(s, q, sizeof q), USD_EXPECTED);
    return -1;
}

int scn__parse_uint(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    char q[64];
    const char *p = skip_space(s);
    size_t n = 0;
    while (isdigit((unsigned char)p[n]))
        n++;
    if (n == 0 || !only_space(p + n)) {
        base_errf(err, errlen, "found %s, expected a non-negative integer",
                  scn__quote(s, q, sizeof q));
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(p, NULL, 10);
    if (errno == ERANGE || v > max) {
        base_errf(err, errlen, "found %s, expected an integer in [0, %llu]",
                  scn__quote(s, q, sizeof q), (unsigned long long)max);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int scn__parse_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
    char q[64];
    const char *p = skip_space(s);
    size_t n = (*p == '-') ? 1 : 0;
    size_t digits = 0;
    while (isdigit((unsigned char)p[n])) {
        n++;
        digits++;
    }
    if (digits == 0 || !only_space(p + n)) {
        base_errf(err, errlen, "found %s, expected an integer", scn__quote(s, q, sizeof q));
        return -1;
    }
    errno = 0;
    long long v = strtoll(p, NULL, 10);
    if (errno == ERANGE || v < min || v > max) {
        base_errf(err, errlen, "found %s, expected an integer in [%lld, %lld]",
                  scn__quote(s, q, sizeof q), (long long)min, (long long)max);
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

int scn__parse_count(const char *s, int64_t *out, char *err, size_t errlen)
{
    char q[64];
    const char *p = skip_space(s);
    size_t n = 0, digits = 0;
    bool frac = false;
    while (isdigit((unsigned char)p[n])) {
        n++;
        digits++;
    }
    if (p[n] == '.') {
        frac = true;
        n++;
        while (isdigit((unsigned char)p[n])) {
            n++;
            digits++;
        }
    }
    if (digits == 0)
        goto bad;
    double mult = 1.0;
    const char *u = skip_space(p + n);
    if (*u == 'k' || *u == 'K') {
        mult = 1e3;
        u++;
    } else if (*u == 'M') {
        mult = 1e6;
        u++;
    }
    if (!only_space(u))
        goto bad;
    if (!frac && mult == 1.0) {
        errno = 0;
        long long v = strtoll(p, NULL, 10);
        if (errno == ERANGE)
            goto range;
        *out = (int64_t)v;
        return 0;
    }
    errno = 0;
    double v = strtod(p, NULL) * mult;
    if (!isfinite(v) || !(v < TWO_POW_63))
        goto range;
    if (v != floor(v)) {
        base_errf(err, errlen, "found %s, expected a whole number such as 200k or 1.5M",
                  scn__quote(s, q, sizeof q));
        return -1;
    }
    *out = (int64_t)v;
    return 0;
range:
    base_errf(err, errlen, "found %s, expected a count below 2^63", scn__quote(s, q, sizeof q));
    return -1;
bad:
    base_errf(err, errlen, "found %s, expected %s", scn__quote(s, q, sizeof q), COUNT_EXPECTED);
    return -1;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

int scn__parse_bool(const char *s, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    char q[64];
    for (size_t i = 0; i < 3; i++) {
        if (ieq(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (ieq(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    base_errf(err, errlen, "found %s, expected true or false (or yes/no, on/off)",
              scn__quote(s, q, sizeof q));
    return -1;
}

/* Levenshtein distance with one row over the shorter string. */
unsigned scn_edit_distance(const char *a, const char *b)
{
    if (a == NULL)
        a = "";
    if (b == NULL)
        b = "";
    size_t la = strlen(a), lb = strlen(b);
    if (la < lb) {
        const char *t = a;
        a = b;
        b = t;
        size_t tl = la;
        la = lb;
        lb = tl;
    }
    if (la > UINT_MAX)
        return UINT_MAX;
    if (lb == 0)
        return (unsigned)la;
    unsigned stack_row[65];
    unsigned *row = stack_row;
    if (lb + 1 > sizeof stack_row / sizeof stack_row[0]) {
        row = malloc((lb + 1) * sizeof *row);
        if (row == NULL)
            return (unsigned)la; /* an upper bound */
    }
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1] ? 1u : 0u);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    unsigned d = row[lb];
    if (row != stack_row)
        free(row);
    return d;
}

void scn__suggest_step(const char *word, const char *cand, const char **best, unsigned *best_d)
{
    size_t lw = strlen(word), lc = strlen(cand);
    size_t diff = lw > lc ? lw - lc : lc - lw;
    size_t limit = lw / 3 > 2 ? lw / 3 : 2;
    if (diff > limit) /* the distance is at least the length difference */
        return;
    unsigned d = scn_edit_distance(word, cand);
    if (*best == NULL || d < *best_d) {
        *best = cand;
        *best_d = d;
    }
}

const char *scn__suggest_done(const char *word, const char *best, unsigned best_d)
{
    size_t lw = strlen(word);
    size_t limit = lw / 3 > 2 ? lw / 3 : 2;
    if (best == NULL || best_d == 0 || best_d > limit)
        return NULL;
    return best;
}

const char *scn__suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    unsigned best_d = UINT_MAX;
    for (size_t i = 0; i < n; i++)
        scn__suggest_step(word, cands[i], &best, &best_d);
    return scn__suggest_done(word, best, best_d);
}
