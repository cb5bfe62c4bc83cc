#pragma once

// An invoice batch (seed 002's invoice_batch_*; CATALOG.md §2.3): one request that invoices many
// customers on demand, processed in the background as a job whose progress can be read. As plain data
// with its stored form and its API/webhook form ($defs/invoice_batch).
//
// Both are registered documents (billing/registry): the batch is kind "invoice_batch"; each of its
// items is kind "invoice_batch_item", pending → succeeded | failed. An item remembers the invoice it
// created, which is what makes a batch resumable without invoicing anyone twice.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>

#include "billing/invoice.hpp"
#include "billing/registry/document_kind.hpp"
#include "core/result.hpp"

namespace billhook::billing {

// The most items one batch may hold: a request of that size stays well under the body limit, and
// one batch cannot occupy the writer for long.
inline constexpr size_t kMaxBatchItems = 1'000;

// pending: created, not started; processing: items being invoiced; succeeded: every item was tried
// and at least one invoiced; failed: every item was tried and none could be invoiced.
enum class BatchStatus { pending, processing, succeeded, failed };
BOOST_DESCRIBE_ENUM(BatchStatus, pending, processing, succeeded, failed)
enum class BatchItemStatus { pending, succeeded, failed };
BOOST_DESCRIBE_ENUM(BatchItemStatus, pending, succeeded, failed)

// The batch, as stored and (but for the request it came from) as the API and its events show it
// ($defs/invoice_batch).
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
BOOST_DESCRIBE_STRUCT(InvoiceBatch, (),
                      (id, status, description, auto_finalize, total_count, succeeded_count, failed_count, created,
                       completed_at, request_id, idempotency_key))

// One invoice to make, as stored; the API shows it as item_api_json does.
struct BatchItem {
  std::string batch;  // the batch's id
  int64_t index = 0;
  std::string document;  // the invoice to make (customer, currency, lines, …) in its stored form (codec)
  BatchItemStatus status = BatchItemStatus::pending;
  std::optional<std::string> invoice;  // when succeeded
  std::optional<std::string> failure_reason;  // when failed: an error code ("customer_not_found", …)
  std::optional<std::string> failure_message;
};
BOOST_DESCRIBE_STRUCT(BatchItem, (), (batch, index, document, status, invoice, failure_reason, failure_message))

// Unfinished batches are due from their creation on: the document clock (and a restarted server)
// finds them by it.
extern const DocumentKind<InvoiceBatch> kInvoiceBatches;
// Items: parent_id is the batch, id "<batch id>.<index, six digits>" so that id order is item order.
extern const DocumentKind<BatchItem> kBatchItems;

std::string batch_item_id(std::string_view batch_id, int64_t index);

// The invoice an item is to make.
core::Result<Invoice> invoice_of(const BatchItem& item);
// {"index", "customer", "currency", "status", "invoice", "failure": {"reason", "message"} | null}.
core::Result<boost::json::object> item_api_json(const BatchItem& item);
// $defs/invoice_batch/failed_item.
core::Result<boost::json::object> failed_item_json(const BatchItem& item);

}  // namespace billhook::billing
