#pragma once

// An invoice batch (seed 002's invoice_batch_*; CATALOG.md §2.3): one request that invoices many
// customers on demand, processed in the background as a job whose progress can be read. As plain data
// with its stored form and its API/webhook form ($defs/invoice_batch).
//
// Stored as store::DocumentRecord: the batch is kind "invoice_batch"; each of its items is kind
// "invoice_batch_item" with parent_id = the batch, id = "<batch id>.<index, six digits>" (so that id
// order is item order), and status pending → succeeded | failed. An item remembers the invoice it
// created, which is what makes a batch resumable without invoicing anyone twice.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/invoice.hpp"
#include "core/result.hpp"

namespace billhook::billing {

inline constexpr std::string_view kBatchKind = "invoice_batch";
inline constexpr std::string_view kBatchItemKind = "invoice_batch_item";

// The most items one batch may hold: a request of that size stays well under the body limit, and
// one batch cannot occupy the writer for long.
inline constexpr size_t kMaxBatchItems = 1'000;

// pending: created, not started; processing: items being invoiced; succeeded: every item was tried
// and at least one invoiced; failed: every item was tried and none could be invoiced.
enum class BatchStatus { pending, processing, succeeded, failed };
enum class BatchItemStatus { pending, succeeded, failed };

std::string_view to_string(BatchStatus status);
std::string_view to_string(BatchItemStatus status);

struct InvoiceBatch {
  std::string id;
  BatchStatus status = BatchStatus::pending;
  std::optional<std::string> description;
  bool auto_finalize = true;  // issue each invoice at once (the usual on-demand billing)
  int64_t total_count = 0;
  int64_t succeeded_count = 0;
  int64_t failed_count = 0;
  int64_t created = 0;
  std::optional<int64_t> completed_at;
  // The request that created the batch: the invoices made in the background carry it on their events.
  std::string request_id;
  std::string idempotency_key;

  bool finished() const { return status == BatchStatus::succeeded || status == BatchStatus::failed; }
};

struct BatchItem {
  std::string batch_id;
  int64_t index = 0;
  Invoice document;  // what to invoice: customer, currency, lines, collection settings, …
  BatchItemStatus status = BatchItemStatus::pending;
  std::optional<std::string> invoice_id;  // when succeeded
  std::optional<std::string> failure_reason;  // when failed: an error code ("customer_not_found", …)
  std::optional<std::string> failure_message;
};

std::string batch_item_id(std::string_view batch_id, int64_t index);

// $defs/invoice_batch.
boost::json::object to_json(const InvoiceBatch& batch);
// {"index", "customer", "currency", "status", "invoice", "failure": {"reason", "message"} | null}.
boost::json::object to_json(const BatchItem& item);
// $defs/invoice_batch/failed_item.
boost::json::object failed_item_json(const BatchItem& item);

std::string encode(const InvoiceBatch& batch);
std::string encode(const BatchItem& item);
core::Result<InvoiceBatch> decode_batch(std::string_view body);
core::Result<BatchItem> decode_batch_item(std::string_view body);

}  // namespace billhook::billing
