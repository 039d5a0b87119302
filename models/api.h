/*
 * api.h - hosted API provider accounts (prefix api_).
 *
 * What a request meets at a provider account such as an OpenAI or
 * Anthropic organisation:
 *  - rate limits, as each provider enforces them (docs/notes/data.md §3),
 *    per-minute limits being continuously refilling token buckets
 *    refilled at limit/60 per second and holding limit x burst_window /
 *    1 min (the window over which the provider enforces the limit; see
 *    api.c for the documented defaults per style):
 *      openai:    RPM + TPM, TPM charged input + max_tokens at admission;
 *      anthropic: RPM + ITPM + OTPM; ITPM charged with the uncached input
 *                 (cached_fraction of the input is a cache read and does not
 *                 count), OTPM charged max_tokens at admission and refunded
 *                 max_tokens - produced at completion (api_complete);
 *      gemini:    RPM + TPM (input tokens) + RPD, a daily request count
 *                 that resets every 24 h at rpd_reset_ns;
 *    a request any bucket cannot hold answers 429 with Retry-After = the
 *    time until every bucket holds it (for RPD: until the reset);
 *  - an optional concurrency limit with a FIFO queue at the backend;
 *  - latency: TTFT = a draw from a distribution + prefill_s_per_token x
 *    input tokens; output at a tokens/s rate drawn per request;
 *  - prices per token for input, cached input and output;
 *  - faults (faults.h): a random error rate with a status code, scheduled
 *    and random outages, brownouts, 429 storms and hangs.
 *
 * The model is a value (struct api_cfg, immutable during a run) plus a
 * state (struct api_state, one per backend per run).  The queue stores the
 * caller's opaque (idx, gen) pairs; stale entries (cancelled by the caller)
 * are skipped when the caller pops them.  Calls come with non-decreasing
 * times.
 */
#ifndef LBSIM_API_H
#define LBSIM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dist.h"
#include "faults.h"

/* What a failed or cancelled attempt is billed. */
enum api_bill {
    API_BILL_NOTHING = 0, /* providers do not bill 429s or 5xx */
    API_BILL_INPUT = 1,   /* input tokens only */
    API_BILL_PARTIAL = 2, /* input + the output tokens produced so far */
};

/* How the provider meters tokens (see the top of this file). */
enum api_limit_style {
    API_LIMITS_OPENAI = 0,    /* RPM + TPM (input + max_tokens) */
    API_LIMITS_ANTHROPIC = 1, /* RPM + ITPM (uncached input) + OTPM (max_tokens, refunded) */
    API_LIMITS_GEMINI = 2,    /* RPM + TPM (input) + RPD */
};

/* One day, the period of Gemini's RPD. */
#define API_DAY_NS (86400LL * 1000000000LL)
/* Gemini's RPD resets at midnight US Pacific (ai.google.dev/gemini-api/docs/
 * rate-limits): 08:00 UTC in PST (UTC-8), the simulation clock's 0 being
 * taken as 00:00 UTC.  Daylight saving time (07:00 UTC) is ignored. */
#define API_RPD_RESET_PST_NS (8LL * 3600LL * 1000000000LL)

/* One minute: the period every provider quotes its limits in. */
#define API_MINUTE_NS 60000000000LL
/* One second: the enforcement window that OpenAI's and Anthropic's
 * rate-limit pages give as their example of a quantized per-minute limit,
 * and the shorter of Azure OpenAI's two (api.c, docs/notes/data.md §3). */
#define API_SECOND_NS 1000000000LL

/* The enforcement window a style gets when neither the account nor its
 * preset gives `burst_window` (api.c says which are documented). */
int64_t api_default_burst_window_ns(enum api_limit_style style);

/* A tier preset: the published limits of one model class at one tier. */
struct api_limit_preset {
    const char *name; /* e.g. "openai-gpt-4o-tier3" */
    enum api_limit_style style;
    int64_t rpm, tpm, itpm, otpm, rpd; /* 0 = not limited */
    const char *source;                /* where the figures come from */
    bool verified;                     /* false: a secondary source, not the provider's own page */
    int64_t burst_window_ns;           /* enforcement window (api_default_burst_window_ns) */
};

