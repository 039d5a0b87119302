/*
 * pool.h - self-hosted GPU pools: replicas serving one model with
 * iteration-level continuous batching, a KV-capacity bound and a per-replica
 * prefix cache (prefix pool_).
 *
 * The model (what one replica does)
 * ---------------------------------
 * A replica runs engine steps back to back, like vLLM's scheduler loop
 * (Orca-style iteration-level batching; Sarathi-style chunked prefill;
 * Vidur's `sarathi` replica scheduler and BLIS's batch formation model the
 * same loop, docs/notes/simulators.md §1.1, §1.3).
 *  - Admission queue: FIFO per replica.  At each step boundary the head is
 *    admitted while the running batch has fewer than max_batch requests and
 *    the KV cache holds the head; the first request that does not fit blocks
 *    the rest (head-of-line, vLLM's FCFS policy).
 *  - KV (default, kv_block_tokens 16): allocated on demand in blocks, as
 *    vLLM V1 does (vllm/v1/core/sched/scheduler.py, block_size 16).  At
 *    each step boundary the running requests are scheduled first, in
 *    admission order, each growing its KV to the blocks its next step
 *    writes (prompt tokens in KV after its chunk; input + generated while
 *    decoding); when the free blocks do not suffice, the NEWEST running
 *    request is preempted: its KV is freed, it goes back to the front of
 *    the queue, and when readmitted it recomputes its prompt and the
 *    tokens it generated (no second FIRST_TOKEN).  Queued requests are
 *    then admitted (none in a step that preempted) while the batch, the
 *    step's token budget and the blocks of their first chunk allow; a
 *    request without budget waits in the queue.  kv_block_tokens 0 keeps
 *    the former model: input + output reserved at admission, never
 *    preempted (clairvoyant: it admits ~40% fewer 500-in / 2,000-out
 *    requests, docs/notes/gpu-benchmarks.md §3).  Either way the prefix
 *    cache below is a separate set of hashes, not blocks in the KV.  A
 *    request larger than the whole KV capacity can never run:
 *    pool_enqueue rejects it with POOL_ETOOBIG (the engine fails it
 *    visibly, like a context window error).
 *  - A step takes (a) prefill work for admitted requests whose prompt is
 *    not yet in KV, in admission order, at most chunked_prefill_tokens
 *    prompt tokens per step in total (0 = unchunked: whole prompts), and
 *    (b) one decode token for every running request past its prefill.
 *  - Step time (roofline-style, linear; docs/DESIGN.md "swappable parametric"):
 *        t = t_fixed + prefill_tokens x t_prefill_per_token
 *              + decode_batch x t_decode_per_seq + kv_tokens_read x t_kv_per_token
 *    kv_tokens_read is the context attention reads: input + generated
 *    tokens for each decoding request, and the tokens already in KV before
 *    the chunk for each prefill chunk.  Compute and memory terms are added,
 *    not overlapped (max), so a mixed prefill + decode step is over-estimated
 *    by at most the smaller term.  Profiles derive the coefficients from
 *    datasheet FLOPs and bandwidth (pool.c, pool_profile_perf).
 *  - At the end of a step: a request whose prefill completed in it emits
 *    FIRST_TOKEN (the step that finishes the prompt samples the first output
 *    token, as in vLLM); a request that produced its last token emits DONE
 *    and frees its KV.  So a request of output_tokens = n takes its prefill
 *    step(s) plus n - 1 decode steps; n = 1 emits FIRST_TOKEN and DONE from
 *    the same step.  output_tokens 0 is served as 1.
 *  - Prefix cache in the KV (the default: KV on demand, prefix_cache on,
 *    prefix_cache_blocks 0): vLLM V1's automatic prefix caching
 *    (vllm/v1/core/block_pool.py, kv_cache_manager.py;
 *    docs/notes/pool-metrics.md §1).  A prompt's full blocks of
 *    block_tokens (the Mooncake trace's chained hash_ids, 512 tokens each;
 *    blocks considered: min(n_blocks, floor(input_tokens / block_tokens)),
 *    vLLM caches full blocks only) are KV blocks with a hash.  At
 *    admission the leading blocks present are hits (the count stops at the
 *    first miss): their tokens skip prefill (at most input - 1 tokens: the
 *    last prompt token is always computed, as in vLLM) and the request
 *    shares them (a reference count): a block held by several running
 *    requests is counted once in the KV in use.  When its prefill
 *    completes, its blocks past the hits are given their hash (stopping at
 *    one already cached).  When a request leaves (done, cancelled,
 *    preempted), a block nobody references returns to the free KV with its
 *    hash and content, last block first, so a chain is evicted from its
 *    tail; an allocation that needs free blocks evicts them least recently
 *    freed first.  So the cache's capacity is the free KV at each moment,
 *    and blocks of running requests are never evicted.  With an explicit
 *    prefix_cache_blocks, or with kv_block_tokens 0, the cache is instead
 *    a separate LRU set of hashes of that capacity (an external KV tier,
 *    e.g. host-memory offload): it pins nothing, shares nothing, and the
 *    blocks considered are min(n_blocks, ceil(input_tokens / block_tokens)).
 *
 * Driving it (the engine, sim/backend_pool.c)
 * -------------------------------------------
 * Time is int64 nanoseconds.  Per replica, the engine keeps at most one
 * pending "pool step" event, at pool_next_event(pool, r):
 *  1. pool_enqueue(pool, r, &req) at time req.enq_ns.  If the replica was
 *     idle, its next event becomes enq_ns (a zero-length "kick": admission
 *     happens in pool_step, so simultaneous arrivals are admitted together).
 *  2. When the event fires at t == pool_next_event(pool, r), call
 *     pool_step(pool, r, t, events, pool_max_events(pool), &n): it finishes
 *     the step ending at t (events: FIRST_TOKEN / DONE for the caller's
 *     (idx, gen)), admits from the queue and starts the next step.
 *  3. After pool_enqueue, pool_step or pool_cancel, read pool_next_event
 *     again; if it changed, schedule a new event (lazy cancellation of the
 *     old one with a per-replica generation).  -1 means idle: no event.
 * pool_cancel removes a queued or running request (its KV is freed at
 * once; the current step still ends at its scheduled time; admission waits
 * for the step boundary).  A cancelled request emits no event.
 *
 * Every enqueued request ends as exactly one DONE or one successful
 * pool_cancel.  Deterministic: no randomness, no clocks, no globals.  No
 * allocation per step: the running batch and the event buffer are sized at
 * creation; the queue, the request slots and the (idx, gen) index grow.
 * Costs, KV on demand (kv_block_tokens 1..4096): the requests past their
 * prefill are kept in aggregate (they all decode one token per step), so
 * pool_step is O(requests in prefill + blocks of the requests admitted or
 * finishing prefill + log(batch) per request finishing), and O(running
 * batch) only in a step whose KV growth may not fit (it may preempt: the
 * exact per-request plan runs); pool_cancel O(1) expected for a queued or
 * running request (O(requests in prefill) for one in prefill).  With
 * kv_block_tokens 0 (reservation): pool_step O(running batch + blocks),
 * pool_cancel O(running batch) for a running request.  pool_enqueue
 * O(blocks) amortized.
 *
 * Spot preemption and autoscaling live in the engine (sim/replicas.c): the
 * replica slots are fixed at creation and the engine decides which serve;
 * it kills a replica by cancelling its requests and pool_replica_reset().
 * Not modelled here: KV swapping to CPU, P/D disaggregation,
 * quadratic attention FLOPs in prefill.
 */
