#pragma once

// A period's usage priced (DOMAINS.md §2, "Fees"): for each charge of the plan, the metric's value
// over the period from its running aggregate, the charge's exact amount and that amount rounded once,
// half-even, to the currency's minor unit. What GET …/usage shows for the open period, and what the
// period's invoice bills as one line per charge when the period ends (usage_lines).
//
// A percentage charge is priced per event (charge_model.hpp's PercentageFee), so its running fee is
// kept beside the metric's aggregate, in the same stored row (PeriodUsage), under the key of the
// charge's terms. A fee with no stored state while the period has events — its terms were changed
// mid-period — is folded again from the period's stored events, once, in the order they arrived.

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

// Where the usage of one subscription's period is read from, by metric code: the latest stored aggregate
// for a period starting at or before the one priced (WriteTx::find_usage_aggregate's answer), and the
// period's billed events (for a percentage fee folded again).
struct UsageSource {
  std::function<core::Result<std::optional<store::UsageAggregateRecord>>(const std::string& code)> latest;
  std::function<core::Result<std::vector<store::UsageEventRecord>>(const std::string& code)> events;
};
// The source of `subscription_id`'s `period` in a write transaction (not holding its rows).
UsageSource usage_in(store::WriteTx& tx, const std::string& subscription_id, const Period& period);

// A metric's usage over one period as it is stored: the running aggregate, and the running fee of each
// percentage charge on the metric by percentage_terms_key (as stored: its terms come with the charge).
struct PeriodUsage {
  UsageAggregate aggregate;
  std::map<std::string, PercentageFeeState> percentage_fees;
};

// The metrics by code, from their stored documents.
core::Result<std::map<std::string, BillableMetric>> metrics_by_code(const std::vector<store::DocumentRecord>& records);
// Every metric by code, read in `tx` (a handful of documents; a code names one metric for good).
core::Result<std::map<std::string, BillableMetric>> metrics_in(store::WriteTx& tx);

// The usage of `period` given the latest stored one at or before it: that one itself, what a recurring
// metric carries over from an earlier period (its percentage fees start again), or a fresh one.
core::Result<PeriodUsage> usage_for(const AggregationSpec& spec, const Period& period,
                                    const std::optional<store::UsageAggregateRecord>& latest);
// Its stored form (UsageAggregateRecord::state).
std::string stored_state(const PeriodUsage& usage);

// What one event adds to a percentage charge: the aggregated property's decimal value, or 1 for a
// metric that aggregates no number (a count: each event is one unit).
core::Result<core::Decimal> percentage_event_amount(const BillableMetric& metric, const UsageProperties& properties);

// The running fee of the percentage charge `charge` (terms `terms`) on `metric` in `usage`: the stored
// state, a new fee when the period has no events yet, or else one folded again from `events()`, the
// period's billed events of the metric, less any with a transaction_id in `skip` (events of the
// current request, which its caller adds itself).
core::Result<PercentageFee> percentage_fee_for(const PeriodUsage& usage, const std::string& terms_key,
                                               const PercentageTerms& terms, const BillableMetric& metric,
                                               const std::function<core::Result<std::vector<store::UsageEventRecord>>()>& events,
                                               std::string_view skip = {});

// Every charge of `plan` whose metric exists, priced over `period` in `currency`.
core::Result<std::vector<ChargeUsage>> price_usage(const Plan& plan, const std::map<std::string, BillableMetric>& metrics,
                                                   const Period& period, std::string_view currency,
                                                   const UsageSource& source);

// The invoice lines of a period's usage: one per charge that bills something — its amount, or the
// charge's min_amount when that is more ("minimum" in its description) —, each with its usage detail.
// An invoiceable pay-in-advance charge has none — its fees were invoiced at intake (advance_fees.hpp) —
// unless its min_amount is more than the period's amount: then a line of the difference.
std::vector<LineItem> usage_lines(const std::vector<ChargeUsage>& usage, const Period& period);

// The usage of `sub`'s `period` as invoice lines, read in the transaction that bills it.
core::Result<std::vector<LineItem>> period_usage_lines(store::WriteTx& tx, const std::string& subscription_id,
                                                       const std::string& plan_id, std::string_view currency,
                                                       const Period& period);

}  // namespace billhook::billing
