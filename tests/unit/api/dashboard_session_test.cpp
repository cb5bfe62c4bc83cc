// The dashboard's cookies and sessions, without a server.

#include <gtest/gtest.h>

#include "api/dashboard/cookies.hpp"
#include "api/dashboard/sessions.hpp"

namespace billhook::api::dashboard {
namespace {

using namespace std::chrono_literals;

TEST(DashboardCookies, ReadsOneCookieOfAHeader) {
  EXPECT_EQ(cookie_value("a=1; billhook_session=abc ; b=2", "billhook_session"), "abc");
  EXPECT_EQ(cookie_value("billhook_session=x", "billhook_session"), "x");
  EXPECT_EQ(cookie_value("xbillhook_session=1; billhook_sessionx=2", "billhook_session"), "");
  EXPECT_EQ(cookie_value("", "billhook_session"), "");
  EXPECT_EQ(cookie_value("novalue; billhook_session", "billhook_session"), "");
}

TEST(DashboardCookies, AreHttpOnlyStrictScopedToTheDashboardAndSecureOnlyOverTls) {
  EXPECT_EQ(dashboard_cookie("s", "v", 3600s, false), "s=v; Path=/dashboard; Max-Age=3600; HttpOnly; SameSite=Strict");
  EXPECT_EQ(dashboard_cookie("s", "v", 60s, true), "s=v; Path=/dashboard; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(cleared_cookie("s", false), "s=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict");
}

class DashboardSessions : public ::testing::Test {
 protected:
  core::ManualClock clock_{core::TimePoint{} + 1'800'000'000s};
  core::SeededRandom random_{7};
  Sessions sessions_{clock_, random_, 3600s, 3};
};

TEST_F(DashboardSessions, AnOpenedSessionIsFoundByItsTokenWithItsKeyAndCsrfToken) {
  const auto opened = sessions_.open("key_1");
  EXPECT_EQ(opened.token.size(), 64u);
  EXPECT_EQ(opened.csrf_token.size(), 64u);
  EXPECT_NE(opened.token, opened.csrf_token);
  const auto found = sessions_.find(opened.token);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->api_key_id, "key_1");
  EXPECT_EQ(found->csrf_token, opened.csrf_token);
  EXPECT_FALSE(sessions_.find(opened.csrf_token));
  EXPECT_FALSE(sessions_.find(""));
}

TEST_F(DashboardSessions, ExpireAfterTheirLifetime) {
  const auto opened = sessions_.open("key_1");
  clock_.advance(3599s);
  EXPECT_TRUE(sessions_.find(opened.token));
  clock_.advance(1s);
  EXPECT_FALSE(sessions_.find(opened.token));
}

TEST_F(DashboardSessions, ARevokedSessionIsGoneAndOthersStay) {
  const auto a = sessions_.open("key_1");
  const auto b = sessions_.open("key_1");
  sessions_.revoke(a.token);
  EXPECT_FALSE(sessions_.find(a.token));
  EXPECT_TRUE(sessions_.find(b.token));
}

TEST_F(DashboardSessions, WhenFullTheSessionClosestToExpiringMakesRoom) {
  const auto first = sessions_.open("key_1");
  clock_.advance(1s);
  const auto second = sessions_.open("key_1");
  const auto third = sessions_.open("key_1");
  const auto fourth = sessions_.open("key_1");
  EXPECT_FALSE(sessions_.find(first.token));
  EXPECT_TRUE(sessions_.find(second.token));
  EXPECT_TRUE(sessions_.find(third.token));
  EXPECT_TRUE(sessions_.find(fourth.token));
}

}  // namespace
}  // namespace billhook::api::dashboard
