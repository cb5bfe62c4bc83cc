#pragma once

// A basket (DOMAINS.md §5, seed 000's "Basket abandoned"): a customer's cart of lines in one currency,
// before any invoice exists. A registered document, kind "basket", id "bsk_…"; its struct is the stored,
// API and webhook form ($defs/basket).
//
//   active ──untouched for --basket-abandon-after──▶ abandoned ──touched (lines changed)──▶ active
//     │  ╲                                              │
//     │   ╲──checkout──▶ converted (an invoice)  ◀──────┤ checkout
//     └──cancel──▶ canceled  ◀─────────────────────────┘ cancel
//
// Every touch (creation, a change of its lines) starts an idle period: the basket wakes at
// `abandons_at` = the touch + the abandon delay, and basket.abandoned is sent once for that period
// (`idle_period` numbers them and keys the claim that makes it once).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>

#include "billing/invoice.hpp"
#include "billing/registry/document_kind.hpp"
#include "core/result.hpp"

namespace billhook::billing {

inline constexpr size_t kMaxBasketItems = 100;
inline constexpr int64_t kMaxBasketQuantity = 1'000'000;
inline constexpr size_t kMaxBasketDescriptionLength = 500;
inline constexpr size_t kMaxCheckoutUrlLength = 2048;
inline constexpr int64_t kDefaultBasketAbandonAfterSeconds = 24 * 3600;

enum class BasketStatus { active, abandoned, converted, canceled };
BOOST_DESCRIBE_ENUM(BasketStatus, active, abandoned, converted, canceled)

// A line as the caller gives it.
struct BasketLine {
  std::string description;
  int64_t quantity = 1;     // whole units, 1 or more
  int64_t unit_amount = 0;  // minor units of the basket's currency, 0 or more
  std::optional<int64_t> tax_rate_bps;  // 0–10000, added on the invoice; none when absent
};
BOOST_DESCRIBE_STRUCT(BasketLine, (), (description, quantity, unit_amount, tax_rate_bps))

// A line as the basket shows it ($defs/line_item).
struct BasketItem {
  std::string description;
  int64_t quantity = 1;
  int64_t unit_amount = 0;
  int64_t amount = 0;  // quantity × unit_amount
  int64_t tax_rate_bps = 0;
  bool operator==(const BasketItem&) const = default;
};
BOOST_DESCRIBE_STRUCT(BasketItem, (), (description, quantity, unit_amount, amount, tax_rate_bps))

struct Basket {
  std::string id;
  std::string customer;
  BasketStatus status = BasketStatus::active;
  std::string currency;
  std::vector<BasketItem> items;
  int64_t total = 0;  // Σ item amounts, before tax
  std::optional<std::string> checkout_url;  // where the shop lets the customer take the cart up again
  int64_t last_activity_at = 0;
  std::optional<int64_t> abandons_at;  // while active: when it counts as abandoned if untouched
  std::optional<int64_t> abandoned_at;
  std::optional<std::string> invoice;  // made by checkout
  std::optional<int64_t> converted_at;
  std::optional<int64_t> canceled_at;
  int64_t created = 0;
  int64_t idle_period = 1;  // kept, not shown: the touches so far, each starting an idle period
  bool operator==(const Basket&) const = default;
};
BOOST_DESCRIBE_STRUCT(Basket, (),
                      (id, customer, status, currency, items, total, checkout_url, last_activity_at, abandons_at,
                       abandoned_at, invoice, converted_at, canceled_at, created, idle_period))

// Looked up by customer and status; wakes at abandons_at while active.
extern const DocumentKind<Basket> kBaskets;

// The body of POST /v1/baskets.
struct NewBasket {
  std::string customer;
  std::string currency;
  std::optional<std::vector<BasketLine>> items;
  std::optional<std::string> checkout_url;
};
BOOST_DESCRIBE_STRUCT(NewBasket, (), (customer, currency, items, checkout_url))

// The body of PATCH /v1/baskets/{id}: its lines replaced, its checkout_url changed (null clears it).
struct BasketUpdate {
  std::optional<std::vector<BasketLine>> items;
  std::optional<std::optional<std::string>> checkout_url;
};
BOOST_DESCRIBE_STRUCT(BasketUpdate, (), (items, checkout_url))

// A new active basket, its first idle period started at `now`. invalid_request naming the field: a
// currency not in ISO 4217, more than kMaxBasketItems lines, a line without a description, a quantity
// under 1 or over kMaxBasketQuantity, a negative unit amount, a rate outside 0–10000 ("items.1.quantity"),
// a checkout_url that is not http(s); an amount out of range.
core::Result<Basket> new_basket(const NewBasket& request, std::string id, int64_t now, int64_t abandon_after);

// `basket` with `change` applied: a touch, which re-arms an abandoned basket (active, a new idle period).
// A converted or canceled basket is a conflict "basket_closed"; bad lines as new_basket.
core::Result<Basket> updated_basket(Basket basket, const BasketUpdate& change, int64_t now, int64_t abandon_after);

// The idle period has run out: abandoned at `now`. False (nothing changes) unless active and due.
bool abandon_if_due(Basket& basket, int64_t now);

// The invoice a checkout makes: one line per item (its quantity, unit amount and tax rate), the
// basket's customer and currency, collected automatically, `basket` in its metadata. invalid_request
// "basket_empty" naming `items` for a basket without lines; conflict "basket_closed" unless active or
// abandoned.
core::Result<Invoice> checkout_invoice(const Basket& basket);

// Checked out into `invoice_id` / canceled, at `now`. Conflict "basket_closed" unless active or abandoned.
core::Status mark_converted(Basket& basket, std::string invoice_id, int64_t now);
core::Status mark_canceled(Basket& basket, int64_t now);

}  // namespace billhook::billing
