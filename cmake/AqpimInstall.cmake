# Installs the libraries, their headers (under include/aqpim, keeping the repository's include paths such
# as "models/host.h"), the aqpim CLI and a CMake package, so another SystemC platform can
# find_package(aqpim) and instantiate our models.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(AQPIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/aqpim)
# aqpim_warnings is only a link-only private dependency of the static libraries; exporting it carries no
# flags to users.
install(TARGETS aqpim_core aqpim_hwif aqpim_model_logic aqpim_models aqpim_firmware aqpim_platform aqpim_warnings
        EXPORT aqpimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/aqpim)
install(TARGETS aqpim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY core hwif models firmware platform
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/aqpim
        FILES_MATCHING PATTERN "*.h")
install(EXPORT aqpimTargets NAMESPACE aqpim:: DESTINATION ${AQPIM_CMAKE_DIR})
configure_package_config_file(cmake/aqpimConfig.cmake.in ${PROJECT_BINARY_DIR}/aqpimConfig.cmake
                              INSTALL_DESTINATION ${AQPIM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/aqpimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/aqpimConfig.cmake ${PROJECT_BINARY_DIR}/aqpimConfigVersion.cmake
              cmake/AqpimFindSystemC.cmake
        DESTINATION ${AQPIM_CMAKE_DIR})
