// The palette and the words of plots: every name a report or a design can produce has one colour, colours
// that share a figure are told apart, and labels come from the parameter table and the metric table.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "apps/plot_labels.h"
#include "apps/plot_palette.h"
#include "hwif/hal.h"
#include "platform/params.h"

namespace aqpim::test {
namespace {

using apps::PaletteEntry;

struct Rgb {
  double r, g, b;
};
Rgb rgb(const std::string& colour) {
  EXPECT_EQ(colour.size(), 7u) << colour;
  const auto part = [&](size_t at) { return double(std::stoi(colour.substr(at, 2), nullptr, 16)); };
  return {part(1), part(3), part(5)};
}
// A rough perceptual distance ("redmean", www.compuphase.com/cmetric.htm): about 100 tells fills apart at a glance.
double distance(const Rgb& a, const Rgb& b) {
  const double mean = (a.r + b.r) / 2, dr = a.r - b.r, dg = a.g - b.g, db = a.b - b.b;
  return std::sqrt((2 + mean / 256) * dr * dr + 4 * dg * dg + (2 + (255 - mean) / 256) * db * db);
}

TEST(PlotPalette, EveryPhaseDesignAndResourceHasAnEntry) {
  for (size_t phase = 0; phase < size_t(hwif::Phase::kCount); ++phase) {
    const char* name = hwif::phase_name(hwif::Phase(phase));
    ASSERT_NE(apps::palette_entry(name), nullptr) << name;
    EXPECT_EQ(apps::palette_entry(name)->group, PaletteEntry::Group::phase) << name;
  }
  for (const auto& design : platform::kDesignNames) {
    const std::string name(design.name);
    ASSERT_NE(apps::palette_entry(name), nullptr) << name;
    EXPECT_EQ(apps::palette_entry(name)->group, PaletteEntry::Group::design) << name;
  }
  // The designs other branches add, and AQPIM's two mappings under pim.mapping's own values.
  for (const char* name : {"pqcache", "snapkv", "skvq", "aqpim_token", "gpu", "pim", "pcie", "overlap"})
    EXPECT_NE(apps::palette_entry(name), nullptr) << name;
  EXPECT_EQ(apps::palette_entry("subvector"), apps::palette_entry("aqpim"));
  EXPECT_EQ(apps::palette_entry("token"), apps::palette_entry("aqpim_token"));
  EXPECT_EQ(apps::palette_entry("no such name"), nullptr);
}

// Phases and resources share the breakdown, designs share line plots: within each, no two colours are close.
TEST(PlotPalette, ColoursSharingAFigureAreDistinct) {
  // The groups that share a figure: phases beside resources, designs, energy components (or KV homes).
  using Group = PaletteEntry::Group;
  const auto check = [](std::set<Group> groups) {
    std::vector<const PaletteEntry*> entries;
    for (const auto& entry : apps::palette())
      if (groups.count(entry.group)) entries.push_back(&entry);
    for (size_t i = 0; i < entries.size(); ++i)
      for (size_t j = i + 1; j < entries.size(); ++j)
        EXPECT_GT(distance(rgb(entries[i]->colour), rgb(entries[j]->colour)), 100.0)
            << entries[i]->name << " " << entries[i]->colour << " vs " << entries[j]->name << " " << entries[j]->colour;
  };
  check({Group::phase, Group::resource});
  check({Group::design});
  check({Group::component});
  std::set<std::string> spares;
  for (size_t i = 0; i < 10; ++i) spares.insert(apps::spare_colour(i));
  EXPECT_EQ(spares.size(), 10u);
  for (const auto& entry : apps::palette()) EXPECT_EQ(spares.count(entry.colour), 0u) << entry.name;
}

TEST(PlotLabels, ParametersReadAsTheirDescriptionWithUnit) {
  EXPECT_EQ(apps::parameter_label("workload.context_tokens"), "Context length (tokens)");
  EXPECT_EQ(apps::parameter_label("workload.batch"), "Sequences decoded together (sequences)");
  EXPECT_EQ(apps::parameter_label("hbm.timing.nCL"), "Read latency (tCK)");
  EXPECT_EQ(apps::parameter_label("pq.centroids"), "K: centroids per sub-space codebook");
  EXPECT_EQ(apps::parameter_label("sim.design"), "System simulated");
  EXPECT_EQ(apps::parameter_label("not.a.parameter"), "");
  // Every parameter gets a label short enough for an axis.
  platform::PlatformParams scratch;
  for (const auto& spec : platform::parameter_table(scratch)) {
    const std::string label = apps::parameter_label(spec.key);
    EXPECT_FALSE(label.empty()) << spec.key;
    EXPECT_LE(label.size(), 90u) << spec.key << ": " << label;
  }
}

TEST(PlotLabels, MetricsReadInWordsWithTheirQuantity) {
  EXPECT_EQ(apps::metric_label("latency_s.decode_per_step").words, "Decode latency per step");
  EXPECT_EQ(apps::metric_label("latency_s.per_decode_step.phases.scoring").words, "Scoring per decode step");
  EXPECT_EQ(apps::metric_label("latency_s.per_prefill_layer.busy.pim").words, "PIM busy (busiest unit) per prefill layer");
  EXPECT_EQ(apps::metric_label("pim_commands.score.count").words, "PIM score commands");
  EXPECT_TRUE(apps::metric_label("kv_bytes.quantized").quantity == apps::Quantity::bytes);
  // Unknown columns keep their name; the quantity still follows the group's unit.
  EXPECT_EQ(apps::metric_label("latency_s.new_thing").words, "latency_s.new_thing");
  EXPECT_TRUE(apps::metric_label("latency_s.new_thing").quantity == apps::Quantity::seconds);
  EXPECT_TRUE(apps::metric_label("energy_j.decode").quantity == apps::Quantity::joules);
}

TEST(PlotLabels, DisplayUnitKeepsTheLargestValueReadable) {
  const auto unit = [](apps::Quantity quantity, double largest) {
    const apps::DisplayUnit shown = apps::display_unit(quantity, largest);
    return std::make_pair(shown.scale, shown.unit);
  };
  using apps::Quantity;
  EXPECT_EQ(unit(Quantity::seconds, 9.434e-3), std::make_pair(1e3, std::string("ms")));
  EXPECT_EQ(unit(Quantity::seconds, 12.04), std::make_pair(1.0, std::string("s")));
  EXPECT_EQ(unit(Quantity::seconds, 3.6e-6), std::make_pair(1e6, std::string("us")));
  EXPECT_EQ(unit(Quantity::bytes, 10.1 * (1ull << 30)), std::make_pair(1.0 / double(1ull << 30), std::string("GiB")));
  EXPECT_EQ(unit(Quantity::flops, 1.2e16), std::make_pair(1e-15, std::string("PFLOP")));
  EXPECT_EQ(unit(Quantity::none, 5e9), std::make_pair(1.0, std::string("")));
  EXPECT_EQ(apps::with_unit("Decode latency per step", "ms"), "Decode latency per step (ms)");
}

}  // namespace
}  // namespace aqpim::test
