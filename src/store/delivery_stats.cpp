#include "store/delivery_stats.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace billhook::store {

size_t latency_bucket(int64_t duration_ms) {
  const auto* it = std::lower_bound(kLatencyBoundsMs.begin(), kLatencyBoundsMs.end(), duration_ms);
  return static_cast<size_t>(it - kLatencyBoundsMs.begin());
}

StatsBucket& StatsBucket::operator+=(const StatsBucket& other) {
  attempts += other.attempts;
  succeeded += other.succeeded;
  for (size_t i = 0; i < kLatencyBuckets; ++i) latency[i] += other.latency[i];
  return *this;
}

std::optional<double> success_rate(const StatsBucket& bucket) {
  if (bucket.attempts <= 0) return std::nullopt;
  return static_cast<double>(bucket.succeeded) / static_cast<double>(bucket.attempts);
}

std::optional<int64_t> latency_percentile(const LatencyHistogram& histogram, double p) {
  assert(p > 0 && p <= 1);
  int64_t total = 0;
  for (auto n : histogram) total += n;
  if (total <= 0) return std::nullopt;
  // The rank of the percentile among the durations counted, 1-based (nearest rank); the epsilon keeps
  // 0.51 × 100 at rank 51 though the product is a hair above 51 in binary.
  const auto rank = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(p * static_cast<double>(total) - 1e-9)), 1, total);
  int64_t below = 0;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    const int64_t n = histogram[i];
    if (below + n < rank) {
      below += n;
      continue;
    }
    const int64_t lower = i == 0 ? 0 : kLatencyBoundsMs[i - 1];
    if (i == kLatencyBoundsMs.size()) return lower;
    const int64_t upper = kLatencyBoundsMs[i];
    // The rank-th of the n durations spread evenly over (lower, upper].
    return lower + (upper - lower) * (rank - below) / n;
  }
  return kLatencyBoundsMs.back();  // unreachable: rank ≤ total
}

std::optional<StatsWindow> stats_window(std::string_view name, int64_t now_ms) {
  StatsWindow w;
  w.name = std::string(name);
  if (name == "hour") {
    w.step_minutes = 1;
    w.points = 60;
  } else if (name == "day") {
    w.step_minutes = 15;
    w.points = 96;
  } else if (name == "week") {
    w.step_minutes = 60;
    w.points = 168;
  } else {
    return std::nullopt;
  }
  const int64_t now_minute = (now_ms >= 0 ? now_ms : 0) / 60'000;
  w.to_minute = (now_minute / w.step_minutes + 1) * w.step_minutes;
  w.from_minute = w.to_minute - w.step_minutes * w.points;
  return w;
}

std::vector<StatsBucket> stats_series(const StatsWindow& window, const std::vector<StatsBucket>& buckets) {
  std::vector<StatsBucket> series(static_cast<size_t>(window.points));
  for (int64_t i = 0; i < window.points; ++i)
    series[static_cast<size_t>(i)].minute = window.from_minute + i * window.step_minutes;
  for (const auto& b : buckets) {
    if (b.minute < window.from_minute || b.minute >= window.to_minute) continue;
    series[static_cast<size_t>((b.minute - window.from_minute) / window.step_minutes)] += b;
  }
  return series;
}

}  // namespace billhook::store
