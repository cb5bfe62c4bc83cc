#pragma once

// The money that moves after an invoice is issued (CATALOG.md §1.5 C2 and Region D, §1.6): refunds,
// disputes, credit notes and the customer's credit balance. Like BillingService, each command runs
// inside the caller's write transaction: it loads what it needs, decides, saves the documents (kinds
// "refund", "dispute", "credit_note", "balance_transaction" in the store's documents table, each
// parented to its invoice) and appends its events through the outbox in that same transaction. An
// error return means "roll the job back": nothing of it is kept.
//
// Events, per invoice in this order:
//   refund             credit_note.created (a note whose refund part it is), invoice.refund_requested, then invoice.refunded (processor accepted: the invoice's
//                      amount_refunded grows) or invoice.refund_failed (any part declined: nothing moves;
//                      failure_code "prorata_allocation_failed" when the refund was spread over several
//                      payments), then credit_note.paid or credit_note.refund_failed; later
//                      invoice.refund_confirmed.
//   dispute            invoice.dispute_opened; later invoice.dispute_won or invoice.dispute_lost (sets
//                      dispute_lost_at; the invoice leaves the reminder schedule), then for a lost one
//                      credit_note.created and credit_note.paid (the network gave the money back).
//   credit note        credit_note.created; on the invoice invoice.credited for its pre-payment part
//                      (then invoice.payment_status_updated, invoice.paid when nothing remains), its
//                      refund_amount as a refund above, then credit_note.paid or credit_note.refund_failed;
//                      its credit_amount goes onto the customer's balance (customer.updated).
//   void credit note   invoice.updated when its pre-payment credit is taken back; credit_note.voided.
//   draft credit note  nothing until it is issued, then as a credit note above.
//   apply balance      customer.updated, invoice.credited (with balance_transaction), invoice.paid when
//                      nothing remains.
//
// What an invoice can still give back ("returnable") is what was paid less what was refunded, what
// went onto the customer's balance (overpayment, credit notes' credit_amount), credit notes'
// out_of_band_amount and what open or lost disputes hold.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/billing_service.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/credit_note.hpp"
#include "billing/refund.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct RefundCreate {
  std::optional<int64_t> amount;  // everything returnable when absent
  std::optional<std::string> reason;
};

struct DisputeOpen {
  std::optional<std::string> payment_id;  // the latest payment with money left when absent
  std::optional<int64_t> amount;          // all of that payment's disputable money when absent
  std::optional<std::string> reason;
};

struct CreditNoteCreate {
  std::string invoice_id;
  CreditSplitRequest split;
  CreditNoteReason reason = CreditNoteReason::other;
  std::optional<std::string> memo;
  Metadata metadata;
  bool draft = false;  // keep it as a draft: checked, numbered and stored, but nothing moves yet
};

// What an invoice's money became, for the API and for checks.
struct InvoiceMoney {
  int64_t returnable = 0;
  std::vector<RefundablePayment> payments;  // succeeded payments, oldest first, with what each can give back
  std::map<std::string, std::string> methods;  // payment id → the stored payment method it was charged to
};

class CreditService {
 public:
  explicit CreditService(BillingService& billing) : billing_(billing) {}

  core::Result<Refund> create_refund(store::WriteTx& tx, std::string_view invoice_id, const RefundCreate& request,
                                     const Origin& origin);
  // The processor's asynchronous confirmation of an accepted (processing) refund.
  core::Result<Refund> confirm_refund(store::WriteTx& tx, std::string_view refund_id, const Origin& origin);
  // What time does to one refund, its handler on the DocumentClock (called once its wake_at came): a
  // processing refund whose confirms_at has passed is confirmed. Nothing more is due at once after it.
  core::Result<bool> on_refund_wake(store::WriteTx& tx, const Wake& wake);

  core::Result<Dispute> open_dispute(store::WriteTx& tx, std::string_view invoice_id, const DisputeOpen& request,
                                     const Origin& origin);
  // `outcome` is won or lost.
  core::Result<Dispute> close_dispute(store::WriteTx& tx, std::string_view dispute_id, DisputeStatus outcome,
                                      const Origin& origin);

  core::Result<CreditNote> create_credit_note(store::WriteTx& tx, const CreditNoteCreate& request,
                                              const Origin& origin);
  // Issues a draft: its split is decided again against the invoice as it is now.
  core::Result<CreditNote> issue_credit_note(store::WriteTx& tx, std::string_view id, const Origin& origin);
  // An issued note gives its credit back; a draft is simply voided (it moved nothing and was never
  // announced, so no event).
  core::Result<CreditNote> void_credit_note(store::WriteTx& tx, std::string_view id, const Origin& origin);

  // Draws on the customer's credit balance to lower what the invoice still asks for. With
  // `only_if_any` (the finalization hook) an invoice with nothing to draw is left alone; otherwise
  // that is a conflict saying why. The finalization hook first draws on the customer's active wallets
  // in the invoice's currency (wallet_ledger.hpp): prepaid credits before the balance and any card; an
  // invoice they cover is paid (paid_via wallet) with no charge.
  core::Result<Invoice> apply_balance(store::WriteTx& tx, std::string_view invoice_id, bool only_if_any,
                                      const Origin& origin);

  core::Result<InvoiceMoney> money_of(store::WriteTx& tx, const Invoice& invoice);

 private:
  // Runs a refund of `amount` on `invoice` (updated in place and saved), recording its events.
  core::Result<Refund> run_refund(store::WriteTx& tx, Invoice& invoice, const InvoiceMoney& money, int64_t amount,
                                  std::optional<std::string> reason, std::optional<std::string> credit_note_id,
                                  const Origin& origin);
  // The note a refund asked for directly, or a lost dispute, is issued as: its whole `amount` is its
  // refund part (issued, refund pending, records_return), numbered after the invoice's other notes.
  core::Result<CreditNote> money_returned_note(store::WriteTx& tx, const Invoice& invoice, int64_t amount,
                                               const std::optional<std::string>& reason);
  // Runs `note`'s refund part as a refund on `invoice` and records the outcome on the note (not saved):
  // credit_note.paid when the processor accepted it, credit_note.refund_failed when it declined.
  core::Result<Refund> refund_note(store::WriteTx& tx, Invoice& invoice, const InvoiceMoney& money, CreditNote& note,
                                   const Origin& origin);
  struct Prepared;
  // The checks a credit note passes to be drafted or issued on its invoice, and its split.
  core::Result<Prepared> prepare(store::WriteTx& tx, const CreditNoteCreate& request);
  // Moves the money of `note` (issued now) and records its events.
  core::Result<CreditNote> issue(store::WriteTx& tx, Prepared prepared, CreditNote note, bool is_new,
                                 const Origin& origin);
  core::Status save(store::WriteTx& tx, const Refund& refund, bool is_new);
  core::Status save(store::WriteTx& tx, const Dispute& dispute, bool is_new);
  core::Status save(store::WriteTx& tx, const CreditNote& note, bool is_new);
  core::Status invoice_event(store::WriteTx& tx, const std::string& type, const Invoice& before,
                             const Invoice& after, const boost::json::object& extra, const Origin& origin);
  // invoice.payment_status_updated / invoice.paid when a credit left nothing to pay.
  core::Status settle_if_credited(store::WriteTx& tx, Invoice& invoice, const Origin& origin,
                                  PaidVia via = PaidVia::credit);
  // The wallets' part of the finalization hook: `invoice` credited with what they gave, saved.
  core::Status draw_wallets_into(store::WriteTx& tx, Invoice& invoice, const Origin& origin);

  BillingService& billing_;
};

}  // namespace billhook::billing
