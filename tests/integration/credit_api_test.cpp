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

constexpr const char* kGoodCard = "4242424242424242";
constexpr const char* kRefundsFailCard = "4000000000005126";

class CreditApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.extra_args = {"--allow-networks", "127.0.0.0/8", "--test-clock"};
    server_ = std::make_unique<ServerProcess>(options);
    client_ = std::make_unique<HttpClient>(client_for(*server_));
  }

  json::object ok(const Response& r, int status, const std::string& what) {
    if (r.status != status) throw std::runtime_error(what + ": " + describe(r));
    return r.json().as_object();
  }

  void endpoint(json::array event_types) {
    ok(client_->post("/v1/endpoints", json::object{{"url", rx_.url("/hook")}, {"event_types", std::move(event_types)}}),
       201, "create endpoint");
  }

  std::string customer() {
    return str(ok(client_->post("/v1/customers", json::object{{"name", "Ada"}}), 201, "create customer").at("id"));
  }

  void card(const std::string& customer_id, const char* number) {
    ok(client_->post("/v1/payment-methods",
                     json::object{{"customer", customer_id},
                                  {"type", "card"},
                                  {"card", json::object{{"number", number}, {"exp_month", 12}, {"exp_year", 2035}}}}),
       201, "attach card");
  }

  // 2 × 50.00 EUR at 19 %: 119.00 EUR.
  json::object invoice_body(const std::string& customer_id, bool issued = true) {
    json::object body{{"customer", customer_id},
                      {"currency", "EUR"},
                      {"days_until_due", 10},
                      {"lines", json::array{json::object{{"description", "Consulting"},
                                                         {"quantity", 2},
                                                         {"unit_amount", 5000},
                                                         {"tax_rate_bps", 1900}}}}};
    if (issued) body["auto_finalize"] = true;
    return body;
  }

  std::string invoice(const std::string& customer_id, bool issued = true) {
    return str(ok(client_->post("/v1/invoices", invoice_body(customer_id, issued)), 201, "create invoice").at("id"));
  }

  json::object post(const std::string& path, json::object body, int status = 200) {
    return ok(client_->post(path, body), status, "POST " + path);
  }

  // The event types the receiver got about `aggregate_id`, in arrival order.
  Types received(const std::string& aggregate_id) {
    Types out;
    for (const auto& r : rx_.requests_for("/hook")) {
      const auto body = r.json();
      if (str(body.at("aggregate").at("id")) == aggregate_id) out.push_back(str(body.at("type")));
    }
    return out;
  }

  bool await_received(const std::string& aggregate_id, size_t n) {
    return rx_.wait_until(
        [&](const std::vector<ReceivedRequest>& requests) {
          size_t count = 0;
          for (const auto& r : requests)
            if (r.path == "/hook" && str(r.json().at("aggregate").at("id")) == aggregate_id) ++count;
          return count >= n;
        },
        20s);
  }

  size_t events_about(const std::string& id) { return count_all(*client_, "/v1/events?aggregate_id=" + id); }

  Receiver rx_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

const json::array kRegionD = {"invoice.refund_requested", "invoice.refunded",      "invoice.refund_confirmed",
                              "invoice.refund_failed",    "invoice.dispute_opened", "invoice.dispute_won",
                              "invoice.dispute_lost",     "invoice.credited",       "credit_note.*"};