#ifndef LBSIM_POOL_H
#define LBSIM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes (negative). */
enum pool_err {
    POOL_OK = 0,
    POOL_EINVAL = -1, /* bad argument or configuration; also pool_step at the wrong time */
    POOL_ENOMEM = -2,
    POOL_ETOOBIG = -3, /* input + output exceed the replica's KV capacity: can never run */
    POOL_ENOSPC = -4,  /* the event buffer is too small (give pool_max_events) */
    POOL_ENOENT = -5,  /* pool_cancel: no such request on this replica */
};

/* ---- hardware and model profiles ------------------------------------- */

/* A GPU's datasheet figures. */
struct pool_gpu {
    const char *name;
    double bf16_flops;      /* dense BF16 tensor FLOP/s */
    double fp8_flops;       /* dense FP8 tensor FLOP/s, 0 = no FP8 tensor cores */
    double mem_bytes_per_s; /* memory bandwidth, bytes/s */
    double mem_bytes;       /* memory size, bytes */
    const char *source;
};

/* A model's size and attention shape (from its HF config.json). */
struct pool_model {
    const char *name;
    double params;         /* parameter count */
    uint32_t layers;       /* num_hidden_layers */
    uint32_t kv_heads;     /* num_key_value_heads */
    uint32_t head_dim;     /* hidden_size / num_attention_heads */
    uint32_t weight_bytes; /* bytes per parameter (bf16: 2, fp8: 1; 1 runs the
                              matmuls at the GPU's fp8_flops) */
    uint32_t kv_bytes;     /* bytes per KV element (bf16: 2, fp8: 1) */
    const char *source;
};

