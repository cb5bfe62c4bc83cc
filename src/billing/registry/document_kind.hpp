#pragma once

// A kind of billing document, described once. Its struct (described with BOOST_DESCRIBE_STRUCT) is
// the field list: the stored JSON, the API JSON and the OpenAPI schema all follow from it, so a field
// is added in one place. The kind adds what the struct cannot say: its stored name, id prefix, the
// columns it is looked up by, and which fields are kept but not shown.
//
//   inline const DocumentKind<InvoiceBatch> kInvoiceBatches{
//       .kind = "invoice_batch", .noun = "invoice batch", .id_kind = core::IdKind::invoice_batch,
//       .hidden_fields = {"request_id", "idempotency_key"}, .lookup = &batch_lookup};

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/document_json.hpp"
#include "core/described.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// What the store looks a document up by, besides its kind and id.
struct DocumentLookup {
  std::string customer_id;  // empty: no customer
  std::string parent_id;    // the document it belongs to, or empty
  std::string status;
  std::optional<int64_t> wake_at;  // unix seconds: the next moment time acts on it, if any
};

template <class T>
struct DocumentKind {
  std::string_view kind;  // the stored kind, and the API JSON's `object`
  std::string_view noun;  // for messages: "invoice batch"
  core::IdKind id_kind;
  // Stored with the document but not part of its API JSON (the request that made it, …).
  std::vector<std::string_view> hidden_fields;
  DocumentLookup (*lookup)(const T&) = nullptr;
  // The API JSON's `object` when it is not the stored kind ("customer_balance_transaction").
  std::string_view object = {};
  // How the documentation names several, when not the noun and an "s" ("invoice batches").
  std::string_view plural = {};

  std::string encode(const T& doc) const { return doc_json::write_described(doc); }

  // The stored form read back; anything unexpected is an internal error naming the kind and field (only
  // encode writes these). Fields a newer billhook added are ignored.
  core::Result<T> decode(std::string_view body) const { return doc_json::read_described<T>(body, noun); }
  core::Result<T> decode(const boost::json::object& stored) const { return doc_json::read_described<T>(stored, noun); }

  // The API form: the fields in order, `object` right after `id`, hidden fields left out.
  boost::json::object api_json(const T& doc) const { return api_json_of_stored(core::described::to_json(doc)); }
  // A command's answer: the document's API JSON, or the error that stopped the command.
  core::Result<boost::json::object> answer(core::Result<T> result) const {
    if (!result) return std::move(result).error();
    return api_json(*result);
  }

  // The same from a stored body's JSON (what a generic reader has).
  boost::json::object api_json_of_stored(const boost::json::object& stored) const {
    boost::json::object out;
    out.reserve(stored.size() + 1);
    for (const auto& field : stored) {
      if (is_hidden(field.key())) continue;
      out[field.key()] = field.value();
      if (field.key() == "id") out["object"] = object.empty() ? kind : object;
    }
    return out;
  }

  // The JSON Schema of the API form (what api_json shows), for the OpenAPI document to agree with.
  // Every field is written (null when empty), so every field is required.
  boost::json::object api_schema() const {
    boost::json::object schema = core::described::schema_of<T>();
    boost::json::object properties;
    boost::json::array required;
    for (const auto& p : schema.at("properties").as_object()) {
      if (is_hidden(p.key())) continue;
      properties[p.key()] = p.value();
      required.emplace_back(p.key());
      if (p.key() == "id") {
        properties["object"] = boost::json::object{{"type", "string"}, {"enum", {object.empty() ? kind : object}}};
        required.emplace_back("object");
      }
    }
    schema["properties"] = std::move(properties);
    schema["required"] = std::move(required);
    return schema;
  }

  store::DocumentRecord record(const T& doc, std::string id, int64_t created_ms) const {
    const DocumentLookup l = lookup(doc);
    return {std::string(kind), std::move(id), l.customer_id, l.parent_id, l.status, created_ms, encode(doc), l.wake_at};
  }

  core::Status insert(store::WriteTx& tx, const T& doc, std::string id, int64_t created_ms) const {
    return tx.insert_document(record(doc, std::move(id), created_ms));
  }
  // created_ms is not rewritten by an update.
  core::Status update(store::WriteTx& tx, const T& doc, std::string id) const {
    return tx.update_document(record(doc, std::move(id), 0));
  }
  core::Result<std::optional<T>> find(store::WriteTx& tx, std::string_view id) const {
    auto found = tx.find_document(kind, id);
    if (!found) return std::move(found).error();
    if (!*found) return std::optional<T>{};
    auto doc = decode((*found)->body);
    if (!doc) return std::move(doc).error();
    return std::optional<T>{std::move(*doc)};
  }

  core::Error not_found(std::string_view id) const {
    return core::Error::not_found(fmt::format("{}_not_found", kind),
                                  fmt::format("no {} has id '{}'", noun, id.substr(0, 100)));
  }

 private:
  bool is_hidden(std::string_view field) const {
    for (auto h : hidden_fields)
      if (h == field) return true;
    return false;
  }
};

}  // namespace billhook::billing
