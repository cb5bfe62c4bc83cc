// Refunds, disputes, credit notes and the customer credit balance against a real SQLite store: one
// test per event type the credit service emits — stored with its change, in order among its
// neighbours on the invoice (or credit note), valid against the catalog's schema — and the bad
// requests that must change nothing.
#include "credit_fixture.hpp"
#include "support/wait.hpp"

namespace billhook::billing::testing {
namespace {

// --- refunds ---------------------------------------------------------------------------------------

TEST_P(CreditTest, RefundRequestedThenRefundedKeepsThePaidInvoicePaid) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  const size_t before = types_of(inv).size();

  auto r = refund(inv, 4000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, RefundStatus::processing);
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_EQ(r->allocations[0].amount, 4000);

  EXPECT_EQ(types_after(inv, before), (Strings{"invoice.refund_requested", "invoice.refunded"}));
  const auto events = events_of(inv);
  const auto requested = *last_of(events, "invoice.refund_requested");
  EXPECT_EQ(requested.object.at("refund").at("status"), "pending");
  EXPECT_EQ(requested.object.at("amount_refunded"), 0);
  const auto refunded = *last_of(events, "invoice.refunded");
  EXPECT_EQ(refunded.object.at("refund").at("status"), "processing");
  EXPECT_EQ(refunded.object.at("amount_refunded"), 4000);
  EXPECT_EQ(refunded.object.at("status"), "paid");
  EXPECT_EQ(refunded.object.at("payment_status"), "partially_refunded");
  EXPECT_EQ(refunded.previous.at("amount_refunded"), 0);

  const auto stored = stored_invoice(inv);
  EXPECT_EQ(stored.amount_refunded, 4000);
  EXPECT_EQ(stored.status, InvoiceStatus::paid);

  // The rest, by default everything that can still be given back.
  auto rest = refund(inv, std::nullopt);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->amount, 11900 - 4000);
  EXPECT_EQ(stored_invoice(inv).payment_status, PaymentStatus::refunded);
}

TEST_P(CreditTest, RefundConfirmedAsynchronously) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto r = refund(inv, 1000);
  ASSERT_TRUE(r.ok());
  clock_.advance(std::chrono::hours(2));
  auto confirmed = write([&](store::WriteTx& tx) { return credit_->confirm_refund(tx, r->id, {}); });
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().message;
  EXPECT_EQ(confirmed->status, RefundStatus::succeeded);
  const auto types = types_of(inv);
  EXPECT_EQ(types.back(), "invoice.refund_confirmed");
  EXPECT_EQ(types[types.size() - 2], "invoice.refunded");
  const auto event = *last_of(events_of(inv), "invoice.refund_confirmed");
  EXPECT_EQ(event.object.at("refund").at("status"), "succeeded");
  EXPECT_EQ(event.object.at("refund").at("confirmed_at"), kStartMs / 1000 + 7200);

  // Confirmed once only; the second answer is a conflict and adds nothing.
  auto again = write([&](store::WriteTx& tx) { return credit_->confirm_refund(tx, r->id, {}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(types_of(inv).size(), types.size());
}

TEST_P(CreditTest, RefundConfirmedByTheDocumentClockWhenTheSandboxConfirmsItOnItsOwn) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto r = refund(inv, 1000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->confirms_at, kStartMs / 1000 + kSandboxRefundConfirmationSeconds);
  ASSERT_TRUE(billhook::testing::wait_until([&] { return store_->runs_time_jobs(); }, std::chrono::seconds(10),
                                            "this node to lead the time-driven jobs"));
  DocumentClock clock(*store_, clock_);
  clock.on(kRefunds.kind, [this](store::WriteTx& tx, const Wake& wake) { return credit_->on_refund_wake(tx, wake); });
  ASSERT_TRUE(clock.run_once().ok());
  EXPECT_EQ(types_of(inv).back(), "invoice.refunded") << "not before the sandbox confirms it";

  clock_.advance(std::chrono::seconds(kSandboxRefundConfirmationSeconds));
  auto steps = clock.run_once();
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(*steps, 1);
  EXPECT_EQ(types_of(inv).back(), "invoice.refund_confirmed");
  auto stored = store_->find_document("refund", r->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(kRefunds.decode((*stored)->body)->status, RefundStatus::succeeded);
  EXPECT_FALSE((*stored)->wake_at) << "nothing left for time to do";

  // Later passes leave it alone.
  clock_.advance(std::chrono::hours(1));
  EXPECT_EQ(*clock.run_once(), 0);
}

TEST_P(CreditTest, RefundLargerThanOnePaymentIsSpreadProRata) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());
  ASSERT_TRUE(pay_external(inv, 6900).ok());
  auto r = refund(inv, 7000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->allocations.size(), 2u);
  // 7000 × 5000/11900 = 2941.18…, 7000 × 6900/11900 = 4058.82…: the spare unit goes to the larger remainder.
  EXPECT_EQ(r->allocations[0].amount, 2941);
  EXPECT_EQ(r->allocations[1].amount, 4059);
  const auto event = *last_of(events_of(inv), "invoice.refunded");
  EXPECT_TRUE(event.object.at("refund").at("payment").is_null()) << "spread over two payments";
  EXPECT_EQ(event.object.at("refund").at("allocations").as_array().size(), 2u);
}

