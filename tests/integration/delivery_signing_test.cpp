// Standard Webhooks signatures on what the receiver really got, verified by the npm
// `standardwebhooks` library (tests/support/verify_webhooks.mjs): every request, the same
// webhook-id across retries, and secret rotation with its overlap.

#include <chrono>
#include <sstream>

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;

struct CreatedEndpoint {
  std::string id;
  std::string secret;
};

class SigningTest : public DeliveryTest {
 protected:
  void SetUp() override { start(); }

  CreatedEndpoint endpoint(const std::string& path, json::array types = {"invoice.*"}) {
    auto r = client_->post("/v1/endpoints", json::object{{"url", rx_.url(path)}, {"event_types", types}});
    if (r.status != 201) throw std::runtime_error("create endpoint: " + describe(r));
    return {str(r.json().at("id")), str(r.json().at("secret"))};
  }
  std::string publish(const json::object& body) {
    auto r = client_->post("/v1/events", body);
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return str(r.json().at("id"));
  }
  // How many `v1,` signatures the header carries.
  static size_t signature_count(const ReceivedRequest& r) {
    std::istringstream in(r.header("webhook-signature"));
    size_t n = 0;
    for (std::string part; in >> part;) n += part.rfind("v1,", 0) == 0 ? 1 : 0;
    return n;
  }
};

TEST_F(SigningTest, EveryDeliveredRequestVerifies) {
  const auto a = endpoint("/a");
  const auto b = endpoint("/b", {"*"});
  std::vector<std::string> events;
  const std::string invoice = unique_name("inv_sig_");
  for (const char* type : {"invoice.created", "invoice.finalized", "invoice.payment_failed", "invoice.paid"})
    events.push_back(publish(invoice_event(invoice, type)));
  events.push_back(publish(json::object{{"type", "customer.created"},
                                        {"data", json::object{{"object", example_object("customer.created")}}}}));
  ASSERT_TRUE(rx_.wait_for_requests("/a", 4, 10s));
  ASSERT_TRUE(rx_.wait_for_requests("/b", 5, 10s));
  const auto to_a = rx_.requests_for("/a");
  const auto to_b = rx_.requests_for("/b");

  std::vector<std::string> failures;
  EXPECT_EQ(count_verified(to_a, a.secret, &failures), to_a.size()) << ::testing::PrintToString(failures);
  EXPECT_EQ(count_verified(to_b, b.secret, &failures), to_b.size()) << ::testing::PrintToString(failures);
  // The verifier can say no: each endpoint's webhooks fail with the other's secret.
  EXPECT_EQ(count_verified(to_a, b.secret), 0u);
  EXPECT_EQ(count_verified(to_b, a.secret), 0u);
  // And an altered body fails with the right secret.
  auto tampered = to_a;
  for (auto& r : tampered) r.body.replace(r.body.find("\"type\""), 6, "\"Type\"");
  EXPECT_EQ(count_verified(tampered, a.secret), 0u);

  for (const auto& r : to_b) {
    EXPECT_EQ(r.header("webhook-id"), str(r.json().at("id"))) << "webhook-id is the event id";
    EXPECT_EQ(signature_count(r), 1u);
  }
  std::set<std::string> ids;
  for (const auto& r : to_b) ids.insert(r.header("webhook-id"));
  EXPECT_EQ(ids, std::set<std::string>(events.begin(), events.end()));
}

TEST_F(SigningTest, WebhookIdStaysTheSameAcrossRetries) {
  rx_.on("/retry", fail_first(1));
  const auto ep = endpoint("/retry");
  const auto event_id = publish(invoice_event(unique_name("inv_sig_")));
  const auto delivery_id = delivery_of(*client_, event_id, ep.id);
  await_status(*client_, delivery_id, "retrying", 1);
  advance_clock(*client_, 7);  // the first retry comes after 5 s ± 20 %
  ASSERT_TRUE(rx_.wait_for_requests("/retry", 2, 10s));
  await_status(*client_, delivery_id, "succeeded", 2);

  const auto got = rx_.requests_for("/retry");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].answered, 500);
  EXPECT_EQ(got[1].answered, 200);
  EXPECT_EQ(got[0].header("webhook-id"), event_id);
  EXPECT_EQ(got[1].header("webhook-id"), event_id) << "the same id, so that receivers can de-duplicate";
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_EQ(std::stoll(got[1].header("webhook-timestamp")) - std::stoll(got[0].header("webhook-timestamp")), 7)
      << "each attempt is stamped with its own time";
  EXPECT_NE(got[0].header("webhook-signature"), got[1].header("webhook-signature"));
  std::vector<std::string> failures;
  EXPECT_EQ(count_verified(got, ep.secret, &failures), 2u) << ::testing::PrintToString(failures);
}

