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

  // Compatibility profile (src/profiles): the name and shape events are sent in, and the profile's
  // settings (a JSON object of strings, e.g. Rapyd's access_key and secret_key).
  std::string profile = "billhook";
  std::string profile_settings_json = "{}";

  // Delivery policy.
  bool ordered = true;                    // ordering "aggregate": one open delivery per aggregate at a time
  std::vector<int64_t> retry_schedule_s;  // delays between tries; empty means the default schedule
  int rate_limit_per_second = 0;          // 0: no limit
  int max_in_flight = kDefaultMaxInFlight;

  // During a rotation the old secret still signs, beside the new one, until it expires.
  std::string previous_secret;
  int64_t previous_secret_expires_ms = 0;

  // Health.
  std::string disabled_reason;   // "failing", "gone" or "manual" while disabled
  int64_t disabled_ms = 0;
  int64_t failing_since_ms = 0;  // first failure since the last success; 0 while healthy

  // An endpoint's throughput is at most this over the time a slot is taken: the receiver's answer plus two
  // hand-offs between billhook's threads (curl's to the dispatcher's and back), which on a busy 2-core machine
  // reach 2-3 ms. 16 then capped one endpoint below what billhook delivers, and deliveries fell seconds behind at
  // three quarters of the benchmark's rate; 32 kept them within tens of milliseconds (README, Performance).
  static constexpr int kDefaultMaxInFlight = 32;
};

enum class DeliveryStatus { pending, retrying, succeeded, failed, cancelled };

std::string_view to_string(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view text);
// The allowed moves of a delivery's life, in one table (see model.cpp).
bool can_transition(DeliveryStatus from, DeliveryStatus to);
// Still to be sent (pending, or retrying after a failed attempt): what the dispatcher claims, and what
// the store's partial indexes of open deliveries hold.
constexpr bool is_open(DeliveryStatus status) {
  return status == DeliveryStatus::pending || status == DeliveryStatus::retrying;
}

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

  // Order: deliveries of one endpoint and aggregate go out by sequence.
  std::string aggregate_key;  // "<type>/<id>", empty when the event has none
  int64_t sequence = 0;

  int64_t lease_until_ms = 0;  // a dispatcher is working on it until then
  // When a request for it was last sent and its answer not yet recorded (0: none). Still set when a
  // claim finds it, that attempt was cut off (a crash, the database lost, a shutdown deadline), and the
  // next attempt's record puts it in the history as `interrupted`.
  int64_t sending_ms = 0;
  int64_t last_attempt_ms = 0;
  std::string last_error_class;  // empty, or the ErrorClass of the last failed attempt
  int last_status_code = 0;
  std::string last_error_message;
};

// One HTTP try of a delivery, kept as its history.
struct Attempt {
  std::string id;
  std::string delivery_id;
  int number = 0;  // 1 for the first try
  int64_t started_ms = 0;
  int64_t duration_ms = 0;
  int status_code = 0;      // 0 when no HTTP answer came
  std::string error_class;  // "none" on success
  std::string error_message;
  std::string response_headers_json;  // JSON object, names lower-cased
  std::string response_body;          // capped
  int64_t next_attempt_ms = 0;        // 0 when no further try is planned
  // The request as sent: headers (signatures included) as a JSON object, names lower-cased, and the
  // body as the endpoint's profile rendered it, capped like the response. Empty when nothing was sent.
  std::string request_headers_json = "{}";
  std::string request_body;
};

}  // namespace billhook::events
