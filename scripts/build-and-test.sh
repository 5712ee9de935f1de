#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite (what CI runs).
#   --sanitize   the same suite built with AddressSanitizer (leak detection included) and
#                UndefinedBehaviorSanitizer, in build-asan/ (or $AQPIM_BUILD_DIR); benchmarks are not built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmake_args=()
if [ "${1:-}" = "--sanitize" ]; then
  export AQPIM_BUILD_DIR="${AQPIM_BUILD_DIR:-$root/build-asan}"
  cmake_args=(-DAQPIM_SANITIZE=address,undefined -DAQPIM_BUILD_BENCHMARKS=OFF)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--sanitize]" >&2
  exit 2
fi
"$root/scripts/build.sh" "${cmake_args[@]}"
cd "${AQPIM_BUILD_DIR:-$root/build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 300
