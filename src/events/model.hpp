#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace billhook::events {

// The resource an event is about; events of one aggregate are numbered 1, 2, 3, … and
// delivered in that order per endpoint.
struct Aggregate {
  std::string type;  // "invoice", "customer", …
  std::string id;
  int64_t sequence = 0;
};

// One occurrence, as stored in the event log. `data_json` is the serialized `data` member of
// the envelope: {"object": {…}, "previous_attributes": {…}?}.
struct Event {
  std::string id;
  std::string type;
  int64_t created_ms = 0;
  std::optional<Aggregate> aggregate;
  std::string data_json;
  std::string request_id;
  std::string idempotency_key;
};

// Where events go. `event_types` holds exact canonical names, `<prefix>.*` wildcards or `*`;
// `categories` holds catalog category names. An event matches if either list admits it.
struct Endpoint {
  std::string id;
  std::string url;
  std::string description;
  std::vector<std::string> event_types;
  std::vector<std::string> categories;
  std::string secret;         // whsec_…
  std::string metadata_json;  // a JSON object of string values
  bool enabled = true;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

enum class DeliveryStatus { pending, retrying, succeeded, failed, cancelled };

std::string_view to_string(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view text);
// The allowed moves of a delivery's life, in one table (see model.cpp).
bool can_transition(DeliveryStatus from, DeliveryStatus to);

// One (event, endpoint) pair.
struct Delivery {
  std::string id;
  std::string event_id;
  std::string endpoint_id;
  std::string event_type;
  DeliveryStatus status = DeliveryStatus::pending;
  int attempt_count = 0;
  int64_t next_attempt_ms = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

}  // namespace billhook::events
