/*
 * scn_litellm_settings.c - the LiteLLM importer's key tables (the class of
 * every key with no code of its own) and the router settings resolved as
 * LiteLLM resolves them (docs/notes/litellm-replay.md 2.3-2.6, 3.3-3.5).
 */
#include "scn_litellm_int.h"

#include <stdio.h>
#include <string.h>

/* LiteLLM's constants (litellm-replay.md 3.3-3.5; L:litellm/constants.py) */

/* num_retries when neither router_settings nor litellm_settings set it:
 * openai.DEFAULT_MAX_RETRIES (L:litellm/router.py:464-469; 2.4 "Count"). */
#define LLM_DEFAULT_NUM_RETRIES 2
/* Router timeout fallback: litellm.request_timeout = 6000 s
 * (L:litellm/constants.py:276; 2.6 "Timeout resolution"). */
#define LLM_DEFAULT_REQUEST_TIMEOUT_S 6000.0
/* DEFAULT_COOLDOWN_TIME_SECONDS; router cooldown_time 0 also means it
 * (`arg or 5`, L:litellm/router.py:455; 2.3 "Duration"). */
#define LLM_DEFAULT_COOLDOWN_S 5.0
/* litellm.allowed_fails: a router value equal to it means "unset", i.e.
 * the v2 rules (L:litellm/router_utils/cooldown_handlers.py:430-444). */
#define LLM_DEFAULT_ALLOWED_FAILS 3
/* ROUTER_MAX_FALLBACKS (L:litellm/constants.py:11). */
#define LLM_DEFAULT_MAX_FALLBACKS 5
/* v2: fail ratio > 50% (DEFAULT_FAILURE_THRESHOLD_PERCENT) over at least 5
 * requests (DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS, 2026; 2.3). */
#define LLM_DEFAULT_FAIL_RATIO    0.5
#define LLM_DEFAULT_FAIL_MIN_REQS 5
/* ---------------------------------------------------------------------
 * Key tables: the keys with no code of their own, and their class
 * ------------------------------------------------------------------- */

/* litellm_params (3.1). */
const struct keyclass scn__llm_lp_keys[] = {
    {"model", HANDLED, NULL},
    {"rpm", HANDLED, NULL},
    {"tpm", HANDLED, NULL},
    {"weight", HANDLED, NULL},
    {"order", HANDLED, NULL},
    {"max_parallel_requests", HANDLED, NULL},
    {"timeout", HANDLED, NULL},
    {"request_timeout", HANDLED, NULL},
    {"stream_timeout", HANDLED, NULL},
    {"num_retries", HANDLED, NULL},
    {"cooldown_time", HANDLED, NULL},
    {"input_cost_per_token", HANDLED, NULL},
    {"output_cost_per_token", HANDLED, NULL},
    {"api_key", HANDLED, NULL},
    {"api_base", HANDLED, NULL},
    {"organization", HANDLED, NULL},
    {"litellm_credential_name", HANDLED, NULL},
    {"custom_llm_provider", HANDLED, NULL},
    {"region_name", HANDLED, NULL},
    {"tags", HANDLED, NULL},
    {"max_budget", HANDLED, NULL},
    {"budget_duration", HANDLED, NULL},
    {"max_retries", SCN_IMP_IGNORED,
     "SDK inner retries; the Router forces 0 (L:litellm/router.py:528)"},
    {"api_version", SCN_IMP_IGNORED, "identity of the call only"},
    {"base_model", SCN_IMP_APPROX, "cost-map name; lbsim prices `model` from its own catalog"},
    {"input_cost_per_second", SCN_IMP_UNSUPPORTED, "per-second billing is not modelled"},
    {"output_cost_per_second", SCN_IMP_UNSUPPORTED, "per-second billing is not modelled"},
    {"itpm", SCN_IMP_UNSUPPORTED, "the router-side input-TPM check is not modelled"},
    {"otpm", SCN_IMP_UNSUPPORTED, "the router-side output-TPM check is not modelled"},
    {"mock_response", SCN_IMP_UNSUPPORTED, "test switch: use backends[].faults"},
    {"mock_timeout", SCN_IMP_UNSUPPORTED, "test switch: use backends[].faults"},
    {"tag_regex", SCN_IMP_UNSUPPORTED, "request tags are not modelled"},
    {"use_in_pass_through", SCN_IMP_IGNORED, "no load-balancing effect"},
    {"merge_reasoning_content_in_choices", SCN_IMP_IGNORED, "response shaping"},
    {"vector_store_id", SCN_IMP_IGNORED, "no load-balancing effect"},
    {"aws_region_name", SCN_IMP_IGNORED, "identity of the call only"},
    {"aws_access_key_id", SCN_IMP_IGNORED, "identity of the call only"},
    {"aws_secret_access_key", SCN_IMP_IGNORED, "identity of the call only"},
    {"vertex_project", SCN_IMP_IGNORED, "identity of the call only"},
    {"vertex_location", SCN_IMP_IGNORED, "identity of the call only"},
    {"vertex_credentials", SCN_IMP_IGNORED, "identity of the call only"},
    {"temperature", SCN_IMP_IGNORED, "a request parameter"},
    {"max_tokens", SCN_IMP_IGNORED, "a request parameter"},
    {"drop_params", SCN_IMP_IGNORED, "a request parameter"},
    {"extra_headers", SCN_IMP_IGNORED, "a request parameter"},
};
const size_t scn__llm_n_lp_keys = SCN__NELEM(scn__llm_lp_keys);

