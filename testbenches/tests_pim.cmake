# Tests and benchmarks of the pim area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_unit_test(test_pim_plan SOURCES unit/test_pim_plan.cpp unit/test_pim_reference.cpp LIBS aqpim_model_logic)
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

# The bank-side stream sockets have a protocol type of their own: binding a PIM unit's bank socket to a
# plain TLM memory must not compile. The control build (the same file, bound correctly) must compile, so
# the failure is the binding and nothing else.
add_library(bank_socket_binding_control OBJECT compile_checks/bank_socket_binding.cpp)
target_link_libraries(bank_socket_binding_control PRIVATE aqpim_models aqpim_warnings)
add_library(bank_socket_binding_to_plain_memory OBJECT EXCLUDE_FROM_ALL compile_checks/bank_socket_binding.cpp)
target_link_libraries(bank_socket_binding_to_plain_memory PRIVATE aqpim_models)
target_compile_definitions(bank_socket_binding_to_plain_memory PRIVATE AQPIM_BIND_TO_PLAIN_MEMORY)
if(AQPIM_BUILD_TESTS)
  add_test(NAME pim.bank_socket_refuses_plain_memory
           COMMAND ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target bank_socket_binding_to_plain_memory)
  set_tests_properties(pim.bank_socket_refuses_plain_memory PROPERTIES WILL_FAIL TRUE TIMEOUT 300 LABELS systemc)
endif()
