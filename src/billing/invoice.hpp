#pragma once

// The billing documents as plain data: invoices (and proformas, and partner invoices), their lines,
// customers and payment methods; how an invoice's amounts follow from its lines; and the JSON each one
// is shown as in the API and in webhooks (valid against the catalog's $defs). Nothing here stores,
// sends or decides a state change: invoice_machine.hpp does that.
//
// Money is int64 minor units of the document's currency (core/money.hpp); times are unix seconds.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"

namespace billhook::billing {

using Metadata = std::map<std::string, std::string>;

// The primary status of CATALOG.md §1.2. Spelled as in JSON except void_ ("void").
enum class InvoiceStatus { draft, open, paid, void_, uncollectible, deleted, converted };
inline constexpr int kInvoiceStatusCount = 7;

enum class InvoiceKind { invoice, proforma };
enum class Audience { customer, partner };  // partner: the platform bills a partner or merchant
enum class CollectionMethod { charge_automatically, send_invoice };
enum class BillingReason {
  subscription_create, subscription_cycle, subscription_update, manual, one_off, proration, threshold,
  credit_purchase, trial_end
};
// Derived from collection (Region A). This layer sets pending, partially_paid and succeeded.
enum class PaymentStatus {
  pending, processing, succeeded, failed, partially_paid, requires_action, refunded, partially_refunded
};
// Where the money that settled an invoice came from (Ezypay's transactionSource).
enum class PaidVia { processor, external, wallet, credit };
enum class PaymentAttemptStatus { pending, processing, requires_action, succeeded, failed, canceled };

std::string_view to_string(InvoiceStatus status);
std::string_view to_string(InvoiceKind kind);
std::string_view to_string(Audience audience);
std::string_view to_string(CollectionMethod method);
std::string_view to_string(BillingReason reason);
std::string_view to_string(PaymentStatus status);
std::string_view to_string(PaidVia via);
std::string_view to_string(PaymentAttemptStatus status);

// The inverse of to_string, for request parsing; nullopt for anything else.
std::optional<InvoiceKind> parse_invoice_kind(std::string_view text);
std::optional<Audience> parse_audience(std::string_view text);
std::optional<CollectionMethod> parse_collection_method(std::string_view text);
std::optional<BillingReason> parse_billing_reason(std::string_view text);

struct LineItem {
  std::string id;  // optional; shown when not empty
  std::string description;
  int64_t quantity_milli = 1000;  // quantity × 1000, so 1.5 hours is 1500; never negative
  int64_t unit_amount = 0;        // minor units, may be negative (a credit line)
  std::optional<int64_t> period_start;
  std::optional<int64_t> period_end;
  int64_t tax_rate_bps = 0;  // 0–10000; 0 means untaxed
  bool tax_inclusive = false;  // true: unit_amount already contains the tax

  // Set by compute_totals.
  int64_t amount = 0;           // round(quantity × unit_amount), before discount and tax
  int64_t discount_amount = 0;  // this line's share of the invoice discount
  int64_t tax_amount = 0;       // tax on (amount − discount_amount), added or contained

  bool operator==(const LineItem&) const = default;
};

// The catalog's error_detail: why the last finalization failed.
struct ErrorDetail {
  std::string code;
  std::string message;
  std::string param;  // empty when no single field is at fault
  bool operator==(const ErrorDetail&) const = default;
};

// The latest payment attempt against an invoice: what a payment event is about (`payment` in JSON).
struct PaymentRecord {
  std::string id;
  int64_t amount = 0;
  std::string currency;
  PaymentAttemptStatus status = PaymentAttemptStatus::succeeded;
  std::optional<std::string> payment_method_id;
  std::string payment_method_type;  // "card", "sepa_debit", …; empty when unknown
  bool fallback = false;            // a stored method other than the default was used
  bool captured = true;
  int attempt = 1;                  // 1 for the first attempt on this invoice
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
  std::optional<std::string> next_action;
  int64_t created = 0;
  std::optional<int64_t> paid_at;
  bool operator==(const PaymentRecord&) const = default;
};

struct Invoice {
  std::string id;
  std::optional<std::string> number;  // legal number, assigned on finalization; never on proformas
  InvoiceKind kind = InvoiceKind::invoice;
  Audience audience = Audience::customer;
  InvoiceStatus status = InvoiceStatus::draft;
  std::string customer_id;
  std::string currency;  // ISO 4217, upper case
  std::vector<LineItem> lines;
  int64_t discount_bps = 0;  // a percentage discount on the subtotal, 0–10000

  // Derived by compute_totals from the lines and the ledger below.
  int64_t subtotal = 0;          // Σ line amounts (tax-inclusive lines count gross)
  int64_t discount_amount = 0;   // round(subtotal × discount), 0 unless subtotal > 0
  int64_t tax = 0;               // all tax: added (exclusive) plus contained (inclusive)
  int64_t tax_included = 0;      // the part of `tax` already inside the line amounts
  int64_t total = 0;             // subtotal − discount_amount + (tax − tax_included)
  int64_t amount_due = 0;        // max(0, total − amount_credited)
  int64_t amount_remaining = 0;  // max(0, amount_due − amount_paid)
  int64_t amount_overpaid = 0;   // max(0, amount_paid − amount_due): goes to the customer's balance

  // The ledger: money that moved against the invoice.
  int64_t amount_paid = 0;
  int64_t amount_credited = 0;  // credit applied before payment (credit notes, balance, wallet)
  int64_t amount_refunded = 0;
  int credit_notes_outstanding = 0;  // credit notes not voided; kept by the credit-note layer

