#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

namespace billhook::core::metrics {
namespace {

TEST(HistogramTest, CountsEachObservationInTheFirstBucketWhoseBoundHoldsIt) {
  constexpr double bounds[] = {1, 5, 10};
  Histogram h(bounds);
  for (double v : {0.5, 1.0, 1.01, 5.0, 7.0, 11.0, 100.0}) h.observe(v);
  const auto s = h.snapshot();
  EXPECT_EQ(s.bounds, std::vector<double>({1, 5, 10}));
  // le=1: 0.5 and 1 (bounds are inclusive); le=5: +1.01, 5; le=10: +7; +Inf: +11, 100.
  EXPECT_EQ(s.cumulative, std::vector<uint64_t>({2, 4, 5, 7}));
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1.0 + 1.01 + 5.0 + 7.0 + 11.0 + 100.0);
}

TEST(HistogramTest, ObservationsFromManyThreadsAreAllCounted) {
  Histogram h(kLatencyBounds);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) h.observe(0.002);
    });
  for (auto& t : threads) t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.cumulative.back(), 40000u);
  EXPECT_EQ(s.cumulative[0], 0u);      // le=0.001
  EXPECT_EQ(s.cumulative[1], 40000u);  // le=0.0025
  EXPECT_NEAR(s.sum, 80.0, 1e-6);
}

TEST(TextWriterTest, EscapesLabelValuesAndHelpText) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)" "\n" "d"), R"(a\"b\\c\nd)");
  TextWriter out;
  out.family("x_total", "counter", "back\\slash\nnewline \"quotes\" stay");
  out.sample("x_total", {{"path", "say \"hi\"\n"}, {"k", "v"}}, uint64_t{3});
  EXPECT_EQ(out.text(),
            "# HELP x_total back\\\\slash\\nnewline \"quotes\" stay\n"
            "# TYPE x_total counter\n"
            "x_total{path=\"say \\\"hi\\\"\\n\",k=\"v\"} 3\n");
}

TEST(TextWriterTest, WritesAHistogramAsCumulativeBucketsSumAndCount) {
  constexpr double bounds[] = {0.5, 2};
  Histogram h(bounds);
  h.observe(0.25);
  h.observe(3);
  TextWriter out;
  out.family("lat_seconds", "histogram", "Latency.");
  out.histogram("lat_seconds", {{"route", "/a"}}, h.snapshot());
  EXPECT_EQ(out.text(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"/a\",le=\"0.5\"} 1\n"
            "lat_seconds_bucket{route=\"/a\",le=\"2\"} 1\n"
            "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2\n"
            "lat_seconds_sum{route=\"/a\"} 3.25\n"
            "lat_seconds_count{route=\"/a\"} 2\n");
}

TEST(TextWriterTest, SpellsSpecialValuesAsTheFormatDoes) {
  EXPECT_EQ(format_value(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_value(2), "2");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  TextWriter out;
  out.sample("up", {}, 1.5);
  EXPECT_EQ(out.text(), "up 1.5\n");
}

}  // namespace
}  // namespace billhook::core::metrics
