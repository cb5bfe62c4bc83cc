#include "core/log_throttle.hpp"

#include <utility>

namespace billhook::core {

std::optional<uint64_t> LogThrottle::note(Clock::time_point now) {
  ++unlogged_;
  if (last_logged_ && now - *last_logged_ < interval_) return std::nullopt;
  last_logged_ = now;
  return std::exchange(unlogged_, 0);
}

}  // namespace billhook::core
