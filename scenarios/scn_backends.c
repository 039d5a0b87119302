/*
 * scn_backends.c - `backends:`: the keys every backend has, the provider
 * model of api and tool backends (prices, rate limits, latency) and faults
 * (models/faults.h).  A `kind: pool` entry continues in scn_pools.c.
 */
#include "scn_int.h"

#include "catalog.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output rate when a backend gives none: 60 tokens/s.  The
 * llm-speed-benchmark measurements of 2024 put the median output speed of
 * gpt-4o and gpt-4o-mini at 57-64 tokens/s. */
#define SCN_DEFAULT_OUTPUT_TPS 60.0

#define SCN_DEFAULT_ERROR_STATUS  500
#define SCN_DEFAULT_OUTAGE_STATUS 503
/* A brownout's extra errors: 503, as an overloaded upstream answers. */
#define SCN_DEFAULT_BROWNOUT_STATUS 503
/* Largest brownout latency multiplier: slower than this is an outage by
 * another name. */
#define SCN_MAX_LATENCY_X 1000.0

/* Context window of a pool backend that gives none: 131,072 tokens, the
 * max_position_embeddings of meta-llama/Llama-3.1-8B and -70B config.json
 * (every built-in profile serves Llama 3.1). */
#define SCN_POOL_CONTEXT_WINDOW 131072

/* ---------------------------------------------------------------------
 * Faults (models/faults.h) and rate limits
 * ------------------------------------------------------------------- */

/* One window of a fault list (an outage, a brownout, a storm) while the
 * list is checked: its span, node and position in the file. */
struct span_item {
    int64_t start_ns, end_ns;
    const yaml_node_t *node;
    size_t idx;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span_item *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return x->end_ns < y->end_ns ? -1 : (x->end_ns > y->end_ns);
}

/* [start, end) of window n from `start` and exactly one of `duration` and
 * `end`.  `what` is the window with its article ("an outage"), `noun`
 * without ("outage"). */
static int parse_span(struct scn__ctx *c, const yaml_node_t *n, const char *what, const char *noun,
                      const yaml_node_t *vs, const yaml_node_t *vd, const yaml_node_t *ve,
                      struct span_item *it)
{
    char when[96];
    it->node = n;
    snprintf(when, sizeof when, "when the %s starts, e.g. 10m", noun);
    if (vs == NULL)
        return scn__missing(c, n, what, "start", when);
    if (scn__v_duration_ns(c, vs, &it->start_ns))
        return -1;
    if ((vd != NULL) == (ve != NULL))
        return scn__fail(c, n, "found %s with %s, expected exactly one of 'duration' and 'end'",
                         what, ve ? "both 'duration' and 'end'" : "neither 'duration' nor 'end'");
    if (vd) {
        int64_t d = 0;
        if (scn__v_duration_ns(c, vd, &d))
            return -1;
        if (d <= 0)
            return scn__fail(c, vd, "found a zero duration, expected %s > 0", what);
        if (it->start_ns > INT64_MAX - d)
            return scn__fail(c, vd, "found %s ending after 292 years, expected less", what);
        it->end_ns = it->start_ns + d;
    } else {
        if (scn__v_duration_ns(c, ve, &it->end_ns))
            return -1;
        if (it->end_ns <= it->start_ns)
            return scn__fail(c, ve, "found an end at %.9gs, expected an end after start %.9gs",
                             (double)it->end_ns / 1e9, (double)it->start_ns / 1e9);
    }
    return 0;
}

/* Parses one window into *elem (its span into *it). */
typedef int (*window_fn)(struct scn__ctx *c, const yaml_node_t *n, struct span_item *it,
                         void *elem);

/*
 * A list of windows (`key`: a sequence of `shape`), each parsed by fn into
 * an element of elem_size bytes; sorted by start, overlaps refused.  *out
 * gets a malloc'd array (NULL when the list is empty), *count its length.
 */
static int parse_windows(struct scn__ctx *c, const yaml_node_t *n, const char *key,
                         const char *shape, const char *what, const char *noun, size_t elem_size,
                         window_fn fn, void **out, uint32_t *count_out)
{
    char d[64];
    *out = NULL;
    *count_out = 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return scn__fail(c, n, "found %s, expected '%s': a list of %s",
                         scn__describe(n, d, sizeof d), key, shape);
    size_t count = scn__seq_len(n);
    if (count == 0)
        return 0;
    if (count > UINT32_MAX / 2)
        return scn__fail(c, n, "found %zu %ss, expected fewer", count, noun);
    struct span_item *items = calloc(count, sizeof *items);
    unsigned char *raw = calloc(count, elem_size);
    unsigned char *sorted = NULL;
    int rc = items && raw ? 0 : scn__oom(c, n);
    for (size_t i = 0; i < count && rc == 0; i++) {
        const yaml_node_t *it = scn__node_of(c, n->data.sequence.items.start[i]);
        items[i].idx = i;
        rc = it ? fn(c, it, &items[i], raw + i * elem_size) : scn__oom(c, n);
    }
    if (rc == 0) {
        qsort(items, count, sizeof *items, span_cmp);
        for (size_t i = 1; i < count && rc == 0; i++)
            if (items[i].start_ns < items[i - 1].end_ns)
                rc = scn__fail(c, items[i].node,
                               "found %s [%.9gs, %.9gs) overlapping the %s [%.9gs, %.9gs) at line "
                               "%zu, expected non-overlapping %s windows",
                               what, (double)items[i].start_ns / 1e9, (double)items[i].end_ns / 1e9,
                               noun, (double)items[i - 1].start_ns / 1e9,
                               (double)items[i - 1].end_ns / 1e9,
                               items[i - 1].node->start_mark.line + 1, noun);
    }
    if (rc == 0) {
        sorted = malloc(count * elem_size);
        if (sorted == NULL)
            rc = scn__oom(c, n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < count; i++)
            memcpy(sorted + i * elem_size, raw + items[i].idx * elem_size, elem_size);
        *out = sorted;
        *count_out = (uint32_t)count;
    }
    free(items);
    free(raw);
    return rc;
}

