// Plans and subscriptions through the real binary, served by the document registry's generic routes:
// a plan and a subscription made with the API, the first invoice issued and paid at once, a renewal
// invoiced when the test clock passes the period's end, the events arriving at a loopback receiver in
// order, and bad requests answered 4xx naming the field and changing nothing.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

class SubscriptionApiTest : public BillingServerTest {
 protected:
  // The customer's invoices, newest first.
  json::array invoices_of(const std::string& customer) {
    return api_->get("/v1/invoices?limit=100&customer=" + customer).at("data").as_array();
  }

  void advance_days(int64_t days) { api_->post("/v1/test/clock", {{"advance_seconds", days * kDay}}); }

  std::string subscription_status(const std::string& id) {
    return str(api_->get("/v1/subscriptions/" + id).at("status"));
  }

  // What a seed receiver's handlers recorded about `id` (its `data.id` or `object.lago_id`…, read by
  // `id_of`), once `count` such records have arrived.
  template <typename IdOf>
  static Strings handled(NodeReceiver& rx, const std::string& id, size_t count, IdOf id_of) {
    Strings out;
    for (size_t seen = count;; ++seen) {  // the receiver may hold records about other resources too
      out.clear();
      const auto records = rx.received(seen, 2s);
      for (const auto& r : records)
        if (id_of(r.as_object()) == id) out.push_back(str(r.at("handler")));
      if (out.size() >= count || records.size() < seen) return out;
    }
  }
};

TEST_F(SubscriptionApiTest, ASubscriptionIsInvoicedAtOnceRenewedByTheClockAndTerminated) {
  endpoint("/subs", json::array{"subscription.*"});
  const auto plan = api_->post("/v1/plans", plan_body("pro-monthly"), 201);
  const auto plan_id = str(plan.at("id"));
  EXPECT_EQ(str(plan.at("object")), "plan");
  EXPECT_EQ(plan.at("amount").as_int64(), 2500);
  EXPECT_EQ(api_->get("/v1/plans/" + plan_id).at("code"), "pro-monthly");

  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const auto created =
      api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan_id}, {"external_id", "acme-1"}}, 201);
  const auto id = str(created.at("id"));
  EXPECT_EQ(str(created.at("object")), "subscription");
  EXPECT_EQ(str(created.at("status")), "active");

  // Billed in advance: the first period's invoice is issued and collected at once.
  auto invoices = invoices_of(customer);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(str(invoices[0].at("billing_reason")), "subscription_create");
  EXPECT_EQ(str(invoices[0].at("status")), "paid");
  EXPECT_EQ(invoices[0].at("total").as_int64(), 2500);

  const auto listed = api_->get("/v1/subscriptions?customer=" + customer);
  ASSERT_EQ(listed.at("data").as_array().size(), 1u);
  EXPECT_EQ(str(listed.at("data").as_array()[0].at("id")), id);

  // The period ends: the document clock renews it with one invoice.
  advance_days(32);
  ASSERT_TRUE(wait_until([&] { return invoices_of(customer).size() == 2; }, 10s, "the renewal invoice"));
  invoices = invoices_of(customer);
  EXPECT_EQ(str(invoices[0].at("billing_reason")), "subscription_cycle");
  EXPECT_EQ(invoices[0].at("total").as_int64(), 2500);

  const auto terminated = api_->post("/v1/subscriptions/" + id + "/terminate", {}, 200);
  EXPECT_EQ(str(terminated.at("status")), "terminated");
  const auto again = client_->post("/v1/subscriptions/" + id + "/terminate", json::object{});
  EXPECT_TRUE(is_error(again, 409, "invalid_transition")) << describe(again);

  ASSERT_TRUE(await_received("/subs", id, 3));
  EXPECT_EQ(received("/subs", id), (Strings{"subscription.created", "subscription.activated", "subscription.terminated"}));
}

