// The billing engine through the real binary: customers, cards and invoices made with the API, the
// events they emit arriving at a loopback receiver in order (seed 001's three flows, a payment that
// fails on the default card and succeeds on the fallback, overdue once past the due date on the test
// clock), and refused requests (409 for an invalid transition, 400 for a bad amount or currency)
// that change nothing.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class BillingApiTest : public BillingServerTest {};

// Seed 001 (Calmony Pay) documents three flows with its three events; each arrives in order.
TEST_F(BillingApiTest, Seed001FlowsArriveInOrder) {
  endpoint("/seed001", json::array{"invoice.created", "invoice.payment_failed", "invoice.paid"});

  const auto flows = api_->seed001_flows();
  const std::string& paid_at_once = flows.paid_at_once;
  const std::string& failed = flows.failed;
  const std::string& recovered = flows.recovered;

  ASSERT_TRUE(await_received("/seed001", paid_at_once, 2));
  ASSERT_TRUE(await_received("/seed001", failed, 2));
  ASSERT_TRUE(await_received("/seed001", recovered, 3));
  EXPECT_EQ(received("/seed001", paid_at_once), (std::vector<std::string>{"invoice.created", "invoice.paid"}));
  EXPECT_EQ(received("/seed001", failed), (std::vector<std::string>{"invoice.created", "invoice.payment_failed"}));
  EXPECT_EQ(received("/seed001", recovered),
            (std::vector<std::string>{"invoice.created", "invoice.payment_failed", "invoice.paid"}));

  // data.object is the invoice as the API returns it.
  const auto api_view = api_->invoice_of(recovered);
  for (const auto& r : rx_.requests_for("/seed001")) {
    const auto body = r.json();
    if (str(body.at("type")) == "invoice.paid" && str(body.at("aggregate").at("id")) == recovered) {
      EXPECT_EQ(body.at("data").at("object"), json::value(api_view));
    }
  }
}

// Seed 004 (Rapyd INVOICE_PAYMENT_CREATED): the fields of an invoice with its payment that the domain
// models arrive in invoice.payment_created.
TEST_F(BillingApiTest, Seed004PaymentCreatedCarriesTheInvoiceWithItsPayment) {
  endpoint("/seed004", json::array{"invoice.payment_created"});
  const auto cus = api_->customer();
  const auto pm = api_->card(cus, kGoodCard);
  const auto id = api_->invoice(cus, {{"currency", "MXN"},
                                {"days_until_due", 30},
                                {"billing_reason", "subscription_create"},
                                {"subscription", "sub_efae7e085ecff92d0c9a7f41ecd0a169"},
                                {"period_start", 1702536818},
                                {"period_end", 1705215218},
                                {"lines", json::array{json::object{{"description", "Plan"}, {"unit_amount", 800}}}}});
  api_->pay(id);
  ASSERT_TRUE(await_received("/seed004", id, 1));
  const auto body = rx_.requests_for("/seed004").back().json();
  EXPECT_EQ(str(body.at("type")), "invoice.payment_created");
  const auto& object = body.at("data").at("object").as_object();
  EXPECT_EQ(str(object.at("currency")), "MXN");
  EXPECT_EQ(object.at("total").as_int64(), 800);
  EXPECT_EQ(object.at("attempt_count").as_int64(), 1);
  EXPECT_TRUE(object.at("next_payment_attempt").is_null());
  EXPECT_TRUE(object.at("due_date").is_int64());
  EXPECT_EQ(object.at("days_until_due").as_int64(), 30);
  EXPECT_EQ(object.at("period_start").as_int64(), 1702536818);
  EXPECT_EQ(object.at("period_end").as_int64(), 1705215218);
  EXPECT_EQ(str(object.at("billing_reason")), "subscription_create");
  EXPECT_EQ(str(object.at("subscription")), "sub_efae7e085ecff92d0c9a7f41ecd0a169");
  const auto& payment = object.at("payment").as_object();
  EXPECT_EQ(payment.at("amount").as_int64(), 800);
  EXPECT_EQ(str(payment.at("currency")), "MXN");
  EXPECT_EQ(str(payment.at("payment_method")), pm);
  EXPECT_EQ(str(payment.at("payment_method_type")), "card");
  EXPECT_EQ(payment.at("attempt").as_int64(), 1);
  // Sent once the outcome is known, as the seed's example (a completed payment), with the card charged.
  EXPECT_EQ(str(payment.at("status")), "succeeded");
  EXPECT_TRUE(payment.at("paid").as_bool());
  EXPECT_TRUE(payment.at("paid_at").is_int64());
  EXPECT_EQ(str(payment.at("card").at("last4")), "4242");
  EXPECT_EQ(str(payment.at("card").at("brand")), "visa");
}

