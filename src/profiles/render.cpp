#include "profiles/render.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/money.hpp"

namespace billhook::profiles {
namespace json = boost::json;

namespace {

// Major-unit numbers must reach the wire digit for digit ("49.99", not a binary double), so they travel
// through the tree as strings with this marker and are written raw by serialize() below.
constexpr std::string_view kRawNumber = "\x1f" "raw-number:";
// The literal `omit` leaves an object member out (a field the provider shows only on some events).
constexpr std::string_view kOmit = "\x1f" "omit";

struct Context {
  const Profile& profile;
  const catalog::Catalog& catalog;
  const events::Event& event;
  const json::object& data;
  const std::string& name;
  const Rule* rule;
  const json::object& settings;
  const json::value* item = nullptr;
};

const json::value* walk(const json::value* at, std::string_view path) {
  while (at && !path.empty()) {
    const auto dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (at->is_object()) {
      at = at->get_object().if_contains(key);
    } else if (at->is_array()) {
      size_t index = 0;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec != std::errc() || end != key.data() + key.size() || index >= at->get_array().size()) return nullptr;
      at = &at->get_array()[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, std::string_view separator) {
  std::vector<std::string_view> out;
  for (size_t at = s.find(separator); at != std::string_view::npos; at = s.find(separator)) {
    out.push_back(trim(s.substr(0, at)));
    s = s.substr(at + separator.size());
  }
  out.push_back(trim(s));
  return out;
}

// A path's value in the context; nullopt when absent.
std::optional<json::value> lookup(const Context& c, std::string_view path) {
  const auto dot = path.find('.');
  const std::string_view root = path.substr(0, dot);
  const std::string_view rest = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  auto from = [&](const json::value& v) -> std::optional<json::value> {
    const json::value* found = walk(&v, rest);
    if (!found) return std::nullopt;
    return *found;
  };
  if (root == "event") {
    const auto& e = c.event;
    if (rest == "id") return json::value(e.id);
    if (rest == "type") return json::value(e.type);
    if (rest == "name") return json::value(c.name);
    if (rest == "created_ms") return json::value(e.created_ms);
    if (rest == "request_id") return e.request_id.empty() ? json::value(nullptr) : json::value(e.request_id);
    if (rest == "idempotency_key")
      return e.idempotency_key.empty() ? json::value(nullptr) : json::value(e.idempotency_key);
    return std::nullopt;
  }
  if (root == "aggregate") {
    if (!c.event.aggregate) return json::value(nullptr);
    if (rest == "type") return json::value(c.event.aggregate->type);
    if (rest == "id") return json::value(c.event.aggregate->id);
    if (rest == "sequence") return json::value(c.event.aggregate->sequence);
    return std::nullopt;
  }
  if (root == "api_version" && rest.empty()) return json::value(c.catalog.api_version());
  if (root == "data") return from(json::value(c.data));
  if (root == "object" || root == "previous") {
    const auto* member = c.data.if_contains(root == "object" ? "object" : "previous_attributes");
    if (!member) return std::nullopt;
    return from(*member);
  }
  if (root == "rule") {
    if (!c.rule) return std::nullopt;
    return from(json::value(c.rule->set));
  }
  if (root == "settings") return from(json::value(c.settings));
  if (root == "item") {
    if (!c.item) return std::nullopt;
    return from(*c.item);
  }
  return std::nullopt;
}

std::optional<json::value> literal(std::string_view term) {
  if (term.size() >= 2 && term.front() == '\'' && term.back() == '\'') return json::value(term.substr(1, term.size() - 2));
  if (term == "null") return json::value(nullptr);
  if (term == "omit") return json::value(kOmit);
  if (term == "true") return json::value(true);
  if (term == "false") return json::value(false);
  int64_t number = 0;
  auto [end, ec] = std::from_chars(term.data(), term.data() + term.size(), number);
  if (!term.empty() && ec == std::errc() && end == term.data() + term.size()) return json::value(number);
  return std::nullopt;
}

bool is_path(std::string_view term) {
  static constexpr std::array<std::string_view, 9> kRoots = {"event",  "aggregate", "api_version", "data", "object",
                                                           "previous", "rule",     "settings",    "item"};
  const std::string_view root = term.substr(0, term.find('.'));
  return std::find(kRoots.begin(), kRoots.end(), root) != kRoots.end();
}

std::string format_time(int64_t ms, TimeForm form) {
  const std::string full = core::format_unix_ms_rfc3339(ms);  // 2026-11-22T10:00:00.123Z
  switch (form) {
    case TimeForm::iso8601: return full.substr(0, 19) + "Z";
    case TimeForm::iso8601_ms: return full;
    case TimeForm::iso8601_local_ms: return full.substr(0, full.size() - 1);
    default: return full;
  }
}

json::value time_value(int64_t ms, TimeForm form) {
  switch (form) {
    case TimeForm::unix_s: return ms / 1000 - (ms % 1000 < 0 ? 1 : 0);  // floor, without negating INT64_MIN
    case TimeForm::unix_ms: return ms;
    default: return json::value(format_time(ms, form));
  }
}

std::string camel(std::string_view key) {
  std::string out;
  bool upper = false;
  for (char ch : key) {
    if (ch == '_') {
      upper = !out.empty();
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch);
    upper = false;
  }
  return out;
}

json::value camel_keys(const json::value& v) {
  if (v.is_object()) {
    json::object out;
    for (const auto& [key, value] : v.get_object()) out[camel(key)] = camel_keys(value);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.get_array()) out.push_back(camel_keys(item));
    return out;
  }
  return v;
}

std::string derived_hex(const json::value& v) {
  return core::sha256_hex(v.is_string() ? std::string(v.get_string()) : json::serialize(v)).substr(0, 32);
}

core::Result<json::value> apply_filter(const Context& c, json::value v, std::string_view filter) {
  const auto colon = filter.find(':');
  const std::string_view name = filter.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? std::string_view() : filter.substr(colon + 1);
  if (v.is_null()) return v;  // a missing value stays null through every step
  if (name == "time" || name == "time_ms") {
    if (!v.is_int64()) return v;
    const int64_t n = v.get_int64();
    if (name == "time" && c.profile.times == TimeForm::unix_s) return json::value(n);
    // Saturated: seconds that overflow as milliseconds are past every form's range (RFC 3339 ends at 9999).
    constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000;
    const int64_t ms = name == "time" ? std::clamp(n, -kMaxSeconds, kMaxSeconds) * 1000 : n;
    return time_value(ms, c.profile.times);
  }
  if (name == "amount") {
    if (!v.is_int64() || c.profile.amounts == AmountForm::minor) return v;
    const auto currency = lookup(c, arg.empty() ? std::string_view("object.currency") : arg);
    if (!currency || !currency->is_string()) return v;
    const auto exponent = core::currency_exponent(currency->get_string());
    if (!exponent) return v;  // unknown currency: minor units rather than an invented decimal point
    std::string major = core::format_minor(v.get_int64(), *exponent);
    if (c.profile.amounts == AmountForm::major_string) return json::value(major);
    return json::value(std::string(kRawNumber) + major);
  }
  if (name == "id") return json::value(std::string(arg) + derived_hex(v));
  if (name == "uuid") {
    std::string hex = derived_hex(v);
    hex[12] = '4';                                   // version 4 layout
    hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) % 4];  // RFC 4122 variant
    return json::value(fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                                   hex.substr(16, 4), hex.substr(20, 12)));
  }
  if (name == "upper" || name == "lower") {
    if (!v.is_string()) return v;
    std::string s(v.get_string());
    for (char& ch : s)
      ch = static_cast<char>(name == "upper" ? std::toupper(static_cast<unsigned char>(ch))
                                             : std::tolower(static_cast<unsigned char>(ch)));
    return json::value(s);
  }
  if (name == "two_digits") {
    // A month or a year as the last two digits of a string ("01", "25"), as Rapyd writes a card's expiry.
    if (!v.is_int64()) return json::value(nullptr);
    return json::value(fmt::format("{:02}", v.get_int64() % 100));
  }
  if (name == "string") return v.is_string() ? v : json::value(json::serialize(v));
  if (name == "map") {
    const auto* table = c.profile.maps.if_contains(arg);
    if (!table || !table->is_object() || !v.is_string()) return json::value(nullptr);
    const auto* mapped = table->get_object().if_contains(v.get_string());
    return mapped ? *mapped : json::value(nullptr);
  }
  if (name == "camel_keys") return camel_keys(v);
  return core::Error::internal(fmt::format("profile {}: unknown filter '{}'", c.profile.name, name));
}

