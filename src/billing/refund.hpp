#pragma once

// Money going back after payment (CATALOG.md §1.5 Region D): refunds of an invoice's payments and
// chargebacks (disputes) against one of them, as plain documents with their API JSON ($defs/
// invoice_refund, $defs/invoice_dispute), plus the pure rule that spreads a refund over payments.
// The stored form is the API form (decode_* reads back what to_json wrote).
//
// A refund's life (D1–D4):  pending (requested) ─processor accepts─▶ processing (refunded: counted in
// the invoice's amount_refunded) ─confirmation─▶ succeeded;  pending ─any part declined─▶ failed.
// A dispute's life (D5):    needs_response ─▶ won | lost.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"

namespace billhook::billing {

enum class RefundStatus { pending, processing, succeeded, failed };
std::string_view to_string(RefundStatus status);

// The part of a refund that goes back through one payment.
struct RefundAllocation {
  std::string payment_id;
  int64_t amount = 0;
  std::string processor_reference;  // set once the processor accepted this part
  bool operator==(const RefundAllocation&) const = default;
};

struct Refund {
  std::string id;
  std::string invoice_id;
  std::string customer_id;
  std::string currency;
  int64_t amount = 0;
  RefundStatus status = RefundStatus::pending;
  std::optional<std::string> reason;
  std::optional<std::string> credit_note_id;  // the credit note whose refund_amount this is
  std::vector<RefundAllocation> allocations;  // oldest payment first
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
  int64_t created = 0;
  std::optional<int64_t> refunded_at;   // the processor accepted it
  std::optional<int64_t> confirmed_at;  // the processor confirmed it
  // While processing: when the processor will count it confirmed without calling back (the sandbox);
  // the billing scheduler confirms it then.
  std::optional<int64_t> confirms_at;
  bool operator==(const Refund&) const = default;
};

// True while the refund's money counts as refunded (accepted or confirmed).
inline bool counts_as_refunded(const Refund& r) {
  return r.status == RefundStatus::processing || r.status == RefundStatus::succeeded;
}

boost::json::object to_json(const Refund& refund);
core::Result<Refund> decode_refund(std::string_view body);

enum class DisputeStatus { needs_response, under_review, won, lost };
std::string_view to_string(DisputeStatus status);
std::optional<DisputeStatus> parse_dispute_status(std::string_view text);

struct Dispute {
  std::string id;
  std::string invoice_id;
  std::string customer_id;
  std::string payment_id;
  std::string currency;
  int64_t amount = 0;
  DisputeStatus status = DisputeStatus::needs_response;
  std::optional<std::string> reason;  // fraudulent, product_not_received, duplicate, …
  std::optional<int64_t> evidence_due_by;
  int64_t created = 0;
  std::optional<int64_t> closed_at;
  bool operator==(const Dispute&) const = default;
};

// True while the disputed money is not the merchant's to refund (open, or lost for good).
inline bool holds_money(const Dispute& d) { return d.status != DisputeStatus::won; }

boost::json::object to_json(const Dispute& dispute);
core::Result<Dispute> decode_dispute(std::string_view body);

// What one payment can still give back: its amount less what earlier refunds took from it and what
// open or lost disputes hold.
struct RefundablePayment {
  std::string payment_id;
  int64_t refundable = 0;
};

// Spreads `amount` over `payments` pro rata to what each can still give back, in minor units: each
// share is rounded down, and the units left over go to the largest remainders (earlier payments
// first on ties), so the shares add up to `amount` exactly and none exceeds its payment's
// refundable. Payments with nothing refundable get no share. invalid_request when `amount` is not
// positive; conflict ("refund_exceeds_paid") when it is more than they can give back together.
core::Result<std::vector<RefundAllocation>> allocate_refund(const std::vector<RefundablePayment>& payments,
                                                            int64_t amount, std::string_view currency);

}  // namespace billhook::billing
