/*
 * engine.c - one run of a scenario under one strategy: set-up, the event
 * loop and its one event switch, teardown.
 *
 * The work is done by the handlers of the other files of sim/ (sim_int.h
 * says which file owns what): the loop pops the earliest event, moves the
 * clock, closes the time-series intervals it passed, and hands the event
 * to its handler.  Events of pool replicas and autoscalers name a backend
 * or a pool; the others name a request slot and are dropped when stale.
 *
 * Memory: O(in-flight requests + backends + intervals): requests live in a
 * slot pool recycled through a free list, metrics are histograms.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "err.h"
#include "gcache.h"
#include "pool.h"
#include "sim_int.h"

/* Without `duration:`, how long after the last arrival the run may go on
 * for requests still live: an attempt that hangs with `router.timeout: 0`
 * never ends, and periodic pool events (autoscaler ticks, spot notices,
 * replacements) would keep the clock going forever.  At this horizon the
 * run ends and such requests are counted in flight at the end
 * (in_flight_at_end; the completion_rate SLO sees them).  An assumption:
 * one simulated day, far beyond any finite attempt the models draw
 * (docs/limits.md). */
#define SIM_DRAIN_HORIZON_NS (24LL * 3600 * 1000000000LL)

static uint64_t env_rand(void *ctx)
{
    return rng_next((struct rng *)ctx);
}

/* First capacity of a timeout lane (entries; 2 KiB). */
#define SIM_TLANE_CAP0 64u

int sim__timeout_push(struct sim *s, const struct heap_ev *e)
{
    int64_t d = e->t_ns - s->now_ns;
    struct sim__tlane *l = NULL, *idle = NULL;
    for (uint32_t k = 0; k < SIM_TLANES; k++) {
        struct sim__tlane *c = &s->tl.l[k];
        if (c->n == 0) {
            if (idle == NULL)
                idle = c;
        } else if (c->delay_ns == d) {
            l = c;
            break;
        }
    }
    if (l == NULL) {
        if (idle == NULL)
            return 0; /* every lane holds another delay: the heap */
        l = idle;
        if ((uint32_t)(l - s->tl.l) >= s->tl.hi)
            s->tl.hi = (uint32_t)(l - s->tl.l) + 1;
        l->delay_ns = d;
        l->head = 0;
        s->tl.busy++;
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : SIM_TLANE_CAP0;
        struct heap_ev *r = cap > l->cap ? malloc((size_t)cap * sizeof *r) : NULL;
        if (r == NULL) {
            snprintf(s->err, s->errlen, "out of memory (event heap)");
            return -1;
        }
        for (uint32_t i = 0; i < l->n; i++) /* unwrap into the new ring */
            r[i] = l->ring[(l->head + i) & (l->cap - 1)];
        free(l->ring);
        l->ring = r;
        l->cap = cap;
        l->head = 0;
    }
    struct heap_ev *slot = &l->ring[(l->head + l->n) & (l->cap - 1)];
    *slot = *e;
    slot->seq = heap_take_seq(&s->heap);
    l->n++;
    return 1;
}

