/*
 * loop_portkey.c - the Portkey gateway's request loop as a state machine
 * (route_pk_*, route_loop.h).
 *
 * Reproduces, from docs/notes/litellm-replay.md section 2.7 and
 * docs/notes/routers.md section 2.2 (Portkey-AI/gateway OSS, the version
 * ROUTE_PK_EMULATED names):
 *  - tryTargetsRecursively (P:src/handlers/handlerUtils.ts:476-790): a
 *    request descends the tree to one leaf; `single` takes targets[0],
 *    `loadbalance` one child by weight (r = random * sum(w), the first child
 *    with r < w, else r -= w), `conditional` the first condition that
 *    matches, else `default`; the leaf's response climbs back and only a
 *    `fallback` node tries its next child, while the status is in its
 *    on_status_codes (unset: while the response is not ok);
 *  - retryRequest (P:src/handlers/retryHandler.ts:65-181): per leaf,
 *    `attempts` retries on the same target with async-retry's backoff
 *    (minTimeout 1 s, factor 2, no randomization: 1, 2, 4... s, no sleep
 *    after the last attempt); a status outside the retry codes ends the
 *    leaf at once; a 429 with use_retry_after_header waits Retry-After
 *    inside the attempt and zeroes every later backoff, unless the value is
 *    >= 60 s or above what is left of the leaf's 60 s budget, which ends
 *    the leaf's retries without waiting;
 *  - inheritance (handlerUtils.ts:490-644): retry and request_timeout come
 *    from the nearest node on the path that sets them, the child winning.
 */
#include <stdio.h>
#include <string.h>

#include "route_loop.h"

/* Retried statuses when a node sets `retry.attempts` > 0 but no codes:
 * RETRY_STATUS_CODES (P:src/globals.ts:38,
 * P:src/handlers/services/requestContext.ts:148-156; section 2.7). */
static const int pk_default_retry_codes[] = {429, 500, 502, 503, 504};

static bool codes_has(const struct route_pk_codes *c, int status)
{
    for (uint16_t i = 0; i < c->n; i++)
        if (c->code[i] == status)
            return true;
    return false;
}

/* ---------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------- */

