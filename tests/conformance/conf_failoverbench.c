/*
 * conf_failoverbench.c - the published failoverbench rows as assertions
 * (tests/conformance/README.md).
 *
 * For each row of failoverbench.csv (a scenario of the failure wall run
 * through one system: LiteLLM Router, its tuned variant, the LiteLLM proxy,
 * the Portkey gateway) it loads scenarios/<scenario>_<system>.yaml, runs it
 * over N seeds (sim_rep_seed of the scenario's seed) and records every
 * attempt through the engine's per-attempt hook.  Then:
 *  - attempt counts: the primary and fallback attempts equal the published
 *    ones in every seed (S15: the primary attempts per request sent while
 *    the primary is down, and every such request served);
 *  - times: the published gap between the first two primary attempts and
 *    the total time (measured from the first attempt: the wall logs show
 *    the in-process router's first attempt up to 0.3 s after the call,
 *    set-up time the simulation does not have) lie inside the simulated
 *    [min, max] over the seeds widened by CONF_NET_TOL_S on each side.
 *    LiteLLM's sleeps carry U[0, 0.75) s of jitter, so one published run is
 *    one draw from the simulated range, not its mean.
 * It prints the conformance table (published vs simulated mean [min, max])
 * and exits 1 if any row fails.
 *
 * Usage: conf_failoverbench [DIR [N]]   (DIR default tests/conformance, N 200)
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "sim.h"

/* Network and rounding slack on published times: the scorecard gives gaps
 * and totals to 0.1 s (0.05 s of rounding) and the wall's loopback
 * network, the SSE framing and the client add a few tens of ms that the
 * scenarios do not model. */
#define CONF_NET_TOL_S 0.1
/* S15: the primary is down for the wall's flap_down_s (results/full/<system>.json
 * "timing"). */
#define CONF_FLAP_DOWN_NS  (60LL * 1000000000LL)
#define CONF_SEEDS_DEFAULT 200u
#define CONF_MAX_ATTEMPTS  4096u
#define CONF_MAX_REQUESTS  64u
#define NS_PER_S           1e9

struct row {
    char scenario[8], system[40];
    int primary, fallback; /* published attempt counts */
    double gap_s, total_s; /* NAN when not published */
    double first_s;        /* the first primary attempt in the wall log */
    int window_requests;   /* S15: requests sent while the primary was down */
};

struct attempt {
    uint64_t req;
    int32_t backend;
    int64_t start_ns, end_ns;
    int status;
};

struct run_log {
    struct attempt a[CONF_MAX_ATTEMPTS];
    uint32_t n;
    bool overflow;
    int64_t arrival_ns[CONF_MAX_REQUESTS], done_ns[CONF_MAX_REQUESTS];
    int status[CONF_MAX_REQUESTS];
    uint32_t n_req;
};

static void on_attempt(void *ctx, const struct sim_attempt_record *rec)
{
    struct run_log *l = ctx;
    if (rec->hedge)
        return;
    if (l->n == CONF_MAX_ATTEMPTS) {
        l->overflow = true;
        return;
    }
    l->a[l->n++] =
        (struct attempt){rec->req_id, rec->backend, rec->start_ns, rec->end_ns, rec->http_status};
}

static void on_request(void *ctx, const struct sim_req_record *rec)
{
    struct run_log *l = ctx;
    if (rec->id >= CONF_MAX_REQUESTS) {
        l->overflow = true;
        return;
    }
    l->arrival_ns[rec->id] = rec->arrival_ns;
    l->done_ns[rec->id] = rec->done_ns;
    l->status[rec->id] = rec->final_status;
    if (rec->id + 1 > l->n_req)
        l->n_req = (uint32_t)rec->id + 1;
}

/* Min, max and sum of a simulated figure over the seeds. */
struct span {
    double min, max, sum;
    uint32_t n;
};

static void span_add(struct span *s, double v)
{
    if (s->n == 0 || v < s->min)
        s->min = v;
    if (s->n == 0 || v > s->max)
        s->max = v;
    s->sum += v;
    s->n++;
}

static bool span_covers(const struct span *s, double published)
{
    if (isnan(published))
        return true;
    return s->n > 0 && published >= s->min - CONF_NET_TOL_S && published <= s->max + CONF_NET_TOL_S;
}

static double field_num(const char *f)
{
    return *f ? strtod(f, NULL) : NAN;
}

