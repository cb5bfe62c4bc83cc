#pragma once

// Baskets on the store (basket.hpp): create, change lines, check out into an invoice, cancel — each in
// the request's transaction — and, on the document clock, abandonment.
//
// Checkout makes the basket's invoice through the billing service like any other one: issued at once
// (invoice.created, invoice.finalized), the customer's credit balance drawn, then collected from the
// customer's cards (invoice.paid, or the collection's own refusal and retries). The basket is
// converted in the same transaction.
//
// Abandonment: on_wake, the basket's handler on the document clock (on the node that runs time jobs),
// at `abandons_at` marks an active basket abandoned and appends basket.abandoned (aggregate basket). The
// idle period's abandonment is claimed once (basket, idle period), so it is sent once per idle period
// across restarts and nodes; a touch (PATCH) starts a new period, a checkout or cancel ends them.

#include <string_view>

#include "billing/basket.hpp"
#include "billing/billing_service.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class BasketService {
 public:
  // `abandon_after`: seconds a basket may stay untouched (--basket-abandon-after).
  BasketService(BillingService& billing, int64_t abandon_after);

  core::Result<Basket> create(store::WriteTx& tx, const NewBasket& request, const Origin& origin);
  core::Result<Basket> update(store::WriteTx& tx, std::string_view id, const BasketUpdate& change,
                              const Origin& origin);
  core::Result<Basket> checkout(store::WriteTx& tx, std::string_view id, const Origin& origin);
  core::Result<Basket> cancel(store::WriteTx& tx, std::string_view id, const Origin& origin);

  // The basket's handler on the document clock.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

 private:
  core::Result<Basket> load(store::WriteTx& tx, std::string_view id);

  BillingService& billing_;
  int64_t abandon_after_;
};

// Baskets on the registry: POST/GET /v1/baskets, GET/PATCH /v1/baskets/{id}, …/checkout, …/cancel, and
// abandonment on the document clock.
void register_baskets(DocumentRegistry& registry);

}  // namespace billhook::billing
