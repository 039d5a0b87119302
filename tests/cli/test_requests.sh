#!/usr/bin/env bash
# `lbsim run --requests FILE` (docs/requests-csv.md) and the progress line:
# rows against summary.json, the three writers, thread-count determinism,
# bad paths refused before simulating, flat memory, the line only on a
# terminal.  usage: test_requests.sh path/to/lbsim (from the repository root)
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

# The rows against summary.json: per strategy, rows = requests + unmeasured;
# measured rows: 200s = completed, other statuses = failed, unfinished =
# in_flight_at_end, their cost_usd sums to the run's (1e-6 relative).
agree() { # agree SUMMARY.json REQUESTS.csv
    python3 - "$1" "$2" <<'EOF'
import csv, json, sys
runs = json.load(open(sys.argv[1]))["runs"]
rows = {}
for r in csv.DictReader(open(sys.argv[2], newline="")):
    rows.setdefault(r["strategy"], []).append(r)
bad = 0
for run in runs:
    rs = rows.get(run["strategy"], [])
    m = [r for r in rs if r["measured"] == "1"]
    ok = sum(r["status"] == "200" for r in m)
    unf = sum(r["status"] == "unfinished" for r in m)
    cost = sum(float(r["cost_usd"]) for r in m)
    want = {"rows": run["requests"] + run.get("unmeasured", 0), "measured": run["requests"],
            "completed": run["completed"], "failed": run["failed"],
            "unfinished": run["in_flight_at_end"]}
    got = {"rows": len(rs), "measured": len(m), "completed": ok, "failed": len(m) - ok - unf,
           "unfinished": unf}
    if want != got:
        print(run["strategy"], "want", want, "got", got); bad += 1
    if abs(cost - run["cost_usd"]) > 1e-6 * max(abs(run["cost_usd"]), 1e-9):
        print(run["strategy"], "cost", cost, "want", run["cost_usd"]); bad += 1
sys.exit(1 if bad or not runs else 0)
EOF
}

S=tests/data/cli_small.yaml
"$LBSIM" run "$S" --threads 1 --json --requests "$tmp/r1.csv" >"$tmp/s1.json" 2>"$tmp/e1.txt"
check "run with --requests exits 0" [ $? -eq 0 ]
check "header" [ "$(head -1 "$tmp/r1.csv")" = "id,strategy,arrival_s,tenant,model_group,task,priority,region,status,attempts,backends_tried,final_backend,queue_wait_s,ttft_s,e2e_s,input_tokens,output_tokens,cost_usd,cache_hit,fallback,hedged,escalated,measured" ]
check "rows, statuses and cost agree with summary.json" agree "$tmp/s1.json" "$tmp/r1.csv"
check "strategies in the table's order" \
    [ "$(cut -d, -f2 "$tmp/r1.csv" | tail -n +2 | uniq | tr '\n' ' ')" = "round_robin least_inflight lowest_latency lowest_cost " ]
check "no temporary file left" [ "$(ls -A "$tmp" | grep -c '^\.')" -eq 0 ]
check "stderr says how many rows" grep -q 'wrote [0-9]* request rows' "$tmp/e1.txt"

"$LBSIM" run "$S" --threads 2 --json --requests "$tmp/r2.csv" >"$tmp/s2.json" 2>/dev/null
check "1 vs 2 threads: byte-identical rows" cmp -s "$tmp/r1.csv" "$tmp/r2.csv"
"$LBSIM" run "$S" --threads 2 --json >"$tmp/s0.json" 2>/dev/null
check "--requests does not change summary" cmp -s "$tmp/s0.json" "$tmp/s2.json"

"$LBSIM" run "$S" --threads 2 --requests "$tmp/r.csv.gz" >/dev/null 2>&1
check ".csv.gz exits 0" [ $? -eq 0 ]
check ".csv.gz decompresses to the .csv" cmp -s <(gzip -dc "$tmp/r.csv.gz") "$tmp/r1.csv"
"$LBSIM" run "$S" --threads 2 --requests "$tmp/r.csv.zst" >/dev/null 2>&1
check ".csv.zst exits 0" [ $? -eq 0 ]
check ".csv.zst decompresses to the .csv" cmp -s <(zstd -qdc "$tmp/r.csv.zst") "$tmp/r1.csv"

