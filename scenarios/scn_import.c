/*
 * scn_import.c - what every importer shares (scn_import.h): the report,
 * recognising a router config, merging an import into a scenario document
 * (`router: {litellm: FILE}`, scn_load.c) and the native YAML text of
 * `lbsim import`.
 */
#include "scn_import.h"
#include "scn_int.h"

#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Report lines of one import, at most: a config of 1,024 deployments with
 * ~20 keys each. */
#define IMPORT_NOTES_MAX 65536

int scn__import_note_add(struct scn_import_report *r, const char *file, enum scn_import_class cls,
                         uint32_t line, uint32_t col, const char *key, const char *text);

static const char *const class_names[SCN_IMP_N_] = {
    "mapped", "approximated", "ignored", "unsupported", "defaulted", "warning", "finding",
};

const char *scn_import_class_name(enum scn_import_class cls)
{
    return cls < SCN_IMP_N_ ? class_names[cls] : "?";
}

void scn_import_report_free(struct scn_import_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i]);
    free(r->files);
    free(r->notes);
    memset(r, 0, sizeof *r);
}

size_t scn_import_report_count(const struct scn_import_report *r, enum scn_import_class cls)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        k += r->notes[i].cls == cls;
    return k;
}

int scn__import_note_add(struct scn_import_report *r, const char *file, enum scn_import_class cls,
                         uint32_t line, uint32_t col, const char *key, const char *text)
{
    if (r == NULL || r->n >= IMPORT_NOTES_MAX)
        return -1;
    const char *fname = NULL;
    for (size_t i = 0; i < r->n_files && fname == NULL; i++)
        if (strcmp(r->files[i], file) == 0)
            fname = r->files[i];
    if (fname == NULL) {
        char **nf = realloc(r->files, (r->n_files + 1) * sizeof *nf);
        if (nf == NULL)
            return -1;
        r->files = nf;
        size_t l = strlen(file);
        char *c = malloc(l + 1);
        if (c == NULL)
            return -1;
        memcpy(c, file, l + 1);
        r->files[r->n_files++] = c;
        fname = c;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct scn_import_note *nn = realloc(r->notes, cap * sizeof *nn);
        if (nn == NULL)
            return -1;
        r->notes = nn;
        r->cap = cap;
    }
    struct scn_import_note *n = &r->notes[r->n++];
    n->cls = cls;
    n->line = line;
    n->col = col;
    n->file = fname;
    snprintf(n->key, sizeof n->key, "%s", key);
    snprintf(n->text, sizeof n->text, "%s", text);
    return 0;
}

void scn_import_note_format(const struct scn_import_note *n, char *buf, size_t len)
{
    char where[SCN_PATH_MAX + 32] = "";
    if (n->line > 0)
        snprintf(where, sizeof where, "%s:%u:%u: ", n->file, n->line, n->col);
    else
        snprintf(where, sizeof where, "%s: ", n->file);
    bool paren =
        n->cls == SCN_IMP_APPROX || n->cls == SCN_IMP_IGNORED || n->cls == SCN_IMP_UNSUPPORTED;
    if (n->cls == SCN_IMP_IGNORED)
        snprintf(buf, len, "%s%s: ignored (no routing effect: %s)", where, n->key, n->text);
    else if (n->cls == SCN_IMP_UNSUPPORTED)
        snprintf(buf, len, "%s%s: unsupported (routing effect lost: %s)", where, n->key, n->text);
    else if (paren)
        snprintf(buf, len, "%s%s: approximated (%s)", where, n->key, n->text);
    else if (n->cls == SCN_IMP_MAPPED)
        snprintf(buf, len, "%s%s: mapped (%s)", where, n->key, n->text);
    else
        snprintf(buf, len, "%s%s: %s: %s", where, n->key, scn_import_class_name(n->cls), n->text);
}

/* ---------------------------------------------------------------------
 * What a file is
 * ------------------------------------------------------------------- */

/* The top-level keys of a YAML file, from the parser's events: never the
 * whole document (yaml_parser_load), so a file nested deeper than
 * SCN_YAML_MAX_DEPTH costs the events up to the cap, not libyaml's O(n^2)
 * scan of a document nested n deep (docs/limits.md, "Work caps"); the
 * loader then refuses it with the cap in the message. */
