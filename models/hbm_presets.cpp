#include "models/hbm_presets.h"

namespace aqpim::models {
namespace {

// One row per preset: organisation of one pseudo-channel, clock and data rate, timings in tCK.
struct PresetRow {
  HbmPreset preset;
  std::string_view source;
  unsigned bank_groups, banks_per_group;
  uint64_t rows_per_bank, row_bytes;
  unsigned data_width_bits, burst_length;
  double data_rate_gbps;
  double tck_ns;
  HbmTimingCycles timing;  // in declaration order: nCL nRCDRD nRCDWR nRP nRAS nRC nWR nCCDS nCCDL nRRDS
                           // nRRDL nFAW nRFC nREFI nRTP nCWL nWTRS nWTRL nRTW
};

constexpr PresetRow kPresets[] = {
    // DRAMSys configs/memspec/HBM2.json (tCK 1 ns, BL4, 64-bit pseudo-channels, 4 x 4 banks each, 32768 rows
    // of 32 columns): RL 17, RCDRD 12, RCDWR 6, RP 14, RAS 28, RC 42, WR 14, CCDS 2, CCDL 3, RRDS 4,
    // RRDL 6, FAW 16, RFC 220, REFI 3900, RTP 5, WL 7, WTRS 4, WTRL 9, RTW 18.
    {HbmPreset::Hbm2_2000, "DRAMSys memspec HBM2.json (tukl-msd/DRAMSys, configs/memspec/HBM2.json)", 4, 4, 32768, 1024,
     64, 4, 2.0, 1.0, {17, 12, 6, 14, 28, 42, 14, 2, 3, 4, 6, 16, 220, 3900, 5, 7, 4, 9, 18}},
    // No public HBM2E memspec was found: the HBM2 nanoseconds above at 1.6 GHz (3.2 Gbit/s per pin),
    // rounded up to whole tCK (0.625 ns), the clock-counted tCCD_S kept at 2 (one BL4 burst).
    {HbmPreset::Hbm2e_3200, "derived: the DRAMSys HBM2 nanoseconds at tCK = 0.625 ns", 4, 4, 32768, 1024, 64, 4, 3.2,
     0.625, {28, 20, 10, 23, 45, 68, 23, 2, 5, 7, 10, 26, 352, 6240, 8, 12, 7, 15, 29}},
    // Ramulator 2 src/dram/impl/HBM3.cpp, HBM3_6.4Gbps with HBM3_8Gb_1R (32-bit pseudo-channels, BL8, 4 x 4
    // banks, 32768 rows of 32 columns; tCK = 4 / 6.4 Gbit/s): nCL 23, nRCDRD 23, nRCDWR 23, nRP 23, nRAS 55,
    // nRC 77 (-> 78 = nRAS + nRP, which our rules require), nWR 26, nCCDS 2, nCCDL 4, nRRDS 2, nRRDL 4,
    // nFAW 48, tRFC 350 ns (8 Gb) = 560, nREFI 6240, nRTPL 10, nCWL 7, nWTRS 10, nWTRL 13, and its
    // read-to-write rule nCL + nBL + 2 - nCWL = 20.
    {HbmPreset::Hbm3_6400, "Ramulator 2 HBM3.cpp, HBM3_6.4Gbps / HBM3_8Gb_1R (CMU-SAFARI/ramulator2)", 4, 4, 32768, 1024,
     32, 8, 6.4, 0.625, {23, 23, 23, 23, 55, 78, 26, 2, 4, 2, 4, 48, 560, 6240, 10, 7, 10, 13, 20}},
};

const PresetRow* row_of(HbmPreset preset) {
  for (const PresetRow& row : kPresets)
    if (row.preset == preset) return &row;
  return nullptr;
}

}  // namespace

std::string_view hbm_preset_source(HbmPreset preset) {
  const PresetRow* row = row_of(preset);
  return row ? row->source : "the channel's own settings";
}

void apply_hbm_preset(HbmPreset preset, Hbm3PseudoChannelConfig& channel) {
  const PresetRow* row = row_of(preset);
  if (!row) return;
  channel.bank_groups = row->bank_groups;
  channel.banks_per_group = row->banks_per_group;
  channel.rows_per_bank = row->rows_per_bank;
  channel.row_bytes = row->row_bytes;
  channel.data_width_bits = row->data_width_bits;
  channel.burst_length = row->burst_length;
  channel.data_rate_gbps = row->data_rate_gbps;
  channel.tCK = sc_core::sc_time(row->tck_ns, sc_core::SC_NS);
  channel.timing = row->timing;
}

}  // namespace aqpim::models
