#!/usr/bin/env bash
# campaign.sh - a long fuzzing campaign over the libFuzzer targets (issue 15,
# fuzz/README.md "Campaign"); `cmake --build BUILD --target fuzz_campaign`
# runs it with the defaults.
#
#   fuzz/campaign.sh [-b BUILD] [-o OUT] [-n RUNS] [-t SECONDS] [-j JOBS] [TARGET...]
#   fuzz/campaign.sh -r [-o OUT]          # the table of the last campaign
#
# Each TARGET (default: all six) runs after the one before, niced, for RUNS
# executions (-n, default 10^7) or SECONDS (-t; whichever ends first), with
# JOBS libFuzzer processes (-j, default 1: the machine may be shared).  Its
# corpus lives in OUT/corpus/TARGET, outside the repository (default
# ${TMPDIR:-/tmp}/lbsim-fuzz-campaign), seeded from fuzz/seed.sh and kept
# across campaigns; crash, leak, timeout and OOM inputs land in
# OUT/artifacts/TARGET, logs in OUT/logs/TARGET (main.log, and
# fuzz-N.log per job).  At the end (and with -r) a
# table: per target executions, exec/s, edges (cov), features (ft), corpus
# size, crashes (crash, leak, OOM inputs) and hangs (timeouts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
out="${TMPDIR:-/tmp}/lbsim-fuzz-campaign"
runs=10000000 secs=0 jobs=1 report_only=0
while getopts "b:o:n:t:j:r" opt; do
    case $opt in
    b) build=$OPTARG ;;
    o) out=$OPTARG ;;
    n) runs=$OPTARG ;;
    t) secs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    r) report_only=1 ;;
    *) sed -n '2,19p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario set trace import run replay)

report() {
    printf '%-9s %12s %8s %6s %7s %7s %7s %5s\n' target executions exec/s cov ft corpus crashes hangs
    for t in "${targets[@]}"; do
        local log="$out/logs/$t/main.log" art="$out/artifacts/$t"
        [ -f "$log" ] || continue
        local logs=("$log")
        for j in "$out/logs/$t"/fuzz-*.log; do [ -f "$j" ] && logs+=("$j"); done
        # the last status line of each job ("#N  ... cov: E ft: F corp: C/..."),
        # and libFuzzer's final stats (summed over the jobs)
        local execs rate cov ft corp crashes hangs
        execs=$(awk '/stat::number_of_executed_units/ {s += $2} END {print s + 0}' "${logs[@]}" 2>/dev/null || true)
        rate=$(awk '/stat::average_exec_per_sec/ {s += $2} END {print s + 0}' "${logs[@]}" 2>/dev/null || true)
        if [ "${execs:-0}" = 0 ]; then # still running: the last status line
            execs=$(grep -ho '^#[0-9]*' "${logs[@]}" 2>/dev/null | tr -d '#' | sort -n | tail -1)
            rate=$(grep -ho 'exec/s: [0-9]*' "${logs[@]}" 2>/dev/null | tail -1 | awk '{print $2}')
        fi
        cov=$(grep -ho 'cov: [0-9]*' "${logs[@]}" 2>/dev/null | awk '{print $2}' | sort -n | tail -1)
        ft=$(grep -ho 'ft: [0-9]*' "${logs[@]}" 2>/dev/null | awk '{print $2}' | sort -n | tail -1)
        corp=$(find "$out/corpus/$t" -type f 2>/dev/null | wc -l)
        crashes=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' \) 2>/dev/null | wc -l)
        hangs=$(find "$art" -type f -name 'timeout-*' 2>/dev/null | wc -l)
        printf '%-9s %12s %8s %6s %7s %7s %7s %5s\n' "$t" "${execs:-0}" "${rate:-0}" "${cov:-0}" \
            "${ft:-0}" "$corp" "$crashes" "$hangs"
    done
}

if [ $report_only = 1 ]; then
    report
    exit 0
fi

mkdir -p "$out/corpus" "$out/artifacts"
bash "$root/fuzz/seed.sh" "$out/seeds"
# ASan: a 32 MiB quarantine (the default 256 MiB makes every input touch
# fresh pages: 2-3x slower) still holds thousands of executions' frees.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32:allocator_release_to_os_interval_ms=-1:malloc_context_size=10}"
for t in "${targets[@]}"; do
    bin="$build/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "campaign: no $bin (build with -DLBSIM_FUZZ=ON)" >&2; exit 2; }
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "$out/logs/$t"
    dict=()
    case "$t" in scenario | set | run) dict=(-dict="$root/fuzz/scenario.dict") ;; esac
    regress=()
    [ -d "$root/fuzz/regressions/$t" ] && regress=("$root/fuzz/regressions/$t")
    limit=()
    [ "$secs" -gt 0 ] && limit=(-max_total_time="$secs")
    par=()
    [ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
    echo "campaign: $t: up to $runs executions${limit:+, ${secs} s}, $jobs job(s), log $out/logs/$t/main.log"
    # the seeds and regression inputs are read, new inputs go to the
    # corpus (its first directory)
    (cd "$out/logs/$t" && nice -n 19 "$bin" -runs="$runs" "${limit[@]}" "${par[@]}" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -reload=0 \
        -artifact_prefix="$out/artifacts/$t/" "${dict[@]}" \
        "$out/corpus/$t" "$out/seeds/$t" "${regress[@]}" >"$out/logs/$t/main.log" 2>&1) || true
done
report
