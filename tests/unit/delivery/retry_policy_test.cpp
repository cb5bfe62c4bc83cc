#include "delivery/retry_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>

#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "core/random.hpp"

namespace billhook::delivery {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Hands out one fixed 64-bit word, so next_unit() is exactly (word >> 11) / 2^53.
class FixedRandom final : public core::Random {
 public:
  explicit FixedRandom(uint64_t word) : word_(word) {}
  void fill(std::span<std::byte> out) override {
    for (size_t i = 0; i < out.size(); i += sizeof word_) {
      std::memcpy(out.data() + i, &word_, std::min(sizeof word_, out.size() - i));
    }
  }

 private:
  uint64_t word_;
};

constexpr uint64_t kLowest = 0;                                     // next_unit() == 0: factor 0.8
constexpr uint64_t kMiddle = uint64_t{1} << 63;                     // next_unit() == 0.5: factor 1.0
constexpr uint64_t kHighest = std::numeric_limits<uint64_t>::max();  // next_unit() just below 1: factor 1.2

boost::json::value json(std::string_view text) { return boost::json::parse(text); }

// --- default_schedule ------------------------------------------------------------------------------

TEST(DefaultSchedule, IsTheDocumentedNineAttempts) {
  const Schedule expected = {5s, 5min, 30min, 2h, 5h, 10h, 10h, 24h};
  EXPECT_EQ(default_schedule(), expected);
  EXPECT_EQ(default_schedule().size() + 1, 9u);
}

TEST(DefaultSchedule, SpansAboutTwoDays) {
  seconds total{0};
  for (seconds delay : default_schedule()) total += delay;
  EXPECT_EQ(total, 185'705s);  // 2 days 3 h 35 min 5 s before jitter
}

TEST(DefaultSchedule, NeverShrinksAndPassesItsOwnValidation) {
  EXPECT_TRUE(std::is_sorted(default_schedule().begin(), default_schedule().end()));
  boost::json::array as_json;
  for (seconds delay : default_schedule()) as_json.push_back(delay.count());
  const auto parsed = parse_schedule(as_json);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, default_schedule());
}

// --- next_delay ---------------------------------------------------------------------------------

TEST(NextDelay, FirstAttemptIsImmediate) {
  FixedRandom random(kHighest);
  EXPECT_EQ(next_delay(default_schedule(), 0, random), milliseconds{0});
  const Schedule empty;
  EXPECT_EQ(next_delay(empty, 0, random), milliseconds{0});
}

TEST(NextDelay, FollowsTheScheduleWithoutJitterAtTheMiddle) {
  FixedRandom random(kMiddle);
  const Schedule& schedule = default_schedule();
  for (size_t i = 0; i < schedule.size(); ++i) {
    EXPECT_EQ(next_delay(schedule, static_cast<int>(i) + 1, random), milliseconds(schedule[i]))
        << "after attempt " << i + 1;
  }
}

TEST(NextDelay, JitterIsAtMostTwentyPercentEitherWay) {
  FixedRandom low(kLowest);
  FixedRandom high(kHighest);
  EXPECT_EQ(next_delay(default_schedule(), 1, low), 4'000ms);
  EXPECT_EQ(next_delay(default_schedule(), 1, high), 6'000ms);  // 1.2 less 2^-53 rounds to 6000 ms
  EXPECT_EQ(next_delay(default_schedule(), 8, low), milliseconds(24h) * 8 / 10);
  EXPECT_LE(*next_delay(default_schedule(), 8, high), milliseconds(24h) * 12 / 10);
  EXPECT_GT(*next_delay(default_schedule(), 8, high), milliseconds(24h) * 12 / 10 - 1ms);
}

TEST(NextDelay, ExhaustedScheduleHasNoNextAttempt) {
  FixedRandom random(kMiddle);
  EXPECT_TRUE(next_delay(default_schedule(), 8, random).has_value());
  EXPECT_EQ(next_delay(default_schedule(), 9, random), std::nullopt);
  EXPECT_EQ(next_delay(default_schedule(), 1000, random), std::nullopt);
  EXPECT_EQ(next_delay(Schedule{}, 1, random), std::nullopt);
  EXPECT_EQ(next_delay(Schedule{7s}, 1, random), 7'000ms);
  EXPECT_EQ(next_delay(Schedule{7s}, 2, random), std::nullopt);
}

TEST(NextDelay, JitterIsUniformOverTheWholeBand) {
  core::SeededRandom random(42);
  const Schedule schedule = {100s};
  constexpr int kDraws = 20'000;
  int64_t sum = 0;
  int64_t lowest = std::numeric_limits<int64_t>::max();
  int64_t highest = 0;
  int below = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int64_t ms = next_delay(schedule, 1, random)->count();
    ASSERT_GE(ms, 80'000);
    ASSERT_LE(ms, 120'000);
    sum += ms;
    lowest = std::min(lowest, ms);
    highest = std::max(highest, ms);
    if (ms < 100'000) ++below;
  }
  EXPECT_NEAR(static_cast<double>(sum) / kDraws, 100'000.0, 500.0);
  EXPECT_LT(lowest, 80'500);
  EXPECT_GT(highest, 119'500);
  EXPECT_NEAR(below, kDraws / 2, kDraws / 20);
}

TEST(NextDelay, SpreadsEndpointsThatFailedTogether) {
  core::SeededRandom random(7);
  std::vector<int64_t> delays;
  for (int i = 0; i < 50; ++i) delays.push_back(next_delay(default_schedule(), 3, random)->count());
  std::sort(delays.begin(), delays.end());
  EXPECT_EQ(std::unique(delays.begin(), delays.end()), delays.end());
}

TEST(NextDelay, SameSeedSameDelays) {
  core::SeededRandom a(99);
  core::SeededRandom b(99);
  for (int attempt = 1; attempt <= 8; ++attempt) {
    EXPECT_EQ(next_delay(default_schedule(), attempt, a), next_delay(default_schedule(), attempt, b));
  }
}

TEST(NextDelay, AReceiverDownForDaysGetsNineAttemptsOnAManualClock) {
  core::ManualClock clock(core::from_unix_ms(1'763'805'600'000));
  core::SeededRandom random(1);
  const core::TimePoint start = clock.now();
  int attempts = 0;
  while (true) {
    ++attempts;  // this attempt fails
    const auto delay = next_delay(default_schedule(), attempts, random);
    if (!delay) break;
    clock.advance(*delay);
  }
  EXPECT_EQ(attempts, 9);
  const auto elapsed = clock.now() - start;
  EXPECT_GE(elapsed, 185'705s * 8 / 10);
  EXPECT_LE(elapsed, 185'705s * 12 / 10);
}

// --- parse_schedule -------------------------------------------------------------------------------

TEST(ParseSchedule, AcceptsIntegersInRange) {
  const auto parsed = parse_schedule(json("[1, 60, 604800]"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, (Schedule{1s, 60s, 604'800s}));
}

TEST(ParseSchedule, AcceptsOneToTwentyEntries) {
  EXPECT_EQ(parse_schedule(json("[30]"))->size(), 1u);
  boost::json::array twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back(i);
  const auto parsed = parse_schedule(twenty);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 20u);
  EXPECT_EQ(parsed->back(), 20s);
}

TEST(ParseSchedule, RefusesAnythingButAnArray) {
  for (std::string_view text : {"{}", "5", "\"5,300\"", "null", "true"}) {
    const auto parsed = parse_schedule(json(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(parsed.error().code, "invalid_retry_schedule");
    EXPECT_EQ(parsed.error().param, "retry_schedule");
    EXPECT_TRUE(parsed.error().message.starts_with("retry_schedule must be an array")) << parsed.error().message;
  }
  EXPECT_NE(parse_schedule(json("{}")).error().message.find("got object"), std::string::npos);
}

TEST(ParseSchedule, RefusesEmptyAndTooLong) {
  const auto empty = parse_schedule(json("[]"));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "retry_schedule must have from 1 to 20 delays, got 0");
  boost::json::array twenty_one;
  for (int i = 1; i <= 21; ++i) twenty_one.push_back(i);
  const auto too_long = parse_schedule(twenty_one);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().message, "retry_schedule must have from 1 to 20 delays, got 21");
}

TEST(ParseSchedule, NamesTheBadEntry) {
  struct Case {
    std::string_view json;
    std::string_view message;
    std::string_view param;
  };
  const Case cases[] = {
      {"[5, 300, 1800, 0]", "retry_schedule[3] must be an integer number of seconds from 1 to 604800, got 0",
       "retry_schedule[3]"},
      {"[-1]", "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got -1", "retry_schedule[0]"},
      {"[5, 604801]", "retry_schedule[1] must be an integer number of seconds from 1 to 604800, got 604801",
       "retry_schedule[1]"},
      {"[2.5]", "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got 2.5",
       "retry_schedule[0]"},
      {"[5, \"300\"]", "retry_schedule[1] must be an integer number of seconds from 1 to 604800, got a string",
       "retry_schedule[1]"},
      {"[5, 6, null]", "retry_schedule[2] must be an integer number of seconds from 1 to 604800, got a null",
       "retry_schedule[2]"},
      {"[true]", "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got a boolean",
       "retry_schedule[0]"},
      {"[[5]]", "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got an array",
       "retry_schedule[0]"},
      {"[18446744073709551615]",
       "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got 18446744073709551615",
       "retry_schedule[0]"},
      {"[-9223372036854775808]",
       "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got -9223372036854775808",
       "retry_schedule[0]"},
  };
  for (const Case& c : cases) {
    const auto parsed = parse_schedule(json(c.json));
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_EQ(parsed.error().code, "invalid_retry_schedule");
    EXPECT_EQ(parsed.error().message, c.message) << c.json;
    EXPECT_EQ(parsed.error().param, c.param) << c.json;
  }
}

TEST(ParseSchedule, RefusesWholeNumbersWrittenAsFractions) {
  // 5.0 parses as a double; a schedule is whole seconds, said as integers.
  const auto parsed = parse_schedule(json("[5.0]"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "retry_schedule[0] must be an integer number of seconds from 1 to 604800, got 5.0");
  EXPECT_FALSE(parse_schedule(json("[1e2]")).ok());
}

// --- parse_retry_after ------------------------------------------------------------------------------

core::TimePoint at(std::chrono::sys_days day, std::chrono::nanoseconds time_of_day = {}) {
  return core::TimePoint(std::chrono::duration_cast<core::TimePoint::duration>(day.time_since_epoch() + time_of_day));
}

const core::TimePoint kNow = at(std::chrono::sys_days{2015y / 10 / 21}, 7h);  // Wed, 21 Oct 2015 07:00:00 GMT

TEST(ParseRetryAfter, DelaySeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), 120s);
  EXPECT_EQ(parse_retry_after("1", kNow), 1s);
  EXPECT_EQ(parse_retry_after("86400", kNow), 86'400s);
  EXPECT_EQ(parse_retry_after("007", kNow), 7s);
}

TEST(ParseRetryAfter, DelaySecondsAreClampedToOneSecondThroughOneDay) {
  EXPECT_EQ(parse_retry_after("0", kNow), 1s);
  EXPECT_EQ(parse_retry_after("86401", kNow), 86'400s);
  EXPECT_EQ(parse_retry_after("9223372036854775807", kNow), 86'400s);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999999999", kNow), 86'400s);
}

TEST(ParseRetryAfter, IgnoresSurroundingWhitespace) {
  EXPECT_EQ(parse_retry_after(" 120\t", kNow), 120s);
  EXPECT_EQ(parse_retry_after("  Wed, 21 Oct 2015 07:28:00 GMT ", kNow), 1'680s);
}

TEST(ParseRetryAfter, AbsentOrUnparsableIsNullopt) {
  for (std::string_view bad : {"", "   ", "-1", "+5", "1.5", "5s", "12 0", "0x10", "1e3", "soon", "120,"}) {
    EXPECT_EQ(parse_retry_after(bad, kNow), std::nullopt) << "\"" << bad << "\"";
  }
}

TEST(ParseRetryAfter, ImfFixdate) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kNow), 1'680s);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:01 GMT", kNow), 1s);
  EXPECT_EQ(parse_retry_after("Thu, 22 Oct 2015 06:59:59 GMT", kNow), 86'399s);
}

TEST(ParseRetryAfter, EveryMonthName) {
  const std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned m = 1; m <= 12; ++m) {
    const core::TimePoint now = at(std::chrono::sys_days{2020y / std::chrono::month{m} / 10});
    const std::string value = "Mon, 10 " + std::string(months[m - 1]) + " 2020 00:01:00 GMT";
    EXPECT_EQ(parse_retry_after(value, now), 60s) << value;
  }
}

TEST(ParseRetryAfter, RoundsUpToWholeSeconds) {
  const auto now = at(std::chrono::sys_days{2015y / 10 / 21}, 7h + 27min + 58s + 250ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 2s);
  const auto almost = at(std::chrono::sys_days{2015y / 10 / 21}, 7h + 27min + 59s + 1ns);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", almost), 1s);
}

TEST(ParseRetryAfter, DatesNowOrPastWaitOneSecond) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", kNow), 1s);
  EXPECT_EQ(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", kNow), 1s);
  EXPECT_EQ(parse_retry_after("Sat, 01 Jan 0000 00:00:00 GMT", kNow), 1s);
}

TEST(ParseRetryAfter, FarFutureDatesWaitOneDay) {
  EXPECT_EQ(parse_retry_after("Fri, 23 Oct 2015 07:00:00 GMT", kNow), 86'400s);
  // Centuries ahead must not overflow a nanosecond clock.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kNow), 86'400s);
}

TEST(ParseRetryAfter, ObsoleteRfc850Format) {
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", kNow), 1'680s);
  for (std::string_view name : {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}) {
    EXPECT_EQ(parse_retry_after(std::string(name) + ", 21-Oct-15 07:28:00 GMT", kNow), 1'680s) << name;
  }
}

TEST(ParseRetryAfter, Rfc850TwoDigitYearsAreNeverMoreThanFiftyYearsAhead) {
  const auto now_2026 = at(std::chrono::sys_days{2026y / 6 / 1});
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now_2026), 1s);  // 1994, not 2094
  EXPECT_EQ(parse_retry_after("Monday, 01-Jun-26 00:00:30 GMT", now_2026), 30s);
  const auto now_2049 = at(std::chrono::sys_days{2049y / 12 / 31}, 23h + 59min);
  EXPECT_EQ(parse_retry_after("Friday, 31-Dec-49 23:59:30 GMT", now_2049), 30s);
  const auto now_2051 = at(std::chrono::sys_days{2051y / 6 / 1});
  EXPECT_EQ(parse_retry_after("Saturday, 01-Jan-00 00:00:00 GMT", now_2051), 86'400s);  // 2100, not 2000
  EXPECT_EQ(parse_retry_after("Saturday, 01-Jan-02 00:00:00 GMT", now_2051), 1s);       // 2002, 49 years back
  const auto now_2099 = at(std::chrono::sys_days{2099y / 12 / 31}, 23h + 59min);
  EXPECT_EQ(parse_retry_after("Thursday, 31-Dec-99 23:59:59 GMT", now_2099), 59s);
}

TEST(ParseRetryAfter, ObsoleteAsctimeFormat) {
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:00 2015", kNow), 1'680s);
  const auto now = at(std::chrono::sys_days{1994y / 11 / 6}, 8h + 49min);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), 37s);  // a one-digit day is space-padded
  EXPECT_EQ(parse_retry_after("Sun Nov 06 08:49:37 1994", now), 37s);
  EXPECT_EQ(parse_retry_after("Sun Nov 6 08:49:37 1994", now), std::nullopt);
}

TEST(ParseRetryAfter, CalendarIsChecked) {
  const auto feb_2016 = at(std::chrono::sys_days{2016y / 2 / 28});
  EXPECT_EQ(parse_retry_after("Mon, 29 Feb 2016 00:00:00 GMT", feb_2016), 86'400s);  // a leap day
  EXPECT_EQ(parse_retry_after("Sun, 29 Feb 2015 00:00:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Thu, 29 Feb 2100 00:00:00 GMT", kNow), std::nullopt);  // 2100 is not a leap year
  EXPECT_EQ(parse_retry_after("Sat, 31 Apr 2015 00:00:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 32 Oct 2015 07:28:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 00 Oct 2015 07:28:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 24:00:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:60:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:61 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:60 GMT", kNow), 1'740s);  // a leap second
}

TEST(ParseRetryAfter, TheDayNameIsNotCheckedAgainstTheDate) {
  // RFC 9110 does not ask recipients to; a wrong day name from a receiver is no reason to ignore it.
  EXPECT_EQ(parse_retry_after("Mon, 21 Oct 2015 07:28:00 GMT", kNow), 1'680s);
}

TEST(ParseRetryAfter, RefusesNearMissesOfTheGrammar) {
  for (std::string_view bad : {
           "Wed, 21 Oct 2015 07:28:00 UTC",
           "Wed, 21 Oct 2015 07:28:00 +0000",
           "Wed, 21 Oct 2015 07:28:00",
           "wed, 21 oct 2015 07:28:00 GMT",
           "WED, 21 OCT 2015 07:28:00 GMT",
           "Wed, 21 Oct 2015 07:28 GMT",
           "Wed, 21 Oct 2015 7:28:00 GMT",
           "Wed, 1 Oct 2015 07:28:00 GMT",
           "Wed,  1 Oct 2015 07:28:00 GMT",
           "Wed 21 Oct 2015 07:28:00 GMT",
           "Wed,21 Oct 2015 07:28:00 GMT",
           "Wed, 21 Oct 15 07:28:00 GMT",
           "Wed, 21 Oct 2015 07:28:00 GMT junk",
           "Wed, 21 Oct 2015  07:28:00 GMT",
           "Wed, 21-Oct-2015 07:28:00 GMT",
           "Wednesday, 21 Oct 2015 07:28:00 GMT",
           "Wed, 21-Oct-15 07:28:00 GMT",
           "Wednesday, 21-Oct-2015 07:28:00 GMT",
           "Wednesday, 21-Oct-15 07:28:00",
           "Wed Oct 21 07:28:00 2015 GMT",
           "Wed Oct 21 07:28:00 15",
           "Foo, 21 Oct 2015 07:28:00 GMT",
           "Wed, 21 Foo 2015 07:28:00 GMT",
           "2015-10-21T07:28:00Z",
       }) {
    EXPECT_EQ(parse_retry_after(bad, kNow), std::nullopt) << "\"" << bad << "\"";
  }
}

}  // namespace
}  // namespace billhook::delivery
