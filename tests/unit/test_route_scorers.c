/*
 * test_route_scorers.c - tests of the scoring, prefix-cache and hashing
 * strategies of route/: weighted_scorers (each scorer, each picker),
 * prefix_affinity, cache_aware_guarded and bounded_load_hash.
 *
 * Strategies are driven through their ops tables (from the registry) over
 * hand-built views, so every live signal can be set directly; the test
 * plays the router: it raises and lowers in-flight counts around the
 * on_dispatch / on_complete hooks.  One smoke test goes through
 * route_router_* end to end.  Links route/ alone.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "route.h"
#include "sm64.h"

#define MAXN 64u

static uint32_t trand(struct sm64 *g, uint32_t n)
{
    return (uint32_t)((sm64_next(g) >> 32) * n >> 32);
}

static struct route_env make_env(struct sm64 *g)
{
    struct route_env e = {.now_ns = 0, .rand = sm64_next, .rand_ctx = g};
    return e;
}

/* A strategy instance driven by hand. */
struct inst {
    const struct route_ops *ops;
    void *st;
    double params[ROUTE_MAX_PARAMS];
    struct route_backend_cfg cfgs[MAXN];
    struct route_backend b[MAXN];
    struct route_view view;
};

static void backends_init(struct inst *in, uint32_t n)
{
    static const char *const names[] = {"b0",  "b1",  "b2",  "b3",  "b4",  "b5",  "b6",  "b7",
                                        "b8",  "b9",  "b10", "b11", "b12", "b13", "b14", "b15",
                                        "b16", "b17", "b18", "b19", "b20", "b21", "b22", "b23",
                                        "b24", "b25", "b26", "b27", "b28", "b29", "b30", "b31"};
    memset(in->b, 0, sizeof in->b);
    memset(in->cfgs, 0, sizeof in->cfgs);
    for (uint32_t i = 0; i < n; i++) {
        in->cfgs[i].name = i < 32 ? names[i] : NULL;
        in->cfgs[i].weight = 1;
        in->b[i].cfg = in->cfgs[i];
        in->b[i].health = ROUTE_HEALTHY;
        in->b[i].queue_depth = -1;
        in->b[i].kv_free = -1.0;
    }
    in->view.b = in->b;
    in->view.n = n;
}

/* Create `name` over n default backends with params "k=v" overrides
 * (names, values, count). */
static int inst_open(struct inst *in, const char *name, uint32_t n, const char *const *pn,
                     const double *pv, uint32_t np)
{
    char err[256];
    struct route_create_args a;
    memset(in, 0, sizeof *in);
    in->ops = route_registry_find(name);
    if (in->ops == NULL) {
        fprintf(stderr, "strategy %s not in the registry\n", name);
        return -1;
    }
    for (uint32_t k = 0; k < in->ops->n_params; k++)
        in->params[k] = in->ops->params[k].def;
    for (uint32_t k = 0; k < np; k++) {
        int idx = route_param_index(in->ops, pn[k]);
        if (idx < 0) {
            fprintf(stderr, "%s: no parameter %s\n", name, pn[k]);
            return -1;
        }
        in->params[idx] = pv[k];
    }
    backends_init(in, n);
    memset(&a, 0, sizeof a);
    a.params = in->params;
    a.n_backends = n;
    a.cfgs = in->cfgs;
    err[0] = '\0';
    if (in->ops->create(&in->st, &a, err, sizeof err) != 0) {
        fprintf(stderr, "%s: create failed: %s\n", name, err);
        return -1;
    }
    return 0;
}

/* Re-run create after the test changed the cfgs (weights for the ring). */
static int inst_recreate(struct inst *in)
{
    char err[256];
    struct route_create_args a;
    if (in->ops->destroy != NULL)
        in->ops->destroy(in->st);
    for (uint32_t i = 0; i < in->view.n; i++)
        in->b[i].cfg = in->cfgs[i];
    memset(&a, 0, sizeof a);
    a.params = in->params;
    a.n_backends = in->view.n;
    a.cfgs = in->cfgs;
    return in->ops->create(&in->st, &a, err, sizeof err);
}

static void inst_close(struct inst *in)
{
    if (in->ops != NULL && in->ops->destroy != NULL)
        in->ops->destroy(in->st);
    in->st = NULL;
}

static int32_t inst_pick(struct inst *in, const struct route_req *q, struct route_env *env,
                         const uint64_t *ex)
{
    return in->ops->pick(in->st, q, &in->view, env, ex);
}

static void inst_dispatch(struct inst *in, uint32_t i, const struct route_req *q,
                          struct route_env *env)
{
    in->b[i].inflight++;
    in->b[i].inflight_tokens += q->input_tokens + q->max_tokens;
    in->b[i].dispatched++;
    if (in->ops->on_dispatch != NULL)
        in->ops->on_dispatch(in->st, i, q, env);
}

static void inst_complete(struct inst *in, uint32_t i, const struct route_req *q,
                          struct route_env *env)
{
    struct route_outcome out;
    memset(&out, 0, sizeof out);
    out.status = ROUTE_OK;
    out.http_status = 200;
    out.ttft_ns = -1;
    out.retry_after_ns = -1;
    in->b[i].inflight--;
    in->b[i].inflight_tokens -= q->input_tokens + q->max_tokens;
    if (in->ops->on_complete != NULL)
        in->ops->on_complete(in->st, i, q, &out, env);
}

static struct route_req req_blocks(uint64_t id, const uint64_t *blocks, uint32_t n_blocks)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.id = id;
    q.input_tokens = 1000;
    q.max_tokens = 100;
    q.output_tokens = 100;
    q.blocks = blocks;
    q.n_blocks = n_blocks;
    return q;
}

static const char *const MINE[] = {"weighted_scorers", "prefix_affinity", "cache_aware_guarded",
                                   "bounded_load_hash"};
#define N_MINE 4u

/* ---------------------------------------------------------------------
 * Contract properties, for all four strategies
 * ------------------------------------------------------------------- */

