// Retries through the real binary, driven by the manual clock: the default schedule with its
// jitter to the dead letter and `delivery.exhausted`, a per-endpoint schedule, Retry-After on
// 429 and 503, 410 disabling the endpoint, redirects not followed, manual and bulk retry.

#include <chrono>
#include <cmath>
#include <ctime>

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;

// Seconds from an attempt's start to the next attempt it planned. Both are whole unix seconds
// (truncated), so the answer is within a second of the real delay.
double planned_delay_s(const json::object& attempt) {
  return static_cast<double>(attempt.at("next_attempt_at").as_int64() - attempt.at("started_at").as_int64());
}

class RetryTest : public DeliveryTest {
 protected:
  void SetUp() override { start(); }

  std::string publish(const json::object& body) {
    auto r = client_->post("/v1/events", body);
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return str(r.json().at("id"));
  }
  // Publishes an invoice event and answers the id of its delivery to `endpoint_id`.
  std::string publish_to(const std::string& endpoint_id, std::string_view type = "invoice.paid") {
    return delivery_of(*client_, publish(invoice_event(unique_name("inv_retry_"), type)), endpoint_id);
  }
  int64_t clock_now_ms() {
    auto r = client_->post("/v1/test/clock", json::object{{"advance_seconds", 0}});
    if (r.status != 200) throw std::runtime_error("reading the test clock: " + describe(r));
    return r.json().at("now_ms").as_int64();
  }

};

