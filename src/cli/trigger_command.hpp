#pragma once

// `billhook trigger EVENT_TYPE`: runs the event type's scenario against a running server, waits for the
// event, and prints the resources made and the events the run produced.

#include <string>

namespace billhook::cli {

struct TriggerOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string api_key;
  std::string event_type;
  bool list = false;
  std::string output = "text";  // or "json"
};

// Answers the process's exit code: 0 once the event was produced, 1 if the run failed, 2 for bad usage.
int run_trigger(const TriggerOptions& options);

}  // namespace billhook::cli