static int handle(struct sim *s, const struct heap_ev *e)
{
    switch ((enum ev_kind)e->kind) {
    case EV_ARRIVAL:
        return sim__on_arrival(s);
    case EV_POOL_STEP:
        return e->gen == s->be[e->idx].rep.step_gen ? sim__on_pool_step(s, e->idx) : 0;
    case EV_REPLICA:
        return sim__on_replica(s, e->idx, e->gen);
    case EV_PREEMPT:
        return sim__on_preempt(s, e->idx, e->aux);
    case EV_AUTOSCALE:
        return sim__on_autoscale(s, e->idx);
    case EV_DEADLINE:
        return sim__on_pool_deadline(s);
    default:
        break;
    }
    struct req *q = &s->reqs[e->idx];
    if (q->gen != e->gen || q->state == RS_FREE)
        return 0; /* stale: the attempt ended or was cancelled */
    switch ((enum ev_kind)e->kind) {
    case EV_ROUTE:
        return sim__route_req(s, e->idx);
    case EV_FIRST_TOKEN:
        return sim__on_first_token(s, e->idx);
    case EV_DONE:
        return sim__on_done(s, e->idx);
    case EV_FAIL:
        return sim__on_fail(s, e->idx);
    case EV_TIMEOUT:
        return sim__on_timeout(s, e->idx);
    case EV_QUEUE_TIMEOUT:
        return sim__on_queue_timeout(s, e->idx);
    case EV_HEDGE:
        return sim__on_hedge(s, e->idx);
    case EV_CACHE_HIT:
        return sim__on_cache_hit(s, e->idx);
    case EV_ARRIVAL:
    case EV_POOL_STEP:
    case EV_REPLICA:
    case EV_PREEMPT:
    case EV_AUTOSCALE:
    case EV_DEADLINE:
        break;
    }
    return 0;
}

