# Tests and benchmarks of the core area (see testbenches/CMakeLists.txt for the helper functions).
aqpim_add_unit_test(test_kernels SOURCES unit/test_kernels.cpp LIBS aqpim_core)
aqpim_add_unit_test(test_core_kmeans SOURCES unit/test_core_kmeans.cpp LIBS aqpim_core)
aqpim_add_unit_test(test_core_pq_codec SOURCES unit/test_core_pq_codec.cpp LIBS aqpim_core)
aqpim_add_unit_test(test_core_attention SOURCES unit/test_core_attention.cpp LIBS aqpim_core)
aqpim_add_unit_test(test_core_accuracy_fixes SOURCES unit/test_core_accuracy_fixes.cpp LIBS aqpim_core)

# PQ benchmark; the faiss comparison is compiled in only when Debian's libfaiss-dev is installed (its CMake
# package needs OpenMP found first). faiss is linked to this benchmark only.
if(AQPIM_BUILD_BENCHMARKS)
  aqpim_add_benchmark(bench_pq SOURCES bench/bench_pq.cpp LIBS aqpim_core)
  find_package(OpenMP QUIET)
  if(OpenMP_CXX_FOUND)
    find_package(faiss CONFIG QUIET)
  endif()
  if(TARGET faiss)
    target_link_libraries(bench_pq PRIVATE faiss OpenMP::OpenMP_CXX)
    target_compile_definitions(bench_pq PRIVATE AQPIM_HAVE_FAISS)
  else()
    message(STATUS "faiss not found: bench_pq measures the core alone (apt-get install libfaiss-dev to compare)")
  endif()
endif()
