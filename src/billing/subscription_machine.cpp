#include "billing/subscription_machine.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "billing/invoice.hpp"
#include "billing/previous_attributes.hpp"
#include "core/clock.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using S = SubscriptionStatus;
using K = SubscriptionCommandKind;

constexpr size_t kMaxExternalIdLength = 255;

constexpr SubscriptionStatusSet kLive = {S::pending, S::trialing, S::active, S::past_due};
constexpr SubscriptionStatusSet kBilled = {S::active, S::past_due};

// The one transition table. Rows are in SubscriptionCommandKind order (checked below).
constexpr std::array<SubscriptionRule, kSubscriptionCommandCount> kTable = {{
    {K::activate, {S::pending}, {S::trialing, S::active}, "activate {}"},
    {K::end_trial, {S::trialing}, {S::active}, "end the trial of {}"},
    {K::record_invoice, kBilled, {S::active, S::past_due, S::completed}, "record an invoice on {}"},
    {K::renew, kBilled, kBilled, "renew {}"},
    {K::stop_collection, {S::active}, {S::past_due}, "stop the collection of {}"},
    {K::reactivate, {S::past_due}, {S::active}, "reactivate {}"},
    {K::schedule_cancel,
     {S::trialing, S::active, S::past_due},
     {S::trialing, S::active, S::past_due},
     "cancel at period end {}"},
    {K::cancel, kLive, {S::canceled}, "cancel {}"},
    {K::terminate, kLive, {S::terminated}, "terminate {}"},
    {K::change_plan, kLive, kLive, "change the plan of {}"},
    {K::update, kLive, kLive, "update {}"},
    {K::create, {}, {S::pending, S::trialing, S::active}, "create {}"},
}};

constexpr bool table_in_order() {
  for (size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<size_t>(kTable[i].command) != i) return false;
  return true;
}
static_assert(table_in_order(), "kTable rows must follow SubscriptionCommandKind order");
static_assert(std::variant_size_v<SubscriptionCommand> + 1 == kSubscriptionCommandCount,
              "every command but create is a SubscriptionCommand");

constexpr std::array<std::string_view, kSubscriptionCommandCount> kCommandNames = {
    "activate",        "end_trial", "record_invoice", "renew",       "stop_collection", "reactivate",
    "schedule_cancel", "cancel",    "terminate",      "change_plan", "update",          "create"};

core::Error refused(const Subscription& sub, K command) {
  return core::Error::conflict(
      "invalid_transition",
      "cannot " + fmt::format(fmt::runtime(rule_for(command).phrase),
                              fmt::format("a subscription that is {}", core::described::name_of(sub.status))));
}

core::Error invalid(std::string code, std::string message, std::string param) {
  return core::Error::invalid(std::move(code), std::move(message), std::move(param));
}

// The events of one step: each shows `after` and what the step changed since `before` (nothing for a
// document the step created).
class EventLog {
 public:
  void step(const Subscription* before, const Subscription& after, std::initializer_list<std::string_view> types) {
    const json::object object = kSubscriptions.api_json(after);
    const json::object previous =
        before != nullptr ? previous_attributes(kSubscriptions.api_json(*before), object) : json::object{};
    for (std::string_view type : types) events_.push_back({std::string(type), object, previous});
  }
  std::vector<SubscriptionEvent> take() { return std::move(events_); }

 private:
  std::vector<SubscriptionEvent> events_;
};

core::Status check_fields(const std::optional<std::string>& external_id,
                          const std::map<std::string, std::string>& metadata) {
  if (external_id && (external_id->empty() || external_id->size() > kMaxExternalIdLength))
    return invalid("parameter_invalid", fmt::format("'external_id' must be 1–{} characters", kMaxExternalIdLength),
                   "external_id");
  for (const auto& [key, value] : metadata) {
    if (value.size() > kMaxMetadataValueLength)
      return invalid("parameter_invalid",
                     fmt::format("metadata values are at most {} characters", kMaxMetadataValueLength),
                     "metadata." + key);
  }
  return {};
}

core::Status check_plan_usable(const Plan& plan) {
  if (plan.archived)
    return invalid("plan_archived", fmt::format("plan '{}' is archived and takes no new subscriptions", plan.code),
                   "plan");
  return {};
}

// The plan's terms onto the subscription.
void take_terms(Subscription& sub, const Plan& plan) {
  sub.plan = plan.id;
  sub.plan_code = plan.code;
  sub.amount = plan.amount;
  sub.pay_in_advance = plan.pay_in_advance;
  sub.bill_cycles = plan.bill_cycles;
}

// Billing begins at `at`: the first billed period, whose start anniversary periods count from.
void begin_billing(Subscription& sub, int64_t at) {
  sub.status = S::active;
  sub.billing_cycle_anchor = at;
  const Period first = first_period(at, sub.billing_interval, sub.billing_time);
  sub.current_period_start = first.start;
  sub.current_period_end = first.end;
}

