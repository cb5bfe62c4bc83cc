#pragma once

// What the accept loop does after accept() fails. Out of file descriptors (EMFILE, ENFILE) or kernel
// memory (ENOBUFS, ENOMEM), retrying at once fails again at once: the loop spun at 100 % CPU and
// logged the same line tens of megabytes a second. So it waits, longer each time up to a ceiling,
// and logs at most once a second with the number of failures in between. Pure: time is passed in.

#include <chrono>
#include <cstdint>
#include <optional>

namespace billhook::api {

// At most one log line per interval for a repeated condition, counting the occurrences in between.
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

class AcceptBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  static constexpr std::chrono::milliseconds kFirstDelay{10};
  static constexpr std::chrono::milliseconds kMaxDelay{1000};
  static constexpr std::chrono::milliseconds kLogInterval{1000};

  struct Decision {
    std::chrono::milliseconds delay{0};  // wait this long before accepting again
    // Set when this failure is to be logged: the failures since the last line logged, this one included.
    std::optional<uint64_t> log_failures;
  };

  // After a failed accept; `resource_exhausted` for EMFILE, ENFILE, ENOBUFS and ENOMEM.
  Decision failed(Clock::time_point now, bool resource_exhausted);
  // After a successful accept: the next failure starts again from the first delay.
  void succeeded() { delay_ = std::chrono::milliseconds{0}; }

 private:
  std::chrono::milliseconds delay_{0};
  LogThrottle log_{kLogInterval};
};

}  // namespace billhook::api