static void randomize(struct inst *in, struct sm64 *g, uint32_t n, uint64_t *ex)
{
    uint32_t p_down = trand(g, 4), p_ex = trand(g, 4), p_cap = trand(g, 3);
    memset(ex, 0, ROUTE_EXCLUDE_WORDS(MAXN) * sizeof ex[0]);
    for (uint32_t i = 0; i < n; i++) {
        struct route_backend *b = &in->b[i];
        static const enum route_health hs[] = {ROUTE_DOWN, ROUTE_COOLDOWN, ROUTE_OPEN,
                                               ROUTE_EJECTED};
        b->health = trand(g, 5) < p_down ? hs[trand(g, 4)] : ROUTE_HEALTHY;
        if (trand(g, 5) < p_ex)
            route_exclude_set(ex, i);
        b->cfg.max_inflight = trand(g, 3) < p_cap ? (int32_t)(1 + trand(g, 3)) : 0;
        b->inflight = (int32_t)trand(g, 6);
        b->inflight_tokens = (int64_t)b->inflight * 1100;
        b->queue_depth = trand(g, 3) == 0 ? -1 : (int64_t)trand(g, 10);
        b->kv_free = trand(g, 3) == 0 ? -1.0 : (double)trand(g, 101) / 100.0;
        b->ttft_samples = trand(g, 2);
        b->ttft_ewma_ns = b->ttft_samples ? (int64_t)(1 + trand(g, 1000)) * 1000000 : 0;
        b->cfg.rpm_limit = trand(g, 2) ? 100 : 0;
        b->cfg.tpm_limit = trand(g, 2) ? 100000 : 0;
        b->rpm_used = trand(g, 100);
        b->tpm_used = trand(g, 100000);
        b->cfg.price_input = (double)(1 + trand(g, 10)) * 1e-6;
        b->cfg.price_output = (double)(1 + trand(g, 10)) * 1e-6;
    }
}

static bool ok_pick(const struct inst *in, const uint64_t *ex, int32_t r)
{
    uint32_t usable = 0, eligible = 0;
    for (uint32_t i = 0; i < in->view.n; i++) {
        const struct route_backend *b = &in->b[i];
        bool u =
            (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) && !route_excluded(ex, i);
        usable += u;
        eligible += u && !(b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight);
    }
    if (r == ROUTE_NONE)
        return usable == 0;
    if (r == ROUTE_FULL)
        return usable > 0 && eligible == 0;
    if (r < 0 || (uint32_t)r >= in->view.n)
        return false;
    const struct route_backend *b = &in->b[r];
    return (b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN) &&
           !route_excluded(ex, (uint32_t)r) &&
           !(b->cfg.max_inflight > 0 && b->inflight >= b->cfg.max_inflight);
}

static void test_contract(void)
{
    static const char *const pn[] = {"w_tokens", "w_latency", "w_cost", "w_headroom", "picker"};
    for (uint32_t s = 0; s < N_MINE; s++) {
        for (uint32_t picker = 0; picker < (s == 0 ? 3u : 1u); picker++) {
            struct inst in;
            struct sm64 g = {1234 + s}, rg = {99};
            struct route_env env = make_env(&rg);
            uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)];
            uint64_t blocks[6];
            double pv[] = {1, 1, 1, 1, picker};
            uint32_t bad = 0;
            if (inst_open(&in, MINE[s], 24, pn, pv, s == 0 ? 5u : 0u) != 0) {
                CHECK(0);
                continue;
            }
            for (int t = 0; t < 3000; t++) {
                struct route_req q;
                int32_t r;
                uint32_t nb = trand(&g, 7);
                for (uint32_t j = 0; j < nb; j++)
                    blocks[j] = (j == 0 ? 1000 : 0) + trand(&g, 3) + 10 * j;
                q = req_blocks((uint64_t)t + 1, blocks, nb);
                q.session = trand(&g, 4);
                randomize(&in, &g, 24, ex);
                r = inst_pick(&in, &q, &env, ex);
                if (!ok_pick(&in, ex, r)) {
                    bad++;
                    fprintf(stderr, "%s picker %u: bad pick %d\n", MINE[s], picker, r);
                }
                if (r >= 0)
                    inst_dispatch(&in, (uint32_t)r, &q, &env);
            }
            CHECK_INT_EQ(bad, 0);
            /* Nothing usable: NONE; all usable saturated: FULL. */
            for (uint32_t i = 0; i < 24; i++) {
                in.b[i].health = ROUTE_DOWN;
                in.b[i].cfg.max_inflight = 0;
            }
            {
                struct route_req q = req_blocks(1, blocks, 2);
                CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), ROUTE_NONE);
                for (uint32_t i = 0; i < 24; i++) {
                    in.b[i].health = ROUTE_HEALTHY;
                    in.b[i].cfg.max_inflight = 1;
                    in.b[i].inflight = 1;
                }
                CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), ROUTE_FULL);
                memset(ex, 0xff, sizeof ex);
                CHECK_INT_EQ(inst_pick(&in, &q, &env, ex), ROUTE_NONE);
            }
            inst_close(&in);
        }
    }
}

/* Same seed, same calls: same picks. */
static uint64_t run_sequence(const char *name, uint64_t seed, double picker)
{
    static const char *const pn[] = {"picker", "w_tokens", "w_latency"};
    double pv[] = {picker, 1, 1};
    struct inst in;
    struct sm64 g = {7}, rg = {seed};
    struct route_env env = make_env(&rg);
    uint64_t h = 1469598103934665603ull, blocks[4];
    bool ws = strcmp(name, "weighted_scorers") == 0;
    if (inst_open(&in, name, 16, pn, pv, ws ? 3u : 0u) != 0)
        return 0;
    for (int t = 0; t < 2000; t++) {
        struct route_req q;
        int32_t r;
        for (uint32_t j = 0; j < 4; j++)
            blocks[j] = trand(&g, 5) * 100 + j;
        q = req_blocks((uint64_t)t + 1, blocks, 1 + trand(&g, 4));
        for (uint32_t i = 0; i < 16; i++)
            in.b[i].queue_depth = trand(&g, 3);
        r = inst_pick(&in, &q, &env, NULL);
        h = (h ^ (uint64_t)(r + 3)) * 1099511628211ull;
        if (r >= 0)
            inst_dispatch(&in, (uint32_t)r, &q, &env);
        if (t % 3 == 0) {
            uint32_t i = trand(&g, 16);
            if (in.b[i].inflight > 0)
                inst_complete(&in, i, &q, &env);
        }
    }
    inst_close(&in);
    return h;
}

