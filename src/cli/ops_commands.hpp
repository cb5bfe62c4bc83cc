#pragma once

// The operator's API calls as commands: `events tail`, `deliveries retry ID`, `deliveries recover ENDPOINT`.

#include <cstdint>
#include <string>

namespace billhook::cli {

struct ServerFlags {
  std::string server = "http://127.0.0.1:8080";
  std::string api_key;
  std::string output = "text";  // or "json"
};

struct TailOptions {
  std::string type;          // an event type (or alias); empty: every type
  std::string aggregate_id;  // one resource's events; empty: every resource
  int64_t count = 0;         // stop after this many events (0: follow until interrupted)
  bool from_start = false;   // begin with the oldest event rather than the next one
};

// Follows the event log: one line per event (JSON: one envelope per line), oldest first.
int run_events_tail(const ServerFlags& flags, const TailOptions& options);
// Retries one delivery now (POST /v1/deliveries/{id}/retry) and prints it.
int run_delivery_retry(const ServerFlags& flags, const std::string& delivery_id);
// Retries every failed delivery of an endpoint since `since` (unix seconds) and prints how many.
int run_delivery_recover(const ServerFlags& flags, const std::string& endpoint_id, int64_t since);

}  // namespace billhook::cli
