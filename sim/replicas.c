/*
 * replicas.c - the lifecycle of GPU pool replicas.
 *
 * A pool has `slots` replica slots, each a backend.  A slot's replica is
 * off, pending (waiting for a replacement machine), warming (loading the
 * model: billed, not serving), active, draining (scale-down) or in notice
 * (reclaimed, killed at its deadline).  Spot reclaims come from a schedule
 * or a Poisson rate; the autoscaler is the Kubernetes HPA rule.
 */
#include <math.h>
#include <stdlib.h>

#include "backend.h"
#include "sim_int.h"

/* Integrate pool pr's serving replicas up to now (its mean_serving). */
void sim__serving_step(struct sim *s, struct pool_rt *pr)
{
    pr->serving_area += (double)pr->serving * (double)(s->now_ns - pr->serving_t);
    pr->serving_t = s->now_ns;
}

/* Move slot b to state st now: billing, warm-up and serving time, and
 * whether the routers may offer it. */
int sim__rep_set(struct sim *s, uint32_t b, enum rep_state st)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    struct pool_rt *pr = be->pr;
    if (sim__accrue(s, b, s->now_ns) != 0)
        return -1;
    int64_t in_state = s->now_ns - rp->state_t;
    if (rp->state == REP_WARMING)
        pr->res->warmup_s += (double)in_state / NS_PER_S;
    if (sim__rep_up(rp->state))
        rp->up_ns += in_state;
    bool was = rp->state == REP_ACTIVE, is = st == REP_ACTIVE;
    if (was != is) {
        sim__serving_step(s, pr);
        pr->serving = is ? pr->serving + 1 : pr->serving - 1;
        if (pr->serving < pr->res->min_serving)
            pr->res->min_serving = pr->serving;
        if (pr->serving > pr->res->max_serving)
            pr->res->max_serving = pr->serving;
        for (uint32_t r = 0; r < s->n_routers; r++)
            route_router_set_health(s->routers[r], b, is ? ROUTE_HEALTHY : ROUTE_DOWN);
    }
    rp->state = (uint8_t)st;
    rp->state_t = s->now_ns;
    return 0;
}

/* A draining replica is empty: release the machine. */
int sim__retire(struct sim *s, uint32_t b)
{
    if (sim__kill_replica(s, b) != 0) /* hung attempts, if any */
        return -1;
    return sim__rep_set(s, b, REP_OFF);
}

/* Slot b was reclaimed: kill what it holds, and ask for a replacement
 * machine unless the pool has none (replacement_delay: none). */
static int reclaim(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    if (sim__kill_replica(s, b) != 0)
        return -1;
    int64_t delay = be->pr->cfg->spot.replacement_delay_ns;
    if (delay < 0)
        return sim__rep_set(s, b, REP_OFF);
    if (sim__rep_set(s, b, REP_PENDING) != 0)
        return -1;
    be->rep.life_gen++;
    return sim__push(s, s->now_ns + delay, EV_REPLICA, b, be->rep.life_gen);
}

/* A spot reclaim of slot b: a billed replica gets its notice (no new
 * work; what it holds runs on until the deadline).  A warming replica
 * holds nothing and goes at once. */
static int preempt(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    if (!sim__rep_billed(rp->state) || rp->state == REP_NOTICE)
        return 0;
    be->pr->res->preemptions++;
    s->res->preemptions++;
    rp->life_gen++; /* a pending warm-up end no longer applies */
    int64_t notice = be->pr->cfg->spot.notice_ns;
    if (notice <= 0 || rp->state == REP_WARMING)
        return reclaim(s, b);
    if (sim__rep_set(s, b, REP_NOTICE) != 0)
        return -1;
    return sim__push(s, s->now_ns + notice, EV_REPLICA, b, rp->life_gen);
}

/* Common random numbers for reclaims.  A slot's reclaim times come from a
 * stream keyed only by (pool, slot, reclaim index), where the pool is its
 * rank among the spot pools present in the run: not by the backend index
 * (which moves with the backends listed before it), and not shared with
 * the stock-out draws (whose number depends on what happened).  So two
 * pools that differ only in on_kill, each run alone with `without:`,
 * are reclaimed at the same times, and the comparison measures on_kill. */