/* A replica type: a model on n GPUs of one kind (tensor parallel), with the
 * hourly price of the machine that holds them. */
struct pool_profile {
    const char *name; /* e.g. "h100-llama3.1-8b" */
    const struct pool_gpu *gpu;
    const struct pool_model *model;
    uint32_t gpus;      /* GPUs per replica (tensor-parallel degree) */
    uint32_t max_batch; /* running requests at most (vLLM max_num_seqs) */
    const char *machine_type;
    const char *region;
    double usd_per_hour;      /* on-demand, per replica */
    double usd_per_hour_spot; /* spot, per replica */
    const char *price_source;
};

/* Step-time coefficients and capacity of one replica. */
struct pool_perf {
    double t_fixed_ns;             /* per step: scheduling/launch overhead + one weight read */
    double t_weights_ns;           /* the weight-read part of t_fixed_ns (memory), <= t_fixed_ns */
    double t_prefill_ns_per_token; /* per prompt token computed */
    double t_decode_ns_per_seq;    /* per decoding request in the step */
    double t_kv_ns_per_token;      /* per KV token read by attention */
    int64_t kv_capacity_tokens;    /* KV cache size, tokens */
    uint32_t max_batch;            /* running requests at most */
};

/* The calibration knobs of the roofline derivation (pool_profiles.c states
 * the formulas).  Defaults (pool_calib_default): mfu 0.5, mem_eff 0.7,
 * step_overhead 0.5 ms, the stated assumptions of pool_profiles.c. */
struct pool_calib {
    double mfu;              /* achieved / peak dense FLOP/s in matmuls, (0, 1] */
    double mem_eff;          /* achieved / datasheet memory bandwidth, (0, 1] */
    double step_overhead_ns; /* per step: scheduler, sampling, kernel launches, >= 0 */
};

void pool_calib_default(struct pool_calib *c);

/* The built-in profiles (static table): count, i-th, lookup by name (NULL
 * when unknown). */
uint32_t pool_profile_count(void);
const struct pool_profile *pool_profile_at(uint32_t i);
const struct pool_profile *pool_profile_find(const char *name);

/* Derive step-time coefficients and KV capacity from a profile (pool.c
 * states the formulas and assumptions).  POOL_EINVAL if the weights do not
 * fit the GPUs' memory. */
int pool_profile_perf(const struct pool_profile *p, struct pool_perf *out);
/* The same with explicit knobs (NULL = the defaults).  POOL_EINVAL also if
 * a knob is out of range. */
int pool_profile_perf_calib(const struct pool_profile *p, const struct pool_calib *calib,
                            struct pool_perf *out);

/* How a step's compute and memory terms combine (pool_cfg.step_model;
 * docs/notes/gpu-benchmarks.md §6).  With
 *   overhead = t_fixed - t_weights,
 *   compute  = prefill_tokens x t_prefill_per_token + decode_batch x t_decode_per_seq,
 *   memory   = t_weights + kv_tokens_read x t_kv_per_token:
 * ADDITIVE: t = overhead + compute + memory (no overlap; the default);
 * ROOFLINE: t = overhead + max(compute, memory) (full overlap, BLIS-style). */
enum pool_step_model {
    POOL_STEP_ADDITIVE = 0,
    POOL_STEP_ROOFLINE = 1,
};

/* Step time in ns (unrounded) of a step with this work, additive model. */
double pool_step_ns(const struct pool_perf *perf, int64_t prefill_tokens, uint32_t decode_batch,
                    int64_t kv_tokens_read);
/* The same under step model m (an out-of-range m is served as additive). */
double pool_step_ns_model(const struct pool_perf *perf, enum pool_step_model m,
                          int64_t prefill_tokens, uint32_t decode_batch, int64_t kv_tokens_read);

