// Endpoint health through the real binary and the manual clock: an endpoint that has only failed
// for five days (or --disable-after-hours) is disabled with reason "failing" and
// `endpoint.disabled` is delivered; a success resets that clock; PATCH {"enabled": true}
// announces `endpoint.enabled` and its waiting deliveries go out again.

#include <chrono>

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kDay = 86'400;

class HealthTest : public DeliveryTest {
 protected:
  std::string publish(const std::string& invoice, std::string_view type = "invoice.paid") {
    auto r = client_->post("/v1/events", invoice_event(invoice, type));
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return str(r.json().at("id"));
  }
  json::value endpoint_state(const std::string& id) {
    auto r = client_->get("/v1/endpoints/" + id);
    if (r.status != 200) throw std::runtime_error("get endpoint: " + describe(r));
    return r.json();
  }

};

TEST_F(HealthTest, FiveDaysOfFailuresDisableTheEndpointAndReEnablingResumesIt) {
  start();
  rx_.on("/flaky", fail_first(6));
  const auto flaky =
      endpoint("/flaky", {{"retry_schedule", json::array{kDay, kDay, kDay, kDay, kDay, kDay, kDay, kDay}}});
  endpoint("/watch", {{"event_types", json::array{"endpoint.disabled", "endpoint.enabled"}}});
  const std::string inv = unique_name("inv_health_");
  const auto first = delivery_of(*client_, publish(inv, "invoice.payment_failed"), flaky);
  const auto second = delivery_of(*client_, publish(inv, "invoice.paid"), flaky);  // waits behind the first

  // A day ± 20 % between tries; each step of 1.2 days makes the next one due.
  constexpr int64_t kStep = kDay * 12 / 10 + 1;
  await_status(*client_, first, "retrying", 1);
  for (int attempt = 2; attempt <= 5; ++attempt) {
    advance_clock(*client_, kStep);
    await_status(*client_, first, "retrying", attempt);
  }
  // 4.8 days of nothing but failures: not yet.
  EXPECT_EQ(endpoint_state(flaky).at("enabled"), json::value(true));
  EXPECT_EQ(rx_.count_for("/watch"), 0u);
  advance_clock(*client_, kStep);  // 6 days
  auto d = await_status(*client_, first, "retrying", 6);
  EXPECT_EQ(d.at("attempt_count"), json::value(6));

  const auto disabled = endpoint_state(flaky);
  EXPECT_EQ(disabled.at("enabled"), json::value(false));
  EXPECT_EQ(disabled.at("disabled_reason"), json::value("failing"));
  EXPECT_TRUE(disabled.at("disabled_at").is_int64());
  ASSERT_TRUE(rx_.wait_for_requests("/watch", 1, 10s));
  auto announced = rx_.requests_for("/watch").at(0).json();
  EXPECT_EQ(announced.at("type"), json::value("endpoint.disabled"));
  EXPECT_EQ(announced.at("data").at("object").at("id"), json::value(flaky));
  EXPECT_EQ(announced.at("data").at("object").at("disabled_reason"), json::value("failing"));

  // Disabled: the first delivery comes due, but nothing is sent.
  advance_clock(*client_, kStep);
  EXPECT_FALSE(rx_.wait_for_requests("/flaky", 7, 300ms));
  EXPECT_EQ(client_->get("/v1/deliveries/" + first).json().at("attempt_count"), json::value(6));
  EXPECT_EQ(client_->get("/v1/deliveries/" + second).json().at("status"), json::value("pending"));

  // Re-enabled (and the receiver is well again): both go out, in order, with the clock standing still.
  auto enabled = client_->patch("/v1/endpoints/" + flaky, json::object{{"enabled", true}});
  ASSERT_EQ(enabled.status, 200) << describe(enabled);
  EXPECT_EQ(enabled.json().at("enabled"), json::value(true));
  EXPECT_TRUE(enabled.json().at("disabled_reason").is_null());
  await_status(*client_, first, "succeeded", 7);
  await_status(*client_, second, "succeeded", 1);
  const auto got = rx_.requests_for("/flaky");
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[6].event_type(), "invoice.payment_failed");
  EXPECT_EQ(got[7].event_type(), "invoice.paid");
  ASSERT_TRUE(rx_.wait_for_requests("/watch", 2, 10s));
  announced = rx_.requests_for("/watch").at(1).json();
  EXPECT_EQ(announced.at("type"), json::value("endpoint.enabled"));
  EXPECT_EQ(announced.at("data").at("object").at("id"), json::value(flaky));
  EXPECT_EQ(announced.at("data").at("object").at("enabled"), json::value(true));
}

TEST_F(HealthTest, DisableAfterHoursFlagSetsTheThreshold) {
  start({"--disable-after-hours", "2"});
  rx_.on("/down", Behaviour::status_code(503));
  const auto down = endpoint("/down", {{"retry_schedule", json::array{3600, 3600, 3600}}});
  endpoint("/watch", {{"event_types", json::array{"endpoint.disabled"}}});
  const auto delivery = delivery_of(*client_, publish(unique_name("inv_flag_")), down);
  await_status(*client_, delivery, "retrying", 1);
  advance_clock(*client_, 4321);  // 1.2 h
  await_status(*client_, delivery, "retrying", 2);
  EXPECT_EQ(endpoint_state(down).at("enabled"), json::value(true)) << "1.2 hours < 2";
  advance_clock(*client_, 4321);  // 2.4 h
  await_status(*client_, delivery, "retrying", 3);
  const auto state = endpoint_state(down);
  EXPECT_EQ(state.at("enabled"), json::value(false)) << "2.4 hours ≥ 2";
  EXPECT_EQ(state.at("disabled_reason"), json::value("failing"));
  ASSERT_TRUE(rx_.wait_for_requests("/watch", 1, 10s));
  EXPECT_EQ(rx_.requests_for("/watch").at(0).event_type(), "endpoint.disabled");
}

TEST_F(HealthTest, ASuccessResetsTheFailingClock) {
  start({"--disable-after-hours", "2"});
  // Attempts 1, 2 fail; 3 succeeds; 4, 5 fail.
  rx_.on("/mixed", Script{Behaviour::status_code(500), Behaviour::status_code(500), Behaviour::ok(),
                          Behaviour::status_code(500)});
  const auto mixed = endpoint("/mixed", {{"retry_schedule", json::array{3000, 3000, 3000}}});
  const auto first = delivery_of(*client_, publish(unique_name("inv_reset_")), mixed);
  await_status(*client_, first, "retrying", 1);
  advance_clock(*client_, 3601);
  await_status(*client_, first, "retrying", 2);
  advance_clock(*client_, 3601);
  await_status(*client_, first, "succeeded", 3);  // 2 h after the first failure, but it succeeded
  const auto second = delivery_of(*client_, publish(unique_name("inv_reset_")), mixed);
  await_status(*client_, second, "retrying", 1);
  advance_clock(*client_, 3601);
  await_status(*client_, second, "retrying", 2);
  // Failing since the second delivery's first attempt (1 h), not since the very first failure (3 h).
  EXPECT_EQ(endpoint_state(mixed).at("enabled"), json::value(true));
}

}  // namespace
}  // namespace billhook::testing
