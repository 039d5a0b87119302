/*
 * pool.c - self-hosted GPU pools: profiles, the step-time model, and the
 * per-replica continuous-batching loop with a prefix cache.  See pool.h
 * for the model and how the engine drives it.
 *
 * Step-time coefficients of a profile (pool_profile_perf)
 * --------------------------------------------------------
 * For a model of P parameters (bf16: 2P bytes of weights) on g GPUs, each
 * of peak dense BF16 throughput F (FLOP/s), memory bandwidth B (bytes/s)
 * and memory M (bytes):
 *   F_eff = g x F x MFU x tp,   B_eff = g x B x MEM_EFF x tp
 *   (tp = TP_EFF when g > 1, else 1: all-reduce and imbalance losses)
 *   t_prefill_per_token = 2P / F_eff     (2 FLOPs per parameter per token,
 *                                         Kaplan et al. 2020, "Scaling Laws
 *                                         for Neural Language Models" §2.1)
 *   t_decode_per_seq    = 2P / F_eff     (the same matmul FLOPs per token)
 *   t_fixed             = STEP_OVERHEAD + 2P / B_eff
 *                         (every step reads all weights once)
 *   t_kv_per_token      = kv_bytes_per_token / B_eff
 *   kv_bytes_per_token  = 2 x layers x kv_heads x head_dim x 2 bytes
 *   kv_capacity_tokens  = (MEM_UTIL x g x M - 2P - g x RESERVE) / kv_bytes_per_token
 * Attention FLOPs (quadratic in context) are left out: for Llama-3.1-8B at
 * 4k tokens they are about 4 x layers x hidden x ctx/2 = 1 GFLOP per token
 * against 16 GFLOP of matmuls.
 *
 * Assumptions (stated, not calibrated against a measured engine):
 *   MFU 0.5: prefill GEMMs reach about half of peak.  Pope et al.,
 *     "Efficiently Scaling Transformer Inference" (MLSys 2023) report 76%
 *     MFU for large-batch prompt processing on TPU v4; serving engines on
 *     GPUs with small chunks get less.
 *   MEM_EFF 0.7: decode GEMV kernels stream weights at about 70% of the
 *     datasheet bandwidth.
 *   TP_EFF 0.8 for tensor-parallel replicas (NVLink all-reduce per layer).
 *   MEM_UTIL 0.9: vLLM's default gpu_memory_utilization (vLLM engine
 *     arguments, docs.vllm.ai).
 *   RESERVE 2 GB per GPU for activations, CUDA graphs and the allocator.
 *   STEP_OVERHEAD 0.5 ms: scheduler, sampling and kernel launches per step.
 *   max_batch 256: vLLM's default max_num_seqs (vLLM engine arguments).
 */
#include "pool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* ---- constants ------------------------------------------------------- */

#define POOL_TERA 1e12 /* FLOP/s per TFLOP/s, bytes/s per TB/s */
#define POOL_GIGA 1e9  /* bytes per GB, ns per s */

/* Assumptions (see the header comment). */
#define POOL_MFU              0.5      /* model FLOPs utilisation in prefill/decode matmuls */
#define POOL_MEM_EFF          0.7      /* achieved / datasheet memory bandwidth */
#define POOL_TP_EFF           0.8      /* tensor-parallel efficiency (g > 1) */
#define POOL_MEM_UTIL         0.9      /* vLLM gpu_memory_utilization default */
#define POOL_RESERVE_BYTES    2e9      /* bytes per GPU for activations and graphs */
#define POOL_STEP_OVERHEAD_NS 500000.0 /* 0.5 ms per step */
#define POOL_MAX_NUM_SEQS     256u     /* vLLM max_num_seqs default */

/* pool_cfg_init defaults. */
#define POOL_CHUNK_DEFAULT 2048u /* prompt tokens per step (assumption) */
#define POOL_BLOCK_DEFAULT 512u  /* tokens per block: Mooncake trace hash_ids */
#define POOL_QUEUE_INITIAL 16u
#define POOL_MAP_INITIAL   16u
#define POOL_SLOTS_INITIAL 16u
#define POOL_HASH_SALT     0x9E3779B97F4A7C15ull /* golden-ratio constant */

