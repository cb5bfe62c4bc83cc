#pragma once

// A period's usage priced (DOMAINS.md §2, "Fees"): for each charge of the plan, the metric's value
// over the period from its running aggregate, the charge's exact amount and that amount rounded once,
// half-even, to the currency's minor unit. What GET …/usage shows for the open period, and what the
// period's invoice bills as one line per charge when the period ends (usage_lines).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "billing/billable_metric.hpp"
#include "billing/charge_model.hpp"
#include "billing/invoice.hpp"
#include "billing/plan.hpp"
#include "billing/subscription_period.hpp"
#include "core/decimal.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct ChargeUsage {
  BillableMetric metric;
  Charge charge;
  core::Decimal units;
  int64_t events_count = 0;
  core::Decimal precise_amount;  // exact, in major units
  int64_t amount = 0;            // minor units, rounded once, half-even
};

// The latest stored aggregate of (the subscription, `code`) for a period starting at or before the one
// priced (WriteTx::find_usage_aggregate's answer).
using LatestAggregate = std::function<core::Result<std::optional<store::UsageAggregateRecord>>(const std::string& code)>;

// The metrics by code, from their stored documents.
core::Result<std::map<std::string, BillableMetric>> metrics_by_code(const std::vector<store::DocumentRecord>& records);
// Every metric by code, read in `tx` (a handful of documents; a code names one metric for good).
core::Result<std::map<std::string, BillableMetric>> metrics_in(store::WriteTx& tx);

// The aggregate of `period` given the latest stored one at or before it: that one itself, what a
// recurring metric carries over from an earlier period, or a fresh one.
core::Result<UsageAggregate> aggregate_for(const AggregationSpec& spec, const Period& period,
                                           const std::optional<store::UsageAggregateRecord>& latest);

// Every charge of `plan` whose metric exists, priced over `period` in `currency`. Percentage charges are
// priced per event and are not kept by the running aggregates yet: they are left out.
core::Result<std::vector<ChargeUsage>> price_usage(const Plan& plan, const std::map<std::string, BillableMetric>& metrics,
                                                   const Period& period, std::string_view currency,
                                                   const LatestAggregate& latest);

// The invoice lines of a period's usage: one per charge that bills something — its amount, or the
// charge's min_amount when that is more ("minimum" in its description) —, each with its usage detail.
// An invoiceable pay-in-advance charge has none: its fees were invoiced at intake (advance_fees.hpp).
std::vector<LineItem> usage_lines(const std::vector<ChargeUsage>& usage, const Period& period);

// The usage of `sub`'s `period` as invoice lines, read in the transaction that bills it.
core::Result<std::vector<LineItem>> period_usage_lines(store::WriteTx& tx, const std::string& subscription_id,
                                                       const std::string& plan_id, std::string_view currency,
                                                       const Period& period);

}  // namespace billhook::billing
