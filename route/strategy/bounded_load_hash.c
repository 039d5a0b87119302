/*
 * bounded_load_hash.c - strategy `bounded_load_hash`: consistent hashing with
 * bounded loads.
 *
 * Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with Bounded
 * Loads", SODA 2018: a key goes to the first backend clockwise from its
 * hash on the ring whose load stays within ceil(c x average); moving past
 * full backends keeps the maximum load <= c x average while a backend
 * going away only remaps the keys it held (plus the overflow that
 * cascades).  Reproduces SGLang model gateway `prefix_hash`
 * (sgl-model-gateway/src/policies/prefix_hash.rs: ring over the first
 * prefix_token_count = 256 tokens, walk while load > avg x load_factor
 * 1.25) and HAProxy `hash-balance-factor` (lb_chash.c,
 * chash_server_is_eligible); docs/notes/routers.md §2.6, §4 row 23.
 *
 *   key  = hash of the first prefix_blocks block hashes of the request;
 *          else of req->session; else of req->id (no affinity at all).
 *          One 512-token block ~ SGLang's 256-token key at K = 1; blocks
 *          are whatever the caller hashes, so K x block size is the knob.
 *   ring = vnodes points per backend scaled by weight (vnodes x w_i /
 *          mean w, rounded, >= 1; weight 0: no points; all weights 0: all
 *          equal), placed at hashes of the backend's name (ketama style:
 *          the ring survives reordering; same-named backends share points),
 *          or of its index when unnamed.  Built once in create: a sorted
 *          array, binary search.
 *   walk clockwise from the key while the backend is unusable, excluded,
 *          saturated, or inflight_i + 1 > ceil(balance x (T + 1) / U), T =
 *          in flight over the usable backends, U = their number (the new
 *          request counts in, as in the paper and HAProxy).  After a full
 *          turn without a fit (possible only with caps, weight-0 backends
 *          or stale signals): the least in flight eligible backend.
 *
 * Quirks / choices: load = router-local in-flight count (SGLang uses its
 * own per-worker load counter, HAProxy `served`).
 *
 * Pick.  Outside a router, or below ROUTE__INDEX_MIN_N = 32 backends: one
 * pass over the view for T and U (and the fallback), then the ring walk.
 * In a router the bound's inputs are kept incrementally, as HAProxy keeps
 * px->served and tot_weight: per backend the usable flag and in-flight
 * count last seen, and their sums over the usable backends, updated from
 * the router's journal of view changes (dispatch, completion, health; with
 * a staleness > 0 the published counters, as the pass would see).  An
 * exclude set is subtracted per pick, walking whichever of its usable
 * members or the remaining usable backends is fewer:
 * O(n / 64 + min(excluded, not excluded)); without one the bound is O(1).
 * Then the ring lookup, O(log n), and the walk, short for c > 1 (expected
 * length bounded by a constant that depends on c only, per the paper).  A
 * walk that fails to fit for a while checks (O(n / 64)) that some backend
 * is eligible at all; none, or a full turn without a fit: the pass answers
 * (FULL / NONE, or the least in flight).  Same answers; the fallback's
 * random tie-break draws differ from the pass's only in when they are made.
 */
#include <stdlib.h>

#include "route_int.h"

enum { H_PREFIX_BLOCKS, H_VNODES, H_BALANCE, H_COUNT_ };

static const struct route_param chash_params[H_COUNT_] = {
    [H_PREFIX_BLOCKS] = {"prefix_blocks", 1.0, 1.0, 4096.0, "blocks",
                         "leading prefix blocks hashed into the key (SGLang prefix_token_count "
                         "256 tokens ~ 1 block of 512)"},
    [H_VNODES] = {"vnodes", 160.0, 1.0, 4096.0, "points",
                  "ring points per backend of mean weight (ketama: 160 per server)"},
    [H_BALANCE] = {"balance", 1.25, 1.0, 100.0, "ratio",
                   "load bound c: at most ceil(c x average in flight) per backend (SGLang "
                   "load_factor 1.25; HAProxy hash-balance-factor 125)"},
};

struct point {
    uint64_t pos;
    uint32_t backend;
};

struct chash {
    struct point *ring;
    uint32_t n_points;
    uint32_t prefix_blocks;
    double balance;
    /* The bound's inputs, in a router (fleet != NULL). */
    const struct route__fleet *fleet;
    uint32_t n;
    uint64_t cursor;   /* journal position, UINT64_MAX: never built */
    bool *usable;      /* per backend: healthy or half-open, as last seen */
    int32_t *load;     /* per backend: in flight (>= 0), as last seen */
    int64_t total;     /* sum of load over the usable backends */
    uint32_t n_usable; /* their number */
};

/* Walk steps without a fit after which a pick checks that anything is
 * eligible (a turn of the ring is vnodes x n points). */
#define CH_CHECK_AFTER 64u

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t name_hash(const char *name, uint32_t index)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
    if (name == NULL || *name == '\0')
        return mix64(0x5bd1e9955bd1e995ull + index);
    for (; *name != '\0'; name++) {
        h ^= (unsigned char)*name;
        h *= 0x100000001b3ull;
    }
    return mix64(h);
}

