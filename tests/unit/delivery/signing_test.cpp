#include "delivery/signing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>

#include "core/crypto.hpp"
#include "core/random.hpp"

namespace billhook::delivery {
namespace {

// The example in the Standard Webhooks specification (a published test vector).
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecMsgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestamp = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";
constexpr std::string_view kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::string spec_key() { return decode_secret(kSpecSecret).value(); }

std::string key_of_length(size_t n, char fill = 'k') { return std::string(n, fill); }

// --- generate_secret / decode_secret -------------------------------------------------------------

TEST(GenerateSecret, IsPrefixedBase64OfThirtyTwoBytes) {
  core::SeededRandom random(1);
  const std::string secret = generate_secret(random);
  EXPECT_TRUE(secret.starts_with("whsec_")) << secret;
  EXPECT_EQ(secret.size(), 6u + 44u);
  const auto key = decode_secret(secret);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->size(), 32u);
}

TEST(GenerateSecret, ComesFromTheGivenRandomness) {
  core::SeededRandom a(5);
  core::SeededRandom b(5);
  core::SeededRandom c(6);
  const std::string from_a = generate_secret(a);
  EXPECT_EQ(from_a, generate_secret(b));
  EXPECT_NE(from_a, generate_secret(c));
  EXPECT_NE(from_a, generate_secret(a));  // the next draw differs
}

TEST(GenerateSecret, SecureRandomSecretsDiffer) {
  core::SecureRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(generate_secret(random));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(DecodeSecret, SpecExampleIsTwentyFourBytes) {
  const auto key = decode_secret(kSpecSecret);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->size(), 24u);
  EXPECT_EQ(core::base64_encode(*key), kSpecSecret.substr(6));
}

TEST(DecodeSecret, AcceptsTwentyFourToSixtyFourBytes) {
  for (size_t n : {size_t{24}, size_t{25}, size_t{32}, size_t{63}, size_t{64}}) {
    const std::string key = key_of_length(n, static_cast<char>(n));
    const auto decoded = decode_secret("whsec_" + core::base64_encode(key));
    ASSERT_TRUE(decoded.ok()) << n << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, key);
  }
}

TEST(DecodeSecret, RefusesKeysTooShortOrTooLong) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{23}, size_t{65}, size_t{128}}) {
    const auto decoded = decode_secret("whsec_" + core::base64_encode(key_of_length(n)));
    ASSERT_FALSE(decoded.ok()) << n;
    EXPECT_EQ(decoded.error().kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(decoded.error().code, "invalid_secret");
    EXPECT_EQ(decoded.error().message,
              "the secret must hold from 24 to 64 bytes, this one holds " + std::to_string(n));
  }
}

TEST(DecodeSecret, RefusesAMissingPrefix) {
  for (std::string_view bad : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                               "whsec-MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""}) {
    const auto decoded = decode_secret(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.error().code, "invalid_secret");
    EXPECT_NE(decoded.error().message.find("must start with \"whsec_\""), std::string::npos);
  }
}

TEST(DecodeSecret, RefusesInvalidBase64) {
  for (std::string_view bad : {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",     // not a multiple of 4
                               "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",    // not in the alphabet
                               "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La LaSw",   // a blank inside
                               "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ",   // a blank after
                               "whsec_MfKQ9r8G-YqrTwjUPD8ILPZIo2LaLa_w"}) {  // the URL-safe alphabet
    const auto decoded = decode_secret(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.error().code, "invalid_secret");
    EXPECT_NE(decoded.error().message.find("not valid padded base64"), std::string::npos) << decoded.error().message;
  }
}

TEST(DecodeSecret, ErrorsNeverRepeatTheSecret) {
  const std::string secret_part = "c2hvcnQtc2VjcmV0";  // "short-secret": valid base64, too short
  for (const std::string& bad : {"whsec_" + secret_part, secret_part, "whsec_" + secret_part + "!"}) {
    const auto decoded = decode_secret(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().message.find(secret_part.substr(0, 8)), std::string::npos) << decoded.error().message;
  }
}

// --- sign -----------------------------------------------------------------------------------------

TEST(Sign, MatchesTheStandardWebhooksSpecExample) {
  EXPECT_EQ(sign(spec_key(), kSpecMsgId, kSpecTimestamp, kSpecBody), kSpecSignature);
}

TEST(Sign, IsHmacSha256OfIdDotTimestampDotBody) {
  const std::string key = key_of_length(32, 'x');
  EXPECT_EQ(sign(key, "msg_1", 1700000000, "{}"),
            "v1," + core::base64_encode(core::hmac_sha256(key, "msg_1.1700000000.{}")));
  EXPECT_EQ(sign(key, "msg_1", 0, ""), "v1," + core::base64_encode(core::hmac_sha256(key, "msg_1.0.")));
}

