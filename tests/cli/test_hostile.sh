#!/usr/bin/env bash
# Hostile and degenerate inputs (issue 15): runs that measure nothing fail
# ("no data", exit 1), trace model groups no backend serves are refused,
# repeat_to on a pass that cannot repeat is an error, exit codes (2 bad
# input, 3 out of memory), work caps refused up front with the cap in the
# message, every run ends, extreme numbers are refused at load with
# file:line:col (exit 2) and never reach undefined behaviour.
# usage: test_hostile.sh path/to/lbsim (from the repository root)
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
# expect STATUS NAME GREP-PATTERN -- lbsim arguments: exit status and stderr
expect() {
    local want=$1 name=$2 pat=$3
    shift 4
    timeout 60 "$LBSIM" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local got=$?
    check "$name: exit $want (got $got)" [ "$got" -eq "$want" ]
    if [ -n "$pat" ]; then
        check "$name: says '$pat'" grep -qF -- "$pat" "$tmp/$name.err"
    fi
    check "$name: no sanitizer report" bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$tmp/$name.err'"
}
backend='backends:
  - name: a
    latency: {ttft: 100ms}'

# ---- no measured request: "no data", exit 1 --------------------------------
cp tests/data/trace_header_only.csv "$tmp/header.csv"
printf 'arrival_s,input_tokens,output_tokens\n0,100,10\n1,100,10\n2,100,10\n' >"$tmp/three.csv"
printf 'arrival_s,input_tokens,output_tokens\n0,x,10\n1,100,-5\n' >"$tmp/bad.csv"
printf 'traffic: {trace: header.csv}\n%s\nslo: {ttft_p99: 5s}\n' "$backend" >"$tmp/header.yaml"
printf 'traffic: {trace: three.csv}\nwarmup: 10s\n%s\nslo: {ttft_p99: 5s}\n' "$backend" \
    >"$tmp/warm.yaml"
printf 'traffic: {trace: three.csv, window: {start: 1h, end: 2h}}\n%s\n' "$backend" >"$tmp/past.yaml"
printf 'traffic: {trace: bad.csv, skip_bad_rows: true}\n%s\n' "$backend" >"$tmp/skipped.yaml"
printf 'traffic: {trace: three.csv}\n%s\nslo: {ttft_p99: 5s}\n' "$backend" >"$tmp/three.yaml"
expect 1 header-only "the traffic produced no request" -- run "$tmp/header.yaml"
check "header-only: table says FAIL: no data" grep -q 'FAIL: no data$' "$tmp/header-only.out"
expect 1 warm-up "all 3 requests arrived during the warm-up (warmup: 10.000 s)" -- run "$tmp/warm.yaml"
expect 1 window-past-end "no measured request" -- run "$tmp/past.yaml"
expect 1 all-skipped "every trace row was skipped (2, skip_bad_rows: true)" -- run "$tmp/skipped.yaml"
expect 1 header-json "" -- run "$tmp/header.yaml" --json
check "header-json: \"no_data\": true" grep -q '"no_data": true' "$tmp/header-json.out"
check "header-json: \"pass\": false" grep -q '"pass": false' "$tmp/header-json.out"
expect 1 header-reps "no measured request" -- run "$tmp/header.yaml" --replications 3
expect 0 three-ok "" -- run "$tmp/three.yaml"
check "three-ok: no no_data key with data" bash -c "! grep -q no_data '$tmp/three-ok.out'"
expect 1 gate-no-data "gate: round_robin (baseline): no measured request" -- \
    gate "$tmp/header.yaml" "$tmp/header.yaml"

# ---- a trace model group no backend serves ---------------------------------
printf 'arrival_s,input_tokens,output_tokens,model_group\n0,10,10,big\n1,10,10,tiny\n' >"$tmp/g.csv"
cat >"$tmp/groups.yaml" <<'YAML'
traffic: {trace: g.csv}
backends:
  - {name: a, group: big, latency: {ttft: 100ms}}
  - {name: b, group: small, latency: {ttft: 100ms}}
YAML
expect 2 unknown-group \
    "g.csv:3: found model_group 'tiny', which no backend serves; expected one of: big, small (or set router.default_group" \
    -- run "$tmp/groups.yaml"
expect 0 unknown-group-opt-in "" -- run "$tmp/groups.yaml" --set router.default_group=small --json
check "unknown-group-opt-in: both requests served" grep -q '"completed": 2,' "$tmp/unknown-group-opt-in.out"
# a scenario that declares no group serves every request, labels or not
expect 0 no-groups "" -- run "$tmp/three.yaml"

