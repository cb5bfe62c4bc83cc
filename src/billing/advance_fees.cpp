#include "billing/advance_fees.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "billing/fee.hpp"
#include "billing/subscription_invoice.hpp"
#include "core/money.hpp"

namespace billhook::billing {

using core::Status;

Status charge_in_advance(BillingService& billing, store::WriteTx& tx, const Subscription& sub, const Period& period,
                         const Charge& charge, const BillableMetric& metric, const AdvanceAmount& owed,
                         const store::UsageEventRecord& event, const Origin& origin) {
  auto exponent = core::currency_exponent(sub.currency);
  if (!exponent) return std::move(exponent).error();
  int64_t per_major = 1;
  for (int i = 0; i < *exponent; ++i) per_major *= 10;
  auto precise_minor = owed.precise_major.times(core::Decimal::of(per_major));
  if (!precise_minor) return std::move(precise_minor).error();
  const int64_t now = billing.now_s();
  Fee fee{.id = billing.ids().next(core::IdKind::fee),
          .customer = sub.customer,
          .subscription = sub.id,
          .invoice = std::nullopt,
          .billable_metric = metric.code,
          .charge_model = charge.charge_model,
          .description = fmt::format("{} — {} {} (paid in advance)", metric.name, owed.units.to_string(),
                                     owed.units == core::Decimal::of(1) ? "unit" : "units"),
          .units = owed.units.to_string(),
          .events_count = 1,
          .amount = owed.amount,
          .precise_amount = precise_minor->to_string(),
          .currency = sub.currency,
          .pay_in_advance = true,
          .invoiceable = charge.invoiceable,
          .usage_event = event.id,
          .transaction_id = event.transaction_id,
          .period_start = period.start,
          .period_end = period.end,
          .created = now};
  if (charge.invoiceable && fee.amount > 0) {
    LineItem line;
    line.description = fee.description;
    line.quantity_milli = 1000;
    line.unit_amount = fee.amount;
    line.period_start = period.start;
    line.period_end = period.end;
    line.usage = UsageFee{.billable_metric = metric.code,
                          .charge_model = charge.charge_model,
                          .units = fee.units,
                          .events_count = 1,
                          .precise_amount = owed.precise_major.to_string()};
    std::vector<LineItem> lines;
    lines.push_back(std::move(line));
    // Lago's pay-in-advance fee invoices are subscription invoices.
    auto invoice = issue_subscription_invoice(billing, tx, sub, period, 0, BillingReason::subscription_cycle, origin,
                                              std::move(lines));
    if (!invoice) return std::move(invoice).error();
    fee.invoice = invoice->id;
  }
  if (auto s = kFees.insert(tx, fee, fee.id, now * 1000); !s) return s;
  return billing.append(tx, "fee.created", std::string(kFees.kind), fee.id, kFees.api_json(fee), {}, origin);
}

}  // namespace billhook::billing
