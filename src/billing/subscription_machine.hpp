#pragma once

// The subscription state machine of DOMAINS.md §1, as one table. Pure: a command, the document before
// it and the time go in; the document after it and the events it emits come out. The caller stores
// the document with the events in one transaction (the outbox), and issues the invoices a step asks
// for (the machine only counts them, through record_invoice).
//
// A command from a state the table does not name is ErrorKind::conflict, code "invalid_transition",
// its message naming the state: "cannot end the trial of a subscription that is active". A refused
// command changes nothing. Bad arguments are invalid_request naming the field.
//
//   command          from                                to                         events
//   create           —                                   pending                    subscription.created
//                                                        trialing, active           .created, .activated
//   activate         pending                             trialing, active           subscription.activated
//   end_trial        trialing                            active                     subscription.trial_ended
//   record_invoice   active, past_due                    unchanged, completed (1)   subscription.completed (1)
//   renew            active, past_due                    unchanged                  subscription.updated (2)
//   stop_collection  active                              past_due                   subscription.collection_stopped
//   reactivate       past_due                            active                     subscription.reactivated
//   schedule_cancel  trialing, active, past_due          unchanged                  subscription.updated
//   cancel           pending, trialing, active, past_due canceled                   subscription.canceled
//   terminate        pending, trialing, active, past_due terminated                 subscription.terminated
//   change_plan      pending, trialing, active, past_due unchanged                  subscription.updated
//   update           pending, trialing, active, past_due unchanged                  subscription.updated (3)
//
// (1) when the invoice recorded is the last of bill_cycles; none otherwise.
// (2) only when a scheduled plan change took effect with the new period; a plain renewal moves the
//     period and emits nothing itself (its invoice's events say it).
// (3) none when nothing changed.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "billing/plan.hpp"
#include "billing/subscription.hpp"
#include "core/result.hpp"

namespace billhook::billing {

// --- commands --------------------------------------------------------------------------------------

inline constexpr int64_t kMaxSubscriptionQuantity = 1'000'000;

// A new subscription of `plan` (not archived). `document` holds what the caller chose: id, customer,
// external_id, billing_time, start_date, quantity, ending_at, metadata, request_id/idempotency_key;
// the rest starts afresh from the plan. A start_date after `now` is pending; otherwise it starts now.
struct CreateSubscription {
  Subscription document;
  Plan plan;
};

struct Activate {};  // the start date came
struct EndTrial {};  // the trial's end came
// An invoice of the subscription was issued: counted against bill_cycles.
struct RecordInvoice {
  std::string invoice_id;
};
struct Renew {};  // the current period ended: the next one begins where it ended
struct StopCollection {
  std::string reason = "invoices_past_due";
};
struct Reactivate {};
struct ScheduleCancel {};  // at the end of the current period (or trial)
struct Cancel {};          // now
struct Terminate {};       // now
// A move to `plan`: a higher amount (upgrade) applies now and the transition's `proration` is what the
// rest of the current period costs more; a lower or equal one (downgrade) waits for the period's end, as
// does any change while either plan bills in arrears (the period is billed at its end on one plan).
// Before the first billed period (pending, trialing) it applies at once, with nothing to prorate.
struct ChangePlan {
  Plan plan;
};
struct UpdateSubscription {
  std::optional<std::optional<std::string>> external_id;
  std::optional<std::map<std::string, std::string>> metadata;
};

using SubscriptionCommand = std::variant<Activate, EndTrial, RecordInvoice, Renew, StopCollection, Reactivate,
                                         ScheduleCancel, Cancel, Terminate, ChangePlan, UpdateSubscription>;

// One value per command, in the order of SubscriptionCommand's alternatives, plus creation.
enum class SubscriptionCommandKind {
  activate,
  end_trial,
  record_invoice,
  renew,
  stop_collection,
  reactivate,
  schedule_cancel,
  cancel,
  terminate,
  change_plan,
  update,
  create
};
inline constexpr int kSubscriptionCommandCount = 12;

SubscriptionCommandKind kind_of(const SubscriptionCommand& command);
std::string_view to_string(SubscriptionCommandKind kind);  // "end_trial", …

// --- the table -------------------------------------------------------------------------------------

class SubscriptionStatusSet {
 public:
  constexpr SubscriptionStatusSet() = default;
  constexpr SubscriptionStatusSet(std::initializer_list<SubscriptionStatus> statuses) {
    for (SubscriptionStatus s : statuses) bits_ |= bit(s);
  }
  constexpr bool contains(SubscriptionStatus s) const { return (bits_ & bit(s)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  bool operator==(const SubscriptionStatusSet&) const = default;

 private:
  static constexpr unsigned bit(SubscriptionStatus s) { return 1u << static_cast<unsigned>(s); }
  unsigned bits_ = 0;
};

struct SubscriptionRule {
  SubscriptionCommandKind command;
  SubscriptionStatusSet from;  // empty for create (from nothing)
  SubscriptionStatusSet to;    // every status the command can leave the document in
  std::string_view phrase;     // "end the trial of {}" → "cannot end the trial of a subscription that is active"
};

// One rule per SubscriptionCommandKind, in that order.
std::span<const SubscriptionRule> subscription_table();
const SubscriptionRule& rule_for(SubscriptionCommandKind command);

// --- results ---------------------------------------------------------------------------------------

struct SubscriptionEvent {
  std::string type;                         // canonical catalog name: "subscription.activated"
  boost::json::object object;               // data.object: the API JSON after the step
  boost::json::object previous_attributes;  // what the step changed, old values ({} on creation)
};

struct SubscriptionTransition {
  Subscription subscription;
  std::vector<SubscriptionEvent> events;  // in emission order
  // change_plan, upgrade inside a billed period: what the rest of the period costs more (> 0).
  std::optional<int64_t> proration;
};

core::Result<SubscriptionTransition> create(const CreateSubscription& command, int64_t now);
core::Result<SubscriptionTransition> apply(const Subscription& before, const SubscriptionCommand& command, int64_t now);

}  // namespace billhook::billing