#define NIL          UINT32_MAX
#define POOL_LRU_MAX (UINT32_MAX / 4u) /* blocks per replica cache at most */

/* ---- profiles -------------------------------------------------------- */

static const struct pool_gpu gpu_h100 = {
    .name = "H100-SXM-80GB",
    .bf16_flops = 989.0 * POOL_TERA,
    .mem_bytes_per_s = 3.35 * POOL_TERA,
    .mem_bytes = 80.0 * POOL_GIGA,
    .source = "NVIDIA H100 Tensor Core GPU datasheet, SXM: BF16 1,979 TFLOPS with sparsity "
              "(989 dense), HBM3 3.35 TB/s, 80 GB",
};

static const struct pool_gpu gpu_a100 = {
    .name = "A100-SXM-80GB",
    .bf16_flops = 312.0 * POOL_TERA,
    .mem_bytes_per_s = 2.0 * POOL_TERA,
    .mem_bytes = 80.0 * POOL_GIGA,
    .source = "NVIDIA A100 Tensor Core GPU datasheet, 80GB SXM: BF16 312 TFLOPS dense "
              "(624 with sparsity), HBM2e 2,039 GB/s (2.0 TB/s used), 80 GB",
};

static const struct pool_gpu gpu_l4 = {
    .name = "L4-24GB",
    .bf16_flops = 121.0 * POOL_TERA,
    .mem_bytes_per_s = 0.3 * POOL_TERA,
    .mem_bytes = 24.0 * POOL_GIGA,
    .source = "NVIDIA L4 Tensor Core GPU datasheet: BF16 242 TFLOPS with sparsity (121 dense), "
              "GDDR6 300 GB/s, 24 GB",
};

static const struct pool_model model_llama31_8b = {
    .name = "llama-3.1-8b",
    .params = 8.03e9,
    .layers = 32,
    .kv_heads = 8,
    .head_dim = 128,
    .weight_bytes = 2,
    .kv_bytes = 2,
    .source = "meta-llama/Llama-3.1-8B config.json: num_hidden_layers 32, num_key_value_heads "
              "8, hidden_size 4096 / num_attention_heads 32 = head_dim 128; 8.03B parameters "
              "(Hugging Face model page); bf16",
};

static const struct pool_model model_llama31_70b = {
    .name = "llama-3.1-70b",
    .params = 70.6e9,
    .layers = 80,
    .kv_heads = 8,
    .head_dim = 128,
    .weight_bytes = 2,
    .kv_bytes = 2,
    .source = "meta-llama/Llama-3.1-70B config.json: num_hidden_layers 80, num_key_value_heads "
              "8, hidden_size 8192 / num_attention_heads 64 = head_dim 128; 70.6B parameters "
              "(Hugging Face model page); bf16",
};

/* GCP us-central1 hourly prices: Cyclenerd/google-cloud-pricing-cost-calculator
 * pricing.yml (generated 2026-07-30), compute.instance.<type>.cost.us-central1
 * .hour and .hour_spot (../shared/providers/gcp-pricing; reference/data.md §5).
 * Multi-GPU machine types cost exactly n x the 1-GPU type there.
 * Llama-3.1-70B is not offered on L4: its 141 GB of bf16 weights need at
 * least 6 L4s (24 GB each) and tensor parallelism must divide 64 heads, so
 * 8 (g2-standard-96), leaving ~15 GB of KV across 8 slow GPUs: not a
 * deployment anyone runs in bf16. */
#define GCP_PRICES "Cyclenerd pricing.yml 2026-07-30, us-central1 hour / hour_spot"

