// Where models report what they did and when, for a timeline viewer. Plain C++ (no SystemC, no file
// format): models know tracks and spans in picoseconds; the platform decides how to store them
// (apps/trace_writer.h writes Chrome/Perfetto trace-event JSON). A model holds a TraceSink pointer
// that is null unless tracing was asked for, so an untraced run pays one pointer test per event.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace aqpim::hwif {

class TraceSink {
 public:
  using Track = uint32_t;
  struct Arg {
    std::string_view name;
    double value;
  };

  virtual ~TraceSink() = default;

  // A timeline row: `thread` inside the group `process` (e.g. "PIM" / "system.pim_stack.unit_3"). Rows
  // appear in registration order.
  virtual Track add_track(const std::string& process, const std::string& thread) = 0;

  // Something that occupied `track` for [start_ps, start_ps + duration_ps). Spans of one track may nest
  // but a model that serialises its work emits non-overlapping spans.
  virtual void span(Track track, std::string_view name, uint64_t start_ps, uint64_t duration_ps,
                    std::initializer_list<Arg> args = {}) = 0;
};

}  // namespace aqpim::hwif
