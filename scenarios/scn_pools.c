/*
 * scn_pools.c - `kind: pool` backends: the profile and its serving
 * overrides, spot capacity and the autoscaler; one entry of `backends:`
 * becomes one backend per replica slot.
 */
#include "scn_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest max_batch accepted: a guard against typos (vLLM's max_num_seqs
 * default is 256 or 1024, SGLang's up to 4096; the pool sizes its batch
 * arrays by it). */
#define SCN_POOL_MAX_BATCH 65536u
/* Spot: 30 s from the preemption notice to the hard stop.  GCP Spot VM
 * docs: 30 s from soft-off to hard-off (docs/notes/data.md §5; AWS gives
 * 2 min). */
#define SCN_SPOT_NOTICE_NS (30LL * 1000000000LL)
/* Spot: 120 s from a hard stop until a replacement VM starts its warm-up.
 * An assumption (no measured figure in docs/notes/data.md): the time to
 * re-request and boot a VM. */
#define SCN_SPOT_REPLACEMENT_NS (120LL * 1000000000LL)
/* Autoscaling defaults, after Kubernetes' HorizontalPodAutoscaler:
 * evaluation every 15 s (kube-controller-manager
 * --horizontal-pod-autoscaler-sync-period default), scale-down
 * stabilization window 300 s (--horizontal-pod-autoscaler-downscale-
 * stabilization default), tolerance 10% (--horizontal-pod-autoscaler-
 * tolerance default).  Target utilization 70%: an assumption (a common
 * HPA setting, not a default: HPA has none). */
#define SCN_AS_INTERVAL_NS         (15LL * 1000000000LL)
#define SCN_AS_SCALE_DOWN_DELAY_NS (300LL * 1000000000LL)
#define SCN_AS_TOLERANCE           0.1
#define SCN_AS_TARGET_UTILIZATION  0.7
/* Model load: 60 s from a machine being there (a scale-up decision, a
 * spot replacement) until the new replica serves (billed meanwhile), the
 * same for every profile; `autoscale: warmup` overrides it.  An
 * assumption: loading an 8B model's 16 GB of weights and starting the
 * server; issue 4 puts it at 30-90 s. */
#define SCN_AS_WARMUP_NS (60LL * 1000000000LL)

/* *dst = a copy of n elements of `size` bytes (NULL for none); -1 when out
 * of memory. */
static int dup_array(void **dst, const void *src, size_t n, size_t size)
{
    *dst = NULL;
    if (src == NULL || n == 0)
        return 0;
    *dst = malloc(n * size);
    if (*dst == NULL)
        return -1;
    memcpy(*dst, src, n * size);
    return 0;
}

