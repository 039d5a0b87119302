#!/usr/bin/env bash
# lbsim calibrate (issue 11): a published vLLM row refitted, an API log
# fitted to its known latency model, the printed YAML loading as a
# scenario backend, bad input with file:line:col (exit 2) and a fit that
# cannot match (exit 1).  docs/calibrate.md.
# usage: test_calibrate.sh path/to/lbsim   (run from the repository root)
set -u
LBSIM=$1
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lbsim_test_calibrate_XXXXXX")
trap 'rm -rf "$tmp"' EXIT
D=tests/data/calib

# expect CODE what -- command...
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$what: exit $rc"; else bad "$what: exit $rc, expected $want"; head -5 "$tmp/err"; fi
}
has() { if grep -qF -- "$2" "$1"; then ok "has: $2"; else bad "missing in $(basename "$1"): $2"; fi; }

# A scenario around a printed backends: entry; it must load and run.
runs() {
    { printf 'name: calibrated\nseed: 3\ntraffic:\n  synthetic:\n    arrivals: poisson\n    rate: 2/s\n    count: 40\n    input_tokens: 500\n    output_tokens: 100\n'
      grep -v '^#' "$1"; } >"$tmp/scn.yaml"
    expect 0 "$2 runs as a scenario" -- "$LBSIM" run "$tmp/scn.yaml"
}

# --- B1 (docs/notes/gpu-benchmarks.md): 8 x 32-in / 128-out on H100, one
# batch, 997.542 ms; written as a benchmark_serving result (rate "inf"). ---
expect 0 "B1 fit" -- "$LBSIM" calibrate $D/b1_latency_h100_8b.json --profile h100-llama3.1-8b
cp "$tmp/out" "$tmp/b1.yaml"
has "$tmp/out" "    profile: h100-llama3.1-8b"
has "$tmp/out" "    engine: vllm"
has "$tmp/err" "req/s               8.020      8.019    -0.0%"
has "$tmp/err" "note: 1 measured figure for 4 knobs"
runs "$tmp/b1.yaml" "B1 backend"

# --- an API gateway log (synthetic, known model: TTFT lognormal median
# 400 ms, p99 2 s, + 0.2 ms per input token; output 60 tok/s median) ---
expect 0 "API fit" -- "$LBSIM" calibrate $D/api_log.csv --name gw
cp "$tmp/out" "$tmp/api.yaml"
has "$tmp/out" "  - name: gw"
has "$tmp/out" "      prefill_per_token: 214679ns"
has "$tmp/out" "      output_rate: {dist: lognormal, median: 60.00, p99: 88.71}"
has "$tmp/err" "slope 0.000215 s/token, standard error 2.55e-05 (t = 8.4): used"
runs "$tmp/api.yaml" "API backend"

# Constant input lengths: no regression, prefill_per_token 0.
awk -F, 'NR == 1 { print; next } { $4 = 700; print }' OFS=, $D/api_log.csv >"$tmp/flat.csv"
expect 0 "API fit, constant inputs" -- "$LBSIM" calibrate "$tmp/flat.csv"
has "$tmp/err" "the input lengths do not vary enough"
has "$tmp/out" "      prefill_per_token: 0ns"

# --- exit 1: a TPOT of 1 ms is below H100 / 8B's weight-read floor -----
sed 's/"completed": 8,/"completed": 8, "median_tpot_ms": 1.0,/' $D/b1_latency_h100_8b.json >"$tmp/fast.json"
expect 1 "unreachable TPOT" -- "$LBSIM" calibrate "$tmp/fast.json" --profile h100-llama3.1-8b
has "$tmp/err" "above 15% exits 1"

