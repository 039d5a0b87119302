#!/usr/bin/env bash
# bench/before_after.sh - issue 16's before/after record in one invocation.
#
# Builds BASE (default 0aa9ba4^, the commit before issue 16's work) in a
# temporary git worktree with TODAY's bench harness (the working tree's
# bench.h, refcore.[ch], bench_engine.c, bench_pool.c, bench_fleet.c and
# bench/CMakeLists.txt copied over), and HEAD (default: the working tree,
# built in build/), then runs both, interleaved A/B/A/B, on the same inputs
# (the working tree's bench/*.yaml, bench/mmc.yaml and quickstart):
#   bench_engine (round_robin, power_of_two), bench_pool (round_robin,
#   least_inflight, power_of_two), each round against its in-process
#   reference core (bench/refcore.h); bench_fleet --quick (4, 64, 512, 1,024
#   backends: round_robin, random, price_weighted, weighted_scorers,
#   expected_latency, prefix_affinity); bench/simpy_mmc.py on each lbsim;
#   a 100-request run's CPU (quickstart, traffic.limit=100, round_robin,
#   one thread); the quickstart with and without --out (CPU incl. gnuplot
#   children, and wall).
# With --callgrind, also the callgrind top 10 by self Ir of bench_engine
# round_robin (10^6 requests) and bench_pool round_robin (10^5), and
# bench_fleet in instructions instead of thread-CPU ns.
# Prints every raw line, then one markdown table:
#   figure | before | after | target | met/MISSED (judged on "after").
#
# Nothing is written into the repository's tree (only build/ when HEAD is
# the working tree); the temporary worktrees are removed at the end.
#
# usage: bench/before_after.sh [--base REV] [--head REV] [--callgrind]
#            [--pairs N] [--rounds N] [--python PY] [--keep]
#            [--after-build DIR]
#   --base REV   the "before" commit (default 0aa9ba4^)
#   --head REV   the "after" commit (default: the working tree, build/)
#   --after-build DIR  "after" is the binaries already built in DIR (not
#                rebuilt; the bench_before_after CMake target passes it)
#   --callgrind  add the callgrind top-10 tables (a few minutes more)
#   --pairs N    A/B pairs of every timed bench (default 2)
#   --rounds N   rounds inside bench_engine / bench_pool (default 3)
#   --python PY  the interpreter with simpy (default /usr/bin/python3)
#   --keep       keep the temporary directory (raw logs, callgrind files)
# exit status: 0 done (targets MISSED do not fail it), 2 bad usage or a
# build/run failure.
set -eu

die() {
    echo "before_after: $*" >&2
    exit 2
}

BASE_REV='0aa9ba4^'
HEAD_REV=''
AFTER_BUILD=''
CALLGRIND=0
PAIRS=2
ROUNDS=3
PY=/usr/bin/python3
KEEP=0
SIMPY_CUSTOMERS=200000
SMALL_RUNS=15
FLEET_STRATS="round_robin random price_weighted weighted_scorers expected_latency prefix_affinity"
while [ $# -gt 0 ]; do
    case "$1" in
    --base) [ $# -ge 2 ] || die "--base needs a revision"; BASE_REV=$2; shift 2 ;;
    --head) [ $# -ge 2 ] || die "--head needs a revision"; HEAD_REV=$2; shift 2 ;;
    --after-build) [ $# -ge 2 ] || die "--after-build needs a directory"; AFTER_BUILD=$2; shift 2 ;;
    --callgrind) CALLGRIND=1; shift ;;
    --pairs) [ $# -ge 2 ] || die "--pairs needs a number"; PAIRS=$2; shift 2 ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; ROUNDS=$2; shift 2 ;;
    --python) [ $# -ge 2 ] || die "--python needs a path"; PY=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (expected --base, --head, --after-build, --callgrind, --pairs, --rounds, --python, --keep)" ;;
    esac
done
case "$PAIRS$ROUNDS" in *[!0-9]*) die "--pairs and --rounds take positive integers" ;; esac
[ "$PAIRS" -ge 1 ] && [ "$ROUNDS" -ge 1 ] || die "--pairs and --rounds take positive integers"

