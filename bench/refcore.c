/*
 * refcore.c - the reference M/M/c core of refcore.h.
 *
 * Written for this benchmark from the set-up of docs/notes/performance.md
 * §2 (4-ary heap of 32-byte records, branch-free 128-bit compare,
 * xoshiro256**, inlined exponential); it deliberately does not share code
 * with base/ so that a change there cannot move the yardstick.
 */
#include "refcore.h"

#include <math.h>
#include <stdlib.h>

enum { REFCORE_ARRIVAL = 0, REFCORE_DEPARTURE = 1 };

struct refcore_ev {
    int64_t t_ns;
    uint64_t seq;
    uint32_t kind;
    uint32_t pad[3]; /* 32-byte records, as lbsim's heap */
};

struct refcore {
    struct refcore_ev *h; /* 4-ary heap */
    uint32_t n, cap;
    uint64_t seq;
    uint64_t s[4]; /* xoshiro256** state */
    int64_t *q;    /* FIFO of arrival times (ring) */
    uint64_t q_head, q_len, q_cap;
};

static inline uint64_t refcore_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t refcore_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t refcore_next(struct refcore *r)
{
    uint64_t *s = r->s;
    const uint64_t result = refcore_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = refcore_rotl(s[3], 45);
    return result;
}

/* Exponential of the given mean in ns, u in (0, 1]. */
static inline int64_t refcore_exp_ns(struct refcore *r, double mean_ns)
{
    double u = ((double)(refcore_next(r) >> 11) + 1.0) * 0x1.0p-53;
    return (int64_t)(-mean_ns * log(u) + 0.5);
}

static inline int refcore_less(const struct refcore_ev *a, const struct refcore_ev *b)
{
    __extension__ typedef unsigned __int128 key;
    key ka = (key)((uint64_t)a->t_ns ^ (UINT64_C(1) << 63)) << 64 | a->seq;
    key kb = (key)((uint64_t)b->t_ns ^ (UINT64_C(1) << 63)) << 64 | b->seq;
    return ka < kb;
}

static int refcore_push(struct refcore *r, int64_t t_ns, uint32_t kind)
{
    if (r->n == r->cap) {
        uint32_t cap = r->cap * 2;
        struct refcore_ev *h = realloc(r->h, (size_t)cap * sizeof *h);
        if (h == NULL)
            return -1;
        r->h = h;
        r->cap = cap;
    }
    struct refcore_ev e = {.t_ns = t_ns, .seq = r->seq++, .kind = kind};
    uint32_t i = r->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!refcore_less(&e, &r->h[p]))
            break;
        r->h[i] = r->h[p];
        i = p;
    }
    r->h[i] = e;
    return 0;
}

static struct refcore_ev refcore_pop(struct refcore *r)
{
    struct refcore_ev top = r->h[0];
    uint32_t n = --r->n;
    if (n == 0)
        return top;
    const struct refcore_ev x = r->h[n];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= n)
            break;
        uint32_t m = c;
        uint32_t end = c + 4 < n ? c + 4 : n;
        for (uint32_t k = c + 1; k < end; k++)
            if (refcore_less(&r->h[k], &r->h[m]))
                m = k;
        if (!refcore_less(&r->h[m], &x))
            break;
        r->h[i] = r->h[m];
        i = m;
    }
    r->h[i] = x;
    return top;
}

static int refcore_enqueue(struct refcore *r, int64_t t_ns)
{
    if (r->q_len == r->q_cap) {
        uint64_t cap = r->q_cap * 2;
        int64_t *q = malloc(cap * sizeof *q);
        if (q == NULL)
            return -1;
        for (uint64_t k = 0; k < r->q_len; k++)
            q[k] = r->q[(r->q_head + k) & (r->q_cap - 1)];
        free(r->q);
        r->q = q;
        r->q_head = 0;
        r->q_cap = cap;
    }
    r->q[(r->q_head + r->q_len++) & (r->q_cap - 1)] = t_ns;
    return 0;
}

int refcore_mmc(uint32_t c, double lambda, double mu, uint64_t customers, uint64_t seed,
                struct refcore_result *out)
{
    struct refcore r = {.cap = 64, .q_cap = 1024};
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r.s[i] = refcore_splitmix(&x);
    r.h = malloc(r.cap * sizeof *r.h);
    r.q = malloc(r.q_cap * sizeof *r.q);
    if (r.h == NULL || r.q == NULL)
        goto oom;
    const double ia_ns = 1e9 / lambda, svc_ns = 1e9 / mu;
    uint64_t arrived = 0, events = 0;
    uint32_t busy = 0;
    double wait_ns = 0.0;
    if (customers > 0 && refcore_push(&r, refcore_exp_ns(&r, ia_ns), REFCORE_ARRIVAL) != 0)
        goto oom;
    while (r.n > 0) {
        struct refcore_ev e = refcore_pop(&r);
        events++;
        if (e.kind == REFCORE_ARRIVAL) {
            arrived++;
            if (arrived < customers &&
                refcore_push(&r, e.t_ns + refcore_exp_ns(&r, ia_ns), REFCORE_ARRIVAL) != 0)
                goto oom;
            if (busy < c) {
                busy++;
                if (refcore_push(&r, e.t_ns + refcore_exp_ns(&r, svc_ns), REFCORE_DEPARTURE) != 0)
                    goto oom;
            } else if (refcore_enqueue(&r, e.t_ns) != 0) {
                goto oom;
            }
        } else if (r.q_len > 0) {
            int64_t t0 = r.q[r.q_head];
            r.q_head = (r.q_head + 1) & (r.q_cap - 1);
            r.q_len--;
            wait_ns += (double)(e.t_ns - t0);
            if (refcore_push(&r, e.t_ns + refcore_exp_ns(&r, svc_ns), REFCORE_DEPARTURE) != 0)
                goto oom;
        } else {
            busy--;
        }
    }
    out->customers = arrived;
    out->events = events;
    out->wait_mean_s = arrived ? wait_ns / (double)arrived * 1e-9 : 0.0;
    free(r.h);
    free(r.q);
    return 0;
oom:
    free(r.h);
    free(r.q);
    return -1;
}