static int setup(struct sim *s, const struct scenario *scn, const struct scn_strategy *strat,
                 uint64_t seed, struct sim_result *res)
{
    s->scn = scn;
    s->seed = seed;
    s->res = res;
    s->nb = scn->n_backends;
    s->ex_words = ROUTE_EXCLUDE_WORDS(s->nb);
    s->free_head = UINT32_MAX;
    s->pools.dl.armed_ns = -1;
    rng_stream(&s->router_rng, seed, RNG_ROUTER);
    s->env = (struct route_env){.now_ns = 0, .rand = env_rand, .rand_ctx = &s->router_rng};
    snprintf(res->strategy, sizeof res->strategy, "%s", strat->label);
    res->interval_ns = scn->interval_ns;
    if (hist_init(&res->ttft_hist) != 0 || hist_init(&s->m.e2e) != 0 || hist_init(&s->m.qwait) != 0)
        goto oom;
    if (heap_init(&s->heap, 1024) != 0 || sim__labels_init(s) != 0)
        goto oom;
    s->m.ts_cap = TS_INITIAL;
    res->ts = malloc(s->m.ts_cap * sizeof *res->ts);
    res->backends = calloc(s->nb, sizeof *res->backends);
    s->be = calloc(s->nb, sizeof *s->be);
    if (res->ts == NULL || res->backends == NULL || s->be == NULL)
        goto oom;
    res->n_backends = s->nb;
    s->m.ts_end_ns = scn->interval_ns;

    struct route_backend_cfg *cfgs = calloc(s->nb, sizeof *cfgs);
    if (cfgs == NULL)
        goto oom;
    for (uint32_t b = 0; b < s->nb; b++) {
        cfgs[b] = scn->backends[b].route;
        snprintf(res->backends[b].name, sizeof res->backends[b].name, "%s", scn->backends[b].name);
        s->be[b].res = &res->backends[b];
        s->be[b].ops = &sim__backend_api; /* pool slots: set by sim__pools_setup */
        if (api_state_init(&s->be[b].api, &scn->backends[b].api, 0, seed, b) != 0) {
            free(cfgs);
            goto oom;
        }
    }
    if (scn->n_accounts > 0) {
        s->acct = calloc(scn->n_accounts, sizeof *s->acct);
        if (s->acct == NULL) {
            free(cfgs);
            goto oom;
        }
        for (uint32_t a = 0; a < scn->n_accounts; a++)
            if (api_state_init(&s->acct[a], &scn->accounts[a].api, 0, seed, s->nb + a) != 0) {
                free(cfgs);
                goto oom;
            }
    }
    const struct scn_router *sr = &scn->router;
    s->n_routers = sr->shared_state ? 1 : (sr->replicas ? sr->replicas : 1);
    s->routers = calloc(s->n_routers, sizeof *s->routers);
    if (s->routers == NULL) {
        free(cfgs);
        goto oom;
    }
    const struct route_health_cfg *hc =
        sr->health.cooldown || sr->health.breaker || sr->health.outlier ? &sr->health : NULL;
    uint32_t reads = 0; /* the OR of the routers' route_router_reads */
    for (uint32_t r = 0; r < s->n_routers; r++) {
        s->routers[r] = route_router_create_spec(&strat->root, cfgs, s->nb, hc, sr->staleness_ns,
                                                 s->err, s->errlen);
        if (s->routers[r] == NULL) {
            free(cfgs);
            return -1;
        }
        /* A deployment's own cooldown time (LiteLLM litellm_params
         * cooldown_time), which route_backend_cfg cannot carry in ABI 3. */
        for (uint32_t b = 0; b < s->nb; b++) {
            if (scn->backends[b].cooldown_ns < 0)
                continue;
            struct route_backend_health bh = {.cooldown_ns = scn->backends[b].cooldown_ns};
            if (route_router_set_backend_health(s->routers[r], b, &bh) != 0) {
                free(cfgs);
                snprintf(s->err, s->errlen, "internal error: backend health of %s",
                         scn->backends[b].name);
                return -1;
            }
        }
        reads |= route_router_reads(s->routers[r]);
    }
    free(cfgs);
    /* What the engine produces for the routers depends on what some node
     * of theirs reads (route_router_reads; every signal with the test hook
     * sim_hooks.publish_all_signals): pool replicas publish queue and KV
     * only when read (backend_pool.c), and an API attempt's first token
     * gets an event of its own only when something reads it before the
     * last token: a TTFT reader, or a hedge racing the attempt
     * (backend_api.c, start_service). */
    if (s->hooks != NULL && s->hooks->publish_all_signals)
        reads = ROUTE_READS_ALL;
    s->pool_signals = (reads & (ROUTE_READS_KV | ROUTE_READS_QUEUE | ROUTE_READS_SIGNAL_TIME)) != 0;
    s->fold_first_token = (reads & ROUTE_READS_TTFT) == 0 && !sim__hedging(s);
    if (scn->n_groups > 0) {
        /* per group, the backends that do not serve it (group 0: none) */
        s->nonmember = calloc((size_t)(scn->n_groups + 1) * s->ex_words, sizeof(uint64_t));
        if (s->nonmember == NULL)
            goto oom;
        for (uint32_t g = 1; g <= scn->n_groups; g++)
            for (uint32_t b = 0; b < s->nb; b++)
                if (scn->backends[b].route.model_group != g)
                    s->nonmember[(size_t)g * s->ex_words + (b >> 6)] |= (uint64_t)1 << (b & 63u);
    }
    if (sr->hedge.percentile > 0 && hist_init(&s->hedge.ttft) != 0)
        goto oom;
    if (strat->without != NULL) {
        for (uint32_t b = 0; b < s->nb; b++) {
            if ((strat->without[b >> 6] >> (b & 63u) & 1u) == 0)
                continue;
            s->be[b].absent = true;
            for (uint32_t r = 0; r < s->n_routers; r++)
                route_router_set_health(s->routers[r], b, ROUTE_DOWN);
        }
    }
    if (scn->n_pools > 0 && sim__pools_setup(s) != 0)
        return -1;
    if (scn->cache.enabled) {
        s->cache = gcache_create(&scn->cache.cfg, s->err, s->errlen);
        if (s->cache == NULL)
            return -1;
    }
    if (sim__slots_grow(s) != 0)
        goto oom;
    s->in.trace = s->hooks && s->hooks->traffic
                      ? trace_open_mem(s->hooks->traffic, s->err, s->errlen)
                      : scn_open_traffic(scn, seed, s->err, s->errlen);
    if (s->in.trace == NULL)
        return -1;
    return sim__read_next(s);
oom:
    snprintf(s->err, s->errlen, "out of memory setting up the run");
    return -1;
}

