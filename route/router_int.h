/*
 * router_int.h - the router and node objects, shared by the files that
 * implement them (router.c, publish.c, window.c).  Strategies never see
 * these: they get nodes as opaque pointers and the view.
 */
#ifndef LBSIM_ROUTER_INT_H
#define LBSIM_ROUTER_INT_H

#include "route_int.h"

/* Buckets of the window timing wheel: > ROUTE__WINDOW_SLOTS seconds. */
#define ROUTE__WHEEL 64u

/* Deepest spec tree and most nodes accepted (bounds the recursion). */
#define ROUTE__MAX_DEPTH 32u
#define ROUTE__MAX_NODES 4096u

struct route_node {
    const struct route_ops *ops;
    void *state;
    bool created;
    struct route_router *router;
    const uint64_t *subset;       /* NULL = every backend */
    uint64_t *narrow;             /* exclude | ~subset, built by route_node_pick */
    uint64_t *scratch;            /* route_node_scratch() */
    struct route_node **children; /* n_children pointers */
    double *child_weights;        /* n_children weights */
    uint32_t n_children;
    double params[ROUTE_MAX_PARAMS];
};

struct route_router {
    struct route_node *nodes; /* post-order: children before parents, root last */
    uint32_t n_nodes;
    struct route_node *root;
    struct route_node **child_ptrs;
    double *child_w;
    uint64_t *bits;                 /* 3 bitsets per node: subset, narrow, scratch */
    struct route_backend_cfg *cfgs; /* copy handed to create() */
    struct route_backend *live;     /* the exact counters */
    struct route__window *win;      /* n: backing store of live rpm/tpm_used */
    struct route_backend *pub;      /* what strategies see (== live if no staleness) */
    struct route_view view;         /* view.b == pub */
    uint32_t n, words;
    uint64_t last_mask; /* valid bits of the last bitset word */
    bool clock_started;
    /* Lazy windows: a timing wheel of one-second buckets holding each
     * backend at the time its window's oldest non-empty slot expires (the
     * only times rpm/tpm_used change by themselves; always whole seconds). */
    int64_t *win_key;   /* n: that time, INT64_MAX = none */
    uint32_t *win_next; /* n: intrusive bucket lists */
    uint32_t *win_prev;
    uint32_t wheel[ROUTE__WHEEL];
    int64_t wheel_done; /* every expiry at or before this time is applied */
    int64_t wheel_next; /* the second boundary after wheel_done: no expiry before it */
    bool wheel_overdue; /* one was scheduled at or before wheel_done */
    int64_t staleness_ns;
    bool published;
    int64_t next_publish_ns;
    /* Publication (staleness > 0): the backends whose live counters changed
     * since the last publication. */
    uint32_t *dirty;
    uint32_t n_dirty;
    uint64_t *dirty_bits;
    /* What built-in strategies use to skip whole-fleet scans. */
    struct route__fleet fleet;
    int64_t budget_next_ns; /* earliest budget window end */
    struct route__health *health;
    const struct route__health_gate *hgate; /* which health calls have work */
    int64_t last_now; /* latest time of a pick, dispatch or outcome (health) */
    /* Some node has an on_dispatch / on_first_token / on_complete hook: the
     * lifecycle calls walk the nodes only then. */
    bool hook_dispatch, hook_first_token, hook_complete;
    /* The engine-fed signals some node reads (route_router_reads). */
    uint32_t reads;
    struct route_stats stats;
};

/* publish.c: mark backend i for the next publication. */
void route__mark_dirty(struct route_router *r, uint32_t i);

/* Backend i's live counters other than inflight changed: without staleness
 * the view is the live array, so only the journal follows (when some
 * strategy reads it); with staleness the change waits for the next
 * publication.  Inline: every lifecycle call ends here. */
static inline void route__live_changed(struct route_router *r, uint32_t i)
{
    if (r->pub != r->live)
        route__mark_dirty(r, i);
    else
        route__fleet_note(&r->fleet, i);
}

/* Backend i's inflight changed too: its saturation bit follows (always 0
 * for a backend without a cap: nothing to write). */
static inline void route__live_load_changed(struct route_router *r, uint32_t i)
{
    if (r->pub != r->live) {
        route__mark_dirty(r, i);
        return;
    }
    if (r->pub[i].cfg.max_inflight > 0)
        route__bit_put(r->fleet.saturated, i, route__saturated(&r->pub[i]));
    route__fleet_note(&r->fleet, i);
}

/* publish.c: the windows and budget periods start at the first time the
 * router sees (the inline test: once). */
void route__start_clock_now(struct route_router *r, int64_t now_ns);
static inline void route__start_clock(struct route_router *r, int64_t now_ns)
{
    if (!r->clock_started)
        route__start_clock_now(r, now_ns);
}
/* publish.c: roll the budget periods and republish if due (before a pick);
 * the inline tests skip the calls until a period ends or a publication is
 * due. */
void route__roll_budgets_due(struct route_router *r, int64_t now_ns);
void route__publish_due(struct route_router *r, int64_t now_ns);
static inline void route__roll_budgets(struct route_router *r, int64_t now_ns)
{
    if (now_ns >= r->budget_next_ns)
        route__roll_budgets_due(r, now_ns);
}
static inline void route__maybe_publish(struct route_router *r, int64_t now_ns)
{
    if (r->pub != r->live && (!r->published || now_ns >= r->next_publish_ns))
        route__publish_due(r, now_ns);
}
/* Copy backend i's window sums into its live counters. */
static inline void route__sync_usage(struct route_router *r, uint32_t i)
{
    r->live[i].rpm_used = r->win[i].req_sum;
    r->live[i].tpm_used = r->win[i].tok_sum;
}

/* window.c: (re)file backend i in the timing wheel at its window's next
 * change; roll the windows whose sums change by now. */
void route__schedule_window(struct route_router *r, uint32_t i);
void route__roll_windows_due(struct route_router *r, int64_t now_ns);
/* Every expiry at or before t is applied: note t and the next second
 * boundary after it. */
static inline void route__wheel_done_at(struct route_router *r, int64_t t)
{
    int64_t sec = route__floor_div(t, ROUTE__WINDOW_SLOT_NS);
    r->wheel_done = t;
    r->wheel_next =
        sec >= INT64_MAX / ROUTE__WINDOW_SLOT_NS ? INT64_MAX : (sec + 1) * ROUTE__WINDOW_SLOT_NS;
}
/* Inline: between two second boundaries no window expires, so a pick only
 * notes the time (windows are rolled once per second, not per request). */
static inline void route__roll_windows(struct route_router *r, int64_t now_ns)
{
    if (r->clock_started && !r->wheel_overdue && now_ns < r->wheel_next) {
        if (now_ns > r->wheel_done)
            r->wheel_done = now_ns;
        return;
    }
    route__roll_windows_due(r, now_ns);
}

#endif /* LBSIM_ROUTER_INT_H */
