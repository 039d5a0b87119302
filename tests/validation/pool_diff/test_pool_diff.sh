#!/usr/bin/env bash
# The pool's grouped decode against its plain loop on 40 random workloads:
# identical output.  usage: test_pool_diff.sh LAZY PLAIN
set -u
fail=0
for v in $(seq 0 39); do
    if ! cmp -s <("$1" "$v") <("$2" "$v"); then
        echo "FAIL: variant $v differs"
        fail=$((fail + 1))
    fi
done
echo "pool_diff: 40 variants, $fail differ"
[ "$fail" -eq 0 ]
