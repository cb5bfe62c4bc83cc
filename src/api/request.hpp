#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "api/http.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::api {

// The decoded query string of a request. Every reader checks its value and names the
// parameter in its error; `allow_only` refuses parameters a route does not know (typos).
class Query {
 public:
  // Splits `target` into path and query; malformed percent-encoding is an error.
  static core::Result<Query> parse(std::string_view target);

  const std::string& path() const { return path_; }
  std::optional<std::string> get(std::string_view name) const;
  core::Status allow_only(std::initializer_list<std::string_view> names) const;
  // limit (1–100, default 10), starting_after, ending_before (ids of `kind`).
  core::Result<store::PageRequest> page(core::IdKind kind) const;
  // A whole-number parameter from `min` to `max` (invalid_value naming it otherwise); nullopt when absent.
  core::Result<std::optional<int64_t>> optional_int(std::string_view name, int64_t min, int64_t max) const;
  // A unix-seconds integer parameter, e.g. "created[gte]".
  core::Result<std::optional<int64_t>> unix_seconds(std::string_view name) const;

 private:
  std::string path_;
  std::vector<std::pair<std::string, std::string>> params_;
};

// Reads a JSON object request body field by field; each error names the field and says what
// it must be.
class Body {
 public:
  Body() = default;  // an empty object, for actions whose body is optional
  static core::Result<Body> parse(const HttpRequest& request, const core::JsonLimits& limits);
  // An object already parsed as part of a larger body (an item of a batch), read with the same rules.
  static Body of(boost::json::object object);

  const boost::json::object& object() const { return object_; }
  bool has(std::string_view name) const { return object_.contains(name); }
  core::Status allow_only(std::initializer_list<std::string_view> names) const;

  core::Result<std::string> required_string(std::string_view name, size_t max_length) const;
  core::Result<std::optional<std::string>> optional_string(std::string_view name, size_t max_length) const;
  core::Result<std::optional<bool>> optional_bool(std::string_view name) const;
  // An integer from `min` to `max`.
  core::Result<std::optional<int64_t>> optional_int(std::string_view name, int64_t min, int64_t max) const;
  // True if the field is present with the value null (which PATCH reads as "back to the default").
  bool is_null(std::string_view name) const;
  core::Result<std::optional<std::vector<std::string>>> optional_string_array(std::string_view name,
                                                                               size_t max_items,
                                                                               size_t max_length) const;
  // Stripe-style metadata: an object of up to 50 string values; returned serialized.
  core::Result<std::optional<std::string>> optional_metadata(std::string_view name) const;

 private:
  boost::json::object object_;
};

// Decodes %XX escapes (and '+' as a space in query strings); nullopt for a malformed escape or
// a result that is not valid UTF-8.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// The JSON type a value was, for "must be X, got Y" messages.
std::string describe_kind(const boost::json::value& value);

}  // namespace billhook::api