static int parse_outage(struct scn__ctx *c, const yaml_node_t *n, struct span_item *it, void *elem)
{
    struct fault_outage *o = elem;
    const yaml_node_t *v[O_N];
    if (scn__check_map(c, n, "an outage", scn__outage_keys, O_N, v))
        return -1;
    if (parse_span(c, n, "an outage", "outage", v[O_START], v[O_DURATION], v[O_END], it))
        return -1;
    o->start_ns = it->start_ns;
    o->end_ns = it->end_ns;
    o->http_status = SCN_DEFAULT_OUTAGE_STATUS;
    if (v[O_STATUS] && scn__v_status(c, v[O_STATUS], &o->http_status))
        return -1;
    return 0;
}

static int parse_brownout(struct scn__ctx *c, const yaml_node_t *n, struct span_item *it,
                          void *elem)
{
    struct fault_brownout *w = elem;
    const yaml_node_t *v[BO_N];
    if (scn__check_map(c, n, "a brownout", scn__brownout_keys, BO_N, v))
        return -1;
    if (parse_span(c, n, "a brownout", "brownout", v[BO_START], v[BO_DURATION], v[BO_END], it))
        return -1;
    w->start_ns = it->start_ns;
    w->end_ns = it->end_ns;
    w->latency_x = 1.0;
    w->error_rate = 0.0;
    w->http_status = SCN_DEFAULT_BROWNOUT_STATUS;
    if (v[BO_LATENCY_X] == NULL && v[BO_ERROR_RATE] == NULL)
        return scn__fail(
            c, n,
            "found a brownout without 'latency_x' or 'error_rate', expected at least one "
            "of them");
    if (v[BO_LATENCY_X]) {
        char q[64];
        if (scn__v_number(c, v[BO_LATENCY_X], &w->latency_x))
            return -1;
        if (!(w->latency_x >= 1.0 && w->latency_x <= SCN_MAX_LATENCY_X))
            return scn__fail(c, v[BO_LATENCY_X],
                             "found %s, expected a latency multiplier from 1 (unchanged) to %g",
                             scn__quote(scn__scalar_str(v[BO_LATENCY_X]), q, sizeof q),
                             SCN_MAX_LATENCY_X);
    }
    if (v[BO_ERROR_RATE] && scn__v_fraction(c, v[BO_ERROR_RATE], &w->error_rate))
        return -1;
    if (v[BO_STATUS] && scn__v_status(c, v[BO_STATUS], &w->http_status))
        return -1;
    return 0;
}

static int parse_storm(struct scn__ctx *c, const yaml_node_t *n, struct span_item *it, void *elem)
{
    struct fault_storm *w = elem;
    const yaml_node_t *v[SM_N];
    if (scn__check_map(c, n, "a storm", scn__storm_keys, SM_N, v))
        return -1;
    if (parse_span(c, n, "a storm", "storm", v[SM_START], v[SM_DURATION], v[SM_END], it))
        return -1;
    w->start_ns = it->start_ns;
    w->end_ns = it->end_ns;
    w->share = 1.0;
    w->retry_after_ns = -1;
    if (v[SM_SHARE]) {
        if (scn__v_fraction(c, v[SM_SHARE], &w->share))
            return -1;
        if (w->share <= 0)
            return scn__fail(c, v[SM_SHARE], "found a share of 0, expected a share above 0");
    }
    if (v[SM_RETRY_AFTER] && scn__v_duration_ns(c, v[SM_RETRY_AFTER], &w->retry_after_ns))
        return -1;
    return 0;
}

static int parse_random_outages(struct scn__ctx *c, const yaml_node_t *n, struct fault_cfg *f)
{
    const yaml_node_t *v[RO_N];
    if (scn__check_map(c, n, "'random_outages'", scn__random_outage_keys, RO_N, v))
        return -1;
    if (v[RO_MTBF] == NULL)
        return scn__missing(c, n, "'random_outages'", "mtbf",
                            "the mean time between failures, e.g. 6h");
    if (v[RO_MTTR] == NULL)
        return scn__missing(c, n, "'random_outages'", "mttr", "the mean time to repair, e.g. 10m");
    if (scn__v_duration_ns(c, v[RO_MTBF], &f->mtbf_ns) ||
        scn__v_duration_ns(c, v[RO_MTTR], &f->mttr_ns))
        return -1;
    if (f->mtbf_ns <= 0)
        return scn__fail(c, v[RO_MTBF],
                         "found a zero mtbf, expected a mean time between failures > 0");
    if (f->mttr_ns <= 0)
        return scn__fail(c, v[RO_MTTR], "found a zero mttr, expected a mean time to repair > 0");
    f->random_status = SCN_DEFAULT_OUTAGE_STATUS;
    if (v[RO_STATUS] && scn__v_status(c, v[RO_STATUS], &f->random_status))
        return -1;
    return 0;
}

/* One entry of `faults.script`: exactly one of `status` (200, or an
 * error 400..599) and `hang: true`; `retry_after` only on a 429 (none by
 * default: an injected 429 carries no Retry-After unless it says so);
 * `class` only on a 400. */
