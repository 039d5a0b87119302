#!/usr/bin/env bash
# Bad input gives exit status 2 and a message naming file:line(:column).
# usage: test_bad_input.sh path/to/lbsim   (run from the repository root)
set -u
LBSIM=$1
fail=0
expect() { # expect STATUS PATTERN -- ARGS...
    local want=$1 pat=$2
    shift 3
    local out rc
    out=$("$LBSIM" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: lbsim $* exited $rc, expected $want; stderr: $out"
        fail=$((fail + 1))
    elif ! grep -qE -- "$pat" <<<"$out"; then
        echo "FAIL: lbsim $*: stderr does not match /$pat/: $out"
        fail=$((fail + 1))
    else
        echo "ok: lbsim $* -> $rc: $(head -1 <<<"$out")"
    fi
}
expect 2 'cli_bad_syntax.yaml:[0-9]+:[0-9]+' -- run tests/data/cli_bad_syntax.yaml
expect 2 "cli_bad_key.yaml:5:5: .*concurency.*did you mean 'concurrency'" -- run tests/data/cli_bad_key.yaml
expect 2 'cli_bad_unit.yaml:6:13: .*5 parsecs.*duration' -- run tests/data/cli_bad_unit.yaml
expect 2 "cli_bad_bare_ttft.yaml:7:13: found '570' without a unit.*570ms" -- run tests/data/cli_bad_bare_ttft.yaml
expect 2 "cli_bad_bare_timeout.yaml:7:12: found '30000' without a unit" -- run tests/data/cli_bad_bare_timeout.yaml
expect 2 "cli_bad_bare_rate.yaml:2:21: found '7' without a unit.*7/s" -- run tests/data/cli_bad_bare_rate.yaml
expect 2 'cli_bad_row.csv:4: .*abc' -- run tests/data/cli_bad_trace.yaml
expect 2 'no-such-file.yaml' -- run tests/data/no-such-file.yaml
expect 2 "unknown option '--sed'" -- run tests/data/cli_small.yaml --sed 3
expect 2 "--seed: found 'x'" -- run tests/data/cli_small.yaml --seed x
# a seed with blanks or a sign: strtoull alone read ' -1' as 2^64 - 1
expect 2 "--seed: found ' -1'" -- run tests/data/cli_small.yaml --seed ' -1'
expect 2 "--seed: found ' 4'" -- run tests/data/cli_small.yaml --seed ' 4'
expect 2 "--seed: found '.4'" -- run tests/data/cli_small.yaml --seed +4
expect 2 "--seed: found '4 '" -- run tests/data/cli_small.yaml --seed '4 '
expect 2 "--threads: found ' 2'" -- run tests/data/cli_small.yaml --threads ' 2'
expect 2 "--threads: found '0'" -- run tests/data/cli_small.yaml --threads 0
expect 2 'missing SCENARIO' -- run
expect 2 "unknown command 'rn'" -- rn
expect 2 "round_robn.*round_robin" -- run tests/data/cli_small.yaml --strategy round_robn
echo "bad input: $fail failed"
[ "$fail" -eq 0 ]
