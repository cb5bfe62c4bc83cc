#include "core/clock.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace billhook::core {

TimePoint ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void ManualClock::set(TimePoint t) {
  std::lock_guard lock(mutex_);
  now_ = t;
}

void ManualClock::advance(std::chrono::nanoseconds by) {
  std::lock_guard lock(mutex_);
  now_ += std::chrono::duration_cast<TimePoint::duration>(by);
}

int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_ms(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

std::string format_rfc3339_ms(TimePoint t) { return format_unix_ms_rfc3339(to_unix_ms(t)); }

std::string format_unix_ms_rfc3339(int64_t unix_ms) {
  using namespace std::chrono;
  // RFC 3339 writes years 0000 to 9999; a time outside them (data can hold any integer) is written as the
  // nearest one it can. Milliseconds in an int64 never overflow where nanoseconds (TimePoint) would.
  constexpr int64_t kFirstMs = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
  constexpr int64_t kLastMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
  const sys_time<milliseconds> ms{milliseconds(std::clamp(unix_ms, kFirstMs, kLastMs))};
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

}  // namespace billhook::core
