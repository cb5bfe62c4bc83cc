#pragma once

// When a failed delivery is tried again. Pure: the worker asks, a test drives the whole schedule
// with a ManualClock and a SeededRandom.

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"

namespace billhook::delivery {

// The delays after attempt 1, 2, …; the first attempt is immediate and not part of the list, so
// size() + 1 attempts are made in all.
using Schedule = std::vector<std::chrono::seconds>;

// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 24 h: 9 attempts over about 2.15 days (2.6 at most with jitter).
const Schedule& default_schedule();

// The limits parse_schedule enforces.
inline constexpr size_t kMaxScheduleLength = 20;
inline constexpr std::chrono::seconds kMaxScheduleDelay{604'800};  // one week

// A JSON array of 1–20 integers, each from 1 to 604800 (seconds). Errors are invalid_request with
// code "invalid_retry_schedule" and name the entry: "retry_schedule[3] must be …".
core::Result<Schedule> parse_schedule(const boost::json::value& v);

// The delay before the next attempt once `attempts_made` attempts have failed: schedule[attempts_made - 1]
// with ±20 % uniform jitter drawn from `random` (so that endpoints that failed together do not all come
// back together). Zero for `attempts_made` == 0 (the first attempt); nullopt once the schedule is used up.
std::optional<std::chrono::milliseconds> next_delay(const Schedule& schedule, int attempts_made, core::Random& random);

// The bounds parse_retry_after clamps to: a receiver may slow us down, but not stall an endpoint for days.
inline constexpr std::chrono::seconds kMinRetryAfter{1};
inline constexpr std::chrono::seconds kMaxRetryAfter{86'400};

// A Retry-After field value as RFC 9110 §10.2.3 defines it: delay-seconds ("120") or an HTTP-date in
// any of its three formats (IMF-fixdate "Wed, 21 Oct 2015 07:28:00 GMT", and the obsolete RFC 850 and
// asctime ones), taken relative to `now` and rounded up to whole seconds. Clamped to [1 s, 24 h];
// nullopt when empty or unparsable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, core::TimePoint now);

}  // namespace billhook::delivery
