/*
 * publish.c - live counters versus what strategies see.  With a staleness
 * > 0 the view is a copy republished at most that often (metrics scraped at
 * an interval); the dirty set keeps a publication O(changed).  Budget
 * periods and the backend-reported signals live here too.
 */
#include <float.h>

#include "router_int.h"

void route__mark_dirty(struct route_router *r, uint32_t i)
{
    if (route__bit(r->dirty_bits, i))
        return;
    route__bit_put(r->dirty_bits, i, true);
    r->dirty[r->n_dirty++] = i;
}

/* The view entry of backend i changed: its saturation bit and the journal. */
static void view_changed(struct route_router *r, uint32_t i)
{
    route__bit_put(r->fleet.saturated, i, route__saturated(&r->pub[i]));
    route__fleet_note(&r->fleet, i);
}

/* ---------------------------------------------------------------------
 * Live counters, publication, budgets
 * ------------------------------------------------------------------- */

static void note_budget_end(struct route_router *r, const struct route_backend *b)
{
    int64_t end;
    if (b->cfg.budget_window_ns <= 0)
        return;
    end = route__sat_add(b->budget_start_ns, b->cfg.budget_window_ns);
    if (end < r->budget_next_ns)
        r->budget_next_ns = end;
}

/* The windows and budget periods start at the first time the router sees
 * (a production gateway's monotonic clock does not start at 0). */
void route__start_clock_now(struct route_router *r, int64_t now_ns)
{
    for (uint32_t i = 0; i < r->n; i++) {
        struct route_backend *b = &r->live[i];
        route__window_init(&r->win[i], now_ns);
        route__sync_usage(r, i);
        b->budget_start_ns = now_ns;
        note_budget_end(r, b);
        route__live_changed(r, i);
    }
    r->clock_started = true;
    route__wheel_done_at(r, now_ns);
}

/* Start a new budget period when now has passed the current one's end:
 * periods are whole multiples of the window from the first time seen. */
static void roll_budget(struct route_backend *b, int64_t now_ns)
{
    int64_t w = b->cfg.budget_window_ns;
    uint64_t periods;
    if (w <= 0 || now_ns < b->budget_start_ns)
        return;
    periods = ((uint64_t)now_ns - (uint64_t)b->budget_start_ns) / (uint64_t)w;
    if (periods == 0)
        return;
    b->budget_start_ns = route__sat_add(
        b->budget_start_ns,
        periods > (uint64_t)INT64_MAX / (uint64_t)w ? INT64_MAX : (int64_t)(periods * (uint64_t)w));
    b->spent_usd = 0.0;
}

/* O(n) once per budget period end (budget windows are long: hours, days),
 * never per pick. */
void route__roll_budgets_due(struct route_router *r, int64_t now_ns)
{
    r->budget_next_ns = INT64_MAX;
    for (uint32_t i = 0; i < r->n; i++) {
        int64_t start = r->live[i].budget_start_ns;
        roll_budget(&r->live[i], now_ns);
        note_budget_end(r, &r->live[i]);
        if (r->live[i].budget_start_ns != start)
            route__live_changed(r, i);
    }
}

/* Copy the live counters into what strategies see (not the window's
 * backing store, not the configuration, not the health): only the backends
 * whose counters changed since the last publication. */
static void publish(struct route_router *r)
{
    for (uint32_t k = 0; k < r->n_dirty; k++) {
        uint32_t i = r->dirty[k];
        const struct route_backend *s = &r->live[i];
        struct route_backend *d = &r->pub[i];
        d->inflight = s->inflight;
        d->inflight_tokens = s->inflight_tokens;
        d->rpm_used = s->rpm_used;
        d->tpm_used = s->tpm_used;
        d->ttft_ewma_ns = s->ttft_ewma_ns;
        d->ttft_samples = s->ttft_samples;
        d->dispatched = s->dispatched;
        d->queue_depth = s->queue_depth;
        d->kv_free = s->kv_free;
        d->signal_t_ns = s->signal_t_ns;
        d->spent_usd = s->spent_usd;
        d->budget_start_ns = s->budget_start_ns;
        d->successes = s->successes;
        d->failures = s->failures;
        route__bit_put(r->dirty_bits, i, false);
        view_changed(r, i);
    }
    r->n_dirty = 0;
}

void route__publish_due(struct route_router *r, int64_t now_ns)
{
    publish(r);
    r->published = true;
    r->next_publish_ns = route__sat_add(now_ns, r->staleness_ns);
}

void route_router_set_signals(struct route_router *r, uint32_t backend, int64_t queue_depth,
                              double kv_free, int64_t now_ns)
{
    struct route_backend *b;
    if (r == NULL || backend >= r->n)
        return;
    b = &r->live[backend];
    b->queue_depth = queue_depth;
    b->kv_free = kv_free >= 0.0 && kv_free <= 1.0 ? kv_free : -1.0; /* NaN: unknown */
    b->signal_t_ns = now_ns;
    route__live_changed(r, backend);
}

void route_router_add_cost(struct route_router *r, uint32_t backend, double usd, int64_t now_ns)
{
    struct route_backend *b;
    if (r == NULL || backend >= r->n || !(usd >= 0.0 && usd <= DBL_MAX))
        return;
    route__start_clock(r, now_ns);
    b = &r->live[backend];
    if (b->cfg.budget_window_ns > 0) { /* else one period for ever */
        roll_budget(b, now_ns);
        note_budget_end(r, b);
    }
    b->spent_usd += usd;
    route__live_changed(r, backend);
}
