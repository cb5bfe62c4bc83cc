#pragma once

// A pause between tries of something failing for a while (accept() out of descriptors, the store away):
// `first` after the first failure, doubling after each one to `ceiling`, and `first` again once a try
// has succeeded. Waiting longer each time keeps a long outage from costing a busy loop and a log line per
// try, and the ceiling bounds how late the first try after the outage comes.

#include <algorithm>
#include <chrono>

namespace billhook::core {

class DoublingDelay {
 public:
  constexpr DoublingDelay(std::chrono::milliseconds first, std::chrono::milliseconds ceiling)
      : first_(first), ceiling_(ceiling) {}

  // Notes a failure; answers how long to wait before the next try.
  std::chrono::milliseconds failed() {
    ++failures_;
    current_ = failures_ == 1 ? first_ : std::min(current_ * 2, ceiling_);
    return current_;
  }
  // Notes a success: the next failure waits `first` again.
  void succeeded() { failures_ = 0; }
  // Failures since the last success.
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds ceiling_;
  std::chrono::milliseconds current_{0};
  int failures_ = 0;
};

}  // namespace billhook::core
