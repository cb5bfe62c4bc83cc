#pragma once

// The billing documents as plain data: invoices (and proformas, and partner invoices), their lines,
// customers and payment methods; how an invoice's amounts follow from its lines; and the JSON each one
// is shown as in the API and in webhooks (valid against the catalog's $defs). Nothing here stores,
// sends or decides a state change: invoice_machine.hpp does that.
//
// Every struct and enum is described (Boost.Describe) next to its definition: that field list is the
// stored form (billing/codec.hpp via core/described), and each enum's names are its text everywhere.
// The stored form leaves empty optionals out (described_omit_null), as stored bodies always have.
//
// Money is int64 minor units of the document's currency (core/money.hpp); times are unix seconds.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>

#include "billing/charge_model.hpp"
#include "core/described.hpp"
#include "core/result.hpp"

namespace billhook::billing {

using Metadata = std::map<std::string, std::string>;

// The primary status of CATALOG.md §1.2. Spelled as in JSON; void_ is "void" (core/described drops
// the keyword underscore).
enum class InvoiceStatus { draft, open, paid, void_, uncollectible, deleted, converted };
BOOST_DESCRIBE_ENUM(InvoiceStatus, draft, open, paid, void_, uncollectible, deleted, converted)

enum class InvoiceKind { invoice, proforma };
BOOST_DESCRIBE_ENUM(InvoiceKind, invoice, proforma)
enum class Audience { customer, partner };  // partner: the platform bills a partner or merchant
BOOST_DESCRIBE_ENUM(Audience, customer, partner)
enum class CollectionMethod { charge_automatically, send_invoice };
BOOST_DESCRIBE_ENUM(CollectionMethod, charge_automatically, send_invoice)
enum class BillingReason {
  subscription_create, subscription_cycle, subscription_update, manual, one_off, proration, threshold,
  credit_purchase, trial_end
};
BOOST_DESCRIBE_ENUM(BillingReason, subscription_create, subscription_cycle, subscription_update, manual, one_off,
                    proration, threshold, credit_purchase, trial_end)
// Derived from collection (Region A). This layer sets pending, partially_paid and succeeded.
enum class PaymentStatus {
  pending, processing, succeeded, failed, partially_paid, requires_action, refunded, partially_refunded
};
BOOST_DESCRIBE_ENUM(PaymentStatus, pending, processing, succeeded, failed, partially_paid, requires_action, refunded,
                    partially_refunded)
// Where the money that settled an invoice came from (Ezypay's transactionSource).
enum class PaidVia { processor, external, wallet, credit };
BOOST_DESCRIBE_ENUM(PaidVia, processor, external, wallet, credit)
enum class PaymentAttemptStatus { pending, processing, requires_action, succeeded, failed, canceled };
BOOST_DESCRIBE_ENUM(PaymentAttemptStatus, pending, processing, requires_action, succeeded, failed, canceled)

// An enum's text (core::described::name_of), under the name its many call sites use. Reading text back
// is core::described::parse<E>.
template <class E>
  requires boost::describe::has_describe_enumerators<E>::value
std::string_view to_string(E value) {
  return core::described::name_of(value);
}

// A usage line's detail (DOMAINS.md §2, "Fees"): which metric, how it was priced, and over what.
struct UsageFee {
  std::string billable_metric;  // the metric's code
  ChargeModel charge_model = ChargeModel::standard;
  std::string units;            // the metric's value over the period, an exact decimal
  int64_t events_count = 0;
  std::string precise_amount;   // the fee before rounding, in major units
  bool operator==(const UsageFee&) const = default;
};
BOOST_DESCRIBE_STRUCT(UsageFee, (), (billable_metric, charge_model, units, events_count, precise_amount))

struct LineItem {
  static constexpr bool described_omit_null = true;
  std::string id;  // optional; shown when not empty
  std::string description;
  int64_t quantity_milli = 1000;  // quantity × 1000, so 1.5 hours is 1500; never negative
  int64_t unit_amount = 0;        // minor units, may be negative (a credit line)
  std::optional<int64_t> period_start;
  std::optional<int64_t> period_end;
  int64_t tax_rate_bps = 0;  // 0–10000; 0 means untaxed
  bool tax_inclusive = false;  // true: unit_amount already contains the tax
  std::optional<UsageFee> usage;  // a subscription's usage fee for the period

