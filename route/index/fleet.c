/*
 * fleet.c - the candidate filters every strategy applies (usable, not
 * saturated, within limits) and the word-parallel bitset passes over the
 * router's fleet (route_int.h, "Fleet").
 */
#include <string.h>

#include "route_int.h"

/* ---------------------------------------------------------------------
 * Shared candidate filters (route_int.h)
 * ------------------------------------------------------------------- */

struct route__count route__count_eligible(const struct route_view *v, const uint64_t *ex)
{
    struct route__count c = {0, 0};
    for (uint32_t i = 0; i < v->n; i++) {
        if (!route_usable(v, ex, i))
            continue;
        c.usable++;
        if (!route__saturated(&v->b[i]))
            c.eligible++;
    }
    return c;
}

int32_t route__nth_eligible(const struct route_view *v, const uint64_t *ex, uint32_t k)
{
    for (uint32_t i = 0; i < v->n; i++) {
        if (!route__eligible(v, ex, i))
            continue;
        if (k == 0)
            return (int32_t)i;
        k--;
    }
    return ROUTE_NONE;
}

int32_t route__limited_no_pick(const struct route_view *v, const uint64_t *ex,
                               const struct route_req *req)
{
    for (uint32_t i = 0; i < v->n; i++) {
        if (route_usable(v, ex, i) && route__saturated(&v->b[i]) &&
            route__within_limits(&v->b[i], req))
            return ROUTE_FULL;
    }
    return ROUTE_NONE;
}

/* ---------------------------------------------------------------------
 * Bitsets, the fleet, heaps (route_int.h)
 * ------------------------------------------------------------------- */

int32_t route__bits_select(const uint64_t *bits, uint32_t words, uint32_t k)
{
    for (uint32_t w = 0; w < words; w++) {
        uint64_t x = bits[w];
        uint32_t c = route__popcount64(x);
        if (k >= c) {
            k -= c;
            continue;
        }
        while (k-- > 0)
            x &= x - 1u;
        return (int32_t)(w * 64u + route__ctz64(x));
    }
    return -1;
}

uint32_t route__candidate_bits(const struct route__fleet *f, const struct route_view *v,
                               const uint64_t *ex, int mode, uint64_t *out)
{
    uint32_t words = ROUTE_EXCLUDE_WORDS(v->n), count = 0;
    if (f != NULL) {
        for (uint32_t w = 0; w < words; w++) {
            uint64_t bad = f->unusable[w] | (ex != NULL ? ex[w] : 0);
            if (mode == 2)
                bad |= f->saturated[w];
            out[w] = ~bad & route__word_mask(v->n, w);
            count += route__popcount64(out[w]);
        }
        return count;
    }
    memset(out, 0, words * sizeof out[0]);
    for (uint32_t i = 0; i < v->n; i++) {
        if (mode == 2 ? route__eligible(v, ex, i) : route_usable(v, ex, i)) {
            route_exclude_set(out, i);
            count++;
        }
    }
    return count;
}

void route__state_bits(const struct route__fleet *f, const struct route_view *v,
                       uint64_t *u_scratch, uint64_t *sat_scratch, const uint64_t **u,
                       const uint64_t **sat)
{
    uint32_t words = ROUTE_EXCLUDE_WORDS(v->n);
    if (f != NULL) {
        *u = f->unusable;
        *sat = f->saturated;
        return;
    }
    memset(u_scratch, 0, words * sizeof u_scratch[0]);
    memset(sat_scratch, 0, words * sizeof sat_scratch[0]);
    for (uint32_t i = 0; i < v->n; i++) {
        enum route_health h = v->b[i].health;
        if (!(h == ROUTE_HEALTHY || h == ROUTE_HALF_OPEN))
            route_exclude_set(u_scratch, i);
        if (route__saturated(&v->b[i]))
            route_exclude_set(sat_scratch, i);
    }
    *u = u_scratch;
    *sat = sat_scratch;
}

bool route__any_candidate(const struct route__fleet *f, const struct route_view *v,
                          const uint64_t *ex, const uint64_t *among, int mode)
{
    if (f != NULL) {
        uint32_t words = ROUTE_EXCLUDE_WORDS(v->n);
        for (uint32_t w = 0; w < words; w++) {
            uint64_t bad = f->unusable[w] | (ex != NULL ? ex[w] : 0);
            if (mode == 2)
                bad |= f->saturated[w];
            if ((~bad & route__word_mask(v->n, w) & (among != NULL ? among[w] : ~(uint64_t)0)) != 0)
                return true;
        }
        return false;
    }
    for (uint32_t i = 0; i < v->n; i++) {
        if (route__bit_or_all(among, i) &&
            (mode == 2 ? route__eligible(v, ex, i) : route_usable(v, ex, i)))
            return true;
    }
    return false;
}