static int parse_autoscale(struct scn__ctx *c, const yaml_node_t *n, struct scn_autoscale *a)
{
    const yaml_node_t *v[AS_N];
    char q[64];
    size_t e = 0;
    if (scn__check_map(c, n, "'autoscale'", scn__autoscale_keys, AS_N, v))
        return -1;
    a->enabled = true;
    a->metric = SCN_AS_UTILIZATION;
    a->target = SCN_AS_TARGET_UTILIZATION;
    a->min = 1;
    a->interval_ns = SCN_AS_INTERVAL_NS;
    a->warmup_ns = SCN_AS_WARMUP_NS;
    a->scale_down_delay_ns = SCN_AS_SCALE_DOWN_DELAY_NS;
    a->tolerance = SCN_AS_TOLERANCE;
    if (v[AS_METRIC]) {
        if (scn__v_enum(c, v[AS_METRIC], "an autoscaling metric", scn__as_metric_names, N_AS_METRIC,
                        &e))
            return -1;
        a->metric = (enum scn_as_metric)e;
    }
    if (a->metric == SCN_AS_UTILIZATION) {
        if (v[AS_TARGET] && scn__v_fraction(c, v[AS_TARGET], &a->target))
            return -1;
        if (!(a->target > 0))
            return scn__fail(
                c, v[AS_TARGET],
                "found a target utilization of 0, expected a utilization above 0%% and "
                "at most 100%%");
    } else {
        if (v[AS_TARGET] == NULL)
            return scn__missing(c, n,
                                a->metric == SCN_AS_QUEUE_DEPTH
                                    ? "'autoscale' with metric queue_depth"
                                    : "'autoscale' with metric concurrency",
                                "target", "the requests per serving replica to aim at, e.g. 4");
        if (scn__v_number(c, v[AS_TARGET], &a->target))
            return -1;
        if (!(a->target > 0))
            return scn__fail(c, v[AS_TARGET], "found %s, expected a target number of requests > 0",
                             scn__quote(scn__scalar_str(v[AS_TARGET]), q, sizeof q));
    }
    if (v[AS_MIN] && scn__v_u32(c, v[AS_MIN], &a->min))
        return -1;
    if (v[AS_MAX] == NULL)
        return scn__missing(c, n, "'autoscale'", "max", "the most replicas it may run, e.g. 8");
    if (scn__v_u32(c, v[AS_MAX], &a->max))
        return -1;
    uint32_t lo = a->min > 1 ? a->min : 1;
    if (a->max < lo)
        return scn__fail(c, v[AS_MAX],
                         "found max %u, expected max >= %u (at least min, and at least 1)", a->max,
                         lo);
    if (a->max > ROUTE_MAX_BACKENDS)
        return scn__fail(c, v[AS_MAX],
                         "found max %u, expected at most %u replicas (a backend each)", a->max,
                         ROUTE_MAX_BACKENDS);
    if (v[AS_INTERVAL]) {
        if (scn__v_duration_ns(c, v[AS_INTERVAL], &a->interval_ns))
            return -1;
        if (a->interval_ns <= 0)
            return scn__fail(c, v[AS_INTERVAL], "found an interval of 0, expected an interval > 0");
    }
    if (v[AS_WARMUP] && scn__v_duration_ns(c, v[AS_WARMUP], &a->warmup_ns))
        return -1;
    if (v[AS_DOWN_DELAY] && scn__v_duration_ns(c, v[AS_DOWN_DELAY], &a->scale_down_delay_ns))
        return -1;
    if (v[AS_TOL]) {
        if (scn__v_fraction(c, v[AS_TOL], &a->tolerance))
            return -1;
        if (a->tolerance >= 1)
            return scn__fail(c, v[AS_TOL],
                             "found a tolerance of 100%%, expected less than 100%% (the autoscaler "
                             "would never act)");
    }
    return 0;
}

/* A scheduled preemption while the list is checked. */
struct preempt_item {
    struct scn_preempt p;
    const yaml_node_t *node;
};

static int preempt_cmp(const void *a, const void *b)
{
    const struct scn_preempt *x = &((const struct preempt_item *)a)->p;
    const struct scn_preempt *y = &((const struct preempt_item *)b)->p;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->replica < y->replica ? -1 : (x->replica > y->replica);
}

/* `schedule: [{at, replica}, ...]`: slots of this pool, sorted by time. */
static int parse_schedule(struct scn__ctx *c, const yaml_node_t *n, struct scn_pool *p)
{
    struct scn_spot *sp = &p->spot;
    char what[96];
    if (scn__want_seq(c, n, "'schedule': a list of {at, replica}"))
        return -1;
    size_t count = scn__seq_len(n);
    if (count == 0)
        return 0;
    if (count > UINT32_MAX / 2)
        return scn__fail(c, n, "found %zu preemptions, expected fewer", count);
    struct preempt_item *items = calloc(count, sizeof *items);
    if (items == NULL)
        return scn__oom(c, n);
    snprintf(what, sizeof what, "the slot it hits, 0 to %u", p->slots - 1);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *w[PE_N];
        struct scn_preempt *e = &items[i].p;
        items[i].node = it;
        if (it == NULL)
            rc = scn__oom(c, n);
        else if (scn__check_map(c, it, "a scheduled preemption", scn__preempt_keys, PE_N, w))
            rc = -1;
        else if (w[PE_AT] == NULL)
            rc = scn__missing(c, it, "a scheduled preemption", "at",
                              "when the preemption notice comes, e.g. 10m");
        else if (w[PE_REPLICA] == NULL)
            rc = scn__missing(c, it, "a scheduled preemption", "replica", what);
        else if (scn__v_duration_ns(c, w[PE_AT], &e->at_ns) ||
                 scn__v_u32(c, w[PE_REPLICA], &e->replica))
            rc = -1;
        else if (e->replica >= p->slots)
            rc = scn__fail(c, w[PE_REPLICA],
                           "found replica %u, expected a slot index from 0 to %u (the pool has %u)",
                           e->replica, p->slots - 1, p->slots);
    }
    if (rc == 0) {
        qsort(items, count, sizeof *items, preempt_cmp);
        for (size_t i = 1; i < count && rc == 0; i++)
            if (preempt_cmp(&items[i], &items[i - 1]) == 0)
                rc = scn__fail(
                    c, items[i].node,
                    "found a second preemption of replica %u at %.9gs (first at line %zu), "
                    "expected each (at, replica) once",
                    items[i].p.replica, (double)items[i].p.at_ns / 1e9,
                    items[i - 1].node->start_mark.line + 1);
    }
    if (rc == 0) {
        sp->schedule = malloc(count * sizeof *sp->schedule);
        if (sp->schedule == NULL)
            rc = scn__oom(c, n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < count; i++)
            sp->schedule[i] = items[i].p;
        sp->n_schedule = (uint32_t)count;
    }
    free(items);
    return rc;
}

