# Tests and benchmarks of the core area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_unit_test(test_kernels SOURCES unit/test_kernels.cpp LIBS aqpim_core)