# ---- repeat_to on a pass that cannot repeat --------------------------------
printf 'arrival_s,input_tokens,output_tokens\n0,10,10\n0,10,10\n' >"$tmp/zero.csv"
printf 'traffic: {trace: zero.csv, repeat_to: 1h}\n%s\n' "$backend" >"$tmp/zero.yaml"
expect 2 repeat-zero-span "found repeat_to 3600.000 s on a pass spanning 0 s" -- run "$tmp/zero.yaml"
printf 'traffic: {trace: header.csv, repeat_to: 1h}\n%s\n' "$backend" >"$tmp/rep0.yaml"
expect 2 repeat-no-row "on a pass with no row in it" -- run "$tmp/rep0.yaml"

# ---- exit codes: bad input 2, out of memory 3 -------------------------------
expect 2 bad-input "" -- run tests/data/cli_bad_unit.yaml
# Requests held in flight for an hour at 200k/s outgrow a 300 MB address
# space: an internal failure (3), not bad input.  Skipped where the
# address-space limit cannot be set (sanitizer builds reserve terabytes).
cat >"$tmp/oom.yaml" <<'YAML'
traffic:
  synthetic: {rate: 200000/s, duration: 60s, input_tokens: 10, output_tokens: 10}
backends:
  - {name: a, latency: {ttft: 1h}}
YAML
if (ulimit -v 300000 && "$LBSIM" --version) >/dev/null 2>&1; then
    (ulimit -v 300000 && exec timeout 120 "$LBSIM" run "$tmp/oom.yaml") >/dev/null 2>"$tmp/oom.err"
    got=$?
    check "out of memory: exit 3 (got $got)" [ "$got" -eq 3 ]
    check "out of memory: says so" grep -q "out of memory" "$tmp/oom.err"
    # The same run as a point of a sweep, and of a plan: exit 3 as well.
    (ulimit -v 300000 && exec timeout 120 "$LBSIM" sweep "$tmp/oom.yaml" --threads 1 \
        --vary backends.a.weight=1,2) >/dev/null 2>"$tmp/oom-sweep.err"
    got=$?
    check "out of memory in sweep: exit 3 (got $got)" [ "$got" -eq 3 ]
    check "out of memory in sweep: says so" grep -q "out of memory" "$tmp/oom-sweep.err"
    printf 'slo: {ttft_p99: 1s}\n' | cat "$tmp/oom.yaml" - >"$tmp/oom-plan.yaml"
    (ulimit -v 300000 && exec timeout 120 "$LBSIM" plan "$tmp/oom-plan.yaml" --threads 1 \
        --vary backends.a.weight=1,2) >/dev/null 2>"$tmp/oom-plan.err"
    got=$?
    check "out of memory in plan: exit 3 (got $got)" [ "$got" -eq 3 ]
    check "out of memory in plan: says so" grep -q "out of memory" "$tmp/oom-plan.err"
else
    echo "skip: out of memory (cannot limit the address space here)"
fi

# ---- work caps: refused up front, the cap in the message (exit 2) ----------
printf 'interval: 1ns\nduration: 1h\ntraffic: {trace: three.csv}\n%s\n' "$backend" >"$tmp/ts1.yaml"
expect 2 interval-1ns "expected fewer than 1000000 time-series intervals" -- run "$tmp/ts1.yaml"
check "interval-1ns: names the key" grep -q 'ts1.yaml:1:11:' "$tmp/interval-1ns.err"
printf 'interval: 1us\ntraffic: {trace: three.csv}\n%s\n' "$backend" >"$tmp/ts2.yaml"
expect 2 interval-1us-trace "more than 1000000 time-series intervals of 1e-06s" -- run "$tmp/ts2.yaml"
{
    printf 'traffic: {trace: three.csv}\n%s\ncompare:\n' "$backend"
    for i in $(seq 1 1025); do printf '  - {strategy: round_robin, label: r%d}\n' "$i"; done
} >"$tmp/cmp.yaml"
expect 2 compare-cap "found 1025 compare entries, expected at most 1024" -- run "$tmp/cmp.yaml"
{
    printf 'traffic: {trace: three.csv}\n%s\ncompare:\n' "$backend"
    for i in $(seq 1 1023); do printf '  - {strategy: round_robin, label: r%d}\n' "$i"; done
    printf '  - {strategy: round_robin, label: r7}\n'
} >"$tmp/cmpdup.yaml"
expect 2 compare-dup "cmpdup.yaml:1029:36: found duplicate compare label 'r7' (first at line 12)" \
    -- run "$tmp/cmpdup.yaml"
python3 -c 'import sys; sys.stdout.write("traffic: " + "[" * 100000 + "]" * 100000 + "\n")' \
    >"$tmp/deep.yaml"
expect 2 yaml-depth "deep.yaml:1:73: found collections nested deeper than 64 levels" \
    -- run "$tmp/deep.yaml"
