/*
 * api.c - hosted API provider accounts: rate-limit buckets, concurrency
 * queue, latency draws, faults and billing.  See api.h for the model.
 *
 * Rate limits.  Providers quote per-minute figures but enforce them over
 * shorter windows (docs/notes/data.md §3, "Enforcement window"):
 *  - OpenAI's rate-limit guide: limits "can be quantized, meaning they are
 *    enforced over shorter periods of time (e.g. 60,000 requests/minute may
 *    be enforced as 1,000 requests/second)"; short bursts "can lead to rate
 *    limit errors, even when you are technically below the rate limit per
 *    minute" (documented);
 *  - Anthropic's rate-limits page: a token bucket whose capacity is
 *    "continuously replenished up to your maximum limit", and limits may be
 *    enforced over shorter intervals (its example: 60 RPM as 1 request per
 *    second), so short bursts can exceed them (documented);
 *  - Azure OpenAI's quota page: RPM is evaluated over 1 s or 10 s windows
 *    ("600 RPM ... more than 10 requests ... during each 1-second period")
 *    (documented for requests; Azure does not say which window a
 *    deployment gets);
 *  - Gemini's rate-limit page says nothing about a window shorter than the
 *    minute.
 * We model each limit as a bucket refilled at L/60 per second and holding
 * L x burst_window / 1 min.  Default burst_window: 1 s for the openai and
 * anthropic styles (the window of both providers' own example, and Azure's
 * shorter one: the conservative reading of "may"), 1 min for gemini (no
 * shorter window documented).  That token limits are quantized like
 * request limits is our assumption: OpenAI's sentence names "contexts
 * (prompts+max_tokens)" among the bursts that fail, the others only
 * requests.  Also an assumption: a charge larger than the window's bucket
 * but within the per-minute limit (a 2,000-token request under 30K TPM
 * quantized to 500 tokens a second) is admitted when the bucket is full and
 * leaves it in debt, so the per-minute average still holds; a charge above
 * the per-minute limit itself is never admitted (OpenAI's "Request too
 * large"), and gets the time to refill the whole bucket.  Buckets start
 * full (an account idle before the run) unless `start: empty`.
 *
 * Charges: a request is admitted only when every bucket of its style holds
 * its charge, and then all are charged:
 *   openai:    RPM 1, TPM input + max_tokens;
 *   anthropic: RPM 1, ITPM input x (1 - cached_fraction) (cache reads do
 *              not count toward ITPM on current models), OTPM max_tokens,
 *              corrected at completion by api_complete();
 *   gemini:    RPM 1, TPM input ("Tokens per minute (input)",
 *              ai.google.dev/gemini-api/docs/rate-limits), RPD 1 (a counter
 *              per day, not a bucket).
 *
 * Every 429 says whether it carries Retry-After (*retry_after_ns >= 0):
 *   bucket or RPD exhausted: yes, the time until the emptiest bucket holds
 *     the charge (RPD: the time to the reset), unless the account sets
 *     `retry_after: false` (Anthropic documents the header on its 429s,
 *     Azure sends retry-after-ms; OpenAI's guide documents x-ratelimit-
 *     reset-* headers instead, so a client reading only Retry-After sees
 *     none there);
 *   concurrency queue full: no (the request never met a limit);
 *   429 storm: per storm (faults.h);
 *   fault script: per entry (`retry_after`), none by default (an injected
 *     429 sends no header unless the scenario says so).
 */
#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define API_NS_PER_S      1e9
#define API_QUEUE_INITIAL 64u

int64_t api_default_burst_window_ns(enum api_limit_style style)
{
    switch (style) {
    case API_LIMITS_OPENAI:    /* OpenAI: "60,000 requests/minute ... as 1,000 requests/second" */
    case API_LIMITS_ANTHROPIC: /* Anthropic: "60 RPM ... as 1 request per second" */
        return API_SECOND_NS;
    case API_LIMITS_GEMINI: /* no shorter window documented */
        return API_MINUTE_NS;
    }
    return API_MINUTE_NS;
}

