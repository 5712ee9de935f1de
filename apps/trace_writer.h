// Chrome/Perfetto trace-event JSON (the {"traceEvents": [...]} object format) from the models' TraceSink
// events: "X" complete events with ts/dur in microseconds, one pid per track group and one tid per track,
// named by "M" metadata events. Events stream to a temporary file as they arrive, which finish() puts in
// place (a killed run leaves no half-written trace); after `limit` spans recording stops, and the file's
// otherData and stderr say how many were dropped. Open it in ui.perfetto.dev or chrome://tracing.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hwif/trace_sink.h"

namespace aqpim::apps {

class AtomicFile;

class TraceWriter : public hwif::TraceSink {
 public:
  static constexpr uint64_t kDefaultLimit = 1000000;

  // Opens `path` at once so a bad path fails before the simulation; throws std::runtime_error naming it.
  TraceWriter(const std::string& path, uint64_t limit = kDefaultLimit);
  ~TraceWriter() override;  // finishes the file if finish() was not called
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  Track add_track(const std::string& process, const std::string& thread) override;
  void span(Track track, std::string_view name, uint64_t start_ps, uint64_t duration_ps,
            std::initializer_list<Arg> args = {}) override;

  // Closes the JSON document; throws std::runtime_error if the file could not be written.
  void finish();

  uint64_t recorded() const { return recorded_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void begin_event();

  std::string path_;
  std::unique_ptr<AtomicFile> output_;  // the file streams into its temporary, renamed by finish()
  std::FILE* file_ = nullptr;
  uint64_t limit_;
  uint64_t recorded_ = 0, dropped_ = 0;
  bool first_event_ = true;
  std::map<std::string, uint32_t> process_ids_;
  uint32_t next_thread_id_ = 1;
  struct TrackIds {
    uint32_t pid, tid;
  };
  std::vector<TrackIds> tracks_;  // indexed by Track
};

}  // namespace aqpim::apps
