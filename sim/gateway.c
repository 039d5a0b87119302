/*
 * gateway.c - a request's life at the gateway.
 *
 * The gateway here plays the part a production LLM gateway (LiteLLM,
 * Portkey) plays around route/: for each client request it asks the
 * router for a backend, sends an attempt, and on a 429, 5xx or timeout
 * retries after a backoff, rerouting away from the backends already tried,
 * until route_retry_should() says to give up; then it may switch to a
 * fallback model group.  Before any routing, the gateway's response cache
 * may answer; when the router answers FULL, the request waits in the
 * gateway's FIFO.  Hedged attempts are in hedge.c; how a backend serves an
 * admitted attempt is its kind's (backend.h).
 *
 * Common random numbers.  Arrivals and sizes come from the trace (or the
 * synthetic streams); an attempt's latency and fault draws come from
 * rng_keyed(seed, purpose, request id, backend, attempt): the same request
 * meets the same latency on the same backend whichever strategy sent it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "err.h"
#include "gcache.h"
#include "sim_int.h"

/* A trace model group that no backend serves, when the scenario declares
 * groups and no router.default_group: refused at its first request. */
#define GROUP_REFUSED (UINT32_MAX - 1)

static bool group_served(const struct scenario *scn, uint32_t g)
{
    for (uint32_t b = 0; g != 0 && b < scn->n_backends; b++)
        if (scn->backends[b].route.model_group == g)
            return true;
    return false;
}

/* The error for a request whose trace group maps to GROUP_REFUSED: the
 * group, the trace line, the groups served and the way to opt in. */
static int refuse_group(struct sim *s, const struct trace_rec *t)
{
    const struct scenario *scn = s->scn;
    const char *name =
        trace_label(s->in.trace, TRACE_LABEL_MODEL_GROUP, t->label[TRACE_LABEL_MODEL_GROUP]);
    char served[256] = "";
    size_t k = 0;
    for (uint32_t g = 1; g <= scn->n_groups && k < sizeof served; g++) {
        if (!group_served(scn, g))
            continue;
        int w = snprintf(served + k, sizeof served - k, "%s%s", k ? ", " : "", scn->groups[g - 1]);
        k += w > 0 ? (size_t)w : 0;
    }
    snprintf(s->err, s->errlen,
             "%s:%llu: found model_group '%s', which no backend serves; expected one of: %s "
             "(or set router.default_group to route unknown groups there)",
             scn->traffic.path ? scn->traffic.path : "trace", (unsigned long long)t->line,
             name ? name : "?", served);
    return BASE_EINVAL;
}

/* map_label's work for a label id != 0 (out of line: most traffic carries
 * no labels, and the unlabelled case stays a compare at the call). */
static uint32_t map_label_id(struct sim *s, enum trace_label_kind k, uint32_t id)
{
    if (id >= s->in.label_cap[k]) {
        uint32_t ncap = id * 2 + 16;
        uint32_t *n = realloc(s->in.label_map[k], (size_t)ncap * sizeof *n);
        if (n == NULL)
            return 0; /* out of memory: treated as unlabelled */
        memset(n + s->in.label_cap[k], 0, (size_t)(ncap - s->in.label_cap[k]) * sizeof *n);
        s->in.label_map[k] = n;
        s->in.label_cap[k] = ncap;
    }
    if (s->in.label_map[k][id] == 0) {
        const char *str = trace_label(s->in.trace, k, id);
        uint32_t v = 0;
        if (str != NULL) {
            switch (k) {
            case TRACE_LABEL_MODEL_GROUP:
                /* Unknown groups go to the default only when the scenario
                   asked for it (router.default_group) or names no group
                   at all (every backend serves every request); else they
                   are refused, never silently rerouted. */
                v = scn_group_id(s->scn, str);
                /* A Portkey tree routes by its own conditions, which may
                   name groups no backend serves (params.model). */
                if (s->scn->router.loop == ROUTE_LOOP_PORTKEY)
                    break;
                if (!group_served(s->scn, v) && s->scn->n_groups > 0)
                    v = s->scn->router.default_group_set ? 0 : GROUP_REFUSED;
                break;
            case TRACE_LABEL_TASK:
                /* tool 1, a task a Portkey condition names 3.., other 2 */
                v = scn_task_id(s->scn, str);
                break;
            case TRACE_LABEL_REGION:
                /* a region no backend names matches only backends of any region */
                v = scn_region_id(s->scn, str);
                if (v == 0)
                    v = UINT32_MAX - 1;
                break;
            case TRACE_LABEL_TENANT:
                /* the scenario's id when a Portkey condition names the
                   tenant, else one past them (a tenant no condition names) */
                v = scn_tenant_id(s->scn, str);
                if (v == 0)
                    v = s->scn->n_tenants + 1;
                break;
            case TRACE_LABEL_KINDS_:
                v = id;
                break;
            }
        }
        s->in.label_map[k][id] = v + 1;
    }
    return s->in.label_map[k][id] - 1;
}

