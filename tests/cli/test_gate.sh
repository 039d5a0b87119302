#!/usr/bin/env bash
# `lbsim gate`: the steps of examples/ci/github-actions.yml whose id starts
# with "gate", run as written against a temporary git repository (a bare
# origin whose main holds the bundled quickstart example, and branches
# that change it), then the gate's own checks: identical configs give a
# difference of exactly 0, the fingerprint is the documented SHA-256
# manifest (rebuilt here with sha256sum), budgets, --unsure, bad input.
# usage: test_gate.sh path/to/lbsim (from the repository root)
set -u
LBSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$PWD
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
git_() { git -c user.name=lbsim-test -c user.email=test@example.invalid -c init.defaultBranch=main "$@"; }
have_pyyaml=0
python3 -c 'import yaml' 2>/dev/null && have_pyyaml=1

# ---- a repository with the bundled example and its trace -------------------
src=$tmp/src
mkdir -p "$src/scenarios/examples" "$src/traces/data" "$src/models/data/latency"
cp scenarios/examples/quickstart.yaml "$src/scenarios/examples/"
cp traces/data/AzureLLMInferenceTrace_conv.csv "$src/traces/data/"
# the quickstart's measured latencies
cp models/data/latency/*.csv "$src/models/data/latency/"
git_ -C "$src" init -q
git_ -C "$src" add .
git_ -C "$src" commit -qm "baseline: quickstart"
git_ clone -q --bare "$src" "$tmp/origin.git"
work=$tmp/work
git_ clone -q "$tmp/origin.git" "$work"
scn=scenarios/examples/quickstart.yaml

# The steps of the workflow: "gate*" ids, with the workflow's env, run by
# bash -e as GitHub runs `run:` (LBSIM points at the binary under test).
steps=$tmp/steps.sh
if [ $have_pyyaml = 1 ]; then
    python3 - "$ROOT/examples/ci/github-actions.yml" >"$steps" 2>"$tmp/env.sh" <<'PY'
import shlex, sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
env = dict(wf.get("env", {}))
for job in wf["jobs"].values():
    env.update(job.get("env", {}))
    for step in job["steps"]:
        if str(step.get("id", "")).startswith("gate") and "run" in step:
            print("echo '+ step %s'" % step["id"])
            print("( set -e; %s )" % step["run"].strip())
            print("echo \"status $?\"")
for k, v in env.items():
    if k != "LBSIM":
        print("export %s=%s" % (k, shlex.quote(str(v))), file=sys.stderr)
PY
fi
run_workflow() { # run_workflow BRANCH -> $tmp/wf-BRANCH.log, summary and report dir
    local br=$1
    (cd "$work" && git_ checkout -q "$br" && rm -rf gate-report &&
        export LBSIM GITHUB_BASE_REF=main GITHUB_STEP_SUMMARY="$tmp/summary-$br.md" &&
        . "$tmp/env.sh" && bash "$steps") >"$tmp/wf-$br.log" 2>&1
    cp -r "$work/gate-report" "$tmp/report-$br" 2>/dev/null
}

# Candidate 1: account openai-b moved from 2M to 1M TPM (a lower usage tier).
git_ -C "$work" checkout -q -b lower-tpm
sed -i 's/limits: {rpm: 10000, tpm: 2M}/limits: {rpm: 10000, tpm: 1M}/' "$work/$scn"
check "the candidate changes one limit" [ "$(git -C "$work" diff --numstat | cut -f1)" = 1 ]
git_ -C "$work" commit -qam "openai-b: tier 4 -> 1M TPM"
# Candidate 2: a comment only: the same configuration.
git_ -C "$work" checkout -q main
git_ -C "$work" checkout -q -b comment-only
printf '# reviewed\n' >>"$work/$scn"
git_ -C "$work" commit -qam "a comment"

if [ $have_pyyaml = 1 ]; then
    check "workflow has the gate and summary steps" [ "$(grep -c '^echo' "$steps")" -ge 2 ]
    run_workflow lower-tpm
    cat "$tmp/wf-lower-tpm.log"
    check "workflow: the gate step fails on the TPM cut" grep -q '^status 1$' "$tmp/wf-lower-tpm.log"
    check "workflow: the summary step appends gate.md" \
        grep -q '^## lbsim gate: REGRESSION' "$tmp/summary-lower-tpm.md"
    check "workflow: report dir has gate.json, gate.md, junit.xml" \
        test -s "$tmp/report-lower-tpm/gate.json" -a -s "$tmp/report-lower-tpm/gate.md" \
        -a -s "$tmp/report-lower-tpm/junit.xml"
    run_workflow comment-only
    check "workflow: a comment-only change passes" grep -q '^status 0$' "$tmp/wf-comment-only.log"
    check "workflow: summary says PASS" grep -q '^## lbsim gate: PASS' "$tmp/summary-comment-only.md"
else
    echo "skip: the workflow steps (python3 with PyYAML not found); running the gate directly"
    for br in lower-tpm comment-only; do
        (cd "$work" && git_ checkout -q $br && "$LBSIM" gate $scn --against origin/main \
            --out "$tmp/report-$br" >/dev/null 2>&1)
    done
fi

# ---- the reports -----------------------------------------------------------
rep=$tmp/report-lower-tpm
if command -v python3 >/dev/null; then
    check "JUnit parses; 28 testcases; failures for 429 and error rates" python3 - "$rep/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
assert root.tag == "testsuites" and len(cases) == 28, (root.tag, len(cases))
assert int(root.get("failures")) == len(failed) > 0
assert ("lbsim.gate.round_robin", "client_429_rate") in failed, failed
assert ("lbsim.gate.round_robin", "ttft_p99") not in failed
f = [c.find("failure") for c in cases if c.find("failure") is not None][0]
assert "baseline" in f.get("message") and "budget" in f.get("message")
PY
    check "JSON: version, fingerprints, seeds, regression on round_robin 429s" python3 - "$rep/gate.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
assert g["lbsim"]["version"] and g["verdict"] == "regression" and g["failed"]
assert g["baseline"]["fingerprint"].startswith("sha256:")
assert g["baseline"]["fingerprint"] != g["candidate"]["fingerprint"]
assert g["baseline"]["scenario"].startswith("origin/main:")
assert len(g["seeds"]) == g["replications"] == 10 and g["seeds"][0] == 42
rr = [c for c in g["comparisons"] if c["strategy"] == "round_robin"][0]
m = {x["metric"]: x for x in rr["metrics"]}
d = m["client_429_rate"]["difference"]
assert m["client_429_rate"]["verdict"] == "regression" and d["ci95"][0] > 0.001, d
assert abs(d["mean"] - (m["client_429_rate"]["candidate"]["mean"] - m["client_429_rate"]["baseline"]["mean"])) < 1e-8
PY
    check "comment-only JSON: every difference exactly 0" python3 - "$tmp/report-comment-only/gate.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
assert g["verdict"] == "pass" and not g["failed"]
assert g["baseline"]["fingerprint"] != g["candidate"]["fingerprint"]  # the bytes differ
for c in g["comparisons"]:
    for x in c["metrics"]:
        assert x["difference"]["mean"] == 0 and x["difference"]["ci95"] == [0, 0], (c["strategy"], x)
PY
fi
md=$rep/gate.md
check "Markdown: verdict first" [ "$(head -1 "$md")" = "## lbsim gate: REGRESSION" ]
check "Markdown: a table header, its delimiter row, 28 rows" \
    bash -c "grep -q '^| strategy | metric | budget | baseline | candidate |' '$md' &&
             grep -q '^|---|---|---|---:|---:|---|---|$' '$md' &&
             [ \$(grep -c -E ' \\| (pass|\\*\\*REGRESSION\\*\\*|_unsure_|n/a) \\|\$' '$md') -eq 28 ]"
check "Markdown: how to reproduce" grep -q -- "gate $scn --against origin/main" "$md"

# ---- the gate on files ---------------------------------------------------------
small=tests/data/cli_small.yaml
"$LBSIM" gate $small $small --replications 4 --json >"$tmp/same.json" 2>"$tmp/same.err"
check "identical files exit 0" [ $? -eq 0 ]
check "identical files: all differences 0" \
    bash -c "! grep -q '\"difference\": {\"mean\": [^0]' '$tmp/same.json' && grep -q '\"difference\": {\"mean\": 0, \"ci95\": \[0, 0\]}' '$tmp/same.json'"
"$LBSIM" gate $small $small --replications 4 --threads 1 --json >"$tmp/t1.json" 2>/dev/null
"$LBSIM" gate $small $small --replications 4 --threads 2 --json >"$tmp/t2.json" 2>/dev/null
check "1 and 2 threads give the same report (but the command line)" \
    cmp -s <(grep -v '"reproduce"' "$tmp/t1.json") <(grep -v '"reproduce"' "$tmp/t2.json")

# The fingerprint: SHA-256 of the manifest of docs/gate.md, rebuilt here.
h() { sha256sum <"$1" | cut -d' ' -f1; }
q=scenarios/examples/quickstart.yaml
printf 'lbsim-fingerprint 1\nscenario %s\ntrace %s\n' "$(h $q)" \
    "$(h traces/data/AzureLLMInferenceTrace_conv.csv)" >"$tmp/manifest"
want="sha256:$(h "$tmp/manifest")"
check "fingerprint = sha256sum of the manifest (scenario + trace)" \
    grep -q "\"fingerprint\": \"$want\"" "$rep/gate.json"
printf 'lbsim-fingerprint 1\nscenario %s\nset traffic.rate_scale=2\n' "$(h $small)" >"$tmp/m2"
"$LBSIM" gate $small $small --replications 2 --set traffic.rate_scale=2 --json >"$tmp/set.json" 2>/dev/null
check "fingerprint includes --set (synthetic traffic: no trace line)" \
    grep -q "\"fingerprint\": \"sha256:$(h "$tmp/m2")\"" "$tmp/set.json"

# Budgets: a strategy change regresses cost when cost is gated tightly.
sed 's/^compare:.*/compare: [round_robin]/' $small >"$tmp/rr.yaml"
sed 's/^compare:.*/compare: [lowest_cost]/; s/^slo:/slo:/' $small >"$tmp/lc.yaml"
"$LBSIM" gate "$tmp/rr.yaml" "$tmp/rr.yaml" --replications 3 >/dev/null 2>&1
check "single routers with the same label pass" [ $? -eq 0 ]
"$LBSIM" gate "$tmp/lc.yaml" "$tmp/rr.yaml" --replications 3 --budget cost_per_1k=+0% >"$tmp/c.txt" 2>&1
check "lowest_cost -> round_robin: single routers paired, cost regresses" \
    bash -c "[ $? -eq 1 ] && grep -q 'round_robin vs lowest_cost' '$tmp/c.txt' && grep -q 'cost_per_1k_requests .*REGRESSION' '$tmp/c.txt'"
