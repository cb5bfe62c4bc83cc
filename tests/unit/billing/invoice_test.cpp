#include "billing/invoice.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "catalog/catalog.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

constexpr int64_t kCreated = 1'763'805'600;

LineItem line(std::string description, int64_t quantity_milli, int64_t unit_amount, int64_t tax_bps = 0,
              bool inclusive = false) {
  LineItem l;
  l.description = std::move(description);
  l.quantity_milli = quantity_milli;
  l.unit_amount = unit_amount;
  l.tax_rate_bps = tax_bps;
  l.tax_inclusive = inclusive;
  return l;
}

Invoice invoice_in(std::string currency, std::vector<LineItem> lines, int64_t discount_bps = 0) {
  Invoice inv;
  inv.id = "inv_1";
  inv.customer_id = "cus_1";
  inv.currency = std::move(currency);
  inv.lines = std::move(lines);
  inv.discount_bps = discount_bps;
  inv.created = kCreated;
  return inv;
}

Invoice computed(Invoice inv) {
  auto status = compute_totals(inv);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  return inv;
}

// The schema of an event type whose data.object is a bare $defs/<name>.
const catalog::JsonSchema& schema_of(std::string_view event_type) {
  const catalog::EventType* type = catalog::Catalog::builtin().find(event_type);
  EXPECT_NE(type, nullptr) << event_type;
  EXPECT_TRUE(type->schema.has_value());
  return *type->schema;
}

void expect_valid(std::string_view event_type, const json::object& object) {
  const auto violation = schema_of(event_type).validate(json::value(object));
  EXPECT_FALSE(violation.has_value()) << event_type << ": " << violation->path << " " << violation->message << "\n"
                                      << json::serialize(object);
}

void expect_field_error(const core::Status& status, std::string_view param) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(status.error().param, param) << status.error().message;
}

// --- compute_totals --------------------------------------------------------------------------------

TEST(ComputeTotals, SingleExclusiveLine) {
  const Invoice inv = computed(invoice_in("EUR", {line("Seat", 2000, 2500, 2000)}));
  EXPECT_EQ(inv.lines[0].amount, 5000);
  EXPECT_EQ(inv.lines[0].tax_amount, 1000);
  EXPECT_EQ(inv.subtotal, 5000);
  EXPECT_EQ(inv.tax, 1000);
  EXPECT_EQ(inv.tax_included, 0);
  EXPECT_EQ(inv.discount_amount, 0);
  EXPECT_EQ(inv.total, 6000);
  EXPECT_EQ(inv.amount_due, 6000);
  EXPECT_EQ(inv.amount_remaining, 6000);
  EXPECT_EQ(inv.amount_overpaid, 0);
}

TEST(ComputeTotals, EmptyInvoiceIsZero) {
  const Invoice inv = computed(invoice_in("EUR", {}, 1000));
  EXPECT_EQ(inv.subtotal, 0);
  EXPECT_EQ(inv.total, 0);
  EXPECT_EQ(inv.amount_due, 0);
}

// EUR: 1.5 × 100.00 at 19 % added, 2 × 19.99 at 7 % included, 25.01 untaxed, 10 % off.
TEST(ComputeTotals, MixedTaxesAndDiscountInEur) {
  const Invoice inv = computed(invoice_in("EUR",
                                          {line("Consulting", 1500, 10000, 1900), line("Book", 2000, 1999, 700, true),
                                           line("Support", 1000, 2501)},
                                          1000));
  EXPECT_EQ(inv.subtotal, 21499);
  EXPECT_EQ(inv.discount_amount, 2150);  // 2149.9
  // 2150 spread by amount: 1500.07 / 399.82 / 250.11 → floors 1500/399/250, the spare unit to the
  // largest remainder (the book).
  EXPECT_EQ(inv.lines[0].discount_amount, 1500);
  EXPECT_EQ(inv.lines[1].discount_amount, 400);
  EXPECT_EQ(inv.lines[2].discount_amount, 250);
  EXPECT_EQ(inv.lines[0].tax_amount, 2565);  // 19 % of 135.00
  EXPECT_EQ(inv.lines[1].tax_amount, 235);   // 7/107 of 35.98 = 2.3538
  EXPECT_EQ(inv.lines[2].tax_amount, 0);
  EXPECT_EQ(inv.tax, 2800);
  EXPECT_EQ(inv.tax_included, 235);
  EXPECT_EQ(inv.total, 21914);  // 135.00 + 25.65 + 35.98 + 22.51
  EXPECT_EQ(inv.total, inv.subtotal - inv.discount_amount + inv.tax - inv.tax_included);
}

