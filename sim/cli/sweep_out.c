/*
 * sweep_out.c - the outputs of a complete sweep (see sweep.h): the JSON
 * and CSV documents assembled from the points' fragments, the table on
 * stdout, and the plots, all drawn from the CSV text so that a merged
 * sweep draws exactly what the unsharded one draws.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outdir.h"
#include "plot.h"
#include "sweep.h"

/* The headline metrics drawn against each axis: CSV column, label, file
 * name part, and the factor to the drawn unit (fractions as percent). */
struct sweep_pm {
    const char *col, *name, *label;
    double scale;
};

static const struct sweep_pm plot_metrics[] = {
    {"ttft_p99", "p99 TTFT", "p99 TTFT (s)", 1.0},
    {"e2e_p99", "p99 end-to-end latency", "p99 end-to-end latency (s)", 1.0},
    {"client_429_rate", "client 429 rate", "client 429 rate (%)", 100.0},
    {"error_rate", "error rate", "error rate (%)", 100.0},
    {"cost_per_1k_requests", "cost per 1k requests", "cost per 1k requests (USD)", 1.0},
};
#define N_PLOT_METRICS (sizeof plot_metrics / sizeof plot_metrics[0])

/* Most plots one sweep draws: each metric against each axis, and a
 * tornado per metric. */
#define MAX_SWEEP_PLOTS (N_PLOT_METRICS * (SWEEP_MAX_AXES + 1))
#define PLOT_NAME_MAX   96
#define LABEL_MAX       256

/* ---- the CSV read back ---------------------------------------------------- */

struct tab {
    uint32_t cols, rows;
    char **head;    /* cols */
    char **cell;    /* rows x cols */
    uint32_t strat; /* the strategy column = the number of axes */
};

static void tab_free(struct tab *t)
{
    for (size_t i = 0; t->head && i < t->cols; i++)
        free(t->head[i]);
    for (size_t i = 0; t->cell && i < (size_t)t->rows * t->cols; i++)
        free(t->cell[i]);
    free(t->head);
    free(t->cell);
    memset(t, 0, sizeof *t);
}

/* One field at *s (quoted or not); *s moves past it and its separator.
 * *end_of_row is set at a newline or the end. */