/* model_info (3.2). */
const struct keyclass scn__llm_mi_keys[] = {
    {"id", HANDLED, NULL},
    {"rpm", HANDLED, NULL},
    {"tpm", HANDLED, NULL},
    {"order", HANDLED, NULL},
    {"max_input_tokens", HANDLED, NULL},
    {"input_cost_per_token", HANDLED, NULL},
    {"output_cost_per_token", HANDLED, NULL},
    {"cooldown_time", HANDLED, NULL},
    {"max_tokens", SCN_IMP_IGNORED,
     "the context window comes from max_input_tokens or the catalog"},
    {"max_output_tokens", SCN_IMP_IGNORED, "output limits are not checked at routing"},
    {"base_model", SCN_IMP_APPROX, "cost-map name; lbsim prices `model` from its own catalog"},
    {"mode", SCN_IMP_IGNORED, "endpoint type"},
    {"supports_function_calling", SCN_IMP_IGNORED,
     "capability flag, no filter without pre-call checks"},
    {"supports_vision", SCN_IMP_IGNORED, "capability flag"},
    {"supports_web_search", SCN_IMP_UNSUPPORTED, "the 2026 web-search filter is not modelled"},
    {"allowed_fails", SCN_IMP_UNSUPPORTED, "per-deployment allowed_fails (2026) is not modelled"},
    {"allowed_fails_policy", SCN_IMP_UNSUPPORTED,
     "per-deployment allowed_fails_policy (2026) is not modelled"},
    {"team_id", SCN_IMP_UNSUPPORTED, "team filtering needs tenants as principals"},
    {"access_groups", SCN_IMP_UNSUPPORTED, "access groups need tenants as principals"},
    {"blocked", SCN_IMP_UNSUPPORTED, "admin state is not modelled: leave the deployment out"},
    {"paused", SCN_IMP_UNSUPPORTED, "admin state is not modelled: leave the deployment out"},
    {"allow_fail_open", SCN_IMP_UNSUPPORTED, "tag routing is not modelled"},
    {"tier", SCN_IMP_IGNORED, "used by the free/paid auto-routers only"},
    {"db_model", SCN_IMP_IGNORED, "admin metadata"},
    {"description", SCN_IMP_IGNORED, "admin metadata"},
};
const size_t scn__llm_n_mi_keys = SCN__NELEM(scn__llm_mi_keys);

