#!/usr/bin/env bash
# lbsim import / check / run on LiteLLM configs (issue 13): golden import
# outputs and reports, lint findings, bad input with file:line:col, exit
# codes, the raw-config refusal of run, and the `router: {litellm: FILE}`
# splice (its keys reach the loader, its errors point into the LiteLLM file).
# usage: test_import.sh path/to/lbsim [--update]   (run from the repository root)
set -u
LBSIM=$1
UPDATE=${2:-}
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lbsim_test_import_XXXXXX")
trap 'rm -rf "$tmp"' EXIT
D=tests/data
G=tests/golden

# expect CODE what -- command...
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$what: exit $rc"; else bad "$what: exit $rc, expected $want"; cat "$tmp/err" | head -5; fi
}
# golden FILE NAME: compare (or write, with --update) a golden file
golden() {
    if [ "$UPDATE" = "--update" ]; then cp "$1" "$G/$2"; ok "wrote $G/$2"; return; fi
    if cmp -s "$1" "$G/$2"; then ok "$2 matches"; else bad "$2 differs"; diff "$G/$2" "$1" | head -10; fi
}
has() { if grep -qF -- "$2" "$1"; then ok "has: $2"; else bad "missing: $2"; fi; }

# --- import: golden outputs and reports ---------------------------------
expect 0 "import realistic" -- "$LBSIM" import litellm $D/litellm_realistic.yaml --replicas 4
golden "$tmp/out" import_litellm_realistic.yaml
golden "$tmp/err" import_litellm_realistic.report
expect 0 "import traps" -- "$LBSIM" import litellm $D/litellm_traps.yaml
golden "$tmp/out" import_litellm_traps.yaml
golden "$tmp/err" import_litellm_traps.report

# exact mappings the issue names
"$LBSIM" import litellm $D/litellm_realistic.yaml --replicas 4 >"$tmp/r.yaml" 2>"$tmp/r.err"
has "$tmp/r.yaml" "loop: litellm"
has "$tmp/r.yaml" "num_retries: 3"                     # router_settings.num_retries
has "$tmp/r.yaml" "router_limits: {rpm: 480, tpm: 80000}"
has "$tmp/r.yaml" "max_inflight: 180"                  # int(30000 / 1000 * 6)
has "$tmp/r.yaml" "prices: {input: \$3, output: \$15}" # 3e-6 USD/token = $3/Mtok
has "$tmp/r.yaml" "strategy: ordered_priority"
has "$tmp/r.yaml" "params: {window: 1}"                # usage-based-routing-v2
has "$tmp/r.yaml" "allowed_fails: 0"                   # allowed_fails: 3 means v2
has "$tmp/r.yaml" "{from: gpt-4o, on: context_window, to: [claude-sonnet]}"
has "$tmp/r.yaml" "shared_state: true"
has "$tmp/r.yaml" "account: azure-1"
has "$tmp/r.err" "router_settings.allowed_fails: warning: 3 equals litellm.allowed_fails"
has "$tmp/r.err" "litellm_params.max_retries: ignored (no routing effect"
has "$tmp/r.err" "backends[gpt4o-east].latency: defaulted"
# the two east deployments share one account, the west one has its own
n=$(grep -c 'account: azure-1' "$tmp/r.yaml"); [ "$n" = 2 ] && ok "azure-1 shared by 2" || bad "azure-1 on $n backends"
# every key of the file has a report line: 0 unreported keys
has "$tmp/r.err" "lbsim import: 32 mapped, 18 approximated, 9 ignored, 0 unsupported, 19 defaulted, 1 warnings"

# weights (simple-shuffle) and the traps
"$LBSIM" import litellm $D/litellm_traps.yaml >"$tmp/t.yaml" 2>"$tmp/t.err"
has "$tmp/t.yaml" "strategy: weighted_random"
has "$tmp/t.yaml" "time: 5s"                           # router cooldown_time 0 -> 5
has "$tmp/t.err" "router_settings.routing_stratgy: warning: not a Router argument"
has "$tmp/t.err" "litellm_settings.cooldown_time: warning: ignored"

# --trace fills the placeholder
"$LBSIM" import litellm $D/litellm_clean.yaml --trace my.csv >"$tmp/c.yaml" 2>/dev/null
has "$tmp/c.yaml" "trace: my.csv"
has "$tmp/c.yaml" "strategy: least_inflight"
expect 2 "import portkey (not built here)" -- "$LBSIM" import portkey $D/litellm_clean.yaml
expect 2 "import: bad kind" -- "$LBSIM" import nginx $D/litellm_clean.yaml

# --- check: findings, exit codes -----------------------------------------
expect 1 "check traps" -- "$LBSIM" check $D/litellm_traps.yaml
golden "$tmp/out" check_litellm_traps.txt
expect 1 "check loop" -- "$LBSIM" check $D/litellm_loop.yaml
has "$tmp/out" "litellm_loop.yaml:2:18: model_list[0].model_name: fallbacks loop: a -> b -> a"
expect 0 "check clean" -- "$LBSIM" check $D/litellm_clean.yaml

