#include "profiles/signatures.hpp"

#include <gtest/gtest.h>

namespace billhook::profiles {
namespace {

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

TEST(Signatures, LagoHmacIsBase64OfTheBodyHmac) {
  SigningInput in;
  in.body = R"({"a":1})";
  in.secrets = {"whsec_test"};
  const auto headers = signature_headers(with_schemes({"lago_hmac"}), in);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"X-Lago-Signature-Algorithm", "hmac"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Lago-Signature",
                                                             "UUJq9QpB3X/yzT8RZZRzR2bUAY0V1vsHFpruXSlZrfU="}));
}

TEST(Signatures, NoSchemesNoHeaders) {
  SigningInput in;
  in.secrets = {"whsec_test"};
  EXPECT_TRUE(signature_headers(with_schemes({}), in).empty());
}

}  // namespace
}  // namespace billhook::profiles
