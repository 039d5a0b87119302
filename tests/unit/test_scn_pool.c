/*
 * test_scn_pool.c - the scenario keys of GPU pools (kind: pool, spot,
 * autoscale), regions (the RTT matrix) and the gateway cache: a full pool
 * and its expansion into one backend per replica slot, defaults, backend
 * subsets naming a pool, every error with its file:line:col, and every
 * truncation of the full document (loads or fails with a message; leaks
 * show under ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scn.h"
#include "check.h"
#include "tmp.h"

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL

/* This test's private directory and the one scenario file in it (main()
 * creates and removes them). */
static char tmpdir[TMP_DIR_MAX];
static char path[TMP_PATH_MAX];

static int load_text(const char *text, size_t len, struct scenario *s, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -2;
    size_t k = fwrite(text, 1, len, f);
    if (fclose(f) != 0 || k != len)
        return -2;
    return scn_load(path, s, err, errlen);
}

static const char *const head =
    "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, output_tokens: 1}}\n"
    "backends:\n";
#define HEAD_LINES 2

/*
 * head + tail must fail; the message must start with path:line:col of the
 * first occurrence of `at` in tail (the node the error names) and contain
 * each '|'-separated needle.
 */
static void expect_error_(int line, const char *tail, const char *at, const char *needles)
{
    char text[8192], err[2048] = "", want[TMP_PATH_MAX + 64], buf[512];
    struct scenario s;
    snprintf(text, sizeof text, "%s%s", head, tail);
    int rc = load_text(text, strlen(text), &s, err, sizeof err);
    if (rc != -1)
        fprintf(stderr, "test_scn_pool.c:%d: loaded unexpectedly (rc %d)\n", line, rc);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0)
        scn_free(&s);
    const char *p = strstr(tail, at);
    CHECK(p != NULL);
    if (p == NULL)
        return;
    int ln = HEAD_LINES + 1, col = 1;
    for (const char *q = tail; q < p; q++) {
        if (*q == '\n') {
            ln++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(want, sizeof want, "%s:%d:%d: found ", path, ln, col);
    if (strstr(err, want) == NULL)
        fprintf(stderr, "test_scn_pool.c:%d: message at the wrong place\n", line);
    CHECK_STR_CONTAINS(err, want);
    CHECK_STR_CONTAINS(err, ", expected ");
    snprintf(buf, sizeof buf, "%s", needles);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|")) {
        if (strstr(err, tok) == NULL)
            fprintf(stderr, "test_scn_pool.c:%d: message lacks '%s'\n", line, tok);
        CHECK_STR_CONTAINS(err, tok);
    }
}
#define expect_error(tail, at, needles) expect_error_(__LINE__, tail, at, needles)

/* head + tail must load. */
static int load_ok(const char *tail, struct scenario *s)
{
    char text[8192], err[2048] = "";
    snprintf(text, sizeof text, "%s%s", head, tail);
    int rc = load_text(text, strlen(text), s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0)
        fprintf(stderr, "  %s\n", err);
    return rc;
}

static const char *const full =
    "  - {name: api-a, region: us-east, latency: {ttft: 1s}}\n"
    "  - name: h100-pool\n"
    "    kind: pool\n"
    "    profile: h100-llama3.1-8b\n"
    "    region: eu-west\n"
    "    group: llama\n"
    "    tags: [gpu]\n"
    "    weight: 2\n"
    "    tier: 1\n"
    "    max_inflight: 300\n"
    "    size_class: 1\n"
    "    budget: {usd: $40, window: 1h}\n"
    "    max_batch: 128\n"
    "    chunked_prefill: 1024\n"
    "    block_tokens: 256\n"
    "    prefix_cache: 5000\n"
    "    spot:\n"
    "      preemptions_per_day: 2\n"
    "      schedule: [{at: 20m, replica: 3}, {at: 10m, replica: 0}, {at: 10m, replica: 2}]\n"
    "      on_kill: migrate\n"
    "      replacement_delay: none\n"
    "      stockout_p: 10%\n"
    "    autoscale: {target: 60%, min: 2, max: 4}\n"
    "    faults: {error_rate: 1%, outages: [{start: 1m, duration: 1m}]}\n"
    "  - name: l4\n"
    "    kind: pool\n"
    "    profile: l4-llama3.1-8b\n"
    "    replicas: 2\n"
    "    price_per_hour: $1.25\n"
    "    context_window: 32k\n"
    "    model: my-llama\n"
    "  - {name: tail, kind: tool, latency: {ttft: 1s}}\n"
    "compare:\n"
    "  - {strategy: random, label: r, backends: [h100-pool, l4/1]}\n"
    "  - {strategy: loadbalance, children: [{strategy: random, backends: [api-a]}, "
    "{strategy: random, backends: [h100-pool/2, tail]}]}\n"
    "regions:\n"
    "  default_rtt: 50ms\n"
    "  rtt:\n"
    "    - {from: us-east, to: eu-west, rtt: 80ms}\n"
    "    - {from: us-east, to: us-east, rtt: 2ms}\n"
    "    - {from: ap-south, to: us-east, rtt: 200ms}\n"
    "    - {from: eu-west, to: us-east, rtt: 80ms}\n"
    "cache:\n"
    "  l1: {capacity: 10000, ttl: 1h}\n"
    "  l2: {capacity: 1M, ttl: 24h, latency: 3ms}\n"
    "  semantic_hit_rate: 5%\n"
    "  repeat_rate: 20%\n";

