// The dashboard in headless Debian chromium (tests/support/dashboard_browser.mjs): sign in to the
// overview, create an endpoint to a receiver that fails, publish, find the failed delivery and read its
// attempt (the receiver's <script> answer shown as text, never run), fix the receiver, retry and see it
// succeed, see the overview count the attempts, rotate the secret, send a test event, see the endpoint
// failing on the overview and its own page, recover its failed deliveries since a time after a dry-run
// count, sign out and be refused. Every page is photographed at desktop and phone width: into
// $BILLHOOK_SCREENSHOT_DIR if set (scripts/screenshots.sh sets docs/screenshots/), else a scratch directory.

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "integration/integration_helpers.hpp"
#include "support/browser_script.hpp"
#include "support/node_script.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class DashboardBrowserTest : public ServerTest {
 protected:
  void SetUp() override { start_server({"--allow-networks", "127.0.0.0/8"}); }

};

TEST_F(DashboardBrowserTest, APersonFindsAFailedDeliveryRetriesItAndManagesTheEndpoint) {
  require_chromium();
  if (chromium_missing()) return;
  const ScreenshotDir shots("billhook-screens");
  const auto result =
      run_node_script("dashboard_browser.mjs", {server_->base_url(), server_->api_key(), shots.path().string()}, 180s);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto seen = last_json_line(result.output);
  SCOPED_TRACE(json::serialize(seen));
  ASSERT_FALSE(seen.contains("error"));

  EXPECT_TRUE(seen.at("sign_in_page").as_bool());
  EXPECT_TRUE(seen.at("signed_in").as_bool()) << "an HttpOnly, SameSite=Strict session cookie";
  EXPECT_TRUE(seen.at("lands_on_overview").as_bool());
  EXPECT_TRUE(seen.at("endpoint_created").as_bool());
  EXPECT_EQ(seen.at("endpoint_limits"), json::parse(R"({"rate_limit": 50, "max_in_flight": 4})"))
      << "the form's rate limit and in-flight limit reach the endpoint";
  EXPECT_EQ(seen.at("published").as_int64(), 202);
  EXPECT_EQ(seen.at("failed_status").as_string(), "failed");
  EXPECT_EQ(seen.at("attempt_status").as_string(), "500");
  // The receiver's HTML is shown as the text it is, and nothing in it ran or became an element.
  EXPECT_EQ(seen.at("attempt_body").as_string(),
            "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">");
  EXPECT_TRUE(seen.at("attempt_request").as_bool()) << "the request sent: its body and signature header";
  EXPECT_TRUE(seen.at("script_ran").is_null());
  EXPECT_EQ(seen.at("images_injected").as_int64(), 0);
  EXPECT_EQ(seen.at("retried_status").as_string(), "succeeded");
  // Two failed attempts and the retry's success, counted by GET /v1/stats and drawn.
  EXPECT_GE(seen.at("overview_attempts").as_int64(), 3);
  EXPECT_GE(seen.at("overview_week_attempts").as_int64(), 3);
  EXPECT_NE(std::string(seen.at("overview_success").as_string()), "—");
  EXPECT_NE(std::string(seen.at("overview_latency").as_string()), "—");
  EXPECT_GE(seen.at("overview_bars").as_int64(), 2) << "a bar of successes and one of failures";
  EXPECT_TRUE(seen.at("rotated_secret_matches").as_bool());
  EXPECT_EQ(json::serialize(seen.at("test_event_received")), R"(["invoice.paid"])");
  // Recovering: the endpoint shown failing, the dry run's count before anything is resent, then resent.
  EXPECT_GE(std::stoi(std::string(seen.at("overview_failing").as_string())), 2) << "its failure streak";
  EXPECT_EQ(std::string(seen.at("endpoints_health").as_string()).rfind("failing: ", 0), 0u);
  EXPECT_GE(std::stoi(std::string(seen.at("endpoint_streak").as_string())), 2);
  EXPECT_TRUE(seen.at("endpoint_last_success").as_bool());
  EXPECT_EQ(seen.at("recover_dry_run").as_string(), "2");
  EXPECT_EQ(seen.at("recover_failed_before").as_int64(), 2) << "the dry run resent nothing";
  EXPECT_EQ(seen.at("recovered").as_string(), "2 deliveries are pending again.");
  EXPECT_EQ(seen.at("failed_after_recover").as_int64(), 0);
  EXPECT_EQ(std::string(seen.at("catalog_shows").as_string()).rfind("invoice.paid — ", 0), 0u);
  EXPECT_EQ(json::serialize(seen.at("phone_overflow")), "[]") << "no page scrolls sideways at 360 px";
  // Every page at both widths, as PNG files.
  EXPECT_EQ(seen.at("screenshots").as_array().size(), 18u);
  for (const auto& name : seen.at("screenshots").as_array()) {
    const auto path = shots.path() / std::string(name.as_string());
    std::ifstream file(path, std::ios::binary);
    std::string magic(8, '\0');
    file.read(magic.data(), 8);
    EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n") << path;
    EXPECT_LT(std::filesystem::file_size(path), 600'000u) << path;
  }
  EXPECT_EQ(json::serialize(seen.at("csp_violations")), "[]");
  EXPECT_EQ(json::serialize(seen.at("fits_phone")), "true") << "no sideways scrolling at 360 px";
  EXPECT_TRUE(seen.at("signed_out_page").as_bool());
  EXPECT_EQ(seen.at("old_cookie_status").as_int64(), 401);
}

}  // namespace
}  // namespace billhook::testing