TEST_F(BillingApiTest, CreatingWithAnIdempotencyKeyTwiceCreatesOnce) {
  const Headers key = {{"Idempotency-Key", "customer-ada-1"}};
  const json::object body{{"name", "Ada"}};
  const auto first = client_->post("/v1/customers", body, key);
  const auto second = client_->post("/v1/customers", body, key);
  ASSERT_EQ(first.status, 201) << describe(first);
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(count_all(*client_, "/v1/customers"), 1u);
  EXPECT_EQ(count_all(*client_, "/v1/events?type=customer.created"), 1u);
}

TEST_F(BillingApiTest, PaymentFailsOnTheDefaultCardAndSucceedsOnTheFallback) {
  endpoint("/all", json::array{"invoice.*"});
  const auto cus = api_->customer();
  const auto failing = api_->card(cus, kNoFundsCard);
  const auto fallback = api_->card(cus, kGoodCard, {{"fallback_order", 1}});
  const auto id = api_->invoice(cus);
  const auto paid = api_->pay(id);
  EXPECT_EQ(str(paid.at("status")), "paid");
  EXPECT_EQ(str(paid.at("payment").at("payment_method")), fallback);
  EXPECT_TRUE(paid.at("payment").at("fallback").as_bool());

  const std::vector<std::string> expected = {
      "invoice.created",         "invoice.finalized",
      "invoice.payment_created", "invoice.payment_method_resolved",
      "invoice.payment_failed",  "invoice.payment_status_updated",
      "invoice.payment_created", "invoice.payment_method_resolved",
      "invoice.payment_succeeded", "invoice.paid_with_fallback_method",
      "invoice.payment_status_updated", "invoice.paid"};
  ASSERT_TRUE(await_received("/all", id, expected.size()));
  EXPECT_EQ(received("/all", id), expected);
  for (const auto& r : rx_.requests_for("/all")) {
    const auto body = r.json();
    if (str(body.at("type")) == "invoice.payment_failed") {
      EXPECT_EQ(str(body.at("data").at("object").at("payment").at("payment_method")), failing);
    }
  }
  auto payments = api_->get("/v1/invoices/" + id + "/payments");
  EXPECT_EQ(payments.at("data").as_array().size(), 2u);
}

// Seed 000's "Invoice notifications" category is about an invoice going overdue: its subscribers hear of
// it on the due date (invoice.overdue), not only at the first reminder a week later.
TEST_F(BillingApiTest, InvoiceNotificationsCategoryHearsOfTheOverdueOnTheDueDate) {
  api_->endpoint({{"url", rx_.url("/notices")}, {"categories", json::array{"Invoice notifications"}}});
  const auto cus = api_->customer();
  const auto id = api_->invoice(cus, {{"collection_method", "send_invoice"}, {"days_until_due", 5}});
  advance_clock(*client_, 5 * kDay + 60);
  ASSERT_TRUE(await_received("/notices", id, 1));
  EXPECT_EQ(received("/notices", id), std::vector<std::string>{"invoice.overdue"});
  advance_clock(*client_, 7 * kDay);
  ASSERT_TRUE(await_received("/notices", id, 2));
  EXPECT_EQ(received("/notices", id), (std::vector<std::string>{"invoice.overdue", "invoice.overdue_reminder"}));
}

