#pragma once

// What the accept loop does after accept() fails. Out of file descriptors (EMFILE, ENFILE) or kernel
// memory (ENOBUFS, ENOMEM), retrying at once fails again at once: the loop spun at 100 % CPU and
// logged the same line tens of megabytes a second. So it waits, longer each time up to a ceiling,
// and logs at most once a second with the number of failures in between. Pure: time is passed in.

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/doubling_delay.hpp"
#include "core/log_throttle.hpp"

namespace billhook::api {

// The last descriptors below the open-file limit are not for connections: the store opens files,
// deliveries open sockets and the log writes while the server is short of descriptors, and so does
// a sanitizer runtime (UBSan's vptr check creates a pipe to probe memory, and with no descriptor
// left it reports a valid object as one with an invalid vptr). Linux hands out the lowest free
// descriptor, so an accepted socket numbered `fd` means that every descriptor below it is in use:
// when fewer than `reserve` are left above it, the connection is closed at once and the accept
// loop backs off as it does on EMFILE.
struct DescriptorReserve {
  uint64_t open_file_limit = 0;  // 0: no reserve
  uint64_t reserve = 0;

  bool reached_by(int fd) const {
    if (open_file_limit == 0 || reserve == 0 || fd < 0) return false;
    return static_cast<uint64_t>(fd) + reserve >= open_file_limit;
  }
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
  void succeeded() { delay_.succeeded(); }

 private:
  core::DoublingDelay delay_{kFirstDelay, kMaxDelay};
  core::LogThrottle log_{kLogInterval};
};

}  // namespace billhook::api
