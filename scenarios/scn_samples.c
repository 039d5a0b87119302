/*
 * scn_samples.c - the samples of an empirical distribution read from one
 * column of a CSV file (`dist: empirical, file: PATH, column: NAME,
 * where: {COLUMN: VALUE}`): measured latencies and rates used as they were
 * published, without refitting them to a parametric shape.
 *
 * The file is a plain CSV with a header row: fields split at commas,
 * surrounding spaces ignored, no quoting (a quote is an error rather than a
 * silent misparse).  Values are plain numbers in the quantity's base unit
 * (seconds, tokens or tokens/s).
 */
#include "scn_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest line and most columns of a samples file. */
#define SAMPLES_LINE_MAX 4096
#define SAMPLES_COLS_MAX 64

/* Split line (modified in place) at commas into at most SAMPLES_COLS_MAX
 * trimmed fields.  The number of fields, or -1 on a quote or too many. */
static int split_fields(char *line, char **f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == SAMPLES_COLS_MAX)
            return -1;
        char *end = strchr(p, ',');
        if (end)
            *end = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            p[--len] = '\0';
        if (strchr(p, '"'))
            return -1;
        f[n++] = p;
        if (!end)
            return n;
        p = end + 1;
    }
}

static int col_index(char **hdr, int nh, const char *name)
{
    for (int i = 0; i < nh; i++)
        if (strcmp(hdr[i], name) == 0)
            return i;
    return -1;
}

/* The path of `rel` relative to the scenario file's directory, in buf. */
static int resolve(struct scn__ctx *c, const yaml_node_t *n, const char *rel, char *buf, size_t cap)
{
    size_t dirlen = 0;
    if (rel[0] != '/') {
        const char *slash = strrchr(c->path, '/');
        dirlen = slash ? (size_t)(slash - c->path) + 1 : 0;
    }
    size_t rl = strlen(rel);
    if (dirlen + rl + 1 > cap)
        return scn__fail(c, n, "found a path of %zu bytes, expected at most %zu", dirlen + rl,
                         cap - 1);
    memcpy(buf, c->path, dirlen);
    memcpy(buf + dirlen, rel, rl + 1);
    return 0;
}

struct samples_read {
    FILE *f;
    char path[4096];
    char line[SAMPLES_LINE_MAX + 2];
    char *fld[SAMPLES_COLS_MAX];
    double *vals;
    size_t n, cap;
};

static int push(struct samples_read *r, double v)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        double *p = realloc(r->vals, cap * sizeof *p);
        if (p == NULL)
            return -1;
        r->vals = p;
        r->cap = cap;
    }
    r->vals[r->n++] = v;
    return 0;
}

/* Read one line into r->line without its end of line: 1, 0 at the end, -1
 * if longer than SAMPLES_LINE_MAX. */
static int read_line(struct samples_read *r)
{
    if (fgets(r->line, sizeof r->line, r->f) == NULL)
        return 0;
    size_t len = strlen(r->line);
    if (len > 0 && r->line[len - 1] == '\n')
        r->line[--len] = '\0';
    else if (!feof(r->f))
        return -1;
    if (len > 0 && r->line[len - 1] == '\r')
        r->line[--len] = '\0';
    return 1;
}