static void test_determinism(void)
{
    for (uint32_t s = 0; s < N_MINE; s++) {
        for (double picker = 0; picker < (s == 0 ? 3 : 1); picker++) {
            uint64_t a = run_sequence(MINE[s], 42, picker), b = run_sequence(MINE[s], 42, picker);
            CHECK(a != 0);
            CHECK(a == b);
        }
    }
}

/* ---------------------------------------------------------------------
 * weighted_scorers
 * ------------------------------------------------------------------- */

/* Only scorer `w` on (weight 1), max_score picker. */
static int open_alone(struct inst *in, const char *w, uint32_t n)
{
    static const char *const pn[] = {"w_queue",   "w_kv",   "w_prefix",   "w_tokens",
                                     "w_latency", "w_cost", "w_headroom", "picker"};
    double pv[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (uint32_t k = 0; k < 7; k++)
        if (strcmp(pn[k], w) == 0)
            pv[k] = 1;
    return inst_open(in, "weighted_scorers", n, pn, pv, 8);
}

static void test_scorers_alone(void)
{
    struct sm64 rg = {5};
    struct route_env env = make_env(&rg);
    struct route_req q = req_blocks(1, NULL, 0);
    struct inst in;

    /* queue: the shortest reported queue; in-flight where none is reported */
    if (open_alone(&in, "w_queue", 5) == 0) {
        int64_t qd[] = {7, 3, 9, 5, -1};
        for (uint32_t i = 0; i < 5; i++) {
            in.b[i].queue_depth = qd[i];
            in.b[i].inflight = 4;
        }
        for (int t = 0; t < 50; t++)
            CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
        in.b[4].inflight = 2; /* unknown queue: its in-flight 2 < 3 */
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 4);
        inst_close(&in);
    } else {
        CHECK(0);
    }
    /* kv: the freest; an unreported backend counts 0.5 */
    if (open_alone(&in, "w_kv", 4) == 0) {
        double kv[] = {0.2, 0.45, 0.1, -1.0};
        for (uint32_t i = 0; i < 4; i++)
            in.b[i].kv_free = kv[i];
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 3);
        in.b[1].kv_free = 0.9;
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
        inst_close(&in);
    } else {
        CHECK(0);
    }
    /* tokens: the fewest in-flight tokens */
    if (open_alone(&in, "w_tokens", 3) == 0) {
        in.b[0].inflight_tokens = 500000;
        in.b[1].inflight_tokens = 200000;
        in.b[2].inflight_tokens = 900000;
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
        inst_close(&in);
    } else {
        CHECK(0);
    }
    /* latency: the lowest TTFT EWMA; an unseen backend is tried first */
    if (open_alone(&in, "w_latency", 3) == 0) {
        int64_t lat[] = {300, 100, 200};
        for (uint32_t i = 0; i < 3; i++) {
            in.b[i].ttft_ewma_ns = lat[i] * 1000000;
            in.b[i].ttft_samples = 10;
        }
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
        in.b[2].ttft_samples = 0;
        in.b[2].ttft_ewma_ns = 0;
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 2);
        inst_close(&in);
    } else {
        CHECK(0);
    }
    /* cost: the cheapest expected request */
    if (open_alone(&in, "w_cost", 3) == 0) {
        in.b[0].cfg.price_input = 3e-6;
        in.b[0].cfg.price_output = 15e-6;
        in.b[1].cfg.price_input = 2.5e-6;
        in.b[1].cfg.price_output = 10e-6;
        in.b[2].cfg.price_input = 5e-6;
        in.b[2].cfg.price_output = 1e-6;
        /* 1000 in, 100 out: 4.5e-3, 3.5e-3, 5.1e-3 */
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
        inst_close(&in);
    } else {
        CHECK(0);
    }
    /* headroom: the least used share of its RPM/TPM limits */
    if (open_alone(&in, "w_headroom", 4) == 0) {
        in.b[0].cfg.rpm_limit = 100;
        in.b[0].rpm_used = 50; /* 0.5 */
        in.b[1].cfg.tpm_limit = 100000;
        in.b[1].tpm_used = 20000; /* 0.8 */
        in.b[2].cfg.rpm_limit = 10;
        in.b[2].rpm_used = 1;
        in.b[2].cfg.tpm_limit = 1000;
        in.b[2].tpm_used = 700; /* min(0.9, 0.3) = 0.3 */
        in.b[3].cfg.rpm_limit = 1000;
        in.b[3].rpm_used = 900; /* 0.1 */
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
        in.b[1].tpm_used = 90000;
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 0);
        in.b[3].cfg.rpm_limit = 0; /* unlimited: 1 */
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 3);
        inst_close(&in);
    } else {
        CHECK(0);
    }
    /* prefix: the longest match in the index built from dispatches */
    if (open_alone(&in, "w_prefix", 4) == 0) {
        uint64_t a[] = {11, 12, 13, 14}, b[] = {11, 12, 99}, c[] = {11, 77};
        struct route_req qa = req_blocks(1, a, 4), qb = req_blocks(2, b, 3),
                         qc = req_blocks(3, c, 2);
        inst_dispatch(&in, 2, &qb, &env); /* backend 2 holds 11 12 99 */
        inst_dispatch(&in, 3, &qc, &env); /* backend 3 holds 11 77 */
        inst_dispatch(&in, 0, &qa, &env); /* backend 0 holds 11 12 13 14 */
        for (int t = 0; t < 20; t++)
            CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 0);
        qb.id = 4;
        CHECK_INT_EQ(inst_pick(&in, &qb, &env, NULL), 2);
        qc.id = 5;
        CHECK_INT_EQ(inst_pick(&in, &qc, &env, NULL), 3);
        /* 11 12 only: 0 and 2 tie at 2/2; both chosen over time, never 1 or 3 */
        {
            uint64_t d[] = {11, 12};
            struct route_req qd = req_blocks(6, d, 2);
            uint32_t seen[4] = {0, 0, 0, 0};
            for (int t = 0; t < 200; t++) {
                int32_t r = inst_pick(&in, &qd, &env, NULL);
                if (r >= 0 && r < 4)
                    seen[r]++;
            }
            CHECK(seen[0] > 50 && seen[2] > 50);
            CHECK_INT_EQ(seen[1] + seen[3], 0);
        }
        /* excluded best match: the next best */
        {
            uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)] = {0};
            route_exclude_set(ex, 0);
            CHECK_INT_EQ(inst_pick(&in, &qa, &env, ex), 2);
        }
        inst_close(&in);
    } else {
        CHECK(0);
    }
}

