#!/usr/bin/env bash
# `lbsim sweep` and `lbsim merge`: the grid's order and size, each point
# equal to `lbsim run --set` of its values, byte-identical output for any
# --threads, one-at-a-time with tornado charts, three shards run as three
# processes and merged byte for byte into the unsharded output, and the
# bad inputs (exit 2, nothing written).
# usage: test_sweep.sh path/to/lbsim (from the repository root)
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
small=tests/data/cli_small.yaml
grid=(--vary traffic.rate_scale=1..2:0.5 --vary backends.slow.limits.rpm=100,2000)

# ---- grid --------------------------------------------------------------------
"$LBSIM" sweep $small "${grid[@]}" --json --threads 1 >"$tmp/g1.json" 2>"$tmp/g1.err"
check "grid sweep exits 0" [ $? -eq 0 ]
"$LBSIM" sweep $small "${grid[@]}" --json --threads 2 >"$tmp/g2.json" 2>/dev/null
check "grid: 1 and 2 threads give byte-identical JSON" cmp -s "$tmp/g1.json" "$tmp/g2.json"
check "grid: 3 x 2 = 6 points" [ "$(grep -c '"set": {' "$tmp/g1.json")" -eq 6 ]
check "grid: the first --vary varies slowest" \
    [ "$(grep -o '"set": {[^}]*}' "$tmp/g1.json" | sed -n 2p)" = \
      '"set": {"traffic.rate_scale": "1", "backends.slow.limits.rpm": "2000"}' ]
check "no progress line when stderr is not a terminal" bash -c "! grep -q \$'\r' '$tmp/g1.err'"
if command -v python3 >/dev/null; then
    "$LBSIM" run $small --set traffic.rate_scale=1.5 --set backends.slow.limits.rpm=100 --json \
        >"$tmp/run.json" 2>/dev/null
    check "the JSON parses; point 2 = lbsim run --set of its values" python3 -c "
import json
s = json.load(open('$tmp/g1.json')); r = json.load(open('$tmp/run.json'))
assert s['scenario'] == 'cli_small' and s['seed'] == 3 and s['replications'] == 1
assert s['mode'] == 'grid' and s['vary'] == ['traffic.rate_scale', 'backends.slow.limits.rpm']
p = s['points'][2]
assert p['set'] == {'traffic.rate_scale': '1.5', 'backends.slow.limits.rpm': '100'}, p['set']
assert p['runs'] == r['runs']"
fi

"$LBSIM" sweep $small "${grid[@]}" --replications 3 --threads 1 --out "$tmp/full1" \
    >"$tmp/full1.txt" 2>/dev/null
check "--out exits 0" [ $? -eq 0 ]
"$LBSIM" sweep $small "${grid[@]}" --replications 3 --threads 2 --out "$tmp/full2" >/dev/null 2>&1
check "R = 3: 1 and 2 threads give byte-identical sweep.json" \
    cmp -s "$tmp/full1/sweep.json" "$tmp/full2/sweep.json"
check "R = 3: ... and sweep.csv" cmp -s "$tmp/full1/sweep.csv" "$tmp/full2/sweep.csv"
check "CSV: a header and one row per point x strategy (6 x 4)" \
    [ "$(wc -l <"$tmp/full1/sweep.csv")" -eq 25 ]
check "CSV: varied values, strategy, metrics with _lo/_hi" grep -q \
    '^traffic.rate_scale,backends.slow.limits.rpm,strategy,.*,ttft_p99,ttft_p99_lo,ttft_p99_hi,' \
    "$tmp/full1/sweep.csv"
check "table on stdout with mean ± half-width" grep -q '[0-9] ±[0-9]' "$tmp/full1.txt"
check "plot scripts of each metric against each axis" \
    [ -f "$tmp/full1/ttft_p99_vs_traffic_rate_scale.gp" ] &&
    [ -f "$tmp/full1/cost_per_1k_requests_vs_backends_slow_limits_rpm.dat" ]
