/*
 * pool.c - self-hosted GPU pools: the step-time model and the per-replica
 * continuous-batching loop with a prefix cache.  See pool.h for the model
 * and how the engine drives it; the built-in profiles and the roofline
 * derivation of their coefficients are pool_profiles.c.
 *
 * The prefix cache of a replica is a set of block hashes: a u64map
 * from hash to entry plus an lru list threaded through the entries
 * (base/u64map.h, base/lru.h).  Requests in a replica are found by
 * (idx, gen) through a second u64map.
 */
#include "pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lru.h"
#include "u64map.h"

/* ---- constants ------------------------------------------------------- */

/* pool_cfg_init defaults. */
#define POOL_CHUNK_DEFAULT 2048u /* prompt tokens per step (assumption) */
#define POOL_BLOCK_DEFAULT 512u  /* tokens per block: Mooncake trace hash_ids */
/* Tokens per KV block: vLLM's default block_size on CUDA (CacheConfig). */
#define POOL_KV_BLOCK_DEFAULT 16u
#define POOL_QUEUE_INITIAL    16u
#define POOL_MAP_INITIAL      16u
#define POOL_SLOTS_INITIAL    16u

/* The decoding set is kept in aggregate (O(1) per step) when KV blocks
 * are at most this many tokens: one counter per block residue per replica. */
#ifndef POOL_LAZY_MAX_BLOCK /* a build may set 0 to compare with the plain loop */
#define POOL_LAZY_MAX_BLOCK 4096u
#endif

/* Finish-tick buckets of a replica's decoding set: a request finishing at
 * tick f is listed in bucket f mod POOL_FIN_BUCKETS (a power of two).  A
 * step looks at one bucket; a request whose output is longer than this
 * many tokens is passed over once per lap.  1 KiB of heads per replica. */
#define POOL_FIN_BUCKETS 256u

#define NIL          UINT32_MAX
#define POOL_LRU_MAX (UINT32_MAX / 4u) /* blocks per replica cache at most */

/* The pool's codes are the base vocabulary's (err.h), so a base/ error
 * passes through unchanged. */
_Static_assert((int)POOL_EINVAL == BASE_EINVAL && (int)POOL_ENOMEM == BASE_ENOMEM &&
                   (int)POOL_ETOOBIG == BASE_ETOOBIG && (int)POOL_ENOSPC == BASE_ENOSPC &&
                   (int)POOL_ENOENT == BASE_ENOENT,
               "pool.h codes must equal err.h's");

/* ---- the step-time model ---------------------------------------------- */

/* Inline in the step loop (plan_tail), a call for the API. */
static inline double step_ns(const struct pool_perf *perf, enum pool_step_model m,
                             int64_t prefill_tokens, uint32_t decode_batch, int64_t kv_tokens_read)
{
    if (m != POOL_STEP_ROOFLINE) /* the sum in its historical order: goldens are bitwise */
        return perf->t_fixed_ns + (double)prefill_tokens * perf->t_prefill_ns_per_token +
               (double)decode_batch * perf->t_decode_ns_per_seq +
               (double)kv_tokens_read * perf->t_kv_ns_per_token;
    /* Roofline: the weight and KV reads overlap the matmuls (the GPU
     * streams memory while the tensor cores work), so a step lasts its
     * longer term (docs/notes/gpu-benchmarks.md §6). */
    double compute = (double)prefill_tokens * perf->t_prefill_ns_per_token +
                     (double)decode_batch * perf->t_decode_ns_per_seq;
    double memory = perf->t_weights_ns + (double)kv_tokens_read * perf->t_kv_ns_per_token;
    return perf->t_fixed_ns - perf->t_weights_ns + (compute > memory ? compute : memory);
}

double pool_step_ns_model(const struct pool_perf *perf, enum pool_step_model m,
                          int64_t prefill_tokens, uint32_t decode_batch, int64_t kv_tokens_read)
{
    return step_ns(perf, m, prefill_tokens, decode_batch, kv_tokens_read);
}

double pool_step_ns(const struct pool_perf *perf, int64_t prefill_tokens, uint32_t decode_batch,
                    int64_t kv_tokens_read)
{
    return pool_step_ns_model(perf, POOL_STEP_ADDITIVE, prefill_tokens, decode_batch,
                              kv_tokens_read);
}

int pool_cfg_init(struct pool_cfg *cfg, const struct pool_profile *profile)
{
    if (cfg == NULL)
        return POOL_EINVAL;
    memset(cfg, 0, sizeof *cfg);
    int rc = pool_profile_perf(profile, &cfg->perf);
    if (rc != POOL_OK)
        return rc;
    cfg->replicas = 1;
    cfg->chunked_prefill_tokens = POOL_CHUNK_DEFAULT;
    cfg->kv_block_tokens = POOL_KV_BLOCK_DEFAULT;
    cfg->block_tokens = POOL_BLOCK_DEFAULT;
    cfg->prefix_cache = true;
    cfg->prefix_cache_blocks = 0;
    return POOL_OK;
}

/* ---- the prefix cache: an LRU set of block hashes --------------------- */

struct pcache {
    uint32_t cap, n;
    uint64_t *key;         /* block hash of each entry */
    struct lru_link *link; /* recency links of each entry */
    struct lru_list list;  /* head = most recently used */
    struct u64map map;     /* block hash -> entry */
    /* In the KV (pool->inkv): running requests referencing each entry; an
     * entry is on `list` only while nobody references it (a free block
     * keeping its content); entries [0, n) have been taken, evicted ones
     * are reused through free_head (threaded through link[].next). */
    uint32_t *ref;
    uint32_t free_head;
    int64_t evictable; /* tokens of the entries on `list` */
};

static int pcache_init(struct pcache *c, uint32_t cap, bool inkv)
{
    memset(c, 0, sizeof *c);
    lru_list_init(&c->list);
    c->free_head = NIL;
    if (cap == 0)
        return POOL_OK;
    c->cap = cap;
    c->key = malloc((size_t)cap * sizeof *c->key);
    c->link = malloc((size_t)cap * sizeof *c->link);
    if (inkv)
        c->ref = malloc((size_t)cap * sizeof *c->ref);
    if (c->key == NULL || c->link == NULL || (inkv && c->ref == NULL) ||
        u64map_init(&c->map, cap) != BASE_OK)
        return POOL_ENOMEM;
    return POOL_OK;
}

static void pcache_fini(struct pcache *c)
{
    free(c->key);
    free(c->link);
    free(c->ref);
    u64map_fini(&c->map);
}

/* The entry holding block hash `key`, or NIL. */
static uint32_t pcache_find(const struct pcache *c, uint64_t key)
{
    return c->cap ? u64map_get(&c->map, key) : NIL;
}

static void pcache_touch(struct pcache *c, uint32_t i)
{
    lru_touch(&c->list, c->link, i);
}

/* Insert or touch; returns 1 if a block was evicted. */
static int pcache_insert(struct pcache *c, uint64_t key)
{
    if (c->cap == 0)
        return 0;
    uint32_t i = u64map_get(&c->map, key);
    if (i != U64MAP_NONE) {
        pcache_touch(c, i);
        return 0;
    }
    int evicted = 0;
    if (c->n < c->cap) {
        i = c->n++;
    } else {
        i = c->list.tail;
        lru_unlink(&c->list, c->link, i);
        u64map_del(&c->map, c->key[i]);
        evicted = 1;
    }
    c->key[i] = key;
    u64map_put(&c->map, key, i);
    lru_push_front(&c->list, c->link, i);
    return evicted;
}

/* ---- the pool -------------------------------------------------------- */

