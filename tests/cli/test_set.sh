#!/usr/bin/env bash
# --set PATH=VALUE: an override gives what the same edit of the file gives,
# and a bad one exits 2 naming the override.
# usage: test_set.sh path/to/lbsim   (run from the repository root)
set -u
LBSIM=$1
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lbsim_test_set_XXXXXX")
trap 'rm -rf "$tmp"' EXIT

Q=scenarios/examples/quickstart.yaml
# The edited copy lives elsewhere: its trace and latency-file paths are made absolute.
sed -e 's/^  rate_scale: 4$/  rate_scale: 2/' \
    -e "s|^  trace: \.\./\.\./|  trace: $PWD/|" -e "s|file: \.\./\.\./|file: $PWD/|g" "$Q" >"$tmp/edited.yaml"
grep -q '^  rate_scale: 2$' "$tmp/edited.yaml" || bad "sed did not edit rate_scale"

"$LBSIM" run "$Q" --json >"$tmp/default.json" 2>/dev/null
"$LBSIM" run "$Q" --set traffic.rate_scale=2 --json >"$tmp/set.json" 2>/dev/null
rc=$?
"$LBSIM" run "$tmp/edited.yaml" --json >"$tmp/edited.json" 2>/dev/null
if [ "$rc" -gt 1 ]; then bad "run --set exited $rc"; else ok "run --set exited $rc"; fi
if cmp -s "$tmp/default.json" "$tmp/set.json"; then bad "--set traffic.rate_scale=2 changed nothing"; else ok "--set differs from the default"; fi
# The fingerprint records how the scenario was given (file + overrides): drop it.
nofp() { grep -v '"fingerprint"' "$1"; }
if cmp -s <(nofp "$tmp/set.json") <(nofp "$tmp/edited.json"); then ok "--set equals the edited copy"; else bad "--set differs from the edited copy"; diff "$tmp/set.json" "$tmp/edited.json" | head -5; fi

# Several overrides, a flow mapping, a name and an index, and --strategy.
"$LBSIM" run "$Q" --strategy least_inflight --json \
    --set 'backends.openai-a.limits={rpm: 100, tpm: 50k}' --set backends.2.weight=1 >"$tmp/set2.json" 2>/dev/null
sed -e 's/^    limits: {rpm: 5000, tpm: 800k}$/    limits: {rpm: 100, tpm: 50k}/' \
    -e 's/^    weight: 9$/    weight: 1/' \
    -e "s|^  trace: \.\./\.\./|  trace: $PWD/|" -e "s|file: \.\./\.\./|file: $PWD/|g" "$Q" >"$tmp/edited2.yaml"
"$LBSIM" run "$tmp/edited2.yaml" --strategy least_inflight --json >"$tmp/edited2.json" 2>/dev/null
if cmp -s <(nofp "$tmp/set2.json") <(nofp "$tmp/edited2.json") && [ -s "$tmp/set2.json" ]; then ok "two --set equal the edited copy"; else bad "two --set differ from the edited copy"; fi

# trace synth takes --set too.
n=$("$LBSIM" trace synth tests/data/set_base.yaml --set traffic.synthetic.count=10 | wc -l)
if [ "$n" -eq 11 ]; then ok "trace synth --set: 10 rows"; else bad "trace synth --set: $n lines, expected 11"; fi

expect() { # expect STATUS STRING -- ARGS...  (STRING: a fixed substring of stderr)
    local want=$1 str=$2
    shift 3
    local out rc
    out=$("$LBSIM" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "lbsim $* exited $rc, expected $want; stderr: $out"
    elif ! grep -qF -- "$str" <<<"$out"; then
        bad "lbsim $*: stderr does not contain '$str': $out"
    else
        ok "lbsim $* -> $rc: $(head -1 <<<"$out")"
    fi
}
expect 2 "lbsim: --set backends.openai-c.limits.rpm=1: $Q: found no item 'openai-c' in 'backends' (3 items), expected an index 0..2 or a name: openai-a, openai-b, anthropic; did you mean 'openai-a'?" \
    -- run "$Q" --set backends.openai-c.limits.rpm=1
expect 2 "lbsim: --set backends.0.limits.rpm=abc: found 'abc', expected a non-negative count such as 500, 200k or 2M" \
    -- run "$Q" --set backends.0.limits.rpm=abc
expect 2 "did you mean 'rate_scale'?" -- run "$Q" --set traffic.rate_scal=2
expect 2 "found '4' at 'traffic.rate_scale', expected a mapping or a list to find 'x' in" \
    -- run "$Q" --set traffic.rate_scale.x=1
expect 2 "lbsim: --set: found 'rate' without '=', expected PATH=VALUE (e.g. traffic.rate_scale=2)" \
    -- run "$Q" --set rate
expect 2 "option '--set' needs a value" -- run "$Q" --set
expect 2 "lbsim trace: --set: found '=1' with an empty PATH" -- trace synth tests/data/set_base.yaml --set =1
expect 2 "lbsim: --set traffic.synthetic.count=x: found 'x'" -- trace synth tests/data/set_base.yaml --set traffic.synthetic.count=x
if "$LBSIM" run --help | grep -q -- "--set PATH=VALUE"; then ok "run --help names --set"; else bad "run --help"; fi
if "$LBSIM" trace synth --help | grep -q -- "--set PATH=VALUE"; then ok "trace synth --help names --set"; else bad "trace synth --help"; fi
echo "set: $fail failed"
[ "$fail" -eq 0 ]
