// `aqpim run --trace`: the timeline is well-formed trace-event JSON whose spans agree with the run's own
// report (command counts, phase times, GPU time), and PIM commands never overlap on their unit's track.
#include <map>
#include <set>

#include "test_sweep_support.h"

namespace aqpim::test {
namespace {

using nlohmann::json;

struct Trace {
  json document, report;
  std::map<int, std::string> processes;                 // pid -> name
  std::map<std::pair<int, int>, std::string> threads;   // (pid, tid) -> name
  std::map<std::pair<int, int>, std::vector<json>> spans;
};

Trace traced_run(const std::string& extra, CommandResult* result_out = nullptr) {
  const std::string directory = fresh_directory("trace");
  const auto result = run_aqpim("run " + std::string(kSmallRun) + " " + extra + " --json " + directory +
                                "/report.json --trace " + directory + "/trace.json");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  if (result_out) *result_out = result;
  Trace trace;
  trace.document = read_json(directory + "/trace.json");  // throws, failing the test, if malformed
  trace.report = read_json(directory + "/report.json");
  for (const auto& event : trace.document.at("traceEvents")) {
    const std::pair<int, int> track{event.at("pid").get<int>(), event.at("tid").get<int>()};
    if (event["ph"] == "M" && event["name"] == "process_name") trace.processes[track.first] = event["args"]["name"];
    if (event["ph"] == "M" && event["name"] == "thread_name") trace.threads[track] = event["args"]["name"];
    if (event["ph"] == "X") trace.spans[track].push_back(event);
  }
  return trace;
}

std::vector<std::pair<int, int>> tracks_of(const Trace& trace, const std::string& process) {
  std::vector<std::pair<int, int>> tracks;
  for (const auto& [track, name] : trace.threads)
    if (trace.processes.at(track.first) == process) tracks.push_back(track);
  return tracks;
}

TEST(TraceRun, TracksAndSpansMatchTheReport) {
  const Trace trace = traced_run("");
  const json& parameters = trace.report["parameters"]["hbm"];
  const size_t units = parameters["pim_stacks"].get<size_t>() * parameters["channels_per_stack"].get<size_t>() *
                       parameters["pseudo_channels"].get<size_t>();
  const auto pim = tracks_of(trace, "PIM");
  EXPECT_EQ(pim.size(), units);
  ASSERT_EQ(tracks_of(trace, "host").size(), 1u);
  ASSERT_EQ(tracks_of(trace, "GPU").size(), 1u);
  EXPECT_EQ(tracks_of(trace, "PCIe").size(), 2u);  // one per direction
  const auto channels = tracks_of(trace, "HBM");
  EXPECT_EQ(channels.size(), units);  // one per PIM pseudo-channel
  EXPECT_EQ(trace.document["otherData"]["truncated"], false);

  // Every PIM command is one span, named by its opcode, and a unit runs one command at a time.
  std::map<std::string, uint64_t> commands;
  std::map<std::string, double> busy;
  for (const auto& track : pim) {
    double previous_end = 0;
    for (const auto& span : trace.spans.count(track) ? trace.spans.at(track) : std::vector<json>{}) {
      ++commands[span["name"]];
      busy[span["name"]] += span["dur"].get<double>() * 1e-6;
      const double start = span["ts"].get<double>();
      EXPECT_GE(start, previous_end - 1e-9) << trace.threads.at(track) << " " << span;
      previous_end = start + span["dur"].get<double>();
      EXPECT_TRUE(span["args"].contains("bank_time_ns"));
    }
  }
  ASSERT_FALSE(trace.report["pim_commands"].empty());
  EXPECT_EQ(commands.size(), trace.report["pim_commands"].size());
  for (const auto& [opcode, entry] : trace.report["pim_commands"].items()) {
    EXPECT_EQ(commands[opcode], entry["count"].get<uint64_t>()) << opcode;
    EXPECT_NEAR(busy[opcode], entry["busy_s"].get<double>(), 1e-9 + 1e-9 * entry["busy_s"].get<double>()) << opcode;
  }

  // Firmware phases: spans add up to the report's time per phase (idle is not drawn).
  std::map<std::string, double> phases;
  for (const auto& span : trace.spans.at(tracks_of(trace, "host")[0])) phases[span["name"]] += span["dur"].get<double>() * 1e-6;
  for (const auto& [phase, seconds] : trace.report["latency_s"]["phases"].items()) {
    if (phase == "idle") continue;
    EXPECT_NEAR(phases[phase], seconds.get<double>(), 1e-9 + 1e-9 * seconds.get<double>()) << phase;
  }

  // GPU kernels: spans add up to the GPU's busy time and never overlap (the GPU queues its work).
  double gpu_busy = 0, gpu_end = 0;
  for (const auto& span : trace.spans.at(tracks_of(trace, "GPU")[0])) {
    gpu_busy += span["dur"].get<double>() * 1e-6;
    EXPECT_GE(span["ts"].get<double>(), gpu_end - 1e-9);
    gpu_end = span["ts"].get<double>() + span["dur"].get<double>();
  }
  EXPECT_GT(gpu_busy, 0.0);
  EXPECT_NEAR(gpu_busy, trace.report["gpu"]["busy_s"].get<double>(), 1e-9);

  // PCIe transfers: their bytes add up to the report's PCIe traffic (zero when nothing is offloaded).
  double pcie_bytes = 0;
  for (const auto& track : tracks_of(trace, "PCIe"))
    if (trace.spans.count(track))
      for (const auto& span : trace.spans.at(track)) pcie_bytes += span["args"]["bytes"].get<double>();
  EXPECT_EQ(pcie_bytes, trace.report["traffic_bytes"]["pcie"].get<double>());
}

TEST(TraceRun, ChannelSpansNeverOverlapAndCarryTheReportedTraffic) {
  const Trace trace = traced_run("");
  double bytes = 0, spans = 0;
  for (const auto& track : tracks_of(trace, "HBM")) {
    double previous_end = 0;
    for (const auto& span : trace.spans.count(track) ? trace.spans.at(track) : std::vector<json>{}) {
      const double start = span["ts"].get<double>();
      EXPECT_GE(start, previous_end - 1e-9) << trace.threads.at(track) << " " << span;
      previous_end = start + span["dur"].get<double>();
      bytes += span["args"]["bytes"].get<double>();
      ++spans;
    }
  }
  // Spans carry the bytes asked for; the channel counts whole 32-byte column accesses per bank, so each
  // span's request rounds up by less than one access per bank (16 banks) in the report.
  const json& traffic = trace.report["traffic_bytes"];
  const double reported = traffic["hbm_external"].get<double>() + traffic["hbm_bank_side"].get<double>();
  EXPECT_LE(bytes, reported);
  EXPECT_GT(bytes, reported - spans * 16 * 32);
  EXPECT_GT(spans, 0);
}

TEST(TraceRun, LimitStopsRecordingAndSaysSo) {
  CommandResult result;
  const Trace trace = traced_run("--trace-limit 50", &result);
  size_t spans = 0;
  for (const auto& [track, list] : trace.spans) spans += list.size();
  EXPECT_EQ(spans, 50u);
  const json& other = trace.document["otherData"];
  EXPECT_EQ(other["truncated"], true);
  EXPECT_EQ(other["events_recorded"], 50);
  EXPECT_GT(other["events_dropped"].get<uint64_t>(), 0u);
  EXPECT_NE(result.err.find("--trace-limit 50 reached"), std::string::npos) << result.err;
  // Every track is still named, so the viewer shows all rows.
  EXPECT_EQ(tracks_of(trace, "GPU").size(), 1u);
}

TEST(TraceRun, BadTraceOptionsExit2) {
  EXPECT_EQ(run_aqpim("run --trace /nonexistent-dir/trace.json").exit_code, 2);
  const auto limit = run_aqpim("run --trace /dev/null --trace-limit 0");
  EXPECT_EQ(limit.exit_code, 2);
  EXPECT_EQ(limit.err, "aqpim: error: --trace-limit: expected an integer >= 1, got 0\n");
}

}  // namespace
}  // namespace aqpim::test
