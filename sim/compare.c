/*
 * compare.c - the trial runner: independent runs as OpenMP work over one
 * pool, and strategies side by side on the same traffic.
 *
 * Each trial builds its own struct sim from the const scenario and writes
 * only res[i], rc[i] and its own slice of the error buffer, so the results
 * do not depend on the thread count or the schedule (docs/notes/aesthetics.md
 * §3.2: "a sweep is an array of trials").  sim_compare gives every
 * strategy the same seed: common random numbers, so differences between
 * strategies are paired rather than drowned in sampling noise.
 *
 * Traffic is parsed once per call, not once per trial (issue 16, "Traces
 * and outputs"): before the trials start, each distinct traffic that two or
 * more trials read, and whose records do not depend on the seed
 * (trace_replay_shareable: files without sampling), is read into one
 * read-only in-memory copy (trace_mem_build) that every such trial replays.
 * The copies of one call share TRACE_MEM_CAP_BYTES (256 MiB); a traffic
 * that does not fit, or that fails to open, is streamed by each trial as
 * before.  Replays are record for record what the stream gives, so results
 * are byte-identical either way.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int cfg_same(const struct trace_cfg *a, const struct trace_cfg *b)
{
    if (a->format != b->format || (a->path == NULL) != (b->path == NULL) ||
        (a->path && strcmp(a->path, b->path) != 0) || a->rate_scale != b->rate_scale ||
        a->limit != b->limit || a->window_start_ns != b->window_start_ns ||
        a->window_end_ns != b->window_end_ns || a->sample != b->sample ||
        a->repeat_to_ns != b->repeat_to_ns || a->skip_bad_rows != b->skip_bad_rows ||
        a->set_priority != b->set_priority)
        return 0;
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        if (strncmp(a->set_label[k], b->set_label[k], sizeof a->set_label[k]) != 0)
            return 0;
    return 1;
}

/* The cfgs of a scenario's traffic: its merged sources, or the one. */
static const struct trace_cfg *traffic_cfgs(const struct scenario *s, uint32_t *n)
{
    *n = s->n_sources > 0 ? s->n_sources : 1;
    return s->n_sources > 0 ? s->sources : &s->traffic;
}

/* a and b read the same records up to the same stop. */
static int traffic_same(const struct scenario *a, const struct scenario *b)
{
    if (a == b)
        return 1;
    uint32_t na, nb;
    const struct trace_cfg *ca = traffic_cfgs(a, &na), *cb = traffic_cfgs(b, &nb);
    if (na != nb || (a->n_sources > 0) != (b->n_sources > 0) || a->duration_ns != b->duration_ns)
        return 0;
    for (uint32_t i = 0; i < na; i++)
        if (!cfg_same(&ca[i], &cb[i]))
            return 0;
    return 1;
}

static int traffic_shareable(const struct scenario *s)
{
    uint32_t n;
    const struct trace_cfg *c = traffic_cfgs(s, &n);
    for (uint32_t i = 0; i < n; i++)
        if (!trace_replay_shareable(&c[i]))
            return 0;
    return 1;
}

/* mem[i]: the copy trial i replays, or NULL (stream).  Copies built go to
 * owned[0 .. *n_owned). */
static void share_traffic(const struct sim_trial *t, uint32_t n, const struct trace_mem **mem,
                          struct trace_mem **owned, uint32_t *n_owned)
{
    size_t left = TRACE_MEM_CAP_BYTES;
    for (uint32_t i = 0; i < n; i++) {
        if (mem[i] || !traffic_shareable(t[i].scn))
            continue;
        uint32_t readers = 1;
        for (uint32_t j = i + 1; j < n; j++)
            readers += !mem[j] && traffic_same(t[i].scn, t[j].scn);
        if (readers < 2)
            continue;
        char e[256];
        struct trace_src *src = scn_open_traffic(t[i].scn, t[i].seed, e, sizeof e);
        if (src == NULL)
            continue; /* each trial reports the error itself */
        struct trace_mem *m = NULL;
        int rc = trace_mem_build(src, t[i].scn->duration_ns, left, &m, e, sizeof e);
        trace_close(src);
        if (rc <= 0)
            continue; /* too big for what is left, or out of memory: stream */
        left -= trace_mem_bytes(m);
        owned[(*n_owned)++] = m;
        for (uint32_t j = i; j < n; j++)
            if (!mem[j] && traffic_same(t[i].scn, t[j].scn))
                mem[j] = m;
    }
}

int sim_trials(const struct sim_trial *t, uint32_t n, int threads, struct sim_result *res, int *rc,
               char *err, size_t errlen)
{
    return sim__trials_hooks(t, NULL, n, threads, res, rc, err, errlen);
}

int sim__trials_hooks(const struct sim_trial *t, const struct sim_hooks *hooks, uint32_t n,
                      int threads, struct sim_result *res, int *rc, char *err, size_t errlen)
{
    int failed = 0;
    const struct trace_mem **mem = calloc(n ? n : 1, sizeof *mem);
    struct trace_mem **owned = calloc(n ? n : 1, sizeof *owned);
    uint32_t n_owned = 0;
    if (mem && owned)
        share_traffic(t, n, mem, owned, &n_owned);
#ifdef _OPENMP
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (nt > (int)n)
        nt = (int)n;
    if (nt < 1)
        nt = 1;
        /* dynamic, one trial at a time: trials differ in length by orders of
           magnitude (strategies, loads), so a static split would idle threads */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(+ : failed)
#else
    (void)threads;
#endif
    for (int i = 0; i < (int)n; i++) {
        char *e = err + (size_t)i * errlen;
        e[0] = '\0';
        struct sim_hooks h = {0};
        if (hooks)
            h = hooks[i];
        if (mem && mem[i])
            h.traffic = mem[i];
        bool any = h.traffic || h.on_request || h.on_attempt || h.on_progress;
        rc[i] = sim_run(t[i].scn, t[i].strategy, t[i].seed, any ? &h : NULL, &res[i], e, errlen);
        if (rc[i] != 0)
            failed++;
    }
    for (uint32_t k = 0; k < n_owned; k++)
        trace_mem_free(owned[k]);
    free(owned);
    free(mem);
    return failed ? -1 : 0;
}

int sim_compare(const struct scenario *scn, const struct scn_strategy *strategies, uint32_t n,
                uint64_t seed, int threads, struct sim_result *res, int *rc, char *err,
                size_t errlen)
{
    struct sim_trial *t = malloc((n ? n : 1) * sizeof *t);
    if (t == NULL) {
        for (uint32_t i = 0; i < n; i++) {
            rc[i] = -1;
            snprintf(err + (size_t)i * errlen, errlen, "out of memory");
        }
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        t[i] = (struct sim_trial){.scn = scn, .strategy = &strategies[i], .seed = seed};
    int r = sim_trials(t, n, threads, res, rc, err, errlen);
    free(t);
    return r;
}
