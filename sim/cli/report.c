/*
 * cli_report.c - the CLI's outputs (see report.h): summary table, summary
 * JSON, time-series CSV and plot inputs.
 *
 * CLI layer: writes only to the FILE * and directory it is given.  Every
 * number goes through one fixed format (counts as integers, reals as
 * "%.9g"), so equal results give byte-identical files; a non-finite real
 * is printed as JSON null, an empty CSV field or "-" in the table.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* Reals in JSON and CSV: 9 significant digits are more than any metric
 * carries and never expose the last-bit noise of "%.17g". */
#define REPORT_REAL_FMT "%.9g"
/* Deepest nesting of a JSON document: a run is 6 deep (run, vs, diff,
 * metric, ci95), and sweeps and plans embed runs 3 levels down. */
#define JSON_MAX_DEPTH 16
/* Points of a TTFT CDF curve: a quantile grid from CDF_Q_LO to CDF_Q_HI,
 * plus the minimum and the maximum. */
#define CDF_GRID_POINTS 399
#define CDF_Q_LO        0.001
#define CDF_Q_HI        0.999
/* Nanoseconds per second (the engine's clock unit is 1 ns). */
#define NS_PER_S 1e9

/* ---- JSON writer -------------------------------------------------------- */

/* Pretty printer with 2-space indentation; tracks whether the current
 * container already has a member, to place commas. */
struct jw {
    FILE *f;
    int depth;
    bool has_member[JSON_MAX_DEPTH];
};

static void jw_indent(struct jw *w)
{
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->f);
}

/* Start a member (a key, or an array element when key is NULL). */
static void jw_member(struct jw *w, const char *key)
{
    fputs(w->has_member[w->depth] ? ",\n" : "\n", w->f);
    w->has_member[w->depth] = true;
    jw_indent(w);
    if (key)
        fprintf(w->f, "\"%s\": ", key);
}

static void jw_open(struct jw *w, char c)
{
    fputc(c, w->f);
    if (w->depth + 1 < JSON_MAX_DEPTH)
        w->depth++;
    w->has_member[w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
    bool had = w->has_member[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (had) {
        fputc('\n', w->f);
        jw_indent(w);
    }
    fputc(c, w->f);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* A JSON string of at most maxlen bytes of s (names live in fixed arrays
 * that a buggy producer might leave unterminated).  Invalid UTF-8 becomes
 * U+FFFD so the document always parses. */
static void json_string(FILE *f, const char *s, size_t maxlen)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    size_t n = strnlen(s, maxlen);
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c < 0x80) {
            switch (c) {
            case '"':
                fputs("\\\"", f);
                break;
            case '\\':
                fputs("\\\\", f);
                break;
            case '\b':
                fputs("\\b", f);
                break;
            case '\f':
                fputs("\\f", f);
                break;
            case '\n':
                fputs("\\n", f);
                break;
            case '\r':
                fputs("\\r", f);
                break;
            case '\t':
                fputs("\\t", f);
                break;
            default:
                if (c < 0x20)
                    fprintf(f, "\\u%04x", c);
                else
                    fputc(c, f);
            }
            i++;
            continue;
        }
        size_t len = utf8_seq_len(u + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", f);
            i++;
        } else {
            fwrite(u + i, 1, len, f);
            i += len;
        }
    }
    fputc('"', f);
}

static void json_real(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, REPORT_REAL_FMT, v);
    else
        fputs("null", f);
}

static void jw_str(struct jw *w, const char *key, const char *s, size_t maxlen)
{
    jw_member(w, key);
    json_string(w->f, s, maxlen);
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
    jw_member(w, key);
    fprintf(w->f, "%" PRIu64, v);
}

