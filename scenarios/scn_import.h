/*
 * scn_import.h - importing a real router configuration as native scenario
 * keys (prefix scn_import_): a LiteLLM proxy config.yaml (scn_litellm.c)
 * and a Portkey config JSON (scn_portkey.c).
 *
 * An importer reads the router's own file and builds the equivalent native
 * keys (backends:, accounts:, router:) as YAML nodes, so that the loader
 * checks them like hand-written keys; `router: {litellm: FILE}` in a
 * scenario splices them into the scenario before it is walked
 * (scn_load.c), and `lbsim import` prints them (scn_import_text).  Every
 * key of the source gets one note in a report: mapped, approximated,
 * ignored (no routing effect) or unsupported (routing effect lost), plus
 * the facts the import defaulted and the traps it found
 * (docs/litellm-import.md; docs/notes/litellm-replay.md section "2.
 * importer spec").
 *
 * Library code: nothing here prints; errors are "file:line:col: found ...,
 * expected ..." in the caller's buffer.
 */
#ifndef LBSIM_SCN_IMPORT_H
#define LBSIM_SCN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route_loop.h"

/* The LiteLLM behaviour the importer emulates: the loop's (route_loop.h,
 * LiteLLM as of 2026-09, the release failoverbench ran against). */
#define SCN_LITELLM_EMULATED ROUTE_LLM_EMULATED

enum scn_import_kind {
    SCN_IMPORT_NONE = 0, /* not a router config */
    SCN_IMPORT_LITELLM,  /* a mapping with model_list */
    SCN_IMPORT_PORTKEY,  /* a mapping with strategy and targets */
};

/* The class of a report line. */
enum scn_import_class {
    SCN_IMP_MAPPED,      /* same rule in lbsim */
    SCN_IMP_APPROX,      /* mapped with a stated difference */
    SCN_IMP_IGNORED,     /* no routing effect */
    SCN_IMP_UNSUPPORTED, /* a routing effect lbsim cannot reproduce */
    SCN_IMP_DEFAULTED,   /* a fact the import supplied (catalog, defaults) */
    SCN_IMP_WARNING,     /* a config trap (allowed_fails == 3, inert keys, ...) */
    SCN_IMP_FINDING,     /* lbsim check: a lint finding */
    SCN_IMP_N_
};

struct scn_import_note {
    enum scn_import_class cls;
    uint32_t line, col; /* 1-based position in `file`; 0 = the file as a whole */
    const char *file;   /* the imported file (owned by the report) */
    char key[128];      /* key path, e.g. model_list[2].litellm_params.rpm */
    char text[384];     /* how, or why */
};

struct scn_import_report {
    struct scn_import_note *notes;
    size_t n, cap;
    char **files; /* the file names notes point at */
    size_t n_files;
};

/* Options of scn_import_text. */
struct scn_import_opts {
    const char *trace;    /* traffic.trace of the output, NULL = a placeholder */
    const char *scenario; /* a base scenario to merge into, NULL = none */
    uint32_t replicas;    /* proxy pods x workers (router.replicas); 0 = 1 */
};

/* "mapped", "approximated", "ignored", "unsupported", "defaulted",
 * "warning", "finding". */
const char *scn_import_class_name(enum scn_import_class cls);

/* Frees what the report owns and empties it. */
void scn_import_report_free(struct scn_import_report *r);

/* Notes of class cls. */
size_t scn_import_report_count(const struct scn_import_report *r, enum scn_import_class cls);

/* One report line into buf: "file:line:col: key: class (text)" or, for the
 * four key classes, "key: mapped", "key: approximated (how)", ... */
void scn_import_note_format(const struct scn_import_note *n, char *buf, size_t len);

/* What the file is: a LiteLLM config (top-level model_list), a Portkey
 * config (top-level strategy and targets, JSON or YAML), or neither
 * (a scenario, unreadable, malformed: the loader will say). */
enum scn_import_kind scn_import_sniff(const char *path);

/* The native scenario equivalent to router config `path` as YAML text
 * (malloc'd into *text, *len bytes, NUL-terminated), with a comment
 * header naming the emulated version, and its report in *rep (initialise
 * it to zeros).  0, or -1 with "file:line:col: found ..., expected ..."
 * in err (bad input: malformed file, wrong types, keys the router itself
 * rejects).  SCN_IMPORT_PORTKEY answers -1 "not built" until scn_portkey.c
 * provides scn__import_portkey (scn_int.h). */
int scn_import_text(enum scn_import_kind kind, const char *path, const struct scn_import_opts *o,
                    char **text, size_t *len, struct scn_import_report *rep, char *err,
                    size_t errlen);

/* lbsim check on a LiteLLM config: the report of the import (its warnings
 * and unsupported keys) plus the lint findings (SCN_IMP_FINDING):
 * single-deployment groups without fallback, fallbacks to groups that do
 * not exist or that loop, deployments the strategy can never pick, and,
 * with `trace` (a trace file lbsim reads), declared rpm/tpm below the
 * trace's peak minute of the group.  0 (findings or not), or -1 with the
 * message of bad input. */
int scn_litellm_check(const char *path, const char *trace, struct scn_import_report *rep, char *err,
                      size_t errlen);

/* lbsim check on a Portkey config: the import's unsupported keys and
 * traps, a fallback with one target or without 429 in on_status_codes, a
 * conditional without default, weight-0 targets of a loadbalance, extra
 * targets of a single: findings (SCN_IMP_FINDING) in rep.  0, or -1 with
 * the message of bad input. */
int scn_portkey_check(const char *path, struct scn_import_report *rep, char *err, size_t errlen);

#endif /* LBSIM_SCN_IMPORT_H */
