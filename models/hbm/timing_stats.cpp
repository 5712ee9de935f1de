#include "models/hbm/timing_stats.h"

#include <cstddef>

namespace aqpim::models {

double HbmBankStats::row_hit_rate() const {
  const uint64_t accesses = row_hits + row_misses;
  return accesses ? double(row_hits) / double(accesses) : 0.0;
}

HbmBankStats HbmStats::total() const {
  HbmBankStats sum;
  for (const auto& bank : banks) sum += bank;
  return sum;
}

namespace hbm {

void add_difference(HbmStats& into, const HbmStats& after, const HbmStats& before) {
  for (size_t b = 0; b < into.banks.size(); ++b) add_repeated(into.banks[b], after.banks[b], before.banks[b], 1);
  into.host_requests += after.host_requests - before.host_requests;
  into.pim_requests += after.pim_requests - before.pim_requests;
  into.bus_busy_ps += after.bus_busy_ps - before.bus_busy_ps;
}

}  // namespace hbm
}  // namespace aqpim::models