TEST_P(CreditTest, RefundFailedWhenOnePartOfAProRataAllocationIsDeclined) {
  const auto cus = customer();
  attach(cus, kRefundsFailCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());
  ASSERT_TRUE(pay_card(inv).ok());  // the other 6900, on the card whose refunds are declined
  const auto paid = stored_invoice(inv);
  ASSERT_EQ(paid.status, InvoiceStatus::paid);
  const size_t before = types_of(inv).size();

  auto r = refund(inv, 8000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, RefundStatus::failed);
  EXPECT_EQ(r->failure_code, "prorata_allocation_failed");
  EXPECT_EQ(types_after(inv, before), (Strings{"invoice.refund_requested", "invoice.refund_failed"}));
  const auto event = *last_of(events_of(inv), "invoice.refund_failed");
  EXPECT_EQ(event.object.at("refund").at("failure_code"), "prorata_allocation_failed");
  EXPECT_EQ(event.object.at("refund").at("status"), "failed");
  EXPECT_EQ(event.object.at("amount_refunded"), 0);
  // Nothing moved: the part the processor had accepted was withdrawn.
  EXPECT_EQ(stored_invoice(inv), paid);
  for (const auto& a : r->allocations) EXPECT_FALSE(a.processor_reference);
}

TEST_P(CreditTest, RefundFailedOnOnePaymentCarriesTheProcessorsReason) {
  const auto cus = customer();
  attach(cus, kRefundsFailCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto r = refund(inv, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RefundStatus::failed);
  EXPECT_EQ(r->failure_code, "refund_declined");
  EXPECT_EQ(types_of(inv).back(), "invoice.refund_failed");
}

TEST_P(CreditTest, RefundAbovePaidIsRefusedAndChangesNothing) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 3000).ok());  // partly paid: open
  ASSERT_TRUE(refund(inv, 1000).ok());
  const auto before = stored_invoice(inv);
  const auto events = *store_->count_events();

  auto r = refund(inv, 2001);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(r.error().code, "refund_exceeds_paid");
  EXPECT_NE(r.error().message.find("20.00 EUR"), std::string::npos) << r.error().message;
  for (int64_t bad : {0, -5}) {
    auto negative = refund(inv, bad);
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(negative.error().param, "amount");
  }
  EXPECT_EQ(stored_invoice(inv), before);
  EXPECT_EQ(*store_->count_events(), events);
  EXPECT_EQ(documents({.kind = "refund", .parent_id = inv}).size(), 1u);

  // A draft has nothing to refund.
  const auto draft = draft_invoice(cus);
  auto on_draft = refund(draft, 100);
  ASSERT_FALSE(on_draft.ok());
  EXPECT_EQ(on_draft.error().kind, core::ErrorKind::conflict);
}

// --- disputes --------------------------------------------------------------------------------------

