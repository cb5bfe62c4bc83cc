#include "store/sql/records.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::store::sql {
namespace {

std::string to_json_array(const std::vector<std::string>& items) {
  boost::json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return boost::json::serialize(array);
}

std::string to_json_array(const std::vector<int64_t>& items) {
  boost::json::array array;
  for (auto item : items) array.emplace_back(item);
  return boost::json::serialize(array);
}

std::vector<int64_t> int_array_from_json(const std::string& text) {
  std::vector<int64_t> out;
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec || !value.is_array()) return out;
  for (const auto& item : value.get_array())
    if (item.is_int64()) out.push_back(item.get_int64());
  return out;
}

std::vector<std::string> text_array_from_json(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec || !value.is_array()) return out;
  for (const auto& item : value.get_array())
    if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

}  // namespace

const char* const kEventColumns =
    "id, type, created_ms, aggregate_type, aggregate_id, sequence, data, request_id, idempotency_key";
const char* const kEndpointColumns =
    "id, url, description, event_types, categories, secret, metadata, enabled, created_ms, updated_ms, ordering, "
    "retry_schedule, rate_limit, max_in_flight, previous_secret, previous_secret_expires_ms, disabled_reason, "
    "disabled_ms, failing_since_ms, profile, profile_settings";
const char* const kDeliveryColumns =
    "id, event_id, endpoint_id, event_type, status, attempt_count, next_attempt_ms, created_ms, updated_ms, "
    "aggregate_key, sequence, lease_until_ms, last_attempt_ms, last_error_class, last_status_code, last_error_message, "
    "sending_ms";
const char* const kAttemptColumns =
    "id, delivery_id, number, started_ms, duration_ms, status_code, error_class, error_message, response_headers, "
    "response_body, next_attempt_ms, request_headers, request_body";
const char* const kIdempotencyColumns = "scope, key, request_hash, status, response_body, created_ms";
const char* const kApiKeyColumns = "id, hash, label, created_ms";
const char* const kApiKeyInfoColumns = "id, hash, label, created_ms, prefix, last_used_ms";
const char* const kDashboardSessionColumns = "token_hash, api_key_id, csrf_token, created_ms, expires_ms";
const char* const kDocumentColumns = "kind, id, customer_id, parent_id, status, created_ms, body, wake_at";

events::Event event_from_row(const Row& row) {
  events::Event e;
  e.id = row.text(0);
  e.type = row.text(1);
  e.created_ms = row.integer(2);
  if (!row.is_null(3)) e.aggregate = events::Aggregate{row.text(3), row.text(4), row.integer(5)};
  e.data_json = row.text(6);
  e.request_id = row.text(7);
  e.idempotency_key = row.text(8);
  return e;
}

events::Endpoint endpoint_from_row(const Row& row) {
  events::Endpoint ep;
  ep.id = row.text(0);
  ep.url = row.text(1);
  ep.description = row.text(2);
  ep.event_types = text_array_from_json(row.text(3));
  ep.categories = text_array_from_json(row.text(4));
  ep.secret = row.text(5);
  ep.metadata_json = row.text(6);
  ep.enabled = row.integer(7) != 0;
  ep.created_ms = row.integer(8);
  ep.updated_ms = row.integer(9);
  ep.ordered = row.text(10) != "none";
  ep.retry_schedule_s = int_array_from_json(row.text(11));
  ep.rate_limit_per_second = static_cast<int>(row.integer(12));
  ep.max_in_flight = static_cast<int>(row.integer(13));
  ep.previous_secret = row.text(14);
  ep.previous_secret_expires_ms = row.integer(15);
  ep.disabled_reason = row.text(16);
  ep.disabled_ms = row.integer(17);
  ep.failing_since_ms = row.integer(18);
  ep.profile = row.text(19);
  ep.profile_settings_json = row.text(20);
  return ep;
}

events::Delivery delivery_from_row(const Row& row) {
  events::Delivery d;
  d.id = row.text(0);
  d.event_id = row.text(1);
  d.endpoint_id = row.text(2);
  d.event_type = row.text(3);
  d.status = events::parse_delivery_status(row.text(4)).value_or(events::DeliveryStatus::pending);
  d.attempt_count = static_cast<int>(row.integer(5));
  d.next_attempt_ms = row.integer(6);
  d.created_ms = row.integer(7);
  d.updated_ms = row.integer(8);
  d.aggregate_key = row.text(9);
  d.sequence = row.integer(10);
  d.lease_until_ms = row.integer(11);
  d.last_attempt_ms = row.integer(12);
  d.last_error_class = row.text(13);
  d.last_status_code = static_cast<int>(row.integer(14));
  d.last_error_message = row.text(15);
  d.sending_ms = row.integer(16);
  return d;
}

