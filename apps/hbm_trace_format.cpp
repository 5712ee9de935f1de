#include "apps/hbm_trace_format.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>

namespace aqpim::apps {
namespace {

// The whitespace-separated fields of a line, up to kMaxTokens (an STL write's data field is the last one
// any format uses); no allocation, as a trace holds millions of lines.
constexpr size_t kMaxTokens = 6;
struct Tokens {
  std::string_view token[kMaxTokens];
  size_t size = 0;
  const std::string_view& operator[](size_t i) const { return token[i]; }
};

Tokens tokens_of(std::string_view line) {
  Tokens tokens;
  size_t at = 0;
  while (tokens.size < kMaxTokens) {
    at = line.find_first_not_of(" \t\r", at);
    if (at == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t\r", at), line.size());
    tokens.token[tokens.size++] = line.substr(at, end - at);
    at = end;
  }
  return tokens;
}

// A whole token as an unsigned number ("0x" selects hexadecimal; hex_default: without it too).
bool parse_number(std::string_view token, bool hex_default, uint64_t& value) {
  const bool hex = token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X');
  if (hex) token.remove_prefix(2);
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value, hex || hex_default ? 16 : 10);
  return !token.empty() && error == std::errc() && end == token.data() + token.size();
}

std::string text(std::string_view token) { return std::string(token); }

}  // namespace

bool trace_format_of_path(const std::string& path, TraceFormat* format) {
  const auto ends_with = [&](const std::string& suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".rstl")) *format = TraceFormat::RelativeStl;
  else if (ends_with(".stl")) *format = TraceFormat::Stl;
  else return false;
  return true;
}

TraceReader::TraceReader(std::istream& in, TraceFormat format, uint64_t clock_ps, uint64_t default_bytes)
    : in_(in), format_(format), clock_ps_(clock_ps), default_bytes_(default_bytes) {}

bool TraceReader::next(TraceRequest& request) {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    request = TraceRequest();
    request.line = line_;
    request.bytes = default_bytes_;
    switch (format_) {
      case TraceFormat::Stl:
      case TraceFormat::RelativeStl: parse_stl(line, request); break;
      case TraceFormat::Ramulator: parse_ramulator(line, request); break;
      case TraceFormat::LoadStore: parse_loadstore(line, request); break;
      case TraceFormat::Timed: parse_timed(line, request); break;
    }
    if (request.bytes == 0) throw TraceError(line_, "zero length");
    return true;
  }
  return false;
}

// "<time>: [(<bytes>)] read|write <address> [data]"; the address is hexadecimal, 0x or not (as DRAMSys).
void TraceReader::parse_stl(const std::string& line, TraceRequest& request) {
  const Tokens tokens = tokens_of(line);
  const auto fail = [&](const std::string& why) {
    throw TraceError(line_, why + " (expected '<time>: [(<bytes>)] read|write <hex address>')");
  };
  if (tokens.size < 3) fail("too few fields");
  std::string_view time = tokens[0];
  if (time.back() == ':') time.remove_suffix(1);
  uint64_t cycles = 0;
  if (!parse_number(time, false, cycles)) fail("time '" + text(tokens[0]) + "' is not a whole number of cycles");
  if (cycles > std::numeric_limits<uint64_t>::max() / 2 / clock_ps_) fail("time '" + text(tokens[0]) + "' is too large");
  size_t next = 1;
  if (tokens[1].front() == '(') {
    std::string_view bytes = tokens[1].substr(1);
    if (!bytes.empty() && bytes.back() == ')') bytes.remove_suffix(1);
    if (!parse_number(bytes, false, request.bytes)) fail("length '" + text(tokens[1]) + "' is not a number of bytes");
    ++next;
  }
  if (tokens.size <= next + 1) fail("too few fields");
  if (tokens[next] != "read" && tokens[next] != "write") fail("command '" + text(tokens[next]) + "' is not read or write");
  request.is_write = tokens[next] == "write";
  if (!parse_number(tokens[next + 1], true, request.address))
    fail("address '" + text(tokens[next + 1]) + "' is not hexadecimal");
  time_ps_ = (format_ == TraceFormat::RelativeStl ? time_ps_ : 0) + cycles * clock_ps_;
  request.arrival_ps = time_ps_;
}

// "0x<address> R|W": no time, every request arrives at once.
void TraceReader::parse_ramulator(const std::string& line, TraceRequest& request) {
  const Tokens tokens = tokens_of(line);
  if (tokens.size != 2 || (tokens[1] != "R" && tokens[1] != "W"))
    throw TraceError(line_, "expected '0x<address> R|W'");
  if (!parse_number(tokens[0], false, request.address))
    throw TraceError(line_, "address '" + text(tokens[0]) + "' is not a number");
  request.is_write = tokens[1] == "W";
}

// "LD|ST <address> [<stall cycles>]": the stall passes before the request.
void TraceReader::parse_loadstore(const std::string& line, TraceRequest& request) {
  const Tokens tokens = tokens_of(line);
  if ((tokens.size != 2 && tokens.size != 3) || (tokens[0] != "LD" && tokens[0] != "ST"))
    throw TraceError(line_, "expected 'LD|ST <address> [<stall cycles>]'");
  request.is_write = tokens[0] == "ST";
  if (!parse_number(tokens[1], false, request.address))
    throw TraceError(line_, "address '" + text(tokens[1]) + "' is not a number");
  uint64_t stall = 0;
  if (tokens.size == 3 && !parse_number(tokens[2], false, stall))
    throw TraceError(line_, "stall '" + text(tokens[2]) + "' is not a whole number of cycles");
  time_ps_ += stall * clock_ps_;
  request.arrival_ps = time_ps_;
}

// "<time in ns> R|W <address> <bytes>".
void TraceReader::parse_timed(const std::string& line, TraceRequest& request) {
  const Tokens tokens = tokens_of(line);
  if (tokens.size != 4 || (tokens[1] != "R" && tokens[1] != "W"))
    throw TraceError(line_, "expected '<time ns> R|W <address> <bytes>'");
  double ns = 0;
  const auto [end, error] = std::from_chars(tokens[0].data(), tokens[0].data() + tokens[0].size(), ns);
  if (error != std::errc() || end != tokens[0].data() + tokens[0].size() || !(ns >= 0) || ns > 1e15)
    throw TraceError(line_, "time '" + text(tokens[0]) + "' is not a time in ns");
  request.arrival_ps = uint64_t(ns * 1000 + 0.5);
  request.is_write = tokens[1] == "W";
  if (!parse_number(tokens[2], false, request.address))
    throw TraceError(line_, "address '" + text(tokens[2]) + "' is not a number");
  if (!parse_number(tokens[3], false, request.bytes))
    throw TraceError(line_, "length '" + text(tokens[3]) + "' is not a number of bytes");
}

}  // namespace aqpim::apps
