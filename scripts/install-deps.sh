#!/usr/bin/env bash
# Installs the Debian packages the build needs, only those missing. Idempotent; quiet when all are there.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libsystemc-dev          # SystemC 2.3.4 + TLM-2.0 (pkg-config, no CMake package)
  libboost-dev libboost-program-options-dev
  nlohmann-json3-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libfaiss-dev            # linked only by the PQ benchmark, as the peer to beat
  gnuplot-nox             # sweep plots
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
