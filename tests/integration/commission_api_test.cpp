// Commissions through the real binary (issue 18's "done when", for seed 000): a billhook receiver
// subscribed by the seed's "Commission & automation" category gets commission.calculation_attempted
// when a referred customer pays, from a scenario driven only through the API; the partner's monthly
// statement follows on the test clock; bad requests are 4xx naming the field and change nothing.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

class CommissionApiTest : public BillingServerTest {
 protected:
  void advance_days(int64_t days) { api_->post("/v1/test/clock", {{"advance_seconds", days * kDay}}); }
};

TEST_F(CommissionApiTest, Seed000CommissionCategoryGetsCalculationAttemptedAndTheStatementFollows) {
  api_->endpoint({{"url", rx_.url("/seed000")}, {"categories", json::array{"Commission & automation"}}});
  const auto partner = api_->customer();
  EXPECT_EQ(str(api_->post("/v1/partners", {{"customer", partner}}, 201).at("id")), partner);
  const auto rule = api_->post("/v1/commission-rules", {{"partner", partner}, {"rate_bps", 1500}, {"currency", "EUR"}}, 201);
  EXPECT_EQ(rule.at("rate_bps").as_int64(), 1500);
  const auto customer = api_->customer();
  api_->post("/v1/referrals", {{"customer", customer}, {"partner", partner}}, 201);
  api_->card(customer, kGoodCard);
  const auto invoice = api_->invoice(customer);  // 119.00 EUR
  ASSERT_EQ(str(api_->pay(invoice).at("status")), "paid");

  const auto commissions = api_->get("/v1/commissions?partner=" + partner).at("data").as_array();
  ASSERT_EQ(commissions.size(), 1u);
  const auto id = str(commissions.at(0).at("id"));
  ASSERT_TRUE(await_received("/seed000", id, 1));
  const auto requests = rx_.requests_for("/seed000");
  ASSERT_EQ(requests.size(), 1u);
  const auto body = requests.at(0).json();
  EXPECT_EQ(str(body.at("type")), "commission.calculation_attempted");
  const auto& object = body.at("data").at("object").as_object();
  EXPECT_EQ(str(object.at("status")), "calculated");
  EXPECT_EQ(str(object.at("invoice")), invoice);
  EXPECT_EQ(object.at("basis_amount").as_int64(), 11900);
  EXPECT_EQ(object.at("amount").as_int64(), 1785);

  advance_days(31);  // the first of next month: the partner's statement
  ASSERT_TRUE(wait_until(
      [&] { return !api_->get("/v1/invoices?customer=" + partner).at("data").as_array().empty(); }, std::chrono::seconds(10),
      "the partner's statement"));
  const auto statement = api_->get("/v1/invoices?customer=" + partner).at("data").as_array().at(0).as_object();
  EXPECT_EQ(str(statement.at("audience")), "partner");
  EXPECT_EQ(statement.at("total").as_int64(), 1785);
}

TEST_F(CommissionApiTest, BadRequestsNameTheFieldAndChangeNothing) {
  const auto partner = api_->customer();
  api_->post("/v1/partners", {{"customer", partner}}, 201);
  const auto over = expect_json(
      client_->post("/v1/commission-rules", json::object{{"partner", partner}, {"rate_bps", 10001}}), 400, "a rate over 100 %");
  EXPECT_EQ(str(over.at("error").at("param")), "rate_bps");
  const auto self = expect_json(client_->post("/v1/referrals", json::object{{"customer", partner}, {"partner", partner}}),
                                400, "a partner referring itself");
  EXPECT_EQ(str(self.at("error").at("param")), "partner");
  const auto plain = api_->customer();
  const auto not_partner = expect_json(
      client_->post("/v1/commission-rules", json::object{{"partner", plain}, {"rate_bps", 100}}), 400, "no partner");
  EXPECT_EQ(str(not_partner.at("error").at("code")), "not_a_partner");
  EXPECT_TRUE(api_->get("/v1/commission-rules").at("data").as_array().empty());
  EXPECT_TRUE(api_->get("/v1/referrals").at("data").as_array().empty());
}

}  // namespace
}  // namespace billhook::testing
