#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace billhook::core {

struct JsonLimits {
  size_t max_depth = 32;
};

// Parses untrusted JSON text. Errors are invalid_request with a message that says where and why:
// invalid UTF-8 (with its byte offset), a syntax error (with its byte offset), nesting deeper than
// the limit, a number out of range, or trailing data after the document.
Result<boost::json::value> parse_json(std::string_view text, const JsonLimits& limits = {});

// Byte offset of the first invalid UTF-8 sequence (overlongs, surrogates and values above
// U+10FFFF count as invalid), or npos if `text` is valid.
size_t find_invalid_utf8(std::string_view text);

// The JSON type name a person would use in an error message: "object", "string", "integer", …
std::string_view json_kind_name(const boost::json::value& v);

}  // namespace billhook::core
