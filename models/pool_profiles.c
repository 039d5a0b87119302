/*
 * pool_profiles.c - the built-in GPU pool profiles (GPUs, models, machine
 * prices) and the roofline derivation of their step-time coefficients.
 * The batching loop that uses them is pool.c; see pool.h for the model.
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
 *   max_batch 256: vLLM's default max_num_seqs on GPUs below 70 GiB and on
 *     A100 (H100 gets 1024 since V1: `engine: vllm`, pool_engine_defaults).
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pool.h"

/* ---- constants ------------------------------------------------------- */

#define POOL_TERA 1e12 /* FLOP/s per TFLOP/s, bytes/s per TB/s */
#define POOL_GIGA 1e9  /* bytes per GB, ns per s */

/* Assumptions (see the header comment).  MFU, MEM_EFF and STEP_OVERHEAD
 * are the defaults of the per-pool knobs (struct pool_calib; scenario keys
 * mfu, mem_eff, step_overhead). */
#define POOL_MFU              0.5      /* model FLOPs utilisation in prefill/decode matmuls */
#define POOL_MEM_EFF          0.7      /* achieved / datasheet memory bandwidth */
#define POOL_TP_EFF           0.8      /* tensor-parallel efficiency (g > 1) */
#define POOL_MEM_UTIL         0.9      /* vLLM gpu_memory_utilization default */
#define POOL_RESERVE_BYTES    2e9      /* bytes per GPU for activations and graphs */
#define POOL_STEP_OVERHEAD_NS 500000.0 /* 0.5 ms per step */
#define POOL_MAX_NUM_SEQS     256u     /* vLLM max_num_seqs default */
/* lbsim's chunk without an engine preset (pool_cfg_init): an assumption. */
#define POOL_CHUNK_TOKENS_DEFAULT 2048u

/* Engine presets (pool_engine_defaults).
 *
 * vLLM V1, `vllm serve` (UsageContext.OPENAI_API_SERVER):
 * vllm/engine/arg_utils.py, EngineArgs.get_batch_defaults /
 * _set_default_args (v0.10-v0.11 line; the A100 exclusion comes from vLLM
 * PR #17885, "setting large max_num_batched_tokens for A100 reduces
 * throughput"): a GPU with at least 70 GiB of memory whose name does not
 * contain "a100" gets max_num_seqs 1024 and max_num_batched_tokens 8192;
 * every other GPU 256 and 2048; then max_num_seqs = min(max_num_seqs,
 * max_num_batched_tokens).  V1 always chunks prefills (the token budget is
 * shared by decode tokens and prompt chunks; lbsim's chunk bounds only the
 * prompt tokens, the decode tokens of a step being at most max_num_seqs). */
#define POOL_VLLM_BIG_GPU_BYTES (70.0 * 1073741824.0) /* 70 GiB */
#define POOL_VLLM_BIG_SEQS      1024u
#define POOL_VLLM_BIG_TOKENS    8192u
#define POOL_VLLM_SEQS          256u
#define POOL_VLLM_TOKENS        2048u
/* SGLang: python/sglang/srt/server_args.py, the GPU-memory tiers of the
 * chunked_prefill_size default (the same for these GPUs in the v0.4 and
 * the 2026 source): below 35 GB (per GPU, MiB in the source: 35 * 1024)
 * 2048 tokens; up to 160 GB (A100-80GB, H100, H200) 8192.
 * max_running_requests defaults to min(max_total_num_tokens / 2,
 * req_to_token_pool size) with the pool size min(max(kv_tokens /
 * context_len x 512, 2048), 4096) (scheduler.py and model_runner.py). */
#define POOL_SGL_SMALL_GPU_BYTES (35.0 * 1048576.0 * 1024.0) /* 35 * 1024 MiB */
#define POOL_SGL_SMALL_CHUNK     2048u
#define POOL_SGL_CHUNK           8192u
#define POOL_SGL_REQS_MIN        2048.0
#define POOL_SGL_REQS_MAX        4096.0
#define POOL_SGL_REQS_PER_CTX    512.0
/* Llama 3.1's max_position_embeddings (config.json), SGLang's context_len. */
#define POOL_CONTEXT_LEN 131072.0