TEST_P(CreditTest, DisputeOpenedThenWonFreesTheMoneyAgain) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto dispute = write([&](store::WriteTx& tx) {
    return credit_->open_dispute(tx, inv, {.reason = std::string("fraudulent")}, {});
  });
  ASSERT_TRUE(dispute.ok()) << dispute.error().message;
  EXPECT_EQ(dispute->amount, 11900);
  EXPECT_EQ(types_of(inv).back(), "invoice.dispute_opened");
  EXPECT_EQ(last_of(events_of(inv), "invoice.dispute_opened")->object.at("dispute").at("status"), "needs_response");

  // Disputed money cannot be refunded as well.
  auto blocked = refund(inv, 100);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, "nothing_to_refund");

  auto won = write([&](store::WriteTx& tx) { return credit_->close_dispute(tx, dispute->id, DisputeStatus::won, {}); });
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_EQ(types_of(inv).back(), "invoice.dispute_won");
  EXPECT_EQ(last_of(events_of(inv), "invoice.dispute_won")->object.at("dispute").at("status"), "won");
  EXPECT_FALSE(stored_invoice(inv).dispute_lost_at);
  EXPECT_TRUE(refund(inv, 100).ok());

  auto twice =
      write([&](store::WriteTx& tx) { return credit_->close_dispute(tx, dispute->id, DisputeStatus::lost, {}); });
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, core::ErrorKind::conflict);
}

TEST_P(CreditTest, DisputeLostMarksTheInvoiceAndEndsItsReminders) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());  // partly paid, due in 30 days
  auto dispute = write([&](store::WriteTx& tx) { return credit_->open_dispute(tx, inv, {}, {}); });
  ASSERT_TRUE(dispute.ok()) << dispute.error().message;
  EXPECT_EQ(dispute->amount, 5000);
  clock_.advance(std::chrono::hours(24));
  auto lost =
      write([&](store::WriteTx& tx) { return credit_->close_dispute(tx, dispute->id, DisputeStatus::lost, {}); });
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  const auto event = *last_of(events_of(inv), "invoice.dispute_lost");
  EXPECT_EQ(event.object.at("dispute").at("status"), "lost");
  EXPECT_EQ(event.object.at("dispute_lost_at"), kStartMs / 1000 + 86400);
  EXPECT_TRUE(event.previous.contains("dispute_lost_at"));
  EXPECT_EQ(stored_invoice(inv).dispute_lost_at, kStartMs / 1000 + 86400);

  // As Lago clears payment_overdue: no reminder and no overdue notice any more.
  clock_.advance(std::chrono::hours(24 * 45));
  ASSERT_GE(run_scheduler(), 0);
  const auto types = types_of(inv);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.overdue"), 0);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.will_be_due"), 0);
}

TEST_P(CreditTest, DisputeAboveThePaymentIsRefused) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 5000).ok());
  const auto events = *store_->count_events();
  auto d = write([&](store::WriteTx& tx) { return credit_->open_dispute(tx, inv, {.amount = 5001}, {}); });
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "dispute_exceeds_payment");
  EXPECT_EQ(*store_->count_events(), events);
}

// --- credit notes ----------------------------------------------------------------------------------

TEST_P(CreditTest, CreditNoteBeforePaymentCreditsTheInvoice) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  const size_t before = types_of(inv).size();
  auto note = credit_note(inv, 2000);
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(note->pre_payment_amount, 2000);
  EXPECT_EQ(note->credit_amount, 0);
  EXPECT_EQ(note->credit_status, CreditStatus::consumed);
  EXPECT_EQ(note->number, *stored_invoice(inv).number + "-CN-01");

  EXPECT_EQ(types_of(note->id), Strings{"credit_note.created"});
  EXPECT_EQ(types_after(inv, before), Strings{"invoice.credited"});
  const auto credited = *last_of(events_of(inv), "invoice.credited");
  EXPECT_EQ(credited.object.at("credit_note"), json::value(note->id));
  EXPECT_EQ(credited.object.at("amount_credited"), 2000);
  EXPECT_EQ(credited.object.at("amount_remaining"), 9900);
  EXPECT_EQ(credited.previous.at("amount_remaining"), 11900);
  EXPECT_EQ(stored_invoice(inv).status, InvoiceStatus::open);
}

TEST_P(CreditTest, CreditNoteForEverythingDueSettlesTheInvoice) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  const size_t before = types_of(inv).size();
  auto note = credit_note(inv, 11900);
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(types_after(inv, before),
            (Strings{"invoice.credited", "invoice.payment_status_updated", "invoice.paid"}));
  const auto stored = stored_invoice(inv);
  EXPECT_EQ(stored.status, InvoiceStatus::paid);
  EXPECT_EQ(stored.paid_via, PaidVia::credit);
  EXPECT_EQ(stored.amount_remaining, 0);
}

