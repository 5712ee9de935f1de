#include "apps/cli_options.h"

#include <climits>
#include <cstdio>
#include <iostream>

#include <systemc>
#include <unistd.h>

#include "core/llm/file_error.h"

namespace aqpim::apps {
namespace po = boost::program_options;

namespace {

void add_parameter_options(po::options_description& options) {
  options.add_options()("help,h", "show this help")(
      "config,c", po::value<std::vector<std::string>>()->composing(),
      "JSON parameter file (repeatable; later files win)")(
      "set,s", po::value<std::vector<std::string>>()->composing(),
      "override one parameter, KEY=VALUE (repeatable; applied after files)");
}

std::string general_usage() {
  std::string text = "usage: aqpim <command> [options]\n\ncommands:\n";
  for (const auto& command : subcommands()) {
    text += "  " + command.name + std::string(10 - std::min<size_t>(9, command.name.size()), ' ') +
            command.summary + "\n";
  }
  return text + "\n'aqpim <command> --help' shows a command's options; 'aqpim params' lists every parameter.\n";
}


int run_subcommand(const Subcommand& command, const std::vector<std::string>& args) {
  po::options_description options("options of 'aqpim " + command.name + "'");
  add_parameter_options(options);
  if (command.add_options) command.add_options(options);
  po::variables_map vm;
  try {
    // No positional arguments: a stray word is far more often a typo than an intended input.
    po::store(po::command_line_parser(args).options(options).positional({}).run(), vm);
    po::notify(vm);
  } catch (const po::error& error) {
    throw UsageError(std::string(error.what()) + " (see 'aqpim " + command.name + " --help')");
  }
  if (vm.count("help")) {
    std::cout << "aqpim " << command.name << ": " << command.summary << "\n\n" << options << "\n";
    return kExitOk;
  }
  return command.run(vm, command.platform_parameters ? parameter_sources(vm).resolve() : platform::PlatformParams{});
}

}  // namespace

platform::ParamLoader parameter_sources(const po::variables_map& vm, const std::string& example) {
  platform::ParamLoader loader(example);
  if (vm.count("config"))
    for (const auto& path : vm["config"].as<std::vector<std::string>>()) loader.add_file(path);
  if (vm.count("set"))
    for (const auto& assignment : vm["set"].as<std::vector<std::string>>()) loader.add_override(assignment);
  return loader;
}

std::string this_executable() {
  char path[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) throw std::runtime_error("cannot find the aqpim binary through /proc/self/exe");
  return std::string(path, size_t(length));
}

int dispatch(const std::vector<std::string>& args) {
  return guarded([&] {
    if (args.empty()) {
      std::cerr << general_usage();
      return kExitBadInput;
    }
    const std::string& name = args.front();
    if (name == "--help" || name == "-h" || name == "help") {
      std::cout << general_usage();
      return kExitOk;
    }
    for (const auto& command : subcommands())
      if (command.name == name) return run_subcommand(command, {args.begin() + 1, args.end()});
    std::cerr << "aqpim: error: unknown command '" << one_line(name) << "'\n" << general_usage();
    return kExitBadInput;
  });
}

std::string one_line(const std::string& text) {
  std::string line;
  line.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      line += "\\n";
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", unsigned(byte));
      line += escaped;
    } else {
      line += c;
    }
  }
  return line;
}

namespace {

// The report's message with where it happened, without SystemC's multi-line layout.
std::string describe_report(const sc_core::sc_report& report) {
  std::string text = "simulation error";
  if (report.get_process_name() && *report.get_process_name())
    text += std::string(" in ") + report.get_process_name() + " at " + report.get_time().to_string();
  return text + ": " + report.get_msg_type() + ": " + report.get_msg();
}

void report_handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_ERROR) throw report;
  if (report.get_severity() == sc_core::SC_WARNING) {
    std::cerr << "aqpim: warning: " << one_line(std::string(report.get_msg_type()) + ": " + report.get_msg()) << "\n";
    return;
  }
  sc_core::sc_report_handler::default_handler(report, actions);
}

}  // namespace

void install_report_handler() { sc_core::sc_report_handler::set_handler(report_handler); }

int guarded(const std::function<int()>& body) {
  const auto fail = [](const char* prefix, const std::string& message, int code) {
    std::cerr << "aqpim: " << prefix << ": " << one_line(message) << "\n";
    return code;
  };
  try {
    return body();
  } catch (const UsageError& error) {
    return fail("error", error.what(), kExitBadInput);
  } catch (const platform::ParamError& error) {
    return fail("error", error.what(), kExitBadInput);
  } catch (const core::llm::FileFormatError& error) {
    return fail("error", error.what(), kExitBadInput);
  } catch (const sc_core::sc_report& report) {
    return fail("failed", describe_report(report), kExitFailure);
  } catch (const std::exception& error) {
    return fail("failed", error.what(), kExitFailure);
  } catch (...) {
    return fail("failed", "an exception that is not a std::exception", kExitFailure);
  }
}

}  // namespace aqpim::apps
