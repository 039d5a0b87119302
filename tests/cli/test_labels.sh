#!/usr/bin/env bash
# Per-label results in the CLI (issue 14): --by, label SLOs, the SLO
# column without slo:, timeseries_backends.csv.
# usage: test_labels.sh path/to/lbsim (from the repository root)
set -u
LBSIM=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=$((fail + 1)); fi
}

"$LBSIM" run tests/data/val_labels.yaml --by tenant --out "$tmp/o" >"$tmp/by.txt" 2>/dev/null
check "a missed label SLO exits 1" [ $? -eq 1 ]
check "--by prints its table" grep -q '^by tenant$' "$tmp/by.txt"
check "one row per strategy x value" [ "$(grep -cE '^(round_robin|least_inflight|lowest_cost) +(chat|batch) ' "$tmp/by.txt")" -eq 6 ]
check "the chat rows fail ttft_p99" [ "$(grep -cE ' chat .*FAIL: ttft_p99$' "$tmp/by.txt")" -eq 3 ]
check "an absent label value is no data" grep -q '^tenant=nobody: FAIL: no data' "$tmp/by.txt"
check "the run's SLO column names the label" grep -q 'FAIL: tenant=chat:ttft_p99,tenant=nobody:no data' "$tmp/by.txt"
check "USD/mo footer" grep -q '^USD/mo: cost per second of the measured window x 730 h' "$tmp/by.txt"
# per-label requests add up to the run's, in the JSON
python3 - "$tmp/o/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["runs"]:
    for kind, vals in r["by_label"].items():
        assert sum(v["requests"] for v in vals.values()) == r["requests"], kind
        assert abs(sum(v["cost_usd"] for v in vals.values()) - r["cost_usd"]) < 1e-6, kind
    assert set(r["by_label"]) == {"tenant", "task", "priority"}, list(r["by_label"])
    assert [l["label"] for l in r["slo"]["labels"]] == [{"tenant": "chat"}, {"tenant": "nobody"}, {"priority": "5"}]
PY
check "by_label sums to the run" [ $? -eq 0 ]
check "timeseries_backends.csv header" grep -qx 'strategy,t_s,backend,attempts,successes,upstream_429,errors,cost_usd,healthy' "$tmp/o/timeseries_backends.csv"
check "timeseries.csv ends with the new columns" grep -q ',ttft_p50_s,ttft_p90_s,ttft_p99_s,error_rate,client_429_rate,cost_usd_per_h$' "$tmp/o/timeseries.csv"

"$LBSIM" run tests/data/val_labels.yaml --by colour >/dev/null 2>"$tmp/e1"
check "--by with a bad kind exits 2" [ $? -eq 2 ]
check "--by names the kinds" grep -q "expected tenant, model_group, task, priority or region" "$tmp/e1"

"$LBSIM" run tests/data/val_labels.yaml --replications 2 >/dev/null 2>"$tmp/e2"
check "label SLOs with replications exit 2" [ $? -eq 2 ]
check "... and say why" grep -q "label SLOs are judged on single runs only" "$tmp/e2"

"$LBSIM" run tests/data/cli_small.yaml --by region >"$tmp/nolab.txt" 2>/dev/null
check "--by a kind the traffic lacks" grep -q '^by region: the traffic carries no region label$' "$tmp/nolab.txt"

sed 's/{label: {tenant: chat}, ttft_p99: 1ms, error_rate: 100%}/{label: {colour: red}, ttft_p99: 1s}/' \
    tests/data/val_labels.yaml >"$tmp/bad.yaml"
"$LBSIM" run "$tmp/bad.yaml" >/dev/null 2>"$tmp/e3"
check "a bad label kind exits 2" [ $? -eq 2 ]
check "... with line:column" grep -qE 'bad.yaml:[0-9]+:[0-9]+: .*found label kind .colour., expected one of tenant' "$tmp/e3"

# no slo: at all: the SLO column reads "-", never "pass"
grep -v -e '^slo:' -e '^  - {' tests/data/val_labels.yaml | sed 's/^compare:.*/compare: [round_robin]/' >"$tmp/noslo.yaml"
"$LBSIM" run "$tmp/noslo.yaml" >"$tmp/noslo.txt" 2>/dev/null
check "no slo: exits 0" [ $? -eq 0 ]
check "no slo: shows -" grep -qE '^round_robin .* -$' "$tmp/noslo.txt"

# pools: a slot's replica-hours are in its own series; per interval the
# backends' costs add up to the interval's
"$LBSIM" run scenarios/examples/autoscaling.yaml --out "$tmp/as" >/dev/null 2>&1
python3 - "$tmp/as" <<'PY'
import csv, collections, sys
d = sys.argv[1]
ts = {(r["strategy"], r["t_s"]): float(r["cost_usd"]) for r in csv.DictReader(open(d + "/timeseries.csv"))}
be = collections.defaultdict(float)
for r in csv.DictReader(open(d + "/timeseries_backends.csv")):
    be[(r["strategy"], r["t_s"])] += float(r["cost_usd"])
assert ts and all(abs(ts[k] - be[k]) <= 1e-6 * max(1.0, ts[k]) for k in ts)
PY
check "per-backend costs add up to each interval's (pools)" [ $? -eq 0 ]

echo "$fail failed"
[ $fail -eq 0 ]
