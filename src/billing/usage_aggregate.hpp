#pragma once

// Usage aggregation (DOMAINS.md §2): the running value of one billable metric for one subscription over
// one billing period, updated one event at a time — what the usage intake keeps per
// (subscription, metric, period) and what a charge prices as its units (charge_model.hpp). Pure.
//
// Events carry their properties as text (the intake writes a JSON integer as its digits and a string
// as is; a JSON fraction is refused there, since a double is not exact). A numeric property is an
// exact decimal string (core/decimal.hpp).
//
//   count         events that pass the filters
//   sum           the sum of `field`
//   max           the largest `field` (0 without events)
//   unique_count  distinct values of `field` (state: the set of values seen, so O(1) on average)
//   latest        `field` of the event with the latest timestamp (of equal ones, the last added)
//   weighted_sum  `field` is a change of a level (+5, −2); the level's time-weighted mean over the
//                 period: (carried level × period + Σ value × (period_end − timestamp)) / period, in
//                 seconds — so adding an event is O(1) and order-independent. The ratio is rounded
//                 half-even to 12 fractional digits: a quantity, priced exactly afterwards.
// `recurring` (sum, unique_count, weighted_sum): the next period starts from this one's value (next_period).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/describe.hpp>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class AggregationType { count, sum, max, unique_count, latest, weighted_sum };
BOOST_DESCRIBE_ENUM(AggregationType, count, sum, max, unique_count, latest, weighted_sum)

// The fractional digits a weighted sum is rounded to.
inline constexpr int kWeightedSumScale = 12;

// What aggregating a metric needs to know of it.
struct AggregationSpec {
  AggregationType type = AggregationType::count;
  std::string field;  // empty for count
  // property → the values it may have; an event without the property or with another value is not counted
  std::map<std::string, std::vector<std::string>> filters;
  bool recurring = false;
};

using UsageProperties = std::map<std::string, std::string>;

struct UsageEvent {
  int64_t timestamp = 0;  // unix seconds
  UsageProperties properties;
};

// An aggregate's running state as it is stored between events (the intake keeps one row per
// subscription, metric and period): exact decimals as strings. A unique_count's values themselves are
// kept by whoever answers FirstSeen; the state holds only how many there are.
struct UsageAggregateState {
  static constexpr bool described_omit_null = true;
  int64_t events = 0;
  std::string total = "0";
  std::string level = "0";
  std::optional<int64_t> latest_at;
  int64_t unique = 0;
};
BOOST_DESCRIBE_STRUCT(UsageAggregateState, (), (events, total, level, latest_at, unique))

// Whether the aggregation reads its field as a decimal (sum, max, latest, weighted_sum); count reads no
// field and unique_count reads it as text.
bool aggregates_a_number(AggregationType type);

// Whether the event has every filtered property with one of its allowed values (what add counts).
bool passes_filters(const AggregationSpec& spec, const UsageEvent& event);

// Whether the metric's value carries over into the next period (recurring, and an aggregation that
// can: sum, unique_count, weighted_sum).
bool carries_over(const AggregationSpec& spec);

// Whether a unique_count value is seen for the first time (and remember it): the store's table of
// distinct values, so that an aggregate with 10⁶ of them is not loaded to count one more.
using FirstSeen = std::function<core::Result<bool>(const std::string& value)>;

class UsageAggregate {
 public:
  // The period [start, end), end > start; nothing carried over.
  UsageAggregate(AggregationSpec spec, int64_t period_start, int64_t period_end);
  // The aggregate of that period as stored (state()); invalid_request "invalid_state" if it is not one.
  static core::Result<UsageAggregate> restore(AggregationSpec spec, int64_t period_start, int64_t period_end,
                                              const UsageAggregateState& state);
  UsageAggregateState state() const;

  // Folds one event in. true: counted; false: the filters leave it out. Errors leave the aggregate as
  // it was: invalid_request "event_outside_period", "missing_property" (no `field`), "invalid_property"
  // (`field` not a decimal where one is summed, compared or weighted), "decimal_out_of_range".
  // A unique_count asks `first_seen` whether the value is new; without it, the aggregate keeps the
  // values itself.
  core::Result<bool> add(const UsageEvent& event, const FirstSeen& first_seen = {});

  // The units to price: exact except weighted_sum (see above).
  core::Result<core::Decimal> value() const;
  // Events counted (that passed the filters).
  int64_t events_count() const { return events_; }

  // The aggregate of the period [start, end) that follows: a recurring one starts from this value (a
  // sum or level carried, the set of unique values kept); any other starts empty.
  core::Result<UsageAggregate> next_period(int64_t start, int64_t end) const;

 private:
  bool passes_filters(const UsageEvent& event) const;

  AggregationSpec spec_;
  int64_t start_;
  int64_t end_;
  int64_t events_ = 0;
  core::Decimal total_;  // sum, max, latest; weighted_sum: carried level × period + Σ value × time left
  core::Decimal level_;  // weighted_sum: the level at the period's end (what recurs)
  std::optional<int64_t> latest_at_;
  int64_t unique_count_ = 0;
  std::unordered_set<std::string> unique_;  // when no FirstSeen is given
};

// The same value recomputed from raw events by brute force (only for tests that check UsageAggregate
// against it): every event with a timestamp before `period_end` is looked at; those before
// `period_start` count only for a recurring metric (as the carried value). Events the aggregate would
// refuse are skipped.
core::Result<core::Decimal> recompute_aggregate(const AggregationSpec& spec, int64_t period_start, int64_t period_end,
                                                std::span<const UsageEvent> events);

}  // namespace billhook::billing
