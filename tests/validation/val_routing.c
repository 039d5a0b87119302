/*
 * val_routing.c - the routing behaviours of real gateways, end to end, each
 * as an A/B on the same traffic (common random numbers):
 *  - fallbacks by error class (LiteLLM context_window / content_policy /
 *    generic fallbacks) rescue requests the first group cannot serve;
 *  - hedged requests cut the TTFT tail, at the price of extra attempts;
 *  - LiteLLM cooldowns and a circuit breaker keep traffic off a failing
 *    backend;
 *  - gateway replicas without shared state overrun rate limits that one
 *    shared state respects (LiteLLM without Redis);
 *  - stale load signals make join-the-shortest-queue herd.
 * Every run also keeps conservation: requests = completed + failed + in
 * flight.
 */
#include <math.h>
#include <stdio.h>

#include "sim.h"
#include "check.h"

static int run(const char *path, struct sim_result *res)
{
    char err[1024];
    struct scenario scn;
    if (scn_load(path, &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return -1;
    }
    int rc = sim_run(&scn, &scn.router.strategy, scn.seed, NULL, res, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(0);
    } else {
        CHECK_INT_EQ(res->requests, res->completed + res->failed + res->in_flight_at_end);
    }
    scn_free(&scn);
    return rc;
}

int main(void)
{
    struct sim_result a, b, c;

    /* Fallbacks by error class. */
    if (run("tests/data/rt_fallback.yaml", &a) == 0 &&
        run("tests/data/rt_nofallback.yaml", &b) == 0) {
        printf("fallbacks: with rules error rate %.4f (%llu fallbacks), without %.4f\n",
               a.error_rate, (unsigned long long)a.fallbacks, b.error_rate);
        /* ~6% of prompts exceed 8k tokens, 5% are refused, and an outage */
        CHECK(b.error_rate > 0.05);
        CHECK(a.error_rate < 0.01);
        CHECK(a.fallbacks > 0);
        CHECK_INT_EQ(b.fallbacks, 0);
        /* the large group served the rescued requests */
        CHECK(a.backends[2].successes > b.backends[2].successes);
        sim_result_free(&a);
        sim_result_free(&b);
    }

    /* Hedging after the p90 TTFT. */
    if (run("tests/data/rt_hedge.yaml", &a) == 0 && run("tests/data/rt_nohedge.yaml", &b) == 0) {
        printf("hedging: p99 TTFT %.3f s with hedges (%llu hedges, %llu won), %.3f s without; "
               "attempts/request %.3f vs %.3f; cost %.4f vs %.4f USD\n",
               a.ttft.p99, (unsigned long long)a.hedges, (unsigned long long)a.hedge_wins,
               b.ttft.p99, a.attempts_per_request, b.attempts_per_request, a.cost_usd, b.cost_usd);
        CHECK(a.hedges > 0);
        CHECK(a.hedge_wins > 0 && a.hedge_wins <= a.hedges);
        CHECK(a.ttft.p99 < 0.7 * b.ttft.p99);
        CHECK(a.attempts_per_request > b.attempts_per_request);
        /* roughly the slowest 10% get a hedge */
        CHECK(a.hedges > a.requests / 20 && a.hedges < a.requests / 5);
        CHECK(a.cost_usd > b.cost_usd); /* losers bill their input */
        CHECK_INT_EQ(a.completed, b.completed);
        sim_result_free(&a);
        sim_result_free(&b);
    }

    /* Health: cooldowns and a circuit breaker against a 5-minute outage. */
    if (run("tests/data/rt_health.yaml", &a) == 0 && run("tests/data/rt_cooldown.yaml", &b) == 0 &&
        run("tests/data/rt_breaker.yaml", &c) == 0) {
        printf("health: errors %.4f none, %.4f cooldown (%llu cooldowns, %.0f s), %.4f breaker "
               "(%llu opens)\n",
               a.error_rate, b.error_rate, (unsigned long long)b.cooldowns, b.cooldown_s,
               c.error_rate, (unsigned long long)c.breaker_opens);
        CHECK(a.error_rate > 0.1); /* a third of 5 of 10 minutes fails */
        CHECK(b.cooldowns > 0);
        CHECK(b.error_rate < 0.2 * a.error_rate);
        CHECK(c.breaker_opens > 0);
        CHECK(c.error_rate < 0.2 * a.error_rate);
        CHECK(b.backends[0].attempts < a.backends[0].attempts);
        sim_result_free(&a);
        sim_result_free(&b);
        sim_result_free(&c);
    }

    /* Replicas: per-instance RPM windows overrun the provider's limit. */
    if (run("tests/data/rt_replicas.yaml", &a) == 0 &&
        run("tests/data/rt_replicas4.yaml", &b) == 0 &&
        run("tests/data/rt_replicas4s.yaml", &c) == 0) {
        printf("replicas: upstream 429 rate %.4f with 1, %.4f with 4 independent, %.4f with 4 "
               "sharing state; gateway 429 %.4f / %.4f / %.4f\n",
               a.upstream_429_rate, b.upstream_429_rate, c.upstream_429_rate,
               a.client_429_gateway_rate, b.client_429_gateway_rate, c.client_429_gateway_rate);
        CHECK(b.upstream_429_rate > a.upstream_429_rate + 0.05);
        CHECK_NEAR(c.upstream_429_rate, a.upstream_429_rate, 1e-12);
        sim_result_free(&a);
        sim_result_free(&b);
        sim_result_free(&c);
    }

    /* Stale signals. */
    if (run("tests/data/rt_stale.yaml", &a) == 0 && run("tests/data/rt_stale2s.yaml", &b) == 0) {
        printf("staleness: mean wait %.3f s live, %.3f s with 2 s old signals; p99 TTFT %.3f vs "
               "%.3f\n",
               a.queue_wait_mean_s, b.queue_wait_mean_s, a.ttft.p99, b.ttft.p99);
        CHECK(b.queue_wait_mean_s > 1.5 * a.queue_wait_mean_s);
        sim_result_free(&a);
        sim_result_free(&b);
    }
    return check_report("val_routing");
}