static const struct pool_profile profiles[] = {
    {
        .name = "h100-llama3.1-8b",
        .gpu = &gpu_h100,
        .model = &model_llama31_8b,
        .gpus = 1,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "a3-highgpu-1g",
        .region = "us-central1",
        .usd_per_hour = 11.06125,
        .usd_per_hour_spot = 6.326193,
        .price_source = GCP_PRICES,
    },
    {
        .name = "a100-llama3.1-8b",
        .gpu = &gpu_a100,
        .model = &model_llama31_8b,
        .gpus = 1,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "a2-ultragpu-1g",
        .region = "us-central1",
        .usd_per_hour = 5.068798,
        .usd_per_hour_spot = 2.759546,
        .price_source = GCP_PRICES,
    },
    {
        /* g2-standard-8 (8 vCPU, 32 GB RAM) rather than g2-standard-4
         * ($0.706832 / $0.397336, 16 GB RAM: no room to stage 16 GB of
         * weights through host memory). */
        .name = "l4-llama3.1-8b",
        .gpu = &gpu_l4,
        .model = &model_llama31_8b,
        .gpus = 1,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "g2-standard-8",
        .region = "us-central1",
        .usd_per_hour = 0.853624,
        .usd_per_hour_spot = 0.479872,
        .price_source = GCP_PRICES,
    },
    {
        .name = "h100x4-llama3.1-70b",
        .gpu = &gpu_h100,
        .model = &model_llama31_70b,
        .gpus = 4,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "a3-highgpu-4g",
        .region = "us-central1",
        .usd_per_hour = 44.245,
        .usd_per_hour_spot = 25.304770,
        .price_source = GCP_PRICES,
    },
    {
        .name = "a100x8-llama3.1-70b",
        .gpu = &gpu_a100,
        .model = &model_llama31_70b,
        .gpus = 8,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "a2-ultragpu-8g",
        .region = "us-central1",
        .usd_per_hour = 40.550383,
        .usd_per_hour_spot = 22.076370,
        .price_source = GCP_PRICES,
    },
};

#define N_PROFILES ((uint32_t)(sizeof profiles / sizeof profiles[0]))

uint32_t pool_profile_count(void)
{
    return N_PROFILES;
}

const struct pool_profile *pool_profile_at(uint32_t i)
{
    return i < N_PROFILES ? &profiles[i] : NULL;
}