REPO=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel 2>/dev/null) ||
    die "not inside a git checkout of lbsim"
cd "$REPO"
for t in cmake git; do command -v $t >/dev/null || die "needs $t"; done
[ "$CALLGRIND" = 0 ] || for t in valgrind callgrind_annotate; do
    command -v $t >/dev/null || die "--callgrind needs $t (Debian: valgrind)"
done
"$PY" -c 'import simpy' 2>/dev/null ||
    die "$PY has no simpy module (Debian: python3-simpy3; or --python PY)"
BASE_SHA=$(git rev-parse --verify -q "$BASE_REV^{commit}") || die "--base: no commit '$BASE_REV'"
[ -z "$HEAD_REV" ] || [ -z "$AFTER_BUILD" ] || die "--head and --after-build exclude each other"
if [ -n "$AFTER_BUILD" ]; then
    d=$(cd "$AFTER_BUILD" 2>/dev/null && pwd) || die "--after-build: no directory '$AFTER_BUILD'"
    AFTER_BUILD=$d
    for t in lbsim bench_engine bench_pool bench_fleet; do
        [ -x "$AFTER_BUILD/$t" ] || die "--after-build: no $t in $AFTER_BUILD (build the target $t first)"
    done
fi
if [ -n "$HEAD_REV" ]; then
    HEAD_SHA=$(git rev-parse --verify -q "$HEAD_REV^{commit}") || die "--head: no commit '$HEAD_REV'"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lbsim-before-after.XXXXXX")
WORKTREES=()
cleanup() {
    for w in "${WORKTREES[@]+"${WORKTREES[@]}"}"; do
        git -C "$REPO" worktree remove --force "$w" >/dev/null 2>&1 || true
    done
    git -C "$REPO" worktree prune >/dev/null 2>&1 || true
    if [ "$KEEP" = 1 ]; then
        echo "before_after: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

HARNESS="bench.h refcore.c refcore.h bench_engine.c bench_pool.c bench_fleet.c bench_heap.c CMakeLists.txt"
TARGETS="lbsim bench_engine bench_pool bench_fleet"

# build_rev LABEL SHA: a detached worktree of SHA under $TMP with today's
# harness, built in $TMP/LABEL/build (set in BLD; not run in a subshell, so
# the worktree list reaches cleanup).
build_rev() {
    local label=$1 sha=$2 src=$TMP/$1/src bld=$TMP/$1/build
    mkdir -p "$TMP/$label"
    git worktree add --detach "$src" "$sha" >"$TMP/$label/worktree.log" 2>&1 ||
        die "git worktree add $sha failed: $(tail -1 "$TMP/$label/worktree.log")"
    WORKTREES+=("$src")
    for f in $HARNESS; do cp "$REPO/bench/$f" "$src/bench/$f"; done
    echo "before_after: building $label ($(git log -1 --format='%h %s' "$sha"))" >&2
    if ! { cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build "$bld" -j 2 --target $TARGETS; } >"$TMP/$label/build.log" 2>&1; then
        grep -m 5 -E 'error|Error' "$TMP/$label/build.log" >&2 || tail -5 "$TMP/$label/build.log" >&2
        KEEP=1
        die "$label ($sha) does not build with today's bench harness; log: $TMP/$label/build.log"
    fi
    BLD=$bld
}

build_rev before "$BASE_SHA"
A=$BLD
if [ -n "$HEAD_REV" ]; then
    build_rev after "$HEAD_SHA"
    B=$BLD
    HEAD_DESC="$(git log -1 --format='%h' "$HEAD_SHA") ($HEAD_REV)"
elif [ -n "$AFTER_BUILD" ]; then
    B=$AFTER_BUILD
    HEAD_DESC="$B on $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' + changes')"
else
    B=$REPO/build
    mkdir -p "$TMP/after"
    echo "before_after: building after (the working tree) in build/" >&2
    if ! { { [ -f "$B/CMakeCache.txt" ] || cmake -S "$REPO" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo; } &&
        cmake --build "$B" -j 2 --target $TARGETS; } >"$TMP/after/build.log" 2>&1; then
        tail -5 "$TMP/after/build.log" >&2
        KEEP=1
        die "the working tree does not build; log: $TMP/after/build.log"
    fi
    HEAD_DESC="working tree on $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' + changes')"
fi
BASE_DESC="$(git rev-parse --short "$BASE_SHA") ($BASE_REV)"

# Inputs, the same for both sides (the working tree's).
API=$REPO/bench/bench_api.yaml
POOL=$REPO/bench/bench_pool.yaml
QS=$REPO/scenarios/examples/quickstart.yaml
for f in "$API" "$POOL" "$QS" "$REPO/bench/mmc.yaml" "$REPO/bench/simpy_mmc.py"; do
    [ -f "$f" ] || die "missing input $f"
done
OUT=$TMP/out
mkdir -p "$OUT"

# Child CPU (user + sys of the process and its children, e.g. gnuplot) and
# wall, one line per run: "cpu_s X wall_s Y".  Exit 0 and 1 (an SLO
# missed) are results; anything else fails.
cat >"$TMP/cpu.py" <<'EOF'
import resource, subprocess, sys, time
n = int(sys.argv[1])
for _ in range(n):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr.decode(errors="replace"))
        sys.exit("exit status %d: %s" % (p.returncode, " ".join(sys.argv[2:])))
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print("cpu_s %.6f wall_s %.6f" % (cpu, t1 - t0))
EOF