/* router_settings (3.3). */
const struct keyclass scn__llm_rs_keys[] = {
    {"routing_strategy", HANDLED, NULL},
    {"routing_strategy_args", HANDLED, NULL},
    {"num_retries", HANDLED, NULL},
    {"retry_policy", HANDLED, NULL},
    {"model_group_retry_policy", HANDLED, NULL},
    {"retry_after", HANDLED, NULL},
    {"allowed_fails", HANDLED, NULL},
    {"allowed_fails_policy", HANDLED, NULL},
    {"cooldown_time", HANDLED, NULL},
    {"disable_cooldowns", HANDLED, NULL},
    {"fallbacks", HANDLED, NULL},
    {"default_fallbacks", HANDLED, NULL},
    {"context_window_fallbacks", HANDLED, NULL},
    {"content_policy_fallbacks", HANDLED, NULL},
    {"max_fallbacks", HANDLED, NULL},
    {"timeout", HANDLED, NULL},
    {"stream_timeout", HANDLED, NULL},
    {"enable_pre_call_checks", HANDLED, NULL},
    {"default_max_parallel_requests", HANDLED, NULL},
    {"model_group_alias", HANDLED, NULL},
    {"redis_host", HANDLED, NULL},
    {"redis_port", HANDLED, NULL},
    {"redis_password", HANDLED, NULL},
    {"redis_url", HANDLED, NULL},
    {"cache_kwargs", SCN_IMP_IGNORED, "Redis connection details"},
    {"optional_pre_call_checks", SCN_IMP_UNSUPPORTED,
     "budget, prompt-caching, affinity and enforce_model_rate_limits pre-call checks are not "
     "modelled"},
    {"enable_tag_filtering", SCN_IMP_UNSUPPORTED, "request tags are not modelled"},
    {"tag_filtering_match_any", SCN_IMP_UNSUPPORTED, "request tags are not modelled"},
    {"provider_budget_config", SCN_IMP_UNSUPPORTED, "provider-wide budgets are not modelled"},
    {"default_priority", SCN_IMP_UNSUPPORTED, "the priority scheduler is not modelled"},
    {"polling_interval", SCN_IMP_UNSUPPORTED, "the priority scheduler is not modelled"},
    {"routing_groups", SCN_IMP_UNSUPPORTED, "per-group strategies (2026) are not modelled"},
    {"cache_responses", SCN_IMP_UNSUPPORTED, "the response cache is not imported: use cache:"},
    {"caching_groups", SCN_IMP_UNSUPPORTED, "the response cache is not imported: use cache:"},
    {"default_litellm_params", SCN_IMP_UNSUPPORTED, "per-request defaults are not imported"},
    {"deployment_affinity_ttl_seconds", SCN_IMP_UNSUPPORTED, "affinity routing is not imported"},
    {"enable_health_check_routing", SCN_IMP_UNSUPPORTED, "active health checks are not modelled"},
    {"enable_weighted_failover", SCN_IMP_UNSUPPORTED, "weighted failover is not modelled"},
    {"alerting_config", SCN_IMP_IGNORED, "no routing effect"},
    {"client_ttl", SCN_IMP_IGNORED, "no routing effect"},
    {"debug_level", SCN_IMP_IGNORED, "no routing effect"},
    {"set_verbose", SCN_IMP_IGNORED, "no routing effect"},
    {"router_general_settings", SCN_IMP_IGNORED, "no routing effect"},
    {"ignore_invalid_deployments", SCN_IMP_IGNORED, "no routing effect"},
    {"search_tools", SCN_IMP_IGNORED, "no routing effect"},
    {"assistants_config", SCN_IMP_IGNORED, "no routing effect"},
};
const size_t scn__llm_n_rs_keys = SCN__NELEM(scn__llm_rs_keys);

/* litellm_settings (3.4): module globals. */
const struct keyclass scn__llm_ls_keys[] = {
    {"num_retries", HANDLED, NULL},
    {"request_timeout", HANDLED, NULL},
    {"fallbacks", HANDLED, NULL},
    {"context_window_fallbacks", HANDLED, NULL},
    {"content_policy_fallbacks", HANDLED, NULL},
    {"default_fallbacks", HANDLED, NULL},
    {"max_fallbacks", HANDLED, NULL},
    {"allowed_fails", HANDLED, NULL},
    {"cooldown_time", HANDLED, NULL},
    {"num_retries_per_request", SCN_IMP_IGNORED, "not enforced on async paths (2026)"},
    {"cache", SCN_IMP_UNSUPPORTED, "the response cache is not imported: use cache:"},
    {"cache_params", SCN_IMP_UNSUPPORTED, "the response cache is not imported: use cache:"},
    {"drop_params", SCN_IMP_IGNORED, "request shaping"},
};
const size_t scn__llm_n_ls_keys = SCN__NELEM(scn__llm_ls_keys);

