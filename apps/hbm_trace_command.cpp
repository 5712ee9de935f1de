// `aqpim hbm-trace`: replay another DRAM simulator's memory trace (DRAMSys .stl/.rstl, Ramulator,
// Ramulator 2 load/store, or "time R|W address length") on our HBM model, one pseudo-channel or a stack,
// configured by the hbm.* parameters (hbm.preset, hbm.scheduler, ...), and print bandwidth, latency
// distribution, row-hit rate and refresh share. Bad input: one line, exit 2.
#include <fstream>
#include <iostream>

#include "apps/cli_options.h"
#include "apps/hbm_trace_player.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

TraceFormat format_option(const po::variables_map& vm, const std::string& path) {
  TraceFormat format = TraceFormat::Timed;
  if (vm.count("format")) {
    const auto parsed = core::parse_enum(kTraceFormatNames, vm["format"].as<std::string>());
    if (!parsed) {
      std::string names;
      for (const auto& entry : kTraceFormatNames) names += (names.empty() ? "" : ", ") + std::string(entry.name);
      throw UsageError("--format: expected one of " + names + ", got '" + vm["format"].as<std::string>() + "'");
    }
    return *parsed;
  }
  if (!trace_format_of_path(path, &format))
    throw UsageError("--format: cannot tell the format of '" + path + "' from its name; give --format");
  return format;
}

StackLayout layout_option(const po::variables_map& vm, const models::Hbm3PseudoChannelConfig& channel) {
  const int64_t channels = vm["pseudo-channels"].as<int64_t>();
  if (channels < 1 || channels > 4096) throw UsageError("--pseudo-channels: expected an integer in [1, 4096]");
  try {
    if (vm.count("mapping")) return StackLayout::from_dramsys_file(vm["mapping"].as<std::string>(), channel.access_bytes());
    if (vm.count("interleave"))
      return StackLayout::interleaved(unsigned(channels), vm["interleave"].as<uint64_t>(), channel.capacity_bytes());
    return StackLayout::row_major(unsigned(channels), channel.capacity_bytes());
  } catch (const std::invalid_argument& error) {
    throw UsageError(error.what());
  }
}

int run_hbm_trace(const po::variables_map& vm, const platform::PlatformParams& params) {
  if (!vm.count("trace")) throw UsageError("--trace FILE is required");
  const std::string path = vm["trace"].as<std::string>();
  const TraceFormat format = format_option(vm, path);
  const double clock_mhz = vm["clock-mhz"].as<double>();
  if (!(clock_mhz >= 1 && clock_mhz <= 1e6)) throw UsageError("--clock-mhz: expected a number in [1, 1e6]");
  const uint64_t request_bytes = vm["request-bytes"].as<uint64_t>();
  if (request_bytes == 0) throw UsageError("--request-bytes: must be at least 1");
  std::ofstream json_out;
  if (vm.count("json")) {
    json_out.open(vm["json"].as<std::string>());
    if (!json_out) throw UsageError("--json: cannot write '" + vm["json"].as<std::string>() + "'");
  }
  std::ifstream in(path);
  if (!in) throw UsageError("--trace: cannot read '" + path + "'");

  std::unique_ptr<TracePlayer> player;
  try {
    player = std::make_unique<TracePlayer>(params.hbm.channel, layout_option(vm, params.hbm.channel));
  } catch (const std::invalid_argument& error) {
    throw UsageError(error.what());
  }
  TraceReader reader(in, format, uint64_t(1e6 / clock_mhz + 0.5), request_bytes);
  try {
    for (TraceRequest request; reader.next(request);) player->play(request);
  } catch (const TraceError& error) {
    throw UsageError("trace '" + path + "' " + error.what());
  }
  const TraceSummary summary = player->summary();
  if (summary.requests == 0) throw UsageError("trace '" + path + "' holds no request");
  std::cout << format_summary(summary);
  if (json_out.is_open()) json_out << to_json(summary).dump(2) << "\n";
  return kExitOk;
}

}  // namespace

Subcommand hbm_trace_subcommand() {
  return {"hbm-trace",
          "replay a DRAMSys/Ramulator memory trace on the HBM model (hbm.* parameters) and print bandwidth, latency, "
          "row hits and refresh share",
          [](po::options_description& options) {
            options.add_options()("trace", po::value<std::string>()->value_name("FILE"), "the trace to replay")(
                "format", po::value<std::string>()->value_name("NAME"),
                "stl, rstl (DRAMSys), ramulator ('0x<address> R|W'), loadstore (Ramulator 2 'LD|ST <address> "
                "[stall]'), timed ('<ns> R|W <address> <bytes>'); default from the file name (.stl, .rstl)")(
                "clock-mhz", po::value<double>()->value_name("MHZ")->default_value(1000.0),
                "the trace's clock: stl/rstl times and loadstore stalls count its cycles")(
                "request-bytes", po::value<uint64_t>()->value_name("N")->default_value(64),
                "bytes of a request whose line gives no length")(
                "pseudo-channels", po::value<int64_t>()->value_name("N")->default_value(1),
                "pseudo-channels of the stack (a power of two); row-major unless --interleave")(
                "interleave", po::value<uint64_t>()->value_name("BYTES"),
                "interleave the pseudo-channels every BYTES (a power of two)")(
                "mapping", po::value<std::string>()->value_name("FILE"),
                "a DRAMSys address-mapping JSON: its channel bits pick the pseudo-channel, the rest is the channel's "
                "bit list (replaces --pseudo-channels, --interleave and hbm.address_bits)")(
                "json", po::value<std::string>()->value_name("FILE"), "also write the summary as JSON");
          },
          run_hbm_trace};
}

}  // namespace aqpim::apps