enum { STREAM_RECLAIM = 0, STREAM_STOCKOUT = 1 };

static void spot_stream(struct sim *s, uint32_t b, unsigned which, uint32_t k, struct rng *r)
{
    const struct backend_rt *be = &s->be[b];
    rng_keyed(r, s->seed, RNG_PREEMPT, be->pr->spot_key, (uint64_t)be->r * 2u + which, k);
}

/* Schedule slot b's next reclaim of its Poisson process of
 * preemptions_per_day (exponential gaps, keyed per slot and draw). */
static int preempt_next(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct rng r;
    spot_stream(s, b, STREAM_RECLAIM, be->rep.preempt_k++, &r);
    double mean_ns = NS_PER_DAY / be->pr->cfg->spot.preemptions_per_day;
    double gap = -log1p(-rng_unit(&r)) * mean_ns;
    if (gap < 1.0)
        gap = 1.0;
    if (gap >= (double)(INT64_MAX - s->now_ns))
        return 0; /* never, in practice */
    return sim__push_ex(s, s->now_ns + (int64_t)gap, EV_PREEMPT, b, 0, 0);
}

/* EV_PREEMPT: a reclaim from the schedule (aux 1) or from the slot's
 * Poisson process (aux 0: draws the next one first). */
int sim__on_preempt(struct sim *s, uint32_t b, uint32_t aux)
{
    if (aux == 0 && sim__work_remains(s) && preempt_next(s, b) != 0)
        return -1;
    return preempt(s, b);
}

/* Start slot b's replica: a model load (billed, not serving), then it
 * serves. */
static int rep_start(struct sim *s, uint32_t b)
{
    struct replica_rt *rp = &s->be[b].rep;
    if (rp->state == REP_DRAINING) /* still loaded: serves again at once */
        return sim__rep_set(s, b, REP_ACTIVE);
    if (sim__rep_set(s, b, REP_WARMING) != 0)
        return -1;
    rp->life_gen++;
    /* the model load: set for every pool, with or without `autoscale:` */
    return sim__push(s, s->now_ns + s->be[b].pr->cfg->autoscale.warmup_ns, EV_REPLICA, b,
                     rp->life_gen);
}

/* EV_REPLICA: slot b's lifecycle timer. */
int sim__on_replica(struct sim *s, uint32_t b, uint32_t gen)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    if (gen != rp->life_gen)
        return 0;
    switch ((enum rep_state)rp->state) {
    case REP_NOTICE:
        return reclaim(s, b);
    case REP_PENDING: {
        const struct scn_spot *sp = &be->pr->cfg->spot;
        struct rng r;
        spot_stream(s, b, STREAM_STOCKOUT, rp->stockout_k++, &r);
        if (rng_unit(&r) < sp->stockout_p) { /* no capacity: ask again later */
            be->pr->res->stockouts++;
            if (!sim__work_remains(s))
                return 0;
            rp->life_gen++;
            return sim__push(s, s->now_ns + sp->replacement_delay_ns, EV_REPLICA, b, rp->life_gen);
        }
        be->pr->res->replacements++;
        return rep_start(s, b);
    }
    case REP_WARMING:
        if (sim__rep_set(s, b, REP_ACTIVE) != 0)
            return -1;
        return sim__pool_resched(s, b); /* publish its signals */
    case REP_OFF:
    case REP_ACTIVE:
    case REP_DRAINING:
        break;
    }
    return 0;
}

/* Scale-down: stop slot b taking work; it is released once empty. */
static int rep_stop(struct sim *s, uint32_t b)
{
    struct backend_rt *be = &s->be[b];
    struct replica_rt *rp = &be->rep;
    rp->life_gen++;
    if (rp->state == REP_PENDING || rp->state == REP_WARMING)
        return sim__rep_set(s, b, REP_OFF);
    if (sim__rep_set(s, b, REP_DRAINING) != 0)
        return -1;
    if (pool_running(be->pr->pool, be->r) == 0 && pool_queue_depth(be->pr->pool, be->r) == 0 &&
        be->rep.step_t < 0)
        return sim__retire(s, b);
    return 0;
}

