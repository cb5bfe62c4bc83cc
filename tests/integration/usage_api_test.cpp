// The usage intake through the real binary: events posted one by one (201, then 200 for a repeat) and in
// batches, current usage priced from them (DOMAINS.md's graduated worked numbers), and bad requests —
// an unknown subscription, a timestamp outside the open period, a non-numeric property, 101 events, a
// 1 MiB property bag — answered 4xx naming the item and field and storing nothing; and issue 15's
// scenario for a Lago receiver (a pay-in-advance fee, a threshold, events.errors, the closing invoice);
// percentage charges priced per event (also after their terms change mid-period) and billed at the
// period's end; and an unpaid progressive invoice stopping collection like any subscription invoice.

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

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
  rx.configure(lago_jwt_receiver_config(*server_));  // Lago signs with a JWT by default
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

// Issue 15's "done when": a lago-profile receiver gets billable_metric.created, fee.created (a pay-in-advance
// charge), events.errors, subscription.usage_threshold_reached and, when the period ends on the test clock,
// an invoice.created whose usage lines are the hand-computed amounts.
TEST_F(UsageApiTest, ALagoReceiverGetsTheUsageEventsAndTheClosingInvoice) {
  NodeReceiver rx("lago.mjs");
  const auto ep = api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"}});
  rx.configure(lago_jwt_receiver_config(*server_));  // Lago signs with a JWT by default
  api_->post("/v1/billable-metrics",
             {{"code", "gb"}, {"name", "Storage"}, {"aggregation_type", "sum"}, {"field_name", "gb"}}, 201);
  json::object plan = plan_body("metered");
  plan["amount"] = 0;
  plan["charges"] = json::array{
      json::object{{"billable_metric", "gb"},
                   {"charge_model", "graduated"},
                   {"properties",
                    {{"graduated_ranges",
                      {{{"from_value", 0}, {"to_value", 100}, {"per_unit_amount", "1.00"}, {"flat_amount", "10.00"}},
                       {{"from_value", 101}, {"to_value", nullptr}, {"per_unit_amount", "0.50"}, {"flat_amount", "0"}}}}}}},
      json::object{{"billable_metric", "gb"},
                   {"charge_model", "standard"},
                   {"pay_in_advance", true},
                   {"properties", {{"amount", "0.015"}}}}};
  plan["usage_thresholds"] = json::array{json::object{{"name", "fifty"}, {"amount", 5000}}};
  const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const auto sub = api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan_id}, {"external_id", "acme"}},
                              201);
  const auto sub_id = str(sub.at("id"));

  // 40 GB: graduated 40 × 1.00 + 10.00 = 50.00 passes "fifty" (a progressive invoice of 50.00); the
  // pay-in-advance fee is 40 × 0.015 = 0.60. Then 60 GB (fee 0.90) and 50 GB (fee 0.75) beside an
  // event with an unknown code.
  api_->post("/v1/usage-events", usage_event("e1", "40"), 201);
  api_->post("/v1/usage-events", usage_event("e2", "60"), 201);
  auto unknown = usage_event("e4", "1");
  unknown["code"] = "gbz";
  api_->post("/v1/usage-events/batch", {{"events", json::array{usage_event("e3", "50"), unknown}}}, 200);
  api_->post("/v1/usage-events", usage_event("e1", "40"), 200);  // a replay: no fee, no threshold
  EXPECT_EQ(api_->post("/v1/usage-events/validate", json::object{}, 200).at("reported").as_int64(), 1);

  // The period ends: 150 GB is 135.00 by the graduated tiers, less the 50.00 billed progressively.
  advance_clock(*client_, sub.at("current_period_end").as_int64() - sub.at("current_period_start").as_int64());
  const auto closing_invoice = [&]() -> std::optional<json::object> {
    for (const auto& r : rx.received(0)) {
      if (str(r.at("handler")) != "invoice.created") continue;
      const auto& fees = r.at("object").at("fees").as_array();
      if (fees.size() == 1 && fees[0].at("amount_cents").as_int64() == 8500) return r.as_object();
    }
    return std::nullopt;
  };
  ASSERT_TRUE(wait_until([&] { return closing_invoice().has_value(); }, 15s, "the period's closing invoice"));
  // Deliveries may arrive in any order: wait for the usage events too.
  const auto delivered = [&](const std::string& handler) {
    const auto records = rx.received(0);
    return std::count_if(records.begin(), records.end(), [&](const json::value& r) { return str(r.at("handler")) == handler; });
  };
  ASSERT_TRUE(wait_until([&] { return delivered("fee.created") >= 3 && delivered("events.errors") >= 1 &&
                                      delivered("subscription.usage_threshold_reached") >= 1 &&
                                      delivered("billable_metric.created") >= 1; },
                         15s, "the usage events"));

  Strings handlers;
  std::vector<int64_t> fee_amounts;
  int64_t progressive = 0;
  for (const auto& r : rx.received(0)) {
    EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
    const std::string handler = str(r.at("handler"));
    handlers.push_back(handler);
    if (handler == "fee.created") fee_amounts.push_back(r.at("object").at("amount").as_int64());
    if (handler == "subscription.usage_threshold_reached") {
      EXPECT_EQ(str(r.at("object").at("lago_id")), sub_id);
    }
    if (handler == "invoice.created" && str(r.at("object").at("invoice_type")) == "progressive_billing") {
      ++progressive;
      EXPECT_EQ(r.at("object").at("fees_amount_cents").as_int64(), 5000);
    }
  }
  const auto count = [&](const std::string& h) { return std::count(handlers.begin(), handlers.end(), h); };
  EXPECT_EQ(count("billable_metric.created"), 1);
  EXPECT_EQ(count("events.errors"), 1);
  EXPECT_EQ(count("subscription.usage_threshold_reached"), 1);
  std::sort(fee_amounts.begin(), fee_amounts.end());
  EXPECT_EQ(fee_amounts, (std::vector<int64_t>{60, 75, 90}));
  EXPECT_EQ(progressive, 1);
  const auto closing = *closing_invoice();
  EXPECT_EQ(str(closing.at("object").at("invoice_type")), "subscription");
  EXPECT_EQ(closing.at("object").at("total_amount_cents").as_int64(), 8500);
}

