#include "apps/hbm_trace_format.h"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <vector>

namespace aqpim::apps {
namespace {

std::vector<std::string> tokens_of(const std::string& line) {
  std::vector<std::string> tokens;
  size_t at = 0;
  while (true) {
    at = line.find_first_not_of(" \t\r", at);
    if (at == std::string::npos) return tokens;
    const size_t end = line.find_first_of(" \t\r", at);
    tokens.push_back(line.substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end;
  }
}

// A whole token as an unsigned number ("0x" selects hexadecimal; hex_default: without it too).
bool parse_number(const std::string& token, bool hex_default, uint64_t& value) {
  const bool hex = token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X');
  const std::string digits = hex ? token.substr(2) : token;
  if (digits.empty() || digits[0] == '-' || digits[0] == '+') return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtoull(digits.c_str(), &end, hex || hex_default ? 16 : 10);
  return errno == 0 && *end == '\0';
}

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
  std::vector<std::string> tokens = tokens_of(line);
  const auto fail = [&](const std::string& why) {
    throw TraceError(line_, why + " (expected '<time>: [(<bytes>)] read|write <hex address>')");
  };
  if (tokens.size() < 3) fail("too few fields");
  std::string time = tokens[0];
  if (!time.empty() && time.back() == ':') time.pop_back();
  uint64_t cycles = 0;
  if (!parse_number(time, false, cycles)) fail("time '" + tokens[0] + "' is not a whole number of cycles");
  if (cycles > std::numeric_limits<uint64_t>::max() / 2 / clock_ps_) fail("time '" + tokens[0] + "' is too large");
  size_t next = 1;
  if (tokens[1].front() == '(') {
    std::string bytes = tokens[1].substr(1);
    if (!bytes.empty() && bytes.back() == ')') bytes.pop_back();
    if (!parse_number(bytes, false, request.bytes)) fail("length '" + tokens[1] + "' is not a number of bytes");
    ++next;
  }
  if (tokens.size() <= next + 1) fail("too few fields");
  if (tokens[next] != "read" && tokens[next] != "write") fail("command '" + tokens[next] + "' is not read or write");
  request.is_write = tokens[next] == "write";
  if (!parse_number(tokens[next + 1], true, request.address)) fail("address '" + tokens[next + 1] + "' is not hexadecimal");
  time_ps_ = (format_ == TraceFormat::RelativeStl ? time_ps_ : 0) + cycles * clock_ps_;
  request.arrival_ps = time_ps_;
}

// "0x<address> R|W": no time, every request arrives at once.
void TraceReader::parse_ramulator(const std::string& line, TraceRequest& request) {
  const std::vector<std::string> tokens = tokens_of(line);
  if (tokens.size() != 2 || (tokens[1] != "R" && tokens[1] != "W"))
    throw TraceError(line_, "expected '0x<address> R|W'");
  if (!parse_number(tokens[0], false, request.address))
    throw TraceError(line_, "address '" + tokens[0] + "' is not a number");
  request.is_write = tokens[1] == "W";
}

// "LD|ST <address> [<stall cycles>]": the stall passes before the request.
void TraceReader::parse_loadstore(const std::string& line, TraceRequest& request) {
  const std::vector<std::string> tokens = tokens_of(line);
  if ((tokens.size() != 2 && tokens.size() != 3) || (tokens[0] != "LD" && tokens[0] != "ST"))
    throw TraceError(line_, "expected 'LD|ST <address> [<stall cycles>]'");
  request.is_write = tokens[0] == "ST";
  if (!parse_number(tokens[1], false, request.address))
    throw TraceError(line_, "address '" + tokens[1] + "' is not a number");
  uint64_t stall = 0;
  if (tokens.size() == 3 && !parse_number(tokens[2], false, stall))
    throw TraceError(line_, "stall '" + tokens[2] + "' is not a whole number of cycles");
  time_ps_ += stall * clock_ps_;
  request.arrival_ps = time_ps_;
}

// "<time in ns> R|W <address> <bytes>".
void TraceReader::parse_timed(const std::string& line, TraceRequest& request) {
  const std::vector<std::string> tokens = tokens_of(line);
  if (tokens.size() != 4 || (tokens[1] != "R" && tokens[1] != "W"))
    throw TraceError(line_, "expected '<time ns> R|W <address> <bytes>'");
  errno = 0;
  char* end = nullptr;
  const double ns = std::strtod(tokens[0].c_str(), &end);
  if (errno != 0 || *end != '\0' || !(ns >= 0) || ns > 1e15)
    throw TraceError(line_, "time '" + tokens[0] + "' is not a time in ns");
  request.arrival_ps = uint64_t(ns * 1000 + 0.5);
  request.is_write = tokens[1] == "W";
  if (!parse_number(tokens[2], false, request.address))
    throw TraceError(line_, "address '" + tokens[2] + "' is not a number");
  if (!parse_number(tokens[3], false, request.bytes))
    throw TraceError(line_, "length '" + tokens[3] + "' is not a number of bytes");
}

}  // namespace aqpim::apps
