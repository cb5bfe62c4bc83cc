#include "api/request.hpp"
#include "core/text.hpp"

#include <charconv>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::api {
namespace {

using core::Error;

constexpr int kDefaultLimit = 10;
constexpr int kMaxLimit = 100;
constexpr size_t kMaxMetadataKeys = 50;
constexpr size_t kMaxMetadataKeyLength = 40;
constexpr size_t kMaxMetadataValueLength = 500;

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

Error type_error(std::string_view name, std::string_view expected, const boost::json::value& got) {
  return Error::invalid("invalid_type", fmt::format("'{}' must be {}, got {}", name, expected, describe_kind(got)),
                        std::string(name));
}

core::Status allow_only_names(const std::vector<std::string>& present, std::initializer_list<std::string_view> names,
                              std::string_view what) {
  for (const auto& name : present) {
    bool known = false;
    for (auto allowed : names) known = known || name == allowed;
    if (!known) {
      std::string list;
      for (auto allowed : names) list += (list.empty() ? "" : ", ") + std::string(allowed);
      return Error::invalid("unknown_parameter",
                            fmt::format("unknown {} '{}'; allowed: {}", what, core::clip(name, 100),
                                        list.empty() ? "none" : list),
                            std::string(core::clip(name, 100)));
    }
  }
  return {};
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (core::find_invalid_utf8(out) != std::string::npos) return std::nullopt;
  return out;
}

std::string describe_kind(const boost::json::value& value) { return std::string(core::json_kind_name(value)); }

core::Result<Query> Query::parse(std::string_view target) {
  // Parsed by hand rather than by a strict URL grammar: people type `created[gte]=…` with raw
  // brackets, as Stripe-style APIs have taught them to.
  const size_t question = target.find('?');
  Query q;
  q.path_ = std::string(target.substr(0, question));
  if (q.path_.empty() || q.path_.front() != '/')
    return Error::invalid("invalid_url", "the request target must be a path starting with '/'");
  if (q.path_.size() > 1 && q.path_.back() == '/') q.path_.pop_back();
  if (question == std::string_view::npos) return q;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), /*plus_is_space=*/true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value)
      return Error::invalid("invalid_url", "the query string has a malformed %-escape or invalid UTF-8");
    q.params_.emplace_back(std::move(*key), std::move(*value));
  }
  return q;
}

std::optional<std::string> Query::get(std::string_view name) const {
  for (const auto& [k, v] : params_)
    if (k == name) return v;
  return std::nullopt;
}

core::Status Query::allow_only(std::initializer_list<std::string_view> names) const {
  std::vector<std::string> present;
  for (const auto& [k, v] : params_) present.push_back(k);
  return allow_only_names(present, names, "query parameter");
}

core::Result<store::PageRequest> Query::page(core::IdKind kind) const {
  store::PageRequest page;
  page.limit = kDefaultLimit;
  if (auto limit = get("limit")) {
    int value = 0;
    const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc() || end != limit->data() + limit->size() || value < 1 || value > kMaxLimit)
      return Error::invalid("invalid_limit", fmt::format("'limit' must be an integer from 1 to {}", kMaxLimit),
                            "limit");
    page.limit = value;
  }
  if (auto after = get("starting_after")) {
    if (auto s = core::check_id(kind, *after, "starting_after"); !s) return std::move(s).error();
    page.starting_after = *after;
  }
  if (auto before = get("ending_before")) {
    if (!page.starting_after.empty())
      return Error::invalid("invalid_cursor", "give either 'starting_after' or 'ending_before', not both",
                            "ending_before");
    if (auto s = core::check_id(kind, *before, "ending_before"); !s) return std::move(s).error();
    page.ending_before = *before;
  }
  return page;
}

core::Result<std::optional<int64_t>> Query::optional_int(std::string_view name, int64_t min, int64_t max) const {
  auto text = get(name);
  if (!text) return std::optional<int64_t>{};
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max)
    return Error::invalid("invalid_value", fmt::format("'{}' must be a whole number from {} to {}", name, min, max),
                          std::string(name));
  return std::optional<int64_t>{value};
}

core::Result<std::optional<int64_t>> Query::unix_seconds(std::string_view name) const {
  auto text = get(name);
  if (!text) return std::optional<int64_t>{};
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0 || value > 253402300799)
    return Error::invalid("invalid_timestamp", fmt::format("'{}' must be a unix time in seconds", name),
                          std::string(name));
  return std::optional<int64_t>{value};
}

core::Result<Body> Body::parse(const HttpRequest& request, const core::JsonLimits& limits) {
  // The body is JSON whatever Content-Type says: `curl -d` labels JSON as a form, and refusing
  // it would only get in a person's way.
  auto value = core::parse_json(request.body, limits);
  if (!value) return std::move(value).error();
  if (!value->is_object())
    return Error::invalid("invalid_body", fmt::format("the request body must be a JSON object, got {}",
                                                      describe_kind(*value)));
  Body body;
  body.object_ = std::move(value->get_object());
  return body;
}

