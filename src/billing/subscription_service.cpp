#include "billing/subscription_service.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/progressive_billing.hpp"
#include "billing/subscription_invoice.hpp"
#include "billing/usage_fees.hpp"
#include "events/outbox.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;
using S = SubscriptionStatus;

bool is_unpaid(const Invoice& invoice) {
  return (invoice.status == InvoiceStatus::open || invoice.status == InvoiceStatus::uncollectible) &&
         invoice.amount_remaining > 0;
}

std::optional<int64_t> earliest(std::optional<int64_t> a, int64_t b) { return a ? std::min(*a, b) : b; }

}  // namespace

SubscriptionService::SubscriptionService(BillingService& billing, int64_t upcoming_days,
                                         int64_t stop_collection_after_days)
    : billing_(billing), upcoming_days_(upcoming_days), stop_collection_after_days_(stop_collection_after_days) {
  billing_.observe_events(this, "invoice",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                 const Origin& origin) { return on_invoice_event(tx, type, invoice, origin); });
}

SubscriptionService::~SubscriptionService() { billing_.stop_observing(this); }

int64_t SubscriptionService::now_s() const { return billing_.now_s(); }

Result<Subscription> SubscriptionService::load(store::WriteTx& tx, std::string_view id) {
  auto found = kSubscriptions.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kSubscriptions.not_found(id);
  Subscription sub = std::move(**found);
  if (auto s = fill_plan_code(tx, sub); !s) return std::move(s).error();
  return sub;
}

Status SubscriptionService::fill_plan_code(store::WriteTx& tx, Subscription& sub) {
  if (!sub.plan_code.empty()) return {};
  auto plan = kPlans.find(tx, sub.plan);
  if (!plan) return std::move(plan).error();
  sub.plan_code = *plan ? (*plan)->code : sub.plan;
  return {};
}

Result<Plan> SubscriptionService::load_plan(store::WriteTx& tx, std::string_view id, std::string_view param) {
  auto found = kPlans.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) {
    // Named in a request body, an unknown plan is a bad request; in the path, it is not found.
    if (!param.empty())
      return Error::invalid("resource_missing", fmt::format("no plan has id '{}'", id.substr(0, 100)),
                            std::string(param));
    return kPlans.not_found(id);
  }
  return std::move(**found);
}

Result<Plan> SubscriptionService::create_plan(store::WriteTx& tx, const json::object& body) {
  auto request = core::described::from_json<NewPlan>(body);
  if (!request) return std::move(request).error();
  return create_plan(tx, *request);
}

Result<Plan> SubscriptionService::create_plan(store::WriteTx& tx, const NewPlan& request) {
  auto plan = new_plan(request, billing_.ids().next(core::IdKind::plan), now_s());
  if (!plan) return std::move(plan).error();
  // A code is taken once and for all (an archived plan keeps it): a unique key, not a scan of the plans.
  auto taken = tx.claim_once(fmt::format("plan.code:{}", plan->code), plan->id, now_s() * 1000);
  if (!taken) return std::move(taken).error();
  if (!*taken)
    return Error::conflict("plan_code_taken", fmt::format("another plan already has the code '{}'", plan->code),
                           "code");
  if (auto s = kPlans.insert(tx, *plan, plan->id, plan->created * 1000); !s) return std::move(s).error();
  return plan;
}

Result<Plan> SubscriptionService::update_plan(store::WriteTx& tx, std::string_view id, const PlanUpdate& change) {
  auto plan = load_plan(tx, id, "");
  if (!plan) return std::move(plan).error();
  auto after = updated_plan(*plan, change);
  if (!after) return std::move(after).error();
  if (*after == *plan) return after;
  if (auto s = kPlans.update(tx, *after, after->id); !s) return std::move(s).error();
  return after;
}

Result<Plan> SubscriptionService::archive_plan(store::WriteTx& tx, std::string_view id) {
  auto plan = load_plan(tx, id, "");
  if (!plan) return std::move(plan).error();
  if (plan->archived) return plan;
  plan->archived = true;
  if (auto s = kPlans.update(tx, *plan, plan->id); !s) return std::move(s).error();
  return plan;
}

