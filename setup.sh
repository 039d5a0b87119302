#!/usr/bin/env bash
# setup.sh - install what lbsim needs (Debian packages) if it is missing,
# then configure and build.  Quick when everything is present.
#
#   ./setup.sh                 build into ./build (RelWithDebInfo, -O2)
#   BUILD_DIR=b ./setup.sh -DLBSIM_SANITIZE=ON   extra CMake arguments pass through
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(cmake gcc make libc6-dev libgsl-dev libcsv-dev libyaml-dev zlib1g-dev libzstd-dev gnuplot-nox)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=sudo
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