// The percentage worked numbers: charge A takes 2.5 % + 0.30 per payment after the first, at most 5.00 a
// payment; charge B, paid in advance but not invoiceable, 1 % of each. Payments of 100, 10.10 and 400:
// A is 0 + (0.2525 + 0.30) + min(10.30, 5) = 5.5525 → 5.55; B's fees are 1.00, 0.10 (0.101), 4.00 and
// its period 5.101 → 5.10. A's rate then goes to 5 %: its fee is folded again from the stored payments,
// 0 + (0.505 + 0.30) + 5 = 5.805 → 5.80 (half-even); a payment of 20 adds 1.30 (7.105 → 7.10) to A
// and 0.20 to B (5.301 → 5.30). The period's invoice bills A and B as they stand then.
TEST_F(UsageApiTest, PercentageChargesArePricedPerEventAndBilledAtThePeriodEnd) {
  api_->post("/v1/billable-metrics",
             {{"code", "payments"}, {"name", "Payments"}, {"aggregation_type", "sum"}, {"field_name", "amount"}}, 201);
  const auto charge_a = [](const std::string& rate) {
    return json::object{{"billable_metric", "payments"},
                        {"charge_model", "percentage"},
                        {"properties",
                         {{"rate", rate},
                          {"fixed_amount", "0.30"},
                          {"free_units_per_events", 1},
                          {"per_transaction_max_amount", "5"}}}};
  };
  const json::object charge_b{{"billable_metric", "payments"},
                              {"charge_model", "percentage"},
                              {"pay_in_advance", true},
                              {"invoiceable", false},
                              {"properties", {{"rate", "1"}}}};
  json::object plan = plan_body("take-rate");
  plan["amount"] = 0;
  plan["charges"] = json::array{charge_a("2.5"), charge_b};
  const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const auto sub = api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan_id}, {"external_id", "shop"}},
                              201);
  const auto sub_id = str(sub.at("id"));
  const auto payment = [](const std::string& id, const std::string& amount) {
    return json::object{{"transaction_id", id},
                        {"code", "payments"},
                        {"external_subscription_id", "shop"},
                        {"properties", {{"amount", amount}}}};
  };
  api_->post("/v1/usage-events", payment("p1", "100"), 201);
  api_->post("/v1/usage-events", payment("p2", "10.10"), 201);
  api_->post("/v1/usage-events/batch", {{"events", json::array{payment("p3", "400")}}}, 200);
  api_->post("/v1/usage-events", payment("p2", "10.10"), 200);  // a replay adds nothing

  auto usage = api_->get("/v1/subscriptions/" + sub_id + "/usage");
  auto charges = usage.at("charges_usage").as_array();
  ASSERT_EQ(charges.size(), 2u);
  EXPECT_EQ(str(charges[0].at("charge_model")), "percentage");
  EXPECT_EQ(str(charges[0].at("units")), "510.1");
  EXPECT_EQ(charges[0].at("events_count").as_int64(), 3);
  EXPECT_EQ(str(charges[0].at("precise_amount")), "5.5525");
  EXPECT_EQ(charges[0].at("amount").as_int64(), 555);
  EXPECT_EQ(charges[1].at("amount").as_int64(), 510);
  EXPECT_EQ(usage.at("amount").as_int64(), 555 + 510);

  const auto fee_amounts = [&] {
    std::vector<int64_t> amounts;
    const auto fees = api_->get("/v1/fees?limit=100&subscription=" + sub_id);
    for (const auto& fee : fees.at("data").as_array()) amounts.push_back(fee.at("amount").as_int64());
    std::sort(amounts.begin(), amounts.end());
    return amounts;
  };
  EXPECT_EQ(fee_amounts(), (std::vector<int64_t>{10, 100, 400}));

  ASSERT_EQ(client_->patch("/v1/plans/" + plan_id, json::object{{"charges", json::array{charge_a("5"), charge_b}}}).status,
            200);
  usage = api_->get("/v1/subscriptions/" + sub_id + "/usage");
  charges = usage.at("charges_usage").as_array();
  EXPECT_EQ(str(charges[0].at("precise_amount")), "5.805");
  EXPECT_EQ(charges[0].at("amount").as_int64(), 580) << "folded again from the stored events, rounded half-even";
  EXPECT_EQ(charges[1].at("amount").as_int64(), 510) << "unchanged terms keep their running fee";

  api_->post("/v1/usage-events", payment("p4", "20"), 201);
  EXPECT_EQ(fee_amounts(), (std::vector<int64_t>{10, 20, 100, 400}));
  usage = api_->get("/v1/subscriptions/" + sub_id + "/usage");
  EXPECT_EQ(usage.at("charges_usage").as_array()[0].at("amount").as_int64(), 710);
  EXPECT_EQ(usage.at("charges_usage").as_array()[1].at("amount").as_int64(), 530);

  advance_clock(*client_, sub.at("current_period_end").as_int64() - sub.at("current_period_start").as_int64());
  const auto usage_lines = [&] {
    std::vector<std::pair<std::string, int64_t>> lines;
    const auto invoices = api_->get("/v1/invoices?limit=100&customer=" + customer);
    for (const auto& invoice : invoices.at("data").as_array())
      for (const auto& line : invoice.at("lines").as_array())
        if (const auto* detail = line.as_object().if_contains("usage"))
          lines.emplace_back(str(detail->at("precise_amount")), line.at("amount").as_int64());
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  ASSERT_TRUE(wait_until([&] { return usage_lines().size() == 2; }, 15s, "the period's usage lines"));
  EXPECT_EQ(usage_lines(), (std::vector<std::pair<std::string, int64_t>>{{"5.301", 530}, {"7.105", 710}}));
}