static char *read_field(const char **s, bool *end_of_row)
{
    const char *p = *s;
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    for (;;) {
        char c = *p;
        if (c == '\0')
            break;
        if (quoted && c == '"') {
            if (p[1] == '"') {
                p++;
            } else {
                quoted = false;
                p++;
                continue;
            }
        } else if (!quoted && (c == ',' || c == '\n')) {
            break;
        }
        if (n + 2 > cap) {
            char *no = realloc(out, cap *= 2);
            if (no == NULL) {
                free(out);
                return NULL;
            }
            out = no;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    *end_of_row = *p != ',';
    if (*p)
        p++;
    *s = p;
    return out;
}

/* Parse the sweep CSV (header + rows of as many fields).  0, or -1. */
static int tab_parse(const char *text, struct tab *t)
{
    memset(t, 0, sizeof *t);
    const char *s = text;
    uint32_t cap = 0;
    bool eor = false;
    while (!eor && *s) {
        if (t->cols == cap) {
            cap = cap ? cap * 2 : 32;
            char **nh = realloc(t->head, cap * sizeof *nh);
            if (nh == NULL)
                return -1;
            t->head = nh;
        }
        if ((t->head[t->cols] = read_field(&s, &eor)) == NULL)
            return -1;
        t->cols++;
    }
    t->strat = t->cols;
    for (uint32_t c = 0; c < t->cols; c++)
        if (strcmp(t->head[c], "strategy") == 0) {
            t->strat = c;
            break;
        }
    if (t->strat == t->cols)
        return -1;
    size_t rcap = 0;
    while (*s) {
        if (t->rows == rcap) {
            rcap = rcap ? rcap * 2 : 64;
            char **nc = realloc(t->cell, rcap * t->cols * sizeof *nc);
            if (nc == NULL)
                return -1;
            t->cell = nc;
        }
        char **row = t->cell + (size_t)t->rows * t->cols;
        for (uint32_t c = 0; c < t->cols; c++)
            row[c] = NULL;
        t->rows++;
        eor = false;
        for (uint32_t c = 0; c < t->cols; c++) {
            if (eor || (row[c] = read_field(&s, &eor)) == NULL)
                return -1;
        }
        if (!eor)
            return -1;
    }
    return 0;
}

static const char *at(const struct tab *t, uint32_t r, uint32_t c)
{
    return t->cell[(size_t)r * t->cols + c];
}

static int col_of(const struct tab *t, const char *name)
{
    for (uint32_t c = t->strat + 1; c < t->cols; c++)
        if (strcmp(t->head[c], name) == 0)
            return (int)c;
    return -1;
}

static double num(const struct tab *t, uint32_t r, int c)
{
    if (c < 0 || at(t, r, (uint32_t)c)[0] == '\0')
        return NAN;
    return strtod(at(t, r, (uint32_t)c), NULL);
}

/* ---- the x values of an axis ---------------------------------------------- */

/* A unit suffix the scenario files write and its factor to a base unit. */
struct unit {
    const char *suffix;
    double factor;
    int family; /* 1 time (s), 2 multiplier */
};
static const struct unit units[] = {
    {"us", 1e-6, 1}, {"ms", 1e-3, 1}, {"s", 1.0, 1}, {"m", 60.0, 1}, {"h", 3600.0, 1},
    {"", 1.0, 2},    {"k", 1e3, 2},   {"M", 1e6, 2}, {"G", 1e9, 2},
};

/* Split "500ms" into 500 and "ms".  false when it is not a number. */
static bool split_num(const char *s, double *v, const char **suffix)
{
    const char *p = s;
    if (*p == '$')
        p++;
    char *end;
    errno = 0;
    *v = strtod(p, &end);
    if (end == p || !isfinite(*v) || isspace((unsigned char)*p))
        return false;
    *suffix = end;
    return true;
}

/*
 * The x of every row's cell of axis a (NaN when empty), and its label:
 * numbers as written when they share one suffix, converted to seconds or
 * plain numbers across time units or k/M/G, else the value's rank in
 * order of first appearance (the label lists them).
 */
static void axis_x(const struct tab *t, uint32_t a, double *x, char *label, size_t len)
{
    const char *suffix0 = NULL;
    bool same = true, numeric = true;
    int family = -1;
    for (uint32_t r = 0; r < t->rows; r++) {
        const char *c = at(t, r, a);
        double v;
        const char *suf;
        if (c[0] == '\0')
            continue;
        if (!split_num(c, &v, &suf)) {
            numeric = false;
            break;
        }
        if (suffix0 == NULL)
            suffix0 = suf;
        same = same && strcmp(suf, suffix0) == 0;
        int fam = 0;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
            if (strcmp(suf, units[u].suffix) == 0)
                fam = units[u].family;
        family = family == -1 ? fam : family == fam ? fam : 0;
    }
    if (numeric && (same || family > 0)) {
        for (uint32_t r = 0; r < t->rows; r++) {
            const char *c = at(t, r, a);
            double v;
            const char *suf;
            x[r] = NAN;
            if (c[0] == '\0' || !split_num(c, &v, &suf))
                continue;
            if (!same)
                for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
                    if (strcmp(suf, units[u].suffix) == 0)
                        v *= units[u].factor;
            x[r] = v;
        }
        if (same && suffix0 && suffix0[0])
            snprintf(label, len, "%s (%s)", t->head[a], suffix0);
        else if (!same && family == 1)
            snprintf(label, len, "%s (s)", t->head[a]);
        else
            snprintf(label, len, "%s", t->head[a]);
        return;
    }
    /* ranks: 1, 2, ... in order of first appearance */
    size_t o = (size_t)snprintf(label, len, "%s:", t->head[a]);
    uint32_t rank = 0;
    for (uint32_t r = 0; r < t->rows; r++) {
        const char *c = at(t, r, a);
        x[r] = NAN;
        if (c[0] == '\0')
            continue;
        uint32_t q = 0;
        for (; q < r; q++)
            if (strcmp(at(t, q, a), c) == 0)
                break;
        if (q < r) {
            x[r] = x[q];
            continue;
        }
        x[r] = ++rank;
        if (o < len)
            o += (size_t)snprintf(label + o, len - o, "%s %u = %s", rank > 1 ? "," : "", rank, c);
    }
}

/* ---- plots -------------------------------------------------------------- */

/* A file-name-safe copy of s. */
static void safe_name(char *out, size_t len, const char *s)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++)
        out[n++] = isalnum((unsigned char)*s) ? *s : '_';
    out[n] = '\0';
}

