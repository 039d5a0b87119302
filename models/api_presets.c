/*
 * api_presets.c - rate-limit tier presets (`limits: {preset: NAME}`), with
 * the figures of docs/notes/data.md §3 and their sources.
 *
 * `verified` is true only where the figures come from the provider's own
 * page (Anthropic tier 1, Gemini); figures from secondary sources (OpenAI
 * per-model limits, Anthropic tiers 2-4) are marked unverified.  Limits
 * change often: check the provider's console for an account's own figures.
 */
#include <stddef.h>
#include <string.h>

#include "api.h"

#define SRC_OPENAI "docs/notes/data.md §3: ai-buzz.com \"OpenAI Rate Limits Explained\" (secondary)"
#define SRC_ANTHROPIC_T1                                                                           \
    "docs/notes/data.md §3: Anthropic rate-limits page (mirror anthropic.mintlify.app/en/api/"    \
    "rate-limits)"
#define SRC_ANTHROPIC_T24 "docs/notes/data.md §3: hivebook.wiki (secondary)"
#define SRC_GEMINI                                                                                 \
    "docs/notes/data.md §3: ai.google.dev/gemini-api/docs/quota (zh-cn copy, around May 2025)"

#define TOK_K 1000LL
#define TOK_M 1000000LL

/* name, style, rpm, tpm, itpm, otpm, rpd, source, verified, burst window.
 * The window is each style's documented default (api.c): 1 s for OpenAI
 * and Anthropic, whose rate-limit pages give per-second enforcement as
 * their example; 1 min for Gemini, whose page documents no shorter one. */
#define OPENAI(n, rpm, tpm)                                                                        \
    {                                                                                              \
        n, API_LIMITS_OPENAI, rpm, tpm, 0, 0, 0, SRC_OPENAI, false, API_SECOND_NS                  \
    }
#define ANTHROPIC(n, rpm, itpm, otpm, src, ver)                                                    \
    {                                                                                              \
        n, API_LIMITS_ANTHROPIC, rpm, 0, itpm, otpm, 0, src, ver, API_SECOND_NS                    \
    }
#define GEMINI(n, rpm, tpm, rpd)                                                                   \
    {                                                                                              \
        n, API_LIMITS_GEMINI, rpm, tpm, 0, 0, rpd, SRC_GEMINI, true, API_MINUTE_NS                 \
    }

static const struct api_limit_preset presets[] = {
    OPENAI("openai-gpt-4o-tier1", 500, 30 * TOK_K),
    OPENAI("openai-gpt-4o-tier2", 5000, 450 * TOK_K),
    OPENAI("openai-gpt-4o-tier3", 5000, 800 * TOK_K),
    OPENAI("openai-gpt-4o-tier4", 10000, 2 * TOK_M),
    OPENAI("openai-gpt-4o-tier5", 10000, 30 * TOK_M),
    OPENAI("openai-gpt-4o-mini-tier1", 500, 200 * TOK_K),
    OPENAI("openai-gpt-4o-mini-tier2", 5000, 2 * TOK_M),
    OPENAI("openai-gpt-4o-mini-tier3", 5000, 4 * TOK_M),
    OPENAI("openai-gpt-4o-mini-tier4", 10000, 10 * TOK_M),
    OPENAI("openai-gpt-4o-mini-tier5", 30000, 150 * TOK_M),
    /* Sonnet 4.x models share one pool, and so do Opus 4.x models. */
    ANTHROPIC("anthropic-sonnet-4-tier1", 50, 30 * TOK_K, 8 * TOK_K, SRC_ANTHROPIC_T1, true),
    ANTHROPIC("anthropic-sonnet-4-tier2", 1000, 450 * TOK_K, 90 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-sonnet-4-tier3", 2000, 800 * TOK_K, 160 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-sonnet-4-tier4", 4000, 2 * TOK_M, 400 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-opus-4-tier1", 50, 30 * TOK_K, 8 * TOK_K, SRC_ANTHROPIC_T1, true),
    ANTHROPIC("anthropic-opus-4-tier2", 1000, 450 * TOK_K, 90 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-opus-4-tier3", 2000, 800 * TOK_K, 160 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-opus-4-tier4", 4000, 2 * TOK_M, 400 * TOK_K, SRC_ANTHROPIC_T24, false),
    /* Haiku 4.5 at tier 1 is not in the reference data (it lists Haiku 3.5). */
    ANTHROPIC("anthropic-haiku-4.5-tier2", 1000, 450 * TOK_K, 90 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-haiku-4.5-tier3", 2000, 1 * TOK_M, 200 * TOK_K, SRC_ANTHROPIC_T24, false),
    ANTHROPIC("anthropic-haiku-4.5-tier4", 4000, 4 * TOK_M, 800 * TOK_K, SRC_ANTHROPIC_T24, false),
    GEMINI("gemini-2.5-flash-free", 10, 250 * TOK_K, 500),
    GEMINI("gemini-2.5-flash-tier1", 1000, 1 * TOK_M, 10000),
    GEMINI("gemini-2.5-pro-tier1", 150, 2 * TOK_M, 1000),
    GEMINI("gemini-2.0-flash-free", 15, 1 * TOK_M, 1500),
    GEMINI("gemini-2.0-flash-lite-free", 30, 1 * TOK_M, 1500),
    GEMINI("gemini-2.0-flash-tier1", 2000, 4 * TOK_M, 0), /* no RPD published */
};

const struct api_limit_preset *api_limit_preset_find(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

const struct api_limit_preset *api_limit_preset_at(size_t i)
{
    return i < sizeof presets / sizeof presets[0] ? &presets[i] : NULL;
}
