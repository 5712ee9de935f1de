# Tests and benchmarks of the platform area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_sc_test(test_host SOURCES sc/test_host.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_pcie_link SOURCES sc/test_pcie_link.cpp LIBS aqpim_models)
aqpim_add_unit_test(test_kv_layout SOURCES unit/test_kv_layout.cpp LIBS aqpim_firmware)
