#include "models/hbm/timing_rules.h"

namespace aqpim::models::hbm {
namespace {
int64_t ps(const HbmTimingConfig& config, unsigned cycles) { return int64_t(cycles) * int64_t(config.tck_ps); }
}  // namespace

HbmTimingRules::HbmTimingRules(const HbmTimingConfig& config)
    : tRCD_RD(ps(config, config.cycles.nRCDRD)),
      tRCD_WR(ps(config, config.cycles.nRCDWR)),
      tRAS(ps(config, config.cycles.nRAS)),
      tRC(ps(config, config.cycles.nRC)),
      tRP(ps(config, config.cycles.nRP)),
      tRTP(ps(config, config.cycles.nRTP)),
      tWR(ps(config, config.cycles.nWR)),
      tRRD_S(ps(config, config.cycles.nRRDS)),
      tRRD_L(ps(config, config.cycles.nRRDL)),
      tFAW(ps(config, config.cycles.nFAW)),
      tCCD_S(ps(config, config.cycles.nCCDS)),
      tCCD_L(ps(config, config.cycles.nCCDL)),
      tCL(ps(config, config.cycles.nCL)),
      tCWL(ps(config, config.cycles.nCWL)),
      tBL(int64_t(config.burst_ps)),
      write_to_read_S(tCWL + tBL + ps(config, config.cycles.nWTRS)),
      write_to_read_L(tCWL + tBL + ps(config, config.cycles.nWTRL)),
      read_to_write(ps(config, config.cycles.nRTW)),
      refresh(config.refresh, ps(config, config.cycles.nRFC), ps(config, config.cycles.nREFI)),
      after_read_{tCCD_S, std::max(tCCD_S, read_to_write), tCCD_S},
      after_write_{std::max(tCCD_S, write_to_read_S), tCCD_S, std::max(tCCD_S, write_to_read_L)} {}

}  // namespace aqpim::models::hbm
