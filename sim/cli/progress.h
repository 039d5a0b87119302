/*
 * progress.h - the progress line of a long `lbsim run` on a terminal
 * (prefix progress_; issue 14 item 6).
 *
 * The engine reports each run's arrivals and virtual clock through
 * sim_hooks.on_progress (sim.h) every SIM_PROGRESS_EVENTS events; this
 * module sums those reports over the runs (one slot per run, C11 atomics,
 * so the OpenMP threads need no lock), reads CLOCK_MONOTONIC and redraws
 * one line on stderr with '\r', at most PROGRESS_REDRAW_NS apart: percent
 * done, requests simulated, simulated time, requests per second, ETA.  The
 * percent and the ETA need a known end: the scenario's duration: or a
 * synthetic source's duration: (virtual time), else a synthetic source's
 * count: (requests); without one the line has neither.
 *
 * Only when stderr is a terminal and --quiet is not given (progress_create
 * returns NULL otherwise, and no hook is installed: a run without a
 * progress line does not even test a pointer per event).  The line never
 * touches stdout or any output file.
 */
#ifndef LBSIM_PROGRESS_H
#define LBSIM_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

struct progress;

/* A progress line for n_runs runs of scn, or NULL when it is off (quiet,
 * stderr not a terminal, or out of memory: progress is never an error). */
struct progress *progress_create(const struct scenario *scn, uint32_t n_runs, bool quiet);

/* The hook context of run i (a slot of its own), for
 * progress_on_progress (sim_hooks.on_progress). */
void *progress_slot(struct progress *p, uint32_t i);
void progress_on_progress(void *slot, uint64_t requests_done, int64_t sim_now_ns);

/* Clear the line and free; NULL is fine. */
void progress_end(struct progress *p);

#endif /* LBSIM_PROGRESS_H */
