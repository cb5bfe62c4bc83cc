#include "billing/basket_service.hpp"

#include <memory>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/credit_service.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Result;
using core::Status;

}  // namespace

BasketService::BasketService(BillingService& billing, int64_t abandon_after)
    : billing_(billing), abandon_after_(abandon_after) {}

Result<Basket> BasketService::load(store::WriteTx& tx, std::string_view id) {
  auto found = kBaskets.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kBaskets.not_found(id);
  return std::move(**found);
}

Result<Basket> BasketService::create(store::WriteTx& tx, const NewBasket& request, const Origin&) {
  const int64_t now = billing_.now_s();
  auto basket = new_basket(request, billing_.ids().next(core::IdKind::basket), now, abandon_after_);
  if (!basket) return basket;
  if (auto customer = billing_.load_customer(tx, basket->customer, "customer"); !customer)
    return std::move(customer).error();
  if (auto s = kBaskets.insert(tx, *basket, basket->id, now * 1000); !s) return std::move(s).error();
  return basket;
}

Result<Basket> BasketService::update(store::WriteTx& tx, std::string_view id, const BasketUpdate& change,
                                     const Origin&) {
  auto basket = load(tx, id);
  if (!basket) return basket;
  auto after = updated_basket(std::move(*basket), change, billing_.now_s(), abandon_after_);
  if (!after) return after;
  if (auto s = kBaskets.update(tx, *after, after->id); !s) return std::move(s).error();
  return after;
}

Result<Basket> BasketService::checkout(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto basket = load(tx, id);
  if (!basket) return basket;
  auto document = checkout_invoice(*basket);
  if (!document) return std::move(document).error();
  auto made = billing_.create_invoice(tx, std::move(*document), /*auto_finalize=*/true, origin);
  if (!made) return std::move(made).error();
  if (made->refusal) return *made->refusal;  // not issued: the basket stays as it is (the job rolls back)
  Invoice invoice = std::move(made->invoice);
  // Collected like any issued invoice: the credit balance first, then the customer's cards.
  auto drawn = CreditService(billing_).apply_balance(tx, invoice.id, /*only_if_any=*/true, origin);
  if (!drawn) return std::move(drawn).error();
  invoice = std::move(*drawn);
  if (invoice.status == InvoiceStatus::open && invoice.amount_remaining > 0) {
    auto collected = billing_.pay(tx, invoice.id, PayRequest{}, origin);
    if (!collected) return std::move(collected).error();
  }
  if (auto s = mark_converted(*basket, invoice.id, billing_.now_s()); !s) return std::move(s).error();
  if (auto s = kBaskets.update(tx, *basket, basket->id); !s) return std::move(s).error();
  return basket;
}

Result<Basket> BasketService::cancel(store::WriteTx& tx, std::string_view id, const Origin&) {
  auto basket = load(tx, id);
  if (!basket) return basket;
  if (auto s = mark_canceled(*basket, billing_.now_s()); !s) return std::move(s).error();
  if (auto s = kBaskets.update(tx, *basket, basket->id); !s) return std::move(s).error();
  return basket;
}

Result<bool> BasketService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kBaskets.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found) return false;
  Basket basket = std::move(**found);
  const int64_t now = billing_.now_s();
  if (!abandon_if_due(basket, now)) return false;
  // Once per idle period: a node that read the basket before another's abandonment committed rolls back.
  auto claimed = tx.claim_once(fmt::format("{}:abandoned:{}", basket.id, basket.idle_period), basket.id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("basket_already_abandoned",
                           fmt::format("basket {}'s idle period {} was already abandoned", basket.id,
                                       basket.idle_period));
  if (auto s = kBaskets.update(tx, basket, basket.id); !s) return std::move(s).error();
  // Time-driven: the event answers no request.
  if (auto s = billing_.append(tx, "basket.abandoned", "basket", basket.id, kBaskets.api_json(basket), {}, Origin{});
      !s)
    return std::move(s).error();
  return false;
}

void register_baskets(DocumentRegistry& registry) {
  registry.provide(service_factory<BasketService>([](const DomainDeps& deps) {
    return std::make_unique<BasketService>(deps.billing, deps.basket_abandon_after_s);
  }));

  RegisteredKind baskets = registered(kBaskets, "/v1/baskets", "Basket");
  baskets.customer_filter = "customer";
  baskets.wake = wake_with(&BasketService::on_wake);
  DocumentCommand create = create_command<BasketService, NewBasket>(
      "Create a basket",
      "A customer's cart of `items` (`description`, whole `quantity`, `unit_amount` in minor units, optional "
      "`tax_rate_bps`) in one `currency`, with an optional `checkout_url` to take it up again. Untouched for "
      "`--basket-abandon-after` (default 24h), it is abandoned: `basket.abandoned`, once per idle period. Bad "
      "input is a 400 naming the field (`items.0.quantity`); an unknown customer is a 404.",
      [](BasketService& s, store::WriteTx& tx, const NewBasket& request, const Origin& origin) {
        return kBaskets.answer(s.create(tx, request, origin));
      });
  create.wakes_clock = true;
  DocumentCommand update = document_command<BasketService, BasketUpdate>(
      "PATCH", "", "Change a basket",
      "Replaces its `items` and/or its `checkout_url`. A touch: an abandoned basket is active again and a new "
      "idle period starts. A converted or canceled basket is a 409 `basket_closed`.",
      [](BasketService& s, store::WriteTx& tx, std::string_view id, const BasketUpdate& change,
         const Origin& origin) { return kBaskets.answer(s.update(tx, id, change, origin)); });
  update.wakes_clock = true;
  baskets.commands = {
      std::move(create),
      std::move(update),
      document_command<BasketService, NoParams>(
          "POST", "checkout", "Check a basket out",
          "Turns it into an invoice, issued at once and collected like any other (`invoice.created`, "
          "`invoice.finalized`, then `invoice.paid` or the collection's failure); the basket is `converted` with "
          "its `invoice`. An empty basket is a 400 `basket_empty` naming `items`; a converted or canceled one a "
          "409 `basket_closed`.",
          [](BasketService& s, store::WriteTx& tx, std::string_view id, const NoParams&, const Origin& origin) {
            return kBaskets.answer(s.checkout(tx, id, origin));
          }),
      document_command<BasketService, NoParams>(
          "POST", "cancel", "Cancel a basket",
          "The basket is `canceled`: never checked out, never abandoned. A converted basket is a 409 "
          "`basket_closed`.",
          [](BasketService& s, store::WriteTx& tx, std::string_view id, const NoParams&, const Origin& origin) {
            return kBaskets.answer(s.cancel(tx, id, origin));
          }),
  };
  registry.add(std::move(baskets));
}

}  // namespace billhook::billing
