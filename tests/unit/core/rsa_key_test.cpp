#include "core/rsa_key.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "core/jwt.hpp"

namespace billhook::core {
namespace {

// What is stored makes the same key again: the same public key, the same (deterministic) signatures.
TEST(RsaKey, PrivatePemReadsBackAsTheSameKey) {
  const auto key = RsaKey::generate();
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(key->private_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(key->public_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
  const auto again = RsaKey::from_private_pem(key->private_pem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_pem(), key->public_pem());
  EXPECT_EQ(again->sign_sha256("payload"), key->sign_sha256("payload"));
  EXPECT_EQ(key->sign_sha256("payload").size(), 256u);  // 2048 bits
  EXPECT_NE(RsaKey::generate()->public_pem(), key->public_pem());
}

TEST(RsaKey, ReadingSomethingElseIsAnError) {
  EXPECT_FALSE(RsaKey::from_private_pem("not a key").ok());
  const auto key = RsaKey::generate();
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(RsaKey::from_private_pem(key->public_pem()).ok());
}

TEST(Base64Url, UsesTheUrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("ab"), "YWI");
  EXPECT_EQ(base64url_encode(""), "");
}

TEST(Jwt, HeaderAndClaimsAreBase64UrlJson) {
  const auto key = RsaKey::generate();
  ASSERT_TRUE(key.ok());
  const std::string token = jwt_rs256(*key, boost::json::object{{"iss", "x"}});
  EXPECT_TRUE(token.starts_with(base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." +
                                base64url_encode(R"({"iss":"x"})") + "."));
  EXPECT_EQ(token.substr(token.rfind('.') + 1),
            base64url_encode(key->sign_sha256(token.substr(0, token.rfind('.')))));
}

}  // namespace
}  // namespace billhook::core
