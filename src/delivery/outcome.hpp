#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "delivery/http_client.hpp"
#include "delivery/retry_policy.hpp"
#include "events/model.hpp"

namespace billhook::delivery {

// What one attempt's result means for its delivery and endpoint. Pure: the dispatcher stores it.
struct AttemptOutcome {
  events::DeliveryStatus status = events::DeliveryStatus::retrying;  // succeeded, retrying or failed
  int64_t next_attempt_ms = 0;           // when retrying
  bool exhausted = false;                // failed because the schedule has no try left
  std::optional<std::string> disable;    // set when the endpoint must be disabled now ("gone": it answered 410)
};

// `attempts_made` counts this attempt. 2xx succeeds. 410 fails the delivery and disables the
// endpoint. 429 and 503 wait as long as Retry-After says (clamped), if the schedule has a try left.
// Anything else, redirects included, waits the schedule's next delay with jitter.
AttemptOutcome decide(const OutboundResult& result, int attempts_made, const Schedule& schedule, core::TimePoint now,
                      core::Random& random);

// An endpoint that has answered nothing but failures since `failing_since_ms` is disabled once
// that has lasted `threshold` (five days by default).
bool should_disable_for_failing(int64_t failing_since_ms, int64_t now_ms, std::chrono::milliseconds threshold);

}  // namespace billhook::delivery
