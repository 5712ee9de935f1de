// Standard presets against their datasheet formulas: peak bandwidth (pins x data rate / 8) reached by a
// row-hit stream across bank groups, and unloaded read latencies (idle bank: tRCD + CL + burst; row hit:
// CL + burst; another row open: tRP + tRCD + CL + burst). Expected figures are the source files' numbers
// typed in here (DRAMSys HBM2.json, Ramulator 2 HBM3_6.4Gbps), never read back from the preset table.
#include <gtest/gtest.h>

#include "models/hbm_presets.h"
#include "models/hbm_timing.h"
#include "platform/params.h"

namespace aqpim::models {
using namespace hwif;
namespace {

struct Datasheet {
  HbmPreset preset;
  double peak_gbps;                          // bytes per ns
  double idle_ns, hit_ns, conflict_ns;       // unloaded read latency of one burst
};

// HBM2 (DRAMSys): tCK 1 ns, RL 17, RCDRD 12, RP 14, BL4 on 64 bits at 2 Gbit/s = 2 ns, 16 GB/s.
// HBM2E (derived): tCK 0.625 ns, CL 28, RCDRD 20, RP 23, burst 1.25 ns, 64 bits x 3.2 Gbit/s = 25.6 GB/s.
// HBM3 (Ramulator 2): tCK 0.625 ns, CL 23, RCDRD 23, RP 23, BL8 on 32 bits at 6.4 Gbit/s = 1.25 ns, 25.6 GB/s.
constexpr Datasheet kSheets[] = {
    {HbmPreset::Hbm2_2000, 16.0, (12 + 17) * 1.0 + 2.0, 17 * 1.0 + 2.0, (14 + 12 + 17) * 1.0 + 2.0},
    {HbmPreset::Hbm2e_3200, 25.6, (20 + 28) * 0.625 + 1.25, 28 * 0.625 + 1.25, (23 + 20 + 28) * 0.625 + 1.25},
    {HbmPreset::Hbm3_6400, 25.6, (23 + 23) * 0.625 + 1.25, 23 * 0.625 + 1.25, (23 + 23 + 23) * 0.625 + 1.25},
};

HbmTimingConfig preset_config(HbmPreset preset, HbmAddressMapping mapping) {
  Hbm3PseudoChannelConfig channel;
  apply_hbm_preset(preset, channel);
  channel.address_mapping = mapping;
  channel.refresh = false;
  return channel.timing_config();
}

TEST(HbmPresets, RowHitStreamsAcrossBankGroupsReachThePinPeak) {
  for (const Datasheet& sheet : kSheets) {
    HbmTimingEngine engine(preset_config(sheet.preset, HbmAddressMapping::RoCoBaBgCh));
    const HbmGeometry& g = engine.config().geometry;
    const uint64_t banks = g.banks(), address_row = g.row_bytes * banks;
    engine.access(0, 0, banks * g.access_bytes, false);  // opens row 0 everywhere
    const uint64_t start = 1'000'000;
    const uint64_t bytes = address_row - banks * g.access_bytes;
    const uint64_t done = engine.access(start, banks * g.access_bytes, bytes, false);
    const double first_data_ps = sheet.hit_ns * 1000 - double(engine.config().burst_ps);
    EXPECT_DOUBLE_EQ(double(bytes) / ((double(done - start) - first_data_ps) / 1000), sheet.peak_gbps)
        << core::enum_name(kHbmPresetNames, sheet.preset);
  }
}

TEST(HbmPresets, UnloadedLatenciesAreTheDatasheetSums) {
  for (const Datasheet& sheet : kSheets) {
    HbmTimingEngine engine(preset_config(sheet.preset, HbmAddressMapping::RoBaBgCoCh));
    const HbmGeometry& g = engine.config().geometry;
    const uint64_t next_row = g.row_bytes * g.banks();  // RoBaBgCoCh: the row is the top field
    const auto name = core::enum_name(kHbmPresetNames, sheet.preset);
    EXPECT_DOUBLE_EQ(double(engine.access(0, 0, 32, false)) / 1000, sheet.idle_ns) << name;
    const uint64_t later = 1'000'000;
    EXPECT_DOUBLE_EQ(double(engine.access(later, 32, 32, false) - later) / 1000, sheet.hit_ns) << name;
    EXPECT_DOUBLE_EQ(double(engine.access(2 * later, next_row, 32, false) - 2 * later) / 1000, sheet.conflict_ns) << name;
  }
}

TEST(HbmPresets, APresetComesFirstAndOtherValuesOverrideIt) {
  platform::ParamLoader loader;
  loader.add_override("hbm.timing.nCL=30");
  loader.add_override("hbm.preset=hbm2-2000");  // given last, applied first
  const platform::PlatformParams params = loader.resolve();
  EXPECT_EQ(params.hbm.channel.timing.nCL, 30u);
  EXPECT_EQ(params.hbm.channel.timing.nRCDRD, 12u);
  EXPECT_EQ(params.hbm.channel.data_width_bits, 64u);
  EXPECT_EQ(params.hbm.channel.address_mapping, HbmAddressMapping::RoCoBaBgCh);  // the platform's, kept
}

TEST(HbmPresets, EveryPresetPassesTheParameterRulesAndBankParallelScheduling) {
  for (const auto& entry : kHbmPresetNames) {
    platform::ParamLoader loader;
    loader.add_override("hbm.preset=" + std::string(entry.name));
    loader.add_override("hbm.scheduler=bank_parallel");
    EXPECT_NO_THROW(loader.resolve()) << entry.name;
  }
}

}  // namespace
}  // namespace aqpim::models
