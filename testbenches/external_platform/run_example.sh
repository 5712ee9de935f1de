#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, builds the external example against it like a user would,
# and runs it. Arguments: BUILD_DIR SCRATCH_DIR
set -euo pipefail
build_dir="$1" scratch="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build_dir" --prefix "$scratch/prefix" > /dev/null
cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/build" --parallel 2 > /dev/null
# A sanitizer build's package makes the example link the sanitizers; LeakSanitizer then needs the setting
# our own executables carry (cmake/sanitizer_defaults.cpp: SystemC thread stacks are no leak roots).
LSAN_OPTIONS="${LSAN_OPTIONS:-use_stacks=0}" SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$scratch/build/external_platform"