enum slot_state {
    SLOT_FREE = 0,
    SLOT_QUEUED = 1,
    SLOT_RUNNING = 2,
    SLOT_CANCELLED = 3, /* cancelled while queued: still in the ring */
};

struct slot {
    int64_t input, output; /* output >= 1 */
    int64_t done_prefill;  /* prompt tokens in KV (cached + computed) */
    int64_t cached;        /* prompt tokens served by the prefix cache */
    int64_t generated;     /* output tokens produced */
    int64_t kv;            /* KV tokens held: input + output (reservation) or the
                              blocks allocated so far (on demand) */
    int64_t prefill_len;   /* tokens to prefill: input, or input + generated
                              when resumed after a preemption (recompute) */
    int64_t enq_ns, admit_ns;
    int64_t ready_ns; /* enq_ns + server_overhead_ns: admissible from then */
    uint64_t *blocks; /* owned copy, capacity cap_blocks (kept when the slot is reused) */
    uint32_t n_blocks, cap_blocks;
    uint32_t idx, gen;
    uint32_t nref;         /* in-KV cache: blocks[0..nref) are shared entries it references */
    double vjoin;          /* the replica's virtual clock when it joined the batch */
    int64_t chunk;         /* prompt tokens computed in the current step */
    uint64_t seq;          /* admission number, pool-wide: run order is seq order */
    int64_t goff;          /* in the decoding set: generated = goff + replica's tick */
    uint32_t rprev, rnext; /* running list (pool->lazy): admission order */
    int64_t fin;           /* in the decoding set: tick at whose end generated reaches output */
    uint32_t fprev, fnext; /* ... its finish-tick bucket list */
    uint32_t next_free;
    uint8_t state;
    uint8_t dec;        /* in the replica's decoding set (generated kept lazily) */
    uint8_t first_done; /* FIRST_TOKEN emitted */
    uint8_t in_step;    /* takes part in the current step */
};

struct replica {
    uint32_t *q; /* ring of slot ids */
    uint32_t q_head, q_len, q_cap, q_live;
    uint32_t *run; /* running batch in admission order, capacity max_batch; with
                      pool->lazy the list run_head..run_tail is the order and
                      the array is filled only for plan_on_demand */
    uint32_t n_run;
    uint32_t run_head, run_tail;
    int64_t kv_used;
    int64_t next_ns;      /* end of the current step or kick time, -1 idle */
    int64_t step_start;   /* start of the current step */
    bool stepping;        /* a step with work is in progress (not a kick) */
    double slow;          /* step-time factor (brownouts), 1 = nominal */
    struct pcache prefix; /* the prefix cache */
    /* In-KV cache: tokens that sharing saves, sum over running requests of
     * their referenced entries' tokens minus the tokens of the entries
     * referenced at all; the KV in use is kv_used - kv_saved (kv_used sums
     * each request's whole context). */
    int64_t kv_saved;
    /* Accelerator-time attribution: vclk advances by step time / running
     * batch size at the end of each step (step_n: the batch it ran). */
    double vclk;
    uint32_t step_n;
    struct u64map reqs; /* (idx, gen) -> slot id */
    struct pool_stats st;
    /* The decoding set (pool->lazy): every running request past its
     * prefill decodes one token per step unless a step preempts, so its
     * generated count is goff + tick and the set is kept in aggregate:
     * count, sum of (input + goff), counts per (input + goff) mod
     * kv_block_tokens (which requests grow a KV block in a step) and
     * buckets of finish ticks (which requests end in a step). */
    int64_t tick;     /* decode steps finished */
    uint32_t n_dec;   /* requests in the decoding set */
    int64_t dec_sum0; /* sum of input + goff over the set */
    uint32_t *resid;  /* kv_block_tokens counters */
    uint32_t *fb;     /* POOL_FIN_BUCKETS list heads (slot ids), NIL when empty */
    uint32_t *pf;     /* running requests not in the decoding set, in run order */
    uint32_t n_pf;
};

struct pool {
    struct pool_cfg cfg;
    struct replica *rep;
    struct slot *slots;
    uint32_t n_slots, cap_slots, free_head;
    uint64_t seq_next;
    int64_t kv_cap; /* usable KV tokens per replica (kv_capacity), fixed at creation */
    bool kv_pow2;   /* kv_block_tokens is a power of two (the default 16): masks, no division */
    bool lazy;      /* decoding sets kept in aggregate (on-demand KV) */
    bool inkv;      /* the prefix cache lives in the free KV blocks (pool.h) */
    uint32_t *fin;  /* pool_step scratch: decode completions, max_batch */
};

static uint64_t req_key(uint32_t idx, uint32_t gen)
{
    return ((uint64_t)idx << 32) | gen;
}

static bool perf_ok(const struct pool_perf *f)
{
    return isfinite(f->t_fixed_ns) && f->t_fixed_ns >= 0.0 && isfinite(f->t_prefill_ns_per_token) &&
           f->t_prefill_ns_per_token >= 0.0 && isfinite(f->t_decode_ns_per_seq) &&
           f->t_decode_ns_per_seq >= 0.0 && isfinite(f->t_kv_ns_per_token) &&
           f->t_kv_ns_per_token >= 0.0 && isfinite(f->t_weights_ns) && f->t_weights_ns >= 0.0 &&
           f->t_weights_ns <= f->t_fixed_ns;
}

/* Usable KV tokens: whole blocks when allocated on demand. */
static int64_t kv_capacity_of(const struct pool_cfg *cfg)
{
    int64_t cap = cfg->perf.kv_capacity_tokens;
    int64_t b = cfg->kv_block_tokens;
    return b > 0 ? cap / b * b : cap;
}

/* The same, computed once at creation: it is read in every step. */
static inline int64_t kv_capacity(const struct pool *p)
{
    return p->kv_cap;
}

/* ---- the prefix cache in the free KV blocks (pool->inkv) -------------- */

/* Free KV tokens: the capacity minus what running requests hold, blocks
 * they share counted once.  Cached blocks nobody references are free. */
static int64_t kv_free(const struct pool *p, const struct replica *rp)
{
    return kv_capacity(p) - (rp->kv_used - rp->kv_saved);
}

/* Evict free cached blocks, least recently freed first, until they fit
 * the free KV again (vLLM V1 BlockPool.get_new_blocks pops the free
 * queue's head, dropping its hash).  Call after every allocation. */
static void kv_evict_slow(struct pool *p, struct replica *rp)
{
    struct pcache *c = &rp->prefix;
    int64_t bt = p->cfg.block_tokens;
    int64_t room = kv_free(p, rp);
    while (c->evictable > room && c->list.tail != LRU_NIL) {
        uint32_t i = c->list.tail;
        lru_unlink(&c->list, c->link, i);
        u64map_del(&c->map, c->key[i]);
        c->link[i].next = c->free_head;
        c->free_head = i;
        c->evictable -= bt;
        rp->st.prefix_evictions++;
    }
}

/* Inline: most calls find no free cached block (a workload without
 * prefix blocks never has one). */
static inline void kv_evict(struct pool *p, struct replica *rp)
{
    if (rp->prefix.evictable > 0)
        kv_evict_slow(p, rp);
}

/* Request s shares cached entry i (a prefix hit). */
static void kv_ref(struct pool *p, struct replica *rp, struct slot *s, uint32_t i)
{
    struct pcache *c = &rp->prefix;
    int64_t bt = p->cfg.block_tokens;
    if (c->ref[i]++ == 0) { /* a free block goes back in use */
        lru_unlink(&c->list, c->link, i);
        c->evictable -= bt;
    } else {
        rp->kv_saved += bt; /* already in use: counted once */
    }
    s->nref++;
}

