/*
 * test_scn_router.c - the router keys of the scenario file: strategy trees,
 * backend subsets, health, retry presets, fallbacks, hedging, replicas,
 * staleness, model groups, regions, tags, and their errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "check.h"
#include "tmp.h"

#define NS_PER_S 1000000000LL

static int load_text(const char *text, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_file(path, sizeof path, "scn_router", text) != 0)
        return -2;
    int rc = scn_load(path, s, err, errlen);
    remove(path);
    return rc;
}

static const char *const head =
    "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, output_tokens: 1}}\n"
    "backends:\n"
    "  - {name: alpha, group: g1, tags: [t1], latency: {ttft: 1s}}\n"
    "  - {name: beta, group: g2, latency: {ttft: 1s}}\n";

static void expect_error(const char *tail, const char *needles)
{
    char text[2048], err[1024] = "", buf[256];
    struct scenario s;
    snprintf(text, sizeof text, "%s%s", head, tail);
    int rc = load_text(text, &s, err, sizeof err);
    CHECK_INT_EQ(rc, -1);
    if (rc == 0)
        scn_free(&s);
    snprintf(buf, sizeof buf, "%s", needles);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        CHECK_STR_CONTAINS(err, tok);
}

static int param(const struct route_spec *sp, const char *name, double *out)
{
    int i = route_param_index(sp->ops, name);
    if (i < 0)
        return -1;
    *out = sp->params[i];
    return 0;
}

int main(void)
{
    char err[1024];
    struct scenario s;
    double x = 0;
    int rc = scn_load("tests/data/scn_router_full.yaml", &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    if (rc == 0) {
        const struct route_spec *root = &s.router.strategy.root;
        CHECK(strcmp(root->ops->name, "sticky") == 0);
        CHECK(param(root, "ttl_s", &x) == 0 && x == 600.0);
        CHECK_INT_EQ(root->n_children, 1);
        const struct route_spec *f = &root->children[0];
        CHECK(strcmp(f->ops->name, "filter") == 0);
        /* tags: premium = bit 0, eu-approved = bit 1 */
        CHECK(param(f, "tags_required", &x) == 0 && x == 2.0);
        CHECK(param(f, "fail_open", &x) == 0 && x == 1.0);
        CHECK(strcmp(f->children[0].ops->name, "least_inflight") == 0);
        CHECK_INT_EQ(s.n_groups, 2);
        CHECK_INT_EQ(s.backends[0].route.model_group, scn_group_id(&s, "gpt-4o"));
        CHECK_INT_EQ(s.backends[2].route.model_group, scn_group_id(&s, "claude"));
        CHECK_INT_EQ(s.router.default_group, scn_group_id(&s, "claude"));
        CHECK_INT_EQ(s.backends[0].route.region, scn_region_id(&s, "eu"));
        CHECK_INT_EQ(s.backends[1].route.region, scn_region_id(&s, "us"));
        CHECK_INT_EQ(s.backends[0].route.tags, 3);
        CHECK_INT_EQ(s.backends[1].route.tags, 1);
        CHECK_NEAR(s.backends[1].route.budget_usd, 5.0, 1e-12);
        CHECK_INT_EQ(s.backends[1].route.budget_window_ns, 3600 * NS_PER_S);
        CHECK_INT_EQ(s.backends[2].route.kind, ROUTE_KIND_TOOL);
        CHECK_INT_EQ(s.backends[2].route.size_class, 1);
        const struct route_health_cfg *h = &s.router.health;
        CHECK(h->cooldown && h->breaker && h->outlier);
        CHECK_INT_EQ(h->cooldown_ns, 7 * NS_PER_S);
        CHECK_INT_EQ(h->allowed_fails, 3);
        CHECK_INT_EQ(h->breaker_consecutive, 4);
        CHECK_INT_EQ(h->breaker_open_ns, 20 * NS_PER_S);
        CHECK_INT_EQ(h->breaker_probes, 2);
        CHECK_NEAR(h->breaker_exploration, 0.02, 1e-12);
        CHECK_INT_EQ(h->outlier_consecutive_5xx, 6);
        CHECK_NEAR(h->outlier_max_ejection, 0.2, 1e-12);
        CHECK_INT_EQ(s.router.retry.preset, ROUTE_BACKOFF_PORTKEY);
        CHECK_INT_EQ(s.router.retry.max_attempts_class[ROUTE_RATE_LIMITED], 5);
        CHECK_INT_EQ(s.router.fallbacks.max_depth, 2);
        CHECK_INT_EQ(s.router.fallbacks.n_rules, 2);
        CHECK_INT_EQ(s.router.fallbacks.rules[0].cls, ROUTE_EC_CONTEXT_WINDOW);
        CHECK_INT_EQ(s.router.fallbacks.rules[1].from_group, ROUTE_FALLBACK_ANY);
        CHECK_INT_EQ(s.router.fallbacks.rules[1].cls, ROUTE_EC_GENERIC);
        CHECK_INT_EQ(s.router.fallbacks.rules[1].n_to, 2);
        CHECK_INT_EQ(route_fallback_target(&s.router.fallbacks, scn_group_id(&s, "gpt-4o"),
                                           ROUTE_EC_CONTEXT_WINDOW, 0),
                     scn_group_id(&s, "claude"));
        CHECK_INT_EQ(s.router.hedge.after_ns, 1500000000LL);
        CHECK_INT_EQ(s.router.hedge.max_hedges, 2);
        CHECK_INT_EQ(s.router.hedge.bill_loser, API_BILL_INPUT);
        CHECK_INT_EQ(s.router.replicas, 3);
        CHECK_INT_EQ(s.router.staleness_ns, 250000000LL);
        CHECK_INT_EQ(s.n_compare, 1);
        const struct route_spec *lb = &s.compare[0].root;
        CHECK(strcmp(s.compare[0].label, "split") == 0);
        CHECK_INT_EQ(lb->n_children, 2);
        CHECK_NEAR(lb->children[0].weight, 3.0, 0);
        CHECK_NEAR(lb->children[1].weight, 1.0, 0); /* Portkey's default weight */
        CHECK(lb->children[0].backends != NULL && lb->children[0].backends[0] == 3u);
        CHECK(lb->children[1].backends != NULL && lb->children[1].backends[0] == 4u);
        scn_free(&s);
    }

    expect_error("router: {strategy: {strategy: sticky}}\n", "0 child strategies|'sticky'");
    expect_error("router: {strategy: {strategy: round_robin, child: random}}\n",
                 "1 child strategies|expected none");
    expect_error("router: {strategy: {strategy: filter, child: {strategy: random, label: x}}}\n",
                 "'label' on a nested strategy");
    expect_error("compare: [{strategy: loadbalance, children: [{strategy: random, backends: "
                 "[alpah]}]}]\n",
                 "alpah|did you mean 'alpha'");
    expect_error("compare: [{strategy: loadbalance, children: [{strategy: random, weight: -1}]}]\n",
                 "weight >= 0");
    expect_error("router: {strategy: {strategy: filter, params: {tags_required: [t9]}, child: "
                 "random}}\n",
                 "tag 't9'|some backend carries");
    expect_error("router: {health: {cooldwn: {}}}\n", "cooldwn|did you mean 'cooldown'");
    expect_error("router: {health: {breaker: {probs: 3}}}\n", "probs|did you mean 'probes'");
    expect_error("router: {retries: {preset: litelm}}\n", "litelm|did you mean 'litellm'");
    expect_error("router: {retries: {per_status: {4xx: 1}}}\n", "4xx|429");
    expect_error("router: {fallbacks: {rules: [{from: g1, on: context, to: [g2]}]}}\n",
                 "context|context_window");
    expect_error("router: {fallbacks: {rules: [{from: g1}]}}\n", "without 'to'");
    expect_error("router: {fallbacks: {}}\n", "without 'rules'");
    /* A fallback to a group no backend serves would fall back to nothing. */
    expect_error("router: {fallbacks: {rules: [{from: g1, to: [g3]}]}}\n",
                 ":5:46:|fallback group 'g3' that no backend serves|did you mean 'g");
    expect_error("router: {hedge: {max: 1}}\n", "neither 'after' nor 'percentile'");
    expect_error("router: {hedge: {after: 1s, percentile: 90%}}\n",
                 "both 'after' and 'percentile'");
    expect_error("router: {hedge: {percentile: 100%}}\n", "strictly between");
    expect_error("router: {replicas: 0}\n", "at least 1");
    expect_error("router: {default_group: g3}\n", "'g3'|group some backend serves");
    expect_error("backends: []\n", "duplicate key 'backends'");
    return check_report("test_scn_router");
}
