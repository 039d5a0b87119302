/*
 * test_route_loop_portkey.c - the Portkey loop (route/loop_portkey.c):
 * exact act sequences for failoverbench's Portkey rows and the tree rules
 * of docs/notes/litellm-replay.md section 2.7.
 *
 * Links route/ alone.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "route_loop.h"

#define S 1000000000LL

static struct route_pk_node leaf(int32_t backend)
{
    struct route_pk_node n;
    memset(&n, 0, sizeof n);
    n.mode = ROUTE_PK_LEAF;
    n.backend = backend;
    n.weight = 1;
    n.default_child = -1;
    return n;
}

static struct route_pk_node inner(enum route_pk_mode m, uint32_t first, uint32_t count)
{
    struct route_pk_node n = leaf(-1);
    n.mode = m;
    n.first_child = first;
    n.n_children = count;
    return n;
}

static void set_retry(struct route_pk_node *n, uint32_t attempts, bool use_ra)
{
    n->retry.set = true;
    n->retry.attempts = attempts;
    n->retry.use_retry_after_header = use_ra;
}

static struct route_loop_failure fail(int http, int64_t ra_ns)
{
    struct route_loop_failure f;
    memset(&f, 0, sizeof f);
    f.http_status = http;
    f.status = http == 429   ? ROUTE_RATE_LIMITED
               : http == 408 ? ROUTE_TIMEOUT
               : http >= 500 ? ROUTE_SERVER_ERROR
                             : ROUTE_CLIENT_ERROR;
    f.retry_after_ns = ra_ns;
    f.backend = -1;
    return f;
}

static struct route_req req0(void)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.model_group = 3;
    return q;
}

static struct route_pk_tree tree_of(const struct route_pk_node *nodes, uint32_t n)
{
    struct route_pk_tree t;
    memset(&t, 0, sizeof t);
    t.nodes = nodes;
    t.n_nodes = n;
    return t;
}

#define CHECK_ROUTE(a, be, delay, isretry, isfb)                                                   \
    do {                                                                                           \
        CHECK_INT_EQ((a).kind, ROUTE_LOOP_ROUTE);                                                  \
        CHECK_INT_EQ((a).backend, (be));                                                           \
        CHECK_INT_EQ((a).delay_ns, (delay));                                                       \
        CHECK_INT_EQ((a).retry, (isretry));                                                        \
        CHECK_INT_EQ((a).fallback, (isfb));                                                        \
    } while (0)

#define CHECK_FAIL(a, status, delay)                                                               \
    do {                                                                                           \
        CHECK_INT_EQ((a).kind, ROUTE_LOOP_FAIL);                                                   \
        CHECK_INT_EQ((a).http_status, (status));                                                   \
        CHECK_INT_EQ((a).delay_ns, (delay));                                                       \
    } while (0)

/* failoverbench S02 (Portkey row): persistent 429 without Retry-After,
 * retry attempts 2 on a fallback of two targets: the primary at 0, 1, 3 s,
 * the fallback at 3 s (litellm-replay.md section 2.7). */
static void test_persistent_429_then_fallback(void)
{
    struct route_pk_node n[3] = {inner(ROUTE_PK_FALLBACK, 1, 2), leaf(0), leaf(1)};
    set_retry(&n[0], 2, false);
    struct route_pk_tree t = tree_of(n, 3);
    char err[128];
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), 0);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure f = fail(429, -1);
    int64_t now = 0;
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 0, 0, false, false);
    CHECK_INT_EQ(a.group, 3);
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_ROUTE(a, 0, 1 * S, true, false);
    now += a.delay_ns;
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_ROUTE(a, 0, 2 * S, true, false);
    now += a.delay_ns;
    CHECK_INT_EQ(now, 3 * S);
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, true); /* the fallback at 3 s */
    /* the fallback target inherits the root's retries */
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_ROUTE(a, 1, 1 * S, true, false);
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_ROUTE(a, 1, 2 * S, true, false);
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_FAIL(a, 429, 0);
    CHECK(sizeof(struct route_pk_req) < 256);
}

/* 429 with Retry-After 2 s and use_retry_after_header: the wait replaces
 * the backoff and zeroes the later ones; on the last attempt the wait
 * still happens before the leaf gives up. */
