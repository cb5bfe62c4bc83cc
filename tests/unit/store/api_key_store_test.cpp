// The API keys' storage on every backend: listing and finding live keys, revocation (never the last live
// key, and a revoked key's hash stays taken), and last uses that only move forward.

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/api_key_store.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::store {
namespace {

template <class Backend>
class ApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Backend, PostgresBackend>) BILLHOOK_REQUIRE_POSTGRES();
    backend_.emplace();
    store_ = backend_->open(clock_);
    ASSERT_NE(store_, nullptr);
  }

  // A stored key; ids are made in order, so the later one is the newer.
  ApiKeyRecord add_key(const std::string& name) {
    ApiKeyRecord r{ids_.next(core::IdKind::api_key), "hash-of-" + name, name, core::to_unix_ms(clock_.now())};
    auto s = store_->write_and_wait(
        [&](WriteTx& tx) { return writes(tx).insert_api_key(r, "bhk_" + name.substr(0, 6)); });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return r;
  }

  static ApiKeyWrites& writes(WriteTx& tx) {
    auto* w = api_key_writes(tx);
    if (!w) throw std::logic_error("the backend's transaction keeps no API key details");
    return *w;
  }
  ApiKeyReads& reads() {
    auto* r = api_key_reads(*store_);
    if (!r) throw std::logic_error("the backend keeps no API key details");
    return *r;
  }

  core::Status revoke(const std::string& id) {
    return store_->write_and_wait([&](WriteTx& tx) { return writes(tx).revoke_api_key(id, 1'790'000'500'000); });
  }

  std::vector<std::string> live_ids() {
    auto keys = store_->api_keys();
    EXPECT_TRUE(keys.ok());
    std::vector<std::string> out;
    if (keys.ok())
      for (const auto& k : *keys) out.push_back(k.id);
    return out;
  }

  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'000)};
  core::SeededRandom random_{11};
  core::IdGenerator ids_{clock_, random_};
  std::optional<Backend> backend_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(ApiKeyStoreTest, Backends, BackendNames);

TYPED_TEST(ApiKeyStoreTest, ListsNewestFirstByPageAndFindsById) {
  const auto a = this->add_key("alpha-key");
  this->clock_.advance(std::chrono::seconds(1));
  const auto b = this->add_key("bravo-key");
  this->clock_.advance(std::chrono::seconds(1));
  const auto c = this->add_key("charlie-key");

  auto first = this->reads().list_api_keys({.limit = 2});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].key.id, c.id);
  EXPECT_EQ(first->items[1].key.id, b.id);
  EXPECT_TRUE(first->has_more);
  auto second = this->reads().list_api_keys({.limit = 2, .starting_after = b.id});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].key.id, a.id);
  EXPECT_FALSE(second->has_more);

  auto found = this->reads().find_api_key(b.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->key.label, "bravo-key");
  EXPECT_EQ((*found)->prefix, "bhk_bravo-");
  EXPECT_EQ((*found)->key.hash, "hash-of-bravo-key");
  EXPECT_EQ((*found)->key.created_ms, b.created_ms);
  EXPECT_EQ((*found)->last_used_ms, std::nullopt);
  EXPECT_FALSE(this->reads().find_api_key("key_01M8630E7ME35QMTP8DMYYR6KP")->has_value());
}

TYPED_TEST(ApiKeyStoreTest, RevokedKeyIsNeitherLiveNorListedNorFound) {
  const auto a = this->add_key("alpha-key");
  const auto b = this->add_key("bravo-key");
  ASSERT_TRUE(this->revoke(a.id).ok());
  EXPECT_EQ(this->live_ids(), std::vector<std::string>{b.id});
  auto listed = this->reads().list_api_keys({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].key.id, b.id);
  EXPECT_FALSE(this->reads().find_api_key(a.id)->has_value());
  // Revoking it again, or a key that never was, finds no live key.
  auto again = this->revoke(a.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::not_found);
  EXPECT_EQ(again.error().code, "api_key_not_found");
  EXPECT_EQ(this->revoke("key_01M8630E7ME35QMTP8DMYYR6KP").error().code, "api_key_not_found");
}

