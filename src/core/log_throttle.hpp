#pragma once

// At most one log line per interval for a condition that repeats (accept failing, the store away),
// counting the occurrences in between. Pure: time is passed in.

#include <chrono>
#include <cstdint>
#include <optional>

namespace billhook::core {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}
  // Notes one occurrence; answers the count to log (this one included) when a line is due now.
  std::optional<uint64_t> note(Clock::time_point now);

 private:
  std::chrono::milliseconds interval_;
  std::optional<Clock::time_point> last_logged_;
  uint64_t unlogged_ = 0;
};

}  // namespace billhook::core