static void test_retry_after(void)
{
    struct route_pk_node n[3] = {inner(ROUTE_PK_FALLBACK, 1, 2), leaf(0), leaf(1)};
    set_retry(&n[0], 2, true);
    struct route_pk_tree t = tree_of(n, 3);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure ra2 = fail(429, 2 * S), plain = fail(429, -1);
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &ra2, &q, 0.5);
    CHECK_ROUTE(a, 0, 2 * S, true, false);
    /* a later 429 without the header: backoff zeroed */
    a = route_pk_failed(&t, &st, &plain, &q, 0.5);
    CHECK_ROUTE(a, 0, 0, true, false);
    /* last attempt with Retry-After: wait 2 s, then the fallback */
    a = route_pk_failed(&t, &st, &ra2, &q, 0.5);
    CHECK_ROUTE(a, 1, 2 * S, false, true);
    CHECK_INT_EQ(st.retry_after_waited_ns, 0); /* a new leaf, a new budget */

    /* without use_retry_after_header the header is ignored: 1, 2 s */
    set_retry(&n[0], 2, false);
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &ra2, &q, 0.5);
    CHECK_ROUTE(a, 0, 1 * S, true, false);
    a = route_pk_failed(&t, &st, &ra2, &q, 0.5);
    CHECK_ROUTE(a, 0, 2 * S, true, false);
}

/* The 60 s budget: 30 s, 30 s, then a third 30 s exceeds what is left,
 * so the leaf's retries stop at once (no wait); a single 60 s value
 * stops them too. */
static void test_retry_after_budget(void)
{
    struct route_pk_node n[1] = {leaf(0)};
    set_retry(&n[0], 5, true);
    struct route_pk_tree t = tree_of(n, 1);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure ra30 = fail(429, 30 * S), ra60 = fail(429, 60 * S);
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 0, 0, false, false);
    a = route_pk_failed(&t, &st, &ra30, &q, 0.5);
    CHECK_ROUTE(a, 0, 30 * S, true, false);
    a = route_pk_failed(&t, &st, &ra30, &q, 0.5);
    CHECK_ROUTE(a, 0, 30 * S, true, false);
    a = route_pk_failed(&t, &st, &ra30, &q, 0.5);
    CHECK_FAIL(a, 429, 0);

    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &ra60, &q, 0.5);
    CHECK_FAIL(a, 429, 0);
    /* 59 s is honoured */
    struct route_loop_failure ra59 = fail(429, 59 * S);
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &ra59, &q, 0.5);
    CHECK_ROUTE(a, 0, 59 * S, true, false);
}

/* 500 once then success: one retry after 1 s on the same target; a 400
 * is not retried and moves to the fallback at once. */
static void test_500_once_and_not_retried(void)
{
    struct route_pk_node n[3] = {inner(ROUTE_PK_FALLBACK, 1, 2), leaf(0), leaf(1)};
    set_retry(&n[0], 3, false);
    struct route_pk_tree t = tree_of(n, 3);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure f500 = fail(500, -1), f400 = fail(400, -1), f408 = fail(408, -1);
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f500, &q, 0.5);
    CHECK_ROUTE(a, 0, 1 * S, true, false);
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f400, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, true);
    /* a Portkey timeout (408) is not among the default retry codes */
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f408, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, true);
    /* attempts 0: no retry codes at all */
    set_retry(&n[0], 0, false);
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f500, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, true);
    a = route_pk_failed(&t, &st, &f500, &q, 0.5);
    CHECK_FAIL(a, 500, 0);
    /* explicit retry codes replace the default list */
    set_retry(&n[0], 1, false);
    n[0].retry.on_status_codes.set = true;
    n[0].retry.on_status_codes.n = 1;
    n[0].retry.on_status_codes.code[0] = 503;
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f500, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, true);
}

/* strategy.on_status_codes [429]: a 500 stops the fallback; a 429 moves. */
static void test_on_status_codes(void)
{
    struct route_pk_node n[4] = {inner(ROUTE_PK_FALLBACK, 1, 3), leaf(0), leaf(1), leaf(2)};
    n[0].on_status_codes.set = true;
    n[0].on_status_codes.n = 1;
    n[0].on_status_codes.code[0] = 429;
    struct route_pk_tree t = tree_of(n, 4);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure f500 = fail(500, -1), f429 = fail(429, -1);
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f429, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, true);
    a = route_pk_failed(&t, &st, &f500, &q, 0.5);
    CHECK_FAIL(a, 500, 0);
    /* the last target's status is the final one */
    a = route_pk_start(&t, &st, &q, 0.5);
    a = route_pk_failed(&t, &st, &f429, &q, 0.5);
    a = route_pk_failed(&t, &st, &f429, &q, 0.5);
    CHECK_ROUTE(a, 2, 0, false, true);
    a = route_pk_failed(&t, &st, &f429, &q, 0.5);
    CHECK_FAIL(a, 429, 0);
}

