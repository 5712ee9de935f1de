#include "apps/trace_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "apps/atomic_file.h"

namespace aqpim::apps {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", unsigned(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Exact: the trace format wants microseconds and the models count picoseconds, so print the six decimals
// from the integer rather than risk a double rounding two abutting spans into an overlap.
std::string microseconds(uint64_t ps) {
  char text[32];
  std::snprintf(text, sizeof text, "%llu.%06llu", (unsigned long long)(ps / 1000000), (unsigned long long)(ps % 1000000));
  return text;
}

std::string number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.12g", value);
  return text;
}

}  // namespace

TraceWriter::TraceWriter(const std::string& path, uint64_t limit) : path_(path), limit_(limit) {
  try {
    output_ = std::make_unique<AtomicFile>(path);
  } catch (const std::runtime_error& error) {
    throw std::runtime_error(std::string("--trace: ") + error.what());
  }
  file_ = std::fopen(output_->temporary_path().c_str(), "w");
  if (!file_) throw std::runtime_error("--trace: cannot write '" + path + "': " + std::strerror(errno));
  std::fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n", file_);
}

TraceWriter::~TraceWriter() {
  try {
    finish();
  } catch (const std::exception& error) {
    std::cerr << "aqpim: warning: " << error.what() << "\n";
  }
}

void TraceWriter::begin_event() {
  if (!first_event_) std::fputs(",\n", file_);
  first_event_ = false;
}

hwif::TraceSink::Track TraceWriter::add_track(const std::string& process, const std::string& thread) {
  // Track names are metadata, never dropped by the limit: a truncated trace still shows every row.
  auto [entry, added] = process_ids_.emplace(process, uint32_t(process_ids_.size() + 1));
  const uint32_t pid = entry->second, tid = next_thread_id_++;
  if (added) {
    begin_event();
    std::fprintf(file_, "{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %u, \"tid\": 0, \"args\": {\"name\": %s}},\n",
                 pid, quoted(process).c_str());
    std::fprintf(file_, "{\"ph\": \"M\", \"name\": \"process_sort_index\", \"pid\": %u, \"tid\": 0, "
                 "\"args\": {\"sort_index\": %u}}", pid, pid);
  }
  begin_event();
  std::fprintf(file_, "{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %u, \"tid\": %u, \"args\": {\"name\": %s}},\n",
               pid, tid, quoted(thread).c_str());
  std::fprintf(file_, "{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": %u, \"tid\": %u, "
               "\"args\": {\"sort_index\": %u}}", pid, tid, tid);
  tracks_.push_back({pid, tid});
  return Track(tracks_.size() - 1);
}

void TraceWriter::span(Track track, std::string_view name, uint64_t start_ps, uint64_t duration_ps,
                       std::initializer_list<Arg> args) {
  if (!file_) return;
  if (recorded_ >= limit_) {
    if (dropped_++ == 0)
      std::cerr << "aqpim: warning: --trace-limit " << limit_ << " reached; later events are not recorded\n";
    return;
  }
  const TrackIds& ids = tracks_.at(track);
  ++recorded_;
  begin_event();
  std::string text = "{\"ph\": \"X\", \"name\": " + quoted(name) + ", \"pid\": " + std::to_string(ids.pid) +
                     ", \"tid\": " + std::to_string(ids.tid) + ", \"ts\": " + microseconds(start_ps) +
                     ", \"dur\": " + microseconds(duration_ps) + ", \"args\": {\"duration_ns\": " +
                     number(double(duration_ps) * 1e-3);
  for (const Arg& arg : args) text += ", " + quoted(arg.name) + ": " + number(arg.value);
  text += "}}";
  std::fputs(text.c_str(), file_);
}

void TraceWriter::finish() {
  if (!file_) return;
  std::fprintf(file_,
               "\n],\n\"otherData\": {\"generator\": \"aqpim run --trace\", \"events_recorded\": %llu, "
               "\"events_dropped\": %llu, \"event_limit\": %llu, \"truncated\": %s}}\n",
               (unsigned long long)recorded_, (unsigned long long)dropped_, (unsigned long long)limit_,
               dropped_ ? "true" : "false");
  const bool failed = std::ferror(file_) != 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (failed || !closed) throw std::runtime_error("--trace: writing '" + path_ + "' failed");
  output_->commit();  // the trace appears whole, never half-written
  if (dropped_)
    std::cerr << "aqpim: warning: trace '" << path_ << "' is truncated: " << recorded_ << " events recorded, "
              << dropped_ << " dropped (raise --trace-limit)\n";
}

}  // namespace aqpim::apps