# run NAME SIDE PAIR CMD...: CMD's output to $OUT/NAME.SIDE.PAIR, echoed.
run() {
    local name=$1 side=$2 pair=$3 f
    shift 3
    f=$OUT/$name.$side.$pair
    if ! "$@" >"$f" 2>"$f.err"; then
        cat "$f.err" >&2
        KEEP=1
        die "$name ($side, pair $pair) failed: $*"
    fi
    sed "s/^/[$side$pair] /" "$f"
}

side_bin() { if [ "$1" = A ]; then echo "$A"; else echo "$B"; fi; }

FLEET_MODE=""
[ "$CALLGRIND" = 1 ] && FLEET_MODE=--callgrind
echo "## before_after: A = before $BASE_DESC, B = after $HEAD_DESC"
echo "## $(date -u +%F) $(uname -m), $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(cc --version | head -1)"
for p in $(seq 1 "$PAIRS"); do
    for s in A B; do run engine $s $p "$(side_bin $s)/bench_engine" "$API" "$ROUNDS"; done
    for s in A B; do run pool $s $p "$(side_bin $s)/bench_pool" "$POOL" "$ROUNDS"; done
    # instruction counts are deterministic: once is enough
    if [ -z "$FLEET_MODE" ] || [ "$p" = 1 ]; then
        for s in A B; do run fleet $s $p "$(side_bin $s)/bench_fleet" $FLEET_MODE --quick $FLEET_STRATS; done
    fi
    for s in A B; do run simpy $s $p "$PY" "$REPO/bench/simpy_mmc.py" "$(side_bin $s)/lbsim" "$SIMPY_CUSTOMERS"; done
    for s in A B; do
        run small $s $p "$PY" "$TMP/cpu.py" "$SMALL_RUNS" "$(side_bin $s)/lbsim" run "$QS" \
            --set traffic.limit=100 --strategy round_robin --threads 1 --json
    done
    for s in A B; do run qs $s $p "$PY" "$TMP/cpu.py" 3 "$(side_bin $s)/lbsim" run "$QS"; done
    for s in A B; do
        rm -rf "$TMP/qs-out.$s"
        run qsout $s $p "$PY" "$TMP/cpu.py" 1 "$(side_bin $s)/lbsim" run "$QS" --out "$TMP/qs-out.$s"
        rm -rf "$TMP/qs-out.$s"
        run qsout $s $p.2 "$PY" "$TMP/cpu.py" 1 "$(side_bin $s)/lbsim" run "$QS" --out "$TMP/qs-out.$s"
    done
