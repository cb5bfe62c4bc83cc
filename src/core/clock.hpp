#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace billhook::core {

inline constexpr int64_t kSecondsPerDay = 86'400;

using TimePoint = std::chrono::system_clock::time_point;

// The one source of "now". Everything that reads time takes a Clock, so tests can drive a
// three-day retry schedule with a ManualClock in milliseconds.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint now() const override;
  void set(TimePoint t);
  void advance(std::chrono::nanoseconds by);

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(int64_t ms);
// RFC 3339 in UTC with milliseconds: 2026-11-22T10:00:00.123Z
std::string format_rfc3339_ms(TimePoint t);
// The same for unix milliseconds, from any int64: a time before year 0000 or after 9999 (which RFC 3339 cannot
// write) is written as the first or last millisecond it can.
std::string format_unix_ms_rfc3339(int64_t unix_ms);

}  // namespace billhook::core
