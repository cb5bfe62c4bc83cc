#pragma once

// Money going back after payment (CATALOG.md §1.5 Region D): refunds of an invoice's payments and
// chargebacks (disputes) against one of them, as plain documents with their API JSON ($defs/
// invoice_refund, $defs/invoice_dispute), plus the pure rule that spreads a refund over payments.
// Both are registered documents (billing/registry): the stored form is the API form without `object`.
//
// A refund's life (D1–D4):  pending (requested) ─processor accepts─▶ processing (refunded: counted in
// the invoice's amount_refunded) ─confirmation─▶ succeeded;  pending ─any part declined─▶ failed.
// A dispute's life (D5):    needs_response ─▶ won | lost.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe.hpp>

#include "billing/registry/document_kind.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class RefundStatus { pending, processing, succeeded, failed };
BOOST_DESCRIBE_ENUM(RefundStatus, pending, processing, succeeded, failed)

// The part of a refund that goes back through one payment. Its JSON leaves processor_reference out
// until the processor accepted the part (not null): that is the API's and the stored form.
struct RefundAllocation {
  static constexpr bool described_omit_null = true;
  std::string payment;  // the payment's id
  int64_t amount = 0;
  std::optional<std::string> processor_reference;  // set once the processor accepted this part
  bool operator==(const RefundAllocation&) const = default;
};
BOOST_DESCRIBE_STRUCT(RefundAllocation, (), (payment, amount, processor_reference))

// A refund, as stored and as the API and its events show it ($defs/invoice_refund; `object` is added
// after `id`).
struct Refund {
  std::string id;
  int64_t amount = 0;
  std::string currency;
  RefundStatus status = RefundStatus::pending;
  std::optional<std::string> reason;
  // The one payment the refund went back through; null when it was spread over several (with_payment).
  std::optional<std::string> payment;
  std::string invoice;
  std::string customer;
  std::optional<std::string> credit_note;  // the credit note whose refund_amount this is
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
BOOST_DESCRIBE_STRUCT(Refund, (),
                      (id, amount, currency, status, reason, payment, invoice, customer, credit_note, allocations,
                       failure_code, failure_message, created, refunded_at, confirmed_at, confirms_at))

// True while the refund's money counts as refunded (accepted or confirmed).
inline bool counts_as_refunded(const Refund& r) {
  return r.status == RefundStatus::processing || r.status == RefundStatus::succeeded;
}

// Sets `payment` from the allocations: the payment when there is exactly one.
void set_payment(Refund& refund);

enum class DisputeStatus { needs_response, under_review, won, lost };
BOOST_DESCRIBE_ENUM(DisputeStatus, needs_response, under_review, won, lost)

// A dispute, as stored and as the API and its events show it ($defs/invoice_dispute).
struct Dispute {
  std::string id;
  int64_t amount = 0;
  std::string currency;
  DisputeStatus status = DisputeStatus::needs_response;
  std::optional<std::string> reason;  // fraudulent, product_not_received, duplicate, …
  std::string payment;                // the disputed payment's id
  std::string invoice;
  std::string customer;
  std::optional<int64_t> evidence_due_by;
  int64_t created = 0;
  std::optional<int64_t> closed_at;
  bool operator==(const Dispute&) const = default;
};
BOOST_DESCRIBE_STRUCT(Dispute, (),
                      (id, amount, currency, status, reason, payment, invoice, customer, evidence_due_by, created,
                       closed_at))

// True while the disputed money is not the merchant's to refund (open, or lost for good).
inline bool holds_money(const Dispute& d) { return d.status != DisputeStatus::won; }

// Registered documents (billing/registry), parented to their invoice. A processing refund wakes at
// its confirms_at (the sandbox's own confirmation; the billing scheduler confirms it).
extern const DocumentKind<Refund> kRefunds;
extern const DocumentKind<Dispute> kDisputes;

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
