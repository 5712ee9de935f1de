# Tests and benchmarks of the real-model accuracy path (core/llm/; see testbenches/CMakeLists.txt for the
# helper functions). They read the vendored model and texts from data/realdata through AQPIM_SOURCE_DIR.
aqpim_add_unit_test(test_llm_model SOURCES unit/test_llm_model.cpp LIBS aqpim_core)
aqpim_add_unit_test(test_llm_backends SOURCES unit/test_llm_backends.cpp LIBS aqpim_core Threads::Threads)

# Cost of one configuration and of a 48-configuration grid over three texts (figures in docs/algorithm.md).
if(AQPIM_BUILD_BENCHMARKS)
  aqpim_add_benchmark(bench_llm_accuracy SOURCES bench/bench_llm_accuracy.cpp LIBS aqpim_core Threads::Threads)
  target_compile_definitions(bench_llm_accuracy PRIVATE AQPIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

# aqpim accuracy: its keys, a run against the core, bad input, and the grid (threads, table, figures).
aqpim_add_sc_test(test_accuracy_cli SOURCES unit/test_accuracy_cli.cpp unit/test_accuracy_grid.cpp LIBS aqpim_apps)
if(AQPIM_BUILD_TESTS)
  # A bad model file, as a shell sees it: exit code 2 and one line on stderr.
  add_test(NAME cli.exit_code_accuracy_bad_model
           COMMAND sh -c "n=$($<TARGET_FILE:aqpim> accuracy --set data.model=/nonexistent.bin 2>&1 >/dev/null | wc -l); \
                          $<TARGET_FILE:aqpim> accuracy --set data.model=/nonexistent.bin 2>/dev/null; \
                          test $? -eq 2 && test $n -eq 1")
  set_tests_properties(cli.exit_code_accuracy_bad_model PROPERTIES LABELS unit)
endif()