check "the plot title names the slice" \
    grep -q 'vs traffic.rate_scale (backends.slow.limits.rpm = 100)' \
    "$tmp/full1/client_429_rate_vs_traffic_rate_scale.gp"
if command -v gnuplot >/dev/null; then
    check "plots rendered" [ -s "$tmp/full1/ttft_p99_vs_traffic_rate_scale.png" ]
fi

# ---- many points: batches of results turned to text and freed -----------------
# 1 strategy x 5 replications: about 102 points per batch of trials, so
# 104 points take two batches; the last point equals its own lbsim run
"$LBSIM" sweep $small --set traffic.synthetic.duration=20s --strategy round_robin \
    --replications 5 --vary traffic.rate_scale=0.1..1.13:0.01 --json >"$tmp/many.json" 2>/dev/null
check "104 points over two batches: exit 0" [ $? -eq 0 ]
check "... 104 points" [ "$(grep -c '"set": {' "$tmp/many.json")" -eq 104 ]
if command -v python3 >/dev/null; then
    "$LBSIM" run $small --set traffic.synthetic.duration=20s --strategy round_robin \
        --replications 5 --set traffic.rate_scale=1.13 --json >"$tmp/last.json" 2>/dev/null
    check "... the last point (second batch) = lbsim run --set of its value" python3 -c "
import json
s = json.load(open('$tmp/many.json')); r = json.load(open('$tmp/last.json'))
assert s['points'][-1]['set'] == {'traffic.rate_scale': '1.13'}
assert s['points'][-1]['runs'] == r['runs']"
fi

# ---- one at a time -----------------------------------------------------------
"$LBSIM" sweep $small --one-at-a-time --vary traffic.rate_scale=0.5,2 \
    --vary backends.fast.latency.ttft.median=200ms,1s,2s --replications 2 --out "$tmp/oat" \
    >/dev/null 2>&1
check "one-at-a-time exits 0" [ $? -eq 0 ]
check "one-at-a-time: 1 + 2 + 3 points" [ "$(grep -c '"set": {' "$tmp/oat/sweep.json")" -eq 6 ]
check "one-at-a-time: point 0 is the scenario as written" \
    [ "$(grep -o '"set": {[^}]*}' "$tmp/oat/sweep.json" | head -1)" = '"set": {}' ]
check "one-at-a-time: each point moves one axis" \
    [ "$(grep -o '"set": {[^}]*}' "$tmp/oat/sweep.json" | sed -n 4p)" = \
      '"set": {"backends.fast.latency.ttft.median": "200ms"}' ]
check "one-at-a-time: a tornado per headline metric" \
    [ -f "$tmp/oat/tornado_ttft_p99.gp" ] && [ -f "$tmp/oat/tornado_cost_per_1k_requests.gp" ]
check "tornado: two bars" [ "$(grep -vc '^#' "$tmp/oat/tornado_ttft_p99.dat")" -eq 2 ]

# ---- shards: N = 3 processes, merged = unsharded -----------------------------
for threads in 1 2; do
    d="$tmp/sh$threads"
    for k in 1 2 3; do
        "$LBSIM" sweep $small "${grid[@]}" --replications 3 --threads $threads --shard $k/3 \
            --out "$d/s$k" >/dev/null 2>&1 &
    done
    wait
    "$LBSIM" merge "$d/s2" "$d/s3" "$d/s1" --out "$d/merged" >/dev/null 2>&1
    check "3 shards at --threads $threads merge: exit 0" [ $? -eq 0 ]
    check "... sweep.json byte-identical to the unsharded run" \
        cmp -s "$tmp/full1/sweep.json" "$d/merged/sweep.json"
    check "... sweep.csv byte-identical" cmp -s "$tmp/full1/sweep.csv" "$d/merged/sweep.csv"
    check "... the same plot data" cmp -s "$tmp/full1/ttft_p99_vs_traffic_rate_scale.dat" \
        "$d/merged/ttft_p99_vs_traffic_rate_scale.dat"
