# Run with cmake -P: writes the files NAMES ('|'-separated, relative to DIR) into OUTPUT as the table that
# billhook::api::dashboard::assets() returns (api/dashboard/assets.hpp). Bytes are written as hex arrays,
# so any content is safe.
string(REPLACE "|" ";" names "${NAMES}")
set(arrays "")
set(rows "")
set(index 0)
foreach(name IN LISTS names)
  file(READ "${DIR}/${name}" content HEX)
  string(LENGTH "${content}" hex_length)
  math(EXPR byte_count "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
  string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){32})" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "constexpr char k${index}[] = {\n${bytes}'\\0'};\n")
  string(APPEND rows "      Asset{\"${name}\", std::string_view(k${index}, ${byte_count})},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}"
  "// Generated from ${DIR} by cmake/embed_assets_file.cmake. Do not edit.\n"
  "#include \"api/dashboard/assets.hpp\"\n"
  "namespace billhook::api::dashboard {\n"
  "namespace {\n${arrays}}  // namespace\n"
  "std::span<const Asset> assets() {\n"
  "  static const Asset table[] = {\n${rows}  };\n"
  "  return table;\n"
  "}\n"
  "}  // namespace billhook::api::dashboard\n")