/* Map a trace label id to the scenario's id space (cached per id; 0, no
 * label, maps to 0). */
static inline uint32_t map_label(struct sim *s, enum trace_label_kind k, uint32_t id)
{
    return id == 0 ? 0 : map_label_id(s, k, id);
}

/* Publish the depth of backend b's front FIFO to every gateway replica's
 * router (no KV-cache signal: -1). */
void sim__signal_queue(struct sim *s, uint32_t b)
{
    for (uint32_t r = 0; r < s->n_routers; r++)
        route_router_set_signals(s->routers[r], b, (int64_t)s->be[b].api.q_live, -1.0, s->now_ns);
}

/* A time-parallel window's arrivals (sim_hooks span_*): skip those before
 * its span, read and dropped with their ids, and stop at its end. */
static int span_clip(struct sim *s, int rc)
{
    const struct sim_hooks *h = s->hooks;
    while (rc > 0 && s->in.pending.arrival_ns < h->span_from_ns) {
        s->in.next_id++;
        rc = trace_next(s->in.trace, &s->in.pending, s->err, s->errlen);
    }
    if (rc > 0 && h->span_until_ns > 0 && s->in.pending.arrival_ns >= h->span_until_ns)
        rc = 0;
    return rc;
}

/* Read the next trace record and schedule its arrival (none at or past the
 * window's end). */
int sim__read_next(struct sim *s)
{
    int rc = trace_next(s->in.trace, &s->in.pending, s->err, s->errlen);
    if (rc < 0)
        return -1;
    const struct sim_hooks *h = s->hooks; /* time-parallel window (tparallel.c) */
    if (rc > 0 && h != NULL && (h->span_from_ns > 0 || h->span_until_ns > 0))
        rc = span_clip(s, rc);
    if (rc < 0)
        return -1;
    s->in.has_pending = rc > 0;
    if (s->in.has_pending && s->scn->duration_ns > 0 &&
        s->in.pending.arrival_ns >= s->scn->duration_ns)
        s->in.has_pending = false;
    if (s->in.has_pending) /* armed outside the heap, in its place in the order */
        s->arr = (struct heap_ev){
            .t_ns = s->in.pending.arrival_ns, .seq = heap_take_seq(&s->heap), .kind = EV_ARRIVAL};
    s->arr_armed = s->in.has_pending;
    return 0;
}

/* Hand request q to the on_request hook: answered with http_status, or
 * still in flight at the end of the run (0). */
static void report_request(struct sim *s, const struct req *q, int http_status, int64_t end_ns)
{
    bool ok = http_status == 200;
    int64_t ft = q->first_token_ns;
    /* in flight at the end: a folded first token (backend_api.c) came if
     * its event would have fired before the end */
    if (http_status == 0 && ft < 0 && !q->no_stream && q->ft_due_ns >= 0 && q->ft_due_ns < end_ns)
        ft = q->ft_due_ns;
    struct sim_req_record rec = {
        .id = q->rr.id,
        .arrival_ns = q->arrival_ns,
        .first_token_ns = ok || http_status == 0 ? ft : -1,
        .done_ns = http_status == 0 ? -1 : s->now_ns,
        .queue_wait_ns = q->queue_wait_ns,
        .input_tokens = q->rr.input_tokens,
        .output_tokens = q->rr.output_tokens,
        .attempts = q->rr.attempt,
        .final_status = http_status,
        .backend = q->backend,
        .measured = q->measured,
        .cost_usd = q->cost_usd,
        .attempts_total = q->attempts_total,
        /* only a cache answer reaches the client as a 200 without an attempt */
        .cache_hit = s->cache == NULL ? -1 : (int8_t)(ok && q->attempts_total == 0),
        .fallback = q->fallbacks_done > 0,
        .hedged = q->hedges_done > 0,
    };
    sim__label_names(s, q, rec.label);
    s->hooks->on_request(s->hooks->ctx, &rec);
}

void sim__report_unfinished(struct sim *s, int64_t end_ns)
{
    if (s->hooks == NULL || s->hooks->on_request == NULL || !s->hooks->report_unfinished)
        return;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->reqs[i].state != RS_FREE && !s->reqs[i].is_hedge)
            report_request(s, &s->reqs[i], 0, end_ns);
}