static int parse_script_step(struct scn__ctx *c, const yaml_node_t *n, const struct scn_backend *b,
                             struct fault_script_entry *e)
{
    const yaml_node_t *v[SS_N];
    if (scn__check_map(c, n, "a script step", scn__script_step_keys, SS_N, v))
        return -1;
    e->kind = FAULT_SCRIPT_OK;
    e->http_status = 200;
    e->retry_after_ns = -1;
    if ((v[SS_STATUS] != NULL) == (v[SS_HANG] != NULL))
        return scn__fail(c, n,
                         "found a script step with %s, expected exactly one of 'status' "
                         "and 'hang: true'",
                         v[SS_HANG] ? "both 'status' and 'hang'" : "neither 'status' nor 'hang'");
    if (v[SS_HANG]) {
        bool hang = false;
        if (scn__v_bool(c, v[SS_HANG], &hang))
            return -1;
        if (!hang)
            return scn__fail(c, v[SS_HANG],
                             "found 'hang: false', expected 'hang: true' (normal service is "
                             "'status: 200')");
        e->kind = FAULT_SCRIPT_HANG;
        e->http_status = 0;
    } else {
        int64_t st = 0;
        if (scn__v_int(c, v[SS_STATUS], 200, 599, &st))
            return -1;
        if (st != 200 && st < 400)
            return scn__fail(c, v[SS_STATUS],
                             "found status %d, expected 200 (normal service) or an error "
                             "status 400..599",
                             (int)st);
        e->http_status = (int)st;
        if (st != 200)
            e->kind = FAULT_SCRIPT_STATUS;
    }
    const yaml_node_t *extra = v[SS_RETRY_AFTER] ? v[SS_RETRY_AFTER] : v[SS_CLASS];
    if (e->kind != FAULT_SCRIPT_STATUS && extra != NULL)
        return scn__fail(c, extra,
                         "found '%s' on a script step without an error status, "
                         "expected it with status 429 or 400",
                         v[SS_RETRY_AFTER] ? "retry_after" : "class");
    if (v[SS_RETRY_AFTER]) {
        if (e->http_status != 429)
            return scn__fail(c, v[SS_RETRY_AFTER],
                             "found 'retry_after' on a step with status %d, expected it only "
                             "with status 429",
                             e->http_status);
        if (scn__v_duration_ns(c, v[SS_RETRY_AFTER], &e->retry_after_ns))
            return -1;
    }
    if (v[SS_CLASS]) {
        size_t k = 0;
        if (e->http_status != 400)
            return scn__fail(c, v[SS_CLASS],
                             "found 'class' on a step with status %d, expected it only with "
                             "status 400",
                             e->http_status);
        if (scn__v_enum(c, v[SS_CLASS], "an error class", scn__script_class_names, N_SCRIPT_CLASS,
                        &k))
            return -1;
        e->kind = k == 0 ? FAULT_SCRIPT_CONTEXT_WINDOW : FAULT_SCRIPT_CONTENT_POLICY;
        if (e->kind == FAULT_SCRIPT_CONTENT_POLICY && b->route.kind == ROUTE_KIND_POOL)
            return scn__fail(c, v[SS_CLASS],
                             "found class content_policy on a pool backend, expected it only "
                             "on api backends (a pool has no content policy)");
    }
    return 0;
}

/* `faults.script`: a list of steps, or {steps: [...], repeat: true}. */
static int parse_script(struct scn__ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    struct fault_cfg *f = &b->api.faults;
    const yaml_node_t *steps = n;
    f->script_repeat = false;
    if (n->type == YAML_MAPPING_NODE) {
        const yaml_node_t *v[SC_N];
        if (scn__check_map(c, n, "'script'", scn__script_keys, SC_N, v))
            return -1;
        if (v[SC_STEPS] == NULL)
            return scn__missing(c, n, "'script'", "steps",
                                "a list of steps, e.g. [{status: 429}, {status: 200}]");
        if (v[SC_REPEAT] && scn__v_bool(c, v[SC_REPEAT], &f->script_repeat))
            return -1;
        steps = v[SC_STEPS];
    }
    if (scn__want_seq(c, steps,
                      "a list of script steps ({status: 429, retry_after: 2s}, {status: 500}, "
                      "{status: 400, class: context_window}, {hang: true}, {status: 200})"))
        return -1;
    size_t count = scn__seq_len(steps);
    if (count == 0)
        return scn__fail(c, steps, "found an empty script, expected at least one step");
    if (count > FAULT_SCRIPT_MAX)
        return scn__fail(c, steps, "found a script of %zu steps, expected at most %d", count,
                         FAULT_SCRIPT_MAX);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__node_of(c, steps->data.sequence.items.start[i]);
        if (it == NULL)
            return scn__oom(c, steps);
        if (parse_script_step(c, it, b, &f->script[i]))
            return -1;
    }
    f->n_script = (uint32_t)count;
    return 0;
}

static int parse_faults(struct scn__ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *v[F_N];
    struct fault_cfg *f = &b->api.faults;
    void *arr = NULL;
    uint32_t count = 0;
    if (scn__check_map(c, n, "'faults'", scn__fault_keys, F_N, v))
        return -1;
    if (v[F_ERROR_RATE] && scn__v_fraction(c, v[F_ERROR_RATE], &f->error_rate))
        return -1;
    if (v[F_ERROR_STATUS] && scn__v_status(c, v[F_ERROR_STATUS], &f->error_status))
        return -1;
    if (v[F_OUTAGES]) {
        if (parse_windows(c, v[F_OUTAGES], "outages", "{start, duration | end, status}",
                          "an outage", "outage", sizeof(struct fault_outage), parse_outage, &arr,
                          &count))
            return -1;
        b->outages = arr;
        f->outages = b->outages;
        f->n_outages = count;
    }
    if (v[F_CONTENT_POLICY] && scn__v_fraction(c, v[F_CONTENT_POLICY], &b->api.content_policy_rate))
        return -1;
    if (f->error_rate + b->api.content_policy_rate > 1.0 + 1e-12)
        return scn__fail(c, n,
                         "found error_rate + content_policy_rate above 100%%, expected at most "
                         "100%%");
    if (v[F_RANDOM_OUTAGES] && parse_random_outages(c, v[F_RANDOM_OUTAGES], f))
        return -1;
    if (v[F_BROWNOUTS]) {
        if (parse_windows(c, v[F_BROWNOUTS], "brownouts",
                          "{start, duration | end, latency_x, error_rate, status}", "a brownout",
                          "brownout", sizeof(struct fault_brownout), parse_brownout, &arr, &count))
            return -1;
        b->brownouts = arr;
        f->brownouts = b->brownouts;
        f->n_brownouts = count;
    }
    if (v[F_STORMS]) {
        if (parse_windows(c, v[F_STORMS], "storms", "{start, duration | end, share, retry_after}",
                          "a storm", "storm", sizeof(struct fault_storm), parse_storm, &arr,
                          &count))
            return -1;
        b->storms = arr;
        f->storms = b->storms;
        f->n_storms = count;
    }
    if (v[F_HANG_RATE] && scn__v_fraction(c, v[F_HANG_RATE], &f->hang_rate))
        return -1;
    if (v[F_SCRIPT] && parse_script(c, v[F_SCRIPT], b))
        return -1;
    return 0;
}

