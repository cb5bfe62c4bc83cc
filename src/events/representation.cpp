#include "events/representation.hpp"

#include <boost/json.hpp>

namespace billhook::events {
namespace {

boost::json::array string_array(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

// The endpoint's profile settings as the API shows them: secret ones only by their last four characters.
boost::json::object shown_settings(const Endpoint& ep, const ProfileRules& profiles) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(ep.profile_settings_json, ec);
  boost::json::object out;
  if (ec || !parsed.is_object()) return out;
  for (const auto& [name, value] : parsed.get_object()) {
    if (!value.is_string() || profiles.shows_setting(ep, name)) {
      out[name] = value;
      continue;
    }
    const std::string_view text = value.get_string();
    out[name] = "…" + std::string(text.size() > 8 ? text.substr(text.size() - 4) : std::string_view());
  }
  return out;
}

boost::json::value seconds_or_null(int64_t ms) { return ms ? boost::json::value(ms / 1000) : boost::json::value(nullptr); }

}  // namespace

boost::json::object endpoint_object(const Endpoint& ep, const ProfileRules& profiles) {
  boost::system::error_code ec;
  auto metadata = boost::json::parse(ep.metadata_json, ec);
  boost::json::array schedule;
  for (auto s : ep.retry_schedule_s) schedule.emplace_back(s);
  return {
      {"id", ep.id},
      {"object", "endpoint"},
      {"url", ep.url},
      {"description", ep.description},
      {"event_types", string_array(ep.event_types)},
      {"categories", string_array(ep.categories)},
      {"enabled", ep.enabled},
      {"disabled_reason", ep.disabled_reason.empty() ? boost::json::value(nullptr) : boost::json::value(ep.disabled_reason)},
      {"disabled_at", ep.enabled ? boost::json::value(nullptr) : seconds_or_null(ep.disabled_ms)},
      {"ordering", ep.ordered ? "aggregate" : "none"},
      {"retry_schedule", schedule.empty() ? boost::json::value(nullptr) : boost::json::value(std::move(schedule))},
      {"rate_limit", ep.rate_limit_per_second ? boost::json::value(ep.rate_limit_per_second) : boost::json::value(nullptr)},
      {"max_in_flight", ep.max_in_flight},
      {"profile", ep.profile},
      {"profile_settings", shown_settings(ep, profiles)},
      {"metadata", ec || !metadata.is_object() ? boost::json::value(boost::json::object()) : std::move(metadata)},
      {"created", ep.created_ms / 1000},
      {"updated", ep.updated_ms / 1000},
  };
}

boost::json::object delivery_object(const Delivery& d) {
  const bool waiting = is_open(d.status);
  boost::json::value last_error = nullptr;
  if (!d.last_error_class.empty()) {
    last_error = boost::json::object{
        {"class", d.last_error_class},
        {"status_code", d.last_status_code ? boost::json::value(d.last_status_code) : boost::json::value(nullptr)},
        {"message", d.last_error_message},
    };
  }
  return {
      {"id", d.id},
      {"object", "delivery"},
      {"event_id", d.event_id},
      {"event_type", d.event_type},
      {"endpoint_id", d.endpoint_id},
      {"status", to_string(d.status)},
      {"attempt_count", d.attempt_count},
      {"last_attempt_at", seconds_or_null(d.last_attempt_ms)},
      {"next_attempt_at", waiting ? boost::json::value(d.next_attempt_ms / 1000) : boost::json::value(nullptr)},
      {"last_error", std::move(last_error)},
      {"created", d.created_ms / 1000},
      {"updated", d.updated_ms / 1000},
  };
}

boost::json::object attempt_object(const Attempt& a) {
  boost::system::error_code ec;
  auto headers = boost::json::parse(a.response_headers_json, ec);
  boost::system::error_code request_ec;
  auto request_headers = boost::json::parse(a.request_headers_json, request_ec);
  return {
      {"id", a.id},
      {"object", "attempt"},
      {"number", a.number},
      {"started_at", a.started_ms / 1000},
      {"duration_ms", a.duration_ms},
      {"status_code", a.status_code ? boost::json::value(a.status_code) : boost::json::value(nullptr)},
      {"error_class", a.error_class == "none" ? boost::json::value(nullptr) : boost::json::value(a.error_class)},
      {"error_message", a.error_message.empty() ? boost::json::value(nullptr) : boost::json::value(a.error_message)},
      {"response_headers", ec || !headers.is_object() ? boost::json::value(boost::json::object()) : std::move(headers)},
      {"response_body", a.response_body},
      {"next_attempt_at", seconds_or_null(a.next_attempt_ms)},
      {"request",
       boost::json::object{{"headers", request_ec || !request_headers.is_object() ? boost::json::value(boost::json::object())
                                                                                  : std::move(request_headers)},
                           {"body", a.request_body}}},
  };
}

}  // namespace billhook::events