  PaymentStatus payment_status = PaymentStatus::pending;
  std::optional<PaidVia> paid_via;
  CollectionMethod collection_method = CollectionMethod::charge_automatically;
  BillingReason billing_reason = BillingReason::manual;
  std::optional<std::string> subscription_id;
  int attempt_count = 0;
  std::optional<int64_t> next_payment_attempt;
  std::optional<std::string> payment_method_id;
  std::optional<int64_t> due_date;
  std::optional<int64_t> previous_due_date;  // the due date before the last change
  std::optional<int64_t> days_until_due;     // send_invoice: due_date = finalized_at + days
  std::optional<int64_t> period_start;
  std::optional<int64_t> period_end;
  std::optional<std::string> description;
  Metadata metadata;
  int64_t created = 0;
  std::optional<int64_t> finalized_at;
  std::optional<int64_t> paid_at;
  std::optional<int64_t> voided_at;
  // A chargeback on one of its payments was lost (D5): that money is gone and reminders stop.
  std::optional<int64_t> dispute_lost_at;
  int pdf_version = 0;
  std::optional<std::string> duplicated_from;
  std::optional<std::string> duplicated_to;   // the latest copy made of this document
  std::optional<std::string> converted_from;  // on an invoice made from a proforma
  std::optional<std::string> converted_to;    // on a converted proforma
  std::optional<ErrorDetail> last_finalization_error;
  std::optional<PaymentRecord> payment;

  bool operator==(const Invoice&) const = default;
};

// The limits check_invoice enforces.
inline constexpr int64_t kMaxBasisPoints = 10'000;        // 100 %
inline constexpr int64_t kMaxDaysUntilDue = 3'650;        // ten years
inline constexpr size_t kMaxMetadataValueLength = 500;    // catalog $defs/metadata
inline constexpr size_t kMaxLines = 1'000;

// Checks what a caller supplies on a document, naming the field at fault (dotted: "lines.2.quantity",
// "metadata.order"): id and customer present, currency an active ISO 4217 code, quantities not
// negative, rates within 0–100 %, periods in order, ids not empty where given, metadata values at most
// 500 characters, days_until_due within 0–3650. Errors are invalid_request.
core::Status check_invoice(const Invoice& invoice);

// Recomputes every derived amount of `invoice` and its lines:
//   1. each line: amount = round(quantity × unit_amount), half-up, once;
//   2. subtotal = Σ amounts; discount_amount = round(subtotal × discount_bps), when subtotal > 0;
//   3. the discount is spread over the lines in proportion to their amounts (largest remainder, so the
//      shares add up exactly) because tax is due on the discounted price;
//   4. each line's tax on (amount − its share): exclusive tax is added, inclusive tax is extracted;
//   5. total = subtotal − discount_amount + exclusive tax; then amount_due, amount_remaining and
//      amount_overpaid from the ledger.
// Errors (invalid_request, naming the field): a negative quantity, a rate outside 0–100 %, and any sum
// that overflows an int64 ("amount_out_of_range"). `invoice` is unchanged on error.
core::Status compute_totals(Invoice& invoice);

// The API and webhook representation ($defs/invoice). Every field is present (null when unset) except
// the event-context ones that the schema does not allow to be null: period_start/period_end,
// last_finalization_error and payment appear only when set. Extra fields beyond the schema:
// discount_percentage, tax_included, and per line quantity_decimal, discount_amount and tax_amount.
//
// A line's `quantity` must be an integer in the catalog; a fractional quantity (quantity_milli not a
// multiple of 1000) is shown rounded half-up there, with the exact value in `quantity_decimal` ("1.5").
boost::json::object to_json(const Invoice& invoice);
boost::json::object to_json(const LineItem& line);
boost::json::object to_json(const PaymentRecord& payment);

struct Address {
  std::optional<std::string> line1;
  std::optional<std::string> line2;
  std::optional<std::string> city;
  std::optional<std::string> state;
  std::optional<std::string> postal_code;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2
  bool operator==(const Address&) const = default;
};

struct Customer {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> locale;    // BCP 47, e.g. "en-GB"
  std::optional<std::string> currency;  // the currency its balance is kept in
  int64_t balance = 0;                  // minor units; negative is credit owed to the customer
  Address address;                      // shown as null when every field is unset
  std::optional<std::string> tax_id;
  Metadata metadata;
  int64_t created = 0;
  bool operator==(const Customer&) const = default;
};

// $defs/customer.
boost::json::object to_json(const Customer& customer);

struct Card {
  std::string brand;  // "visa", "mastercard", …
  std::string last4;
  int exp_month = 1;
  int exp_year = 2000;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2 of the issuer
  bool operator==(const Card&) const = default;
};

struct PaymentMethod {
  std::string id;
  std::string customer_id;
  std::string type = "card";  // card, sepa_debit, payto, bank_account, …
  std::optional<Card> card;
  bool valid = true;
  std::optional<std::string> invalid_reason;  // expired, mandate_revoked, …; when not valid
  bool is_default = false;
  std::optional<int> fallback_order;  // position among the customer's fallback methods
  std::optional<std::string> replaces;
  int64_t created = 0;
  bool operator==(const PaymentMethod&) const = default;
};

// $defs/payment_method.
boost::json::object to_json(const PaymentMethod& method);

}  // namespace billhook::billing
