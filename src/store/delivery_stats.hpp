#pragma once

// Delivery statistics kept by the store as it records attempts: per-minute buckets (attempts,
// successes, a latency histogram) and each endpoint's health (last success, failure streak). The
// arithmetic over them — success rate, percentiles from a histogram, the windows the overview shows —
// is pure and lives here too.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace billhook::store {

// Upper bounds (inclusive, in ms) of the latency histogram's buckets; a last bucket holds everything
// slower than the last bound. Roughly 1-2.5-5 steps, so a percentile read from it is within a step.
inline constexpr std::array<int64_t, 15> kLatencyBoundsMs{5,    10,   25,    50,    100,   250,   500,   1000,
                                                          2500, 5000, 10000, 15000, 30000, 60000, 120000};
inline constexpr size_t kLatencyBuckets = kLatencyBoundsMs.size() + 1;
using LatencyHistogram = std::array<int64_t, kLatencyBuckets>;

// The histogram bucket of an attempt that took `duration_ms`.
size_t latency_bucket(int64_t duration_ms);

// Attempts of one period (a minute, or several summed), all endpoints and nodes together.
struct StatsBucket {
  int64_t minute = 0;  // unix minutes of the period's start
  int64_t attempts = 0;
  int64_t succeeded = 0;
  LatencyHistogram latency{};

  int64_t failed() const { return attempts - succeeded; }
  StatsBucket& operator+=(const StatsBucket& other);
};

// Succeeded / attempts, none without attempts.
std::optional<double> success_rate(const StatsBucket& bucket);

// The `p`-th percentile (0 < p ≤ 1) of the durations counted in `histogram`, in ms: the rank's bucket
// is found, and the value interpolated linearly inside it (the last, unbounded bucket answers its lower
// bound). None for an empty histogram.
std::optional<int64_t> latency_percentile(const LatencyHistogram& histogram, double p);

// An endpoint's health from its attempts: updated with each one recorded.
struct EndpointHealth {
  std::string endpoint_id;
  int64_t last_success_ms = 0;  // 0: never
  int64_t last_failure_ms = 0;  // 0: never
  int64_t failure_streak = 0;   // failed attempts since the last success
};

// The periods the overview shows: `points` steps of `step_minutes` ending with the step that holds
// `now_ms`.
struct StatsWindow {
  std::string name;  // "hour", "day", "week"
  int64_t step_minutes = 1;
  int64_t points = 60;
  int64_t from_minute = 0;  // inclusive
  int64_t to_minute = 0;    // exclusive

  int64_t minutes() const { return to_minute - from_minute; }
};

// The window called `name` ("hour": 60 × 1 min, "day": 96 × 15 min, "week": 168 × 1 h), none for another
// name.
std::optional<StatsWindow> stats_window(std::string_view name, int64_t now_ms);

// One bucket per step of the window, oldest first, from the buckets the store answered (in any order,
// each in the window, at any minute of a step); steps without attempts are empty buckets.
std::vector<StatsBucket> stats_series(const StatsWindow& window, const std::vector<StatsBucket>& buckets);

}  // namespace billhook::store