/* The GIE default mix (2/2/3): a prefix hit outweighs a slightly longer
 * queue, a much fuller backend loses it. */
static void test_scorers_default_mix(void)
{
    struct sm64 rg = {6};
    struct route_env env = make_env(&rg);
    struct inst in;
    uint64_t a[] = {1, 2, 3, 4};
    struct route_req q = req_blocks(1, a, 4);
    if (inst_open(&in, "weighted_scorers", 3, NULL, NULL, 0) != 0) {
        CHECK(0);
        return;
    }
    for (uint32_t i = 0; i < 3; i++) {
        in.b[i].queue_depth = 2;
        in.b[i].kv_free = 0.5;
    }
    inst_dispatch(&in, 1, &q, &env);
    /* queue 2 x (1, 0, 1) + kv 2 x 0.5 + prefix 3 x (0, 1, 0) = 3, 4, 3 */
    in.b[1].queue_depth = 3;
    CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), 1);
    /* kv 2 x (1, 0, 1): 4, 3, 4 */
    in.b[1].kv_free = 0.0;
    in.b[0].kv_free = 1.0;
    in.b[2].kv_free = 1.0;
    for (int t = 0; t < 20; t++)
        CHECK(inst_pick(&in, &q, &env, NULL) != 1);
    inst_close(&in);
}

/* Frequencies of picks over `draws` picks. */
static void pick_freq(struct inst *in, struct route_env *env, uint32_t draws, uint32_t *cnt)
{
    struct route_req q = req_blocks(1, NULL, 0);
    for (uint32_t i = 0; i < in->view.n; i++)
        cnt[i] = 0;
    for (uint32_t t = 0; t < draws; t++) {
        int32_t r = inst_pick(in, &q, env, NULL);
        if (r >= 0 && (uint32_t)r < in->view.n)
            cnt[r]++;
    }
}

/* Square root by Newton's method (route tests do not link libm). */
static double t_sqrt(double x)
{
    double r = x > 1.0 ? x : 1.0;
    if (x <= 0.0)
        return 0.0;
    for (int i = 0; i < 200; i++)
        r = 0.5 * (r + x / r);
    return r;
}

/* |observed - expected| within 5 binomial standard deviations. */
static void check_binomial(uint32_t obs, uint32_t draws, double p)
{
    double sd = t_sqrt((double)draws * p * (1.0 - p));
    CHECK_NEAR((double)obs, (double)draws * p, 5.0 * sd + 1.0);
}

