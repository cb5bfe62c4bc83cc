// The dispatcher through the real binary and a real loopback receiver: what a webhook request
// looks like, the attempt history, immediate pick-up of new work (no polling tick), concurrent
// sends over kept-alive connections, and the per-endpoint max_in_flight and rate_limit.

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

class DispatchTest : public DeliveryTest {
 protected:
  void SetUp() override { start(); }

  json::object publish(const json::object& body) {
    auto r = client_->post("/v1/events", body);
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return r.json().as_object();
  }
};

TEST_F(DispatchTest, DeliversTheEnvelopeAndRecordsTheAttempt) {
  const auto endpoint_id = endpoint("/hook");
  const auto event = publish(invoice_event(unique_name("inv_disp_"), "invoice.paid"));
  const std::string event_id = str(event.at("id"));
  ASSERT_TRUE(rx_.wait_for_requests("/hook", 1, 10s));
  const auto request = rx_.requests_for("/hook").at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hook");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.json(), json::value(event)) << "the body is the event as the API shows it";
  EXPECT_EQ(request.header("webhook-id"), event_id);
  EXPECT_TRUE(std::regex_match(request.header("webhook-timestamp"), std::regex("[0-9]{10}")))
      << request.header("webhook-timestamp");
  EXPECT_EQ(request.header("webhook-timestamp"), std::to_string(event.at("created").as_int64()))
      << "the first attempt is made at once (the test clock stands still)";
  EXPECT_TRUE(std::regex_match(request.header("webhook-signature"), std::regex("v1,[A-Za-z0-9+/]{43}=")))
      << request.header("webhook-signature");

  const std::string delivery_id = delivery_of(*client_, event_id, endpoint_id);
  const auto delivery = await_status(*client_, delivery_id, "succeeded", 1);
  EXPECT_EQ(delivery.at("attempt_count").as_int64(), 1);
  EXPECT_TRUE(delivery.at("last_error").is_null());
  EXPECT_TRUE(delivery.at("next_attempt_at").is_null());
  EXPECT_EQ(delivery.at("last_attempt_at").as_int64(), event.at("created").as_int64());
  const auto& attempts = delivery.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 1u);
  const auto& a = attempts[0].as_object();
  EXPECT_EQ(a.at("number").as_int64(), 1);
  EXPECT_EQ(a.at("started_at"), event.at("created")) << "unix seconds; made at once: the test clock has not moved";
  EXPECT_TRUE(a.at("duration_ms").is_int64()) << a.at("duration_ms");
  EXPECT_GE(a.at("duration_ms").as_int64(), 0);
  EXPECT_LT(a.at("duration_ms").as_int64(), 10'000);
  EXPECT_EQ(a.at("status_code"), json::value(200));
  EXPECT_TRUE(a.at("error_class").is_null()) << a.at("error_class");
  EXPECT_TRUE(a.at("error_message").is_null()) << a.at("error_message");
  EXPECT_EQ(a.at("response_body"), json::value(R"({"received":true})"));
  ASSERT_TRUE(a.at("response_headers").is_object()) << a.at("response_headers");
  EXPECT_EQ(a.at("response_headers").at("x-receiver"), json::value("billhook-test"));
  EXPECT_EQ(a.at("response_headers").at("content-type"), json::value("application/json"));
  EXPECT_TRUE(a.at("next_attempt_at").is_null());
}

TEST_F(DispatchTest, AFailedAttemptIsRecordedWithItsAnswer) {
  rx_.on("/fail", Behaviour::status_code(500).with_header("X-Trace", "abc123"));
  const auto endpoint_id = endpoint("/fail");
  const auto event = publish(invoice_event(unique_name("inv_disp_")));
  const auto delivery_id = delivery_of(*client_, str(event.at("id")), endpoint_id);
  const auto delivery = await_status(*client_, delivery_id, "retrying", 1);
  const auto& a = delivery.at("attempts").as_array().at(0).as_object();
  EXPECT_EQ(a.at("status_code"), json::value(500));
  EXPECT_EQ(a.at("error_class"), json::value("http_status"));
  EXPECT_EQ(a.at("error_message"), json::value("HTTP 500"));
  EXPECT_EQ(a.at("response_headers").at("x-trace"), json::value("abc123"));
  EXPECT_EQ(a.at("response_body"), json::value(R"({"error":"receiver told to answer 500"})"));
  ASSERT_TRUE(a.at("next_attempt_at").is_int64());
  EXPECT_EQ(delivery.at("next_attempt_at"), a.at("next_attempt_at"));
  EXPECT_EQ(delivery.at("last_error"),
            json::value(json::object{{"class", "http_status"}, {"status_code", 500}, {"message", "HTTP 500"}}));
}

