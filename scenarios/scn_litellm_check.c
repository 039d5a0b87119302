/*
 * scn_litellm_check.c - `lbsim check` on a LiteLLM config (scn_import.h
 * scn_litellm_check): the import's traps plus lint findings over its
 * deployments (docs/litellm-import.md "lbsim check"; the rules are those
 * of docs/notes/litellm-replay.md 2.2, 2.3, 2.5, 2.6).
 */
#include "scn_litellm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* ---------------------------------------------------------------------
 * lbsim check: lint findings over the imported deployments
 * ------------------------------------------------------------------- */

static size_t group_size(struct lt *t, const char *g)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        k += strcmp(t->deps[i].group, g) == 0;
    return k;
}

/* The generic fallback targets of group g (router_settings, else
 * litellm_settings): the list node, or NULL. */
static const yaml_node_t *fallbacks_of(struct lt *t, const char *g, const char *list)
{
    const char *from;
    const yaml_node_t *n = scn__llm_rs_or_ls(t, list, &from);
    if (n == NULL || n->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        const yaml_node_t *it = scn__llm_node(t, *i);
        if (it == NULL || it->type != YAML_MAPPING_NODE)
            continue;
        for (yaml_node_pair_t *p = it->data.mapping.pairs.start; p < it->data.mapping.pairs.top;
             p++) {
            const char *k = scn__llm_str(scn__llm_node(t, p->key));
            const char *mg = k ? (strcmp(k, "*") == 0 ? "*" : scn__llm_match_group(t, k)) : NULL;
            if (mg && strcmp(mg, g) == 0)
                return scn__llm_node(t, p->value);
        }
    }
    return NULL;
}

/* Depth-first search for a fallback cycle through group g. */
static bool fb_cycle(struct lt *t, const char *g, const char **path, size_t depth, char *out,
                     size_t cap)
{
    for (size_t i = 0; i < depth; i++)
        if (strcmp(path[i], g) == 0) {
            size_t o = 0;
            for (size_t j = i; j < depth && o < cap; j++)
                o += (size_t)snprintf(out + o, cap - o, "%s -> ", path[j]);
            if (o < cap)
                snprintf(out + o, cap - o, "%s", g);
            return true;
        }
    if (depth >= 32)
        return false;
    path[depth] = g;
    const yaml_node_t *v = fallbacks_of(t, g, "fallbacks");
    if (v == NULL)
        return false;
    const yaml_node_t *one[1] = {v};
    size_t cnt = v->type == YAML_SEQUENCE_NODE
                     ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
                     : 1;
    for (size_t k = 0; k < cnt; k++) {
        const yaml_node_t *x = v->type == YAML_SEQUENCE_NODE
                                   ? scn__llm_node(t, v->data.sequence.items.start[k])
                                   : one[0];
        const char *tg = scn__llm_str(x) ? scn__llm_match_group(t, scn__llm_str(x)) : NULL;
        if (tg && strcmp(tg, g) != 0 && fb_cycle(t, tg, path, depth + 1, out, cap))
            return true;
    }
    return false;
}

/* Peak requests and tokens of one minute per group over the trace. */
static int trace_peaks(struct lt *t, const char *trace, double *prpm, double *ptpm)
{
    struct trace_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.format = TRACE_AUTO;
    cfg.path = trace;
    cfg.rate_scale = 1;
    char err[512];
    struct trace_src *src = trace_open(&cfg, 1, err, sizeof err);
    if (src == NULL)
        return snprintf(t->im->err, t->im->errlen, "%s", err), -1;
    double *crpm = calloc(t->n, sizeof *crpm), *ctpm = calloc(t->n, sizeof *ctpm);
    if (crpm == NULL || ctpm == NULL) {
        free(crpm);
        free(ctpm);
        trace_close(src);
        return scn__llm_oom(t);
    }
    int64_t minute = -1;
    struct trace_rec r;
    int rc;
    while ((rc = trace_next(src, &r, err, sizeof err)) > 0) {
        int64_t m = r.arrival_ns / (60LL * 1000000000LL);
        if (m != minute) {
            memset(crpm, 0, t->n * sizeof *crpm);
            memset(ctpm, 0, t->n * sizeof *ctpm);
            minute = m;
        }
        /* rows naming no group go to the first deployment's group (the
         * scenario's default_group rule) */
        const char *g = trace_label(src, TRACE_LABEL_MODEL_GROUP, r.label[TRACE_LABEL_MODEL_GROUP]);
        size_t gi = 0; /* the first deployment of the group holds its counters */
        for (size_t i = 0; g && i < t->n; i++)
            if (strcmp(t->deps[i].group, g) == 0) {
                gi = i;
                break;
            }
        crpm[gi] += 1;
        ctpm[gi] += (double)(r.input_tokens + r.output_tokens);
        if (crpm[gi] > prpm[gi])
            prpm[gi] = crpm[gi];
        if (ctpm[gi] > ptpm[gi])
            ptpm[gi] = ctpm[gi];
    }
    free(crpm);
    free(ctpm);
    trace_close(src);
    if (rc < 0)
        return snprintf(t->im->err, t->im->errlen, "%s", err), -1;
    return 0;
}

