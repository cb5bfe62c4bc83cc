// Plans: reading a new plan from a request, and refusing bad input with the field named.

#include "billing/plan.hpp"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace billhook::billing {
namespace {

namespace json = boost::json;

json::object good_body() {
  return json::object{
      {"code", "growth_monthly"}, {"name", "Growth"}, {"interval", "month"}, {"amount", 24900}, {"currency", "USD"}};
}

// The error a body with `field` set to `value` gets, which must be a 400 naming `param`.
void expect_refused(const char* field, json::value value, const std::string& param) {
  json::object body = good_body();
  if (value.is_null() && std::string(field).front() == '-') {
    body.erase(field + 1);
  } else {
    body[field] = std::move(value);
  }
  auto plan = new_plan(body, "plan_1", 100);
  ASSERT_FALSE(plan.ok()) << field << " = " << json::serialize(body);
  EXPECT_EQ(plan.error().kind, core::ErrorKind::invalid_request) << plan.error().message;
  EXPECT_EQ(plan.error().param, param) << plan.error().message;
}

TEST(Plan, ANewPlanTakesTheRequestAndTheDefaults) {
  auto plan = new_plan(good_body(), "plan_1", 1'700'000'000);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->id, "plan_1");
  EXPECT_EQ(plan->code, "growth_monthly");
  EXPECT_EQ(plan->interval, BillingInterval::month);
  EXPECT_EQ(plan->amount, 24900);
  EXPECT_EQ(plan->trial_period_days, 0);
  EXPECT_TRUE(plan->pay_in_advance);
  EXPECT_FALSE(plan->bill_cycles.has_value());
  EXPECT_TRUE(plan->charges.empty());
  EXPECT_FALSE(plan->archived);
  EXPECT_EQ(plan->created, 1'700'000'000);

  json::object body = good_body();
  body["interval"] = "quarter";
  body["amount"] = 0;  // a free plan is a plan
  body["trial_period_days"] = 14;
  body["pay_in_advance"] = false;
  body["bill_cycles"] = 12;
  body["charges"] = json::array{};
  body["usage_thresholds"] = json::array{};
  auto other = new_plan(body, "plan_2", 1);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(other->interval, BillingInterval::quarter);
  EXPECT_EQ(other->amount, 0);
  EXPECT_EQ(other->trial_period_days, 14);
  EXPECT_FALSE(other->pay_in_advance);
  EXPECT_EQ(other->bill_cycles, 12);
}

TEST(Plan, BadInputNamesTheField) {
  expect_refused("-code", nullptr, "code");
  expect_refused("code", "", "code");
  expect_refused("code", json::string(kMaxPlanCodeLength + 1, 'c'), "code");
  expect_refused("name", "", "name");
  expect_refused("name", 7, "name");
  expect_refused("interval", "day", "interval");
  expect_refused("-interval", nullptr, "interval");
  expect_refused("amount", -1, "amount");
  expect_refused("amount", "10.00", "amount");
  expect_refused("currency", "XXY", "currency");
  expect_refused("currency", "usd", "currency");
  expect_refused("trial_period_days", -1, "trial_period_days");
  expect_refused("trial_period_days", kMaxTrialPeriodDays + 1, "trial_period_days");
  expect_refused("bill_cycles", 0, "bill_cycles");
  expect_refused("bill_cycles", -3, "bill_cycles");
  expect_refused("pay_in_advance", "yes", "pay_in_advance");
  expect_refused("charges", json::array{json::object{{"metric", "api_calls"}}}, "charges.0.metric");
  expect_refused("usage_thresholds", json::array{json::object{{"amount", 0}}}, "usage_thresholds.0.amount");
  expect_refused("usage_thresholds", json::array{json::object{{"amount", "1.00"}}}, "usage_thresholds.0.amount");
  expect_refused("charges", json::array{1}, "charges.0");
  expect_refused("charges",
                 json::parse(R"([{"billable_metric": "api_calls", "charge_model": "graduated", "properties": {
                     "graduated_ranges": [{"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
                                          {"from_value": 102, "to_value": null, "per_unit_amount": "1",
                                           "flat_amount": "0"}]}}])"),
                 "charges.0.properties.graduated_ranges.1.from_value");
  expect_refused("charges",
                 json::parse(R"([{"billable_metric": "api_calls", "charge_model": "standard",
                                  "properties": {"amount": "0.5"}},
                                 {"billable_metric": "storage", "charge_model": "standard",
                                  "properties": {"amount": "-0.5"}}])"),
                 "charges.1.properties.amount");
  expect_refused("archived", true, "archived");  // not the caller's to set on creation
  expect_refused("id", "plan_x", "id");
}

