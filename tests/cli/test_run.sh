#!/usr/bin/env bash
# End-to-end runs of the CLI: outputs, SLO exit status, determinism across
# thread counts.  usage: test_run.sh path/to/lbsim (from the repository root)
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

"$LBSIM" run tests/data/cli_small.yaml --out "$tmp/out" >"$tmp/table.txt" 2>"$tmp/err.txt"
check "passing SLO exits 0" [ $? -eq 0 ]
check "table lists every strategy" grep -q lowest_cost "$tmp/table.txt"
for f in summary.json timeseries.csv ttft_cdf.dat ttft_cdf.gp summary_bars.dat summary_bars.gp; do
    check "wrote $f" test -s "$tmp/out/$f"
done
if command -v gnuplot >/dev/null; then
    check "rendered ttft_cdf.png" test -s "$tmp/out/ttft_cdf.png"
    check "rendered summary_bars.svg" test -s "$tmp/out/summary_bars.svg"
fi
for k in '"scenario"' '"seed"' '"runs"' '"strategy"' '"ttft_s"' '"p999"' '"queue_wait_s"' \
         '"client_429_gateway_rate"' '"upstream_429_rate"' '"attempts_per_request"' \
         '"cost_per_success_usd"' '"backends"' '"slo"' '"violations"'; do
    check "summary.json has $k" grep -q "$k" "$tmp/out/summary.json"
done
check "timeseries.csv header" grep -q '^strategy,t_s,arrivals' "$tmp/out/timeseries.csv"

"$LBSIM" run tests/data/cli_slo_miss.yaml >"$tmp/miss.txt" 2>/dev/null
check "missed SLO exits 1" [ $? -eq 1 ]
check "table says FAIL" grep -q FAIL "$tmp/miss.txt"

# Requests still waiting at a duration cut: no error rate sees them, the
# completion_rate SLO (a lower bound) does, and the CLI warns.
"$LBSIM" run tests/data/cli_unfinished.yaml >"$tmp/unf.txt" 2>"$tmp/unf.err"
check "unfinished requests fail completion_rate (exit 1)" [ $? -eq 1 ]
check "table names completion_rate" grep -q 'FAIL: completion_rate$' "$tmp/unf.txt"
check "error_rate alone would pass" grep -q ' 0.000    0.079 ' "$tmp/unf.txt"
check "warning names the unfinished requests" \
    grep -q 'warning: least_inflight: 2248 of 2436 requests (92.28%) were still waiting' "$tmp/unf.err"
"$LBSIM" run tests/data/cli_small.yaml >/dev/null 2>"$tmp/small.err"
check "no warning when every request finished" bash -c "! grep -q warning '$tmp/small.err'"

"$LBSIM" run tests/data/cli_small.yaml --json --threads 1 >"$tmp/t1.json" 2>/dev/null
"$LBSIM" run tests/data/cli_small.yaml --json --threads 2 >"$tmp/t2.json" 2>/dev/null
check "1 and 2 threads give byte-identical JSON" cmp -s "$tmp/t1.json" "$tmp/t2.json"
check "JSON output is non-trivial" [ "$(wc -c <"$tmp/t1.json")" -gt 2000 ]
"$LBSIM" run tests/data/cli_small.yaml --json --seed 4 >"$tmp/s4.json" 2>/dev/null
check "another seed changes the results" bash -c "! cmp -s $tmp/t1.json $tmp/s4.json"
"$LBSIM" run tests/data/cli_small.yaml --json --strategy power_of_two >"$tmp/p2.json" 2>/dev/null
check "--strategy overrides compare" grep -q '"strategy": "power_of_two"' "$tmp/p2.json"
check "--strategy runs only that one" [ "$(grep -c '"strategy"' "$tmp/p2.json")" -eq 1 ]

"$LBSIM" run tests/data/cli_skip_rows.yaml --json >"$tmp/skip.json" 2>"$tmp/skip.err"
check "skip_bad_rows runs the good rows" grep -q '"requests": 3,' "$tmp/skip.json"
check "skipped rows are counted in the JSON" grep -q '"trace_rows_skipped": 2' "$tmp/skip.json"
check "skipped rows are reported on stderr" grep -q 'skipped 2 bad trace row' "$tmp/skip.err"
"$LBSIM" run tests/data/cli_skip_merge.yaml --json >"$tmp/skipm.json" 2>/dev/null
check "merged sources add their skipped rows" grep -q '"trace_rows_skipped": 4' "$tmp/skipm.json"
check "merged sources run every good row" grep -q '"requests": 6,' "$tmp/skipm.json"

n=$("$LBSIM" strategies | grep -cE '^(random|weighted_random|round_robin|least_inflight|power_of_two|lowest_latency|lowest_cost|lowest_usage)$')
check "strategies lists all eight" [ "$n" -eq 8 ]
check "run --help" "$LBSIM" run --help
echo "cli run: $fail failed"
[ "$fail" -eq 0 ]