done

if [ "$CALLGRIND" = 1 ]; then
    # bench_pool's scenario cut to 10^5 requests; bench_api stays at 10^6.
    sed 's/^\( *count:\) *1000000 *$/\1 100000/' "$POOL" >"$TMP/bench_pool_1e5.yaml"
    grep -q 'count: 100000$' "$TMP/bench_pool_1e5.yaml" || die "could not cut $POOL to 10^5 requests"
    echo "before_after: callgrind (both sides at once; instruction counts do not depend on load)" >&2
    pids=()
    for s in A B; do
        valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.engine.$s" \
            "$(side_bin $s)/bench_engine" "$API" 0 round_robin >"$OUT/cgrun.engine.$s" 2>&1 &
        pids+=($!)
        valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.pool.$s" \
            "$(side_bin $s)/bench_pool" "$TMP/bench_pool_1e5.yaml" 0 round_robin >"$OUT/cgrun.pool.$s" 2>&1 &
        pids+=($!)
        wait "${pids[@]}" || { KEEP=1; die "a callgrind run failed (logs in $OUT/cgrun.*)"; }
        pids=()
    done
    for b in engine pool; do
        for s in A B; do
            callgrind_annotate --inclusive=no "$TMP/cg.$b.$s" >"$OUT/cg.$b.$s.txt" 2>/dev/null ||
                die "callgrind_annotate $TMP/cg.$b.$s failed"
        done
    done
fi

# The summary table.
cat >"$TMP/summary.py" <<'EOF'
import glob, os, re, statistics, sys
out, pairs, callgrind, base, head = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], sys.argv[5]

def files(name, side):
    return sorted(glob.glob(os.path.join(out, "%s.%s.[0-9]*" % (name, side))))

def lines(name, side):
    for f in files(name, side):
        if f.endswith(".err"):
            continue
        yield [l.rstrip("\n") for l in open(f)]

def num(rx, text):
    m = re.search(rx, text)
    return float(m.group(1).replace(",", "")) if m else None

rows = []  # (figure, before, after, target, verdict)
def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)
def add(fig, a, b, spec, target="", ok=None):
    verdict = "" if ok is None or b is None else ("met" if ok(b) else "MISSED")
    rows.append((fig, fmt(a, spec), fmt(b, spec), target, verdict))

def best(vals, hi=False):
    vals = [v for v in vals if v is not None]
    return (max(vals) if hi else min(vals)) if vals else None
def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

# bench_engine / bench_pool: best of the pairs (each already best of its rounds)
def bench_figs(name, strategy):
    res = {}
    for side in "AB":
        rps, ratio, nsr, epr = [], [], [], []
        for ls in lines(name.split("_", 1)[1], side):
            for l in ls:
                if not re.match(r"%s %s\s" % (name, strategy), l):
                    continue
                if "requests/s" in l and "CPU" in l:
                    rps.append(num(r"([\d.]+) requests/s", l))
                    epr.append(num(r"([\d.]+) events/request", l))
                    if name == "bench_engine":
                        nsr.append(num(r"([\d.]+) ns/request", l))
                if "target <=" in l:
                    ratio.append(num(r"lbsim/reference:? ([\d.]+)x", l))
                    if name == "bench_pool":
                        nsr.append(num(r"([\d.]+) ns/request", l))
        res[side] = (best(rps, True), best(ratio), best(nsr), best(epr))
    return res

