#pragma once

// Plain structs and enums described once (Boost.Describe) become JSON, are read back from JSON with
// errors that name the field, and describe themselves as a JSON Schema — so a document's field list is
// written in one place: its struct.
//
//   struct Batch { std::string id; BatchStatus status; std::optional<std::string> description; };
//   BOOST_DESCRIBE_STRUCT(Batch, (), (id, status, description))
//
// Members map by their own names, in declaration order; an enumerator's name drops one trailing
// underscore, C++'s way around a keyword (void_ is "void"). A struct that declares
// `static constexpr bool described_omit_null = true;` leaves its empty optionals out instead of
// writing null (reading already takes an absent optional as empty). Supported member types: std::string, bool,
// integers, described enums (as their enumerator names), std::optional<X> (null, or absent on
// reading), std::optional<std::optional<X>> (a field a PATCH may clear: absent leaves the outer one
// empty, null reads as an outer holding an empty inner), std::vector<X>, std::map<std::string, X> (an object), boost::json::object, and other
// described structs.
//
// Calls among these functions are qualified: a struct's namespace may have a to_json of its own (an API
// form), which argument-dependent lookup would otherwise prefer for a nested member.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/result.hpp"

namespace billhook::core::described {

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T>
struct is_string_map<std::map<std::string, T>> : std::true_type {};

template <class T>
constexpr bool is_struct = boost::describe::has_describe_members<T>::value;
template <class T>
constexpr bool is_enum = boost::describe::has_describe_enumerators<T>::value;
template <class T>
constexpr bool omits_null = requires { requires T::described_omit_null; };

inline std::string join_path(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : fmt::format("{}.{}", path, name);
}

inline Error wrong_type(std::string_view path, std::string_view expected, const boost::json::value& got) {
  return Error::invalid("invalid_type", fmt::format("'{}' must be {}, got {}", path, expected, json_kind_name(got)),
                        std::string(path));
}
}  // namespace detail

namespace detail {
// An enumerator's JSON name: its C++ name without the one trailing underscore that lets an enumerator
// be called after a keyword (void_, default_), so that the text can be the keyword itself.
constexpr std::string_view enumerator_name(std::string_view cpp_name) {
  if (cpp_name.size() > 1 && cpp_name.back() == '_') cpp_name.remove_suffix(1);
  return cpp_name;
}
}  // namespace detail

// The enumerator's name ("processing"; "void" for void_): the one enum-to-text scheme. Empty for a
// value that is not an enumerator.
template <class E>
  requires detail::is_enum<E>
std::string_view name_of(E value) {
  std::string_view out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (out.empty() && value == d.value) out = detail::enumerator_name(d.name);
  });
  return out;
}

// The enumerator with this name, if there is one.
template <class E>
  requires detail::is_enum<E>
std::optional<E> parse(std::string_view text) {
  std::optional<E> out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!out && text == detail::enumerator_name(d.name)) out = d.value;
  });
  return out;
}

// "a, b, c": the names an enum accepts (for messages and schemas).
template <class E>
  requires detail::is_enum<E>
std::vector<std::string_view> names_of() {
  std::vector<std::string_view> out;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>(
      [&](auto d) { out.push_back(detail::enumerator_name(d.name)); });
  return out;
}

template <class T>
boost::json::value to_value(const T& v);

// Every member of a described struct under its name, in declaration order.
template <class T>
  requires detail::is_struct<T>
boost::json::object to_json(const T& v) {
  boost::json::object out;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto d) {
        boost::json::value value = described::to_value(v.*d.pointer);
        if constexpr (detail::omits_null<T>)
          if (value.is_null()) return;
        out[d.name] = std::move(value);
      });
  return out;
}

template <class T>
boost::json::value to_value(const T& v) {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string> || std::is_same_v<T, boost::json::object>) {
    return boost::json::value(v);
  } else if constexpr (std::is_integral_v<T>) {
    return boost::json::value(static_cast<int64_t>(v));
  } else if constexpr (detail::is_enum<T>) {
    return boost::json::value(name_of(v));
  } else if constexpr (detail::is_optional<T>::value) {
    return v ? described::to_value(*v) : boost::json::value(nullptr);
  } else if constexpr (detail::is_vector<T>::value) {
    boost::json::array out;
    for (const auto& item : v) out.push_back(described::to_value(item));
    return out;
  } else if constexpr (detail::is_string_map<T>::value) {
    boost::json::object out;
    for (const auto& [key, item] : v) out[key] = described::to_value(item);
    return out;
  } else {
    static_assert(detail::is_struct<T>, "a member type that described JSON does not know");
    return described::to_json(v);
  }
}

// Whether reading refuses fields the struct does not have.
enum class Unknown { refuse, ignore };

template <class T>
Result<T> from_value(const boost::json::value& v, std::string_view path, Unknown unknown = Unknown::refuse);

// A described struct from a JSON object. Errors are invalid_request naming the field from the top
// ("items.3.currency"): a missing member that is not optional (missing_field), a value of the wrong
// type (invalid_type), a name an enum does not have (invalid_value), a field the struct does not
// have (unknown_parameter, with the allowed ones), an integer out of range (out_of_range).
template <class T>
  requires detail::is_struct<T>
