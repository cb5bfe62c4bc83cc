// Money that goes back is a credit note (issue 13 item 2), on both backends: a refund asked for
// directly issues a note whose refund part is that refund (created → paid or refund_failed around the
// refund's own events), a lost dispute a note the network paid; neither refunds twice, neither counts
// against voiding the invoice, and neither can be voided itself.
#include "credit_fixture.hpp"

namespace billhook::billing::testing {
namespace {

class MoneyReturnedTest : public CreditTest {
 protected:
  // The invoice's credit notes, oldest first.
  std::vector<CreditNote> notes_of(const std::string& invoice) {
    std::vector<CreditNote> out;
    auto rows = store_->find_documents({.kind = std::string(kCreditNotes.kind), .parent_id = invoice});
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) return out;
    for (const auto& row : *rows) {
      auto note = kCreditNotes.decode(row.body);
      EXPECT_TRUE(note.ok()) << note.error().message;
      if (note.ok()) out.push_back(std::move(*note));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    return out;
  }
};

TEST_P(MoneyReturnedTest, ARefundIsACreditNoteWhoseRefundPartItIs) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  const size_t before = types_of(inv).size();

  auto r = refund(inv, 4000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto notes = notes_of(inv);
  ASSERT_EQ(notes.size(), 1u);
  const CreditNote& note = notes[0];
  EXPECT_EQ(r->credit_note, note.id);
  EXPECT_EQ(note.refund, r->id);
  EXPECT_EQ(note.status, CreditNoteStatus::issued);
  EXPECT_EQ(note.refund_status, CreditRefundStatus::succeeded);
  EXPECT_EQ(note.total, 4000);
  EXPECT_EQ(note.refund_amount, 4000);
  EXPECT_EQ(note.pre_payment_amount + note.credit_amount + note.out_of_band_amount, 0);
  EXPECT_EQ(types_of(note.id), (Strings{"credit_note.created", "credit_note.paid"}));
  const auto paid = *last_of(events_of(note.id), "credit_note.paid");
  EXPECT_EQ(paid.object.at("invoice"), json::value(inv));
  EXPECT_EQ(paid.previous.at("refund_status"), "pending");
  EXPECT_EQ(types_after(inv, before), (Strings{"invoice.refund_requested", "invoice.refunded"}));

  // One refund, counted once: the rest can still be refunded, and no more.
  const auto stored = stored_invoice(inv);
  EXPECT_EQ(stored.amount_refunded, 4000);
  EXPECT_EQ(stored.credit_notes_outstanding, 0) << "a note recording money returned holds no credit";
  auto rest = refund(inv, std::nullopt);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->amount, 11900 - 4000);
  EXPECT_EQ(notes_of(inv).size(), 2u);
  EXPECT_EQ(stored_invoice(inv).amount_refunded, 11900);
  EXPECT_FALSE(refund(inv, 1).ok());

  // It records money that went back: voiding it is refused.
  auto voided = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note.id, {}); });
  ASSERT_FALSE(voided.ok());
  EXPECT_EQ(voided.error().code, "credit_note_records_return");
}

TEST_P(MoneyReturnedTest, ARefundDeclinedLeavesItsCreditNoteFailed) {
  const auto cus = customer();
  attach(cus, kRefundsFailCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto r = refund(inv, 2500);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, RefundStatus::failed);
  const auto notes = notes_of(inv);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].refund_status, CreditRefundStatus::failed);
  EXPECT_EQ(notes[0].refund, r->id);
  EXPECT_EQ(types_of(notes[0].id), (Strings{"credit_note.created", "credit_note.refund_failed"}));
  EXPECT_EQ(stored_invoice(inv).amount_refunded, 0);
}

TEST_P(MoneyReturnedTest, ACreditNotesOwnRefundMakesNoSecondNote) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto note = credit_note(inv, 3000, /*refund=*/3000);
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(notes_of(inv).size(), 1u);
  EXPECT_EQ(stored_invoice(inv).amount_refunded, 3000);
  EXPECT_EQ(stored_invoice(inv).credit_notes_outstanding, 1);
}

TEST_P(MoneyReturnedTest, AnOpenInvoiceRefundedInFullCanStillBeVoided) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());
  ASSERT_TRUE(refund(inv, 5000).ok());
  EXPECT_EQ(notes_of(inv).size(), 1u);
  EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->apply(tx, inv, Void{}, {}); }).ok());
}

TEST_P(MoneyReturnedTest, ALostDisputeIsACreditNoteTheNetworkPaid) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());
  auto dispute = write([&](store::WriteTx& tx) {
    return credit_->open_dispute(tx, inv, {.reason = std::string("fraudulent")}, {});
  });
  ASSERT_TRUE(dispute.ok()) << dispute.error().message;
  EXPECT_TRUE(notes_of(inv).empty()) << "an open dispute returns nothing yet";
  auto lost =
      write([&](store::WriteTx& tx) { return credit_->close_dispute(tx, dispute->id, DisputeStatus::lost, {}); });
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  const auto notes = notes_of(inv);
  ASSERT_EQ(notes.size(), 1u);
  const CreditNote& note = notes[0];
  EXPECT_EQ(note.dispute, dispute->id);
  EXPECT_FALSE(note.refund.has_value());
  EXPECT_EQ(note.refund_amount, 5000);
  EXPECT_EQ(note.reason, CreditNoteReason::fraudulent_charge);
  EXPECT_EQ(note.refund_status, CreditRefundStatus::succeeded);
  EXPECT_EQ(types_of(note.id), (Strings{"credit_note.created", "credit_note.paid"}));
  EXPECT_EQ(types_of(inv).back(), "invoice.dispute_lost");
  // Nothing was refunded, and nothing is left to refund: the dispute holds it.
  EXPECT_EQ(stored_invoice(inv).amount_refunded, 0);
  auto more = refund(inv, 1);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().code, "nothing_to_refund");
}

TEST_P(MoneyReturnedTest, AWonDisputeMakesNoCreditNote) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());
  auto dispute = write([&](store::WriteTx& tx) { return credit_->open_dispute(tx, inv, {}, {}); });
  ASSERT_TRUE(dispute.ok()) << dispute.error().message;
  ASSERT_TRUE(
      write([&](store::WriteTx& tx) { return credit_->close_dispute(tx, dispute->id, DisputeStatus::won, {}); }).ok());
  EXPECT_TRUE(notes_of(inv).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, MoneyReturnedTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
