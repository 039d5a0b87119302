/*
 * window.c - the 60 s usage windows (one-second slots in a ring) and the
 * router's timing wheel that rolls only the windows whose sums change.
 */
#include <string.h>

#include "router_int.h"

/* ---------------------------------------------------------------------
 * Usage windows: ROUTE__WINDOW_SLOTS one-second slots in a ring
 * ------------------------------------------------------------------- */

/*
 * Slots are aligned to multiples of ROUTE__WINDOW_SLOT_NS from time 0, so
 * every window of every router rolls at the same instants.  A slot
 * [s, s + 1 s) is forgotten once now reaches s + 60 s: a request counts for
 * between 59 and 60 s (the 1 s granularity of the sliding window).
 */
static int64_t slot_floor(int64_t t)
{
    int64_t r = t % ROUTE__WINDOW_SLOT_NS;
    if (r < 0)
        r += ROUTE__WINDOW_SLOT_NS;
    if (t < INT64_MIN + r)
        return INT64_MIN; /* the first, partial slot of time itself */
    return t - r;
}

void route__window_init(struct route__window *w, int64_t now_ns)
{
    memset(w, 0, sizeof *w);
    w->slot_start_ns = slot_floor(now_ns);
    w->head = 0;
}

/* Roll forward to now: each expired slot is subtracted from the sums and
 * zeroed once, so the cost is O(1) amortised and at most
 * ROUTE__WINDOW_SLOTS per call, whatever the gap.  Time going backwards is
 * ignored (the newest slot stays current). */
void route__window_advance(struct route__window *w, int64_t now_ns)
{
    uint64_t diff, steps;
    if (now_ns < w->slot_start_ns)
        return;
    /* Exact even when the signed difference would overflow. */
    diff = (uint64_t)now_ns - (uint64_t)w->slot_start_ns;
    steps = diff / (uint64_t)ROUTE__WINDOW_SLOT_NS;
    if (steps == 0)
        return;
    if (steps >= ROUTE__WINDOW_SLOTS) {
        memset(w->req, 0, sizeof w->req);
        memset(w->tok, 0, sizeof w->tok);
        w->req_sum = 0;
        w->tok_sum = 0;
        w->head = 0;
    } else {
        for (uint64_t k = 0; k < steps; k++) {
            w->head = w->head + 1 == ROUTE__WINDOW_SLOTS ? 0 : w->head + 1;
            w->req_sum -= w->req[w->head];
            w->tok_sum -= w->tok[w->head];
            w->req[w->head] = 0;
            w->tok[w->head] = 0;
        }
    }
    /* The new newest slot is the one containing now. */
    w->slot_start_ns = now_ns - (int64_t)(diff - steps * (uint64_t)ROUTE__WINDOW_SLOT_NS);
}

/* When the sums of window w next change by themselves: the end of its oldest
 * non-empty slot (a slot starting at s leaves the window at s + 60 s);
 * INT64_MAX when empty. */
int64_t route__window_next_change(const struct route__window *w)
{
    if (w->req_sum == 0 && w->tok_sum == 0) {
        bool any = false;
        for (uint32_t k = 0; k < ROUTE__WINDOW_SLOTS && !any; k++)
            any = w->req[k] != 0 || w->tok[k] != 0;
        if (!any)
            return INT64_MAX;
    }
    for (uint32_t k = 0; k < ROUTE__WINDOW_SLOTS; k++) {
        uint32_t idx = (w->head + 1u + k) % ROUTE__WINDOW_SLOTS; /* oldest first */
        if (w->req[idx] != 0 || w->tok[idx] != 0)
            return route__sat_add(w->slot_start_ns, (int64_t)(k + 1u) * ROUTE__WINDOW_SLOT_NS);
    }
    return INT64_MAX;
}

static uint32_t wheel_bucket(int64_t t)
{
    return (uint32_t)((uint64_t)route__floor_div(t, ROUTE__WINDOW_SLOT_NS) % ROUTE__WHEEL);
}

void route__schedule_window(struct route_router *r, uint32_t i)
{
    int64_t t = route__window_next_change(&r->win[i]);
    uint32_t b;
    if (t == r->win_key[i])
        return;
    if (r->win_key[i] != INT64_MAX) { /* unlink */
        uint32_t nx = r->win_next[i], pv = r->win_prev[i];
        if (pv != ROUTE__ABSENT)
            r->win_next[pv] = nx;
        else
            r->wheel[wheel_bucket(r->win_key[i])] = nx;
        if (nx != ROUTE__ABSENT)
            r->win_prev[nx] = pv;
    }
    r->win_key[i] = t;
    if (t == INT64_MAX)
        return;
    b = wheel_bucket(t);
    r->win_prev[i] = ROUTE__ABSENT;
    r->win_next[i] = r->wheel[b];
    if (r->wheel[b] != ROUTE__ABSENT)
        r->win_prev[r->wheel[b]] = i;
    r->wheel[b] = i;
    if (t <= r->wheel_done)
        r->wheel_overdue = true;
}

/* Apply the expiries of bucket b due by now. */
static void sweep_bucket(struct route_router *r, uint32_t b, int64_t now_ns)
{
    uint32_t i = r->wheel[b];
    while (i != ROUTE__ABSENT) {
        uint32_t nx = r->win_next[i];
        if (r->win_key[i] <= now_ns) {
            route__window_advance(&r->win[i], now_ns);
            route__sync_usage(r, i);
            route__schedule_window(r, i); /* later than now: not due again in this sweep */
            route__live_changed(r, i);
        }
        i = nx;
    }
}

/* Roll the windows whose sums change by now, and only those: O(1) per
 * non-empty slot that expires (plus at most ROUTE__WHEEL bucket heads when
 * time jumps), nothing for idle backends, nothing while no second boundary
 * passes (the window of a backend with no expiry may lag behind now; its
 * sums are exact). */
void route__roll_windows_due(struct route_router *r, int64_t now_ns)
{
    int64_t from, to;
    if (!r->clock_started) {
        route__start_clock(r, now_ns);
        return;
    }
    if (now_ns <= r->wheel_done)
        return;
    from = route__floor_div(r->wheel_done, ROUTE__WINDOW_SLOT_NS);
    to = route__floor_div(now_ns, ROUTE__WINDOW_SLOT_NS);
    if (from == to && !r->wheel_overdue) {
        route__wheel_done_at(r, now_ns); /* no second boundary passed: no expiry */
        return;
    }
    if (r->wheel_overdue || (uint64_t)to - (uint64_t)from >= ROUTE__WHEEL) {
        for (uint32_t b = 0; b < ROUTE__WHEEL; b++)
            sweep_bucket(r, b, now_ns);
    } else {
        for (int64_t sec = from + 1; sec <= to; sec++)
            sweep_bucket(r, (uint32_t)((uint64_t)sec % ROUTE__WHEEL), now_ns);
    }
    route__wheel_done_at(r, now_ns);
    r->wheel_overdue = false;
}