Status SubscriptionService::check_customer(store::WriteTx& tx, const NewSubscription& request, const Plan& plan) {
  auto customer = billing_.load_customer(tx, request.customer, "customer");
  if (!customer) return std::move(customer).error();
  const auto mismatch = [&](std::string_view what, std::string_view currency) {
    return Error::invalid(
        "currency_mismatch",
        fmt::format("plan '{}' is billed in {}, but {} is in {}", plan.code, plan.currency, what, currency), "plan");
  };
  if (customer->currency && *customer->currency != plan.currency)
    return mismatch("the customer's balance", *customer->currency);
  auto others = tx.find_documents(
      {.kind = std::string(kSubscriptions.kind), .customer_id = request.customer, .parent_id = "", .status = ""});
  if (!others) return std::move(others).error();
  for (const auto& record : *others) {
    auto other = kSubscriptions.decode(record.body);
    if (!other) return std::move(other).error();
    if (is_live(other->status) && other->currency != plan.currency)
      return mismatch(fmt::format("the customer's subscription {}", other->id), other->currency);
    if (request.external_id && other->external_id == request.external_id)
      return Error::conflict(
          "external_id_taken",
          fmt::format("the customer's subscription {} already has external_id '{}'", other->id, *request.external_id),
          "external_id");
  }
  return {};
}

std::optional<int64_t> SubscriptionService::next_invoice_at(const Subscription& sub) const {
  if (sub.status != SubscriptionStatus::active && sub.status != SubscriptionStatus::past_due) return std::nullopt;
  if (!sub.current_period_end || sub.cancel_at_period_end) return std::nullopt;
  if (sub.ending_at && *sub.ending_at <= *sub.current_period_end) return std::nullopt;
  // In advance, the last of bill_cycles has been issued: the subscription completes instead of renewing.
  if (sub.pay_in_advance && sub.bill_cycles && sub.invoices_issued >= *sub.bill_cycles) return std::nullopt;
  return sub.current_period_end;
}

Status SubscriptionService::record(store::WriteTx& tx, SubscriptionTransition& t, bool is_new,
                                   const Origin& origin) {
  Subscription& sub = t.subscription;
  // Announced once per invoice (a claimed key), so recomputing it on every change is harmless; a
  // period shorter than the notice gets none.
  sub.upcoming_at.reset();
  if (const auto next = next_invoice_at(sub); next && upcoming_days_ > 0) {
    const int64_t at = *next - upcoming_days_ * kSecondsPerDay;
    if (sub.current_period_start && at > *sub.current_period_start) sub.upcoming_at = at;
  }
  auto saved =
      is_new ? kSubscriptions.insert(tx, sub, sub.id, sub.created * 1000) : kSubscriptions.update(tx, sub, sub.id);
  if (!saved) return saved;
  for (const auto& e : t.events)
    if (auto s = billing_.append(tx, e.type, std::string(kSubscriptions.kind), sub.id, e.object, e.previous_attributes,
                                 origin);
        !s)
      return s;
  return {};
}

Status SubscriptionService::announce_upcoming(store::WriteTx& tx, Subscription& sub) {
  const auto next = next_invoice_at(sub);
  const auto period = current_period(sub);
  sub.upcoming_at.reset();
  if (next && period) {
    auto claimed = tx.claim_once(fmt::format("{}:upcoming:{}", sub.id, *next), sub.id, now_s() * 1000);
    if (!claimed) return std::move(claimed).error();
    if (*claimed) {
      // The invoice as it will be: in arrears the period now ending, in advance the next one, on the plan
      // it will be on then (a downgrade waits for the period's end).
      Subscription then = sub;
      if (sub.pending_plan_change && sub.pending_plan_change->effective_at <= *next) {
        then.plan = sub.pending_plan_change->plan;
        then.amount = sub.pending_plan_change->amount;
        then.pay_in_advance = sub.pending_plan_change->pay_in_advance;
      }
      const Period billed =
          then.pay_in_advance
              ? next_period(*period, sub.billing_cycle_anchor.value_or(period->start), sub.billing_interval,
                            sub.billing_time)
              : *period;
      auto amount = charge_for(then, billed);
      if (!amount) return std::move(amount).error();
      auto plan = kPlans.find(tx, then.plan);
      if (!plan) return std::move(plan).error();
      const std::string name = *plan ? (*plan)->name : then.plan;
      const json::object line_period{{"start", billed.start}, {"end", billed.end}};
      json::object preview{
          {"object", "invoice"},
          {"status", "draft"},
          {"customer", sub.customer},
          {"subscription", sub.id},
          {"currency", sub.currency},
          {"lines", json::array{json::object{{"description", sub.quantity == 1 ? name
                                                                               : fmt::format("{} × {}", name, sub.quantity)},
                                             {"quantity", 1},
                                             {"unit_amount", *amount},
                                             {"amount", *amount},
                                             {"period", line_period}}}},
          {"subtotal", *amount},
          {"tax", 0},
          {"discount_amount", 0},
          {"total", *amount},
          {"amount_due", *amount},
          {"billing_reason", "subscription_cycle"},
          {"collection_method", "charge_automatically"},
          {"period_start", billed.start},
          {"period_end", billed.end},
          {"scheduled_at", *next},
          {"next_payment_attempt", *next}};
      // Time-driven: it answers no request, so its event carries none.
      if (auto s = billing_.append(tx, "invoice.upcoming", std::string(kSubscriptions.kind), sub.id, std::move(preview),
                                   {}, Origin{});
          !s)
        return s;
    }
  }
  return kSubscriptions.update(tx, sub, sub.id);
}