TEST_F(SubscriptionApiTest, BadRequestsNameTheFieldAndChangeNothing) {
  const auto plan_id = str(api_->post("/v1/plans", plan_body("basic"), 201).at("id"));

  auto duplicate = client_->post("/v1/plans", plan_body("basic"));
  EXPECT_TRUE(is_error(duplicate, 409, "plan_code_taken")) << describe(duplicate);
  EXPECT_EQ(str(duplicate.json().at("error").at("param")), "code");

  auto bad_amount = plan_body("other");
  bad_amount["amount"] = "a lot";
  auto refused = client_->post("/v1/plans", bad_amount);
  EXPECT_TRUE(is_error(refused, 400, "invalid_type")) << describe(refused);
  EXPECT_EQ(str(refused.json().at("error").at("param")), "amount");

  auto unknown_field = plan_body("third");
  unknown_field["colour"] = "red";
  refused = client_->post("/v1/plans", unknown_field);
  EXPECT_TRUE(is_error(refused, 400, "unknown_parameter")) << describe(refused);
  EXPECT_EQ(api_->get("/v1/plans").at("data").as_array().size(), 1u) << "nothing was stored";

  const auto customer = api_->customer();
  refused = client_->post("/v1/subscriptions", json::object{{"customer", customer}});
  EXPECT_TRUE(is_error(refused, 400, "missing_field")) << describe(refused);
  EXPECT_EQ(str(refused.json().at("error").at("param")), "plan");
  refused = client_->post("/v1/subscriptions",
                          json::object{{"customer", customer}, {"plan", "plan_01KANG36BVTSV4RRFFQ69G5FAV"}});
  EXPECT_EQ(refused.status, 400) << describe(refused);
  EXPECT_EQ(str(refused.json().at("error").at("param")), "plan");
  EXPECT_TRUE(api_->get("/v1/subscriptions").at("data").as_array().empty()) << "nothing was stored";

  auto missing = client_->post("/v1/subscriptions/sub_01KANG36BVTSV4RRFFQ69G5FAV/cancel", json::object{});
  EXPECT_TRUE(is_error(missing, 404, "subscription_not_found")) << describe(missing);
  missing = client_->get("/v1/subscriptions/not-an-id");
  EXPECT_EQ(missing.status, 404) << describe(missing);
  (void)plan_id;
}

