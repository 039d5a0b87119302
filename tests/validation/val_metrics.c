/*
 * val_metrics.c - the reported totals that no other figure pins down,
 * each against a count the engine does not make (tests/data/val_metrics.yaml).
 *
 * A mutation run on the engine showed three of them unguarded: the split of
 * client 429s between the gateway and the provider swapped, spillovers
 * dropped from the totals over gateway replicas, and cooldown seconds
 * dropped from the totals.  Here:
 *  - the split is recounted from the per-request records: with one attempt
 *    allowed, a 429 answered before any attempt is the gateway's ("No
 *    deployments available"), one answered after an attempt is the
 *    provider's;
 *  - spillovers equal the requests served by the tier-1 backend (no
 *    failures, no retries: every such pick left tier 0);
 *  - each cooldown lasts the configured 5 s (an outage's 503 carries no
 *    Retry-After), so the total is 5 s times the count.
 */
#include <math.h>
#include <string.h>

#include "sim.h"
#include "check.h"

#define COOLDOWN_S 5.0 /* router.health.cooldown.time in the scenario */

struct counts {
    uint64_t measured, gateway_429, provider_429;
    uint64_t served_by[8]; /* successful requests by last backend */
};

static void on_req(void *ctx, const struct sim_req_record *r)
{
    struct counts *c = ctx;
    if (!r->measured)
        return;
    c->measured++;
    if (r->final_status == 429) {
        if (r->attempts == 0)
            c->gateway_429++;
        else
            c->provider_429++;
    }
    if (r->final_status == 200 && r->backend >= 0 && r->backend < 8)
        c->served_by[r->backend]++;
}

static int backend_index(const struct scenario *scn, const char *name)
{
    for (uint32_t i = 0; i < scn->n_backends; i++)
        if (strcmp(scn->backends[i].name, name) == 0)
            return (int)i;
    return -1;
}

static const struct scn_strategy *entry(const struct scenario *scn, const char *label)
{
    for (uint32_t i = 0; i < scn->n_compare; i++)
        if (strcmp(scn->compare[i].label, label) == 0)
            return &scn->compare[i];
    return NULL;
}

static int run(const struct scenario *scn, const char *label, struct counts *c,
               struct sim_result *r)
{
    char err[1024];
    const struct scn_strategy *st = entry(scn, label);
    CHECK(st != NULL);
    if (st == NULL)
        return -1;
    memset(c, 0, sizeof *c);
    struct sim_hooks hooks = {.on_request = on_req, .ctx = c};
    if (sim_run(scn, st, scn->seed, &hooks, r, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return -1;
    }
    CHECK(c->measured == r->requests);
    return 0;
}

int main(void)
{
    char err[1024];
    struct scenario scn;
    if (scn_load("tests/data/val_metrics.yaml", &scn, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct counts c;
    struct sim_result r;

    /* The 429 split, limit-blind (provider 429s, then gateway 429s while
     * the account cools down) and limit-aware (the router's window says no
     * room: gateway 429s; its view lags the provider's bucket: a few
     * provider 429s). */
    static const char *const split_runs[] = {"limit-blind", "limit-aware"};
    for (int k = 0; k < 2; k++) {
        if (run(&scn, split_runs[k], &c, &r) != 0)
            continue;
        double n = (double)r.requests;
        printf("%-12s gateway 429 %.4f (records %.4f)  provider 429 %.4f (records %.4f)\n",
               split_runs[k], r.client_429_gateway_rate, c.gateway_429 / n,
               r.client_429_provider_rate, c.provider_429 / n);
        CHECK(r.client_429_gateway == c.gateway_429);
        CHECK(r.client_429_provider == c.provider_429);
        CHECK(fabs(r.client_429_gateway_rate - c.gateway_429 / n) < 1e-12);
        CHECK(fabs(r.client_429_provider_rate - c.provider_429 / n) < 1e-12);
        CHECK(fabs(r.client_429_rate - (c.gateway_429 + c.provider_429) / n) < 1e-12);
        /* both kinds occur, in different amounts: a swap shows */
        CHECK(c.gateway_429 > 0 && c.provider_429 > 0 && c.gateway_429 != c.provider_429);
        sim_result_free(&r);
    }

    /* Spillovers, summed over the two gateway replicas. */
    int standby = backend_index(&scn, "standby");
    CHECK(standby >= 0);
    if (standby >= 0 && run(&scn, "spill", &c, &r) == 0) {
        printf("spill        spillovers %llu, served by the tier-1 backend %llu\n",
               (unsigned long long)r.spillovers, (unsigned long long)c.served_by[standby]);
        CHECK(r.failed == 0 && r.retries == 0);
        CHECK(c.served_by[standby] > 0);
        CHECK(r.spillovers == c.served_by[standby]);
        sim_result_free(&r);
    }

    /* Cooldown seconds, summed over the two gateway replicas. */
    if (run(&scn, "cooling", &c, &r) == 0) {
        printf("cooling      cooldowns %llu, total %.3f s (5 s each: %.3f s)\n",
               (unsigned long long)r.cooldowns, r.cooldown_s, COOLDOWN_S * (double)r.cooldowns);
        CHECK(r.cooldowns > 0);
        CHECK(fabs(r.cooldown_s - COOLDOWN_S * (double)r.cooldowns) < 1e-9);
        sim_result_free(&r);
    }

    scn_free(&scn);
    return check_report("val_metrics");
}