TEST_F(RetryTest, DefaultScheduleWithJitterEndsInADeadLetterThatIsAnnounced) {
  rx_.on("/down", Behaviour::status_code(500));
  const auto endpoint_id = endpoint("/down");
  const auto watcher_id = endpoint("/watch", {{"event_types", json::array{"delivery.exhausted"}}});
  const auto delivery_id = publish_to(endpoint_id);

  // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 24 h after attempts 1..8, each ± 20 %.
  const std::vector<double> schedule{5, 300, 1800, 7200, 18000, 36000, 36000, 86400};
  int near_nominal = 0;
  for (size_t attempt = 1; attempt <= schedule.size(); ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const auto d = await_status(*client_, delivery_id, "retrying", static_cast<int>(attempt));
    ASSERT_EQ(d.at("attempt_count").as_int64(), static_cast<int64_t>(attempt));
    const auto& attempts = d.at("attempts").as_array();
    ASSERT_EQ(attempts.size(), attempt);
    const auto& last = attempts.back().as_object();
    EXPECT_EQ(last.at("number").as_int64(), static_cast<int64_t>(attempt));
    EXPECT_EQ(last.at("status_code"), json::value(500));
    const double nominal = schedule[attempt - 1];
    const double delay = planned_delay_s(last);
    EXPECT_GE(delay, nominal * 0.8 - 1) << "nominal " << nominal;
    EXPECT_LE(delay, nominal * 1.2 + 1) << "nominal " << nominal;
    near_nominal += std::abs(delay - nominal) <= 1 ? 1 : 0;
    EXPECT_EQ(d.at("next_attempt_at"), last.at("next_attempt_at"));
    ASSERT_EQ(rx_.count_for("/down"), attempt) << "one request per attempt";
    // Far enough for the latest time the jitter allows.
    advance_clock(*client_, static_cast<int64_t>(std::ceil(nominal * 1.2)) + 1);
    ASSERT_TRUE(rx_.wait_for_requests("/down", attempt + 1, 10s));
  }
  EXPECT_LT(near_nominal, 8) << "the delays are jittered, not the bare schedule";

  const auto failed = await_status(*client_, delivery_id, "failed", 9);
  EXPECT_EQ(failed.at("attempt_count").as_int64(), 9);
  EXPECT_TRUE(failed.at("next_attempt_at").is_null());
  EXPECT_TRUE(failed.at("attempts").as_array().back().at("next_attempt_at").is_null()) << "no try is planned";
  EXPECT_EQ(failed.at("last_error").at("class"), json::value("http_status"));

  // The dead letter is announced to the endpoint that subscribed to it.
  ASSERT_TRUE(rx_.wait_for_requests("/watch", 1, 10s));
  const auto announced = rx_.requests_for("/watch").at(0).json();
  EXPECT_EQ(announced.at("type"), json::value("delivery.exhausted"));
  EXPECT_EQ(announced.at("data").at("object").at("id"), json::value(delivery_id));
  EXPECT_EQ(announced.at("data").at("object").at("status"), json::value("failed"));
  EXPECT_EQ(announced.at("data").at("object").at("endpoint_id"), json::value(endpoint_id));
  (void)watcher_id;
  // Nothing more is tried, however late it gets.
  advance_clock(*client_, 7 * 86'400);
  EXPECT_FALSE(rx_.wait_for_requests("/down", 10, 300ms));
  EXPECT_EQ(rx_.count_for("/down"), 9u);
}

TEST_F(RetryTest, EndpointScheduleOverridesTheDefault) {
  rx_.on("/custom", Behaviour::status_code(500));
  const auto endpoint_id = endpoint("/custom", {{"retry_schedule", json::array{60, 600}}});
  const auto delivery_id = publish_to(endpoint_id);
  auto d = await_status(*client_, delivery_id, "retrying", 1);
  double delay = planned_delay_s(d.at("attempts").as_array().back().as_object());
  EXPECT_GE(delay, 48 - 1);
  EXPECT_LE(delay, 72 + 1);
  advance_clock(*client_, 73);
  d = await_status(*client_, delivery_id, "retrying", 2);
  delay = planned_delay_s(d.at("attempts").as_array().back().as_object());
  EXPECT_GE(delay, 480 - 1);
  EXPECT_LE(delay, 720 + 1);
  advance_clock(*client_, 721);
  d = await_status(*client_, delivery_id, "failed", 3);
  EXPECT_EQ(d.at("attempt_count").as_int64(), 3) << "two delays: three attempts in all";
  EXPECT_EQ(rx_.count_for("/custom"), 3u);
}

TEST_F(RetryTest, RetryAfterIsHonouredOn429And503Only) {
  // An HTTP-date 600 s after the server's (standing) clock, in IMF-fixdate form.
  const std::time_t in_ten_minutes = static_cast<std::time_t>(clock_now_ms() / 1000 + 600);
  std::tm tm{};
  ::gmtime_r(&in_ten_minutes, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  rx_.on("/503-date", Script{Behaviour::retry_after(503, date), Behaviour::ok()});
  rx_.on("/429", Script{Behaviour::retry_after(429, "120"), Behaviour::ok()});
  rx_.on("/503", Script{Behaviour::retry_after(503, "999999"), Behaviour::ok()});
  rx_.on("/429-zero", Script{Behaviour::retry_after(429, "0"), Behaviour::ok()});
  rx_.on("/500", Script{Behaviour::retry_after(500, "120"), Behaviour::ok()});
  const auto e429 = endpoint("/429");
  const auto e503 = endpoint("/503");
  const auto e429_zero = endpoint("/429-zero");
  const auto e500 = endpoint("/500");
  const auto e503_date = endpoint("/503-date");
  const auto event_id = publish(invoice_event(unique_name("inv_ra_")));
  const auto d429 = delivery_of(*client_, event_id, e429);
  const auto d503 = delivery_of(*client_, event_id, e503);
  const auto d429_zero = delivery_of(*client_, event_id, e429_zero);
  const auto d500 = delivery_of(*client_, event_id, e500);
  const auto d503_date = delivery_of(*client_, event_id, e503_date);

  auto first_delay = [&](const std::string& id) {
    return planned_delay_s(await_status(*client_, id, "retrying", 1).at("attempts").as_array().at(0).as_object());
  };
  EXPECT_NEAR(first_delay(d429), 120, 1) << "Retry-After: 120 on a 429";
  EXPECT_NEAR(first_delay(d503), 86'400, 1) << "Retry-After: 999999 on a 503 is clamped to a day";
  EXPECT_NEAR(first_delay(d429_zero), 1, 1) << "Retry-After: 0 is clamped to a second";
  EXPECT_NEAR(first_delay(d503_date), 600, 1) << "Retry-After: " << date;
  const double schedule_delay = first_delay(d500);
  EXPECT_GE(schedule_delay, 4 - 1) << "a 500's Retry-After is not honoured: the schedule's 5 s ± 20 %";
  EXPECT_LE(schedule_delay, 6 + 1);

  advance_clock(*client_, 119);
  await_status(*client_, d429_zero, "succeeded", 2);
  await_status(*client_, d500, "succeeded", 2);
  // The same claim that sent those two found the 429's delivery not due yet.
  EXPECT_EQ(rx_.count_for("/429"), 1u);
  EXPECT_EQ(rx_.count_for("/503"), 1u);
  advance_clock(*client_, 2);
  await_status(*client_, d429, "succeeded", 2);
  EXPECT_EQ(rx_.count_for("/503-date"), 1u);
  advance_clock(*client_, 600 - 121 + 1);
  await_status(*client_, d503_date, "succeeded", 2);
  EXPECT_EQ(rx_.count_for("/503"), 1u);
  advance_clock(*client_, 86'400 - 600 + 1);
  await_status(*client_, d503, "succeeded", 2);
}

TEST_F(RetryTest, GoneDisablesTheEndpoint) {
  rx_.on("/gone", Behaviour::gone());
  const auto endpoint_id = endpoint("/gone");
  endpoint("/watch", {{"event_types", json::array{"endpoint.disabled"}}});
  const auto delivery_id = publish_to(endpoint_id);
  const auto d = await_status(*client_, delivery_id, "failed", 1);
  EXPECT_EQ(d.at("attempts").as_array().at(0).at("status_code"), json::value(410));
  EXPECT_EQ(d.at("attempts").as_array().at(0).at("error_class"), json::value("http_status"));
  EXPECT_TRUE(d.at("next_attempt_at").is_null()) << "a 410 is not retried";

  auto ep = client_->get("/v1/endpoints/" + endpoint_id).json();
  EXPECT_EQ(ep.at("enabled"), json::value(false));
  EXPECT_EQ(ep.at("disabled_reason"), json::value("gone"));
  ASSERT_TRUE(rx_.wait_for_requests("/watch", 1, 10s));
  const auto announced = rx_.requests_for("/watch").at(0).json();
  EXPECT_EQ(announced.at("type"), json::value("endpoint.disabled"));
  EXPECT_EQ(announced.at("data").at("object").at("id"), json::value(endpoint_id));
  EXPECT_EQ(announced.at("data").at("object").at("disabled_reason"), json::value("gone"));

  // A disabled endpoint gets nothing new.
  const auto later = publish(invoice_event(unique_name("inv_gone_")));
  EXPECT_EQ(count_all(*client_, "/v1/deliveries?event_id=" + later + "&endpoint_id=" + endpoint_id), 0u);
  EXPECT_EQ(rx_.count_for("/gone"), 1u);
}

TEST_F(RetryTest, RedirectsAreNotFollowedAndCountAsFailures) {
  rx_.on("/moved", Behaviour::redirect(rx_.url("/target")));
  const auto endpoint_id = endpoint("/moved");
  const auto delivery_id = publish_to(endpoint_id);
  auto d = await_status(*client_, delivery_id, "retrying", 1);
  const auto& a = d.at("attempts").as_array().at(0);
  EXPECT_EQ(a.at("status_code"), json::value(302));
  EXPECT_EQ(a.at("error_class"), json::value("http_status"));
  EXPECT_NE(str(a.at("error_message")).find("redirect"), std::string::npos) << a.at("error_message");
  EXPECT_EQ(a.at("response_headers").at("location"), json::value(rx_.url("/target")));
  advance_clock(*client_, 7);
  d = await_status(*client_, delivery_id, "retrying", 2);
  EXPECT_EQ(d.at("attempts").as_array().at(1).at("status_code"), json::value(302));
  EXPECT_EQ(rx_.count_for("/moved"), 2u);
  EXPECT_EQ(rx_.count_for("/target"), 0u) << "the Location is never visited";
}

TEST_F(RetryTest, AFailedDeliveryCanBeRetriedByHand) {
  rx_.on("/manual", fail_first(2));
  const auto endpoint_id = endpoint("/manual", {{"retry_schedule", json::array{5}}});
  const auto delivery_id = publish_to(endpoint_id);
  await_status(*client_, delivery_id, "retrying", 1);
  auto not_failed = client_->post("/v1/deliveries/" + delivery_id + "/retry", ""sv);
  EXPECT_TRUE(is_error(not_failed, 409, "delivery_not_failed")) << "a retrying delivery cannot be retried by hand";
  advance_clock(*client_, 7);
  await_status(*client_, delivery_id, "failed", 2);

  auto retried = client_->post("/v1/deliveries/" + delivery_id + "/retry", ""sv);
  ASSERT_EQ(retried.status, 202) << describe(retried);
  EXPECT_EQ(retried.json().at("status"), json::value("pending"));
  // Sent at once: the clock does not move.
  const auto d = await_status(*client_, delivery_id, "succeeded", 3);
  const auto& attempts = d.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 3u) << "the history is kept";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(attempts[static_cast<size_t>(i)].at("number").as_int64(), i + 1);
  EXPECT_EQ(attempts[2].at("status_code"), json::value(200));
  EXPECT_EQ(rx_.count_for("/manual"), 3u);

  EXPECT_TRUE(is_error(client_->post("/v1/deliveries/" + delivery_id + "/retry", ""sv), 409, "delivery_not_failed"))
      << "nor a succeeded one";
  EXPECT_TRUE(
      is_error(client_->post("/v1/deliveries/del_00000000000000000000000000/retry", ""sv), 404, "delivery_not_found"));
}

TEST_F(RetryTest, RecoverRetriesTheFailedDeliveriesSinceATime) {
  rx_.on("/recover", fail_first(4));  // two deliveries, two attempts each
  const auto endpoint_id = endpoint("/recover", {{"retry_schedule", json::array{5}}});
  const auto older = publish_to(endpoint_id);
  await_status(*client_, older, "retrying", 1);
  advance_clock(*client_, 7);
  await_status(*client_, older, "failed", 2);
  advance_clock(*client_, 100);
  const auto newer = publish_to(endpoint_id);
  await_status(*client_, newer, "retrying", 1);
  advance_clock(*client_, 7);
  const int64_t newer_created = await_status(*client_, newer, "failed", 2).at("created").as_int64();

  auto recovered = client_->post("/v1/endpoints/" + endpoint_id + "/recover", json::object{{"since", newer_created}});
  ASSERT_EQ(recovered.status, 202) << describe(recovered);
  EXPECT_EQ(recovered.json().at("recovered"), json::value(1)) << "only what failed since then";
  await_status(*client_, newer, "succeeded", 3);
  EXPECT_EQ(client_->get("/v1/deliveries/" + older).json().at("status"), json::value("failed"));

  recovered = client_->post("/v1/endpoints/" + endpoint_id + "/recover", json::object{{"since", newer_created - 1000}});
  ASSERT_EQ(recovered.status, 202) << describe(recovered);
  EXPECT_EQ(recovered.json().at("recovered"), json::value(1));
  await_status(*client_, older, "succeeded", 3);
  EXPECT_EQ(rx_.count_for("/recover"), 6u);

  recovered = client_->post("/v1/endpoints/" + endpoint_id + "/recover", json::object{{"since", 0}});
  EXPECT_EQ(recovered.json().at("recovered"), json::value(0)) << "nothing is failed any more";
  EXPECT_TRUE(is_error(client_->post("/v1/endpoints/" + endpoint_id + "/recover", json::object{}), 400, "missing_field",
                       "since"));
}

}  // namespace
}  // namespace billhook::testing
