#pragma once

// Invoice batches as a resumable job. create() stores the batch and one item per customer to invoice,
// and announces invoice_batch.created, in the caller's write transaction. process_chunk() then
// invoices the next few pending items in one write transaction: the invoices (through
// BillingService::create_invoice, with their own events), the items marked done with the invoice they
// made, the batch's counts and the batch events all commit together or not at all. So a batch
// interrupted by a crash resumes at its first pending item and never invoices an item twice.
//
// Batch events, in order: invoice_batch.created; invoice_batch.processing (first chunk);
// invoice_batch.invoice_failed per item that could not be invoiced (failed_item says which and why);
// then invoice_batch.succeeded once every item was tried and at least one invoiced. When none could
// be, the last invoice_batch.invoice_failed already shows the batch as failed and nothing follows.
//
// An item fails alone (the others go on) when its customer does not exist ("customer_not_found"),
// keeps its balance in another currency ("currency_mismatch"), or the invoice cannot be made (the
// code the invoice machine refuses with, e.g. "finalization_failed"). A failure of the store rolls the
// whole chunk back, to be retried.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/billing_service.hpp"
#include "billing/invoice_batch.hpp"
#include "billing/registry/document_clock.hpp"
#include "catalog/catalog.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct NewBatch {
  std::optional<std::string> description;
  bool auto_finalize = true;
  std::vector<Invoice> items;  // one invoice to make per item: customer, currency, lines, …
};

class InvoiceBatches {
 public:
  InvoiceBatches(BillingService& billing, const catalog::Catalog& catalog, core::IdGenerator& ids,
                 size_t chunk_size = 50);

  // invalid_request when there are no items ("items") or more than kMaxBatchItems ("too_many_items").
  core::Result<InvoiceBatch> create(store::WriteTx& tx, const NewBatch& request, const Origin& origin);

  // Invoices up to chunk_size() pending items of the batch (starting it first when it is pending) and
  // returns the batch after them; finished() says whether anything is left. A finished batch comes
  // back unchanged. not_found when the batch does not exist.
  core::Result<InvoiceBatch> process_chunk(store::WriteTx& tx, std::string_view batch_id);

  // What time does to a batch (its handler on the DocumentClock): the next chunk; more is due at once
  // while items are left.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

  size_t chunk_size() const { return chunk_size_; }
  const core::Clock& clock() const { return billing_.clock(); }

 private:
  int64_t now_s() const;
  core::Status save(store::WriteTx& tx, const InvoiceBatch& batch, bool is_new);
  core::Status announce(store::WriteTx& tx, const std::string& type, const InvoiceBatch& batch,
                        const InvoiceBatch& before, const BatchItem* failed);
  // Makes the item's invoice, or records why it cannot be made; an error means "roll the chunk back".
  core::Status invoice_item(store::WriteTx& tx, const InvoiceBatch& batch, BatchItem& item);

  BillingService& billing_;
  const catalog::Catalog& catalog_;
  core::IdGenerator& ids_;
  size_t chunk_size_;
};

}  // namespace billhook::billing
