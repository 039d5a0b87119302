/*
 * timeplots.c - the time plots of --out (see timeplots.h): the CSV files
 * read back by column name, the scenario's windows collected, the plots
 * handed to plots/.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "timeplots.h"

#define NS_PER_S 1e9
/* Longest CSV line read back (a strategy name and ~30 numbers). */
#define TP_LINE_MAX 4096
#define TP_COLS_MAX 64
/* Most backends drawn in a share plot; the rest are summed as "other". */
#define TP_SHARE_BACKENDS 10
/* Most per-strategy share plots (one each). */
#define TP_SHARE_PLOTS 6
/* Most windows shaded (labels stay readable). */
#define TP_WINDOWS_MAX 24

/* Window colours by kind (matplotlib's tab10, as the curves' palette). */
static const char TP_RGB_OUTAGE[] = "#d62728";
static const char TP_RGB_BROWNOUT[] = "#ff7f0e";
static const char TP_RGB_STORM[] = "#9467bd";
static const char TP_RGB_SPOT[] = "#8c564b";
static const char TP_RGB_TRAFFIC[] = "#1f77b4";

/* ---- CSV read-back -------------------------------------------------------- */

/* Split an RFC 4180 line (as report.c writes it) in place; quoted fields
 * lose their quotes.  Returns the field count. */
static int csv_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return n;
        char *out = p;
        f[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    return n;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                p++;
            out = p;
        }
        char c = *p;
        *out = '\0';
        if (c != ',')
            return n;
        p++;
    }
}

/* A CSV file in memory: the header names and the rows' numbers (NaN for
 * an empty cell), with the first column kept as text (the strategy). */
struct tp_csv {
    char head[TP_COLS_MAX][48];
    int ncol;
    uint32_t nrow;
    char (*key)[SCN_NAME_MAX + 1];  /* column 0 */
    char (*key2)[SCN_NAME_MAX + 1]; /* the column named by key2_col, when any */
    double *v;                      /* nrow x ncol */
};

static void tp_csv_free(struct tp_csv *c)
{
    free(c->key);
    free(c->key2);
    free(c->v);
    memset(c, 0, sizeof *c);
}

static int tp_col(const struct tp_csv *c, const char *name)
{
    for (int i = 0; i < c->ncol; i++)
        if (strcmp(c->head[i], name) == 0)
            return i;
    return -1;
}

/* 1 read, 0 no such file, -1 error.  key2 names a text column kept too. */
static int tp_csv_read(const char *path, const char *key2, struct tp_csv *c, char *err,
                       size_t errlen)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[TP_LINE_MAX];
    char *fld[TP_COLS_MAX];
    int k2 = -1;
    if (fgets(line, sizeof line, f)) {
        int n = csv_split(line, fld, TP_COLS_MAX);
        for (int i = 0; i < n; i++)
            snprintf(c->head[i], sizeof c->head[i], "%s", fld[i]);
        c->ncol = n;
        k2 = key2 ? tp_col(c, key2) : -1;
    }
    uint32_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (c->nrow == cap) {
            cap = cap ? 2 * cap : 256;
            void *a = realloc(c->key, cap * sizeof *c->key);
            if (a)
                c->key = a;
            void *b = realloc(c->key2, cap * sizeof *c->key2);
            if (b)
                c->key2 = b;
            void *d = realloc(c->v, (size_t)cap * (size_t)c->ncol * sizeof *c->v);
            if (d)
                c->v = d;
            if (!a || !b || !d) {
                fclose(f);
                tp_csv_free(c);
                snprintf(err, errlen, "time plots: out of memory reading %s", path);
                return -1;
            }
        }
        int n = csv_split(line, fld, TP_COLS_MAX);
        double *row = c->v + (size_t)c->nrow * (size_t)c->ncol;
        for (int i = 0; i < c->ncol; i++) {
            char *end;
            row[i] = i < n && *fld[i] ? strtod(fld[i], &end) : NAN;
            if (i < n && *fld[i] && *end != '\0')
                row[i] = NAN;
        }
        snprintf(c->key[c->nrow], sizeof c->key[0], "%s", n > 0 ? fld[0] : "");
        snprintf(c->key2[c->nrow], sizeof c->key2[0], "%s", k2 >= 0 && k2 < n ? fld[k2] : "");
        c->nrow++;
    }
    fclose(f);
    return 1;
}

