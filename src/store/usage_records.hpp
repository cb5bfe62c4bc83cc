#pragma once

// The usage intake's records (DOMAINS.md §2): the raw usage events, kept once per (subscription,
// transaction_id), and the running aggregate of each (subscription, metric, period). Kept in tables of
// their own rather than as documents: this is the highest-volume write path, and an event is looked up
// only by its key.

#include <cstdint>
#include <string>

namespace billhook::store {

struct UsageEventRecord {
  std::string subscription_id;
  std::string transaction_id;  // the sender's key, unique per subscription
  std::string id;              // "uev_…"
  std::string customer_id;
  std::string code;            // the billable metric's code, as sent
  int64_t timestamp = 0;       // unix seconds: when the usage happened
  std::string properties;      // a JSON object of strings
  int64_t created_ms = 0;      // when it was received
  // Why it is kept but not billed ("invalid_code", "missing_aggregation_property",
  // "invalid_filter_value"); empty when it was aggregated.
  std::string error;
};

// One metric's running value for one subscription and period, as the billing layer serialises it.
struct UsageAggregateRecord {
  std::string subscription_id;
  std::string code;
  int64_t period_start = 0;
  int64_t period_end = 0;
  std::string state;  // the billing layer's JSON (billing/usage_aggregate.hpp)
  int64_t updated_ms = 0;
};

}  // namespace billhook::store