static void test_full(void)
{
    struct scenario s;
    if (load_ok(full, &s) != 0)
        return;
    const struct pool_profile *h100 = pool_profile_find("h100-llama3.1-8b");
    const struct pool_profile *l4 = pool_profile_find("l4-llama3.1-8b");
    CHECK(h100 != NULL && l4 != NULL);
    if (h100 == NULL || l4 == NULL) {
        scn_free(&s);
        return;
    }

    /* Expansion: api-a, h100-pool/0..3, l4/0..1, tail. */
    static const char *const names[] = {"api-a",       "h100-pool/0", "h100-pool/1", "h100-pool/2",
                                        "h100-pool/3", "l4/0",        "l4/1",        "tail"};
    CHECK_INT_EQ(s.n_backends, 8);
    CHECK_INT_EQ(s.n_pools, 2);
    for (uint32_t i = 0; i < s.n_backends && i < 8; i++) {
        CHECK(strcmp(s.backends[i].name, names[i]) == 0);
        CHECK(s.backends[i].route.name == s.backends[i].name);
    }
    CHECK_INT_EQ(s.backends[0].kind, SCN_BACKEND_API);
    CHECK_INT_EQ(s.backends[7].kind, SCN_BACKEND_API);
    CHECK_INT_EQ(s.backends[7].route.kind, ROUTE_KIND_TOOL);

    const struct scn_pool *p = &s.pools[0];
    CHECK(strcmp(p->name, "h100-pool") == 0);
    CHECK(p->profile == h100);
    CHECK_INT_EQ(p->first_backend, 1);
    CHECK_INT_EQ(p->slots, 4);
    CHECK_INT_EQ(p->cfg.replicas, 4);
    CHECK_INT_EQ(p->replicas, 2); /* autoscale.min */
    CHECK_INT_EQ(p->cfg.perf.max_batch, 128);
    CHECK_INT_EQ(p->cfg.chunked_prefill_tokens, 1024);
    CHECK_INT_EQ(p->cfg.block_tokens, 256);
    CHECK(p->cfg.prefix_cache);
    CHECK_INT_EQ(p->cfg.prefix_cache_blocks, 5000);
    CHECK_NEAR(p->usd_per_hour, h100->usd_per_hour_spot, 0); /* spot, no override */
    CHECK(p->spot.enabled);
    CHECK_NEAR(p->spot.preemptions_per_day, 2.0, 0);
    CHECK_INT_EQ(p->spot.notice_ns, 30 * NS_PER_S);
    CHECK_INT_EQ(p->spot.on_kill, SCN_KILL_MIGRATE);
    CHECK_INT_EQ(p->spot.replacement_delay_ns, -1);
    CHECK_NEAR(p->spot.stockout_p, 0.1, 1e-12);
    CHECK_INT_EQ(p->spot.n_schedule, 3);
    if (p->spot.n_schedule == 3) { /* sorted by time, then slot */
        CHECK_INT_EQ(p->spot.schedule[0].at_ns, 600 * NS_PER_S);
        CHECK_INT_EQ(p->spot.schedule[0].replica, 0);
        CHECK_INT_EQ(p->spot.schedule[1].at_ns, 600 * NS_PER_S);
        CHECK_INT_EQ(p->spot.schedule[1].replica, 2);
        CHECK_INT_EQ(p->spot.schedule[2].at_ns, 1200 * NS_PER_S);
        CHECK_INT_EQ(p->spot.schedule[2].replica, 3);
    }
    const struct scn_autoscale *as = &p->autoscale;
    CHECK(as->enabled);
    CHECK_INT_EQ(as->metric, SCN_AS_UTILIZATION);
    CHECK_NEAR(as->target, 0.6, 1e-12);
    CHECK_INT_EQ(as->min, 2);
    CHECK_INT_EQ(as->max, 4);
    CHECK_INT_EQ(as->interval_ns, 15 * NS_PER_S);
    CHECK_INT_EQ(as->warmup_ns, 60 * NS_PER_S);
    CHECK_INT_EQ(as->scale_down_delay_ns, 300 * NS_PER_S);
    CHECK_NEAR(as->tolerance, 0.1, 1e-12);

    uint32_t eu = scn_region_id(&s, "eu-west"), llama = scn_group_id(&s, "llama");
    CHECK(eu != 0 && llama != 0);
    for (uint32_t i = 0; i < 4; i++) {
        const struct scn_backend *b = &s.backends[1 + i];
        CHECK_INT_EQ(b->kind, SCN_BACKEND_POOL);
        CHECK_INT_EQ(b->route.kind, ROUTE_KIND_POOL);
        CHECK_INT_EQ(b->pool, 0);
        CHECK_INT_EQ(b->replica, i);
        CHECK_INT_EQ(b->route.region, eu);
        CHECK_INT_EQ(b->route.model_group, llama);
        CHECK(strcmp(b->group, "llama") == 0);
        CHECK_INT_EQ(b->route.tags, 1);
        CHECK_INT_EQ(b->route.weight, 2);
        CHECK_INT_EQ(b->route.tier, 1);
        CHECK_INT_EQ(b->route.max_inflight, 300);
        CHECK_INT_EQ(b->route.size_class, 1);
        CHECK_NEAR(b->route.budget_usd, 40.0, 0);
        CHECK_INT_EQ(b->route.budget_window_ns, 3600 * NS_PER_S);
        CHECK_INT_EQ(b->route.context_window, 131072);
        CHECK_INT_EQ(b->api.context_window, 131072);
        CHECK(strcmp(b->model, "llama-3.1-8b") == 0); /* the profile's model */
        CHECK_NEAR(b->route.price_input + b->route.price_output + b->api.price_input, 0, 0);
        CHECK_INT_EQ(b->route.rpm_limit, 0);
        CHECK_INT_EQ(b->api.concurrency, 0);
        CHECK_NEAR(b->api.faults.error_rate, 0.01, 1e-12);
        CHECK_INT_EQ(b->api.faults.n_outages, 1);
        CHECK(b->outages != NULL && b->api.faults.outages == b->outages);
        if (i > 0) /* each slot owns its copy */
            CHECK(b->outages != s.backends[1].outages);
        if (b->outages != NULL)
            CHECK_INT_EQ(b->outages[0].start_ns, 60 * NS_PER_S);
    }

    const struct scn_pool *q = &s.pools[1];
    CHECK(strcmp(q->name, "l4") == 0);
    CHECK(q->profile == l4);
    CHECK_INT_EQ(q->first_backend, 5);
    CHECK_INT_EQ(q->slots, 2);
    CHECK_INT_EQ(q->replicas, 2);
    CHECK(!q->autoscale.enabled);
    CHECK(!q->spot.enabled);
    CHECK_NEAR(q->usd_per_hour, 1.25, 0);
    CHECK(q->cfg.prefix_cache);
    CHECK_INT_EQ(q->cfg.prefix_cache_blocks, 0);
    CHECK_INT_EQ(q->cfg.chunked_prefill_tokens, 2048);
    CHECK_INT_EQ(s.backends[5].route.context_window, 32000);
    CHECK(strcmp(s.backends[6].model, "my-llama") == 0);
    CHECK_INT_EQ(s.backends[6].pool, 1);
    CHECK_INT_EQ(s.backends[6].replica, 1);

    /* Subsets: a pool's name means all its slots, "<pool>/<i>" one. */
    CHECK_INT_EQ(s.n_compare, 2);
    if (s.n_compare == 2) {
        const uint64_t *set = s.compare[0].root.backends;
        CHECK(set != NULL && set[0] == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6)));
        const struct route_spec *lb = &s.compare[1].root;
        CHECK_INT_EQ(lb->n_children, 2);
        if (lb->n_children == 2) {
            CHECK(lb->children[0].backends && lb->children[0].backends[0] == 1u);
            CHECK(lb->children[1].backends &&
                  lb->children[1].backends[0] == ((1u << 3) | (1u << 7)));
        }
    }

    /* Regions: us-east 1 and eu-west 2 from the backends, ap-south 3 from
     * `regions:`; symmetric, the diagonal 0 unless given, id 0 = unknown. */
    uint32_t us = scn_region_id(&s, "us-east"), ap = scn_region_id(&s, "ap-south");
    CHECK_INT_EQ(us, 1);
    CHECK_INT_EQ(eu, 2);
    CHECK_INT_EQ(ap, 3);
    CHECK_INT_EQ(s.n_regions, 3);
    CHECK(s.rtt.ns != NULL);
    CHECK_INT_EQ(s.rtt.default_ns, 50 * NS_PER_MS);
    if (s.rtt.ns != NULL) {
        const int64_t *m = s.rtt.ns;
        const uint32_t w = s.n_regions + 1;
        CHECK_INT_EQ(m[us * w + eu], 80 * NS_PER_MS);
        CHECK_INT_EQ(m[eu * w + us], 80 * NS_PER_MS);
        CHECK_INT_EQ(m[us * w + us], 2 * NS_PER_MS);
        CHECK_INT_EQ(m[eu * w + eu], 0);
        CHECK_INT_EQ(m[ap * w + ap], 0);
        CHECK_INT_EQ(m[ap * w + us], 200 * NS_PER_MS);
        CHECK_INT_EQ(m[us * w + ap], 200 * NS_PER_MS);
        CHECK_INT_EQ(m[eu * w + ap], 50 * NS_PER_MS);
        CHECK_INT_EQ(m[0], 0);
        CHECK_INT_EQ(m[0 * w + eu], 50 * NS_PER_MS);
        CHECK_INT_EQ(m[us * w + 0], 50 * NS_PER_MS);
    }

    /* The gateway cache. */
    CHECK(s.cache.enabled);
    CHECK_INT_EQ(s.cache.cfg.l1_capacity, 10000);
    CHECK_INT_EQ(s.cache.cfg.l1_ttl_ns, 3600 * NS_PER_S);
    CHECK_INT_EQ(s.cache.cfg.l1_latency_ns, 1 * NS_PER_MS);
    CHECK_INT_EQ(s.cache.cfg.l2_capacity, 1000000);
    CHECK_INT_EQ(s.cache.cfg.l2_ttl_ns, 24 * 3600 * NS_PER_S);
    CHECK_INT_EQ(s.cache.cfg.l2_latency_ns, 3 * NS_PER_MS);
    CHECK_NEAR(s.cache.cfg.semantic_hit_rate, 0.05, 1e-12);
    CHECK_NEAR(s.cache.cfg.repeat_rate, 0.2, 1e-12);
    scn_free(&s);
}

