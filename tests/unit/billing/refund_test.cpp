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
  EXPECT_EQ((*a)[0].payment, "pay_a");
  EXPECT_EQ((*a)[0].amount, 1200);
}

TEST(AllocateRefund, ProRataWithTheLeftoverUnitsOnTheLargestRemainders) {
  auto a = allocate_refund({{"pay_a", 1}, {"pay_b", 1}, {"pay_c", 1}}, 2, "JPY");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);  // equal remainders: the earlier payments first; pay_c gets nothing
  EXPECT_EQ((*a)[0].payment, "pay_a");
  EXPECT_EQ((*a)[1].payment, "pay_b");
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
                                   [&](const auto& p) { return p.payment_id == part.payment; });
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

TEST(StoredForm, RefundsAndDisputesReadBackAsWritten) {
  Refund refund{.id = "re_1", .amount = 700, .currency = "EUR", .status = RefundStatus::processing,
                .reason = std::string("order_change"), .invoice = "inv_1", .customer = "cus_1",
                .credit_note = std::string("cn_1"),
                .allocations = {{"pay_1", 300, "sandbox_x"}, {"pay_2", 400, std::nullopt}},
                .created = 10, .refunded_at = 11};
  auto r = kRefunds.decode(kRefunds.encode(refund));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, refund);
  Dispute dispute{.id = "dp_1", .amount = 5, .currency = "EUR", .status = DisputeStatus::lost,
                  .reason = std::string("fraudulent"), .payment = "pay_1", .invoice = "inv_1", .customer = "cus_1",
                  .evidence_due_by = 20, .created = 10, .closed_at = 30};
  auto d = kDisputes.decode(kDisputes.encode(dispute));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, dispute);
}

// Bodies as the hand-written codec before the registry stored them (the API form, with `object`):
// they still decode, and the API JSON made from them is what was stored, byte for byte.
TEST(StoredForm, RefundStoredBeforeTheRegistryStillReads) {
  const std::string body =
      R"({"id":"re_1","object":"refund","amount":700,"currency":"EUR","status":"processing","reason":"order_change",)"
      R"("payment":null,"invoice":"inv_1","customer":"cus_1","credit_note":"cn_1","allocations":[{"payment":"pay_1",)"
      R"("amount":300,"processor_reference":"sandbox_x"},{"payment":"pay_2","amount":400}],"failure_code":null,)"
      R"("failure_message":null,"created":10,"refunded_at":11,"confirmed_at":null,"confirms_at":21})";
  auto r = kRefunds.decode(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->invoice, "inv_1");
  EXPECT_EQ(r->customer, "cus_1");
  EXPECT_EQ(r->credit_note, "cn_1");
  EXPECT_EQ(r->status, RefundStatus::processing);
  ASSERT_EQ(r->allocations.size(), 2u);
  EXPECT_EQ(r->allocations[0].processor_reference, "sandbox_x");
  EXPECT_FALSE(r->allocations[1].processor_reference);
  EXPECT_EQ(r->confirms_at, 21);
  EXPECT_EQ(boost::json::serialize(kRefunds.api_json(*r)), body);

  const std::string one_payment =
      R"({"id":"re_2","object":"refund","amount":5,"currency":"JPY","status":"failed","reason":null,)"
      R"("payment":"pay_1","invoice":"inv_1","customer":"cus_1","credit_note":null,"allocations":[{"payment":"pay_1",)"
      R"("amount":5}],"failure_code":"card_declined","failure_message":"no","created":10,"refunded_at":null,)"
      R"("confirmed_at":null,"confirms_at":null})";
  auto failed = kRefunds.decode(one_payment);
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_EQ(failed->payment, "pay_1");
  EXPECT_EQ(boost::json::serialize(kRefunds.api_json(*failed)), one_payment);
  // The stored form now leaves `object` to the API JSON.
  EXPECT_EQ(boost::json::parse(kRefunds.encode(*failed)).as_object().count("object"), 0u);
}

TEST(StoredForm, DisputeStoredBeforeTheRegistryStillReads) {
  const std::string body =
      R"({"id":"dp_1","object":"dispute","amount":5,"currency":"EUR","status":"lost","reason":"fraudulent",)"
      R"("payment":"pay_1","invoice":"inv_1","customer":"cus_1","evidence_due_by":20,"created":10,"closed_at":30})";
  auto d = kDisputes.decode(body);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->payment, "pay_1");
  EXPECT_EQ(d->status, DisputeStatus::lost);
  EXPECT_EQ(boost::json::serialize(kDisputes.api_json(*d)), body);
}

