/*
 * test_catalog.c - the price catalog (models/catalog.h) and the scenario
 * backends' `model:` filling prices and context windows from it.
 *
 * Expected figures are those of the generated table's source,
 * pydantic/genai-prices data.json at commit 47df840 (2026-08-21), USD per
 * million tokens; they agree with docs/notes/data.md.
 */
#include <stdlib.h>
#include <unistd.h>

#include "catalog.h"
#include "scn.h"
#include "check.h"
#include "tmp.h"

/* This test's private directory (main() creates and removes it). */
static char tmpdir[TMP_DIR_MAX];

static void check_prices(const char *model, double in, double cached, double out, int64_t ctx)
{
    const struct catalog_entry *e = catalog_find(model);
    CHECK(e != NULL);
    if (e == NULL) {
        fprintf(stderr, "  %s not in the catalog\n", model);
        return;
    }
    CHECK_NEAR(e->input_usd_per_mtok, in, 1e-12);
    CHECK_NEAR(e->cached_input_usd_per_mtok, cached, 1e-12);
    CHECK_NEAR(e->output_usd_per_mtok, out, 1e-12);
    CHECK_INT_EQ(e->context_window, ctx);
}

static void test_lookup(void)
{
    check_prices("gpt-4o-mini", 0.15, 0.075, 0.60, 128000);
    /* Tiered above 200k prompt tokens: the base price. */
    check_prices("claude-sonnet-4-5", 3.00, 0.30, 15.00, 1000000);
    CHECK(catalog_find("claude-sonnet-4-5")->flags & CATALOG_TIERED);
    /* data.json gives gemini-2.5-flash no context_window: 0 = unknown. */
    check_prices("gemini-2.5-flash", 0.30, 0.03, 2.50, 0);
    CHECK(catalog_find("gemini-2.5-flash")->flags == 0);

    const struct catalog_entry *e = catalog_find("gpt-4o-mini");
    CHECK(e != NULL && strcmp(e->provider, "openai") == 0);
    CHECK(catalog_find("gpt-4o-mini-2024-07-18") == e); /* alias */
    CHECK(catalog_find("openai/gpt-4o-mini") == e);
    CHECK(catalog_find("openai/gpt-4o-mini-2024-07-18") == e);
    CHECK(catalog_find("anthropic/gpt-4o-mini") == NULL);
    CHECK(catalog_find("GPT-4o-mini") == NULL); /* case-sensitive */
    CHECK(catalog_find("gpt-4o-mini ") == NULL);
    CHECK(catalog_find("no-such-model") == NULL);
    CHECK(catalog_find("openai/") == NULL);
    CHECK(catalog_find("/gpt-4o-mini") == NULL);
    CHECK(catalog_find("") == NULL);
    CHECK(catalog_find(NULL) == NULL);

    /* claude-sonnet-4.5 is an alias (a starts_with rule's whole name). */
    CHECK(catalog_find("claude-sonnet-4.5") == catalog_find("claude-sonnet-4-5"));
    /* A bare name under several providers: the first (anthropic, not google). */
    e = catalog_find("claude-opus-4-6");
    CHECK(e != NULL && strcmp(e->provider, "anthropic") == 0);
    e = catalog_find("google/claude-opus-4-6");
    CHECK(e != NULL && strcmp(e->provider, "google") == 0);
    /* Ids holding a '/', bare and qualified. */
    e = catalog_find("meta-llama/llama-4-scout-17b-16e-instruct");
    CHECK(e != NULL && strcmp(e->provider, "groq") == 0);
    CHECK(catalog_find("groq/meta-llama/llama-4-scout-17b-16e-instruct") == e);
    /* A time-of-day price: the standard hours' price is kept. */
    e = catalog_find("deepseek-chat");
    CHECK(e != NULL && (e->flags & CATALOG_TIME_OF_DAY));

    CHECK_STR_CONTAINS(catalog_source(), "genai-prices");
    CHECK_STR_CONTAINS(catalog_source(), "2026-08-21");
}

/* Every entry is sane and reachable by provider/id and provider/alias. */
static void test_table(void)
{
    size_t n = catalog_count(), per_openai = 0;
    CHECK(n > 100);
    CHECK(catalog_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_entry *e = catalog_at(i);
        char q[256];
        CHECK(e != NULL && e->provider[0] && e->id[0]);
        CHECK(isfinite(e->input_usd_per_mtok) && e->input_usd_per_mtok >= 0);
        CHECK(isfinite(e->cached_input_usd_per_mtok) && e->cached_input_usd_per_mtok >= 0);
        CHECK(isfinite(e->output_usd_per_mtok) && e->output_usd_per_mtok >= 0);
        CHECK(e->context_window >= 0);
        CHECK((e->n_aliases == 0) == (e->aliases == NULL));
        snprintf(q, sizeof q, "%s/%s", e->provider, e->id);
        CHECK(catalog_find(q) == e);
        if (catalog_find(q) != e)
            fprintf(stderr, "  %s\n", q);
        for (uint32_t k = 0; k < e->n_aliases; k++) {
            snprintf(q, sizeof q, "%s/%s", e->provider, e->aliases[k]);
            const struct catalog_entry *f = catalog_find(q);
            CHECK(f == e);
            if (f != e)
                fprintf(stderr, "  %s -> %s\n", q, f ? f->id : "NULL");
        }
        per_openai += strcmp(e->provider, "openai") == 0;
    }
    CHECK(per_openai > 10);
}

