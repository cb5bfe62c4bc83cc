#include "events/envelope.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"

namespace billhook::events {

boost::json::object render_envelope(const Event& event, const std::string& api_version) {
  boost::json::object out;
  out["id"] = event.id;
  out["object"] = "event";
  out["type"] = event.type;
  out["api_version"] = api_version;
  out["created"] = event.created_ms / 1000;
  out["occurred_at"] = core::format_rfc3339_ms(core::from_unix_ms(event.created_ms));
  if (event.aggregate) {
    out["aggregate"] = {{"type", event.aggregate->type}, {"id", event.aggregate->id},
                        {"sequence", event.aggregate->sequence}};
  } else {
    out["aggregate"] = nullptr;
  }
  boost::system::error_code ec;
  auto data = boost::json::parse(event.data_json, ec);
  out["data"] = ec ? boost::json::value(boost::json::object()) : std::move(data);
  boost::json::object request;
  request["id"] = event.request_id.empty() ? boost::json::value(nullptr) : boost::json::value(event.request_id);
  request["idempotency_key"] =
      event.idempotency_key.empty() ? boost::json::value(nullptr) : boost::json::value(event.idempotency_key);
  out["request"] = std::move(request);
  return out;
}

}  // namespace billhook::events