static int cmp_point(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->backend < y->backend ? -1 : (x->backend > y->backend ? 1 : 0);
}

static void destroy_chash(void *state)
{
    struct chash *s = state;
    if (s == NULL)
        return;
    free(s->ring);
    free(s->usable);
    free(s->load);
    free(s);
}

static int create_chash(void **state, const struct route_create_args *args, char *err,
                        size_t errlen)
{
    const double *p = args->params;
    uint32_t n = args->n_backends;
    double wsum = 0.0, vnodes = p[H_VNODES];
    uint64_t total = 0;
    struct chash *s;
    *state = NULL;
    for (uint32_t i = 0; i < n; i++)
        wsum += (double)args->cfgs[i].weight;
    /* points per backend: vnodes x w_i / mean w, rounded, >= 1 if w_i > 0 */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = args->cfgs[i].weight;
        if (wsum <= 0.0) {
            total += (uint64_t)vnodes;
        } else if (w > 0) {
            double v = vnodes * (double)w * (double)n / wsum + 0.5;
            total += v < 1.0 ? 1u : (uint64_t)v;
        }
    }
    s = calloc(1, sizeof *s);
    if (s == NULL || total == 0 || total > UINT32_MAX ||
        (s->ring = calloc((size_t)total, sizeof s->ring[0])) == NULL) {
        free(s);
        route__errf(err, errlen,
                    "strategy 'bounded_load_hash': cannot allocate a ring of %llu points",
                    (unsigned long long)total);
        return -1;
    }
    s->n_points = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = args->cfgs[i].weight, k;
        uint64_t base = name_hash(args->cfgs[i].name, i);
        if (wsum <= 0.0) {
            k = (uint32_t)vnodes;
        } else if (w > 0) {
            double v = vnodes * (double)w * (double)n / wsum + 0.5;
            k = v < 1.0 ? 1u : (uint32_t)v;
        } else {
            k = 0;
        }
        for (uint32_t j = 0; j < k; j++) {
            s->ring[s->n_points].pos = mix64(base + (uint64_t)(j + 1) * 0x9e3779b97f4a7c15ull);
            s->ring[s->n_points].backend = i;
            s->n_points++;
        }
    }
    qsort(s->ring, s->n_points, sizeof s->ring[0], cmp_point);
    s->prefix_blocks = (uint32_t)p[H_PREFIX_BLOCKS];
    s->balance = p[H_BALANCE];
    s->fleet = route__fleet_for(args);
    s->n = n;
    s->cursor = UINT64_MAX;
    if (s->fleet != NULL) {
        s->usable = calloc(n, sizeof *s->usable);
        s->load = calloc(n, sizeof *s->load);
        if (s->usable == NULL || s->load == NULL) {
            destroy_chash(s);
            route__errf(err, errlen, "strategy 'bounded_load_hash': out of memory");
            return -1;
        }
    }
    *state = s;
    return 0;
}

/* Backend i's view entry changed: re-account it in the sums. */
static void on_change(void *ctx, uint32_t i)
{
    struct chash *s = ctx;
    const struct route_backend *b;
    bool u;
    int32_t load;
    if (i >= s->n)
        return;
    b = &s->fleet->view->b[i];
    u = b->health == ROUTE_HEALTHY || b->health == ROUTE_HALF_OPEN;
    load = b->inflight > 0 ? b->inflight : 0;
    if (s->usable[i]) {
        s->total -= s->load[i];
        s->n_usable--;
    }
    s->usable[i] = u;
    s->load[i] = load;
    if (u) {
        s->total += load;
        s->n_usable++;
    }
}

static void rebuild(struct chash *s)
{
    s->total = 0;
    s->n_usable = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        s->usable[i] = false;
        on_change(s, i);
    }
}

/* T and U of the bound for this pick: the sums less the excluded usable
 * backends (or the sums over the usable ones not excluded, if fewer). */
static void bound_inputs(const struct chash *s, const struct route__fleet *f, const uint64_t *ex,
                         int64_t *total, uint32_t *usable)
{
    uint32_t n_ex = 0;
    int64_t t = 0;
    bool invert;
    *total = s->total;
    *usable = s->n_usable;
    if (ex == NULL)
        return;
    for (uint32_t w = 0; w < f->words; w++)
        n_ex += route__popcount64(ex[w] & ~f->unusable[w] & route__word_mask(s->n, w));
    if (n_ex == 0)
        return;
    invert = n_ex > s->n_usable - n_ex;
    for (uint32_t w = 0; w < f->words; w++) {
        uint64_t x = (invert ? ~ex[w] : ex[w]) & ~f->unusable[w] & route__word_mask(s->n, w);
        for (; x != 0; x &= x - 1u)
            t += s->load[w * 64u + route__ctz64(x)];
    }
    *usable = s->n_usable - n_ex;
    *total = invert ? t : s->total - t;
}

