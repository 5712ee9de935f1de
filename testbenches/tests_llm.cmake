# Tests and benchmarks of the real-model accuracy path (core/llm/; see testbenches/CMakeLists.txt for the
# helper functions). They read the vendored model and texts from data/realdata through AQPIM_SOURCE_DIR.
aqpim_add_unit_test(test_llm_model SOURCES unit/test_llm_model.cpp LIBS aqpim_core)
aqpim_add_unit_test(test_llm_backends SOURCES unit/test_llm_backends.cpp LIBS aqpim_core Threads::Threads)