/* KV bytes per token of a model: 2 (K and V) x layers x kv_heads x head_dim
 * x kv_bytes. */
double pool_kv_bytes_per_token(const struct pool_model *m);

/* Serving-engine presets: the batch limits an engine picks by default on
 * the profile's GPU (pool_profiles.c cites the engine source). */
enum pool_engine {
    POOL_ENGINE_NONE = 0, /* lbsim's own defaults: profile max_batch, 2,048-token chunks */
    POOL_ENGINE_VLLM = 1,
    POOL_ENGINE_SGLANG = 2,
};

/* *max_batch (running requests at most) and *chunk_tokens (prompt tokens
 * per step) that engine `e` defaults to for profile p, whose replica holds
 * kv_capacity_tokens of KV.  POOL_EINVAL on a bad argument. */
int pool_engine_defaults(const struct pool_profile *p, enum pool_engine e,
                         int64_t kv_capacity_tokens, uint32_t *max_batch, uint32_t *chunk_tokens);

/* ---- the pool -------------------------------------------------------- */

struct pool_cfg {
    struct pool_perf perf;
    uint32_t replicas;
    uint32_t chunked_prefill_tokens; /* prompt tokens per step at most, 0 = unchunked */
    uint32_t block_tokens;           /* tokens per prefix block (Mooncake: 512) */
    bool prefix_cache;               /* per-replica prefix cache on/off */
    uint32_t prefix_cache_blocks;    /* LRU capacity, 0 = kv_capacity_tokens / block_tokens */
    /* Per request, between its arrival and the moment the scheduler may
     * admit it: HTTP handling, tokenization, the API server's hand-off to
     * the engine.  It adds to TTFT and end-to-end latency (and to the queue
     * wait, admit_ns - enq_ns), not to TPOT, and takes no GPU time.
     * Default 0. */
    int64_t server_overhead_ns;
    /* The prompt-token budget of a step is shared with its decode tokens
     * (vLLM V1: max_num_batched_tokens counts every scheduled token; the
     * running requests are scheduled first).  false: chunked_prefill_tokens
     * bounds prompt tokens only (SGLang's chunked_prefill_size; lbsim's
     * default).  No effect when unchunked. */
    bool budget_counts_decode;
    /* KV allocation.  0: clairvoyant reservation of input + output tokens
     * at admission, never preempted (lbsim before issue 11).  > 0 (default
     * 16, vLLM's block_size): blocks of this many tokens allocated as the
     * prompt and the output are written; when they run out, the newest
     * running request is preempted and recomputed later (vLLM V1). */
    uint32_t kv_block_tokens;
    /* enum pool_step_model: how compute and memory combine in a step.
     * Default POOL_STEP_ADDITIVE. */
    uint32_t step_model;
};

/* Defaults: perf from `profile` (required), 1 replica, chunked prefill of
 * 2048 tokens per step (assumption: vLLM's max_num_batched_tokens default
 * varies with version and hardware), prefix cache on with the default
 * capacity, 512-token blocks (Mooncake trace, Qin et al., FAST 2025).
 * POOL_EINVAL if the profile is bad. */
int pool_cfg_init(struct pool_cfg *cfg, const struct pool_profile *profile);

/* A request for a replica.  The pool copies what it needs (blocks too). */
struct pool_req {
    uint32_t idx, gen;      /* the caller's opaque handle, returned in events */
    int64_t input_tokens;   /* >= 0 */
    int64_t output_tokens;  /* >= 0 (0 is served as 1) */
    const uint64_t *blocks; /* prefix block hashes, chained (may be NULL) */
    uint32_t n_blocks;
    int64_t enq_ns; /* now */
};

enum pool_ev_kind {
    POOL_EV_FIRST_TOKEN = 1,
    POOL_EV_DONE = 2,
};

struct pool_event {
    uint32_t kind; /* enum pool_ev_kind */
    uint32_t idx, gen;
    int64_t admit_ns;      /* when it left the queue (queue wait = admit_ns - enq_ns) */
    int64_t cached_tokens; /* prompt tokens served from the prefix cache */
    /* DONE only: the accelerator time attributed to this request's last
     * residency in the running batch (admission or readmission after a
     * preemption, to DONE): the sum over its steps of step time / running
     * batch size.  Earlier residencies, cut by a preemption, are waste. */
    double accel_ns;
};