for name, strats, tr in (("bench_engine", ("round_robin", "power_of_two"), 5.0),
                         ("bench_pool", ("round_robin", "least_inflight", "power_of_two"), 10.0)):
    for st in strats:
        r = bench_figs(name, st)
        add("`%s` %s, requests per CPU s" % (name, st), r["A"][0], r["B"][0], ",.0f",
            ">= 2,000,000", lambda v: v >= 2e6)
        add("`%s` %s, ns/request" % (name, st), r["A"][2], r["B"][2], ".1f")
        add("`%s` %s, ratio to reference ns/event" % (name, st), r["A"][1], r["B"][1], ".2f",
            "<= %gx" % tr, lambda v, tr=tr: v <= tr)
        add("`%s` %s, events/request" % (name, st), r["A"][3], r["B"][3], ".2f")

# bench_fleet: median over pairs of each cell
SIZES = [4, 16, 64, 256, 512, 1024]
def fleet(side):
    cells, bpb = {}, []
    for ls in lines("fleet", side):
        for l in ls:
            m = re.match(r"(\w+)\s+((?:\s*(?:-?\d+|-)){6})\s+-?[\d.]+", l)
            if m and not l.startswith("strategy"):
                vals = m.group(2).split()
                for n, v in zip(SIZES, vals):
                    if v != "-":
                        cells.setdefault((m.group(1), n), []).append(float(v))
            b = num(r"([\d.]+) bytes per backend", l)
            if b is not None:
                bpb.append(b)
    return {k: med(v) for k, v in cells.items()}, med(bpb)
fa, fb = fleet("A"), fleet("B")
unit = "instructions" if callgrind else "thread-CPU ns"
def growth(c, s):
    a, b = c.get((s, 1024)), c.get((s, 4))
    return a / b if a and b else None
def vsr(c, s):
    a, b = c.get((s, 512)), c.get(("random", 512))
    return a / b if a and b else None
for s in ("round_robin", "random", "price_weighted"):
    add("`bench_fleet` %s, %s/request at 4 backends" % (s, unit), fa[0].get((s, 4)), fb[0].get((s, 4)), ",.0f")
    add("`bench_fleet` %s, %s/request at 1,024 backends" % (s, unit), fa[0].get((s, 1024)), fb[0].get((s, 1024)), ",.0f")
    add("`bench_fleet` %s, 1,024 / 4" % s, growth(fa[0], s), growth(fb[0], s), ".2f", "<= 1.2", lambda v: v <= 1.2)
add("`bench_fleet` bytes per backend (peak RSS, 1,024 vs 4)", fa[1], fb[1], ",.0f", "<= 8,192", lambda v: v <= 8192)
for s in ("price_weighted", "weighted_scorers", "expected_latency", "prefix_affinity"):
    tgt = (lambda v: v <= 3.0) if s != "price_weighted" else None
    add("`bench_fleet` %s at 512, x random" % s, vsr(fa[0], s), vsr(fb[0], s), ".2f",
        "<= 3x" if tgt else "", tgt)

# SimPy: median over pairs
def simpy(side):
    r, us = [], []
    for ls in lines("simpy", side):
        for l in ls:
            if l.startswith("simpy_mmc ratio"):
                r.append(num(r"ratio ([\d.]+)x", l))
            if l.startswith("simpy_mmc lbsim"):
                us.append(num(r"([\d.]+) us/request", l))
    return med(r), med(us)
sa, sb = simpy("A"), simpy("B")
add("`simpy_mmc.py` lbsim CPU us/request (M/M/4, 10^6, child incl. start-up)", sa[1], sb[1], ".3f")
add("`simpy_mmc.py` SimPy / lbsim CPU per customer", sa[0], sb[0], ".1f", ">= 50x", lambda v: v >= 50)

def cpu(name, side, key):
    v = []
    for ls in lines(name, side):
        for l in ls:
            x = num(key + r" ([\d.]+)", l)
            if x is not None:
                v.append(x)
    return med(v)
