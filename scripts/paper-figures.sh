#!/usr/bin/env bash
# The paper's performance figures as sweep recipes (docs/results.md, "The paper's figures"): each one
# simulates its configurations with `aqpim sweep` and draws its PNG into docs/img with `aqpim plot`.
#   fig4   prefill attention and projections (GPU) against in-memory clustering (PIM) per prefill layer,
#          over the prompt length, AQPIM, batch 16, MIN on the buffer die and on the bank PEs
#   fig12  decode latency per step at batch 16, 4K to 32K prompts, every design
#   fig13  the decode step's breakdown and the KV footprint at batch 32, 32K prompt, every design
#   fig14  decode energy per step by component at batch 16, 32K prompt, every design
# Usage: scripts/paper-figures.sh [fig4|fig12|fig13|fig14 ...]   (no argument: all four)
# Needs build/bin/aqpim (AQPIM_BUILD_DIR overrides build/); sweeps go to ${AQPIM_FIGURE_DIR:-figures}/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aqpim="${AQPIM_BUILD_DIR:-$root/build}/bin/aqpim"
out="${AQPIM_FIGURE_DIR:-figures}"
img="$root/docs/img"
jobs="${AQPIM_JOBS:-$(nproc)}"
every_design="sim.design=gpu_offload,attacc,pqcache,snapkv,skvq,aqpim"

sweep() { "$aqpim" sweep --jobs "$jobs" --out "$out/$1" "${@:2}" > "$out/$1.log" 2>&1; }

fig4() {
  sweep fig4 --set workload.decode_steps=1 --vary workload.context_tokens=1024:32768:x2 \
    --vary pim.buffer_assignment=true,false
  "$aqpim" plot --input "$out/fig4/sweep.json" --x workload.context_tokens --series pim.buffer_assignment \
    --y latency_s.per_prefill_layer.busy.gpu --y latency_s.per_prefill_layer.busy.pim --logy \
    --title "Fig. 4: GPU prefill work against PIM clustering, per layer" --output "$img/fig4_prefill_vs_clustering.png"
}

fig12() {
  sweep fig12 --vary workload.context_tokens=4096:32768:x2 --vary "$every_design"
  "$aqpim" plot --input "$out/fig12/sweep.json" --x workload.context_tokens --series sim.design \
    --y latency_s.decode_per_step --logy \
    --title "Fig. 12: decode latency per step, batch 16" --output "$img/fig12_decode_per_step.png"
}

fig13() {
  sweep fig13 --set workload.batch=32 --vary "$every_design"
  "$aqpim" plot --kind breakdown --per step --input "$out/fig13/sweep.json" \
    --title "Fig. 13: a decode step at batch 32, 32K prompt" --output "$img/fig13_decode_step_batch32.png"
  "$aqpim" plot --kind breakdown --stack kv_bytes.stored_in. --input "$out/fig13/sweep.json" \
    --title "Fig. 13: KV cache footprint at batch 32, 32K prompt" --output "$img/fig13_kv_footprint_batch32.png"
}

fig14() {
  sweep fig14 --vary "$every_design"
  "$aqpim" plot --kind breakdown --stack energy_j.decode_components. --input "$out/fig14/sweep.json" \
    --title "Fig. 14: decode energy by component over 128 steps, 32K prompt, batch 16" \
    --output "$img/fig14_decode_energy.png"
}

mkdir -p "$out" "$img"
figures=("$@")
[ ${#figures[@]} -gt 0 ] || figures=(fig4 fig12 fig13 fig14)
for figure in "${figures[@]}"; do
  case "$figure" in
    fig4|fig12|fig13|fig14) echo "== $figure"; "$figure" ;;
    *) echo "paper-figures.sh: unknown figure '$figure': expected fig4, fig12, fig13 or fig14" >&2; exit 2 ;;
  esac
done