TEST_F(CreditApiTest, RefundAndDisputeEventsArriveInOrder) {
  endpoint(kRegionD);
  const auto cus = customer();
  card(cus, kGoodCard);
  const auto inv = invoice(cus);
  ASSERT_EQ(str(post("/v1/invoices/" + inv + "/pay", {}).at("status")), "paid");

  const auto refund = post("/v1/invoices/" + inv + "/refunds", {{"amount", 4000}, {"reason", "requested"}}, 201);
  EXPECT_EQ(str(refund.at("status")), "processing");
  const auto refund_id = str(refund.at("id"));
  const auto confirmed = post("/v1/refunds/" + refund_id + "/confirm", {});
  EXPECT_EQ(str(confirmed.at("status")), "succeeded");
  EXPECT_EQ(ok(client_->get("/v1/refunds/" + refund_id), 200, "get refund"), confirmed);
  const auto invoice_now = ok(client_->get("/v1/invoices/" + inv), 200, "get invoice");
  EXPECT_EQ(invoice_now.at("amount_refunded"), 4000);
  EXPECT_EQ(str(invoice_now.at("payment_status")), "partially_refunded");

  const auto won = post("/v1/invoices/" + inv + "/disputes", {{"amount", 1000}, {"reason", "fraudulent"}}, 201);
  EXPECT_EQ(str(post("/v1/disputes/" + str(won.at("id")) + "/close", {{"status", "won"}}).at("status")), "won");
  const auto lost = post("/v1/invoices/" + inv + "/disputes", {}, 201);
  EXPECT_EQ(lost.at("amount"), 11900 - 4000);
  EXPECT_EQ(str(post("/v1/disputes/" + str(lost.at("id")) + "/close", {{"status", "lost"}}).at("status")), "lost");
  EXPECT_FALSE(ok(client_->get("/v1/invoices/" + inv), 200, "get invoice").at("dispute_lost_at").is_null());
  EXPECT_EQ(ok(client_->get("/v1/invoices/" + inv + "/refunds"), 200, "list refunds").at("data").as_array().size(), 1u);
  EXPECT_EQ(ok(client_->get("/v1/invoices/" + inv + "/disputes"), 200, "list disputes").at("data").as_array().size(),
            2u);

  ASSERT_TRUE(await_received(inv, 7));
  EXPECT_EQ(received(inv), (Types{"invoice.refund_requested", "invoice.refunded", "invoice.refund_confirmed",
                                  "invoice.dispute_opened", "invoice.dispute_won", "invoice.dispute_opened",
                                  "invoice.dispute_lost"}));
}

TEST_F(CreditApiTest, RefundSpreadOverTwoPaymentsFailsProRata) {
  endpoint(kRegionD);
  const auto cus = customer();
  card(cus, kRefundsFailCard);
  const auto inv = invoice(cus);
  post("/v1/invoices/" + inv + "/pay", {{"external", true}, {"amount", 5000}});
  ASSERT_EQ(str(post("/v1/invoices/" + inv + "/pay", {}).at("status")), "paid");
  const auto refund = post("/v1/invoices/" + inv + "/refunds", {{"amount", 8000}}, 201);
  EXPECT_EQ(str(refund.at("status")), "failed");
  EXPECT_EQ(str(refund.at("failure_code")), "prorata_allocation_failed");
  EXPECT_EQ(refund.at("allocations").as_array().size(), 2u);
  EXPECT_EQ(ok(client_->get("/v1/invoices/" + inv), 200, "get invoice").at("amount_refunded"), 0);
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
  const auto cus = customer();
  card(cus, kGoodCard);

  // Before payment: the invoice is credited; voiding gives the amount back.
  const auto open = invoice(cus);
  const auto pre = post("/v1/credit-notes", {{"invoice", open}, {"amount", 2000}, {"reason", "order_change"}}, 201);
  EXPECT_EQ(pre.at("pre_payment_amount"), 2000);
  EXPECT_EQ(ok(client_->get("/v1/invoices/" + open), 200, "get invoice").at("amount_remaining"), 9900);
  const auto pre_id = str(pre.at("id"));
  EXPECT_EQ(str(post("/v1/credit-notes/" + pre_id + "/void", {}).at("status")), "voided");
  EXPECT_EQ(ok(client_->get("/v1/invoices/" + open), 200, "get invoice").at("amount_remaining"), 11900);

  // After payment: refunded (paid out) and credited to the balance.
  const auto paid = invoice(cus);
  post("/v1/invoices/" + paid + "/pay", {});
  const auto post_note = post("/v1/credit-notes",
                              {{"invoice", paid},
                               {"amount", 5000},
                               {"refund_amount", 3000},
                               {"credit_amount", 2000},
                               {"reason", "product_unsatisfactory"}},
                              201);
  EXPECT_EQ(str(post_note.at("refund_status")), "succeeded");
  const auto post_id = str(post_note.at("id"));
  EXPECT_EQ(ok(client_->get("/v1/credit-notes/" + post_id), 200, "get credit note"), post_note);

  // A refund the processor declines.
  const auto other = customer();
  card(other, kRefundsFailCard);
  const auto declined_inv = invoice(other);
  post("/v1/invoices/" + declined_inv + "/pay", {});
  const auto declined = post("/v1/credit-notes", {{"invoice", declined_inv}, {"amount", 1000}, {"refund_amount", 1000}},
                             201);
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
  const auto draft = post("/v1/credit-notes", {{"invoice", paid}, {"amount", 500}, {"draft", true}}, 201);
  EXPECT_EQ(str(draft.at("status")), "draft");
  const auto draft_id = str(draft.at("id"));
  EXPECT_EQ(events_about(draft_id), 0u);
  EXPECT_EQ(str(post("/v1/credit-notes/" + draft_id + "/issue", {}).at("status")), "issued");
  ASSERT_TRUE(await_received(draft_id, 1));
  EXPECT_EQ(received(draft_id), Types{"credit_note.created"});

  // Listing by invoice.
  const auto listed = ok(client_->get("/v1/credit-notes?invoice=" + paid), 200, "list credit notes");
  ASSERT_EQ(listed.at("data").as_array().size(), 2u);
  EXPECT_EQ(str(listed.at("data").as_array()[0].at("id")), draft_id);  // newest first
  EXPECT_EQ(str(listed.at("data").as_array()[1].at("id")), post_id);
}

