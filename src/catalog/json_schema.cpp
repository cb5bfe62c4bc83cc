// GCC 12 with sanitizers and optimization reports false -Wmaybe-uninitialized inside
// libstdc++'s regex automaton (GCC bug 105616). Diagnostic regions follow source locations, so
// this silences it for the standard headers included here and not for the code below.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "catalog/json_schema.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Supported subset of draft 2020-12:
//   type, properties, required, additionalProperties, items, minItems, maxItems, enum, const,
//   minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern,
//   format (date-time, date, email, uri, currency), oneOf, anyOf, allOf, not,
//   $ref ("#/$defs/NAME" against the defs passed to compile()), boolean schemas.
// Annotations are ignored; every other keyword is refused so typos in the catalog surface at
// load time rather than as silently unchecked fields.

namespace billhook::catalog {

namespace json = boost::json;

namespace {

constexpr std::uint32_t kNoNode = std::numeric_limits<std::uint32_t>::max();

constexpr std::uint8_t kTypeObject = 1u << 0;
constexpr std::uint8_t kTypeArray = 1u << 1;
constexpr std::uint8_t kTypeString = 1u << 2;
constexpr std::uint8_t kTypeInteger = 1u << 3;
constexpr std::uint8_t kTypeNumber = 1u << 4;
constexpr std::uint8_t kTypeBoolean = 1u << 5;
constexpr std::uint8_t kTypeNull = 1u << 6;

struct TypeName {
  std::string_view name;
  std::uint8_t bit;
  std::string_view with_article;
};

constexpr std::array<TypeName, 7> kTypeNames{{
    {"object", kTypeObject, "an object"},
    {"array", kTypeArray, "an array"},
    {"string", kTypeString, "a string"},
    {"integer", kTypeInteger, "an integer"},
    {"number", kTypeNumber, "a number"},
    {"boolean", kTypeBoolean, "a boolean"},
    {"null", kTypeNull, "null"},
}};

// Beyond 2^53 not every integer has a double, so a double there is not a trustworthy integer.
constexpr double kMaxSafeInteger = 9007199254740992.0;

bool is_integral_double(double d) {
  return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kMaxSafeInteger;
}

std::uint8_t instance_types(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: return kTypeObject;
    case json::kind::array: return kTypeArray;
    case json::kind::string: return kTypeString;
    case json::kind::int64:
    case json::kind::uint64: return kTypeInteger | kTypeNumber;
    case json::kind::double_:
      return is_integral_double(v.get_double()) ? (kTypeInteger | kTypeNumber) : kTypeNumber;
    case json::kind::bool_: return kTypeBoolean;
    case json::kind::null: return kTypeNull;
  }
  return 0;
}

std::string_view instance_type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: return "object";
    case json::kind::array: return "array";
    case json::kind::string: return "string";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return is_integral_double(v.get_double()) ? "integer" : "number";
    case json::kind::bool_: return "boolean";
    case json::kind::null: return "null";
  }
  return "unknown";
}

// A number kept in its JSON representation, so that comparisons stay exact for integers that
// a double cannot hold (e.g. 9007199254740993).
struct Number {
  enum class Kind : std::uint8_t { negative_int, unsigned_int, floating };
  Kind kind = Kind::unsigned_int;
  std::int64_t i = 0;   // negative_int
  std::uint64_t u = 0;  // unsigned_int
  double d = 0;         // floating
};

Number to_number(const json::value& v) {
  Number n;
  if (v.is_int64()) {
    const std::int64_t i = v.get_int64();
    if (i < 0) {
      n.kind = Number::Kind::negative_int;
      n.i = i;
    } else {
      n.u = static_cast<std::uint64_t>(i);
    }
  } else if (v.is_uint64()) {
    n.u = v.get_uint64();
  } else {
    n.kind = Number::Kind::floating;
    n.d = v.get_double();
  }
  return n;
}

constexpr int kUnordered = 2;  // a NaN was involved

template <class T>
int three_way(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_int_double(std::int64_t i, double d) {
  if (std::isnan(d)) return kUnordered;
  if (d >= 0x1p63) return -1;
  if (d < -0x1p63) return 1;
  // d is within int64 range here, so its integral part converts exactly.
  const double whole = std::trunc(d);
  const auto whole_int = static_cast<std::int64_t>(whole);
  if (i != whole_int) return three_way(i, whole_int);
  const double fraction = d - whole;
  return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0);
}

int compare_uint_double(std::uint64_t u, double d) {
  if (std::isnan(d)) return kUnordered;
  if (d < 0) return 1;
  if (d >= 0x1p64) return -1;
  const double whole = std::trunc(d);
  const auto whole_uint = static_cast<std::uint64_t>(whole);
  if (u != whole_uint) return three_way(u, whole_uint);
  return d > whole ? -1 : 0;
}

int compare(const Number& a, const Number& b) {
  using Kind = Number::Kind;
  if (a.kind == Kind::floating && b.kind == Kind::floating) {
    if (std::isnan(a.d) || std::isnan(b.d)) return kUnordered;
    return three_way(a.d, b.d);
  }
  if (a.kind == Kind::floating) {
    const int reversed = compare(b, a);
    return reversed == kUnordered ? kUnordered : -reversed;
  }
  if (b.kind == Kind::floating) {
    return a.kind == Kind::negative_int ? compare_int_double(a.i, b.d)
                                        : compare_uint_double(a.u, b.d);
  }
  if (a.kind == Kind::negative_int && b.kind == Kind::negative_int) return three_way(a.i, b.i);
  if (a.kind == Kind::negative_int) return -1;
  if (b.kind == Kind::negative_int) return 1;
  return three_way(a.u, b.u);
}

