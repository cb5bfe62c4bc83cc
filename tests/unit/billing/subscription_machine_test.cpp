// The subscription machine: every (state, command) pair is a transition with its events or a 409
// naming the state, and each transition's effect on periods, trials, plan changes and completion.

#include "billing/subscription_machine.hpp"

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog/catalog.hpp"
#include "unit/billing/utc.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using S = SubscriptionStatus;
using K = SubscriptionCommandKind;

constexpr int64_t kDay = 86'400;

const int64_t kStart = utc(2026, 1, 31, 9);
const int64_t kNow = kStart + 10 * kDay;

Plan plan(std::string id, int64_t amount, std::string currency = "USD",
          BillingInterval interval = BillingInterval::month) {
  return Plan{.id = id,
              .code = id + "_code",
              .name = id,
              .interval = interval,
              .amount = amount,
              .currency = std::move(currency)};
}

const std::vector<S> kAllStates = {S::pending,   S::trialing, S::active,    S::past_due,
                                   S::completed, S::canceled, S::terminated};

// A subscription of a 10.00 USD monthly plan, as it is in `state`.
Subscription in_state(S state) {
  Subscription sub{.id = "sub_1",
                   .customer = "cus_1",
                   .plan = "basic",
                   .plan_code = "basic_code",
                   .status = state,
                   .currency = "USD",
                   .amount = 1000,
                   .start_date = kStart,
                   .created = kStart};
  sub.started_at = kStart;
  sub.billing_cycle_anchor = kStart;
  sub.current_period_start = kStart;
  sub.current_period_end = utc(2026, 2, 28, 9);
  switch (state) {
    case S::pending:
      sub.start_date = kNow + 5 * kDay;
      sub.started_at.reset();
      sub.billing_cycle_anchor.reset();
      sub.current_period_start.reset();
      sub.current_period_end.reset();
      break;
    case S::trialing:
      sub.trial_end = kStart + 14 * kDay;
      sub.billing_cycle_anchor.reset();
      sub.current_period_end = sub.trial_end;
      break;
    case S::past_due:
      sub.collection_status = CollectionStatus::stopped;
      sub.collection_stopped_reason = "invoices_past_due";
      break;
    case S::completed:
    case S::canceled:
    case S::terminated: sub.ended_at = kNow - kDay; break;
    case S::active: break;
  }
  return sub;
}

SubscriptionCommand sample(K kind) {
  switch (kind) {
    case K::activate: return Activate{};
    case K::end_trial: return EndTrial{};
    case K::record_invoice: return RecordInvoice{"inv_1"};
    case K::renew: return Renew{};
    case K::stop_collection: return StopCollection{};
    case K::reactivate: return Reactivate{};
    case K::schedule_cancel: return ScheduleCancel{};
    case K::cancel: return Cancel{};
    case K::terminate: return Terminate{};
    case K::change_plan: return ChangePlan{plan("premium", 2500)};
    case K::update: return UpdateSubscription{.metadata = std::map<std::string, std::string>{{"team", "ops"}}};
    case K::create: break;
  }
  ADD_FAILURE() << "no sample for create";
  return Activate{};
}

// What DOMAINS.md §1 asks of each command, written out here rather than read from the table: where
// it is allowed, where it leaves the sample (nullopt: where it was) and what it emits.
struct Expected {
  std::set<S> from;
  std::optional<S> to;
  std::vector<std::string> events;
};
const std::set<S> kLive = {S::pending, S::trialing, S::active, S::past_due};
const std::map<K, Expected> kExpected = {
    {K::activate, {{S::pending}, S::active, {"subscription.activated"}}},
    {K::end_trial, {{S::trialing}, S::active, {"subscription.trial_ended"}}},
    {K::record_invoice, {{S::active, S::past_due}, std::nullopt, {}}},
    {K::renew, {{S::active, S::past_due}, std::nullopt, {}}},
    {K::stop_collection, {{S::active}, S::past_due, {"subscription.collection_stopped"}}},
    {K::reactivate, {{S::past_due}, S::active, {"subscription.reactivated"}}},
    {K::schedule_cancel, {{S::trialing, S::active, S::past_due}, std::nullopt, {"subscription.updated"}}},
    {K::cancel, {kLive, S::canceled, {"subscription.canceled"}}},
    {K::terminate, {kLive, S::terminated, {"subscription.terminated"}}},
    {K::change_plan, {kLive, std::nullopt, {"subscription.updated"}}},
    {K::update, {kLive, std::nullopt, {"subscription.updated"}}},
};