// JPY (no decimals): 3 × ¥1,234 at 10 % added, 0.5 × ¥999 at 8 % included, 5 % off.
TEST(ComputeTotals, MixedTaxesAndDiscountInJpy) {
  const Invoice inv =
      computed(invoice_in("JPY", {line("Tea", 3000, 1234, 1000), line("Sample", 500, 999, 800, true)}, 500));
  EXPECT_EQ(inv.lines[0].amount, 3702);
  EXPECT_EQ(inv.lines[1].amount, 500);  // 499.5 rounds up once, at the line
  EXPECT_EQ(inv.subtotal, 4202);
  EXPECT_EQ(inv.discount_amount, 210);  // 210.1
  EXPECT_EQ(inv.lines[0].discount_amount, 185);
  EXPECT_EQ(inv.lines[1].discount_amount, 25);
  EXPECT_EQ(inv.lines[0].tax_amount, 352);  // 351.7
  EXPECT_EQ(inv.lines[1].tax_amount, 35);   // 8/108 of 475 = 35.19
  EXPECT_EQ(inv.tax, 387);
  EXPECT_EQ(inv.tax_included, 35);
  EXPECT_EQ(inv.total, 4344);
}

// BHD (three decimals): 12.345 at 10 % added, 2.25 × 1.001 at 10 % added, 5.500 at 10 % included, 2.5 % off.
TEST(ComputeTotals, MixedTaxesAndDiscountInBhd) {
  const Invoice inv = computed(invoice_in(
      "BHD", {line("A", 1000, 12345, 1000), line("B", 2250, 1001, 1000), line("C", 1000, 5500, 1000, true)}, 250));
  EXPECT_EQ(inv.lines[1].amount, 2252);  // 2252.25
  EXPECT_EQ(inv.subtotal, 20097);
  EXPECT_EQ(inv.discount_amount, 502);  // 502.425
  EXPECT_EQ(inv.lines[0].discount_amount, 308);
  EXPECT_EQ(inv.lines[1].discount_amount, 56);
  EXPECT_EQ(inv.lines[2].discount_amount, 138);
  EXPECT_EQ(inv.lines[0].tax_amount, 1204);  // 1203.7
  EXPECT_EQ(inv.lines[1].tax_amount, 220);   // 219.6
  EXPECT_EQ(inv.lines[2].tax_amount, 487);   // 1/11 of 5362
  EXPECT_EQ(inv.tax, 1911);
  EXPECT_EQ(inv.tax_included, 487);
  EXPECT_EQ(inv.total, 21019);
}