"$LBSIM" gate "$tmp/lc.yaml" "$tmp/rr.yaml" --replications 3 --budget cost_per_1k_requests=+1000% \
    --budget ttft_p99=+10s --budget error_rate=+100pp --budget client_429_rate=+100pp >/dev/null 2>&1
check "generous budgets pass" [ $? -eq 0 ]
"$LBSIM" gate "$tmp/lc.yaml" "$tmp/rr.yaml" --replications 3 --budget e2e_p99=+1ms --json >"$tmp/e.json" 2>/dev/null
check "--budget adds a metric (e2e_p99)" grep -q '"metric": "e2e_p99", "unit": "s"' "$tmp/e.json"

# Unsure: a 10 ms shift of the slow backend's median TTFT against a +0%
# budget.  lowest_latency's paired interval straddles 0 (unsure: exit 1,
# --unsure pass: exit 0); round_robin's lies above it (a regression even
# that small is seen, thanks to the common random numbers).
sed 's/^compare:.*/compare: [lowest_latency]/' $small >"$tmp/ll.yaml"
sed 's/median: 900ms, p99: 4s/median: 910ms, p99: 4s/' "$tmp/ll.yaml" >"$tmp/ll2.yaml"
"$LBSIM" gate "$tmp/ll.yaml" "$tmp/ll2.yaml" --replications 4 --budget ttft_p99=+0% \
    --junit "$tmp/u.xml" >"$tmp/u.txt" 2>&1
