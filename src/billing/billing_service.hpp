#pragma once

// The billing engine's I/O around the pure machine: each command loads its documents inside the
// caller's write transaction, runs the pure transition, saves the result and appends every event it
// emitted through the outbox (events::append_event) in that same transaction, so that neither the
// change nor its events exist without the other. Knows the store only through store::WriteTx.
//
// Callers (the API routes, the scheduler, tests) run these inside Store::write; an error return
// means "roll this job back". A refusal that is itself recorded (a failed finalization, a payment
// that found no usable method) comes back as InvoiceResult::refusal with the job's changes kept.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/credit_note.hpp"
#include "billing/invoice.hpp"
#include "billing/invoice_machine.hpp"
#include "billing/origin.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/sandbox_processor.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "events/profile_rules.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// The time-driven rules (CATALOG.md §1.3 A9, §1.4 B1–B3).
struct BillingSchedule {
  std::vector<int64_t> pre_due_offsets_days = {3};  // invoice.will_be_due this many days before
  int64_t overdue_reminder_every_days = 7;          // invoice.overdue_reminder every n days past due
  std::vector<int64_t> retry_delays_days = {1, 3, 5};  // after each failed automatic collection round

};

using core::kSecondsPerDay;

// Customer fields a request may set; on update, a present nullopt clears the field.
struct CustomerChange {
  std::optional<std::optional<std::string>> name;
  std::optional<std::optional<std::string>> email;
  std::optional<std::optional<std::string>> locale;
  std::optional<std::optional<std::string>> currency;
  std::optional<std::optional<std::string>> tax_id;
  std::optional<Address> address;
  std::optional<Metadata> metadata;
};

struct AttachCard {
  std::string customer_id;
  std::string number;  // read once to find the sandbox card; never stored
  int exp_month = 0;
  int exp_year = 0;
  bool make_default = false;            // also the default when the customer has none yet
  std::optional<int> fallback_order;
  std::optional<std::string> replaces;  // a method of the same customer this one replaces
};

struct PaymentMethodChange {
  bool make_default = false;
  std::optional<std::optional<int>> fallback_order;
  std::optional<bool> valid;
  std::optional<std::string> invalid_reason;  // when valid becomes false; "manual" if not given
};

struct InvoiceResult {
  Invoice invoice;
  std::optional<Invoice> spawned;       // the copy made by duplicate
  std::optional<core::Error> refusal;  // recorded, but the request did not do what it asked
};

// POST /v1/invoices/{id}/pay.
struct PayRequest {
  // A payment made elsewhere (bank transfer, cash): recorded, no processor involved.
  bool external = false;
  std::optional<int64_t> amount;       // external only; required there
  std::optional<std::string> currency;  // external only; the invoice's when absent
  // Charge this stored method only (a customer paying), instead of the customer's methods in order.
  std::optional<std::string> payment_method_id;
  bool authentication_completed = false;  // the customer finished 3-D Secure
};

class BillingService {
 public:
  // `profiles` decides, for the outbox, which endpoints are sent each event.
  BillingService(const catalog::Catalog& catalog, const events::ProfileRules& profiles, core::IdGenerator& ids,
                 const core::Clock& clock, PaymentProcessor& processor, BillingSchedule schedule = {});

  // Writes a customer's place among partners and referrals (CommissionService::assign_roles), called after
  // the customer is stored and before its event, so the event shows the customer's role and referrer.
  using WriteRoles = std::function<core::Status(store::WriteTx&, const Customer&)>;
  core::Result<Customer> create_customer(store::WriteTx& tx, const CustomerChange& fields, const Origin& origin,
                                         const WriteRoles& write_roles = {});
  // customer.updated when the fields or the role or referrer changed, with previous_attributes of both.
  core::Result<Customer> update_customer(store::WriteTx& tx, std::string_view id, const CustomerChange& change,
                                         const Origin& origin, const WriteRoles& write_roles = {});

  core::Result<PaymentMethod> attach_card(store::WriteTx& tx, const AttachCard& request, const Origin& origin);
  core::Result<PaymentMethod> update_payment_method(store::WriteTx& tx, std::string_view id,
                                                    const PaymentMethodChange& change, const Origin& origin);

  // A new invoice from `document` (id assigned here); issued at once with `auto_finalize`.
  core::Result<InvoiceResult> create_invoice(store::WriteTx& tx, Invoice document, bool auto_finalize,
                                             const Origin& origin);
  // Finalize with the next gapless number of the year, minted in this transaction.
  core::Result<InvoiceResult> finalize(store::WriteTx& tx, std::string_view id, const Origin& origin);
  core::Result<InvoiceResult> duplicate(store::WriteTx& tx, std::string_view id, const Origin& origin);
  // Any other command of the machine (update, refresh, delete, void, mark uncollectible, due date,
  // adjust). Finalize, Duplicate and payments have their own methods above and below.
  core::Result<InvoiceResult> apply(store::WriteTx& tx, std::string_view id, const Command& command,
                                    const Origin& origin);
  core::Result<InvoiceResult> pay(store::WriteTx& tx, std::string_view id, const PayRequest& request,
                                  const Origin& origin);
  // Persists a transition decided outside this class (a proforma credit, …) exactly as apply() does:
  // the document (and any spawned one), its events in order, the customer's credit for an overpayment.
  core::Result<InvoiceResult> record(store::WriteTx& tx, Transition transition, const Origin& origin);