/* The preset called `name`, NULL if none. */
const struct api_limit_preset *api_limit_preset_find(const char *name);
/* Preset i (0-based), NULL past the last: for listings and suggestions. */
const struct api_limit_preset *api_limit_preset_at(size_t i);

/* api_cfg.queue_max: no bound on the provider-side FIFO. */
#define API_QUEUE_UNBOUNDED UINT32_MAX

struct api_cfg {
    enum api_limit_style limit_style;
    int64_t rpm;          /* requests per minute, 0 = unlimited */
    int64_t tpm;          /* tokens per minute (openai, gemini), 0 = unlimited */
    int64_t itpm, otpm;   /* anthropic: input / output tokens per minute, 0 = unlimited */
    int64_t rpd;          /* gemini: requests per day, 0 = unlimited */
    int64_t rpd_reset_ns; /* gemini: RPD resets at rpd_reset_ns + k days, in [0, 1 day) */
    const struct api_limit_preset *limits_preset; /* the preset used, NULL = none */
    /* Each bucket holds limit x burst_window_ns / 1 min: 1 min is a full
     * minute of burst, 1 s a limit enforced per second.  <= 0 = 1 min. */
    int64_t burst_window_ns;
    bool start_empty;    /* buckets start empty (default: full, an idle account) */
    bool no_retry_after; /* rate-limit 429s carry no Retry-After header */
    int32_t concurrency; /* in service at once, 0 = unlimited */
    uint32_t queue_max;  /* waiting at most (0: no waiting room), API_QUEUE_UNBOUNDED
                            for no bound; overflow: 429 */
    struct dist ttft_s;  /* seconds */
    double prefill_s_per_token;
    struct dist output_tps; /* tokens per second, > 0 */
    double price_input;     /* USD per token */
    double price_cached;    /* USD per cached input token */
    double price_output;    /* USD per token */
    double cached_fraction; /* share of input tokens served from cache */
    enum api_bill bill_failed;
    struct fault_cfg faults;    /* error rate, outages, brownouts, storms, hangs */
    double content_policy_rate; /* probability an attempt is refused by the content policy
                                   (HTTP 400, error class content_policy) */
    int64_t context_window;     /* tokens; input + max_tokens above it answers 400
                                   context_length_exceeded at admission (0 = no check) */
};

/* A continuously refilling token bucket (level < 0: in debt after an
 * oversized charge, see api.c). */
struct api_bucket {
    double level, cap, limit, rate_per_ns; /* limit: the per-minute figure */
    int64_t t_ns;
};

struct api_qent {
    uint32_t idx, gen;
    int64_t enq_ns;
    uint8_t armed;    /* the script's draw-time effect for this attempt (faults.h) */
    int armed_status; /* ... and its status */
};

struct api_state {
    struct api_bucket rpm, tpm, itpm, otpm;
    int64_t rpd_used; /* requests admitted in day rpd_day */
    int64_t rpd_day;  /* index of the current RPD day */
    int32_t busy;     /* attempts in service */
    uint32_t q_head, q_len, q_cap;
    struct api_qent *q; /* ring buffer, grows */
    uint32_t q_live;    /* entries not cancelled */
    struct fault_state faults;
};

enum api_admit {
    API_ACCEPT = 0,         /* in service now: caller draws the latency */
    API_QUEUED = 1,         /* waiting in the FIFO */
    API_RATE_LIMITED = 2,   /* 429, *retry_after_ns set (-1 = no Retry-After) */
    API_UNAVAILABLE = 3,    /* outage: *http_status set */
    API_CONTEXT_WINDOW = 4, /* the request does not fit the context window: 400 */
};

/* `seed` and `backend` key the random outage schedule (faults.h). */
int api_state_init(struct api_state *st, const struct api_cfg *cfg, int64_t now_ns, uint64_t seed,
                   uint32_t backend);
void api_state_fini(struct api_state *st);

