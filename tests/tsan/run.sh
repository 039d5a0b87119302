#!/usr/bin/env bash
# The OpenMP paths of lbsim under ThreadSanitizer (tests/tsan/README.md):
# run (compare, 4 strategies on 2 threads), run --replications, sweep and
# plan, each on a small scenario.  Any TSan report fails the step.
# usage: tests/tsan/run.sh path/to/lbsim (built with -DLBSIM_TSAN=ON, clang)
set -u
LBSIM=$1
cd "$(dirname "$0")/../.."
# Archer: the OMPT tool of LLVM's libomp that tells TSan about OpenMP's
# barriers, reductions and locks; without it libomp's uninstrumented
# synchronisation shows up as races.
archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | sort -V | tail -1)
if [ -z "$archer" ]; then
    echo "FAIL: libarcher.so not found (apt-get install libomp-dev)"
    exit 1
fi
export OMP_TOOL_LIBRARIES=$archer
# ignore_noninstrumented_modules: Archer's documented setting, so accesses
# inside libomp (not instrumented) are not judged; lbsim's own code is.
export TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
small=tests/data/cli_small.yaml
short=(--set traffic.synthetic.duration=30s)
step() { # step NAME COMMAND...: exit 0 or 1 (an SLO miss) and no report
    local name=$1
    shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if grep -q "ThreadSanitizer" "$tmp/err" || [ $rc -gt 1 ]; then
        echo "FAIL: $name (exit $rc)"
        cat "$tmp/err"
        fail=$((fail + 1))
    else
        echo "ok: $name"
    fi
}
step "run, 4 strategies, 2 threads" "$LBSIM" run $small --threads 2
step "run --replications 3, 2 threads" "$LBSIM" run $small "${short[@]}" --replications 3 \
    --threads 2
step "sweep, 4 points, 2 threads" "$LBSIM" sweep $small "${short[@]}" --strategy round_robin \
    --vary traffic.rate_scale=0.5,1 --vary backends.slow.limits.rpm=100,2000 --threads 2 --json
step "plan, 3 candidates, 2 threads" "$LBSIM" plan $small "${short[@]}" \
    --strategy least_inflight --vary backends.slow.limits.rpm=100,1000,2000 --threads 2 --json
echo "$fail failure(s)"
[ "$fail" -eq 0 ]