/* Whether row r is in the slice of axis a: every other axis at the value
 * of the first row (grid), or a itself moved (one-at-a-time). */
static bool in_slice(const struct tab *t, enum sweep_mode mode, uint32_t a, uint32_t r)
{
    if (mode == SWEEP_ONE_AT_A_TIME)
        return at(t, r, a)[0] != '\0';
    for (uint32_t b = 0; b < t->strat; b++)
        if (b != a && strcmp(at(t, r, b), at(t, 0, b)) != 0)
            return false;
    return true;
}

/* The strategies in order of first appearance: indices of their first row. */
static uint32_t strategies(const struct tab *t, uint32_t *first)
{
    uint32_t n = 0;
    for (uint32_t r = 0; r < t->rows; r++) {
        uint32_t k = 0;
        for (; k < n; k++)
            if (strcmp(at(t, first[k], t->strat), at(t, r, t->strat)) == 0)
                break;
        if (k == n)
            first[n++] = r;
    }
    return n;
}

/* Metric m against axis a, one band per strategy. */
static int plot_axis(const char *dir, const struct tab *t, enum sweep_mode mode, uint32_t a,
                     const struct sweep_pm *m, const uint32_t *first, uint32_t n_strat,
                     const double *xall, const char *xlabel, char *name, char *err, size_t errlen)
{
    int c = col_of(t, m->col);
    char lo_name[64], hi_name[64];
    snprintf(lo_name, sizeof lo_name, "%s_lo", m->col);
    snprintf(hi_name, sizeof hi_name, "%s_hi", m->col);
    int clo = col_of(t, lo_name), chi = col_of(t, hi_name);
    size_t rows = t->rows;
    double *buf = calloc(4 * rows + 1, sizeof *buf);
    struct plot_band *s = calloc(n_strat, sizeof *s);
    if (buf == NULL || s == NULL) {
        free(buf);
        free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double *x = buf, *y = buf + rows, *lo = buf + 2 * rows, *hi = buf + 3 * rows;
    size_t o = 0;
    for (uint32_t k = 0; k < n_strat; k++) {
        const char *strat = at(t, first[k], t->strat);
        s[k] = (struct plot_band){strat, x + o, y + o, lo + o, hi + o, 0};
        for (uint32_t r = 0; r < t->rows; r++) {
            if (strcmp(at(t, r, t->strat), strat) != 0 || !in_slice(t, mode, a, r))
                continue;
            x[o] = xall[r];
            y[o] = num(t, r, c) * m->scale;
            /* every headline metric is >= 0: a t-interval reaching below
             * zero (few replications, rare events) is drawn from zero */
            lo[o] = num(t, r, clo) * m->scale;
            lo[o] = lo[o] < 0.0 ? 0.0 : lo[o];
            hi[o] = num(t, r, chi) * m->scale;
            o++;
            s[k].n++;
        }
    }
    char slice[LABEL_MAX] = "";
    if (mode == SWEEP_ONE_AT_A_TIME) {
        snprintf(slice, sizeof slice, " (other inputs as in the scenario)");
    } else if (t->strat > 1) {
        size_t so = (size_t)snprintf(slice, sizeof slice, " (");
        for (uint32_t b = 0, k = 0; b < t->strat && so < sizeof slice; b++)
            if (b != a)
                so += (size_t)snprintf(slice + so, sizeof slice - so, "%s%s = %s", k++ ? ", " : "",
                                       t->head[b], at(t, 0, b));
        if (so < sizeof slice)
            snprintf(slice + so, sizeof slice - so, ")");
    }
    char title[2 * LABEL_MAX], what[PLOT_NAME_MAX / 2];
    snprintf(title, sizeof title, "%s vs %s%s%s", m->name, t->head[a], slice,
             clo >= 0 ? ", 95% bands" : "");
    safe_name(what, sizeof what, t->head[a]);
    snprintf(name, PLOT_NAME_MAX, "%s_vs_%s", m->col, what);
    int rc = plot_bands(dir, name, title, xlabel, m->label, s, n_strat, err, errlen);
    free(buf);
    free(s);
    return rc;
}

/* One-at-a-time: the swing of metric m as each axis moves alone, for the
 * first strategy; bars sorted by swing, the base point as the baseline. */
static int plot_swing(const char *dir, const struct tab *t, const struct sweep_pm *m,
                      const char *strat, char *name, char *err, size_t errlen)
{
    int c = col_of(t, m->col);
    uint32_t n = t->strat;
    double lo[SWEEP_MAX_AXES], hi[SWEEP_MAX_AXES], base = NAN;
    char labels[SWEEP_MAX_AXES][LABEL_MAX];
    const char *first_v[SWEEP_MAX_AXES] = {0}, *last_v[SWEEP_MAX_AXES] = {0};
    for (uint32_t a = 0; a < n; a++)
        lo[a] = INFINITY, hi[a] = -INFINITY;
    for (uint32_t r = 0; r < t->rows; r++) {
        if (strcmp(at(t, r, t->strat), strat) != 0)
            continue;
        double v = num(t, r, c) * m->scale;
        uint32_t a = 0;
        while (a < n && at(t, r, a)[0] == '\0')
            a++;
        if (a == n) {
            base = v;
            continue;
        }
        if (first_v[a] == NULL)
            first_v[a] = at(t, r, a);
        last_v[a] = at(t, r, a);
        if (isfinite(v)) {
            lo[a] = v < lo[a] ? v : lo[a];
            hi[a] = v > hi[a] ? v : hi[a];
        }
    }
    uint32_t order[SWEEP_MAX_AXES];
    for (uint32_t a = 0; a < n; a++) {
        if (!(lo[a] <= hi[a]))
            lo[a] = hi[a] = NAN;
        order[a] = a;
    }
    /* insertion sort by swing, widest first; stable so ties keep the
     * --vary order; axes without a finite value last */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0; j--) {
            double sa = hi[order[j]] - lo[order[j]], sb = hi[order[j - 1]] - lo[order[j - 1]];
            if (!(isfinite(sa) && (!isfinite(sb) || sa > sb)))
                break;
            uint32_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    double slo[SWEEP_MAX_AXES], shi[SWEEP_MAX_AXES];
    const char *sl[SWEEP_MAX_AXES];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = order[i];
        slo[i] = lo[a];
        shi[i] = hi[a];
        snprintf(labels[i], LABEL_MAX, "%s %s..%s", t->head[a], first_v[a] ? first_v[a] : "",
                 last_v[a] ? last_v[a] : "");
        sl[i] = labels[i];
    }
    char title[2 * LABEL_MAX], xlabel[LABEL_MAX];
    snprintf(title, sizeof title, "%s as each input moves alone (%s)", m->name, strat);
    snprintf(xlabel, sizeof xlabel, "%s; dashed line: the scenario as written", m->label);
    snprintf(name, PLOT_NAME_MAX, "tornado_%s", m->col);
    return plot_tornado(dir, name, title, xlabel, sl, slo, shi, n, base, err, errlen);
}