static int load(const char *backend, struct scenario *s)
{
    char path[TMP_PATH_MAX], err[1024] = "";
    tmp_path(path, sizeof path, tmpdir, "scn.yaml");
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "traffic:\n"
            "  synthetic: {rate: 1/s, count: 10, input_tokens: 100, output_tokens: 10}\n"
            "backends:\n"
            "  - name: a\n"
            "%s"
            "    latency: {ttft: 1s}\n",
            backend);
    fclose(f);
    int rc = scn_load(path, s, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "  %s\n", err);
    unlink(path);
    return rc;
}

static void check_backend(const struct scn_backend *b, double in, double cached, double out,
                          int64_t ctx)
{
    CHECK_NEAR(b->route.price_input, in / 1e6, 1e-18);
    CHECK_NEAR(b->route.price_cached, cached / 1e6, 1e-18);
    CHECK_NEAR(b->route.price_output, out / 1e6, 1e-18);
    CHECK_NEAR(b->api.price_input, in / 1e6, 1e-18);
    CHECK_NEAR(b->api.price_cached, cached / 1e6, 1e-18);
    CHECK_NEAR(b->api.price_output, out / 1e6, 1e-18);
    CHECK_INT_EQ(b->route.context_window, ctx);
    CHECK_INT_EQ(b->api.context_window, ctx);
}

static void test_scenario(void)
{
    const struct catalog_entry *mini = catalog_find("gpt-4o-mini");
    const struct catalog_entry *sonnet = catalog_find("claude-sonnet-4-5");
    if (mini == NULL || sonnet == NULL) {
        CHECK(0);
        return;
    }
    struct scenario s;
    /* The catalog fills prices and context window. */
    if (load("    model: gpt-4o-mini\n", &s) == 0) {
        CHECK(strcmp(s.backends[0].model, "gpt-4o-mini") == 0);
        check_backend(&s.backends[0], mini->input_usd_per_mtok, mini->cached_input_usd_per_mtok,
                      mini->output_usd_per_mtok, mini->context_window);
        check_backend(&s.backends[0], 0.15, 0.075, 0.60, 128000);
        scn_free(&s);
    } else {
        CHECK(0);
    }
    /* provider/model works too. */
    if (load("    model: anthropic/claude-sonnet-4-5\n", &s) == 0) {
        check_backend(&s.backends[0], 3.00, 0.30, 15.00, 1000000);
        scn_free(&s);
    } else {
        CHECK(0);
    }
    /* Explicit prices and context window override (given input = cached). */
    if (load("    model: gpt-4o-mini\n"
             "    prices: {input: $1, output: $2}\n"
             "    context_window: 64k\n",
             &s) == 0) {
        check_backend(&s.backends[0], 1.0, 1.0, 2.0, 64000);
        scn_free(&s);
    } else {
        CHECK(0);
    }
    /* A partial prices: map keeps the catalog's other prices. */
    if (load("    model: gpt-4o-mini\n"
             "    prices: {output: $2}\n",
             &s) == 0) {
        check_backend(&s.backends[0], 0.15, 0.075, 2.0, 128000);
        scn_free(&s);
    } else {
        CHECK(0);
    }
    if (load("    model: gpt-4o-mini\n"
             "    prices: {cached_input: $0.01}\n",
             &s) == 0) {
        check_backend(&s.backends[0], 0.15, 0.01, 0.60, 128000);
        scn_free(&s);
    } else {
        CHECK(0);
    }
    /* An unknown model without prices is an error (a typo must not cost
       $0); with prices it is a plain label. */
    CHECK(load("    model: my-finetune-v2\n", &s) != 0);
    CHECK(load("    model: gpt4o\n", &s) != 0);
    if (load("    model: my-finetune-v2\n    prices: {input: 1, output: 2}\n", &s) == 0) {
        CHECK(strcmp(s.backends[0].model, "my-finetune-v2") == 0);
        check_backend(&s.backends[0], 1, 1, 2, 0);
        scn_free(&s);
    } else {
        CHECK(0);
    }
    /* The names gateways use for catalog models resolve to them. */
    static const struct {
        const char *name, *id;
    } names[] = {
        {"claude-3-5-sonnet-20241022", "claude-3-5-sonnet"},
        {"gpt-4o-2024-08-06", "gpt-4o"},
        {"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
        {"azure/gpt-4o", "gpt-4o"},
        {"azure_ai/gpt-4o-mini", "gpt-4o-mini"},
        {"bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"},
        {"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku-latest"},
        {"vertex_ai/claude-3-5-sonnet@20241022", "claude-3-5-sonnet"},
        {"claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *how = NULL;
        const struct catalog_entry *e = catalog_resolve(names[k].name, &how);
        CHECK(e != NULL && strcmp(e->id, names[k].id) == 0);
        if (e == NULL || strcmp(e->id, names[k].id) != 0)
            fprintf(stderr, "  %s -> %s\n", names[k].name, e ? e->id : "(none)");
        CHECK(how != NULL); /* "" when the name is the catalog's own alias */
    }
    static const char *const unknown[] = {"gpt4o",      "azure/gpt4o",  "bedrock/meta",
                                          "claude-3-5", "gpt-4o-20241", "vertex_ai/"};
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++)
        CHECK(catalog_resolve(unknown[k], NULL) == NULL);
    /* Without model: nothing changes (input alone is also the cached price). */
    if (load("    prices: {input: 2.5}\n", &s) == 0) {
        check_backend(&s.backends[0], 2.5, 2.5, 0, 0);
        scn_free(&s);
    } else {
        CHECK(0);
    }
}

int main(void)
{
    if (tmp_dir(tmpdir, sizeof tmpdir, "test_catalog") != 0)
        return 1;
    test_lookup();
    test_table();
    test_scenario();
    tmp_rmdir(tmpdir);
    return check_report("test_catalog");
}