/* The client gets its answer: 200, or the final error. */
int sim__finish(struct sim *s, uint32_t idx, int http_status, bool gateway_429)
{
    struct req *q = &s->reqs[idx];
    if (q->partner != NO_SLOT) {
        struct req *h = &s->reqs[q->partner];
        if (http_status != 200 && h->state != RS_FREE) {
            /* This attempt chain gave up, but its hedge is still running:
             * the hedge carries the client request from here on. */
            h->is_hedge = false;
            h->partner = NO_SLOT;
            h->queue_wait_ns += q->queue_wait_ns;
            h->cost_usd += q->cost_usd;
            sim__slot_release(s, idx);
            return 0;
        }
        h->partner = NO_SLOT;
    }
    if (q->is_hedge) { /* a hedge that failed on its own: nothing for the client */
        sim__slot_release(s, idx);
        return 0;
    }
    struct sim_result *res = s->res;
    bool ok = http_status == 200;
    if (q->measured) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        sim__little_step(s, s->now_ns);
        s->m.live_measured--;
        s->m.sojourn_sum_ns += (double)(s->now_ns - q->arrival_ns);
        hist_add(&s->m.qwait, q->queue_wait_ns);
        if (ok) {
            res->completed++;
            row->completed++;
            hist_add(&res->ttft_hist, q->first_token_ns - q->arrival_ns);
            hist_add(&s->m.e2e, s->now_ns - q->arrival_ns);
            row->ttft_sum_s += (double)(q->first_token_ns - q->arrival_ns) / NS_PER_S;
        } else {
            res->failed++;
            row->failed++;
            if (http_status == 429) {
                row->client_429++;
                if (gateway_429)
                    res->client_429_gateway++;
                else
                    res->client_429_provider++;
            }
        }
        if (sim__label_finish(s, q, http_status, gateway_429) != 0)
            return -1;
    }
    if (s->hooks && s->hooks->on_request)
        report_request(s, q, http_status, s->now_ns);
    sim__slot_release(s, idx);
    s->live--;
    return 0;
}

static bool untried_left(struct sim *s, uint32_t idx)
{
    const struct route_view *v = route_router_view(sim__router(s, &s->reqs[idx]));
    const uint64_t *ex = sim__exclude(s, idx);
    for (uint32_t b = 0; b < v->n; b++)
        if (route_usable(v, ex, b))
            return true;
    return false;
}

/* Tell the hooks an attempt of request idx ended with `http`. */
static void attempt_ended(struct sim *s, const struct req *q, int http)
{
    if (s->hooks == NULL || s->hooks->on_attempt == NULL)
        return;
    struct sim_attempt_record rec = {
        .req_id = q->rr.id,
        .attempt = q->attempts_total,
        .backend = q->backend,
        .group = q->group,
        .start_ns = q->attempt_ns,
        .end_ns = s->now_ns,
        .http_status = http,
        .hedge = q->is_hedge,
    };
    s->hooks->on_attempt(s->hooks->ctx, &rec);
}

void sim__api_complete(struct sim *s, const struct req *q, uint32_t b, int64_t produced)
{
    const struct scn_backend *sb = &s->scn->backends[b];
    api_complete(&sb->api, &s->be[b].api, s->now_ns, q->rr.max_tokens, produced);
    if (sb->account >= 0)
        api_complete(&s->scn->accounts[sb->account].api, &s->acct[sb->account], s->now_ns,
                     q->rr.max_tokens, produced);
}

/* Bill an attempt to its backend (and the run, if measured). */
int sim__bill(struct sim *s, struct req *q, uint32_t b, bool ok, int64_t produced)
{
    double c =
        api_cost(&s->scn->backends[b].api, q->rr.input_tokens, q->rr.output_tokens, produced, ok);
    if (c != 0.0) /* budgets count every dollar billed */
        for (uint32_t r = 0; r < s->n_routers; r++)
            route_router_add_cost(s->routers[r], b, c, s->now_ns);
    q->cost_usd += c;
    if (q->measured && c != 0.0) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        struct sim_ts_backend *tb = sim__tsb_last(s, b); /* row's interval */
        s->be[b].res->cost_usd += c;
        s->res->cost_usd += c;
        row->cost_usd += c;
        tb->cost_usd += c;
        SIM__LABEL_ADD(s, q, cost_usd, c);
    }
    return 0;
}

/* Switch request idx to its next fallback group for a failure of class
 * ec; true if there was one (the request is routed again now). */
static int try_fallback(struct sim *s, uint32_t idx, enum route_error_class ec, bool *done)
{
    struct req *q = &s->reqs[idx];
    const struct route_fallbacks *f = &s->scn->router.fallbacks;
    *done = false;
    if (f->n_rules == 0 || q->is_hedge)
        return 0;
    int64_t g = route_fallback_target(f, q->origin_group, ec, q->fallbacks_done);
    if (g < 0)
        return 0;
    q->fallbacks_done++;
    q->group = (uint32_t)g;
    q->rr.model_group = (uint32_t)g;
    q->rr.fallback_depth = q->fallbacks_done;
    q->rr.attempt = 0; /* each fallback group gets its own retries (LiteLLM) */
    memset(q->fails_of, 0, sizeof q->fails_of);
    sim__exclude_init(s, idx);
    if (q->measured)
        s->res->fallbacks++;
    q->state = RS_BACKOFF;
    *done = true;
    return sim__push(s, s->now_ns, EV_ROUTE, idx, q->gen);
}