static void bucket_init(struct api_bucket *b, int64_t per_minute, const struct api_cfg *cfg,
                        int64_t now_ns)
{
    int64_t w = cfg->burst_window_ns > 0 ? cfg->burst_window_ns : API_MINUTE_NS;
    b->limit = (double)per_minute;
    b->rate_per_ns = (double)per_minute / (double)API_MINUTE_NS;
    b->cap = (double)per_minute * ((double)w / (double)API_MINUTE_NS);
    b->level = cfg->start_empty ? 0.0 : b->cap;
    b->t_ns = now_ns;
}

static inline void bucket_refill(struct api_bucket *b, int64_t now_ns)
{
    if (now_ns > b->t_ns) {
        b->level += (double)(now_ns - b->t_ns) * b->rate_per_ns;
        if (b->level > b->cap)
            b->level = b->cap;
        b->t_ns = now_ns;
    }
}

/* Nanoseconds until the bucket admits `need` (0 if it does now).  A need
 * above the bucket but within the per-minute limit is admitted by a full
 * bucket (which goes into debt); one above the limit never is, and gets
 * the time to refill the whole bucket (see the top of this file). */
static int64_t bucket_wait_ns(const struct api_bucket *b, double need)
{
    bool too_large = need > b->limit;
    double target = need > b->cap ? b->cap : need;
    if (!too_large && b->level >= target)
        return 0;
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
    bucket_init(&st->rpm, cfg->rpm, cfg, now_ns);
    bucket_init(&st->tpm, cfg->tpm, cfg, now_ns);
    bucket_init(&st->itpm, cfg->itpm, cfg, now_ns);
    bucket_init(&st->otpm, cfg->otpm, cfg, now_ns);
    st->rpd_day = rpd_day(cfg, now_ns);
    fault_state_init(&st->faults, &cfg->faults, seed, backend);
    /* The FIFO is allocated by its first queue_push: most backends of a
     * large fleet never queue, and 64 entries each were 1.5 KiB per
     * backend (bench/bench_fleet.c). */
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

static int queue_push(struct api_state *st, uint32_t idx, uint32_t gen, int64_t now_ns,
                      uint8_t armed, int armed_status)
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
    st->q[(st->q_head + st->q_len) & (st->q_cap - 1)] = (struct api_qent){
        .idx = idx, .gen = gen, .enq_ns = now_ns, .armed = armed, .armed_status = armed_status};
    st->q_len++;
    st->q_live++;
    return 0;
}

/* Refill b and raise *wait to the time until it holds `need` (b unlimited:
 * nothing). */
