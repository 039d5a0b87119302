/*
 * test_scn_portkey.c - `router.portkey:` (the native Portkey tree) and the
 * Portkey config importer (scenarios/scn_portkey.c, scn_portkey_import.c):
 * the tree a scenario loads, bad inputs with file:line:col, and golden
 * imports of Portkey configs written from the documented schema
 * (tests/data/portkey_*.json against portkey_*.expected).
 *
 * `test_scn_portkey --print tests/data/portkey_x.json` prints an import as
 * the golden files hold it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "check.h"
#include "scn.h"
#include "scn_portkey.h"
#include "tmp.h"

#define S 1000000000LL

static int load_text(const char *text, struct scenario *s, char *err, size_t errlen)
{
    char path[TMP_PATH_MAX];
    if (tmp_file(path, sizeof path, "scn_portkey", text) != 0)
        return -2;
    int rc = scn_load(path, s, err, errlen);
    remove(path);
    return rc;
}

static const char *const head =
    "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, output_tokens: 1}}\n"
    "backends:\n"
    "  - {name: alpha, group: g1, region: eu, latency: {ttft: 1s}}\n"
    "  - {name: beta, group: g2, latency: {ttft: 1s}}\n"
    "  - {name: gamma, group: g2, latency: {ttft: 1s}}\n";

static void expect_error(const char *tail, const char *needles)
{
    char text[4096], err[1024] = "", buf[512];
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

static struct route_req req_of(uint32_t group)
{
    struct route_req q;
    memset(&q, 0, sizeof q);
    q.model_group = group;
    return q;
}

/* The failoverbench S02 shape as a native tree: primary with 2 retries,
 * then the fallback at 3 s. */
