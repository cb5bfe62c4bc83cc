# Our own targets build with warnings as errors; third-party headers come in as system includes.
function(billhook_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor)
endfunction()