/* general_settings (3.5). */
const struct keyclass scn__llm_gs_keys[] = {
    {"max_parallel_requests", SCN_IMP_UNSUPPORTED,
     "a proxy-wide concurrency limit is not modelled"},
    {"global_max_parallel_requests", SCN_IMP_UNSUPPORTED,
     "a proxy-wide concurrency limit is not modelled"},
    {"background_health_checks", SCN_IMP_UNSUPPORTED, "active health checks are not modelled"},
    {"health_check_interval", SCN_IMP_UNSUPPORTED, "active health checks are not modelled"},
};
const size_t scn__llm_n_gs_keys = SCN__NELEM(scn__llm_gs_keys);

/* environment_variables (3.5): the constants they retune. */
const struct keyclass scn__llm_env_keys[] = {
    {"DEFAULT_COOLDOWN_TIME_SECONDS", HANDLED, NULL},
    {"DEFAULT_ALLOWED_FAILS", HANDLED, NULL},
    {"DEFAULT_FAILURE_THRESHOLD_PERCENT", HANDLED, NULL},
    {"DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS", HANDLED, NULL},
    {"ROUTER_MAX_FALLBACKS", HANDLED, NULL},
    {"REQUEST_TIMEOUT", HANDLED, NULL},
    {"SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD", SCN_IMP_UNSUPPORTED,
     "lbsim's 100%-failure threshold is fixed at 1000 requests"},
    {"INITIAL_RETRY_DELAY", SCN_IMP_UNSUPPORTED,
     "the LiteLLM loop's backoff base is fixed at 0.5 s"},
    {"MAX_RETRY_DELAY", SCN_IMP_UNSUPPORTED, "the LiteLLM loop's backoff cap is fixed at 8 s"},
    {"JITTER", SCN_IMP_UNSUPPORTED, "the LiteLLM loop's jitter is fixed at 0.75 s"},
};
const size_t scn__llm_n_env_keys = SCN__NELEM(scn__llm_env_keys);

/* The class of `key` in a table: SCN_IMP_N_ when unknown there. */
static const struct keyclass *find_kc(const struct keyclass *kc, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kc[i].key, key) == 0)
            return &kc[i];
    return NULL;
}

/* One report line for each key of mapping m that has no code of its own:
 * its class from the table, else `unknown_cls` with `unknown_why`. */
void scn__llm_note_table(struct lt *t, const yaml_node_t *m, const char *prefix,
                         const struct keyclass *kc, size_t n, enum scn_import_class unknown_cls,
                         const char *unknown_why)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = scn__llm_node(t, p->key);
        if (!scn__llm_str(k))
            continue;
        const struct keyclass *c = find_kc(kc, n, scn__llm_str(k));
        char key[256];
        snprintf(key, sizeof key, "%s.%s", prefix, scn__llm_str(k));
        if (c == NULL)
            scn__llm_note(t, unknown_cls, k, key, "%s", unknown_why);
        else if (c->cls != HANDLED)
            scn__llm_note(t, c->cls, k, key, "%s", c->why);
    }
}

/* ---------------------------------------------------------------------
 * Settings resolved as LiteLLM resolves them
 * ------------------------------------------------------------------- */

/* Router-side value of `key`: router_settings, else litellm_settings. */
const yaml_node_t *scn__llm_rs_or_ls(struct lt *t, const char *key, const char **from)
{
    const yaml_node_t *v = scn__llm_get(t, t->rs, key);
    if (!scn__llm_is_null(v)) {
        *from = "router_settings";
        return v;
    }
    v = scn__llm_get(t, t->ls, key);
    if (!scn__llm_is_null(v)) {
        *from = "litellm_settings";
        return v;
    }
    return NULL;
}

