# Tests and benchmarks of the platform area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_sc_test(test_host SOURCES sc/test_host.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_pcie_link SOURCES sc/test_pcie_link.cpp LIBS aqpim_models)
aqpim_add_unit_test(test_kv_layout SOURCES unit/test_kv_layout.cpp LIBS aqpim_firmware)
aqpim_add_unit_test(test_pim_driver SOURCES unit/test_pim_driver.cpp LIBS aqpim_firmware)
aqpim_add_sc_test(test_cpu_memory SOURCES sc/test_cpu_memory.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_platform_functional SOURCES sc/test_platform_functional.cpp LIBS aqpim_platform)
aqpim_add_sc_test(test_platform_subvector SOURCES sc/test_platform_subvector.cpp LIBS aqpim_platform)
aqpim_add_unit_test(test_run_modes SOURCES unit/test_run_modes.cpp LIBS nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_run_modes aqpim)  # runs the binary
endif()

# The library as a user sees it: install, find_package(aqpim) from a separate project, run its sc_main.
if(AQPIM_BUILD_TESTS)
  add_test(NAME library.external_platform
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/external_platform/run_example.sh ${PROJECT_BINARY_DIR}
                   ${PROJECT_BINARY_DIR}/external_platform_scratch)
  set_tests_properties(library.external_platform PROPERTIES TIMEOUT 300 LABELS library
                       ENVIRONMENT "AQPIM_SANITIZE=${AQPIM_SANITIZE}")
endif()
aqpim_add_unit_test(test_baselines SOURCES unit/test_baselines.cpp LIBS aqpim_firmware nlohmann_json::nlohmann_json)
aqpim_add_unit_test(test_gpu_work SOURCES unit/test_gpu_work.cpp LIBS aqpim_firmware)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_baselines aqpim)  # runs the binary
endif()
# The AttAcc baseline's overlap options, power limit and stack IDs against hand formulas.
aqpim_add_sc_test(test_attacc_options SOURCES unit/test_attacc_options.cpp LIBS aqpim_platform nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_attacc_options aqpim)  # runs the binary
endif()
# Outside platforms' initiators (LT on a 32-bit bus, DMI, temporally decoupled, foreign-endian) against every target.
aqpim_add_sc_test(test_conformance SOURCES sc/test_conformance.cpp LIBS aqpim_platform)
aqpim_add_unit_test(test_gpu_baselines SOURCES unit/test_gpu_baselines.cpp LIBS nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_gpu_baselines aqpim)  # runs the binary
endif()
# Energy from counted events against hand counts (runs the binary).
aqpim_add_unit_test(test_energy SOURCES unit/test_energy.cpp LIBS nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_energy aqpim)
endif()