core::Result<json::value> evaluate(const Context& c, std::string_view expression) {
  for (std::string_view alternative : split(expression, "??")) {
    const auto steps = split(alternative, "|");
    std::optional<json::value> v = literal(steps.front());
    if (!v) {
      if (!is_path(steps.front()))
        return core::Error::internal(
            fmt::format("profile {}: '{}' is neither a path nor a literal", c.profile.name, steps.front()));
      v = lookup(c, steps.front());
    }
    if (!v || v->is_null()) continue;
    for (size_t i = 1; i < steps.size(); ++i) {
      auto next = apply_filter(c, std::move(*v), steps[i]);
      if (!next) return std::move(next).error();
      v = std::move(*next);
    }
    if (!v->is_null()) return std::move(*v);
  }
  return json::value(nullptr);
}

core::Result<json::value> expand(const Context& c, const json::value& t) {
  if (t.is_string()) {
    const std::string_view s = t.get_string();
    if (s.starts_with("==")) return json::value(s.substr(1));
    if (s.starts_with("=")) return evaluate(c, s.substr(1));
    return t;
  }
  if (t.is_array()) {
    json::array out;
    for (const auto& item : t.get_array()) {
      auto v = expand(c, item);
      if (!v) return v;
      out.push_back(std::move(*v));
    }
    return json::value(std::move(out));
  }
  if (!t.is_object()) return t;
  const auto& o = t.get_object();
  if (const auto* test = o.if_contains("$if")) {
    if (!test->is_string()) return core::Error::internal("$if must name a path");
    auto v = lookup(c, test->get_string());
    const bool holds = v && !v->is_null() && *v != json::value(false);
    const auto* branch = o.if_contains(holds ? "then" : "else");
    return branch ? expand(c, *branch) : json::value(nullptr);
  }
  if (const auto* on = o.if_contains("$switch")) {
    if (!on->is_string()) return core::Error::internal("$switch must name a path");
    auto v = lookup(c, on->get_string());
    const auto* cases = o.if_contains("cases");
    if (v && v->is_string() && cases && cases->is_object())
      if (const auto* branch = cases->get_object().if_contains(v->get_string())) return expand(c, *branch);
    const auto* fallback = o.if_contains("default");
    return fallback ? expand(c, *fallback) : json::value(nullptr);
  }
  if (const auto* each = o.if_contains("$each")) {
    if (!each->is_string()) return core::Error::internal("$each must name a path");
    const auto* body = o.if_contains("do");
    if (!body) return core::Error::internal("$each needs a \"do\" template");
    auto list = lookup(c, each->get_string());
    if (!list || !list->is_array()) return json::value(json::array());
    json::array out;
    for (const auto& element : list->get_array()) {
      Context inner = c;
      inner.item = &element;
      auto v = expand(inner, *body);
      if (!v) return v;
      out.push_back(std::move(*v));
    }
    return json::value(std::move(out));
  }
  json::object out;
  for (const auto& [key, value] : o) {
    std::string out_key(key);
    if (key.starts_with("=")) {
      auto k = evaluate(c, std::string_view(key).substr(1));
      if (!k) return std::move(k).error();
      if (!k->is_string()) continue;  // an unnamed member is left out
      out_key = std::string(k->get_string());
    }
    auto v = expand(c, value);
    if (!v) return v;
    if (v->is_string() && v->get_string() == kOmit) continue;
    out[out_key] = std::move(*v);
  }
  return json::value(std::move(out));
}