TEST_F(BillingApiTest, PassingTheDueDateOnTheTestClockSendsOverdueOnce) {
  endpoint("/due", json::array{"invoice.will_be_due", "invoice.overdue"});
  const auto cus = api_->customer();
  const auto first = api_->invoice(cus, {{"collection_method", "send_invoice"}});
  advance_clock(*client_, 8 * kDay);
  ASSERT_TRUE(await_received("/due", first, 1));
  advance_clock(*client_, 3 * kDay);
  ASSERT_TRUE(await_received("/due", first, 2));

  // A second invoice is a barrier: once its overdue arrived, the scheduler has passed over the first
  // invoice again after the clock moved (it goes in id order). Due in 5 days, it is not yet due soon
  // when made, so that no will_be_due can come first.
  const auto second = api_->invoice(cus, {{"collection_method", "send_invoice"}, {"days_until_due", 5}});
  advance_clock(*client_, 5 * kDay + 60);
  ASSERT_TRUE(await_received("/due", second, 1));
  EXPECT_EQ(received("/due", first), (std::vector<std::string>{"invoice.will_be_due", "invoice.overdue"}));
  EXPECT_EQ(received("/due", second), std::vector<std::string>{"invoice.overdue"});
  EXPECT_EQ(count_all(*client_, "/v1/events?type=invoice.overdue&aggregate_id=" + first), 1u);

  // A restart starts the test clock afresh: passing the same due dates again sends nothing again.
  restart_server();
  const auto third = api_->invoice(cus, {{"collection_method", "send_invoice"}, {"days_until_due", 12}});
  advance_clock(*client_, 12 * kDay + 60);
  ASSERT_TRUE(await_received("/due", third, 1));  // its overdue: the pass went over all three, in id order
  EXPECT_EQ(count_all(*client_, "/v1/events?type=invoice.overdue&aggregate_id=" + first), 1u);
  EXPECT_EQ(count_all(*client_, "/v1/events?type=invoice.overdue&aggregate_id=" + second), 1u);
}

TEST(BillingScheduleFlags, RetryDelaysComeFromTheFlag) {
  ServerOptions options;
  options.extra_args = {"--test-clock", "--payment-retry-days", "2,4"};
  ServerProcess server(options);
  auto client = client_for(server);
  BillingApi api(client);
  const auto now_ms = api.post("/v1/test/clock", {{"advance_seconds", 0}}).at("now_ms").as_int64();
  const auto cus = api.customer();
  api.card(cus, kNoFundsCard);
  const auto id =
      api.invoice(cus, {{"currency", "JPY"}, {"lines", json::array{json::object{{"unit_amount", 1200}}}}});
  EXPECT_EQ(api.pay(id).at("next_payment_attempt").as_int64(), now_ms / 1000 + 2 * kDay);
}

TEST_F(BillingApiTest, InvalidTransitionAnswers409NamingTheStateAndChangesNothing) {
  const auto cus = api_->customer();
  const auto draft = api_->draft(cus);
  const auto before = client_->get("/v1/invoices/" + draft).body;
  const auto events_before = api_->events_about(draft);

  const auto refused = client_->post("/v1/invoices/" + draft + "/void", std::string_view{});
  EXPECT_TRUE(is_error(refused, 409, "invalid_transition"));
  EXPECT_NE(refused.body.find("draft"), std::string::npos) << refused.body;
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + draft + "/pay", std::string_view{}), 409,
                       "invalid_transition"));

  const auto paid = api_->invoice(cus, {{"auto_finalize", true}});
  ASSERT_EQ(str(api_->pay(paid, {{"external", true}, {"amount", 11900}}).at("status")), "paid");
  const auto again = client_->del("/v1/invoices/" + paid);
  EXPECT_TRUE(is_error(again, 409, "invalid_transition"));
  EXPECT_NE(again.body.find("paid"), std::string::npos) << again.body;

  EXPECT_EQ(client_->get("/v1/invoices/" + draft).body, before);
  EXPECT_EQ(api_->events_about(draft), events_before);
}