static int env_num(struct lt *t, const char *name, double *v)
{
    const yaml_node_t *n = scn__llm_get(t, t->env, name);
    if (n == NULL)
        return 0;
    char key[96];
    snprintf(key, sizeof key, "environment_variables.%s", name);
    int r = scn__llm_num(t, n, key, v);
    if (r > 0)
        scn__llm_note(t, SCN_IMP_MAPPED, n, key, "retunes LiteLLM's constant to %g", *v);
    return r;
}

int scn__llm_resolve(struct lt *t, struct settings *s)
{
    const char *from = NULL;
    const yaml_node_t *n;
    double v;
    int r;
    char key[160];

    /* environment_variables: the constants they retune (3.5) */
    double env_cool = LLM_DEFAULT_COOLDOWN_S, env_af = LLM_DEFAULT_ALLOWED_FAILS,
           env_ratio = LLM_DEFAULT_FAIL_RATIO, env_min = LLM_DEFAULT_FAIL_MIN_REQS,
           env_mf = LLM_DEFAULT_MAX_FALLBACKS, env_to = LLM_DEFAULT_REQUEST_TIMEOUT_S;
    if (env_num(t, "DEFAULT_COOLDOWN_TIME_SECONDS", &env_cool) < 0 ||
        env_num(t, "DEFAULT_ALLOWED_FAILS", &env_af) < 0 ||
        env_num(t, "DEFAULT_FAILURE_THRESHOLD_PERCENT", &env_ratio) < 0 ||
        env_num(t, "DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS", &env_min) < 0 ||
        env_num(t, "ROUTER_MAX_FALLBACKS", &env_mf) < 0 ||
        env_num(t, "REQUEST_TIMEOUT", &env_to) < 0)
        return -1;
    if (env_ratio > 1)
        return scn__llm_fail(
            t, scn__llm_get(t, t->env, "DEFAULT_FAILURE_THRESHOLD_PERCENT"),
            "found %g for DEFAULT_FAILURE_THRESHOLD_PERCENT, expected a fraction in "
            "[0, 1]",
            env_ratio);
    scn__llm_note_table(t, t->env, "environment_variables", scn__llm_env_keys,
                        SCN__NELEM(scn__llm_env_keys), SCN_IMP_IGNORED,
                        "not a constant the routing reads");

    /* num_retries: router_settings -> litellm_settings -> 2 (2.4 "Count") */
    s->num_retries = LLM_DEFAULT_NUM_RETRIES;
    n = scn__llm_rs_or_ls(t, "num_retries", &from);
    snprintf(key, sizeof key, "%s.num_retries", from ? from : "router_settings");
    if ((r = scn__llm_num(t, n, key, &v)) < 0)
        return -1;
    if (r) {
        s->num_retries = v;
        scn__llm_note(t, SCN_IMP_MAPPED, n, key, "router.litellm.num_retries: %g (%g attempts)", v,
                      v + 1);
        if (strcmp(from, "router_settings") == 0 && scn__llm_get(t, t->ls, "num_retries"))
            scn__llm_note(t, SCN_IMP_IGNORED, scn__llm_get(t, t->ls, "num_retries"),
                          "litellm_settings.num_retries", "router_settings.num_retries wins");
    } else {
        scn__llm_note(
            t, SCN_IMP_DEFAULTED, NULL, "router.litellm.num_retries",
            "2 (openai.DEFAULT_MAX_RETRIES: neither router_settings nor litellm_settings set it)");
    }

    /* timeout: router timeout -> litellm_settings.request_timeout -> 6000 s */
    s->timeout_s = env_to;
    n = scn__llm_get(t, t->rs, "timeout");
    from = "router_settings.timeout";
    if (scn__llm_is_null(n)) {
        n = scn__llm_get(t, t->ls, "request_timeout");
        from = "litellm_settings.request_timeout";
    }
    if ((r = scn__llm_num(t, n, from, &v)) < 0)
        return -1;
    if (r) {
        s->timeout_s = v;
        scn__llm_note(
            t, SCN_IMP_APPROX, n, from,
            "router.request_timeout: %gs, a total-request timeout of non-streamed attempts; "
            "router.timeout (time to first token) is set to the same bound",
            v);
    } else {
        scn__llm_note(t, SCN_IMP_DEFAULTED, NULL, "router.request_timeout",
                      "%gs (litellm.request_timeout: no router timeout given)", s->timeout_s);
    }
    if (!scn__llm_is_null(scn__llm_get(t, t->rs, "timeout")) &&
        scn__llm_get(t, t->ls, "request_timeout"))
        scn__llm_note(t, SCN_IMP_IGNORED, scn__llm_get(t, t->ls, "request_timeout"),
                      "litellm_settings.request_timeout", "router_settings.timeout wins");
    s->stream_timeout_s = -1;
    n = scn__llm_get(t, t->rs, "stream_timeout");
    if ((r = scn__llm_num(t, n, "router_settings.stream_timeout", &v)) < 0)
        return -1;
    if (r) {
        s->stream_timeout_s = v;
        scn__llm_note(t, SCN_IMP_MAPPED, n, "router_settings.stream_timeout",
                      "router.stream_timeout: %gs", v);
    }

    /* max_fallbacks: router -> litellm_settings -> ROUTER_MAX_FALLBACKS */
    s->max_fallbacks = env_mf;
    n = scn__llm_rs_or_ls(t, "max_fallbacks", &from);
    snprintf(key, sizeof key, "%s.max_fallbacks", from ? from : "router_settings");
    if ((r = scn__llm_num(t, n, key, &v)) < 0)
        return -1;
    if (r) {
        s->max_fallbacks = v;
        scn__llm_note(t, SCN_IMP_MAPPED, n, key,
                      "router.litellm.max_fallbacks and fallbacks.max_depth: %g", v);
    }

    /* cooldowns (2.3): on by default */
    s->cooldowns = true;
    n = scn__llm_get(t, t->rs, "disable_cooldowns");
    if (!scn__llm_is_null(n)) {
        bool b;
        if (scn__llm_boolean(t, n, "router_settings.disable_cooldowns", &b) < 0)
            return -1;
        s->cooldowns = !b;
        scn__llm_note(t, SCN_IMP_MAPPED, n, "router_settings.disable_cooldowns",
                      b ? "no router.health.cooldown" : "cooldowns stay on");
    }
    s->cooldown_s = env_cool;
    n = scn__llm_get(t, t->rs, "cooldown_time");
    if ((r = scn__llm_num(t, n, "router_settings.cooldown_time", &v)) < 0)
        return -1;
    if (r && v == 0) {
        scn__llm_note(
            t, SCN_IMP_WARNING, n, "router_settings.cooldown_time",
            "0 means %gs: the Router takes `cooldown_time or 5` (L:litellm/router.py:455); set "
            "disable_cooldowns: true to turn cooldowns off",
            env_cool);
    } else if (r) {
        s->cooldown_s = v;
        scn__llm_note(t, SCN_IMP_MAPPED, n, "router_settings.cooldown_time",
                      "router.health.cooldown.time: %gs", v);
    } else if (s->cooldowns) {
        scn__llm_note(t, SCN_IMP_DEFAULTED, NULL, "router.health.cooldown.time",
                      "%gs (DEFAULT_COOLDOWN_TIME_SECONDS)", env_cool);
    }
    if ((n = scn__llm_get(t, t->ls, "cooldown_time")) != NULL)
        scn__llm_note(t, SCN_IMP_WARNING, n, "litellm_settings.cooldown_time",
                      "ignored: the Router uses only router_settings.cooldown_time "
                      "(L:litellm/router.py:455); move it to router_settings");
    if ((n = scn__llm_get(t, t->ls, "allowed_fails")) != NULL)
        scn__llm_note(
            t, SCN_IMP_WARNING, n, "litellm_settings.allowed_fails",
            "ignored: the Router copies it and then treats the equal value as unset, so the v2 "
            "cooldown rules apply (L:litellm/router_utils/cooldown_handlers.py:430-444); move it "
            "to router_settings");
    s->v2 = true;
    s->allowed_fails = 0;
    n = scn__llm_get(t, t->rs, "allowed_fails");
    if ((r = scn__llm_num(t, n, "router_settings.allowed_fails", &v)) < 0)
        return -1;
    if (r && v == env_af) {
        scn__llm_note(
            t, SCN_IMP_WARNING, n, "router_settings.allowed_fails",
            "%g equals litellm.allowed_fails (DEFAULT_ALLOWED_FAILS), which LiteLLM treats as "
            "unset: the v2 cooldown rules apply, not 'cool after %g failures' "
            "(L:litellm/router_utils/cooldown_handlers.py:194-200,430-444)",
            v, v);
    } else if (r) {
        s->v2 = false;
        s->allowed_fails = v;
        scn__llm_note(
            t, SCN_IMP_APPROX, n, "router_settings.allowed_fails",
            "router.health.cooldown.allowed_fails: %g (v1 rules; lbsim's window is refreshed "
            "by each failure, LiteLLM's is fixed from the first)",
            v);
    }
    if ((n = scn__llm_get(t, t->rs, "allowed_fails_policy")) != NULL) {
        if (scn__llm_want_map(t, n, "router_settings.allowed_fails_policy"))
            return -1;
        s->v2 = false;
        scn__llm_note(t, SCN_IMP_MAPPED, n, "router_settings.allowed_fails_policy",
                      "router.health.cooldown.allowed_fails_policy (v1 rules per exception type)");
    }
    s->fail_ratio = env_ratio;
    s->fail_min = env_min;

    /* concurrency default */
    s->default_max_parallel = -1;
    n = scn__llm_get(t, t->rs, "default_max_parallel_requests");
    if ((r = scn__llm_num(t, n, "router_settings.default_max_parallel_requests", &v)) < 0)
        return -1;
    if (r) {
        s->default_max_parallel = v;
        scn__llm_note(t, SCN_IMP_MAPPED, n, "router_settings.default_max_parallel_requests",
                      "max_inflight of deployments without rpm, tpm or max_parallel_requests: %g",
                      v);
    }
    n = scn__llm_get(t, t->rs, "enable_pre_call_checks");
    if (!scn__llm_is_null(n)) {
        if (scn__llm_boolean(t, n, "router_settings.enable_pre_call_checks", &s->pre_call_checks) <
            0)
            return -1;
        scn__llm_note(t, SCN_IMP_APPROX, n, "router_settings.enable_pre_call_checks",
                      s->pre_call_checks
                          ? "a `filter` wrapper (context window, region, budget); lbsim "
                            "checks input + max_tokens against the window, LiteLLM input "
                            "only; the RPM pre-check is not modelled"
                          : "off");
    }

    /* Redis: shared counters and cooldowns (2.6 "Redis and multiple instances") */
    s->redis = !scn__llm_is_null(scn__llm_get(t, t->rs, "redis_host")) ||
               !scn__llm_is_null(scn__llm_get(t, t->rs, "redis_url"));
    static const char *const redis_keys[] = {"redis_host", "redis_url", "redis_port",
                                             "redis_password"};
    for (size_t i = 0; i < SCN__NELEM(redis_keys); i++)
        if ((n = scn__llm_get(t, t->rs, redis_keys[i])) != NULL) {
            snprintf(key, sizeof key, "router_settings.%s", redis_keys[i]);
            if (i < 2)
                scn__llm_note(
                    t, SCN_IMP_APPROX, n, key,
                    "router.shared_state: true (state shared with no lag; LiteLLM batches "
                    "Redis reads and writes)");
            else
                scn__llm_note(t, SCN_IMP_IGNORED, n, key, "Redis connection details");
        }

    /* the strategy (3.3) */
    s->strategy_node = scn__llm_get(t, t->rs, "routing_strategy");
    s->strategy =
        scn__llm_is_null(s->strategy_node) ? "simple-shuffle" : scn__llm_str(s->strategy_node);
    if (s->strategy == NULL)
        return scn__llm_fail(t, s->strategy_node,
                             "found %s for 'routing_strategy', expected one of simple-shuffle, "
                             "least-busy, usage-based-routing, usage-based-routing-v2, "
                             "latency-based-routing, cost-based-routing",
                             scn__llm_describe(s->strategy_node));
    return 0;
}
