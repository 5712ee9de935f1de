# Tests and benchmarks of the hbm area (see testbenches/CMakeLists.txt for the helper functions).

# HBM3 pseudo-channel: timing engine, address mapping and sparse store without SystemC; the TLM model in
# SystemC testbenches; a stand-alone sc_main example run as a test; the simulation-speed benchmark.
aqpim_add_unit_test(test_hbm_timing
  SOURCES unit/test_hbm_timing.cpp unit/test_hbm_timing_fast.cpp unit/test_hbm_timing_stream.cpp
  unit/test_hbm_timing_memo.cpp unit/test_hbm_timing_rules.cpp unit/test_hbm_address_mapping.cpp
  unit/test_hbm_indirect.cpp unit/test_hbm_turnaround.cpp unit/test_hbm_scheduler.cpp unit/hbm_cycle_reference.cpp
  LIBS aqpim_model_logic)
aqpim_add_sc_test(test_hbm_pseudo_channel SOURCES sc/test_hbm_pseudo_channel.cpp LIBS aqpim_models)
aqpim_add_benchmark(bench_hbm_pseudo_channel SOURCES bench/bench_hbm_pseudo_channel.cpp LIBS aqpim_models)
add_executable(hbm_standalone standalone/hbm_standalone_main.cpp)
target_link_libraries(hbm_standalone PRIVATE aqpim_models aqpim_warnings)
if(AQPIM_BUILD_TESTS)
  add_test(NAME hbm.standalone_example COMMAND hbm_standalone)
  set_tests_properties(hbm.standalone_example PROPERTIES TIMEOUT 60 LABELS systemc
                       ENVIRONMENT SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1)
endif()
aqpim_add_sc_test(test_hbm_presets SOURCES unit/test_hbm_presets.cpp LIBS aqpim_platform)
aqpim_add_sc_test(test_hbm_trace SOURCES unit/test_hbm_trace.cpp LIBS aqpim_apps)
