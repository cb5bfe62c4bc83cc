// GET /v1/stats and the endpoints' health through the real server: the dispatcher's attempts are
// counted by the store as they are recorded, and read back as the overview's figures.

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class StatsApiTest : public DeliveryTest {
 protected:
  void SetUp() override { start(); }

  json::object stats(const std::string& window = "hour") {
    auto r = client_->get("/v1/stats?window=" + window);
    if (r.status != 200) throw std::runtime_error("stats: " + describe(r));
    return r.json().as_object();
  }

  // Publishes one invoice event; answers its event id.
  std::string publish() {
    auto r = client_->post("/v1/events", invoice_event(unique_name("inv_stats_")));
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return str(r.json().at("id"));
  }
};

TEST_F(StatsApiTest, AttemptsAreCountedWithTheirOutcomeAndTheFailingEndpointNamed) {
  const auto before = stats();
  EXPECT_EQ(before.at("totals").at("attempts").as_int64(), 0);
  EXPECT_TRUE(before.at("totals").at("success_rate").is_null());
  EXPECT_TRUE(before.at("totals").at("latency_p50_ms").is_null());
  EXPECT_EQ(before.at("series").as_array().size(), 60u);
  EXPECT_TRUE(before.at("failing_endpoints").as_array().empty());

  rx_.on("/bad", Behaviour::status_code(500));
  const auto good = endpoint("/good");
  const auto bad = endpoint("/bad", {{"retry_schedule", json::array{3600}}});
  std::vector<std::string> to_good, to_bad;
  for (int i = 0; i < 3; ++i) {  // each event goes to both endpoints
    const auto event_id = publish();
    to_good.push_back(delivery_of(*client_, event_id, good));
    to_bad.push_back(delivery_of(*client_, event_id, bad));
  }
  for (const auto& d : to_good) await_status(*client_, d, "succeeded", 1);
  for (const auto& d : to_bad) await_status(*client_, d, "retrying", 1);

  const auto now = stats();
  const auto& totals = now.at("totals").as_object();
  EXPECT_EQ(totals.at("attempts").as_int64(), 6);
  EXPECT_EQ(totals.at("succeeded").as_int64(), 3);
  EXPECT_EQ(totals.at("failed").as_int64(), 3);
  EXPECT_DOUBLE_EQ(totals.at("success_rate").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(totals.at("deliveries_per_minute").as_double(), 6.0 / 60.0);
  ASSERT_TRUE(totals.at("latency_p50_ms").is_int64());
  EXPECT_LE(totals.at("latency_p50_ms").as_int64(), totals.at("latency_p99_ms").as_int64());
  EXPECT_EQ(now.at("queue_depth").as_int64(), 3) << "the three retrying deliveries wait";
  int64_t in_series = 0;
  for (const auto& point : now.at("series").as_array()) in_series += point.at("attempts").as_int64();
  EXPECT_EQ(in_series, 6);
  EXPECT_EQ(now.at("series").as_array().back().at("at").as_int64(), now.at("to").as_int64() - 60);

  const auto& failing = now.at("failing_endpoints").as_array();
  ASSERT_EQ(failing.size(), 1u);
  EXPECT_EQ(str(failing[0].at("endpoint_id")), bad);
  EXPECT_EQ(str(failing[0].at("url")), rx_.url("/bad"));
  EXPECT_EQ(failing[0].at("failure_streak").as_int64(), 3);
  EXPECT_TRUE(failing[0].at("last_success_at").is_null());

  // The week counts the same attempts, in hourly steps.
  const auto week = stats("week");
  EXPECT_EQ(week.at("step").as_int64(), 3600);
  EXPECT_EQ(week.at("series").as_array().size(), 168u);
  EXPECT_EQ(week.at("totals").at("attempts").as_int64(), 6);

  // The endpoints show their health.
  const auto good_json = client_->get("/v1/endpoints/" + good).json();
  EXPECT_EQ(good_json.at("health").at("failure_streak").as_int64(), 0);
  EXPECT_TRUE(good_json.at("health").at("last_success_at").is_int64());
  EXPECT_TRUE(good_json.at("health").at("failing_since").is_null());
  const auto bad_json = client_->get("/v1/endpoints/" + bad).json();
  EXPECT_EQ(bad_json.at("health").at("failure_streak").as_int64(), 3);
  EXPECT_TRUE(bad_json.at("health").at("last_success_at").is_null());
  EXPECT_TRUE(bad_json.at("health").at("last_failure_at").is_int64());
  EXPECT_TRUE(bad_json.at("health").at("failing_since").is_int64());
  for (const auto& listed : list_all(*client_, "/v1/endpoints"))
    EXPECT_EQ(listed.at("health"), (str(listed.at("id")) == good ? good_json : bad_json).at("health"));

  // The receiver recovers: the next attempt ends the streak and the endpoint is failing no more.
  rx_.on("/bad", Behaviour::status_code(200));
  advance_clock(*client_, 4400);  // past the one-hour retry, jitter included
  for (const auto& d : to_bad) await_status(*client_, d, "succeeded", 2);
  const auto healed = stats();
  EXPECT_TRUE(healed.at("failing_endpoints").as_array().empty());
  EXPECT_EQ(client_->get("/v1/endpoints/" + bad).json().at("health").at("failure_streak").as_int64(), 0);
  EXPECT_EQ(healed.at("queue_depth").as_int64(), 0);
}

TEST_F(StatsApiTest, AnUnknownWindowOrParameterIsRefused) {
  EXPECT_TRUE(is_error(client_->get("/v1/stats?window=month"), 400, "invalid_window", "window"));
  EXPECT_TRUE(is_error(client_->get("/v1/stats?from=1"), 400, "unknown_parameter"));
  EXPECT_EQ(client_->get("/v1/stats?window=day").json().at("series").as_array().size(), 96u);
  HttpClient anonymous(server_->port(), std::nullopt);
  EXPECT_EQ(anonymous.get("/v1/stats").status, 401);
}

}  // namespace
}  // namespace billhook::testing
