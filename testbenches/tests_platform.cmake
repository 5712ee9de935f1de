# Tests and benchmarks of the platform area (see testbenches/CMakeLists.txt for the helper functions).
