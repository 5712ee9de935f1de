#!/usr/bin/env bash
# The stream table of docs/models-hbm.md ("Scheduling, measured"): 1,000,000 64-byte requests issued all
# at once on two HBM2 pseudo-channels (hbm.preset=hbm2-2000, the DRAMSys HBM2 memspec), sequential and
# uniform random, reads, writes and a 2:1 mix, for a row-major stack and one interleaving the pseudo-
# channels every 64 bytes, under each scheduler; bandwidth (GB/s) and trace-player speed (M requests per
# wall second, parsing included). Needs build/bin/aqpim; usage: scripts/hbm-stream-table.sh [REQUESTS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aqpim="${AQPIM_BUILD_DIR:-$root/build}/bin/aqpim"
requests="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# stream NAME ORDER WRITE_FRACTION: "0 R|W 0x<address> 64" lines, all at time 0, over the 1 GiB stack.
stream() {
  awk -v n="$requests" -v order="$2" -v writes="$3" 'BEGIN {
    srand(1); slots = 2 ^ 24
    for (i = 0; i < n; ++i) {
      slot = order == "sequential" ? i % slots : int(rand() * slots)
      printf "0 %s 0x%x 64\n", (rand() < writes ? "W" : "R"), slot * 64
    }
  }' > "$work/$1.txt"
}
stream sequential_reads sequential 0
stream sequential_writes sequential 1
stream sequential_mixed sequential 0.3333
stream random_reads random 0
stream random_writes random 1
stream random_mixed random 0.3333

measure() {  # TRACE SCHEDULER STACK_OPTIONS... -> "GB/s Mreq/s"
  local trace="$1" scheduler="$2"
  shift 2
  local start end
  start=$(date +%s.%N)
  "$aqpim" hbm-trace --trace "$work/$trace.txt" --format timed --json "$work/out.json" --set hbm.preset=hbm2-2000 \
    --set hbm.address_mapping=RoBaBgCoCh --set hbm.scheduler="$scheduler" "$@" > /dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v n="$requests" -v file="$work/out.json" 'BEGIN {
    while ((getline line < file) > 0) if (line ~ /"bandwidth_gbps"/) { sub(/.*: /, "", line); sub(/,/, "", line); bw = line }
    printf "%.2f %.1f", bw, n / (e - s) / 1e6 }'
}

echo "| stream | stack | in_order GB/s | bank_parallel GB/s | in_order M req/s | bank_parallel M req/s |"
echo "|---|---|---|---|---|---|"
for trace in sequential_reads sequential_writes sequential_mixed random_reads random_writes random_mixed; do
  for stack in row-major interleaved; do
    options=(--pseudo-channels 2)
    [[ $stack == interleaved ]] && options+=(--interleave 64)
    read -r in_bw in_speed <<< "$(measure "$trace" in_order "${options[@]}")"
    read -r bp_bw bp_speed <<< "$(measure "$trace" bank_parallel "${options[@]}")"
    echo "| ${trace//_/ } | $stack | $in_bw | $bp_bw | $in_speed | $bp_speed |"
  done
done