/* The current attempt of request idx failed with `cls`. */
int sim__attempt_failed(struct sim *s, uint32_t idx, enum route_status cls, int http,
                        int64_t retry_after_ns, int64_t ttft_ns, enum route_error_class ec)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    struct sim_backend_result *br = s->be[b].res;
    if (q->measured) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        struct sim_ts_backend *tb = sim__tsb_at(s, row, b);
        if (cls == ROUTE_RATE_LIMITED) {
            br->upstream_429++;
            s->res->upstream_429++;
            row->upstream_429++;
            tb->upstream_429++;
            SIM__LABEL_ADD(s, q, upstream_429, 1);
        } else {
            br->errors++;
            row->errors++;
            tb->errors++;
            if (cls == ROUTE_TIMEOUT) {
                br->timeouts++;
                s->res->timeouts++;
            }
        }
    }
    struct route_outcome out = {
        .error_class = ec,
        .status = cls,
        .http_status = http,
        .latency_ns = s->now_ns - q->attempt_ns,
        .ttft_ns = ttft_ns,
        .input_tokens = q->rr.input_tokens,
        .output_tokens = 0,
        .retry_after_ns = retry_after_ns,
    };
    route_router_complete(sim__router(s, q), b, &q->rr, &out, &s->env);
    attempt_ended(s, q, http);
    q->gen++; /* drop the attempt's pending events */
    if (q->fails_of[cls] < UINT16_MAX)
        q->fails_of[cls]++;
    if (q->is_hedge) /* a hedge gets no retries: its primary goes on */
        return sim__finish(s, idx, http, false);
    if (s->scn->router.loop != ROUTE_LOOP_LBSIM)
        return sim__loop_failed(s, idx, cls, http, retry_after_ns, ec);

    bool done = false;
    /* Context-window and content-policy failures skip retries when a
     * fallback of their class exists (LiteLLM should_retry_this_error). */
    if (ec != ROUTE_EC_GENERIC) {
        if (try_fallback(s, idx, ec, &done) != 0)
            return -1;
        if (done)
            return 0;
    }
    const struct route_retry *pol = &s->scn->router.retry;
    int64_t delay = -1;
    if (route_retry_should_class(pol, q->rr.attempt, q->fails_of[cls], cls)) {
        struct rng jr;
        rng_keyed(&jr, s->seed, RNG_BACKOFF, q->rr.id, q->rr.attempt, q->fallbacks_done);
        delay = route_retry_delay_ex(pol, q->rr.attempt, cls, retry_after_ns, q->waited_ns,
                                     rng_unit(&jr), untried_left(s, idx));
    }
    if (delay < 0) { /* no retry (or the Retry-After budget is spent): fall back or give up */
        if (try_fallback(s, idx, ec, &done) != 0)
            return -1;
        return done ? 0 : sim__finish(s, idx, http, false);
    }
    if (q->measured) {
        s->res->retries++;
        SIM__LABEL_ADD(s, q, retries, 1);
    }
    q->waited_ns += delay;
    q->state = RS_BACKOFF;
    return sim__push(s, s->now_ns + delay, EV_ROUTE, idx, q->gen);
}

/*
 * The timeouts of the attempt being dispatched.  lbsim's router.timeout
 * bounds the time to the first token of every attempt.  A router config's
 * timeouts (LiteLLM's, docs/notes/litellm-replay.md 2.6) depend on whether
 * the request streams: a streamed attempt must send its first chunk
 * within stream_timeout (the deployment's, else the router's), a
 * non-streamed one must return its whole response within timeout (the
 * deployment's, else router.request_timeout): httpx's read timeout covers
 * the whole body when nothing is sent before it.
 */
static void attempt_timeouts(struct sim *s, struct req *q, const struct scn_backend *sb)
{
    const struct scn_router *r = &s->scn->router;
    int64_t ttft = r->attempt_timeout_ns, e2e = 0, t;
    if (q->no_stream) {
        e2e = sb->timeout_ns > 0 ? sb->timeout_ns : r->request_timeout_ns;
    } else {
        t = sb->stream_timeout_ns > 0  ? sb->stream_timeout_ns
            : r->stream_timeout_ns > 0 ? r->stream_timeout_ns
            : sb->timeout_ns > 0       ? sb->timeout_ns
                                       : r->request_timeout_ns;
        if (t > 0 && (ttft <= 0 || t < ttft))
            ttft = t;
    }
    if (q->loop_timeout_ns > 0 && (ttft <= 0 || q->loop_timeout_ns < ttft))
        ttft = q->loop_timeout_ns;
    q->ttft_to_ns = ttft;
    q->e2e_to_ns = e2e;
}