json::value json_name(S state) { return json::value(core::described::name_of(state)); }

std::vector<std::string> types_of(const SubscriptionTransition& t) {
  std::vector<std::string> out;
  for (const auto& e : t.events) out.push_back(e.type);
  return out;
}

TEST(SubscriptionMachine, EveryStateAndCommandIsATransitionWithItsEventsOrAConflictNamingTheState) {
  const auto& catalog = catalog::Catalog::builtin();
  int transitions = 0;
  int refusals = 0;
  for (int k = 0; k < kSubscriptionCommandCount; ++k) {
    const K kind = static_cast<K>(k);
    if (kind == K::create) continue;
    const Expected& expected = kExpected.at(kind);
    for (S state : kAllStates) {
      const std::string where = std::string(to_string(kind)) + " from " + std::string(core::described::name_of(state));
      const Subscription before = in_state(state);
      auto result = apply(before, sample(kind), kNow);
      if (!expected.from.contains(state)) {
        ++refusals;
        ASSERT_FALSE(result.ok()) << where;
        EXPECT_EQ(result.error().kind, core::ErrorKind::conflict) << where;
        EXPECT_EQ(result.error().code, "invalid_transition") << where;
        EXPECT_NE(result.error().message.find("a subscription that is " + std::string(core::described::name_of(state))),
                  std::string::npos)
            << where << ": " << result.error().message;
        EXPECT_FALSE(rule_for(kind).from.contains(state)) << where;
        continue;
      }
      ++transitions;
      ASSERT_TRUE(result.ok()) << where << ": " << result.error().message;
      const S after = expected.to.value_or(state);
      EXPECT_EQ(result->subscription.status, after) << where;
      EXPECT_TRUE(rule_for(kind).to.contains(after)) << where;
      EXPECT_EQ(types_of(*result), expected.events) << where;
      for (const auto& event : result->events) {
        EXPECT_EQ(event.object.at("object"), "subscription") << where;
        EXPECT_EQ(event.object.at("id"), "sub_1") << where;
        EXPECT_EQ(event.object.at("status"), json_name(after)) << where;
        EXPECT_FALSE(event.object.contains("request_id")) << where;
        if (after != state) {
          EXPECT_EQ(event.previous_attributes.at("status"), json_name(state)) << where;
        }
        // Every event is in the catalog and its data.object valid against the type's schema.
        const auto* type = catalog.find(event.type);
        ASSERT_NE(type, nullptr) << where << ": " << event.type << " is not in the catalog";
        ASSERT_TRUE(type->schema.has_value()) << where;
        const auto violation = type->schema->validate(event.object, "data.object");
        EXPECT_FALSE(violation.has_value()) << where << ": " << violation->path << " " << violation->message;
      }
    }
  }
  EXPECT_EQ(transitions + refusals, 7 * (kSubscriptionCommandCount - 1));
  EXPECT_EQ(transitions, 27);  // 1+1+2+2+1+1+3+4+4+4+4: the rows of kExpected
}

