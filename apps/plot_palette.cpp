#include "apps/plot_palette.h"

#include <map>

namespace aqpim::apps {

using Group = PaletteEntry::Group;

const std::vector<PaletteEntry>& palette() {
  // Phases and resources share a breakdown figure, so they are distinct from each other; GPU phases are
  // blues, PIM clustering greens, PIM decode warm colours, transfers brown. Resources are the dark tones of
  // the same families. Designs are distinct among themselves (they share line plots), AQPIM in red.
  static const std::vector<PaletteEntry> entries = {
      {"idle", Group::phase, "#f0f0f0", "idle"},
      {"gpu_dense", Group::phase, "#4e79a7", "GPU dense layers"},
      {"gpu_attention", Group::phase, "#a0cbe8", "GPU attention"},
      {"kv_write", Group::phase, "#b07aa1", "KV writes"},
      {"clustering", Group::phase, "#59a14f", "k-means clustering"},
      {"encoding", Group::phase, "#8cd17d", "encoding"},
      {"scoring", Group::phase, "#f28e2b", "scoring"},
      {"softmax", Group::phase, "#edc948", "softmax"},
      {"value", Group::phase, "#e15759", "value aggregation"},
      {"transfer", Group::phase, "#9c755f", "GPU<->CPU transfers"},
      {"gpu", Group::resource, "#1f3b5a", "GPU busy"},
      {"pim", Group::resource, "#6a2c70", "PIM busy (busiest unit)"},
      {"pcie", Group::resource, "#5c3d1e", "PCIe busy (busier direction)"},
      {"overlap", Group::resource, "#ff9da7", "GPU and PIM at once (at least)"},
      {"aqpim", Group::design, "#d62728", "AQPIM"},
      {"aqpim_token", Group::design, "#ff7f0e", "AQPIM, token mapping"},
      {"attacc", Group::design, "#1f77b4", "AttAcc"},
      {"gpu_offload", Group::design, "#2b2b2b", "GPU (KV offload)"},
      {"pqcache", Group::design, "#2ca02c", "PQCache"},
      {"snapkv", Group::design, "#9467bd", "SnapKV"},
      {"skvq", Group::design, "#8c564b", "SKVQ"},
      // Where energy goes (energy_j.*components) and where the KV cache is held (kv_bytes.stored_in): HBM
      // blues and violets, PIM reds and oranges, GPU greens, links and CPU memory browns.
      {"hbm_activate", Group::component, "#0000cc", "HBM activations"},
      {"hbm_read", Group::component, "#0066ff", "HBM reads (external)"},
      {"hbm_write", Group::component, "#9999ff", "HBM writes (external)"},
      {"hbm_bank_read", Group::component, "#6633ff", "HBM bank-side reads (PIM)"},
      {"hbm_bank_write", Group::component, "#993399", "HBM bank-side writes (PIM)"},
      {"pim_mac", Group::component, "#cc0033", "PIM FP16 MACs"},
      {"pim_buffer_op", Group::component, "#ff6666", "buffer-die operations"},
      {"pim_sram", Group::component, "#ff9900", "PIM SRAM"},
      {"pim_grf", Group::component, "#ffcc99", "PIM register file"},
      {"pim_link", Group::component, "#ff66ff", "buffer-die link"},
      {"pcie_link", Group::component, "#996633", "PCIe"},
      {"cpu_memory", Group::component, "#333300", "CPU memory"},
      {"gpu_flop", Group::component, "#66cc00", "GPU arithmetic"},
      {"gpu_hbm", Group::component, "#009900", "GPU HBM"},
      {"pim_hbm", Group::component, "#cc00ff", "PIM HBM stacks"},
      {"static", Group::component, "#669999", "static power"},
  };
  return entries;
}

const PaletteEntry* palette_entry(const std::string& name) {
  // pim.mapping's values name AQPIM's two designs when a sweep varies the mapping.
  static const std::map<std::string, std::string> aliases = {{"subvector", "aqpim"}, {"token", "aqpim_token"}};
  const auto alias = aliases.find(name);
  const std::string& key = alias == aliases.end() ? name : alias->second;
  for (const auto& entry : palette())
    if (key == entry.name) return &entry;
  return nullptr;
}

std::string spare_colour(size_t index) {
  // Tableau's remaining hues and darker variants: none is a palette colour.
  static const char* const spares[] = {"#17becf", "#bcbd22", "#e377c2", "#393b79", "#637939",
                                       "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d"};
  return spares[index % (sizeof spares / sizeof spares[0])];
}

}  // namespace aqpim::apps