static double tp_at(const struct tp_csv *c, uint32_t r, int col)
{
    return col < 0 ? NAN : c->v[(size_t)r * (size_t)c->ncol + (size_t)col];
}

/* ---- windows --------------------------------------------------------------- */

struct tp_windows {
    struct plot_window w[TP_WINDOWS_MAX];
    char label[TP_WINDOWS_MAX][96];
    uint32_t n;
};

/* Add [a, b) of kind; the same kind and span again (two accounts of one
 * provider down together) appends the backend to the label instead. */
static void tp_window(struct tp_windows *ws, const char *kind, const char *rgb, int64_t a_ns,
                      int64_t b_ns, const char *who)
{
    double a = (double)a_ns / NS_PER_S, b = (double)b_ns / NS_PER_S;
    for (uint32_t i = 0; i < ws->n; i++)
        if (ws->w[i].rgb == rgb && ws->w[i].start_s == a && ws->w[i].end_s == b) {
            size_t len = strlen(ws->label[i]);
            if (who && len + strlen(who) + 3 < sizeof ws->label[i])
                snprintf(ws->label[i] + len, sizeof ws->label[i] - len, ", %s", who);
            return;
        }
    if (ws->n == TP_WINDOWS_MAX || !(b > a))
        return;
    snprintf(ws->label[ws->n], sizeof ws->label[0], "%s%s%s", kind, who ? ": " : "",
             who ? who : "");
    ws->w[ws->n] = (struct plot_window){a, b, ws->label[ws->n], rgb};
    ws->n++;
}

static void tp_traffic_windows(struct tp_windows *ws, const struct trace_cfg *t)
{
    if (t->format != TRACE_SYNTHETIC || t->synth.arrivals != TRACE_ARR_SCHEDULE)
        return;
    /* the source's name: a label it sets (tenant first), else "traffic" */
    const char *who = NULL;
    for (int k = 0; k < TRACE_LABEL_KINDS_ && !who; k++)
        if (t->set_label[k][0])
            who = t->set_label[k];
    double scale = t->rate_scale > 0 ? t->rate_scale : 1.0;
    for (uint32_t i = 0; i < t->synth.n_windows; i++) {
        const struct trace_window *w = &t->synth.windows[i];
        tp_window(ws, "traffic", TP_RGB_TRAFFIC, (int64_t)((double)w->start_ns / scale),
                  (int64_t)((double)w->end_ns / scale), who);
    }
}

static void tp_collect_windows(const struct scenario *scn, struct tp_windows *ws)
{
    ws->n = 0;
    for (uint32_t b = 0; b < scn->n_backends; b++) {
        const struct scn_backend *be = &scn->backends[b];
        const struct fault_cfg *fc = &be->api.faults;
        for (uint32_t i = 0; i < fc->n_outages; i++)
            tp_window(ws, "outage", TP_RGB_OUTAGE, fc->outages[i].start_ns, fc->outages[i].end_ns,
                      be->name);
        for (uint32_t i = 0; i < fc->n_brownouts; i++)
            tp_window(ws, "brownout", TP_RGB_BROWNOUT, fc->brownouts[i].start_ns,
                      fc->brownouts[i].end_ns, be->name);
        for (uint32_t i = 0; i < fc->n_storms; i++)
            tp_window(ws, "429 storm", TP_RGB_STORM, fc->storms[i].start_ns, fc->storms[i].end_ns,
                      be->name);
    }
    for (uint32_t p = 0; p < scn->n_pools; p++) {
        const struct scn_pool *pool = &scn->pools[p];
        /* a reclaim: the notice period, at least one interval wide so
         * it shows */
        int64_t width = pool->spot.notice_ns > scn->interval_ns / 4 ? pool->spot.notice_ns
                                                                    : scn->interval_ns / 4;
        for (uint32_t i = 0; i < pool->spot.n_schedule; i++)
            tp_window(ws, "spot reclaim", TP_RGB_SPOT, pool->spot.schedule[i].at_ns,
                      pool->spot.schedule[i].at_ns + width, pool->name);
    }
    if (scn->sources)
        for (uint32_t s = 0; s < scn->n_sources; s++)
            tp_traffic_windows(ws, &scn->sources[s]);
    else
        tp_traffic_windows(ws, &scn->traffic);
}

