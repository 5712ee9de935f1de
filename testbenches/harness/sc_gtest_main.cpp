// main() for SystemC testbenches. SystemC allows one elaboration per process, so CTest runs every TEST
// of these executables in its own process (gtest_discover_tests + --gtest_filter); each TEST may build
// its own modules and call sc_start. Any SystemC warning, error or fatal report fails the running test.
#include <cstdlib>

#include <gtest/gtest.h>
#include <systemc>

namespace {

void fail_test_on_report(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_WARNING) {
    ADD_FAILURE() << "SystemC " << (report.get_severity() == sc_core::SC_WARNING ? "warning" : "error") << " ["
                  << report.get_msg_type() << "] " << report.get_msg();
  }
  sc_core::sc_report_handler::default_handler(report, actions);
}

}  // namespace

int sc_main(int, char**) { return RUN_ALL_TESTS(); }

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  ::testing::InitGoogleTest(&argc, argv);
  sc_core::sc_report_handler::set_handler(fail_test_on_report);
  return sc_core::sc_elab_and_sim(argc, argv);
}
