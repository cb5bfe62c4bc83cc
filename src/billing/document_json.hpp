#pragma once

// Reading and writing the stored JSON of billing's documents. parse_object reads any stored body back
// (invoices, customers, payments, batches and the documents kept in the store's generic documents
// table); write_described and read_described are the stored form of a described struct (its
// core/described JSON), shared by billing/codec and the document registry.

#include <string>
#include <string_view>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "core/described.hpp"
#include "core/result.hpp"

namespace billhook::billing::doc_json {

// A stored body as a JSON object. Anything else is internal ("a stored <what> is not a JSON object"):
// the store holds only what billing wrote.
core::Result<boost::json::object> parse_object(std::string_view body, std::string_view what);

template <class T>
std::string write_described(const T& doc) {
  return boost::json::serialize(core::described::to_json(doc));
}

// A stored described struct read back. Anything unexpected is internal, naming the document and the
// field (only write_described wrote it); fields a newer billhook added are ignored, so that going back
// a version still reads what the newer one stored.
template <class T>
core::Result<T> read_described(const boost::json::object& stored, std::string_view what) {
  auto doc = core::described::from_json<T>(stored, "", core::described::Unknown::ignore);
  if (!doc) return core::Error::internal(fmt::format("a stored {} is unreadable: {}", what, doc.error().message));
  return doc;
}

template <class T>
core::Result<T> read_described(std::string_view body, std::string_view what) {
  auto stored = parse_object(body, what);
  if (!stored) return std::move(stored).error();
  return read_described<T>(*stored, what);
}

}  // namespace billhook::billing::doc_json
