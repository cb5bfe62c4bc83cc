// The key a server starts with, on both backends — in particular several nodes starting at once with the
// same --api-key, where another node's insert lands between this node's read and its own insert.

#include "app/initial_api_key.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "support/forwarding_store.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::app {
namespace {

// Answers the keys as they were before another node stored one: the first read sees none.
class StaleFirstRead : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  core::Result<std::vector<store::ApiKeyRecord>> api_keys() override {
    if (reads_++ == 0) return std::vector<store::ApiKeyRecord>{};
    return ForwardingStore::api_keys();
  }

 private:
  int reads_ = 0;
};

template <class Backend>
class InitialApiKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Backend, store::PostgresBackend>) BILLHOOK_REQUIRE_POSTGRES();
    backend_.emplace();
    store_ = backend_->open(clock_);
    ASSERT_NE(store_, nullptr);
  }

  core::Result<std::string> ensure(store::Store& store, api::ApiKeys& keys, const std::string& configured) {
    return ensure_api_key(configured, store, keys, ids_, random_, core::to_unix_ms(clock_.now()));
  }

  size_t stored_keys() {
    auto keys = store_->api_keys();
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? keys->size() : 0;
  }

  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random_{7};
  core::IdGenerator ids_{clock_, random_};
  std::optional<Backend> backend_;
  std::unique_ptr<store::Store> store_;
};

using Backends = ::testing::Types<store::SqliteBackend, store::PostgresBackend>;
struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(InitialApiKeyTest, Backends, BackendNames);

TYPED_TEST(InitialApiKeyTest, FirstStartWithoutAKeyMintsOneAndAnswersItOnce) {
  api::ApiKeys keys;
  auto minted = this->ensure(*this->store_, keys, "");
  ASSERT_TRUE(minted.ok()) << minted.error().message;
  ASSERT_FALSE(minted->empty());
  EXPECT_TRUE(keys.authenticate(*minted));

  api::ApiKeys after_restart;
  auto again = this->ensure(*this->store_, after_restart, "");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, "") << "a restart shows no key";
  EXPECT_TRUE(after_restart.authenticate(*minted));
  EXPECT_EQ(this->stored_keys(), 1u);
}

TYPED_TEST(InitialApiKeyTest, AConfiguredKeyIsStoredOnceAndNeverPrinted) {
  const std::string key = "bhk_configured_for_every_node";
  for (int start = 0; start < 2; ++start) {
    api::ApiKeys keys;
    auto answered = this->ensure(*this->store_, keys, key);
    ASSERT_TRUE(answered.ok()) << answered.error().message;
    EXPECT_EQ(*answered, "");
    EXPECT_TRUE(keys.authenticate(key));
  }
  EXPECT_EQ(this->stored_keys(), 1u);
}

TYPED_TEST(InitialApiKeyTest, ANodeThatLosesTheRaceToStoreTheSameKeyStillStarts) {
  const std::string key = "bhk_configured_for_every_node";
  api::ApiKeys first_node;
  ASSERT_TRUE(this->ensure(*this->store_, first_node, key).ok());

  StaleFirstRead racing_view(*this->store_);
  api::ApiKeys second_node;
  auto answered = this->ensure(racing_view, second_node, key);
  ASSERT_TRUE(answered.ok()) << answered.error().message;
  EXPECT_EQ(*answered, "");
  EXPECT_TRUE(second_node.authenticate(key));
  EXPECT_EQ(this->stored_keys(), 1u);
}

}  // namespace
}  // namespace billhook::app
