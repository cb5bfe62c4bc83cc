// The stored form round-trips every field of every billing document exactly (the API form cannot:
// it rounds quantities and omits what the schema does not show).
#include <gtest/gtest.h>

#include "billing/codec.hpp"

namespace billhook::billing {
namespace {

Invoice full_invoice() {
  Invoice i;
  i.id = "inv_1";
  i.number = "INV-2026-000007";
  i.kind = InvoiceKind::proforma;
  i.audience = Audience::partner;
  i.status = InvoiceStatus::void_;
  i.customer_id = "cus_1";
  i.currency = "BHD";
  i.lines = {LineItem{.id = "li_1", .description = "Hours", .quantity_milli = 1500, .unit_amount = -1234,
                      .period_start = 10, .period_end = 20, .tax_rate_bps = 770, .tax_inclusive = true,
                      .amount = -1851, .discount_amount = 3, .tax_amount = 4}};
  i.discount_bps = 250;
  i.subtotal = 1;
  i.discount_amount = 2;
  i.tax = 3;
  i.tax_included = 4;
  i.total = 5;
  i.amount_due = 6;
  i.amount_remaining = 7;
  i.amount_overpaid = 8;
  i.amount_paid = 9;
  i.amount_credited = 10;
  i.amount_refunded = 11;
  i.credit_notes_outstanding = 2;
  i.payment_status = PaymentStatus::partially_refunded;
  i.paid_via = PaidVia::wallet;
  i.collection_method = CollectionMethod::send_invoice;
  i.billing_reason = BillingReason::trial_end;
  i.subscription_id = "sub_1";
  i.attempt_count = 3;
  i.next_payment_attempt = 99;
  i.payment_method_id = "pm_1";
  i.due_date = 100;
  i.previous_due_date = 90;
  i.days_until_due = 0;
  i.period_start = 1;
  i.period_end = 2;
  i.description = "";
  i.metadata = {{"order", "1042"}, {"empty", ""}};
  i.created = 5;
  i.finalized_at = 6;
  i.paid_at = 7;
  i.voided_at = 8;
  i.pdf_version = 2;
  i.duplicated_from = "inv_0";
  i.duplicated_to = "inv_2";
  i.converted_from = "inv_p";
  i.converted_to = "inv_t";
  i.last_finalization_error = ErrorDetail{"no_lines", "add a line", "lines"};
  i.payment = PaymentRecord{.id = "pay_1", .amount = 5, .currency = "BHD",
                            .status = PaymentAttemptStatus::requires_action, .payment_method_id = "pm_1",
                            .payment_method_type = "card", .fallback = true, .captured = false, .attempt = 3,
                            .failure_code = "x", .failure_message = "y", .next_action = "3d_secure_redirect",
                            .created = 4, .paid_at = std::nullopt};
  return i;
}

TEST(Codec, InvoiceRoundTripsEveryField) {
  const Invoice original = full_invoice();
  auto decoded = decode_invoice(encode(original));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, original);
  const Invoice empty;
  EXPECT_EQ(*decode_invoice(encode(empty)), empty);
}

TEST(Codec, CustomerAndPaymentMethodRoundTrip) {
  Customer c{.id = "cus_1", .name = "Ada", .email = std::nullopt, .locale = "en-GB", .currency = "JPY",
             .balance = -100, .address = Address{.line1 = "1 Road", .country = "GB"}, .tax_id = "GB1",
             .metadata = {{"k", "v"}}, .created = 3};
  EXPECT_EQ(*decode_customer(encode(c)), c);
  PaymentMethod m{.id = "pm_1", .customer_id = "cus_1", .type = "card",
                  .card = Card{"visa", "4242", 12, 2030, std::nullopt}, .valid = false,
                  .invalid_reason = "expired", .is_default = true, .fallback_order = 0, .replaces = "pm_0",
                  .created = 9};
  EXPECT_EQ(*decode_payment_method(encode(m)), m);
}

TEST(Codec, BodiesItDidNotWriteAreInternalErrors) {
  EXPECT_EQ(decode_invoice("not json").error().kind, core::ErrorKind::internal);
  EXPECT_EQ(decode_invoice(R"({"status": "sideways"})").error().kind, core::ErrorKind::internal);
  EXPECT_EQ(decode_customer("[]").error().kind, core::ErrorKind::internal);
}

}  // namespace
}  // namespace billhook::billing
