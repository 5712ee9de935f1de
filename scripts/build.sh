#!/usr/bin/env bash
# Installs missing packages, configures and builds into ./build (or $AQPIM_BUILD_DIR). Extra arguments go to
# CMake's configure step (e.g. -DAQPIM_SANITIZE=address,undefined).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${AQPIM_BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
cmake_args=(-S "$root" -B "$build_dir" "$@")
# CI keeps the tree warning-free by failing on any warning.
[ "${CI:-}" = "true" ] && cmake_args+=(-DAQPIM_WERROR=ON)
cmake "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)"
