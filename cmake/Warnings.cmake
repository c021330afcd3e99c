# pottsrbm_warnings: the project's warning flags, as an interface target linked privately.
add_library(pottsrbm_warnings INTERFACE)
target_compile_options(pottsrbm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
if(POTTSRBM_WERROR)
  target_compile_options(pottsrbm_warnings INTERFACE -Werror)
endif()
