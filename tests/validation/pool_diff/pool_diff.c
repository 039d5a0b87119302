/*
 * pool_diff.c - a differential check of the pool model's grouped decode
 * (models/pool.c, the "lazy" path for kv_block_tokens 1..4096) against its
 * plain per-request loop.  Built twice (pool_diff_lazy, and pool_diff_plain
 * with POOL_LAZY_MAX_BLOCK=0), it drives one pool through a random workload
 * (variant = argv[1]: profile, KV capacity, batch size, chunking, block
 * size, prefix blocks, cancels, speed changes, replica resets, preemptions)
 * and prints every event, step, queue and KV figure; test_pool_diff.sh
 * requires the two outputs to be identical.  The grouped path must change
 * nothing but the cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pool.h"
/* xorshift64 (Marsaglia 2003): the workload, not the model, is random */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pool_diff VARIANT\n");
        return 2;
    }
    uint64_t st = 88172645463325252ull;
    int variant = atoi(argv[1]);
    st += (uint64_t)variant * 7919u;
    struct pool_cfg cfg;
    pool_cfg_init(&cfg, pool_profile_find(variant % 2 ? "l4-llama3.1-8b" : "h100-llama3.1-8b"));
    cfg.replicas = 3;
    cfg.perf.kv_capacity_tokens = 20000 + (int64_t)(rnd(&st) % 30000);
    cfg.perf.max_batch = 8 + (uint32_t)(rnd(&st) % 64);
    cfg.chunked_prefill_tokens = (uint32_t[]){0, 512, 2048, 100}[variant % 4];
    cfg.kv_block_tokens = (uint32_t[]){16, 7, 1, 16, 32}[variant % 5];
    cfg.budget_counts_decode = (variant / 4) % 2;
    cfg.server_overhead_ns = (variant / 3) % 2 ? 3000000 : 0;
    cfg.block_tokens = 64;
    struct pool *p;
    char err[256];
    if (pool_create(&cfg, &p, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uint32_t mx = pool_max_events(p);
    struct pool_event *ev = malloc(mx * sizeof *ev);
    int64_t now = 0;
    uint32_t nreq = 4000;
    uint32_t sent = 0;
    int64_t next_arr = 0;
    uint32_t live[4096];
    uint32_t nlive = 0;
    uint32_t lrep[4096];
    uint64_t blocks[64];
    for (;;) {
        int64_t best = -1;
        uint32_t br = 0;
        for (uint32_t r = 0; r < 3; r++) {
            int64_t t = pool_next_event(p, r);
            if (t >= 0 && (best < 0 || t < best)) {
                best = t;
                br = r;
            }
        }
        if (sent < nreq && (best < 0 || next_arr <= best)) {
            now = next_arr;
            uint32_t r = (uint32_t)(rnd(&st) % 3);
            struct pool_req q = {.idx = sent,
                                 .gen = 1,
                                 .input_tokens = (int64_t)(rnd(&st) % 3000),
                                 .output_tokens = (int64_t)(rnd(&st) % 600),
                                 .enq_ns = now};
            uint32_t nb = (uint32_t)(rnd(&st) % 8);
            for (uint32_t b = 0; b < nb; b++)
                blocks[b] = (rnd(&st) % 4) * 100 + b;
            q.blocks = blocks;
            q.n_blocks = nb;
            int rc = pool_enqueue(p, r, &q);
            printf("enq %u r%u rc%d\n", sent, r, rc);
            if (rc == 0 && nlive < 4096) {
                live[nlive] = sent;
                lrep[nlive++] = r;
            }
            sent++;
            next_arr = now + (int64_t)(rnd(&st) % (variant % 2 ? 40000000 : 8000000)) *
                                 (1 + variant / 40 * 4);
            if (rnd(&st) % 10 == 0 && nlive > 0) {
                uint32_t k = (uint32_t)(rnd(&st) % nlive);
                int c = pool_cancel(p, lrep[k], live[k], 1);
                printf("cancel %u %d\n", live[k], c);
                live[k] = live[--nlive];
                lrep[k] = lrep[nlive];
            }
            if (rnd(&st) % 50 == 0)
                pool_set_speed(p, r, 1.0 + (double)(rnd(&st) % 3));
            continue;
        }
        if (best < 0)
            break;
        now = best;
        uint32_t n = 0;
        int rc = pool_step(p, br, now, ev, mx, &n);
        if (rc) {
            printf("step rc %d\n", rc);
            return 1;
        }
        printf("step r%u t%lld n%u next%lld q%u run%u kv%.9f\n", br, (long long)now, n,
               (long long)pool_next_event(p, br), pool_queue_depth(p, br), pool_running(p, br),
               pool_kv_free(p, br));
        for (uint32_t k = 0; k < n; k++)
            printf(" ev %u %u %lld %lld\n", ev[k].kind, ev[k].idx, (long long)ev[k].admit_ns,
                   (long long)ev[k].cached_tokens);
        if (rnd(&st) % 400 == 0) {
            for (uint32_t k = 0; k < nlive; k++)
                if (lrep[k] == br) {
                    printf("kill %u %d\n", live[k], pool_cancel(p, br, live[k], 1));
                }
            uint32_t m = 0;
            for (uint32_t k = 0; k < nlive; k++)
                if (lrep[k] != br) {
                    live[m] = live[k];
                    lrep[m++] = lrep[k];
                }
            nlive = m;
            printf("reset %d\n", pool_replica_reset(p, br));
        }
    }
    for (uint32_t r = 0; r < 3; r++) {
        const struct pool_stats *s = pool_stats(p, r);
        printf(
            "stats %u steps%llu busy%lld pf%llu dec%llu pre%llu comp%llu ft%llu maxrun%u ev%llu\n",
            r, (unsigned long long)s->steps, (long long)s->busy_ns,
            (unsigned long long)s->prefill_tokens, (unsigned long long)s->decode_tokens,
            (unsigned long long)s->preemptions, (unsigned long long)s->completed,
            (unsigned long long)s->first_tokens, s->max_running,
            (unsigned long long)s->prefix_evictions);
    }
    pool_destroy(p);
    free(ev);
    return 0;
}