# Requests still queued at a duration cut: status unfinished, no e2e.
"$LBSIM" run tests/data/cli_unfinished.yaml --json --requests "$tmp/u.csv" >"$tmp/u.json" 2>/dev/null
check "unfinished: rows agree with summary.json" agree "$tmp/u.json" "$tmp/u.csv"
check "unfinished rows have no e2e_s" \
    python3 -c "import csv,sys; r=[x for x in csv.DictReader(open('$tmp/u.csv')) if x['status']=='unfinished']; sys.exit(0 if r and all(x['e2e_s']=='' for x in r) else 1)"

# The formats: seconds from nanoseconds with the fraction's trailing zeros
# dropped (never "x.", never "x.10"), dollars as %.9g (Python's "%.9g" of
# the parsed value gives the same text).
check "seconds: exact, no trailing zeros" python3 - "$tmp/r1.csv" <<'EOF2'
import csv, re, sys
ok = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{0,8}[1-9])?$")
bad = [v for r in csv.DictReader(open(sys.argv[1])) for k in ("arrival_s", "queue_wait_s", "ttft_s", "e2e_s")
       for v in [r[k]] if v != "" and not ok.match(v)]
sys.exit(1 if bad else 0)
EOF2
check "cost_usd is %.9g" python3 - "$tmp/r1.csv" <<'EOF2'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if rows and all("%.9g" % float(r["cost_usd"]) == r["cost_usd"] for r in rows) else 1)
EOF2
check ".csv.zst is one zstd frame per strategy" \
    python3 -c "import sys; d=open('$tmp/r.csv.zst','rb').read(); sys.exit(0 if d.count(b'\x28\xb5\x2f\xfd') >= 4 else 1)"

# Labels, cache, fallbacks and hedges of the example scenarios.
for ex in hedging chat_plus_batch; do
    f=scenarios/examples/$ex.yaml
    "$LBSIM" run "$f" --json --requests "$tmp/$ex.csv" >"$tmp/$ex.json" 2>/dev/null
    check "$ex: rows agree with summary.json" agree "$tmp/$ex.json" "$tmp/$ex.csv"
done
check "hedging: some rows are hedged" \
    python3 -c "import csv,sys; sys.exit(0 if any(x['hedged']=='1' for x in csv.DictReader(open('$tmp/hedging.csv'))) else 1)"
check "chat_plus_batch: the tenant column is filled" \
    python3 -c "import csv,sys; sys.exit(0 if any(x['tenant']!='' for x in csv.DictReader(open('$tmp/chat_plus_batch.csv'))) else 1)"

# Bad paths: exit 2 before anything is simulated (no run statistics line).
"$LBSIM" run "$S" --requests "$tmp/r.json" >/dev/null 2>"$tmp/bad.txt"
check "bad extension exits 2" [ $? -eq 2 ]
check "bad extension names the accepted ones" grep -q '.csv, .csv.gz or .csv.zst' "$tmp/bad.txt"
check "bad extension: nothing simulated" bash -c "! grep -q 'run(s)' '$tmp/bad.txt'"
"$LBSIM" run "$S" --requests "$tmp/nodir/r.csv" >/dev/null 2>"$tmp/bad.txt"
check "missing directory exits 2" [ $? -eq 2 ]
check "missing directory: nothing simulated" bash -c "! grep -q 'run(s)' '$tmp/bad.txt'"
if [ "$(id -u)" != 0 ]; then
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    "$LBSIM" run "$S" --requests "$tmp/ro/r.csv" >/dev/null 2>"$tmp/bad.txt"
    check "unwritable directory exits 2" [ $? -eq 2 ]
    chmod 755 "$tmp/ro"
else
    echo "skip: unwritable directory (root writes anywhere)"
fi
"$LBSIM" run "$S" --replications 2 --requests "$tmp/rep.csv" >/dev/null 2>"$tmp/bad.txt"
check "--requests with --replications 2 exits 2" [ $? -eq 2 ]
check "... and writes nothing" [ ! -e "$tmp/rep.csv" ]

# Progress: a line on a terminal (script gives one), none on a pipe or
# with --quiet.  The outputs are the same with the line drawn.
BIG=(--strategy round_robin --set traffic.synthetic.rate=5000/s --set traffic.synthetic.duration=40s
     --set backends.fast.limits.rpm=1000M --set backends.slow.limits.rpm=1000M
     --set backends.fast.limits.tpm=100000M --set backends.slow.limits.tpm=100000M)
