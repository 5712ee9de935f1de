// SystemC owns the process entry: sc_elab_and_sim sets the kernel up and calls sc_main, which dispatches the
// subcommand (a subcommand may elaborate and simulate the platform once).
#include <cstdlib>

#include <systemc>

#include "apps/cli_options.h"

int sc_main(int argc, char** argv) { return aqpim::apps::dispatch({argv + 1, argv + argc}); }

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // Errors inside the simulation reach dispatch() as exceptions: one line and exit 1, never abort().
  aqpim::apps::install_report_handler();
  return sc_core::sc_elab_and_sim(argc, argv);
}
