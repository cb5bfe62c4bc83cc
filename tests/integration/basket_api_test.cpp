// Baskets (and commissions) through the real binary (issue 18's "done when", for seed 000): a billhook
// receiver subscribed by seed 000's category titles gets basket.abandoned from a scenario driven only
// through the API and the test clock — once, and never for a basket checked out before the deadline;
// bad requests are 4xx naming the field and change nothing.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class BasketApiTest : public BillingServerTest {
 protected:
  void advance_seconds(int64_t seconds) { api_->post("/v1/test/clock", {{"advance_seconds", seconds}}); }
  void advance_days(int64_t days) { advance_seconds(days * kDay); }
};

TEST_F(BasketApiTest, Seed000BasketCategoryGetsBasketAbandonedOnceAndCheckoutMakesAnInvoice) {
  api_->endpoint({{"url", rx_.url("/seed000")}, {"categories", json::array{"Shopping cart/basket events"}}});
  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const json::object lines{{"items", json::array{json::object{
                                         {"description", "Team plan (12 seats)"}, {"quantity", 12}, {"unit_amount", 1900}}}}};
  json::object body{{"customer", customer}, {"currency", "GBP"}};
  for (const auto& f : lines) body[f.key()] = f.value();
  const auto idle = api_->post("/v1/baskets", body, 201);
  const auto idle_id = str(idle.at("id"));
  EXPECT_EQ(str(idle.at("status")), "active");
  EXPECT_EQ(idle.at("total").as_int64(), 22800);
  const auto bought = str(api_->post("/v1/baskets", body, 201).at("id"));

  advance_seconds(23 * 3600);
  const auto checked_out = api_->post("/v1/baskets/" + bought + "/checkout");
  EXPECT_EQ(str(checked_out.at("status")), "converted");
  const auto invoice = api_->invoice_of(str(checked_out.at("invoice")));
  EXPECT_EQ(str(invoice.at("status")), "paid");
  EXPECT_EQ(invoice.at("total").as_int64(), 22800);

  advance_seconds(3600);  // the first basket has been idle 24 h
  ASSERT_TRUE(await_received("/seed000", idle_id, 1));
  advance_days(2);
  EXPECT_EQ(str(api_->get("/v1/baskets/" + idle_id).at("status")), "abandoned");
  EXPECT_EQ(received("/seed000", idle_id), (std::vector<std::string>{"basket.abandoned"}));
  EXPECT_TRUE(received("/seed000", bought).empty()) << "checked out before the deadline";
}

TEST_F(BasketApiTest, BadBasketRequestsNameTheFieldAndChangeNothing) {
  const auto customer = api_->customer();
  const auto empty = str(api_->post("/v1/baskets", {{"customer", customer}, {"currency", "EUR"}}, 201).at("id"));
  const auto refused = expect_json(client_->post("/v1/baskets/" + empty + "/checkout", json::object{}), 400,
                                   "checking out an empty basket");
  EXPECT_EQ(str(refused.at("error").at("code")), "basket_empty");
  EXPECT_EQ(str(refused.at("error").at("param")), "items");
  EXPECT_EQ(str(api_->get("/v1/baskets/" + empty).at("status")), "active");
  EXPECT_TRUE(api_->get("/v1/invoices?customer=" + customer).at("data").as_array().empty());

  const auto bad_quantity = expect_json(
      client_->post("/v1/baskets", json::object{{"customer", customer},
                                                {"currency", "EUR"},
                                                {"items", json::array{json::object{
                                                              {"description", "x"}, {"quantity", 0}, {"unit_amount", 1}}}}}),
      400, "a zero quantity");
  EXPECT_EQ(str(bad_quantity.at("error").at("param")), "items.0.quantity");
  const auto unknown_field =
      expect_json(client_->post("/v1/baskets", json::object{{"customer", customer}, {"currency", "EUR"}, {"colour", 1}}),
                  400, "an unknown field");
  EXPECT_EQ(str(unknown_field.at("error").at("param")), "colour");
  EXPECT_EQ(api_->get("/v1/baskets").at("data").as_array().size(), 1u);
}

}  // namespace
}  // namespace billhook::testing
