#!/usr/bin/env bash
# make_dict.sh - regenerate fuzz/scenario.dict (libFuzzer -dict=) from the
# scenario vocabulary, scenarios/scn_keys.def: every key and enumerated
# name, as "name:", plus YAML punctuation and hostile numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
{
    echo "# Scenario keys and enumerated names for fuzz_scenario and fuzz_set,"
    echo "# generated from scenarios/scn_keys.def by fuzz/make_dict.sh."
    grep -hoE '(SCN_KEY|SCN_ITEM)\([^"]*"[^"]+"' scenarios/scn_keys.def | grep -oE '"[^"]+"' |
        sort -u | sed -E 's/^"(.*)"$/"\1:"/'
    printf '%s\n' '"dist:"' '"{"' '"}"' '"["' '"]"' '"&a "' '"*a"' '"1e308"' '"-1"' '"ms"' \
        '"/s"' '"%"' '"- "' '"null"' '"~"' '"<<: "'
} >fuzz/scenario.dict