static void test_pickers(void)
{
    static const char *const pn[] = {"w_queue", "w_kv", "w_prefix", "picker", "temperature"};
    struct sm64 rg = {77};
    struct route_env env = make_env(&rg);
    double kv[] = {0.1, 0.2, 0.3, 0.4};
    uint32_t cnt[4], draws = 40000;
    struct inst in;

    /* max_score: exact maximum; ties uniform */
    {
        double pv[] = {0, 1, 0, 0, 0.1};
        if (inst_open(&in, "weighted_scorers", 4, pn, pv, 5) == 0) {
            for (uint32_t i = 0; i < 4; i++)
                in.b[i].kv_free = kv[i];
            pick_freq(&in, &env, 1000, cnt);
            CHECK_INT_EQ(cnt[3], 1000);
            in.b[1].kv_free = 0.4;
            pick_freq(&in, &env, draws, cnt);
            CHECK_INT_EQ(cnt[0] + cnt[2], 0);
            check_binomial(cnt[1], draws, 0.5);
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }
    /* weighted_random: P(i) = total_i / sum */
    {
        double pv[] = {0, 1, 0, 1, 0.1};
        if (inst_open(&in, "weighted_scorers", 4, pn, pv, 5) == 0) {
            for (uint32_t i = 0; i < 4; i++)
                in.b[i].kv_free = kv[i];
            pick_freq(&in, &env, draws, cnt);
            for (uint32_t i = 0; i < 4; i++)
                check_binomial(cnt[i], draws, kv[i] / 1.0);
            /* a zero total is never chosen while another is positive */
            in.b[0].kv_free = 0.0;
            pick_freq(&in, &env, 2000, cnt);
            CHECK_INT_EQ(cnt[0], 0);
            /* all zero: uniform */
            for (uint32_t i = 0; i < 4; i++)
                in.b[i].kv_free = 0.0;
            pick_freq(&in, &env, draws, cnt);
            for (uint32_t i = 0; i < 4; i++)
                check_binomial(cnt[i], draws, 0.25);
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }
    /* softmax: tiny temperature ~ max_score */
    {
        double pv[] = {0, 1, 0, 2, 1e-6};
        if (inst_open(&in, "weighted_scorers", 4, pn, pv, 5) == 0) {
            for (uint32_t i = 0; i < 4; i++)
                in.b[i].kv_free = kv[i];
            pick_freq(&in, &env, 2000, cnt);
            CHECK_INT_EQ(cnt[3], 2000);
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }
    /* softmax T = 0.5 over z = 0, 1/3, 2/3, 1: P ~ exp(2 z) */
    {
        double pv[] = {0, 1, 0, 2, 0.5};
        if (inst_open(&in, "weighted_scorers", 4, pn, pv, 5) == 0) {
            /* exp(0), exp(2/3), exp(4/3), exp(2) */
            static const double e[4] = {1.0, 1.9477340410546757, 3.7936678946831774,
                                        7.3890560989306504};
            double sum = e[0] + e[1] + e[2] + e[3];
            for (uint32_t i = 0; i < 4; i++)
                in.b[i].kv_free = kv[i];
            pick_freq(&in, &env, draws, cnt);
            for (uint32_t i = 0; i < 4; i++)
                check_binomial(cnt[i], draws, e[i] / sum);
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }
}

/* ---------------------------------------------------------------------
 * prefix_affinity
 * ------------------------------------------------------------------- */

/* max_score's tie rule (docs/notes/routers.md §2.3 "Pickers": GIE's
 * max-score picker is uniform among the best): with c backends at the best
 * total, ONE draw route_rand_below(c) = r picks the r-th of them in index
 * order; no draw when c = 1.  Exact: the pick and the source's state after
 * it equal those of that one draw made on a copy of the source; then the
 * choice is uniform over the c tied backends (chi-square). */
static void test_max_score_ties(void)
{
    static const char *const pn[] = {"w_queue", "w_kv", "w_prefix", "picker"};
    static const uint32_t tied[] = {1, 3, 4, 6, 9};
    double pv[] = {0, 1, 0, 0};
    struct sm64 rg = {2026}, copy;
    struct route_env env = make_env(&rg), cenv;
    struct route_req q = req_blocks(1, NULL, 0);
    struct inst in;
    uint32_t cnt[12], draws = 50000, c = 5, bad = 0;
    double chi2 = 0.0;
    if (inst_open(&in, "weighted_scorers", 12, pn, pv, 4) != 0) {
        CHECK(0);
        return;
    }
    for (uint32_t i = 0; i < 12; i++)
        in.b[i].kv_free = 0.5;
    for (uint32_t j = 0; j < c; j++)
        in.b[tied[j]].kv_free = 0.9;
    in.b[11].kv_free = 0.9; /* at the best total but down: not a tie */
    in.b[11].health = ROUTE_DOWN;
    for (uint32_t i = 0; i < 12; i++)
        cnt[i] = 0;
    for (uint32_t t = 0; t < draws; t++) {
        int32_t r;
        uint32_t want;
        copy = rg;
        cenv = make_env(&copy);
        want = tied[route_rand_below(&cenv, c)];
        r = inst_pick(&in, &q, &env, NULL);
        bad += r != (int32_t)want || rg.s != copy.s;
        if (r >= 0 && r < 12)
            cnt[r]++;
    }
    CHECK_INT_EQ(bad, 0);
    for (uint32_t j = 0; j < c; j++) {
        double e = (double)draws / c, d = (double)cnt[tied[j]] - e;
        chi2 += d * d / e;
    }
    /* 4 degrees of freedom: P(chi2 > 18.47) = 0.001 */
    CHECK(chi2 < 18.47);
    CHECK_INT_EQ(cnt[0] + cnt[2] + cnt[5] + cnt[7] + cnt[8] + cnt[10] + cnt[11], 0);
    /* One best: that backend, and no draw at all. */
    in.b[tied[2]].kv_free = 0.95;
    copy = rg;
    for (int t = 0; t < 100; t++)
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), (int)tied[2]);
    CHECK(rg.s == copy.s);
    inst_close(&in);
}

static void test_prefix_affinity(void)
{
    struct sm64 rg = {8};
    struct route_env env = make_env(&rg);
    struct inst in;
    uint64_t sys[] = {500, 501, 502, 600}, sys2[] = {500, 501, 502, 700}, other[] = {9000, 9001};
    struct route_req q1 = req_blocks(1, sys, 4), q2 = req_blocks(2, sys2, 4),
                     q3 = req_blocks(3, other, 2);
    int32_t first;

    if (inst_open(&in, "prefix_affinity", 8, NULL, NULL, 0) != 0) {
        CHECK(0);
        return;
    }
    /* no match anywhere: least in flight */
    for (uint32_t i = 0; i < 8; i++)
        in.b[i].inflight = 3;
    in.b[5].inflight = 1;
    first = inst_pick(&in, &q1, &env, NULL);
    CHECK_INT_EQ(first, 5);
    inst_dispatch(&in, (uint32_t)first, &q1, &env);
    /* a second request sharing the prefix follows it, though 5 is now busier */
    in.b[2].inflight = 0;
    for (int t = 0; t < 20; t++)
        CHECK_INT_EQ(inst_pick(&in, &q2, &env, NULL), first);
    /* unrelated request: least in flight */
    CHECK_INT_EQ(inst_pick(&in, &q3, &env, NULL), 2);
    /* the matched backend down: least in flight among the rest */
    in.b[5].health = ROUTE_DOWN;
    CHECK_INT_EQ(inst_pick(&in, &q2, &env, NULL), 2);
    in.b[5].health = ROUTE_HEALTHY;
    /* two holders of the prefix: the less loaded one */
    inst_dispatch(&in, 6, &q2, &env); /* 6 holds 500 501 502 700, inflight 4 */
    in.b[6].inflight = 0;
    CHECK_INT_EQ(inst_pick(&in, &q1, &env, NULL), 5); /* 5 matches 4 blocks, 6 only 3 */
    in.b[6].inflight = 0;
    {
        uint64_t p3[] = {500, 501, 502};
        struct route_req q4 = req_blocks(4, p3, 3);
        CHECK_INT_EQ(inst_pick(&in, &q4, &env, NULL), 6); /* tie at 3 blocks: 6 less loaded */
    }
    inst_close(&in);

    /* min_match: a 1-of-4 match is ignored at min_match 0.5 */
    {
        static const char *const pn[] = {"min_match"};
        double pv[] = {0.5};
        uint64_t z[] = {500, 1, 2, 3};
        struct route_req qz = req_blocks(5, z, 4);
        if (inst_open(&in, "prefix_affinity", 4, pn, pv, 1) == 0) {
            inst_dispatch(&in, 0, &q1, &env);
            in.b[3].inflight = 0;
            in.b[1].inflight = 2;
            in.b[2].inflight = 2;
            CHECK_INT_EQ(inst_pick(&in, &qz, &env, NULL), 3);
            CHECK_INT_EQ(inst_pick(&in, &q2, &env, NULL), 0); /* 3 of 4 */
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }

    /* LRU eviction: capacity 4 blocks per backend */
    {
        static const char *const pn[] = {"lru_blocks"};
        double pv[] = {4};
        if (inst_open(&in, "prefix_affinity", 4, pn, pv, 1) == 0) {
            uint64_t f1[] = {1, 2}, f2[] = {3, 4}, f3[] = {5, 6};
            struct route_req r1 = req_blocks(1, f1, 2), r2 = req_blocks(2, f2, 2),
                             r3 = req_blocks(3, f3, 2);
            inst_dispatch(&in, 2, &r1, &env);
            inst_dispatch(&in, 2, &r2, &env);
            in.b[2].inflight = 5;
            CHECK_INT_EQ(inst_pick(&in, &r1, &env, NULL), 2); /* still held */
            inst_dispatch(&in, 2, &r1, &env);                 /* touch r1: r2 is now LRU */
            inst_dispatch(&in, 2, &r3, &env);                 /* evicts r2's blocks */
            CHECK_INT_EQ(inst_pick(&in, &r1, &env, NULL), 2);
            CHECK_INT_EQ(inst_pick(&in, &r3, &env, NULL), 2);
            CHECK(inst_pick(&in, &r2, &env, NULL) != 2); /* forgotten: least in flight */
            inst_close(&in);
        } else {
            CHECK(0);
        }
        /* a partial eviction trims the tail of a prefix, not its head */
        if (inst_open(&in, "prefix_affinity", 4, pn, pv, 1) == 0) {
            uint64_t p4[] = {1, 2, 3, 4}, p2[] = {5, 6}, h2[] = {1, 2};
            struct route_req r4 = req_blocks(1, p4, 4), r2 = req_blocks(2, p2, 2),
                             rh = req_blocks(3, h2, 2);
            inst_dispatch(&in, 1, &r4, &env);
            inst_dispatch(&in, 1, &r2, &env); /* evicts blocks 4 and 3 */
            in.b[1].inflight = 9;
            CHECK_INT_EQ(inst_pick(&in, &rh, &env, NULL), 1);
            CHECK_INT_EQ(inst_pick(&in, &r4, &env, NULL), 1); /* 2 of 4 still match */
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }
}

/* The index against a naive model: per-backend LRU arrays, small
 * capacity, a small alphabet of blocks so keys are shared, evicted and
 * recycled.  The picked backend must have the model's longest match. */
#define M_N   6u
#define M_CAP 5u
struct lru_model {
    uint64_t h[M_N][M_CAP];
    uint32_t len[M_N];
};

static void model_touch(struct lru_model *m, uint32_t b, uint64_t h)
{
    uint32_t at = m->len[b];
    for (uint32_t k = 0; k < m->len[b]; k++)
        if (m->h[b][k] == h)
            at = k;
    if (at == m->len[b]) { /* new: drop the LRU one if full */
        if (m->len[b] == M_CAP)
            at = M_CAP - 1;
        else
            m->len[b]++;
    }
    for (uint32_t k = at; k > 0; k--)
        m->h[b][k] = m->h[b][k - 1];
    m->h[b][0] = h;
}

static uint32_t model_match(const struct lru_model *m, uint32_t b, const uint64_t *blk, uint32_t nb)
{
    uint32_t j = 0;
    for (; j < nb; j++) {
        bool found = false;
        for (uint32_t k = 0; k < m->len[b]; k++)
            found = found || m->h[b][k] == blk[j];
        if (!found)
            break;
    }
    return j;
}

static void test_index_model(void)
{
    static const char *const pa_n[] = {"lru_blocks"};
    static const char *const ws_n[] = {"w_queue", "w_kv", "w_prefix", "lru_blocks"};
    double pa_v[] = {M_CAP}, ws_v[] = {0, 0, 1, M_CAP};
    for (uint32_t s = 0; s < 2; s++) {
        struct inst in;
        struct lru_model model;
        struct sm64 g = {21 + s}, rg = {22};
        struct route_env env = make_env(&rg);
        uint32_t bad = 0, matched = 0;
        int rc = s == 0 ? inst_open(&in, "prefix_affinity", M_N, pa_n, pa_v, 1)
                        : inst_open(&in, "weighted_scorers", M_N, ws_n, ws_v, 4);
        if (rc != 0) {
            CHECK(0);
            continue;
        }
        memset(&model, 0, sizeof model);
        for (int t = 0; t < 20000; t++) {
            uint64_t blk[4];
            uint32_t nb = 1 + trand(&g, 4), best = 0, b;
            struct route_req q;
            int32_t r;
            for (uint32_t j = 0; j < nb; j++)
                blk[j] = 1 + trand(&g, j == 0 ? 3 : (t & 1) ? 6 : 500);
            q = req_blocks((uint64_t)t + 1, blk, nb);
            for (uint32_t i = 0; i < M_N; i++) {
                uint32_t mm = model_match(&model, i, blk, nb);
                best = mm > best ? mm : best;
            }
            r = inst_pick(&in, &q, &env, NULL);
            if (r < 0 || model_match(&model, (uint32_t)r, blk, nb) != best)
                bad++;
            matched += best > 0;
            /* dispatch to a random backend (churn), mirror it in the model */
            b = trand(&g, M_N);
            inst_dispatch(&in, b, &q, &env);
            in.b[b].inflight = 0;
            for (uint32_t j = nb; j-- > 0;)
                model_touch(&model, b, blk[j]);
        }
        CHECK_INT_EQ(bad, 0);
        CHECK(matched > 10000);
        inst_close(&in);
    }
}

/* ---------------------------------------------------------------------
 * cache_aware_guarded
 * ------------------------------------------------------------------- */

static void test_cache_aware_guarded(void)
{
    struct sm64 rg = {9};
    struct route_env env = make_env(&rg);
    struct inst in;
    uint64_t a[] = {10, 20, 30, 40}, half[] = {10, 20, 31, 41}, low[] = {10, 21, 31, 41};
    struct route_req qa = req_blocks(1, a, 4), qh = req_blocks(2, half, 4),
                     ql = req_blocks(3, low, 4);
    if (inst_open(&in, "cache_aware_guarded", 4, NULL, NULL, 0) != 0) {
        CHECK(0);
        return;
    }
    inst_dispatch(&in, 1, &qa, &env);
    for (uint32_t i = 0; i < 4; i++)
        in.b[i].inflight = 5;
    in.b[1].inflight = 20;
    in.b[3].inflight = 2;
    /* balanced (20 - 2 = 18 <= 32): the best match, 4/4 > 0.5 */
    CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 1);
    /* a 2/4 match is not > 0.5: least loaded */
    CHECK_INT_EQ(inst_pick(&in, &qh, &env, NULL), 3);
    CHECK_INT_EQ(inst_pick(&in, &ql, &env, NULL), 3);
    /* imbalanced: 40 - 2 > 32 and 40 > 1.1 x 2: least loaded despite the match */
    in.b[1].inflight = 40;
    CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 3);
    /* high loads: both guards still apply */
    for (uint32_t i = 0; i < 4; i++)
        in.b[i].inflight = 130;
    in.b[1].inflight = 140;
    in.b[3].inflight = 105; /* 35 > 32 and 140 > 1.1 x 105: imbalanced */
    CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 3);
    in.b[3].inflight = 130; /* 10 <= 32: balanced */
    CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 1);
    inst_close(&in);

    /* relative guard alone: 1000 vs 960 (40 > 32 but 1000 <= 1.1 x 960) */
    if (inst_open(&in, "cache_aware_guarded", 2, NULL, NULL, 0) == 0) {
        inst_dispatch(&in, 0, &qa, &env);
        in.b[0].inflight = 1000;
        in.b[1].inflight = 960;
        CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 0);
        inst_close(&in);
    } else {
        CHECK(0);
    }

    /* compat 1: low match goes to the smallest index ("smallest tree") */
    {
        static const char *const pn[] = {"compat"};
        double pv[] = {1};
        if (inst_open(&in, "cache_aware_guarded", 3, pn, pv, 1) == 0) {
            inst_dispatch(&in, 0, &qa, &env);
            inst_dispatch(&in, 1, &qh, &env);
            in.b[0].inflight = 0;
            in.b[1].inflight = 0;
            in.b[2].inflight = 3; /* busiest, but holds nothing */
            CHECK_INT_EQ(inst_pick(&in, &ql, &env, NULL), 2);
            CHECK_INT_EQ(inst_pick(&in, &qa, &env, NULL), 0);
            inst_close(&in);
        } else {
            CHECK(0);
        }
    }
}