/* The router's view of the limits, from the provider's: the router meters
 * one window of input + max_tokens, so for Anthropic it gets ITPM + OTPM
 * when both are limited. */
static void view_limits(struct scn_backend *b, const struct api_cfg *a)
{
    b->route.rpm_limit = a->rpm;
    b->route.tpm_limit = a->limit_style != API_LIMITS_ANTHROPIC ? a->tpm
                         : a->itpm > 0 && a->otpm > 0           ? a->itpm + a->otpm
                                                                : 0;
}

/* A limit key that the style does not meter. */
static int limit_not_in_style(struct scn__ctx *c, const yaml_node_t *k, const char *key,
                              enum api_limit_style style, const char *instead)
{
    return scn__fail(c, k, "found '%s' with style %s, expected %s", key,
                     scn__limit_style_names[style], instead);
}

static int parse_limits(struct scn__ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *l[L_N];
    struct api_cfg *a = &b->api;
    const struct api_limit_preset *p = NULL;
    char q[64];
    if (scn__check_map(c, n, "'limits'", scn__limit_keys, L_N, l))
        return -1;
    if (l[L_PRESET]) {
        const char *name = NULL;
        if (scn__get_str(c, l[L_PRESET], "a rate-limit preset such as openai-gpt-4o-tier3", &name))
            return -1;
        p = api_limit_preset_find(name);
        if (p == NULL) {
            char list[2048];
            size_t o = 0;
            const char *best = NULL;
            unsigned best_d = UINT_MAX;
            list[0] = '\0';
            for (size_t i = 0; api_limit_preset_at(i) != NULL; i++) {
                const char *pn = api_limit_preset_at(i)->name;
                scn__suggest_step(name, pn, &best, &best_d);
                int k = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", pn);
                if (k > 0 && (size_t)k < sizeof list - o)
                    o += (size_t)k;
            }
            const char *sg = scn__suggest_done(name, best, best_d);
            return scn__fail(c, l[L_PRESET],
                             "found %s, expected a rate-limit preset: one of %s%s%s%s",
                             scn__quote(name, q, sizeof q), list, sg ? "; did you mean '" : "",
                             sg ? sg : "", sg ? "'?" : "");
        }
        a->limit_style = p->style;
        a->rpm = p->rpm;
        a->tpm = p->tpm;
        a->itpm = p->itpm;
        a->otpm = p->otpm;
        a->rpd = p->rpd;
        a->limits_preset = p;
    }
    if (l[L_STYLE]) {
        size_t e = 0;
        if (scn__v_enum(c, l[L_STYLE], "a rate-limit style", scn__limit_style_names, N_LIMIT_STYLE,
                        &e))
            return -1;
        if (p != NULL && (enum api_limit_style)e != p->style)
            return scn__fail(c, l[L_STYLE],
                             "found style '%s' with preset '%s', expected its style '%s' (or none)",
                             scn__limit_style_names[e], p->name, scn__limit_style_names[p->style]);
        a->limit_style = (enum api_limit_style)e;
    }
    enum api_limit_style st = a->limit_style;
    if (st == API_LIMITS_ANTHROPIC && l[L_TPM])
        return limit_not_in_style(c, l[L_TPM], "tpm", st,
                                  "'itpm' and 'otpm' (Anthropic meters input and output tokens "
                                  "separately)");
    for (int k = L_ITPM; k <= L_OTPM && st != API_LIMITS_ANTHROPIC; k++)
        if (l[k])
            return limit_not_in_style(c, l[k], scn__limit_keys[k], st,
                                      "it only with style anthropic");
    for (int k = L_RPD; k <= L_RPD_RESET && st != API_LIMITS_GEMINI; k++)
        if (l[k])
            return limit_not_in_style(c, l[k], scn__limit_keys[k], st, "it only with style gemini");
    if (l[L_RPM] && scn__v_count(c, l[L_RPM], &a->rpm))
        return -1;
    if (l[L_TPM] && scn__v_count(c, l[L_TPM], &a->tpm))
        return -1;
    if (l[L_ITPM] && scn__v_count(c, l[L_ITPM], &a->itpm))
        return -1;
    if (l[L_OTPM] && scn__v_count(c, l[L_OTPM], &a->otpm))
        return -1;
    if (l[L_RPD] && scn__v_count(c, l[L_RPD], &a->rpd))
        return -1;
    a->rpd_reset_ns = API_RPD_RESET_PST_NS;
    if (l[L_RPD_RESET]) {
        if (scn__v_duration_ns(c, l[L_RPD_RESET], &a->rpd_reset_ns))
            return -1;
        if (a->rpd_reset_ns < 0 || a->rpd_reset_ns >= API_DAY_NS)
            return scn__fail(c, l[L_RPD_RESET],
                             "found %s, expected a time of day from 0h to below 24h (UTC)",
                             scn__quote(scn__scalar_str(l[L_RPD_RESET]), q, sizeof q));
    }
    /* The enforcement window: the account's, else its preset's, else the
     * style's documented default (api.c). */
    a->burst_window_ns = p != NULL ? p->burst_window_ns : api_default_burst_window_ns(st);
    if (l[L_BURST_WINDOW]) {
        if (scn__v_duration_ns(c, l[L_BURST_WINDOW], &a->burst_window_ns))
            return -1;
        if (a->burst_window_ns <= 0 || a->burst_window_ns > API_MINUTE_NS)
            return scn__fail(c, l[L_BURST_WINDOW],
                             "found %s, expected a window above 0 and at most 1m (each bucket "
                             "holds limit x burst_window / 1m)",
                             scn__quote(scn__scalar_str(l[L_BURST_WINDOW]), q, sizeof q));
    }
    if (l[L_START]) {
        size_t e = 0;
        if (scn__v_enum(c, l[L_START], "what the rate-limit buckets hold at the start",
                        scn__limit_start_names, N_LIMIT_START, &e))
            return -1;
        a->start_empty = e == 1;
    }
    if (l[L_RETRY_AFTER]) {
        bool ra = true;
        if (scn__v_bool(c, l[L_RETRY_AFTER], &ra))
            return -1;
        a->no_retry_after = !ra;
    }
    view_limits(b, a);
    return 0;
}

