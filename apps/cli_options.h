// Command-line front end shared by every `aqpim` subcommand: option parsing with one-line errors,
// parameter loading from --config/--set, and the exit-code convention (0 ok, 1 failure, 2 bad input).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "platform/params.h"

namespace aqpim::apps {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

// Thrown for anything the user typed wrong; main prints "aqpim: error: <message>" and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Subcommand {
  std::string name;
  std::string summary;
  // Adds the subcommand's own options (the parameter options --config/--set are added for every one).
  std::function<void(boost::program_options::options_description&)> add_options;
  std::function<int(const boost::program_options::variables_map&, const platform::PlatformParams&)> run;
  // false: --config/--set name keys of the command's own table (it reads them with parameter_sources), and
  // run() receives default platform parameters.
  bool platform_parameters = true;
};

const std::vector<Subcommand>& subcommands();

// The --config files and --set overrides of a command line, in order, not yet applied to any table.
// example: a valid KEY=VALUE of the command's table, for the error of an override without '='.
platform::ParamLoader parameter_sources(const boost::program_options::variables_map& vm,
                                        const std::string& example = "pim.placement=bank_group");

// The running aqpim binary, for commands that run one simulation per child process (SystemC elaborates
// once per process).
std::string this_executable();

// Parses argv (without the program name) and runs the subcommand; never throws.
int dispatch(const std::vector<std::string>& args);

}  // namespace aqpim::apps