enum scn_import_kind scn_import_sniff(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return SCN_IMPORT_NONE;
    yaml_parser_t p;
    enum scn_import_kind k = SCN_IMPORT_NONE;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        return k;
    }
    yaml_parser_set_input_file(&p, f);
    bool ml = false, strat = false, targets = false, scn = false, key = true, done = false;
    int depth = 0; /* open collections; the root mapping is depth 1 */
    bool root_map = false;
    while (!done) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            root_map = false; /* malformed: not a router config, the loader will say */
            break;
        }
        switch (e.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 0)
                root_map = e.type == YAML_MAPPING_START_EVENT;
            if (++depth > SCN_YAML_MAX_DEPTH)
                root_map = false, done = true;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (--depth == 1) /* a collection key or value of the root finished */
                key = !key;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (depth == 1) {
                if (key && e.type == YAML_SCALAR_EVENT) {
                    const char *v = (const char *)e.data.scalar.value;
                    ml |= strcmp(v, "model_list") == 0;
                    strat |= strcmp(v, "strategy") == 0;
                    targets |= strcmp(v, "targets") == 0;
                    scn |= strcmp(v, "backends") == 0 || strcmp(v, "traffic") == 0;
                }
                key = !key;
            }
            break;
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_END_EVENT: /* the first document, parsed to its end like
                                         yaml_parser_load: a syntax error is not a config */
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&e);
    }
    if (root_map && ml && !scn)
        k = SCN_IMPORT_LITELLM;
    else if (root_map && strat && targets && !scn)
        k = SCN_IMPORT_PORTKEY;
    yaml_parser_delete(&p);
    fclose(f);
    return k;
}

/* ---------------------------------------------------------------------
 * Merging an import into a scenario document
 * ------------------------------------------------------------------- */

static yaml_node_t *nd(yaml_document_t *d, int id)
{
    return yaml_document_get_node(d, id);
}

static const char *sval(yaml_document_t *d, int id)
{
    yaml_node_t *n = nd(d, id);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The pair index of `key` in mapping m, -1 if absent. */
static long pair_of(yaml_document_t *d, int m, const char *key)
{
    yaml_node_t *n = nd(d, m);
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = sval(d, p->key);
        if (k && strcmp(k, key) == 0)
            return p - n->data.mapping.pairs.start;
    }
    return -1;
}

static int value_of(yaml_document_t *d, int m, const char *key)
{
    long i = pair_of(d, m, key);
    return i < 0 ? 0 : nd(d, m)->data.mapping.pairs.start[i].value;
}

/* m[key] = v: replace the value of an existing pair, else append. */
static int set_pair(yaml_document_t *d, int m, int key_id, int v)
{
    long i = pair_of(d, m, sval(d, key_id));
    if (i >= 0) {
        nd(d, m)->data.mapping.pairs.start[i].value = v;
        return 0;
    }
    return yaml_document_append_mapping_pair(d, m, key_id, v) ? 0 : -1;
}

/* Remove key `key` from mapping m, if present. */
static void drop_pair(yaml_document_t *d, int m, const char *key)
{
    long i = pair_of(d, m, key);
    if (i < 0)
        return;
    yaml_node_t *n = nd(d, m);
    yaml_node_pair_t *p = n->data.mapping.pairs.start;
    size_t len = (size_t)(n->data.mapping.pairs.top - p);
    memmove(&p[i], &p[i + 1], (len - (size_t)i - 1) * sizeof *p);
    n->data.mapping.pairs.top--;
}

/* Copy every pair of mapping `from` onto mapping `to` (same document). */
static int overlay(yaml_document_t *d, int to, int from)
{
    yaml_node_t *f = nd(d, from);
    size_t n = (size_t)(f->data.mapping.pairs.top - f->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t p = nd(d, from)->data.mapping.pairs.start[i];
        if (set_pair(d, to, p.key, p.value) != 0)
            return -1;
    }
    return 0;
}

/* Merge list `imp` of named mappings with the scenario's list `scn`
 * (either may be 0): a scenario entry with an imported name overlays it,
 * the others follow.  The merged list's id, or -1. */
