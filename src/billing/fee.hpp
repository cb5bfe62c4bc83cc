#pragma once

// A pay-in-advance charge's fee (DOMAINS.md §2, "Fees"): made when a usage event raises the charge's
// amount, stored as a `fee` document (id fee_…, under its customer and subscription) and announced by
// fee.created. `invoice` is the invoice that billed it at once, or null when the charge is not
// invoiceable (the period's closing invoice bills that charge instead).

#include <cstdint>
#include <optional>
#include <string>

#include "billing/charge_model.hpp"
#include "billing/registry/document_kind.hpp"
#include "core/decimal.hpp"
#include "core/described.hpp"
#include "core/result.hpp"

namespace billhook::billing {

struct Fee {
  static constexpr bool described_omit_null = false;
  std::string id;
  std::string customer;
  std::string subscription;
  std::optional<std::string> invoice;
  std::string billable_metric;  // the metric's code
  ChargeModel charge_model = ChargeModel::standard;
  std::string description;
  std::string units;           // what the event added to the metric's value, an exact decimal
  int64_t events_count = 1;
  int64_t amount = 0;          // minor units, rounded once, half-even
  std::string precise_amount;  // the unrounded amount in minor units (the catalog's fee), an exact decimal
  std::string currency;
  bool pay_in_advance = true;
  bool invoiceable = true;
  std::string usage_event;     // the usage event's id (uev_…)
  std::string transaction_id;  // and the caller's key for it
  int64_t period_start = 0;
  int64_t period_end = 0;
  int64_t created = 0;
  bool operator==(const Fee&) const = default;
};
BOOST_DESCRIBE_STRUCT(Fee, (),
                      (id, customer, subscription, invoice, billable_metric, charge_model, description, units,
                       events_count, amount, precise_amount, currency, pay_in_advance, invoiceable, usage_event,
                       transaction_id, period_start, period_end, created))

extern const DocumentKind<Fee> kFees;

// What an event owes a pay-in-advance charge: the charge's exact amount at `after` units less its amount
// at `before` (major units), rounded once, half-even, in `currency`.
struct AdvanceAmount {
  core::Decimal units;          // after − before
  core::Decimal precise_major;  // the exact increase, in major units
  int64_t amount = 0;           // minor units
};

// Null when the event does not raise the charge's amount (a free tier, a unit inside a package already
// paid for, a value that went down): no fee. Percentage charges are priced per event elsewhere.
core::Result<std::optional<AdvanceAmount>> advance_amount(const ChargePricing& pricing, const core::Decimal& before,
                                                          const core::Decimal& after, std::string_view currency);

}  // namespace billhook::billing
