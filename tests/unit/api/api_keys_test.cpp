#include "api/api_keys.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/crypto.hpp"
#include "core/random.hpp"

namespace billhook::api {
namespace {

store::ApiKeyRecord record_for(std::string id, std::string_view key) {
  return store::ApiKeyRecord{std::move(id), core::sha256_hex(key), "test", 0};
}

TEST(ApiKeysGenerate, IsBhkAnd48LowerCaseHexCharacters) {
  core::SeededRandom random(1);
  const std::string key = ApiKeys::generate(random);
  ASSERT_EQ(key.size(), 4u + 48u) << key;
  EXPECT_EQ(key.substr(0, 4), "bhk_");
  for (char c : key.substr(4))
    EXPECT_NE(std::string_view("0123456789abcdef").find(c), std::string_view::npos) << key;
}

TEST(ApiKeysGenerate, ComesFromTheRandomSource) {
  core::SeededRandom a(5);
  core::SeededRandom b(5);
  core::SeededRandom c(6);
  const std::string first = ApiKeys::generate(a);
  EXPECT_EQ(first, ApiKeys::generate(b));
  EXPECT_NE(first, ApiKeys::generate(c));
  EXPECT_NE(first, ApiKeys::generate(a)) << "consecutive keys differ";
}

TEST(ApiKeysGenerate, SecureRandomKeysDiffer) {
  core::SecureRandom random;
  EXPECT_NE(ApiKeys::generate(random), ApiKeys::generate(random));
}

TEST(ApiKeysAuthenticate, RightKeyGivesItsId) {
  core::SeededRandom random(9);
  const std::string key1 = ApiKeys::generate(random);
  const std::string key2 = ApiKeys::generate(random);
  ApiKeys keys;
  EXPECT_TRUE(keys.empty());
  keys.add(record_for("key_1", key1));
  keys.add(record_for("key_2", key2));
  EXPECT_FALSE(keys.empty());
  EXPECT_EQ(keys.authenticate(key1), std::optional<std::string>("key_1"));
  EXPECT_EQ(keys.authenticate(key2), std::optional<std::string>("key_2"));
}

TEST(ApiKeysAuthenticate, WrongKeyIsRefused) {
  core::SeededRandom random(9);
  const std::string key = ApiKeys::generate(random);
  ApiKeys keys;
  keys.add(record_for("key_1", key));
  EXPECT_EQ(keys.authenticate(key.substr(0, key.size() - 1)), std::nullopt);
  EXPECT_EQ(keys.authenticate(key + "0"), std::nullopt);
  std::string flipped = key;
  flipped.back() = flipped.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(keys.authenticate(flipped), std::nullopt);
  EXPECT_EQ(keys.authenticate(""), std::nullopt);
  // The stored hash itself is not a key.
  EXPECT_EQ(keys.authenticate(core::sha256_hex(key)), std::nullopt);
}

TEST(ApiKeysAuthenticate, NoKeysAcceptsNothing) {
  ApiKeys keys;
  EXPECT_EQ(keys.authenticate("bhk_anything"), std::nullopt);
  EXPECT_EQ(keys.authenticate(""), std::nullopt);
}

TEST(ApiKeysReplace, DropsKeysNotInTheNewSet) {
  ApiKeys keys;
  keys.add(record_for("key_old", "old-secret-key-123"));
  EXPECT_TRUE(keys.replace({record_for("key_new", "new-secret-key-456")}, keys.generation()));
  EXPECT_EQ(keys.authenticate("old-secret-key-123"), std::nullopt);
  EXPECT_EQ(keys.authenticate("new-secret-key-456"), std::optional<std::string>("key_new"));
  EXPECT_TRUE(keys.replace({}, keys.generation()));
  EXPECT_TRUE(keys.empty());
}

// A refresh reads the store, then replaces; a key this node created or revoked in between must not be
// undone by that older read.
TEST(ApiKeysReplace, IgnoresAReadOlderThanALocalChange) {
  ApiKeys keys;
  keys.add(record_for("key_a", "secret-key-aaaaaaaaa"));
  const uint64_t read_at = keys.generation();
  keys.add(record_for("key_b", "secret-key-bbbbbbbbb"));  // committed after the read began
  EXPECT_FALSE(keys.replace({record_for("key_a", "secret-key-aaaaaaaaa")}, read_at));
  EXPECT_EQ(keys.authenticate("secret-key-bbbbbbbbb"), std::optional<std::string>("key_b"));
  const uint64_t before_remove = keys.generation();
  keys.remove("key_a");
  EXPECT_FALSE(keys.replace({record_for("key_a", "secret-key-aaaaaaaaa"), record_for("key_b", "secret-key-bbbbbbbbb")},
                            before_remove));
  EXPECT_EQ(keys.authenticate("secret-key-aaaaaaaaa"), std::nullopt);
  EXPECT_FALSE(keys.contains("key_a"));
  EXPECT_TRUE(keys.contains("key_b"));
}

TEST(ApiKeysPrefix, IsTheFirstTenCharactersOfALongEnoughKey) {
  core::SeededRandom random(3);
  const std::string key = ApiKeys::generate(random);
  EXPECT_EQ(ApiKeys::prefix_of(key), key.substr(0, 10));
  EXPECT_EQ(ApiKeys::prefix_of("testkey-0123456789abcdef"), "testkey-01");
  // Ten characters of a short key would give away too much of it.
  EXPECT_EQ(ApiKeys::prefix_of("short-key-123456789"), "");
}

TEST(ApiKeysUses, LatestUseIsKeptAndTakenOnce) {
  ApiKeys keys;
  keys.add(record_for("key_a", "secret-key-aaaaaaaaa"));
  EXPECT_EQ(keys.last_used_ms("key_a", std::nullopt), std::nullopt);
  keys.note_use("key_a", 5000);
  keys.note_use("key_a", 4000);  // an older use (another thread's) does not move it back
  keys.note_use("key_a", 7000);
  EXPECT_EQ(keys.last_used_ms("key_a", std::nullopt), std::optional<int64_t>(7000));
  // The stored last use wins when it is later (another node's).
  EXPECT_EQ(keys.last_used_ms("key_a", 9000), std::optional<int64_t>(9000));
  const auto taken = keys.take_unwritten_uses();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], (std::pair<std::string, int64_t>("key_a", 7000)));
  EXPECT_TRUE(keys.take_unwritten_uses().empty()) << "a use is written once";
  keys.note_use("key_a", 7000);
  EXPECT_TRUE(keys.take_unwritten_uses().empty()) << "a use no later than the last is nothing new";
  keys.requeue_use("key_a", 7000);
  EXPECT_EQ(keys.take_unwritten_uses().size(), 1u) << "a failed write is tried again";
}

}  // namespace
}  // namespace billhook::api
