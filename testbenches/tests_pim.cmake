# Tests and benchmarks of the pim area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_unit_test(test_pim_plan SOURCES unit/test_pim_plan.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_pim_unit SOURCES sc/test_pim_unit.cpp LIBS aqpim_models)
aqpim_add_sc_test(test_pim_hbm SOURCES sc/test_pim_hbm.cpp LIBS aqpim_models)

# The stand-alone example: its own sc_main, no test harness, run by CTest as a smoke test.
add_executable(pim_standalone standalone/pim_standalone_main.cpp)
target_link_libraries(pim_standalone PRIVATE aqpim_models aqpim_warnings)
if(AQPIM_BUILD_TESTS)
  add_test(NAME pim.standalone_example COMMAND pim_standalone)
  set_tests_properties(pim.standalone_example PROPERTIES TIMEOUT 60 LABELS systemc
                       ENVIRONMENT SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1)
endif()
