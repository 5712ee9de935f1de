#!/usr/bin/env bash
# The golden-reports regression (testbenches/tests_golden.cmake): checks that fixed runs still give
# bit-identical JSON results (wall time aside). With --regenerate, rewrites the golden files from the
# current build instead: only when a change means to alter results, and the commit says which and why.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${AQPIM_BUILD_DIR:-$root/build}"
case "${1:-}" in
  "") ;;
  --regenerate) export AQPIM_REGENERATE_GOLDEN=1 ;;
  *) echo "usage: $0 [--regenerate]" >&2; exit 2 ;;
esac
"$root/scripts/build.sh"
cd "$build_dir"
ctest --output-on-failure --parallel "$(nproc)" -L golden