TYPED_TEST(ApiKeyStoreTest, TheLastLiveKeyCannotBeRevoked) {
  const auto a = this->add_key("alpha-key");
  const auto b = this->add_key("bravo-key");
  ASSERT_TRUE(this->revoke(b.id).ok());
  auto last = this->revoke(a.id);
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(last.error().code, "last_api_key");
  EXPECT_EQ(this->live_ids(), std::vector<std::string>{a.id}) << "the refused revocation changed nothing";
}

// Two revocations of the last two keys queued at once (the writer may commit them together): one wins, the
// other finds its key the last one left. (Across two PostgreSQL nodes the row lock taken by
// revoke_api_key orders them the same way; this test runs on one store.)
TYPED_TEST(ApiKeyStoreTest, RevokingTheLastTwoKeysAtOnceLeavesOne) {
  const auto a = this->add_key("alpha-key");
  const auto b = this->add_key("bravo-key");
  std::promise<core::Status> first;
  std::promise<core::Status> second;
  this->store_->write([&](WriteTx& tx) { return this->writes(tx).revoke_api_key(a.id, 1); },
                      [&](core::Status s) { first.set_value(std::move(s)); });
  this->store_->write([&](WriteTx& tx) { return this->writes(tx).revoke_api_key(b.id, 1); },
                      [&](core::Status s) { second.set_value(std::move(s)); });
  const bool first_ok = first.get_future().get().ok();
  const bool second_ok = second.get_future().get().ok();
  EXPECT_NE(first_ok, second_ok) << "exactly one revocation succeeds";
  EXPECT_EQ(this->live_ids().size(), 1u);
}

TYPED_TEST(ApiKeyStoreTest, ARevokedKeysHashStaysTaken) {
  const auto a = this->add_key("alpha-key");
  this->add_key("bravo-key");
  ASSERT_TRUE(this->revoke(a.id).ok());
  ApiKeyRecord again{this->ids_.next(core::IdKind::api_key), a.hash, "alpha-again", 0};
  auto s = this->store_->write_and_wait([&](WriteTx& tx) { return tx.insert_api_key(again); });
  ASSERT_FALSE(s.ok()) << "a revoked key must not come back as a new one";
  EXPECT_EQ(s.error().kind, core::ErrorKind::conflict);
  s = this->store_->write_and_wait(
      [&](WriteTx& tx) { return this->writes(tx).insert_api_key(again, "bhk_alpha"); });
  ASSERT_FALSE(s.ok()) << "a revoked key must not come back as a new one";
  EXPECT_EQ(s.error().kind, core::ErrorKind::conflict);
}

TYPED_TEST(ApiKeyStoreTest, LastUseOnlyMovesForward) {
  const auto a = this->add_key("alpha-key");
  auto note = [&](int64_t ms) {
    return this->store_->write_and_wait([&](WriteTx& tx) { return this->writes(tx).note_api_key_used(a.id, ms); });
  };
  ASSERT_TRUE(note(5'000).ok());
  ASSERT_TRUE(note(3'000).ok());  // another node's older use, written later
  EXPECT_EQ((*this->reads().find_api_key(a.id))->last_used_ms, std::optional<int64_t>(5'000));
  ASSERT_TRUE(note(8'000).ok());
  EXPECT_EQ((*this->reads().find_api_key(a.id))->last_used_ms, std::optional<int64_t>(8'000));
  EXPECT_TRUE(this->store_->write_and_wait([&](WriteTx& tx) {
    return this->writes(tx).note_api_key_used("key_01M8630E7ME35QMTP8DMYYR6KP", 1);
  }).ok()) << "a use of a key that is gone is no error";
}

}  // namespace
}  // namespace billhook::store
