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