# 10^6 deep: `lbsim run` first asks whether the file is a router config
# (scn_import_sniff), which used to build the whole document and took
# libyaml's O(n^2) (21 s of CPU at 10^5, a hang at 10^6); it reads events
# up to the depth cap now, so the cap answers at once.
python3 -c 'import sys; sys.stdout.write("traffic: " + "{a: " * 1000000 + "}" * 1000000 + "\n")' \
    >"$tmp/deeper.yaml"
expect 2 yaml-depth-1e6 "found collections nested deeper than 64 levels" -- run "$tmp/deeper.yaml"
{
    printf 'x-big: &big [%s0]\n' "$(for i in $(seq 1 2000); do printf '%d, ' "$i"; done)"
    printf 'traffic: {trace: three.csv}\nbackends:\n'
    for i in $(seq 1 1000); do printf '  - {name: b%d, tags: *big}\n' "$i"; done
} >"$tmp/alias.yaml"
expect 2 yaml-aliases "found more than 1000000 YAML nodes after expanding aliases" \
    -- run "$tmp/alias.yaml"
syn() { # syn FILE SYNTHETIC-MAPPING [EXTRA-TOP-LEVEL]
    printf 'traffic:\n  synthetic: %s\n%s\n%s\n' "$2" "$backend" "${3:-}" >"$1"
}
syn "$tmp/rate.yaml" '{rate: 1e308/s, count: 10, input_tokens: 10, output_tokens: 10}'
expect 2 rate-1e308 "expected at most 1000000/s" -- run "$tmp/rate.yaml"
syn "$tmp/count.yaml" '{rate: 1/s, count: 9223372036854775807, input_tokens: 10, output_tokens: 10}'
expect 2 count-2p63 "expected a count of at most 1000000000000" -- run "$tmp/count.yaml"
syn "$tmp/count2.yaml" '{rate: 1/s, count: 2000000000, input_tokens: 10, output_tokens: 10}'
expect 2 count-2e9 "expected at most 1000000000 requests" -- run "$tmp/count2.yaml"
syn "$tmp/long.yaml" '{rate: 1000000/s, duration: 10000h, input_tokens: 10, output_tokens: 10}'
expect 2 arrivals-cap "expected at most 1000000000 (the cap on generated arrivals" -- run "$tmp/long.yaml"

# ---- ranges of numbers outside distributions (docs/limits.md) ---------------
# A duration of 100,000 h (11 years) is past SCN_DURATION_MAX_S: two such
# values added (start + duration) used to reach int64 overflow.
syn "$tmp/dur.yaml" '{rate: 1/s, duration: 100000h, input_tokens: 10, output_tokens: 10}'
expect 2 duration-cap "expected a duration of at most 100000000 s" -- run "$tmp/dur.yaml"
check "duration-cap: names the key" grep -q 'dur.yaml:2:' "$tmp/duration-cap.err"
printf 'traffic: {trace: three.csv}\nbackends:\n  - {name: a, latency: {ttft: 1s}, faults: {outages: [{start: 1e9s, duration: 1e9s}]}}\n' >"$tmp/out.yaml"
expect 2 outage-cap "expected a duration of at most 100000000 s" -- run "$tmp/out.yaml"
printf 'traffic: {trace: three.csv}\nbackends:\n  - {name: a, latency: {ttft: 1s, prefill_per_token: 1s}}\n' >"$tmp/pre.yaml"
expect 2 prefill-cap "expected at most 10ms per token" -- run "$tmp/pre.yaml"
printf 'traffic: {trace: three.csv}\nbackends:\n  - {name: a, latency: {ttft: 1s}, prices: {input: 1e308, output: 1}}\n' >"$tmp/usd.yaml"
expect 2 price-cap "expected an amount of at most \$1000000000" -- run "$tmp/usd.yaml"
printf 'traffic: {trace: three.csv, rate_scale: 1e308}\n%s\n' "$backend" >"$tmp/scale.yaml"
expect 2 rate-scale "expected a rate_scale > 0 and at most 1000" -- run "$tmp/scale.yaml"
cat >"$tmp/spot.yaml" <<'YAML'
traffic:
  synthetic: {rate: 1/s, count: 10, input_tokens: 10, output_tokens: 10}
backends:
  - name: gpu
    kind: pool
    profile: h100-llama3.1-8b
    replicas: 1
    spot: {preemptions_per_day: 1e308}
YAML
expect 2 preempt-rate "expected preemptions per day >= 0 and at most 86400" -- run "$tmp/spot.yaml"

