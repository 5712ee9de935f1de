// One pseudo-channel as every timing algorithm sees it: its configuration and rules (fixed), the state
// the rules read and write, and its counters. The reference and each accelerator take one of these.
#pragma once

#include "models/hbm/channel_state.h"
#include "models/hbm/timing_config.h"
#include "models/hbm/timing_rules.h"
#include "models/hbm/timing_stats.h"

namespace aqpim::models::hbm {

struct Channel {
  // Throws std::invalid_argument naming the offending field of a bad config.
  explicit Channel(const HbmTimingConfig& config)
      : config((config.validate(), config)), rules(config), state(config.geometry) {
    stats.banks.resize(config.geometry.banks());
  }

  const HbmTimingConfig config;
  const HbmTimingRules rules;
  ChannelState state;
  HbmStats stats;
};

}  // namespace aqpim::models::hbm