static inline void bucket_need(struct api_bucket *b, int64_t limit, double need, int64_t now_ns,
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

static enum api_admit admit(const struct api_cfg *cfg, struct api_state *st, struct rng *r,
                            int64_t now_ns, int64_t input_tokens, int64_t max_tokens, uint32_t idx,
                            uint32_t gen, int64_t *retry_after_ns, int *http_status)
{
    /* Without a script fault_script_admit only clears the armed effect. */
    const struct fault_script_entry *se = NULL;
    if (cfg->faults.n_script > 0)
        se = fault_script_admit(&cfg->faults, &st->faults);
    else
        st->faults.armed = FAULT_ARMED_NONE;
    if (se != NULL) {
        if (se->kind == FAULT_SCRIPT_CONTEXT_WINDOW) {
            *http_status = 400; /* OpenAI: context_length_exceeded */
            return API_CONTEXT_WINDOW;
        }
        if (se->kind == FAULT_SCRIPT_STATUS && se->http_status == 429) {
            *retry_after_ns = se->retry_after_ns;
            *http_status = 429;
            return API_RATE_LIMITED;
        }
        if (se->kind == FAULT_SCRIPT_STATUS && se->http_status >= 500) {
            *retry_after_ns = -1;
            *http_status = se->http_status;
            return API_UNAVAILABLE;
        }
    }
    /* No scheduled outage and no random down window under way or due:
     * exactly fault_in_outage's false, without the call (most backends). */
    bool calm = cfg->faults.n_outages == 0 && st->faults.down_start_ns > now_ns &&
                st->faults.down_end_ns > now_ns;
    if (!calm && api_in_outage(cfg, st, now_ns, http_status))
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

    /* An account without any limit (a self-hosted server, an M/M/c) skips
     * the buckets: bucket_need and bucket_take do nothing for a limit <= 0. */
    bool limited = (cfg->rpm | cfg->tpm | cfg->itpm | cfg->otpm | cfg->rpd) != 0;
    struct charge c = {0, 0, 0};
    if (limited) {
        c = charge_of(cfg, input_tokens, max_tokens);
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
            *retry_after_ns = cfg->no_retry_after ? -1 : wait;
            *http_status = 429;
            return API_RATE_LIMITED;
        }
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
    if (limited) {
        bucket_take(&st->rpm, cfg->rpm, 1.0);
        bucket_take(&st->tpm, cfg->tpm, c.tpm);
        bucket_take(&st->itpm, cfg->itpm, c.itpm);
        bucket_take(&st->otpm, cfg->otpm, c.otpm);
        if (cfg->rpd > 0)
            st->rpd_used++;
    }
    if (full) {
        int armed_status = 0;
        uint8_t armed = fault_armed_take(&st->faults, &armed_status);
        if (queue_push(st, idx, gen, now_ns, armed, armed_status) != 0) {
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

enum api_admit api_admit(const struct api_cfg *cfg, struct api_state *st, struct rng *r,
                         int64_t now_ns, int64_t input_tokens, int64_t max_tokens, uint32_t idx,
                         uint32_t gen, int64_t *retry_after_ns, int *http_status)
{
    enum api_admit a =
        admit(cfg, st, r, now_ns, input_tokens, max_tokens, idx, gen, retry_after_ns, http_status);
    if (a != API_ACCEPT) /* refused (or queued, carrying it): nothing stays armed */
        st->faults.armed = FAULT_ARMED_NONE; /* fault_armed_take, result unused */
    return a;
}

void api__complete_refund(struct api_state *st, int64_t now_ns, int64_t max_tokens,
                          int64_t produced)
{
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
        /* armed for its service start (fault_arm, without the call) */
        st->faults.armed = e.armed;
        st->faults.armed_status = e.armed_status;
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
    /* With no hang rate, no brownout and nothing armed by a script,
     * fault_draw_attempt draws nothing and answers "no fault" (faults.h):
     * its call is skipped. */
    struct fault_draw fd = {.latency_x = 1.0};
    if (cfg->faults.hang_rate > 0.0 || cfg->faults.n_brownouts > 0 ||
        st->faults.armed != FAULT_ARMED_NONE)
        fault_draw_attempt(&cfg->faults, &st->faults, now_ns, r, &fd);
    /* One uniform decides both faults: [0, error_rate) a server error,
     * [error_rate, error_rate + content_policy_rate) a content refusal. */
    double err = cfg->faults.error_rate;
    out->fail = u < err;
    out->content_policy = !out->fail && u < err + cfg->content_policy_rate;
    out->http_status = out->fail ? cfg->faults.error_status : out->content_policy ? 400 : 200;
    out->fail = out->fail || out->content_policy;
    if (fd.scripted) { /* the fault script decides this attempt */
        out->fail = fd.fail;
        out->content_policy = fd.content_policy;
        out->http_status = fd.fail ? fd.http_status : 200;
    } else if (!out->fail && fd.fail) { /* a brownout's extra errors */
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
    out->ttft_ns = (int64_t)dist_llround(ttft_s * API_NS_PER_S);
    if (output_tokens > 0 && tps > 0) {
        out->decode_ns =
            (int64_t)dist_llround((double)output_tokens / tps * fd.latency_x * API_NS_PER_S);
    } else {
        out->decode_ns = 0;
    }
}
