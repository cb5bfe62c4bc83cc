// The pure parts of refunds and credit notes: the pro-rata allocation, the credit-note split, the
// sandbox's refunds, and the stored form of each document reading back as written.
#include <algorithm>
#include <random>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/credit_note.hpp"
#include "billing/refund.hpp"
#include "billing/sandbox_processor.hpp"

namespace billhook::billing {
namespace {

TEST(AllocateRefund, OnePaymentTakesAll) {
  auto a = allocate_refund({{"pay_a", 5000}}, 1200, "EUR");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].payment_id, "pay_a");
  EXPECT_EQ((*a)[0].amount, 1200);
}

TEST(AllocateRefund, ProRataWithTheLeftoverUnitsOnTheLargestRemainders) {
  auto a = allocate_refund({{"pay_a", 1}, {"pay_b", 1}, {"pay_c", 1}}, 2, "JPY");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);  // equal remainders: the earlier payments first; pay_c gets nothing
  EXPECT_EQ((*a)[0].payment_id, "pay_a");
  EXPECT_EQ((*a)[1].payment_id, "pay_b");
  auto b = allocate_refund({{"pay_a", 0}, {"pay_b", 300}, {"pay_c", 100}}, 400, "EUR");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].amount, 300);
  EXPECT_EQ((*b)[1].amount, 100);
}

TEST(AllocateRefund, SharesAlwaysAddUpAndNeverExceedAPayment) {
  std::mt19937_64 random(5);
  for (int round = 0; round < 2000; ++round) {
    std::vector<RefundablePayment> payments;
    int64_t total = 0;
    const int n = 1 + static_cast<int>(random() % 5);
    for (int i = 0; i < n; ++i) {
      const auto left = static_cast<int64_t>(random() % 100000);
      payments.push_back({"pay_" + std::to_string(i), left});
      total += left;
    }
    if (total == 0) continue;
    const int64_t amount = 1 + static_cast<int64_t>(random() % static_cast<uint64_t>(total));
    auto a = allocate_refund(payments, amount, "EUR");
    ASSERT_TRUE(a.ok());
    int64_t sum = 0;
    for (const auto& part : *a) {
      sum += part.amount;
      EXPECT_GT(part.amount, 0);
      const auto it = std::find_if(payments.begin(), payments.end(),
                                   [&](const auto& p) { return p.payment_id == part.payment_id; });
      ASSERT_NE(it, payments.end());
      EXPECT_LE(part.amount, it->refundable);
    }
    EXPECT_EQ(sum, amount);
  }
}

TEST(AllocateRefund, MoreThanThePaymentsHoldIsAConflict) {
  auto a = allocate_refund({{"pay_a", 500}, {"pay_b", 500}}, 1001, "EUR");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(a.error().code, "refund_exceeds_paid");
  EXPECT_NE(a.error().message.find("10.00 EUR"), std::string::npos) << a.error().message;
  EXPECT_FALSE(allocate_refund({{"pay_a", 500}}, 0, "EUR").ok());
}

TEST(SplitCreditNote, PrePaymentFirstThenTheBalanceByDefault) {
  auto s = split_credit_note({.total = 1000}, 600, 5000, "EUR");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->pre_payment, 600);
  EXPECT_EQ(s->credit, 400);
  EXPECT_EQ(s->refund, 0);
  auto explicit_split = split_credit_note({.total = 1000, .refund_amount = 700, .out_of_band_amount = 300}, 0, 5000,
                                          "EUR");
  ASSERT_TRUE(explicit_split.ok());
  EXPECT_EQ(explicit_split->refund, 700);
  EXPECT_EQ(explicit_split->out_of_band, 300);
  EXPECT_EQ(explicit_split->credit, 0);
}

TEST(SplitCreditNote, RefusesWhatDoesNotAddUp) {
  EXPECT_EQ(split_credit_note({.total = 1000, .refund_amount = 100}, 0, 5000, "EUR").error().code,
            "credit_note_split_mismatch");
  EXPECT_EQ(split_credit_note({.total = 1000}, 0, 999, "EUR").error().code, "credit_note_exceeds_invoice");
  EXPECT_EQ(split_credit_note({.total = 1000, .credit_amount = -1}, 0, 5000, "EUR").error().param, "credit_amount");
  EXPECT_EQ(split_credit_note({.total = -1}, 0, 5000, "EUR").error().param, "amount");
}

