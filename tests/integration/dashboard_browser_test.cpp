// The dashboard in headless Debian chromium (tests/support/dashboard_browser.mjs): sign in, create an
// endpoint to a receiver that fails, publish, find the failed delivery and read its attempt (the
// receiver's <script> answer shown as text, never run), fix the receiver, retry and see it succeed,
// rotate the secret, send a test event, sign out and be refused.

#include <cstdlib>
#include <filesystem>

#include "integration/integration_helpers.hpp"
#include "support/node_script.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class DashboardBrowserTest : public ServerTest {
 protected:
  void SetUp() override { start_server({"--allow-networks", "127.0.0.0/8"}); }

  static void require_chromium() {
    if (std::filesystem::exists(std::getenv("BILLHOOK_CHROMIUM") ? std::getenv("BILLHOOK_CHROMIUM") : "/usr/bin/chromium"))
      return;
    if (std::getenv("CI")) FAIL() << "chromium is missing: scripts/setup.sh installs it";
    GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  }
};

TEST_F(DashboardBrowserTest, APersonFindsAFailedDeliveryRetriesItAndManagesTheEndpoint) {
  require_chromium();
  const auto result = run_node_script("dashboard_browser.mjs", {server_->base_url(), server_->api_key()}, 180s);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const size_t last = result.output.rfind("\n{");
  const auto seen = json::parse(result.output.substr(last == std::string::npos ? 0 : last + 1)).as_object();
  SCOPED_TRACE(json::serialize(seen));
  ASSERT_FALSE(seen.contains("error"));

  EXPECT_TRUE(seen.at("sign_in_page").as_bool());
  EXPECT_TRUE(seen.at("signed_in").as_bool()) << "an HttpOnly, SameSite=Strict session cookie";
  EXPECT_TRUE(seen.at("endpoint_created").as_bool());
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
  EXPECT_TRUE(seen.at("rotated_secret_matches").as_bool());
  EXPECT_EQ(json::serialize(seen.at("test_event_received")), R"(["invoice.paid"])");
  EXPECT_EQ(std::string(seen.at("catalog_shows").as_string()).rfind("invoice.paid — ", 0), 0u);
  EXPECT_EQ(json::serialize(seen.at("csp_violations")), "[]");
  EXPECT_EQ(json::serialize(seen.at("fits_phone")), "true") << "no sideways scrolling at 360 px";
  EXPECT_TRUE(seen.at("signed_out_page").as_bool());
  EXPECT_EQ(seen.at("old_cookie_status").as_int64(), 401);
}

}  // namespace
}  // namespace billhook::testing
