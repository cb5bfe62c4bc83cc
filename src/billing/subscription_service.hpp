#pragma once

// Plans and subscriptions as stored documents (DOMAINS.md §1): each command loads its documents in the
// caller's write transaction, runs the pure machine (subscription_machine.hpp), saves with
// kSubscriptions/kPlans and appends the machine's events through the outbox in that same transaction;
// the invoices a step bills go through BillingService::create_invoice, issued at once and collected by
// the existing collection (billing_reason subscription_create, subscription_cycle or subscription_update,
// the period on the invoice and its line).
//
// Time: on_wake is the subscription's handler on the document clock. Each call does one step — the
// start, the trial's end, one ended period, or the end — and answers whether another is already due,
// so a clock that jumped over several periods bills each missed period once, in order, one
// transaction per period. The invoice and the period it advances commit together, which is what
// makes each period billed exactly once across restarts; the document clock runs on one node only.
//
// Billing rules: a pay-in-advance plan bills a period at its start (the first one when the
// subscription starts, or when its trial ends), an in-arrears plan at its end. A calendar
// subscription's first period, when it does not start on a boundary, is billed prorated by days.
// Every invoice is due when issued (Lago's default net payment term of 0 days), so one a declined
// card leaves unpaid is overdue at once (invoice.overdue).
//
// The collection gate (DOMAINS.md §1): once an invoice of an active subscription has been overdue
// --stop-collection-after-days, the subscription is past_due (subscription.collection_stopped): its
// renewals are still invoiced, but no longer charged. When every overdue invoice of it is paid,
// voided or credited it is active again (subscription.reactivated), in the transaction that settled
// the last one: the service watches its invoices through BillingService::observe_events.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/plan.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "billing/subscription.hpp"
#include "billing/subscription_machine.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct NewSubscription {
  std::string customer;
  std::string plan;  // the plan's id
  std::optional<std::string> external_id;
  BillingTime billing_time = BillingTime::anniversary;
  std::optional<int64_t> start_date;  // now when absent
  std::optional<int64_t> ending_at;
  int64_t quantity = 1;
  std::map<std::string, std::string> metadata;
};

// The bodies of the subscription routes (register_subscriptions): read with errors naming the field.
struct SubscriptionCreate {
  std::string customer;
  std::string plan;
  std::optional<std::string> external_id;
  std::optional<BillingTime> billing_time;  // anniversary when absent
  std::optional<int64_t> start_date;        // unix seconds; now when absent
  std::optional<int64_t> ending_at;
  std::optional<int64_t> quantity;          // 1 when absent
  std::optional<std::map<std::string, std::string>> metadata;
};
BOOST_DESCRIBE_STRUCT(SubscriptionCreate, (),
                      (customer, plan, external_id, billing_time, start_date, ending_at, quantity, metadata))

struct SubscriptionCancel {
  std::optional<bool> at_period_end;  // false when absent: it ends now
};
BOOST_DESCRIBE_STRUCT(SubscriptionCancel, (), (at_period_end))

struct SubscriptionPlanChange {
  std::string plan;
};
BOOST_DESCRIBE_STRUCT(SubscriptionPlanChange, (), (plan))

struct SubscriptionUpdate {
  std::optional<std::optional<std::string>> external_id;  // null clears it
  std::optional<std::map<std::string, std::string>> metadata;
};
BOOST_DESCRIBE_STRUCT(SubscriptionUpdate, (), (external_id, metadata))

// A command's result: the subscription after it, and the invoice it issued, if any.
struct SubscriptionResult {
  Subscription subscription;
  std::optional<Invoice> invoice;
};

class SubscriptionService {
 public:
  // `upcoming_days`: invoice.upcoming this many days before the next invoice (0: never).
  // Its events go through billing's outbox (BillingService::append), checked against billing's catalog.
  // `stop_collection_after_days`: how long an invoice may be overdue before collection stops.
  explicit SubscriptionService(BillingService& billing, int64_t upcoming_days = 3,
                               int64_t stop_collection_after_days = 14);
  ~SubscriptionService();
  SubscriptionService(const SubscriptionService&) = delete;
  SubscriptionService& operator=(const SubscriptionService&) = delete;