/* ---------------------------------------------------------------------
 * bounded_load_hash
 * ------------------------------------------------------------------- */

static void test_bounded_same_key(void)
{
    struct sm64 rg = {10};
    struct route_env env = make_env(&rg);
    struct inst in;
    uint64_t blk[] = {4242, 1, 2};
    struct route_req q = req_blocks(1, blk, 3);
    int32_t first;
    if (inst_open(&in, "bounded_load_hash", 16, NULL, NULL, 0) != 0) {
        CHECK(0);
        return;
    }
    first = inst_pick(&in, &q, &env, NULL);
    CHECK(first >= 0);
    for (int t = 0; t < 100; t++) {
        q.id = (uint64_t)t + 2;
        q.session = (uint64_t)t; /* blocks win over the session */
        blk[1] = (uint64_t)t;    /* only the first block (prefix_blocks 1) matters */
        CHECK_INT_EQ(inst_pick(&in, &q, &env, NULL), first);
    }
    /* no blocks: the session is the key */
    {
        struct route_req s1 = req_blocks(1, NULL, 0), s2 = req_blocks(2, NULL, 0);
        s1.session = s2.session = 777;
        CHECK_INT_EQ(inst_pick(&in, &s1, &env, NULL), inst_pick(&in, &s2, &env, NULL));
    }
    inst_close(&in);
}