// A plan change and a cancellation at the period's end, as the billhook, Lago and Ezypay receivers see
// them: each provider's own names, in order, and the subscription's fields changed by PATCH.
TEST_F(SubscriptionApiTest, ChangesReachEachProfileUnderItsOwnNames) {
  for (const char* profile : {"billhook", "lago", "ezypay"})
    api_->endpoint({{"url", rx_.url(std::string("/") + profile)}, {"profile", profile}});
  const auto basic = str(api_->post("/v1/plans", plan_body("basic"), 201).at("id"));
  auto pro_body = plan_body("pro");
  pro_body["amount"] = 5000;
  const auto pro = str(api_->post("/v1/plans", pro_body, 201).at("id"));
  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const auto id = str(api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", basic}}, 201).at("id"));

  auto patched = expect_json(client_->patch("/v1/subscriptions/" + id,
                                            json::object{{"external_id", "acme-9"}, {"metadata", {{"team", "blue"}}}}),
                             200, "PATCH subscription");
  EXPECT_EQ(str(patched.at("external_id")), "acme-9");
  EXPECT_EQ(str(patched.at("metadata").at("team")), "blue");

  advance_days(10);
  const auto upgraded = api_->post("/v1/subscriptions/" + id + "/change-plan", {{"plan", pro}});
  EXPECT_EQ(str(upgraded.at("plan")), pro);
  // The rest of the period's difference, prorated by seconds, on its own invoice.
  const auto invoices = invoices_of(customer);
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(str(invoices[0].at("billing_reason")), "subscription_update");
  EXPECT_GT(invoices[0].at("total").as_int64(), 0);
  EXPECT_LT(invoices[0].at("total").as_int64(), 2500);

  const auto scheduled = api_->post("/v1/subscriptions/" + id + "/cancel", {{"at_period_end", true}});
  EXPECT_EQ(str(scheduled.at("status")), "active");
  advance_days(25);
  ASSERT_TRUE(wait_until([&] { return str(api_->get("/v1/subscriptions/" + id).at("status")) == "canceled"; }, 10s,
                         "the cancellation at the period's end"));
  EXPECT_EQ(invoices_of(customer).size(), 2u) << "no invoice for a period that is not served";

  const Strings canonical = {"subscription.created", "subscription.activated", "subscription.updated",
                             "subscription.updated", "subscription.updated", "subscription.canceled"};
  ASSERT_TRUE(await_received("/billhook", id, canonical.size()));
  EXPECT_EQ(received("/billhook", id), canonical);
  // The names of the webhooks whose body's `object_field` has `id_field` == the subscription's id.
  auto names = [&](const std::string& path, const char* type_field, const char* object_field, const char* id_field) {
    Strings out;
    for (const auto& r : rx_.requests_for(path)) {
      const auto body = r.json().as_object();
      const auto* object = body.if_contains(object_field);
      if (object && object->is_object() && object->as_object().contains(id_field) && str(object->at(id_field)) == id)
        out.push_back(str(body.at(type_field)));
    }
    return out;
  };
  ASSERT_TRUE(wait_until([&] { return names("/lago", "webhook_type", "subscription", "lago_id").size() == 2; }, 10s,
                         "the Lago webhooks"));
  EXPECT_EQ(names("/lago", "webhook_type", "subscription", "lago_id"),
            (Strings{"subscription.started", "subscription.terminated"}));
  ASSERT_TRUE(
      wait_until([&] { return names("/ezypay", "eventType", "data", "id").size() == 3; }, 10s, "the Ezypay webhooks"));
  EXPECT_EQ(names("/ezypay", "eventType", "data", "id"),
            (Strings{"subscription_create", "subscription_activate", "subscription_cancel"}));
}

// PATCH on a plan changes what later subscriptions take, never the terms a subscription already has;
// PATCH on a subscription may remove its external_id with null.
TEST_F(SubscriptionApiTest, APlanChangeAppliesToLaterSubscriptionsOnly) {
  const auto plan = str(api_->post("/v1/plans", plan_body("flex"), 201).at("id"));
  const auto first_customer = api_->customer();
  api_->card(first_customer, kGoodCard);
  const auto first = str(
      api_->post("/v1/subscriptions", {{"customer", first_customer}, {"plan", plan}, {"external_id", "x-1"}}, 201)
          .at("id"));

  const auto patch = [&](const json::object& body) { return client_->patch("/v1/plans/" + plan, body); };
  auto patched = expect_json(patch({{"amount", 3000}, {"name", "Flex+"}, {"bill_cycles", 6}}), 200, "PATCH plan");
  EXPECT_EQ(patched.at("amount").as_int64(), 3000);
  EXPECT_EQ(str(patched.at("name")), "Flex+");
  EXPECT_EQ(patched.at("bill_cycles").as_int64(), 6);
  EXPECT_EQ(str(patched.at("code")), "flex");
  EXPECT_TRUE(expect_json(patch({{"bill_cycles", nullptr}}), 200, "PATCH plan").at("bill_cycles").is_null())
      << "null makes it open-ended";
  EXPECT_TRUE(is_error(patch({{"amount", -5}}), 400, "", "amount"));
  EXPECT_TRUE(is_error(patch({{"currency", "USD"}}), 400, "unknown_parameter", "currency"));
  EXPECT_EQ(api_->get("/v1/plans/" + plan).at("amount").as_int64(), 3000) << "a refused change changes nothing";

  const auto later_customer = api_->customer();
  api_->card(later_customer, kGoodCard);
  const auto later = api_->post("/v1/subscriptions", {{"customer", later_customer}, {"plan", plan}}, 201);
  EXPECT_EQ(later.at("amount").as_int64(), 3000);
  EXPECT_EQ(api_->get("/v1/subscriptions/" + first).at("amount").as_int64(), 2500) << "it keeps its terms";

  const auto cleared = expect_json(client_->patch("/v1/subscriptions/" + first, json::object{{"external_id", nullptr}}),
                                   200, "PATCH subscription");
  EXPECT_TRUE(cleared.at("external_id").is_null());
}

// Issue 14's "done when", for Ezypay (seed 002): a receiver switching on Ezypay's names gets a
// subscription's whole life from a scenario driven only through the API and the test clock — created
// and activated with a declined first invoice, past due, stopped after 14 days, reactivated when the
// invoice is paid, canceled — and subscription_completed from one that runs its bill_cycles.
TEST_F(SubscriptionApiTest, EzypayReceiverGetsASubscriptionsWholeLife) {
  NodeReceiver rx("ezypay.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/ezypay")},
                  {"profile", "ezypay"},
                  {"profile_settings", json::object{{"merchant_id", "m_7"}}}});
  const auto plan = str(api_->post("/v1/plans", plan_body("monthly"), 201).at("id"));
  const auto customer = api_->customer();
  const auto declining = api_->card(customer, kNoFundsCard);
  const auto id = str(api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan}}, 201).at("id"));
  const auto invoice = str(invoices_of(customer).at(0).at("id"));
  EXPECT_EQ(str(api_->invoice_of(invoice).at("status")), "open") << "the card declined";

  advance_days(15);  // overdue since it was issued; 14 days later collection stops
  ASSERT_TRUE(wait_until([&] { return subscription_status(id) == "past_due"; }, 10s, "the collection stop"));
  api_->card(customer, kGoodCard, {{"replaces", declining}, {"default", true}});
  EXPECT_EQ(str(api_->pay(invoice).at("status")), "paid");
  EXPECT_EQ(subscription_status(id), "active") << "reactivated by the payment of its last overdue invoice";
  EXPECT_EQ(str(api_->post("/v1/subscriptions/" + id + "/cancel", {}).at("status")), "canceled");

  auto once_body = plan_body("once");
  once_body["bill_cycles"] = 1;
  const auto once = str(api_->post("/v1/plans", once_body, 201).at("id"));
  const auto completed = str(api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", once}}, 201).at("id"));
  EXPECT_EQ(subscription_status(completed), "completed");

  const auto data_id = [](const json::object& r) {
    const auto* data = r.if_contains("data");
    return data && data->is_object() && data->as_object().contains("id") ? str(data->at("id")) : std::string();
  };
  EXPECT_EQ(handled(rx, id, 5, data_id), (Strings{"subscription_create", "subscription_activate", "subscription_stopped",
                                                 "subscription_reactivate", "subscription_cancel"}));
  EXPECT_EQ(handled(rx, invoice, 3, data_id), (Strings{"invoice_created", "invoice_past_due", "invoice_paid"}));
  EXPECT_EQ(handled(rx, completed, 3, data_id),
            (Strings{"subscription_create", "subscription_activate", "subscription_completed"}));
  for (const auto& r : rx.received(0)) {
    if (str(r.at("handler")) != "other") {
      EXPECT_EQ(str(r.at("merchantId")), "m_7") << json::serialize(r);
    }
  }
}

