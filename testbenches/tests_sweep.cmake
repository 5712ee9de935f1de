# Sweeps, plots and timeline traces (see testbenches/CMakeLists.txt for the helper functions).
# Library-level tests link the platform, hence SystemC's entry; none of them elaborates.
aqpim_add_sc_test(test_sweep_grid SOURCES unit/test_sweep_grid.cpp LIBS aqpim_apps)
aqpim_add_sc_test(test_trace_writer SOURCES unit/test_trace_writer.cpp LIBS aqpim_apps)
# These run the real binary (the sweep spawns it too).
aqpim_add_unit_test(test_sweep_cli SOURCES unit/test_sweep_cli.cpp LIBS nlohmann_json::nlohmann_json)
aqpim_add_unit_test(test_trace_run SOURCES unit/test_trace_run.cpp LIBS nlohmann_json::nlohmann_json)
aqpim_add_sc_test(test_plot SOURCES unit/test_plot.cpp LIBS aqpim_apps)
aqpim_add_sc_test(test_plot_style SOURCES unit/test_plot_style.cpp LIBS aqpim_apps)
if(AQPIM_BUILD_TESTS)
  add_dependencies(test_sweep_cli aqpim)
  add_dependencies(test_trace_run aqpim)
  add_dependencies(test_plot aqpim)
endif()