/* Split a CSV line (no quoting in failoverbench.csv) into at most n fields. */
static int split(char *line, char **f, int n)
{
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == ',') {
            *p = '\0';
            f[k++] = p + 1;
        }
    char *nl = strpbrk(f[k - 1], "\r\n");
    if (nl)
        *nl = '\0';
    return k;
}

static int32_t backend_named(const struct scenario *s, const char *name)
{
    for (uint32_t b = 0; b < s->n_backends; b++)
        if (strcmp(s->backends[b].name, name) == 0)
            return (int32_t)b;
    return -1;
}

/* Run one row over n seeds; prints its table line; returns true on pass. */
static bool check_row(const char *dir, const struct row *r, uint32_t n_seeds)
{
    char path[512], lower[8], err[2048] = "";
    size_t i;
    for (i = 0; r->scenario[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(r->scenario[i] | 0x20);
    lower[i] = '\0';
    snprintf(path, sizeof path, "%s/scenarios/%s_%s.yaml", dir, lower, r->system);
    struct scenario s;
    if (scn_load(path, &s, err, sizeof err) != 0) {
        printf("%-4s %-21s FAIL  cannot load %s: %s\n", r->scenario, r->system, path, err);
        return false;
    }
    int32_t prim = backend_named(&s, "primary"), fb = backend_named(&s, "fallback");
    struct run_log *log = malloc(sizeof *log);
    if (log == NULL || prim < 0 || fb < 0) {
        printf("%-4s %-21s FAIL  %s\n", r->scenario, r->system,
               log ? "the scenario needs backends 'primary' and 'fallback'" : "out of memory");
        free(log);
        scn_free(&s);
        return false;
    }
    struct span p = {0}, f = {0}, gap = {0}, total = {0};
    bool counts_ok = true, ok = true;
    char why[256] = "";
    for (uint32_t k = 0; k < n_seeds && ok; k++) {
        memset(log, 0, sizeof *log);
        struct sim_hooks hooks = {.on_request = on_request, .ctx = log, .on_attempt = on_attempt};
        struct sim_result res;
        if (sim_run(&s, &s.router.strategy, sim_rep_seed(s.seed, k), &hooks, &res, err,
                    sizeof err) != 0) {
            snprintf(why, sizeof why, "run failed: %s", err);
            ok = false;
            break;
        }
        sim_result_free(&res);
        if (log->overflow || log->n_req == 0) {
            snprintf(why, sizeof why, "%s", log->n_req ? "too many attempts" : "no request ended");
            ok = false;
            break;
        }
        int np = 0, nf = 0;
        int64_t t0 = -1, t1 = -1;
        if (r->window_requests > 0) { /* S15: the requests sent while the primary is down */
            int wreq = 0, served = 0;
            for (uint32_t q = 0; q < log->n_req; q++)
                if (log->arrival_ns[q] < CONF_FLAP_DOWN_NS) {
                    wreq++;
                    served += log->status[q] == 200;
                }
            for (uint32_t a = 0; a < log->n; a++)
                if (log->a[a].backend == prim && log->a[a].start_ns < CONF_FLAP_DOWN_NS)
                    np++;
            nf = served;
            /* The wall sends the next request when the last one ends (and at
             * least 4 s apart); the trace sends one every 4 s, so the number
             * of requests in the window can differ: compare per request. */
            if (wreq == r->window_requests)
                counts_ok &= np == r->primary && served == r->fallback;
            else
                counts_ok &= (int64_t)np * r->window_requests == (int64_t)r->primary * wreq &&
                             served == wreq && r->fallback == r->window_requests;
            span_add(&p, np);
            span_add(&f, served);
            for (uint32_t a = 0; a < log->n; a++)
                if (log->a[a].req == 0 && log->a[a].backend == prim) {
                    if (t0 < 0)
                        t0 = log->a[a].start_ns;
                    else if (t1 < 0)
                        t1 = log->a[a].start_ns;
                }
            if (t1 >= 0)
                span_add(&gap, (double)(t1 - t0) / NS_PER_S);
            continue;
        }
        int64_t first = -1;
        for (uint32_t a = 0; a < log->n; a++) {
            if (first < 0)
                first = log->a[a].start_ns;
            if (log->a[a].backend == prim) {
                np++;
                if (t0 < 0)
                    t0 = log->a[a].start_ns;
                else if (t1 < 0)
                    t1 = log->a[a].start_ns;
            } else if (log->a[a].backend == fb) {
                nf++;
            }
        }
        counts_ok &= np == r->primary && nf == r->fallback && log->status[0] == 200;
        span_add(&p, np);
        span_add(&f, nf);
        if (t1 >= 0)
            span_add(&gap, (double)(t1 - t0) / NS_PER_S);
        if (first >= 0)
            span_add(&total, (double)(log->done_ns[0] - first) / NS_PER_S);
    }
    double pub_total = isnan(r->total_s) ? NAN : r->total_s - (isnan(r->first_s) ? 0 : r->first_s);
    if (ok && !counts_ok)
        snprintf(why, sizeof why, "attempts differ from the published %dp/%df", r->primary,
                 r->fallback);
    else if (ok && !span_covers(&gap, r->gap_s))
        snprintf(why, sizeof why, "gap %.2fs outside the simulated range +-%.1fs", r->gap_s,
                 CONF_NET_TOL_S);
    else if (ok && !isnan(pub_total) && !span_covers(&total, pub_total))
        snprintf(why, sizeof why, "total %.2fs outside the simulated range +-%.1fs", pub_total,
                 CONF_NET_TOL_S);
    ok = ok && why[0] == '\0';
    char pg[16] = "-", sg[48] = "-", pt[16] = "-", st[48] = "-";
    if (!isnan(r->gap_s))
        snprintf(pg, sizeof pg, "%.1f", r->gap_s);
    if (gap.n)
        snprintf(sg, sizeof sg, "%.2f [%.2f, %.2f]", gap.sum / gap.n, gap.min, gap.max);
    if (!isnan(pub_total))
        snprintf(pt, sizeof pt, "%.2f", pub_total);
    if (total.n)
        snprintf(st, sizeof st, "%.2f [%.2f, %.2f]", total.sum / total.n, total.min, total.max);
    char pc[24], sc[64];
    snprintf(pc, sizeof pc, "%dp/%df", r->primary, r->fallback);
    snprintf(sc, sizeof sc, "%.1fp/%.1ff [%g-%g/%g-%g]", p.n ? p.sum / p.n : 0,
             f.n ? f.sum / f.n : 0, p.min, p.max, f.min, f.max);
    printf("%-4s %-21s %-9s %5s %6s | %-28s %-24s %-26s %s%s%s\n", r->scenario, r->system, pc, pg,
           pt, sc, sg, st, ok ? "PASS" : "FAIL", ok ? "" : "  ", why);
    free(log);
    scn_free(&s);
    return ok;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/conformance";
    uint32_t n_seeds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : CONF_SEEDS_DEFAULT;
    if (n_seeds == 0)
        n_seeds = CONF_SEEDS_DEFAULT;
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/failoverbench.csv", dir);
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "conf_failoverbench: cannot open %s\n", path);
        return 2;
    }
    printf("failoverbench conformance: %u seeds; times in s from the first attempt; "
           "published vs simulated mean [min, max]\n",
           n_seeds);
    printf("%-4s %-21s %-9s %5s %6s | %-28s %-24s %-26s %s\n", "scn", "system", "pub p/f", "gap",
           "total", "sim p/f [range]", "sim gap", "sim total", "verdict");
    int rows = 0, failed = 0;
    bool header = true;
    while (fgets(line, sizeof line, fp)) {
        if (header) {
            header = false;
            continue;
        }
        char *fld[10];
        if (split(line, fld, 10) != 10) {
            fprintf(stderr, "conf_failoverbench: %s: a row without 10 fields\n", path);
            fclose(fp);
            return 2;
        }
        struct row r;
        memset(&r, 0, sizeof r);
        snprintf(r.scenario, sizeof r.scenario, "%s", fld[0]);
        snprintf(r.system, sizeof r.system, "%s", fld[1]);
        r.primary = atoi(fld[2]);
        r.fallback = atoi(fld[3]);
        r.gap_s = field_num(fld[4]);
        r.total_s = field_num(fld[5]);
        r.first_s = field_num(fld[6]); /* strtod stops at the first ';' */
        r.window_requests = *fld[8] ? atoi(fld[8]) : 0;
        rows++;
        failed += !check_row(dir, &r, n_seeds);
    }
    fclose(fp);
    printf("conformance: %d rows, %d passed, %d failed\n", rows, rows - failed, failed);
    return failed ? 1 : 0;
}
