/*
 * progress.c - the progress line of `lbsim run` (see progress.h).
 *
 * Each run's slot keeps what it last reported, so a report adds only its
 * increase to the shared totals (atomic adds, relaxed: the line is a
 * display, not a result).  Whichever thread reports when the next redraw
 * is due claims it with a compare-and-swap on the redraw time, so one
 * thread draws at a time and at most every PROGRESS_REDRAW_NS.
 */
#include "progress.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "scn.h"

/* At most ~10 redraws a second: smooth to the eye, no flicker, and
   negligible stderr traffic (an assumption, the brief of issue 14). */
#define PROGRESS_REDRAW_NS 100000000LL
#define PROGRESS_NS_PER_S  1000000000LL

struct slot {
    struct progress *p;
    uint64_t requests; /* this run's last report */
    int64_t sim_ns;    /* ... clamped to the span */
};

struct progress {
    int64_t t0_ns;    /* CLOCK_MONOTONIC at creation */
    int64_t span_ns;  /* one run's virtual span, 0 unknown */
    uint64_t per_run; /* one run's requests, 0 unknown (when span_ns is 0) */
    uint32_t n_runs;
    _Atomic uint64_t requests; /* sum over runs */
    _Atomic int64_t sim_ns;    /* sum over runs, each clamped to span_ns */
    _Atomic int64_t next_draw_ns;
    _Atomic int drawn; /* a line is on the screen */
    struct slot *slots;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * PROGRESS_NS_PER_S + ts.tv_nsec;
}

struct progress *progress_create(const struct scenario *scn, uint32_t n_runs, bool quiet)
{
    if (quiet || n_runs == 0 || !isatty(STDERR_FILENO))
        return NULL;
    struct progress *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->slots = calloc(n_runs, sizeof *p->slots);
    if (p->slots == NULL) {
        free(p);
        return NULL;
    }
    p->n_runs = n_runs;
    p->t0_ns = mono_ns();
    p->span_ns = scn->duration_ns;
    if (p->span_ns == 0 && scn->n_sources == 0 && scn->traffic.format == TRACE_SYNTHETIC) {
        /* the generator's own end (its cap applies to scaled arrivals,
           traces/trace_synth.c), else its request count */
        p->span_ns = scn->traffic.synth.duration_ns;
        if (p->span_ns == 0)
            p->per_run = scn->traffic.synth.count;
    }
    atomic_init(&p->requests, 0);
    atomic_init(&p->sim_ns, 0);
    atomic_init(&p->next_draw_ns, p->t0_ns); /* the first report draws */
    atomic_init(&p->drawn, 0);
    for (uint32_t i = 0; i < n_runs; i++)
        p->slots[i].p = p;
    return p;
}

void *progress_slot(struct progress *p, uint32_t i)
{
    return &p->slots[i];
}

/* "1h02m03s", "2m03s" or "3.4s" */
static void fmt_dur(char *b, size_t n, double s)
{
    if (s < 60)
        snprintf(b, n, "%.1fs", s);
    else if (s < 3600)
        snprintf(b, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(b, n, "%dh%02dm%02ds", (int)(s / 3600), (int)s % 3600 / 60, (int)s % 60);
}

static void draw(struct progress *p, int64_t now)
{
    uint64_t req = atomic_load_explicit(&p->requests, memory_order_relaxed);
    int64_t sim = atomic_load_explicit(&p->sim_ns, memory_order_relaxed);
    double wall = (double)(now - p->t0_ns) / PROGRESS_NS_PER_S;
    double frac = -1;
    if (p->span_ns > 0)
        frac = (double)sim / ((double)p->span_ns * p->n_runs);
    else if (p->per_run > 0)
        frac = (double)req / ((double)p->per_run * p->n_runs);
    if (frac > 1)
        frac = 1;
    char simt[32], eta[32] = "";
    fmt_dur(simt, sizeof simt, (double)sim / p->n_runs / PROGRESS_NS_PER_S);
    char pct[16] = "";
    if (frac >= 0) {
        snprintf(pct, sizeof pct, "%5.1f%% ", 100 * frac);
        if (frac > 0) {
            char d[24];
            fmt_dur(d, sizeof d, wall * (1 - frac) / frac);
            snprintf(eta, sizeof eta, ", ETA %s", d);
        }
    }
    fprintf(stderr, "\rlbsim: %s%llu requests, %s simulated, %.0f requests/s%s\033[K", pct,
            (unsigned long long)req, simt, wall > 0 ? (double)req / wall : 0.0, eta);
    fflush(stderr);
    atomic_store_explicit(&p->drawn, 1, memory_order_relaxed);
}

void progress_on_progress(void *ctx, uint64_t requests_done, int64_t sim_now_ns)
{
    struct slot *s = ctx;
    struct progress *p = s->p;
    if (p->span_ns > 0 && sim_now_ns > p->span_ns)
        sim_now_ns = p->span_ns;
    atomic_fetch_add_explicit(&p->requests, requests_done - s->requests, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->sim_ns, sim_now_ns - s->sim_ns, memory_order_relaxed);
    s->requests = requests_done;
    s->sim_ns = sim_now_ns;
    int64_t now = mono_ns();
    int64_t due = atomic_load_explicit(&p->next_draw_ns, memory_order_relaxed);
    if (now < due ||
        !atomic_compare_exchange_strong(&p->next_draw_ns, &due, now + PROGRESS_REDRAW_NS))
        return;
    draw(p, now);
}

void progress_end(struct progress *p)
{
    if (p == NULL)
        return;
    if (atomic_load(&p->drawn)) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    free(p->slots);
    free(p);
}
