/*
 * scn_litellm_int.h - what the two files of the LiteLLM importer share
 * (scn_litellm.c: reading and mapping; scn_litellm_check.c: lbsim check's
 * lint).  Internal to scenarios/ (prefix scn__llm_).
 */
#ifndef LBSIM_SCN_LITELLM_INT_H
#define LBSIM_SCN_LITELLM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "scn_import.h"
#include "scn_int.h"

/* One deployment of model_list. */
struct dep {
    const yaml_node_t *entry, *lp, *mi; /* the model_list item, litellm_params, model_info */
    size_t index;                       /* in model_list */
    const char *group;                  /* model_name */
    char name[SCN_NAME_MAX * 2];
    const char *model;
    double rpm_lp, tpm_lp; /* litellm_params rpm/tpm, -1 = absent */
    double weight;         /* litellm_params.weight, -1 = absent */
    double rpm, tpm;       /* declared: top level, litellm_params, model_info; -1 = absent */
    double order;          /* litellm_params.order, else model_info.order; -1 = absent */
    char account[SCN_NAME_MAX];
};

/* One import: the LiteLLM document and its deployments. */
struct lt {
    struct scn__import *im;
    yaml_document_t src;
    const yaml_node_t *root, *ml, *rs, *ls, *env, *gs;
    struct dep *deps;
    size_t n;
    char key[256]; /* scratch key path */
};

/* Router settings resolved as LiteLLM resolves them. */
struct settings {
    double num_retries, timeout_s, stream_timeout_s, cooldown_s, max_fallbacks;
    double fail_ratio, fail_min, allowed_fails;
    bool cooldowns, v2, redis, pre_call_checks;
    double default_max_parallel;
    const char *strategy;
    const yaml_node_t *strategy_node;
};

/* The class of a key with no code of its own (scn_litellm_settings.c). */
struct keyclass {
    const char *key;
    enum scn_import_class cls; /* SCN_IMP_N_ = handled by code */
    const char *why;
};

#define HANDLED SCN_IMP_N_
extern const struct keyclass scn__llm_lp_keys[], scn__llm_mi_keys[], scn__llm_rs_keys[],
    scn__llm_ls_keys[], scn__llm_gs_keys[], scn__llm_env_keys[];
extern const size_t scn__llm_n_lp_keys, scn__llm_n_mi_keys, scn__llm_n_rs_keys, scn__llm_n_ls_keys,
    scn__llm_n_gs_keys, scn__llm_n_env_keys;
/* One report line per key of m with no code of its own. */
void scn__llm_note_table(struct lt *t, const yaml_node_t *m, const char *prefix,
                         const struct keyclass *kc, size_t n, enum scn_import_class unknown_cls,
                         const char *unknown_why);
/* Router settings of the file, with their report lines: 0 or -1. */
int scn__llm_resolve(struct lt *t, struct settings *s);
/* A number (os.environ/ through environment_variables): 1 set, 0 absent, -1 error. */
int scn__llm_num(struct lt *t, const yaml_node_t *n, const char *key, double *v);
int scn__llm_want_map(struct lt *t, const yaml_node_t *n, const char *what);
bool scn__llm_is_null(const yaml_node_t *n);
const char *scn__llm_describe(const yaml_node_t *n);

/* "file:line:col: " of n and the message into the import's err: -1. */
int scn__llm_fail(struct lt *t, const yaml_node_t *n, const char *fmt, ...) SCN__PRINTF(3, 4);
int scn__llm_oom(struct lt *t);
/* A report line at node n (NULL: the file as a whole). */
void scn__llm_note(struct lt *t, enum scn_import_class cls, const yaml_node_t *n, const char *key,
                   const char *fmt, ...) SCN__PRINTF(5, 6);
const yaml_node_t *scn__llm_node(struct lt *t, int id);
/* The text of a scalar, NULL for anything else. */
const char *scn__llm_str(const yaml_node_t *n);
/* The value of `key` in mapping m, NULL if absent. */
const yaml_node_t *scn__llm_get(struct lt *t, const yaml_node_t *m, const char *key);
/* A boolean as YAML or Python writes it: 1 with *v, or -1 (error). */
int scn__llm_boolean(struct lt *t, const yaml_node_t *n, const char *key, bool *v);
/* `key` of router_settings, else litellm_settings (*from names which). */
const yaml_node_t *scn__llm_rs_or_ls(struct lt *t, const char *key, const char **from);
/* The model_name a fallback key names (exact, else provider-stripped). */
const char *scn__llm_match_group(struct lt *t, const char *k);
bool scn__llm_simple_shuffle(const struct settings *s);
/* d's simple-shuffle weight, -1 when its group has none. */
double scn__llm_shuffle_weight(struct lt *t, const struct dep *d);
/* The import of im->path; with `check`, then scn__llm_lint. */
int scn__llm_import_file(struct scn__import *im, bool check, const char *trace);
/* scn_litellm_check.c: lbsim check's findings over an imported config. */
int scn__llm_lint(struct lt *t, const char *trace);

#endif /* LBSIM_SCN_LITELLM_INT_H */