  // Set by compute_totals.
  int64_t amount = 0;           // round(quantity × unit_amount), before discount and tax
  int64_t discount_amount = 0;  // this line's share of the invoice discount
  int64_t tax_amount = 0;       // tax on (amount − discount_amount), added or contained

  bool operator==(const LineItem&) const = default;
};
BOOST_DESCRIBE_STRUCT(LineItem, (),
                      (id, description, quantity_milli, unit_amount, period_start, period_end, tax_rate_bps,
                       tax_inclusive, usage, amount, discount_amount, tax_amount))

// The catalog's error_detail: why the last finalization failed.
struct ErrorDetail {
  std::string code;
  std::string message;
  std::string param;  // empty when no single field is at fault
  bool operator==(const ErrorDetail&) const = default;
};
BOOST_DESCRIBE_STRUCT(ErrorDetail, (), (code, message, param))

struct Card {
  static constexpr bool described_omit_null = true;
  std::string brand;  // "visa", "mastercard", …
  std::string last4;
  int exp_month = 1;
  int exp_year = 2000;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2 of the issuer
  bool operator==(const Card&) const = default;
};
BOOST_DESCRIBE_STRUCT(Card, (), (brand, last4, exp_month, exp_year, country))

// The latest payment attempt against an invoice: what a payment event is about (`payment` in JSON).
struct PaymentRecord {
  static constexpr bool described_omit_null = true;
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
  // The card charged, as its payment method showed it then (brand, last 4, expiry): what a receiver reads
  // about the card from the payment event alone (Rapyd's payment_method_data). None for other methods.
  std::optional<Card> card;
  bool operator==(const PaymentRecord&) const = default;
};
BOOST_DESCRIBE_STRUCT(PaymentRecord, (),
                      (id, amount, currency, status, payment_method_id, payment_method_type, fallback, captured,
                       attempt, failure_code, failure_message, next_action, created, paid_at, card))

struct Invoice {
  static constexpr bool described_omit_null = true;
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
  int pdf_version = 0;                 // the latest rendered PDF's version (0: none yet)
  std::optional<std::string> pdf_url;  // where that PDF is served (billing/pdf_service.hpp)
  std::optional<std::string> duplicated_from;
  std::optional<std::string> duplicated_to;   // the latest copy made of this document
  std::optional<std::string> converted_from;  // on an invoice made from a proforma
  std::optional<std::string> converted_to;    // on a converted proforma
  std::optional<ErrorDetail> last_finalization_error;
  std::optional<PaymentRecord> payment;

  bool operator==(const Invoice&) const = default;
};
// 49 members: Boost.Describe takes at most 52 in one list.
BOOST_DESCRIBE_STRUCT(Invoice, (),
                      (id, number, kind, audience, status, customer_id, currency, lines, discount_bps, subtotal,
                       discount_amount, tax, tax_included, total, amount_due, amount_remaining, amount_overpaid,
                       amount_paid, amount_credited, amount_refunded, credit_notes_outstanding, payment_status,
                       paid_via, collection_method, billing_reason, subscription_id, attempt_count,
                       next_payment_attempt, payment_method_id, due_date, previous_due_date, days_until_due,
                       period_start, period_end, description, metadata, created, finalized_at, paid_at, voided_at,
                       dispute_lost_at, pdf_version, pdf_url, duplicated_from, duplicated_to, converted_from, converted_to,
                       last_finalization_error, payment))

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
  static constexpr bool described_omit_null = true;
  std::optional<std::string> line1;
  std::optional<std::string> line2;
  std::optional<std::string> city;
  std::optional<std::string> state;
  std::optional<std::string> postal_code;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2
  bool operator==(const Address&) const = default;
};
BOOST_DESCRIBE_STRUCT(Address, (), (line1, line2, city, state, postal_code, country))

struct Customer {
  static constexpr bool described_omit_null = true;
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
BOOST_DESCRIBE_STRUCT(Customer, (), (id, name, email, locale, currency, balance, address, tax_id, metadata, created))

// $defs/customer.
boost::json::object to_json(const Customer& customer);

struct PaymentMethod {
  static constexpr bool described_omit_null = true;
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
BOOST_DESCRIBE_STRUCT(PaymentMethod, (),
                      (id, customer_id, type, card, valid, invalid_reason, is_default, fallback_order, replaces,
                       created))

// $defs/payment_method.
boost::json::object to_json(const PaymentMethod& method);

}  // namespace billhook::billing
