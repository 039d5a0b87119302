#!/usr/bin/env bash
# Golden outputs: every example scenario's summary.json, timeseries.csv and
# printed table at the scenario's seed, compared byte for byte.  A refactor
# keeps them identical; a deliberate behaviour change regenerates them in its
# own commit and says why.
#
#   tests/golden/run_golden.sh LBSIM            compare (ctest runs this)
#   tests/golden/run_golden.sh LBSIM --update   regenerate on purpose
#
# Each scenario runs with 1 and with 2 threads; both must match the golden
# files (results are identical for any thread count).
set -uo pipefail
lbsim=${1:?usage: run_golden.sh LBSIM [--update]}
update=${2:-}
cd "$(dirname "$0")/../.."
gold=tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
for scn in scenarios/examples/*.yaml; do
    name=$(basename "$scn" .yaml)
    for threads in 1 2; do
        out="$tmp/t$threads/$name"
        mkdir -p "$tmp/t$threads"
        # The exit status is part of the golden output (1 = an SLO missed);
        # the output folder is named OUT so the table does not depend on it.
        "$lbsim" run "$scn" --threads "$threads" --out "$out" >"$out.raw" 2>"$out.err"
        status=$?
        sed "s|$tmp/t$threads/$name|OUT|g" "$out.raw" >"$out.table"
        echo "exit $status" >>"$out.table"
        if [ -n "$update" ]; then
            [ "$threads" = 1 ] || continue
            cp "$out/summary.json" "$gold/$name.summary.json"
            cp "$out/timeseries.csv" "$gold/$name.timeseries.csv"
            cp "$out.table" "$gold/$name.table.txt"
            echo "updated $name"
            continue
        fi
        ok=1
        for pair in "summary.json:$out/summary.json" "timeseries.csv:$out/timeseries.csv" \
                    "table.txt:$out.table"; do
            want="$gold/$name.${pair%%:*}"
            got="${pair#*:}"
            if ! cmp -s "$want" "$got"; then
                echo "FAIL $name (threads $threads): $want differs"
                diff "$want" "$got" | head -20
                ok=0
            fi
        done
        if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    done
done
[ -n "$update" ] && exit 0
echo "$pass passed, $fail failed"
[ $fail = 0 ]