Result<SubscriptionTransition> SubscriptionService::step(store::WriteTx& tx, Subscription& sub,
                                                         const SubscriptionCommand& command, int64_t at,
                                                         const Origin& origin) {
  auto t = apply(sub, command, at);
  if (!t) return std::move(t).error();
  if (auto s = record(tx, *t, false, origin); !s) return std::move(s).error();
  sub = t->subscription;
  return t;
}

Result<int64_t> SubscriptionService::charge_for(const Subscription& sub, const Period& period) const {
  auto whole = period_amount(sub);
  if (!whole) return whole;
  const bool partial_first = sub.billing_time == BillingTime::calendar && sub.billing_cycle_anchor == period.start &&
                             calendar_floor(period.start, sub.billing_interval) != period.start;
  if (!partial_first) return whole;
  return prorate_first_calendar_period(*whole, period.start, sub.billing_interval);
}

Result<int64_t> SubscriptionService::used_part(const Subscription& sub, const Period& period, int64_t until) const {
  auto whole = charge_for(sub, period);
  if (!whole || period.seconds() <= 0) return whole;
  return prorate(*whole, std::clamp<int64_t>(until - period.start, 0, period.seconds()), period.seconds());
}

Result<Invoice> SubscriptionService::issue(store::WriteTx& tx, const Subscription& sub, const Period& period,
                                           int64_t amount, BillingReason reason, const Origin& origin,
                                           std::vector<LineItem> usage) {
  return issue_subscription_invoice(billing_, tx, sub, period, amount, reason, origin, std::move(usage));
}