int scn__llm_lint(struct lt *t, const char *trace)
{
    char key[256];
    struct settings s;
    memset(&s, 0, sizeof s);
    s.strategy = scn__llm_str(scn__llm_get(t, t->rs, "routing_strategy"));
    if (s.strategy == NULL)
        s.strategy = "simple-shuffle";
    bool cooldowns = true, b;
    const yaml_node_t *dc = scn__llm_get(t, t->rs, "disable_cooldowns");
    if (dc && scn__llm_boolean(t, dc, "disable_cooldowns", &b) > 0)
        cooldowns = !b;
    const char *from;
    bool any_default = scn__llm_rs_or_ls(t, "default_fallbacks", &from) != NULL ||
                       fallbacks_of(t, "*", "fallbacks") != NULL;
    for (size_t i = 0; i < t->n; i++) {
        struct dep *d = &t->deps[i];
        bool first = true;
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->deps[j].group, d->group) == 0)
                first = false;
        snprintf(key, sizeof key, "model_list[%zu].model_name", i);
        if (first && group_size(t, d->group) == 1 && !any_default &&
            fallbacks_of(t, d->group, "fallbacks") == NULL)
            scn__llm_note(
                t, SCN_IMP_FINDING, scn__llm_get(t, d->entry, "model_name"), key,
                "group '%s' has one deployment and no fallback: any outage or 429 of it fails "
                "its requests (and LiteLLM's retries sleep instead of rerouting)",
                d->group);
        if (first) {
            char cyc[512];
            const char *path[33];
            if (fb_cycle(t, d->group, path, 0, cyc, sizeof cyc) &&
                strncmp(cyc, d->group, strlen(d->group)) == 0 && cyc[strlen(d->group)] == ' ')
                scn__llm_note(t, SCN_IMP_FINDING, scn__llm_get(t, d->entry, "model_name"), key,
                              "fallbacks loop: %s (each hop spends the max_fallbacks budget)", cyc);
        }
        /* simple-shuffle weight 0 beside positive siblings: never picked */
        if (scn__llm_simple_shuffle(&s)) {
            double w = scn__llm_shuffle_weight(t, d);
            bool sib = false;
            for (size_t j = 0; j < t->n; j++)
                sib |= j != i && strcmp(t->deps[j].group, d->group) == 0 &&
                       scn__llm_shuffle_weight(t, &t->deps[j]) > 0;
            snprintf(key, sizeof key, "model_list[%zu].litellm_params", i);
            if (w == 0 && sib)
                scn__llm_note(
                    t, SCN_IMP_FINDING, d->lp, key,
                    "deployment '%s' has simple-shuffle weight 0 beside positive siblings: it "
                    "is never picked",
                    d->name);
        }
        /* an order tier above the group's lowest is reached only when every
         * lower deployment is cooling: never without cooldowns */
        if (d->order >= 0 && !cooldowns) {
            double lo = d->order;
            for (size_t j = 0; j < t->n; j++)
                if (strcmp(t->deps[j].group, d->group) == 0 && t->deps[j].order >= 0 &&
                    t->deps[j].order < lo)
                    lo = t->deps[j].order;
            snprintf(key, sizeof key, "model_list[%zu].order", i);
            if (d->order > lo)
                scn__llm_note(
                    t, SCN_IMP_FINDING,
                    scn__llm_get(t, d->lp, "order") ? scn__llm_get(t, d->lp, "order") : d->mi, key,
                    "deployment '%s' (order %g) is never reached: cooldowns are disabled, "
                    "so the order-%g tier never empties",
                    d->name, d->order, lo);
        }
    }
    /* a config trap of the import is a finding too */
    for (size_t i = 0; i < t->im->rep->n; i++)
        if (t->im->rep->notes[i].cls == SCN_IMP_WARNING)
            t->im->rep->notes[i].cls = SCN_IMP_FINDING;
    if (trace == NULL)
        return 0;
    double *prpm = calloc(t->n, sizeof *prpm), *ptpm = calloc(t->n, sizeof *ptpm);
    if (prpm == NULL || ptpm == NULL) {
        free(prpm);
        free(ptpm);
        return scn__llm_oom(t);
    }
    int rc = trace_peaks(t, trace, prpm, ptpm);
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        if (prpm[i] == 0)
            continue;
        double rpm = 0, tpm = 0;
        bool all_rpm = true, all_tpm = true;
        for (size_t j = 0; j < t->n; j++) {
            if (strcmp(t->deps[j].group, t->deps[i].group) != 0)
                continue;
            all_rpm &= t->deps[j].rpm >= 0;
            all_tpm &= t->deps[j].tpm >= 0;
            rpm += t->deps[j].rpm > 0 ? t->deps[j].rpm : 0;
            tpm += t->deps[j].tpm > 0 ? t->deps[j].tpm : 0;
        }
        snprintf(key, sizeof key, "model_list[%zu].model_name", i);
        if (all_rpm && rpm < prpm[i])
            scn__llm_note(t, SCN_IMP_FINDING, scn__llm_get(t, t->deps[i].entry, "model_name"), key,
                          "group '%s' declares %g rpm in all, below the trace's peak minute of %g "
                          "requests: expect 429s from the router",
                          t->deps[i].group, rpm, prpm[i]);
        if (all_tpm && tpm < ptpm[i])
            scn__llm_note(t, SCN_IMP_FINDING, scn__llm_get(t, t->deps[i].entry, "model_name"), key,
                          "group '%s' declares %g tpm in all, below the trace's peak minute of %g "
                          "tokens: expect 429s from the router",
                          t->deps[i].group, tpm, ptpm[i]);
    }
    free(prpm);
    free(ptpm);
    return rc;
}

int scn_litellm_check(const char *path, const char *trace, struct scn_import_report *rep, char *err,
                      size_t errlen)
{
    yaml_document_t d;
    if (!yaml_document_initialize(&d, NULL, NULL, NULL, 1, 1)) {
        snprintf(err, errlen, "%s: found no memory left, expected to check it", path);
        return -1;
    }
    struct scn__import im = {
        .dst = &d, .path = path, .rep = rep, .replicas = 0, .err = err, .errlen = errlen};
    int rc = scn__llm_import_file(&im, true, trace);
    yaml_document_delete(&d);
    return rc;
}
