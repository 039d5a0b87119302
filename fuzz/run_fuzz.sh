#!/usr/bin/env bash
# run_fuzz.sh BINARY TARGET RUNS WORKDIR - one fuzz target for ctest: replay
# its seed corpus and the regression inputs (fuzz/regressions/TARGET, the
# inputs of every crash fixed so far), then RUNS more executions from a
# fixed seed.  Any crash, sanitizer report, leak or hang (10 s per input)
# fails the test.  Extra libFuzzer flags may come from $FUZZ_FLAGS (a long
# campaign: FUZZ_FLAGS=-max_total_time=600).
set -euo pipefail
bin=$1 target=$2 runs=$3 work=$4
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$work"
[ -d "$work/seeds/$target" ] || bash "$root/fuzz/seed.sh" "$work/seeds.tmp.$$"
[ -d "$work/seeds/$target" ] || { rm -rf "$work/seeds"; mv "$work/seeds.tmp.$$" "$work/seeds"; }
rm -rf "$work/seeds.tmp.$$"
rm -rf "$work/live/$target"
mkdir -p "$work/live/$target"
dirs=("$work/live/$target" "$work/seeds/$target")
[ -d "$root/fuzz/regressions/$target" ] && dirs+=("$root/fuzz/regressions/$target")
# the campaign's ASan settings (campaign.sh: a smaller quarantine)
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32:allocator_release_to_os_interval_ms=-1:malloc_context_size=10}"
dict=()
case "$target" in scenario | set | run) dict=(-dict="$root/fuzz/scenario.dict") ;; esac
# shellcheck disable=SC2086
exec "$bin" -seed=1 -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    "${dict[@]}" ${FUZZ_FLAGS:-} "${dirs[@]}"
