// Chunk memo for intra-row indirection passes (indirect_pass.h; docs/models-hbm.md, "Intra-row
// indirection"). A pass repeats one shape thousands of times: read the next register-file load of indices,
// then open each table row for its lookups. With the banks in lockstep and no refresh window within reach,
// a chunk's timing and effect depend only on the state at its start relative to its start time (times
// older than any constraint reaches cannot bind) and on its shape (where its index pieces fall in their
// rows, how many columns they take, the lookups per table row): the memo records each such chunk once and
// replays it, shifted, wherever the same relative state and shape come back. Exact by construction; tested
// against the pass timed chunk by chunk.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/hbm/channel.h"
#include "models/hbm/indirect_pass.h"
#include "models/hbm/reference.h"
#include "models/hbm/word_hash.h"

namespace aqpim::models::hbm {

class IndirectChunkMemo {
 public:
  // At the start of chunk `chunk` at time t, banks in lockstep: when the memo knows this chunk's relative
  // state and shape and no refresh window is within reach, replays it (moving the state, counters, t and
  // completion on) and returns true. Otherwise returns false and remembers the start, for record().
  bool replay(Channel& channel, StreamBanks& banks, const IndirectPass& pass, uint64_t chunk, int64_t& t,
              int64_t& completion);
  // After timing the chunk replay() turned down (t: where it ended; chunk_completion: its latest data end):
  // keeps it when it was eligible.
  void record(const Channel& channel, const StreamBanks& banks, int64_t t, int64_t chunk_completion);

  uint64_t replays() const { return replays_; }

 private:
  struct Outcome {
    std::vector<int64_t> end;  // the relative state at the chunk's end, as capture() lays it out
    int64_t duration = 0;      // end t - start t
    int64_t completion = 0;    // relative to the start
    HbmBankStats per_bank;     // what the chunk added to each bank's counters
    uint64_t stream_acts = 0;
  };
  struct KeyHash {
    size_t operator()(const std::vector<int64_t>& key) const {
      WordHash hash;
      for (int64_t word : key) hash.mix(uint64_t(word));
      return size_t(hash.hash);
    }
  };
  // The times the rules read, relative to t, stale ones (older than any constraint reaches) as one marker.
  void capture(const Channel& channel, const StreamBanks& banks, int64_t t, std::vector<int64_t>& words) const;
  void restore(Channel& channel, StreamBanks& banks, int64_t t, const std::vector<int64_t>& words) const;
  // No refresh window touches [t, t + reach]: the rules then do not depend on where t lies.
  bool refresh_free(const Channel& channel, int64_t t, int64_t reach) const;

  static constexpr size_t kCapacity = 4096;  // entries kept before the memo starts over
  std::unordered_map<std::vector<int64_t>, Outcome, KeyHash> outcomes_;
  std::vector<int64_t> key_, end_;
  // The chunk replay() turned down, if eligible: its key, start and counters at its start.
  bool recording_ = false;
  std::vector<int64_t> recording_key_;
  int64_t recording_t_ = 0;
  HbmBankStats recording_stats_;
  uint64_t recording_acts_ = 0;
  uint64_t replays_ = 0;
};

}  // namespace aqpim::models::hbm