static void test_defaults(void)
{
    struct scenario s;
    const struct pool_profile *a100 = pool_profile_find("a100-llama3.1-8b");
    CHECK(a100 != NULL);
    if (a100 == NULL)
        return;
    /* A pool with only its profile; no regions, no cache. */
    if (load_ok("  - {name: p, kind: pool, profile: a100-llama3.1-8b}\n", &s) == 0) {
        struct pool_cfg def;
        CHECK_INT_EQ(pool_cfg_init(&def, a100), POOL_OK);
        CHECK_INT_EQ(s.n_backends, 1);
        CHECK_INT_EQ(s.n_pools, 1);
        CHECK(strcmp(s.backends[0].name, "p/0") == 0);
        CHECK_INT_EQ(s.pools[0].slots, 1);
        CHECK_INT_EQ(s.pools[0].replicas, 1);
        CHECK_INT_EQ(s.pools[0].cfg.replicas, 1);
        CHECK_INT_EQ(s.pools[0].cfg.perf.max_batch, def.perf.max_batch);
        CHECK_INT_EQ(s.pools[0].cfg.perf.kv_capacity_tokens, def.perf.kv_capacity_tokens);
        CHECK_INT_EQ(s.pools[0].cfg.block_tokens, def.block_tokens);
        CHECK_NEAR(s.pools[0].usd_per_hour, a100->usd_per_hour, 0);
        CHECK(!s.pools[0].spot.enabled);
        CHECK(!s.pools[0].autoscale.enabled);
        CHECK(s.rtt.ns == NULL);
        CHECK(!s.cache.enabled);
        CHECK_INT_EQ(s.router.default_group, 0);
        scn_free(&s);
    }
    /* spot: true with price_per_hour: the override is the spot price. */
    if (load_ok("  - {name: p, kind: pool, profile: a100-llama3.1-8b, spot: true, "
                "price_per_hour: $3}\n",
                &s) == 0) {
        const struct scn_spot *sp = &s.pools[0].spot;
        CHECK(sp->enabled);
        CHECK_NEAR(s.pools[0].usd_per_hour, 3.0, 0);
        CHECK_INT_EQ(sp->notice_ns, 30 * NS_PER_S);
        CHECK_INT_EQ(sp->on_kill, SCN_KILL_RETRY);
        CHECK_INT_EQ(sp->replacement_delay_ns, 120 * NS_PER_S);
        CHECK_NEAR(sp->stockout_p, 0, 0);
        CHECK_NEAR(sp->preemptions_per_day, 0, 0);
        CHECK_INT_EQ(sp->n_schedule, 0);
        scn_free(&s);
    }
    /* spot's own price wins; spot: false keeps the on-demand price. */
    if (load_ok("  - {name: p, kind: pool, profile: a100-llama3.1-8b, price_per_hour: $4, "
                "spot: {price_per_hour: $2.50, notice: 2m}}\n"
                "  - {name: q, kind: pool, profile: a100-llama3.1-8b, spot: false}\n",
                &s) == 0) {
        CHECK_NEAR(s.pools[0].usd_per_hour, 2.5, 0);
        CHECK_INT_EQ(s.pools[0].spot.notice_ns, 120 * NS_PER_S);
        CHECK(!s.pools[1].spot.enabled);
        CHECK_NEAR(s.pools[1].usd_per_hour, a100->usd_per_hour, 0);
        CHECK_INT_EQ(s.pools[1].first_backend, 1);
        scn_free(&s);
    }
    /* Autoscale from 0: replicas 0, slots = max; queue_depth target. */
    if (load_ok("  - name: p\n"
                "    kind: pool\n"
                "    profile: a100-llama3.1-8b\n"
                "    prefix_cache: false\n"
                "    chunked_prefill: 0\n"
                "    autoscale: {metric: queue_depth, target: 4, min: 0, max: 3, interval: 30s, "
                "warmup: 90s, scale_down_delay: 10m, tolerance: 5%}\n",
                &s) == 0) {
        const struct scn_pool *p = &s.pools[0];
        CHECK_INT_EQ(p->replicas, 0);
        CHECK_INT_EQ(p->slots, 3);
        CHECK_INT_EQ(s.n_backends, 3);
        CHECK(!p->cfg.prefix_cache);
        CHECK_INT_EQ(p->cfg.chunked_prefill_tokens, 0);
        CHECK_INT_EQ(p->autoscale.metric, SCN_AS_QUEUE_DEPTH);
        CHECK_NEAR(p->autoscale.target, 4.0, 0);
        CHECK_INT_EQ(p->autoscale.min, 0);
        CHECK_INT_EQ(p->autoscale.interval_ns, 30 * NS_PER_S);
        CHECK_INT_EQ(p->autoscale.warmup_ns, 90 * NS_PER_S);
        CHECK_INT_EQ(p->autoscale.scale_down_delay_ns, 600 * NS_PER_S);
        CHECK_NEAR(p->autoscale.tolerance, 0.05, 1e-12);
        scn_free(&s);
    }
    /* Explicit replicas within [min, max]; a pool's group is the default. */
    if (load_ok("  - {name: p, kind: pool, profile: l4-llama3.1-8b, group: g, replicas: 3, "
                "autoscale: {max: 5}}\n",
                &s) == 0) {
        CHECK_INT_EQ(s.pools[0].replicas, 3);
        CHECK_INT_EQ(s.pools[0].slots, 5);
        CHECK_INT_EQ(s.pools[0].autoscale.min, 1);
        CHECK_NEAR(s.pools[0].autoscale.target, 0.7, 1e-12);
        CHECK_INT_EQ(s.router.default_group, scn_group_id(&s, "g"));
        scn_free(&s);
    }
    /* A name of 61 characters leaves room for "/1"; 1024 slots fit. */
    if (load_ok(
            "  - {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, kind: pool, "
            "profile: l4-llama3.1-8b, replicas: 2}\n",
            &s) == 0) {
        CHECK_INT_EQ(strlen(s.backends[1].name), 63);
        scn_free(&s);
    }
    if (load_ok("  - {name: big, kind: pool, profile: l4-llama3.1-8b, replicas: 1024}\n", &s) ==
        0) {
        CHECK_INT_EQ(s.n_backends, 1024);
        CHECK(strcmp(s.backends[1023].name, "big/1023") == 0);
        CHECK(s.backends[1023].route.name == s.backends[1023].name);
        scn_free(&s);
    }
    /* Regions only: an empty `regions:` still gets a matrix (default 0). */
    if (load_ok("  - {name: a, region: r1, latency: {ttft: 1s}}\nregions: {}\n", &s) == 0) {
        CHECK(s.rtt.ns != NULL);
        if (s.rtt.ns != NULL)
            for (int i = 0; i < 4; i++)
                CHECK_INT_EQ(s.rtt.ns[i], 0);
        scn_free(&s);
    }
    /* Cache defaults: only a semantic rate; only an L2. */
    if (load_ok("  - {name: a, latency: {ttft: 1s}}\ncache: {semantic_hit_rate: 2%}\n", &s) == 0) {
        CHECK(s.cache.enabled);
        CHECK_INT_EQ(s.cache.cfg.l1_capacity, 0);
        CHECK_INT_EQ(s.cache.cfg.l2_capacity, 0);
        CHECK_INT_EQ(s.cache.cfg.l1_latency_ns, 1 * NS_PER_MS);
        CHECK_INT_EQ(s.cache.cfg.l2_latency_ns, 5 * NS_PER_MS);
        CHECK_INT_EQ(s.cache.cfg.l1_ttl_ns, 0);
        CHECK_NEAR(s.cache.cfg.repeat_rate, 0, 0);
        scn_free(&s);
    }
    if (load_ok("  - {name: a, latency: {ttft: 1s}}\ncache: {l2: {capacity: 2k}}\n", &s) == 0) {
        CHECK_INT_EQ(s.cache.cfg.l2_capacity, 2000);
        CHECK_INT_EQ(s.cache.cfg.l2_ttl_ns, 0);
        scn_free(&s);
    }
}

