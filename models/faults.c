/*
 * faults.c - fault schedules: scheduled and random outages, brownouts,
 * 429 storms and hangs.  See faults.h.
 *
 * Random outages are an alternating renewal process: up times drawn from
 * Exp(mean MTBF), down times from Exp(mean MTTR), the backend starting up
 * at time 0.  Only the current (or next) down window is kept; the next one
 * is drawn when a query passes its end, so memory is O(1) and the
 * schedule is the same whatever the query times are.
 *
 * Scripts count the attempts a backend receives (every admission, in
 * event order), so the k-th attempt meets entry k whichever request sent
 * it.  Effects that answer at admission (429, 5xx, context window) are
 * returned to the caller; the others wait, armed in the state, for the
 * attempt's service start, which follows its admission at once (or its
 * dequeue: the caller moves the armed effect with the queued attempt).
 */
#include "faults.h"

#include <math.h>
#include <stddef.h>

/* Largest time the schedule represents; later windows never start. */
#define FAULT_NEVER_NS INT64_MAX

/* An exponential duration in ns with mean mean_ns, at least 1 ns so the
 * schedule always moves forward. */
static int64_t exp_ns(struct rng *r, int64_t mean_ns)
{
    double d = -(double)mean_ns * log(rng_unit_pos(r));
    if (!(d < 9.0e18))
        return FAULT_NEVER_NS;
    int64_t ns = (int64_t)llround(d);
    return ns < 1 ? 1 : ns;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    return a > FAULT_NEVER_NS - b ? FAULT_NEVER_NS : a + b;
}

/* Draw the down window after an up period starting at up_start_ns. */
static void random_next(const struct fault_cfg *cfg, struct fault_state *st, int64_t up_start_ns)
{
    st->down_start_ns = add_sat(up_start_ns, exp_ns(&st->outage_rng, cfg->mtbf_ns));
    st->down_end_ns = add_sat(st->down_start_ns, exp_ns(&st->outage_rng, cfg->mttr_ns));
}

void fault_state_init(struct fault_state *st, const struct fault_cfg *cfg, uint64_t seed,
                      uint64_t key)
{
    st->outage_cursor = st->brownout_cursor = st->storm_cursor = 0;
    st->down_start_ns = st->down_end_ns = FAULT_NEVER_NS;
    st->script_seen = 0;
    st->armed = FAULT_ARMED_NONE;
    st->armed_status = 0;
    rng_keyed(&st->outage_rng, seed, RNG_OUTAGES, key, 0, 0);
    if (cfg->mtbf_ns > 0 && cfg->mttr_ns > 0)
        random_next(cfg, st, 0);
}

bool fault_in_outage(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                     int *http_status)
{
    while (st->outage_cursor < cfg->n_outages && cfg->outages[st->outage_cursor].end_ns <= now_ns)
        st->outage_cursor++;
    if (st->outage_cursor < cfg->n_outages) {
        const struct fault_outage *o = &cfg->outages[st->outage_cursor];
        if (o->start_ns <= now_ns) {
            *http_status = o->http_status;
            return true;
        }
    }
    /* never true without random outages (the window is at FAULT_NEVER_NS) */
    while (st->down_end_ns <= now_ns && st->down_end_ns != FAULT_NEVER_NS)
        random_next(cfg, st, st->down_end_ns);
    if (st->down_start_ns <= now_ns) {
        *http_status = cfg->random_status;
        return true;
    }
    return false;
}

void fault_random_window(const struct fault_state *st, int64_t *start_ns, int64_t *end_ns)
{
    *start_ns = st->down_start_ns;
    *end_ns = st->down_end_ns;
}

const struct fault_brownout *fault_brownout_at(const struct fault_cfg *cfg, struct fault_state *st,
                                               int64_t now_ns)
{
    while (st->brownout_cursor < cfg->n_brownouts &&
           cfg->brownouts[st->brownout_cursor].end_ns <= now_ns)
        st->brownout_cursor++;
    if (st->brownout_cursor < cfg->n_brownouts &&
        cfg->brownouts[st->brownout_cursor].start_ns <= now_ns)
        return &cfg->brownouts[st->brownout_cursor];
    return NULL;
}