static void test_native_fallback(void)
{
    char text[4096], err[1024] = "";
    struct scenario s;
    snprintf(text, sizeof text,
             "%srouter:\n"
             "  portkey:\n"
             "    strategy: {mode: fallback, on_status_codes: [429, 503]}\n"
             "    retry: {attempts: 2, use_retry_after_header: true}\n"
             "    request_timeout: 30s\n"
             "    targets:\n"
             "      - {backend: alpha, name: primary}\n"
             "      - strategy: {mode: loadbalance}\n"
             "        request_timeout: 500ms\n"
             "        targets: [{backend: beta, weight: 3}, {backend: gamma}]\n",
             head);
    int rc = load_text(text, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct route_pk_tree *t = &s.router.portkey;
    CHECK_INT_EQ(t->n_nodes, 5);
    CHECK_INT_EQ(t->nodes[0].mode, ROUTE_PK_FALLBACK);
    CHECK_INT_EQ(t->nodes[0].on_status_codes.n, 2);
    CHECK_INT_EQ(t->nodes[0].retry.attempts, 2);
    CHECK(t->nodes[0].retry.use_retry_after_header);
    CHECK_INT_EQ(t->nodes[1].backend, 0);
    CHECK_INT_EQ(t->nodes[2].mode, ROUTE_PK_LOADBALANCE);
    CHECK_INT_EQ(t->nodes[3].backend, 1);
    CHECK_NEAR(t->nodes[3].weight, 3, 0);
    CHECK_INT_EQ(t->nodes[4].backend, 2);

    struct route_pk_req st;
    struct route_req q = req_of(1);
    struct route_loop_failure f;
    memset(&f, 0, sizeof f);
    f.http_status = 429;
    f.retry_after_ns = -1;
    struct route_loop_act a = route_pk_start(t, &st, &q, 0.9);
    CHECK_INT_EQ(a.backend, 0);
    CHECK_INT_EQ(a.timeout_ns, 30 * S);
    a = route_pk_failed(t, &st, &f, &q, 0.9);
    CHECK_INT_EQ(a.delay_ns, 1 * S);
    a = route_pk_failed(t, &st, &f, &q, 0.9);
    CHECK_INT_EQ(a.delay_ns, 2 * S);
    a = route_pk_failed(t, &st, &f, &q, 0.9); /* u 0.9 of weights 3 + 1: gamma */
    CHECK_INT_EQ(a.backend, 2);
    CHECK(a.fallback);
    CHECK_INT_EQ(a.timeout_ns, 500000000LL);
    /* a 500 is not in on_status_codes: no fallback; last status */
    f.http_status = 500;
    a = route_pk_start(t, &st, &q, 0.1);
    a = route_pk_failed(t, &st, &f, &q, 0.1);
    CHECK_INT_EQ(a.backend, 0); /* 500 is retried (default retry codes) */
    a = route_pk_failed(t, &st, &f, &q, 0.1);
    a = route_pk_failed(t, &st, &f, &q, 0.1);
    CHECK_INT_EQ(a.kind, ROUTE_LOOP_FAIL);
    CHECK_INT_EQ(a.http_status, 500);
    scn_free(&s);
}

static void test_native_conditional(void)
{
    char text[4096], err[1024] = "";
    struct scenario s;
    snprintf(text, sizeof text,
             "%srouter:\n"
             "  portkey:\n"
             "    strategy:\n"
             "      mode: conditional\n"
             "      conditions:\n"
             "        - query: {metadata.tenant: {$eq: gold}}\n"
             "          then: b\n"
             "        - query: {$or: [{metadata.region: {$in: [eu, apac]}}, "
             "{metadata.priority: {$gt: 4}}]}\n"
             "          then: c\n"
             "        - query: {params.model: g2, metadata.task: {$ne: tool}}\n"
             "          then: b\n"
             "      default: a\n"
             "    targets:\n"
             "      - {name: a, backend: alpha}\n"
             "      - {name: b, backend: beta}\n"
             "      - {name: c, backend: gamma}\n",
             head);
    int rc = load_text(text, &s, err, sizeof err);
    CHECK_INT_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct route_pk_tree *t = &s.router.portkey;
    struct route_pk_req st;
    struct route_req q = req_of(scn_group_id(&s, "g1"));
    CHECK_INT_EQ(scn_tenant_id(&s, "gold"), 1);
    CHECK_INT_EQ(s.n_tenants, 1);
    CHECK_INT_EQ(scn_region_id(&s, "eu"), 1);
    CHECK_INT_EQ(scn_region_id(&s, "apac"), 2); /* interned by the condition */
    CHECK_INT_EQ(scn_task_id(&s, "tool"), 1);
    CHECK_INT_EQ(scn_task_id(&s, "chat"), SCN_TASK_OTHER);
    struct route_loop_act a = route_pk_start(t, &st, &q, 0.5);
    CHECK_INT_EQ(a.backend, 0); /* default */
    q.tenant = scn_tenant_id(&s, "gold");
    a = route_pk_start(t, &st, &q, 0.5);
    CHECK_INT_EQ(a.backend, 1);
    q.tenant = 0;
    q.region = scn_region_id(&s, "apac");
    a = route_pk_start(t, &st, &q, 0.5);
    CHECK_INT_EQ(a.backend, 2);
    q.region = 0;
    q.priority = 5;
    a = route_pk_start(t, &st, &q, 0.5);
    CHECK_INT_EQ(a.backend, 2);
    q.priority = 0;
    q.model_group = scn_group_id(&s, "g2");
    q.task = SCN_TASK_OTHER;
    a = route_pk_start(t, &st, &q, 0.5);
    CHECK_INT_EQ(a.backend, 1);
    q.task = 1; /* tool */
    a = route_pk_start(t, &st, &q, 0.5);
    CHECK_INT_EQ(a.backend, 0);
    scn_free(&s);
}

static void test_native_errors(void)
{
    expect_error("router:\n  portkey:\n    strategy: {mode: fallback}\n"
                 "    targets: [{backend: alpah}]\n",
                 ":9:25: found 'alpah', expected the name of a backend; did you mean 'alpha'?");
    expect_error("router:\n  portkey:\n    strategy: {mode: roundrobin}\n"
                 "    targets: [{backend: alpha}]\n",
                 ":8:22: found 'roundrobin'|single, loadbalance, fallback, conditional");
    expect_error("router:\n  portkey:\n    request_timeout: 30000\n    backend: alpha\n",
                 ":8:22: found '30000' without a unit");
    expect_error("router:\n  portkey:\n    retry: {attempts: 6}\n    backend: alpha\n",
                 ":8:23: found 6 retry attempts, expected at most 5");
    expect_error("router:\n  portkey:\n    strategy: {mode: conditional, conditions: [{query: "
                 "{metadata.user: {$eq: x}}, then: a}]}\n"
                 "    targets: [{name: a, backend: alpha}]\n",
                 ":8:57: found condition key 'metadata.user'|unsupported");
    expect_error("router:\n  portkey:\n    strategy: {mode: conditional, conditions: [{query: "
                 "{metadata.tenant: {$regex: '^g'}}, then: a}]}\n"
                 "    targets: [{name: a, backend: alpha}]\n",
                 ":8:75: found operator '$regex'|unsupported");
    expect_error("router:\n  portkey:\n    strategy: {mode: conditional, conditions: [{query: "
                 "{metadata.priority: {$eq: 1}}, then: a}]}\n"
                 "    targets: [{name: a, backend: alpha}]\n",
                 ":8:82: found '1' unquoted, expected a quoted string");
    expect_error("router:\n  portkey:\n    strategy: {mode: conditional, conditions: [{query: "
                 "{metadata.tenant: x}, then: z}]}\n"
                 "    targets: [{name: a, backend: alpha}]\n",
                 ":8:84: found target name 'z'");
    expect_error("router:\n  portkey:\n    strategy: {mode: loadbalance}\n"
                 "    targets: [{backend: alpha, weight: 0}]\n",
                 ":9:14: found loadbalance targets whose weights are all 0");
    expect_error("router:\n  portkey:\n    targets: [{backend: alpha}]\n",
                 ":8:5: found a Portkey target without 'strategy'");
    expect_error("router:\n  portkey:\n    backend: alpha\n    strategy: {mode: single}\n",
                 "found 'strategy' beside 'backend'");
    expect_error("router:\n  portkey: tree.json\n",
                 ":7:12: found 'tree.json', which cannot be read|expected a Portkey config file");
}

/* ---- importer goldens ------------------------------------------------ */

static int emit_write(void *data, unsigned char *buf, size_t size)
{
    FILE *f = data;
    return fwrite(buf, 1, size, f) == size;
}

/* The import of `path` as the golden files hold it: the fragment, then
 * "# line:col: class: key: how" per report item.  malloc'd, or NULL with a
 * message in err. */
static char *render(const char *path, char *err, size_t errlen)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    yaml_parser_t p;
    yaml_document_t doc;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, in);
    int ok = yaml_parser_load(&p, &doc);
    yaml_parser_delete(&p);
    fclose(in);
    if (!ok) {
        snprintf(err, errlen, "%s: not YAML/JSON", path);
        return NULL;
    }
    struct scn_pk_report rep = {0};
    if (scn_pk_import(&doc, path, &rep, err, errlen) != 0) {
        yaml_document_delete(&doc);
        scn_pk_report_free(&rep);
        return NULL;
    }
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    yaml_emitter_t e;
    yaml_emitter_initialize(&e);
    yaml_emitter_set_output(&e, emit_write, f);
    yaml_emitter_set_width(&e, 100);
    yaml_emitter_open(&e);
    yaml_emitter_dump(&e, &doc); /* deletes doc */
    yaml_emitter_close(&e);
    yaml_emitter_delete(&e);
    for (size_t i = 0; i < rep.n; i++)
        fprintf(f, "# %zu:%zu: %s: %s: %s\n", rep.items[i].line, rep.items[i].column,
                scn_pk_class_name(rep.items[i].cls), rep.items[i].key, rep.items[i].how);
    fclose(f);
    scn_pk_report_free(&rep);
    return out;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