  // A plan from a request body (plan.hpp's new_plan); conflict "plan_code_taken" naming `code` when
  // another plan has its code.
  core::Result<Plan> create_plan(store::WriteTx& tx, const boost::json::object& body);
  core::Result<Plan> create_plan(store::WriteTx& tx, const NewPlan& request);
  // PATCH: plan.hpp's PlanUpdate; the subscriptions on it keep their terms.
  core::Result<Plan> update_plan(store::WriteTx& tx, std::string_view id, const PlanUpdate& change);
  // No new subscriptions on it; the ones it has go on. Archiving twice is no change.
  core::Result<Plan> archive_plan(store::WriteTx& tx, std::string_view id);

  // invalid_request naming the field: an unknown customer ("customer") or plan ("plan"), an archived
  // plan, a plan in another currency than the customer's balance or its other live subscriptions
  // ("plan", currency_mismatch), an external_id the customer already uses, and the machine's checks.
  // Starting now: active (billed now when pay_in_advance) or trialing; a future start: pending.
  core::Result<SubscriptionResult> create(store::WriteTx& tx, const NewSubscription& request, const Origin& origin);
  // At the period's end (or now, for a subscription that has not started); now otherwise. A
  // subscription billed in arrears canceled now is billed the part of the period it used.
  core::Result<SubscriptionResult> cancel(store::WriteTx& tx, std::string_view id, bool at_period_end,
                                          const Origin& origin);
  // Ends it now; nothing further is billed (usage to date arrives with usage pricing).
  core::Result<SubscriptionResult> terminate(store::WriteTx& tx, std::string_view id, const Origin& origin);
  // An upgrade applies now and bills the rest of the period's difference; a downgrade waits for the
  // period's end (subscription_machine.hpp). `plan_id` unknown: invalid_request naming "plan".
  core::Result<SubscriptionResult> change_plan(store::WriteTx& tx, std::string_view id, std::string_view plan_id,
                                               const Origin& origin);

  // PATCH: external_id (unique per customer) and metadata; subscription.updated when anything changed.
  core::Result<SubscriptionResult> update(store::WriteTx& tx, std::string_view id, const UpdateSubscription& change,
                                          const Origin& origin);

  // What time does to a subscription (its handler on the DocumentClock): one due step.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

