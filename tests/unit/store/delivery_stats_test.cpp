// The statistics arithmetic, pure (store/delivery_stats.hpp): the latency histogram's buckets,
// percentiles read from a histogram, the success rate, and the overview's windows and series.
#include <gtest/gtest.h>

#include "store/delivery_stats.hpp"

namespace billhook::store {
namespace {

LatencyHistogram histogram_of(std::initializer_list<int64_t> durations_ms) {
  LatencyHistogram h{};
  for (auto d : durations_ms) ++h[latency_bucket(d)];
  return h;
}

TEST(DeliveryStats, LatencyBucketsIncludeTheirUpperBound) {
  EXPECT_EQ(latency_bucket(0), 0u);
  EXPECT_EQ(latency_bucket(5), 0u);
  EXPECT_EQ(latency_bucket(6), 1u);
  EXPECT_EQ(latency_bucket(100), 4u);
  EXPECT_EQ(latency_bucket(101), 5u);
  EXPECT_EQ(latency_bucket(120'000), kLatencyBuckets - 2);
  EXPECT_EQ(latency_bucket(120'001), kLatencyBuckets - 1);
  EXPECT_EQ(latency_bucket(-1), 0u) << "a clock step back counts as fast, not as a crash";
}

TEST(DeliveryStats, PercentileOfAnEmptyHistogramIsNone) {
  EXPECT_FALSE(latency_percentile(LatencyHistogram{}, 0.5));
  EXPECT_FALSE(success_rate(StatsBucket{}));
}

TEST(DeliveryStats, PercentileInterpolatesInsideTheRanksBucket) {
  // 100 attempts: 50 in (50, 100], 49 in (100, 250], 1 in (1000, 2500].
  LatencyHistogram h{};
  h[latency_bucket(80)] = 50;
  h[latency_bucket(200)] = 49;
  h[latency_bucket(2000)] = 1;
  // Rank 50 is the last of the 50 in (50, 100]: its upper bound.
  EXPECT_EQ(latency_percentile(h, 0.50), 100);
  // Rank 51 is the first of the 49 in (100, 250]: 100 + 150 × 1/49.
  EXPECT_EQ(latency_percentile(h, 0.51), 103);
  // Rank 99 is the last of those.
  EXPECT_EQ(latency_percentile(h, 0.99), 250);
  // Rank 100, the slowest one, alone in (1000, 2500].
  EXPECT_EQ(latency_percentile(h, 1.0), 2500);
}

TEST(DeliveryStats, PercentileOfOneAttemptIsItsBucketsBound) {
  EXPECT_EQ(latency_percentile(histogram_of({3}), 0.5), 5);
  EXPECT_EQ(latency_percentile(histogram_of({3}), 0.99), 5);
  EXPECT_EQ(latency_percentile(histogram_of({7}), 0.99), 10);
}

TEST(DeliveryStats, PercentileBeyondTheLastBoundIsTheLastBound) {
  EXPECT_EQ(latency_percentile(histogram_of({10, 500'000}), 0.99), 120'000);
  EXPECT_EQ(latency_percentile(histogram_of({10, 500'000}), 0.5), 10);
}

TEST(DeliveryStats, SuccessRateIsSucceededOverAttempts) {
  StatsBucket b;
  b.attempts = 8;
  b.succeeded = 6;
  EXPECT_DOUBLE_EQ(*success_rate(b), 0.75);
  EXPECT_EQ(b.failed(), 2);
  StatsBucket all_failed;
  all_failed.attempts = 3;
  EXPECT_DOUBLE_EQ(*success_rate(all_failed), 0.0);
}

TEST(DeliveryStats, BucketsAddUp) {
  StatsBucket a;
  a.attempts = 2;
  a.succeeded = 1;
  a.latency = histogram_of({3, 700});
  StatsBucket b;
  b.attempts = 1;
  b.succeeded = 1;
  b.latency = histogram_of({700});
  a += b;
  EXPECT_EQ(a.attempts, 3);
  EXPECT_EQ(a.succeeded, 2);
  EXPECT_EQ(a.latency[latency_bucket(700)], 2);
  EXPECT_EQ(a.latency[latency_bucket(3)], 1);
}

TEST(DeliveryStats, WindowsEndWithTheStepHoldingNow) {
  const int64_t now_ms = 1'790'000'123'456;  // minute 29'833'335, 3 s in
  const int64_t now_minute = now_ms / 60'000;
  auto hour = stats_window("hour", now_ms);
  ASSERT_TRUE(hour);
  EXPECT_EQ(hour->to_minute, now_minute + 1);
  EXPECT_EQ(hour->minutes(), 60);
  EXPECT_EQ(hour->points, 60);

  auto day = stats_window("day", now_ms);
  ASSERT_TRUE(day);
  EXPECT_EQ(day->step_minutes, 15);
  EXPECT_EQ(day->to_minute % 15, 0);
  EXPECT_GT(day->to_minute, now_minute);
  EXPECT_LE(day->to_minute - 15, now_minute);
  EXPECT_EQ(day->minutes(), 96 * 15);

  auto week = stats_window("week", now_ms);
  ASSERT_TRUE(week);
  EXPECT_EQ(week->step_minutes, 60);
  EXPECT_EQ(week->to_minute % 60, 0);
  EXPECT_EQ(week->minutes(), 7 * 24 * 60);

  EXPECT_FALSE(stats_window("month", now_ms));
  EXPECT_FALSE(stats_window("", now_ms));
}

TEST(DeliveryStats, SeriesHasEveryStepAndSumsTheBucketsOfEach) {
  auto day = *stats_window("day", 1'790'000'123'456);
  StatsBucket first;  // in the first step, at its second minute
  first.minute = day.from_minute + 1;
  first.attempts = 2;
  StatsBucket also_first;
  also_first.minute = day.from_minute + 14;
  also_first.attempts = 3;
  also_first.succeeded = 3;
  StatsBucket last;
  last.minute = day.to_minute - 1;
  last.attempts = 1;
  StatsBucket outside;
  outside.minute = day.to_minute;
  outside.attempts = 100;
  const auto series = stats_series(day, {last, first, outside, also_first});
  ASSERT_EQ(series.size(), 96u);
  EXPECT_EQ(series.front().minute, day.from_minute);
  EXPECT_EQ(series.front().attempts, 5);
  EXPECT_EQ(series.front().succeeded, 3);
  EXPECT_EQ(series[1].minute, day.from_minute + 15);
  EXPECT_EQ(series[1].attempts, 0);
  EXPECT_EQ(series.back().minute, day.to_minute - 15);
  EXPECT_EQ(series.back().attempts, 1);
  int64_t total = 0;
  for (const auto& s : series) total += s.attempts;
  EXPECT_EQ(total, 6) << "a bucket outside the window is not counted";
}

}  // namespace
}  // namespace billhook::store
