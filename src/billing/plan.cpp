#include "billing/plan.hpp"

#include <fmt/format.h>

#include "core/described.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

DocumentLookup plan_lookup(const Plan& plan) {
  return {.customer_id = "", .parent_id = "", .status = plan.archived ? "archived" : "active", .wake_at = std::nullopt};
}

core::Error invalid(std::string message, std::string param) {
  return core::Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

core::Status check_text(const std::string& value, size_t max, const char* field) {
  if (value.empty())
    return core::Error::invalid("parameter_missing", fmt::format("'{}' must not be empty", field), field);
  if (value.size() > max) return invalid(fmt::format("'{}' is at most {} characters", field, max), field);
  return {};
}

std::vector<Charge> charges_from(std::vector<ChargeInput> inputs) {
  std::vector<Charge> out;
  out.reserve(inputs.size());
  for (auto& input : inputs) out.push_back(charge_from(std::move(input)));
  return out;
}

std::vector<UsageThreshold> thresholds_from(std::vector<UsageThresholdInput> inputs) {
  std::vector<UsageThreshold> out;
  out.reserve(inputs.size());
  for (auto& input : inputs) out.push_back(usage_threshold_from(std::move(input)));
  return out;
}

}  // namespace

const DocumentKind<Plan> kPlans{
    .kind = "plan", .noun = "plan", .id_kind = core::IdKind::plan, .hidden_fields = {}, .lookup = &plan_lookup};

core::Status check_plan(const Plan& plan) {
  if (auto s = check_text(plan.code, kMaxPlanCodeLength, "code"); !s) return s;
  if (auto s = check_text(plan.name, kMaxPlanNameLength, "name"); !s) return s;
  if (plan.amount < 0) return invalid(fmt::format("'amount' must not be negative, got {}", plan.amount), "amount");
  if (!core::is_known_currency(plan.currency))
    return invalid(
        fmt::format("'currency' must be an ISO 4217 code such as USD, got '{}'", plan.currency.substr(0, 10)),
        "currency");
  if (plan.trial_period_days < 0 || plan.trial_period_days > kMaxTrialPeriodDays)
    return invalid(
        fmt::format("'trial_period_days' must be within 0–{}, got {}", kMaxTrialPeriodDays, plan.trial_period_days),
        "trial_period_days");
  if (plan.bill_cycles && *plan.bill_cycles < 1)
    return invalid(fmt::format("'bill_cycles' must be at least 1 (or null for open-ended), got {}", *plan.bill_cycles),
                   "bill_cycles");
  if (auto s = check_charges(plan.charges); !s) return s;
  return check_usage_thresholds(plan.usage_thresholds);
}

core::Result<Plan> new_plan(const boost::json::object& body, std::string id, int64_t created) {
  auto request = core::described::from_json<NewPlan>(body);
  if (!request) return std::move(request).error();
  return new_plan(std::move(*request), std::move(id), created);
}

core::Result<Plan> new_plan(NewPlan request, std::string id, int64_t created) {
  Plan plan{.id = std::move(id),
            .code = std::move(request.code),
            .name = std::move(request.name),
            .interval = request.interval,
            .amount = request.amount,
            .currency = std::move(request.currency),
            .trial_period_days = request.trial_period_days.value_or(0),
            .pay_in_advance = request.pay_in_advance.value_or(true),
            .bill_cycles = request.bill_cycles,
            .charges = {},
            .usage_thresholds = {},
            .archived = false,
            .created = created};
  if (request.charges) plan.charges = charges_from(std::move(*request.charges));
  if (request.usage_thresholds) plan.usage_thresholds = thresholds_from(std::move(*request.usage_thresholds));
  if (auto s = check_plan(plan); !s) return std::move(s).error();
  return plan;
}

core::Result<Plan> updated_plan(Plan plan, const PlanUpdate& change) {
  if (change.name) plan.name = *change.name;
  if (change.amount) plan.amount = *change.amount;
  if (change.trial_period_days) plan.trial_period_days = *change.trial_period_days;
  if (change.pay_in_advance) plan.pay_in_advance = *change.pay_in_advance;
  if (change.bill_cycles) plan.bill_cycles = *change.bill_cycles;
  if (change.charges) plan.charges = charges_from(*change.charges);
  if (change.usage_thresholds) plan.usage_thresholds = thresholds_from(*change.usage_thresholds);
  if (auto s = check_plan(plan); !s) return std::move(s).error();
  return plan;
}

}  // namespace billhook::billing
