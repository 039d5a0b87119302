/*
 * test_scn_loop.c - the scenario keys of the per-request loop (issue 13):
 * router.loop, router.litellm, router.health.cooldown.allowed_fails_policy,
 * backends[].num_retries and backends[].cooldown_time, their defaults and
 * their errors (file:line:col, found, expected).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scn.h"
#include "tmp.h"

#define NS_PER_S 1000000000LL

static int load_text(const char *text, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_file(path, sizeof path, "scn_loop", text) != 0)
        return -2;
    int rc = scn_load(path, s, err, errlen);
    remove(path);
    return rc;
}

/* Lines 1-5; the router starts on line 6. */
static const char *const head =
    "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, output_tokens: 1}}\n"
    "backends:\n"
    "  - {name: a0, group: A, num_retries: 0, cooldown_time: 30s, latency: {ttft: 1s}}\n"
    "  - {name: a1, group: A, cooldown_time: 0s, latency: {ttft: 1s}}\n"
    "  - {name: b0, group: B, latency: {ttft: 1s}}\n";

static void expect_error(const char *tail, const char *needles)
{
    char text[2048], err[1024] = "", buf[512];
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

static void test_full(void)
{
    char text[2048], err[1024] = "";
    struct scenario s;
    snprintf(text, sizeof text, "%s%s", head,
             "router:\n"
             "  loop: litellm\n"
             "  litellm:\n"
             "    num_retries: 3\n"
             "    retry_policy: {RateLimitErrorRetries: 1, DefaultRetries: 2}\n"
             "    model_group_retry_policy: {B: {InternalServerErrorRetries: 4}}\n"
             "    retry_after: 2s\n"
             "    max_fallbacks: 2\n"
             "  health:\n"
             "    cooldown: {allowed_fails_policy: {RateLimitErrorAllowedFails: 3,\n"
             "               NotFoundErrorAllowedFails: 0}}\n"
             "  fallbacks: {rules: [{from: A, to: [B]}]}\n");
    int rc = load_text(text, &s, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0)
        return;
    const struct route_llm_cfg *l = &s.router.litellm;
    CHECK_INT_EQ(s.router.loop, ROUTE_LOOP_LITELLM);
    CHECK_INT_EQ(l->num_retries, 3);
    CHECK_INT_EQ(l->retry_policy[ROUTE_LLM_POL_RATE_LIMIT], 1);
    CHECK_INT_EQ(l->retry_policy[ROUTE_LLM_POL_DEFAULT], 2);
    CHECK_INT_EQ(l->retry_policy[ROUTE_LLM_POL_TIMEOUT], -1);
    CHECK_INT_EQ(l->n_group_policy, 1);
    if (l->n_group_policy == 1) {
        CHECK_INT_EQ(l->group_policy[0].group, scn_group_id(&s, "B"));
        CHECK_INT_EQ(l->group_policy[0].retries[ROUTE_LLM_POL_INTERNAL_SERVER], 4);
        CHECK_INT_EQ(l->group_policy[0].retries[ROUTE_LLM_POL_RATE_LIMIT], -1);
    }
    CHECK_INT_EQ(l->retry_after_floor_ns, 2 * NS_PER_S);
    CHECK_INT_EQ(l->max_fallbacks, 2);
    CHECK_INT_EQ(l->initial_delay_ns, NS_PER_S / 2);
    CHECK_INT_EQ(l->fallbacks.n_rules, 1);
    CHECK(l->fallbacks.rules == s.router.fallbacks.rules);
    CHECK_INT_EQ(l->n_backends, 3);
    if (l->n_backends == 3) {
        CHECK_INT_EQ(l->backend_num_retries[0], 0);
        CHECK_INT_EQ(l->backend_num_retries[1], -1);
        CHECK_INT_EQ(l->backend_num_retries[2], -1);
    }
    CHECK_INT_EQ(s.backends[0].num_retries, 0);
    CHECK_INT_EQ(s.backends[0].cooldown_ns, 30 * NS_PER_S);
    CHECK_INT_EQ(s.backends[1].cooldown_ns, 0);
    CHECK_INT_EQ(s.backends[2].cooldown_ns, -1);
    CHECK(s.router.health.cooldown);
    CHECK(s.router.health.litellm_cooldown);
    CHECK_INT_EQ(s.router.health.allowed_fails_set,
                 1u << ROUTE_LLM_POL_RATE_LIMIT | 1u << ROUTE_LLM_POL_NOT_FOUND);
    CHECK_INT_EQ(s.router.health.allowed_fails_policy[ROUTE_LLM_POL_RATE_LIMIT], 3);
    CHECK_INT_EQ(s.router.health.allowed_fails_policy[ROUTE_LLM_POL_NOT_FOUND], 0);
    scn_free(&s);
}

/* Without the keys: lbsim's loop, LiteLLM's defaults ready, nothing set. */
static void test_defaults(void)
{
    static const char *const tails[] = {"", "router: {strategy: random}\n"};
    for (int k = 0; k < 2; k++) {
        char text[2048], err[1024] = "";
        struct scenario s;
        snprintf(text, sizeof text, "%s%s", head, tails[k]);
        int rc = load_text(text, &s, err, sizeof err);
        CHECK_INT_EQ(rc, 0);
        if (rc != 0)
            continue;
        CHECK_INT_EQ(s.router.loop, ROUTE_LOOP_LBSIM);
        CHECK_INT_EQ(s.router.litellm.num_retries, 2);
        CHECK_INT_EQ(s.router.litellm.max_fallbacks, 5);
        CHECK_INT_EQ(s.router.litellm.retry_policy[ROUTE_LLM_POL_DEFAULT], -1);
        CHECK_INT_EQ(s.router.litellm.jitter_ns, 750000000LL);
        CHECK(!s.router.health.litellm_cooldown);
        CHECK_INT_EQ(s.router.health.allowed_fails_set, 0);
        CHECK_INT_EQ(s.backends[2].num_retries, -1);
        scn_free(&s);
    }
}

static void test_errors(void)
{
    expect_error("router: {loop: envoy}\n", ":6:|'envoy'|lbsim, litellm, portkey");
    expect_error("router:\n  litellm: {max_fallbacks: 17}\n",
                 ":7:|found max_fallbacks 17|at most 16");
    expect_error("router:\n  litellm: {retry_policy: {RateLimitRetries: 1}}\n",
                 ":7:|RateLimitRetries|did you mean 'RateLimitErrorRetries'");
    expect_error("router:\n  litellm: {retry_policy: {TimeoutErrorRetries: -1}}\n",
                 ":7:|-1|non-negative integer");
    expect_error("router:\n  litellm:\n    model_group_retry_policy: {Z: {DefaultRetries: 1}}\n",
                 ":8:|'Z'|no backend serves");
    expect_error("router:\n  litellm:\n    model_group_retry_policy: [A]\n",
                 ":8:|expected 'model_group_retry_policy': a mapping");
    expect_error("router:\n  litellm:\n    model_group_retry_policy: {A: {}, A: {}}\n",
                 ":8:|'A' twice");
    expect_error("router: {litellm: config.yaml}\n",
                 ":6:|config.yaml|cannot be read|expected a LiteLLM config file");
    expect_error("router: {litellm: {retry_after: soon}}\n", ":6:|soon|duration");
    expect_error("router: {litellm: {num_retries: 2, numretries: 1}}\n",
                 ":6:|numretries|did you mean 'num_retries'");
    expect_error("router: {health: {cooldown: {allowed_fails_policy: {DefaultAllowedFails: 1}}}}\n",
                 ":6:|DefaultAllowedFails|BadRequestErrorAllowedFails");
    expect_error("router: {health: {cooldown: {allowed_fails_policy: {RateLimitErrorAllowedFails: "
                 "x}}}}\n",
                 ":6:|'x'|non-negative integer");
    {
        char text[2048], err[1024] = "";
        struct scenario s;
        snprintf(text, sizeof text,
                 "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, output_tokens: 1}}\n"
                 "backends:\n"
                 "  - {name: a0, num_retries: many, latency: {ttft: 1s}}\n");
        CHECK_INT_EQ(load_text(text, &s, err, sizeof err), -1);
        CHECK_STR_CONTAINS(err, ":3:");
        CHECK_STR_CONTAINS(err, "'many'");
        snprintf(text, sizeof text,
                 "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, output_tokens: 1}}\n"
                 "backends:\n"
                 "  - {name: a0, cooldown_time: -5s, latency: {ttft: 1s}}\n");
        CHECK_INT_EQ(load_text(text, &s, err, sizeof err), -1);
        CHECK_STR_CONTAINS(err, ":3:");
        CHECK_STR_CONTAINS(err, "-5s");
    }
}

int main(void)
{
    test_full();
    test_defaults();
    test_errors();
    return check_report("test_scn_loop");
}
