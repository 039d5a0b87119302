#!/usr/bin/env bash
# report.html in headless Chromium: the page renders (the screenshot is not
# blank), logs no console error, holds no external reference, and leads
# with the verdict.  SKIPs (exit 0, with a message) when chromium is not
# installed; .ci/run installs it so CI runs it.
# usage: test_report_html.sh path/to/lbsim path/to/png_colors
set -u
LBSIM=$1
PNG_COLORS=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=$((fail + 1)); fi
}

"$LBSIM" run scenarios/examples/provider_outage.yaml --set seed=3 --out "$tmp/out" \
    >/dev/null 2>"$tmp/err.txt"
check "report.html written" test -s "$tmp/out/report.html"
check "report.md written" test -s "$tmp/out/report.md"
check "verdict before the plots" awk '/<h2>Verdict/{v=NR} /<h2>Plots/{p=NR} END{exit !(v && p && v < p)}' "$tmp/out/report.html"
check "openai-only FAILs its SLO" grep -q 'openai-only</td><td><span class="v FAIL">' "$tmp/out/report.html"
check "no external reference" bash -c "! grep -Eq '(src|href)=\"(https?:|//|file:)' '$tmp/out/report.html'"
check "the scenario text is escaped in" grep -q 'name: provider_outage' "$tmp/out/report.html"
check "the md verdict" grep -q '| openai-only | \*\*FAIL\*\* |' "$tmp/out/report.md"

browser=""
for b in chromium chromium-browser; do
    command -v "$b" >/dev/null && { browser=$b; break; }
done
if [ -z "$browser" ]; then
    echo "SKIP: chromium not installed (apt-get install chromium); browser checks not run"
    [ $fail -eq 0 ] && echo "all passed (browser part skipped)" || echo "$fail failed"
    exit $((fail > 0))
fi
if command -v gnuplot >/dev/null; then
    check "plots inlined as SVG" grep -q '<svg' "$tmp/out/report.html"
fi
# a profile of its own: no state shared with a user's browser
timeout 120 "$browser" --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/profile" \
    --screenshot="$tmp/shot.png" --window-size=1280,2400 --enable-logging=stderr --v=0 \
    "file://$tmp/out/report.html" >"$tmp/chrome.out" 2>"$tmp/chrome.err"
check "chromium exits 0" [ $? -eq 0 ]
check "screenshot written" test -s "$tmp/shot.png"
colors=$("$PNG_COLORS" "$tmp/shot.png" 2>/dev/null || echo 0)
echo "screenshot: $colors distinct colours"
# a blank or error page has a handful; the report's text and plots
# (antialiased) give hundreds
check "screenshot not blank (> 200 colours)" [ "$colors" -gt 200 ]
check "no console error" bash -c "! grep -Eq 'Uncaught|ERROR:CONSOLE|CONSOLE\\(' '$tmp/chrome.err'"
[ -n "${KEEP_SHOT:-}" ] && cp "$tmp/shot.png" "$KEEP_SHOT"
[ $fail -eq 0 ] && echo "all passed" || echo "$fail failed"
exit $((fail > 0))
