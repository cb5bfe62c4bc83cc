#include "billing/usage_fees.hpp"

#include <utility>

#include <fmt/format.h>

#include "billing/document_json.hpp"

namespace billhook::billing {

using core::Error;
using core::Result;

Result<std::map<std::string, BillableMetric>> metrics_by_code(const std::vector<store::DocumentRecord>& records) {
  std::map<std::string, BillableMetric> out;
  for (const auto& record : records) {
    auto metric = kBillableMetrics.decode(record.body);
    if (!metric) return std::move(metric).error();
    out.emplace(metric->code, std::move(*metric));
  }
  return out;
}

Result<std::map<std::string, BillableMetric>> metrics_in(store::WriteTx& tx) {
  auto records = tx.find_documents({.kind = std::string(kBillableMetrics.kind)});
  if (!records) return std::move(records).error();
  return metrics_by_code(*records);
}

Result<UsageAggregate> aggregate_for(const AggregationSpec& spec, const Period& period,
                                     const std::optional<store::UsageAggregateRecord>& latest) {
  if (!latest || (latest->period_start != period.start && !carries_over(spec)))
    return UsageAggregate(spec, period.start, period.end);
  auto state = doc_json::read_described<UsageAggregateState>(latest->state, "usage aggregate");
  if (!state) return std::move(state).error();
  auto stored = UsageAggregate::restore(spec, latest->period_start, latest->period_end, *state);
  if (!stored || latest->period_start == period.start) return stored;
  return stored->next_period(period.start, period.end);
}

Result<std::vector<ChargeUsage>> price_usage(const Plan& plan, const std::map<std::string, BillableMetric>& metrics,
                                             const Period& period, std::string_view currency,
                                             const LatestAggregate& latest) {
  std::vector<ChargeUsage> out;
  for (size_t i = 0; i < plan.charges.size(); ++i) {
    const Charge& charge = plan.charges[i];
    auto metric = metrics.find(charge.billable_metric);
    if (metric == metrics.end()) continue;  // a charge whose metric does not exist accrues nothing
    auto pricing = pricing_of(charge, fmt::format("charges.{}", i));
    if (!pricing) return std::move(pricing).error();
    if (pricing->model == ChargeModel::percentage) continue;
    auto stored = latest(charge.billable_metric);
    if (!stored) return std::move(stored).error();
    auto aggregate = aggregate_for(aggregation_spec(metric->second), period, *stored);
    if (!aggregate) return std::move(aggregate).error();
    auto units = aggregate->value();
    if (!units) return std::move(units).error();
    auto precise = amount_for_units(*pricing, *units);
    if (!precise) return std::move(precise).error();
    auto amount = fee_minor_units(*precise, currency);
    if (!amount) return std::move(amount).error();
    out.push_back({metric->second, charge, *units, aggregate->events_count(), *precise, *amount});
  }
  return out;
}

std::vector<LineItem> usage_lines(const std::vector<ChargeUsage>& usage, const Period& period) {
  std::vector<LineItem> lines;
  for (const ChargeUsage& u : usage) {
    // Its fees were invoiced as its events arrived (advance_fees.hpp).
    if (u.charge.pay_in_advance && u.charge.invoiceable) continue;
    const bool minimum = u.charge.min_amount > u.amount;
    const int64_t billed = minimum ? u.charge.min_amount : u.amount;
    if (billed == 0) continue;
    LineItem line;
    line.description = fmt::format("{} — {} {}{}", u.metric.name, u.units.to_string(),
                                   u.units == core::Decimal::of(1) ? "unit" : "units",
                                   minimum ? " (minimum amount)" : "");
    line.quantity_milli = 1000;  // the fee is the whole amount: the units are in `usage`
    line.unit_amount = billed;
    line.period_start = period.start;
    line.period_end = period.end;
    line.usage = UsageFee{.billable_metric = u.metric.code,
                          .charge_model = u.charge.charge_model,
                          .units = u.units.to_string(),
                          .events_count = u.events_count,
                          .precise_amount = u.precise_amount.to_string()};
    lines.push_back(std::move(line));
  }
  return lines;
}

Result<std::vector<LineItem>> period_usage_lines(store::WriteTx& tx, const std::string& subscription_id,
                                                 const std::string& plan_id, std::string_view currency,
                                                 const Period& period) {
  auto plan = kPlans.find(tx, plan_id);
  if (!plan) return std::move(plan).error();
  if (!*plan || (*plan)->charges.empty()) return std::vector<LineItem>{};
  auto metrics = metrics_in(tx);
  if (!metrics) return std::move(metrics).error();
  auto usage = price_usage(**plan, *metrics, period, currency, [&](const std::string& code) {
    return tx.find_usage_aggregate(subscription_id, code, period.start, /*hold=*/false);
  });
  if (!usage) return std::move(usage).error();
  return usage_lines(*usage, period);
}

}  // namespace billhook::billing
