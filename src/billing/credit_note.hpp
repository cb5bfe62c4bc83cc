#pragma once

// Credit notes (CATALOG.md §1.6) and the customer's credit-balance ledger, as registered documents
// (billing/registry) whose described structs are their stored and API JSON ($defs/credit_note; a
// balance transaction is shown as object "customer_balance_transaction"), plus the pure rule that
// splits a credit note's amount.
//
// A credit note is issued against an open, uncollectible or paid invoice. Its total splits as in
// Stripe (https://docs.stripe.com/api/credit_notes/create):
//   pre_payment_amount  = min(total, what the invoice still asks for) — lowers amount_remaining
//                         (invoice.credited; the invoice is paid when nothing remains);
//   the rest (post-payment) = refund_amount + credit_amount + out_of_band_amount, each ≥ 0: money
//                         already paid that goes back by refund, onto the customer's credit balance,
//                         or outside billhook.
//
// Its small machine: status draft ─issue▶ issued ─void▶ voided (a draft may also be voided). A draft
// moves no money and is announced to no one; its amounts are a preview, decided again when it is
// issued. Beside the status, credit_status follows the credit_amount on the balance (available ─drawn
// by invoices▶ consumed; voided), and refund_status follows the refund_amount (pending ─▶ succeeded |
// failed). A note that only credits before payment is `consumed` at once.
//
// Money that goes back is always a credit note, as Lago and Ezypay model it: a refund asked for
// directly (POST /v1/invoices/{id}/refunds) is issued as a note whose whole total is its refund part
// (`refund`, the same refund: never a second one), and a lost dispute as a note whose refund part the
// card network paid (`dispute`, refund_status succeeded). Such notes carry no credit on the invoice,
// so they do not count in its credit_notes_outstanding (they never stop a void) and cannot be voided.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/describe.hpp>

#include "billing/invoice.hpp"
#include "billing/registry/document_kind.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class CreditNoteStatus { draft, issued, voided };
BOOST_DESCRIBE_ENUM(CreditNoteStatus, draft, issued, voided)
enum class CreditStatus { available, consumed, voided };
BOOST_DESCRIBE_ENUM(CreditStatus, available, consumed, voided)
enum class CreditRefundStatus { pending, succeeded, failed };
BOOST_DESCRIBE_ENUM(CreditRefundStatus, pending, succeeded, failed)
enum class CreditNoteReason {
  duplicated_charge, product_unsatisfactory, order_change, order_cancellation, fraudulent_charge, other
};
BOOST_DESCRIBE_ENUM(CreditNoteReason, duplicated_charge, product_unsatisfactory, order_change, order_cancellation,
                    fraudulent_charge, other)

// Why a credit note's refund failed (the refund's failure).
struct CreditNoteRefundError {
  std::string code;
  std::string message;
  std::optional<std::string> param;
  bool operator==(const CreditNoteRefundError&) const = default;
};
BOOST_DESCRIBE_STRUCT(CreditNoteRefundError, (), (code, message, param))

// A credit note, as stored and as the API and its events show it ($defs/credit_note; `object` is
// added after `id`).
struct CreditNote {
  std::string id;
  std::string number;  // the invoice's number and a per-invoice sequence: INV-2026-000042-CN-01
  std::string invoice;
  std::string customer;
  std::string currency;
  CreditNoteStatus status = CreditNoteStatus::issued;
  std::optional<CreditStatus> credit_status;
  std::optional<CreditRefundStatus> refund_status;
  CreditNoteReason reason = CreditNoteReason::other;
  std::optional<std::string> memo;
  int64_t total = 0;
  int64_t pre_payment_amount = 0;
  int64_t credit_amount = 0;
  int64_t refund_amount = 0;
  int64_t out_of_band_amount = 0;
  int64_t credit_remaining = 0;  // the part of credit_amount invoices have not drawn yet
  bool explicit_split = false;   // the caller gave refund/credit/out-of-band parts (kept for a draft's issue)
  std::optional<std::string> refund;  // the refund's id
  // The lost dispute this note records: the card network gave the money back (refund_amount), no refund.
  std::optional<std::string> dispute;
  // True for a note made by a refund or a lost dispute (not shown): it is outside the invoice's
  // credit_notes_outstanding and cannot be voided. Optional so that notes stored before it read back.
  std::optional<bool> records_return;
  std::optional<CreditNoteRefundError> refund_error;
  int64_t pdf_version = 0;             // the latest rendered PDF's version (0: none yet)
  std::optional<std::string> pdf_url;  // where it is served (billing/pdf_service.hpp)
  Metadata metadata;
  int64_t created = 0;
  std::optional<int64_t> refunded_at;
  std::optional<int64_t> voided_at;
  bool operator==(const CreditNote&) const = default;
};
BOOST_DESCRIBE_STRUCT(CreditNote, (),
                      (id, number, invoice, customer, currency, status, credit_status, refund_status, reason, memo,
                       total, pre_payment_amount, credit_amount, refund_amount, out_of_band_amount, credit_remaining,
                       explicit_split, refund, dispute, records_return, refund_error, pdf_version, pdf_url, metadata, created, refunded_at,
                       voided_at))

// What the caller asked of a credit note's amount.
struct CreditSplitRequest {
  int64_t total = 0;
  std::optional<int64_t> refund_amount;
  std::optional<int64_t> credit_amount;
  std::optional<int64_t> out_of_band_amount;
};

struct CreditSplit {
  int64_t pre_payment = 0;
  int64_t refund = 0;
  int64_t credit = 0;
  int64_t out_of_band = 0;
};

// Splits `request` against an invoice that still asks for `remaining` (0 once paid) and can give back
// at most `returnable` of what was paid. With none of refund/credit/out_of_band given, the
// post-payment part goes to the customer's credit balance. Errors: a non-positive total or a negative
// part (invalid_request, naming it); parts that do not add up to the post-payment part
// (invalid_request "credit_note_split_mismatch"); a post-payment part above `returnable` (conflict
// "credit_note_exceeds_invoice").
core::Result<CreditSplit> split_credit_note(const CreditSplitRequest& request, int64_t remaining, int64_t returnable,
                                            std::string_view currency);

// One movement of a customer's credit balance. Signs follow Customer::balance (as Stripe's customer
// balance): a negative amount is credit given to the customer, a positive one credit used up or taken
// back; ending_balance is the balance after it.
enum class BalanceEntryType { overpayment, credit_note, applied_to_invoice, credit_note_voided };
BOOST_DESCRIBE_ENUM(BalanceEntryType, overpayment, credit_note, applied_to_invoice, credit_note_voided)

// As stored and as the API shows it (object "customer_balance_transaction", after `id`).
struct BalanceTransaction {
  std::string id;
  std::string customer;
  BalanceEntryType type = BalanceEntryType::overpayment;
  int64_t amount = 0;
  std::string currency;
  int64_t ending_balance = 0;
  std::optional<std::string> invoice;
  std::optional<std::string> credit_note;
  int64_t created = 0;
  bool operator==(const BalanceTransaction&) const = default;
};
BOOST_DESCRIBE_STRUCT(BalanceTransaction, (),
                      (id, customer, type, amount, currency, ending_balance, invoice, credit_note, created))

// Registered documents (billing/registry). A credit note is parented to its invoice; a balance
// transaction to the invoice it concerns, if any, and is looked up by customer (its ledger).
extern const DocumentKind<CreditNote> kCreditNotes;
extern const DocumentKind<BalanceTransaction> kBalanceTransactions;

}  // namespace billhook::billing
