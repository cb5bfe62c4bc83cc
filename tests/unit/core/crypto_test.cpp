#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace billhook::core {
namespace {

TEST(ToHex, TwoLowerCaseDigitsPerByte) {
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex("\x01\xab"), "01ab");
  EXPECT_EQ(to_hex(std::string_view("\0\x0f\x10\x7f\x80\xff", 6)), "000f107f80ff");
  EXPECT_EQ(to_hex("Hi"), "4869");
}

TEST(ToHex, EveryByteValueRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string text = to_hex(all);
  ASSERT_EQ(text.size(), 512u);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(std::stoi(text.substr(static_cast<size_t>(b) * 2, 2), nullptr, 16), b);
  EXPECT_EQ(text.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Sha256Hex, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Hex, HashesEmbeddedNulBytes) {
  EXPECT_NE(sha256_hex(std::string_view("a\0b", 3)), sha256_hex("a"));
}

TEST(HmacSha256, Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  const std::string mac = hmac_sha256(key, "Hi There");
  EXPECT_EQ(mac.size(), 32u);
  EXPECT_EQ(to_hex(mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231TestCase6KeyLongerThanABlock) {
  const std::string key(131, '\xaa');
  EXPECT_EQ(to_hex(hmac_sha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, PartsHashAsTheirJoinAtEverySplit) {
  const std::string_view message = "what do ya want for nothing?";
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";  // RFC 4231 case 2
  for (size_t i = 0; i <= message.size(); ++i) {
    for (size_t j = i; j <= message.size(); ++j) {
      EXPECT_EQ(to_hex(hmac_sha256("Jefe", {message.substr(0, i), message.substr(i, j - i), message.substr(j)})),
                expected)
          << "split at " << i << " and " << j;
    }
  }
}

// The context is reused from call to call: no call may hash with the key, or the data, of the one before.
TEST(HmacSha256, EachCallHashesWithItsOwnKeyOnly) {
  const std::string long_key(131, '\xaa');
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(to_hex(hmac_sha256(long_key, "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // A default string_view has no bytes at all (a null pointer): still the empty key, not the last one.
    EXPECT_EQ(to_hex(hmac_sha256(std::string_view(), "")),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(to_hex(hmac_sha256("", {"Hi", " There"})),
              "e48411262715c8370cd5e7bf8e82bef53bd53712d007f3429351843b77c7bb9b");
  }
}

TEST(HmacSha256, ThreadsHashAtTheSameTimeEachWithItsOwnContext) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < 2000; ++i) {
        const bool jefe = (i + t) % 2 == 0;
        const std::string mac = jefe ? to_hex(hmac_sha256("Jefe", "what do ya want for nothing?"))
                                     : to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There"));
        const std::string_view expected = jefe ? "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
                                               : "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
        if (mac != expected) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Base64, Rfc4648VectorsForLengthsZeroToFive) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64_decode(""), std::optional<std::string>(""));
  EXPECT_EQ(base64_decode("Zg=="), std::optional<std::string>("f"));
  EXPECT_EQ(base64_decode("Zm8="), std::optional<std::string>("fo"));
  EXPECT_EQ(base64_decode("Zm9v"), std::optional<std::string>("foo"));
  EXPECT_EQ(base64_decode("Zm9vYg=="), std::optional<std::string>("foob"));
  EXPECT_EQ(base64_decode("Zm9vYmE="), std::optional<std::string>("fooba"));
}

TEST(Base64, RoundTripsBinaryOfLengthsZeroToFive) {
  const std::string source("\x00\xff\x10\x80\x7f\x00", 6);
  for (size_t length = 0; length <= 5; ++length) {
    const std::string bytes = source.substr(0, length);
    const std::string encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size(), 4 * ((length + 2) / 3)) << length;
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << length;
    EXPECT_EQ(*decoded, bytes) << "length " << length;
  }
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const auto decoded = base64_decode(base64_encode(all));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, all);
}

TEST(Base64, DecodeRejectsLengthNotAMultipleOfFour) {
  EXPECT_FALSE(base64_decode("Z").has_value());
  EXPECT_FALSE(base64_decode("Zg").has_value());
  EXPECT_FALSE(base64_decode("Zg=").has_value());
  EXPECT_FALSE(base64_decode("Zm9vY").has_value());
}

TEST(Base64, DecodeRejectsCharactersOutsideTheAlphabet) {
  EXPECT_FALSE(base64_decode("Zm9v!A==").has_value());
  EXPECT_FALSE(base64_decode("Zm 9").has_value());
  EXPECT_FALSE(base64_decode("Zm9\n").has_value());
  EXPECT_FALSE(base64_decode("-_-_").has_value());  // the URL-safe alphabet is not accepted
  EXPECT_FALSE(base64_decode(std::string_view("Zm9\0", 4)).has_value());
}

TEST(Base64, DecodeRejectsMisplacedPadding) {
  EXPECT_FALSE(base64_decode("====").has_value());
  EXPECT_FALSE(base64_decode("Z===").has_value());
  EXPECT_FALSE(base64_decode("=Zm9").has_value());
  EXPECT_FALSE(base64_decode("Zg==Zm9v").has_value());
  EXPECT_FALSE(base64_decode("Zm=v").has_value());
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "Secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("secret", ""));
  EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace billhook::core
