#pragma once

// Credit notes (CATALOG.md §1.6) and the customer's credit-balance ledger, as plain documents with
// their API JSON ($defs/credit_note; a balance transaction is shown as object
// "customer_balance_transaction"), plus the pure rule that splits a credit note's amount.
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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/invoice.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class CreditNoteStatus { draft, issued, voided };
enum class CreditStatus { available, consumed, voided };
enum class CreditRefundStatus { pending, succeeded, failed };
enum class CreditNoteReason {
  duplicated_charge, product_unsatisfactory, order_change, order_cancellation, fraudulent_charge, other
};

std::string_view to_string(CreditNoteStatus status);
std::string_view to_string(CreditStatus status);
std::string_view to_string(CreditRefundStatus status);
std::string_view to_string(CreditNoteReason reason);
std::optional<CreditNoteReason> parse_credit_note_reason(std::string_view text);

struct CreditNote {
  std::string id;
  std::string number;  // the invoice's number and a per-invoice sequence: INV-2026-000042-CN-01
  std::string invoice_id;
  std::string customer_id;
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
  std::optional<std::string> refund_id;
  std::optional<ErrorDetail> refund_error;
  Metadata metadata;
  int64_t created = 0;
  std::optional<int64_t> refunded_at;
  std::optional<int64_t> voided_at;
  bool operator==(const CreditNote&) const = default;
};

boost::json::object to_json(const CreditNote& note);
core::Result<CreditNote> decode_credit_note(std::string_view body);

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
std::string_view to_string(BalanceEntryType type);

struct BalanceTransaction {
  std::string id;
  std::string customer_id;
  BalanceEntryType type = BalanceEntryType::overpayment;
  int64_t amount = 0;
  std::string currency;
  int64_t ending_balance = 0;
  std::optional<std::string> invoice_id;
  std::optional<std::string> credit_note_id;
  int64_t created = 0;
  bool operator==(const BalanceTransaction&) const = default;
};

boost::json::object to_json(const BalanceTransaction& entry);
core::Result<BalanceTransaction> decode_balance_transaction(std::string_view body);

}  // namespace billhook::billing