static int merge_named(yaml_document_t *d, int imp, int scn)
{
    if (scn == 0 || nd(d, scn)->type != YAML_SEQUENCE_NODE)
        return imp ? imp : scn; /* a malformed scenario list: the loader says so */
    if (imp == 0)
        return scn;
    size_t ns =
        (size_t)(nd(d, scn)->data.sequence.items.top - nd(d, scn)->data.sequence.items.start);
    for (size_t i = 0; i < ns; i++) {
        int it = nd(d, scn)->data.sequence.items.start[i];
        const char *name =
            nd(d, it)->type == YAML_MAPPING_NODE ? sval(d, value_of(d, it, "name")) : NULL;
        int match = 0;
        size_t ni =
            (size_t)(nd(d, imp)->data.sequence.items.top - nd(d, imp)->data.sequence.items.start);
        for (size_t j = 0; name && j < ni && !match; j++) {
            int im = nd(d, imp)->data.sequence.items.start[j];
            const char *in = sval(d, value_of(d, im, "name"));
            if (in && strcmp(in, name) == 0)
                match = im;
        }
        if (match) {
            if (overlay(d, match, it) != 0)
                return -1;
            /* A scenario backend with its own `limits` has its own quota:
             * it leaves the account the import inferred from the API key
             * (give the shared quota as `accounts: [{name, limits}]`). */
            if (value_of(d, it, "limits") != 0 && value_of(d, it, "account") == 0)
                drop_pair(d, match, "account");
        } else if (!yaml_document_append_sequence_item(d, imp, it)) {
            return -1;
        }
    }
    return imp;
}

int scn__import_merge(yaml_document_t *d, int root, int frag)
{
    static const char *const lists[] = {"accounts", "backends"};
    for (size_t i = 0; i < SCN__NELEM(lists); i++) {
        int imp = value_of(d, frag, lists[i]);
        long pi = pair_of(d, root, lists[i]);
        int scn = pi >= 0 ? nd(d, root)->data.mapping.pairs.start[pi].value : 0;
        if (imp && nd(d, imp)->data.sequence.items.top == nd(d, imp)->data.sequence.items.start)
            imp = 0; /* nothing imported */
        int merged = merge_named(d, imp, scn);
        if (merged < 0)
            return -1;
        if (merged == 0)
            continue;
        if (pi >= 0) {
            nd(d, root)->data.mapping.pairs.start[pi].value = merged;
        } else {
            int k = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)lists[i], -1,
                                             YAML_PLAIN_SCALAR_STYLE);
            if (!k || !yaml_document_append_mapping_pair(d, root, k, merged))
                return -1;
            /* the key points where its value comes from (the imported file) */
            nd(d, k)->start_mark = nd(d, k)->end_mark = nd(d, merged)->start_mark;
        }
    }
    /* cache (Portkey's `cache`): the scenario's own wins */
    int ic = value_of(d, frag, "cache");
    if (ic && pair_of(d, root, "cache") < 0) {
        int k = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"cache", -1,
                                         YAML_PLAIN_SCALAR_STYLE);
        if (!k || !yaml_document_append_mapping_pair(d, root, k, ic))
            return -1;
        nd(d, k)->start_mark = nd(d, k)->end_mark = nd(d, ic)->start_mark;
    }
    /* router: the imported keys, then the scenario's own beside `litellm:`
     * (a scalar `litellm:` is the file, replaced by the imported settings) */
    int ir = value_of(d, frag, "router");
    long pr = pair_of(d, root, "router");
    int sr = pr >= 0 ? nd(d, root)->data.mapping.pairs.start[pr].value : 0;
    if (sr && nd(d, sr)->type == YAML_MAPPING_NODE) {
        yaml_node_t *s = nd(d, sr);
        size_t n = (size_t)(s->data.mapping.pairs.top - s->data.mapping.pairs.start);
        for (size_t i = 0; i < n; i++) {
            yaml_node_pair_t p = nd(d, sr)->data.mapping.pairs.start[i];
            const char *k = sval(d, p.key);
            if (k && (strcmp(k, "litellm") == 0 || strcmp(k, "portkey") == 0) &&
                nd(d, p.value)->type == YAML_SCALAR_NODE)
                continue;
            if (set_pair(d, ir, p.key, p.value) != 0)
                return -1;
        }
        nd(d, root)->data.mapping.pairs.start[pr].value = ir;
    } else if (pr >= 0) {
        nd(d, root)->data.mapping.pairs.start[pr].value = ir;
    } else {
        int k = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"router", -1,
                                         YAML_PLAIN_SCALAR_STYLE);
        if (!k || !yaml_document_append_mapping_pair(d, root, k, ir))
            return -1;
    }
    return 0;
}