void serialize_to(std::string& out, const json::value& v) {
  if (v.is_object()) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, value] : v.get_object()) {
      if (!first) out.push_back(',');
      first = false;
      out += json::serialize(json::string_view(key));
      out.push_back(':');
      serialize_to(out, value);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      serialize_to(out, item);
    }
    out.push_back(']');
  } else if (v.is_string() && v.get_string().starts_with(kRawNumber)) {
    out += std::string_view(v.get_string()).substr(kRawNumber.size());
  } else {
    out += json::serialize(v);
  }
}

bool condition_holds(const Context& c, const json::object& when) {
  for (const auto& [path, expected] : when) {
    const auto actual = lookup(c, path);
    const json::value value = actual ? *actual : json::value(nullptr);
    if (expected.is_object()) {
      const auto& test = expected.get_object();
      if (const auto* not_value = test.if_contains("not"); not_value && value == *not_value) return false;
      if (const auto* in = test.if_contains("in"); in && in->is_array()) {
        const auto& list = in->get_array();
        if (std::find(list.begin(), list.end(), value) == list.end()) return false;
      }
    } else if (value != expected) {
      return false;
    }
  }
  return true;
}

}  // namespace

json::object parse_event_data(const events::Event& event) {
  boost::system::error_code ec;
  auto parsed = json::parse(event.data_json, ec);
  if (ec || !parsed.is_object()) return {};
  return std::move(parsed.get_object());
}