events::Attempt attempt_from_row(const Row& row) {
  events::Attempt a;
  a.id = row.text(0);
  a.delivery_id = row.text(1);
  a.number = static_cast<int>(row.integer(2));
  a.started_ms = row.integer(3);
  a.duration_ms = row.integer(4);
  a.status_code = static_cast<int>(row.integer(5));
  a.error_class = row.text(6);
  a.error_message = row.text(7);
  a.response_headers_json = row.text(8);
  a.response_body = row.text(9);
  a.next_attempt_ms = row.integer(10);
  a.request_headers_json = row.text(11);
  a.request_body = row.text(12);
  return a;
}

IdempotencyRecord idempotency_from_row(const Row& row) {
  return {row.text(0), row.text(1), row.text(2), static_cast<int>(row.integer(3)), row.text(4), row.integer(5)};
}

ApiKeyRecord api_key_from_row(const Row& row) { return {row.text(0), row.text(1), row.text(2), row.integer(3)}; }

DashboardSessionRecord dashboard_session_from_row(const Row& row) {
  return {row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4)};
}

ApiKeyInfo api_key_info_from_row(const Row& row) {
  return {api_key_from_row(row), row.text(4), row.optional_integer(5)};
}

DocumentRecord document_from_row(const Row& row) {
  return {row.text(0), row.text(1),    row.text(2), row.text(3),
          row.text(4), row.integer(5), row.text(6), row.optional_integer(7)};
}

std::string first_text(const Row& row) { return row.text(0); }

Params event_params(const events::Event& e) {
  Params p;
  p.add(e.id).add(e.type).add(e.created_ms);
  if (e.aggregate) p.add(e.aggregate->type).add(e.aggregate->id).add(e.aggregate->sequence);
  else p.add_null().add_null().add_null();
  p.add(e.data_json).add_text_or_null(e.request_id).add_text_or_null(e.idempotency_key);
  return p;
}

Params endpoint_params(const events::Endpoint& ep) {
  Params p;
  p.add(ep.id).add(ep.url).add(ep.description).add(to_json_array(ep.event_types)).add(to_json_array(ep.categories));
  p.add(ep.secret).add(ep.metadata_json).add(int64_t{ep.enabled ? 1 : 0}).add(ep.created_ms).add(ep.updated_ms);
  p.add(ep.ordered ? "aggregate" : "none").add(to_json_array(ep.retry_schedule_s));
  p.add(int64_t{ep.rate_limit_per_second}).add(int64_t{ep.max_in_flight}).add(ep.previous_secret);
  p.add(ep.previous_secret_expires_ms).add(ep.disabled_reason).add(ep.disabled_ms).add(ep.failing_since_ms);
  p.add(ep.profile).add(ep.profile_settings_json);
  return p;
}

Params delivery_params(const events::Delivery& d) {
  Params p;
  p.add(d.id).add(d.event_id).add(d.endpoint_id).add(d.event_type).add(events::to_string(d.status));
  p.add(int64_t{d.attempt_count}).add(d.next_attempt_ms).add(d.created_ms).add(d.updated_ms);
  p.add_text_or_null(d.aggregate_key).add(d.sequence).add(d.lease_until_ms).add(d.last_attempt_ms);
  p.add(d.last_error_class).add(int64_t{d.last_status_code}).add(d.last_error_message).add(d.sending_ms);
  return p;
}

Params attempt_params(const events::Attempt& a) {
  Params p;
  p.add(a.id).add(a.delivery_id).add(int64_t{a.number}).add(a.started_ms).add(a.duration_ms);
  p.add(int64_t{a.status_code}).add(a.error_class).add(a.error_message).add(a.response_headers_json);
  p.add(a.response_body).add(a.next_attempt_ms).add(a.request_headers_json).add(a.request_body);
  return p;
}

Params idempotency_params(const IdempotencyRecord& r) {
  return Params{}.add(r.scope).add(r.key).add(r.request_hash).add(int64_t{r.status}).add(r.response_body).add(
      r.created_ms);
}

Params dashboard_session_params(const DashboardSessionRecord& r) {
  return Params{}.add(r.token_hash).add(r.api_key_id).add(r.csrf_token).add(r.created_ms).add(r.expires_ms);
}

Params api_key_params(const ApiKeyRecord& r) { return Params{}.add(r.id).add(r.hash).add(r.label).add(r.created_ms); }

Params document_params(const DocumentRecord& r) {
  Params p;
  p.add(r.kind).add(r.id).add(r.customer_id).add(r.parent_id).add(r.status).add(r.created_ms).add(r.body);
  p.add_optional(r.wake_at);
  return p;
}

std::string placeholders(std::string_view columns) {
  const auto n = std::count(columns.begin(), columns.end(), ',') + 1;
  std::string out;
  for (int i = 1; i <= n; ++i) out += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
  return out;
}

std::string prefixed_columns(std::string_view prefix, std::string_view columns) {
  std::string out;
  size_t start = 0;
  while (start < columns.size()) {
    size_t comma = columns.find(',', start);
    if (comma == std::string_view::npos) comma = columns.size();
    auto name = columns.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out.append(prefix).append(name);
    start = comma + 1;
  }
  return out;
}

}  // namespace billhook::store::sql
