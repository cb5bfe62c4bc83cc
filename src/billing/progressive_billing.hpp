#pragma once

// Progressive billing (DOMAINS.md §2): a plan's usage_thresholds against the open period's accrued usage
// (price_usage's total, before min_amount). When an intake transaction takes the total past a threshold not
// yet reached this period, the subscription sends subscription.usage_threshold_reached and is invoiced
// (billing_reason threshold: Lago's progressive_billing) for the usage to date that earlier progressive
// invoices of the period did not bill — once per threshold per period (a claimed key), in the intake's
// transaction, so a replayed transaction_id, which adds nothing, crosses nothing.
//
// A recurring threshold of amount A is reached at every multiple of A; a jump over several multiples in one
// transaction is one crossing (the highest), billed once. The period's closing invoice bills each charge
// less what the period's progressive invoices billed for it (deducted per charge, not as a credit line).

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "billing/billing_service.hpp"
#include "billing/charge_model.hpp"
#include "billing/invoice.hpp"
#include "billing/subscription.hpp"
#include "billing/subscription_period.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// A threshold and the usage amount at which it counts as reached (its amount, or for a recurring one the
// highest multiple of it reached).
struct ThresholdLevel {
  UsageThreshold threshold;
  int64_t level = 0;
};

// The levels `total` (minor units) has reached, in the plan's order; nothing for thresholds of amount ≤ 0.
std::vector<ThresholdLevel> threshold_levels(const std::vector<UsageThreshold>& thresholds, int64_t total);

// What usage lines of a period have already billed, per charge: (metric code, charge model) → minor units.
using BilledUsage = std::map<std::pair<std::string, ChargeModel>, int64_t>;

// The usage lines of the period's progressive invoices of `sub` that are not void.
core::Result<BilledUsage> billed_progressively(store::WriteTx& tx, const Subscription& sub, const Period& period);

// `lines` less what `billed` says was billed for their charge, in order; a line left at 0 is dropped. A
// line's usage detail stays the period's whole usage; only its amount shrinks.
std::vector<LineItem> less_billed(std::vector<LineItem> lines, BilledUsage billed);

// The intake's step for one subscription it added usage to: the thresholds newly passed, their events and
// the progressive invoice. Nothing when the plan has no thresholds or none is newly passed.
core::Status bill_progressively(BillingService& billing, store::WriteTx& tx, const Subscription& sub,
                                const Period& period, const Origin& origin);

}  // namespace billhook::billing