/* Request s leaves the batch: it drops its references, last block first,
 * so block 0 ends most recently freed and a chain is evicted from its tail
 * (vLLM V1 KVCacheManager.free frees a request's blocks in reverse). */
static void kv_unref_all(struct pool *p, struct replica *rp, struct slot *s)
{
    struct pcache *c = &rp->prefix;
    int64_t bt = p->cfg.block_tokens;
    for (uint32_t b = s->nref; b-- > 0;) {
        uint32_t i = u64map_get(&c->map, s->blocks[b]);
        if (--c->ref[i] > 0) {
            rp->kv_saved -= bt;
        } else {
            lru_push_front(&c->list, c->link, i);
            c->evictable += bt;
        }
    }
    s->nref = 0;
}

/* s's prefill is complete: its full blocks past the ones it shares get
 * their hash (vLLM caches full blocks as they are computed), stopping at
 * a hash already cached (that block stays private to s). */
static void kv_publish(struct replica *rp, struct slot *s)
{
    struct pcache *c = &rp->prefix;
    while (s->nref < s->n_blocks && (c->free_head != NIL || c->n < c->cap)) {
        uint64_t key = s->blocks[s->nref];
        if (u64map_get(&c->map, key) != U64MAP_NONE)
            break;
        uint32_t i = c->free_head;
        if (i != NIL)
            c->free_head = c->link[i].next;
        else
            i = c->n++; /* entries are taken in order first: no pass over the array */
        c->key[i] = key;
        c->ref[i] = 1;
        u64map_put(&c->map, key, i);
        s->nref++;
    }
}

/* A request leaves the running batch: its shared blocks (in-KV cache). */
static void kv_leave(struct pool *p, struct replica *rp, struct slot *s)
{
    if (p->inkv)
        kv_unref_all(p, rp, s);
}

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    base_errf(err, errlen, "%s", msg);
    return rc;
}

int pool_create(const struct pool_cfg *cfg, struct pool **out, char *err, size_t errlen)
{
    if (out == NULL || cfg == NULL)
        return fail(err, errlen, POOL_EINVAL, "pool: no configuration");
    *out = NULL;
    if (cfg->replicas == 0)
        return fail(err, errlen, POOL_EINVAL, "pool: replicas must be at least 1");
    if (cfg->perf.max_batch == 0 || cfg->perf.max_batch > UINT32_MAX / 2u)
        return fail(err, errlen, POOL_EINVAL, "pool: max_batch must be in 1..2^31");
    if (cfg->perf.kv_capacity_tokens < 1)
        return fail(err, errlen, POOL_EINVAL, "pool: kv_capacity_tokens must be at least 1");
    if (!perf_ok(&cfg->perf))
        return fail(err, errlen, POOL_EINVAL,
                    "pool: step-time coefficients must be finite and non-negative "
                    "(t_weights_ns at most t_fixed_ns)");
    if (cfg->step_model != POOL_STEP_ADDITIVE && cfg->step_model != POOL_STEP_ROOFLINE)
        return fail(err, errlen, POOL_EINVAL, "pool: step_model must be additive or roofline");
    if (cfg->block_tokens == 0)
        return fail(err, errlen, POOL_EINVAL, "pool: block_tokens must be at least 1");
    if (cfg->server_overhead_ns < 0)
        return fail(err, errlen, POOL_EINVAL, "pool: server_overhead_ns must be >= 0");

    struct pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return fail(err, errlen, POOL_ENOMEM, "pool: out of memory");
    p->cfg = *cfg;
    p->kv_cap = kv_capacity_of(cfg);
    p->kv_pow2 =
        cfg->kv_block_tokens > 0 && (cfg->kv_block_tokens & (cfg->kv_block_tokens - 1u)) == 0;
    p->inkv = cfg->prefix_cache && cfg->prefix_cache_blocks == 0 && cfg->kv_block_tokens > 0;
    if (p->cfg.prefix_cache && p->cfg.prefix_cache_blocks == 0) {
        int64_t b = cfg->perf.kv_capacity_tokens / cfg->block_tokens;
        if (b < 1)
            b = 1;
        if (b > (int64_t)POOL_LRU_MAX)
            b = POOL_LRU_MAX;
        p->cfg.prefix_cache_blocks = (uint32_t)b;
        if (p->inkv) /* entries: the blocks of the whole KV, in use or free */
            p->cfg.prefix_cache_blocks = (uint32_t)(kv_capacity(p) / cfg->block_tokens + 1);
    }
    if (!p->cfg.prefix_cache)
        p->cfg.prefix_cache_blocks = 0;
    if (p->cfg.prefix_cache_blocks > POOL_LRU_MAX) {
        free(p);
        return fail(err, errlen, POOL_EINVAL, "pool: prefix_cache_blocks too large");
    }
    p->free_head = NIL;
    p->lazy = cfg->kv_block_tokens > 0 && cfg->kv_block_tokens <= POOL_LAZY_MAX_BLOCK;
    p->rep = calloc(cfg->replicas, sizeof *p->rep);
    if (p->rep == NULL) {
        free(p);
        return fail(err, errlen, POOL_ENOMEM, "pool: out of memory");
    }
    for (uint32_t r = 0; r < cfg->replicas; r++) {
        struct replica *rp = &p->rep[r];
        rp->next_ns = -1;
        rp->slow = 1.0;
        rp->run_head = rp->run_tail = NIL;
        rp->q_cap = POOL_QUEUE_INITIAL;
        rp->q = malloc(rp->q_cap * sizeof *rp->q);
        rp->run = malloc((size_t)cfg->perf.max_batch * sizeof *rp->run);
        int rc = pcache_init(&rp->prefix, p->cfg.prefix_cache_blocks, p->inkv);
        if (p->lazy) {
            rp->resid = calloc(cfg->kv_block_tokens, sizeof *rp->resid);
            rp->pf = malloc((size_t)cfg->perf.max_batch * sizeof *rp->pf);
            rp->fb = malloc(POOL_FIN_BUCKETS * sizeof *rp->fb);
            if (rp->resid == NULL || rp->pf == NULL || rp->fb == NULL)
                rc = POOL_ENOMEM;
            else
                memset(rp->fb, 0xff, POOL_FIN_BUCKETS * sizeof *rp->fb); /* NIL */
        }
        if (rp->q == NULL || rp->run == NULL || rc != POOL_OK ||
            u64map_init(&rp->reqs, POOL_MAP_INITIAL) != BASE_OK) {
            pool_destroy(p);
            return fail(err, errlen, POOL_ENOMEM, "pool: out of memory");
        }
    }
    if (p->lazy) {
        p->fin = malloc((size_t)cfg->perf.max_batch * sizeof *p->fin);
        if (p->fin == NULL) {
            pool_destroy(p);
            return fail(err, errlen, POOL_ENOMEM, "pool: out of memory");
        }
    }
    *out = p;
    return POOL_OK;
}

void pool_destroy(struct pool *p)
{
    if (p == NULL)
        return;
    if (p->rep != NULL) {
        for (uint32_t r = 0; r < p->cfg.replicas; r++) {
            free(p->rep[r].q);
            free(p->rep[r].run);
            pcache_fini(&p->rep[r].prefix);
            u64map_fini(&p->rep[r].reqs);
            free(p->rep[r].resid);
            free(p->rep[r].fb);
            free(p->rep[r].pf);
        }
    }
    for (uint32_t i = 0; i < p->n_slots; i++)
        free(p->slots[i].blocks);
    free(p->slots);
    free(p->rep);
    free(p->fin);
    free(p);
}

