/*
 * api.h - hosted API provider accounts (prefix api_).
 *
 * What a request meets at a provider account such as an OpenAI or
 * Anthropic organisation:
 *  - rate limits: RPM and TPM as continuously refilling token buckets
 *    (capacity = the per-minute limit, refilled at limit/60 per second).
 *    TPM is charged at admission with input tokens + max_tokens, as OpenAI
 *    does (reference/data.md §3); an empty bucket answers 429 with
 *    Retry-After = the time until the bucket holds the request;
 *  - an optional concurrency limit with a FIFO queue at the backend;
 *  - latency: TTFT = a draw from a distribution + prefill_s_per_token x
 *    input tokens; output at a tokens/s rate drawn per request;
 *  - prices per token for input, cached input and output;
 *  - faults: a random error rate with a status code, and outage windows
 *    (every admission in the window fails with the outage's status).
 *
 * The model is a value (struct api_cfg, immutable during a run) plus a
 * state (struct api_state, one per backend per run).  The queue stores the
 * caller's opaque (idx, gen) pairs; stale entries (cancelled by the caller)
 * are skipped when the caller pops them.
 */
#ifndef LBSIM_API_H
#define LBSIM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sim/dist.h"

/* What a failed or cancelled attempt is billed. */
enum api_bill {
    API_BILL_NOTHING = 0, /* providers do not bill 429s or 5xx */
    API_BILL_INPUT = 1,   /* input tokens only */
    API_BILL_PARTIAL = 2, /* input + the output tokens produced so far */
};

struct api_outage {
    int64_t start_ns, end_ns; /* [start, end) */
    int http_status;          /* e.g. 503 */
};

struct api_cfg {
    int64_t rpm;         /* requests per minute, 0 = unlimited */
    int64_t tpm;         /* tokens per minute, 0 = unlimited */
    int32_t concurrency; /* in service at once, 0 = unlimited */
    uint32_t queue_max;  /* waiting at most, 0 = unbounded; overflow: 429 */
    struct dist ttft_s;  /* seconds */
    double prefill_s_per_token;
    struct dist output_tps; /* tokens per second, > 0 */
    double price_input;     /* USD per token */
    double price_cached;    /* USD per cached input token */
    double price_output;    /* USD per token */
    double cached_fraction; /* share of input tokens served from cache */
    enum api_bill bill_failed;
    double error_rate;                /* probability an admitted attempt fails */
    int error_status;                 /* its HTTP status (500 by default) */
    const struct api_outage *outages; /* sorted by start, not overlapping */
    uint32_t n_outages;
    double content_policy_rate; /* probability an attempt is refused by the content policy
                                   (HTTP 400, error class content_policy) */
    int64_t context_window;     /* tokens; input + max_tokens above it answers 400
                                   context_length_exceeded at admission (0 = no check) */
};

/* A continuously refilling token bucket. */
struct api_bucket {
    double level, cap, rate_per_ns;
    int64_t t_ns;
};

struct api_qent {
    uint32_t idx, gen;
    int64_t enq_ns;
};

struct api_state {
    struct api_bucket rpm, tpm;
    int32_t busy; /* attempts in service */
    uint32_t q_head, q_len, q_cap;
    struct api_qent *q;     /* ring buffer, grows */
    uint32_t q_live;        /* entries not cancelled */
    uint32_t outage_cursor; /* first outage not yet over */
};

enum api_admit {
    API_ACCEPT = 0, /* in service now: caller draws the latency */
    API_QUEUED = 1, /* waiting in the FIFO */
    API_RATE_LIMITED = 2,
    /* 429, *retry_after_ns set */ API_UNAVAILABLE = 3, /* outage: *http_status set */
    API_CONTEXT_WINDOW = 4, /* the request does not fit the context window: 400 */
};

int api_state_init(struct api_state *st, const struct api_cfg *cfg, int64_t now_ns);
void api_state_fini(struct api_state *st);

/* True if `now` lies in an outage window; sets *http_status. */
bool api_in_outage(const struct api_cfg *cfg, struct api_state *st, int64_t now_ns,
                   int *http_status);

/*
 * Admit an attempt at now_ns.  Order: outage, then the rate-limit buckets
 * (both must hold the request; both are charged), then the concurrency
 * limit (queue when full; 429 when the queue is at queue_max).  On
 * API_QUEUED the caller's (idx, gen) is appended to the FIFO.
 */
enum api_admit api_admit(const struct api_cfg *cfg, struct api_state *st, int64_t now_ns,
                         int64_t input_tokens, int64_t max_tokens, uint32_t idx, uint32_t gen,
                         int64_t *retry_after_ns, int *http_status);

/* A service slot was freed.  Pops the next live queued entry into *idx,
 * *gen, *enq_ns and keeps the slot busy for it (returns true), or releases
 * the slot (false).  `is_live(ctx, idx, gen)` tells whether an entry was
 * not cancelled. */
bool api_release(struct api_state *st, bool (*is_live)(void *ctx, uint32_t idx, uint32_t gen),
                 void *ctx, uint32_t *idx, uint32_t *gen, int64_t *enq_ns);

/* The caller cancelled a queued entry (its gen went stale). */
void api_queue_cancelled(struct api_state *st);

/* Per-attempt draws, from a stream keyed by (request, backend, attempt). */
struct api_draw {
    bool fail;           /* the attempt fails with http_status */
    bool content_policy; /* ... because the content policy refused it (400) */
    int http_status;
    int64_t ttft_ns;   /* admission to first token (or to the error) */
    int64_t decode_ns; /* first token to last token */
};
void api_draw(const struct api_cfg *cfg, struct rng *r, int64_t input_tokens, int64_t output_tokens,
              struct api_draw *out);

/* USD billed for an attempt: `ok` true bills everything; otherwise per
 * cfg->bill_failed with `produced` output tokens so far. */
double api_cost(const struct api_cfg *cfg, int64_t input_tokens, int64_t output_tokens,
                int64_t produced, bool ok);

#endif /* LBSIM_API_H */