  // What time does to one invoice at the clock's now: a due collection retry, then pre-due and
  // overdue notices (each at most once per due date, by their dedupe keys). Returns the number of
  // events emitted.
  core::Result<int> run_time(store::WriteTx& tx, std::string_view invoice_id);
  // run_time as the invoice's handler on the DocumentClock: everything due is done in one step.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

  const BillingSchedule& schedule() const { return schedule_; }
  const core::Clock& clock() const { return clock_; }
  const catalog::Catalog& catalog() const { return catalog_; }
  const events::ProfileRules& profiles() const { return profiles_; }
  core::IdGenerator& ids() { return ids_; }
  PaymentProcessor& processor() { return processor_; }

  // The building blocks the services beside this one (refunds, disputes, credit notes) share with it.
  int64_t now_s() const;
  core::Result<Invoice> load_invoice(store::WriteTx& tx, std::string_view id);
  core::Result<Customer> load_customer(store::WriteTx& tx, std::string_view id, std::string_view param);
  // `after_pass`: run_time has just done everything due now, so the next moment lies strictly ahead.
  core::Status save_invoice(store::WriteTx& tx, const Invoice& invoice, bool is_new, bool after_pass = false);

  // How one domain reacts to another's changes in the same transaction (CATALOG.md §1.7's hook): an
  // observer of `aggregate_type` ("invoice", "customer", …) is shown every event appended about such an
  // aggregate — its type and data.object — right after it is appended, so whatever the observer writes
  // or emits in answer follows it (a subscription reactivated after invoice.paid; a PDF to render after
  // invoice.finalized). An error rolls the whole change back. `owner` names the registration, so the
  // owner can end it (in its destructor) with stop_observing. Registrations are made and ended while
  // nothing writes (the server builds its domains before it serves and drops them after its writer has
  // stopped); appends read the list unlocked.
  using EventObserver = std::function<core::Status(store::WriteTx&, std::string_view type,
                                                   const boost::json::object& object, const Origin&)>;
  void observe_events(const void* owner, std::string aggregate_type, EventObserver observer);
  void stop_observing(const void* owner);
  core::Status append(store::WriteTx& tx, const std::string& type, const std::string& aggregate_type,
                      const std::string& aggregate_id, boost::json::object object,
                      boost::json::object previous, const Origin& origin);
  // Moves the customer's credit balance by `change` (negative: credit given to the customer, as
  // Customer::balance), records the movement as a balance_transaction document and emits
  // customer.updated. The customer's currency becomes `currency` when it has none.
  core::Result<BalanceTransaction> move_balance(store::WriteTx& tx, const std::string& customer_id, int64_t change,
                                                BalanceEntryType type, const std::string& currency,
                                                std::optional<std::string> invoice_id,
                                                std::optional<std::string> credit_note_id, const Origin& origin);

 private:
  // The customer as its events show it: the API's JSON with its role and referrer.
  core::Result<boost::json::object> customer_json(store::WriteTx& tx, const Customer& customer);
  struct Pending;

  std::optional<int64_t> next_wake(const Invoice& invoice, int64_t now, bool after_pass) const;
  core::Status save_method(store::WriteTx& tx, const PaymentMethod& method, bool is_new);
  core::Status append_all(store::WriteTx& tx, std::vector<InvoiceEvent> events, const Origin& origin);
  core::Result<std::string> mint_number(store::WriteTx& tx);
  core::Result<InvoiceResult> collect(store::WriteTx& tx, Invoice invoice, const PayRequest& request,
                                      const Origin& origin, int* emitted = nullptr);
  core::Result<InvoiceResult> record_external(store::WriteTx& tx, Invoice invoice, const PayRequest& request,
                                              const Origin& origin);
  // A6 / A5 on the customer's unsettled invoices: `method` became usable again, or became the one
  // collection will charge next.
  core::Status announce_to_open_invoices(store::WriteTx& tx, const PaymentMethod& method, bool restored,
                                         const Origin& origin);
  // An overpayment of `invoice` goes onto its customer's credit balance.
  core::Status credit_customer(store::WriteTx& tx, const Invoice& invoice, int64_t amount, const Origin& origin);

  const catalog::Catalog& catalog_;
  const events::ProfileRules& profiles_;
  core::IdGenerator& ids_;
  const core::Clock& clock_;
  PaymentProcessor& processor_;
  BillingSchedule schedule_;
  struct Observer {
    const void* owner;
    std::string aggregate_type;
    EventObserver react;
  };
  std::vector<Observer> observers_;
};

}  // namespace billhook::billing
