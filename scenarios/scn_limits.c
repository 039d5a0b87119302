/*
 * scn_limits.c - the YAML work caps, checked on the parser's events before
 * the document is built (docs/limits.md).
 *
 * Two inputs make small files cost unbounded work: collections nested
 * very deep (libyaml 0.2.5's scanner walks its whole stack of flow levels
 * for every token, so a document nested n deep costs O(n^2) before any
 * node exists), and aliases (the document keeps one copy of an anchored
 * node, but the loader walks it once per alias: 1,000 aliases of a large
 * anchor walk it 1,000 times).  One pass over the events counts the
 * nesting depth and the nodes after alias expansion, and stops at the
 * first event past a cap, so a refused file costs at most the events up
 * to the cap.  A syntax error stops the pass quietly: yaml_parser_load
 * then reports it with the loader's usual words.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

/* Anchor name -> nodes it stands for, open addressing on FNV-1a; grows
 * by doubling, so n anchors cost O(n) expected. */
struct anchor_map {
    char **name;
    int64_t *nodes;
    size_t cap, n;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64-bit offset basis */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull; /* FNV 64-bit prime */
    }
    return h;
}

static size_t anchor_slot(const struct anchor_map *m, const char *name)
{
    size_t i = (size_t)fnv1a(name) & (m->cap - 1);
    while (m->name[i] != NULL && strcmp(m->name[i], name) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Set (or redefine: YAML lets a later anchor shadow an earlier one) the
 * size of an anchor.  0, or -1 when out of memory. */
static int anchor_put(struct anchor_map *m, const char *name, int64_t nodes)
{
    if (2 * (m->n + 1) > m->cap) {
        struct anchor_map g = {NULL, NULL, m->cap ? 2 * m->cap : 64, 0};
        g.name = calloc(g.cap, sizeof *g.name);
        g.nodes = calloc(g.cap, sizeof *g.nodes);
        if (g.name == NULL || g.nodes == NULL) {
            free(g.name);
            free(g.nodes);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->name[i] != NULL) {
                size_t j = anchor_slot(&g, m->name[i]);
                g.name[j] = m->name[i];
                g.nodes[j] = m->nodes[i];
                g.n++;
            }
        free(m->name);
        free(m->nodes);
        *m = g;
    }
    size_t i = anchor_slot(m, name);
    if (m->name[i] == NULL) {
        size_t len = strlen(name);
        m->name[i] = malloc(len + 1);
        if (m->name[i] == NULL)
            return -1;
        memcpy(m->name[i], name, len + 1);
        m->n++;
    }
    m->nodes[i] = nodes;
    return 0;
}

static int64_t anchor_get(const struct anchor_map *m, const char *name)
{
    if (m->cap == 0)
        return 1;
    size_t i = anchor_slot(m, name);
    return m->name[i] != NULL ? m->nodes[i] : 1; /* undefined: libyaml says so later */
}

static void anchor_free(struct anchor_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->name[i]);
    free(m->name);
    free(m->nodes);
}

/* An open collection: the nodes under it so far (itself included) and its
 * anchor, if any. */
struct frame {
    int64_t nodes;
    char *anchor; /* owned by the event that opened it: copied */
};

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int scn__yaml_limits(struct scn__ctx *c, const unsigned char *buf, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return scn__fail_at(c, (yaml_mark_t){0, 0, 0}, "out of memory (parsing the YAML)");
    yaml_parser_set_input_string(&p, buf, len);
    struct frame st[SCN_YAML_MAX_DEPTH + 1];
    int depth = 0, rc = 0;
    int64_t total = 0; /* nodes of the finished top-level collections and scalars */
    struct anchor_map am = {NULL, NULL, 0, 0};
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e))
            break; /* a syntax error: yaml_parser_load reports it */
        yaml_event_type_t t = e.type;
        int64_t add = 0;
        const char *anchor = NULL;
        if (t == YAML_SCALAR_EVENT) {
            add = 1;
            anchor = (const char *)e.data.scalar.anchor;
        } else if (t == YAML_ALIAS_EVENT) {
            add = anchor_get(&am, (const char *)e.data.alias.anchor);
        } else if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (depth == SCN_YAML_MAX_DEPTH) {
                rc = scn__fail_at(c, e.start_mark,
                                  "found collections nested deeper than %d levels, expected at "
                                  "most %d (docs/limits.md)",
                                  SCN_YAML_MAX_DEPTH, SCN_YAML_MAX_DEPTH);
                yaml_event_delete(&e);
                break;
            }
            const yaml_char_t *a = t == YAML_SEQUENCE_START_EVENT ? e.data.sequence_start.anchor
                                                                  : e.data.mapping_start.anchor;
            st[depth].nodes = 1;
            st[depth].anchor = NULL;
            if (a != NULL) {
                size_t n = strlen((const char *)a);
                st[depth].anchor = malloc(n + 1);
                if (st[depth].anchor == NULL) {
                    rc = scn__fail_at(c, e.start_mark, "out of memory (parsing the YAML)");
                    yaml_event_delete(&e);
                    break;
                }
                memcpy(st[depth].anchor, a, n + 1);
            }
            depth++;
        } else if ((t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) && depth > 0) {
            struct frame *f = &st[--depth];
            if (f->anchor != NULL && anchor_put(&am, f->anchor, f->nodes) != 0)
                rc = scn__fail_at(c, e.start_mark, "out of memory (parsing the YAML)");
            free(f->anchor);
            add = f->nodes;
        }
        if (rc == 0 && anchor != NULL && anchor_put(&am, anchor, 1) != 0)
            rc = scn__fail_at(c, e.start_mark, "out of memory (parsing the YAML)");
        if (add > 0) { /* a collection counts into its parent when it closes */
            int64_t *into = depth > 0 ? &st[depth - 1].nodes : &total;
            *into = sat_add(*into, add);
        }
        if (rc == 0 &&
            (total > SCN_YAML_MAX_NODES || (depth > 0 && st[depth - 1].nodes > SCN_YAML_MAX_NODES)))
            rc = scn__fail_at(c, e.start_mark,
                              "found more than %lld YAML nodes after expanding aliases, expected "
                              "at most %lld (docs/limits.md)",
                              (long long)SCN_YAML_MAX_NODES, (long long)SCN_YAML_MAX_NODES);
        int end = t == YAML_STREAM_END_EVENT;
        yaml_event_delete(&e);
        if (rc != 0 || end)
            break;
    }
    while (depth > 0)
        free(st[--depth].anchor);
    anchor_free(&am);
    yaml_parser_delete(&p);
    return rc;
}