/* Arm the attempt's timeout event: the first-token timeout when the
 * backend left it to the gateway (`ttft_armed`), and the whole-response
 * one; whichever comes first (on_timeout re-arms the later). */
static int arm_timeout(struct sim *s, struct req *q, uint32_t idx, bool ttft_armed)
{
    int64_t t = ttft_armed ? q->ttft_to_ns : 0;
    if (q->e2e_to_ns > 0 && (t <= 0 || q->e2e_to_ns < t))
        t = q->e2e_to_ns;
    if (t <= 0)
        return 0;
    return sim__push(s, s->now_ns + t, EV_TIMEOUT, idx, q->gen);
}

/* sim__hedge_schedule, whose first test is whether the router hedges at
 * all: most runs do not, and then there is no call. */
static inline int hedge_schedule(struct sim *s, uint32_t idx)
{
    return sim__hedging(s) ? sim__hedge_schedule(s, idx) : 0;
}

int sim__dispatch(struct sim *s, uint32_t idx, uint32_t b)
{
    const struct scenario *scn = s->scn; /* read once (see sim__on_arrival) */
    struct req *q = &s->reqs[idx];
    const struct scn_backend *sb = &scn->backends[b];
    q->rr.attempt++;
    q->attempts_total++;
    q->backend = (int32_t)b;
    q->attempt_ns = s->now_ns;
    q->ft_due_ns = -1;
    route_exclude_set(sim__exclude(s, idx), b);
    if (q->measured) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        struct sim_ts_backend *tb = sim__tsb_last(s, b); /* row's interval */
        s->res->attempts++;
        s->be[b].res->attempts++;
        row->attempts++;
        tb->attempts++;
        SIM__LABEL_ADD(s, q, attempts, 1);
        uint32_t rr = q->rr.region, br = sb->route.region;
        if (rr != 0 && br != 0 && rr != br)
            s->res->cross_region_attempts++;
    }
    /* model_max: a request without max_tokens reserves what the provider
     * infers, this backend's whole context window less the input (Azure
     * OpenAI, docs/notes/data.md §3); with no window known, its output. */
    if (q->max_tokens_unset && scn->max_tokens_from == SCN_MAX_TOKENS_MODEL_MAX) {
        int64_t cw = sb->route.context_window;
        q->rr.max_tokens = cw > q->rr.input_tokens ? cw - q->rr.input_tokens
                           : cw > 0                ? 0
                                                   : q->rr.output_tokens;
    }
    route_router_dispatch(sim__router(s, q), b, &q->rr, &s->env);

    int64_t retry_after = -1;
    int http = 0;
    struct rng fr, *frp = NULL; /* admission faults (429 storms), keyed per attempt */
    if (sb->api.faults.n_storms > 0) {
        rng_keyed(&fr, s->seed, RNG_FAULTS, q->rr.id, b, q->rr.attempt);
        frp = &fr;
    }
    attempt_timeouts(s, q, sb);
    enum api_admit a = API_ACCEPT;
    if (sb->account >= 0) {
        /* The account's quota is metered first, as a provider's edge rate
         * limiter runs before the deployment sees the request; an account
         * has limits only (no faults, no concurrency), so it answers
         * ACCEPT or RATE_LIMITED, and an ACCEPT holds nothing to release
         * beyond the api_complete every admitted attempt gets. */
        a = api_admit(&scn->accounts[sb->account].api, &s->acct[sb->account], NULL, s->now_ns,
                      q->rr.input_tokens, q->rr.max_tokens, idx, q->gen, &retry_after, &http);
    }
    if (a == API_ACCEPT)
        a = api_admit(&sb->api, &s->be[b].api, frp, s->now_ns, q->rr.input_tokens, q->rr.max_tokens,
                      idx, q->gen, &retry_after, &http);
    switch (a) {
    case API_RATE_LIMITED:
        return sim__attempt_failed(s, idx, ROUTE_RATE_LIMITED, http, retry_after, -1,
                                   ROUTE_EC_GENERIC);
    case API_UNAVAILABLE:
        return sim__attempt_failed(s, idx, ROUTE_SERVER_ERROR, http, -1, -1, ROUTE_EC_GENERIC);
    case API_CONTEXT_WINDOW:
        return sim__attempt_failed(s, idx, ROUTE_CLIENT_ERROR, http, -1, -1,
                                   ROUTE_EC_CONTEXT_WINDOW);
    case API_QUEUED:
        q->state = RS_BACKEND_QUEUE;
        q->wait_start_ns = s->now_ns;
        sim__signal_queue(s, b);
        break;
    case API_ACCEPT: {
        enum sim__start how = SIM__START_TIMED;
        if (s->be[b].ops->start(s, idx, &how) != 0)
            return -1;
        if (how == SIM__START_ENDED)
            return 0;
        if (how == SIM__START_UNTIMED) {
            if (hedge_schedule(s, idx) != 0)
                return -1;
            return arm_timeout(s, q, idx, false);
        }
        break;
    }
    }
    if (hedge_schedule(s, idx) != 0)
        return -1;
    return arm_timeout(s, q, idx, true);
}