// An invoice issued by a usage threshold is a subscription invoice like the period's: left unpaid
// (the card declines), it stops collection once overdue long enough, as the renewals' do.
TEST_F(UsageApiTest, AnUnpaidProgressiveInvoiceStopsCollection) {
  api_->post("/v1/billable-metrics",
             {{"code", "gb"}, {"name", "Storage"}, {"aggregation_type", "sum"}, {"field_name", "gb"}}, 201);
  json::object plan = plan_body("metered");
  plan["amount"] = 0;
  plan["charges"] = json::array{json::object{
      {"billable_metric", "gb"}, {"charge_model", "standard"}, {"properties", {{"amount", "1"}}}}};
  plan["usage_thresholds"] = json::array{json::object{{"amount", 1000}}};
  const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
  const auto customer = api_->customer();
  api_->card(customer, kNoFundsCard);
  const auto sub_id = str(
      api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan_id}, {"external_id", "acme"}}, 201)
          .at("id"));
  api_->post("/v1/usage-events", usage_event("t1", "12"), 201);
  bool progressive_open = false;
  const auto invoices = api_->get("/v1/invoices?limit=100&customer=" + customer);
  for (const auto& invoice : invoices.at("data").as_array())
    progressive_open = progressive_open || (str(invoice.at("billing_reason")) == "threshold" &&
                                            str(invoice.at("status")) == "open");
  ASSERT_TRUE(progressive_open) << "the threshold's invoice, declined";

  advance_clock(*client_, 15 * 24 * 3600);  // overdue since it was issued; 14 days later collection stops
  ASSERT_TRUE(wait_until([&] { return str(api_->get("/v1/subscriptions/" + sub_id).at("status")) == "past_due"; },
                         10s, "the collection stop"));
}

}  // namespace
}  // namespace billhook::testing
