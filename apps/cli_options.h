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

// Runs `body` and turns whatever it throws into the exit-code convention, printing exactly one line on
// stderr: "aqpim: error: ..." and 2 for bad input, "aqpim: failed: ..." and 1 for anything else (an error
// inside the simulation included). dispatch() runs every subcommand through it.
int guarded(const std::function<int()>& body);

// Makes SystemC's error and fatal reports (SC_REPORT_ERROR / _FATAL, sc_assert, an exception escaping any
// process, which the kernel reports as an error) exceptions that reach guarded() instead of a multi-line
// message and abort(); warnings become one line on stderr. The aqpim binary installs it before sc_main.
void install_report_handler();

// `text` on one line: line breaks and other control characters shown as escapes, so an error message
// quoting user input (a --set value, a file's bytes) cannot spread over several lines.
std::string one_line(const std::string& text);

}  // namespace aqpim::apps