/* `spot:` true, false or a mapping.  *price gets spot.price_per_hour, or
 * stays as it was when not given. */
static int parse_spot(struct scn__ctx *c, const yaml_node_t *n, struct scn_pool *p, double *price)
{
    struct scn_spot *sp = &p->spot;
    const yaml_node_t *v[SP_N];
    char q[64], list[256], m[128];
    size_t e = 0;
    if (n->type == YAML_SCALAR_NODE) {
        const char *str = NULL;
        bool on = false;
        if (scn__get_str(c, n, "'spot': true, false or a mapping", &str))
            return -1;
        if (scn__parse_bool(str, &on, m, sizeof m) != 0) {
            scn__join_names(scn__spot_keys, SP_N, list, sizeof list);
            return scn__fail(c, n,
                             "found %s, expected 'spot': true, false or a mapping with keys %s",
                             scn__quote(str, q, sizeof q), list);
        }
        sp->enabled = on;
        return 0;
    }
    if (scn__check_map(c, n, "'spot'", scn__spot_keys, SP_N, v))
        return -1;
    sp->enabled = true;
    if (v[SP_RATE]) {
        if (scn__v_number(c, v[SP_RATE], &sp->preemptions_per_day))
            return -1;
        if (!(sp->preemptions_per_day >= 0 && sp->preemptions_per_day <= SCN_PREEMPT_MAX_PER_DAY))
            return scn__fail(c, v[SP_RATE],
                             "found %s, expected preemptions per day >= 0 and at most %.0f (one a "
                             "second per replica, docs/limits.md)",
                             scn__quote(scn__scalar_str(v[SP_RATE]), q, sizeof q),
                             SCN_PREEMPT_MAX_PER_DAY);
    }
    if (v[SP_SCHEDULE] && parse_schedule(c, v[SP_SCHEDULE], p))
        return -1;
    if (v[SP_NOTICE] && scn__v_duration_ns(c, v[SP_NOTICE], &sp->notice_ns))
        return -1;
    if (v[SP_ON_KILL]) {
        if (scn__v_enum(c, v[SP_ON_KILL], "what happens to requests on a preempted replica",
                        scn__on_kill_names, N_ON_KILL, &e))
            return -1;
        sp->on_kill = (enum scn_on_kill)e;
    }
    if (v[SP_REPLACEMENT]) {
        const yaml_node_t *r = v[SP_REPLACEMENT];
        if (r->type == YAML_SCALAR_NODE && strcmp(scn__scalar_str(r), "none") == 0)
            sp->replacement_delay_ns = -1;
        else if (scn__v_duration_ns(c, r, &sp->replacement_delay_ns))
            return -1;
    }
    if (v[SP_STOCKOUT]) {
        if (scn__v_fraction(c, v[SP_STOCKOUT], &sp->stockout_p))
            return -1;
        if (sp->stockout_p >= 1)
            return scn__fail(c, v[SP_STOCKOUT],
                             "found a stockout probability of 100%%, expected less than 100%% (for "
                             "no replacement at all, replacement_delay: none)");
    }
    if (v[SP_PRICE] && scn__v_usd(c, v[SP_PRICE], price))
        return -1;
    return 0;
}