// Issue 14's "done when", for Lago (seed 003): started, trial_ended and terminated, signed as Lago signs.
TEST_F(SubscriptionApiTest, LagoReceiverGetsStartedTrialEndedAndTerminated) {
  NodeReceiver rx("lago.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"}});
  rx.configure(lago_jwt_receiver_config(*server_));
  auto body = plan_body("trial");
  body["trial_period_days"] = 14;
  const auto plan = str(api_->post("/v1/plans", body, 201).at("id"));
  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const auto id = str(
      api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan}, {"external_id", "trial-acct"}}, 201)
          .at("id"));
  EXPECT_EQ(subscription_status(id), "trialing");
  advance_days(14);
  ASSERT_TRUE(wait_until([&] { return subscription_status(id) == "active"; }, 10s, "the trial's end"));
  api_->post("/v1/subscriptions/" + id + "/terminate");

  const auto lago_id = [](const json::object& r) {
    const auto* object = r.if_contains("object");
    return object && object->is_object() && object->as_object().contains("lago_id") ? str(object->at("lago_id"))
                                                                                     : std::string();
  };
  EXPECT_EQ(handled(rx, id, 3, lago_id),
            (Strings{"subscription.started", "subscription.trial_ended", "subscription.terminated"}));
  for (const auto& r : rx.received(0)) {
    EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
    if (lago_id(r.as_object()) != id) continue;
    // What a Lago receiver reads: the plan by code, its own id for the subscription, Lago's statuses.
    const auto& object = r.at("object");
    EXPECT_EQ(str(object.at("plan_code")), "trial");
    EXPECT_EQ(str(object.at("external_id")), "trial-acct");
    EXPECT_EQ(str(object.at("external_customer_id")), customer);
    const std::string status = str(object.at("status"));
    EXPECT_TRUE(status == "active" || status == "terminated") << status;
  }
}

