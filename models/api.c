/*
 * api.c - hosted API provider accounts: rate-limit buckets, concurrency
 * queue, latency draws, faults and billing.  See api.h for the model.
 *
 * Rate limits.  OpenAI and Anthropic document their limits as per-minute
 * figures enforced continuously ("token bucket", Anthropic's rate-limits
 * page; OpenAI: "rate limits ... may be quantized" over shorter windows),
 * not as fixed wall-clock minutes.  We model each limit as a bucket of
 * capacity L refilled at L/60 per second; a request is admitted only when
 * every bucket of its style holds its charge, and then all are charged:
 *   openai:    RPM 1, TPM input + max_tokens;
 *   anthropic: RPM 1, ITPM input x (1 - cached_fraction) (cache reads do
 *              not count toward ITPM on current models), OTPM max_tokens,
 *              corrected at completion by api_complete();
 *   gemini:    RPM 1, TPM input ("Tokens per minute (input)",
 *              ai.google.dev/gemini-api/docs/rate-limits), RPD 1 (a counter
 *              per day, not a bucket).
 * Retry-After is the time until the emptiest bucket holds the charge (for
 * RPD, the time to the reset); a charge larger than the capacity can never
 * be admitted, and gets the time to refill the whole bucket.
 */
#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One minute: the period every provider quotes its limits in. */
#define API_MINUTE_NS     60000000000.0
#define API_NS_PER_S      1e9
#define API_QUEUE_INITIAL 64u

static void bucket_init(struct api_bucket *b, int64_t per_minute, int64_t now_ns)
{
    b->cap = (double)per_minute;
    b->level = b->cap; /* an account starts with its full minute */
    b->rate_per_ns = b->cap / API_MINUTE_NS;
    b->t_ns = now_ns;
}

static void bucket_refill(struct api_bucket *b, int64_t now_ns)
{
    if (now_ns > b->t_ns) {
        b->level += (double)(now_ns - b->t_ns) * b->rate_per_ns;
        if (b->level > b->cap)
            b->level = b->cap;
        b->t_ns = now_ns;
    }
}

/* Nanoseconds until the bucket holds `need` (0 if it does now). */
static int64_t bucket_wait_ns(const struct api_bucket *b, double need)
{
    if (b->level >= need)
        return 0;
    double target = need > b->cap ? b->cap : need;
    double ns = ceil((target - b->level) / b->rate_per_ns);
    return ns < 1.0 ? 1 : (int64_t)ns;
}

/* Index of the RPD day holding now_ns (floor division: days before the
 * first reset are negative). */
static int64_t rpd_day(const struct api_cfg *cfg, int64_t now_ns)
{
    int64_t x = now_ns - cfg->rpd_reset_ns;
    return x >= 0 ? x / API_DAY_NS : -((-x + API_DAY_NS - 1) / API_DAY_NS);
}

int api_state_init(struct api_state *st, const struct api_cfg *cfg, int64_t now_ns, uint64_t seed,
                   uint32_t backend)
{
    memset(st, 0, sizeof *st);
    bucket_init(&st->rpm, cfg->rpm, now_ns);
    bucket_init(&st->tpm, cfg->tpm, now_ns);
    bucket_init(&st->itpm, cfg->itpm, now_ns);
    bucket_init(&st->otpm, cfg->otpm, now_ns);
    st->rpd_day = rpd_day(cfg, now_ns);
    fault_state_init(&st->faults, &cfg->faults, seed, backend);
    if (cfg->concurrency > 0) {
        st->q_cap = API_QUEUE_INITIAL;
        st->q = malloc(st->q_cap * sizeof *st->q);
        if (st->q == NULL)
            return -1;
    }
    return 0;
}

void api_state_fini(struct api_state *st)
{
    free(st->q);
    st->q = NULL;
}

bool api_in_outage(const struct api_cfg *cfg, struct api_state *st, int64_t now_ns,
                   int *http_status)
{
    return fault_in_outage(&cfg->faults, &st->faults, now_ns, http_status);
}