uint32_t pool_replicas(const struct pool *p)
{
    return p->cfg.replicas;
}

const struct pool_cfg *pool_get_cfg(const struct pool *p)
{
    return &p->cfg;
}

uint32_t pool_max_events(const struct pool *p)
{
    return 2u * p->cfg.perf.max_batch;
}

/* A free slot id, growing the slot array; NIL on allocation failure. */
static uint32_t slot_get(struct pool *p)
{
    if (p->free_head == NIL) {
        if (p->n_slots == p->cap_slots) {
            uint32_t cap = p->cap_slots ? p->cap_slots * 2u : POOL_SLOTS_INITIAL;
            if (cap <= p->cap_slots || cap >= NIL)
                return NIL;
            struct slot *s = realloc(p->slots, (size_t)cap * sizeof *s);
            if (s == NULL)
                return NIL;
            p->slots = s;
            p->cap_slots = cap;
        }
        struct slot *s = &p->slots[p->n_slots];
        memset(s, 0, sizeof *s);
        s->next_free = NIL;
        p->free_head = p->n_slots++;
    }
    return p->free_head;
}

static void slot_put(struct pool *p, uint32_t id)
{
    struct slot *s = &p->slots[id];
    s->state = SLOT_FREE;
    s->next_free = p->free_head;
    p->free_head = id;
}

/* Blocks of a prompt the cache considers: min(n, ceil(input / block)), or
 * full blocks only, min(n, floor(input / block)), in the KV (pool.h). */
static uint32_t blocks_considered(const struct pool *p, uint32_t n_blocks, int64_t input_tokens)
{
    int64_t bt = p->cfg.block_tokens;
    int64_t full = p->inkv ? input_tokens / bt : (input_tokens + bt - 1) / bt;
    return (int64_t)n_blocks < full ? n_blocks : (uint32_t)full;
}

int pool_enqueue(struct pool *p, uint32_t r, const struct pool_req *req)
{
    if (p == NULL || req == NULL || r >= p->cfg.replicas || req->input_tokens < 0 ||
        req->output_tokens < 0 || (req->n_blocks > 0 && req->blocks == NULL))
        return POOL_EINVAL;
    struct replica *rp = &p->rep[r];
    int64_t output = req->output_tokens < 1 ? 1 : req->output_tokens;
    if (req->input_tokens > INT64_MAX / 2 || output > INT64_MAX / 2)
        return POOL_ETOOBIG;
    int64_t need = req->input_tokens + output;
    if (need > kv_capacity(p))
        return POOL_ETOOBIG;
    uint64_t key = req_key(req->idx, req->gen);
    if (u64map_get(&rp->reqs, key) != U64MAP_NONE)
        return POOL_EINVAL;
    if (rp->next_ns >= 0 && req->enq_ns > rp->next_ns)
        return POOL_EINVAL; /* the engine missed this replica's step */

    /* Reserve everything first, so a failure changes nothing visible. */
    uint32_t id = slot_get(p);
    if (id == NIL)
        return POOL_ENOMEM;
    struct slot *s = &p->slots[id];
    uint32_t nb = p->cfg.prefix_cache ? blocks_considered(p, req->n_blocks, req->input_tokens) : 0;
    if (nb > s->cap_blocks) {
        uint64_t *b = realloc(s->blocks, (size_t)nb * sizeof *b);
        if (b == NULL)
            return POOL_ENOMEM;
        s->blocks = b;
        s->cap_blocks = nb;
    }
    if (u64map_reserve1(&rp->reqs) != BASE_OK)
        return POOL_ENOMEM;
    /* Room for every running request too: a preempted one goes back to the
     * front of the queue inside pool_step, which does not allocate. */
    if ((uint64_t)rp->q_len + rp->n_run + 1u > rp->q_cap) {
        uint64_t want = (uint64_t)rp->q_len + rp->n_run + 1u;
        uint64_t cap = (uint64_t)rp->q_cap * 2u;
        while (cap < want)
            cap *= 2u;
        if (cap > UINT32_MAX / 2u)
            return POOL_ENOMEM;
        uint32_t *q = malloc((size_t)cap * sizeof *q);
        if (q == NULL)
            return POOL_ENOMEM;
        for (uint32_t i = 0; i < rp->q_len; i++)
            q[i] = rp->q[(rp->q_head + i) % rp->q_cap];
        free(rp->q);
        rp->q = q;
        rp->q_cap = (uint32_t)cap;
        rp->q_head = 0;
    }

    p->free_head = s->next_free;
    s->input = req->input_tokens;
    s->output = output;
    s->done_prefill = 0;
    s->cached = 0;
    s->generated = 0;
    s->kv = p->cfg.kv_block_tokens > 0 ? 0 : need;
    s->prefill_len = req->input_tokens;
    s->enq_ns = req->enq_ns;
    s->ready_ns = req->enq_ns + p->cfg.server_overhead_ns;
    s->admit_ns = -1;
    s->n_blocks = nb;
    if (nb > 0)
        memcpy(s->blocks, req->blocks, (size_t)nb * sizeof *s->blocks);
    s->idx = req->idx;
    s->gen = req->gen;
    s->nref = 0;
    s->chunk = 0;
    s->next_free = NIL;
    s->dec = 0;
    s->state = SLOT_QUEUED;
    s->first_done = 0;
    s->in_step = 0;

    u64map_put(&rp->reqs, key, id);
    rp->q[(rp->q_head + rp->q_len) % rp->q_cap] = id;
    rp->q_len++;
    rp->q_live++;
    rp->st.enqueued++;
    if (rp->q_live > rp->st.max_queue)
        rp->st.max_queue = rp->q_live;
    if (rp->next_ns < 0) { /* idle: kick when it becomes admissible */
        rp->next_ns = s->ready_ns;
        rp->step_start = s->ready_ns;
        rp->stepping = false;
    }
    return POOL_OK;
}

int64_t pool_next_event(const struct pool *p, uint32_t r)
{
    return r < p->cfg.replicas ? p->rep[r].next_ns : -1;
}

/* Admission: prefix-cache lookup, KV reservation. */
static void run_link(struct pool *p, struct replica *rp, uint32_t id)
{
    struct slot *s = &p->slots[id];
    s->rprev = rp->run_tail;
    s->rnext = NIL;
    if (rp->run_tail != NIL)
        p->slots[rp->run_tail].rnext = id;
    else
        rp->run_head = id;
    rp->run_tail = id;
}

static void run_unlink(struct pool *p, struct replica *rp, uint32_t id)
{
    struct slot *s = &p->slots[id];
    if (s->rprev != NIL)
        p->slots[s->rprev].rnext = s->rnext;
    else
        rp->run_head = s->rnext;
    if (s->rnext != NIL)
        p->slots[s->rnext].rprev = s->rprev;
    else
        rp->run_tail = s->rprev;
    rp->n_run--;
}

/* listed: the batch is the running list (pool->lazy outside plan_on_demand),
 * else the run array. */
