#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/random.hpp"

namespace billhook::core {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// The ULID specification's example: 1469918176385 ms encodes as "01ARYZ6S41".
constexpr int64_t kSpecExampleMs = 1469918176385;

std::string ulid_of(std::string_view id) { return std::string(id.substr(id.find('_') + 1)); }

// The 80 random bits of a ULID (its last 16 digits): the top 16 and the low 64.
struct RandomBits {
  uint64_t high = 0;
  uint64_t low = 0;
};

RandomBits random_bits(std::string_view ulid) {
  RandomBits out;
  for (char c : ulid.substr(10)) {
    const auto digit = static_cast<uint64_t>(kCrockford.find(c));
    out.high = (out.high << 5) | (out.low >> 59);
    out.low = (out.low << 5) | digit;
  }
  return out;
}

TEST(IdPrefix, EveryKindHasItsPrefix) {
  EXPECT_EQ(id_prefix(IdKind::event), "evt");
  EXPECT_EQ(id_prefix(IdKind::endpoint), "ep");
  EXPECT_EQ(id_prefix(IdKind::delivery), "del");
  EXPECT_EQ(id_prefix(IdKind::attempt), "att");
  EXPECT_EQ(id_prefix(IdKind::invoice), "inv");
  EXPECT_EQ(id_prefix(IdKind::customer), "cus");
  EXPECT_EQ(id_prefix(IdKind::payment_method), "pm");
  EXPECT_EQ(id_prefix(IdKind::payment), "pay");
  EXPECT_EQ(id_prefix(IdKind::refund), "re");
  EXPECT_EQ(id_prefix(IdKind::credit_note), "cn");
  EXPECT_EQ(id_prefix(IdKind::request), "req");
  EXPECT_EQ(id_prefix(IdKind::api_key), "key");
  EXPECT_EQ(id_prefix(IdKind::invoice_batch), "ib");
  EXPECT_EQ(id_prefix(IdKind::plan), "plan");
  EXPECT_EQ(id_prefix(IdKind::subscription), "sub");
  EXPECT_EQ(id_prefix(IdKind::hosted_link), "hl");
  EXPECT_EQ(id_prefix(IdKind::provider_sync), "psync");
  EXPECT_EQ(id_prefix(IdKind::billable_metric), "bm");
  EXPECT_EQ(id_prefix(IdKind::settlement_batch), "po");
  EXPECT_EQ(id_prefix(IdKind::payment_settlement), "stl");
  EXPECT_EQ(id_prefix(IdKind::basket), "bsk");
  EXPECT_EQ(id_prefix(IdKind::commission), "com");
  EXPECT_EQ(id_prefix(IdKind::commission_rule), "cr");
}

TEST(DerivedId, IsAValidIdThatSortsByItsTimeAndDependsOnlyOnItsParts) {
  const std::string a = derived_id(IdKind::settlement_batch, 1'793'664'000'000, 0x455552);
  EXPECT_TRUE(is_valid_id(IdKind::settlement_batch, a)) << a;
  EXPECT_EQ(a, derived_id(IdKind::settlement_batch, 1'793'664'000'000, 0x455552));
  EXPECT_NE(a, derived_id(IdKind::settlement_batch, 1'793'664'000'000, 0x4A5059));
  EXPECT_LT(a, derived_id(IdKind::settlement_batch, 1'793'750'400'000, 0));
}

TEST(IdGenerator, FormatIsPrefixUnderscoreAnd26CrockfordCharacters) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom random(1);
  IdGenerator ids(clock, random);
  const std::string id = ids.next(IdKind::event);
  ASSERT_EQ(id.size(), 4u + 26u) << id;
  EXPECT_EQ(id.substr(0, 4), "evt_");
  for (char c : ulid_of(id)) EXPECT_NE(kCrockford.find(c), std::string_view::npos) << id;
  EXPECT_TRUE(is_valid_id(IdKind::event, id)) << id;