Result<std::vector<LineItem>> SubscriptionService::closing_usage(store::WriteTx& tx, const Subscription& sub,
                                                                 const Period& period) {
  auto claimed = tx.claim_once(fmt::format("{}:usage:{}", sub.id, period.start), sub.id, now_s() * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("period_already_billed",
                           fmt::format("subscription {}'s usage of the period starting {} is already billed", sub.id,
                                       period.start));
  auto lines = period_usage_lines(tx, sub.id, sub.plan, sub.currency, period);
  if (!lines) return lines;
  // What the period's progressive invoices billed is deducted from each charge's line.
  auto billed = billed_progressively(tx, sub, period);
  if (!billed) return std::move(billed).error();
  return less_billed(std::move(*lines), std::move(*billed));
}

Result<std::optional<Invoice>> SubscriptionService::close_early(store::WriteTx& tx, const Subscription& before,
                                                                int64_t now, const Origin& origin) {
  const auto period = current_period(before);
  if (!is_billed(before.status) || !period) return std::optional<Invoice>{};
  auto usage = closing_usage(tx, before, *period);
  if (!usage) return std::move(usage).error();
  const Period used{period->start, std::min(now, period->end)};
  int64_t amount = 0;
  if (!before.pay_in_advance) {
    auto owed = used_part(before, *period, now);
    if (!owed) return std::move(owed).error();
    amount = *owed;
  } else if (usage->empty()) {
    return std::optional<Invoice>{};
  }
  auto issued = issue(tx, before, used, amount, BillingReason::subscription_cycle, origin, std::move(*usage));
  if (!issued) return std::move(issued).error();
  return std::optional<Invoice>{std::move(*issued)};
}

Status SubscriptionService::bill_usage(store::WriteTx& tx, const Subscription& sub, const Period& period,
                                       std::vector<LineItem> usage, const Origin& origin) {
  if (usage.empty()) return {};
  auto issued = issue(tx, sub, period, 0, BillingReason::subscription_cycle, origin, std::move(usage));
  if (!issued) return std::move(issued).error();
  return {};
}

Result<Invoice> SubscriptionService::bill(store::WriteTx& tx, Subscription& sub, const Period& period,
                                          BillingReason reason, int64_t at, const Origin& origin,
                                          std::vector<LineItem> usage) {
  // Once per period, whatever copy of the subscription this transaction read: a node that lost the lead
  // of the time-driven jobs part-way through a pass may be billing from the copy the new leader also
  // read. The claimed key is unique in the database, so the second claim waits for the first
  // transaction and then fails: its transaction rolls back and the next pass reads the renewed document.
  auto claimed = tx.claim_once(fmt::format("{}:billed:{}", sub.id, period.start), sub.id, now_s() * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("period_already_billed",
                           fmt::format("subscription {}'s period starting {} is already billed", sub.id, period.start));
  auto amount = charge_for(sub, period);
  if (!amount) return std::move(amount).error();
  auto invoice = issue(tx, sub, period, *amount, reason, origin, std::move(usage));
  if (!invoice) return invoice;
  watch_collection(sub, *invoice);
  if (auto t = step(tx, sub, RecordInvoice{invoice->id}, at, origin); !t) return std::move(t).error();
  return invoice;
}

Result<std::optional<Invoice>> SubscriptionService::bill_in_advance(store::WriteTx& tx, Subscription& sub,
                                                                    BillingReason reason, int64_t at,
                                                                    const Origin& origin, std::vector<LineItem> usage) {
  const auto period = current_period(sub);
  if (!sub.pay_in_advance || !is_billed(sub.status) || !period) return std::optional<Invoice>{};
  auto invoice = bill(tx, sub, *period, reason, at, origin, std::move(usage));
  if (!invoice) return std::move(invoice).error();
  return std::optional<Invoice>{std::move(*invoice)};
}

Result<SubscriptionResult> SubscriptionService::create(store::WriteTx& tx, const NewSubscription& request,
                                                       const Origin& origin) {
  auto plan = load_plan(tx, request.plan, "plan");
  if (!plan) return std::move(plan).error();
  if (auto s = check_customer(tx, request, *plan); !s) return std::move(s).error();
  const int64_t now = now_s();
  Subscription doc{.id = billing_.ids().next(core::IdKind::subscription),
                   .customer = request.customer,
                   .external_id = request.external_id,
                   .quantity = request.quantity,
                   .billing_time = request.billing_time,
                   .start_date = request.start_date.value_or(now),
                   .ending_at = request.ending_at,
                   .metadata = request.metadata,
                   .request_id = origin.request_id,
                   .idempotency_key = origin.idempotency_key};
  auto t = billing::create(CreateSubscription{std::move(doc), *plan}, now);
  if (!t) return std::move(t).error();
  if (auto s = record(tx, *t, true, origin); !s) return std::move(s).error();
  Subscription sub = std::move(t->subscription);
  auto invoice = bill_in_advance(tx, sub, BillingReason::subscription_create, now, origin);
  if (!invoice) return std::move(invoice).error();
  return SubscriptionResult{std::move(sub), std::move(*invoice)};
}

Result<SubscriptionResult> SubscriptionService::cancel(store::WriteTx& tx, std::string_view id, bool at_period_end,
                                                       const Origin& origin) {
  auto sub = load(tx, id);
  if (!sub) return std::move(sub).error();
  const int64_t now = now_s();
  if (at_period_end && sub->status != S::pending) {
    if (auto t = step(tx, *sub, ScheduleCancel{}, now, origin); !t) return std::move(t).error();
    return SubscriptionResult{std::move(*sub), std::nullopt};
  }
  const Subscription before = *sub;
  if (auto t = step(tx, *sub, Cancel{}, now, origin); !t) return std::move(t).error();
  // The part of the period used so far is still owed in arrears, and its usage in any case.
  auto invoice = close_early(tx, before, now, origin);
  if (!invoice) return std::move(invoice).error();
  return SubscriptionResult{std::move(*sub), std::move(*invoice)};
}

Result<SubscriptionResult> SubscriptionService::terminate(store::WriteTx& tx, std::string_view id,
                                                          const Origin& origin) {
  auto sub = load(tx, id);
  if (!sub) return std::move(sub).error();
  const Subscription before = *sub;
  if (auto t = step(tx, *sub, Terminate{}, now_s(), origin); !t) return std::move(t).error();
  // Its usage so far is billed (a terminated subscription's base fee is not: it ends as it stands).
  const auto period = current_period(before);
  if (!is_billed(before.status) || !period) return SubscriptionResult{std::move(*sub), std::nullopt};
  auto usage = closing_usage(tx, before, *period);
  if (!usage) return std::move(usage).error();
  if (usage->empty()) return SubscriptionResult{std::move(*sub), std::nullopt};
  auto invoice = issue(tx, before, {period->start, std::min(now_s(), period->end)}, 0,
                       BillingReason::subscription_cycle, origin, std::move(*usage));
  if (!invoice) return std::move(invoice).error();
  return SubscriptionResult{std::move(*sub), std::move(*invoice)};
}

Result<SubscriptionResult> SubscriptionService::change_plan(store::WriteTx& tx, std::string_view id,
                                                            std::string_view plan_id, const Origin& origin) {
  auto sub = load(tx, id);
  if (!sub) return std::move(sub).error();
  auto plan = load_plan(tx, plan_id, "plan");
  if (!plan) return std::move(plan).error();
  const int64_t now = now_s();
  auto t = step(tx, *sub, ChangePlan{*plan}, now, origin);
  if (!t) return std::move(t).error();
  std::optional<Invoice> invoice;
  if (t->proration) {
    const auto period = current_period(*sub);
    auto issued =
        issue(tx, *sub, {now, period ? period->end : now}, *t->proration, BillingReason::subscription_update, origin);
    if (!issued) return std::move(issued).error();
    invoice = std::move(*issued);
    const auto check_before = sub->collection_check_at;
    watch_collection(*sub, *invoice);
    if (sub->collection_check_at != check_before)
      if (auto s = kSubscriptions.update(tx, *sub, sub->id); !s) return std::move(s).error();
  }
  return SubscriptionResult{std::move(*sub), std::move(invoice)};
}

Result<SubscriptionResult> SubscriptionService::update(store::WriteTx& tx, std::string_view id,
                                                       const UpdateSubscription& change, const Origin& origin) {
  auto sub = load(tx, id);
  if (!sub) return std::move(sub).error();
  if (change.external_id && *change.external_id && *change.external_id != sub->external_id) {
    auto others = tx.find_documents(
        {.kind = std::string(kSubscriptions.kind), .customer_id = sub->customer, .parent_id = "", .status = ""});
    if (!others) return std::move(others).error();
    for (const auto& record : *others) {
      auto other = kSubscriptions.decode(record.body);
      if (!other) return std::move(other).error();
      if (other->id != sub->id && other->external_id == *change.external_id)
        return Error::conflict("external_id_taken",
                               fmt::format("the customer's subscription {} already has external_id '{}'", other->id,
                                           **change.external_id),
                               "external_id");
    }
  }
  if (auto t = step(tx, *sub, change, now_s(), origin); !t) return std::move(t).error();
  return SubscriptionResult{std::move(*sub), std::nullopt};
}

Result<bool> SubscriptionService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto loaded = load(tx, wake.id);
  if (!loaded) return std::move(loaded).error();
  Subscription sub = std::move(*loaded);
  const int64_t now = now_s();
  const auto due = subscription_wake_at(sub);
  if (!due || *due > now) return false;
  // Time-driven steps answer no request: their events carry none.
  const Origin origin;
  const int64_t at = *due;

  // invoice.upcoming comes before the period's end it announces (and anything else due then).
  if (sub.upcoming_at && *sub.upcoming_at == at) {
    if (auto s = announce_upcoming(tx, sub); !s) return std::move(s).error();
    const auto next = subscription_wake_at(sub);
    return next && *next <= now;
  }

  if (sub.status == S::active && sub.collection_check_at && *sub.collection_check_at == at) {
    if (auto s = check_collection(tx, sub, at, origin); !s) return std::move(s).error();
    const auto next = subscription_wake_at(sub);
    return next && *next <= now;
  }

  if (sub.ending_at && *sub.ending_at == at) {
    // The end comes before anything else due: bill what arrears are owed, then end.
    const auto period = current_period(sub);
    if (is_billed(sub.status) && period) {
      auto usage = closing_usage(tx, sub, *period);
      if (!usage) return std::move(usage).error();
      const Period used{period->start, std::min(at, period->end)};
      if (!sub.pay_in_advance) {
        auto amount = used_part(sub, *period, at);
        if (!amount) return std::move(amount).error();
        auto issued = issue(tx, sub, used, *amount, BillingReason::subscription_cycle, origin, std::move(*usage));
        if (!issued) return std::move(issued).error();
      } else if (auto s = bill_usage(tx, sub, used, std::move(*usage), origin); !s) {
        return std::move(s).error();
      }
    }
    const SubscriptionCommand end = sub.cancel_at_period_end ? SubscriptionCommand{Cancel{}} : Terminate{};
    if (auto t = step(tx, sub, end, at, origin); !t) return std::move(t).error();
    return false;
  }

  switch (sub.status) {
    case S::pending: {
      if (auto t = step(tx, sub, Activate{}, at, origin); !t) return std::move(t).error();
      if (auto b = bill_in_advance(tx, sub, BillingReason::subscription_create, at, origin); !b)
        return std::move(b).error();
      break;
    }
    case S::trialing: {
      if (auto t = step(tx, sub, EndTrial{}, at, origin); !t) return std::move(t).error();
      if (auto b = bill_in_advance(tx, sub, BillingReason::subscription_cycle, at, origin); !b)
        return std::move(b).error();
      break;
    }
    case S::active:
    case S::past_due: {
      const auto period = current_period(sub);
      if (!period) return Error::internal(fmt::format("subscription {} is billed but has no period", sub.id));
      // The period's usage is billed on the invoice that closes it: the period itself in arrears, the
      // next one in advance (as Lago does), or an invoice of its own when nothing follows.
      auto usage = closing_usage(tx, sub, *period);
      if (!usage) return std::move(usage).error();
      if (!sub.pay_in_advance) {
        if (auto b = bill(tx, sub, *period, BillingReason::subscription_cycle, at, origin, std::move(*usage)); !b)
          return std::move(b).error();
        if (!is_billed(sub.status)) break;  // that was the last of its bill_cycles
      }
      if (auto t = step(tx, sub, Renew{}, at, origin); !t) return std::move(t).error();
      if (sub.pay_in_advance && !is_billed(sub.status)) {  // no next period to bill it with
        if (auto s = bill_usage(tx, sub, *period, std::move(*usage), origin); !s) return std::move(s).error();
        break;
      }
      std::vector<LineItem> carried = sub.pay_in_advance ? std::move(*usage) : std::vector<LineItem>{};
      if (auto b = bill_in_advance(tx, sub, BillingReason::subscription_cycle, at, origin, std::move(carried)); !b)
        return std::move(b).error();
      break;
    }
    case S::completed:
    case S::canceled:
    case S::terminated: return false;
  }
  // More is due at once when the clock jumped past several periods: the next round bills the next one.
  const auto next = subscription_wake_at(sub);
  return next && *next <= now;
}

// --- the collection gate ------------------------------------------------------------------------

int64_t SubscriptionService::stop_collection_at(int64_t due_date) const {
  // Overdue begins the second after the due date, so even a gate of 0 days waits for that.
  return due_date + std::max<int64_t>(1, stop_collection_after_days_ * kSecondsPerDay);
}

void SubscriptionService::watch_collection(Subscription& sub, const Invoice& invoice) const {
  if (sub.status == S::active && is_unpaid(invoice) && invoice.due_date)
    sub.collection_check_at = earliest(sub.collection_check_at, stop_collection_at(*invoice.due_date));
}

Result<std::vector<Invoice>> SubscriptionService::unpaid_invoices(store::WriteTx& tx, const Subscription& sub) {
  auto open = stored::open_invoices_of(tx, sub.customer);
  if (!open) return std::move(open).error();
  std::erase_if(*open, [&](const Invoice& invoice) {
    return invoice.subscription_id != sub.id || !is_unpaid(invoice) || !invoice.due_date;
  });
  return open;
}

Status SubscriptionService::check_collection(store::WriteTx& tx, Subscription& sub, int64_t at,
                                             const Origin& origin) {
  auto unpaid = unpaid_invoices(tx, sub);
  if (!unpaid) return std::move(unpaid).error();
  // Looked at afresh each time: a due date moved later, or an invoice paid meanwhile, counts as it is now.
  bool stop = false;
  sub.collection_check_at.reset();
  for (const auto& invoice : *unpaid) {
    const int64_t limit = stop_collection_at(*invoice.due_date);
    if (limit <= at)
      stop = true;
    else
      sub.collection_check_at = earliest(sub.collection_check_at, limit);
  }
  if (!stop) return kSubscriptions.update(tx, sub, sub.id);
  sub.collection_check_at.reset();  // past_due waits for its invoices to be settled instead
  auto stopped = step(tx, sub, StopCollection{}, at, origin);
  if (!stopped) return std::move(stopped).error();
  return {};
}

Status SubscriptionService::watch_finalized(store::WriteTx& tx, const json::object& invoice) {
  const auto* subscription = invoice.if_contains("subscription");
  const auto* due = invoice.if_contains("due_date");
  const auto* remaining = invoice.if_contains("amount_remaining");
  if (!subscription || !subscription->is_string() || !due || !due->is_int64() || !remaining ||
      !remaining->is_int64() || remaining->as_int64() <= 0)
    return {};
  auto found = kSubscriptions.find(tx, subscription->get_string());
  if (!found) return std::move(found).error();
  if (!*found || (*found)->status != S::active) return {};
  Subscription sub = std::move(**found);
  const auto check_at = earliest(sub.collection_check_at, stop_collection_at(due->as_int64()));
  if (check_at == sub.collection_check_at) return {};
  sub.collection_check_at = check_at;
  return kSubscriptions.update(tx, sub, sub.id);
}

Status SubscriptionService::on_invoice_event(store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                             const Origin& origin) {
  if (type == "invoice.finalized") return watch_finalized(tx, invoice);
  // Only a subscription's invoice that was overdue and is now settled can end a stop; most events end
  // here, unread.
  if (type != "invoice.paid" && type != "invoice.voided") return {};
  const auto* subscription = invoice.if_contains("subscription");
  if (!subscription || !subscription->is_string()) return {};
  const auto* due = invoice.if_contains("due_date");
  const int64_t now = now_s();
  if (!due || !due->is_int64() || due->as_int64() >= now) return {};
  const std::string invoice_id = json::value_to<std::string>(invoice.at("id"));
  auto found = kSubscriptions.find(tx, subscription->get_string());
  if (!found) return std::move(found).error();
  if (!*found || (*found)->status != S::past_due) return {};
  Subscription sub = std::move(**found);
  if (auto s = fill_plan_code(tx, sub); !s) return s;
  auto unpaid = unpaid_invoices(tx, sub);
  if (!unpaid) return std::move(unpaid).error();
  std::optional<int64_t> check_at;
  for (const auto& other : *unpaid) {
    if (other.id == invoice_id) continue;  // settled by this event, whether or not it is stored yet
    if (*other.due_date < now) return {};  // still overdue: the stop goes on
    check_at = earliest(check_at, stop_collection_at(*other.due_date));
  }
  sub.collection_check_at = check_at;
  auto reactivated = step(tx, sub, Reactivate{}, now, origin);
  if (!reactivated) return std::move(reactivated).error();
  return {};
}

// --- the registry's view ------------------------------------------------------------------------

namespace {

Result<json::object> answer(Result<SubscriptionResult> result) {
  if (!result) return std::move(result).error();
  return kSubscriptions.api_json(result->subscription);
}

}  // namespace

void register_subscriptions(DocumentRegistry& registry) {
  registry.provide(service_factory<SubscriptionService>(
      [](const DomainDeps& deps) {
        return std::make_unique<SubscriptionService>(deps.billing, deps.upcoming_days,
                                                     deps.stop_collection_after_days);
      }));

  RegisteredKind plans = registered(kPlans, "/v1/plans", "Plan");
  plans.commands = {
      create_command<SubscriptionService, NewPlan>(
          "Create a plan",
          "A plan: its code (unique among plans), name, interval (`week`, `month`, `quarter`, `year`), amount in "
          "minor units of its currency, trial days, whether it bills in advance (the default) or in arrears, and "
          "`bill_cycles` (the subscription completes after that many invoices; open-ended when null). `charges` "
          "price billable metrics by their code (`standard`, `graduated`, `volume`, `package`, `percentage`, "
          "decimal amounts as strings) and `usage_thresholds` (`amount`, `recurring`) set progressive billing; "
          "bad ones are a 400 naming the field (`charges.0.properties.graduated_ranges.1.to_value`). A code another plan has is a 409 "
          "`plan_code_taken` naming `code`.",
          [](SubscriptionService& s, store::WriteTx& tx, const NewPlan& request, const Origin&) {
            return kPlans.answer(s.create_plan(tx, request));
          }),
      document_command<SubscriptionService, PlanUpdate>(
          "PATCH", "", "Update a plan",
          "Changes its `name`, `amount`, `trial_period_days`, `pay_in_advance`, `bill_cycles` (`null`: "
          "open-ended), `charges` or `usage_thresholds` (each replaced whole); its code, currency and interval stay. Subscriptions already on the plan keep the terms they "
          "took; the change applies to those that take the plan from now on. Bad values are a 400 naming the field.",
          [](SubscriptionService& s, store::WriteTx& tx, std::string_view id, const PlanUpdate& request,
             const Origin&) { return kPlans.answer(s.update_plan(tx, id, request)); }),
      document_command<SubscriptionService, NoParams>(
          "POST", "archive", "Archive a plan",
          "No new subscription may take the plan; the subscriptions it has go on. Archiving twice changes nothing.",
          [](SubscriptionService& s, store::WriteTx& tx, std::string_view id, const NoParams&, const Origin&) {
            return kPlans.answer(s.archive_plan(tx, id));
          }),
  };
  registry.add(std::move(plans));

  RegisteredKind subscriptions = registered(kSubscriptions, "/v1/subscriptions", "Subscription");
  subscriptions.customer_filter = "customer";
  subscriptions.wake = wake_with(&SubscriptionService::on_wake);
  subscriptions.commands = {
      create_command<SubscriptionService, SubscriptionCreate>(
          "Create a subscription",
          "Subscribes a customer to a plan. Starting now it is `trialing` (the plan has trial days) or `active`, "
          "and a plan billed in advance issues its first invoice at once (`subscription.created`, "
          "`subscription.activated`); a future `start_date` keeps it `pending` until then. Each period is then "
          "renewed by the scheduler with one invoice (`billing_reason` `subscription_cycle`). Refused (400 naming "
          "the field): an unknown customer or plan, an archived plan, a plan in another currency than the "
          "customer's, an `external_id` the customer already uses.",
          [](SubscriptionService& s, store::WriteTx& tx, const SubscriptionCreate& request, const Origin& origin) {
            NewSubscription fields{.customer = request.customer,
                                   .plan = request.plan,
                                   .external_id = request.external_id,
                                   .billing_time = request.billing_time.value_or(BillingTime::anniversary),
                                   .start_date = request.start_date,
                                   .ending_at = request.ending_at,
                                   .quantity = request.quantity.value_or(1),
                                   .metadata = request.metadata.value_or(std::map<std::string, std::string>{})};
            return answer(s.create(tx, fields, origin));
          }),
      document_command<SubscriptionService, SubscriptionUpdate>(
          "PATCH", "", "Update a subscription",
          "Sets its `external_id` (unique per customer; `null` removes it) and `metadata`; `subscription.updated` "
          "when anything changed.",
          [](SubscriptionService& s, store::WriteTx& tx, std::string_view id, const SubscriptionUpdate& request,
             const Origin& origin) {
            const UpdateSubscription change{.external_id = request.external_id, .metadata = request.metadata};
            return answer(s.update(tx, id, change, origin));
          }),
      document_command<SubscriptionService, SubscriptionCancel>(
          "POST", "cancel", "Cancel a subscription",
          "Ends it now (`subscription.canceled`; a plan billed in arrears bills the part of the period used), or "
          "with `at_period_end` at the end of the current period (`subscription.updated` now, "
          "`subscription.canceled` then). A subscription that has ended is a 409 naming its status.",
          [](SubscriptionService& s, store::WriteTx& tx, std::string_view id, const SubscriptionCancel& request,
             const Origin& origin) { return answer(s.cancel(tx, id, request.at_period_end.value_or(false), origin)); }),
      document_command<SubscriptionService, NoParams>(
          "POST", "terminate", "Terminate a subscription",
          "Ends it now and bills nothing further (`subscription.terminated`). A subscription that has ended is a "
          "409 naming its status.",
          [](SubscriptionService& s, store::WriteTx& tx, std::string_view id, const NoParams&, const Origin& origin) {
            return answer(s.terminate(tx, id, origin));
          }),
      document_command<SubscriptionService, SubscriptionPlanChange>(
          "POST", "change-plan", "Change a subscription's plan",
          "An upgrade (a higher amount per period) applies now and bills the difference for the rest of the period, "
          "prorated by seconds; a downgrade applies at the period's end. Both send `subscription.updated`.",
          [](SubscriptionService& s, store::WriteTx& tx, std::string_view id, const SubscriptionPlanChange& request,
             const Origin& origin) { return answer(s.change_plan(tx, id, request.plan, origin)); }),
  };
  registry.add(std::move(subscriptions));
}

}  // namespace billhook::billing
