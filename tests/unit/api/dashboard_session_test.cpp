// The dashboard's cookies without a server, and its sessions on each store backend.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "api/dashboard/cookies.hpp"
#include "api/dashboard/sessions.hpp"
#include "core/crypto.hpp"
#include "store/dashboard_session_store.hpp"
#include "unit/store/store_backends.hpp"

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

// Sessions kept in the store, on each backend: what a node finds is what any node on the database finds.
template <class Backend>
class DashboardSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Backend, store::PostgresBackend>) BILLHOOK_REQUIRE_POSTGRES();
    backend_.emplace();
    store_ = backend_->open(clock_);
    ASSERT_NE(store_, nullptr);
    sessions_.emplace(*store_, clock_, random_, 3600s, 3);
  }

  OpenedSession open(std::string_view key_id) {
    auto opened = sessions_->open(key_id);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? *opened : OpenedSession{};
  }
  std::optional<Session> find(std::string_view token) { return find_on(*sessions_, token); }
  // The live session of `token` as `sessions` (this node's, or another's on the same store) finds it.
  static std::optional<Session> find_on(Sessions& sessions, std::string_view token) {
    auto found = sessions.find(token);
    EXPECT_TRUE(found.ok()) << found.error().message;
    return found.ok() ? *found : std::nullopt;
  }

  core::ManualClock clock_{core::TimePoint{} + 1'800'000'000s};
  core::SeededRandom random_{7};
  std::optional<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  std::optional<Sessions> sessions_;
};

using Backends = ::testing::Types<store::SqliteBackend, store::PostgresBackend>;
struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(DashboardSessions, Backends, BackendNames);

TYPED_TEST(DashboardSessions, AnOpenedSessionIsFoundByItsTokenWithItsKeyAndCsrfToken) {
  const auto opened = this->open("key_1");
  EXPECT_EQ(opened.token.size(), 64u);
  EXPECT_EQ(opened.csrf_token.size(), 64u);
  EXPECT_NE(opened.token, opened.csrf_token);
  const auto found = this->find(opened.token);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->api_key_id, "key_1");
  EXPECT_EQ(found->csrf_token, opened.csrf_token);
  EXPECT_EQ(found->expires, this->clock_.now() + 3600s);
  EXPECT_FALSE(this->find(opened.csrf_token));
  EXPECT_FALSE(this->find(""));
}

TYPED_TEST(DashboardSessions, AreKnownToEveryNodeOnTheStoreAndOutliveARestart) {
  const auto opened = this->open("key_1");
  Sessions other(*this->store_, this->clock_, this->random_, 3600s, 3);
  const auto found = this->find_on(other, opened.token);
  ASSERT_TRUE(found) << "a session opened on one node is unknown to another on the same store";
  EXPECT_EQ(found->csrf_token, opened.csrf_token);

  // Signed out on the other node: gone on this one too.
  ASSERT_TRUE(other.revoke(opened.token).ok());
  EXPECT_FALSE(this->find(opened.token));
}

TYPED_TEST(DashboardSessions, TheTokenItselfIsNotStored) {
  const auto opened = this->open("key_1");
  auto* reads = store::dashboard_session_reads(*this->store_);
  ASSERT_NE(reads, nullptr);
  auto by_token = reads->find_dashboard_session(opened.token);
  ASSERT_TRUE(by_token.ok());
  EXPECT_FALSE(*by_token) << "a session is found by its token as it is: the store holds the token";
  auto by_hash = reads->find_dashboard_session(core::sha256_hex(opened.token));
  ASSERT_TRUE(by_hash.ok());
  EXPECT_TRUE(*by_hash);
}

TYPED_TEST(DashboardSessions, ExpireAfterTheirLifetime) {
  const auto opened = this->open("key_1");
  this->clock_.advance(3599s);
  EXPECT_TRUE(this->find(opened.token));
  this->clock_.advance(1s);
  EXPECT_FALSE(this->find(opened.token));
}

TYPED_TEST(DashboardSessions, ARevokedSessionIsGoneAndOthersStay) {
  const auto a = this->open("key_1");
  const auto b = this->open("key_1");
  ASSERT_TRUE(this->sessions_->revoke(a.token).ok());
  EXPECT_FALSE(this->find(a.token));
  EXPECT_TRUE(this->find(b.token));
  EXPECT_TRUE(this->sessions_->revoke("unknown").ok());
}

TYPED_TEST(DashboardSessions, WhenFullTheSessionClosestToExpiringMakesRoom) {
  const auto first = this->open("key_1");
  this->clock_.advance(1s);
  const auto second = this->open("key_1");
  const auto third = this->open("key_1");
  const auto fourth = this->open("key_1");
  EXPECT_FALSE(this->find(first.token));
  EXPECT_TRUE(this->find(second.token));
  EXPECT_TRUE(this->find(third.token));
  EXPECT_TRUE(this->find(fourth.token));
}

TYPED_TEST(DashboardSessions, ExpiredSessionsAreDeletedWhenAnotherOpens) {
  const auto old = this->open("key_1");
  this->clock_.advance(3600s);
  this->open("key_1");
  auto* reads = store::dashboard_session_reads(*this->store_);
  ASSERT_NE(reads, nullptr);
  auto row = reads->find_dashboard_session(core::sha256_hex(old.token));
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row) << "an expired session's row stays in the store";
}

}  // namespace
}  // namespace billhook::api::dashboard
