#include "api/routes/billing_common.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/errors.hpp"
#include "api/request.hpp"

namespace billhook::api::routes {

using core::Error;

core::Result<billing::BillingService*> billing_of(const Call& call) {
  if (!call.services.billing) return Error::unavailable("billing is not enabled in this server");
  return call.services.billing;
}

core::Result<billing::BillingReads*> billing_reads_of(const Call& call) {
  if (!call.services.billing_reads) return Error::unavailable("billing is not enabled in this server");
  return call.services.billing_reads;
}

billing::Origin origin_of(const Call& call) { return {call.request_id, call.idempotency_key}; }

core::Result<Body> optional_body(const Call& call) {
  if (call.request.body.find_first_not_of(" \t\r\n") == std::string::npos) return Body{};
  return call.body();
}

core::Result<std::optional<int64_t>> int_field(const boost::json::object& o, std::string_view key,
                                               const std::string& param, int64_t min, int64_t max) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<int64_t>{};
  int64_t n = 0;
  if (v->is_int64()) n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) n = static_cast<int64_t>(v->get_uint64());
  else
    return Error::invalid("invalid_type",
                          fmt::format("'{}' must be an integer (amounts are in minor units), got {}", param,
                                      describe_kind(*v)),
                          param);
  if (n < min || n > max)
    return Error::invalid("out_of_range", fmt::format("'{}' must be from {} to {}, got {}", param, min, max, n), param);
  return std::optional<int64_t>{n};
}

core::Result<std::optional<std::string>> string_field(const boost::json::object& o, std::string_view key,
                                                      const std::string& param, size_t max_length) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string())
    return Error::invalid("invalid_type", fmt::format("'{}' must be a string, got {}", param, describe_kind(*v)), param);
  if (v->get_string().size() > max_length)
    return Error::invalid("too_long", fmt::format("'{}' must be at most {} characters long", param, max_length), param);
  return std::optional<std::string>{std::string(v->get_string())};
}

core::Result<std::optional<bool>> bool_field(const boost::json::object& o, std::string_view key,
                                             const std::string& param) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool())
    return Error::invalid("invalid_type", fmt::format("'{}' must be true or false, got {}", param, describe_kind(*v)),
                          param);
  return std::optional<bool>{v->get_bool()};
}

core::Status allow_only(const boost::json::object& o, std::initializer_list<std::string_view> names,
                        const std::string& prefix) {
  for (const auto& item : o) {
    bool known = false;
    for (auto n : names) known = known || item.key() == n;
    if (!known) {
      std::string allowed;
      for (auto n : names) allowed += (allowed.empty() ? "" : ", ") + std::string(n);
      const std::string param = prefix + std::string(item.key());
      return Error::invalid("unknown_parameter", fmt::format("unknown field '{}'; known: {}", param, allowed), param);
    }
  }
  return {};
}

core::Result<std::optional<billing::Metadata>> read_metadata(const Body& body, std::string_view name) {
  auto serialized = body.optional_metadata(name);
  if (!serialized) return std::move(serialized).error();
  if (!*serialized) return std::optional<billing::Metadata>{};
  billing::Metadata out;
  for (const auto& item : body.object().at(name).as_object())
    out[std::string(item.key())] = std::string(item.value().as_string());
  return std::optional<billing::Metadata>{std::move(out)};
}

Reply error_reply(const core::Error& error, const std::string& request_id) {
  auto response = error_response(error, request_id);
  return Reply{response.status, std::move(response.body)};
}

}  // namespace billhook::api::routes
