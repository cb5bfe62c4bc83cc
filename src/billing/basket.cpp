#include "billing/basket.hpp"

#include <utility>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Result;
using core::Status;

Error invalid(std::string message, std::string param) {
  return Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

DocumentLookup basket_lookup(const Basket& basket) {
  return {.customer_id = basket.customer,
          .parent_id = {},
          .status = std::string(core::described::name_of(basket.status)),
          .wake_at = basket.status == BasketStatus::active ? basket.abandons_at : std::nullopt};
}

bool is_open(const Basket& basket) {
  return basket.status == BasketStatus::active || basket.status == BasketStatus::abandoned;
}

Error closed(const Basket& basket) {
  return Error::conflict("basket_closed", fmt::format("basket {} is {}: it can no longer change", basket.id,
                                                      core::described::name_of(basket.status)));
}

Status check_checkout_url(const std::optional<std::string>& url) {
  if (!url) return {};
  if (url->size() > kMaxCheckoutUrlLength)
    return invalid(fmt::format("'checkout_url' is at most {} characters", kMaxCheckoutUrlLength), "checkout_url");
  if (url->rfind("https://", 0) != 0 && url->rfind("http://", 0) != 0)
    return invalid("'checkout_url' must be an http or https URL", "checkout_url");
  return {};
}

// The lines as items with their amounts, and their total.
Status set_items(Basket& basket, const std::vector<BasketLine>& lines) {
  if (lines.size() > kMaxBasketItems)
    return invalid(fmt::format("a basket has at most {} items", kMaxBasketItems), "items");
  std::vector<BasketItem> items;
  items.reserve(lines.size());
  int64_t total = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const BasketLine& line = lines[i];
    const std::string at = fmt::format("items.{}", i);
    if (line.description.empty())
      return Error::invalid("parameter_missing", "a basket item needs a description", at + ".description");
    if (line.description.size() > kMaxBasketDescriptionLength)
      return invalid(fmt::format("a description is at most {} characters", kMaxBasketDescriptionLength),
                     at + ".description");
    if (line.quantity < 1 || line.quantity > kMaxBasketQuantity)
      return invalid(fmt::format("quantity is a whole number from 1 to {}, got {}", kMaxBasketQuantity, line.quantity),
                     at + ".quantity");
    if (line.unit_amount < 0)
      return invalid(fmt::format("unit_amount cannot be negative, got {}", line.unit_amount), at + ".unit_amount");
    const int64_t rate = line.tax_rate_bps.value_or(0);
    if (rate < 0 || rate > kMaxBasisPoints)
      return invalid(fmt::format("tax_rate_bps is 0 to {}, got {}", kMaxBasisPoints, rate), at + ".tax_rate_bps");
    auto amount = core::line_amount(line.quantity * 1000, line.unit_amount);
    if (!amount) return Error::invalid(amount.error().code, amount.error().message, at + ".unit_amount");
    auto sum = core::checked_add(total, *amount);
    if (!sum) return Error::invalid(sum.error().code, sum.error().message, "items");
    total = *sum;
    items.push_back({.description = line.description,
                     .quantity = line.quantity,
                     .unit_amount = line.unit_amount,
                     .amount = *amount,
                     .tax_rate_bps = rate});
  }
  basket.items = std::move(items);
  basket.total = total;
  return {};
}

// A touch: a new idle period from `now`.
void touch(Basket& basket, int64_t now, int64_t abandon_after) {
  basket.status = BasketStatus::active;
  basket.last_activity_at = now;
  basket.abandons_at = now + abandon_after;
  basket.abandoned_at.reset();
}

}  // namespace

const DocumentKind<Basket> kBaskets{.kind = "basket",
                                    .noun = "basket",
                                    .id_kind = core::IdKind::basket,
                                    .hidden_fields = {"idle_period"},
                                    .lookup = &basket_lookup};

Result<Basket> new_basket(const NewBasket& request, std::string id, int64_t now, int64_t abandon_after) {
  if (request.customer.empty()) return Error::invalid("parameter_missing", "'customer' is required", "customer");
  if (!core::is_known_currency(request.currency))
    return Error::invalid("unknown_currency",
                          fmt::format("'{}' is not an active ISO 4217 currency code", request.currency.substr(0, 10)),
                          "currency");
  if (auto s = check_checkout_url(request.checkout_url); !s) return std::move(s).error();
  Basket basket{.id = std::move(id),
                .customer = request.customer,
                .status = BasketStatus::active,
                .currency = request.currency,
                .checkout_url = request.checkout_url,
                .created = now,
                .idle_period = 1};
  if (auto s = set_items(basket, request.items.value_or(std::vector<BasketLine>{})); !s) return std::move(s).error();
  touch(basket, now, abandon_after);
  return basket;
}

Result<Basket> updated_basket(Basket basket, const BasketUpdate& change, int64_t now, int64_t abandon_after) {
  if (!is_open(basket)) return closed(basket);
  if (change.checkout_url) {
    if (auto s = check_checkout_url(*change.checkout_url); !s) return std::move(s).error();
    basket.checkout_url = *change.checkout_url;
  }
  if (change.items)
    if (auto s = set_items(basket, *change.items); !s) return std::move(s).error();
  touch(basket, now, abandon_after);
  ++basket.idle_period;
  return basket;
}

bool abandon_if_due(Basket& basket, int64_t now) {
  if (basket.status != BasketStatus::active || !basket.abandons_at || *basket.abandons_at > now) return false;
  basket.status = BasketStatus::abandoned;
  basket.abandoned_at = now;
  basket.abandons_at.reset();
  return true;
}

Result<Invoice> checkout_invoice(const Basket& basket) {
  if (!is_open(basket)) return closed(basket);
  if (basket.items.empty())
    return Error::invalid("basket_empty", fmt::format("basket {} has no items to check out", basket.id), "items");
  Invoice doc;
  doc.customer_id = basket.customer;
  doc.currency = basket.currency;
  doc.collection_method = CollectionMethod::charge_automatically;
  doc.billing_reason = BillingReason::one_off;
  doc.description = fmt::format("Basket {}", basket.id);
  doc.metadata["basket"] = basket.id;
  for (const auto& item : basket.items)
    doc.lines.push_back(LineItem{.description = item.description,
                                 .quantity_milli = item.quantity * 1000,
                                 .unit_amount = item.unit_amount,
                                 .tax_rate_bps = item.tax_rate_bps});
  return doc;
}

Status mark_converted(Basket& basket, std::string invoice_id, int64_t now) {
  if (!is_open(basket)) return closed(basket);
  basket.status = BasketStatus::converted;
  basket.invoice = std::move(invoice_id);
  basket.converted_at = now;
  basket.abandons_at.reset();
  return {};
}

Status mark_canceled(Basket& basket, int64_t now) {
  if (!is_open(basket)) return closed(basket);
  basket.status = BasketStatus::canceled;
  basket.canceled_at = now;
  basket.abandons_at.reset();
  return {};
}

}  // namespace billhook::billing
