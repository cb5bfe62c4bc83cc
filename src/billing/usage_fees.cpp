#include "billing/usage_fees.hpp"

#include <utility>

#include <fmt/format.h>

#include <boost/json.hpp>

#include "billing/document_json.hpp"
#include "billing/usage_event.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

// The running fees a stored aggregate row carries beside the aggregate's own state (usage_for).
struct StoredPercentageFees {
  std::optional<std::vector<PercentageFeeState>> percentage_fees;
};
BOOST_DESCRIBE_STRUCT(StoredPercentageFees, (), (percentage_fees))

}  // namespace

using core::Decimal;
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

UsageSource usage_in(store::WriteTx& tx, const std::string& subscription_id, const Period& period) {
  return {.latest = [&tx, subscription_id, period](const std::string& code) {
            return tx.find_usage_aggregate(subscription_id, code, period.start, /*hold=*/false);
          },
          .events = [&tx, subscription_id, period](const std::string& code) {
            return tx.list_usage_events(subscription_id, code, period.start, period.end);
          }};
}

Result<PeriodUsage> usage_for(const AggregationSpec& spec, const Period& period,
                              const std::optional<store::UsageAggregateRecord>& latest) {
  if (!latest || (latest->period_start != period.start && !carries_over(spec)))
    return PeriodUsage{UsageAggregate(spec, period.start, period.end), {}};
  auto stored = doc_json::parse_object(latest->state, "usage aggregate");
  if (!stored) return std::move(stored).error();
  auto state = doc_json::read_described<UsageAggregateState>(*stored, "usage aggregate");
  if (!state) return std::move(state).error();
  auto aggregate = UsageAggregate::restore(spec, latest->period_start, latest->period_end, *state);
  if (!aggregate) return std::move(aggregate).error();
  if (latest->period_start != period.start) {
    auto next = aggregate->next_period(period.start, period.end);
    if (!next) return std::move(next).error();
    return PeriodUsage{std::move(*next), {}};
  }
  auto fees = doc_json::read_described<StoredPercentageFees>(*stored, "usage aggregate");
  if (!fees) return std::move(fees).error();
  PeriodUsage usage{std::move(*aggregate), {}};
  for (PercentageFeeState& fee : fees->percentage_fees.value_or(std::vector<PercentageFeeState>{}))
    usage.percentage_fees.emplace(fee.terms, std::move(fee));
  return usage;
}

std::string stored_state(const PeriodUsage& usage) {
  json::object state = core::described::to_json(usage.aggregate.state());
  if (!usage.percentage_fees.empty()) {
    json::array fees;
    for (const auto& [key, fee] : usage.percentage_fees) fees.push_back(core::described::to_value(fee));
    state["percentage_fees"] = std::move(fees);
  }
  return json::serialize(state);
}

Result<Decimal> percentage_event_amount(const BillableMetric& metric, const UsageProperties& properties) {
  if (!metric.field_name || !aggregates_a_number(metric.aggregation_type)) return Decimal::of(1);
  auto it = properties.find(*metric.field_name);
  if (it == properties.end())
    return Error::invalid("missing_property", fmt::format("the event has no property '{}'", *metric.field_name),
                          *metric.field_name);
  return Decimal::parse(it->second, *metric.field_name);
}

Result<PercentageFee> percentage_fee_for(const PeriodUsage& usage, const std::string& terms_key,
                                         const PercentageTerms& terms, const BillableMetric& metric,
                                         const std::function<Result<std::vector<store::UsageEventRecord>>()>& events,
                                         std::string_view skip) {
  if (auto it = usage.percentage_fees.find(terms_key); it != usage.percentage_fees.end())
    return PercentageFee::restore(terms, it->second);
  PercentageFee fee(terms);
  if (usage.aggregate.events_count() == 0) return fee;
  auto stored = events();
  if (!stored) return std::move(stored).error();
  const AggregationSpec spec = aggregation_spec(metric);
  for (const store::UsageEventRecord& record : *stored) {
    if (!skip.empty() && record.transaction_id == skip) continue;
    auto properties = stored_usage_properties(record.properties);
    if (!properties) return std::move(properties).error();
    if (!passes_filters(spec, UsageEvent{record.timestamp, *properties})) continue;
    auto amount = percentage_event_amount(metric, *properties);
    if (!amount) continue;  // the aggregate refused it too
    if (auto s = fee.add_event(*amount); !s) return std::move(s).error();
  }
  return fee;
}

Result<std::vector<ChargeUsage>> price_usage(const Plan& plan, const std::map<std::string, BillableMetric>& metrics,
                                             const Period& period, std::string_view currency,
                                             const UsageSource& source) {
  std::vector<ChargeUsage> out;
  for (size_t i = 0; i < plan.charges.size(); ++i) {
    const Charge& charge = plan.charges[i];
    auto metric = metrics.find(charge.billable_metric);
    if (metric == metrics.end()) continue;  // a charge whose metric does not exist accrues nothing
    auto pricing = pricing_of(charge, fmt::format("charges.{}", i));
    if (!pricing) return std::move(pricing).error();
    auto stored = source.latest(charge.billable_metric);
    if (!stored) return std::move(stored).error();
    auto usage = usage_for(aggregation_spec(metric->second), period, *stored);
    if (!usage) return std::move(usage).error();
    ChargeUsage priced{metric->second, charge, {}, 0, {}, 0};
    if (pricing->model == ChargeModel::percentage) {
      auto fee = percentage_fee_for(*usage, percentage_terms_key(charge), pricing->percentage, metric->second,
                                    [&] { return source.events(charge.billable_metric); });
      if (!fee) return std::move(fee).error();
      priced.units = fee->units();
      priced.events_count = fee->events();
      priced.precise_amount = fee->amount();
    } else {
      auto units = usage->aggregate.value();
      if (!units) return std::move(units).error();
      auto precise = amount_for_units(*pricing, *units);
      if (!precise) return std::move(precise).error();
      priced.units = *units;
      priced.events_count = usage->aggregate.events_count();
      priced.precise_amount = *precise;
    }
    auto amount = fee_minor_units(priced.precise_amount, currency);
    if (!amount) return std::move(amount).error();
    priced.amount = *amount;
    out.push_back(std::move(priced));
  }
  return out;
}

std::vector<LineItem> usage_lines(const std::vector<ChargeUsage>& usage, const Period& period) {
  std::vector<LineItem> lines;
  for (const ChargeUsage& u : usage) {
    const bool minimum = u.charge.min_amount > u.amount;
    // An invoiceable pay-in-advance charge's fees were invoiced as its events arrived (advance_fees.hpp):
    // the period owes only what its minimum adds to them (Lago's true-up fee).
    const bool invoiced_in_advance = u.charge.pay_in_advance && u.charge.invoiceable;
    if (invoiced_in_advance && !minimum) continue;
    const int64_t billed = !minimum ? u.amount : u.charge.min_amount - (invoiced_in_advance ? u.amount : 0);
    if (billed == 0) continue;
    LineItem line;
    line.description = fmt::format("{} — {} {}{}", u.metric.name, u.units.to_string(),
                                   u.units == core::Decimal::of(1) ? "unit" : "units",
                                   !minimum             ? ""
                                   : invoiced_in_advance ? " (minimum amount, less the fees paid in advance)"
                                                         : " (minimum amount)");
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
  auto usage = price_usage(**plan, *metrics, period, currency, usage_in(tx, subscription_id, period));
  if (!usage) return std::move(usage).error();
  return usage_lines(*usage, period);
}

}  // namespace billhook::billing
