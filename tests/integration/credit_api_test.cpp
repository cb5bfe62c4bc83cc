// Refunds, disputes, credit notes and the customer credit balance through the real binary: each of
// their events, driven by the API, arrives at a loopback receiver in order per invoice (and per
// credit note); the balance and its ledger read back through the API; and bad requests answer 400
// or 409 with a clear message and change nothing.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Types = std::vector<std::string>;

// Every event goes to the receiver's /hook.
class CreditApiTest : public BillingServerTest {
 protected:
  void endpoint(json::array event_types) { BillingServerTest::endpoint("/hook", std::move(event_types)); }
  Types received(const std::string& aggregate_id) const { return BillingServerTest::received("/hook", aggregate_id); }
  ::testing::AssertionResult await_received(const std::string& aggregate_id, size_t n) const {
    return BillingServerTest::await_received("/hook", aggregate_id, n);
  }
};

const json::array kRegionD = {"invoice.refund_requested", "invoice.refunded",      "invoice.refund_confirmed",
                              "invoice.refund_failed",    "invoice.dispute_opened", "invoice.dispute_won",
                              "invoice.dispute_lost",     "invoice.credited",       "credit_note.*"};

TEST_F(CreditApiTest, RefundAndDisputeEventsArriveInOrder) {
  endpoint(kRegionD);
  const auto cus = api_->customer();
  api_->card(cus, kGoodCard);
  const auto inv = api_->invoice(cus);
  ASSERT_EQ(str(api_->pay(inv).at("status")), "paid");

  const auto refund = api_->refund(inv, {{"amount", 4000}, {"reason", "requested"}});
  EXPECT_EQ(str(refund.at("status")), "processing");
  const auto refund_id = str(refund.at("id"));
  const auto confirmed = api_->confirm_refund(refund_id);
  EXPECT_EQ(str(confirmed.at("status")), "succeeded");
  EXPECT_EQ(api_->get("/v1/refunds/" + refund_id), confirmed);
  const auto invoice_now = api_->invoice_of(inv);
  EXPECT_EQ(invoice_now.at("amount_refunded"), 4000);
  EXPECT_EQ(str(invoice_now.at("payment_status")), "partially_refunded");

  const auto won = api_->dispute(inv, {{"amount", 1000}, {"reason", "fraudulent"}});
  EXPECT_EQ(str(api_->close_dispute(str(won.at("id")), "won").at("status")), "won");
  const auto lost = api_->dispute(inv);
  EXPECT_EQ(lost.at("amount"), 11900 - 4000);
  EXPECT_EQ(str(api_->close_dispute(str(lost.at("id")), "lost").at("status")), "lost");
  EXPECT_FALSE(api_->invoice_of(inv).at("dispute_lost_at").is_null());
  EXPECT_EQ(api_->get("/v1/invoices/" + inv + "/refunds").at("data").as_array().size(), 1u);
  EXPECT_EQ(api_->get("/v1/invoices/" + inv + "/disputes").at("data").as_array().size(),
            2u);

  ASSERT_TRUE(await_received(inv, 7));
  EXPECT_EQ(received(inv), (Types{"invoice.refund_requested", "invoice.refunded", "invoice.refund_confirmed",
                                  "invoice.dispute_opened", "invoice.dispute_won", "invoice.dispute_opened",
                                  "invoice.dispute_lost"}));
}

TEST_F(CreditApiTest, RefundSpreadOverTwoPaymentsFailsProRata) {
  endpoint(kRegionD);
  const auto cus = api_->customer();
  api_->card(cus, kRefundsFailCard);
  const auto inv = api_->invoice(cus);
  api_->pay(inv, {{"external", true}, {"amount", 5000}});
  ASSERT_EQ(str(api_->pay(inv).at("status")), "paid");
  const auto refund = api_->refund(inv, {{"amount", 8000}});
  EXPECT_EQ(str(refund.at("status")), "failed");
  EXPECT_EQ(str(refund.at("failure_code")), "prorata_allocation_failed");
  EXPECT_EQ(refund.at("allocations").as_array().size(), 2u);
  EXPECT_EQ(api_->invoice_of(inv).at("amount_refunded"), 0);
  ASSERT_TRUE(await_received(inv, 2));
  EXPECT_EQ(received(inv), (Types{"invoice.refund_requested", "invoice.refund_failed"}));
  for (const auto& r : rx_.requests_for("/hook")) {
    const auto body = r.json();
    if (str(body.at("type")) == "invoice.refund_failed") {
      EXPECT_EQ(str(body.at("data").at("object").at("refund").at("failure_code")), "prorata_allocation_failed");
    }
  }
}

