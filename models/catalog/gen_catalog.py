#!/usr/bin/env python3
"""Generate models/catalog_data.c from the genai-prices v2 feed (data.json).

Run by hand at development time when the price data is refreshed; the
generated C file is committed and the build never runs this script.

    python3 models/catalog/gen_catalog.py \
        --data ../shared/providers/genai-prices/data.json \
        --out models/catalog_data.c

Python 3 standard library only.  See models/catalog/README.md.

Rules (what a catalog entry holds, from one data.json model):
  - input / cached input / output prices in USD per million tokens
    (input_mtok, cache_read_mtok, output_mtok); cached input = input when
    the model has no cache_read_mtok;
  - context_window in tokens, 0 when data.json gives none;
  - a price that is tiered ({"base": x, "tiers": [...]}: a higher price
    once the prompt exceeds a size) is recorded at its base price and the
    entry is flagged CATALOG_TIERED;
  - when `prices` is a list of constrained entries, the latest entry in
    force on the --as-of date is taken: entries whose start_date is after
    it (announced future prices) are skipped; an entry with a time-of-day
    window (DeepSeek's standard hours, vs an off-peak discount) is taken
    as the standard price and flagged CATALOG_TIME_OF_DAY;
  - models with no input or no output price (embeddings, moderation,
    ':free' variants) are skipped;
  - aliases: the values of `equals` and `starts_with` match rules (top
    level or inside `or`), each of which is itself a name the rule
    matches (starts_with fragments such as 'ft:gpt-4o-2024-' are not);
    `contains`, `ends_with` and `regex` rules are not turned into aliases,
    so dated names matched only by a prefix rule (claude-sonnet-4-5-20250929)
    are not found: name the model id or an alias.  An alias equal to another model's id in the same provider,
    or already taken by an earlier model of the provider (genai-prices
    matches the first model in order), is dropped.
"""

import argparse
import json
import os
import re
import sys

SOURCE_REPO = "pydantic/genai-prices"
SOURCE_COMMIT = "47df840a5ab10bbcffb8e5ac01b9899032245d1b"
SOURCE_DATE = "2026-08-21"
SOURCE_FILE = "prices/new_data/v2/data.json"

# Providers taken, in lookup order: a bare model name found under several
# providers resolves to the first (e.g. claude-opus-4-6 is anthropic's, not
# google's Vertex copy).  Aggregators and clouds re-selling the same models
# (openrouter, aws, azure, huggingface_*) are left out.
PROVIDERS = [
    "openai",
    "anthropic",
    "google",
    "mistral",
    "deepseek",
    "x-ai",
    "groq",
    "together",
    "fireworks",
    "cerebras",
    "cohere",
]

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "providers", "genai-prices",
                            "data.json")
DEFAULT_OUT = os.path.join(REPO, "models", "catalog_data.c")


def fail(msg):
    sys.exit("gen_catalog: " + msg)


