/*
 * scn_portkey.h - the Portkey config importer (prefix scn_pk_).
 *
 * `router: {portkey: FILE}` and `lbsim import portkey FILE` read a Portkey
 * gateway config (JSON, read by libyaml, or YAML) and turn it into native
 * scenario keys: every target with a provider becomes a backend, the tree
 * becomes `router.portkey` with `router.loop: portkey`, and every key gets
 * one report line (docs/notes/litellm-replay.md section 3.6).
 */
#ifndef LBSIM_SCN_PORTKEY_H
#define LBSIM_SCN_PORTKEY_H

#include <stddef.h>

#include <yaml.h>

/* The Portkey importer's own report: one entry per key of the source
 * file, in the classes of scn_import.h (scn__import_portkey converts it
 * to scn_import notes). */
#ifndef SCN_PK_REPORT_DEFINED
#define SCN_PK_REPORT_DEFINED

enum scn_pk_class {
    SCN_PK_MAPPED = 0,       /* same behaviour in lbsim */
    SCN_PK_APPROXIMATED = 1, /* close; `how` says what differs */
    SCN_PK_IGNORED = 2,      /* no routing effect */
    SCN_PK_UNSUPPORTED = 3,  /* a routing effect lbsim does not reproduce */
};

struct scn_pk_item {
    enum scn_pk_class cls;
    char key[128]; /* the key's path in the source, e.g. "targets[1].retry.attempts" */
    char how[256]; /* what it became, or why not */
    size_t line;   /* 1-based position in the source file */
    size_t column;
};

struct scn_pk_report {
    struct scn_pk_item *items; /* malloc'd */
    size_t n, cap;
};

/* "mapped", "approximated", "ignored (no routing effect)",
 * "unsupported (routing effect lost)". */
const char *scn_pk_class_name(enum scn_pk_class c);

void scn_pk_report_free(struct scn_pk_report *rep);

#endif /* SCN_PK_REPORT_DEFINED */

/*
 * Import the Portkey config in *doc (as libyaml loaded it from `path`,
 * which only names the file in messages).  On success *doc is REPLACED by
 * a native scenario fragment, a mapping
 *
 *   backends: [{name, model, limits}, ...]     # one per provider target
 *   router:   {loop: portkey, portkey: TREE, timeout?}
 *   cache:    {l1: {capacity, ttl}}            # only if a target caches
 *
 * whose nodes carry the marks of the Portkey keys they came from (so the
 * scenario loader's later errors point into the Portkey file), and rep gets
 * one item per key (appended; free with scn_pk_report_free).  0, or -1
 * with "path:line:col: found X, expected Y" in err (*doc untouched).
 */
int scn_pk_import(yaml_document_t *doc, const char *path, struct scn_pk_report *rep, char *err,
                  size_t errlen);

#endif /* LBSIM_SCN_PORTKEY_H */