static void test_bounded_bound(void)
{
    static const char *const pn[] = {"balance"};
    struct sm64 g = {11}, rg = {12};
    struct route_env env = make_env(&rg);
    double cs[] = {1.25, 1.0, 2.0};
    for (uint32_t k = 0; k < 3; k++) {
        struct inst in;
        uint64_t blk[] = {31337};
        struct route_req q = req_blocks(1, blk, 1);
        uint32_t bad = 0, n = 10, spread = 0;
        uint64_t ex[ROUTE_EXCLUDE_WORDS(MAXN)] = {0};
        double pv[] = {cs[k]};
        if (inst_open(&in, "bounded_load_hash", n, pn, pv, 1) != 0) {
            CHECK(0);
            continue;
        }
        in.b[7].health = ROUTE_DOWN; /* 9 usable */
        route_exclude_set(ex, 3);    /* 8 */
        for (int t = 0; t < 20000; t++) {
            int64_t total = 0, cap;
            uint32_t usable = 0;
            int32_t r;
            for (uint32_t i = 0; i < n; i++) {
                if (in.b[i].health == ROUTE_HEALTHY && !route_excluded(ex, i)) {
                    usable++;
                    total += in.b[i].inflight;
                }
            }
            r = inst_pick(&in, &q, &env, ex);
            if (r < 0) {
                bad++;
                continue;
            }
            /* after it: inflight_r <= ceil(c x (total + 1) / usable) */
            cap = (int64_t)(cs[k] * (double)(total + 1) / (double)usable);
            if ((double)cap < cs[k] * (double)(total + 1) / (double)usable)
                cap++;
            if (in.b[r].inflight + 1 > cap)
                bad++;
            inst_dispatch(&in, (uint32_t)r, &q, &env);
            /* random completions keep the load moving between 0 and ~100 */
            while (trand(&g, 100) < (total > 100 ? 70u : 40u)) {
                uint32_t i = trand(&g, n);
                if (in.b[i].inflight > 0)
                    inst_complete(&in, i, &q, &env);
            }
        }
        CHECK_INT_EQ(bad, 0);
        for (uint32_t i = 0; i < n; i++)
            spread += in.b[i].dispatched > 0;
        CHECK(spread >= 2); /* the hot key overflows its first backend */
        if (cs[k] == 1.0)
            CHECK_INT_EQ(spread, 8); /* c = 1: every usable backend takes its share */
        CHECK_INT_EQ(in.b[7].dispatched + in.b[3].dispatched, 0);
        inst_close(&in);
    }
}

