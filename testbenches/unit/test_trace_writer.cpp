// The trace-event writer on its own: well-formed JSON, exact microsecond timestamps, named tracks, limit.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "apps/trace_writer.h"

namespace aqpim::apps {
namespace {

nlohmann::json read(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string temp_path() { return ::testing::TempDir() + "trace-writer-" + std::to_string(getpid()) + ".json"; }

TEST(TraceWriter, WritesNamedTracksAndExactSpans) {
  const std::string path = temp_path();
  {
    TraceWriter writer(path);
    const auto a = writer.add_track("PIM", "unit \"0\"");
    const auto b = writer.add_track("PIM", "unit 1");
    const auto c = writer.add_track("host", "phases");
    // 1 ps after 1 s: a double in seconds would lose it, the writer must not.
    writer.span(a, "score", 1000000000001ull, 999999, {{"bank_time_ns", 12.5}});
    writer.span(b, "encode", 0, 1);
    writer.span(c, "kv_write", 5, 7);
    writer.finish();
  }
  const auto document = read(path);
  std::map<std::string, int> names;
  std::vector<nlohmann::json> spans;
  for (const auto& event : document["traceEvents"]) {
    if (event["ph"] == "M" && (event["name"] == "process_name" || event["name"] == "thread_name"))
      ++names[event["args"]["name"].get<std::string>()];
    if (event["ph"] == "X") spans.push_back(event);
  }
  EXPECT_EQ(names, (std::map<std::string, int>{{"PIM", 1}, {"host", 1}, {"unit \"0\"", 1}, {"unit 1", 1}, {"phases", 1}}));
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0]["name"], "score");
  EXPECT_EQ(spans[0]["args"]["bank_time_ns"], 12.5);
  EXPECT_EQ(spans[0]["pid"], spans[1]["pid"]);
  EXPECT_NE(spans[0]["tid"], spans[1]["tid"]);
  EXPECT_NE(spans[0]["pid"], spans[2]["pid"]);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"ts\": 1000000.000001, \"dur\": 0.999999"), std::string::npos);
  EXPECT_EQ(document["otherData"]["events_recorded"], 3);
  EXPECT_EQ(document["otherData"]["truncated"], false);
}

TEST(TraceWriter, StopsAtTheLimit) {
  const std::string path = temp_path();
  TraceWriter writer(path, 2);
  const auto track = writer.add_track("GPU", "kernels");
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) writer.span(track, "k", uint64_t(i) * 10, 5);
  writer.finish();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(writer.recorded(), 2u);
  EXPECT_EQ(writer.dropped(), 3u);
  EXPECT_NE(err.find("--trace-limit 2 reached"), std::string::npos) << err;
  const auto document = read(path);
  EXPECT_EQ(document["otherData"]["truncated"], true);
  EXPECT_EQ(document["otherData"]["events_dropped"], 3);
}

TEST(TraceWriter, UnwritablePathThrowsNamingIt) {
  try {
    TraceWriter writer("/nonexistent-dir/t.json");
    FAIL() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent-dir/t.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace aqpim::apps