# --- bad input: exit 2 with file:line:col ------------------------------
printf 'arrival_s,input_tokens,output_tokens,ttft,e2e_s\n0,10,10,0.1,0.5\n' >"$tmp/unitless.csv"
expect 2 "unitless ttft" -- "$LBSIM" calibrate "$tmp/unitless.csv"
has "$tmp/err" "unitless.csv:1:38: found the time column 'ttft' without a unit, expected 'ttft_s' or 'ttft_ms'"
printf 'arrival_s,input_tokens,output_tokens,ttft_ms,e2e_ms\n0,10,10,100,500\n1,10,x,100,500\n' >"$tmp/row.csv"
expect 2 "non-numeric field" -- "$LBSIM" calibrate "$tmp/row.csv"
has "$tmp/err" "row.csv:3:6: found 'x', expected a token count 0 to 10^8"
printf 'arrival_s,input_tokens,output_tokens,ttft_ms,e2e_ms\n0,10,10,900,500\n1,10,10,100,500\n' >"$tmp/order.csv"
expect 2 "ttft above e2e" -- "$LBSIM" calibrate "$tmp/order.csv"
has "$tmp/err" "order.csv:2:9: found ttft 0.9 s above the end-to-end latency 0.5 s"
printf 'arrival_s,input_tokens,ttft_ms,e2e_ms\n0,10,100,500\n' >"$tmp/nocol.csv"
expect 2 "missing column" -- "$LBSIM" calibrate "$tmp/nocol.csv"
has "$tmp/err" "nocol.csv:1:1: found no column for output_tokens"
printf '{"request_rate": "fast", "completed": 8}\n' >"$tmp/rate.json"
expect 2 "bad request_rate" -- "$LBSIM" calibrate "$tmp/rate.json" --profile h100-llama3.1-8b
has "$tmp/err" "rate.json:1:18: found request_rate \"fast\", expected a number or \"inf\""
printf '{\n  "request_rate": 4,\n  "completed": 8,\n  "duration": 2.0\n  "median_ttft_ms": 40\n}\n' >"$tmp/comma.json"
expect 2 "missing comma" -- "$LBSIM" calibrate "$tmp/comma.json" --profile h100-llama3.1-8b
has "$tmp/err" "comma.json:5:3: found '\"median_ttft_ms\"', expected ',' or '}'"
printf '{"request_rate": 4, "duration": 2.0}\n' >"$tmp/nocompleted.json"
expect 2 "no completed" -- "$LBSIM" calibrate "$tmp/nocompleted.json" --profile h100-llama3.1-8b
has "$tmp/err" "nocompleted.json:1:1: found no 'completed'"
printf '{"request_rate": 1e300, "completed": 8, "duration": 2.0, "total_input_tokens": 8, "total_output_tokens": 8}\n' >"$tmp/huge.json"
expect 2 "rate above 10^6" -- "$LBSIM" calibrate "$tmp/huge.json" --profile h100-llama3.1-8b
has "$tmp/err" "huge.json:1:18: found request_rate 1e+300, expected a rate above 0 and at most 10^6 req/s"
printf '{"request_rate": 4, "completed": 8, "duration": 2.0, "total_input_tokens": 1e12, "total_output_tokens": 8}\n' >"$tmp/long.json"
expect 2 "lengths above 10^8" -- "$LBSIM" calibrate "$tmp/long.json" --profile h100-llama3.1-8b
has "$tmp/err" "long.json:1:76: found total_input_tokens 1e+12, 1.25e+11 tokens per request, expected at most 10^8"
printf '{"request_rate": 4, "completed": 2, "median_ttft_ms": 50, "input_lens": [1000000, 5], "output_lens": [5000000, 5]}\n' >"$tmp/kv.json"
expect 0 "a request larger than the KV" -- "$LBSIM" calibrate "$tmp/kv.json" --profile h100-llama3.1-8b
has "$tmp/err" "warning: 1 of the 2 replayed requests did not complete"
expect 2 "JSON without --profile" -- "$LBSIM" calibrate $D/b1_latency_h100_8b.json
has "$tmp/err" "expected --profile NAME"
expect 2 "unknown profile" -- "$LBSIM" calibrate $D/b1_latency_h100_8b.json --profile h100-llama8b
has "$tmp/err" "--profile: found 'h100-llama8b', expected one of: h100-llama3.1-8b"
: >"$tmp/empty.csv"
expect 2 "empty file" -- "$LBSIM" calibrate "$tmp/empty.csv"
has "$tmp/err" "empty.csv:1:1: found an empty file"
expect 2 "missing file" -- "$LBSIM" calibrate "$tmp/none.json"
expect 2 "bad engine" -- "$LBSIM" calibrate $D/b1_latency_h100_8b.json --profile h100-llama3.1-8b --engine tgi

echo "$fail failed"
[ "$fail" -eq 0 ]
