#pragma once

// The invoice state machine of CATALOG.md §1: the primary status (§1.2), payments (§1.3 A10–A13, P8),
// due-date changes (B4) and adjustments (C1). Pure: a command and the document before it go in; the
// document after it and the events it emits come out. Nothing is stored or sent here; the caller
// persists `Transition::invoice` (and `spawned`) with `events` in one transaction (the outbox).
//
// Every command is allowed from the statuses one table names (transition_table()); anything else is
// ErrorKind::conflict, code "invalid_transition", message "cannot void an invoice that is paid".
// A refused command changes nothing. Bad arguments are invalid_request naming the field.
//
// The table. "Settles": when nothing is left to pay, the same command continues to PAID and adds
// invoice.payment_status_updated, invoice.paid (with their own snapshot of the document).
//
//   command                 from                        to                   events, in order
//   create (draft)          —                           draft                *.created (1)
//   create (issued)         —                           open, settles        *.created (1), invoice.finalized (2)
//   update_draft            draft                       draft                invoice.updated (none if no change)
//   refresh_draft           draft                       draft                invoice.refreshed
//   finalize                draft                       open, settles        invoice.finalized (2)
//     … when it fails       draft                       draft                invoice.finalization_failed
//   delete_draft            draft                       deleted              invoice.deleted
//   void                    open, uncollectible         void                 invoice.voided | proforma.voided
//   mark_uncollectible (3)  open                        uncollectible        invoice.marked_uncollectible
//   duplicate               open, paid, void,           unchanged            the copy's *.created (1),
//                           uncollectible, converted                         then invoice.duplicated
//   update_due_date         draft, open, uncollectible  unchanged            invoice.due_date_updated
//   adjust (3)              open                        open, settles        invoice.adjusted
//   record_payment          open                        open, paid,          invoice.payment_succeeded,
//                                                       converted            [invoice.paid_with_fallback_method],
//       partial:  invoice.partially_paid, [invoice.payment_status_updated when it changed]
//       full:     invoice.payment_status_updated, invoice.paid (1), [invoice.overpaid]
//       proforma, full: invoice.payment_status_updated; on the new tax invoice invoice.created (1),
//                 invoice.finalized, invoice.paid (1), [invoice.overpaid]; then proforma.converted
//   pay_from_uncollectible (3)  uncollectible           uncollectible, paid  as record_payment
//
// (1) proforma.created for proformas; partner_invoice.created / partner_invoice.paid for audience=partner.
// (2) A proforma has no number and the catalog has no proforma.finalized (invoice.finalized requires a
//     number): finalizing one emits invoice.updated; creating one issued emits proforma.created alone.
// (3) Invoices only; a proforma refuses it with invalid_transition.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "billing/invoice.hpp"
#include "core/result.hpp"