static void admit(struct pool *p, struct replica *rp, uint32_t id, int64_t now_ns, bool listed)
{
    struct slot *s = &p->slots[id];
    s->state = SLOT_RUNNING;
    s->admit_ns = now_ns;
    s->seq = p->seq_next++;
    s->vjoin = rp->vclk;
    if (s->n_blocks > 0) {
        uint32_t j = 0;
        while (j < s->n_blocks && pcache_find(&rp->prefix, s->blocks[j]) != NIL)
            j++;
        for (uint32_t i = j; i-- > 0;) { /* block 0 ends most recently used */
            uint32_t e = pcache_find(&rp->prefix, s->blocks[i]);
            if (p->inkv)
                kv_ref(p, rp, s, e);
            else
                pcache_touch(&rp->prefix, e);
        }
        rp->st.prefix_hit_blocks += j;
        rp->st.prefix_miss_blocks += s->n_blocks - j;
        int64_t cached = (int64_t)j * p->cfg.block_tokens;
        if (cached > s->input - 1)
            cached = s->input - 1;
        if (cached < 0)
            cached = 0;
        s->cached = cached;
        s->done_prefill = cached;
        rp->st.cached_tokens += (uint64_t)cached;
    }
    rp->kv_used += s->kv;
    kv_evict(p, rp);
    if (listed) {
        run_link(p, rp, id);
        rp->n_run++;
    } else {
        rp->run[rp->n_run++] = id;
    }
    rp->q_live--;
    rp->st.admitted++;
}

/* Tokens rounded up to whole KV blocks (on demand). */
static int64_t kv_round(const struct pool *p, int64_t tokens)
{
    int64_t b = p->cfg.kv_block_tokens;
    if (p->kv_pow2 && tokens >= 0) /* the same value as the division below */
        return (tokens + b - 1) & ~(b - 1);
    return (tokens + b - 1) / b * b;
}

/* Preempt the newest running request (vLLM V1: the last of the running
 * list under FCFS): free its KV; it goes back to the front of the queue and
 * recomputes its prompt and the tokens it generated when readmitted. */
static void preempt_last(struct pool *p, struct replica *rp)
{
    uint32_t id = rp->run[--rp->n_run];
    struct slot *s = &p->slots[id];
    rp->kv_used -= s->kv;
    kv_leave(p, rp, s);
    s->kv = 0;
    s->prefill_len = s->input + s->generated;
    s->done_prefill = 0;
    s->chunk = 0;
    s->in_step = 0;
    s->state = SLOT_QUEUED;
    rp->q_head = (rp->q_head + rp->q_cap - 1u) % rp->q_cap;
    rp->q[rp->q_head] = id;
    rp->q_len++;
    rp->q_live++;
    rp->st.preemptions++;
}

/* Whether s decodes in the next step (its prefill is complete). */
static bool decoding(const struct slot *s)
{
    return s->first_done && s->done_prefill >= s->prefill_len;
}

/* A step's length in whole ns: llround(t), at least 1.  For 1 <= t <
 * 2^52, floor(t + 0.5) equals llround(t): t and 0.5 are multiples of
 * ulp(t) <= 0.5, so the sum is exact unless it enters the next binade
 * [2^k, 2^k + 0.5), where any rounding stays in [2^k, 2^k + 0.5] and the
 * floor is 2^k either way.  Inline, where llround is a libm call. */
static int64_t step_round(double t)
{
    if (t < 1.0)
        return 1;
    if (t < 4503599627370496.0) /* 2^52 */
        return (int64_t)(t + 0.5);
    return (int64_t)llround(t);
}

/* Admission with KV on demand (the second half of plan_on_demand): queued
 * requests join while the batch, the step's token budget and the free
 * blocks for their first chunk allow; the first that does not fit blocks
 * the rest.  With `lazy`, each joins the replica's prefill list too. */
static void od_admit(struct pool *p, struct replica *rp, int64_t now_ns, uint32_t max_batch,
                     int64_t budget, int64_t *prefill, int64_t *kv_read, bool lazy)
{
    int64_t cap = kv_capacity(p);
    while (rp->q_len > 0) {
        uint32_t id = rp->q[rp->q_head];
        struct slot *s = &p->slots[id];
        if (s->state == SLOT_CANCELLED) {
            slot_put(p, id);
            rp->q_head = (rp->q_head + 1u) % rp->q_cap;
            rp->q_len--;
            continue;
        }
        if (s->ready_ns > now_ns || rp->n_run >= max_batch)
            break;
        uint32_t j = 0;
        int64_t shared = 0; /* hit blocks already in use: no new KV */
        if (s->n_blocks > 0) {
            uint32_t e;
            while (j < s->n_blocks && (e = pcache_find(&rp->prefix, s->blocks[j])) != NIL) {
                if (p->inkv && rp->prefix.ref[e] > 0)
                    shared += p->cfg.block_tokens;
                j++;
            }
        }
        int64_t cached = (int64_t)j * p->cfg.block_tokens;
        if (cached > s->input - 1)
            cached = s->input - 1;
        if (cached < 0)
            cached = 0;
        int64_t rem = s->prefill_len - cached;
        int64_t c = rem < budget ? rem : budget;
        if (c == 0 && rem > 0)
            break; /* the step's token budget is spent */
        int64_t need = kv_round(p, cached + c);
        if (need - shared > cap - rp->kv_used + rp->kv_saved)
            break;
        s->kv = need;
        admit(p, rp, id, now_ns, lazy); /* sets done_prefill = cached, adds s->kv */
        rp->q_head = (rp->q_head + 1u) % rp->q_cap;
        rp->q_len--;
        s->in_step = 1;
        s->chunk = c;
        budget -= c;
        *prefill += c;
        *kv_read += s->done_prefill;
        if (lazy)
            rp->pf[rp->n_pf++] = id;
    }
}

/* Plan the next step from its work, or go idle / wait for the queue head. */
static int plan_tail(struct pool *p, struct replica *rp, int64_t now_ns, int64_t prefill,
                     uint32_t decode, int64_t kv_read)
{
    if (rp->n_run == 0) {
        rp->next_ns = rp->q_len > 0 ? p->slots[rp->q[rp->q_head]].ready_ns : -1;
        if (rp->next_ns >= 0 && rp->next_ns < now_ns)
            rp->next_ns = now_ns;
        rp->step_start = rp->next_ns;
        rp->stepping = false;
        rp->step_n = 0;
        return POOL_OK;
    }
    if (rp->n_run > rp->st.max_running)
        rp->st.max_running = rp->n_run;
    rp->step_n = rp->n_run;
    double t =
        step_ns(&p->cfg.perf, (enum pool_step_model)p->cfg.step_model, prefill, decode, kv_read) *
        rp->slow;
    int64_t dt = step_round(t);
    rp->step_start = now_ns;
    rp->next_ns = now_ns + dt;
    rp->stepping = true;
    return POOL_OK;
}

/*
 * Steps 2 and 3 of pool_step with KV allocated on demand (vLLM V1's
 * scheduler, vllm/v1/core/sched/scheduler.py): the running requests are
 * scheduled first, in admission order, each growing its KV to the blocks
 * its next step writes; when the free blocks do not suffice, the newest
 * running request is preempted (recompute), possibly the request itself.
 * Then queued requests are admitted while the batch, the step's token
 * budget and the free blocks for their first chunk allow (the first that
 * does not fit blocks the rest).
 */