static int gwq_push(struct sim *s, uint32_t idx)
{
    if (s->gwq.len == s->gwq.cap) {
        uint32_t ncap = s->gwq.cap ? s->gwq.cap * 2 : 64u;
        struct gwq_ent *n = malloc((size_t)ncap * sizeof *n);
        if (n == NULL)
            return -1;
        for (uint32_t i = 0; i < s->gwq.len; i++)
            n[i] = s->gwq.ring[(s->gwq.head + i) & (s->gwq.cap - 1)];
        free(s->gwq.ring);
        s->gwq.ring = n;
        s->gwq.cap = ncap;
        s->gwq.head = 0;
    }
    s->gwq.ring[(s->gwq.head + s->gwq.len) & (s->gwq.cap - 1)] =
        (struct gwq_ent){.idx = idx, .gen = s->reqs[idx].gen};
    s->gwq.len++;
    return 0;
}

/* Route request idx now. */
int sim__route_req(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    if (s->scn->router.loop != ROUTE_LOOP_LBSIM)
        return sim__loop_route(s, idx);
    uint64_t *ex = sim__exclude(s, idx);
    int32_t pick = route_router_pick(sim__router(s, q), &q->rr, &s->env, ex);
    if (pick == ROUTE_NONE && q->rr.attempt > 0) {
        /* Every usable backend has been tried: a retry may go back to one
         * (LiteLLM retries within the same group the same way). */
        sim__exclude_init(s, idx);
        pick = route_router_pick(sim__router(s, q), &q->rr, &s->env, ex);
    }
    if (pick == ROUTE_NONE) {
        /* "No deployments available": a fallback group may still serve. */
        bool done = false;
        if (try_fallback(s, idx, ROUTE_EC_GENERIC, &done) != 0)
            return -1;
        return done ? 0 : sim__finish(s, idx, 429, true);
    }
    if (pick == ROUTE_FULL) {
        q->state = RS_GATEWAY_QUEUE;
        q->wait_start_ns = s->now_ns;
        if (gwq_push(s, idx) != 0) {
            snprintf(s->err, s->errlen, "out of memory (gateway queue)");
            return -1;
        }
        if (s->scn->router.queue_timeout_ns > 0)
            return sim__push(s, s->now_ns + s->scn->router.queue_timeout_ns, EV_QUEUE_TIMEOUT, idx,
                             q->gen);
        return 0;
    }
    return sim__dispatch(s, idx, (uint32_t)pick);
}

/* Capacity was freed: route waiting requests in FIFO order while the
 * router has room (head-of-line: the head blocks the rest). */
