# Parameters, CLI and the address router.
# The CLI library links the simulator, so its tests start through SystemC's entry like any SystemC program.
aqpim_add_sc_test(test_params SOURCES unit/test_params.cpp unit/test_cli.cpp LIBS aqpim_apps)
aqpim_add_unit_test(test_fp16 SOURCES unit/test_fp16.cpp LIBS aqpim_core)
aqpim_add_sc_test(test_address_router SOURCES sc/test_address_router.cpp LIBS aqpim_models)
aqpim_add_benchmark(bench_address_router SOURCES bench/bench_address_router.cpp LIBS aqpim_models)

if(AQPIM_BUILD_TESTS)
  # No include runs up the layers (docs/architecture.md, Layers).
  add_test(NAME layers.includes COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-layers.sh ${PROJECT_SOURCE_DIR})
  set_tests_properties(layers.includes PROPERTIES LABELS unit)

  # The real binary's exit codes, as a shell sees them.
  add_test(NAME cli.exit_code_unknown_command
           COMMAND sh -c "$<TARGET_FILE:aqpim> frobnicate 2>/dev/null; test $? -eq 2")
  add_test(NAME cli.exit_code_bad_parameter
           COMMAND sh -c "$<TARGET_FILE:aqpim> params --set hbm.stacks=0 2>/dev/null; test $? -eq 2")
  # The README's main job runs in golden.default; small runs of both modes, with their figures checked
  # against the workload's formulas, in RunModes.* (test_run_modes).
endif()