/* ---- plots ----------------------------------------------------------------- */

/* Per-strategy row ranges of timeseries.csv (rows are grouped). */
struct tp_run {
    char name[SCN_NAME_MAX + 1];
    uint32_t first, n;
};

struct tp_ctx {
    const char *dir;
    const struct scenario *scn;
    struct tp_csv ts;
    struct tp_run *runs;
    uint32_t n_runs;
    struct tp_windows ws;
    double interval_s;
    struct timeplots_plot *out;
    int count, max;
    char *err;
    size_t errlen;
    double *buf; /* scratch: 2 x rows x (series) */
    struct plot_series *series;
    char (*labels)[SCN_NAME_MAX + 48];
};

static void tp_spec(const struct tp_ctx *c, struct plot_time_spec *sp, const char *title,
                    const char *ylabel)
{
    memset(sp, 0, sizeof *sp);
    sp->title = title;
    sp->ylabel = ylabel;
    sp->windows = c->ws.w;
    sp->n_windows = c->ws.n;
}

static int tp_emit(struct tp_ctx *c, const char *name, const char *caption,
                   const struct plot_time_spec *sp, uint32_t ns)
{
    if (c->count >= c->max || ns == 0)
        return 0;
    if (plot_time(c->dir, name, sp, c->series, ns, c->err, c->errlen) != 0)
        return -1;
    snprintf(c->out[c->count].name, sizeof c->out[0].name, "%s", name);
    snprintf(c->out[c->count].caption, sizeof c->out[0].caption, "%s", caption);
    c->count++;
    return 0;
}

/* One series per strategy of value(row) at the interval's middle. */
typedef double (*tp_value_fn)(const struct tp_ctx *c, uint32_t row, const void *arg);

static uint32_t tp_series(struct tp_ctx *c, uint32_t first, tp_value_fn fn, const void *arg,
                          const char *suffix)
{
    int tcol = tp_col(&c->ts, "t_s");
    uint32_t total = c->ts.nrow;
    for (uint32_t i = 0; i < c->n_runs; i++) {
        uint32_t k = first + i;
        double *x = c->buf + (size_t)2 * total * k, *y = x + total;
        for (uint32_t r = 0; r < c->runs[i].n; r++) {
            uint32_t row = c->runs[i].first + r;
            x[r] = tp_at(&c->ts, row, tcol) + c->interval_s / 2;
            y[r] = fn(c, row, arg);
        }
        snprintf(c->labels[k], sizeof c->labels[0], "%s%s", c->runs[i].name, suffix);
        c->series[k] = (struct plot_series){c->labels[k], x, y, c->runs[i].n};
    }
    return c->n_runs;
}

static double tp_column(const struct tp_ctx *c, uint32_t row, const void *arg)
{
    return tp_at(&c->ts, row, tp_col(&c->ts, arg));
}

/* Share of the answered requests: a count column over completed + failed. */
static double tp_answered_share(const struct tp_ctx *c, uint32_t row, const void *arg)
{
    double done = tp_at(&c->ts, row, tp_col(&c->ts, "completed")) +
                  tp_at(&c->ts, row, tp_col(&c->ts, "failed"));
    double v = tp_at(&c->ts, row, tp_col(&c->ts, arg));
    return done > 0 ? v / done : NAN;
}

static double tp_cost_rate(const struct tp_ctx *c, uint32_t row, const void *arg)
{
    (void)arg;
    return tp_at(&c->ts, row, tp_col(&c->ts, "cost_usd")) * 3600.0 / c->interval_s;
}

static int tp_plot_ttft(struct tp_ctx *c)
{
    bool p99 = tp_col(&c->ts, "ttft_p99_s") >= 0;
    if (!p99 && tp_col(&c->ts, "ttft_mean_s") < 0)
        return 0;
    uint32_t ns = tp_series(c, 0, tp_column, p99 ? "ttft_p99_s" : "ttft_mean_s", "");
    struct plot_time_spec sp;
    tp_spec(c, &sp,
            p99 ? "p99 time to first token over time" : "Mean time to first token over time",
            p99 ? "p99 TTFT (s)" : "mean TTFT (s)");
    return tp_emit(c, "time_ttft",
                   p99 ? "p99 TTFT per interval, by strategy"
                       : "Mean TTFT per interval, by strategy (this lbsim wrote no p99 column)",
                   &sp, ns);
}

