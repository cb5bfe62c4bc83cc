#pragma once

// A plan (DOMAINS.md §1): what a subscription bills each period — a fixed amount in minor units of one
// currency, every week, month, quarter or year, in advance or in arrears, with an optional trial and an
// optional number of cycles. A registered document (billing/registry), kind "plan", id "plan_…"; its
// struct is the stored, API and webhook form. Editing a plan never rewrites issued invoices.
//
// `charges` price the usage of billable metrics (charge_model.hpp, DOMAINS.md §2); `usage_thresholds`
// are its progressive-billing thresholds. Both are checked here; billing them is the usage domain's.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>

#include "billing/charge_model.hpp"
#include "billing/registry/document_kind.hpp"
#include "billing/subscription_period.hpp"
#include "core/result.hpp"

namespace billhook::billing {

// The limits check_plan enforces.
inline constexpr size_t kMaxPlanCodeLength = 100;
inline constexpr size_t kMaxPlanNameLength = 500;
inline constexpr int64_t kMaxTrialPeriodDays = 730;  // two years

struct Plan {
  std::string id;
  std::string code;  // the caller's key, unique among plans (the service checks that)
  std::string name;
  BillingInterval interval = BillingInterval::month;
  int64_t amount = 0;    // minor units of `currency`, may be 0
  std::string currency;  // ISO 4217, upper case
  int64_t trial_period_days = 0;
  bool pay_in_advance = true;          // bill the amount at the period's start; false: at its end
  std::optional<int64_t> bill_cycles;  // null: open-ended; n: the subscription completes after n invoices
  std::vector<Charge> charges;
  std::vector<UsageThreshold> usage_thresholds;
  bool archived = false;  // no new subscriptions; existing ones go on
  int64_t created = 0;
  bool operator==(const Plan&) const = default;
};
BOOST_DESCRIBE_STRUCT(Plan, (),
                      (id, code, name, interval, amount, currency, trial_period_days, pay_in_advance, bill_cycles,
                       charges, usage_thresholds, archived, created))

// Status "active" or "archived"; no customer, parent or time.
extern const DocumentKind<Plan> kPlans;

// The body of a request that creates a plan: what the caller chooses. Unset optionals take Plan's
// defaults.
struct NewPlan {
  std::string code;
  std::string name;
  BillingInterval interval = BillingInterval::month;
  int64_t amount = 0;
  std::string currency;
  std::optional<int64_t> trial_period_days;
  std::optional<bool> pay_in_advance;
  std::optional<int64_t> bill_cycles;
  std::optional<std::vector<ChargeInput>> charges;
  std::optional<std::vector<UsageThresholdInput>> usage_thresholds;
};
BOOST_DESCRIBE_STRUCT(NewPlan, (),
                      (code, name, interval, amount, currency, trial_period_days, pay_in_advance, bill_cycles, charges,
                       usage_thresholds))

// The body of PATCH /v1/plans/{id}: what may change on a plan (its code, currency and interval may not:
// subscriptions move between plans of one currency and interval). `bill_cycles` null makes it
// open-ended. Subscriptions keep the terms they took; a change applies to those that take the plan after.
struct PlanUpdate {
  std::optional<std::string> name;
  std::optional<int64_t> amount;
  std::optional<int64_t> trial_period_days;
  std::optional<bool> pay_in_advance;
  std::optional<std::optional<int64_t>> bill_cycles;
  std::optional<std::vector<ChargeInput>> charges;
  std::optional<std::vector<UsageThresholdInput>> usage_thresholds;
};
BOOST_DESCRIBE_STRUCT(PlanUpdate, (),
                      (name, amount, trial_period_days, pay_in_advance, bill_cycles, charges, usage_thresholds))

// `plan` with `change` applied and checked (check_plan); the plan as it was when the change is refused.
core::Result<Plan> updated_plan(Plan plan, const PlanUpdate& change);

// What a caller supplies on a plan is acceptable, naming the field at fault (invalid_request):
// code and name present and not too long, amount not negative, currency an ISO 4217 code,
// trial_period_days within 0–730, bill_cycles at least 1 when set, charges and usage_thresholds as
// check_charges and check_usage_thresholds accept them ("charges.0.properties.graduated_ranges.1.to_value").
core::Status check_plan(const Plan& plan);

// A new plan from a request body: read (unknown fields, missing ones and wrong types name the field),
// given `id` and `created`, and checked with check_plan.
core::Result<Plan> new_plan(const boost::json::object& body, std::string id, int64_t created);
core::Result<Plan> new_plan(NewPlan request, std::string id, int64_t created);

}  // namespace billhook::billing