// New work wakes the dispatcher: with the test clock standing still, nothing else could make it
// send, and each publish is received within milliseconds, far below any polling interval.
TEST_F(DispatchTest, APublishIsSentAtOnceWithoutAClockTick) {
  endpoint("/now");
  constexpr int kRounds = 10;
  std::vector<int64_t> latencies_ms;
  for (int i = 0; i < kRounds; ++i) {
    const auto started = Steady::now();
    publish(invoice_event(unique_name("inv_now_")));
    ASSERT_TRUE(rx_.wait_for_requests("/now", static_cast<size_t>(i + 1), 5s)) << "round " << i;
    const auto arrived = rx_.requests_for("/now").back().arrived;
    latencies_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(arrived - started).count());
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::string all;
  for (auto l : latencies_ms) all += std::to_string(l) + " ";
  // A dispatcher that only looked every half second would make most of these hundreds of ms; a
  // woken one makes them a few ms. Two slow ones are allowed for a busy machine.
  const auto fast = std::count_if(latencies_ms.begin(), latencies_ms.end(), [](int64_t l) { return l < 150; });
  EXPECT_GE(fast, kRounds - 2) << "publish-to-receipt latencies (ms): " << all;
  EXPECT_LT(latencies_ms[kRounds / 2], 100) << "publish-to-receipt latencies (ms): " << all;
}

TEST_F(DispatchTest, SendsConcurrentlyAndReusesConnections) {
  rx_.on("/slow", Behaviour::delayed(300ms));
  const auto endpoint_id = endpoint("/slow");
  constexpr size_t kEvents = 8;
  std::vector<std::string> events;
  for (size_t i = 0; i < kEvents; ++i) events.push_back(str(publish(invoice_event(unique_name("inv_conc_"))).at("id")));
  ASSERT_TRUE(rx_.wait_for_requests("/slow", kEvents, 10s));
  // Eight invoices, each its own aggregate: nothing orders them, so all go out together.
  EXPECT_GE(rx_.peak_concurrency("/slow"), 6) << "requests are sent concurrently";
  for (const auto& e : events) {
    const auto d = await_status(*client_, delivery_of(*client_, e, endpoint_id), "succeeded", 1);
    EXPECT_GE(d.at("attempts").as_array().at(0).at("duration_ms").as_int64(), 300) << "the receiver took 300 ms";
  }

  // Kept alive: one after another, each awaited, they all reuse the connections already open.
  rx_.on("/slow", Behaviour::ok());
  const int connections_before = rx_.connections();
  for (size_t i = 0; i < 5; ++i) {
    const auto e = str(publish(invoice_event(unique_name("inv_keep_"))).at("id"));
    ASSERT_TRUE(rx_.wait_for_requests("/slow", kEvents + i + 1, 5s));
    await_status(*client_, delivery_of(*client_, e, endpoint_id), "succeeded", 1);
  }
  EXPECT_EQ(rx_.connections(), connections_before) << "no new connection for five more webhooks";
}

TEST_F(DispatchTest, MaxInFlightCapsConcurrentRequests) {
  rx_.on("/capped", Behaviour::delayed(250ms));
  const auto endpoint_id = endpoint("/capped", {{"max_in_flight", 2}});
  constexpr size_t kEvents = 6;
  std::vector<std::string> events;
  for (size_t i = 0; i < kEvents; ++i) events.push_back(str(publish(invoice_event(unique_name("inv_cap_"))).at("id")));
  ASSERT_TRUE(rx_.wait_for_requests("/capped", kEvents, 10s));
  EXPECT_EQ(rx_.peak_concurrency("/capped"), 2) << "max_in_flight 2: never more, and it does use both";
  // Three rounds of two: the last request cannot arrive before two full rounds have passed.
  const auto requests = rx_.requests_for("/capped");
  const auto span =
      std::chrono::duration_cast<std::chrono::milliseconds>(requests.back().arrived - requests.front().arrived);
  EXPECT_GE(span.count(), 2 * 250 - 20);
  for (const auto& e : events) await_status(*client_, delivery_of(*client_, e, endpoint_id), "succeeded", 1);
}

TEST_F(DispatchTest, RateLimitSpacesRequests) {
  constexpr int kRate = 10;
  constexpr size_t kEvents = 20;
  const auto endpoint_id = endpoint("/limited", {{"rate_limit", kRate}});
  const auto unlimited_id = endpoint("/unlimited");
  for (size_t i = 0; i < kEvents; ++i) publish(invoice_event(unique_name("inv_rate_")));
  ASSERT_TRUE(rx_.wait_for_requests("/limited", kEvents, 10s));
  ASSERT_TRUE(rx_.wait_for_requests("/unlimited", kEvents, 10s));
  const auto limited = rx_.requests_for("/limited");
  // A bucket of 10 tokens refilled at 10 a second: request i (from 0) needs (i - 9) / 10 s more.
  for (size_t i = kRate; i < kEvents; ++i) {
    const auto since_first =
        std::chrono::duration_cast<std::chrono::milliseconds>(limited[i].arrived - limited.front().arrived);
    EXPECT_GE(since_first.count(), static_cast<int64_t>((i - kRate + 1) * 1000 / kRate) - 60) << "request " << i;
  }
  const auto unlimited = rx_.requests_for("/unlimited");
  const auto unlimited_span =
      std::chrono::duration_cast<std::chrono::milliseconds>(unlimited.back().arrived - unlimited.front().arrived);
  const auto limited_span =
      std::chrono::duration_cast<std::chrono::milliseconds>(limited.back().arrived - limited.front().arrived);
  EXPECT_LT(unlimited_span, limited_span) << "the same events to an endpoint without a limit are not spaced";
  (void)endpoint_id;
  (void)unlimited_id;
}

}  // namespace
}  // namespace billhook::testing