def c_str(s):
    if not s.isascii() or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in s):
        fail("unexpected character in %r" % s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_double(x):
    r = repr(float(x))
    if r in ("inf", "-inf", "nan"):
        fail("non-finite price %r" % x)
    return r


def pick_prices(model, as_of):
    """The price dict in force on as_of, and flags."""
    prices = model["prices"]
    flags = []
    if isinstance(prices, dict):
        return prices, flags
    chosen = None
    for entry in prices:
        con = entry.get("constraint") or {}
        unknown = set(con) - {"start_date", "start_time", "end_time"}
        if unknown:
            fail("%s: unknown price constraint %s" % (model["id"], sorted(unknown)))
        if "start_date" in con and con["start_date"] > as_of:
            continue  # announced, not yet in force on the snapshot date
        chosen = entry
    if chosen is None:
        fail("%s: no price in force on %s" % (model["id"], as_of))
    con = chosen.get("constraint") or {}
    if "start_time" in con or "end_time" in con:
        flags.append("CATALOG_TIME_OF_DAY")
    return chosen["prices"], flags


def plain(value, flags):
    if isinstance(value, dict):
        if "base" not in value:
            fail("unexpected price object %r" % value)
        if "CATALOG_TIERED" not in flags:
            flags.append("CATALOG_TIERED")
        return value["base"]
    return value


def is_name(prefix):
    """A starts_with value that reads as a whole model name, not a fragment
    such as 'ft:gpt-4o-2024-', 'claude-sonnet-4@' or 'claude-sonnet-4-2025'."""
    return not (prefix.startswith("ft:") or prefix[-1] in "-@.:/"
                or re.search(r"-20[0-9][0-9]$", prefix))


def match_names(rule):
    """Names that are exact matches of a rule: equals values and whole-name
    starts_with values."""
    out = []
    for kind, val in rule.items():
        if kind == "equals" or (kind == "starts_with" and is_name(val)):
            out.append(val)
        elif kind == "or":
            for sub in val:
                out.extend(match_names(sub))
    return out


def build(data, as_of):
    by_id = {p["id"]: p for p in data}
    entries = []
    skipped = []
    for pid in PROVIDERS:
        if pid not in by_id:
            fail("provider %s not in data.json" % pid)
        models = by_id[pid]["models"]
        ids = {m["id"] for m in models}
        taken = set()
        for m in models:
            prices, flags = pick_prices(m, as_of)
            if "input_mtok" not in prices or "output_mtok" not in prices:
                skipped.append("%s/%s" % (pid, m["id"]))
                continue
            inp = plain(prices["input_mtok"], flags)
            out = plain(prices["output_mtok"], flags)
            cached = plain(prices.get("cache_read_mtok", prices["input_mtok"]), flags)
            ctx = m.get("context_window") or 0
            aliases = []
            for name in match_names(m.get("match") or {}):
                if name == m["id"] or name in aliases:
                    continue
                if name in ids or name in taken:
                    continue
                aliases.append(name)
            taken.update(aliases)
            entries.append({
                "provider": pid,
                "id": m["id"],
                "input": inp,
                "cached": cached,
                "output": out,
                "ctx": int(ctx),
                "flags": flags,
                "aliases": aliases,
            })
    return entries, skipped


def emit(entries, as_of, fh):
    w = fh.write
    w("/*\n")
    w(" * catalog_data.c - GENERATED by models/catalog/gen_catalog.py: do not edit.\n")
    w(" *\n")
    w(" * Source: %s, commit %s (%s),\n" % (SOURCE_REPO, SOURCE_COMMIT, SOURCE_DATE))
    w(" * %s.  MIT licence, Copyright (c) Pydantic Services Inc.:\n" % SOURCE_FILE)
    w(" * models/catalog/LICENSE-genai-prices.  Prices in force on %s, USD per\n" % as_of)
    w(" * million tokens; tiered prices at their base (CATALOG_TIERED).\n")
    w(" * Regenerate: see models/catalog/README.md.\n")
    w(" */\n")
    w('#include "catalog.h"\n\n')
    w("/* Per-entry alias lists, back to back. */\n")
    w("static const char *const aliases[] = {\n")
    offsets = []
    n = 0
    for e in entries:
        offsets.append(n)
        for a in e["aliases"]:
            w("    %s,\n" % c_str(a))
            n += 1
    if n == 0:
        w("    \"\",\n")
    w("};\n\n")
    w("static const struct catalog_entry entries[] = {\n")
    for e, off in zip(entries, offsets):
        flags = " | ".join(e["flags"]) if e["flags"] else "0"
        al = "&aliases[%d]" % off if e["aliases"] else "NULL"
        w("    {%s, %s, %s, %s, %s, %d, %s, %s, %d},\n" % (
            c_str(e["provider"]), c_str(e["id"]), c_double(e["input"]),
            c_double(e["cached"]), c_double(e["output"]), e["ctx"], flags, al,
            len(e["aliases"])))
    w("};\n\n")
    w("const struct catalog_entry *catalog_data_table(size_t *n)\n{\n")
    w("    *n = sizeof entries / sizeof entries[0];\n")
    w("    return entries;\n}\n\n")
    w("const char *catalog_data_source(void)\n{\n")
    w('    return "%s@%s (%s), prices in force on %s";\n}\n'
      % (SOURCE_REPO, SOURCE_COMMIT[:12], SOURCE_DATE, as_of))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help="genai-prices data.json (v2)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="the C file to write")
    ap.add_argument("--as-of", default=SOURCE_DATE,
                    help="take prices in force on this date, YYYY-MM-DD (default: the "
                    "snapshot's commit date)")
    args = ap.parse_args()
    with open(args.data, encoding="utf-8") as f:
        data = json.load(f)
    entries, skipped = build(data, args.as_of)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        emit(entries, args.as_of, fh)
    os.replace(tmp, args.out)
    counts = {}
    for e in entries:
        counts[e["provider"]] = counts.get(e["provider"], 0) + 1
    print("gen_catalog: %d entries (%s), %d aliases, %d models skipped (no input or output "
          "price) -> %s" % (len(entries), ", ".join("%s %d" % kv for kv in counts.items()),
                            sum(len(e["aliases"]) for e in entries), len(skipped), args.out))


if __name__ == "__main__":
    main()