bool deep_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return compare(to_number(a), to_number(b)) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!deep_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& member : x) {
        const auto it = y.find(member.key());
        if (it == y.end() || !deep_equal(member.value(), it->value())) return false;
      }
      return true;
    }
    default: return false;  // numbers were handled above
  }
}

std::string render_number(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  // Shortest round-trip form: 100.0 renders as "100", 0.1 as "0.1".
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v.get_double());
  return std::string(buffer.data(), result.ptr);
}

// Strings without quotes read better in messages ("must be one of: draft, open").
std::string render_value(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_number()) return render_number(v);
  return json::serialize(v);
}

std::size_t count_code_points(std::string_view s) {
  std::size_t count = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space_or_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F;
}

bool read_digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (!is_ascii_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Reads YYYY-MM-DD from the start of `s`. Days are checked against the month (RFC 3339 5.7),
// which also keeps every day within 1-31.
bool read_full_date(std::string_view s) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!read_digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !read_digits(s, 5, 2, month) ||
      s[7] != '-' || !read_digits(s, 8, 2, day)) {
    return false;
  }
  return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

bool is_date(std::string_view s) { return s.size() == 10 && read_full_date(s); }

bool is_date_time(std::string_view s) {
  if (!read_full_date(s) || s.size() < 20 || (s[10] != 'T' && s[10] != 't')) return false;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!read_digits(s, 11, 2, hour) || s[13] != ':' || !read_digits(s, 14, 2, minute) ||
      s[16] != ':' || !read_digits(s, 17, 2, second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 60) return false;  // 60: leap second
  std::size_t pos = 19;
  if (s[pos] == '.') {
    const std::size_t first_digit = ++pos;
    while (pos < s.size() && is_ascii_digit(s[pos])) ++pos;
    if (pos == first_digit) return false;
  }
  if (pos >= s.size()) return false;
  const char zone = s[pos];
  if (zone == 'Z' || zone == 'z') return pos + 1 == s.size();
  if (zone != '+' && zone != '-') return false;
  int offset_hour = 0;
  int offset_minute = 0;
  if (s.size() != pos + 6 || !read_digits(s, pos + 1, 2, offset_hour) || s[pos + 3] != ':' ||
      !read_digits(s, pos + 4, 2, offset_minute)) {
    return false;
  }
  return offset_hour <= 23 && offset_minute <= 59;
}

bool is_email(std::string_view s) {
  if (std::any_of(s.begin(), s.end(), is_space_or_control)) return false;
  const std::size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = s.substr(at + 1);
  return !domain.empty() && domain.front() != '.' && domain.back() != '.' &&
         domain.find('.') != std::string_view::npos &&
         domain.find("..") == std::string_view::npos;
}

bool is_uri(std::string_view s) {
  if (s.empty() || !is_ascii_alpha(s[0])) return false;
  std::size_t pos = 1;
  while (pos < s.size() && (is_ascii_alpha(s[pos]) || is_ascii_digit(s[pos]) || s[pos] == '+' ||
                            s[pos] == '.' || s[pos] == '-')) {
    ++pos;
  }
  if (pos + 1 >= s.size() || s[pos] != ':') return false;  // needs "scheme:" and something after
  return std::none_of(s.begin(), s.end(), is_space_or_control);
}

bool is_currency(std::string_view s) {
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  return s.size() == 3 && std::all_of(s.begin(), s.end(), upper);
}

enum class Format : std::uint8_t { none, date_time, date, email, uri, currency };

struct FormatInfo {
  std::string_view name;
  Format format;
  std::string_view message;
};

constexpr std::array<FormatInfo, 5> kFormats{{
    {"date-time", Format::date_time,
     "must be a date-time in RFC 3339 form, e.g. 2026-11-22T10:00:00Z"},
    {"date", Format::date, "must be a date in YYYY-MM-DD form, e.g. 2026-11-22"},
    {"email", Format::email, "must be an email address, e.g. billing@example.com"},
    {"uri", Format::uri, "must be an absolute URI, e.g. https://example.com/webhooks"},
    {"currency", Format::currency,
     "must be a 3-letter uppercase ISO 4217 currency code, e.g. EUR"},
}};

bool matches_format(Format format, std::string_view s) {
  switch (format) {
    case Format::none: return true;
    case Format::date_time: return is_date_time(s);
    case Format::date: return is_date(s);
    case Format::email: return is_email(s);
    case Format::uri: return is_uri(s);
    case Format::currency: return is_currency(s);
  }
  return false;
}

std::string_view format_message(Format format) {
  for (const FormatInfo& info : kFormats) {
    if (info.format == format) return info.message;
  }
  return "has an unexpected format";
}

// One entry per property the schema names, in schema order; required-only names come last.
struct PropertyRule {
  std::string name;
  std::uint32_t node = kNoNode;  // kNoNode: named in `required` but not in `properties`
  bool required = false;
};

struct Bound {
  Number limit;
  std::string message;
};

enum class Additional : std::uint8_t { allow, forbid, schema };

