/*
 * sweep_grid.c - the points of a sweep, their text fragments (JSON object
 * and CSV rows) and the fingerprint hash (see sweep.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "cli.h"
#include "report.h"
#include "sweep.h"

/* FNV-1a 64-bit prime (Fowler, Noll, Vo; draft-eastlake-fnv). */
#define SWEEP_FNV_PRIME 0x100000001b3ull

/* The printf format of every number in the CSV: six significant digits
 * are more than a 95% interval of a simulated metric resolves. */
#define SWEEP_CSV_NUM "%.6g"

int sweep_grid_build(struct sweep_grid *g, const struct vary *axes, uint32_t n_axes,
                     enum sweep_mode mode, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    if (n_axes == 0) {
        base_errf(err, errlen, "no --vary: a sweep needs at least one PATH=LIST");
        return -1;
    }
    if (n_axes > SWEEP_MAX_AXES) {
        base_errf(err, errlen, "found %u --vary options, expected at most %u", n_axes,
                  SWEEP_MAX_AXES);
        return -1;
    }
    for (uint32_t a = 0; a < n_axes; a++)
        for (uint32_t b = 0; b < a; b++)
            if (strcmp(axes[a].path, axes[b].path) == 0) {
                base_errf(err, errlen, "--vary %s: the path is varied twice (one --vary per path)",
                          axes[a].path);
                return -1;
            }
    uint64_t n = 1; /* grid: the empty product; one-at-a-time: the base point */
    for (uint32_t a = 0; a < n_axes; a++) {
        n = mode == SWEEP_GRID ? n * axes[a].n : n + axes[a].n;
        if (n > SWEEP_MAX_POINTS) {
            base_errf(err, errlen,
                      "the --vary lists make more than %u points (%s): sweep a coarser grid or "
                      "fewer axes",
                      SWEEP_MAX_POINTS, mode == SWEEP_GRID ? "their product" : "their sum");
            return -1;
        }
    }
    g->axes = axes;
    g->n_axes = n_axes;
    g->mode = mode;
    g->n = (uint32_t)n;
    size_t per = mode == SWEEP_GRID ? n_axes : 1;
    g->pts = calloc(n, sizeof *g->pts);
    g->sets = calloc(n * per, sizeof *g->sets);
    g->at = calloc(n * n_axes, sizeof *g->at);
    if (g->pts == NULL || g->sets == NULL || g->at == NULL) {
        sweep_grid_free(g);
        base_errf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t p = 0; p < g->n; p++) {
        int32_t *at = g->at + (size_t)p * n_axes;
        if (mode == SWEEP_GRID) {
            uint32_t rest = p; /* mixed radix, the last axis fastest */
            for (uint32_t a = n_axes; a-- > 0;) {
                at[a] = (int32_t)(rest % axes[a].n);
                rest /= axes[a].n;
            }
        } else {
            for (uint32_t a = 0; a < n_axes; a++)
                at[a] = -1;
            uint32_t q = p; /* 0 = base, then each axis' values in turn */
            for (uint32_t a = 0; q > 0 && a < n_axes; a++) {
                if (q <= axes[a].n) {
                    at[a] = (int32_t)(q - 1);
                    break;
                }
                q -= axes[a].n;
            }
        }
        struct scn_set *s = g->sets + (size_t)p * per;
        uint32_t k = 0;
        for (uint32_t a = 0; a < n_axes; a++)
            if (at[a] >= 0)
                s[k++] = (struct scn_set){axes[a].path, axes[a].values[at[a]], "--vary"};
        g->pts[p] = (struct sim_exp_point){k ? s : NULL, k};
    }
    return 0;
}

void sweep_grid_free(struct sweep_grid *g)
{
    free(g->pts);
    free(g->sets);
    free(g->at);
    memset(g, 0, sizeof *g);
}

void sweep_json_set(FILE *f, const struct sweep_grid *g, uint32_t p)
{
    const struct sim_exp_point *pt = &g->pts[p];
    fputc('{', f);
    for (uint32_t k = 0; k < pt->n_sets; k++) {
        fputs(k ? ", " : "", f);
        report_json_string(f, pt->sets[k].path);
        fputs(": ", f);
        report_json_string(f, pt->sets[k].value);
    }
    fputc('}', f);
}

uint64_t sweep_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= SWEEP_FNV_PRIME;
    }
    return h;
}

int sweep_hash_file(const char *path, uint64_t h, uint64_t *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    unsigned char buf[1 << 14];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        h = sweep_fnv1a(h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        errno = EIO;
        return -1;
    }
    *out = h;
    return 0;
}

/* ---- text fragments ----------------------------------------------------- */

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, SWEEP_CSV_NUM, v);
}