/* `account: NAME`: the backend's provider limits are the account's, one
 * quota for all its backends (the engine keeps one bucket state per
 * account).  The backend's own buckets are then unlimited. */
static int parse_account_ref(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *limits,
                             const struct scenario *s, struct scn_backend *b)
{
    char name[SCN_NAME_MAX], q[80];
    if (scn__v_name(c, n, "an account name", false, 1, name, sizeof name))
        return -1;
    if (limits != NULL)
        return scn__fail(c, limits,
                         "found 'limits' beside 'account', expected one of them (the account "
                         "%s holds the limits its backends share)",
                         scn__quote(name, q, sizeof q));
    for (uint32_t i = 0; i < s->n_accounts; i++) {
        if (strcmp(s->accounts[i].name, name) == 0) {
            b->account = (int32_t)i;
            view_limits(b, &s->accounts[i].api);
            return 0;
        }
    }
    return scn__fail(c, n, "found account %s, expected the name of an entry of 'accounts:'%s",
                     scn__quote(name, q, sizeof q),
                     s->n_accounts == 0 ? " (the scenario has none)" : "");
}

/* `router_limits: {rpm, tpm}`: the limits a router config declares for
 * the deployment (LiteLLM rpm/tpm), which its strategies and filters
 * meter; the provider's real limits stay in `limits`/`account`
 * (docs/notes/litellm-replay.md, 3.1). */
static int parse_router_limits(struct scn__ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *l[RL_N];
    if (scn__check_map(c, n, "'router_limits'", scn__router_limit_keys, RL_N, l))
        return -1;
    b->route.rpm_limit = 0;
    b->route.tpm_limit = 0;
    if (l[RL_RPM] && scn__v_count(c, l[RL_RPM], &b->route.rpm_limit))
        return -1;
    if (l[RL_TPM] && scn__v_count(c, l[RL_TPM], &b->route.tpm_limit))
        return -1;
    return 0;
}

/* A per-backend timeout: a duration above 0. */
static int parse_timeout(struct scn__ctx *c, const yaml_node_t *n, int64_t *out)
{
    char q[64];
    if (scn__v_duration_ns(c, n, out))
        return -1;
    if (*out <= 0)
        return scn__fail(c, n, "found %s, expected a timeout above 0",
                         scn__quote(scn__scalar_str(n), q, sizeof q));
    return 0;
}

int scn__parse_accounts(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    if (scn__want_seq(c, n, "'accounts': a list of {name, limits}"))
        return -1;
    size_t count = scn__seq_len(n);
    if (count > ROUTE_MAX_BACKENDS)
        return scn__fail(c, n, "found %zu accounts, expected at most %u", count,
                         ROUTE_MAX_BACKENDS);
    s->accounts = count ? calloc(count, sizeof *s->accounts) : NULL;
    if (count && s->accounts == NULL)
        return scn__oom(c, n);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__seq_item(c, n, i), *v[AC_N];
        char q[80];
        if (it == NULL)
            return scn__oom(c, n);
        if (scn__check_map(c, it, "an account", scn__account_keys, AC_N, v))
            return -1;
        struct scn_account *a = &s->accounts[i];
        if (v[AC_NAME] == NULL)
            return scn__missing(c, it, "an account", "name", "a name backends refer to");
        if (scn__v_name(c, v[AC_NAME], "an account name", false, 1, a->name, sizeof a->name))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->accounts[j].name, a->name) == 0)
                return scn__fail(c, v[AC_NAME], "found account %s twice, expected unique names",
                                 scn__quote(a->name, q, sizeof q));
        /* An account without `limits` has no provider limits known (an
         * imported router config names the key, not its quota): its
         * backends share an unlimited quota, and the import reports the
         * limits as defaulted.  The limits parser fills a backend; only its
         * api limit fields are kept. */
        if (v[AC_LIMITS] != NULL) {
            struct scn_backend tmp;
            memset(&tmp, 0, sizeof tmp);
            if (parse_limits(c, v[AC_LIMITS], &tmp))
                return -1;
            a->api = tmp.api;
        }
        s->n_accounts = (uint32_t)(i + 1);
    }
    return 0;
}

static int parse_latency(struct scn__ctx *c, const yaml_node_t *n, struct scn_backend *b)
{
    const yaml_node_t *v[LA_N];
    if (scn__check_map(c, n, "'latency'", scn__latency_keys, LA_N, v))
        return -1;
    if (v[LA_TTFT] == NULL)
        return scn__missing(c, n, "'latency'", "ttft", "a distribution of times to first token");
    if (scn__parse_dist(c, v[LA_TTFT], DU_SECONDS, "'ttft'", &b->api.ttft_s))
        return -1;
    if (v[LA_PREFILL] && scn__v_per_token_s(c, v[LA_PREFILL], &b->api.prefill_s_per_token))
        return -1;
    if (v[LA_OUTPUT_RATE] &&
        scn__parse_dist(c, v[LA_OUTPUT_RATE], DU_TPS, "'output_rate'", &b->api.output_tps))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------
 * Backends: the common keys, then the pool keys (scn_pools.c)
 * ------------------------------------------------------------------- */

/* The key node of `key` in mapping n (for messages), else n. */
static const yaml_node_t *key_node(struct scn__ctx *c, const yaml_node_t *n, const char *key)
{
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = scn__node_of(c, p->key);
        if (k != NULL && scn__scalar_clean(k) && strcmp(scn__scalar_str(k), key) == 0)
            return k;
    }
    return n;
}

