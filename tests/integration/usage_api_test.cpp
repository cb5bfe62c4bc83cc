// The usage intake through the real binary: events posted one by one (201, then 200 for a repeat) and in
// batches, current usage priced from them (DOMAINS.md's graduated worked numbers), and bad requests —
// an unknown subscription, a timestamp outside the open period, a non-numeric property, 101 events, a
// 1 MiB property bag — answered 4xx naming the item and field and storing nothing.

#include <string>

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class UsageApiTest : public BillingServerTest {
 protected:
  // A customer with a good card on a free monthly plan pricing `gb` (a sum) by the graduated worked tiers.
  std::string subscription() {
    api_->post("/v1/billable-metrics",
               {{"code", "gb"}, {"name", "Storage"}, {"aggregation_type", "sum"}, {"field_name", "gb"}}, 201);
    json::object plan = plan_body("metered");
    plan["amount"] = 0;
    plan["charges"] = json::array{json::object{
        {"billable_metric", "gb"},
        {"charge_model", "graduated"},
        {"properties",
         {{"graduated_ranges",
           {{{"from_value", 0}, {"to_value", 100}, {"per_unit_amount", "1.00"}, {"flat_amount", "10.00"}},
            {{"from_value", 101}, {"to_value", nullptr}, {"per_unit_amount", "0.50"}, {"flat_amount", "0"}}}}}}}};
    const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
    const auto customer = api_->customer();
    api_->card(customer, kGoodCard);
    return str(api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan_id}, {"external_id", "acme"}},
                          201)
                   .at("id"));
  }

  static json::object usage_event(const std::string& transaction_id, const std::string& gb) {
    return {{"transaction_id", transaction_id},
            {"code", "gb"},
            {"external_subscription_id", "acme"},
            {"properties", {{"gb", gb}}}};
  }
};

TEST_F(UsageApiTest, EventsOneByOneAndInBatchesArePricedAsCurrentUsage) {
  const std::string sub = subscription();
  const auto first = api_->post("/v1/usage-events", usage_event("t1", "40"), 201);
  EXPECT_EQ(str(first.at("object")), "usage_event");
  EXPECT_EQ(str(first.at("subscription")), sub);
  EXPECT_EQ(str(first.at("status")), "accepted");
  const auto repeat = api_->post("/v1/usage-events", usage_event("t1", "40"), 200);
  EXPECT_EQ(str(repeat.at("id")), str(first.at("id")));

  const auto batch = api_->post(
      "/v1/usage-events/batch", {{"events", json::array{usage_event("t2", "60"), usage_event("t3", "50")}}}, 200);
  ASSERT_EQ(batch.at("data").as_array().size(), 2u);

  const auto usage = api_->get("/v1/subscriptions/" + sub + "/usage");
  EXPECT_EQ(usage.at("amount").as_int64(), 13500);  // 100 × 1.00 + 10.00 + 50 × 0.50
  const auto& charge = usage.at("charges_usage").as_array().at(0);
  EXPECT_EQ(str(charge.at("units")), "150");
  EXPECT_EQ(charge.at("events_count").as_int64(), 3);
}

TEST_F(UsageApiTest, BadRequestsNameTheItemAndFieldAndStoreNothing) {
  const std::string sub = subscription();
  auto unknown = usage_event("u1", "1");
  unknown["external_subscription_id"] = "nobody";
  auto r = client_->post("/v1/usage-events", unknown);
  EXPECT_TRUE(is_error(r, 404, "subscription_not_found")) << describe(r);
  EXPECT_EQ(str(r.json().at("error").at("param")), "external_subscription_id");

  auto late = usage_event("u2", "1");
  late["timestamp"] = 4102444800;  // 2100
  r = client_->post("/v1/usage-events/batch", json::object{{"events", json::array{usage_event("u3", "1"), late}}});
  EXPECT_TRUE(is_error(r, 400, "timestamp_outside_period")) << describe(r);
  EXPECT_EQ(str(r.json().at("error").at("param")), "events.1.timestamp");

  r = client_->post("/v1/usage-events/batch",
                    json::object{{"events", json::array{usage_event("u4", "1"), usage_event("u5", "many")}}});
  EXPECT_TRUE(is_error(r, 400, "invalid_property")) << describe(r);
  EXPECT_EQ(str(r.json().at("error").at("param")), "events.1.properties.gb");

  json::array too_many;
  for (int i = 0; i < 101; ++i) too_many.push_back(usage_event("m" + std::to_string(i), "1"));
  r = client_->post("/v1/usage-events/batch", json::object{{"events", too_many}});
  EXPECT_EQ(r.status, 400) << describe(r);
  EXPECT_EQ(str(r.json().at("error").at("param")), "events");

  auto huge = usage_event("u6", "1");
  huge["properties"].as_object()["blob"] = std::string(1 << 20, 'x');
  r = client_->post("/v1/usage-events", huge);
  EXPECT_GE(r.status, 400) << describe(r);
  EXPECT_LT(r.status, 500) << describe(r);

  auto fraction = usage_event("u7", "1");
  fraction["properties"].as_object()["gb"] = 1.5;
  r = client_->post("/v1/usage-events", fraction);
  EXPECT_EQ(r.status, 400) << describe(r);
  EXPECT_EQ(str(r.json().at("error").at("param")), "properties.gb");

  // None of it was counted, and u3 of the refused batch is new.
  const auto usage = api_->get("/v1/subscriptions/" + sub + "/usage");
  EXPECT_EQ(str(usage.at("charges_usage").as_array().at(0).at("units")), "0");
  api_->post("/v1/usage-events", usage_event("u3", "1"), 201);
}

// Events kept but not billed reach a Lago receiver as events.errors, listed by error kind, on demand.
TEST_F(UsageApiTest, InvalidEventsReachALagoReceiverAsEventsErrors) {
  NodeReceiver rx("lago.mjs");
  const auto ep = api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"},
                                  {"event_types", json::array{"usage_event.validation_failed"}}});
  rx.configure({{"hmac_key", ep.at("secret")}});
  subscription();
  auto unknown = usage_event("v1", "1");
  unknown["code"] = "gbz";
  const auto kept = api_->post("/v1/usage-events", unknown, 201);
  EXPECT_EQ(str(kept.at("status")), "not_billed");
  EXPECT_EQ(str(kept.at("error")), "invalid_code");
  const auto validated = api_->post("/v1/usage-events/validate", json::object{}, 200);
  EXPECT_EQ(validated.at("reported").as_int64(), 1);
  EXPECT_EQ(api_->post("/v1/usage-events/validate", json::object{}, 200).at("reported").as_int64(), 0);

  const auto records = rx.received(1, 10s);
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
  EXPECT_EQ(str(r.at("handler")), "events.errors");
  EXPECT_EQ(str(r.at("object_type")), "events_errors");
  const auto& errors = r.at("object").at("invalid_code").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(str(errors[0]), "v1");
}

}  // namespace
}  // namespace billhook::testing