TEST(ComputeTotals, DiscountSharesAlwaysAddUp) {
  // Three equal lines: a 1-unit discount cannot split evenly.
  Invoice inv = computed(invoice_in("EUR", {line("a", 1000, 333), line("b", 1000, 333), line("c", 1000, 334)}, 15));
  EXPECT_EQ(inv.discount_amount, 2);  // 1.5 → 2
  EXPECT_EQ(inv.lines[0].discount_amount + inv.lines[1].discount_amount + inv.lines[2].discount_amount, 2);
  for (int64_t bps : {1, 7, 333, 999, 5000, 9999, 10'000}) {
    inv.discount_bps = bps;
    inv = computed(inv);
    int64_t sum = 0;
    for (const LineItem& l : inv.lines) sum += l.discount_amount;
    EXPECT_EQ(sum, inv.discount_amount) << bps;
  }
}

TEST(ComputeTotals, CreditLinesTakeANegativeShareOfTheDiscount) {
  const Invoice inv = computed(invoice_in("EUR", {line("Plan", 1000, 10000, 2000), line("Credit", 1000, -2000, 2000)}, 1000));
  EXPECT_EQ(inv.subtotal, 8000);
  EXPECT_EQ(inv.discount_amount, 800);
  EXPECT_EQ(inv.lines[0].discount_amount, 1000);
  EXPECT_EQ(inv.lines[1].discount_amount, -200);
  EXPECT_EQ(inv.lines[1].tax_amount, -360);  // 20 % of -18.00
  EXPECT_EQ(inv.tax, 1440);
  EXPECT_EQ(inv.total, 8640);
}

TEST(ComputeTotals, NoDiscountOnANonPositiveSubtotal) {
  const Invoice inv = computed(invoice_in("EUR", {line("Refund", 1000, -500, 1000)}, 5000));
  EXPECT_EQ(inv.discount_amount, 0);
  EXPECT_EQ(inv.tax, -50);
  EXPECT_EQ(inv.total, -550);
  EXPECT_EQ(inv.amount_due, 0);  // never negative
  EXPECT_EQ(inv.amount_remaining, 0);
}

TEST(ComputeTotals, FullDiscount) {
  const Invoice inv = computed(invoice_in("EUR", {line("Gift", 1000, 4999, 1900)}, 10'000));
  EXPECT_EQ(inv.discount_amount, 4999);
  EXPECT_EQ(inv.tax, 0);
  EXPECT_EQ(inv.total, 0);
}

TEST(ComputeTotals, LedgerDrivesDueRemainingAndOverpaid) {
  Invoice inv = invoice_in("EUR", {line("Seat", 1000, 10000)});
  inv.amount_credited = 1500;
  inv.amount_paid = 3000;
  inv = computed(inv);
  EXPECT_EQ(inv.amount_due, 8500);
  EXPECT_EQ(inv.amount_remaining, 5500);
  EXPECT_EQ(inv.amount_overpaid, 0);
  inv.amount_paid = 9000;
  inv = computed(inv);
  EXPECT_EQ(inv.amount_remaining, 0);
  EXPECT_EQ(inv.amount_overpaid, 500);
  inv.amount_credited = 20000;  // more credit than total
  inv = computed(inv);
  EXPECT_EQ(inv.amount_due, 0);
  EXPECT_EQ(inv.amount_overpaid, 9000);
}

TEST(ComputeTotals, RefusesBadInputAndLeavesTheInvoiceAlone) {
  Invoice inv = invoice_in("EUR", {line("ok", 1000, 100), line("bad", -1, 100)});
  const Invoice copy = inv;
  expect_field_error(compute_totals(inv), "lines.1.quantity");
  EXPECT_EQ(inv, copy);  // not even the good line's amount was written
  EXPECT_EQ(inv.lines[0].amount, 0);

  inv = invoice_in("EUR", {line("ok", 1000, 100, 10'001)});
  expect_field_error(compute_totals(inv), "lines.0.tax_rates");
  inv = invoice_in("EUR", {line("ok", 1000, 100, -1)});
  expect_field_error(compute_totals(inv), "lines.0.tax_rates");
  inv = invoice_in("EUR", {line("ok", 1000, 100)}, 10'001);
  expect_field_error(compute_totals(inv), "discount_percentage");
  inv = invoice_in("EUR", {line("ok", 1000, 100)}, -1);
  expect_field_error(compute_totals(inv), "discount_percentage");
}

TEST(ComputeTotals, OverflowIsAnErrorNamingTheField) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Invoice inv = invoice_in("EUR", {line("huge", 2000, kMax)});
  auto status = compute_totals(inv);
  expect_field_error(status, "lines.0.amount");
  EXPECT_EQ(status.error().code, "amount_out_of_range");

  inv = invoice_in("EUR", {line("a", 1000, kMax), line("b", 1000, 1)});
  status = compute_totals(inv);
  expect_field_error(status, "subtotal");

  inv = invoice_in("EUR", {line("a", 1000, kMax, 1000)});
  status = compute_totals(inv);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "amount_out_of_range");
}

// --- check_invoice ---------------------------------------------------------------------------------

TEST(CheckInvoice, AcceptsAPlainInvoice) {
  EXPECT_TRUE(check_invoice(invoice_in("EUR", {line("Seat", 1000, 100)})).ok());
}

TEST(CheckInvoice, NamesTheFieldAtFault) {
  Invoice inv = invoice_in("EUR", {line("Seat", 1000, 100)});
  inv.id.clear();
  expect_field_error(check_invoice(inv), "id");

  inv = invoice_in("EUR", {});
  inv.customer_id.clear();
  expect_field_error(check_invoice(inv), "customer");

  inv = invoice_in("EURO", {});
  auto status = check_invoice(inv);
  expect_field_error(status, "currency");
  EXPECT_EQ(status.error().code, "unknown_currency");

  inv = invoice_in("EUR", {line("a", 1000, 1), line("b", -1000, 1)});
  expect_field_error(check_invoice(inv), "lines.1.quantity");

  inv = invoice_in("EUR", {line("a", 1000, 1)});
  inv.lines[0].period_start = 200;
  expect_field_error(check_invoice(inv), "lines.0.period");
  inv.lines[0].period_end = 100;
  expect_field_error(check_invoice(inv), "lines.0.period");

  inv = invoice_in("EUR", {});
  inv.days_until_due = -1;
  expect_field_error(check_invoice(inv), "days_until_due");
  inv.days_until_due = kMaxDaysUntilDue + 1;
  expect_field_error(check_invoice(inv), "days_until_due");

  inv = invoice_in("EUR", {});
  inv.subscription_id = "";
  expect_field_error(check_invoice(inv), "subscription");

  inv = invoice_in("EUR", {});
  inv.metadata["order"] = std::string(kMaxMetadataValueLength + 1, 'x');
  expect_field_error(check_invoice(inv), "metadata.order");
  inv.metadata["order"] = std::string(kMaxMetadataValueLength, 'x');
  EXPECT_TRUE(check_invoice(inv).ok());

  inv = invoice_in("EUR", {});
  inv.lines.assign(kMaxLines + 1, line("x", 1000, 1));
  expect_field_error(check_invoice(inv), "lines");
}

// --- JSON ------------------------------------------------------------------------------------------

TEST(InvoiceJson, ValidatesAgainstTheCatalogInvoice) {
  Invoice inv = invoice_in("EUR", {line("Consulting", 1500, 10000, 1900), line("Book", 2000, 1999, 700, true)}, 1000);
  inv.lines[0].id = "il_1";
  inv.lines[0].period_start = kCreated;
  inv.lines[0].period_end = kCreated + 86'400;
  inv.metadata = {{"order", "42"}};
  inv.description = "March";
  inv.subscription_id = "sub_1";
  inv.period_start = kCreated;
  inv.period_end = kCreated + 30 * 86'400;
  inv.payment = PaymentRecord{.id = "pay_1", .amount = 100, .currency = "EUR", .created = kCreated};
  inv.last_finalization_error = ErrorDetail{"no_lines", "needs lines", "lines"};
  inv = computed(inv);
  const json::object object = to_json(inv);
  expect_valid("invoice.updated", object);  // its schema is exactly $defs/invoice

  EXPECT_EQ(object.at("object"), "invoice");
  EXPECT_EQ(object.at("status"), "draft");
  EXPECT_EQ(object.at("kind"), "invoice");
  EXPECT_EQ(object.at("audience"), "customer");
  EXPECT_TRUE(object.at("number").is_null());
  EXPECT_EQ(object.at("customer"), "cus_1");
  EXPECT_EQ(object.at("total"), inv.total);
  EXPECT_EQ(object.at("tax_included"), inv.tax_included);
  EXPECT_EQ(object.at("discount_percentage"), 10);
  EXPECT_EQ(object.at("metadata").at("order"), "42");
  EXPECT_EQ(object.at("subscription"), "sub_1");
  EXPECT_EQ(object.at("period_start"), kCreated);
  EXPECT_EQ(object.at("payment").at("id"), "pay_1");
  EXPECT_EQ(object.at("last_finalization_error").at("code"), "no_lines");
  const json::object& first = object.at("lines").as_array().at(0).as_object();
  EXPECT_EQ(first.at("id"), "il_1");
  EXPECT_EQ(first.at("period").at("end"), kCreated + 86'400);
  EXPECT_EQ(first.at("tax_rates").at(0).at("percentage"), 19);
  EXPECT_EQ(first.at("tax_rates").at(0).at("inclusive"), false);
}

TEST(InvoiceJson, RatesAreIntegersWhenWholeAndDecimalsOtherwise) {
  const json::object object = to_json(computed(invoice_in("CHF", {line("A", 1000, 100, 770), line("B", 1000, 100, 800, true)}, 250)));
  expect_valid("invoice.updated", object);
  EXPECT_DOUBLE_EQ(object.at("discount_percentage").as_double(), 2.5);
  EXPECT_DOUBLE_EQ(object.at("lines").at(0).at("tax_rates").at(0).at("percentage").as_double(), 7.7);
  EXPECT_EQ(object.at("lines").at(1).at("tax_rates").at(0).at("percentage"), 8);
  EXPECT_EQ(object.at("lines").at(1).at("tax_rates").at(0).at("inclusive"), true);
  EXPECT_EQ(json::serialize(object.at("lines").at(1).at("tax_rates")), R"([{"percentage":8,"inclusive":true}])");
}

TEST(InvoiceJson, UnsetOptionalFieldsAreNullOrAbsentAsTheSchemaWants) {
  const json::object object = to_json(computed(invoice_in("JPY", {line("Tea", 1000, 100)})));
  expect_valid("invoice.updated", object);
  for (std::string_view key : {"number", "paid_via", "subscription", "next_payment_attempt", "payment_method",
                               "due_date", "previous_due_date", "days_until_due", "description", "finalized_at",
                               "paid_at", "voided_at", "duplicated_from", "duplicated_to", "converted_from",
                               "converted_to"}) {
    ASSERT_TRUE(object.contains(key)) << key;
    EXPECT_TRUE(object.at(key).is_null()) << key;
  }
  // Not nullable in the catalog, so absent when unset.
  for (std::string_view key : {"period_start", "period_end", "last_finalization_error", "payment"}) {
    EXPECT_FALSE(object.contains(key)) << key;
  }
  const json::object& first = object.at("lines").as_array().at(0).as_object();
  EXPECT_FALSE(first.contains("id"));
  EXPECT_FALSE(first.contains("period"));
  EXPECT_TRUE(first.at("tax_rates").as_array().empty());
}

TEST(InvoiceJson, FractionalQuantityKeepsItsExactValue) {
  const Invoice inv = computed(invoice_in("EUR", {line("Hours", 1500, 8000), line("Units", 3000, 1),
                                                  line("Grams", 250, 4), line("Nothing", 0, 4)}));
  const json::object object = to_json(inv);
  expect_valid("invoice.updated", object);
  const json::array& lines = object.at("lines").as_array();
  EXPECT_EQ(lines.at(0).at("quantity"), 2);  // integer in the catalog: 1.5 shown rounded
  EXPECT_EQ(lines.at(0).at("quantity_decimal"), "1.5");
  EXPECT_EQ(lines.at(1).at("quantity"), 3);
  EXPECT_EQ(lines.at(1).at("quantity_decimal"), "3");
  EXPECT_EQ(lines.at(2).at("quantity"), 0);
  EXPECT_EQ(lines.at(2).at("quantity_decimal"), "0.25");
  EXPECT_EQ(lines.at(3).at("quantity_decimal"), "0");
  EXPECT_EQ(lines.at(0).at("amount"), 12000);
}

TEST(InvoiceJson, EveryStatusKindAndEnumValueIsSpelledAsTheCatalogSays) {
  Invoice inv = computed(invoice_in("EUR", {line("Seat", 1000, 100)}));
  for (std::string_view status : core::described::names_of<InvoiceStatus>()) {
    inv.status = *core::described::parse<InvoiceStatus>(status);
    for (InvoiceKind kind : {InvoiceKind::invoice, InvoiceKind::proforma}) {
      inv.kind = kind;
      for (Audience audience : {Audience::customer, Audience::partner}) {
        inv.audience = audience;
        expect_valid("invoice.updated", to_json(inv));
      }
    }
  }
  EXPECT_EQ(to_string(InvoiceStatus::void_), "void");
  for (int r = 0; r <= static_cast<int>(BillingReason::trial_end); ++r) {
    inv.billing_reason = static_cast<BillingReason>(r);
    expect_valid("invoice.updated", to_json(inv));
    EXPECT_EQ(core::described::parse<BillingReason>(to_string(inv.billing_reason)), inv.billing_reason);
  }
  for (int p = 0; p <= static_cast<int>(PaymentStatus::partially_refunded); ++p) {
    inv.payment_status = static_cast<PaymentStatus>(p);
    expect_valid("invoice.updated", to_json(inv));
  }
  for (int v = 0; v <= static_cast<int>(PaidVia::credit); ++v) {
    inv.paid_via = static_cast<PaidVia>(v);
    expect_valid("invoice.updated", to_json(inv));
  }
  for (CollectionMethod method : {CollectionMethod::charge_automatically, CollectionMethod::send_invoice}) {
    inv.collection_method = method;
    expect_valid("invoice.updated", to_json(inv));
    EXPECT_EQ(core::described::parse<CollectionMethod>(to_string(method)), method);
  }
  for (int a = 0; a <= static_cast<int>(PaymentAttemptStatus::canceled); ++a) {
    inv.payment = PaymentRecord{.id = "pay_1", .amount = 1, .currency = "EUR",
                                .status = static_cast<PaymentAttemptStatus>(a), .created = kCreated};
    expect_valid("invoice.updated", to_json(inv));
  }
  EXPECT_EQ(core::described::parse<InvoiceKind>("proforma"), InvoiceKind::proforma);
  EXPECT_EQ(core::described::parse<Audience>("partner"), Audience::partner);
  EXPECT_EQ(core::described::parse<InvoiceKind>("Proforma"), std::nullopt);
  EXPECT_EQ(core::described::parse<BillingReason>(""), std::nullopt);
}

// --- customers and payment methods -----------------------------------------------------------------

TEST(CustomerJson, MinimalCustomerIsValid) {
  Customer customer;
  customer.id = "cus_1";
  customer.created = kCreated;
  const json::object object = to_json(customer);
  expect_valid("customer.created", object);
  expect_valid("customer.updated", object);
  EXPECT_EQ(object.at("object"), "customer");
  EXPECT_TRUE(object.at("address").is_null());
  EXPECT_TRUE(object.at("email").is_null());
  EXPECT_EQ(object.at("balance"), 0);
}

TEST(CustomerJson, FullCustomerIsValid) {
  Customer customer;
  customer.id = "cus_1";
  customer.name = "Ada Lovelace";
  customer.email = "ada@example.com";
  customer.locale = "en-GB";
  customer.currency = "GBP";
  customer.balance = -2500;
  customer.address = Address{.line1 = "1 Analytical Way", .city = "London", .postal_code = "N1 9GU",
                             .country = "GB"};
  customer.tax_id = "GB123456789";
  customer.metadata = {{"crm", "42"}};
  customer.created = kCreated;
  const json::object object = to_json(customer);
  expect_valid("customer.created", object);
  EXPECT_EQ(object.at("address").at("city"), "London");
  EXPECT_TRUE(object.at("address").at("line2").is_null());
  EXPECT_EQ(object.at("balance"), -2500);
  EXPECT_EQ(object.at("metadata").at("crm"), "42");
}

TEST(PaymentMethodJson, CardIsValid) {
  PaymentMethod method;
  method.id = "pm_1";
  method.customer_id = "cus_1";
  method.card = Card{.brand = "visa", .last4 = "4242", .exp_month = 12, .exp_year = 2030, .country = "US"};
  method.is_default = true;
  method.created = kCreated;
  const json::object object = to_json(method);
  expect_valid("payment_method.attached", object);
  expect_valid("payment_method.validated", object);
  expect_valid("payment_method.default_changed", object);
  EXPECT_EQ(object.at("status"), "valid");
  EXPECT_EQ(object.at("card").at("last4"), "4242");
  EXPECT_TRUE(object.at("fallback_order").is_null());
}

TEST(PaymentMethodJson, InvalidFallbackReplacementIsValid) {
  PaymentMethod method;
  method.id = "pm_2";
  method.customer_id = "cus_1";
  method.type = "sepa_debit";
  method.valid = false;
  method.invalid_reason = "mandate_revoked";
  method.fallback_order = 1;
  method.replaces = "pm_1";
  method.created = kCreated;
  const json::object object = to_json(method);
  expect_valid("payment_method.attached", object);
  expect_valid("payment_method.invalidated", object);
  expect_valid("payment_method.replaced", object);
  EXPECT_FALSE(object.contains("card"));
  EXPECT_EQ(object.at("invalid_reason"), "mandate_revoked");
  EXPECT_EQ(object.at("fallback_order"), 1);
}

}  // namespace
}  // namespace billhook::billing