/* ---- profiles -------------------------------------------------------- */

static const struct pool_gpu gpu_h100 = {
    .name = "H100-SXM-80GB",
    .bf16_flops = 989.0 * POOL_TERA,
    .fp8_flops = 1979.0 * POOL_TERA,
    .mem_bytes_per_s = 3.35 * POOL_TERA,
    .mem_bytes = 80.0 * POOL_GIGA,
    .source = "NVIDIA H100 Tensor Core GPU datasheet, SXM: BF16 1,979 TFLOPS with sparsity "
              "(989 dense), FP8 3,958 with sparsity (1,979 dense), HBM3 3.35 TB/s, 80 GB",
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
    .fp8_flops = 242.5 * POOL_TERA,
    .mem_bytes_per_s = 0.3 * POOL_TERA,
    .mem_bytes = 24.0 * POOL_GIGA,
    .source = "NVIDIA L4 Tensor Core GPU datasheet: BF16 242 TFLOPS with sparsity (121 dense), "
              "FP8 485 with sparsity (242.5 dense), GDDR6 300 GB/s, 24 GB",
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

/* FP8 checkpoints (weights and KV at 1 byte): the same shapes; parameter
 * counts as the bf16 models (the FP8 checkpoints keep embeddings and the LM
 * head in bf16, < 2% of the 70B's bytes, ~13% of the 8B's: ignored).
 * vLLM serves them with --kv-cache-dtype fp8 (1 byte per KV element). */
static const struct pool_model model_llama31_8b_fp8 = {
    .name = "llama-3.1-8b-fp8",
    .params = 8.03e9,
    .layers = 32,
    .kv_heads = 8,
    .head_dim = 128,
    .weight_bytes = 1,
    .kv_bytes = 1,
    .source = "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8 (the Llama-3.1-8B shape, FP8 "
              "weights and activations); KV fp8 (vLLM --kv-cache-dtype fp8)",
};

static const struct pool_model model_llama31_70b_fp8 = {
    .name = "llama-3.1-70b-fp8",
    .params = 70.6e9,
    .layers = 80,
    .kv_heads = 8,
    .head_dim = 128,
    .weight_bytes = 1,
    .kv_bytes = 1,
    .source = "neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8 (the Llama-3.1-70B shape, FP8 "
              "weights and activations); KV fp8 (vLLM --kv-cache-dtype fp8)",
};

/* GCP us-central1 hourly prices: Cyclenerd/google-cloud-pricing-cost-calculator
 * pricing.yml (generated 2026-07-30), compute.instance.<type>.cost.us-central1
 * .hour and .hour_spot (docs/notes/data.md §5).
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
    {
        .name = "h100-llama3.1-8b-fp8",
        .gpu = &gpu_h100,
        .model = &model_llama31_8b_fp8,
        .gpus = 1,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "a3-highgpu-1g",
        .region = "us-central1",
        .usd_per_hour = 11.06125,
        .usd_per_hour_spot = 6.326193,
        .price_source = GCP_PRICES,
    },
    {
        /* FP8 halves the 70B's weights (71 GB): two H100s hold it. */
        .name = "h100x2-llama3.1-70b-fp8",
        .gpu = &gpu_h100,
        .model = &model_llama31_70b_fp8,
        .gpus = 2,
        .max_batch = POOL_MAX_NUM_SEQS,
        .machine_type = "a3-highgpu-2g",
        .region = "us-central1",
        .usd_per_hour = 22.1225,
        .usd_per_hour_spot = 12.652386,
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

void pool_calib_default(struct pool_calib *c)
{
    c->mfu = POOL_MFU;
    c->mem_eff = POOL_MEM_EFF;
    c->step_overhead_ns = POOL_STEP_OVERHEAD_NS;
}

int pool_profile_perf(const struct pool_profile *p, struct pool_perf *out)
{
    return pool_profile_perf_calib(p, NULL, out);
}

int pool_profile_perf_calib(const struct pool_profile *p, const struct pool_calib *calib,
                            struct pool_perf *out)
{
    struct pool_calib k;
    if (calib != NULL)
        k = *calib;
    else
        pool_calib_default(&k);
    if (p == NULL || out == NULL || p->gpu == NULL || p->model == NULL || p->gpus == 0 ||
        p->max_batch == 0)
        return POOL_EINVAL;
    if (!(k.mfu > 0.0 && k.mfu <= 1.0) || !(k.mem_eff > 0.0 && k.mem_eff <= 1.0) ||
        !(k.step_overhead_ns >= 0.0) || !isfinite(k.step_overhead_ns))
        return POOL_EINVAL;
    const struct pool_gpu *g = p->gpu;
    const struct pool_model *m = p->model;
    double n = (double)p->gpus;
    double tp = p->gpus > 1 ? POOL_TP_EFF : 1.0;
    /* FP8 weights run FP8 matmuls where the GPU has them (A100 has not:
     * it would dequantize to bf16, Marlin-style, at bf16 speed). */
    double peak = m->weight_bytes == 1 && g->fp8_flops > 0.0 ? g->fp8_flops : g->bf16_flops;
    double flops = n * peak * k.mfu * tp;
    double bw = n * g->mem_bytes_per_s * k.mem_eff * tp;
    double weights = m->params * m->weight_bytes;
    double kv_tok = pool_kv_bytes_per_token(m);
    double kv_bytes = POOL_MEM_UTIL * n * g->mem_bytes - weights - n * POOL_RESERVE_BYTES;
    if (!(flops > 0.0) || !(bw > 0.0) || !(kv_tok > 0.0) || !(kv_bytes >= kv_tok))
        return POOL_EINVAL;
    out->t_prefill_ns_per_token = 2.0 * m->params / flops * POOL_GIGA;
    out->t_decode_ns_per_seq = out->t_prefill_ns_per_token;
    out->t_weights_ns = weights / bw * POOL_GIGA;
    out->t_fixed_ns = k.step_overhead_ns + out->t_weights_ns;
    out->t_kv_ns_per_token = kv_tok / bw * POOL_GIGA;
    out->kv_capacity_tokens = (int64_t)floor(kv_bytes / kv_tok);
    out->max_batch = p->max_batch;
    return POOL_OK;
}

int pool_engine_defaults(const struct pool_profile *p, enum pool_engine e,
                         int64_t kv_capacity_tokens, uint32_t *max_batch, uint32_t *chunk_tokens)
{
    if (p == NULL || p->gpu == NULL || max_batch == NULL || chunk_tokens == NULL ||
        kv_capacity_tokens < 1)
        return POOL_EINVAL;
    switch (e) {
    case POOL_ENGINE_NONE:
        *max_batch = p->max_batch;
        *chunk_tokens = POOL_CHUNK_TOKENS_DEFAULT;
        return POOL_OK;
    case POOL_ENGINE_VLLM: {
        bool a100 = strstr(p->gpu->name, "A100") != NULL;
        bool big = p->gpu->mem_bytes >= POOL_VLLM_BIG_GPU_BYTES && !a100;
        *max_batch = big ? POOL_VLLM_BIG_SEQS : POOL_VLLM_SEQS;
        *chunk_tokens = big ? POOL_VLLM_BIG_TOKENS : POOL_VLLM_TOKENS;
        if (*max_batch > *chunk_tokens)
            *max_batch = *chunk_tokens;
        return POOL_OK;
    }
    case POOL_ENGINE_SGLANG: {
        *chunk_tokens =
            p->gpu->mem_bytes < POOL_SGL_SMALL_GPU_BYTES ? POOL_SGL_SMALL_CHUNK : POOL_SGL_CHUNK;
        double pool_size = (double)kv_capacity_tokens / POOL_CONTEXT_LEN * POOL_SGL_REQS_PER_CTX;
        pool_size = floor(pool_size);
        if (pool_size < POOL_SGL_REQS_MIN)
            pool_size = POOL_SGL_REQS_MIN;
        if (pool_size > POOL_SGL_REQS_MAX)
            pool_size = POOL_SGL_REQS_MAX;
        double half = floor((double)kv_capacity_tokens / 2.0);
        double m = half < pool_size ? half : pool_size;
        *max_batch = m < 1.0 ? 1u : (uint32_t)m;
        return POOL_OK;
    }
    }
    return POOL_EINVAL;
}