# script's typescript is what the terminal showed (stderr included)
script -qec "$LBSIM run $S ${BIG[*]} --json --out $tmp/tty >/dev/null" "$tmp/tty.log" >/dev/null
check "progress: a line on a terminal" grep -q 'requests/s, ETA' "$tmp/tty.log"
check "progress: drawn in place" grep -q $'\rlbsim: ' "$tmp/tty.log"
check "progress: the line is cleared at the end" grep -q $'\r\033\[K' "$tmp/tty.log"
"$LBSIM" run "$S" "${BIG[@]}" --json --out "$tmp/notty" >/dev/null 2>"$tmp/notty.err"
check "progress: nothing without a terminal" bash -c "! grep -q 'ETA' '$tmp/notty.err'"
check "progress: outputs unchanged" cmp -s "$tmp/tty/summary.json" "$tmp/notty/summary.json"
check "progress: timeseries unchanged" cmp -s "$tmp/tty/timeseries.csv" "$tmp/notty/timeseries.csv"
script -qec "$LBSIM run $S ${BIG[*]} --quiet --json >/dev/null" "$tmp/q.log" >/dev/null
check "--quiet: no progress line" bash -c "! grep -q 'ETA' '$tmp/q.log'"
check "--quiet: no run statistics" bash -c "! grep -q 'run(s)' '$tmp/q.log'"

# Flat memory: 3 x 10^5 requests (~30 MB of CSV if rows were held), peak
# RSS with --requests within 8 MiB of the run without it (the compression
# buffers and the in-flight table).
M=(--strategy round_robin --threads 1 --set traffic.synthetic.rate=10000/s
   --set traffic.synthetic.duration=30s --set backends.fast.limits.rpm=1000M
   --set backends.slow.limits.rpm=1000M --set backends.fast.limits.tpm=100000M
   --set backends.slow.limits.tpm=100000M)
rss() { /usr/bin/time -f '%M' -o "$tmp/rss" "$@" --json >"$tmp/big.json" 2>/dev/null; tail -1 "$tmp/rss"; }
without=$(rss "$LBSIM" run "$S" "${M[@]}")
with=$(rss "$LBSIM" run "$S" "${M[@]}" --requests "$tmp/big.csv.zst")
n=$(python3 -c "import json; r=json.load(open('$tmp/big.json'))['runs'][0]; print(r['requests'] + r.get('unmeasured', 0))")
echo "peak RSS: ${without} KiB without, ${with} KiB with --requests"
check "about 3 x 10^5 requests" [ "$n" -gt 297000 ]
check "a row per request" [ "$(zstd -qdc "$tmp/big.csv.zst" | wc -l)" -eq $((n + 1)) ]
# A sanitizer build cannot judge it: ASan's quarantine keeps freed buffers
# (the compression rounds free and allocate) and inflates both figures.
# Such builds reserve terabytes of address space, so a limit fails there.
if (ulimit -v 4000000 && "$LBSIM" --version) >/dev/null 2>&1; then
    check "flat memory with --requests" [ "$with" -le $((without + 8192)) ]
else
    echo "skip: flat memory (a sanitizer build: RSS is the allocator's, not lbsim's)"
fi

# SIGTERM while the runs simulate: the process ends by it (143) and leaves
# no part or temporary file.  (A background job of a script ignores
# SIGINT, so SIGTERM stands for both: one handler serves them.)
mkdir "$tmp/sig"
"$LBSIM" run "$S" "${M[@]}" --set traffic.synthetic.duration=1h --quiet \
    --requests "$tmp/sig/r.csv.zst" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do ls -A "$tmp/sig" | grep -q part && break; sleep 0.1; done
check "SIGTERM: the parts existed while simulating" bash -c "ls -A '$tmp/sig' | grep -q part"
kill -TERM $pid
wait $pid
check "SIGTERM: ends by the signal (143)" [ $? -eq 143 ]
check "SIGTERM: no part or temporary file left" [ -z "$(ls -A "$tmp/sig")" ]

echo "$fail failure(s)"
[ "$fail" -eq 0 ]