/* The file a scenario's `router: {litellm: FILE}` names, relative to the
 * scenario's directory. */
static void relative_to(const char *scn, const char *file, char *out, size_t cap)
{
    const char *slash = strrchr(scn, '/');
    if (file[0] == '/' || slash == NULL)
        snprintf(out, cap, "%s", file);
    else
        snprintf(out, cap, "%.*s/%s", (int)(slash - scn), scn, file);
}

/* The report lines a run prints: what was defaulted, lost or a trap; the
 * approximations are counted (lbsim import lists them). */
static bool run_warns(enum scn_import_class cls)
{
    return cls == SCN_IMP_UNSUPPORTED || cls == SCN_IMP_DEFAULTED || cls == SCN_IMP_WARNING;
}

int scn__import_splice(struct scn__ctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return 0;
    int root_id = (int)(root - c->doc->nodes.start) + 1;
    int r = value_of(c->doc, root_id, "router");
    int lf = r ? value_of(c->doc, r, "litellm") : 0;
    bool portkey = false;
    if (lf == 0 || nd(c->doc, lf)->type != YAML_SCALAR_NODE) {
        lf = r ? value_of(c->doc, r, "portkey") : 0;
        if (lf == 0 || nd(c->doc, lf)->type != YAML_SCALAR_NODE)
            return 0;
        portkey = true;
    }
    const yaml_node_t *fn = nd(c->doc, lf);
    const char *file = (const char *)fn->data.scalar.value;
    if (file[0] == '\0')
        return scn__fail(c, fn,
                         "found an empty value, expected 'litellm': a LiteLLM "
                         "config.yaml path (relative to the scenario) or the router.litellm "
                         "settings mapping");
    char *path = scn__own_alloc(c, fn, SCN_PATH_MAX);
    if (path == NULL)
        return -1;
    relative_to(c->path, file, path, SCN_PATH_MAX);
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        char q[96];
        return scn__fail(c, fn,
                         "found %s, which cannot be read (%s), expected a %s config file "
                         "(a path relative to the scenario)",
                         scn__quote(file, q, sizeof q), strerror(errno),
                         portkey ? "Portkey" : "LiteLLM");
    }
    fclose(probe);
    struct scn_import_report rep;
    memset(&rep, 0, sizeof rep);
    struct scn__import im = {.dst = c->doc,
                             .path = path,
                             .rep = &rep,
                             .replicas = 0,
                             .err = c->err,
                             .errlen = c->errlen};
    if ((portkey ? scn__import_portkey(&im) : scn__import_litellm(&im)) != 0) {
        scn_import_report_free(&rep);
        return -1;
    }
    c->import_path = path;
    /* Facts a scenario backend supplies are not defaulted: drop those
     * notes (the importer could not know). */
    int sb = value_of(c->doc, root_id, "backends");
    for (size_t i = 0; sb && nd(c->doc, sb)->type == YAML_SEQUENCE_NODE && i < rep.n; i++) {
        struct scn_import_note *no = &rep.notes[i];
        yaml_node_t *seq = nd(c->doc, sb);
        for (yaml_node_item_t *it = seq->data.sequence.items.start;
             no->cls == SCN_IMP_DEFAULTED && it < seq->data.sequence.items.top; it++) {
            if (nd(c->doc, *it)->type != YAML_MAPPING_NODE)
                continue;
            const char *name = sval(c->doc, value_of(c->doc, *it, "name"));
            char kl[160], kt[160];
            if (name == NULL)
                continue;
            snprintf(kl, sizeof kl, "backends[%s].limits", name);
            snprintf(kt, sizeof kt, "backends[%s].latency", name);
            if ((strcmp(no->key, kl) == 0 &&
                 (value_of(c->doc, *it, "limits") || value_of(c->doc, *it, "account"))) ||
                (strcmp(no->key, kt) == 0 && value_of(c->doc, *it, "latency")))
                no->cls = SCN_IMP_MAPPED; /* supplied: nothing to say on a run */
        }
    }
    /* the root's id again: adding nodes may have moved the node array */
    if (scn__import_merge(c->doc, root_id, im.out) != 0) {
        scn_import_report_free(&rep);
        return scn__oom(c, yaml_document_get_root_node(c->doc));
    }
    /* the report, except plain `mapped` lines and ignored keys, becomes the
     * scenario's warnings (the CLI prints them) */
    struct scenario *s = c->s;
    size_t keep = 1, approx = scn_import_report_count(&rep, SCN_IMP_APPROX);
    for (size_t i = 0; i < rep.n; i++)
        keep += run_warns(rep.notes[i].cls);
    s->warnings = calloc(keep ? keep : 1, sizeof *s->warnings);
    if (s->warnings == NULL) {
        scn_import_report_free(&rep);
        return scn__oom(c, fn);
    }
    for (size_t i = 0; i < rep.n; i++) {
        if (!run_warns(rep.notes[i].cls))
            continue;
        char line[1024];
        scn_import_note_format(&rep.notes[i], line, sizeof line);
        size_t l = strlen(line);
        char *w = malloc(l + 1);
        if (w == NULL) {
            scn_import_report_free(&rep);
            return scn__oom(c, fn);
        }
        memcpy(w, line, l + 1);
        s->warnings[s->n_warnings++] = w;
        s->n_unsupported += rep.notes[i].cls == SCN_IMP_UNSUPPORTED;
    }
    if (approx > 0) {
        char line[512];
        snprintf(line, sizeof line,
                 "%s: %zu keys approximated (lbsim import %s %s lists each with how it differs)",
                 path, approx, portkey ? "portkey" : "litellm", path);
        char *w = malloc(strlen(line) + 1);
        if (w == NULL) {
            scn_import_report_free(&rep);
            return scn__oom(c, fn);
        }
        memcpy(w, line, strlen(line) + 1);
        s->warnings[s->n_warnings++] = w;
    }
    scn_import_report_free(&rep);
    return 0;
}

