/*
 * backend_api.c - the hosted API backend kind (models/api.h).
 *
 * An admitted attempt draws its first-token time, decode time and faults
 * at once (api_draw, keyed per request, backend and attempt); a full
 * account queues attempts in the front's FIFO until a slot frees.
 */
#include "backend.h"
#include "sim_int.h"

static bool req_live(void *ctx, uint32_t idx, uint32_t gen)
{
    const struct sim *s = ctx;
    return s->reqs[idx].gen == gen && s->reqs[idx].state != RS_FREE;
}

/* Service starts for the current attempt (admitted now or dequeued). */
static int start_service(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct rng r;
    rng_keyed(&r, s->seed, RNG_LATENCY, q->rr.id, b, q->rr.attempt);
    api_draw(&s->scn->backends[b].api, &s->be[b].api, &r, s->now_ns, q->rr.input_tokens,
             q->rr.output_tokens, &q->draw);
    q->state = RS_SERVICE;
    q->ft_due_ns = -1;
    if (q->draw.hang) /* no first token ever: only the attempt timeout ends it */
        return 0;
    q->draw.ttft_ns += sim__rtt_ns(s, q, b);
    if (s->fold_first_token && !q->draw.fail && q->e2e_to_ns <= 0) {
        /* Nothing happens at the first token that anything reads before
         * the last one (engine.c, setup: no strategy reads TTFTs, no
         * hedge races it, no whole-response timeout needs the state):
         * one event for both.  sim__on_done does the first token's work
         * (the client's TTFT, the router's first-token record) and
         * sim__streaming tells a timeout the attempt is streaming. */
        q->ft_due_ns = s->now_ns + q->draw.ttft_ns;
        return sim__push(s, q->ft_due_ns + q->draw.decode_ns, EV_DONE, idx, q->gen);
    }
    return sim__push(s, s->now_ns + q->draw.ttft_ns, q->draw.fail ? EV_FAIL : EV_FIRST_TOKEN, idx,
                     q->gen);
}

/* A backend slot was freed: hand it to the next live queued attempt. */
static int api_release_slot(struct sim *s, uint32_t b)
{
    uint32_t idx, gen;
    int64_t enq;
    if (!api_release(&s->be[b].api, req_live, s, &idx, &gen, &enq))
        return 0;
    struct req *q = &s->reqs[idx];
    q->queue_wait_ns += s->now_ns - enq;
    sim__signal_queue(s, b);
    return start_service(s, idx);
}

/* Admitted now: the first token (or error) comes at ttft_ns after
 * dispatch, already drawn.  A timeout that cannot fire first is not
 * scheduled; one event fewer per request (the first-token event was pushed
 * earlier, so on a tie it fires first either way). */
static int api_start(struct sim *s, uint32_t idx, enum sim__start *how)
{
    if (start_service(s, idx) != 0)
        return -1;
    const struct req *q = &s->reqs[idx];
    *how = q->draw.ttft_ns <= q->ttft_to_ns ? SIM__START_UNTIMED : SIM__START_TIMED;
    return 0;
}

/* The last token comes after the decode time drawn at the start. */
static int api_first_token(struct sim *s, uint32_t idx)
{
    const struct req *q = &s->reqs[idx];
    return sim__push(s, s->now_ns + q->draw.decode_ns, EV_DONE, idx, q->gen);
}

/* Nothing is held beyond the front's accounting, which the gateway does. */
static int api_leave(struct sim *s, uint32_t idx)
{
    (void)s;
    (void)idx;
    return 0;
}

/* An account is up whenever it is not in an outage. */
static bool api_up(const struct sim *s, uint32_t b)
{
    (void)s;
    (void)b;
    return true;
}

const struct sim__backend_ops sim__backend_api = {
    .kind = "api",
    .start = api_start,
    .first_token = api_first_token,
    .leave = api_leave,
    .release = api_release_slot,
    .up = api_up,
};