TEST(Sign, EveryInputChangesTheSignature) {
  const std::string key = spec_key();
  const std::string base = sign(key, kSpecMsgId, kSpecTimestamp, kSpecBody);
  EXPECT_NE(sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJeK", kSpecTimestamp, kSpecBody), base);
  EXPECT_NE(sign(key, kSpecMsgId, kSpecTimestamp + 1, kSpecBody), base);
  EXPECT_NE(sign(key, kSpecMsgId, kSpecTimestamp, R"({"test": 2432232315})"), base);
  EXPECT_NE(sign(key, kSpecMsgId, kSpecTimestamp, std::string(kSpecBody) + " "), base);
  EXPECT_NE(sign(key_of_length(24), kSpecMsgId, kSpecTimestamp, kSpecBody), base);
}

TEST(Sign, BodiesAreBytesIncludingNul) {
  const std::string key = key_of_length(32);
  EXPECT_NE(sign(key, "msg", 1, std::string_view("a\0b", 3)), sign(key, "msg", 1, "a"));
  EXPECT_EQ(sign(key, "msg", 1, std::string_view("a\0b", 3)),
            "v1," + core::base64_encode(core::hmac_sha256(key, std::string_view("msg.1.a\0b", 9))));
}

TEST(Sign, SignatureIsFortyFourCharactersOfBase64) {
  const std::string signature = sign(key_of_length(64), "msg_x", 1, std::string(100'000, 'z'));
  EXPECT_EQ(signature.size(), 3u + 44u);
  EXPECT_EQ(signature.back(), '=');
}

// --- sign_headers -----------------------------------------------------------------------------------

TEST(SignHeaders, OneKey) {
  const SignedHeaders headers = sign_headers({spec_key()}, kSpecMsgId, kSpecTimestamp, kSpecBody);
  EXPECT_EQ(headers.id, kSpecMsgId);
  EXPECT_EQ(headers.timestamp, "1614265330");
  EXPECT_EQ(headers.signature, kSpecSignature);
}

TEST(SignHeaders, DuringARotationNewKeyFirstThenOld) {
  const std::string new_key = key_of_length(32, 'n');
  const std::string old_key = spec_key();
  const SignedHeaders headers = sign_headers({new_key, old_key}, kSpecMsgId, kSpecTimestamp, kSpecBody);
  EXPECT_EQ(headers.signature, sign(new_key, kSpecMsgId, kSpecTimestamp, kSpecBody) + " " + std::string(kSpecSignature));
  EXPECT_TRUE(verify(new_key, headers.id, headers.timestamp, headers.signature, kSpecBody, kSpecTimestamp));
  EXPECT_TRUE(verify(old_key, headers.id, headers.timestamp, headers.signature, kSpecBody, kSpecTimestamp));
  EXPECT_FALSE(verify(key_of_length(32, 'o'), headers.id, headers.timestamp, headers.signature, kSpecBody,
                      kSpecTimestamp));
}

TEST(SignHeaders, ThreeKeysThreeSignatures) {
  const SignedHeaders headers =
      sign_headers({key_of_length(24, 'a'), key_of_length(24, 'b'), key_of_length(24, 'c')}, "msg", 5, "{}");
  EXPECT_EQ(std::count(headers.signature.begin(), headers.signature.end(), ' '), 2);
  EXPECT_EQ(std::count(headers.signature.begin(), headers.signature.end(), ','), 3);
}

TEST(SignHeaders, ZeroAndLargeTimestampsAreWrittenInDecimal) {
  EXPECT_EQ(sign_headers({key_of_length(24)}, "m", 0, "").timestamp, "0");
  EXPECT_EQ(sign_headers({key_of_length(24)}, "m", 4102444800, "").timestamp, "4102444800");
}

// --- verify -----------------------------------------------------------------------------------------

TEST(Verify, AcceptsTheSpecExample) {
  EXPECT_TRUE(verify(spec_key(), kSpecMsgId, "1614265330", kSpecSignature, kSpecBody, kSpecTimestamp));
}

TEST(Verify, TimestampMayDifferFromNowByTheToleranceEitherWay) {
  const std::string key = spec_key();
  auto at = [&](int64_t now, int64_t tolerance = 300) {
    return verify(key, kSpecMsgId, "1614265330", kSpecSignature, kSpecBody, now, tolerance);
  };
  EXPECT_TRUE(at(kSpecTimestamp + 300));
  EXPECT_FALSE(at(kSpecTimestamp + 301));
  EXPECT_TRUE(at(kSpecTimestamp - 300));
  EXPECT_FALSE(at(kSpecTimestamp - 301));
  EXPECT_TRUE(at(kSpecTimestamp, 0));
  EXPECT_FALSE(at(kSpecTimestamp + 1, 0));
  EXPECT_FALSE(at(kSpecTimestamp, -1));
  EXPECT_TRUE(at(kSpecTimestamp + 86'400, 86'400));
}

TEST(Verify, ExtremeClocksDoNotOverflow) {
  const std::string key = spec_key();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_FALSE(verify(key, kSpecMsgId, "1614265330", kSpecSignature, kSpecBody, kMin, 300));
  EXPECT_FALSE(verify(key, kSpecMsgId, "1614265330", kSpecSignature, kSpecBody, kMax, 300));
  EXPECT_TRUE(verify(key, kSpecMsgId, "1614265330", kSpecSignature, kSpecBody, 0, kMax));
  const SignedHeaders late = sign_headers({key}, "m", kMax, "");
  EXPECT_FALSE(verify(key, "m", late.timestamp, late.signature, "", kMin, kMax));
  EXPECT_TRUE(verify(key, "m", late.timestamp, late.signature, "", kMax, 0));
}

TEST(Verify, RefusesAnythingTampered) {
  const std::string key = spec_key();
  EXPECT_FALSE(verify(key, kSpecMsgId, "1614265330", kSpecSignature, R"({"test": 2432232315})", kSpecTimestamp));
  EXPECT_FALSE(verify(key, "msg_other", "1614265330", kSpecSignature, kSpecBody, kSpecTimestamp));
  EXPECT_FALSE(verify(key, kSpecMsgId, "1614265331", kSpecSignature, kSpecBody, kSpecTimestamp));
  EXPECT_FALSE(verify(key_of_length(24), kSpecMsgId, "1614265330", kSpecSignature, kSpecBody, kSpecTimestamp));
  EXPECT_FALSE(verify(key, kSpecMsgId, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", kSpecBody,
                      kSpecTimestamp));
}

TEST(Verify, AnyOfSeveralSignaturesMayMatch) {
  const std::string key = spec_key();
  const std::string other = "v1," + core::base64_encode(std::string(32, 'q'));
  auto header_ok = [&](const std::string& header) {
    return verify(key, kSpecMsgId, "1614265330", header, kSpecBody, kSpecTimestamp);
  };
  EXPECT_TRUE(header_ok(other + " " + std::string(kSpecSignature)));
  EXPECT_TRUE(header_ok(std::string(kSpecSignature) + " " + other));
  EXPECT_TRUE(header_ok(other + " " + other + " " + std::string(kSpecSignature)));
  EXPECT_FALSE(header_ok(other + " " + other));
}

TEST(Verify, OnlyVersionOneEntriesCount) {
  const std::string key = spec_key();
  const std::string mac(kSpecSignature.substr(3));
  auto header_ok = [&](const std::string& header) {
    return verify(key, kSpecMsgId, "1614265330", header, kSpecBody, kSpecTimestamp);
  };
  EXPECT_TRUE(header_ok("v1," + mac));
  EXPECT_FALSE(header_ok("v1a," + mac));  // asymmetric signatures are another scheme
  EXPECT_FALSE(header_ok("v2," + mac));
  EXPECT_FALSE(header_ok("V1," + mac));
  EXPECT_FALSE(header_ok(mac));
  EXPECT_FALSE(header_ok("v1," + mac + ",extra"));
  EXPECT_TRUE(header_ok("v1a,xyz v1," + mac));
}

TEST(Verify, MalformedSignatureHeadersAreRefused) {
  const std::string key = spec_key();
  for (std::string_view bad : {"", " ", "v1,", "v1", ",", "v1, ", "  ", "v1,v1,"}) {
    EXPECT_FALSE(verify(key, kSpecMsgId, "1614265330", bad, kSpecBody, kSpecTimestamp)) << "\"" << bad << "\"";
  }
  // Extra blanks around entries are tolerated, as splitting on single spaces leaves empty entries.
  EXPECT_TRUE(verify(key, kSpecMsgId, "1614265330", " " + std::string(kSpecSignature) + "  ", kSpecBody,
                     kSpecTimestamp));
}

TEST(Verify, TimestampMustBePlainDecimal) {
  const std::string key = spec_key();
  for (std::string_view bad : {"", "abc", "-1614265330", "+1614265330", " 1614265330", "1614265330 ", "1614265330.0",
                               "1.614265330e9", "0x6037a9f2", "99999999999999999999"}) {
    EXPECT_FALSE(verify(key, kSpecMsgId, bad, kSpecSignature, kSpecBody, kSpecTimestamp)) << "\"" << bad << "\"";
  }
  // As in the reference libraries, the number is what is signed, so leading zeros still verify.
  EXPECT_TRUE(verify(key, kSpecMsgId, "01614265330", kSpecSignature, kSpecBody, kSpecTimestamp));
}

TEST(Verify, RoundTripsFreshlyGeneratedSecrets) {
  core::SeededRandom random(11);
  for (int i = 0; i < 20; ++i) {
    const std::string key = decode_secret(generate_secret(random)).value();
    const std::string body = "{\"n\":" + std::to_string(i) + "}";
    const SignedHeaders headers = sign_headers({key}, "msg_" + std::to_string(i), 1'763'805'600 + i, body);
    EXPECT_TRUE(verify(key, headers.id, headers.timestamp, headers.signature, body, 1'763'805'600));
  }
}

}  // namespace
}  // namespace billhook::delivery
