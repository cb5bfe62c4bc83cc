// Every registered document kind: the one list the generic routes and readers serve. A new kind is
// one entry here (see src/README.md, "Adding a domain").

#include "billing/credit_note.hpp"
#include "billing/invoice_batch.hpp"
#include "billing/refund.hpp"
#include "billing/registry/registry.hpp"

namespace billhook::billing {
namespace {

DocumentRegistry make_registry() {
  DocumentRegistry registry;

  RegisteredKind batches = registered(kInvoiceBatches, "/v1/invoice-batches", "InvoiceBatch");
  batches.children = ChildList{.kind = kBatchItems.kind,
                               .key = "items",
                               .limit = kMaxBatchItems,
                               .api_json = [](const boost::json::object& stored) -> core::Result<boost::json::object> {
                                 auto item = kBatchItems.decode(stored);
                                 if (!item) return std::move(item).error();
                                 return item_api_json(*item);
                               }};
  registry.add(std::move(batches));
  // Refunds and disputes are listed per invoice (GET /v1/invoices/{id}/refunds, …), not on their own.
  registry.add(registered(kRefunds, "/v1/refunds", "Refund", /*list=*/false));
  registry.add(registered(kDisputes, "/v1/disputes", "Dispute", /*list=*/false));
  RegisteredKind credit_notes = registered(kCreditNotes, "/v1/credit-notes", "CreditNote");
  credit_notes.customer_filter = "customer";
  credit_notes.parent_filter = "invoice";
  registry.add(std::move(credit_notes));
  // A customer's ledger is GET /v1/customers/{id}/balance-transactions (credit_note_routes.cpp).
  registry.add(registered(kBalanceTransactions, "", "BalanceTransaction"));
  return registry;
}

}  // namespace

const DocumentRegistry& document_kinds() {
  static const DocumentRegistry registry = make_registry();
  return registry;
}

}  // namespace billhook::billing
