#include "billing/invoice_batch_service.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/codec.hpp"
#include "billing/previous_attributes.hpp"
#include "core/log.hpp"
#include "events/outbox.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

void finish(InvoiceBatch& batch, int64_t now) {
  batch.status = batch.succeeded_count > 0 ? BatchStatus::succeeded : BatchStatus::failed;
  batch.completed_at = now;
}

// A refusal of the invoice machine that is the item's own failure (bad data), not trouble that should
// roll the chunk back.
bool item_failure(const Error& error) {
  return error.kind == core::ErrorKind::invalid_request || error.kind == core::ErrorKind::not_found ||
         error.kind == core::ErrorKind::conflict;
}

}  // namespace

InvoiceBatches::InvoiceBatches(BillingService& billing, const catalog::Catalog& catalog, core::IdGenerator& ids,
                               size_t chunk_size)
    : billing_(billing), catalog_(catalog), ids_(ids), chunk_size_(std::max<size_t>(1, chunk_size)) {}

int64_t InvoiceBatches::now_s() const { return core::to_unix_ms(billing_.clock().now()) / 1000; }

Status InvoiceBatches::save(store::WriteTx& tx, const InvoiceBatch& batch, bool is_new) {
  return is_new ? kInvoiceBatches.insert(tx, batch, batch.id, batch.created * 1000)
                : kInvoiceBatches.update(tx, batch, batch.id);
}

Status InvoiceBatches::announce(store::WriteTx& tx, const std::string& type, const InvoiceBatch& batch,
                                const InvoiceBatch& before, const BatchItem* failed) {
  json::object object = kInvoiceBatches.api_json(batch);
  json::object previous = type == "invoice_batch.created"
                              ? json::object{}
                              : previous_attributes(kInvoiceBatches.api_json(before), object);
  if (failed) {
    auto item = failed_item_json(*failed);
    if (!item) return std::move(item).error();
    object["failed_item"] = std::move(*item);
  }
  events::Event event;
  event.id = ids_.next(core::IdKind::event);
  event.type = type;
  event.created_ms = core::to_unix_ms(billing_.clock().now());
  event.aggregate = events::Aggregate{"invoice_batch", batch.id, 0};
  event.data_json =
      json::serialize(json::object{{"object", std::move(object)}, {"previous_attributes", std::move(previous)}});
  event.request_id = batch.request_id;
  event.idempotency_key = batch.idempotency_key;
  auto appended = events::append_event(tx, catalog_, billing_.profiles(), ids_, event);
  if (!appended) return std::move(appended).error();
  return {};
}

Result<InvoiceBatch> InvoiceBatches::create(store::WriteTx& tx, const NewBatch& request, const Origin& origin) {
  if (request.items.empty())
    return Error::invalid("parameter_missing", "a batch needs at least one item in 'items'", "items");
  if (request.items.size() > kMaxBatchItems)
    return Error::invalid("too_many_items",
                          fmt::format("a batch may hold at most {} items, got {}; split it into several batches",
                                      kMaxBatchItems, request.items.size()),
                          "items");
  InvoiceBatch batch;
  batch.id = ids_.next(core::IdKind::invoice_batch);
  batch.description = request.description;
  batch.auto_finalize = request.auto_finalize;
  batch.total_count = static_cast<int64_t>(request.items.size());
  batch.created = now_s();
  batch.request_id = origin.request_id;
  batch.idempotency_key = origin.idempotency_key;
  if (auto s = save(tx, batch, true); !s) return std::move(s).error();
  for (size_t i = 0; i < request.items.size(); ++i) {
    const BatchItem item{.batch = batch.id, .index = static_cast<int64_t>(i), .document = encode(request.items[i])};
    if (auto s = kBatchItems.insert(tx, item, batch_item_id(batch.id, item.index), batch.created * 1000); !s)
      return std::move(s).error();
  }
  if (auto s = announce(tx, "invoice_batch.created", batch, batch, nullptr); !s) return std::move(s).error();
  return batch;
}

