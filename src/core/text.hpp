#pragma once

#include <cstddef>
#include <string_view>

namespace billhook::core {

// At most `max_bytes` of `text`, cut before a UTF-8 continuation byte so the result stays valid
// UTF-8. For quoting user input in error messages without echoing megabytes of it.
inline std::string_view clip(std::string_view text, size_t max_bytes = 100) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// `text` without the spaces and tabs around it (HTTP's optional whitespace, a list's items).
inline std::string_view trim_blanks(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// The first `max_chars` code points of valid UTF-8 `text`.
inline std::string_view clip_chars(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == max_chars) return text.substr(0, i);
  }
  return text;
}

}  // namespace billhook::core