/* Every plot of the sweep into dir; their names into names[]. */
static int sweep_plots(const char *dir, const struct tab *t, enum sweep_mode mode,
                       char (*names)[PLOT_NAME_MAX], int *n_names, char *err, size_t errlen)
{
    uint32_t *first = calloc(t->rows + 1, sizeof *first);
    double *x = calloc(t->rows + 1, sizeof *x);
    int rc = 0;
    if (first == NULL || x == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto done;
    }
    uint32_t n_strat = strategies(t, first);
    *n_names = 0;
    for (uint32_t a = 0; a < t->strat && rc == 0; a++) {
        char xlabel[LABEL_MAX];
        axis_x(t, a, x, xlabel, sizeof xlabel);
        for (size_t m = 0; m < N_PLOT_METRICS && rc == 0; m++)
            if ((rc = plot_axis(dir, t, mode, a, &plot_metrics[m], first, n_strat, x, xlabel,
                                names[*n_names], err, errlen)) == 0)
                (*n_names)++;
    }
    if (mode == SWEEP_ONE_AT_A_TIME && n_strat > 0)
        for (size_t m = 0; m < N_PLOT_METRICS && rc == 0; m++)
            if ((rc = plot_swing(dir, t, &plot_metrics[m], at(t, first[0], t->strat),
                                 names[*n_names], err, errlen)) == 0)
                (*n_names)++;
done:
    free(first);
    free(x);
    return rc;
}