/* ---------------------------------------------------------------------
 * The native YAML text
 * ------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t n, cap;
    bool oom;
};

static int buf_write(void *data, unsigned char *bytes, size_t size)
{
    struct buf *b = data;
    if (b->n + size + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + size + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return 0;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, bytes, size);
    b->n += size;
    b->p[b->n] = '\0';
    return 1;
}

static int buf_printf(struct buf *b, const char *fmt, ...) SCN__PRINTF(2, 3);
static int buf_printf(struct buf *b, const char *fmt, ...)
{
    char line[SCN_PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return k < 0 ? 0 : buf_write(b, (unsigned char *)line, strlen(line));
}

/* A fresh scenario skeleton in d: name, traffic placeholder; its root id. */
static int skeleton(yaml_document_t *d, const char *path, const struct scn_import_opts *o)
{
    int root = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[SCN_NAME_MAX];
    size_t l = strcspn(base, ".");
    if (l >= sizeof name)
        l = sizeof name - 1;
    memcpy(name, base, l);
    name[l] = '\0';
    for (char *q = name; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '-' || *q == '.'))
            *q = '-';
    int kn =
        yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"name", -1, YAML_PLAIN_SCALAR_STYLE);
    int vn = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)(name[0] ? name : "imported"),
                                      -1, YAML_PLAIN_SCALAR_STYLE);
    int kt = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"traffic", -1,
                                      YAML_PLAIN_SCALAR_STYLE);
    int tm = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);
    int ktr = yaml_document_add_scalar(d, NULL, (const yaml_char_t *)"trace", -1,
                                       YAML_PLAIN_SCALAR_STYLE);
    const char *tv = o && o->trace ? o->trace : "FILL-ME.csv";
    int vtr =
        yaml_document_add_scalar(d, NULL, (const yaml_char_t *)tv, -1, YAML_PLAIN_SCALAR_STYLE);
    if (!root || !kn || !vn || !kt || !tm || !ktr || !vtr ||
        !yaml_document_append_mapping_pair(d, root, kn, vn) ||
        !yaml_document_append_mapping_pair(d, root, kt, tm) ||
        !yaml_document_append_mapping_pair(d, tm, ktr, vtr))
        return 0;
    return root;
}