static void test_bounded_remap(void)
{
    struct sm64 rg = {13};
    struct route_env env = make_env(&rg);
    struct inst in;
    enum { KEYS = 20000, N = 16 };
    static int32_t before[KEYS];
    uint32_t moved = 0, wrong = 0, on_down = 0, per[N] = {0};
    if (inst_open(&in, "bounded_load_hash", N, NULL, NULL, 0) != 0) {
        CHECK(0);
        return;
    }
    for (uint32_t k = 0; k < KEYS; k++) {
        struct route_req q = req_blocks(k + 1, NULL, 0);
        q.session = 1000003ull * (k + 1);
        before[k] = inst_pick(&in, &q, &env, NULL);
        if (before[k] >= 0)
            per[before[k]]++;
    }
    /* roughly even spread with 160 points per backend */
    for (uint32_t i = 0; i < N; i++)
        CHECK(per[i] > KEYS / N / 2 && per[i] < KEYS / N * 2);
    in.b[5].health = ROUTE_DOWN;
    for (uint32_t k = 0; k < KEYS; k++) {
        struct route_req q = req_blocks(k + 1, NULL, 0);
        int32_t r;
        q.session = 1000003ull * (k + 1);
        r = inst_pick(&in, &q, &env, NULL);
        if (r == 5)
            wrong++;
        if (r != before[k]) {
            moved++;
            if (before[k] != 5)
                wrong++; /* a key of a healthy backend moved */
        }
        on_down += before[k] == 5;
    }
    CHECK_INT_EQ(wrong, 0);
    CHECK_INT_EQ(moved, on_down);
    CHECK_NEAR((double)moved / KEYS, 1.0 / N, 0.5 / N);
    /* weights scale the share: backend 0 at weight 4 gets ~4/19 */
    in.b[5].health = ROUTE_HEALTHY;
    in.cfgs[0].weight = 4;
    if (inst_recreate(&in) == 0) {
        uint32_t c0 = 0;
        for (uint32_t k = 0; k < KEYS; k++) {
            struct route_req q = req_blocks(k + 1, NULL, 0);
            q.session = 1000003ull * (k + 1);
            c0 += inst_pick(&in, &q, &env, NULL) == 0;
        }
        CHECK_NEAR((double)c0 / KEYS, 4.0 / 19.0, 0.06);
    } else {
        CHECK(0);
    }
    inst_close(&in);
}

/* ---------------------------------------------------------------------
 * End to end through the router
 * ------------------------------------------------------------------- */

static void test_router_smoke(void)
{
    struct route_backend_cfg cfgs[4];
    char err[256];
    struct sm64 rg = {14};
    struct route_env env = make_env(&rg);
    memset(cfgs, 0, sizeof cfgs);
    for (uint32_t i = 0; i < 4; i++) {
        cfgs[i].name = i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d";
        cfgs[i].weight = 1;
    }
    for (uint32_t s = 0; s < N_MINE; s++) {
        struct route_router *r =
            route_router_create(route_registry_find(MINE[s]), NULL, cfgs, 4, err, sizeof err);
        uint64_t blk[] = {1, 2, 3};
        struct route_req q = req_blocks(1, blk, 3);
        struct route_outcome out;
        int32_t b1, b2;
        CHECK(r != NULL);
        if (r == NULL) {
            fprintf(stderr, "%s: %s\n", MINE[s], err);
            continue;
        }
        memset(&out, 0, sizeof out);
        out.status = ROUTE_OK;
        out.ttft_ns = -1;
        out.retry_after_ns = -1;
        for (uint32_t i = 0; i < 4; i++)
            route_router_set_signals(r, i, 1, 0.5, 0);
        b1 = route_router_pick(r, &q, &env, NULL);
        CHECK(b1 >= 0 && b1 < 4);
        if (b1 < 0)
            b1 = 0;
        route_router_dispatch(r, (uint32_t)b1, &q, &env);
        route_router_complete(r, (uint32_t)b1, &q, &out, &env);
        q.id = 2;
        b2 = route_router_pick(r, &q, &env, NULL);
        CHECK_INT_EQ(b2, b1); /* prefix-aware or hashed: the same backend again */
        route_router_set_health(r, (uint32_t)b1, ROUTE_DOWN);
        b2 = route_router_pick(r, &q, &env, NULL);
        CHECK(b2 >= 0 && b2 != b1);
        route_router_destroy(r);
    }
}

static void test_params_documented(void)
{
    for (uint32_t s = 0; s < N_MINE; s++) {
        const struct route_ops *ops = route_registry_find(MINE[s]);
        char err[256];
        CHECK(ops != NULL);
        if (ops == NULL)
            continue;
        CHECK_INT_EQ(route_ops_check(ops, err, sizeof err), 0);
        CHECK_INT_EQ(ops->min_children, 0);
        CHECK_INT_EQ(ops->max_children, 0);
        CHECK(ops->source != NULL && strlen(ops->source) > 20);
        for (uint32_t k = 0; k < ops->n_params; k++) {
            const struct route_param *p = &ops->params[k];
            CHECK(p->doc != NULL && strlen(p->doc) > 10);
            CHECK(p->def >= p->min && p->def <= p->max);
        }
    }
    /* bad parameter values fail at create with a message */
    {
        const struct route_ops *ops = route_registry_find("weighted_scorers");
        struct route_backend_cfg cfg[2];
        struct route_create_args a;
        double pv[ROUTE_MAX_PARAMS];
        char err[256] = "";
        void *st = NULL;
        memset(cfg, 0, sizeof cfg);
        memset(&a, 0, sizeof a);
        for (uint32_t k = 0; ops != NULL && k < ops->n_params; k++)
            pv[k] = ops->params[k].def;
        pv[route_param_index(ops, "picker")] = 1.5;
        a.params = pv;
        a.n_backends = 2;
        a.cfgs = cfg;
        CHECK(ops->create(&st, &a, err, sizeof err) != 0);
        CHECK_STR_CONTAINS(err, "picker");
        CHECK(st == NULL);
    }
}

int main(void)
{
    test_params_documented();
    test_contract();
    test_determinism();
    test_scorers_alone();
    test_scorers_default_mix();
    test_pickers();
    test_max_score_ties();
    test_prefix_affinity();
    test_index_model();
    test_cache_aware_guarded();
    test_bounded_same_key();
    test_bounded_bound();
    test_bounded_remap();
    test_router_smoke();
    return check_report("test_route_scorers");
}
