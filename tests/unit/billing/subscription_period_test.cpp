// Period math of subscriptions: calendar arithmetic with month-end clamping, anniversary and calendar
// periods for every interval, and proration to the minor unit.

#include "billing/subscription_period.hpp"

#include <chrono>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "unit/billing/utc.hpp"

namespace billhook::billing {
namespace {

using I = BillingInterval;
using T = BillingTime;

constexpr int64_t kDay = 86'400;

// Unix seconds of a UTC date and hour.
TEST(SubscriptionPeriod, TheTestCalendarAgreesWithKnownUnixTimes) {
  // Computed outside C++ (Python's calendar.timegm), so the helper above is not checked by itself.
  EXPECT_EQ(utc(2026, 1, 31, 10), 1'769'853'600);
  EXPECT_EQ(utc(2028, 2, 29, 10), 1'835'431'200);
}

TEST(SubscriptionPeriod, AddingMonthsClampsToTheMonthsLastDayAndKeepsTheTimeOfDay) {
  EXPECT_EQ(add_intervals(utc(2026, 1, 31, 10), I::month, 1), 1'772'272'800);  // 2026-02-28T10:00Z
  EXPECT_EQ(add_intervals(utc(2026, 1, 31, 10), I::month, 1), utc(2026, 2, 28, 10));
  EXPECT_EQ(add_intervals(utc(2028, 1, 31, 10), I::month, 1), utc(2028, 2, 29, 10));  // leap year
  EXPECT_EQ(add_intervals(utc(2026, 1, 31, 10), I::month, 2), utc(2026, 3, 31, 10));
  EXPECT_EQ(add_intervals(utc(2026, 3, 31), I::month, 1), utc(2026, 4, 30));
  EXPECT_EQ(add_intervals(utc(2026, 12, 15), I::month, 1), utc(2027, 1, 15));
  EXPECT_EQ(add_intervals(utc(2026, 11, 30), I::quarter, 1), utc(2027, 2, 28));
  EXPECT_EQ(add_intervals(utc(2027, 11, 30), I::quarter, 1), utc(2028, 2, 29));
  EXPECT_EQ(add_intervals(utc(2028, 2, 29), I::year, 1), utc(2029, 2, 28));
  EXPECT_EQ(add_intervals(utc(2028, 2, 29), I::year, 4), utc(2032, 2, 29));
  EXPECT_EQ(add_intervals(utc(2026, 12, 29), I::week, 1), utc(2027, 1, 5));
  EXPECT_EQ(add_intervals(utc(2026, 5, 5, 7), I::month, 0), utc(2026, 5, 5, 7));
}

TEST(SubscriptionPeriod, AnniversaryPeriodsCountFromTheAnchorSoMonthEndsDoNotDrift) {
  const int64_t anchor = utc(2026, 1, 31, 9);
  Period p = first_period(anchor, I::month, T::anniversary);
  EXPECT_EQ(p, (Period{anchor, utc(2026, 2, 28, 9)}));
  const int64_t expected_ends[] = {utc(2026, 3, 31, 9), utc(2026, 4, 30, 9), utc(2026, 5, 31, 9), utc(2026, 6, 30, 9)};
  for (int64_t end : expected_ends) {
    const Period next = next_period(p, anchor, I::month, T::anniversary);
    EXPECT_EQ(next.start, p.end);
    EXPECT_EQ(next.end, end);
    p = next;
  }
}

TEST(SubscriptionPeriod, AnniversaryPeriodsOverALeapDayForEveryInterval) {
  const int64_t anchor = utc(2027, 11, 29);
  Period q = first_period(anchor, I::quarter, T::anniversary);
  EXPECT_EQ(q.end, utc(2028, 2, 29));
  EXPECT_EQ(next_period(q, anchor, I::quarter, T::anniversary).end, utc(2028, 5, 29));

  const int64_t leap_day = utc(2028, 2, 29, 12);
  Period y = first_period(leap_day, I::year, T::anniversary);
  EXPECT_EQ(y.end, utc(2029, 2, 28, 12));
  y = next_period(y, leap_day, I::year, T::anniversary);
  EXPECT_EQ(y, (Period{utc(2029, 2, 28, 12), utc(2030, 2, 28, 12)}));
  y = next_period(next_period(y, leap_day, I::year, T::anniversary), leap_day, I::year, T::anniversary);
  EXPECT_EQ(y.end, utc(2032, 2, 29, 12));  // back on the 29th, as the anchor says

  const int64_t monday = utc(2028, 2, 28, 6);
  Period w = first_period(monday, I::week, T::anniversary);
  EXPECT_EQ(w.end, utc(2028, 3, 6, 6));
  w = next_period(w, monday, I::week, T::anniversary);
  EXPECT_EQ(w, (Period{utc(2028, 3, 6, 6), utc(2028, 3, 13, 6)}));
}

TEST(SubscriptionPeriod, CalendarBoundariesForEveryInterval) {
  const int64_t t = utc(2026, 8, 15, 13);                   // a Saturday
  EXPECT_EQ(calendar_floor(t, I::week), utc(2026, 8, 10));  // Monday
  EXPECT_EQ(calendar_floor(t, I::month), utc(2026, 8, 1));
  EXPECT_EQ(calendar_floor(t, I::quarter), utc(2026, 7, 1));
  EXPECT_EQ(calendar_floor(t, I::year), utc(2026, 1, 1));
  EXPECT_EQ(calendar_floor(utc(2026, 8, 10), I::week), utc(2026, 8, 10));      // a Monday is its own floor
  EXPECT_EQ(calendar_floor(utc(2026, 8, 16, 23), I::week), utc(2026, 8, 10));  // Sunday ends the ISO week
  EXPECT_EQ(calendar_floor(utc(2026, 12, 31, 23), I::quarter), utc(2026, 10, 1));
  EXPECT_EQ(calendar_floor(utc(2026, 3, 31, 23), I::quarter), utc(2026, 1, 1));
}

TEST(SubscriptionPeriod, CalendarFirstPeriodRunsToTheNextBoundaryThenWholeIntervals) {
  const int64_t start = utc(2026, 1, 10, 15);
  Period p = first_period(start, I::month, T::calendar);
  EXPECT_EQ(p, (Period{start, utc(2026, 2, 1)}));
  p = next_period(p, start, I::month, T::calendar);
  EXPECT_EQ(p, (Period{utc(2026, 2, 1), utc(2026, 3, 1)}));
  EXPECT_EQ(next_period(p, start, I::month, T::calendar).end, utc(2026, 4, 1));

  EXPECT_EQ(first_period(utc(2027, 11, 20), I::quarter, T::calendar).end, utc(2028, 1, 1));
  EXPECT_EQ(first_period(utc(2027, 11, 20), I::year, T::calendar).end, utc(2028, 1, 1));
  EXPECT_EQ(first_period(utc(2026, 8, 12, 9), I::week, T::calendar).end, utc(2026, 8, 17));
  // On a boundary the first period is whole.
  EXPECT_EQ(first_period(utc(2026, 3, 1), I::month, T::calendar), (Period{utc(2026, 3, 1), utc(2026, 4, 1)}));
  // Anniversary billing started on the same day keeps its own day.
  EXPECT_EQ(first_period(start, I::month, T::anniversary).end, utc(2026, 2, 10, 15));
}

TEST(SubscriptionPeriod, ProrateRoundsOnceHalfUpAwayFromZero) {
  EXPECT_EQ(*prorate(5, 1, 2), 3);
  EXPECT_EQ(*prorate(-5, 1, 2), -3);
  EXPECT_EQ(*prorate(4, 1, 3), 1);         // 1.33
  EXPECT_EQ(*prorate(5, 1, 3), 2);         // 1.67
  EXPECT_EQ(*prorate(1000, 22, 31), 710);  // 709.68
  EXPECT_EQ(*prorate(0, 7, 9), 0);
  // 128-bit intermediate: the product overflows 64 bits, the result does not.
  const int64_t big = std::numeric_limits<int64_t>::max() / 3;
  EXPECT_EQ(*prorate(big, 3, 3), big);
  auto overflow = prorate(std::numeric_limits<int64_t>::max(), 2, 1);
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().code, "amount_out_of_range");
}

TEST(SubscriptionPeriod, CalendarFirstPeriodIsProratedByWholeDays) {
  // January: 31 days, the 10th through the 31st are 22 of them.
  EXPECT_EQ(*prorate_first_calendar_period(3100, utc(2026, 1, 10, 23), I::month), 2200);
  EXPECT_EQ(*prorate_first_calendar_period(1000, utc(2026, 1, 10), I::month), 710);
  // February: 28 days in 2027, 29 in 2028.
  EXPECT_EQ(*prorate_first_calendar_period(2800, utc(2027, 2, 15), I::month), 1400);
  EXPECT_EQ(*prorate_first_calendar_period(2900, utc(2028, 2, 15), I::month), 1500);
  // Q3 2026 has 92 days; Aug 15 – Sep 30 are 47.
  EXPECT_EQ(*prorate_first_calendar_period(9200, utc(2026, 8, 15), I::quarter), 4700);
  // 2028 has 366 days; Dec 1 – Dec 31 are 31: 36600 × 31 / 366 = 3100.
  EXPECT_EQ(*prorate_first_calendar_period(36600, utc(2028, 12, 1), I::year), 3100);
  // A Wednesday leaves 5 days of the ISO week.
  EXPECT_EQ(*prorate_first_calendar_period(700, utc(2026, 8, 12, 18), I::week), 500);
  // On a boundary: the whole amount; a zero amount stays zero.
  EXPECT_EQ(*prorate_first_calendar_period(4999, utc(2026, 3, 1), I::month), 4999);
  EXPECT_EQ(*prorate_first_calendar_period(0, utc(2026, 3, 9), I::month), 0);
}

TEST(SubscriptionPeriod, UpgradeIsTheDifferenceForTheSecondsLeftRoundedOnce) {
  const Period thirty_days{utc(2026, 4, 1), utc(2026, 5, 1)};
  EXPECT_EQ(*prorate_upgrade(1000, 2500, thirty_days, utc(2026, 4, 21)), 500);  // 10 of 30 days left
  EXPECT_EQ(*prorate_upgrade(1000, 2500, thirty_days, utc(2026, 4, 1)), 1500);  // all of it
  EXPECT_EQ(*prorate_upgrade(1000, 2500, thirty_days, utc(2026, 3, 1)), 1500);  // before: clamped
  EXPECT_EQ(*prorate_upgrade(1000, 2500, thirty_days, utc(2026, 5, 1)), 0);     // at the end
  EXPECT_EQ(*prorate_upgrade(1000, 2500, thirty_days, utc(2026, 6, 1)), 0);     // after: clamped
  // 31-day period, 7.5 days left: 1000 × 648000 / 2678400 = 241.94 → 242 (rounding each side would
  // give 484 − 242 = 242 here but can differ by one elsewhere; only the difference is rounded).
  const Period march{utc(2026, 3, 1), utc(2026, 4, 1)};
  EXPECT_EQ(*prorate_upgrade(1000, 2000, march, utc(2026, 3, 24, 12)), 242);
  // One second left of a 30-day period on a large difference: 999'999'999 × 1 / 2'592'000 = 385.8 → 386.
  EXPECT_EQ(*prorate_upgrade(1, 1'000'000'000, thirty_days, utc(2026, 5, 1) - 1), 386);
  // JPY has no minor unit: the same rule, in yen. 3000 × 5/30 = 500.
  EXPECT_EQ(*prorate_upgrade(1000, 4000, thirty_days, utc(2026, 4, 26)), 500);
  EXPECT_EQ(thirty_days.seconds(), 30 * kDay);
}

}  // namespace
}  // namespace billhook::billing