// Issue 14's "done when", for Calmony (seed 001): "a subscription billing attempt fails" is a renewal
// whose card declines — invoice.created, invoice.payment_failed — then paid through the API.
TEST_F(SubscriptionApiTest, CalmonyReceiverSeesARenewalDeclinedThenPaid) {
  NodeReceiver rx("calmony.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/calmony")}, {"profile", "calmony"}});
  const auto plan = str(api_->post("/v1/plans", plan_body("monthly"), 201).at("id"));
  const auto customer = api_->customer();
  const auto good = api_->card(customer, kGoodCard);
  api_->post("/v1/subscriptions", {{"customer", customer}, {"plan", plan}}, 201);
  // Before the renewal the customer swaps the card for one that declines.
  const auto declining = api_->card(customer, kNoFundsCard, {{"replaces", good}, {"default", true}});
  advance_days(31);
  ASSERT_TRUE(wait_until([&] { return invoices_of(customer).size() == 2; }, 10s, "the renewal invoice"));
  const auto renewal = invoices_of(customer).at(0).as_object();
  EXPECT_EQ(str(renewal.at("billing_reason")), "subscription_cycle");
  EXPECT_EQ(str(renewal.at("status")), "open");
  const auto renewal_id = str(renewal.at("id"));
  api_->card(customer, kGoodCard, {{"replaces", declining}, {"default", true}});
  EXPECT_EQ(str(api_->pay(renewal_id).at("status")), "paid");

  const auto invoice_id = [](const json::object& r) {
    const auto* data = r.if_contains("data");
    return data && data->is_object() && data->as_object().contains("invoice_id") ? str(data->at("invoice_id"))
                                                                                 : std::string();
  };
  EXPECT_EQ(handled(rx, renewal_id, 3, invoice_id),
            (Strings{"handleInvoiceCreated", "handleInvoicePaymentFailed", "handleInvoicePaid"}));
}

// The routes a domain declares are documented by the served OpenAPI document with no hand-written entry.
TEST_F(SubscriptionApiTest, TheServedOpenApiDocumentDescribesTheSubscriptionRoutes) {
  const auto doc = client_->get("/openapi.json").json().as_object();
  const auto& paths = doc.at("paths").as_object();
  for (const char* path : {"/v1/plans", "/v1/plans/{id}", "/v1/plans/{id}/archive", "/v1/subscriptions",
                           "/v1/subscriptions/{id}", "/v1/subscriptions/{id}/cancel",
                           "/v1/subscriptions/{id}/terminate", "/v1/subscriptions/{id}/change-plan"})
    EXPECT_TRUE(paths.contains(path)) << path;
  const auto& create = paths.at("/v1/subscriptions").at("post").as_object();
  const auto& schema = create.at("requestBody").at("content").at("application/json").at("schema").as_object();
  EXPECT_TRUE(schema.at("properties").as_object().contains("customer"));
  EXPECT_FALSE(schema.at("additionalProperties").as_bool());
  EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Subscription"));
}

}  // namespace
}  // namespace billhook::testing
