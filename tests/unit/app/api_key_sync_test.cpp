// A node's API keys follow the store: keys created or revoked elsewhere (another node, written straight
// to the store here) are taken up by a refresh, and uses noted in memory reach the store as last uses.

#include "api/api_key_sync.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "store/api_key_store.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::api {
namespace {

template <class Backend>
class ApiKeySyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Backend, store::PostgresBackend>) BILLHOOK_REQUIRE_POSTGRES();
    backend_.emplace();
    store_ = backend_->open(clock_);
    ASSERT_NE(store_, nullptr);
    // Loops that never run on their own during a test: each pass is called by hand.
    sync_ = std::make_unique<ApiKeySync>(*store_, keys_, std::chrono::hours(1), std::chrono::hours(1));
  }

  // A key stored by "another node".
  store::ApiKeyRecord store_key(const std::string& secret) {
    store::ApiKeyRecord r{ids_.next(core::IdKind::api_key), core::sha256_hex(secret), "elsewhere", 0};
    EXPECT_TRUE(store_->write_and_wait([&](store::WriteTx& tx) { return tx.insert_api_key(r); }).ok());
    return r;
  }

  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random_{5};
  core::IdGenerator ids_{clock_, random_};
  std::optional<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  ApiKeys keys_;
  std::unique_ptr<ApiKeySync> sync_;
};

using Backends = ::testing::Types<store::SqliteBackend, store::PostgresBackend>;
struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(ApiKeySyncTest, Backends, BackendNames);

TYPED_TEST(ApiKeySyncTest, RefreshTakesUpKeysCreatedAndRevokedElsewhere) {
  const auto a = this->store_key("secret-of-key-a-0123456789");
  EXPECT_FALSE(this->keys_.authenticate("secret-of-key-a-0123456789"));
  ASSERT_TRUE(this->sync_->refresh().ok());
  EXPECT_EQ(this->keys_.authenticate("secret-of-key-a-0123456789"), std::optional<std::string>(a.id));

  this->store_key("secret-of-key-b-0123456789");
  ASSERT_TRUE(this->store_->write_and_wait([&](store::WriteTx& tx) {
    return store::api_key_writes(tx)->revoke_api_key(a.id, 1);
  }).ok());
  EXPECT_TRUE(this->keys_.authenticate("secret-of-key-a-0123456789")) << "not before the refresh";
  ASSERT_TRUE(this->sync_->refresh().ok());
  EXPECT_FALSE(this->keys_.authenticate("secret-of-key-a-0123456789"));
  EXPECT_FALSE(this->keys_.contains(a.id));
  EXPECT_TRUE(this->keys_.authenticate("secret-of-key-b-0123456789"));
}

TYPED_TEST(ApiKeySyncTest, UsesAreWrittenAsLastUsesOncePerPassAndAtStop) {
  const auto a = this->store_key("secret-of-key-a-0123456789");
  ASSERT_TRUE(this->sync_->refresh().ok());
  auto stored_last_use = [&] { return (*store::api_key_reads(*this->store_)->find_api_key(a.id))->last_used_ms; };

  this->keys_.note_use(a.id, 1'790'000'001'000);
  this->keys_.note_use(a.id, 1'790'000'002'000);
  EXPECT_EQ(stored_last_use(), std::nullopt) << "a use is not written on the request path";
  ASSERT_TRUE(this->sync_->write_uses().ok());
  EXPECT_EQ(stored_last_use(), std::optional<int64_t>(1'790'000'002'000));

  // A refresh keeps what this node saw, even before it is written.
  this->keys_.note_use(a.id, 1'790'000'009'000);
  ASSERT_TRUE(this->sync_->refresh().ok());
  EXPECT_EQ(this->keys_.last_used_ms(a.id, stored_last_use()), std::optional<int64_t>(1'790'000'009'000));
  this->sync_->stop();  // writes what is left
  EXPECT_EQ(stored_last_use(), std::optional<int64_t>(1'790'000'009'000));
}

}  // namespace
}  // namespace billhook::api