  const std::string ep = ids.next(IdKind::endpoint);
  EXPECT_EQ(ep.substr(0, 3), "ep_");
  EXPECT_TRUE(is_valid_id(IdKind::endpoint, ep)) << ep;
  EXPECT_FALSE(is_valid_id(IdKind::event, ep)) << ep;
}

TEST(IdGenerator, FirstTenCharactersEncodeTheClockMilliseconds) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom random(7);
  IdGenerator ids(clock, random);
  EXPECT_EQ(ulid_of(ids.next(IdKind::event)).substr(0, 10), "01ARYZ6S41");

  ManualClock epoch(from_unix_ms(0));
  IdGenerator at_epoch(epoch, random);
  EXPECT_EQ(ulid_of(at_epoch.next(IdKind::event)).substr(0, 10), "0000000000");
}

TEST(IdGenerator, RandomPartLeavesHeadroomForIncrements) {
  // The top bit of the 80 random bits is cleared, so the first random digit is below 16.
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SeededRandom random(seed);
    IdGenerator ids(clock, random);
    const std::string ulid = ulid_of(ids.next(IdKind::event));
    EXPECT_NE(std::string_view("0123456789ABCDEF").find(ulid[10]), std::string_view::npos) << ulid;
  }
}

TEST(IdGenerator, StrictlyIncreasingWithinOneMillisecond) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom random(42);
  IdGenerator ids(clock, random);
  std::string previous = ids.next(IdKind::delivery);
  const std::string time_part = ulid_of(previous).substr(0, 10);
  for (int i = 0; i < 5000; ++i) {
    const std::string id = ids.next(IdKind::delivery);
    ASSERT_LT(previous, id) << "at " << i;
    ASSERT_EQ(ulid_of(id).substr(0, 10), time_part) << "the clock did not move, so neither may the time part";
    ASSERT_TRUE(is_valid_id(IdKind::delivery, id)) << id;
    previous = id;
  }
}

TEST(IdGenerator, ConsecutiveIdsInOneMillisecondDifferByOne) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom random(3);
  IdGenerator ids(clock, random);
  const RandomBits a = random_bits(ulid_of(ids.next(IdKind::event)));
  const RandomBits b = random_bits(ulid_of(ids.next(IdKind::event)));
  EXPECT_EQ(b.high, a.high);
  EXPECT_EQ(b.low, a.low + 1);
}

TEST(IdGenerator, IncreasesAcrossMillisecondsAndWhenTheClockStepsBack) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom random(5);
  IdGenerator ids(clock, random);
  const std::string first = ids.next(IdKind::event);
  clock.advance(std::chrono::milliseconds(1));
  const std::string second = ids.next(IdKind::event);
  EXPECT_LT(first, second);
  EXPECT_NE(ulid_of(first).substr(0, 10), ulid_of(second).substr(0, 10));

  clock.set(from_unix_ms(kSpecExampleMs - 60'000));
  const std::string third = ids.next(IdKind::event);
  EXPECT_LT(second, third) << "a clock that steps back must not break the order";
}

TEST(IdGenerator, SameSeedAndTimeGiveTheSameIdsOtherSeedsDoNot) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom r1(99);
  SeededRandom r2(99);
  SeededRandom r3(100);
  IdGenerator a(clock, r1);
  IdGenerator b(clock, r2);
  IdGenerator c(clock, r3);
  const std::string from_a = a.next(IdKind::event);
  EXPECT_EQ(from_a, b.next(IdKind::event));
  EXPECT_NE(from_a, c.next(IdKind::event));
}

TEST(IdGenerator, ManyIdsAreUnique) {
  ManualClock clock(from_unix_ms(kSpecExampleMs));
  SeededRandom random(11);
  IdGenerator ids(clock, random);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    if (i % 7 == 0) clock.advance(std::chrono::milliseconds(1));
    EXPECT_TRUE(seen.insert(ids.next(IdKind::event)).second);
  }
}

