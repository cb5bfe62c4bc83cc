#pragma once

// GET /metrics against the real server, shared by the SQLite and the PostgreSQL runs: a scrape before
// and after publishing to a receiver that answers 200 and one that answers 500, and the counters,
// histograms and queue gauges moved by exactly what happened, under bounded labels.

#include <regex>

#include "integration/integration_helpers.hpp"
#include "support/prometheus_text.hpp"

namespace billhook::testing {

using namespace std::chrono_literals;

// Scrapes `path` with `client`, checking the answer is the text format; fails the test otherwise.
inline PrometheusScrape scrape(HttpClient& client, const std::string& path = "/metrics") {
  const auto r = client.get(path);
  if (r.status != 200) throw std::runtime_error("scrape: " + describe(r));
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parse_prometheus_text(r.body);
}

// The metrics port the server printed before its "listening" line (--metrics-listen 127.0.0.1:0).
inline uint16_t printed_metrics_port(const ServerProcess& server) {
  std::smatch m;
  const std::string out = server.startup_output();
  if (!std::regex_search(out, m, std::regex(R"(billhook metrics on http://127\.0\.0\.1:(\d+)/metrics)")))
    throw std::runtime_error("no metrics line in: " + out);
  return static_cast<uint16_t>(std::stoi(m[1]));
}

inline std::string requests_key(const std::string& method, const std::string& route, const std::string& status) {
  return "billhook_http_requests_total{method=\"" + method + "\",route=\"" + route + "\",status=\"" + status + "\"}";
}

// Publishes three invoice events to a good and a failing endpoint of `rx` and checks what `metrics`
// (a client of a listener serving /metrics) shows moved. `api` is the API client (with the key).
inline void expect_metrics_count_deliveries(HttpClient& api, HttpClient& metrics, Receiver& rx) {
  rx.on("/good", Behaviour::ok());
  rx.on("/bad", Behaviour::status_code(500));
  const auto before = scrape(metrics);
  for (const auto& [family, type] : std::map<std::string, std::string>{
           {"billhook_http_requests_total", "counter"},
           {"billhook_publish_duration_seconds", "histogram"},
           {"billhook_delivery_attempts_total", "counter"},
           {"billhook_delivery_attempt_duration_seconds", "histogram"},
           {"billhook_deliveries_total", "counter"},
           {"billhook_delivery_latency_seconds", "histogram"},
           {"billhook_queue_depth", "gauge"},
           {"billhook_endpoint_queue_depth", "gauge"},
           {"billhook_endpoint_oldest_pending_age_seconds", "gauge"},
           {"billhook_store_group_commit_jobs", "histogram"},
           {"billhook_store_commit_duration_seconds", "histogram"},
           {"billhook_store_reader_connections", "gauge"},
           {"billhook_scrape_errors_total", "counter"}}) {
    ASSERT_TRUE(before.types.count(family)) << family;
    EXPECT_EQ(before.types.at(family), type) << family;
  }

  const auto create = [&](const std::string& path, json::object body) {
    body["url"] = rx.url(path);
    body["event_types"] = json::array{"invoice.*"};
    auto r = api.post("/v1/endpoints", body);
    if (r.status != 201) throw std::runtime_error("create endpoint: " + describe(r));
    return str(r.json().at("id"));
  };
  const auto good = create("/good", {});
  const auto bad = create("/bad", {{"retry_schedule", json::array{3600}}});
  std::vector<std::string> to_good, to_bad;
  for (int i = 0; i < 3; ++i) {
    auto r = api.post("/v1/events", invoice_event(unique_name("inv_metrics_")));
    ASSERT_EQ(r.status, 202) << describe(r);
    const auto event_id = str(r.json().at("id"));
    to_good.push_back(delivery_of(api, event_id, good));
    to_bad.push_back(delivery_of(api, event_id, bad));
  }
  for (const auto& d : to_good) await_status(api, d, "succeeded", 1);
  for (const auto& d : to_bad) await_status(api, d, "retrying", 1);
  EXPECT_EQ(api.get("/v1/endpoints/" + bad).status, 200);
  EXPECT_EQ(api.get("/v1/no-such-thing/" + bad).status, 404);

  // A delivery's outcome is counted once its record has committed, which its state shows a moment sooner.
  PrometheusScrape after;
  ASSERT_TRUE(wait_until(
      [&] {
        after = scrape(metrics);
        return after.value("billhook_deliveries_total{outcome=\"retrying\"}") -
                   before.value("billhook_deliveries_total{outcome=\"retrying\"}") >= 3 &&
               after.value("billhook_deliveries_total{outcome=\"succeeded\"}") -
                   before.value("billhook_deliveries_total{outcome=\"succeeded\"}") >= 3;
      },
      10s, "the six recorded attempts to be counted"));
  const auto moved = [&](const std::string& key) { return after.value(key) - before.value(key); };

  EXPECT_EQ(moved(requests_key("POST", "/v1/events", "202")), 3);
  EXPECT_EQ(moved(requests_key("POST", "/v1/endpoints", "201")), 2);
  EXPECT_EQ(moved(requests_key("GET", "/v1/endpoints/{id}", "200")), 1) << "the template, not the path";
  EXPECT_EQ(moved(requests_key("", "unmatched", "404")), 1);
  for (const auto& [key, value] : after.samples)
    EXPECT_EQ(key.find(bad + "\",status"), std::string::npos) << "a raw path as a route label: " << key;
  EXPECT_EQ(moved("billhook_publish_duration_seconds_count"), 3);
  EXPECT_EQ(moved("billhook_publish_duration_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_GT(moved("billhook_publish_duration_seconds_sum"), 0);

  EXPECT_EQ(moved("billhook_delivery_attempts_total{error_class=\"none\"}"), 3);
  EXPECT_EQ(moved("billhook_delivery_attempts_total{error_class=\"http_status\"}"), 3);
  EXPECT_EQ(moved("billhook_delivery_attempts_total{error_class=\"connect\"}"), 0);
  EXPECT_EQ(moved("billhook_delivery_attempt_duration_seconds_count"), 6);
  EXPECT_EQ(moved("billhook_deliveries_total{outcome=\"succeeded\"}"), 3);
  EXPECT_EQ(moved("billhook_deliveries_total{outcome=\"retrying\"}"), 3);
  EXPECT_EQ(moved("billhook_deliveries_total{outcome=\"failed\"}"), 0);
  EXPECT_EQ(moved("billhook_delivery_latency_seconds_count"), 3);

  EXPECT_EQ(after.value("billhook_queue_depth"), 3) << "the three retrying deliveries wait";
  EXPECT_EQ(after.value("billhook_endpoint_queue_depth{endpoint_id=\"" + bad + "\"}"), 3);
  EXPECT_FALSE(after.has("billhook_endpoint_queue_depth{endpoint_id=\"" + good + "\"}")) << "nothing open";
  EXPECT_GE(after.value("billhook_endpoint_oldest_pending_age_seconds{endpoint_id=\"" + bad + "\"}"), 0);

  // Every write (endpoints, events, attempt records) went through group commit, durably.
  EXPECT_GE(moved("billhook_store_group_commit_jobs_count"), 1);
  EXPECT_GE(moved("billhook_store_group_commit_jobs_sum"), 11) << "2 endpoints, 3 events, 6 attempts";
  EXPECT_GE(moved("billhook_store_commit_duration_seconds_count{durability=\"durable\"}"), 1);
  const double open = after.value("billhook_store_reader_connections{state=\"open\"}");
  EXPECT_GE(open, 1);
  EXPECT_LE(after.value("billhook_store_reader_connections{state=\"in_use\"}"), open);
  EXPECT_LE(open, after.value("billhook_store_reader_connections{state=\"max\"}"));
  EXPECT_EQ(after.value("billhook_scrape_errors_total"), 0);

  // Histogram buckets are cumulative up to +Inf, which is the count.
  double previous = 0;
  for (const char* le : {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
                         "10", "30", "+Inf"}) {
    const double n = after.value(std::string("billhook_delivery_attempt_duration_seconds_bucket{le=\"") + le + "\"}");
    EXPECT_GE(n, previous) << le;
    previous = n;
  }
  EXPECT_EQ(previous, after.value("billhook_delivery_attempt_duration_seconds_count"));
}

}  // namespace billhook::testing