/* EV_AUTOSCALE: the Kubernetes HPA rule on pool k, on a gauge sampled at
 * the tick like a Prometheus scrape (KV-cache usage, waiting requests, or
 * running + waiting per serving replica).  desired =
 * ceil(serving x metric / target), unchanged within the tolerance, clamped
 * to [min, max]; warming and pending replicas count as current (HPA counts
 * unready pods).  Scale-up starts replicas at once (draining ones first);
 * scale-down waits until every recommendation over scale_down_delay was
 * lower (HPA's stabilization window) and then drains the newest replicas.
 * With no replica serving, any arrival since the last tick asks for one
 * (scale from zero, as KEDA's activation does). */
int sim__on_autoscale(struct sim *s, uint32_t k)
{
    struct pool_rt *pr = &s->pools.rt[k];
    const struct scn_pool *sp = pr->cfg;
    const struct scn_autoscale *as = &sp->autoscale;
    uint32_t serving = 0, current = 0;
    double kv_used = 0;
    int64_t queued = 0, running = 0;
    for (uint32_t i = 0; i < sp->slots; i++) {
        uint32_t b = sp->first_backend + i;
        struct replica_rt *rp = &s->be[b].rep;
        if (rp->state == REP_ACTIVE) {
            serving++;
            kv_used += 1.0 - pool_kv_free(pr->pool, i);
            queued += pool_queue_depth(pr->pool, i);
            running += pool_running(pr->pool, i);
        }
        if (rp->state == REP_ACTIVE || rp->state == REP_WARMING || rp->state == REP_PENDING)
            current++;
    }
    uint32_t desired = current;
    if (serving > 0) {
        double metric = as->metric == SCN_AS_UTILIZATION   ? kv_used / serving
                        : as->metric == SCN_AS_QUEUE_DEPTH ? (double)queued / serving
                                                           : (double)(queued + running) / serving;
        double ratio = metric / as->target;
        if (fabs(ratio - 1.0) > as->tolerance) {
            double d = ceil((double)serving * ratio - 1e-9);
            desired = d > (double)sp->slots ? sp->slots : (uint32_t)d;
        }
    } else if (current == 0) {
        desired = s->in.arrivals > pr->arrivals_at_tick ? 1 : 0;
    }
    pr->arrivals_at_tick = s->in.arrivals;
    if (desired < as->min)
        desired = as->min;
    if (desired > as->max)
        desired = as->max;
    if (desired > current) {
        pr->below_since_ns = -1;
        uint32_t need = desired - current;
        for (int pass = 0; pass < 2 && need > 0; pass++) /* draining first, then off */
            for (uint32_t i = 0; i < sp->slots && need > 0; i++) {
                uint32_t b = sp->first_backend + i;
                uint8_t st = s->be[b].rep.state;
                if (st == (pass == 0 ? REP_DRAINING : REP_OFF) && !s->be[b].absent) {
                    if (rep_start(s, b) != 0)
                        return -1;
                    pr->res->scale_ups++;
                    need--;
                }
            }
    } else if (desired < current) {
        if (pr->below_since_ns < 0 || desired > pr->below_max)
            pr->below_max = desired;
        if (pr->below_since_ns < 0)
            pr->below_since_ns = s->now_ns;
        if (s->now_ns - pr->below_since_ns >= as->scale_down_delay_ns) {
            uint32_t drop = current - pr->below_max;
            /* pending first, then warming, then the highest serving slots */
            static const uint8_t order[] = {REP_PENDING, REP_WARMING, REP_ACTIVE};
            for (uint32_t o = 0; o < 3 && drop > 0; o++)
                for (uint32_t i = sp->slots; i-- > 0 && drop > 0;) {
                    uint32_t b = sp->first_backend + i;
                    if (s->be[b].rep.state == order[o]) {
                        if (rep_stop(s, b) != 0)
                            return -1;
                        pr->res->scale_downs++;
                        drop--;
                    }
                }
            pr->below_since_ns = -1;
        }
    } else {
        pr->below_since_ns = -1;
    }
    if (!sim__work_remains(s))
        return 0;
    return sim__push(s, s->now_ns + as->interval_ns, EV_AUTOSCALE, k, 0);
}