# ---- every run ends ---------------------------------------------------------
# Attempts that hang with no timeout on an autoscaled pool, no duration:
# the autoscaler's ticks would run forever; the run ends one simulated day
# after the last arrival with the hung requests in flight.
cat >"$tmp/hang.yaml" <<'YAML'
interval: 1h
traffic:
  synthetic: {rate: 1/s, count: 5, input_tokens: 10, output_tokens: 10}
backends:
  - name: gpu
    kind: pool
    profile: h100-llama3.1-8b
    autoscale: {metric: concurrency, target: 16, min: 1, max: 2}
    faults: {hang_rate: 100%}
router: {timeout: 0}
slo: {completion_rate: 99%}
YAML
expect 1 hang-ends "5 of 5 requests (100.00%) were still waiting or in service" -- run "$tmp/hang.yaml" --json
check "hang-ends: in flight at the end" grep -q '"in_flight_at_end": 5,' "$tmp/hang-ends.out"
# the last arrival at 4 s, the horizon at 4 s + 24 h: the replica billed
# to the last autoscaler tick before it (86,400 s), then the run ends
check "hang-ends: one replica billed for 24 h" grep -q '^      "replica_hours": 24,' "$tmp/hang-ends.out"

# ---- extreme numbers: refused at load with file:line:col, no UB ------------
# Every numeric key that feeds int64 nanosecond or token arithmetic has a
# range (docs/limits.md); run under -DLBSIM_SANITIZE=ON this also proves
# that what is accepted never reaches undefined behaviour.
hostile() { # hostile KEY VALUE: one value in one place of a small scenario
    local in=100 out=10 ttft=100ms orate=50 tpm=1M itpm=1M otpm=1M
    case $1 in
    in) in=$2 ;; out) out=$2 ;; in_ln) in="{dist: lognormal, median: 100, p99: $2}" ;;
    ttft) ttft=$2 ;; ttft_ln) ttft="{dist: lognormal, median: 100ms, p99: $2}" ;;
    orate) orate=$2 ;; orate_n) orate="{dist: normal, mean: $2, sd: 1, min: 1}" ;;
    tpm) tpm=$2 ;; itpm) itpm=$2 ;; otpm) otpm=$2 ;;
    esac
    cat <<YAML
traffic:
  synthetic: {rate: 1/s, count: 3, input_tokens: $in, output_tokens: $out}
backends:
  - name: a
    limits: {rpm: 100, tpm: $tpm}
    latency: {ttft: $ttft, output_rate: $orate}
  - name: b
    limits: {style: anthropic, rpm: 100, itpm: $itpm, otpm: $otpm}
    latency: {ttft: 100ms}
YAML
}
for v in 1e308 9223372036854775807 18446744073709551616 1e-320; do
    for k in in out in_ln ttft ttft_ln orate orate_n tpm itpm otpm; do
        val=$v
        case $k in ttft*) val=${v}s ;; esac
        hostile $k "$val" >"$tmp/h.yaml"
        timeout 60 "$LBSIM" run "$tmp/h.yaml" >/dev/null 2>"$tmp/h.err"
        got=$?
        if [ "$v" = 1e-320 ]; then # tiny: refused or harmless, never UB
            check "hostile $k=$val: exit 0, 1 or 2 (got $got)" [ "$got" -le 2 ]
        else
            check "hostile $k=$val: exit 2 (got $got)" [ "$got" -eq 2 ]
            check "hostile $k=$val: file:line:col" grep -qE 'h.yaml:[0-9]+:[0-9]+: ' "$tmp/h.err"
        fi
        check "hostile $k=$val: no sanitizer report" \
            bash -c "! grep -qE 'runtime error|AddressSanitizer' '$tmp/h.err'"
    done
done

# ---- a trace that is a FIFO, a pipe or a directory: refused at load -------
# (a trace is read more than once; a FIFO's second reader used to block
# forever, and the load's probe read consumed its first byte)
mkfifo "$tmp/pipe.fifo"
printf 'traffic: {trace: pipe.fifo}\n%s\n' "$backend" >"$tmp/fifo.yaml"
expect 2 fifo "fifo.yaml:1:18: found 'pipe.fifo', which is a FIFO or pipe" -- run "$tmp/fifo.yaml"
printf 'traffic: {trace: /dev/stdin}\n%s\n' "$backend" >"$tmp/stdin.yaml"
expect 2 stdin "found '/dev/stdin', which is a FIFO or pipe" -- run "$tmp/stdin.yaml" < <(cat tests/data/cli_small.yaml)
mkdir "$tmp/tdir"
printf 'traffic: {trace: tdir}\n%s\n' "$backend" >"$tmp/dir.yaml"
expect 2 dir "found 'tdir', which is a directory" -- run "$tmp/dir.yaml"

echo "$fail failure(s)"
[ "$fail" -eq 0 ]
