#!/usr/bin/env bash
# Installs the built tree into a scratch prefix and uses it as outside users would: the PIM stack example
# (CMake, all components), a models-only project (CMake, COMPONENTS models, with nlohmann_json made
# unfindable) and the same models-only source built with pkg-config alone. Runs all three.
# Arguments: BUILD_DIR SCRATCH_DIR
set -euo pipefail
build_dir="$1" scratch="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$scratch" && mkdir -p "$scratch"
prefix="$scratch/prefix"
cmake --install "$build_dir" --prefix "$prefix" > /dev/null
# Headers live under include/aqpim only: no bare models/ or core/ folder on the user's include path.
for layer in core hwif models firmware platform; do
  if [ -e "$prefix/include/$layer" ]; then echo "installed a bare include/$layer" >&2; exit 1; fi
done
cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/build" --parallel 2 > /dev/null
cmake -S "$here/models_only" -B "$scratch/models_only" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON > /dev/null
cmake --build "$scratch/models_only" --parallel 2 > /dev/null
pkg_config_path="$(dirname "$(find "$prefix" -name aqpim-models.pc | head -1)")"
# shellcheck disable=SC2046  # the flags are meant to split. A sanitizer build's libraries need the runtime.
c++ -O1 -o "$scratch/models_only_pkg_config" "$here/models_only/main.cpp" \
    $(PKG_CONFIG_PATH="$pkg_config_path" pkg-config --define-variable=prefix="$prefix" --cflags --libs aqpim-models) \
    ${AQPIM_SANITIZE:+-fsanitize=$AQPIM_SANITIZE}
# A sanitizer build's package makes the example link the sanitizers; LeakSanitizer then needs the setting
# our own executables carry (cmake/sanitizer_defaults.cpp: SystemC thread stacks are no leak roots).
export LSAN_OPTIONS="${LSAN_OPTIONS:-use_stacks=0}" SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
"$scratch/build/external_platform"
"$scratch/models_only/models_only"
"$scratch/models_only_pkg_config"
