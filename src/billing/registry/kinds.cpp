// Every registered document kind and the services of their domains: the one list the generic routes,
// readers, document clock and /openapi.json serve. A new domain is its entries here (see src/README.md,
// "Adding a domain").

#include <memory>

#include "billing/basket_service.hpp"
#include "billing/billable_metric_service.hpp"
#include "billing/commission_service.hpp"
#include "billing/billing_documents.hpp"
#include "billing/credit_note.hpp"
#include "billing/credit_service.hpp"
#include "billing/hosted_link_service.hpp"
#include "billing/invoice_batch.hpp"
#include "billing/invoice_batch_service.hpp"
#include "billing/provider_sync_service.hpp"
#include "billing/refund.hpp"
#include "billing/registry/registry.hpp"
#include "billing/pdf_service.hpp"
#include "billing/settlement_service.hpp"
#include "billing/subscription_service.hpp"
#include "billing/usage_service.hpp"
#include "billing/wallet_service.hpp"

namespace billhook::billing {
namespace {

DocumentRegistry make_registry() {
  DocumentRegistry registry;
  // The billing service is the server's own (DomainDeps::billing); the domains share it.
  registry.provide({[](const DomainDeps& deps, DomainServices& services) {
    services.put(std::shared_ptr<BillingService>(&deps.billing, [](BillingService*) {}));
  }});
  registry.provide(service_factory<InvoiceBatches>([](const DomainDeps& deps) {
    return std::make_unique<InvoiceBatches>(deps.billing, deps.catalog, deps.ids, deps.batch_chunk_size);
  }));
  registry.provide(service_factory<CreditService>(
      [](const DomainDeps& deps) { return std::make_unique<CreditService>(deps.billing); }));

  // Invoices keep their own routes (api/routes/invoice_routes.cpp); what time does to them
  // (collection retries, reminders) runs on the document clock like any document's.
  registry.add(RegisteredKind{.kind = stored::kInvoice,
                              .noun = "invoice",
                              .plural = {},
                              .id_kind = core::IdKind::invoice,
                              .api_path = {},
                              .wake = wake_with(&BillingService::on_wake)});

  RegisteredKind batches = registered(kInvoiceBatches, "/v1/invoice-batches", "InvoiceBatch");
  batches.children = ChildList{.kind = kBatchItems.kind,
                               .key = "items",
                               .limit = kMaxBatchItems,
                               .api_json = [](const boost::json::object& stored) -> core::Result<boost::json::object> {
                                 auto item = kBatchItems.decode(stored);
                                 if (!item) return std::move(item).error();
                                 return item_api_json(*item);
                               }};
  batches.wake = wake_with(&InvoiceBatches::on_wake);
  registry.add(std::move(batches));
  // Refunds and disputes are listed per invoice (GET /v1/invoices/{id}/refunds, …), not on their own.
  RegisteredKind refunds = registered(kRefunds, "/v1/refunds", "Refund", /*list=*/false);
  refunds.wake = wake_with(&CreditService::on_refund_wake);  // a pending refund is confirmed by time
  registry.add(std::move(refunds));
  registry.add(registered(kDisputes, "/v1/disputes", "Dispute", /*list=*/false));
  RegisteredKind credit_notes = registered(kCreditNotes, "/v1/credit-notes", "CreditNote");
  credit_notes.customer_filter = "customer";
  credit_notes.parent_filter = "invoice";
  registry.add(std::move(credit_notes));
  // A customer's ledger is GET /v1/customers/{id}/balance-transactions (credit_note_routes.cpp).
  registry.add(registered(kBalanceTransactions, "", "BalanceTransaction"));
  register_subscriptions(registry);
  register_pdfs(registry);
  register_hosted_links(registry);
  register_provider_sync(registry);
  register_billable_metrics(registry);
  register_usage(registry);
  register_settlements(registry);
  register_baskets(registry);
  register_commissions(registry);
  register_wallets(registry);
  return registry;
}

}  // namespace

const DocumentRegistry& document_kinds() {
  static const DocumentRegistry registry = make_registry();
  return registry;
}

}  // namespace billhook::billing