#define POOL "  - {name: p, kind: pool, profile: h100-llama3.1-8b, "

/* The calibration knobs: given ones re-derive the step-time terms. */
static void test_calib_keys(void)
{
    struct scenario s;
    const struct pool_profile *h = pool_profile_find("h100-llama3.1-8b");
    struct pool_calib k;
    struct pool_perf want;
    pool_calib_default(&k);
    k.mfu = 0.4;
    k.mem_eff = 0.8;
    k.step_overhead_ns = 2.0 * NS_PER_MS;
    CHECK_INT_EQ(pool_profile_perf_calib(h, &k, &want), POOL_OK);
    if (load_ok("  - {name: p, kind: pool, profile: h100-llama3.1-8b, mfu: 0.4, mem_eff: 80%,\n"
                "     step_overhead: 2ms, server_overhead: 30ms, max_batch: 64}\n",
                &s) == 0) {
        const struct pool_cfg *c = &s.pools[0].cfg;
        CHECK_NEAR(c->perf.t_fixed_ns, want.t_fixed_ns, 1e-6);
        CHECK_NEAR(c->perf.t_prefill_ns_per_token, want.t_prefill_ns_per_token, 1e-9);
        CHECK_NEAR(c->perf.t_kv_ns_per_token, want.t_kv_ns_per_token, 1e-12);
        CHECK_INT_EQ(c->perf.max_batch, 64);
        CHECK_INT_EQ(c->server_overhead_ns, 30 * NS_PER_MS);
        scn_free(&s);
    }
    /* Absent knobs: exactly the profile. */
    struct pool_cfg def;
    CHECK_INT_EQ(pool_cfg_init(&def, h), POOL_OK);
    if (load_ok("  - {name: p, kind: pool, profile: h100-llama3.1-8b}\n", &s) == 0) {
        CHECK(memcmp(&s.pools[0].cfg.perf, &def.perf, sizeof def.perf) == 0);
        CHECK_INT_EQ(s.pools[0].cfg.server_overhead_ns, 0);
        scn_free(&s);
    }
    /* Engine presets; explicit max_batch / chunked_prefill win. */
    if (load_ok("  - {name: p, kind: pool, profile: h100-llama3.1-8b, engine: vllm}\n", &s) == 0) {
        CHECK_INT_EQ(s.pools[0].cfg.perf.max_batch, 1024);
        CHECK_INT_EQ(s.pools[0].cfg.chunked_prefill_tokens, 8192);
        CHECK(s.pools[0].cfg.budget_counts_decode);
        scn_free(&s);
    }
    if (load_ok("  - {name: p, kind: pool, profile: a100-llama3.1-8b, engine: sglang,\n"
                "     max_batch: 100, chunked_prefill: 512}\n",
                &s) == 0) {
        CHECK_INT_EQ(s.pools[0].cfg.perf.max_batch, 100);
        CHECK_INT_EQ(s.pools[0].cfg.chunked_prefill_tokens, 512);
        CHECK(!s.pools[0].cfg.budget_counts_decode);
        scn_free(&s);
    }
    if (load_ok("  - {name: p, kind: pool, profile: l4-llama3.1-8b, engine: sglang}\n", &s) == 0) {
        CHECK_INT_EQ(s.pools[0].cfg.chunked_prefill_tokens, 2048);
        scn_free(&s);
    }
    expect_error(POOL "engine: vlm}\n", "vlm", "expected|vllm");
    expect_error(POOL "mfu: 0}\n", "0}", "found mfu 0|expected a share");
    expect_error(POOL "mfu: 1.5}\n", "1.5", "expected a fraction");
    expect_error(POOL "mem_eff: fast}\n", "fast", "expected a fraction");
    expect_error(POOL "step_overhead: -1ms}\n", "-1ms", "expected");
}