/* The golden text, and the imported tree loaded behind a traffic line
 * (router.loop is the loop loader's key: left out here). */
static void golden(const char *json, const char *expected, uint32_t n_nodes)
{
    char err[1024] = "";
    char *got = render(json, err, sizeof err);
    char *want = slurp(expected);
    CHECK(got != NULL);
    CHECK(want != NULL);
    if (got == NULL)
        fprintf(stderr, "%s\n", err);
    if (got && want && strcmp(got, want) != 0) {
        CHECK(strcmp(got, want) == 0);
        fprintf(stderr, "---- %s: got\n%s", json, got);
    }
    if (got) {
        char *text = malloc(strlen(got) * 2 + 512), *end = strstr(got, "\n# ");
        if (end)
            end[1] = '\0';
        strcpy(text, "traffic: {synthetic: {rate: 1/s, count: 5, input_tokens: 1, "
                     "output_tokens: 1}}\n");
        const char *pos = strstr(got, "---") == got ? got + 4 : got;
        char *loop = strstr(pos, "  loop: portkey\n");
        if (loop)
            memmove(loop, loop + 16, strlen(loop + 16) + 1);
        /* the provider side the importer leaves to the scenario */
        for (const char *r = pos; *r; r++) {
            if (strncmp(r, "\n- name:", 8) == 0) {
                strcat(text, "\n- latency: {ttft: 1s}\n ");
                r += 2;
            }
            size_t l = strlen(text);
            text[l] = *r;
            text[l + 1] = '\0';
        }
        struct scenario s;
        int rc = load_text(text, &s, err, sizeof err);
        CHECK_INT_EQ(rc, 0);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", json, err);
        else {
            CHECK_INT_EQ(s.router.portkey.n_nodes, n_nodes);
            scn_free(&s);
        }
        free(text);
    }
    free(got);
    free(want);
}