TEST(Plan, ChargesAndThresholdsAreReadCheckedAndKept) {
  json::object body = good_body();
  body["charges"] = json::parse(R"([
      {"billable_metric": "api_calls", "charge_model": "graduated", "properties": {"graduated_ranges": [
          {"from_value": 0, "to_value": 100, "per_unit_amount": "1.00", "flat_amount": "10.00"},
          {"from_value": 101, "to_value": null, "per_unit_amount": "0.50", "flat_amount": "0"}]}},
      {"billable_metric": "storage_gb", "charge_model": "package", "pay_in_advance": true, "min_amount": 500,
       "properties": {"amount": "5", "package_size": 100, "free_units": 10}}])");
  body["usage_thresholds"] = json::parse(R"([{"amount": 10000}, {"name": "every 50", "amount": 5000,
                                              "recurring": true}])");
  auto plan = new_plan(body, "plan_1", 1);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->charges.size(), 2u);
  EXPECT_EQ(plan->charges[0].billable_metric, "api_calls");
  EXPECT_EQ(plan->charges[0].charge_model, ChargeModel::graduated);
  EXPECT_FALSE(plan->charges[0].pay_in_advance);
  EXPECT_TRUE(plan->charges[0].invoiceable);
  EXPECT_EQ(plan->charges[1].min_amount, 500);
  EXPECT_TRUE(plan->charges[1].pay_in_advance);
  ASSERT_EQ(plan->usage_thresholds.size(), 2u);
  EXPECT_TRUE(plan->usage_thresholds[1].recurring);
  EXPECT_EQ(plan->usage_thresholds[1].name, "every 50");
  // Stored and read back unchanged; the API form shows only a charge's own properties.
  auto back = kPlans.decode(kPlans.encode(*plan));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *plan);
  const json::object api = kPlans.api_json(*plan);
  const auto& properties = api.at("charges").as_array()[1].as_object().at("properties").as_object();
  EXPECT_EQ(properties.size(), 3u) << json::serialize(properties);
  EXPECT_EQ(properties.at("amount"), "5");

  auto cleared = updated_plan(*plan, {.charges = std::vector<ChargeInput>{}});
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(cleared->charges.empty());
  auto two_recurring = updated_plan(*plan, {.usage_thresholds = std::vector<UsageThresholdInput>{
                                                {.amount = 100, .recurring = true}, {.amount = 200, .recurring = true}}});
  ASSERT_FALSE(two_recurring.ok());
  EXPECT_EQ(two_recurring.error().param, "usage_thresholds.1.recurring");
}

TEST(Plan, AnUpdateChangesOnlyWhatItNamesAndIsChecked) {
  auto plan = new_plan(NewPlan{.code = "pro", .name = "Pro", .amount = 2500, .currency = "EUR", .bill_cycles = 12},
                       "plan_1", 100);
  ASSERT_TRUE(plan) << plan.error().message;
  auto renamed = updated_plan(*plan, {.name = std::string("Pro 2"), .trial_period_days = int64_t{7}});
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->name, "Pro 2");
  EXPECT_EQ(renamed->trial_period_days, 7);
  EXPECT_EQ(renamed->amount, 2500);
  EXPECT_EQ(renamed->bill_cycles, 12);
  EXPECT_EQ(renamed->code, "pro");
  auto open_ended = updated_plan(*plan, {.bill_cycles = std::optional<int64_t>{}});
  ASSERT_TRUE(open_ended);
  EXPECT_FALSE(open_ended->bill_cycles.has_value());
  auto zero = updated_plan(*plan, {.bill_cycles = std::optional<int64_t>{0}});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().param, "bill_cycles");
  auto negative = updated_plan(*plan, {.amount = int64_t{-1}});
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().param, "amount");
}

TEST(Plan, TheLimitsThemselvesAreAccepted) {
  json::object body = good_body();
  body["code"] = json::string(kMaxPlanCodeLength, 'c');
  body["trial_period_days"] = kMaxTrialPeriodDays;
  body["bill_cycles"] = 1;
  auto plan = new_plan(body, "plan_1", 0);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
}

TEST(Plan, TheRegisteredKindShowsStatusAndObject) {
  Plan plan = *new_plan(good_body(), "plan_01", 5);
  const auto record = kPlans.record(plan, plan.id, 5000);
  EXPECT_EQ(record.status, "active");
  EXPECT_FALSE(record.wake_at.has_value());
  plan.archived = true;
  EXPECT_EQ(kPlans.record(plan, plan.id, 5000).status, "archived");
  const json::object api = kPlans.api_json(plan);
  EXPECT_EQ(api.at("object"), "plan");
  auto back = kPlans.decode(kPlans.encode(plan));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, plan);
}

}  // namespace
}  // namespace billhook::billing