static void teardown(struct sim *s)
{
    if (s->in.trace)
        trace_close(s->in.trace);
    if (s->routers)
        for (uint32_t r = 0; r < s->n_routers; r++)
            if (s->routers[r])
                route_router_destroy(s->routers[r]);
    free(s->routers);
    free(s->nonmember);
    for (int k = 0; k < TRACE_LABEL_KINDS_; k++)
        free(s->in.label_map[k]);
    if (s->reqs)
        for (uint32_t i = 0; i < s->cap; i++)
            free(s->reqs[i].blocks);
    hist_fini(&s->hedge.ttft);
    if (s->pools.rt)
        for (uint32_t k = 0; k < s->pools.n; k++)
            pool_destroy(s->pools.rt[k].pool);
    free(s->pools.rt);
    free(s->pools.ev);
    free(s->pools.kill);
    free(s->pools.dl.ring);
    gcache_destroy(s->cache);
    if (s->be)
        for (uint32_t b = 0; b < s->nb; b++)
            api_state_fini(&s->be[b].api);
    free(s->be);
    if (s->acct)
        for (uint32_t a = 0; a < s->scn->n_accounts; a++)
            api_state_fini(&s->acct[a]);
    free(s->acct);
    free(s->reqs);
    free(s->exclude);
    free(s->gwq.ring);
    heap_fini(&s->heap);
    for (uint32_t k = 0; k < SIM_TLANES; k++)
        free(s->tl.l[k].ring);
    hist_fini(&s->m.e2e);
    hist_fini(&s->m.qwait);
    sim__labels_fini(s);
}