/* Pools: one struct pool per scenario pool, its first `replicas` slots
 * serving (warm) at t = 0, the others off; preemption and autoscaler
 * events.  After the routers exist. */
int sim__pools_setup(struct sim *s)
{
    const struct scenario *scn = s->scn;
    uint32_t n = scn->n_pools;
    s->pools.rt = calloc(n, sizeof *s->pools.rt);
    s->res->pools = calloc(n, sizeof *s->res->pools);
    if (s->pools.rt == NULL || s->res->pools == NULL) {
        snprintf(s->err, s->errlen, "out of memory (pools)");
        return -1;
    }
    s->pools.n = s->res->n_pools = n;
    uint32_t spot_rank = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct scn_pool *sp = &scn->pools[k];
        struct pool_rt *pr = &s->pools.rt[k];
        pr->cfg = sp;
        pr->res = &s->res->pools[k];
        pr->below_since_ns = -1;
        snprintf(pr->res->name, sizeof pr->res->name, "%s", sp->name);
        snprintf(pr->res->profile, sizeof pr->res->profile, "%s", sp->profile->name);
        pr->res->spot = sp->spot.enabled;
        pr->res->usd_per_hour = sp->usd_per_hour;
        uint32_t present = 0;
        for (uint32_t i = 0; i < sp->slots; i++)
            present += !s->be[sp->first_backend + i].absent;
        pr->spot_key = spot_rank;
        if (sp->spot.enabled && present > 0)
            spot_rank++;
        char perr[160];
        if (pool_create(&sp->cfg, &pr->pool, perr, sizeof perr) != POOL_OK) {
            snprintf(s->err, s->errlen, "%s: %s", sp->name, perr);
            return -1;
        }
        uint32_t me = pool_max_events(pr->pool);
        if (me > s->pools.ev_cap) {
            struct pool_event *ne = realloc(s->pools.ev, (size_t)me * sizeof *ne);
            if (ne == NULL) {
                snprintf(s->err, s->errlen, "out of memory (pools)");
                return -1;
            }
            s->pools.ev = ne;
            s->pools.ev_cap = me;
        }
        for (uint32_t i = 0; i < sp->slots; i++) {
            uint32_t b = sp->first_backend + i;
            struct backend_rt *be = &s->be[b];
            be->ops = &sim__backend_pool;
            be->pr = pr;
            be->r = i;
            be->rep.step_t = -1;
            be->res->is_pool = true;
            if (i < sp->replicas && !be->absent) {
                be->rep.state = REP_ACTIVE;
                pr->serving++;
            }
            for (uint32_t r = 0; r < s->n_routers; r++) {
                route_router_set_signals(s->routers[r], b, 0, 1.0, 0);
                if (be->rep.state != REP_ACTIVE)
                    route_router_set_health(s->routers[r], b, ROUTE_DOWN);
            }
            if (!be->absent && sp->spot.enabled && sp->spot.preemptions_per_day > 0 &&
                preempt_next(s, b) != 0)
                return -1;
        }
        if (present == 0)
            continue; /* the pool is not in this run */
        pr->res->min_serving = pr->res->max_serving = pr->serving;
        for (uint32_t j = 0; j < sp->spot.n_schedule; j++) {
            const struct scn_preempt *e = &sp->spot.schedule[j];
            if (s->be[sp->first_backend + e->replica].absent)
                continue;
            if (sim__push_ex(s, e->at_ns, EV_PREEMPT, sp->first_backend + e->replica, 0, 1) != 0)
                return -1;
        }
        if (sp->autoscale.enabled &&
            sim__push(s, sp->autoscale.interval_ns, EV_AUTOSCALE, k, 0) != 0)
            return -1;
    }
    return 0;
}
