/*
 * trace_synth.c - synthetic request source: a homogeneous Poisson process.
 *
 * Interarrival times are exponential, -log(U) / rate with U uniform in
 * (0, 1] from rng_unit_pos() on the stream rng_stream(seed, RNG_ARRIVALS).
 * The arrival time is accumulated in double seconds (one running sum, so
 * no rounding error builds up in the nanosecond values) and each arrival is
 * converted to int64 ns, then scaled by 1/rate_scale like file traces.
 * Token sizes are dist_sample() draws on rng_stream(seed, RNG_SIZES) (input
 * then output, per request), rounded to the nearest integer and clamped to
 * >= 0.  Separate streams keep sizes independent of the arrival process, so
 * changing the rate does not change the sequence of sizes.
 *
 * It stops after `count` requests or at the first arrival at or after
 * `duration_ns` (simulated time, after rate_scale), whichever comes first.
 */
#include <math.h>
#include <stdlib.h>

#include "trace_internal.h"

struct trace_synth_state {
    struct rng arrivals, sizes;
    struct dist input, output; /* deep copies: the cfg need not outlive us */
    int have_input, have_output;
    double rate;
    uint64_t count;
    int64_t duration_ns;
    double t_s; /* the running arrival time, seconds */
    uint64_t n; /* requests generated */
    int done;
};

static int64_t round_tokens(double x)
{
    if (!(x > 0)) /* negative or NaN */
        return 0;
    if (x > 1e18)
        return (int64_t)1e18;
    return llround(x);
}

int trace_synth_open(struct trace_src *src, const struct trace_synth *cfg, uint64_t seed)
{
    if (!(cfg->rate_per_s > 0) || !isfinite(cfg->rate_per_s)) {
        trace_fail(src, "synthetic trace: found rate %g/s, expected a rate > 0", cfg->rate_per_s);
        return -1;
    }
    if (cfg->duration_ns < 0) {
        trace_fail(src, "synthetic trace: found duration %lld ns, expected >= 0",
                   (long long)cfg->duration_ns);
        return -1;
    }
    if (cfg->count == 0 && cfg->duration_ns == 0) {
        trace_fail(src, "synthetic trace: found neither count nor duration, expected at "
                        "least one of them to end the trace");
        return -1;
    }
    struct trace_synth_state *s = calloc(1, sizeof *s);
    if (!s) {
        trace_fail(src, "synthetic trace: out of memory");
        return -1;
    }
    src->syn = s;
    if (dist_copy(&s->input, &cfg->input_tokens) != 0) {
        trace_fail(src, "synthetic trace: out of memory");
        return -1;
    }
    s->have_input = 1;
    if (dist_copy(&s->output, &cfg->output_tokens) != 0) {
        trace_fail(src, "synthetic trace: out of memory");
        return -1;
    }
    s->have_output = 1;
    rng_stream(&s->arrivals, seed, RNG_ARRIVALS);
    rng_stream(&s->sizes, seed, RNG_SIZES);
    s->rate = cfg->rate_per_s;
    s->count = cfg->count;
    s->duration_ns = cfg->duration_ns;
    src->format = TRACE_SYNTHETIC;
    return 0;
}

int trace_synth_next(struct trace_src *src, struct trace_rec *out)
{
    struct trace_synth_state *s = src->syn;
    if (s->done || (s->count && s->n >= s->count)) {
        s->done = 1;
        return 0;
    }
    s->t_s += -log(rng_unit_pos(&s->arrivals)) / s->rate;
    double ns = s->t_s * 1e9;
    int64_t arrival;
    if (!(ns < 9.2e18) || trace_scale_ns(src, llround(ns), &arrival) != 0) {
        s->done = 1; /* past the int64 ns horizon (~292 years): the end */
        return 0;
    }
    if (s->duration_ns && arrival >= s->duration_ns) {
        s->done = 1;
        return 0;
    }
    struct trace_rec r = {0};
    r.arrival_ns = arrival;
    r.input_tokens = round_tokens(dist_sample(&s->input, &s->sizes));
    r.output_tokens = round_tokens(dist_sample(&s->output, &s->sizes));
    s->n++;
    *out = r;
    return 1;
}

void trace_synth_close(struct trace_synth_state *s)
{
    if (s->have_input)
        dist_fini(&s->input);
    if (s->have_output)
        dist_fini(&s->output);
    free(s);
}