 private:
  int64_t now_s() const;
  core::Result<Subscription> load(store::WriteTx& tx, std::string_view id);
  // A subscription stored before subscriptions carried their plan's code reads it from the plan.
  core::Status fill_plan_code(store::WriteTx& tx, Subscription& sub);
  core::Result<Plan> load_plan(store::WriteTx& tx, std::string_view id, std::string_view param);
  core::Status check_customer(store::WriteTx& tx, const NewSubscription& request, const Plan& plan);
  // Saves the document and appends the machine's events, in order.
  // Sets when invoice.upcoming is next due (upcoming_at) before saving.
  core::Status record(store::WriteTx& tx, SubscriptionTransition& t, bool is_new, const Origin& origin);
  // When the subscription issues its next invoice by itself, if it will: the end of an active period
  // that renews (or that is billed in arrears).
  std::optional<int64_t> next_invoice_at(const Subscription& sub) const;
  // invoice.upcoming for the next invoice, once per invoice (a claimed key), with a preview of it.
  core::Status announce_upcoming(store::WriteTx& tx, Subscription& sub);
  // Runs `command` on `sub` at `at` and records it; `sub` becomes the document after it.
  core::Result<SubscriptionTransition> step(store::WriteTx& tx, Subscription& sub, const SubscriptionCommand& command,
                                            int64_t at, const Origin& origin);
  // Issues an invoice of `amount` for `period` of `sub`, with `usage` lines after it (a usage fee of the
  // period that ended; the plan's line is left out when it is 0 and there is usage).
  core::Result<Invoice> issue(store::WriteTx& tx, const Subscription& sub, const Period& period, int64_t amount,
                              BillingReason reason, const Origin& origin, std::vector<LineItem> usage = {});
  // The usage of `period`, which ends now, as invoice lines (usage_fees.hpp): taken once per period
  // (claimed, like a renewal), so a stale copy of `sub` bills nothing — "period_already_billed", as bill's.
  core::Result<std::vector<LineItem>> closing_usage(store::WriteTx& tx, const Subscription& sub, const Period& period);
  // What a subscription ended before its period's end owes for that period (the part used, in arrears)
  // and its usage so far, on one invoice; none when it owes neither.
  core::Result<std::optional<Invoice>> close_early(store::WriteTx& tx, const Subscription& before, int64_t now,
                                                   const Origin& origin);
  // An invoice of the usage lines alone, for a period that ends with nothing else billed; none without them.
  core::Status bill_usage(store::WriteTx& tx, const Subscription& sub, const Period& period,
                          std::vector<LineItem> usage, const Origin& origin);
  // Bills `period` in full (prorated by days when it is a calendar subscription's partial first period) and
  // counts the invoice against bill_cycles, which may complete `sub`. A period already billed (a stale
  // copy of `sub`) is a conflict, "period_already_billed", and nothing is billed.
  core::Result<Invoice> bill(store::WriteTx& tx, Subscription& sub, const Period& period, BillingReason reason,
                             int64_t at, const Origin& origin, std::vector<LineItem> usage = {});
  // The bill of the period that has just begun, when the plan bills in advance.
  core::Result<std::optional<Invoice>> bill_in_advance(store::WriteTx& tx, Subscription& sub, BillingReason reason,
                                                       int64_t at, const Origin& origin,
                                                       std::vector<LineItem> usage = {});
  // The part of `period` used up to `until`, by seconds, of what the whole period is billed.
  core::Result<int64_t> used_part(const Subscription& sub, const Period& period, int64_t until) const;
  core::Result<int64_t> charge_for(const Subscription& sub, const Period& period) const;

  // The collection gate. An invoice `sub` issued that is left unpaid: the gate looks again when it
  // will have been overdue long enough.
  void watch_collection(Subscription& sub, const Invoice& invoice) const;
  // The gate's look at `at`: past_due when an invoice has been overdue long enough; otherwise when to look next.
  core::Status check_collection(store::WriteTx& tx, Subscription& sub, int64_t at, const Origin& origin);
  // The observer of the subscriptions' invoices: invoice.finalized arms the gate (watch_finalized);
  // invoice.paid or invoice.voided of the last overdue invoice of a past_due subscription reactivates
  // it. `invoice` is the event's data.object.
  core::Status on_invoice_event(store::WriteTx& tx, std::string_view type, const boost::json::object& invoice,
                                const Origin& origin);
  // invoice.finalized of a subscription's invoice with an amount to pay, whoever issued it (a period, a
  // usage threshold, a pay-in-advance fee): the gate of an active subscription looks again when it will
  // have been overdue long enough (watch_collection, from the stored subscription). If it is paid by
  // then, the look finds nothing to stop.
  core::Status watch_finalized(store::WriteTx& tx, const boost::json::object& invoice);
  // The subscription's invoices still owed (open or uncollectible, an amount remaining), with a due date.
  core::Result<std::vector<Invoice>> unpaid_invoices(store::WriteTx& tx, const Subscription& sub);
  // When an unpaid invoice due at `due_date` has been overdue long enough to stop collection.
  int64_t stop_collection_at(int64_t due_date) const;

  BillingService& billing_;
  int64_t upcoming_days_;
  int64_t stop_collection_after_days_;
};

// Plans and subscriptions on the registry: their generic reads (GET /v1/plans[/{id}],
// GET /v1/subscriptions[/{id}], ?customer=), their commands (create, archive; create, PATCH, cancel,
// terminate, change-plan), the service the server makes for them and the subscription's handler on the
// document clock.
void register_subscriptions(DocumentRegistry& registry);

}  // namespace billhook::billing
