#include "core/clock.hpp"

#include <limits>

#include <gtest/gtest.h>

#include <chrono>

namespace billhook::core {
namespace {

using std::chrono::milliseconds;

TEST(ManualClock, StandsStillUntilMoved) {
  ManualClock clock(from_unix_ms(1'000));
  EXPECT_EQ(to_unix_ms(clock.now()), 1'000);
  EXPECT_EQ(to_unix_ms(clock.now()), 1'000);
}

TEST(ManualClock, AdvanceAddsExactly) {
  ManualClock clock(from_unix_ms(1'000));
  clock.advance(milliseconds(250));
  EXPECT_EQ(to_unix_ms(clock.now()), 1'250);
  clock.advance(std::chrono::hours(72));
  EXPECT_EQ(to_unix_ms(clock.now()), 1'250 + 72LL * 3600 * 1000);
  clock.advance(std::chrono::microseconds(1500));
  EXPECT_EQ(clock.now() - from_unix_ms(1'250 + 72LL * 3600 * 1000), std::chrono::microseconds(1500));
}

TEST(ManualClock, SetJumpsEitherWay) {
  ManualClock clock(from_unix_ms(5'000));
  clock.set(from_unix_ms(9'000));
  EXPECT_EQ(to_unix_ms(clock.now()), 9'000);
  clock.set(from_unix_ms(10));
  EXPECT_EQ(to_unix_ms(clock.now()), 10);
}

TEST(ManualClock, IsUsableThroughTheClockInterface) {
  ManualClock manual(from_unix_ms(42));
  const Clock& clock = manual;
  manual.advance(milliseconds(8));
  EXPECT_EQ(to_unix_ms(clock.now()), 50);
}

TEST(UnixMs, RoundTrips) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1763805600123}, int64_t{4102444800000}}) {
    EXPECT_EQ(to_unix_ms(from_unix_ms(ms)), ms) << ms;
  }
  EXPECT_EQ(from_unix_ms(1'500).time_since_epoch(), milliseconds(1'500));
}

TEST(UnixMs, ToUnixMsTruncatesSubMilliseconds) {
  EXPECT_EQ(to_unix_ms(from_unix_ms(7) + std::chrono::microseconds(999)), 7);
}

TEST(FormatRfc3339Ms, Epoch) { EXPECT_EQ(format_rfc3339_ms(from_unix_ms(0)), "1970-01-01T00:00:00.000Z"); }

TEST(FormatRfc3339Ms, PadsMillisecondsToThreeDigits) {
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(5)), "1970-01-01T00:00:00.005Z");
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(50)), "1970-01-01T00:00:00.050Z");
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(500)), "1970-01-01T00:00:00.500Z");
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(1763805600123)), "2025-11-22T10:00:00.123Z");
}

// Found by fuzz_profile_render: a time in event data past year 2262 overflowed the nanoseconds of a TimePoint.
TEST(FormatUnixMsRfc3339, FarTimesAreExactAndBeyondRfc3339TheNearestItCanWrite) {
  EXPECT_EQ(format_unix_ms_rfc3339(1763805600123), "2025-11-22T10:00:00.123Z");
  EXPECT_EQ(format_unix_ms_rfc3339(17934948010000), "2538-05-03T10:00:10.000Z");
  EXPECT_EQ(format_unix_ms_rfc3339(-12219292800000), "1582-10-15T00:00:00.000Z");
  EXPECT_EQ(format_unix_ms_rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_unix_ms_rfc3339(253402300800000), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_unix_ms_rfc3339(std::numeric_limits<int64_t>::max()), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_unix_ms_rfc3339(-62167219200000), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_unix_ms_rfc3339(std::numeric_limits<int64_t>::min()), "0000-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339Ms, PadsEveryOtherField) {
  // 2001-02-03T04:05:06.007Z
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(981173106007)), "2001-02-03T04:05:06.007Z");
}

TEST(FormatRfc3339Ms, DatesAroundTheYear2000) {
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(946684799999)), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(946684800000)), "2000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(951782400000)), "2000-02-29T00:00:00.000Z");  // a leap day
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(4102444800000)), "2100-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339Ms, BeforeTheEpochFloorsToTheEarlierMillisecond) {
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(-86400000)), "1969-12-31T00:00:00.000Z");
}

TEST(FormatRfc3339Ms, TruncatesRatherThanRounds) {
  EXPECT_EQ(format_rfc3339_ms(from_unix_ms(999) + std::chrono::microseconds(999)), "1970-01-01T00:00:00.999Z");
}

}  // namespace
}  // namespace billhook::core
