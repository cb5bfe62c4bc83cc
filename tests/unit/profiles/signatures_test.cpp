#include "profiles/signatures.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/crypto.hpp"

namespace billhook::profiles {
namespace {

const Profile& lago() { return *Registry::builtin().find("lago"); }

std::string base64url_decode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4) text += '=';
  return core::base64_decode(text).value_or("");
}

// RSASSA-PKCS1-v1_5 with SHA-256, checked with OpenSSL from the PEM public key.
bool rs256_verifies(const std::string& public_pem, const std::string& input, const std::string& signature) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())),
                                                BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!key || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

Profile with_schemes(std::vector<std::string> schemes) {
  Profile p;
  p.name = "test";
  p.signatures = std::move(schemes);
  return p;
}

// Expected values computed independently (Python hmac/hashlib/base64).
TEST(Signatures, StripeSignsTimestampDotBodyWithTheWholeSecretOnePerSecret) {
  SigningInput in;
  in.body = R"({"a":1})";
  in.timestamp_s = 1700000000;
  in.secrets = {"whsec_test", "whsec_old"};
  const auto headers = signature_headers(with_schemes({"stripe"}), in);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].first, "Stripe-Signature");
  EXPECT_EQ(headers[0].second,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789,"
            "v1=b9d801502bb535e960ee9aeee7a294b082bda5089d79c7db610b85116ce6faa6");
}

TEST(Signatures, RapydSignsUrlSaltTimestampKeysAndBodyAsBase64OfHex) {
  const boost::json::object settings{{"access_key", "rak_1"}, {"secret_key", "rsk_2"}};
  SigningInput in;
  in.url = "https://example.com/hook";
  in.body = R"({"a":1})";
  in.timestamp_s = 1700000000;
  in.settings = &settings;
  in.salt = "abc123";
  const auto headers = signature_headers(with_schemes({"rapyd"}), in);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"salt", "abc123"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"timestamp", "1700000000"}));
  EXPECT_EQ(headers[2].first, "signature");
  EXPECT_EQ(headers[2].second,
            "NTQ5N2MzOTNkOGU2YTc0NzRhZDVmOGY3OTEyNTIwOTQ2MDA5YzEzMTFlZTJiNzc4MWM0NTdiNjM3OWU3MDM2OA==");
}

TEST(Signatures, RapydWithoutKeysSendsNoSignature) {
  const boost::json::object settings{{"access_key", "rak_1"}};
  SigningInput in;
  in.body = "{}";
  in.settings = &settings;
  EXPECT_TRUE(signature_headers(with_schemes({"rapyd"}), in).empty());
}

TEST(Signatures, LagoHmacIsBase64OfTheBodyHmacWhenTheEndpointChoosesIt) {
  const boost::json::object settings{{"signature_algorithm", "hmac"}};
  SigningInput in;
  in.body = R"({"a":1})";
  in.secrets = {"whsec_test"};
  in.settings = &settings;
  const auto headers = signature_headers(lago(), in);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"X-Lago-Signature-Algorithm", "hmac"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Lago-Signature",
                                                             "UUJq9QpB3X/yzT8RZZRzR2bUAY0V1vsHFpruXSlZrfU="}));
}

// Lago's default: an RS256 JWT whose claims are {"data": <the body as a string>, "iss": <issuer>},
// checked here with OpenSSL's verification against the public key, apart from the code that signed.
TEST(Signatures, LagoSignsAJwtByDefault) {
  const auto key = core::RsaKey::generate();
  ASSERT_TRUE(key.ok());
  const boost::json::object settings;
  SigningInput in;
  in.body = R"({"webhook_type":"customer.created"})";
  in.secrets = {"whsec_test"};
  in.settings = &settings;
  in.jwt_key = &*key;
  in.issuer = "https://billing.example.com";
  const auto headers = signature_headers(lago(), in);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"X-Lago-Signature-Algorithm", "jwt"}));
  ASSERT_EQ(headers[1].first, "X-Lago-Signature");
  const std::string& token = headers[1].second;
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  ASSERT_NE(second_dot, std::string::npos);
  EXPECT_EQ(boost::json::parse(base64url_decode(token.substr(0, first_dot))),
            (boost::json::object{{"alg", "RS256"}, {"typ", "JWT"}}));
  EXPECT_EQ(boost::json::parse(base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1))),
            (boost::json::object{{"data", in.body}, {"iss", "https://billing.example.com"}}));
  EXPECT_TRUE(rs256_verifies(key->public_pem(), token.substr(0, second_dot),
                             base64url_decode(token.substr(second_dot + 1))));
  // Another body under the same signature does not verify.
  EXPECT_FALSE(rs256_verifies(key->public_pem(), token.substr(0, second_dot) + "x",
                              base64url_decode(token.substr(second_dot + 1))));
}

TEST(Signatures, LagoJwtNeedsTheInstallationsKey) {
  SigningInput in;
  in.body = "{}";
  in.secrets = {"whsec_test"};
  EXPECT_TRUE(signature_headers(lago(), in).empty());
}

TEST(Signatures, NoSchemesNoHeaders) {
  SigningInput in;
  in.secrets = {"whsec_test"};
  EXPECT_TRUE(signature_headers(with_schemes({}), in).empty());
}

}  // namespace
}  // namespace billhook::profiles
