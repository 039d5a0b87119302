#!/usr/bin/env bash
# seed.sh OUTDIR - the seed corpora of the fuzz targets, from the repository's
# own test data and examples: OUTDIR/{scenario,trace,import,set,run,replay}/.
#
# fuzz_trace and fuzz_import read a mode byte before the file (see their
# headers), so their seeds are the files with that byte in front; large
# sample traces are cut to their first 40 lines.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=$1
rm -rf "$out"
mkdir -p "$out"/scenario "$out"/trace "$out"/import "$out"/set "$out"/run "$out"/replay

for f in "$root"/tests/data/*.yaml "$root"/scenarios/examples/*.yaml \
    "$root"/tests/conformance/scenarios/s0[1-3]_*.yaml; do
    cp "$f" "$out/scenario/$(basename "$(dirname "$f")")_$(basename "$f")"
done

# fuzz_run: the scenarios again (their synthetic traffic runs), and small
# scenarios with a trace after the "%%trace" line.
cp "$out"/scenario/* "$out/run/"
run_bk='backends:
  - {name: a, limits: {rpm: 600, tpm: 100k}, latency: {ttft: {dist: lognormal, median: 300ms, p99: 2s}, output_rate: 50}}
  - {name: b, kind: pool, profile: h100-llama3.1-8b, replicas: 1}
router: {strategy: least_inflight, timeout: 30s, retries: {max_attempts: 2}}'
for f in "$root"/tests/data/trace_native_all.csv "$root"/tests/data/xf_roundtrip.csv \
    "$root"/tests/conformance/one_request.csv; do
    printf 'traffic: {trace: trace.csv}\n%s\n%%%%trace\n' "$run_bk" >"$out/run/t_$(basename "$f")"
    head -n 40 "$f" >>"$out/run/t_$(basename "$f")"
done

# mode byte: bits 0-2 format (0 auto, 1 native, 2 azure, 3 burstgpt,
# 4 mooncake, 5 servegen), bits 3-4 framing (0 plain, 1 gzip, 2 zstd), bit 5 skip rows.
seed_trace() { # name mode file
    { printf "\\x$2"; head -n 40 "$3"; } >"$out/trace/$1"
}
for f in "$root"/tests/data/trace_*.csv "$root"/tests/data/fmt_*.csv "$root"/tests/data/cli_*.csv \
    "$root"/tests/data/xf_roundtrip.csv "$root"/tests/conformance/*.csv; do
    b=$(basename "$f" .csv)
    case "$b" in
    *azure*) seed_trace "$b" 02 "$f" ;;
    *burstgpt*) seed_trace "$b" 03 "$f" ;;
    *) seed_trace "$b" 00 "$f" ;;
    esac
done
seed_trace azure_code 02 "$root"/traces/data/AzureLLMInferenceTrace_code.csv
seed_trace azure_code_gz 0a "$root"/traces/data/AzureLLMInferenceTrace_code.csv
seed_trace mooncake 04 "$root"/traces/data/mooncake_conversation_sample.jsonl
seed_trace mooncake_zst 14 "$root"/traces/data/mooncake_conversation_sample.jsonl
seed_trace native_skip 21 "$root"/tests/data/cli_skip_rows.csv
seed_trace servegen 05 "$root"/tests/data/gen_sg_ok-trace.csv
# fuzz_replay: the same mode byte (format, skip rows) on plain files
for f in "$out"/trace/*; do
    case "$(basename "$f")" in *_gz | *_zst | servegen) ;; *) cp "$f" "$out/replay/" ;; esac
done
for f in "$root"/tests/data/fmt_*.gz "$root"/tests/data/fmt_*.zst; do
    { printf '\x00'; cat "$f"; } >"$out/trace/$(basename "$f")"
done

for f in "$root"/tests/data/litellm_*.yaml; do
    { printf '\x00'; cat "$f"; } >"$out/import/$(basename "$f")"
done
for f in "$root"/tests/data/portkey_*.json; do
    { printf '\x01'; cat "$f"; } >"$out/import/$(basename "$f")"
done

i=0
while IFS= read -r line; do
    printf '%s' "$line" | tr '|' '\n' >"$out/set/set_$i"
    i=$((i + 1))
done <<'SETS'
backends.openai-a.limits.rpm=100
backends.0.weight=5|router.timeout=1s
backends.gpt.4o.latency={ttft: {dist: lognormal, median: 300ms, p99: 1s}}
compare.wr.strategy=least_inflight
backends.gpu.replicas=4|traffic.synthetic.rate=50/s|duration=2m
backends.openai-a.faults.outages.0.status=429
router.retries={max: 2}
traffic.synthetic.input_tokens={dist: lognormal, median: 500, p99: 4000}
SETS