static int queue_push(struct api_state *st, uint32_t idx, uint32_t gen, int64_t now_ns)
{
    if (st->q_len == st->q_cap) {
        uint32_t ncap = st->q_cap ? st->q_cap * 2 : API_QUEUE_INITIAL;
        if (ncap < st->q_cap)
            return -1;
        struct api_qent *nq = malloc((size_t)ncap * sizeof *nq);
        if (nq == NULL)
            return -1;
        /* unroll the ring into the new array */
        for (uint32_t i = 0; i < st->q_len; i++)
            nq[i] = st->q[(st->q_head + i) & (st->q_cap - 1)];
        free(st->q);
        st->q = nq;
        st->q_cap = ncap;
        st->q_head = 0;
    }
    st->q[(st->q_head + st->q_len) & (st->q_cap - 1)] =
        (struct api_qent){.idx = idx, .gen = gen, .enq_ns = now_ns};
    st->q_len++;
    st->q_live++;
    return 0;
}

/* Refill b and raise *wait to the time until it holds `need` (b unlimited:
 * nothing). */
static void bucket_need(struct api_bucket *b, int64_t limit, double need, int64_t now_ns,
                        int64_t *wait)
{
    if (limit <= 0)
        return;
    bucket_refill(b, now_ns);
    int64_t w = bucket_wait_ns(b, need);
    if (w > *wait)
        *wait = w;
}

static void bucket_take(struct api_bucket *b, int64_t limit, double charge)
{
    if (limit > 0)
        b->level -= charge;
}

/* The charges of one admission, by style. */
struct charge {
    double tpm, itpm, otpm;
};

static struct charge charge_of(const struct api_cfg *cfg, int64_t input_tokens, int64_t max_tokens)
{
    struct charge c = {0, 0, 0};
    switch (cfg->limit_style) {
    case API_LIMITS_OPENAI:
        c.tpm = (double)(input_tokens + max_tokens);
        break;
    case API_LIMITS_ANTHROPIC:
        c.itpm = (double)input_tokens * (1.0 - cfg->cached_fraction);
        c.otpm = (double)max_tokens;
        break;
    case API_LIMITS_GEMINI:
        c.tpm = (double)input_tokens;
        break;
    }
    return c;
}

enum api_admit api_admit(const struct api_cfg *cfg, struct api_state *st, struct rng *r,
                         int64_t now_ns, int64_t input_tokens, int64_t max_tokens, uint32_t idx,
                         uint32_t gen, int64_t *retry_after_ns, int *http_status)
{
    if (api_in_outage(cfg, st, now_ns, http_status))
        return API_UNAVAILABLE;
    if (cfg->context_window > 0 && input_tokens + max_tokens > cfg->context_window) {
        *http_status = 400; /* OpenAI: context_length_exceeded */
        return API_CONTEXT_WINDOW;
    }
    if (cfg->faults.n_storms > 0 &&
        fault_storm_hits(&cfg->faults, &st->faults, now_ns, r, retry_after_ns)) {
        *http_status = 429;
        return API_RATE_LIMITED;
    }

    struct charge c = charge_of(cfg, input_tokens, max_tokens);
    int64_t wait = 0;
    bucket_need(&st->rpm, cfg->rpm, 1.0, now_ns, &wait);
    bucket_need(&st->tpm, cfg->tpm, c.tpm, now_ns, &wait);
    bucket_need(&st->itpm, cfg->itpm, c.itpm, now_ns, &wait);
    bucket_need(&st->otpm, cfg->otpm, c.otpm, now_ns, &wait);
    if (cfg->rpd > 0) {
        int64_t day = rpd_day(cfg, now_ns);
        if (day != st->rpd_day) {
            st->rpd_day = day;
            st->rpd_used = 0;
        }
        if (st->rpd_used >= cfg->rpd) {
            int64_t w = (day + 1) * API_DAY_NS + cfg->rpd_reset_ns - now_ns;
            if (w > wait)
                wait = w;
        }
    }
    if (wait > 0) {
        *retry_after_ns = wait;
        *http_status = 429;
        return API_RATE_LIMITED;
    }

    /* Capacity check before charging: an overflowing queue answers 429
     * without consuming the minute's budget (the request never ran).  With
     * queue_max 0 there is no waiting room: a request that cannot start at
     * once gets the 429 a concurrency-capped server answers (TGI's router
     * maps InferError::Overloaded, raised when its --max-concurrent-requests
     * permits are gone, to 429 Too Many Requests: router/src/server.rs). */
    bool full = cfg->concurrency > 0 && st->busy >= cfg->concurrency;
    if (full && st->q_live >= cfg->queue_max) {
        *retry_after_ns = -1;
        *http_status = 429;
        return API_RATE_LIMITED;
    }
    bucket_take(&st->rpm, cfg->rpm, 1.0);
    bucket_take(&st->tpm, cfg->tpm, c.tpm);
    bucket_take(&st->itpm, cfg->itpm, c.itpm);
    bucket_take(&st->otpm, cfg->otpm, c.otpm);
    if (cfg->rpd > 0)
        st->rpd_used++;
    if (full) {
        if (queue_push(st, idx, gen, now_ns) != 0) {
            /* Out of memory: refuse like an overloaded provider would. */
            *retry_after_ns = -1;
            *http_status = 503;
            return API_UNAVAILABLE;
        }
        return API_QUEUED;
    }
    st->busy++;
    return API_ACCEPT;
}