struct Node {
  bool reject_all = false;  // the `false` schema
  std::uint8_t types = 0;   // 0: any type
  // Types this node (or the chain of $refs it is made of) declares; used to pick which anyOf /
  // oneOf alternative to blame.
  std::uint8_t effective_types = 0;
  std::string type_message;

  std::vector<json::value> enum_values;
  std::string enum_message;
  std::optional<json::value> const_value;
  std::string const_message;

  // Set when any object keyword is present, so other objects skip check_object().
  bool has_object_rules = false;
  std::vector<PropertyRule> properties;
  std::vector<std::string> declared_names;  // sorted, for additionalProperties lookups
  Additional additional = Additional::allow;
  std::uint32_t additional_node = kNoNode;

  bool has_array_rules = false;
  std::uint32_t items = kNoNode;
  std::optional<std::size_t> min_items;
  std::optional<std::size_t> max_items;
  std::string min_items_message;
  std::string max_items_message;

  bool has_number_rules = false;
  std::optional<Bound> minimum;
  std::optional<Bound> exclusive_minimum;
  std::optional<Bound> maximum;
  std::optional<Bound> exclusive_maximum;

  bool has_string_rules = false;
  std::optional<std::size_t> min_length;
  std::optional<std::size_t> max_length;
  std::string min_length_message;
  std::string max_length_message;
  std::shared_ptr<const std::regex> pattern;  // shared by every node with the same source (compiled_pattern)
  std::string pattern_message;
  Format format = Format::none;

  std::uint32_t ref = kNoNode;
  std::vector<std::uint32_t> all_of;
  std::vector<std::uint32_t> any_of;
  std::vector<std::uint32_t> one_of;
  std::uint32_t not_node = kNoNode;
};

// One step of an instance path, collected innermost-first while a failure unwinds, so nothing
// is built unless validation fails. Keys point into the instance or the compiled schema, both
// of which outlive the validate() call.
struct Segment {
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  static Segment member(std::string_view name) { return {name, 0, false}; }
  static Segment element(std::size_t i) { return {{}, i, true}; }
};

struct Failure {
  std::vector<Segment> reversed_path;
  std::string message;
};

bool fail(Failure* out, std::string_view message) {
  if (out != nullptr) out->message.assign(message);
  return false;
}

// `out == nullptr` means "just answer yes or no" (used for anyOf/oneOf/not alternatives), which
// keeps those probes free of allocations.
class Validator {
 public:
  explicit Validator(const std::vector<Node>& nodes) : nodes_(nodes) {}

  bool check(std::uint32_t index, const json::value& v, Failure* out) const {
    const Node& node = nodes_[index];
    if (node.reject_all) return fail(out, "is not allowed");
    if (node.types != 0 && (node.types & instance_types(v)) == 0) {
      if (out != nullptr) {
        out->message = node.type_message;
        out->message += ", got ";
        out->message += instance_type_name(v);
      }
      return false;
    }
    if (!node.enum_values.empty() &&
        std::none_of(node.enum_values.begin(), node.enum_values.end(),
                     [&](const json::value& allowed) { return deep_equal(allowed, v); })) {
      return fail(out, node.enum_message);
    }
    if (node.const_value && !deep_equal(*node.const_value, v)) return fail(out, node.const_message);

    switch (v.kind()) {
      case json::kind::object:
        if (node.has_object_rules && !check_object(node, v.get_object(), out)) return false;
        break;
      case json::kind::array:
        if (node.has_array_rules && !check_array(node, v.get_array(), out)) return false;
        break;
      case json::kind::string:
        if (node.has_string_rules && !check_string(node, v.get_string(), out)) return false;
        break;
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        if (node.has_number_rules && !check_number(node, v, out)) return false;
        break;
      default: break;
    }

    if (node.ref != kNoNode && !check(node.ref, v, out)) return false;
    for (const std::uint32_t child : node.all_of) {
      if (!check(child, v, out)) return false;
    }
    if (!node.any_of.empty() && !check_any_of(node, v, out)) return false;
    if (!node.one_of.empty() && !check_one_of(node, v, out)) return false;
    if (node.not_node != kNoNode && check(node.not_node, v, nullptr)) {
      return fail(out, "must not match the disallowed shape");
    }
    return true;
  }

 private:
  bool check_object(const Node& node, const json::object& object, Failure* out) const {
    for (const PropertyRule& rule : node.properties) {
      const auto it = object.find(rule.name);
      if (it == object.end()) {
        if (!rule.required) continue;
        if (out != nullptr) {
          out->message = "is required";
          out->reversed_path.push_back(Segment::member(rule.name));
        }
        return false;
      }
      if (rule.node != kNoNode && !check(rule.node, it->value(), out)) {
        if (out != nullptr) out->reversed_path.push_back(Segment::member(rule.name));
        return false;
      }
    }
    if (node.additional == Additional::allow) return true;
    for (const auto& member : object) {
      const std::string_view key = member.key();
      if (std::binary_search(node.declared_names.begin(), node.declared_names.end(), key,
                             [](std::string_view a, std::string_view b) { return a < b; })) {
        continue;
      }
      if (node.additional == Additional::forbid) {
        if (out != nullptr) {
          out->message = "is not allowed (unknown field)";
          out->reversed_path.push_back(Segment::member(key));
        }
        return false;
      }
      if (!check(node.additional_node, member.value(), out)) {
        if (out != nullptr) out->reversed_path.push_back(Segment::member(key));
        return false;
      }
    }
    return true;
  }