/* loadbalance: weights 1 and 3 over u in [0, 1): u < 0.25 the first; a
 * failure does not fail over to the sibling.  Under a fallback, the
 * failure climbs to the fallback's next target; a nested loadbalance
 * reuses the draw, rescaled. */
static void test_loadbalance(void)
{
    struct route_pk_node n[3] = {inner(ROUTE_PK_LOADBALANCE, 1, 2), leaf(0), leaf(1)};
    n[2].weight = 3;
    struct route_pk_tree t = tree_of(n, 3);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure f = fail(503, -1);
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.24);
    CHECK_ROUTE(a, 0, 0, false, false);
    a = route_pk_failed(&t, &st, &f, &q, 0.9);
    CHECK_FAIL(a, 503, 0);
    a = route_pk_start(&t, &st, &q, 0.25);
    CHECK_ROUTE(a, 1, 0, false, false);
    a = route_pk_start(&t, &st, &q, 0.999999);
    CHECK_ROUTE(a, 1, 0, false, false);
    /* weight 0 = never */
    n[1].weight = 0;
    a = route_pk_start(&t, &st, &q, 0.0);
    CHECK_ROUTE(a, 1, 0, false, false);
    char err[128];
    n[2].weight = 0;
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "weights are all 0");

    /* fallback[ loadbalance[a, b], loadbalance[c, d] ]: u = 0.75 picks b
     * (r = 1.5 of 2), then the rescaled 0.5 picks d in the second. */
    struct route_pk_node m[7] = {inner(ROUTE_PK_FALLBACK, 1, 2),
                                 inner(ROUTE_PK_LOADBALANCE, 3, 2),
                                 inner(ROUTE_PK_LOADBALANCE, 5, 2),
                                 leaf(0),
                                 leaf(1),
                                 leaf(2),
                                 leaf(3)};
    struct route_pk_tree t2 = tree_of(m, 7);
    CHECK_INT_EQ(route_pk_check(&t2, 4, err, sizeof err), 0);
    a = route_pk_start(&t2, &st, &q, 0.75);
    CHECK_ROUTE(a, 1, 0, false, false);
    a = route_pk_failed(&t2, &st, &f, &q, 0.75);
    CHECK_ROUTE(a, 3, 0, false, true);
    a = route_pk_failed(&t2, &st, &f, &q, 0.1);
    CHECK_FAIL(a, 503, 0);
}

/* conditional: metadata.tenant $eq 7 -> target 1; {$or: [{region $in [2,
 * 4]}, {priority $gte 5}]} -> target 2; else default target 0; no match
 * without default is a RouterError. */
static void test_conditional(void)
{
    struct route_pk_node n[4] = {inner(ROUTE_PK_CONDITIONAL, 1, 3), leaf(0), leaf(1), leaf(2)};
    struct route_pk_expr x[7];
    memset(x, 0, sizeof x);
    /* cond 0: ALL{ tenant EQ 7 } */
    x[0] = (struct route_pk_expr){.op = ROUTE_PK_Q_ALL, .first = 1, .count = 1};
    x[1] = (struct route_pk_expr){.op = ROUTE_PK_Q_EQ, .field = ROUTE_PK_F_TENANT, .value = 7};
    /* cond 1: ALL{ $or[ ALL{region IN}, ALL{priority GTE 5} ] } */
    x[2] = (struct route_pk_expr){.op = ROUTE_PK_Q_ALL, .first = 3, .count = 1};
    x[3] = (struct route_pk_expr){.op = ROUTE_PK_Q_OR, .answers = true, .first = 4, .count = 2};
    x[4] = (struct route_pk_expr){
        .op = ROUTE_PK_Q_IN, .field = ROUTE_PK_F_REGION, .first = 0, .count = 2};
    x[5] = (struct route_pk_expr){.op = ROUTE_PK_Q_GTE, .field = ROUTE_PK_F_PRIORITY, .value = 5};
    x[6] = (struct route_pk_expr){.op = ROUTE_PK_Q_ALL};
    double vals[2] = {2, 4};
    struct route_pk_cond c[2] = {{.expr = 0, .then = 1}, {.expr = 2, .then = 2}};
    n[0].first_cond = 0;
    n[0].n_conds = 2;
    n[0].default_child = 0;
    struct route_pk_tree t = tree_of(n, 4);
    t.exprs = x;
    t.n_exprs = 7;
    t.vals = vals;
    t.n_vals = 2;
    t.conds = c;
    t.n_conds = 2;
    char err[128];
    CHECK_INT_EQ(route_pk_check(&t, 3, err, sizeof err), 0);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 0, 0, false, false); /* default */
    q.tenant = 7;
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 1, 0, false, false);
    q.tenant = 8;
    q.region = 4;
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 2, 0, false, false);
    q.region = 3;
    q.priority = 5;
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 2, 0, false, false);
    /* a conditional does not fail over either */
    struct route_loop_failure f = fail(500, -1);
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_FAIL(a, 500, 0);
    n[0].default_child = -1;
    q.priority = 1;
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_FAIL(a, ROUTE_PK_ROUTER_ERROR_STATUS, 0);
    /* evaluateQuery's order: {$or: [...], tenant: 99} is decided by the
     * $or alone; {tenant: 99, $or: [...]} fails at the tenant first. */
    struct route_pk_expr y[5] = {
        {.op = ROUTE_PK_Q_ALL, .first = 1, .count = 2},
        {.op = ROUTE_PK_Q_OR, .answers = true, .first = 3, .count = 1},
        {.op = ROUTE_PK_Q_EQ, .field = ROUTE_PK_F_TENANT, .value = 99},
        {.op = ROUTE_PK_Q_GTE, .field = ROUTE_PK_F_PRIORITY, .value = 5},
        {.op = ROUTE_PK_Q_ALL},
    };
    struct route_pk_cond c1 = {.expr = 0, .then = 2};
    t.exprs = y;
    t.n_exprs = 5;
    t.conds = &c1;
    t.n_conds = 1;
    n[0].n_conds = 1;
    n[0].default_child = 0;
    CHECK_INT_EQ(route_pk_check(&t, 3, err, sizeof err), 0);
    q.tenant = 8;
    q.priority = 6;
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 2, 0, false, false);
    y[1] = (struct route_pk_expr){.op = ROUTE_PK_Q_EQ, .field = ROUTE_PK_F_TENANT, .value = 99};
    y[2] = (struct route_pk_expr){.op = ROUTE_PK_Q_OR, .answers = true, .first = 3, .count = 1};
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 0, 0, false, false);
}

