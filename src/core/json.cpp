#include "core/json.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include <boost/json/error.hpp>
#include <boost/json/parser.hpp>

#include <fmt/format.h>

namespace billhook::core {

size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Nearly every byte a request or an answer carries is ASCII: eight at a time while none has its
    // high bit set (this check ran byte by byte over every published body and every delivery's).
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + length > n) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const bool overlong = (length == 2 && cp < 0x80) || (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

namespace {

// Boost.JSON turns 1e400 into infinity rather than failing; infinity is not JSON and would be
// written back as the token `Infinity`, so such a document is refused.
bool has_non_finite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: return !std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& item : v.get_array())
        if (has_non_finite(item)) return true;
      return false;
    case boost::json::kind::object:
      for (const auto& item : v.get_object())
        if (has_non_finite(item.value())) return true;
      return false;
    default: return false;
  }
}

}  // namespace

Result<boost::json::value> parse_json(std::string_view text, const JsonLimits& limits) {
  if (const size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    return Error::invalid("invalid_utf8",
                          fmt::format("request body is not valid UTF-8 (first bad byte at offset {})", bad));
  }
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::parser parser(boost::json::storage_ptr(), options);
  boost::system::error_code ec;
  // parser::write insists on exactly one complete document: trailing data is extra_data,
  // a truncated one is incomplete.
  const size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    if (ec == boost::json::error::too_deep) {
      return Error::invalid("json_too_deep",
                            fmt::format("JSON nesting is deeper than the limit of {} levels", limits.max_depth));
    }
    if (ec == boost::json::error::exponent_overflow) {
      return Error::invalid("number_out_of_range",
                            fmt::format("a number near byte {} is out of range", consumed));
    }
    if (ec == boost::json::error::extra_data) {
      return Error::invalid("malformed_json",
                            fmt::format("malformed JSON: unexpected data after the document at byte {}", consumed));
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
      return Error::invalid("malformed_json", "request body is empty; expected a JSON object");
    return Error::invalid("malformed_json", fmt::format("malformed JSON at byte {}: {}", consumed, ec.message()));
  }
  auto value = parser.release();
  if (has_non_finite(value))
    return Error::invalid("number_out_of_range", "a number in the request is out of range (too large to represent)");
  return value;
}

std::string_view json_kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "integer";
    case boost::json::kind::double_: return "number";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
  }
  return "value";
}

}  // namespace billhook::core
