/*
 * backend.h - what the gateway needs of a backend kind (prefix sim__).
 *
 * Every backend, whatever its kind, sits behind the same provider-side
 * front (models/api.h: rate limits, concurrency and its FIFO, outages,
 * 429 storms, faults); the gateway (gateway.c) admits through that front
 * for every kind.  What differs is how an admitted attempt is served, and
 * that is this table: a hosted API account draws its latencies at once
 * (backend_api.c); a GPU pool replica batches attempts and lets their
 * times emerge from its steps (backend_pool.c).  A new kind is one file
 * with one table, plugged in at set-up (engine.c, replicas.c).
 *
 * Every hook is required (no NULL checks on the hot path).  A hook that
 * ends an attempt goes through the gateway (sim__on_done, sim__on_fail,
 * sim__attempt_failed); a hook that schedules events pushes them in a fixed
 * order, since the (time, seq) order is part of a run's output.
 */
#ifndef LBSIM_BACKEND_H
#define LBSIM_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

struct sim;

/* How an admitted attempt started. */
enum sim__start {
    SIM__START_TIMED = 0, /* running: the gateway arms its attempt timeout */
    SIM__START_UNTIMED,   /* its first event is due before the timeout could
                             fire: no timeout event (one event fewer) */
    SIM__START_ENDED,     /* it ended at once (the hook reported the failure) */
};

struct sim__backend_ops {
    const char *kind;
    /* Request idx was admitted on its backend (q->backend) now: serve it. */
    int (*start)(struct sim *s, uint32_t idx, enum sim__start *how);
    /* The first token of idx reached the gateway (after any RTT): schedule
     * or await its last token. */
    int (*first_token)(struct sim *s, uint32_t idx);
    /* The attempt of idx leaves the backend before its end (timeout, lost
     * hedge race): free what the backend holds for it.  Called before the
     * request's gen changes. */
    int (*leave)(struct sim *s, uint32_t idx);
    /* A service slot of backend b was freed: admit what waits in the
     * front's FIFO. */
    int (*release)(struct sim *s, uint32_t b);
    /* Backend b can serve now (its machine is up), outages aside. */
    bool (*up)(const struct sim *s, uint32_t b);
};

extern const struct sim__backend_ops sim__backend_api;
extern const struct sim__backend_ops sim__backend_pool;

#endif /* LBSIM_BACKEND_H */
