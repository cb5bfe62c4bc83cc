#include "billing/usage_aggregate.hpp"

#include <algorithm>
#include <cassert>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace billhook::billing {
namespace {

using core::Decimal;
using core::Error;
using core::Result;

// The event's `field` as text (unique_count) or as a decimal, checked the same way by both the running
// aggregate and the recomputation.
Result<Decimal> number_of(const AggregationSpec& spec, const UsageEvent& event) {
  auto it = event.properties.find(spec.field);
  if (it == event.properties.end())
    return Error::invalid("missing_property", fmt::format("the event has no property '{}'", spec.field), spec.field);
  if (!aggregates_a_number(spec.type)) return Decimal{};
  auto value = Decimal::parse(it->second, spec.field);
  if (!value)
    return Error::invalid("invalid_property",
                          fmt::format("property '{}' must be a decimal such as \"12.5\"", spec.field), spec.field);
  return value;
}

}  // namespace

bool aggregates_a_number(AggregationType type) {
  return type != AggregationType::count && type != AggregationType::unique_count;
}

bool carries_over(const AggregationSpec& spec) {
  return spec.recurring && (spec.type == AggregationType::sum || spec.type == AggregationType::unique_count ||
                            spec.type == AggregationType::weighted_sum);
}

UsageAggregate::UsageAggregate(AggregationSpec spec, int64_t period_start, int64_t period_end)
    : spec_(std::move(spec)), start_(period_start), end_(period_end) {
  assert(period_end > period_start);
}

Result<UsageAggregate> UsageAggregate::restore(AggregationSpec spec, int64_t period_start, int64_t period_end,
                                               const UsageAggregateState& state) {
  UsageAggregate aggregate(std::move(spec), period_start, period_end);
  auto total = Decimal::parse(state.total, "total");
  auto level = Decimal::parse(state.level, "level");
  if (!total || !level || state.events < 0 || state.unique < 0)
    return Error::invalid("invalid_state", "a stored usage aggregate is not one this version can read", "state");
  aggregate.events_ = state.events;
  aggregate.total_ = *total;
  aggregate.level_ = *level;
  aggregate.latest_at_ = state.latest_at;
  aggregate.unique_count_ = state.unique;
  return aggregate;
}

UsageAggregateState UsageAggregate::state() const {
  return {.events = events_,
          .total = total_.to_string(),
          .level = level_.to_string(),
          .latest_at = latest_at_,
          .unique = unique_count_};
}

bool UsageAggregate::passes_filters(const UsageEvent& event) const { return billing::passes_filters(spec_, event); }

Result<bool> UsageAggregate::add(const UsageEvent& event, const FirstSeen& first_seen) {
  if (event.timestamp < start_ || event.timestamp >= end_)
    return Error::invalid("event_outside_period",
                          fmt::format("the event at {} is outside the period [{}, {})", event.timestamp, start_, end_),
                          "timestamp");
  if (!passes_filters(event)) return false;
  if (spec_.type != AggregationType::count) {
    auto value = number_of(spec_, event);
    if (!value) return std::move(value).error();
    switch (spec_.type) {
      case AggregationType::count: break;
      case AggregationType::sum: {
        auto sum = total_.plus(*value);
        if (!sum) return std::move(sum).error();
        total_ = *sum;
        break;
      }
      case AggregationType::max:
        if (events_ == 0 || *value > total_) total_ = *value;
        break;
      case AggregationType::latest:
        if (!latest_at_ || event.timestamp >= *latest_at_) {
          total_ = *value;
          latest_at_ = event.timestamp;
        }
        break;
      case AggregationType::unique_count: {
        const std::string& seen = event.properties.at(spec_.field);
        bool is_new = false;
        if (first_seen) {
          auto answer = first_seen(seen);
          if (!answer) return std::move(answer).error();
          is_new = *answer;
        } else {
          is_new = unique_.insert(seen).second;
        }
        if (is_new) ++unique_count_;
        break;
      }
      case AggregationType::weighted_sum: {
        auto weighted = value->times(Decimal::of(end_ - event.timestamp));
        if (!weighted) return std::move(weighted).error();
        auto total = total_.plus(*weighted);
        if (!total) return std::move(total).error();
        auto level = level_.plus(*value);
        if (!level) return std::move(level).error();
        total_ = *total;
        level_ = *level;
        break;
      }
    }
  }
  ++events_;
  return true;
}