TEST(StoredForm, CreditNotesAndBalanceTransactionsReadBackAsWritten) {
  CreditNote note{.id = "cn_1", .number = "INV-1-CN-01", .invoice = "inv_1", .customer = "cus_1",
                  .currency = "EUR", .credit_status = CreditStatus::available,
                  .refund_status = CreditRefundStatus::failed, .reason = CreditNoteReason::fraudulent_charge,
                  .memo = std::string("m"), .total = 9, .pre_payment_amount = 1, .credit_amount = 3,
                  .refund_amount = 5, .credit_remaining = 2, .refund = std::string("re_1"),
                  .refund_error = CreditNoteRefundError{"refund_declined", "no", std::nullopt},
                  .metadata = {{"k", "v"}}, .created = 4};
  auto n = kCreditNotes.decode(kCreditNotes.encode(note));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, note);
  BalanceTransaction entry{.id = "cbtxn_1", .customer = "cus_1", .type = BalanceEntryType::applied_to_invoice,
                           .amount = 50, .currency = "EUR", .ending_balance = -10, .invoice = std::string("inv_1"),
                           .created = 3};
  auto t = kBalanceTransactions.decode(kBalanceTransactions.encode(entry));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, entry);
  EXPECT_EQ(core::described::parse<CreditNoteReason>("duplicated_charge"), CreditNoteReason::duplicated_charge);
  EXPECT_FALSE(core::described::parse<CreditNoteReason>("changed_my_mind"));
}

TEST(StoredForm, CreditNoteStoredBeforeTheRegistryStillReads) {
  const std::string body =
      R"({"id":"cn_1","object":"credit_note","number":"INV-1-CN-01","invoice":"inv_1","customer":"cus_1",)"
      R"("currency":"EUR","status":"issued","credit_status":"available","refund_status":"failed",)"
      R"("reason":"fraudulent_charge","memo":"m","total":9,"pre_payment_amount":1,"credit_amount":3,"refund_amount":5,)"
      R"("out_of_band_amount":0,"credit_remaining":2,"explicit_split":true,"refund":"re_1","refund_error":)"
      R"({"code":"refund_declined","message":"no","param":null},"pdf_version":0,"pdf_url":null,"metadata":{"k":"v"},)"
      R"("created":4,"refunded_at":null,"voided_at":null})";
  auto n = kCreditNotes.decode(body);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->invoice, "inv_1");
  EXPECT_EQ(n->refund, "re_1");
  ASSERT_TRUE(n->refund_error);
  EXPECT_EQ(n->refund_error->code, "refund_declined");
  EXPECT_EQ(n->metadata.at("k"), "v");
  EXPECT_TRUE(n->explicit_split);
  // The API form is the stored one with the fields added since: `dispute` (null for a note of its own).
  std::string shown = body;
  shown.replace(shown.find(R"("refund":"re_1",)"), 16, R"("refund":"re_1","dispute":null,)");
  EXPECT_EQ(boost::json::serialize(kCreditNotes.api_json(*n)), shown);

  const std::string draft =
      R"({"id":"cn_2","object":"credit_note","number":"INV-1-CN-02","invoice":"inv_1","customer":"cus_1",)"
      R"("currency":"EUR","status":"draft","credit_status":null,"refund_status":null,"reason":"other","memo":null,)"
      R"("total":9,"pre_payment_amount":9,"credit_amount":0,"refund_amount":0,"out_of_band_amount":0,)"
      R"("credit_remaining":0,"explicit_split":false,"refund":null,"refund_error":null,"pdf_version":0,)"
      R"("pdf_url":null,"metadata":{},"created":4,"refunded_at":null,"voided_at":null})";
  auto d = kCreditNotes.decode(draft);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->status, CreditNoteStatus::draft);
  std::string draft_shown = draft;
  draft_shown.replace(draft_shown.find(R"("refund":null,)"), 14, R"("refund":null,"dispute":null,)");
  EXPECT_EQ(boost::json::serialize(kCreditNotes.api_json(*d)), draft_shown);
}

TEST(StoredForm, BalanceTransactionStoredBeforeTheRegistryStillReads) {
  const std::string body =
      R"({"id":"cbtxn_1","object":"customer_balance_transaction","customer":"cus_1","type":"applied_to_invoice",)"
      R"("amount":50,"currency":"EUR","ending_balance":-10,"invoice":"inv_1","credit_note":null,"created":3})";
  auto t = kBalanceTransactions.decode(body);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->customer, "cus_1");
  EXPECT_EQ(t->invoice, "inv_1");
  EXPECT_EQ(t->type, BalanceEntryType::applied_to_invoice);
  EXPECT_EQ(boost::json::serialize(kBalanceTransactions.api_json(*t)), body);
}

}  // namespace
}  // namespace billhook::billing
