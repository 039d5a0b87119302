#!/usr/bin/env bash
# `lbsim trace`: info, convert (native round trip, Azure -> native keeps the
# statistics), synth, usage and input errors.
# usage: test_trace_cli.sh path/to/lbsim   (run from the repository root)
set -u
LBSIM=$1
CONV=traces/data/AzureLLMInferenceTrace_conv.csv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() {
    echo "FAIL: $*"
    fail=$((fail + 1))
}

# info prints the row count of the Azure conversation trace (README: 19,366)
out=$("$LBSIM" trace info "$CONV")
rc=$?
if [ "$rc" -eq 0 ] && grep -qE '^rows +19366 ' <<<"$out"; then ok "info $CONV: 19366 rows"; else bad "info: rc $rc: $out"; fi
out=$("$LBSIM" trace info "$CONV" --json)
if grep -q '"rows": 19366' <<<"$out" && grep -q '"mean_rate_per_s": 5.53' <<<"$out"; then
    ok "info --json"
else
    bad "info --json: $out"
fi
out=$("$LBSIM" trace info "$CONV" --window 10m:20m)
if grep -qE '^rows +3118 ' <<<"$out"; then ok "info --window 10m:20m"; else bad "info --window: $out"; fi

# convert: native -> native is byte-identical for the canonical fixture
if "$LBSIM" trace convert tests/data/xf_roundtrip.csv -o "$TMP/rt.csv" &&
    cmp -s tests/data/xf_roundtrip.csv "$TMP/rt.csv"; then
    ok "convert round trip is byte-identical"
else
    bad "convert round trip differs: $(diff tests/data/xf_roundtrip.csv "$TMP/rt.csv" | head -5)"
fi
if "$LBSIM" trace convert tests/data/xf_roundtrip.csv | cmp -s tests/data/xf_roundtrip.csv -; then
    ok "convert to stdout"
else
    bad "convert to stdout differs"
fi

# convert Azure -> native, then info on both: the same statistics
if "$LBSIM" trace convert "$CONV" -o "$TMP/conv.csv"; then
    a=$("$LBSIM" trace info "$CONV" | tail -n +3)
    b=$("$LBSIM" trace info "$TMP/conv.csv" | tail -n +3)
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "convert azure -> native keeps the stats"; else bad "stats differ: $a // $b"; fi
else
    bad "convert $CONV failed"
fi

# synth: the scenario's traffic (30/s for 2 minutes: ~3600 rows)
if "$LBSIM" trace synth tests/data/cli_small.yaml -o "$TMP/s.csv"; then
    n=$(($(wc -l <"$TMP/s.csv") - 1))
    hdr=$(head -1 "$TMP/s.csv")
    if [ "$hdr" = "arrival_s,input_tokens,output_tokens" ] && [ "$n" -gt 3200 ] && [ "$n" -lt 4000 ]; then
        ok "synth: $n rows"
    else
        bad "synth: header '$hdr', $n rows"
    fi
    # deterministic: the same scenario gives the same bytes
    if "$LBSIM" trace synth tests/data/cli_small.yaml | cmp -s "$TMP/s.csv" -; then ok "synth is deterministic"; else bad "synth differs between runs"; fi
else
    bad "synth failed"
fi

# help
for sub in info convert synth; do
    if "$LBSIM" trace "$sub" --help | grep -q "usage: lbsim trace $sub"; then ok "$sub --help"; else bad "$sub --help"; fi
done

expect() { # expect STATUS PATTERN -- ARGS...
    local want=$1 pat=$2
    shift 3
    local out rc
    out=$("$LBSIM" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "lbsim $* exited $rc, expected $want; stderr: $out"
    elif ! grep -qE -- "$pat" <<<"$out"; then
        bad "lbsim $*: stderr does not match /$pat/: $out"
    else
        ok "lbsim $* -> $rc: $(head -1 <<<"$out")"
    fi
}
expect 2 'no-such-trace.csv' -- trace info tests/data/no-such-trace.csv
expect 2 'cli_bad_row.csv:4: .*abc' -- trace info tests/data/cli_bad_row.csv
expect 2 'cli_bad_row.csv:4: .*abc' -- trace convert tests/data/cli_bad_row.csv
expect 2 'cli_bad_syntax.yaml:[0-9]+:[0-9]+' -- trace synth tests/data/cli_bad_syntax.yaml
expect 2 'missing FILE' -- trace info
expect 2 'missing FILE' -- trace convert
expect 2 'missing SCENARIO' -- trace synth
expect 2 'missing command' -- trace
expect 2 "unknown command 'inf'" -- trace inf
expect 2 "unknown option '--jsn'" -- trace info "$CONV" --jsn
expect 2 "--format: found 'csv'" -- trace info "$CONV" --format csv
expect 2 "--rate-scale: found '0'" -- trace info "$CONV" --rate-scale 0
expect 2 "--window: found '20m:10m'" -- trace info "$CONV" --window 20m:10m
expect 2 "option '-o' needs a value" -- trace convert "$CONV" -o
if [ -e "$TMP/never.csv" ]; then bad "a failed convert left its output"; fi
"$LBSIM" trace convert tests/data/cli_bad_row.csv -o "$TMP/never.csv" 2>/dev/null
if [ -e "$TMP/never.csv" ]; then bad "a failed convert left its output"; else ok "a failed convert removes its output"; fi

echo "trace cli: $fail failed"
[ "$fail" -eq 0 ]
