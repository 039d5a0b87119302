/*
 * experiment.c - points x strategies x replications in one pool of trials
 * (see experiment.h).
 */
#include "experiment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sim_int.h"

/* A point's overrides in a message: "a=1 b=2" (truncated to len). */
static void point_text(const struct sim_exp_point *p, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t k = 0; k < p->n_sets && o + 1 < len; k++) {
        int w = snprintf(buf + o, len - o, "%s%s", k ? " " : "", p->sets[k].path);
        o += w > 0 ? (size_t)w : 0;
    }
    if (p->n_sets == 0)
        snprintf(buf, len, "the scenario as written");
}

/* Load point p's scenario and pick its strategies into *r. */
static int load_point(const struct sim_exp *e, const struct sim_exp_point *p,
                      struct sim_exp_result *r, char *err, size_t errlen)
{
    uint32_t ns = e->n_base + p->n_sets;
    struct scn_set *sets = calloc(ns ? ns : 1, sizeof *sets);
    if (sets == NULL) {
        base_errf(err, errlen, "out of memory");
        return -1;
    }
    if (e->n_base)
        memcpy(sets, e->base, e->n_base * sizeof *sets);
    if (p->n_sets)
        memcpy(sets + e->n_base, p->sets, p->n_sets * sizeof *sets);
    int rc = scn_load_set(e->scenario, e->reg, sets, ns, &r->scn, err, errlen);
    free(sets);
    if (rc != 0)
        return -1;
    r->seed = e->seed_set ? e->seed : r->scn.seed;
    r->n = e->n_names ? e->n_names : r->scn.n_compare ? r->scn.n_compare : 1;
    r->strategies = calloc(r->n, sizeof *r->strategies);
    r->runs = calloc(r->n, sizeof *r->runs);
    if (r->strategies == NULL || r->runs == NULL) {
        base_errf(err, errlen, "out of memory");
        return -1;
    }
    if (e->n_names) {
        for (uint32_t i = 0; i < r->n; i++)
            if (scn_strategy_by_name_ex(e->reg, e->names[i], &r->strategies[i], err, errlen) != 0)
                return -1;
    } else if (r->scn.n_compare) {
        memcpy(r->strategies, r->scn.compare, r->n * sizeof *r->strategies);
    } else {
        r->strategies[0] = r->scn.router.strategy;
    }
    return 0;
}

/* Run points [p0, p1) (already loaded) and fold them. */
static int run_chunk(const struct sim_exp *e, struct sim_exp_result *out, uint32_t p0, uint32_t p1,
                     char *err, size_t errlen)
{
    uint32_t R = e->reps;
    size_t nt = 0;
    for (uint32_t p = p0; p < p1; p++)
        nt += (size_t)out[p].n * R;
    struct sim_trial *t = calloc(nt, sizeof *t);
    struct sim_result *tr = calloc(nt, sizeof *tr);
    int *trc = calloc(nt, sizeof *trc);
    char *terr = calloc(nt, errlen);
    uint32_t nmax = 0;
    for (uint32_t p = p0; p < p1; p++)
        nmax = out[p].n > nmax ? out[p].n : nmax;
    int *rc = calloc(nmax, sizeof *rc);
    char *perr = calloc(nmax, errlen);
    int failed = 0;
    if (t == NULL || tr == NULL || trc == NULL || terr == NULL || rc == NULL || perr == NULL) {
        base_errf(err, errlen, "out of memory");
        failed = 1;
        goto done;
    }
    /* point-major, then strategy, then replication: each point's block is
     * what sim__fold expects */
    size_t j = 0;
    for (uint32_t p = p0; p < p1; p++)
        for (uint32_t i = 0; i < out[p].n; i++)
            for (uint32_t r = 0; r < R; r++)
                t[j++] = (struct sim_trial){.scn = &out[p].scn,
                                            .strategy = &out[p].strategies[i],
                                            .seed = sim_rep_seed(out[p].seed, r)};
    sim_trials(t, (uint32_t)nt, e->threads, tr, trc, terr, errlen);
    j = 0;
    for (uint32_t p = p0; p < p1; p++) {
        uint32_t n = out[p].n;
        int ref = e->ref >= 0 && (uint32_t)e->ref < n ? e->ref : -1;
        if (!failed && sim__fold(&out[p].scn, t + j, n, R, ref, tr + j, trc + j, terr + j * errlen,
                                 out[p].runs, rc, perr, errlen) != 0) {
            for (uint32_t i = 0; i < n; i++)
                if (rc[i] != 0) {
                    base_errf(err, errlen, "%s: %s", out[p].strategies[i].label,
                              perr + (size_t)i * errlen);
                    break;
                }
            failed = 1;
            out[p].n = 0; /* nothing folded to free */
        } else if (failed) {
            for (size_t k = j; k < j + (size_t)n * R; k++)
                if (trc[k] == 0)
                    sim_result_free(&tr[k]);
            out[p].n = 0;
        }
        j += (size_t)n * R;
    }
done:
    free(t);
    free(tr);
    free(trc);
    free(terr);
    free(rc);
    free(perr);
    return failed ? -1 : 0;
}

int sim_exp_run(const struct sim_exp *e, const struct sim_exp_point *pts, uint32_t n_pts,
                struct sim_exp_result *out, char *err, size_t errlen)
{
    char what[256];
    if (e->reps == 0) {
        base_errf(err, errlen, "experiment: found 0 replications, expected at least 1");
        return -1;
    }
    for (uint32_t p = 0; p < n_pts; p++) {
        char msg[1024];
        if (load_point(e, &pts[p], &out[p], msg, sizeof msg) != 0) {
            point_text(&pts[p], what, sizeof what);
            base_errf(err, errlen, "%s", msg);
            for (uint32_t k = 0; k <= p; k++)
                out[k].n = 0;
            return -1;
        }
    }
    uint64_t done = 0;
    for (uint32_t p0 = 0; p0 < n_pts;) {
        /* whole points, at least one, up to the chunk size */
        uint32_t p1 = p0;
        size_t trials = 0;
        do {
            trials += (size_t)out[p1].n * e->reps;
            p1++;
        } while (p1 < n_pts && trials + (size_t)out[p1].n * e->reps <= SIM_EXP_CHUNK_TRIALS);
        char msg[1024];
        if (run_chunk(e, out, p0, p1, msg, sizeof msg) != 0) {
            point_text(&pts[p0], what, sizeof what);
            base_errf(err, errlen, "%s", msg);
            for (uint32_t k = p1; k < n_pts; k++)
                out[k].n = 0;
            return -1;
        }
        done += trials;
        p0 = p1;
        if (e->progress)
            e->progress(e->progress_ctx, p0, n_pts, done);
    }
    return 0;
}

void sim_exp_result_free(struct sim_exp_result *r)
{
    for (uint32_t i = 0; r->runs && i < r->n; i++)
        sim_result_free(&r->runs[i]);
    free(r->runs);
    free(r->strategies);
    scn_free(&r->scn); /* a scenario that failed to load is all zero */
    memset(r, 0, sizeof *r);
}
