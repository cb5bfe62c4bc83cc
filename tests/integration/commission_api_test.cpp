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

// Issue 18: `role` and `referred_by` on the customer itself are the partner and the referral — shown on
// GET, accepted on POST and PATCH, the same documents /v1/partners and /v1/referrals serve; bad values are
// a 4xx naming the field with nothing changed; a referrer whose role is taken away earns `failed`.
TEST_F(CommissionApiTest, RoleAndReferredByOnTheCustomerAreThePartnerAndTheReferral) {
  api_->endpoint({{"url", rx_.url("/seed000")}, {"categories", json::array{"Commission & automation"}}});
  const auto created = api_->post("/v1/customers", {{"name", "Partner Co"}, {"role", "partner"}}, 201);
  const auto partner = str(created.at("id"));
  EXPECT_EQ(str(created.at("role")), "partner");
  EXPECT_TRUE(created.at("referred_by").is_null());
  EXPECT_EQ(api_->get("/v1/customers/" + partner), created);
  EXPECT_EQ(str(api_->get("/v1/partners/" + partner).at("id")), partner);
  api_->post("/v1/commission-rules", {{"partner", partner}, {"rate_bps", 1000}, {"currency", "EUR"}}, 201);

  const auto referred = api_->post("/v1/customers", {{"name", "Ada"}, {"referred_by", partner}}, 201);
  const auto customer = str(referred.at("id"));
  EXPECT_EQ(str(referred.at("referred_by")), partner);
  EXPECT_TRUE(referred.at("role").is_null());
  const auto referrals = api_->get("/v1/referrals?partner=" + partner).at("data").as_array();
  ASSERT_EQ(referrals.size(), 1u);
  EXPECT_EQ(str(referrals.at(0).at("id")), customer);
  bool listed = false;
  const auto all_customers = api_->get("/v1/customers");
  for (const auto& c : all_customers.at("data").as_array())
    if (str(c.at("id")) == customer) listed = str(c.at("referred_by")) == partner;
  EXPECT_TRUE(listed) << "the list shows it too";

  // Bad values: 4xx naming the field, nothing changed (no customer, no referral, no event).
  const auto plain = api_->customer();
  const auto plain_before = client_->get("/v1/customers/" + plain).body;
  const auto customers_before = count_all(*client_, "/v1/customers");
  const auto events_before = count_all(*client_, "/v1/events");
  const auto refused = [&](const Response& r, int status, const std::string& code, const std::string& param) {
    const auto body = expect_json(r, status, code);
    EXPECT_EQ(str(body.at("error").at("code")), code) << r.body;
    EXPECT_EQ(str(body.at("error").at("param")), param) << r.body;
  };
  refused(client_->post("/v1/customers", json::object{{"name", "B"}, {"referred_by", plain}}), 400, "not_a_partner",
          "referred_by");
  refused(client_->post("/v1/customers", json::object{{"name", "B"}, {"referred_by", "cus_01JD3Y8F6W5Q2N4M7K9C1B3X5Z"}}),
          400, "resource_missing", "referred_by");
  refused(client_->post("/v1/customers", json::object{{"name", "B"}, {"role", "reseller"}}), 400, "invalid_value",
          "role");
  refused(client_->patch("/v1/customers/" + plain, json::object{{"name", "Renamed"}, {"referred_by", plain}}), 400,
          "parameter_invalid", "referred_by");
  refused(client_->patch("/v1/customers/" + customer, json::object{{"referred_by", plain}}), 400, "not_a_partner",
          "referred_by");
  refused(client_->patch("/v1/customers/" + customer, json::object{{"referred_by", nullptr}}), 409,
          "referral_permanent", "referred_by");
  EXPECT_EQ(client_->get("/v1/customers/" + plain).body, plain_before);
  EXPECT_EQ(count_all(*client_, "/v1/customers"), customers_before);
  EXPECT_EQ(count_all(*client_, "/v1/events"), events_before);
  EXPECT_EQ(api_->get("/v1/referrals").at("data").as_array().size(), 1u);

  // The partner's role taken away: its referral stays, and the next paid invoice's attempt is failed.
  auto patched = client_->patch("/v1/customers/" + partner, json::object{{"role", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(patched.json().at("role").is_null());
  EXPECT_EQ(str(api_->get("/v1/customers/" + customer).at("referred_by")), partner);
  api_->card(customer, kGoodCard);
  const auto invoice = api_->invoice(customer);
  ASSERT_EQ(str(api_->pay(invoice).at("status")), "paid");
  const auto commissions = api_->get("/v1/commissions?partner=" + partner).at("data").as_array();
  ASSERT_EQ(commissions.size(), 1u);
  const auto id = str(commissions.at(0).at("id"));
  EXPECT_EQ(str(commissions.at(0).at("status")), "failed");
  EXPECT_EQ(commissions.at(0).at("amount").as_int64(), 0);
  ASSERT_TRUE(await_received("/seed000", id, 1));
  const auto body = rx_.requests_for("/seed000").at(0).json();
  EXPECT_EQ(str(body.at("type")), "commission.calculation_attempted");
  EXPECT_EQ(str(body.at("data").at("object").at("status")), "failed");
}

// A customer's events show it as the API does, role and referrer included, and a change of role alone is a
// customer.updated whose previous_attributes say what it was.
TEST_F(CommissionApiTest, CustomerEventsCarryTheRoleAndARoleChangeIsAnUpdate) {
  const auto customer_events = [&](const std::string& type, const std::string& id) {
    return api_->get("/v1/events?type=" + type + "&aggregate_type=customer&aggregate_id=" + id).at("data").as_array();
  };
  const auto partner = str(api_->post("/v1/customers", {{"name", "Partner Co"}, {"role", "partner"}}, 201).at("id"));
  const auto referred =
      str(api_->post("/v1/customers", {{"name", "Ada"}, {"referred_by", partner}}, 201).at("id"));
  const auto partner_created = customer_events("customer.created", partner);
  ASSERT_EQ(partner_created.size(), 1u);
  EXPECT_EQ(str(partner_created.at(0).at("data").at("object").at("role")), "partner");
  const auto referred_created = customer_events("customer.created", referred);
  ASSERT_EQ(referred_created.size(), 1u);
  EXPECT_EQ(str(referred_created.at(0).at("data").at("object").at("referred_by")), partner);

  const auto patch = [&](const std::string& id, const json::object& body) {
    const auto r = client_->patch("/v1/customers/" + id, body);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  const auto plain = api_->customer();
  ASSERT_TRUE(customer_events("customer.updated", plain).empty());
  patch(plain, {{"role", "partner"}});
  auto updated = customer_events("customer.updated", plain);
  ASSERT_EQ(updated.size(), 1u) << "a role given is a change";
  EXPECT_EQ(str(updated.at(0).at("data").at("object").at("role")), "partner");
  EXPECT_TRUE(updated.at(0).at("data").at("previous_attributes").at("role").is_null());

  patch(plain, {{"role", "partner"}});
  EXPECT_EQ(customer_events("customer.updated", plain).size(), 1u) << "the same role again changes nothing";

  patch(referred, {{"role", "partner"}, {"name", "Ada Lovelace"}});
  updated = customer_events("customer.updated", referred);
  ASSERT_EQ(updated.size(), 1u) << "one change, one event";
  const auto& previous = updated.at(0).at("data").at("previous_attributes").as_object();
  EXPECT_EQ(str(previous.at("name")), "Ada");
  EXPECT_TRUE(previous.at("role").is_null());
  EXPECT_FALSE(previous.contains("referred_by")) << "the referrer did not change";
}

}  // namespace
}  // namespace billhook::testing
