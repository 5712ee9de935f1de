# Tests and benchmarks of the platform area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_sc_test(test_host SOURCES sc/test_host.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_pcie_link SOURCES sc/test_pcie_link.cpp LIBS aqpim_models)
aqpim_add_unit_test(test_kv_layout SOURCES unit/test_kv_layout.cpp LIBS aqpim_firmware)
aqpim_add_sc_test(test_cpu_memory SOURCES sc/test_cpu_memory.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_platform_functional SOURCES sc/test_platform_functional.cpp LIBS aqpim_platform)
aqpim_add_unit_test(test_run_modes SOURCES unit/test_run_modes.cpp LIBS nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_run_modes aqpim)  # runs the binary
endif()
