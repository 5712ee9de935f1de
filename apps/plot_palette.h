// One fixed palette for every plot: a firmware phase, a design or a resource has the same colour and the same
// words in every figure, so a colour read in one plot means the same in the next.
#pragma once

#include <string>
#include <vector>

namespace aqpim::apps {

struct PaletteEntry {
  enum class Group { phase, design, resource, component };
  const char* name;    // as the report and the sweep table write it: a phase, a sim.design value, a resource
  Group group;
  const char* colour;  // "#rrggbb"
  const char* words;   // what a legend says
};

// Every entry: phases (hwif::phase_name), designs (sim.design values, AQPIM's token mapping apart) and the
// resources a breakdown draws as lanes (gpu, pim, pcie and their overlap).
const std::vector<PaletteEntry>& palette();

// The entry for a name (also "subvector" and "token", the values of pim.mapping, as AQPIM's two designs);
// nullptr when the palette does not know it.
const PaletteEntry* palette_entry(const std::string& name);

// The colour of the i-th series whose name the palette does not know: a fixed sequence that avoids the
// palette's own colours.
std::string spare_colour(size_t index);

}  // namespace aqpim::apps
