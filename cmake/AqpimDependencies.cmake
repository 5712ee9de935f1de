# All dependencies come from Debian packages (scripts/install-deps.sh); nothing is downloaded at build time.
include(${CMAKE_CURRENT_LIST_DIR}/AqpimFindSystemC.cmake)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(Threads REQUIRED)