static int check_expr(const struct route_pk_tree *t, uint32_t e, uint32_t depth, char *err,
                      size_t errlen)
{
    if (e >= t->n_exprs) {
        snprintf(err, errlen, "condition expression %u out of range (%u)", e, t->n_exprs);
        return -1;
    }
    if (depth > 64) {
        snprintf(err, errlen, "condition nested deeper than 64");
        return -1;
    }
    const struct route_pk_expr *x = &t->exprs[e];
    switch ((enum route_pk_op)x->op) {
    case ROUTE_PK_Q_ALL:
    case ROUTE_PK_Q_AND:
    case ROUTE_PK_Q_OR:
        if ((uint64_t)x->first + x->count > t->n_exprs || (x->count > 0 && x->first <= e)) {
            snprintf(err, errlen, "condition expression %u: children out of range", e);
            return -1;
        }
        for (uint32_t i = 0; i < x->count; i++)
            if (check_expr(t, x->first + i, depth + 1, err, errlen))
                return -1;
        return 0;
    case ROUTE_PK_Q_IN:
    case ROUTE_PK_Q_NIN:
        if ((uint64_t)x->first + x->count > t->n_vals) {
            snprintf(err, errlen, "condition expression %u: values out of range", e);
            return -1;
        }
        /* fall through */
    case ROUTE_PK_Q_EQ:
    case ROUTE_PK_Q_NE:
    case ROUTE_PK_Q_GT:
    case ROUTE_PK_Q_GTE:
    case ROUTE_PK_Q_LT:
    case ROUTE_PK_Q_LTE:
        if (x->field > ROUTE_PK_F_MODEL_GROUP) {
            snprintf(err, errlen, "condition expression %u: unknown field %u", e, x->field);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "condition expression %u: unknown operator %u", e, x->op);
    return -1;
}

static int check_node(const struct route_pk_tree *t, uint32_t i, uint32_t depth,
                      uint32_t n_backends, char *err, size_t errlen)
{
    const struct route_pk_node *n = &t->nodes[i];
    if (depth > ROUTE_PK_MAX_DEPTH) {
        snprintf(err, errlen, "tree deeper than %d levels", ROUTE_PK_MAX_DEPTH);
        return -1;
    }
    if (!(n->weight >= 0)) {
        snprintf(err, errlen, "node %u: weight %g, expected >= 0", i, n->weight);
        return -1;
    }
    if (n->retry.set && n->retry.attempts > ROUTE_PK_MAX_ATTEMPTS) {
        snprintf(err, errlen, "node %u: retry attempts %u, expected at most %d", i,
                 n->retry.attempts, ROUTE_PK_MAX_ATTEMPTS);
        return -1;
    }
    if (n->request_timeout_ns < 0) {
        snprintf(err, errlen, "node %u: negative request_timeout", i);
        return -1;
    }
    if (n->mode == ROUTE_PK_LEAF) {
        if (n->backend < 0 || (uint32_t)n->backend >= n_backends) {
            snprintf(err, errlen, "node %u: backend %d out of range (%u backends)", i, n->backend,
                     n_backends);
            return -1;
        }
        return 0;
    }
    if (n->mode > ROUTE_PK_CONDITIONAL) {
        snprintf(err, errlen, "node %u: unknown mode %d", i, (int)n->mode);
        return -1;
    }
    if (n->n_children == 0 || n->first_child <= i ||
        (uint64_t)n->first_child + n->n_children > t->n_nodes) {
        snprintf(err, errlen, "node %u: children out of range", i);
        return -1;
    }
    if (n->mode == ROUTE_PK_LOADBALANCE) {
        double sum = 0;
        for (uint32_t k = 0; k < n->n_children; k++)
            sum += t->nodes[n->first_child + k].weight;
        if (!(sum > 0)) {
            snprintf(err, errlen, "node %u: loadbalance over targets whose weights are all 0", i);
            return -1;
        }
    }
    if (n->mode == ROUTE_PK_CONDITIONAL) {
        if ((uint64_t)n->first_cond + n->n_conds > t->n_conds) {
            snprintf(err, errlen, "node %u: conditions out of range", i);
            return -1;
        }
        if (n->default_child >= (int32_t)n->n_children) {
            snprintf(err, errlen, "node %u: default target out of range", i);
            return -1;
        }
        for (uint32_t k = 0; k < n->n_conds; k++) {
            const struct route_pk_cond *c = &t->conds[n->first_cond + k];
            if (c->then >= n->n_children) {
                snprintf(err, errlen, "node %u: condition %u names a target out of range", i, k);
                return -1;
            }
            if (check_expr(t, c->expr, 0, err, errlen))
                return -1;
        }
    }
    for (uint32_t k = 0; k < n->n_children; k++)
        if (check_node(t, n->first_child + k, depth + 1, n_backends, err, errlen))
            return -1;
    return 0;
}

int route_pk_check(const struct route_pk_tree *t, uint32_t n_backends, char *err, size_t errlen)
{
    if (t == NULL || t->nodes == NULL || t->n_nodes == 0) {
        snprintf(err, errlen, "empty Portkey tree");
        return -1;
    }
    if (t->n_nodes > ROUTE_PK_MAX_NODES) {
        snprintf(err, errlen, "%u nodes, expected at most %d", t->n_nodes, ROUTE_PK_MAX_NODES);
        return -1;
    }
    return check_node(t, 0, 1, n_backends, err, errlen);
}

/* ---------------------------------------------------------------------
 * Conditions (P:src/services/conditionalRouter.ts:17-58)
 * ------------------------------------------------------------------- */

static double field_of(const struct route_req *q, uint8_t f)
{
    switch ((enum route_pk_field)f) {
    case ROUTE_PK_F_TENANT:
        return q->tenant;
    case ROUTE_PK_F_TASK:
        return q->task;
    case ROUTE_PK_F_REGION:
        return q->region;
    case ROUTE_PK_F_PRIORITY:
        return q->priority;
    case ROUTE_PK_F_MODEL_GROUP:
        return q->model_group;
    }
    return -1;
}

static bool eval(const struct route_pk_tree *t, uint32_t e, const struct route_req *q)
{
    const struct route_pk_expr *x = &t->exprs[e];
    double v = field_of(q, x->field);
    switch ((enum route_pk_op)x->op) {
    case ROUTE_PK_Q_ALL:
        /* evaluateQuery: entries in order; $and/$or answer for the whole
         * query, any other entry that fails makes it false. */
        for (uint32_t i = 0; i < x->count; i++) {
            bool r = eval(t, x->first + i, q);
            if (t->exprs[x->first + i].answers)
                return r;
            if (!r)
                return false;
        }
        return true;
    case ROUTE_PK_Q_AND:
        for (uint32_t i = 0; i < x->count; i++)
            if (!eval(t, x->first + i, q))
                return false;
        return true;
    case ROUTE_PK_Q_OR:
        for (uint32_t i = 0; i < x->count; i++)
            if (eval(t, x->first + i, q))
                return true;
        return false;
    case ROUTE_PK_Q_EQ:
        return v == x->value;
    case ROUTE_PK_Q_NE:
        return v != x->value;
    case ROUTE_PK_Q_GT:
        return v > x->value;
    case ROUTE_PK_Q_GTE:
        return v >= x->value;
    case ROUTE_PK_Q_LT:
        return v < x->value;
    case ROUTE_PK_Q_LTE:
        return v <= x->value;
    case ROUTE_PK_Q_IN:
    case ROUTE_PK_Q_NIN: {
        bool in = false;
        for (uint32_t i = 0; i < x->count && !in; i++)
            in = t->vals[x->first + i] == v;
        return x->op == ROUTE_PK_Q_IN ? in : !in;
    }
    }
    return false;
}

/* ---------------------------------------------------------------------
 * The walk
 * ------------------------------------------------------------------- */

static struct route_loop_act act_fail(int status, int64_t delay_ns)
{
    struct route_loop_act a;
    memset(&a, 0, sizeof a);
    a.kind = ROUTE_LOOP_FAIL;
    a.backend = -1;
    a.http_status = status;
    a.delay_ns = delay_ns;
    return a;
}

/* The retry settings in force at the leaf: the nearest node on the path
 * (leaf first) that sets `retry`. */
static const struct route_pk_retry *retry_in_force(const struct route_pk_tree *t,
                                                   const struct route_pk_req *st)
{
    for (int d = (int)st->depth - 1; d >= 0; d--)
        if (t->nodes[st->path[d]].retry.set)
            return &t->nodes[st->path[d]].retry;
    return NULL;
}

static int64_t timeout_in_force(const struct route_pk_tree *t, const struct route_pk_req *st)
{
    for (int d = (int)st->depth - 1; d >= 0; d--)
        if (t->nodes[st->path[d]].request_timeout_ns > 0)
            return t->nodes[st->path[d]].request_timeout_ns;
    return 0;
}

static bool retry_code(const struct route_pk_retry *r, int status)
{
    if (r == NULL)
        return false;
    if (r->on_status_codes.set)
        return codes_has(&r->on_status_codes, status);
    if (r->attempts == 0)
        return false;
    for (size_t i = 0; i < sizeof pk_default_retry_codes / sizeof *pk_default_retry_codes; i++)
        if (pk_default_retry_codes[i] == status)
            return true;
    return false;
}

/* The act that sends the next attempt to the current leaf. */
static struct route_loop_act act_leaf(const struct route_pk_tree *t, const struct route_pk_req *st,
                                      const struct route_req *req, int64_t delay_ns, bool retry,
                                      bool fallback)
{
    struct route_loop_act a;
    memset(&a, 0, sizeof a);
    a.kind = ROUTE_LOOP_ROUTE;
    a.delay_ns = delay_ns;
    a.group = req->model_group;
    a.backend = t->nodes[st->path[st->depth - 1]].backend;
    a.retry = retry;
    a.fallback = fallback;
    a.timeout_ns = timeout_in_force(t, st);
    return a;
}

/* From the node at the end of the path down to a leaf.  0, or -1 when a
 * conditional node resolves to nothing (a RouterError). */
static int descend(const struct route_pk_tree *t, struct route_pk_req *st,
                   const struct route_req *req, double u)
{
    for (;;) {
        const struct route_pk_node *n = &t->nodes[st->path[st->depth - 1]];
        uint32_t pos = 0;
        switch (n->mode) {
        case ROUTE_PK_LEAF:
            st->attempts = 0;
            st->zero_backoff = false;
            st->retry_after_waited_ns = 0;
            return 0;
        case ROUTE_PK_SINGLE:
        case ROUTE_PK_FALLBACK:
            pos = 0;
            break;
        case ROUTE_PK_LOADBALANCE: {
            double sum = 0;
            for (uint32_t k = 0; k < n->n_children; k++)
                sum += t->nodes[n->first_child + k].weight;
            double r = u * sum;
            uint32_t last = 0;
            bool found = false;
            for (uint32_t k = 0; k < n->n_children; k++) {
                double w = t->nodes[n->first_child + k].weight;
                if (w > 0)
                    last = k;
                if (r < w) {
                    pos = k;
                    u = r / w; /* the same draw, uniform again for the level below */
                    found = true;
                    break;
                }
                r -= w;
            }
            if (!found) { /* rounding at the top end */
                pos = last;
                u = 0;
            }
            break;
        }
        case ROUTE_PK_CONDITIONAL: {
            int32_t pick = -1;
            for (uint32_t k = 0; k < n->n_conds && pick < 0; k++) {
                const struct route_pk_cond *c = &t->conds[n->first_cond + k];
                if (eval(t, c->expr, req))
                    pick = (int32_t)c->then;
            }
            if (pick < 0)
                pick = n->default_child;
            if (pick < 0)
                return -1;
            pos = (uint32_t)pick;
            break;
        }
        }
        if (st->depth >= ROUTE_PK_MAX_DEPTH)
            return -1; /* route_pk_check refuses such trees */
        st->path[st->depth++] = (uint16_t)(n->first_child + pos);
    }
}

struct route_loop_act route_pk_start(const struct route_pk_tree *t, struct route_pk_req *st,
                                     const struct route_req *req, double u01)
{
    memset(st, 0, sizeof *st);
    st->path[0] = 0;
    st->depth = 1;
    if (descend(t, st, req, u01) != 0)
        return act_fail(ROUTE_PK_ROUTER_ERROR_STATUS, 0);
    st->attempts = 1;
    return act_leaf(t, st, req, 0, false, false);
}

/* The leaf gave `status` up after `delay_ns`: climb to the nearest
 * fallback ancestor that moves on, and descend into its next child. */
static struct route_loop_act climb(const struct route_pk_tree *t, struct route_pk_req *st,
                                   int status, int64_t delay_ns, const struct route_req *req,
                                   double u01)
{
    while (st->depth > 1) {
        uint16_t child = st->path[st->depth - 1];
        st->depth--;
        const struct route_pk_node *p = &t->nodes[st->path[st->depth - 1]];
        if (p->mode != ROUTE_PK_FALLBACK)
            continue; /* single / loadbalance / conditional hand the response up */
        /* handlerUtils.ts:663-691: stop when on_status_codes is set and
         * lacks the status (unset: any failure moves on). */
        if (p->on_status_codes.set && !codes_has(&p->on_status_codes, status))
            continue;
        if ((uint32_t)child + 1 >= p->first_child + p->n_children)
            continue; /* targets exhausted: this node answers the last response */
        st->path[st->depth++] = (uint16_t)(child + 1);
        if (descend(t, st, req, u01) != 0)
            return act_fail(ROUTE_PK_ROUTER_ERROR_STATUS, delay_ns);
        st->attempts = 1;
        return act_leaf(t, st, req, delay_ns, false, true);
    }
    return act_fail(status, delay_ns);
}

struct route_loop_act route_pk_failed(const struct route_pk_tree *t, struct route_pk_req *st,
                                      const struct route_loop_failure *f,
                                      const struct route_req *req, double u01)
{
    const struct route_pk_retry *r = retry_in_force(t, st);
    uint32_t attempts = r ? r->attempts : 0;
    int status = f->http_status;
    bool last = st->attempts >= attempts + 1;
    if (!retry_code(r, status))
        return climb(t, st, status, 0, req, u01); /* bail: not a retried status */
    if (status == 429 && r->use_retry_after_header && f->retry_after_ns > 0) {
        int64_t ra = f->retry_after_ns;
        int64_t left = ROUTE_PK_RETRY_AFTER_BUDGET_NS - st->retry_after_waited_ns;
        if (ra >= ROUTE_PK_RETRY_AFTER_BUDGET_NS || ra > left)
            return climb(t, st, status, 0, req, u01); /* retries skipped, no wait */
        st->retry_after_waited_ns += ra;
        st->zero_backoff = true;
        if (last) /* the wait happens inside the attempt, then the leaf bails */
            return climb(t, st, status, ra, req, u01);
        st->attempts++;
        return act_leaf(t, st, req, ra, true, false);
    }
    if (last)
        return climb(t, st, status, 0, req, u01);
    /* async-retry: minTimeout * factor^(retry index), index 0 first */
    int64_t delay = st->zero_backoff ? 0 : ROUTE_PK_BACKOFF_MIN_NS << (st->attempts - 1);
    st->attempts++;
    return act_leaf(t, st, req, delay, true, false);
}