  bool check_array(const Node& node, const json::array& array, Failure* out) const {
    if (node.min_items && array.size() < *node.min_items) return fail(out, node.min_items_message);
    if (node.max_items && array.size() > *node.max_items) return fail(out, node.max_items_message);
    if (node.items == kNoNode) return true;
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (!check(node.items, array[i], out)) {
        if (out != nullptr) out->reversed_path.push_back(Segment::element(i));
        return false;
      }
    }
    return true;
  }

  static bool check_string(const Node& node, std::string_view s, Failure* out) {
    if (node.min_length || node.max_length) {
      // The byte length bounds the code point count from above, which settles most strings
      // without counting.
      std::optional<std::size_t> code_points;
      const auto length = [&] {
        if (!code_points) code_points = count_code_points(s);
        return *code_points;
      };
      if (node.min_length && (s.size() < *node.min_length || length() < *node.min_length)) {
        return fail(out, node.min_length_message);
      }
      if (node.max_length && s.size() > *node.max_length && length() > *node.max_length) {
        return fail(out, node.max_length_message);
      }
    }
    if (node.pattern) {
      bool found = false;
      try {
        found = std::regex_search(s.data(), s.data() + s.size(), *node.pattern);
      } catch (const std::regex_error&) {
        found = false;  // too complex to evaluate on this input: refuse rather than let it through
      }
      if (!found) return fail(out, node.pattern_message);
    }
    if (node.format != Format::none && !matches_format(node.format, s)) {
      return fail(out, format_message(node.format));
    }
    return true;
  }

  static bool check_number(const Node& node, const json::value& v, Failure* out) {
    const Number n = to_number(v);
    // A NaN (possible only in programmatically built values) fails every bound.
    if (node.minimum) {
      const int c = compare(n, node.minimum->limit);
      if (c == -1 || c == kUnordered) return fail(out, node.minimum->message);
    }
    if (node.exclusive_minimum && compare(n, node.exclusive_minimum->limit) != 1) {
      return fail(out, node.exclusive_minimum->message);
    }
    if (node.maximum) {
      const int c = compare(n, node.maximum->limit);
      if (c == 1 || c == kUnordered) return fail(out, node.maximum->message);
    }
    if (node.exclusive_maximum && compare(n, node.exclusive_maximum->limit) != -1) {
      return fail(out, node.exclusive_maximum->message);
    }
    return true;
  }

  bool check_any_of(const Node& node, const json::value& v, Failure* out) const {
    for (const std::uint32_t alternative : node.any_of) {
      if (check(alternative, v, nullptr)) return true;
    }
    return report_no_match(node.any_of, v, out, "must match at least one of the allowed shapes");
  }

  bool check_one_of(const Node& node, const json::value& v, Failure* out) const {
    std::size_t matched = 0;
    for (const std::uint32_t alternative : node.one_of) {
      if (check(alternative, v, nullptr)) {
        ++matched;
        // Without a report to write, the exact count does not matter.
        if (matched > 1 && out == nullptr) return false;
      }
    }
    if (matched == 1) return true;
    if (matched == 0) {
      return report_no_match(node.one_of, v, out,
                             "must match exactly one of the allowed shapes (matched 0)");
    }
    return fail(out, "must match exactly one of the allowed shapes (matched " +
                         std::to_string(matched) + ")");
  }

  // When exactly one alternative is declared for the instance's type, its own violation says
  // far more ("must be a date ...") than a generic "matched none".
  bool report_no_match(const std::vector<std::uint32_t>& alternatives, const json::value& v,
                       Failure* out, std::string_view generic) const {
    if (out == nullptr) return false;
    const std::uint8_t types = instance_types(v);
    std::uint32_t candidate = kNoNode;
    std::size_t candidates = 0;
    for (const std::uint32_t alternative : alternatives) {
      if ((nodes_[alternative].effective_types & types) != 0) {
        ++candidates;
        candidate = alternative;
      }
    }
    // The candidate already failed once without a report, so this run fails too and fills `out`.
    if (candidates == 1) return check(candidate, v, out);
    return fail(out, generic);
  }

  const std::vector<Node>& nodes_;
};

std::string escape_pointer(std::string_view token) {
  std::string escaped;
  escaped.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::optional<std::string> unescape_pointer(std::string_view token) {
  std::string name;
  name.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      name += token[i];
      continue;
    }
    if (i + 1 >= token.size() || (token[i + 1] != '0' && token[i + 1] != '1')) return std::nullopt;
    name += token[i + 1] == '0' ? '~' : '/';
    ++i;
  }
  return name;
}

// What std::regex is given. libstdc++'s regex compiler is recursive (a level of its stack per character
// and per group), reads repetition counts into a long unchecked, and builds a state per repetition; its
// default matcher recurses once per character matched (a 100,000-digit amount overflowed an 8 MiB stack)
// and backtracks exponentially on patterns like (a+)+$. So patterns are compiled in libstdc++'s polynomial
// mode (a breadth-first matcher, linear in the input and shallow whatever its length), which has no
// back-references, and within limits no event schema comes near: found by fuzz_json_schema, one by one.
constexpr size_t kMaxPatternLength = 1000;
constexpr int kMaxPatternNesting = 32;    // groups inside groups
constexpr uint64_t kMaxPatternNumber = 1000;  // a {n,m} repetition count
constexpr size_t kMaxDigitRun = 18;       // a long holds any 18 digits; libstdc++ overflows on 19