TEST_P(CreditTest, CreditNoteAfterPaymentSplitsIntoRefundAndCustomerBalance) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  const size_t before = types_of(inv).size();
  const size_t customer_before = types_of(cus).size();

  auto note = credit_note(inv, 5000, /*refund=*/3000, /*credit=*/2000);
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(note->pre_payment_amount, 0);
  EXPECT_EQ(note->refund_status, CreditRefundStatus::succeeded);
  EXPECT_EQ(note->credit_status, CreditStatus::available);
  ASSERT_TRUE(note->refund);

  EXPECT_EQ(types_of(note->id), (Strings{"credit_note.created", "credit_note.paid"}));
  const auto paid = *last_of(events_of(note->id), "credit_note.paid");
  EXPECT_EQ(paid.object.at("refund_status"), "succeeded");
  EXPECT_EQ(paid.object.at("refund_amount"), 3000);
  EXPECT_EQ(types_after(inv, before), (Strings{"invoice.refund_requested", "invoice.refunded"}));
  EXPECT_EQ(last_of(events_of(inv), "invoice.refunded")->object.at("refund").at("credit_note"), json::value(note->id));
  EXPECT_EQ(stored_invoice(inv).amount_refunded, 3000);

  // The credit part: the balance and its ledger.
  EXPECT_EQ(types_after(cus, customer_before), Strings{"customer.updated"});
  EXPECT_EQ(stored_customer(cus).balance, -2000);
  const auto ledger = ledger_of(cus);
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].type, BalanceEntryType::credit_note);
  EXPECT_EQ(ledger[0].amount, -2000);
  EXPECT_EQ(ledger[0].credit_note, note->id);
  EXPECT_EQ(ledger[0].ending_balance, -2000);
}

TEST_P(CreditTest, CreditNoteRefundFailed) {
  const auto cus = customer();
  attach(cus, kRefundsFailCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  auto note = credit_note(inv, 3000, /*refund=*/3000);
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(note->refund_status, CreditRefundStatus::failed);
  EXPECT_EQ(types_of(note->id), (Strings{"credit_note.created", "credit_note.refund_failed"}));
  const auto failed = *last_of(events_of(note->id), "credit_note.refund_failed");
  EXPECT_EQ(failed.object.at("refund_error").at("code"), "refund_declined");
  EXPECT_EQ(failed.previous.at("refund_status"), "pending");
  EXPECT_EQ(types_of(inv).back(), "invoice.refund_failed");
  EXPECT_EQ(stored_invoice(inv).amount_refunded, 0);
}

TEST_P(CreditTest, CreditNoteVoidedGivesTheCreditBack) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  auto note = credit_note(inv, 2000);
  ASSERT_TRUE(note.ok());
  const size_t before = types_of(inv).size();
  auto voided = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note->id, {}); });
  ASSERT_TRUE(voided.ok()) << voided.error().message;
  EXPECT_EQ(voided->status, CreditNoteStatus::voided);
  EXPECT_EQ(types_of(note->id), (Strings{"credit_note.created", "credit_note.voided"}));
  const auto event = *last_of(events_of(note->id), "credit_note.voided");
  EXPECT_EQ(event.object.at("status"), "voided");
  EXPECT_EQ(event.previous.at("status"), "issued");
  EXPECT_EQ(types_after(inv, before), Strings{"invoice.updated"});
  const auto stored = stored_invoice(inv);
  EXPECT_EQ(stored.amount_remaining, 11900);
  EXPECT_EQ(stored.credit_notes_outstanding, 0);

  auto again = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note->id, {}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  // With its credit note voided, the invoice can be voided.
  EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->apply(tx, inv, Void{}, {}); }).ok());
}

TEST_P(CreditTest, CreditNoteVoidedTakesItsCreditOffTheBalance) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 11900).ok());
  auto note = credit_note(inv, 2500);  // after payment, all to the balance
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(note->credit_amount, 2500);
  EXPECT_EQ(stored_customer(cus).balance, -2500);
  auto voided = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note->id, {}); });
  ASSERT_TRUE(voided.ok()) << voided.error().message;
  EXPECT_EQ(stored_customer(cus).balance, 0);
  const auto ledger = ledger_of(cus);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[1].type, BalanceEntryType::credit_note_voided);
  EXPECT_EQ(ledger[1].amount, 2500);
  EXPECT_EQ(ledger[1].ending_balance, 0);
}