std::optional<Naming> name_event(const Profile& profile, const catalog::Catalog& catalog, const events::Event& event,
                                 const json::object& data) {
  if (profile.native) return Naming{event.type, nullptr};
  static const json::object kNoSettings;
  static const std::string kNoName;
  const Context c{profile, catalog, event, data, kNoName, nullptr, kNoSettings};
  for (const auto& when : profile.unsent)
    if (condition_holds(c, when)) return std::nullopt;
  if (auto it = profile.events.find(event.type); it != profile.events.end()) {
    for (const auto& rule : it->second) {
      if (!condition_holds(c, rule.when)) continue;
      if (!rule.name) return std::nullopt;
      return Naming{*rule.name, &rule};
    }
    return std::nullopt;
  }
  if (!profile.alias_source.empty()) {
    if (const auto* type = catalog.find(event.type)) {
      for (const auto& alias : type->aliases)
        if (alias.source == profile.alias_source) return Naming{alias.name, nullptr};
    }
  }
  if (profile.others_canonical) return Naming{event.type, nullptr};
  return std::nullopt;
}

bool sends(const Profile& profile, const catalog::Catalog& catalog, const events::Event& event) {
  if (profile.native) return true;
  return name_event(profile, catalog, event, parse_event_data(event)).has_value();
}

std::optional<Rendered> render(const Profile& profile, const catalog::Catalog& catalog, const events::Event& event,
                               const json::object& settings) {
  const json::object data = parse_event_data(event);
  auto naming = name_event(profile, catalog, event, data);
  if (!naming) return std::nullopt;
  json::object visible;
  for (const auto& setting : profile.settings)
    if (!setting.secret)
      if (const auto* v = settings.if_contains(setting.name)) visible[setting.name] = *v;
  const Context c{profile, catalog, event, data, naming->name, naming->rule, visible};
  auto expanded = expand(c, profile.envelope);
  // Templates are checked when the profiles load, so a failure here is a defect in the data; send the
  // error text rather than nothing so that it shows in the delivery history.
  if (!expanded)
    return Rendered{naming->name, json::serialize(json::object{{"error", expanded.error().message}}), {}};
  Rendered out{naming->name, {}, {}};
  serialize_to(out.body, *expanded);
  for (const auto& [header, value] : profile.headers) {
    auto v = expand(c, value);
    if (!v || v->is_null()) continue;
    out.headers.emplace_back(std::string(header), v->is_string() ? std::string(v->get_string()) : json::serialize(*v));
  }
  return out;
}

core::Status check_template(const json::value& t, const Profile& profile) {
  auto check_expression = [&](std::string_view expression) -> core::Status {
    for (std::string_view alternative : split(expression, "??")) {
      const auto steps = split(alternative, "|");
      if (!literal(steps.front()) && !is_path(steps.front()))
        return core::Error::internal(
            fmt::format("profile {}: '{}' is neither a path nor a literal", profile.name, steps.front()));
      static constexpr std::array<std::string_view, 11> kFilters = {
          "time", "time_ms", "amount", "id", "uuid", "upper", "lower", "string", "two_digits", "map", "camel_keys"};
      for (size_t i = 1; i < steps.size(); ++i) {
        const std::string_view filter = steps[i].substr(0, steps[i].find(':'));
        if (std::find(kFilters.begin(), kFilters.end(), filter) == kFilters.end())
          return core::Error::internal(fmt::format("profile {}: unknown filter '{}'", profile.name, filter));
        if (filter == "map" && !profile.maps.contains(steps[i].substr(4)))
          return core::Error::internal(fmt::format("profile {}: no map '{}'", profile.name, steps[i].substr(4)));
      }
    }
    return {};
  };
  if (t.is_string()) {
    const std::string_view s = t.get_string();
    if (s.starts_with("=") && !s.starts_with("==")) return check_expression(s.substr(1));
    return {};
  }
  if (t.is_array()) {
    for (const auto& item : t.get_array())
      if (auto s = check_template(item, profile); !s) return s;
    return {};
  }
  if (!t.is_object()) return {};
  for (const auto& [key, value] : t.get_object()) {
    if (key.starts_with("=")) {
      if (auto s = check_expression(std::string_view(key).substr(1)); !s) return s;
    } else if ((key == "$each" || key == "$if" || key == "$switch") && value.is_string()) {
      if (!is_path(value.get_string()))
        return core::Error::internal(fmt::format("profile {}: {} needs a path", profile.name, std::string_view(key)));
      continue;
    }
    if (auto s = check_template(value, profile); !s) return s;
  }
  return {};
}

}  // namespace billhook::profiles
