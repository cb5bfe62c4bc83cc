// For each seed provider, a receiver written as that provider's documentation shows it (Node and
// express, in tests/support/seed_receivers/) gets the events of a scenario driven through the API:
// the names it switches on, the shape it reads, the order the seed documents, and signatures that
// verify the way that provider documents them.

#include <algorithm>
#include <chrono>
#include <set>

#include "core/crypto.hpp"
#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class SeedProfileTest : public BillingServerTest {
 protected:
  // An endpoint with `profile` receiving everything; answers the create response (with the secret).
  json::object profile_endpoint(const std::string& url, const std::string& profile, json::object extra = {}) {
    extra["url"] = url;
    extra["profile"] = profile;
    return api_->endpoint(std::move(extra));
  }

  // The records about `invoice_id` (the receiver-specific field `id_of` reads it), in arrival order.
  template <typename IdOf>
  static std::vector<json::object> about(const json::array& records, const std::string& invoice_id, IdOf id_of) {
    std::vector<json::object> out;
    for (const auto& r : records)
      if (id_of(r.as_object()) == invoice_id) out.push_back(r.as_object());
    return out;
  }

  static std::vector<std::string> handlers(const std::vector<json::object>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(str(r.at("handler")));
    return out;
  }
};

// Seed 001: the Express handler it prints, unchanged, sees its three flows in the documented order and
// reads {invoice_id, customer_id, amount, currency, status, failure_reason} from event.data.
TEST_F(SeedProfileTest, CalmonyHandlerFromSeed001GetsItsThreeFlowsInOrder) {
  NodeReceiver rx("calmony.mjs");
  profile_endpoint(rx.url("/webhooks/calmony"), "calmony");

  const auto flows = api_->seed001_flows();
  const std::string& good = flows.good_customer;
  const std::string& poor = flows.poor_customer;
  const std::string& paid_at_once = flows.paid_at_once;
  const std::string& failed = flows.failed;
  const std::string& recovered = flows.recovered;

  // A draft is announced once, when it is issued (Calmony has no drafts).
  const auto drafted = api_->invoice(good, {{"auto_finalize", false}});
  api_->finalize(drafted);

  const auto records = rx.received(8);
  auto id_of = [](const json::object& r) { return r.contains("data") ? str(r.at("data").at("invoice_id")) : ""; };
  EXPECT_EQ(handlers(about(records, paid_at_once, id_of)),
            (std::vector<std::string>{"handleInvoiceCreated", "handleInvoicePaid"}));
  EXPECT_EQ(handlers(about(records, failed, id_of)),
            (std::vector<std::string>{"handleInvoiceCreated", "handleInvoicePaymentFailed"}));
  EXPECT_EQ(handlers(about(records, recovered, id_of)),
            (std::vector<std::string>{"handleInvoiceCreated", "handleInvoicePaymentFailed", "handleInvoicePaid"}));
  EXPECT_EQ(handlers(about(records, drafted, id_of)), (std::vector<std::string>{"handleInvoiceCreated"}));
  for (const auto& r : records) EXPECT_NE(str(r.at("handler")), "ignored") << json::serialize(r);

  const auto failure = about(records, failed, id_of).at(1).at("data").as_object();
  EXPECT_EQ(str(failure.at("customer_id")), poor);
  EXPECT_EQ(failure.at("amount"), 11900);
  EXPECT_EQ(str(failure.at("currency")), "EUR");
  EXPECT_EQ(str(failure.at("status")), "payment_failed");
  EXPECT_EQ(str(failure.at("failure_reason")), "insufficient_funds");
  const auto paid = about(records, paid_at_once, id_of).at(1).at("data").as_object();
  EXPECT_EQ(str(paid.at("status")), "paid");
  EXPECT_FALSE(paid.contains("failure_reason"));
}