static int plan_on_demand(struct pool *p, struct replica *rp, int64_t now_ns)
{
    int64_t cap = kv_capacity(p);
    int64_t chunk_cfg = p->cfg.chunked_prefill_tokens;
    int64_t budget = chunk_cfg ? chunk_cfg : INT64_MAX;
    int64_t prefill = 0, kv_read = 0;
    uint32_t decode = 0;
    uint64_t preempted0 = rp->st.preemptions;
    if (p->cfg.budget_counts_decode && chunk_cfg) {
        for (uint32_t i = 0; i < rp->n_run; i++)
            budget -= decoding(&p->slots[rp->run[i]]);
        if (budget < 0)
            budget = 0;
    }
    for (uint32_t i = 0; i < rp->n_run; i++) {
        struct slot *s = &p->slots[rp->run[i]];
        int64_t c = 0, after;
        if (decoding(s)) {
            after = s->input + s->generated;
        } else {
            int64_t rem = s->prefill_len - s->done_prefill;
            c = rem < budget ? rem : budget;
            if (c == 0 && rem > 0)
                continue; /* no budget left this step */
            after = s->done_prefill + c;
        }
        int64_t extra = kv_round(p, after) - s->kv;
        bool self = false;
        while (extra > cap - rp->kv_used + rp->kv_saved) {
            self = rp->run[rp->n_run - 1] == rp->run[i];
            preempt_last(p, rp);
            if (self)
                break;
        }
        if (self)
            break; /* it was the newest: nothing after it runs */
        if (extra > 0) {
            s->kv += extra;
            rp->kv_used += extra;
            kv_evict(p, rp);
        }
        s->in_step = 1;
        s->chunk = c;
        if (decoding(s)) {
            decode++;
            kv_read += s->input + s->generated;
        } else {
            budget -= c;
            prefill += c;
            kv_read += s->done_prefill;
        }
    }

    /* No admission in a step that preempted (vLLM schedules the waiting
     * queue only when nothing was preempted). */
    uint32_t max_batch = rp->st.preemptions != preempted0 ? 0 : p->cfg.perf.max_batch;
    od_admit(p, rp, now_ns, max_batch, budget, &prefill, &kv_read, false);
    return plan_tail(p, rp, now_ns, prefill, decode, kv_read);
}

static void emit(struct pool_event *out, uint32_t *n, const struct replica *rp, uint32_t kind,
                 const struct slot *s)
{
    struct pool_event *e = &out[(*n)++];
    e->kind = kind;
    e->idx = s->idx;
    e->gen = s->gen;
    e->admit_ns = s->admit_ns;
    e->cached_tokens = s->cached;
    e->accel_ns = kind == POOL_EV_DONE ? rp->vclk - s->vjoin : 0.0;
}

/* ---- the decoding set in aggregate (pool->lazy) ----------------------- */

static uint32_t resid_of(const struct pool *p, int64_t x)
{
    int64_t b = p->cfg.kv_block_tokens;
    if (p->kv_pow2) /* two's complement: x & (b - 1) is x mod b, negative x too */
        return (uint32_t)(x & (b - 1));
    int64_t m = x % b;
    return (uint32_t)(m < 0 ? m + b : m);
}

static void fin_link(struct replica *rp, struct slot *slots, uint32_t id)
{
    struct slot *s = &slots[id];
    uint32_t *head = &rp->fb[(uint64_t)s->fin & (POOL_FIN_BUCKETS - 1u)];
    s->fprev = NIL;
    s->fnext = *head;
    if (*head != NIL)
        slots[*head].fprev = id;
    *head = id;
}

static void fin_unlink(struct replica *rp, struct slot *slots, uint32_t id)
{
    struct slot *s = &slots[id];
    if (s->fprev != NIL)
        slots[s->fprev].fnext = s->fnext;
    else
        rp->fb[(uint64_t)s->fin & (POOL_FIN_BUCKETS - 1u)] = s->fnext;
    if (s->fnext != NIL)
        slots[s->fnext].fprev = s->fprev;
}

/* Running request id (its prefill done, not finished) joins the decoding
 * set of rp. */
static void dec_add(struct pool *p, struct replica *rp, uint32_t id)
{
    struct slot *s = &p->slots[id];
    s->dec = 1;
    s->goff = s->generated - rp->tick;
    rp->n_dec++;
    rp->dec_sum0 += s->input + s->goff;
    rp->resid[resid_of(p, s->input + s->goff)]++;
    s->fin = s->output - s->goff;
    fin_link(rp, p->slots, id);
}

/* Request s leaves the decoding set: its generated count is written back. */
static void dec_remove(struct pool *p, struct replica *rp, struct slot *s)
{
    rp->n_dec--;
    rp->dec_sum0 -= s->input + s->goff;
    rp->resid[resid_of(p, s->input + s->goff)]--;
    fin_unlink(rp, p->slots, (uint32_t)(s - p->slots));
    s->generated = s->goff + rp->tick;
    s->dec = 0;
}

/* A decoding request's KV while a step is planned: the blocks of its
 * context input + generated (the step writes token generated + 1). */
static int64_t dec_kv(const struct pool *p, const struct replica *rp, const struct slot *s)
{
    return kv_round(p, s->input + s->goff + rp->tick);
}

/* The exact per-request plan (plan_on_demand) when a step may preempt:
 * write the decoding set back to its requests, plan, and rebuild it. */
static int plan_slow(struct pool *p, struct replica *rp, int64_t now_ns)
{
    uint32_t m = 0;
    for (uint32_t id = rp->run_head; id != NIL; id = p->slots[id].rnext)
        rp->run[m++] = id;
    rp->run_head = rp->run_tail = NIL;
    for (uint32_t i = 0; i < rp->n_run; i++) {
        struct slot *s = &p->slots[rp->run[i]];
        if (s->dec) {
            s->generated = s->goff + rp->tick;
            s->kv = kv_round(p, s->input + s->generated - 1); /* last step's context */
            s->dec = 0;
        }
    }
    rp->n_dec = 0;
    rp->dec_sum0 = 0;
    memset(rp->resid, 0, (size_t)p->cfg.kv_block_tokens * sizeof *rp->resid);
    memset(rp->fb, 0xff, POOL_FIN_BUCKETS * sizeof *rp->fb); /* every list empty (NIL) */
    rp->n_pf = 0;
    int rc = plan_on_demand(p, rp, now_ns);
    for (uint32_t i = 0; i < rp->n_run; i++) {
        uint32_t id = rp->run[i];
        struct slot *s = &p->slots[id];
        run_link(p, rp, id);
        if (decoding(s)) {
            s->in_step = 0; /* the set decodes by the tick */
            dec_add(p, rp, id);
        } else {
            rp->pf[rp->n_pf++] = id;
        }
    }
    return rc;
}

/* pool_step with the decoding set in aggregate: O(requests in prefill +
 * requests that finish x log batch) per step; O(running batch) only in a
 * step whose blocks may not fit the free KV (plan_slow). */
