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
  expect_refused("charges", json::array{json::object{{"metric", "api_calls"}}}, "charges");
  expect_refused("usage_thresholds", json::array{json::object{{"amount", 100}}}, "usage_thresholds");
  expect_refused("charges", json::array{1}, "charges.0");
  expect_refused("archived", true, "archived");  // not the caller's to set on creation
  expect_refused("id", "plan_x", "id");
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