// A collection that finds no usable card is recorded (invoice.payment_missing_data), so it is not answered
// as a refusal: 200 with the invoice it left, still open and unpaid.
TEST_F(BillingApiTest, PayingWithNoUsableCardAnswersTheInvoiceAndRecordsTheMissingData) {
  const auto cus = api_->customer();
  const auto id = api_->invoice(cus);
  const auto events_before = api_->events_about(id);
  const auto answered = client_->post("/v1/invoices/" + id + "/pay", std::string_view{});
  ASSERT_EQ(answered.status, 200) << describe(answered);
  EXPECT_EQ(str(answered.json().at("status")), "open");
  EXPECT_EQ(str(answered.json().at("payment_status")), "pending");
  EXPECT_EQ(answered.json().at("amount_remaining"), 11900);
  EXPECT_EQ(api_->events_about(id), events_before + 1);
  const auto events = api_->get("/v1/events?aggregate_id=" + id + "&limit=1").at("data").as_array();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(str(events.at(0).at("type")), "invoice.payment_missing_data");
}

TEST_F(BillingApiTest, BadAmountOrCurrencyAnswers400AndChangesNothing) {
  const auto cus = api_->customer();
  const auto invoices_before = count_all(*client_, "/v1/invoices");
  const auto events_before = count_all(*client_, "/v1/events");

  auto body = BillingApi::invoice_body(cus);
  body["currency"] = "XYZ";
  EXPECT_TRUE(is_error(client_->post("/v1/invoices", body), 400, "unknown_currency", "currency"));
  body = BillingApi::invoice_body(cus);
  body["lines"].as_array()[0].as_object()["unit_amount"] = 49.99;
  EXPECT_TRUE(is_error(client_->post("/v1/invoices", body), 400, "", "lines.0.unit_amount"));
  body = BillingApi::invoice_body(cus);
  body["lines"].as_array()[0].as_object()["unit_amount"] = "5000";
  EXPECT_TRUE(is_error(client_->post("/v1/invoices", body), 400, "", "lines.0.unit_amount"));
  body = BillingApi::invoice_body(cus);
  body["lines"].as_array()[0].as_object()["unit_amount"] = int64_t{1} << 60;
  body["lines"].as_array()[0].as_object()["quantity"] = 1000;
  EXPECT_TRUE(is_error(client_->post("/v1/invoices", body), 400, "amount_out_of_range"));
  EXPECT_EQ(count_all(*client_, "/v1/invoices"), invoices_before);
  EXPECT_EQ(count_all(*client_, "/v1/events"), events_before);

  const auto id = api_->invoice(cus);
  const auto invoice_before = client_->get("/v1/invoices/" + id).body;
  const auto about_before = api_->events_about(id);
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + id + "/pay", json::object{{"external", true}, {"amount", 0}}),
                       400, "", "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + id + "/pay",
                                     json::object{{"external", true}, {"amount", 100}, {"currency", "USD"}}),
                       400, "currency_mismatch", "currency"));
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + id + "/pay",
                                     json::object{{"external", true}, {"amount", 100}, {"currency", "EURO"}}),
                       400, "unknown_currency", "currency"));
  EXPECT_EQ(client_->get("/v1/invoices/" + id).body, invoice_before);
  EXPECT_EQ(api_->events_about(id), about_before);
}

TEST_F(BillingApiTest, CardNumbersOutsideTheSandboxAreRefusedAndNeverShown) {
  const auto cus = api_->customer();
  const auto refused = client_->post(
      "/v1/payment-methods",
      json::object{{"customer", cus}, {"card", json::object{{"number", "4111111111111111"}, {"exp_month", 1},
                                                            {"exp_year", 2030}}}});
  EXPECT_TRUE(is_error(refused, 400, "card_number_not_accepted", "card.number"));
  const auto pm = api_->card(cus, kGoodCard);
  const auto shown = client_->get("/v1/payment-methods/" + pm);
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body.find(kGoodCard), std::string::npos);
  EXPECT_EQ(str(shown.json().at("card").at("last4")), "4242");
  const auto listed = list_all(*client_, "/v1/payment-methods?customer=" + cus);
  EXPECT_EQ(listed.size(), 1u);
}

}  // namespace
}  // namespace billhook::testing