int sim__gateway_wake(struct sim *s)
{
    while (s->gwq.len > 0) {
        struct gwq_ent e = s->gwq.ring[s->gwq.head];
        struct req *q = &s->reqs[e.idx];
        if (q->gen != e.gen || q->state != RS_GATEWAY_QUEUE) {
            s->gwq.head = (s->gwq.head + 1) & (s->gwq.cap - 1);
            s->gwq.len--;
            continue;
        }
        int32_t pick =
            route_router_pick(sim__router(s, q), &q->rr, &s->env, sim__exclude(s, e.idx));
        if (pick == ROUTE_FULL)
            return 0;
        s->gwq.head = (s->gwq.head + 1) & (s->gwq.cap - 1);
        s->gwq.len--;
        q->queue_wait_ns += s->now_ns - q->wait_start_ns;
        int rc = pick == ROUTE_NONE ? sim__finish(s, e.idx, 429, true)
                                    : sim__dispatch(s, e.idx, (uint32_t)pick);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int sim__on_arrival(struct sim *s)
{
    /* read once: the stores into the request below could alias it for the
     * compiler, which reloaded it at every use */
    const struct scenario *scn = s->scn;
    uint32_t idx;
    if (sim__slot_take(s, &idx) != 0)
        return -1;
    struct req *q = &s->reqs[idx];
    s->live++;
    const struct trace_rec *t = &s->in.pending;
    uint32_t gen = q->gen;
    if (scn->router.loop == ROUTE_LOOP_LBSIM) {
        /* Only loop.c reads q->loop (router.loop litellm / portkey): its
         * 208 bytes are left as they are, the rest is cleared. */
        memset(q, 0, offsetof(struct req, loop));
        memset((char *)q + offsetof(struct req, loop) + sizeof q->loop, 0,
               sizeof *q - offsetof(struct req, loop) - sizeof q->loop);
    } else {
        memset(q, 0, sizeof *q);
    }
    q->gen = gen;
    q->rr.id = s->in.next_id++;
    q->rr.input_tokens = t->input_tokens;
    q->rr.output_tokens = t->output_tokens;
    /* TPM is charged with max_tokens at admission: the trace's value when it
     * has one, else per traffic.max_tokens: a fixed budget, or (trace and,
     * until a backend is chosen, model_max) the tokens it will produce. */
    q->max_tokens_unset = t->max_tokens <= 0;
    q->rr.max_tokens = t->max_tokens > 0                              ? t->max_tokens
                       : scn->max_tokens_from == SCN_MAX_TOKENS_VALUE ? scn->max_tokens_value
                                                                      : t->output_tokens;
    q->rr.session = t->session;
    q->rr.priority = t->priority;
    q->rr.tenant = t->label[TRACE_LABEL_TENANT]; /* mapped below when Portkey names tenants */
    q->arrival_ns = s->now_ns;
    q->first_token_ns = -1;
    q->ft_due_ns = -1;
    q->backend = -1;
    q->partner = NO_SLOT;
    q->loop_backend = -1;
    q->replica = (uint32_t)(q->rr.id % s->n_routers);
    q->rr.model_group = map_label(s, TRACE_LABEL_MODEL_GROUP, t->label[TRACE_LABEL_MODEL_GROUP]);
    if (q->rr.model_group == GROUP_REFUSED)
        return refuse_group(s, t);
    if (q->rr.model_group == 0)
        q->rr.model_group = scn->router.default_group;
    q->origin_group = q->group = q->rr.model_group;
    q->rr.task = map_label(s, TRACE_LABEL_TASK, t->label[TRACE_LABEL_TASK]);
    if (scn->n_tenants > 0) /* Portkey conditions on metadata.tenant */
        q->rr.tenant = map_label(s, TRACE_LABEL_TENANT, t->label[TRACE_LABEL_TENANT]);
    q->rr.region = map_label(s, TRACE_LABEL_REGION, t->label[TRACE_LABEL_REGION]);
    if (t->n_blocks > 0) {
        q->blocks = malloc((size_t)t->n_blocks * sizeof *q->blocks);
        if (q->blocks == NULL) {
            snprintf(s->err, s->errlen, "out of memory (prefix blocks)");
            return -1;
        }
        memcpy(q->blocks, t->blocks, (size_t)t->n_blocks * sizeof *q->blocks);
        q->rr.blocks = q->blocks;
        q->rr.n_blocks = t->n_blocks;
    }
    q->measured = s->now_ns >= scn->warmup_ns;
    if (sim__label_arrival(s, q, t) != 0)
        return -1;
    if (scn->stream_share < 1.0) {
        /* Whether the client streams: one draw per request, the same for
         * every strategy. */
        struct rng sr;
        rng_keyed(&sr, s->seed, RNG_STREAM, q->rr.id, 0, 0);
        q->no_stream = !(rng_unit(&sr) < scn->stream_share);
    }
    sim__exclude_init(s, idx);
    if (q->measured) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        sim__little_step(s, s->now_ns);
        s->m.live_measured++;
        s->res->requests++;
        row->arrivals++;
    } else {
        s->res->unmeasured++;
    }
    s->in.arrivals++;
    uint64_t trace_key = t->cache_key;
    if (sim__read_next(s) != 0)
        return -1;
    if (s->cache != NULL) {
        /* The gateway's response cache answers before any routing: same
         * draws for every strategy (keyed by the request). */
        struct rng cr;
        int64_t lat = 0;
        rng_keyed(&cr, s->seed, RNG_CACHE, q->rr.id, 0, 0);
        q->cache_key = gcache_key(s->cache, trace_key, &cr);
        enum gcache_result hit = gcache_lookup(s->cache, q->cache_key, s->now_ns, &cr, &lat);
        if (q->measured) {
            s->res->cache_lookups++;
            s->res->cache_l1_hits += hit == GCACHE_L1;
            s->res->cache_l2_hits += hit == GCACHE_L2;
            s->res->cache_semantic_hits += hit == GCACHE_SEMANTIC;
        }
        if (hit != GCACHE_MISS) {
            q->state = RS_SERVICE;
            return sim__push(s, s->now_ns + lat, EV_CACHE_HIT, idx, q->gen);
        }
    }
    if (scn->router.loop != ROUTE_LOOP_LBSIM)
        return sim__loop_start(s, idx);
    return sim__route_req(s, idx);
}

/* EV_CACHE_HIT: the gateway answers from its cache. */
int sim__on_cache_hit(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    q->first_token_ns = s->now_ns;
    if (q->measured) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        row->cache_hits++;
    }
    return sim__finish(s, idx, 200, false);
}

