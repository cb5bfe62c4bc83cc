#pragma once

// Mirroring customers at the payment provider (DOMAINS.md §5), after the commit, by a worker.
//
// The trigger: the service observes the customers' events (BillingService::observe_events). On
// customer.created, and on a customer.updated that changed a field the provider holds, it writes the
// customer's job (provider_sync.hpp) in that same transaction: the change and the duty to mirror it
// commit together.
//
// The worker: on_wake, the job's handler on the document clock (the node that leads, one write
// transaction per step), calls the provider once, stores the outcome on the job and appends
// customer.payment_provider_synced (the customer's API JSON with payment_provider {name, customer_id,
// synced_at, error: null}) or customer.payment_provider_sync_failed (payment_provider.error: the
// provider's code, message and param), with the customer as the aggregate, so receivers get them in
// order with the customer's other events. Each attempt claims a unique key (customer, version, attempt
// number) with its event, so a node working from a stale copy rolls back instead of sending twice.
//
// The customer's own JSON does not carry the provider's id: a write to the customer would itself be a
// customer.updated. The job (GET /v1/provider-syncs?customer=…) and the events show it.
//
// Without a provider (`--payment-provider none`, the default) the server makes no such service: no
// job is written, nothing is sent.

#include <memory>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/payment_provider.hpp"
#include "billing/provider_sync.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class ProviderSyncService {
 public:
  // `provider` must outlive the service.
  ProviderSyncService(BillingService& billing, PaymentProvider& provider);
  ~ProviderSyncService();
  ProviderSyncService(const ProviderSyncService&) = delete;
  ProviderSyncService& operator=(const ProviderSyncService&) = delete;

  // The job's handler on the document clock: one attempt, when one is due.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

  // POST /v1/provider-syncs/{id}/retry: a failed job is tried again now, with a fresh count of
  // attempts. A synced one is a conflict ("provider_sync_not_failed"); a pending one is due already.
  core::Result<ProviderSync> retry(store::WriteTx& tx, std::string_view id);

 private:
  core::Status on_customer_event(store::WriteTx& tx, std::string_view type, const boost::json::object& customer);

  BillingService& billing_;
  PaymentProvider& provider_;
};

// The provider sync on the registry: GET /v1/provider-syncs[/{id}] (?customer=), the retry command,
// the job's handler on the document clock, and the service when the server has a provider
// (DomainDeps::payment_provider).
void register_provider_sync(DocumentRegistry& registry);

}  // namespace billhook::billing
