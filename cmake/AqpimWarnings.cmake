# One interface target carries the project's warning policy so every library and test gets the same flags.
add_library(aqpim_warnings INTERFACE)
target_compile_options(aqpim_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor)
if(AQPIM_WERROR)
  target_compile_options(aqpim_warnings INTERFACE -Werror)
endif()