Result<Decimal> UsageAggregate::value() const {
  switch (spec_.type) {
    case AggregationType::count: return Decimal::of(events_);
    case AggregationType::unique_count: return Decimal::of(unique_count_);
    case AggregationType::weighted_sum: return total_.divided_half_even(end_ - start_, kWeightedSumScale);
    case AggregationType::sum:
    case AggregationType::max:
    case AggregationType::latest: return total_;
  }
  return total_;
}

bool passes_filters(const AggregationSpec& spec, const UsageEvent& event) {
  for (const auto& [property, allowed] : spec.filters) {
    auto it = event.properties.find(property);
    if (it == event.properties.end()) return false;
    if (std::find(allowed.begin(), allowed.end(), it->second) == allowed.end()) return false;
  }
  return true;
}

Result<UsageAggregate> UsageAggregate::next_period(int64_t start, int64_t end) const {
  UsageAggregate next(spec_, start, end);
  if (!carries_over(spec_)) return next;
  switch (spec_.type) {
    case AggregationType::sum: next.total_ = total_; break;
    case AggregationType::unique_count:
      next.unique_ = unique_;
      next.unique_count_ = unique_count_;
      break;
    case AggregationType::weighted_sum: {
      auto carried = level_.times(Decimal::of(end - start));
      if (!carried) return std::move(carried).error();
      next.total_ = *carried;
      next.level_ = level_;
      break;
    }
    default: break;
  }
  return next;
}

Result<Decimal> recompute_aggregate(const AggregationSpec& spec, int64_t period_start, int64_t period_end,
                                    std::span<const UsageEvent> events) {
  const bool recurring = carries_over(spec);
  // The events that count, with their values, in the order given.
  struct Counted {
    const UsageEvent* event;
    Decimal value;
    bool carried;  // before the period (a recurring metric's history)
  };
  std::vector<Counted> counted;
  for (const UsageEvent& e : events) {
    if (e.timestamp >= period_end) continue;
    const bool before = e.timestamp < period_start;
    if (before && !recurring) continue;
    if (!passes_filters(spec, e)) continue;
    Decimal value;
    if (spec.type != AggregationType::count) {
      auto v = number_of(spec, e);
      if (!v) continue;
      value = *v;
    }
    counted.push_back({&e, value, before});
  }
  switch (spec.type) {
    case AggregationType::count: return Decimal::of(static_cast<int64_t>(counted.size()));
    case AggregationType::sum: {
      Decimal sum;
      for (const auto& c : counted) {
        auto s = sum.plus(c.value);
        if (!s) return s;
        sum = *s;
      }
      return sum;
    }
    case AggregationType::max: {
      Decimal best;
      for (size_t i = 0; i < counted.size(); ++i)
        if (i == 0 || counted[i].value > best) best = counted[i].value;
      return best;
    }
    case AggregationType::latest: {
      // The greatest timestamp; among equal ones the last given.
      const Counted* pick = nullptr;
      for (const auto& c : counted)
        if (!pick || c.event->timestamp >= pick->event->timestamp) pick = &c;
      return pick ? pick->value : Decimal{};
    }
    case AggregationType::unique_count: {
      std::set<std::string> seen;
      for (const auto& c : counted) seen.insert(c.event->properties.at(spec.field));
      return Decimal::of(static_cast<int64_t>(seen.size()));
    }
    case AggregationType::weighted_sum: {
      // Integrate the level piece by piece: the level at the start, then each change in time order.
      Decimal level;
      std::vector<const Counted*> changes;
      for (const auto& c : counted) {
        if (c.carried) {
          auto l = level.plus(c.value);
          if (!l) return l;
          level = *l;
        } else {
          changes.push_back(&c);
        }
      }
      std::stable_sort(changes.begin(), changes.end(),
                       [](const Counted* a, const Counted* b) { return a->event->timestamp < b->event->timestamp; });
      Decimal area;
      int64_t at = period_start;
      for (const Counted* c : changes) {
        auto piece = level.times(Decimal::of(c->event->timestamp - at));
        if (!piece) return piece;
        auto a = area.plus(*piece);
        if (!a) return a;
        auto l = level.plus(c->value);
        if (!l) return l;
        area = *a;
        level = *l;
        at = c->event->timestamp;
      }
      auto last = level.times(Decimal::of(period_end - at));
      if (!last) return last;
      auto total = area.plus(*last);
      if (!total) return total;
      return total->divided_half_even(period_end - period_start, kWeightedSumScale);
    }
  }
  return Decimal{};
}

}  // namespace billhook::billing
