// The memory-trace formats other DRAM simulators read, as requests for `aqpim hbm-trace`:
//   stl        DRAMSys:   "<time>: [(<bytes>)] read|write 0x<address> [data]", time in cycles of the
//              player's clock; a .rstl file gives each time relative to the previous request
//   ramulator  Ramulator: "0x<address> R|W", no time (every request issued at once)
//   loadstore  Ramulator 2 LoadStoreTrace: "LD|ST 0x<address> [<stall cycles>]", the stall cycles
//              (player clock) passing before the request
//   timed      "<time in ns> R|W 0x<address> <bytes>" (time, direction, address, length)
// Blank lines and lines starting with '#' are skipped. A request without a length moves the default
// request size. Every malformed line is a TraceError naming its line.
#pragma once

#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>

#include "core/enum_names.h"

namespace aqpim::apps {

enum class TraceFormat { Stl, RelativeStl, Ramulator, LoadStore, Timed };
inline constexpr core::EnumName<TraceFormat> kTraceFormatNames[] = {{TraceFormat::Stl, "stl"},
                                                                    {TraceFormat::RelativeStl, "rstl"},
                                                                    {TraceFormat::Ramulator, "ramulator"},
                                                                    {TraceFormat::LoadStore, "loadstore"},
                                                                    {TraceFormat::Timed, "timed"}};

// The format a file name suggests (.stl, .rstl; anything else: none).
bool trace_format_of_path(const std::string& path, TraceFormat* format);

class TraceError : public std::runtime_error {
 public:
  TraceError(uint64_t line, const std::string& message)
      : std::runtime_error("line " + std::to_string(line) + ": " + message), line(line) {}
  const uint64_t line;
};

struct TraceRequest {
  uint64_t arrival_ps = 0;
  uint64_t address = 0;
  uint64_t bytes = 0;
  bool is_write = false;
  uint64_t line = 0;  // in the trace file, for messages
};

class TraceReader {
 public:
  // clock_ps: one cycle of the player's clock (stl, rstl, loadstore times); default_bytes: the size of a
  // request whose line gives none.
  TraceReader(std::istream& in, TraceFormat format, uint64_t clock_ps, uint64_t default_bytes);

  // The next request; false at the end of the trace. Throws TraceError for a malformed line.
  bool next(TraceRequest& request);

 private:
  void parse_stl(const std::string& line, TraceRequest& request);
  void parse_ramulator(const std::string& line, TraceRequest& request);
  void parse_loadstore(const std::string& line, TraceRequest& request);
  void parse_timed(const std::string& line, TraceRequest& request);

  std::istream& in_;
  const TraceFormat format_;
  const uint64_t clock_ps_;
  const uint64_t default_bytes_;
  uint64_t line_ = 0;
  uint64_t time_ps_ = 0;  // relative formats: the previous request's time
};

}  // namespace aqpim::apps