TEST_P(CreditTest, CreditNoteOnADraftIsRefusedAndChangesNothing) {
  const auto cus = customer();
  const auto draft = draft_invoice(cus);
  const auto before = stored_invoice(draft);
  const auto events = *store_->count_events();
  auto note = credit_note(draft, 1000);
  ASSERT_FALSE(note.ok());
  EXPECT_EQ(note.error().kind, core::ErrorKind::conflict);
  EXPECT_NE(note.error().message.find("draft"), std::string::npos) << note.error().message;
  EXPECT_EQ(stored_invoice(draft), before);
  EXPECT_EQ(*store_->count_events(), events);
  EXPECT_TRUE(documents({.kind = "credit_note"}).empty());
}

TEST_P(CreditTest, CreditNoteWithBadAmountsIsRefusedAndChangesNothing) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 11900).ok());
  const auto before = stored_invoice(inv);
  const auto events = *store_->count_events();
  struct Case {
    int64_t total;
    std::optional<int64_t> refund, credit;
    core::ErrorKind kind;
    std::string code;
  };
  for (const auto& c : std::vector<Case>{{-100, {}, {}, core::ErrorKind::invalid_request, "parameter_invalid"},
                                         {0, {}, {}, core::ErrorKind::invalid_request, "parameter_invalid"},
                                         {1000, -1, 1001, core::ErrorKind::invalid_request, "parameter_invalid"},
                                         {1000, 300, 300, core::ErrorKind::invalid_request,
                                          "credit_note_split_mismatch"},
                                         {11901, {}, {}, core::ErrorKind::conflict, "credit_note_exceeds_invoice"}}) {
    auto note = credit_note(inv, c.total, c.refund, c.credit);
    ASSERT_FALSE(note.ok()) << c.total;
    EXPECT_EQ(note.error().kind, c.kind) << c.total;
    EXPECT_EQ(note.error().code, c.code) << c.total << ": " << note.error().message;
  }
  EXPECT_EQ(stored_invoice(inv), before);
  EXPECT_EQ(*store_->count_events(), events);
  EXPECT_TRUE(ledger_of(cus).empty());
}

TEST_P(CreditTest, VoidOfAPaidInvoiceIsRefused) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 11900).ok());
  const auto before = stored_invoice(inv);
  auto voided = write([&](store::WriteTx& tx) { return service_->apply(tx, inv, Void{}, {}); });
  ASSERT_FALSE(voided.ok());
  EXPECT_EQ(voided.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(stored_invoice(inv), before);
}

TEST_P(CreditTest, CreditNoteDraftMovesNothingUntilIssuedThenSplitsAgainstTheInvoiceAsItIsNow) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  const auto before = stored_invoice(inv);
  const auto events = *store_->count_events();
  CreditNoteCreate request{.invoice_id = inv, .split = {.total = 2000}, .reason = CreditNoteReason::other,
                           .draft = true};
  auto draft = write([&](store::WriteTx& tx) { return credit_->create_credit_note(tx, request, {}); });
  ASSERT_TRUE(draft.ok()) << draft.error().message;
  EXPECT_EQ(draft->status, CreditNoteStatus::draft);
  EXPECT_EQ(draft->pre_payment_amount, 2000) << "a preview against the open invoice";
  EXPECT_EQ(stored_invoice(inv), before);
  EXPECT_EQ(*store_->count_events(), events) << "a draft is announced to no one";

  // Paid in full meanwhile: issued now, the note's amount is money already paid, so it goes onto the balance.
  ASSERT_TRUE(pay_external(inv, 11900).ok());
  auto issued = write([&](store::WriteTx& tx) { return credit_->issue_credit_note(tx, draft->id, {}); });
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_EQ(issued->status, CreditNoteStatus::issued);
  EXPECT_EQ(issued->id, draft->id);
  EXPECT_EQ(issued->number, draft->number);
  EXPECT_EQ(issued->pre_payment_amount, 0);
  EXPECT_EQ(issued->credit_amount, 2000);
  EXPECT_EQ(types_of(draft->id), Strings{"credit_note.created"});
  EXPECT_EQ(stored_customer(cus).balance, -2000);

  auto twice = write([&](store::WriteTx& tx) { return credit_->issue_credit_note(tx, draft->id, {}); });
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, core::ErrorKind::conflict);
}