TEST_F(CreditApiTest, CreditNoteEventsArriveInOrder) {
  endpoint(kRegionD);
  const auto cus = api_->customer();
  api_->card(cus, kGoodCard);

  // Before payment: the invoice is credited; voiding gives the amount back.
  const auto open = api_->invoice(cus);
  const auto pre = api_->credit_note({{"invoice", open}, {"amount", 2000}, {"reason", "order_change"}});
  EXPECT_EQ(pre.at("pre_payment_amount"), 2000);
  EXPECT_EQ(api_->invoice_of(open).at("amount_remaining"), 9900);
  const auto pre_id = str(pre.at("id"));
  EXPECT_EQ(str(api_->void_credit_note(pre_id).at("status")), "voided");
  EXPECT_EQ(api_->invoice_of(open).at("amount_remaining"), 11900);

  // After payment: refunded (paid out) and credited to the balance.
  const auto paid = api_->invoice(cus);
  api_->pay(paid);
  const auto post_note = api_->credit_note({{"invoice", paid},
                                           {"amount", 5000},
                                           {"refund_amount", 3000},
                                           {"credit_amount", 2000},
                                           {"reason", "product_unsatisfactory"}});
  EXPECT_EQ(str(post_note.at("refund_status")), "succeeded");
  const auto post_id = str(post_note.at("id"));
  EXPECT_EQ(api_->get("/v1/credit-notes/" + post_id), post_note);

  // A refund the processor declines.
  const auto other = api_->customer();
  api_->card(other, kRefundsFailCard);
  const auto declined_inv = api_->invoice(other);
  api_->pay(declined_inv);
  const auto declined =
      api_->credit_note({{"invoice", declined_inv}, {"amount", 1000}, {"refund_amount", 1000}});
  EXPECT_EQ(str(declined.at("refund_status")), "failed");
  const auto declined_id = str(declined.at("id"));

  ASSERT_TRUE(await_received(pre_id, 2));
  ASSERT_TRUE(await_received(post_id, 2));
  ASSERT_TRUE(await_received(declined_id, 2));
  ASSERT_TRUE(await_received(open, 1));
  ASSERT_TRUE(await_received(paid, 2));
  ASSERT_TRUE(await_received(declined_inv, 2));
  EXPECT_EQ(received(pre_id), (Types{"credit_note.created", "credit_note.voided"}));
  EXPECT_EQ(received(post_id), (Types{"credit_note.created", "credit_note.paid"}));
  EXPECT_EQ(received(declined_id), (Types{"credit_note.created", "credit_note.refund_failed"}));
  EXPECT_EQ(received(open), Types{"invoice.credited"});
  EXPECT_EQ(received(paid), (Types{"invoice.refund_requested", "invoice.refunded"}));
  EXPECT_EQ(received(declined_inv), (Types{"invoice.refund_requested", "invoice.refund_failed"}));

  // A draft is announced only once issued.
  const auto draft = api_->credit_note({{"invoice", paid}, {"amount", 500}, {"draft", true}});
  EXPECT_EQ(str(draft.at("status")), "draft");
  const auto draft_id = str(draft.at("id"));
  EXPECT_EQ(api_->events_about(draft_id), 0u);
  EXPECT_EQ(str(api_->issue_credit_note(draft_id).at("status")), "issued");
  ASSERT_TRUE(await_received(draft_id, 1));
  EXPECT_EQ(received(draft_id), Types{"credit_note.created"});

  // Listing by invoice.
  const auto listed = api_->get("/v1/credit-notes?invoice=" + paid);
  ASSERT_EQ(listed.at("data").as_array().size(), 2u);
  EXPECT_EQ(str(listed.at("data").as_array()[0].at("id")), draft_id);  // newest first
  EXPECT_EQ(str(listed.at("data").as_array()[1].at("id")), post_id);
}

