#include "api/accept_backoff.hpp"

#include <algorithm>

namespace billhook::api {

AcceptBackoff::Decision AcceptBackoff::failed(Clock::time_point now, bool resource_exhausted) {
  Decision decision;
  if (resource_exhausted) {
    // Doubling: a descriptor freed by a closing connection is taken within kMaxDelay, and a long
    // shortage costs a wake-up a second.
    delay_ = std::clamp(delay_ * 2, kFirstDelay, kMaxDelay);
  } else {
    delay_ = kFirstDelay;  // another error (a connection reset before it was accepted): retry soon
  }
  decision.delay = delay_;
  decision.log_failures = log_.note(now);
  return decision;
}

}  // namespace billhook::api