TEST(SubscriptionMachine, TheTableHasOneRowPerCommandInOrderAndCreateComesFromNothing) {
  const auto table = subscription_table();
  ASSERT_EQ(table.size(), static_cast<size_t>(kSubscriptionCommandCount));
  for (size_t i = 0; i < table.size(); ++i) EXPECT_EQ(static_cast<size_t>(table[i].command), i);
  EXPECT_TRUE(rule_for(K::create).from.empty());
  EXPECT_EQ(to_string(K::end_trial), "end_trial");
  for (S final_state : {S::completed, S::canceled, S::terminated})
    for (const auto& rule : table) EXPECT_FALSE(rule.from.contains(final_state)) << to_string(rule.command);
}

CreateSubscription new_subscription(int64_t start, Plan p = plan("basic", 1000)) {
  return CreateSubscription{
      .document = Subscription{.id = "sub_1", .customer = "cus_1", .start_date = start, .request_id = "req_1"},
      .plan = std::move(p)};
}

TEST(SubscriptionMachine, CreatedWithAFutureStartIsPending) {
  auto t = create(new_subscription(kNow + kDay), kNow);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->subscription.status, S::pending);
  EXPECT_EQ(types_of(*t), (std::vector<std::string>{"subscription.created"}));
  EXPECT_TRUE(t->events[0].previous_attributes.empty());
  EXPECT_FALSE(t->subscription.current_period_end.has_value());
  EXPECT_EQ(subscription_wake_at(t->subscription), kNow + kDay);
  EXPECT_EQ(t->subscription.currency, "USD");
  EXPECT_EQ(t->subscription.amount, 1000);
  EXPECT_EQ(t->subscription.created, kNow);
}

TEST(SubscriptionMachine, CreatedToStartNowIsActiveOnItsFirstPeriod) {
  auto t = create(new_subscription(kStart), kStart);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->subscription.status, S::active);
  EXPECT_EQ(types_of(*t), (std::vector<std::string>{"subscription.created", "subscription.activated"}));
  EXPECT_EQ(t->subscription.started_at, kStart);
  EXPECT_EQ(t->subscription.billing_cycle_anchor, kStart);
  EXPECT_EQ(t->subscription.current_period_start, kStart);
  EXPECT_EQ(t->subscription.current_period_end, utc(2026, 2, 28, 9));
  EXPECT_EQ(subscription_wake_at(t->subscription), utc(2026, 2, 28, 9));
}

TEST(SubscriptionMachine, CalendarBillingEndsTheFirstPeriodOnTheFirstOfTheMonth) {
  CreateSubscription c = new_subscription(kStart);
  c.document.billing_time = BillingTime::calendar;
  auto t = create(c, kStart);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->subscription.current_period_end, utc(2026, 2, 1));
  auto renewed = apply(t->subscription, Renew{}, utc(2026, 2, 1));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->subscription.current_period_start, utc(2026, 2, 1));
  EXPECT_EQ(renewed->subscription.current_period_end, utc(2026, 3, 1));
}

TEST(SubscriptionMachine, ATrialComesFirstAndBillingCountsFromItsEnd) {
  Plan trial = plan("basic", 1000);
  trial.trial_period_days = 14;
  auto created = create(new_subscription(kStart, trial), kStart);
  ASSERT_TRUE(created.ok());
  const Subscription& sub = created->subscription;
  EXPECT_EQ(sub.status, S::trialing);
  EXPECT_EQ(sub.trial_end, kStart + 14 * kDay);
  EXPECT_EQ(sub.current_period_end, sub.trial_end);
  EXPECT_EQ(subscription_wake_at(sub), sub.trial_end);

  auto ended = apply(sub, EndTrial{}, *sub.trial_end);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->subscription.status, S::active);
  EXPECT_EQ(types_of(*ended), (std::vector<std::string>{"subscription.trial_ended"}));
  EXPECT_EQ(ended->subscription.billing_cycle_anchor, utc(2026, 2, 14, 9));
  EXPECT_EQ(ended->subscription.current_period_end, utc(2026, 3, 14, 9));
  EXPECT_EQ(ended->events[0].previous_attributes.at("status"), "trialing");

  // Created with a future start and a trial: activation enters the trial.
  auto pending = create(new_subscription(kNow, trial), kStart);
  ASSERT_TRUE(pending.ok());
  auto activated = apply(pending->subscription, Activate{}, kNow);
  ASSERT_TRUE(activated.ok());
  EXPECT_EQ(activated->subscription.status, S::trialing);
  EXPECT_EQ(activated->subscription.started_at, kNow);
}

