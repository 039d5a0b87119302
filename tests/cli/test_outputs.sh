#!/usr/bin/env bash
# Outputs (docs/outputs.md): --out is written whole or not at all, a failed
# write of stdout is exit 3, a reader that goes away (| head -1) does not
# cost the --out, SIGINT leaves the previous --out as it was, and a bad
# --out is refused before any simulation.
# usage: test_outputs.sh path/to/lbsim (from the repository root)
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
small=tests/data/cli_small.yaml
# the same scenario for two hours of traffic: seconds of simulation
long=(--set traffic.synthetic.duration=2h --threads 1)
ms() { date +%s%3N; }
leftovers() { # no hidden temporary or old directory beside the target
    [ -z "$(find "$tmp" -maxdepth 1 -name '.*.tmp-*' -o -maxdepth 1 -name '.*.old-*')" ]
}

# ---- stdout ------------------------------------------------------------------
"$LBSIM" run $small >/dev/full 2>"$tmp/full.err"
got=$?
check "table to /dev/full: exit 3 (got $got)" [ "$got" -eq 3 ]
check "table to /dev/full: says why" grep -q "cannot write standard output: No space left" \
    "$tmp/full.err"
"$LBSIM" run $small --json >/dev/full 2>/dev/null
got=$?
check "--json to /dev/full: exit 3 (got $got)" [ "$got" -eq 3 ]
"$LBSIM" run $small --json --out "$tmp/full" >/dev/full 2>/dev/null
check "--json to /dev/full: --out still complete" test -s "$tmp/full/report.html"

# A reader that stops after one line: the run goes on, --out is complete,
# and the run's own status (0 here) stands.
"$LBSIM" run $small --json --out "$tmp/pipe" 2>"$tmp/pipe.err" | head -1 >"$tmp/head.txt"
got=${PIPESTATUS[0]}
check "| head -1: exit 0 (got $got)" [ "$got" -eq 0 ]
check "| head -1: the reader got its line" grep -qx '{' "$tmp/head.txt"
no_error() { ! grep -q "cannot" "$1"; }
json_ok() { python3 -m json.tool "$1" >/dev/null; }
check "| head -1: no error message" no_error "$tmp/pipe.err"
check "| head -1: summary.json complete" json_ok "$tmp/pipe/summary.json"
check "| head -1: report.html written" test -s "$tmp/pipe/report.html"

# ---- replacing an earlier output -----------------------------------------------
"$LBSIM" run $small --out "$tmp/o" >/dev/null 2>&1
check "first run: marker written" test -f "$tmp/o/.lbsim-output"
check "first run: 4 backend-share plots" test -f "$tmp/o/time_backend_share_4.dat"
touch "$tmp/o/stale_from_before.png"
"$LBSIM" run $small --strategy round_robin --out "$tmp/o" >/dev/null 2>&1
got=$?
check "second run into an lbsim output: exit 0 (got $got)" [ "$got" -eq 0 ]
check "second run: a file it does not write is gone" test ! -e "$tmp/o/stale_from_before.png"
check "second run: plots of the first run's other strategies are gone" \
    test ! -e "$tmp/o/time_backend_share_4.dat"
check "second run: no temporary directory left" leftovers

# ---- SIGINT --------------------------------------------------------------------
(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort) >"$tmp/before.sum"
timeout -s INT 1 "$LBSIM" run $small "${long[@]}" --out "$tmp/o" >/dev/null 2>&1
got=$?
check "SIGINT during the run: timed out (got $got)" [ "$got" -eq 124 ]
(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort) >"$tmp/after.sum"
check "SIGINT: the previous --out is byte-identical" cmp -s "$tmp/before.sum" "$tmp/after.sum"
check "SIGINT: no temporary directory left" leftovers
timeout --preserve-status -s INT 1 "$LBSIM" run $small "${long[@]}" --out "$tmp/o" \
    >/dev/null 2>&1
got=$?
check "SIGINT: ends by the signal, status 130 (got $got)" [ "$got" -eq 130 ]
timeout --preserve-status -s TERM 1 "$LBSIM" run $small "${long[@]}" --out "$tmp/new" \
    >/dev/null 2>&1
got=$?
check "SIGTERM: status 143 (got $got)" [ "$got" -eq 143 ]
check "SIGTERM: a new --out is not created" test ! -e "$tmp/new"
check "SIGTERM: no temporary directory left" leftovers

# SIGINT while the outputs are written: a gnuplot that takes 2 s per plot
# holds the run in its write phase when the signal comes.
mkdir "$tmp/bin"
printf '#!/bin/sh\nsleep 2\n' >"$tmp/bin/gnuplot"
chmod +x "$tmp/bin/gnuplot"
PATH="$tmp/bin:$PATH" timeout --preserve-status -s INT 1 "$LBSIM" run $small --out "$tmp/o" \
    >/dev/null 2>&1
got=$?
check "SIGINT while writing: status 130 (got $got)" [ "$got" -eq 130 ]
(cd "$tmp/o" && find . -type f -exec sha256sum {} + | sort) >"$tmp/after2.sum"
check "SIGINT while writing: the previous --out is byte-identical" \
    cmp -s "$tmp/before.sum" "$tmp/after2.sum"
check "SIGINT while writing: no temporary directory left" leftovers

# ---- refused before simulating ---------------------------------------------------
mkdir "$tmp/mine"
echo "keep me" >"$tmp/mine/notes.txt"
t0=$(ms)
"$LBSIM" run $small "${long[@]}" --out "$tmp/mine" >/dev/null 2>"$tmp/mine.err"
got=$?
t1=$(ms)
check "a directory of other files: exit 2 (got $got)" [ "$got" -eq 2 ]
check "a directory of other files: at once ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 1000 ]
check "a directory of other files: says why" grep -q "lbsim did not write" "$tmp/mine.err"
check "a directory of other files: left untouched" grep -qx "keep me" "$tmp/mine/notes.txt"
"$LBSIM" sweep $small --vary traffic.rate_scale=1,2 --out "$tmp/mine" >/dev/null 2>&1
got=$?
check "sweep into a directory of other files: exit 2 (got $got)" [ "$got" -eq 2 ]
touch "$tmp/afile"
"$LBSIM" run $small --out "$tmp/afile" >/dev/null 2>"$tmp/afile.err"
got=$?
check "--out names a file: exit 2 (got $got)" [ "$got" -eq 2 ]
# a parent nobody can create entries in (root too: /proc refuses mkdir)
t0=$(ms)
"$LBSIM" run $small "${long[@]}" --out /proc/lbsim-test-out >/dev/null 2>"$tmp/ro.err"
got=$?
t1=$(ms)
check "unwritable parent: exit 2 (got $got)" [ "$got" -eq 2 ]
check "unwritable parent: at once ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 1000 ]
check "unwritable parent: says why" grep -q "cannot create entries" "$tmp/ro.err"
"$LBSIM" run $small --out "$tmp/afile/sub" >/dev/null 2>&1
got=$?
check "parent is a file: exit 2 (got $got)" [ "$got" -eq 2 ]
# missing parents are created, as mkdir -p
"$LBSIM" run $small --out "$tmp/a/b/c" >/dev/null 2>&1
check "missing parents are created" test -s "$tmp/a/b/c/summary.json"

echo "$fail failure(s)"
[ "$fail" -eq 0 ]