/* A calibration knob in (0, 1]: mfu, mem_eff. */
static int calib_fraction(struct scn__ctx *c, const yaml_node_t *n, const char *what, double *out)
{
    if (scn__v_fraction(c, n, out))
        return -1;
    if (!(*out > 0))
        return scn__fail(c, n,
                         "found %s 0, expected a share of the datasheet peak above 0 and at "
                         "most 1 (e.g. 0.5 or 50%%)",
                         what);
    return 0;
}

/* mfu, mem_eff, step_overhead, server_overhead: the profile's step-time
 * coefficients are derived again from the knobs given (the defaults,
 * models/pool_profiles.c, for those absent), so a pool without them is
 * exactly the profile. */
static int parse_calib(struct scn__ctx *c, const yaml_node_t *const *v, struct scn_pool *p)
{
    struct pool_calib k;
    pool_calib_default(&k);
    if (v[B_MFU] && calib_fraction(c, v[B_MFU], "mfu", &k.mfu))
        return -1;
    if (v[B_MEM_EFF] && calib_fraction(c, v[B_MEM_EFF], "mem_eff", &k.mem_eff))
        return -1;
    if (v[B_STEP_OVERHEAD]) {
        int64_t ns = 0;
        if (scn__v_duration_ns(c, v[B_STEP_OVERHEAD], &ns))
            return -1;
        k.step_overhead_ns = (double)ns;
    }
    if (v[B_SERVER_OVERHEAD] &&
        scn__v_duration_ns(c, v[B_SERVER_OVERHEAD], &p->cfg.server_overhead_ns))
        return -1;
    if (v[B_MFU] || v[B_MEM_EFF] || v[B_STEP_OVERHEAD]) {
        uint32_t mb = p->cfg.perf.max_batch;
        if (pool_profile_perf_calib(p->profile, &k, &p->cfg.perf) != POOL_OK)
            return scn__fail(c,
                             v[B_MFU]       ? v[B_MFU]
                             : v[B_MEM_EFF] ? v[B_MEM_EFF]
                                            : v[B_STEP_OVERHEAD],
                             "found calibration knobs the profile cannot use, expected mfu and "
                             "mem_eff in (0, 1] and step_overhead >= 0");
        p->cfg.perf.max_batch = mb;
    }
    return 0;
}

/* `step_model:` of a pool, in enum pool_step_model order (models/pool.h). */
static const char *const step_model_names[] = {"additive", "roofline"};