TEST(SubscriptionMachine, RenewalsFollowTheAnchorAndCompleteAfterBillCycles) {
  Plan three = plan("basic", 1000);
  three.bill_cycles = 3;
  auto t = create(new_subscription(kStart, three), kStart);
  ASSERT_TRUE(t.ok());
  Subscription sub = t->subscription;
  const int64_t ends[] = {utc(2026, 3, 31, 9), utc(2026, 4, 30, 9)};
  for (int i = 0; i < 2; ++i) {
    auto recorded = apply(sub, RecordInvoice{"inv_" + std::to_string(i)}, kNow);
    ASSERT_TRUE(recorded.ok());
    EXPECT_TRUE(recorded->events.empty());
    EXPECT_EQ(recorded->subscription.invoices_issued, i + 1);
    auto renewed = apply(recorded->subscription, Renew{}, kNow);
    ASSERT_TRUE(renewed.ok());
    EXPECT_TRUE(renewed->events.empty());
    EXPECT_EQ(renewed->subscription.current_period_end, ends[i]);
    sub = renewed->subscription;
  }
  auto last = apply(sub, RecordInvoice{"inv_2"}, utc(2026, 3, 31, 9));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->subscription.status, S::completed);
  EXPECT_EQ(last->subscription.latest_invoice, "inv_2");
  EXPECT_EQ(last->subscription.ended_at, utc(2026, 3, 31, 9));
  EXPECT_EQ(types_of(*last), (std::vector<std::string>{"subscription.completed"}));
  EXPECT_FALSE(subscription_wake_at(last->subscription).has_value());
}

TEST(SubscriptionMachine, AnUpgradeAppliesNowWithItsProrationByTheSecondsLeft) {
  const Subscription active = in_state(S::active);  // Jan 31 09:00 – Feb 28 09:00: 28 days
  const int64_t now = kStart + 21 * kDay;           // 7 days left
  auto t = apply(active, ChangePlan{plan("premium", 2500)}, now);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->subscription.plan, "premium");
  EXPECT_EQ(t->subscription.amount, 2500);
  EXPECT_EQ(t->proration, 375);  // 1500 × 7 / 28
  EXPECT_FALSE(t->subscription.pending_plan_change.has_value());
  EXPECT_EQ(t->events.at(0).previous_attributes.at("amount"), 1000);

  // Three units: the per-period amounts are compared and prorated, 4500 × 7 / 28 = 1125.
  Subscription three = active;
  three.quantity = 3;
  EXPECT_EQ(apply(three, ChangePlan{plan("premium", 2500)}, now)->proration, 1125);
}

TEST(SubscriptionMachine, ADowngradeWaitsForThePeriodEndAndAppliesWithTheRenewal) {
  const Subscription active = in_state(S::active);
  auto t = apply(active, ChangePlan{plan("lite", 400)}, kNow);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->subscription.plan, "basic");
  EXPECT_EQ(t->subscription.amount, 1000);
  EXPECT_FALSE(t->proration.has_value());
  ASSERT_TRUE(t->subscription.pending_plan_change.has_value());
  EXPECT_EQ(t->subscription.pending_plan_change->plan, "lite");
  EXPECT_EQ(t->subscription.pending_plan_change->effective_at, utc(2026, 2, 28, 9));
  EXPECT_EQ(types_of(*t), (std::vector<std::string>{"subscription.updated"}));

  auto renewed = apply(t->subscription, Renew{}, utc(2026, 2, 28, 9));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->subscription.plan, "lite");
  EXPECT_EQ(renewed->subscription.amount, 400);
  EXPECT_FALSE(renewed->subscription.pending_plan_change.has_value());
  EXPECT_EQ(types_of(*renewed), (std::vector<std::string>{"subscription.updated"}));

  // Going back to the current plan drops the waiting change.
  auto back = apply(t->subscription, ChangePlan{plan("basic", 1000)}, kNow);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->subscription.pending_plan_change.has_value());
}

