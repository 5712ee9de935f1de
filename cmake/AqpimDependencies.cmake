# All dependencies come from Debian packages (scripts/install-deps.sh); nothing is downloaded at build time.

# SystemC: an upstream CMake install first, else Debian's pkg-config files (Debian ships no CMake package).
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

find_package(nlohmann_json 3.10 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(Threads REQUIRED)