const struct pool_profile *pool_profile_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (uint32_t i = 0; i < N_PROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

double pool_kv_bytes_per_token(const struct pool_model *m)
{
    return 2.0 * m->layers * m->kv_heads * m->head_dim * m->kv_bytes;
}

int pool_profile_perf(const struct pool_profile *p, struct pool_perf *out)
{
    if (p == NULL || out == NULL || p->gpu == NULL || p->model == NULL || p->gpus == 0 ||
        p->max_batch == 0)
        return POOL_EINVAL;
    const struct pool_gpu *g = p->gpu;
    const struct pool_model *m = p->model;
    double n = (double)p->gpus;
    double tp = p->gpus > 1 ? POOL_TP_EFF : 1.0;
    double flops = n * g->bf16_flops * POOL_MFU * tp;
    double bw = n * g->mem_bytes_per_s * POOL_MEM_EFF * tp;
    double weights = m->params * m->weight_bytes;
    double kv_tok = pool_kv_bytes_per_token(m);
    double kv_bytes = POOL_MEM_UTIL * n * g->mem_bytes - weights - n * POOL_RESERVE_BYTES;
    if (!(flops > 0.0) || !(bw > 0.0) || !(kv_tok > 0.0) || !(kv_bytes >= kv_tok))
        return POOL_EINVAL;
    out->t_prefill_ns_per_token = 2.0 * m->params / flops * POOL_GIGA;
    out->t_decode_ns_per_seq = out->t_prefill_ns_per_token;
    out->t_fixed_ns = POOL_STEP_OVERHEAD_NS + weights / bw * POOL_GIGA;
    out->t_kv_ns_per_token = kv_tok / bw * POOL_GIGA;
    out->kv_capacity_tokens = (int64_t)floor(kv_bytes / kv_tok);
    out->max_batch = p->max_batch;
    return POOL_OK;
}

double pool_step_ns(const struct pool_perf *perf, int64_t prefill_tokens, uint32_t decode_batch,
                    int64_t kv_tokens_read)
{
    return perf->t_fixed_ns + (double)prefill_tokens * perf->t_prefill_ns_per_token +
           (double)decode_batch * perf->t_decode_ns_per_seq +
           (double)kv_tokens_read * perf->t_kv_ns_per_token;
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
    cfg->block_tokens = POOL_BLOCK_DEFAULT;
    cfg->prefix_cache = true;
    cfg->prefix_cache_blocks = 0;
    return POOL_OK;
}

/* ---- a u64 -> u32 open-addressing map (linear probing) --------------- */

struct pmap {
    uint64_t *keys;
    uint32_t *vals; /* NIL = empty */
    uint32_t mask, n;
};

static uint32_t pmap_home(const struct pmap *m, uint64_t key)
{
    return (uint32_t)(rng_mix64(key ^ POOL_HASH_SALT) & m->mask);
}

static int pmap_alloc(struct pmap *m, uint32_t cap)
{
    m->keys = malloc((size_t)cap * sizeof *m->keys);
    m->vals = malloc((size_t)cap * sizeof *m->vals);
    if (m->keys == NULL || m->vals == NULL) {
        free(m->keys);
        free(m->vals);
        m->keys = NULL;
        m->vals = NULL;
        return POOL_ENOMEM;
    }
    for (uint32_t i = 0; i < cap; i++)
        m->vals[i] = NIL;
    m->mask = cap - 1;
    m->n = 0;
    return POOL_OK;
}

/* A table with room for `entries` at load <= 1/2. */
static int pmap_init(struct pmap *m, uint32_t entries)
{
    uint32_t cap = POOL_MAP_INITIAL;
    while (cap < 2u * entries + 2u)
        cap *= 2u;
    return pmap_alloc(m, cap);
}

static void pmap_fini(struct pmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

static uint32_t pmap_get(const struct pmap *m, uint64_t key)
{
    for (uint32_t i = pmap_home(m, key);; i = (i + 1) & m->mask) {
        if (m->vals[i] == NIL)
            return NIL;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

/* Insert a key known to be absent; the caller guaranteed room. */
static void pmap_put(struct pmap *m, uint64_t key, uint32_t val)
{
    uint32_t i = pmap_home(m, key);
    while (m->vals[i] != NIL)
        i = (i + 1) & m->mask;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

/* Delete with backward shift (no tombstones). */
static void pmap_del(struct pmap *m, uint64_t key)
{
    uint32_t i = pmap_home(m, key);
    while (m->vals[i] != NIL && m->keys[i] != key)
        i = (i + 1) & m->mask;
    if (m->vals[i] == NIL)
        return;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (m->vals[j] == NIL)
            break;
        uint32_t k = pmap_home(m, m->keys[j]);
        /* Entry j stays unless its home lies cyclically outside (i, j]. */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->vals[i] = NIL;
    m->n--;
}

/* Make room for one more entry (load <= 1/2), rehashing if needed. */
static int pmap_reserve1(struct pmap *m)
{
    uint32_t cap = m->mask + 1u;
    if (2u * (m->n + 1u) <= cap)
        return POOL_OK;
    struct pmap bigger;
    if (cap > UINT32_MAX / 2u || pmap_alloc(&bigger, cap * 2u) != POOL_OK)
        return POOL_ENOMEM;
    for (uint32_t i = 0; i < cap; i++)
        if (m->vals[i] != NIL)
            pmap_put(&bigger, m->keys[i], m->vals[i]);
    pmap_fini(m);
    *m = bigger;
    return POOL_OK;
}

/* ---- LRU set of block hashes ----------------------------------------- */

struct lru {
    uint32_t cap, n;
    uint64_t *key;
    uint32_t *prev, *next;
    uint32_t head, tail; /* head = most recently used */
    struct pmap map;
};

static int lru_init(struct lru *l, uint32_t cap)
{
    memset(l, 0, sizeof *l);
    l->head = l->tail = NIL;
    if (cap == 0)
        return POOL_OK;
    l->cap = cap;
    l->key = malloc((size_t)cap * sizeof *l->key);
    l->prev = malloc((size_t)cap * sizeof *l->prev);
    l->next = malloc((size_t)cap * sizeof *l->next);
    if (l->key == NULL || l->prev == NULL || l->next == NULL || pmap_init(&l->map, cap) != 0)
        return POOL_ENOMEM;
    return POOL_OK;
}

static void lru_fini(struct lru *l)
{
    free(l->key);
    free(l->prev);
    free(l->next);
    pmap_fini(&l->map);
}

static void lru_unlink(struct lru *l, uint32_t i)
{
    if (l->prev[i] != NIL)
        l->next[l->prev[i]] = l->next[i];
    else
        l->head = l->next[i];
    if (l->next[i] != NIL)
        l->prev[l->next[i]] = l->prev[i];
    else
        l->tail = l->prev[i];
}

static void lru_push_front(struct lru *l, uint32_t i)
{
    l->prev[i] = NIL;
    l->next[i] = l->head;
    if (l->head != NIL)
        l->prev[l->head] = i;
    l->head = i;
    if (l->tail == NIL)
        l->tail = i;
}

static uint32_t lru_find(const struct lru *l, uint64_t key)
{
    return l->cap ? pmap_get(&l->map, key) : NIL;
}

static void lru_touch(struct lru *l, uint32_t i)
{
    if (l->head != i) {
        lru_unlink(l, i);
        lru_push_front(l, i);
    }
}

/* Insert or touch; returns 1 if a block was evicted. */
static int lru_insert(struct lru *l, uint64_t key)
{
    if (l->cap == 0)
        return 0;
    uint32_t i = pmap_get(&l->map, key);
    if (i != NIL) {
        lru_touch(l, i);
        return 0;
    }
    int evicted = 0;
    if (l->n < l->cap) {
        i = l->n++;
    } else {
        i = l->tail;
        lru_unlink(l, i);
        pmap_del(&l->map, l->key[i]);
        evicted = 1;
    }
    l->key[i] = key;
    pmap_put(&l->map, key, i);
    lru_push_front(l, i);
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
    int64_t kv;            /* reserved KV tokens: input + output */
    int64_t enq_ns, admit_ns;
    uint64_t *blocks; /* owned copy, capacity cap_blocks (kept when the slot is reused) */
    uint32_t n_blocks, cap_blocks;
    uint32_t idx, gen;
    int64_t chunk; /* prompt tokens computed in the current step */
    uint32_t next_free;
    uint8_t state;
    uint8_t first_done; /* FIRST_TOKEN emitted */
    uint8_t in_step;    /* takes part in the current step */
};

struct replica {
    uint32_t *q; /* ring of slot ids */
    uint32_t q_head, q_len, q_cap, q_live;
    uint32_t *run; /* running batch in admission order, capacity max_batch */
    uint32_t n_run;
    int64_t kv_used;
    int64_t next_ns;    /* end of the current step or kick time, -1 idle */
    int64_t step_start; /* start of the current step */
    bool stepping;      /* a step with work is in progress (not a kick) */
    double slow;        /* step-time factor (brownouts), 1 = nominal */
    struct lru lru;
    struct pmap reqs; /* (idx, gen) -> slot id */
    struct pool_stats st;
};

struct pool {
    struct pool_cfg cfg;
    struct replica *rep;
    struct slot *slots;
    uint32_t n_slots, cap_slots, free_head;
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
           f->t_kv_ns_per_token >= 0.0;
}

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
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
                    "pool: step-time coefficients must be finite and non-negative");
    if (cfg->block_tokens == 0)
        return fail(err, errlen, POOL_EINVAL, "pool: block_tokens must be at least 1");

    struct pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return fail(err, errlen, POOL_ENOMEM, "pool: out of memory");
    p->cfg = *cfg;
    if (p->cfg.prefix_cache && p->cfg.prefix_cache_blocks == 0) {
        int64_t b = cfg->perf.kv_capacity_tokens / cfg->block_tokens;
        if (b < 1)
            b = 1;
        if (b > (int64_t)POOL_LRU_MAX)
            b = POOL_LRU_MAX;
        p->cfg.prefix_cache_blocks = (uint32_t)b;
    }
    if (!p->cfg.prefix_cache)
        p->cfg.prefix_cache_blocks = 0;
    if (p->cfg.prefix_cache_blocks > POOL_LRU_MAX) {
        free(p);
        return fail(err, errlen, POOL_EINVAL, "pool: prefix_cache_blocks too large");
    }
    p->free_head = NIL;
    p->rep = calloc(cfg->replicas, sizeof *p->rep);
    if (p->rep == NULL) {
        free(p);
        return fail(err, errlen, POOL_ENOMEM, "pool: out of memory");
    }
    for (uint32_t r = 0; r < cfg->replicas; r++) {
        struct replica *rp = &p->rep[r];
        rp->next_ns = -1;
        rp->slow = 1.0;
        rp->q_cap = POOL_QUEUE_INITIAL;
        rp->q = malloc(rp->q_cap * sizeof *rp->q);
        rp->run = malloc((size_t)cfg->perf.max_batch * sizeof *rp->run);
        int rc = lru_init(&rp->lru, p->cfg.prefix_cache_blocks);
        if (rp->q == NULL || rp->run == NULL || rc != POOL_OK ||
            pmap_init(&rp->reqs, POOL_MAP_INITIAL) != POOL_OK) {
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
            lru_fini(&p->rep[r].lru);
            pmap_fini(&p->rep[r].reqs);
        }
    }
    for (uint32_t i = 0; i < p->n_slots; i++)
        free(p->slots[i].blocks);
    free(p->slots);
    free(p->rep);
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

/* Blocks of a prompt the cache considers: min(n, ceil(input / block)). */
static uint32_t blocks_considered(const struct pool *p, uint32_t n_blocks, int64_t input_tokens)
{
    int64_t bt = p->cfg.block_tokens;
    int64_t full = (input_tokens + bt - 1) / bt;
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
    if (need > p->cfg.perf.kv_capacity_tokens)
        return POOL_ETOOBIG;
    uint64_t key = req_key(req->idx, req->gen);
    if (pmap_get(&rp->reqs, key) != NIL)
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
    if (pmap_reserve1(&rp->reqs) != POOL_OK)
        return POOL_ENOMEM;
    if (rp->q_len == rp->q_cap) {
        if (rp->q_cap > UINT32_MAX / 2u)
            return POOL_ENOMEM;
        uint32_t cap = rp->q_cap * 2u;
        uint32_t *q = malloc((size_t)cap * sizeof *q);
        if (q == NULL)
            return POOL_ENOMEM;
        for (uint32_t i = 0; i < rp->q_len; i++)
            q[i] = rp->q[(rp->q_head + i) % rp->q_cap];
        free(rp->q);
        rp->q = q;
        rp->q_cap = cap;
        rp->q_head = 0;
    }

    p->free_head = s->next_free;
    s->input = req->input_tokens;
    s->output = output;
    s->done_prefill = 0;
    s->cached = 0;
    s->generated = 0;
    s->kv = need;
    s->enq_ns = req->enq_ns;
    s->admit_ns = -1;
    s->n_blocks = nb;
    if (nb > 0)
        memcpy(s->blocks, req->blocks, (size_t)nb * sizeof *s->blocks);
    s->idx = req->idx;
    s->gen = req->gen;
    s->chunk = 0;
    s->next_free = NIL;
    s->state = SLOT_QUEUED;
    s->first_done = 0;
    s->in_step = 0;

    pmap_put(&rp->reqs, key, id);
    rp->q[(rp->q_head + rp->q_len) % rp->q_cap] = id;
    rp->q_len++;
    rp->q_live++;
    rp->st.enqueued++;
    if (rp->q_live > rp->st.max_queue)
        rp->st.max_queue = rp->q_live;
    if (rp->next_ns < 0) { /* idle: kick now */
        rp->next_ns = req->enq_ns;
        rp->step_start = req->enq_ns;
        rp->stepping = false;
    }
    return POOL_OK;
}

int64_t pool_next_event(const struct pool *p, uint32_t r)
{
    return r < p->cfg.replicas ? p->rep[r].next_ns : -1;
}

/* Admission: prefix-cache lookup, KV reservation. */
static void admit(struct pool *p, struct replica *rp, uint32_t id, int64_t now_ns)
{
    struct slot *s = &p->slots[id];
    s->state = SLOT_RUNNING;
    s->admit_ns = now_ns;
    if (s->n_blocks > 0) {
        uint32_t j = 0;
        while (j < s->n_blocks && lru_find(&rp->lru, s->blocks[j]) != NIL)
            j++;
        for (uint32_t i = j; i-- > 0;) /* block 0 ends most recently used */
            lru_touch(&rp->lru, lru_find(&rp->lru, s->blocks[i]));
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
    rp->run[rp->n_run++] = id;
    rp->q_live--;
    rp->st.admitted++;
}

static void emit(struct pool_event *out, uint32_t *n, uint32_t kind, const struct slot *s)
{
    struct pool_event *e = &out[(*n)++];
    e->kind = kind;
    e->idx = s->idx;
    e->gen = s->gen;
    e->admit_ns = s->admit_ns;
    e->cached_tokens = s->cached;
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
        rp->st.busy_ns += now_ns - rp->step_start;
        rp->st.steps++;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < rp->n_run; i++) {
        uint32_t id = rp->run[i];
        struct slot *s = &p->slots[id];
        bool done = false;
        if (s->in_step) {
            if (!s->first_done) {
                s->done_prefill += s->chunk;
                rp->st.prefill_tokens += (uint64_t)s->chunk;
                if (s->done_prefill >= s->input) {
                    s->first_done = 1;
                    s->generated = 1;
                    rp->st.first_tokens++;
                    emit(out, n, POOL_EV_FIRST_TOKEN, s);
                    for (uint32_t b = s->n_blocks; b-- > 0;)
                        rp->st.prefix_evictions += (uint64_t)lru_insert(&rp->lru, s->blocks[b]);
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
            emit(out, n, POOL_EV_DONE, s);
            rp->kv_used -= s->kv;
            pmap_del(&rp->reqs, req_key(s->idx, s->gen));
            slot_put(p, id);
            rp->st.completed++;
        } else {
            rp->run[k++] = id;
        }
    }
    rp->n_run = k;

    /* 2. Admit from the queue (FIFO, head-of-line). */
    uint32_t max_batch = p->cfg.perf.max_batch;
    while (rp->q_len > 0) {
        uint32_t id = rp->q[rp->q_head];
        struct slot *s = &p->slots[id];
        if (s->state == SLOT_CANCELLED) {
            slot_put(p, id);
        } else if (rp->n_run < max_batch && rp->kv_used + s->kv <= p->cfg.perf.kv_capacity_tokens) {
            admit(p, rp, id, now_ns);
        } else {
            break;
        }
        rp->q_head = (rp->q_head + 1u) % rp->q_cap;
        rp->q_len--;
    }

    /* 3. Plan the next step. */
    if (rp->n_run == 0) {
        rp->next_ns = -1;
        rp->stepping = false;
        return POOL_OK;
    }
    if (rp->n_run > rp->st.max_running)
        rp->st.max_running = rp->n_run;
    int64_t budget = p->cfg.chunked_prefill_tokens ? p->cfg.chunked_prefill_tokens : INT64_MAX;
    int64_t prefill = 0, kv_read = 0;
    uint32_t decode = 0;
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
    double t = pool_step_ns(&p->cfg.perf, prefill, decode, kv_read) * rp->slow;
    int64_t dt = t < 1.0 ? 1 : (int64_t)llround(t);
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
    uint32_t id = pmap_get(&rp->reqs, key);
    if (id == NIL)
        return POOL_ENOENT;
    struct slot *s = &p->slots[id];
    pmap_del(&rp->reqs, key);
    rp->st.cancelled++;
    if (s->state == SLOT_QUEUED) {
        s->state = SLOT_CANCELLED; /* freed when the queue reaches it */
        rp->q_live--;
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
    struct lru fresh;
    if (lru_init(&fresh, p->cfg.prefix_cache_blocks) != POOL_OK) {
        lru_fini(&fresh);
        return POOL_ENOMEM;
    }
    lru_fini(&rp->lru);
    rp->lru = fresh;
    return POOL_OK;
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
    return 1.0 - (double)p->rep[r].kv_used / (double)p->cfg.perf.kv_capacity_tokens;
}

uint32_t pool_prefix_match(const struct pool *p, uint32_t r, const uint64_t *blocks,
                           uint32_t n_blocks, int64_t input_tokens)
{
    if (r >= p->cfg.replicas || blocks == NULL || !p->cfg.prefix_cache)
        return 0;
    uint32_t nb = blocks_considered(p, n_blocks, input_tokens);
    const struct lru *l = &p->rep[r].lru;
    uint32_t j = 0;
    while (j < nb && lru_find(l, blocks[j]) != NIL)
        j++;
    return j;
}

const struct pool_stats *pool_stats(const struct pool *p, uint32_t r)
{
    return r < p->cfg.replicas ? &p->rep[r].st : NULL;
}