TEST(SubscriptionMachine, InArrearsAnUpgradeWaitsForThePeriodEndToo) {
  Subscription arrears = in_state(S::active);
  arrears.pay_in_advance = false;
  auto t = apply(arrears, ChangePlan{plan("premium", 2500)}, kNow);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->proration.has_value());
  EXPECT_EQ(t->subscription.amount, 1000);
  ASSERT_TRUE(t->subscription.pending_plan_change.has_value());
  EXPECT_EQ(t->subscription.pending_plan_change->amount, 2500);

  Plan premium_in_arrears = plan("premium", 2500);
  premium_in_arrears.pay_in_advance = false;
  auto to_arrears = apply(in_state(S::active), ChangePlan{premium_in_arrears}, kNow);
  ASSERT_TRUE(to_arrears.ok());
  EXPECT_FALSE(to_arrears->proration.has_value());
  EXPECT_TRUE(to_arrears->subscription.pending_plan_change.has_value());
}

TEST(SubscriptionMachine, APlanChangeBeforeBillingAppliesAtOnce) {
  auto t = apply(in_state(S::trialing), ChangePlan{plan("premium", 2500)}, kNow);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->subscription.amount, 2500);
  EXPECT_FALSE(t->proration.has_value());
  auto lite = apply(in_state(S::pending), ChangePlan{plan("lite", 400)}, kNow);
  ASSERT_TRUE(lite.ok());
  EXPECT_EQ(lite->subscription.amount, 400);
  EXPECT_FALSE(lite->subscription.pending_plan_change.has_value());
}

TEST(SubscriptionMachine, APlanChangeToAnotherCurrencyIntervalOrAnArchivedPlanIsRefusedNamingThePlan) {
  const Subscription active = in_state(S::active);
  auto currency = apply(active, ChangePlan{plan("euro", 2500, "EUR")}, kNow);
  ASSERT_FALSE(currency.ok());
  EXPECT_EQ(currency.error().code, "currency_mismatch");
  EXPECT_EQ(currency.error().param, "plan");
  auto interval = apply(active, ChangePlan{plan("yearly", 25000, "USD", BillingInterval::year)}, kNow);
  ASSERT_FALSE(interval.ok());
  EXPECT_EQ(interval.error().param, "plan");
  Plan archived = plan("old", 2500);
  archived.archived = true;
  auto refused = apply(active, ChangePlan{archived}, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "plan_archived");
}

TEST(SubscriptionMachine, CancelAtPeriodEndSchedulesTheEndOnceAndCancelEndsIt) {
  auto scheduled = apply(in_state(S::active), ScheduleCancel{}, kNow);
  ASSERT_TRUE(scheduled.ok());
  const Subscription& sub = scheduled->subscription;
  EXPECT_TRUE(sub.cancel_at_period_end);
  EXPECT_EQ(sub.ending_at, utc(2026, 2, 28, 9));
  EXPECT_EQ(sub.canceled_at, kNow);
  auto again = apply(sub, ScheduleCancel{}, kNow + kDay);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->events.empty());
  EXPECT_EQ(again->subscription.canceled_at, kNow);

  auto canceled = apply(sub, Cancel{}, utc(2026, 2, 28, 9));
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(canceled->subscription.status, S::canceled);
  EXPECT_EQ(canceled->subscription.canceled_at, kNow);
  EXPECT_EQ(canceled->subscription.ended_at, utc(2026, 2, 28, 9));
}

