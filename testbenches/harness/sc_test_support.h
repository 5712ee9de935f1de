// Helpers for SystemC testbenches run by sc_gtest_main.
#pragma once

#include <utility>

namespace aqpim::test {

// Modules must outlive the simulation (SystemC forbids destroying a module that owns processes while
// the kernel may still reference it), and each TEST runs in its own process: allocate and never free.
template <class Module, class... Args>
Module& make_module(Args&&... args) {
  return *new Module(std::forward<Args>(args)...);
}

}  // namespace aqpim::test
