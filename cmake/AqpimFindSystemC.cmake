# Finds SystemC and provides the target SystemC::systemc: an upstream CMake install first, else Debian's
# pkg-config files (Debian ships no CMake package). Shared by our build and by aqpimConfig.cmake, so a
# project that find_package()s us gets the very SystemC our libraries were built against.
if(TARGET SystemC::systemc)
  return()
endif()
find_package(SystemCLanguage CONFIG QUIET)
if(SystemCLanguage_FOUND)
  if(NOT TARGET SystemC::systemc)
    message(FATAL_ERROR "SystemCLanguage found but it does not define SystemC::systemc")
  endif()
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(AQPIM_SYSTEMC REQUIRED IMPORTED_TARGET GLOBAL systemc>=2.3.3)
  add_library(SystemC::systemc ALIAS PkgConfig::AQPIM_SYSTEMC)
endif()
