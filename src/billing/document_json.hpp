#pragma once

// Small readers for the stored JSON of billing's documents. parse_object reads any stored body back
// (invoices, customers, payments, batches and the documents kept in the store's generic documents
// table); the field readers serve the last (refunds, disputes, credit notes, balance transactions),
// whose stored form is their API form, so they only need to read back what to_json wrote: a missing or
// mistyped field reads as empty.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace billhook::billing::doc_json {

// A stored body as a JSON object. Anything else is internal ("a stored <what> is not a JSON object"):
// the store holds only what billing wrote.
core::Result<boost::json::object> parse_object(std::string_view body, std::string_view what);

inline std::string text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline std::optional<std::string> optional_text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

inline int64_t integer(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->get_int64() : 0;
}

inline std::optional<int64_t> optional_integer(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

template <class T>
boost::json::value nullable(const std::optional<T>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace billhook::billing::doc_json