/* ---- the table ---------------------------------------------------------- */

/* A table cell of metric column c at row r: "mean" or "mean ±hw". */
static void metric_cell(const struct tab *t, uint32_t r, const struct sweep_pm *m, char *out,
                        size_t len)
{
    int c = col_of(t, m->col);
    char lo_name[64], hi_name[64];
    snprintf(lo_name, sizeof lo_name, "%s_lo", m->col);
    snprintf(hi_name, sizeof hi_name, "%s_hi", m->col);
    double v = num(t, r, c) * m->scale, lo = num(t, r, col_of(t, lo_name)) * m->scale,
           hi = num(t, r, col_of(t, hi_name)) * m->scale;
    const char *fmt = m->scale == 100.0 ? "%.2f%%" : "%.3f";
    if (!isfinite(v)) {
        snprintf(out, len, "-");
        return;
    }
    int w = snprintf(out, len, fmt, v);
    if (isfinite(lo) && isfinite(hi) && w > 0 && (size_t)w < len)
        snprintf(out + w, len - (size_t)w, m->scale == 100.0 ? " ±%.2f" : " ±%.3f", (hi - lo) / 2);
}

/* Display width of a UTF-8 string (code points). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

#define TABLE_CELL 96

static void print_table(FILE *f, const struct tab *t)
{
    static const char *const heads[] = {"p99 TTFT s", "p99 e2e s", "client 429", "errors",
                                        "$/1k req"};
    uint32_t nc = t->strat + 1 + (uint32_t)N_PLOT_METRICS + 1;
    size_t *w = calloc(nc, sizeof *w);
    char *cells = calloc(((size_t)t->rows + 1) * nc, TABLE_CELL);
    if (w == NULL || cells == NULL) {
        free(w);
        free(cells);
        return;
    }
#define CELL(r, c) (cells + ((size_t)(r)*nc + (c)) * TABLE_CELL)
    for (uint32_t c = 0; c <= t->strat; c++)
        snprintf(CELL(0, c), TABLE_CELL, "%s", t->head[c]);
    for (size_t m = 0; m < N_PLOT_METRICS; m++)
        snprintf(CELL(0, t->strat + 1 + m), TABLE_CELL, "%s", heads[m]);
    snprintf(CELL(0, nc - 1), TABLE_CELL, "slo");
    for (uint32_t r = 0; r < t->rows; r++) {
        for (uint32_t c = 0; c <= t->strat; c++)
            snprintf(CELL(r + 1, c), TABLE_CELL, "%s", at(t, r, c)[0] ? at(t, r, c) : "(scn)");
        for (size_t m = 0; m < N_PLOT_METRICS; m++)
            metric_cell(t, r, &plot_metrics[m], CELL(r + 1, t->strat + 1 + m), TABLE_CELL);
        snprintf(CELL(r + 1, nc - 1), TABLE_CELL, "%s", at(t, r, t->cols - 1));
    }
    for (uint32_t r = 0; r <= t->rows; r++)
        for (uint32_t c = 0; c < nc; c++)
            w[c] = width(CELL(r, c)) > w[c] ? width(CELL(r, c)) : w[c];
    for (uint32_t r = 0; r <= t->rows; r++) {
        for (uint32_t c = 0; c < nc; c++) {
            const char *s = CELL(r, c);
            bool right = c > t->strat && c + 1 < nc;
            size_t pad = w[c] - width(s);
            if (right)
                fprintf(f, "%*s", (int)pad, "");
            fputs(s, f);
            if (c + 1 < nc)
                fprintf(f, "%*s", (int)(right ? 2 : pad + 2), "");
        }
        fputc('\n', f);
    }
#undef CELL
    free(w);
    free(cells);
}

/* ---- the documents ------------------------------------------------------ */