/* Grow scenario.backends to `count` entries, the new ones zeroed.  realloc
 * may move the array: route.name of every entry is pointed back at its own
 * name (the fault arrays are separate blocks and keep their addresses). */
int scn__backends_resize(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s,
                         uint32_t count)
{
    struct scn_backend *nb = realloc(s->backends, (size_t)count * sizeof *nb);
    if (nb == NULL)
        return scn__oom(c, n);
    if (count > s->n_backends)
        memset(nb + s->n_backends, 0, (size_t)(count - s->n_backends) * sizeof *nb);
    s->backends = nb;
    s->n_backends = count;
    for (uint32_t i = 0; i < count; i++)
        nb[i].route.name = nb[i].name;
    return 0;
}

/* Keys of an api or tool backend that a pool refuses, and why. */
static const struct {
    int key;
    const char *why;
} pool_refused[] = {
    {B_LATENCY, "a pool's latency emerges from its profile"},
    {B_PRICES, "a pool bills price_per_hour per replica, not per token"},
    {B_LIMITS, "a pool has no provider rate limits (max_inflight caps it at the router)"},
    {B_CONCURRENCY, "a pool runs up to max_batch requests per replica"},
    {B_QUEUE_MAX, "a pool queues per replica, unbounded"},
    {B_CACHED_FRACTION, "a pool's prefix cache decides what is cached"},
    {B_BILL_FAILED, "a pool bills by the hour, not per attempt"},
    {B_ACCOUNT, "a pool has no provider quota to share"},
    {B_TIMEOUT, "per-backend timeouts are modelled for api backends (use router.timeout)"},
    {B_STREAM_TIMEOUT, "per-backend timeouts are modelled for api backends (use router.timeout)"},
};

/* A backend's name: [A-Za-z0-9_.-] and '/' between such characters, as a
 * router config names its deployments (LiteLLM `<model_name>/<index>`,
 * issue 13); pool names may not have one (scn_pools.c names the slots
 * pool/0, pool/1, ...). */
static int parse_backend_name(struct scn__ctx *c, const yaml_node_t *n, char *dst, size_t cap)
{
    const char *what = "a backend name of 1 to 63 characters from A-Z a-z 0-9 _ . - and '/' "
                       "between them";
    const char *s = NULL;
    char q[80];
    if (scn__get_str(c, n, what, &s))
        return -1;
    size_t len = strlen(s);
    bool ok = len >= 1 && len < cap && s[0] != '/' && s[len - 1] != '/';
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '.' || ch == '-' || (ch == '/' && s[i + 1] != '/');
    }
    if (!ok)
        return scn__fail(c, n, "found %s, expected %s", scn__quote(s, q, sizeof q), what);
    memcpy(dst, s, len + 1);
    return 0;
}

/* Entry `item` of the `backends:` list `seq`, into the last backend of s
 * (a pool appends its other slots). */
static int parse_backend(struct scn__ctx *c, const yaml_node_t *n, const yaml_node_t *seq,
                         struct scenario *s, size_t item)
{
    uint32_t idx = s->n_backends - 1;
    struct scn_backend *b = &s->backends[idx];
    const yaml_node_t *v[B_N];
    uint64_t u = 0;
    int64_t i64 = 0;
    size_t e = 0;
    bool pool = false;
    if (scn__check_map(c, n, "a backend", scn__backend_keys, B_N, v))
        return -1;

    /* Defaults. */
    b->kind = SCN_BACKEND_API;
    b->route.name = b->name;
    b->route.weight = 1;
    b->api.faults.error_status = SCN_DEFAULT_ERROR_STATUS;
    b->account = -1;
    b->api.bill_failed = API_BILL_NOTHING;
    b->api.queue_max = API_QUEUE_UNBOUNDED;
    dist_constant(&b->api.output_tps, SCN_DEFAULT_OUTPUT_TPS);
    if (scn__parse_backend_loop(c, v, b)) /* num_retries, cooldown_time */
        return -1;

