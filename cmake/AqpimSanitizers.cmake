# AQPIM_SANITIZE=address,undefined (any list GCC's -fsanitize= accepts): the whole build instrumented, every
# test run under the sanitizers. The flags ride on aqpim_warnings, which every library and executable links:
# compile options reach our own code only, the link option reaches every executable that links one of our
# libraries (also a user's project built against an installed sanitizer build, which must link the runtime).
# Undefined behaviour stops the program (-fno-sanitize-recover) so a test cannot pass over it.
set(AQPIM_SANITIZE "" CACHE STRING "Sanitizers for the whole build, e.g. address,undefined (empty: none)")

if(AQPIM_SANITIZE)
  string(REPLACE "," ";" _aqpim_sanitizers "${AQPIM_SANITIZE}")
  foreach(sanitizer IN LISTS _aqpim_sanitizers)
    if(NOT sanitizer MATCHES "^(address|undefined|leak|thread)$")
      message(FATAL_ERROR "AQPIM_SANITIZE: '${sanitizer}' is not one of address, undefined, leak, thread")
    endif()
  endforeach()
  if("address" IN_LIST _aqpim_sanitizers AND "thread" IN_LIST _aqpim_sanitizers)
    message(FATAL_ERROR "AQPIM_SANITIZE: address and thread cannot be combined")
  endif()
  target_compile_options(aqpim_warnings INTERFACE -fsanitize=${AQPIM_SANITIZE} -fno-sanitize-recover=all
                                                  -fno-omit-frame-pointer)
  target_link_options(aqpim_warnings INTERFACE -fsanitize=${AQPIM_SANITIZE})
  # Our executables (not the libraries, not an installed package's users) get the runtime defaults.
  target_sources(aqpim_warnings INTERFACE
                 "$<BUILD_INTERFACE:$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.cpp>>")
  message(STATUS "aqpim: sanitizers ${AQPIM_SANITIZE}")
endif()