static int tp_plot_errors(struct tp_ctx *c)
{
    bool cols = tp_col(&c->ts, "error_rate") >= 0 && tp_col(&c->ts, "client_429_rate") >= 0;
    if (!cols && (tp_col(&c->ts, "failed") < 0 || tp_col(&c->ts, "client_429") < 0))
        return 0;
    uint32_t ns = 0;
    if (cols) {
        ns += tp_series(c, ns, tp_column, "error_rate", ": errors");
        ns += tp_series(c, ns, tp_column, "client_429_rate", ": 429s");
    } else {
        ns += tp_series(c, ns, tp_answered_share, "failed", ": errors");
        ns += tp_series(c, ns, tp_answered_share, "client_429", ": 429s");
    }
    struct plot_time_spec sp;
    tp_spec(c, &sp, "Failed requests over time (client view)", "share of requests");
    sp.y_percent = true;
    sp.color_cycle = c->n_runs; /* a colour per strategy, 429s dashed */
    return tp_emit(c, "time_errors",
                   "Share of requests answered with an error (any status) and with a 429, per "
                   "interval",
                   &sp, ns);
}

static int tp_plot_inflight(struct tp_ctx *c)
{
    if (tp_col(&c->ts, "inflight") < 0)
        return 0;
    uint32_t ns = tp_series(c, 0, tp_column, "inflight", "");
    bool y2[2 * TP_SHARE_BACKENDS] = {false};
    struct plot_time_spec sp;
    tp_spec(c, &sp, "Requests in flight and healthy backends over time",
            "client requests in flight");
    /* capacity: the healthy backends of the first run (all runs share
     * the fault schedule) */
    if (tp_col(&c->ts, "healthy_backends") >= 0 && c->n_runs > 0 && ns < 2 * TP_SHARE_BACKENDS) {
        struct tp_run keep = c->runs[0];
        uint32_t saved = c->n_runs;
        c->n_runs = 1;
        tp_series(c, ns, tp_column, "healthy_backends", "");
        c->n_runs = saved;
        c->runs[0] = keep;
        snprintf(c->labels[ns], sizeof c->labels[0], "healthy backends (right axis)");
        y2[ns] = true;
        ns++;
        sp.y2 = y2;
        sp.y2label = "healthy backends";
    }
    return tp_emit(c, "time_inflight",
                   "Client requests in flight at each interval's end, with the healthy backends "
                   "(capacity)",
                   &sp, ns);
}

static int tp_plot_cost(struct tp_ctx *c)
{
    bool col = tp_col(&c->ts, "cost_usd_per_h") >= 0;
    if (!col && tp_col(&c->ts, "cost_usd") < 0)
        return 0;
    uint32_t ns = col ? tp_series(c, 0, tp_column, "cost_usd_per_h", "")
                      : tp_series(c, 0, tp_cost_rate, NULL, "");
    struct plot_time_spec sp;
    tp_spec(c, &sp, "Cost rate over time", "USD per hour");
    return tp_emit(c, "time_cost", "Spend rate per interval (USD/h), by strategy", &sp, ns);
}

