// Hosted link tokens: their form, and which secrets open a link when.

#include <gtest/gtest.h>

#include "billing/hosted_link.hpp"
#include "core/crypto.hpp"

namespace billhook::billing {
namespace {

const std::string kId = "hl_01M91T7WJVFHC02Z5Q22ARY11A";
const std::string kSecret(64, 'a');

TEST(HostedLinkToken, IsTheLinkIdAndAHexSecret) {
  const auto parts = parse_token(make_token(kId, kSecret));
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->link_id, kId);
  EXPECT_EQ(parts->secret, kSecret);
  for (const std::string& bad : {kId, kId + ".", kId + "." + std::string(63, 'a'), kId + "." + std::string(64, 'A'),
                                 "inv_01M91T7WJVFHC02Z5Q22ARY11A." + kSecret, kId + "." + kSecret + "0", std::string()})
    EXPECT_FALSE(parse_token(bad)) << bad;
}

TEST(HostedLinkToken, OpensOnlyWithItsSecretAndBeforeItExpires) {
  HostedLink link{.id = kId, .token_hash = core::sha256_hex(kSecret), .expires_at = 1000};
  EXPECT_TRUE(admits(link, kSecret, 999));
  EXPECT_FALSE(admits(link, kSecret, 1000)) << "expired";
  EXPECT_FALSE(admits(link, std::string(63, 'a') + "b", 999)) << "another secret";
  link.token_hash = core::sha256_hex(std::string(64, 'b'));  // rotated
  EXPECT_FALSE(admits(link, kSecret, 999));
}

}  // namespace
}  // namespace billhook::billing
