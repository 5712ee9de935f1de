#include "apps/cli_options.h"

#include <climits>
#include <iostream>

#include <unistd.h>

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
  try {
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
    std::cerr << "aqpim: error: unknown command '" << name << "'\n" << general_usage();
    return kExitBadInput;
  } catch (const UsageError& error) {
    std::cerr << "aqpim: error: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const platform::ParamError& error) {
    std::cerr << "aqpim: error: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& error) {
    std::cerr << "aqpim: failed: " << error.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace aqpim::apps