TEST(SubscriptionMachine, CollectionStopsAndReactivates) {
  auto stopped = apply(in_state(S::active), StopCollection{}, kNow);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->subscription.collection_status, CollectionStatus::stopped);
  EXPECT_EQ(stopped->subscription.collection_stopped_reason, "invoices_past_due");
  auto reactivated = apply(stopped->subscription, Reactivate{}, kNow);
  ASSERT_TRUE(reactivated.ok());
  EXPECT_EQ(reactivated->subscription.collection_status, CollectionStatus::active);
  EXPECT_FALSE(reactivated->subscription.collection_stopped_reason.has_value());
  EXPECT_EQ(reactivated->events.at(0).previous_attributes.at("collection_status"), "stopped");
}

TEST(SubscriptionMachine, AnUpdateThatChangesNothingEmitsNothing) {
  Subscription sub = in_state(S::active);
  sub.metadata = {{"team", "ops"}};
  auto t = apply(sub, UpdateSubscription{.metadata = std::map<std::string, std::string>{{"team", "ops"}}}, kNow);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->events.empty());
  auto bad = apply(sub, UpdateSubscription{.external_id = std::optional<std::string>(std::string(256, 'x'))}, kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "external_id");
}

TEST(SubscriptionMachine, BadInputOnCreateNamesTheField) {
  const auto refused = [](CreateSubscription c, const std::string& param) {
    auto t = create(c, kStart);
    ASSERT_FALSE(t.ok()) << param;
    EXPECT_EQ(t.error().kind, core::ErrorKind::invalid_request) << param;
    EXPECT_EQ(t.error().param, param) << t.error().message;
  };
  CreateSubscription c = new_subscription(kStart);
  c.document.ending_at = kStart;
  refused(c, "ending_at");
  c = new_subscription(kStart);
  c.document.ending_at = kStart - 1;
  refused(c, "ending_at");
  c = new_subscription(kStart);
  c.document.quantity = 0;
  refused(c, "quantity");
  c = new_subscription(kStart);
  c.document.customer.clear();
  refused(c, "customer");
  c = new_subscription(kStart);
  c.plan.archived = true;
  refused(c, "plan");
  c = new_subscription(kStart);
  c.document.external_id = "";
  refused(c, "external_id");
  c = new_subscription(kStart);
  c.document.metadata = {{"note", std::string(501, 'n')}};
  refused(c, "metadata.note");
  c = new_subscription(kStart);
  c.document.ending_at = kStart + 1;
  EXPECT_TRUE(create(c, kStart).ok());
}

TEST(SubscriptionMachine, ItWakesAtItsStartTrialEndPeriodEndOrEndingAtWhicheverIsFirst) {
  EXPECT_EQ(subscription_wake_at(in_state(S::pending)), kNow + 5 * kDay);
  EXPECT_EQ(subscription_wake_at(in_state(S::trialing)), kStart + 14 * kDay);
  EXPECT_EQ(subscription_wake_at(in_state(S::active)), utc(2026, 2, 28, 9));
  EXPECT_EQ(subscription_wake_at(in_state(S::past_due)), utc(2026, 2, 28, 9));
  Subscription ending = in_state(S::active);
  ending.ending_at = kNow;
  EXPECT_EQ(subscription_wake_at(ending), kNow);
  for (S final_state : {S::completed, S::canceled, S::terminated})
    EXPECT_FALSE(subscription_wake_at(in_state(final_state)).has_value());
  EXPECT_EQ(kSubscriptions.record(in_state(S::active), "sub_1", 0).parent_id, "basic");
  EXPECT_EQ(kSubscriptions.record(in_state(S::active), "sub_1", 0).customer_id, "cus_1");
}

}  // namespace
}  // namespace billhook::billing
