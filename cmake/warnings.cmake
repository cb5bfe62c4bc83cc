# Our own targets build with warnings as errors; third-party headers come in as system includes.
function(billhook_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor
    # Designated initializers that leave members at their defaults are the point of them.
    -Wno-missing-field-initializers)
endfunction()