// Why std::regex must not be given `pattern`, if it must not. The scan must take each escape as
// libstdc++'s scanner does, or a character it treats as escaped opens a class here and hides what follows:
// \cX takes any X as its control character (a\c[{33333333333333333333} repeats "\c[" that many times).
std::optional<std::string> pattern_refusal(std::string_view pattern) {
  if (pattern.size() > kMaxPatternLength)
    return "is " + std::to_string(pattern.size()) + " characters long; patterns allow at most " +
           std::to_string(kMaxPatternLength);
  bool in_class = false;
  bool in_braces = false;
  int depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char escaped = pattern[i + 1];
      if (escaped >= '1' && escaped <= '9')
        return std::string("uses a back-reference (\\") + escaped +
               "); patterns are matched in linear time, which back-references do not allow";
      i += escaped == 'c' ? 2 : 1;  // \cX: X is escaped too
      continue;
    }
    if (in_braces && is_ascii_digit(c)) {
      uint64_t value = 0;
      for (; i < pattern.size() && is_ascii_digit(pattern[i]); ++i) {
        value = value * 10 + static_cast<uint64_t>(pattern[i] - '0');
        if (value > kMaxPatternNumber)
          return "repeats something more than " + std::to_string(kMaxPatternNumber) +
                 " times; patterns allow at most that";
      }
      --i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '{') {
      in_braces = true;
    } else if (c == '}') {
      in_braces = false;
    } else if (c == '(' && ++depth > kMaxPatternNesting) {
      return "nests groups more than " + std::to_string(kMaxPatternNesting) + " deep; patterns allow at most that";
    } else if (c == ')') {
      --depth;
    }
  }
  // A safety net under the scan: refusing 19 digits in a row anywhere keeps libstdc++'s overflow out even
  // where this scan and libstdc++'s disagree on what the digits mean.
  size_t run = 0;
  for (const char c : pattern) {
    run = is_ascii_digit(c) ? run + 1 : 0;
    if (run > kMaxDigitRun)
      return "holds more than " + std::to_string(kMaxDigitRun) + " digits in a row; patterns allow at most that";
  }
  return std::nullopt;
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string plural(std::size_t n, std::string_view noun) {
  std::string out = std::to_string(n);
  out += ' ';
  out += noun;
  if (n != 1) out += 's';
  return out;
}

constexpr std::array<std::string_view, 22> kSupportedKeywords{
    "type",      "properties", "required",         "additionalProperties",
    "items",     "minItems",   "maxItems",         "enum",
    "const",     "minimum",    "maximum",          "exclusiveMinimum",
    "exclusiveMaximum",        "minLength",        "maxLength",
    "pattern",   "format",     "oneOf",            "anyOf",
    "allOf",     "not",        "$ref",
};

constexpr std::array<std::string_view, 11> kAnnotationKeywords{
    "title",    "description", "examples", "default", "$comment", "deprecated",
    "readOnly", "writeOnly",   "$schema",  "$id",     "$defs",
};

// Real JSON Schema keywords this validator does not implement; refusing them by name tells the
// catalog author the rule would not be enforced, rather than calling it a typo.
constexpr std::array<std::string_view, 27> kUnsupportedKeywords{
    "patternProperties", "propertyNames",    "dependentRequired", "dependentSchemas",
    "dependencies",      "if",               "then",              "else",
    "prefixItems",       "additionalItems",  "contains",          "minContains",
    "maxContains",       "uniqueItems",      "unevaluatedItems",  "unevaluatedProperties",
    "multipleOf",        "minProperties",    "maxProperties",     "$anchor",
    "$dynamicRef",       "$dynamicAnchor",   "$recursiveRef",     "$vocabulary",
    "definitions",       "contentMediaType", "contentEncoding",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion_for(std::string_view keyword) {
  std::string_view best;
  std::size_t best_distance = 3;  // farther than 2 edits is a different word, not a typo
  const auto consider = [&](std::string_view candidate) {
    const std::size_t d = edit_distance(keyword, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  };
  for (const std::string_view k : kSupportedKeywords) consider(k);
  for (const std::string_view k : kAnnotationKeywords) consider(k);
  if (best.empty()) return {};
  return " (did you mean " + quoted(best) + "?)";
}

std::string type_list_message(std::uint8_t types) {
  std::vector<std::string_view> names;
  for (const TypeName& t : kTypeNames) {
    // "number" already covers integers; saying both would read oddly.
    if (t.bit == kTypeInteger && (types & kTypeNumber) != 0) continue;
    if ((types & t.bit) != 0) names.push_back(t.with_article);
  }
  std::string message = "must be ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) message += i + 1 == names.size() ? " or " : ", ";
    message += names[i];
  }
  return message;
}

// The catalog's schemas use a handful of patterns hundreds of times over (every event type compiles the defs it
// refers to), and libstdc++ builds each regex's automaton slowly: a source is compiled once and shared for as
// long as a schema holds it. Only that long: the map keeps weak references and drops the expired ones whenever
// it compiles, so compiling many schemas one after another (fuzz_json_schema ran out of memory when the map
// kept every regex forever) holds no more than the schemas alive. A std::regex is safe to search from several
// threads at once. Throws std::regex_error as std::regex does.
std::shared_ptr<const std::regex> compiled_pattern(const std::string& source) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::weak_ptr<const std::regex>> compiled;
  const std::lock_guard lock(mutex);
  if (auto shared = compiled[source].lock()) return shared;
  std::erase_if(compiled, [](const auto& entry) { return entry.second.expired(); });
  auto fresh = std::make_shared<const std::regex>(
      source, std::regex::ECMAScript | std::regex::optimize | std::regex_constants::__polynomial);
  compiled[source] = fresh;
  return fresh;
}

