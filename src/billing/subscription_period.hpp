#pragma once

// The calendar of a subscription (DOMAINS.md §1), as pure functions over unix seconds in UTC: where a
// billing period starts and ends, and what part of an amount a partial period is worth.
//
// Anniversary billing: periods start on the anchor (the moment billing began) and every interval after
// it. Each boundary is computed from the anchor, not from the previous boundary, so month-end clamping
// does not drift: an anchor on Jan 31 gives Feb 28 (29 in a leap year), then Mar 31, Apr 30, …
// Calendar billing: periods align to 00:00 UTC on a Monday (week), the 1st of the month, of a quarter
// (Jan, Apr, Jul, Oct) or of January (year); the first period runs from the start to the next boundary.
//
// Money: every function that divides rounds exactly once, half-up (away from zero), on a 128-bit
// intermediate, and answers out_of_range rather than overflow.

#include <cstdint>

#include <boost/describe.hpp>

#include "core/result.hpp"

namespace billhook::billing {

enum class BillingInterval { week, month, quarter, year };
BOOST_DESCRIBE_ENUM(BillingInterval, week, month, quarter, year)

enum class BillingTime { anniversary, calendar };
BOOST_DESCRIBE_ENUM(BillingTime, anniversary, calendar)

// [start, end) in unix seconds.
struct Period {
  int64_t start = 0;
  int64_t end = 0;
  int64_t seconds() const { return end - start; }
  bool operator==(const Period&) const = default;
};

// `t` plus `n` intervals (n ≥ 0) on the UTC calendar, keeping the time of day; a day of month that the
// target month lacks is clamped to its last day (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
int64_t add_intervals(int64_t t, BillingInterval interval, int64_t n);

// The boundary of calendar billing at or before `t`.
int64_t calendar_floor(int64_t t, BillingInterval interval);

// The first period of billing that begins at `start`: a whole interval for anniversary billing
// (`start` is then the anchor), up to the next calendar boundary for calendar billing (a whole interval
// when `start` is on a boundary).
Period first_period(int64_t start, BillingInterval interval, BillingTime time);

// The period after `current`, which is a period of the same subscription: anniversary periods are
// anchored at `anchor` (its first period's start), calendar ones run boundary to boundary.
Period next_period(const Period& current, int64_t anchor, BillingInterval interval, BillingTime time);

// round(amount × numerator / denominator), half-up away from zero, once. invalid_request
// "amount_out_of_range" when the result does not fit in 64 bits; denominator must be positive.
core::Result<int64_t> prorate(int64_t amount, int64_t numerator, int64_t denominator);

// What the first period of calendar billing starting at `start` costs, by whole UTC days: the day of
// `start` counts in full, so `amount` × (days from that day to the boundary) / (days in the whole
// calendar period), rounded once. A start on a boundary pays `amount`.
core::Result<int64_t> prorate_first_calendar_period(int64_t amount, int64_t start, BillingInterval interval);

// An upgrade at `now` inside `period`, by seconds: the new plan for the time left costs
// new × left / length and the old plan's unused time is worth old × left / length, so the difference
// is charged as one amount, (new − old) × left / length rounded once (left clamped to [0, length]).
// Rounding the difference, not each side, keeps the charge exact to the minor unit.
core::Result<int64_t> prorate_upgrade(int64_t old_amount, int64_t new_amount, const Period& period, int64_t now);

}  // namespace billhook::billing