TEST_F(CreditApiTest, CreditBalanceIsALedgerThatTheNextInvoiceDraws) {
  endpoint({"invoice.credited", "invoice.paid"});
  const auto cus = api_->customer();
  const auto first = api_->invoice(cus);
  api_->pay(first, {{"external", true}, {"amount", 15000}});  // 31.00 EUR too much

  const auto balance = api_->balance(cus);
  EXPECT_EQ(balance.at("balance"), -3100);
  EXPECT_EQ(balance.at("available_credit"), 3100);
  EXPECT_EQ(str(balance.at("currency")), "EUR");
  auto ledger = api_->balance_transactions(cus);
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(str(ledger[0].at("type")), "overpayment");
  EXPECT_EQ(ledger[0].at("amount"), -3100);

  // Finalizing the next invoice draws the balance at once.
  const auto next = api_->invoice(cus);
  const auto drawn = api_->invoice_of(next);
  EXPECT_EQ(drawn.at("amount_credited"), 3100);
  EXPECT_EQ(drawn.at("amount_remaining"), 11900 - 3100);
  EXPECT_EQ(api_->balance(cus).at("balance"), 0);
  ledger = api_->balance_transactions(cus);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(str(ledger[0].at("type")), "applied_to_invoice");  // newest first
  ASSERT_TRUE(await_received(next, 1));
  EXPECT_EQ(received(next), Types{"invoice.credited"});

  // Nothing left: asking again is a conflict.
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + next + "/apply-balance", std::string_view{}), 409,
                       "nothing_to_apply"));
}

TEST_F(CreditApiTest, BadRequestsAnswer4xxAndChangeNothing) {
  const auto cus = api_->customer();
  const auto paid = api_->invoice(cus);
  api_->pay(paid, {{"external", true}, {"amount", 11900}});
  const auto draft = api_->draft(cus);
  const auto paid_before = client_->get("/v1/invoices/" + paid).body;
  const auto draft_before = client_->get("/v1/invoices/" + draft).body;
  const auto events_before = count_all(*client_, "/v1/events");

  // A refund above what was paid.
  auto r = client_->post("/v1/invoices/" + paid + "/refunds", json::object{{"amount", 11901}});
  EXPECT_TRUE(is_error(r, 409, "refund_exceeds_paid", "amount"));
  EXPECT_NE(r.body.find("119.00 EUR"), std::string::npos) << r.body;
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + paid + "/refunds", json::object{{"amount", -1}}), 400, "",
                       "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + paid + "/refunds", json::object{{"amount", "10"}}), 400, "",
                       "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + paid + "/refunds", json::object{{"amout", 10}}), 400,
                       "unknown_parameter"));
  // A credit note on a draft, with an unknown reason, or a negative amount.
  r = client_->post("/v1/credit-notes", json::object{{"invoice", draft}, {"amount", 100}});
  EXPECT_TRUE(is_error(r, 409, "invalid_transition"));
  EXPECT_NE(r.body.find("draft"), std::string::npos) << r.body;
  EXPECT_TRUE(is_error(client_->post("/v1/credit-notes",
                                     json::object{{"invoice", paid}, {"amount", 100}, {"reason", "changed_my_mind"}}),
                       400, "invalid_value", "reason"));
  EXPECT_TRUE(is_error(client_->post("/v1/credit-notes", json::object{{"invoice", paid}, {"amount", -100}}), 400, "",
                       "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/credit-notes",
                                     json::object{{"invoice", paid}, {"amount", 100}, {"refund_amount", -100}}),
                       400, "", "refund_amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/credit-notes", json::object{{"invoice", paid}}), 400, "missing_field",
                       "amount"));
  // Void of a paid invoice.
  r = client_->post("/v1/invoices/" + paid + "/void", std::string_view{});
  EXPECT_TRUE(is_error(r, 409, "invalid_transition"));
  EXPECT_NE(r.body.find("paid"), std::string::npos) << r.body;
  // A dispute decided twice, or with an unknown outcome.
  EXPECT_TRUE(is_error(client_->post("/v1/disputes/dp_01JD3Y8F6W5Q2N4M7K9C1B3X5Z/close",
                                     json::object{{"status", "won"}}),
                       404, "dispute_not_found"));

  EXPECT_EQ(client_->get("/v1/invoices/" + paid).body, paid_before);
  EXPECT_EQ(client_->get("/v1/invoices/" + draft).body, draft_before);
  EXPECT_EQ(count_all(*client_, "/v1/events"), events_before);
  EXPECT_EQ(count_all(*client_, "/v1/credit-notes"), 0u);
  EXPECT_EQ(api_->balance(cus).at("balance"), 0);
}

}  // namespace
}  // namespace billhook::testing
