#pragma once

// A subscription (DOMAINS.md §1): a customer billed for a plan every period, from a start date, with
// an optional trial, until it is canceled, terminated or completes its bill_cycles. A registered
// document (billing/registry), kind "subscription", id "sub_…"; its struct is the stored, API and
// webhook form ($defs/subscription in the catalog: `customer`, `plan`, `status`, … keep its names).
//
// The plan's terms (amount, currency, interval, pay_in_advance, bill_cycles) are copied onto the
// subscription when it starts on a plan or changes to one, so editing a plan later changes neither the
// periods nor the amounts of subscriptions already on it. The states and what moves them are in
// subscription_machine.hpp.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <boost/describe.hpp>

#include "billing/plan.hpp"
#include "billing/registry/document_kind.hpp"
#include "billing/subscription_period.hpp"

namespace billhook::billing {

// pending: created with a future start; trialing: started, in its trial; active: billed every period;
// past_due: invoices of it are overdue and its collection is stopped; completed: its bill_cycles
// invoices were issued; canceled: canceled by request; terminated: ended now by request, or at its
// requested ending_at. The last three are final.
enum class SubscriptionStatus { pending, trialing, active, past_due, completed, canceled, terminated };
BOOST_DESCRIBE_ENUM(SubscriptionStatus, pending, trialing, active, past_due, completed, canceled, terminated)
inline constexpr int kSubscriptionStatusCount = 7;

// Whether invoices of it are collected (the collection gate): stopped while past_due.
enum class CollectionStatus { active, stopped };
BOOST_DESCRIBE_ENUM(CollectionStatus, active, stopped)

// True until the subscription reaches a final state.
bool is_live(SubscriptionStatus status);
// True while its periods are billed (active, or past due).
bool is_billed(SubscriptionStatus status);

// A plan change that waits for the end of the current period (a downgrade): the terms to take then.
struct PlanChange {
  std::string plan;
  std::string plan_code;
  int64_t amount = 0;
  bool pay_in_advance = true;
  std::optional<int64_t> bill_cycles;
  int64_t effective_at = 0;
  bool operator==(const PlanChange&) const = default;
};
BOOST_DESCRIBE_STRUCT(PlanChange, (), (plan, plan_code, amount, pay_in_advance, bill_cycles, effective_at))

struct Subscription {
  std::string id;
  std::string customer;
  std::string plan;                        // the plan's id
  std::string plan_code;                   // and its code (Lago's receivers know plans by code)
  std::optional<std::string> external_id;  // the caller's key, unique per customer
  SubscriptionStatus status = SubscriptionStatus::pending;
  CollectionStatus collection_status = CollectionStatus::active;
  std::optional<std::string> collection_stopped_reason;  // "invoices_past_due"
  // The plan's terms, as of when the subscription took the plan.
  std::string currency;
  int64_t amount = 0;  // minor units per period (× quantity)
  int64_t quantity = 1;
  BillingInterval billing_interval = BillingInterval::month;
  bool pay_in_advance = true;
  std::optional<int64_t> bill_cycles;
  BillingTime billing_time = BillingTime::anniversary;
  int64_t start_date = 0;             // when it was asked to start
  std::optional<int64_t> started_at;  // when it started (trialing or active)
  std::optional<int64_t> trial_end;
  // Where anniversary periods count from: the start of the first billed period (the trial's end, if any).
  std::optional<int64_t> billing_cycle_anchor;
  std::optional<int64_t> current_period_start;
  std::optional<int64_t> current_period_end;
  bool cancel_at_period_end = false;
  std::optional<int64_t> ending_at;    // when it will end: a requested end, or the period end of a cancellation
  std::optional<int64_t> canceled_at;  // when cancellation was asked for
  std::optional<int64_t> ended_at;
  std::optional<PlanChange> pending_plan_change;
  int64_t invoices_issued = 0;  // billed periods, counted against bill_cycles
  std::optional<std::string> latest_invoice;
  std::map<std::string, std::string> metadata;
  int64_t created = 0;
  // When invoice.upcoming announces the next invoice (--upcoming-days before it); set by the service,
  // cleared once announced. Not shown.
  std::optional<int64_t> upcoming_at;
  // When the collection gate next looks at the subscription's unpaid invoices (the first moment one of
  // them will have been overdue --stop-collection-after-days); set by the service. Not shown.
  std::optional<int64_t> collection_check_at;
  // The request that created it: what it does in the background carries it on its events.
  std::string request_id;
  std::string idempotency_key;
  bool operator==(const Subscription&) const = default;
};
BOOST_DESCRIBE_STRUCT(Subscription, (),
                      (id, customer, plan, plan_code, external_id, status, collection_status, collection_stopped_reason, currency,
                       amount, quantity, billing_interval, pay_in_advance, bill_cycles, billing_time, start_date,
                       started_at, trial_end, billing_cycle_anchor, current_period_start, current_period_end,
                       cancel_at_period_end, ending_at, canceled_at, ended_at, pending_plan_change, invoices_issued,
                       latest_invoice, metadata, created, upcoming_at, collection_check_at, request_id,
                       idempotency_key))

// Looked up by customer, parented to its plan, status its state; it wakes (subscription_time) when
// time next acts on it.
extern const DocumentKind<Subscription> kSubscriptions;

// The next moment time acts on a subscription, if any: its start (pending), the end of its trial
// (trialing) or of its period (active, past_due), or its ending_at when that comes first; an
// active one also when its collection gate is due (collection_check_at).
std::optional<int64_t> subscription_wake_at(const Subscription& sub);

// The current period, when it has one.
std::optional<Period> current_period(const Subscription& sub);

// The amount billed for one whole period: amount × quantity.
core::Result<int64_t> period_amount(const Subscription& sub);

}  // namespace billhook::billing