class Compiler {
 public:
  explicit Compiler(const json::object& defs) : defs_(defs) {}

  // Returns the root node index, or kNoNode with error() set.
  std::uint32_t run(const json::value& schema) {
    const std::uint32_t root = compile("#", schema);
    if (root == kNoNode) return kNoNode;
    if (!check_ref_cycles()) return kNoNode;
    compute_effective_types();
    return root;
  }

  std::vector<Node> take_nodes() { return std::move(nodes_); }
  core::Error take_error() { return std::move(error_); }

 private:
  std::uint32_t reserve(std::string path) {
    const auto index = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    paths_.push_back(std::move(path));
    return index;
  }

  std::uint32_t compile(std::string path, const json::value& schema) {
    const std::uint32_t index = reserve(std::move(path));
    return compile_into(index, schema) ? index : kNoNode;
  }

  // Fills nodes_[index]. Children are appended to nodes_ meanwhile, so the node is built aside
  // and moved in at the end rather than referenced while the vector grows.
  bool compile_into(std::uint32_t index, const json::value& schema) {
    const std::string path = paths_[index];
    Node node;
    if (schema.is_bool()) {
      node.reject_all = !schema.get_bool();
      nodes_[index] = std::move(node);
      return true;
    }
    if (!schema.is_object()) {
      return fail(path, "a schema must be an object or a boolean, got " +
                            std::string(instance_type_name(schema)));
    }

    std::vector<std::pair<std::string, std::uint32_t>> properties;
    std::vector<std::string> required;

    for (const auto& member : schema.get_object()) {
      const std::string_view keyword = member.key();
      const json::value& value = member.value();
      const std::string at = path + "/" + escape_pointer(keyword);

      if (keyword == "type") {
        if (!compile_type(node, value, at)) return false;
      } else if (keyword == "properties") {
        if (!value.is_object()) return fail(at, "must be an object of schemas");
        node.has_object_rules = true;
        for (const auto& property : value.get_object()) {
          const std::uint32_t child =
              compile(at + "/" + escape_pointer(property.key()), property.value());
          if (child == kNoNode) return false;
          properties.emplace_back(std::string(property.key()), child);
        }
      } else if (keyword == "required") {
        if (!value.is_array()) return fail(at, "must be an array of property names");
        node.has_object_rules = true;
        for (const json::value& name : value.get_array()) {
          if (!name.is_string()) return fail(at, "must contain only strings");
          const std::string_view text = name.get_string();
          if (std::find(required.begin(), required.end(), text) != required.end()) {
            return fail(at, "lists " + quoted(text) + " twice");
          }
          required.emplace_back(text);
        }
      } else if (keyword == "additionalProperties") {
        node.has_object_rules = true;
        if (value.is_bool()) {
          node.additional = value.get_bool() ? Additional::allow : Additional::forbid;
        } else {
          node.additional = Additional::schema;
          node.additional_node = compile(at, value);
          if (node.additional_node == kNoNode) return false;
        }
      } else if (keyword == "items") {
        if (value.is_array()) {
          return fail(at, "must be a single schema (the array form of items is not supported)");
        }
        node.has_array_rules = true;
        node.items = compile(at, value);
        if (node.items == kNoNode) return false;
      } else if (keyword == "minItems" || keyword == "maxItems") {
        const auto count = read_count(value, at);
        if (!count) return false;
        node.has_array_rules = true;
        if (keyword == "minItems") {
          node.min_items = *count;
          node.min_items_message = "must have at least " + plural(*count, "item");
        } else {
          node.max_items = *count;
          node.max_items_message = "must have at most " + plural(*count, "item");
        }
      } else if (keyword == "minLength" || keyword == "maxLength") {
        const auto count = read_count(value, at);
        if (!count) return false;
        node.has_string_rules = true;
        if (keyword == "minLength") {
          node.min_length = *count;
          node.min_length_message = "must be at least " + plural(*count, "character") + " long";
        } else {
          node.max_length = *count;
          node.max_length_message = "must be at most " + plural(*count, "character") + " long";
        }
      } else if (keyword == "enum") {
        if (!value.is_array() || value.get_array().empty()) {
          return fail(at, "must be a non-empty array of allowed values");
        }
        std::string message = "must be one of: ";
        for (const json::value& allowed : value.get_array()) {
          if (!node.enum_values.empty()) message += ", ";
          message += render_value(allowed);
          node.enum_values.push_back(allowed);
        }
        node.enum_message = std::move(message);
      } else if (keyword == "const") {
        node.const_value = value;
        node.const_message = "must be exactly " + render_value(value);
      } else if (keyword == "minimum" || keyword == "maximum" || keyword == "exclusiveMinimum" ||
                 keyword == "exclusiveMaximum") {
        if (!compile_bound(node, keyword, value, at)) return false;
      } else if (keyword == "pattern") {
        if (!value.is_string()) return fail(at, "must be a regular expression string");
        const std::string source(value.get_string());
        if (auto refused = pattern_refusal(source)) return fail(at, *refused);
        try {
          node.pattern = compiled_pattern(source);
        } catch (const std::regex_error& e) {
          return fail(at, "is not a valid ECMAScript regular expression: " + std::string(e.what()));
        }
        node.has_string_rules = true;
        node.pattern_message = "must match pattern " + source;
      } else if (keyword == "format") {
        if (!value.is_string()) return fail(at, "must be a format name string");
        const std::string_view name = value.get_string();
        const auto known = std::find_if(kFormats.begin(), kFormats.end(),
                                        [&](const FormatInfo& f) { return f.name == name; });
        if (known == kFormats.end()) {
          return fail(at, "unknown format " + quoted(name) +
                              " (supported: date-time, date, email, uri, currency)");
        }
        node.has_string_rules = true;
        node.format = known->format;
      } else if (keyword == "allOf" || keyword == "anyOf" || keyword == "oneOf") {
        if (!value.is_array() || value.get_array().empty()) {
          return fail(at, "must be a non-empty array of schemas");
        }
        std::vector<std::uint32_t>& target =
            keyword == "allOf" ? node.all_of : (keyword == "anyOf" ? node.any_of : node.one_of);
        const json::array& alternatives = value.get_array();
        for (std::size_t i = 0; i < alternatives.size(); ++i) {
          const std::uint32_t child = compile(at + "/" + std::to_string(i), alternatives[i]);
          if (child == kNoNode) return false;
          target.push_back(child);
        }
      } else if (keyword == "not") {
        node.not_node = compile(at, value);
        if (node.not_node == kNoNode) return false;
      } else if (keyword == "$ref") {
        if (!value.is_string()) return fail(at, "must be a string like \"#/$defs/NAME\"");
        node.ref = resolve(value.get_string(), at);
        if (node.ref == kNoNode) return false;
      } else if (contains(kAnnotationKeywords, keyword) || keyword.starts_with("x-")) {
        // Documentation only; $defs arrive through compile()'s `defs` argument instead.
      } else if (contains(kUnsupportedKeywords, keyword)) {
        return fail(path, "keyword " + quoted(keyword) + " is not supported by this validator");
      } else {
        return fail(path, "unknown keyword " + quoted(keyword) + suggestion_for(keyword));
      }
    }

    if (!finish_object_rules(node, std::move(properties), std::move(required), path)) {
      return false;
    }
    nodes_[index] = std::move(node);
    return true;
  }