/* Inheritance: root retry {attempts 1}, request_timeout 5 s; leaf 1 sets
 * retry {attempts 0} and request_timeout 2 s: the child wins. */
static void test_inheritance(void)
{
    struct route_pk_node n[4] = {inner(ROUTE_PK_FALLBACK, 1, 2), inner(ROUTE_PK_SINGLE, 3, 1),
                                 leaf(1), leaf(0)};
    set_retry(&n[0], 1, false);
    n[0].request_timeout_ns = 5 * S;
    set_retry(&n[2], 0, false);
    n[2].request_timeout_ns = 2 * S;
    struct route_pk_tree t = tree_of(n, 4);
    char err[128];
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), 0);
    struct route_pk_req st;
    struct route_req q = req0();
    struct route_loop_failure f = fail(502, -1), to = fail(408, -1);
    struct route_loop_act a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_ROUTE(a, 0, 0, false, false); /* through the single node */
    CHECK_INT_EQ(a.timeout_ns, 5 * S);
    a = route_pk_failed(&t, &st, &f, &q, 0.5);
    CHECK_ROUTE(a, 0, 1 * S, true, false);
    CHECK_INT_EQ(a.timeout_ns, 5 * S);
    a = route_pk_failed(&t, &st, &to, &q, 0.5); /* a timeout: not retried */
    CHECK_ROUTE(a, 1, 0, false, true);
    CHECK_INT_EQ(a.timeout_ns, 2 * S);
    a = route_pk_failed(&t, &st, &f, &q, 0.5); /* attempts 0 on this leaf */
    CHECK_FAIL(a, 502, 0);
    /* no timeout anywhere: 0 */
    n[0].request_timeout_ns = 0;
    a = route_pk_start(&t, &st, &q, 0.5);
    CHECK_INT_EQ(a.timeout_ns, 0);
}

static void test_check(void)
{
    char err[128];
    struct route_pk_node n[2] = {inner(ROUTE_PK_SINGLE, 1, 1), leaf(5)};
    struct route_pk_tree t = tree_of(n, 2);
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "backend 5 out of range");
    n[1].backend = 1;
    set_retry(&n[1], 6, false);
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "at most 5");
    n[1].retry.attempts = 5;
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), 0);
    n[0].first_child = 0;
    CHECK_INT_EQ(route_pk_check(&t, 2, err, sizeof err), -1);
    CHECK_STR_CONTAINS(err, "children out of range");
}

int main(void)
{
    test_persistent_429_then_fallback();
    test_retry_after();
    test_retry_after_budget();
    test_500_once_and_not_retried();
    test_on_status_codes();
    test_loadbalance();
    test_conditional();
    test_inheritance();
    test_check();
    return check_report("test_route_loop_portkey");
}