TEST_P(CreditTest, CreditNoteDraftWhoseSplitNoLongerAddsUpStaysADraft) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_external(inv, 11900).ok());
  CreditNoteCreate request{.invoice_id = inv, .split = {.total = 3000, .refund_amount = 3000},
                           .reason = CreditNoteReason::duplicated_charge, .draft = true};
  auto draft = write([&](store::WriteTx& tx) { return credit_->create_credit_note(tx, request, {}); });
  ASSERT_TRUE(draft.ok()) << draft.error().message;
  ASSERT_TRUE(refund(inv, 10000).ok());  // only 19.00 EUR can still be given back
  auto issued = write([&](store::WriteTx& tx) { return credit_->issue_credit_note(tx, draft->id, {}); });
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.error().code, "credit_note_exceeds_invoice");
  EXPECT_EQ(stored_note(draft->id), *draft);

  // A draft is voided without a word: it moved nothing and was never announced.
  auto voided = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, draft->id, {}); });
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(voided->status, CreditNoteStatus::voided);
  EXPECT_TRUE(types_of(draft->id).empty());
}

// --- the customer's credit balance -----------------------------------------------------------------

TEST_P(CreditTest, OverpaymentIsALedgerEntryThatALaterInvoiceDraws) {
  const auto cus = customer();
  const auto first = open_invoice(cus);
  ASSERT_TRUE(pay_external(first, 15000).ok());
  auto ledger = ledger_of(cus);
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].type, BalanceEntryType::overpayment);
  EXPECT_EQ(ledger[0].amount, -3100);
  EXPECT_EQ(ledger[0].invoice, first);
  EXPECT_EQ(stored_customer(cus).balance, -3100);

  const auto second = open_invoice(cus);
  const size_t before = types_of(second).size();
  auto applied = write([&](store::WriteTx& tx) { return credit_->apply_balance(tx, second, false, {}); });
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->amount_remaining, 11900 - 3100);
  EXPECT_EQ(types_after(second, before), Strings{"invoice.credited"});
  ledger = ledger_of(cus);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[1].type, BalanceEntryType::applied_to_invoice);
  EXPECT_EQ(ledger[1].amount, 3100);
  EXPECT_EQ(last_of(events_of(second), "invoice.credited")->object.at("balance_transaction"),
            json::value(ledger[1].id));
  EXPECT_EQ(stored_customer(cus).balance, 0);

  // Nothing left to draw: a conflict that says so, and nothing changes.
  const auto events = *store_->count_events();
  auto none = write([&](store::WriteTx& tx) { return credit_->apply_balance(tx, second, false, {}); });
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "nothing_to_apply");
  EXPECT_EQ(*store_->count_events(), events);
}

TEST_P(CreditTest, BalanceDrawnFromACreditNoteConsumesItAndSettles) {
  const auto cus = customer();
  const auto paid = open_invoice(cus);
  ASSERT_TRUE(pay_external(paid, 11900).ok());
  auto note = credit_note(paid, 11900);  // all of it onto the balance
  ASSERT_TRUE(note.ok()) << note.error().message;
  const auto next = open_invoice(cus, 4000);  // 9520
  const size_t before = types_of(next).size();
  auto applied = write([&](store::WriteTx& tx) { return credit_->apply_balance(tx, next, false, {}); });
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->status, InvoiceStatus::paid);
  EXPECT_EQ(types_after(next, before), (Strings{"invoice.credited", "invoice.payment_status_updated", "invoice.paid"}));
  const auto stored = stored_note(note->id);
  EXPECT_EQ(stored.credit_remaining, 11900 - 9520);
  EXPECT_EQ(stored.credit_status, CreditStatus::available);
  // Drawn on, it can no longer be voided.
  auto voided = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note->id, {}); });
  ASSERT_FALSE(voided.ok());
  EXPECT_EQ(voided.error().code, "credit_note_consumed");
}

INSTANTIATE_TEST_SUITE_P(Backends, CreditTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