  bool compile_type(Node& node, const json::value& value, const std::string& at) {
    const auto add = [&](const json::value& name) {
      if (!name.is_string()) return fail(at, "must name types as strings");
      const std::string_view text = name.get_string();
      for (const TypeName& t : kTypeNames) {
        if (t.name != text) continue;
        if ((node.types & t.bit) != 0) return fail(at, "lists " + quoted(text) + " twice");
        node.types = static_cast<std::uint8_t>(node.types | t.bit);
        return true;
      }
      return fail(at, "has unknown type " + quoted(text) +
                          " (expected object, array, string, integer, number, boolean or null)");
    };
    if (value.is_string()) {
      if (!add(value)) return false;
    } else if (value.is_array() && !value.get_array().empty()) {
      for (const json::value& name : value.get_array()) {
        if (!add(name)) return false;
      }
    } else {
      return fail(at, "must be a type name or a non-empty array of type names");
    }
    node.type_message = type_list_message(node.types);
    return true;
  }

  bool compile_bound(Node& node, std::string_view keyword, const json::value& value,
                     const std::string& at) {
    if (!value.is_number()) {
      if (value.is_bool() && keyword.starts_with("exclusive")) {
        return fail(at, "must be a number (the boolean form is from draft 4; write the limit "
                        "itself, e.g. \"exclusiveMinimum\": 0)");
      }
      return fail(at, "must be a number, got " + std::string(instance_type_name(value)));
    }
    const std::string limit = render_number(value);
    Bound bound{to_number(value), {}};
    node.has_number_rules = true;
    if (keyword == "minimum") {
      bound.message = "must be at least " + limit;
      node.minimum = std::move(bound);
    } else if (keyword == "maximum") {
      bound.message = "must be at most " + limit;
      node.maximum = std::move(bound);
    } else if (keyword == "exclusiveMinimum") {
      bound.message = "must be greater than " + limit;
      node.exclusive_minimum = std::move(bound);
    } else {
      bound.message = "must be less than " + limit;
      node.exclusive_maximum = std::move(bound);
    }
    return true;
  }

  std::optional<std::size_t> read_count(const json::value& value, const std::string& at) {
    if (value.is_int64() && value.get_int64() >= 0) {
      return static_cast<std::size_t>(value.get_int64());
    }
    if (value.is_uint64()) return static_cast<std::size_t>(value.get_uint64());
    if (value.is_double() && value.get_double() >= 0 && is_integral_double(value.get_double())) {
      return static_cast<std::size_t>(value.get_double());
    }
    fail(at, "must be a non-negative integer");
    return std::nullopt;
  }