TEST(SandboxRefunds, DeclinedOnlyForTheRefundFailsCard) {
  SandboxProcessor processor;
  auto ok = processor.refund({.refund_id = "re_1", .payment_id = "pay_1", .amount = 100, .currency = "EUR",
                              .card_number = "4242424242424242"});
  EXPECT_TRUE(ok.accepted);
  EXPECT_FALSE(ok.processor_reference.empty());
  EXPECT_TRUE(processor.cancel_refund(ok.processor_reference));
  auto external = processor.refund({.refund_id = "re_1", .payment_id = "pay_2", .amount = 100, .currency = "EUR"});
  EXPECT_TRUE(external.accepted);
  auto declined = processor.refund({.refund_id = "re_1", .payment_id = "pay_3", .amount = 100, .currency = "EUR",
                                    .card_number = "4000 0000 0000 5126"});
  EXPECT_FALSE(declined.accepted);
  EXPECT_EQ(declined.failure_code, "refund_declined");
  EXPECT_FALSE(processor.refund({.refund_id = "re_1", .payment_id = "pay_1", .amount = 0, .currency = "EUR"}).accepted);
  // Charges to that card still work.
  auto charge = processor.charge({.payment_id = "pay_4", .amount = 100, .currency = "EUR",
                                  .card_number = "4000000000005126"});
  EXPECT_TRUE(charge.succeeded());
}

TEST(StoredForm, DocumentsReadBackAsWritten) {
  Refund refund{.id = "re_1", .invoice_id = "inv_1", .customer_id = "cus_1", .currency = "EUR", .amount = 700,
                .status = RefundStatus::processing, .reason = std::string("order_change"),
                .credit_note_id = std::string("cn_1"),
                .allocations = {{"pay_1", 300, "sandbox_x"}, {"pay_2", 400, "sandbox_y"}},
                .created = 10, .refunded_at = 11};
  auto r = decode_refund(boost::json::serialize(to_json(refund)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, refund);
  Dispute dispute{.id = "dp_1", .invoice_id = "inv_1", .customer_id = "cus_1", .payment_id = "pay_1",
                  .currency = "EUR", .amount = 5, .status = DisputeStatus::lost, .reason = std::string("fraudulent"),
                  .evidence_due_by = 20, .created = 10, .closed_at = 30};
  auto d = decode_dispute(boost::json::serialize(to_json(dispute)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, dispute);
  CreditNote note{.id = "cn_1", .number = "INV-1-CN-01", .invoice_id = "inv_1", .customer_id = "cus_1",
                  .currency = "EUR", .credit_status = CreditStatus::available,
                  .refund_status = CreditRefundStatus::failed, .reason = CreditNoteReason::fraudulent_charge,
                  .memo = std::string("m"), .total = 9, .pre_payment_amount = 1, .credit_amount = 3,
                  .refund_amount = 5, .credit_remaining = 2, .refund_id = std::string("re_1"),
                  .refund_error = ErrorDetail{"refund_declined", "no", ""}, .metadata = {{"k", "v"}}, .created = 4};
  auto n = decode_credit_note(boost::json::serialize(to_json(note)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, note);
  BalanceTransaction entry{.id = "cbtxn_1", .customer_id = "cus_1", .type = BalanceEntryType::applied_to_invoice,
                           .amount = 50, .currency = "EUR", .ending_balance = -10, .invoice_id = std::string("inv_1"),
                           .created = 3};
  auto t = decode_balance_transaction(boost::json::serialize(to_json(entry)));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, entry);
  EXPECT_EQ(parse_credit_note_reason("duplicated_charge"), CreditNoteReason::duplicated_charge);
  EXPECT_FALSE(parse_credit_note_reason("changed_my_mind"));
}

}  // namespace
}  // namespace billhook::billing