Result<T> from_json(const boost::json::object& o, std::string_view path = "", Unknown unknown = Unknown::refuse) {
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  if (unknown == Unknown::refuse) {
    for (const auto& field : o) {
      bool known = false;
      boost::mp11::mp_for_each<Members>([&](auto d) { known = known || field.key() == d.name; });
      if (known) continue;
      std::string allowed;
      boost::mp11::mp_for_each<Members>([&](auto d) { allowed += allowed.empty() ? d.name : fmt::format(", {}", d.name); });
      const std::string where = detail::join_path(path, field.key());
      return Error::invalid("unknown_parameter", fmt::format("unknown field '{}'; allowed: {}", where, allowed), where);
    }
  }
  T out{};
  std::optional<Error> failure;
  boost::mp11::mp_for_each<Members>([&](auto d) {
    if (failure) return;
    using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
    const std::string where = detail::join_path(path, d.name);
    const auto* member = o.if_contains(d.name);
    if (!member) {
      if constexpr (!detail::is_optional<M>::value)
        failure = Error::invalid("missing_field", fmt::format("'{}' is required", where), where);
      return;
    }
    auto read = described::from_value<M>(*member, where, unknown);
    if (!read) failure = std::move(read).error();
    else out.*d.pointer = std::move(*read);
  });
  if (failure) return std::move(*failure);
  return out;
}

template <class T>
Result<T> from_value(const boost::json::value& v, std::string_view path, Unknown unknown) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) return detail::wrong_type(path, "a boolean", v);
    return v.get_bool();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return detail::wrong_type(path, "a string", v);
    return std::string(v.get_string());
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    if (!v.is_object()) return detail::wrong_type(path, "an object", v);
    return v.get_object();
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_int64() && !v.is_uint64()) return detail::wrong_type(path, "an integer", v);
    if (v.is_uint64() || v.get_int64() < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        v.get_int64() > static_cast<int64_t>(std::numeric_limits<T>::max()))
      return Error::invalid("out_of_range", fmt::format("'{}' is out of range", path), std::string(path));
    return static_cast<T>(v.get_int64());
  } else if constexpr (detail::is_enum<T>) {
    if (!v.is_string()) return detail::wrong_type(path, "a string", v);
    if (auto parsed = parse<T>(v.get_string())) return *parsed;
    std::string allowed;
    for (auto name : names_of<T>()) allowed += allowed.empty() ? std::string(name) : fmt::format(", {}", name);
    return Error::invalid("invalid_value", fmt::format("'{}' must be one of: {}", path, allowed), std::string(path));
  } else if constexpr (detail::is_optional<T>::value) {
    if (v.is_null()) {
      if constexpr (detail::is_optional<typename T::value_type>::value) return T{typename T::value_type{}};
      return T{};
    }
    auto inner = described::from_value<typename T::value_type>(v, path, unknown);
    if (!inner) return std::move(inner).error();
    return T{std::move(*inner)};
  } else if constexpr (detail::is_vector<T>::value) {
    if (!v.is_array()) return detail::wrong_type(path, "an array", v);
    T out;
    const auto& array = v.get_array();
    out.reserve(array.size());
    for (size_t i = 0; i < array.size(); ++i) {
      auto item =
          described::from_value<typename T::value_type>(array[i], fmt::format("{}.{}", path, i), unknown);
      if (!item) return std::move(item).error();
      out.push_back(std::move(*item));
    }
    return out;
  } else if constexpr (detail::is_string_map<T>::value) {
    if (!v.is_object()) return detail::wrong_type(path, "an object", v);
    T out;
    for (const auto& field : v.get_object()) {
      auto item = described::from_value<typename T::mapped_type>(field.value(), detail::join_path(path, field.key()),
                                                                 unknown);
      if (!item) return std::move(item).error();
      out.emplace(std::string(field.key()), std::move(*item));
    }
    return out;
  } else {
    static_assert(detail::is_struct<T>, "a member type that described JSON does not know");
    if (!v.is_object()) return detail::wrong_type(path, "an object", v);
    return described::from_json<T>(v.get_object(), path, unknown);
  }
}

template <class T>
boost::json::object schema_of_value();

// The JSON Schema of a described struct: every member a property, the ones that are not optional
// required (no `required` list when none is), enums with their names, optionals nullable.
template <class T>
  requires detail::is_struct<T>
boost::json::object schema_of() {
  boost::json::object properties;
  boost::json::array required;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    using M = std::remove_cvref_t<decltype(std::declval<T>().*d.pointer)>;
    properties[d.name] = schema_of_value<M>();
    if constexpr (!detail::is_optional<M>::value) required.emplace_back(d.name);
  });
  boost::json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
  // OpenAPI 3.0 wants at least one entry in a `required` list: a struct of optionals has none.
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

template <class T>
boost::json::object schema_of_value() {
  if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_same_v<T, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    return {{"type", "object"}};
  } else if constexpr (std::is_integral_v<T>) {
    return {{"type", "integer"}};
  } else if constexpr (detail::is_enum<T>) {
    boost::json::array names;
    for (auto name : names_of<T>()) names.emplace_back(name);
    return {{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (detail::is_optional<T>::value) {
    // A clearable field (optional of optional) is described once, as the nullable inner one.
    if constexpr (detail::is_optional<typename T::value_type>::value) return schema_of_value<typename T::value_type>();
    auto inner = schema_of_value<typename T::value_type>();
    inner["nullable"] = true;
    // OpenAPI 3.0: a nullable enum lists null among its values.
    if (auto* names = inner.if_contains("enum")) names->as_array().emplace_back(nullptr);
    return inner;
  } else if constexpr (detail::is_vector<T>::value) {
    return {{"type", "array"}, {"items", schema_of_value<typename T::value_type>()}};
  } else if constexpr (detail::is_string_map<T>::value) {
    return {{"type", "object"}, {"additionalProperties", schema_of_value<typename T::mapped_type>()}};
  } else {
    static_assert(detail::is_struct<T>, "a member type that described JSON does not know");
    return schema_of<T>();
  }
}

}  // namespace billhook::core::described