void api_complete(const struct api_cfg *cfg, struct api_state *st, int64_t now_ns,
                  int64_t max_tokens, int64_t produced)
{
    if (cfg->limit_style != API_LIMITS_ANTHROPIC || cfg->otpm <= 0 || produced >= max_tokens)
        return;
    bucket_refill(&st->otpm, now_ns);
    st->otpm.level += (double)(max_tokens - produced);
    if (st->otpm.level > st->otpm.cap)
        st->otpm.level = st->otpm.cap;
}

bool api_release(struct api_state *st, bool (*is_live)(void *ctx, uint32_t idx, uint32_t gen),
                 void *ctx, uint32_t *idx, uint32_t *gen, int64_t *enq_ns)
{
    while (st->q_len > 0) {
        struct api_qent e = st->q[st->q_head];
        st->q_head = (st->q_head + 1) & (st->q_cap - 1);
        st->q_len--;
        if (!is_live(ctx, e.idx, e.gen))
            continue; /* cancelled while waiting: already discounted */
        st->q_live--;
        *idx = e.idx;
        *gen = e.gen;
        *enq_ns = e.enq_ns;
        return true; /* the slot passes straight to the queued attempt */
    }
    st->busy--;
    return false;
}

void api_queue_cancelled(struct api_state *st)
{
    st->q_live--;
}

void api_draw(const struct api_cfg *cfg, struct api_state *st, struct rng *r, int64_t now_ns,
              int64_t input_tokens, int64_t output_tokens, struct api_draw *out)
{
    /* Draw order is fixed (fault, ttft, rate, hang, brownout error) so each
     * attempt consumes the same numbers whatever happens to it. */
    double u = rng_unit(r);
    double ttft_s = dist_sample(&cfg->ttft_s, r);
    double tps = dist_sample(&cfg->output_tps, r);
    struct fault_draw fd;
    fault_draw_attempt(&cfg->faults, &st->faults, now_ns, r, &fd);
    /* One uniform decides both faults: [0, error_rate) a server error,
     * [error_rate, error_rate + content_policy_rate) a content refusal. */
    double err = cfg->faults.error_rate;
    out->fail = u < err;
    out->content_policy = !out->fail && u < err + cfg->content_policy_rate;
    out->http_status = out->fail ? cfg->faults.error_status : out->content_policy ? 400 : 200;
    out->fail = out->fail || out->content_policy;
    if (!out->fail && fd.fail) { /* a brownout's extra errors */
        out->fail = true;
        out->http_status = fd.http_status;
    }
    out->hang = fd.hang;
    if (out->hang) { /* no answer at all: not even an error */
        out->fail = out->content_policy = false;
        out->http_status = 0;
        out->ttft_ns = INT64_MAX;
        out->decode_ns = 0;
        return;
    }
    if (ttft_s < 0)
        ttft_s = 0;
    ttft_s += cfg->prefill_s_per_token * (double)input_tokens;
    ttft_s *= fd.latency_x;
    out->ttft_ns = (int64_t)llround(ttft_s * API_NS_PER_S);
    if (output_tokens > 0 && tps > 0) {
        out->decode_ns =
            (int64_t)llround((double)output_tokens / tps * fd.latency_x * API_NS_PER_S);
    } else {
        out->decode_ns = 0;
    }
}

double api_cost(const struct api_cfg *cfg, int64_t input_tokens, int64_t output_tokens,
                int64_t produced, bool ok)
{
    double cached = cfg->cached_fraction * (double)input_tokens;
    double input = ((double)input_tokens - cached) * cfg->price_input + cached * cfg->price_cached;
    if (ok)
        return input + (double)output_tokens * cfg->price_output;
    switch (cfg->bill_failed) {
    case API_BILL_NOTHING:
        return 0.0;
    case API_BILL_INPUT:
        return input;
    case API_BILL_PARTIAL:
        return input + (double)produced * cfg->price_output;
    }
    return 0.0;
}
