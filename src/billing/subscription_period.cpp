#include "billing/subscription_period.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <limits>

#include "core/clock.hpp"

namespace billhook::billing {
namespace {

namespace chrono = std::chrono;
__extension__ using Int128 = __int128;

constexpr int64_t kWeek = 7 * core::kSecondsPerDay;

int months_per(BillingInterval interval) {
  switch (interval) {
    case BillingInterval::week: return 0;
    case BillingInterval::month: return 1;
    case BillingInterval::quarter: return 3;
    case BillingInterval::year: return 12;
  }
  return 1;
}

chrono::sys_days day_of(int64_t t) { return chrono::floor<chrono::days>(chrono::sys_seconds{chrono::seconds{t}}); }

int64_t unix_of(chrono::sys_days day) { return chrono::sys_seconds{day}.time_since_epoch().count(); }

// Months from the epoch's year 0 month: a linear month count, so differences are plain subtraction.
int64_t month_index(chrono::year_month_day ymd) {
  return static_cast<int64_t>(static_cast<int>(ymd.year())) * 12 + static_cast<unsigned>(ymd.month()) - 1;
}

}  // namespace

int64_t add_intervals(int64_t t, BillingInterval interval, int64_t n) {
  assert(n >= 0);
  if (interval == BillingInterval::week) return t + n * kWeek;
  const chrono::sys_days day = day_of(t);
  const int64_t time_of_day = t - unix_of(day);
  const chrono::year_month_day ymd{day};
  const chrono::year_month target =
      chrono::year_month{ymd.year(), ymd.month()} + chrono::months{n * months_per(interval)};
  const chrono::day last = chrono::year_month_day_last{target.year(), chrono::month_day_last{target.month()}}.day();
  const chrono::year_month_day clamped{target.year(), target.month(), std::min(ymd.day(), last)};
  return unix_of(chrono::sys_days{clamped}) + time_of_day;
}

int64_t calendar_floor(int64_t t, BillingInterval interval) {
  const chrono::sys_days day = day_of(t);
  if (interval == BillingInterval::week) {
    // ISO weeks start on Monday (iso_encoding 1).
    const unsigned since_monday = chrono::weekday{day}.iso_encoding() - 1;
    return unix_of(day - chrono::days{since_monday});
  }
  const chrono::year_month_day ymd{day};
  const unsigned month0 = static_cast<unsigned>(ymd.month()) - 1;
  const unsigned first = month0 - month0 % static_cast<unsigned>(months_per(interval));  // 0-based
  return unix_of(chrono::sys_days{chrono::year_month_day{ymd.year(), chrono::month{first + 1}, chrono::day{1}}});
}

Period first_period(int64_t start, BillingInterval interval, BillingTime time) {
  if (time == BillingTime::anniversary) return {start, add_intervals(start, interval, 1)};
  return {start, add_intervals(calendar_floor(start, interval), interval, 1)};
}

Period next_period(const Period& current, int64_t anchor, BillingInterval interval, BillingTime time) {
  if (time == BillingTime::calendar) return {current.end, add_intervals(current.end, interval, 1)};
  // current.end is the k-th boundary after the anchor; the next one is the (k+1)-th, from the anchor.
  int64_t k = 0;
  if (interval == BillingInterval::week) {
    k = (current.end - anchor) / kWeek;
  } else {
    const int64_t months =
        month_index(chrono::year_month_day{day_of(current.end)}) - month_index(chrono::year_month_day{day_of(anchor)});
    k = months / months_per(interval);
  }
  assert(add_intervals(anchor, interval, k) == current.end);
  return {current.end, add_intervals(anchor, interval, k + 1)};
}

core::Result<int64_t> prorate(int64_t amount, int64_t numerator, int64_t denominator) {
  assert(denominator > 0);
  const Int128 product = static_cast<Int128>(amount) * numerator;
  const Int128 magnitude = product < 0 ? -product : product;
  Int128 quotient = magnitude / denominator;
  if ((magnitude % denominator) * 2 >= denominator) ++quotient;  // half-up, away from zero
  const Int128 result = product < 0 ? -quotient : quotient;
  if (result > std::numeric_limits<int64_t>::max() || result < std::numeric_limits<int64_t>::min())
    return core::Error::invalid("amount_out_of_range", "a prorated amount does not fit in 64 bits", "amount");
  return static_cast<int64_t>(result);
}

core::Result<int64_t> prorate_first_calendar_period(int64_t amount, int64_t start, BillingInterval interval) {
  const int64_t floor = calendar_floor(start, interval);
  const int64_t boundary = add_intervals(floor, interval, 1);
  const int64_t days_used = (boundary - unix_of(day_of(start))) / core::kSecondsPerDay;
  const int64_t days_whole = (boundary - floor) / core::kSecondsPerDay;
  return prorate(amount, days_used, days_whole);
}

core::Result<int64_t> prorate_upgrade(int64_t old_amount, int64_t new_amount, const Period& period, int64_t now) {
  const int64_t length = period.seconds();
  if (length <= 0) return int64_t{0};
  const int64_t left = std::clamp<int64_t>(period.end - now, 0, length);
  const Int128 difference = static_cast<Int128>(new_amount) - old_amount;
  if (difference > std::numeric_limits<int64_t>::max() || difference < std::numeric_limits<int64_t>::min())
    return core::Error::invalid("amount_out_of_range", "the difference between the plans' amounts is too large",
                                "amount");
  return prorate(static_cast<int64_t>(difference), left, length);
}

}  // namespace billhook::billing
