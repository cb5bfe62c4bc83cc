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
  out["occurred_at"] = core::format_unix_ms_rfc3339(event.created_ms);
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

namespace {

void append_string(std::string& out, std::string_view text) { out += boost::json::serialize(text); }

void append_string_or_null(std::string& out, const std::string& text) {
  if (text.empty()) out += "null";
  else append_string(out, text);
}

}  // namespace

std::string render_envelope_text(const Event& event, const std::string& api_version) {
  // Written field by field in render_envelope's order, with `data` copied as stored: it is always
  // text boost::json::serialize wrote, so parsing and writing it again would give the same bytes.
  std::string out;
  out.reserve(event.data_json.size() + 320 + event.type.size() + event.request_id.size() +
              event.idempotency_key.size());
  out += "{\"id\":";
  append_string(out, event.id);
  out += ",\"object\":\"event\",\"type\":";
  append_string(out, event.type);
  out += ",\"api_version\":";
  append_string(out, api_version);
  out += ",\"created\":";
  out += std::to_string(event.created_ms / 1000);
  out += ",\"occurred_at\":";
  append_string(out, core::format_unix_ms_rfc3339(event.created_ms));
  out += ",\"aggregate\":";
  if (event.aggregate) {
    out += "{\"type\":";
    append_string(out, event.aggregate->type);
    out += ",\"id\":";
    append_string(out, event.aggregate->id);
    out += ",\"sequence\":";
    out += std::to_string(event.aggregate->sequence);
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"data\":";
  out += event.data_json.empty() ? std::string_view("{}") : std::string_view(event.data_json);
  out += ",\"request\":{\"id\":";
  append_string_or_null(out, event.request_id);
  out += ",\"idempotency_key\":";
  append_string_or_null(out, event.idempotency_key);
  out += "}}";
  return out;
}

}  // namespace billhook::events
