#!/usr/bin/env bash
# Fails on an #include that runs against the allowed arrows of
# docs/ARCHITECTURE.md, or on a relative ("../") include.  A header belongs to
# the module folder it lives in; a module may include its own headers and
# those of the modules listed for it below.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
    [base]=""
    [route]=""
    [plots]="base"
    [models]="base"
    [traces]="base"
    [scenarios]="base models traces route"
    [sim]="base models traces route scenarios"
    [sim/cli]="base models traces route scenarios sim plots"
    [examples/plugin]="route"
)

# Which module owns each project header (by basename; basenames are unique).
declare -A owner=()
while IFS= read -r h; do
    dir=$(dirname "$h")
    mod=${dir%%/*}
    case $dir in sim/cli*) mod=sim/cli ;; route/*) mod=route ;; esac
    base=$(basename "$h")
    if [ -n "${owner[$base]:-}" ] && [ "${owner[$base]}" != "$mod" ]; then
        echo "check_layers: header name $base is used by both ${owner[$base]} and $mod" >&2
        exit 1
    fi
    owner[$base]=$mod
done < <(git ls-files 'base/*.h' 'route/*.h' 'models/*.h' 'traces/*.h' 'scenarios/*.h' \
             'plots/*.h' 'sim/*.h')

bad=0
for mod in "${!allowed[@]}"; do
    [ -d "$mod" ] || continue
    while IFS= read -r line; do
        file=${line%%:*}
        # Files of sim/cli are checked as sim/cli, not as sim.
        if [ "$mod" = sim ] && [[ $file == sim/cli/* ]]; then continue; fi
        inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
        if [[ $inc == *../* ]]; then
            echo "check_layers: $file includes \"$inc\": relative includes are not allowed" >&2
            bad=1
            continue
        fi
        dep=${owner[$(basename "$inc")]:-}
        [ -z "$dep" ] && continue # a system or generated header
        [ "$dep" = "$mod" ] && continue
        case " ${allowed[$mod]} " in
        *" $dep "*) ;;
        *)
            echo "check_layers: $file includes \"$inc\" from $dep/, which $mod/ may not use" >&2
            bad=1
            ;;
        esac
    done < <(git ls-files "$mod/*.c" "$mod/*.h" | xargs -r grep -H '^[[:space:]]*#[[:space:]]*include "' || true)
done
for d in tests bench; do
    if git ls-files "$d/*.c" "$d/*.h" | xargs -r grep -n '#include "\.\./' ; then bad=1; fi
done
[ $bad = 0 ] && echo "check_layers: all includes follow the allowed arrows"
exit $bad
