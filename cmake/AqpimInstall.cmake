# Installs the libraries, their headers, the aqpim CLI, a CMake package with components and pkg-config
# files, so another SystemC platform can use our models (README.md, "Using the models in your own SystemC
# platform"). Headers install under include/aqpim/ and are included as <aqpim/models/...>: only
# PREFIX/include goes on a user's include path, so our models/, core/... folders never shadow the user's own.
# The sources keep their in-tree include paths ("models/host.h"); the installed copies get them rewritten to
# "aqpim/models/host.h" (cmake/AqpimInstallHeaders.cmake), which leaves the source tree untouched.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(AQPIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/aqpim)
set(AQPIM_LAYERS core hwif models firmware platform)

# The same <aqpim/...> spelling in the build tree, for projects that add_subdirectory() us.
foreach(layer IN LISTS AQPIM_LAYERS)
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/include/aqpim)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${layer} ${PROJECT_BINARY_DIR}/include/aqpim/${layer} SYMBOLIC)
endforeach()

# Components: models (the TLM models and what they stand on: needs SystemC and threads only), firmware
# (plain C++), platform (the PIM stack and whole system; needs nlohmann_json too). aqpim_warnings is only a
# link-only private dependency of the static libraries; exporting it carries no flags to users.
set(AQPIM_COMPONENT_TARGETS_models aqpim_core aqpim_hwif aqpim_model_logic aqpim_models aqpim_warnings)
set(AQPIM_COMPONENT_TARGETS_firmware aqpim_firmware)
set(AQPIM_COMPONENT_TARGETS_platform aqpim_platform)
foreach(component models firmware platform)
  foreach(target IN LISTS AQPIM_COMPONENT_TARGETS_${component})
    target_include_directories(${target} INTERFACE $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)
  endforeach()
  install(TARGETS ${AQPIM_COMPONENT_TARGETS_${component}}
          EXPORT aqpim_${component}_targets
          COMPONENT ${component}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT aqpim_${component}_targets NAMESPACE aqpim:: DESTINATION ${AQPIM_CMAKE_DIR}
          FILE aqpim_${component}_targets.cmake COMPONENT ${component})
endforeach()
install(TARGETS aqpim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(CODE "set(AQPIM_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(AQPIM_LAYERS \"${AQPIM_LAYERS}\")
set(AQPIM_INCLUDE_DESTINATION \"${CMAKE_INSTALL_INCLUDEDIR}/aqpim\")")
install(SCRIPT cmake/AqpimInstallHeaders.cmake)

configure_package_config_file(cmake/aqpimConfig.cmake.in ${PROJECT_BINARY_DIR}/aqpimConfig.cmake
                              INSTALL_DESTINATION ${AQPIM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/aqpimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/aqpimConfig.cmake ${PROJECT_BINARY_DIR}/aqpimConfigVersion.cmake
              cmake/AqpimFindSystemC.cmake
        DESTINATION ${AQPIM_CMAKE_DIR})

# pkg-config, for builds without CMake: aqpim-models (SystemC only) and aqpim (everything).
foreach(pc aqpim-models aqpim)
  configure_file(cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