  bool finish_object_rules(Node& node,
                           std::vector<std::pair<std::string, std::uint32_t>> properties,
                           std::vector<std::string> required, const std::string& path) {
    if (!node.has_object_rules) return true;
    for (auto& [name, child] : properties) {
      const auto it = std::find(required.begin(), required.end(), name);
      const bool is_required = it != required.end();
      if (is_required) required.erase(it);
      node.declared_names.push_back(name);
      node.properties.push_back({std::move(name), child, is_required});
    }
    if (!required.empty() && node.additional == Additional::forbid) {
      // Such an object could never be valid: absent it is missing, present it is unknown.
      return fail(path + "/required", quoted(required.front()) +
                                          " is required but not declared in properties, and "
                                          "additionalProperties is false");
    }
    for (std::string& name : required) node.properties.push_back({std::move(name), kNoNode, true});
    std::sort(node.declared_names.begin(), node.declared_names.end());
    return true;
  }

  std::uint32_t resolve(std::string_view ref, const std::string& at) {
    constexpr std::string_view kPrefix = "#/$defs/";
    if (!ref.starts_with(kPrefix) || ref.size() == kPrefix.size() ||
        ref.find('/', kPrefix.size()) != std::string_view::npos) {
      fail(at, "only references of the form \"#/$defs/NAME\" are supported, got " + quoted(ref));
      return kNoNode;
    }
    const std::optional<std::string> name = unescape_pointer(ref.substr(kPrefix.size()));
    if (!name) {
      fail(at, "has a malformed escape in " + quoted(ref) + " (use ~0 for ~ and ~1 for /)");
      return kNoNode;
    }
    if (const auto known = def_nodes_.find(*name); known != def_nodes_.end()) return known->second;
    const auto def = defs_.find(*name);
    if (def == defs_.end()) {
      fail(at, "cannot resolve " + quoted(ref) + ": no def named " + quoted(*name));
      return kNoNode;
    }
    // Registered before compiling so that a def reaching itself finds this node.
    const std::uint32_t index = reserve("#/$defs/" + escape_pointer(*name));
    def_nodes_.emplace(*name, index);
    return compile_into(index, def->value()) ? index : kNoNode;
  }

  // A $ref/allOf/anyOf/oneOf/not loop that never steps into a property or item would recurse
  // forever on the first instance, so it is refused here.
  bool check_ref_cycles() {
    enum class Mark : std::uint8_t { unvisited, in_progress, done };
    std::vector<Mark> marks(nodes_.size(), Mark::unvisited);
    const auto visit = [&](auto& self, std::uint32_t index) -> bool {
      if (marks[index] == Mark::done) return true;
      if (marks[index] == Mark::in_progress) {
        return fail(paths_[index], "refers back to itself through $ref/allOf/anyOf/oneOf/not "
                                   "without descending into a property or item");
      }
      marks[index] = Mark::in_progress;
      const Node& node = nodes_[index];
      std::vector<std::uint32_t> next = node.all_of;
      next.insert(next.end(), node.any_of.begin(), node.any_of.end());
      next.insert(next.end(), node.one_of.begin(), node.one_of.end());
      if (node.ref != kNoNode) next.push_back(node.ref);
      if (node.not_node != kNoNode) next.push_back(node.not_node);
      for (const std::uint32_t child : next) {
        if (!self(self, child)) return false;
      }
      marks[index] = Mark::done;
      return true;
    };
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      if (!visit(visit, i)) return false;
    }
    return true;
  }

  void compute_effective_types() {
    for (Node& node : nodes_) {
      // Ref chains are acyclic (checked above), so this terminates.
      const Node* current = &node;
      while (current->types == 0 && current->ref != kNoNode) current = &nodes_[current->ref];
      node.effective_types = current->types;
    }
  }

  bool fail(const std::string& path, std::string what) {
    error_ = core::Error{core::ErrorKind::internal, "invalid_schema",
                         "invalid schema at " + path + ": " + what, {}};
    return false;
  }

  const json::object& defs_;
  std::vector<Node> nodes_;
  std::vector<std::string> paths_;  // schema path of each node, for error messages
  std::unordered_map<std::string, std::uint32_t> def_nodes_;
  core::Error error_;
};

}  // namespace

struct JsonSchema::State {
  std::vector<Node> nodes;
  std::uint32_t root = kNoNode;
};

JsonSchema::JsonSchema(std::shared_ptr<const State> state) : state_(std::move(state)) {}

core::Result<JsonSchema> JsonSchema::compile(const json::value& schema, const json::object& defs) {
  Compiler compiler(defs);
  const std::uint32_t root = compiler.run(schema);
  if (root == kNoNode) return compiler.take_error();
  auto state = std::make_shared<State>();
  state->nodes = compiler.take_nodes();
  state->root = root;
  return JsonSchema(std::move(state));
}

std::optional<SchemaViolation> JsonSchema::validate(const json::value& instance,
                                                    std::string_view base_path) const {
  assert(state_ != nullptr && "validate() on a moved-from JsonSchema");
  Failure failure;
  if (Validator(state_->nodes).check(state_->root, instance, &failure)) return std::nullopt;

  SchemaViolation violation;
  violation.path.assign(base_path);
  for (auto it = failure.reversed_path.rbegin(); it != failure.reversed_path.rend(); ++it) {
    if (it->is_index) {
      violation.path += '[';
      violation.path += std::to_string(it->index);
      violation.path += ']';
    } else {
      if (!violation.path.empty()) violation.path += '.';
      violation.path += it->key;
    }
  }
  violation.message = std::move(failure.message);
  return violation;
}

}  // namespace billhook::catalog