# --- bad input: file:line:col, found vs expected, exit 2 ----------------
expect 2 "no model_name" -- "$LBSIM" import litellm $D/litellm_bad_noname.yaml
has "$tmp/err" "litellm_bad_noname.yaml:2:5: found a deployment without 'model_name'"
expect 2 "duplicate id" -- "$LBSIM" check $D/litellm_bad_dupid.yaml
has "$tmp/err" "litellm_bad_dupid.yaml:3:78: found deployment id 'x' twice"
expect 2 "wrong type" -- "$LBSIM" import litellm $D/litellm_bad_type.yaml
has "$tmp/err" "litellm_bad_type.yaml:2:65: found 'lots' for 'model_list[0].litellm_params.rpm', expected a non-negative number"
expect 2 "malformed YAML" -- "$LBSIM" import litellm $D/litellm_bad_yaml.yaml
has "$tmp/err" "litellm_bad_yaml.yaml:2:47: found invalid YAML"

# --- run on a raw config --------------------------------------------------
expect 2 "run raw LiteLLM config" -- "$LBSIM" run $D/litellm_realistic.yaml
has "$tmp/err" "this is a LiteLLM config, not a scenario: use router: {litellm:"

# --- the splice: the config runs unchanged inside a scenario; the run says
# what was defaulted, and the scenario's backend supplies its real limits
expect 0 "splice" -- "$LBSIM" run $D/litellm_scenario.yaml
has "$tmp/err" "backends[gpt4o-east-2].limits: defaulted"
has "$tmp/err" "18 keys approximated (lbsim import litellm"
if grep -q "backends\[gpt4o-east\].limits: defaulted" "$tmp/err"; then bad "scenario limits ignored"; else ok "scenario backend supplies limits"; fi
has "$tmp/out" "ordered_priority"
has "$tmp/out" "router loop: LiteLLM Router 2026-09"
# the imported file is part of the fingerprint: editing it changes the hash
mkdir -p "$tmp/fp"
cp $D/litellm_scenario.yaml $D/litellm_realistic.yaml "$tmp/fp/"
"$LBSIM" run "$tmp/fp/litellm_scenario.yaml" --out "$tmp/fp/o1" >/dev/null 2>&1
sed -i 's/rpm: 480/rpm: 481/' "$tmp/fp/litellm_realistic.yaml"
"$LBSIM" run "$tmp/fp/litellm_scenario.yaml" --out "$tmp/fp/o2" >/dev/null 2>&1
f1=$(grep -o '"fingerprint": "[^"]*"' "$tmp/fp/o1/summary.json")
f2=$(grep -o '"fingerprint": "[^"]*"' "$tmp/fp/o2/summary.json")
if [ -n "$f1" ] && [ "$f1" != "$f2" ]; then ok "router config in the fingerprint"; else bad "fingerprint ignores the router config ($f1 / $f2)"; fi
has "$tmp/fp/o1/summary.json" '"router_emulates": "LiteLLM Router 2026-09'
# a Portkey config runs unchanged inside a scenario, with defaulted latency
expect 0 "portkey splice" -- "$LBSIM" run $D/portkey_scn.yaml
has "$tmp/err" "backends[primary].latency: defaulted"
has "$tmp/out" "router loop: Portkey gateway OSS"
has "$tmp/out" "portkey-tree"
# lbsim check on a Portkey config and on a scenario
expect 1 "check portkey" -- "$LBSIM" check $D/portkey_lint.json
has "$tmp/out" "portkey_lint.json:2:55: config: on_status_codes without 429"
has "$tmp/out" "targets[0].targets[1]: weight 0 under loadbalance: never picked"
has "$tmp/out" "a conditional without default"
expect 0 "check clean portkey" -- "$LBSIM" check $D/portkey_fallback.json
expect 1 "check a scenario: its config's traps" -- "$LBSIM" check scenarios/examples/litellm_replay.yaml
has "$tmp/out" "router_settings.allowed_fails: warning: 3 equals litellm.allowed_fails"
if grep -q "defaulted" "$tmp/out"; then bad "defaulted facts counted as findings"; else ok "defaulted facts are information"; fi
# unsupported keys: a warning on run, an error with --strict
expect 0 "unsupported keys warn" -- "$LBSIM" run $D/litellm_unsupported_scn.yaml
has "$tmp/err" "router_settings.provider_budget_config: unsupported (routing effect lost"
has "$tmp/err" "team_id: unsupported"
expect 2 "--strict refuses them" -- "$LBSIM" run $D/litellm_unsupported_scn.yaml --strict
has "$tmp/err" "--strict: 2 imported key(s) unsupported"
# an error at an imported key names the LiteLLM file and its position
sed 's/rpm: 480/rpm: -480/' $D/litellm_realistic.yaml >"$tmp/neg.yaml"
printf 'traffic: {synthetic: {rate: 1/s, duration: 10s, input_tokens: 10, output_tokens: 10}}\nbackends: []\nrouter: {litellm: neg.yaml}\n' >"$tmp/neg_scn.yaml"
expect 2 "bad imported value" -- "$LBSIM" run "$tmp/neg_scn.yaml"
has "$tmp/err" "neg.yaml:"
# --scenario merges the same way: the scenario's backend supplies limits
"$LBSIM" import litellm $D/litellm_realistic.yaml --scenario $D/litellm_scenario.yaml >"$tmp/m.yaml" 2>/dev/null
has "$tmp/m.yaml" "  limits: {rpm: 5000, tpm: 800k}"
has "$tmp/m.yaml" "  replicas: 2"                       # the scenario's router key wins
if grep -q 'litellm: litellm_realistic.yaml' "$tmp/m.yaml"; then bad "litellm: FILE left in"; else ok "litellm: FILE replaced"; fi

echo "$fail failure(s)"
[ "$fail" -eq 0 ]
