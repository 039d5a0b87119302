#!/usr/bin/env bash
# `lbsim plan`: the bisection finds the configuration the exhaustive grid
# finds, evaluating fewer candidates and within the issue's bound; exit 0
# when a configuration meets the SLOs, 1 when none does (naming the
# closest); identical output for any thread count; the output directory;
# bad input exits 2 with a clear message.
# usage: test_plan.sh path/to/lbsim (from the repository root)
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
# A GPU pool on synthetic traffic: cost grows with replicas (replica-hours),
# p99 TTFT falls (2 replicas queue for seconds, 3 do not).
cat >"$tmp/pool.yaml" <<'YAML'
seed: 5
interval: 10s
traffic:
  synthetic:
    rate: 25/s
    duration: 90s
    input_tokens: {dist: lognormal, median: 800, p99: 4000}
    output_tokens: {dist: lognormal, median: 150, p99: 800}
backends:
  - name: gpu
    kind: pool
    profile: h100-llama3.1-8b
    replicas: 2
    max_inflight: 32
router:
  timeout: 60s
compare: [least_inflight, round_robin]
slo:
  ttft_p99: 2s
YAML
sed '/^slo:/,$d' "$tmp/pool.yaml" >"$tmp/noslo.yaml"
pool=$tmp/pool.yaml
axes=(--vary backends.gpu.replicas=1..8 --vary backends.gpu.max_inflight=16,32)
json_get() { # json_get FILE EXPR (python3 expression on d)
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 --json >"$tmp/bis.json" 2>"$tmp/bis.err"
check "a feasible plan exits 0" [ $? -eq 0 ]
"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 --json --exhaustive >"$tmp/all.json" 2>/dev/null
check "--exhaustive exits 0" [ $? -eq 0 ]
check "plan JSON records the version and a fingerprint" \
    grep -q '"fingerprint": "sha256:[0-9a-f]\{64\}"' "$tmp/bis.json"
if command -v python3 >/dev/null; then
    check "bisection and the exhaustive grid choose the same point" \
        [ "$(json_get "$tmp/bis.json" "d['plan']['set']")" = "$(json_get "$tmp/all.json" "d['plan']['set']")" ]
    check "... and the same strategy" \
        [ "$(json_get "$tmp/bis.json" "d['plan']['strategy']")" = "$(json_get "$tmp/all.json" "d['plan']['strategy']")" ]
    check "the chosen fleet is 3 replicas" \
        [ "$(json_get "$tmp/bis.json" "d['plan']['set']['backends.gpu.replicas']")" = 3 ]
    check "grid = 16 points x 2 strategies" [ "$(json_get "$tmp/bis.json" "d['grid']")" = 32 ]
    check "the exhaustive grid evaluates all of it" [ "$(json_get "$tmp/all.json" "d['evaluated']")" = 32 ]
    check "the bisection evaluates fewer" [ "$(json_get "$tmp/bis.json" "d['evaluated'] < 32")" = True ]
    check "binding constraint named" [ "$(json_get "$tmp/bis.json" "d['plan']['binding']")" = ttft_p99 ]
    check "runs carry the replications" \
        [ "$(json_get "$tmp/bis.json" "d['plan']['runs'][0]['replications']")" = 3 ]
    check "cost per day = lambda x 86400 x cost_per_1k / 1000" python3 -c "
import json,sys; p=json.load(open('$tmp/bis.json'))['plan']; r=p['runs'][0]
want=r['little']['lambda_per_s']*86400*r['cost_per_1k_requests_usd']/1000
sys.exit(0 if abs(p['cost_per_day_usd']-want) <= 1e-4*want else 1)"
    check "the front is sorted by cost with falling y" python3 -c "
import json,sys; f=json.load(open('$tmp/bis.json'))['front']
sys.exit(0 if f and all(a['cost']<=b['cost'] and a['y']>b['y'] for a,b in zip(f,f[1:])) else 1)"
    check "runner-up is feasible and no cheaper" python3 -c "
import json,sys; d=json.load(open('$tmp/bis.json')); p=d['plan']; r=p['runner_up']
sys.exit(0 if r['feasible'] and r['cost']>=p['runs'][0]['cost_per_1k_requests_usd']*(1-1e-5) else 1)"
fi
# the issue's bound with one strategy: ceil(log2 8) + 2 = 5 points per line
"$LBSIM" plan "$pool" --vary backends.gpu.replicas=1..8 --strategy least_inflight \
    --replications 3 --json >"$tmp/one.json" 2>/dev/null
if command -v python3 >/dev/null; then
    check "one strategy, 8 values: at most 5 evaluated" [ "$(json_get "$tmp/one.json" "d['evaluated'] <= 5")" = True ]
fi

"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 --json --threads 1 >"$tmp/t1.json" 2>/dev/null
"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 --json --threads 2 >"$tmp/t2.json" 2>/dev/null
check "1 and 2 threads give byte-identical JSON" cmp -s "$tmp/t1.json" "$tmp/t2.json"

"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 >"$tmp/bis.txt" 2>/dev/null
check "the report names the chosen point" grep -q '^chosen: backends.gpu.replicas=3' "$tmp/bis.txt"
check "the report names the binding constraint" grep -q '<- binding' "$tmp/bis.txt"
check "the report projects \$/day and \$/month" grep -q '/day, \$[0-9]*/month' "$tmp/bis.txt"
check "the report says evaluated of grid" grep -q '^evaluated [0-9]* of 32 candidates' "$tmp/bis.txt"

"$LBSIM" plan "$pool" --vary backends.gpu.replicas=1..8 --replications 1 >"$tmp/r1.txt" 2>/dev/null
check "R = 1 says there is no interval" grep -q 'R = 1: no interval' "$tmp/r1.txt"

"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 --slo ttft_p99=10ms >"$tmp/none.txt" 2>/dev/null
check "no feasible configuration exits 1" [ $? -eq 1 ]
check "... says so" grep -q '^no configuration meets every SLO' "$tmp/none.txt"
check "... names the closest and by how much it fails" grep -q 'ttft_p99 .*fails by [0-9.]*%' "$tmp/none.txt"
"$LBSIM" plan "$pool" "${axes[@]}" --replications 3 --slo ttft_p99=10ms --json >"$tmp/none.json" 2>/dev/null
check "... JSON plan is null" grep -q '"plan": null' "$tmp/none.json"
check "... JSON names the closest" grep -q '"closest": {"set"' "$tmp/none.json"

"$LBSIM" plan "$pool" "${axes[@]}" --replications 2 --out "$tmp/out" >/dev/null 2>&1
check "--out writes plan.json" [ -s "$tmp/out/plan.json" ]
check "--out writes the Pareto plot data and script" [ -s "$tmp/out/pareto.dat" ] && [ -s "$tmp/out/pareto.gp" ]

bad() { # bad DESCRIPTION PATTERN ARGS...
    local what=$1 pat=$2
    shift 2
    "$LBSIM" plan "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
    local rc=$?
    check "$what exits 2" [ $rc -eq 2 ]
    check "... with '$pat'" grep -q -- "$pat" "$tmp/bad.err"
    check "... and nothing on stdout" [ ! -s "$tmp/bad.out" ]
}
bad "no --vary" "found no --vary" "$pool"
bad "unknown --minimize metric" "did you mean 'ttft_p99'" "$pool" "${axes[@]}" --minimize ttft_99
bad "unknown --slo metric" "did you mean 'error_rate'" "$pool" "${axes[@]}" --slo eror_rate=1%
bad "a latency limit without a unit" "without a unit" "$pool" "${axes[@]}" --slo ttft_p99=1500
bad "a limit in the wrong unit" "expected a duration" "$pool" "${axes[@]}" --slo ttft_p99=5%
bad "--slo without =" "expected e.g. ttft_p99=1.5s" "$pool" "${axes[@]}" --slo ttft_p99
bad "no SLO at all" "found no SLO" "$tmp/noslo.yaml" "${axes[@]}"
bad "an unknown --vary path" "did you mean" "$pool" --vary backends.gpu.replica=1..3
bad "the same --vary path twice" "found the path twice" "$pool" --vary backends.gpu.replicas=1,2 \
    --vary backends.gpu.replicas=3,4
bad "an empty range" "empty range" "$pool" --vary backends.gpu.replicas=4..1
bad "--replications 0" "expected an integer in 1..10000" "$pool" "${axes[@]}" --replications 0

echo "$fail failed"
[ $fail -eq 0 ]