/* The base scenario, parsed into d; its root id, or 0 with err. */
static int load_base(yaml_document_t *d, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: found no readable file, expected a scenario", path);
        return 0;
    }
    yaml_parser_t p;
    int root = 0;
    if (yaml_parser_initialize(&p)) {
        yaml_parser_set_input_file(&p, f);
        if (!yaml_parser_load(&p, d)) {
            snprintf(err, errlen, "%s:%zu:%zu: found invalid YAML: %s, expected a scenario", path,
                     p.problem_mark.line + 1, p.problem_mark.column + 1,
                     p.problem ? p.problem : "an error");
        } else {
            yaml_node_t *r = yaml_document_get_root_node(d);
            if (r == NULL || r->type != YAML_MAPPING_NODE) {
                snprintf(err, errlen, "%s:1:1: found %s, expected a scenario mapping", path,
                         r ? "a non-mapping" : "an empty document");
                yaml_document_delete(d);
            } else {
                root = (int)(r - d->nodes.start) + 1;
            }
        }
        yaml_parser_delete(&p);
    }
    fclose(f);
    return root;
}

int scn_import_text(enum scn_import_kind kind, const char *path, const struct scn_import_opts *o,
                    char **text, size_t *len, struct scn_import_report *rep, char *err,
                    size_t errlen)
{
    *text = NULL;
    *len = 0;
    if (kind != SCN_IMPORT_LITELLM && kind != SCN_IMPORT_PORTKEY) {
        snprintf(err, errlen, "%s: found no router config kind, expected litellm or portkey", path);
        return -1;
    }
    yaml_document_t d;
    int root;
    if (o && o->scenario) {
        if ((root = load_base(&d, o->scenario, err, errlen)) == 0)
            return -1;
    } else {
        yaml_version_directive_t *vd = NULL;
        if (!yaml_document_initialize(&d, vd, NULL, NULL, 1, 1)) {
            snprintf(err, errlen, "%s: found no memory left, expected to import it", path);
            return -1;
        }
        if ((root = skeleton(&d, path, o)) == 0) {
            yaml_document_delete(&d);
            snprintf(err, errlen, "%s: found no memory left, expected to import it", path);
            return -1;
        }
    }
    struct scn__import im = {.dst = &d,
                             .path = path,
                             .rep = rep,
                             .replicas = o && o->replicas ? o->replicas : 1,
                             .err = err,
                             .errlen = errlen};
    int irc = kind == SCN_IMPORT_LITELLM ? scn__import_litellm(&im) : scn__import_portkey(&im);
    if (irc != 0 || scn__import_merge(&d, root, im.out) != 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s: found no memory left, expected to import it", path);
        yaml_document_delete(&d);
        return -1;
    }
    struct buf b = {0};
    bool lt = kind == SCN_IMPORT_LITELLM;
    buf_printf(&b, "# Generated by lbsim import %s from %s\n", lt ? "litellm" : "portkey", path);
    buf_printf(&b, "# Emulates %s (router.loop: %s).\n",
               lt ? SCN_LITELLM_EMULATED : ROUTE_PK_EMULATED, lt ? "litellm" : "portkey");
    buf_printf(&b, "# The report on stderr lists every key: mapped, approximated, ignored,\n"
                   "# unsupported, and the facts defaulted (latency, provider limits).\n");
    if (!(o && (o->trace || o->scenario)))
        buf_printf(&b, "# FILL IN traffic.trace (or traffic.synthetic) before running.\n");
    yaml_emitter_t e;
    if (!yaml_emitter_initialize(&e)) {
        yaml_document_delete(&d);
        free(b.p);
        snprintf(err, errlen, "%s: found no memory left, expected to write YAML", path);
        return -1;
    }
    yaml_emitter_set_output(&e, buf_write, &b);
    yaml_emitter_set_width(&e, 100);
    yaml_emitter_set_unicode(&e, 1);
    int ok = yaml_emitter_open(&e) && yaml_emitter_dump(&e, &d) && yaml_emitter_close(&e);
    yaml_emitter_delete(&e); /* yaml_emitter_dump deleted d */
    if (!ok || b.oom) {
        free(b.p);
        snprintf(err, errlen, "%s: found an error writing YAML, expected the native scenario",
                 path);
        return -1;
    }
    *text = b.p;
    *len = b.n;
    return 0;
}