static int step_lazy(struct pool *p, struct replica *rp, int64_t now_ns, struct pool_event *out,
                     uint32_t *n)
{
    struct slot *slots = p->slots;
    /* 1. Finish the step that ends now: every decoding request produced a
     * token; the prefill list advances by its chunks. */
    rp->tick++;
    rp->st.decode_tokens += rp->n_dec;
    uint32_t n_fin = 0;
    for (uint32_t id = rp->fb[(uint64_t)rp->tick & (POOL_FIN_BUCKETS - 1u)]; id != NIL;
         id = slots[id].fnext) {
        if (slots[id].fin != rp->tick)
            continue; /* a later lap */
        /* Insert in seq (run) order; a step finishes few requests. */
        uint32_t j = n_fin++;
        for (; j > 0 && slots[p->fin[j - 1]].seq > slots[id].seq; j--)
            p->fin[j] = p->fin[j - 1];
        p->fin[j] = id;
    }
    uint32_t f = 0, k = 0, n_pf = rp->n_pf;
    for (uint32_t i = 0; i <= n_pf; i++) {
        uint64_t seq = i < n_pf ? slots[rp->pf[i]].seq : UINT64_MAX;
        for (; f < n_fin && slots[p->fin[f]].seq < seq; f++) { /* events in run order */
            struct slot *s = &slots[p->fin[f]];
            emit(out, n, rp, POOL_EV_DONE, s);
            rp->kv_used -= kv_round(p, s->input + s->goff + rp->tick - 1);
            kv_leave(p, rp, s);
            dec_remove(p, rp, s);
            run_unlink(p, rp, p->fin[f]);
            u64map_del(&rp->reqs, req_key(s->idx, s->gen));
            slot_put(p, p->fin[f]);
            rp->st.completed++;
        }
        if (i == n_pf)
            break;
        uint32_t id = rp->pf[i];
        struct slot *s = &slots[id];
        if (!s->in_step) {
            rp->pf[k++] = id;
            continue;
        }
        s->in_step = 0;
        s->done_prefill += s->chunk;
        rp->st.prefill_tokens += (uint64_t)s->chunk;
        s->chunk = 0;
        if (s->done_prefill < s->prefill_len) {
            rp->pf[k++] = id;
            continue;
        }
        s->generated++; /* the prefill's last step samples a token */
        if (!s->first_done) {
            s->first_done = 1;
            rp->st.first_tokens++;
            emit(out, n, rp, POOL_EV_FIRST_TOKEN, s);
            if (p->inkv)
                kv_publish(rp, s);
            else
                for (uint32_t b = s->n_blocks; b-- > 0;)
                    rp->st.prefix_evictions += (uint64_t)pcache_insert(&rp->prefix, s->blocks[b]);
        } else {
            rp->st.decode_tokens++; /* resumed after a preemption */
        }
        if (s->generated >= s->output) {
            emit(out, n, rp, POOL_EV_DONE, s);
            rp->kv_used -= s->kv;
            kv_leave(p, rp, s);
            u64map_del(&rp->reqs, req_key(s->idx, s->gen));
            run_unlink(p, rp, id);
            slot_put(p, id);
            rp->st.completed++;
        } else {
            dec_add(p, rp, id);
        }
    }
    rp->n_pf = k;

    /* 2. Plan: when the blocks the step needs fit the free KV, no request
     * is preempted and plan_on_demand's per-request loop reduces to the
     * set's aggregates plus the prefill list; otherwise run that loop. */
    int64_t chunk_cfg = p->cfg.chunked_prefill_tokens;
    int64_t budget = chunk_cfg ? chunk_cfg : INT64_MAX;
    if (p->cfg.budget_counts_decode && chunk_cfg) {
        budget -= rp->n_dec;
        if (budget < 0)
            budget = 0;
    }
    int64_t bt = p->cfg.kv_block_tokens;
    /* The decoding requests whose next token starts a block (a residue
     * class of input + generated): each grows its KV by one block. */
    int64_t dec_grow = bt * (int64_t)rp->resid[resid_of(p, 1 - rp->tick)];
    int64_t extra = dec_grow;
    int64_t b2 = budget;
    for (uint32_t i = 0; i < rp->n_pf; i++) {
        const struct slot *s = &slots[rp->pf[i]];
        int64_t rem = s->prefill_len - s->done_prefill;
        int64_t c = rem < b2 ? rem : b2;
        if (c == 0 && rem > 0)
            continue;
        extra += kv_round(p, s->done_prefill + c) - s->kv;
        b2 -= c;
    }
    if (extra > kv_free(p, rp))
        return plan_slow(p, rp, now_ns);
    int64_t prefill = 0;
    int64_t kv_read = rp->dec_sum0 + (int64_t)rp->n_dec * rp->tick;
    rp->kv_used += dec_grow;
    for (uint32_t i = 0; i < rp->n_pf; i++) {
        struct slot *s = &slots[rp->pf[i]];
        int64_t rem = s->prefill_len - s->done_prefill;
        int64_t c = rem < budget ? rem : budget;
        if (c == 0 && rem > 0)
            continue; /* no budget left this step */
        int64_t grow = kv_round(p, s->done_prefill + c) - s->kv;
        s->kv += grow;
        rp->kv_used += grow;
        s->in_step = 1;
        s->chunk = c;
        budget -= c;
        prefill += c;
        kv_read += s->done_prefill;
    }
    uint32_t decode = rp->n_dec;
    kv_evict(p, rp);
    if (rp->q_len > 0) /* most steps of a busy replica find its queue empty */
        od_admit(p, rp, now_ns, p->cfg.perf.max_batch, budget, &prefill, &kv_read, true);
    return plan_tail(p, rp, now_ns, prefill, decode, kv_read);
}

int pool_step(struct pool *p, uint32_t r, int64_t now_ns, struct pool_event *out, uint32_t max,
              uint32_t *n)
{
    if (p == NULL || n == NULL || r >= p->cfg.replicas)
        return POOL_EINVAL;
    *n = 0;
    struct replica *rp = &p->rep[r];
    if (rp->next_ns < 0 || now_ns != rp->next_ns)
        return POOL_EINVAL;
    if (rp->n_run > 0 && (out == NULL || max / 2u < rp->n_run))
        return POOL_ENOSPC;

    /* 1. Finish the step that ends now. */
    if (rp->stepping) {
        int64_t dt = now_ns - rp->step_start;
        rp->st.busy_ns += dt;
        rp->st.steps++;
        rp->st.batch_ns += (double)dt * rp->step_n;
        rp->vclk += (double)dt / rp->step_n; /* step_n >= 1 while stepping */
    }
    if (p->lazy)
        return step_lazy(p, rp, now_ns, out, n);
    /* Nothing in this loop moves the slot or batch arrays or changes the
     * batch size; held in locals, they stay in registers across the calls
     * below (u64map_del is in another file). */
    struct slot *slots = p->slots;
    uint32_t *run = rp->run;
    uint32_t n_run = rp->n_run, k = 0;
    for (uint32_t i = 0; i < n_run; i++) {
        uint32_t id = run[i];
        struct slot *s = &slots[id];
        bool done = false;
        if (s->in_step) {
            if (s->done_prefill < s->prefill_len || !s->first_done) {
                s->done_prefill += s->chunk;
                rp->st.prefill_tokens += (uint64_t)s->chunk;
                if (s->done_prefill >= s->prefill_len) {
                    s->generated++; /* the prefill's last step samples a token */
                    if (!s->first_done) {
                        s->first_done = 1;
                        rp->st.first_tokens++;
                        emit(out, n, rp, POOL_EV_FIRST_TOKEN, s);
                        if (p->inkv)
                            kv_publish(rp, s);
                        else
                            for (uint32_t b = s->n_blocks; b-- > 0;)
                                rp->st.prefix_evictions +=
                                    (uint64_t)pcache_insert(&rp->prefix, s->blocks[b]);
                    } else {
                        rp->st.decode_tokens++; /* resumed after a preemption */
                    }
                    done = s->generated >= s->output;
                }
            } else {
                s->generated++;
                rp->st.decode_tokens++;
                done = s->generated >= s->output;
            }
            s->in_step = 0;
            s->chunk = 0;
        }
        if (done) {
            emit(out, n, rp, POOL_EV_DONE, s);
            rp->kv_used -= s->kv;
            kv_leave(p, rp, s);
            u64map_del(&rp->reqs, req_key(s->idx, s->gen));
            slot_put(p, id);
            rp->st.completed++;
        } else {
            run[k++] = id;
        }
    }
    rp->n_run = k;

    if (p->cfg.kv_block_tokens > 0)
        return plan_on_demand(p, rp, now_ns);

    /* 2. Admit from the queue (FIFO, head-of-line). */
    uint32_t max_batch = p->cfg.perf.max_batch;
    while (rp->q_len > 0) {
        uint32_t id = rp->q[rp->q_head];
        struct slot *s = &p->slots[id];
        if (s->state == SLOT_CANCELLED) {
            slot_put(p, id);
        } else if (s->ready_ns > now_ns) {
            break; /* still in the API server (server_overhead) */
        } else if (rp->n_run < max_batch && rp->kv_used + s->kv <= p->cfg.perf.kv_capacity_tokens) {
            admit(p, rp, id, now_ns, false);
        } else {
            break;
        }
        rp->q_head = (rp->q_head + 1u) % rp->q_cap;
        rp->q_len--;
    }

    /* 3. Plan the next step. */
    if (rp->n_run == 0) {
        /* Idle, or waiting for the queue head to reach the scheduler. */
        rp->next_ns = rp->q_len > 0 ? p->slots[rp->q[rp->q_head]].ready_ns : -1;
        rp->step_start = rp->next_ns;
        rp->stepping = false;
        rp->step_n = 0;
        return POOL_OK;
    }
    if (rp->n_run > rp->st.max_running)
        rp->st.max_running = rp->n_run;
    rp->step_n = rp->n_run;
    int64_t budget = p->cfg.chunked_prefill_tokens ? p->cfg.chunked_prefill_tokens : INT64_MAX;
    int64_t prefill = 0, kv_read = 0;
    uint32_t decode = 0;
    if (p->cfg.budget_counts_decode && p->cfg.chunked_prefill_tokens) {
        for (uint32_t i = 0; i < rp->n_run; i++)
            budget -= p->slots[rp->run[i]].first_done;
        if (budget < 0)
            budget = 0;
    }
    for (uint32_t i = 0; i < rp->n_run; i++) {
        struct slot *s = &p->slots[rp->run[i]];
        if (s->first_done) {
            s->in_step = 1;
            decode++;
            kv_read += s->input + s->generated;
        } else {
            int64_t rem = s->input - s->done_prefill;
            int64_t c = rem < budget ? rem : budget;
            if (c > 0 || rem == 0) {
                s->in_step = 1;
                s->chunk = c;
                budget -= c;
                prefill += c;
                kv_read += s->done_prefill;
            }
        }
    }
    double t = pool_step_ns_model(&p->cfg.perf, (enum pool_step_model)p->cfg.step_model, prefill,
                                  decode, kv_read) *
               rp->slow;
    int64_t dt = step_round(t);
    rp->step_start = now_ns;
    rp->next_ns = now_ns + dt;
    rp->stepping = true;
    return POOL_OK;
}

