/*
 * catalog.h - a price catalog of hosted LLM API models (prefix catalog_).
 *
 * Generated from pydantic/genai-prices (MIT) by models/catalog/gen_catalog.py
 * into models/catalog_data.c; models/catalog/README.md says how, from which
 * commit and date.  A scenario backend's `model:` that names an entry gets
 * its prices and context window (scenario values override them).
 *
 * Lookup is case-sensitive: a model id ("gpt-4o-mini"), one of its aliases
 * (exact names from genai-prices' match rules, e.g. "gpt-4o-mini-2024-07-18"),
 * or "provider/model" ("openai/gpt-4o-mini") to pick one provider's entry.
 * A bare name found under several providers resolves to the first in table
 * order: openai, anthropic, google, then the others.  "provider/model" is
 * tried before the whole name as an id, as some ids hold a '/' themselves
 * (groq's "openai/gpt-oss-120b": ask for "groq/openai/gpt-oss-120b").
 */
#ifndef LBSIM_CATALOG_H
#define LBSIM_CATALOG_H

#include <stddef.h>
#include <stdint.h>

enum catalog_flag {
    /* The provider charges more once the prompt exceeds a size (e.g.
       200k tokens); the entry holds the base price. */
    CATALOG_TIERED = 1u << 0,
    /* The price depends on the time of day (DeepSeek's off-peak discount);
       the entry holds the standard price. */
    CATALOG_TIME_OF_DAY = 1u << 1,
};

struct catalog_entry {
    const char *provider; /* genai-prices provider id, e.g. "openai" */
    const char *id;       /* model id, e.g. "gpt-4o-mini" */
    double input_usd_per_mtok;
    double cached_input_usd_per_mtok; /* cache reads; = input when not offered */
    double output_usd_per_mtok;
    int64_t context_window;     /* tokens, 0 = not given by the data */
    unsigned flags;             /* enum catalog_flag */
    const char *const *aliases; /* n_aliases exact names, NULL if none */
    uint32_t n_aliases;
};

/* The entry for `model` (id, alias or provider/model), NULL if none. */
const struct catalog_entry *catalog_find(const char *model);

/*
 * catalog_find, then the names gateways use for the same model elsewhere
 * (LiteLLM model strings, litellm/utils.py get_llm_provider, v1.x):
 *  - a dated or "-latest" id: claude-3-5-sonnet-20241022, gpt-4o-2024-08-06,
 *    claude-3-5-sonnet@20241022 (Vertex) -> the undated id, then "-latest";
 *  - azure/<model>, azure_ai/<model> -> OpenAI's <model>;
 *  - bedrock/<region>.<vendor>.<model>-v1:0 (and aws/...) -> <vendor>'s
 *    <model>;
 *  - vertex_ai/<model>, vertex/<model> -> google's <model> (genai-prices
 *    lists Claude on Vertex under google), then any provider.
 * An assumption, stated in docs/notes/data.md §2: Azure OpenAI global and
 * Bedrock/Vertex on-demand list prices equal the model vendor's own list
 * price (the bundled catalog has no separate rows for them).  NULL if
 * nothing matches.  *how (may be NULL) says which rule matched, or "".
 */
const struct catalog_entry *catalog_resolve(const char *model, const char **how);

/* The entries, in table order (provider, then genai-prices' order). */
size_t catalog_count(void);
const struct catalog_entry *catalog_at(size_t i); /* NULL if i >= count */

/* Where the data comes from: repository, commit, date. */
const char *catalog_source(void);

/* Generated (models/catalog_data.c); use the functions above. */
const struct catalog_entry *catalog_data_table(size_t *n);
const char *catalog_data_source(void);

#endif /* LBSIM_CATALOG_H */