/* One stacked-share plot per strategy from timeseries_backends.csv. */
static int tp_plot_shares(struct tp_ctx *c)
{
    char path[SCN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/timeseries_backends.csv", c->dir);
    struct tp_csv b;
    int rr = tp_csv_read(path, "backend", &b, c->err, c->errlen);
    if (rr <= 0)
        return rr;
    int tcol = tp_col(&b, "t_s"), acol = tp_col(&b, "attempts");
    int rc = 0;
    if (tcol < 0 || acol < 0 || tp_col(&b, "backend") < 0)
        goto out;
    for (uint32_t i = 0; i < c->n_runs && i < TP_SHARE_PLOTS && rc == 0; i++) {
        /* the backends of this run, first-seen order; the intervals are
         * this run's timeseries.csv rows */
        char names[TP_SHARE_BACKENDS + 1][SCN_NAME_MAX + 1];
        uint32_t nb = 0;
        uint32_t nt = c->runs[i].n;
        if (nt == 0)
            continue;
        double *y = calloc((size_t)(TP_SHARE_BACKENDS + 1) * nt, sizeof *y);
        double *tot = calloc(nt, sizeof *tot);
        double *x = calloc(nt, sizeof *x);
        if (!y || !tot || !x) {
            free(y);
            free(tot);
            free(x);
            snprintf(c->err, c->errlen, "time plots: out of memory");
            rc = -1;
            break;
        }
        int tscol = tp_col(&c->ts, "t_s");
        double t0 = tp_at(&c->ts, c->runs[i].first, tscol);
        for (uint32_t r = 0; r < nt; r++)
            x[r] = tp_at(&c->ts, c->runs[i].first + r, tscol) + c->interval_s / 2;
        bool other = false;
        for (uint32_t r = 0; r < b.nrow; r++) {
            if (strcmp(b.key[r], c->runs[i].name) != 0)
                continue;
            double t = tp_at(&b, r, tcol), a = tp_at(&b, r, acol);
            if (!isfinite(t) || !isfinite(a))
                continue;
            long k = lround((t - t0) / c->interval_s);
            if (k < 0 || (uint32_t)k >= nt)
                continue;
            uint32_t j = 0;
            while (j < nb && strcmp(names[j], b.key2[r]) != 0)
                j++;
            if (j == nb) {
                if (nb < TP_SHARE_BACKENDS) {
                    snprintf(names[nb], sizeof names[0], "%s", b.key2[r]);
                    nb++;
                } else {
                    j = TP_SHARE_BACKENDS;
                    other = true;
                }
            }
            y[(size_t)j * nt + (size_t)k] += a;
            tot[k] += a;
        }
        uint32_t ns = 0;
        for (uint32_t j = 0; j < nb + other; j++) {
            double *yy = y + (size_t)j * nt;
            for (uint32_t r = 0; r < nt; r++)
                yy[r] = tot[r] > 0 ? yy[r] / tot[r] : 0.0;
            snprintf(c->labels[ns], sizeof c->labels[0], "%s", j < nb ? names[j] : "other");
            c->series[ns] = (struct plot_series){c->labels[ns], x, yy, nt};
            ns++;
        }
        char name[TIMEPLOTS_NAME_MAX], title[SCN_NAME_MAX + 64], caption[SCN_NAME_MAX + 96];
        snprintf(name, sizeof name, "time_backend_share_%u", i + 1);
        snprintf(title, sizeof title, "Traffic share per backend over time: %s", c->runs[i].name);
        snprintf(caption, sizeof caption,
                 "Share of attempts sent to each backend per interval under %s", c->runs[i].name);
        struct plot_time_spec sp;
        tp_spec(c, &sp, title, "share of attempts");
        sp.style = PLOT_TIME_STACKED;
        sp.y_percent = true;
        rc = tp_emit(c, name, caption, &sp, ns);
        free(y);
        free(tot);
        free(x);
    }
out:
    tp_csv_free(&b);
    return rc;
}

/* Cost against p99 TTFT, one point per strategy, when a run compares. */
static int tp_plot_pareto(struct tp_ctx *c, const struct sim_result *res, uint32_t n)
{
    if (n < 2 || c->count >= c->max)
        return 0;
    double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    bool *front = calloc(n, sizeof *front), *missed = calloc(n, sizeof *missed);
    double *er = calloc(n, sizeof *er);
    const char **labels = calloc(n, sizeof *labels);
    int rc = 0;
    if (!x || !y || !front || !missed || !er || !labels) {
        snprintf(c->err, c->errlen, "time plots: out of memory");
        rc = -1;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        x[i] = res[i].cost_per_1k_requests_usd;
        y[i] = res[i].ttft.p99;
        er[i] = res[i].error_rate;
        missed[i] = !res[i].slo_pass; /* a run without slo: passes (sim_slo_eval) */
        labels[i] = c->labels[i];
        snprintf(c->labels[i], sizeof c->labels[0], "%.*s", (int)sizeof res[i].strategy,
                 res[i].strategy);
    }
    /* on the front: no other point at most as costly and as slow, and
     * better in one */
    for (uint32_t i = 0; i < n; i++) {
        front[i] = isfinite(x[i]) && isfinite(y[i]);
        for (uint32_t j = 0; j < n && front[i]; j++)
            if (j != i && x[j] <= x[i] && y[j] <= y[i] && (x[j] < x[i] || y[j] < y[i]))
                front[i] = false;
    }
    /* the key for filled and hollow points when the scenario has an SLO */
    bool has_slo = c->scn != NULL && c->scn->slo.n_labels > 0;
    for (int m = 0; c->scn != NULL && m < SCN_SLO_COUNT_; m++)
        has_slo = has_slo || c->scn->slo.set[m];
    for (uint32_t i = 0; i < n; i++)
        has_slo = has_slo || missed[i];
    struct plot_scatter_marks mk = {.err_rate = er, .slo_missed = missed, .slo_legend = has_slo};
    rc = plot_scatter(c->dir, "pareto_cost_p99",
                      "Cost against p99 TTFT, one point per strategy (colour: error rate)",
                      "cost per 1k requests (USD)", "p99 TTFT (s)", labels, x, y, front, &mk, n,
                      c->err, c->errlen);
    if (rc == 0) {
        snprintf(c->out[c->count].name, sizeof c->out[0].name, "pareto_cost_p99");
        snprintf(c->out[c->count].caption, sizeof c->out[0].caption,
                 "Cost per 1k requests against p99 TTFT, coloured by error rate (hollow: SLO "
                 "missed); the dashed line joins the strategies no other beats on both");
        c->count++;
    }
out:
    free(x);
    free(y);
    free(front);
    free(missed);
    free(er);
    free(labels);
    return rc;
}

int timeplots_write(const char *dir, const struct scenario *scn, const struct sim_result *res,
                    uint32_t n, struct timeplots_plot *out, int max, char *err, size_t errlen)
{
    struct tp_ctx c = {
        .dir = dir, .scn = scn, .out = out, .max = max, .err = err, .errlen = errlen};
    c.interval_s = (double)scn->interval_ns / NS_PER_S;
    tp_collect_windows(scn, &c.ws);
    char path[SCN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    int rr = tp_csv_read(path, NULL, &c.ts, err, errlen);
    if (rr < 0)
        return -1;
    int rc = 0;
    uint32_t cap = (n > TP_SHARE_BACKENDS ? n : TP_SHARE_BACKENDS) * 2 + 2;
    c.runs = calloc(c.ts.nrow + 1, sizeof *c.runs);
    c.series = calloc(cap, sizeof *c.series);
    c.labels = calloc(cap, sizeof *c.labels);
    c.buf = calloc((size_t)2 * (c.ts.nrow + 1) * cap, sizeof *c.buf);
    if (!c.runs || !c.series || !c.labels || !c.buf) {
        snprintf(err, errlen, "time plots: out of memory");
        rc = -1;
        goto out;
    }
    for (uint32_t r = 0; r < c.ts.nrow; r++) {
        if (c.n_runs == 0 || strcmp(c.runs[c.n_runs - 1].name, c.ts.key[r]) != 0) {
            snprintf(c.runs[c.n_runs].name, sizeof c.runs[0].name, "%s", c.ts.key[r]);
            c.runs[c.n_runs].first = r;
            c.n_runs++;
        }
        c.runs[c.n_runs - 1].n++;
    }
    if (c.n_runs > cap / 2 - 1)
        c.n_runs = cap / 2 - 1;
    if (c.n_runs > 0 && c.interval_s > 0) {
        if (rc == 0)
            rc = tp_plot_ttft(&c);
        if (rc == 0)
            rc = tp_plot_errors(&c);
        if (rc == 0)
            rc = tp_plot_shares(&c);
        if (rc == 0)
            rc = tp_plot_inflight(&c);
        if (rc == 0)
            rc = tp_plot_cost(&c);
    }
    if (rc == 0)
        rc = tp_plot_pareto(&c, res, n <= cap ? n : cap);
out:
    free(c.runs);
    free(c.series);
    free(c.labels);
    free(c.buf);
    tp_csv_free(&c.ts);
    return rc == 0 ? c.count : -1;
}