// Seed 004: Rapyd's INVOICE_PAYMENT_CREATED, signed as Rapyd signs, the invoice in Rapyd's field
// names with major-unit amounts.
TEST_F(SeedProfileTest, RapydReceiverVerifiesItsSignatureAndReadsTheInvoiceWithPayment) {
  NodeReceiver rx("rapyd.mjs");
  const std::string url = rx.url("/webhooks/rapyd");
  // Without its keys a Rapyd endpoint cannot sign: refused, naming the setting.
  const auto refused = client_->post("/v1/endpoints", json::object{{"url", url}, {"profile", "rapyd"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(str(refused.json().at("error").at("param")), "profile_settings.access_key");
  const auto ep = profile_endpoint(url, "rapyd",
                           {{"profile_settings", json::object{{"access_key", "rak_test_0123"},
                                                              {"secret_key", "rsk_test_secret_456789"}}}});
  EXPECT_EQ(str(ep.at("profile_settings").at("access_key")), "rak_test_0123");
  EXPECT_EQ(str(ep.at("profile_settings").at("secret_key")), "…6789");  // never shown back in full
  rx.configure({{"url", url}, {"access_key", "rak_test_0123"}, {"secret_key", "rsk_test_secret_456789"}});

  const auto cus = api_->customer();
  api_->card(cus, kGoodCard);
  const auto inv = api_->invoice(cus);
  EXPECT_EQ(str(api_->pay(inv).at("status")), "paid");

  // INVOICE_CREATED, INVOICE_FINALIZED, INVOICE_PAYMENT_CREATED, INVOICE_PAYMENT_SUCCEEDED.
  json::array records = rx.received(4);
  std::vector<json::object> created;
  for (const auto& r : records) {
    EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
    if (str(r.at("handler")) == "invoicePaymentCreated") created.push_back(r.as_object());
  }
  ASSERT_EQ(created.size(), 1u) << json::serialize(records);
  const auto& webhook = created[0].at("webhook").as_object();
  EXPECT_TRUE(str(webhook.at("id")).starts_with("wh_"));
  EXPECT_EQ(str(webhook.at("status")), "NEW");
  EXPECT_TRUE(webhook.at("created_at").is_int64());
  EXPECT_TRUE(webhook.at("trigger_operation_id").is_string());
  const auto& data = webhook.at("data").as_object();
  EXPECT_EQ(str(data.at("id")), inv);
  EXPECT_EQ(str(data.at("customer")), cus);
  EXPECT_EQ(str(data.at("currency")), "EUR");
  EXPECT_EQ(data.at("total").to_number<double>(), 119.0);
  EXPECT_EQ(data.at("subtotal").to_number<double>(), 100.0);
  EXPECT_EQ(data.at("tax").to_number<double>(), 19.0);
  EXPECT_EQ(str(data.at("billing")), "pay_automatically");
  EXPECT_TRUE(data.at("payout").is_null());
  ASSERT_TRUE(data.at("payment").is_object());
  EXPECT_EQ(str(data.at("payment").at("invoice")), inv);
  EXPECT_EQ(data.at("payment").at("amount").to_number<double>(), 119.0);
  EXPECT_TRUE(data.at("payment").at("ewallets").is_null());
}

// Stripe's own library (stripe.webhooks.constructEvent) accepts every webhook, and the invoice
// lifecycle arrives under Stripe's names in order.
TEST_F(SeedProfileTest, StripeLibraryVerifiesEveryEventOfAnInvoiceLifecycle) {
  NodeReceiver rx("stripe.mjs");
  const auto ep = profile_endpoint(rx.url("/webhooks/stripe"), "stripe", {{"event_types", json::array{"invoice.*"}}});
  rx.configure({{"secret", ep.at("secret")}});

  const auto cus = api_->customer();
  api_->card(cus, kGoodCard);
  const auto inv = api_->invoice(cus, {{"auto_finalize", false}});
  api_->finalize(inv);
  EXPECT_EQ(str(api_->pay(inv).at("status")), "paid");

  const auto records = rx.received(4);
  std::vector<std::string> lifecycle;
  for (const auto& r : records) {
    const auto& o = r.as_object();
    ASSERT_NE(str(o.at("handler")), "rejected") << json::serialize(o);
    if (str(o.at("handler")) == "unhandled") continue;
    EXPECT_EQ(str(o.at("object")), "event");
    EXPECT_EQ(str(o.at("invoice").at("id")), inv);
    lifecycle.push_back(str(o.at("handler")));
  }
  // As Stripe does, paid and payment_succeeded both follow, in no promised order between them.
  ASSERT_EQ(lifecycle.size(), 4u);
  EXPECT_EQ(lifecycle.at(0), "invoice.created");
  EXPECT_EQ(lifecycle.at(1), "invoice.finalized");
  EXPECT_EQ(std::set<std::string>(lifecycle.begin() + 2, lifecycle.end()),
            (std::set<std::string>{"invoice.paid", "invoice.payment_succeeded"}));
}

// Seed 003 (Lago's vocabulary): a draft is invoice.drafted, its finalization invoice.created, each
// keyed by object_type. By default signed as Lago signs by default: a JWT (RS256, {"data": <payload>,
// "iss": <issuer>}) that the receiver checks with jsonwebtoken and the public key it fetched itself from
// GET /v1/webhooks/public_key, as Lago's documentation shows.
TEST_F(SeedProfileTest, LagoReceiverGetsLagosNamesAndVerifiesTheJwtByDefault) {
  NodeReceiver rx("lago.mjs");
  profile_endpoint(rx.url("/webhooks/lago"), "lago");
  rx.configure(lago_jwt_receiver_config(*server_));

  const auto cus = api_->customer();
  const auto inv = api_->invoice(cus, {{"auto_finalize", false}});
  api_->finalize(inv);

  // Order is promised per resource: the customer's event and the invoice's may arrive either way round.
  const auto records = rx.received(3);
  std::vector<json::object> invoice_records;
  std::vector<std::string> customer_names;
  for (const auto& r : records) {
    EXPECT_EQ(str(r.at("algorithm")), "jwt");
    EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
    EXPECT_TRUE(str(r.at("unique_key")).starts_with("evt_"));
    if (str(r.at("object_type")) == "invoice") invoice_records.push_back(r.as_object());
    else customer_names.push_back(str(r.at("handler")));
  }
  EXPECT_EQ(customer_names, (std::vector<std::string>{"customer.created"}));
  ASSERT_EQ(handlers(invoice_records), (std::vector<std::string>{"invoice.drafted", "invoice.one_off_created"}));
  const auto& drafted = invoice_records.at(0);
  EXPECT_EQ(str(drafted.at("object").at("lago_id")), inv);
  EXPECT_EQ(str(drafted.at("object").at("status")), "draft");
  EXPECT_EQ(str(invoice_records.at(1).at("object").at("status")), "finalized");
  EXPECT_EQ(invoice_records.at(1).at("object").at("total_amount_cents"), 11900);
}

// Name, type and status agree with Lago's documented meaning: an invoice made through the API is what Lago
// calls one-off (invoice_type "one_off") and is announced as invoice.one_off_created; a failed payment's
// invoice.payment_failure shows payment_status "failed", as does the status update that follows it.
TEST_F(SeedProfileTest, LagoNamesTypesAndPaymentStatusesAgree) {
  NodeReceiver rx("lago.mjs");
  profile_endpoint(rx.url("/webhooks/lago"), "lago");
  rx.configure(lago_jwt_receiver_config(*server_));

  const auto cus = api_->customer();
  api_->card(cus, kNoFundsCard);
  const auto inv = api_->invoice(cus);
  EXPECT_EQ(str(api_->pay(inv).at("payment_status")), "failed");

  std::vector<json::object> about_invoice;
  for (const auto& r : rx.received(4))
    if (r.at("object").is_object() && r.at("object").as_object().contains("lago_id") &&
        str(r.at("object").at("lago_id")) == inv)
      about_invoice.push_back(r.as_object());
  ASSERT_EQ(handlers(about_invoice), (std::vector<std::string>{"invoice.one_off_created", "invoice.payment_failure",
                                                               "invoice.payment_status_updated"}));
  EXPECT_EQ(str(about_invoice[0].at("object").at("invoice_type")), "one_off");
  EXPECT_EQ(str(about_invoice[0].at("object").at("payment_status")), "pending");
  EXPECT_EQ(str(about_invoice[1].at("object").at("payment_status")), "failed");
  EXPECT_EQ(str(about_invoice[2].at("object").at("payment_status")), "failed");
}

// HMAC stays selectable per endpoint (profile_settings.signature_algorithm), verified as Lago documents it.
TEST_F(SeedProfileTest, LagoEndpointSetToHmacIsSignedWithTheHmac) {
  NodeReceiver rx("lago.mjs");
  const auto ep = profile_endpoint(rx.url("/webhooks/lago"), "lago",
                                   {{"profile_settings", json::object{{"signature_algorithm", "hmac"}}}});
  EXPECT_EQ(str(ep.at("profile_settings").at("signature_algorithm")), "hmac");
  rx.configure({{"algorithm", "hmac"}, {"hmac_key", ep.at("secret")}});

  api_->customer();
  const auto records = rx.received(1);
  EXPECT_EQ(str(records.at(0).at("algorithm")), "hmac");
  EXPECT_TRUE(records.at(0).at("verified").as_bool()) << json::serialize(records);
  EXPECT_EQ(str(records.at(0).at("handler")), "customer.created");
}

// A signature algorithm Lago does not have is refused naming the field, and changes nothing.
TEST_F(SeedProfileTest, LagoSignatureAlgorithmMustBeJwtOrHmac) {
  const auto refused = client_->post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/x"},
                                                                  {"profile", "lago"},
                                                                  {"profile_settings", json::object{{"signature_algorithm", "rsa"}}}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(str(refused.json().at("error").at("code")), "invalid_value");
  EXPECT_EQ(str(refused.json().at("error").at("param")), "profile_settings.signature_algorithm");
  EXPECT_NE(str(refused.json().at("error").at("message")).find("jwt, hmac"), std::string::npos);
  EXPECT_TRUE(api_->get("/v1/endpoints").at("data").as_array().empty());

  const auto id = str(profile_endpoint("http://127.0.0.1:9/x", "lago").at("id"));
  const auto patch = client_->patch("/v1/endpoints/" + id,
                                    json::object{{"profile_settings", json::object{{"signature_algorithm", "HMAC"}}}});
  EXPECT_EQ(patch.status, 400);
  EXPECT_EQ(str(patch.json().at("error").at("param")), "profile_settings.signature_algorithm");
  EXPECT_TRUE(api_->get("/v1/endpoints/" + id).at("profile_settings").as_object().empty());
}

// The installation's key pair is made once and kept: the public key served is the same after a restart.
TEST_F(SeedProfileTest, WebhookPublicKeyIsServedAsLagoServesItAndSurvivesARestart) {
  const auto first = client_->get("/v1/webhooks/public_key");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.header("content-type").find("text/plain"), std::string::npos);
  const auto pem = core::base64_decode(first.body);
  ASSERT_TRUE(pem.has_value()) << first.body;
  EXPECT_TRUE(pem->starts_with("-----BEGIN PUBLIC KEY-----\n")) << *pem;

  restart_server();
  EXPECT_EQ(client_->get("/v1/webhooks/public_key").body, first.body);
}

// Seed 002: Ezypay's snake_case names, merchantId from the endpoint, and the invoice's events in the
// order they happened. Order is promised per resource: the customer's, the card's and the invoice's
// events may interleave, so only the invoice's own order is asserted.
TEST_F(SeedProfileTest, EzypayReceiverGetsTheSeedsNamesInOrder) {
  NodeReceiver rx("ezypay.mjs");
  profile_endpoint(rx.url("/webhooks/ezypay"), "ezypay", {{"profile_settings", json::object{{"merchant_id", "m_42"}}}});

  const auto cus = api_->customer();
  api_->card(cus, kGoodCard);
  const auto inv = api_->invoice(cus);
  EXPECT_EQ(str(api_->pay(inv).at("status")), "paid");

  const auto records = rx.received(4);
  std::vector<std::string> names;
  for (const auto& r : records) {
    EXPECT_EQ(str(r.at("merchantId")), "m_42") << json::serialize(r);
    names.push_back(str(r.at("handler")));
  }
  ASSERT_GE(names.size(), 4u);
  std::vector<std::string> first_four(names.begin(), names.begin() + 4);
  std::sort(first_four.begin(), first_four.end());
  EXPECT_EQ(first_four,
            (std::vector<std::string>{"customer_create", "invoice_created", "invoice_paid", "payment_method_linked"}));
  const auto created = std::find(names.begin(), names.end(), "invoice_created");
  const auto paid_at = std::find(names.begin(), names.end(), "invoice_paid");
  ASSERT_NE(paid_at, names.end());
  EXPECT_LT(created, paid_at) << "the invoice's events in the order they happened";
  const auto& paid = records.at(static_cast<size_t>(paid_at - names.begin())).at("data").as_object();
  EXPECT_EQ(str(paid.at("id")), inv);
  EXPECT_EQ(str(paid.at("customerId")), cus);
  EXPECT_EQ(paid.at("amount").at("value").to_number<double>(), 119.0);
}

// Seed 000: an endpoint subscribed by the seed's category title gets that category's triggers only.
TEST_F(SeedProfileTest, Seed000CategorySubscriptionReceivesItsTriggersOnly) {
  Receiver rx;
  const auto ep =
      profile_endpoint(rx.url("/seed000"), "billhook", {{"categories", json::array{"Invoice payment processing"}}});
  EXPECT_TRUE(ep.at("categories").as_array().empty());
  EXPECT_EQ(ep.at("event_types").as_array().size(), 9u);

  const auto cus = api_->customer();
  api_->card(cus, kNoFundsCard);
  const auto inv = api_->invoice(cus);
  EXPECT_EQ(str(api_->pay(inv).at("status")), "open");
  api_->card(cus, kGoodCard, {{"default", true}});
  EXPECT_EQ(str(api_->pay(inv).at("status")), "paid");

  ASSERT_TRUE(rx.wait_until(
      [](const std::vector<ReceivedRequest>& requests) {
        for (const auto& r : requests)
          if (r.event_type() == "invoice.paid") return true;
        return false;
      },
      20s));
  const std::set<std::string> allowed = {"invoice.paid", "invoice.paid_with_fallback_method", "invoice.payment_failed",
                                         "invoice.payment_missing_data", "invoice.payment_method_swapped",
                                         "invoice.payment_method_expired", "invoice.payment_method_resolved",
                                         "invoice.payment_method_restored", "invoice.payment_action_required"};
  std::set<std::string> seen;
  for (const auto& r : rx.requests_for("/seed000")) {
    EXPECT_TRUE(allowed.contains(r.event_type())) << r.event_type();
    seen.insert(r.event_type());
  }
  EXPECT_TRUE(seen.contains("invoice.payment_failed"));
  EXPECT_TRUE(seen.contains("invoice.paid"));
}

// Unknown profiles are refused with the allowed names; a profile and its settings show on the endpoint.
TEST_F(SeedProfileTest, ProfileIsValidatedStoredAndShown) {
  const auto refused = client_->post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/x"}, {"profile", "paypal"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(str(refused.json().at("error").at("code")), "unknown_profile");
  EXPECT_NE(str(refused.json().at("error").at("message")).find("billhook, calmony, stripe, rapyd, lago, ezypay"),
            std::string::npos);
  const auto bad_setting = client_->post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/x"},
                                                                      {"profile", "calmony"},
                                                                      {"profile_settings", json::object{{"x", "y"}}}});
  EXPECT_EQ(bad_setting.status, 400);
  EXPECT_EQ(str(bad_setting.json().at("error").at("code")), "unknown_setting");

  const auto wrong_type = client_->post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/x"},
                                                                     {"profile", "rapyd"},
                                                                     {"profile_settings", json::object{{"access_key", 5}}}});
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(str(wrong_type.json().at("error").at("param")), "profile_settings.access_key");

  const auto ep = profile_endpoint("http://127.0.0.1:9/x", "calmony");
  const auto id = str(ep.at("id"));
  // Switching to Rapyd without its keys is refused and changes nothing.
  const auto keyless = client_->patch("/v1/endpoints/" + id, json::object{{"profile", "rapyd"}});
  EXPECT_EQ(keyless.status, 400);
  EXPECT_EQ(str(keyless.json().at("error").at("code")), "missing_setting");
  EXPECT_EQ(str(api_->get("/v1/endpoints/" + id).at("profile")), "calmony");
  EXPECT_EQ(str(api_->get("/v1/endpoints").at("data").at(0).at("profile")), "calmony");
  const auto patched = client_->patch("/v1/endpoints/" + id, json::object{{"profile", "stripe"}});
  EXPECT_EQ(str(expect_json(patched, 200, "patch").at("profile")), "stripe");
  const auto no_profile = profile_endpoint("http://127.0.0.1:9/y", "billhook");
  EXPECT_TRUE(no_profile.at("profile_settings").as_object().empty());
}

}  // namespace
}  // namespace billhook::testing