int pool_cancel(struct pool *p, uint32_t r, uint32_t idx, uint32_t gen)
{
    if (p == NULL || r >= p->cfg.replicas)
        return POOL_EINVAL;
    struct replica *rp = &p->rep[r];
    uint64_t key = req_key(idx, gen);
    uint32_t id = u64map_get(&rp->reqs, key);
    if (id == U64MAP_NONE)
        return POOL_ENOENT;
    struct slot *s = &p->slots[id];
    u64map_del(&rp->reqs, key);
    rp->st.cancelled++;
    if (s->state == SLOT_QUEUED) {
        s->state = SLOT_CANCELLED; /* freed when the queue reaches it */
        rp->q_live--;
        return POOL_OK;
    }
    if (s->dec) { /* between steps: its KV is the planned step's */
        s->kv = dec_kv(p, rp, s);
        dec_remove(p, rp, s); /* its finish tick dies in the heap */
    } else if (p->lazy) {
        uint32_t j = 0;
        while (j < rp->n_pf && rp->pf[j] != id)
            j++;
        if (j < rp->n_pf) {
            memmove(&rp->pf[j], &rp->pf[j + 1], (size_t)(rp->n_pf - j - 1) * sizeof *rp->pf);
            rp->n_pf--;
        }
    }
    if (p->lazy) {
        run_unlink(p, rp, id);
        rp->kv_used -= s->kv;
        kv_leave(p, rp, s);
        slot_put(p, id);
        return POOL_OK;
    }
    uint32_t i = 0;
    while (i < rp->n_run && rp->run[i] != id)
        i++;
    if (i < rp->n_run) {
        memmove(&rp->run[i], &rp->run[i + 1], (size_t)(rp->n_run - i - 1) * sizeof *rp->run);
        rp->n_run--;
    }
    rp->kv_used -= s->kv;
    kv_leave(p, rp, s);
    slot_put(p, id);
    return POOL_OK;
}

int pool_set_speed(struct pool *p, uint32_t r, double factor)
{
    if (p == NULL || r >= p->cfg.replicas || !isfinite(factor) || factor < 1.0)
        return POOL_EINVAL;
    p->rep[r].slow = factor;
    return POOL_OK;
}

int pool_replica_reset(struct pool *p, uint32_t r)
{
    if (p == NULL || r >= p->cfg.replicas)
        return POOL_EINVAL;
    struct replica *rp = &p->rep[r];
    if (rp->n_run > 0 || rp->q_live > 0)
        return POOL_EINVAL;
    while (rp->q_len > 0) { /* only cancelled entries are left */
        slot_put(p, rp->q[rp->q_head]);
        rp->q_head = (rp->q_head + 1u) % rp->q_cap;
        rp->q_len--;
    }
    rp->q_head = 0;
    rp->next_ns = -1;
    rp->stepping = false;
    rp->kv_used = 0;
    struct pcache fresh;
    if (pcache_init(&fresh, p->cfg.prefix_cache_blocks, p->inkv) != POOL_OK) {
        pcache_fini(&fresh);
        return POOL_ENOMEM;
    }
    pcache_fini(&rp->prefix);
    rp->prefix = fresh;
    rp->kv_saved = 0;
    return POOL_OK;
}

int64_t pool_signals(const struct pool *p, uint32_t r, uint32_t *queue_depth, double *kv_free)
{
    if (r >= p->cfg.replicas) {
        *queue_depth = 0;
        *kv_free = 0.0;
        return -1;
    }
    const struct replica *rp = &p->rep[r];
    *queue_depth = rp->q_live;
    /* pool_kv_free's expression: the same double */
    *kv_free = 1.0 - (double)(rp->kv_used - rp->kv_saved) / (double)p->cfg.perf.kv_capacity_tokens;
    return rp->next_ns;
}

uint32_t pool_queue_depth(const struct pool *p, uint32_t r)
{
    return r < p->cfg.replicas ? p->rep[r].q_live : 0;
}

uint32_t pool_running(const struct pool *p, uint32_t r)
{
    return r < p->cfg.replicas ? p->rep[r].n_run : 0;
}

double pool_kv_free(const struct pool *p, uint32_t r)
{
    if (r >= p->cfg.replicas)
        return 0.0;
    const struct replica *rp = &p->rep[r];
    return 1.0 - (double)(rp->kv_used - rp->kv_saved) / (double)p->cfg.perf.kv_capacity_tokens;
}

uint32_t pool_prefix_match(const struct pool *p, uint32_t r, const uint64_t *blocks,
                           uint32_t n_blocks, int64_t input_tokens)
{
    if (r >= p->cfg.replicas || blocks == NULL || !p->cfg.prefix_cache)
        return 0;
    uint32_t nb = blocks_considered(p, n_blocks, input_tokens);
    const struct pcache *l = &p->rep[r].prefix;
    uint32_t j = 0;
    while (j < nb && pcache_find(l, blocks[j]) != NIL)
        j++;
    return j;
}

const struct pool_stats *pool_stats(const struct pool *p, uint32_t r)
{
    return r < p->cfg.replicas ? &p->rep[r].st : NULL;
}