static int samples_body(struct scn__ctx *c, const yaml_node_t *fn, const yaml_node_t *cn,
                        const char *column, const char *const *wk, const char *const *wv, size_t nw,
                        struct samples_read *r)
{
    char q[64];
    const char *rel = scn__scalar_str(fn);
    int rc = read_line(r);
    if (rc <= 0)
        return scn__fail(c, fn, "found %s, expected a CSV file with a header row ('%s': %s)",
                         scn__quote(rel, q, sizeof q), r->path,
                         rc == 0 ? "empty" : "first line too long");
    int nh = split_fields(r->line, r->fld);
    if (nh < 0)
        return scn__fail(c, fn,
                         "found a header with quotes or over %d columns in '%s', expected plain "
                         "comma-separated names",
                         SAMPLES_COLS_MAX, r->path);
    /* The header's fields live in r->line, which the rows reuse: keep the
     * indices only. */
    int ci = col_index(r->fld, nh, column);
    if (ci < 0)
        return scn__fail(c, cn, "found no column %s in '%s', expected a name of its header row",
                         scn__quote(column, q, sizeof q), r->path);
    int wi[SAMPLES_COLS_MAX];
    for (size_t k = 0; k < nw; k++) {
        wi[k] = col_index(r->fld, nh, wk[k]);
        if (wi[k] < 0)
            return scn__fail(c, cn,
                             "found no column %s (of 'where') in '%s', expected a name of its "
                             "header row",
                             scn__quote(wk[k], q, sizeof q), r->path);
    }
    for (unsigned long line = 2;; line++) {
        rc = read_line(r);
        if (rc == 0)
            break;
        if (rc < 0)
            return scn__fail(c, fn, "found line %lu of '%s' over %d bytes, expected shorter lines",
                             line, r->path, SAMPLES_LINE_MAX);
        if (r->line[0] == '\0')
            continue;
        int nf = split_fields(r->line, r->fld);
        if (nf != nh)
            return scn__fail(c, fn, "found %d fields at '%s':%lu, expected %d like the header",
                             nf < 0 ? 0 : nf, r->path, line, nh);
        bool keep = true;
        for (size_t k = 0; k < nw && keep; k++)
            keep = strcmp(r->fld[wi[k]], wv[k]) == 0;
        if (!keep)
            continue;
        const char *s = r->fld[ci];
        char *end = NULL;
        errno = 0;
        double v = strtod(s, &end);
        if (s[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v))
            return scn__fail(c, fn, "found %s at '%s':%lu column %s, expected a number",
                             scn__quote(s, q, sizeof q), r->path, line, column);
        if (push(r, v))
            return scn__oom(c, fn);
    }
    if (ferror(r->f))
        return scn__fail(c, fn, "found a read error in '%s', expected a readable file", r->path);
    if (r->n == 0)
        return scn__fail(c, nw ? cn : fn, "found no row of '%s'%s, expected at least one sample",
                         r->path, nw ? " matching 'where'" : "");
    return 0;
}

int scn__csv_samples(struct scn__ctx *c, const yaml_node_t *fn, const yaml_node_t *cn,
                     const char *column, const char *const *wk, const char *const *wv, size_t nw,
                     double **vals, size_t *n)
{
    char q[64], eb[128];
    struct samples_read *r = calloc(1, sizeof *r);
    if (r == NULL)
        return scn__oom(c, fn);
    const char *rel = NULL;
    int rc = scn__get_str(c, fn, "a CSV file path", &rel);
    if (rc == 0 && rel[0] == '\0')
        rc = scn__fail(c, fn, "found an empty value, expected a CSV file path");
    if (rc == 0 && nw > SAMPLES_COLS_MAX)
        rc = scn__fail(c, cn, "found %zu 'where' columns, expected at most %d", nw,
                       SAMPLES_COLS_MAX);
    if (rc == 0)
        rc = resolve(c, fn, rel, r->path, sizeof r->path);
    if (rc == 0) {
        errno = 0;
        r->f = fopen(r->path, "r");
        if (r->f == NULL) {
            int e = errno;
            if (strerror_r(e, eb, sizeof eb) != 0)
                snprintf(eb, sizeof eb, "error %d", e);
            rc = scn__fail(c, fn, "found %s, expected a readable CSV file ('%s': %s)",
                           scn__quote(rel, q, sizeof q), r->path, eb);
        }
    }
    if (rc == 0)
        rc = samples_body(c, fn, cn, column, wk, wv, nw, r);
    if (r->f)
        fclose(r->f);
    if (rc == 0) {
        *vals = r->vals;
        *n = r->n;
    } else {
        free(r->vals);
    }
    free(r);
    return rc;
}