static void jw_real(struct jw *w, const char *key, double v)
{
    jw_member(w, key);
    json_real(w->f, v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
    jw_member(w, key);
    fputs(v ? "true" : "false", w->f);
}

static void jw_lat(struct jw *w, const char *key, const struct sim_lat *l)
{
    jw_member(w, key);
    jw_open(w, '{');
    jw_real(w, "mean", l->mean);
    jw_real(w, "p50", l->p50);
    jw_real(w, "p90", l->p90);
    jw_real(w, "p95", l->p95);
    jw_real(w, "p99", l->p99);
    jw_real(w, "p999", l->p999);
    jw_real(w, "max", l->max);
    jw_close(w, '}');
}

/* The `pools` array of one run. */
static void json_hook_pools(struct jw *w, const struct sim_result *r)
{
    jw_open(w, '[');
    for (uint32_t k = 0; r->pools && k < r->n_pools; k++) {
        const struct sim_pool_result *p = &r->pools[k];
        jw_member(w, NULL);
        jw_open(w, '{');
        jw_str(w, "name", p->name, sizeof p->name);
        jw_str(w, "profile", p->profile, sizeof p->profile);
        jw_bool(w, "spot", p->spot);
        jw_real(w, "usd_per_hour", p->usd_per_hour);
        jw_real(w, "replica_hours", p->replica_hours);
        jw_real(w, "cost_usd", p->cost_usd);
        jw_real(w, "warmup_s", p->warmup_s);
        jw_member(w, "serving");
        jw_open(w, '{');
        jw_real(w, "mean", p->mean_serving);
        jw_u64(w, "min", p->min_serving);
        jw_u64(w, "max", p->max_serving);
        jw_close(w, '}');
        jw_u64(w, "preemptions", p->preemptions);
        jw_u64(w, "killed", p->killed);
        jw_u64(w, "migrated", p->migrated);
        jw_u64(w, "replacements", p->replacements);
        jw_u64(w, "stockouts", p->stockouts);
        jw_u64(w, "scale_ups", p->scale_ups);
        jw_u64(w, "scale_downs", p->scale_downs);
        jw_u64(w, "prompt_tokens", p->prompt_tokens);
        jw_u64(w, "cached_tokens", p->cached_tokens);
        jw_real(w, "prefix_hit_rate", p->prefix_hit_rate);
        jw_real(w, "busy_share", p->busy_share);
        jw_member(w, "serving_over_time");
        jw_open(w, '[');
        for (uint32_t t = 0; p->serving_ts && t < r->n_ts; t++) {
            jw_member(w, NULL);
            fprintf(w->f, "%" PRIu32, p->serving_ts[t]);
        }
        jw_close(w, ']');
        jw_real(w, "avg_batch_size", p->avg_batch_size);
        jw_real(w, "tokens_per_s_per_replica", p->tokens_per_s_per_replica);
        jw_real(w, "decode_tokens_per_s_per_replica", p->decode_tokens_per_s_per_replica);
        jw_real(w, "goodput_accel_share", p->goodput_accel_share);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* The `backends` array of one run. */
static void json_hook_backends(struct jw *w, const struct sim_result *r)
{
    jw_open(w, '[');
    for (uint32_t b = 0; r->backends && b < r->n_backends; b++) {
        const struct sim_backend_result *be = &r->backends[b];
        jw_member(w, NULL);
        jw_open(w, '{');
        jw_str(w, "name", be->name, sizeof be->name);
        jw_u64(w, "attempts", be->attempts);
        jw_u64(w, "successes", be->successes);
        jw_u64(w, "upstream_429", be->upstream_429);
        jw_u64(w, "errors", be->errors);
        jw_real(w, "cost_usd", be->cost_usd);
        if (be->is_pool) {
            jw_real(w, "replica_hours", be->replica_hours);
            jw_real(w, "busy_share", be->busy_share);
            jw_u64(w, "prompt_tokens", be->prompt_tokens);
            jw_u64(w, "cached_tokens", be->cached_tokens);
            jw_real(w, "prefix_hit_rate", be->prefix_hit_rate);
            jw_real(w, "avg_batch_size", be->avg_batch_size);
            jw_real(w, "tokens_per_s_per_replica", be->tokens_per_s_per_replica);
            jw_real(w, "decode_tokens_per_s_per_replica", be->decode_tokens_per_s_per_replica);
            jw_real(w, "goodput_accel_share", be->goodput_accel_share);
        }
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* An SLO verdict over replications, as the JSON and the table name it. */
static const char *verdict_name(enum sim_verdict v)
{
    return v == SIM_VERDICT_PASS ? "pass" : v == SIM_VERDICT_FAIL ? "FAIL" : "unsure";
}

/* A 95% interval as [lo, hi]. */
static void jw_ci(struct jw *w, const char *key, struct sim_ci ci)
{
    jw_member(w, key);
    fputc('[', w->f);
    json_real(w->f, ci.lo);
    fputs(", ", w->f);
    json_real(w->f, ci.hi);
    fputc(']', w->f);
}

/* What replications add to a run (R > 1): their count, the 95% interval
 * of each SLO metric's mean, and the paired differences against the
 * reference strategy (named as in slo:). */
static void json_replications(struct jw *w, const struct sim_result *r)
{
    const struct sim_rep *rep = &r->rep;
    jw_u64(w, "replications", rep->replications);
    jw_member(w, "ci95");
    jw_open(w, '{');
    for (int k = 0; k < SCN_SLO_COUNT_; k++)
        jw_ci(w, scn_slo_name((enum scn_slo_metric)k), rep->ci[k]);
    jw_close(w, '}');
    if (!rep->has_ref)
        return;
    jw_member(w, "vs");
    jw_open(w, '{');
    jw_str(w, "strategy", rep->ref, sizeof rep->ref);
    jw_member(w, "diff");
    jw_open(w, '{');
    for (int k = 0; k < SCN_SLO_COUNT_; k++) {
        jw_member(w, scn_slo_name((enum scn_slo_metric)k));
        jw_open(w, '{');
        jw_real(w, "mean", rep->diff_mean[k]);
        jw_ci(w, "ci95", rep->diff_ci[k]);
        jw_close(w, '}');
    }
    jw_close(w, '}');
    jw_close(w, '}');
}

void report_no_data(FILE *f, const struct scenario *scn, const struct sim_result *r)
{
    fputs("no measured request: ", f);
    if (r->unmeasured > 0)
        fprintf(f, "all %llu requests arrived during the warm-up (warmup: %.3f s)",
                (unsigned long long)r->unmeasured, (double)scn->warmup_ns * 1e-9);
    else if (r->trace_rows_skipped > 0)
        fprintf(f, "every trace row was skipped (%llu, skip_bad_rows: true)",
                (unsigned long long)r->trace_rows_skipped);
    else
        fputs("the traffic produced no request (an empty or header-only trace, or a window "
              "past its end)",
              f);
    fputs("; the SLO verdict is 'no data', a failure (exit 1)\n", f);
}

/* The SLO verdict of one run. */
static void json_hook_slo(struct jw *w, const struct sim_result *r)
{
    jw_open(w, '{');
    jw_bool(w, "pass", r->slo_pass);
    if (r->no_data) /* only then: the outputs of runs with data keep their keys */
        jw_bool(w, "no_data", true);
    bool reps = r->rep.replications > 1;
    if (reps)
        jw_str(w, "verdict", verdict_name(r->rep.verdict), SIZE_MAX);
    jw_member(w, "violations");
    jw_open(w, '[');
    uint32_t nv = r->n_violations < SCN_SLO_COUNT_ ? r->n_violations : SCN_SLO_COUNT_;
    for (uint32_t v = 0; v < nv; v++) {
        const struct sim_slo_violation *sv = &r->violations[v];
        jw_member(w, NULL);
        jw_open(w, '{');
        jw_str(w, "metric", scn_slo_name(sv->metric), SIZE_MAX);
        jw_real(w, "limit", sv->limit);
        jw_real(w, "value", sv->value);
        if (reps) {
            jw_str(w, "verdict", verdict_name(sv->verdict), SIZE_MAX);
            jw_ci(w, "ci95", sv->ci);
        }
        jw_close(w, '}');
    }
    jw_close(w, ']');
    if (r->n_label_slo > 0) {
        /* label SLOs, in the order of slo: (only when there are some) */
        jw_member(w, "labels");
        jw_open(w, '[');
        for (uint32_t i = 0; i < r->n_label_slo; i++) {
            const struct sim_label_verdict *v = &r->label_slo[i], *l = v;
            jw_member(w, NULL);
            jw_open(w, '{');
            jw_member(w, "label");
            jw_open(w, '{');
            jw_str(w, scn_label_kind_name(l->kind), l->value, sizeof l->value);
            jw_close(w, '}');
            jw_bool(w, "pass", v->pass);
            if (v->no_data)
                jw_bool(w, "no_data", true);
            jw_member(w, "violations");
            jw_open(w, '[');
            for (uint32_t j = 0; j < v->n_violations && j < SCN_SLO_COUNT_; j++) {
                const struct sim_slo_violation *sv = &v->violations[j];
                jw_member(w, NULL);
                jw_open(w, '{');
                jw_str(w, "metric", scn_slo_name(sv->metric), SIZE_MAX);
                jw_real(w, "limit", sv->limit);
                jw_real(w, "value", sv->value);
                jw_close(w, '}');
            }
            jw_close(w, ']');
            jw_close(w, '}');
        }
        jw_close(w, ']');
    }
    jw_close(w, '}');
}

static void json_hook_by_label(struct jw *w, const struct sim_result *r);

/* One member of a run object per SIM_RUN_METRICS entry (metrics.def). */
#define JSON_VAL_U64(w, r, field, key)    jw_u64(w, key, r->field)
#define JSON_VAL_REAL(w, r, field, key)   jw_real(w, key, r->field)
#define JSON_VAL_LAT(w, r, field, key)    jw_lat(w, key, &r->field)
#define JSON_VAL(w, r, type, field, key)  JSON_VAL_##type(w, r, field, key)
#define JSON_LVAL(w, r, type, field, key) JSON_VAL_##type(w, r, field, key)
#define JSON_FIELD(w, r, type, field, key)
#define JSON_OPEN(w, r, type, field, key)                                                          \
    do {                                                                                           \
        jw_member(w, key);                                                                         \
        jw_open(w, '{');                                                                           \
    } while (0)
#define JSON_CLOSE(w, r, type, field, key) jw_close(w, '}')
#define JSON_HOOK(w, r, type, field, key)                                                          \
    do {                                                                                           \
        jw_member(w, key);                                                                         \
        json_hook_##field(w, r);                                                                   \
    } while (0)
#define JSON_RUN_MEMBER(kind, type, field, key, unit, doc) JSON_##kind(w, r, type, field, key);

/* A member whose key is data (a label value): escaped. */
static void jw_member_esc(struct jw *w, const char *key, size_t maxlen)
{
    jw_member(w, NULL);
    json_string(w->f, key, maxlen);
    fputs(": ", w->f);
}

/* The LVAL entries of SIM_RUN_METRICS, flat (metrics.def). */
#define LJSON_VAL(w, r, type, field, key)
#define LJSON_LVAL(w, r, type, field, key) JSON_VAL_##type(w, r, field, key)
#define LJSON_FIELD(w, r, type, field, key)
#define LJSON_OPEN(w, r, type, field, key)
#define LJSON_CLOSE(w, r, type, field, key)
#define LJSON_HOOK(w, r, type, field, key)
#define LJSON_RUN_MEMBER(kind, type, field, key, unit, doc) LJSON_##kind(w, r, type, field, key);

/* runs[i].by_label: {KIND: {VALUE: {the LVAL metrics}}}. */
static void json_hook_by_label(struct jw *w, const struct sim_result *run)
{
    jw_open(w, '{');
    for (int k = 0; k < SCN_LABEL_KINDS_; k++) {
        bool any = false;
        for (uint32_t i = 0; i < run->n_labels; i++) {
            const struct sim_label_result *e = &run->labels[i];
            if ((int)e->kind != k)
                continue;
            if (!any) {
                jw_member(w, scn_label_kind_name((enum scn_label_kind)k));
                jw_open(w, '{');
                any = true;
            }
            jw_member_esc(w, e->value, sizeof e->value);
            jw_open(w, '{');
            const struct sim_result *r = &e->m;
            SIM_RUN_METRICS(LJSON_RUN_MEMBER)
            jw_close(w, '}');
        }
        if (any)
            jw_close(w, '}');
    }
    jw_close(w, '}');
}

static void json_run(struct jw *w, const struct sim_result *r)
{
    jw_member(w, NULL);
    jw_open(w, '{');
    jw_str(w, "strategy", r->strategy, sizeof r->strategy);
    SIM_RUN_METRICS(JSON_RUN_MEMBER)
    if (r->rep.replications > 1)
        json_replications(w, r);
    jw_close(w, '}');
}

void report_json(FILE *f, const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                 uint32_t n)
{
    report_json_origin(f, NULL, scn, seed, res, n);
}

void report_json_origin(FILE *f, const struct report_origin *origin, const struct scenario *scn,
                        uint64_t seed, const struct sim_result *res, uint32_t n)
{
    struct jw w = {.f = f, .depth = 0};
    jw_open(&w, '{');
    if (origin != NULL) {
        jw_member(&w, "lbsim");
        jw_open(&w, '{');
        jw_str(&w, "version", origin->version, SIZE_MAX);
        jw_close(&w, '}');
        jw_str(&w, "fingerprint", origin->fingerprint, SIZE_MAX);
    }
    jw_str(&w, "scenario", scn ? scn->name : NULL, sizeof scn->name);
    if (scn != NULL && scn_loop_emulates(scn)[0] != '\0')
        jw_str(&w, "router_emulates", scn_loop_emulates(scn), SIZE_MAX);
    jw_u64(&w, "seed", seed);
    if (origin != NULL && origin->tpar_windows > 0) { /* --time-parallel (sim/tparallel.c) */
        jw_member(&w, "time_parallel");
        jw_open(&w, '{');
        jw_u64(&w, "windows", origin->tpar_windows);
        jw_real(&w, "overlap_s", origin->tpar_overlap_s);
        jw_close(&w, '}');
    }
    jw_member(&w, "runs");
    jw_open(&w, '[');
    for (uint32_t i = 0; res && i < n; i++)
        json_run(&w, &res[i]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    fputc('\n', f);
}

void report_json_runs(FILE *f, int depth, const struct sim_result *res, uint32_t n)
{
    struct jw w = {.f = f, .depth = depth < JSON_MAX_DEPTH - 8 ? depth : JSON_MAX_DEPTH - 8};
    jw_open(&w, '[');
    for (uint32_t i = 0; res && i < n; i++)
        json_run(&w, &res[i]);
    jw_close(&w, ']');
}

void report_json_string(FILE *f, const char *s)
{
    json_string(f, s, SIZE_MAX);
}

/* ---- table -------------------------------------------------------------- */

/* A printable copy of a fixed-size name: bounded, control bytes as '?'. */
static void table_name(char *out, size_t outlen, const char *s, size_t maxlen)
{
    size_t n = s ? strnlen(s, maxlen) : 0;
    if (n >= outlen)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[n] = '\0';
}

/* One numeric cell: fmt for finite values, "-" otherwise. */
static void cell(char *buf, size_t len, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "-");
}

/* Width of the strategy column at least; wider names widen it. */
#define TABLE_MIN_NAME_W 8
/* Room for any table cell ("%.6f" of a large double, "FAIL: ..." lists). */
#define TABLE_CELL_MAX 512

/* A table cell: an integer for COUNT columns, else fmt ("-" when not
 * finite). */
#define COUNT NULL
static void table_cell(char *buf, const char *fmt, double v)
{
    if (fmt == NULL && isfinite(v))
        snprintf(buf, TABLE_CELL_MAX, "%" PRIu64, (uint64_t)v);
    else
        cell(buf, TABLE_CELL_MAX, fmt ? fmt : "%.0f", v);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : NAN;
}

/* Pools and the response cache, when the runs have them: a row per
 * (strategy, pool). */
static void table_pools(FILE *f, const struct sim_result *res, uint32_t n, int nw)
{
    bool pools = false, cache = false;
    for (uint32_t i = 0; res && i < n; i++) {
        pools |= res[i].n_pools > 0;
        cache |= res[i].cache_lookups > 0;
    }
    char name[SCN_NAME_MAX + 1], pname[SCN_NAME_MAX + 1], c[8][TABLE_CELL_MAX];
    if (pools) {
        fprintf(f, "\n%-*s %-16s %15s %10s %10s %9s %8s %7s %7s %8s\n", nw, "strategy", "pool",
                "replicas avg/max", "replica-h", "cost USD", "warmup s", "busy%", "preempt",
                "killed", "prefix%");
        for (uint32_t i = 0; i < n; i++) {
            const struct sim_result *r = &res[i];
            table_name(name, sizeof name, r->strategy, sizeof r->strategy);
            for (uint32_t k = 0; r->pools && k < r->n_pools; k++) {
                const struct sim_pool_result *p = &r->pools[k];
                table_name(pname, sizeof pname, p->name, sizeof p->name);
                snprintf(c[0], TABLE_CELL_MAX, "%.2f/%" PRIu32, p->mean_serving, p->max_serving);
                cell(c[1], TABLE_CELL_MAX, "%.3f", p->replica_hours);
                cell(c[2], TABLE_CELL_MAX, "%.4f", p->cost_usd);
                cell(c[3], TABLE_CELL_MAX, "%.0f", p->warmup_s);
                cell(c[4], TABLE_CELL_MAX, "%.1f", 100.0 * p->busy_share);
                snprintf(c[5], TABLE_CELL_MAX, "%" PRIu64, p->preemptions);
                snprintf(c[6], TABLE_CELL_MAX, "%" PRIu64, p->killed);
                cell(c[7], TABLE_CELL_MAX, "%.2f", 100.0 * p->prefix_hit_rate);
                fprintf(f, "%-*s %-16s %15s %10s %10s %9s %8s %7s %7s %8s\n", nw, name, pname, c[0],
                        c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
            }
        }
    }
    bool cross = false;
    for (uint32_t i = 0; res && i < n; i++)
        cross |= res[i].cross_region_attempts > 0;
    if (cross) {
        fprintf(f, "\n%-*s %22s %9s\n", nw, "strategy", "cross-region attempts", "share%");
        for (uint32_t i = 0; i < n; i++) {
            const struct sim_result *r = &res[i];
            table_name(name, sizeof name, r->strategy, sizeof r->strategy);
            cell(c[0], TABLE_CELL_MAX, "%.2f", pct(r->cross_region_attempts, r->attempts));
            fprintf(f, "%-*s %22" PRIu64 " %9s\n", nw, name, r->cross_region_attempts, c[0]);
        }
    }
    if (cache) {
        fprintf(f, "\n%-*s %10s %10s %10s %10s %8s\n", nw, "strategy", "lookups", "L1 hits",
                "L2 hits", "semantic", "hit%");
        for (uint32_t i = 0; i < n; i++) {
            const struct sim_result *r = &res[i];
            table_name(name, sizeof name, r->strategy, sizeof r->strategy);
            cell(c[0], TABLE_CELL_MAX, "%.2f", 100.0 * r->cache_hit_rate);
            fprintf(f, "%-*s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8s\n", nw,
                    name, r->cache_lookups, r->cache_l1_hits, r->cache_l2_hits,
                    r->cache_semantic_hits, c[0]);
        }
    }
}

/* The columns of SIM_TABLE_COLUMNS (metrics.def). */
#define NOCI                                      (-1)
#define TABLE_HEAD(header, w, format, value, ci)  header,
#define TABLE_WIDTH(header, w, format, value, ci) w,
#define TABLE_FMT(header, w, format, value, ci)   format,
#define TABLE_CI(header, w, format, value, ci)    ci,
static const char *const table_head[] = {SIM_TABLE_COLUMNS(TABLE_HEAD)};
enum { NCOL = sizeof table_head / sizeof table_head[0] };
static const int table_width[NCOL] = {SIM_TABLE_COLUMNS(TABLE_WIDTH)};
static const char *const table_fmt[NCOL] = {SIM_TABLE_COLUMNS(TABLE_FMT)};
static const int table_ci[NCOL] = {SIM_TABLE_COLUMNS(TABLE_CI)};

/* Column c's value for run r. */
static double table_value(int col, const struct sim_result *r)
{
    int c = 0;
#define TABLE_VALUE(header, w, format, value, ci)                                                  \
    if (col == c++)                                                                                \
        return value;
    SIM_TABLE_COLUMNS(TABLE_VALUE)
#undef TABLE_VALUE
    return NAN;
}

/* Set SLO metric m of r to v (SIM_SLO_METRICS names lvalues). */
static void slo_set(struct sim_result *r, enum scn_slo_metric m, double v)
{
    switch (m) {
#define SLO_SET(metric, value)                                                                     \
    case metric:                                                                                   \
        value = v;                                                                                 \
        break;
        SIM_SLO_METRICS(SLO_SET)
#undef SLO_SET
    case SCN_SLO_COUNT_:
        break;
    }
}

/* Half the spread of column c (linear in its SLO metric, metrics.def)
 * over the interval ci of that metric, r's other fields held. */
static double table_halfwidth(int c, const struct sim_result *r, struct sim_ci ci)
{
    struct sim_result t = *r;
    slo_set(&t, (enum scn_slo_metric)table_ci[c], ci.lo);
    double lo = table_value(c, &t);
    slo_set(&t, (enum scn_slo_metric)table_ci[c], ci.hi);
    double hi = table_value(c, &t);
    return fabs(hi - lo) / 2.0;
}

/* "v ± hw" in column c's format (just v when hw is undefined). */
static void table_pm(char *buf, int c, double v, double hw)
{
    table_cell(buf, table_fmt[c], v);
    if (!isfinite(v) || !isfinite(hw))
        return;
    char h[TABLE_CELL_MAX];
    table_cell(h, table_fmt[c], hw);
    size_t l = strlen(buf);
    snprintf(buf + l, TABLE_CELL_MAX - l, " \u00b1 %s", h);
}

/* Terminal columns of a UTF-8 cell ("±" is two bytes, one column). */
static int disp_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void put_cell(FILE *f, const char *s, int w)
{
    for (int k = disp_width(s); k < w; k++)
        fputc(' ', f);
    fputs(s, f);
}

/* The SLO column of run r: pass / FAIL: metrics (a single run), or the
 * verdict over replications: FAIL: metrics; unsure: metrics. */
static void table_slo(FILE *f, const struct sim_result *r, bool has_slo)
{
    if (r->no_data) {
        fputs("  FAIL: no data\n", f); /* no measured request (sim_result.no_data) */
        return;
    }
    if (r->slo_pass && r->n_violations == 0) {
        fputs(has_slo ? "  pass\n" : "  -\n", f); /* no slo: nothing checked */
        return;
    }
    uint32_t nv = r->n_violations < SCN_SLO_COUNT_ ? r->n_violations : SCN_SLO_COUNT_;
    bool reps = r->rep.replications > 1;
    const char *sep = "  ";
    /* label SLOs: FAIL: tenant=chat:ttft_p99 (or tenant=chat:no data) */
    bool lany = false;
    for (uint32_t i = 0; i < r->n_label_slo; i++) {
        const struct sim_label_verdict *v = &r->label_slo[i];
        if (v->pass)
            continue;
        char val[SCN_NAME_MAX + 1];
        table_name(val, sizeof val, v->value, sizeof v->value);
        if (!lany)
            fprintf(f, "%sFAIL: ", sep);
        if (v->no_data)
            fprintf(f, "%s%s=%s:no data", lany ? "," : "", scn_label_kind_name(v->kind), val);
        for (uint32_t j = 0; j < v->n_violations; j++) {
            const char *m = scn_slo_name(v->violations[j].metric);
            fprintf(f, "%s%s=%s:%s", lany || j ? "," : "", scn_label_kind_name(v->kind), val,
                    m ? m : "?");
        }
        lany = true;
        sep = "; ";
    }
    for (int pass = 0; pass < (reps ? 2 : 1); pass++) {
        enum sim_verdict want = pass == 0 ? SIM_VERDICT_FAIL : SIM_VERDICT_UNSURE;
        bool any = false;
        for (uint32_t v = 0; v < nv; v++) {
            if (reps && r->violations[v].verdict != want)
                continue;
            const char *m = scn_slo_name(r->violations[v].metric);
            if (!any)
                fprintf(f, "%s%s: ", sep, pass == 0 ? "FAIL" : "unsure");
            fprintf(f, "%s%s", any ? "," : "", m ? m : "?");
            any = true;
            sep = "; ";
        }
    }
    fputc('\n', f);
}

/* Paired differences against the reference strategy (replications with a
 * reference): one row per other run, one column per SLO column. */
static void table_diffs(FILE *f, const struct sim_result *res, uint32_t n, int nw)
{
    const struct sim_result *first = NULL;
    for (uint32_t i = 0; i < n; i++)
        if (res[i].rep.replications > 1 && res[i].rep.has_ref && first == NULL)
            first = &res[i];
    if (first == NULL)
        return;
    char name[SCN_NAME_MAX + 1];
    table_name(name, sizeof name, first->rep.ref, sizeof first->rep.ref);
    fprintf(f,
            "\npaired differences vs %s (run - %s, mean \u00b1 95%% half-width over %" PRIu32
            " replications on the same seeds; * = interval excludes 0)\n",
            name, name, first->rep.replications);
    int width[NCOL];
    char(*cells)[NCOL][TABLE_CELL_MAX] = calloc(n, sizeof *cells);
    if (cells == NULL)
        return;
    for (int c = 0; c < NCOL; c++)
        width[c] = table_width[c];
    for (uint32_t i = 0; i < n; i++) {
        const struct sim_rep *rep = &res[i].rep;
        for (int c = 0; c < NCOL && rep->has_ref; c++) {
            if (table_ci[c] == NOCI)
                continue;
            int k = table_ci[c];
            struct sim_result z;
            memset(&z, 0, sizeof z);
            slo_set(&z, (enum scn_slo_metric)k, rep->diff_mean[k]);
            table_pm(cells[i][c], c, table_value(c, &z), table_halfwidth(c, &z, rep->diff_ci[k]));
            bool sig = rep->diff_ci[k].lo > 0 || rep->diff_ci[k].hi < 0;
            strcat(cells[i][c], sig ? "*" : " "); /* the numbers stay aligned */
            int w = disp_width(cells[i][c]);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    fprintf(f, "%-*s", nw, "strategy");
    for (int c = 0; c < NCOL; c++)
        if (table_ci[c] != NOCI) {
            fputc(' ', f);
            put_cell(f, table_head[c], width[c]);
        }
    fputc('\n', f);
    for (uint32_t i = 0; i < n; i++) {
        if (!res[i].rep.has_ref)
            continue;
        table_name(name, sizeof name, res[i].strategy, sizeof res[i].strategy);
        fprintf(f, "%-*s", nw, name);
        for (int c = 0; c < NCOL; c++)
            if (table_ci[c] != NOCI) {
                fputc(' ', f);
                put_cell(f, cells[i][c], width[c]);
            }
        fputc('\n', f);
    }
    free(cells);
}

void report_table(FILE *f, const struct scenario *scn, uint64_t seed, const struct sim_result *res,
                  uint32_t n)
{
    char name[SCN_NAME_MAX + 1];
    table_name(name, sizeof name, scn ? scn->name : "-", SCN_NAME_MAX);
    fprintf(f, "scenario: %s\nseed: %" PRIu64 "\n", name, seed);
    if (scn != NULL && scn_loop_emulates(scn)[0] != '\0')
        fprintf(f, "router loop: %s\n", scn_loop_emulates(scn));
    uint32_t reps = 0;
    for (uint32_t i = 0; res && i < n; i++)
        reps = res[i].rep.replications > reps ? res[i].rep.replications : reps;
    if (reps > 1)
        fprintf(f,
                "replications: %" PRIu32 " (means \u00b1 the half-width of the 95%% t-interval;"
                " SLO pass/FAIL on the interval, unsure when it straddles the limit; time"
                " series and TTFT CDF: replication 0, the seed above)\n",
                reps);

    int nw = TABLE_MIN_NAME_W;
    for (uint32_t i = 0; res && i < n; i++) {
        int l = (int)strnlen(res[i].strategy, sizeof res[i].strategy);
        nw = l > nw ? l : nw;
    }
    char(*cells)[NCOL][TABLE_CELL_MAX] = calloc(n ? n : 1, sizeof *cells);
    if (cells == NULL)
        return;
    int width[NCOL];
    for (int c = 0; c < NCOL; c++)
        width[c] = table_width[c];
    for (uint32_t i = 0; res && i < n; i++) {
        const struct sim_result *r = &res[i];
        for (int c = 0; c < NCOL; c++) {
            if (r->rep.replications > 1 && table_ci[c] != NOCI) {
                table_pm(cells[i][c], c, table_value(c, r),
                         table_halfwidth(c, r, r->rep.ci[table_ci[c]]));
                /* mean ± hw cells widen their column; single runs keep
                   the fixed widths */
                int w = disp_width(cells[i][c]);
                width[c] = w > width[c] ? w : width[c];
            } else {
                table_cell(cells[i][c], table_fmt[c], table_value(c, r));
            }
        }
    }

    fprintf(f, "%-*s", nw, "strategy");
    for (int c = 0; c < NCOL; c++) {
        fputc(' ', f);
        put_cell(f, table_head[c], width[c]);
    }
    fputs("  SLO\n", f);

    bool has_slo = scn != NULL && scn->slo.n_labels > 0;
    for (int m = 0; scn != NULL && m < SCN_SLO_COUNT_; m++)
        has_slo = has_slo || scn->slo.set[m];
    for (uint32_t i = 0; res && i < n; i++) {
        const struct sim_result *r = &res[i];
        table_name(name, sizeof name, r->strategy, sizeof r->strategy);
        fprintf(f, "%-*s", nw, name);
        for (int c = 0; c < NCOL; c++) {
            fputc(' ', f);
            put_cell(f, cells[i][c], width[c]);
        }
        table_slo(f, r, has_slo);
    }
    free(cells);
    fputs("USD/mo: cost per second of the measured window x 730 h (the simulated rate, "
          "a month of it)\n",
          f);
    if (res != NULL)
        table_diffs(f, res, n, nw);
    table_pools(f, res, n, nw);
}

void report_table_by(FILE *f, const struct scenario *scn, const struct sim_result *res, uint32_t n,
                     enum scn_label_kind kind)
{
    const char *kn = scn_label_kind_name(kind);
    uint32_t rows = 0;
    int nw = TABLE_MIN_NAME_W, vw = (int)strlen(kn);
    for (uint32_t i = 0; i < n; i++) {
        int l = (int)strnlen(res[i].strategy, sizeof res[i].strategy);
        nw = l > nw ? l : nw;
        for (uint32_t j = 0; j < res[i].n_labels; j++)
            if (res[i].labels[j].kind == kind) {
                int w = disp_width(res[i].labels[j].value);
                vw = w > vw ? w : vw;
                rows++;
            }
    }
    fprintf(f, "\nby %s", kn);
    if (rows == 0) {
        fprintf(f, ": the traffic carries no %s label\n", kn);
        return;
    }
    bool reps = n > 0 && res[0].rep.replications > 1;
    fprintf(f, "%s\n",
            reps ? " (means over the replications that saw each value; no intervals)" : "");
    fprintf(f, "%-*s %-*s", nw, "strategy", vw, kn);
    for (int c = 0; c < NCOL; c++) {
        fputc(' ', f);
        put_cell(f, table_head[c], table_width[c]);
    }
    fputs("  SLO\n", f);
    char name[SCN_NAME_MAX + 1], val[SCN_NAME_MAX + 1], cell[TABLE_CELL_MAX];
    for (uint32_t i = 0; i < n; i++) {
        table_name(name, sizeof name, res[i].strategy, sizeof res[i].strategy);
        for (uint32_t j = 0; j < res[i].n_labels; j++) {
            const struct sim_label_result *e = &res[i].labels[j];
            if (e->kind != kind)
                continue;
            table_name(val, sizeof val, e->value, sizeof e->value);
            fprintf(f, "%-*s %s", nw, name, val);
            for (int k = disp_width(val); k < vw; k++)
                fputc(' ', f);
            for (int c = 0; c < NCOL; c++) {
                table_cell(cell, table_fmt[c], table_value(c, &e->m));
                fputc(' ', f);
                put_cell(f, cell, table_width[c]);
            }
            /* this value's label SLOs: pass / FAIL: metrics / FAIL: no data */
            const char *verdict = "-";
            char buf[256] = "";
            for (uint32_t k = 0; k < res[i].n_label_slo; k++) {
                const struct sim_label_verdict *v = &res[i].label_slo[k];
                if (v->kind != kind || strcmp(v->value, e->value) != 0)
                    continue;
                if (v->pass && verdict[0] == '-')
                    verdict = "pass";
                for (uint32_t x = 0; x < v->n_violations; x++) {
                    const char *m = scn_slo_name(v->violations[x].metric);
                    size_t l = strlen(buf);
                    snprintf(buf + l, sizeof buf - l, "%s%s", l ? "," : "FAIL: ", m ? m : "?");
                }
            }
            fprintf(f, "  %s\n", buf[0] ? buf : verdict);
        }
    }
    (void)scn;
    /* a label SLO on a value the traffic never carried */
    for (uint32_t i = 0; n > 0 && i < res[0].n_label_slo; i++) {
        const struct sim_label_verdict *v = &res[0].label_slo[i];
        if (v->kind == kind && v->no_data) {
            table_name(val, sizeof val, v->value, sizeof v->value);
            fprintf(f, "%s=%s: FAIL: no data (no measured request carried it)\n", kn, val);
        }
    }
}

/* ---- time-series CSV ---------------------------------------------------- */

/* RFC 4180 field: quoted (quotes doubled) when it holds a comma, a quote
 * or a line break. */
static void csv_field(FILE *f, const char *s, size_t maxlen)
{
    size_t n = strnlen(s, maxlen);
    bool quote = false;
    for (size_t i = 0; i < n; i++)
        quote |= s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static void csv_real(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, REPORT_REAL_FMT, v);
}

/* One CSV field per SIM_TS_COLUMNS entry (metrics.def). */
#define CSV_HEAD(kind, type, field, column, unit, doc) "," column
#define CSV_TIME(f, t, field)                          csv_real(f, (double)t->field / NS_PER_S)
#define CSV_U64(f, t, field)                           fprintf(f, "%" PRIu64, t->field)
#define CSV_U32(f, t, field)                           fprintf(f, "%" PRIu32, t->field)
#define CSV_I64(f, t, field)                           fprintf(f, "%" PRId64, t->field)
#define CSV_REAL(f, t, field)                          csv_real(f, t->field)
/* the mean over the requests completing in the interval; empty when none */
#define CSV_MEAN(f, t, field)                                                                      \
    do {                                                                                           \
        if (t->completed)                                                                          \
            csv_real(f, t->field / (double)t->completed);                                          \
    } while (0)
#define CSV_FIELD(kind, type, field, column, unit, doc)                                            \
    fputc(',', f);                                                                                 \
    CSV_##kind(f, t, field);

void report_timeseries_csv(FILE *f, const struct sim_result *res, uint32_t n)
{
    fputs("strategy" SIM_TS_COLUMNS(CSV_HEAD) "\n", f);
    for (uint32_t i = 0; res && i < n; i++) {
        const struct sim_result *r = &res[i];
        for (uint32_t k = 0; r->ts && k < r->n_ts; k++) {
            const struct sim_ts_row *t = &r->ts[k];
            csv_field(f, r->strategy, sizeof r->strategy);
            SIM_TS_COLUMNS(CSV_FIELD)
            fputc('\n', f);
        }
    }
}

void report_timeseries_backends_csv(FILE *f, const struct sim_result *res, uint32_t n)
{
    fputs("strategy,t_s,backend,attempts,successes,upstream_429,errors,cost_usd,healthy\n", f);
    for (uint32_t i = 0; res && i < n; i++) {
        const struct sim_result *r = &res[i];
        for (uint32_t k = 0; r->ts && r->ts_backends && k < r->n_ts; k++) {
            for (uint32_t b = 0; b < r->n_backends; b++) {
                const struct sim_ts_backend *t = &r->ts_backends[(size_t)k * r->n_backends + b];
                csv_field(f, r->strategy, sizeof r->strategy);
                fputc(',', f);
                csv_real(f, (double)r->ts[k].t_ns / NS_PER_S);
                fputc(',', f);
                csv_field(f, r->backends[b].name, sizeof r->backends[b].name);
                fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", t->attempts,
                        t->successes, t->upstream_429, t->errors);
                csv_real(f, t->cost_usd);
                fprintf(f, ",%d\n", t->healthy ? 1 : 0);
            }
        }
    }
}

/* ---- plots -------------------------------------------------------------- */

/* A strategy name as a terminated string, for plot labels. */
struct report_label {
    char s[SCN_NAME_MAX + 1];
};

static int plot_ttft_cdf(const char *dir, const struct sim_result *res, uint32_t n,
                         const struct report_label *labels, bool *written, char *err, size_t errlen)
{
    enum { PTS = CDF_GRID_POINTS + 2 };
    struct plot_series *s = calloc(n ? n : 1, sizeof *s);
    double *xy = malloc((size_t)(n ? n : 1) * 2 * PTS * sizeof *xy);
    if (!s || !xy) {
        free(s);
        free(xy);
        snprintf(err, errlen, "report plots: out of memory");
        return -1;
    }
    uint32_t ns = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct hist *h = &res[i].ttft_hist;
        if (!h->buckets || h->count == 0)
            continue;
        double *x = xy + (size_t)ns * 2 * PTS, *y = x + PTS;
        /* The curve runs from (min, 0) to (max, 1) through the quantile
         * grid; hist quantiles are exact to 0.05%, far below a pixel. */
        x[0] = (double)h->min / NS_PER_S;
        y[0] = 0.0;
        for (uint32_t k = 0; k < CDF_GRID_POINTS; k++) {
            double q = CDF_Q_LO + (CDF_Q_HI - CDF_Q_LO) * k / (CDF_GRID_POINTS - 1);
            x[k + 1] = (double)hist_quantile(h, q) / NS_PER_S;
            y[k + 1] = q;
        }
        x[PTS - 1] = (double)h->max / NS_PER_S;
        y[PTS - 1] = 1.0;
        s[ns] = (struct plot_series){.label = labels[i].s, .x = x, .y = y, .n = PTS};
        ns++;
    }
    int rc = 0;
    *written = ns > 0;
    if (ns > 0)
        rc = plot_cdf(dir, "ttft_cdf", "Time to first token (successful requests)", "TTFT (s)", s,
                      ns, err, errlen);
    free(s);
    free(xy);
    return rc;
}

static int plot_summary_bars(const char *dir, const struct sim_result *res, uint32_t n,
                             const struct report_label *labels, char *err, size_t errlen)
{
    static const char *const metrics[] = {"p99 TTFT", "client 429 rate", "cost per 1k requests"};
    static const char *const ylabels[] = {"p99 TTFT (s)", "client 429 rate (%)",
                                          "cost per 1k requests (USD)"};
    enum { NM = sizeof metrics / sizeof metrics[0] };
    const char **groups = malloc((n ? n : 1) * sizeof *groups);
    double *v = malloc((size_t)(n ? n : 1) * NM * sizeof *v);
    if (!groups || !v) {
        free(groups);
        free(v);
        snprintf(err, errlen, "report plots: out of memory");
        return -1;
    }
    for (uint32_t g = 0; g < n; g++) {
        groups[g] = labels[g].s;
        v[0 * n + g] = res[g].ttft.p99;
        v[1 * n + g] = 100.0 * res[g].client_429_rate;
        v[2 * n + g] = res[g].cost_per_1k_requests_usd;
    }
    int rc = plot_bars(dir, "summary_bars", "Summary by strategy", groups, n, metrics, ylabels, v,
                       NM, err, errlen);
    free(groups);
    free(v);
    return rc;
}

/* What a time-series plot shows of each interval. */
enum ts_field { TS_CLIENT_429, TS_INFLIGHT, TS_SERVING };

static int plot_timeseries(const char *dir, const char *name, enum ts_field field,
                           const struct sim_result *res, uint32_t n,
                           const struct report_label *labels, bool *written, char *err,
                           size_t errlen)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += res[i].ts ? res[i].n_ts : 0;
    struct plot_series *s = calloc(n ? n : 1, sizeof *s);
    double *xy = malloc((total ? total : 1) * 2 * sizeof *xy);
    if (!s || !xy) {
        free(s);
        free(xy);
        snprintf(err, errlen, "report plots: out of memory");
        return -1;
    }
    uint32_t ns = 0;
    size_t used = 0;
    double interval_s = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct sim_result *r = &res[i];
        if (!r->ts || r->n_ts == 0)
            continue;
        double *x = xy + used, *y = x + r->n_ts;
        used += 2 * (size_t)r->n_ts;
        interval_s = (double)r->interval_ns / NS_PER_S;
        for (uint32_t k = 0; k < r->n_ts; k++) {
            const struct sim_ts_row *t = &r->ts[k];
            if (field == TS_CLIENT_429) {
                /* a count over [t, t + interval): drawn at its start */
                x[k] = (double)t->t_ns / NS_PER_S;
                y[k] = (double)t->client_429;
            } else {
                /* a level sampled at the interval's end */
                x[k] = (double)(t->t_ns + r->interval_ns) / NS_PER_S;
                y[k] = field == TS_INFLIGHT ? (double)t->inflight : (double)t->serving;
            }
        }
        s[ns++] = (struct plot_series){.label = labels[i].s, .x = x, .y = y, .n = r->n_ts};
    }
    int rc = 0;
    *written = ns > 0;
    if (ns > 0) {
        char ylabel[96];
        if (field == TS_CLIENT_429)
            snprintf(ylabel, sizeof ylabel, "client 429s per %g s interval", interval_s);
        else if (field == TS_INFLIGHT)
            snprintf(ylabel, sizeof ylabel, "client requests in flight");
        else
            snprintf(ylabel, sizeof ylabel, "GPU replicas serving (all pools)");
        rc = plot_lines(dir, name,
                        field == TS_CLIENT_429 ? "Client 429 responses over time"
                        : field == TS_INFLIGHT ? "Requests in flight over time"
                                               : "Pool replicas serving over time",
                        "time (s)", ylabel, s, ns, err, errlen);
    }
    free(s);
    free(xy);
    return rc;
}

int report_plots(const char *dir, const struct sim_result *res, uint32_t n, const char **names,
                 int max_names, char *err, size_t errlen)
{
    if (!res)
        n = 0;
    struct report_label *labels = malloc((n ? n : 1) * sizeof *labels);
    if (!labels) {
        snprintf(err, errlen, "report plots: out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        table_name(labels[i].s, sizeof labels[i].s, res[i].strategy, sizeof res[i].strategy);

    /* Plots are written in this order until max_names is reached, so the
     * names returned are exactly the plots on disk. */
    int count = 0, rc = 0;
    bool written = false;
    if (count < max_names && n > 0) {
        rc = plot_ttft_cdf(dir, res, n, labels, &written, err, errlen);
        if (rc == 0 && written)
            names[count++] = "ttft_cdf";
    }
    if (rc == 0 && count < max_names && n > 0) {
        rc = plot_summary_bars(dir, res, n, labels, err, errlen);
        if (rc == 0)
            names[count++] = "summary_bars";
    }
    if (rc == 0 && count < max_names && n > 0) {
        rc = plot_timeseries(dir, "timeseries_429", TS_CLIENT_429, res, n, labels, &written, err,
                             errlen);
        if (rc == 0 && written)
            names[count++] = "timeseries_429";
    }
    if (rc == 0 && count < max_names && n > 0) {
        rc = plot_timeseries(dir, "timeseries_inflight", TS_INFLIGHT, res, n, labels, &written, err,
                             errlen);
        if (rc == 0 && written)
            names[count++] = "timeseries_inflight";
    }
    bool pools = false;
    for (uint32_t i = 0; i < n; i++)
        pools |= res[i].n_pools > 0;
    if (rc == 0 && count < max_names && pools) {
        rc = plot_timeseries(dir, "timeseries_replicas", TS_SERVING, res, n, labels, &written, err,
                             errlen);
        if (rc == 0 && written)
            names[count++] = "timeseries_replicas";
    }
    free(labels);
    return rc == 0 ? count : -1;
}
