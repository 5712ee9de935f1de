# Reliability: errors inside the simulation, fuzzed input boundaries, sweeps that survive faults,
# reproducible results (see testbenches/CMakeLists.txt for the helper functions).
if(AQPIM_BUILD_TESTS)
  # Provokes one kind of simulation error per run on the aqpim binary's entry path.
  add_executable(sim_error_probe probes/sim_error_probe.cpp)
  target_link_libraries(sim_error_probe PRIVATE aqpim_apps aqpim_warnings)
  target_include_directories(sim_error_probe PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
endif()
aqpim_add_unit_test(test_sim_errors SOURCES unit/test_sim_errors.cpp LIBS nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  target_compile_definitions(test_sim_errors PRIVATE AQPIM_SIM_ERROR_PROBE="$<TARGET_FILE:sim_error_probe>")
  add_dependencies(test_sim_errors sim_error_probe)
endif()

# Host transfers above 4 GiB travel as parts with the unsplit transfer's timing.
aqpim_add_sc_test(test_large_transfers SOURCES sc/test_large_transfers.cpp LIBS aqpim_models)

# Fuzzed input boundaries: PIM command descriptors (COMMAND register and queue).
aqpim_add_sc_test(test_fuzz_pim_commands SOURCES sc/test_fuzz_pim_commands.cpp LIBS aqpim_models)
# TLM payloads into every model's target socket.
aqpim_add_sc_test(test_fuzz_tlm_targets SOURCES sc/test_fuzz_tlm_targets.cpp LIBS aqpim_models)
# Parameter files and --set strings through the command line's entry (no simulation: SystemC's entry only).
aqpim_add_sc_test(test_fuzz_params SOURCES unit/test_fuzz_params.cpp LIBS aqpim_apps)
# Real-model files (llama2.c checkpoints, tokenizers, texts), corrupted: the loaders, and the commands reading them.
aqpim_add_unit_test(test_fuzz_model_files SOURCES unit/test_fuzz_model_files.cpp LIBS aqpim_core nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_fuzz_model_files aqpim)
endif()

# Sweeps that survive faults: a run killed on purpose, --resume, atomic result files.
aqpim_add_sc_test(test_sweep_faults SOURCES unit/test_sweep_faults.cpp LIBS aqpim_apps nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_sweep_faults aqpim)
endif()
# Sweep results (--collect) and tables (plot), corrupted.
aqpim_add_sc_test(test_fuzz_sweep_files SOURCES unit/test_fuzz_sweep_files.cpp LIBS aqpim_apps nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_fuzz_sweep_files aqpim)
endif()

# Reproducible results: the same run twice, a sweep with one job or two.
aqpim_add_unit_test(test_reproducible SOURCES unit/test_reproducible.cpp LIBS nlohmann_json::nlohmann_json)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_reproducible aqpim)

  # The run matrix (every preset x design x context x batch), labelled apart from the quick suite.
  add_executable(test_run_matrix unit/test_run_matrix.cpp)
  target_link_libraries(test_run_matrix PRIVATE GTest::gtest_main nlohmann_json::nlohmann_json aqpim_warnings)
  target_compile_definitions(test_run_matrix PRIVATE AQPIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_dependencies(test_run_matrix aqpim)
  gtest_discover_tests(test_run_matrix DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 300 LABELS matrix)
endif()