check "unsure fails by default" bash -c "[ $? -eq 1 ] && grep -q 'ttft_p99 .* unsure' '$tmp/u.txt'"
check "unsure is a JUnit failure of type unsure" grep -q '<failure type="unsure"' "$tmp/u.xml"
"$LBSIM" gate "$tmp/ll.yaml" "$tmp/ll2.yaml" --replications 4 --budget ttft_p99=+0% --unsure pass \
    --junit "$tmp/u2.xml" >/dev/null 2>&1
check "--unsure pass exits 0" [ $? -eq 0 ]
check "--unsure pass: no JUnit failure" bash -c "! grep -q '<failure' '$tmp/u2.xml'"
sed 's/median: 900ms, p99: 4s/median: 910ms, p99: 4s/' $small >"$tmp/small2.yaml"
"$LBSIM" gate $small "$tmp/small2.yaml" --replications 4 --budget ttft_p99=+0% >"$tmp/r.txt" 2>&1
check "round_robin: +10 ms on one backend's median regresses a +0% p99 budget" \
    grep -q '^round_robin  *ttft_p99 .*REGRESSION' "$tmp/r.txt"

# Bad input exits 2 with a message.
bad() { # bad DESCRIPTION PATTERN ARGS...
    local what=$1 pat=$2
    shift 2
    "$LBSIM" gate "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "$what: exit 2" [ $rc -eq 2 ]
    check "$what: says '$pat'" grep -q -- "$pat" "$tmp/err"
}
bad "one operand" "expected BASELINE CANDIDATE" $small
bad "budget unit" "expected a relative change (+5%) or percentage points" $small $small --budget error_rate=+200ms
bad "budget metric" "expected one of" $small $small --budget ttft_p42=+5%
bad "bare budget" "expected a relative change (+5%) or a duration" $small $small --budget ttft_p99=200
bad "R = 1" "expected an integer in 2..10000" $small $small --replications 1
bad "--unsure" "expected pass or fail" $small $small --unsure maybe
bad "not a git repo" "is not in a git work tree" "$tmp/rr.yaml" --against HEAD
bad "unknown revision" "found revision 'no-such-rev'" "$work/$scn" --against no-such-rev
printf 'seed: 1\n' >"$work/scenarios/new.yaml"
bad "file absent at REV" "does not exist at origin/main" "$work/scenarios/new.yaml" --against origin/main
check "--against leaves no temporary file" [ -z "$(find "$work" -name '.*.gate-*')" ]
sed 's/^compare:.*/compare: [power_of_two, lowest_usage]/' $small >"$tmp/p2.yaml"
bad "labels do not match" "nothing to compare" "$tmp/p2.yaml" $small

echo "$fail failure(s)"
[ $fail -eq 0 ]