namespace billhook::billing {

// --- commands --------------------------------------------------------------------------------------

// P1 / P1' / P1p. `document` holds what the caller chose: id, kind, audience, customer, currency,
// lines, discount, collection and due-date settings, description, metadata, subscription, period,
// duplicated_from / converted_from. Its state and ledger fields are ignored and start afresh.
struct Create {
  Invoice document;
  bool issued = false;  // finalize in the same step (P1'); a kind=invoice document then needs `number`
  std::string number;
};

// P3: edit a draft. Each field that is set replaces the draft's.
struct UpdateDraft {
  std::optional<std::vector<LineItem>> lines;
  std::optional<int64_t> discount_bps;
  std::optional<std::optional<std::string>> description;
  std::optional<Metadata> metadata;
  std::optional<CollectionMethod> collection_method;
  std::optional<std::optional<int64_t>> days_until_due;
  std::optional<std::optional<std::string>> payment_method_id;
};

// P2: recompute a draft from fresh lines (usage, prices, taxes, FX).
struct RefreshDraft {
  std::vector<LineItem> lines;
};

// P4: lock the lines and issue. `number` is the next legal number, minted by the caller; it must be
// empty for a proforma (proformas have none). Finalization fails (P4f: the draft stays a draft, gains
// last_finalization_error and emits invoice.finalization_failed) when the draft has no lines, its total
// is negative (that is a credit note), a proforma asks for nothing, or a send_invoice document has
// neither due_date nor days_until_due. A zero total is allowed: it finalizes and settles at once.
struct Finalize {
  std::string number;
};

struct DeleteDraft {};                  // P5
struct Void {};                         // P6; guards: no net payments, no outstanding credit notes
struct MarkUncollectible {};            // P7
struct Duplicate {                      // P9; the copy is a new draft with duplicated_from set
  std::string new_id;
};
struct UpdateDueDate {                  // B4
  int64_t due_date = 0;
};
struct Adjust {                         // C1: adjustment lines appended to an open invoice
  std::vector<LineItem> lines;
};

// Money received against the invoice (A10).
struct PaymentReceived {
  std::string payment_id;
  int64_t amount = 0;    // minor units, > 0
  std::string currency;  // must be the invoice's
  std::optional<std::string> payment_method_id;
  std::string payment_method_type;  // "card", …
  bool fallback = false;            // paid with a stored method other than the default (A11)
  PaidVia paid_via = PaidVia::processor;
  std::optional<Card> card;         // the card charged, when it was one
};

struct RecordPayment {
  PaymentReceived payment;
  // When this payment settles a proforma (P8p), the tax invoice it converts into: its id and legal
  // number, minted by the caller. Ignored otherwise.
  std::string converted_invoice_id;
  std::string converted_invoice_number;
};

// P8 from UNCOLLECTIBLE: money for an invoice that was written off.
struct PayFromUncollectible {
  PaymentReceived payment;
};

using Command = std::variant<UpdateDraft, RefreshDraft, Finalize, DeleteDraft, Void, MarkUncollectible,
                             Duplicate, UpdateDueDate, Adjust, RecordPayment, PayFromUncollectible>;

// One value per command, in the order of Command's alternatives, plus creation.
enum class CommandKind {
  update_draft, refresh_draft, finalize, delete_draft, void_, mark_uncollectible, duplicate,
  update_due_date, adjust, record_payment, pay_from_uncollectible, create
};
inline constexpr int kCommandKindCount = 12;

CommandKind kind_of(const Command& command);
std::string_view to_string(CommandKind kind);  // "void", "record_payment", …

// --- the table -------------------------------------------------------------------------------------

class StatusSet {
 public:
  constexpr StatusSet() = default;
  constexpr StatusSet(std::initializer_list<InvoiceStatus> statuses) {
    for (InvoiceStatus s : statuses) bits_ |= bit(s);
  }
  constexpr bool contains(InvoiceStatus s) const { return (bits_ & bit(s)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  bool operator==(const StatusSet&) const = default;

 private:
  static constexpr unsigned bit(InvoiceStatus s) { return 1u << static_cast<unsigned>(s); }
  unsigned bits_ = 0;
};

struct TransitionRule {
  CommandKind command;
  StatusSet from;             // where the command is accepted; empty for create (from nothing)
  StatusSet to;               // every status the command can leave the source document in
  bool proforma_allowed;      // false: kind=proforma documents refuse it
  std::string_view phrase;    // for messages: "void {}" → "cannot void an invoice that is paid"
};

// One rule per CommandKind, in CommandKind order.
std::span<const TransitionRule> transition_table();
const TransitionRule& rule_for(CommandKind command);

// True when the table lets `command` run on a document of `kind` in `status`.
bool allows(InvoiceStatus status, InvoiceKind kind, CommandKind command);

// --- results ---------------------------------------------------------------------------------------

// One event to append to the outbox.
struct InvoiceEvent {
  std::string type;                         // canonical catalog name, e.g. "invoice.paid"
  std::string invoice_id;                   // the document it is about (its ordering key)
  boost::json::object object;               // data.object: the document as of this event
  boost::json::object previous_attributes;  // data.previous_attributes: changed fields, old values
};

// previous_attributes holds, for each top-level field of to_json() that the event's step changed, its
// value before (see billing/previous_attributes.hpp: null for an added field, the old value of a
// removed one). A command runs in one or two steps (the second is settling,
// or for duplicate and proforma conversion the other document's), and every event of a step shares
// that step's object and previous_attributes. Creation events have {}.
struct Transition {
  Invoice invoice;                 // the document after the command
  std::optional<Invoice> spawned;  // a second document the command created (duplicate, conversion)
  std::vector<InvoiceEvent> events;  // in emission order; may name either document
  int64_t overpayment = 0;         // money paid beyond amount_due by this command: customer credit
  // Set when the command was refused in a way that is itself recorded (P4f): persist `invoice` and
  // `events`, then answer with this error.
  std::optional<core::Error> refusal;
};

// P1/P1'/P1p: a new document.
core::Result<Transition> create(const Create& command, int64_t now);

// Every other transition, on an existing document.
core::Result<Transition> apply(const Invoice& before, const Command& command, int64_t now);

}  // namespace billhook::billing