static uint64_t key_of(const struct chash *s, const struct route_req *req)
{
    if (req->blocks != NULL && req->n_blocks > 0) {
        uint32_t k = req->n_blocks < s->prefix_blocks ? req->n_blocks : s->prefix_blocks;
        uint64_t h = 0x243f6a8885a308d3ull;
        for (uint32_t j = 0; j < k; j++)
            h = mix64(h ^ req->blocks[j]);
        return h;
    }
    if (req->session != 0)
        return mix64(req->session ^ 0x13198a2e03707344ull);
    return mix64(req->id ^ 0xa4093822299f31d0ull);
}

/* First ring point at or after key (wrapping to 0). */
static uint32_t lower_bound(const struct chash *s, uint64_t key)
{
    uint32_t lo = 0, hi = s->n_points;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->ring[mid].pos < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == s->n_points ? 0 : lo;
}

/* Upper bound on a backend's in flight for this pick: ceil(c (T + 1) / U). */
static int64_t cap_of(const struct chash *s, int64_t total, uint32_t usable)
{
    double bound = s->balance * (double)(total + 1) / (double)usable;
    int64_t cap = (int64_t)bound;
    if ((double)cap < bound)
        cap++; /* ceil */
    return cap;
}

static int32_t scan_chash(struct chash *s, const struct route_req *req,
                          const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude, bool walk);

static int32_t pick_chash(void *state, const struct route_req *req, const struct route_view *view,
                          const struct route_env *env, const uint64_t *exclude)
{
    struct chash *s = state;
    const struct route__fleet *f = route__fleet_of(s->fleet, view);
    int64_t total, cap;
    uint32_t usable, at;
    if (f == NULL || view->n != s->n)
        return scan_chash(s, req, view, env, exclude, true);
    if (!route__fleet_drain(f, &s->cursor, on_change, s))
        rebuild(s);
    bound_inputs(s, f, exclude, &total, &usable);
    if (usable == 0)
        return ROUTE_NONE; /* nothing usable: the pass says NONE too */
    cap = cap_of(s, total, usable);
    at = lower_bound(s, key_of(s, req));
    for (uint32_t step = 0; step < s->n_points; step++) {
        uint32_t i = s->ring[at].backend;
        if (route__fleet_eligible(f, exclude, i) && (int64_t)view->b[i].inflight + 1 <= cap)
            return (int32_t)i;
        if (step + 1 == CH_CHECK_AFTER && !route__any_candidate(f, view, exclude, NULL, 2))
            break;
        if (++at == s->n_points)
            at = 0;
    }
    return scan_chash(s, req, view, env, exclude, false);
}

/* The pass, then (walk) the ring walk; without the walk: the least in
 * flight, or FULL / NONE. */
static int32_t scan_chash(struct chash *s, const struct route_req *req,
                          const struct route_view *view, const struct route_env *env,
                          const uint64_t *exclude, bool walk)
{
    struct route__count c = {0, 0};
    int64_t total = 0, cap;
    int32_t least = ROUTE_NONE, min = 0;
    uint32_t ties = 0, at;

    /* The bound's inputs (and the fallback, at no extra cost). */
    for (uint32_t i = 0; i < view->n; i++) {
        int32_t load;
        if (!route_usable(view, exclude, i))
            continue;
        c.usable++;
        load = view->b[i].inflight;
        total += load > 0 ? load : 0;
        if (route__saturated(&view->b[i]))
            continue;
        c.eligible++;
        if (least < 0 || load < min) {
            least = (int32_t)i;
            min = load;
            ties = 1;
        } else if (load == min && route_rand_below(env, ++ties) == 0) {
            least = (int32_t)i;
        }
    }
    if (c.eligible == 0)
        return route__no_pick(c);
    if (!walk)
        return least;
    cap = cap_of(s, total, c.usable);
    at = lower_bound(s, key_of(s, req));
    for (uint32_t step = 0; step < s->n_points; step++) {
        uint32_t i = s->ring[at].backend;
        if (i < view->n && route__eligible(view, exclude, i) &&
            (int64_t)view->b[i].inflight + 1 <= cap)
            return (int32_t)i;
        if (++at == s->n_points)
            at = 0;
    }
    return least;
}

const struct route_ops route__ops_bounded_load_hash = {
    ROUTE_OPS_INIT,
    .name = "bounded_load_hash",
    .summary = "consistent hash of the prefix (or session), walking past backends above "
               "balance x average load",
    .source = "Mirrokni, Thorup, Zadimoghaddam, Consistent Hashing with Bounded Loads (SODA "
              "2018); SGLang model gateway prefix_hash; HAProxy hash-balance-factor",
    .params = chash_params,
    .n_params = H_COUNT_,
    .min_children = 0,
    .max_children = 0,
    .create = create_chash,
    .destroy = destroy_chash,
    .pick = pick_chash,
    .on_dispatch = NULL,
    .on_first_token = NULL,
    .on_complete = NULL,
    .reads = 0, /* no engine-fed signal: configuration and router-kept counters */
};