TEST(IsValidId, AcceptsWellFormedIds) {
  EXPECT_TRUE(is_valid_id(IdKind::event, "evt_01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_TRUE(is_valid_id(IdKind::endpoint, "ep_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  EXPECT_TRUE(is_valid_id(IdKind::refund, "re_00000000000000000000000000"));
}

TEST(IsValidId, RejectsWrongPrefix) {
  EXPECT_FALSE(is_valid_id(IdKind::event, "del_01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_FALSE(is_valid_id(IdKind::event, "EVT_01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_FALSE(is_valid_id(IdKind::event, "evt-01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_FALSE(is_valid_id(IdKind::event, "01ARYZ6S41TSV4RRFFQ69G5FAV"));
  // Same total length as a valid "ep_" id would need with a 3-letter prefix.
  EXPECT_FALSE(is_valid_id(IdKind::endpoint, "epx01ARYZ6S41TSV4RRFFQ69G5FAV"));
}

TEST(IsValidId, RejectsWrongLength) {
  EXPECT_FALSE(is_valid_id(IdKind::event, ""));
  EXPECT_FALSE(is_valid_id(IdKind::event, "evt_"));
  EXPECT_FALSE(is_valid_id(IdKind::event, "evt_01ARYZ6S41TSV4RRFFQ69G5FA"));    // 25
  EXPECT_FALSE(is_valid_id(IdKind::event, "evt_01ARYZ6S41TSV4RRFFQ69G5FAVV"));  // 27
}

TEST(IsValidId, RejectsCharactersOutsideCrockfordBase32) {
  const std::string valid = "evt_01ARYZ6S41TSV4RRFFQ69G5FAV";
  for (char bad : {'I', 'L', 'O', 'U', 'a', 'z', '-', '_', ' ', '\0', '\xC3'}) {
    std::string id = valid;
    id[20] = bad;
    EXPECT_FALSE(is_valid_id(IdKind::event, id)) << "character code " << static_cast<int>(bad);
  }
}

TEST(IsValidId, RejectsFirstDigitAboveSeven) {
  // 26 base32 digits hold 130 bits; a ULID has 128, so the first digit is at most 7.
  EXPECT_TRUE(is_valid_id(IdKind::event, "evt_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  EXPECT_FALSE(is_valid_id(IdKind::event, "evt_8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  EXPECT_FALSE(is_valid_id(IdKind::event, "evt_Z0000000000000000000000000"));
}

TEST(CheckId, AcceptsAValidId) {
  EXPECT_TRUE(check_id(IdKind::endpoint, "ep_01ARYZ6S41TSV4RRFFQ69G5FAV", "id").ok());
}

TEST(CheckId, ErrorNamesTheParamAndTheExpectedForm) {
  const Status s = check_id(IdKind::endpoint, "evt_01ARYZ6S41TSV4RRFFQ69G5FAV", "endpoint_id");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::invalid_request);
  EXPECT_EQ(s.error().code, "invalid_id");
  EXPECT_EQ(s.error().param, "endpoint_id");
  EXPECT_NE(s.error().message.find("'evt_01ARYZ6S41TSV4RRFFQ69G5FAV'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("'ep_'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("26"), std::string::npos) << s.error().message;
}

TEST(CheckId, EchoesAtMost64CharactersOfTheInput) {
  const std::string huge(10'000, 'x');
  const Status s = check_id(IdKind::event, huge, "starting_after");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find(std::string(65, 'x')), std::string::npos);
  EXPECT_NE(s.error().message.find(std::string(64, 'x')), std::string::npos);
}

TEST(CheckId, TruncationKeepsTheMessageValidUtf8) {
  // 63 ASCII bytes, then a two-byte character that the 64-byte cut would split.
  const std::string text = std::string(63, 'x') + "\xC3\xA9" + "tail";
  const Status s = check_id(IdKind::event, text, "starting_after");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(find_invalid_utf8(s.error().message), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace billhook::core