int sim__on_first_token(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    q->state = RS_STREAMING;
    /* A migrated stream keeps its client's first token; a non-streamed
     * client sees nothing before the whole answer (sim__on_done). */
    if (q->first_token_ns < 0 && !q->no_stream)
        q->first_token_ns = s->now_ns;
    route_router_first_token(sim__router(s, q), b, &q->rr, s->now_ns - q->attempt_ns, &s->env);
    sim__hedge_observe(s, s->now_ns - q->attempt_ns);
    if (q->partner != NO_SLOT && sim__hedge_resolve(s, idx) != 0)
        return -1;
    return s->be[b].ops->first_token(s, idx);
}

int sim__on_done(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    if (q->ft_due_ns >= 0) { /* the folded first token (backend_api.c) */
        if (q->first_token_ns < 0 && !q->no_stream)
            q->first_token_ns = q->ft_due_ns;
        route_router_first_token(sim__router(s, q), b, &q->rr, q->ft_due_ns - q->attempt_ns,
                                 &s->env);
        q->ft_due_ns = -1;
    }
    if (q->measured) {
        struct sim_ts_row *row = sim__ts_row(s, s->now_ns);
        if (row == NULL)
            return -1;
        struct sim_ts_backend *tb = sim__tsb_at(s, row, b);
        s->be[b].res->successes++;
        tb->successes++;
    }
    if (q->first_token_ns < 0) /* non-streamed: the answer comes whole */
        q->first_token_ns = s->now_ns;
    sim__api_complete(s, q, b, q->rr.output_tokens);
    if (sim__bill(s, q, b, true, q->rr.output_tokens) != 0)
        return -1;
    struct route_outcome out = {
        .status = ROUTE_OK,
        .http_status = 200,
        .latency_ns = s->now_ns - q->attempt_ns,
        .ttft_ns = q->first_token_ns - q->attempt_ns,
        .input_tokens = q->rr.input_tokens,
        .output_tokens = q->rr.output_tokens,
        .retry_after_ns = -1,
    };
    route_router_complete(sim__router(s, q), b, &q->rr, &out, &s->env);
    attempt_ended(s, q, 200);
    if (s->cache != NULL && q->cache_key != 0)
        gcache_insert(s->cache, q->cache_key, s->now_ns);
    if (sim__finish(s, idx, 200, false) != 0)
        return -1;
    if (s->be[b].ops->release(s, b) != 0)
        return -1;
    return sim__gateway_wake(s);
}

int sim__on_fail(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    sim__api_complete(s, q, b, 0);
    if (sim__bill(s, q, b, false, 0) != 0)
        return -1;
    enum route_status cls = q->draw.http_status == 429   ? ROUTE_RATE_LIMITED
                            : q->draw.http_status >= 500 ? ROUTE_SERVER_ERROR
                                                         : ROUTE_CLIENT_ERROR;
    enum route_error_class ec = q->draw.content_policy ? ROUTE_EC_CONTENT_POLICY : ROUTE_EC_GENERIC;
    if (sim__attempt_failed(s, idx, cls, q->draw.http_status, -1, -1, ec) != 0)
        return -1;
    if (s->be[b].ops->release(s, b) != 0)
        return -1;
    return sim__gateway_wake(s);
}

int sim__on_timeout(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    uint32_t b = (uint32_t)q->backend;
    int64_t age = s->now_ns - q->attempt_ns;
    bool streaming = sim__streaming(s, q);
    bool in_service = (q->state == RS_SERVICE && !streaming) || (streaming && q->e2e_to_ns > 0);
    if (q->e2e_to_ns > 0 && age < q->e2e_to_ns) {
        /* The first-token timeout fired first: it ends the attempt unless
         * the first token came; then the whole-response one waits. */
        if (streaming || q->ttft_to_ns <= 0 || age < q->ttft_to_ns)
            return sim__push(s, q->attempt_ns + q->e2e_to_ns, EV_TIMEOUT, idx, q->gen);
    }
    if (q->state == RS_BACKEND_QUEUE) {
        api_queue_cancelled(&s->be[b].api);
        q->queue_wait_ns += s->now_ns - q->wait_start_ns;
    } else if (in_service) {
        if (sim__bill(s, q, b, false, 0) != 0)
            return -1;
    } else if (!in_service) {
        return 0; /* streaming already: the timeout is to the first token */
    }
    q->ft_due_ns = -1; /* the attempt ends here: a folded first token never comes */
    if (s->be[b].ops->leave(s, idx) != 0)
        return -1;
    sim__api_complete(s, q, b, 0);
    if (sim__attempt_failed(s, idx, ROUTE_TIMEOUT, 408, -1, -1, ROUTE_EC_GENERIC) != 0)
        return -1;
    if (in_service && s->be[b].ops->release(s, b) != 0)
        return -1;
    return sim__gateway_wake(s);
}

int sim__on_queue_timeout(struct sim *s, uint32_t idx)
{
    struct req *q = &s->reqs[idx];
    if (q->state != RS_GATEWAY_QUEUE)
        return 0;
    q->queue_wait_ns += s->now_ns - q->wait_start_ns;
    return sim__finish(s, idx, 429, true);
}