    if (v[B_NAME] == NULL)
        return scn__missing(c, n, "a backend", "name", "a unique name such as openai-east");
    if (parse_backend_name(c, v[B_NAME], b->name, sizeof b->name))
        return -1;
    /* Unique among the entries (api/tool backends and pools alike); a
     * name with '/' against the pools' slot names: at the end of the
     * list (scn__parse_backends). */
    for (size_t j = 0; j < item; j++) {
        const yaml_node_t *prev =
            scn__map_get(c, scn__node_of(c, seq->data.sequence.items.start[j]), "name");
        if (prev == NULL || !scn__scalar_clean(prev) || strcmp(scn__scalar_str(prev), b->name) != 0)
            continue;
        return scn__fail(c, v[B_NAME],
                         "found duplicate backend name '%s' (first at line %zu), expected unique "
                         "backend names",
                         b->name, prev->start_mark.line + 1);
    }
    if (v[B_KIND]) {
        if (scn__v_enum(c, v[B_KIND], "a backend kind", scn__kind_names, N_KIND, &e))
            return -1;
        b->route.kind = (uint32_t)e;
        pool = e == ROUTE_KIND_POOL;
    }
    if (pool && strchr(b->name, '/') != NULL)
        return scn__fail(c, v[B_NAME],
                         "found pool name '%s', expected a name without '/' (its replicas are "
                         "named %s/0, %s/1, ...)",
                         b->name, b->name, b->name);
    if (pool) {
        for (size_t k = 0; k < SCN__NELEM(pool_refused); k++)
            if (v[pool_refused[k].key])
                return scn__fail(c, key_node(c, n, scn__backend_keys[pool_refused[k].key]),
                                 "found '%s' on a pool backend, expected none: %s",
                                 scn__backend_keys[pool_refused[k].key], pool_refused[k].why);
        memset(&b->api.output_tps, 0, sizeof b->api.output_tps); /* no latency model */
    } else {
        for (int k = B_PROFILE; k <= B_STEP_MODEL; k++)
            if (v[k])
                return scn__fail(
                    c, key_node(c, n, scn__backend_keys[k]),
                    "found '%s' on a backend of kind '%s', expected it only with kind: "
                    "pool",
                    scn__backend_keys[k], scn__kind_names[b->route.kind]);
    }
    if (v[B_GROUP]) {
        if (scn__v_group(c, v[B_GROUP], &b->route.model_group))
            return -1;
        snprintf(b->group, sizeof b->group, "%s", c->s->groups[b->route.model_group - 1]);
    }
    if (v[B_SIZE_CLASS]) {
        if (scn__v_uint(c, v[B_SIZE_CLASS], 64, &u))
            return -1;
        b->route.size_class = (uint32_t)u;
    }
    if (v[B_BUDGET]) {
        const yaml_node_t *w[BU_N];
        if (scn__check_map(c, v[B_BUDGET], "'budget'", scn__budget_keys, BU_N, w))
            return -1;
        if (w[BU_USD] == NULL)
            return scn__missing(c, v[B_BUDGET], "'budget'", "usd", "the spend cap, e.g. $50");
        if (scn__v_usd(c, w[BU_USD], &b->route.budget_usd))
            return -1;
        if (w[BU_WINDOW] && scn__v_duration_ns(c, w[BU_WINDOW], &b->route.budget_window_ns))
            return -1;
    }
    if (v[B_REGION]) {
        char name[SCN_NAME_MAX];
        if (scn__v_name(c, v[B_REGION], "a region", false, 1, name, sizeof name))
            return -1;
        int64_t rid = scn__names_intern(&c->s->regions, &c->s->n_regions, name);
        if (rid < 0)
            return scn__oom(c, v[B_REGION]);
        b->route.region = (uint32_t)rid;
    }
    if (v[B_TAGS]) {
        char d[64], name[SCN_NAME_MAX];
        const yaml_node_t *tl = v[B_TAGS];
        if (tl->type != YAML_SEQUENCE_NODE)
            return scn__fail(c, tl, "found %s, expected 'tags': a list of names",
                             scn__describe(tl, d, sizeof d));
        for (size_t k = 0; k < scn__seq_len(tl); k++) {
            const yaml_node_t *t = scn__node_of(c, tl->data.sequence.items.start[k]);
            if (t == NULL)
                return scn__oom(c, tl);
            if (scn__v_name(c, t, "a tag", false, 1, name, sizeof name))
                return -1;
            int64_t tid = scn__names_intern(&c->s->tags, &c->s->n_tags, name);
            if (tid < 0)
                return scn__oom(c, t);
            if (tid > 64)
                return scn__fail(c, t, "found a 65th distinct tag, expected at most 64");
            b->route.tags |= (uint64_t)1 << (tid - 1);
        }
    }
    /* A model of the price catalog (models/catalog.h) fills the prices and
       context window; `prices:` and `context_window:` below override them.
       Dated ids and gateway provider prefixes resolve as catalog_resolve
       says.  A name the catalog does not know is an error unless `prices:`
       are given: a typo must not silently cost $0. */
    const struct catalog_entry *ce = NULL;
    if (v[B_MODEL]) {
        if (scn__v_name(c, v[B_MODEL], "a model label", false, 0, b->model, sizeof b->model))
            return -1;
        ce = pool ? NULL : catalog_resolve(b->model, NULL); /* a pool bills by the hour */
        if (ce == NULL && !pool && v[B_PRICES] == NULL) {
            const char *best = NULL;
            unsigned best_d = 0;
            /* suggest against the name after any provider prefix */
            const char *slash = strrchr(b->model, '/');
            const char *word = slash ? slash + 1 : b->model;
            for (size_t k = 0; k < catalog_count(); k++)
                scn__suggest_step(word, catalog_at(k)->id, &best, &best_d);
            const char *sg = scn__suggest_done(word, best, best_d);
            char q[64];
            return scn__fail(c, v[B_MODEL],
                             "found model %s, which the price catalog does not know (lbsim "
                             "models lists it), expected a catalog model or `prices:` given "
                             "for this backend%s%s%s",
                             scn__quote(b->model, q, sizeof q), sg ? "; did you mean '" : "",
                             sg ? sg : "", sg ? "'?" : "");
        }
        if (ce != NULL) {
            b->route.context_window = ce->context_window;
            b->route.price_input = b->api.price_input = ce->input_usd_per_mtok / 1e6;
            b->route.price_cached = b->api.price_cached = ce->cached_input_usd_per_mtok / 1e6;
            b->route.price_output = b->api.price_output = ce->output_usd_per_mtok / 1e6;
        }
    }
    if (v[B_WEIGHT] && scn__v_u32(c, v[B_WEIGHT], &b->route.weight))
        return -1;
    if (v[B_TIER]) {
        if (scn__v_int(c, v[B_TIER], INT32_MIN, INT32_MAX, &i64))
            return -1;
        b->route.tier = (int32_t)i64;
    }
    if (v[B_MAX_INFLIGHT]) {
        if (scn__v_uint(c, v[B_MAX_INFLIGHT], INT32_MAX, &u))
            return -1;
        b->route.max_inflight = (int32_t)u;
    }
    if (pool)
        b->route.context_window = SCN_POOL_CONTEXT_WINDOW;
    if (v[B_CONTEXT_WINDOW] && scn__v_count(c, v[B_CONTEXT_WINDOW], &b->route.context_window))
        return -1;
    b->api.context_window = b->route.context_window;

