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
  keys.replace({record_for("key_new", "new-secret-key-456")});
  EXPECT_EQ(keys.authenticate("old-secret-key-123"), std::nullopt);
  EXPECT_EQ(keys.authenticate("new-secret-key-456"), std::optional<std::string>("key_new"));
  keys.replace({});
  EXPECT_TRUE(keys.empty());
}

}  // namespace
}  // namespace billhook::api
