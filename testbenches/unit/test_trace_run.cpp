// `aqpim run --trace`: the timeline is well-formed trace-event JSON whose spans agree with the run's own
// report (command counts, phase times, GPU time), and PIM commands never overlap on their unit's track.
#include <algorithm>
#include <cmath>
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

// Seconds of spans on `tracks` that start before (prefill) or at/after (decode) the prefill's end: per track,
// then the largest track's (a resource of several tracks is as busy as its busiest one).
std::pair<double, double> busiest_split(const Trace& trace, const std::vector<std::pair<int, int>>& tracks, double end_us) {
  double prefill = 0, decode = 0;
  for (const auto& track : tracks) {
    double before = 0, after = 0;
    if (trace.spans.count(track))
      for (const auto& span : trace.spans.at(track))
        (span["ts"].get<double>() < end_us ? before : after) += span["dur"].get<double>() * 1e-6;
    prefill = std::max(prefill, before);
    decode = std::max(decode, after);
  }
  return {prefill, decode};
}

// The report's mean prefill layer and decode step against the timeline cut at the prefill's end: host phase
// spans, GPU kernels, each PIM unit's commands and each PCIe direction's transfers, summed on either side.
void expect_stretches_match_the_trace(const std::string& extra, const char* busy_in_decode) {
  const Trace trace = traced_run(extra);
  const json& latency = trace.report["latency_s"];
  const double layers = trace.report["parameters"]["model"]["layers"].get<double>();
  const double steps = trace.report["parameters"]["workload"]["decode_steps"].get<double>();
  const double end_us = latency["prefill"].get<double>() * 1e6;
  const json& layer = latency["per_prefill_layer"];
  const json& step = latency["per_decode_step"];
  const auto near = [](double expected, double actual, const std::string& what) {
    EXPECT_NEAR(actual, expected, 1e-12 + 1e-9 * std::fabs(expected)) << what;
  };
  near(latency["prefill"].get<double>() / layers, layer["total"].get<double>(), "prefill layer");
  near(latency["decode"].get<double>() / steps, step["total"].get<double>(), "decode step");

  std::map<std::string, std::pair<double, double>> phases;
  for (const auto& span : trace.spans.at(tracks_of(trace, "host")[0])) {
    auto& split = phases[span["name"]];
    (span["ts"].get<double>() < end_us ? split.first : split.second) += span["dur"].get<double>() * 1e-6;
  }
  for (const auto& [phase, seconds] : layer["phases"].items()) {
    if (phase == "idle") continue;
    near(phases[phase].first / layers, seconds.get<double>(), "prefill " + phase);
    near(phases[phase].second / steps, step["phases"][phase].get<double>(), "decode " + phase);
  }
  const std::map<std::string, std::pair<double, double>> busy = {
      {"gpu", busiest_split(trace, tracks_of(trace, "GPU"), end_us)},
      {"pim", busiest_split(trace, tracks_of(trace, "PIM"), end_us)},
      {"pcie", busiest_split(trace, tracks_of(trace, "PCIe"), end_us)}};
  for (const auto& [resource, split] : busy) {
    near(split.first / layers, layer["busy"][resource].get<double>(), "prefill busy " + resource);
    near(split.second / steps, step["busy"][resource].get<double>(), "decode busy " + resource);
  }
  EXPECT_GT(busy.at(busy_in_decode).second, 0.0) << busy_in_decode << " must work in decode, or the test checks nothing";
  const double overlap = busy.at("gpu").second + busy.at("pim").second - latency["decode"].get<double>();
  near(std::max(0.0, overlap) / steps, step["busy"]["overlap"].get<double>(), "decode overlap");
}

TEST(TraceRun, PerLayerAndPerStepFiguresMatchTheTraceCutAtThePrefillEnd) {
  expect_stretches_match_the_trace("", "pim");  // AQPIM: the PIM busy in both stretches
  // The GPU baseline with its cache overflowing a small HBM: PCIe busy every decode step.
  expect_stretches_match_the_trace(
      "--set sim.design=gpu_offload --set hbm.stacks=1 --set hbm.rows_per_bank=64 --set workload.context_tokens=4096 "
      "--set workload.batch=4",
      "pcie");
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