    if (v[B_PRICES]) {
        const yaml_node_t *p[P_N];
        /* Keys left out keep the catalog's price (0 without one); a given
           input is also the cached price unless cached_input is given. */
        double in = ce ? ce->input_usd_per_mtok : 0;
        double cached = ce ? ce->cached_input_usd_per_mtok : 0;
        double out = ce ? ce->output_usd_per_mtok : 0;
        if (scn__check_map(c, v[B_PRICES], "'prices' (USD per 1M tokens)", scn__price_keys, P_N, p))
            return -1;
        if (p[P_INPUT]) {
            if (scn__v_usd(c, p[P_INPUT], &in))
                return -1;
            cached = in;
        }
        if (p[P_CACHED] && scn__v_usd(c, p[P_CACHED], &cached))
            return -1;
        if (p[P_OUTPUT] && scn__v_usd(c, p[P_OUTPUT], &out))
            return -1;
        b->route.price_input = b->api.price_input = in / 1e6;
        b->route.price_cached = b->api.price_cached = cached / 1e6;
        b->route.price_output = b->api.price_output = out / 1e6;
    }
    if (v[B_LIMITS] && parse_limits(c, v[B_LIMITS], b))
        return -1;
    if (v[B_ACCOUNT] && parse_account_ref(c, v[B_ACCOUNT], v[B_LIMITS], s, b))
        return -1;
    if (v[B_ROUTER_LIMITS] && parse_router_limits(c, v[B_ROUTER_LIMITS], b))
        return -1;
    if (v[B_TIMEOUT] && parse_timeout(c, v[B_TIMEOUT], &b->timeout_ns))
        return -1;
    if (v[B_STREAM_TIMEOUT] && parse_timeout(c, v[B_STREAM_TIMEOUT], &b->stream_timeout_ns))
        return -1;
    if (v[B_CONCURRENCY]) {
        if (scn__v_uint(c, v[B_CONCURRENCY], INT32_MAX, &u))
            return -1;
        b->api.concurrency = (int32_t)u;
    }
    if (v[B_QUEUE_MAX]) {
        /* 0 is no waiting room; "unbounded" (the default) is spelled out,
         * so that no number silently means "no bound". */
        const char *str = NULL;
        if (scn__get_str(c, v[B_QUEUE_MAX], "'queue_max': a count >= 0 or 'unbounded'", &str))
            return -1;
        if (strcmp(str, "unbounded") == 0) {
            b->api.queue_max = API_QUEUE_UNBOUNDED;
        } else {
            uint64_t qm = 0;
            char m[128], qs[64];
            if (scn__parse_uint(str, API_QUEUE_UNBOUNDED - 1u, &qm, m, sizeof m) != 0)
                return scn__fail(c, v[B_QUEUE_MAX],
                                 "found %s, expected 'queue_max': a count of waiting requests "
                                 "(0 = no waiting room, at most %u) or 'unbounded'",
                                 scn__quote(str, qs, sizeof qs), API_QUEUE_UNBOUNDED - 1u);
            b->api.queue_max = (uint32_t)qm;
        }
    }
    if (v[B_CACHED_FRACTION] && scn__v_fraction(c, v[B_CACHED_FRACTION], &b->api.cached_fraction))
        return -1;
    if (v[B_BILL_FAILED]) {
        if (scn__v_enum(c, v[B_BILL_FAILED], "what a failed attempt bills", scn__bill_names, N_BILL,
                        &e))
            return -1;
        b->api.bill_failed = (enum api_bill)e;
    }
    if (!pool && v[B_LATENCY] == NULL)
        return scn__missing(c, n, "a backend", "latency", "a mapping with at least 'ttft'");
    if (!pool && parse_latency(c, v[B_LATENCY], b))
        return -1;
    if (v[B_FAULTS] && parse_faults(c, v[B_FAULTS], b))
        return -1;
    return pool ? scn__parse_pool(c, n, v, s, idx) : 0;
}

/* The `name:` node of the entry of list n named `name` (n itself if none). */
static const yaml_node_t *entry_name_node(struct scn__ctx *c, const yaml_node_t *n,
                                          const char *name)
{
    for (size_t i = 0; i < scn__seq_len(n); i++) {
        const yaml_node_t *nm = scn__map_get(c, scn__seq_item(c, n, i), "name");
        if (nm != NULL && scn__scalar_clean(nm) && strcmp(scn__scalar_str(nm), name) == 0)
            return nm;
    }
    return n;
}

int scn__parse_backends(struct scn__ctx *c, const yaml_node_t *n, struct scenario *s)
{
    char d[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return scn__fail(c, n, "found %s, expected 'backends': a list of backends",
                         scn__describe(n, d, sizeof d));
    size_t count = scn__seq_len(n);
    if (count == 0)
        return scn__fail(c, n, "found an empty list, expected at least one backend in 'backends'");
    if (count > ROUTE_MAX_BACKENDS)
        return scn__fail(c, n, "found %zu backends, expected at most %u", count,
                         ROUTE_MAX_BACKENDS);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *it = scn__node_of(c, n->data.sequence.items.start[i]);
        if (it == NULL)
            return scn__oom(c, n);
        if (s->n_backends >= ROUTE_MAX_BACKENDS)
            return scn__fail(c, it,
                             "found a backend past the limit of %u (the pools before it take one "
                             "per replica slot), expected at most %u backends in all",
                             ROUTE_MAX_BACKENDS, ROUTE_MAX_BACKENDS);
        if (scn__backends_resize(c, it, s, s->n_backends + 1))
            return -1;
        if (parse_backend(c, it, n, s, i))
            return -1;
    }
    /* A named backend such as gpt-4o/0 must not be a pool's slot name. */
    for (uint32_t a = 0; a < s->n_backends; a++) {
        if (s->backends[a].kind == SCN_BACKEND_POOL || strchr(s->backends[a].name, '/') == NULL)
            continue;
        for (uint32_t b = 0; b < s->n_backends; b++)
            if (s->backends[b].kind == SCN_BACKEND_POOL &&
                strcmp(s->backends[a].name, s->backends[b].name) == 0)
                return scn__fail(c, entry_name_node(c, n, s->backends[a].name),
                                 "found backend name '%s' twice (a backend and a pool's "
                                 "replica slot), expected unique backend names",
                                 s->backends[a].name);
    }
    return 0;
}
