#include "models/hbm/timing_config.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace aqpim::models {
namespace {

std::string field_value(const char* field, uint64_t value) { return std::string(field) + " = " + std::to_string(value); }

void require(bool condition, const std::string& message) {
  if (!condition) throw std::invalid_argument(message);
}

}  // namespace

void HbmTimingConfig::validate() const {
  geometry.validate();
  hwif::HbmAddressMap(mapping, geometry, address_bits);  // throws naming what is wrong with the bits
  require(tck_ps > 0, "tCK = 0: the clock period must be positive");
  require(burst_ps > 0, "burst time (burst_length / data rate) must be positive");
  const HbmTimingCycles& c = cycles;
  const std::pair<const char*, unsigned> positive[] = {
      {"nCL", c.nCL},     {"nRCDRD", c.nRCDRD}, {"nRCDWR", c.nRCDWR}, {"nRP", c.nRP},     {"nRAS", c.nRAS},
      {"nRC", c.nRC},     {"nWR", c.nWR},       {"nCCDS", c.nCCDS},   {"nCCDL", c.nCCDL}, {"nRRDS", c.nRRDS},
      {"nRRDL", c.nRRDL}, {"nFAW", c.nFAW},     {"nRFC", c.nRFC},     {"nREFI", c.nREFI}, {"nRTP", c.nRTP},
      {"nCWL", c.nCWL}};
  for (const auto& [field, value] : positive) require(value > 0, field_value(field, value) + ": must be at least 1 tCK");
  require(c.nRC >= c.nRAS + c.nRP, field_value("nRC", c.nRC) + ": must be >= nRAS + nRP = " + std::to_string(c.nRAS + c.nRP));
  require(c.nCCDL >= c.nCCDS, field_value("nCCDL", c.nCCDL) + ": must be >= nCCDS = " + std::to_string(c.nCCDS));
  require(c.nRRDL >= c.nRRDS, field_value("nRRDL", c.nRRDL) + ": must be >= nRRDS = " + std::to_string(c.nRRDS));
  require(c.nWTRL >= c.nWTRS, field_value("nWTRL", c.nWTRL) + ": must be >= nWTRS = " + std::to_string(c.nWTRS));
  require(queue_depth >= 1 && queue_depth <= 1024, field_value("queue_depth", queue_depth) + ": must be in [1, 1024]");
  // The bank-parallel scheduler books commands and bus time per command clock cycle.
  if (scheduler == HbmScheduler::BankParallel)
    require(burst_ps % tck_ps == 0, "burst time " + std::to_string(burst_ps) + " ps is not a whole number of tCK (" +
                                        std::to_string(tck_ps) + " ps), as bank-parallel scheduling needs");
  if (refresh)
    require(c.nREFI > c.nRFC, field_value("nREFI", c.nREFI) + ": must exceed nRFC = " + std::to_string(c.nRFC));
}

}  // namespace aqpim::models
