// The shared memo (docs/models-hbm.md, "Shared timing memo"): timing results shared by the engines of
// channels with one configuration, and each engine's place in it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/hbm/channel.h"

namespace aqpim::models {
namespace hbm {
class SharedMemoCursor;
}

// Timing results shared by engines of one configuration. The platform's pseudo-channels receive identical
// command streams at identical times (every PIM unit runs the same firmware loop on its own heads), so
// their engines walk through identical states. The memo records that walk as a tree of states, each named
// by its parent state and the request that led to it; an engine that knows which recorded state it is in
// and receives a request recorded from there just moves to the child state, in O(1), and materializes the
// state's bank, group and channel fields and counters only when it must time a request itself or is
// asked for them. Exact by construction: equal parent state, configuration and request give equal
// results. Not thread-safe; one memo per simulation thread.
class HbmTimingMemo {
 public:
  // Recent transitions are found through `slots` entries, in sets of kWays by hash; engines keep their
  // own states alive. The default holds a few thousand transitions, a few MiB.
  explicit HbmTimingMemo(size_t slots = 4096);
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

  using Request = std::array<int64_t, 12>;  // kind, arrival and the request's operands (unused: 0)

 private:
  friend class hbm::SharedMemoCursor;
  struct State {
    uint64_t id = 0;             // > 0; 0 names the initial state of a new engine
    std::vector<int64_t> words;  // the channel's fields, as hbm::ChannelState::save_words() lays them out
    // Counters accumulated from the initial state: an engine adds the difference between two states.
    HbmStats totals;
    uint64_t stream_acts = 0;
    uint64_t content_hash = 0;

    uint64_t hash_content() const;
    bool same_content(const State& other) const;
  };
  // A recorded request: from the state named `parent`, `request` completes at `completion` in `state`.
  struct Transition {
    uint64_t parent = 0;
    Request request{};
    uint64_t completion = 0;
    std::shared_ptr<const State> state;
  };
  // Four ways: the engines of a stack follow each other a few hundred transitions apart at most (one
  // unit's share of a firmware phase), and a direct-mapped table displaced some of those every phase.
  static constexpr size_t kWays = 4;
  // The set a transition from `parent` on `request` lives in.
  size_t set_of(uint64_t parent, const Request& request) const {
    uint64_t hash = (parent + 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
    for (int64_t word : request) hash = (hash ^ uint64_t(word)) * 0xc4ceb9fe1a85ec53ull;
    return size_t((hash ^ (hash >> 32)) % next_way_.size());
  }

  std::vector<Transition> slots_;
  std::vector<uint8_t> next_way_;  // per set: the way the next recorded transition takes
  // States by content: an engine that timed a request itself and arrived in a state already recorded
  // (its transition had been displaced from its slot) rejoins the engines in that state.
  std::unordered_map<uint64_t, std::weak_ptr<const State>> by_content_;
  std::vector<int64_t> config_words_;  // the configuration of the first engine that joined
  // The state every new engine of that configuration is in (id 0, no counters yet), from the first one.
  std::shared_ptr<const State> initial_;
  uint64_t next_id_ = 1;
  uint64_t hits_ = 0, misses_ = 0;
};

namespace hbm {

// One engine's place in a shared memo: the recorded state it is in, and the one its channel's fields
// hold. They differ while the engine replays recorded requests, which leave the fields alone; catch_up()
// brings the fields (and counters) along when somebody needs them.
class SharedMemoCursor {
 public:
  bool in_memo() const { return at_ != nullptr; }
  // Joins `memo` (null: none). Only an engine that has timed nothing yet (`pristine`) is in the memo's
  // initial state and joins its walk; another one keeps timing on its own. Throws std::invalid_argument
  // when the memo already serves another configuration.
  void join(Channel& channel, std::shared_ptr<HbmTimingMemo> memo, bool pristine);
  // The channel is about to change outside the recorded states (a reference call): leave them for good.
  void leave(Channel& channel);
  // Makes the channel's fields and counters those of the state the engine is in.
  void catch_up(Channel& channel);

  // Times `request` from the state the engine is in: the recorded result when there is one (O(1), the
  // channel untouched), else time_it(), recorded for the engines that come along later.
  template <class Time>
  uint64_t time(Channel& channel, const HbmTimingMemo::Request& request, Time&& time_it) {
    if (!in_memo()) return time_it();
    HbmTimingMemo& memo = *memo_;
    const uint64_t parent = at_->id;
    const size_t set = memo.set_of(parent, request);
    HbmTimingMemo::Transition* ways = &memo.slots_[set * HbmTimingMemo::kWays];
    for (size_t way = 0; way < HbmTimingMemo::kWays; ++way) {
      const HbmTimingMemo::Transition& known = ways[way];
      if (known.state && known.parent == parent && known.request == request) {
        ++memo.hits_;
        at_ = known.state;
        return known.completion;
      }
    }
    ++memo.misses_;
    Recording recording = start_recording(channel, parent, set);
    const uint64_t completion = time_it();
    finish_recording(channel, request, completion, recording);
    return completion;
  }

 private:
  struct Recording {
    std::shared_ptr<HbmTimingMemo::State> state;
    HbmStats stats_before;
    uint64_t stream_acts_before = 0;
    uint64_t parent = 0;
    size_t set = 0;
  };
  Recording start_recording(Channel& channel, uint64_t parent, size_t set);
  void finish_recording(const Channel& channel, const HbmTimingMemo::Request& request, uint64_t completion,
                        Recording& recording);

  std::shared_ptr<HbmTimingMemo> memo_;
  std::shared_ptr<const HbmTimingMemo::State> at_;      // null: not in the memo
  std::shared_ptr<const HbmTimingMemo::State> fields_;  // what the channel's fields hold (null out of it)
};

}  // namespace hbm
}  // namespace aqpim::models