TEST_F(SigningTest, RotationSignsWithBothSecretsUntilTheOldOneExpires) {
  const auto ep = endpoint("/rotate");
  publish(invoice_event(unique_name("inv_rot_")));
  ASSERT_TRUE(rx_.wait_for_requests("/rotate", 1, 10s));

  auto rotated = client_->post("/v1/endpoints/" + ep.id + "/rotate-secret", json::object{{"expire_previous_in", 3600}});
  ASSERT_EQ(rotated.status, 200) << describe(rotated);
  const std::string new_secret = str(rotated.json().at("secret"));
  EXPECT_EQ(new_secret.rfind("whsec_", 0), 0u);
  EXPECT_NE(new_secret, ep.secret);
  auto shown = client_->get("/v1/endpoints/" + ep.id + "/secret");
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(str(shown.json().at("secret")), new_secret);
  auto clock = client_->post("/v1/test/clock", json::object{{"advance_seconds", 0}});
  ASSERT_EQ(clock.status, 200) << describe(clock);
  const int64_t now_s = clock.json().at("now_ms").as_int64() / 1000;
  EXPECT_EQ(rotated.json().at("previous_secret_expires_at").as_int64(), now_s + 3600);

  // During the overlap: both signatures, and each secret verifies on its own.
  publish(invoice_event(unique_name("inv_rot_")));
  ASSERT_TRUE(rx_.wait_for_requests("/rotate", 2, 10s));
  advance_clock(*client_, 3599);
  publish(invoice_event(unique_name("inv_rot_")));
  ASSERT_TRUE(rx_.wait_for_requests("/rotate", 3, 10s));
  // After the overlap: the new secret only.
  advance_clock(*client_, 2);
  publish(invoice_event(unique_name("inv_rot_")));
  ASSERT_TRUE(rx_.wait_for_requests("/rotate", 4, 10s));

  const auto got = rx_.requests_for("/rotate");
  ASSERT_EQ(got.size(), 4u);
  const std::vector<ReceivedRequest> before{got[0]};
  const std::vector<ReceivedRequest> overlap{got[1], got[2]};
  const std::vector<ReceivedRequest> after{got[3]};
  EXPECT_EQ(signature_count(got[0]), 1u);
  EXPECT_EQ(signature_count(got[1]), 2u) << got[1].header("webhook-signature");
  EXPECT_EQ(signature_count(got[2]), 2u) << "one second before the old secret expires";
  EXPECT_EQ(signature_count(got[3]), 1u) << "one second after";
  EXPECT_EQ(count_verified(before, ep.secret), 1u);
  EXPECT_EQ(count_verified(before, new_secret), 0u);
  EXPECT_EQ(count_verified(overlap, ep.secret), 2u) << "receivers still on the old secret keep working";
  EXPECT_EQ(count_verified(overlap, new_secret), 2u) << "receivers already on the new one too";
  EXPECT_EQ(count_verified(after, ep.secret), 0u) << "the old secret has expired";
  EXPECT_EQ(count_verified(after, new_secret), 1u);
}

TEST_F(SigningTest, RotationOverlapDefaultsToOneDay) {
  const auto ep = endpoint("/rotate-default");
  auto rotated = client_->post("/v1/endpoints/" + ep.id + "/rotate-secret", ""sv);
  ASSERT_EQ(rotated.status, 200) << describe(rotated);
  const std::string new_secret = str(rotated.json().at("secret"));
  auto clock = client_->post("/v1/test/clock", json::object{{"advance_seconds", 0}});
  const int64_t now_s = clock.json().at("now_ms").as_int64() / 1000;
  EXPECT_EQ(rotated.json().at("previous_secret_expires_at").as_int64(), now_s + 86'400);

  advance_clock(*client_, 86'399);
  publish(invoice_event(unique_name("inv_rot_")));
  ASSERT_TRUE(rx_.wait_for_requests("/rotate-default", 1, 10s));
  advance_clock(*client_, 2);
  publish(invoice_event(unique_name("inv_rot_")));
  ASSERT_TRUE(rx_.wait_for_requests("/rotate-default", 2, 10s));
  const auto got = rx_.requests_for("/rotate-default");
  EXPECT_EQ(signature_count(got[0]), 2u);
  EXPECT_EQ(count_verified({got[0]}, ep.secret), 1u);
  EXPECT_EQ(count_verified({got[0]}, new_secret), 1u);
  EXPECT_EQ(signature_count(got[1]), 1u);
  EXPECT_EQ(count_verified({got[1]}, ep.secret), 0u);
  EXPECT_EQ(count_verified({got[1]}, new_secret), 1u);
}

}  // namespace
}  // namespace billhook::testing