int sim_run(const struct scenario *scn, const struct scn_strategy *strategy, uint64_t seed,
            const struct sim_hooks *hooks, struct sim_result *res, char *err, size_t errlen)
{
    struct sim s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.err = err;
    s.errlen = errlen;
    s.hooks = hooks;
    int rc = setup(&s, scn, strategy, seed, res);
    int64_t stop = scn->duration_ns > 0 ? scn->duration_ns : INT64_MAX;
    struct heap_ev e;
    uint64_t next_progress = hooks && hooks->on_progress ? SIM_PROGRESS_EVENTS : UINT64_MAX;
    /* Without a duration the window ends when the last request ends: the
     * loop stops as soon as no arrival is pending and no request is live,
     * whatever stale attempt events (timeouts that can no longer fire) or
     * lifecycle events (reclaims, replacements, autoscaler ticks) remain
     * queued.  Running on to them would bill replicas and stretch Little's
     * window past the traffic. */
    while (rc == 0) {
        /* the earliest of the heap's top, the armed arrival and the
         * timeout lanes' heads */
        const struct heap_ev *next = heap_top(&s.heap);
        struct sim__tlane *lane = NULL;
        if (s.arr_armed && (next == NULL || heap_ev_before(&s.arr, next)))
            next = &s.arr;
        if (s.tl.busy > 0)
            for (uint32_t k = 0; k < s.tl.hi; k++) {
                struct sim__tlane *l = &s.tl.l[k];
                if (l->n > 0 && (next == NULL || heap_ev_before(&l->ring[l->head], next))) {
                    next = &l->ring[l->head];
                    lane = l;
                }
            }
        if (next == NULL || next->t_ns >= stop || !sim__work_remains(&s))
            break;
        if (stop == INT64_MAX && !s.in.has_pending) /* the last arrival is in: the horizon */
            stop = s.now_ns > INT64_MAX - SIM_DRAIN_HORIZON_NS ? INT64_MAX
                                                               : s.now_ns + SIM_DRAIN_HORIZON_NS;
        if (next->t_ns >= stop)
            break;
        e = *next;
        if (lane != NULL) {
            lane->head = (lane->head + 1) & (lane->cap - 1);
            if (--lane->n == 0)
                s.tl.busy--;
        } else if (next == &s.arr) {
            s.arr_armed = false;
        } else {
            s.top_taken = true; /* popped by the handler's first push, or below */
        }
        s.now_ns = e.t_ns;
        s.env.now_ns = e.t_ns;
        res->events++;
        if (e.t_ns >= s.m.ts_end_ns)
            rc = sim__ts_advance(&s, e.t_ns);
        if (rc == 0)
            rc = handle(&s, &e);
        if (s.top_taken) {
            s.top_taken = false;
            heap_drop_top(&s.heap);
        }
        if (res->events >= next_progress) {
            next_progress += SIM_PROGRESS_EVENTS;
            hooks->on_progress(hooks->ctx, s.in.arrivals, s.now_ns);
        }
    }
    if (rc == 0) {
        if (scn->duration_ns > 0 && s.now_ns < stop)
            s.now_ns = stop; /* the clock runs to the end of the window */
        if (s.now_ns > 0 && sim__ts_advance(&s, s.now_ns) != 0)
            rc = -1;
        if (rc == 0 && sim__ts_row(&s, s.now_ns > 0 ? s.now_ns - 1 : 0) == NULL)
            rc = -1;
    }
    if (rc == 0) {
        /* the last, partial interval: snapshot at the end */
        struct sim_ts_row *last = &res->ts[res->n_ts - 1];
        if (last->inflight < 0) {
            uint32_t serving = 0;
            if (s.pools.n > 0 && sim__pools_snapshot(&s, s.now_ns, &serving) != 0)
                rc = -1;
            last = &res->ts[res->n_ts - 1];
            last->inflight = s.live;
            last->healthy = sim__healthy_backends(&s, s.now_ns);
            last->serving = serving;
            sim__tsb_health(&s, (int64_t)res->n_ts - 1, s.now_ns);
        } else if (s.pools.n > 0 && sim__accrue_all(&s, s.now_ns) != 0) {
            rc = -1;
        }
    }
    if (rc == 0) {
        sim__report_unfinished(&s, stop);
        if (hooks && hooks->on_progress)
            hooks->on_progress(hooks->ctx, s.in.arrivals, s.now_ns);
        res->trace_rows_skipped = trace_skipped(s.in.trace);
        sim__summarise(&s);
        if (hooks != NULL && hooks->e2e_out != NULL) { /* time-parallel merge (tparallel.c) */
            *hooks->e2e_out = s.m.e2e;
            *hooks->qwait_out = s.m.qwait;
            memset(&s.m.e2e, 0, sizeof s.m.e2e);
            memset(&s.m.qwait, 0, sizeof s.m.qwait);
        }
        if (sim__labels_summarise(&s) != 0) {
            snprintf(err, errlen, "out of memory (labels)");
            rc = -1;
        }
    }
    if (rc == 0) {
        sim_slo_eval(&scn->slo, res);
    } else if (err[0] == '\0') {
        snprintf(err, errlen, "out of memory");
    }
    teardown(&s);
    if (rc != 0) {
        sim_result_free(res);
        /* the handlers return -1 for every failure; the message tells an
           allocation failure (the CLI's exit 3) from bad input (exit 2) */
        return base_err_oom_or(err, BASE_EINVAL);
    }
    return 0;
}

void sim_result_free(struct sim_result *res)
{
    if (res->pools)
        for (uint32_t k = 0; k < res->n_pools; k++)
            free(res->pools[k].serving_ts);
    free(res->pools);
    res->pools = NULL;
    res->n_pools = 0;
    free(res->backends);
    free(res->ts);
    free(res->ts_backends);
    free(res->labels);
    free(res->label_slo);
    res->ts_backends = NULL;
    res->labels = NULL;
    res->label_slo = NULL;
    res->n_labels = res->n_label_slo = 0;
    hist_fini(&res->ttft_hist);
    res->backends = NULL;
    res->ts = NULL;
    res->n_backends = res->n_ts = 0;
}
