# billhook_embed(<out.cpp> <input file> <C++ symbol>) turns a data file into a
# `extern const std::string_view <symbol>` in namespace billhook::embedded, regenerated when the file changes.
function(billhook_embed out input symbol)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "Embedding ${input}"
    VERBATIM)
endfunction()

# billhook_embed_assets(<out.cpp> <dir> <file>…) compiles the files (paths relative to <dir>) into the table
# of api/dashboard/assets.hpp, regenerated when any of them changes.
function(billhook_embed_assets out dir)
  set(inputs "")
  foreach(name IN LISTS ARGN)
    list(APPEND inputs ${dir}/${name})
  endforeach()
  string(REPLACE ";" "|" names "${ARGN}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DNAMES=${names} -DOUTPUT=${out}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_assets_file.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/embed_assets_file.cmake
    COMMENT "Embedding the dashboard's assets"
    VERBATIM)
endfunction()
