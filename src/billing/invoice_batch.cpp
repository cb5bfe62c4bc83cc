#include "billing/invoice_batch.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/codec.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

DocumentLookup batch_lookup(const InvoiceBatch& batch) {
  return {.customer_id = "",
          .parent_id = "",
          .status = std::string(core::described::name_of(batch.status)),
          .wake_at = batch.finished() ? std::nullopt : std::optional<int64_t>(batch.created)};
}

DocumentLookup item_lookup(const BatchItem& item) {
  auto invoice = invoice_of(item);
  return {.customer_id = invoice ? invoice->customer_id : "",
          .parent_id = item.batch,
          .status = std::string(core::described::name_of(item.status)),
          .wake_at = std::nullopt};
}

json::value nullable(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }

}  // namespace

const DocumentKind<InvoiceBatch> kInvoiceBatches{.kind = "invoice_batch",
                                                 .noun = "invoice batch",
                                                 .id_kind = core::IdKind::invoice_batch,
                                                 .hidden_fields = {"request_id", "idempotency_key"},
                                                 .lookup = &batch_lookup,
                                                 .plural = "invoice batches"};

const DocumentKind<BatchItem> kBatchItems{.kind = "invoice_batch_item",
                                          .noun = "invoice batch item",
                                          .id_kind = core::IdKind::invoice_batch,
                                          .hidden_fields = {},
                                          .lookup = &item_lookup};

std::string batch_item_id(std::string_view batch_id, int64_t index) { return fmt::format("{}.{:06}", batch_id, index); }

core::Result<Invoice> invoice_of(const BatchItem& item) { return decode_invoice(item.document); }

core::Result<json::object> item_api_json(const BatchItem& item) {
  auto invoice = invoice_of(item);
  if (!invoice) return std::move(invoice).error();
  json::value failure = nullptr;
  if (item.status == BatchItemStatus::failed)
    failure = json::object{{"reason", item.failure_reason.value_or("")}, {"message", item.failure_message.value_or("")}};
  return json::object{{"index", item.index},
                      {"customer", invoice->customer_id},
                      {"currency", invoice->currency},
                      {"status", core::described::name_of(item.status)},
                      {"invoice", nullable(item.invoice)},
                      {"failure", std::move(failure)}};
}

core::Result<json::object> failed_item_json(const BatchItem& item) {
  auto invoice = invoice_of(item);
  if (!invoice) return std::move(invoice).error();
  return json::object{{"index", item.index},
                      {"customer", invoice->customer_id},
                      {"invoice", nullable(item.invoice)},
                      {"reason", item.failure_reason.value_or("unknown")},
                      {"message", item.failure_message.value_or("")}};
}

}  // namespace billhook::billing