/* "a, b, c": the built-in pool profiles. */
static void profile_names(char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < pool_profile_count() && o < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", pool_profile_at(i)->name);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

/*
 * The pool keys of backend entry n, whose common keys are parsed into
 * s->backends[first] already (its name is the pool's); then that backend
 * becomes slot 0 and slots 1.. are appended as copies of it.
 */
int scn__parse_pool(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *const *v,
                    struct scenario *s, uint32_t first)
{
    char q[64], list[512];
    struct scn_pool *np = realloc(s->pools, ((size_t)s->n_pools + 1) * sizeof *np);
    if (np == NULL)
        return scn__oom(c, n);
    s->pools = np;
    uint32_t pi = s->n_pools++;
    struct scn_pool *p = &np[pi];
    memset(p, 0, sizeof *p);
    memcpy(p->name, s->backends[first].name, sizeof p->name);
    p->first_backend = first;

    /* The profile: hardware, model and prices. */
    profile_names(list, sizeof list);
    if (v[B_PROFILE] == NULL) {
        char expected[640];
        snprintf(expected, sizeof expected, "a pool profile, one of %s", list);
        return scn__missing(c, n, "a pool backend", "profile", expected);
    }
    const char *pn = NULL;
    if (scn__get_str(c, v[B_PROFILE], "a pool profile", &pn))
        return -1;
    p->profile = pool_profile_find(pn);
    if (p->profile == NULL) {
        const char *best = NULL;
        unsigned best_d = UINT_MAX;
        for (uint32_t i = 0; i < pool_profile_count(); i++)
            scn__suggest_step(pn, pool_profile_at(i)->name, &best, &best_d);
        const char *sg = scn__suggest_done(pn, best, best_d);
        return scn__fail(c, v[B_PROFILE], "found %s, expected a pool profile: one of %s%s%s%s",
                         scn__quote(pn, q, sizeof q), list, sg ? "; did you mean '" : "",
                         sg ? sg : "", sg ? "'?" : "");
    }
    if (pool_cfg_init(&p->cfg, p->profile) != POOL_OK)
        return scn__fail(c, v[B_PROFILE],
                         "found profile %s whose weights do not fit its GPUs, expected a usable "
                         "profile",
                         scn__quote(pn, q, sizeof q));
    if (v[B_ENGINE]) {
        size_t e = 0;
        if (scn__v_enum(c, v[B_ENGINE], "a serving engine preset", scn__engine_names, N_ENGINE, &e))
            return -1;
        uint32_t mb = 0, chunk = 0;
        if (pool_engine_defaults(p->profile, (enum pool_engine)e, p->cfg.perf.kv_capacity_tokens,
                                 &mb, &chunk) != POOL_OK)
            return scn__fail(c, v[B_ENGINE],
                             "found an engine the profile cannot use, expected "
                             "vllm or sglang");
        p->cfg.perf.max_batch = mb;
        p->cfg.chunked_prefill_tokens = chunk;
        p->cfg.budget_counts_decode = e == POOL_ENGINE_VLLM;
    }
    if (parse_calib(c, v, p))
        return -1;
    if (v[B_STEP_MODEL]) {
        size_t m = 0;
        if (scn__v_enum(c, v[B_STEP_MODEL], "a step-time model", step_model_names,
                        SCN__NELEM(step_model_names), &m))
            return -1;
        p->cfg.step_model = (uint32_t)m;
    }

    /* Replicas at t = 0 and replica slots. */
    struct scn_autoscale *as = &p->autoscale;
    /* Every new replica loads the model, with or without an autoscaler
     * (a spot replacement too): the engine reads autoscale.warmup_ns. */
    as->warmup_ns = SCN_AS_WARMUP_NS;
    if (v[B_AUTOSCALE] && parse_autoscale(c, v[B_AUTOSCALE], as))
        return -1;
    p->replicas = as->enabled ? as->min : 1;
    if (v[B_REPLICAS]) {
        if (scn__v_u32(c, v[B_REPLICAS], &p->replicas))
            return -1;
        if (as->enabled && (p->replicas < as->min || p->replicas > as->max))
            return scn__fail(c, v[B_REPLICAS],
                             "found replicas %u, expected %u to %u (autoscale's min to max)",
                             p->replicas, as->min, as->max);
        if (!as->enabled && p->replicas < 1)
            return scn__fail(
                c, v[B_REPLICAS],
                "found replicas 0, expected at least 1 (0 only with 'autoscale', whose "
                "min may be 0)");
        if (!as->enabled && p->replicas > ROUTE_MAX_BACKENDS)
            return scn__fail(c, v[B_REPLICAS],
                             "found replicas %u, expected at most %u (a backend each)", p->replicas,
                             ROUTE_MAX_BACKENDS);
    }
    p->slots = as->enabled ? as->max : p->replicas;
    p->cfg.replicas = p->slots;

    /* Serving overrides of the profile. */
    if (v[B_MAX_BATCH]) {
        uint32_t mb = 0;
        if (scn__v_u32(c, v[B_MAX_BATCH], &mb))
            return -1;
        if (mb < 1 || mb > SCN_POOL_MAX_BATCH)
            return scn__fail(c, v[B_MAX_BATCH], "found max_batch %u, expected 1 to %u", mb,
                             SCN_POOL_MAX_BATCH);
        p->cfg.perf.max_batch = mb;
    }
    if (v[B_CHUNKED_PREFILL] && scn__v_u32(c, v[B_CHUNKED_PREFILL], &p->cfg.chunked_prefill_tokens))
        return -1;
    if (v[B_BLOCK_TOKENS]) {
        if (scn__v_u32(c, v[B_BLOCK_TOKENS], &p->cfg.block_tokens))
            return -1;
        if (p->cfg.block_tokens < 1)
            return scn__fail(c, v[B_BLOCK_TOKENS], "found block_tokens 0, expected at least 1");
    }
    if (v[B_PREFIX_CACHE]) {
        const yaml_node_t *pc = v[B_PREFIX_CACHE];
        static const char expected[] = "'prefix_cache': true, false or a capacity in blocks >= 1";
        const char *str = NULL;
        char m[128];
        uint64_t blocks = 0;
        if (scn__get_str(c, pc, expected, &str))
            return -1;
        if (scn__parse_bool(str, &p->cfg.prefix_cache, m, sizeof m) != 0) {
            if (scn__parse_uint(str, UINT32_MAX, &blocks, m, sizeof m) != 0 || blocks < 1)
                return scn__fail(c, pc, "found %s, expected %s", scn__quote(str, q, sizeof q),
                                 expected);
            p->cfg.prefix_cache = true;
            p->cfg.prefix_cache_blocks = (uint32_t)blocks;
        }
    }

    /* Prices: price_per_hour overrides the profile's; with spot, the
     * spot's own price_per_hour wins, else the profile's spot price. */
    double price = -1, spot_price = -1;
    if (v[B_PRICE_PER_HOUR] && scn__v_usd(c, v[B_PRICE_PER_HOUR], &price))
        return -1;
    p->spot.notice_ns = SCN_SPOT_NOTICE_NS;
    p->spot.on_kill = SCN_KILL_RETRY;
    p->spot.replacement_delay_ns = SCN_SPOT_REPLACEMENT_NS;
    if (v[B_SPOT] && parse_spot(c, v[B_SPOT], p, &spot_price))
        return -1;
    if (p->spot.enabled)
        p->usd_per_hour = spot_price >= 0 ? spot_price
                          : price >= 0    ? price
                                          : p->profile->usd_per_hour_spot;
    else
        p->usd_per_hour = price >= 0 ? price : p->profile->usd_per_hour;

    /* One backend per slot, named "<pool>/<i>". */
    char last[16];
    int dl = snprintf(last, sizeof last, "/%u", p->slots - 1);
    size_t nl = strlen(p->name);
    if (dl < 0 || nl + (size_t)dl >= SCN_NAME_MAX)
        return scn__fail(c, v[B_NAME],
                         "found pool name '%s' of %zu characters, expected at most %zu so that its "
                         "replica names ('%s%s') fit %d characters",
                         p->name, nl, (size_t)(SCN_NAME_MAX - 1) - (size_t)(dl < 0 ? 0 : dl),
                         p->name, last, SCN_NAME_MAX - 1);
    if ((uint64_t)first + p->slots > ROUTE_MAX_BACKENDS)
        return scn__fail(c, v[B_NAME],
                         "found pool '%s' of %u replica slots, bringing the backends to %llu, "
                         "expected at most %u in all (each replica slot is a backend)",
                         p->name, p->slots, (unsigned long long)first + p->slots,
                         ROUTE_MAX_BACKENDS);
    if (scn__backends_resize(c, n, s, first + p->slots))
        return -1;
    struct scn_backend *b0 = &s->backends[first];
    b0->kind = SCN_BACKEND_POOL;
    b0->pool = pi;
    b0->route.kind = ROUTE_KIND_POOL;
    if (b0->model[0] == '\0')
        snprintf(b0->model, sizeof b0->model, "%s", p->profile->model->name);
    for (uint32_t i = 1; i < p->slots; i++) {
        struct scn_backend *b = &s->backends[first + i];
        void *o = NULL, *w = NULL, *st = NULL;
        *b = *b0;
        b->outages = NULL;
        b->brownouts = NULL;
        b->storms = NULL;
        const struct fault_cfg *f = &b0->api.faults;
        if (dup_array(&o, b0->outages, f->n_outages, sizeof *b0->outages) ||
            dup_array(&w, b0->brownouts, f->n_brownouts, sizeof *b0->brownouts) ||
            dup_array(&st, b0->storms, f->n_storms, sizeof *b0->storms)) {
            free(o);
            free(w);
            memset(b, 0, sizeof *b);
            return scn__oom(c, n);
        }
        b->outages = o;
        b->brownouts = w;
        b->storms = st;
        b->api.faults.outages = b->outages;
        b->api.faults.brownouts = b->brownouts;
        b->api.faults.storms = b->storms;
    }
    for (uint32_t i = 0; i < p->slots; i++) {
        struct scn_backend *b = &s->backends[first + i];
        char num[16];
        snprintf(num, sizeof num, "/%u", i);
        memcpy(b->name, p->name, nl);
        memcpy(b->name + nl, num, strlen(num) + 1);
        b->replica = i;
        b->route.name = b->name;
    }
    return 0;
}
