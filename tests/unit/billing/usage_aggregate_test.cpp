// Usage aggregation: hand-computed cases per aggregation, and a property test — the running aggregate
// (one event at a time, across a recurring carry-over) equals a brute-force recomputation over the raw
// events, exactly, for random event streams (fixed seed).

#include "billing/usage_aggregate.hpp"

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace billhook::billing {
namespace {

using core::Decimal;

UsageEvent ev(int64_t at, UsageProperties properties) { return {.timestamp = at, .properties = std::move(properties)}; }

std::string value_of(const UsageAggregate& a) {
  auto v = a.value();
  EXPECT_TRUE(v.ok());
  return v.ok() ? v->to_string() : "error";
}

std::string run(AggregationSpec spec, const std::vector<UsageEvent>& events, int64_t start = 0, int64_t end = 100) {
  UsageAggregate a(spec, start, end);
  for (const auto& e : events) {
    auto added = a.add(e);
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  }
  return value_of(a);
}

TEST(UsageAggregate, EachAggregationOnAHandComputedStream) {
  const std::vector<UsageEvent> events = {ev(10, {{"gb", "2.5"}, {"user", "a"}}), ev(40, {{"gb", "7"}, {"user", "b"}}),
                                          ev(20, {{"gb", "-1"}, {"user", "a"}})};
  EXPECT_EQ(run({.type = AggregationType::count}, events), "3");
  EXPECT_EQ(run({.type = AggregationType::sum, .field = "gb"}, events), "8.5");
  EXPECT_EQ(run({.type = AggregationType::max, .field = "gb"}, events), "7");
  EXPECT_EQ(run({.type = AggregationType::latest, .field = "gb"}, events), "7");  // t=40, though added second
  EXPECT_EQ(run({.type = AggregationType::unique_count, .field = "user"}, events), "2");
  // Level +2.5 from 10, +7 from 40, −1 from 20 over [0, 100): (2.5×90 + 7×60 − 1×80) / 100.
  EXPECT_EQ(run({.type = AggregationType::weighted_sum, .field = "gb"}, events), "5.65");
  for (auto type : {AggregationType::count, AggregationType::sum, AggregationType::max, AggregationType::latest,
                    AggregationType::unique_count, AggregationType::weighted_sum})
    EXPECT_EQ(run({.type = type, .field = "gb"}, {}), "0");
}

TEST(UsageAggregate, WeightedSumOfOneThirdIsRoundedTo12DigitsHalfEven) {
  EXPECT_EQ(run({.type = AggregationType::weighted_sum, .field = "n"}, {ev(2, {{"n", "1"}})}, 0, 3),
            "0.333333333333");
  EXPECT_EQ(run({.type = AggregationType::weighted_sum, .field = "n"}, {ev(1, {{"n", "1"}})}, 0, 3),
            "0.666666666667");
}

TEST(UsageAggregate, FiltersLeaveOutEventsWithoutAnAllowedValue) {
  AggregationSpec spec{.type = AggregationType::sum, .field = "gb", .filters = {{"region", {"eu", "us"}}}};
  UsageAggregate a(spec, 0, 100);
  EXPECT_TRUE(*a.add(ev(1, {{"gb", "1"}, {"region", "eu"}})));
  EXPECT_FALSE(*a.add(ev(2, {{"gb", "10"}, {"region", "ap"}})));
  EXPECT_FALSE(*a.add(ev(3, {{"gb", "100"}})));
  EXPECT_TRUE(*a.add(ev(4, {{"gb", "2"}, {"region", "us"}})));
  EXPECT_EQ(value_of(a), "3");
  EXPECT_EQ(a.events_count(), 2);
}

TEST(UsageAggregate, RefusedEventsChangeNothing) {
  UsageAggregate a({.type = AggregationType::sum, .field = "gb"}, 0, 100);
  ASSERT_TRUE(a.add(ev(1, {{"gb", "1"}})).ok());
  auto missing = a.add(ev(2, {{"other", "1"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "missing_property");
  auto bad = a.add(ev(2, {{"gb", "1e3"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_property");
  auto outside = a.add(ev(100, {{"gb", "1"}}));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, "event_outside_period");
  EXPECT_FALSE(a.add(ev(-1, {{"gb", "1"}})).ok());
  EXPECT_EQ(value_of(a), "1");
  EXPECT_EQ(a.events_count(), 1);
}

TEST(UsageAggregate, RecurringValuesCarryIntoTheNextPeriodOthersStartAtZero) {
  const std::vector<UsageEvent> first = {ev(10, {{"n", "4"}, {"u", "x"}}), ev(50, {{"n", "2"}, {"u", "y"}})};
  const auto carried = [&](AggregationSpec spec) {
    UsageAggregate a(spec, 0, 100);
    for (const auto& e : first) EXPECT_TRUE(a.add(e).ok());
    auto next = a.next_period(100, 200);
    EXPECT_TRUE(next.ok());
    EXPECT_TRUE(next->add(ev(150, {{"n", "1"}, {"u", "x"}})).ok());
    return value_of(*next);
  };
  EXPECT_EQ(carried({.type = AggregationType::sum, .field = "n", .recurring = true}), "7");
  EXPECT_EQ(carried({.type = AggregationType::sum, .field = "n"}), "1");
  EXPECT_EQ(carried({.type = AggregationType::unique_count, .field = "u", .recurring = true}), "2");
  EXPECT_EQ(carried({.type = AggregationType::unique_count, .field = "u"}), "1");
  EXPECT_EQ(carried({.type = AggregationType::weighted_sum, .field = "n", .recurring = true}), "6.5");  // 6 + 1×½
  EXPECT_EQ(carried({.type = AggregationType::max, .field = "n", .recurring = true}), "1");  // max never recurs
}

// Random streams: values with up to 12 fractional digits, some negative, missing or malformed, some
// outside the filter, timestamps in any order and often equal; two periods, so recurring carries.
TEST(UsageAggregate, RunningAggregateEqualsBruteForceOnRandomStreams) {
  std::mt19937_64 random(20260115);
  const auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(random); };
  const auto random_value = [&]() -> std::string {
    switch (pick(0, 9)) {
      case 0: return "not-a-number";
      case 1: return fmt::format("-{}.{}", pick(0, 50), pick(0, 999'999'999'999));
      case 2: return fmt::format("{}", pick(0, 1'000'000'000));
      default: return fmt::format("{}.{:03}", pick(0, 1000), pick(0, 999));
    }
  };
  constexpr int64_t kStart = 1'000'000, kMiddle = kStart + 2'592'000, kEnd = kMiddle + 2'678'400;
  int compared = 0;
  for (int round = 0; round < 300; ++round) {
    for (auto type : {AggregationType::count, AggregationType::sum, AggregationType::max, AggregationType::latest,
                      AggregationType::unique_count, AggregationType::weighted_sum}) {
      AggregationSpec spec{.type = type, .field = "v", .recurring = pick(0, 1) == 1};
      if (pick(0, 2) == 0) spec.filters["region"] = {"eu", "us"};
      std::vector<UsageEvent> events;
      const int64_t n = pick(0, 60);
      for (int64_t i = 0; i < n; ++i) {
        UsageEvent e{.timestamp = pick(0, 3) == 0 ? kMiddle - 1 : pick(kStart, kEnd - 1), .properties = {}};
        if (pick(0, 15) != 0) e.properties["v"] = random_value();
        if (type == AggregationType::unique_count && pick(0, 1) == 0) e.properties["v"] = fmt::format("u{}", pick(0, 9));
        const int64_t region = pick(0, 3);
        if (region > 0) e.properties["region"] = region == 1 ? "eu" : (region == 2 ? "us" : "ap");
        events.push_back(std::move(e));
      }
      UsageAggregate first(spec, kStart, kMiddle);
      for (const auto& e : events)
        if (e.timestamp < kMiddle) (void)first.add(e);
      auto second = first.next_period(kMiddle, kEnd);
      ASSERT_TRUE(second.ok());
      for (const auto& e : events)
        if (e.timestamp >= kMiddle) (void)second->add(e);

      const auto expect_same = [&](const UsageAggregate& running, int64_t start, int64_t end) {
        auto brute = recompute_aggregate(spec, start, end, events);
        ASSERT_TRUE(brute.ok());
        ASSERT_EQ(value_of(running), brute->to_string())
            << "round " << round << ", " << static_cast<int>(type) << ", period " << start << ", recurring "
            << spec.recurring;
        ++compared;
      };
      expect_same(first, kStart, kMiddle);
      expect_same(*second, kMiddle, kEnd);
    }
  }
  EXPECT_EQ(compared, 300 * 6 * 2);
}

}  // namespace
}  // namespace billhook::billing
