#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on the built-in default platform and workload.
# Extra arguments go to `aqpim run` (e.g. --set workload.context_tokens=65536 --json report.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
exec "${AQPIM_BUILD_DIR:-$root/build}/bin/aqpim" run "$@"