Body Body::of(boost::json::object object) {
  Body body;
  body.object_ = std::move(object);
  return body;
}

core::Status Body::allow_only(std::initializer_list<std::string_view> names) const {
  std::vector<std::string> present;
  for (const auto& item : object_) present.emplace_back(item.key());
  return allow_only_names(present, names, "field");
}

core::Result<std::string> Body::required_string(std::string_view name, size_t max_length) const {
  if (!object_.contains(name))
    return Error::invalid("missing_field", fmt::format("'{}' is required", name), std::string(name));
  auto value = optional_string(name, max_length);
  if (!value) return std::move(value).error();
  if (!*value) return type_error(name, "a string", nullptr);
  if ((*value)->empty())
    return Error::invalid("invalid_value", fmt::format("'{}' must not be empty", name), std::string(name));
  return std::move(**value);
}

core::Result<std::optional<std::string>> Body::optional_string(std::string_view name, size_t max_length) const {
  const auto* v = object_.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return type_error(name, "a string", *v);
  const auto& s = v->get_string();
  if (code_points(s) > max_length)
    return Error::invalid("too_long", fmt::format("'{}' must be at most {} characters long", name, max_length),
                          std::string(name));
  return std::optional<std::string>{std::string(s)};
}

core::Result<std::optional<bool>> Body::optional_bool(std::string_view name) const {
  const auto* v = object_.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return type_error(name, "a boolean", *v);
  return std::optional<bool>{v->get_bool()};
}

core::Result<std::optional<int64_t>> Body::optional_int(std::string_view name, int64_t min, int64_t max) const {
  const auto* v = object_.if_contains(name);
  if (!v || v->is_null()) return std::optional<int64_t>{};
  const auto bad = [&] {
    return Error::invalid("invalid_value", fmt::format("'{}' must be an integer from {} to {}", name, min, max),
                          std::string(name));
  };
  int64_t value = 0;
  if (v->is_int64()) value = v->get_int64();
  else if (v->is_uint64()) return bad();
  else if (v->is_double() && v->get_double() == static_cast<double>(static_cast<int64_t>(v->get_double())))
    value = static_cast<int64_t>(v->get_double());
  else if (v->is_double()) return bad();
  else return type_error(name, "an integer", *v);
  if (value < min || value > max) return bad();
  return std::optional<int64_t>{value};
}

bool Body::is_null(std::string_view name) const {
  const auto* v = object_.if_contains(name);
  return v && v->is_null();
}

core::Result<std::optional<std::vector<std::string>>> Body::optional_string_array(std::string_view name,
                                                                                   size_t max_items,
                                                                                   size_t max_length) const {
  const auto* v = object_.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>{};
  if (!v->is_array()) return type_error(name, "an array of strings", *v);
  const auto& array = v->get_array();
  if (array.size() > max_items)
    return Error::invalid("too_many_items", fmt::format("'{}' may hold at most {} items", name, max_items),
                          std::string(name));
  std::vector<std::string> out;
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string item_name = fmt::format("{}[{}]", name, i);
    if (!array[i].is_string()) return type_error(item_name, "a string", array[i]);
    const auto& s = array[i].get_string();
    if (s.empty() || code_points(s) > max_length)
      return Error::invalid("invalid_value", fmt::format("'{}' must be 1 to {} characters long", item_name, max_length),
                            item_name);
    out.emplace_back(s);
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

core::Result<std::optional<std::string>> Body::optional_metadata(std::string_view name) const {
  const auto* v = object_.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_object()) return type_error(name, "an object of string values", *v);
  const auto& o = v->get_object();
  if (o.size() > kMaxMetadataKeys)
    return Error::invalid("too_many_items", fmt::format("'{}' may hold at most {} keys", name, kMaxMetadataKeys),
                          std::string(name));
  for (const auto& item : o) {
    const std::string item_name = fmt::format("{}.{}", name, core::clip_chars(item.key(), kMaxMetadataKeyLength));
    if (item.key().empty() || code_points(item.key()) > kMaxMetadataKeyLength)
      return Error::invalid("invalid_value",
                            fmt::format("keys of '{}' must be 1 to {} characters long", name, kMaxMetadataKeyLength),
                            item_name);
    if (!item.value().is_string()) return type_error(item_name, "a string", item.value());
    if (code_points(item.value().get_string()) > kMaxMetadataValueLength)
      return Error::invalid("too_long",
                            fmt::format("'{}' must be at most {} characters long", item_name, kMaxMetadataValueLength),
                            item_name);
  }
  return std::optional<std::string>{boost::json::serialize(o)};
}

}  // namespace billhook::api