const struct fault_storm *fault_storm_at(const struct fault_cfg *cfg, struct fault_state *st,
                                         int64_t now_ns)
{
    while (st->storm_cursor < cfg->n_storms && cfg->storms[st->storm_cursor].end_ns <= now_ns)
        st->storm_cursor++;
    if (st->storm_cursor < cfg->n_storms && cfg->storms[st->storm_cursor].start_ns <= now_ns)
        return &cfg->storms[st->storm_cursor];
    return NULL;
}

bool fault_storm_hits(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                      struct rng *r, int64_t *retry_after_ns)
{
    const struct fault_storm *s = fault_storm_at(cfg, st, now_ns);
    if (s == NULL)
        return false;
    if (s->share < 1.0 && r != NULL && !(rng_unit(r) < s->share))
        return false;
    *retry_after_ns = s->retry_after_ns;
    return true;
}

const struct fault_script_entry *fault_script_admit(const struct fault_cfg *cfg,
                                                    struct fault_state *st)
{
    st->armed = FAULT_ARMED_NONE;
    if (cfg->n_script == 0)
        return NULL;
    uint64_t k = st->script_seen++;
    if (k >= cfg->n_script) {
        if (!cfg->script_repeat)
            return NULL;
        k %= cfg->n_script;
    }
    const struct fault_script_entry *e = &cfg->script[k];
    switch (e->kind) {
    case FAULT_SCRIPT_STATUS:
        if (e->http_status != 429 && e->http_status < 500) {
            st->armed = FAULT_ARMED_STATUS;
            st->armed_status = e->http_status;
        }
        break;
    case FAULT_SCRIPT_CONTENT_POLICY:
        st->armed = FAULT_ARMED_CONTENT_POLICY;
        st->armed_status = 400;
        break;
    case FAULT_SCRIPT_HANG:
        st->armed = FAULT_ARMED_HANG;
        break;
    case FAULT_SCRIPT_OK:
    case FAULT_SCRIPT_CONTEXT_WINDOW:
        break;
    }
    return e;
}

uint8_t fault_armed_take(struct fault_state *st, int *http_status)
{
    uint8_t a = st->armed;
    *http_status = st->armed_status;
    st->armed = FAULT_ARMED_NONE;
    return a;
}

void fault_arm(struct fault_state *st, uint8_t armed, int http_status)
{
    st->armed = armed;
    st->armed_status = http_status;
}

void fault_draw_attempt(const struct fault_cfg *cfg, struct fault_state *st, int64_t now_ns,
                        struct rng *r, struct fault_draw *out)
{
    /* u < hang_rate is false for every u in [0, 1) when the rate is not
     * above 0, and there is no brownout to fail in without brownouts:
     * then the two draws decide nothing, and are not made (the stream is
     * keyed to this attempt and read no more, see faults.h). */
    const struct fault_brownout *b = NULL;
    out->hang = out->fail = false;
    if (cfg->hang_rate > 0.0 || cfg->n_brownouts > 0) {
        double u_hang = rng_unit(r);
        double u_brown = rng_unit(r);
        b = fault_brownout_at(cfg, st, now_ns);
        out->hang = u_hang < cfg->hang_rate;
        out->fail = b != NULL && u_brown < b->error_rate;
    }
    out->content_policy = false;
    out->scripted = false;
    out->http_status = out->fail ? b->http_status : 0;
    out->latency_x = b != NULL ? b->latency_x : 1.0;
    int status = 0;
    uint8_t armed = fault_armed_take(st, &status);
    switch (armed) { /* the script wins over the draws */
    case FAULT_ARMED_HANG:
        out->scripted = true;
        out->hang = true;
        out->fail = false;
        out->http_status = 0;
        break;
    case FAULT_ARMED_CONTENT_POLICY:
    case FAULT_ARMED_STATUS:
        out->scripted = true;
        out->hang = false;
        out->fail = true;
        out->content_policy = armed == FAULT_ARMED_CONTENT_POLICY;
        out->http_status = status;
        break;
    default:
        break;
    }
}
