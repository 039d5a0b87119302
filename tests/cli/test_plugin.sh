#!/usr/bin/env bash
# Strategy plugins (--plugin PATH.so): the example plugin lists and runs;
# a wrong major ABI, a newer minor, a too-small table, a missing file, a missing symbol, an invalid ops table, an
# unresolved symbol and a name clash are each exit 2 with a message naming
# the file and the defect.
# usage: test_plugin.sh path/to/lbsim path/to/lbsim_example_plugin.so DIR
#   (DIR holds the lbsim_test_plugin_*.so built from tests/data/plugin_bad.c;
#    run from the repository root)
set -u
LBSIM=$1
EXAMPLE=$2
DIR=$3
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
has() { grep -qF -- "$1" "$2"; } # has TEXT FILE (fixed string)

# The example plugin: listed, marked, runnable, named in the JSON.
"$LBSIM" strategies --plugin "$EXAMPLE" >"$tmp/list.txt" 2>"$tmp/list.err"
check "strategies --plugin exits 0" [ $? -eq 0 ]
check "strategies lists the plugin strategy, marked" has "plugin_least_loaded (plugin $EXAMPLE)" "$tmp/list.txt"
check "strategies shows the plugin parameter" grep -q '^    bias ' "$tmp/list.txt"
check "strategies still lists the built-ins" grep -qx least_inflight "$tmp/list.txt"

"$LBSIM" run tests/data/cli_small.yaml --plugin "$EXAMPLE" --strategy plugin_least_loaded \
    --json >"$tmp/run.json" 2>"$tmp/run.err"
check "run with the plugin strategy exits 0" [ $? -eq 0 ]
check "the JSON names the plugin strategy" has '"strategy": "plugin_least_loaded"' "$tmp/run.json"
check "the plugin strategy served requests" grep -q '"completed": [1-9]' "$tmp/run.json"
"$LBSIM" run tests/data/cli_small.yaml --plugin "$EXAMPLE" --strategy plugin_least_loaded \
    --strategy least_inflight --json --threads 2 >"$tmp/run2.json" 2>/dev/null
check "plugin and built-in side by side" [ "$(grep -c '"strategy"' "$tmp/run2.json")" -eq 2 ]
"$LBSIM" run tests/data/cli_small.yaml --strategy plugin_least_loaded >/dev/null 2>"$tmp/noplug.err"
check "a plugin strategy without --plugin is exit 2" [ $? -eq 2 ]
check "... naming the unknown strategy" has "plugin_least_loaded" "$tmp/noplug.err"

# expect_fail NAME ARGS... : exit 2, stderr kept in $tmp/NAME.err
expect_fail() {
    local name=$1
    shift
    "$LBSIM" "$@" >/dev/null 2>"$tmp/$name.err"
    check "$name: exit 2" [ $? -eq 2 ]
}

bad="$DIR/lbsim_test_plugin_bad_abi.so"
expect_fail bad_abi run tests/data/cli_small.yaml --plugin "$bad"
check "bad_abi: names the file" has "$bad" "$tmp/bad_abi.err"
check "bad_abi: names the found ABI" has "found route ABI 2" "$tmp/bad_abi.err"
check "bad_abi: names the expected ABI" has "expected ABI 3" "$tmp/bad_abi.err"
expect_fail bad_abi_list strategies --plugin "$bad"
check "bad_abi: strategies reports it too" has "found route ABI 2" "$tmp/bad_abi_list.err"

so="$DIR/lbsim_test_plugin_new_minor.so"
expect_fail new_minor run tests/data/cli_small.yaml --plugin "$so"
check "new_minor: names the file, found and expected" has "$so: found an invalid strategy table (#1): strategy 'plugin_bad': found route ABI 3.2, expected at most 3.1" "$tmp/new_minor.err"

so="$DIR/lbsim_test_plugin_small_ops.so"
expect_fail small_ops run tests/data/cli_small.yaml --plugin "$so"
check "small_ops: names the file, found and expected" grep -qE "^lbsim: $so: found an invalid strategy table \(#1\): strategy 'plugin_bad': found a [0-9]+-byte table, expected at least [0-9]+ bytes \(ABI 3\.0\)" "$tmp/small_ops.err"

expect_fail missing run tests/data/cli_small.yaml --plugin "$tmp/nope.so"
check "missing: names the file" has "$tmp/nope.so: found no such file" "$tmp/missing.err"

so="$DIR/lbsim_test_plugin_no_symbol.so"
expect_fail no_symbol run tests/data/cli_small.yaml --plugin "$so"
check "no_symbol: names the file and the symbol" has "$so: found no symbol 'lbsim_route_plugin'" "$tmp/no_symbol.err"

so="$DIR/lbsim_test_plugin_bad_ops.so"
expect_fail bad_ops run tests/data/cli_small.yaml --plugin "$so"
check "bad_ops: route_ops_check's message" has "$so: found an invalid strategy table (#1): strategy 'plugin_bad': pick callback is NULL" "$tmp/bad_ops.err"

so="$DIR/lbsim_test_plugin_clash.so"
expect_fail clash run tests/data/cli_small.yaml --plugin "$so"
check "clash: names the built-in" has "$so: found strategy 'least_inflight', which is a built-in strategy" "$tmp/clash.err"

so="$DIR/lbsim_test_plugin_unresolved.so"
expect_fail unresolved run tests/data/cli_small.yaml --plugin "$so"
check "unresolved: names the symbol" has "route_rand_below" "$tmp/unresolved.err"

expect_fail twice run tests/data/cli_small.yaml --plugin "$EXAMPLE" --plugin "$EXAMPLE"
check "twice: a second definition is named" has "found strategy 'plugin_least_loaded', expected a new name" "$tmp/twice.err"

expect_fail no_value run tests/data/cli_small.yaml --plugin
check "no_value: says so" has "option '--plugin' needs a value" "$tmp/no_value.err"

echo "cli plugin: $fail failed"
[ "$fail" -eq 0 ]