done
"$LBSIM" merge "$tmp/sh1/s1" "$tmp/sh2/s2" "$tmp/sh1/s3" --json >"$tmp/merged.json" 2>/dev/null
check "merge --json prints the sweep JSON (shards of either thread count)" \
    cmp -s "$tmp/full1/sweep.json" "$tmp/merged.json"
# Slurm job array 1-3 and a Kubernetes Indexed Job of 3 completions
for id in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 \
        "$LBSIM" sweep $small "${grid[@]}" --replications 3 --shard auto \
        --out "$tmp/slurm/$id" >/dev/null 2>&1
    JOB_COMPLETION_INDEX=$((id - 1)) LBSIM_SHARD_COUNT=3 \
        "$LBSIM" sweep $small "${grid[@]}" --replications 3 --shard auto \
        --out "$tmp/k8s/$id" >/dev/null 2>&1
done
"$LBSIM" merge "$tmp"/slurm/* --out "$tmp/slurm-merged" >/dev/null 2>&1
check "--shard auto under a Slurm array merges identical" \
    cmp -s "$tmp/full1/sweep.json" "$tmp/slurm-merged/sweep.json"
"$LBSIM" merge "$tmp"/k8s/* --json >"$tmp/k8s.json" 2>/dev/null
check "--shard auto under an Indexed Job merges identical" cmp -s "$tmp/full1/sweep.json" "$tmp/k8s.json"

# ---- shards that do not make one sweep --------------------------------------
"$LBSIM" sweep $small "${grid[@]}" --replications 2 --shard 2/3 --out "$tmp/other2" >/dev/null 2>&1
"$LBSIM" merge "$tmp/sh1/s1" "$tmp/other2" "$tmp/sh1/s3" --out "$tmp/no1" 2>"$tmp/e1" >/dev/null
check "shards of different sweeps: exit 2" [ $? -eq 2 ]
check "... naming what differs" grep -q "different sweeps.*'replications=3' vs 'replications=2'" "$tmp/e1"
check "... nothing written" [ ! -e "$tmp/no1" ]
"$LBSIM" merge "$tmp/sh1/s1" "$tmp/sh1/s3" --out "$tmp/no2" 2>"$tmp/e2" >/dev/null
check "a missing shard: exit 2, named" [ $? -eq 2 ] && grep -q 'missing shard 2 of 3' "$tmp/e2"
check "... nothing written" [ ! -e "$tmp/no2" ]
"$LBSIM" merge "$tmp/sh1/s1" "$tmp/sh1/s2" "$tmp/sh2/s2" "$tmp/sh1/s3" --out "$tmp/no3" \
    2>"$tmp/e3" >/dev/null
check "a duplicated shard: exit 2, named" [ $? -eq 2 ] && grep -q 'shard 2/3 given twice' "$tmp/e3"
"$LBSIM" merge "$tmp" 2>"$tmp/e4" >/dev/null
check "merging a directory that is not a shard: exit 2" [ $? -eq 2 ] && grep -q 'not a finished sweep shard' "$tmp/e4"
mkdir -p "$tmp/cut" && cp "$tmp"/sh1/s2/* "$tmp/cut/" && head -c 100 "$tmp/sh1/s2/points.dat" >"$tmp/cut/points.dat"
"$LBSIM" merge "$tmp/sh1/s1" "$tmp/cut" "$tmp/sh1/s3" 2>"$tmp/e5" >/dev/null
check "a truncated shard: exit 2" [ $? -eq 2 ] && grep -q 'damaged' "$tmp/e5"

# ---- bad input: exit 2, nothing written -------------------------------------
bad() { # bad DESCRIPTION EXPECTED-MESSAGE ARGS...
    local what=$1 msg=$2
    shift 2
    rm -rf "$tmp/bad"
    "$LBSIM" "$@" >/dev/null 2>"$tmp/bad.err"
    local rc=$?
    check "$what: exit 2" [ $rc -eq 2 ]
    check "$what: says '$msg'" grep -qF -- "$msg" "$tmp/bad.err"
    check "$what: nothing written" [ ! -e "$tmp/bad" ]
}
bad "unknown path" "--vary traffic.rate_scal=1: found unknown key 'rate_scal'" \
    sweep $small --vary traffic.rate_scal=1,2 --out "$tmp/bad"
bad "unknown path (shard)" "did you mean 'rate_scale'" \
    sweep $small --vary traffic.rate_scal=1,2 --shard 1/2 --out "$tmp/bad"
bad "wrong unit" "--vary router.timeout=2kg: found '2kg', expected a duration" \
    sweep $small --vary router.timeout=1s,2kg --out "$tmp/bad"
bad "wrong type" "found 'fast', expected a number" \
    sweep $small --vary traffic.rate_scale=1,fast --out "$tmp/bad"
bad "empty range" "found the empty range '3..1'" sweep $small --vary traffic.rate_scale=3..1 --out "$tmp/bad"
bad "no --vary" "missing --vary" sweep $small --out "$tmp/bad"
bad "a path varied twice" "varied twice" \
    sweep $small --vary traffic.rate_scale=1 --vary traffic.rate_scale=2 --out "$tmp/bad"
bad "shard out of range" "found shard 4 of 3" \
    sweep $small --vary traffic.rate_scale=1..3 --shard 4/3 --out "$tmp/bad"
bad "shard 0" "found shard 0 of 3" sweep $small --vary traffic.rate_scale=1..3 --shard 0/3 --out "$tmp/bad"
bad "more shards than points" "3 shards for 2 points" \
    sweep $small --vary traffic.rate_scale=1,2 --shard 3/3 --out "$tmp/bad"
bad "malformed shard" "expected K/N" sweep $small --vary traffic.rate_scale=1,2 --shard 1-2 --out "$tmp/bad"
bad "--shard without --out" "needs --out DIR" sweep $small --vary traffic.rate_scale=1,2 --shard 1/2
bad "--shard auto outside an array" "found neither SLURM_ARRAY_TASK_ID" \
    sweep $small --vary traffic.rate_scale=1,2 --shard auto --out "$tmp/bad"
bad "unknown --vs" "expected a strategy of this run" \
    sweep $small --vary traffic.rate_scale=1,2 --replications 2 --vs nope --out "$tmp/bad"
bad "unknown --strategy" "--strategy" sweep $small --vary traffic.rate_scale=1,2 --strategy nope --out "$tmp/bad"
bad "merge without shards" "missing DIR" merge --out "$tmp/bad"

# ---- progress on a terminal --------------------------------------------------
if command -v script >/dev/null; then
    script -qec "$LBSIM sweep $small --vary traffic.rate_scale=1..3 --json >/dev/null" \
        "$tmp/tty.log" >/dev/null 2>&1
    check "progress on a terminal: points, trials/s, ETA" \
        grep -q 'lbsim sweep: 3/3 points, .* trials/s, ETA 00:00:00' "$tmp/tty.log"
fi

# The sweep names what produced it, as lbsim run does: the same scenario
# and --set give the same fingerprint.
"$LBSIM" sweep tests/data/cli_small.yaml --set traffic.rate_scale=0.5 \
    --vary backends.fast.limits.rpm=1k,2k --json >"$tmp/fp_sweep.json" 2>/dev/null
"$LBSIM" run tests/data/cli_small.yaml --set traffic.rate_scale=0.5 --json \
    >"$tmp/fp_run.json" 2>/dev/null
fp_of() { grep -m1 '"fingerprint"' "$1" | sed 's/.*"fingerprint": "\([^"]*\)".*/\1/'; }
check "sweep JSON records the lbsim version" grep -q '"lbsim": {"version": ' "$tmp/fp_sweep.json"
check "sweep and run fingerprints agree" \
    bash -c "[ -n '$(fp_of "$tmp/fp_sweep.json")' ] && [ '$(fp_of "$tmp/fp_sweep.json")' = '$(fp_of "$tmp/fp_run.json")' ]"

echo "test_sweep: $fail failure(s)"
[ $fail -eq 0 ]