add("100-request run (quickstart, limit 100, round_robin, 1 thread), CPU ms (median)",
    cpu("small", "A", "cpu_s") * 1e3, cpu("small", "B", "cpu_s") * 1e3, ".2f")
add("quickstart (7 strategies), CPU s", cpu("qs", "A", "cpu_s"), cpu("qs", "B", "cpu_s"), ".3f")
add("quickstart, wall s", cpu("qs", "A", "wall_s"), cpu("qs", "B", "wall_s"), ".3f")
add("quickstart `--out` (all plots, gnuplot included), CPU s", cpu("qsout", "A", "cpu_s"), cpu("qsout", "B", "cpu_s"), ".3f")
add("quickstart `--out`, wall s", cpu("qsout", "A", "wall_s"), cpu("qsout", "B", "wall_s"), ".3f")

def cg_top(b, side):
    f = os.path.join(out, "cg.%s.%s.txt" % (b, side))
    total, top = None, []
    for l in open(f):
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+PROGRAM TOTALS", l) or re.match(r"\s*([\d,]+)\s+PROGRAM TOTALS", l)
        if m:
            total = float(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+)", l) or re.match(r"\s*([\d,]+)\s+(\S+)\s*$", l)
        if m and total is not None and len(top) < 10 and "PROGRAM" not in l and ":" in l:
            ir = float(m.group(1).replace(",", ""))
            loc = m.group(m.lastindex)
            fn = loc.split(":", 1)
            loc = os.path.basename(fn[0]) + ":" + fn[1] if len(fn) == 2 else loc
            obj = re.search(r"\[(\S+)\]\s*$", l)
            if loc.startswith("???:") and obj:  # no debug info: name the library
                loc = os.path.basename(obj.group(1)).split(".so")[0] + ":" + loc[4:]
            top.append((loc, ir))
    return total, top
if callgrind:
    for b, what, nreq in (("engine", "bench_engine round_robin, 10^6 requests", 1e6),
                          ("pool", "bench_pool round_robin, 10^5 requests", 1e5)):
        ta, pa = cg_top(b, "A")
        tb, pb = cg_top(b, "B")
        add("callgrind %s, whole run Ir (G)" % what, ta / 1e9, tb / 1e9, ".3f")
        add("callgrind %s, Ir per request (whole run / requests)" % what, ta / nreq, tb / nreq, ",.0f")

print()
print("| figure | before | after | target | met/MISSED |")
print("|---|---|---|---|---|")
for r in rows:
    print("| %s | %s | %s | %s | %s |" % r)
print()
print("before = %s, after = %s; bench_engine/bench_pool: best of %d A/B pairs (each the best of its"
      " interleaved rounds, ratio from the same process's reference core); other figures: median"
      " of the pairs; bench_fleet in %s, marginal per request." % (base, head, pairs, unit))
if callgrind:
    for b, what in (("engine", "bench_engine round_robin, 10^6 requests"),
                    ("pool", "bench_pool round_robin, 10^5 requests")):
        ta, pa = cg_top(b, "A")
        tb, pb = cg_top(b, "B")
        print()
        print("Top 10 by self Ir, %s (before %.3f G, after %.3f G):" % (what, ta / 1e9, tb / 1e9))
        print()
        print("| # | before | Ir (M) | % | after | Ir (M) | % |")
        print("|---|---|---|---|---|---|---|")
        for i in range(10):
            x = pa[i] if i < len(pa) else ("", 0)
            y = pb[i] if i < len(pb) else ("", 0)
            print("| %d | %s | %.1f | %.1f | %s | %.1f | %.1f |" % (i + 1, x[0], x[1] / 1e6, 100 * x[1] / ta,
                                                              y[0], y[1] / 1e6, 100 * y[1] / tb))
EOF
"$PY" "$TMP/summary.py" "$OUT" "$PAIRS" "$CALLGRIND" "$BASE_DESC" "$HEAD_DESC" ||
    { KEEP=1; die "summary failed (raw output in $OUT)"; }