static const char *mode_name(enum sweep_mode m)
{
    return m == SWEEP_GRID ? "grid" : "one-at-a-time";
}

int sweep_texts_init(struct sweep_texts *t, const struct sweep_info *info, uint32_t n)
{
    memset(t, 0, sizeof *t);
    t->mode = info->mode;
    t->n = n;
    t->json = calloc(n ? n : 1, sizeof *t->json);
    t->csv = calloc(n ? n : 1, sizeof *t->csv);
    size_t len;
    FILE *f = open_memstream(&t->head_json, &len);
    if (t->json == NULL || t->csv == NULL || f == NULL) {
        if (f)
            fclose(f);
        sweep_texts_free(t);
        return -1;
    }
    fputs("{\n  \"lbsim\": {\"version\": \"" LBSIM_VERSION "\"},\n  \"fingerprint\": ", f);
    report_json_string(f, info->fingerprint ? info->fingerprint : "");
    fputs(",\n  \"scenario\": ", f);
    report_json_string(f, info->scenario);
    fprintf(f, ",\n  \"seed\": %llu,\n  \"replications\": %u,\n  \"mode\": \"%s\",\n  \"vary\": [",
            (unsigned long long)info->seed, info->reps, mode_name(info->mode));
    for (uint32_t a = 0; a < info->n_axes; a++) {
        fputs(a ? ", " : "", f);
        report_json_string(f, info->axes[a].path);
    }
    fputs("],\n  \"points\": [\n", f);
    if (fclose(f) != 0)
        goto oom;
    f = open_memstream(&t->head_csv, &len);
    if (f == NULL)
        goto oom;
    for (uint32_t a = 0; a < info->n_axes; a++) {
        csv_field(f, info->axes[a].path);
        fputc(',', f);
    }
    fputs("strategy", f);
    for (int m = 0; m < SCN_SLO_COUNT_; m++) {
        const char *name = scn_slo_name((enum scn_slo_metric)m);
        fprintf(f, ",%s", name);
        if (info->reps > 1)
            fprintf(f, ",%s_lo,%s_hi", name, name);
    }
    fputs(",slo\n", f);
    if (fclose(f) != 0)
        goto oom;
    return 0;
oom:
    sweep_texts_free(t);
    return -1;
}

/* The verdict of a run in the slo column: "-" when the scenario has no
 * slo:, else pass/FAIL (one run) or pass/FAIL/unsure (replications). */
static const char *slo_cell(const struct scenario *scn, const struct sim_result *r)
{
    bool any = false;
    for (int m = 0; m < SCN_SLO_COUNT_; m++)
        any = any || scn->slo.set[m];
    if (!any)
        return "-";
    if (r->rep.replications > 1)
        return r->rep.verdict == SIM_VERDICT_PASS   ? "pass"
               : r->rep.verdict == SIM_VERDICT_FAIL ? "FAIL"
                                                    : "unsure";
    return r->slo_pass ? "pass" : "FAIL";
}

int sweep_texts_point(struct sweep_texts *t, const struct sweep_grid *g, uint32_t p,
                      const struct sim_exp_result *r, uint32_t reps)
{
    size_t len;
    FILE *f = open_memstream(&t->json[p], &len);
    if (f == NULL)
        return -1;
    fputs("    {\n      \"set\": ", f);
    sweep_json_set(f, g, p);
    fputs(",\n      \"runs\": ", f);
    report_json_runs(f, 3, r->runs, r->n);
    fputs("\n    }", f);
    if (fclose(f) != 0)
        return -1;
    f = open_memstream(&t->csv[p], &len);
    if (f == NULL)
        return -1;
    const int32_t *at = g->at + (size_t)p * g->n_axes;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct sim_result *run = &r->runs[i];
        for (uint32_t a = 0; a < g->n_axes; a++) {
            if (at[a] >= 0)
                csv_field(f, g->axes[a].values[at[a]]);
            fputc(',', f);
        }
        csv_field(f, run->strategy);
        for (int m = 0; m < SCN_SLO_COUNT_; m++) {
            csv_num(f, sim_slo_value(run, (enum scn_slo_metric)m));
            if (reps > 1) {
                csv_num(f, run->rep.ci[m].lo);
                csv_num(f, run->rep.ci[m].hi);
            }
        }
        fprintf(f, ",%s\n", slo_cell(&r->scn, run));
    }
    return fclose(f) != 0 ? -1 : 0;
}

void sweep_texts_free(struct sweep_texts *t)
{
    for (uint32_t p = 0; p < t->n; p++) {
        if (t->json)
            free(t->json[p]);
        if (t->csv)
            free(t->csv[p]);
    }
    free(t->json);
    free(t->csv);
    free(t->head_json);
    free(t->head_csv);
    memset(t, 0, sizeof *t);
}
