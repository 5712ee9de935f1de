// Standard HBM speed bins as pseudo-channel presets: organisation and timings from public sources
// (docs/models-hbm.md, "Standard presets", cites each file). A preset sets a pseudo-channel's geometry,
// data rate, clock and every timing; the address mapping, page policy, refresh switch, scheduler and
// storage mode stay as they were.
#pragma once

#include <string_view>

#include "core/enum_names.h"
#include "models/hbm3_pseudo_channel.h"

namespace aqpim::models {

enum class HbmPreset { None, Hbm2_2000, Hbm2e_3200, Hbm3_6400 };
inline constexpr core::EnumName<HbmPreset> kHbmPresetNames[] = {{HbmPreset::None, "none"},
                                                                {HbmPreset::Hbm2_2000, "hbm2-2000"},
                                                                {HbmPreset::Hbm2e_3200, "hbm2e-3200"},
                                                                {HbmPreset::Hbm3_6400, "hbm3-6400"}};

// Where a preset's figures come from, in one line (for `aqpim params` and the docs).
std::string_view hbm_preset_source(HbmPreset preset);

// Writes the preset into `channel` (None leaves it alone).
void apply_hbm_preset(HbmPreset preset, Hbm3PseudoChannelConfig& channel);

}  // namespace aqpim::models