static void test_errors(void)
{
    char tail[512], needle[128];

    /* Keys a pool refuses, each named. */
    static const struct {
        const char *kv, *key;
    } refused[] = {
        {"latency: {ttft: 1s}", "latency"},    {"prices: {input: $1}", "prices"},
        {"limits: {rpm: 10}", "limits"},       {"concurrency: 4", "concurrency"},
        {"queue_max: 4", "queue_max"},         {"cached_fraction: 10%", "cached_fraction"},
        {"bill_failed: input", "bill_failed"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(tail, sizeof tail, POOL "%s}\n", refused[i].kv);
        snprintf(needle, sizeof needle, "found '%s' on a pool backend|expected none",
                 refused[i].key);
        expect_error(tail, refused[i].key, needle);
    }
    expect_error(POOL "latency: {ttft: 1s}}\n", "latency", "emerges from its profile");
    /* Pool-only keys on api and tool backends. */
    static const char *const only[] = {"profile",         "replicas",     "max_batch",
                                       "chunked_prefill", "block_tokens", "prefix_cache",
                                       "price_per_hour",  "spot",         "autoscale"};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        snprintf(tail, sizeof tail, "  - {name: a, latency: {ttft: 1s}, %s: 1}\n", only[i]);
        snprintf(needle, sizeof needle,
                 "found '%s' on a backend of kind 'api'|only with kind: pool", only[i]);
        expect_error(tail, only[i], needle);
    }
    expect_error("  - {name: a, kind: tool, latency: {ttft: 1s}, spot: true}\n", "spot",
                 "kind 'tool'|only with kind: pool");
    expect_error("  - {name: a, ttft: 1s}\n", "ttft", "unknown key 'ttft'");
    expect_error("  - {name: a}\n", "{name", "without 'latency'");

    /* Profiles. */
    expect_error("  - {name: p, kind: pool}\n", "{name", "without 'profile'|h100-llama3.1-8b");
    expect_error(POOL "}\n  - {name: q, kind: pool, profile: h100-llama3.1-8}\n",
                 "h100-llama3.1-8}",
                 "'h100-llama3.1-8'|did you mean 'h100-llama3.1-8b'|"
                 "a100-llama3.1-8b, l4-llama3.1-8b");
    expect_error("  - {name: q, kind: pool, profile: [a]}\n", "[a]", "a sequence|pool profile");

    /* Replicas and autoscale. */
    expect_error(POOL "replicas: 0}\n", "0}", "replicas 0|at least 1|only with 'autoscale'");
    expect_error(POOL "replicas: 2000}\n", "2000", "at most 1024");
    expect_error(POOL "replicas: 9, autoscale: {max: 8}}\n", "9,", "replicas 9|1 to 8");
    expect_error(POOL "replicas: 0, autoscale: {max: 8}}\n", "0,", "replicas 0|1 to 8");
    expect_error(POOL "autoscale: {min: 2}}\n", "{min", "without 'max'");
    expect_error(POOL "autoscale: {min: 0, max: 0}}\n", "0}}", "max 0|max >= 1");
    expect_error(POOL "autoscale: {min: 3, max: 2}}\n", "2}}", "max 2|max >= 3");
    expect_error(POOL "autoscale: {max: 1025}}\n", "1025", "max 1025|at most 1024");
    expect_error(POOL "autoscale: {max: 2, target: 0%}}\n", "0%", "target utilization of 0");
    expect_error(POOL "autoscale: {max: 2, target: 150%}}\n", "150%", "'150%'|fraction");
    expect_error(POOL "autoscale: {max: 2, metric: queue_depth}}\n", "{max",
                 "without 'target'|requests per serving replica");
    expect_error(POOL "autoscale: {max: 2, metric: queue_depth, target: 0}}\n", "0}}",
                 "target number of requests > 0");
    expect_error(POOL "autoscale: {max: 2, metric: utilisation}}\n", "utilisation",
                 "did you mean 'utilization'");
    expect_error(POOL "autoscale: {max: 2, interval: 0s}}\n", "0s", "interval > 0");
    expect_error(POOL "autoscale: {max: 2, tolerance: 100%}}\n", "100%", "less than 100%");
    expect_error(POOL "autoscale: {max: 2, cooldown: 1m}}\n", "cooldown",
                 "unknown key 'cooldown' in 'autoscale'|scale_down_delay");
    expect_error(POOL "autoscale: true}\n", "true", "'autoscale': a mapping");

    /* Serving overrides. */
    expect_error(POOL "max_batch: 0}\n", "0}", "max_batch 0|1 to 65536");
    expect_error(POOL "block_tokens: 0}\n", "0}", "block_tokens 0|at least 1");
    expect_error(POOL "chunked_prefill: -1}\n", "-1", "'-1'");
    expect_error(POOL "prefix_cache: 0}\n", "0}", "'0'|true, false or a capacity in blocks");
    expect_error(POOL "prefix_cache: maybe}\n", "maybe", "true, false or a capacity");
    expect_error(POOL "price_per_hour: -3}\n", "-3", "'-3'|USD");

    /* Spot. */
    expect_error(POOL "spot: maybe}\n", "maybe", "'spot': true, false or a mapping|on_kill");
    expect_error(POOL "spot: {notise: 30s}}\n", "notise", "did you mean 'notice'");
    expect_error(POOL "spot: {on_kill: retri}}\n", "retri", "did you mean 'retry'");
    expect_error(POOL "spot: {stockout_p: 100%}}\n", "100%", "less than 100%|none");
    expect_error(POOL "spot: {replacement_delay: never}}\n", "never", "'never'|duration");
    expect_error(POOL "spot: {preemptions_per_day: -1}}\n", "-1", ">= 0");
    expect_error(POOL "replicas: 4, spot: {schedule: [{at: 1m, replica: 4}]}}\n", "4}]",
                 "replica 4|0 to 3");
    expect_error(POOL "spot: {schedule: [{at: 1m}]}}\n", "{at", "without 'replica'|0 to 0");
    expect_error(POOL "spot: {schedule: [{replica: 0}]}}\n", "{replica", "without 'at'");
    expect_error(POOL "replicas: 2, spot: {schedule: [{at: 2m, replica: 1}, {at: 1m, replica: 0}, "
                      "{at: 120s, replica: 1}]}}\n",
                 "{at: 120s", "second preemption of replica 1|line 3|each (at, replica) once");
    expect_error(POOL "spot: {schedule: {at: 1m}}}\n", "{at", "'schedule': a list");

    /* Names: unique across backends and pools; no '/'; room for slots. */
    expect_error("  - {name: x, latency: {ttft: 1s}}\n"
                 "  - {name: x, kind: pool, profile: l4-llama3.1-8b}\n",
                 "x, kind", "duplicate backend name 'x'|line 3");
    expect_error("  - {name: x, kind: pool, profile: l4-llama3.1-8b}\n"
                 "  - {name: x, latency: {ttft: 1s}}\n",
                 "x, lat", "duplicate backend name 'x'|line 3");
    /* A '/' names a router config's deployment (gpt-4o/0), not a pool,
     * and never one of a pool's slots. */
    expect_error("  - {name: x/0, kind: pool, profile: l4-llama3.1-8b}\n", "x/0",
                 "pool name 'x/0'|without '/'");
    expect_error("  - {name: x, kind: pool, profile: l4-llama3.1-8b}\n"
                 "  - {name: x/0, latency: {ttft: 1s}}\n",
                 "x/0, lat", "backend name 'x/0' twice|replica slot");
    expect_error("  - {name: /x, latency: {ttft: 1s}}\n", "/x", "'/x'|A-Z a-z 0-9 _ . -");
    expect_error(
        "  - {name: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, kind: pool, "
        "profile: l4-llama3.1-8b, replicas: 2}\n",
        "bbbb", "of 62 characters|at most 61|fit 63 characters");
    expect_error("  - {name: a, latency: {ttft: 1s}}\n"
                 "  - {name: big, kind: pool, profile: l4-llama3.1-8b, replicas: 1024}\n",
                 "big", "pool 'big' of 1024 replica slots|1025|at most 1024");
    expect_error("  - {name: big, kind: pool, profile: l4-llama3.1-8b, replicas: 1024}\n"
                 "  - {name: a, latency: {ttft: 1s}}\n",
                 "{name: a", "past the limit of 1024");

    /* Subsets. */
    expect_error(POOL "replicas: 2}\ncompare: [{strategy: random, backends: [pp]}]\n", "pp",
                 "'pp'|name of a backend|did you mean 'p'");
    expect_error(POOL "replicas: 2}\ncompare: [{strategy: random, backends: [p/2]}]\n", "p/2",
                 "'p/2'|did you mean 'p/");
    expect_error(POOL "replicas: 2}\nrouter: {strategy: {strategy: random, backends: [p/x]}}\n",
                 "p/x", "'p/x'|name of a backend");

    /* Regions. */
    static const char api[] = "  - {name: a, region: us, latency: {ttft: 1s}}\n";
    snprintf(tail, sizeof tail, "%sregions: {rtts: []}\n", api);
    expect_error(tail, "rtts", "unknown key 'rtts' in 'regions'|did you mean 'rtt'");
    snprintf(tail, sizeof tail, "%sregions: {rtt: [{from: us, to: eu, rtt: -5ms}]}\n", api);
    expect_error(tail, "-5ms", "'-5ms'|duration");
    snprintf(tail, sizeof tail, "%sregions: {default_rtt: -1s}\n", api);
    expect_error(tail, "-1s", "'-1s'");
    snprintf(tail, sizeof tail,
             "%sregions:\n  rtt:\n    - {from: us, to: eu, rtt: 80ms}\n"
             "    - {from: eu, to: us, rtt: 90ms}\n",
             api);
    expect_error(tail, "90ms", "rtt '90ms' for eu -> us|'80ms' as given at line 6|symmetric");
    snprintf(tail, sizeof tail, "%sregions: {rtt: [{from: us, rtt: 1ms}]}\n", api);
    expect_error(tail, "{from", "without 'to'");
    snprintf(tail, sizeof tail, "%sregions: {rtt: [{from: us, to: eu, rtt: 1ms, via: x}]}\n", api);
    expect_error(tail, "via", "unknown key 'via'|from, to, rtt");
    snprintf(tail, sizeof tail, "%sregions: {rtt: {from: us}}\n", api);
    expect_error(tail, "{from", "'rtt': a list");
    snprintf(tail, sizeof tail, "%sregions: [us]\n", api);
    expect_error(tail, "[us]", "a sequence|'regions'");

    /* Cache. */
    static const char one[] = "  - {name: a, latency: {ttft: 1s}}\n";
    snprintf(tail, sizeof tail, "%scache: {repeat_rate: 20%%}\n", one);
    expect_error(tail, "{repeat", "at least one of l1, l2, semantic_hit_rate");
    snprintf(tail, sizeof tail, "%scache: {semantic_hit_rate: 0%%}\n", one);
    expect_error(tail, "{semantic", "at least one of l1, l2, semantic_hit_rate");
    snprintf(tail, sizeof tail, "%scache: {l1: {ttl: 1h}}\n", one);
    expect_error(tail, "{ttl", "without 'capacity'");
    snprintf(tail, sizeof tail, "%scache: {l1: {capacity: 0}}\n", one);
    expect_error(tail, "0}", "capacity 0|1 to 100000000");
    snprintf(tail, sizeof tail, "%scache: {l3: {capacity: 10}}\n", one);
    expect_error(tail, "l3", "unknown key 'l3' in 'cache'");
    snprintf(tail, sizeof tail, "%scache: {l1: {capacity: 10, latncy: 1ms}}\n", one);
    expect_error(tail, "latncy", "did you mean 'latency'");
    snprintf(tail, sizeof tail, "%scache: {repeat_rate: 2}\n", one);
    expect_error(tail, "2}", "'2'|fraction");
}

/* Every truncation of the full document loads or fails with a located
 * message (under ASan: without leaks or bad accesses). */
static void test_truncations(void)
{
    char text[8192];
    int n = snprintf(text, sizeof text, "%s%s", head, full);
    CHECK(n > 0 && (size_t)n < sizeof text);
    int bad = 0, loaded = 0;
    for (int cut = 0; cut <= n; cut++) {
        struct scenario s;
        char err[2048] = "";
        int rc = load_text(text, (size_t)cut, &s, err, sizeof err);
        if (rc == 0) {
            loaded++;
            scn_free(&s);
        } else if (rc != -1 || strstr(err, path) == NULL) {
            fprintf(stderr, "  cut %d: rc %d '%s'\n", cut, rc, err);
            bad++;
        }
    }
    CHECK_INT_EQ(bad, 0);
    CHECK(loaded >= 1);
}

int main(void)
{
    if (tmp_dir(tmpdir, sizeof tmpdir, "test_scn_pool") != 0)
        return 1;
    tmp_path(path, sizeof path, tmpdir, "pool.yaml");
    test_full();
    test_defaults();
    test_errors();
    test_calib_keys();
    test_truncations();
    tmp_rmdir(tmpdir);
    return check_report("test_scn_pool");
}