/* True if `now` lies in an outage (scheduled or random); sets *http_status. */
bool api_in_outage(const struct api_cfg *cfg, struct api_state *st, int64_t now_ns,
                   int *http_status);

/*
 * Admit an attempt at now_ns.  Order: the fault script (faults.h: a
 * scripted 429 with its Retry-After, 5xx or context-window 400 answers
 * here; a scripted hang, content-policy refusal or other 4xx goes on with
 * the admission and acts at the attempt's draws), outage, context window, 429 storm
 * (one uniform from r, a stream keyed by the attempt, only inside a storm
 * whose share is below 1; r may be NULL), then the rate limits of the
 * style (every bucket must hold the request; all are charged), then the
 * concurrency limit (queue when full; 429 when the queue is at
 * queue_max).  On API_QUEUED the caller's (idx, gen) is appended to the
 * FIFO.  Every admitted attempt (API_ACCEPT or API_QUEUED) must end with
 * api_complete().
 */
enum api_admit api_admit(const struct api_cfg *cfg, struct api_state *st, struct rng *r,
                         int64_t now_ns, int64_t input_tokens, int64_t max_tokens, uint32_t idx,
                         uint32_t gen, int64_t *retry_after_ns, int *http_status);

/* api_complete's refund into the OTPM bucket (api.c). */
void api__complete_refund(struct api_state *st, int64_t now_ns, int64_t max_tokens,
                          int64_t produced);
/* An admitted attempt ended (completed, failed, timed out or cancelled)
 * after producing `produced` output tokens: Anthropic's OTPM charge of
 * max_tokens is corrected by refunding max_tokens - produced.  A no-op
 * for the other styles.  Inline: once per attempt, nearly always a no-op. */
static inline void api_complete(const struct api_cfg *cfg, struct api_state *st, int64_t now_ns,
                                int64_t max_tokens, int64_t produced)
{
    if (cfg->limit_style != API_LIMITS_ANTHROPIC || cfg->otpm <= 0 || produced >= max_tokens)
        return;
    api__complete_refund(st, now_ns, max_tokens, produced);
}

/* A service slot was freed.  Pops the next live queued entry into *idx,
 * *gen, *enq_ns and keeps the slot busy for it (returns true), or releases
 * the slot (false).  `is_live(ctx, idx, gen)` tells whether an entry was
 * not cancelled. */
bool api_release(struct api_state *st, bool (*is_live)(void *ctx, uint32_t idx, uint32_t gen),
                 void *ctx, uint32_t *idx, uint32_t *gen, int64_t *enq_ns);

/* The caller cancelled a queued entry (its gen went stale). */
void api_queue_cancelled(struct api_state *st);

/* Per-attempt draws at service start (now_ns), from a stream keyed by
 * (request, backend, attempt).  Draw order is fixed: fault, TTFT, output
 * rate, then hang and brownout error (fault_draw_attempt).  A hung attempt
 * (hang true) never produces a first token: ttft_ns is INT64_MAX and the
 * caller schedules nothing but its attempt timeout (with no timeout it
 * stays in flight for ever).  In a brownout TTFT and decode time are
 * multiplied by its latency_x. */
struct api_draw {
    bool fail;           /* the attempt fails with http_status */
    bool content_policy; /* ... because the content policy refused it (400) */
    bool hang;           /* no first token, ever */
    int http_status;
    int64_t ttft_ns;   /* admission to first token (or to the error) */
    int64_t decode_ns; /* first token to last token */
};
void api_draw(const struct api_cfg *cfg, struct api_state *st, struct rng *r, int64_t now_ns,
              int64_t input_tokens, int64_t output_tokens, struct api_draw *out);

/* USD billed for an attempt: `ok` true bills everything; otherwise per
 * cfg->bill_failed with `produced` output tokens so far.  Inline: every
 * attempt is billed. */
static inline double api_cost(const struct api_cfg *cfg, int64_t input_tokens,
                              int64_t output_tokens, int64_t produced, bool ok)
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

#endif /* LBSIM_API_H */
