# Tests and benchmarks of the pim area (see testbenches/CMakeLists.txt for the helper functions).
