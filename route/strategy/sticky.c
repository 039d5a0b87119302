/*
 * sticky.c - wrapper `sticky`: session affinity.  A session key maps
 * to the backend that served it; later requests of the session go there
 * while the mapping is fresh and the backend usable, otherwise the one child
 * picks and the mapping is replaced.
 *
 * Reproduces the TTL map form of session affinity: LiteLLM
 * `deployment_affinity` / `session_affinity` pre-call checks
 * (router_utils/pre_call_checks/deployment_affinity_check.py, TTL
 * deployment_affinity_ttl_seconds = 3600 s), Portkey sticky load balancing
 * (strategy.sticky_session, ttl 3600 s) and SGLang gateway `manual`
 * (X-SMG-Routing-Key -> worker map, TTL eviction); docs/notes/routers.md
 * §2.1.9, §2.2, §2.6, §4 row 24 (hash = map).  The hash-ring forms
 * (vLLM-PS `session`, SGLang consistent_hashing) are bounded_load_hash.
 *
 * Rules:
 *  - req->session == 0 (no key): delegate to the child, remember nothing.
 *  - A live mapping (used within ttl_s) whose backend is usable, not
 *    excluded and not saturated is returned without asking the child; the
 *    mapping's clock is refreshed (idle TTL, as SGLang's max idle and
 *    LiteLLM's cache entry re-set on each routed call).
 *  - Otherwise (no mapping, expired, backend down / cooling / excluded by a
 *    retry, or saturated) the child picks and its answer replaces the
 *    mapping.  A saturated sticky backend therefore moves the session (the
 *    router never waits for one backend; its cache follows the session).
 *  - The mapping is written in pick, when the answer is given, so it needs no
 *    lifecycle hook.
 *
 * Table: fixed-size open addressing allocated in create (`capacity` rounded
 * up to a power of two, 24 bytes per slot), home slot from
 * splitmix64(session), probe window of 8 slots; a key lives anywhere in its window.  Insert:
 * reuse the key's slot, else an empty or expired slot, else evict the slot
 * used least recently in the window (LRU-ish).  Deterministic: ties in the
 * eviction go to the first slot of the window.  No randomness of its own.
 * Time from env->now_ns.
 */
#include <stdlib.h>

#include "route_int.h"

#define PROBE 8u

static const double NS_PER_S = 1e9;

static const struct route_param sticky_params[] = {
    {.name = "ttl_s",
     .def = 3600.0,
     .min = 1.0,
     .max = 1e7,
     .unit = "s",
     .doc = "idle time after which a session mapping expires (LiteLLM/Portkey 3600 s)"},
    {.name = "capacity",
     .def = 65536.0,
     .min = 16.0,
     .max = 1e7,
     .unit = "sessions",
     .doc = "session table slots (rounded up to a power of two); least recently used "
            "evicted in a probe window"},
};

enum { P_TTL_S, P_CAPACITY, N_PARAMS };
_Static_assert(sizeof sticky_params / sizeof sticky_params[0] == N_PARAMS,
               "sticky_params and its index enum disagree");

struct slot {
    uint64_t key;     /* session key, 0 = empty */
    int64_t used_ns;  /* last time the mapping was used or written */
    uint32_t backend; /* mapped backend */
};

struct sticky_state {
    struct route_node *child;
    int64_t ttl_ns;
    uint64_t mask; /* slots - 1 */
    struct slot *slots;
};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void destroy_sticky(void *state)
{
    struct sticky_state *s = state;
    if (s == NULL)
        return;
    free(s->slots);
    free(s);
}

static int create_sticky(void **state, const struct route_create_args *args, char *err,
                         size_t errlen)
{
    struct sticky_state *s;
    uint64_t cap = 16, want = (uint64_t)args->params[P_CAPACITY];
    if (args->n_children != 1) {
        route__errf(err, errlen, "strategy 'sticky': needs exactly one child, got %u",
                    args->n_children);
        return -1;
    }
    while (cap < want)
        cap <<= 1;
    s = calloc(1, sizeof *s);
    if (s != NULL)
        s->slots = calloc((size_t)cap, sizeof *s->slots);
    if (s == NULL || s->slots == NULL) {
        destroy_sticky(s);
        route__errf(err, errlen, "strategy 'sticky': out of memory for %llu sessions",
                    (unsigned long long)cap);
        return -1;
    }
    s->child = args->children[0];
    s->ttl_ns = (int64_t)(args->params[P_TTL_S] * NS_PER_S);
    s->mask = cap - 1;
    *state = s;
    return 0;
}

static bool live(const struct sticky_state *s, const struct slot *e, int64_t now)
{
    return e->key != 0 && now - e->used_ns <= s->ttl_ns;
}

static struct slot *find(struct sticky_state *s, uint64_t key, uint64_t h)
{
    for (uint32_t j = 0; j < PROBE; j++) {
        struct slot *e = &s->slots[(h + j) & s->mask];
        if (e->key == key)
            return e;
    }
    return NULL;
}

static void remember(struct sticky_state *s, uint64_t key, uint64_t h, uint32_t backend,
                     int64_t now)
{
    struct slot *e = find(s, key, h);
    if (e == NULL) {
        /* an empty or expired slot, else the least recently used one */
        struct slot *oldest = NULL;
        for (uint32_t j = 0; j < PROBE; j++) {
            struct slot *c = &s->slots[(h + j) & s->mask];
            if (!live(s, c, now)) {
                e = c;
                break;
            }
            if (oldest == NULL || c->used_ns < oldest->used_ns)
                oldest = c;
        }
        if (e == NULL)
            e = oldest;
    }
    e->key = key;
    e->used_ns = now;
    e->backend = backend;
}

static int32_t pick_sticky(void *state, const struct route_req *req, const struct route_view *view,
                           const struct route_env *env, const uint64_t *exclude)
{
    struct sticky_state *s = state;
    uint64_t h;
    struct slot *e;
    int32_t k;
    if (req->session == 0)
        return route_node_pick(s->child, req, view, env, exclude);
    h = splitmix64(req->session);
    e = find(s, req->session, h);
    if (e != NULL && live(s, e, env->now_ns) && e->backend < view->n &&
        route__eligible(view, exclude, e->backend)) {
        e->used_ns = env->now_ns;
        return (int32_t)e->backend;
    }
    k = route_node_pick(s->child, req, view, env, exclude);
    if (k >= 0)
        remember(s, req->session, h, (uint32_t)k, env->now_ns);
    return k;
}

const struct route_ops route__ops_sticky = {
    ROUTE_OPS_INIT,
    .name = "sticky",
    .summary = "session key -> backend map with idle TTL; the child picks new or broken sessions",
    .source = "LiteLLM deployment_affinity/session_affinity (deployment_affinity_check.py, TTL "
              "3600 s); Portkey sticky_session; SGLang gateway manual policy",
    .params = sticky_params,
    .n_params = N_PARAMS,
    .min_children = 1,
    .max_children = 1,
    .create = create_sticky,
    .destroy = destroy_sticky,
    .pick = pick_sticky,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* none of its own; the router ORs in its children's */
};