static void import_error(const char *text, const char *needle)
{
    char path[TMP_PATH_MAX], err[1024] = "";
    if (tmp_file(path, sizeof path, "pk_import", text) != 0)
        return;
    char *got = render(path, err, sizeof err);
    remove(path);
    CHECK(got == NULL);
    free(got);
    CHECK_STR_CONTAINS(err, needle);
}

static void test_import(void)
{
    golden("tests/data/portkey_fallback.json", "tests/data/portkey_fallback.expected", 3);
    golden("tests/data/portkey_loadbalance.json", "tests/data/portkey_loadbalance.expected", 7);
    golden("tests/data/portkey_conditional.json", "tests/data/portkey_conditional.expected", 4);
    import_error("{\"strategy\": {\"mode\": \"round\"}, \"targets\": [{\"provider\": \"openai\"}]}",
                 ":1:23: found mode 'round', expected single, loadbalance, fallback or "
                 "conditional");
    import_error("{\"strategy\": {\"mode\": \"fallback\"},\n \"targets\": [{\"api_key\": \"x\"}]}",
                 ":2:14: found a target without 'targets', 'provider' or 'virtual_key'");
    import_error("{\"provider\": \"openai\", \"request_timeout\": \"10s\"}",
                 ":1:43: found '10s', expected a timeout in milliseconds");
    import_error("{\"provider\": \"openai\", \"retry\": {\"attempts\": 9}}",
                 ":1:46: found 9 retry attempts, expected a whole number 0 to 5");
    import_error("{\"strategy\": {\"mode\": \"conditional\", \"conditions\": [{\"query\": "
                 "{\"url.pathname\": \"/v1/chat\"}, \"then\": \"a\"}]},"
                 " \"targets\": [{\"name\": \"a\", \"provider\": \"openai\"}]}",
                 ":1:64: found condition key 'url.pathname'");
    import_error("{\"targets\": [{\"provider\": \"openai\"}]}",
                 ":1:13: found 'targets' without 'strategy'");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--print") == 0) {
        char err[1024];
        char *got = render(argv[2], err, sizeof err);
        if (got == NULL) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        fputs(got, stdout);
        free(got);
        return 0;
    }
    test_native_fallback();
    test_native_conditional();
    test_native_errors();
    test_import();
    return check_report("test_scn_portkey");
}
