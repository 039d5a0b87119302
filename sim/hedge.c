/*
 * hedge.c - hedged requests: after the first attempt of a client request
 * has gone without a first token for a while, a copy goes to another
 * backend; the first to answer wins and the other is cancelled.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "sim_int.h"

/* Hedged requests: after the first attempt of a client request is sent,
 * schedule a hedge check at the configured delay (fixed, or the current
 * percentile of observed attempt TTFTs). */
int sim__hedge_schedule(struct sim *s, uint32_t idx)
{
    const struct scn_hedge *h = &s->scn->router.hedge;
    struct req *q = &s->reqs[idx];
    if (!sim__hedging(s) || q->is_hedge || q->rr.attempt != 1 || q->fallbacks_done > 0 ||
        q->hedges_done >= h->max_hedges)
        return 0;
    int64_t delay = h->after_ns > 0 ? h->after_ns : s->hedge.delay_ns;
    if (delay <= 0)
        return 0; /* percentile mode before any TTFT was observed */
    return sim__push(s, s->now_ns + delay, EV_HEDGE, idx, q->gen);
}

/* An attempt TTFT for the hedge delay estimate.  A cancelled attempt is
 * right-censored (its TTFT is at least the time it ran); counting that time
 * keeps the estimate from drifting low, since losers are the slow ones. */
void sim__hedge_observe(struct sim *s, int64_t ttft_ns)
{
    if (s->scn->router.hedge.percentile <= 0)
        return;
    hist_add(&s->hedge.ttft, ttft_ns);
    if (++s->hedge.since >= HEDGE_REFRESH_SAMPLES) {
        s->hedge.since = 0;
        s->hedge.delay_ns = hist_quantile(&s->hedge.ttft, s->scn->router.hedge.percentile);
    }
}

/* Cancel the attempt of slot idx wherever it is (a hedge race was lost). */
/* payer: the slot that carries the client request on (its cost_usd takes
 * what the cancelled copy is billed). */
static int cancel_attempt(struct sim *s, uint32_t idx, struct req *payer)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = q->backend >= 0 ? (uint32_t)q->backend : 0;
    bool in_service = q->state == RS_SERVICE;
    if (in_service || q->state == RS_BACKEND_QUEUE)
        sim__hedge_observe(s, s->now_ns - q->attempt_ns);
    if (q->state == RS_BACKEND_QUEUE) {
        api_queue_cancelled(&s->be[b].api);
        sim__signal_queue(s, b);
    }
    if (in_service || q->state == RS_BACKEND_QUEUE) {
        const struct scn_backend *sb = &s->scn->backends[b];
        sim__api_complete(s, q, b, 0);
        double c = sb->api.price_input * (double)q->rr.input_tokens;
        if (in_service && s->scn->router.hedge.bill_loser != API_BILL_NOTHING && c > 0) {
            for (uint32_t r = 0; r < s->n_routers; r++)
                route_router_add_cost(s->routers[r], b, c, s->now_ns);
            payer->cost_usd += c;
            if (q->measured) {
                struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
                if (row == NULL)
                    return -1;
                s->be[b].res->cost_usd += c;
                s->res->cost_usd += c;
                row->cost_usd += c;
            }
        }
        struct route_outcome out = {
            .error_class = ROUTE_EC_GENERIC,
            .status = ROUTE_CANCELLED,
            .http_status = 499, /* client closed the request (nginx) */
            .latency_ns = s->now_ns - q->attempt_ns,
            .ttft_ns = -1,
            .input_tokens = q->rr.input_tokens,
            .output_tokens = 0,
            .retry_after_ns = -1,
        };
        route_router_complete(sim__router(s, q), b, &q->rr, &out, &s->env);
    }
    if (s->be[b].ops->leave(s, idx) != 0)
        return -1;
    sim__slot_release(s, idx);
    if (in_service && s->be[b].ops->release(s, b) != 0)
        return -1;
    return 0;
}

/* Slot idx got its first token while linked to a hedge partner: it wins
 * the race, the partner is cancelled, and a winning hedge becomes the
 * client request. */
int sim__hedge_resolve(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t other = q->partner;
    q->partner = NO_SLOT;
    s->reqs[other].partner = NO_SLOT;
    q->cost_usd += s->reqs[other].cost_usd; /* the request's cost is both copies' */
    if (q->is_hedge) {
        q->is_hedge = false;
        q->queue_wait_ns += s->reqs[other].queue_wait_ns;
        if (q->measured)
            s->res->hedge_wins++;
    }
    return cancel_attempt(s, other, q);
}

/* EV_HEDGE: the first attempt of idx still has no first token: send a
 * copy to another backend. */
int sim__on_hedge(struct sim *s, uint32_t idx)
{
    struct req *p = &s->reqs[idx];
    if ((p->state != RS_SERVICE && p->state != RS_BACKEND_QUEUE) || p->partner != NO_SLOT)
        return 0;
    uint32_t h;
    if (sim__slot_take(s, &h) != 0)
        return -1;
    p = &s->reqs[idx]; /* the slots may have moved */
    struct req *q = &s->reqs[h];
    uint32_t gen = q->gen;
    *q = *p;
    q->gen = gen;
    q->is_hedge = true;
    q->cost_usd = 0.0; /* its own attempts' (sim__finish hands it on) */
    q->partner = idx;
    q->at_pool = AT_POOL_NONE; /* the copy is not on the primary's replica */
    q->blocks = NULL;
    if (p->blocks != NULL) {
        q->blocks = malloc((size_t)p->rr.n_blocks * sizeof *q->blocks);
        if (q->blocks == NULL) {
            snprintf(s->err, s->errlen, "out of memory (prefix blocks)");
            return -1;
        }
        memcpy(q->blocks, p->blocks, (size_t)p->rr.n_blocks * sizeof *q->blocks);
        q->rr.blocks = q->blocks;
    }
    memcpy(sim__exclude(s, h), sim__exclude(s, idx), s->ex_words * sizeof(uint64_t));
    p->hedges_done++;
    q->hedges_done = p->hedges_done;
    int32_t pick = route_router_pick(sim__router(s, q), &q->rr, &s->env, sim__exclude(s, h));
    if (pick < 0) { /* nowhere else to send it */
        sim__slot_release(s, h);
        return 0;
    }
    p->partner = h;
    if (q->measured)
        s->res->hedges++;
    return sim__dispatch(s, h, (uint32_t)pick);
}
