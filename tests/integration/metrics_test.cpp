// GET /metrics on SQLite: with the API key on the API's port, without one on --metrics-listen, and the
// counters moving by exactly what a publish to a good and a failing receiver did.

#include <fstream>
#include <iterator>
#include <regex>

#include "integration/delivery_fixture.hpp"
#include "integration/metrics_checks.hpp"

namespace billhook::testing {
namespace {

class MetricsTest : public DeliveryTest {
 protected:
  void SetUp() override {
    start({"--metrics-listen", "127.0.0.1:0"});
    metrics_ = std::make_unique<HttpClient>(printed_metrics_port(*server_), std::nullopt);
  }
  void TearDown() override {
    metrics_.reset();
    DeliveryTest::TearDown();
  }
  std::unique_ptr<HttpClient> metrics_;
};

TEST_F(MetricsTest, CountersMoveByWhatWasPublishedAndDelivered) {
  expect_metrics_count_deliveries(*client_, *metrics_, rx_);
}

TEST_F(MetricsTest, TheApiPortNeedsTheKeyAndTheMetricsListenerDoesNot) {
  HttpClient anonymous(server_->port(), std::nullopt);
  EXPECT_TRUE(is_error(anonymous.get("/metrics"), 401, "missing_api_key"));
  const auto with_key = scrape(*client_);
  EXPECT_TRUE(with_key.types.count("billhook_http_requests_total"));

  const auto first = scrape(*metrics_);
  // The API port counted its own refusal and answer; the metrics listener's scrapes are not API requests.
  EXPECT_GE(first.value(requests_key("GET", "/metrics", "401")), 1);
  EXPECT_GE(first.value(requests_key("GET", "/metrics", "200")), 1);
  const auto second = scrape(*metrics_);
  EXPECT_EQ(second.value(requests_key("GET", "/metrics", "200")), first.value(requests_key("GET", "/metrics", "200")));

  // The listener serves GET /metrics and nothing else.
  EXPECT_TRUE(is_error(metrics_->get("/v1/events"), 404, "route_not_found"));
  const auto post = metrics_->post("/metrics", json::object{});
  EXPECT_TRUE(is_error(post, 405, "method_not_allowed"));
  EXPECT_EQ(post.header("allow"), "GET");
  EXPECT_EQ(metrics_->get("/metrics?x=1").status, 200);
}

TEST_F(MetricsTest, TheGrafanaDashboardQueriesOnlyFamiliesTheServerServes) {
  std::ifstream file(std::string(BILLHOOK_SOURCE_DIR) + "/docs/grafana-dashboard.json");
  ASSERT_TRUE(file) << "docs/grafana-dashboard.json is missing";
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  const auto dashboard = json::parse(text, ec);
  ASSERT_FALSE(ec) << "the dashboard is not JSON: " << ec.message();
  const auto served = scrape(*metrics_);
  const std::regex metric(R"(billhook_[a-z_]+)");
  size_t queried = 0;
  for (const auto& panel : dashboard.at("panels").as_array()) {
    ASSERT_FALSE(panel.at("targets").as_array().empty()) << panel.at("title");
    for (const auto& target : panel.at("targets").as_array()) {
      const std::string expr = str(target.at("expr"));
      for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
        std::string name = it->str();
        for (std::string_view suffix : {"_bucket", "_sum", "_count"})
          if (name.ends_with(suffix) && served.types.count(name.substr(0, name.size() - suffix.size())))
            name.resize(name.size() - suffix.size());
        EXPECT_TRUE(served.types.count(name)) << panel.at("title") << " queries " << it->str() << ", which /metrics lacks";
        ++queried;
      }
    }
  }
  EXPECT_GE(queried, 12u);
}

TEST(MetricsListenFlagTest, ABadAddressIsRefusedAtStartNamingTheFlag) {
  const auto result = run_billhook({"serve", "--metrics-listen", "localhost", "--data-dir", "/nonexistent/x"});
  EXPECT_NE(result.exit_code, 0);
  const std::string output = result.stdout_text + result.stderr_text;
  EXPECT_NE(output.find("--metrics-listen (or BILLHOOK_METRICS_LISTEN)"), std::string::npos) << output;
}

}  // namespace
}  // namespace billhook::testing
