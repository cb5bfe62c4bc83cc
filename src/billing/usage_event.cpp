#include "billing/usage_event.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;

std::string at(std::string_view path, std::string_view field) {
  return path.empty() ? std::string(field) : fmt::format("{}.{}", path, field);
}

Result<std::string> required_text(const json::object& body, std::string_view path, std::string_view field,
                                  size_t max_length) {
  const auto* value = body.if_contains(field);
  if (!value || !value->is_string() || value->get_string().empty())
    return Error::invalid("parameter_missing", fmt::format("'{}' must be a non-empty string", field), at(path, field));
  if (value->get_string().size() > max_length)
    return Error::invalid("parameter_invalid", fmt::format("'{}' is longer than {} characters", field, max_length),
                          at(path, field));
  return std::string(value->get_string());
}

Result<std::string> optional_text(const json::object& body, std::string_view path, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value || value->is_null()) return std::string();
  if (!value->is_string() || value->get_string().empty())
    return Error::invalid("parameter_invalid", fmt::format("'{}' must be a non-empty string", field), at(path, field));
  return std::string(value->get_string());
}

Result<std::optional<int64_t>> read_timestamp(const json::object& body, std::string_view path) {
  const auto* value = body.if_contains("timestamp");
  if (!value || value->is_null()) return std::optional<int64_t>{};
  if (value->is_int64() && value->get_int64() >= 0) return std::optional<int64_t>{value->get_int64()};
  if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return std::optional<int64_t>{static_cast<int64_t>(value->get_uint64())};
  return Error::invalid("parameter_invalid", "'timestamp' must be a whole number of seconds since 1970 (unix time)",
                        at(path, "timestamp"));
}

Result<UsageProperties> read_properties(const json::object& body, std::string_view path, std::string& stored) {
  UsageProperties out;
  json::object as_text;
  const auto* value = body.if_contains("properties");
  if (value && !value->is_null()) {
    if (!value->is_object())
      return Error::invalid("parameter_invalid", "'properties' must be an object", at(path, "properties"));
    const auto& properties = value->get_object();
    if (properties.size() > kMaxUsageProperties)
      return Error::invalid("parameter_invalid",
                            fmt::format("'properties' has {} keys; at most {} are accepted", properties.size(),
                                        kMaxUsageProperties),
                            at(path, "properties"));
    for (const auto& [key, v] : properties) {
      const std::string param = at(path, fmt::format("properties.{}", std::string_view(key).substr(0, 100)));
      if (key.empty() || key.size() > kMaxUsagePropertyKeyLength)
        return Error::invalid("parameter_invalid",
                              fmt::format("property names must have 1 to {} characters", kMaxUsagePropertyKeyLength),
                              param);
      std::string text;
      if (v.is_string()) text = std::string(v.get_string());
      else if (v.is_int64()) text = std::to_string(v.get_int64());
      else if (v.is_uint64()) text = std::to_string(v.get_uint64());
      else if (v.is_double())
        return Error::invalid("parameter_invalid",
                              "send a fractional number as a string (\"12.5\"): a JSON fraction is not exact", param);
      else
        return Error::invalid("parameter_invalid", "a property must be a string or an integer", param);
      if (text.size() > kMaxUsagePropertyValueLength)
        return Error::invalid("parameter_invalid",
                              fmt::format("a property value is at most {} characters", kMaxUsagePropertyValueLength),
                              param);
      as_text[key] = text;
      out.emplace(std::string(key), std::move(text));
    }
  }
  stored = json::serialize(as_text);
  return out;
}

constexpr std::string_view kFields[] = {"transaction_id", "code",       "external_subscription_id",
                                        "external_customer_id", "timestamp", "properties"};

}  // namespace

Result<UsageEventInput> read_usage_event(const json::object& body, std::string_view path) {
  for (const auto& field : body) {
    bool known = false;
    for (auto k : kFields) known = known || field.key() == k;
    if (!known)
      return Error::invalid("parameter_unknown",
                            fmt::format("unknown field '{}'; a usage event has transaction_id, code, "
                                        "external_subscription_id or external_customer_id, timestamp and properties",
                                        std::string_view(field.key()).substr(0, 100)),
                            at(path, std::string_view(field.key()).substr(0, 100)));
  }
  UsageEventInput event;
  auto transaction_id = required_text(body, path, "transaction_id", kMaxTransactionIdLength);
  if (!transaction_id) return std::move(transaction_id).error();
  auto code = required_text(body, path, "code", 100);
  if (!code) return std::move(code).error();
  auto subscription = optional_text(body, path, "external_subscription_id");
  if (!subscription) return std::move(subscription).error();
  auto customer = optional_text(body, path, "external_customer_id");
  if (!customer) return std::move(customer).error();
  if (subscription->empty() == customer->empty())
    return Error::invalid("parameter_missing",
                          "name the subscription the usage belongs to: external_subscription_id (its id or "
                          "external_id), or external_customer_id for a customer with one live subscription — "
                          "exactly one of them",
                          at(path, "external_subscription_id"));
  auto timestamp = read_timestamp(body, path);
  if (!timestamp) return std::move(timestamp).error();
  auto properties = read_properties(body, path, event.properties_json);
  if (!properties) return std::move(properties).error();
  event.transaction_id = std::move(*transaction_id);
  event.code = std::move(*code);
  event.external_subscription_id = std::move(*subscription);
  event.external_customer_id = std::move(*customer);
  event.timestamp = *timestamp;
  event.properties = std::move(*properties);
  return event;
}

Result<std::vector<UsageEventInput>> read_usage_batch(const json::object& body) {
  const auto* events = body.if_contains("events");
  if (!events || !events->is_array())
    return Error::invalid("parameter_missing", "the body must be {\"events\": [ … ]} with 1 to 100 usage events",
                          "events");
  const auto& list = events->get_array();
  if (list.empty() || list.size() > kMaxUsageBatch)
    return Error::invalid("parameter_invalid",
                          fmt::format("a batch has 1 to {} events; this one has {}", kMaxUsageBatch, list.size()),
                          "events");
  if (body.size() != 1)
    return Error::invalid("parameter_unknown", "a batch's body has only \"events\"", "events");
  std::vector<UsageEventInput> out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = fmt::format("events.{}", i);
    if (!list[i].is_object()) return Error::invalid("parameter_invalid", "each event must be an object", path);
    auto event = read_usage_event(list[i].get_object(), path);
    if (!event) return std::move(event).error();
    out.push_back(std::move(*event));
  }
  return out;
}

Result<UsageProperties> stored_usage_properties(std::string_view stored) {
  std::error_code ec;
  json::value parsed = json::parse(stored, ec);
  if (ec || !parsed.is_object()) return Error::internal("a stored usage event's properties are not a JSON object");
  UsageProperties out;
  for (const auto& [key, value] : parsed.get_object()) {
    if (!value.is_string())
      return Error::internal(fmt::format("a stored usage event's property '{}' is not a string", std::string_view(key)));
    out.emplace(std::string(key), std::string(value.get_string()));
  }
  return out;
}

}  // namespace billhook::billing