// The start date came: into the trial, or straight into billing. Backdated starts count from the start
// date, so the periods missed since are billed one by one as renewals.
void start(Subscription& sub) {
  sub.started_at = sub.start_date;
  if (sub.trial_end && *sub.trial_end > sub.start_date) {
    sub.status = S::trialing;
    sub.current_period_start = sub.start_date;
    sub.current_period_end = *sub.trial_end;
  } else {
    begin_billing(sub, sub.start_date);
  }
}

core::Result<SubscriptionTransition> done(const Subscription& before, Subscription after,
                                          std::initializer_list<std::string_view> types) {
  EventLog log;
  if (types.size() > 0 && after != before) log.step(&before, after, types);
  return SubscriptionTransition{std::move(after), log.take(), std::nullopt};
}

// --- commands --------------------------------------------------------------------------------------

core::Result<SubscriptionTransition> handle(const Subscription& before, const Activate&, int64_t) {
  Subscription after = before;
  start(after);
  return done(before, std::move(after), {"subscription.activated"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const EndTrial&, int64_t) {
  Subscription after = before;
  begin_billing(after, before.trial_end.value_or(before.current_period_end.value_or(before.start_date)));
  return done(before, std::move(after), {"subscription.trial_ended"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const RecordInvoice& c, int64_t now) {
  if (c.invoice_id.empty()) return invalid("parameter_missing", "an invoice id is required", "invoice_id");
  Subscription after = before;
  ++after.invoices_issued;
  after.latest_invoice = c.invoice_id;
  if (!after.bill_cycles || after.invoices_issued < *after.bill_cycles)
    return SubscriptionTransition{std::move(after), {}, std::nullopt};
  after.status = S::completed;
  after.ended_at = now;
  return done(before, std::move(after), {"subscription.completed"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const Renew&, int64_t) {
  const auto period = current_period(before);
  if (!period || !before.billing_cycle_anchor) return core::Error::internal("a billed subscription has no period");
  Subscription after = before;
  const Period next = next_period(*period, *before.billing_cycle_anchor, before.billing_interval, before.billing_time);
  after.current_period_start = next.start;
  after.current_period_end = next.end;
  const auto& change = before.pending_plan_change;
  if (!change || change->effective_at > next.start) return SubscriptionTransition{std::move(after), {}, std::nullopt};
  after.plan = change->plan;
  after.plan_code = change->plan_code;
  after.amount = change->amount;
  after.pay_in_advance = change->pay_in_advance;
  after.bill_cycles = change->bill_cycles;
  after.pending_plan_change.reset();
  return done(before, std::move(after), {"subscription.updated"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const StopCollection& c, int64_t) {
  Subscription after = before;
  after.status = S::past_due;
  after.collection_status = CollectionStatus::stopped;
  after.collection_stopped_reason = c.reason;
  return done(before, std::move(after), {"subscription.collection_stopped"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const Reactivate&, int64_t) {
  Subscription after = before;
  after.status = S::active;
  after.collection_status = CollectionStatus::active;
  after.collection_stopped_reason.reset();
  return done(before, std::move(after), {"subscription.reactivated"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const ScheduleCancel&, int64_t now) {
  Subscription after = before;
  after.cancel_at_period_end = true;
  if (!after.canceled_at) after.canceled_at = now;
  if (before.current_period_end && (!before.ending_at || *before.current_period_end < *before.ending_at))
    after.ending_at = before.current_period_end;
  return done(before, std::move(after), {"subscription.updated"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const Cancel&, int64_t now) {
  Subscription after = before;
  after.status = S::canceled;
  if (!after.canceled_at) after.canceled_at = now;
  after.ended_at = now;
  return done(before, std::move(after), {"subscription.canceled"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const Terminate&, int64_t now) {
  Subscription after = before;
  after.status = S::terminated;
  after.ended_at = now;
  return done(before, std::move(after), {"subscription.terminated"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const ChangePlan& c, int64_t now) {
  const Plan& plan = c.plan;
  if (auto s = check_plan_usable(plan); !s) return std::move(s).error();
  if (plan.currency != before.currency)
    return invalid("currency_mismatch",
                   fmt::format("plan '{}' is in {}, but the subscription is billed in {}", plan.code, plan.currency,
                               before.currency),
                   "plan");
  // Another interval would restart the billing cycle; not offered yet.
  if (plan.interval != before.billing_interval)
    return invalid(
        "interval_mismatch",
        fmt::format("plan '{}' bills every {}, but the subscription every {}", plan.code,
                    core::described::name_of(plan.interval), core::described::name_of(before.billing_interval)),
        "plan");
  Subscription after = before;
  after.pending_plan_change.reset();
  const auto period = current_period(before);
  // Nothing billed yet (pending, trialing), or back to the plan it is on: the plan applies now.
  if (!kBilled.contains(before.status) || !period || plan.id == before.plan) {
    take_terms(after, plan);
    return done(before, std::move(after), {"subscription.updated"});
  }
  Subscription upgraded = before;
  take_terms(upgraded, plan);
  auto old_amount = period_amount(before);
  if (!old_amount) return std::move(old_amount).error();
  auto new_amount = period_amount(upgraded);
  if (!new_amount) return std::move(new_amount).error();
  // Only a period paid in advance can be topped up now: billed in arrears, the period's invoice at its
  // end would charge the new plan again for the part the proration already billed.
  if (*new_amount > *old_amount && before.pay_in_advance && plan.pay_in_advance) {
    auto proration = prorate_upgrade(*old_amount, *new_amount, *period, now);
    if (!proration) return std::move(proration).error();
    take_terms(after, plan);
    auto out = done(before, std::move(after), {"subscription.updated"});
    if (out && *proration > 0) out->proration = *proration;
    return out;
  }
  after.pending_plan_change = PlanChange{.plan = plan.id,
                                         .plan_code = plan.code,
                                         .amount = plan.amount,
                                         .pay_in_advance = plan.pay_in_advance,
                                         .bill_cycles = plan.bill_cycles,
                                         .effective_at = period->end};
  return done(before, std::move(after), {"subscription.updated"});
}

core::Result<SubscriptionTransition> handle(const Subscription& before, const UpdateSubscription& c, int64_t) {
  Subscription after = before;
  if (c.external_id) after.external_id = *c.external_id;
  if (c.metadata) after.metadata = *c.metadata;
  if (auto s = check_fields(after.external_id, after.metadata); !s) return std::move(s).error();
  return done(before, std::move(after), {"subscription.updated"});
}

}  // namespace

SubscriptionCommandKind kind_of(const SubscriptionCommand& command) {
  return static_cast<SubscriptionCommandKind>(command.index());
}

std::string_view to_string(SubscriptionCommandKind kind) { return kCommandNames[static_cast<size_t>(kind)]; }

std::span<const SubscriptionRule> subscription_table() { return kTable; }

const SubscriptionRule& rule_for(SubscriptionCommandKind command) { return kTable[static_cast<size_t>(command)]; }

core::Result<SubscriptionTransition> create(const CreateSubscription& command, int64_t now) {
  const Plan& plan = command.plan;
  const Subscription& doc = command.document;
  if (doc.id.empty()) return invalid("parameter_missing", "a subscription needs an id", "id");
  if (doc.customer.empty()) return invalid("parameter_missing", "'customer' is required", "customer");
  if (auto s = check_plan_usable(plan); !s) return std::move(s).error();
  if (doc.quantity < 1 || doc.quantity > kMaxSubscriptionQuantity)
    return invalid("parameter_invalid",
                   fmt::format("'quantity' must be within 1–{}, got {}", kMaxSubscriptionQuantity, doc.quantity),
                   "quantity");
  if (doc.start_date < 0)
    return invalid("parameter_invalid", "'start_date' must be a unix time in seconds", "start_date");
  if (doc.ending_at && *doc.ending_at <= doc.start_date)
    return invalid("parameter_invalid",
                   fmt::format("'ending_at' ({}) must be after 'start_date' ({})", *doc.ending_at, doc.start_date),
                   "ending_at");
  if (auto s = check_fields(doc.external_id, doc.metadata); !s) return std::move(s).error();

  Subscription sub{.id = doc.id,
                   .customer = doc.customer,
                   .plan = plan.id,
                   .external_id = doc.external_id,
                   .currency = plan.currency,
                   .quantity = doc.quantity,
                   .billing_interval = plan.interval,
                   .billing_time = doc.billing_time,
                   .start_date = doc.start_date,
                   .ending_at = doc.ending_at,
                   .metadata = doc.metadata,
                   .created = now,
                   .request_id = doc.request_id,
                   .idempotency_key = doc.idempotency_key};
  take_terms(sub, plan);
  if (plan.trial_period_days > 0) sub.trial_end = doc.start_date + plan.trial_period_days * core::kSecondsPerDay;
  if (auto amount = period_amount(sub); !amount) return std::move(amount).error();

  EventLog log;
  if (doc.start_date > now) {
    log.step(nullptr, sub, {"subscription.created"});
  } else {
    start(sub);
    log.step(nullptr, sub, {"subscription.created", "subscription.activated"});
  }
  return SubscriptionTransition{std::move(sub), log.take(), std::nullopt};
}

core::Result<SubscriptionTransition> apply(const Subscription& before, const SubscriptionCommand& command,
                                           int64_t now) {
  const K kind = kind_of(command);
  if (!rule_for(kind).from.contains(before.status)) return refused(before, kind);
  return std::visit([&](const auto& c) { return handle(before, c, now); }, command);
}

}  // namespace billhook::billing