/* Per-replica counters. */
struct pool_stats {
    uint64_t steps;          /* steps with work */
    int64_t busy_ns;         /* total length of finished steps */
    uint64_t prefill_tokens; /* prompt tokens computed */
    uint64_t cached_tokens;  /* prompt tokens skipped through the prefix cache */
    uint64_t decode_tokens;  /* output tokens after the first */
    uint64_t prefix_hit_blocks, prefix_miss_blocks, prefix_evictions;
    uint64_t enqueued, admitted, first_tokens, completed, cancelled;
    uint32_t max_queue; /* deepest queue seen */
    uint32_t max_running;
    uint64_t preemptions; /* running requests preempted for KV (on demand) */
    double batch_ns;      /* sum over finished steps of length x running batch size */
};

struct pool;

/* Create a pool (replicas idle, caches empty).  On error returns a
 * negative code with a message in err. */
int pool_create(const struct pool_cfg *cfg, struct pool **out, char *err, size_t errlen);
void pool_destroy(struct pool *p);

uint32_t pool_replicas(const struct pool *p);
const struct pool_cfg *pool_get_cfg(const struct pool *p);

/* The event buffer pool_step needs: 2 x max_batch. */
uint32_t pool_max_events(const struct pool *p);

/* Append a request to replica r's queue at req->enq_ns.  POOL_ETOOBIG if
 * it can never fit; POOL_EINVAL on bad arguments, a duplicate (idx, gen) on
 * r, or enq_ns later than pool_next_event(p, r) (the engine missed a step);
 * POOL_ENOMEM.  Nothing changes on error. */
int pool_enqueue(struct pool *p, uint32_t r, const struct pool_req *req);

/* When replica r's current step ends (or its kick is due), -1 if idle. */
int64_t pool_next_event(const struct pool *p, uint32_t r);

/* Finish the step of replica r ending at now_ns (== pool_next_event), write
 * its events to out[0..*n), admit from the queue and start the next step.
 * POOL_EINVAL if now_ns is not the replica's next event; POOL_ENOSPC if max
 * is below what the step may emit (nothing is changed then). */
int pool_step(struct pool *p, uint32_t r, int64_t now_ns, struct pool_event *out, uint32_t max,
              uint32_t *n);

/* Remove a queued or running request; frees its KV.  POOL_ENOENT if (idx,
 * gen) is not on replica r (never enqueued, done, or cancelled already). */
int pool_cancel(struct pool *p, uint32_t r, uint32_t idx, uint32_t gen);

/* Slow replica r down by `factor` (>= 1; 1 = nominal): every step planned
 * from now on takes factor x its modelled time.  The engine sets it from
 * brownouts (faults.h latency_x) before each step.  POOL_EINVAL if factor
 * is not finite or below 1. */
int pool_set_speed(struct pool *p, uint32_t r, double factor);

/* Replica r was replaced by a new machine (spot preemption, scale-down and
 * up again): its prefix cache starts empty.  The replica must hold no
 * request (every one done or cancelled); cancelled queue entries still in
 * its ring are dropped.  Counters are kept.  POOL_EINVAL if it is busy. */
int pool_replica_reset(struct pool *p, uint32_t r);

/* Routing signals. */
uint32_t pool_queue_depth(const struct pool *p, uint32_t r); /* waiting, not cancelled */
uint32_t pool_running(const struct pool *p, uint32_t r);     /* in the running batch */
double pool_kv_free(const struct pool *p, uint32_t r);       /* free share of KV, [0, 1] */
/* Leading blocks of a prompt that replica r's prefix cache holds now
 * (read-only: does not touch the LRU or the counters). */
uint32_t pool_prefix_match(const struct pool *p, uint32_t r, const uint64_t *blocks,
                           uint32_t n_blocks, int64_t input_tokens);

/* After a change on replica r, the three the engine reads in one call:
 * returns pool_next_event and sets pool_queue_depth and pool_kv_free. */
int64_t pool_signals(const struct pool *p, uint32_t r, uint32_t *queue_depth, double *kv_free);

const struct pool_stats *pool_stats(const struct pool *p, uint32_t r);

#endif /* LBSIM_POOL_H */
