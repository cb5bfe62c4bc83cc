#pragma once

// A usage event as a request sends it (DOMAINS.md §2), read and checked before anything is stored:
// POST /v1/usage-events takes one, POST /v1/usage-events/batch up to kMaxUsageBatch under "events".
// Pure: what makes an event acceptable does not depend on what is stored (which subscription it goes
// to, and whether its metric exists, are the intake's questions: usage_service.hpp).
//
// Properties are kept as text: a string as sent, an integer as its digits. A JSON fraction is refused,
// since a double is not exact: send "12.5" as a string.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "billing/usage_aggregate.hpp"
#include "core/result.hpp"

namespace billhook::billing {

inline constexpr size_t kMaxUsageBatch = 100;
inline constexpr size_t kMaxTransactionIdLength = 200;
inline constexpr size_t kMaxUsageProperties = 50;
inline constexpr size_t kMaxUsagePropertyKeyLength = 100;
inline constexpr size_t kMaxUsagePropertyValueLength = 1000;

struct UsageEventInput {
  std::string transaction_id;
  std::string code;
  // Where it goes: a subscription (its id or its external_id), or a customer's only live subscription.
  std::string external_subscription_id;
  std::string external_customer_id;
  std::optional<int64_t> timestamp;  // unix seconds; now when absent
  UsageProperties properties;
  std::string properties_json;  // the properties as stored: a JSON object of strings
};

// One event, its errors naming the field under `path` ("" for a body of its own, "events.3" in a
// batch): transaction_id and code non-empty strings (transaction_id at most 200 characters), exactly
// one of external_subscription_id and external_customer_id, timestamp a whole number of seconds ≥ 0,
// properties an object of at most 50 strings or integers (keys ≤ 100, values ≤ 1,000 characters).
// Fields other than these are refused, so that a misspelt one is not silently dropped.
core::Result<UsageEventInput> read_usage_event(const boost::json::object& body, std::string_view path = "");

// An event's properties read back from their stored form (properties_json); internal if it is not one.
core::Result<UsageProperties> stored_usage_properties(std::string_view stored);

// The body of a batch: {"events": [1…100 events]}; the first bad event fails the whole batch.
core::Result<std::vector<UsageEventInput>> read_usage_batch(const boost::json::object& body);

}  // namespace billhook::billing
