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
#include "store/api_key_store.hpp"
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

// A --api-key revoked through the API is not brought back by the next start (that would undo the
// revocation of a leaked key at every restart): the server starts with the keys that still work.
TYPED_TEST(InitialApiKeyTest, ARevokedConfiguredKeyStaysRevokedAtTheNextStart) {
  const std::string key = "bhk_configured_then_revoked";
  api::ApiKeys keys;
  ASSERT_TRUE(this->ensure(*this->store_, keys, key).ok());
  const auto configured_id = keys.authenticate(key);
  ASSERT_TRUE(configured_id);
  store::ApiKeyRecord other{this->ids_.next(core::IdKind::api_key), core::sha256_hex("bhk_the_other_key_12345"),
                            "other", 0};
  ASSERT_TRUE(this->store_->write_and_wait([&](store::WriteTx& tx) {
    if (auto s = tx.insert_api_key(other); !s) return s;
    return store::api_key_writes(tx)->revoke_api_key(*configured_id, 1);
  }).ok());

  api::ApiKeys after_restart;
  auto answered = this->ensure(*this->store_, after_restart, key);
  ASSERT_TRUE(answered.ok()) << answered.error().message;
  EXPECT_EQ(*answered, "");
  EXPECT_FALSE(after_restart.authenticate(key)) << "the revoked key works again";
  EXPECT_TRUE(after_restart.authenticate("bhk_the_other_key_12345"));
  EXPECT_EQ(this->stored_keys(), 1u);
}

TYPED_TEST(InitialApiKeyTest, NewKeysAreStoredWithTheirPrefix) {
  api::ApiKeys keys;
  auto minted = this->ensure(*this->store_, keys, "");
  ASSERT_TRUE(minted.ok() && !minted->empty());
  auto stored = store::api_key_reads(*this->store_)->list_api_keys({});
  ASSERT_TRUE(stored.ok() && stored->items.size() == 1u);
  EXPECT_EQ(stored->items[0].prefix, minted->substr(0, 10));
}

}  // namespace
}  // namespace billhook::app
