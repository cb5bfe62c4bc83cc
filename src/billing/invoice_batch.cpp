#include "billing/invoice_batch.hpp"

#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/codec.hpp"
#include "billing/document_json.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 4> kBatchStatusNames = {"pending", "processing", "succeeded", "failed"};
constexpr std::array<std::string_view, 3> kItemStatusNames = {"pending", "succeeded", "failed"};

template <size_t N>
std::optional<size_t> index_of(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == text) return i;
  return std::nullopt;
}

json::value optional_string(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }

// Reading a stored body: any surprise is an internal error (only encode() writes these).
class Reader {
 public:
  Reader(const json::object& o, std::string_view what) : o_(o), what_(what) {}

  core::Status string(std::string_view name, std::string& out) const {
    const auto* v = o_.if_contains(name);
    if (!v || !v->is_string()) return broken(name);
    out = std::string(v->get_string());
    return {};
  }
  core::Status optional_string(std::string_view name, std::optional<std::string>& out) const {
    const auto* v = o_.if_contains(name);
    out.reset();
    if (!v || v->is_null()) return {};
    if (!v->is_string()) return broken(name);
    out = std::string(v->get_string());
    return {};
  }
  core::Status integer(std::string_view name, int64_t& out) const {
    const auto* v = o_.if_contains(name);
    if (!v || !v->is_int64()) return broken(name);
    out = v->get_int64();
    return {};
  }
  core::Status optional_integer(std::string_view name, std::optional<int64_t>& out) const {
    const auto* v = o_.if_contains(name);
    out.reset();
    if (!v || v->is_null()) return {};
    if (!v->is_int64()) return broken(name);
    out = v->get_int64();
    return {};
  }
  core::Status boolean(std::string_view name, bool& out) const {
    const auto* v = o_.if_contains(name);
    if (!v || !v->is_bool()) return broken(name);
    out = v->get_bool();
    return {};
  }
  core::Status broken(std::string_view name) const {
    return core::Error::internal(fmt::format("a stored {} has a bad '{}'", what_, name));
  }

 private:
  const json::object& o_;
  std::string_view what_;
};

}  // namespace

std::string_view to_string(BatchStatus status) { return kBatchStatusNames[static_cast<size_t>(status)]; }
std::string_view to_string(BatchItemStatus status) { return kItemStatusNames[static_cast<size_t>(status)]; }

std::string batch_item_id(std::string_view batch_id, int64_t index) { return fmt::format("{}.{:06}", batch_id, index); }

json::object to_json(const InvoiceBatch& b) {
  return json::object{{"id", b.id},
                      {"object", "invoice_batch"},
                      {"status", to_string(b.status)},
                      {"description", optional_string(b.description)},
                      {"auto_finalize", b.auto_finalize},
                      {"total_count", b.total_count},
                      {"succeeded_count", b.succeeded_count},
                      {"failed_count", b.failed_count},
                      {"created", b.created},
                      {"completed_at", b.completed_at ? json::value(*b.completed_at) : json::value(nullptr)}};
}

json::object to_json(const BatchItem& item) {
  json::value failure = nullptr;
  if (item.status == BatchItemStatus::failed)
    failure = json::object{{"reason", item.failure_reason.value_or("")}, {"message", item.failure_message.value_or("")}};
  return json::object{{"index", item.index},
                      {"customer", item.document.customer_id},
                      {"currency", item.document.currency},
                      {"status", to_string(item.status)},
                      {"invoice", optional_string(item.invoice_id)},
                      {"failure", std::move(failure)}};
}

json::object failed_item_json(const BatchItem& item) {
  return json::object{{"index", item.index},
                      {"customer", item.document.customer_id},
                      {"invoice", optional_string(item.invoice_id)},
                      {"reason", item.failure_reason.value_or("unknown")},
                      {"message", item.failure_message.value_or("")}};
}

std::string encode(const InvoiceBatch& b) {
  json::object o = to_json(b);
  o["request_id"] = b.request_id;
  o["idempotency_key"] = b.idempotency_key;
  return json::serialize(o);
}

std::string encode(const BatchItem& item) {
  return json::serialize(json::object{{"batch", item.batch_id},
                                      {"index", item.index},
                                      {"document", encode(item.document)},
                                      {"status", to_string(item.status)},
                                      {"invoice", optional_string(item.invoice_id)},
                                      {"failure_reason", optional_string(item.failure_reason)},
                                      {"failure_message", optional_string(item.failure_message)}});
}

core::Result<InvoiceBatch> decode_batch(std::string_view body) {
  auto o = doc_json::parse_object(body, "invoice batch");
  if (!o) return std::move(o).error();
  const Reader r(*o, "invoice batch");
  InvoiceBatch b;
  std::string status;
  for (auto s : {r.string("id", b.id), r.string("status", status), r.optional_string("description", b.description),
                 r.boolean("auto_finalize", b.auto_finalize), r.integer("total_count", b.total_count),
                 r.integer("succeeded_count", b.succeeded_count), r.integer("failed_count", b.failed_count),
                 r.integer("created", b.created), r.optional_integer("completed_at", b.completed_at),
                 r.string("request_id", b.request_id), r.string("idempotency_key", b.idempotency_key)})
    if (!s) return s.error();
  const auto parsed = index_of(kBatchStatusNames, status);
  if (!parsed) return r.broken("status").error();
  b.status = static_cast<BatchStatus>(*parsed);
  return b;
}

core::Result<BatchItem> decode_batch_item(std::string_view body) {
  auto o = doc_json::parse_object(body, "invoice batch item");
  if (!o) return std::move(o).error();
  const Reader r(*o, "invoice batch item");
  BatchItem item;
  std::string status;
  std::string document;
  for (auto s : {r.string("batch", item.batch_id), r.integer("index", item.index), r.string("document", document),
                 r.string("status", status), r.optional_string("invoice", item.invoice_id),
                 r.optional_string("failure_reason", item.failure_reason),
                 r.optional_string("failure_message", item.failure_message)})
    if (!s) return s.error();
  const auto parsed = index_of(kItemStatusNames, status);
  if (!parsed) return r.broken("status").error();
  item.status = static_cast<BatchItemStatus>(*parsed);
  auto decoded = decode_invoice(document);
  if (!decoded) return std::move(decoded).error();
  item.document = std::move(*decoded);
  return item;
}

}  // namespace billhook::billing