static int write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[SCN_PATH_MAX + 96];
    FILE *f = outdir_open(dir, name, path, sizeof path);
    if (f == NULL)
        return CLI_EXIT_INTERNAL;
    fwrite(text, 1, len, f);
    return outdir_close(f, path);
}

/* sweep.json, sweep.csv and the plots into dir (a transaction's temporary
 * directory): 0 or the exit status after printing the error. */
static int write_sweep_dir(const char *dir, const char *doc, size_t doc_len, const char *csv,
                           size_t csv_len, const struct tab *tab, enum sweep_mode mode)
{
    int rc;
    if ((rc = write_file(dir, "sweep.json", doc, doc_len)) != 0 ||
        (rc = write_file(dir, "sweep.csv", csv, csv_len)) != 0)
        return rc;
    char(*names)[PLOT_NAME_MAX] = calloc(MAX_SWEEP_PLOTS, sizeof *names);
    const char *np[MAX_SWEEP_PLOTS];
    int n = 0;
    char err[CLI_ERRLEN];
    if (names == NULL) {
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    if (sweep_plots(dir, tab, mode, names, &n, err, sizeof err) != 0) {
        fprintf(stderr, "lbsim: %s\n", err);
        free(names);
        return CLI_EXIT_INTERNAL;
    }
    for (int i = 0; i < n; i++)
        np[i] = names[i];
    outdir_render(dir, np, n);
    free(names);
    return 0;
}

int sweep_finish(const struct sweep_texts *t, bool json, const char *out_dir)
{
    char *doc = NULL, *csv = NULL;
    size_t doc_len = 0, csv_len = 0;
    FILE *fd = open_memstream(&doc, &doc_len), *fc = open_memstream(&csv, &csv_len);
    if (fd == NULL || fc == NULL) {
        if (fd)
            fclose(fd);
        if (fc)
            fclose(fc);
        fprintf(stderr, "lbsim: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    fputs(t->head_json, fd);
    fputs(t->head_csv, fc);
    for (uint32_t p = 0; p < t->n; p++) {
        fprintf(fd, "%s%s", p ? ",\n" : "", t->json[p]);
        fputs(t->csv[p], fc);
    }
    fputs("\n  ]\n}\n", fd);
    int rc = 0;
    if ((fclose(fd) | fclose(fc)) != 0) {
        fprintf(stderr, "lbsim: out of memory\n");
        free(doc);
        free(csv);
        return CLI_EXIT_INTERNAL;
    }
    struct tab tab;
    if (tab_parse(csv, &tab) != 0) {
        fprintf(stderr, "lbsim: internal error: the sweep's CSV does not read back\n");
        rc = CLI_EXIT_INTERNAL;
        goto done;
    }
    if (out_dir != NULL) {
        struct outdir_tx tx;
        if ((rc = outdir_begin(&tx, out_dir)) != 0)
            goto done;
        rc = outdir_commit(&tx, write_sweep_dir(tx.tmp, doc, doc_len, csv, csv_len, &tab, t->mode));
        if (rc != 0)
            goto done;
    }
    if (json) {
        fwrite(doc, 1, doc_len, stdout);
    } else {
        print_table(stdout, &tab);
        if (out_dir != NULL)
            printf("\nwrote %s/sweep.json, %s/sweep.csv and plots\n", out_dir, out_dir);
    }
done:
    tab_free(&tab);
    free(doc);
    free(csv);
    return rc;
}
