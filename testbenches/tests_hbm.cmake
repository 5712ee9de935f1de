# Tests and benchmarks of the hbm area (see testbenches/CMakeLists.txt for the helper functions).