TEST_F(CreditApiTest, CreditBalanceIsALedgerThatTheNextInvoiceDraws) {
  endpoint({"invoice.credited", "invoice.paid"});
  const auto cus = customer();
  const auto first = invoice(cus);
  post("/v1/invoices/" + first + "/pay", {{"external", true}, {"amount", 15000}});  // 31.00 EUR too much

  const auto balance = ok(client_->get("/v1/customers/" + cus + "/balance"), 200, "balance");
  EXPECT_EQ(balance.at("balance"), -3100);
  EXPECT_EQ(balance.at("available_credit"), 3100);
  EXPECT_EQ(str(balance.at("currency")), "EUR");
  auto ledger = ok(client_->get("/v1/customers/" + cus + "/balance-transactions"), 200, "ledger").at("data").as_array();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(str(ledger[0].at("type")), "overpayment");
  EXPECT_EQ(ledger[0].at("amount"), -3100);

  // Finalizing the next invoice draws the balance at once.
  const auto next = invoice(cus);
  const auto drawn = ok(client_->get("/v1/invoices/" + next), 200, "get invoice");
  EXPECT_EQ(drawn.at("amount_credited"), 3100);
  EXPECT_EQ(drawn.at("amount_remaining"), 11900 - 3100);
  EXPECT_EQ(ok(client_->get("/v1/customers/" + cus + "/balance"), 200, "balance").at("balance"), 0);
  ledger = ok(client_->get("/v1/customers/" + cus + "/balance-transactions"), 200, "ledger").at("data").as_array();
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(str(ledger[0].at("type")), "applied_to_invoice");  // newest first
  ASSERT_TRUE(await_received(next, 1));
  EXPECT_EQ(received(next), Types{"invoice.credited"});

  // Nothing left: asking again is a conflict.
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + next + "/apply-balance", std::string_view{}), 409,
                       "nothing_to_apply"));
}

TEST_F(CreditApiTest, BadRequestsAnswer4xxAndChangeNothing) {
  const auto cus = customer();
  const auto paid = invoice(cus);
  post("/v1/invoices/" + paid + "/pay", {{"external", true}, {"amount", 11900}});
  const auto draft = invoice(cus, /*issued=*/false);
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
  EXPECT_EQ(ok(client_->get("/v1/customers/" + cus + "/balance"), 200, "balance").at("balance"), 0);
}

}  // namespace
}  // namespace billhook::testing
