#include "billing/fee.hpp"

#include <utility>

namespace billhook::billing {
namespace {

DocumentLookup fee_lookup(const Fee& fee) {
  return {.customer_id = fee.customer,
          .parent_id = fee.subscription,
          .status = fee.invoice ? "invoiced" : "pending",
          .wake_at = std::nullopt};
}

}  // namespace

const DocumentKind<Fee> kFees{.kind = "fee",
                              .noun = "fee",
                              .id_kind = core::IdKind::fee,
                              .hidden_fields = {},
                              .lookup = &fee_lookup};

core::Result<std::optional<AdvanceAmount>> advance_amount(const ChargePricing& pricing, const core::Decimal& before,
                                                          const core::Decimal& after, std::string_view currency) {
  auto then = amount_for_units(pricing, before);
  if (!then) return std::move(then).error();
  auto now = amount_for_units(pricing, after);
  if (!now) return std::move(now).error();
  auto increase = now->minus(*then);
  if (!increase) return std::move(increase).error();
  if (increase->sign() <= 0) return std::optional<AdvanceAmount>{};
  auto units = after.minus(before);
  if (!units) return std::move(units).error();
  auto amount = fee_minor_units(*increase, currency);
  if (!amount) return std::move(amount).error();
  return std::optional<AdvanceAmount>{AdvanceAmount{*units, *increase, *amount}};
}

}  // namespace billhook::billing