Status InvoiceBatches::invoice_item(store::WriteTx& tx, const InvoiceBatch& batch, BatchItem& item) {
  const auto fail = [&item](std::string reason, std::string message) {
    item.status = BatchItemStatus::failed;
    item.failure_reason = std::move(reason);
    item.failure_message = std::move(message);
    return Status{};
  };
  auto document = invoice_of(item);
  if (!document) return std::move(document).error();
  const Invoice& doc = *document;
  auto found = stored::find_customer(tx, doc.customer_id);
  if (!found) return std::move(found).error();
  if (!*found) return fail("customer_not_found", fmt::format("no customer has id '{}'", doc.customer_id));
  const auto& customer = *found;
  if (customer->currency && *customer->currency != doc.currency) {
    return fail("currency_mismatch", fmt::format("customer {} is billed in {}, but the item is in {}", customer->id,
                                                 *customer->currency, doc.currency));
  }
  // The machine's verdict first, as a dry run that writes nothing: a document it refuses is the item's
  // own failure. What create_invoice refuses after that (it has begun writing) rolls the chunk back.
  Create probe{.document = doc, .issued = batch.auto_finalize};
  probe.document.id = "inv_pending";  // create_invoice assigns the real one
  if (batch.auto_finalize && doc.kind == InvoiceKind::invoice) probe.number = "INV-PENDING";
  if (auto verdict = billing::create(probe, now_s()); !verdict) {
    if (!item_failure(verdict.error())) return std::move(verdict).error();
    return fail(verdict.error().code, verdict.error().message);
  }
  auto created = billing_.create_invoice(tx, doc, batch.auto_finalize, {batch.request_id, batch.idempotency_key});
  if (!created) return std::move(created).error();
  item.status = BatchItemStatus::succeeded;
  item.invoice = created->invoice.id;
  return {};
}

Result<InvoiceBatch> InvoiceBatches::process_chunk(store::WriteTx& tx, std::string_view batch_id) {
  auto found = tx.find_document(kInvoiceBatches.kind, batch_id);
  if (!found) return std::move(found).error();
  if (!*found) return kInvoiceBatches.not_found(batch_id);
  auto loaded = kInvoiceBatches.decode((*found)->body);
  if (!loaded) return std::move(loaded).error();
  InvoiceBatch batch = std::move(*loaded);
  if (batch.finished()) {
    if ((*found)->wake_at) {
      if (auto s = save(tx, batch, false); !s) return std::move(s).error();
    }
    return batch;
  }
  const int64_t now = now_s();
  if (batch.status == BatchStatus::pending) {
    const InvoiceBatch before = batch;
    batch.status = BatchStatus::processing;
    if (auto s = announce(tx, "invoice_batch.processing", batch, before, nullptr); !s) return std::move(s).error();
  }

  // Every pending item is read (at most kMaxBatchItems), then the first chunk_size of them done.
  auto pending = tx.find_documents({.kind = std::string(kBatchItems.kind),
                                    .customer_id = "",
                                    .parent_id = std::string(batch_id),
                                    .status = std::string(core::described::name_of(BatchItemStatus::pending))});
  if (!pending) return std::move(pending).error();
  const size_t count = std::min(pending->size(), chunk_size_);
  for (size_t i = 0; i < count; ++i) {
    const store::DocumentRecord& record = (*pending)[i];
    auto item = kBatchItems.decode(record.body);
    if (!item) return std::move(item).error();
    if (auto s = invoice_item(tx, batch, *item); !s) return std::move(s).error();
    if (auto s = kBatchItems.update(tx, *item, record.id); !s) return std::move(s).error();

    const InvoiceBatch before = batch;
    if (item->status == BatchItemStatus::succeeded) {
      ++batch.succeeded_count;
      continue;
    }
    ++batch.failed_count;
    // News about a batch still processing; its end is announced on its own below.
    if (auto s = announce(tx, "invoice_batch.invoice_failed", batch, before, &*item); !s) return std::move(s).error();
  }
  if (count == pending->size() && !batch.finished()) {
    // Every batch ends with an event saying how: succeeded when anything was invoiced, else failed (seed
    // 002's invoice_batch_success / invoice_batch_invoice_failed, "the status of a batch changes to …").
    const InvoiceBatch before = batch;
    finish(batch, now);
    const char* outcome = batch.status == BatchStatus::succeeded ? "invoice_batch.succeeded" : "invoice_batch.failed";
    if (auto s = announce(tx, outcome, batch, before, nullptr); !s) return std::move(s).error();
  }
  if (auto s = save(tx, batch, false); !s) return std::move(s).error();
  return batch;
}

Result<bool> InvoiceBatches::on_wake(store::WriteTx& tx, const Wake& wake) {
  if (wake.round == 0) {
    // Items done before this pass's first chunk were done by an earlier pass or process that stopped.
    if (auto before = kInvoiceBatches.find(tx, wake.id); before && *before) {
      const int64_t done = (*before)->succeeded_count + (*before)->failed_count;
      if (done > 0 && !(*before)->finished())
        core::log::info("invoice batch resumed", {{"invoice_batch", wake.id}, {"done", done}});
    }
  }
  auto batch = process_chunk(tx, wake.id);
  if (!batch) return std::move(batch).error();
  if (!batch->finished()) return true;
  core::log::info("invoice batch finished", {{"invoice_batch", wake.id},
                                            {"status", std::string(core::described::name_of(batch->status))},
                                            {"succeeded", batch->succeeded_count},
                                            {"failed", batch->failed_count}});
  return false;
}

}  // namespace billhook::billing
